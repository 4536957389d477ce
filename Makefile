# SPDX-License-Identifier: GPL-2.0-or-later
#
# kvm-vfio IRQ forwarding for QEMU: build and test entry points.
#   make              set up, fetch + assemble the source, build, smoke-run
#   make check        our tests + QEMU's unit/qtest suites against the baseline
#                     + a short end-to-end run in the emulated arm64 rig
#   make check-full   make check + the long runs (full e2e, stress, bench,
#                     off-compare, bisect, sanitizers)
# See README.md for the rest.

SHELL := /bin/bash
S := scripts

.PHONY: all deps assemble build smoke check check-full check-upstream check-series \
	series export baseline check-bisect check-kernel-bisect check-sanitizers \
	rig e2e bench off-compare \
	kernel-tree kernel-export clean distclean help

all: build smoke

deps:
	@$(S)/setup-deps.sh

assemble: deps
	@$(S)/assemble.sh

build: assemble
	@$(S)/build.sh

smoke: build
	@$(S)/smoke.sh

# Bring edits made in build/src (committed there) back into patches/ + qemu/.
export:
	@python3 $(S)/qtree.py --tree build/src export

series: assemble
	@python3 $(S)/qtree.py --tree build/src series --out build/series

check-series: series
	@$(S)/check-series.sh

# Build every commit of the series (slow the first time; not in "make check").
check-bisect: assemble
	@$(S)/check-bisect.sh

# Our unit tests and qtests under ASan + UBSan (not in "make check").
check-sanitizers: assemble
	@$(S)/check-sanitizers.sh

# Build the reference kernel series patch by patch (not in "make check").
check-kernel-bisect:
	@$(S)/check-kernel-bisect.sh

# Boot the emulated arm64 host (L1: KVM + VFIO under TCG; RIG_ARCH=x86:
# the x86 one); see README.
rig: build
	@if [ "$${RIG_ARCH:-}" = x86 ]; then $(S)/rig/boot.sh; \
	else $(S)/rig/cross-qemu.sh && $(S)/rig/edu-irq.sh && $(S)/rig/boot.sh; fi

# End-to-end interrupt runs in the rigs, every mode, GICv3 + v2 and x86.
e2e: build
	@$(S)/rig/e2e.sh

# Every interrupt path side by side, forwarded included (our L1 kernel).
bench: build
	@$(S)/rig/bench.sh

# x-forward=off against upstream's QEMU, ioctl for ioctl, in the rig
# (docs/rig-off-compare.md; in make check-full).
off-compare: build
	@$(S)/rig/off-compare.sh

# The reference kernel series as a git tree (build/kernel/src), and back.
kernel-tree:
	@$(S)/kernel-tree.sh assemble

kernel-export:
	@$(S)/kernel-tree.sh export

check-upstream: build
	@$(S)/check-upstream.sh

check: build smoke
	@$(S)/check-all.sh

# make check plus the long runs (full e2e, lifecycle stress, bench, bisect
# builds); run before resolving an issue, outside CI's budget.
check-full: build smoke
	@QIF_CHECK_FULL=1 $(S)/check-all.sh

# Record tests/baseline/ from the unpatched base (maintainers only).
baseline: assemble
	@$(S)/record-baseline.sh

clean:
	rm -rf build/qemu build/series build/series-tree build/bisect
	-git -C build/src worktree prune 2>/dev/null

distclean:
	rm -rf build

help:
	@sed -n '3,9p' Makefile
