/*
 * Operand decoding: turns the SDM operand forms of a table row (E,v  G,b
 * I,z  V,x ...) into X86Operand values, fetching immediates, moffs and far
 * pointers in operand order after ModRM/SIB/displacement (decode.c). Also the
 * checks that need the operands: VEX.vvvv must be 1111 when unused, LOCK only
 * on lockable instructions with a memory destination (SDM 2.3.6, LOCK).
 */
#include "cpu/decode_internal.h"

enum { R_AX = 0, R_CX = 1, R_DX = 2, R_BX = 3, R_SI = 6, R_DI = 7 };

static inline unsigned op_size(const DecState *s, const DecodedInsn *d,
                               unsigned sz)
{
    static const uint8_t fixed[] = {
        [S_b] = 1,   [S_bs] = 1,  [S_w] = 2,  [S_d] = 4,           [S_q] = 8,
        [S_dq] = 16, [S_qq] = 32, [S_t] = 10, [S_fx] = 512 & 0xff,
    };
    if (sz == S_v) {
        return d->opsize; /* the most common form first */
    }
    if (sz <= S_q) {
        return fixed[sz]; /* S_0 .. S_q: fixed sizes */
    }
    switch ((OpSize)sz) {
    case S_v:
        return d->opsize;
    case S_z:
        return d->opsize == 2 ? 2 : 4;
    case S_y:
        return d->opsize == 8 ? 8 : 4;
    case S_x:
        return d->vex_l ? 32 : 16;
    case S_xh:
        return d->vex_l ? 16 : 8;
    case S_p:
        return 2 + d->opsize;
    case S_s:
        return s->mode == X86_MODE64 ? 10 : 6;
    case S_a:
        return 2 * d->opsize;
    case S_env:
        return d->opsize == 2 ? 14 : 28;
    case S_fst:
        return d->opsize == 2 ? 94 : 108;
    case S_fx:
        return 0; /* 512 bytes: does not fit the size field */
    default:
        return sz < ARRAY_LEN(fixed) ? fixed[sz] : 0;
    }
}

/* field stores: cheaper than building a compound literal and copying it */
static void op_reg(X86Operand *o, unsigned cls, unsigned reg, unsigned size)
{
    o->type = XOP_REG;
    o->size = size;
    o->cls = cls;
    o->reg = reg;
    o->base = o->index = o->scale = o->seg = 0;
    o->val = 0;
    o->sel = 0;
}

static void op_gpr(const DecState *s, X86Operand *o, unsigned reg,
                   unsigned size)
{
    if (size == 1 && reg - 4 < 4 && s->nohi8) {
        /* AH CH DH BH; with REX: SPL BPL SIL DIL */
        op_reg(o, XRC_GPR8HI, reg - 4, 1);
    } else {
        op_reg(o, XRC_GPR, reg, size);
    }
}

static void op_vec(const DecodedInsn *d, X86Operand *o, unsigned reg,
                   unsigned sz)
{
    bool ymm = sz == S_qq || (sz == S_x && d->vex_l);
    op_reg(o, ymm ? XRC_YMM : XRC_XMM, reg, ymm ? 32 : 16);
}

/* the decoded ModRM memory operand with its size (a plain struct copy) */
static void op_memsz(const DecState *s, X86Operand *o, unsigned size)
{
    *o = s->mem;
    o->size = size;
}

static inline int op_imm(DecState *s, X86Operand *o, unsigned n, bool sx)
{
    NEED(s, n);
    uint64_t v = dec_le(s->p + s->pos, n);
    s->pos += n;
    if (sx && n < 8) {
        unsigned sh = 64 - 8 * n;
        v = (uint64_t)((int64_t)(v << sh) >> sh);
    }
    *o = (X86Operand){.type = XOP_IMM, .size = n, .val = (int64_t)v};
    return 0;
}

static X86Operand op_string(unsigned base, unsigned seg, unsigned size)
{
    return (X86Operand){.type = XOP_MEM,
                        .size = size,
                        .base = base,
                        .index = XREG_NONE,
                        .scale = 1,
                        .seg = seg};
}

static int op_moffs(DecState *s, const DecodedInsn *d, X86Operand *o,
                    unsigned size)
{
    NEED(s, d->addrsize);
    *o = op_string(XREG_NONE, d->seg != XSEG_NONE ? d->seg : XSEG_DS, size);
    o->val = (int64_t)dec_le(s->p + s->pos, d->addrsize);
    s->pos += d->addrsize;
    return 0;
}

static int op_far(DecState *s, const DecodedInsn *d, X86Operand *o)
{
    unsigned n = d->opsize == 2 ? 2 : 4;
    NEED(s, n + 2);
    *o = (X86Operand){.type = XOP_FAR,
                      .size = n + 2,
                      .val = (int64_t)dec_le(s->p + s->pos, n),
                      .sel = (uint16_t)dec_le(s->p + s->pos + n, 2)};
    s->pos += n + 2;
    return 0;
}

static int op_vsib(DecState *s, const DecodedInsn *d, X86Operand *o,
                   unsigned size)
{
    if (s->mod == 3 || s->rm != 4 || d->addrsize == 2) {
        return X86_DEC_UD; /* VSIB needs a SIB byte */
    }
    op_memsz(s, o, size);
    o->index = ((s->sib >> 3) & 7) | (s->x << 3); /* a vector register */
    return 0;
}

static int op_is4(DecState *s, const DecodedInsn *d, X86Operand *o, unsigned sz)
{
    NEED(s, 1);
    unsigned reg = s->p[s->pos++] >> 4;
    op_vec(d, o, s->mode == X86_MODE64 ? reg : reg & 7, sz);
    return 0;
}

/* operands in ModRM.rm: register (mod == 3) or the decoded memory operand */
static int dec_rm_operand(DecState *s, const DecodedInsn *d, unsigned spec,
                          X86Operand *o)
{
    unsigned m = OPS_METHOD(spec), sz = OPS_SIZE(spec);
    if (s->mod != 3) {
        if (m == M_R || m == M_U || m == M_N) {
            return X86_DEC_UD;
        }
        op_memsz(s, o, op_size(s, d, sz));
        return 0;
    }
    switch (m) {
    case M_M:
        return X86_DEC_UD;
    case M_E:
    case M_R:
        op_gpr(s, o, s->rmx, op_size(s, d, sz));
        return 0;
    case M_Q:
    case M_N:
        op_reg(o, XRC_MMX, s->rm, 8);
        return 0;
    default: /* M_W, M_U */
        op_vec(d, o, s->rmx, sz);
        return 0;
    }
}

/* ModRM.reg operands other than G and V */
static int dec_reg_operand(DecState *s, const DecodedInsn *d, unsigned spec,
                           X86Operand *o, unsigned slot)
{
    unsigned reg = s->regx, size = op_size(s, d, OPS_SIZE(spec));
    switch (OPS_METHOD(spec)) {
    case M_S:
        if (s->reg > XSEG_GS || (spec == OPS(M_S, S_w) && s->reg == XSEG_CS &&
                                 d->id == XI_MOV_SEG && slot == 0)) {
            return X86_DEC_UD; /* no such segment register; MOV CS, r */
        }
        op_reg(o, XRC_SEG, s->reg, 2);
        return 0;
    case M_C:
        if (reg != 0 && reg != 2 && reg != 3 && reg != 4 && reg != 8) {
            return X86_DEC_UD;
        }
        op_reg(o, XRC_CR, reg, size);
        return 0;
    case M_D:
        if (reg > 7) {
            return X86_DEC_UD;
        }
        op_reg(o, XRC_DR, reg, size);
        return 0;
    default: /* M_P */
        op_reg(o, XRC_MMX, s->reg, 8);
        return 0;
    }
}

/* operands with no ModRM or immediate bytes (fixed and implicit ones) */
static void dec_fixed_operand(const DecState *s, const DecodedInsn *d,
                              unsigned spec, X86Operand *o)
{
    unsigned sz = OPS_SIZE(spec);
    unsigned seg = d->seg != XSEG_NONE ? d->seg : XSEG_DS;
    switch ((OpMethod)OPS_METHOD(spec)) {
    case M_X:
        *o = op_string(R_SI, seg, op_size(s, d, sz));
        return;
    case M_Y:
        *o = op_string(R_DI, XSEG_ES, op_size(s, d, sz));
        return;
    case M_CL:
        op_reg(o, XRC_GPR, R_CX, 1);
        return;
    case M_DX:
        op_reg(o, XRC_GPR, R_DX, 2);
        return;
    case M_ONE:
        *o = (X86Operand){.type = XOP_IMM, .size = 1, .val = 1};
        return;
    case M_SEG:
        op_reg(o, XRC_SEG, sz, 2);
        return;
    case M_ST0:
        op_reg(o, XRC_ST, 0, 10);
        return;
    case M_STI:
        op_reg(o, XRC_ST, s->rm, 10);
        return;
    case M_XMM0:
        op_reg(o, XRC_XMM, 0, 16);
        return;
    case M_RBX_AL:
        *o = op_string(R_BX, seg, 1);
        return;
    default:
        o->type = XOP_NONE;
        return;
    }
}

/* one operand; sets o->type = XOP_NONE for a dropped legacy H */
static int dec_operand(DecState *s, DecodedInsn *d, unsigned spec,
                       X86Operand *o, unsigned slot)
{
    unsigned sz = OPS_SIZE(spec);
    switch ((OpMethod)OPS_METHOD(spec)) {
    case M_E:
    case M_M:
    case M_Q:
    case M_W:
    case M_R:
    case M_U:
    case M_N:
        return dec_rm_operand(s, d, spec, o);
    case M_G:
        op_gpr(s, o, s->regx, op_size(s, d, sz));
        return 0;
    case M_V:
        op_vec(d, o, s->regx, sz);
        return 0;
    case M_S:
    case M_C:
    case M_D:
    case M_P:
        return dec_reg_operand(s, d, spec, o, slot);
    case M_I:
        return op_imm(s, o, op_size(s, d, sz), sz == S_bs || sz == S_z);
    case M_J: {
        int r = op_imm(s, o, op_size(s, d, sz), true);
        o->type = XOP_REL;
        return r;
    }
    case M_O:
        return op_moffs(s, d, o, op_size(s, d, sz));
    case M_A:
        return op_far(s, d, o);
    case M_Z:
        op_gpr(s, o, (d->opcode & 7) | (s->b << 3), op_size(s, d, sz));
        return 0;
    case M_RAX:
        op_reg(o, XRC_GPR, R_AX, op_size(s, d, sz));
        return 0;
    case M_H:
        if (s->vex) {
            op_vec(d, o, d->vex_vvvv, sz);
        } else {
            o->type = XOP_NONE;
        }
        return 0;
    case M_L:
        return op_is4(s, d, o, sz);
    case M_B:
        op_gpr(s, o, d->vex_vvvv, op_size(s, d, sz));
        return 0;
    case M_VX:
        return op_vsib(s, d, o, op_size(s, d, sz));
    default:
        dec_fixed_operand(s, d, spec, o);
        return 0;
    }
}

/* the CPUID feature of this encoding from the row's id feature f: VEX forms
 * need AVX, xmm forms of MMX ops SSE2 */
static unsigned dec_feature(const DecState *s, const DecodedInsn *d, unsigned f)
{
    if (likely(f == XFEAT_BASE)) {
        bool lahf = d->id == XI_LAHF || d->id == XI_SAHF;
        return lahf && s->mode == X86_MODE64 ? XFEAT_LAHF64 : f;
    }
    if (f == XFEAT_MMX) {
        bool mmx = false;
        for (unsigned i = 0; i < d->nops; i++) {
            mmx |= d->op[i].type == XOP_REG && d->op[i].cls == XRC_MMX;
        }
        f = mmx ? f : XFEAT_SSE2;
    }
    if (s->vex && ((f >= XFEAT_MMX && f <= XFEAT_SSE42) || f == XFEAT_AES ||
                   f == XFEAT_PCLMUL)) {
        bool int256 = d->vex_l && f != XFEAT_SSE && f != XFEAT_SSE3;
        f = int256 ? XFEAT_AVX2 : XFEAT_AVX;
    }
    return f;
}

int dec_operands(DecState *s, DecodedInsn *d, const OpEntry *e)
{
    unsigned n = 0;
    for (unsigned i = 0; i < 4 && e->opnd[i]; i++) {
        X86Operand *o = &d->op[n];
        int r = dec_operand(s, d, e->opnd[i], o, n);
        if (unlikely(r != 0)) {
            return r;
        }
        n += o->type != XOP_NONE;
    }
    d->nops = n;
    if (unlikely(s->vex) && !(e->flags & EF_VVVV) && d->vex_vvvv != 0) {
        return X86_DEC_UD; /* VEX.vvvv must be 1111b when unused */
    }
    d->feature = dec_feature(s, d, e->feat);
    return 0;
}

int dec_check_lock(const DecState *s, const DecodedInsn *d, const OpEntry *e)
{
    (void)s; /* kept for a uniform check signature */
    unsigned m0 = OPS_METHOD(e->opnd[0]);
    if ((x86_insn_table[d->id].attr & XA_LOCK) && (m0 == M_E || m0 == M_M) &&
        d->op[0].type == XOP_MEM) {
        return 0;
    }
    return X86_DEC_UD;
}
