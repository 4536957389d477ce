/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * vfio-pci's MSI and MSI-X vectors in IRQ forwarding (irq-forward.c):
 * posted on x86.
 *
 * pci.c owns each vector's KVM route, irqfd and VFIO trigger, as before,
 * and records which eventfd VFIO took (kvm_trigger); the state machine
 * runs no device callback for a vector.  It posts a vector whose trigger
 * VFIO took as its irqfd, is told to unpost it before pci.c changes any
 * of that, and reports the vector's path.
 */

#include "qemu/osdep.h"
#include <linux/kvm.h>
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "system/kvm.h"
#include "system/kvm-vfio-irq.h"
#include "hw/pci/msix.h"
#include "hw/vfio/vfio-common.h"
#include "pci.h"

void vfio_pci_msi_fwd_init(VFIOPCIDevice *vdev, int nr, bool msix)
{
    VFIOIrqFwd *fwd = &vdev->msi_vectors[nr].fwd;
    int index = msix ? VFIO_PCI_MSIX_IRQ_INDEX : VFIO_PCI_MSI_IRQ_INDEX;

    vfio_irq_fwd_init(fwd, &vdev->fwd_dev, vdev, index, nr, VFIO_IRQ_KIND_MSI);
    fwd->unsupported = kvm_vfio_irq_kind_unsupported(true);
    fwd->blocked = vfio_pci_fwd_blocked(vdev, index);
}

/*
 * Why the KVM route of vector @nr cannot be posted, or NULL: the route
 * pci.c gave KVM, as KVM holds it (after interrupt remapping).
 */
static const char *vfio_pci_msi_unpostable(VFIOPCIDevice *vdev, int nr)
{
    int virq = vdev->msi_vectors[nr].virq;
    struct kvm_irq_routing_entry route;

    if (virq < 0) {
        return NULL;    /* no KVM route: not posted for other reasons */
    }
    if (kvm_vfio_irq_route_blocked(virq)) {
        return "interrupt remapping blocks the vector";
    }
    return kvm_vfio_irq_route_unpostable(
        kvm_irqchip_get_route(kvm_state, virq, &route) ? NULL : &route);
}

/*
 * pci.c pointed VFIO's trigger for vector @nr at QEMU (a masked MSI-X
 * vector): QEMU delivers it, and keeps it pending while masked.
 */
void vfio_pci_msi_fwd_hold(VFIOPCIDevice *vdev, int nr)
{
    Error *err = NULL;

    if (vdev->msi_vectors[nr].use &&
        !vfio_irq_fwd_hold(&vdev->msi_vectors[nr].fwd, "masked: QEMU keeps "
                           "its interrupts pending", &err)) {
        error_reportf_err(err, VFIO_MSG_PREFIX, vdev->vbasedev.name);
    }
}

/*
 * Bring vector @nr's state up to date with pci.c's; true if it is then to
 * be updated on MAX(virq, -1) (without a KVM route virq holds an errno,
 * e.g. -ENOSYS without KVM).
 */
static bool vfio_pci_msi_fwd_prepare(VFIOPCIDevice *vdev, int nr, bool lazy)
{
    VFIOMSIVector *vector = &vdev->msi_vectors[nr];
    VFIOIrqFwd *fwd = &vector->fwd;
    const char *blocked;

    if (!vector->use) {
        return false;
    }
    /* A masked MSI-X vector fires through QEMU, for the PBA: no posting. */
    if (vdev->interrupt == VFIO_INT_MSIX && msix_is_masked(&vdev->pdev, nr)) {
        vfio_pci_msi_fwd_hold(vdev, nr);
        return false;
    }
    blocked = vfio_pci_fwd_blocked(vdev, fwd->index);
    if (!blocked && vector->virq >= 0 && !vector->kvm_trigger) {
        blocked = "VFIO did not take the vector's irqfd as its trigger";
    }
    /* Translate the route only when posting is an option at all. */
    if (!blocked && !fwd->unsupported && vdev->forward != ON_OFF_AUTO_OFF) {
        blocked = vfio_pci_msi_unpostable(vdev, nr);
    }
    /*
     * On a remapping change, leave alone what pci.c has taken down, and a
     * vector kept from posting for a reason the change did not touch.
     */
    if (lazy && (fwd->mode == VFIO_IRQ_MODE_DISABLED ||
                 (fwd->mode != VFIO_IRQ_MODE_POSTED &&
                  fwd->blocked == blocked))) {
        return false;
    }
    fwd->blocked = blocked;
    /* Posted only when VFIO took the irqfd as the vector's trigger */
    fwd->irqfd_allowed = vector->kvm_trigger;
    return true;
}

static void vfio_pci_msi_fwd_resync(VFIOPCIDevice *vdev, int nr, bool lazy)
{
    int virq = vdev->msi_vectors[nr].virq;
    Error *err = NULL;

    if (vfio_pci_msi_fwd_prepare(vdev, nr, lazy) &&
        !vfio_irq_fwd_update(&vdev->msi_vectors[nr].fwd, MAX(virq, -1),
                             &err)) {
        error_reportf_err(err, VFIO_MSG_PREFIX, vdev->vbasedev.name);
    }
}

/*
 * pci.c has pointed VFIO's trigger for vector @nr at its KVM irqfd (or,
 * without a KVM route, at QEMU): post it, or record the path it takes.
 * Also after every route change, to re-post with the new route.
 */
void vfio_pci_msi_fwd_sync(VFIOPCIDevice *vdev, int nr)
{
    vfio_pci_msi_fwd_resync(vdev, nr, false);
}

/* The same for every vector, posting runs of them with one request. */
void vfio_pci_msi_fwd_sync_all(VFIOPCIDevice *vdev)
{
    g_autofree VFIOIrqFwd **fwds = g_new(VFIOIrqFwd *, vdev->nr_vectors);
    g_autofree int *gsi = g_new(int, vdev->nr_vectors);
    unsigned n = 0;
    int i;

    for (i = 0; i < vdev->nr_vectors; i++) {
        if (vfio_pci_msi_fwd_prepare(vdev, i, false)) {
            fwds[n] = &vdev->msi_vectors[i].fwd;
            gsi[n++] = MAX(vdev->msi_vectors[i].virq, -1);
        }
    }
    vfio_irq_fwd_update_many(fwds, gsi, n);
}

/* Before pci.c masks, re-routes or tears down vector @nr. */
void vfio_pci_msi_fwd_unpost(VFIOPCIDevice *vdev, int nr)
{
    if (vdev->msi_vectors[nr].use) {
        vfio_irq_fwd_disable(&vdev->msi_vectors[nr].fwd);
    }
}

void vfio_pci_msi_fwd_unpost_all(VFIOPCIDevice *vdev)
{
    int i;

    for (i = 0; i < vdev->nr_vectors; i++) {
        vfio_pci_msi_fwd_unpost(vdev, i);
    }
}

/*
 * Interrupt remapping rewrote MSI routes (kvm_vfio_irq_routes_changed()):
 * re-post every posted vector with its new route, and post the ones that
 * only their old route kept from it.
 */
static void vfio_pci_msi_fwd_routes_changed(Notifier *n, void *data)
{
    VFIOPCIDevice *vdev = container_of(n, VFIOPCIDevice, fwd_route_notifier);
    int i;

    if (vdev->interrupt != VFIO_INT_MSI && vdev->interrupt != VFIO_INT_MSIX) {
        return;
    }
    for (i = 0; i < vdev->nr_vectors; i++) {
        vfio_pci_msi_fwd_resync(vdev, i, true);
    }
}

void vfio_pci_msi_fwd_exit(VFIOPCIDevice *vdev, int nr)
{
    vfio_irq_fwd_exit(&vdev->msi_vectors[nr].fwd);
}

/* Interrupt remapping's route changes, for as long as the device lives */
void vfio_pci_msi_fwd_attach(VFIOPCIDevice *vdev)
{
    vdev->fwd_route_notifier.notify = vfio_pci_msi_fwd_routes_changed;
    kvm_vfio_irq_add_route_notifier(&vdev->fwd_route_notifier);
}

void vfio_pci_msi_fwd_detach(VFIOPCIDevice *vdev)
{
    if (vdev->fwd_route_notifier.notify) {
        kvm_vfio_irq_remove_route_notifier(&vdev->fwd_route_notifier);
        vdev->fwd_route_notifier.notify = NULL;
    }
}
