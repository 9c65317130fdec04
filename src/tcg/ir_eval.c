/*
 * src/tcg/ir_eval.c: the pure meaning of every ALU op.
 *
 * ir_eval() is the one definition of what an arithmetic op computes: the
 * interpreter executes through it and the optimizer folds constants with it,
 * so the two can never disagree. Values are uint64_t; I32 results are
 * truncated to 32 bits (temps of type I32 are held zero-extended).
 */
#include "tcg/ir.h"
#include "util/common.h"

static const char *const ir_cond_names[IR_COND__COUNT] = {
    [IR_EQ] = "eq",   [IR_NE] = "ne",       [IR_LT] = "lt",
    [IR_GE] = "ge",   [IR_LE] = "le",       [IR_GT] = "gt",
    [IR_LTU] = "ltu", [IR_GEU] = "geu",     [IR_LEU] = "leu",
    [IR_GTU] = "gtu", [IR_TSTEQ] = "tsteq", [IR_TSTNE] = "tstne",
};

const char *ir_cond_name(IrCond c)
{
    return c < IR_COND__COUNT ? ir_cond_names[c] : "?";
}

static int64_t ir_sext(IrType t, uint64_t v)
{
    return t == IR_I32 ? (int64_t)(int32_t)v : (int64_t)v;
}

static uint64_t ir_trunc(IrType t, uint64_t v)
{
    return t == IR_I32 ? (uint32_t)v : v;
}

bool ir_cond_eval(IrCond c, IrType t, uint64_t a, uint64_t b)
{
    a = ir_trunc(t, a);
    b = ir_trunc(t, b);
    switch (c) {
    case IR_EQ:
        return a == b;
    case IR_NE:
        return a != b;
    case IR_LT:
        return ir_sext(t, a) < ir_sext(t, b);
    case IR_GE:
        return ir_sext(t, a) >= ir_sext(t, b);
    case IR_LE:
        return ir_sext(t, a) <= ir_sext(t, b);
    case IR_GT:
        return ir_sext(t, a) > ir_sext(t, b);
    case IR_LTU:
        return a < b;
    case IR_GEU:
        return a >= b;
    case IR_LEU:
        return a <= b;
    case IR_GTU:
        return a > b;
    case IR_TSTEQ:
        return (a & b) == 0;
    case IR_TSTNE:
        return (a & b) != 0;
    case IR_COND__COUNT:
        break;
    }
    return false;
}

static uint64_t ir_rotl(IrType t, uint64_t a, unsigned n)
{
    unsigned w = t == IR_I32 ? 32 : 64;
    n &= w - 1;
    a = ir_trunc(t, a);
    return n ? ir_trunc(t, (a << n) | (a >> (w - n))) : a;
}

static uint64_t ir_bswap16(uint64_t a)
{
    return ((a & 0xff) << 8) | ((a >> 8) & 0xff);
}

static uint64_t ir_clz(IrType t, uint64_t a)
{
    a = ir_trunc(t, a);
    if (!a) {
        return t == IR_I32 ? 32 : 64;
    }
    return t == IR_I32 ? (uint64_t)__builtin_clz((uint32_t)a)
                       : (uint64_t)__builtin_clzll(a);
}

static uint64_t ir_ctz(IrType t, uint64_t a)
{
    a = ir_trunc(t, a);
    if (!a) {
        return t == IR_I32 ? 32 : 64;
    }
    return (uint64_t)__builtin_ctzll(a);
}

static void ir_eval_mul2(IrOpcode opc, IrType t, uint64_t a, uint64_t b,
                         uint64_t *out)
{
    if (t == IR_I32) {
        uint64_t p = opc == IR_MULU2 || opc == IR_MULUH
                         ? (uint64_t)(uint32_t)a * (uint32_t)b
                         : (uint64_t)((int64_t)(int32_t)a * (int32_t)b);
        out[0] = (uint32_t)p;
        out[1] = (uint32_t)(p >> 32);
        return;
    }
    if (opc == IR_MULU2 || opc == IR_MULUH) {
        unsigned __int128 p = (unsigned __int128)a * b;
        out[0] = (uint64_t)p;
        out[1] = (uint64_t)(p >> 64);
    } else {
        __int128 p = (__int128)(int64_t)a * (int64_t)b;
        out[0] = (uint64_t)p;
        out[1] = (uint64_t)((unsigned __int128)p >> 64);
    }
}

static uint64_t ir_field_mask(unsigned len)
{
    return len >= 64 ? ~0ull : (1ull << len) - 1;
}

static uint64_t ir_eval_field(IrOpcode opc, IrType t, const uint64_t *in,
                              const uint64_t *con)
{
    unsigned pos = (unsigned)con[0], len = (unsigned)con[1];
    uint64_t m = ir_field_mask(len);
    switch (opc) {
    case IR_DEPOSIT:
        return ir_trunc(t, (in[0] & ~(m << pos)) | ((in[1] & m) << pos));
    case IR_EXTRACT:
        return (in[0] >> pos) & m;
    default: /* IR_SEXTRACT; only the three field ops come here */
        break;
    }
    uint64_t v = (in[0] >> pos) & m;
    if (len < 64 && (v >> (len - 1)) & 1) {
        v |= ~m;
    }
    return ir_trunc(t, v);
}

/* shifts and rotates: count masked to the width */
static uint64_t ir_eval_shift(IrOpcode opc, IrType t, uint64_t a, uint64_t b)
{
    unsigned w = t == IR_I32 ? 32 : 64;
    unsigned n = (unsigned)b & (w - 1);
    switch (opc) {
    case IR_SHL:
        return ir_trunc(t, a << n);
    case IR_SHR:
        return ir_trunc(t, a) >> n;
    case IR_SAR:
        return ir_trunc(t, (uint64_t)(ir_sext(t, a) >> n));
    case IR_ROTL:
        return ir_rotl(t, a, n);
    default: /* IR_ROTR */
        return ir_rotl(t, a, (w - n) & (w - 1));
    }
}

/* ops with one input and no constants */
static bool ir_eval_unary(IrOpcode opc, IrType t, uint64_t a, uint64_t *d)
{
    switch ((int)opc) {
    case IR_MOV:
        *d = a;
        break;
    case IR_NEG:
        *d = -a;
        break;
    case IR_NOT:
        *d = ~a;
        break;
    case IR_EXT8S:
        *d = (uint64_t)(int64_t)(int8_t)a;
        break;
    case IR_EXT8U:
        *d = (uint8_t)a;
        break;
    case IR_EXT16S:
        *d = (uint64_t)(int64_t)(int16_t)a;
        break;
    case IR_EXT16U:
        *d = (uint16_t)a;
        break;
    case IR_EXT32S:
        *d = (uint64_t)(int64_t)(int32_t)a;
        break;
    case IR_EXT32U:
    case IR_EXTRL:
        *d = (uint32_t)a;
        break;
    case IR_EXTRH:
        *d = a >> 32;
        break;
    case IR_BSWAP16:
        *d = ir_bswap16(a);
        break;
    case IR_BSWAP32:
        *d = __builtin_bswap32((uint32_t)a);
        break;
    case IR_BSWAP64:
        *d = __builtin_bswap64(a);
        break;
    case IR_CLZ:
        *d = ir_clz(t, a);
        break;
    case IR_CTZ:
        *d = ir_ctz(t, a);
        break;
    case IR_CTPOP:
        *d = (uint64_t)__builtin_popcountll(ir_trunc(t, a));
        break;
    default:
        return false;
    }
    *d = ir_trunc(t, *d);
    return true;
}

static bool ir_eval_binary(IrOpcode opc, IrType t, uint64_t a, uint64_t b,
                           uint64_t *out)
{
    uint64_t d;
    switch ((int)opc) {
    case IR_ADD:
        d = a + b;
        break;
    case IR_SUB:
        d = a - b;
        break;
    case IR_AND:
        d = a & b;
        break;
    case IR_OR:
        d = a | b;
        break;
    case IR_XOR:
        d = a ^ b;
        break;
    case IR_ANDC:
        d = a & ~b;
        break;
    case IR_MUL:
        d = a * b;
        break;
    case IR_SHL:
    case IR_SHR:
    case IR_SAR:
    case IR_ROTL:
    case IR_ROTR:
        d = ir_eval_shift(opc, t, a, b);
        break;
    case IR_MULSH:
    case IR_MULUH:
        ir_eval_mul2(opc, t, a, b, out);
        d = out[1];
        break;
    case IR_MULS2:
    case IR_MULU2:
        ir_eval_mul2(opc, t, a, b, out);
        return true;
    default:
        return false;
    }
    out[0] = ir_trunc(t, d);
    return true;
}

bool ir_eval(IrOpcode opc, IrType t, const uint64_t *in, const uint64_t *con,
             uint64_t *out)
{
    switch ((int)opc) {
    case IR_MOVI:
        out[0] = ir_trunc(t, con[0]);
        return true;
    case IR_DEPOSIT:
    case IR_EXTRACT:
    case IR_SEXTRACT:
        out[0] = ir_eval_field(opc, t, in, con);
        return true;
    case IR_SETCOND:
        out[0] = ir_cond_eval((IrCond)con[0], t, in[0], in[1]);
        return true;
    case IR_MOVCOND:
        out[0] = ir_cond_eval((IrCond)con[0], t, in[0], in[1]) ? in[2] : in[3];
        out[0] = ir_trunc(t, out[0]);
        return true;
    default:
        break;
    }
    if (ir_op_info[opc].nin == 1 && ir_op_info[opc].ncon == 0 &&
        ir_op_info[opc].nout == 1 && !(ir_op_info[opc].flags & IRF_SIDE)) {
        return ir_eval_unary(opc, t, in[0], out);
    }
    if (ir_op_info[opc].nin == 2 && ir_op_info[opc].ncon == 0 &&
        !(ir_op_info[opc].flags & IRF_SIDE)) {
        return ir_eval_binary(opc, t, in[0], in[1], out);
    }
    return false;
}
