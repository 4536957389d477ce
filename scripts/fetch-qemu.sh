#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fetch Debian trixie's QEMU 10.0.x source package and unpack it with
# dpkg-source -x (which applies Debian's patches).  Prints the path of
# the unpacked tree.  Cached in $QIF_CACHE, keyed by version.
set -euo pipefail
. "$(dirname "$0")/common.sh"

want=$QEMU_DEB_VERSION
avail=$(apt-cache showsrc qemu 2>/dev/null | sed -n 's/^Version: //p' | sort -u)
[ -n "$avail" ] || die "no 'qemu' source package known to apt; run scripts/setup-deps.sh (adds deb-src trixie)"

ver=$want
if ! grep -qxF "$want" <<<"$avail"; then
    ver=$(grep -E '^1:10\.0\.' <<<"$avail" | sort -V | tail -n1 || true)
    [ -n "$ver" ] || die "pinned qemu $want left the archive and no trixie 10.0.x is available (have: $(echo $avail))"
    echo "############################################################" >&2
    note "NOTICE: pinned qemu $want is no longer in the archive;"
    note "NOTICE: using the newest trixie 10.0.x instead: $ver"
    note "NOTICE: update scripts/qemu-version and re-record tests/baseline"
    echo "############################################################" >&2
fi

uver=${ver#*:}                  # strip epoch
dir=$QIF_CACHE/qemu-$uver
if [ -f "$dir/.unpacked" ]; then
    echo "$dir/src"
    exit 0
fi

rm -rf "$dir"
mkdir -p "$dir/dl"
note "downloading qemu $ver source from the Debian archive"
(cd "$dir/dl" && apt-get source --download-only -q "qemu=$ver" >&2) \
    || die "apt-get source qemu=$ver failed"
dsc=$(ls "$dir"/dl/qemu_*.dsc)
note "unpacking with dpkg-source -x (applies Debian's patches)"
dpkg-source --no-check -x "$dsc" "$dir/src" >&2 || die "dpkg-source -x $dsc failed"
echo "$ver" > "$dir/.version"
touch "$dir/.unpacked"
echo "$dir/src"
