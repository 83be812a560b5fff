/* NTP load generator for `make bench`: replays a pool of prepared requests (plain or
 * signed) over UDP with a fixed window of requests in flight, and reports replies per
 * second and round-trip percentiles. Each request's transmit timestamp carries its pool
 * index, which the server echoes as the origin, so replies are matched without state
 * beyond one send time per slot.
 *
 * usage: ntpload HOST PORT SECONDS WINDOW POOLFILE PACKETSIZE
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_SAMPLES 4000000

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int compare(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: %s HOST PORT SECONDS WINDOW POOLFILE PACKETSIZE\n", argv[0]);
        return 2;
    }
    double seconds = atof(argv[3]);
    int window = atoi(argv[4]);
    int size = atoi(argv[6]);
    FILE *file = fopen(argv[5], "rb");
    if (!file) { perror("pool"); return 2; }
    fseek(file, 0, SEEK_END);
    long bytes = ftell(file);
    rewind(file);
    int pool_n = (int)(bytes / size);
    unsigned char *pool = malloc(bytes);
    if (fread(pool, 1, bytes, file) != (size_t)bytes) { perror("read"); return 2; }
    fclose(file);
    if (window > pool_n) window = pool_n;

    int sock = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
    inet_pton(AF_INET, argv[1], &server.sin_addr);
    if (connect(sock, (struct sockaddr *)&server, sizeof server) < 0) { perror("connect"); return 2; }
    int buffer = 4 << 20;
    setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);

    uint64_t *sent_at = calloc(pool_n, sizeof(uint64_t));
    uint32_t *rtt = malloc(sizeof(uint32_t) * MAX_SAMPLES);
    size_t samples = 0, replies = 0, sent = 0, timeouts = 0;
    int next = 0;
    uint64_t start = now_ns(), end = start + (uint64_t)(seconds * 1e9);
    for (int i = 0; i < window; i++, next = (next + 1) % pool_n) {
        sent_at[next] = now_ns();
        send(sock, pool + (size_t)next * size, size, 0);
        sent++;
    }
    struct mmsghdr msgs[BATCH];
    struct iovec iovs[BATCH];
    unsigned char buffers[BATCH][512];
    for (int i = 0; i < BATCH; i++) {
        iovs[i].iov_base = buffers[i];
        iovs[i].iov_len = sizeof buffers[i];
        memset(&msgs[i], 0, sizeof msgs[i]);
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    struct pollfd pfd = {.fd = sock, .events = POLLIN};
    uint64_t now = start;
    while ((now = now_ns()) < end) {
        int ready = poll(&pfd, 1, 20);
        if (ready == 0) {
            /* Lost in flight: refill the window so the load never stalls. */
            for (int i = 0; i < window; i++, next = (next + 1) % pool_n) {
                sent_at[next] = now_ns();
                send(sock, pool + (size_t)next * size, size, 0);
                sent++;
            }
            timeouts++;
            continue;
        }
        int got = recvmmsg(sock, msgs, BATCH, MSG_DONTWAIT, NULL);
        if (got <= 0) continue;
        uint64_t arrived = now_ns();
        for (int i = 0; i < got; i++) {
            if (msgs[i].msg_len < 48) continue;
            uint32_t index;
            memcpy(&index, buffers[i] + 28, 4);
            index = ntohl(index);
            if (index < (uint32_t)pool_n && sent_at[index] && buffers[i][1] != 0) {
                if (samples < MAX_SAMPLES) rtt[samples++] = (uint32_t)(arrived - sent_at[index]);
                replies++;
            }
            sent_at[next] = now_ns();
            send(sock, pool + (size_t)next * size, size, 0);
            sent++;
            next = (next + 1) % pool_n;
        }
    }
    double elapsed = (now - start) / 1e9;
    qsort(rtt, samples, sizeof(uint32_t), compare);
    double p50 = samples ? rtt[samples / 2] / 1e3 : 0, p99 = samples ? rtt[samples * 99 / 100] / 1e3 : 0;
    printf("{\"replies_per_s\": %.0f, \"sent\": %zu, \"replies\": %zu, \"p50_us\": %.1f, "
           "\"p99_us\": %.1f, \"stalls\": %zu}\n", replies / elapsed, sent, replies, p50, p99,
           timeouts);
    return 0;
}
