#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# "make check-sanitizers" (in make check-full): our unit tests and qtests
# built with --enable-asan --enable-ubsan (x86_64 only, build/asan) and
# run; any AddressSanitizer, LeakSanitizer or UBSan report fails.  The
# fake VFIO device's qtest (LD_PRELOAD) is not built with sanitizers
# (tests/qtest/meson.build): ASan's runtime must come first in the
# process.  Prints the tests' counts and the report count.
set -euo pipefail
. "$(dirname "$0")/common.sh"

[ -e "$SRC/.git" ] || die "$SRC is not assembled; run 'make'"
obj=${QIF_ASAN_OBJ:-$BUILD/asan}
UNITS=(tests/unit/test-vfio-irq-forward tests/unit/test-kvm-vfio-irq)
QTESTS=(tests/qtest/vfio-forward-test)
args=(--python=/usr/bin/python3 --target-list=x86_64-softmmu --enable-kvm
      --disable-docs --disable-user --disable-werror --disable-install-blobs
      --enable-asan --enable-ubsan)
want="${args[*]} src=$SRC"
QIF_OBJ=$obj use_ccache
if [ ! -f "$obj/build.ninja" ] || [ "$(cat "$obj/.qif-configure-args" 2>/dev/null)" != "$want" ]; then
    rm -rf "$obj"
    mkdir -p "$obj"
    note "configuring the sanitizer build in $obj"
    (cd "$obj" && "$SRC/configure" "${args[@]}") > "$obj/configure.log" 2>&1 ||
        { tail -30 "$obj/configure.log" >&2; die "configure failed (log: $obj/configure.log)"; }
    echo "$want" > "$obj/.qif-configure-args"
fi
note "building ${UNITS[*]} ${QTESTS[*]} and qemu-system-x86_64 with ASan and UBSan"
ninja -C "$obj" -j"${JOBS:-$(nproc)}" qemu-system-x86_64 "${UNITS[@]}" "${QTESTS[@]}" \
    > "$obj/build.log" 2>&1 ||
    { grep -m10 -E "error|FAILED" "$obj/build.log" >&2; die "sanitizer build failed (log: $obj/build.log)"; }

# The firmware the qtests' machines load (seabios for q35), as for build/qemu
QIF_OBJ=$obj "$TOP/scripts/firmware.sh"

logs=$obj/qif-sanitizers
rm -rf "$logs"
mkdir -p "$logs"
# Leaks count in our tests; UBSan stops at its first report so that it
# cannot scroll by.  QEMU itself, under qtest, exits with allocations of
# upstream's own that LeakSanitizer reports (not ours to judge here), so
# leak detection is off in the QEMU process only.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:print_summary=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
passed=0 failed=0
for t in "${UNITS[@]}" "${QTESTS[@]}"; do
    name=$(basename "$t")
    run=("$obj/$t")
    if [[ $t == tests/qtest/* ]]; then
        # libqtest starts QEMU through "sh -c exec $QTEST_QEMU_BINARY ..."
        run=(env QTEST_QEMU_BINARY="env ASAN_OPTIONS=detect_leaks=0 $obj/qemu-system-x86_64"
             "${run[@]}")
    fi
    if (cd "$obj" && "${run[@]}") > "$logs/$name.log" 2>&1; then
        res=ok
    else
        res=FAIL
    fi
    n=$(grep -c '^ok ' "$logs/$name.log" || true)
    passed=$((passed + n))
    if [ $res = FAIL ] || grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$logs/$name.log"; then
        failed=$((failed + 1))
        note "FAIL: $name (log: $logs/$name.log)"
        grep -m20 -E 'ERROR: |runtime error:|SUMMARY:|^not ok|Bail out' "$logs/$name.log" >&2 || true
    else
        note "$name: $n passed, no sanitizer report"
    fi
done
reports=$(cat "$logs"/*.log | grep -c -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' || true)
[ -n "${QIF_SUMMARY:-}" ] && echo "sanitizers $passed $failed 0" >> "$QIF_SUMMARY"
[ "$failed" -eq 0 ] || die "$failed test program(s) failed or reported under ASan/UBSan ($reports report(s); logs: $logs)"
note "ASan + UBSan: $passed tests passed in ${#UNITS[@]} unit and ${#QTESTS[@]} qtest programs, 0 reports"
