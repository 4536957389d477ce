#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# scripts/rig/kernel.sh's arguments, on an empty cache: --cached asks,
# and neither builds nor downloads; L2 never boots the debug kernel; an
# unknown argument is refused by name.
set -u
. "$(dirname "$0")/../../scripts/common.sh"
ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }
k=$TOP/scripts/rig/kernel.sh
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT

for args in "--cached" "--l2 --cached" "--debug --cached"; do
    # shellcheck disable=SC2086
    out=$(QIF_CACHE=$cache "$k" $args 2>&1); rc=$?
    if [ $rc -eq 1 ] && [ -z "$out" ] && [ -z "$(find "$cache" -type f)" ]; then
        ok "kernel.sh $args on an empty cache: exit 1, nothing built or downloaded"
    else
        nok "kernel.sh $args on an empty cache: exit $rc, '$out', files: $(find "$cache" -type f | head -3)"
    fi
done
out=$(QIF_CACHE=$cache "$k" --debug --l2 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q -- '--l2' <<<"$out"; then
    ok "kernel.sh --debug --l2 is refused: $out"
else
    nok "kernel.sh --debug --l2: exit $rc, '$out'"
fi
out=$(QIF_CACHE=$cache "$k" --bogus 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q -- "'--bogus'" <<<"$out"; then
    ok "kernel.sh refuses an unknown argument by name"
else
    nok "kernel.sh --bogus: exit $rc, '$out'"
fi
