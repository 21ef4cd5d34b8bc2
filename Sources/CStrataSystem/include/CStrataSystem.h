#ifndef CSTRATA_SYSTEM_H
#define CSTRATA_SYSTEM_H

#include <stddef.h>
#include <stdint.h>

/// `O_DIRECT` for open(2), or 0 where the platform has none (then callers write through the
/// page cache). Swift's Glibc module does not export it: it is defined only under _GNU_SOURCE.
int cstrata_o_direct(void);

/// `O_TMPFILE` for openat(2) (an unnamed file in a directory, given a name later with
/// linkat(2)), or 0 where the platform has none. Defined only under _GNU_SOURCE.
int cstrata_o_tmpfile(void);

/// `AT_EMPTY_PATH` for linkat(2) (link the descriptor itself), or 0 where the platform has
/// none. Defined only under _GNU_SOURCE.
int cstrata_at_empty_path(void);

#endif
