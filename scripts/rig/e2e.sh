#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# "make e2e": end-to-end interrupt runs in the emulated arm64 rig, GICv3
# and GICv2: our patched QEMU (cross-built for arm64) passes edu through
# to an L2 guest with KVM in each vfio-pci mode, then (on our own L1
# kernel) L0's PL031 in each vfio-platform mode; and in the emulated x86
# host (docs/rig-x86.md), edu in each vfio-pci mode; edu_irq.ko in L2
# counts the interrupts.  Prints a table (also build/rig/e2e-table.md) and exits
# non-zero on any lost interrupt or failed check.
#   E2E_N     interrupts per run (default 1000)
#   E2E_BOOTS the boots, GIC:DEVICE each (default "3:pci 3:platform 2:pci
#             2:platform 2:pl031+threadirqs 3:platform+kdebug x86:full"; pci: Debian's L1 kernel and edu;
#             platform: ours, the PL031 then edu; pl031: ours, the PL031
#             only; a device +threadirqs: our L1 kernel booted with
#             threadirqs (e.g. 2:pl031+threadirqs), +kdebug: our debug
#             L1 kernel (KASAN, lockdep, kmemleak: kernel.sh --debug); x86:pci: the x86 rig, Debian 12's kernel and edu,
#             L2's IOAPIC in KVM and then in QEMU; x86:full: that and
#             the lifecycle runs)
#   E2E_SHORT=1  make check's shorter sets (scripts/rig/l1-e2e's
#             rig.short=2, and 3 for a PL031-only boot, which repeats the
#             PL031 under other conditions and also leaves out the loss
#             check's self-test); without it the debug kernel's boot runs
#             rig.short=1 (of the churn runs only the PL031's), the
#             others every run
#   E2E_REPORT_ONLY=1  only print the table of the last runs' logs
#   E2E_BOOT  the boot script (default scripts/rig/boot.sh; the tests'
#             stand-in, with which nothing is built)
set -euo pipefail
. "$(dirname "$0")/../common.sh"

n=${E2E_N:-1000}
all_boots="3:pci 3:platform 2:pci 2:platform 2:pl031+threadirqs 3:platform+kdebug x86:full"
# --boots: the default set, for make check-full's step per boot
[ "${1:-}" != --boots ] || { echo "$all_boots"; exit 0; }
boots=${E2E_BOOTS:-$all_boots}
failed=()
# boot_info GIC:DEVICE: what boot.sh is asked for (platform, edu), its L1
# console log (boot.sh's name) and what the boot is called
boot_info() {
    local gic=${1%%:*} dev=${1#*:}
    log=$BUILD/rig/l1-console-gicv$gic arch=arm64 lifecycle= threaded= kdebug=
    case $dev in
    platform+threadirqs|pl031+threadirqs) threaded=1 dev=${dev%+threadirqs};;
    platform+kdebug|pl031+kdebug) kdebug=1 dev=${dev%+kdebug};;
    esac
    case $1 in
    x86:pci|x86:full)
        platform=0 edu=1 log=$BUILD/rig-x86/l1-console.log name="x86 vfio-pci" arch=x86
        [ $1 = x86:pci ] || lifecycle=1
        return;;
    x86:*) return 1;;
    esac
    case $dev in
    pci) platform=0 edu=1 name="GICv$gic vfio-pci";;
    platform) platform=1 edu=1 log=$log-platform name="GICv$gic vfio-platform";;
    pl031) platform=1 edu=0 log=$log-pl031 name="GICv$gic vfio-platform (PL031 only)";;
    *) return 1;;
    esac
    [ -z "$threaded" ] || log+=-threadirqs name+=", L1 with threadirqs"
    [ -z "$kdebug" ] || log+=-kdebug name+=", L1 debug kernel"
    log=$log.log
}
boot_log() { boot_info "$1" && echo "$log"; }
boot_out() { boot_info "$1" && echo "${log%.log}.out"; }
boot_name() { boot_info "$1" && echo "$name"; }
if [ "${E2E_REPORT_ONLY:-}" != 1 ]; then
    # The arm64 boots' QEMU and guest module (the x86 rig's boot.sh
    # builds what it needs itself)
    arm_boots= x86_boots=0
    for boot in $boots; do
        case $boot in x86:*) x86_boots=$((x86_boots + 1));; *) arm_boots=1;; esac
    done
    # The two x86 boots share one console log
    [ $x86_boots -le 1 ] ||
        die "E2E_BOOTS: x86:pci and x86:full are one boot; give one of them"
    if [ -z "${E2E_BOOT:-}" ] && [ -n "$arm_boots" ]; then
        "$TOP/scripts/rig/cross-qemu.sh"
        "$TOP/scripts/rig/edu-irq.sh"
    fi
    mkdir -p "$BUILD/rig"
    for boot in $boots; do
        gic=${boot%%:*}
        boot_info "$boot" ||
            die "E2E_BOOTS: '$boot' is not GIC:pci, GIC:platform, GIC:pl031 (either of the last two +threadirqs or +kdebug), x86:pci or x86:full"
        # No earlier run's log in the table if this boot fails to start
        rm -f "$(boot_log "$boot")"
        mkdir -p "$(dirname "$(boot_out "$boot")")"
        # boot.sh's RIG/E2E lines and its errors, told again below if the
        # boot fails
        # The debug kernel's worth is its log, not 1000-interrupt figures:
        # the short set
        short= selftest=1
        if [ "${E2E_SHORT:-}" = 1 ]; then
            short=2
            [ "$platform$edu" != 10 ] || short=3 selftest=0
        elif [ -n "$kdebug" ]; then
            short=1
        fi
        RIG_ARCH=$arch RIG_THREADIRQS=$threaded RIG_KDEBUG=$kdebug RIG_LIFECYCLE=$lifecycle RIG_SHORT=$short RIG_PLATFORM=$platform RIG_EDU=$edu RIG_GIC=$gic RIG_E2E=$n RIG_SELFTEST=$selftest \
            "${E2E_BOOT:-$TOP/scripts/rig/boot.sh}" 2>&1 | tee "$(boot_out "$boot")" ||
            failed+=("$boot")
    done
fi

table=$BUILD/rig/e2e-table.md
{
    echo "| host | L1 kernel | device | IRQ | mode | QEMU's state (info vfio-irqs) | requested | delivered | lost | rate/s | exits | of which host-IRQ exits | MMIO exits to QEMU | host IRQs | VFIO unmasks | KVM resamples |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    for boot in $boots; do
        gic=${boot%%:*} log=$(boot_log "$boot")
        [ -f "$log" ] || continue
        kern="Debian's" host=GICv$gic
        case $log in
        *-platform.log|*-pl031.log) kern="ours (forwarding)";;
        *-threadirqs.log) kern="ours (forwarding), threadirqs";;
        *-kdebug.log) kern="ours (forwarding), debug";;
        */rig-x86/*) kern="Debian 12's (6.1)" host=x86;;
        esac
        tr -d '\r' < "$log" | sed -n 's/^RIG: native E2E-RESULT //p' |
            awk -v host="$host" -v kern="$kern" '{
                for (i = 1; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] }
                printf "| %s | %s | edu | %s | L1 itself, no passthrough | — | %d | %d | %d | %d | | | | | | |\n",
                    host, kern, (r["kind"] == "msi" ? "MSI" : "INTx"), r["requested"], r["delivered"],
                    r["lost"], (r["us"] > 0 ? r["delivered"] * 1e6 / r["us"] : 0)
            }'
        tr -d '\r' < "$log" | grep -E '^E2E: (ok|FAIL) (gic|host)=' |
            awk -v kern="$kern" '{
                ok = $2; state = "—"
                if (match($0, /state="[^"]*"/))
                    state = substr($0, RSTART + 7, RLENGTH - 8)
                for (i = 3; i <= NF; i++) {
                    eq = index($i, "="); r[substr($i, 1, eq - 1)] = substr($i, eq + 1)
                }
                kind = (r["kind"] == "msi" ? "MSI" : r["kind"] == "spi" ? "level SPI" : "INTx")
                if (r["kind"] == "msix") kind = "MSI-X (NVMe)"
                if (r["kind"] == "uart") kind = "level SPI (PL011 UART; bytes)"
                if (r["kind"] == "nic") kind = "INTx (e1000 NIC; requests)"
                # x86: where L2 has its IOAPIC, in KVM or in QEMU
                where = (r["host"] == "x86" ? "x86" : "GIC" r["gic"])
                if (r["irqchip"] != "")
                    kind = kind (r["irqchip"] == "split" ? " (IOAPIC in QEMU)" : " (IOAPIC in KVM)")
                late = (r["late"] > 0 ? " (" r["late"] " late)" : "")
                if (r["unraised"] > 0) late = late " (" r["unraised"] " raised again)"
                printf "| %s | %s | %s | %s | %s%s | %s | %d | %d%s | %d | %d | %s | %s | %s | %s | %s | %s |\n",
                    where, kern, r["dev"], kind, r["mode"], (ok == "FAIL" ? " **FAIL**" : ""),
                    state, r["requested"], r["delivered"], late, r["lost"], r["rate"],
                    r["exits"], r["irq_exits"], r["mmio_user"], r["hostirq"], r["unmask"], r["resample"]
            }'
    done
    echo
    echo "Per-IRQ columns are per delivered interrupt, counted in L1 while L2 ran: KVM exits (debugfs) and of which host-IRQ exits (arm64: the exits of no other kind, i.e. the device IRQ and, on the legacy path, the maintenance IRQ of the guest EOI; x86: KVM's irq_exits), exits to QEMU for MMIO (x86: mmio_exits plus io_exits, the latter counting port I/O that KVM handles too), VFIO's host interrupt handler, VFIO INTx unmasks and KVM resampler acks (kprobe hits); the UART's and the NIC's are per host IRQ, their requested and delivered are bytes (the UART) and requests answered (the NIC: then TCP each way). 'N late': delivered, but more than 1 s after it was requested (within 10 s more; a stall of the emulated host, not a loss). 'N raised again': PL031 alarms that the device model never raised (a race in QEMU's PL031 at a second boundary), raised again after 1 s; not a delivery loss. $n interrupts per run; $(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')."
} > "$table"
cat "$table"
logs=()
for boot in $boots; do
    [ -f "$(boot_log "$boot")" ] && logs+=("$(boot_log "$boot")")
done
[ ${#logs[@]} -gt 0 ] || logs=(/dev/null)    # no boot got as far as L1
grep -a -h -E '^E2E: ok the loss check' "${logs[@]}" | tr -d '\r' || true
# summary NAME PASS FAIL: make check's summary line NAME of the boots'
# lines that match PASS and FAIL
summary() {
    cat "${logs[@]}" | tr -d '\r' |
        awk -v name="$1" -v pass="$2" -v fail="$3" \
            '$0 ~ pass { p++ } $0 ~ fail { f++ } END { print name, p + 0, f + 0, 0 }' \
        >> "$QIF_SUMMARY"
}
if [ -n "${QIF_SUMMARY:-}" ]; then    # make check's summary: a run is a test
    summary e2e '^E2E: ok ' '^(E2E|RIG): FAIL'
    # Our kernel API test (kernel/tests/), run in L1 on our own kernel,
    # and the series' KVM selftest (vfio_irq_forward), on GICv3 boots
    summary kernel-api '^KTEST: ok ' '^KTEST: (not ok|Bail out)'
    summary kvm-selftest '^KSELFTEST: ok ' '^KSELFTEST: (not ok|Bail out)'
fi
# Each failed boot's failures and boot.sh's verdict, last: what a CI
# log's tail shows.  Lines of runs that passed are left out.
names=()
for boot in "${failed[@]}"; do
    names+=("$(boot_name "$boot")")
    echo "--- $(boot_name "$boot"): the boot's failures ($(boot_out "$boot"))"
    { grep -a -v -E '^(E2E|RIG): ok|^RIG: (kvm ok|vfio ok|native|done|kvm-vfio-forward-test|kselftest)|^KTEST: #|^KSELFTEST: (ok|#)' \
        "$(boot_out "$boot")" || true; } | tail -40
done
[ ${#failed[@]} -eq 0 ] ||
    die "end-to-end runs failed on ${names[*]} (L1 console logs: $(for b in "${failed[@]}"; do boot_log "$b"; done | tr '\n' ' '| sed 's/ $//'))"
note "end-to-end: all runs delivered every interrupt"
