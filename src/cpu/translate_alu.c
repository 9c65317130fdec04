/*
 * Integer ALU and data movement: ADD OR ADC SBB AND SUB XOR CMP TEST,
 * INC DEC NEG NOT, MOV MOVZX MOVSX MOVSXD LEA XCHG, CMOVcc SETcc,
 * CBW/CWDE/CDQE CWD/CDQ/CQO, CLC STC CMC and the NOP forms (SDM vol. 2).
 * Each flag producer leaves cc_op + operands (cpu/cc.h); a consumer (ADC,
 * SBB, INC/DEC's kept CF, SETcc, CMOVcc) asks translate_ops.c for them.
 * Memory destinations load, compute, store, and only then touch the
 * flag globals, so a faulting store leaves the state precise. LOCK forms
 * use the IR atomics (one host locked instruction each).
 */
#include "cpu/translate_int.h"

#include "util/log.h"

static void op_xchg_EvGv(Dc *dc);

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

/* second operand of a binary op: immediates truncated to the op size */
static IrTemp alu_src(Dc *dc, const X86Operand *o, unsigned size)
{
    if (o->type == XOP_IMM) {
        return tr_const(dc, (uint64_t)o->val & size_mask(size));
    }
    return tr_ld(dc, o, NULL);
}

static CcOp alu_cc(CcClass c, unsigned size)
{
    return cc_op_make(c, tr_log2(size));
}

/* r = a OP b (with carry c for ADC/SBB); *cls gets the flag class */
static IrTemp alu_compute(Dc *dc, unsigned id, IrTemp a, IrTemp b, IrTemp c,
                          CcClass *cls)
{
    IrFunc *f = dc->f;
    IrTemp r = tr_new(dc);
    *cls = CC_CLASS_LOGIC;
    switch (id) {
    case XI_ADD:
    case XI_ADC:
        ir_op2(f, IR_ADD, IR_I64, r, a, b);
        if (id == XI_ADC) {
            ir_op2(f, IR_ADD, IR_I64, r, r, c);
        }
        *cls = id == XI_ADD ? CC_CLASS_ADD : CC_CLASS_ADC;
        break;
    case XI_SUB:
    case XI_CMP:
    case XI_SBB:
        ir_op2(f, IR_SUB, IR_I64, r, a, b);
        if (id == XI_SBB) {
            ir_op2(f, IR_SUB, IR_I64, r, r, c);
        }
        *cls = id == XI_SBB ? CC_CLASS_SBB : CC_CLASS_SUB;
        break;
    case XI_AND:
    case XI_TEST:
        ir_op2(f, IR_AND, IR_I64, r, a, b);
        break;
    case XI_OR:
        ir_op2(f, IR_OR, IR_I64, r, a, b);
        break;
    default: /* XI_XOR */
        ir_op2(f, IR_XOR, IR_I64, r, a, b);
        break;
    }
    return r;
}

static IrTemp alu_carry_in(Dc *dc, unsigned id)
{
    return id == XI_ADC || id == XI_SBB ? tr_carry(dc) : tr_const(dc, 0);
}

/* a: first operand (zero-extended), kept for SUB/CMP consumers */
static void alu_set_cc(Dc *dc, CcClass cls, unsigned size, IrTemp r, IrTemp a,
                       IrTemp b, IrTemp c)
{
    if (cls == CC_CLASS_SUB) {
        tr_set_cc_sub(dc, alu_cc(cls, size), r, a, b);
        return;
    }
    if (cls == CC_CLASS_LOGIC) {
        b = tr_const(dc, 0);
    }
    tr_set_cc(dc, alu_cc(cls, size), r, b, c);
}

/* ADD OR ADC SBB AND SUB XOR CMP TEST: op0 = op0 OP op1 */
static void op_alu_EvGv(Dc *dc, unsigned id)
{
    const X86Operand *o0 = &dc->d->op[0];
    unsigned size = o0->size;
    IrTemp addr = (IrTemp)-1;
    bool rmw = id != XI_CMP && id != XI_TEST;
    IrTemp a = rmw ? tr_ld_rmw(dc, o0, &addr) : tr_ld(dc, o0, &addr);
    IrTemp b = alu_src(dc, &dc->d->op[1], size);
    IrTemp c = alu_carry_in(dc, id);
    CcClass cls;
    IrTemp r = tr_zext(dc, alu_compute(dc, id, a, b, c, &cls), size);
    if (rmw) {
        tr_st(dc, o0, addr, r);
    }
    alu_set_cc(dc, cls, size, r, a, b, c);
}

/*
 * LOCK forms with a memory destination: one host atomic adds (SUB and
 * SBB add the negated operand), ands, ors or xors, and the flags come
 * from the old value it returns. LOCK elsewhere is #UD (SDM LOCK).
 */
static void op_alu_locked(Dc *dc, unsigned id)
{
    const X86Operand *o0 = &dc->d->op[0];
    unsigned size = o0->size;
    IrFunc *f = dc->f;
    IrTemp b = alu_src(dc, &dc->d->op[1], size);
    IrTemp c = alu_carry_in(dc, id);
    IrTemp v = tr_new(dc);
    IrOpcode aop = IR_ATOMIC_ADD;
    if (id == XI_ADD || id == XI_ADC) {
        ir_op2(f, IR_ADD, IR_I64, v, b, c);
    } else if (id == XI_SUB || id == XI_SBB) {
        ir_op2(f, IR_ADD, IR_I64, v, b, c);
        ir_op1(f, IR_NEG, IR_I64, v, v);
    } else {
        ir_mov(f, IR_I64, v, b);
        aop = id == XI_AND  ? IR_ATOMIC_AND
              : id == XI_OR ? IR_ATOMIC_OR
                            : IR_ATOMIC_XOR;
    }
    IrTemp old = tr_new(dc);
    ir_atomic_rmw(f, aop, IR_I64, old, tr_ea_rmw(dc, o0), v,
                  tr_log2(size) | IR_MO_MMU(dc->mmu));
    CcClass cls;
    IrTemp r = tr_zext(dc, alu_compute(dc, id, old, b, c, &cls), size);
    alu_set_cc(dc, cls, size, r, old, b, c);
}

/* LOCK INC/DEC/NOT [mem]; LOCK NEG needs a compare-exchange loop: later */
static bool op_unary_locked(Dc *dc, unsigned id)
{
    const X86Operand *o0 = &dc->d->op[0];
    unsigned size = o0->size;
    if (id == XI_NEG) {
        log_unimp_once("translate", "lock neg: raising #UD");
        return false;
    }
    IrTemp cf = id == XI_NOT ? 0 : tr_carry(dc);
    uint64_t v = id == XI_INC ? 1 : id == XI_DEC ? ~0ull : size_mask(size);
    IrTemp old = tr_new(dc);
    ir_atomic_rmw(dc->f, id == XI_NOT ? IR_ATOMIC_XOR : IR_ATOMIC_ADD, IR_I64,
                  old, tr_ea_rmw(dc, o0), tr_const(dc, v),
                  tr_log2(size) | IR_MO_MMU(dc->mmu));
    if (id == XI_NOT) {
        return true;
    }
    IrTemp r = tr_new(dc);
    ir_op2i(dc->f, IR_ADD, IR_I64, r, old, v);
    r = tr_zext(dc, r, size);
    CcClass cls = id == XI_INC ? CC_CLASS_INC : CC_CLASS_DEC;
    tr_set_cc(dc, alu_cc(cls, size), r, cf, tr_const(dc, 0));
    return true;
}

/* LOCK prefix: only the lockable forms with a memory destination */
bool tr_locked(Dc *dc)
{
    unsigned id = dc->d->id;
    if (dc->d->op[0].type != XOP_MEM) {
        return false;
    }
    switch (id) {
    case XI_ADD:
    case XI_OR:
    case XI_ADC:
    case XI_SBB:
    case XI_AND:
    case XI_SUB:
    case XI_XOR:
        op_alu_locked(dc, id);
        return true;
    case XI_INC:
    case XI_DEC:
    case XI_NOT:
    case XI_NEG:
        return op_unary_locked(dc, id);
    case XI_XCHG:
        op_xchg_EvGv(dc);
        return true;
    default:
        return false;
    }
}

/* INC DEC NEG NOT */
static void op_unary_Ev(Dc *dc, unsigned id)
{
    const X86Operand *o0 = &dc->d->op[0];
    unsigned size = o0->size;
    IrTemp addr = (IrTemp)-1;
    IrTemp a = tr_ld_rmw(dc, o0, &addr);
    IrTemp r = tr_new(dc);
    IrTemp cf = 0;
    if (id == XI_INC || id == XI_DEC) {
        /* CF is kept: the old one is needed only if it is read later */
        cf = tr_flags_live(dc, CC_C) ? tr_carry(dc) : tr_const(dc, 0);
        ir_op2i(dc->f, id == XI_INC ? IR_ADD : IR_SUB, IR_I64, r, a, 1);
    } else {
        ir_op1(dc->f, id == XI_NEG ? IR_NEG : IR_NOT, IR_I64, r, a);
    }
    r = tr_zext(dc, r, size);
    tr_st(dc, o0, addr, r);
    IrTemp zero = tr_const(dc, 0);
    if (id == XI_INC || id == XI_DEC) {
        CcClass cls = id == XI_INC ? CC_CLASS_INC : CC_CLASS_DEC;
        tr_set_cc(dc, alu_cc(cls, size), r, cf, zero);
    } else if (id == XI_NEG) {
        tr_set_cc(dc, alu_cc(CC_CLASS_SUB, size), r, a, zero);
    }
}

/* MOV MOVZX MOVSX MOVSXD */
static void op_mov_GvEv(Dc *dc, unsigned id)
{
    const X86Operand *o1 = &dc->d->op[1];
    IrTemp v = tr_ld(dc, o1, NULL);
    if (id == XI_MOVSX || id == XI_MOVSXD) {
        v = tr_sext(dc, v, o1->size);
    }
    tr_st(dc, &dc->d->op[0], (IrTemp)-1, v);
}

static void op_lea_GvM(Dc *dc)
{
    X86Operand m = dc->d->op[1];
    m.seg = XSEG_NONE; /* LEA computes the offset only */
    tr_st(dc, &dc->d->op[0], (IrTemp)-1, tr_ea(dc, &m));
}

/* XCHG: with memory, implicitly locked (one host atomic) */
static void op_xchg_EvGv(Dc *dc)
{
    const X86Operand *o0 = &dc->d->op[0];
    const X86Operand *o1 = &dc->d->op[1];
    IrTemp b = tr_ld(dc, o1, NULL);
    IrTemp a;
    if (o0->type == XOP_MEM) {
        a = tr_new(dc);
        ir_atomic_rmw(dc->f, IR_ATOMIC_XCHG, IR_I64, a, tr_ea_rmw(dc, o0), b,
                      tr_log2(o0->size) | IR_MO_MMU(dc->mmu));
    } else {
        a = tr_ld(dc, o0, NULL);
        tr_st(dc, o0, (IrTemp)-1, b);
    }
    tr_st(dc, o1, (IrTemp)-1, a);
}

static void op_cmovcc_GvEv(Dc *dc, CcCond cond)
{
    const X86Operand *o0 = &dc->d->op[0];
    IrTemp src = tr_ld(dc, &dc->d->op[1], NULL);
    IrTemp old = tr_reg_get(dc, o0->reg, o0->size);
    IrTemp r = tr_new(dc);
    tr_cmov(dc, cond, r, src, old);
    tr_reg_set(dc, o0->reg, o0->size, r);
}

static void op_setcc_Eb(Dc *dc, CcCond cond)
{
    IrTemp c = tr_cond(dc, cond);
    tr_st(dc, &dc->d->op[0], (IrTemp)-1, c);
}

/* CBW/CWDE/CDQE (rAX = sext(half of rAX)), CWD/CDQ/CQO (rDX = sign) */
static void op_cbw_cwd(Dc *dc, unsigned id)
{
    unsigned size = dc->d->opsize;
    IrTemp v;
    if (id == XI_CBW) {
        v = tr_sext(dc, tr_reg_get(dc, R_EAX, size / 2), size / 2);
        tr_reg_set(dc, R_EAX, size, v);
        return;
    }
    v = tr_sext(dc, tr_reg_get(dc, R_EAX, size), size);
    IrTemp s = tr_new(dc);
    ir_op2i(dc->f, IR_SAR, IR_I64, s, v, 63);
    tr_reg_set(dc, R_EDX, size, s);
}

/* CLC STC CMC: materialize, change CF, keep the rest */
static void op_carry(Dc *dc, unsigned id)
{
    IrTemp fl = tr_flags(dc);
    IrTemp r = tr_new(dc);
    static const IrOpcode opc[] = {IR_AND, IR_OR, IR_XOR};
    unsigned k = id == XI_CLC ? 0 : id == XI_STC ? 1 : 2;
    uint64_t imm = k == 0 ? ~(uint64_t)CC_C : CC_C;
    ir_op2i(dc->f, opc[k], IR_I64, r, fl, imm);
    IrTemp zero = tr_const(dc, 0);
    tr_set_cc(dc, CC_OP_EFLAGS, zero, r, zero);
}

bool tr_alu(Dc *dc)
{
    unsigned id = dc->d->id;
    switch (id) {
    case XI_ADD:
    case XI_OR:
    case XI_ADC:
    case XI_SBB:
    case XI_AND:
    case XI_SUB:
    case XI_XOR:
    case XI_CMP:
    case XI_TEST:
        op_alu_EvGv(dc, id);
        return true;
    case XI_INC:
    case XI_DEC:
    case XI_NEG:
    case XI_NOT:
        op_unary_Ev(dc, id);
        return true;
    case XI_MOV:
    case XI_MOVZX:
    case XI_MOVSX:
    case XI_MOVSXD:
        op_mov_GvEv(dc, id);
        return true;
    case XI_LEA:
        op_lea_GvM(dc);
        return true;
    case XI_XCHG:
        op_xchg_EvGv(dc);
        return true;
    default:
        break;
    }
    if (id >= XI_CMOVO && id <= XI_CMOVG) {
        op_cmovcc_GvEv(dc, (CcCond)(id - XI_CMOVO));
        return true;
    }
    if (id >= XI_SETO && id <= XI_SETG) {
        op_setcc_Eb(dc, (CcCond)(id - XI_SETO));
        return true;
    }
    return false;
}

bool tr_misc(Dc *dc)
{
    unsigned id = dc->d->id;
    switch (id) {
    case XI_NOP:
    case XI_NOP_HINT:
    case XI_PAUSE:
    case XI_ENDBR32:
    case XI_ENDBR64:
        return true;
    case XI_CBW:
    case XI_CWD:
        op_cbw_cwd(dc, id);
        return true;
    case XI_CLC:
    case XI_STC:
    case XI_CMC:
        op_carry(dc, id);
        return true;
    default:
        return false;
    }
}
