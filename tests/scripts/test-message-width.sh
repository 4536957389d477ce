#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# check-series.sh's commit message width check (wide_message_lines).
set -uo pipefail
. "$(dirname "$0")/../../scripts/common.sh"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

patch() {   # patch FILE BODY-LINE: a format-patch file with that body line
    printf 'From 0 Mon Sep 17 00:00:00 2001\nFrom: A <a@b>\nDate: x\nSubject: [PATCH] a: b that is a long subject, which may be wider than the body lines are\n\n%s\n\nSigned-off-by: Somebody With A Rather Long Name <somebody.with.a.long.address@example.invalid>\n---\n+%s\n' \
        "$2" "$(printf 'x %.0s' {1..60})" > "$1"
}
check() {   # check NAME WANT(0: none wide, 1: one wide) BODY-LINE
    patch "$t/p" "$3"
    n=$(wide_message_lines "$t/p" | grep -c . || true)
    if [ "$n" = "$2" ]; then echo "ok - $1"; else echo "not ok - $1 ($n wide line(s))"; fi
}
check "a 75-column body line passes" 0 "$(printf '%075d' 0 | sed 's/0/a /g' | cut -c1-75)"
check "a 76-column body line is told" 1 "$(printf '%076d' 0 | sed 's/0/a /g' | cut -c1-76)"
check "a wide URL or path (no space) passes" 0 "https://example.invalid/$(printf '%080d' 0)"
check "a wide tag line passes" 0 "Link: https://example.invalid/a b $(printf '%080d' 0)"
check "the subject and the diff do not count" 0 "short"
