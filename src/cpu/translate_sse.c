/*
 * x86 front end: legacy-encoded SSE/SSE2 (SDM vol. 2; vol. 1 ch. 10-11).
 *
 * Data moves are IR: each XMM register is two 64-bit env slots
 * (fpu.zmm[n].q[0..1]) loaded and stored with ld/st, memory with qld/qst,
 * so both backends run them without a call. Every other operation is a
 * helper of one shape, fn(env, d, s, imm) with env offsets of 16-byte
 * registers (helper_sse.c): a memory source is first loaded by IR into
 * fpu.tmp, so faults come from the ordinary softmmu path with precise
 * state, and the helper only ever sees registers. This is the seam where
 * the vector IR will go (issue 14): the JIT can lower a row to one host
 * instruction without changing the decoding or operand code here.
 *
 * Rules kept here: #UD under CR0.EM or without CR4.OSFXSR, #NM under
 * CR0.TS (translate_fpu.c); a 16-byte memory operand must be aligned
 * (#GP(0)) except for MOVUPS/MOVUPD/MOVDQU/LDDQU; an unaligned 16-byte
 * store probes its last byte for writing first, so a #PF on the second
 * page leaves memory unchanged. MMX register forms and VEX encodings are
 * not implemented yet: #UD, logged under -d unimp.
 */
#include "cpu/fpu_helpers.h"
#include "cpu/translate_int.h"

#include "util/log.h"

bool tr_sse_unavailable(Dc *dc); /* translate_fpu.c */

#define X(n)                                                                   \
    static const IrHelper h_sse_##n = {                                        \
        "sse_" #n, (void *)helper_sse_##n,   3,                                \
        IRH_VOID,  {IR_I32, IR_I32, IR_I32}, IRH_ENV | IRH_RAISE};
SSE_HELPERS(X)
#undef X

/* operation rows: the helper of each id (legacy forms: V, W [, Ib]) */
static const IrHelper *const sse_ops[XI__COUNT] = {
    [XI_PAND] = &h_sse_pand,
    [XI_ANDPS] = &h_sse_pand,
    [XI_ANDPD] = &h_sse_pand,
    [XI_PANDN] = &h_sse_pandn,
    [XI_ANDNPS] = &h_sse_andnps,
    [XI_ANDNPD] = &h_sse_andnps,
    [XI_POR] = &h_sse_por,
    [XI_ORPS] = &h_sse_por,
    [XI_ORPD] = &h_sse_por,
    [XI_PXOR] = &h_sse_pxor,
    [XI_XORPS] = &h_sse_pxor,
    [XI_XORPD] = &h_sse_pxor,
    [XI_PADDB] = &h_sse_paddb,
    [XI_PADDW] = &h_sse_paddw,
    [XI_PADDD] = &h_sse_paddd,
    [XI_PADDQ] = &h_sse_paddq,
    [XI_PSUBB] = &h_sse_psubb,
    [XI_PSUBW] = &h_sse_psubw,
    [XI_PSUBD] = &h_sse_psubd,
    [XI_PSUBQ] = &h_sse_psubq,
    [XI_PCMPEQB] = &h_sse_pcmpeqb,
    [XI_PCMPEQW] = &h_sse_pcmpeqw,
    [XI_PCMPEQD] = &h_sse_pcmpeqd,
    [XI_PCMPGTB] = &h_sse_pcmpgtb,
    [XI_PCMPGTW] = &h_sse_pcmpgtw,
    [XI_PCMPGTD] = &h_sse_pcmpgtd,
    [XI_PMINUB] = &h_sse_pminub,
    [XI_PMAXUB] = &h_sse_pmaxub,
    [XI_PMINSW] = &h_sse_pminsw,
    [XI_PMAXSW] = &h_sse_pmaxsw,
    [XI_PADDUSB] = &h_sse_paddusb,
    [XI_PADDUSW] = &h_sse_paddusw,
    [XI_PSUBUSB] = &h_sse_psubusb,
    [XI_PSUBUSW] = &h_sse_psubusw,
    [XI_PADDSB] = &h_sse_paddsb,
    [XI_PADDSW] = &h_sse_paddsw,
    [XI_PSUBSB] = &h_sse_psubsb,
    [XI_PSUBSW] = &h_sse_psubsw,
    [XI_PAVGB] = &h_sse_pavgb,
    [XI_PAVGW] = &h_sse_pavgw,
    [XI_PMULLW] = &h_sse_pmullw,
    [XI_PMULHW] = &h_sse_pmulhw,
    [XI_PMULHUW] = &h_sse_pmulhuw,
    [XI_PMULUDQ] = &h_sse_pmuludq,
    [XI_PMADDWD] = &h_sse_pmaddwd,
    [XI_PSADBW] = &h_sse_psadbw,
    [XI_PUNPCKLBW] = &h_sse_punpcklbw,
    [XI_PUNPCKLWD] = &h_sse_punpcklwd,
    [XI_PUNPCKLDQ] = &h_sse_punpckldq,
    [XI_PUNPCKLQDQ] = &h_sse_punpcklqdq,
    [XI_PUNPCKHBW] = &h_sse_punpckhbw,
    [XI_PUNPCKHWD] = &h_sse_punpckhwd,
    [XI_PUNPCKHDQ] = &h_sse_punpckhdq,
    [XI_PUNPCKHQDQ] = &h_sse_punpckhqdq,
    [XI_PACKSSWB] = &h_sse_packsswb,
    [XI_PACKUSWB] = &h_sse_packuswb,
    [XI_PACKSSDW] = &h_sse_packssdw,
    [XI_PSHUFD] = &h_sse_pshufd,
    [XI_PSHUFLW] = &h_sse_pshuflw,
    [XI_PSHUFHW] = &h_sse_pshufhw,
    [XI_PSRLW] = &h_sse_psrlw,
    [XI_PSRAW] = &h_sse_psraw,
    [XI_PSLLW] = &h_sse_psllw,
    [XI_PSRLD] = &h_sse_psrld,
    [XI_PSRAD] = &h_sse_psrad,
    [XI_PSLLD] = &h_sse_pslld,
    [XI_PSRLQ] = &h_sse_psrlq,
    [XI_PSLLQ] = &h_sse_psllq,
    [XI_PSRLDQ] = &h_sse_psrldq,
    [XI_PSLLDQ] = &h_sse_pslldq,
    [XI_SHUFPS] = &h_sse_shufps,
    [XI_SHUFPD] = &h_sse_shufpd,
    [XI_UNPCKLPS] = &h_sse_unpcklps,
    [XI_UNPCKHPS] = &h_sse_unpckhps,
    [XI_UNPCKLPD] = &h_sse_unpcklpd,
    [XI_UNPCKHPD] = &h_sse_unpckhpd,
    [XI_ADDPS] = &h_sse_addps,
    [XI_ADDPD] = &h_sse_addpd,
    [XI_ADDSS] = &h_sse_addss,
    [XI_ADDSD] = &h_sse_addsd,
    [XI_SUBPS] = &h_sse_subps,
    [XI_SUBPD] = &h_sse_subpd,
    [XI_SUBSS] = &h_sse_subss,
    [XI_SUBSD] = &h_sse_subsd,
    [XI_MULPS] = &h_sse_mulps,
    [XI_MULPD] = &h_sse_mulpd,
    [XI_MULSS] = &h_sse_mulss,
    [XI_MULSD] = &h_sse_mulsd,
    [XI_DIVPS] = &h_sse_divps,
    [XI_DIVPD] = &h_sse_divpd,
    [XI_DIVSS] = &h_sse_divss,
    [XI_DIVSD] = &h_sse_divsd,
    [XI_MINPS] = &h_sse_minps,
    [XI_MINPD] = &h_sse_minpd,
    [XI_MINSS] = &h_sse_minss,
    [XI_MINSD] = &h_sse_minsd,
    [XI_MAXPS] = &h_sse_maxps,
    [XI_MAXPD] = &h_sse_maxpd,
    [XI_MAXSS] = &h_sse_maxss,
    [XI_MAXSD] = &h_sse_maxsd,
    [XI_SQRTPS] = &h_sse_sqrtps,
    [XI_SQRTPD] = &h_sse_sqrtpd,
    [XI_SQRTSS] = &h_sse_sqrtss,
    [XI_SQRTSD] = &h_sse_sqrtsd,
    [XI_CVTPS2PD] = &h_sse_cvtps2pd,
    [XI_CVTPD2PS] = &h_sse_cvtpd2ps,
    [XI_CVTSS2SD] = &h_sse_cvtss2sd,
    [XI_CVTSD2SS] = &h_sse_cvtsd2ss,
    [XI_CVTDQ2PS] = &h_sse_cvtdq2ps,
    [XI_CVTPS2DQ] = &h_sse_cvtps2dq,
    [XI_CVTTPS2DQ] = &h_sse_cvttps2dq,
    [XI_CVTDQ2PD] = &h_sse_cvtdq2pd,
    [XI_CVTPD2DQ] = &h_sse_cvtpd2dq,
    [XI_CVTTPD2DQ] = &h_sse_cvttpd2dq,
    [XI_CMPPS] = &h_sse_cmpps,
    [XI_CMPPD] = &h_sse_cmppd,
    [XI_CMPSS] = &h_sse_cmpss,
    [XI_CMPSD] = &h_sse_cmpsd,
};

static const IrHelper h_pmovmskb = {
    "pmovmskb", (void *)helper_pmovmskb, 1, IRH_RET_I64, {IR_I32}, IRH_ENV};
static const IrHelper h_movmskps = {
    "movmskps", (void *)helper_movmskps, 1, IRH_RET_I64, {IR_I32}, IRH_ENV};
static const IrHelper h_movmskpd = {
    "movmskpd", (void *)helper_movmskpd, 1, IRH_RET_I64, {IR_I32}, IRH_ENV};
static const IrHelper h_comis = {
    "comis",     (void *)helper_comis,     3,
    IRH_RET_I64, {IR_I32, IR_I32, IR_I32}, IRH_ENV | IRH_RAISE};
static const IrHelper h_cvtsi2sx = {
    "cvtsi2sx", (void *)helper_cvtsi2sx,  3,
    IRH_VOID,   {IR_I32, IR_I64, IR_I32}, IRH_ENV | IRH_RAISE};
static const IrHelper h_cvtsx2si = {
    "cvtsx2si",  (void *)helper_cvtsx2si, 2,
    IRH_RET_I64, {IR_I32, IR_I32},        IRH_ENV | IRH_RAISE};

#define XMM_OFF(r) ((uint32_t)offsetof(CpuX86, fpu.zmm) + 64u * ((r)&15))
#define TMP_OFF ((uint32_t)offsetof(CpuX86, fpu.tmp))

static IrTemp c32(Dc *dc, uint32_t v)
{
    return ir_const(dc->f, IR_I32, v);
}

/* #GP(0) unless addr is a multiple of 16 */
static void tr_sse_align(Dc *dc, IrTemp addr)
{
    IrTemp t = tr_new(dc);
    uint32_t ok = ir_label_new(dc->f);
    ir_op2i(dc->f, IR_AND, IR_I64, t, addr, 15);
    ir_brcond(dc->f, IR_I64, IR_EQ, t, tr_const(dc, 0), ok);
    tr_exception(dc, 13);
    dc->ended = false;
    ir_set_label(dc->f, ok);
}

static bool sse_unaligned_ok(unsigned id)
{
    return id == XI_MOVUPS || id == XI_MOVUPD || id == XI_MOVDQU ||
           id == XI_LDDQU;
}

/* the address of memory operand o, alignment checked when the form needs */
static IrTemp tr_sse_ea(Dc *dc, const X86Operand *o)
{
    IrTemp a = tr_ea(dc, o);
    if (o->size == 16 && !sse_unaligned_ok(dc->d->id)) {
        tr_sse_align(dc, a);
    }
    return a;
}

static IrTemp tr_env_q(Dc *dc, uint32_t off)
{
    IrTemp t = tr_new(dc);
    ir_ld(dc->f, IR_I64, t, (int32_t)off, IR_MO_64);
    return t;
}

static void tr_env_set_q(Dc *dc, uint32_t off, IrTemp v)
{
    ir_st(dc->f, IR_I64, v, (int32_t)off, IR_MO_64);
}

/* size bytes at a into the register at env offset off, the rest zeroed */
static void tr_sse_ld(Dc *dc, uint32_t off, IrTemp a, unsigned size)
{
    IrTemp lo = tr_mem_ld(dc, a, size < 8 ? size : 8), hi;
    if (size == 16) {
        IrTemp a8 = tr_new(dc);
        ir_op2i(dc->f, IR_ADD, IR_I64, a8, a, 8);
        hi = tr_mem_ld(dc, a8, 8);
    } else {
        hi = tr_const(dc, 0);
    }
    tr_env_set_q(dc, off, lo);
    tr_env_set_q(dc, off + 8, hi);
}

static void tr_sse_st(Dc *dc, uint32_t off, IrTemp a, unsigned size)
{
    IrTemp lo = tr_env_q(dc, off);
    if (size == 16) {
        IrTemp a8 = tr_new(dc), a15 = tr_new(dc), hi = tr_env_q(dc, off + 8);
        if (sse_unaligned_ok(dc->d->id)) { /* probe the last byte */
            ir_op2i(dc->f, IR_ADD, IR_I64, a15, a, 15);
            IrTemp t = tr_new(dc);
            ir_qld(dc->f, IR_I64, t, a15,
                   IR_MO_8 | IR_MO_WRITE | IR_MO_MMU(dc->mmu));
        }
        tr_mem_st(dc, a, lo, 8);
        ir_op2i(dc->f, IR_ADD, IR_I64, a8, a, 8);
        tr_mem_st(dc, a8, hi, 8);
        return;
    }
    tr_mem_st(dc, a, lo, size);
}

/* the env offset holding operand o (memory: loaded into fpu.tmp) */
static uint32_t tr_sse_src(Dc *dc, const X86Operand *o)
{
    if (o->type == XOP_REG) {
        return XMM_OFF(o->reg);
    }
    tr_sse_ld(dc, TMP_OFF, tr_sse_ea(dc, o), o->size);
    return TMP_OFF;
}

/* MOVAPS/MOVUPS/MOVAPD/MOVUPD/MOVDQA/MOVDQU/LDDQU/MOVNT*: 16 bytes */
static void tr_sse_mov128(Dc *dc)
{
    const X86Operand *d = &dc->d->op[0], *s = &dc->d->op[1];
    if (d->type == XOP_MEM) {
        tr_sse_st(dc, XMM_OFF(s->reg), tr_sse_ea(dc, d), 16);
        return;
    }
    if (s->type == XOP_MEM) {
        tr_sse_ld(dc, XMM_OFF(d->reg), tr_sse_ea(dc, s), 16);
        return;
    }
    IrTemp lo = tr_env_q(dc, XMM_OFF(s->reg));
    IrTemp hi = tr_env_q(dc, XMM_OFF(s->reg) + 8);
    tr_env_set_q(dc, XMM_OFF(d->reg), lo);
    tr_env_set_q(dc, XMM_OFF(d->reg) + 8, hi);
}

/*
 * MOVD/MOVQ: to an XMM register the value is zero-extended to 128 bits;
 * from one, the low 4 or 8 bytes go to a GPR or memory (66 0F D6 to a
 * register zeroes the high quadword too).
 */
static void tr_sse_movdq(Dc *dc)
{
    const X86Operand *d = &dc->d->op[0], *s = &dc->d->op[1];
    unsigned size = dc->d->id == XI_MOVD ? 4 : 8;
    if (d->type == XOP_REG && d->cls == XRC_XMM) {
        IrTemp v;
        if (s->type == XOP_REG && s->cls == XRC_XMM) {
            v = tr_env_q(dc, XMM_OFF(s->reg));
        } else if (s->type == XOP_MEM) {
            v = tr_mem_ld(dc, tr_ea(dc, s), size);
        } else {
            v = tr_reg_get(dc, s->reg, size);
        }
        tr_env_set_q(dc, XMM_OFF(d->reg), v);
        tr_env_set_q(dc, XMM_OFF(d->reg) + 8, tr_const(dc, 0));
        return;
    }
    IrTemp v = tr_env_q(dc, XMM_OFF(s->reg));
    if (d->type == XOP_MEM) {
        tr_mem_st(dc, tr_ea(dc, d), v, size);
    } else {
        tr_reg_set(dc, d->reg, size, size == 4 ? tr_zext(dc, v, 4) : v);
    }
}

/* one 4- or 8-byte element between off and a register/memory operand */
static void tr_sse_elem(Dc *dc, uint32_t doff, const X86Operand *s,
                        unsigned size, bool zero_rest)
{
    IrTemp v;
    if (s->type == XOP_MEM) {
        v = tr_mem_ld(dc, tr_ea(dc, s), size);
    } else {
        v = tr_env_q(dc, XMM_OFF(s->reg));
    }
    if (size == 4) {
        IrTemp old = zero_rest ? tr_const(dc, 0) : tr_env_q(dc, doff);
        IrTemp m = tr_new(dc);
        ir_deposit(dc->f, IR_I64, m, old, v, 0, 32);
        v = m;
    }
    tr_env_set_q(dc, doff, v);
    if (zero_rest) {
        tr_env_set_q(dc, doff + 8, tr_const(dc, 0));
    }
}

/* MOVSS/MOVSD, MOVLPS/PD, MOVHPS/PD, MOVHLPS, MOVLHPS */
static bool tr_sse_movpart(Dc *dc)
{
    const X86Operand *d = &dc->d->op[0], *s = &dc->d->op[1];
    unsigned id = dc->d->id;
    unsigned size = id == XI_MOVSS ? 4 : 8;
    switch (id) {
    case XI_MOVSS:
    case XI_MOVSD:
    case XI_MOVLPS:
    case XI_MOVLPD:
        if (d->type == XOP_MEM) {
            tr_sse_st(dc, XMM_OFF(s->reg), tr_ea(dc, d), size);
        } else {
            bool zero =
                s->type == XOP_MEM && (id == XI_MOVSS || id == XI_MOVSD);
            tr_sse_elem(dc, XMM_OFF(d->reg), s, size, zero);
        }
        return true;
    case XI_MOVHPS:
    case XI_MOVHPD:
        if (d->type == XOP_MEM) {
            tr_mem_st(dc, tr_ea(dc, d), tr_env_q(dc, XMM_OFF(s->reg) + 8), 8);
        } else {
            tr_env_set_q(dc, XMM_OFF(d->reg) + 8,
                         tr_mem_ld(dc, tr_ea(dc, s), 8));
        }
        return true;
    case XI_MOVHLPS:
        tr_env_set_q(dc, XMM_OFF(d->reg), tr_env_q(dc, XMM_OFF(s->reg) + 8));
        return true;
    case XI_MOVLHPS:
        tr_env_set_q(dc, XMM_OFF(d->reg) + 8, tr_env_q(dc, XMM_OFF(s->reg)));
        return true;
    default:
        return false;
    }
}

/* PEXTRW Gd, Udq, Ib and PINSRW Vdq, Ed/Mw, Ib: one word, in IR */
static void tr_sse_word(Dc *dc)
{
    const DecodedInsn *d = dc->d;
    const X86Operand *o0 = &d->op[0], *o1 = &d->op[1];
    uint32_t w = 2 * ((uint32_t)d->op[2].val & 7);
    IrTemp v = tr_new(dc);
    if (d->id == XI_PEXTRW) {
        ir_ld(dc->f, IR_I64, v, (int32_t)(XMM_OFF(o1->reg) + w), IR_MO_16);
        tr_reg_set(dc, o0->reg, 4, v);
        return;
    }
    v = o1->type == XOP_MEM ? tr_mem_ld(dc, tr_ea(dc, o1), 2)
                            : tr_reg_get(dc, o1->reg, 2);
    ir_st(dc->f, IR_I64, v, (int32_t)(XMM_OFF(o0->reg) + w), IR_MO_16);
}

static bool tr_sse_move(Dc *dc)
{
    switch (dc->d->id) {
    case XI_PEXTRW:
    case XI_PINSRW:
        tr_sse_word(dc);
        return true;
    case XI_MOVAPS:
    case XI_MOVUPS:
    case XI_MOVAPD:
    case XI_MOVUPD:
    case XI_MOVDQA:
    case XI_MOVDQU:
    case XI_LDDQU:
    case XI_MOVNTPS:
    case XI_MOVNTPD:
    case XI_MOVNTDQ:
        tr_sse_mov128(dc);
        return true;
    case XI_MOVD:
    case XI_MOVQ:
        tr_sse_movdq(dc);
        return true;
    default:
        return tr_sse_movpart(dc);
    }
}

/* a row of sse_ops: d = op0, s = op1 (or the imm8 count), imm = op2 */
static void tr_sse_op(Dc *dc, const IrHelper *h)
{
    const DecodedInsn *d = dc->d;
    uint32_t doff = XMM_OFF(d->op[0].reg), soff, imm = 0;
    if (d->op[1].type == XOP_IMM) { /* shift by imm8: the count in tmp */
        imm = (uint32_t)d->op[1].val & 0xff;
        tr_env_set_q(dc, TMP_OFF, tr_const(dc, imm));
        soff = TMP_OFF;
    } else {
        soff = tr_sse_src(dc, &d->op[1]);
        imm = d->nops > 2 ? (uint32_t)d->op[2].val & 0xff : 0;
    }
    IrTemp args[] = {c32(dc, doff), c32(dc, soff), c32(dc, imm)};
    ir_call(dc->f, h, 0, args);
}

/* results in a GPR or RFLAGS */
static bool tr_sse_scalar(Dc *dc)
{
    const DecodedInsn *d = dc->d;
    const X86Operand *o0 = &d->op[0], *o1 = &d->op[1];
    IrTemp r = tr_new(dc);
    unsigned id = d->id;
    switch (id) {
    case XI_PMOVMSKB:
    case XI_MOVMSKPS:
    case XI_MOVMSKPD: {
        const IrHelper *h = id == XI_PMOVMSKB   ? &h_pmovmskb
                            : id == XI_MOVMSKPS ? &h_movmskps
                                                : &h_movmskpd;
        IrTemp args[] = {c32(dc, XMM_OFF(o1->reg))};
        ir_call(dc->f, h, r, args);
        tr_reg_set(dc, o0->reg, 4, r);
        return true;
    }
    case XI_UCOMISS:
    case XI_UCOMISD:
    case XI_COMISS:
    case XI_COMISD: {
        uint32_t kind = (id == XI_UCOMISD || id == XI_COMISD ? 1 : 0) |
                        (id == XI_COMISS || id == XI_COMISD ? 2 : 0);
        IrTemp args[] = {c32(dc, XMM_OFF(o0->reg)), c32(dc, tr_sse_src(dc, o1)),
                         c32(dc, kind)};
        ir_call(dc->f, &h_comis, r, args);
        tr_set_cc(dc, CC_OP_EFLAGS, tr_const(dc, 0), r, tr_const(dc, 0));
        return true;
    }
    case XI_CVTSI2SS:
    case XI_CVTSI2SD: {
        uint32_t kind = (id == XI_CVTSI2SD ? 1 : 0) | (o1->size == 8 ? 2 : 0);
        IrTemp args[] = {c32(dc, XMM_OFF(o0->reg)), tr_ld(dc, o1, NULL),
                         c32(dc, kind)};
        ir_call(dc->f, &h_cvtsi2sx, 0, args);
        return true;
    }
    case XI_CVTSS2SI:
    case XI_CVTSD2SI:
    case XI_CVTTSS2SI:
    case XI_CVTTSD2SI: {
        uint32_t kind = (id == XI_CVTSD2SI || id == XI_CVTTSD2SI ? 1 : 0) |
                        (o0->size == 8 ? 2 : 0) |
                        (id == XI_CVTTSS2SI || id == XI_CVTTSD2SI ? 4 : 0);
        IrTemp args[] = {c32(dc, tr_sse_src(dc, o1)), c32(dc, kind)};
        ir_call(dc->f, &h_cvtsx2si, r, args);
        tr_reg_set(dc, o0->reg, o0->size, r);
        return true;
    }
    default:
        return false;
    }
}

static bool tr_sse_known(unsigned id)
{
    switch (id) {
    case XI_MOVUPS ... XI_MOVLHPS: /* MOVUPS/PD, MOVSS/SD, MOVL/HLPS... */
    case XI_MOVHPS ... XI_MOVAPD:  /* MOVHPS/PD, MOVAPS/PD */
    case XI_MOVD ... XI_MOVDQU:
    case XI_PMOVMSKB:
    case XI_MOVMSKPS:
    case XI_MOVMSKPD:
    case XI_UCOMISS ... XI_COMISD:
    case XI_CVTSI2SS:
    case XI_CVTSI2SD:
    case XI_CVTSS2SI:
    case XI_CVTSD2SI:
    case XI_CVTTSS2SI:
    case XI_CVTTSD2SI:
    case XI_MOVNTPS:
    case XI_MOVNTPD:
    case XI_MOVNTDQ:
    case XI_LDDQU:
    case XI_PEXTRW:
    case XI_PINSRW:
        return true;
    default:
        return sse_ops[id] != NULL;
    }
}

/* MMX registers or a VEX encoding: not implemented yet */
static bool tr_sse_unsupported_form(const DecodedInsn *d)
{
    if (x86_insn_is_vex(d)) {
        return true;
    }
    for (unsigned i = 0; i < d->nops; i++) {
        if (d->op[i].type == XOP_REG && d->op[i].cls == XRC_MMX) {
            return true;
        }
    }
    return false;
}

bool tr_sse(Dc *dc)
{
    const DecodedInsn *d = dc->d;
    if (d->id == XI_MOVNTI) {
        IrTemp v = tr_reg_get(dc, d->op[1].reg, d->op[1].size);
        tr_mem_st(dc, tr_ea(dc, &d->op[0]), v, d->op[1].size);
        return true;
    }
    if (d->id == XI_LFENCE || d->id == XI_MFENCE || d->id == XI_SFENCE) {
        return true; /* one vCPU thread: accesses are already ordered */
    }
    if (!tr_sse_known(d->id)) {
        return false;
    }
    if (tr_sse_unsupported_form(d)) {
        log_unimp_once("sse", "%s: MMX and VEX forms raise #UD",
                       x86_insn_name(d->id));
        tr_exception(dc, 6);
        return true;
    }
    if (tr_sse_unavailable(dc) || tr_sse_move(dc) || tr_sse_scalar(dc)) {
        return true;
    }
    tr_sse_op(dc, sse_ops[d->id]);
    return true;
}
