#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The rig's instruction-count plugin (scripts/rig/insn-window.c) counts a
# guest's instructions between its markers exactly: a bare-metal guest
# of known counts under our qemu-system-aarch64 (insn-window.sh
# --selftest: a window of 2003 instructions at EL2 and one of 28 from
# EL2 to EL1, 5 and 23, each with its tag, and a close marker without an
# open one, which must be reported, not counted), with and without el=on,
# a second vCPU that stays off counting nothing.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
if out=$("$top/scripts/rig/insn-window.sh" --selftest 2>&1); then
    echo "ok - the plugin counts each window to the instruction, and by exception level ($(echo "$out" | tail -1 | cut -c1-160))"
else
    echo "not ok - insn-window self-test: $(echo "$out" | tail -2 | tr '\n' ' ')"
fi
