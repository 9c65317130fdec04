/*
 * 16- and 32-bit code: the mode setup of a block (decoder mode, CS base,
 * stack width, whether DS/ES/SS bases are added) and the general-purpose
 * instructions that exist only outside 64-bit mode: PUSHA/POPA, the decimal
 * adjusts DAA DAS AAA AAS AAM AAD (helper_legacy.c), INTO, BOUND and
 * ENTER/LEAVE with 16/32-bit stacks (LDS/LES are in translate_seg.c).
 * INC/DEC 40-4F are ordinary INC/DEC.
 * Ref: SDM vol. 2 (each instruction's pseudocode), vol. 3A 20.1 (real mode).
 */
#include "cpu/translate_int.h"

#include "util/log.h"

void tr_mode_init(Dc *dc, uint32_t hflags, uint64_t cs_base)
{
    if (hflags & HF_CS64) {
        dc->dmode = X86_MODE64;
        dc->ss32 = true;
        dc->addseg = false;
        dc->cs_base = 0;
        return;
    }
    dc->dmode = (hflags & HF_CS32) ? X86_MODE32 : X86_MODE16;
    dc->ss32 = (hflags & HF_SS32) != 0;
    dc->addseg = (hflags & HF_ADDSEG) != 0;
    dc->cs_base = cs_base;
}

/* the stack address of rSP - k (k may be negative: above rSP) */
static IrTemp lg_stack_at(Dc *dc, int64_t k)
{
    IrTemp sp = tr_new(dc);
    ir_op2i(dc->f, IR_SUB, IR_I64, sp, x86_g.regs[R_ESP], (uint64_t)k);
    return tr_stack_addr(dc, sp);
}

/* PUSHA: AX CX DX BX (old) SP BP SI DI, every store before rSP changes */
static void op_pusha(Dc *dc)
{
    unsigned s = dc->d->opsize;
    IrTemp v[8];
    for (unsigned r = 0; r < 8; r++) {
        v[r] = tr_reg_get(dc, r, s);
    }
    for (unsigned r = 0; r < 8; r++) {
        tr_mem_st(dc, lg_stack_at(dc, (int64_t)(s * (r + 1))), v[r], s);
    }
    tr_sp_add(dc, (uint64_t) - (int64_t)(8 * s));
}

/* POPA: DI SI BP (SP skipped) BX DX CX AX, every load first */
static void op_popa(Dc *dc)
{
    unsigned s = dc->d->opsize;
    IrTemp v[8];
    for (unsigned i = 0; i < 8; i++) {
        if (i != 3) {
            v[i] = tr_mem_ld(dc, lg_stack_at(dc, -(int64_t)(s * i)), s);
        }
    }
    tr_sp_add(dc, 8 * s);
    for (unsigned i = 0; i < 8; i++) {
        if (i != 3) {
            tr_reg_set(dc, 7 - i, s, v[i]);
        }
    }
}

static const IrHelper h_bcd = {"bcd",       (void *)helper_bcd,       3,
                               IRH_RET_I64, {IR_I32, IR_I64, IR_I64}, IRH_PURE};

/* DAA DAS AAA AAS AAM AAD: AX and the flags from helper_bcd */
static void op_bcd(Dc *dc, unsigned op)
{
    IrFunc *f = dc->f;
    unsigned imm = dc->d->nops ? (unsigned)dc->d->op[0].val & 0xff : 0;
    if (op == BCD_AAM && imm == 0) {
        tr_exception(dc, 0); /* #DE */
        return;
    }
    IrTemp r = tr_new(dc), fl = tr_new(dc);
    IrTemp args[] = {ir_const(f, IR_I32, op | imm << 8),
                     tr_reg_get(dc, R_EAX, 8), tr_flags(dc)};
    ir_call(f, &h_bcd, r, args);
    tr_reg_set(dc, R_EAX, 2, r);
    ir_op2i(f, IR_SHR, IR_I64, fl, r, 16);
    tr_set_cc(dc, CC_OP_EFLAGS, tr_const(dc, 0), fl, tr_const(dc, 0));
}

/* INTO: #OF as a trap (RIP after INTO) when OF = 1 */
static void op_into(Dc *dc)
{
    uint32_t skip = ir_label_new(dc->f);
    ir_brcond(dc->f, IR_I64, IR_EQ, tr_cond(dc, CC_COND_O), tr_const(dc, 0),
              skip);
    tr_trap(dc, 4);
    dc->ended = false;
    ir_set_label(dc->f, skip);
}

/* BOUND r, m: #BR unless [m] <= r <= [m + size] (signed) */
static void op_bound(Dc *dc)
{
    IrFunc *f = dc->f;
    unsigned s = dc->d->opsize;
    IrTemp idx = tr_sext(dc, tr_ld(dc, &dc->d->op[0], NULL), s);
    IrTemp a = tr_ea(dc, &dc->d->op[1]), a2 = tr_new(dc);
    ir_op2i(f, IR_ADD, IR_I64, a2, a, s);
    IrTemp lo = tr_sext(dc, tr_mem_ld(dc, a, s), s);
    IrTemp hi = tr_sext(dc, tr_mem_ld(dc, a2, s), s);
    uint32_t fail = ir_label_new(f), ok = ir_label_new(f);
    ir_brcond(f, IR_I64, IR_LT, idx, lo, fail);
    ir_brcond(f, IR_I64, IR_LE, idx, hi, ok);
    ir_set_label(f, fail);
    tr_exception(dc, 5);
    dc->ended = false;
    ir_set_label(f, ok);
}

/*
 * ENTER/LEAVE outside 64-bit mode (translate_sys.c has the 64-bit forms):
 * stack accesses at SS:(E)SP/(E)BP of the stack width (SS.B), which also
 * sets how much of rBP/rSP is written; the operand size sets the pushes.
 */
static void op_enter(Dc *dc)
{
    IrFunc *f = dc->f;
    unsigned os = dc->d->opsize, w = dc->ss32 ? 4 : 2;
    uint64_t alloc = (uint64_t)dc->d->op[0].val & 0xffff;
    unsigned level = (unsigned)dc->d->op[1].val & 31;
    IrTemp sp = tr_new(dc), frame = tr_new(dc);
    ir_op2i(f, IR_SUB, IR_I64, sp, x86_g.regs[R_ESP], os);
    tr_mem_st(dc, tr_stack_addr(dc, sp), x86_g.regs[R_EBP], os);
    ir_mov(f, IR_I64, frame, sp);
    for (unsigned i = 1; i < level; i++) {
        IrTemp a = tr_new(dc);
        ir_op2i(f, IR_SUB, IR_I64, a, x86_g.regs[R_EBP], (uint64_t)i * os);
        IrTemp v = tr_mem_ld(dc, tr_stack_addr(dc, a), os);
        ir_op2i(f, IR_SUB, IR_I64, sp, sp, os);
        tr_mem_st(dc, tr_stack_addr(dc, sp), v, os);
    }
    if (level > 0) {
        ir_op2i(f, IR_SUB, IR_I64, sp, sp, os);
        tr_mem_st(dc, tr_stack_addr(dc, sp), frame, os);
    }
    tr_reg_set(dc, R_EBP, w, frame);
    ir_op2i(f, IR_SUB, IR_I64, sp, sp, alloc);
    tr_reg_set(dc, R_ESP, w, sp);
}

/* LEAVE: (E)SP = (E)BP, then pop (E)BP at the operand size */
static void op_leave(Dc *dc)
{
    unsigned os = dc->d->opsize, w = dc->ss32 ? 4 : 2;
    IrTemp b = tr_reg_get(dc, R_EBP, 8), t = tr_new(dc);
    IrTemp v = tr_mem_ld(dc, tr_stack_addr(dc, b), os);
    ir_op2i(dc->f, IR_ADD, IR_I64, t, x86_g.regs[R_EBP], os);
    tr_reg_set(dc, R_ESP, w, t);
    tr_reg_set(dc, R_EBP, os, v);
}

bool tr_legacy(Dc *dc)
{
    switch (dc->d->id) {
    case XI_PUSHA:
        op_pusha(dc);
        return true;
    case XI_POPA:
        op_popa(dc);
        return true;
    case XI_DAA:
    case XI_DAS:
    case XI_AAA:
    case XI_AAS:
    case XI_AAM:
    case XI_AAD: {
        static const uint8_t ops[] = {BCD_DAA, BCD_DAS, BCD_AAA,
                                      BCD_AAS, BCD_AAM, BCD_AAD};
        op_bcd(dc, ops[dc->d->id - XI_DAA]);
        return true;
    }
    case XI_INTO:
        op_into(dc);
        return true;
    case XI_BOUND:
        op_bound(dc);
        return true;
    case XI_ENTER:
    case XI_LEAVE:
        if (dc->dmode == X86_MODE64) {
            return false;
        }
        if (dc->d->id == XI_ENTER) {
            op_enter(dc);
        } else {
            op_leave(dc);
        }
        return true;
    default:
        return false;
    }
}
