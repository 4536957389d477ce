#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make check-full's lifecycle stress: on our L1 kernel, the hot-unplug
# lifecycle run of scripts/rig/l1-e2e (edu forwarded, device_del with
# interrupts in flight, device_add back, a second run on it) STRESS_K
# times in one boot (default 10), per GIC in STRESS_GICS (default "3 2").
# Prints the ok/FAIL count per GIC; exits non-zero on any failure.
# RIG_UNPLUG_WAIT=irq runs it with the wait that raced (docs/rig-e2e.md).
set -euo pipefail
. "$(dirname "$0")/../common.sh"

k=${STRESS_K:-10}
"$TOP/scripts/rig/cross-qemu.sh"
"$TOP/scripts/rig/edu-irq.sh"
pass=0 fail=0
for gic in ${STRESS_GICS:-3 2}; do
    log=$BUILD/rig/l1-console-gicv$gic-platform-stress.log
    rm -f "$log"
    start=$(date +%s)
    # Measured about 40 s a run (440 s for 10 with the boot, GICv3);
    # the bound allows 240 s a run and 900 s for the boot's own checks.
    boot=ok
    RIG_PLATFORM=1 RIG_GIC=$gic RIG_E2E=200 RIG_STRESS=$k RIG_TIMEOUT=$((900 + k * 240)) \
        "$TOP/scripts/rig/boot.sh" >/dev/null || boot=failed
    touch "$log"
    p=$(tr -d '\r' < "$log" | grep -c '^E2E: ok lifecycle .*event=unplug' || true)
    f=$((k - p))
    note "GICv$gic: $p of $k hot-unplug lifecycle runs ok, $f failed, boot $boot ($(( $(date +%s) - start )) s)"
    tr -d '\r' < "$log" | grep -a -A16 -E '^(E2E|RIG): FAIL|^KTEST: (not ok|Bail)' || true
    # The boot's own checks (kernel API test, RIG: lines) count too.
    [ $boot = ok ] || [ $f -gt 0 ] || f=1
    pass=$((pass + p)) fail=$((fail + f))
done
[ -n "${QIF_SUMMARY:-}" ] && echo "stress $pass $fail 0" >> "$QIF_SUMMARY"
[ $fail -eq 0 ] || die "$fail of $((pass + fail)) hot-unplug lifecycle runs failed"
