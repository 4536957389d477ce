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

need_tools aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu
qemu=$OBJ/qemu-system-aarch64
[ -x "$qemu" ] || die "$qemu is not built; run 'make'"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A window counts its close marker, not its open one: 1 + 2 * 1000 + 1
# and 1 + 2 * 10 + 1.  PSCI SYSTEM_OFF (QEMU's own, over HVC) ends it.
cat > "$tmp/guest.S" <<'ASM'
.global _start
_start:
    hint #120
    mov x0, #1000
1:  subs x0, x0, #1
    b.ne 1b
    hint #121
    hint #120
    mov x0, #10
2:  subs x0, x0, #1
    b.ne 2b
    hint #121
    hint #121
    movz x0, #0x0008
    movk x0, #0x8400, lsl #16
    hvc #0
3:  b 3b
ASM
aarch64-linux-gnu-gcc -nostdlib -static -Wl,-Ttext=0x40080000 \
    "$tmp/guest.S" -o "$tmp/guest.elf"
timeout 60 "$qemu" -M virt -cpu cortex-a57 -display none -monitor none \
    -serial none -kernel "$tmp/guest.elf" \
    -plugin "$out/insn-window.so" -d plugin 2> "$tmp/log" ||
    die "the self-test guest did not power off: $(tail -3 "$tmp/log")"
got=$(grep '^insn-window:' "$tmp/log" | tr '\n' ';')
want="insn-window: 2002 insns;insn-window: 22 insns;insn-window: close without open (vCPU 0);"
[ "$got" = "$want" ] || die "counts: got '$got', want '$want'"
echo "insn-window: self-test ok ($got)"
