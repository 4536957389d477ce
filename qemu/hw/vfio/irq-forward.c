/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * VFIO IRQ forwarding (ARM) and posting (x86), with fallback.
 *
 * Each mode is an ordered list of steps.  Entering a mode runs its steps;
 * a failing step undoes the ones before it in reverse, and leaving a mode
 * undoes all of them in reverse.  So a forwarded level IRQ is set up as
 * the kvm-vfio API asks: irqfd without resamplefd, then VFIO's trigger
 * eventfd, then FORWARD; and torn down UNFORWARD first.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "system/system.h"
#include "migration/misc.h"
#include "migration/register.h"
#include "system/runstate.h"
#include "system/kvm-vfio-irq.h"
#include "hw/vfio/vfio-irq-forward.h"
#include "trace.h"

typedef enum VFIOIrqStep {
    STEP_END,
    STEP_IRQFD,                 /* irqfd, no resamplefd */
    STEP_IRQFD_RESAMPLE,        /* irqfd + resamplefd */
    STEP_TRIGGER,               /* VFIO trigger eventfd, read by KVM */
    STEP_TRIGGER_USER,          /* VFIO trigger eventfd, read by QEMU */
    STEP_UNMASK,                /* VFIO unmask eventfd */
    STEP_FORWARD,               /* kvm-vfio FORWARD */
    STEP_POST,                  /* kvm-vfio POST */
} VFIOIrqStep;

/* Wired IRQs (level, edge): the state machine owns the whole path. */
static const VFIOIrqStep wired_mode_steps[VFIO_IRQ_MODE__MAX][4] = {
    [VFIO_IRQ_MODE_DISABLED] = { STEP_END },
    [VFIO_IRQ_MODE_FORWARDED] = { STEP_IRQFD, STEP_TRIGGER, STEP_FORWARD },
    [VFIO_IRQ_MODE_IRQFD_RESAMPLE] = { STEP_IRQFD_RESAMPLE, STEP_TRIGGER,
                                       STEP_UNMASK },
    [VFIO_IRQ_MODE_IRQFD] = { STEP_IRQFD, STEP_TRIGGER },
    [VFIO_IRQ_MODE_USERSPACE] = { STEP_TRIGGER_USER },
};

/*
 * MSI vectors: the device owns each vector's KVM route, irqfd and VFIO
 * trigger (vfio-pci sets all of an index's triggers in one VFIO request,
 * and a masked MSI-X vector keeps its irqfd), and points the trigger
 * before it asks for a mode, saying which path it chose in
 * fwd->irqfd_allowed.  Only POST is the state machine's; the other modes
 * record that path.
 */
static const VFIOIrqStep msi_mode_steps[VFIO_IRQ_MODE__MAX][4] = {
    [VFIO_IRQ_MODE_DISABLED] = { STEP_END },
    [VFIO_IRQ_MODE_POSTED] = { STEP_POST },
    [VFIO_IRQ_MODE_IRQFD] = { STEP_END },
    [VFIO_IRQ_MODE_USERSPACE] = { STEP_END },
};

static const VFIOIrqStep *mode_steps(VFIOIrqFwd *fwd, VfioIrqMode mode)
{
    if (fwd->kind == VFIO_IRQ_KIND_MSI) {
        assert(mode != VFIO_IRQ_MODE_FORWARDED &&
               mode != VFIO_IRQ_MODE_IRQFD_RESAMPLE);
        return msi_mode_steps[mode];
    }
    assert(mode != VFIO_IRQ_MODE_POSTED);
    return wired_mode_steps[mode];
}

static QTAILQ_HEAD(, VFIOIrqFwdDev) fwd_devs =
    QTAILQ_HEAD_INITIALIZER(fwd_devs);

static bool kvm_step(VFIOIrqFwd *fwd, KVMVFIOIrqOp op, Error **errp)
{
    uint32_t gsi = fwd->gsi;
    Error *err = NULL;
    int ret;

    ret = kvm_vfio_irq_request(fwd->dev->kvm_fd, op, fwd->dev->vfio_fd,
                               fwd->index, fwd->subindex, 1, &gsi, &err);
    /*
     * EBUSY has three causes (design note).  The steps before FORWARD and
     * POST attach no resamplefd or unmask eventfd.  If undoing this IRQ's
     * last forwarding or posting failed, the kernel may still hold it;
     * else it holds none of it, and for FORWARD what is left is a host
     * line shared with another device.
     */
    if (ret == -EBUSY && (op == KVM_VFIO_IRQ_FORWARD ||
                          (op == KVM_VFIO_IRQ_POST && fwd->undo_failed))) {
        error_free(err);
        error_setg_errno(errp, EBUSY, "kvm-vfio IRQ %s: %s",
                         op == KVM_VFIO_IRQ_FORWARD ? "forward" : "post",
                         fwd->undo_failed ?
                         "the kernel may still hold the IRQ, as undoing "
                         "its last forwarding or posting failed" :
                         "the host IRQ line is shared with another device");
        return false;
    }
    error_propagate(errp, err);
    return ret == 0;
}

static bool step_do(VFIOIrqFwd *fwd, VFIOIrqStep step, Error **errp)
{
    const VFIOIrqFwdOps *ops = fwd->dev->ops;

    switch (step) {
    case STEP_IRQFD:
    case STEP_IRQFD_RESAMPLE:
        return ops->irqfd_add(fwd, step == STEP_IRQFD_RESAMPLE, errp);
    case STEP_TRIGGER:
    case STEP_TRIGGER_USER:
        return ops->trigger_set(fwd, step == STEP_TRIGGER_USER, errp);
    case STEP_UNMASK:
        return ops->unmask_set(fwd, errp);
    case STEP_FORWARD:
        return kvm_step(fwd, KVM_VFIO_IRQ_FORWARD, errp);
    case STEP_POST:
        return kvm_step(fwd, KVM_VFIO_IRQ_POST, errp);
    default:
        g_assert_not_reached();
    }
}

static void step_undo(VFIOIrqFwd *fwd, VFIOIrqStep step)
{
    const VFIOIrqFwdOps *ops = fwd->dev->ops;
    Error *err = NULL;

    switch (step) {
    case STEP_IRQFD:
    case STEP_IRQFD_RESAMPLE:
        ops->irqfd_del(fwd, step == STEP_IRQFD_RESAMPLE);
        break;
    case STEP_TRIGGER:
    case STEP_TRIGGER_USER:
        ops->trigger_clear(fwd, step == STEP_TRIGGER_USER);
        break;
    case STEP_UNMASK:
        ops->unmask_clear(fwd);
        break;
    case STEP_FORWARD:
    case STEP_POST:
        /*
         * The API has the kernel end a forwarding by itself before what it
         * depends on goes; say so and go on.
         */
        if (!kvm_step(fwd, step == STEP_FORWARD ? KVM_VFIO_IRQ_UNFORWARD :
                      KVM_VFIO_IRQ_UNPOST, &err)) {
            fwd->undo_failed = true;
            warn_reportf_err(err, "vfio %s: IRQ %u.%u: ", fwd->dev->name,
                             fwd->index, fwd->subindex);
        }
        break;
    default:
        g_assert_not_reached();
    }
}

static void undo_steps(VFIOIrqFwd *fwd, const VFIOIrqStep *steps, int n)
{
    while (n-- > 0) {
        step_undo(fwd, steps[n]);
    }
}

static bool mode_is_fast(VfioIrqMode mode)
{
    return mode == VFIO_IRQ_MODE_FORWARDED || mode == VFIO_IRQ_MODE_POSTED;
}

/*
 * Migration (design note, "Migration"): forwarding is not guest state and
 * must not make a device unmigratable, but the kernel cannot carry a
 * forwarded or posted IRQ to another host.  So while a migration runs no
 * IRQ is forwarded or posted: the source moves its IRQs to the irqfd
 * paths (which migrate as upstream's do) when the migration starts, and
 * back if it fails or is cancelled, or when its VM runs again after it
 * completed; the destination forwards once its VM runs, after the device
 * and interrupt controller state are loaded.  Loading a snapshot stops
 * the VM in RESTORE_VM: the same; any state load is bracketed by
 * load_setup and load_cleanup (below), whatever the run state.
 */
static bool source_migrating;
static bool state_loading;
static bool vm_running;     /* RUNNING or SUSPENDED, as last notified */

static bool migration_pauses(void)
{
    return source_migrating || state_loading ||
           runstate_check(RUN_STATE_INMIGRATE) ||
           runstate_check(RUN_STATE_FINISH_MIGRATE) ||
           runstate_check(RUN_STATE_POSTMIGRATE) ||
           runstate_check(RUN_STATE_RESTORE_VM);
}

/* Enter @mode from DISABLED; on failure nothing stays set up. */
static bool enter_mode(VFIOIrqFwd *fwd, VfioIrqMode mode, Error **errp)
{
    const VFIOIrqStep *steps = mode_steps(fwd, mode);
    int i;

    assert(fwd->mode == VFIO_IRQ_MODE_DISABLED);
    for (i = 0; steps[i] != STEP_END; i++) {
        if (!step_do(fwd, steps[i], errp)) {
            undo_steps(fwd, steps, i);
            trace_vfio_irq_fwd_enter_failed(fwd->dev->name, fwd->index,
                                            fwd->subindex,
                                            VfioIrqMode_str(mode), i);
            return false;
        }
    }
    fwd->mode = mode;
    if (mode_is_fast(mode)) {
        /* The kernel holds this forwarding: an earlier undo no longer counts */
        fwd->undo_failed = false;
    }
    trace_vfio_irq_fwd_mode(fwd->dev->name, fwd->index, fwd->subindex,
                            fwd->gsi, VfioIrqMode_str(mode));
    return true;
}

void vfio_irq_fwd_disable(VFIOIrqFwd *fwd)
{
    const VFIOIrqStep *steps = mode_steps(fwd, fwd->mode);
    int n = 0;

    if (fwd->mode == VFIO_IRQ_MODE_DISABLED) {
        return;
    }
    while (steps[n] != STEP_END) {
        n++;
    }
    undo_steps(fwd, steps, n);
    fwd->mode = VFIO_IRQ_MODE_DISABLED;
    trace_vfio_irq_fwd_mode(fwd->dev->name, fwd->index, fwd->subindex,
                            fwd->gsi, VfioIrqMode_str(VFIO_IRQ_MODE_DISABLED));
}

/*
 * Whether the fast mode may be tried.  *kernel_has_api tells whether the
 * kernel implements it: only then is a failure a surprise worth a warning
 * under "auto".  During a migration, fwd->paused says that only the
 * migration keeps the IRQ from it.
 */
static bool forward_ready(VFIOIrqFwd *fwd, bool *kernel_has_api,
                          Error **errp)
{
    bool msi = fwd->kind == VFIO_IRQ_KIND_MSI;

    *kernel_has_api = false;
    if (fwd->blocked) {
        error_setg(errp, "%s", fwd->blocked);
        return false;
    }
    if (fwd->gsi < 0) {
        error_setg(errp, "the IRQ has no KVM GSI");
        return false;
    }
    if (!fwd->irqfd_allowed) {
        error_setg(errp, "KVM irqfd is not available for this IRQ");
        return false;
    }
    if (fwd->dev->kvm_fd < 0) {
        error_setg(errp, "there is no kvm-vfio device");
        return false;
    }
    if (!kvm_vfio_irq_supported(fwd->dev->kvm_fd, msi ? KVM_VFIO_IRQ_POST :
                                KVM_VFIO_IRQ_FORWARD, errp)) {
        return false;
    }
    *kernel_has_api = true;
    /* After a failed UNFORWARD the line may still be this IRQ's own */
    if (!msi && !fwd->undo_failed && kvm_vfio_irq_line_shared(fwd->gsi)) {
        fwd->line_shared = true;
        error_setg(errp, "guest GSI %d is shared with another interrupt "
                   "source", fwd->gsi);
        return false;
    }
    if (migration_pauses() || (fwd->dev->resetting && !msi)) {
        fwd->paused = true;
        error_setg(errp, "paused for a %s",
                   migration_pauses() ? "migration" : "reset");
        return false;
    }
    return true;
}

/* Try the fast mode (see forward_ready()). */
static bool forward(VFIOIrqFwd *fwd, bool *kernel_has_api, Error **errp)
{
    return forward_ready(fwd, kernel_has_api, errp) &&
           enter_mode(fwd, fwd->kind == VFIO_IRQ_KIND_MSI ?
                      VFIO_IRQ_MODE_POSTED : VFIO_IRQ_MODE_FORWARDED, errp);
}

bool vfio_irq_fwd_may_forward(VFIOIrqFwd *fwd)
{
    return fwd->dev && fwd->dev->policy != ON_OFF_AUTO_OFF &&
           !fwd->unsupported && !fwd->blocked && fwd->dev->kvm_fd >= 0 &&
           kvm_vfio_irq_supported(fwd->dev->kvm_fd,
                                  fwd->kind == VFIO_IRQ_KIND_MSI ?
                                  KVM_VFIO_IRQ_POST : KVM_VFIO_IRQ_FORWARD,
                                  NULL);
}

/*
 * The legacy paths: irqfd(+resamplefd), then userspace.  A line shared
 * with a source of QEMU's own takes the userspace path: the kernel keeps
 * one level per line, and the resampler would lower the line on the
 * guest's EOI whatever the other source holds, losing its interrupt;
 * QEMU's interrupt models OR the sources.  So does a level IRQ, under
 * any policy, on a line another IRQ is forwarded to: the guest's EOI of
 * a forwarded SPI never reaches a resampler, and its first raise, by
 * QEMU, takes the other IRQ off the line.
 */
static bool fall_back(VFIOIrqFwd *fwd, Error **errp)
{
    VfioIrqMode legacy = fwd->kind == VFIO_IRQ_KIND_LEVEL ?
                         VFIO_IRQ_MODE_IRQFD_RESAMPLE : VFIO_IRQ_MODE_IRQFD;
    Error *err = NULL;

    if (fwd->kind == VFIO_IRQ_KIND_LEVEL && !fwd->line_shared &&
        kvm_vfio_irq_line_forwarded(fwd->gsi)) {
        fwd->line_shared = true;
        if (!fwd->undo_failed) {
            g_free(fwd->reason);
            fwd->reason = g_strdup_printf("guest GSI %d is forwarded to "
                                          "another IRQ", fwd->gsi);
        }
    }
    if (fwd->irqfd_allowed && fwd->gsi >= 0 && !fwd->line_shared) {
        if (enter_mode(fwd, legacy, &err)) {
            return true;
        }
        trace_vfio_irq_fwd_irqfd_failed(fwd->dev->name, fwd->index,
                                        fwd->subindex,
                                        error_get_pretty(err));
        /* As upstream warns before it falls back to QEMU's handler */
        warn_reportf_err(err, "vfio %s: ", fwd->dev->name);
    }
    return enter_mode(fwd, VFIO_IRQ_MODE_USERSPACE, errp);
}

/* An IRQ's key in dev->reported: it outlives the VFIOIrqFwd. */
static gpointer reported_key(VFIOIrqFwd *fwd)
{
    return GUINT_TO_POINTER(fwd->index << 24 | fwd->subindex);
}

/* Every enable starts afresh on @gsi. */
static void enable_begin(VFIOIrqFwd *fwd, int gsi)
{
    assert(fwd->mode == VFIO_IRQ_MODE_DISABLED);
    fwd->gsi = gsi;
    fwd->paused = false;
    fwd->line_shared = false;
    g_clear_pointer(&fwd->reason, g_free);
}

static bool enable(VFIOIrqFwd *fwd, int gsi, bool strict, Error **errp)
{
    VFIOIrqFwdDev *dev = fwd->dev;
    const char *what = fwd->kind == VFIO_IRQ_KIND_MSI ? "posted" : "forwarded";
    bool kernel_has_api = false;
    Error *err = NULL;

    enable_begin(fwd, gsi);

    if (fwd->unsupported) {
        fwd->reason = g_strdup(fwd->unsupported);
    } else if (dev->policy == ON_OFF_AUTO_OFF) {
        fwd->reason = g_strdup("x-forward=off");
    } else if (forward(fwd, &kernel_has_api, &err)) {
        g_hash_table_remove(dev->reported, reported_key(fwd));
        return true;
    } else if (fwd->paused) {
        /* Not a failure, whatever the policy: forwarded again later. */
        fwd->reason = g_strdup(error_get_pretty(err));
        error_free(err);
    } else if (dev->policy == ON_OFF_AUTO_ON) {
        fwd->reason = g_strdup(error_get_pretty(err));
        /* Returned errors leave naming the device to the caller. */
        error_prepend(&err, "x-forward=on: IRQ %u.%u cannot be %s: ",
                      fwd->index, fwd->subindex, what);
        if (strict) {
            g_clear_pointer(&fwd->reason, g_free);
            error_propagate(errp, err);
            return false;
        }
        /*
         * The guest decides how often this runs (each MSI-X unmask, each
         * route change, each MSI enable): report a reason once per IRQ of
         * the device, until it changes or the IRQ is forwarded.
         */
        if (g_strcmp0(g_hash_table_lookup(dev->reported, reported_key(fwd)),
                      fwd->reason)) {
            g_hash_table_insert(dev->reported, reported_key(fwd),
                                g_strdup(fwd->reason));
            error_reportf_err(err, "vfio %s: ", dev->name);
        } else {
            error_free(err);
        }
    } else {
        fwd->reason = g_strdup(error_get_pretty(err));
        if (kernel_has_api && !dev->warned) {
            warn_report("vfio %s: IRQ %u.%u is not %s although the kernel "
                        "supports it: %s; falling back", dev->name,
                        fwd->index, fwd->subindex, what, fwd->reason);
            dev->warned = true;
        }
        error_free(err);
    }
    trace_vfio_irq_fwd_fall_back(dev->name, fwd->index, fwd->subindex,
                                 fwd->reason);
    if (!fall_back(fwd, errp)) {
        error_prepend(errp, "IRQ %u.%u: ", fwd->index, fwd->subindex);
        return false;
    }
    /* QEMU cannot know otherwise, so it must not claim otherwise. */
    if (fwd->kind == VFIO_IRQ_KIND_MSI && fwd->mode == VFIO_IRQ_MODE_IRQFD) {
        char *r = g_strdup_printf("%s; the kernel may still deliver it "
                                  "directly (IRQ bypass)", fwd->reason);

        g_free(fwd->reason);
        fwd->reason = r;
    }
    return true;
}

bool vfio_irq_fwd_hold(VFIOIrqFwd *fwd, const char *why, Error **errp)
{
    Error *err = NULL;

    if (!fwd->dev) {
        return true;
    }
    vfio_irq_fwd_disable(fwd);
    fwd->paused = false;
    g_free(fwd->reason);
    if (!enter_mode(fwd, VFIO_IRQ_MODE_USERSPACE, &err)) {
        fwd->reason = g_strdup(error_get_pretty(err));
        error_propagate_prepend(errp, err, "IRQ %u.%u: ", fwd->index,
                                fwd->subindex);
        return false;
    }
    fwd->reason = g_strdup(why);
    return true;
}

bool vfio_irq_fwd_enable(VFIOIrqFwd *fwd, int gsi, Error **errp)
{
    return enable(fwd, gsi, true, errp);
}

bool vfio_irq_fwd_enable_guest(VFIOIrqFwd *fwd, int gsi, Error **errp)
{
    return enable(fwd, gsi, false, errp);
}

bool vfio_irq_fwd_update(VFIOIrqFwd *fwd, int gsi, Error **errp)
{
    if (!fwd->dev) {
        return true;            /* exited: the IRQ is not in use */
    }
    trace_vfio_irq_fwd_update(fwd->dev->name, fwd->index, fwd->subindex,
                              fwd->gsi, gsi);
    vfio_irq_fwd_disable(fwd);
    return enable(fwd, gsi, false, errp);
}

/*
 * Post @n vectors, consecutive sub-indexes of one index of one device,
 * that forward_ready() let through, with one request: the kernel takes
 * all of them or none.
 */
static bool post_run(VFIOIrqFwd *const *fwds, unsigned n)
{
    VFIOIrqFwdDev *dev = fwds[0]->dev;
    g_autofree uint32_t *gsi = g_new(uint32_t, n);
    Error *err = NULL;
    unsigned i;

    for (i = 0; i < n; i++) {
        gsi[i] = fwds[i]->gsi;
    }
    if (kvm_vfio_irq_request(dev->kvm_fd, KVM_VFIO_IRQ_POST, dev->vfio_fd,
                             fwds[0]->index, fwds[0]->subindex, n, gsi,
                             &err) < 0) {
        trace_vfio_irq_fwd_post_many_failed(dev->name, fwds[0]->index,
                                            fwds[0]->subindex, n,
                                            error_get_pretty(err));
        error_free(err);
        return false;
    }
    trace_vfio_irq_fwd_post_many(dev->name, fwds[0]->index, fwds[0]->subindex,
                                 n);
    for (i = 0; i < n; i++) {
        fwds[i]->mode = VFIO_IRQ_MODE_POSTED;
        fwds[i]->undo_failed = false;
        g_hash_table_remove(dev->reported, reported_key(fwds[i]));
        trace_vfio_irq_fwd_mode(dev->name, fwds[i]->index, fwds[i]->subindex,
                                fwds[i]->gsi,
                                VfioIrqMode_str(VFIO_IRQ_MODE_POSTED));
    }
    return true;
}

static bool posts_together(VFIOIrqFwd *a, VFIOIrqFwd *b)
{
    return a->dev == b->dev && a->index == b->index &&
           b->subindex == a->subindex + 1;
}

void vfio_irq_fwd_update_many(VFIOIrqFwd *const *fwds, const int *gsi,
                              unsigned n)
{
    g_autofree bool *ready = g_new0(bool, n);
    unsigned i, j;

    for (i = 0; i < n; i++) {
        VFIOIrqFwd *fwd = fwds[i];
        bool kernel_has_api;

        assert(fwd->dev && fwd->kind == VFIO_IRQ_KIND_MSI);
        trace_vfio_irq_fwd_update(fwd->dev->name, fwd->index, fwd->subindex,
                                  fwd->gsi, gsi[i]);
        vfio_irq_fwd_disable(fwd);
        enable_begin(fwd, gsi[i]);
        ready[i] = !fwd->unsupported && fwd->dev->policy != ON_OFF_AUTO_OFF &&
                   forward_ready(fwd, &kernel_has_api, NULL);
    }
    for (i = 0; i < n; i = j) {
        /* The run of vectors that one request can post */
        j = i + 1;
        while (j < n && ready[i] && ready[j] &&
               posts_together(fwds[j - 1], fwds[j])) {
            j++;
        }
        if (j - i >= 2 && post_run(fwds + i, j - i)) {
            continue;
        }
        /* Alone, or the run failed: each on its own, with its reason. */
        for (; i < j; i++) {
            Error *err = NULL;

            if (!enable(fwds[i], gsi[i], false, &err)) {
                error_reportf_err(err, "vfio %s: ", fwds[i]->dev->name);
            }
        }
    }
}

void vfio_irq_fwd_init(VFIOIrqFwd *fwd, VFIOIrqFwdDev *dev, void *opaque,
                       uint32_t index, uint32_t subindex, VfioIrqKind kind)
{
    *fwd = (VFIOIrqFwd) {
        .dev = dev,
        .opaque = opaque,
        .index = index,
        .subindex = subindex,
        .kind = kind,
        .gsi = -1,
        .mode = VFIO_IRQ_MODE_DISABLED,
    };
    QLIST_INSERT_HEAD(&dev->irqs, fwd, next);
}

void vfio_irq_fwd_exit(VFIOIrqFwd *fwd)
{
    if (!fwd->dev) {
        return;                 /* never initialized, or exited already */
    }
    vfio_irq_fwd_disable(fwd);
    g_clear_pointer(&fwd->reason, g_free);
    QLIST_REMOVE(fwd, next);
    fwd->dev = NULL;
}

static void vfio_irq_fwd_at_exit(Notifier *n, void *data)
{
    vfio_irq_fwd_unforward_all();
}

static Notifier exit_notifier = { .notify = vfio_irq_fwd_at_exit };

/*
 * Set @fwd up again on its GSI: a wired IRQ through the device's own
 * update path, which keeps its interrupts from being lost meanwhile; an
 * MSI vector here, as its irqfd and trigger stay as they are.
 */
static void refresh(VFIOIrqFwd *fwd, bool to_fast)
{
    Error *err = NULL;

    trace_vfio_irq_fwd_refresh(fwd->dev->name, fwd->index, fwd->subindex,
                               to_fast);
    if (fwd->kind != VFIO_IRQ_KIND_MSI) {
        fwd->dev->ops->refresh(fwd);
    } else if (!vfio_irq_fwd_update(fwd, fwd->gsi, &err)) {
        error_reportf_err(err, "vfio %s: ", fwd->dev->name);
    }
}

/*
 * Move @dev's IRQs between their fast and their fallback path: @to_fast,
 * those that only a migration or a reset kept from it; else those
 * forwarded or posted.
 */
static void refresh_dev(VFIOIrqFwdDev *dev, bool to_fast)
{
    VFIOIrqFwd *fwd, *next;

    QLIST_FOREACH_SAFE(fwd, &dev->irqs, next, next) {
        if (to_fast ? fwd->paused : mode_is_fast(fwd->mode)) {
            refresh(fwd, to_fast);
        }
    }
}

static void refresh_all(bool to_fast)
{
    VFIOIrqFwdDev *dev;

    QTAILQ_FOREACH(dev, &fwd_devs, next) {
        if (!to_fast || !dev->resetting) {
            refresh_dev(dev, to_fast);
        }
    }
}

/*
 * A reset writes QEMU's interrupt controller state into the kernel's,
 * and KVM ignores userspace writes of a forwarded IRQ's active state: a
 * forwarded IRQ taken before the GIC is reset would stay active in the
 * host for good, and the device interrupt no more.  So the enter phase
 * of the device's reset masks each forwarded IRQ at VFIO and unforwards
 * it, with nothing set up in its place (enter has no effect on other
 * objects); IRQs the device sets up again meanwhile take their fallback
 * path; the exit phase, after every interrupt controller's hold phase,
 * forwards them again through the device's update path, which unmasks
 * them so that a level still asserted fires anew.  Posted MSIs have no
 * active state to lose: a reset leaves them alone.
 */
void vfio_irq_fwd_dev_reset_enter(VFIOIrqFwdDev *dev)
{
    VFIOIrqFwd *fwd;

    if (!dev->ops || dev->resetting) {
        return;
    }
    dev->resetting = true;
    QLIST_FOREACH(fwd, &dev->irqs, next) {
        if (fwd->mode == VFIO_IRQ_MODE_FORWARDED) {
            trace_vfio_irq_fwd_refresh(dev->name, fwd->index, fwd->subindex,
                                       false);
            dev->ops->mask(fwd);
            vfio_irq_fwd_disable(fwd);
            fwd->paused = true;
            g_free(fwd->reason);
            fwd->reason = g_strdup("paused for a reset");
        }
    }
}

void vfio_irq_fwd_dev_reset_exit(VFIOIrqFwdDev *dev)
{
    if (!dev->ops || !dev->resetting) {
        return;
    }
    dev->resetting = false;
    if (!migration_pauses()) {
        refresh_dev(dev, true);
    }
}

static int vfio_irq_fwd_migration_notify(NotifierWithReturn *n,
                                         MigrationEvent *e, Error **errp)
{
    switch (e->type) {
    case MIG_EVENT_PRECOPY_SETUP:
        source_migrating = true;
        refresh_all(false);
        break;
    case MIG_EVENT_PRECOPY_FAILED:
        source_migrating = false;
        refresh_all(true);
        break;
    default:
        /* Done: the VM stays stopped (POSTMIGRATE) unless resumed. */
        source_migrating = false;
        break;
    }
    return 0;
}

/* One per migration mode: CPR modes must not carry a forwarding either. */
static NotifierWithReturn migration_notifiers[MIG_MODE__MAX];

/*
 * The VM runs: a destination's or a snapshot's state is loaded, or a
 * source runs again after its migration.  The VM stops to load a
 * snapshot: no IRQ may stay forwarded under the load.
 */
static void vfio_irq_fwd_vm_state_change(void *opaque, bool running,
                                         RunState state)
{
    vm_running = running;
    if (running && !migration_pauses()) {
        refresh_all(true);
    } else if (!running && migration_pauses()) {
        refresh_all(false);
    }
}

/*
 * Every load of VM state, also those that keep the VM out of RESTORE_VM
 * (loadvm into a paused VM, -loadvm at start-up): no IRQ stays
 * forwarded while the interrupt controllers' state loads.  The IRQs
 * come back when the VM runs, as after a migration.
 */
static int vfio_irq_fwd_load_setup(QEMUFile *f, void *opaque, Error **errp)
{
    state_loading = true;
    refresh_all(false);
    return 0;
}

/*
 * Also called without load_setup, e.g. when an incoming migration fails.
 * An incoming migration ends here after its VM started (a postcopy one
 * long after), a COLO secondary only when COLO ends.
 */
static int vfio_irq_fwd_load_cleanup(void *opaque)
{
    state_loading = false;
    if (vm_running && !migration_pauses()) {
        refresh_all(true);
    }
    return 0;
}

/*
 * No section of its own in the stream: only the load's bracket, which
 * migration has no notifier for (its notifiers are the source's).
 */
static const SaveVMHandlers vfio_irq_fwd_load_handlers = {
    .load_setup = vfio_irq_fwd_load_setup,
    .load_cleanup = vfio_irq_fwd_load_cleanup,
};

/*
 * One of QEMU's own sources raised a forwarded line (kvm_vfio_irq_line_set()):
 * move its IRQ off it, through the device's update path, before the level
 * reaches the kernel.
 */
static void vfio_irq_fwd_line_shared(Notifier *n, void *data)
{
    int gsi = *(int *)data;
    VFIOIrqFwdDev *dev;
    VFIOIrqFwd *fwd, *next;

    QTAILQ_FOREACH(dev, &fwd_devs, next) {
        QLIST_FOREACH_SAFE(fwd, &dev->irqs, next, next) {
            if (fwd->mode == VFIO_IRQ_MODE_FORWARDED && fwd->gsi == gsi) {
                refresh(fwd, false);
            }
        }
    }
}

static Notifier shared_notifier = { .notify = vfio_irq_fwd_line_shared };

static bool notifiers_added;

void vfio_irq_fwd_dev_init(VFIOIrqFwdDev *dev, Object *owner,
                           const char *name, int vfio_fd, int kvm_fd,
                           OnOffAuto policy, const VFIOIrqFwdOps *ops)
{
    *dev = (VFIOIrqFwdDev) {
        .owner = owner,
        .name = name,
        .policy = policy,
        .vfio_fd = vfio_fd,
        .kvm_fd = kvm_fd,
        .ops = ops,
        .reported = g_hash_table_new_full(NULL, NULL, NULL, g_free),
    };
    QLIST_INIT(&dev->irqs);
    if (!notifiers_added) {
        qemu_add_exit_notifier(&exit_notifier);
        for (MigMode mode = 0; mode < MIG_MODE__MAX; mode++) {
            migration_add_notifier_mode(&migration_notifiers[mode],
                                        vfio_irq_fwd_migration_notify, mode);
        }
        qemu_add_vm_change_state_handler(vfio_irq_fwd_vm_state_change, NULL);
        /* A device hot-plugged into a running VM: no notification yet */
        vm_running = runstate_check(RUN_STATE_RUNNING) ||
                     runstate_check(RUN_STATE_SUSPENDED);
        register_savevm_live("vfio-irq-forward", 0, 1,
                             &vfio_irq_fwd_load_handlers, NULL);
        kvm_vfio_irq_add_shared_notifier(&shared_notifier);
        notifiers_added = true;
    }
    QTAILQ_INSERT_TAIL(&fwd_devs, dev, next);
}

void vfio_irq_fwd_dev_exit(VFIOIrqFwdDev *dev)
{
    if (!dev->ops) {
        return;                 /* never initialized, or exited already */
    }
    while (!QLIST_EMPTY(&dev->irqs)) {
        vfio_irq_fwd_exit(QLIST_FIRST(&dev->irqs));
    }
    QTAILQ_REMOVE(&fwd_devs, dev, next);
    g_clear_pointer(&dev->reported, g_hash_table_destroy);
    dev->ops = NULL;
}

bool vfio_irq_fwd_check(const char *name, OnOffAuto policy,
                        const char *blocked, Error **errp)
{
    if (policy == ON_OFF_AUTO_ON && blocked) {
        error_setg(errp, "vfio %s: x-forward=on: IRQs cannot be forwarded: "
                   "%s", name, blocked);
        return false;
    }
    return true;
}

bool vfio_irq_fwd_probe(VFIOIrqFwdDev *dev, VfioIrqKind kind,
                        const char *none, Error **errp)
{
    KVMVFIOIrqOp op = kind == VFIO_IRQ_KIND_MSI ? KVM_VFIO_IRQ_POST :
                      KVM_VFIO_IRQ_FORWARD;

    if (dev->policy != ON_OFF_AUTO_ON) {
        return true;
    }
    if (none) {
        error_setg(errp, "x-forward=on: %s", none);
        return false;
    }
    if (dev->kvm_fd < 0) {
        error_setg(errp, "x-forward=on: there is no kvm-vfio device");
        return false;
    }
    if (!kvm_vfio_irq_supported(dev->kvm_fd, op, errp)) {
        error_prepend(errp, "x-forward=on: ");
        return false;
    }
    return true;
}

void vfio_irq_fwd_unforward_all(void)
{
    VFIOIrqFwdDev *dev;
    VFIOIrqFwd *fwd;

    QTAILQ_FOREACH(dev, &fwd_devs, next) {
        QLIST_FOREACH(fwd, &dev->irqs, next) {
            if (mode_is_fast(fwd->mode)) {
                vfio_irq_fwd_disable(fwd);
            }
        }
    }
}

VFIOIrqFwdDev *vfio_irq_fwd_dev_next(VFIOIrqFwdDev *prev)
{
    return prev ? QTAILQ_NEXT(prev, next) : QTAILQ_FIRST(&fwd_devs);
}
