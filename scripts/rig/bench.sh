#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# "make bench": every interrupt path side by side in one boot of the rig,
# on our L1 kernel (scripts/rig/kernel.sh, with the kvm-vfio forwarding
# series): userspace, irqfd + resamplefd and forwarded, for the PL031
# (vfio-platform, level SPI) and edu (vfio-pci INTx), and edu's MSI
# through KVM's irqfd (msi-irqfd).  The modes take turns
# within each round, BENCH_ROUNDS rounds (default 3) of BENCH_N interrupts
# (default 10000), so drift of this noisy emulated host hits every mode
# alike.  L0 counts the instructions of each run (RIG_INSN=1: the
# insn-window plugin, by exception level; KVM's halt polling off in L1):
# the headline figure, instructions per delivered interrupt, which the
# host's noise does not move as it moves the rate.  Prints the medians
# and spreads (min-max) over the rounds and the ratios to irqfd +
# resamplefd of the same round; writes the tables to
# build/rig/bench-table.md.  BENCH_GIC: 3 (default) or 2, or 4: the
# GICv4 anchor, L1's KVM injecting MSIs directly (vLPIs): edu's forwarded
# INTx and its MSI only (build/rig/bench-table-gicv4.md).  BENCH_TABLE:
# write the tables there instead.
#   BENCH_REPORT_ONLY=1  only print the table of the last run's log
set -euo pipefail
. "$(dirname "$0")/../common.sh"

rounds=${BENCH_ROUNDS:-3}
n=${BENCH_N:-10000}
gic=${BENCH_GIC:-3}
log=$BUILD/rig/l1-console-gicv$gic-platform-bench.log
start=$(date +%s)
if [ "${BENCH_REPORT_ONLY:-}" != 1 ]; then
    "$TOP/scripts/rig/cross-qemu.sh"
    "$TOP/scripts/rig/edu-irq.sh"
    # Per run: L2's boot (about 30 s) and n interrupts at 150/s or more.
    RIG_PLATFORM=1 RIG_GIC=$gic RIG_E2E=$n RIG_BENCH=$rounds RIG_INSN=1 \
        RIG_TIMEOUT=$((600 + rounds * 6 * (60 + n / 150))) \
        "$TOP/scripts/rig/boot.sh" >/dev/null || die "the bench boot failed (log: $log)"
fi
[ -f "$log" ] || die "no $log; run make bench"
insn_log=$BUILD/rig/insn-window-gicv$gic-platform-bench.log
[ -f "$insn_log" ] || die "no $insn_log; run make bench"

table=$BUILD/rig/bench-table.md
[ "$gic" != 4 ] || table=$BUILD/rig/bench-table-gicv4.md
table=${BENCH_TABLE:-$table}
# Each run's line with its instructions per interrupt (insns=, el2=...)
runs=$("$TOP/scripts/rig/insn-report.py" "$log" "$insn_log") ||
    die "the bench's instruction counts do not match its runs (logs: $log, $insn_log)"
echo "$runs" | grep -E '^E2E: (ok|FAIL) round=' | awk -v rounds="$rounds" '
function val(line, key,    i, f, eq) {
    for (i = 1; i <= split(line, f, " "); i++) {
        eq = index(f[i], "=")
        if (substr(f[i], 1, eq - 1) == key) { v = substr(f[i], eq + 1); sub(/\/s$/, "", v); return v + 0 }
    }
    return ""
}
function sortn(a, n,    i, j, t) {
    for (i = 2; i <= n; i++)
        for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
}
# the median of a[1..n], sorted
function median(a, n) {
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
# "median (min–max)" of a[1..n], the spread only where it differs
function median_spread(a, n, fmt, unit,    r) {
    if (n == 0) return "—"
    sortn(a, n)
    r = sprintf(fmt unit, median(a, n))
    if (a[1] != a[n]) r = r sprintf(" (" fmt "–" fmt ")", a[1], a[n])
    return r
}
# per device (dev:kind) and mode: lines of the rounds, line[dk, mode, round]
# a[1..n]: KEY of the run of each round; returns n
function of_rounds(key, dk, mode, a,    i, n) {
    n = 0
    for (i = 1; i <= rounds; i++)
        if ((dk, mode, i) in line) a[++n] = val(line[dk, mode, i], key)
    return n
}
function stat(key, dk, mode, fmt,    n, a) {
    n = of_rounds(key, dk, mode, a)
    return median_spread(a, n, fmt, "")
}
# the spread (max - min) over the rounds, in per cent of the median
function spread(key, dk, mode,    n, a, m) {
    n = of_rounds(key, dk, mode, a)
    if (n == 0) return "—"
    sortn(a, n)
    m = median(a, n)
    return m > 0 ? sprintf("%.1f %%", 100 * (a[n] - a[1]) / m) : "—"
}
# within each round, against irqfd + resamplefd of the device (edu MSI:
# of edu INTx)
function ratio(dk, mode, key,    i, n, a, b, base) {
    base = (dk == "vfio-pci:msi" ? "vfio-pci:intx" : dk)
    n = 0
    for (i = 1; i <= rounds; i++)
        if ((dk, mode, i) in line && (base, "irqfd-resample", i) in line) {
            b = val(line[base, "irqfd-resample", i], key)
            if (b > 0) a[++n] = val(line[dk, mode, i], key) / b
        }
    return median_spread(a, n, "%.2f", "×")
}
# the median (min–max) of NUM / DEN over the rounds, or of NUM × BY / DEN
# (a figure per interrupt made one per byte or packet); rounds whose
# line lacks a field are left out
function quot(dk, mode, num, den, fmt, by,    i, n, a, l) {
    n = 0
    for (i = 1; i <= rounds; i++) {
        if (!((dk, mode, i) in line)) continue
        l = line[dk, mode, i]
        if (val(l, num) == "" || val(l, den) <= 0 || (by != "" && val(l, by) == "")) continue
        a[++n] = val(l, num) * (by != "" ? val(l, by) : 1) / val(l, den)
    }
    return median_spread(a, n, fmt, "")
}
# the columns of the work on the host per interrupt; PER_HOST_IRQ: the
# figures are per host IRQ already (UART, NIC), and have no column of
# host IRQs
function work(dk, mode, per_host_irq) {
    return sprintf("%s | %s | %s | %s | %s%s | %s",
        stat("exits", dk, mode, "%.2f"), stat("irq_exits", dk, mode, "%.2f"),
        stat("mmio_user", dk, mode, "%.2f"), stat("wfi", dk, mode, "%.2f"),
        (per_host_irq ? "" : stat("hostirq", dk, mode, "%.2f") " | "),
        stat("unmask", dk, mode, "%.2f"), stat("resample", dk, mode, "%.2f"))
}
{
    r = val($0, "round")
    dk = ""; mode = ""
    for (i = 3; i <= NF; i++) {
        eq = index($i, "=")
        if (substr($i, 1, eq - 1) == "dev") dk = substr($i, eq + 1) dk
        if (substr($i, 1, eq - 1) == "kind") dk = dk ":" substr($i, eq + 1)
        if (substr($i, 1, eq - 1) == "mode") mode = substr($i, eq + 1)
    }
    line[dk, mode, r] = $0
    runs[dk, mode]++
    req[dk, mode] += val($0, "requested"); got[dk, mode] += val($0, "delivered")
    lost[dk, mode] += val($0, "lost"); late[dk, mode] += val($0, "late")
    unraised[dk, mode] += val($0, "unraised"); overruns[dk, mode] += val($0, "overruns")
    if ($2 == "FAIL" || val($0, "lost") > 0) fails[dk, mode]++
}
END {
    split("vfio-platform:spi vfio-platform:uart vfio-pci:intx vfio-pci:msi vfio-pci:nic", dks, " ")
    label["vfio-platform:spi"] = "vfio-platform (PL031)"
    label["vfio-platform:uart"] = "vfio-platform (PL011 UART)"
    label["vfio-pci:intx"] = "vfio-pci (edu INTx)"
    label["vfio-pci:msi"] = "vfio-pci (edu MSI)"
    label["vfio-pci:nic"] = "vfio-pci (e1000 NIC, INTx)"
    split("userspace irqfd-resample forwarded msi-irqfd", modes, " ")
    print "| device | mode | instructions per interrupt | spread over the rounds | ÷ irqfd + resamplefd | at EL2 (L1 kernel, KVM) | at EL1 (L2 kernel) | at EL0 (L1 QEMU, L2 user) |"
    print "|---|---|---|---|---|---|---|---|"
    for (d = 1; d <= 5; d++) for (m = 1; m <= 4; m++) {
        dk = dks[d]; mode = modes[m]
        if (!((dk, mode) in runs)) continue
        printf "| %s | %s%s | %s | %s | %s | %s | %s | %s |\n",
            label[dk] (dk == "vfio-pci:nic" ? ", per request and response" : ""),
            mode, ((dk, mode) in fails ? " **FAIL**" : ""),
            stat("insns", dk, mode, "%d"), spread("insns", dk, mode),
            ratio(dk, mode, "insns"), stat("el2", dk, mode, "%d"),
            stat("el1", dk, mode, "%d"), stat("el0", dk, mode, "%d")
    }
    print ""
    print "| device | mode | runs | interrupts requested | delivered | lost | late | raised again | interrupts/s | rate ÷ irqfd + resamplefd | KVM exits | of which host-IRQ exits | MMIO exits to QEMU | WFI exits | host IRQs (VFIO handler) | VFIO unmasks | KVM resample acks |"
    print "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    for (d = 1; d <= 5; d++) for (m = 1; m <= 4; m++) {
        dk = dks[d]; mode = modes[m]
        if (dk ~ /:(uart|nic)$/ || !((dk, mode) in runs)) continue
        printf "| %s | %s%s | %d | %d | %d | %d | %d | %d | %s | %s | %s |\n",
            label[dk], mode, ((dk, mode) in fails ? " **FAIL**" : ""), runs[dk, mode],
            req[dk, mode], got[dk, mode], lost[dk, mode], late[dk, mode], unraised[dk, mode],
            stat("rate", dk, mode, "%d"), ratio(dk, mode, "rate"), work(dk, mode)
    }
    dk = "vfio-pci:nic"
    for (m = 1; m <= 4; m++) if ((dk, modes[m]) in runs) nic = 1
    if (nic) {
        print ""
        print "| device | mode | runs | requests | answered | requests/s | rate ÷ irqfd + resamplefd | TCP L2 → L1, Mbit/s | ÷ irqfd + resamplefd | TCP L1 → L2, Mbit/s | ÷ irqfd + resamplefd | L2 interrupts per packet | host IRQs per packet | KVM exits per packet | KVM exits per host IRQ | of which host-IRQ exits | MMIO exits to QEMU | WFI exits | VFIO unmasks | KVM resample acks |"
        print "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
        for (m = 1; m <= 4; m++) {
            mode = modes[m]
            if (!((dk, mode) in runs)) continue
            printf "| %s | %s%s | %d | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                label[dk], mode, ((dk, mode) in fails ? " **FAIL**" : ""), runs[dk, mode],
                req[dk, mode], got[dk, mode],
                stat("rate", dk, mode, "%d"), ratio(dk, mode, "rate"),
                stat("up_mbps", dk, mode, "%.1f"), ratio(dk, mode, "up_mbps"),
                stat("down_mbps", dk, mode, "%.1f"), ratio(dk, mode, "down_mbps"),
                quot(dk, mode, "l2irqs", "pkts", "%.2f"), quot(dk, mode, "hostirqs", "pkts", "%.2f"),
                quot(dk, mode, "kexits", "pkts", "%.2f"), work(dk, mode, 1)
        }
    }
    dk = "vfio-platform:uart"
    for (m = 1; m <= 4; m++) if ((dk, modes[m]) in runs) uart = 1
    if (!uart) exit
    print ""
    print "| device | mode | runs | bytes requested | read | overruns | bytes/s | rate ÷ irqfd + resamplefd | bytes per interrupt in L2 | instructions per byte | KVM exits per host IRQ | of which host-IRQ exits | MMIO exits to QEMU | WFI exits | VFIO unmasks | KVM resample acks |"
    print "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    for (m = 1; m <= 4; m++) {
        mode = modes[m]
        if (!((dk, mode) in runs)) continue
        printf "| %s | %s%s | %d | %d | %d | %d | %s | %s | %s | %s | %s |\n",
            label[dk], mode, ((dk, mode) in fails ? " **FAIL**" : ""), runs[dk, mode],
            req[dk, mode], got[dk, mode], overruns[dk, mode],
            stat("rate", dk, mode, "%d"), ratio(dk, mode, "rate"),
            quot(dk, mode, "delivered", "irqs", "%.1f"), quot(dk, mode, "insns", "delivered", "%d", "irqs"),
            work(dk, mode, 1)
    }
}' > "$table.tmp"
[ "$(wc -l < "$table.tmp")" -gt 5 ] || die "no bench runs in $log"
{
    cat "$table.tmp"
    echo
    echo "Instructions: all that L0's vCPUs executed from L2's first raise of a run to its last wait (the UART: its reads), per delivered interrupt (the UART: per interrupt L2's driver took in its reads; the NIC: per request and response, the requests' window), counted by L0's TCG plugin scripts/rig/insn-window.c; L1 runs with VHE, so EL2 is all of L1's kernel. KVM's halt polling off in L1, L2's QEMU and every device IRQ on L1's CPU 0, L1 and L2 without a tick when idle and at 100 Hz when busy, L1 waiting for L2 without polling. The UART: L0's second PL011, fed from /dev/zero as fast as L2's PL011 driver reads, 8 bytes per interrupt asked for. Interrupts/s: noisy (2x between runs of the same code on this emulated host). 'Raised again': PL031 alarms the device model never raised (QEMU's PL031 reads its 1 Hz count twice when loaded; a second boundary in between arms the alarm a second past the match), found after 1 s and raised again by the guest: not delivery losses, and counted apart. Medians over the rounds, (min–max) where they differ; per-interrupt figures are per delivered interrupt (the NIC's and the UART's: per host IRQ), counted in L1 while L2 ran (KVM per-VM exit statistics in debugfs; kprobe event hit counts in tracefs). Rate ratios are taken within each round. GICv$gic, $rounds rounds of $n interrupts per mode and device, modes interleaved in one boot; $(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')."
} > "$table"
rm -f "$table.tmp"
cat "$table"
grep -q '\*\*FAIL\*\*' "$table" && die "a bench run failed or lost interrupts (log: $log)"
! grep -q '^E2E: FAIL' <<<"$runs" || die "a bench run failed (log: $log)"
note "bench done in $(( $(date +%s) - start )) s"
