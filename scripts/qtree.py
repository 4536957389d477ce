#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Assemble the patched QEMU tree and move work between it and the repo.

The repo never holds QEMU source.  It holds:
  patches/series        the order of our commits; each line names a patch
                        file and the new files (paths under qemu/) that the
                        commit adds
  patches/*.patch       commit message + changes to upstream files
  qemu/<path>           new files we write, at their QEMU paths

build/src is a git repo: the base (tag qif-base), then one commit per
series line.  Commands:

  assemble  create or update build/src; cheap when only qemu/ changed
            (copies the changed files, so ninja rebuilds just those)
  export    write build/src's commits back to patches/ and qemu/; refuses
            when that could drop work
  series    format-patch the repo's series (not build/src's state) into
            build/series, from a scratch worktree
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATCHES = os.path.join(TOP, 'patches')
NEWFILES = os.path.join(TOP, 'qemu')
SERIES = os.path.join(PATCHES, 'series')
BASE_TAG = 'qif-base'
IDENT = ['-c', 'user.name=qemu-irq-forward build',
         '-c', 'user.email=build@qemu-irq-forward.invalid']


class Refuse(Exception):
    pass


def git(tree, *args, check=True, capture=True, env=None):
    r = subprocess.run(['git', '-C', tree] + IDENT + list(args),
                       stdout=subprocess.PIPE if capture else None,
                       stderr=subprocess.PIPE if capture else None,
                       text=True, check=False, env=env)
    if check and r.returncode != 0:
        raise Refuse('git %s failed in %s:\n%s' % (' '.join(args), tree,
                                                   (r.stderr or '').strip()))
    return r.stdout if capture else ''


def sha(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def read_series():
    """Return [(patch_file, [new files]), ...] from patches/series."""
    entries = []
    if not os.path.exists(SERIES):
        return entries
    with open(SERIES) as f:
        for n, line in enumerate(f, 1):
            line = line.split('#', 1)[0].split()
            if not line:
                continue
            patch, files = line[0], line[1:]
            if not os.path.exists(os.path.join(PATCHES, patch)):
                raise Refuse('patches/series:%d: %s does not exist' % (n, patch))
            for nf in files:
                if not os.path.isfile(os.path.join(NEWFILES, nf)):
                    raise Refuse('patches/series:%d: new file qemu/%s does not '
                                 'exist' % (n, nf))
            entries.append((patch, files))
    owned = [f for _, files in entries for f in files]
    dup = {f for f in owned if owned.count(f) > 1}
    if dup:
        raise Refuse('patches/series: new file(s) added by two commits: %s'
                     % ', '.join(sorted(dup)))
    ours = set()
    for root, _, names in os.walk(NEWFILES):
        for name in names:
            ours.add(os.path.relpath(os.path.join(root, name), NEWFILES))
    orphans = ours - set(owned)
    if orphans:
        raise Refuse('files under qemu/ not listed in patches/series (add each '
                     'to the line of the commit that introduces it): %s'
                     % ', '.join(sorted(orphans)))
    return entries


def patches_stamp(entries):
    h = hashlib.sha256()
    h.update(open(SERIES, 'rb').read() if os.path.exists(SERIES) else b'')
    for patch, _ in entries:
        h.update(open(os.path.join(PATCHES, patch), 'rb').read())
    return h.hexdigest()


def state_path(tree):
    return os.path.join(tree, '.git', 'qif-state.json')


def load_state(tree):
    try:
        with open(state_path(tree)) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def save_state(tree, st):
    with open(state_path(tree), 'w') as f:
        json.dump(st, f, indent=1, sort_keys=True)


def create_base(tree, base_src, label):
    """Copy the base source into a fresh git repo at tree, tag qif-base."""
    if os.path.exists(tree):
        shutil.rmtree(tree)
    os.makedirs(tree)
    # Debian's packaging dirs are not part of QEMU's tree.
    r = subprocess.run(['cp', '-a', base_src + '/.', tree])
    if r.returncode:
        raise Refuse('copying %s failed' % base_src)
    for d in ('debian', '.pc', '.git'):
        shutil.rmtree(os.path.join(tree, d), ignore_errors=True)
    git(tree, 'init', '-q', '-b', 'qif')
    git(tree, 'config', 'core.autocrlf', 'false')
    git(tree, 'config', 'gc.auto', '0')
    # QEMU's .gitignore hides files the base tarball ships; take them all.
    git(tree, 'add', '-A', '-f', '.')
    git(tree, 'commit', '-q', '--no-verify', '-m', 'QEMU base source (%s)' % label)
    git(tree, 'tag', BASE_TAG)


def apply_series(tree, entries):
    """On a tree reset to qif-base, make one commit per series entry."""
    synced = {}
    for patch, files in entries:
        pfile = os.path.join(PATCHES, patch)
        with tempfile.TemporaryDirectory() as td:
            msg, diff = os.path.join(td, 'msg'), os.path.join(td, 'diff')
            with open(pfile) as inp, open(os.path.join(td, 'info'), 'w') as out:
                r = subprocess.run(['git', 'mailinfo', '-b', msg, diff],
                                   stdin=inp, stdout=out, cwd=tree)
            if r.returncode:
                raise Refuse('%s: not a mail-format patch' % patch)
            info = dict(l.split(': ', 1) for l in
                        open(os.path.join(td, 'info')).read().splitlines()
                        if ': ' in l)
            if os.path.getsize(diff):
                r = subprocess.run(['git', 'apply', '--index', '--whitespace=nowarn',
                                    diff], cwd=tree, stderr=subprocess.PIPE,
                                   text=True)
                if r.returncode:
                    raise Refuse('patch %s does not apply to the base:\n%s\n'
                                 'Fix the patch (or the base version in '
                                 'scripts/qemu-version).' % (patch,
                                                             r.stderr.strip()))
            for nf in files:
                dst = os.path.join(tree, nf)
                if os.path.exists(dst) and not synced.get(nf):
                    raise Refuse('qemu/%s: the base already has this file; '
                                 'change it with a patch instead' % nf)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copy2(os.path.join(NEWFILES, nf), dst)
                synced[nf] = sha(dst)
                git(tree, 'add', '-f', nf)
            body = open(msg).read().strip()
            text = info.get('Subject', patch) + ('\n\n' + body if body else '')
            env = dict(os.environ)
            if 'Author' in info:
                env['GIT_AUTHOR_NAME'] = info['Author']
                env['GIT_AUTHOR_EMAIL'] = info.get('Email', '')
                env['GIT_AUTHOR_DATE'] = info.get('Date', '')
            git(tree, 'commit', '-q', '--no-verify', '--allow-empty', '-m', text,
                env=env)
    return synced


def dirty_upstream(tree, newfiles):
    """Uncommitted changes in tree outside our new files."""
    out = git(tree, 'status', '--porcelain', '--untracked-files=no')
    paths = [l[3:] for l in out.splitlines()]
    return [p for p in paths if p not in newfiles]


def locally_edited_newfiles(tree, st):
    """New files whose build/src copy differs from what we last put there."""
    edited = []
    for nf, h in st.get('synced', {}).items():
        p = os.path.join(tree, nf)
        if os.path.exists(p) and sha(p) != h:
            edited.append(nf)
    return edited


def cmd_assemble(args):
    tree = args.tree
    entries = read_series()
    stamp = patches_stamp(entries)
    base_id = args.base_id or args.base
    st = load_state(tree) if os.path.isdir(os.path.join(tree, '.git')) else None

    if st and st.get('base') == base_id and st.get('patches') == stamp:
        # Only qemu/ may have changed: copy what differs, keep mtimes of the rest.
        edited = locally_edited_newfiles(tree, st)
        if edited:
            raise Refuse('these files were edited in %s, not in qemu/; run '
                         '"make export" first so the edits are kept:\n  %s'
                         % (tree, '\n  '.join(edited)))
        changed = 0
        for _, files in entries:
            for nf in files:
                src, dst = os.path.join(NEWFILES, nf), os.path.join(tree, nf)
                if sha(src) != st['synced'].get(nf):
                    shutil.copy2(src, dst)
                    st['synced'][nf] = sha(dst)
                    changed += 1
        save_state(tree, st)
        if changed:
            print('assemble: synced %d changed file(s) from qemu/' % changed)
        return

    if st is not None:
        # About to rebuild our commits from patches/: make sure nothing the
        # developer did in build/src is lost.
        if not args.force:
            problems = []
            head = git(tree, 'rev-parse', 'HEAD').strip()
            if head != st.get('head'):
                problems.append('build/src has commits not exported to patches/')
            d = dirty_upstream(tree, st.get('synced', {}))
            if d:
                problems.append('build/src has uncommitted changes: '
                                + ', '.join(d[:8]))
            e = locally_edited_newfiles(tree, st)
            if e:
                problems.append('new files edited in build/src: ' + ', '.join(e))
            if problems:
                raise Refuse('patches/ or the base changed, and rebuilding '
                             'build/src would drop work:\n  - %s\nRun "make '
                             'export" (if patches/ also changed, merge by hand) '
                             'or FORCE=1 to discard.' % '\n  - '.join(problems))
    if st is None or st.get('base') != base_id:
        print('assemble: creating %s from %s' % (tree, args.base))
        create_base(tree, args.base, base_id)
    else:
        print('assemble: re-applying patches/series on %s' % BASE_TAG)
        git(tree, 'reset', '-q', '--hard', BASE_TAG)
        git(tree, 'clean', '-q', '-fdx', '-e', 'build/')
    # Until the series is in, build/src is the bare base: say so, so that a
    # failed apply is redone next time rather than taken for assembled.
    save_state(tree, {'base': base_id, 'patches': None, 'synced': {},
                      'head': git(tree, 'rev-parse', 'HEAD').strip()})
    synced = apply_series(tree, entries)
    save_state(tree, {'base': base_id, 'patches': stamp, 'synced': synced,
                      'head': git(tree, 'rev-parse', 'HEAD').strip()})
    print('assemble: %d commit(s) on top of %s' % (len(entries), BASE_TAG))


def slug(subject):
    s = re.sub(r'[^A-Za-z0-9]+', '-', subject).strip('-')
    return s[:52].rstrip('-')


def cmd_export(args):
    tree = args.tree
    st = load_state(tree)
    if st is None:
        raise Refuse('%s was not assembled by this tool' % tree)
    entries = read_series()
    if patches_stamp(entries) != st['patches'] and not args.force:
        raise Refuse('patches/ changed since build/src was assembled; export '
                     'would overwrite those changes.  Merge by hand or use '
                     'FORCE=1.')
    d = dirty_upstream(tree, st['synced'])
    if d:
        raise Refuse('build/src has uncommitted changes to upstream files; '
                     'commit them (e.g. git commit --fixup=<commit>, then '
                     'git rebase -i --autosquash %s) and run again:\n  %s'
                     % (BASE_TAG, '\n  '.join(d)))
    base_files = set(git(tree, 'ls-tree', '-r', '--name-only',
                         BASE_TAG).splitlines())
    commits = git(tree, 'rev-list', '--reverse', BASE_TAG + '..HEAD').split()

    # A new file edited in both places since the last sync cannot be merged.
    for nf, h in st['synced'].items():
        wt, ours = os.path.join(tree, nf), os.path.join(NEWFILES, nf)
        if (os.path.exists(wt) and os.path.exists(ours) and sha(wt) != h
                and sha(ours) != h and sha(wt) != sha(ours)):
            raise Refuse('qemu/%s and build/src/%s were both edited; merge '
                         'them by hand first' % (nf, nf))

    new_entries, owner, outputs = [], {}, {}
    for i, c in enumerate(commits, 1):
        changed = git(tree, 'diff-tree', '--no-commit-id', '-r', '--name-status',
                      c + '^', c).splitlines()
        upstream, added = [], []
        for l in changed:
            status, path = l.split('\t', 1)
            if path in base_files:
                upstream.append(path)
            elif path in owner:
                # qemu/ holds a new file's final content, added whole by
                # the commit that introduces it (sync leaves edits
                # uncommitted, so "git commit -a" can sweep them up).
                print('export: note: commit %s changes %s, which commit %d '
                      'adds; the change goes to commit %d' % (
                          c[:12], path, owner[path], owner[path]))
            elif status.startswith('D'):
                continue
            else:
                owner[path] = i
                added.append(path)
        subject = git(tree, 'log', '-1', '--format=%s', c).strip()
        if not upstream and not added:
            # Its whole change moved to earlier commits: what is left is an
            # empty patch, which "git am" refuses.  Nothing is written yet.
            raise Refuse('commit %s ("%s") only changes new files that '
                         'earlier commits add; squash it into the commit that '
                         'adds them (git commit --fixup, then git rebase -i '
                         '--autosquash %s) and run again'
                         % (c[:12], subject, BASE_TAG))
        name = '%04d-%s.patch' % (i, slug(subject))
        header = git(tree, 'log', '-1', '--format=From %H Mon Sep 17 00:00:00 '
                     '2001%nFrom: %an <%ae>%nDate: %aD%nSubject: [PATCH] %s%n%n%b',
                     c).rstrip('\n') + '\n'
        diff = ''
        if upstream:
            diff = git(tree, 'diff', '--binary', '--full-index', c + '^', c,
                       '--', *upstream)
        outputs[name] = header + '---\n' + (diff if diff else '')
        new_entries.append((name, added))

    # Write: new files first (from the tree's working copy = latest), then
    # patches, then the series; remove stale patch files last.
    all_new = [f for _, files in new_entries for f in files]
    # A new file no commit adds any more, edited in qemu/ since the last
    # sync: removing it would drop that edit.
    for old in set(st['synced']) - set(all_new):
        p = os.path.join(NEWFILES, old)
        if os.path.exists(p) and sha(p) != st['synced'][old]:
            raise Refuse('qemu/%s was edited, but no commit adds it any more; '
                         'move the edit to where the file went, or delete '
                         'it, and run again' % old)
    for nf in all_new:
        dst = os.path.join(NEWFILES, nf)
        # Edited in qemu/ only since the last sync: qemu/ is the newer
        # copy (the next assemble brings it into the tree).
        if (nf in st['synced'] and os.path.exists(dst)
                and sha(os.path.join(tree, nf)) == st['synced'][nf]
                and sha(dst) != st['synced'][nf]):
            print('export: kept qemu/%s, edited since the last assemble' % nf)
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(os.path.join(tree, nf), dst)
    for old in set(st['synced']) - set(all_new):
        p = os.path.join(NEWFILES, old)
        if os.path.exists(p):
            os.remove(p)
            print('export: removed qemu/%s (no longer added by any commit)' % old)
    os.makedirs(PATCHES, exist_ok=True)
    for name, text in outputs.items():
        with open(os.path.join(PATCHES, name), 'w') as f:
            f.write(text)
    width = max([len(n) for n, _ in new_entries] + [10])
    with open(SERIES, 'w') as f:
        f.write('# SPDX-License-Identifier: GPL-2.0-or-later\n'
                '# Our commits, in order: patch file, then the new files '
                '(under qemu/) it adds.\n'
                '# Written by "make export"; see README.md.\n')
        for name, files in new_entries:
            f.write(('%-*s %s' % (width, name, ' '.join(files))).rstrip() + '\n')
    for old in os.listdir(PATCHES):
        if old.endswith('.patch') and old not in outputs:
            os.remove(os.path.join(PATCHES, old))
    entries = read_series()
    st.update(patches=patches_stamp(entries),
              synced={nf: sha(os.path.join(tree, nf)) for nf in all_new},
              head=git(tree, 'rev-parse', 'HEAD').strip())
    save_state(tree, st)
    print('export: %d commit(s) -> patches/, %d new file(s) -> qemu/'
          % (len(commits), len(all_new)))


def cmd_series(args):
    """Assemble the repo's series in a scratch worktree and format-patch it."""
    tree, out = os.path.abspath(args.tree), os.path.abspath(args.out)
    entries = read_series()
    scratch = os.path.join(os.path.dirname(out), 'series-tree')
    git(tree, 'worktree', 'prune')
    if os.path.exists(scratch):
        git(tree, 'worktree', 'remove', '--force', scratch, check=False)
        shutil.rmtree(scratch, ignore_errors=True)
    git(tree, 'worktree', 'add', '-q', '--detach', scratch, BASE_TAG)
    apply_series(scratch, entries)
    shutil.rmtree(out, ignore_errors=True)
    if entries:
        git(scratch, 'format-patch', '-q', '--no-signature', '-o', out,
            BASE_TAG + '..HEAD')
    else:
        os.makedirs(out)
    print('series: %d patch(es) in %s' % (len(entries), out))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--tree', required=True)
    ap.add_argument('--force', action='store_true',
                    default=os.environ.get('FORCE') == '1')
    sub = ap.add_subparsers(dest='cmd', required=True)
    a = sub.add_parser('assemble')
    a.add_argument('--base', required=True, help='unpacked base source tree')
    a.add_argument('--base-id', help='names the base (default: its path)')
    sub.add_parser('export')
    s = sub.add_parser('series')
    s.add_argument('--out', required=True)
    args = ap.parse_args()
    try:
        {'assemble': cmd_assemble, 'export': cmd_export,
         'series': cmd_series}[args.cmd](args)
    except Refuse as e:
        print('%s: error: %s' % (args.cmd, e), file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
