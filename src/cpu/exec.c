/*
 * cpu_exec(): the per-vCPU loop around tcg_exec(), and the self-modifying
 * code plumbing. CpuX86 has no slot for its TcgCpu yet (cpu.h belongs to
 * the CPU-state owner), so attached vCPUs are kept in a small table keyed by
 * env; a field in CpuX86 would replace it. Exceptions are returned to the
 * caller for now (no IDT delivery).
 *
 * Code pages: the first TB on a physical page marks the page as code in
 * its RAM region (mr_set_code) and in every TLB (tlb_protect_code), so
 * stores there leave the fast path. A store reaching such a page (through
 * the TLB or any other as_write/as_st, e.g. DMA) invalidates every TB of
 * the page and unmarks it. A store from generated code into the page of the
 * running block is restarted precisely before it writes (see exec_smc_store).
 */
#include "cpu/exec.h"

#include "cpu/translate.h"
#include "mmu/tlb.h"
#include "util/log.h"

#define EXEC_MAX_CPUS 64
#define EXEC_MAX_SECTIONS 4096 /* bound of the reverse (mr -> phys) walk */
#define EXEC_MAX_INSN 15

typedef struct ExecSlot {
    CpuX86 *env;
    TcgCpu *cpu;
    TcgCtx *ctx;
    bool smc_armed;  /* the next block at smc_pc is one instruction long */
    uint64_t smc_pc; /* linear address of the restarted store's insn */
} ExecSlot;

static ExecSlot exec_slots[EXEC_MAX_CPUS];
static void (*exec_fe_translate)(void *env, IrFunc *f, TcgTbDesc *desc);

static ExecSlot *exec_find(const CpuX86 *env)
{
    for (unsigned i = 0; i < EXEC_MAX_CPUS; i++) {
        if (exec_slots[i].env == env) {
            return &exec_slots[i];
        }
    }
    return NULL;
}

/* ---- code pages ---- */

/* mark or unmark phys_page as code in its RAM region and in the TLBs */
static void exec_code_mark(TcgCtx *ctx, uint64_t phys_page, bool on)
{
    for (unsigned i = 0; i < EXEC_MAX_CPUS; i++) {
        ExecSlot *sl = &exec_slots[i];
        if (!sl->env || (ctx && sl->ctx != ctx)) {
            continue;
        }
        MemSection sec = as_find(sl->env->as, phys_page);
        if (sec.mr && mr_is_ram(sec.mr)) {
            uint64_t off = sec.mr_offset + (phys_page - sec.base);
            if (on) {
                mr_set_code(sec.mr, off);
            } else {
                mr_clear_code(sec.mr, off);
            }
        }
        if (on) {
            tlb_protect_code(sl->env, phys_page);
        } else {
            tlb_unprotect_code(sl->env, phys_page);
        }
    }
}

/* the context translating on this thread, or NULL (any attached one) */
static TcgCtx *exec_current_ctx(void)
{
    TcgCpu *cpu = tcg_current_cpu();
    for (unsigned i = 0; cpu && i < EXEC_MAX_CPUS; i++) {
        if (exec_slots[i].cpu == cpu) {
            return exec_slots[i].ctx;
        }
    }
    return NULL;
}

/* TcgConfig.code_page_added: the first TB on phys_page */
static void exec_code_page_added(void *opaque, uint64_t phys_page)
{
    (void)opaque;
    exec_code_mark(exec_current_ctx(), phys_page & TCG_PAGE_MASK, true);
}

/* drop every TB of the page (then it has none: unmark it) */
static void exec_invalidate_page(TcgCtx *ctx, uint64_t phys)
{
    uint64_t page = phys & TCG_PAGE_MASK;
    (void)tcg_invalidate_phys_page(ctx, page);
    exec_code_mark(ctx, page, false);
}

/* every physical alias in sl's space of [off, off + len) of mr */
static void exec_invalidate_mr(ExecSlot *sl, MemRegion *mr, uint64_t off,
                               uint64_t len)
{
    uint64_t addr = 0;
    for (unsigned n = 0; n < EXEC_MAX_SECTIONS; n++) {
        MemSection sec = as_find(sl->env->as, addr);
        if (sec.mr == mr && off < sec.mr_offset + sec.size &&
            off + len > sec.mr_offset) {
            uint64_t lo = MAX(off, sec.mr_offset);
            uint64_t hi = MIN(off + len, sec.mr_offset + sec.size);
            for (uint64_t o = lo & TCG_PAGE_MASK; o < hi; o += TCG_PAGE_SIZE) {
                exec_invalidate_page(sl->ctx, sec.base + (o - sec.mr_offset));
            }
        }
        uint64_t next = sec.base + sec.size; /* size may be 2^64 - 1 */
        if (sec.size == UINT64_MAX || next < addr || next == 0) {
            return;
        }
        addr = next;
    }
}

/* the memory core's code-write hook: bytes of a code page changed */
static void exec_code_written(void *opaque, MemRegion *mr, uint64_t off,
                              uint64_t len)
{
    (void)opaque;
    for (unsigned i = 0; i < EXEC_MAX_CPUS; i++) {
        ExecSlot *sl = &exec_slots[i];
        bool seen = false;
        for (unsigned k = 0; k < i && !seen; k++) {
            seen = exec_slots[k].env && exec_slots[k].ctx == sl->ctx &&
                   exec_slots[k].env->as == sl->env->as;
        }
        if (sl->env && !seen) {
            exec_invalidate_mr(sl, mr, off, len);
        }
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
    *pc = env->rip + env->segs[R_CS].base;
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
 * TlbCodeWriteFn. A store into the page of the running block would leave
 * stale code after it in the block. Then, before anything is written, the
 * page's blocks are dropped, the store's instruction is restored from its
 * insn_start words (RIP, cc_op: the same precise state as a fault) and we
 * unwind; cpu_exec re-enters and that instruction is translated as a block
 * of its own (smc_armed), whose store is let through (the block ends right
 * after it, so the next instruction comes from the new bytes).
 */
static void exec_smc_store(CpuX86 *env, uint64_t phys, unsigned len,
                           uintptr_t retaddr)
{
    (void)len;
    ExecSlot *sl = exec_find(env);
    TcgCpu *cpu = tcg_current_cpu();
    uint64_t pc;
    if (!sl || !retaddr || !cpu || cpu != sl->cpu ||
        !exec_insn_pc(env, cpu, retaddr, &pc)) {
        return;
    }
    if (sl->smc_armed && sl->smc_pc == pc) {
        sl->smc_armed = false;
        return;
    }
    if (!exec_runs_from(env, pc, phys)) {
        return;
    }
    TRACE(LOG_MMU, "smc: store at pc 0x%llx into its own code page 0x%llx\n",
          (unsigned long long)pc, (unsigned long long)phys);
    exec_invalidate_page(sl->ctx, phys);
    sl->smc_armed = true;
    sl->smc_pc = pc;
    env->exception_index = -1; /* not an exception: cpu_exec goes on */
    tcg_exit_to_dispatcher(retaddr);
}

/* TcgFrontend.translate: one instruction for a restarted store */
static void exec_translate(void *opaque, IrFunc *f, TcgTbDesc *desc)
{
    ExecSlot *sl = exec_find(opaque);
    if (sl && sl->smc_armed) {
        uint64_t pc = desc->key.pc + desc->key.cs_base;
        if (pc == sl->smc_pc) {
            desc->max_insns = 1;
        } else {
            sl->smc_armed = false; /* it went elsewhere (an interrupt...) */
        }
    }
    exec_fe_translate(opaque, f, desc);
}

/* ---- life cycle and the run loop ---- */

TcgCtx *cpu_tcg_new(TcgBackendKind backend, size_t code_size)
{
    TcgConfig cfg;
    x86_tcg_config(&cfg, backend);
    cfg.code_size = code_size;
    exec_fe_translate = cfg.fe.translate;
    cfg.fe.translate = exec_translate;
    cfg.code_page_added = exec_code_page_added;
    TcgCtx *s = tcg_new(&cfg);
    x86_tcg_register_globals(s);
    mem_set_code_write_hook(exec_code_written, NULL);
    return s;
}

void cpu_exec_attach(CpuX86 *env, TcgCtx *ctx)
{
    ExecSlot *slot = exec_find(env);
    if (!slot) {
        slot = exec_find(NULL);
    }
    ASSERT(slot);
    *slot = (ExecSlot){.env = env, .cpu = tcg_cpu_new(ctx, env), .ctx = ctx};
    env->tlb.code_write = exec_smc_store;
}

void cpu_exec_detach(CpuX86 *env)
{
    ExecSlot *slot = exec_find(env);
    if (slot) {
        tcg_cpu_free(slot->cpu);
        *slot = (ExecSlot){0};
        env->tlb.code_write = NULL;
    }
}

CpuExitReason cpu_exec(CpuX86 *env)
{
    ExecSlot *slot = exec_find(env);
    ASSERT(slot && slot->cpu);
    for (;;) {
        env->exception_index = -1;
        switch (tcg_exec(slot->cpu)) {
        case TCG_EXEC_EXCEPTION:
            if (env->exception_index < 0) {
                continue; /* a restarted self-modifying store */
            }
            return CPU_EXIT_EXCEPTION;
        case TCG_EXEC_REQUEST:
            env->exit_request = 0;
            return CPU_EXIT_REQUEST;
        case TCG_EXEC_FRONTEND:
            return CPU_EXIT_FRONTEND;
        }
        return CPU_EXIT_FRONTEND;
    }
}
