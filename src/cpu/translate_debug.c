/*
 * x86 front end: MOV to/from DR0-7 and the translation-time side of the
 * debug exceptions (helper_debug.c has the model and the run-time side).
 *
 * Execute breakpoints: a block translated with HF_IBP compares each
 * instruction's linear address with the enabled execute breakpoints of the
 * translating vCPU (DR0-3, R/W = 00). An instruction with a breakpoint
 * always starts a block (the liveness pass then sees no state half-built)
 * and becomes a #DB fault with RIP = its address. Blocks without HF_IBP
 * hold no check at all.
 *
 * RF and data breakpoints: HF_RF and HF_DBW blocks hold one instruction
 * with no breakpoint check. HF_RF clears RF as the instruction starts;
 * HF_DBW ends with helper_debug_end at every exit (the #DB trap for the
 * breakpoints the replayed instruction hit) and runs one REP iteration.
 */
#include "cpu/translate_int.h"

#define H(name, fn, ret, n, ...)                                               \
    static const IrHelper name = {                                             \
        #fn, (void *)fn,    n,                                                 \
        ret, {__VA_ARGS__}, IRH_ENV | IRH_RD_GLOB | IRH_WR_GLOB | IRH_RAISE}

H(h_get_dr, helper_get_dr, IRH_RET_I64, 1, IR_I32);
H(h_set_dr, helper_set_dr, IRH_VOID, 3, IR_I32, IR_I64, IR_I64);
H(h_debug_bp, helper_debug_bp, IRH_VOID, 1, IR_I32);
H(h_debug_rf, helper_debug_rf, IRH_VOID, 1, IR_I32);
H(h_debug_end, helper_debug_end, IRH_VOID, 1, IR_I32);

/* MOV r, DRn / MOV DRn, r: 64-bit in 64-bit mode, else 32-bit */
static void op_mov_dr(Dc *dc)
{
    const DecodedInsn *d = dc->d;
    bool to_dr = d->op[0].cls == XRC_DR;
    const X86Operand *dr = &d->op[to_dr ? 0 : 1], *gpr = &d->op[to_dr ? 1 : 0];
    unsigned size = dc->dmode == X86_MODE64 ? 8 : 4;
    IrTemp n = ir_const(dc->f, IR_I32, dr->reg);
    if (!to_dr) {
        IrTemp v = tr_new(dc);
        IrTemp args[] = {n};
        ir_call(dc->f, &h_get_dr, v, args);
        tr_reg_set(dc, gpr->reg, size, v);
        return;
    }
    IrTemp args[] = {n, tr_reg_get(dc, gpr->reg, size),
                     tr_const(dc, dc->next_pc)};
    ir_call(dc->f, &h_set_dr, 0, args);
    /* hflags (HF_IBP) may have changed: a fresh lookup */
    ir_movi(dc->f, IR_I64, x86_g.rip, dc->next_pc);
    tr_exit(dc, IR_EXIT_LOOKUP);
}

bool tr_debug(Dc *dc)
{
    if (dc->d->id != XI_MOV_DR) {
        return false;
    }
    op_mov_dr(dc);
    return true;
}

uint32_t tr_debug_max_insns(uint32_t flags, uint32_t max)
{
    return (flags & (HF_RF | HF_DBW)) ? 1 : max;
}

/* the execute breakpoints at pc (DR6.B0-3 bits) */
static uint32_t tr_debug_bits(const Dc *dc, uint64_t pc)
{
    const CpuDebug *d = &dc->env->dbg;
    uint64_t lin = dc->cs_base + pc;
    uint32_t bits = 0;
    if (!(dc->hflags & HF_CS64)) {
        lin &= 0xffffffffu; /* 32-bit linear addresses outside 64-bit code */
    }
    for (unsigned n = 0; n < 4; n++) {
        if ((d->ibp_mask & (1u << n)) && d->ibp_addr[n] == lin) {
            bits |= 1u << n;
        }
    }
    return bits;
}

bool tr_debug_bp_at(const Dc *dc, uint64_t pc)
{
    return (dc->hflags & HF_IBP) && tr_debug_bits(dc, pc);
}

bool tr_debug_insn(Dc *dc, uint32_t i)
{
    IrFunc *f = dc->f;
    if (i == 0 && (dc->hflags & HF_RF)) {
        IrTemp args[] = {ir_const(f, IR_I32, 0)};
        ir_call(f, &h_debug_rf, 0, args);
        return false;
    }
    if (!(dc->hflags & HF_IBP) || (i == 0 && (dc->hflags & HF_DBW))) {
        return false;
    }
    uint32_t bits = tr_debug_bits(dc, dc->pc);
    if (!bits) {
        return false;
    }
    IrTemp args[] = {ir_const(f, IR_I32, bits)};
    ir_movi(f, IR_I64, x86_g.rip, dc->pc);
    ir_call(f, &h_debug_bp, 0, args);
    ir_exit_tb(f, IR_EXIT_FRONTEND); /* not reached */
    dc->ended = true;
    return true;
}

bool tr_debug_end(Dc *dc, IrExit why)
{
    if (!(dc->hflags & HF_DBW)) {
        return false;
    }
    IrTemp args[] = {ir_const(dc->f, IR_I32, (dc->hflags & HF_TF) ? 1 : 0)};
    ir_call(dc->f, &h_debug_end, 0, args);
    ir_exit_tb(dc->f, why);
    dc->ended = true;
    return true;
}

void tr_debug_rep_loop(Dc *dc)
{
    if (dc->hflags & (HF_RF | HF_DBW)) {
        IrTemp args[] = {ir_const(dc->f, IR_I32, 1)};
        ir_call(dc->f, &h_debug_rf, 0, args);
    }
}
