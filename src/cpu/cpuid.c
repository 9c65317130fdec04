/*
 * The CPUID model (cpuid.h). Feature bits come from the CPU model's mask
 * (cpu_features.h), which holds at most what the translator implements:
 * CX8/CX16, CMOV, TSC/RDTSCP, POPCNT, LZCNT, MOVBE, BMI1/BMI2/ADX,
 * LAHF/SAHF in 64-bit mode; long mode always; FPU, FXSR, SSE, SSE2 and
 * XSAVE with leaf 0xD (helper_fpu.c). No SSSE3/SSE4 or AVX yet (so SSE4.2
 * is not advertised although CRC32 runs). Like Intel parts, a leaf
 * above the highest one returns the data of the highest basic leaf. The
 * brand string names xlat.
 */
#include "cpu/cpuid.h"

#include <string.h>

#include "cpu/cpu_features.h"

/* CPUID bit b when the model has feature f */
static uint32_t cpuid_bit(const CpuX86 *env, X86Feature f, uint32_t b)
{
    return cpu_has_feature(env, f) ? b : 0;
}

static const char cpuid_brand[48] = "xlat virtual x86-64 CPU";

static void cpuid_vendor(uint32_t out[4])
{
    out[0] = CPUID_MAX_BASIC;
    memcpy(&out[1], "Genu", 4);
    memcpy(&out[3], "ineI", 4);
    memcpy(&out[2], "ntel", 4);
}

static void cpuid_leaf1(const CpuX86 *env, uint32_t out[4])
{
    out[0] = env->cpuid_signature;
    out[1] = (8u << 8) | (1u << 16); /* CLFLUSH 64 bytes, 1 logical CPU */
    out[2] = cpuid_bit(env, XFEAT_CX16, CPUID_1_ECX_CX16) |
             cpuid_bit(env, XFEAT_MOVBE, CPUID_1_ECX_MOVBE) |
             cpuid_bit(env, XFEAT_POPCNT, CPUID_1_ECX_POPCNT);
    out[3] = cpuid_bit(env, XFEAT_TSC, CPUID_1_EDX_TSC) |
             cpuid_bit(env, XFEAT_CX8, CPUID_1_EDX_CX8) |
             cpuid_bit(env, XFEAT_CMOV, CPUID_1_EDX_CMOV);
    out[2] |= cpuid_bit(env, XFEAT_XSAVE, CPUID_1_ECX_XSAVE);
    out[2] |= (env->cr[4] & CR4_OSXSAVE) ? CPUID_1_ECX_OSXSAVE : 0;
    out[3] |= cpuid_bit(env, XFEAT_X87, CPUID_1_EDX_FPU) |
              cpuid_bit(env, XFEAT_FXSR, CPUID_1_EDX_FXSR) |
              cpuid_bit(env, XFEAT_SSE, CPUID_1_EDX_SSE) |
              cpuid_bit(env, XFEAT_SSE2, CPUID_1_EDX_SSE2);
    /* SSE4.2 only on top of SSE4.1 and SSSE3 (CRC32 alone is not it) */
    if (cpu_has_feature(env, XFEAT_SSSE3) &&
        cpu_has_feature(env, XFEAT_SSE41) &&
        cpu_has_feature(env, XFEAT_SSE42)) {
        out[2] |= CPUID_1_ECX_SSE42;
    }
}

static void cpuid_leaf7(const CpuX86 *env, uint32_t subleaf, uint32_t out[4])
{
    if (subleaf == 0) {
        out[1] = cpuid_bit(env, XFEAT_BMI1, CPUID_7_EBX_BMI1) |
                 cpuid_bit(env, XFEAT_BMI2, CPUID_7_EBX_BMI2) |
                 cpuid_bit(env, XFEAT_ADX, CPUID_7_EBX_ADX);
    }
}

static void cpuid_ext(const CpuX86 *env, uint32_t leaf, uint32_t out[4])
{
    switch (leaf) {
    case 0x80000000u:
        out[0] = CPUID_MAX_EXT;
        break;
    case 0x80000001u:
        out[2] = cpuid_bit(env, XFEAT_LAHF64, CPUID_E1_ECX_LAHF) |
                 cpuid_bit(env, XFEAT_LZCNT, CPUID_E1_ECX_LZCNT);
        out[3] =
            cpuid_bit(env, XFEAT_RDTSCP, CPUID_E1_EDX_RDTSCP) | CPUID_E1_EDX_LM;
        break;
    case 0x80000002u:
    case 0x80000003u:
    case 0x80000004u:
        memcpy(out, cpuid_brand + (leaf - 0x80000002u) * 16, 16);
        break;
    case 0x80000006u:
        out[2] = (256u << 16) | (6u << 12) | 64u; /* 256 KiB L2, 64 B */
        break;
    case 0x80000008u:
        out[0] = 0x3028; /* 48-bit linear, 40-bit physical addresses */
        break;
    default: /* 0x80000005, 0x80000007: reserved on Intel */
        break;
    }
}

void cpuid_query(const CpuX86 *env, uint32_t leaf, uint32_t subleaf,
                 uint32_t out[4])
{
    memset(out, 0, 4 * sizeof(uint32_t));
    if ((leaf > CPUID_MAX_BASIC && leaf < 0x80000000u) ||
        leaf > CPUID_MAX_EXT) {
        leaf = CPUID_MAX_BASIC;
    }
    switch (leaf) {
    case 0:
        cpuid_vendor(out);
        break;
    case 1:
        cpuid_leaf1(env, out);
        break;
    case 7:
        cpuid_leaf7(env, subleaf, out);
        break;
    case 0xd: /* XSAVE components (helper_fpu.c) */
        fpu_cpuid_leaf_d(env, subleaf, out);
        break;
    default:
        if (leaf >= 0x80000000u) {
            cpuid_ext(env, leaf, out);
        }
        break;
    }
}
