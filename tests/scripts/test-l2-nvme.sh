#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# scripts/rig/l2-init's NVMe read count (nvme_irqs, nvme_reads), run
# under dash as L2's busybox sh would, with dd, the block device and
# /proc/interrupts faked: each read's interrupt is counted on the I/O
# queue's line, not the admin queue's; a hot-unplug that takes the queue
# lines right after a chunk of reads leaves that chunk out (it once gave
# seen=-13), as does one that cuts a dd short (once 581 reads, 500
# interrupts); reads that complete without their interrupts show as
# fewer interrupts than reads, with an unplug or without.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
nok() { echo "not ok - $1"; fail=$((fail + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the two functions, reading the fake interrupts and uptime files
sed -n '/^nvme_irqs() {/,/^}/p; /^nvme_reads() {/,/^}/p' "$top/scripts/rig/l2-init" |
    sed "s|/proc/interrupts|$tmp/interrupts|; s|/proc/uptime|$tmp/uptime|; s|/tmp/dd.err|$tmp/dd.err|g" > "$tmp/funcs.sh"
echo "12.50 20.00" > "$tmp/uptime"
# run_reads N CUT GONE_AFTER [SHORT [MUTE_AFTER]]: N reads (CUT: the
# unplug run's chunks of 100), each an interrupt on nvme0q1; the admin
# queue takes 5 of its own meanwhile; after the GONE_AFTER-th dd the
# queue lines vanish; SHORT: the dd after it reads only that many, then
# fails; MUTE_AFTER: the dds after that many complete without interrupts
run_reads() {
    local gone=$3 short=${4:-} mute=${5:-999999}
    cat > "$tmp/run.sh" <<EOS
q0=10 q1=1000 dds=0
write() {
    { echo "           CPU0"
      [ \$dds -gt $gone ] || echo " 25:  \$q0   PCI-MSI 524288-edge      nvme0q0"
      [ \$dds -gt $gone ] || echo " 26:  \$q1   PCI-MSI 524289-edge      nvme0q1"
      echo " 27:  7   PCI-MSI 1-edge      eth0"; } > $tmp/interrupts
}
write
dd() {
    k=\${4#count=}
    [ \$dds != $gone ] || [ -z "$short" ] || k=$short
    [ \$dds -ge $mute ] || q1=\$((q1 + k))
    q0=\$((q0 + 5)) dds=\$((dds + 1))
    write
    echo "\$k+0 records in" >&2
}
nvme_dev() { echo /dev/nvme0n1; }
nvme_timeouts() { echo 0; }
. $tmp/funcs.sh
nvme_reads $1 $2
EOS
    dash "$tmp/run.sh" 2>&1 | grep '^E2E-RESULT'
}
field() { sed -n "s/.* $2=\([-0-9]*\).*/\1/p" <<<"$1"; }

res=$(run_reads 1000 "" 99)
if [ "$(field "$res" requested)" = 1000 ] && [ "$(field "$res" seen)" = 1000 ]; then
    ok "l2-init: 1000 reads, 1000 interrupts on the I/O queue (the admin queue's left out)"
else
    nok "l2-init: a plain run counted wrong: $res"
fi
res=$(run_reads 2000 1 7)
if [ "$(field "$res" requested)" = 700 ] && [ "$(field "$res" seen)" = 700 ]; then
    ok "l2-init: an unplug right after the 8th chunk of 100 reads: 700 reads, 700 interrupts"
else
    nok "l2-init: the unplug run counted wrong: $res"
fi
res=$(run_reads 2000 1 5 81)
if [ "$(field "$res" requested)" = 500 ] && [ "$(field "$res" seen)" = 500 ]; then
    ok "l2-init: an unplug during the 6th chunk (81 of 100 read): 500 reads, 500 interrupts"
else
    nok "l2-init: the unplug run with a short dd counted wrong: $res"
fi

# reads that complete without interrupts: after 3 chunks, no more
res=$(run_reads 1000 "" 99 "" 0)
if [ "$(field "$res" requested)" = 1000 ] && [ "$(field "$res" seen)" = 0 ]; then
    ok "l2-init: 1000 reads without an interrupt: seen=0"
else
    nok "l2-init: reads without interrupts counted wrong: $res"
fi
res=$(run_reads 2000 1 7 "" 3)
if [ "$(field "$res" requested)" = 700 ] && [ "$(field "$res" seen)" = 300 ]; then
    ok "l2-init: the unplug run, interrupts gone after 3 of 7 chunks: 700 reads, 300 interrupts"
else
    nok "l2-init: the unplug run without interrupts counted wrong: $res"
fi

echo "l2-nvme: $pass passed, $fail failed"
[ $fail -eq 0 ]
