/*
 * PUSH and POP in every form, PUSHF and POPF (SDM vol. 2).
 * PUSH: a GPR (the old RSP for PUSH RSP), a memory operand (read before
 * RSP moves), an immediate (sign-extended to the operand size), a segment
 * register (the selector zero-extended to the operand size). POP: a GPR, a
 * memory operand whose address is computed with RSP already incremented
 * (POP [RSP]), FS/GS (a null selector, or any in real/V86 mode; other
 * selectors need the descriptor loads of the system CPU and raise #GP).
 * Every memory access comes before RSP is written, so faults are precise.
 * PUSHF stores RFLAGS with VM and RF cleared. POPF changes only the bits
 * the current CPL/IOPL allow (helper_popf) and ends the block: through
 * the dispatcher (a TB lookup with the new hflags) when hflags changed
 * or IF was set, else chained to the next instruction. Stack widths and
 * addresses come from tr_stack_size/tr_sp_plus/tr_push (translate_ops.c).
 */
#include "cpu/seg_int.h"
#include "cpu/translate_int.h"

#include "util/log.h"

static const IrHelper h_popf = {
    "popf",      (void *)helper_popf, 2,
    IRH_RET_I64, {IR_I64, IR_I32},    IRH_ENV | IRH_RD_GLOB | IRH_WR_GLOB};
static const IrHelper h_pop_seg = {
    "pop_seg", (void *)helper_pop_seg, 2,
    IRH_VOID,  {IR_I32, IR_I32},       IRH_ENV | IRH_RD_GLOB | IRH_RAISE};

/* V86 mode with IOPL < 3: PUSHF and POPF are #GP(0), or with CR4.VME
 * and a 16-bit operand work on VIF (helper_v86.c); true: done here */
static bool stack_v86_gp(Dc *dc, bool popf)
{
    uint32_t hf = dc->env->hflags;
    if (!(hf & HF_VM) || (hf & HF_IOPL_MASK) == HF_IOPL_MASK) {
        return false;
    }
    if (tr_stack_size(dc) != 2) {
        tr_exception(dc, 13);
        return true;
    }
    IrFunc *f = dc->f;
    ir_movi(f, IR_I64, x86_g.rip, dc->pc);
    if (!popf) {
        IrTemp v = tr_new(dc);
        ir_call(f, &v86_h_pushf, v, NULL);
        tr_push(dc, v, 2);
        return true;
    }
    IrTemp v = tr_pop_ld(dc, 2), chg = tr_new(dc);
    IrTemp args[] = {v};
    ir_call(f, &v86_h_popf, chg, args);
    tr_sp_add(dc, 2);
    dc->cc_op = CC_OP_DYNAMIC;
    ir_movi(f, IR_I64, x86_g.rip, dc->next_pc);
    tr_exit(dc, IR_EXIT_LOOKUP);
    return true;
}

/* the selector of segment register seg, zero-extended */
static IrTemp stack_selector(Dc *dc, unsigned seg)
{
    IrTemp t = tr_new(dc);
    ir_ld(dc->f, IR_I64, t, (int32_t)offsetof(CpuX86, segs[seg].selector),
          IR_MO_16);
    return t;
}

static void op_push(Dc *dc)
{
    const X86Operand *o = &dc->d->op[0];
    IrTemp v;
    if (o->type == XOP_REG && o->cls == XRC_SEG) {
        v = stack_selector(dc, o->reg);
    } else if (o->type == XOP_REG && o->cls != XRC_GPR) {
        log_unimp_once("translate", "push of register class %u: #UD",
                       (unsigned)o->cls);
        tr_exception(dc, 6);
        return;
    } else {
        v = tr_ld(dc, o, NULL);
    }
    tr_push(dc, v, tr_stack_size(dc));
}

void tr_seg_load(Dc *dc, unsigned seg, IrTemp v)
{
    IrTemp sel = tr_new(dc);
    ir_op1(dc->f, IR_EXT16U, IR_I64, sel, v);
    IrTemp args[] = {ir_const(dc->f, IR_I32, seg), sel};
    ir_call(dc->f, &h_pop_seg, 0, args);
}

/* hflags (SS.B, ADDSEG) may have changed: a fresh lookup */
void tr_seg_load_end(Dc *dc)
{
    ir_movi(dc->f, IR_I64, x86_g.rip, dc->next_pc);
    tr_exit(dc, IR_EXIT_LOOKUP);
}

/*
 * POP sreg: the helper loads (or raises) before RSP moves: selector << 4
 * in real and V86 mode, a descriptor load with its checks in protected
 * and long mode.
 */
static void op_pop_seg(Dc *dc, unsigned seg)
{
    unsigned size = tr_stack_size(dc);
    tr_seg_load(dc, seg, tr_pop_ld(dc, size));
    tr_sp_add(dc, size);
    tr_seg_load_end(dc);
}

/*
 * POP: RSP is incremented before a memory destination's address is
 * computed (SDM POP), but written for good only after the store, so a
 * faulting store leaves RSP as it was.
 */
static void op_pop(Dc *dc)
{
    const X86Operand *o = &dc->d->op[0];
    if (o->type == XOP_REG && o->cls == XRC_SEG) {
        op_pop_seg(dc, o->reg);
        return;
    }
    unsigned size = tr_stack_size(dc);
    IrFunc *f = dc->f;
    IrTemp rsp = x86_g.regs[R_ESP];
    IrTemp v = tr_pop_ld(dc, size);
    IrTemp old = tr_new(dc);
    ir_mov(f, IR_I64, old, rsp);
    IrTemp sp = tr_sp_plus(dc, size);
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

/* PUSHF: RFLAGS with VM and RF cleared in the image (SDM PUSHF) */
static void op_pushf(Dc *dc)
{
    if (stack_v86_gp(dc, false)) {
        return;
    }
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
    tr_push(dc, fl, tr_stack_size(dc));
}

/*
 * POPF: the helper merges the image under the CPL/IOPL rules; then RSP
 * moves and the block ends (see the header comment).
 */
static void op_popf(Dc *dc)
{
    if (stack_v86_gp(dc, true)) {
        return;
    }
    IrFunc *f = dc->f;
    unsigned size = tr_stack_size(dc);
    IrTemp v = tr_pop_ld(dc, size);
    IrTemp chg = tr_new(dc);
    IrTemp args[] = {v, ir_const(f, IR_I32, size)};
    ir_call(f, &h_popf, chg, args);
    tr_sp_add(dc, size);
    dc->cc_op = CC_OP_DYNAMIC;
    uint32_t lookup = ir_label_new(f);
    ir_brcond(f, IR_I64, IR_NE, chg, tr_const(dc, 0), lookup);
    tr_goto(dc, dc->next_pc, 0);
    ir_set_label(f, lookup);
    ir_movi(f, IR_I64, x86_g.rip, dc->next_pc);
    tr_exit(dc, IR_EXIT_LOOKUP);
}

bool tr_stack(Dc *dc)
{
    switch (dc->d->id) {
    case XI_PUSH:
        op_push(dc);
        return true;
    case XI_POP:
        op_pop(dc);
        return true;
    case XI_PUSHF:
        op_pushf(dc);
        return true;
    case XI_POPF:
        op_popf(dc);
        return true;
    default:
        return false;
    }
}
