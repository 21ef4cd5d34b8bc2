// CRC-32C for download verification: the SHA-256 it replaces cost most of a download's CPU,
// and none of the project's packages (swift-crypto, swift-nio, zlib) has a CRC-32C, let
// alone one on the CPU's CRC32 instruction.
#include <stdint.h>
#include <string.h>
#include "CStrataSystem.h"

// Reflected Castagnoli polynomial.
#define POLY 0x82F63B78u

static uint32_t table_crc(uint32_t crc, const unsigned char *p, size_t n) {
    static uint32_t table[256];
    static int ready = 0;
    if (!ready) {
        // Idempotent: racing threads write the same values.
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
            table[i] = c;
        }
        __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    }
    while (n--) crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__)
#include <nmmintrin.h>

__attribute__((target("sse4.2")))
static uint32_t hardware_crc(uint32_t crc, const unsigned char *p, size_t n) {
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--) c32 = _mm_crc32_u8(c32, *p++);
    return c32;
}

static int has_hardware(void) { return __builtin_cpu_supports("sse4.2"); }

#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#include <asm/hwcap.h>

__attribute__((target("+crc")))
static uint32_t hardware_crc(uint32_t crc, const unsigned char *p, size_t n) {
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        crc = __builtin_aarch64_crc32cx(crc, word);
        p += 8;
        n -= 8;
    }
    while (n--) crc = __builtin_aarch64_crc32cb(crc, *p++);
    return crc;
}

static int has_hardware(void) { return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0; }

#else
static uint32_t hardware_crc(uint32_t crc, const unsigned char *p, size_t n) { return table_crc(crc, p, n); }
static int has_hardware(void) { return 0; }
#endif

uint32_t cstrata_crc32c(uint32_t crc, const void *bytes, size_t length) {
    static int hardware = -1;
    if (hardware < 0) hardware = has_hardware();
    crc = ~crc;
    crc = hardware ? hardware_crc(crc, bytes, length) : table_crc(crc, bytes, length);
    return ~crc;
}

uint32_t cstrata_crc32c_table(uint32_t crc, const void *bytes, size_t length) {
    return ~table_crc(~crc, bytes, length);
}
