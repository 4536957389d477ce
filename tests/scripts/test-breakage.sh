#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Breaking the setup must give a clear message and a non-zero exit:
# a missing build dependency (as non-root), and an upstream test whose
# result differs from the baseline.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"

ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }
refuses() {     # refuses WHAT PATTERN CMD...: CMD fails and says PATTERN
    local what=$1 pat=$2 out; shift 2
    if out=$("$@" 2>&1); then nok "$what (succeeded)"; return; fi
    if grep -q -- "$pat" <<<"$out"; then ok "$what"; else nok "$what: no '$pat' in: $out"; fi
}

# A dpkg-query that says ovmf is not installed, everything else is.
mkdir "$T/bin"
cat > "$T/bin/dpkg-query" <<'SH'
#!/bin/sh
for last; do :; done
[ "$last" = ovmf ] && exit 1
echo "install ok installed"
SH
chmod 755 "$T/bin/dpkg-query"
# A copy, so that "nobody" can read it wherever the clone is.
cp "$TOP/scripts/setup-deps.sh" "$T/"
chmod 755 "$T/setup-deps.sh"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    refuses "a missing dependency, as non-root, is named" \
        "missing build dependencies: ovmf.*run 'sudo" \
        setpriv --reuid=nobody --regid=nogroup --clear-groups \
        env PATH="$T/bin:$PATH" bash "$T/setup-deps.sh"
else
    refuses "a missing dependency, as non-root, is named" \
        "missing build dependencies: ovmf.*run 'sudo" \
        env PATH="$T/bin:$PATH" bash "$T/setup-deps.sh"
fi

# A test log where one upstream test changed its result.
printf '# header\nqemu:unit / test-a\tOK\nqemu:unit / test-b\tOK\n' > "$T/base.tsv"
printf '# none\n' > "$T/excl.tsv"
cat > "$T/log.json" <<'J'
{"name": "qemu:unit / test-a", "result": "OK", "stdout": "ok 1"}
{"name": "qemu:unit / test-b", "result": "FAIL", "stdout": "ok 1\nBail out! assertion failed: (x == 1)"}
J
refuses "a failing upstream test is named, with its output" \
    "test-b.*FAIL.*baseline says OK" \
    python3 "$TOP/scripts/compare-tests.py" check "$T/log.json" "$T/base.tsv" "$T/excl.tsv"
refuses "the failing test's last output lines are shown" \
    "| Bail out! assertion failed" \
    python3 "$TOP/scripts/compare-tests.py" check "$T/log.json" "$T/base.tsv" "$T/excl.tsv"
# A test that differed is retried alone: still failing is still a failure,
# matching then is reported as flaky and passes.
python3 "$TOP/scripts/compare-tests.py" check "$T/log.json" "$T/base.tsv" \
    "$T/excl.tsv" --differ "$T/differ" >/dev/null
if [ "$(cat "$T/differ")" = "test-b" ]; then
    ok "the differing test is listed for a retry"
else
    nok "the differing test is listed for a retry: $(cat "$T/differ")"
fi
grep test-b "$T/log.json" > "$T/retry-fail.json"
refuses "a test that fails its retry too is a failure" \
    "test-b.*FAIL.*baseline says OK" \
    python3 "$TOP/scripts/compare-tests.py" check "$T/log.json" "$T/base.tsv" \
    "$T/excl.tsv" --retry "$T/retry-fail.json"
echo '{"name": "qemu:unit / test-b", "result": "OK", "stdout": "ok 1"}' > "$T/retry-ok.json"
if out=$(python3 "$TOP/scripts/compare-tests.py" check "$T/log.json" "$T/base.tsv" \
         "$T/excl.tsv" --retry "$T/retry-ok.json") &&
   grep -q "test-b.*FAIL, then OK on a serial retry" <<<"$out"; then
    ok "a test that passes its retry is reported as flaky"
else
    nok "a test that passes its retry is reported as flaky: $out"
fi
grep -v test-b "$T/log.json" > "$T/log2.json"
refuses "a test missing from the run is a failure" "test-b.*MISSING" \
    python3 "$TOP/scripts/compare-tests.py" check "$T/log2.json" "$T/base.tsv" "$T/excl.tsv"
printf 'qemu:unit / test-b\treason\n' >> "$T/excl.tsv"
if python3 "$TOP/scripts/compare-tests.py" check "$T/log2.json" "$T/base.tsv" "$T/excl.tsv" >/dev/null; then
    ok "an excluded test is not compared"
else
    nok "an excluded test is not compared"
fi

# QEMU's own tests run as where the baseline was recorded: without a usable
# /dev/kvm (a paravirtual one makes "-accel kvm -accel tcg" guests fail).
if [ -c /dev/kvm ] && [ "$(id -u)" = 0 ]; then
    if bash -c ". '$TOP/scripts/common.sh'; without_kvm test -w /dev/kvm" 2>/dev/null; then
        nok "without_kvm hides /dev/kvm (still writable inside)"
    elif [ -w /dev/kvm ]; then
        ok "without_kvm hides /dev/kvm, and only inside"
    else
        nok "without_kvm hides /dev/kvm, and only inside (gone outside too)"
    fi
    refuses "without_kvm passes the command's failure on" "^$" \
        bash -c ". '$TOP/scripts/common.sh'; without_kvm false"
    # Not root: nothing can be hidden; the caller is told, the tests run.
    if command -v setpriv >/dev/null; then
        # Copies, so that "nobody" can read them wherever the clone is.
        mkdir -p "$T/top/scripts"
        cp "$TOP/scripts/common.sh" "$TOP/scripts/qemu-version" "$T/top/scripts/"
        chmod -R a+rX "$T/top"
        out=$(cd / && setpriv --reuid=nobody --regid=nogroup --clear-groups \
            bash -c ". '$T/top/scripts/common.sh'; kvm_hide_state; without_kvm echo ran" 2>&1)
        if [ "$out" = "$(printf 'cannot\nran')" ]; then
            ok "where /dev/kvm cannot be hidden, that is said and the tests still run"
        else
            nok "where /dev/kvm cannot be hidden, that is said and the tests still run: $out"
        fi
    fi
fi
