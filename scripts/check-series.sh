#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The exported series (build/series) must apply with "git am" to the
# pristine base and pass the base tree's scripts/checkpatch.pl, with
# commit messages no wider than 75 columns.
# Appends "passed failed skipped" to $QIF_SUMMARY when set.
set -euo pipefail
. "$(dirname "$0")/common.sh"

series=$BUILD/series
am=$BUILD/series-am
[ -d "$series" ] || die "$series missing; run 'make series'"
shopt -s nullglob
patches=("$series"/*.patch)
pass=0 fail=0

git -C "$SRC" worktree prune
rm -rf "$am"
git -C "$SRC" worktree add -q --detach "$am" qif-base
if [ ${#patches[@]} -eq 0 ] || \
   git -C "$am" -c user.name=check -c user.email=check@invalid am -q "${patches[@]}"; then
    echo "check-series: git am of ${#patches[@]} patch(es) onto the pristine base: ok"
    pass=$((pass + 1))
else
    git -C "$am" am --abort 2>/dev/null || true
    echo "check-series: FAIL: the series does not apply with git am to the pristine base"
    fail=$((fail + 1))
fi

for p in "${patches[@]}"; do
    wide=$(wide_message_lines "$p")
    if [ -n "$wide" ]; then
        echo "check-series: FAIL: commit message wider than 75 columns:"
        echo "$wide" | sed 's/^/    /'
        fail=$((fail + 1))
    elif checkpatch_one "$am" "$p" check-series; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
    fi
done
git -C "$SRC" worktree remove --force "$am"
[ -n "${QIF_SUMMARY:-}" ] && echo "series $pass $fail 0" >> "$QIF_SUMMARY"
[ $fail -eq 0 ] || die "$fail series check(s) failed"
