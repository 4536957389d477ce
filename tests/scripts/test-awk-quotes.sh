#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The rig's scripts hold awk programs in single quotes over many lines;
# an apostrophe in one of them (a comment's "UART's") ends the quote
# there, the shell still parses the file, and the program is garbage at
# run time (it once left every e2e boot without a run).  In each program
# that a line opens with "awk ... '", up to the line that closes it, no
# comment line may hold an apostrophe.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(python3 - "$top"/scripts/rig/*.sh "$top"/scripts/rig/l1-* "$top"/scripts/rig/l2-init \
        "$top"/scripts/*.sh <<'PY'
import re, sys
bad = []
for path in sys.argv[1:]:
    try:
        lines = open(path, errors='replace').read().split('\n')
    except (IsADirectoryError, FileNotFoundError):
        continue
    inside = None
    awk = False     # an awk command, its arguments going on past a "\"
    for n, line in enumerate(lines, 1):
        if inside is None:
            if line.lstrip().startswith('#'):
                continue
            awk = awk or re.search(r'\bawk\b', line) is not None
            if awk and line.count("'") % 2 == 1:
                inside = n
            awk = awk and line.rstrip().endswith('\\') and line.count("'") % 2 == 0
            continue
        if line.lstrip().startswith('#') and "'" in line:
            bad.append('%s:%d: an apostrophe in a comment of the awk program opened at line %d'
                       % (path.split('/scripts/', 1)[-1], n, inside))
        elif line.count("'") % 2 == 1:
            inside = None
    if inside is not None:
        bad.append('%s:%d: an awk program not closed' % (path, inside))
print('\n'.join(bad))
PY
)
rc=$?
if [ $rc -ne 0 ]; then
    echo "not ok - the awk quote check itself failed (exit $rc)"
elif [ -z "$out" ]; then
    echo "ok - no apostrophe inside the rig scripts' multi-line awk programs"
else
    echo "not ok - apostrophes inside awk programs: $(echo "$out" | tr '\n' ';')"
fi
