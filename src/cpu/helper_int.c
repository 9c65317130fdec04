/*
 * Exception and interrupt delivery (SDM vol. 3 ch. 6) and IRET: through
 * the real-mode IVT and the IA-32e IDT (64-bit gates, the privilege change
 * to the TSS's RSPn, IST stacks, 16-byte stack alignment, error codes,
 * CR2 for #PF). cpu_exec runs cpu_deliver under tcg_call, so a fault while
 * delivering comes back as a new exception: cpu_exec combines the two by
 * the SDM's table (contributory + contributory or #PF + #PF/contributory
 * is #DF; a fault delivering #DF is a triple fault). 32-bit protected-mode
 * gates, task gates and V86 come with the rest of the system CPU (logged,
 * a triple fault for now).
 */
#include "cpu/translate.h"
#include "cpu/translate_int.h"

#include "util/log.h"

#define GATE_P BIT(47)

static uint64_t int_ld(CpuX86 *env, uint64_t a, unsigned mo)
{
    return tlb_ld_slow(env, a, mo | IR_MO_MMU(cpu_mmu_index_sys(env)), 0);
}

static void int_st(CpuX86 *env, uint64_t a, uint64_t v, unsigned mo,
                   unsigned mmu)
{
    tlb_st_slow(env, a, v, mo | IR_MO_MMU(mmu), 0);
}

static NORETURN void int_fault(CpuX86 *env, unsigned vector, uint32_t err)
{
    helper_raise_ra(env, vector, err, 0);
}

/* real mode: IVT[v] = offset:segment, push FLAGS CS IP (16 bits each) */
static void int_real(CpuX86 *env, unsigned v)
{
    if (v * 4u + 3 > env->idt.limit) {
        int_fault(env, 13, v * 8 + 2);
    }
    uint32_t ent = (uint32_t)int_ld(env, env->idt.base + v * 4u, IR_MO_32);
    uint64_t sp = env->regs[R_ESP];
    uint64_t ss = env->segs[R_SS].base;
    unsigned mmu = cpu_mmu_index(env);
    uint16_t words[3] = {(uint16_t)cpu_compute_eflags(env),
                         env->segs[R_CS].selector, (uint16_t)env->rip};
    for (int i = 0; i < 3; i++) {
        sp = (sp & ~0xffffull) | ((sp - 2) & 0xffff);
        int_st(env, ss + (sp & 0xffff), words[i], IR_MO_16, mmu);
    }
    env->regs[R_ESP] = sp;
    env->eflags &= ~(uint32_t)(EFL_IF | EFL_TF | EFL_AC | EFL_RF);
    cpu_seg_load_real(env, R_CS, (uint16_t)(ent >> 16));
    env->rip = ent & 0xffff;
}

/* the TSS's 8-byte field at off (RSPn, ISTn); #TS(TSS selector) beyond */
static uint64_t int_tss_ld(CpuX86 *env, uint32_t off, uint32_t ext)
{
    if ((env->tr.attr & SEG_AR_UNUSABLE) || off + 7 > env->tr.limit) {
        int_fault(env, 10, (env->tr.selector & 0xfffc) | ext);
    }
    return int_ld(env, env->tr.base + off, IR_MO_64);
}

/*
 * The code segment of a gate (64-bit code in IA-32e mode, else not L): its
 * descriptor in *desc, loaded by the caller once the frame is written; the
 * new CPL.
 */
static unsigned int_gate_cs(CpuX86 *env, uint16_t sel, uint32_t ext, bool lma,
                            uint64_t *desc)
{
    uint64_t base = (sel & 4) ? env->ldt.base : env->gdt.base;
    uint64_t limit = (sel & 4) ? env->ldt.limit : env->gdt.limit;
    if (!(sel & 0xfffc)) {
        int_fault(env, 13, ext);
    }
    if ((sel & ~7u) + 7 > limit) {
        int_fault(env, 13, (sel & 0xfffc) | ext);
    }
    uint64_t d = int_ld(env, base + (sel & ~7u), IR_MO_64);
    unsigned dpl = (d >> 45) & 3, cpl = cpu_cpl(env);
    bool code = (d & BIT(44)) && (d & BIT(43));
    bool l = d & BIT(53), db = d & BIT(54);
    bool mode_ok = lma ? l && !db : !l;
    if (!code || !mode_ok || dpl > cpl) {
        int_fault(env, 13, (sel & 0xfffc) | ext);
    }
    if (!(d & BIT(47))) {
        int_fault(env, 11, (sel & 0xfffc) | ext);
    }
    *desc = d;
    return (d & BIT(42)) ? cpl : dpl; /* conforming: stays */
}

/* IA-32e mode: 16-byte gates, 8-byte pushes on a 16-byte aligned stack */
static void int_long(CpuX86 *env, unsigned v, bool soft, bool has_err,
                     uint32_t err)
{
    uint32_t ext = soft ? 0 : 1, gerr = v * 8 + 2 + ext;
    if (v * 16u + 15 > env->idt.limit) {
        int_fault(env, 13, gerr);
    }
    uint64_t lo = int_ld(env, env->idt.base + v * 16u, IR_MO_64);
    uint64_t hi = int_ld(env, env->idt.base + v * 16u + 8, IR_MO_64);
    unsigned type = (lo >> 40) & 0xf, dpl = (lo >> 45) & 3;
    unsigned cpl = cpu_cpl(env);
    if (type != 0xe && type != 0xf) {
        int_fault(env, 13, gerr);
    }
    if (soft && dpl < cpl) {
        int_fault(env, 13, v * 8 + 2);
    }
    if (!(lo & GATE_P)) {
        int_fault(env, 11, gerr);
    }
    uint64_t target = (lo & 0xffff) | ((lo >> 32) & 0xffff0000u) | (hi << 32);
    unsigned ist = (lo >> 32) & 7;
    /* the frame from the old state, written before anything changes */
    uint64_t frame[6];
    int n = 0;
    if (has_err) {
        frame[n++] = err;
    }
    frame[n++] = env->rip;
    frame[n++] = env->segs[R_CS].selector;
    frame[n++] = cpu_compute_eflags(env);
    frame[n++] = env->regs[R_ESP];
    frame[n++] = env->segs[R_SS].selector;
    uint64_t csd;
    uint16_t cs_sel = (uint16_t)(lo >> 16);
    unsigned ncpl = int_gate_cs(env, cs_sel, ext, true, &csd);
    uint64_t sp = env->regs[R_ESP];
    if (ist) {
        sp = int_tss_ld(env, 0x24 + 8 * (ist - 1), ext);
    } else if (ncpl < cpl) {
        sp = int_tss_ld(env, 4 + 8 * ncpl, ext);
    }
    sp &= ~0xfull;
    unsigned mmu = (ncpl == 3 ? MMU_IDX_USER : MMU_IDX_KERNEL) +
                   ((env->hflags & HF_VMX_GUEST) ? MMU_IDX_NESTED : 0);
    if (!cpu_canonical(env, target)) {
        int_fault(env, 13, ext);
    }
    for (int i = n - 1; i >= 0; i--) { /* SS first, RIP (or the code) last */
        sp -= 8;
        int_st(env, sp, frame[i], IR_MO_64, mmu);
    }
    cpu_seg_load_desc(env, R_CS, (uint16_t)((cs_sel & ~3u) | ncpl), csd);
    if (ncpl != cpl) { /* SS: null with the new RPL (CPL is SS.DPL) */
        cpu_seg_set(env, R_SS, (uint16_t)ncpl, 0, 0,
                    SEG_AR_UNUSABLE | (ncpl << SEG_AR_DPL_SHIFT));
    }
    env->regs[R_ESP] = sp;
    env->rip = target;
    env->eflags &= ~(uint32_t)(EFL_TF | EFL_NT | EFL_RF | EFL_VM);
    if (type == 0xe) {
        env->eflags &= ~(uint32_t)EFL_IF;
    }
}

/*
 * 32-bit protected mode: 8-byte gates (32-bit or 16-bit interrupt/trap),
 * the inner stack SS:ESP from the 32-bit TSS on a privilege change, the
 * frame at the gate's size. Task gates and V86 mode are not built yet.
 */
static void int_prot32(CpuX86 *env, unsigned v, bool soft, bool has_err,
                       uint32_t err)
{
    uint32_t ext = soft ? 0 : 1, gerr = v * 8 + 2 + ext;
    if (env->eflags & EFL_VM) {
        log_unimp_once("int", "delivery from virtual-8086 mode: #GP");
        int_fault(env, 13, gerr);
    }
    if (v * 8u + 7 > env->idt.limit) {
        int_fault(env, 13, gerr);
    }
    uint64_t g = int_ld(env, env->idt.base + v * 8u, IR_MO_64);
    unsigned type = (g >> 40) & 0xf, dpl = (g >> 45) & 3;
    unsigned cpl = cpu_cpl(env);
    bool g32 = type == 0xe || type == 0xf;
    if (type == 5) {
        log_unimp_once("int", "delivery through a task gate: #GP");
        int_fault(env, 13, gerr);
    }
    if (!g32 && type != 6 && type != 7) {
        int_fault(env, 13, gerr);
    }
    if (soft && dpl < cpl) {
        int_fault(env, 13, v * 8 + 2);
    }
    if (!(g & GATE_P)) {
        int_fault(env, 11, gerr);
    }
    uint32_t target =
        (uint32_t)((g & 0xffff) | (g32 ? (g >> 32) & 0xffff0000u : 0));
    uint64_t csd;
    uint16_t cs_sel = (uint16_t)(g >> 16);
    unsigned ncpl = int_gate_cs(env, cs_sel, ext, false, &csd);
    unsigned sz = g32 ? 4 : 2;
    uint32_t frame[6];
    int n = 0;
    if (has_err) {
        frame[n++] = err;
    }
    frame[n++] = (uint32_t)env->rip;
    frame[n++] = env->segs[R_CS].selector;
    frame[n++] = (uint32_t)cpu_compute_eflags(env);
    uint64_t ss_base = env->segs[R_SS].base;
    uint32_t sp = (uint32_t)env->regs[R_ESP];
    bool ss32 = env->hflags & HF_SS32;
    if (ncpl < cpl) { /* the inner stack from the TSS: ESPn, SSn */
        frame[n++] = (uint32_t)env->regs[R_ESP];
        frame[n++] = env->segs[R_SS].selector;
        uint32_t esp = (uint32_t)int_tss_ld(env, 4 + 8 * ncpl, ext);
        uint16_t ss = (uint16_t)int_tss_ld(env, 8 + 8 * ncpl, ext);
        seg_load_pm_at(env, R_SS, ss, ncpl, 0);
        ss_base = env->segs[R_SS].base;
        ss32 = env->segs[R_SS].attr & SEG_AR_DB;
        sp = esp;
    }
    unsigned mmu = cpu_mmu_index_sys(env);
    uint32_t m = ss32 ? 0xffffffffu : 0xffffu;
    for (int i = n - 1; i >= 0; i--) {
        sp = (sp & ~m) | ((sp - sz) & m);
        int_st(env, (ss_base + (sp & m)) & 0xffffffffu, frame[i],
               sz == 4 ? IR_MO_32 : IR_MO_16, mmu);
    }
    cpu_seg_load_desc(env, R_CS, (uint16_t)((cs_sel & ~3u) | ncpl), csd);
    env->regs[R_ESP] = (env->regs[R_ESP] & ~(uint64_t)m) | (sp & m);
    if (ncpl < cpl) {
        env->regs[R_ESP] = sp;
    }
    env->rip = target;
    env->eflags &= ~(uint32_t)(EFL_TF | EFL_NT | EFL_RF | EFL_VM);
    if (type == 0xe || type == 6) {
        env->eflags &= ~(uint32_t)EFL_IF;
    }
}

struct IntArgs {
    CpuX86 *env;
};

/* deliver env->exception_index (tcg_call: a fault here unwinds) */
static void int_deliver(void *arg)
{
    CpuX86 *env = ((struct IntArgs *)arg)->env;
    unsigned v = (unsigned)env->exception_index;
    bool soft = env->exception_soft || v == 3 || v == 4;
    bool has_err = env->has_error_code;
    uint32_t err = env->error_code;
    if (v == 14) {
        env->cr[2] = env->exception_cr2;
    }
    cpu_log_int(env, v, err, env->exception_soft);
    env->exception_soft = false;
    if (!(env->hflags & HF_PE)) {
        int_real(env, v);
    } else if (env->efer & EFER_LMA) {
        int_long(env, v, soft, has_err, err);
    } else {
        int_prot32(env, v, soft, has_err, err);
    }
    cpu_update_hflags(env);
}

static bool int_contributory(int v)
{
    return v == 0 || (v >= 10 && v <= 13);
}

bool cpu_deliver(CpuX86 *env, TcgCpu *cpu)
{
    struct IntArgs a = {env};
    for (;;) {
        int v = env->exception_index;
        if (tcg_call(cpu, int_deliver, &a) == TCG_EXEC_FRONTEND) {
            env->exception_index = -1;
            return true;
        }
        int nv = env->exception_index; /* faulted while delivering v */
        TRACE(LOG_INT, "check_exception old: 0x%x new 0x%x\n", v, nv);
        if (v == 8) {
            return false; /* a fault delivering #DF: triple fault */
        }
        if ((int_contributory(v) && int_contributory(nv)) ||
            (v == 14 && (nv == 14 || int_contributory(nv)))) {
            env->exception_index = 8;
            env->error_code = 0;
            env->has_error_code = true;
        }
    }
}

/* ---- IRET ---- */

/* data segment registers a return to an outer level may not keep */
static void int_null_inner_segs(CpuX86 *env, unsigned cpl)
{
    static const int segs[] = {R_DS, R_ES, R_FS, R_GS};
    for (unsigned i = 0; i < ARRAY_LEN(segs); i++) {
        SegCache *s = &env->segs[segs[i]];
        unsigned dpl = (s->attr >> SEG_AR_DPL_SHIFT) & 3;
        bool conforming_code = (s->attr & 0x1c) == 0x1c;
        if (!(s->attr & SEG_AR_UNUSABLE) && !conforming_code && dpl < cpl) {
            cpu_seg_set(env, segs[i], 0, 0, 0, SEG_AR_UNUSABLE);
        }
    }
}

/* the EFLAGS bits an IRET may load at cpl with iopl */
static uint64_t int_iret_mask(unsigned cpl, unsigned iopl)
{
    uint64_t mask = EFL_DEFINED & ~(uint64_t)(EFL_VM | EFL_IOPL | EFL_IF);
    mask |= cpl == 0 ? EFL_IOPL : 0;
    mask |= cpl <= iopl ? EFL_IF : 0;
    return mask;
}

/*
 * IRET in 32-bit protected mode: EIP, CS, EFLAGS, and ESP, SS on a return
 * to an outer level. Task returns (NT) and returns to V86 mode are not
 * built yet (#GP, logged).
 */
static void int_iret_prot32(CpuX86 *env, uint32_t size, uintptr_t ra)
{
    unsigned mo = seg_stack_memop(env, size);
    uint64_t fl = cpu_compute_eflags(env);
    unsigned cpl = cpu_cpl(env), iopl = (fl & EFL_IOPL) >> 12;
    if (fl & EFL_NT) {
        log_unimp_once("int", "IRET task return (NT): #GP");
        helper_raise_ra(env, 13, 0, ra);
    }
    bool ss32 = env->hflags & HF_SS32;
    uint32_t m = ss32 ? 0xffffffffu : 0xffffu;
    uint64_t sp = env->regs[R_ESP], ss_base = env->segs[R_SS].base;
    uint64_t w[5];
    for (int i = 0; i < 3; i++) {
        w[i] = tlb_ld_slow(env, (ss_base + ((sp + i * size) & m)) & 0xffffffffu,
                           mo, ra);
    }
    uint16_t cs = (uint16_t)w[1];
    unsigned rpl = cs & 3;
    if (rpl < cpl || !(cs & 0xfffc)) {
        helper_raise_ra(env, 13, cs & 0xfffc, ra);
    }
    if (cpl == 0 && (w[2] & EFL_VM)) {
        log_unimp_once("int", "IRET to virtual-8086 mode: #GP");
        helper_raise_ra(env, 13, 0, ra);
    }
    bool outer = rpl > cpl;
    for (int i = 3; outer && i < 5; i++) {
        w[i] = tlb_ld_slow(env, (ss_base + ((sp + i * size) & m)) & 0xffffffffu,
                           mo, ra);
    }
    seg_load_cs_iret(env, cs, w[0] & (size == 2 ? 0xffff : 0xffffffffu), ra);
    env->rip = w[0] & (size == 2 ? 0xffff : 0xffffffffu);
    cpu_update_hflags(env);
    if (outer) {
        seg_load_pm_at(env, R_SS, (uint16_t)w[4], rpl, ra);
        env->regs[R_ESP] =
            (env->segs[R_SS].attr & SEG_AR_DB)
                ? (uint32_t)w[3]
                : (env->regs[R_ESP] & ~0xffffull) | (w[3] & 0xffff);
        int_null_inner_segs(env, rpl);
    } else {
        env->regs[R_ESP] = (sp & ~(uint64_t)m) | ((sp + 3 * size) & m);
    }
    cpu_load_eflags(env, w[2],
                    int_iret_mask(cpl, iopl) & (size == 2 ? 0xffff : ~0ull));
    cpu_update_hflags(env);
}

/*
 * IRET (size: operand bytes). Real mode pops IP, CS, FLAGS; IA-32e mode
 * pops RIP, CS, RFLAGS, RSP, SS always, to the same or an outer level
 * (CS and SS loaded with their checks, inner data segments nulled).
 */
void helper_iret(CpuX86 *env, uint32_t size)
{
    uintptr_t ra = TCG_GETPC();
    env->nmi_blocked = false; /* any IRET ends NMI blocking (SDM 6.7.1) */
    unsigned mo = seg_stack_memop(env, size);
    uint64_t sp = env->regs[R_ESP];
    bool real = !(env->hflags & HF_PE);
    bool lma = env->efer & EFER_LMA;
    if (!real && !lma) {
        int_iret_prot32(env, size, ra);
        return;
    }
    if (real) {
        uint64_t ss = env->segs[R_SS].base;
        uint64_t w[3];
        for (int i = 0; i < 3; i++) {
            w[i] = tlb_ld_slow(env, ss + ((sp + i * size) & 0xffff), mo, ra);
        }
        cpu_seg_load_real(env, R_CS, (uint16_t)w[1]);
        env->rip = w[0];
        env->regs[R_ESP] = (sp & ~0xffffull) | ((sp + 3 * size) & 0xffff);
        uint64_t mask = size == 2 ? 0xffff : EFL_DEFINED & ~(uint64_t)EFL_VM;
        cpu_load_eflags(env, w[2], mask);
        return;
    }
    if (cpu_compute_eflags(env) & EFL_NT) {
        helper_raise_ra(env, 13, 0, ra); /* no task return in IA-32e mode */
    }
    uint64_t w[5];
    for (int i = 0; i < 5; i++) {
        w[i] = tlb_ld_slow(env, sp + (uint64_t)i * size, mo, ra);
    }
    unsigned cpl = cpu_cpl(env);
    uint16_t cs = (uint16_t)w[1], ss = (uint16_t)w[4];
    unsigned rpl = cs & 3;
    if (rpl < cpl || !(cs & 0xfffc)) {
        helper_raise_ra(env, 13, cs & 0xfffc, ra);
    }
    if (!cpu_canonical(env, w[0])) {
        helper_raise_ra(env, 13, 0, ra);
    }
    uint64_t old_flags = cpu_compute_eflags(env);
    unsigned iopl = (old_flags & EFL_IOPL) >> 12;
    seg_load_cs_iret(env, cs, w[0], ra);
    cpu_update_hflags(env); /* CS.L decides whether a null SS may load */
    seg_load_pm_at(env, R_SS, ss, rpl, ra);
    env->rip = w[0];
    env->regs[R_ESP] = w[3];
    cpu_load_eflags(env, w[2], int_iret_mask(cpl, iopl));
    if (rpl > cpl) {
        int_null_inner_segs(env, rpl);
    }
    cpu_update_hflags(env);
}
