#ifndef CSTRATA_SYSTEM_H
#define CSTRATA_SYSTEM_H

#include <stddef.h>
#include <stdint.h>

/// `O_DIRECT` for open(2), or 0 where the platform has none (then callers write through the
/// page cache). Swift's Glibc module does not export it: it is defined only under _GNU_SOURCE.
int cstrata_o_direct(void);

/// CRC-32C (Castagnoli, as in S3's `x-amz-checksum-crc32c`) of `length` bytes, continuing from
/// `crc` (0 to start). Uses the CPU's CRC32 instruction (SSE 4.2 on x86-64, the CRC extension on
/// ARMv8) when it has one, and a table otherwise.
uint32_t cstrata_crc32c(uint32_t crc, const void *bytes, size_t length);

/// The same CRC from the table alone (the path of CPUs without a CRC32 instruction), for tests.
uint32_t cstrata_crc32c_table(uint32_t crc, const void *bytes, size_t length);

#endif
