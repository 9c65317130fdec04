/*
 * The CPUID model: what CPUID returns to the guest, from the CPU model in
 * env->model (cpu_models.h; family/model/stepping from
 * env->cpuid_signature). It advertises only what xlat implements, so it
 * differs from the host by design: the difftest checks it with directed
 * tests against this model, never against the host CPU.
 */
#ifndef XLAT_CPU_CPUID_H
#define XLAT_CPU_CPUID_H

#include <stdint.h>

#include "cpu/cpu.h"

#define CPUID_MAX_EXT 0x80000008u /* the highest extended leaf answered */

/* leaf 1 ECX / EDX, leaf 7 EBX, leaf 0x80000001 ECX / EDX bits */
#define CPUID_1_ECX_CX16 BIT(13)
#define CPUID_1_ECX_SSE42 BIT(20)
#define CPUID_1_ECX_MOVBE BIT(22)
#define CPUID_1_ECX_POPCNT BIT(23)
#define CPUID_1_ECX_XSAVE BIT(26)
#define CPUID_1_ECX_OSXSAVE BIT(27)
#define CPUID_1_EDX_FPU BIT(0)
#define CPUID_1_EDX_FXSR BIT(24)
#define CPUID_1_EDX_SSE BIT(25)
#define CPUID_1_EDX_SSE2 BIT(26)
#define CPUID_1_EDX_TSC BIT(4)
#define CPUID_1_EDX_CX8 BIT(8)
#define CPUID_1_EDX_CMOV BIT(15)
#define CPUID_7_EBX_BMI1 BIT(3)
#define CPUID_7_EBX_BMI2 BIT(8)
#define CPUID_7_EBX_ADX BIT(19)
#define CPUID_7_ECX_PKU BIT(3)
#define CPUID_7_ECX_OSPKE BIT(4)
#define CR4_PKE_BIT BIT(22)
#define CPUID_E1_ECX_LAHF BIT(0)
#define CPUID_E1_ECX_LZCNT BIT(5)
#define CPUID_E1_EDX_RDTSCP BIT(27)
#define CPUID_E1_EDX_LM BIT(29)

/* out[0..3] = EAX, EBX, ECX, EDX for leaf/subleaf */
void cpuid_query(const CpuX86 *env, uint32_t leaf, uint32_t subleaf,
                 uint32_t out[4]);

#endif
