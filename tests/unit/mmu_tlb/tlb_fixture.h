/*
 * Fixture of the softmmu TLB tests (tlb_fixture.c): a system address space
 * with 16 MiB of RAM, one recording MMIO page and one ROM page; a CpuX86 in
 * 4-level paging whose page tables are built in that RAM; a #PF callback
 * that records the fault and longjmps back into the test; and the fast
 * path exactly as generated code runs it.
 */
#ifndef XLAT_TEST_TLB_FIXTURE_H
#define XLAT_TEST_TLB_FIXTURE_H

#include <setjmp.h>

#include "cpu/cpu.h"
#include "mmu/tlb.h"

#define RAM_SIZE (16ull << 20)
#define TABLES 0xc00000ull      /* page tables come from here */
#define MMIO_BASE 0x10000000ull /* one recording MMIO page */
#define ROM_BASE 0x10100000ull  /* one page of ROM */
#define PTE_RWU (WALK_PTE_P | WALK_PTE_RW | WALK_PTE_US)
#define PTE_RU (WALK_PTE_P | WALK_PTE_US)
#define PTE_K (WALK_PTE_P | WALK_PTE_RW) /* supervisor only */

extern AddrSpace *as;
extern MemRegion *ram;
extern CpuX86 *env;

/* the MMIO page's log */
typedef struct MmioLog {
    int reads, writes;
    uint64_t addr, val;
    unsigned size;
} MmioLog;
extern MmioLog mmio;

/* the last #PF */
extern sigjmp_buf fault_jmp;
extern volatile int nfaults;
extern volatile uint64_t fault_cr2;
extern volatile uint32_t fault_err;

/* code-write hook calls */
extern int code_writes;

/* 4-level mapping of va; size 4 KiB or 2 MiB; returns the leaf's address */
uint64_t map_page(uint64_t va, uint64_t pa, uint64_t size, uint64_t flags);

/* memop for a size in bytes and an MMU index */
uint32_t mo(unsigned bytes, unsigned mmu);

/* the generated-code fast path: host pointer on a hit, else NULL */
void *fast_path(unsigned mmu, uint64_t va, unsigned bytes, bool write);

/* run stmt; true if it raised #PF (then fault_cr2/fault_err are set) */
#define RAISES_PF(stmt)                                                        \
    ({                                                                         \
        volatile bool raised_ = false;                                         \
        if (sigsetjmp(fault_jmp, 0)) {                                         \
            raised_ = true;                                                    \
        } else {                                                               \
            stmt;                                                              \
        }                                                                      \
        raised_;                                                               \
    })

#endif
