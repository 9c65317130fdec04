/*
 * x86-64 front end: SHL/SAL SHR SAR ROL ROR RCL RCR (by 1, CL, imm8) and
 * SHLD/SHRD (SDM vol. 2). The count is masked to 5 bits (6 with REX.W);
 * a masked count of 0 changes no flag, so with a CL count the lazy-flag
 * globals are updated through MOVCOND and keep the previous cc state when
 * it is 0. SHL/SHR/SAR/ROL/ROR are inline IR with the lazy classes of
 * cc.h; RCL/RCR and SHLD/SHRD call helper_arith.c for result and flags
 * (the flags helper returns the old image for a zero count).
 */
#include "cpu/helper_arith.h"
#include "cpu/translate_int.h"

#define SH_ARGS4                                                               \
    {                                                                          \
        IR_I64, IR_I64, IR_I64, IR_I32                                         \
    }
#define SH_ARGS5                                                               \
    {                                                                          \
        IR_I64, IR_I64, IR_I64, IR_I64, IR_I32                                 \
    }
static const IrHelper h_rcx = {"rcx",       (void *)helper_rcx, 4,
                               IRH_RET_I64, SH_ARGS4,           IRH_PURE};
static const IrHelper h_rcx_flags = {
    "rcx_flags", (void *)helper_rcx_flags, 4, IRH_RET_I64, SH_ARGS4, IRH_PURE};
static const IrHelper h_shd = {"shd",       (void *)helper_shd, 5,
                               IRH_RET_I64, SH_ARGS5,           IRH_PURE};
static const IrHelper h_shd_flags = {
    "shd_flags", (void *)helper_shd_flags, 5, IRH_RET_I64, SH_ARGS5, IRH_PURE};

/* masked count; *known: its value for an immediate count, else -1 */
static IrTemp sh_count(Dc *dc, const X86Operand *o, unsigned size, int *known)
{
    unsigned m = size == 8 ? 63 : 31;
    if (o->type == XOP_IMM) {
        *known = (int)((uint64_t)o->val & m);
        return tr_const(dc, (uint64_t)*known);
    }
    *known = -1;
    IrTemp c = tr_new(dc);
    ir_op2i(dc->f, IR_AND, IR_I64, c, tr_ld(dc, o, NULL), m);
    return c;
}

/* set the lazy flags unless the masked count c is 0 */
static void sh_set_cc(Dc *dc, IrTemp c, int known, CcOp op, IrTemp dst,
                      IrTemp src)
{
    IrFunc *f = dc->f;
    IrTemp zero = tr_const(dc, 0);
    if (known >= 0) {
        if (known > 0) {
            tr_set_cc(dc, op, dst, src, zero);
        }
        return;
    }
    ir_movcond(f, IR_I64, IR_NE, x86_g.cc_dst, c, zero, dst, x86_g.cc_dst);
    ir_movcond(f, IR_I64, IR_NE, x86_g.cc_src, c, zero, src, x86_g.cc_src);
    ir_movcond(f, IR_I64, IR_NE, x86_g.cc_src2, c, zero, zero, x86_g.cc_src2);
    IrTemp c32 = ir_temp_new(f, IR_I32);
    ir_op1(f, IR_EXTRL, IR_I32, c32, c);
    ir_movcond(f, IR_I32, IR_NE, x86_g.cc_op, c32, ir_const(f, IR_I32, 0),
               ir_const(f, IR_I32, op), x86_g.cc_op);
    dc->cc_op = CC_OP_DYNAMIC;
}

/* v repeated to fill 64 bits, so a 64-bit rotate rotates each copy */
static IrTemp sh_replicate(Dc *dc, IrTemp v, unsigned size)
{
    static const uint64_t rep[] = {0x0101010101010101ull, 0x0001000100010001ull,
                                   0x0000000100000001ull};
    if (size == 8) {
        return v;
    }
    IrTemp r = tr_new(dc);
    ir_op2i(dc->f, IR_MUL, IR_I64, r, v, rep[tr_log2(size)]);
    return r;
}

/* SHL SHR SAR ROL ROR: result; *s1 gets the cc_src operand */
static IrTemp sh_compute(Dc *dc, unsigned id, IrTemp v, IrTemp c, unsigned size,
                         IrTemp *s1)
{
    IrFunc *f = dc->f;
    IrTemp r = tr_new(dc), cm1 = tr_new(dc);
    ir_op2i(f, IR_SUB, IR_I64, cm1, c, 1);
    *s1 = tr_new(dc);
    switch (id) {
    case XI_SHL:
        ir_op2(f, IR_SHL, IR_I64, r, v, c);
        ir_op2(f, IR_SHL, IR_I64, *s1, v, cm1);
        break;
    case XI_SHR:
        ir_op2(f, IR_SHR, IR_I64, r, v, c);
        ir_op2(f, IR_SHR, IR_I64, *s1, v, cm1);
        break;
    case XI_SAR: {
        IrTemp sv = tr_sext(dc, v, size);
        ir_op2(f, IR_SAR, IR_I64, r, sv, c);
        ir_op2(f, IR_SAR, IR_I64, *s1, sv, cm1);
        break;
    }
    default: /* ROL ROR: cc_src = the flags before */
        ir_op2(f, id == XI_ROL ? IR_ROTL : IR_ROTR, IR_I64, r,
               sh_replicate(dc, v, size), c);
        *s1 = tr_flags(dc);
        break;
    }
    return tr_zext(dc, r, size);
}

static CcClass sh_class(unsigned id)
{
    switch (id) {
    case XI_SHL:
        return CC_CLASS_SHL;
    case XI_SHR:
        return CC_CLASS_SHR;
    case XI_SAR:
        return CC_CLASS_SAR;
    case XI_ROL:
        return CC_CLASS_ROL;
    default:
        return CC_CLASS_ROR;
    }
}

static void op_shift(Dc *dc, unsigned id)
{
    const X86Operand *o0 = &dc->d->op[0];
    unsigned size = o0->size;
    IrTemp addr = (IrTemp)-1;
    IrTemp v = tr_ld_rmw(dc, o0, &addr);
    int known;
    IrTemp c = sh_count(dc, &dc->d->op[1], size, &known);
    IrTemp s1;
    IrTemp r = sh_compute(dc, id, v, c, size, &s1);
    tr_st(dc, o0, addr, r);
    sh_set_cc(dc, c, known, cc_op_make(sh_class(id), tr_log2(size)), r, s1);
}

/* flags image after a helper: always valid (old flags for a zero count) */
static void sh_set_eflags(Dc *dc, IrTemp fl)
{
    IrTemp zero = tr_const(dc, 0);
    tr_set_cc(dc, CC_OP_EFLAGS, zero, fl, zero);
}

/* RCL RCR */
static void op_rcx(Dc *dc, unsigned id)
{
    const X86Operand *o0 = &dc->d->op[0];
    unsigned size = o0->size;
    IrTemp addr = (IrTemp)-1;
    IrTemp v = tr_ld_rmw(dc, o0, &addr);
    IrTemp c = tr_ld(dc, &dc->d->op[1], NULL);
    unsigned how = tr_log2(size) | (id == XI_RCR ? 4u : 0u);
    IrTemp args[] = {v, c, tr_flags(dc), ir_const(dc->f, IR_I32, how)};
    IrTemp r = tr_new(dc), fl = tr_new(dc);
    ir_call(dc->f, &h_rcx, r, args);
    ir_call(dc->f, &h_rcx_flags, fl, args);
    tr_st(dc, o0, addr, r);
    sh_set_eflags(dc, fl);
}

/* SHLD SHRD r/m, r, imm8/CL */
static void op_shd(Dc *dc, unsigned id)
{
    const DecodedInsn *d = dc->d;
    const X86Operand *o0 = &d->op[0];
    unsigned size = o0->size;
    IrTemp addr = (IrTemp)-1;
    IrTemp v = tr_ld_rmw(dc, o0, &addr);
    IrTemp s = tr_ld(dc, &d->op[1], NULL);
    IrTemp c = tr_ld(dc, &d->op[2], NULL);
    unsigned how = tr_log2(size) | (id == XI_SHRD ? 4u : 0u);
    IrTemp args[] = {v, s, c, tr_flags(dc), ir_const(dc->f, IR_I32, how)};
    IrTemp r = tr_new(dc), fl = tr_new(dc);
    ir_call(dc->f, &h_shd, r, args);
    ir_call(dc->f, &h_shd_flags, fl, args);
    tr_st(dc, o0, addr, r);
    sh_set_eflags(dc, fl);
}

bool tr_shift(Dc *dc)
{
    unsigned id = dc->d->id;
    switch (id) {
    case XI_SHL:
    case XI_SAL:
        op_shift(dc, XI_SHL);
        return true;
    case XI_SHR:
    case XI_SAR:
    case XI_ROL:
    case XI_ROR:
        op_shift(dc, id);
        return true;
    case XI_RCL:
    case XI_RCR:
        op_rcx(dc, id);
        return true;
    case XI_SHLD:
    case XI_SHRD:
        op_shd(dc, id);
        return true;
    default:
        return false;
    }
}
