#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make off-compare: compare the ioctls upstream's QEMU and ours with
# x-forward=off made in the rig (the "OFFCMP: KIND WHICH PID CALL" lines
# of an L1 console log, scripts/rig/l1-e2e) and check their differences
# against the recorded, explained ones (docs/rig-off-compare.md).
#
# Usage: off-compare.py LOG OUTDIR EXPECTED [--record] [--skip KIND]...
#   writes OUTDIR/KIND-{upstream,ours}.txt (normalised) and
#   OUTDIR/differences.txt; exits 1 if the differences are not EXPECTED
#   (--record: write them to EXPECTED instead).  --skip KIND: a run that
#   cannot be compared there (it is neither required nor compared).

import difflib
import re
import sys

HEADER = ('# SPDX-License-Identifier: GPL-2.0-or-later\n'
          '# make off-compare: the recorded differences, explained in\n'
          '# docs/rig-off-compare.md (scripts/rig/off-compare.py)\n')
# One boot runs them all: the PL031's SPI, then edu's INTx and MSI; on
# x86 also edu's INTx with L2's IOAPIC in QEMU and the NVMe controller's
# MSI-X.
KINDS = ('spi', 'intx', 'msi', 'intx-split', 'msix')
CALL = re.compile(r'^OFFCMP: (\S+) (upstream|ours) +\d+ +(.*)$')
FD = re.compile(r'\b\d+<([^>]*)>')
# Pointers and addresses: run to run they differ, and say nothing.
ADDR = re.compile(r'0x[0-9a-f]{8,}')
# strace pads a call to a column before its result, or not, by its length
PAD = re.compile(r'\) +=( \S+)$')


def normalise(call):
    call = FD.sub(r'<\1>', call)
    call = PAD.sub(r') =\1', call)
    return ADDR.sub('0xADDR', call)


def load(log):
    calls = {}
    with open(log, errors='replace') as f:
        for line in f:
            m = CALL.match(line.rstrip('\r\n'))
            if m:
                kind, which, call = m.groups()
                calls.setdefault(kind, {'upstream': [], 'ours': []})
                calls[kind][which].append(normalise(call))
    return calls


def differences(kind, up, ours):
    """The changed lines, in order, with 2 lines of context: no line
    numbers, so that a difference elsewhere does not shift them."""
    out = []
    for group in difflib.SequenceMatcher(None, up, ours,
                                         autojunk=False).get_grouped_opcodes(2):
        out.append('@@ %s\n' % kind)
        for tag, i1, i2, j1, j2 in group:
            if tag == 'equal':
                out += [' %s\n' % c for c in up[i1:i2]]
            if tag in ('replace', 'delete'):
                out += ['-%s\n' % c for c in up[i1:i2]]
            if tag in ('replace', 'insert'):
                out += ['+%s\n' % c for c in ours[j1:j2]]
    return out


def main():
    log, outdir, expected = sys.argv[1:4]
    opts = sys.argv[4:]
    record = '--record' in opts
    skip = {opts[i + 1] for i, o in enumerate(opts[:-1]) if o == '--skip'}
    calls = {k: v for k, v in load(log).items() if k not in skip}
    missing = sorted(set(KINDS) - skip - set(calls))
    if missing:
        print('off-compare: no OFFCMP lines for %s in %s'
              % (', '.join(missing), log))
        return 1
    diff = []
    for kind in sorted(calls):
        up, ours = calls[kind]['upstream'], calls[kind]['ours']
        for which, lines in (('upstream', up), ('ours', ours)):
            with open('%s/%s-%s.txt' % (outdir, kind, which), 'w') as f:
                f.writelines(c + '\n' for c in lines)
        d = differences(kind, up, ours)
        changed = sum(1 for line in d if line[0] in '+-')
        print('off-compare: %s: upstream %d ioctls, ours %d, %d line(s) differ'
              % (kind, len(up), len(ours), changed))
        if not up or not ours:
            print('off-compare: %s: a QEMU made no ioctl at all' % kind)
            return 1
        diff += d
    with open('%s/differences.txt' % outdir, 'w') as f:
        f.writelines(diff)
    if record:
        with open(expected, 'w') as f:
            f.write(HEADER)
            f.writelines(diff)
        print('off-compare: recorded %d line(s) in %s' % (len(diff), expected))
        return 0
    try:
        with open(expected) as f:
            want = [line for line in f if not line.startswith('#')]
    except FileNotFoundError:
        want = None
    if want == diff:
        print('off-compare: the differences are the recorded ones (%s)'
              % expected)
        return 0
    if want is None:
        print('off-compare: %s is missing' % expected)
    else:
        print('off-compare: the differences are not the recorded ones:')
        sys.stdout.writelines(difflib.unified_diff(
            want, diff, 'recorded', 'this run', n=1))
    print('off-compare: review %s/differences.txt, explain it in '
          'docs/rig-off-compare.md and record it (OFFCMP_RECORD=1)' % outdir)
    return 1


if __name__ == '__main__':
    sys.exit(main())
