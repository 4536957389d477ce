#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make check's steps on a machine where the rig was never set up: each
# script that a step runs, run again with the tools that only the rig
# installs (the arm64 cross compiler, dtc) hidden from PATH, and apt-get
# replaced by a stand-in that logs what is installed and then shows the
# real, already installed tool.  A step must pass without them, or
# install what it needs itself; a fresh machine runs the steps in make
# check's order, so no step may rely on a later one (the kernel series
# check once died asking for the cross compiler that only the rig step
# installs).  Run last by make check, when every cache exists, so that it
# costs little; appends "fresh-state passed failed 0" to $QIF_SUMMARY.
set -uo pipefail
. "$(dirname "$0")/../../scripts/common.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
bad() { echo "not ok - $*"; fail=$((fail + 1)); }
hidden() { case $1 in aarch64-linux-gnu-*|dtc) return 0;; esac; return 1; }

# PATH: every command of the real PATH but the hidden ones.
bin=$tmp/bin
mkdir -p "$bin"
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do
    for f in "$d"/*; do
        name=${f##*/}
        [ -x "$f" ] && [ ! -e "$bin/$name" ] && ! hidden "$name" && ln -s "$f" "$bin/$name"
    done
done
real_apt=$(command -v apt-get)
rm -f "$bin/apt-get"
cat > "$bin/apt-get" <<EOF
#!/bin/bash
# apt-get stand-in: "install" shows the hidden tools of a package that the
# real machine has installed; everything else goes to the real apt-get.
[ "\$1" = install ] || exec "$real_apt" "\$@"
shift
for p in "\$@"; do
    case \$p in -*) continue;; esac
    echo "\$p" >> "$tmp/installed"
    dpkg-query -W -f='\${Status}' "\$p" 2>/dev/null | grep -q 'install ok installed' ||
        { echo "E: Unable to locate package \$p" >&2; exit 100; }
    case \$p in
    *aarch64-linux-gnu) pat='aarch64-linux-gnu-*';;
    device-tree-compiler) pat=dtc;;
    *) continue;;
    esac
    for d in ${dirs[*]}; do
        for f in "\$d"/\$pat; do
            [ -x "\$f" ] && ln -sf "\$f" "$bin/\${f##*/}"
        done
    done
done
exit 0
EOF
chmod +x "$bin/apt-get"

# fresh NAME EXPECTED-INSTALLS CMD...: CMD must pass in the hidden state,
# installing exactly EXPECTED-INSTALLS ("" for nothing).
fresh() {
    local name=$1 want=$2 out rc got
    shift 2
    rm -f "$bin"/aarch64-linux-gnu-* "$bin/dtc" "$tmp/installed"
    out=$(PATH=$bin QIF_SUMMARY= "$@" 2>&1 </dev/null) && rc=0 || rc=$?
    got=$(sort -u "$tmp/installed" 2>/dev/null | tr '\n' ' ')
    got=${got% }
    if [ $rc -ne 0 ]; then
        bad "$name without the rig's tools: exit $rc: $(tail -3 <<<"$out" | tr '\n' ' ')"
    elif [ "$got" != "$want" ]; then
        bad "$name without the rig's tools: installed '${got}', expected '${want}'"
    else
        ok "$name without the rig's tools${want:+ (installs $want itself)}"
    fi
}

if PATH=$bin command -v aarch64-linux-gnu-gcc >/dev/null; then
    bad "the cross compiler is not hidden"
fi
# make check's steps in order; the upstream suites (QEMU's meson tests in
# build/qemu, 10 minutes) run no rig script and are not repeated here.
fresh "script tests" "" "$TOP/tests/scripts/run.sh"
fresh "series check" "" "$TOP/scripts/check-series.sh"
fresh "kernel.sh --source-deb" "" "$TOP/scripts/rig/kernel.sh" --source-deb
fresh "kernel series check" "" "$TOP/scripts/check-kernel-series.sh"
fresh "rig: cross-qemu.sh" gcc-aarch64-linux-gnu "$TOP/scripts/rig/cross-qemu.sh"
fresh "rig: edu-irq.sh" gcc-12-aarch64-linux-gnu "$TOP/scripts/rig/edu-irq.sh"
# The L1 kernel is cached by now: nothing to build, nothing to install.
fresh "rig: kernel.sh (cached)" "" "$TOP/scripts/rig/kernel.sh"
fresh "rig: dtb.sh" device-tree-compiler "$TOP/scripts/rig/dtb.sh" "$tmp/virt.dtb" \
    -M virt,virtualization=on,gic-version=3,iommu=smmuv3 -cpu max -m 1G

echo "fresh state: $pass passed, $fail failed"
[ -n "${QIF_SUMMARY:-}" ] && echo "fresh-state $pass $fail 0" >> "$QIF_SUMMARY"
[ $fail -eq 0 ]
