/*
 * x86 front end: the FPU/SIMD system instructions (SDM vol. 2 FNINIT,
 * FLDCW, FNSTCW, FNSTSW, FNCLEX, WAIT, FNSTENV, FLDENV, FNSAVE, FRSTOR,
 * FXSAVE, FXRSTOR, LDMXCSR, STMXCSR, XSAVE*, XRSTOR*, XGETBV, XSETBV).
 *
 * The #UD and #NM conditions depend only on CR0.EM/TS/MP and CR4.OSFXSR/
 * OSXSAVE, which are in hflags (the TB key), so they are decided here at
 * translation time (SDM vol. 3A 2.5, vol. 1 13.2): x87
 * instructions #NM under EM or TS, WAIT only under MP and TS; SSE state
 * instructions #UD under EM or without OSFXSR, then #NM under TS; the
 * XSAVE family #UD without OSXSAVE, then #NM under TS. The rest (alignment,
 * reserved bits, the XSAVE header) is the helpers' (helper_fpu.c).
 */
#include "cpu/fpu_helpers.h"
#include "cpu/translate_int.h"

#define H_MEM(name, fn, fl)                                                    \
    static const IrHelper h_##name = {                                         \
        #name, (void *)(fn), 2, IRH_VOID, {IR_I64, IR_I32}, IRH_ENV | (fl)}
H_MEM(fxsave, helper_fxsave, IRH_RAISE);
H_MEM(fxrstor, helper_fxrstor, IRH_RAISE);
H_MEM(xsave, helper_xsave, IRH_RAISE | IRH_RD_GLOB);
H_MEM(xrstor, helper_xrstor, IRH_RAISE | IRH_RD_GLOB);
H_MEM(fpu_env, helper_fpu_env, IRH_RAISE);

static const IrHelper h_xgetbv = {
    "xgetbv", (void *)helper_xgetbv,
    0,        IRH_VOID,
    {0},      IRH_ENV | IRH_RAISE | IRH_RD_GLOB | IRH_WR_GLOB};
static const IrHelper h_xsetbv = {"xsetbv", (void *)helper_xsetbv,
                                  0,        IRH_VOID,
                                  {0},      IRH_ENV | IRH_RAISE | IRH_RD_GLOB};
static const IrHelper h_ldmxcsr = {"ldmxcsr", (void *)helper_ldmxcsr,
                                   1,         IRH_VOID,
                                   {IR_I32},  IRH_ENV | IRH_RAISE};
static const IrHelper h_fldcw = {
    "fldcw", (void *)helper_fldcw, 1, IRH_VOID, {IR_I32}, IRH_ENV};
static const IrHelper h_fnclex = {
    "fnclex", (void *)helper_fnclex, 0, IRH_VOID, {0}, IRH_ENV};
static const IrHelper h_fninit = {
    "fninit", (void *)helper_fninit, 0, IRH_VOID, {0}, IRH_ENV};
static const IrHelper h_fwait = {"fwait", (void *)helper_fwait, 0, IRH_VOID,
                                 {0},     IRH_ENV | IRH_RAISE};

#define FPU_OFF(field) ((int32_t)offsetof(CpuX86, fpu.field))

/* #NM for an x87 instruction: CR0.EM or CR0.TS */
static bool tr_x87_nm(Dc *dc)
{
    if (dc->hflags & (HF_EM | HF_TS)) {
        tr_exception(dc, 7);
        return true;
    }
    return false;
}

bool tr_sse_unavailable(Dc *dc)
{
    if ((dc->hflags & HF_EM) || !(dc->hflags & HF_OSFXSR)) {
        tr_exception(dc, 6);
        return true;
    }
    if (dc->hflags & HF_TS) {
        tr_exception(dc, 7);
        return true;
    }
    return false;
}

/* the XSAVE family: #UD without CR4.OSXSAVE, #GP(0) above CPL 0 for the
 * supervisor forms, then #NM under CR0.TS */
static bool tr_xsave_unavailable(Dc *dc, bool cpl0, bool ts)
{
    if (!(dc->hflags & HF_OSXSAVE)) {
        tr_exception(dc, 6);
        return true;
    }
    if (cpl0 && (dc->hflags & HF_CPL_MASK)) {
        tr_exception(dc, 13);
        return true;
    }
    if (ts && (dc->hflags & HF_TS)) {
        tr_exception(dc, 7);
        return true;
    }
    return false;
}

static void tr_call_mem(Dc *dc, const IrHelper *h, uint32_t arg)
{
    IrTemp args[] = {tr_ea(dc, &dc->d->op[0]), ir_const(dc->f, IR_I32, arg)};
    ir_call(dc->f, h, 0, args);
}

static void tr_call0(Dc *dc, const IrHelper *h)
{
    ir_call(dc->f, h, 0, NULL);
}

static void tr_st_env16(Dc *dc, int32_t off)
{
    const X86Operand *o = &dc->d->op[0];
    IrTemp v = tr_new(dc);
    ir_ld(dc->f, IR_I64, v, off, IR_MO_16);
    if (o->type == XOP_REG) {
        tr_reg_set(dc, o->reg, 2, v); /* FNSTSW AX */
    } else {
        tr_mem_st(dc, tr_ea(dc, o), v, 2);
    }
}

/* x87 control instructions; false: not one of them */
static bool tr_x87_ctl(Dc *dc)
{
    const DecodedInsn *d = dc->d;
    uint32_t env32 = d->opsize >= 4 ? FENV_32 : 0;
    switch (d->id) {
    case XI_FNINIT:
    case XI_FNCLEX:
    case XI_FNOP:
    case XI_FNSTCW:
    case XI_FLDCW:
    case XI_FNSTSW:
    case XI_FNSTENV:
    case XI_FLDENV:
    case XI_FNSAVE:
    case XI_FRSTOR:
        break;
    default:
        return false;
    }
    if (tr_x87_nm(dc)) {
        return true;
    }
    switch (d->id) {
    case XI_FNINIT:
        tr_call0(dc, &h_fninit);
        break;
    case XI_FNCLEX:
        tr_call0(dc, &h_fnclex);
        break;
    case XI_FNSTCW:
        tr_st_env16(dc, FPU_OFF(fcw));
        break;
    case XI_FNSTSW:
        tr_st_env16(dc, FPU_OFF(fsw));
        break;
    case XI_FLDCW: {
        IrTemp v = tr_mem_ld(dc, tr_ea(dc, &d->op[0]), 2);
        IrTemp v32 = tr_new(dc);
        ir_op1(dc->f, IR_EXTRL, IR_I32, v32, v);
        IrTemp args[] = {v32};
        ir_call(dc->f, &h_fldcw, 0, args);
        break;
    }
    case XI_FNSTENV:
        tr_call_mem(dc, &h_fpu_env, FENV_STENV | env32);
        break;
    case XI_FLDENV:
        tr_call_mem(dc, &h_fpu_env, FENV_LDENV | env32);
        break;
    case XI_FNSAVE:
        tr_call_mem(dc, &h_fpu_env, FENV_SAVE | env32);
        break;
    case XI_FRSTOR:
        tr_call_mem(dc, &h_fpu_env, FENV_RSTOR | env32);
        break;
    default: /* FNOP */
        break;
    }
    return true;
}

static void tr_mxcsr(Dc *dc, bool load)
{
    IrTemp a = tr_ea(dc, &dc->d->op[0]);
    if (load) {
        IrTemp v = tr_mem_ld(dc, a, 4), v32 = tr_new(dc);
        ir_op1(dc->f, IR_EXTRL, IR_I32, v32, v);
        IrTemp args[] = {v32};
        ir_call(dc->f, &h_ldmxcsr, 0, args);
    } else {
        IrTemp v = tr_new(dc);
        ir_ld(dc->f, IR_I64, v, FPU_OFF(mxcsr), IR_MO_32);
        tr_mem_st(dc, a, v, 4);
    }
}

/* FXSAVE ... XSETBV; false: not one of them */
static bool tr_fpu_state(Dc *dc)
{
    const DecodedInsn *d = dc->d;
    uint32_t w = (d->rex & 8) ? XS_REXW : 0;
    switch (d->id) {
    case XI_FXSAVE:
    case XI_FXRSTOR:
        if (!tr_x87_nm(dc)) {
            tr_call_mem(dc, d->id == XI_FXSAVE ? &h_fxsave : &h_fxrstor, w);
        }
        return true;
    case XI_LDMXCSR:
    case XI_STMXCSR:
        if (!tr_sse_unavailable(dc)) {
            tr_mxcsr(dc, d->id == XI_LDMXCSR);
        }
        return true;
    case XI_XSAVE:
    case XI_XSAVEOPT:
    case XI_XSAVEC:
    case XI_XSAVES: {
        uint32_t k = d->id == XI_XSAVE      ? XS_SAVE
                     : d->id == XI_XSAVEOPT ? XS_SAVEOPT
                     : d->id == XI_XSAVEC   ? XS_SAVEC
                                            : XS_SAVES;
        if (!tr_xsave_unavailable(dc, k == XS_SAVES, true)) {
            tr_call_mem(dc, &h_xsave, k | w);
        }
        return true;
    }
    case XI_XRSTOR:
    case XI_XRSTORS: {
        bool s = d->id == XI_XRSTORS;
        if (!tr_xsave_unavailable(dc, s, true)) {
            tr_call_mem(dc, &h_xrstor, (s ? XS_RSTORS : XS_RSTOR) | w);
        }
        return true;
    }
    case XI_XGETBV:
    case XI_XSETBV:
        if (!tr_xsave_unavailable(dc, false, false)) {
            tr_call0(dc, d->id == XI_XGETBV ? &h_xgetbv : &h_xsetbv);
        }
        return true;
    default:
        return false;
    }
}

bool tr_fpu(Dc *dc)
{
    if (dc->d->id == XI_WAIT) {
        if ((dc->hflags & (HF_MP | HF_TS)) == (HF_MP | HF_TS)) {
            tr_exception(dc, 7);
        } else {
            tr_call0(dc, &h_fwait);
        }
        return true;
    }
    return tr_x87_ctl(dc) || tr_fpu_state(dc);
}
