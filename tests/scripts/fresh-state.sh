#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make check's steps on a machine where the rig was never set up: each
# script that a step runs, run again with the tools that only the rig
# installs (the arm64 cross compilers and binutils, dtc) hidden from PATH,
# and apt-get replaced by a stand-in that logs what is installed and then
# shows the files of that package (and of the packages it depends on)
# again.  A step must pass without them, or install what it needs itself:
# a fresh machine runs the steps in make check's order, so no step may
# rely on a later one (the kernel series check once died asking for the
# cross compiler that only the rig step installs).  make check runs this
# last, when the rig's caches exist, so that nothing is built again; the
# series and kernel series checks do run again (the kernel tree cloned
# from the cache).
# Appends "fresh-state passed failed skipped" to $QIF_SUMMARY.
set -uo pipefail
. "$(dirname "$0")/../../scripts/common.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The script tests run commands as "nobody", who must reach this PATH.
chmod 755 "$tmp"
pass=0 fail=0 skip=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
bad() { echo "not ok - $*"; fail=$((fail + 1)); }
skipped() { echo "ok - # SKIP $*"; skip=$((skip + 1)); }
hidden() { case $1 in aarch64-linux-gnu-*|dtc) return 0;; esac; return 1; }

# PATH: every command of the real PATH but the hidden ones (the first of
# a name wins, as in the real PATH).
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
# apt-get stand-in: "install PKG" shows again the hidden files of PKG and
# of the installed packages it depends on, provided the real machine has
# PKG installed; everything else goes to the real apt-get.
[ "\$1" = install ] || exec "$real_apt" "\$@"
shift
while [ \$# -gt 0 ]; do
    p=\$1
    shift
    case \$p in -o|-t) shift; continue;; -*) continue;; esac
    echo "\$p" >> "$tmp/installed"
    dpkg-query -W -f='\${Status}' "\$p" 2>/dev/null | grep -q 'install ok installed' ||
        { echo "E: Unable to locate package \$p" >&2; exit 100; }
    for q in "\$p" \$(apt-cache depends --recurse --installed --no-recommends --no-suggests \\
                       --no-conflicts --no-breaks --no-replaces --no-enhances "\$p" 2>/dev/null |
                     sed -n 's/^ *\\(Pre\\)\\{0,1\\}Depends: \\([^<][^:]*\\).*/\\2/p' | sort -u); do
        dpkg -L "\$q" 2>/dev/null | grep -E '^/usr/(local/)?s?bin/' | while read -r f; do
            case \${f##*/} in aarch64-linux-gnu-*|dtc) ln -sf "\$f" "$bin/\${f##*/}";; esac
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
    out=$(PATH=$bin QIF_SUMMARY='' "$@" 2>&1 </dev/null) && rc=0 || rc=$?
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

# make check's steps in order; the upstream suites (QEMU's meson tests in
# build/qemu, 10 minutes) run no rig script and are not repeated here.
fresh "script tests" "" "$TOP/tests/scripts/run.sh"
fresh "series check" "" "$TOP/scripts/check-series.sh"
fresh "kernel.sh --source-deb" "" "$TOP/scripts/rig/kernel.sh" --source-deb
fresh "kernel series check" "" "$TOP/scripts/check-kernel-series.sh"
if [ "${QIF_NO_E2E:-}" = 1 ]; then
    skipped "the rig's scripts: QIF_NO_E2E=1"
elif [ "$(id -u)" != 0 ]; then
    skipped "the rig's scripts: they install as root only"
elif [ ! -x "$BUILD/rig/qemu-aarch64/qemu-system-aarch64" ] ||
     ! "$TOP/scripts/rig/kernel.sh" --cached >/dev/null 2>&1 ||
     ! "$TOP/scripts/rig/kernel.sh" --l2 --cached >/dev/null 2>&1; then
    skipped "the rig's scripts: the rig was not built (its step failed or did not run)"
else
    # The stand-in must be able to fail: a command that runs a hidden tool
    # without installing it fails, and installing the versioned compiler
    # does not show the unversioned one.
    if PATH=$bin bash -c 'aarch64-linux-gnu-gcc --version' >/dev/null 2>&1; then
        bad "the cross compiler is not hidden"
    else
        ok "the cross compiler is hidden"
    fi
    out=$(PATH=$bin bash -c 'apt-get install -y -o DPkg::Lock::Timeout=600 gcc-12-aarch64-linux-gnu >/dev/null &&
          command -v aarch64-linux-gnu-gcc-12 && ! command -v aarch64-linux-gnu-gcc' 2>&1)
    if [ $? -eq 0 ]; then
        ok "the apt-get stand-in shows what the package installs, not more"
    else
        bad "the apt-get stand-in: $out"
    fi

    fresh "rig: cross-qemu.sh" gcc-aarch64-linux-gnu "$TOP/scripts/rig/cross-qemu.sh"
    fresh "rig: edu-irq.sh" gcc-12-aarch64-linux-gnu "$TOP/scripts/rig/edu-irq.sh"
    # The kernel is built and checked as L2 by now: nothing to build,
    # nothing to install.
    fresh "rig: kernel.sh (cached)" "" "$TOP/scripts/rig/kernel.sh"
    fresh "rig: kernel.sh --l2 (checked)" "" "$TOP/scripts/rig/kernel.sh" --l2
    fresh "rig: dtb.sh" device-tree-compiler "$TOP/scripts/rig/dtb.sh" "$tmp/virt.dtb" \
        -M virt,virtualization=on,gic-version=3,iommu=smmuv3 -cpu max -m 1G
    # (the cross compiler for L1's and L2's small programs: tcp-rr.c,
    # l2wait.c, uart-read.c)
    fresh "rig: mkinitramfs.sh" "binutils-aarch64-linux-gnu gcc-aarch64-linux-gnu" \
        "$TOP/scripts/rig/mkinitramfs.sh" "$("$TOP/scripts/rig/fetch.sh")" "$tmp/initramfs.gz"
fi

echo "fresh state: $pass passed, $fail failed, $skip skipped"
[ -n "${QIF_SUMMARY:-}" ] && echo "fresh-state $pass $fail $skip" >> "$QIF_SUMMARY"
[ $fail -eq 0 ]
