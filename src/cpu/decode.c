/*
 * The decoder engine: walks the tables of decode_tables*.c for one
 * instruction. Order (SDM vol. 2 ch. 2): legacy prefixes and REX, then
 * VEX/EVEX or the opcode (escape bytes select the 0F/0F38/0F3A maps), then
 * sub-table selection (ModRM.reg/mod/rm, mandatory prefix, mode, W, L), then
 * ModRM/SIB/displacement and the immediates in operand order.
 * Every byte fetch is bounded by min(avail, 15): running out of input returns
 * how many bytes are missing, going past 15 bytes returns X86_DEC_GP.
 * Fast paths (bench-decode, callgrind): no prefix or a lone REX, one lookup
 * for plain opcodes, ModRM need precomputed per row (EF_MODRM).
 */
#include <stddef.h>
#include <string.h>

#include "cpu/decode_internal.h"

/* ---- prefixes */

static void dec_seg_prefix(const DecState *s, DecodedInsn *d, unsigned seg)
{
    /* 64-bit mode: CS/DS/ES/SS overrides are ignored, FS/GS kept */
    if (s->mode == X86_MODE64 && seg < XSEG_FS) {
        return;
    }
    d->seg = seg;
}

/* bytes that may be prefixes (REX only counts in 64-bit mode) */
static const uint8_t dec_is_prefix[256] = {
    [0x26] = 1, [0x2e] = 1, [0x36] = 1, [0x3e] = 1,
    [0x64] = 1, [0x65] = 1, [0x66] = 1, [0x67] = 1,
    [0xf0] = 1, [0xf2] = 1, [0xf3] = 1, [0x40 ... 0x4f] = 2,
};

static int dec_prefixes(DecState *s, DecodedInsn *d)
{
    unsigned c = s->lim > 0 ? dec_is_prefix[s->p[0]] : 0;
    if (likely(c == 0)) {
        return 0; /* most instructions have no prefix */
    }
    if (c == 2 && s->mode != X86_MODE64) {
        return 0; /* 40-4F are INC/DEC */
    }
    if (c == 2 && s->lim > 1 && !dec_is_prefix[s->p[1]]) {
        d->rex = s->p[0]; /* the common case: one REX before the opcode */
        s->pos = 1;
        return 0;
    }
    for (;;) {
        NEED(s, 1);
        uint8_t b = s->p[s->pos];
        switch (b) {
        case 0xf0:
            d->pfx |= XP_LOCK;
            break;
        case 0xf2:
        case 0xf3:
            s->rep = b;
            break;
        case 0x66:
            d->pfx |= XP_OPSZ;
            break;
        case 0x67:
            d->pfx |= XP_ADSZ;
            break;
        case 0x26:
        case 0x2e:
        case 0x36:
        case 0x3e:
            dec_seg_prefix(s, d, (b >> 3) & 3);
            break;
        case 0x64:
        case 0x65:
            dec_seg_prefix(s, d, XSEG_FS + (b & 1));
            break;
        default:
            if (s->mode == X86_MODE64 && (b & 0xf0) == 0x40) {
                d->rex = b; /* applies only if the opcode follows */
                s->pos++;
                continue;
            }
            return 0;
        }
        d->rex = 0; /* REX not directly before the opcode: ignored */
        s->pos++;
    }
}

static void dec_sizes(DecState *s, DecodedInsn *d)
{
    /* [mode][66 seen + 2 * 67 seen]: operand size | address size << 8 */
    static const uint16_t sizes[3][4] = {
        {0x202, 0x204, 0x402, 0x404},
        {0x404, 0x402, 0x204, 0x202},
        {0x804, 0x802, 0x404, 0x402},
    };
    static const uint8_t rep_pfx[4] = {0, 0, XP_REPNE, XP_REP};
    unsigned rex = d->rex;
    if (rex) {
        d->pfx |= XP_REX;
        s->w = (rex >> 3) & 1;
        s->r = (rex >> 2) & 1;
        s->x = (rex >> 1) & 1;
        s->b = rex & 1;
    }
    d->pfx |= rep_pfx[s->rep & 3]; /* F2 -> 2, F3 -> 3 */
    _Static_assert(XP_ADSZ == 2 * XP_OPSZ, "66/67 bits adjacent");
    unsigned sz = sizes[s->mode][(d->pfx / XP_OPSZ) & 3];
    d->opsize = s->w ? 8 : sz & 0xff;
    d->addrsize = sz >> 8;
    s->opsize66 = d->opsize;
}

/* ---- VEX / EVEX */

static int dec_vex(DecState *s, DecodedInsn *d, uint8_t c)
{
    unsigned v1, v2;
    if (c == 0xc5) {
        NEED(s, 1);
        v1 = s->p[s->pos++];
        v2 = v1 & 0x7f; /* W = 0, vvvv L pp as in the 2-byte form */
        s->map = 1;
    } else {
        NEED(s, 2);
        v1 = s->p[s->pos++];
        v2 = s->p[s->pos++];
        s->x = !(v1 & 0x40);
        s->b = !(v1 & 0x20);
        s->map = v1 & 0x1f;
    }
    s->r = !(v1 & 0x80);
    s->w = v2 >> 7;
    d->vex_vvvv = (~v2 >> 3) & 15;
    d->vex_l = (v2 >> 2) & 1;
    d->vex_pp = v2 & 3;
    d->vex_w = s->w;
    d->vex_map = s->map;
    d->pfx |= XP_VEX;
    s->vex = 1;
    if (s->mode != X86_MODE64) {
        s->x = s->b = 0; /* ignored outside 64-bit mode */
        d->vex_vvvv &= 7;
    }
    d->opsize = (s->mode == X86_MODE64 && s->w) ? 8 : 4;
    if (s->map < 1 || s->map > 3) {
        return X86_DEC_UD;
    }
    return 0;
}

static int dec_evex_prefix(DecState *s, DecodedInsn *d)
{
    NEED(s, 3);
    unsigned p0 = s->p[s->pos], p1 = s->p[s->pos + 1], p2 = s->p[s->pos + 2];
    s->pos += 3;
    if ((p0 & 0x0c) != 0 || (p1 & 0x04) == 0 || (p0 & 3) == 0) {
        return X86_DEC_UD;
    }
    s->r = !(p0 & 0x80);
    s->x = !(p0 & 0x40);
    s->b = !(p0 & 0x20);
    s->w = p1 >> 7;
    s->map = p0 & 3;
    s->vex = 2;
    d->pfx |= XP_EVEX;
    d->vex_map = s->map;
    d->vex_w = s->w;
    d->vex_vvvv = ((~p1 >> 3) & 15) | (p2 & 8 ? 0 : 16);
    d->vex_pp = p1 & 3;
    d->vex_l = (p2 >> 5) & 3;
    d->evex_aaa = p2 & 7;
    d->evex_b = (p2 >> 4) & 1;
    d->evex_z = p2 >> 7;
    if (s->mode != X86_MODE64) {
        s->x = s->b = 0;
    }
    return 0;
}

/* ---- table walk */

static inline int dec_modrm(DecState *s, DecodedInsn *d)
{
    if (d->has_modrm) {
        return 0;
    }
    NEED(s, 1);
    uint8_t m = s->p[s->pos++];
    d->modrm = m;
    d->has_modrm = 1;
    s->mod = m >> 6;
    s->reg = (m >> 3) & 7;
    s->rm = m & 7;
    s->regx = s->reg | (s->r << 3);
    s->rmx = s->rm | (s->b << 3);
    return 0;
}

static const OpEntry *dec_pfx_column(DecState *s, DecodedInsn *d,
                                     const OpEntry *e)
{
    unsigned col;
    if (s->vex) {
        return &e->sub[d->vex_pp];
    }
    col = s->rep == 0xf3 ? 2 : s->rep == 0xf2 ? 3 : 0;
    if (col == 0 || e->sub[col].kind == K_NONE) {
        col = (d->pfx & XP_OPSZ) ? 1 : 0;
    }
    if (col >= 2) {
        d->pfx &= ~(XP_REP | XP_REPNE); /* consumed as mandatory prefix */
    } else if (col == 1) {
        /* 66 consumed as mandatory prefix: no operand-size override */
        d->opsize = s->mode == X86_MODE16 ? 2 : s->w ? 8 : 4;
    }
    return &e->sub[col];
}

static int dec_resolve(DecState *s, DecodedInsn *d, const OpEntry **pe)
{
    const OpEntry *e = *pe;
    int r;
    if (likely(e->kind == K_INSN)) {
        return 0;
    }
    for (unsigned depth = 0; depth < 8; depth++) {
        switch ((EntryKind)e->kind) {
        case K_INSN:
            *pe = e;
            return 0;
        case K_GROUP:
        case K_MOD:
        case K_RM:
            if ((r = dec_modrm(s, d)) != 0) {
                return r;
            }
            e = &e->sub[e->kind == K_GROUP ? s->reg
                        : e->kind == K_MOD ? (s->mod == 3)
                                           : s->rm];
            break;
        case K_PFX:
            e = dec_pfx_column(s, d, e);
            break;
        case K_MODE:
            e = &e->sub[s->mode == X86_MODE64];
            break;
        case K_OPSZ:
            e = &e->sub[d->opsize == 2 ? 0 : d->opsize == 4 ? 1 : 2];
            break;
        case K_W:
            e = &e->sub[s->w];
            break;
        case K_W64:
            e = &e->sub[s->w && s->mode == X86_MODE64];
            break;
        case K_VEXL:
            e = &e->sub[d->vex_l & 1];
            break;
        case K_VEX:
            e = &e->sub[s->vex ? 1 : 0];
            break;
        case K_NONE:
        case K_ESC:
        case K_NOP90:
            return X86_DEC_UD;
        }
    }
    return X86_DEC_UD;
}

static const OpEntry nop90_entries[] = {
    {.kind = K_INSN, .id = XI_NOP, .feat = XFEAT_OF_NOP},
    {.kind = K_INSN, .id = XI_PAUSE, .feat = XFEAT_OF_PAUSE},
    {.kind = K_INSN,
     .id = XI_XCHG,
     .feat = XFEAT_OF_XCHG,
     .opnd = {OPS(M_Z, S_v), OPS(M_RAX, S_v)}},
};

static const OpEntry *const dec_maps[4] = {x86_map_1byte, x86_map_0f,
                                           x86_map_0f38, x86_map_0f3a};

/* one-byte opcodes that need more than a table lookup */
static const uint8_t dec_op_special[256] = {
    [0x0f] = 1, [0x62] = 1, [0x90] = 1, [0xc4] = 1, [0xc5] = 1,
};

/* VEX/EVEX (C4, C5, 62), the 0F escapes and 90; *pc is the opcode byte */
static int dec_opcode_special(DecState *s, DecodedInsn *d, uint8_t *pc,
                              const OpEntry **pe)
{
    uint8_t c = *pc;
    if (c == 0xc4 || c == 0xc5 || c == 0x62) {
        if (s->mode != X86_MODE64) {
            NEED(s, 1);
        }
        if (s->mode == X86_MODE64 || (s->p[s->pos] & 0xc0) == 0xc0) {
            int r = c == 0x62 ? dec_evex_prefix(s, d) : dec_vex(s, d, c);
            if (r != 0) {
                return r;
            }
            NEED(s, 1);
            c = s->p[s->pos++];
            *pe = &dec_maps[s->map][c];
        }
    } else if (c == 0x0f) {
        NEED(s, 1);
        c = s->p[s->pos++];
        s->map = 1;
        if (c == 0x38 || c == 0x3a) {
            s->map = c == 0x38 ? 2 : 3;
            NEED(s, 1);
            c = s->p[s->pos++];
        }
        *pe = &dec_maps[s->map][c];
    } else {
        *pe = &nop90_entries[s->b ? 2 : s->rep == 0xf3 ? 1 : 0];
    }
    *pc = c;
    return 0;
}

/* fetch the opcode byte(s) and return the first table entry */
static int dec_opcode(DecState *s, DecodedInsn *d, const OpEntry **pe)
{
    NEED(s, 1);
    uint8_t c = s->p[s->pos++];
    *pe = &x86_map_1byte[c];
    if (unlikely(dec_op_special[c])) {
        int r = dec_opcode_special(s, d, &c, pe);
        if (r != 0) {
            return r;
        }
    }
    d->opcode = c;
    d->map = s->map;
    return 0;
}

/* ---- ModRM memory operand */

/* field stores (no compound literal: that is built bytewise, then copied) */
static void dec_set_mem(X86Operand *m, unsigned base, unsigned index,
                        unsigned scale, int64_t disp)
{
    m->type = XOP_MEM;
    m->size = m->cls = m->reg = 0;
    m->base = base;
    m->index = index;
    m->scale = scale;
    /* rSP/rBP bases default to SS (16-bit forms never have base 4) */
    m->seg = (base == 4 || base == 5) ? XSEG_SS : XSEG_DS;
    m->val = disp;
    m->sel = 0;
}

static int dec_mem16(DecState *s, X86Operand *m)
{
    static const uint8_t base[8] = {3, 3, 5, 5, 6, 7, 5, 3};
    static const uint8_t index[8] = {
        6, 7, 6, 7, XREG_NONE, XREG_NONE, XREG_NONE, XREG_NONE};
    unsigned dsz = s->mod == 1 ? 1 : s->mod == 2 ? 2 : 0;
    unsigned b = base[s->rm];
    int64_t disp = 0;
    if (s->mod == 0 && s->rm == 6) {
        b = XREG_NONE;
        dsz = 2;
    }
    NEED(s, dsz);
    if (dsz == 1) {
        disp = (int8_t)s->p[s->pos];
    } else if (dsz == 2) {
        disp = (int16_t)dec_le(s->p + s->pos, 2);
    }
    s->pos += dsz;
    dec_set_mem(m, b, index[s->rm], 1, disp);
    return 0;
}

/* 32/64-bit addressing: SIB, no base (disp32) and RIP-relative forms */
static inline int dec_mem32(DecState *s, X86Operand *m)
{
    static const uint8_t disp_size[4] = {0, 1, 4, 0};
    unsigned dsz = disp_size[s->mod], base = s->rmx;
    unsigned index = XREG_NONE, scale = 1;
    int64_t disp = 0;
    if (s->rm == 4) {
        NEED(s, 1);
        uint8_t sib = s->sib = s->p[s->pos++];
        index = ((sib >> 3) & 7) | (s->x << 3);
        index = index == 4 ? XREG_NONE : index;
        scale = 1u << (sib >> 6);
        base = (sib & 7) | (s->b << 3);
        if ((sib & 7) == 5 && s->mod == 0) {
            base = XREG_NONE;
            dsz = 4;
        }
    } else if (s->rm == 5 && s->mod == 0) {
        base = s->mode == X86_MODE64 ? XREG_RIP : XREG_NONE;
        dsz = 4;
    }
    NEED(s, dsz);
    if (dsz == 1) {
        disp = (int8_t)s->p[s->pos];
    } else if (dsz == 4) {
        disp = (int32_t)dec_le(s->p + s->pos, 4);
    }
    s->pos += dsz;
    dec_set_mem(m, base, index, scale, disp);
    return 0;
}

DEC_HOT_INLINE int dec_mem(DecState *s, DecodedInsn *d)
{
    X86Operand *m = &s->mem;
    int r = d->addrsize == 2 ? dec_mem16(s, m) : dec_mem32(s, m);
    if (d->seg != XSEG_NONE) {
        m->seg = d->seg;
    }
    return r;
}

/* the row's mode/VEX conditions (#UD) and its operand-size rules */
static int dec_check_entry(DecState *s, DecodedInsn *d, const OpEntry *e)
{
    unsigned f = e->flags;
    if (unlikely(f & s->ud_flags)) {
        return X86_DEC_UD;
    }
    if (unlikely(f & EF_OSZ66)) {
        d->opsize = s->opsize66; /* 66 selected the row and sizes it */
    }
    if (unlikely(s->vex)) {
        if (!(f & (EF_V | EF_VO)) || ((f & EF_L0) && d->vex_l) ||
            ((f & EF_L1) && !d->vex_l)) {
            return X86_DEC_UD;
        }
        return 0;
    }
    if ((f & (EF_F64 | EF_D64)) && s->mode == X86_MODE64) {
        if ((f & EF_F64) || d->opsize == 4) {
            d->opsize = 8;
        }
    }
    return 0;
}

static int dec_evex_body(DecState *s, DecodedInsn *d)
{
    int r = dec_modrm(s, d);
    if (r == 0 && s->mod != 3) {
        r = dec_mem(s, d);
    }
    if (r != 0) {
        return r;
    }
    uint8_t c = d->opcode;
    bool imm =
        s->map == 3 ||
        (s->map == 1 && ((c >= 0x70 && c <= 0x73) || (c >= 0xc2 && c <= 0xc6)));
    if (imm) {
        NEED(s, 1);
        d->op[2] =
            (X86Operand){.type = XOP_IMM, .size = 1, .val = s->p[s->pos++]};
    }
    d->id = XI_EVEX_INSN;
    d->op[0] = (X86Operand){
        .type = XOP_REG, .cls = XRC_ZMM, .size = 64, .reg = s->reg | s->r << 3};
    if (s->mod == 3) {
        d->op[1] = (X86Operand){.type = XOP_REG,
                                .cls = XRC_ZMM,
                                .size = 64,
                                .reg = s->rm | s->b << 3 | s->x << 4};
    } else {
        d->op[1] = s->mem;
    }
    d->nops = imm ? 3 : 2;
    d->feature = XFEAT_AVX512;
    return 0;
}

static int dec_finish(DecState *s, DecodedInsn *d, const OpEntry *e)
{
    int r = dec_check_entry(s, d, e);
    if (r != 0) {
        return r;
    }
    if ((e->flags & EF_MODRM) && (r = dec_modrm(s, d)) != 0) {
        return r;
    }
    if (d->has_modrm && s->mod != 3) {
        if (unlikely(e->id == XI_MOV_CR || e->id == XI_MOV_DR)) {
            s->mod = 3; /* ModRM.mod is ignored: always a register */
        } else if ((r = dec_mem(s, d)) != 0) {
            return r;
        }
    }
    d->id = e->id;
    if ((r = dec_operands(s, d, e)) != 0) {
        return r;
    }
    return unlikely(d->pfx & XP_LOCK) ? dec_check_lock(s, d, e) : 0;
}

int x86_decode(DecodedInsn *d, const uint8_t *bytes, size_t avail, X86Mode mode)
{
    DecState s;
    const OpEntry *e = NULL;
    int r;

    /* operands are cleared as they are decoded (only op[0..nops) count) */
    memset(d, 0, offsetof(DecodedInsn, op));
    memset(&s, 0, offsetof(DecState, mem));
    s.p = bytes;
    s.avail = avail;
    s.lim = avail < X86_MAX_INSN_LEN ? (unsigned)avail : X86_MAX_INSN_LEN;
    s.mode = mode;
    d->seg = XSEG_NONE;
    if ((r = dec_prefixes(&s, d)) != 0) {
        return r;
    }
    dec_sizes(&s, d);
    if ((r = dec_opcode(&s, d, &e)) != 0) {
        return r;
    }
    if (s.vex && ((d->pfx & (XP_LOCK | XP_OPSZ | XP_REX)) || s.rep)) {
        return X86_DEC_UD; /* VEX/EVEX after 66, F2, F3, LOCK or REX */
    }
    s.ud_flags = (mode == X86_MODE64 ? EF_NO64 : EF_O64) | (s.vex ? 0 : EF_VO);
    s.nohi8 = !(d->pfx & XP_REX) && !s.vex;
    if (s.vex == 2) {
        r = dec_evex_body(&s, d);
    } else if ((r = dec_resolve(&s, d, &e)) == 0) {
        r = dec_finish(&s, d, e);
    }
    d->len = s.pos;
    return r;
}

const X86InsnInfo *x86_insn_info(unsigned id)
{
    return id < XI__COUNT ? &x86_insn_table[id] : NULL;
}

const char *x86_insn_name(unsigned id)
{
    return id < XI__COUNT ? x86_insn_table[id].name : "(bad)";
}

const char *x86_feature_name(unsigned feat)
{
    static const char *const names[] = {
#define X(n) #n,
        X86_FEATURES(X)
#undef X
    };
    return feat < ARRAY_LEN(names) ? names[feat] : "?";
}
