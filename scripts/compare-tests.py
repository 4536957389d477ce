#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Compare a meson testlog.json with the recorded upstream baseline.

Upstream tests (listed in the baseline) must give exactly their recorded
result.  Tests not in the baseline are ours and must pass (or skip).
Excluded tests (with a written reason) are ignored.

  compare-tests.py record TESTLOG BASELINE   write the baseline
  compare-tests.py check TESTLOG BASELINE EXCLUDED [--summary FILE]
                   [--differ FILE] [--retry RETRYLOG]

--differ writes the names of the tests that ran and differ, one a line
(meson's short form), so that they can be run again on their own.
--retry takes that second run's log: a test that differed in the first
run and matches in the retry passes, and is reported as flaky.
"""

import json
import sys


def load_log(path, outputs=None):
    results = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            t = json.loads(line)
            results[t['name']] = t['result']
            if outputs is not None:
                outputs[t['name']] = t.get('stdout') or ''
    return results


def tail(text, lines=12):
    return ''.join('      | ' + l + '\n'
                   for l in text.rstrip().splitlines()[-lines:])


def load_table(path):
    table = {}
    with open(path) as f:
        for line in f:
            if line.startswith('#') or not line.strip():
                continue
            name, value = line.rstrip('\n').split('\t', 1)
            table[name] = value
    return table


def record(log, baseline):
    results = load_log(log)
    with open(baseline, 'a') as f:
        for name in sorted(results):
            f.write('%s\t%s\n' % (name, results[name]))
    print('recorded %d tests' % len(results))


def check(log, baseline, excluded, summary=None, differ=None, retry=None):
    outputs = {}
    results = load_log(log, outputs)
    first = dict(results)
    if retry:
        results.update(load_log(retry, outputs))
    flaky = []
    rerun = []
    base = load_table(baseline)
    excl = load_table(excluded)
    bad = []
    counts = {'passed': 0, 'failed': 0, 'skipped': 0}

    for name, got in sorted(results.items()):
        if name in excl:
            counts['skipped'] += 1
            continue
        want = base.get(name)
        if want is None:
            ok = got in ('OK', 'SKIP')
            what = 'new test (ours) must pass'
        else:
            ok = got == want
            what = 'baseline says %s' % want
        if ok and first[name] != got:
            flaky.append('  %-60s %s, then %s on a serial retry (%s)'
                         % (name, first[name], got, what))
        if not ok:
            rerun.append(name)
            # The end of the test's output, so that a CI log alone tells why.
            bad.append('  %-60s %-8s (%s)\n%s' % (name, got, what,
                                                   tail(outputs[name])))
            counts['failed'] += 1
        elif got == 'SKIP':
            counts['skipped'] += 1
        else:
            counts['passed'] += 1
    counts['skipped'] += len(set(excl) - set(results))   # not run at all
    missing = sorted(set(base) - set(results) - set(excl))
    for name in missing:
        bad.append('  %-60s %-8s (baseline says %s)' % (name, 'MISSING',
                                                        base[name]))
        counts['failed'] += 1

    print('upstream suites: %d tests compared with %s, %d excluded'
          % (len(results), baseline, len(excl)))
    if flaky:
        print('FLAKY (differed under parallel load, matched when run alone):')
        print('\n'.join(flaky))
    if differ:
        with open(differ, 'w') as f:
            f.writelines(n.split(' / ', 1)[-1] + '\n' for n in rerun)
    if bad:
        print('RESULTS DIFFER FROM THE BASELINE:')
        print('\n'.join(bad))
    if summary:
        with open(summary, 'w') as f:
            f.write('%(passed)d %(failed)d %(skipped)d\n' % counts)
    return 1 if bad else 0


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == 'record':
        record(sys.argv[2], sys.argv[3])
        return 0
    if len(sys.argv) >= 5 and sys.argv[1] == 'check':
        opts = dict(zip(sys.argv[5::2], sys.argv[6::2]))
        unknown = set(opts) - {'--summary', '--differ', '--retry'}
        if unknown or len(sys.argv[5:]) % 2:
            print(__doc__, file=sys.stderr)
            return 2
        return check(sys.argv[2], sys.argv[3], sys.argv[4],
                     opts.get('--summary'), opts.get('--differ'),
                     opts.get('--retry'))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main())
