/*
 * Shrinking a failing difftest sequence to a minimal reproducer. The
 * shrinker replaces instructions by one-byte NOPs (0x90) of the same total
 * length, so every other instruction keeps its address and every branch its
 * target, and keeps a replacement whenever the caller's predicate says the
 * sequence still fails. The result is 1-minimal: putting back any one
 * removed instruction is not needed for the failure, removing any one kept
 * instruction makes it go away.
 */
#ifndef XLAT_DIFFTEST_SHRINK_H
#define XLAT_DIFFTEST_SHRINK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "gen.h"

/* true if the sequence (with NOPs in it) still shows the failure */
typedef bool (*DtShrinkFails)(const DtGenSeq *seq, void *opaque);

/*
 * Shrink *seq in place (removed instructions become NOP bytes). keep[i]
 * says whether instruction i is still there. Runs the predicate at most
 * max_runs times. Returns the number of instructions kept.
 */
unsigned dt_shrink(DtGenSeq *seq, bool keep[DT_GEN_MAX_INSNS],
                   DtShrinkFails fails, void *opaque, unsigned max_runs);

/* the kept instructions, one per line, at their addresses */
void dt_shrink_print(const DtGenSeq *seq, const bool *keep, FILE *f);

#endif
