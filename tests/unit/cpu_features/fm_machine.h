/*
 * A tiny flat 64-bit machine for the CPU-model and POPF tests: 1 MiB of
 * RAM, identity-mapped 4 KiB pages for the first 2 MiB (user-accessible),
 * the CPU in long mode at CPL 0 or 3 with flat segments, code at FM_CODE
 * followed by int3 bytes, RSP at FM_STACK (CPL 3) or FM_KSTACK (CPL 0).
 * fm_run() runs until the first exception and returns its vector (3 at the int3
 * terminator).
 */
#ifndef XLAT_TESTS_FM_MACHINE_H
#define XLAT_TESTS_FM_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "tcg/tcg.h"

#define FM_CODE 0x10000ull
#define FM_STACK 0x80000ull
#define FM_DATA 0x40000ull
#define FM_KSTACK 0x90000ull /* RSP at CPL 0: a supervisor page below */

typedef struct FmMachine {
    MemRegion *root, *ram;
    AddrSpace *as;
    CpuX86 *env;
    TcgCtx *tcg;
    uint8_t *mem;
} FmMachine;

/* features: the CPU model mask (0: every feature) */
void fm_new(FmMachine *m, TcgBackendKind backend, unsigned cpl,
            uint64_t features);
void fm_free(FmMachine *m);
/* copy code to FM_CODE, RIP there; run; the vector of the exception */
int fm_run(FmMachine *m, const uint8_t *code, size_t len);
/* RFLAGS of the CPU */
uint64_t fm_rflags(const FmMachine *m);

static const TcgBackendKind fm_backends[] = {TCG_BACKEND_JIT,
                                             TCG_BACKEND_INTERP};

#endif
