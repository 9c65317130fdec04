/*
 * Operand decoding: turns the SDM operand forms of a table row (E,v  G,b
 * I,z  V,x ...) into X86Operand values, fetching immediates, moffs and far
 * pointers in operand order after ModRM/SIB/displacement (decode.c). Also the
 * checks that need the operands: VEX.vvvv must be 1111 when unused, LOCK only
 * on lockable instructions with a memory destination (SDM 2.3.6, LOCK).
 */
#include "cpu/decode_internal.h"

enum { R_AX = 0, R_CX = 1, R_DX = 2, R_BX = 3, R_SI = 6, R_DI = 7 };

static unsigned op_size(const DecState *s, const DecodedInsn *d, unsigned sz)
{
    static const uint8_t fixed[] = {
        [S_b] = 1,   [S_bs] = 1,  [S_w] = 2,  [S_d] = 4,           [S_q] = 8,
        [S_dq] = 16, [S_qq] = 32, [S_t] = 10, [S_fx] = 512 & 0xff,
    };
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

static void op_gpr(const DecState *s, const DecodedInsn *d, X86Operand *o,
                   unsigned reg, unsigned size)
{
    o->type = XOP_REG;
    o->size = size;
    o->cls = XRC_GPR;
    o->reg = reg;
    if (size == 1 && reg >= 4 && reg < 8 && !(d->pfx & XP_REX) && !s->vex) {
        o->cls = XRC_GPR8HI; /* AH CH DH BH; with REX: SPL BPL SIL DIL */
        o->reg = reg - 4;
    }
}

static void op_vec(const DecodedInsn *d, X86Operand *o, unsigned reg,
                   unsigned sz)
{
    bool ymm = sz == S_qq || (sz == S_x && d->vex_l);
    o->type = XOP_REG;
    o->cls = ymm ? XRC_YMM : XRC_XMM;
    o->size = ymm ? 32 : 16;
    o->reg = reg;
}

static void op_fixed(X86Operand *o, unsigned cls, unsigned reg, unsigned size)
{
    o->type = XOP_REG;
    o->cls = cls;
    o->reg = reg;
    o->size = size;
}

static int op_imm(DecState *s, X86Operand *o, unsigned n, bool sx)
{
    NEED(s, n);
    uint64_t v = dec_le(s->p + s->pos, n);
    s->pos += n;
    if (sx && n < 8) {
        unsigned sh = 64 - 8 * n;
        v = (uint64_t)((int64_t)(v << sh) >> sh);
    }
    o->type = XOP_IMM;
    o->size = n;
    o->val = (int64_t)v;
    return 0;
}

static void op_string(const DecodedInsn *d, X86Operand *o, unsigned base,
                      unsigned seg, unsigned size)
{
    o->type = XOP_MEM;
    o->size = size;
    o->base = base;
    o->index = XREG_NONE;
    o->scale = 1;
    o->seg = seg;
}

static int op_moffs(DecState *s, const DecodedInsn *d, X86Operand *o,
                    unsigned size)
{
    NEED(s, d->addrsize);
    op_string(d, o, XREG_NONE, d->seg != XSEG_NONE ? d->seg : XSEG_DS, size);
    o->val = (int64_t)dec_le(s->p + s->pos, d->addrsize);
    s->pos += d->addrsize;
    return 0;
}

static int op_far(DecState *s, const DecodedInsn *d, X86Operand *o)
{
    unsigned n = d->opsize == 2 ? 2 : 4;
    NEED(s, n + 2);
    o->type = XOP_FAR;
    o->size = n + 2;
    o->val = (int64_t)dec_le(s->p + s->pos, n);
    o->sel = (uint16_t)dec_le(s->p + s->pos + n, 2);
    s->pos += n + 2;
    return 0;
}

static int op_vsib(DecState *s, const DecodedInsn *d, X86Operand *o,
                   unsigned size)
{
    if (s->mod == 3 || s->rm != 4 || d->addrsize == 2) {
        return X86_DEC_UD; /* VSIB needs a SIB byte */
    }
    *o = s->mem;
    o->size = size;
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

/* one operand; leaves o->type == XOP_NONE for a dropped legacy H */
static int dec_operand(DecState *s, DecodedInsn *d, unsigned spec,
                       X86Operand *o)
{
    unsigned sz = OPS_SIZE(spec), size = op_size(s, d, sz);
    unsigned rm = s->rm | (s->b << 3), reg = s->reg | (s->r << 3);
    unsigned seg = d->seg != XSEG_NONE ? d->seg : XSEG_DS;
    switch ((OpMethod)OPS_METHOD(spec)) {
    case M_NONE:
        return 0;
    case M_E:
        if (s->mod == 3) {
            op_gpr(s, d, o, rm, size);
            return 0;
        }
        *o = s->mem;
        o->size = size;
        return 0;
    case M_M:
    case M_Q:
    case M_W:
        if (s->mod != 3) {
            *o = s->mem;
            o->size = size;
            return 0;
        }
        if (OPS_METHOD(spec) == M_M) {
            return X86_DEC_UD;
        }
        if (OPS_METHOD(spec) == M_Q) {
            op_fixed(o, XRC_MMX, s->rm, 8);
        } else {
            op_vec(d, o, rm, sz);
        }
        return 0;
    case M_R:
    case M_U:
    case M_N:
        if (s->mod != 3) {
            return X86_DEC_UD;
        }
        if (OPS_METHOD(spec) == M_R) {
            op_gpr(s, d, o, rm, size);
        } else if (OPS_METHOD(spec) == M_U) {
            op_vec(d, o, rm, sz);
        } else {
            op_fixed(o, XRC_MMX, s->rm, 8);
        }
        return 0;
    case M_G:
        op_gpr(s, d, o, reg, size);
        return 0;
    case M_I:
        return op_imm(s, o, size, sz == S_bs || sz == S_z);
    case M_J: {
        int r = op_imm(s, o, size, true);
        o->type = XOP_REL;
        return r;
    }
    case M_O:
        return op_moffs(s, d, o, size);
    case M_A:
        return op_far(s, d, o);
    case M_Z:
        op_gpr(s, d, o, (d->opcode & 7) | (s->b << 3), size);
        return 0;
    case M_S:
        if (s->reg > XSEG_GS || (spec == OPS(M_S, S_w) && s->reg == XSEG_CS &&
                                 d->id == XI_MOV_SEG && o == &d->op[0])) {
            return X86_DEC_UD; /* no such segment register; MOV CS, r */
        }
        op_fixed(o, XRC_SEG, s->reg, 2);
        return 0;
    case M_C:
        if (reg != 0 && reg != 2 && reg != 3 && reg != 4 && reg != 8) {
            return X86_DEC_UD;
        }
        op_fixed(o, XRC_CR, reg, size);
        return 0;
    case M_D:
        if (reg > 7) {
            return X86_DEC_UD;
        }
        op_fixed(o, XRC_DR, reg, size);
        return 0;
    case M_X:
        op_string(d, o, R_SI, seg, size);
        return 0;
    case M_Y:
        op_string(d, o, R_DI, XSEG_ES, size);
        return 0;
    case M_V:
        op_vec(d, o, reg, sz);
        return 0;
    case M_H:
        if (s->vex) {
            op_vec(d, o, d->vex_vvvv, sz);
        }
        return 0;
    case M_L:
        return op_is4(s, d, o, sz);
    case M_P:
        op_fixed(o, XRC_MMX, s->reg, 8);
        return 0;
    case M_B:
        op_gpr(s, d, o, d->vex_vvvv, size);
        return 0;
    case M_VX:
        return op_vsib(s, d, o, size);
    case M_RAX:
        op_gpr(s, d, o, R_AX, size);
        return 0;
    case M_CL:
        op_gpr(s, d, o, R_CX, 1);
        return 0;
    case M_DX:
        op_gpr(s, d, o, R_DX, 2);
        return 0;
    case M_ONE:
        o->type = XOP_IMM;
        o->size = 1;
        o->val = 1;
        return 0;
    case M_SEG:
        op_fixed(o, XRC_SEG, sz, 2);
        return 0;
    case M_ST0:
        op_fixed(o, XRC_ST, 0, 10);
        return 0;
    case M_STI:
        op_fixed(o, XRC_ST, s->rm, 10);
        return 0;
    case M_XMM0:
        op_fixed(o, XRC_XMM, 0, 16);
        return 0;
    case M_RBX_AL:
        op_string(d, o, R_BX, seg, 1);
        return 0;
    }
    return X86_DEC_UD;
}

/* the CPUID feature of this encoding: VEX forms need AVX, xmm MMX ops SSE2 */
static unsigned dec_feature(const DecState *s, const DecodedInsn *d)
{
    unsigned f = x86_insn_table[d->id].feature;
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
    bool vvvv_used = false;
    for (unsigned i = 0; i < 4 && e->opnd[i]; i++) {
        unsigned m = OPS_METHOD(e->opnd[i]);
        vvvv_used |= m == M_H || m == M_B || m == M_VX;
        memset(&d->op[n], 0, sizeof(d->op[n]));
        int r = dec_operand(s, d, e->opnd[i], &d->op[n]);
        if (r != 0) {
            return r;
        }
        if (d->op[n].type != XOP_NONE) {
            n++;
        }
    }
    d->nops = n;
    if (s->vex && !vvvv_used && d->vex_vvvv != 0) {
        return X86_DEC_UD; /* VEX.vvvv must be 1111b when unused */
    }
    d->feature = dec_feature(s, d);
    return 0;
}

int dec_check_lock(const DecState *s, const DecodedInsn *d, const OpEntry *e)
{
    unsigned m0 = OPS_METHOD(e->opnd[0]);
    if ((x86_insn_table[d->id].attr & XA_LOCK) && (m0 == M_E || m0 == M_M) &&
        d->op[0].type == XOP_MEM) {
        return 0;
    }
    return X86_DEC_UD;
}
