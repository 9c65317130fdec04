/*
 * x86-64 front end: MUL, IMUL (one-, two- and three-operand forms), DIV
 * and IDIV (SDM vol. 2). Products use the IR widening multiplies; the
 * flags are the MUL/IMUL classes of cc.h (low half, high half). Division
 * is a helper that reads RDX:RAX from env and raises #DE (divisor 0 or a
 * quotient that does not fit, INT_MIN / -1 included) before writing
 * anything, so the fault is precise.
 */
#include "cpu/helper_arith.h"
#include "cpu/translate_int.h"

static const IrHelper h_div = {"div",
                               (void *)helper_div,
                               2,
                               IRH_VOID,
                               {IR_I64, IR_I32},
                               IRH_ENV | IRH_RAISE | IRH_RD_GLOB | IRH_WR_GLOB};

/* lo, hi = a * b at size (a, b zero-extended); signed: IMUL */
static void md_mul(Dc *dc, IrTemp a, IrTemp b, unsigned size, bool sign,
                   IrTemp *lo, IrTemp *hi)
{
    IrFunc *f = dc->f;
    *lo = tr_new(dc);
    *hi = tr_new(dc);
    if (size == 8) {
        ir_mul2(f, sign ? IR_MULS2 : IR_MULU2, IR_I64, *lo, *hi, a, b);
        return;
    }
    if (sign) {
        a = tr_sext(dc, a, size);
        b = tr_sext(dc, b, size);
    }
    IrTemp p = tr_new(dc);
    ir_op2(f, IR_MUL, IR_I64, p, a, b);
    ir_op2i(f, sign ? IR_SAR : IR_SHR, IR_I64, *hi, p, size * 8);
    *hi = tr_zext(dc, *hi, size);
    *lo = tr_zext(dc, p, size);
}

/* MUL/IMUL r/m: rDX:rAX = rAX * r/m (AX = AL * r/m8) */
static void op_mul1(Dc *dc, bool sign)
{
    const X86Operand *o0 = &dc->d->op[0];
    unsigned size = o0->size;
    IrTemp b = tr_ld(dc, o0, NULL);
    IrTemp a = tr_reg_get(dc, R_EAX, size);
    IrTemp lo, hi;
    md_mul(dc, a, b, size, sign, &lo, &hi);
    if (size == 1) {
        IrTemp ax = tr_new(dc);
        ir_op2i(dc->f, IR_SHL, IR_I64, ax, hi, 8);
        ir_op2(dc->f, IR_OR, IR_I64, ax, ax, lo);
        tr_reg_set(dc, R_EAX, 2, ax);
    } else {
        tr_reg_set(dc, R_EAX, size, lo);
        tr_reg_set(dc, R_EDX, size, hi);
    }
    CcClass c = sign ? CC_CLASS_IMUL : CC_CLASS_MUL;
    tr_set_cc(dc, cc_op_make(c, tr_log2(size)), lo, hi, tr_const(dc, 0));
}

/* IMUL r, r/m (, imm): truncated signed product */
static void op_imul_n(Dc *dc)
{
    const DecodedInsn *d = dc->d;
    const X86Operand *o0 = &d->op[0];
    unsigned size = o0->size;
    IrTemp a, b;
    if (d->nops >= 3) {
        a = tr_ld(dc, &d->op[1], NULL);
        uint64_t m = size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
        b = tr_const(dc, (uint64_t)d->op[2].val & m);
    } else {
        a = tr_reg_get(dc, o0->reg, size);
        b = tr_ld(dc, &d->op[1], NULL);
    }
    IrTemp lo, hi;
    md_mul(dc, a, b, size, true, &lo, &hi);
    tr_reg_set(dc, o0->reg, size, lo);
    tr_set_cc(dc, cc_op_make(CC_CLASS_IMUL, tr_log2(size)), lo, hi,
              tr_const(dc, 0));
}

/* DIV/IDIV r/m: the helper updates rAX/rDX or raises #DE */
static void op_div(Dc *dc, bool sign)
{
    const X86Operand *o0 = &dc->d->op[0];
    IrTemp v = tr_ld(dc, o0, NULL);
    unsigned how = tr_log2(o0->size) | (sign ? 4u : 0u);
    IrTemp args[] = {v, ir_const(dc->f, IR_I32, how)};
    ir_call(dc->f, &h_div, 0, args);
}

bool tr_muldiv(Dc *dc)
{
    switch (dc->d->id) {
    case XI_MUL:
        op_mul1(dc, false);
        return true;
    case XI_IMUL:
        if (dc->d->nops == 1) {
            op_mul1(dc, true);
        } else {
            op_imul_n(dc);
        }
        return true;
    case XI_DIV:
    case XI_IDIV:
        op_div(dc, dc->d->id == XI_IDIV);
        return true;
    default:
        return false;
    }
}
