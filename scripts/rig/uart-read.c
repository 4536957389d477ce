// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * uart-read: the rig's L2 side of a UART run (scripts/rig/l2-init).
 * Reads BYTES from the tty DEV in raw mode, as fast as L2's PL011 driver
 * hands them over, and prints "E2E-UART bytes=B us=T irqs=I" (what it
 * read, in how long, and the interrupts of the UART's IRQ meanwhile), or
 * "E2E-UART stalled ..." when nothing came for 10 s.  The IRQ is counted
 * here, with the tty open: the driver frees it at the close.  With TAG >
 * 0 the reads are between the markers of L0's instruction counter (HINT
 * #120, HINT #121 with x0 = TAG; scripts/rig/insn-window.c).
 *
 * Usage: uart-read DEV BYTES TAG IRQ
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "insn-mark.h"

/* IRQ's interrupts on all CPUs, from /proc/interrupts; -1 if not there */
static long long irq_count(int irq)
{
    char line[1024];
    long long sum = -1;
    FILE *f = fopen("/proc/interrupts", "r");

    while (f && fgets(line, sizeof(line), f)) {
        char *p = line, *end;

        if (strtol(p, &end, 10) != irq || *end != ':') {
            continue;
        }
        sum = 0;
        for (p = end + 1;; p = end) {
            long long v = strtoll(p, &end, 10);

            if (end == p) {
                break;
            }
            sum += v;
        }
        break;
    }
    if (f) {
        fclose(f);
    }
    return sum;
}

static long long now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
    static char buf[4096];
    struct termios t;
    long long want, got = 0, start, irqs;
    unsigned long tag;
    int fd, irq;

    if (argc != 5) {
        fprintf(stderr, "usage: uart-read DEV BYTES TAG IRQ\n");
        return 2;
    }
    want = atoll(argv[2]);
    tag = strtoul(argv[3], NULL, 0);
    irq = atoi(argv[4]);
    fd = open(argv[1], O_RDONLY | O_NOCTTY);
    if (fd < 0 || tcgetattr(fd, &t)) {
        printf("E2E-UART failed: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    cfmakeraw(&t);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(fd, TCSANOW, &t) || tcflush(fd, TCIFLUSH)) {
        printf("E2E-UART failed: %s: raw mode: %s\n", argv[1], strerror(errno));
        return 1;
    }
    irqs = irq_count(irq);
    if (irqs < 0) {
        printf("E2E-UART failed: no IRQ %d in /proc/interrupts\n", irq);
        return 1;
    }
    start = now_us();
    insn_mark(1, tag);
    while (got < want) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;

        if (poll(&p, 1, 10000) <= 0) {
            break;
        }
        n = read(fd, buf, want - got < (long long)sizeof(buf) ?
                          (size_t)(want - got) : sizeof(buf));
        if (n <= 0) {
            break;
        }
        got += n;
    }
    insn_mark(0, tag);
    start = now_us() - start;
    printf("E2E-UART %sbytes=%lld us=%lld irqs=%lld\n",
           got < want ? "stalled " : "", got, start, irq_count(irq) - irqs);
    return got < want;
}
