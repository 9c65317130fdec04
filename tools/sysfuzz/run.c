/*
 * tools/sysfuzz/run.c: one case on one backend. A fresh machine (RAM, an
 * address space, a vCPU, a translator context of its own) gets the case's
 * RAM image and initial state, runs with exception delivery through the
 * tables until HLT, a triple fault, an exit budget or the wall-clock guard
 * (CPU time of this thread; a watchdog thread raises CPU_EV_STOP), and
 * gives back the final
 * architectural state and a hash of RAM.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu/exec.h"
#include "mmu/memory.h"
#include "sysfuzz.h"

#define SF_MAX_EXITS 10000

const char *const sf_mode_names[SF_MODE_COUNT] = {"real", "prot16", "prot32",
                                                  "v86",  "long64", "compat"};
const char *const sf_paging_names[SF_PG_COUNT] = {"none", "32-bit", "pae",
                                                  "4-level", "5-level"};
const char *const sf_exit_names[SF_EXIT_COUNT] = {"hlt", "triple-fault",
                                                  "budget", "other"};

/*
 * ---- the time guard ----
 * A watchdog thread raises CPU_EV_STOP once the vCPU's thread has used
 * its CPU time budget: CPU time, not wall-clock time, so that a loaded
 * machine does not cut runs short. It polls every 2 ms while armed.
 */

static pthread_mutex_t wd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cond = PTHREAD_COND_INITIALIZER;
static CpuX86 *wd_env; /* the vCPU being guarded, NULL between runs */
static clockid_t wd_clock;
static double wd_deadline; /* seconds of wd_clock */
static bool wd_fired;

static double wd_now(clockid_t clk)
{
    struct timespec t;
    clock_gettime(clk, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void *wd_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&wd_lock);
    for (;;) {
        if (!wd_env || wd_fired) {
            pthread_cond_wait(&wd_cond, &wd_lock);
            continue;
        }
        pthread_mutex_unlock(&wd_lock);
        nanosleep(&(struct timespec){0, 2000000}, NULL);
        pthread_mutex_lock(&wd_lock);
        if (wd_env && !wd_fired && wd_now(wd_clock) >= wd_deadline) {
            cpu_event_raise(wd_env, CPU_EV_STOP);
            wd_fired = true;
        }
    }
    return NULL;
}

void sf_watchdog_start(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, wd_main, NULL) == 0) {
        pthread_detach(t);
    }
}

static void wd_arm(CpuX86 *env, unsigned ms)
{
    pthread_mutex_lock(&wd_lock);
    if (pthread_getcpuclockid(pthread_self(), &wd_clock)) {
        wd_clock = CLOCK_MONOTONIC;
    }
    wd_deadline = wd_now(wd_clock) + ms / 1000.0;
    wd_env = env;
    wd_fired = false;
    pthread_cond_signal(&wd_cond);
    pthread_mutex_unlock(&wd_lock);
}

static bool wd_disarm(void)
{
    pthread_mutex_lock(&wd_lock);
    bool fired = wd_fired;
    wd_env = NULL;
    pthread_mutex_unlock(&wd_lock);
    return fired;
}

/* ---- state in and out ---- */

static void sf_apply(CpuX86 *env, const SfState *s)
{
    memcpy(env->regs, s->regs, sizeof(env->regs));
    env->rip = s->rip;
    memcpy(env->cr, s->cr, sizeof(env->cr));
    env->efer = s->efer;
    memcpy(env->dr, s->dr, sizeof(env->dr));
    env->msr = s->msr;
    env->gdt = s->gdt;
    env->idt = s->idt;
    env->ldt = s->ldt;
    env->tr = s->tr;
    for (int i = 0; i < CPU_NB_SEGS; i++) {
        const SegCache *g = &s->segs[i];
        cpu_seg_set(env, i, g->selector, g->base, g->limit, g->attr);
    }
    cpu_load_eflags(env, s->rflags, ~0ull);
    cpu_update_hflags(env);
    tlb_flush(env);
    env->deliver = true;
}

static void seg_clean(SegCache *d, const SegCache *s)
{
    memset(d, 0, sizeof(*d));
    d->base = s->base;
    d->limit = s->limit;
    d->attr = s->attr;
    d->selector = s->selector;
}

static void sf_take(const CpuX86 *env, SfState *s)
{
    memset(s, 0, sizeof(*s));
    memcpy(s->regs, env->regs, sizeof(s->regs));
    s->rip = env->rip;
    s->rflags = cpu_compute_eflags(env);
    for (int i = 0; i < CPU_NB_SEGS; i++) {
        seg_clean(&s->segs[i], &env->segs[i]);
    }
    seg_clean(&s->ldt, &env->ldt);
    seg_clean(&s->tr, &env->tr);
    s->gdt.base = env->gdt.base;
    s->gdt.limit = env->gdt.limit;
    s->idt.base = env->idt.base;
    s->idt.limit = env->idt.limit;
    memcpy(s->cr, env->cr, sizeof(s->cr));
    s->efer = env->efer;
    memcpy(s->dr, env->dr, sizeof(s->dr));
    s->msr = env->msr;
    s->hflags = env->hflags;
}

static uint64_t ram_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    return h;
}

/* ---- the run ---- */

const char *sf_dump_prefix; /* --dump-ram: final RAM to PREFIX.jit/.interp */

static void sf_dump(const uint8_t *mem, TcgBackendKind backend)
{
    char path[512];
    snprintf(path, sizeof(path), "%s.%s", sf_dump_prefix,
             backend == TCG_BACKEND_JIT ? "jit" : "interp");
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(mem, 1, SF_RAM, f);
        fclose(f);
    }
}

static SfExit sf_loop(CpuX86 *env)
{
    for (int i = 0; i < SF_MAX_EXITS; i++) {
        switch (cpu_exec(env)) {
        case CPU_EXIT_TRIPLE_FAULT:
            return SF_EXIT_TRIPLE;
        case CPU_EXIT_FRONTEND:
            if (env->halted) {
                return SF_EXIT_HLT;
            }
            break;
        case CPU_EXIT_REQUEST:
            if (cpu_events(env) & CPU_EV_STOP) {
                return SF_EXIT_BUDGET;
            }
            break;
        case CPU_EXIT_EXCEPTION:
            return SF_EXIT_OTHER;
        }
    }
    return SF_EXIT_BUDGET;
}

void sf_run(const SfCase *c, TcgBackendKind backend, unsigned ms, SfResult *out)
{
    MemRegion *root = mr_new_container("sys", 1ull << 40);
    /* one RAM buffer per backend for the whole run: no page faults */
    static uint8_t *bufs[2];
    uint8_t **buf = &bufs[backend == TCG_BACKEND_JIT ? 0 : 1];
    if (!*buf) {
        *buf = aligned_alloc(1u << 21, SF_RAM);
        ASSERT(*buf);
    }
    MemRegion *ram = mr_new_ram_ptr("ram", SF_RAM, *buf);
    mr_add_subregion(root, 0, ram, 0);
    AddrSpace *as = as_new("system", root);
    uint8_t *mem = mr_ram_ptr(ram);
    memcpy(mem, c->ram, SF_RAM);
    CpuX86 *env = cpu_x86_new(as);
    env->features = c->features;
    sf_apply(env, &c->init);
    TcgCtx *tcg = cpu_tcg_new(backend, 16u << 20); /* interp TBs are big */
    cpu_exec_attach(env, tcg);

    wd_arm(env, ms);
    out->exit = sf_loop(env);
    if (wd_disarm()) {
        out->exit = SF_EXIT_BUDGET;
    }
    sf_take(env, &out->st);
    out->halted = env->halted;
    out->ram_hash = ram_hash(mem, SF_RAM);
    memcpy(&out->faults, mem + SF_FAULTS, 4);
    if (sf_dump_prefix) {
        sf_dump(mem, backend);
    }
    out->tbs = tcg_stats(tcg)->miss;
    out->flushes = tcg_stats(tcg)->flushes[TCG_FLUSH_FULL];

    cpu_exec_detach(env);
    tcg_free(tcg);
    cpu_x86_free(env);
    as_free(as);
    mr_free_tree(root);
}

/* ---- comparison ---- */

static bool diff64(const char *name, uint64_t a, uint64_t b, bool print)
{
    if (a != b && print) {
        printf("  %-10s jit 0x%016llx interp 0x%016llx\n", name,
               (unsigned long long)a, (unsigned long long)b);
    }
    return a != b;
}

static bool diff_seg(const char *name, const SegCache *a, const SegCache *b,
                     bool print)
{
    bool d = a->selector != b->selector || a->base != b->base ||
             a->limit != b->limit || a->attr != b->attr;
    if (d && print) {
        printf("  %-10s jit %04x %016llx %08x %05x interp %04x %016llx "
               "%08x %05x\n",
               name, a->selector, (unsigned long long)a->base, a->limit,
               a->attr, b->selector, (unsigned long long)b->base, b->limit,
               b->attr);
    }
    return d;
}

static bool diff_state(const SfState *a, const SfState *b, bool print)
{
    static const char *const gpr[16] = {
        "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
        "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
    static const char *const sn[CPU_NB_SEGS] = {"es", "cs", "ss",
                                                "ds", "fs", "gs"};
    static const char *const crn[9] = {"cr0", "cr1", "cr2", "cr3", "cr4",
                                       "cr5", "cr6", "cr7", "cr8"};
    bool d = false;
    for (int i = 0; i < 16; i++) {
        d |= diff64(gpr[i], a->regs[i], b->regs[i], print);
    }
    d |= diff64("rip", a->rip, b->rip, print);
    d |= diff64("rflags", a->rflags, b->rflags, print);
    for (int i = 0; i < CPU_NB_SEGS; i++) {
        d |= diff_seg(sn[i], &a->segs[i], &b->segs[i], print);
    }
    d |= diff_seg("ldtr", &a->ldt, &b->ldt, print);
    d |= diff_seg("tr", &a->tr, &b->tr, print);
    d |= diff64("gdtr.base", a->gdt.base, b->gdt.base, print);
    d |= diff64("gdtr.limit", a->gdt.limit, b->gdt.limit, print);
    d |= diff64("idtr.base", a->idt.base, b->idt.base, print);
    d |= diff64("idtr.limit", a->idt.limit, b->idt.limit, print);
    for (int i = 0; i < 9; i++) {
        d |= diff64(crn[i], a->cr[i], b->cr[i], print);
    }
    d |= diff64("efer", a->efer, b->efer, print);
    d |= diff64("hflags", a->hflags, b->hflags, print);
    for (int i = 0; i < 8; i++) {
        char n[8];
        snprintf(n, sizeof(n), "dr%d", i);
        d |= diff64(n, a->dr[i], b->dr[i], print);
    }
    if (memcmp(&a->msr, &b->msr, sizeof(a->msr))) {
        d = true;
        if (print) {
            printf("  msrs differ\n");
        }
    }
    return d;
}

bool sf_compare(const SfResult *a, const SfResult *b, bool print)
{
    bool d = false;
    if (a->exit != b->exit) {
        d = true;
        if (print) {
            printf("  exit       jit %s interp %s\n", sf_exit_names[a->exit],
                   sf_exit_names[b->exit]);
        }
    }
    if (a->exit == SF_EXIT_BUDGET || b->exit == SF_EXIT_BUDGET) {
        return d; /* stopped at different points: only the exit counts */
    }
    d |= diff_state(&a->st, &b->st, print);
    d |= diff64("ram hash", a->ram_hash, b->ram_hash, print);
    return d;
}
