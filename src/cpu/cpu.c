/*
 * x86-64 vCPU state: creation, the RESET state, RFLAGS <-> lazy flags,
 * hflags (the translation-relevant mode word), segment-cache loads and the
 * `-d cpu` dump.
 *
 * References: SDM vol. 3A 9.1 (processor state after reset), 3.4.5 (segment
 * descriptors), 5.5 (privilege levels: CPL is SS.DPL, as VMX also assumes),
 * vol. 1 3.4.3 (RFLAGS).
 */
#include "cpu/cpu.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/debug.h"
#include "cpu/exec.h"
#include "cpu/smm.h"
#include "util/log.h"

CpuX86 *cpu_x86_new(AddrSpace *as)
{
    /* the vector registers are 64-byte aligned (cpu/fpu.h) */
    size_t size = ALIGN_UP(sizeof(CpuX86), (size_t)64);
    CpuX86 *env = aligned_alloc(64, size);
    ASSERT(env);
    memset(env, 0, size);
    env->as = as;
    cpu_model_apply(env, cpu_model_of(env)); /* `max` until told */
    tlb_init(env);
    cpu_x86_reset(env);
    return env;
}

void cpu_x86_free(CpuX86 *env)
{
    if (!env) {
        return;
    }
    tlb_destroy(env);
    free(env);
}

/* present, S=1, accessed, read/write data (type 3) or execute/read code */
#define SEG_AR_RESET_DATA (SEG_AR_P | SEG_AR_S | 0x3u)
#define SEG_AR_RESET_CODE (SEG_AR_P | SEG_AR_S | 0xbu)
#define SEG_AR_RESET_LDT (SEG_AR_P | 0x2u)
#define SEG_AR_RESET_TSS (SEG_AR_P | 0xbu) /* busy 32-bit TSS */

static void cpu_reset_segments(CpuX86 *env)
{
    for (int i = 0; i < CPU_NB_SEGS; i++) {
        cpu_seg_set(env, i, 0, 0, 0xffff, SEG_AR_RESET_DATA);
    }
    cpu_seg_set(env, R_CS, 0xf000, 0xffff0000, 0xffff, SEG_AR_RESET_CODE);
    env->ldt = (SegCache){.limit = 0xffff, .attr = SEG_AR_RESET_LDT};
    env->tr = (SegCache){.limit = 0xffff, .attr = SEG_AR_RESET_TSS};
    env->gdt = (DtReg){.limit = 0xffff};
    env->idt = (DtReg){.limit = 0xffff};
}

static void cpu_reset_msrs(CpuX86 *env)
{
    memset(&env->msr, 0, sizeof(env->msr));
    env->msr.pat = 0x0007040600070406ull;
    /* xAPIC at its default base, globally enabled, this is the BSP */
    env->msr.apic_base = 0xfee00000ull | BIT(11) | BIT(8);
    msr_reset(env); /* the model's MSRs, MISC_ENABLE, the TSC */
}

void cpu_x86_reset(CpuX86 *env)
{
    if (log_enabled(LOG_CPU_RESET)) { /* the state before, as QEMU does */
        fprintf(log_file(), "CPU Reset (CPU %u)\n", env->cpu_index);
        cpu_dump_state(env, log_file());
    }
    memset(env->regs, 0, sizeof(env->regs));
    env->regs[R_EDX] = env->cpuid_signature;
    env->rip = 0xfff0;
    env->cc_op = CC_OP_EFLAGS;
    env->cc_src = env->cc_dst = env->cc_src2 = 0;
    env->df = 1;
    env->eflags = EFL_FIXED;
    env->exit_request = 0;
    env->pending = 0;
    env->event_mask = CPU_EV_ALL;
    env->hflags = 0;
    cpu_reset_segments(env);
    memset(env->cr, 0, sizeof(env->cr));
    env->cr[0] = CR0_CD | CR0_NW | CR0_ET;
    env->efer = 0;
    memset(env->dr, 0, sizeof(env->dr));
    env->dr[6] = 0xffff0ff0;
    env->dr[7] = 0x400;
    cpu_debug_reset(env);
    memset(env->pdpte, 0, sizeof(env->pdpte));
    cpu_reset_msrs(env);
    env->a20_mask = ~0ull;
    env->halted = false;
    env->wait_sipi = false;
    env->nmi_blocked = false;
    smm_reset(env);
    env->exception_index = -1;
    env->error_code = 0;
    env->has_error_code = false;
    env->exception_cr2 = 0;
    fpu_reset(env);
    cpu_update_hflags(env);
    tlb_flush(env);
}

void cpu_x86_init(CpuX86 *env)
{
    CpuMsrs msr = env->msr;
    uint64_t cache = env->cr[0] & (CR0_CD | CR0_NW);
    uint64_t smbase = env->smbase;         /* INIT keeps SMBASE */
    void *fpu = xmalloc(sizeof(env->fpu)); /* and the x87/SSE/AVX state */
    memcpy(fpu, &env->fpu, sizeof(env->fpu));
    cpu_x86_reset(env);
    memcpy(&env->fpu, fpu, sizeof(env->fpu));
    free(fpu);
    env->smbase = smbase;
    env->msr = msr;
    env->cr[0] = (env->cr[0] & ~(CR0_CD | CR0_NW)) | cache;
}

/* ---- RFLAGS ---- */

uint64_t cpu_compute_eflags(const CpuX86 *env)
{
    uint32_t f = env->eflags;
    f |= cc_compute_all((CcOp)env->cc_op, env->cc_dst, env->cc_src,
                        env->cc_src2);
    if (env->df < 0) {
        f |= EFL_DF;
    }
    return f;
}

void cpu_load_eflags(CpuX86 *env, uint64_t value, uint64_t mask)
{
    /* all bits given (IRET, SYSCALL, SYSRET): the old flags are not needed */
    uint64_t f = mask == ~0ull ? value : cpu_compute_eflags(env);
    f = (f & ~mask) | (value & mask);
    f = (f & EFL_DEFINED) | EFL_FIXED;
    env->cc_src = f & CC_ALL;
    env->cc_dst = 0;
    env->cc_src2 = 0;
    env->cc_op = CC_OP_EFLAGS;
    env->df = (f & EFL_DF) ? -1 : 1;
    env->eflags = (uint32_t)(f & ~(uint64_t)(CC_ALL | EFL_DF));
    cpu_update_hflags(env);
}

/* ---- hflags ---- */

static uint32_t cpu_hflags_cr(const CpuX86 *env)
{
    uint32_t hf = 0;
    uint64_t cr0 = env->cr[0], cr4 = env->cr[4];
    hf |= (cr0 & CR0_PE) ? HF_PE : 0;
    hf |= (cr0 & CR0_PG) ? HF_PG : 0;
    hf |= (cr0 & CR0_EM) ? HF_EM : 0;
    hf |= (cr0 & CR0_TS) ? HF_TS : 0;
    hf |= (cr0 & CR0_MP) ? HF_MP : 0;
    hf |= (cr4 & CR4_OSFXSR) ? HF_OSFXSR : 0;
    hf |= (cr4 & CR4_SMAP) ? HF_SMAP : 0;
    hf |= (cr4 & CR4_UMIP) ? HF_UMIP : 0;
    hf |= (cr4 & CR4_FSGSBASE) ? HF_FSGSBASE : 0;
    hf |= (cr4 & CR4_OSXSAVE) ? HF_OSXSAVE : 0;
    hf |= (cr4 & CR4_LA57) ? HF_LA57 : 0;
    hf |= (env->efer & EFER_LMA) ? HF_LMA : 0;
    return hf;
}

static uint32_t cpu_hflags_seg(const CpuX86 *env, uint32_t hf)
{
    const SegCache *cs = &env->segs[R_CS], *ss = &env->segs[R_SS];
    if ((hf & HF_LMA) && (cs->attr & SEG_AR_L)) {
        return hf | HF_CS64 | HF_CS32 | HF_SS32;
    }
    hf |= (cs->attr & SEG_AR_DB) ? HF_CS32 : 0;
    hf |= (ss->attr & SEG_AR_DB) ? HF_SS32 : 0;
    bool addseg =
        env->segs[R_DS].base | env->segs[R_ES].base | env->segs[R_SS].base;
    if (addseg || !(hf & HF_PE) || (hf & HF_VM)) {
        hf |= HF_ADDSEG;
    }
    return hf;
}

/*
 * The offset ranges of one segment (SDM vol. 3A 5.3, 5.4): real and V86
 * mode check only the limit (any type in the cache: unreal mode); in
 * protected mode an unusable segment has no range, a code segment is
 * never writable and readable only if its type says so, and expand-down
 * data lies above the limit, up to 0xffff or 4 GiB-1 by the B flag.
 */
static SegRange cpu_seg_range(const SegCache *s, uint32_t hf)
{
    SegRange r = {0, s->limit, 0, s->limit};
    if (!(hf & HF_PE) || (hf & HF_VM)) {
        return r;
    }
    uint32_t type = s->attr & SEG_AR_TYPE;
    if ((s->attr & SEG_AR_UNUSABLE) || !(s->attr & SEG_AR_S)) {
        return (SegRange){1, 0, 1, 0};
    }
    if (type & 0x8u) { /* code: bit 1 readable */
        r.wlo = 1, r.whi = 0;
        if (!(type & 0x2u)) {
            r.rlo = 1, r.rhi = 0;
        }
        return r;
    }
    if (type & 0x4u) { /* expand-down data */
        uint32_t top = (s->attr & SEG_AR_DB) ? 0xffffffffu : 0xffffu;
        r = (SegRange){s->limit + 1, top, s->limit + 1, top};
        if (s->limit >= top) {
            r = (SegRange){1, 0, 1, 0};
        }
    }
    if (!(type & 0x2u)) { /* read-only data */
        r.wlo = 1, r.whi = 0;
    }
    return r;
}

/* the segment ranges, and which segments need checks (HF_SEGCHK) */
static uint32_t cpu_hflags_segchk(CpuX86 *env, uint32_t hf)
{
    for (int i = 0; i < CPU_NB_SEGS; i++) {
        SegRange r = cpu_seg_range(&env->segs[i], hf);
        env->seg_range[i] = r;
        bool flat = r.rlo == 0 && r.rhi == 0xffffffffu && r.wlo == 0 &&
                    r.whi == 0xffffffffu;
        if (i == R_CS) {
            flat = env->segs[i].limit == 0xffffffffu;
        }
        if (!flat && !(hf & HF_CS64)) {
            hf |= HF_SEGCHK(i);
        }
    }
    return hf;
}

static unsigned cpu_compute_cpl(const CpuX86 *env, uint32_t hf)
{
    if (!(hf & HF_PE)) {
        return 0;
    }
    if (hf & HF_VM) {
        return 3;
    }
    return (env->segs[R_SS].attr >> SEG_AR_DPL_SHIFT) & 3;
}

void cpu_update_hflags(CpuX86 *env)
{
    const uint32_t keep = HF_INHIBIT_IRQ | HF_SMM | HF_VMX_GUEST;
    uint32_t hf = (env->hflags & keep) | cpu_hflags_cr(env);
    uint32_t fl = env->eflags;
    if ((fl & EFL_VM) && (hf & HF_PE) && !(hf & HF_LMA)) {
        hf |= HF_VM;
    }
    hf |= (fl & EFL_TF) ? HF_TF : 0;
    hf |= (fl & EFL_RF) ? HF_RF : 0;
    hf |= env->dbg.ibp_mask ? HF_IBP : 0;
    hf |= env->dbg.replay ? HF_DBW : 0;
    hf |= (fl & EFL_AC) ? HF_AC : 0;
    hf |= ((fl & EFL_IOPL) >> EFL_IOPL_SHIFT) << HF_IOPL_SHIFT;
    hf = cpu_hflags_seg(env, hf);
    hf = cpu_hflags_segchk(env, hf);
    hf |= cpu_compute_cpl(env, hf);
    env->hflags = hf;
    cpu_event_mask_sync(env);
}

/* ---- segments ---- */

void cpu_seg_cache(CpuX86 *env, int seg, uint16_t selector, uint64_t base,
                   uint32_t limit, uint32_t attr)
{
    ASSERT(seg >= 0 && seg < CPU_NB_SEGS);
    SegCache *s = &env->segs[seg];
    s->selector = selector;
    s->base = base;
    s->limit = limit;
    s->attr = attr;
}

void cpu_seg_set(CpuX86 *env, int seg, uint16_t selector, uint64_t base,
                 uint32_t limit, uint32_t attr)
{
    cpu_seg_cache(env, seg, selector, base, limit, attr);
    cpu_update_hflags(env); /* every segment: its range and HF_SEGCHK bit */
}

void cpu_seg_load_real(CpuX86 *env, int seg, uint16_t selector)
{
    ASSERT(seg >= 0 && seg < CPU_NB_SEGS);
    SegCache *s = &env->segs[seg];
    if (env->hflags & HF_VM) {
        /* V86: 64 KiB, DPL 3, read/write data (code for CS) accessed */
        uint32_t type = seg == R_CS ? 0xbu : 0x3u;
        s->limit = 0xffff;
        s->attr = SEG_AR_P | SEG_AR_S | (3u << SEG_AR_DPL_SHIFT) | type;
    }
    /* real mode keeps limit and rights: "unreal mode" relies on it */
    cpu_seg_set(env, seg, selector, (uint64_t)selector << 4, s->limit, s->attr);
}

void cpu_seg_decode(uint64_t desc, uint64_t *base, uint32_t *limit,
                    uint32_t *attr)
{
    uint32_t lo = (uint32_t)desc, hi = (uint32_t)(desc >> 32);
    uint32_t lim = (lo & 0xffff) | (hi & 0x000f0000);
    *base = (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000);
    *attr = (hi >> 8) & 0xf0ff;
    if (*attr & SEG_AR_G) {
        lim = (lim << 12) | 0xfff;
    }
    *limit = lim;
}

void cpu_seg_load_desc(CpuX86 *env, int seg, uint16_t selector, uint64_t desc)
{
    uint64_t base;
    uint32_t limit, attr;
    cpu_seg_decode(desc, &base, &limit, &attr);
    if (!(selector & 0xfffc) && seg != R_CS && seg != R_SS) {
        attr |= SEG_AR_UNUSABLE; /* null selector */
    }
    cpu_seg_set(env, seg, selector, base, limit, attr);
}

/* ---- -d cpu ---- */

static void cpu_dump_seg(FILE *f, const char *name, const SegCache *s,
                         bool wide)
{
    if (wide) {
        fprintf(f, "%-3s=%04x %016" PRIx64 " %08x %08x\n", name, s->selector,
                s->base, s->limit, s->attr);
    } else {
        fprintf(f, "%-3s=%04x %08x %08x %08x\n", name, s->selector,
                (uint32_t)s->base, s->limit, s->attr);
    }
}

static void cpu_dump_gprs(const CpuX86 *env, FILE *f, bool wide)
{
    static const char *const n64[16] = {
        "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
        "R8",  "R9",  "R10", "R11", "R12", "R13", "R14", "R15"};
    static const char *const n32[8] = {"EAX", "ECX", "EDX", "EBX",
                                       "ESP", "EBP", "ESI", "EDI"};
    /* QEMU's order: A B C D / SI DI BP SP */
    static const int order[8] = {R_EAX, R_EBX, R_ECX, R_EDX,
                                 R_ESI, R_EDI, R_EBP, R_ESP};
    int n = wide ? 16 : 8;
    for (int i = 0; i < n; i++) {
        int r = i < 8 ? order[i] : i;
        if (wide) {
            fprintf(f, "%-3s=%016" PRIx64 "%s", n64[r], env->regs[r],
                    i % 4 == 3 ? "\n" : " ");
        } else {
            fprintf(f, "%s=%08x%s", n32[r], (uint32_t)env->regs[r],
                    i % 4 == 3 ? "\n" : " ");
        }
    }
}

static void cpu_dump_flags(const CpuX86 *env, FILE *f, bool wide)
{
    uint64_t fl = cpu_compute_eflags(env);
    static const struct {
        uint32_t bit;
        char c;
    } bits[] = {{EFL_DF, 'D'}, {CC_O, 'O'}, {CC_S, 'S'}, {CC_Z, 'Z'},
                {CC_A, 'A'},   {CC_P, 'P'}, {CC_C, 'C'}};
    char s[8];
    for (size_t i = 0; i < ARRAY_LEN(bits); i++) {
        s[i] = (fl & bits[i].bit) ? bits[i].c : '-';
    }
    s[7] = 0;
    if (wide) {
        fprintf(f, "RIP=%016" PRIx64, env->rip);
    } else {
        fprintf(f, "EIP=%08x", (uint32_t)env->rip);
    }
    fprintf(f, " RFL=%08x [%s] CPL=%u II=%d A20=%d SMM=%d HLT=%d\n",
            (uint32_t)fl, s, cpu_cpl(env), (env->hflags & HF_INHIBIT_IRQ) != 0,
            (int)((env->a20_mask >> 20) & 1), (env->hflags & HF_SMM) != 0,
            env->halted);
}

static void cpu_dump_system(const CpuX86 *env, FILE *f, bool wide)
{
    static const char *const sn[CPU_NB_SEGS] = {"ES", "CS", "SS",
                                                "DS", "FS", "GS"};
    for (int i = 0; i < CPU_NB_SEGS; i++) {
        cpu_dump_seg(f, sn[i], &env->segs[i], wide);
    }
    cpu_dump_seg(f, "LDT", &env->ldt, wide);
    cpu_dump_seg(f, "TR", &env->tr, wide);
    fprintf(f, "GDT=     %016" PRIx64 " %08x\n", env->gdt.base, env->gdt.limit);
    fprintf(f, "IDT=     %016" PRIx64 " %08x\n", env->idt.base, env->idt.limit);
    fprintf(f, "CR0=%08x CR2=%016" PRIx64 " CR3=%016" PRIx64 " CR4=%08x\n",
            (uint32_t)env->cr[0], env->cr[2], env->cr[3], (uint32_t)env->cr[4]);
    for (int i = 0; i < 4; i++) {
        fprintf(f, "DR%d=%016" PRIx64 " ", i, env->dr[i]);
    }
    fprintf(f, "\nDR6=%016" PRIx64 " DR7=%016" PRIx64 "\n", env->dr[6],
            env->dr[7]);
}

void cpu_dump_state(const CpuX86 *env, FILE *f)
{
    bool wide = (env->hflags & HF_LMA) != 0;
    cpu_dump_gprs(env, f, wide);
    cpu_dump_flags(env, f, wide);
    cpu_dump_system(env, f, wide);
    fprintf(
        f, "CCS=%016" PRIx64 " CCD=%016" PRIx64 " CC2=%016" PRIx64 " CCO=%s\n",
        env->cc_src, env->cc_dst, env->cc_src2, cc_op_name((CcOp)env->cc_op));
    fprintf(f, "EFER=%016" PRIx64 " CR8=%" PRIx64 "\n", env->efer, env->cr[8]);
}

/*
 * `-d int`, in QEMU's layout so that existing scripts read it: in
 * protected mode, one line per exception or interrupt (a running count,
 * vector, error code, i=1 for INT n, CPL, CS:RIP, the linear pc, SS:RSP,
 * CR2 for #PF and RAX otherwise), then the register dump.
 */
void cpu_log_int(const CpuX86 *env, unsigned vector, uint32_t error, bool soft)
{
    static unsigned count;
    if (!log_enabled(LOG_INT) || !(env->cr[0] & CR0_PE)) {
        return;
    }
    FILE *f = log_file();
    fprintf(f,
            "%6u: v=%02x e=%04x i=%d cpl=%u IP=%04x:%016" PRIx64
            " pc=%016" PRIx64 " SP=%04x:%016" PRIx64,
            __atomic_fetch_add(&count, 1, __ATOMIC_RELAXED), vector, error,
            soft, cpu_cpl(env), env->segs[R_CS].selector, env->rip,
            env->segs[R_CS].base + env->rip, env->segs[R_SS].selector,
            env->regs[R_ESP]);
    if (vector == 14) {
        fprintf(f, " CR2=%016" PRIx64 "\n", env->exception_cr2);
    } else {
        fprintf(f, " env->regs[R_EAX]=%016" PRIx64 "\n", env->regs[R_EAX]);
    }
    cpu_dump_state(env, f);
}
