#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Join a rig boot's instruction counts to its runs.

Usage: insn-report.py CONSOLE_LOG INSN_LOG

CONSOLE_LOG is L1's console (scripts/rig/l1-e2e's "E2E:" lines, each run
with mark=T under rig.insn=1); INSN_LOG is L0's log of the insn-window
plugin (scripts/rig/insn-window.c), one "insn-window: tag=T insns=N
el0=.. el1=.. el2=.. el3=.." line per marked run.  Prints each marked
run's "E2E:" line with the instructions per delivered interrupt added
(a UART run's per interrupt L2 took, irqs=: it delivers bytes):
insns= (all of L0's vCPUs), el2= (L1's kernel and KVM: L1 runs with
VHE), el1= (L2's kernel), el0= (user space: L1's QEMU, L2's init).

Fails (exit 1, saying why) if a marked run has no window or more than
one, two runs have one mark, a window belongs to no run, or the plugin
reported a marker out of order: a count that cannot be matched to its
run is no count.
"""
import re
import sys

E2E = re.compile(r'^E2E: (ok|FAIL) .* mark=(\d+)\b')
WINDOW = re.compile(r'^insn-window: tag=(\d+) insns=(\d+)'
                    r'(?: el0=(\d+) el1=(\d+) el2=(\d+) el3=(\d+)'
                    r' elx=(\d+))?$')


def field(line, key):
    m = re.search(r' %s=(\d+)' % key, line)
    return int(m.group(1)) if m else None


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2])
    errors = []
    windows = {}
    with open(argv[2], errors='replace') as f:
        for raw in f:
            line = raw.strip()
            if not line.startswith('insn-window:'):
                continue
            m = WINDOW.match(line)
            if not m:
                errors.append('the plugin: ' + line)
                continue
            windows.setdefault(int(m.group(1)), []).append(
                [int(g) if g is not None else None for g in m.groups()[1:]])
    runs = []
    with open(argv[1], errors='replace') as f:
        for raw in f:
            line = raw.replace('\r', '').rstrip('\n')
            m = E2E.match(line)
            if m:
                runs.append((int(m.group(2)), line))
    if not runs:
        errors.append('no marked run in ' + argv[1])
    seen = set()
    for tag, line in runs:
        got = windows.get(tag, [])
        if tag in seen:
            errors.append('two runs marked %d: %s' % (tag, line[:120]))
            continue
        seen.add(tag)
        if len(got) != 1:
            errors.append('run mark=%d has %d windows, not 1: %s'
                          % (tag, len(got), line[:120]))
            continue
        insns, el0, el1, el2, _, _ = got[0]
        d = field(line, 'irqs')
        d = field(line, 'delivered') if d is None else d
        d = d or 0
        if d == 0:
            errors.append('run mark=%d delivered nothing' % tag)
            continue
        out = '%s insns=%d' % (line.split(' state=')[0], round(insns / d))
        if el0 is not None:
            out += ' el2=%d el1=%d el0=%d' % (round(el2 / d), round(el1 / d),
                                             round(el0 / d))
        print(out)
    for tag in sorted(set(windows) - seen):
        errors.append('window tag=%d belongs to no run' % tag)
    for e in errors:
        print('insn-report: ' + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
