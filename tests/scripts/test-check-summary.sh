#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make check's closing line counts every failed step: one that counted
# its own failures, one that died before counting anything, and one that
# passed.  (Once two failed steps were summed as "1 failed": a step that
# died uncounted was added only when nothing else had failed.)
set -u
. "$(dirname "$0")/../../scripts/common.sh"
QIF_SUMMARY=$(mktemp)
QIF_CHECK_LOGS=$(mktemp -d)
trap 'rm -rf "$QIF_SUMMARY" "$QIF_CHECK_LOGS"' EXIT
ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }

counted_fail() { echo "a 5 1 0" >> "$QIF_SUMMARY"; echo "why-counted"; return 1; }
died() { echo "why-died" >&2; return 1; }
passed() { echo "c 3 0 2" >> "$QIF_SUMMARY"; echo "all-fine"; }
out=$(check_step "counted" counted_fail; check_step "died early" died
      check_step "fine" passed; check_step "silent" true; check_summary); rc=$?
if [ $rc -ne 0 ] && [ "$(tail -1 <<<"$out")" = "9 passed, 2 failed, 2 skipped" ] &&
   grep -qx "make check: FAILED: counted died early" <<<"$out"; then
    ok "every failed step counts in the closing line"
else
    nok "closing line wrong (exit $rc): $(tail -2 <<<"$out" | tr '\n' '|')"
fi
# The failed steps' output again, before the closing line (stderr too);
# not a passing step's.
tail_part=$(sed -n '/^--- counted failed/,$p' <<<"$out")
if grep -qx why-counted <<<"$tail_part" && grep -qx why-died <<<"$tail_part" &&
   ! grep -q all-fine <<<"$tail_part" && grep -q '^--- died early failed' <<<"$tail_part"; then
    ok "the summary repeats each failed step's last lines"
else
    nok "failed steps' output not repeated: $(tr '\n' '|' <<<"$tail_part")"
fi
: > "$QIF_SUMMARY"
out=$(check_step "fine" passed; check_summary); rc=$?
if [ $rc -eq 0 ] && [ "$(tail -1 <<<"$out")" = "3 passed, 0 failed, 2 skipped" ]; then
    ok "a passing run closes with its counts and exit 0"
else
    nok "passing run wrong (exit $rc): $(tail -1 <<<"$out")"
fi
: > "$QIF_SUMMARY"
quiet_fail() { echo "q 4 1 0" >> "$QIF_SUMMARY"; return 0; }
out=$(check_step "quiet" quiet_fail; check_summary); rc=$?
if [ $rc -ne 0 ] && grep -qx "make check: FAILED: quiet" <<<"$out"; then
    ok "a step that counted a failure but exited 0 fails make check"
else
    nok "a counted failure with exit 0 passed (exit $rc): $(tail -2 <<<"$out" | tr '\n' '|')"
fi

# check_full_key: the same for the same committed tree and settings, and
# for a change to the README or docs/ only; another for a change to
# anything else or other settings; none while a change is uncommitted.
keep=$(mktemp -d)
trap 'rm -rf "$QIF_SUMMARY" "$QIF_CHECK_LOGS" "$keep"' EXIT
repo=$keep/repo
git init -q "$repo" && mkdir -p "$repo/docs" "$repo/scripts"
echo a > "$repo/README.md"; echo b > "$repo/docs/x.md"; echo c > "$repo/scripts/s.sh"
gitc() { git -C "$repo" -c user.name=t -c user.email=t@t "$@"; }
gitc add -A && gitc commit -qm 1
k1=$(check_full_key "$repo")
echo a2 > "$repo/README.md"; echo b2 > "$repo/docs/x.md"
k_docs_dirty=$(check_full_key "$repo")
gitc commit -qam 2; k2=$(check_full_key "$repo")
k_settings=$(OFFCMP_GICS=3 check_full_key "$repo")
k_summary=$(QIF_SUMMARY=/tmp/other QIF_FULL_RERUN=1 check_full_key "$repo")
echo c2 > "$repo/scripts/s.sh"
if check_full_key "$repo" > /dev/null; then dirty=keyed; else dirty=none; fi
gitc commit -qam 3; k3=$(check_full_key "$repo")
if [ -n "$k1" ] && [ "$k1" = "$k_docs_dirty" ] && [ "$k1" = "$k2" ] && [ "$k1" = "$k_summary" ] &&
   [ "$k_settings" != "$k1" ] && [ "$dirty" = none ] && [ -n "$k3" ] && [ "$k3" != "$k1" ]; then
    ok "check-full's key: docs-only changes keep it; code, settings or uncommitted changes do not"
else
    nok "check-full's key: $k1 docs-dirty=$k_docs_dirty docs=$k2 settings=$k_settings summary=$k_summary dirty=$dirty code=$k3"
fi

# make check-full's kept steps (QIF_CHECK_KEEP, named by the key): a
# step that passed is not run again in a second run on the same tree,
# its counts replayed; a step that failed runs again; another tree's
# record is not used; a step during which the tree changed is not kept.
runs=$keep/runs
long() { echo x >> "$runs"; echo "k 2 0 1" >> "$QIF_SUMMARY"; }
flaky() { [ -f "$keep/flaky" ] || { : > "$keep/flaky"; return 1; }; }
two_steps() {
    : > "$QIF_SUMMARY"
    TOP=$repo QIF_CHECK_KEEP=$keep/$(check_full_key "$repo")
    check_step "long one" long; check_step "flaky" flaky; check_summary
}
(two_steps) > /dev/null
out=$(two_steps); rc=$?
if [ "$(wc -l < "$runs")" = 1 ] && [ $rc -eq 0 ] &&
   [ "$(tail -1 <<<"$out")" = "3 passed, 0 failed, 1 skipped" ] &&
   grep -q '^=== long one: passed on this tree .* kept, not run again' <<<"$out" &&
   grep -q '^=== flaky: passed in' <<<"$out" &&
   grep -qx "make check: passed earlier on this tree, not run again: long one ($keep/$k3)" <<<"$out"; then
    ok "a second run on the same tree keeps the passed step, counts it, and runs the failed one"
else
    nok "kept steps wrong (runs $(wc -l < "$runs"), exit $rc): $(tr '\n' '|' <<<"$out")"
fi
echo c3 > "$repo/scripts/s.sh"; gitc commit -qam 4
(two_steps) > /dev/null
if [ "$(wc -l < "$runs")" = 2 ]; then
    ok "another tree's record is not used"
else
    nok "a step kept across trees (runs $(wc -l < "$runs"))"
fi
echo c4 > "$repo/scripts/s.sh"; gitc commit -qam 5; k5=$(check_full_key "$repo")
long() { echo x >> "$runs"; echo c5 > "$repo/scripts/s.sh"; gitc commit -qam 6; }
out=$(two_steps)
if grep -q '^=== long one: not kept: the tree or the settings changed while it ran' <<<"$out" &&
   [ "$(wc -l < "$runs")" = 3 ] && [ ! -e "$keep/$k5/long-one.passed" ] &&
   [ ! -e "$keep/$k5/flaky.passed" ]; then
    ok "a step during which the tree changed is not kept"
else
    nok "kept across a change during the step (runs $(wc -l < "$runs")): $(grep '^=== long' <<<"$out" | tr '\n' '|')"
fi

# The QEMU tree: a new file of ours that assemble copied in uncommitted
# (qemu/PATH as the repo holds it) keeps the key; any other edit there
# leaves none.
src=$keep/src
git init -q "$src" && mkdir -p "$src/docs" "$repo/qemu/docs"
echo up > "$src/docs/new.rst"; echo base > "$src/main.c"
git -C "$src" -c user.name=t -c user.email=t@t add -A
git -C "$src" -c user.name=t -c user.email=t@t commit -qm base
echo ours > "$repo/qemu/docs/new.rst"; gitc add -A; gitc commit -qm 7
ks_clean=$(check_full_key "$repo" "$src")
echo ours > "$src/docs/new.rst"; ks_synced=$(check_full_key "$repo" "$src")
echo edited > "$src/docs/new.rst"
if check_full_key "$repo" "$src" > /dev/null; then ks_new=keyed; else ks_new=none; fi
echo ours > "$src/docs/new.rst"; echo edited > "$src/main.c"
if check_full_key "$repo" "$src" > /dev/null; then ks_up=keyed; else ks_up=none; fi
git -C "$src" checkout -q main.c
if [ -n "$ks_clean" ] && [ "$ks_clean" = "$ks_synced" ] && [ "$ks_new" = none ] && [ "$ks_up" = none ]; then
    ok "check-full's key: qemu/'s new files synced into the QEMU tree keep it; other edits there do not"
else
    nok "check-full's key, QEMU tree: clean=$ks_clean synced=$ks_synced new-file-edited=$ks_new upstream-edited=$ks_up"
fi
