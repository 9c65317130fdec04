/*
 * A tiny 64-bit user-mode machine for the flag translation tests: 2 MiB of
 * RAM identity-mapped with user pages (page tables at 0x1000-0x4fff, the
 * page at FL_HOLE left unmapped so a load from it raises #PF), code at
 * FL_CODE followed by int3 bytes. fl_ir() runs a snippet with `-d op_opt`
 * logged to a temporary file and returns the optimized IR of the first
 * block as text, so tests can assert on which ops the translator emitted.
 */
#ifndef XLAT_TESTS_FL_MACHINE_H
#define XLAT_TESTS_FL_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "tcg/tcg.h"

#define FL_CODE 0x10000ull
#define FL_DATA 0x40000ull
#define FL_STACK 0x80000ull
#define FL_HOLE 0xa0000ull /* not mapped */

typedef struct FlMachine {
    MemRegion *root, *ram;
    AddrSpace *as;
    CpuX86 *env;
    TcgCtx *tcg;
    uint8_t *mem;
} FlMachine;

void fl_new(FlMachine *m, TcgBackendKind backend);
void fl_free(FlMachine *m);
/* code at FL_CODE, RIP there; run to the first exception: its vector */
int fl_run(FlMachine *m, const uint8_t *code, size_t len);
/* run code on a fresh JIT machine; the first block's optimized IR (free
   it); *vector: the exception the run ended with */
char *fl_ir(const uint8_t *code, size_t len, int *vector);
/* occurrences of needle in text */
unsigned fl_count(const char *text, const char *needle);

#endif
