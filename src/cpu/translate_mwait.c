/*
 * MONITOR and MWAIT (SDM vol. 2): both #UD unless the model has MONITOR
 * (env->features; not in CPU_FEATURES_MAX yet) and above CPL 0 (also
 * V86); #GP(0)
 * for reserved extensions: MONITOR with ECX != 0, MWAIT with ECX[31:1]
 * set (extension 0, break on interrupt, is supported). MONITOR arms the
 * linear address rAX through DS (or the override) after a byte-load
 * check (its segment, its page: #PF there). MWAIT after an armed MONITOR
 * halts the CPU like HLT (env->halted; the vCPU thread sleeps until an
 * event, cpu_halt_wake): with ECX[0] an interrupt wakes it even with IF =
 * 0, without being delivered. MWAIT without an armed MONITOR goes on at
 * the next instruction, as the SDM allows. EAX (the C-state hint) is not
 * checked. Not modelled: a store to the monitored line does not end the
 * wait (an interrupt does), so a second vCPU must send one.
 */
#include "cpu/cpu_features.h"
#include "cpu/translate_int.h"

static NORETURN void mwait_gp(CpuX86 *env, uintptr_t ra)
{
    env->exception_index = 13;
    env->error_code = 0;
    env->has_error_code = true;
    tcg_exit_to_dispatcher(ra);
}

/* MONITOR: ECX holds extensions, none is defined */
static void helper_monitor_check(CpuX86 *env, uint64_t ecx)
{
    if ((uint32_t)ecx) {
        mwait_gp(env, TCG_GETPC());
    }
}

/* MWAIT eax, ecx: halts when a MONITOR is armed (RIP is already past) */
static void helper_mwait(CpuX86 *env, uint64_t ecx)
{
    if ((uint32_t)ecx & ~1u) {
        mwait_gp(env, TCG_GETPC());
    }
    if (env->monitor_armed) {
        env->monitor_armed = false;
        env->halted = true;
        env->mwait_irq_break = ecx & 1;
    }
}

static const IrHelper h_monitor_check = {
    "monitor_check", (void *)helper_monitor_check, 1, IRH_VOID,
    {IR_I64},        IRH_ENV | IRH_RAISE};
static const IrHelper h_mwait = {"mwait",  (void *)helper_mwait,
                                 1,        IRH_VOID,
                                 {IR_I64}, IRH_ENV | IRH_RD_GLOB | IRH_RAISE};

static void op_monitor(Dc *dc)
{
    IrTemp ecx[] = {tr_reg_get(dc, R_ECX, 8)};
    ir_call(dc->f, &h_monitor_check, 0, ecx);
    unsigned seg = dc->d->seg == XSEG_NONE ? XSEG_DS : dc->d->seg;
    IrTemp a = tr_reg_get(dc, R_EAX, dc->d->addrsize);
    a = tr_seg_addr(dc, a, dc->d->addrsize, seg);
    (void)tr_mem_ld(dc, a, 1); /* faults as a load would */
    ir_st(dc->f, IR_I64, a, (int32_t)offsetof(CpuX86, monitor_addr), IR_MO_64);
    ir_st(dc->f, IR_I32, ir_const(dc->f, IR_I32, 1),
          (int32_t)offsetof(CpuX86, monitor_armed), IR_MO_8);
}

static void op_mwait(Dc *dc)
{
    IrTemp ecx[] = {tr_reg_get(dc, R_ECX, 8)};
    ir_call(dc->f, &h_mwait, 0, ecx);
    ir_movi(dc->f, IR_I64, x86_g.rip, dc->next_pc);
    tr_exit(dc, IR_EXIT_FRONTEND); /* the loop sees env->halted */
}

bool tr_mwait(Dc *dc)
{
    unsigned id = dc->d->id;
    if (id != XI_MONITOR && id != XI_MWAIT) {
        return false;
    }
    /* the gate passes features outside CPU_FEATURES_MAX: check here */
    if (!cpu_has_feature(dc->env, XFEAT_MONITOR) ||
        (dc->hflags & HF_CPL_MASK)) {
        tr_exception(dc, 6); /* no MONITOR, or CPL > 0 (V86 too): #UD */
        return true;
    }
    if (id == XI_MONITOR) {
        op_monitor(dc);
    } else {
        op_mwait(dc);
    }
    return true;
}
