/*
 * x87, SSE and AVX state of the vCPU (CpuX86.fpu) and the FPU/SIMD system
 * parts: CR0.TS/EM/MP and #NM, CR4.OSFXSR/OSXSAVE, FXSAVE/FXRSTOR, the
 * XSAVE family, XGETBV/XSETBV and CPUID leaf 0xD (SDM vol. 1 ch. 8, 10.5,
 * 13; vol. 3A 9.1 for the reset values).
 *
 * The x87 registers are kept physically (R0-R7, ST(i) = R[(TOP + i) & 7])
 * as 80-bit values in memory order (64-bit significand, then sign and
 * exponent), so a host x87 unit can later load them with FLD m80. The tag
 * word is kept abridged (bit i: R[i] is not empty), as FXSAVE stores it;
 * FNSTENV/FNSAVE compute the full tags from the register contents. Vector
 * registers are sized for ZMM0-31 (64 bytes each, 64-byte aligned) so that
 * AVX-512 can follow without a new layout; XMM n is the low 16 bytes.
 */
#ifndef XLAT_CPU_FPU_H
#define XLAT_CPU_FPU_H

#include <stdbool.h>
#include <stdint.h>

#include "util/common.h"

typedef struct FpuReg {
    uint8_t b[10]; /* significand (bits 0-63), sign and exponent */
    uint8_t pad[6];
} FpuReg;

typedef union VecReg {
    uint8_t b[64];
    uint16_t w[32];
    uint32_t d[16];
    uint64_t q[8];
} __attribute__((aligned(64))) VecReg;

typedef struct FpuState {
    VecReg zmm[32];
    VecReg tmp; /* a vector memory operand, loaded by generated code */
    uint64_t k[8];
    FpuReg st[8]; /* physical R0-R7 */
    uint16_t fcw;
    uint16_t fsw; /* TOP in bits 11-13 */
    uint8_t ftw;  /* abridged: bit i set = R[i] not empty */
    uint8_t pad0;
    uint16_t fop; /* last non-control opcode, 11 bits */
    uint64_t fip, fdp;
    uint16_t fcs, fds;
    uint32_t mxcsr;
    uint32_t mxcsr_mask; /* the bits LDMXCSR/FXRSTOR may set */
    uint32_t pad1;
    uint64_t xcr0;
    uint64_t xss; /* IA32_XSS: no supervisor component is implemented */
} FpuState;

/* x87 status and control words (SDM vol. 1 8.1.3, 8.1.5) */
#define FSW_IE 0x0001u
#define FSW_EXC 0x003fu /* IE DE ZE OE UE PE */
#define FSW_SF 0x0040u
#define FSW_ES 0x0080u
#define FSW_C0 0x0100u
#define FSW_C1 0x0200u
#define FSW_C2 0x0400u
#define FSW_TOP_SHIFT 11
#define FSW_TOP (7u << FSW_TOP_SHIFT)
#define FSW_C3 0x4000u
#define FSW_B 0x8000u
#define FCW_EXC_MASKS 0x003fu
#define FCW_INIT 0x037fu
#define FCW_POWERON 0x0040u

/* MXCSR (SDM vol. 1 10.2.3) */
#define MXCSR_FLAGS 0x003fu /* IE DE ZE OE UE PE */
#define MXCSR_DAZ 0x0040u
#define MXCSR_MASKS_SHIFT 7
#define MXCSR_MASKS 0x1f80u
#define MXCSR_RC_SHIFT 13
#define MXCSR_FZ 0x8000u
#define MXCSR_INIT 0x1f80u
#define MXCSR_MASK_DEFAULT 0xffffu /* DAZ supported */

/* XSAVE state components (SDM vol. 1 13.1) */
#define XFEATURE_X87 0x1ull
#define XFEATURE_SSE 0x2ull
#define XFEATURE_YMM 0x4ull
#define XSAVE_LEGACY_SIZE 512u
#define XSAVE_HDR_SIZE 64u
#define XSAVE_YMM_OFF 576u
#define XSAVE_YMM_SIZE 256u
#define XCOMP_BV_COMPACT BIT(63)

/* CR4.OSXMMEXCPT (bit 10): unmasked SIMD FP exceptions raise #XM, else #UD */
#define CR4_OSXMMEXCPT_BIT (1ull << 10)

typedef struct CpuX86 CpuX86;

/* power-on/RESET values (SDM vol. 3A table 9-1); INIT leaves them */
void fpu_reset(CpuX86 *env);
/* FNINIT: the x87 part only */
void fpu_x87_init(CpuX86 *env);

/* XCR0 bits the model supports (leaf 0xD:0 EDX:EAX) */
uint64_t fpu_xcr0_supported(const CpuX86 *env);
/* XSAVE area size of the components in mask, standard or compacted */
uint32_t fpu_xsave_size(uint64_t mask, bool compacted);
/* CPUID leaf 0xD, subleaf; out = EAX EBX ECX EDX (cpuid.c calls it) */
void fpu_cpuid_leaf_d(const CpuX86 *env, uint32_t subleaf, uint32_t out[4]);
/* which components differ from their initial configuration (XINUSE) */
uint64_t fpu_xinuse(const CpuX86 *env);

/* CR4 bits a write must not set in this model (#GP): OSFXSR without FXSR,
 * OSXMMEXCPT without SSE, OSXSAVE without XSAVE */
uint64_t fpu_cr4_reserved(const CpuX86 *env);
/* IA32_XSS (0xDA0, with XSAVES): false if the model has no such MSR;
 * fpu_msr_write returns false (#GP) for a value it refuses */
#define MSR_IA32_XSS 0xda0u
bool fpu_msr_read(const CpuX86 *env, uint32_t msr, uint64_t *v);
bool fpu_msr_known(const CpuX86 *env, uint32_t msr);
bool fpu_msr_write(CpuX86 *env, uint32_t msr, uint64_t v);

/* the full 16-bit tag word from the abridged one and the registers */
uint16_t fpu_full_tag_word(const CpuX86 *env);

#endif
