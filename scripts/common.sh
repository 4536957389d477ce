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
