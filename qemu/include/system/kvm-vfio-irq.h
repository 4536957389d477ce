/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * kvm-vfio IRQ forwarding and posting (proposed KVM_DEV_VFIO_DEVICE group)
 */

#ifndef SYSTEM_KVM_VFIO_IRQ_H
#define SYSTEM_KVM_VFIO_IRQ_H

#include "qemu/notify.h"

struct kvm_irq_routing_entry;

typedef enum KVMVFIOIrqOp {
    KVM_VFIO_IRQ_FORWARD,       /* ARM: wired IRQ via the GIC HW bit */
    KVM_VFIO_IRQ_UNFORWARD,
    KVM_VFIO_IRQ_POST,          /* x86: MSI/MSI-X via VT-d posting */
    KVM_VFIO_IRQ_UNPOST,
    KVM_VFIO_IRQ_OP__MAX,
} KVMVFIOIrqOp;

/* The most sub-indexes one request may carry (MSI-X has at most 2048). */
#define KVM_VFIO_IRQ_MAX_COUNT 2048

/*
 * How attributes reach the kernel.  Both return 0 or -errno.  The default
 * backend issues KVM_HAS_DEVICE_ATTR / KVM_SET_DEVICE_ATTR on @dev_fd;
 * tests install their own to play any kernel answer.
 */
typedef struct KVMVFIOIrqBackend {
    int (*has_attr)(int dev_fd, uint32_t group, uint64_t attr);
    int (*set_attr)(int dev_fd, uint32_t group, uint64_t attr, void *arg);
} KVMVFIOIrqBackend;

/*
 * For unit tests only: play the kernel through @backend (NULL restores
 * the ioctl backend), and forget what the old one answered.  Nothing in
 * QEMU itself calls this.
 */
void kvm_vfio_irq_set_test_backend(const KVMVFIOIrqBackend *backend);

const char *kvm_vfio_irq_op_name(KVMVFIOIrqOp op);

/**
 * kvm_vfio_irq_kind_unsupported: why this target has no fast path for a kind
 * @msi: MSI/MSI-X (posted, x86) rather than a wired IRQ (forwarded, ARM)
 *
 * Returns NULL if the kvm-vfio device may offer one (ask it with
 * kvm_vfio_irq_supported()), else why not.  The answer depends on the
 * target only; devices need no target knowledge of their own.
 */
const char *kvm_vfio_irq_kind_unsupported(bool msi);

/**
 * kvm_vfio_irq_supported: ask the kvm-vfio device whether it implements @op
 * @kvm_vfio_fd: the kvm-vfio device (KVM_DEV_TYPE_VFIO) fd
 * @op: the attribute
 * @errp: set, with the errno and a reason, when it is not supported
 *
 * Every released kernel answers ENXIO.  The kernel is asked once per
 * kvm-vfio device and @op; later calls return the same answer.
 */
bool kvm_vfio_irq_supported(int kvm_vfio_fd, KVMVFIOIrqOp op, Error **errp);

/**
 * kvm_vfio_irq_request: forward, unforward, post or unpost IRQs
 * @kvm_vfio_fd: the kvm-vfio device fd
 * @op: what to do
 * @vfio_dev_fd: the VFIO device fd owning the IRQs
 * @index: VFIO IRQ index (e.g. VFIO_PCI_INTX_IRQ_INDEX)
 * @start: first sub-index
 * @count: number of sub-indexes, 1 to KVM_VFIO_IRQ_MAX_COUNT
 * @gsi: guest GSI of each sub-index (@count entries)
 * @errp: set, with the errno and a reason, on failure
 *
 * Returns 0 on success, else a negative errno (the caller may know better
 * than the errno alone what the kernel means).  On failure the kernel has
 * changed nothing.
 */
int kvm_vfio_irq_request(int kvm_vfio_fd, KVMVFIOIrqOp op, int vfio_dev_fd,
                         uint32_t index, uint32_t start, uint32_t count,
                         const uint32_t *gsi, Error **errp);

/**
 * kvm_vfio_irq_msi_unpostable: why the kernel cannot post an x86 MSI route
 * @address_lo, @address_hi, @data: the KVM MSI route, as committed (after
 *   interrupt remapping)
 *
 * Returns NULL if the route can be posted, else the reason: not fixed or
 * lowest-priority delivery, logical destination mode, broadcast.
 */
const char *kvm_vfio_irq_msi_unpostable(uint32_t address_lo,
                                        uint32_t address_hi, uint32_t data);

/**
 * kvm_vfio_irq_route_unpostable: why the kernel cannot post a KVM route
 * @route: the route KVM holds for the vector's GSI
 *   (kvm_irqchip_get_route()), or NULL if there is none
 *
 * Reads the route as the kernel will post it (after interrupt
 * remapping), rather than the guest's message.  Returns NULL if it can
 * be posted, else the reason: no route, not an MSI route (e.g. a Xen
 * event channel), or what kvm_vfio_irq_msi_unpostable() says.
 */
const char *kvm_vfio_irq_route_unpostable(
    const struct kvm_irq_routing_entry *route);

/*
 * Where an MSI route is updated (vfio-pci, x86's interrupt remapping
 * invalidations): @blocked when the update failed, interrupt remapping
 * refusing the guest's message.  KVM then keeps the GSI's old route,
 * which must not be posted: kvm_vfio_irq_route_blocked() says so until
 * an update succeeds or the route is released.
 */
void kvm_vfio_irq_set_route_blocked(int gsi, bool blocked);
bool kvm_vfio_irq_route_blocked(int gsi);

/*
 * Interrupt remapping can rewrite MSI routes without their devices
 * knowing (an IR entry cache invalidation on x86).  A posted route must
 * then be posted again: the arch code calls kvm_vfio_irq_routes_changed()
 * after committing such routes, and the notifiers re-post.
 */
void kvm_vfio_irq_add_route_notifier(Notifier *n);
void kvm_vfio_irq_remove_route_notifier(Notifier *n);
void kvm_vfio_irq_routes_changed(void);

/*
 * The kernel keeps one level per wired guest line (a GIC SPI), whoever
 * drives it, and a forwarded IRQ's line follows its physical IRQ: another
 * source on the same line could neither be ORed into it nor lower it.  So
 * a wired line that one of QEMU's own sources (a device model, through
 * its interrupt controller model) drives is not forwarded, and the first
 * time such a source raises a forwarded line, the forwarding's owner is
 * told to take it off the line before the level reaches the kernel.
 */

/* The most wired guest lines tracked: GIC SPIs (GSI n is SPI n). */
#define KVM_VFIO_IRQ_MAX_LINES 1024

/**
 * kvm_vfio_irq_line_set: a source of QEMU's own sets guest line @gsi
 * @gsi: the GSI of a wired line
 * @level: the level about to be given to the kernel
 *
 * For the KVM interrupt controller models to call, with the BQL held,
 * before they set a wired line in the kernel.  If @level is high and
 * @gsi is forwarded, the line is marked shared for the life of the VM
 * and the shared-line notifiers run (with a pointer to @gsi) before this
 * returns; they may change IRQ paths but must not raise a line.
 */
void kvm_vfio_irq_line_set(int gsi, bool level);

/*
 * Whether guest line @gsi has another source than the IRQ about to be
 * forwarded to it: another IRQ is forwarded to it, or one of QEMU's own
 * sources holds it high or raised it while it was forwarded.
 */
bool kvm_vfio_irq_line_shared(int gsi);

/* Whether a VFIO IRQ is forwarded to guest line @gsi */
bool kvm_vfio_irq_line_forwarded(int gsi);

void kvm_vfio_irq_add_shared_notifier(Notifier *n);
void kvm_vfio_irq_remove_shared_notifier(Notifier *n);

#endif
