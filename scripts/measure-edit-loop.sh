#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Measure the edit loop: change one of our .c files under qemu/ (a comment
# line, reverted afterwards) and time "make build".  Prints seconds.
set -euo pipefail
. "$(dirname "$0")/common.sh"

f=${1:-hw/vfio/irq-forward.c}
[ -f "$TOP/qemu/$f" ] || die "qemu/$f does not exist"
make -C "$TOP" -s build >/dev/null        # start from an up-to-date build
cp "$TOP/qemu/$f" "$BUILD/.measure.bak"
trap 'cp "$BUILD/.measure.bak" "$TOP/qemu/$f"; make -C "$TOP" -s build >/dev/null' EXIT
echo "/* edit-loop measurement $(date +%s%N) */" >> "$TOP/qemu/$f"
start=$(date +%s.%N)
make -C "$TOP" -s build >/dev/null
end=$(date +%s.%N)
awk -v f="$f" -v s="$start" -v e="$end" 'BEGIN { printf "edit loop: qemu/%s changed -> make build: %.1f s\n", f, e - s }'
