/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * kvm-vfio IRQ forwarding wrapper: requests as the kernel sees them, and
 * every kernel error turned into a clear Error.
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "qapi/error.h"
#include "system/arch_init.h"
#include "system/kvm-vfio-irq.h"

/* The target this test plays (system/arch_init.c in QEMU itself) */
static unsigned fake_arch = QEMU_ARCH_ARM;

bool qemu_arch_available(unsigned qemu_arch_mask)
{
    return qemu_arch_mask & fake_arch;
}

static struct {
    int ret;                    /* what the fake kernel answers */
    int calls;
    int dev_fd;
    uint32_t group;
    uint64_t attr;
    struct kvm_vfio_dev_irq req;
    uint32_t gsi[8];
    uint32_t words[16];         /* the request as the kernel reads it */
} fake;

static int fake_has_attr(int dev_fd, uint32_t group, uint64_t attr)
{
    fake.calls++;
    fake.dev_fd = dev_fd;
    fake.group = group;
    fake.attr = attr;
    return fake.ret;
}

static int fake_set_attr(int dev_fd, uint32_t group, uint64_t attr, void *arg)
{
    struct kvm_vfio_dev_irq *r = arg;

    fake_has_attr(dev_fd, group, attr);
    fake.req = *r;
    memcpy(fake.gsi, r->gsi, MIN(r->count, 8) * sizeof(uint32_t));
    memcpy(fake.words, arg, MIN(r->argsz, sizeof(fake.words)));
    return fake.ret;
}

static const KVMVFIOIrqBackend fake_backend = {
    .has_attr = fake_has_attr,
    .set_attr = fake_set_attr,
};

static void fake_reset(int ret)
{
    memset(&fake, 0, sizeof(fake));
    fake.ret = ret;
    kvm_vfio_irq_set_test_backend(&fake_backend);
}

static const uint64_t op_attr[] = {
    [KVM_VFIO_IRQ_FORWARD] = KVM_DEV_VFIO_DEVICE_FORWARD_IRQ,
    [KVM_VFIO_IRQ_UNFORWARD] = KVM_DEV_VFIO_DEVICE_UNFORWARD_IRQ,
    [KVM_VFIO_IRQ_POST] = KVM_DEV_VFIO_DEVICE_POST_IRQ,
    [KVM_VFIO_IRQ_UNPOST] = KVM_DEV_VFIO_DEVICE_UNPOST_IRQ,
};

static void test_probe(void)
{
    Error *err = NULL;
    KVMVFIOIrqOp op;

    for (op = 0; op < KVM_VFIO_IRQ_OP__MAX; op++) {
        fake_reset(0);
        g_assert_true(kvm_vfio_irq_supported(7, op, &error_abort));
        g_assert_cmpint(fake.calls, ==, 1);
        g_assert_cmpint(fake.dev_fd, ==, 7);
        g_assert_cmpint(fake.group, ==, KVM_DEV_VFIO_DEVICE);
        g_assert_cmpint(fake.attr, ==, op_attr[op]);

        fake_reset(-ENXIO);
        g_assert_false(kvm_vfio_irq_supported(7, op, &err));
        g_assert_nonnull(err);
        g_assert_nonnull(strstr(error_get_pretty(err), "does not implement"));
        g_assert_nonnull(strstr(error_get_pretty(err),
                                kvm_vfio_irq_op_name(op)));
        error_free(err);
        err = NULL;
    }
}

/* The kernel is asked once per kvm-vfio device and operation. */
static void test_probe_cached(void)
{
    Error *err = NULL;
    int i;

    fake_reset(-ENXIO);
    for (i = 0; i < 3; i++) {
        g_assert_false(kvm_vfio_irq_supported(7, KVM_VFIO_IRQ_POST, &err));
        g_assert_nonnull(strstr(error_get_pretty(err), "does not implement"));
        error_free(err);
        err = NULL;
    }
    g_assert_cmpint(fake.calls, ==, 1);

    /* Another operation, then another kvm-vfio device: asked anew. */
    fake.ret = 0;
    g_assert_true(kvm_vfio_irq_supported(7, KVM_VFIO_IRQ_FORWARD,
                                         &error_abort));
    g_assert_cmpint(fake.calls, ==, 2);
    g_assert_true(kvm_vfio_irq_supported(8, KVM_VFIO_IRQ_POST, &error_abort));
    g_assert_true(kvm_vfio_irq_supported(8, KVM_VFIO_IRQ_POST, &error_abort));
    g_assert_cmpint(fake.calls, ==, 3);
    g_assert_cmpint(fake.dev_fd, ==, 8);
}

static void test_request_layout(void)
{
    const uint32_t gsi[] = { 40, 41, 42 };

    fake_reset(0);
    g_assert_cmpint(kvm_vfio_irq_request(9, KVM_VFIO_IRQ_POST, 23, 2, 5, 3,
                                         gsi, &error_abort), ==, 0);
    g_assert_cmpint(fake.calls, ==, 1);
    g_assert_cmpint(fake.dev_fd, ==, 9);
    g_assert_cmpint(fake.group, ==, KVM_DEV_VFIO_DEVICE);
    g_assert_cmpint(fake.attr, ==, KVM_DEV_VFIO_DEVICE_POST_IRQ);
    g_assert_cmpint(fake.req.count, ==, 3);
    /*
     * The words the kernel reads, in the design note's order (revision
     * 2): argsz, flags (0), fd, index, start, count, then one GSI each.
     */
    g_assert_cmpint(fake.words[0], ==, 6 * 4 + 3 * 4);
    g_assert_cmpint(fake.words[1], ==, 0);
    g_assert_cmpint(fake.words[2], ==, 23);
    g_assert_cmpint(fake.words[3], ==, 2);
    g_assert_cmpint(fake.words[4], ==, 5);
    g_assert_cmpint(fake.words[5], ==, 3);
    g_assert_cmpmem(&fake.words[6], 3 * sizeof(uint32_t), gsi, sizeof(gsi));
    g_assert_cmpmem(fake.gsi, 3 * sizeof(uint32_t), gsi, sizeof(gsi));
}

/* Every errno of the design note comes back with its errno and reason. */
static void test_request_errors(void)
{
    static const struct {
        int err;
        const char *reason;
    } cases[] = {
        { ENXIO, "does not implement" },
        { EINVAL, "cannot be forwarded" },
        { EBADF, "not registered" },
        { EPERM, "not registered" },
        { EBUSY, "shared with another device" },
        { EFAULT, "could not read" },
        { EIO, "unexpected" },
    };
    const uint32_t gsi = 33;
    KVMVFIOIrqOp op;
    int i;

    for (op = 0; op < KVM_VFIO_IRQ_OP__MAX; op++) {
        for (i = 0; i < ARRAY_SIZE(cases); i++) {
            Error *err = NULL;
            const char *msg;

            fake_reset(-cases[i].err);
            g_assert_cmpint(kvm_vfio_irq_request(9, op, 23, 0, 0, 1, &gsi,
                                                 &err), ==, -cases[i].err);
            g_assert_cmpint(fake.calls, ==, 1);
            g_assert_nonnull(err);
            msg = error_get_pretty(err);
            g_assert_nonnull(strstr(msg, cases[i].reason));
            g_assert_nonnull(strstr(msg, g_strerror(cases[i].err)));
            g_assert_nonnull(strstr(msg, kvm_vfio_irq_op_name(op)));
            error_free(err);
        }
    }
}

/* Requests the kernel would have to refuse never reach it. */
static void test_request_invalid(void)
{
    const uint32_t gsi = 33;
    Error *err = NULL;

    fake_reset(0);
    g_assert_cmpint(kvm_vfio_irq_request(9, KVM_VFIO_IRQ_FORWARD, 23, 0, 0, 0,
                                         &gsi, &err), ==, -EINVAL);
    error_free_or_abort(&err);
    g_assert_cmpint(kvm_vfio_irq_request(9, KVM_VFIO_IRQ_FORWARD, 23, 0,
                                         UINT32_MAX, 1, &gsi, &err), ==,
                    -EINVAL);
    error_free_or_abort(&err);
    g_assert_cmpint(kvm_vfio_irq_request(9, KVM_VFIO_IRQ_FORWARD, 23, 0, 0,
                                         KVM_VFIO_IRQ_MAX_COUNT + 1, &gsi,
                                         &err), ==, -EINVAL);
    error_free_or_abort(&err);
    g_assert_cmpint(kvm_vfio_irq_request(9, KVM_VFIO_IRQ_FORWARD, -1, 0, 0, 1,
                                         &gsi, &err), ==, -EINVAL);
    error_free_or_abort(&err);
    g_assert_cmpint(fake.calls, ==, 0);
}

/* The real ioctl backend on a fd that is no kvm-vfio device: EBADF/ENOTTY. */
static void test_ioctl_backend(void)
{
    const uint32_t gsi = 33;
    Error *err = NULL;
    int fd = open("/dev/null", O_RDONLY);

    g_assert_cmpint(fd, >=, 0);
    kvm_vfio_irq_set_test_backend(NULL);
    g_assert_false(kvm_vfio_irq_supported(fd, KVM_VFIO_IRQ_FORWARD, &err));
    error_free_or_abort(&err);
    g_assert_cmpint(kvm_vfio_irq_request(fd, KVM_VFIO_IRQ_FORWARD, fd, 0, 0,
                                         1, &gsi, &err), ==, -ENOTTY);
    g_assert_nonnull(strstr(error_get_pretty(err), g_strerror(ENOTTY)));
    error_free(err);
    close(fd);
}

/*
 * The real kernel: every released kernel's kvm-vfio device answers the
 * probe with ENXIO, which must read as "not supported", for each op.
 */
static void test_real_kvm(void)
{
    struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
    int kvm, vm, op;

    kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) {
        g_test_skip("/dev/kvm cannot be opened on this host");
        return;
    }
    vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) {
        g_test_skip("/dev/kvm cannot create a VM on this host");
        close(kvm);
        return;
    }
    if (ioctl(vm, KVM_CREATE_DEVICE, &cd) < 0) {
        g_test_skip("this KVM has no kvm-vfio device");
        close(vm);
        close(kvm);
        return;
    }

    kvm_vfio_irq_set_test_backend(NULL);
    for (op = 0; op < KVM_VFIO_IRQ_OP__MAX; op++) {
        Error *err = NULL;

        if (kvm_vfio_irq_supported(cd.fd, op, &err)) {
            /* A kernel with the API: nothing to check against here. */
            g_test_message("kvm-vfio %s: supported", kvm_vfio_irq_op_name(op));
            continue;
        }
        g_assert_nonnull(strstr(error_get_pretty(err), "does not implement"));
        g_assert_nonnull(strstr(error_get_pretty(err), g_strerror(ENXIO)));
        error_free(err);
    }
    close(cd.fd);
    close(vm);
    close(kvm);
}

/* Which IRQ kinds a target may make fast: wired on ARM, MSI on x86 */
static void test_kind_unsupported(void)
{
    fake_arch = QEMU_ARCH_ARM;
    g_assert_null(kvm_vfio_irq_kind_unsupported(false));
    g_assert_cmpstr(kvm_vfio_irq_kind_unsupported(true), ==,
                    "no kvm-vfio MSI posting on ARM");
    fake_arch = QEMU_ARCH_I386;
    g_assert_null(kvm_vfio_irq_kind_unsupported(true));
    g_assert_cmpstr(kvm_vfio_irq_kind_unsupported(false), ==,
                    "x86 has no wired IRQ forwarding");
    fake_arch = QEMU_ARCH_PPC;
    g_assert_cmpstr(kvm_vfio_irq_kind_unsupported(false), ==,
                    "this target has no IRQ forwarding or posting");
    g_assert_cmpstr(kvm_vfio_irq_kind_unsupported(true), ==,
                    "this target has no IRQ forwarding or posting");
    fake_arch = QEMU_ARCH_ARM;
}

/*
 * x86 MSI routes the kernel can post: fixed or lowest-priority delivery
 * to one physical APIC ID.  Everything else is refused with its reason.
 */
static void test_msi_postable(void)
{
    static const struct {
        uint32_t lo, hi, data;
        const char *reason;     /* substring, or NULL: postable */
    } cases[] = {
        { 0xfee01000, 0, 0x0041, NULL },                /* APIC 1, fixed */
        { 0xfee00000, 0, 0x0141, NULL },                /* APIC 0, lowpri */
        { 0xfee01008, 0, 0x4031, NULL },                /* RH set, level */
        { 0xfeefe000, 0, 0x0020, NULL },                /* APIC 0xfe */
        { 0xfee0f000, 0x100, 0x0020, NULL },            /* x2APIC 0x10f */
        { 0xfee00000, 0, 0x0200, "delivery mode" },     /* SMI */
        { 0xfee00000, 0, 0x0400, "delivery mode" },     /* NMI */
        { 0xfee00000, 0, 0x0500, "delivery mode" },     /* INIT */
        { 0xfee00000, 0, 0x0700, "delivery mode" },     /* ExtINT */
        { 0xfee01004, 0, 0x0041, "logical" },
        { 0xfee0f004, 0, 0x0141, "logical" },
        { 0xfeeff000, 0, 0x0041, "broadcast" },
        { 0xfeeff000, 0xffffff00, 0x0041, "broadcast" },
        { 0x12340000, 0, 0x0041, "not an x86 MSI" },
    };
    int i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *why = kvm_vfio_irq_msi_unpostable(cases[i].lo, cases[i].hi,
                                                      cases[i].data);

        if (!cases[i].reason) {
            g_assert_null(why);
            continue;
        }
        g_assert_nonnull(why);
        g_test_message("%08x:%08x data %04x: %s", cases[i].hi, cases[i].lo,
                       cases[i].data, why);
        g_assert_nonnull(strstr(why, cases[i].reason));
    }
}

/*
 * Whether a vector can be posted is read from the route KVM holds for its
 * GSI (after interrupt remapping, or a Xen event channel), not from the
 * guest's message.
 */
static void test_route_unpostable(void)
{
    struct kvm_irq_routing_entry msi = {
        .gsi = 24, .type = KVM_IRQ_ROUTING_MSI,
        .u.msi = { .address_lo = 0xfee01000, .data = 0x0041 },
    };
    struct kvm_irq_routing_entry evtchn = {
        .gsi = 26, .type = KVM_IRQ_ROUTING_XEN_EVTCHN,
        .u.xen_evtchn = { .port = 0xfee01000, .vcpu = 0 },
    };

    g_assert_null(kvm_vfio_irq_route_unpostable(&msi));
    g_assert_nonnull(strstr(kvm_vfio_irq_route_unpostable(NULL),
                            "no KVM route"));
    g_assert_nonnull(strstr(kvm_vfio_irq_route_unpostable(&evtchn),
                            "not an MSI route"));
    /* An IRTE rewritten: the answer follows the route KVM holds. */
    msi.u.msi.address_lo = 0xfee01004;
    g_assert_nonnull(strstr(kvm_vfio_irq_route_unpostable(&msi), "logical"));
}

/* A route update that interrupt remapping refused leaves a stale route. */
static void test_route_blocked(void)
{
    g_assert_false(kvm_vfio_irq_route_blocked(24));
    kvm_vfio_irq_set_route_blocked(24, true);
    kvm_vfio_irq_set_route_blocked(-1, true);
    g_assert_true(kvm_vfio_irq_route_blocked(24));
    g_assert_false(kvm_vfio_irq_route_blocked(25));
    g_assert_false(kvm_vfio_irq_route_blocked(-1));
    kvm_vfio_irq_set_route_blocked(24, true);
    kvm_vfio_irq_set_route_blocked(24, false);
    g_assert_false(kvm_vfio_irq_route_blocked(24));
}

static int route_calls[2];

static void count_route_change(Notifier *n, void *data)
{
    route_calls[0]++;
}

static void count_route_change_too(Notifier *n, void *data)
{
    route_calls[1]++;
}

/* Every registered user hears of a remapping change, until removed. */
static void test_route_notifier(void)
{
    Notifier a = { .notify = count_route_change };
    Notifier b = { .notify = count_route_change_too };

    kvm_vfio_irq_routes_changed();
    g_assert_cmpint(route_calls[0] + route_calls[1], ==, 0);
    kvm_vfio_irq_add_route_notifier(&a);
    kvm_vfio_irq_add_route_notifier(&b);
    kvm_vfio_irq_routes_changed();
    g_assert_cmpint(route_calls[0], ==, 1);
    g_assert_cmpint(route_calls[1], ==, 1);
    kvm_vfio_irq_remove_route_notifier(&a);
    kvm_vfio_irq_routes_changed();
    g_assert_cmpint(route_calls[0], ==, 1);
    g_assert_cmpint(route_calls[1], ==, 2);
    kvm_vfio_irq_remove_route_notifier(&b);
    kvm_vfio_irq_routes_changed();
    g_assert_cmpint(route_calls[1], ==, 2);
}

static int shared_calls;
static int shared_gsi = -1;

static void count_shared(Notifier *n, void *data)
{
    shared_calls++;
    shared_gsi = *(int *)data;
}

/*
 * Wired lines that QEMU's own sources drive: a forwarded line raised by
 * one is reported once, before the call returns; other lines and levels
 * are only tracked.
 */
static void test_line_shared(void)
{
    Notifier n = { .notify = count_shared };
    Error *err = NULL;
    uint32_t gsi = 37, big = KVM_VFIO_IRQ_MAX_LINES;

    fake_reset(0);
    kvm_vfio_irq_add_shared_notifier(&n);
    /* Held high: shared while high, not reported (nothing forwarded) */
    kvm_vfio_irq_line_set(37, true);
    g_assert_true(kvm_vfio_irq_line_shared(37));
    kvm_vfio_irq_line_set(37, false);
    g_assert_false(kvm_vfio_irq_line_shared(37));
    g_assert_cmpint(shared_calls, ==, 0);

    /* A FORWARD the kernel refuses forwards nothing */
    fake.ret = -EBUSY;
    g_assert_cmpint(kvm_vfio_irq_request(7, KVM_VFIO_IRQ_FORWARD, 9, 0, 0, 1,
                                         &gsi, &err), ==, -EBUSY);
    g_clear_pointer(&err, error_free);
    kvm_vfio_irq_line_set(37, true);
    kvm_vfio_irq_line_set(37, false);
    g_assert_cmpint(shared_calls, ==, 0);
    g_assert_false(kvm_vfio_irq_line_shared(37));

    fake.ret = 0;
    g_assert_cmpint(kvm_vfio_irq_request(7, KVM_VFIO_IRQ_FORWARD, 9, 0, 0, 1,
                                         &gsi, &error_abort), ==, 0);
    kvm_vfio_irq_line_set(36, true);
    kvm_vfio_irq_line_set(37, false);
    g_assert_cmpint(shared_calls, ==, 0);
    kvm_vfio_irq_line_set(37, true);
    g_assert_cmpint(shared_calls, ==, 1);
    g_assert_cmpint(shared_gsi, ==, 37);
    /* Shared for good: not reported again, lowered or not */
    kvm_vfio_irq_line_set(37, false);
    g_assert_true(kvm_vfio_irq_line_shared(37));
    kvm_vfio_irq_line_set(37, true);
    g_assert_cmpint(shared_calls, ==, 1);

    /*
     * A failed UNFORWARD leaves the line forwarded (the kernel may still
     * hold it); after one that succeeds nothing is reported
     */
    g_assert_cmpint(kvm_vfio_irq_request(7, KVM_VFIO_IRQ_FORWARD, 9, 0, 0, 1,
                                         &big, &error_abort), ==, 0);
    fake.ret = -EINVAL;
    gsi = 38;
    g_assert_cmpint(kvm_vfio_irq_request(7, KVM_VFIO_IRQ_FORWARD, 9, 0, 0, 1,
                                         &gsi, &err), ==, -EINVAL);
    g_clear_pointer(&err, error_free);
    fake.ret = 0;
    g_assert_cmpint(kvm_vfio_irq_request(7, KVM_VFIO_IRQ_FORWARD, 9, 0, 0, 1,
                                         &gsi, &error_abort), ==, 0);
    g_assert_true(kvm_vfio_irq_line_forwarded(38));
    fake.ret = -EIO;
    g_assert_cmpint(kvm_vfio_irq_request(7, KVM_VFIO_IRQ_UNFORWARD, 9, 0, 0,
                                         1, &gsi, &err), ==, -EIO);
    g_clear_pointer(&err, error_free);
    g_assert_true(kvm_vfio_irq_line_forwarded(38));
    fake.ret = 0;
    g_assert_cmpint(kvm_vfio_irq_request(7, KVM_VFIO_IRQ_UNFORWARD, 9, 0, 0,
                                         1, &gsi, &error_abort), ==, 0);
    g_assert_false(kvm_vfio_irq_line_forwarded(38));
    kvm_vfio_irq_line_set(38, true);
    g_assert_cmpint(shared_calls, ==, 1);

    /* Lines out of range are neither tracked nor reported */
    kvm_vfio_irq_line_set(-1, true);
    kvm_vfio_irq_line_set(KVM_VFIO_IRQ_MAX_LINES, true);
    g_assert_false(kvm_vfio_irq_line_shared(-1));
    g_assert_false(kvm_vfio_irq_line_shared(KVM_VFIO_IRQ_MAX_LINES));
    g_assert_cmpint(shared_calls, ==, 1);
    kvm_vfio_irq_remove_shared_notifier(&n);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/kvm-vfio-irq/probe", test_probe);
    g_test_add_func("/kvm-vfio-irq/probe-cached", test_probe_cached);
    g_test_add_func("/kvm-vfio-irq/request-layout", test_request_layout);
    g_test_add_func("/kvm-vfio-irq/request-errors", test_request_errors);
    g_test_add_func("/kvm-vfio-irq/request-invalid", test_request_invalid);
    g_test_add_func("/kvm-vfio-irq/ioctl-backend", test_ioctl_backend);
    g_test_add_func("/kvm-vfio-irq/real-kvm", test_real_kvm);
    g_test_add_func("/kvm-vfio-irq/kind-unsupported", test_kind_unsupported);
    g_test_add_func("/kvm-vfio-irq/msi-postable", test_msi_postable);
    g_test_add_func("/kvm-vfio-irq/route-unpostable", test_route_unpostable);
    g_test_add_func("/kvm-vfio-irq/route-blocked", test_route_blocked);
    g_test_add_func("/kvm-vfio-irq/route-notifier", test_route_notifier);
    g_test_add_func("/kvm-vfio-irq/line-shared", test_line_shared);
    return g_test_run();
}
