/*
 * x86-64 front end: XADD, CMPXCHG/8B/16B (with and without LOCK),
 * LAHF/SAHF, ENTER/LEAVE, XLAT, CPUID, RDTSC/RDTSCP, CLD/STD (the DF the
 * string instructions use) (SDM vol. 2).
 * Memory accesses come before register writes, so a fault is precise.
 * LOCK XADD/CMPXCHG/CMPXCHG8B use the IR atomics; CMPXCHG16B calls a
 * helper that does `lock cmpxchg16b` on the host pointer of the
 * TLB-translated page (MMIO or code-protected pages: a plain read and
 * write through the slow path). Unlocked CMPXCHG always writes memory
 * back (its own value on failure), like hardware; the locked IR atomic
 * does not write on failure. CPUID answers from the model in cpuid.c;
 * RDTSC/RDTSCP read the TSC of msr.c (the virtual clock, or a counter),
 * RDTSCP and RDPID the TSC_AUX MSR.
 * Also HLT, CLI/STI (CPL/IOPL checks), INT n (gate checks in helper_int),
 * INT1, UD0/UD1 and the PREFETCH hints (NOPs without a memory access).
 */
#include "cpu/seg_int.h"
#include "cpu/translate_int.h"

#include "cpu/cpuid.h"
#include "cpu/msr.h"
#include "mmu/walk.h"

#define CR4_TSD BIT(2)

/* ---- helpers called by generated code ---- */

static NORETURN void sys_raise_gp(CpuX86 *env, uintptr_t ra)
{
    env->exception_index = 13;
    env->error_code = 0;
    env->has_error_code = true;
    tcg_exit_to_dispatcher(ra);
}

static void helper_cpuid(CpuX86 *env)
{
    uint32_t r[4];
    cpuid_query(env, (uint32_t)env->regs[R_EAX], (uint32_t)env->regs[R_ECX], r);
    env->regs[R_EAX] = r[0];
    env->regs[R_EBX] = r[1];
    env->regs[R_ECX] = r[2];
    env->regs[R_EDX] = r[3];
}

/* RDTSC, and RDTSCP when p: CR4.TSD at CPL > 0 is #GP(0) */
static void helper_rdtsc(CpuX86 *env, uint32_t p)
{
    if ((env->cr[4] & CR4_TSD) && cpu_cpl(env) > 0) {
        sys_raise_gp(env, TCG_GETPC());
    }
    uint64_t t = cpu_tsc_read(env);
    env->regs[R_EAX] = (uint32_t)t;
    env->regs[R_EDX] = t >> 32;
    if (p) {
        env->regs[R_ECX] = (uint32_t)env->msr.tsc_aux;
    }
}

static bool sys_cas16(uint64_t *p, uint64_t *lo, uint64_t *hi, uint64_t nlo,
                      uint64_t nhi)
{
#if defined(__x86_64__)
    bool eq;
    __asm__ volatile("lock cmpxchg16b %1"
                     : "=@ccz"(eq), "+m"(*p), "+a"(*lo), "+d"(*hi)
                     : "b"(nlo), "c"(nhi)
                     : "memory");
    return eq;
#else
    bool eq = p[0] == *lo && p[1] == *hi;
    if (eq) {
        p[0] = nlo;
        p[1] = nhi;
    } else {
        *lo = p[0];
        *hi = p[1];
    }
    return eq;
#endif
}

/* CMPXCHG16B m128: returns ZF; RDX:RAX get the old value on failure */
static uint64_t helper_cmpxchg16b(CpuX86 *env, uint64_t addr, uint32_t mmu)
{
    uintptr_t ra = TCG_GETPC();
    if (addr & 15) {
        sys_raise_gp(env, ra);
    }
    uint64_t lo = env->regs[R_EAX], hi = env->regs[R_EDX];
    uint64_t nlo = env->regs[R_EBX], nhi = env->regs[R_ECX];
    uint64_t *p = tlb_probe(env, addr, WALK_WRITE, mmu, ra);
    bool eq;
    if (p && ((uintptr_t)p & 15) == 0) {
        eq = sys_cas16(p, &lo, &hi, nlo, nhi);
    } else {
        uint32_t mo = IR_MO_64 | IR_MO_MMU(mmu);
        uint64_t olo = tlb_ld_slow(env, addr, mo, ra);
        uint64_t ohi = tlb_ld_slow(env, addr + 8, mo, ra);
        eq = olo == lo && ohi == hi;
        tlb_st_slow(env, addr, eq ? nlo : olo, mo, ra);
        tlb_st_slow(env, addr + 8, eq ? nhi : ohi, mo, ra);
        lo = olo;
        hi = ohi;
    }
    if (!eq) {
        env->regs[R_EAX] = lo;
        env->regs[R_EDX] = hi;
    }
    return eq;
}

static const IrHelper h_cpuid = {"cpuid", (void *)helper_cpuid,
                                 0,       IRH_VOID,
                                 {0},     IRH_ENV | IRH_RD_GLOB | IRH_WR_GLOB};
static const IrHelper h_rdtsc = {
    "rdtsc",  (void *)helper_rdtsc,
    1,        IRH_VOID,
    {IR_I32}, IRH_ENV | IRH_RD_GLOB | IRH_WR_GLOB | IRH_RAISE};
static const IrHelper h_cx16 = {"cmpxchg16b",
                                (void *)helper_cmpxchg16b,
                                2,
                                IRH_RET_I64,
                                {IR_I64, IR_I32},
                                IRH_ENV | IRH_RD_GLOB | IRH_WR_GLOB |
                                    IRH_RAISE};

/* ---- generators ---- */

static CcOp sys_cc(CcClass c, unsigned size)
{
    return cc_op_make(c, tr_log2(size));
}

/* the full 64-bit GPR behind a register operand */
static IrTemp sys_full_reg(const X86Operand *o)
{
    return x86_g.regs[o->cls == XRC_GPR8HI ? (o->reg - 4) & 3 : o->reg & 15];
}

/* XADD: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP */
static void op_xadd(Dc *dc, bool lock)
{
    const X86Operand *o0 = &dc->d->op[0], *o1 = &dc->d->op[1];
    unsigned size = o0->size;
    IrTemp src = tr_ld(dc, o1, NULL);
    IrTemp old, addr = (IrTemp)-1;
    if (lock) {
        old = tr_new(dc);
        ir_atomic_rmw(dc->f, IR_ATOMIC_ADD, IR_I64, old, tr_ea_rmw(dc, o0), src,
                      tr_log2(size) | IR_MO_MMU(dc->mmu));
    } else {
        old = tr_ld_rmw(dc, o0, &addr);
    }
    IrTemp r = tr_new(dc);
    ir_op2(dc->f, IR_ADD, IR_I64, r, old, src);
    r = tr_zext(dc, r, size);
    if (o0->type == XOP_MEM) {
        if (!lock) {
            tr_st(dc, o0, addr, r);
        }
        tr_st(dc, o1, (IrTemp)-1, old);
    } else {
        tr_st(dc, o1, (IrTemp)-1, old);
        tr_st(dc, o0, (IrTemp)-1, r);
    }
    tr_set_cc(dc, sys_cc(CC_CLASS_ADD, size), r, src, tr_const(dc, 0));
}

/* v written to the register operand o only when a == b */
static void sys_reg_set_if_eq(Dc *dc, const X86Operand *o, IrTemp a, IrTemp b,
                              IrTemp v)
{
    IrTemp full = sys_full_reg(o);
    IrTemp keep = tr_new(dc);
    ir_mov(dc->f, IR_I64, keep, full);
    tr_st(dc, o, (IrTemp)-1, v);
    ir_movcond(dc->f, IR_I64, IR_EQ, full, a, b, full, keep);
}

/* accumulator = v (at size) only when a != b */
static void sys_acc_set_if_ne(Dc *dc, unsigned reg, unsigned size, IrTemp a,
                              IrTemp b, IrTemp v)
{
    IrTemp full = x86_g.regs[reg];
    IrTemp keep = tr_new(dc);
    ir_mov(dc->f, IR_I64, keep, full);
    tr_reg_set(dc, reg, size, v);
    ir_movcond(dc->f, IR_I64, IR_EQ, full, a, b, keep, full);
}

/*
 * CMPXCHG: compare the accumulator with DEST; equal: ZF = 1, DEST = SRC;
 * else ZF = 0, accumulator = DEST (a memory DEST is written back with its
 * own value unless locked). Flags as CMP accumulator, DEST.
 */
static void op_cmpxchg(Dc *dc, bool lock)
{
    const X86Operand *o0 = &dc->d->op[0], *o1 = &dc->d->op[1];
    unsigned size = o0->size;
    IrTemp acc = tr_reg_get(dc, R_EAX, size);
    IrTemp src = tr_ld(dc, o1, NULL);
    IrTemp old, addr = (IrTemp)-1;
    if (lock) {
        old = tr_new(dc);
        ir_atomic_cmpxchg(dc->f, IR_I64, old, tr_ea_rmw(dc, o0), acc, src,
                          tr_log2(size) | IR_MO_MMU(dc->mmu));
    } else {
        old = tr_ld_rmw(dc, o0, &addr);
    }
    if (o0->type == XOP_MEM && !lock) {
        IrTemp v = tr_new(dc);
        ir_movcond(dc->f, IR_I64, IR_EQ, v, acc, old, src, old);
        tr_st(dc, o0, addr, v);
    } else if (o0->type == XOP_REG) {
        sys_reg_set_if_eq(dc, o0, acc, old, src);
    }
    sys_acc_set_if_ne(dc, R_EAX, size, acc, old, old);
    IrTemp r = tr_new(dc);
    ir_op2(dc->f, IR_SUB, IR_I64, r, acc, old);
    tr_set_cc(dc, sys_cc(CC_CLASS_SUB, size), tr_zext(dc, r, size), old,
              tr_const(dc, 0));
}

/* ZF = (a == b), the other flags kept */
static void sys_set_zf(Dc *dc, IrTemp eq)
{
    IrTemp fl = tr_flags(dc);
    IrTemp z = tr_new(dc);
    ir_op2i(dc->f, IR_AND, IR_I64, fl, fl, ~(uint64_t)CC_Z);
    ir_op2i(dc->f, IR_SHL, IR_I64, z, eq, 6);
    ir_op2(dc->f, IR_OR, IR_I64, fl, fl, z);
    tr_set_cc(dc, CC_OP_EFLAGS, tr_const(dc, 0), fl, tr_const(dc, 0));
}

/* CMPXCHG8B m64: EDX:EAX against m64; equal: m64 = ECX:EBX */
static void op_cmpxchg8b(Dc *dc, bool lock)
{
    IrFunc *f = dc->f;
    const X86Operand *o0 = &dc->d->op[0];
    IrTemp cmpv = tr_new(dc), newv = tr_new(dc), old = tr_new(dc);
    IrTemp t = tr_new(dc), addr = (IrTemp)-1;
    ir_op1(f, IR_EXT32U, IR_I64, cmpv, x86_g.regs[R_EAX]);
    ir_op2i(f, IR_SHL, IR_I64, t, x86_g.regs[R_EDX], 32);
    ir_op2(f, IR_OR, IR_I64, cmpv, cmpv, t);
    ir_op1(f, IR_EXT32U, IR_I64, newv, x86_g.regs[R_EBX]);
    ir_op2i(f, IR_SHL, IR_I64, t, x86_g.regs[R_ECX], 32);
    ir_op2(f, IR_OR, IR_I64, newv, newv, t);
    if (lock) {
        ir_atomic_cmpxchg(f, IR_I64, old, tr_ea_rmw(dc, o0), cmpv, newv,
                          IR_MO_64 | IR_MO_MMU(dc->mmu));
    } else { /* a read with write intent, then the write, as hardware */
        ir_mov(f, IR_I64, old, tr_ld_rmw(dc, o0, &addr));
        IrTemp v = tr_new(dc);
        ir_movcond(f, IR_I64, IR_EQ, v, cmpv, old, newv, old);
        tr_mem_st(dc, addr, v, 8);
    }
    IrTemp hi = tr_new(dc);
    ir_op2i(f, IR_SHR, IR_I64, hi, old, 32);
    sys_acc_set_if_ne(dc, R_EAX, 4, cmpv, old, old);
    sys_acc_set_if_ne(dc, R_EDX, 4, cmpv, old, hi);
    IrTemp eq = tr_new(dc);
    ir_setcond(f, IR_I64, IR_EQ, eq, cmpv, old);
    sys_set_zf(dc, eq);
}

static void op_cmpxchg16b(Dc *dc)
{
    IrTemp eq = tr_new(dc);
    IrTemp args[] = {tr_ea(dc, &dc->d->op[0]),
                     ir_const(dc->f, IR_I32, dc->mmu)};
    ir_call(dc->f, &h_cx16, eq, args);
    sys_set_zf(dc, eq);
}

/* LAHF: AH = SF:ZF:0:AF:0:PF:1:CF; SAHF: those from AH, OF kept */
static void op_lahf_sahf(Dc *dc, bool sahf)
{
    IrFunc *f = dc->f;
    IrTemp fl = tr_flags(dc);
    uint64_t m = CC_S | CC_Z | CC_A | CC_P | CC_C;
    IrTemp t = tr_new(dc);
    if (!sahf) {
        ir_op2i(f, IR_AND, IR_I64, t, fl, m);
        ir_op2i(f, IR_OR, IR_I64, t, t, 2);
        ir_deposit(f, IR_I64, x86_g.regs[R_EAX], x86_g.regs[R_EAX], t, 8, 8);
        return;
    }
    ir_extract(f, IR_EXTRACT, IR_I64, t, x86_g.regs[R_EAX], 8, 8);
    ir_op2i(f, IR_AND, IR_I64, t, t, m);
    ir_op2i(f, IR_AND, IR_I64, fl, fl, CC_O);
    ir_op2(f, IR_OR, IR_I64, fl, fl, t);
    tr_set_cc(dc, CC_OP_EFLAGS, tr_const(dc, 0), fl, tr_const(dc, 0));
}

/*
 * ENTER imm16, imm8 (level masked to 5 bits): every store first, then
 * RBP (BP with 66h) = the frame pointer and RSP = frame - levels - size.
 */
static void op_enter(Dc *dc)
{
    IrFunc *f = dc->f;
    unsigned os = dc->d->opsize;
    uint64_t alloc = (uint64_t)dc->d->op[0].val & 0xffff;
    unsigned level = (unsigned)dc->d->op[1].val & 31;
    IrTemp sp = tr_new(dc), frame = tr_new(dc);
    ir_op2i(f, IR_SUB, IR_I64, sp, x86_g.regs[R_ESP], os);
    tr_mem_st(dc, sp, x86_g.regs[R_EBP], os);
    ir_mov(f, IR_I64, frame, sp);
    for (unsigned i = 1; i < level; i++) {
        IrTemp a = tr_new(dc);
        ir_op2i(f, IR_SUB, IR_I64, a, x86_g.regs[R_EBP], (uint64_t)i * os);
        IrTemp v = tr_mem_ld(dc, a, os);
        ir_op2i(f, IR_SUB, IR_I64, sp, sp, os);
        tr_mem_st(dc, sp, v, os);
    }
    if (level > 0) {
        ir_op2i(f, IR_SUB, IR_I64, sp, sp, os);
        tr_mem_st(dc, sp, frame, os);
    }
    tr_reg_set(dc, R_EBP, os, frame);
    ir_op2i(f, IR_SUB, IR_I64, x86_g.regs[R_ESP], sp, alloc);
}

/* LEAVE: RSP = RBP, then pop RBP (BP with 66h) */
static void op_leave(Dc *dc)
{
    unsigned os = dc->d->opsize;
    IrTemp v = tr_mem_ld(dc, x86_g.regs[R_EBP], os);
    ir_op2i(dc->f, IR_ADD, IR_I64, x86_g.regs[R_ESP], x86_g.regs[R_EBP], os);
    tr_reg_set(dc, R_EBP, os, v);
}

/* XLAT: AL = [seg: rBX + AL] at the address size */
static void op_xlat(Dc *dc)
{
    IrFunc *f = dc->f;
    IrTemp a = tr_reg_get(dc, R_EAX, 1);
    ir_op2(f, IR_ADD, IR_I64, a, a, x86_g.regs[R_EBX]);
    unsigned seg = dc->d->seg == XSEG_NONE ? XSEG_DS : dc->d->seg;
    a = tr_seg_addr(dc, a, dc->d->addrsize, seg); /* 16/32/64, base */
    tr_reg_set(dc, R_EAX, 1, tr_mem_ld(dc, a, 1));
}

/* CLD / STD: env->df = +1 / -1 (the string step direction) */
static void op_cld_std(Dc *dc, bool std)
{
    IrTemp v = ir_const(dc->f, IR_I32, std ? (uint32_t)-1 : 1u);
    ir_st(dc->f, IR_I32, v, (int32_t)offsetof(CpuX86, df), IR_MO_32);
}

static void op_rdtsc(Dc *dc, bool p)
{
    IrTemp args[] = {ir_const(dc->f, IR_I32, p)};
    ir_call(dc->f, &h_rdtsc, 0, args);
}

/* RDPID r32/r64: TSC_AUX (its high half is 0), no CR4.TSD check */
static void op_rdpid(Dc *dc)
{
    const X86Operand *o = &dc->d->op[0];
    IrTemp v = tr_new(dc);
    ir_ld(dc->f, IR_I64, v, (int32_t)offsetof(CpuX86, msr.tsc_aux), IR_MO_32);
    tr_reg_set(dc, o->reg, o->size, v);
}

/* ---- HLT CLI STI, INT n INT1, UD0 UD1, PREFETCHh ---- */

static const IrHelper h_int = {
    "int",    (void *)helper_int, 2,
    IRH_VOID, {IR_I32, IR_I64},   IRH_ENV | IRH_RD_GLOB | IRH_RAISE};

/* STI: IF on; from IF = 0 the next instruction runs in the shadow */
static void helper_sti(CpuX86 *env)
{
    if (!(env->eflags & EFL_IF)) {
        env->hflags |= HF_INHIBIT_IRQ;
    }
    env->eflags |= EFL_IF;
    cpu_update_hflags(env);
}

static const IrHelper h_sti = {"sti",  (void *)helper_sti, 0, IRH_VOID, {0},
                               IRH_ENV};

/* CLI/STI need CPL <= IOPL (no VME/PVI); HLT needs CPL 0 */
static bool sys_iopl_ok(Dc *dc)
{
    uint32_t hf = dc->env->hflags;
    unsigned iopl = (hf & HF_IOPL_MASK) >> HF_IOPL_SHIFT;
    return (hf & HF_VM) ? iopl == 3 : (hf & HF_CPL_MASK) <= iopl;
}

/* leave for the dispatcher at the next instruction (state changed) */
static void sys_exit_lookup(Dc *dc, IrExit why)
{
    ir_movi(dc->f, IR_I64, x86_g.rip, dc->next_pc);
    tr_exit(dc, why);
}

/*
 * CLI / STI: IF in env->eflags. STI ends the block so that a pending
 * interrupt is seen; the one-instruction interrupt shadow after STI is
 * not modelled yet (no interrupt delivery exists).
 */
static void op_cli_sti(Dc *dc, bool sti)
{
    uint32_t hf = dc->env->hflags;
    if (!sys_iopl_ok(dc) && ((hf & HF_VM) || (hf & HF_CPL_MASK) == 3)) {
        ir_movi(dc->f, IR_I64, x86_g.rip, dc->pc); /* VIF: VME, PVI */
        ir_call(dc->f, sti ? &v86_h_sti : &v86_h_cli, 0, NULL);
        return;
    }
    if (!sys_iopl_ok(dc)) {
        tr_exception(dc, 13);
        return;
    }
    if (sti) {
        ir_call(dc->f, &h_sti, 0, NULL);
        sys_exit_lookup(dc, IR_EXIT_LOOKUP);
        return;
    }
    IrTemp e = tr_new(dc);
    int32_t off = (int32_t)offsetof(CpuX86, eflags);
    ir_ld(dc->f, IR_I64, e, off, IR_MO_32);
    ir_op2i(dc->f, IR_AND, IR_I64, e, e, ~(uint64_t)EFL_IF);
    ir_st(dc->f, IR_I64, e, off, IR_MO_32);
}

/* HLT: #GP(0) above CPL 0; else halted, RIP after it, back to the loop */
static void op_hlt(Dc *dc)
{
    if (cpu_cpl(dc->env) != 0) {
        tr_exception(dc, 13);
        return;
    }
    IrTemp one = ir_const(dc->f, IR_I32, 1);
    ir_st(dc->f, IR_I32, one, (int32_t)offsetof(CpuX86, halted), IR_MO_8);
    sys_exit_lookup(dc, IR_EXIT_FRONTEND);
}

static void op_int(Dc *dc)
{
    bool v86 = dc->env->hflags & HF_VM; /* IOPL and VME: helper_v86.c */
    IrTemp args[] = {ir_const(dc->f, IR_I32, (uint32_t)dc->d->op[0].val & 0xff),
                     tr_const(dc, dc->next_pc)};
    ir_movi(dc->f, IR_I64, x86_g.rip, dc->pc);
    ir_call(dc->f, v86 ? &v86_h_int : &h_int, 0, args);
    if (v86) { /* redirected to the 8086 handler: RIP set */
        tr_exit(dc, IR_EXIT_LOOKUP);
        return;
    }
    ir_exit_tb(dc->f, IR_EXIT_FRONTEND); /* not reached */
    dc->ended = true;
}

bool tr_sys_ctl(Dc *dc)
{
    switch (dc->d->id) {
    case XI_HLT:
        op_hlt(dc);
        return true;
    case XI_CLI:
    case XI_STI:
        op_cli_sti(dc, dc->d->id == XI_STI);
        return true;
    case XI_INT:
        op_int(dc);
        return true;
    case XI_INT1: /* ICEBP: #DB as a trap, no gate DPL check */
        tr_trap(dc, 1);
        return true;
    case XI_UD0:
    case XI_UD1:
        tr_exception(dc, 6);
        return true;
    case XI_PREFETCHNTA:
    case XI_PREFETCHT0:
    case XI_PREFETCHT1:
    case XI_PREFETCHT2:
    case XI_PREFETCHW:
        return true; /* hints: no access, never a fault */
    default:
        return false;
    }
}

/* LOCK forms this family owns (memory destination only); false: #UD */
bool tr_sys_locked(Dc *dc)
{
    if (dc->d->op[0].type != XOP_MEM) {
        return false;
    }
    switch (dc->d->id) {
    case XI_XADD:
        op_xadd(dc, true);
        return true;
    case XI_CMPXCHG:
        op_cmpxchg(dc, true);
        return true;
    case XI_CMPXCHG8B:
        op_cmpxchg8b(dc, true);
        return true;
    case XI_CMPXCHG16B:
        op_cmpxchg16b(dc);
        return true;
    default:
        return false;
    }
}

bool tr_sys(Dc *dc)
{
    switch (dc->d->id) {
    case XI_XADD:
        op_xadd(dc, false);
        return true;
    case XI_CMPXCHG:
        op_cmpxchg(dc, false);
        return true;
    case XI_CMPXCHG8B:
        op_cmpxchg8b(dc, false);
        return true;
    case XI_CMPXCHG16B:
        op_cmpxchg16b(dc);
        return true;
    case XI_LAHF:
    case XI_SAHF:
        op_lahf_sahf(dc, dc->d->id == XI_SAHF);
        return true;
    case XI_ENTER:
        op_enter(dc);
        return true;
    case XI_LEAVE:
        op_leave(dc);
        return true;
    case XI_XLAT:
        op_xlat(dc);
        return true;
    case XI_CPUID:
        ir_call(dc->f, &h_cpuid, 0, NULL);
        return true;
    case XI_CLD:
    case XI_STD:
        op_cld_std(dc, dc->d->id == XI_STD);
        return true;
    case XI_RDTSC:
    case XI_RDTSCP:
        op_rdtsc(dc, dc->d->id == XI_RDTSCP);
        return true;
    case XI_RDPID:
        op_rdpid(dc);
        return true;
    default:
        return tr_sys_ctl(dc);
    }
}
