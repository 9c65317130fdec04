/*
 * Lazy flags in the translator (DESIGN 4 "Flags"): producers record a CcOp
 * and its operands (cpu/cc.h); consumers evaluate what they need inline when
 * the producing class is known at translation time (dc->cc_op), so a
 * `cmp; jcc` becomes one IR brcond on the compared values (host cmp + jcc),
 * SETcc a setcond and CMOVcc a movcond. Unknown (CC_OP_DYNAMIC) or rare
 * classes fall back to the pure helpers of cc_helper.c. A backward liveness
 * pass over the block's decoded instructions (tr_flags_liveness) gives each
 * instruction the flags live after it; a producer whose flags are all dead
 * skips its flag work. Flags are live at every block exit and before every
 * instruction that may raise, so the state at any fault stays exact.
 */
#include "cpu/translate_int.h"

/* ---- helpers (the fallback) ---- */

static uint64_t helper_cc_all(uint32_t op, uint64_t dst, uint64_t src,
                              uint64_t src2)
{
    return cc_compute_all((CcOp)op, dst, src, src2);
}

static uint64_t helper_cc_c(uint32_t op, uint64_t dst, uint64_t src,
                            uint64_t src2)
{
    return cc_compute_c((CcOp)op, dst, src, src2);
}

static uint64_t helper_cc_cond(uint32_t cond, uint32_t op, uint64_t dst,
                               uint64_t src, uint64_t src2)
{
    return cc_eval_cond((CcCond)cond, (CcOp)op, dst, src, src2);
}

#define CC_ARGS                                                                \
    {                                                                          \
        IR_I32, IR_I64, IR_I64, IR_I64                                         \
    }
static const IrHelper h_cc_all = {
    "cc_all", (void *)helper_cc_all, 4, IRH_RET_I64, CC_ARGS, IRH_PURE};
static const IrHelper h_cc_c = {
    "cc_c", (void *)helper_cc_c, 4, IRH_RET_I64, CC_ARGS, IRH_PURE};
static const IrHelper h_cc_cond = {"cc_cond",
                                   (void *)helper_cc_cond,
                                   5,
                                   IRH_RET_I64,
                                   {IR_I32, IR_I32, IR_I64, IR_I64, IR_I64},
                                   IRH_PURE};

static IrTemp fl_cc_call(Dc *dc, const IrHelper *h)
{
    IrTemp r = tr_new(dc);
    IrTemp args[] = {x86_g.cc_op, x86_g.cc_dst, x86_g.cc_src, x86_g.cc_src2};
    ir_call(dc->f, h, r, args);
    return r;
}

static IrTemp fl_cond_call(Dc *dc, CcCond c)
{
    IrTemp r = tr_new(dc);
    IrTemp args[] = {ir_const(dc->f, IR_I32, c), x86_g.cc_op, x86_g.cc_dst,
                     x86_g.cc_src, x86_g.cc_src2};
    ir_call(dc->f, &h_cc_cond, r, args);
    return r;
}

/* ---- producers ---- */

/* the classes whose flags depend on cc_src2 (cc_helper.c reads it nowhere
   else, so the other classes leave a stale value there) */
static bool fl_uses_src2(CcOp op)
{
    CcClass c = cc_op_class(op);
    return c == CC_CLASS_ADC || c == CC_CLASS_SBB || c == CC_CLASS_ADCX ||
           c == CC_CLASS_ADOX;
}

/*
 * Flag work of the current instruction is skipped when none of the flags it
 * writes is live after it: the old lazy state stays, and every flag it would
 * have changed is overwritten before anything reads it or can fault.
 */
static bool fl_dead(Dc *dc)
{
    if (!dc->d) {
        return false;
    }
    uint32_t w = x86_insn_info(dc->d->id)->flags_w & CC_ALL;
    return w != 0 && (w & dc->live_out) == 0;
}

void tr_set_cc(Dc *dc, CcOp op, IrTemp dst, IrTemp src, IrTemp src2)
{
    IrFunc *f = dc->f;
    if (fl_dead(dc)) {
        return;
    }
    ir_mov(f, IR_I64, x86_g.cc_dst, dst);
    ir_mov(f, IR_I64, x86_g.cc_src, src);
    if (fl_uses_src2(op)) {
        ir_mov(f, IR_I64, x86_g.cc_src2, src2);
    }
    ir_movi(f, IR_I32, x86_g.cc_op, op);
    dc->cc_op = op;
    dc->cc_note = false;
}

void tr_set_cc_sub(Dc *dc, CcOp op, IrTemp dst, IrTemp a, IrTemp b)
{
    if (fl_dead(dc)) {
        return;
    }
    tr_set_cc(dc, op, dst, b, 0);
    dc->cc_note = true;
    dc->cc_note_op = op;
    dc->cc_a = a;
    dc->cc_b = b;
}

bool tr_flags_live(const Dc *dc, uint32_t mask)
{
    return (dc->live_out & mask) != 0;
}

/* ---- inline conditions on a statically known class ---- */

/* one IR comparison: (a c b) */
typedef struct FlTest {
    IrCond c;
    IrTemp a, b;
} FlTest;

typedef struct FlCtx {
    Dc *dc;
    CcOp op;
    CcClass cls;
    unsigned size; /* bytes */
    uint64_t mask, sign;
} FlCtx;

enum { K_O, K_B, K_E, K_BE, K_S, K_P, K_L, K_LE }; /* CcCond >> 1 */

static FlTest fl_test(IrCond c, IrTemp a, IrTemp b)
{
    return (FlTest){c, a, b};
}

static IrTemp fl_op2(Dc *dc, IrOpcode opc, IrTemp a, IrTemp b)
{
    IrTemp t = tr_new(dc);
    ir_op2(dc->f, opc, IR_I64, t, a, b);
    return t;
}

static IrTemp fl_k(FlCtx *x, uint64_t v)
{
    return tr_const(x->dc, v);
}

static FlTest fl_bool(FlCtx *x, bool v)
{
    return fl_test(v ? IR_EQ : IR_NE, fl_k(x, 0), fl_k(x, 0));
}

/* (v & bit) != 0 */
static FlTest fl_bit(FlCtx *x, IrTemp v, uint64_t bit)
{
    return fl_test(IR_TSTNE, v, fl_k(x, bit));
}

static IrTemp fl_zx(FlCtx *x, IrTemp v)
{
    return tr_zext(x->dc, v, x->size);
}

static IrTemp fl_sx(FlCtx *x, IrTemp v)
{
    return tr_sext(x->dc, v, x->size);
}

/* ZF, SF, PF of cc_dst (the result) */
static FlTest fl_szp(FlCtx *x, unsigned k)
{
    IrTemp d = x86_g.cc_dst;
    if (k == K_E && x->size == 8) {
        return fl_test(IR_EQ, d, fl_k(x, 0));
    }
    if (k == K_E) {
        return fl_test(IR_TSTEQ, d, fl_k(x, x->mask));
    }
    if (k == K_S) {
        return fl_bit(x, d, x->sign);
    }
    IrTemp t = fl_op2(x->dc, IR_AND, d, fl_k(x, 0xff));
    ir_op1(x->dc->f, IR_CTPOP, IR_I64, t, t);
    return fl_test(IR_TSTEQ, t, fl_k(x, 1)); /* even parity */
}

/* SUB/CMP: minuend a and subtrahend b, zero-extended */
static void fl_sub_ab(FlCtx *x, IrTemp *a, IrTemp *b)
{
    Dc *dc = x->dc;
    if (dc->cc_note && dc->cc_note_op == x->op) {
        *a = dc->cc_a;
        *b = dc->cc_b;
        return;
    }
    *b = fl_zx(x, x86_g.cc_src);
    *a = fl_zx(x, fl_op2(dc, IR_ADD, x86_g.cc_dst, x86_g.cc_src));
}

static bool fl_sub(FlCtx *x, unsigned k, FlTest *t)
{
    IrTemp a, b;
    if (k == K_E || k == K_S || k == K_P) {
        *t = fl_szp(x, k);
        return true;
    }
    fl_sub_ab(x, &a, &b);
    switch (k) {
    case K_O: {
        IrTemp u = fl_op2(x->dc, IR_XOR, a, b);
        IrTemp v = fl_op2(x->dc, IR_XOR, a, x86_g.cc_dst);
        *t = fl_bit(x, fl_op2(x->dc, IR_AND, u, v), x->sign);
        return true;
    }
    case K_B:
        *t = fl_test(IR_LTU, a, b);
        return true;
    case K_BE:
        *t = fl_test(IR_LEU, a, b);
        return true;
    case K_L:
        *t = fl_test(IR_LT, fl_sx(x, a), fl_sx(x, b));
        return true;
    default: /* K_LE */
        *t = fl_test(IR_LE, fl_sx(x, a), fl_sx(x, b));
        return true;
    }
}

/* ADD: CF = r < b; OF = a and b agree in sign and r does not (a = r - b) */
static bool fl_add(FlCtx *x, unsigned k, FlTest *t)
{
    Dc *dc = x->dc;
    IrTemp r = x86_g.cc_dst, b = x86_g.cc_src;
    if (k == K_B) {
        *t = fl_test(IR_LTU, fl_zx(x, r), fl_zx(x, b));
        return true;
    }
    if (k == K_O) {
        IrTemp a = fl_op2(dc, IR_SUB, r, b);
        IrTemp u = fl_op2(dc, IR_XOR, r, a), v = fl_op2(dc, IR_XOR, r, b);
        *t = fl_bit(x, fl_op2(dc, IR_AND, u, v), x->sign);
        return true;
    }
    return false;
}

/* LOGIC, SAR, BMI: OF = 0, so L is S and LE a signed compare with 0 */
static bool fl_of0(FlCtx *x, unsigned k, FlTest *t)
{
    switch (k) {
    case K_O:
        *t = fl_bool(x, false);
        return true;
    case K_L:
        *t = fl_szp(x, K_S);
        return true;
    case K_LE:
        *t = fl_test(IR_LE, fl_sx(x, x86_g.cc_dst), fl_k(x, 0));
        return true;
    case K_B:
        if (x->cls == CC_CLASS_LOGIC) {
            *t = fl_bool(x, false);
        } else { /* SAR: bit 0 of src1; BMI: src1 = CF */
            *t = fl_bit(x, x86_g.cc_src, 1);
        }
        return true;
    case K_BE:
        if (x->cls == CC_CLASS_LOGIC) {
            *t = fl_szp(x, K_E);
            return true;
        }
        return false;
    default:
        return false;
    }
}

/* INC/DEC: CF kept in src1; OF when the result is the signed min/max */
static bool fl_incdec(FlCtx *x, unsigned k, FlTest *t)
{
    if (k == K_B) {
        *t = fl_bit(x, x86_g.cc_src, 1);
        return true;
    }
    if (k == K_O) {
        uint64_t v = x->cls == CC_CLASS_INC ? x->sign : x->sign - 1;
        *t = fl_test(IR_EQ, fl_zx(x, x86_g.cc_dst), fl_k(x, v));
        return true;
    }
    return false;
}

/* SHL: CF = top bit of src1, OF = CF ^ SF; SHR: CF = bit 0, OF = top bit */
static bool fl_shift(FlCtx *x, unsigned k, FlTest *t)
{
    IrTemp s = x86_g.cc_src;
    bool shl = x->cls == CC_CLASS_SHL;
    if (k == K_B) {
        *t = fl_bit(x, s, shl ? x->sign : 1);
        return true;
    }
    if (k == K_O) {
        IrTemp v = shl ? fl_op2(x->dc, IR_XOR, s, x86_g.cc_dst) : s;
        *t = fl_bit(x, v, x->sign);
        return true;
    }
    return false;
}

/* MUL/IMUL: CF = OF = the high half is not the extension of the low half */
static bool fl_mul(FlCtx *x, unsigned k, FlTest *t)
{
    if (k != K_B && k != K_O) {
        return false;
    }
    IrTemp ext = fl_k(x, 0);
    if (x->cls == CC_CLASS_IMUL) {
        ext = tr_new(x->dc);
        ir_op2i(x->dc->f, IR_SAR, IR_I64, ext, fl_sx(x, x86_g.cc_dst), 63);
        ext = fl_zx(x, ext);
    }
    *t = fl_test(IR_NE, fl_zx(x, x86_g.cc_src), ext);
    return true;
}

/* EFLAGS: src1 holds them; ROL/ROR keep all but CF/OF of src1 */
static bool fl_eflags(FlCtx *x, unsigned k, FlTest *t)
{
    static const uint32_t bit[] = {CC_O, CC_C, CC_Z, 0, CC_S, CC_P, 0, 0};
    IrTemp d = x86_g.cc_dst;
    if (x->cls == CC_CLASS_ROL && (k == K_B || k == K_O)) {
        IrTemp v = d;
        if (k == K_O) {
            IrTemp top = tr_new(x->dc);
            ir_op2i(x->dc->f, IR_SHR, IR_I64, top, d, x->size * 8 - 1);
            v = fl_op2(x->dc, IR_XOR, top, d);
        }
        *t = fl_bit(x, v, 1);
        return true;
    }
    if (x->cls == CC_CLASS_ROR && (k == K_B || k == K_O)) {
        IrTemp v = d;
        if (k == K_O) {
            IrTemp next = tr_new(x->dc);
            ir_op2i(x->dc->f, IR_SHL, IR_I64, next, d, 1);
            v = fl_op2(x->dc, IR_XOR, next, d);
        }
        *t = fl_bit(x, v, x->sign);
        return true;
    }
    if (!bit[k]) {
        return false;
    }
    *t = fl_bit(x, x86_g.cc_src, bit[k]);
    return true;
}

/* CLR (ZF = PF = 1) and POPCNT (ZF = result is 0): the rest is 0 */
static bool fl_unsized(FlCtx *x, unsigned k, FlTest *t)
{
    if (x->op == CC_OP_EFLAGS) {
        return fl_eflags(x, k, t);
    }
    if (x->op == CC_OP_CLR) {
        *t = fl_bool(x, k == K_E || k == K_BE || k == K_P || k == K_LE);
        return true;
    }
    if (x->op != CC_OP_POPCNT) {
        return false;
    }
    if (k == K_E || k == K_BE || k == K_LE) {
        *t = fl_test(IR_EQ, x86_g.cc_dst, fl_k(x, 0));
    } else {
        *t = fl_bool(x, false);
    }
    return true;
}

/* style: dispatch */
static bool fl_class(FlCtx *x, unsigned k, FlTest *t)
{
    switch (x->cls) {
    case CC_CLASS_NONE:
        return fl_unsized(x, k, t);
    case CC_CLASS_SUB:
        return fl_sub(x, k, t);
    case CC_CLASS_ADD:
        return fl_add(x, k, t);
    case CC_CLASS_LOGIC:
    case CC_CLASS_SAR:
    case CC_CLASS_BMI:
        return fl_of0(x, k, t);
    case CC_CLASS_INC:
    case CC_CLASS_DEC:
        return fl_incdec(x, k, t);
    case CC_CLASS_SHL:
    case CC_CLASS_SHR:
        return fl_shift(x, k, t);
    case CC_CLASS_MUL:
    case CC_CLASS_IMUL:
        return fl_mul(x, k, t);
    case CC_CLASS_ROL:
    case CC_CLASS_ROR:
        return fl_eflags(x, k, t);
    case CC_CLASS_ADC:
    case CC_CLASS_SBB:
    case CC_CLASS_ADCX:
    case CC_CLASS_ADOX:
    case CC_CLASS__COUNT:
        return false;
    }
    return false;
}

/* flags computed from the result (cc_dst) by cc_szp in cc_helper.c */
static bool fl_dst_szp(CcClass c)
{
    return c != CC_CLASS_NONE && c != CC_CLASS_ROL && c != CC_CLASS_ROR &&
           c != CC_CLASS_ADCX && c != CC_CLASS_ADOX;
}

static bool fl_simple(FlCtx *x, unsigned k, FlTest *t)
{
    if ((k == K_E || k == K_S || k == K_P) && fl_dst_szp(x->cls)) {
        *t = fl_szp(x, k);
        return true;
    }
    return fl_class(x, k, t);
}

static IrTemp fl_set(FlCtx *x, FlTest t)
{
    IrTemp r = tr_new(x->dc);
    ir_setcond(x->dc->f, IR_I64, t.c, r, t.a, t.b);
    return r;
}

/* BE = CF | ZF, L = SF ^ OF, LE = ZF | (SF ^ OF) from 0/1 values */
static bool fl_compose(FlCtx *x, unsigned k, FlTest *t)
{
    FlTest a, b, z;
    IrTemp v;
    if (k == K_BE) {
        if (!fl_simple(x, K_B, &a) || !fl_simple(x, K_E, &z)) {
            return false;
        }
        v = fl_op2(x->dc, IR_OR, fl_set(x, a), fl_set(x, z));
    } else {
        if (!fl_simple(x, K_S, &a) || !fl_simple(x, K_O, &b)) {
            return false;
        }
        v = fl_op2(x->dc, IR_XOR, fl_set(x, a), fl_set(x, b));
        if (k == K_LE) {
            if (!fl_simple(x, K_E, &z)) {
                return false;
            }
            v = fl_op2(x->dc, IR_OR, v, fl_set(x, z));
        }
    }
    *t = fl_test(IR_NE, v, fl_k(x, 0));
    return true;
}

/* condition c as one IR comparison; false: use the helper */
static bool fl_cond_test(Dc *dc, CcCond c, FlTest *t)
{
    if (dc->cc_op == CC_OP_DYNAMIC) {
        return false;
    }
    FlCtx x = {.dc = dc, .op = (CcOp)dc->cc_op};
    x.cls = cc_op_class(x.op);
    x.size = x.cls == CC_CLASS_NONE ? 8 : cc_op_bits(x.op) / 8;
    x.mask = x.size == 8 ? ~0ull : (1ull << (x.size * 8)) - 1;
    x.sign = 1ull << (x.size * 8 - 1);
    unsigned k = (unsigned)c >> 1;
    if (!fl_simple(&x, k, t)) {
        if (k != K_BE && k != K_L && k != K_LE) {
            return false;
        }
        if (!fl_compose(&x, k, t)) {
            return false;
        }
    }
    if (c & 1) {
        t->c = ir_cond_invert(t->c);
    }
    return true;
}

/* ---- consumers ---- */

IrTemp tr_flags(Dc *dc)
{
    return fl_cc_call(dc, &h_cc_all);
}

_Static_assert(CC_OP_DECB == CC_OP_INCB + 4 && CC_OP_DECQ == CC_OP_INCB + 7,
               "INC and DEC ops are adjacent");

/*
 * CF of a state known only at run time. A `dec rcx; jnz` loop enters its
 * block with the DEC state of the previous iteration: INC/DEC keep CF in
 * bit 0 of cc_src, so that case is tested inline and skips the call.
 */
static IrTemp fl_carry_dynamic(Dc *dc)
{
    IrFunc *f = dc->f;
    IrTemp k = ir_temp_new(f, IR_I32);
    IrTemp r = tr_new(dc);
    uint32_t done = ir_label_new(f);
    ir_op2i(f, IR_SUB, IR_I32, k, x86_g.cc_op, CC_OP_INCB);
    ir_op2i(f, IR_AND, IR_I64, r, x86_g.cc_src, 1);
    ir_brcond(f, IR_I32, IR_LTU, k, ir_const(f, IR_I32, 8), done);
    IrTemp args[] = {x86_g.cc_op, x86_g.cc_dst, x86_g.cc_src, x86_g.cc_src2};
    ir_call(f, &h_cc_c, r, args);
    ir_set_label(f, done);
    return r;
}

IrTemp tr_carry(Dc *dc)
{
    FlTest t;
    if (dc->cc_op == CC_OP_DYNAMIC) {
        return fl_carry_dynamic(dc);
    }
    if (!fl_cond_test(dc, CC_COND_B, &t)) {
        return fl_cc_call(dc, &h_cc_c);
    }
    IrTemp r = tr_new(dc);
    ir_setcond(dc->f, IR_I64, t.c, r, t.a, t.b);
    return r;
}

IrTemp tr_cond(Dc *dc, CcCond c)
{
    FlTest t;
    if (!fl_cond_test(dc, c, &t)) {
        return fl_cond_call(dc, c);
    }
    IrTemp r = tr_new(dc);
    ir_setcond(dc->f, IR_I64, t.c, r, t.a, t.b);
    return r;
}

void tr_jcc(Dc *dc, CcCond c, uint32_t label)
{
    FlTest t;
    if (!fl_cond_test(dc, c, &t)) {
        t = fl_test(IR_NE, fl_cond_call(dc, c), tr_const(dc, 0));
    }
    ir_brcond(dc->f, IR_I64, t.c, t.a, t.b, label);
}

void tr_cmov(Dc *dc, CcCond c, IrTemp d, IrTemp vt, IrTemp vf)
{
    FlTest t;
    if (!fl_cond_test(dc, c, &t)) {
        t = fl_test(IR_NE, fl_cond_call(dc, c), tr_const(dc, 0));
    }
    ir_movcond(dc->f, IR_I64, t.c, d, t.a, t.b, vt, vf);
}

/* ---- liveness ---- */

/* ids that never raise or leave the block in their register forms */
static bool fl_safe_id(unsigned id)
{
    if ((id >= XI_CMOVO && id <= XI_CMOVG) ||
        (id >= XI_SETO && id <= XI_SETG)) {
        return true;
    }
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
    case XI_INC:
    case XI_DEC:
    case XI_NOT:
    case XI_NEG:
    case XI_SHL:
    case XI_SAL:
    case XI_SHR:
    case XI_SAR:
    case XI_MOV:
    case XI_MOVZX:
    case XI_MOVSX:
    case XI_MOVSXD:
    case XI_LEA:
    case XI_XCHG:
    case XI_CBW:
    case XI_CWD:
    case XI_CLC:
    case XI_STC:
    case XI_CMC:
    case XI_NOP:
        return true;
    default:
        return false;
    }
}

/*
 * Can d raise or exit the block early? Anything not proven otherwise can:
 * memory operands (LEA computes an address only), non-GPR registers, LOCK,
 * ids outside the list above.
 */
bool tr_insn_may_raise(const DecodedInsn *d)
{
    if ((d->pfx & XP_LOCK) || d->feature != XFEAT_BASE || !fl_safe_id(d->id)) {
        return true;
    }
    for (unsigned i = 0; i < d->nops && i < 4; i++) {
        const X86Operand *o = &d->op[i];
        if (o->type == XOP_MEM && d->id != XI_LEA) {
            return true;
        }
        if (o->type == XOP_REG && o->cls != XRC_GPR && o->cls != XRC_GPR8HI) {
            return true;
        }
    }
    return false;
}

/*
 * Flags d is sure to overwrite with values independent of the old state.
 * Undefined flags count only for classes that compute them from their own
 * operands (LOGIC's AF = 0, MUL's SZAP); a count-conditional shift only
 * with a nonzero immediate count.
 */
static uint32_t fl_kill(const DecodedInsn *d)
{
    const X86InsnInfo *in = x86_insn_info(d->id);
    uint32_t w = in->flags_w & CC_ALL;
    if (in->attr & XA_FCOND) {
        bool sh = d->id == XI_SHL || d->id == XI_SAL || d->id == XI_SHR ||
                  d->id == XI_SAR;
        unsigned m = d->opsize == 8 ? 63 : 31;
        bool nz = d->nops >= 2 && d->op[1].type == XOP_IMM &&
                  ((uint64_t)d->op[1].val & m) != 0;
        return sh && nz && !(d->pfx & (XP_REP | XP_REPNE)) ? w : 0;
    }
    switch (d->id) {
    case XI_OR:
    case XI_AND:
    case XI_XOR:
    case XI_TEST:
        return w;
    default:
        return w & ~(in->flags_u & CC_ALL);
    }
}

void tr_flags_liveness(const DecodedInsn *insns, const bool *ok, unsigned n,
                       uint16_t *live)
{
    uint32_t l = CC_ALL; /* live at the block exit */
    for (unsigned i = n; i-- > 0;) {
        const DecodedInsn *d = &insns[i];
        if (!ok[i] || tr_insn_may_raise(d)) {
            live[i] = CC_ALL;
            l = CC_ALL;
            continue;
        }
        live[i] = (uint16_t)l;
        l = (l & ~fl_kill(d)) | (x86_insn_info(d->id)->flags_r & CC_ALL);
    }
}
