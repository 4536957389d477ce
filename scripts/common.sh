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
