#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the rig's instruction-count plugin (scripts/rig/insn-window.c)
# against our tree's plugin API into build/rig/insn-window.so, and print
# its path.  --selftest: then run it on a bare-metal arm64 guest of
# known counts under our qemu-system-aarch64 (TCG): a window of 1000
# turns of a two-instruction loop at EL2, one that drops to EL1 and
# turns 10 times there, and a close marker without an open one; each
# count, its tag and (el=on) its split by exception level must be the
# guest's to the instruction.
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
# The guest, encoded here (no cross assembler needed; it starts at EL2):
#          mov x1, #(1 << 31); msr hcr_el2, x1      (EL1 is AArch64)
#          hint #120; mov x0, #1000
#      1:  subs x0, x0, #1; b.ne 1b
#          mov x0, #7; hint #121                    (tag 7)
#          hint #120; adr x1, el1; msr elr_el2, x1
#          mov x1, #0x3c5; msr spsr_el2, x1; eret   (to EL1h)
#    el1:  mov x0, #10
#      2:  subs x0, x0, #1; b.ne 2b
#          mov x0, #8; hint #121                    (tag 8)
#          hint #121                                (a close without an open)
#          movz x0, #8; movk x0, #0x8400, lsl #16; smc #0
#          b .                   (PSCI SYSTEM_OFF: virt's conduit with EL2)
# A window counts its close marker, not its open one: 1 + 2 * 1000 + 2
# at EL2; 5 at EL2 and 1 + 2 * 10 + 2 at EL1.  Loaded 2 MiB into RAM,
# past the device tree that virt puts at its start.
python3 -c '
import struct, sys
words = [0xd2b00001, 0xd51c1101, 0xd5032f1f, 0xd2807d00, 0xf1000400,
         0x54ffffe1, 0xd28000e0, 0xd5032f3f, 0xd5032f1f, 0x100000a1,
         0xd51c4021, 0xd28078a1, 0xd51c4001, 0xd69f03e0, 0xd2800140,
         0xf1000400, 0x54ffffe1, 0xd2800100, 0xd5032f3f, 0xd5032f3f,
         0xd2800100, 0xf2b08000, 0xd4000003, 0x14000000]
sys.stdout.buffer.write(b"".join(struct.pack("<I", w) for w in words))
' > "$tmp/guest.bin"
stray="insn-window: close without open (vCPU 0);"
for el in off on; do
    # -nodefaults: no default NIC, whose option ROM a fresh build dir lacks
    # -smp 2: the second vCPU stays off (PSCI) and must count nothing
    timeout 60 "$qemu" -M virt,virtualization=on -cpu cortex-a57 -smp 2 -nodefaults \
        -display none \
        -device loader,file="$tmp/guest.bin",addr=0x40200000,force-raw=on \
        -device loader,addr=0x40200000,cpu-num=0 \
        -plugin "$out/insn-window.so,el=$el" -d plugin 2> "$tmp/log" ||
        die "the self-test guest did not power off (el=$el): $(tail -3 "$tmp/log")"
    got=$(grep '^insn-window:' "$tmp/log" | tr '\n' ';')
    if [ $el = off ]; then
        want="insn-window: tag=7 insns=2003;insn-window: tag=8 insns=28;$stray"
    else
        want="insn-window: tag=7 insns=2003 el0=0 el1=0 el2=2003 el3=0 elx=0;"
        want+="insn-window: tag=8 insns=28 el0=0 el1=23 el2=5 el3=0 elx=0;$stray"
    fi
    [ "$got" = "$want" ] || die "counts (el=$el): got '$got', want '$want'"
    echo "insn-window: self-test ok, el=$el ($got)"
done
