/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * VFIO IRQ forwarding (ARM) and posting (x86), with fallback to irqfd and
 * to the userspace eventfd path.  One small state machine per IRQ.
 */

#ifndef HW_VFIO_VFIO_IRQ_FORWARD_H
#define HW_VFIO_VFIO_IRQ_FORWARD_H

#include "qapi/qapi-types-common.h"
#include "qapi/qapi-types-vfio.h"
#include "qemu/queue.h"

typedef struct VFIOIrqFwd VFIOIrqFwd;

/*
 * The owning device's part.  Each call either succeeds or leaves nothing
 * behind; the state machine orders them and undoes them in reverse.
 * None is called for an MSI vector: its device sets the vector's irqfd
 * and VFIO trigger up itself, before it enables or updates it, and says
 * in fwd->irqfd_allowed whether the trigger is the irqfd; the state
 * machine then only posts (or records the path).
 */
typedef struct VFIOIrqFwdOps {
    /* Bind the trigger eventfd to fwd->gsi as a KVM irqfd (+ resamplefd). */
    bool (*irqfd_add)(VFIOIrqFwd *fwd, bool resample, Error **errp);
    void (*irqfd_del)(VFIOIrqFwd *fwd, bool resample);
    /* Give VFIO the trigger eventfd; @userspace: QEMU reads it. */
    bool (*trigger_set)(VFIOIrqFwd *fwd, bool userspace, Error **errp);
    void (*trigger_clear)(VFIOIrqFwd *fwd, bool userspace);
    /* Give VFIO the unmask eventfd (the resamplefd's other end). */
    bool (*unmask_set)(VFIOIrqFwd *fwd, Error **errp);
    void (*unmask_clear)(VFIOIrqFwd *fwd);
    /*
     * Set the IRQ up again as after a guest route change, through the
     * device's own update path (which calls vfio_irq_fwd_update()), so
     * that no interrupt is lost while its path changes.  Migration
     * moves wired IRQs off and back onto their fast path with it (MSI
     * vectors, whose irqfd stays, the state machine moves itself).
     */
    void (*refresh)(VFIOIrqFwd *fwd);
    /* Mask the IRQ at VFIO, until refresh() unmasks it (a reset). */
    void (*mask)(VFIOIrqFwd *fwd);
} VFIOIrqFwdOps;

/* Per device: the policy, and what is shared by its IRQs. */
typedef struct VFIOIrqFwdDev {
    Object *owner;                  /* the VFIO device, for QMP */
    const char *name;               /* the VFIO device's name */
    OnOffAuto policy;               /* x-forward */
    int vfio_fd;                    /* VFIO device fd */
    int kvm_fd;                     /* kvm-vfio device fd, -1 if none */
    const VFIOIrqFwdOps *ops;
    bool warned;                    /* one fallback warning per device */
    bool resetting;                 /* between reset enter and exit */
    /* (index, subindex) -> the reason last reported, under x-forward=on */
    GHashTable *reported;
    QLIST_HEAD(, VFIOIrqFwd) irqs;
    QTAILQ_ENTRY(VFIOIrqFwdDev) next;
} VFIOIrqFwdDev;

struct VFIOIrqFwd {
    VFIOIrqFwdDev *dev;
    void *opaque;                   /* the device's own IRQ state */
    uint32_t index;                 /* VFIO IRQ index */
    uint32_t subindex;
    VfioIrqKind kind;
    int gsi;                        /* guest GSI, -1 if none */
    /* Why the fast path cannot be used, whatever the kernel says. */
    const char *blocked;
    /*
     * Why this kind of IRQ has no fast path on this host at all (e.g.
     * INTx on x86): x-forward=on does not apply to it.
     */
    const char *unsupported;
    /* KVM irqfd usable for this IRQ; MSI: the vector's trigger is it */
    bool irqfd_allowed;
    VfioIrqMode mode;
    char *reason;                   /* why not forwarded/posted, or NULL */
    bool paused;                    /* only a migration/reset keeps it off */
    bool undo_failed;               /* an UNFORWARD/UNPOST failed since */
    bool line_shared;               /* its guest line has another source */
    QLIST_ENTRY(VFIOIrqFwd) next;
};

void vfio_irq_fwd_dev_init(VFIOIrqFwdDev *dev, Object *owner,
                           const char *name, int vfio_fd, int kvm_fd,
                           OnOffAuto policy, const VFIOIrqFwdOps *ops);
/*
 * Disable every IRQ of @dev (unforward/unpost first) and forget it.
 * Does nothing on a zeroed or already exited @dev.
 */
void vfio_irq_fwd_dev_exit(VFIOIrqFwdDev *dev);

/*
 * Refuse x-forward=on for device @name when @blocked says why none of its
 * IRQs can be forwarded (no KVM, x-irqfd=off, ...).  Call at realize,
 * before opening the host device, so contradictions fail early.
 */
bool vfio_irq_fwd_check(const char *name, OnOffAuto policy,
                        const char *blocked, Error **errp);

/*
 * x-forward=on, at realize, for an IRQ kind that only the guest enables
 * later (MSI): refuse unless the kernel can make @kind fast.  @none, if
 * set, says why the device has no IRQ the target could make fast.
 */
bool vfio_irq_fwd_probe(VFIOIrqFwdDev *dev, VfioIrqKind kind,
                        const char *none, Error **errp);

/*
 * Whether @fwd could ever take its fast path: the policy allows it,
 * nothing blocks it and the kernel has the API (asked once per device).
 * Steps that only the fast path needs are skipped when it cannot.
 */
bool vfio_irq_fwd_may_forward(VFIOIrqFwd *fwd);

void vfio_irq_fwd_init(VFIOIrqFwd *fwd, VFIOIrqFwdDev *dev, void *opaque,
                       uint32_t index, uint32_t subindex, VfioIrqKind kind);
/* Disable @fwd and forget it; does nothing if it is not initialized. */
void vfio_irq_fwd_exit(VFIOIrqFwd *fwd);

/*
 * Enable @fwd for guest GSI @gsi in the fastest mode that works: forwarded
 * (level/edge) or posted (MSI), then irqfd(+resamplefd), then userspace.
 * With x-forward=on, failing to forward or post is an error and nothing
 * stays set up.  Set fwd->blocked and fwd->irqfd_allowed first.  Errors
 * name the IRQ and the reason; the caller adds the device.  While a
 * migration runs, the destination loads one or the device resets, an
 * IRQ that could be fast takes its fallback path with fwd->paused set,
 * under any policy, and is moved back when that ends (a wired IRQ through
 * VFIOIrqFwdOps.refresh).
 */
bool vfio_irq_fwd_enable(VFIOIrqFwd *fwd, int gsi, Error **errp);

/*
 * The same, for an IRQ the guest enables at run time (an MSI vector):
 * there is no one to fail to, and failing would lose the guest's
 * interrupts, so under x-forward=on the reason is reported (once per IRQ
 * until it changes) and the IRQ falls back as under auto.  Fails only if
 * no path at all works.
 */
bool vfio_irq_fwd_enable_guest(VFIOIrqFwd *fwd, int gsi, Error **errp);

/* Undo whatever mode is in force, in reverse order. */
void vfio_irq_fwd_disable(VFIOIrqFwd *fwd);

/*
 * QEMU delivers the IRQ itself for now, whatever the policy, because of
 * @why (e.g. a masked MSI-X vector, which QEMU keeps pending): the
 * userspace mode, with @why as its reason.  Not a failure to forward.
 */
bool vfio_irq_fwd_hold(VFIOIrqFwd *fwd, const char *why, Error **errp);

/*
 * The guest moved the IRQ to @gsi (INTx routing, MSI vector change):
 * re-post or re-forward it, or fall back, as vfio_irq_fwd_enable_guest()
 * would.  On an IRQ that vfio_irq_fwd_exit() has exited (not in use, e.g.
 * INTx while MSI is), nothing.
 */
bool vfio_irq_fwd_update(VFIOIrqFwd *fwd, int gsi, Error **errp);

/*
 * vfio_irq_fwd_update() for @n MSI vectors, @fwds[i] to @gsi[i], with the
 * vectors that can be posted at all posted by one request per run of
 * consecutive sub-indexes of one index (the API takes ranges).  A run
 * the kernel refuses, and every other vector, is then set up on its own
 * as vfio_irq_fwd_update() would, so each falls back with its own
 * reason.  Errors are reported.
 */
void vfio_irq_fwd_update_many(VFIOIrqFwd *const *fwds, const int *gsi,
                              unsigned n);

/*
 * The device's reset enter and exit phases: enter masks and unforwards
 * its forwarded IRQs, which stay off their fast path until exit
 * (fwd->paused, as during a migration), because the interrupt
 * controllers' reset cannot reset a forwarded IRQ; exit moves them back
 * with VFIOIrqFwdOps.refresh.
 */
void vfio_irq_fwd_dev_reset_enter(VFIOIrqFwdDev *dev);
void vfio_irq_fwd_dev_reset_exit(VFIOIrqFwdDev *dev);

/*
 * Unforward and unpost every IRQ of every device.  Runs at exit, so that
 * the kernel never tears VFIO's IRQs down under a forwarding.
 */
void vfio_irq_fwd_unforward_all(void);

/* Iterate every device, for QMP/HMP. */
VFIOIrqFwdDev *vfio_irq_fwd_dev_next(VFIOIrqFwdDev *prev);

#endif
