/*
 * tools/sysfuzz: differential fuzzing of system (CPL 0) code, JIT against
 * the IR interpreter, on a small machine with random descriptor tables
 * and page tables (issue 13, "the guest is hostile").
 *
 * A case is made from one seed (sf_gen): a RAM image holding a GDT, an
 * LDT, an IDT (or the real-mode IVT), two TSSs, handlers that record the
 * vector in AL and halt, page tables for one paging mode, and a page of
 * random code biased toward system instructions; and the initial CPU
 * state for one mode. sf_run runs it on a fresh machine with exception
 * delivery on until HLT, a triple fault or the budget, and takes the
 * final architectural state, which the two backends must agree on.
 */
#ifndef XLAT_TOOLS_SYSFUZZ_H
#define XLAT_TOOLS_SYSFUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "tcg/tcg.h"

/* guest physical layout (identity-mapped where paging is on) */
#define SF_RAM (2u << 20)
#define SF_IVT 0x0000u
#define SF_GDT 0x1000u
#define SF_LDT 0x2000u
#define SF_IDT 0x3000u
#define SF_TSS_A 0x4000u /* + I/O bitmap up to 0x6000 */
#define SF_TSS_B 0x7000u
#define SF_HANDLERS 0x8000u /* 16 bytes per vector */
#define SF_STUBS 0x9000u    /* SYSCALL/SYSENTER/gate targets */
#define SF_NEXT 0xc000u     /* u16 per code byte: the next unit's offset */
#define SF_FAULTS 0xe000u   /* faults the handlers took */
#define SF_MAX_FAULTS 12u
#define SF_CODE 0x10000u
#define SF_CODE_SIZE 0x1000u
#define SF_DATA 0x20000u
#define SF_DATA_SIZE 0x10000u
#define SF_USTACK 0x6f000u
#define SF_KSTACK 0x7f000u
#define SF_PT_POOL 0x100000u
#define SF_PT_PAGES 16u

typedef enum SfMode {
    SF_REAL,
    SF_PROT16,
    SF_PROT32,
    SF_V86,
    SF_LONG64,
    SF_COMPAT,
    SF_MODE_COUNT
} SfMode;

typedef enum SfPaging {
    SF_PG_NONE,
    SF_PG_32,
    SF_PG_PAE,
    SF_PG_4L,
    SF_PG_5L,
    SF_PG_COUNT
} SfPaging;

typedef enum SfExit {
    SF_EXIT_HLT,
    SF_EXIT_TRIPLE,
    SF_EXIT_BUDGET, /* exits or wall clock ran out: not compared */
    SF_EXIT_OTHER,  /* an undelivered exception or unexpected exit */
    SF_EXIT_COUNT
} SfExit;

/* the architectural state the CPU starts from and ends in */
typedef struct SfState {
    uint64_t regs[16], rip, rflags;
    SegCache segs[CPU_NB_SEGS], ldt, tr;
    DtReg gdt, idt;
    uint64_t cr[9], efer, dr[8];
    CpuMsrs msr;
    uint64_t hflags; /* derived, but a difference there is a bug too */
} SfState;

#define SF_MAX_INSNS 256

typedef struct SfCase {
    uint64_t seed;
    SfMode mode;
    SfPaging paging;
    uint64_t features; /* the CPU model (0: every feature) */
    uint32_t pt_leaf;  /* the first space's page table for [0, 2 MiB) */
    uint64_t cr3_b;    /* a second space */
    uint8_t *ram;      /* SF_RAM bytes */
    SfState init;
    /* the code's instructions (for shrinking): offsets in the code page */
    uint16_t insn_off[SF_MAX_INSNS], insn_len[SF_MAX_INSNS];
    unsigned n_insns;
} SfCase;

typedef struct SfResult {
    SfExit exit;
    SfState st;
    uint64_t ram_hash;
    uint32_t faults;       /* the handlers' count */
    uint64_t tbs, flushes; /* translations, full code-buffer flushes */
    bool halted;
} SfResult;

/* generation (gen_tables.c, gen_code.c); rng state is the case's */
typedef struct SfRng {
    uint64_t s;
} SfRng;

uint64_t sf_rnd(SfRng *r);
unsigned sf_rn(SfRng *r, unsigned n);
bool sf_chance(SfRng *r, unsigned percent);

/* allocate and build the case of seed (mode < 0: random) */
void sf_gen(SfCase *c, uint64_t seed, int mode);
void sf_case_free(SfCase *c);
/* the tables, page tables and initial state (gen_tables.c) */
void sf_gen_tables(SfCase *c, SfRng *r);
/* the code page (gen_code.c): n_insns instructions then HLT */
void sf_gen_code(SfCase *c, SfRng *r);

/* run c on a fresh machine with backend (run.c); ms: wall-clock guard */
void sf_run(const SfCase *c, TcgBackendKind backend, unsigned ms,
            SfResult *out);
/* print the differences of a and b to stdout; false if none */
bool sf_compare(const SfResult *a, const SfResult *b, bool print);
void sf_watchdog_start(void);
extern const char *sf_dump_prefix;

extern const char *const sf_mode_names[SF_MODE_COUNT];
extern const char *const sf_paging_names[SF_PG_COUNT];
extern const char *const sf_exit_names[SF_EXIT_COUNT];

#endif
