/*
 * x86 front end: the string instructions MOVS CMPS SCAS LODS STOS in
 * every size, with REP (F3; F2 acts as REP for MOVS/STOS/LODS, like
 * hardware), REPE/REPNE for CMPS/SCAS, DF = 0/1 (env->df is +1/-1), 64-,
 * 32- or 16-bit address size (rSI/rDI/rCX; 32-bit written back zero-
 * extended, 16-bit as the low word, wrapping at 64 KiB), a segment override
 * on the source and ES for the destination (bases as tr_seg_addr adds them).
 *
 * A REP form is translated as a bounded chunk of STR_UNROLL iterations that
 * ends the block: each iteration does its memory accesses first and only
 * then updates RSI/RDI/RCX, so a fault leaves them exactly as hardware does
 * (the faulting iteration not done; restore_state gives RIP = the REP
 * instruction). After the chunk the block jumps (goto_tb) to its own pc,
 * so the exit-request test at block entry interrupts long loops. RCX = 0
 * does nothing and leaves the flags alone.
 */
#include "cpu/translate_int.h"

#define STR_UNROLL 8

/* the step: +size or -size from env->df */
static IrTemp str_step(Dc *dc, unsigned size)
{
    IrTemp t = tr_new(dc);
    ir_ld(dc->f, IR_I64, t, (int32_t)offsetof(CpuX86, df),
          IR_MO_32 | IR_MO_SIGN);
    ir_op2i(dc->f, IR_SHL, IR_I64, t, t, tr_log2(size));
    return t;
}

/*
 * [rSI] in DS or the override segment, [rDI] always in ES; the offsets wrap
 * at the address size (16/32/64) and get the segment base (tr_seg_addr).
 */
static IrTemp str_src_addr(Dc *dc)
{
    unsigned seg = dc->d->seg == XSEG_NONE ? XSEG_DS : dc->d->seg;
    return tr_seg_addr(dc, tr_reg_get(dc, R_ESI, 8), dc->d->addrsize, seg);
}

static IrTemp str_dst_addr(Dc *dc)
{
    return tr_seg_addr(dc, tr_reg_get(dc, R_EDI, 8), dc->d->addrsize, XSEG_ES);
}

/* reg += step at the address size (32-bit: zero-extended into the GPR) */
static void str_advance(Dc *dc, unsigned reg, IrTemp step)
{
    IrTemp t = tr_new(dc);
    ir_op2(dc->f, IR_ADD, IR_I64, t, x86_g.regs[reg], step);
    tr_reg_set(dc, reg, dc->d->addrsize, t);
}

/* one iteration; returns the CMPS/SCAS difference (zero-extended) or 0 */
static IrTemp str_body(Dc *dc, unsigned id, unsigned size, IrTemp step)
{
    IrTemp r = 0;
    if (id == XI_MOVS) {
        IrTemp v = tr_mem_ld(dc, str_src_addr(dc), size);
        tr_mem_st(dc, str_dst_addr(dc), v, size);
    } else if (id == XI_STOS) {
        tr_mem_st(dc, str_dst_addr(dc), tr_reg_get(dc, R_EAX, size), size);
    } else if (id == XI_LODS) {
        tr_reg_set(dc, R_EAX, size, tr_mem_ld(dc, str_src_addr(dc), size));
    } else {
        /* CMPS reads ES:[rDI] first: a fault on both reports rDI's */
        IrTemp b = tr_mem_ld(dc, str_dst_addr(dc), size);
        IrTemp a = id == XI_CMPS ? tr_mem_ld(dc, str_src_addr(dc), size)
                                 : tr_reg_get(dc, R_EAX, size);
        r = tr_new(dc);
        ir_op2(dc->f, IR_SUB, IR_I64, r, a, b);
        r = tr_zext(dc, r, size);
        tr_set_cc(dc, cc_op_make(CC_CLASS_SUB, tr_log2(size)), r, b,
                  tr_const(dc, 0));
    }
    if (id == XI_MOVS || id == XI_LODS || id == XI_CMPS) {
        str_advance(dc, R_ESI, step);
    }
    if (id != XI_LODS) {
        str_advance(dc, R_EDI, step);
    }
    return r;
}

static const IrHelper h_rep_fast = {"rep_fast",
                                    (void *)helper_rep_fast,
                                    3,
                                    IRH_VOID,
                                    {IR_I32, IR_I64, IR_I64},
                                    IRH_ENV | IRH_RD_GLOB | IRH_WR_GLOB |
                                        IRH_RAISE};

/* REP MOVS/STOS: the bulk part in one page per side (helper_string.c) */
static void str_rep_fast(Dc *dc, unsigned id, unsigned size)
{
    uint32_t info = tr_log2(size) | tr_log2(dc->d->addrsize) << 2 |
                    (id == XI_MOVS ? RS_MOVS : 0) |
                    (dc->dmode == X86_MODE64 ? RS_MODE64 : 0) |
                    dc->mmu << RS_MMU_SHIFT;
    IrTemp args[3] = {tr_const(dc, info),
                      id == XI_MOVS ? str_src_addr(dc) : tr_const(dc, 0),
                      str_dst_addr(dc)};
    ir_call(dc->f, &h_rep_fast, 0, args);
}

/* REP prefix: up to STR_UNROLL iterations, then back to this instruction */
static void str_rep(Dc *dc, unsigned id, unsigned size)
{
    IrFunc *f = dc->f;
    unsigned as = dc->d->addrsize;
    bool cmp = id == XI_CMPS || id == XI_SCAS;
    bool repe = !(dc->d->pfx & XP_REPNE);
    uint32_t done = ir_label_new(f);
    bool tf = dc->env->hflags & HF_TF;
    /* the bulk helper checks no segment limits: those blocks go per
       iteration */
    unsigned sseg = dc->d->seg == XSEG_NONE ? XSEG_DS : dc->d->seg;
    bool segchk = tr_seg_checked(dc, XSEG_ES) ||
                  (id == XI_MOVS && tr_seg_checked(dc, sseg));
    if ((id == XI_MOVS || id == XI_STOS) && !tf && !segchk) {
        str_rep_fast(dc, id, size);
    }
    IrTemp zero = tr_const(dc, 0);
    IrTemp step = str_step(dc, size);
    ir_brcond(f, IR_I64, IR_EQ, tr_reg_get(dc, R_ECX, as), zero, done);
    /* single-step: one iteration per block, like the per-iteration #DB */
    unsigned n = tf ? 1 : STR_UNROLL;
    for (unsigned i = 0; i < n; i++) {
        IrTemp r = str_body(dc, id, size, step);
        IrTemp cnt = tr_new(dc);
        ir_op2i(f, IR_SUB, IR_I64, cnt, x86_g.regs[R_ECX], 1);
        tr_reg_set(dc, R_ECX, as, cnt);
        ir_brcond(f, IR_I64, IR_EQ, tr_reg_get(dc, R_ECX, as), zero, done);
        if (cmp) {
            ir_brcond(f, IR_I64, repe ? IR_NE : IR_EQ, r, zero, done);
        }
    }
    tr_goto(dc, dc->pc, 0);
    ir_set_label(f, done);
    tr_goto(dc, dc->next_pc, 1);
}

bool tr_string(Dc *dc)
{
    unsigned id = dc->d->id;
    if (id != XI_MOVS && id != XI_CMPS && id != XI_SCAS && id != XI_LODS &&
        id != XI_STOS) {
        return false;
    }
    /* the operand of the memory side carries the size (1, 2, 4 or 8) */
    unsigned size = dc->d->op[1].size ? dc->d->op[1].size : dc->d->op[0].size;
    if (dc->d->pfx & (XP_REP | XP_REPNE)) {
        str_rep(dc, id, size);
    } else {
        str_body(dc, id, size, str_step(dc, size));
    }
    return true;
}
