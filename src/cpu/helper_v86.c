/*
 * Virtual-8086 mode (SDM vol. 3B ch. 20): IRET into V86 mode from CPL 0,
 * IRET inside it, the IOPL-sensitive instructions when IOPL < 3 with the
 * virtual-8086 mode extensions (CR4.VME: VIF/VIP for CLI, STI, PUSHF,
 * POPF, IRET and the TSS's interrupt redirection bitmap for INT n) and
 * protected-mode virtual interrupts (CR4.PVI: CLI/STI at CPL 3).
 * Delivery from V86 mode to the CPL 0 handler is in helper_int.c; segment
 * loads in V86 mode are cpu_seg_load_real's.
 *
 * The translator decides IOPL (it is in hflags) but not CR4.VME/PVI (not
 * in the TB key), so whenever IOPL would make an instruction #GP(0) in
 * V86 mode (or CLI/STI at CPL 3) it calls these helpers, which read CR4
 * and raise #GP(0) themselves when no extension applies.
 */
#include "cpu/seg_int.h"

#include "util/log.h"

static NORETURN void v86_gp(CpuX86 *env, uintptr_t ra)
{
    helper_raise_ra(env, 13, 0, ra);
}

static unsigned v86_iopl(const CpuX86 *env)
{
    return (env->eflags & EFL_IOPL) >> EFL_IOPL_SHIFT;
}

static bool v86_vme(const CpuX86 *env)
{
    return env->cr[4] & CR4_VME_BIT;
}

/* the linear address of SS:SP + k (the V86 stack is 16-bit) */
static uint64_t v86_sp_lin(const CpuX86 *env, uint64_t sp)
{
    return (env->segs[R_SS].base + (sp & 0xffff)) & 0xffffffffu;
}

/*
 * IRET from CPL 0 to V86 mode (SDM IRET "RETURN-TO-VIRTUAL-8086-MODE"):
 * after EIP, CS, EFLAGS (w) the 32-bit stack holds ESP, SS, ES, DS, FS,
 * GS; all of EFLAGS loads, the selectors load real-mode style, CPL 3.
 */
void v86_iret_enter(CpuX86 *env, const uint64_t *w, uintptr_t ra)
{
    unsigned mo = seg_stack_memop(env, 4);
    uint32_t m = (env->hflags & HF_SS32) ? 0xffffffffu : 0xffffu;
    uint64_t sp = env->regs[R_ESP], ss_base = env->segs[R_SS].base;
    uint32_t v[6];
    for (int i = 0; i < 6; i++) {
        v[i] = (uint32_t)tlb_ld_slow(
            env, (ss_base + ((sp + 12 + 4 * i) & m)) & 0xffffffffu, mo, ra);
    }
    if (w[0] > env->segs[R_CS].limit) {
        v86_gp(env, ra);
    }
    cpu_load_eflags(env, w[2], EFL_DEFINED);
    static const int segs[] = {R_SS, R_ES, R_DS, R_FS, R_GS};
    for (unsigned i = 0; i < ARRAY_LEN(segs); i++) {
        cpu_seg_load_real(env, segs[i], (uint16_t)v[1 + i]);
    }
    cpu_seg_load_real(env, R_CS, (uint16_t)w[1]);
    env->regs[R_ESP] = v[0];
    env->rip = (uint32_t)w[0];
    cpu_update_hflags(env);
}

/*
 * IRET in V86 mode: with IOPL 3 a real-mode style return (VM, IOPL, VIP,
 * VIF kept; the 16-bit form loads FLAGS 15:0 but IOPL); with IOPL < 3 and
 * CR4.VME the 16-bit form loads VIF from the popped IF (IF and IOPL kept),
 * #GP(0) if it would set IF with VIP pending or set TF; else #GP(0).
 */
void v86_iret(CpuX86 *env, uint32_t size, uintptr_t ra)
{
    unsigned mo = seg_stack_memop(env, size);
    uint64_t sp = env->regs[R_ESP];
    bool vme = v86_iopl(env) < 3;
    if (vme && (size != 2 || !v86_vme(env))) {
        v86_gp(env, ra);
    }
    uint64_t w[3];
    for (int i = 0; i < 3; i++) {
        w[i] = tlb_ld_slow(env, v86_sp_lin(env, sp + i * size), mo, ra);
    }
    if (w[0] > 0xffff) {
        v86_gp(env, ra); /* beyond the 64 KiB code segment */
    }
    uint64_t mask;
    if (vme) {
        if (((w[2] & EFL_IF) && (env->eflags & EFL_VIP)) || (w[2] & EFL_TF)) {
            v86_gp(env, ra);
        }
        mask = 0xffff & ~(uint64_t)(EFL_IOPL | EFL_IF);
        env->eflags = (env->eflags & ~(uint32_t)EFL_VIF) |
                      ((w[2] & EFL_IF) ? EFL_VIF : 0);
    } else if (size == 2) {
        mask = 0xffff & ~(uint64_t)EFL_IOPL;
    } else {
        mask = EFL_DEFINED & ~(uint64_t)(EFL_VM | EFL_IOPL | EFL_VIP | EFL_VIF);
    }
    cpu_seg_load_real(env, R_CS, (uint16_t)w[1]);
    env->rip = w[0];
    env->regs[R_ESP] = (sp & ~0xffffull) | ((sp + 3 * size) & 0xffff);
    cpu_load_eflags(env, w[2], mask);
}

/* ---- CLI, STI, PUSHF, POPF, INT n under VME/PVI ---- */

/* CLI/STI where IOPL forbids IF: VIF under VME (V86) or PVI (CPL 3) */
static bool v86_vif_ok(const CpuX86 *env)
{
    if (env->hflags & HF_VM) {
        return v86_vme(env);
    }
    return cpu_cpl(env) == 3 && (env->cr[4] & CR4_PVI_BIT);
}

static void helper_cli_vif(CpuX86 *env)
{
    if (!v86_vif_ok(env)) {
        v86_gp(env, TCG_GETPC());
    }
    env->eflags &= ~(uint32_t)EFL_VIF;
}

/* STI: #GP(0) too while a virtual interrupt is pending (VIP) */
static void helper_sti_vif(CpuX86 *env)
{
    if (!v86_vif_ok(env) || (env->eflags & EFL_VIP)) {
        v86_gp(env, TCG_GETPC());
    }
    env->eflags |= EFL_VIF;
}

/* 16-bit PUSHF with VME: the image has IF := VIF and IOPL = 3 */
static uint64_t helper_pushf_vme(CpuX86 *env)
{
    if (!v86_vme(env)) {
        v86_gp(env, TCG_GETPC());
    }
    uint64_t fl = cpu_compute_eflags(env) & 0xffff & ~(uint64_t)EFL_IF;
    fl |= (env->eflags & EFL_VIF) ? EFL_IF : 0;
    return fl | EFL_IOPL;
}

/*
 * 16-bit POPF with VME: VIF := the popped IF, IF and IOPL kept; #GP(0)
 * if it would set IF with VIP pending, or TF. Returns 1: the block ends.
 */
static uint64_t helper_popf_vme(CpuX86 *env, uint64_t v)
{
    if (!v86_vme(env) || ((v & EFL_IF) && (env->eflags & EFL_VIP)) ||
        (v & EFL_TF)) {
        v86_gp(env, TCG_GETPC());
    }
    env->eflags =
        (env->eflags & ~(uint32_t)EFL_VIF) | ((v & EFL_IF) ? EFL_VIF : 0);
    cpu_load_eflags(env, v, 0xffff & ~(uint64_t)(EFL_IOPL | EFL_IF));
    return 1;
}

/* the redirection bitmap's bit n: 32 bytes below the I/O map base */
static bool v86_redirect_bit(CpuX86 *env, unsigned n, uintptr_t ra)
{
    const SegCache *tr = &env->tr;
    unsigned mmu = IR_MO_MMU(cpu_mmu_index_sys(env));
    if ((tr->attr & SEG_AR_UNUSABLE) || tr->limit < 0x67) {
        v86_gp(env, ra);
    }
    uint64_t iomap = tlb_ld_slow(env, tr->base + 0x66, IR_MO_16 | mmu, ra);
    uint64_t at = iomap - 32 + n / 8;
    if (iomap < 32 || at > tr->limit) {
        v86_gp(env, ra);
    }
    return (tlb_ld_slow(env, tr->base + at, IR_MO_8 | mmu, ra) >> (n & 7)) & 1;
}

/*
 * INT n redirected to the 8086 handler in the V86 IVT at linear 0
 * (methods 5 and 6 of SDM table 20-2): FLAGS CS IP pushed (with IOPL < 3
 * the image's IF is VIF and its IOPL 3), then TF and IF (VIF) cleared.
 */
static void v86_redirect(CpuX86 *env, unsigned n, uint64_t next, uintptr_t ra)
{
    unsigned mmu = IR_MO_MMU(cpu_mmu_index(env));
    uint32_t ent = (uint32_t)tlb_ld_slow(env, n * 4u, IR_MO_32 | mmu, ra);
    bool virt = v86_iopl(env) < 3;
    uint64_t fl = cpu_compute_eflags(env) & 0xffff;
    if (virt) {
        fl = (fl & ~(uint64_t)EFL_IF) | ((env->eflags & EFL_VIF) ? EFL_IF : 0);
        fl |= EFL_IOPL;
    }
    uint16_t words[3] = {(uint16_t)fl, env->segs[R_CS].selector,
                         (uint16_t)next};
    uint64_t sp = env->regs[R_ESP];
    for (int i = 0; i < 3; i++) {
        sp -= 2;
        tlb_st_slow(env, v86_sp_lin(env, sp), words[i], IR_MO_16 | mmu, ra);
    }
    env->regs[R_ESP] = (env->regs[R_ESP] & ~0xffffull) | (sp & 0xffff);
    env->eflags &= ~(uint32_t)(EFL_TF | (virt ? EFL_VIF : EFL_IF));
    cpu_seg_load_real(env, R_CS, (uint16_t)(ent >> 16));
    env->rip = ent & 0xffff;
    cpu_update_hflags(env);
}

/*
 * INT n in V86 mode (SDM table 20-2): with VME and the bitmap bit clear,
 * to the 8086 handler; else to the protected-mode handler with IOPL 3
 * (the gate's DPL must be 3: #GP(n * 8 + 2), #NP) or #GP(0) below it.
 */
static void helper_int_v86(CpuX86 *env, uint32_t n, uint64_t next)
{
    uintptr_t ra = TCG_GETPC();
    if (v86_vme(env) && !v86_redirect_bit(env, n, ra)) {
        v86_redirect(env, n, next, ra);
        return;
    }
    if (v86_iopl(env) < 3) {
        v86_gp(env, ra);
    }
    uint64_t g = 0;
    if (n * 8u + 7 <= env->idt.limit) {
        g = tlb_ld_slow(env, env->idt.base + n * 8u,
                        IR_MO_64 | IR_MO_MMU(cpu_mmu_index_sys(env)), ra);
    }
    unsigned type = DESC_TYPE(g);
    bool type_ok =
        type == 5 || type == 6 || type == 7 || type == 0xe || type == 0xf;
    if (!type_ok || DESC_DPL(g) < 3) {
        helper_raise_ra(env, 13, n * 8 + 2, ra);
    }
    if (!(g & DESC_P)) {
        helper_raise_ra(env, 11, n * 8 + 2, ra);
    }
    env->rip = next;
    env->exception_soft = true;
    helper_raise_trap(env, n);
}

#define V86_FLAGS (IRH_ENV | IRH_RD_GLOB | IRH_WR_GLOB | IRH_RAISE)
const IrHelper v86_h_cli = {"cli_vif", (void *)helper_cli_vif, 0, IRH_VOID, {0},
                            V86_FLAGS};
const IrHelper v86_h_sti = {"sti_vif", (void *)helper_sti_vif, 0, IRH_VOID, {0},
                            V86_FLAGS};
const IrHelper v86_h_pushf = {
    "pushf_vme", (void *)helper_pushf_vme, 0, IRH_RET_I64, {0}, V86_FLAGS};
const IrHelper v86_h_popf = {
    "popf_vme", (void *)helper_popf_vme, 1, IRH_RET_I64, {IR_I64}, V86_FLAGS};
const IrHelper v86_h_int = {"int_v86", (void *)helper_int_v86, 2,
                            IRH_VOID,  {IR_I32, IR_I64},       V86_FLAGS};
