/*
 * Generators shared by the x86 instruction families: temps and size
 * conversions, effective addresses (base + index * scale + disp, RIP-
 * relative, FS/GS bases), operand loads/stores through qld/qst (the softmmu
 * fast path), partial-register writes (8/16-bit deposit, 32-bit zero-
 * extension), the lazy flags (cc_op + operands, materialized by pure
 * helpers only where consumed), the stack and block exits.
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

IrTemp tr_ea(Dc *dc, const X86Operand *o)
{
    IrFunc *f = dc->f;
    const DecodedInsn *d = dc->d;
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
    if (d->addrsize == 4) {
        ir_op1(f, IR_EXT32U, IR_I64, a, a);
    }
    if (o->seg == XSEG_FS || o->seg == XSEG_GS) {
        IrTemp base = tr_new(dc);
        int32_t off = (int32_t)offsetof(CpuX86, segs[o->seg].base);
        ir_ld(f, IR_I64, base, off, IR_MO_64);
        ir_op2(f, IR_ADD, IR_I64, a, a, base);
    }
    if (o->seg == XSEG_SS) {
        tr_ss_mark(dc, a);
    }
    return a;
}

IrTemp tr_mem_ld(Dc *dc, IrTemp addr, unsigned size)
{
    IrTemp t = tr_new(dc);
    ir_qld(dc->f, IR_I64, t, addr,
           tr_log2(size) | IR_MO_MMU(dc->mmu) | tr_mo_stack(dc, addr));
    return t;
}

void tr_mem_st(Dc *dc, IrTemp addr, IrTemp v, unsigned size)
{
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

/* ---- lazy flags ---- */

static uint64_t helper_cc_all(uint32_t op, uint64_t dst, uint64_t src,
                              uint64_t src2)
{
    return cc_compute_all((CcOp)op, dst, src, src2);
}

static uint64_t helper_cc_c(uint32_t op, uint64_t dst, uint64_t src,
                            uint64_t src2)
{
    return cc_compute_c((CcOp)op, dst, src, src2);
}

static uint64_t helper_cc_cond(uint32_t cond, uint32_t op, uint64_t dst,
                               uint64_t src, uint64_t src2)
{
    return cc_eval_cond((CcCond)cond, (CcOp)op, dst, src, src2);
}

#define CC_ARGS                                                                \
    {                                                                          \
        IR_I32, IR_I64, IR_I64, IR_I64                                         \
    }
static const IrHelper h_cc_all = {
    "cc_all", (void *)helper_cc_all, 4, IRH_RET_I64, CC_ARGS, IRH_PURE};
static const IrHelper h_cc_c = {
    "cc_c", (void *)helper_cc_c, 4, IRH_RET_I64, CC_ARGS, IRH_PURE};
static const IrHelper h_cc_cond = {"cc_cond",
                                   (void *)helper_cc_cond,
                                   5,
                                   IRH_RET_I64,
                                   {IR_I32, IR_I32, IR_I64, IR_I64, IR_I64},
                                   IRH_PURE};

void tr_set_cc(Dc *dc, CcOp op, IrTemp dst, IrTemp src, IrTemp src2)
{
    IrFunc *f = dc->f;
    ir_mov(f, IR_I64, x86_g.cc_dst, dst);
    ir_mov(f, IR_I64, x86_g.cc_src, src);
    ir_mov(f, IR_I64, x86_g.cc_src2, src2);
    ir_movi(f, IR_I32, x86_g.cc_op, op);
    dc->cc_op = op;
}

static IrTemp tr_cc_call(Dc *dc, const IrHelper *h)
{
    IrTemp r = tr_new(dc);
    IrTemp args[] = {x86_g.cc_op, x86_g.cc_dst, x86_g.cc_src, x86_g.cc_src2};
    ir_call(dc->f, h, r, args);
    return r;
}

IrTemp tr_flags(Dc *dc)
{
    return tr_cc_call(dc, &h_cc_all);
}

IrTemp tr_carry(Dc *dc)
{
    return tr_cc_call(dc, &h_cc_c);
}

IrTemp tr_cond(Dc *dc, CcCond c)
{
    IrTemp r = tr_new(dc);
    IrTemp args[] = {ir_const(dc->f, IR_I32, c), x86_g.cc_op, x86_g.cc_dst,
                     x86_g.cc_src, x86_g.cc_src2};
    ir_call(dc->f, &h_cc_cond, r, args);
    return r;
}

/* ---- stack (64-bit mode: RSP, no segment base) ---- */

void tr_push(Dc *dc, IrTemp v, unsigned size)
{
    IrTemp sp = tr_new(dc);
    ir_op2i(dc->f, IR_SUB, IR_I64, sp, x86_g.regs[R_ESP], size);
    tr_ss_mark(dc, sp);
    tr_mem_st(dc, sp, v, size);
    ir_mov(dc->f, IR_I64, x86_g.regs[R_ESP], sp);
}

IrTemp tr_pop_ld(Dc *dc, unsigned size)
{
    return tr_mem_ld(dc, x86_g.regs[R_ESP], size);
}

/* ---- exits ---- */

/* chained: straight into the next block; unchained: RIP, then exit */
void tr_goto(Dc *dc, uint64_t target, unsigned slot)
{
    ir_goto_tb(dc->f, slot);
    ir_movi(dc->f, IR_I64, x86_g.rip, target);
    ir_exit_tb(dc->f, slot ? IR_EXIT_TB1 : IR_EXIT_TB0);
    dc->ended = true;
}

void tr_jump_ind(Dc *dc, IrTemp target)
{
    ir_mov(dc->f, IR_I64, x86_g.rip, target);
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
