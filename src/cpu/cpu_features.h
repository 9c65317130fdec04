/*
 * The guest CPU model as a feature set: a mask of X86Feature bits
 * (decode.h) held in CpuX86.features. The CPUID model (cpuid.c) advertises
 * from it, and the translator raises #UD for an instruction whose CPUID
 * feature the model lacks, as hardware does (tr_feature_gate). Set the mask
 * before the CPU first runs: translated blocks do not depend on it.
 */
#ifndef XLAT_CPU_CPU_FEATURES_H
#define XLAT_CPU_CPU_FEATURES_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "cpu/decode.h"

#define CPU_FEAT(f) (1ull << XFEAT_##f)

_Static_assert(XFEAT__COUNT <= 64, "X86Feature fits a 64-bit mask");

/* x86-64 with no optional feature xlat can gate */
#define CPU_FEATURES_BASE                                                      \
    (CPU_FEAT(BASE) | CPU_FEAT(CMOV) | CPU_FEAT(CX8) | CPU_FEAT(TSC))
/* QEMU's qemu64: adds CMPXCHG16B and LAHF/SAHF in 64-bit mode */
#define CPU_FEATURES_QEMU64                                                    \
    (CPU_FEATURES_BASE | CPU_FEAT(CX16) | CPU_FEAT(LAHF64))
/* the FPU/SIMD first slice (helper_fpu.c, helper_sse.c): x87 state
 * (control and save instructions), SSE/SSE2, FXSAVE and the XSAVE family */
#define CPU_FEATURES_FPU                                                       \
    (CPU_FEAT(X87) | CPU_FEAT(FXSR) | CPU_FEAT(SSE) | CPU_FEAT(SSE2) |         \
     CPU_FEAT(XSAVE) | CPU_FEAT(XSAVEOPT) | CPU_FEAT(XSAVEC) |                 \
     CPU_FEAT(XSAVES))
/*
 * Everything the translator implements. SSE42 is here for CRC32 only:
 * CPUID does not advertise SSE4.2 while SSE itself is missing.
 */
#define CPU_FEATURES_MAX                                                       \
    (CPU_FEATURES_QEMU64 | CPU_FEAT(POPCNT) | CPU_FEAT(LZCNT) |                \
     CPU_FEAT(MOVBE) | CPU_FEAT(BMI1) | CPU_FEAT(BMI2) | CPU_FEAT(ADX) |       \
     CPU_FEAT(RDTSCP) | CPU_FEAT(RDPID) | CPU_FEAT(SSE42) | CPU_FEATURES_FPU)

/* env->features, or CPU_FEATURES_MAX while it is 0 (not set) */
static inline uint64_t cpu_features(const CpuX86 *env)
{
    return env->features ? env->features : CPU_FEATURES_MAX;
}

static inline bool cpu_has_feature(const CpuX86 *env, X86Feature f)
{
    return (cpu_features(env) >> f) & 1;
}

/* the mask of a -cpu model name (cpu_models.h); -1: unknown */
int cpu_features_from_name(const char *name, uint64_t *out);

#endif
