/*
 * src/tcg/tcg.h: the public API the guest front end uses.
 *
 * The front end fills a TcgConfig (env layout offsets, softmmu slow paths,
 * its translate/restore callbacks), creates one TcgCtx and one TcgCpu per
 * vCPU, registers its globals, and calls tcg_exec() in its run loop.
 * tcg/ knows nothing about the guest architecture (DESIGN section 3).
 *
 * Softmmu fast-path contract (every backend implements exactly this):
 *   TlbFast *f = env + tlb_fast_off + mmu_idx * sizeof(TlbFast);
 *   TlbEntry *e = (char *)f->table + ((vaddr >> TCG_TLB_INDEX_SHIFT) &
 * f->mask); cmp = (vaddr + size - 1) & TCG_PAGE_MASK;      (page of the last
 * byte) hit if cmp == e->addr_read (loads) / e->addr_write (stores, atomics)
 *   host = vaddr + e->addend
 * so an access crossing a page misses, and any bit below bit 12 set in the
 * entry (invalid, MMIO, code-protect, watchpoint...) forces the slow path.
 * f->mask = (entries - 1) * sizeof(TlbEntry); entries is a power of two.
 */
#ifndef XLAT_TCG_TCG_H
#define XLAT_TCG_TCG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tcg/ir.h"
#include "util/common.h"

#define TCG_PAGE_BITS 12
#define TCG_PAGE_SIZE (1ull << TCG_PAGE_BITS)
#define TCG_PAGE_MASK (~(TCG_PAGE_SIZE - 1))
#define TCG_TLB_INDEX_SHIFT (TCG_PAGE_BITS - 5)
#define TCG_MAX_MMU 64

typedef struct TlbEntry {
    uint64_t addr_read;
    uint64_t addr_write;
    uint64_t addr_code;
    uintptr_t addend;
} TlbEntry;
_Static_assert(sizeof(TlbEntry) == 32, "TlbEntry must be 32 bytes");
_Static_assert(offsetof(TlbEntry, addr_write) == 8, "TlbEntry layout");
_Static_assert(offsetof(TlbEntry, addend) == 24, "TlbEntry layout");

typedef struct TlbFast {
    uintptr_t mask; /* (entries - 1) * 32 */
    TlbEntry *table;
} TlbFast;
_Static_assert(sizeof(TlbFast) == 16, "TlbFast layout");

static inline TlbEntry *tcg_tlb_entry(const TlbFast *f, uint64_t vaddr)
{
    uintptr_t off = (uintptr_t)(vaddr >> TCG_TLB_INDEX_SHIFT) & f->mask;
    return (TlbEntry *)((char *)f->table + off);
}

/* the value compared against addr_read/addr_write */
static inline uint64_t tcg_tlb_cmp(uint64_t vaddr, unsigned size)
{
    return (vaddr + size - 1) & TCG_PAGE_MASK;
}

/*
 * Jump cache: per vCPU, direct-mapped by guest pc, probed inline by
 * GOTO_PTR (the target must have the current TB's cs_base and flags). An
 * entry is live only while its gen equals the cache's: every change of the
 * guest's mappings (TLB flush, INVLPG, a context switch) bumps the
 * generation with tcg_jc_invalidate(), so a hit is a block that the
 * dispatcher looked up, physical page included, under the mapping in force.
 */
#define TCG_JC_BITS 12
#define TCG_JC_SIZE (1u << TCG_JC_BITS)
struct Tb;
typedef struct TcgJcEntry {
    uint64_t pc;
    uint64_t cs_base;
    uint32_t flags;
    uint32_t gen;  /* live iff == TcgJcRef.gen (never 0) */
    struct Tb *tb; /* code at tb->code */
} TcgJcEntry;
_Static_assert(sizeof(TcgJcEntry) == 32, "TcgJcEntry layout");

/* in env at TcgConfig.jc_off (generated code reads both fields) */
typedef struct TcgJcRef {
    TcgJcEntry *entries; /* TCG_JC_SIZE, set by tcg_cpu_new */
    uint32_t gen;        /* current generation, >= 1 */
    uint32_t pad;
} TcgJcRef;
_Static_assert(sizeof(TcgJcRef) == 16, "TcgJcRef layout");

/* drop every entry (a generation bump; O(1) but on wrap-around) */
void tcg_jc_invalidate(TcgJcRef *jc);

static inline uint32_t tcg_jc_hash(uint64_t pc)
{
    return (uint32_t)(pc ^ (pc >> TCG_JC_BITS)) & (TCG_JC_SIZE - 1);
}

/* what identifies a TB; phys_pc is filled by the dispatcher */
typedef struct TbKey {
    uint64_t pc;
    uint64_t cs_base;
    uint32_t flags;
    uint64_t phys_pc;
} TbKey;

/* filled by the front end's translate callback */
typedef struct TcgTbDesc {
    TbKey key;           /* input */
    uint32_t max_insns;  /* input: stop after this many insns (0: no limit) */
    uint32_t size;       /* guest bytes covered */
    uint32_t icount;     /* guest instructions */
    uint64_t phys_page2; /* physical page of the second page, or ~0 */
} TcgTbDesc;
#define TCG_NO_PAGE (~0ull)

typedef uint64_t TcgLdSlowFn(void *env, uint64_t vaddr, uint32_t memop,
                             uintptr_t retaddr);
typedef void TcgStSlowFn(void *env, uint64_t vaddr, uint64_t val,
                         uint32_t memop, uintptr_t retaddr);

typedef struct TcgFrontend {
    /* current pc/cs_base/flags of env (phys_pc is ignored) */
    void (*get_key)(void *env, TbKey *key);
    /* physical address of the code byte at key->pc; may raise */
    uint64_t (*code_phys)(void *env, const TbKey *key);
    /* emit IR for the block at desc->key into f; may raise */
    void (*translate)(void *env, IrFunc *f, TcgTbDesc *desc);
    /* set env to the state at the start of the insn (insn_start words) */
    void (*restore_state)(void *env, const uint64_t *words);
    /* optional logging: `-d in_asm` for a new block, `-d cpu` state */
    void (*log_in_asm)(void *env, const TcgTbDesc *desc, FILE *f);
    void (*log_cpu)(void *env, FILE *f);
    /* optional: physical page now mapped at the second code page of a
     * block at key that spans two (TcgTbDesc.phys_page2); may raise */
    uint64_t (*code_phys_page2)(void *env, const TbKey *key, uint32_t size);
} TcgFrontend;

typedef enum TcgBackendKind {
    TCG_BACKEND_JIT,
    TCG_BACKEND_INTERP
} TcgBackendKind;

typedef struct TcgConfig {
    TcgBackendKind backend;
    size_t code_size;         /* 0: 64 MiB; clamped to [1 MiB, 1 GiB] */
    int32_t exit_request_off; /* env: int32_t, negative = leave at TB entry */
    int32_t tlb_fast_off;     /* env: TlbFast[nb_mmu] */
    uint32_t nb_mmu;          /* <= TCG_MAX_MMU */
    int32_t jc_off;           /* env: TcgJcRef, set by tcg_cpu_new */
    TcgLdSlowFn *ld_slow;     /* may raise via tcg_exit_to_dispatcher */
    TcgStSlowFn *st_slow;
    TcgFrontend fe;
    /* optional: a new TB holds code on phys_page (called per page it
     * covers): chunks is the page's tcg_page_code_mask with the new TB,
     * first says the page had no TB before */
    void (*code_added)(void *opaque, uint64_t phys_page, uint64_t chunks,
                       bool first);
    /* optional: around the slow path of an atomic op (ld_slow, then
     * st_slow unless a compare failed), which the host cannot do with one
     * instruction: the front end makes the pair atomic against other
     * vCPUs. If ld_slow or st_slow raises, atomic_end is not called. */
    void (*atomic_begin)(void *env);
    void (*atomic_end)(void *env);
    void *opaque;
    bool no_opt;   /* skip the optimizer (liveness still runs) */
    bool perf_map; /* write /tmp/perf-PID.map */
    /* every TB returns to the dispatcher (no chaining, no inline jump
     * cache), which counts TcgStats.guest_insns exactly */
    bool count_insns;
} TcgConfig;

/*
 * The exit-request word: every TB entry leaves when it is negative. Write
 * TCG_EXIT_REQUEST (any thread, atomically) to have the vCPU leave. Only
 * the sign bit counts, so the low bits are free to become the instruction
 * budget of `-icount` (blocks subtracting their length, leaving when it
 * goes negative).
 */
#define TCG_EXIT_REQUEST (-1)

/* counters (tcg_stats_print) */
typedef enum TcgFlushCause {
    TCG_FLUSH_FULL,
    TCG_FLUSH_USER,
    TCG_FLUSH__COUNT
} TcgFlushCause;
typedef struct TcgStats {
    uint64_t jc_inline_hit; /* GOTO_PTR probes that hit (backend-counted) */
    uint64_t jc_hit;        /* dispatcher jump-cache hits */
    uint64_t hash_hit;      /* dispatcher hash-table hits */
    uint64_t miss;          /* translations */
    uint64_t chains, unchains;
    uint64_t invalidations; /* TBs invalidated */
    uint64_t inval_pages;   /* page-invalidation requests */
    uint64_t flushes[TCG_FLUSH__COUNT];
    uint64_t helper_calls, slow_paths; /* backend-counted when enabled */
    uint64_t exits[IR_EXIT__COUNT];
    uint64_t exceptions;
    uint64_t ir_ops_in, ir_ops_out; /* before/after the optimizer */
    uint64_t code_bytes;
    /* TBs translated with count_insns or -d exec/cpu on, run through the
     * dispatcher: blocks entered and guest insns completed */
    uint64_t traced_tbs, guest_insns;
} TcgStats;

typedef struct TcgCtx TcgCtx;
typedef struct TcgCpu TcgCpu;

/* "-accel tcg,backend=NAME": "jit" (or "x86_64") / "interp" */
bool tcg_backend_parse(const char *name, TcgBackendKind *kind);
TcgCtx *tcg_new(const TcgConfig *cfg);
/* the backend in use ("interp", or the JIT's name) */
const char *tcg_backend_name(const TcgCtx *s);
void tcg_free(TcgCtx *s);
const TcgConfig *tcg_config(const TcgCtx *s);
TcgStats *tcg_stats(TcgCtx *s);
void tcg_stats_print(TcgCtx *s, FILE *out);

/* globals: register before the first translation; pin = host reg or -1 */
IrTemp tcg_global_new(TcgCtx *s, IrType type, int32_t env_off, const char *name,
                      int pin);

TcgCpu *tcg_cpu_new(TcgCtx *s, void *env);
void tcg_cpu_free(TcgCpu *cpu);
void tcg_cpu_jc_flush(TcgCpu *cpu);

/* why tcg_exec returned */
typedef enum TcgExecResult {
    TCG_EXEC_REQUEST,   /* the exit-request word was nonzero */
    TCG_EXEC_EXCEPTION, /* tcg_exit_to_dispatcher() was called */
    TCG_EXEC_FRONTEND,  /* EXIT_TB with IR_EXIT_FRONTEND */
} TcgExecResult;

/* run until one of the above; the front end handles it and calls again */
TcgExecResult tcg_exec(TcgCpu *cpu);
/*
 * Run fn(arg) outside generated code but where tcg_exit_to_dispatcher may
 * unwind (with retaddr 0), e.g. interrupt delivery: TCG_EXEC_EXCEPTION if
 * it did, else TCG_EXEC_FRONTEND.
 */
TcgExecResult tcg_call(TcgCpu *cpu, void (*fn)(void *arg), void *arg);

/*
 * From a helper or slow path running under tcg_exec (same thread): if
 * retaddr is nonzero, restore the guest state of the instruction that made
 * the call, then unwind to tcg_exec, which returns TCG_EXEC_EXCEPTION.
 */
NORETURN void tcg_exit_to_dispatcher(uintptr_t retaddr);
/* the retaddr a helper called from generated code passes on */
#define TCG_GETPC() ((uintptr_t)__builtin_return_address(0))
/* restore only; false if retaddr is not in generated code */
bool tcg_restore_state(TcgCpu *cpu, uintptr_t retaddr);
/* the vCPU running tcg_exec on this thread, or NULL */
TcgCpu *tcg_current_cpu(void);

/* invalidation (physical addresses; a range may span pages, one hash
 * probe per page); return the number of TBs dropped */
unsigned tcg_invalidate_phys_page(TcgCtx *s, uint64_t phys_addr);
unsigned tcg_invalidate_phys_range(TcgCtx *s, uint64_t start, uint64_t len);
/* not from a helper while generated code runs (TBs are freed) */
void tcg_flush(TcgCtx *s, TcgFlushCause cause);
#define TCG_CODE_CHUNK_SHIFT 6 /* code tracked per 64-byte chunk */
/* the chunks of a physical page that its TBs cover (bit i: bytes
 * [64 i, 64 i + 64)); 0 if it has none */
uint64_t tcg_page_code_mask(TcgCtx *s, uint64_t phys_page);
/* does the TB containing host address retaddr (or, for a helper the
 * interpreter called, the calling op) hold a byte of [phys, phys + len)?
 * false if retaddr is not in generated code */
bool tcg_tb_at_covers(TcgCtx *s, uintptr_t retaddr, uint64_t phys,
                      uint64_t len);

/* the valid TB for key (all four fields), or NULL */
struct Tb *tcg_tb_lookup(TcgCtx *s, const TbKey *key);
/* translate one block without running it (tests, bench, -d op) */
struct Tb *tcg_translate(TcgCpu *cpu, const TbKey *key);

#endif
