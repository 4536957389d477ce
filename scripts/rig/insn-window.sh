#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the rig's instruction-count plugin (scripts/rig/insn-window.c)
# against our tree's plugin API into build/rig/insn-window.so, and print
# its path.  --selftest: then run it on a bare-metal arm64 guest of
# known counts under our qemu-system-aarch64 (TCG): two windows, 1000
# and 10 turns of a two-instruction loop, and a close marker without an
# open one; each count must be the guest's to the instruction.
set -euo pipefail
. "$(dirname "$0")/../common.sh"

out=$BUILD/rig
mkdir -p "$out"
need_tools gcc:gcc pkg-config:pkg-config
# shellcheck disable=SC2046
gcc -shared -fPIC -O2 -Wall -Werror -I"$SRC/include/qemu" \
    $(pkg-config --cflags glib-2.0) "$TOP/scripts/rig/insn-window.c" \
    -o "$out/insn-window.so" || die "scripts/rig/insn-window.c does not build"
[ "${1:-}" = --selftest ] || { echo "$out/insn-window.so"; exit 0; }

qemu=$OBJ/qemu-system-aarch64
[ -x "$qemu" ] || die "$qemu is not built; run 'make'"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The guest, encoded here (no cross assembler needed):
#   hint #120; mov x0, #1000; 1: subs x0, x0, #1; b.ne 1b; hint #121
#   hint #120; mov x0, #10;   2: subs x0, x0, #1; b.ne 2b; hint #121
#   hint #121 (a close without an open)
#   movz x0, #8; movk x0, #0x8400, lsl #16; hvc #0 (PSCI SYSTEM_OFF,
#   QEMU's own); b .
# A window counts its close marker, not its open one: 1 + 2 * 1000 + 1
# and 1 + 2 * 10 + 1.  Loaded 2 MiB into RAM, past the device tree that
# virt puts at its start.
python3 -c '
import struct, sys
words = [0xd5032f1f, 0xd2807d00, 0xf1000400, 0x54ffffe1, 0xd5032f3f,
         0xd5032f1f, 0xd2800140, 0xf1000400, 0x54ffffe1, 0xd5032f3f,
         0xd5032f3f, 0xd2800100, 0xf2b08000, 0xd4000002, 0x14000000]
sys.stdout.buffer.write(b"".join(struct.pack("<I", w) for w in words))
' > "$tmp/guest.bin"
# -nodefaults: no default NIC, whose option ROM a fresh build dir lacks
timeout 60 "$qemu" -M virt -cpu cortex-a57 -nodefaults -display none \
    -device loader,file="$tmp/guest.bin",addr=0x40200000,force-raw=on \
    -device loader,addr=0x40200000,cpu-num=0 \
    -plugin "$out/insn-window.so" -d plugin 2> "$tmp/log" ||
    die "the self-test guest did not power off: $(tail -3 "$tmp/log")"
got=$(grep '^insn-window:' "$tmp/log" | tr '\n' ';')
want="insn-window: 2002 insns;insn-window: 22 insns;insn-window: close without open (vCPU 0);"
[ "$got" = "$want" ] || die "counts: got '$got', want '$want'"
echo "insn-window: self-test ok ($got)"
