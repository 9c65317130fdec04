/*
 * The x86-64 front end of the translator: the TcgFrontend callbacks that
 * turn guest instructions into IR (translate*.c), the IR globals for the
 * guest GPRs, RIP and the lazy-flag operands, and the helpers generated
 * code calls (helper.c). cpu/exec.h drives it; tcg/ never sees x86.
 * First slice: 64-bit mode integer instructions only; everything else
 * raises #UD with a log_unimp line.
 */
#ifndef XLAT_CPU_TRANSLATE_H
#define XLAT_CPU_TRANSLATE_H

#include "cpu/cpu.h"
#include "tcg/tcg.h"

/* fill cfg for CpuX86 (offsets, slow paths, front-end callbacks) */
void x86_tcg_config(TcgConfig *cfg, TcgBackendKind backend);
/* register the guest globals on a new context (before any translation) */
void x86_tcg_register_globals(TcgCtx *s);

/* raise a fault: restores the state of the calling insn, leaves the TB */
NORETURN void helper_raise_exception(CpuX86 *env, uint32_t vector,
                                     uint32_t error);
/* raise a trap (INT3): env->rip already points past the instruction */
NORETURN void helper_raise_trap(CpuX86 *env, uint32_t vector);
/* the single-step trap (RFLAGS.TF): #DB with DR6.BS, RIP already set */
NORETURN void helper_single_step(CpuX86 *env);

/* deliver env->exception_index through the IVT/IDT (helper_int.c);
 * false: a triple fault */
bool cpu_deliver(CpuX86 *env, TcgCpu *cpu);

#endif
