/*
 * SMAP and protection-key instructions (SDM vol. 2; vol. 3A 4.6): STAC and
 * CLAC set and clear RFLAGS.AC at CPL 0, which switches data accesses
 * between the SMAP and no-SMAP MMU indexes (HF_AC), so the block ends;
 * RDPKRU and WRPKRU read and write PKRU under CR4.PKE. The TLB caches the
 * rights the walker granted, protection keys included, so WRPKRU flushes.
 */
#include <stddef.h>

#include "cpu/exec.h"
#include "cpu/translate_int.h"
#include "mmu/tlb.h"

static void helper_set_ac(CpuX86 *env, uint32_t on)
{
    env->eflags = on ? env->eflags | EFL_AC : env->eflags & ~(uint32_t)EFL_AC;
    cpu_update_hflags(env);
}

/* RDPKRU: EDX:EAX = 0:PKRU; #UD without CR4.PKE, #GP(0) if ECX != 0 */
static uint64_t helper_rdpkru(CpuX86 *env, uint64_t ecx)
{
    if (!(env->cr[4] & CR4_PKE)) {
        helper_raise_ra(env, 6, 0, TCG_GETPC());
    }
    if ((uint32_t)ecx) {
        helper_raise_ra(env, 13, 0, TCG_GETPC());
    }
    return env->pkru;
}

/* WRPKRU: PKRU = EAX; #UD without CR4.PKE, #GP(0) unless ECX = EDX = 0 */
static void helper_wrpkru(CpuX86 *env, uint64_t eax, uint64_t ecx, uint64_t edx)
{
    if (!(env->cr[4] & CR4_PKE)) {
        helper_raise_ra(env, 6, 0, TCG_GETPC());
    }
    if ((uint32_t)ecx || (uint32_t)edx) {
        helper_raise_ra(env, 13, 0, TCG_GETPC());
    }
    if (env->pkru != (uint32_t)eax) {
        env->pkru = (uint32_t)eax;
        tlb_flush(env);
    }
}

static const IrHelper h_set_ac = {
    "set_ac", (void *)helper_set_ac, 1, IRH_VOID, {IR_I32}, IRH_ENV};
static const IrHelper h_rdpkru = {"rdpkru", (void *)helper_rdpkru,
                                  1,        IR_I64,
                                  {IR_I64}, IRH_ENV | IRH_RAISE | IRH_RD_GLOB};
static const IrHelper h_wrpkru = {
    "wrpkru", (void *)helper_wrpkru,    3,
    IRH_VOID, {IR_I64, IR_I64, IR_I64}, IRH_ENV | IRH_RAISE | IRH_RD_GLOB};

/* the next instruction is translated again: hflags or the TLB changed */
static void prot_end(Dc *dc)
{
    ir_movi(dc->f, IR_I64, x86_g.rip, dc->next_pc);
    tr_exit(dc, IR_EXIT_LOOKUP);
}

bool tr_prot(Dc *dc)
{
    IrFunc *f = dc->f;
    switch (dc->d->id) {
    case XI_STAC:
    case XI_CLAC: {
        if (dc->hflags & HF_CPL_MASK) {
            tr_exception(dc, 6); /* CPL > 0 (V86 included): #UD */
            return true;
        }
        IrTemp args[] = {ir_const(f, IR_I32, dc->d->id == XI_STAC)};
        ir_call(f, &h_set_ac, 0, args);
        prot_end(dc);
        return true;
    }
    case XI_RDPKRU: {
        IrTemp v = tr_new(dc);
        IrTemp args[] = {x86_g.regs[R_ECX]};
        ir_call(f, &h_rdpkru, v, args);
        ir_mov(f, IR_I64, x86_g.regs[R_EAX], v);
        ir_movi(f, IR_I64, x86_g.regs[R_EDX], 0);
        return true;
    }
    case XI_WRPKRU: {
        IrTemp args[] = {x86_g.regs[R_EAX], x86_g.regs[R_ECX],
                         x86_g.regs[R_EDX]};
        ir_call(f, &h_wrpkru, 0, args);
        prot_end(dc);
        return true;
    }
    default:
        return false;
    }
}
