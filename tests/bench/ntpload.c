/* NTP load generator for `make bench`: replays a pool of prepared requests (plain or
 * signed) over UDP with a fixed window of requests in flight, and reports replies per
 * second and round-trip percentiles. Each request's transmit timestamp carries its pool
 * index, which the server echoes as the origin, so replies are matched without state
 * beyond one send time per slot.
 *
 * With a key (the one the pool is signed with) every reply it counts must carry a valid MAC
 * of that key; a reply without one, or with a wrong one, is counted in "bad_mac" instead.
 *
 * usage: ntpload HOST PORT SECONDS WINDOW POOLFILE PACKETSIZE [KEYID MD5|SHA1|AES128CMAC HEX]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
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

/* The reply's MAC, checked as an NTP client would: key id, length, digest of key + header
 * (MD5, SHA1; RFC 5905) or AES-128-CMAC of the header (RFC 8573). */
typedef struct {
    uint32_t id;
    size_t digest;
    EVP_MD_CTX *keyed, *work; /* digest after the secret, and a copy per reply */
    EVP_MAC_CTX *cmac;
} Key;

static int hex_bytes(const char *hex, unsigned char *out, size_t max) {
    size_t n = strlen(hex) / 2;
    if (strlen(hex) % 2 || n > max)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (sscanf(hex + 2 * i, "%2hhx", &out[i]) != 1)
            return -1;
    return (int)n;
}

static int make_key(Key *key, const char *id, const char *type, const char *hex) {
    unsigned char secret[64];
    int size = hex_bytes(hex, secret, sizeof secret);
    key->id = (uint32_t)strtoul(id, NULL, 10);
    if (size <= 0)
        return 0;
    if (strcmp(type, "AES128CMAC") == 0) {
        EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
        key->cmac = mac ? EVP_MAC_CTX_new(mac) : NULL;
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, "AES-128-CBC", 0),
            OSSL_PARAM_construct_end()};
        key->digest = 16;
        return key->cmac && EVP_MAC_init(key->cmac, secret, (size_t)size, params);
    }
    int md5 = strcmp(type, "MD5") == 0;
    if (!md5 && strcmp(type, "SHA1") != 0)
        return 0;
    key->digest = md5 ? 16 : 20;
    key->keyed = EVP_MD_CTX_new();
    key->work = EVP_MD_CTX_new();
    return key->keyed && key->work &&
           EVP_DigestInit_ex(key->keyed, md5 ? EVP_md5() : EVP_sha1(), NULL) &&
           EVP_DigestUpdate(key->keyed, secret, (size_t)size);
}

static int mac_valid(Key *key, const unsigned char *reply, size_t size) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    if (size != 48 + 4 + key->digest)
        return 0;
    uint32_t id;
    memcpy(&id, reply + 48, 4);
    if (ntohl(id) != key->id)
        return 0;
    if (key->cmac) {
        size_t length = 0;
        if (!EVP_MAC_init(key->cmac, NULL, 0, NULL) || !EVP_MAC_update(key->cmac, reply, 48) ||
            !EVP_MAC_final(key->cmac, digest, &length, sizeof digest))
            return 0;
    } else {
        unsigned int length = 0;
        if (!EVP_MD_CTX_copy_ex(key->work, key->keyed) ||
            !EVP_DigestUpdate(key->work, reply, 48) ||
            !EVP_DigestFinal_ex(key->work, digest, &length))
            return 0;
    }
    return CRYPTO_memcmp(digest, reply + 52, key->digest) == 0;
}

static int compare(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc != 7 && argc != 10) {
        fprintf(stderr, "usage: %s HOST PORT SECONDS WINDOW POOLFILE PACKETSIZE "
                        "[KEYID MD5|SHA1|AES128CMAC HEX]\n", argv[0]);
        return 2;
    }
    Key key = {0};
    if (argc == 10 && !make_key(&key, argv[7], argv[8], argv[9])) {
        fprintf(stderr, "ntpload: cannot use key %s %s\n", argv[7], argv[8]);
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
    size_t samples = 0, replies = 0, sent = 0, timeouts = 0, bad_mac = 0;
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
            if (index < (uint32_t)pool_n && sent_at[index] && buffers[i][1] != 0 && argc == 10 &&
                !mac_valid(&key, buffers[i], msgs[i].msg_len)) {
                bad_mac++;
            } else if (index < (uint32_t)pool_n && sent_at[index] && buffers[i][1] != 0) {
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
           "\"p99_us\": %.1f, \"stalls\": %zu, \"bad_mac\": %zu}\n", replies / elapsed, sent,
           replies, p50, p99, timeouts, bad_mac);
    return 0;
}
