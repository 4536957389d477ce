// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tcp-rr: the rig's request/response rate over TCP, one request in
 * flight (the NIC runs: L1 serves, L2 asks through its passed-through
 * NIC).  A request is one byte, its response the same byte back.
 *
 *   tcp-rr server PORT                serve every connection, one at a time
 *                                     (one silent for 30 s is dropped: its
 *                                     client may have gone with its L2)
 *   tcp-rr client ADDR PORT N TAG     N requests; prints "E2E-RR n=N us=T"
 *
 * With TAG > 0 the client's requests are between the markers of L0's
 * instruction counter (HINT #120, HINT #121 with x0 = TAG;
 * scripts/rig/insn-window.c).  A response not back within 10 s ends the
 * run ("E2E-RR stalled n=..."): a lost packet that TCP did not recover.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "insn-mark.h"

static long long now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static int serve(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);

    if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
        bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 4)) {
        perror("tcp-rr server");
        return 1;
    }
    for (;;) {
        struct timeval idle = { .tv_sec = 30 };
        int c = accept(s, NULL, NULL);
        char b;

        if (c < 0) {
            continue;
        }
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle));
        while (read(c, &b, 1) == 1 && write(c, &b, 1) == 1) {
            ;
        }
        close(c);
    }
}

static int ask(const char *addr, int port, long n, unsigned long tag)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);
    long long start;
    long i;

    if (s < 0 || inet_pton(AF_INET, addr, &a.sin_addr) != 1 ||
        connect(s, (struct sockaddr *)&a, sizeof(a)) ||
        setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one))) {
        printf("E2E-RR failed: %s:%d: %m\n", addr, port);
        return 1;
    }
    start = now_us();
    insn_mark(1, tag);
    for (i = 0; i < n; i++) {
        struct pollfd p = { .fd = s, .events = POLLIN };
        char b = (char)i, r;

        if (write(s, &b, 1) != 1 || poll(&p, 1, 10000) != 1 ||
            read(s, &r, 1) != 1 || r != b) {
            break;
        }
    }
    insn_mark(0, tag);
    printf("E2E-RR %sn=%ld us=%lld\n", i < n ? "stalled " : "", i,
           now_us() - start);
    close(s);
    return i < n;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "server")) {
        return serve(atoi(argv[2]));
    }
    if (argc == 6 && !strcmp(argv[1], "client")) {
        return ask(argv[2], atoi(argv[3]), atol(argv[4]),
                   strtoul(argv[5], NULL, 0));
    }
    fprintf(stderr, "usage: tcp-rr server PORT | "
            "tcp-rr client ADDR PORT N TAG\n");
    return 2;
}
