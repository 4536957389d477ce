/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * query-vfio-irqs and "info vfio-irqs": how each VFIO device IRQ
 * reaches the guest, and why not through the fastest path.
 */

#include "qemu/osdep.h"
#include "qapi/qapi-commands-vfio.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"
#include "qom/object.h"
#include "hw/vfio/vfio-irq-forward.h"

static gint vfio_irq_fwd_cmp(gconstpointer a, gconstpointer b)
{
    const VFIOIrqFwd *x = *(VFIOIrqFwd *const *)a;
    const VFIOIrqFwd *y = *(VFIOIrqFwd *const *)b;

    if (x->index != y->index) {
        return x->index < y->index ? -1 : 1;
    }
    return x->subindex < y->subindex ? -1 : x->subindex > y->subindex;
}

static VfioIrqDeviceInfo *vfio_irq_fwd_dev_info(VFIOIrqFwdDev *dev)
{
    VfioIrqDeviceInfo *info = g_new0(VfioIrqDeviceInfo, 1);
    g_autoptr(GPtrArray) irqs = g_ptr_array_new();
    VfioIrqInfoList **tail = &info->irqs;
    VFIOIrqFwd *fwd;
    guint i;

    info->name = g_strdup(dev->name);
    info->qom_path = dev->owner ? object_get_canonical_path(dev->owner) :
                     g_strdup("");
    info->forward = dev->policy;

    /* In VFIO's order, whatever order the device registered them in. */
    QLIST_FOREACH(fwd, &dev->irqs, next) {
        g_ptr_array_add(irqs, fwd);
    }
    g_ptr_array_sort(irqs, vfio_irq_fwd_cmp);
    for (i = 0; i < irqs->len; i++) {
        VfioIrqInfo *irq = g_new0(VfioIrqInfo, 1);

        fwd = g_ptr_array_index(irqs, i);
        irq->index = fwd->index;
        irq->subindex = fwd->subindex;
        irq->kind = fwd->kind;
        if (fwd->gsi >= 0) {
            irq->has_gsi = true;
            irq->gsi = fwd->gsi;
        }
        irq->mode = fwd->mode;
        irq->reason = g_strdup(fwd->reason);
        QAPI_LIST_APPEND(tail, irq);
    }
    return info;
}

VfioIrqDeviceInfoList *qmp_query_vfio_irqs(Error **errp)
{
    VfioIrqDeviceInfoList *list = NULL, **tail = &list;
    VFIOIrqFwdDev *dev = NULL;

    while ((dev = vfio_irq_fwd_dev_next(dev))) {
        QAPI_LIST_APPEND(tail, vfio_irq_fwd_dev_info(dev));
    }
    return list;
}

void hmp_info_vfio_irqs(Monitor *mon, const QDict *qdict)
{
    g_autoptr(VfioIrqDeviceInfoList) list = qmp_query_vfio_irqs(NULL);
    VfioIrqDeviceInfoList *d;
    VfioIrqInfoList *i;

    if (!list) {
        monitor_printf(mon, "No VFIO device IRQs\n");
        return;
    }
    for (d = list; d; d = d->next) {
        monitor_printf(mon, "%s (%s): x-forward=%s\n", d->value->name,
                       d->value->qom_path,
                       OnOffAuto_str(d->value->forward));
        for (i = d->value->irqs; i; i = i->next) {
            VfioIrqInfo *irq = i->value;
            g_autofree char *gsi = irq->has_gsi ?
                g_strdup_printf("%" PRIu32, irq->gsi) : g_strdup("-");

            monitor_printf(mon, "  IRQ %u.%u %-5s gsi %-4s %s%s%s%s\n",
                           irq->index, irq->subindex,
                           VfioIrqKind_str(irq->kind), gsi,
                           VfioIrqMode_str(irq->mode),
                           irq->reason ? " (" : "",
                           irq->reason ?: "", irq->reason ? ")" : "");
        }
    }
}
