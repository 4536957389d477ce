/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * kvm-vfio IRQ forwarding without VFIO: nothing is ever forwarded, so the
 * interrupt controller models have nothing to report to.
 */

#include "qemu/osdep.h"
#include "system/kvm-vfio-irq.h"

void kvm_vfio_irq_line_set(int gsi, bool level)
{
}
