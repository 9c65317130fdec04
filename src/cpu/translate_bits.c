/*
 * x86-64 front end: BT/BTS/BTR/BTC (register and memory bit strings, LOCK
 * forms through the IR atomics), BSF/BSR, POPCNT/TZCNT/LZCNT, BSWAP,
 * MOVBE, BMI1 (ANDN BEXTR BLSI BLSMSK BLSR), BMI2 (BZHI MULX PDEP PEXT
 * RORX SARX SHLX SHRX), ADCX/ADOX and CRC32 (SDM vol. 2). Counts, byte
 * swaps and bit fields are IR ops; BEXTR, PDEP/PEXT and CRC32 call
 * helper_arith.c. BT* keep ZF, so they rewrite CF in the flags image.
 */
#include "cpu/helper_arith.h"
#include "cpu/translate_int.h"

static const IrHelper h_bextr = {
    "bextr",     (void *)helper_bextr,     3,
    IRH_RET_I64, {IR_I64, IR_I64, IR_I32}, IRH_PURE};
static const IrHelper h_pdep = {"pdep",      (void *)helper_pdep, 2,
                                IRH_RET_I64, {IR_I64, IR_I64},    IRH_PURE};
static const IrHelper h_pext = {"pext",      (void *)helper_pext, 2,
                                IRH_RET_I64, {IR_I64, IR_I64},    IRH_PURE};
static const IrHelper h_crc32 = {
    "crc32",     (void *)helper_crc32,     3,
    IRH_RET_I64, {IR_I64, IR_I64, IR_I32}, IRH_PURE};

static IrTemp bi_op2(Dc *dc, IrOpcode opc, IrTemp a, IrTemp b)
{
    IrTemp r = tr_new(dc);
    ir_op2(dc->f, opc, IR_I64, r, a, b);
    return r;
}

static IrTemp bi_op2i(Dc *dc, IrOpcode opc, IrTemp a, uint64_t imm)
{
    IrTemp r = tr_new(dc);
    ir_op2i(dc->f, opc, IR_I64, r, a, imm);
    return r;
}

static IrTemp bi_op1(Dc *dc, IrOpcode opc, IrTemp a)
{
    IrTemp r = tr_new(dc);
    ir_op1(dc->f, opc, IR_I64, r, a);
    return r;
}

/* the flags image with CF replaced by cf (0/1): BT* keep ZF */
static void bi_set_cf(Dc *dc, IrTemp cf)
{
    IrTemp fl = bi_op2i(dc, IR_AND, tr_flags(dc), ~(uint64_t)CC_C);
    IrTemp zero = tr_const(dc, 0);
    tr_set_cc(dc, CC_OP_EFLAGS, zero, bi_op2(dc, IR_OR, fl, cf), zero);
}

/* memory BT* with a register offset: EA + (sext(offset) >> 3) scaled */
static IrTemp bi_bt_addr(Dc *dc, const X86Operand *o0, IrTemp off)
{
    unsigned size = o0->size, lg = tr_log2(size);
    IrTemp so = tr_sext(dc, off, size);
    IrTemp words = bi_op2i(dc, IR_SAR, so, lg + 3);
    IrTemp ea = tr_ea(dc, o0), disp = bi_op2i(dc, IR_SHL, words, lg);
    IrTemp a = bi_op2(dc, IR_ADD, ea, disp);
    if (dc->d->addrsize == 4) {
        a = bi_op1(dc, IR_EXT32U, a);
    }
    tr_seg_derived(dc, a, ea, disp);
    return a;
}

static IrTemp bi_bt_modify(Dc *dc, unsigned id, IrTemp v, IrTemp mask)
{
    switch (id) {
    case XI_BTS:
        return bi_op2(dc, IR_OR, v, mask);
    case XI_BTR:
        return bi_op2(dc, IR_ANDC, v, mask);
    default:
        return bi_op2(dc, IR_XOR, v, mask);
    }
}

/* BT BTS BTR BTC r/m, r/imm8 (locked: one host atomic) */
static void op_bt(Dc *dc, unsigned id, bool locked)
{
    const X86Operand *o0 = &dc->d->op[0];
    const X86Operand *o1 = &dc->d->op[1];
    unsigned size = o0->size, bits = size * 8;
    IrTemp off = tr_ld(dc, o1, NULL);
    IrTemp bit = bi_op2i(dc, IR_AND, off, bits - 1);
    IrTemp addr = (IrTemp)-1;
    if (o0->type == XOP_MEM) {
        addr = o1->type == XOP_IMM ? tr_ea(dc, o0) : bi_bt_addr(dc, o0, off);
    }
    IrTemp mask = bi_op2(dc, IR_SHL, tr_const(dc, 1), bit);
    IrTemp v;
    if (locked) {
        static const IrOpcode aop[] = {IR_ATOMIC_OR, IR_ATOMIC_AND,
                                       IR_ATOMIC_XOR};
        unsigned k = id == XI_BTS ? 0 : id == XI_BTR ? 1 : 2;
        IrTemp arg = k == 1 ? bi_op1(dc, IR_NOT, mask) : mask;
        v = tr_new(dc);
        tr_seg_check(dc, addr, size, true);
        ir_atomic_rmw(dc->f, aop[k], IR_I64, v, addr, arg,
                      tr_log2(size) | IR_MO_MMU(dc->mmu));
    } else {
        v = o0->type == XOP_MEM ? tr_mem_ld(dc, addr, size)
                                : tr_ld(dc, o0, NULL);
        if (id != XI_BT) {
            tr_st(dc, o0, addr, bi_bt_modify(dc, id, v, mask));
        }
    }
    IrTemp cf = bi_op2i(dc, IR_AND, bi_op2(dc, IR_SHR, v, bit), 1);
    bi_set_cf(dc, cf);
}

/* LOCK BTS/BTR/BTC with a memory destination; false: not one of them */
bool tr_bits_locked(Dc *dc)
{
    unsigned id = dc->d->id;
    if (dc->d->op[0].type != XOP_MEM ||
        (id != XI_BTS && id != XI_BTR && id != XI_BTC)) {
        return false;
    }
    op_bt(dc, id, true);
    return true;
}

/* write a GPR destination unless cond (I64 0/1) is set */
static void bi_reg_set_unless(Dc *dc, unsigned reg, unsigned size, IrTemp v,
                              IrTemp cond)
{
    IrTemp g = x86_g.regs[reg & 15];
    IrTemp old = tr_new(dc);
    ir_mov(dc->f, IR_I64, old, g);
    tr_reg_set(dc, reg, size, v);
    ir_movcond(dc->f, IR_I64, IR_NE, g, cond, tr_const(dc, 0), old, g);
}

/* BSF BSR: ZF = (src == 0), destination unchanged then */
static void op_bsf_bsr(Dc *dc, unsigned id)
{
    const X86Operand *o0 = &dc->d->op[0];
    unsigned size = o0->size;
    IrTemp src = tr_ld(dc, &dc->d->op[1], NULL);
    IrTemp r;
    if (id == XI_BSF) {
        r = bi_op1(dc, IR_CTZ, src);
    } else {
        r = bi_op2(dc, IR_SUB, tr_const(dc, 63), bi_op1(dc, IR_CLZ, src));
    }
    IrTemp z = tr_new(dc);
    ir_setcond(dc->f, IR_I64, IR_EQ, z, src, tr_const(dc, 0));
    bi_reg_set_unless(dc, o0->reg, size, r, z);
    IrTemp zero = tr_const(dc, 0);
    tr_set_cc(dc, CC_OP_POPCNT, src, zero, zero);
}

static void bi_set_bmi(Dc *dc, unsigned size, IrTemp r, IrTemp cf)
{
    tr_set_cc(dc, cc_op_make(CC_CLASS_BMI, tr_log2(size)), r, cf,
              tr_const(dc, 0));
}

/* POPCNT TZCNT LZCNT */
static void op_count(Dc *dc, unsigned id)
{
    const X86Operand *o0 = &dc->d->op[0];
    unsigned size = o0->size, bits = size * 8;
    IrTemp src = tr_ld(dc, &dc->d->op[1], NULL);
    IrTemp r, zero = tr_const(dc, 0);
    if (id == XI_POPCNT) {
        r = bi_op1(dc, IR_CTPOP, src);
        tr_reg_set(dc, o0->reg, size, r);
        tr_set_cc(dc, CC_OP_POPCNT, r, zero, zero);
        return;
    }
    if (id == XI_TZCNT) {
        IrTemp s = size == 8 ? src : bi_op2i(dc, IR_OR, src, 1ull << bits);
        r = bi_op1(dc, IR_CTZ, s);
    } else {
        r = bi_op2i(dc, IR_SUB, bi_op1(dc, IR_CLZ, src), 64 - bits);
    }
    IrTemp cf = tr_new(dc);
    ir_setcond(dc->f, IR_I64, IR_EQ, cf, src, zero);
    tr_reg_set(dc, o0->reg, size, r);
    bi_set_bmi(dc, size, r, cf);
}

static IrTemp bi_bswap(Dc *dc, IrTemp v, unsigned size)
{
    IrOpcode opc = size == 8 ? IR_BSWAP64 : size == 4 ? IR_BSWAP32 : IR_BSWAP16;
    return bi_op1(dc, opc, v);
}

/* BSWAP r32/r64; MOVBE r, m / m, r */
static void op_bswap_movbe(Dc *dc, unsigned id)
{
    const X86Operand *o0 = &dc->d->op[0];
    const X86Operand *src = id == XI_BSWAP ? o0 : &dc->d->op[1];
    IrTemp v = tr_ld(dc, src, NULL);
    tr_st(dc, o0, (IrTemp)-1, bi_bswap(dc, v, o0->size));
}

/* BLSR BLSMSK BLSI By, Ey */
static void op_bls(Dc *dc, unsigned id)
{
    const X86Operand *o0 = &dc->d->op[0];
    unsigned size = o0->size;
    IrTemp src = tr_ld(dc, &dc->d->op[1], NULL);
    IrTemp r, cf = tr_new(dc), zero = tr_const(dc, 0);
    if (id == XI_BLSI) {
        r = bi_op2(dc, IR_AND, src, bi_op1(dc, IR_NEG, src));
        ir_setcond(dc->f, IR_I64, IR_NE, cf, src, zero);
    } else {
        IrTemp m1 = bi_op2i(dc, IR_SUB, src, 1);
        r = bi_op2(dc, id == XI_BLSR ? IR_AND : IR_XOR, src, m1);
        ir_setcond(dc->f, IR_I64, IR_EQ, cf, src, zero);
    }
    r = tr_zext(dc, r, size);
    tr_reg_set(dc, o0->reg, size, r);
    bi_set_bmi(dc, size, r, cf);
}

/* ANDN Gy, By, Ey; BEXTR/BZHI Gy, Ey, By */
static void op_bmi_logic(Dc *dc, unsigned id)
{
    const DecodedInsn *d = dc->d;
    unsigned size = d->op[0].size, bits = size * 8;
    IrTemp a = tr_ld(dc, &d->op[1], NULL), b = tr_ld(dc, &d->op[2], NULL);
    IrTemp r, cf = tr_const(dc, 0);
    if (id == XI_ANDN) {
        r = bi_op2(dc, IR_ANDC, b, a);
    } else if (id == XI_BEXTR) {
        r = tr_new(dc);
        IrTemp args[] = {a, b, ir_const(dc->f, IR_I32, bits)};
        ir_call(dc->f, &h_bextr, r, args);
    } else { /* BZHI: n = b[7:0]; CF = n >= size */
        IrTemp n = bi_op2i(dc, IR_AND, b, 0xff);
        IrTemp m =
            bi_op2i(dc, IR_SUB, bi_op2(dc, IR_SHL, tr_const(dc, 1), n), 1);
        cf = tr_new(dc);
        ir_setcond(dc->f, IR_I64, IR_GEU, cf, n, tr_const(dc, bits));
        ir_movcond(dc->f, IR_I64, IR_NE, m, cf, tr_const(dc, 0),
                   tr_const(dc, ~0ull), m);
        r = tr_zext(dc, bi_op2(dc, IR_AND, a, m), size);
    }
    tr_reg_set(dc, d->op[0].reg, size, r);
    bi_set_bmi(dc, size, r, cf);
}

/* PDEP PEXT Gy, By, Ey; MULX Gy(hi), By(lo), Ey; no flags */
static void op_bmi2_3(Dc *dc, unsigned id)
{
    const DecodedInsn *d = dc->d;
    unsigned size = d->op[0].size;
    IrTemp b = tr_ld(dc, &d->op[2], NULL);
    if (id == XI_MULX) {
        IrTemp lo = tr_new(dc), hi = tr_new(dc);
        IrTemp a = tr_reg_get(dc, R_EDX, size);
        if (size == 8) {
            ir_mul2(dc->f, IR_MULU2, IR_I64, lo, hi, a, b);
        } else {
            IrTemp p = bi_op2(dc, IR_MUL, a, b);
            lo = tr_zext(dc, p, 4);
            hi = bi_op2i(dc, IR_SHR, p, 32);
        }
        tr_reg_set(dc, d->op[1].reg, size, lo);
        tr_reg_set(dc, d->op[0].reg, size, hi);
        return;
    }
    IrTemp a = tr_ld(dc, &d->op[1], NULL), r = tr_new(dc);
    IrTemp args[] = {a, b};
    ir_call(dc->f, id == XI_PDEP ? &h_pdep : &h_pext, r, args);
    tr_reg_set(dc, d->op[0].reg, size, r);
}

/* SARX SHLX SHRX Gy, Ey, By; RORX Gy, Ey, Ib; no flags */
static void op_bmi2_shift(Dc *dc, unsigned id)
{
    const DecodedInsn *d = dc->d;
    unsigned size = d->op[0].size, bits = size * 8;
    IrTemp v = tr_ld(dc, &d->op[1], NULL);
    IrTemp c = bi_op2i(dc, IR_AND, tr_ld(dc, &d->op[2], NULL), bits - 1);
    IrTemp r;
    switch (id) {
    case XI_SARX:
        r = bi_op2(dc, IR_SAR, tr_sext(dc, v, size), c);
        break;
    case XI_SHLX:
        r = bi_op2(dc, IR_SHL, v, c);
        break;
    case XI_SHRX:
        r = bi_op2(dc, IR_SHR, v, c);
        break;
    default: /* RORX: rotate the doubled 32-bit value */
        if (size == 4) {
            v = bi_op2(dc, IR_OR, v, bi_op2i(dc, IR_SHL, v, 32));
        }
        r = bi_op2(dc, IR_ROTR, v, c);
        break;
    }
    tr_reg_set(dc, d->op[0].reg, size, tr_zext(dc, r, size));
}

/* ADCX (CF) / ADOX (OF) Gy, Ey: only that flag changes */
static void op_adx(Dc *dc, unsigned id)
{
    const DecodedInsn *d = dc->d;
    unsigned size = d->op[0].size;
    IrTemp a = tr_reg_get(dc, d->op[0].reg, size);
    IrTemp b = tr_ld(dc, &d->op[1], NULL);
    IrTemp fl = tr_flags(dc);
    unsigned pos = id == XI_ADCX ? 0 : 11;
    IrTemp cin = bi_op2i(dc, IR_AND, bi_op2i(dc, IR_SHR, fl, pos), 1);
    IrTemp r = bi_op2(dc, IR_ADD, bi_op2(dc, IR_ADD, a, b), cin);
    r = tr_zext(dc, r, size);
    tr_reg_set(dc, d->op[0].reg, size, r);
    CcClass c = id == XI_ADCX ? CC_CLASS_ADCX : CC_CLASS_ADOX;
    tr_set_cc(dc, cc_op_make(c, tr_log2(size)), r, b, fl);
}

/* CRC32 Gy, Eb/Ev: CRC-32C accumulated into the low 32 bits */
static void op_crc32(Dc *dc)
{
    const DecodedInsn *d = dc->d;
    IrTemp crc = tr_reg_get(dc, d->op[0].reg, 4);
    IrTemp v = tr_ld(dc, &d->op[1], NULL), r = tr_new(dc);
    IrTemp args[] = {crc, v, ir_const(dc->f, IR_I32, d->op[1].size)};
    ir_call(dc->f, &h_crc32, r, args);
    tr_reg_set(dc, d->op[0].reg, d->op[0].size, r);
}

static bool tr_bits_bmi(Dc *dc, unsigned id)
{
    switch (id) {
    case XI_ANDN:
    case XI_BEXTR:
    case XI_BZHI:
        op_bmi_logic(dc, id);
        return true;
    case XI_BLSR:
    case XI_BLSMSK:
    case XI_BLSI:
        op_bls(dc, id);
        return true;
    case XI_PDEP:
    case XI_PEXT:
    case XI_MULX:
        op_bmi2_3(dc, id);
        return true;
    case XI_SARX:
    case XI_SHLX:
    case XI_SHRX:
    case XI_RORX:
        op_bmi2_shift(dc, id);
        return true;
    case XI_ADCX:
    case XI_ADOX:
        op_adx(dc, id);
        return true;
    case XI_CRC32:
        op_crc32(dc);
        return true;
    default:
        return false;
    }
}

bool tr_bits(Dc *dc)
{
    unsigned id = dc->d->id;
    switch (id) {
    case XI_BT:
    case XI_BTS:
    case XI_BTR:
    case XI_BTC:
        op_bt(dc, id, false);
        return true;
    case XI_BSF:
    case XI_BSR:
        op_bsf_bsr(dc, id);
        return true;
    case XI_POPCNT:
    case XI_TZCNT:
    case XI_LZCNT:
        op_count(dc, id);
        return true;
    case XI_BSWAP:
    case XI_MOVBE:
        op_bswap_movbe(dc, id);
        return true;
    default:
        return tr_bits_bmi(dc, id);
    }
}
