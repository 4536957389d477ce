#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The upstream tests make check leaves out: make check-full runs those of
# tests/baseline/full-only.tsv, make check neither list's.  Each full-only
# test is one of the baseline's (a misspelt name would run unnoticed, and
# make check-full compares its result), and each test left out has a
# reason.
set -u
. "$(dirname "$0")/../../scripts/common.sh"
ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }
base=$TOP/tests/baseline
names() { grep -v '^#' | cut -f1 | sort; }

full_only=$(names < "$base/full-only.tsv")
check=$(QIF_CHECK_FULL=0 upstream_excluded | names)
full=$(QIF_CHECK_FULL=1 upstream_excluded | names)
if [ -n "$full_only" ] && [ "$full" = "$(names < "$base/excluded.tsv")" ] &&
   [ "$check" = "$(sort <(echo "$full") <(echo "$full_only") | sed '/^$/d')" ]; then
    ok "make check leaves out excluded.tsv and full-only.tsv, make check-full excluded.tsv only"
else
    nok "left out: make check '$(tr '\n' ' ' <<<"$check")', make check-full '$(tr '\n' ' ' <<<"$full")'"
fi
unknown=$(comm -23 <(echo "$full_only") \
                   <(grep -v '^#' "$base/upstream-results.tsv" | cut -f1 | sort))
noreason=$(QIF_CHECK_FULL=0 upstream_excluded | grep -v '^#' | awk -F'\t' 'NF < 2 || $2 == ""')
if [ -z "$unknown" ] && [ -z "$noreason" ]; then
    ok "each full-only test is in the baseline; each test left out has a reason"
else
    nok "full-only but not in the baseline: '$(tr '\n' ' ' <<<"$unknown")'; no reason: '$noreason'"
fi
