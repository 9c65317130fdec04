/*
 * x86 front end: segment register loads and far transfers (SDM vol. 2
 * MOV Sreg, LDS/LES/LFS/LGS/LSS, JMP/CALL/RET far, IRET). The loads and jumps
 * are helpers (helper.c, helper_seg.c: descriptor checks in protected
 * mode, selector << 4 in real and V86 mode) and the block ends after them
 * through the dispatcher, as hflags (CS.L/D, SS.B, segment bases) change.
 */
#include "cpu/translate_int.h"

static const IrHelper h_jmp_far = {"jmp_far",
                                   (void *)helper_jmp_far,
                                   4,
                                   IRH_VOID,
                                   {IR_I32, IR_I64, IR_I64, IR_I32},
                                   IRH_ENV | IRH_RD_GLOB | IRH_WR_GLOB |
                                       IRH_RAISE};
static const IrHelper h_call_far = {"call_far",
                                    (void *)helper_call_far,
                                    4,
                                    IRH_VOID,
                                    {IR_I32, IR_I64, IR_I64, IR_I32},
                                    IRH_ENV | IRH_RD_GLOB | IRH_WR_GLOB |
                                        IRH_RAISE};
static const IrHelper h_iret = {
    "iret",
    (void *)helper_iret,
    2,
    IRH_VOID,
    {IR_I32, IR_I64},
    IRH_ENV | IRH_RD_GLOB | IRH_WR_GLOB | IRH_RAISE};
static const IrHelper h_syscall = {
    "syscall", (void *)helper_syscall,
    1,         IRH_VOID,
    {IR_I64},  IRH_ENV | IRH_RD_GLOB | IRH_WR_GLOB | IRH_RAISE};
static const IrHelper h_sysret = {
    "sysret", (void *)helper_sysret,
    1,        IRH_VOID,
    {IR_I32}, IRH_ENV | IRH_RD_GLOB | IRH_WR_GLOB | IRH_RAISE};
static const IrHelper h_sysenter = {
    "sysenter", (void *)helper_sysenter,
    0,          IRH_VOID,
    {0},        IRH_ENV | IRH_RD_GLOB | IRH_WR_GLOB | IRH_RAISE};
static const IrHelper h_sysexit = {
    "sysexit", (void *)helper_sysexit,
    1,         IRH_VOID,
    {IR_I32},  IRH_ENV | IRH_RD_GLOB | IRH_WR_GLOB | IRH_RAISE};
static const IrHelper h_swapgs = {
    "swapgs", (void *)helper_swapgs, 0, IRH_VOID, {0}, IRH_ENV};
static const IrHelper h_load_sys_seg = {
    "load_sys_seg",   (void *)helper_load_sys_seg,      2, IRH_VOID,
    {IR_I32, IR_I32}, IRH_ENV | IRH_RD_GLOB | IRH_RAISE};
static const IrHelper h_ret_far = {"ret_far",
                                   (void *)helper_ret_far,
                                   2,
                                   IRH_VOID,
                                   {IR_I32, IR_I32},
                                   IRH_ENV | IRH_RD_GLOB | IRH_WR_GLOB |
                                       IRH_RAISE};

static const IrHelper h_lar_lsl = {"lar_lsl",
                                   (void *)helper_lar_lsl,
                                   2,
                                   IRH_VOID,
                                   {IR_I32, IR_I32},
                                   IRH_ENV | IRH_RD_GLOB | IRH_WR_GLOB |
                                       IRH_RAISE};
static const IrHelper h_verr_verw = {"verr_verw",
                                     (void *)helper_verr_verw,
                                     2,
                                     IRH_VOID,
                                     {IR_I32, IR_I32},
                                     IRH_ENV | IRH_RD_GLOB | IRH_WR_GLOB |
                                         IRH_RAISE};
static const IrHelper h_arpl = {
    "arpl",      (void *)helper_arpl, 2,
    IRH_RET_I64, {IR_I64, IR_I64},    IRH_ENV | IRH_RD_GLOB | IRH_WR_GLOB};

/*
 * LAR, LSL, VERR, VERW, ARPL: #UD in real and V86 mode; the helpers set
 * ZF (and LAR/LSL the destination when ZF is 1) in env.
 */
static void op_desc_query(Dc *dc)
{
    const DecodedInsn *d = dc->d;
    if (!(dc->hflags & HF_PE) || (dc->hflags & HF_VM)) {
        tr_exception(dc, 6);
        return;
    }
    if (d->id == XI_ARPL) {
        IrTemp addr = 0;
        IrTemp dst = tr_ld_rmw(dc, &d->op[0], &addr);
        IrTemp args[] = {dst, tr_ld(dc, &d->op[1], NULL)};
        IrTemp v = tr_new(dc);
        ir_call(dc->f, &h_arpl, v, args);
        tr_st(dc, &d->op[0], addr, v);
    } else if (d->id == XI_LAR || d->id == XI_LSL) {
        uint32_t op = (d->id == XI_LSL) | d->op[0].reg << 8 | d->opsize << 16;
        IrTemp args[] = {tr_ld(dc, &d->op[1], NULL),
                         ir_const(dc->f, IR_I32, op)};
        ir_call(dc->f, &h_lar_lsl, 0, args);
    } else {
        IrTemp args[] = {tr_ld(dc, &d->op[0], NULL),
                         ir_const(dc->f, IR_I32, d->id == XI_VERW)};
        ir_call(dc->f, &h_verr_verw, 0, args);
    }
    dc->cc_op = CC_OP_DYNAMIC;
}

/* MOV r/m, Sreg (a register gets the selector zero-extended to its size);
 * MOV Sreg, r/m: CS is #UD */
static void op_mov_seg(Dc *dc)
{
    const X86Operand *dst = &dc->d->op[0], *src = &dc->d->op[1];
    if (src->type == XOP_REG && src->cls == XRC_SEG) {
        IrTemp v = tr_new(dc);
        ir_ld(dc->f, IR_I64, v,
              (int32_t)offsetof(CpuX86, segs[src->reg].selector), IR_MO_16);
        if (dst->type == XOP_MEM) {
            tr_mem_st(dc, tr_ea(dc, dst), v, 2);
        } else {
            tr_reg_set(dc, dst->reg, dst->size, v);
        }
        return;
    }
    if (dst->reg == R_CS || dst->reg >= CPU_NB_SEGS) {
        tr_exception(dc, 6);
        return;
    }
    tr_seg_load(dc, dst->reg, tr_ld(dc, src, NULL));
    tr_seg_load_end(dc);
}

/* LDS/LES/LFS/LGS/LSS r, m16:16/32/64: offset, then the selector */
static void op_lxs(Dc *dc, unsigned seg)
{
    unsigned s = dc->d->opsize;
    IrTemp a = tr_ea(dc, &dc->d->op[1]), a2 = tr_new(dc);
    ir_op2i(dc->f, IR_ADD, IR_I64, a2, a, s);
    IrTemp off = tr_mem_ld(dc, a, s);
    IrTemp sel = tr_mem_ld(dc, a2, 2);
    tr_seg_load(dc, seg, sel);
    tr_reg_set(dc, dc->d->op[0].reg, s, off);
    tr_seg_load_end(dc);
}

/* the target of a far JMP/CALL: ptr16:16/32, or m16:16/32/64 */
static void far_target(Dc *dc, IrTemp *sel, IrTemp *off)
{
    const X86Operand *o = &dc->d->op[0];
    unsigned s = dc->d->opsize;
    if (o->type == XOP_FAR) {
        *sel = ir_const(dc->f, IR_I32, o->sel);
        *off = tr_const(dc, (uint64_t)o->val);
        return;
    }
    IrTemp a = tr_ea(dc, o), a2 = tr_new(dc);
    ir_op2i(dc->f, IR_ADD, IR_I64, a2, a, s);
    *off = tr_mem_ld(dc, a, s);
    *sel = tr_mem_ld(dc, a2, 2);
}

static void far_end(Dc *dc)
{
    tr_exit(dc, IR_EXIT_LOOKUP); /* RIP was set by the helper */
}

/* SLDT/STR: the selector; UMIP makes them #GP(0) above CPL 0 */
static void op_store_sys_seg(Dc *dc, bool str)
{
    const X86Operand *o = &dc->d->op[0];
    if ((dc->hflags & HF_UMIP) && (dc->hflags & HF_CPL_MASK)) {
        tr_exception(dc, 13);
        return;
    }
    IrTemp v = tr_new(dc);
    int32_t off = str ? (int32_t)offsetof(CpuX86, tr.selector)
                      : (int32_t)offsetof(CpuX86, ldt.selector);
    ir_ld(dc->f, IR_I64, v, off, IR_MO_16);
    if (o->type == XOP_MEM) {
        tr_mem_st(dc, tr_ea(dc, o), v, 2);
    } else {
        tr_reg_set(dc, o->reg, o->size, v);
    }
}

/* RD/WRFSBASE, RD/WRGSBASE: #UD unless CR4.FSGSBASE */
static void op_fsgsbase(Dc *dc, bool gs, bool write)
{
    const X86Operand *o = &dc->d->op[0];
    if (!(dc->hflags & HF_FSGSBASE)) {
        tr_exception(dc, 6);
        return;
    }
    int32_t off = (int32_t)offsetof(CpuX86, segs[gs ? R_GS : R_FS].base);
    if (!write) {
        IrTemp v = tr_new(dc);
        ir_ld(dc->f, IR_I64, v, off, IR_MO_64);
        tr_reg_set(dc, o->reg, o->size, v);
        return;
    }
    IrTemp v = tr_reg_get(dc, o->reg, o->size);
    if (o->size == 8) {
        tr_canon_check(dc, v); /* #GP(0) for a non-canonical base */
    }
    ir_st(dc->f, IR_I64, v, off, IR_MO_64);
}

bool tr_seg(Dc *dc)
{
    const DecodedInsn *d = dc->d;
    IrTemp sel, off;
    switch (d->id) {
    case XI_MOV_SEG:
        op_mov_seg(dc);
        return true;
    case XI_LAR:
    case XI_LSL:
    case XI_VERR:
    case XI_VERW:
    case XI_ARPL:
        op_desc_query(dc);
        return true;
    case XI_LLDT:
    case XI_LTR: {
        IrTemp args[] = {tr_ld(dc, &d->op[0], NULL),
                         ir_const(dc->f, IR_I32, d->id == XI_LTR)};
        ir_call(dc->f, &h_load_sys_seg, 0, args);
        return true;
    }
    case XI_SLDT:
    case XI_STR:
        op_store_sys_seg(dc, d->id == XI_STR);
        return true;
    case XI_RDFSBASE:
    case XI_RDGSBASE:
    case XI_WRFSBASE:
    case XI_WRGSBASE:
        op_fsgsbase(dc, d->id == XI_RDGSBASE || d->id == XI_WRGSBASE,
                    d->id == XI_WRFSBASE || d->id == XI_WRGSBASE);
        return true;
    case XI_INVD:
    case XI_WBINVD:
        return true; /* no caches to write back or drop */
    case XI_CLFLUSH:
    case XI_CLFLUSHOPT: /* faults as a byte load would; nothing to flush */
        (void)tr_mem_ld(dc, tr_ea(dc, &d->op[0]), 1);
        return true;
    case XI_LDS:
    case XI_LES:
        op_lxs(dc, d->id == XI_LDS ? R_DS : R_ES);
        return true;
    case XI_LSS:
    case XI_LFS:
    case XI_LGS:
        op_lxs(dc, d->id == XI_LSS ? R_SS : d->id == XI_LFS ? R_FS : R_GS);
        return true;
    case XI_JMPF: {
        far_target(dc, &sel, &off);
        IrTemp args[] = {sel, off, tr_const(dc, dc->next_pc),
                         ir_const(dc->f, IR_I32, d->opsize)};
        ir_movi(dc->f, IR_I64, x86_g.rip, dc->pc);
        ir_call(dc->f, &h_jmp_far, 0, args);
        far_end(dc);
        return true;
    }
    case XI_CALLF: {
        far_target(dc, &sel, &off);
        IrTemp args[] = {sel, off, tr_const(dc, dc->next_pc),
                         ir_const(dc->f, IR_I32, d->opsize)};
        ir_movi(dc->f, IR_I64, x86_g.rip, dc->pc);
        ir_call(dc->f, &h_call_far, 0, args);
        far_end(dc);
        return true;
    }
    case XI_RETF: {
        uint32_t imm = d->nops ? (uint32_t)d->op[0].val & 0xffff : 0;
        IrTemp args[] = {ir_const(dc->f, IR_I32, d->opsize),
                         ir_const(dc->f, IR_I32, imm)};
        ir_movi(dc->f, IR_I64, x86_g.rip, dc->pc);
        ir_call(dc->f, &h_ret_far, 0, args);
        far_end(dc);
        return true;
    }
    case XI_SYSCALL: {
        if (!(dc->hflags & HF_CS64) && !cpu_vendor_amd(dc->env)) {
            tr_exception(dc, 6); /* Intel: 64-bit mode only */
            return true;
        }
        IrTemp args[] = {tr_const(dc, dc->next_pc)};
        ir_movi(dc->f, IR_I64, x86_g.rip, dc->pc);
        ir_call(dc->f, &h_syscall, 0, args);
        far_end(dc);
        return true;
    }
    case XI_SYSRET: { /* #UD (SCE) before #GP (CPL): in the helper */
        if (!(dc->hflags & HF_CS64) && !cpu_vendor_amd(dc->env)) {
            tr_exception(dc, 6); /* Intel: 64-bit mode only */
            return true;
        }
        IrTemp args[] = {ir_const(dc->f, IR_I32, (d->rex & 8) ? 8 : 4)};
        ir_movi(dc->f, IR_I64, x86_g.rip, dc->pc);
        ir_call(dc->f, &h_sysret, 0, args);
        far_end(dc);
        return true;
    }
    case XI_SYSENTER:
        ir_movi(dc->f, IR_I64, x86_g.rip, dc->pc);
        ir_call(dc->f, &h_sysenter, 0, NULL);
        far_end(dc);
        return true;
    case XI_SYSEXIT: {
        IrTemp args[] = {ir_const(dc->f, IR_I32, (d->rex & 8) ? 8 : 4)};
        ir_movi(dc->f, IR_I64, x86_g.rip, dc->pc);
        ir_call(dc->f, &h_sysexit, 0, args);
        far_end(dc);
        return true;
    }
    case XI_SWAPGS:
        if (dc->hflags & HF_CPL_MASK) {
            tr_exception(dc, 13);
            return true;
        }
        ir_call(dc->f, &h_swapgs, 0, NULL);
        return true;
    case XI_IRET: {
        IrTemp args[] = {ir_const(dc->f, IR_I32, d->opsize),
                         tr_const(dc, dc->next_pc)};
        ir_movi(dc->f, IR_I64, x86_g.rip, dc->pc);
        ir_call(dc->f, &h_iret, 0, args);
        far_end(dc);
        return true;
    }
    default:
        return false;
    }
}
