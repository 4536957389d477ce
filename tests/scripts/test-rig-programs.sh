#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The rig's small programs, built for this host: scripts/rig/l2wait.c,
# L1 waiting for its L2 without polling, finds a marker only at a line's
# start, also when the line comes in pieces, and gives up when the
# process it waits on ends or its time is up; scripts/rig/tcp-rr.c
# answers every request, one at a time, and says how many.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
ok() { echo "ok - $*"; }
bad() { echo "not ok - $*"; }
for p in l2wait tcp-rr; do
    if ! gcc -O2 -Wall -Wextra -Werror "$top/scripts/rig/$p.c" -o "$tmp/$p" 2> "$tmp/cc"; then
        bad "$p does not build: $(head -3 "$tmp/cc" | tr '\n' ' ')"
        exit 0
    fi
done
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
port=$((20000 + RANDOM % 20000))
"$tmp/tcp-rr" server $port &
sleep 0.3
out=$("$tmp/tcp-rr" client 127.0.0.1 $port 2000 0)
rc=$?
out2=$("$tmp/tcp-rr" client 127.0.0.1 $port 10 0)
if [ $rc -eq 0 ] && [[ $out == "E2E-RR n=2000 us="* ]] && [[ $out2 == "E2E-RR n=10 us="* ]]; then
    ok "tcp-rr: 2000 requests answered, then a second connection's 10 ($out)"
else
    bad "tcp-rr: '$out' (exit $rc), then '$out2'"
fi
out=$("$tmp/tcp-rr" client 127.0.0.1 $((port + 1)) 10 0)
if [ $? -ne 0 ] && [[ $out == "E2E-RR failed:"* ]]; then
    ok "tcp-rr: no server is a failure, said"
else
    bad "tcp-rr: no server: '$out'"
fi
