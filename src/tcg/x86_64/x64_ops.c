/*
 * src/tcg/x86_64/x64_ops.c: the x86-64 JIT's ALU ops.
 *
 * Two-operand x86 forms: d = a OP b is "mov d, a; op d, b", reusing a's
 * register when a dies here. When d's register is b's (a pinned output that
 * is also the second input) the op runs in the scratch r11 first. I32
 * values stay zero-extended in 64-bit registers (ir.h): every 32-bit x86
 * operation does that by itself; byte results are widened with movzx.
 */
#include "tcg/x86_64/x64_int.h"

X64Size x64_tsize(const IrOp *op)
{
    return op->type == IR_I64 ? X64_S64 : X64_S32;
}

static int x64_width(const IrOp *op)
{
    return op->type == IR_I64 ? 64 : 32;
}

static const uint32_t x64_ld_opcs[4][2] = {
    {X64_MOVZX_GvEb, X64_MOVSX_GvEb},
    {X64_MOVZX_GvEw, X64_MOVSX_GvEw},
    {X64_MOV_GvEv, X64_MOVSXD_GvEd},
    {X64_MOV_GvEv | P_REXW, X64_MOV_GvEv | P_REXW},
};

static uint32_t x64_ext_opc(IrType type, uint32_t memop)
{
    unsigned size = memop & IR_MO_SIZE;
    bool sign = (memop & IR_MO_SIGN) != 0;
    uint32_t opc;
    if (type == IR_I32 && size >= 2) {
        return X64_MOV_GvEv; /* 32 bits: sign does not matter */
    }
    opc = x64_ld_opcs[size][sign];
    if (type == IR_I64 && sign && size < 2) {
        opc |= P_REXW;
    }
    return opc;
}

/* movzx/movsx/mov d, size [base + idx + disp] */
void x64_ld_memop(X64Asm *a, IrType type, uint32_t memop, int d, int base,
                  int idx, int32_t disp)
{
    x64_emit_modrm_mem(a, x64_ext_opc(type, memop), d, base, idx, 0, disp);
}

/* movzx/movsx/mov d, s (low memop bytes of s) */
void x64_ext_memop(X64Asm *a, IrType type, uint32_t memop, int d, int s)
{
    x64_emit_modrm_reg(a, x64_ext_opc(type, memop) | P_REXB_RM, d, s);
}

X64Cond x64_cond(IrCond c)
{
    static const X64Cond map[IR_COND__COUNT] = {
        [IR_EQ] = X64_CC_E,  [IR_NE] = X64_CC_NE,   [IR_LT] = X64_CC_L,
        [IR_GE] = X64_CC_GE, [IR_LE] = X64_CC_LE,   [IR_GT] = X64_CC_G,
        [IR_LTU] = X64_CC_B, [IR_GEU] = X64_CC_AE,  [IR_LEU] = X64_CC_BE,
        [IR_GTU] = X64_CC_A, [IR_TSTEQ] = X64_CC_E, [IR_TSTNE] = X64_CC_NE,
    };
    return map[c];
}

/* the constant of temp t if it fits a sign-extended imm32 at size sz */
static bool x64_imm_of(X64Gen *g, int t, X64Size sz, int32_t *imm)
{
    const RaTemp *T = &g->temps[t];
    if (T->kind != RA_CONST) {
        return false;
    }
    if (sz == X64_S64 && (int64_t)T->val != (int32_t)T->val) {
        return false;
    }
    *imm = (int32_t)T->val;
    return true;
}

/* cmp a, b | test a, b | test a, a */
void x64_gen_compare(X64Gen *g, const IrOp *op, IrCond c, int ta, int tb)
{
    X64Size sz = x64_tsize(op);
    int ra = ra_in(&g->ra, ta, RA_ALL_REGS);
    int32_t imm;
    bool test = c == IR_TSTEQ || c == IR_TSTNE;
    if (x64_imm_of(g, tb, sz, &imm)) {
        if (imm == 0 && !test) {
            x64_test_rr(&g->a, sz, ra, ra);
        } else if (test) {
            if (sz == X64_S64 && imm < 0) {
                x64_movi(&g->a, RA_SCRATCH, (uint64_t)(int64_t)imm);
                x64_test_rr(&g->a, sz, ra, RA_SCRATCH);
            } else {
                x64_test_ri(&g->a, sz, ra, imm);
            }
        } else {
            x64_alu_ri(&g->a, X64_ALU_CMP, sz, ra, imm);
        }
        return;
    }
    if (test) {
        x64_test_rr(&g->a, sz, ra, ra_in(&g->ra, tb, RA_ALL_REGS));
    } else {
        x64_alu_rr(&g->a, X64_ALU_CMP, sz, ra, ra_in(&g->ra, tb, RA_ALL_REGS));
    }
}

/* the output register for d = f(a): a's register when a dies here */
static int x64_dest(X64Gen *g, const IrOp *op, int ra)
{
    int ta = IR_IN(op, 0), td = IR_OUT(op, 0);
    if (x64_dead(op, op->nout) && g->temps[ta].kind == RA_LOCAL &&
        g->temps[ta].loc == RA_REG && g->temps[ta].reg == ra &&
        g->temps[td].kind != RA_PINNED) {
        ra_out_reg(&g->ra, td, ra);
        return ra;
    }
    return ra_out(&g->ra, td, RA_ALL_REGS);
}

static const X64Alu x64_bin_alu[] = {X64_ALU_ADD, X64_ALU_SUB, X64_ALU_AND,
                                     X64_ALU_OR, X64_ALU_XOR};
static const X64Shift x64_bin_shift[] = {X64_SH_SHL, X64_SH_SHR, X64_SH_SAR,
                                         X64_SH_ROL, X64_SH_ROR};

/* w = w OP s (register) */
static void x64_bin_rr(X64Gen *g, X64Bin b, X64Size sz, int w, int s)
{
    if (b <= X64B_XOR) {
        x64_alu_rr(&g->a, x64_bin_alu[b], sz, w, s);
    } else if (b == X64B_MUL) {
        x64_imul_rr(&g->a, sz, w, s);
    } else {
        ASSERT(b == X64B_ANDC && s == RA_SCRATCH);
        x64_grp3(&g->a, X64_G3_NOT, sz, RA_SCRATCH);
        x64_alu_rr(&g->a, X64_ALU_AND, sz, w, RA_SCRATCH);
    }
}

/*
 * d = a + b or a +/- imm into another register than a's: one lea instead
 * of mov + add (IR ops leave host flags undefined). rb is -1 for imm.
 */
static bool x64_bin_lea(X64Gen *g, X64Bin b, X64Size sz, int rd, int ra, int rb,
                        int32_t imm)
{
    if (rd == ra || rd == rb || (b != X64B_ADD && b != X64B_SUB) ||
        (b == X64B_SUB && (rb >= 0 || imm == INT32_MIN))) {
        return false;
    }
    if (rb >= 0) {
        x64_lea(&g->a, sz, rd, ra, rb, 0, 0);
    } else {
        x64_lea(&g->a, sz, rd, ra, X64_NOREG, 0, b == X64B_SUB ? -imm : imm);
    }
    return true;
}

/* add/sub/and/or/xor/mul/andc */
void x64_gen_bin(X64Gen *g, const IrOp *op, X64Bin b)
{
    X64Size sz = x64_tsize(op);
    int ta = IR_IN(op, 0), tb = IR_IN(op, 1);
    int32_t imm = 0;
    bool use_imm = b != X64B_ANDC && x64_imm_of(g, tb, sz, &imm);
    int ra = ra_in(&g->ra, ta, RA_ALL_REGS);
    int rb = -1, rd, w;
    if (b == X64B_ANDC) {
        ra_copy_to(&g->ra, tb, RA_SCRATCH);
        rb = RA_SCRATCH;
    } else if (!use_imm) {
        rb = ra_in(&g->ra, tb, RA_ALL_REGS);
    }
    rd = x64_dest(g, op, ra);
    w = (rd == rb && rd != ra) ? RA_SCRATCH : rd; /* r11 is never rd */
    if (x64_bin_lea(g, b, sz, rd, ra, use_imm ? -1 : rb, imm)) {
        return;
    }
    if (w != ra) {
        x64_mov_rr(&g->a, X64_S64, w, ra);
    }
    if (!use_imm) {
        x64_bin_rr(g, b, sz, w, rb);
    } else if (b == X64B_MUL) {
        x64_imul_rri(&g->a, sz, w, w, imm);
    } else {
        x64_alu_ri(&g->a, x64_bin_alu[b], sz, w, imm);
    }
    if (w != rd) {
        x64_mov_rr(&g->a, X64_S64, rd, w);
    }
}

/* shl/shr/sar/rol/ror by a constant or by cl */
void x64_gen_shift(X64Gen *g, const IrOp *op, X64Bin b)
{
    X64Size sz = x64_tsize(op);
    X64Shift sh = x64_bin_shift[b - X64B_SHL];
    int ta = IR_IN(op, 0), tb = IR_IN(op, 1);
    int ra, rd;
    if (g->temps[tb].kind == RA_CONST) {
        int count = (int)(g->temps[tb].val & (x64_width(op) - 1));
        ra = ra_in(&g->ra, ta, RA_ALL_REGS);
        rd = x64_dest(g, op, ra);
        if (rd != ra) {
            x64_mov_rr(&g->a, X64_S64, rd, ra);
        }
        if (count) {
            x64_shift_ri(&g->a, sh, sz, rd, count);
        } else if (sz == X64_S32) {
            x64_mov_rr(&g->a, X64_S32, rd, rd);
        }
        return;
    }
    ra_in_fixed(&g->ra, tb, X64_RCX);
    ra = ra_in(&g->ra, ta, RA_ALL_REGS & ~BIT(X64_RCX));
    rd = ra_out(&g->ra, IR_OUT(op, 0), RA_ALL_REGS & ~BIT(X64_RCX));
    if (rd != ra) {
        x64_mov_rr(&g->a, X64_S64, rd, ra);
    }
    x64_shift_cl(&g->a, sh, sz, rd);
}

/* ext8s/8u/16s/16u/32s/32u, extrl: one movzx/movsx/mov */
void x64_gen_ext(X64Gen *g, const IrOp *op, X64Size from, bool sign)
{
    X64Size sz = x64_tsize(op);
    int ra = ra_in(&g->ra, IR_IN(op, 0), RA_ALL_REGS);
    int rd = x64_dest(g, op, ra);
    if (sign) {
        x64_movsx(&g->a, from, from == X64_S32 ? X64_S64 : sz, rd, ra);
    } else {
        x64_movzx(&g->a, from, rd, ra);
    }
}

/* neg/not/extrh/bswap: mov d, a; op d */
void x64_gen_unary(X64Gen *g, const IrOp *op, X64Unary u)
{
    X64Size sz = x64_tsize(op);
    int ra = ra_in(&g->ra, IR_IN(op, 0), RA_ALL_REGS);
    int rd = x64_dest(g, op, ra);
    if (rd != ra) {
        x64_mov_rr(&g->a, X64_S64, rd, ra);
    }
    if (u == X64U_NEG) {
        x64_grp3(&g->a, X64_G3_NEG, sz, rd);
    } else if (u == X64U_NOT) {
        x64_grp3(&g->a, X64_G3_NOT, sz, rd);
    } else if (u == X64U_EXTRH) {
        x64_shift_ri(&g->a, X64_SH_SHR, X64_S64, rd, 32);
    } else if (u == X64U_BSWAP16) {
        x64_bswap(&g->a, X64_S16, rd);
        x64_movzx(&g->a, X64_S16, rd, rd);
    } else {
        x64_bswap(&g->a, u == X64U_BSWAP64 ? X64_S64 : X64_S32, rd);
    }
}

/* clz/ctz/ctpop: lzcnt/tzcnt/popcnt, or bsr/bsf with a zero fix-up */
void x64_gen_bitcount(X64Gen *g, const IrOp *op)
{
    X64Size sz = x64_tsize(op);
    int w = x64_width(op);
    int ra = ra_in(&g->ra, IR_IN(op, 0), RA_ALL_REGS);
    int rd = x64_dest(g, op, ra);
    if (op->opc == IR_CTPOP) {
        x64_bitop(&g->a, X64_POPCNT_GvEv, sz, rd, ra);
    } else if (op->opc == IR_CLZ && g->has_lzcnt) {
        x64_bitop(&g->a, X64_LZCNT_GvEv, sz, rd, ra);
    } else if (op->opc == IR_CTZ && g->has_bmi1) {
        x64_bitop(&g->a, X64_TZCNT_GvEv, sz, rd, ra);
    } else if (op->opc == IR_CLZ) {
        /* clz = (w - 1) - bsr, with bsr(0) taken as -1 */
        x64_bitop(&g->a, X64_BSR_GvEv, sz, rd, ra);
        x64_movi(&g->a, RA_SCRATCH, UINT64_MAX);
        x64_cmov(&g->a, X64_CC_E, sz, rd, RA_SCRATCH);
        x64_grp3(&g->a, X64_G3_NEG, sz, rd);
        x64_alu_ri(&g->a, X64_ALU_ADD, sz, rd, w - 1);
    } else {
        x64_bitop(&g->a, X64_BSF_GvEv, sz, rd, ra);
        x64_movi(&g->a, RA_SCRATCH, w);
        x64_cmov(&g->a, X64_CC_E, sz, rd, RA_SCRATCH);
    }
}

/* mulsh/muluh/muls2/mulu2: one-operand mul/imul into rdx:rax */
void x64_gen_mul_wide(X64Gen *g, const IrOp *op)
{
    X64Size sz = x64_tsize(op);
    bool sign = op->opc == IR_MULSH || op->opc == IR_MULS2;
    int rb;
    ra_in_fixed(&g->ra, IR_IN(op, 0), X64_RAX);
    ra_claim(&g->ra, X64_RDX);
    rb = ra_in(&g->ra, IR_IN(op, 1),
               RA_ALL_REGS & ~(BIT(X64_RAX) | BIT(X64_RDX)));
    x64_grp3(&g->a, sign ? X64_G3_IMUL : X64_G3_MUL, sz, rb);
    if (op->nout == 2) {
        ra_out_reg(&g->ra, IR_OUT(op, 0), X64_RAX);
        ra_out_reg(&g->ra, IR_OUT(op, 1), X64_RDX);
    } else {
        ra_out_reg(&g->ra, IR_OUT(op, 0), X64_RDX);
    }
}

/* deposit: rotate the field to bit 0, replace it via shld, rotate back */
void x64_gen_deposit(X64Gen *g, const IrOp *op)
{
    X64Size sz = x64_tsize(op);
    int w = x64_width(op);
    int pos = (int)IR_CON(op, 0), len = (int)IR_CON(op, 1);
    int ra = ra_in(&g->ra, IR_IN(op, 0), RA_ALL_REGS);
    int rd;
    ra_copy_to(&g->ra, IR_IN(op, 1), RA_SCRATCH);
    rd = x64_dest(g, op, ra);
    if (len >= w) {
        x64_mov_rr(&g->a, sz, rd, RA_SCRATCH);
        return;
    }
    x64_shift_ri(&g->a, X64_SH_SHL, sz, RA_SCRATCH, w - len);
    if (rd != ra) {
        x64_mov_rr(&g->a, X64_S64, rd, ra);
    }
    if (pos) {
        x64_shift_ri(&g->a, X64_SH_ROR, sz, rd, pos);
    }
    x64_shift_ri(&g->a, X64_SH_SHR, sz, rd, len);
    x64_shxd_ri(&g->a, false, sz, rd, RA_SCRATCH, len);
    if (pos) {
        x64_shift_ri(&g->a, X64_SH_ROL, sz, rd, pos);
    }
}

/* extract/sextract: movzx/movsx for aligned fields, else shl + shr/sar */
void x64_gen_extract(X64Gen *g, const IrOp *op)
{
    X64Size sz = x64_tsize(op);
    int w = x64_width(op);
    int pos = (int)IR_CON(op, 0), len = (int)IR_CON(op, 1);
    bool sign = op->opc == IR_SEXTRACT;
    X64Shift right = sign ? X64_SH_SAR : X64_SH_SHR;
    int ra = ra_in(&g->ra, IR_IN(op, 0), RA_ALL_REGS);
    int rd = x64_dest(g, op, ra);
    if (pos == 0 && (len == 8 || len == 16 || (len == 32 && w == 64))) {
        X64Size from = len == 8 ? X64_S8 : len == 16 ? X64_S16 : X64_S32;
        if (sign) {
            x64_movsx(&g->a, from, sz, rd, ra);
        } else {
            x64_movzx(&g->a, from, rd, ra);
        }
        return;
    }
    if (rd != ra) {
        x64_mov_rr(&g->a, X64_S64, rd, ra);
    }
    if (pos + len < w) {
        x64_shift_ri(&g->a, X64_SH_SHL, sz, rd, w - pos - len);
        x64_shift_ri(&g->a, right, sz, rd, w - len);
    } else if (pos) {
        x64_shift_ri(&g->a, right, sz, rd, pos);
    } else if (sz == X64_S32) {
        x64_mov_rr(&g->a, X64_S32, rd, rd);
    }
}

/* the next op is brcond d, 0, eq/ne and d (a local) dies there */
static bool x64_setcond_fusable(X64Gen *g, const IrOp *op)
{
    const IrOp *n = g->next;
    const RaTemp *z;
    if (!n || n->opc != IR_BRCOND || IR_IN(n, 0) != IR_OUT(op, 0) ||
        !x64_dead(n, 0) || g->temps[IR_OUT(op, 0)].kind != RA_LOCAL) {
        return false;
    }
    z = &g->temps[IR_IN(n, 1)];
    return z->kind == RA_CONST && z->val == 0 &&
           (IR_CON(n, 0) == IR_EQ || IR_CON(n, 0) == IR_NE);
}

/* setcond: cmp; setcc d8; movzx d32, d8 (or only cmp, for a brcond) */
void x64_gen_setcond(X64Gen *g, const IrOp *op)
{
    IrCond c = (IrCond)IR_CON(op, 0);
    int rd;
    x64_gen_compare(g, op, c, IR_IN(op, 0), IR_IN(op, 1));
    if (x64_setcond_fusable(g, op)) {
        g->fused = (int)c;
        return;
    }
    rd = ra_out(&g->ra, IR_OUT(op, 0), RA_ALL_REGS);
    x64_setcc(&g->a, x64_cond(c), rd);
    x64_movzx(&g->a, X64_S8, rd, rd);
}

/* movcond: cmp; r11 = c; d = e; cmovcc d, r11 */
void x64_gen_movcond(X64Gen *g, const IrOp *op)
{
    IrCond c = (IrCond)IR_CON(op, 0);
    int re, rd;
    x64_gen_compare(g, op, c, IR_IN(op, 0), IR_IN(op, 1));
    ra_copy_to(&g->ra, IR_IN(op, 2), RA_SCRATCH);
    re = ra_in(&g->ra, IR_IN(op, 3), RA_ALL_REGS);
    rd = ra_out(&g->ra, IR_OUT(op, 0), RA_ALL_REGS);
    if (rd != re) {
        x64_mov_rr(&g->a, X64_S64, rd, re);
    }
    x64_cmov(&g->a, x64_cond(c), X64_S64, rd, RA_SCRATCH);
}

/* mov/movi: renames when the source dies, constants stay immediates */
void x64_gen_mov(X64Gen *g, const IrOp *op)
{
    int td = IR_OUT(op, 0), ra, rd;
    uint64_t v;
    if (op->opc == IR_MOVI || g->temps[IR_IN(op, 0)].kind == RA_CONST) {
        v = op->opc == IR_MOVI ? IR_CON(op, 0) : g->temps[IR_IN(op, 0)].val;
        v = op->type == IR_I32 ? (uint32_t)v : v;
        if (g->temps[td].kind == RA_LOCAL) {
            ra_set_imm(&g->ra, td, v);
        } else {
            x64_movi(&g->a, ra_out(&g->ra, td, RA_ALL_REGS), v);
        }
        return;
    }
    ra = ra_in(&g->ra, IR_IN(op, 0), RA_ALL_REGS);
    rd = x64_dest(g, op, ra);
    if (rd != ra) {
        x64_mov_rr(&g->a, op->type == IR_I32 ? X64_S32 : X64_S64, rd, ra);
    }
}

/* ld/st of env fields */
void x64_gen_env(X64Gen *g, const IrOp *op)
{
    int32_t off = (int32_t)IR_CON(op, 0);
    uint32_t memop = (uint32_t)IR_CON(op, 1);
    if (op->opc == IR_LD) {
        int rd = ra_out(&g->ra, IR_OUT(op, 0), RA_ALL_REGS);
        x64_ld_memop(&g->a, (IrType)op->type, memop, rd, RA_ENV, X64_NOREG,
                     off);
    } else {
        int ra = ra_in(&g->ra, IR_IN(op, 0), RA_ALL_REGS);
        x64_st(&g->a, memop & IR_MO_SIZE, ra, RA_ENV, off);
    }
}
