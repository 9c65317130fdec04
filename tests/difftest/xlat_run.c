/*
 * dt_xlat_run(): one machine per backend (1 MiB of RAM, 4-level page
 * tables, a CpuX86 in user mode and a translator context), kept across
 * cases because building one costs more than most cases (page faults on
 * freshly zeroed tables). Each case starts from a clean one all the same:
 * the CPU is RESET and put in the case's mode, the translation cache is
 * flushed, the page tables, code and data are written anew, so no
 * translation or CPU state survives from one case to the next. Physical
 * layout: page tables from 0x1000, data at 0x10000, code at
 * 0x20000; code pages are user read-only, data pages user read/write.
 */
#include "xlat_run.h"

#include <signal.h>
#include <string.h>
#include <sys/time.h>

#include "cpu/cpu.h"
#include "cpu/exec.h"
#include "hostcpu.h"

#define XR_RAM_SIZE 0x100000ull
#define XR_PML4 0x1000ull
#define XR_PDPT 0x2000ull
#define XR_PD 0x3000ull
#define XR_PT_DATA 0x4000ull
#define XR_PT_CODE 0x5000ull
#define XR_DATA_PHYS 0x10000ull
#define XR_CODE_PHYS 0x20000ull
#define XR_P 0x1ull
#define XR_RW 0x2ull
#define XR_US 0x4ull
#define XR_CODE_SIZE (1u << 20)

typedef struct XrMachine {
    MemRegion *root, *ram;
    AddrSpace *as;
    CpuX86 *env;
    TcgCtx *tcg;
    uint8_t *mem;
} XrMachine;

static void xr_st64(XrMachine *m, uint64_t pa, uint64_t v)
{
    memcpy(m->mem + pa, &v, 8);
}

static void xr_map_region(XrMachine *m, uint64_t va, uint64_t pa, uint64_t pt,
                          uint64_t size, uint64_t flags)
{
    xr_st64(m, XR_PD + 8 * ((va >> 21) & 511), pt | XR_P | XR_RW | XR_US);
    for (uint64_t off = 0; off < size; off += 0x1000) {
        uint64_t slot = pt + 8 * (((va + off) >> 12) & 511);
        xr_st64(m, slot, (pa + off) | flags);
    }
}

/* DT_CODE_HIGH -> the first code page (PML4 255, PDPT 511, PD 511) */
#define XR_PDPT_HI 0x6000ull
#define XR_PD_HI 0x7000ull
#define XR_PT_HI 0x8000ull
static void xr_page_tables_high(XrMachine *m)
{
    uint64_t va = DT_CODE_HIGH, dir = XR_P | XR_RW | XR_US;
    xr_st64(m, XR_PML4 + 8 * ((va >> 39) & 511), XR_PDPT_HI | dir);
    xr_st64(m, XR_PDPT_HI + 8 * ((va >> 30) & 511), XR_PD_HI | dir);
    xr_st64(m, XR_PD_HI + 8 * ((va >> 21) & 511), XR_PT_HI | dir);
    xr_st64(m, XR_PT_HI + 8 * ((va >> 12) & 511), XR_CODE_PHYS | XR_P | XR_US);
}

static void xr_page_tables(XrMachine *m)
{
    xr_page_tables_high(m);
    xr_st64(m, XR_PML4, XR_PDPT | XR_P | XR_RW | XR_US);
    xr_st64(m, XR_PDPT, XR_PD | XR_P | XR_RW | XR_US);
    xr_map_region(m, DT_DATA_ADDR, XR_DATA_PHYS, XR_PT_DATA, DT_DATA_SIZE,
                  XR_P | XR_RW | XR_US);
    xr_map_region(m, DT_CODE_ADDR, XR_CODE_PHYS, XR_PT_CODE, DT_CODE_SIZE,
                  XR_P | XR_US);
}

/*
 * Long mode, CPL 3: CS 64-bit code (or, for DT_MODE32, 32-bit code in
 * compatibility mode: D = 1, L = 0), SS/DS/ES flat data, all DPL 3, with
 * the selectors the host's run uses (dt_native_selectors).
 */
_Static_assert(((uint64_t)DT_REAL_DS << 4) == XR_DATA_PHYS &&
                   ((uint64_t)DT_REAL_CS << 4) == XR_CODE_PHYS,
               "real-mode segments over the code and data pages");

/* real mode: no paging, CS:0 = the code page, DS:0 = the data page */
static void xr_cpu_real(CpuX86 *env)
{
    uint32_t data = SEG_AR_P | SEG_AR_S | 0x3u;
    env->cr[0] = CR0_ET | CR0_NE;
    env->efer = 0;
    for (int i = 0; i < CPU_NB_SEGS; i++) {
        cpu_seg_set(env, i, DT_REAL_DS, (uint64_t)DT_REAL_DS << 4, 0xffff,
                    data);
    }
    cpu_seg_set(env, R_CS, DT_REAL_CS, (uint64_t)DT_REAL_CS << 4, 0xffff,
                SEG_AR_P | SEG_AR_S | 0xbu);
    cpu_update_hflags(env);
    tlb_flush(env);
}

static void xr_cpu_mode(CpuX86 *env, unsigned mode)
{
    if (mode == DT_MODE_REAL) {
        xr_cpu_real(env);
        return;
    }
    uint32_t dpl3 = 3u << SEG_AR_DPL_SHIFT;
    uint32_t data = SEG_AR_P | SEG_AR_S | dpl3 | 0x3u | SEG_AR_DB | SEG_AR_G;
    env->cr[0] = CR0_PE | CR0_PG | CR0_WP | CR0_ET | CR0_NE;
    env->cr[3] = XR_PML4;
    env->cr[4] = CR4_PAE | CR4_OSFXSR | BIT(10); /* OSXMMEXCPT, as Linux */
    env->efer = EFER_LME | EFER_LMA | EFER_NXE;
    uint16_t cs = 0x33, ds = DT_USER_DS;
    if (mode == DT_MODE32 || mode == DT_MODE16) { /* the host's selectors */
        dt_native_selectors(mode, &cs, &ds);
    }
    for (int i = 0; i < CPU_NB_SEGS; i++) {
        cpu_seg_set(env, i, mode == DT_MODE16 ? DT_USER_DS : ds, 0, 0xffffffff,
                    data);
    }
    if (mode == DT_MODE16) { /* the host's LDT segments (native.h) */
        uint32_t d16 = SEG_AR_P | SEG_AR_S | dpl3 | 0x3u;
        for (int i = 0; i < CPU_NB_SEGS; i++) {
            if (i != R_FS && i != R_GS) {
                cpu_seg_set(env, i, ds, DT_DATA_ADDR, 0xffff, d16);
            }
        }
        cpu_seg_set(env, R_CS, cs, DT_CODE_ADDR, 0xffff,
                    SEG_AR_P | SEG_AR_S | dpl3 | 0xbu);
    } else if (mode == DT_MODE32) {
        cpu_seg_set(env, R_CS, cs, 0, 0xffffffff,
                    SEG_AR_P | SEG_AR_S | dpl3 | 0xbu | SEG_AR_DB | SEG_AR_G);
    } else {
        cpu_seg_set(env, R_CS, cs, 0, 0xffffffff,
                    SEG_AR_P | SEG_AR_S | dpl3 | 0xbu | SEG_AR_L | SEG_AR_G);
    }
    cpu_update_hflags(env);
    tlb_flush(env);
}

static void xr_new(XrMachine *m, TcgBackendKind backend, unsigned mode)
{
    m->root = mr_new_container("sys", 1ull << 40);
    m->ram = mr_new_ram("ram", XR_RAM_SIZE);
    mr_add_subregion(m->root, 0, m->ram, 0);
    m->as = as_new("system", m->root);
    m->mem = mr_ram_ptr(m->ram);
    xr_page_tables(m);
    m->env = cpu_x86_new(m->as);
    xr_cpu_mode(m->env, mode);
    m->tcg = cpu_tcg_new(backend, XR_CODE_SIZE);
    cpu_exec_attach(m->env, m->tcg);
}

static void xr_load(XrMachine *m, const DtCase *c)
{
    CpuX86 *env = m->env;
    memcpy(env->regs, c->init.gpr, sizeof(env->regs));
    bool cs_rel = c->mode == DT_MODE16 || c->mode == DT_MODE_REAL;
    env->rip = cs_rel ? 0 : DT_CODE_ADDR; /* CS-relative */
    /* user mode runs with IF set, as the host's does */
    cpu_load_eflags(env, c->init.rflags | EFL_IF, DT_FLAGS_USER | EFL_IF);
    memcpy(m->mem + XR_DATA_PHYS, c->init.data, DT_DATA_SIZE);
    for (unsigned i = 0; i < 16; i++) {
        memcpy(env->fpu.zmm[i].q, c->init.xmm[i], 16);
    }
    env->fpu.mxcsr = c->init.mxcsr;
    memset(m->mem + XR_CODE_PHYS, 0xcc, DT_CODE_SIZE);
    if (c->len) {
        memcpy(m->mem + XR_CODE_PHYS, c->code, c->len);
    }
}

static void xr_result(XrMachine *m, const DtCase *c, DtResult *out)
{
    CpuX86 *env = m->env;
    memset(out, 0, sizeof(*out));
    memcpy(out->final.gpr, env->regs, sizeof(out->final.gpr));
    out->final.rip = env->rip;
    if (c->mode == DT_MODE32 || c->mode == DT_MODE16) { /* host: undef */
        for (unsigned i = 0; i < DT_NREGS; i++) {
            out->final.gpr[i] &= 0xffffffffu;
        }
    }
    out->final.rflags = cpu_compute_eflags(env) & DT_FLAGS_USER;
    for (unsigned i = 0; i < 16; i++) {
        memcpy(out->final.xmm[i], env->fpu.zmm[i].q, 16);
    }
    out->final.mxcsr = env->fpu.mxcsr;
    memcpy(out->final.data, m->mem + XR_DATA_PHYS, DT_DATA_SIZE);
    out->trapno = env->exception_index;
    out->exception = dt_exc_from_vector(env->exception_index);
    bool cs_rel = c->mode == DT_MODE16 || c->mode == DT_MODE_REAL;
    uint64_t base = cs_rel ? 0 : DT_CODE_ADDR;
    if (out->exception == DT_EXC_BP && env->rip == base + c->len + 1) {
        out->exception = DT_EXC_NONE;
        out->final.rip -= 1;
        out->trapno = -1;
    }
    if (out->exception == DT_EXC_PF) {
        out->fault_addr = env->exception_cr2;
        out->pf_error = env->error_code;
    }
}

/* the wall-clock timeout: SIGALRM raises CPU_EV_STOP */
static CpuX86 *volatile xr_running;

static void xr_alarm(int sig)
{
    CpuX86 *env = xr_running;
    if (env) {
        cpu_event_raise(env, CPU_EV_STOP);
    }
}

static void xr_timer(unsigned ms)
{
    struct itimerval it = {
        .it_value = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

/* until an exception or the timeout; false on timeout */
static bool xr_exec(XrMachine *m, unsigned ms)
{
    struct sigaction sa = {.sa_handler = xr_alarm}, old;
    sigaction(SIGALRM, &sa, &old);
    xr_running = m->env;
    xr_timer(ms);
    CpuExitReason r = CPU_EXIT_FRONTEND;
    /* a front-end exit just resumes; bounded in case one repeats */
    for (unsigned i = 0; i < 1000000 && r == CPU_EXIT_FRONTEND; i++) {
        r = cpu_exec(m->env);
    }
    xr_timer(0);
    xr_running = NULL;
    sigaction(SIGALRM, &old, NULL);
    return r == CPU_EXIT_EXCEPTION;
}

/* the machine of a backend, made on first use and reset for each case */
static XrMachine *xr_get(TcgBackendKind backend, unsigned mode)
{
    static XrMachine machines[2];
    static bool made[2];
    unsigned i = backend == TCG_BACKEND_JIT ? 0 : 1;
    XrMachine *m = &machines[i];
    if (!made[i]) {
        xr_new(m, backend, mode);
        made[i] = true;
        return m;
    }
    tcg_flush(m->tcg, TCG_FLUSH_USER);
    xr_page_tables(m);
    cpu_x86_reset(m->env);
    m->env->smc_armed = false;
    xr_cpu_mode(m->env, mode);
    return m;
}

int dt_xlat_run(const DtCase *c, TcgBackendKind backend, DtResult *out)
{
    if (c->len > DT_CODE_MAX) {
        return -1;
    }
    XrMachine *m = xr_get(backend, c->mode);
    /* the host as the CPU model, unless the case names one */
    m->env->features = c->model ? c->model : dt_host_features();
    xr_load(m, c);
    bool done =
        xr_exec(m, c->timeout_ms ? c->timeout_ms : DT_TIMEOUT_MS_DEFAULT);
    xr_result(m, c, out);
    if (!done) {
        out->exception = DT_EXC_TIMEOUT;
        out->trapno = -1;
    }
    return 0;
}

int dt_result_diff(const DtResult *a, const DtResult *b, uint32_t undef_flags,
                   FILE *f)
{
    int n = 0;
    if (a->exception != b->exception) {
        if (f) {
            fprintf(f, "exception: %s vs %s\n", dt_exc_name(a->exception),
                    dt_exc_name(b->exception));
        }
        n++;
    } else if (a->exception == DT_EXC_PF &&
               !(undef_flags & DT_UNDEF_PF_WHICH) &&
               (a->fault_addr != b->fault_addr ||
                (a->pf_error ^ b->pf_error) & (DT_PF_P | DT_PF_W))) {
        if (f) {
            fprintf(f, "#PF: addr 0x%llx err 0x%x vs addr 0x%llx err 0x%x\n",
                    (unsigned long long)a->fault_addr, a->pf_error,
                    (unsigned long long)b->fault_addr, b->pf_error);
        }
        n++;
    }
    uint64_t mask = DT_FLAGS_USER & ~(uint64_t)undef_flags;
    return n + dt_state_diff(&a->final, &b->final, mask, f);
}
