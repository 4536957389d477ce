/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * vfio-pci's side of IRQ forwarding (irq-forward.c): the device's part,
 * and INTx, which is forwarded on ARM.
 *
 * INTx: the state machine owns the whole path (irqfd, resamplefd, who
 * reads VFIO's trigger eventfd, VFIO's unmask eventfd).  VFIO's trigger
 * itself is set once by vfio_intx_enable() and stays.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "system/kvm.h"
#include "system/kvm-vfio-irq.h"
#include "hw/vfio/vfio-common.h"
#include "pci.h"

/* Why no IRQ of any device can be forwarded or posted. */
const char *vfio_pci_fwd_blocked_all(void)
{
    if (!kvm_enabled()) {
        return "KVM is not in use";
    }
    if (!kvm_irqchip_in_kernel()) {
        return "the interrupt controller is not in the kernel";
    }
    if (!kvm_irqfds_enabled()) {
        return "KVM has no irqfd support";
    }
    return NULL;
}

/* The x-no-kvm-* property that keeps IRQ @index off KVM, or NULL. */
const char *vfio_pci_fwd_no_kvm(VFIOPCIDevice *vdev, int index)
{
    switch (index) {
    case VFIO_PCI_INTX_IRQ_INDEX:
        return vdev->no_kvm_intx ? "x-no-kvm-intx=on" : NULL;
    case VFIO_PCI_MSI_IRQ_INDEX:
        return vdev->no_kvm_msi ? "x-no-kvm-msi=on" : NULL;
    default:
        return vdev->no_kvm_msix ? "x-no-kvm-msix=on" : NULL;
    }
}

const char *vfio_pci_fwd_blocked(VFIOPCIDevice *vdev, int index)
{
    return vfio_pci_fwd_no_kvm(vdev, index) ?: vfio_pci_fwd_blocked_all();
}

static bool vfio_pci_fwd_irqfd_add(VFIOIrqFwd *fwd, bool resample,
                                   Error **errp)
{
    VFIOPCIDevice *vdev = fwd->opaque;
    int ret;

    assert(fwd->index == VFIO_PCI_INTX_IRQ_INDEX);
    if (resample) {
        if (!kvm_resamplefds_enabled()) {
            error_setg(errp, "KVM has no resamplefd support");
            return false;
        }
        /* Upstream's words, here and below, for upstream's warning */
        if (event_notifier_init(&vdev->intx.unmask, 0)) {
            error_setg(errp, "event_notifier_init failed eoi");
            return false;
        }
    }
    ret = kvm_irqchip_add_irqfd_notifier_gsi(kvm_state, &vdev->intx.interrupt,
                                             resample ? &vdev->intx.unmask :
                                             NULL, fwd->gsi);
    if (ret < 0) {
        if (resample) {
            error_setg_errno(errp, -ret, "failed to setup resample irqfd");
            event_notifier_cleanup(&vdev->intx.unmask);
        } else {
            error_setg_errno(errp, -ret, "cannot add an irqfd for GSI %d",
                             fwd->gsi);
        }
        return false;
    }
    vdev->intx.kvm_accel = true;
    return true;
}

static void vfio_pci_fwd_irqfd_del(VFIOIrqFwd *fwd, bool resample)
{
    VFIOPCIDevice *vdev = fwd->opaque;

    assert(fwd->index == VFIO_PCI_INTX_IRQ_INDEX);
    if (kvm_irqchip_remove_irqfd_notifier_gsi(kvm_state, &vdev->intx.interrupt,
                                              fwd->gsi)) {
        warn_report("vfio %s: cannot remove the INTx irqfd of GSI %d",
                    vdev->vbasedev.name, fwd->gsi);
    }
    if (resample) {
        event_notifier_cleanup(&vdev->intx.unmask);
    }
    vdev->intx.kvm_accel = false;
}

/* VFIO's trigger is in place: only who reads it changes. */
static bool vfio_pci_fwd_trigger_set(VFIOIrqFwd *fwd, bool userspace,
                                     Error **errp)
{
    VFIOPCIDevice *vdev = fwd->opaque;

    assert(fwd->index == VFIO_PCI_INTX_IRQ_INDEX);
    qemu_set_fd_handler(event_notifier_get_fd(&vdev->intx.interrupt),
                        userspace ? vdev->intx.handler : NULL, NULL, vdev);
    return true;
}

static void vfio_pci_fwd_trigger_clear(VFIOIrqFwd *fwd, bool userspace)
{
    VFIOPCIDevice *vdev = fwd->opaque;

    assert(fwd->index == VFIO_PCI_INTX_IRQ_INDEX);
    qemu_set_fd_handler(event_notifier_get_fd(&vdev->intx.interrupt),
                        NULL, NULL, vdev);
}

static bool vfio_pci_fwd_unmask_set(VFIOIrqFwd *fwd, Error **errp)
{
    VFIOPCIDevice *vdev = fwd->opaque;

    assert(fwd->index == VFIO_PCI_INTX_IRQ_INDEX);
    return vfio_set_irq_signaling(&vdev->vbasedev, VFIO_PCI_INTX_IRQ_INDEX, 0,
                                  VFIO_IRQ_SET_ACTION_UNMASK,
                                  event_notifier_get_fd(&vdev->intx.unmask),
                                  errp);
}

static void vfio_pci_fwd_unmask_clear(VFIOIrqFwd *fwd)
{
    VFIOPCIDevice *vdev = fwd->opaque;
    Error *err = NULL;

    /*
     * Upstream only closes the eventfd (irqfd_del()), and VFIO lets it go
     * asynchronously; FORWARD needs it gone first, so detach it here,
     * unless no FORWARD can follow.
     */
    if (!vfio_irq_fwd_may_forward(fwd)) {
        return;
    }

    if (!vfio_set_irq_signaling(&vdev->vbasedev, VFIO_PCI_INTX_IRQ_INDEX, 0,
                                VFIO_IRQ_SET_ACTION_UNMASK, -1, &err)) {
        warn_reportf_err(err, VFIO_MSG_PREFIX, vdev->vbasedev.name);
    }
}

static void vfio_pci_fwd_refresh(VFIOIrqFwd *fwd);

/* Only INTx is ever forwarded. */
static void vfio_pci_fwd_mask(VFIOIrqFwd *fwd)
{
    VFIOPCIDevice *vdev = fwd->opaque;

    assert(fwd->index == VFIO_PCI_INTX_IRQ_INDEX);
    vfio_mask_single_irqindex(&vdev->vbasedev, VFIO_PCI_INTX_IRQ_INDEX);
}

static const VFIOIrqFwdOps vfio_pci_fwd_ops = {
    .irqfd_add = vfio_pci_fwd_irqfd_add,
    .irqfd_del = vfio_pci_fwd_irqfd_del,
    .trigger_set = vfio_pci_fwd_trigger_set,
    .trigger_clear = vfio_pci_fwd_trigger_clear,
    .unmask_set = vfio_pci_fwd_unmask_set,
    .unmask_clear = vfio_pci_fwd_unmask_clear,
    .refresh = vfio_pci_fwd_refresh,
    .mask = vfio_pci_fwd_mask,
};

void vfio_pci_fwd_init(VFIOPCIDevice *vdev)
{
    vfio_irq_fwd_dev_init(&vdev->fwd_dev, OBJECT(vdev), vdev->vbasedev.name,
                          vdev->vbasedev.fd, vfio_kvm_device_get_fd(),
                          vdev->forward, &vfio_pci_fwd_ops);
}

void vfio_pci_fwd_exit(VFIOPCIDevice *vdev)
{
    vfio_irq_fwd_dev_exit(&vdev->fwd_dev);
}

/*
 * A reset's enter and exit phases, around every device's hold phase,
 * where the interrupt controllers write their reset state and this
 * device sets INTx up again (vfio_pci_post_reset()): INTx is masked and
 * unforwarded in enter, takes its fallback path when post_reset sets it
 * up, and the exit phase forwards it again through
 * vfio_pci_intx_fwd_reroute(), whose unmask makes a level asserted
 * during the reset fire anew.  MSI vectors are torn down by the reset.
 */
void vfio_pci_fwd_reset_enter(Object *obj, ResetType type)
{
    vfio_irq_fwd_dev_reset_enter(&VFIO_PCI(obj)->fwd_dev);
}

void vfio_pci_fwd_reset_exit(Object *obj, ResetType type)
{
    vfio_irq_fwd_dev_reset_exit(&VFIO_PCI(obj)->fwd_dev);
}

/*
 * The GSI through which KVM injects INTx, or -1 when QEMU's handler must
 * serve it: upstream's test in vfio_intx_enable_kvm().
 */
static int vfio_pci_intx_gsi(VFIOPCIDevice *vdev)
{
    if (vdev->no_kvm_intx || !kvm_irqfds_enabled() ||
        !kvm_resamplefds_enabled() ||
        vdev->intx.route.mode != PCI_INTX_ENABLED) {
        return -1;
    }
    return vdev->intx.route.irq;
}

/* VFIO's INTx masked and QEMU's line lowered, while INTx changes path. */
static void vfio_pci_intx_quiesce(VFIOPCIDevice *vdev)
{
    vfio_mask_single_irqindex(&vdev->vbasedev, VFIO_PCI_INTX_IRQ_INDEX);
    vdev->intx.pending = false;
    pci_irq_deassert(&vdev->pdev);
}

/*
 * Put INTx on the path its route allows, as upstream does: onto KVM
 * quiesced, then unmasked so that an interrupt that came in between fires
 * again; QEMU's handler alone needs no call to VFIO, and upstream makes
 * none.  @first: INTx is being enabled, else it moves.
 */
static bool vfio_pci_intx_fwd_set(VFIOPCIDevice *vdev, bool first,
                                  Error **errp)
{
    VFIOIrqFwd *fwd = &vdev->intx.fwd;
    int gsi = vfio_pci_intx_gsi(vdev);
    bool ok;

    if (gsi >= 0) {
        vfio_pci_intx_quiesce(vdev);
    }
    if (!first) {
        ok = vfio_irq_fwd_update(fwd, gsi, errp);
    } else if (DEVICE(vdev)->realized) {
        /*
         * At realize, x-forward=on makes a failure fatal; later (after MSI
         * is disabled, after a reset) the guest's INTx must keep working.
         */
        ok = vfio_irq_fwd_enable_guest(fwd, gsi, errp);
    } else {
        ok = vfio_irq_fwd_enable(fwd, gsi, errp);
    }
    if (gsi >= 0) {
        vfio_unmask_single_irqindex(&vdev->vbasedev, VFIO_PCI_INTX_IRQ_INDEX);
    }
    return ok;
}

/* @handler: QEMU's INTx handler, for the userspace path */
bool vfio_pci_intx_fwd_enable(VFIOPCIDevice *vdev, void (*handler)(void *),
                              Error **errp)
{
    VFIOIrqFwd *fwd = &vdev->intx.fwd;

    vdev->intx.handler = handler;

    vfio_irq_fwd_init(fwd, &vdev->fwd_dev, vdev, VFIO_PCI_INTX_IRQ_INDEX, 0,
                      VFIO_IRQ_KIND_LEVEL);
    fwd->unsupported = kvm_vfio_irq_kind_unsupported(false);
    fwd->blocked = vfio_pci_fwd_blocked(vdev, VFIO_PCI_INTX_IRQ_INDEX);
    fwd->irqfd_allowed = kvm_irqfds_enabled() && !vdev->no_kvm_intx;
    if (!vfio_pci_intx_fwd_set(vdev, true, errp)) {
        vfio_irq_fwd_exit(fwd);
        return false;
    }
    return true;
}

/*
 * Move INTx to @route, or set it up again on its route (@route may be
 * &vdev->intx.route), for guest route changes and migration alike, in
 * upstream's steps (vfio_intx_update()): off KVM onto QEMU's handler,
 * quiesced; onto the new route; then the EOI of an interrupt that QEMU
 * took meanwhile.
 */
void vfio_pci_intx_fwd_reroute(VFIOPCIDevice *vdev, const PCIINTxRoute *route)
{
    Error *err = NULL;

    if (vdev->intx.kvm_accel) {
        vfio_pci_intx_quiesce(vdev);
        if (!vfio_irq_fwd_hold(&vdev->intx.fwd, "moving to a new route",
                               &err)) {
            error_reportf_err(err, VFIO_MSG_PREFIX, vdev->vbasedev.name);
            err = NULL;
        }
        vfio_unmask_single_irqindex(&vdev->vbasedev, VFIO_PCI_INTX_IRQ_INDEX);
    }

    vdev->intx.route = *route;
    if (!vfio_pci_intx_fwd_set(vdev, false, &err)) {
        error_reportf_err(err, VFIO_MSG_PREFIX, vdev->vbasedev.name);
    }
    if (route->mode == PCI_INTX_ENABLED) {
        vdev->vbasedev.ops->vfio_eoi(&vdev->vbasedev);
    }
}

/* Migration moves the IRQ between its fast and fallback path. */
static void vfio_pci_fwd_refresh(VFIOIrqFwd *fwd)
{
    VFIOPCIDevice *vdev = fwd->opaque;

    assert(fwd->index == VFIO_PCI_INTX_IRQ_INDEX);
    vfio_pci_intx_fwd_reroute(vdev, &vdev->intx.route);
}

void vfio_pci_intx_fwd_disable(VFIOPCIDevice *vdev)
{
    vfio_irq_fwd_exit(&vdev->intx.fwd);
}
