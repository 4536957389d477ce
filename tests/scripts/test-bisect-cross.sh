#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make check-bisect cross-builds for an arm64 host only at commits that
# change what such a host alone compiles: each kind of path that can break
# that build is caught, and a commit of files every host builds is not.
set -u
. "$(dirname "$0")/../../scripts/common.sh"
ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }
missed= wrong=
for f in hw/intc/arm_gicv3_kvm.c hw/intc/arm_gic_kvm.c target/arm/kvm.c \
         accel/kvm/kvm-all.c linux-headers/linux/kvm.h include/hw/vfio/vfio-common.h \
         hw/vfio/pci.h hw/intc/trace-events hw/intc/meson.build hw/vfio/Kconfig \
         qapi/vfio.json configs/targets/aarch64-softmmu.mak; do
    arm_host_build_files <<<"$f" || missed+=" $f"
done
for f in hw/vfio/pci.c hw/vfio/platform.c hw/core/sysbus-fdt.c hw/pci/pci.c \
         tests/qtest/vfio-forward-test.c docs/system/devices/vfio-irq-forwarding.rst MAINTAINERS; do
    ! arm_host_build_files <<<"$f" || wrong+=" $f"
done
if [ -z "$missed" ] && [ -z "$wrong" ]; then
    ok "the arm64-host cross build is asked for by exactly the paths only such a host compiles or depends on"
else
    nok "missed:${missed:- none}; asked for by:${wrong:- none}"
fi
