/*
 * The softmmu TLB behind the generated-code fast path (tcg/tcg.h contract).
 *
 * Per vCPU and MMU index, a direct-mapped table of TlbEntry tags: the page
 * address, plus low tag bits that force the slow path (TLB_MMIO: not plain
 * RAM for this access, go through the AddrSpace; TLB_CODE: the page holds
 * translated code, writes must invalidate). An unfilled tag is all-ones.
 * Behind it: an 8-entry victim TLB per index, then a second-level TLB of
 * completed walk results (4 KiB pages and, separately, large pages), and
 * only then the guest page tables (mmu/walk.h). Fills look the physical
 * page up with as_find() in the space the CPU sees (cpu_mem_as: SMRAM
 * shown in SMM).
 * tlb_ld_slow/tlb_st_slow are the TcgLdSlowFn/TcgStSlowFn of the JIT.
 *
 * Contexts: all of the above, for every MMU index, makes one TlbCtx, the
 * translations of one address-space tag (a PCID; later VPID and EPTP
 * too). A vCPU keeps up to TLB_CONTEXTS of them and env->tlb_fast points
 * at the current one's tables, so a switch is a pointer change and a tag
 * that comes back finds its entries. Entries of global pages (PTE.G with
 * CR4.PGE) survive tlb_flush_nonglobal(). Flushes cost what was filled:
 * each table logs the slots it filled since it was last empty and clears
 * only those (a memset only once the log overflows).
 */
#ifndef XLAT_MMU_TLB_H
#define XLAT_MMU_TLB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mmu/walk.h"
#include "tcg/tcg.h"

typedef struct CpuX86 CpuX86;

/*
 * MMU indexes (IR memop mmu field). KERNEL: CPL 0-2, SMAP enforced when
 * CR4.SMAP is on; USER: CPL 3; KNOSMAP: CPL 0-2 with RFLAGS.AC = 1 (SMAP
 * overridden). The same three again for a VMX non-root guest (L2).
 */
enum {
    MMU_IDX_KERNEL = 0,
    MMU_IDX_USER = 1,
    MMU_IDX_KNOSMAP = 2,
    MMU_IDX_NESTED = 3, /* + one of the above */
    MMU_IDX_COUNT = 6,
};
_Static_assert(MMU_IDX_COUNT <= TCG_MAX_MMU, "too many MMU indexes");

/* tag bits below the page (any of them forces the slow path) */
#define TLB_INVALID_TAG (~0ull) /* matches no access */
#define TLB_MMIO 0x800ull       /* MMIO, unassigned, ROM write, sub-page */
#define TLB_CODE 0x400ull       /* addr_write only: page has translated code */
#define TLB_NOTDIRTY                                                           \
    0x200ull /* addr_write only: a logging client's bit is                     \
                clear (mr_set_dirty_log): mark on store */
/* addr_read/addr_write: a watchpoint of that kind lies on the page */
#define TLB_WATCH 0x100ull
#define TLB_FLAGS_MASK (TCG_PAGE_SIZE - 1)

/*
 * First-level size by use: a table doubles (up to TLB_ENTRIES_MAX) once
 * it has evicted as many live entries as it holds since its last flush or
 * resize, and halves (down to TLB_ENTRIES_DEFAULT) after TLB_SHRINK_FLUSHES
 * flushes in a row that found fewer than 1/8 of its entries in use.
 */
#define TLB_ENTRIES_DEFAULT 1024
#define TLB_ENTRIES_MAX 16384
#define TLB_SHRINK_FLUSHES 8
#define TLB_VICTIM_SIZE 8
#define TLB_L2_SMALL 4096 /* second level: 4 KiB pages, direct-mapped */
#define TLB_L2_LARGE 256  /* second level: large pages, by 2 MiB index */
#define TLB_LP_RANGES 4   /* large-page ranges kept apart for INVLPG */

/* raises #PF: must not return (longjmp or tcg_exit_to_dispatcher) */
typedef void TlbFaultFn(CpuX86 *env, uint64_t vaddr, uint32_t error_code,
                        uintptr_t retaddr);
/* replaces the page walk (tests, EPT later); mmu_idx tells the privilege */
typedef WalkStatus TlbWalkFn(CpuX86 *env, uint64_t vaddr, WalkAccess acc,
                             unsigned mmu_idx, WalkResult *out);

/*
 * Called by tlb_st_slow before it writes len bytes at physical address phys
 * of a code-protected page (TLB_CODE), once per page touched. It may
 * unwind (tcg_exit_to_dispatcher) to have the store's instruction run
 * again: nothing is written then. If it returns, the store goes through
 * as_st, whose code-write hook invalidates the translated blocks.
 */
typedef void TlbCodeWriteFn(CpuX86 *env, uint64_t phys, unsigned len,
                            uintptr_t retaddr);

/*
 * Watchpoints (the debugger's): virtual ranges whose reads and/or writes
 * call TlbWatchFn before the access is made. It may unwind (a debug stop,
 * restarting the instruction later); if it returns, the access goes on.
 * The pages of a watchpoint carry TLB_WATCH in the watched kind's tag, so
 * only accesses to those pages leave the fast path.
 */
#define TLB_MAX_WATCH 8
#define TLB_WATCH_R 1u
#define TLB_WATCH_W 2u
typedef struct TlbWatch {
    uint64_t vaddr, len;
    unsigned flags; /* TLB_WATCH_R | TLB_WATCH_W */
} TlbWatch;
typedef void TlbWatchFn(CpuX86 *env, uint64_t vaddr, unsigned size, bool write,
                        uintptr_t retaddr);

/*
 * A second-level entry: one completed walk. It is valid when gen equals
 * its table's l2_gen, or l2_ggen for a global page (a flush bumps l2_gen,
 * a full one both), and serves an access acc when perm has acc's
 * WALK_PERM_* bit (W only once the walk saw the leaf dirty).
 */
typedef struct TlbL2Entry {
    uint64_t vbase; /* virtual base of the page (page_size aligned) */
    uint64_t pbase; /* physical base, before the A20 mask */
    uint32_t gen;
    uint8_t shift; /* log2 of the page size */
    uint8_t perm;  /* WALK_PERM_* */
    bool global;   /* PTE.G under CR4.PGE */
} TlbL2Entry;

/* low bit of TlbTable.phys / victim_phys: the slot maps a global page */
#define TLB_PHYS_GLOBAL 1ull

typedef struct TlbTable {
    TlbEntry *entries; /* also env->tlb_fast[idx].table when current */
    uint64_t *phys;    /* per entry: physical page | TLB_PHYS_GLOBAL */
    uint32_t nentries; /* power of two */
    uint32_t victim_next;
    uint32_t evictions;    /* live entries replaced since flush/resize */
    uint32_t idle_flushes; /* flushes in a row with little use */
    /* slots filled since the table was last empty; nfilled > the log's
     * size (nentries / TLB_LOG_DIV) means it overflowed: flushes scan */
    uint32_t *filled;
    uint32_t nfilled;
    TlbEntry victim[TLB_VICTIM_SIZE];
    uint64_t victim_vpage[TLB_VICTIM_SIZE];
    uint64_t victim_phys[TLB_VICTIM_SIZE]; /* | TLB_PHYS_GLOBAL */
    /* up to TLB_LP_RANGES aligned ranges covering every large page filled
     * since the flush (a new page widens the nearest when all are used) */
    uint64_t lp_addr[TLB_LP_RANGES], lp_mask[TLB_LP_RANGES];
    uint32_t l2_gen;      /* current generation of the second level */
    uint32_t l2_ggen;     /* the same for its global entries */
    TlbL2Entry *l2_small; /* TLB_L2_SMALL entries */
    TlbL2Entry *l2_large; /* TLB_L2_LARGE entries */
} TlbTable;

#define TLB_LOG_DIV 4  /* fill log: a quarter of the table's slots */
#define TLB_CONTEXTS 8 /* address-space tags a vCPU keeps at once */
#define TLB_TAG_NONE (~0ull)

/* the translations of one address-space tag, for every MMU index */
typedef struct TlbCtx {
    uint64_t tag;   /* PCID (VPID/EPTP later); TLB_TAG_NONE: free */
    uint64_t stamp; /* last made current (least recent is reused) */
    bool stale;     /* flushed while inactive: cleared when made current */
    TlbTable t[MMU_IDX_COUNT];
} TlbCtx;

typedef struct TlbStats {
    uint64_t fills;       /* entries filled after a walk */
    uint64_t walks;       /* page walks (including faulting ones) */
    uint64_t misses;      /* first-level misses (main table) */
    uint64_t victim_hits; /* misses served by the victim TLB */
    uint64_t l2_hits;     /* victim misses served by the second level */
    uint64_t slow_ld, slow_st;
    uint64_t mmio;        /* accesses dispatched to the AddrSpace */
    uint64_t dirty_marks; /* stores of them that marked dirty bitmaps */
    uint64_t faults;
    uint64_t flushes, page_flushes;
    uint64_t nonglobal_flushes;    /* tlb_flush_nonglobal and switches */
    uint64_t switches, ctx_reuses; /* tag switches; contexts recycled */
    uint64_t lazy_flushes;   /* stale contexts cleared when made current */
    uint64_t grows, shrinks; /* first-level resizes */
} TlbStats;

typedef struct CpuTlb {
    TlbCtx *ctx[TLB_CONTEXTS]; /* allocated on first use */
    TlbCtx *cur;               /* what env->tlb_fast points at */
    uint64_t stamp;
    TlbStats stats;
    TlbFaultFn *fault; /* NULL: record in env and tcg_exit_to_dispatcher */
    TlbWalkFn *walk;   /* NULL: walk_translate() on cpu_mem_as */
    TlbCodeWriteFn *code_write; /* NULL: plain as_st */
    TlbWatchFn *watch_hit;      /* NULL: watchpoints are ignored */
    TlbWatch watch[TLB_MAX_WATCH];
    unsigned nwatch;
} CpuTlb;

/* allocate context 0 (tag 0, current) and flush; free every context */
void tlb_init(CpuX86 *env);
void tlb_destroy(CpuX86 *env);

/*
 * Flushes. Each one also drops the vCPU's jump cache (tcg.h), whose
 * entries were looked up under the mappings flushed.
 *  - tlb_flush: everything, every context, global pages too (CR4.PGE or
 *    CR4.PCIDE toggled, INVPCID all-contexts with globals).
 *  - tlb_flush_nonglobal: the current context but its global pages (MOV
 *    CR3 without PCID, or with PCID and bit 63 clear).
 *  - tlb_flush_mmuidx: one MMU index of every context.
 *  - tlb_flush_page: the page in every context and MMU index (INVLPG;
 *    SDM: it drops global entries for every PCID too); the whole index if
 *    vaddr is in a large page filled there.
 */
void tlb_flush(CpuX86 *env);
void tlb_flush_nonglobal(CpuX86 *env);
void tlb_flush_mmuidx(CpuX86 *env, unsigned mmu_idx);
void tlb_flush_page(CpuX86 *env, uint64_t vaddr);

/*
 * Make tag's context current (MOV CR3 with CR4.PCIDE: tag = PCID; VM
 * entry/exit later). A tag not held takes a free context, else the least
 * recently used one, flushed whole. flush: also drop the context's
 * non-global entries (MOV CR3 with bit 63 clear).
 */
void tlb_switch(CpuX86 *env, uint64_t tag, bool flush);
/* drop the non-global entries of tag's context, if held (INVPCID single) */
void tlb_flush_tag(CpuX86 *env, uint64_t tag);

/* TcgConfig.ld_slow / st_slow; values are zero-extended, memop per ir.h */
uint64_t tlb_ld_slow(void *env, uint64_t vaddr, uint32_t memop,
                     uintptr_t retaddr);
void tlb_st_slow(void *env, uint64_t vaddr, uint64_t val, uint32_t memop,
                 uintptr_t retaddr);

/*
 * Make `vaddr` accessible for acc (fill on a miss, raise #PF on a fault)
 * and return the host pointer of that byte, or NULL if the page is not
 * plain RAM for that access (MMIO, ROM write, code-protected write).
 */
void *tlb_probe(CpuX86 *env, uint64_t vaddr, WalkAccess acc, unsigned mmu_idx,
                uintptr_t retaddr);
/* physical address of a code byte (fills addr_code; raises #PF) */
uint64_t tlb_code_phys(CpuX86 *env, uint64_t vaddr, unsigned mmu_idx,
                       uintptr_t retaddr);

/*
 * The physical page of the code page at vaddr if the TLB holds it for
 * fetches (main table or victim), without walking or raising; false if not.
 */
bool tlb_code_page_cached(CpuX86 *env, uint64_t vaddr, unsigned mmu_idx,
                          uint64_t *phys_page);

/*
 * Code protection after the fill: the first TB on a physical page
 * (TcgConfig.code_page_added, after mr_set_code) tags every entry mapping
 * it; when its last TB is gone (after mr_clear_code) the tag is removed.
 */
void tlb_protect_code(CpuX86 *env, uint64_t phys_page);
void tlb_unprotect_code(CpuX86 *env, uint64_t phys_page);

/*
 * Dirty logging (MemDirtyResetFn's job): tag TLB_NOTDIRTY on every entry
 * whose page lies in host RAM [host, host + len), so its next store goes
 * through the slow path, which marks the bitmaps and drops the tag again.
 */
void tlb_reset_dirty(CpuX86 *env, const uint8_t *host, uint64_t len);

/* add or remove a watchpoint (len >= 1); false if full / not found */
bool tlb_watch_insert(CpuX86 *env, uint64_t vaddr, uint64_t len,
                      unsigned flags);
bool tlb_watch_remove(CpuX86 *env, uint64_t vaddr, uint64_t len,
                      unsigned flags);

void tlb_stats_print(const CpuX86 *env, FILE *out);

#endif
