/*
 * The xlat side of the difftest: run a DtCase through cpu_exec() on a
 * CpuX86 in flat 64-bit user mode (CPL 3, CS.L) whose page tables map the
 * code and data regions at the addresses the native oracle uses, with the
 * JIT or the interpreter backend, until the int3 terminator or the first
 * exception, and report a DtResult like dt_native_run() does.
 */
#ifndef XLAT_DIFFTEST_XLAT_RUN_H
#define XLAT_DIFFTEST_XLAT_RUN_H

#include "native.h"
#include "tcg/tcg.h"

/* 0 with *out filled, -1 if the case does not fit (too long) */
int dt_xlat_run(const DtCase *c, TcgBackendKind backend, DtResult *out);

/*
 * Compare two results: exception, #PF address and error bits (unless
 * undef_flags has DT_UNDEF_PF_WHICH), registers, RIP, data and RFLAGS
 * outside undef_flags. Prints each difference to f
 * (if not NULL) and returns how many there are.
 */
int dt_result_diff(const DtResult *a, const DtResult *b, uint32_t undef_flags,
                   FILE *f);

#endif
