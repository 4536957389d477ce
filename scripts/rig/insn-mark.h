/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The markers of L0's instruction counter (scripts/rig/insn-window.c),
 * for the rig's L2 programs: HINT #120 opens a window, HINT #121 with
 * x0 = TAG closes it.  NOPs to the CPU.  TAG 0: no markers.
 */
#ifndef RIG_INSN_MARK_H
#define RIG_INSN_MARK_H

static inline void insn_mark(int open, unsigned long tag)
{
#ifdef __aarch64__
    register unsigned long x0 asm("x0") = tag;

    if (!tag) {
        return;
    }
    if (open) {
        asm volatile("hint #120" : : : "memory");
    } else {
        asm volatile("hint #121" : : "r" (x0) : "memory");
    }
#else
    (void)open;
    (void)tag;
#endif
}

#endif
