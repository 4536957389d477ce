#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# CI on a fresh machine, made with Debian's tools: a new Debian 12 root
# (debootstrap, with only what a new build machine of ours comes with:
# build-essential, git, python3, perl and a few base tools), a fresh clone of COMMIT in it, and
# `CI=true bash .ci/run` run there as root with no stdin, with a /proc of
# its own and this machine's /sys and /dev (for /dev/kvm and mount
# namespaces).  Nothing
# of ours is installed or cached in that root, so every install step and
# cold build of `make check` runs.  Maintainers' tool, not in make check.
# Usage: scripts/fresh-ci.sh [COMMIT] (default HEAD); FRESH_DIR (default
# /srv/qif-fresh) holds the roots and logs (the root is removed after the
# run unless FRESH_KEEP=1).  Prints the result line, the time and the
# log's path; exits with .ci/run's status.
set -euo pipefail
. "$(dirname "$0")/common.sh"

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mounts)"
commit=$(git -C "$TOP" rev-parse --verify "${1:-HEAD}^{commit}")
base=${FRESH_DIR:-/srv/qif-fresh}
root=$base/root-${commit:0:7}-$(date +%s)
log=$root.log
need_tools debootstrap:debootstrap unshare:util-linux
mkdir -p "$base"
# A failed or interrupted setup leaves no root behind (the run's own
# mounts are in its namespace, gone with it).  --one-file-system: never
# into a mount that is still there.
cleanup() { [ -n "${FRESH_KEEP:-}" ] || rm -rf --one-file-system "$root"; }
trap cleanup EXIT
# What a new build machine of ours comes with (and nothing of ours).
pkgs=build-essential,git,python3,perl,ca-certificates,procps,xz-utils,file,kmod,util-linux
note "debootstrap bookworm into $root ($pkgs)"
debootstrap --include=$pkgs bookworm "$root" http://deb.debian.org/debian \
    > "$root.debootstrap.log" 2>&1 || die "debootstrap failed (log: $root.debootstrap.log)"
# The same apt sources as this machine (bookworm, -updates, -security).
rm -f "$root/etc/apt/sources.list"
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
elif [ -f /etc/apt/sources.list ]; then
    cp /etc/apt/sources.list "$root/etc/apt/"
else
    printf 'deb http://deb.debian.org/debian %s main\n' bookworm bookworm-updates \
        > "$root/etc/apt/sources.list"
    echo "deb http://deb.debian.org/debian-security bookworm-security main" \
        >> "$root/etc/apt/sources.list"
fi
cp /etc/resolv.conf "$root/etc/"
git clone -q "$TOP" "$root/root/ci"
git -C "$root/root/ci" checkout -q "$commit"

# In a mount and PID namespace of its own: its mounts (the root itself,
# this machine's /sys and /dev, for /dev/kvm and the tests' own mount
# namespaces, and a new /proc) and whatever it leaves running go when it ends, never
# touching this machine's.
note "running .ci/run on ${commit:0:12} in $root (log: $log)"
start=$(date +%s)
rc=0
# In the background, so that a signal to this script stops the run (and
# all in it, --kill-child) before the cleanup removes its root.
upid=
trap '[ -z "$upid" ] || { kill "$upid" 2>/dev/null; wait "$upid"; }; exit 130' INT TERM HUP
unshare --mount --propagation private --pid --fork --kill-child env ROOT="$root" bash -c '
    set -e
    # A mount point of its own, as / is on a machine: the tests make
    # their own mount namespaces, and changing the propagation of a /
    # that is not a mount point fails (EINVAL).
    mount --bind "$ROOT" "$ROOT"
    mount -t proc proc "$ROOT/proc"
    mount --rbind /sys "$ROOT/sys"
    mount --rbind /dev "$ROOT/dev"
    exec chroot "$ROOT" /usr/bin/env -i HOME=/root CI=true TERM=dumb LANG=C.UTF-8 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        bash -c "cd /root/ci && bash .ci/run"' < /dev/null > "$log" 2>&1 &
upid=$!
wait "$upid" || rc=$?
upid=
secs=$(( $(date +%s) - start ))
grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 || tail -3 "$log"
echo "fresh-machine CI of ${commit:0:12}: exit $rc in $((secs / 60)) min $((secs % 60)) s ($(date -u +%Y-%m-%d)); log: $log"
exit $rc    # the log stays (cleanup: the root too with FRESH_KEEP=1)
