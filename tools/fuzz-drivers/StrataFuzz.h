// C declarations of the entry points Sources/StrataFuzzTargets exports with @_cdecl, imported by
// FuzzDriver.swift with -import-objc-header so the driver needs none of the package's modules.
#include <stddef.h>

int strata_fuzz_select(const char *name);
void strata_fuzz_run(const unsigned char *data, long size);
