#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The edit loop must never drop work silently: exercise scripts/qtree.py
# on a tiny fake base tree (no QEMU needed).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export GIT_CONFIG_GLOBAL=/dev/null GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t \
       GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t

ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else nok "$what"; fi; }
refuses() {     # refuses WHAT PATTERN CMD...: CMD fails and says PATTERN
    local what=$1 pat=$2 out; shift 2
    if out=$("$@" 2>&1); then nok "$what (succeeded)"; return; fi
    if grep -q "$pat" <<<"$out"; then ok "$what"; else nok "$what: no '$pat' in: $out"; fi
}

P=$T/proj
mkdir -p "$P/scripts" "$P/patches" "$P/qemu/hw" "$T/base/hw"
cp "$TOP/scripts/qtree.py" "$P/scripts/"
printf 'a\nb\nc\n' > "$T/base/hw/up.c"
printf 'x\n' > "$T/base/README"
printf 'new\n' > "$P/qemu/hw/new.c"
cat > "$P/patches/0001-hw-change-up.patch" <<'PATCH'
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Dev <dev@example.org>
Date: Mon, 1 Jan 2024 00:00:00 +0000
Subject: [PATCH] hw: change up

Body text.

Signed-off-by: Dev <dev@example.org>
---
diff --git a/hw/up.c b/hw/up.c
--- a/hw/up.c
+++ b/hw/up.c
@@ -1,3 +1,3 @@
 a
-b
+B
 c
PATCH
printf '0001-hw-change-up.patch hw/new.c\n' > "$P/patches/series"
Q() { python3 "$P/scripts/qtree.py" --tree "$T/src" "$@"; }
A() { Q assemble --base "$T/base" --base-id fake; }

check "assemble creates base + series commit" A
check "commit carries patch and new file" \
    bash -c "grep -q B '$T/src/hw/up.c' && grep -q new '$T/src/hw/new.c' && \
             [ \$(git -C '$T/src' rev-list --count qif-base..HEAD) = 1 ] && \
             git -C '$T/src' log -1 --format=%B | grep -q 'Signed-off-by: Dev'"

touch -d '2000-01-01' "$T/src/hw/up.c"
printf 'new2\n' > "$P/qemu/hw/new.c"
A >/dev/null
check "editing qemu/ syncs only that file" \
    bash -c "grep -q new2 '$T/src/hw/new.c' && [ \$(stat -c %Y '$T/src/hw/up.c') -lt 1000000000 ]"

printf 'edited\n' >> "$T/src/hw/up.c"
refuses "export refuses uncommitted upstream edits" "uncommitted changes" Q export

git -C "$T/src" commit -qam 'hw: more' 
check "export writes the new commit as a patch" \
    bash -c "python3 '$P/scripts/qtree.py' --tree '$T/src' export && \
             ls '$P/patches' | grep -q '^0002-hw-more.patch' && \
             grep -q '^0002-hw-more.patch *$' '$P/patches/series'"
check "new file content came back to qemu/" grep -q new2 "$P/qemu/hw/new.c"
check "a later commit's change to a new file stays with its owner" \
    bash -c "! grep -q new.c '$P/patches/0002-hw-more.patch' && grep -q '^0001-hw-change-up.patch *hw/new.c' '$P/patches/series'"

# An unexported commit, then patches/ changes underneath (e.g. git pull).
printf 'more\n' >> "$T/src/hw/up.c"; git -C "$T/src" commit -qam 'hw: third'
printf '\n' >> "$P/patches/series"
refuses "assemble refuses to drop unexported commits" "would drop work" A
refuses "export refuses to overwrite changed patches/" "patches/ changed" Q export
FORCE=1 A >/dev/null
check "FORCE=1 rebuilds from patches/" \
    bash -c "[ \$(git -C '$T/src' rev-list --count qif-base..HEAD) = 2 ]"

printf 'tree-edit\n' > "$T/src/hw/new.c"
printf 'repo-edit\n' > "$P/qemu/hw/new.c"
refuses "export refuses a new file edited in both places" "both edited" Q export
refuses "assemble refuses to overwrite a new file edited in build/src" "edited in" A
printf 'new2\n' > "$T/src/hw/new.c"

printf 'orphan\n' > "$P/qemu/hw/orphan.c"
refuses "a file under qemu/ missing from the series is refused" "not listed" A
rm "$P/qemu/hw/orphan.c"

sed -i 's/^-b$/-zzz/' "$P/patches/0001-hw-change-up.patch"
refuses "a patch that does not apply is named" "0001-hw-change-up.patch does not apply" \
    env FORCE=1 python3 "$P/scripts/qtree.py" --tree "$T/src" assemble --base "$T/base" --base-id fake
sed -i 's/^-zzz$/-b/' "$P/patches/0001-hw-change-up.patch"
# The failed apply left the bare base: the next assemble must redo it.
A >/dev/null
check "after a failed apply, assemble applies the series again" \
    bash -c "[ \$(git -C '$T/src' rev-list --count qif-base..HEAD) = 2 ]"

FORCE=1 A >/dev/null
check "series exports and applies with git am to the base" \
    bash -c "python3 '$P/scripts/qtree.py' --tree '$T/src' series --out '$T/series' && \
             git -C '$T/src' worktree add -q --detach '$T/am' qif-base && \
             git -C '$T/am' am -q '$T'/series/*.patch && \
             diff -r -x .git '$T/am' '$T/series-tree' && grep -q repo-edit '$T/am/hw/new.c'"

# A commit whose whole change belongs to an earlier commit's new file
# would export as an empty patch, which git am refuses.
printf 'only-new\n' >> "$T/src/hw/new.c"
git -C "$T/src" commit -qam 'hw: only the new file'
refuses "export refuses a commit that only changes another commit's new file" \
    "only changes new files" Q export

# A new file edited in qemu/ only (not yet assembled): export keeps the
# edit, and the next assemble brings it into the tree.  (Export once
# copied the tree's older copy over it.)
rm -rf "$T/src"
A >/dev/null
printf 'repo-only\n' > "$P/qemu/hw/new.c"
Q export >/dev/null
check "export keeps a new file edited only in qemu/" grep -qx repo-only "$P/qemu/hw/new.c"
A >/dev/null
check "the next assemble syncs that edit" grep -qx repo-only "$T/src/hw/new.c"

# A new file that no commit adds any more (renamed in the tree), edited
# in qemu/ meanwhile: export refuses rather than delete the edit.
first=$(git -C "$T/src" rev-list --reverse qif-base..HEAD | head -1)
git -C "$T/src" mv hw/new.c hw/renamed.c
git -C "$T/src" commit -qa --fixup="$first"
GIT_SEQUENCE_EDITOR=true git -C "$T/src" rebase -q -i --autosquash qif-base
printf 'edit-of-old\n' > "$P/qemu/hw/new.c"
refuses "export refuses to remove a new file edited in qemu/" "no commit adds it" Q export
check "the edit is still there" grep -qx edit-of-old "$P/qemu/hw/new.c"
