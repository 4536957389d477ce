#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make off-compare's comparison (scripts/rig/off-compare.py) on made-up
# L1 console logs: fds and addresses do not count, an ioctl more or less
# does, and only the recorded differences pass.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok - $*"; }
bad() { echo "not ok - $*"; }
cmp_py=$top/scripts/rig/off-compare.py

calls() {   # calls WHICH [EXTRA]: the OFFCMP lines of one QEMU's five runs
    local fd=$([ "$1" = ours ] && echo 31 || echo 27) k
    for k in spi intx msi intx-split msix; do
        printf 'OFFCMP: %s %s 812  ioctl(%d<anon_inode:[vfio-device]>, _IOC(_IOC_NONE, 0x3b, 0x6e, 0), 0xffffa8c01230) = 0\r\n' $k "$1" $fd
        printf 'OFFCMP: %s %s 812  ioctl(9<anon_inode:kvm-vm>, KVM_IRQFD, {fd=%d<anon_inode:[eventfd]>, gsi=33, flags=KVM_IRQFD_FLAG_RESAMPLE, resamplefd=%d<anon_inode:[eventfd]>}) = 0\r\n' $k "$1" $((fd + 1)) $((fd + 2))
        [ -z "${2:-}" ] || [ $k != spi ] || printf 'OFFCMP: %s %s 812  ioctl(%d<anon_inode:[vfio-device]>, %s, 0xffffa8c01288) = 0\r\n' $k "$1" $fd "$2"
        printf 'OFFCMP: %s %s 813  ioctl(10<anon_inode:kvm-arm-vgic-v3>, KVM_SET_DEVICE_ATTR, 0xffffc1d0e0e8) = 0\r\n' $k "$1"
    done
}
mkdir -p "$tmp/out"
compare() {     # compare LOG EXPECTED [OPTION...]: sets out and rc
    out=$(python3 "$cmp_py" "$1" "$tmp/out" "$2" "${@:3}" 2>&1)
    rc=$?
}
{ echo "RIG: ok"; calls upstream; calls ours; } > "$tmp/same.log"
compare "$tmp/same.log" "$tmp/none.diff" --record
if [ "$(grep -v "^#" "$tmp/none.diff")" = "" ] && grep -q 'msi: upstream 3 ioctls, ours 3, 0 line(s) differ' <<<"$out"; then
    ok "other fd numbers and addresses are no difference"
else
    bad "fd numbers or addresses counted as differences: $out"
fi
# strace pads a result to a column, by the line's length (the fd's digits)
{ calls upstream; calls ours | sed '/^OFFCMP: msi .*vgic/s/) = 0/)              = 0/'; } > "$tmp/pad.log"
compare "$tmp/pad.log" "$tmp/none.diff"
if [ $rc -eq 0 ] && grep -q 'msi: upstream 3 ioctls, ours 3, 0 line(s) differ' <<<"$out"; then
    ok "strace's padding before a result is no difference"
else
    bad "strace's padding counted as a difference (exit $rc): $out"
fi
{ calls upstream; calls ours UNMASK; } > "$tmp/extra.log"
compare "$tmp/extra.log" "$tmp/none.diff"
if [ $rc -ne 0 ] && grep -q '^+++ this run' <<<"$out" && grep -q '^++ioctl(<anon_inode:\[vfio-device\]>, UNMASK, 0xADDR) = 0' <<<"$out"; then
    ok "an ioctl more in ours fails against a record without it"
else
    bad "an extra ioctl passed or was not shown (exit $rc): $out"
fi
compare "$tmp/extra.log" "$tmp/extra.diff" --record
compare "$tmp/extra.log" "$tmp/extra.diff"
if [ $rc -eq 0 ] && grep -q 'the recorded ones' <<<"$out" &&
   [ "$(grep -c '^[-+]' "$tmp/extra.diff")" = 1 ]; then
    ok "a recorded difference passes"
else
    bad "a recorded difference failed (exit $rc): $out"
fi
compare "$tmp/same.log" "$tmp/extra.diff"
if [ $rc -ne 0 ]; then
    ok "a recorded difference that went away fails too (the record must be updated)"
else
    bad "a difference that went away passed: $out"
fi
{ calls upstream; } > "$tmp/half.log"
compare "$tmp/half.log" "$tmp/none.diff"
if [ $rc -ne 0 ] && grep -q 'made no ioctl' <<<"$out"; then
    ok "a QEMU without any traced ioctl fails"
else
    bad "a missing trace passed (exit $rc): $out"
fi
{ calls upstream; calls ours; } | grep -v '^OFFCMP: msi ' > "$tmp/nomsi.log"
compare "$tmp/nomsi.log" "$tmp/none.diff"
if [ $rc -ne 0 ] && grep -q 'no OFFCMP lines for msi' <<<"$out"; then
    ok "a run missing from the log fails"
else
    bad "a missing run passed (exit $rc): $out"
fi
compare "$tmp/nomsi.log" "$tmp/none.diff" --skip msi
if [ $rc -eq 0 ] && ! grep -q 'msi:' <<<"$out"; then
    ok "a skipped run is neither required nor compared"
else
    bad "--skip msi did not skip (exit $rc): $out"
fi
# The baseline's one commit: the PL031's binding, not the PL011's that
# came later with a subject that starts alike (it picked that one, or
# ended silently when git log's second line met head's closed pipe)
g() { git -C "$tmp/src" -c user.name=t -c user.email=t@invalid -c commit.gpgsign=false "$@"; }
git init -q "$tmp/src" && g commit -q --allow-empty -m base && g tag qif-base
g commit -q --allow-empty -m 'hw/core/sysbus-fdt: Add a vfio-platform binding for the ARM PL031'
want=$(g rev-parse HEAD)
for i in $(seq 1 40); do g commit -q --allow-empty -m "hw/vfio: Change $i"; done
g commit -q --allow-empty -m 'hw/core/sysbus-fdt: Build the PL031'"'"'s node with a helper for one-IRQ devices'
g commit -q --allow-empty -m 'hw/core/sysbus-fdt: Add a vfio-platform binding for the ARM PL011'
got=$(BUILD=$tmp/build QIF_SRC=$tmp/src OFFCMP_PRINT_BINDING=1 bash "$top/scripts/rig/off-compare.sh" 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ "$got" = "$want" ]; then
    ok "the baseline takes the PL031's binding, not the PL011's"
else
    bad "the baseline's commit: $got (exit $rc), not the PL031's binding $want"
fi
