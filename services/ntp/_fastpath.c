/* The NTP worker's fast path: answers the common requests without entering Python.
 *
 * A worker hands this module its sockets and then, whenever it changes (every few
 * milliseconds), its policy (services/ntp/policy.py, packed by fast.py): the access rules
 * with the decision for an address no rule names, the rate limit, the trusted keys, the
 * reply template from the sync state and the served clock mapping. This module has no
 * setting of its own: it executes that policy as services/ntp/engine.py does. serve() reads a
 * batch with recvmmsg and kernel receive timestamps and answers plain, MD5, SHA1 and
 * AES-CMAC mode 3 requests of 48, 68 or 72 bytes itself: rules, rate limit (before the MAC
 * check, on the kernel's receive stamp), MAC, reply stamped just before its own sendto.
 * Everything else (other modes, extension fields, NTPv1, a leap being applied) goes back to
 * Python unanswered, with its receive time, for services/ntp/engine.py. A datagram longer
 * than the 2048-byte buffer is counted malformed and dropped, never answered from its first
 * bytes. Both paths share one client table, so a client has one rate-limit bucket and one
 * kiss budget whichever path answers it; the table hashes the whole address with SipHash-2-4
 * under a key drawn at start, so no set of addresses (one /16, one /64) crowds into a few
 * chains.
 *
 * Python also hands over the alarm template and the CLOCK_MONOTONIC time until which its
 * snapshot is fresh; past it, replies start from the alarm template with LI 3 even if Python
 * never got round to refreshing, so no reply ever outlives the appliance's publishing.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define HEADER 48
#define BATCH 64
#define BUFFER 2048
#define CONTROL 64
#define MAX_SOCKETS 16
#define MAX_CLIENTS (1 << 26) /* the config allows 10,000,000 */
#define MAX_DIGEST 20
#define NTP_UNIX_OFFSET 2208988800LL
#define SECOND 1000000000LL

/* Names from services/ntp/counters.py, which the worker adds these to. */
enum {
    SERVED, SERVED_STALE, AUTHENTICATED, DENIED, RATE_LIMITED, KOD_SENT, BAD_MAC, MALFORMED,
    CLIENT_REQUESTS, SERVER_REPLIES, N_COUNTERS
};
static const char *COUNTER_NAMES[N_COUNTERS] = {
    "served", "served_stale", "authenticated", "denied", "rate_limited", "kod_sent", "bad_mac",
    "malformed", "client_requests", "server_replies"};
enum { KEY_MD5, KEY_SHA1, KEY_CMAC };

typedef struct {
    uint8_t address[16]; /* IPv4 as ::ffff:a.b.c.d */
    int bits;            /* prefix length over the 16 bytes */
    int v4;
    int allow, require_auth, kod, ratelimit;
} Rule;

typedef struct {
    uint8_t address[16];
    int64_t tokens, kisses, last; /* credit in ns; last: host receive time */
    uint64_t requests;
    int32_t chain, newer, older;
} Client;

typedef struct {
    int type;
    size_t digest;
    EVP_MD_CTX *keyed; /* MD5 and SHA1: the digest context after the secret */
    EVP_MAC_CTX *cmac;
} Key;

/* The compiled rules of one policy; a new policy with other rules swaps the pointer. */
typedef struct {
    Rule *allow, *rules;
    int allows, nrules;
    Rule fallback; /* no rule names the address */
} Access;

typedef struct {
    Key *slots[65536];
} KeyTable;

typedef struct {
    PyObject_HEAD
    int ready; /* __init__ completed: until then every method refuses */
    int fds[MAX_SOCKETS];
    int sockets;
    Access *access;     /* NULL until the first policy: Python answers everything */
    KeyTable *keys;
    PyObject *access_source, *keys_source; /* what they were built from, to tell a change */
    /* clients: a hash table with chains, and a list from newest to oldest */
    Client *clients;
    int32_t *buckets;
    uint32_t bucket_mask;
    int32_t capacity, used, newest, oldest;
    int32_t current; /* the client admit() last saw */
    uint8_t key[16]; /* SipHash key, random per start */
    uint64_t random;
    int64_t refill, burst;
    int64_t leak_mask; /* -1: never */
    int crypto_nak;
    /* clock: served = base_served + (host - base_host) * (1 + rate) + leap_offset */
    int64_t base_host, base_served, leap_offset, steady_until, last;
    double rate;
    int started, trusted, clock_set;
    uint8_t template[24], stale_template[24];
    int leap;
    int64_t fresh_until; /* CLOCK_MONOTONIC ns */
    int stale;           /* of the batch in hand */
    EVP_MD_CTX *work;
    uint64_t counters[N_COUNTERS];
    struct mmsghdr messages[BATCH];
    struct iovec vectors[BATCH];
    struct sockaddr_storage names[BATCH];
    char controls[BATCH][CONTROL];
    uint8_t buffers[BATCH][BUFFER];
} FastPath;

/* -- addresses and rules ---------------------------------------------------------------- */

static const uint8_t V4_MAPPED[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static void map_v4(const struct in_addr *v4, uint8_t out[16]) {
    memcpy(out, V4_MAPPED, 12);
    memcpy(out + 12, v4, 4);
}

static int address_of(const struct sockaddr_storage *name, uint8_t out[16]) {
    if (name->ss_family == AF_INET) {
        map_v4(&((const struct sockaddr_in *)name)->sin_addr, out);
        return 1;
    }
    if (name->ss_family == AF_INET6) {
        memcpy(out, &((const struct sockaddr_in6 *)name)->sin6_addr, 16);
        return 1;
    }
    return 0;
}

static int is_v4(const uint8_t address[16]) { return memcmp(address, V4_MAPPED, 12) == 0; }

static int in_network(const uint8_t address[16], const Rule *rule) {
    if (is_v4(address) != rule->v4)
        return 0;
    int whole = rule->bits / 8, rest = rule->bits % 8;
    if (memcmp(address, rule->address, whole) != 0)
        return 0;
    if (rest == 0)
        return 1;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (address[whole] & mask) == (rule->address[whole] & mask);
}

/* The decision of firmware/base/access.py: the allow-list, then the first matching rule,
 * then the policy's fallback. Off the allow-list nothing is allowed, whatever the policy. */
static const Rule DENY_RULE = {{0}, 0, 0, 0, 0, 0, 0};

static const Rule *decide(const Access *access, const uint8_t address[16]) {
    if (access->allows > 0) {
        int listed = 0;
        for (int i = 0; i < access->allows && !listed; i++)
            listed = in_network(address, &access->allow[i]);
        if (!listed)
            return &DENY_RULE;
    }
    for (int i = 0; i < access->nrules; i++)
        if (in_network(address, &access->rules[i]))
            return &access->rules[i];
    return &access->fallback;
}

/* -- the client table: rate-limit buckets and who was heard from --------------------------- */

/* SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed hash, so that a sender who does not
 * know the key cannot choose addresses that share a chain. */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND(v0, v1, v2, v3)                                                              \
    do {                                                                                      \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                             \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                                \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                                \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                             \
    } while (0)

static uint64_t little64(const uint8_t *p, size_t size) {
    uint64_t value = 0;
    for (size_t i = 0; i < size; i++)
        value |= (uint64_t)p[i] << (8 * i);
    return value;
}

static uint64_t siphash24(const uint8_t key[16], const uint8_t *data, size_t size) {
    uint64_t k0 = little64(key, 8), k1 = little64(key + 8, 8);
    uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
    size_t whole = size - size % 8;
    for (size_t i = 0; i < whole; i += 8) {
        uint64_t m = little64(data + i, 8);
        v3 ^= m;
        SIPROUND(v0, v1, v2, v3);
        SIPROUND(v0, v1, v2, v3);
        v0 ^= m;
    }
    uint64_t last = ((uint64_t)size << 56) | little64(data + whole, size % 8);
    v3 ^= last;
    SIPROUND(v0, v1, v2, v3);
    SIPROUND(v0, v1, v2, v3);
    v0 ^= last;
    v2 ^= 0xff;
    for (int i = 0; i < 4; i++)
        SIPROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

static uint64_t next_random(FastPath *self) { /* xorshift64* */
    uint64_t x = self->random;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    self->random = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static uint32_t hash_of(const FastPath *self, const uint8_t address[16]) {
    return (uint32_t)siphash24(self->key, address, 16) & self->bucket_mask;
}

static void unlink_age(FastPath *self, int32_t i) {
    Client *c = &self->clients[i];
    if (c->newer >= 0)
        self->clients[c->newer].older = c->older;
    else
        self->newest = c->older;
    if (c->older >= 0)
        self->clients[c->older].newer = c->newer;
    else
        self->oldest = c->newer;
}

static void make_newest(FastPath *self, int32_t i) {
    Client *c = &self->clients[i];
    c->newer = -1;
    c->older = self->newest;
    if (self->newest >= 0)
        self->clients[self->newest].newer = i;
    self->newest = i;
    if (self->oldest < 0)
        self->oldest = i;
}

static void unlink_chain(FastPath *self, int32_t i) {
    int32_t *link = &self->buckets[hash_of(self, self->clients[i].address)];
    while (*link != i)
        link = &self->clients[*link].chain;
    *link = self->clients[i].chain;
}

static int32_t find(const FastPath *self, const uint8_t address[16], uint32_t *bucket) {
    *bucket = hash_of(self, address);
    int32_t i = self->buckets[*bucket];
    while (i >= 0 && memcmp(self->clients[i].address, address, 16) != 0)
        i = self->clients[i].chain;
    return i;
}

/* The verdicts of firmware/base/ratelimit.py's Admission. */
enum { OVER, WITHIN, LEAKED };

/* Records a request; the rule of firmware/base/ratelimit.py: tokens in nanoseconds of host
 * time, `refill` per request, `burst` requests at once, and time that runs backwards (a
 * stepped host clock) refills nothing and costs nothing. Over the limit one in 2**leak is
 * LEAKED. Also refills the client's kiss budget, spent by may_kiss(). */
static int admit(FastPath *self, const uint8_t address[16], int64_t now, int limited) {
    uint32_t bucket;
    int32_t i = find(self, address, &bucket);
    int64_t capacity = self->burst * self->refill;
    if (i < 0) {
        if (self->used < self->capacity) {
            i = self->used++;
        } else {
            i = self->oldest;
            unlink_age(self, i);
            unlink_chain(self, i);
        }
        Client *c = &self->clients[i];
        memcpy(c->address, address, 16);
        c->tokens = capacity - self->refill;
        c->kisses = self->refill;
        c->last = now;
        c->requests = 1;
        c->chain = self->buckets[bucket];
        self->buckets[bucket] = i;
        make_newest(self, i);
        self->current = i;
        return WITHIN;
    }
    self->current = i;
    Client *c = &self->clients[i];
    unlink_age(self, i);
    make_newest(self, i);
    c->requests++;
    int64_t elapsed = now > c->last ? now - c->last : 0;
    c->last = now;
    c->tokens = c->tokens + elapsed < capacity ? c->tokens + elapsed : capacity;
    c->kisses = c->kisses + elapsed < self->refill ? c->kisses + elapsed : self->refill;
    if (!limited)
        return WITHIN;
    if (c->tokens >= self->refill) {
        c->tokens -= self->refill;
        return WITHIN;
    }
    int leaked =
        self->leak_mask >= 0 && ((next_random(self) >> 48) & (uint64_t)self->leak_mask) == 0;
    return leaked ? LEAKED : OVER;
}

/* True if client i may be sent a kiss now (RATE or CRYP): one per rate-limit interval. */
static int may_kiss(FastPath *self, int32_t i) {
    if (i < 0 || self->clients[i].kisses < self->refill)
        return 0;
    self->clients[i].kisses -= self->refill;
    return 1;
}

/* -- time ------------------------------------------------------------------------------- */

static uint64_t ntp_stamp(int64_t unix_ns) {
    int64_t seconds = unix_ns / SECOND, nanoseconds = unix_ns % SECOND;
    if (nanoseconds < 0) {
        nanoseconds += SECOND;
        seconds -= 1;
    }
    uint64_t fraction = ((uint64_t)nanoseconds << 32) / SECOND;
    uint64_t era_seconds = (uint64_t)(seconds + NTP_UNIX_OFFSET) & 0xFFFFFFFFULL;
    return (era_seconds << 32) | fraction;
}

static void put64(uint8_t *out, uint64_t value) {
    for (int i = 7; i >= 0; i--, value >>= 8)
        out[i] = (uint8_t)value;
}

/* Served time for a host clock reading; 0 when Python must do it (no clock yet, or a leap
 * is near: the offset is only steady until `steady_until`). */
static int64_t served(const FastPath *self, int64_t host) {
    if (!self->clock_set)
        return 0;
    if (!self->started)
        return host;
    int64_t continuous =
        self->base_served + (int64_t)nearbyint((double)(host - self->base_host) * (1.0 + self->rate));
    if (continuous >= self->steady_until)
        return 0;
    return continuous + self->leap_offset;
}

static int64_t transmit_now(FastPath *self, int64_t receive) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t value = served(self, (int64_t)now.tv_sec * SECOND + now.tv_nsec);
    if (value == 0)
        value = receive;
    if (value <= self->last && self->trusted)
        value = self->last + 1;
    self->last = value;
    return value;
}

/* -- MACs ------------------------------------------------------------------------------- */

static int mac_of(FastPath *self, const Key *key, const uint8_t *data, size_t size,
                  uint8_t out[MAX_DIGEST]) {
    if (key->type == KEY_CMAC) {
        size_t length = 0;
        return EVP_MAC_init(key->cmac, NULL, 0, NULL) && EVP_MAC_update(key->cmac, data, size) &&
               EVP_MAC_final(key->cmac, out, &length, MAX_DIGEST) && length == key->digest;
    }
    unsigned int length = 0;
    return EVP_MD_CTX_copy_ex(self->work, key->keyed) &&
           EVP_DigestUpdate(self->work, data, size) &&
           EVP_DigestFinal_ex(self->work, out, &length) && length == key->digest;
}

static void free_key(Key *key) {
    if (key == NULL)
        return;
    EVP_MD_CTX_free(key->keyed);
    EVP_MAC_CTX_free(key->cmac);
    PyMem_Free(key);
}

static Key *make_key(int type, const uint8_t *secret, size_t size) {
    Key *key = PyMem_Calloc(1, sizeof(Key));
    if (key == NULL)
        return NULL;
    key->type = type;
    if (type == KEY_CMAC) {
        EVP_MAC *cmac = EVP_MAC_fetch(NULL, "CMAC", NULL);
        key->cmac = cmac ? EVP_MAC_CTX_new(cmac) : NULL;
        EVP_MAC_free(cmac);
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, "AES-128-CBC", 0),
            OSSL_PARAM_construct_end()};
        key->digest = 16;
        if (key->cmac && EVP_MAC_init(key->cmac, secret, size, params))
            return key;
    } else {
        EVP_MD *md = EVP_MD_fetch(NULL, type == KEY_MD5 ? "MD5" : "SHA1", NULL);
        key->keyed = EVP_MD_CTX_new();
        key->digest = type == KEY_MD5 ? 16 : 20;
        int ok = md && key->keyed && EVP_DigestInit_ex(key->keyed, md, NULL) &&
                 EVP_DigestUpdate(key->keyed, secret, size);
        EVP_MD_free(md);
        if (ok)
            return key;
    }
    free_key(key);
    return NULL;
}

/* -- one request ------------------------------------------------------------------------ */

/* True once the kernel took the reply. */
static int reply(FastPath *self, int fd, int index, const uint8_t *packet, size_t size) {
    struct mmsghdr *message = &self->messages[index];
    return sendto(fd, packet, size, MSG_DONTWAIT, message->msg_hdr.msg_name,
                  message->msg_hdr.msg_namelen) >= 0;
}

/* Returns 1 when the kiss was sent. */
static int kiss(FastPath *self, int fd, int index, const uint8_t *request, const char *code,
                size_t size) {
    uint8_t packet[HEADER + 4] = {0};
    packet[0] = (uint8_t)((3 << 6) | (((request[0] >> 3) & 7) << 3) | 4);
    packet[2] = request[2];
    memcpy(packet + 12, code, 4);
    memcpy(packet + 24, request + 40, 8);
    return reply(self, fd, index, packet, size);
}

static int64_t receive_time(struct mmsghdr *message) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&message->msg_hdr); c != NULL;
         c = CMSG_NXTHDR(&message->msg_hdr, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec stamp;
            memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
            return (int64_t)stamp.tv_sec * SECOND + stamp.tv_nsec;
        }
    }
    return 0;
}

/* Answers the request and returns 1, or returns 0: Python decides. */
static int handle(FastPath *self, int fd, int index, int64_t host) {
    const uint8_t *request = self->buffers[index];
    size_t size = self->messages[index].msg_len;
    uint8_t address[16];
    if (size == 0 || host == 0 || self->access == NULL || !address_of(&self->names[index], address))
        return 0;
    const Rule *rule = decide(self->access, address);
    int mode = request[0] & 7, version = (request[0] >> 3) & 7;
    if (!rule->allow) {
        self->counters[DENIED]++;
        self->counters[CLIENT_REQUESTS] += (uint64_t)(mode == 3);
        return 1;
    }
    if (mode != 3 || version < 1 || version > 4 || (size != HEADER && size != HEADER + 20 &&
                                                     size != HEADER + 24))
        return 0;
    int64_t receive = served(self, host);
    if (receive == 0)
        return 0;
    self->counters[CLIENT_REQUESTS]++; /* from here on, Python never sees it */
    if (admit(self, address, host, rule->ratelimit) == OVER) {
        self->counters[RATE_LIMITED]++;
        if (rule->kod && may_kiss(self, self->current)) {
            self->counters[KOD_SENT]++;
            self->counters[SERVER_REPLIES] += (uint64_t)kiss(self, fd, index, request, "RATE",
                                                             HEADER);
        }
        return 1;
    }
    const Key *key = NULL;
    uint8_t digest[MAX_DIGEST];
    if (size > HEADER) {
        uint32_t id = ((uint32_t)request[48] << 24) | ((uint32_t)request[49] << 16) |
                      ((uint32_t)request[50] << 8) | request[51];
        key = id < 65536 ? self->keys->slots[id] : NULL;
        if (key == NULL || key->digest != size - HEADER - 4 ||
            !mac_of(self, key, request, HEADER, digest) ||
            CRYPTO_memcmp(digest, request + HEADER + 4, key->digest) != 0) {
            self->counters[BAD_MAC]++;
            if (self->crypto_nak && may_kiss(self, self->current))
                self->counters[SERVER_REPLIES] +=
                    (uint64_t)kiss(self, fd, index, request, "CRYP", HEADER + 4);
            return 1;
        }
        self->counters[AUTHENTICATED]++;
    }
    if (rule->require_auth && key == NULL) {
        self->counters[DENIED]++;
        return 1;
    }
    uint8_t packet[HEADER + 4 + MAX_DIGEST];
    memcpy(packet, self->stale ? self->stale_template : self->template, 24);
    packet[0] = (uint8_t)(((self->stale ? 3 : self->leap) << 6) | (version << 3) | 4);
    packet[2] = request[2];
    memcpy(packet + 24, request + 40, 8);
    put64(packet + 32, ntp_stamp(receive));
    size_t length = HEADER;
    put64(packet + 40, ntp_stamp(transmit_now(self, receive))); /* the MAC must cover it */
    if (key != NULL) {
        memcpy(packet + HEADER, request + HEADER, 4);
        if (!mac_of(self, key, packet, HEADER, packet + HEADER + 4))
            return 1;
        length += 4 + key->digest;
    }
    /* Served means sent: not a reply whose MAC failed or that the kernel refused. */
    if (reply(self, fd, index, packet, length)) {
        self->counters[SERVED]++;
        self->counters[SERVED_STALE] += (uint64_t)self->stale;
        self->counters[SERVER_REPLIES]++;
    }
    return 1;
}

/* -- Python ----------------------------------------------------------------------------- */

static PyObject *peer_of(const struct sockaddr_storage *name) {
    char text[INET6_ADDRSTRLEN];
    if (name->ss_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)name;
        inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
        return Py_BuildValue("(si)", text, ntohs(v4->sin_port));
    }
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)name;
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    return Py_BuildValue("(siII)", text, ntohs(v6->sin6_port), ntohl(v6->sin6_flowinfo),
                         v6->sin6_scope_id);
}

/* Every method first: a FastPath made by FastPath.__new__ alone, or whose __init__ failed,
 * has no sockets, tables or digest context to work with. */
static int usable(const FastPath *self) {
    if (self->ready)
        return 1;
    PyErr_SetString(PyExc_RuntimeError, "this FastPath was not initialised: call FastPath(...)");
    return 0;
}

/* serve(timeout_ms): answers what it can; returns the rest as
 * [(socket index, data, peer address, host receive ns or 0)]. */
static PyObject *FastPath_serve(FastPath *self, PyObject *args) {
    int timeout;
    if (!usable(self) || !PyArg_ParseTuple(args, "i", &timeout))
        return NULL;
    struct pollfd polls[MAX_SOCKETS];
    for (int i = 0; i < self->sockets; i++) {
        polls[i].fd = self->fds[i];
        polls[i].events = POLLIN;
        polls[i].revents = 0;
    }
    int ready;
    Py_BEGIN_ALLOW_THREADS
    ready = poll(polls, (nfds_t)self->sockets, timeout);
    Py_END_ALLOW_THREADS
    if (ready < 0 && errno != EINTR)
        return PyErr_SetFromErrno(PyExc_OSError);
    if (ready < 0 && PyErr_CheckSignals() < 0)
        return NULL;
    PyObject *rest = PyList_New(0);
    if (rest == NULL)
        return NULL;
    for (int s = 0; s < self->sockets && ready > 0; s++) {
        if (!(polls[s].revents & POLLIN))
            continue;
        for (int i = 0; i < BATCH; i++) {
            struct msghdr *header = &self->messages[i].msg_hdr;
            header->msg_namelen = sizeof self->names[i];
            header->msg_controllen = CONTROL;
            header->msg_flags = 0;
        }
        int count = recvmmsg(self->fds[s], self->messages, BATCH, MSG_DONTWAIT, NULL);
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        self->stale = (int64_t)now.tv_sec * SECOND + now.tv_nsec > self->fresh_until;
        for (int i = 0; i < count; i++) {
            /* Longer than the buffer: what is in hand is not the request that was sent. */
            if (self->messages[i].msg_hdr.msg_flags & MSG_TRUNC) {
                self->counters[MALFORMED]++;
                self->counters[CLIENT_REQUESTS] += (uint64_t)((self->buffers[i][0] & 7) == 3);
                continue;
            }
            int64_t host = receive_time(&self->messages[i]);
            if (handle(self, self->fds[s], i, host))
                continue;
            PyObject *peer = peer_of(&self->names[i]);
            PyObject *item = peer ? Py_BuildValue("(iy#NL)", s, self->buffers[i],
                                                  (Py_ssize_t)self->messages[i].msg_len, peer,
                                                  (long long)host)
                                  : NULL;
            if (item == NULL || PyList_Append(rest, item) < 0) {
                Py_XDECREF(item);
                Py_DECREF(rest);
                return NULL;
            }
            Py_DECREF(item);
        }
    }
    return rest;
}

static int parse_address(const char *text, uint8_t out[16]) {
    char copy[INET6_ADDRSTRLEN + 1];
    size_t length = strcspn(text, "%");
    if (length >= sizeof copy)
        return 0;
    memcpy(copy, text, length);
    copy[length] = 0;
    struct in_addr v4;
    if (inet_pton(AF_INET, copy, &v4) == 1) {
        map_v4(&v4, out);
        return 1;
    }
    return inet_pton(AF_INET6, copy, out) == 1;
}

/* An address from Python, as parse_address() reads it, or 0 with ValueError set. */
static int client_address(const char *text, uint8_t out[16]) {
    if (parse_address(text, out))
        return 1;
    PyErr_Format(PyExc_ValueError, "not an IP address: %s", text);
    return 0;
}

/* The rate limit comes from the policy: until the first one, there is none to admit by. */
static int has_policy(const FastPath *self) {
    if (!usable(self))
        return 0;
    if (self->access != NULL)
        return 1;
    PyErr_SetString(PyExc_RuntimeError, "no policy yet");
    return 0;
}

/* admit(address, host_ns, limited) -> Admission: the client table as services/ntp/engine.py
 * uses it, with the host's receive time. */
static PyObject *FastPath_admit(FastPath *self, PyObject *args) {
    const char *text;
    long long now;
    int limited;
    uint8_t address[16];
    if (!has_policy(self) || !PyArg_ParseTuple(args, "sLp", &text, &now, &limited) ||
        !client_address(text, address))
        return NULL;
    return PyLong_FromLong(admit(self, address, now, limited));
}

/* kiss(address) -> bool: whether the client may be sent a kiss now; spends it if so. */
static PyObject *FastPath_kiss(FastPath *self, PyObject *args) {
    const char *text;
    uint8_t address[16];
    uint32_t bucket;
    if (!has_policy(self) || !PyArg_ParseTuple(args, "s", &text) || !client_address(text, address))
        return NULL;
    return PyBool_FromLong(may_kiss(self, find(self, address, &bucket)));
}

/* table_stats() -> {"clients", "capacity", "buckets", "longest_chain"}: how full the client
 * table is and how well its hash spreads what is in it. */
static PyObject *FastPath_table_stats(FastPath *self, PyObject *Py_UNUSED(ignored)) {
    if (!usable(self))
        return NULL;
    long longest = 0;
    for (uint32_t b = 0; b <= self->bucket_mask; b++) {
        long length = 0;
        for (int32_t i = self->buckets[b]; i >= 0; i = self->clients[i].chain)
            length++;
        longest = length > longest ? length : longest;
    }
    return Py_BuildValue("{sisisksl}", "clients", (int)self->used, "capacity",
                         (int)self->capacity, "buckets", (unsigned long)self->bucket_mask + 1,
                         "longest_chain", longest);
}

/* recent(count): [(address, requests, last receive ns)], most recent first. */
static PyObject *FastPath_recent(FastPath *self, PyObject *args) {
    int count;
    if (!usable(self) || !PyArg_ParseTuple(args, "i", &count))
        return NULL;
    PyObject *out = PyList_New(0);
    for (int32_t i = self->newest; out != NULL && i >= 0 && count-- > 0;
         i = self->clients[i].older) {
        const Client *c = &self->clients[i];
        char text[INET6_ADDRSTRLEN];
        if (is_v4(c->address))
            inet_ntop(AF_INET, c->address + 12, text, sizeof text);
        else
            inet_ntop(AF_INET6, c->address, text, sizeof text);
        PyObject *item = Py_BuildValue("(sKL)", text, (unsigned long long)c->requests,
                                       (long long)c->last);
        if (item == NULL || PyList_Append(out, item) < 0)
            Py_CLEAR(out);
        Py_XDECREF(item);
    }
    return out;
}

static PyObject *FastPath_counters(FastPath *self, PyObject *Py_UNUSED(ignored)) {
    if (!usable(self))
        return NULL;
    PyObject *out = PyDict_New();
    for (int i = 0; out != NULL && i < N_COUNTERS; i++) {
        PyObject *value = PyLong_FromUnsignedLongLong(self->counters[i]);
        if (value == NULL || PyDict_SetItemString(out, COUNTER_NAMES[i], value) < 0)
            Py_CLEAR(out);
        Py_XDECREF(value);
    }
    return out;
}

/* -- the policy ---------------------------------------------------------------------- */

static int parse_rule(PyObject *item, Rule *rule) {
    Py_buffer address;
    if (!PyTuple_Check(item)) {
        PyErr_SetString(PyExc_TypeError, "a rule is a tuple");
        return -1;
    }
    if (!PyArg_ParseTuple(item, "y*ippppp", &address, &rule->bits, &rule->v4, &rule->allow,
                          &rule->require_auth, &rule->kod, &rule->ratelimit))
        return -1;
    int ok = address.len == 16 && rule->bits >= 0 && rule->bits <= 128;
    if (ok)
        memcpy(rule->address, address.buf, 16);
    PyBuffer_Release(&address);
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "a network is 16 bytes and a prefix 0..128");
        return -1;
    }
    return 0;
}

/* The sequence's item, if it is a tuple, or NULL with a TypeError that names it. */
static PyObject *tuple_at(PyObject *items, Py_ssize_t index, const char *what) {
    PyObject *item = PySequence_Fast_GET_ITEM(items, index);
    if (PyTuple_Check(item))
        return item;
    PyErr_Format(PyExc_TypeError, "%s %zd must be tuple, not %.100s", what, index,
                 Py_TYPE(item)->tp_name);
    return NULL;
}

static int parse_rule_list(PyObject *sequence, Rule **out, int *count) {
    PyObject *items = PySequence_Fast(sequence, "rules are a sequence");
    if (items == NULL)
        return -1;
    Py_ssize_t size = PySequence_Fast_GET_SIZE(items);
    *out = PyMem_Calloc((size_t)size + 1, sizeof(Rule));
    if (*out == NULL) {
        Py_DECREF(items);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < size; i++) {
        PyObject *item = tuple_at(items, i, "rule");
        if (item == NULL || parse_rule(item, &(*out)[i]) < 0) {
            Py_DECREF(items);
            return -1;
        }
    }
    Py_DECREF(items);
    *count = (int)size;
    return 0;
}

static void free_access(Access *access) {
    if (access == NULL)
        return;
    PyMem_Free(access->allow);
    PyMem_Free(access->rules);
    PyMem_Free(access);
}

/* (allow-list, rules, fallback) as fast.native_rules packs them */
static Access *make_access(PyObject *packed) {
    PyObject *allow, *rules, *fallback;
    if (!PyTuple_Check(packed) || !PyArg_ParseTuple(packed, "OOO", &allow, &rules, &fallback)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "rules are (allow, rules, fallback)");
        return NULL;
    }
    Access *access = PyMem_Calloc(1, sizeof(Access));
    if (access == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    if (parse_rule_list(allow, &access->allow, &access->allows) < 0 ||
        parse_rule_list(rules, &access->rules, &access->nrules) < 0 ||
        parse_rule(fallback, &access->fallback) < 0) {
        free_access(access);
        return NULL;
    }
    return access;
}

static void free_keys(KeyTable *table) {
    if (table == NULL)
        return;
    for (int i = 0; i < 65536; i++)
        free_key(table->slots[i]);
    PyMem_Free(table);
}

static int add_key(KeyTable *table, PyObject *item) {
    unsigned int id;
    const char *name;
    Py_buffer secret;
    if (!PyTuple_Check(item) || !PyArg_ParseTuple(item, "Isy*", &id, &name, &secret)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "a key is (id, type, secret)");
        return -1;
    }
    int type = strcmp(name, "MD5") == 0 ? KEY_MD5 : strcmp(name, "SHA1") == 0 ? KEY_SHA1
               : strcmp(name, "AES128CMAC") == 0 ? KEY_CMAC : -1;
    Key *key = NULL;
    if (type >= 0 && id < 65536 && (type != KEY_CMAC || secret.len == 16))
        key = make_key(type, secret.buf, (size_t)secret.len);
    PyBuffer_Release(&secret);
    if (key == NULL) {
        PyErr_Format(PyExc_ValueError, "key %u: cannot use a %s key here", id, name);
        return -1;
    }
    free_key(table->slots[id]);
    table->slots[id] = key;
    return 0;
}

/* ((id, "MD5" | "SHA1" | "AES128CMAC", secret), ...): the trusted keys */
static KeyTable *make_keys(PyObject *packed) {
    PyObject *items = PySequence_Fast(packed, "keys are a sequence");
    if (items == NULL)
        return NULL;
    KeyTable *table = PyMem_Calloc(1, sizeof(KeyTable));
    if (table == NULL) {
        Py_DECREF(items);
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t n = 0; n < PySequence_Fast_GET_SIZE(items); n++) {
        PyObject *item = tuple_at(items, n, "key");
        if (item == NULL || add_key(table, item) < 0) {
            Py_DECREF(items);
            free_keys(table);
            return NULL;
        }
    }
    Py_DECREF(items);
    return table;
}

static void swap_source(PyObject **source, PyObject *packed) {
    Py_INCREF(packed);
    Py_XSETREF(*source, packed);
}

typedef struct {
    int64_t base_host, base_served, leap_offset, steady_until;
    double rate;
    int started, trusted, set;
} Clock;

static int parse_clock(PyObject *packed, Clock *clock) {
    memset(clock, 0, sizeof *clock);
    if (packed == Py_None)
        return 0;
    long long base_host, base_served, leap_offset, steady_until;
    if (!PyTuple_Check(packed) ||
        !PyArg_ParseTuple(packed, "LLdppLL", &base_host, &base_served, &clock->rate,
                          &clock->started, &clock->trusted, &leap_offset, &steady_until)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "the clock is a tuple or None");
        return -1;
    }
    clock->base_host = base_host;
    clock->base_served = base_served;
    clock->leap_offset = leap_offset;
    clock->steady_until = steady_until;
    clock->set = 1;
    return 0;
}

/* set_policy((rules, keys, refill_ns, burst, leak_mask, crypto_nak,
 *             (template, leap, stale template, fresh until CLOCK_MONOTONIC ns),
 *             clock (base_host, base_served, rate, started, trusted, leap_offset,
 *                    steady_until) or None)), as services/ntp/fast.py packs a Policy.
 * All of it or, on an error, none of it; rules and keys are rebuilt only when they are
 * other objects than last time, and then their pointers are swapped. */
static PyObject *FastPath_set_policy(FastPath *self, PyObject *args) {
    PyObject *rules, *keys, *clock_packed;
    long long refill, burst, leak_mask, fresh_until;
    int crypto_nak, leap;
    Py_buffer fresh, stale;
    if (!usable(self) ||
        !PyArg_ParseTuple(args, "(OOLLLp(y*iy*L)O)", &rules, &keys, &refill, &burst, &leak_mask,
                          &crypto_nak, &fresh, &leap, &stale, &fresh_until, &clock_packed))
        return NULL;
    int ok = fresh.len == 24 && stale.len == 24 && refill > 0 && burst > 0 && leak_mask >= -1;
    uint8_t templates[2][24];
    if (ok) {
        memcpy(templates[0], fresh.buf, 24);
        memcpy(templates[1], stale.buf, 24);
    }
    PyBuffer_Release(&fresh);
    PyBuffer_Release(&stale);
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "bad policy: templates are 24 bytes, limits positive");
        return NULL;
    }
    Clock clock;
    Access *access = NULL;
    KeyTable *table = NULL;
    if (parse_clock(clock_packed, &clock) < 0)
        return NULL;
    if (rules != self->access_source && (access = make_access(rules)) == NULL)
        return NULL;
    if (keys != self->keys_source && (table = make_keys(keys)) == NULL) {
        free_access(access);
        return NULL;
    }
    if (access != NULL) {
        free_access(self->access);
        self->access = access;
        swap_source(&self->access_source, rules);
    }
    if (table != NULL) {
        free_keys(self->keys);
        self->keys = table;
        swap_source(&self->keys_source, keys);
    }
    self->refill = refill;
    self->burst = burst;
    self->leak_mask = leak_mask;
    self->crypto_nak = crypto_nak;
    memcpy(self->template, templates[0], 24);
    memcpy(self->stale_template, templates[1], 24);
    self->leap = leap & 3;
    self->fresh_until = fresh_until;
    self->base_host = clock.base_host;
    self->base_served = clock.base_served;
    self->rate = clock.rate;
    self->started = clock.started;
    self->trusted = clock.trusted;
    self->leap_offset = clock.leap_offset;
    self->steady_until = clock.steady_until;
    self->clock_set = clock.set;
    Py_RETURN_NONE;
}

/* What __init__ allocates, freed and forgotten: after a failed __init__ the object is as
 * FastPath.__new__ left it, and a later __init__ starts from nothing. */
static void release_tables(FastPath *self) {
    self->ready = 0;
    self->sockets = 0;
    EVP_MD_CTX_free(self->work);
    PyMem_Free(self->clients);
    PyMem_Free(self->buckets);
    self->work = NULL;
    self->clients = NULL;
    self->buckets = NULL;
}

static int parse_fds(FastPath *self, PyObject *fds) {
    Py_ssize_t count = PyList_GET_SIZE(fds);
    if (count < 1 || count > MAX_SOCKETS) {
        PyErr_Format(PyExc_ValueError, "a fast path has 1 to %d sockets", MAX_SOCKETS);
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        long fd = PyLong_AsLong(PyList_GET_ITEM(fds, i));
        if (fd == -1 && PyErr_Occurred())
            return -1;
        if (fd < 0 || fd > INT_MAX) {
            PyErr_Format(PyExc_ValueError, "not a file descriptor: %ld", fd);
            return -1;
        }
        self->fds[i] = (int)fd;
    }
    self->sockets = (int)count;
    return 0;
}

/* FastPath(fds, clients, seed): the sockets, the size of the client table, 16 random bytes.
 * It answers nothing itself until set_policy. Once only: the client table's hash depends on
 * the seed. */
static int FastPath_init(FastPath *self, PyObject *args, PyObject *Py_UNUSED(kwargs)) {
    if (self->ready) {
        PyErr_SetString(PyExc_RuntimeError, "this FastPath is already initialised");
        return -1;
    }
    PyObject *fds;
    int clients;
    Py_buffer seed;
    if (!PyArg_ParseTuple(args, "O!iy*", &PyList_Type, &fds, &clients, &seed))
        return -1;
    int ok = seed.len >= 16 && clients > 0 && clients <= MAX_CLIENTS;
    if (ok) {
        memcpy(self->key, seed.buf, 16);
        self->random = siphash24(self->key, (const uint8_t *)"leak", 4) | 1;
    }
    PyBuffer_Release(&seed);
    if (!ok) {
        PyErr_Format(PyExc_ValueError, "a fast path needs 16 seed bytes and 1 to %d clients",
                     MAX_CLIENTS);
        return -1;
    }
    if (parse_fds(self, fds) < 0) {
        release_tables(self);
        return -1;
    }
    self->capacity = clients;
    self->used = 0;
    uint32_t buckets = 1;
    while (buckets < (uint32_t)clients * 2)
        buckets <<= 1;
    self->bucket_mask = buckets - 1;
    self->clients = PyMem_Calloc((size_t)clients, sizeof(Client));
    self->buckets = PyMem_Malloc(buckets * sizeof(int32_t));
    self->work = EVP_MD_CTX_new();
    if (self->clients == NULL || self->buckets == NULL || self->work == NULL) {
        release_tables(self);
        PyErr_NoMemory();
        return -1;
    }
    memset(self->buckets, 0xff, buckets * sizeof(int32_t));
    self->newest = self->oldest = -1;
    for (int i = 0; i < BATCH; i++) {
        self->vectors[i].iov_base = self->buffers[i];
        self->vectors[i].iov_len = BUFFER;
        struct msghdr *header = &self->messages[i].msg_hdr;
        header->msg_name = &self->names[i];
        header->msg_iov = &self->vectors[i];
        header->msg_iovlen = 1;
        header->msg_control = self->controls[i];
    }
    self->ready = 1;
    return 0;
}

static void FastPath_dealloc(FastPath *self) {
    free_keys(self->keys);
    free_access(self->access);
    Py_XDECREF(self->access_source);
    Py_XDECREF(self->keys_source);
    release_tables(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef FastPath_methods[] = {
    {"serve", (PyCFunction)FastPath_serve, METH_VARARGS, "Answer a batch; return the rest."},
    {"admit", (PyCFunction)FastPath_admit, METH_VARARGS, "Record a request; the verdict."},
    {"kiss", (PyCFunction)FastPath_kiss, METH_VARARGS, "Whether a kiss may go to a client."},
    {"table_stats", (PyCFunction)FastPath_table_stats, METH_NOARGS, "The client table's fill."},
    {"recent", (PyCFunction)FastPath_recent, METH_VARARGS, "The clients heard from last."},
    {"counters", (PyCFunction)FastPath_counters, METH_NOARGS, "What the fast path counted."},
    {"set_policy", (PyCFunction)FastPath_set_policy, METH_VARARGS, "The policy to serve."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject FastPathType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "services.ntp._fastpath.FastPath",
    .tp_basicsize = sizeof(FastPath),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The NTP worker's fast path.",
    .tp_new = PyType_GenericNew, /* zero-filled: not ready until __init__ succeeds */
    .tp_init = (initproc)FastPath_init,
    .tp_dealloc = (destructor)FastPath_dealloc,
    .tp_methods = FastPath_methods,
};

/* siphash(key, data) -> int: the client table's hash, for its reference test vectors. */
static PyObject *module_siphash(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer key, data;
    if (!PyArg_ParseTuple(args, "y*y*", &key, &data))
        return NULL;
    PyObject *out = NULL;
    if (key.len == 16)
        out = PyLong_FromUnsignedLongLong(siphash24(key.buf, data.buf, (size_t)data.len));
    else
        PyErr_SetString(PyExc_ValueError, "a SipHash key is 16 bytes");
    PyBuffer_Release(&key);
    PyBuffer_Release(&data);
    return out;
}

static PyMethodDef module_methods[] = {
    {"siphash", module_siphash, METH_VARARGS, "SipHash-2-4 of data under a 16-byte key."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastpath", "The NTP worker's fast path (see _fastpath.c).", -1,
    module_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__fastpath(void) {
    if (PyType_Ready(&FastPathType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&FastPathType);
    if (PyModule_AddObject(m, "FastPath", (PyObject *)&FastPathType) < 0) {
        Py_DECREF(&FastPathType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
