/*
 * src/tcg/exec.c: the translator context and the dispatcher loop.
 *
 * tcg_exec() finds the next TB (jump cache, hash table, else translate
 * through the front end), chains the previous TB's goto_tb slot to it, runs
 * it on the backend and acts on the exit reason. Exceptions raised by
 * helpers or slow paths unwind here with siglongjmp (tcg_exit_to_dispatcher)
 * after the guest state of the faulting instruction has been restored from
 * the TB's insn_start side table.
 *
 * Tracing (`-d exec`, `-d cpu`, TcgConfig.count_insns) is decided when a
 * block is translated: a traced TB is never chained and its GOTO_PTR
 * becomes an exit to the dispatcher, which then sees every run of it
 * (logs it, counts its instructions); untraced TBs pay nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "tcg/tcg_int.h"
#include "util/log.h"

/*
 * The x86-64 backend: a strong reference when its source is in the tree
 * (a weak one would not pull it out of the static library), else weak.
 */
#if defined(__x86_64__) && __has_include("tcg/x86_64/x64_backend.c")
#define TCG_HAVE_X64 1
#else
extern const TcgBackend tcg_backend_x64 __attribute__((weak));
#define TCG_HAVE_X64 (&tcg_backend_x64 != NULL)
#endif

static __thread TcgCpu *tcg_cur_cpu;

static const TcgBackend *tcg_pick_backend(TcgBackendKind kind)
{
    if (kind == TCG_BACKEND_JIT && TCG_HAVE_X64) {
        return &tcg_backend_x64;
    }
    if (kind == TCG_BACKEND_JIT) {
        log_host_error("tcg: no JIT backend built in; using the interpreter");
    }
    return &tcg_backend_interp;
}

static void tcg_emit_prologue(TcgCtx *s)
{
    int n = s->be->emit_prologue(s, s->rw, s->rx, s->size);
    ASSERT(n >= 0);
    s->prologue = s->rx;
    s->prologue_end = ALIGN_UP((size_t)n, (size_t)16);
    s->used = s->prologue_end;
}

bool tcg_backend_parse(const char *name, TcgBackendKind *kind)
{
    if (!strcmp(name, "jit") || !strcmp(name, "x86_64")) {
        *kind = TCG_BACKEND_JIT;
    } else if (!strcmp(name, "interp")) {
        *kind = TCG_BACKEND_INTERP;
    } else {
        return false;
    }
    return true;
}

const char *tcg_backend_name(const TcgCtx *s)
{
    return s->be->name;
}

TcgCtx *tcg_new(const TcgConfig *cfg)
{
    ASSERT(cfg->nb_mmu <= TCG_MAX_MMU);
    ASSERT(cfg->fe.get_key && cfg->fe.translate && cfg->fe.code_phys);
    ASSERT(cfg->ld_slow && cfg->st_slow);
    TcgCtx *s = xzalloc(sizeof(*s));
    s->cfg = *cfg;
    s->be = tcg_pick_backend(cfg->backend);
    s->globals = ir_func_new();
    s->func = ir_func_new();
    tb_buf_init(s);
    if (s->be->init) {
        s->be->init(s);
    }
    tcg_emit_prologue(s);
    return s;
}

void tcg_free(TcgCtx *s)
{
    if (!s) {
        return;
    }
    while (s->ncpus) {
        tcg_cpu_free(s->cpus[s->ncpus - 1]);
    }
    if (s->be->fini) {
        s->be->fini(s);
    }
    tb_buf_fini(s);
    ir_func_free(s->globals);
    ir_func_free(s->func);
    free(s->cpus);
    if (s->perf) {
        fclose(s->perf);
    }
    free(s);
}

const TcgConfig *tcg_config(const TcgCtx *s)
{
    return &s->cfg;
}

TcgStats *tcg_stats(TcgCtx *s)
{
    return &s->stats;
}

void *tcg_backend_data(TcgCtx *s)
{
    return s->backend_data;
}

void tcg_set_backend_data(TcgCtx *s, void *data)
{
    s->backend_data = data;
}

const uint8_t *tcg_prologue(TcgCtx *s)
{
    return s->prologue;
}

IrTemp tcg_global_new(TcgCtx *s, IrType type, int32_t env_off, const char *name,
                      int pin)
{
    ASSERT(s->ntbs == 0);
    IrTemp t = ir_global_new(s->globals, type, env_off, name, pin);
    ir_global_new(s->func, type, env_off, name, pin);
    return t;
}

TcgCpu *tcg_cpu_new(TcgCtx *s, void *env)
{
    TcgCpu *cpu = xzalloc(sizeof(*cpu));
    cpu->s = s;
    cpu->env = env;
    cpu->jc = (TcgJcRef *)((char *)env + s->cfg.jc_off);
    cpu->jc->entries = xcalloc(TCG_JC_SIZE, sizeof(TcgJcEntry));
    cpu->jc->gen = 1; /* zeroed entries have gen 0: empty */
    s->cpus = xrealloc(s->cpus, (s->ncpus + 1) * sizeof(*s->cpus));
    s->cpus[s->ncpus++] = cpu;
    return cpu;
}

void tcg_cpu_free(TcgCpu *cpu)
{
    TcgCtx *s = cpu->s;
    for (uint32_t i = 0; i < s->ncpus; i++) {
        if (s->cpus[i] == cpu) {
            s->cpus[i] = s->cpus[--s->ncpus];
            break;
        }
    }
    free(cpu->jc->entries);
    cpu->jc->entries = NULL;
    free(cpu);
}

void tcg_jc_invalidate(TcgJcRef *jc)
{
    if (++jc->gen == 0 && jc->entries) { /* wrapped: old ones must miss */
        memset(jc->entries, 0, TCG_JC_SIZE * sizeof(TcgJcEntry));
        jc->gen = 1;
    }
}

void tcg_cpu_jc_flush(TcgCpu *cpu)
{
    tcg_jc_invalidate(cpu->jc);
}

TcgCpu *tcg_current_cpu(void)
{
    return tcg_cur_cpu;
}

/* emit IR through the front end, halving the block on overflow */
static void tcg_build_ir(TcgCpu *cpu, TcgTbDesc *desc)
{
    TcgCtx *s = cpu->s;
    IrFunc *f = s->func;
    for (;;) {
        ir_func_reset(f);
        s->cfg.fe.translate(cpu->env, f, desc);
        if (!f->overflow || desc->max_insns == 1) {
            break;
        }
        desc->max_insns = MAX(f->ninsns / 2, 1u);
    }
    ASSERT(!f->overflow);
}

/* a traced TB leaves through the dispatcher instead of the jump cache */
static void tcg_untie_goto_ptr(IrFunc *f)
{
    for (uint32_t i = 0; i < f->nops; i++) {
        IrOp *op = &f->ops[i];
        if (op->opc == IR_GOTO_PTR) {
            op->opc = IR_EXIT_TB;
            op->nout = op->nin = 0;
            op->ncon = 1;
            op->args[0] = IR_EXIT_LOOKUP;
        }
    }
}

static bool tcg_tracing(const TcgCtx *s)
{
    return s->cfg.count_insns || log_enabled(LOG_EXEC | LOG_CPU);
}

static void tcg_log_in_asm(TcgCpu *cpu, const TcgTbDesc *desc)
{
    FILE *f = log_file();
    fprintf(f, "----------------\nIN: \n");
    cpu->s->cfg.fe.log_in_asm(cpu->env, desc, f);
    fputc('\n', f);
}

Tb *tcg_translate(TcgCpu *cpu, const TbKey *key)
{
    TcgCtx *s = cpu->s;
    IrFunc *f = s->func;
    TcgTbDesc desc = {.key = *key, .phys_page2 = TCG_NO_PAGE};
    bool traced = tcg_tracing(s);
    tcg_build_ir(cpu, &desc);
    if (log_enabled(LOG_IN_ASM) && s->cfg.fe.log_in_asm) {
        tcg_log_in_asm(cpu, &desc);
    }
    if (traced) {
        tcg_untie_goto_ptr(f);
    }
    s->stats.miss++;
    s->stats.ir_ops_in += f->nops;
    if (log_enabled(LOG_OP)) {
        log_printf("OP: pc=0x%llx\n", (unsigned long long)key->pc);
        ir_dump(f, log_file());
    }
    if (s->cfg.no_opt) {
        ir_liveness(f);
    } else {
        ir_optimize(f);
    }
    s->stats.ir_ops_out += f->nops;
    if (log_enabled(LOG_OP_OPT)) {
        log_printf("OP after optimization: pc=0x%llx\n",
                   (unsigned long long)key->pc);
        ir_dump(f, log_file());
    }
    Tb *tb = tb_gen(s, &desc, f);
    tb->traced = traced;
    return tb;
}

Tb *tcg_tb_lookup(TcgCtx *s, const TbKey *key)
{
    return tb_hash_lookup(s, key);
}

/* a block on two pages: is its second page still mapped where it was? */
static bool tcg_page2_ok(TcgCpu *cpu, const TbKey *key, const Tb *tb)
{
    const TcgFrontend *fe = &cpu->s->cfg.fe;
    return tb->phys_page2 == TCG_NO_PAGE || !fe->code_phys_page2 ||
           fe->code_phys_page2(cpu->env, key, tb->size) == tb->phys_page2;
}

/*
 * Jump cache, then hash table, then translation. A jump-cache hit needs no
 * physical check: the entry was filled below under the current mapping,
 * and any change of mapping has bumped the cache's generation since.
 */
static Tb *tcg_find_tb(TcgCpu *cpu)
{
    TcgCtx *s = cpu->s;
    TbKey key = {0};
    s->cfg.fe.get_key(cpu->env, &key);
    TcgJcEntry *e = &cpu->jc->entries[tcg_jc_hash(key.pc)];
    if (e->gen == cpu->jc->gen && e->pc == key.pc &&
        e->cs_base == key.cs_base && e->flags == key.flags) {
        s->stats.jc_hit++;
        return e->tb;
    }
    key.phys_pc = s->cfg.fe.code_phys(cpu->env, &key);
    Tb *tb = NULL;
    while ((tb = tb_hash_next_match(s, &key, tb)) &&
           !tcg_page2_ok(cpu, &key, tb)) {
    }
    if (tb) {
        s->stats.hash_hit++;
    } else {
        tb = tcg_translate(cpu, &key);
    }
    e->pc = key.pc;
    e->cs_base = key.cs_base;
    e->flags = key.flags;
    e->tb = tb;
    e->gen = cpu->jc->gen;
    return tb;
}

static bool tcg_exit_requested(TcgCpu *cpu)
{
    const int32_t *req =
        (const int32_t *)((char *)cpu->env + cpu->s->cfg.exit_request_off);
    return __atomic_load_n(req, __ATOMIC_RELAXED) < 0;
}

/* a traced TB is about to run: count it, `-d exec` and `-d cpu` */
static void tcg_trace_tb(TcgCpu *cpu, const Tb *tb)
{
    TcgCtx *s = cpu->s;
    s->stats.traced_tbs++;
    s->stats.guest_insns += tb->icount;
    if (log_enabled(LOG_EXEC)) {
        log_printf("Trace 0: %p [%08llx/%016llx/%08x/%08x] \n",
                   (const void *)tb->code, (unsigned long long)tb->cs_base,
                   (unsigned long long)tb->pc, tb->flags, tb->icount);
    }
    if (log_enabled(LOG_CPU) && s->cfg.fe.log_cpu) {
        s->cfg.fe.log_cpu(cpu->env, log_file());
    }
}

/* the TB was entered (maybe by a chained jump) but did not run */
static void tcg_restore_tb_start(TcgCpu *cpu, const Tb *tb)
{
    if (tb->ninsns && cpu->s->cfg.fe.restore_state) {
        cpu->s->cfg.fe.restore_state(cpu->env, &tb->insn_words[0]);
    }
}

static TcgExecResult tcg_exec_loop(TcgCpu *cpu)
{
    TcgCtx *s = cpu->s;
    Tb *last = NULL;
    int last_slot = -1;
    uint64_t gen = s->flush_gen;
    for (;;) {
        if (tcg_exit_requested(cpu)) {
            return TCG_EXEC_REQUEST;
        }
        Tb *tb = tcg_find_tb(cpu);
        if (unlikely(tb->traced)) {
            tcg_trace_tb(cpu, tb);
        }
        /* a block on two pages is entered only through a lookup */
        if (last && last_slot >= 0 && gen == s->flush_gen && !last->traced &&
            tb->phys_page2 == TCG_NO_PAGE) {
            tb_add_jump(s, last, last_slot, tb);
        }
        gen = s->flush_gen;
        s->running = true;
        TcgExitVal v = s->be->exec(s, cpu->env, tb);
        s->running = false;
        IrExit why = tcg_exit_reason(v);
        last = tcg_exit_tb(v);
        last_slot = -1;
        s->stats.exits[why]++;
        switch (why) {
        case IR_EXIT_TB0:
        case IR_EXIT_TB1:
            last_slot = (int)why;
            break;
        case IR_EXIT_LOOKUP:
            break;
        case IR_EXIT_REQUEST:
            tcg_restore_tb_start(cpu, last);
            if (last->traced) {
                s->stats.guest_insns -= last->icount; /* it did not run */
            }
            return TCG_EXEC_REQUEST;
        case IR_EXIT_FRONTEND:
            return TCG_EXEC_FRONTEND;
        case IR_EXIT__COUNT:
            ASSERT(0);
            break;
        }
    }
}

TcgExecResult tcg_call(TcgCpu *cpu, void (*fn)(void *arg), void *arg)
{
    TcgCpu *prev = tcg_cur_cpu;
    ASSERT(!cpu->in_exec);
    tcg_cur_cpu = cpu;
    cpu->in_exec = true;
    cpu->interp_ra = 0;
    TcgExecResult r = TCG_EXEC_FRONTEND;
    if (sigsetjmp(cpu->unwind, 0)) {
        r = TCG_EXEC_EXCEPTION;
    } else {
        fn(arg);
    }
    cpu->in_exec = false;
    tcg_cur_cpu = prev;
    return r;
}

TcgExecResult tcg_exec(TcgCpu *cpu)
{
    TcgCpu *prev = tcg_cur_cpu;
    ASSERT(!cpu->in_exec);
    tcg_cur_cpu = cpu;
    cpu->in_exec = true;
    cpu->interp_ra = 0;
    TcgExecResult r;
    if (sigsetjmp(cpu->unwind, 0)) {
        cpu->s->running = false;
        cpu->s->stats.exceptions++;
        r = TCG_EXEC_EXCEPTION;
    } else {
        r = tcg_exec_loop(cpu);
    }
    cpu->in_exec = false;
    cpu->interp_ra = 0;
    tcg_cur_cpu = prev;
    return r;
}

/*
 * The raise point at host offset off exactly (binary search: they are
 * recorded in code order). A call that raises without a record is a bug of
 * the backend or of a helper's IRH_RAISE flag: restoring the state of some
 * earlier instruction instead would run the guest on from the wrong place.
 */
static const TbRaisePoint *tcg_find_raise(const Tb *tb, uint32_t off)
{
    uint32_t lo = 0, hi = tb->nraise;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (tb->raise[mid].host_off < off) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    ASSERT(lo < tb->nraise && tb->raise[lo].host_off == off);
    return &tb->raise[lo];
}

/* restore the state of the insn calling at retaddr; its TB, or NULL */
static Tb *tcg_restore_at(TcgCpu *cpu, uintptr_t retaddr, uint32_t *insn)
{
    TcgCtx *s = cpu->s;
    Tb *tb = tb_find_by_host(s, retaddr);
    if (!tb && cpu->interp_ra) {
        retaddr = cpu->interp_ra;
        tb = tb_find_by_host(s, retaddr);
    }
    if (!tb) {
        return NULL;
    }
    const TbRaisePoint *rp =
        tcg_find_raise(tb, (uint32_t)(retaddr - (uintptr_t)tb->code));
    ASSERT(rp->insn < tb->ninsns);
    if (s->cfg.fe.restore_state) {
        s->cfg.fe.restore_state(cpu->env, &tb->insn_words[rp->insn * 3]);
    }
    *insn = rp->insn;
    return tb;
}

bool tcg_restore_state(TcgCpu *cpu, uintptr_t retaddr)
{
    uint32_t insn;
    return tcg_restore_at(cpu, retaddr, &insn) != NULL;
}

void tcg_exit_to_dispatcher(uintptr_t retaddr)
{
    TcgCpu *cpu = tcg_cur_cpu;
    ASSERT(cpu && cpu->in_exec);
    uint32_t insn;
    Tb *tb = retaddr ? tcg_restore_at(cpu, retaddr, &insn) : NULL;
    if (tb && tb->traced && insn < tb->icount) {
        /* the raising insn and those after it did not complete */
        cpu->s->stats.guest_insns -= tb->icount - insn;
    }
    siglongjmp(cpu->unwind, 1);
}
