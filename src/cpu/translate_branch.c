/*
 * Control flow: Jcc, LOOPcc, JrCXZ, JMP, CALL, RET (near, relative and
 * indirect), and INT3 / UD2 as exceptions (PUSH/POP/PUSHF/POPF are in
 * translate_stack.c). Direct targets leave through goto_tb
 * (chained by the dispatcher, also across pages), indirect ones through
 * goto_ptr (jump cache probe). In 64-bit mode near branches use 64-bit operands
 * (Intel ignores 66h there) and the stack width is 8 bytes, or 2 with 66h;
 * a non-canonical target raises #GP(0) at the branch. In 16/32-bit code the
 * target wraps to the operand size and CALL/RET move 2 or 4 bytes.
 */
#include "cpu/translate_int.h"

#include "util/log.h"

/* rel8/rel16/rel32 target; outside 64-bit mode wrapped to the operand size */
static uint64_t br_target(Dc *dc)
{
    return tr_br_wrap(dc, dc->next_pc + (uint64_t)dc->d->op[0].val,
                      dc->d->opsize);
}

static void op_jcc_Jb(Dc *dc, CcCond cond)
{
    uint32_t taken = ir_label_new(dc->f);
    tr_jcc(dc, cond, taken); /* cmp; jcc when the producer is known */
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

/*
 * Near CALL/RET push and pop the return address at the stack operand size
 * (64-bit mode: 8, or 2 with 66h). A non-canonical target raises #GP(0) at
 * the branch before anything is pushed or popped (SDM CALL, RET).
 */
static void op_call_Jz(Dc *dc)
{
    uint64_t target = br_target(dc);
    if (!tr_target_ok(dc, target)) {
        tr_exception(dc, 13);
        return;
    }
    tr_push(dc, tr_const(dc, dc->next_pc), tr_stack_size(dc));
    tr_goto(dc, target, 0);
}

/* the target is read before the push: call [rsp] sees the old stack */
static void op_call_Ev(Dc *dc)
{
    IrTemp t = tr_ld(dc, &dc->d->op[0], NULL);
    tr_canon_check(dc, t);
    tr_push(dc, tr_const(dc, dc->next_pc), tr_stack_size(dc));
    tr_jump_ind(dc, t);
}

static void op_ret(Dc *dc)
{
    unsigned size = tr_stack_size(dc);
    IrTemp t = tr_pop_ld(dc, size);
    uint64_t adj = size;
    if (dc->d->nops && dc->d->op[0].type == XOP_IMM) {
        adj += (uint64_t)dc->d->op[0].val & 0xffff;
    }
    tr_canon_check(dc, t);
    tr_sp_add(dc, adj);
    tr_jump_ind(dc, t);
}

static void op_jmp_Ev(Dc *dc)
{
    IrTemp t = tr_ld(dc, &dc->d->op[0], NULL);
    tr_canon_check(dc, t);
    tr_jump_ind(dc, t);
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
        op_jmp_Ev(dc);
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
    case XI_POP:
    case XI_PUSHF:
    case XI_POPF:
        return tr_stack(dc); /* translate_stack.c */
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
