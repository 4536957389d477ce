#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make check-full's lifecycle stress: on our L1 kernel, the hot-unplug
# lifecycle run of scripts/rig/l1-e2e (edu forwarded, device_del with
# interrupts in flight, device_add back, a second run on it) STRESS_K
# times in one boot (default 10), per GIC in STRESS_GICS (default "3 2").
# Prints the ok/FAIL count per GIC; exits non-zero on any failure.
# RIG_UNPLUG_WAIT=irq runs it with the wait that raced (docs/rig-e2e.md).
# STRESS_HOG=N: N busy loops compete with the rig for the host's CPUs
# meanwhile, as a second rig boot or a build would.  STRESS_SEQ="reset
# reset-off unplug": these lifecycle runs in each of the K rounds (the
# full e2e's order); the unplug runs are counted, the others when they fail.
# STRESS_SEQ="toggler move-toggle": edu's forwarded runs under churn
# instead, each counted.  STRESS_N: interrupts per run (200).
# STRESS_X86_K (default 5, 0: none): then the x86 rig's runs in
# STRESS_X86_SEQ (default "vtd-intx vtd-msi msix-unplug": INTx and MSI
# with L2's own VT-d on two vCPUs, which took L1 down before QEMU series
# patch 25, and the NVMe controller's hot-unplug), that many rounds in
# one boot (docs/rig-x86.md).
set -euo pipefail
. "$(dirname "$0")/../common.sh"

k=${STRESS_K:-10}
"$TOP/scripts/rig/cross-qemu.sh"
"$TOP/scripts/rig/edu-irq.sh"
# Busy loops: killed on exit (a SIGKILL of this script leaves them)
hogs=()
trap '[ ${#hogs[@]} -eq 0 ] || kill "${hogs[@]}" 2>/dev/null' EXIT
for _ in $(seq "${STRESS_HOG:-0}"); do
    (while :; do :; done) &
    hogs+=($!)
done
[ ${#hogs[@]} -eq 0 ] || note "${#hogs[@]} busy loops compete for the CPUs"
# Lifecycle runs per round, and the unplug runs expected: K per "unplug"
seq=${STRESS_SEQ:-unplug}
runs=$(echo "$seq" | wc -w)
want=$((k * $(echo "$seq" | tr ' ' '\n' | grep -cx unplug || true)))
pass=0 fail=0
for gic in ${STRESS_GICS:-3 2}; do
    log=$BUILD/rig/l1-console-gicv$gic-platform-stress.log
    rm -f "$log"
    start=$(date +%s)
    # Measured about 40 s a run (440 s for 10 with the boot, GICv3);
    # the bound allows 240 s a run and 900 s for the boot's own checks.
    boot=ok
    RIG_PLATFORM=1 RIG_GIC=$gic RIG_E2E=${STRESS_N:-200} RIG_STRESS=$k RIG_STRESS_SEQ="${STRESS_SEQ:-}" \
        RIG_TIMEOUT=$((900 + k * runs * 240)) \
        "$TOP/scripts/rig/boot.sh" >/dev/null || boot=failed
    touch "$log"
    p=$(tr -d '\r' < "$log" | grep -c '^E2E: ok lifecycle .*event=unplug' || true)
    # and, with STRESS_SEQ, any other lifecycle run that failed
    o=$(tr -d '\r' < "$log" | grep -a '^E2E: FAIL' | grep -vc 'lifecycle .*event=unplug' || true)
    # the churn runs that passed count too
    c=$(tr -d '\r' < "$log" | grep -ac '^E2E: ok .*mode=x-forward=on+' || true)
    f=$((want - p + o))
    note "GICv$gic: $p of $want hot-unplug lifecycle runs ok, $c churn runs ok, $f failed (other runs: $o), boot $boot ($(( $(date +%s) - start )) s)"
    # Seconds from device_del to the end of L2's run and to the host
    # IRQ's release, per run (the unplug wait counts from the former)
    tr -d '\r' < "$log" | grep -a '^E2E: [a-zA-Z]* lifecycle .*event=unplug' |
        sed -n 's/.* run_end=\([0-9-]*\)s released=\([0-9-]*\)s.*/\1 \2/p' |
        awk -v gic=$gic '{ r = r " " $1 "/" $2 } END { if (NR) print "stress: GICv" gic " run end/IRQ released, s after device_del:" r }' ||
        true
    tr -d '\r' < "$log" | grep -a -A16 -E '^(E2E|RIG): FAIL|^KTEST: (not ok|Bail)' || true
    # The boot's own checks (kernel API test, RIG: lines) count too.
    [ $boot = ok ] || [ $f -gt 0 ] || f=1
    pass=$((pass + p + c)) fail=$((fail + f))
done
kx=${STRESS_X86_K:-5}
if [ "$kx" != 0 ]; then
    log=$BUILD/rig-x86/l1-console-stress.log
    rm -f "$log"
    seq=${STRESS_X86_SEQ:-vtd-intx vtd-msi msix-unplug}
    want=$((kx * $(echo "$seq" | wc -w)))
    start=$(date +%s)
    boot=ok
    RIG_ARCH=x86 RIG_E2E=${STRESS_N:-200} RIG_STRESS=$kx RIG_STRESS_SEQ="$seq" \
        RIG_TIMEOUT=$((900 + want * 240)) \
        "$TOP/scripts/rig/boot.sh" >/dev/null || boot=failed
    touch "$log"
    p=$(tr -d '\r' < "$log" | grep -ac '^E2E: ok ' || true)
    f=$((want - p))
    note "x86: $p of $want runs ok ($seq, $kx rounds), boot $boot ($(( $(date +%s) - start )) s)"
    tr -d '\r' < "$log" | grep -a -A16 -E '^(E2E|RIG): FAIL|BUG:|Kernel panic' || true
    [ $boot = ok ] || [ $f -gt 0 ] || f=1
    pass=$((pass + p)) fail=$((fail + f))
fi
[ -n "${QIF_SUMMARY:-}" ] && echo "stress $pass $fail 0" >> "$QIF_SUMMARY"
[ $fail -eq 0 ] || die "$fail of $((pass + fail)) stress runs failed"
