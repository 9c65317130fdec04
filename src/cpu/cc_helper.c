/*
 * The lazy-flags evaluator: rebuilds CF PF AF ZF SF OF from a CcOp and its
 * operands (see cc.h for what each class stores). Written from the SDM's
 * flag definitions (vol. 1 3.4.3, appendix A; vol. 2 "Flags Affected"):
 * CF = unsigned carry/borrow out of the top bit, AF = carry out of bit 3,
 * OF = signed overflow, SF = top bit of the result, ZF = result is zero,
 * PF = even parity of the low result byte. Flags the SDM leaves undefined
 * get a fixed, documented value (usually what a current Intel core gives).
 * Tested against the host CPU in tests/unit/cpu_cc/.
 */
#include "cpu/cc.h"

#include <stdio.h>

#include "util/common.h"

typedef struct CcArgs {
    uint64_t dst, src1, src2;
    uint64_t mask; /* low `bits` ones */
    uint64_t sign; /* top bit of the size */
} CcArgs;

static inline uint32_t cc_pf(uint64_t v)
{
    return __builtin_parity((unsigned)(v & 0xff)) ? 0 : CC_P;
}

/* ZF, SF and PF of a result */
static inline uint32_t cc_szp(const CcArgs *a, uint64_t r)
{
    uint32_t f = cc_pf(r);
    if ((r & a->mask) == 0) {
        f |= CC_Z;
    }
    if (r & a->sign) {
        f |= CC_S;
    }
    return f;
}

static inline uint32_t cc_bit(bool cond, uint32_t flag)
{
    return cond ? flag : 0;
}

/* carry out of a + b + cin, with a, b, r already masked */
static uint32_t cc_add_carry(uint64_t r, uint64_t b, uint64_t cin)
{
    return cin ? r <= b : r < b;
}

static uint32_t cc_add(const CcArgs *a, uint64_t cin)
{
    uint64_t r = a->dst & a->mask, b = a->src1 & a->mask;
    uint64_t x = (r - b - cin) & a->mask;
    uint32_t f = cc_szp(a, r);
    f |= cc_bit(cc_add_carry(r, b, cin), CC_C);
    f |= cc_bit((x ^ b ^ r) & 0x10, CC_A);
    f |= cc_bit(~(x ^ b) & (x ^ r) & a->sign, CC_O);
    return f;
}

/* borrow out of x - b - bin, x the minuend */
static uint32_t cc_sub_borrow(uint64_t x, uint64_t b, uint64_t bin)
{
    return bin ? x <= b : x < b;
}

static uint32_t cc_sub(const CcArgs *a, uint64_t bin)
{
    uint64_t r = a->dst & a->mask, b = a->src1 & a->mask;
    uint64_t x = (r + b + bin) & a->mask;
    uint32_t f = cc_szp(a, r);
    f |= cc_bit(cc_sub_borrow(x, b, bin), CC_C);
    f |= cc_bit((x ^ b ^ r) & 0x10, CC_A);
    f |= cc_bit((x ^ b) & (x ^ r) & a->sign, CC_O);
    return f;
}

static uint32_t cc_inc(const CcArgs *a)
{
    uint64_t r = a->dst & a->mask;
    uint32_t f = cc_szp(a, r) | cc_bit(a->src1 & 1, CC_C);
    f |= cc_bit((r & 0xf) == 0, CC_A);
    f |= cc_bit(r == a->sign, CC_O);
    return f;
}

static uint32_t cc_dec(const CcArgs *a)
{
    uint64_t r = a->dst & a->mask;
    uint32_t f = cc_szp(a, r) | cc_bit(a->src1 & 1, CC_C);
    f |= cc_bit((r & 0xf) == 0xf, CC_A);
    f |= cc_bit(r == a->sign - 1, CC_O);
    return f;
}

/* SHL: CF = last bit out = top bit of src1; OF (count 1) = SF ^ CF */
static uint32_t cc_shl(const CcArgs *a)
{
    uint32_t f = cc_szp(a, a->dst);
    bool cf = (a->src1 & a->sign) != 0;
    bool sf = (a->dst & a->sign) != 0;
    return f | cc_bit(cf, CC_C) | cc_bit(cf != sf, CC_O);
}

/* SHR: CF = bit 0 of src1; OF (count 1) = top bit of the operand */
static uint32_t cc_shr(const CcArgs *a)
{
    uint32_t f = cc_szp(a, a->dst) | cc_bit(a->src1 & 1, CC_C);
    return f | cc_bit(a->src1 & a->sign, CC_O);
}

/* SAR: CF = bit 0 of src1; OF = 0 */
static uint32_t cc_sar(const CcArgs *a)
{
    return cc_szp(a, a->dst) | cc_bit(a->src1 & 1, CC_C);
}

/* ROL: CF = bit 0 of the result, OF = top bit ^ CF; others kept */
static uint32_t cc_rol(const CcArgs *a)
{
    uint32_t f = (uint32_t)a->src1 & (CC_ALL & ~(CC_C | CC_O));
    bool cf = a->dst & 1;
    bool top = (a->dst & a->sign) != 0;
    return f | cc_bit(cf, CC_C) | cc_bit(cf != top, CC_O);
}

/* ROR: CF = top bit of the result, OF = top ^ next bit; others kept */
static uint32_t cc_ror(const CcArgs *a)
{
    uint32_t f = (uint32_t)a->src1 & (CC_ALL & ~(CC_C | CC_O));
    bool top = (a->dst & a->sign) != 0;
    bool next = (a->dst & (a->sign >> 1)) != 0;
    return f | cc_bit(top, CC_C) | cc_bit(top != next, CC_O);
}

/*
 * MUL: CF = OF = high half nonzero. IMUL: CF = OF = the high half is not
 * the sign extension of the low half. SF/ZF/PF are undefined: taken from
 * the low half; AF undefined: 0.
 */
static uint32_t cc_mul(const CcArgs *a, bool is_signed)
{
    uint64_t hi = a->src1 & a->mask;
    bool ovf;
    if (is_signed) {
        ovf = hi != ((a->dst & a->sign) ? a->mask : 0);
    } else {
        ovf = hi != 0;
    }
    return cc_szp(a, a->dst) | cc_bit(ovf, CC_C | CC_O);
}

/* ADCX: CF = carry of dst - src1 - cin + src1 + cin; the rest kept */
static uint32_t cc_adcx(const CcArgs *a)
{
    uint64_t cin = a->src2 & CC_C ? 1 : 0;
    uint64_t r = a->dst & a->mask, b = a->src1 & a->mask;
    uint32_t f = (uint32_t)a->src2 & CC_ALL & ~CC_C;
    return f | cc_bit(cc_add_carry(r, b, cin), CC_C);
}

/* ADOX: OF = unsigned carry, with OF as the carry in; the rest kept */
static uint32_t cc_adox(const CcArgs *a)
{
    uint64_t cin = a->src2 & CC_O ? 1 : 0;
    uint64_t r = a->dst & a->mask, b = a->src1 & a->mask;
    uint32_t f = (uint32_t)a->src2 & CC_ALL & ~CC_O;
    return f | cc_bit(cc_add_carry(r, b, cin), CC_O);
}

static uint32_t cc_unsized(CcOp op, uint64_t dst, uint64_t src1)
{
    switch (op) {
    case CC_OP_EFLAGS:
        return (uint32_t)src1 & CC_ALL;
    case CC_OP_CLR:
        return CC_Z | CC_P;
    case CC_OP_POPCNT:
        return dst == 0 ? CC_Z : 0;
    default:
        /* CC_OP_DYNAMIC is a translation-time value only */
        ASSERT(!"cc: unsized op");
        return 0;
    }
}

static inline CcArgs cc_args(CcOp op, uint64_t dst, uint64_t src1,
                             uint64_t src2)
{
    unsigned bits = cc_op_bits(op);
    CcArgs a = {.dst = dst, .src1 = src1, .src2 = src2};
    a.mask = MASK(bits);
    a.sign = BIT(bits - 1);
    return a;
}

/* style: dispatch */
uint32_t cc_compute_all(CcOp op, uint64_t dst, uint64_t src1, uint64_t src2)
{
    ASSERT((unsigned)op < CC_OP__COUNT);
    CcArgs a = cc_args(op, dst, src1, src2);
    switch (cc_op_class(op)) {
    case CC_CLASS_NONE:
        return cc_unsized(op, dst, src1);
    case CC_CLASS_ADD:
        return cc_add(&a, 0);
    case CC_CLASS_ADC:
        return cc_add(&a, src2 & 1);
    case CC_CLASS_SUB:
        return cc_sub(&a, 0);
    case CC_CLASS_SBB:
        return cc_sub(&a, src2 & 1);
    case CC_CLASS_LOGIC:
        return cc_szp(&a, dst);
    case CC_CLASS_INC:
        return cc_inc(&a);
    case CC_CLASS_DEC:
        return cc_dec(&a);
    case CC_CLASS_SHL:
        return cc_shl(&a);
    case CC_CLASS_SHR:
        return cc_shr(&a);
    case CC_CLASS_SAR:
        return cc_sar(&a);
    case CC_CLASS_ROL:
        return cc_rol(&a);
    case CC_CLASS_ROR:
        return cc_ror(&a);
    case CC_CLASS_MUL:
        return cc_mul(&a, false);
    case CC_CLASS_IMUL:
        return cc_mul(&a, true);
    case CC_CLASS_BMI:
        return cc_szp(&a, dst) | cc_bit(src1 & 1, CC_C);
    case CC_CLASS_ADCX:
        return cc_adcx(&a);
    case CC_CLASS_ADOX:
        return cc_adox(&a);
    case CC_CLASS__COUNT:
        break;
    }
    ASSERT(!"cc: bad class");
    return 0;
}

uint32_t cc_compute_c(CcOp op, uint64_t dst, uint64_t src1, uint64_t src2)
{
    CcArgs a;
    switch (cc_op_class(op)) {
    case CC_CLASS_ADD:
        a = cc_args(op, dst, src1, src2);
        return (dst & a.mask) < (src1 & a.mask);
    case CC_CLASS_SUB:
        a = cc_args(op, dst, src1, src2);
        return ((dst + src1) & a.mask) < (src1 & a.mask);
    case CC_CLASS_LOGIC:
        return 0;
    case CC_CLASS_INC:
    case CC_CLASS_DEC:
    case CC_CLASS_BMI:
        return src1 & 1;
    default:
        return cc_compute_all(op, dst, src1, src2) & CC_C;
    }
}

bool cc_test_cond(CcCond cond, uint32_t f)
{
    bool r;
    bool sf = f & CC_S, of = f & CC_O;
    switch ((unsigned)cond >> 1) {
    case 0:
        r = of;
        break;
    case 1:
        r = f & CC_C;
        break;
    case 2:
        r = f & CC_Z;
        break;
    case 3:
        r = f & (CC_C | CC_Z);
        break;
    case 4:
        r = sf;
        break;
    case 5:
        r = f & CC_P;
        break;
    case 6:
        r = sf != of;
        break;
    default:
        r = (f & CC_Z) || sf != of;
        break;
    }
    return r ^ ((unsigned)cond & 1);
}

/* SUB/CMP: the unsigned and signed orders come straight from the operands */
static bool cc_eval_sub(CcCond cond, CcOp op, uint64_t dst, uint64_t src1)
{
    unsigned bits = cc_op_bits(op);
    uint64_t m = MASK(bits);
    uint64_t b = src1 & m, x = (dst + src1) & m;
    int64_t sx = (int64_t)(x << (64 - bits)), sb = (int64_t)(b << (64 - bits));
    bool r;
    switch ((unsigned)cond >> 1) {
    case 1:
        r = x < b;
        break;
    case 2:
        r = x == b;
        break;
    case 3:
        r = x <= b;
        break;
    case 6:
        r = sx < sb;
        break;
    case 7:
        r = sx <= sb;
        break;
    default:
        return cc_test_cond(cond, cc_compute_all(op, dst, src1, 0));
    }
    return r ^ ((unsigned)cond & 1);
}

bool cc_eval_cond(CcCond cond, CcOp op, uint64_t dst, uint64_t src1,
                  uint64_t src2)
{
    if (cc_op_class(op) == CC_CLASS_SUB) {
        return cc_eval_sub(cond, op, dst, src1);
    }
    return cc_test_cond(cond, cc_compute_all(op, dst, src1, src2));
}

const char *cc_op_name(CcOp op)
{
    static const char *const unsized[] = {"EFLAGS", "CLR", "POPCNT", "DYNAMIC"};
    static const char *const classes[] = {
#define X(name) #name,
        CC_SIZED_CLASSES(X)
#undef X
    };
    static const char sizes[] = "BWLQ";
    static __thread char buf[16];
    if ((unsigned)op >= CC_OP__COUNT) {
        return "?";
    }
    if (cc_op_class(op) == CC_CLASS_NONE) {
        return unsized[op];
    }
    snprintf(buf, sizeof(buf), "%s%c", classes[cc_op_class(op) - 1],
             sizes[op & 3]);
    return buf;
}
