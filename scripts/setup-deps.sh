#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Install what building and testing the patched QEMU needs on Debian 12.
# Adds: deb-src for trixie (base source), bookworm-backports (meson >= 1.5).
# Idempotent: only touches apt when something is missing.
set -euo pipefail

SOURCES=/etc/apt/sources.list.d/qemu-irq-forward.sources
STAMP_PKGS=(
    build-essential git ccache ninja-build pkg-config flex bison
    python3 python3-venv python3-setuptools python3-wheel
    libglib2.0-dev libpixman-1-dev libfdt-dev zlib1g-dev libslirp-dev
    dpkg-dev devscripts quilt
    seabios ipxe-qemu qemu-efi-aarch64 qemu-system-data ovmf
    # Optional libraries the machine that recorded tests/baseline had, so
    # that configure finds the same features: without gnutls and libtasn1
    # the crypto and TLS unit tests are skipped or not built, and differ
    # from the baseline (seen on a minimal Debian 12 root, 2026-12-02).
    libgnutls28-dev libtasn1-6-dev nettle-dev libgmp-dev
    libbz2-dev libjpeg-dev libpng-dev libncurses-dev
)
BPO_PKGS=(meson python3-pycotap)

die() { echo "setup-deps: error: $*" >&2; exit 1; }

missing=()
for p in "${STAMP_PKGS[@]}" "${BPO_PKGS[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' \
        || missing+=("$p")
done
meson_ok=0
if command -v meson >/dev/null && \
   dpkg --compare-versions "$(meson --version 2>/dev/null)" ge 1.5; then
    meson_ok=1
fi
have_src=0
[ -f "$SOURCES" ] && have_src=1

if [ ${#missing[@]} -eq 0 ] && [ $meson_ok = 1 ] && [ $have_src = 1 ]; then
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    die "missing build dependencies: ${missing[*]:-apt sources} ${meson_ok/#1/}; " \
        "run 'sudo $0' (or 'sudo make deps') once, then re-run make"
fi

if [ $have_src = 0 ]; then
    echo "setup-deps: adding apt sources: deb-src trixie, bookworm-backports"
    cat > "$SOURCES" <<'SRC'
# Added by qemu-irq-forward scripts/setup-deps.sh
# trixie: source packages only (the QEMU 10.0 base); no binaries from it.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie trixie-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: trixie-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

# bookworm-backports: meson >= 1.5 and python3-pycotap for QEMU 10.0
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q || die "apt-get update failed"
apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends "${STAMP_PKGS[@]}" \
    || die "apt-get install failed: ${STAMP_PKGS[*]}"
apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends -t bookworm-backports "${BPO_PKGS[@]}" \
    || die "apt-get install from bookworm-backports failed: ${BPO_PKGS[*]}"
dpkg --compare-versions "$(meson --version)" ge 1.5 \
    || die "meson $(meson --version) < 1.5 after install"
echo "setup-deps: done (meson $(meson --version))"
