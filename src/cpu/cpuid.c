/*
 * The CPUID model (cpuid.h), answered from the CPU model in env->model
 * (cpu_models.h): the vendor and brand strings, the signature, the
 * feature words as xlat implements them (cpu_model_word), the caches
 * (leaf 2 points at leaf 4 on Intel; AMD's 0x80000005/6), the topology
 * (leaf 1 EBX, leaf 4 EAX, 0xB/0x1F, AMD's 0x80000008 ECX) from
 * cpu_model_of(env)->topo, the TSC frequency (0x15/0x16) and the address sizes
 * (0x80000008). The hypervisor bit is never set. A leaf above the highest
 * basic one returns the highest basic leaf's data on Intel and zeros on
 * AMD (SDM vol. 2 CPUID; APM vol. 3 appendix E). Leaf 0xD describes the
 * XSAVE components helper_fpu.c implements (fpu_cpuid_leaf_d).
 */
#include "cpu/cpuid.h"

#include <string.h>

#include "cpu/cpu_features.h"
#include "cpu/cpu_models.h"
#include "cpu/msr.h"

/* the number of bits an ID field needs to hold n values */
static unsigned cpuid_bits_for(unsigned n)
{
    unsigned b = 0;
    while ((1u << b) < n) {
        b++;
    }
    return b;
}

static unsigned cpuid_logical(const CpuX86 *env)
{
    const CpuTopology *t = &cpu_model_of(env)->topo;
    return (unsigned)(t->cores ? t->cores : 1) * (t->threads ? t->threads : 1);
}

static void cpuid_vendor(const CpuX86 *env, uint32_t out[4])
{
    const char *v = cpu_model_of(env)->vendor;
    memcpy(&out[1], v, 4);
    memcpy(&out[3], v + 4, 4);
    memcpy(&out[2], v + 8, 4);
}

/* the highest basic leaf the guest sees (MISC_ENABLE can cap it at 2) */
static uint32_t cpuid_level(const CpuX86 *env)
{
    if (!cpu_model_of(env)->amd &&
        (env->msr.misc_enable & MISC_ENABLE_LIMIT_CPUID)) {
        return MIN(cpu_model_of(env)->level, 2u);
    }
    return cpu_model_of(env)->level;
}

static void cpuid_leaf1(const CpuX86 *env, uint32_t out[4])
{
    unsigned n = cpuid_logical(env);
    out[0] = env->cpuid_signature;
    out[1] = (8u << 8) | (MIN(n, 255u) << 16) |
             ((cpu_model_of(env)->topo.apic_id & 0xffu) << 24);
    out[2] = cpu_model_word(env, FW_1_ECX) & ~CPUID_1_ECX_HYPERVISOR;
    out[3] = cpu_model_word(env, FW_1_EDX) & ~CPUID_1_EDX_HTT;
    /* SSE4.2 only on top of SSE4.1 and SSSE3 (CRC32 alone is not it) */
    if (!cpu_has_feature(env, XFEAT_SSSE3) ||
        !cpu_has_feature(env, XFEAT_SSE41)) {
        out[2] &= ~CPUID_1_ECX_SSE42;
    }
    if (n > 1) {
        out[3] |= CPUID_1_EDX_HTT;
    }
    if ((out[2] & CPUID_1_ECX_XSAVE) && (env->cr[4] & CR4_OSXSAVE)) {
        out[2] |= CPUID_1_ECX_OSXSAVE;
    }
}

/*
 * Leaf 4, deterministic cache parameters: L1d, L1i 32 KiB 8-way, L2
 * 1 MiB 16-way per core, L3 16 MiB 16-way per package, 64-byte lines.
 */
static void cpuid_leaf4(const CpuX86 *env, uint32_t sub, uint32_t out[4])
{
    static const struct {
        uint8_t type, level, ways;
        uint32_t sets;
    } caches[] = {
        {1, 1, 8, 64}, {2, 1, 8, 64}, {3, 2, 16, 1024}, {3, 3, 16, 16384}};
    const CpuTopology *t = &cpu_model_of(env)->topo;
    if (cpu_model_of(env)->amd || sub >= ARRAY_LEN(caches)) {
        return; /* AMD: reserved; past the last cache: type 0 (none) */
    }
    unsigned cores = t->cores ? t->cores : 1;
    unsigned sharing = caches[sub].level == 3 ? cpuid_logical(env)
                                              : (t->threads ? t->threads : 1);
    out[0] = caches[sub].type | (caches[sub].level << 5) | BIT(8) |
             ((sharing - 1) << 14) | ((cores - 1) << 26);
    out[1] = 63u | ((uint32_t)(caches[sub].ways - 1) << 22);
    out[2] = caches[sub].sets - 1;
    out[3] = caches[sub].level == 3 ? BIT(1) : 0; /* L3 inclusive */
}

static void cpuid_leaf7(const CpuX86 *env, uint32_t sub, uint32_t out[4])
{
    if (sub == 0) {
        out[0] = 1; /* the highest subleaf */
        out[1] = cpu_model_word(env, FW_7_0_EBX);
        out[2] = cpu_model_word(env, FW_7_0_ECX);
        out[3] = cpu_model_word(env, FW_7_0_EDX);
        if ((out[2] & CPUID_7_ECX_PKU) && (env->cr[4] & CR4_PKE_BIT)) {
            out[2] |= CPUID_7_ECX_OSPKE;
        }
    } else if (sub == 1) {
        out[0] = cpu_model_word(env, FW_7_1_EAX);
    }
}

/* 0xB and 0x1F: SMT, then core level, then the invalid level */
static void cpuid_topology(const CpuX86 *env, uint32_t sub, uint32_t out[4])
{
    const CpuTopology *t = &cpu_model_of(env)->topo;
    unsigned threads = t->threads ? t->threads : 1;
    out[3] = t->apic_id;
    out[2] = sub & 0xff;
    if (sub == 0) {
        out[0] = cpuid_bits_for(threads);
        out[1] = threads;
        out[2] |= 1u << 8;
    } else if (sub == 1) {
        out[0] =
            cpuid_bits_for(threads) + cpuid_bits_for(t->cores ? t->cores : 1);
        out[1] = cpuid_logical(env);
        out[2] |= 2u << 8;
    }
}

/*
 * 0x15: TSC = crystal (ECX Hz) * EBX / EAX, with a 1 MHz crystal;
 * 0x16: base and maximum MHz, 100 MHz bus.
 */
static void cpuid_tsc_leaves(const CpuX86 *env, uint32_t leaf, uint32_t out[4])
{
    uint32_t mhz = cpu_model_of(env)->tsc_khz / 1000;
    if (leaf == 0x15) {
        out[0] = 1;
        out[1] = mhz;
        out[2] = 1000000;
    } else {
        out[0] = out[1] = mhz;
        out[2] = 100;
    }
}

static void cpuid_basic(const CpuX86 *env, uint32_t leaf, uint32_t sub,
                        uint32_t out[4])
{
    switch (leaf) {
    case 0:
        out[0] = cpuid_level(env);
        cpuid_vendor(env, out);
        break;
    case 1:
        cpuid_leaf1(env, out);
        break;
    case 2: /* one round; descriptor 0xff: leaf 4 has the caches */
        if (!cpu_model_of(env)->amd) {
            out[0] = 0xff01;
        }
        break;
    case 4:
        cpuid_leaf4(env, sub, out);
        break;
    case 6:
        out[0] = cpu_model_word(env, FW_6_EAX);
        break;
    case 7:
        cpuid_leaf7(env, sub, out);
        break;
    case 0xb:
    case 0x1f:
        cpuid_topology(env, sub, out);
        break;
    case 0x15:
    case 0x16:
        cpuid_tsc_leaves(env, leaf, out);
        break;
    case 0xd: /* XSAVE components (helper_fpu.c) */
        fpu_cpuid_leaf_d(env, sub, out);
        break;
    default: /* 3, 5, 8-0xa, 0xc, 0xe-0x14, 0x17-0x1e: none */
        break;
    }
}

/* AMD's L1 (0x80000005) and L2/L3 (0x80000006) descriptions */
static void cpuid_amd_caches(uint32_t leaf, uint32_t out[4])
{
    if (leaf == 0x80000005u) {
        out[0] = 0xff40ff40u; /* 2/4 MiB TLB: 64 entries, fully assoc. */
        out[1] = 0xff40ff40u; /* 4 KiB TLB */
        out[2] = (32u << 24) | (8u << 16) | (1u << 8) | 64u; /* L1d */
        out[3] = (32u << 24) | (8u << 16) | (1u << 8) | 64u; /* L1i */
    } else {
        out[2] = (1024u << 16) | (8u << 12) | 64u; /* 1 MiB, 16-way */
        out[3] = (32u << 18) | (8u << 12) | 64u;   /* L3 16 MiB, 16-way */
    }
}

/* leaf 1 EDX bits AMD repeats in 0x80000001 EDX (APM vol. 3 E.4.2) */
#define CPUID_E1_EDX_AMD_ALIASES 0x0183f3ffu

static void cpuid_ext(const CpuX86 *env, uint32_t leaf, uint32_t out[4])
{
    bool amd = cpu_model_of(env)->amd;
    switch (leaf) {
    case 0x80000000u:
        out[0] = cpu_model_of(env)->xlevel;
        if (amd) {
            cpuid_vendor(env, out);
        }
        break;
    case 0x80000001u:
        out[0] = amd ? env->cpuid_signature : 0;
        out[2] = cpu_model_word(env, FW_E1_ECX);
        out[3] = cpu_model_word(env, FW_E1_EDX);
        if (amd) {
            out[3] |= cpu_model_word(env, FW_1_EDX) & CPUID_E1_EDX_AMD_ALIASES;
        }
        break;
    case 0x80000002u:
    case 0x80000003u:
    case 0x80000004u:
        memcpy(out, cpu_model_of(env)->model_id + (leaf - 0x80000002u) * 16,
               16);
        break;
    case 0x80000005u:
        if (amd) {
            cpuid_amd_caches(leaf, out);
        }
        break;
    case 0x80000006u:
        cpuid_amd_caches(leaf, out);
        if (!amd) {
            out[3] = 0; /* Intel: L2 in ECX only */
        }
        break;
    case 0x80000007u:
        out[3] = cpu_model_word(env, FW_E7_EDX);
        break;
    case 0x80000008u: {
        bool la57 = cpu_model_word(env, FW_7_0_ECX) & CPUID_7_ECX_LA57;
        unsigned n = cpuid_logical(env);
        out[0] = cpu_model_of(env)->phys_bits | ((la57 ? 57u : 48u) << 8);
        out[1] = cpu_model_word(env, FW_E8_EBX);
        if (amd) {
            out[2] = (n - 1) | (cpuid_bits_for(n) << 12);
        }
        break;
    }
    default: /* AMD's 0x80000009 and up (SVM, topoext): not implemented */
        break;
    }
}

void cpuid_query(const CpuX86 *env, uint32_t leaf, uint32_t subleaf,
                 uint32_t out[4])
{
    memset(out, 0, 4 * sizeof(uint32_t));
    uint32_t level = cpuid_level(env);
    uint32_t xlevel = MIN(cpu_model_of(env)->xlevel, CPUID_MAX_EXT);
    if ((leaf > level && leaf < 0x80000000u) || leaf > xlevel) {
        if (cpu_model_of(env)->amd) {
            return;
        }
        leaf = level;
    }
    if (leaf >= 0x80000000u) {
        cpuid_ext(env, leaf, out);
    } else {
        cpuid_basic(env, leaf, subleaf, out);
    }
}
