/*
 * SYSCALL and SYSRET outside long mode, which only AMD processors run
 * (APM vol. 3 SYSCALL, SYSRET: "legacy mode"); Intel raises #UD there, at
 * translation. Called from helper_seg.c after its EFER.SCE check.
 *
 * SYSCALL: ECX = the next EIP, CS = STAR[47:32] and SS = CS + 8 (flat,
 * 32-bit, DPL 0), EIP = STAR[31:0]; VM, IF and RF are cleared.
 * SYSRET: #GP(0) outside protected mode or above CPL 0; CS =
 * STAR[63:48] | 3 (flat, 32-bit, DPL 3), SS = STAR[63:48] + 8 | 3; EIP =
 * ECX, IF set. Departure: AMD leaves SS's cached attributes as they were
 * (Linux's X86_BUG_SYSRET_SS_ATTRS); xlat loads a flat DPL-3 SS, because
 * its CPL is SS.DPL.
 */
#include "cpu/translate_int.h"

#define SEG_CODE32 (SEG_AR_P | SEG_AR_S | 0xbu | SEG_AR_DB | SEG_AR_G)
#define SEG_DATA (SEG_AR_P | SEG_AR_S | 0x3u | SEG_AR_DB | SEG_AR_G)

void helper_syscall_legacy(CpuX86 *env, uint64_t next)
{
    uint16_t cs = (uint16_t)(env->msr.star >> 32) & 0xfffc;
    env->regs[R_ECX] = (uint32_t)next;
    cpu_seg_set(env, R_CS, cs, 0, 0xffffffff, SEG_CODE32);
    cpu_seg_set(env, R_SS, (uint16_t)(cs + 8), 0, 0xffffffff, SEG_DATA);
    env->rip = (uint32_t)env->msr.star;
    env->eflags &= ~(uint32_t)(EFL_VM | EFL_IF | EFL_RF);
    cpu_update_hflags(env);
}

void helper_sysret_legacy(CpuX86 *env, uintptr_t ra)
{
    if (!(env->hflags & HF_PE) || (env->hflags & HF_VM)) {
        helper_raise_ra(env, 13, 0, ra);
    }
    uint16_t base = (uint16_t)(env->msr.star >> 48);
    cpu_seg_set(env, R_CS, (uint16_t)(base | 3), 0, 0xffffffff,
                SEG_CODE32 | (3u << SEG_AR_DPL_SHIFT));
    cpu_seg_set(env, R_SS, (uint16_t)((base + 8) | 3), 0, 0xffffffff,
                SEG_DATA | (3u << SEG_AR_DPL_SHIFT));
    env->rip = (uint32_t)env->regs[R_ECX];
    env->eflags |= EFL_IF;
    cpu_update_hflags(env);
}
