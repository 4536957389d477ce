// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * l2wait: the rig's L1 waits for its L2 without polling (scripts/rig/l1-e2e).
 * Blocks until a line of FILE starts with MARKER (exit 0), or process
 * PID ends or SECONDS pass (exit 1), woken by inotify and a pidfd.  A
 * polling loop's processes would run all through the run they wait for,
 * and L0's instruction counts of that run (scripts/rig/insn-window.c)
 * would grow with its time, not with its interrupts.
 *
 * Usage: l2wait FILE MARKER SECONDS PID
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Whether FILE has a line starting with MARKER, reading on from *pos */
static int seen(const char *file, const char *marker, off_t *pos, int *bol,
                size_t *matched)
{
    char buf[4096];
    size_t len = strlen(marker);
    ssize_t n;
    int fd = open(file, O_RDONLY);

    if (fd < 0) {
        return 0;
    }
    while ((n = pread(fd, buf, sizeof(buf), *pos)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            char c = buf[i];

            if (*bol && *matched < len && c == marker[*matched]) {
                if (++*matched == len) {
                    close(fd);
                    return 1;
                }
                continue;
            }
            *bol = c == '\n';
            *matched = 0;
        }
        *pos += n;
    }
    close(fd);
    return 0;
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
    off_t pos = 0;
    int bol = 1, in, pidfd;
    size_t matched = 0;
    long long end;
    char *dir;

    if (argc != 5) {
        fprintf(stderr, "usage: l2wait FILE MARKER SECONDS PID\n");
        return 2;
    }
    end = now_ms() + atoll(argv[3]) * 1000;
    dir = strdup(argv[1]);
    in = inotify_init1(IN_CLOEXEC);
    /* the directory: FILE may not be there yet */
    if (in < 0 || inotify_add_watch(in, dirname(dir), IN_MODIFY | IN_CREATE |
                                    IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
        perror("l2wait: inotify");
        return 2;
    }
    pidfd = syscall(SYS_pidfd_open, atoi(argv[4]), 0);
    for (;;) {
        struct pollfd p[2] = {
            { .fd = in, .events = POLLIN },
            { .fd = pidfd, .events = POLLIN },
        };
        char ev[4096];
        long long left;

        if (seen(argv[1], argv[2], &pos, &bol, &matched)) {
            return 0;
        }
        left = end - now_ms();
        if (pidfd < 0 || left <= 0) {
            return 1;       /* PID gone (or never there), or time is up */
        }
        if (poll(p, 2, left) < 0 && errno != EINTR) {
            perror("l2wait: poll");
            return 2;
        }
        if (p[0].revents & POLLIN) {
            if (read(in, ev, sizeof(ev)) < 0 && errno != EINTR) {
                perror("l2wait: read");
                return 2;
            }
        }
        if (p[1].revents & POLLIN) {
            /* PID ended: what it wrote last is in FILE, look once more */
            return !seen(argv[1], argv[2], &pos, &bol, &matched);
        }
    }
}
