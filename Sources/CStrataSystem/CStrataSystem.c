#define _GNU_SOURCE
#include <fcntl.h>
#include "CStrataSystem.h"

int cstrata_o_direct(void) {
#ifdef O_DIRECT
    return O_DIRECT;
#else
    return 0;
#endif
}
