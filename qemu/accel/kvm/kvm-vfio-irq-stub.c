/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * kvm-vfio IRQ forwarding without VFIO: nothing is ever forwarded or
 * posted, so there is nothing to follow.
 */

#include "qemu/osdep.h"
#include "system/kvm-vfio-irq.h"

void kvm_vfio_irq_line_set(int gsi, bool level)
{
}

void kvm_vfio_irq_set_route_blocked(int gsi, bool blocked)
{
}

void kvm_vfio_irq_routes_changed(void)
{
}
