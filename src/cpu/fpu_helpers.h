/*
 * The helpers behind the FPU/SIMD translators (translate_fpu.c,
 * translate_sse.c): the system parts in helper_fpu.c, the vector and
 * scalar operations in helper_sse.c. Every vector helper has one C shape,
 * fn(env, d, s, imm), with d and s byte offsets of 16-byte registers in env
 * (an XMM register or fpu.tmp), so one IrHelper row describes each and the
 * JIT can later replace the hot ones by host instructions.
 */
#ifndef XLAT_CPU_FPU_HELPERS_H
#define XLAT_CPU_FPU_HELPERS_H

#include <stdint.h>

#include "cpu/cpu.h"

/* ---- helper_fpu.c ---- */
/* kind of an XSAVE-family instruction (helper argument) */
enum {
    XS_SAVE = 0,
    XS_SAVEOPT = 1,
    XS_SAVEC = 2,
    XS_SAVES = 3,
    XS_RSTOR = 4,
    XS_RSTORS = 5,
    XS_REXW = 8, /* the 64-bit (REX.W) legacy-region format */
};
void helper_fxsave(CpuX86 *env, uint64_t addr, uint32_t rexw);
void helper_fxrstor(CpuX86 *env, uint64_t addr, uint32_t rexw);
void helper_xsave(CpuX86 *env, uint64_t addr, uint32_t kind);
void helper_xrstor(CpuX86 *env, uint64_t addr, uint32_t kind);
void helper_xgetbv(CpuX86 *env);
void helper_xsetbv(CpuX86 *env);
void helper_ldmxcsr(CpuX86 *env, uint32_t v);
void helper_fldcw(CpuX86 *env, uint32_t v);
void helper_fnclex(CpuX86 *env);
void helper_fninit(CpuX86 *env);
void helper_fwait(CpuX86 *env);
/* FNSTENV/FLDENV/FNSAVE/FRSTOR: op | FENV_32 (32-bit operand size) */
enum { FENV_STENV, FENV_LDENV, FENV_SAVE, FENV_RSTOR, FENV_32 = 4 };
void helper_fpu_env(CpuX86 *env, uint64_t addr, uint32_t op);

/* raise #XM (CR4.OSXMMEXCPT) or #UD for an unmasked SIMD FP exception */
NORETURN void fpu_raise_simd(CpuX86 *env, uintptr_t ra);

/* ---- helper_sse.c ---- */
typedef void SseFn(CpuX86 *env, uint32_t d, uint32_t s, uint32_t imm);
/* clang-format off */
#define SSE_HELPERS(X)                                                         \
    X(pand) X(pandn) X(por) X(pxor) X(paddb) X(paddw) X(paddd) X(paddq)        \
    X(psubb) X(psubw) X(psubd) X(psubq) X(pcmpeqb) X(pcmpeqw) X(pcmpeqd)       \
    X(pcmpgtb) X(pcmpgtw) X(pcmpgtd) X(pminub) X(pmaxub) X(pminsw) X(pmaxsw)   \
    X(paddusb) X(paddusw) X(psubusb) X(psubusw) X(paddsb) X(paddsw)            \
    X(psubsb) X(psubsw) X(pavgb) X(pavgw) X(pmullw) X(pmulhw) X(pmulhuw)       \
    X(pmuludq) X(pmaddwd) X(psadbw) X(punpcklbw) X(punpcklwd) X(punpckldq)     \
    X(punpcklqdq) X(punpckhbw) X(punpckhwd) X(punpckhdq) X(punpckhqdq)         \
    X(packsswb) X(packuswb) X(packssdw) X(pshufd) X(pshuflw) X(pshufhw)        \
    X(psrlw) X(psraw) X(psllw) X(psrld) X(psrad) X(pslld) X(psrlq) X(psllq)    \
    X(psrldq) X(pslldq) X(shufps) X(shufpd) X(unpcklps) X(unpckhps)            \
    X(unpcklpd) X(unpckhpd) X(andnps) X(addps) X(addpd) X(addss) X(addsd)      \
    X(subps) X(subpd) X(subss) X(subsd) X(mulps) X(mulpd) X(mulss) X(mulsd)    \
    X(divps) X(divpd) X(divss) X(divsd) X(minps) X(minpd) X(minss) X(minsd)    \
    X(maxps) X(maxpd) X(maxss) X(maxsd) X(sqrtps) X(sqrtpd) X(sqrtss)          \
    X(sqrtsd) X(cvtps2pd) X(cvtpd2ps) X(cvtss2sd) X(cvtsd2ss) X(cvtdq2ps)      \
    X(cvtps2dq) X(cvttps2dq) X(cvtdq2pd) X(cvtpd2dq) X(cvttpd2dq) X(cmpps)     \
    X(cmppd) X(cmpss) X(cmpsd)
/* clang-format on */
#define X(n)                                                                   \
    void helper_sse_##n(CpuX86 *env, uint32_t d, uint32_t s, uint32_t imm);
SSE_HELPERS(X)
#undef X

/* results to general registers or EFLAGS */
uint64_t helper_pmovmskb(CpuX86 *env, uint32_t s);
uint64_t helper_movmskps(CpuX86 *env, uint32_t s);
uint64_t helper_movmskpd(CpuX86 *env, uint32_t s);
/* COMISS/UCOMISS/COMISD/UCOMISD: the flags (ZF PF CF) in RFLAGS layout;
 * kind: bit 0 double, bit 1 ordered (COMIS*) */
uint64_t helper_comis(CpuX86 *env, uint32_t d, uint32_t s, uint32_t kind);
/* CVTSI2SS/SD: kind bit 0 double, bit 1 64-bit source */
void helper_cvtsi2sx(CpuX86 *env, uint32_t d, uint64_t v, uint32_t kind);
/* CVT(T)SS/SD2SI: kind bit 0 double, bit 1 64-bit result, bit 2 truncate */
uint64_t helper_cvtsx2si(CpuX86 *env, uint32_t s, uint32_t kind);

#endif
