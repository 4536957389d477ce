/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * query-vfio-irqs and "info vfio-irqs" in builds without VFIO.
 */

#include "qemu/osdep.h"
#include "qapi/qapi-commands-vfio.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"

VfioIrqDeviceInfoList *qmp_query_vfio_irqs(Error **errp)
{
    return NULL;
}

void hmp_info_vfio_irqs(Monitor *mon, const QDict *qdict)
{
    monitor_printf(mon, "No VFIO device IRQs\n");
}
