// CRC-32C for download verification: the SHA-256 it replaces cost most of a download's CPU,
// and none of the project's packages (swift-crypto, swift-nio, zlib) has a CRC-32C, let
// alone one on the CPU's CRC32 instruction.
//
// The instruction has a latency of three cycles and a throughput of one, so one dependent chain
// runs it at a third of its speed. Long inputs are therefore cut into three lanes whose CRCs run
// side by side and are then joined, as Mark Adler's crc32c.c does (zlib's crc32_combine
// arithmetic: shifting a CRC over n zero bytes is a multiplication by x^(8n) modulo P).
#include <stdint.h>
#include <string.h>
#include "CCRC32C.h"

// Reflected Castagnoli polynomial.
#define POLY 0x82F63B78u

// Lane lengths in bytes: long lanes for the bulk (a 64 KiB chunk is two 24 KiB blocks), short
// ones for what is left over; both multiples of 8.
#define LONG_LANE 8192
#define SHORT_LANE 256

static uint32_t table[256];
// x^(8 * LONG_LANE), x^(16 * LONG_LANE), and the same for SHORT_LANE, modulo P (reflected).
static uint32_t shift_long1, shift_long2, shift_short1, shift_short2;
static int hardware;  // whether the CPU has a CRC32 instruction
static int ready = 0;
static int has_hardware(void);

// a(x) * b(x) modulo P, both reflected (bit 31 is x^0).
static uint32_t multmodp(uint32_t a, uint32_t b) {
    uint32_t m = 1u << 31, p = 0;
    for (;;) {
        if (a & m) {
            p ^= b;
            if ((a & (m - 1)) == 0) break;
        }
        m >>= 1;
        b = (b & 1) ? (b >> 1) ^ POLY : b >> 1;
    }
    return p;
}

// x^(8 * bytes) modulo P, by squaring.
static uint32_t x8nmodp(size_t bytes) {
    uint32_t power = 1u << 30;  // x^1
    uint32_t result = 1u << 31; // x^0
    size_t bits = bytes * 8;
    while (bits) {
        if (bits & 1) result = multmodp(power, result);
        power = multmodp(power, power);
        bits >>= 1;
    }
    return result;
}

static void prepare(void) {
    if (__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) return;
    // Idempotent: racing threads write the same values.
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
        table[i] = c;
    }
    shift_long1 = x8nmodp(LONG_LANE);
    shift_long2 = x8nmodp(2 * LONG_LANE);
    shift_short1 = x8nmodp(SHORT_LANE);
    shift_short2 = x8nmodp(2 * SHORT_LANE);
    hardware = has_hardware();
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
}

static uint32_t table_crc(uint32_t crc, const unsigned char *p, size_t n) {
    while (n--) crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return crc;
}

// Defines hardware_crc from a step that folds 8 bytes into a 32-bit CRC and one that folds 1.
#define DEFINE_HARDWARE_CRC(TARGET, STEP8, STEP1)                                                  \
    TARGET static uint32_t lanes(uint32_t crc, const unsigned char *p, size_t lane,               \
                                 uint32_t shift1, uint32_t shift2) {                             \
        uint32_t c0 = crc, c1 = 0, c2 = 0;                                                         \
        const unsigned char *end = p + lane;                                                       \
        while (p < end) {                                                                          \
            uint64_t w0, w1, w2;                                                                   \
            memcpy(&w0, p, 8);                                                                     \
            memcpy(&w1, p + lane, 8);                                                              \
            memcpy(&w2, p + 2 * lane, 8);                                                          \
            c0 = STEP8(c0, w0);                                                                    \
            c1 = STEP8(c1, w1);                                                                    \
            c2 = STEP8(c2, w2);                                                                    \
            p += 8;                                                                                \
        }                                                                                          \
        return multmodp(shift2, c0) ^ multmodp(shift1, c1) ^ c2;                                   \
    }                                                                                              \
    TARGET static uint32_t hardware_crc(uint32_t crc, const unsigned char *p, size_t n) {         \
        while (n >= 3 * LONG_LANE) {                                                               \
            crc = lanes(crc, p, LONG_LANE, shift_long1, shift_long2);                              \
            p += 3 * LONG_LANE;                                                                    \
            n -= 3 * LONG_LANE;                                                                    \
        }                                                                                          \
        while (n >= 3 * SHORT_LANE) {                                                              \
            crc = lanes(crc, p, SHORT_LANE, shift_short1, shift_short2);                           \
            p += 3 * SHORT_LANE;                                                                   \
            n -= 3 * SHORT_LANE;                                                                   \
        }                                                                                          \
        while (n >= 8) {                                                                           \
            uint64_t w;                                                                            \
            memcpy(&w, p, 8);                                                                      \
            crc = STEP8(crc, w);                                                                   \
            p += 8;                                                                                \
            n -= 8;                                                                                \
        }                                                                                          \
        while (n--) crc = STEP1(crc, *p++);                                                        \
        return crc;                                                                                \
    }

#if defined(__x86_64__)
#include <nmmintrin.h>
#define X86_STEP8(c, w) ((uint32_t)_mm_crc32_u64((c), (w)))
DEFINE_HARDWARE_CRC(__attribute__((target("sse4.2"))), X86_STEP8, _mm_crc32_u8)
static int has_hardware(void) { return __builtin_cpu_supports("sse4.2"); }

#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#include <asm/hwcap.h>
DEFINE_HARDWARE_CRC(__attribute__((target("+crc"))), __builtin_aarch64_crc32cx, __builtin_aarch64_crc32cb)
static int has_hardware(void) { return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0; }

#else
static uint32_t hardware_crc(uint32_t crc, const unsigned char *p, size_t n) { return table_crc(crc, p, n); }
static int has_hardware(void) { return 0; }
#endif

uint32_t cstrata_crc32c(uint32_t crc, const void *bytes, size_t length) {
    prepare();
    crc = ~crc;
    crc = hardware ? hardware_crc(crc, bytes, length) : table_crc(crc, bytes, length);
    return ~crc;
}

uint32_t cstrata_crc32c_table(uint32_t crc, const void *bytes, size_t length) {
    prepare();
    return ~table_crc(~crc, bytes, length);
}
