#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# scripts/rig/l2wait.c, the rig's L1 waiting for its L2 without polling,
# built for this host: it finds a marker only at a line's start, also
# when the line comes in pieces, and gives up when the process it waits
# on ends or its time is up.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
ok() { echo "ok - $*"; }
bad() { echo "not ok - $*"; }
if ! gcc -O2 -Wall -Wextra -Werror "$top/scripts/rig/l2wait.c" -o "$tmp/l2wait" 2> "$tmp/cc"; then
    bad "l2wait does not build: $(head -3 "$tmp/cc" | tr '\n' ' ')"
    exit 0
fi
log=$tmp/l2.log
sleep 60 &
pid=$!
{ sleep 0.3; echo "E2E-READY" >> "$log"; sleep 0.3; printf 'x E2E-RAN\nE2E-R' >> "$log"
  sleep 0.3; echo "AN" >> "$log"; } &
start=$(date +%s%N)
"$tmp/l2wait" "$log" E2E-RAN 10 $pid
rc=$? ms=$(( ($(date +%s%N) - start) / 1000000 ))
if [ $rc -eq 0 ] && [ $ms -ge 800 ] && [ $ms -lt 5000 ]; then
    ok "l2wait: the marker at a line's start, in two pieces, not elsewhere ($ms ms)"
else
    bad "l2wait: marker wait: exit $rc after $ms ms"
fi
(sleep 0.5; kill $pid) &
start=$(date +%s%N)
"$tmp/l2wait" "$log" NEVER 10 $pid
rc=$? ms=$(( ($(date +%s%N) - start) / 1000000 ))
if [ $rc -eq 1 ] && [ $ms -lt 5000 ]; then
    ok "l2wait: gives up when the process ends ($ms ms)"
else
    bad "l2wait: process end: exit $rc after $ms ms"
fi
sleep 60 &
start=$(date +%s%N)
"$tmp/l2wait" "$log" NEVER 1 $!
rc=$? ms=$(( ($(date +%s%N) - start) / 1000000 ))
if [ $rc -eq 1 ] && [ $ms -ge 900 ] && [ $ms -lt 5000 ]; then
    ok "l2wait: gives up when its time is up ($ms ms)"
else
    bad "l2wait: timeout: exit $rc after $ms ms"
fi
