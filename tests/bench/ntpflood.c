/* NTP flood generator for `make bench`: plain mode 3 requests from many source addresses
 * (every 127/8 address is local on Linux, so each request picks its own with IP_PKTINFO)
 * at a fixed rate, or as fast as it can, for a bounded count and time; then it reports the
 * replies and the KoD replies that came back to it.
 *
 * usage: ntpflood HOST PORT SOURCES COUNT RATE SECONDS
 *   SOURCES  one:A.B.C.D   that one address
 *            slash16:A.B   the 65,536 addresses of A.B.0.0/16, in turn
 *            spread        65,536 addresses of 127/8 over about 250 /16s (none in 127.0/16
 *                          or 127.1/16), in turn
 *   COUNT    requests at most (0: no limit but SECONDS)
 *   RATE     requests per second (0: as fast as it can)
 *   SECONDS  time to send for at most; replies are awaited 0.5 s more
 * prints {"sent": N, "replies": N, "kod": N, "seconds": S}
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define SOURCES 65536

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The addresses to send from, in network order; how many. */
static int sources_of(const char *spec, uint32_t *out) {
    unsigned a, b, c, d;
    if (sscanf(spec, "one:%u.%u.%u.%u", &a, &b, &c, &d) == 4) {
        out[0] = htonl(a << 24 | b << 16 | c << 8 | d);
        return 1;
    }
    if (sscanf(spec, "slash16:%u.%u", &a, &b) == 2) {
        for (uint32_t i = 0; i < SOURCES; i++)
            out[i] = htonl(a << 24 | b << 16 | i);
        return SOURCES;
    }
    if (strcmp(spec, "spread") == 0) {
        for (uint32_t i = 0; i < SOURCES; i++) {
            uint32_t mixed = (i * 0x9E3779B1u) & 0xFFFFFF; /* a bijection of 24 bits */
            if ((mixed >> 16) < 2)
                mixed |= 0x800000;
            out[i] = htonl(127u << 24 | mixed);
        }
        return SOURCES;
    }
    return 0;
}

/* Reads what came back; counts replies with time and KoDs (stratum 0). */
static void drain(int sock, uint64_t *replies, uint64_t *kod) {
    unsigned char buffer[512];
    for (;;) {
        ssize_t got = recv(sock, buffer, sizeof buffer, MSG_DONTWAIT);
        if (got < 0)
            return;
        if (got < 48 || (buffer[0] & 7) != 4)
            continue;
        if (buffer[1] == 0)
            (*kod)++;
        else
            (*replies)++;
    }
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: %s HOST PORT SOURCES COUNT RATE SECONDS\n", argv[0]);
        return 2;
    }
    static uint32_t sources[SOURCES];
    int nsources = sources_of(argv[3], sources);
    uint64_t count = strtoull(argv[4], NULL, 10);
    double rate = atof(argv[5]), seconds = atof(argv[6]);
    if (nsources == 0 || seconds <= 0) {
        fprintf(stderr, "ntpflood: bad SOURCES or SECONDS\n");
        return 2;
    }
    int sock = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
    struct sockaddr_in any = {.sin_family = AF_INET};
    if (inet_pton(AF_INET, argv[1], &server.sin_addr) != 1 ||
        bind(sock, (struct sockaddr *)&any, sizeof any) < 0) {
        perror("ntpflood");
        return 2;
    }
    int buffer = 8 << 20;
    setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);

    unsigned char request[48] = {0x23};
    struct mmsghdr messages[BATCH];
    struct iovec vector = {.iov_base = request, .iov_len = sizeof request};
    char controls[BATCH][CMSG_SPACE(sizeof(struct in_pktinfo))];
    memset(messages, 0, sizeof messages);
    memset(controls, 0, sizeof controls);
    for (int i = 0; i < BATCH; i++) {
        struct msghdr *header = &messages[i].msg_hdr;
        header->msg_name = &server;
        header->msg_namelen = sizeof server;
        header->msg_iov = &vector;
        header->msg_iovlen = 1;
        header->msg_control = controls[i];
        header->msg_controllen = sizeof controls[i];
        struct cmsghdr *c = CMSG_FIRSTHDR(header);
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    }
    uint64_t sent = 0, replies = 0, kod = 0, next = 0;
    uint64_t start = now_ns(), end = start + (uint64_t)(seconds * 1e9);
    uint64_t now = start;
    while ((count == 0 || sent < count) && (now = now_ns()) < end) {
        uint64_t due = rate > 0 ? (uint64_t)((double)(now - start) * rate / 1e9) + 1 : sent + BATCH;
        if (due <= sent) {
            struct timespec pause = {0, 100000};
            nanosleep(&pause, NULL);
            drain(sock, &replies, &kod);
            continue;
        }
        int batch = (int)(due - sent < BATCH ? due - sent : BATCH);
        if (count != 0 && (uint64_t)batch > count - sent)
            batch = (int)(count - sent);
        for (int i = 0; i < batch; i++, next = (next + 1) % (uint64_t)nsources) {
            struct in_pktinfo info = {0};
            info.ipi_spec_dst.s_addr = sources[next];
            memcpy(CMSG_DATA(CMSG_FIRSTHDR(&messages[i].msg_hdr)), &info, sizeof info);
        }
        int done = sendmmsg(sock, messages, (unsigned)batch, 0);
        if (done < 0) {
            perror("ntpflood: sendmmsg");
            return 1;
        }
        sent += (uint64_t)done;
        drain(sock, &replies, &kod);
    }
    double elapsed = (double)(now_ns() - start) / 1e9;
    uint64_t until = now_ns() + 500000000ull;
    struct pollfd wait = {.fd = sock, .events = POLLIN};
    while (now_ns() < until) {
        poll(&wait, 1, 50);
        drain(sock, &replies, &kod);
    }
    printf("{\"sent\": %llu, \"replies\": %llu, \"kod\": %llu, \"seconds\": %.3f}\n",
           (unsigned long long)sent, (unsigned long long)replies, (unsigned long long)kod,
           elapsed);
    return 0;
}
