/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * VFIO IRQ forwarding state machine: every kernel or device error at every
 * step ends in a working fallback or a clean error, and nothing leaks.
 */

#include "qemu/osdep.h"
#include <linux/kvm.h>
#include "qapi/error.h"
#include "system/kvm-vfio-irq.h"
#include "hw/vfio/vfio-irq-forward.h"
#include "system/system.h"
#include "system/runstate.h"
#include "migration/blocker.h"
#include "migration/misc.h"
#include "migration/register.h"
#include "system/arch_init.h"

/* kvm-vfio-irq.c asks for the target; the state machine never does. */
bool qemu_arch_available(unsigned qemu_arch_mask)
{
    g_assert_not_reached();
}

/* irq-forward.c unforwards everything at exit; catch its notifier. */
static Notifier *exit_notifier;

void qemu_add_exit_notifier(Notifier *notify)
{
    g_assert_null(exit_notifier);
    exit_notifier = notify;
}

/* ... and its migration notifier and VM state handler. */
static NotifierWithReturn *mig_notifier;
static MigrationNotifyFunc mig_notify_func;
static VMChangeStateHandler *vm_handler;
static RunState fake_runstate = RUN_STATE_RUNNING;

/* Every migration mode must be covered; the test plays the normal one. */
static unsigned mig_modes;

void migration_add_notifier_mode(NotifierWithReturn *notify,
                                 MigrationNotifyFunc func, MigMode mode)
{
    g_assert_false(mig_modes & (1u << mode));
    mig_modes |= 1u << mode;
    if (mode == MIG_MODE_NORMAL) {
        mig_notifier = notify;
    }
    mig_notify_func = func;
}

VMChangeStateEntry *qemu_add_vm_change_state_handler(VMChangeStateHandler *cb,
                                                     void *opaque)
{
    g_assert_null(vm_handler);
    vm_handler = cb;
    return NULL;
}

/* ... and the bracket it puts around every VM state load. */
static const SaveVMHandlers *load_handlers;

int register_savevm_live(const char *idstr, uint32_t instance_id,
                         int version_id, const SaveVMHandlers *ops,
                         void *opaque)
{
    g_assert_null(load_handlers);
    /* Nothing of its own in the stream, nor in its setup or cleanup */
    g_assert_null(ops->save_state);
    g_assert_null(ops->save_setup);
    g_assert_null(ops->save_cleanup);
    g_assert_null(ops->save_live_iterate);
    g_assert_null(ops->save_live_complete_precopy);
    g_assert_null(ops->save_live_complete_postcopy);
    g_assert_null(ops->state_pending_estimate);
    g_assert_null(ops->state_pending_exact);
    g_assert_null(ops->load_state);
    g_assert_nonnull(ops->load_setup);
    g_assert_nonnull(ops->load_cleanup);
    load_handlers = ops;
    return 0;
}

bool runstate_check(RunState state)
{
    return state == fake_runstate;
}

static void migration_event(MigrationEventType type)
{
    MigrationEvent e = { .type = type };

    g_assert_cmphex(mig_modes, ==, (1u << MIG_MODE__MAX) - 1);
    g_assert_nonnull(mig_notify_func);
    g_assert_cmpint(mig_notify_func(mig_notifier, &e, &error_abort), ==, 0);
}

#define KVM_FD 50
#define VFIO_FD 60

/* Where a fault can be injected. */
enum {
    F_NONE,
    F_PROBE,
    F_IRQFD,
    F_IRQFD_RESAMPLE,
    F_TRIGGER,
    F_TRIGGER_USER,
    F_UNMASK,
    F_FORWARD,
    F_POST,
    F_UNFORWARD,
    F_UNPOST,
    F__MAX,
};

static const char *const fault_names[F__MAX] = {
    "none", "probe", "irqfd", "irqfd-resample",
    "trigger", "trigger-user",
    "unmask", "forward", "post", "unforward", "unpost",
};

/* What one IRQ holds, for the kernel's per-IRQ preconditions. */
typedef struct {
    int irqfd, resample, trigger, user, unmask;
    bool masked;                /* at VFIO, by VFIOIrqFwdOps.mask */
} FakeIrq;

/* Live resources, as the device and the kernel would hold them. */
static struct {
    int fault, err;
    int fault2;                 /* a second fault point, F_NONE if none */
    int irqfds, resamplefds, triggers, user_triggers, unmasks;
    GSList *blockers;           /* migration blockers: there must be none */
    GHashTable *kernel;         /* irq_key() -> gsi + 1 */
    GHashTable *irqs;           /* irq_key() -> FakeIrq */
    int kernel_calls;
    unsigned posts[8];          /* the count of the first POSTs, in order */
    unsigned nposts;
    int refreshes;
    int masks;
} f;

/* An IRQ of a device, as the kernel names it: (fd, index, start). */
static gpointer irq_key(int fd, uint32_t index, uint32_t subindex)
{
    g_assert_cmpint(fd - VFIO_FD, >=, 0);
    g_assert_cmpint(fd - VFIO_FD, <, 256);
    return GUINT_TO_POINTER((fd - VFIO_FD) << 24 | index << 16 | subindex);
}

static FakeIrq *fake_irq(VFIOIrqFwd *fwd)
{
    gpointer key = irq_key(fwd->dev->vfio_fd, fwd->index, fwd->subindex);
    FakeIrq *irq = g_hash_table_lookup(f.irqs, key);

    if (!irq) {
        irq = g_new0(FakeIrq, 1);
        g_hash_table_insert(f.irqs, key, irq);
    }
    return irq;
}

static bool faulty(int where)
{
    return f.fault == where || (f.fault2 != F_NONE && f.fault2 == where);
}

static bool fault(int where, Error **errp)
{
    if (faulty(where)) {
        error_setg_errno(errp, f.err, "fake %s failure", fault_names[where]);
        return true;
    }
    return false;
}

/* Forwarding must not make a device unmigratable: catch any blocker. */
int migrate_add_blocker(Error **reasonp, Error **errp)
{
    g_assert_null(g_slist_find(f.blockers, *reasonp));
    f.blockers = g_slist_prepend(f.blockers, *reasonp);
    return 0;
}

void migrate_del_blocker(Error **reasonp)
{
    g_assert_nonnull(g_slist_find(f.blockers, *reasonp));
    f.blockers = g_slist_remove(f.blockers, *reasonp);
    g_clear_pointer(reasonp, error_free);
}

/* An MSI vector's irqfd and trigger are its device's: no op for it. */
static void assert_wired(VFIOIrqFwd *fwd)
{
    g_assert_cmpint(fwd->kind, !=, VFIO_IRQ_KIND_MSI);
}

static bool fake_irqfd_add(VFIOIrqFwd *fwd, bool resample, Error **errp)
{
    assert_wired(fwd);
    g_assert_cmpint(fwd->gsi, >=, 0);
    if (fault(resample ? F_IRQFD_RESAMPLE : F_IRQFD, errp)) {
        return false;
    }
    f.irqfds++;
    f.resamplefds += resample;
    fake_irq(fwd)->irqfd++;
    fake_irq(fwd)->resample += resample;
    return true;
}

/*
 * The API's guarantee: the kernel ends a forwarding before what it
 * depends on goes.  QEMU may rely on it only after UNFORWARD or UNPOST
 * failed; otherwise it must have ended the forwarding itself.
 */
static void fake_kernel_drop(VFIOIrqFwd *fwd)
{
    if (g_hash_table_remove(f.kernel, irq_key(fwd->dev->vfio_fd, fwd->index,
                                              fwd->subindex))) {
        g_assert_true(fwd->undo_failed);
    }
}

static void fake_irqfd_del(VFIOIrqFwd *fwd, bool resample)
{
    assert_wired(fwd);
    fake_kernel_drop(fwd);
    f.irqfds--;
    f.resamplefds -= resample;
    fake_irq(fwd)->irqfd--;
    fake_irq(fwd)->resample -= resample;
}

static bool fake_trigger_set(VFIOIrqFwd *fwd, bool userspace, Error **errp)
{
    assert_wired(fwd);
    if (fault(userspace ? F_TRIGGER_USER : F_TRIGGER, errp)) {
        return false;
    }
    f.triggers++;
    f.user_triggers += userspace;
    fake_irq(fwd)->trigger++;
    fake_irq(fwd)->user += userspace;
    return true;
}

static void fake_trigger_clear(VFIOIrqFwd *fwd, bool userspace)
{
    assert_wired(fwd);
    fake_kernel_drop(fwd);
    f.triggers--;
    f.user_triggers -= userspace;
    fake_irq(fwd)->trigger--;
    fake_irq(fwd)->user -= userspace;
}

static bool fake_unmask_set(VFIOIrqFwd *fwd, Error **errp)
{
    assert_wired(fwd);
    if (fault(F_UNMASK, errp)) {
        return false;
    }
    f.unmasks++;
    fake_irq(fwd)->unmask++;
    return true;
}

static void fake_unmask_clear(VFIOIrqFwd *fwd)
{
    assert_wired(fwd);
    f.unmasks--;
    fake_irq(fwd)->unmask--;
}

/* The device's update path, as vfio-pci's INTx route update. */
static void fake_refresh(VFIOIrqFwd *fwd)
{
    assert_wired(fwd);
    f.refreshes++;
    fake_irq(fwd)->masked = false;      /* its update path unmasks */
    g_assert_true(vfio_irq_fwd_update(fwd, fwd->gsi, &error_abort));
}

static void fake_mask(VFIOIrqFwd *fwd)
{
    assert_wired(fwd);
    g_assert_cmpint(fwd->mode, ==, VFIO_IRQ_MODE_FORWARDED);
    f.masks++;
    fake_irq(fwd)->masked = true;
}

/*
 * vfio-pci's part for an MSI vector, before it enables or updates it:
 * VFIO's trigger pointed at the vector's irqfd (@kvm) or at QEMU.  A
 * posted vector is unposted first; if that failed, the kernel ends the
 * posting itself when the trigger changes.
 */
static void fake_msi_wire(VFIOIrqFwd *fwd, bool kvm)
{
    FakeIrq *irq = fake_irq(fwd);

    g_assert_cmpint(fwd->kind, ==, VFIO_IRQ_KIND_MSI);
    g_assert_cmpint(fwd->mode, !=, VFIO_IRQ_MODE_POSTED);
    if (irq->irqfd != kvm || irq->user != !kvm) {
        fake_kernel_drop(fwd);
    }
    irq->irqfd = kvm;
    irq->trigger = 1;
    irq->user = !kvm;
    fwd->irqfd_allowed = kvm;
}

/* ... and its teardown (VFIO_DEVICE_SET_IRQS with count 0). */
static void fake_msi_unwire(VFIOIrqFwd *fwd)
{
    FakeIrq *irq = fake_irq(fwd);

    g_assert_cmpint(fwd->mode, !=, VFIO_IRQ_MODE_POSTED);
    fake_kernel_drop(fwd);
    irq->irqfd = irq->trigger = irq->user = 0;
}

static const VFIOIrqFwdOps fake_ops = {
    .irqfd_add = fake_irqfd_add,
    .irqfd_del = fake_irqfd_del,
    .trigger_set = fake_trigger_set,
    .trigger_clear = fake_trigger_clear,
    .unmask_set = fake_unmask_set,
    .unmask_clear = fake_unmask_clear,
    .refresh = fake_refresh,
    .mask = fake_mask,
};

static int fake_has_attr(int dev_fd, uint32_t group, uint64_t attr)
{
    g_assert_cmpint(dev_fd, ==, KVM_FD);
    g_assert_cmpint(group, ==, KVM_DEV_VFIO_DEVICE);
    return f.fault == F_PROBE ? -f.err : 0;
}

/*
 * A kernel that keeps the forwarded/posted set and its preconditions, for
 * each sub-index of the request: all of them or none.
 */
static int fake_set_attr(int dev_fd, uint32_t group, uint64_t attr, void *arg)
{
    struct kvm_vfio_dev_irq *r = arg;
    bool on = attr == KVM_DEV_VFIO_DEVICE_FORWARD_IRQ ||
              attr == KVM_DEV_VFIO_DEVICE_POST_IRQ;
    uint32_t i;

    f.kernel_calls++;
    g_assert_cmpint(dev_fd, ==, KVM_FD);
    g_assert_cmpint(r->count, >=, 1);
    g_assert_cmpint(r->argsz, ==, sizeof(*r) + r->count * sizeof(r->gsi[0]));
    g_assert_cmpint(r->flags, ==, 0);       /* a real kernel: EINVAL */
    /* Only posting has a reason to batch: a vCPU's vectors come together */
    g_assert(r->count == 1 || attr == KVM_DEV_VFIO_DEVICE_POST_IRQ);
    if (attr == KVM_DEV_VFIO_DEVICE_POST_IRQ) {
        if (f.nposts < ARRAY_SIZE(f.posts)) {
            f.posts[f.nposts] = r->count;
        }
        f.nposts++;
    }
    if ((attr == KVM_DEV_VFIO_DEVICE_FORWARD_IRQ && faulty(F_FORWARD)) ||
        (attr == KVM_DEV_VFIO_DEVICE_POST_IRQ && faulty(F_POST)) ||
        (attr == KVM_DEV_VFIO_DEVICE_UNFORWARD_IRQ && faulty(F_UNFORWARD)) ||
        (attr == KVM_DEV_VFIO_DEVICE_UNPOST_IRQ && faulty(F_UNPOST))) {
        return -f.err;
    }
    for (i = 0; i < r->count; i++) {
        gpointer key = irq_key(r->fd, r->index, r->start + i);
        FakeIrq *irq = g_hash_table_lookup(f.irqs, key);

        if (!on) {
            if (!g_hash_table_contains(f.kernel, key)) {
                return -EINVAL;
            }
            continue;
        }
        /* The API's preconditions: irqfd + trigger set, no resamplefd. */
        if (!irq || irq->irqfd != 1 || irq->trigger != 1 || irq->user) {
            return -EINVAL;
        }
        if (irq->resample || irq->unmask ||
            g_hash_table_contains(f.kernel, key)) {
            return -EBUSY;
        }
    }
    for (i = 0; i < r->count; i++) {
        gpointer key = irq_key(r->fd, r->index, r->start + i);

        if (on) {
            g_hash_table_insert(f.kernel, key,
                                GUINT_TO_POINTER(r->gsi[i] + 1));
        } else {
            g_hash_table_remove(f.kernel, key);
        }
    }
    return 0;
}

static const KVMVFIOIrqBackend fake_backend = {
    .has_attr = fake_has_attr,
    .set_attr = fake_set_attr,
};

static void fake_reset(int where, int err)
{
    g_clear_pointer(&f.kernel, g_hash_table_destroy);
    g_clear_pointer(&f.irqs, g_hash_table_destroy);
    g_assert_null(f.blockers);
    memset(&f, 0, sizeof(f));
    f.fault = where;
    f.err = err;
    f.kernel = g_hash_table_new(NULL, NULL);
    f.irqs = g_hash_table_new_full(NULL, NULL, NULL, g_free);
    kvm_vfio_irq_set_test_backend(&fake_backend);
}

static bool mode_fast(VfioIrqMode m)
{
    return m == VFIO_IRQ_MODE_FORWARDED || m == VFIO_IRQ_MODE_POSTED;
}

/* What each mode must hold, exactly. */
static void assert_resources(VFIOIrqFwd *fwd)
{
    VfioIrqMode m = fwd->mode;
    bool fast = mode_fast(m);
    bool kfd = fast || m == VFIO_IRQ_MODE_IRQFD ||
               m == VFIO_IRQ_MODE_IRQFD_RESAMPLE;

    if (fwd->kind == VFIO_IRQ_KIND_MSI) {
        /* Posted or on its irqfd only as the device wired it */
        g_assert_cmpint(f.irqfds + f.triggers + f.unmasks, ==, 0);
        g_assert_cmpint(g_hash_table_size(f.kernel), ==, fast);
        if (fast || m == VFIO_IRQ_MODE_IRQFD) {
            g_assert_cmpint(fake_irq(fwd)->irqfd, ==, 1);
            g_assert_cmpint(fake_irq(fwd)->user, ==, 0);
        }
        g_assert_null(f.blockers);
        return;
    }

    g_assert_cmpint(f.irqfds, ==, kfd);
    g_assert_cmpint(f.resamplefds, ==, m == VFIO_IRQ_MODE_IRQFD_RESAMPLE);
    g_assert_cmpint(f.unmasks, ==, m == VFIO_IRQ_MODE_IRQFD_RESAMPLE);
    g_assert_cmpint(f.triggers, ==, m != VFIO_IRQ_MODE_DISABLED);
    g_assert_cmpint(f.user_triggers, ==, m == VFIO_IRQ_MODE_USERSPACE);
    g_assert_cmpint(g_hash_table_size(f.kernel), ==, fast);
    g_assert_null(f.blockers);
}

/* Fake device @n (0 or 1: its own VFIO fd) with one IRQ of @kind */
static void setup_nth(VFIOIrqFwdDev *dev, VFIOIrqFwd *fwd, unsigned n,
                      OnOffAuto policy, VfioIrqKind kind)
{
    static const char *const names[] = { "fake0", "fake1" };

    g_assert(n < ARRAY_SIZE(names));
    vfio_irq_fwd_dev_init(dev, NULL, names[n], VFIO_FD + n, KVM_FD, policy,
                          &fake_ops);
    vfio_irq_fwd_init(fwd, dev, NULL, kind == VFIO_IRQ_KIND_MSI ? 2 : 0, 0,
                      kind);
    if (kind == VFIO_IRQ_KIND_MSI) {
        fake_msi_wire(fwd, true);
    } else {
        fwd->irqfd_allowed = true;
    }
}

static void setup(VFIOIrqFwdDev *dev, VFIOIrqFwd *fwd, OnOffAuto policy,
                  VfioIrqKind kind)
{
    setup_nth(dev, fwd, 0, policy, kind);
}

static void test_forward_level(void)
{
    VFIOIrqFwdDev dev;
    VFIOIrqFwd fwd;

    fake_reset(F_NONE, 0);
    setup(&dev, &fwd, ON_OFF_AUTO_AUTO, VFIO_IRQ_KIND_LEVEL);
    g_assert_true(vfio_irq_fwd_enable(&fwd, 37, &error_abort));
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_FORWARDED);
    g_assert_null(fwd.reason);
    assert_resources(&fwd);
    g_assert_cmpint(GPOINTER_TO_UINT(g_hash_table_lookup(f.kernel,
                                     GUINT_TO_POINTER(0))), ==, 37 + 1);

    vfio_irq_fwd_disable(&fwd);
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_DISABLED);
    assert_resources(&fwd);
    vfio_irq_fwd_dev_exit(&dev);
}

static void test_post_msi(void)
{
    VFIOIrqFwdDev dev;
    VFIOIrqFwd fwd;

    fake_reset(F_NONE, 0);
    setup(&dev, &fwd, ON_OFF_AUTO_ON, VFIO_IRQ_KIND_MSI);
    g_assert_true(vfio_irq_fwd_enable(&fwd, 60, &error_abort));
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_POSTED);
    assert_resources(&fwd);
    vfio_irq_fwd_dev_exit(&dev);
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_DISABLED);
    assert_resources(&fwd);
}

/* Today's normal case: the kernel lacks the API; fall back silently. */
static void test_no_kernel_api(void)
{
    VFIOIrqFwdDev dev;
    VFIOIrqFwd fwd;

    fake_reset(F_PROBE, ENXIO);
    setup(&dev, &fwd, ON_OFF_AUTO_AUTO, VFIO_IRQ_KIND_LEVEL);
    g_assert_true(vfio_irq_fwd_enable(&fwd, 37, &error_abort));
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_IRQFD_RESAMPLE);
    g_assert_nonnull(strstr(fwd.reason, "does not implement"));
    g_assert_false(dev.warned);
    g_assert_cmpint(f.kernel_calls, ==, 0);
    assert_resources(&fwd);
    vfio_irq_fwd_dev_exit(&dev);
    assert_resources(&fwd);
}

static void test_policy_off(void)
{
    VFIOIrqFwdDev dev;
    VFIOIrqFwd fwd;

    fake_reset(F_NONE, 0);
    setup(&dev, &fwd, ON_OFF_AUTO_OFF, VFIO_IRQ_KIND_EDGE);
    g_assert_true(vfio_irq_fwd_enable(&fwd, 37, &error_abort));
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_IRQFD);
    g_assert_cmpstr(fwd.reason, ==, "x-forward=off");
    g_assert_cmpint(f.kernel_calls, ==, 0);
    vfio_irq_fwd_dev_exit(&dev);
    assert_resources(&fwd);
}

static void test_blocked(void)
{
    VFIOIrqFwdDev dev;
    VFIOIrqFwd fwd;
    Error *err = NULL;

    fake_reset(F_NONE, 0);
    setup(&dev, &fwd, ON_OFF_AUTO_ON, VFIO_IRQ_KIND_LEVEL);
    g_assert_false(vfio_irq_fwd_check("fake0", ON_OFF_AUTO_ON, "x-irqfd=off",
                                      &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "vfio fake0: x-forward=on: IRQs cannot be forwarded: "
                    "x-irqfd=off");
    error_free_or_abort(&err);

    fwd.blocked = "KVM is not in use";
    g_assert_false(vfio_irq_fwd_enable(&fwd, 37, &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "x-forward=on: IRQ 0.0 cannot be forwarded: "
                    "KVM is not in use");
    error_free_or_abort(&err);
    assert_resources(&fwd);

    dev.policy = ON_OFF_AUTO_AUTO;
    g_assert_true(vfio_irq_fwd_check("fake0", ON_OFF_AUTO_AUTO, "x-irqfd=off",
                                     &error_abort));
    g_assert_true(vfio_irq_fwd_check("fake0", ON_OFF_AUTO_ON, NULL,
                                     &error_abort));
    g_assert_true(vfio_irq_fwd_enable(&fwd, 37, &error_abort));
    g_assert_cmpstr(fwd.reason, ==, "KVM is not in use");
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_IRQFD_RESAMPLE);
    g_assert_false(dev.warned);
    vfio_irq_fwd_dev_exit(&dev);
    assert_resources(&fwd);

    /* No irqfd: straight to userspace. */
    setup(&dev, &fwd, ON_OFF_AUTO_AUTO, VFIO_IRQ_KIND_LEVEL);
    fwd.irqfd_allowed = false;
    g_assert_true(vfio_irq_fwd_enable(&fwd, -1, &error_abort));
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_USERSPACE);
    assert_resources(&fwd);
    vfio_irq_fwd_dev_exit(&dev);
    assert_resources(&fwd);

    /* And if even that fails, a clean error naming device and IRQ. */
    fake_reset(F_TRIGGER_USER, EBADF);
    setup(&dev, &fwd, ON_OFF_AUTO_AUTO, VFIO_IRQ_KIND_LEVEL);
    fwd.irqfd_allowed = false;
    g_assert_false(vfio_irq_fwd_enable(&fwd, -1, &err));
    g_assert_true(g_str_has_prefix(error_get_pretty(err), "IRQ 0.0: "));
    g_assert_nonnull(strstr(error_get_pretty(err), g_strerror(EBADF)));
    error_free(err);
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_DISABLED);
    assert_resources(&fwd);
    vfio_irq_fwd_dev_exit(&dev);
}

/*
 * Every fault at every step, with each errno of the API, for each kind
 * and policy: a working fallback or a clean error, nothing leaked.
 */
static void test_fault_matrix(void)
{
    static const int errs[] = { ENXIO, EINVAL, EBUSY, EBADF, EFAULT };
    static const OnOffAuto policies[] = { ON_OFF_AUTO_AUTO, ON_OFF_AUTO_ON };
    int where, e, k, p, cases = 0;

    for (where = F_NONE; where < F__MAX; where++) {
        for (e = 0; e < ARRAY_SIZE(errs); e++) {
            for (k = VFIO_IRQ_KIND_LEVEL; k <= VFIO_IRQ_KIND_MSI; k++) {
                for (p = 0; p < ARRAY_SIZE(policies); p++) {
                    VFIOIrqFwdDev dev;
                    VFIOIrqFwd fwd;
                    Error *err = NULL;
                    bool ok, fast_fault;

                    fake_reset(where, errs[e]);
                    setup(&dev, &fwd, policies[p], k);
                    ok = vfio_irq_fwd_enable(&fwd, 40, &err);
                    /* An MSI vector's irqfd and trigger are pci.c's */
                    fast_fault = where == F_PROBE ||
                                 (k == VFIO_IRQ_KIND_MSI ? where == F_POST :
                                  where == F_IRQFD || where == F_TRIGGER ||
                                  where == F_FORWARD);
                    cases++;

                    if (policies[p] == ON_OFF_AUTO_ON && fast_fault) {
                        g_assert_false(ok);
                        g_assert_true(g_str_has_prefix(error_get_pretty(err),
                                                       "x-forward=on: IRQ "));
                        g_assert_nonnull(strstr(error_get_pretty(err),
                                                g_strerror(errs[e])));
                        g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_DISABLED);
                        error_free(err);
                    } else if (!fast_fault) {
                        g_assert_true(ok);
                        g_assert_cmpint(fwd.mode, ==,
                                        k == VFIO_IRQ_KIND_MSI ?
                                        VFIO_IRQ_MODE_POSTED :
                                        VFIO_IRQ_MODE_FORWARDED);
                    } else {
                        /* Under auto the IRQ always ends up working. */
                        VfioIrqMode legacy = k == VFIO_IRQ_KIND_LEVEL ?
                            VFIO_IRQ_MODE_IRQFD_RESAMPLE : VFIO_IRQ_MODE_IRQFD;
                        /* The level path uses irqfd_add(resample=true). */
                        bool irqfd_dead = where == F_TRIGGER ||
                            (where == F_IRQFD && k != VFIO_IRQ_KIND_LEVEL);

                        g_assert_true(ok);
                        g_assert_cmpint(fwd.mode, ==, irqfd_dead ?
                                        VFIO_IRQ_MODE_USERSPACE : legacy);
                        g_assert_nonnull(fwd.reason);
                        g_assert_nonnull(strstr(fwd.reason,
                                                g_strerror(errs[e])));
                        /* Warn only when the kernel has the API. */
                        g_assert_cmpint(dev.warned, ==, where != F_PROBE);
                    }
                    assert_resources(&fwd);
                    if (k == VFIO_IRQ_KIND_MSI) {
                        /* pci.c: unpost, then VFIO's SET_IRQS count 0 */
                        vfio_irq_fwd_disable(&fwd);
                        fake_msi_unwire(&fwd);
                    }
                    vfio_irq_fwd_dev_exit(&dev);
                    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_DISABLED);
                    assert_resources(&fwd);
                }
            }
        }
    }
    g_assert_cmpint(cases, ==, F__MAX * 5 * 3 * 2);
}

/* The guest moves the IRQ: the kernel's set follows, old GSI first out. */
static void test_update(void)
{
    VFIOIrqFwdDev dev;
    VFIOIrqFwd fwd;

    fake_reset(F_NONE, 0);
    setup(&dev, &fwd, ON_OFF_AUTO_AUTO, VFIO_IRQ_KIND_MSI);
    g_assert_true(vfio_irq_fwd_enable(&fwd, 60, &error_abort));
    g_assert_true(vfio_irq_fwd_update(&fwd, 61, &error_abort));
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_POSTED);
    g_assert_cmpint(GPOINTER_TO_UINT(g_hash_table_lookup(f.kernel,
                                     GUINT_TO_POINTER(2 << 16))), ==, 61 + 1);
    assert_resources(&fwd);

    /* Posting now fails: a consistent fallback, not a stale posting. */
    f.fault = F_POST;
    f.err = EINVAL;
    g_assert_true(vfio_irq_fwd_update(&fwd, 62, &error_abort));
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_IRQFD);
    g_assert_cmpint(fwd.gsi, ==, 62);
    assert_resources(&fwd);
    vfio_irq_fwd_dev_exit(&dev);
    assert_resources(&fwd);
}

/* One warning per device, however many IRQs fall back. */
static void test_warn_once(void)
{
    if (g_test_subprocess()) {
        VFIOIrqFwdDev dev;
        VFIOIrqFwd a, b;

        fake_reset(F_FORWARD, EINVAL);
        setup(&dev, &a, ON_OFF_AUTO_AUTO, VFIO_IRQ_KIND_LEVEL);
        vfio_irq_fwd_init(&b, &dev, NULL, 1, 0, VFIO_IRQ_KIND_LEVEL);
        b.irqfd_allowed = true;
        g_assert_true(vfio_irq_fwd_enable(&a, 40, &error_abort));
        vfio_irq_fwd_disable(&a);
        g_assert_true(vfio_irq_fwd_enable(&b, 41, &error_abort));
        vfio_irq_fwd_dev_exit(&dev);
        return;
    }
    g_test_trap_subprocess(NULL, 0, 0);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("*vfio fake0: IRQ 0.0 is not forwarded although "
                              "the kernel supports it*Invalid argument*");
    g_test_trap_assert_stderr_unmatched("*falling back*falling back*");
}

/* An IRQ kind with no fast path on this host: "on" does not apply. */
static void test_unsupported(void)
{
    VFIOIrqFwdDev dev;
    VFIOIrqFwd fwd;

    fake_reset(F_NONE, 0);
    setup(&dev, &fwd, ON_OFF_AUTO_ON, VFIO_IRQ_KIND_LEVEL);
    fwd.unsupported = "x86 has no wired IRQ forwarding";
    g_assert_true(vfio_irq_fwd_enable(&fwd, 10, &error_abort));
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_IRQFD_RESAMPLE);
    g_assert_cmpstr(fwd.reason, ==, "x86 has no wired IRQ forwarding");
    g_assert_cmpint(f.kernel_calls, ==, 0);
    g_assert_false(dev.warned);
    assert_resources(&fwd);
    vfio_irq_fwd_dev_exit(&dev);
    assert_resources(&fwd);
}

/*
 * A vector the guest enables at run time under "on": the error is
 * reported, and the IRQ still works.
 */
static void test_enable_guest(void)
{
    if (g_test_subprocess()) {
        VFIOIrqFwdDev dev;
        VFIOIrqFwd fwd;

        fake_reset(F_POST, EBUSY);
        setup(&dev, &fwd, ON_OFF_AUTO_ON, VFIO_IRQ_KIND_MSI);
        g_assert_true(vfio_irq_fwd_enable_guest(&fwd, 60, &error_abort));
        g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_IRQFD);
        g_assert_nonnull(strstr(fwd.reason, g_strerror(EBUSY)));
        assert_resources(&fwd);

        /* A route change under "on" that cannot be posted: the same. */
        g_assert_true(vfio_irq_fwd_update(&fwd, 61, &error_abort));
        g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_IRQFD);
        g_assert_cmpint(fwd.gsi, ==, 61);
        assert_resources(&fwd);
        vfio_irq_fwd_dev_exit(&dev);
        assert_resources(&fwd);
        return;
    }
    g_test_trap_subprocess(NULL, 0, 0);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("*vfio fake0: x-forward=on: IRQ 2.0 cannot be "
                              "posted: *Device or resource busy*");
}

/* At exit, every forwarded or posted IRQ is undone; the others stay. */
static void test_exit(void)
{
    VFIOIrqFwdDev dev;
    VFIOIrqFwd a, b;

    fake_reset(F_NONE, 0);
    setup(&dev, &a, ON_OFF_AUTO_AUTO, VFIO_IRQ_KIND_LEVEL);
    vfio_irq_fwd_init(&b, &dev, NULL, 1, 0, VFIO_IRQ_KIND_EDGE);
    g_assert_true(vfio_irq_fwd_enable(&a, 40, &error_abort));
    g_assert_true(vfio_irq_fwd_enable(&b, -1, &error_abort));
    g_assert_cmpint(a.mode, ==, VFIO_IRQ_MODE_FORWARDED);
    g_assert_cmpint(b.mode, ==, VFIO_IRQ_MODE_USERSPACE);
    g_assert_cmpint(g_hash_table_size(f.kernel), ==, 1);

    g_assert_nonnull(exit_notifier);
    exit_notifier->notify(exit_notifier, NULL);
    g_assert_cmpint(a.mode, ==, VFIO_IRQ_MODE_DISABLED);
    g_assert_cmpint(b.mode, ==, VFIO_IRQ_MODE_USERSPACE);
    g_assert_cmpint(g_hash_table_size(f.kernel), ==, 0);
    g_assert_null(f.blockers);
    g_assert_cmpint(f.irqfds, ==, 0);

    /* Exit twice, and exit of what was never set up: no harm. */
    vfio_irq_fwd_dev_exit(&dev);
    vfio_irq_fwd_dev_exit(&dev);
    vfio_irq_fwd_exit(&a);
    g_assert_cmpint(f.triggers, ==, 0);
    memset(&dev, 0, sizeof(dev));
    vfio_irq_fwd_dev_exit(&dev);
}

/*
 * An update reaches an IRQ its device has exited, e.g. vfio-pci's INTx
 * on an irqchip change while MSI is in use: nothing happens.
 */
static void test_update_after_exit(void)
{
    VFIOIrqFwdDev dev;
    VFIOIrqFwd fwd;
    int calls;

    fake_reset(F_NONE, 0);
    setup(&dev, &fwd, ON_OFF_AUTO_AUTO, VFIO_IRQ_KIND_LEVEL);
    g_assert_true(vfio_irq_fwd_enable(&fwd, 37, &error_abort));
    vfio_irq_fwd_exit(&fwd);
    calls = f.kernel_calls;
    g_assert_true(vfio_irq_fwd_update(&fwd, 38, &error_abort));
    vfio_irq_fwd_disable(&fwd);
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_DISABLED);
    g_assert_cmpint(f.kernel_calls, ==, calls);
    assert_resources(&fwd);
    vfio_irq_fwd_dev_exit(&dev);
}

/*
 * Migration, source side: no blocker; its start moves every forwarded or
 * posted IRQ to its fallback through the device's update path, under
 * "on" too and without an error; its failure moves them back, and after
 * success they stay.
 */
static void test_migration_source(void)
{
    VFIOIrqFwdDev dev;
    VFIOIrqFwd a, b, c;

    fake_reset(F_NONE, 0);
    setup(&dev, &a, ON_OFF_AUTO_ON, VFIO_IRQ_KIND_LEVEL);
    vfio_irq_fwd_init(&b, &dev, NULL, 2, 0, VFIO_IRQ_KIND_MSI);
    vfio_irq_fwd_init(&c, &dev, NULL, 2, 1, VFIO_IRQ_KIND_MSI);
    fake_msi_wire(&b, true);
    fake_msi_wire(&c, true);
    c.blocked = "interrupt remapping blocks the vector";
    g_assert_true(vfio_irq_fwd_enable(&a, 40, &error_abort));
    g_assert_true(vfio_irq_fwd_enable_guest(&b, 60, &error_abort));
    g_assert_true(vfio_irq_fwd_enable_guest(&c, 61, &error_abort));
    g_assert_cmpint(a.mode, ==, VFIO_IRQ_MODE_FORWARDED);
    g_assert_cmpint(b.mode, ==, VFIO_IRQ_MODE_POSTED);
    g_assert_cmpint(c.mode, ==, VFIO_IRQ_MODE_IRQFD);
    g_assert_null(f.blockers);

    migration_event(MIG_EVENT_PRECOPY_SETUP);
    g_assert_cmpint(f.refreshes, ==, 1);   /* a's: b is the state machine's */
    g_assert_cmpint(a.mode, ==, VFIO_IRQ_MODE_IRQFD_RESAMPLE);
    g_assert_cmpint(b.mode, ==, VFIO_IRQ_MODE_IRQFD);
    g_assert_true(a.paused && b.paused && !c.paused);
    g_assert_cmpstr(a.reason, ==, "paused for a migration");
    g_assert_true(g_str_has_prefix(c.reason,
                                   "interrupt remapping blocks the vector"));
    g_assert_cmpint(g_hash_table_size(f.kernel), ==, 0);
    g_assert_cmpint(f.resamplefds, ==, 1);
    g_assert_cmpint(f.unmasks, ==, 1);

    /* The guest moves a vector meanwhile: it stays off its fast path. */
    g_assert_true(vfio_irq_fwd_update(&b, 62, &error_abort));
    g_assert_cmpint(b.mode, ==, VFIO_IRQ_MODE_IRQFD);
    g_assert_true(b.paused);
    g_assert_cmpint(g_hash_table_size(f.kernel), ==, 0);

    /* Failed or cancelled: back, with the route the guest gave since. */
    migration_event(MIG_EVENT_PRECOPY_FAILED);
    g_assert_cmpint(f.refreshes, ==, 2);
    g_assert_cmpint(a.mode, ==, VFIO_IRQ_MODE_FORWARDED);
    g_assert_cmpint(b.mode, ==, VFIO_IRQ_MODE_POSTED);
    g_assert_cmpint(c.mode, ==, VFIO_IRQ_MODE_IRQFD);
    g_assert_false(a.paused || b.paused || c.paused);
    g_assert_cmpint(GPOINTER_TO_UINT(g_hash_table_lookup(f.kernel,
                                     GUINT_TO_POINTER(2 << 16))), ==, 62 + 1);
    g_assert_cmpint(g_hash_table_size(f.kernel), ==, 2);
    g_assert_cmpint(f.resamplefds + f.unmasks, ==, 0);

    /* Done: the VM stopped for good, unless it is resumed ("cont"). */
    migration_event(MIG_EVENT_PRECOPY_SETUP);
    fake_runstate = RUN_STATE_FINISH_MIGRATE;
    vm_handler(NULL, false, RUN_STATE_FINISH_MIGRATE);
    fake_runstate = RUN_STATE_POSTMIGRATE;
    migration_event(MIG_EVENT_PRECOPY_DONE);
    g_assert_cmpint(g_hash_table_size(f.kernel), ==, 0);
    g_assert_cmpint(a.mode, ==, VFIO_IRQ_MODE_IRQFD_RESAMPLE);
    g_assert_true(vfio_irq_fwd_update(&b, 63, &error_abort));
    g_assert_true(b.paused);
    fake_runstate = RUN_STATE_RUNNING;
    vm_handler(NULL, true, RUN_STATE_RUNNING);
    g_assert_cmpint(a.mode, ==, VFIO_IRQ_MODE_FORWARDED);
    g_assert_cmpint(b.mode, ==, VFIO_IRQ_MODE_POSTED);
    g_assert_cmpint(g_hash_table_size(f.kernel), ==, 2);
    vfio_irq_fwd_dev_exit(&dev);
    g_assert_cmpint(f.irqfds + f.triggers + f.unmasks, ==, 0);
    g_assert_null(f.blockers);
}

/*
 * Loading a snapshot (loadvm) stops the VM in RESTORE_VM: no IRQ stays
 * forwarded while the state loads; the VM's start forwards them again.
 */
static void test_snapshot_load(void)
{
    VFIOIrqFwdDev dev;
    VFIOIrqFwd fwd;

    fake_reset(F_NONE, 0);
    setup(&dev, &fwd, ON_OFF_AUTO_AUTO, VFIO_IRQ_KIND_LEVEL);
    g_assert_true(vfio_irq_fwd_enable(&fwd, 40, &error_abort));
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_FORWARDED);
    fake_runstate = RUN_STATE_RESTORE_VM;
    vm_handler(NULL, false, RUN_STATE_RESTORE_VM);
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_IRQFD_RESAMPLE);
    g_assert_true(fwd.paused);
    g_assert_cmpint(g_hash_table_size(f.kernel), ==, 0);
    /* The device's state load sets the IRQ up again: still paused. */
    g_assert_true(vfio_irq_fwd_update(&fwd, 41, &error_abort));
    g_assert_true(fwd.paused);
    fake_runstate = RUN_STATE_RUNNING;
    vm_handler(NULL, true, RUN_STATE_RUNNING);
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_FORWARDED);
    g_assert_cmpint(GPOINTER_TO_UINT(g_hash_table_lookup(f.kernel,
                                     GUINT_TO_POINTER(0))), ==, 41 + 1);
    /* A plain stop and start change nothing. */
    fake_runstate = RUN_STATE_PAUSED;
    vm_handler(NULL, false, RUN_STATE_PAUSED);
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_FORWARDED);
    fake_runstate = RUN_STATE_RUNNING;
    vfio_irq_fwd_dev_exit(&dev);
    assert_resources(&fwd);
}

/*
 * Every VM state load is bracketed (load_setup, load_cleanup), also one
 * that keeps the VM out of RESTORE_VM (loadvm into a paused VM, -loadvm,
 * an incoming migration's end after the VM started): nothing stays
 * forwarded while the state loads, and the IRQs come back when the VM
 * runs.
 */
static void test_state_load(void)
{
    VFIOIrqFwdDev dev;
    VFIOIrqFwd fwd;

    fake_reset(F_NONE, 0);
    setup(&dev, &fwd, ON_OFF_AUTO_ON, VFIO_IRQ_KIND_LEVEL);
    g_assert_nonnull(load_handlers);
    g_assert_true(vfio_irq_fwd_enable(&fwd, 40, &error_abort));

    /* loadvm into a paused VM */
    fake_runstate = RUN_STATE_PAUSED;
    vm_handler(NULL, false, RUN_STATE_PAUSED);
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_FORWARDED);
    g_assert_cmpint(load_handlers->load_setup(NULL, NULL, &error_abort),
                    ==, 0);
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_IRQFD_RESAMPLE);
    g_assert_true(fwd.paused);
    g_assert_cmpint(g_hash_table_size(f.kernel), ==, 0);
    /* The device's state sets the IRQ up again: still paused. */
    g_assert_true(vfio_irq_fwd_update(&fwd, 41, &error_abort));
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_IRQFD_RESAMPLE);
    g_assert_cmpint(load_handlers->load_cleanup(NULL), ==, 0);
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_IRQFD_RESAMPLE);
    fake_runstate = RUN_STATE_RUNNING;
    vm_handler(NULL, true, RUN_STATE_RUNNING);
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_FORWARDED);
    g_assert_false(fwd.paused);
    g_assert_cmpint(GPOINTER_TO_UINT(g_hash_table_lookup(f.kernel,
                                     GUINT_TO_POINTER(0))), ==, 41 + 1);

    /* The VM starts before the load's end: the end forwards. */
    g_assert_cmpint(load_handlers->load_setup(NULL, NULL, &error_abort),
                    ==, 0);
    g_assert_true(fwd.paused);
    vm_handler(NULL, true, RUN_STATE_RUNNING);
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_IRQFD_RESAMPLE);
    g_assert_cmpint(load_handlers->load_cleanup(NULL), ==, 0);
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_FORWARDED);

    /* A guest migrated while suspended starts SUSPENDED, not RUNNING. */
    g_assert_cmpint(load_handlers->load_setup(NULL, NULL, &error_abort),
                    ==, 0);
    g_assert_true(fwd.paused);
    fake_runstate = RUN_STATE_SUSPENDED;
    vm_handler(NULL, true, RUN_STATE_SUSPENDED);
    g_assert_cmpint(load_handlers->load_cleanup(NULL), ==, 0);
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_FORWARDED);
    fake_runstate = RUN_STATE_RUNNING;

    /* A cleanup without a setup (a failed incoming migration) */
    f.refreshes = 0;
    g_assert_cmpint(load_handlers->load_cleanup(NULL), ==, 0);
    g_assert_cmpint(f.refreshes, ==, 0);
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_FORWARDED);
    vfio_irq_fwd_dev_exit(&dev);
    assert_resources(&fwd);
}

/*
 * A reset: the device's enter phase masks and unforwards its forwarded
 * IRQs (the GIC's reset cannot deactivate a forwarded IRQ) and sets up
 * nothing else; IRQs set up before its exit phase (INTx after vfio-pci's
 * device reset) take their fallback, also under "on"; the exit phase
 * forwards them again, unless a migration still runs.  Posted MSIs and
 * other devices are left alone.
 */
static void test_reset(void)
{
    VFIOIrqFwdDev dev, other;
    VFIOIrqFwd a, b, o;

    fake_reset(F_NONE, 0);
    setup(&dev, &a, ON_OFF_AUTO_ON, VFIO_IRQ_KIND_LEVEL);
    vfio_irq_fwd_init(&b, &dev, NULL, 2, 0, VFIO_IRQ_KIND_MSI);
    fake_msi_wire(&b, true);
    setup_nth(&other, &o, 1, ON_OFF_AUTO_AUTO, VFIO_IRQ_KIND_EDGE);
    g_assert_true(vfio_irq_fwd_enable(&a, 40, &error_abort));
    g_assert_true(vfio_irq_fwd_enable_guest(&b, 60, &error_abort));
    g_assert_true(vfio_irq_fwd_enable(&o, 50, &error_abort));
    g_assert_cmpint(g_hash_table_size(f.kernel), ==, 3);

    vfio_irq_fwd_dev_reset_enter(&dev);
    g_assert_cmpint(f.masks, ==, 1);
    g_assert_cmpint(f.refreshes, ==, 0);
    g_assert_cmpint(a.mode, ==, VFIO_IRQ_MODE_DISABLED);
    g_assert_true(a.paused);
    g_assert_cmpstr(a.reason, ==, "paused for a reset");
    /* Nothing set up in a's place; b still posted, o untouched. */
    g_assert_cmpint(b.mode, ==, VFIO_IRQ_MODE_POSTED);
    g_assert_cmpint(g_hash_table_size(f.kernel), ==, 2);
    g_assert_cmpint(f.irqfds, ==, 1);       /* o's: b's are pci.c's */
    g_assert_cmpint(f.triggers, ==, 1);
    g_assert_cmpint(f.resamplefds + f.unmasks, ==, 0);
    g_assert_cmpint(o.mode, ==, VFIO_IRQ_MODE_FORWARDED);
    /* A second enter (nested reset) changes nothing. */
    vfio_irq_fwd_dev_reset_enter(&dev);
    g_assert_cmpint(f.masks, ==, 1);

    /* The device's hold phase sets INTx up again: no error under "on". */
    g_assert_true(vfio_irq_fwd_enable(&a, 41, &error_abort));
    g_assert_cmpint(a.mode, ==, VFIO_IRQ_MODE_IRQFD_RESAMPLE);
    g_assert_true(a.paused);
    g_assert_cmpstr(a.reason, ==, "paused for a reset");

    vfio_irq_fwd_dev_reset_exit(&dev);
    g_assert_cmpint(a.mode, ==, VFIO_IRQ_MODE_FORWARDED);
    g_assert_false(a.paused);
    g_assert_cmpint(GPOINTER_TO_UINT(g_hash_table_lookup(f.kernel,
                                     GUINT_TO_POINTER(0))), ==, 41 + 1);
    g_assert_cmpint(g_hash_table_size(f.kernel), ==, 3);

    /* A reset during a migration: the migration's end forwards. */
    migration_event(MIG_EVENT_PRECOPY_SETUP);
    vfio_irq_fwd_dev_reset_enter(&dev);
    g_assert_true(vfio_irq_fwd_update(&a, 42, &error_abort));
    g_assert_cmpstr(a.reason, ==, "paused for a migration");
    vfio_irq_fwd_dev_reset_exit(&dev);
    g_assert_cmpint(a.mode, ==, VFIO_IRQ_MODE_IRQFD_RESAMPLE);
    g_assert_true(a.paused);
    g_assert_cmpint(g_hash_table_size(f.kernel), ==, 0);
    migration_event(MIG_EVENT_PRECOPY_FAILED);
    g_assert_cmpint(a.mode, ==, VFIO_IRQ_MODE_FORWARDED);
    g_assert_cmpint(g_hash_table_size(f.kernel), ==, 3);

    vfio_irq_fwd_dev_exit(&dev);
    vfio_irq_fwd_dev_exit(&other);
    g_assert_cmpint(f.irqfds + f.triggers + f.unmasks, ==, 0);
    g_assert_cmpint(g_hash_table_size(f.kernel), ==, 0);

    /* vfio-platform's reset: enter, exit, nothing set up in between. */
    fake_reset(F_NONE, 0);
    setup(&dev, &a, ON_OFF_AUTO_ON, VFIO_IRQ_KIND_LEVEL);
    g_assert_true(vfio_irq_fwd_enable(&a, 40, &error_abort));
    vfio_irq_fwd_dev_reset_enter(&dev);
    g_assert_true(fake_irq(&a)->masked);
    g_assert_cmpint(g_hash_table_size(f.kernel), ==, 0);
    vfio_irq_fwd_dev_reset_exit(&dev);
    g_assert_cmpint(a.mode, ==, VFIO_IRQ_MODE_FORWARDED);
    g_assert_cmpint(f.refreshes, ==, 1);
    g_assert_false(fake_irq(&a)->masked);
    g_assert_null(a.reason);
    assert_resources(&a);
    vfio_irq_fwd_dev_exit(&dev);

    /* Under "off", nothing moves: upstream's behaviour. */
    fake_reset(F_NONE, 0);
    setup(&dev, &a, ON_OFF_AUTO_OFF, VFIO_IRQ_KIND_LEVEL);
    g_assert_true(vfio_irq_fwd_enable(&a, 40, &error_abort));
    vfio_irq_fwd_dev_reset_enter(&dev);
    vfio_irq_fwd_dev_reset_exit(&dev);
    g_assert_cmpint(f.refreshes + f.masks + f.kernel_calls, ==, 0);
    g_assert_cmpint(a.mode, ==, VFIO_IRQ_MODE_IRQFD_RESAMPLE);
    vfio_irq_fwd_dev_exit(&dev);
}

/*
 * Two faults: the fast path fails, then a step of its fallback.  Each
 * failure is undone where it happens and the next path tried; when no
 * path works, nothing stays set up and the error names the last reason.
 */
static void test_double_fault(void)
{
    static const struct {
        int first, second;
        OnOffAuto policy;
        VfioIrqMode mode;       /* DISABLED: enabling fails */
        const char *error;      /* then the error says this */
    } cases[] = {
        /* The fast path, then a step of the first fallback */
        { F_FORWARD, F_UNMASK, ON_OFF_AUTO_AUTO, VFIO_IRQ_MODE_USERSPACE },
        { F_FORWARD, F_IRQFD_RESAMPLE, ON_OFF_AUTO_AUTO,
          VFIO_IRQ_MODE_USERSPACE },
        /* The fast path and both fallbacks */
        { F_TRIGGER, F_TRIGGER_USER, ON_OFF_AUTO_AUTO, VFIO_IRQ_MODE_DISABLED,
          "IRQ 0.0: fake trigger-user failure" },
        { F_UNMASK, F_TRIGGER_USER, ON_OFF_AUTO_OFF, VFIO_IRQ_MODE_DISABLED,
          "IRQ 0.0: fake trigger-user failure" },
        /* Under "on" the first is the error: no fallback runs */
        { F_FORWARD, F_UNMASK, ON_OFF_AUTO_ON, VFIO_IRQ_MODE_DISABLED,
          "x-forward=on: IRQ 0.0 cannot be forwarded: kvm-vfio IRQ forward" },
    };
    int i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        VFIOIrqFwdDev dev;
        VFIOIrqFwd fwd;
        Error *err = NULL;
        bool ok;

        fake_reset(cases[i].first, EINVAL);
        f.fault2 = cases[i].second;
        setup(&dev, &fwd, cases[i].policy, VFIO_IRQ_KIND_LEVEL);
        ok = vfio_irq_fwd_enable(&fwd, 40, &err);
        g_assert_cmpint(ok, ==, cases[i].mode != VFIO_IRQ_MODE_DISABLED);
        g_assert_cmpint(fwd.mode, ==, cases[i].mode);
        if (!ok) {
            g_assert_true(g_str_has_prefix(error_get_pretty(err),
                                           cases[i].error));
            error_free(err);
        } else {
            g_assert_nonnull(strstr(fwd.reason, "forward"));
        }
        assert_resources(&fwd);
        g_assert_cmpint(f.unmasks + f.resamplefds, ==,
                        fwd.mode == VFIO_IRQ_MODE_IRQFD_RESAMPLE ? 2 : 0);
        vfio_irq_fwd_dev_exit(&dev);
        assert_resources(&fwd);
    }
}

/*
 * A failed UNFORWARD or UNPOST: the teardown goes on, because the API has
 * the kernel end a forwarding before what it depends on (the irqfd, VFIO's
 * trigger) goes.  So the IRQ is left on a working path, nothing leaks, and
 * a later FORWARD works.
 */
static void test_undo_failed(void)
{
    static const VfioIrqKind kinds[] = { VFIO_IRQ_KIND_LEVEL,
                                         VFIO_IRQ_KIND_MSI };
    int k;

    for (k = 0; k < ARRAY_SIZE(kinds); k++) {
        int undo = kinds[k] == VFIO_IRQ_KIND_MSI ? F_UNPOST : F_UNFORWARD;
        gpointer key;
        VFIOIrqFwdDev dev;
        VFIOIrqFwd fwd;

        fake_reset(F_NONE, 0);
        setup(&dev, &fwd, ON_OFF_AUTO_AUTO, kinds[k]);
        key = irq_key(VFIO_FD, fwd.index, 0);
        g_assert_true(vfio_irq_fwd_enable(&fwd, 40, &error_abort));
        g_assert_true(mode_fast(fwd.mode));
        f.fault = undo;
        f.err = EFAULT;
        /* The guest moves the IRQ: unforward fails, the IRQ still moves. */
        g_assert_true(vfio_irq_fwd_update(&fwd, 41, &error_abort));
        if (kinds[k] == VFIO_IRQ_KIND_MSI) {
            /*
             * A route change keeps the vector's irqfd and trigger (pci.c's),
             * so the kernel still holds the old posting: the vector stays
             * on its irqfd and says why, until pci.c sets its trigger anew,
             * which ends the posting in the kernel.
             */
            g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_IRQFD);
            g_assert_nonnull(strstr(fwd.reason, "may still hold the IRQ"));
            g_assert_cmpint(GPOINTER_TO_UINT(g_hash_table_lookup(f.kernel,
                                                                 key)),
                            ==, 40 + 1);
            fake_msi_unwire(&fwd);
            fake_msi_wire(&fwd, true);
            g_assert_true(vfio_irq_fwd_update(&fwd, 41, &error_abort));
        }
        g_assert_true(mode_fast(fwd.mode));
        g_assert_cmpint(GPOINTER_TO_UINT(g_hash_table_lookup(f.kernel, key)),
                        ==, 41 + 1);
        assert_resources(&fwd);
        /*
         * Forwarded again, the kernel holds just this forwarding: the
         * failure no longer counts, and the next teardown must unforward
         * before the irqfd goes (fake_kernel_drop() checks).
         */
        g_assert_false(fwd.undo_failed);
        f.fault = F_NONE;
        g_assert_true(vfio_irq_fwd_update(&fwd, 42, &error_abort));
        g_assert_false(fwd.undo_failed);
        g_assert_cmpint(GPOINTER_TO_UINT(g_hash_table_lookup(f.kernel, key)),
                        ==, 42 + 1);
        vfio_irq_fwd_disable(&fwd);
        assert_resources(&fwd);
        /* Teardown with the undo failing: nothing is left anywhere. */
        g_assert_true(vfio_irq_fwd_enable(&fwd, 43, &error_abort));
        f.fault = undo;
        if (kinds[k] == VFIO_IRQ_KIND_MSI) {
            /* pci.c: unpost (failing), then VFIO's SET_IRQS count 0 */
            vfio_irq_fwd_disable(&fwd);
            fake_msi_unwire(&fwd);
        }
        vfio_irq_fwd_dev_exit(&dev);
        g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_DISABLED);
        assert_resources(&fwd);
        g_assert_cmpint(f.irqfds + f.triggers, ==, 0);
    }
}

/*
 * Migration, destination side: IRQs set up while the state loads take
 * their fallback (no error under "on") and are forwarded once the VM
 * runs; "on" still refuses a destination kernel without the API.
 */
static void test_migration_destination(void)
{
    VFIOIrqFwdDev dev;
    VFIOIrqFwd fwd;
    Error *err = NULL;

    fake_reset(F_NONE, 0);
    fake_runstate = RUN_STATE_INMIGRATE;
    setup(&dev, &fwd, ON_OFF_AUTO_ON, VFIO_IRQ_KIND_LEVEL);
    g_assert_true(vfio_irq_fwd_enable(&fwd, 40, &error_abort));
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_IRQFD_RESAMPLE);
    g_assert_true(fwd.paused);
    g_assert_cmpint(f.kernel_calls, ==, 0);
    assert_resources(&fwd);

    /* Loaded; a VM that has not started yet changes nothing. */
    vm_handler(NULL, false, RUN_STATE_PAUSED);
    g_assert_cmpint(f.refreshes, ==, 0);
    fake_runstate = RUN_STATE_RUNNING;
    vm_handler(NULL, true, RUN_STATE_RUNNING);
    g_assert_cmpint(f.refreshes, ==, 1);
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_FORWARDED);
    g_assert_false(fwd.paused);
    assert_resources(&fwd);

    /* A stop and a start later: nothing to do. */
    vm_handler(NULL, false, RUN_STATE_PAUSED);
    vm_handler(NULL, true, RUN_STATE_RUNNING);
    g_assert_cmpint(f.refreshes, ==, 1);
    vfio_irq_fwd_dev_exit(&dev);
    assert_resources(&fwd);

    fake_reset(F_PROBE, ENXIO);
    fake_runstate = RUN_STATE_INMIGRATE;
    setup(&dev, &fwd, ON_OFF_AUTO_ON, VFIO_IRQ_KIND_LEVEL);
    g_assert_false(vfio_irq_fwd_enable(&fwd, 40, &err));
    g_assert_nonnull(strstr(error_get_pretty(err), "does not implement"));
    error_free(err);
    g_assert_false(fwd.paused);
    assert_resources(&fwd);
    vfio_irq_fwd_dev_exit(&dev);
    fake_runstate = RUN_STATE_RUNNING;
}

/*
 * Under "on", a vector that cannot be posted is reported once per reason
 * and state change, not each time the guest unmasks or moves it.
 */
static void test_on_report_once(void)
{
    if (g_test_subprocess()) {
        VFIOIrqFwdDev dev;
        VFIOIrqFwd fwd;

        fake_reset(F_POST, EBUSY);
        setup(&dev, &fwd, ON_OFF_AUTO_ON, VFIO_IRQ_KIND_MSI);
        for (int i = 0; i < 100; i++) {
            g_assert_true(vfio_irq_fwd_update(&fwd, 60 + i % 2,
                                              &error_abort));
            g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_IRQFD);
            vfio_irq_fwd_disable(&fwd);
        }
        f.err = EINVAL;         /* another reason */
        g_assert_true(vfio_irq_fwd_update(&fwd, 60, &error_abort));
        g_assert_true(vfio_irq_fwd_update(&fwd, 60, &error_abort));
        f.fault = F_NONE;       /* posted, then failing again */
        g_assert_true(vfio_irq_fwd_update(&fwd, 60, &error_abort));
        g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_POSTED);
        f.fault = F_POST;
        g_assert_true(vfio_irq_fwd_update(&fwd, 60, &error_abort));
        g_assert_true(vfio_irq_fwd_update(&fwd, 61, &error_abort));
        /* The guest toggles MSI enable: the vector is made anew. */
        for (int i = 0; i < 20; i++) {
            vfio_irq_fwd_exit(&fwd);
            vfio_irq_fwd_init(&fwd, &dev, NULL, 2, 0, VFIO_IRQ_KIND_MSI);
            fake_msi_wire(&fwd, true);
            g_assert_true(vfio_irq_fwd_enable_guest(&fwd, 60, &error_abort));
        }
        vfio_irq_fwd_dev_exit(&dev);
        assert_resources(&fwd);
        return;
    }
    g_test_trap_subprocess(NULL, 0, 0);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("*cannot be posted*Device or resource busy*"
                              "cannot be posted*Invalid argument*"
                              "cannot be posted*Invalid argument*");
    g_test_trap_assert_stderr_unmatched("*cannot be posted*cannot be posted*"
                                        "cannot be posted*cannot be posted*");
}

/*
 * x-forward=on at realize, for IRQs the guest enables only later: the
 * kernel is asked, and a device with no such IRQ is refused.
 */
static void test_probe_at_realize(void)
{
    VFIOIrqFwdDev dev;
    Error *err = NULL;

    fake_reset(F_PROBE, ENXIO);
    vfio_irq_fwd_dev_init(&dev, NULL, "fake0", VFIO_FD, KVM_FD,
                          ON_OFF_AUTO_ON, &fake_ops);
    g_assert_false(vfio_irq_fwd_probe(&dev, VFIO_IRQ_KIND_MSI, NULL, &err));
    g_assert_true(g_str_has_prefix(error_get_pretty(err),
                                   "x-forward=on: kvm-vfio IRQ post: the "
                                   "kernel does not implement"));
    error_free_or_abort(&err);
    g_assert_false(vfio_irq_fwd_probe(&dev, VFIO_IRQ_KIND_LEVEL,
                                      "the device has no INTx pin", &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "x-forward=on: the device has no INTx pin");
    error_free_or_abort(&err);
    dev.policy = ON_OFF_AUTO_AUTO;
    g_assert_true(vfio_irq_fwd_probe(&dev, VFIO_IRQ_KIND_MSI, "none",
                                     &error_abort));
    vfio_irq_fwd_dev_exit(&dev);

    fake_reset(F_NONE, 0);
    vfio_irq_fwd_dev_init(&dev, NULL, "fake0", VFIO_FD, KVM_FD,
                          ON_OFF_AUTO_ON, &fake_ops);
    g_assert_true(vfio_irq_fwd_probe(&dev, VFIO_IRQ_KIND_MSI, NULL,
                                     &error_abort));
    dev.kvm_fd = -1;
    g_assert_false(vfio_irq_fwd_probe(&dev, VFIO_IRQ_KIND_LEVEL, NULL, &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "x-forward=on: there is no kvm-vfio device");
    error_free(err);
    vfio_irq_fwd_dev_exit(&dev);
}

/*
 * Steps that only the fast path needs (vfio-pci detaching VFIO's unmask
 * eventfd, which upstream leaves to close()) are skipped when it can
 * never come: policy off, the IRQ blocked or of a kind the target cannot
 * make fast, or a kernel without the API.
 */
static void test_may_forward(void)
{
    VFIOIrqFwdDev dev;
    VFIOIrqFwd fwd;

    fake_reset(F_NONE, 0);
    setup(&dev, &fwd, ON_OFF_AUTO_AUTO, VFIO_IRQ_KIND_LEVEL);
    g_assert_true(vfio_irq_fwd_may_forward(&fwd));
    fwd.blocked = "x-no-kvm-intx=on";
    g_assert_false(vfio_irq_fwd_may_forward(&fwd));
    fwd.blocked = NULL;
    fwd.unsupported = "x86 has no wired IRQ forwarding";
    g_assert_false(vfio_irq_fwd_may_forward(&fwd));
    vfio_irq_fwd_dev_exit(&dev);

    setup(&dev, &fwd, ON_OFF_AUTO_OFF, VFIO_IRQ_KIND_LEVEL);
    g_assert_false(vfio_irq_fwd_may_forward(&fwd));
    vfio_irq_fwd_dev_exit(&dev);

    fake_reset(F_PROBE, ENXIO);
    setup(&dev, &fwd, ON_OFF_AUTO_AUTO, VFIO_IRQ_KIND_LEVEL);
    g_assert_false(vfio_irq_fwd_may_forward(&fwd));
    vfio_irq_fwd_dev_exit(&dev);
}

/* What users read must be true (design note, "Semantics" and "x86"). */
static void test_reasons(void)
{
    VFIOIrqFwdDev dev;
    VFIOIrqFwd fwd;

    /* EBUSY on FORWARD: QEMU attached no resamplefd, so not that. */
    fake_reset(F_FORWARD, EBUSY);
    setup(&dev, &fwd, ON_OFF_AUTO_AUTO, VFIO_IRQ_KIND_LEVEL);
    g_assert_true(vfio_irq_fwd_enable(&fwd, 40, &error_abort));
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_IRQFD_RESAMPLE);
    g_assert_nonnull(strstr(fwd.reason, "shared with another device"));
    g_assert_null(strstr(fwd.reason, "resamplefd"));
    g_assert_nonnull(strstr(fwd.reason, g_strerror(EBUSY)));
    vfio_irq_fwd_dev_exit(&dev);

    /* Unless an UNFORWARD failed: then the kernel may still hold it. */
    fake_reset(F_NONE, 0);
    setup(&dev, &fwd, ON_OFF_AUTO_AUTO, VFIO_IRQ_KIND_LEVEL);
    g_assert_true(vfio_irq_fwd_enable(&fwd, 40, &error_abort));
    g_hash_table_remove_all(f.kernel);
    f.fault = F_FORWARD;
    f.err = EBUSY;
    g_assert_true(vfio_irq_fwd_update(&fwd, 40, &error_abort));
    g_assert_true(fwd.undo_failed);
    g_assert_nonnull(strstr(fwd.reason, "may still hold the IRQ"));
    g_assert_null(strstr(fwd.reason, "shared"));
    vfio_irq_fwd_dev_exit(&dev);

    /* Likewise POST after a failed UNPOST. */
    fake_reset(F_NONE, 0);
    setup(&dev, &fwd, ON_OFF_AUTO_AUTO, VFIO_IRQ_KIND_MSI);
    g_assert_true(vfio_irq_fwd_enable(&fwd, 60, &error_abort));
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_POSTED);
    g_hash_table_remove_all(f.kernel);
    f.fault = F_POST;
    f.err = EBUSY;
    g_assert_true(vfio_irq_fwd_update(&fwd, 60, &error_abort));
    g_assert_true(fwd.undo_failed);
    g_assert_nonnull(strstr(fwd.reason, "kvm-vfio IRQ post: the kernel may "
                            "still hold the IRQ"));
    vfio_irq_fwd_dev_exit(&dev);

    /* An MSI QEMU did not post may still be posted by the kernel. */
    fake_reset(F_PROBE, ENXIO);
    setup(&dev, &fwd, ON_OFF_AUTO_AUTO, VFIO_IRQ_KIND_MSI);
    g_assert_true(vfio_irq_fwd_enable(&fwd, 60, &error_abort));
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_IRQFD);
    g_assert_nonnull(strstr(fwd.reason, "does not implement"));
    g_assert_nonnull(strstr(fwd.reason, "may still deliver it directly"));
    vfio_irq_fwd_dev_exit(&dev);

    /* ... but not one QEMU delivers itself. */
    setup(&dev, &fwd, ON_OFF_AUTO_AUTO, VFIO_IRQ_KIND_MSI);
    fake_msi_wire(&fwd, false);
    g_assert_true(vfio_irq_fwd_enable(&fwd, -1, &error_abort));
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_USERSPACE);
    g_assert_null(strstr(fwd.reason, "deliver it directly"));
    vfio_irq_fwd_dev_exit(&dev);
}

/*
 * A masked MSI-X vector: QEMU takes its interrupts (for the PBA), so its
 * mode is userspace, not disabled; no error under "on"; unmasked, it is
 * posted again.
 */
static void test_hold(void)
{
    VFIOIrqFwdDev dev;
    VFIOIrqFwd fwd;

    fake_reset(F_NONE, 0);
    setup(&dev, &fwd, ON_OFF_AUTO_ON, VFIO_IRQ_KIND_MSI);
    g_assert_true(vfio_irq_fwd_enable_guest(&fwd, 60, &error_abort));
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_POSTED);
    /* pci.c's mask: unpost, trigger to QEMU, hold */
    vfio_irq_fwd_disable(&fwd);
    fake_msi_wire(&fwd, false);
    g_assert_true(vfio_irq_fwd_hold(&fwd, "masked", &error_abort));
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_USERSPACE);
    g_assert_cmpstr(fwd.reason, ==, "masked");
    assert_resources(&fwd);
    /* ... and unmask: trigger to the irqfd, update */
    fake_msi_wire(&fwd, true);
    g_assert_true(vfio_irq_fwd_update(&fwd, 60, &error_abort));
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_POSTED);
    assert_resources(&fwd);

    /* Holding asks nothing of the device, so it cannot fail. */
    f.fault = F_TRIGGER_USER;
    f.err = EBADF;
    vfio_irq_fwd_disable(&fwd);
    fake_msi_wire(&fwd, false);
    g_assert_true(vfio_irq_fwd_hold(&fwd, "masked", &error_abort));
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_USERSPACE);
    assert_resources(&fwd);
    vfio_irq_fwd_dev_exit(&dev);
}

/*
 * Route churn, as a guest makes it on x86: vectors of several devices
 * enabled, masked, re-targeted (a new KVM route: vector, affinity) or
 * given a route that cannot be posted, with kernel failures now and then.
 * After every step the kernel's posted set must be exactly the routes the
 * guest programmed, except for a vector whose last post failed, which
 * must be on irqfd; and nothing may leak.
 */
#define CHURN_DEVS  3
#define CHURN_VECS  8
#define CHURN_STEPS 6000

typedef struct {
    int gsi;                    /* the guest's route; -1: masked/disabled */
    bool failed;                /* the last post failed on purpose */
} ChurnVec;

static void churn_check(VFIOIrqFwd fwd[CHURN_DEVS][CHURN_VECS],
                        ChurnVec model[CHURN_DEVS][CHURN_VECS],
                        bool enabled[CHURN_DEVS][CHURN_VECS])
{
    unsigned posted = 0;

    for (int d = 0; d < CHURN_DEVS; d++) {
        for (int v = 0; v < CHURN_VECS; v++) {
            VFIOIrqFwd *w = &fwd[d][v];
            gpointer k = irq_key(VFIO_FD + d, w->index, w->subindex);
            unsigned in_kernel = GPOINTER_TO_UINT(
                g_hash_table_lookup(f.kernel, k));

            if (!enabled[d][v]) {
                g_assert_cmpint(w->mode, ==, VFIO_IRQ_MODE_DISABLED);
                g_assert_cmpuint(in_kernel, ==, 0);
                continue;
            }
            /* pci.c's wiring, which the state machine only follows */
            g_assert_cmpint(fake_irq(w)->trigger, ==, 1);
            g_assert_cmpint(fake_irq(w)->irqfd, ==, model[d][v].gsi >= 0);
            if (model[d][v].gsi < 0) {
                /* No KVM route: nothing to post, no irqfd either. */
                g_assert_cmpint(w->mode, ==, VFIO_IRQ_MODE_USERSPACE);
                g_assert_cmpuint(in_kernel, ==, 0);
            } else if (model[d][v].failed) {
                g_assert_cmpint(w->mode, ==, VFIO_IRQ_MODE_IRQFD);
                g_assert_cmpuint(in_kernel, ==, 0);
            } else {
                g_assert_cmpint(w->mode, ==, VFIO_IRQ_MODE_POSTED);
                g_assert_cmpuint(in_kernel, ==, model[d][v].gsi + 1);
                posted++;
            }
        }
    }
    g_assert_cmpuint(g_hash_table_size(f.kernel), ==, posted);
    /* No device op ever runs for an MSI vector. */
    g_assert_cmpint(f.irqfds, ==, 0);
    g_assert_cmpint(f.triggers, ==, 0);
    g_assert_cmpint(f.resamplefds, ==, 0);
    g_assert_cmpint(f.unmasks, ==, 0);
}

static void test_churn(void)
{
    static const int errs[] = { ENXIO, EINVAL, EBUSY, EBADF, EFAULT };
    VFIOIrqFwdDev dev[CHURN_DEVS];
    VFIOIrqFwd fwd[CHURN_DEVS][CHURN_VECS];
    ChurnVec model[CHURN_DEVS][CHURN_VECS] = { 0 };
    bool enabled[CHURN_DEVS][CHURN_VECS] = { 0 };
    unsigned ops[4] = { 0 }, faults = 0, max_posted = 0;
    char names[CHURN_DEVS][8];

    fake_reset(F_NONE, 0);
    for (int d = 0; d < CHURN_DEVS; d++) {
        g_snprintf(names[d], sizeof(names[d]), "churn%d", d);
        vfio_irq_fwd_dev_init(&dev[d], NULL, names[d], VFIO_FD + d, KVM_FD,
                              ON_OFF_AUTO_AUTO, &fake_ops);
        for (int v = 0; v < CHURN_VECS; v++) {
            vfio_irq_fwd_init(&fwd[d][v], &dev[d], NULL, 2, v,
                              VFIO_IRQ_KIND_MSI);
        }
    }

    for (int step = 0; step < CHURN_STEPS; step++) {
        int d = g_test_rand_int_range(0, CHURN_DEVS);
        int v = g_test_rand_int_range(0, CHURN_VECS);
        int op = g_test_rand_int_range(0, 4);
        /* A route that cannot be posted (no KVM route) now and then. */
        int gsi = g_test_rand_int_range(0, 8) ? g_test_rand_int_range(24, 1024)
                                              : -1;
        bool fail = g_test_rand_int_range(0, 16) == 0;
        VFIOIrqFwd *w = &fwd[d][v];

        if (fail) {
            f.fault = F_POST;
            f.err = errs[g_test_rand_int_range(0, G_N_ELEMENTS(errs))];
        }
        /* pci.c unposts before it changes the vector, then wires it */
        switch (enabled[d][v] ? op : 0) {
        case 0:                 /* (re-)enable: unmask, MSI enable */
            vfio_irq_fwd_disable(w);
            fake_msi_wire(w, gsi >= 0);
            g_assert_true(vfio_irq_fwd_enable_guest(w, gsi, &error_abort));
            enabled[d][v] = true;
            break;
        case 1:                 /* the guest moves the vector */
        case 2:
            vfio_irq_fwd_disable(w);
            fake_msi_wire(w, gsi >= 0);
            g_assert_true(vfio_irq_fwd_update(w, gsi, &error_abort));
            break;
        case 3:                 /* masked or disabled */
            vfio_irq_fwd_disable(w);
            fake_msi_unwire(w);
            enabled[d][v] = false;
            gsi = -1;
            break;
        }
        ops[enabled[d][v] ? op : 3]++;
        model[d][v].gsi = gsi;
        model[d][v].failed = fail && enabled[d][v] && gsi >= 0;
        faults += model[d][v].failed;
        f.fault = F_NONE;
        churn_check(fwd, model, enabled);
        max_posted = MAX(max_posted, g_hash_table_size(f.kernel));
    }
    g_test_message("%d steps: %u enables, %u route changes, %u masks, "
                   "%u failed posts, at most %u vectors posted, "
                   "%d kernel calls", CHURN_STEPS, ops[0], ops[1] + ops[2],
                   ops[3], faults, max_posted, f.kernel_calls);
    g_assert_cmpuint(faults, >, 0);
    g_assert_cmpuint(max_posted, >, CHURN_DEVS);

    for (int d = 0; d < CHURN_DEVS; d++) {
        vfio_irq_fwd_dev_exit(&dev[d]);
    }
    g_assert_cmpuint(g_hash_table_size(f.kernel), ==, 0);
    g_assert_cmpint(f.irqfds, ==, 0);
    g_assert_cmpint(f.triggers, ==, 0);
    g_assert_null(f.blockers);
}

/*
 * Batched posting (vfio-pci's MSI and MSI-X enable, an MSI route
 * change): one request per run of consecutive vectors that can be
 * posted; a vector that cannot goes alone, and a run the kernel refuses
 * is tried one by one, each vector falling back with its own reason.
 */
static void test_post_batch(void)
{
    static const struct {
        const char *name;
        int fault;
        OnOffAuto policy;
        RunState runstate;
        uint32_t sub[4];            /* the vectors' sub-indexes */
        const char *blocked;        /* why vector 2 cannot be posted */
        bool on_qemu;               /* vector 2's trigger is QEMU's */
        bool two_indexes;           /* vectors 2 and 3 are MSI, not MSI-X */
        int stale;                  /* a sub-index the kernel holds, or -1 */
        unsigned nposts, posts[5];  /* the POST requests' counts */
        VfioIrqMode mode;           /* every vector's but vector 2, if set */
    } cases[] = {
        { "together", F_NONE, ON_OFF_AUTO_AUTO, RUN_STATE_RUNNING,
          { 0, 1, 2, 3 }, NULL, false, false, -1, 1, { 4 },
          VFIO_IRQ_MODE_POSTED },
        { "one blocked", F_NONE, ON_OFF_AUTO_AUTO, RUN_STATE_RUNNING,
          { 0, 1, 2, 3 }, "route", false, false, -1, 2, { 2, 1 },
          VFIO_IRQ_MODE_POSTED },
        { "one on QEMU", F_NONE, ON_OFF_AUTO_AUTO, RUN_STATE_RUNNING,
          { 0, 1, 2, 3 }, NULL, true, false, -1, 2, { 2, 1 },
          VFIO_IRQ_MODE_POSTED },
        { "refused", F_POST, ON_OFF_AUTO_AUTO, RUN_STATE_RUNNING,
          { 0, 1, 2, 3 }, NULL, false, false, -1, 5, { 4, 1, 1, 1, 1 },
          VFIO_IRQ_MODE_IRQFD },
        /* The run fails whole; one by one, all but the stale one post */
        { "refused in part", F_NONE, ON_OFF_AUTO_AUTO, RUN_STATE_RUNNING,
          { 0, 1, 2, 3 }, NULL, false, false, 2, 5, { 4, 1, 1, 1, 1 },
          VFIO_IRQ_MODE_POSTED },
        { "gaps", F_NONE, ON_OFF_AUTO_AUTO, RUN_STATE_RUNNING,
          { 0, 2, 3, 5 }, NULL, false, false, -1, 3, { 1, 2, 1 },
          VFIO_IRQ_MODE_POSTED },
        { "two indexes", F_NONE, ON_OFF_AUTO_AUTO, RUN_STATE_RUNNING,
          { 0, 1, 2, 3 }, NULL, false, true, -1, 2, { 2, 2 },
          VFIO_IRQ_MODE_POSTED },
        { "off", F_NONE, ON_OFF_AUTO_OFF, RUN_STATE_RUNNING,
          { 0, 1, 2, 3 }, NULL, false, false, -1, 0, { },
          VFIO_IRQ_MODE_IRQFD },
        { "migrating", F_NONE, ON_OFF_AUTO_ON, RUN_STATE_INMIGRATE,
          { 0, 1, 2, 3 }, NULL, false, false, -1, 0, { },
          VFIO_IRQ_MODE_IRQFD },
    };
    static const int gsi[4] = { 40, 41, 42, 43 };

    for (int c = 0; c < ARRAY_SIZE(cases); c++) {
        VFIOIrqFwdDev dev;
        VFIOIrqFwd fwd[4], *fwds[4];

        g_test_message("%s", cases[c].name);
        fake_reset(cases[c].fault, EBUSY);
        fake_runstate = cases[c].runstate;
        vfio_irq_fwd_dev_init(&dev, NULL, "fake0", VFIO_FD, KVM_FD,
                              cases[c].policy, &fake_ops);
        for (int v = 0; v < 4; v++) {
            /* MSI-X (2), or MSI (1) for the last two */
            uint32_t index = 2 - (cases[c].two_indexes && v >= 2);

            vfio_irq_fwd_init(&fwd[v], &dev, NULL, index, cases[c].sub[v],
                              VFIO_IRQ_KIND_MSI);
            fake_msi_wire(&fwd[v], !(v == 2 && cases[c].on_qemu));
            fwds[v] = &fwd[v];
        }
        fwd[2].blocked = cases[c].blocked;
        if (cases[c].stale >= 0) {
            g_hash_table_insert(f.kernel, irq_key(VFIO_FD, 2, cases[c].stale),
                                GUINT_TO_POINTER(1));
        }
        vfio_irq_fwd_update_many(fwds, gsi, 4);

        g_assert_cmpuint(f.nposts, ==, cases[c].nposts);
        for (int i = 0; i < f.nposts; i++) {
            g_assert_cmpuint(f.posts[i], ==, cases[c].posts[i]);
        }
        for (int v = 0; v < 4; v++) {
            gpointer key = irq_key(VFIO_FD, fwd[v].index, cases[c].sub[v]);
            bool stale = cases[c].stale == cases[c].sub[v];
            bool apart = v == 2 && (cases[c].blocked || cases[c].on_qemu);
            VfioIrqMode mode = cases[c].mode;
            unsigned held = 0;          /* what the kernel holds: gsi + 1 */

            if (stale || (v == 2 && cases[c].blocked)) {
                mode = VFIO_IRQ_MODE_IRQFD;
            } else if (v == 2 && cases[c].on_qemu) {
                mode = VFIO_IRQ_MODE_USERSPACE;
            }
            if (mode == VFIO_IRQ_MODE_POSTED) {
                held = gsi[v] + 1;
            } else if (stale) {
                held = 1;
            }
            g_assert_cmpint(fwd[v].mode, ==, mode);
            g_assert_cmpint(fwd[v].gsi, ==, gsi[v]);
            g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(f.kernel,
                                                                  key)),
                             ==, held);
            if (v == 2 && cases[c].blocked) {
                g_assert_true(g_str_has_prefix(fwd[v].reason, "route"));
            } else if (apart) {
                g_assert_cmpstr(fwd[v].reason, ==,
                                "KVM irqfd is not available for this IRQ");
            } else if (cases[c].fault == F_POST || stale) {
                g_assert_nonnull(strstr(fwd[v].reason, g_strerror(EBUSY)));
            } else if (cases[c].policy == ON_OFF_AUTO_OFF) {
                g_assert_true(g_str_has_prefix(fwd[v].reason,
                                               "x-forward=off"));
                g_assert_cmpint(f.kernel_calls, ==, 0);
            } else if (mode == VFIO_IRQ_MODE_POSTED) {
                g_assert_null(fwd[v].reason);
            }
            g_assert_cmpint(fwd[v].paused, ==,
                            cases[c].runstate == RUN_STATE_INMIGRATE);
        }
        if (cases[c].stale >= 0) {
            g_hash_table_remove(f.kernel, irq_key(VFIO_FD, 2, cases[c].stale));
        }
        for (int v = 0; v < 4; v++) {
            vfio_irq_fwd_disable(&fwd[v]);
            fake_msi_unwire(&fwd[v]);
        }
        vfio_irq_fwd_dev_exit(&dev);
        g_assert_cmpuint(g_hash_table_size(f.kernel), ==, 0);
        fake_runstate = RUN_STATE_RUNNING;
    }
}

/*
 * A line that another source of QEMU's drives is not forwarded (the
 * kernel keeps one level per line): raised while forwarded, the IRQ
 * leaves the line through its update path before the call returns, onto
 * the userspace path, where QEMU ORs the sources (irqfd + resamplefd
 * would lower the line on each EOI, whatever the other source holds).
 */
static void test_line_shared(void)
{
    const char *why = "guest GSI 37 is shared with another interrupt source";
    VFIOIrqFwdDev dev, dev2;
    VFIOIrqFwd fwd, fwd2;
    Error *err = NULL;

    fake_reset(F_NONE, 0);
    setup(&dev, &fwd, ON_OFF_AUTO_AUTO, VFIO_IRQ_KIND_LEVEL);
    g_assert_true(vfio_irq_fwd_enable(&fwd, 37, &error_abort));
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_FORWARDED);

    /* Another line; this one lowered: nothing moves */
    kvm_vfio_irq_line_set(36, true);
    kvm_vfio_irq_line_set(37, false);
    g_assert_cmpint(f.refreshes, ==, 0);
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_FORWARDED);

    kvm_vfio_irq_line_set(37, true);
    g_assert_cmpint(f.refreshes, ==, 1);
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_USERSPACE);
    g_assert_cmpstr(fwd.reason, ==, why);
    assert_resources(&fwd);

    /* Lowered, raised, updated: it stays off the line */
    kvm_vfio_irq_line_set(37, false);
    kvm_vfio_irq_line_set(37, true);
    g_assert_cmpint(f.refreshes, ==, 1);
    g_assert_true(vfio_irq_fwd_update(&fwd, 37, &error_abort));
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_USERSPACE);

    /* Moved to a line another source holds high: not forwarded ... */
    g_assert_true(vfio_irq_fwd_update(&fwd, 36, &error_abort));
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_USERSPACE);
    assert_resources(&fwd);
    /* ... until it is low */
    kvm_vfio_irq_line_set(36, false);
    g_assert_true(vfio_irq_fwd_update(&fwd, 36, &error_abort));
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_FORWARDED);
    assert_resources(&fwd);
    vfio_irq_fwd_dev_exit(&dev);

    /* Two devices on one line: the second is not forwarded, ... */
    fake_reset(F_NONE, 0);
    setup(&dev, &fwd, ON_OFF_AUTO_AUTO, VFIO_IRQ_KIND_LEVEL);
    g_assert_true(vfio_irq_fwd_enable(&fwd, 37, &error_abort));
    setup_nth(&dev2, &fwd2, 1, ON_OFF_AUTO_AUTO, VFIO_IRQ_KIND_LEVEL);
    g_assert_true(vfio_irq_fwd_enable(&fwd2, 37, &error_abort));
    g_assert_cmpint(fwd2.mode, ==, VFIO_IRQ_MODE_USERSPACE);
    g_assert_cmpstr(fwd2.reason, ==, why);
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_FORWARDED);
    /* ... and its interrupt, which QEMU raises, takes the first off it */
    kvm_vfio_irq_line_set(37, true);
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_USERSPACE);
    g_assert_cmpint(g_hash_table_size(f.kernel), ==, 0);
    vfio_irq_fwd_dev_exit(&dev2);
    vfio_irq_fwd_dev_exit(&dev);

    /*
     * ... whatever its policy: under x-forward=off, irqfd + resamplefd
     * would never see an EOI of the forwarded SPI
     */
    fake_reset(F_NONE, 0);
    setup(&dev, &fwd, ON_OFF_AUTO_AUTO, VFIO_IRQ_KIND_LEVEL);
    g_assert_true(vfio_irq_fwd_enable(&fwd, 37, &error_abort));
    setup_nth(&dev2, &fwd2, 1, ON_OFF_AUTO_OFF, VFIO_IRQ_KIND_LEVEL);
    g_assert_true(vfio_irq_fwd_enable(&fwd2, 37, &error_abort));
    g_assert_cmpint(fwd2.mode, ==, VFIO_IRQ_MODE_USERSPACE);
    g_assert_cmpstr(fwd2.reason, ==,
                    "guest GSI 37 is forwarded to another IRQ");
    g_assert_cmpint(f.resamplefds, ==, 0);
    kvm_vfio_irq_line_set(37, true);
    g_assert_cmpint(fwd.mode, ==, VFIO_IRQ_MODE_USERSPACE);
    /* Off its line, the x-forward=off IRQ is upstream's again */
    g_assert_true(vfio_irq_fwd_update(&fwd2, 38, &error_abort));
    g_assert_cmpint(fwd2.mode, ==, VFIO_IRQ_MODE_IRQFD_RESAMPLE);
    g_assert_cmpstr(fwd2.reason, ==, "x-forward=off");
    vfio_irq_fwd_dev_exit(&dev2);
    vfio_irq_fwd_dev_exit(&dev);

    /* x-forward=on at realize: refused, with the line named */
    fake_reset(F_NONE, 0);
    kvm_vfio_irq_line_set(37, true);
    setup(&dev, &fwd, ON_OFF_AUTO_ON, VFIO_IRQ_KIND_LEVEL);
    g_assert_false(vfio_irq_fwd_enable(&fwd, 37, &err));
    g_assert_nonnull(strstr(error_get_pretty(err), why));
    error_free(err);
    assert_resources(&fwd);
    vfio_irq_fwd_dev_exit(&dev);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vfio-irq-forward/forward-level", test_forward_level);
    g_test_add_func("/vfio-irq-forward/post-msi", test_post_msi);
    g_test_add_func("/vfio-irq-forward/no-kernel-api", test_no_kernel_api);
    g_test_add_func("/vfio-irq-forward/policy-off", test_policy_off);
    g_test_add_func("/vfio-irq-forward/blocked", test_blocked);
    g_test_add_func("/vfio-irq-forward/fault-matrix", test_fault_matrix);
    g_test_add_func("/vfio-irq-forward/update", test_update);
    g_test_add_func("/vfio-irq-forward/warn-once", test_warn_once);
    g_test_add_func("/vfio-irq-forward/unsupported", test_unsupported);
    g_test_add_func("/vfio-irq-forward/enable-guest", test_enable_guest);
    g_test_add_func("/vfio-irq-forward/exit", test_exit);
    g_test_add_func("/vfio-irq-forward/update-after-exit",
                    test_update_after_exit);
    g_test_add_func("/vfio-irq-forward/state-load", test_state_load);
    g_test_add_func("/vfio-irq-forward/reset", test_reset);
    g_test_add_func("/vfio-irq-forward/undo-failed", test_undo_failed);
    g_test_add_func("/vfio-irq-forward/may-forward", test_may_forward);
    g_test_add_func("/vfio-irq-forward/double-fault", test_double_fault);
    g_test_add_func("/vfio-irq-forward/migration-source",
                    test_migration_source);
    g_test_add_func("/vfio-irq-forward/migration-destination",
                    test_migration_destination);
    g_test_add_func("/vfio-irq-forward/snapshot-load", test_snapshot_load);
    g_test_add_func("/vfio-irq-forward/on-report-once", test_on_report_once);
    g_test_add_func("/vfio-irq-forward/probe-at-realize",
                    test_probe_at_realize);
    g_test_add_func("/vfio-irq-forward/reasons", test_reasons);
    g_test_add_func("/vfio-irq-forward/hold", test_hold);
    g_test_add_func("/vfio-irq-forward/churn", test_churn);
    g_test_add_func("/vfio-irq-forward/line-shared", test_line_shared);
    g_test_add_func("/vfio-irq-forward/post-batch", test_post_batch);
    return g_test_run();
}
