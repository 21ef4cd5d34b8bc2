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

int cstrata_o_tmpfile(void) {
#ifdef O_TMPFILE
    return O_TMPFILE;
#else
    return 0;
#endif
}

int cstrata_at_empty_path(void) {
#ifdef AT_EMPTY_PATH
    return AT_EMPTY_PATH;
#else
    return 0;
#endif
}
