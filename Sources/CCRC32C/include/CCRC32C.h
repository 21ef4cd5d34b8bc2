#ifndef CCRC32C_H
#define CCRC32C_H

#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli, as in S3's `x-amz-checksum-crc32c`) of `length` bytes, continuing from
/// `crc` (0 to start). Uses the CPU's CRC32 instruction (SSE 4.2 on x86-64, the CRC extension on
/// ARMv8) when it has one, and a table otherwise. Pure computation: no I/O, no allocation.
uint32_t cstrata_crc32c(uint32_t crc, const void *bytes, size_t length);

/// The same CRC from the table alone (the path of CPUs without a CRC32 instruction), for tests.
uint32_t cstrata_crc32c_table(uint32_t crc, const void *bytes, size_t length);

#endif
