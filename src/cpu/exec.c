/*
 * cpu_exec(): the per-vCPU loop around tcg_exec(), the self-modifying code
 * plumbing and the front end's logging hooks. An attached CpuX86 holds its
 * TcgCpu and TcgCtx (env->tcg_cpu/tcg_ctx) and sits on a list of attached
 * vCPUs (env->exec_next) that the code-page marking walks, so every TLB
 * sees a new code page. Exceptions are returned to the caller for now (no
 * IDT delivery).
 *
 * Code pages: every TB marks the 64-byte chunks it covers as code in its
 * RAM region (mr_set_code_mask), and the first TB on a physical page tags
 * the page in every TLB (tlb_protect_code), so stores there leave the fast
 * path. A store reaching a code chunk (through the TLB or any other
 * as_write/as_st, e.g. DMA) invalidates only the TBs it overlaps; the
 * page's mask is then rebuilt from the TBs left, and a page left without
 * any is unmarked. Stores beside the code (data sharing its page) drop
 * nothing. A store from generated code into the running block itself is
 * restarted precisely before it writes (see exec_smc_store).
 */
#include "cpu/exec.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/debug.h"
#include "cpu/disas.h"
#include "cpu/smm.h"
#include "cpu/translate.h"
#include "mmu/tlb.h"
#include "util/log.h"

#define EXEC_MAX_SECTIONS 4096 /* bound of the reverse (mr -> phys) walk */
_Static_assert(TCG_CODE_CHUNK_SHIFT == MEM_CODE_CHUNK_SHIFT, "code chunks");
#define EXEC_MAX_INSN 15

static CpuX86 *exec_cpus; /* attached vCPUs, through exec_next */

/* the spaces env's code may come from: system memory, and SMRAM's view */
static unsigned exec_spaces(const CpuX86 *env, AddrSpace *as[2])
{
    as[0] = env->as;
    as[1] = env->smm_as;
    return env->smm_as && env->smm_as != env->as ? 2 : 1;
}

/* set the code chunks of phys_page in its RAM region in each space */
static void exec_set_code_mask(CpuX86 *env, uint64_t phys_page, uint64_t mask)
{
    AddrSpace *as[2];
    for (unsigned i = 0, n = exec_spaces(env, as); i < n; i++) {
        MemSection sec = as_find(as[i], phys_page);
        if (sec.mr && mr_is_ram(sec.mr)) {
            mr_set_code_mask(sec.mr, sec.mr_offset + (phys_page - sec.base),
                             mask);
        }
    }
}
static void (*exec_fe_translate)(void *env, IrFunc *f, TcgTbDesc *desc);

/* ---- code pages ---- */

/* a TLB change for another vCPU, made by its own thread (cpu_run_on) */
typedef struct TlbWork {
    uint64_t a, b; /* page and on, or host address and length */
} TlbWork;

static void exec_protect_work(CpuX86 *env, void *data)
{
    TlbWork *w = data;
    if (w->b) {
        tlb_protect_code(env, w->a);
    } else {
        tlb_unprotect_code(env, w->a);
    }
    free(w);
}

static void exec_dirty_work(CpuX86 *env, void *data)
{
    TlbWork *w = data;
    tlb_reset_dirty(env, (const uint8_t *)(uintptr_t)w->a, w->b);
    free(w);
}

static void exec_tlb_work(CpuX86 *env, CpuWorkFn *fn, uint64_t a, uint64_t b)
{
    TlbWork *w = xzalloc(sizeof(*w));
    w->a = a;
    w->b = b;
    cpu_run_on(env, fn, w);
}

/*
 * Set the code chunks of phys_page to mask in its RAM region; the TLBs
 * follow when the page gains its first chunk or loses its last (tag: the
 * caller knows which), each vCPU's on its own thread.
 */
static void exec_code_mark(TcgCtx *ctx, uint64_t phys_page, uint64_t mask,
                           bool tag)
{
    for (CpuX86 *env = exec_cpus; env; env = env->exec_next) {
        if (ctx && env->tcg_ctx != ctx) {
            continue;
        }
        exec_set_code_mask(env, phys_page, mask);
        if (tag) {
            exec_tlb_work(env, exec_protect_work, phys_page, mask != 0);
        }
    }
}

/* the context translating on this thread, or NULL (any attached one) */
static TcgCtx *exec_current_ctx(void)
{
    TcgCpu *cpu = tcg_current_cpu();
    for (CpuX86 *env = exec_cpus; cpu && env; env = env->exec_next) {
        if (env->tcg_cpu == cpu) {
            return env->tcg_ctx;
        }
    }
    return NULL;
}

/* TcgConfig.code_added: a new TB on phys_page */
static void exec_code_added(void *opaque, uint64_t phys_page, uint64_t chunks,
                            bool first)
{
    (void)opaque;
    exec_code_mark(exec_current_ctx(), phys_page, chunks, first);
}

/*
 * Drop the TBs overlapping [phys, phys + len) (one page) and rebuild the
 * page's chunks from those left; a page left without TBs is unmarked. A
 * page that keeps being rewritten turns hot (mr_code_hot): all its blocks
 * go, to come back self-checking (they compare their bytes on entry), and
 * from then on stores there drop nothing but the running block when they
 * hit it (exec_smc_store): the page is no longer retranslated per write.
 */
static void exec_invalidate_range(CpuX86 *env, uint64_t phys, uint64_t len)
{
    TcgCtx *ctx = env->tcg_ctx;
    uint64_t page = phys & TCG_PAGE_MASK;
    if (!tcg_invalidate_phys_range(ctx, phys, len)) {
        return;
    }
    MemSection sec = as_find(cpu_mem_as(env), page);
    if (sec.mr && mr_is_ram(sec.mr) &&
        mr_code_invalidated(sec.mr, sec.mr_offset + (page - sec.base))) {
        TRACE(LOG_MMU, "smc: page 0x%llx rewritten too often: self-checking\n",
              (unsigned long long)page);
        (void)tcg_invalidate_phys_page(ctx, page);
    }
    uint64_t mask = tcg_page_code_mask(ctx, page);
    exec_code_mark(ctx, page, mask, mask == 0);
}

void helper_code_stale(CpuX86 *env, uint64_t phys, uint64_t len)
{
    TRACE(LOG_MMU, "smc: block at 0x%llx changed under it\n",
          (unsigned long long)phys);
    (void)tcg_invalidate_phys_range(env->tcg_ctx, phys, len);
    env->exception_index = -1; /* not an exception: cpu_exec goes on */
    tcg_exit_to_dispatcher(TCG_GETPC());
}

/* every physical alias in as of [off, off + len) of mr */
static void exec_invalidate_mr_in(CpuX86 *env, AddrSpace *as, MemRegion *mr,
                                  uint64_t off, uint64_t len)
{
    uint64_t addr = 0;
    for (unsigned n = 0; n < EXEC_MAX_SECTIONS; n++) {
        MemSection sec = as_find(as, addr);
        if (sec.mr == mr && off < sec.mr_offset + sec.size &&
            off + len > sec.mr_offset) {
            uint64_t lo = MAX(off, sec.mr_offset);
            uint64_t hi = MIN(off + len, sec.mr_offset + sec.size);
            for (uint64_t o = lo; o < hi;) {
                uint64_t n = MIN(hi - o, TCG_PAGE_SIZE - (o & ~TCG_PAGE_MASK));
                if (!mr_code_hot(mr, o)) { /* hot: its blocks check */
                    exec_invalidate_range(env, sec.base + (o - sec.mr_offset),
                                          n);
                }
                o += n;
            }
        }
        uint64_t next = sec.base + sec.size; /* size may be 2^64 - 1 */
        if (sec.size == UINT64_MAX || next < addr || next == 0) {
            return;
        }
        addr = next;
    }
}

/* ... in each space env's code may come from (SMRAM's view too) */
static void exec_invalidate_mr(CpuX86 *env, MemRegion *mr, uint64_t off,
                               uint64_t len)
{
    AddrSpace *as[2];
    for (unsigned i = 0, n = exec_spaces(env, as); i < n; i++) {
        exec_invalidate_mr_in(env, as[i], mr, off, len);
    }
}

/* the memory core's code-write hook: bytes of a code page changed */
typedef struct CodeWork {
    MemRegion *mr;
    uint64_t off, len;
} CodeWork;

static void exec_code_work(CpuX86 *env, void *data)
{
    CodeWork *w = data;
    exec_invalidate_mr(env, w->mr, w->off, w->len);
    free(w);
}

/*
 * The memory core's code-write hook, once per translator context and
 * address space; on the vCPU's own thread (a store from generated code)
 * at once, from any other (DMA by a device) at its next block boundary.
 */
static void exec_code_written(void *opaque, MemRegion *mr, uint64_t off,
                              uint64_t len)
{
    (void)opaque;
    for (CpuX86 *env = exec_cpus; env; env = env->exec_next) {
        bool seen = false;
        for (CpuX86 *k = exec_cpus; k != env && !seen; k = k->exec_next) {
            seen = k->tcg_ctx == env->tcg_ctx && k->as == env->as &&
                   k->smm_as == env->smm_as;
        }
        if (!seen) {
            CodeWork *w = xzalloc(sizeof(*w));
            *w = (CodeWork){mr, off, len};
            cpu_run_on(env, exec_code_work, w);
        }
    }
}

/* the memory core's dirty-reset hook: a logging client cleared bits */
static void exec_dirty_reset(void *opaque, MemRegion *mr, uint64_t off,
                             uint64_t len)
{
    (void)opaque;
    for (CpuX86 *env = exec_cpus; env; env = env->exec_next) {
        exec_tlb_work(env, exec_dirty_work, (uintptr_t)(mr_ram_ptr(mr) + off),
                      len);
    }
}

/* ---- self-modifying code ---- */

/*
 * The linear pc of the instruction that made the call at retaddr, without
 * changing env (restore_state rewrites RIP and cc_op, both put back).
 */
static bool exec_insn_pc(CpuX86 *env, TcgCpu *cpu, uintptr_t retaddr,
                         uint64_t *pc)
{
    uint64_t rip = env->rip;
    uint32_t cc_op = env->cc_op;
    bool ok = tcg_restore_state(cpu, retaddr);
    *pc = env->rip + cpu_code_base(env);
    env->rip = rip;
    env->cc_op = cc_op;
    return ok;
}

/*
 * May the running block hold code of the physical page written? A block
 * lies on the page of its first insn, plus the next page only when that
 * first insn spans both; so only the page of the current insn and, when it
 * may span, the next page can hold code not yet run. Pages the TLB does
 * not hold for fetches count as "maybe" (a needless restart is harmless).
 */
static bool exec_runs_from(CpuX86 *env, uint64_t pc, uint64_t phys)
{
    uint64_t page = phys & TCG_PAGE_MASK, p;
    unsigned idx = cpu_mmu_index(env);
    uint64_t last = pc + EXEC_MAX_INSN - 1;
    if (!tlb_code_page_cached(env, pc, idx, &p) || p == page) {
        return true;
    }
    if ((last & TCG_PAGE_MASK) == (pc & TCG_PAGE_MASK)) {
        return false;
    }
    return !tlb_code_page_cached(env, last, idx, &p) || p == page;
}

/*
 * TlbCodeWriteFn. A store into the running block itself would leave stale
 * code after it in the block. Then, before anything is written, the blocks
 * the store overlaps are dropped, the store's instruction is restored from
 * its insn_start words (RIP, cc_op: the same precise state as a fault) and
 * we unwind; cpu_exec re-enters and that instruction is translated as a
 * block of its own (smc_armed), whose store is let through (the block ends
 * right after it, so the next instruction comes from the new bytes). Any
 * other store goes on: as_st's code hook drops what it overlaps.
 */
static void exec_smc_store(CpuX86 *env, uint64_t phys, unsigned len,
                           uintptr_t retaddr)
{
    TcgCpu *cpu = tcg_current_cpu();
    uint64_t pc;
    if (!retaddr || !cpu || cpu != env->tcg_cpu ||
        !exec_insn_pc(env, cpu, retaddr, &pc)) {
        return;
    }
    if (env->smc_armed && env->smc_pc == pc) {
        env->smc_armed = false;
        return;
    }
    if (!exec_runs_from(env, pc, phys) ||
        !tcg_tb_at_covers(env->tcg_ctx, retaddr, phys, len)) {
        return;
    }
    TRACE(LOG_MMU, "smc: store at pc 0x%llx into its own block at 0x%llx\n",
          (unsigned long long)pc, (unsigned long long)phys);
    exec_invalidate_range(env, phys, len);
    env->smc_armed = true;
    env->smc_pc = pc;
    env->exception_index = -1; /* not an exception: cpu_exec goes on */
    tcg_exit_to_dispatcher(retaddr);
}

/* TcgFrontend.translate: one instruction for a restarted store */
static void exec_translate(void *opaque, IrFunc *f, TcgTbDesc *desc)
{
    CpuX86 *env = opaque;
    if (env->smc_armed) {
        uint64_t pc = desc->key.pc + desc->key.cs_base;
        if (pc == env->smc_pc) {
            desc->max_insns = 1;
        } else {
            env->smc_armed = false; /* it went elsewhere (an interrupt...) */
        }
    }
    exec_fe_translate(opaque, f, desc);
}

/* ---- logging ---- */

/* TcgFrontend.log_in_asm: the block's bytes, read by physical address */
static void exec_log_in_asm(void *opaque, const TcgTbDesc *desc, FILE *f)
{
    CpuX86 *env = opaque;
    uint8_t buf[2 * TCG_PAGE_SIZE];
    uint64_t phys = desc->key.phys_pc;
    uint32_t size = MIN(desc->size, (uint32_t)sizeof(buf));
    uint32_t first =
        MIN(size, (uint32_t)(TCG_PAGE_SIZE - (phys & ~TCG_PAGE_MASK)));
    memset(buf, 0xff, sizeof(buf)); /* what a failed read leaves */
    if (as_read(cpu_mem_as(env), phys, buf, first, MEMATTRS_CPU) != MEMTX_OK) {
        size = first;
    }
    if (size > first && (desc->phys_page2 == TCG_NO_PAGE ||
                         as_read(cpu_mem_as(env), desc->phys_page2, buf + first,
                                 size - first, MEMATTRS_CPU) != MEMTX_OK)) {
        size = first;
    }
    X86Mode mode = (env->hflags & HF_CS64)   ? X86_MODE64
                   : (env->hflags & HF_CS32) ? X86_MODE32
                                             : X86_MODE16;
    disas_print(f, buf, size, desc->key.pc + desc->key.cs_base, mode);
}

/* TcgFrontend.log_cpu: `-d cpu`, the state before a block */
static void exec_log_cpu(void *opaque, FILE *f)
{
    cpu_dump_state(opaque, f);
}

void cpu_exec_stats_print(CpuX86 *env, FILE *f)
{
    if (env->tcg_ctx) {
        tcg_stats_print(env->tcg_ctx, f);
    }
    tlb_stats_print(env, f);
}

/* ---- run on vCPU ---- */

typedef struct CpuWork {
    CpuWorkFn *fn;
    void *data;
    struct CpuWork *next;
} CpuWork;

typedef struct CpuWorkQueue {
    pthread_mutex_t lock;
    CpuWork *head, **tail;
    pthread_t owner; /* the thread that runs this vCPU */
    bool owned;
    bool in_exec; /* inside cpu_exec (atomic) */
} CpuWorkQueue;

static CpuWorkQueue *cpu_work_new(void)
{
    CpuWorkQueue *q = xzalloc(sizeof(*q));
    pthread_mutex_init(&q->lock, NULL);
    q->tail = &q->head;
    return q;
}

/* the owner's side: take the queue and run it */
static void cpu_work_run(CpuX86 *env)
{
    CpuWorkQueue *q = env->work;
    if (!__atomic_load_n(&q->head, __ATOMIC_ACQUIRE)) {
        return; /* the common case: no lock taken */
    }
    pthread_mutex_lock(&q->lock);
    CpuWork *w = q->head;
    __atomic_store_n(&q->head, NULL, __ATOMIC_RELAXED);
    q->tail = &q->head;
    pthread_mutex_unlock(&q->lock);
    while (w) {
        CpuWork *next = w->next;
        w->fn(env, w->data);
        free(w);
        w = next;
    }
}

static void cpu_work_free(CpuWorkQueue *q)
{
    if (q) {
        for (CpuWork *w = q->head, *next; w; w = next) {
            next = w->next;
            free(w);
        }
        pthread_mutex_destroy(&q->lock);
        free(q);
    }
}

void cpu_run_on(CpuX86 *env, CpuWorkFn *fn, void *data)
{
    CpuWorkQueue *q = env->work;
    pthread_mutex_lock(&q->lock);
    if (!q->owned || pthread_equal(q->owner, pthread_self())) {
        pthread_mutex_unlock(&q->lock);
        fn(env, data);
        return;
    }
    CpuWork *w = xzalloc(sizeof(*w));
    w->fn = fn;
    w->data = data;
    __atomic_store_n(q->tail, w, __ATOMIC_RELEASE); /* seen by cpu_work_run */
    q->tail = &w->next;
    pthread_mutex_unlock(&q->lock);
    cpu_event_raise(env, CPU_EV_WORK);
}

/* cpu_exec's thread becomes the owner (the queue is run right after, so
 * work queued while it was owned by another thread is not lost) */
static void cpu_work_claim(CpuX86 *env)
{
    CpuWorkQueue *q = env->work;
    if (q->owned && pthread_equal(q->owner, pthread_self())) {
        return; /* one thread runs a vCPU at a time: only it writes owner */
    }
    pthread_mutex_lock(&q->lock);
    q->owner = pthread_self();
    q->owned = true;
    pthread_mutex_unlock(&q->lock);
}

/* ---- the exclusive section ---- */

static pthread_mutex_t excl_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t excl_cond = PTHREAD_COND_INITIALIZER;
static unsigned excl_running;      /* vCPUs inside cpu_exec, not parked */
static bool excl_pending;          /* a section is wanted or held */
static __thread bool excl_in_exec; /* this thread is inside cpu_exec */
static __thread bool excl_atomic;  /* it holds a section for a LOCK */

/* a vCPU thread: leave the running count while a section is on */
static void excl_park_locked(void)
{
    excl_running--;
    pthread_cond_broadcast(&excl_cond);
    while (excl_pending) {
        pthread_cond_wait(&excl_cond, &excl_lock);
    }
    excl_running++;
}

static void excl_enter_exec(void)
{
    pthread_mutex_lock(&excl_lock);
    while (excl_pending) {
        pthread_cond_wait(&excl_cond, &excl_lock);
    }
    excl_running++;
    excl_in_exec = true;
    pthread_mutex_unlock(&excl_lock);
}

static void excl_leave_exec(void)
{
    pthread_mutex_lock(&excl_lock);
    excl_running--;
    excl_in_exec = false;
    pthread_cond_broadcast(&excl_cond);
    pthread_mutex_unlock(&excl_lock);
}

/* at a block boundary: a section wanted by another thread waits for us */
static void excl_safe_point(void)
{
    if (!__atomic_load_n(&excl_pending, __ATOMIC_SEQ_CST)) {
        return;
    }
    pthread_mutex_lock(&excl_lock);
    if (excl_pending) {
        excl_park_locked();
    }
    pthread_mutex_unlock(&excl_lock);
}

void cpu_exclusive_start(void)
{
    pthread_mutex_lock(&excl_lock);
    while (excl_pending) { /* another section first */
        if (excl_in_exec) {
            excl_park_locked();
        } else {
            pthread_cond_wait(&excl_cond, &excl_lock);
        }
    }
    __atomic_store_n(&excl_pending, true, __ATOMIC_SEQ_CST);
    for (CpuX86 *env = exec_cpus; env; env = env->exec_next) {
        if (env->work &&
            __atomic_load_n(&env->work->in_exec, __ATOMIC_SEQ_CST) &&
            env->tcg_cpu != tcg_current_cpu()) {
            cpu_event_raise(env, CPU_EV_WORK); /* to its next safe point */
        }
    }
    unsigned self = excl_in_exec ? 1 : 0;
    while (excl_running > self) {
        pthread_cond_wait(&excl_cond, &excl_lock);
    }
    pthread_mutex_unlock(&excl_lock);
}

void cpu_exclusive_end(void)
{
    pthread_mutex_lock(&excl_lock);
    __atomic_store_n(&excl_pending, false, __ATOMIC_SEQ_CST);
    pthread_cond_broadcast(&excl_cond);
    pthread_mutex_unlock(&excl_lock);
}

/* TcgConfig.atomic_begin/end: a LOCKed access the host cannot do */
static void exec_atomic_begin(void *env)
{
    (void)env;
    cpu_exclusive_start();
    excl_atomic = true;
}

static void exec_atomic_end(void *env)
{
    (void)env;
    excl_atomic = false;
    cpu_exclusive_end();
}

/* ---- life cycle and the run loop ---- */

TcgCtx *cpu_tcg_new(TcgBackendKind backend, size_t code_size)
{
    return cpu_tcg_new_opts(backend, code_size, 0);
}

TcgCtx *cpu_tcg_new_opts(TcgBackendKind backend, size_t code_size,
                         unsigned opts)
{
    TcgConfig cfg;
    x86_tcg_config(&cfg, backend);
    cfg.code_size = code_size;
    cfg.count_insns = (opts & CPU_TCG_COUNT_INSNS) != 0;
    cfg.perf_map = (opts & CPU_TCG_PERF_MAP) != 0;
    exec_fe_translate = cfg.fe.translate;
    cfg.fe.translate = exec_translate;
    cfg.code_added = exec_code_added;
    cfg.atomic_begin = exec_atomic_begin;
    cfg.atomic_end = exec_atomic_end;
    cfg.fe.log_in_asm = exec_log_in_asm;
    cfg.fe.log_cpu = exec_log_cpu;
    TcgCtx *s = tcg_new(&cfg);
    x86_tcg_register_globals(s);
    mem_set_code_write_hook(exec_code_written, NULL);
    mem_set_dirty_reset_hook(exec_dirty_reset, NULL);
    return s;
}

void cpu_exec_attach(CpuX86 *env, TcgCtx *ctx)
{
    cpu_exec_detach(env);
    env->tcg_cpu = tcg_cpu_new(ctx, env);
    env->tcg_ctx = ctx;
    env->smc_armed = false;
    env->exec_next = exec_cpus;
    exec_cpus = env;
    env->tlb.code_write = exec_smc_store;
    if (!env->work) {
        env->work = cpu_work_new();
    }
}

void cpu_exec_detach(CpuX86 *env)
{
    for (CpuX86 **p = &exec_cpus; *p; p = &(*p)->exec_next) {
        if (*p == env) {
            *p = env->exec_next;
            break;
        }
    }
    if (env->tcg_cpu) {
        tcg_cpu_free(env->tcg_cpu);
        env->tlb.code_write = NULL;
    }
    env->tcg_cpu = NULL;
    env->tcg_ctx = NULL;
    env->exec_next = NULL;
    cpu_work_free(env->work);
    env->work = NULL;
}

/* ---- pending events ---- */

void cpu_event_raise(CpuX86 *env, uint32_t events)
{
    __atomic_fetch_or(&env->pending, events, __ATOMIC_SEQ_CST);
    if (events & __atomic_load_n(&env->event_mask, __ATOMIC_SEQ_CST)) {
        __atomic_store_n(&env->exit_request, TCG_EXIT_REQUEST,
                         __ATOMIC_SEQ_CST);
    }
}

/*
 * The exit-request word from the pending bits. Clearing it first and
 * reading the bits after (both sequentially consistent) pairs with
 * cpu_event_raise's bit-then-word: either this sees the new bit or the
 * raiser's store of the word comes after the clear.
 */
static void cpu_event_rederive(CpuX86 *env)
{
    __atomic_store_n(&env->exit_request, 0, __ATOMIC_SEQ_CST);
    if (cpu_events(env) & env->event_mask) {
        __atomic_store_n(&env->exit_request, TCG_EXIT_REQUEST,
                         __ATOMIC_SEQ_CST);
    }
}

void cpu_event_clear(CpuX86 *env, uint32_t events)
{
    __atomic_fetch_and(&env->pending, ~events, __ATOMIC_SEQ_CST);
    cpu_event_rederive(env);
}

bool cpu_irq_allowed(const CpuX86 *env)
{
    return (env->eflags & EFL_IF) && !(env->hflags & HF_INHIBIT_IRQ);
}

void cpu_event_mask_sync(CpuX86 *env)
{
    uint32_t mask =
        cpu_irq_allowed(env) ? CPU_EV_ALL : CPU_EV_ALL & ~CPU_EV_IRQ;
    if (env->hflags & HF_SMM) { /* held pending until RSM */
        mask &= ~(uint32_t)(CPU_EV_SMI | CPU_EV_INIT);
    }
    if (env->nmi_blocked) {
        mask &= ~(uint32_t)CPU_EV_NMI; /* until IRET (or RSM) */
    }
    if (mask != __atomic_load_n(&env->event_mask, __ATOMIC_SEQ_CST)) {
        cpu_event_mask_set(env, mask);
    }
}

bool cpu_halt_wake(CpuX86 *env)
{
    uint32_t ev = cpu_events(env);
    bool irq =
        (ev & CPU_EV_IRQ) && (cpu_irq_allowed(env) || env->mwait_irq_break);
    bool smi = (ev & CPU_EV_SMI) && !(env->hflags & HF_SMM);
    if (!env->halted || !(irq || smi)) {
        return false;
    }
    if (irq) {
        env->halted = false;
        env->mwait_irq_break = false;
    }
    return true; /* an SMI: cpu_exec enters SMM with the halt recorded */
}

bool cpu_interrupt(CpuX86 *env, int vector)
{
    env->exception_index = vector;
    env->error_code = 0;
    env->has_error_code = false;
    env->exception_soft = false;
    env->halted = false;
    env->mwait_irq_break = false;
    TRACE(LOG_INT, "Servicing hardware INT=0x%02x\n", vector);
    cpu_debug_event(env);
    return cpu_deliver(env, env->tcg_cpu);
}

bool cpu_service_events(CpuX86 *env)
{
    uint32_t ev = cpu_events(env);
    if ((ev & CPU_EV_INIT) && !(env->hflags & HF_SMM)) { /* SMM: held */
        cpu_event_clear(env, CPU_EV_INIT | CPU_EV_SIPI);
        cpu_x86_init(env);
        env->wait_sipi = !env->bsp;
        return true;
    }
    if (ev & CPU_EV_SIPI) {
        cpu_event_clear(env, CPU_EV_SIPI);
        if (env->wait_sipi) { /* a SIPI in any other state is dropped */
            uint16_t sel = (uint16_t)(env->sipi_vector << 8);
            cpu_seg_load_real(env, R_CS, sel);
            env->rip = 0;
            env->wait_sipi = false;
            env->halted = false;
        }
    }
    if ((ev & CPU_EV_NMI) && !env->nmi_blocked && !env->wait_sipi &&
        !(env->hflags & HF_INHIBIT_IRQ)) {
        cpu_event_clear(env, CPU_EV_NMI);
        env->nmi_blocked = true;
        cpu_event_mask_sync(env);
        return cpu_interrupt(env, 2);
    }
    return true;
}

void cpu_event_mask_set(CpuX86 *env, uint32_t mask)
{
    __atomic_store_n(&env->event_mask, mask, __ATOMIC_SEQ_CST);
    cpu_event_rederive(env);
}

/*
 * One run of tcg_exec. Queued work and exclusive sections are taken care
 * of here, at block boundaries, without returning to the caller.
 */
static CpuExitReason cpu_exec_loop(CpuX86 *env)
{
    for (;;) {
        env->exception_index = -1;
        env->exception_soft = false;
        switch (tcg_exec(env->tcg_cpu)) {
        case TCG_EXEC_EXCEPTION:
            if (excl_atomic) { /* a LOCKed access faulted inside its section */
                exec_atomic_end(env);
            }
            if (env->exception_index < 0) {
                cpu_debug_sync(env); /* after MOV DR: flush if needed */
                continue; /* a restarted store, a breakpoint replay */
            }
            if (env->exception_index == CPU_EXC_SHUTDOWN) {
                env->exception_index = -1;
                return CPU_EXIT_TRIPLE_FAULT;
            }
            cpu_debug_exception(env); /* RF in the image of a fault */
            if (env->deliver) {
                if (!cpu_deliver(env, env->tcg_cpu)) {
                    return CPU_EXIT_TRIPLE_FAULT;
                }
                continue;
            }
            return CPU_EXIT_EXCEPTION;
        case TCG_EXEC_REQUEST:
            if ((cpu_events(env) & CPU_EV_SMI) && !(env->hflags & HF_SMM)) {
                cpu_event_clear(env, CPU_EV_SMI);
                smm_enter(env); /* at this block boundary */
                continue;
            }
            if (cpu_events(env) & CPU_EV_WORK) {
                cpu_event_clear(env, CPU_EV_WORK);
                cpu_work_run(env);
                excl_safe_point();
                /* more work raised meanwhile: the next entry takes it */
                if (!(cpu_events(env) & env->event_mask & ~CPU_EV_WORK)) {
                    continue;
                }
            }
            cpu_event_rederive(env);
            return CPU_EXIT_REQUEST;
        case TCG_EXEC_FRONTEND:
            return CPU_EXIT_FRONTEND;
        }
        return CPU_EXIT_FRONTEND;
    }
}

CpuExitReason cpu_exec(CpuX86 *env)
{
    ASSERT(env->tcg_cpu);
    cpu_work_claim(env);
    cpu_work_run(env);
    excl_enter_exec();
    __atomic_store_n(&env->work->in_exec, true, __ATOMIC_SEQ_CST);
    CpuExitReason r = cpu_exec_loop(env);
    __atomic_store_n(&env->work->in_exec, false, __ATOMIC_SEQ_CST);
    excl_leave_exec();
    cpu_work_run(env); /* what came in at the last moment */
    return r;
}
