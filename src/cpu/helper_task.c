/*
 * Hardware task switches (SDM vol. 3A ch. 7; vol. 2 JMP, CALL, INT n,
 * IRET): far JMP/CALL to an available TSS descriptor or through a task
 * gate, interrupts and exceptions through a task gate of the 32-bit IDT,
 * and IRET with NT = 1 back to the task in the link field. Both TSS
 * formats (32-bit, and the 80286's 16-bit one without CR3, FS, GS).
 *
 * Order (SDM 7.3): the checks of the new TSS, then its whole image is read
 * and the old task's state written to the old TSS, the busy bits and the
 * link updated; up to here a fault restarts the instruction. Then TR,
 * CR0.TS, CR3 (a flush of the non-global TLB entries), EFLAGS, EIP and the
 * GPRs change, and LDTR and the segment registers load with their checks:
 * a fault there is taken in the new task (ra 0: no restore), with the EXT
 * bit of the event that caused the switch. IA-32e mode has no task
 * switches: the callers raise #GP there before any of this.
 */
#include "cpu/seg_int.h"

#include <string.h>

#include "util/log.h"

typedef enum TaskSrc { TASK_JMP, TASK_CALL, TASK_IRET, TASK_INT } TaskSrc;

/* the state a TSS holds for its task */
typedef struct TaskImage {
    uint32_t cr3, eip, eflags;
    uint32_t regs[8];
    uint16_t segs[CPU_NB_SEGS]; /* ES CS SS DS FS GS, as R_* */
    uint16_t ldt;
    bool trap; /* the T bit: #DB after the switch */
} TaskImage;

/* the 32-bit TSS (SDM figure 7-2) and the 16-bit one (figure 7-11) */
enum {
    TSS32_CR3 = 0x1c,
    TSS32_EIP = 0x20,
    TSS32_EFLAGS = 0x24,
    TSS32_REGS = 0x28,
    TSS32_SEGS = 0x48,
    TSS32_LDT = 0x60,
    TSS32_T = 0x64,
    TSS16_IP = 0x0e,
    TSS16_FLAGS = 0x10,
    TSS16_REGS = 0x12,
    TSS16_SEGS = 0x22,
    TSS16_LDT = 0x2a,
};

static NORETURN void task_fault(CpuX86 *env, unsigned vector, uint16_t sel,
                                uint32_t ext, uintptr_t ra)
{
    log_guest_error("task", "task switch: vector %u, error 0x%x", vector,
                    (sel & 0xfffc) | ext);
    helper_raise_ra(env, vector, (sel & 0xfffc) | ext, ra);
}

static uint64_t task_ld(CpuX86 *env, uint64_t a, unsigned mo, uintptr_t ra)
{
    return tlb_ld_slow(env, a, mo | IR_MO_MMU(cpu_mmu_index_sys(env)), ra);
}

static void task_st(CpuX86 *env, uint64_t a, uint64_t v, unsigned mo,
                    uintptr_t ra)
{
    tlb_st_slow(env, a, v, mo | IR_MO_MMU(cpu_mmu_index_sys(env)), ra);
}

static void task_read(CpuX86 *env, uint64_t base, bool t32, TaskImage *t,
                      uintptr_t ra)
{
    memset(t, 0, sizeof(*t));
    if (t32) {
        t->cr3 = (uint32_t)task_ld(env, base + TSS32_CR3, IR_MO_32, ra);
        t->eip = (uint32_t)task_ld(env, base + TSS32_EIP, IR_MO_32, ra);
        t->eflags = (uint32_t)task_ld(env, base + TSS32_EFLAGS, IR_MO_32, ra);
        for (int i = 0; i < 8; i++) {
            t->regs[i] =
                (uint32_t)task_ld(env, base + TSS32_REGS + 4 * i, IR_MO_32, ra);
        }
        for (int i = 0; i < CPU_NB_SEGS; i++) {
            t->segs[i] =
                (uint16_t)task_ld(env, base + TSS32_SEGS + 4 * i, IR_MO_16, ra);
        }
        t->ldt = (uint16_t)task_ld(env, base + TSS32_LDT, IR_MO_16, ra);
        t->trap = task_ld(env, base + TSS32_T, IR_MO_16, ra) & 1;
        return;
    }
    t->eip = (uint32_t)task_ld(env, base + TSS16_IP, IR_MO_16, ra);
    t->eflags = (uint32_t)task_ld(env, base + TSS16_FLAGS, IR_MO_16, ra);
    for (int i = 0; i < 8; i++) {
        t->regs[i] =
            (uint32_t)task_ld(env, base + TSS16_REGS + 2 * i, IR_MO_16, ra);
    }
    for (int i = 0; i <= R_DS; i++) {
        t->segs[i] =
            (uint16_t)task_ld(env, base + TSS16_SEGS + 2 * i, IR_MO_16, ra);
    }
    t->ldt = (uint16_t)task_ld(env, base + TSS16_LDT, IR_MO_16, ra);
}

/* the old task's EIP, EFLAGS, GPRs and selectors into its TSS */
static void task_save(CpuX86 *env, uint64_t base, bool t32, uint32_t eip,
                      uint32_t eflags, uintptr_t ra)
{
    unsigned w = t32 ? IR_MO_32 : IR_MO_16, ws = t32 ? 4 : 2;
    task_st(env, base + (t32 ? TSS32_EIP : TSS16_IP), eip, w, ra);
    task_st(env, base + (t32 ? TSS32_EFLAGS : TSS16_FLAGS), eflags, w, ra);
    uint64_t regs = base + (t32 ? TSS32_REGS : TSS16_REGS);
    for (int i = 0; i < 8; i++) {
        task_st(env, regs + ws * i, env->regs[i], w, ra);
    }
    uint64_t segs = base + (t32 ? TSS32_SEGS : TSS16_SEGS);
    for (int i = 0; i < (t32 ? CPU_NB_SEGS : R_DS + 1); i++) {
        task_st(env, segs + ws * i, env->segs[i].selector, IR_MO_16, ra);
    }
}

/* the busy bit (type bit 1) of the TSS descriptor sel in the GDT */
static void task_set_busy(CpuX86 *env, uint16_t sel, bool busy, uintptr_t ra)
{
    uint64_t a = env->gdt.base + (sel & ~7u) + 5;
    uint8_t t = (uint8_t)task_ld(env, a, IR_MO_8, ra);
    t = busy ? t | 2 : t & ~2u;
    task_st(env, a, t, IR_MO_8, ra);
}

/* LDTR from the new TSS: null, or an LDT descriptor in the GDT (#TS) */
static void task_load_ldt(CpuX86 *env, uint16_t sel, uint32_t ext)
{
    uint64_t d, addr;
    if (!(sel & 0xfffc)) {
        env->ldt.selector = sel;
        env->ldt.base = 0;
        env->ldt.limit = 0;
        env->ldt.attr = SEG_AR_UNUSABLE;
        return;
    }
    if ((sel & 4) || !seg_desc_fetch(env, sel, &d, &addr, 0) || (d & DESC_S) ||
        DESC_TYPE(d) != 2 || !(d & DESC_P)) {
        task_fault(env, 10, sel, ext, 0);
    }
    uint64_t base;
    uint32_t limit, attr;
    cpu_seg_decode(d, &base, &limit, &attr);
    env->ldt.selector = sel;
    env->ldt.base = base;
    env->ldt.limit = limit;
    env->ldt.attr = attr;
}

/* CS of the new task: code, DPL == RPL (conforming: <= RPL), present */
static void task_load_cs(CpuX86 *env, uint16_t sel, uint32_t ext)
{
    uint64_t d, addr;
    unsigned rpl = sel & 3;
    if (!(sel & 0xfffc) || !seg_desc_fetch(env, sel, &d, &addr, 0) ||
        !(d & DESC_S) || !(d & DESC_CODE) ||
        ((d & DESC_CONF) ? DESC_DPL(d) > rpl : DESC_DPL(d) != rpl)) {
        task_fault(env, 10, sel, ext, 0);
    }
    if (!(d & DESC_P)) {
        task_fault(env, 11, sel, ext, 0);
    }
    seg_desc_set_accessed(env, addr, &d, 0);
    cpu_seg_load_desc(env, R_CS, sel, d);
}

/* SS, DS, ES, FS, GS of the new task at cpl: #TS, #SS/#NP not present */
static void task_load_data(CpuX86 *env, int seg, uint16_t sel, unsigned cpl,
                           uint32_t ext)
{
    uint64_t d, addr;
    unsigned rpl = sel & 3;
    if (!(sel & 0xfffc)) {
        if (seg == R_SS) {
            task_fault(env, 10, sel, ext, 0);
        }
        cpu_seg_set(env, seg, sel, 0, 0, SEG_AR_UNUSABLE);
        return;
    }
    if (!seg_desc_fetch(env, sel, &d, &addr, 0) || !(d & DESC_S)) {
        task_fault(env, 10, sel, ext, 0);
    }
    unsigned dpl = DESC_DPL(d);
    bool code = d & DESC_CODE;
    if (seg == R_SS) {
        if (rpl != cpl || dpl != cpl || code || !(d & DESC_RW)) {
            task_fault(env, 10, sel, ext, 0);
        }
    } else if ((code && !(d & DESC_RW)) ||
               (!(code && (d & DESC_CONF)) && (dpl < cpl || dpl < rpl))) {
        task_fault(env, 10, sel, ext, 0);
    }
    if (!(d & DESC_P)) {
        task_fault(env, seg == R_SS ? 12 : 11, sel, ext, 0);
    }
    seg_desc_set_accessed(env, addr, &d, 0);
    cpu_seg_load_desc(env, seg, sel, d);
}

/*
 * The segment registers of the new task: LDTR first (the selectors may
 * be in the new LDT); all real-mode style if its EFLAGS has VM. Until a
 * register loads, its cache is unusable with the new selector (SS with
 * the new CPL, so a fault here is delivered at the new task's level).
 */
static void task_load_segs(CpuX86 *env, const TaskImage *t, uint32_t ext)
{
    unsigned cpl = t->segs[R_CS] & 3;
    for (int s = 0; s < CPU_NB_SEGS; s++) {
        uint32_t attr = SEG_AR_UNUSABLE |
                        (s == R_SS ? cpl << SEG_AR_DPL_SHIFT : 0) |
                        (s == R_CS ? env->segs[R_CS].attr & SEG_AR_DB : 0);
        cpu_seg_set(env, s, t->segs[s], 0, 0, attr);
    }
    task_load_ldt(env, t->ldt, ext);
    if (env->eflags & EFL_VM) {
        for (int s = 0; s < CPU_NB_SEGS; s++) {
            cpu_seg_load_real(env, s, t->segs[s]);
        }
        return;
    }
    task_load_cs(env, t->segs[R_CS], ext);
    task_load_data(env, R_SS, t->segs[R_SS], cpl, ext);
    static const int data[] = {R_DS, R_ES, R_FS, R_GS};
    for (unsigned i = 0; i < ARRAY_LEN(data); i++) {
        task_load_data(env, data[i], t->segs[data[i]], cpl, ext);
    }
}

/*
 * Switch to the TSS sel with descriptor desc (checked by the caller:
 * present, available or, for IRET, busy). next: the EIP saved for the old
 * task. Returns the new task's T bit.
 */
static bool task_switch(CpuX86 *env, uint16_t sel, uint64_t desc, TaskSrc src,
                        uint32_t next, uint32_t ext, uintptr_t ra)
{
    bool t32 = DESC_TYPE(desc) & 8;
    uint64_t base;
    uint32_t limit, attr;
    cpu_seg_decode(desc, &base, &limit, &attr);
    if (limit < (t32 ? 0x67u : 0x2bu)) {
        task_fault(env, 10, sel, ext, ra);
    }
    SegCache old = env->tr;
    bool o32 = old.attr & 8;
    if ((old.attr & SEG_AR_UNUSABLE) || old.limit < (o32 ? 0x5fu : 0x29u)) {
        task_fault(env, 10, old.selector, ext, ra);
    }
    TaskImage t;
    task_read(env, base, t32, &t, ra);
    uint32_t fl = (uint32_t)cpu_compute_eflags(env);
    if (src == TASK_IRET) {
        fl &= ~(uint32_t)EFL_NT;
    }
    task_save(env, old.base, o32, next, fl, ra);
    if (src == TASK_JMP || src == TASK_IRET) {
        task_set_busy(env, old.selector, false, ra);
    } else { /* CALL, interrupt: the new task links back, NT set */
        task_st(env, base, old.selector, IR_MO_16, ra);
        t.eflags |= EFL_NT;
    }
    if (src != TASK_IRET) {
        task_set_busy(env, sel, true, ra);
    }
    TRACE(LOG_INT, "task: switch 0x%x -> 0x%x (%s)\n", old.selector, sel,
          src == TASK_JMP    ? "jmp"
          : src == TASK_CALL ? "call"
          : src == TASK_IRET ? "iret"
                             : "int");
    /* committed: what follows belongs to the new task */
    env->tr.selector = sel;
    env->tr.base = base;
    env->tr.limit = limit;
    env->tr.attr = attr | 2;
    env->cr[0] |= CR0_TS;
    if (t32 && (env->cr[0] & CR0_PG)) {
        env->cr[3] = t.cr3;
        tlb_flush_nonglobal(env);
    }
    for (int i = 0; i < 8; i++) {
        env->regs[i] =
            t32 ? t.regs[i] : (env->regs[i] & ~0xffffull) | t.regs[i];
    }
    env->rip = t.eip;
    cpu_load_eflags(env, t.eflags, ~0ull);
    task_load_segs(env, &t, ext);
    cpu_update_hflags(env);
    return t.trap;
}

/* after the switch: EIP in the CS limit (#GP(0)), then the T bit's #DB */
static void task_end(CpuX86 *env, bool trap, uint32_t ext)
{
    if (env->rip > env->segs[R_CS].limit) {
        helper_raise_ra(env, 13, ext, 0);
    }
    if (trap) {
        env->dr[6] |= DR6_BT;
        helper_raise_trap(env, 1);
    }
}

/*
 * The TSS a task gate names: in the GDT (#GP(sel) for TI or beyond the
 * limit), an available TSS (#GP(sel) busy or not a TSS), present (#NP).
 */
static uint64_t task_gate_tss(CpuX86 *env, uint16_t sel, uint32_t ext,
                              uintptr_t ra)
{
    uint64_t d, addr;
    if ((sel & 4) || !seg_desc_fetch(env, sel, &d, &addr, ra)) {
        task_fault(env, 13, sel, ext, ra);
    }
    unsigned type = DESC_TYPE(d);
    if ((d & DESC_S) || (type != 1 && type != 9)) {
        task_fault(env, 13, sel, ext, ra);
    }
    if (!(d & DESC_P)) {
        task_fault(env, 11, sel, ext, ra);
    }
    return d;
}

void task_far(CpuX86 *env, uint16_t sel, uint64_t desc, uint64_t addr,
              bool call, uint64_t next, uintptr_t ra)
{
    (void)addr;
    unsigned cpl = cpu_cpl(env), dpl = DESC_DPL(desc);
    if (dpl < cpl || dpl < (sel & 3u)) {
        task_fault(env, 13, sel, 0, ra);
    }
    if (!(desc & DESC_P)) {
        task_fault(env, 11, sel, 0, ra);
    }
    uint16_t tss = sel;
    if (DESC_TYPE(desc) == 5) { /* a task gate: its TSS's DPL is not checked */
        tss = (uint16_t)(desc >> 16);
        desc = task_gate_tss(env, tss, 0, ra);
    } else if (sel & 4) {
        task_fault(env, 13, sel, 0, ra); /* TSS descriptors live in the GDT */
    }
    bool trap = task_switch(env, tss, desc, call ? TASK_CALL : TASK_JMP,
                            (uint32_t)next, 0, ra);
    task_end(env, trap, 0);
}

void task_int(CpuX86 *env, uint64_t g, uint32_t ext, bool has_err, uint32_t err)
{
    uint16_t tss = (uint16_t)(g >> 16);
    uint64_t desc = task_gate_tss(env, tss, ext, 0);
    bool trap =
        task_switch(env, tss, desc, TASK_INT, (uint32_t)env->rip, ext, 0);
    if (has_err) { /* on the new task's stack, at its TSS's width */
        unsigned sz = (desc >> 43) & 1 ? 4 : 2;
        const SegCache *ss = &env->segs[R_SS];
        uint32_t m = (ss->attr & SEG_AR_DB) ? 0xffffffffu : 0xffffu;
        uint64_t sp = env->regs[R_ESP];
        sp = (sp & ~(uint64_t)m) | ((sp - sz) & m);
        tlb_st_slow(env, (ss->base + (sp & m)) & 0xffffffffu, err,
                    (sz == 4 ? IR_MO_32 : IR_MO_16) |
                        IR_MO_MMU(cpu_mmu_index_sys(env)),
                    0);
        env->regs[R_ESP] = sp;
    }
    task_end(env, trap, ext);
}

void task_iret(CpuX86 *env, uint64_t next, uintptr_t ra)
{
    if (env->tr.attr & SEG_AR_UNUSABLE) {
        task_fault(env, 10, env->tr.selector, 0, ra);
    }
    uint16_t link = (uint16_t)task_ld(env, env->tr.base, IR_MO_16, ra);
    uint64_t d, addr;
    if ((link & 4) || !seg_desc_fetch(env, link, &d, &addr, ra) ||
        (d & DESC_S) || (DESC_TYPE(d) != 3 && DESC_TYPE(d) != 0xb)) {
        task_fault(env, 10, link, 0, ra);
    }
    if (!(d & DESC_P)) {
        task_fault(env, 11, link, 0, ra);
    }
    bool trap = task_switch(env, link, d, TASK_IRET, (uint32_t)next, 0, ra);
    task_end(env, trap, 0);
}
