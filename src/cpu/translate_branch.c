/*
 * Control flow and the stack: Jcc, LOOPcc, JrCXZ, JMP, CALL, RET (near,
 * relative and indirect), PUSH and POP (register, immediate, memory),
 * PUSHF, and INT3 / UD2 as exceptions. Direct targets leave through goto_tb
 * (chained by the dispatcher, also across pages), indirect ones through
 * goto_ptr (jump cache probe). In 64-bit mode near branches use 64-bit operands
 * (Intel ignores 66h there) and the stack width is 8 bytes, or 2 with 66h.
 */
#include "cpu/translate_int.h"

#include "util/log.h"

static uint64_t br_target(Dc *dc)
{
    return dc->next_pc + (uint64_t)dc->d->op[0].val;
}

static void op_jcc_Jb(Dc *dc, CcCond cond)
{
    IrTemp c = tr_cond(dc, cond);
    uint32_t taken = ir_label_new(dc->f);
    ir_brcond(dc->f, IR_I64, IR_NE, c, tr_const(dc, 0), taken);
    tr_goto(dc, dc->next_pc, 0);
    ir_set_label(dc->f, taken);
    tr_goto(dc, br_target(dc), 1);
}

/*
 * LOOP/LOOPE/LOOPNE decrement rCX (the address size picks RCX or ECX) and
 * branch on it (and ZF); JRCXZ/JECXZ only test it. Flags are unchanged.
 */
static void op_loop_Jb(Dc *dc, unsigned id)
{
    IrFunc *f = dc->f;
    unsigned as = dc->d->addrsize;
    IrTemp cnt = tr_reg_get(dc, R_ECX, as);
    IrTemp zero = tr_const(dc, 0);
    uint32_t taken = ir_label_new(f), not_taken = ir_label_new(f);
    if (id == XI_JCXZ) {
        ir_brcond(f, IR_I64, IR_EQ, cnt, zero, taken);
    } else {
        ir_op2i(f, IR_SUB, IR_I64, cnt, cnt, 1);
        cnt = tr_zext(dc, cnt, as);
        tr_reg_set(dc, R_ECX, as, cnt);
        if (id == XI_LOOP) {
            ir_brcond(f, IR_I64, IR_NE, cnt, zero, taken);
        } else {
            IrTemp z = tr_cond(dc, CC_COND_E);
            ir_brcond(f, IR_I64, IR_EQ, cnt, zero, not_taken);
            ir_brcond(f, IR_I64, id == XI_LOOPE ? IR_NE : IR_EQ, z, zero,
                      taken);
        }
    }
    ir_set_label(f, not_taken);
    tr_goto(dc, dc->next_pc, 0);
    ir_set_label(f, taken);
    tr_goto(dc, br_target(dc), 1);
}

static void op_call_Jz(Dc *dc)
{
    tr_push(dc, tr_const(dc, dc->next_pc), 8);
    tr_goto(dc, br_target(dc), 0);
}

/* the target is read before the push: call [rsp] sees the old stack */
static void op_call_Ev(Dc *dc)
{
    IrTemp t = tr_ld(dc, &dc->d->op[0], NULL);
    tr_push(dc, tr_const(dc, dc->next_pc), 8);
    tr_jump_ind(dc, t);
}

static void op_ret(Dc *dc)
{
    IrTemp t = tr_pop_ld(dc, 8);
    uint64_t adj = 8;
    if (dc->d->nops && dc->d->op[0].type == XOP_IMM) {
        adj += (uint64_t)dc->d->op[0].val & 0xffff;
    }
    ir_op2i(dc->f, IR_ADD, IR_I64, x86_g.regs[R_ESP], x86_g.regs[R_ESP], adj);
    tr_jump_ind(dc, t);
}

static unsigned stack_size(Dc *dc)
{
    return dc->d->opsize == 2 ? 2 : 8;
}

static void op_push(Dc *dc)
{
    const X86Operand *o = &dc->d->op[0];
    if (o->type == XOP_REG && o->cls != XRC_GPR) {
        log_unimp_once("translate", "push of a segment register: #UD");
        tr_exception(dc, 6);
        return;
    }
    IrTemp v = tr_ld(dc, o, NULL);
    tr_push(dc, v, stack_size(dc));
}

/* PUSHF: RFLAGS with VM and RF cleared in the image (SDM PUSHF) */
static void op_pushf(Dc *dc)
{
    IrFunc *f = dc->f;
    IrTemp fl = tr_flags(dc);
    IrTemp e = tr_new(dc), df = tr_new(dc);
    ir_ld(f, IR_I64, e, offsetof(CpuX86, eflags), IR_MO_32);
    ir_op2i(f, IR_AND, IR_I64, e, e, ~(uint64_t)(EFL_RF | EFL_VM));
    ir_op2(f, IR_OR, IR_I64, fl, fl, e);
    ir_ld(f, IR_I64, df, offsetof(CpuX86, df), IR_MO_32 | IR_MO_SIGN);
    ir_setcond(f, IR_I64, IR_LT, df, df, tr_const(dc, 0));
    ir_op2i(f, IR_SHL, IR_I64, df, df, 10);
    ir_op2(f, IR_OR, IR_I64, fl, fl, df);
    tr_push(dc, fl, stack_size(dc));
}

/*
 * POP: RSP is incremented before a memory destination's address is
 * computed (SDM POP), but written for good only after the store, so a
 * faulting store leaves RSP as it was.
 */
static void op_pop(Dc *dc)
{
    const X86Operand *o = &dc->d->op[0];
    if (o->type == XOP_REG && o->cls != XRC_GPR) {
        log_unimp_once("translate", "pop of a segment register: #UD");
        tr_exception(dc, 6);
        return;
    }
    unsigned size = stack_size(dc);
    IrFunc *f = dc->f;
    IrTemp rsp = x86_g.regs[R_ESP];
    IrTemp v = tr_pop_ld(dc, size);
    IrTemp old = tr_new(dc);
    IrTemp sp = tr_new(dc);
    ir_mov(f, IR_I64, old, rsp);
    ir_op2i(f, IR_ADD, IR_I64, sp, rsp, size);
    if (o->type == XOP_MEM) {
        ir_mov(f, IR_I64, rsp, sp);
        IrTemp a = tr_ea(dc, o);
        ir_mov(f, IR_I64, rsp, old);
        tr_mem_st(dc, a, v, size);
        ir_mov(f, IR_I64, rsp, sp);
        return;
    }
    ir_mov(f, IR_I64, rsp, sp);
    tr_reg_set(dc, o->reg, size, v);
}

bool tr_branch(Dc *dc)
{
    unsigned id = dc->d->id;
    if (id >= XI_JO && id <= XI_JG) {
        op_jcc_Jb(dc, (CcCond)(id - XI_JO));
        return true;
    }
    switch (id) {
    case XI_LOOPNE:
    case XI_LOOPE:
    case XI_LOOP:
    case XI_JCXZ:
        op_loop_Jb(dc, id);
        return true;
    case XI_JMP:
        tr_goto(dc, br_target(dc), 0);
        return true;
    case XI_JMP_IND:
        tr_jump_ind(dc, tr_ld(dc, &dc->d->op[0], NULL));
        return true;
    case XI_CALL:
        op_call_Jz(dc);
        return true;
    case XI_CALL_IND:
        op_call_Ev(dc);
        return true;
    case XI_RET:
        op_ret(dc);
        return true;
    case XI_PUSH:
        op_push(dc);
        return true;
    case XI_POP:
        op_pop(dc);
        return true;
    case XI_PUSHF:
        op_pushf(dc);
        return true;
    case XI_INT3:
        tr_trap(dc, 3);
        return true;
    case XI_UD2:
        tr_exception(dc, 6);
        return true;
    default:
        return false;
    }
}
