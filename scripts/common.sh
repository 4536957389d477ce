# SPDX-License-Identifier: GPL-2.0-or-later
# Shared settings for the project's scripts (sourced, not run).

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
SRC=${QIF_SRC:-$BUILD/src}
OBJ=${QIF_OBJ:-$BUILD/qemu}
# Downloads and caches live outside the clone so fresh clones (CI) reuse them.
QIF_CACHE=${QIF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qemu-irq-forward}

# shellcheck source=qemu-version
. "$TOP/scripts/qemu-version"

die() { echo "$(basename "$0"): error: $*" >&2; exit 1; }
note() { echo "$(basename "$0"): $*" >&2; }

# need_tools CMD:PACKAGE...: installs, from Debian, the package of each
# command not on PATH (or file, for a CMD with a slash) as root; otherwise
# dies naming the apt-get command.  Each script asks for what it itself
# runs, so that no step depends on another having run first (a fresh
# machine runs them in make check's order).  NEED_NO_RECOMMENDS=1: without
# the packages' Recommends.
have_tool() { case $1 in */*) [ -e "$1" ];; *) command -v "$1" >/dev/null;; esac; }
need_tools() {
    local t pkgs=()
    for t in "$@"; do
        have_tool "${t%%:*}" || pkgs+=("${t#*:}")
    done
    [ ${#pkgs[@]} -gt 0 ] || return 0
    [ "$(id -u)" = 0 ] || die "missing: ${pkgs[*]}; run: sudo apt-get install ${pkgs[*]}"
    note "installing ${pkgs[*]}"
    # On a new machine apt's daily jobs may hold the lock for a while.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
        ${NEED_NO_RECOMMENDS:+--no-install-recommends} "${pkgs[@]}" >/dev/null || die "apt-get install ${pkgs[*]} failed"
    for t in "$@"; do
        have_tool "${t%%:*}" || die "${t%%:*} still missing after installing ${t#*:}"
    done
}

# ccache from Debian, shared by every clone: source and build dir are
# siblings (../src), so with paths relative to their parent, CI's fresh
# clones and the baseline tree hit the same cache entries.
use_ccache() {
    command -v ccache >/dev/null || die "ccache missing; run scripts/setup-deps.sh"
    [ "$(dirname "$SRC")" = "$(dirname "$OBJ")" ] || die "QIF_SRC and QIF_OBJ must be siblings"
    export CCACHE_DIR=${CCACHE_DIR:-$QIF_CACHE/ccache}
    export CCACHE_BASEDIR
    CCACHE_BASEDIR=$(cd "$(dirname "$SRC")" && pwd)
    export CCACHE_NOHASHDIR=1 PATH=/usr/lib/ccache:$PATH
}

# Run "$@" with /dev/kvm unusable, as on the machine the upstream baseline
# was recorded on: there a test like pxe-test ("-accel kvm -accel tcg")
# runs under TCG, while a /dev/kvm that cannot run ordinary guests (as on
# these paravirtual machines) makes it fail with "internal-error".  In a
# private mount namespace /dev/kvm is covered by a read-only empty file:
# access() and open() fail with EROFS, so libqtest skips KVM and QEMU
# falls back to TCG.  QIF_UPSTREAM_KVM=1 keeps /dev/kvm.
# shellcheck disable=SC2016
KVM_HIDE='f=$(mktemp) || exit 125
    trap "rm -f \"\$f\"" EXIT
    mount --bind "$f" /dev/kvm && mount -o remount,bind,ro /dev/kvm || exit 125
    [ $# -eq 0 ] || "$@"'

# arm_host_build_files < FILES: whether one of the source paths read
# (one a line) is a file that only an arm64 host compiles (KVM's GIC
# models, target/arm's KVM code), one such a file may include or be
# generated from (a header, linux-headers/, accel/kvm/, trace-events,
# qapi/), or the build's own (meson.build, Kconfig, configs/)
arm_host_build_files() {
    grep -qE '^(hw/intc/arm_gic.*kvm|target/arm/|accel/kvm/|linux-headers/|include/|qapi/|configs/)|\.h$|(^|/)(meson\.build|Kconfig[^/]*|trace-events)$'
}

# upstream_excluded: the upstream tests not run, as "name<TAB>reason"
# lines: tests/baseline/excluded.tsv, and unless QIF_CHECK_FULL=1 (make
# check-full) tests/baseline/full-only.tsv
upstream_excluded() {
    cat "$TOP/tests/baseline/excluded.tsv"
    [ "${QIF_CHECK_FULL:-0}" = 1 ] || cat "$TOP/tests/baseline/full-only.tsv"
}

# kvm_hide_state: "hidden" (without_kvm hides it), "kept" (no /dev/kvm, or
# QIF_UPSTREAM_KVM=1) or "cannot" (needs root and mount namespaces).
kvm_hide_state() {
    if [ ! -e /dev/kvm ] || [ -n "${QIF_UPSTREAM_KVM:-}" ]; then
        echo kept
    elif unshare --mount --propagation private sh -c "$KVM_HIDE" without_kvm \
            2>/dev/null; then
        echo hidden
    else
        echo cannot
    fi
}

# Where /dev/kvm cannot be hidden, runs "$@" as it is: the caller says so
# (run-upstream-tests.sh), as this runs with its output sent to a log.
without_kvm() {
    if [ "$(kvm_hide_state)" = hidden ]; then
        unshare --mount --propagation private sh -c "$KVM_HIDE" without_kvm "$@"
    else
        "$@"
    fi
}

# meson_tests LOGBASE NPROC TEST...: run the named meson tests in $OBJ,
# QEMU's own without /dev/kvm (above), ours (tests/ files under qemu/) with
# it, for their real-kernel probes.  Leaves $OBJ/meson-logs/LOGBASE.json
# and LOGBASE.out; returns non-zero if any test failed.
meson_tests() {
    local logbase=$1 nproc=$2 t name rc=0
    shift 2
    local -a ours=() theirs=()
    local -A own=()
    for t in "$TOP"/qemu/tests/unit/*.c "$TOP"/qemu/tests/qtest/*.c; do
        [ -e "$t" ] && own[$(basename "$t" .c)]=1
    done
    for t in "$@"; do
        name=${t##*/}
        if [ -n "${own[$name]:-}" ]; then ours+=("$t"); else theirs+=("$t"); fi
    done
    local logs=$OBJ/meson-logs
    rm -f "$logs/$logbase".{json,out} "$logs/$logbase"-{qemu,ours}.{json,txt}
    if [ ${#theirs[@]} -gt 0 ]; then
        (cd "$OBJ" && without_kvm meson test --no-rebuild --num-processes "$nproc" \
            --logbase "$logbase-qemu" ${MESON_TEST_ARGS:-} "${theirs[@]}") \
            >>"$logs/$logbase.out" 2>&1 || rc=$?
    fi
    if [ ${#ours[@]} -gt 0 ]; then
        (cd "$OBJ" && meson test --no-rebuild --num-processes "$nproc" \
            --logbase "$logbase-ours" ${MESON_TEST_ARGS:-} "${ours[@]}") \
            >>"$logs/$logbase.out" 2>&1 || rc=$?
    fi
    cat "$logs/$logbase"-{qemu,ours}.json > "$logs/$logbase.json" 2>/dev/null
    return $rc
}

# checkpatch_one TREE PATCH PREFIX [OPTION...]: TREE's scripts/checkpatch.pl
# (QEMU's or Linux's) on PATCH, with OPTIONs; prints the verdict, the
# warnings, and the whole report on an error, which it returns.
# The commit message lines of PATCH (a git format-patch file) wider than
# 75 columns, as "FILE:LINE: TEXT"; tags and lines without a space (a
# URL, a path) may be wider.  checkpatch.pl lets these through.
wide_message_lines() {
    awk -v f="$1" '
        /^---$/ { exit }
        body && length($0) > 75 && / / && !/^[A-Za-z-]+: / { print f ":" NR ": " $0 }
        /^$/ && !body { body = 1 }' "$1"
}

checkpatch_one() {
    local tree=$1 patch=$2 prefix=$3 out rc warn
    shift 3
    out=$(cd "$tree" && ./scripts/checkpatch.pl --no-color "$@" "$patch" 2>&1) && rc=0 || rc=$?
    warn=$(grep -c '^WARNING' <<<"$out" || true)
    if [ $rc -ne 0 ]; then
        echo "$prefix: checkpatch FAIL: $(basename "$patch")"
        sed 's/^/    /' <<<"$out"
        return 1
    fi
    if [ "$warn" = 0 ]; then
        echo "$prefix: checkpatch ok: $(basename "$patch")"
    else
        echo "$prefix: checkpatch ok: $(basename "$patch") ($warn warning(s))"
        grep -A3 '^WARNING' <<<"$out" | sed 's/^/    /'
    fi
}

# make check's steps.  check_step NAME CMD...: runs CMD, which appends
# "name passed failed skipped" lines to $QIF_SUMMARY; a failed step that
# added no failure of its own (it died before counting) counts as one
# failure, a passing step that counted nothing as one pass.
# Each step's output is also kept in $QIF_CHECK_LOGS/NAME.log.
# With $QIF_CHECK_KEEP set (make check-full: a directory per source tree,
# scripts/check-all.sh), a step that passed is recorded there (its
# counts, time and log), and a step recorded as passed on this very tree
# is not run again but its counts replayed: check-full runs longer than
# one sitting on this kind of machine, and can be finished in two.
# check_summary: the closing line, from $QIF_SUMMARY, after the last lines
# of each failed step's output (a CI log is often read from its end);
# returns non-zero when a step failed.
check_failed_steps=() check_kept_steps=()
# check_full_key DIR [QEMU-TREE]: the key of DIR's committed tree, of the
# assembled QEMU tree's committed state (what the builds compile; edits
# there not yet exported are in no patch), and of the settings the steps
# read (E2E_*, STRESS_*, OFFCMP_*, MESON_*, QIF_*, ...); fails when
# either has uncommitted changes (nothing is kept then), but for a QEMU
# tree file equal to DIR's qemu/PATH (assemble's copy of a new file, or
# any other file so equal: DIR's tree, in the key, holds it).  The
# README and docs/, which no step reads, are left out: results can be
# written up while a run goes on.
check_full_key() {
    local dir=$1 src=${2:-} files tree qemu= settings notdocs=(-- . ':!README.md' ':!docs')
    git -C "$dir" rev-parse -q --verify HEAD > /dev/null 2>&1 || return 1
    [ -z "$(git -C "$dir" status --porcelain "${notdocs[@]}")" ] || return 1
    files=$(git -C "$dir" ls-tree -r HEAD | awk -F '\t' '$2 != "README.md" && $2 !~ /^docs\//') &&
        [ -n "$files" ] || return 1
    tree=$(sha256sum <<<"$files" | cut -c1-12)
    if [ -n "$src" ]; then
        local st _ path
        st=$(git -C "$src" status --porcelain --untracked-files=no 2>/dev/null) || return 1
        # assemble copies qemu/'s new files into the tree uncommitted: one
        # that is as DIR holds it is in DIR's key already
        while read -r _ path; do
            [ -z "$path" ] || cmp -s "$src/$path" "$dir/qemu/$path" || return 1
        done <<<"$st"
        qemu=$(git -C "$src" rev-parse -q --verify 'HEAD^{tree}' 2>/dev/null) || return 1
    fi
    settings=$({ echo "$qemu"
                 env | grep -E '^(E2E|STRESS|BENCH|OFFCMP|RIG|LIFE|MESON|QIF)_' |
                     grep -v -E '^QIF_(SUMMARY|CHECK_[A-Z_]*|FULL_RERUN)=' | sort; } |
               sha256sum | cut -c1-8)
    echo "$tree-$settings"
}
check_log() { echo "${QIF_CHECK_LOGS:-$BUILD/check-logs}/${1// /-}.log"; }
check_step() {
    local name=$1 before f log
    shift
    echo "=== $name"
    before=$(wc -l < "$QIF_SUMMARY")
    log=$(check_log "$name")
    mkdir -p "$(dirname "$log")"
    local kept=${QIF_CHECK_KEEP:+$QIF_CHECK_KEEP/${name// /-}}
    if [ -n "$kept" ] && [ -f "$kept.passed" ]; then
        echo "=== $name: $(head -1 "$kept.passed" | sed 's/^# //'); kept, not run again (its log: $kept.log)"
        grep -v '^#' "$kept.passed" >> "$QIF_SUMMARY"
        check_kept_steps+=("$name")
        return 0
    fi
    local rc=0 start=$SECONDS
    "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    f=$(tail -n +$((before + 1)) "$QIF_SUMMARY" | awk '{ f += $3 } END { print f + 0 }')
    if [ $rc -eq 0 ] && [ "$f" -eq 0 ]; then
        echo "=== $name: passed in $((SECONDS - start)) s"
        [ "$(wc -l < "$QIF_SUMMARY")" -gt "$before" ] || echo "${name// /-} 1 0 0" >> "$QIF_SUMMARY"
        # Kept only if what ran is still the tree the key names (a commit
        # or an edit while the run went on changes it)
        if [ -n "$kept" ] && [ "$(check_full_key "$TOP" "${QIF_CHECK_SRC:-}")" != "${QIF_CHECK_KEEP##*/}" ]; then
            echo "=== $name: not kept: the tree or the settings changed while it ran"
        elif [ -n "$kept" ]; then
            mkdir -p "$QIF_CHECK_KEEP"
            cp "$log" "$kept.log"
            { echo "# passed on this tree $(date -u '+%Y-%m-%d %H:%M UTC') in $((SECONDS - start)) s"
              tail -n +$((before + 1)) "$QIF_SUMMARY"; } > "$kept.tmp" && mv "$kept.tmp" "$kept.passed"
        fi
        return 0
    fi
    echo "=== $name: FAILED in $((SECONDS - start)) s"
    # A step that counted failures fails, whatever its exit code.
    check_failed_steps+=("$name")
    [ "$f" -gt 0 ] || echo "${name// /-} 0 1 0" >> "$QIF_SUMMARY"
}
check_summary() {
    local p f s
    read -r p f s < <(awk '{ p += $2; f += $3; s += $4 } END { print p + 0, f + 0, s + 0 }' "$QIF_SUMMARY")
    local name
    for name in "${check_failed_steps[@]}"; do
        echo
        echo "--- $name failed; its last lines ($(check_log "$name")):"
        tail -n "${QIF_CHECK_TAIL:-25}" "$(check_log "$name")"
    done
    echo
    [ ${#check_kept_steps[@]} -eq 0 ] ||
        echo "make check: passed earlier on this tree, not run again: ${check_kept_steps[*]} ($QIF_CHECK_KEEP)"
    [ ${#check_failed_steps[@]} -eq 0 ] || echo "make check: FAILED: ${check_failed_steps[*]}"
    echo "$p passed, $f failed, $s skipped"
    [ ${#check_failed_steps[@]} -eq 0 ]
}
