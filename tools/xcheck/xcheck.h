/*
 * xcheck internals: one comparison result, the errata rules read from
 * capstone_errata.txt, and the counters printed at the end of a run.
 */
#ifndef XLAT_TOOLS_XCHECK_H
#define XLAT_TOOLS_XCHECK_H

#include <capstone/capstone.h>
#include <stdint.h>

#include "cpu/decode.h"

enum { XC_AGREE, XC_ERRATUM, XC_MISMATCH };

typedef struct XcResult {
    X86Mode mode;
    uint8_t bytes[16];
    int x_valid, c_valid;
    unsigned x_len, c_len;
    const char *x_status; /* "#UD", "#GP" when not valid */
    char x_name[40];
    char c_text[200];
    char key[96];    /* e.g. "0f 1e pfx=f3 reg=7 mod=r" */
    const char *why; /* "cs_only", "xlat_only", "len", "mnem" */
    int verdict;
    int rule; /* matching errata rule or -1 */
} XcResult;

typedef struct XcErrata XcErrata;

typedef struct XcStats {
    uint64_t agree_valid, agree_invalid, errata, fail;
    uint64_t *rule_hits; /* per errata rule */
} XcStats;

XcErrata *xc_errata_load(const char *path);
void xc_errata_free(XcErrata *er);
void xc_compare(XcResult *x, csh cs);
void xc_tally(XcStats *st, XcResult *x, const XcErrata *er);
void xc_print_stats(const XcStats *st, const char *mode, uint64_t count,
                    uint64_t seed, const XcErrata *er);

#endif
