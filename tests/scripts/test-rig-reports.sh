#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The rig's reports from made-up L1 console logs: make bench's medians,
# spreads and per-round ratios, its instruction counts joined to their
# runs (scripts/rig/insn-report.py), and its verdict on a lost interrupt
# or a run without its count;
# make e2e's table with x-forward=on labels and our kernel's rows.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/rig"
ok() { echo "ok - $*"; }
bad() { echo "not ok - $*"; }

# line ROUND DEV MODE RATE UNMASK [LOST [INSNS]]: a run marked mark=$mk
# and, in L0's log, its window of INSNS (default 100000) per delivered
# interrupt, 10000 of them at EL1 and the rest at EL2
mk=0
ilog=$tmp/rig/insn-window-gicv3-platform-bench.log
line() {
    local d=$((100 - ${6:-0})) i=${7:-100000} kind=spi
    [ "$2" != vfio-pci ] || kind=intx
    mk=$((mk + 1))
    echo "insn-window: tag=$mk insns=$((i * d)) el0=0 el1=$((10000 * d)) el2=$(((i - 10000) * d)) el3=0 elx=0" >> "$ilog"
    echo "E2E: ok round=$1 gic=v3 dev=$2 kind=$kind mode=$3 requested=100 delivered=$d lost=${6:-0} late=0 rate=$4/s exits=2.00 mmio_user=0.00 mmio_kernel=0.00 wfi=0.00 irq_exits=1.00 hostirq=1.00 unmask=$5 resample=$5 run=9s mark=$mk state=\"x\""
}
log=$tmp/rig/l1-console-gicv3-platform-bench.log
{
    # forwarded / irqfd-resample per round: 2, 1.5, 3, 1, 2.5 -> median 2
    # forwarded's instructions: 50000, 51000, 49000, 50500, 49500 per
    # interrupt -> median 50000, spread 4.0 %, 0.50x irqfd-resample's
    r=1
    for pair in 2000:1000 1500:1000 3000:1000 500:500 5000:2000; do
        line $r vfio-platform userspace $((r * 10)) 2.00 0 400000
        line $r vfio-platform irqfd-resample "${pair#*:}" 1.00
        line $r vfio-platform forwarded "${pair%:*}" 0.00 0 \
            "$(echo 50000 51000 49000 50500 49500 | cut -d' ' -f$r)"
        r=$((r + 1))
    done
} > "$log"
out=$(BUILD=$tmp BENCH_REPORT_ONLY=1 BENCH_ROUNDS=5 bash "$top/scripts/rig/bench.sh" 2>&1)
rc=$?
row=$(grep '^| vfio-platform (PL031) | forwarded |' <<<"$out")
if [ $rc -eq 0 ] && grep -q '| 5 | 500 | 500 | 0 | 0 | 0 | 2000 (500–5000) | 2.00× (1.00–3.00) |' <<<"$row" &&
   grep -q '| 0.00 | 0.00 |$' <<<"$row"; then
    ok "bench: median, spread and per-round ratio of the forwarded rows"
else
    bad "bench: forwarded row wrong (exit $rc): $row"
fi
if grep -q '^| vfio-platform (PL031) | userspace | 5 |.* 30 (10–50) | 0.03× (0.01–0.08) |' <<<"$out"; then
    ok "bench: the userspace row's ratio to irqfd + resamplefd"
else
    bad "bench: userspace row wrong: $(grep '| userspace |' <<<"$out")"
fi
row=$(grep '^| vfio-platform (PL031) | forwarded | [0-9]' <<<"$out" | head -1)
if [ "$row" = "| vfio-platform (PL031) | forwarded | 50000 (49000–51000) | 4.0 % | 0.50× (0.49–0.51) | 40000 (39000–41000) | 10000 | 0 |" ] &&
   grep -q '^| vfio-platform (PL031) | userspace | 400000 | 0.0 % | 4.00× |' <<<"$out"; then
    ok "bench: instructions per interrupt, their spread, ratio and split by level"
else
    bad "bench: instruction rows wrong: $row / $(grep '^| vfio-platform (PL031) | userspace | [0-9]' <<<"$out" | head -1)"
fi
cp "$ilog" "$tmp/ilog"
grep -v 'tag=7 ' "$tmp/ilog" > "$ilog"
out=$(BUILD=$tmp BENCH_REPORT_ONLY=1 BENCH_ROUNDS=5 bash "$top/scripts/rig/bench.sh" 2>&1)
if [ $? -ne 0 ] && grep -q 'run mark=7 has 0 windows' <<<"$out"; then
    ok "bench: a run without its instruction count fails the bench"
else
    bad "bench: a run without its instruction count went unnoticed: $(tail -2 <<<"$out")"
fi
# join_fails WHAT SAYING CONSOLE WINDOWS: insn-report.py must fail on
# them, saying SAYING
join_fails() {
    local out
    out=$("$top/scripts/rig/insn-report.py" "$3" "$4" 2>&1)
    if [ $? -ne 0 ] && grep -q "$2" <<<"$out"; then
        ok "insn-report: $1 fails the join"
    else
        bad "insn-report: $1 went unnoticed: $(tail -2 <<<"$out")"
    fi
}
{ cat "$tmp/ilog"; echo "insn-window: close without open (vCPU 1)"; } > "$tmp/ilog2"
join_fails "a marker out of order" 'the plugin: insn-window: close without open' "$log" "$tmp/ilog2"
{ cat "$tmp/ilog"; echo "insn-window: tag=99 insns=5 el0=0 el1=0 el2=5 el3=0 elx=0"; } > "$tmp/ilog2"
join_fails "a window of no run" 'window tag=99 belongs to no run' "$log" "$tmp/ilog2"
cp "$tmp/ilog" "$ilog"
sed -n '1,2p' "$log" | sed 's/ mark=[0-9]* / mark=1 /' > "$tmp/log2"
join_fails "two runs with one mark" 'two runs marked 1' "$tmp/log2" "$ilog"
# A UART run: bytes delivered, per-interrupt figures per interrupt L2 took
mk=$((mk + 1))
echo "insn-window: tag=$mk insns=$((200 * 30000)) el0=0 el1=$((200 * 10000)) el2=$((200 * 20000)) el3=0 elx=0" >> "$ilog"
echo "E2E: ok round=1 gic=v3 dev=vfio-platform kind=uart mode=forwarded requested=1600 delivered=1600 lost=0 late=0 unraised=0 rate=800/s exits=1.10 mmio_user=0.00 mmio_kernel=0.00 wfi=0.50 irq_exits=0.60 hostirq=1.00 unmask=0.00 resample=0.00 run=9s irqs=200 overruns=0 mark=$mk state=\"forwarded\"" >> "$log"
# bench_has WHAT ROW...: make bench's report of the logs so far passes and
# has each ROW, a table line whole
bench_has() {
    local what=$1 out row
    shift
    if ! out=$(BUILD=$tmp BENCH_REPORT_ONLY=1 BENCH_ROUNDS=5 bash "$top/scripts/rig/bench.sh" 2>&1); then
        bad "bench: $what: the report failed: $(tail -2 <<<"$out")"
        return
    fi
    for row; do
        if ! grep -qxF "$row" <<<"$out"; then
            bad "bench: $what: no row '$row' in: $(grep -F "${row:0:30}" <<<"$out" | tr '\n' ' ')"
            return
        fi
    done
    ok "bench: $what"
}
bench_has "a UART run in its own table, bytes/s and bytes per interrupt, instructions per interrupt and per byte" \
    '| vfio-platform (PL011 UART) | forwarded | 30000 | 0.0 % | — | 20000 | 10000 | 0 |' \
    '| vfio-platform (PL011 UART) | forwarded | 1 | 1600 | 1600 | 0 | 800 | — | 8.0 | 3750 | 1.10 | 0.60 | 0.00 | 0.50 | 0.00 | 0.00 |'
# NIC runs: requests/s, TCP each way and their ratios, L2's interrupts,
# host IRQs and KVM exits per packet
nic() {     # nic MODE RATE UP DOWN [old: a line without the raw counts]
    local raw="hostirqs=240 kexits=360 "
    [ "${5:-}" != old ] || raw=
    mk=$((mk + 1))
    echo "insn-window: tag=$mk insns=$((200 * 50000)) el0=0 el1=0 el2=$((200 * 50000)) el3=0 elx=0" >> "$ilog"
    echo "E2E: ok round=1 gic=v3 dev=vfio-pci kind=nic mode=$1 requested=200 delivered=200 lost=0 late=0 unraised=0 rate=$2/s exits=1.50 mmio_user=0.00 mmio_kernel=0.00 wfi=0.50 irq_exits=1.00 hostirq=1.00 unmask=0.00 resample=0.00 run=20s ${raw}l2irqs=300 pkts=600 up_mbps=$3 down_mbps=$4 mark=$mk state=\"$1\"" >> "$log"
}
nic irqfd-resample 100 2.5 3.0 old
nic forwarded 150 3.0 4.0
bench_has "NIC runs in their own table, requests/s and TCP each way with ratios, interrupts, host IRQs and exits per packet" \
    '| vfio-pci (e1000 NIC, INTx) | irqfd-resample | 1 | 200 | 200 | 100 | 1.00× | 2.5 | 1.00× | 3.0 | 1.00× | 0.50 | — | — | 1.50 | 1.00 | 0.00 | 0.50 | 0.00 | 0.00 |' \
    '| vfio-pci (e1000 NIC, INTx) | forwarded | 1 | 200 | 200 | 150 | 1.50× | 3.0 | 1.20× | 4.0 | 1.33× | 0.50 | 0.40 | 0.60 | 1.50 | 1.00 | 0.00 | 0.50 | 0.00 | 0.00 |' \
    '| vfio-pci (e1000 NIC, INTx), per request and response | forwarded | 50000 | 0.0 % | 1.00× | 50000 | 0 | 0 |'

line 6 vfio-pci forwarded 900 0.00 1 >> "$log"
out=$(BUILD=$tmp BENCH_REPORT_ONLY=1 BENCH_ROUNDS=6 bash "$top/scripts/rig/bench.sh" 2>&1)
rc=$?
if [ $rc -ne 0 ] && grep -q '^| vfio-pci (edu INTx) | forwarded \*\*FAIL\*\* | 1 | 100 | 99 | 1 |' <<<"$out"; then
    ok "bench: a lost interrupt fails the bench"
else
    bad "bench: a lost interrupt went unnoticed (exit $rc)"
fi

rm -f "$log"
printf '%s\n' 'E2E: ok gic=v2 dev=vfio-pci kind=intx mode=x-forward=on requested=200 delivered=200 lost=0 late=0 rate=3000/s exits=1.30 mmio_user=0.03 mmio_kernel=0.00 wfi=0.10 irq_exits=1.20 hostirq=1.00 unmask=0.00 resample=0.00 run=11s state="forwarded"' \
    > "$tmp/rig/l1-console-gicv2-platform.log"
out=$(BUILD=$tmp E2E_REPORT_ONLY=1 E2E_BOOTS=2:platform bash "$top/scripts/rig/e2e.sh" 2>&1)
if grep -q '^| GICv2 | ours (forwarding) | vfio-pci | INTx | x-forward=on | forwarded | 200 | 200 | 0 | 3000 | 1.30 | 1.20 | 0.03 | 1.00 | 0.00 | 0.00 |' <<<"$out"; then
    ok "e2e: an x-forward=on run on our kernel in the table"
else
    bad "e2e: table row wrong: $(grep '^| GICv2' <<<"$out")"
fi
# The x86 rig's rows: which IOAPIC L2 had, and Debian 12's kernel
mkdir -p "$tmp/rig-x86"
printf '%s\n' 'E2E: ok host=x86 irqchip=split dev=vfio-pci kind=intx mode=irqfd-resample requested=200 delivered=200 lost=0 late=0 unraised=0 rate=301/s exits=8.56 mmio_user=0.20 mmio_kernel=0.00 wfi=0.72 irq_exits=1.55 hostirq=1.00 unmask=1.00 resample=1.00 run=62s state="irqfd-resample (x86 has no wired IRQ forwarding)"' \
    'E2E: FAIL host=x86 irqchip=on dev=vfio-pci kind=msi mode=irqfd requested=200 delivered=199 lost=1 late=0 unraised=0 rate=301/s exits=8.56 mmio_user=0.20 mmio_kernel=0.00 wfi=0.72 irq_exits=1.55 hostirq=1.00 unmask=0.00 resample=0.00 run=62s (interrupts lost); QEMU: ' \
    > "$tmp/rig-x86/l1-console.log"
out=$(BUILD=$tmp E2E_REPORT_ONLY=1 E2E_BOOTS=x86:pci bash "$top/scripts/rig/e2e.sh" 2>&1)
if grep -q "^| x86 | Debian 12's (6.1) | vfio-pci | INTx (IOAPIC in QEMU) | irqfd-resample | irqfd-resample (x86 has no wired IRQ forwarding) | 200 | 200 | 0 | 301 | 8.56 | 1.55 | 0.20 | 1.00 | 1.00 | 1.00 |" <<<"$out" &&
   grep -q "^| x86 | Debian 12's (6.1) | vfio-pci | MSI (IOAPIC in KVM) | irqfd \*\*FAIL\*\* | .* | 200 | 199 | 1 |" <<<"$out"; then
    ok "e2e: the x86 rig's rows in the table"
else
    bad "e2e: x86 rows wrong: $(grep '^| x86' <<<"$out" | tr '\n' '|')"
fi

# A failed boot's failures come again at the end, after the table, where
# a CI log's tail shows them; its passing runs and the other boots' lines
# do not.
cat > "$tmp/boot" <<'STUB'
#!/bin/bash
log=$BUILD/rig/l1-console-gicv$RIG_GIC$([ "$RIG_PLATFORM" = 1 ] && echo -platform).log
echo "E2E: ok gic=v$RIG_GIC dev=pass-$RIG_PLATFORM kind=intx mode=off requested=1 delivered=1 lost=0" | tee "$log"
if [ "$RIG_GIC$RIG_PLATFORM" = 30 ]; then
    echo "E2E: FAIL the loss check missed 2 dropped interrupts (lost=0, L2 did not start: x)" | tee -a "$log"
    echo "E2E:   L2: last-l2-line"
    echo "boot.sh: error: the rig's checks failed (9 s)" >&2
    exit 1
fi
STUB
chmod +x "$tmp/boot"
# A log of a boot not asked for (or that failed to start) is not counted.
echo "E2E: FAIL gic=v2 dev=stale" > "$tmp/rig/l1-console-gicv2.log"
out=$(BUILD=$tmp E2E_BOOT=$tmp/boot E2E_N=1 E2E_BOOTS="3:pci 3:platform 2:platform" \
      QIF_SUMMARY=$tmp/summary bash "$top/scripts/rig/e2e.sh" 2>&1)
rc=$?
if grep -qx 'e2e 3 1 0' "$tmp/summary" && ! grep -q 'stale' <<<"$out"; then
    ok "e2e: counts the runs of the boots asked for, not an old log"
else
    bad "e2e: summary '$(grep e2e "$tmp/summary")', stale log shown: $(grep -c stale <<<"$out")"
fi
after=$(sed -n '/^--- GICv3 vfio-pci: the boot.s failures/,$p' <<<"$out")
if [ $rc -ne 0 ] && grep -q '^E2E: FAIL the loss check missed' <<<"$after" &&
   grep -q '^E2E:   L2: last-l2-line' <<<"$after" &&
   grep -q "error: the rig's checks failed" <<<"$after" &&
   ! grep -q '^E2E: ok' <<<"$after" && ! grep -q '^--- GICv[23] vfio-platform' <<<"$out" &&
   grep -q 'end-to-end runs failed on GICv3 vfio-pci (L1 console logs: [^ ]*/l1-console-gicv3.log)' <<<"$(tail -1 <<<"$out")"; then
    ok "e2e: a failed boot's failures told again at the end"
else
    bad "e2e: a failed boot's failures not told at the end (exit $rc): $(tail -8 <<<"$out" | tr '\n' '|')"
fi

# A boot asked for that fails before L1 starts (no new console log): the
# log an earlier run left is not counted, and the failure is told.
cat > "$tmp/boot" <<'STUB'
#!/bin/bash
echo "mkinitramfs.sh: error: made-up failure" >&2
exit 1
STUB
echo "E2E: ok gic=v2 dev=stale kind=intx mode=off requested=1 delivered=1 lost=0" > "$tmp/rig/l1-console-gicv2.log"
rm -f "$tmp/summary"
out=$(BUILD=$tmp E2E_BOOT=$tmp/boot E2E_N=1 E2E_BOOTS=2:pci QIF_SUMMARY=$tmp/summary \
      bash "$top/scripts/rig/e2e.sh" 2>&1)
rc=$?
if [ $rc -ne 0 ] && grep -qx 'e2e 0 0 0' "$tmp/summary" && ! grep -q stale <<<"$out" &&
   grep -q 'made-up failure' <<<"$(sed -n '/^--- GICv2 vfio-pci/,$p' <<<"$out")"; then
    ok "e2e: a boot that failed before L1 counts no earlier log and is told"
else
    bad "e2e: stale log of a failed boot (exit $rc, summary '$(grep e2e "$tmp/summary")'): $(tail -4 <<<"$out" | tr '\n' '|')"
fi

# GIC:pl031 boots our kernel without edu's runs, +threadirqs with threaded
# host IRQs; a bad boot name is refused.
cat > "$tmp/boot" <<'STUB'
#!/bin/bash
echo "${RIG_ARCH:-unset} $RIG_GIC $RIG_PLATFORM ${RIG_EDU:-unset}${RIG_THREADIRQS:+ threadirqs}${RIG_KDEBUG:+ kdebug}" >> "$BUILD/boots"
echo "short=${RIG_SHORT:-} selftest=${RIG_SELFTEST:-}" >> "$BUILD/sets"
if [ "$RIG_ARCH" = x86 ]; then
    echo "E2E: ok host=x86 irqchip=on dev=x86 kind=intx mode=off requested=1 delivered=1 lost=0" \
        > "$BUILD/rig-x86/l1-console.log"
    exit
fi
s=
[ "$RIG_PLATFORM" = 1 ] && s=-platform
[ "$RIG_EDU" = 0 ] && s=-pl031
[ "${RIG_THREADIRQS:-}" = 1 ] && s+=-threadirqs
[ "${RIG_KDEBUG:-}" = 1 ] && s+=-kdebug
echo "E2E: ok gic=v$RIG_GIC dev=x$s kind=spi mode=off requested=1 delivered=1 lost=0" \
    > "$BUILD/rig/l1-console-gicv$RIG_GIC$s.log"
STUB
rm -f "$tmp/boots"
# The x86 boot's output goes to build/rig-x86/, which e2e.sh must make
rm -rf "$tmp/rig-x86"
out=$(BUILD=$tmp E2E_BOOT=$tmp/boot E2E_N=1 E2E_BOOTS="3:pci 3:platform 2:pl031 2:platform 3:pl031+threadirqs 3:platform+kdebug x86:pci" \
      bash "$top/scripts/rig/e2e.sh" 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ "$(tr '\n' '|' < "$tmp/boots")" = "arm64 3 0 1|arm64 3 1 1|arm64 2 1 0|arm64 2 1 1|arm64 3 1 0 threadirqs|arm64 3 1 1 kdebug|x86 x86 0 1|" ] &&
   grep -q '^| GICv3 | ours (forwarding), threadirqs | x-pl031-threadirqs |' <<<"$out" &&
   grep -q '^| GICv3 | ours (forwarding), debug | x-platform-kdebug |' <<<"$out" &&
   grep -q '^| x86 | .* | x86 | INTx (IOAPIC in KVM) |' <<<"$out" &&
   grep -q '^| GICv2 | ours (forwarding) | x-pl031 |' <<<"$out" &&
   grep -q '^| GICv2 | ours (forwarding) | x-platform |' <<<"$out"; then
    ok "e2e: GIC:pl031 boots our kernel without edu, +threadirqs with threadirqs, +kdebug the debug kernel; x86:pci boots the x86 rig"
else
    bad "e2e: boots run (exit $rc): $(tr '\n' '|' < "$tmp/boots")"
fi
# make check's short sets: rig.short=2, and 3 with no self-test for a
# PL031-only boot; in make e2e the debug kernel's boot leaves out the
# churn runs (1), the others run every run
rm -f "$tmp/sets"
BUILD=$tmp E2E_BOOT=$tmp/boot E2E_N=1 E2E_SHORT=1 E2E_BOOTS="3:pci 3:platform 2:pl031+threadirqs x86:pci" \
    bash "$top/scripts/rig/e2e.sh" >/dev/null 2>&1
BUILD=$tmp E2E_BOOT=$tmp/boot E2E_N=1 E2E_BOOTS="3:platform 3:platform+kdebug 2:pl031" \
    bash "$top/scripts/rig/e2e.sh" >/dev/null 2>&1
got=$(tr '\n' '|' < "$tmp/sets")
if [ "$got" = "short=2 selftest=1|short=2 selftest=1|short=3 selftest=0|short=2 selftest=1|short= selftest=1|short=1 selftest=1|short= selftest=1|" ]; then
    ok "e2e: E2E_SHORT=1 asks for the short set (x86 too), the PL031-only boot's shorter one without self-test"
else
    bad "e2e: short sets asked for: $got"
fi
# --boots: make check-full's set, a step per boot; each is one e2e.sh accepts
all=$(bash "$top/scripts/rig/e2e.sh" --boots)
rm -f "$tmp/boots"
out=$(BUILD=$tmp E2E_BOOT=$tmp/boot E2E_N=1 E2E_BOOTS="$all" bash "$top/scripts/rig/e2e.sh" 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ "$(wc -l < "$tmp/boots")" = "$(wc -w <<<"$all")" ] &&
   grep -q 'kdebug' <<<"$all" && grep -q 'threadirqs' <<<"$all" && grep -q 'x86:full' <<<"$all"; then
    ok "e2e: --boots lists the full set ($(wc -w <<<"$all") boots, debug kernel, threadirqs and x86 among them), each accepted"
else
    bad "e2e: --boots '$all' (exit $rc, $(wc -l < "$tmp/boots" 2>/dev/null) boots run)"
fi
out=$(BUILD=$tmp E2E_BOOT=$tmp/boot E2E_BOOTS="x86:pci x86:full" bash "$top/scripts/rig/e2e.sh" 2>&1)
if [ $? -ne 0 ] && grep -q "x86:pci and x86:full are one boot" <<<"$out"; then
    ok "e2e: x86:pci and x86:full together are refused (one console log)"
else
    bad "e2e: x86:pci with x86:full accepted: $(tail -1 <<<"$out")"
fi
out=$(BUILD=$tmp E2E_BOOT=$tmp/boot E2E_BOOTS="3:edu" bash "$top/scripts/rig/e2e.sh" 2>&1)
if [ $? -ne 0 ] && grep -q "E2E_BOOTS: '3:edu' is not" <<<"$out"; then
    ok "e2e: an unknown boot is refused by name"
else
    bad "e2e: unknown boot accepted: $(tail -1 <<<"$out")"
fi

# l1-init's kernel report pattern: each kind of report a debug kernel
# prints is caught (lockdep's headings all start "WARNING:"), a clean
# boot's lines are not
pat=$(sed -n "s/^KREPORT='\(.*\)'$/\1/p" "$top/scripts/rig/l1-init")
missed= caught=
while IFS= read -r line; do
    grep -qE "$pat" <<<"$line" || missed+="[$line] "
done <<'LINES'
WARNING: CPU: 1 PID: 212 at arch/arm64/kvm/vgic/vgic.c:700 kvm_vgic_unforward_spi+0x1c/0x2a0
WARNING: possible circular locking dependency detected
WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected
WARNING: possible irq lock inversion dependency detected
WARNING: bad unlock balance detected!
WARNING: suspicious RCU usage
BUG: sleeping function called from invalid context at kernel/locking/mutex.c:585
BUG: KASAN: slab-use-after-free in kvm_vfio_fwd_free+0x30/0x90
[   12.345678] BUG: KASAN: slab-out-of-bounds in vfio_intx_handler+0x40/0x100
ODEBUG: free active (active state 0) object: ffff000012345678 object type: work_struct
irq 20: nobody cared (try booting with the "irqpoll" option)
rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:
rcu: INFO: rcu_preempt self-detected stall on CPU
Unable to handle kernel NULL pointer dereference at virtual address 0000000000000010
kmemleak: Kernel memory leak detector disabled
LINES
while IFS= read -r line; do
    ! grep -qE "$pat" <<<"$line" || caught+="[$line] "
done <<'LINES'
vfio-pci 0000:00:02.0: enabling device (0000 -> 0002)
kvm [1]: VHE mode initialized successfully
KernelAddressSanitizer initialized (generic)
Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar
kmemleak: Automatic memory scanning thread ended
pl031 9010000.pl031: rtc core: registered pl031 as rtc0
LINES
if [ -n "$pat" ] && [ -z "$missed" ] && [ -z "$caught" ]; then
    ok "l1-init: the kernel report pattern catches each report kind, not a clean boot's lines"
else
    bad "l1-init: report pattern '${pat:-none found}' missed: $missed; caught: $caught"
fi
