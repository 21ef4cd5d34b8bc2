#ifndef CSTRATA_SYSTEM_H
#define CSTRATA_SYSTEM_H

#include <stddef.h>
#include <stdint.h>

/// `O_DIRECT` for open(2), or 0 where the platform has none (then callers write through the
/// page cache). Swift's Glibc module does not export it: it is defined only under _GNU_SOURCE.
int cstrata_o_direct(void);

#endif
