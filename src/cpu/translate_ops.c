/*
 * Generators shared by the x86 instruction families: temps and size
 * conversions, effective addresses (base + index * scale + disp, RIP-
 * relative, 16/32/64-bit wrap, segment bases: FS/GS, and outside 64-bit
 * mode CS and DS/ES/SS when HF_ADDSEG), operand loads/stores through qld/qst
 * (the softmmu fast path), partial-register writes (8/16-bit deposit, 32-bit
 * zero-extension), the lazy flags (cc_op + operands, materialized by pure
 * helpers only where consumed), the stack (RSP, ESP or SP by SS.B, plus the
 * SS base) and block exits.
 */
#include "cpu/translate_int.h"

IrTemp tr_new(Dc *dc)
{
    return ir_temp_new(dc->f, IR_I64);
}

IrTemp tr_const(Dc *dc, uint64_t v)
{
    return ir_const(dc->f, IR_I64, v);
}

unsigned tr_log2(unsigned size)
{
    return size == 8 ? 3 : size == 4 ? 2 : size == 2 ? 1 : 0;
}

static IrTemp tr_ext(Dc *dc, IrTemp v, unsigned size, bool sign)
{
    static const IrOpcode zx[] = {IR_EXT8U, IR_EXT16U, IR_EXT32U};
    static const IrOpcode sx[] = {IR_EXT8S, IR_EXT16S, IR_EXT32S};
    if (size >= 8) {
        return v;
    }
    IrTemp t = tr_new(dc);
    unsigned lg = tr_log2(size);
    ir_op1(dc->f, sign ? sx[lg] : zx[lg], IR_I64, t, v);
    return t;
}

IrTemp tr_zext(Dc *dc, IrTemp v, unsigned size)
{
    return tr_ext(dc, v, size, false);
}

IrTemp tr_sext(Dc *dc, IrTemp v, unsigned size)
{
    return tr_ext(dc, v, size, true);
}

/* ---- registers ---- */

/* a copy: callers may write the register before using the value */
IrTemp tr_reg_get(Dc *dc, unsigned reg, unsigned size)
{
    if (size < 8) {
        return tr_zext(dc, x86_g.regs[reg & 15], size);
    }
    IrTemp t = tr_new(dc);
    ir_mov(dc->f, IR_I64, t, x86_g.regs[reg & 15]);
    return t;
}

void tr_reg_set(Dc *dc, unsigned reg, unsigned size, IrTemp v)
{
    IrTemp r = x86_g.regs[reg & 15];
    if (size == 8) {
        ir_mov(dc->f, IR_I64, r, v);
    } else if (size == 4) {
        ir_op1(dc->f, IR_EXT32U, IR_I64, r, v);
    } else {
        ir_deposit(dc->f, IR_I64, r, r, v, 0, size * 8);
    }
}

static IrTemp tr_reg_op_get(Dc *dc, const X86Operand *o)
{
    if (o->cls == XRC_GPR8HI) {
        IrTemp t = tr_new(dc);
        ir_extract(dc->f, IR_EXTRACT, IR_I64, t, x86_g.regs[(o->reg - 4) & 3],
                   8, 8);
        return t;
    }
    return tr_reg_get(dc, o->reg, o->size);
}

static void tr_reg_op_set(Dc *dc, const X86Operand *o, IrTemp v)
{
    if (o->cls == XRC_GPR8HI) {
        IrTemp r = x86_g.regs[(o->reg - 4) & 3];
        ir_deposit(dc->f, IR_I64, r, r, v, 8, 8);
        return;
    }
    tr_reg_set(dc, o->reg, o->size, v);
}

/* ---- memory ---- */

/*
 * SS-relative addresses (RSP/RBP base, push) end with a marker op
 * "or a, a, 0" (the optimizer folds it away); tr_mo_stack finds the op
 * that last defined an address within the instruction and checks for it.
 */
static void tr_ss_mark(Dc *dc, IrTemp a)
{
    ir_op2i(dc->f, IR_OR, IR_I64, a, a, 0);
}

static uint32_t tr_mo_stack(Dc *dc, IrTemp addr)
{
    const IrFunc *f = dc->f;
    if (addr == x86_g.regs[R_ESP]) {
        return IR_MO_STACK;
    }
    for (uint32_t i = f->nops; i-- > 0;) {
        const IrOp *op = &f->ops[i];
        if (op->opc == IR_INSN_START) {
            return 0;
        }
        if (op->nout == 0 || IR_OUT(op, 0) != addr) {
            continue;
        }
        bool mark = op->opc == IR_OR && IR_IN(op, 0) == addr &&
                    ir_temp_is_const(f, IR_IN(op, 1)) &&
                    f->temps[IR_IN(op, 1)].val == 0;
        return mark ? IR_MO_STACK : 0;
    }
    return 0;
}

/* remember the offset behind lin (the last few of the insn are kept) */
static void tr_seg_record(Dc *dc, IrTemp lin, IrTemp off, unsigned seg,
                          unsigned asize)
{
    unsigned i = dc->nsegchk++ % (unsigned)ARRAY_LEN(dc->segchk);
    dc->segchk[i].lin = lin;
    dc->segchk[i].off = off;
    dc->segchk[i].seg = (uint8_t)seg;
    dc->segchk[i].asize = (uint8_t)asize;
}

/* FS/GS always; outside 64-bit mode CS, and DS/ES/SS when HF_ADDSEG */
static bool tr_seg_has_base(Dc *dc, unsigned seg)
{
    if (seg == XSEG_FS || seg == XSEG_GS) {
        return true;
    }
    if (dc->dmode == X86_MODE64 || seg >= CPU_NB_SEGS) {
        return false;
    }
    return seg == XSEG_CS || dc->addseg;
}

/*
 * Offset a (a temp the caller owns) wrapped to the address size, plus the
 * segment base; outside 64-bit mode the linear address wraps at 4 GiB.
 */
IrTemp tr_seg_addr(Dc *dc, IrTemp a, unsigned addrsize, unsigned seg)
{
    IrFunc *f = dc->f;
    if (addrsize == 4) {
        ir_op1(f, IR_EXT32U, IR_I64, a, a);
    } else if (addrsize == 2) {
        ir_op1(f, IR_EXT16U, IR_I64, a, a);
    }
    if (tr_seg_checked(dc, seg)) {
        IrTemp off = tr_new(dc);
        ir_mov(f, IR_I64, off, a);
        tr_seg_record(dc, a, off, seg, addrsize);
    }
    if (tr_seg_has_base(dc, seg)) {
        IrTemp base = tr_new(dc);
        int32_t off = (int32_t)offsetof(CpuX86, segs[seg].base);
        ir_ld(f, IR_I64, base, off, IR_MO_64);
        ir_op2(f, IR_ADD, IR_I64, a, a, base);
        if (dc->dmode != X86_MODE64) {
            ir_op1(f, IR_EXT32U, IR_I64, a, a);
        }
    }
    if (seg == XSEG_SS) {
        tr_ss_mark(dc, a);
    }
    return a;
}

bool tr_seg_checked(const Dc *dc, unsigned seg)
{
    if (dc->dmode == X86_MODE64 || seg >= CPU_NB_SEGS) {
        return false;
    }
    /* CS-relative data: code is never writable in protected mode */
    return seg == XSEG_CS || (dc->hflags & HF_SEGCHK(seg));
}

/* the record of lin, or of the address lin = rec + k: *k gets k */
static int tr_seg_find(const Dc *dc, IrTemp lin, uint64_t *k)
{
    *k = 0;
    for (int pass = 0; pass < 2; pass++) {
        int n = (int)MIN((unsigned)dc->nsegchk, ARRAY_LEN(dc->segchk));
        for (int i = 0; i < n; i++) {
            if (dc->segchk[i].lin == lin) {
                return i;
            }
        }
        /* lin = rec + const: the op that last defined lin, in this insn */
        const IrFunc *f = dc->f;
        const IrOp *def = NULL;
        for (uint32_t i = f->nops; i-- > 0 && !def;) {
            const IrOp *op = &f->ops[i];
            if (op->opc == IR_INSN_START) {
                break;
            }
            if (op->nout && IR_OUT(op, 0) == lin) {
                def = op;
            }
        }
        if (pass || !def || def->opc != IR_ADD ||
            !ir_temp_is_const(f, IR_IN(def, 1)) || IR_IN(def, 0) == lin) {
            return -1;
        }
        *k = f->temps[IR_IN(def, 1)].val;
        lin = IR_IN(def, 0);
    }
    return -1;
}

void tr_seg_check(Dc *dc, IrTemp lin, unsigned size, bool write)
{
    if (dc->nsegchk == 0) {
        return;
    }
    uint64_t k;
    int i = tr_seg_find(dc, lin, &k);
    if (i < 0) {
        return;
    }
    IrFunc *f = dc->f;
    unsigned seg = dc->segchk[i].seg;
    int32_t lo_off = (int32_t)(write ? offsetof(CpuX86, seg_range[seg].wlo)
                                     : offsetof(CpuX86, seg_range[seg].rlo));
    int32_t hi_off = (int32_t)(write ? offsetof(CpuX86, seg_range[seg].whi)
                                     : offsetof(CpuX86, seg_range[seg].rhi));
    IrTemp first = tr_new(dc), last = tr_new(dc);
    IrTemp lo = tr_new(dc), hi = tr_new(dc);
    /* offsets are below 4 GiB; first + size - 1 is not wrapped */
    ir_op2i(f, IR_ADD, IR_I64, first, dc->segchk[i].off, k);
    if (dc->segchk[i].asize == 2) {
        ir_op1(f, IR_EXT16U, IR_I64, first, first);
    } else {
        ir_op1(f, IR_EXT32U, IR_I64, first, first);
    }
    ir_op2i(f, IR_ADD, IR_I64, last, first, size - 1);
    ir_ld(f, IR_I64, lo, lo_off, IR_MO_32);
    ir_ld(f, IR_I64, hi, hi_off, IR_MO_32);
    uint32_t bad = ir_label_new(f), ok = ir_label_new(f);
    ir_brcond(f, IR_I64, IR_LTU, first, lo, bad);
    ir_brcond(f, IR_I64, IR_LEU, last, hi, ok);
    ir_set_label(f, bad);
    tr_exception(dc, seg == XSEG_SS ? 12 : 13);
    dc->ended = false;
    ir_set_label(f, ok);
}

void tr_seg_derived(Dc *dc, IrTemp lin, IrTemp from, IrTemp delta)
{
    uint64_t k;
    int i = dc->nsegchk ? tr_seg_find(dc, from, &k) : -1;
    if (i < 0) {
        return;
    }
    IrTemp off = tr_new(dc);
    ir_op2(dc->f, IR_ADD, IR_I64, off, dc->segchk[i].off, delta);
    ir_op2i(dc->f, IR_ADD, IR_I64, off, off, k);
    tr_seg_record(dc, lin, off, dc->segchk[i].seg, dc->segchk[i].asize);
}

IrTemp tr_ea_rmw(Dc *dc, const X86Operand *o)
{
    IrTemp a = tr_ea(dc, o);
    tr_seg_check(dc, a, o->size, true);
    return a;
}

IrTemp tr_ea(Dc *dc, const X86Operand *o)
{
    IrFunc *f = dc->f;
    IrTemp a = tr_new(dc);
    if (o->base == XREG_RIP) {
        ir_movi(f, IR_I64, a, dc->next_pc + (uint64_t)o->val);
    } else if (o->base != XREG_NONE) {
        ir_op2i(f, IR_ADD, IR_I64, a, x86_g.regs[o->base & 15],
                (uint64_t)o->val);
    } else {
        ir_movi(f, IR_I64, a, (uint64_t)o->val);
    }
    if (o->index != XREG_NONE) {
        IrTemp ix = tr_new(dc);
        ir_op2i(f, IR_SHL, IR_I64, ix, x86_g.regs[o->index & 15],
                tr_log2(o->scale));
        ir_op2(f, IR_ADD, IR_I64, a, a, ix);
    }
    return tr_seg_addr(dc, a, dc->d->addrsize, o->seg);
}

IrTemp tr_mem_ld(Dc *dc, IrTemp addr, unsigned size)
{
    tr_seg_check(dc, addr, size, false);
    IrTemp t = tr_new(dc);
    ir_qld(dc->f, IR_I64, t, addr,
           tr_log2(size) | IR_MO_MMU(dc->mmu) | tr_mo_stack(dc, addr));
    return t;
}

void tr_mem_st(Dc *dc, IrTemp addr, IrTemp v, unsigned size)
{
    tr_seg_check(dc, addr, size, true);
    ir_qst(dc->f, IR_I64, v, addr,
           tr_log2(size) | IR_MO_MMU(dc->mmu) | tr_mo_stack(dc, addr));
}

/* value of o, zero-extended; *addr gets the address of a memory operand */
IrTemp tr_ld(Dc *dc, const X86Operand *o, IrTemp *addr)
{
    switch (o->type) {
    case XOP_REG:
        return tr_reg_op_get(dc, o);
    case XOP_MEM: {
        IrTemp a = tr_ea(dc, o);
        if (addr) {
            *addr = a;
        }
        return tr_mem_ld(dc, a, o->size);
    }
    default:
        return tr_const(dc, (uint64_t)o->val);
    }
}

/*
 * A read-modify-write destination. Hardware reads it with write intent: a
 * fault on a not-present or read-only page reports W = 1. The load carries
 * IR_MO_WRITE, so tlb_ld_slow checks write permission before reading.
 */
IrTemp tr_ld_rmw(Dc *dc, const X86Operand *o, IrTemp *addr)
{
    if (o->type != XOP_MEM) {
        return tr_ld(dc, o, addr);
    }
    IrTemp a = tr_ea(dc, o);
    IrTemp t = tr_new(dc);
    if (addr) {
        *addr = a;
    }
    tr_seg_check(dc, a, o->size, true);
    ir_qld(dc->f, IR_I64, t, a,
           tr_log2(o->size) | IR_MO_MMU(dc->mmu) | IR_MO_WRITE |
               tr_mo_stack(dc, a));
    return t;
}

/* write v to o; addr: the address from tr_ld, or IR temp -1 to compute */
void tr_st(Dc *dc, const X86Operand *o, IrTemp addr, IrTemp v)
{
    if (o->type == XOP_REG) {
        tr_reg_op_set(dc, o, v);
        return;
    }
    if (addr == (IrTemp)-1) {
        addr = tr_ea(dc, o);
    }
    tr_mem_st(dc, addr, v, o->size);
}

/* ---- stack: RSP in 64-bit mode, else ESP or SP (SS.B) plus SS base ---- */

unsigned tr_stack_size(Dc *dc)
{
    unsigned os = dc->d->opsize;
    if (dc->dmode == X86_MODE64) {
        return os == 2 ? 2 : 8;
    }
    return os;
}

static unsigned tr_sp_width(Dc *dc)
{
    return dc->dmode == X86_MODE64 ? 8 : dc->ss32 ? 4 : 2;
}

IrTemp tr_stack_addr(Dc *dc, IrTemp sp)
{
    if (dc->dmode == X86_MODE64) {
        if (sp != x86_g.regs[R_ESP]) {
            tr_ss_mark(dc, sp);
        }
        return sp;
    }
    IrTemp a = tr_new(dc);
    ir_mov(dc->f, IR_I64, a, sp);
    return tr_seg_addr(dc, a, tr_sp_width(dc), XSEG_SS);
}

/* rSP = sp at the stack width (16-bit: SP only, the rest kept) */
static void tr_sp_set(Dc *dc, IrTemp sp)
{
    tr_reg_set(dc, R_ESP, tr_sp_width(dc), sp);
}

IrTemp tr_sp_plus(Dc *dc, uint64_t n)
{
    IrFunc *f = dc->f;
    IrTemp rsp = x86_g.regs[R_ESP];
    IrTemp t = tr_new(dc);
    ir_op2i(f, IR_ADD, IR_I64, t, rsp, n);
    unsigned w = tr_sp_width(dc);
    if (w == 4) {
        ir_op1(f, IR_EXT32U, IR_I64, t, t);
    } else if (w == 2) {
        ir_deposit(f, IR_I64, t, rsp, t, 0, 16);
    }
    return t;
}

void tr_sp_add(Dc *dc, uint64_t n)
{
    ir_mov(dc->f, IR_I64, x86_g.regs[R_ESP], tr_sp_plus(dc, n));
}

void tr_push(Dc *dc, IrTemp v, unsigned size)
{
    IrTemp sp = tr_new(dc);
    ir_op2i(dc->f, IR_SUB, IR_I64, sp, x86_g.regs[R_ESP], size);
    tr_mem_st(dc, tr_stack_addr(dc, sp), v, size);
    tr_sp_set(dc, sp);
}

IrTemp tr_pop_ld(Dc *dc, unsigned size)
{
    return tr_mem_ld(dc, tr_stack_addr(dc, x86_g.regs[R_ESP]), size);
}

/* ---- exits ---- */

uint64_t tr_br_wrap(Dc *dc, uint64_t target, unsigned size)
{
    if (dc->dmode == X86_MODE64) {
        return target;
    }
    return size == 2 ? target & 0xffff : target & 0xffffffffu;
}

/* the bits above a canonical address's significant ones (48, or 57) */
static unsigned tr_canon_shift(const Dc *dc)
{
    return (dc->hflags & HF_LA57) ? 64 - 57 : 64 - 48;
}

/* outside 64-bit mode, or canonical: the bits above the top one equal it */
bool tr_target_ok(Dc *dc, uint64_t target)
{
    unsigned sh = tr_canon_shift(dc);
    return dc->dmode != X86_MODE64 ||
           (uint64_t)((int64_t)(target << sh) >> sh) == target;
}

/* chained: straight into the next block; unchained: RIP, then exit */
static const IrHelper h_single_step = {
    "single_step", (void *)helper_single_step,       0, IRH_VOID,
    {0},           IRH_ENV | IRH_RAISE | IRH_RD_GLOB};

/*
 * Single-step (SDM 17.3.1.4): a block translated with RFLAGS.TF set holds
 * one instruction, and whichever way it leaves, it raises the #DB trap with
 * RIP at the next instruction or the branch target. An instruction that
 * sets TF is not trapped (its block was translated without TF); one that
 * clears it is.
 */
static bool tr_single_step(Dc *dc)
{
    if (!(dc->env->hflags & HF_TF)) {
        return false;
    }
    ir_call(dc->f, &h_single_step, 0, NULL);
    ir_exit_tb(dc->f, IR_EXIT_FRONTEND); /* not reached */
    dc->ended = true;
    return true;
}

/* leave for the dispatcher; RIP is already set */
void tr_exit(Dc *dc, IrExit why)
{
    if (!tr_single_step(dc)) {
        ir_exit_tb(dc->f, why);
        dc->ended = true;
    }
}

/*
 * May a direct jump to target chain (goto_tb)? A chained jump is taken
 * without a lookup, so it must stay valid for as long as this block is:
 * with paging on, only a target on the block's own virtual page is (its
 * mapping is the one this block was looked up under). Other targets go
 * through the jump cache, whose entries die with every mapping change.
 * Without paging, linear = physical (A20 changes flush every TB).
 */
static bool tr_chainable(const Dc *dc, uint64_t target)
{
    if (!(dc->hflags & HF_PG)) {
        return true;
    }
    return ((dc->cs_base + target) & TCG_PAGE_MASK) ==
           ((dc->cs_base + dc->tb_pc) & TCG_PAGE_MASK);
}

void tr_goto(Dc *dc, uint64_t target, unsigned slot)
{
    if (!tr_target_ok(dc, target)) {
        tr_exception(dc, 13); /* #GP(0) at the branch (SDM JMP, Jcc) */
        return;
    }
    if (dc->env->hflags & HF_TF) {
        ir_movi(dc->f, IR_I64, x86_g.rip, target);
        tr_single_step(dc);
        return;
    }
    if (!tr_chainable(dc, target)) {
        ir_movi(dc->f, IR_I64, x86_g.rip, target);
        ir_goto_ptr(dc->f, x86_g.rip);
        dc->ended = true;
        return;
    }
    ir_goto_tb(dc->f, slot);
    ir_movi(dc->f, IR_I64, x86_g.rip, target);
    ir_exit_tb(dc->f, slot ? IR_EXIT_TB1 : IR_EXIT_TB0);
    dc->ended = true;
}

void tr_jump_ind(Dc *dc, IrTemp target)
{
    ir_mov(dc->f, IR_I64, x86_g.rip, target);
    if (tr_single_step(dc)) {
        return;
    }
    ir_goto_ptr(dc->f, x86_g.rip);
    dc->ended = true;
}

static const IrHelper h_raise = {
    "raise_exception", (void *)helper_raise_exception,   2, IRH_VOID,
    {IR_I32, IR_I32},  IRH_ENV | IRH_RAISE | IRH_RD_GLOB};
static const IrHelper h_trap = {
    "raise_trap", (void *)helper_raise_trap,        1, IRH_VOID,
    {IR_I32},     IRH_ENV | IRH_RAISE | IRH_RD_GLOB};

void tr_exception(Dc *dc, unsigned vector)
{
    IrTemp args[] = {ir_const(dc->f, IR_I32, vector),
                     ir_const(dc->f, IR_I32, 0)};
    ir_movi(dc->f, IR_I64, x86_g.rip, dc->pc);
    ir_call(dc->f, &h_raise, 0, args);
    ir_exit_tb(dc->f, IR_EXIT_FRONTEND); /* not reached */
    dc->ended = true;
}

void tr_trap(Dc *dc, unsigned vector)
{
    IrTemp args[] = {ir_const(dc->f, IR_I32, vector)};
    ir_movi(dc->f, IR_I64, x86_g.rip, dc->next_pc);
    ir_call(dc->f, &h_trap, 0, args);
    ir_exit_tb(dc->f, IR_EXIT_FRONTEND); /* not reached */
    dc->ended = true;
}

/*
 * 64-bit mode: #GP(0) at this instruction when target is not canonical.
 * Callers check before changing any state (CALL pushes nothing, RET leaves
 * RSP), so the fault is precise; the block goes on after the check.
 */
void tr_canon_check(Dc *dc, IrTemp target)
{
    if (dc->dmode != X86_MODE64) {
        return;
    }
    IrFunc *f = dc->f;
    IrTemp t = tr_new(dc);
    uint32_t ok = ir_label_new(f);
    ir_op2i(f, IR_SHL, IR_I64, t, target, tr_canon_shift(dc));
    ir_op2i(f, IR_SAR, IR_I64, t, t, tr_canon_shift(dc));
    ir_brcond(f, IR_I64, IR_EQ, t, target, ok);
    tr_exception(dc, 13);
    dc->ended = false;
    ir_set_label(f, ok);
}
