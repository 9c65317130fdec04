/*
 * A tiny flat 64-bit machine for the CPU unit tests (CPU model, POPF and
 * privilege rules, flag translation): 2 MiB of RAM identity-mapped with
 * 4 KiB user pages (page tables at 0x1000-0x4fff stay unmapped, the kernel
 * stack page is supervisor-only, TM_HOLE is not mapped so an access there
 * raises #PF), the CPU in long mode at CPL 0 or 3 with flat segments, code
 * at TM_CODE followed by int3 bytes, RSP at TM_STACK (CPL 3) or TM_KSTACK
 * (CPL 0). tm_run() runs until the first exception and returns its vector
 * (3 at the int3 terminator).
 */
#ifndef XLAT_TESTS_TINY_MACHINE_H
#define XLAT_TESTS_TINY_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "tcg/tcg.h"

#define TM_CODE 0x10000ull
#define TM_STACK 0x80000ull
#define TM_DATA 0x40000ull
#define TM_KSTACK 0x90000ull /* RSP at CPL 0: a supervisor page below */
#define TM_HOLE 0xa0000ull   /* not mapped */

typedef struct TinyMachine {
    MemRegion *root, *ram;
    AddrSpace *as;
    CpuX86 *env;
    TcgCtx *tcg;
    uint8_t *mem;
} TinyMachine;

/* features: the CPU model mask (0: every feature) */
void tm_new(TinyMachine *m, TcgBackendKind backend, unsigned cpl,
            uint64_t features);
void tm_free(TinyMachine *m);
/* copy code to TM_CODE, RIP there; run; the vector of the exception */
int tm_run(TinyMachine *m, const uint8_t *code, size_t len);
/*
 * The code page through the address space (blocks of earlier code there
 * go): tm_code_clear fills it with int3, tm_code_put writes bytes at
 * TM_CODE + off. tm_run_until_halt runs from rip with cpu_exec until HLT
 * (0), a triple fault (-2) or 100 exits without either (-1).
 */
void tm_code_clear(TinyMachine *m);
void tm_code_put(TinyMachine *m, uint64_t off, const void *code, size_t len);
int tm_run_until_halt(TinyMachine *m, uint64_t rip);

/* RFLAGS of the CPU */
uint64_t tm_rflags(const TinyMachine *m);

/*
 * A further vCPU on the same memory and translator context, in the same
 * mode as the first but with page tables at cr3 (the caller builds them);
 * tm_run_cpu runs it (or m->env) from rip to its first exception.
 */
CpuX86 *tm_new_cpu(TinyMachine *m, uint64_t cr3);
/* a copy of the four page tables at 0x1000 to dst (pointers rebased) */
void tm_copy_page_tables(TinyMachine *m, uint64_t dst);
/* the same in a translator context of its own (another thread runs it) */
CpuX86 *tm_new_cpu_in(TinyMachine *m, uint64_t cr3, TcgCtx *ctx);
void tm_free_cpu(CpuX86 *env);
int tm_run_cpu(CpuX86 *env, uint64_t rip);

static const TcgBackendKind tm_backends[] = {TCG_BACKEND_JIT,
                                             TCG_BACKEND_INTERP};

#endif
