/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * kvm-vfio IRQ forwarding and posting: the proposed KVM_DEV_VFIO_DEVICE
 * attribute group of the kvm-vfio device.  Attribute dispatch mirrors the
 * kernel's virt/kvm/vfio.c: one table, one request path.
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "qapi/error.h"
#include "qemu/bitmap.h"
#include "qemu/notify.h"
#include "system/arch_init.h"
#include "system/kvm-vfio-irq.h"
#include "trace.h"

static const struct {
    uint64_t attr;
    const char *name;
} kvm_vfio_irq_ops[KVM_VFIO_IRQ_OP__MAX] = {
    [KVM_VFIO_IRQ_FORWARD] = { KVM_DEV_VFIO_DEVICE_FORWARD_IRQ, "forward" },
    [KVM_VFIO_IRQ_UNFORWARD] = { KVM_DEV_VFIO_DEVICE_UNFORWARD_IRQ,
                                 "unforward" },
    [KVM_VFIO_IRQ_POST] = { KVM_DEV_VFIO_DEVICE_POST_IRQ, "post" },
    [KVM_VFIO_IRQ_UNPOST] = { KVM_DEV_VFIO_DEVICE_UNPOST_IRQ, "unpost" },
};

const char *kvm_vfio_irq_kind_unsupported(bool msi)
{
    /* ARM's vGIC links a virtual to a physical IRQ; x86's VT-d posts MSIs */
    if (qemu_arch_available(QEMU_ARCH_ARM)) {
        return msi ? "no kvm-vfio MSI posting on ARM" : NULL;
    }
    if (qemu_arch_available(QEMU_ARCH_I386)) {
        return msi ? NULL : "x86 has no wired IRQ forwarding";
    }
    return "this target has no IRQ forwarding or posting";
}

static int kvm_vfio_ioctl(int dev_fd, unsigned long req, uint32_t group,
                          uint64_t attr, void *arg)
{
    struct kvm_device_attr a = {
        .group = group,
        .attr = attr,
        .addr = (uintptr_t)arg,
    };
    int ret;

    do {
        ret = ioctl(dev_fd, req, &a);
    } while (ret < 0 && errno == EINTR);
    return ret < 0 ? -errno : 0;
}

static int kvm_vfio_ioctl_has_attr(int dev_fd, uint32_t group, uint64_t attr)
{
    return kvm_vfio_ioctl(dev_fd, KVM_HAS_DEVICE_ATTR, group, attr, NULL);
}

static int kvm_vfio_ioctl_set_attr(int dev_fd, uint32_t group, uint64_t attr,
                                   void *arg)
{
    return kvm_vfio_ioctl(dev_fd, KVM_SET_DEVICE_ATTR, group, attr, arg);
}

static const KVMVFIOIrqBackend kvm_vfio_ioctl_backend = {
    .has_attr = kvm_vfio_ioctl_has_attr,
    .set_attr = kvm_vfio_ioctl_set_attr,
};

static const KVMVFIOIrqBackend *backend = &kvm_vfio_ioctl_backend;

/*
 * What the kernel answered to KVM_HAS_DEVICE_ATTR, per operation, for the
 * VM's kvm-vfio device (there is one): it cannot change while it lives.
 */
static struct {
    int fd;
    bool known[KVM_VFIO_IRQ_OP__MAX];
    int ret[KVM_VFIO_IRQ_OP__MAX];
} probed = { .fd = -1 };

/* Wired guest lines: forwarded; held high or raised while forwarded */
static struct {
    DECLARE_BITMAP(forwarded, KVM_VFIO_IRQ_MAX_LINES);
    DECLARE_BITMAP(high, KVM_VFIO_IRQ_MAX_LINES);
    DECLARE_BITMAP(shared, KVM_VFIO_IRQ_MAX_LINES);
} lines;

void kvm_vfio_irq_set_test_backend(const KVMVFIOIrqBackend *b)
{
    backend = b ? b : &kvm_vfio_ioctl_backend;
    memset(&probed, 0, sizeof(probed));
    probed.fd = -1;
    memset(&lines, 0, sizeof(lines));
}

const char *kvm_vfio_irq_op_name(KVMVFIOIrqOp op)
{
    assert(op < KVM_VFIO_IRQ_OP__MAX);
    return kvm_vfio_irq_ops[op].name;
}

/* What each errno of the design note means, for the user. */
static const char *kvm_vfio_irq_reason(int err)
{
    switch (err) {
    case ENXIO:
        return "the kernel does not implement kvm-vfio IRQ forwarding";
    case EINVAL:
        return "the kernel refused the request (bad size, flags or range, "
               "or this IRQ type cannot be forwarded)";
    case EBADF:
    case EPERM:
        return "the VFIO device is not registered with this VM's kvm-vfio "
               "device, or was opened for another VM";
    case EBUSY:
        return "the IRQ is busy: forwarded or posted already, its host line "
               "shared with another device, or a resamplefd or unmask "
               "eventfd still attached";
    case EFAULT:
        return "the kernel could not read the request";
    default:
        return "unexpected kernel error";
    }
}

bool kvm_vfio_irq_supported(int kvm_vfio_fd, KVMVFIOIrqOp op, Error **errp)
{
    int ret;

    assert(op < KVM_VFIO_IRQ_OP__MAX);
    if (probed.fd != kvm_vfio_fd) {
        memset(&probed, 0, sizeof(probed));
        probed.fd = kvm_vfio_fd;
    }
    if (!probed.known[op]) {
        ret = backend->has_attr(kvm_vfio_fd, KVM_DEV_VFIO_DEVICE,
                                kvm_vfio_irq_ops[op].attr);
        trace_kvm_vfio_irq_probe(kvm_vfio_irq_ops[op].name, ret);
        probed.known[op] = true;
        probed.ret[op] = ret;
    }
    ret = probed.ret[op];
    if (ret < 0) {
        error_setg_errno(errp, -ret, "kvm-vfio IRQ %s: %s",
                         kvm_vfio_irq_ops[op].name, kvm_vfio_irq_reason(-ret));
        return false;
    }
    return true;
}

int kvm_vfio_irq_request(int kvm_vfio_fd, KVMVFIOIrqOp op, int vfio_dev_fd,
                         uint32_t index, uint32_t start, uint32_t count,
                         const uint32_t *gsi, Error **errp)
{
    g_autofree struct kvm_vfio_dev_irq *req = NULL;
    size_t argsz;
    int ret;

    assert(op < KVM_VFIO_IRQ_OP__MAX);
    if (count == 0 || count > KVM_VFIO_IRQ_MAX_COUNT ||
        start > UINT32_MAX - count || vfio_dev_fd < 0) {
        error_setg(errp, "kvm-vfio IRQ %s: invalid request (fd %d, index %u, "
                   "start %u, count %u)", kvm_vfio_irq_ops[op].name,
                   vfio_dev_fd, index, start, count);
        return -EINVAL;
    }

    argsz = sizeof(*req) + count * sizeof(req->gsi[0]);
    req = g_malloc0(argsz);
    req->argsz = argsz;
    req->flags = 0;
    req->fd = vfio_dev_fd;
    req->index = index;
    req->start = start;
    req->count = count;
    memcpy(req->gsi, gsi, count * sizeof(req->gsi[0]));

    ret = backend->set_attr(kvm_vfio_fd, KVM_DEV_VFIO_DEVICE,
                            kvm_vfio_irq_ops[op].attr, req);
    trace_kvm_vfio_irq_request(kvm_vfio_irq_ops[op].name, vfio_dev_fd, index,
                               start, count, gsi[0], ret);
    /* After a failed UNFORWARD the kernel may still hold the line */
    if ((op == KVM_VFIO_IRQ_UNFORWARD || op == KVM_VFIO_IRQ_FORWARD) &&
        ret == 0) {
        for (uint32_t i = 0; i < count; i++) {
            if (gsi[i] < KVM_VFIO_IRQ_MAX_LINES) {
                if (op == KVM_VFIO_IRQ_FORWARD) {
                    set_bit(gsi[i], lines.forwarded);
                } else {
                    clear_bit(gsi[i], lines.forwarded);
                }
            }
        }
    }
    if (ret < 0) {
        error_setg_errno(errp, -ret, "kvm-vfio IRQ %s (index %u, start %u, "
                         "count %u): %s", kvm_vfio_irq_ops[op].name, index,
                         start, count, kvm_vfio_irq_reason(-ret));
        return ret;
    }
    return 0;
}

/*
 * x86 MSI format (SDM vol. 3, 11.11): address bits 19:12 the destination
 * ID (bits 31:8 of it in address_hi, KVM's extended format), bit 2 the
 * destination mode; data bits 10:8 the delivery mode.  The kernel posts
 * only fixed and lowest-priority interrupts aimed at a single vCPU.
 */
#define MSI_ADDR_BASE_MASK      0xfff00000u
#define MSI_ADDR_BASE           0xfee00000u
#define MSI_ADDR_DEST_LOGICAL   (1u << 2)
#define MSI_DATA_DM_SHIFT       8
#define MSI_DATA_DM_MASK        7u
#define MSI_DATA_DM_FIXED       0
#define MSI_DATA_DM_LOWPRI      1

const char *kvm_vfio_irq_msi_unpostable(uint32_t address_lo,
                                        uint32_t address_hi, uint32_t data)
{
    uint32_t dm = (data >> MSI_DATA_DM_SHIFT) & MSI_DATA_DM_MASK;
    uint32_t dest = (address_hi & 0xffffff00u) | ((address_lo >> 12) & 0xff);

    if ((address_lo & MSI_ADDR_BASE_MASK) != MSI_ADDR_BASE) {
        return "the route is not an x86 MSI";
    }
    if (dm != MSI_DATA_DM_FIXED && dm != MSI_DATA_DM_LOWPRI) {
        return "the route's delivery mode is not fixed or lowest-priority";
    }
    /*
     * Which vCPUs a logical ID names depends on the guest's APICs, and
     * the API leaves judging a route to userspace (design note: UNPOST
     * what cannot be posted, e.g. multi-destination).
     */
    if (address_lo & MSI_ADDR_DEST_LOGICAL) {
        return "the route uses logical destination mode";
    }
    /* 0xff is xAPIC broadcast; in x2APIC mode it could be APIC ID 255. */
    if (dest == 0xff || dest == UINT32_MAX) {
        return "the route is a broadcast";
    }
    return NULL;
}

const char *kvm_vfio_irq_route_unpostable(
    const struct kvm_irq_routing_entry *route)
{
    if (!route) {
        return "the GSI has no KVM route";
    }
    /* e.g. a Xen event channel: not a message the IOMMU can post */
    if (route->type != KVM_IRQ_ROUTING_MSI) {
        return "the KVM route is not an MSI route";
    }
    return kvm_vfio_irq_msi_unpostable(route->u.msi.address_lo,
                                       route->u.msi.address_hi,
                                       route->u.msi.data);
}

/*
 * GSIs whose last MSI route update interrupt remapping refused (an
 * invalid or blocked IRTE): KVM still holds the old route, which must
 * not be posted.
 */
static GHashTable *blocked_routes;

void kvm_vfio_irq_set_route_blocked(int gsi, bool blocked)
{
    if (gsi < 0) {
        return;
    }
    if (!blocked_routes) {
        blocked_routes = g_hash_table_new(NULL, NULL);
    }
    if (blocked) {
        g_hash_table_add(blocked_routes, GINT_TO_POINTER(gsi));
    } else {
        g_hash_table_remove(blocked_routes, GINT_TO_POINTER(gsi));
    }
}

bool kvm_vfio_irq_route_blocked(int gsi)
{
    return blocked_routes &&
           g_hash_table_contains(blocked_routes, GINT_TO_POINTER(gsi));
}

static NotifierList route_notifiers =
    NOTIFIER_LIST_INITIALIZER(route_notifiers);

void kvm_vfio_irq_add_route_notifier(Notifier *n)
{
    notifier_list_add(&route_notifiers, n);
}

void kvm_vfio_irq_remove_route_notifier(Notifier *n)
{
    notifier_remove(n);
}

void kvm_vfio_irq_routes_changed(void)
{
    trace_kvm_vfio_irq_routes_changed();
    notifier_list_notify(&route_notifiers, NULL);
}

static NotifierList shared_notifiers =
    NOTIFIER_LIST_INITIALIZER(shared_notifiers);

void kvm_vfio_irq_add_shared_notifier(Notifier *n)
{
    notifier_list_add(&shared_notifiers, n);
}

void kvm_vfio_irq_remove_shared_notifier(Notifier *n)
{
    notifier_remove(n);
}

void kvm_vfio_irq_line_set(int gsi, bool level)
{
    if (gsi < 0 || gsi >= KVM_VFIO_IRQ_MAX_LINES) {
        return;
    }
    if (!level) {
        clear_bit(gsi, lines.high);
        return;
    }
    set_bit(gsi, lines.high);
    if (test_bit(gsi, lines.forwarded) && !test_bit(gsi, lines.shared)) {
        set_bit(gsi, lines.shared);
        trace_kvm_vfio_irq_line_shared(gsi);
        notifier_list_notify(&shared_notifiers, &gsi);
    }
}

bool kvm_vfio_irq_line_forwarded(int gsi)
{
    return gsi >= 0 && gsi < KVM_VFIO_IRQ_MAX_LINES &&
           test_bit(gsi, lines.forwarded);
}

bool kvm_vfio_irq_line_shared(int gsi)
{
    return gsi >= 0 && gsi < KVM_VFIO_IRQ_MAX_LINES &&
           (test_bit(gsi, lines.forwarded) || test_bit(gsi, lines.high) ||
            test_bit(gsi, lines.shared));
}
