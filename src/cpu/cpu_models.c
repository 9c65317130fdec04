/*
 * The CPU model table and the -cpu syntax (cpu_models.h).
 *
 * Each model lists its CPUID features by name, as Intel's and AMD's
 * public documentation (and QEMU's model of the same name) give them; a
 * versioned name (Skylake-Client-v3) applies the versions' changes in
 * order, and aliases (Skylake-Client-IBRS) name versions. What xlat does
 * not implement is silently left out of a model, so CPUID advertises only
 * what runs; asking for such a feature by name gets one warning line, as
 * QEMU's "TCG doesn't support requested feature" does (the -cpu syntax is
 * in cpu_model_opts.c).
 */
#include "cpu/cpu_models.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpu/cpu.h"
#include "cpu/cpu_features.h"
#include "cpu/cpu_models_int.h"
#include "cpu/msr.h"
#include "util/common.h"

#define F(n, w, b)                                                             \
    {                                                                          \
        n, w, b, NO_XFEAT                                                      \
    }
#define FX(n, w, b, x)                                                         \
    {                                                                          \
        n, w, b, XFEAT_##x                                                     \
    }

/* names per word, QEMU's first; later rows with the same bit are aliases */
static const CpuFeatName cpu_feat_names[] = {
    FX("fpu", FW_1_EDX, 0, X87),
    F("vme", FW_1_EDX, 1),
    F("de", FW_1_EDX, 2),
    F("pse", FW_1_EDX, 3),
    FX("tsc", FW_1_EDX, 4, TSC),
    FX("msr", FW_1_EDX, 5, MSR),
    F("pae", FW_1_EDX, 6),
    F("mce", FW_1_EDX, 7),
    FX("cx8", FW_1_EDX, 8, CX8),
    F("apic", FW_1_EDX, 9),
    FX("sep", FW_1_EDX, 11, SEP),
    F("mtrr", FW_1_EDX, 12),
    F("pge", FW_1_EDX, 13),
    F("mca", FW_1_EDX, 14),
    FX("cmov", FW_1_EDX, 15, CMOV),
    F("pat", FW_1_EDX, 16),
    F("pse36", FW_1_EDX, 17),
    F("pn", FW_1_EDX, 18),
    FX("clflush", FW_1_EDX, 19, CLFLUSH),
    F("ds", FW_1_EDX, 21),
    F("acpi", FW_1_EDX, 22),
    FX("mmx", FW_1_EDX, 23, MMX),
    FX("fxsr", FW_1_EDX, 24, FXSR),
    FX("sse", FW_1_EDX, 25, SSE),
    FX("sse2", FW_1_EDX, 26, SSE2),
    F("ss", FW_1_EDX, 27),
    F("ht", FW_1_EDX, 28),
    F("tm", FW_1_EDX, 29),
    F("ia64", FW_1_EDX, 30),
    F("pbe", FW_1_EDX, 31),

    FX("pni", FW_1_ECX, 0, SSE3),
    FX("sse3", FW_1_ECX, 0, SSE3),
    FX("pclmulqdq", FW_1_ECX, 1, PCLMUL),
    FX("pclmuldq", FW_1_ECX, 1, PCLMUL),
    F("dtes64", FW_1_ECX, 2),
    FX("monitor", FW_1_ECX, 3, MONITOR),
    F("ds-cpl", FW_1_ECX, 4),
    F("ds_cpl", FW_1_ECX, 4),
    FX("vmx", FW_1_ECX, 5, VMX),
    FX("smx", FW_1_ECX, 6, SMX),
    F("est", FW_1_ECX, 7),
    F("tm2", FW_1_ECX, 8),
    FX("ssse3", FW_1_ECX, 9, SSSE3),
    F("cid", FW_1_ECX, 10),
    FX("fma", FW_1_ECX, 12, FMA),
    FX("cx16", FW_1_ECX, 13, CX16),
    F("xtpr", FW_1_ECX, 14),
    F("pdcm", FW_1_ECX, 15),
    F("pcid", FW_1_ECX, 17),
    F("dca", FW_1_ECX, 18),
    FX("sse4.1", FW_1_ECX, 19, SSE41),
    FX("sse4_1", FW_1_ECX, 19, SSE41),
    FX("sse4.2", FW_1_ECX, 20, SSE42),
    FX("sse4_2", FW_1_ECX, 20, SSE42),
    F("x2apic", FW_1_ECX, 21),
    FX("movbe", FW_1_ECX, 22, MOVBE),
    FX("popcnt", FW_1_ECX, 23, POPCNT),
    F("tsc-deadline", FW_1_ECX, 24),
    FX("aes", FW_1_ECX, 25, AES),
    FX("xsave", FW_1_ECX, 26, XSAVE),
    F("osxsave", FW_1_ECX, 27),
    FX("avx", FW_1_ECX, 28, AVX),
    FX("f16c", FW_1_ECX, 29, F16C),
    FX("rdrand", FW_1_ECX, 30, RDRAND),
    F("hypervisor", FW_1_ECX, 31),

    F("arat", FW_6_EAX, 2),

    FX("fsgsbase", FW_7_0_EBX, 0, FSGSBASE),
    F("tsc-adjust", FW_7_0_EBX, 1),
    F("tsc_adjust", FW_7_0_EBX, 1),
    FX("sgx", FW_7_0_EBX, 2, SGX),
    FX("bmi1", FW_7_0_EBX, 3, BMI1),
    FX("hle", FW_7_0_EBX, 4, RTM),
    FX("avx2", FW_7_0_EBX, 5, AVX2),
    F("smep", FW_7_0_EBX, 7),
    FX("bmi2", FW_7_0_EBX, 8, BMI2),
    F("erms", FW_7_0_EBX, 9),
    FX("invpcid", FW_7_0_EBX, 10, INVPCID),
    FX("rtm", FW_7_0_EBX, 11, RTM),
    F("mpx", FW_7_0_EBX, 14),
    FX("avx512f", FW_7_0_EBX, 16, AVX512),
    FX("avx512dq", FW_7_0_EBX, 17, AVX512),
    FX("rdseed", FW_7_0_EBX, 18, RDSEED),
    FX("adx", FW_7_0_EBX, 19, ADX),
    FX("smap", FW_7_0_EBX, 20, SMAP),
    FX("avx512ifma", FW_7_0_EBX, 21, AVX512),
    FX("clflushopt", FW_7_0_EBX, 23, CLFLUSHOPT),
    FX("clwb", FW_7_0_EBX, 24, CLWB),
    F("intel-pt", FW_7_0_EBX, 25),
    FX("avx512pf", FW_7_0_EBX, 26, AVX512),
    FX("avx512er", FW_7_0_EBX, 27, AVX512),
    FX("avx512cd", FW_7_0_EBX, 28, AVX512),
    FX("sha-ni", FW_7_0_EBX, 29, SHA),
    FX("avx512bw", FW_7_0_EBX, 30, AVX512),
    FX("avx512vl", FW_7_0_EBX, 31, AVX512),

    FX("avx512vbmi", FW_7_0_ECX, 1, AVX512),
    F("umip", FW_7_0_ECX, 2),
    FX("pku", FW_7_0_ECX, 3, PKU),
    F("ospke", FW_7_0_ECX, 4),
    F("waitpkg", FW_7_0_ECX, 5),
    FX("avx512vbmi2", FW_7_0_ECX, 6, AVX512),
    F("gfni", FW_7_0_ECX, 8),
    F("vaes", FW_7_0_ECX, 9),
    F("vpclmulqdq", FW_7_0_ECX, 10),
    FX("avx512vnni", FW_7_0_ECX, 11, AVX512),
    FX("avx512bitalg", FW_7_0_ECX, 12, AVX512),
    FX("avx512-vpopcntdq", FW_7_0_ECX, 14, AVX512),
    F("la57", FW_7_0_ECX, 16),
    FX("rdpid", FW_7_0_ECX, 22, RDPID),
    F("cldemote", FW_7_0_ECX, 25),
    F("movdiri", FW_7_0_ECX, 27),
    F("movdir64b", FW_7_0_ECX, 28),

    F("avx512-4vnniw", FW_7_0_EDX, 2),
    F("avx512-4fmaps", FW_7_0_EDX, 3),
    F("fsrm", FW_7_0_EDX, 4),
    F("md-clear", FW_7_0_EDX, 10),
    F("serialize", FW_7_0_EDX, 14),
    F("tsx-ldtrk", FW_7_0_EDX, 16),
    F("pconfig", FW_7_0_EDX, 18),
    F("arch-lbr", FW_7_0_EDX, 19),
    F("spec-ctrl", FW_7_0_EDX, 26),
    F("stibp", FW_7_0_EDX, 27),
    F("flush-l1d", FW_7_0_EDX, 28),
    F("arch-capabilities", FW_7_0_EDX, 29),
    F("core-capability", FW_7_0_EDX, 30),
    F("ssbd", FW_7_0_EDX, 31),

    F("avx-vnni", FW_7_1_EAX, 4),
    F("avx512-bf16", FW_7_1_EAX, 5),

    FX("xsaveopt", FW_D_1_EAX, 0, XSAVEOPT),
    FX("xsavec", FW_D_1_EAX, 1, XSAVEC),
    F("xgetbv1", FW_D_1_EAX, 2),
    FX("xsaves", FW_D_1_EAX, 3, XSAVES),

    FX("syscall", FW_E1_EDX, 11, SYSCALL),
    F("nx", FW_E1_EDX, 20),
    F("xd", FW_E1_EDX, 20),
    F("mmxext", FW_E1_EDX, 22),
    F("fxsr-opt", FW_E1_EDX, 25),
    F("ffxsr", FW_E1_EDX, 25),
    F("pdpe1gb", FW_E1_EDX, 26),
    FX("rdtscp", FW_E1_EDX, 27, RDTSCP),
    F("lm", FW_E1_EDX, 29),
    F("i64", FW_E1_EDX, 29),
    F("3dnowext", FW_E1_EDX, 30),
    F("3dnow", FW_E1_EDX, 31),

    FX("lahf-lm", FW_E1_ECX, 0, LAHF64),
    FX("lahf_lm", FW_E1_ECX, 0, LAHF64),
    F("cmp-legacy", FW_E1_ECX, 1),
    F("svm", FW_E1_ECX, 2),
    F("extapic", FW_E1_ECX, 3),
    F("cr8legacy", FW_E1_ECX, 4),
    FX("abm", FW_E1_ECX, 5, LZCNT),
    F("sse4a", FW_E1_ECX, 6),
    F("misalignsse", FW_E1_ECX, 7),
    F("3dnowprefetch", FW_E1_ECX, 8),
    F("osvw", FW_E1_ECX, 9),
    F("ibs", FW_E1_ECX, 10),
    F("xop", FW_E1_ECX, 11),
    F("skinit", FW_E1_ECX, 12),
    F("wdt", FW_E1_ECX, 13),
    F("lwp", FW_E1_ECX, 15),
    F("fma4", FW_E1_ECX, 16),
    F("tce", FW_E1_ECX, 17),
    F("nodeid-msr", FW_E1_ECX, 19),
    F("tbm", FW_E1_ECX, 21),
    F("topoext", FW_E1_ECX, 22),
    F("perfctr-core", FW_E1_ECX, 23),
    F("perfctr-nb", FW_E1_ECX, 24),

    F("invtsc", FW_E7_EDX, 8),

    F("clzero", FW_E8_EBX, 0),
    F("xsaveerptr", FW_E8_EBX, 2),
    F("wbnoinvd", FW_E8_EBX, 9),
    F("ibpb", FW_E8_EBX, 12),
    F("ibrs", FW_E8_EBX, 14),
    F("amd-stibp", FW_E8_EBX, 15),
    F("amd-ssbd", FW_E8_EBX, 24),
    F("virt-ssbd", FW_E8_EBX, 25),
    F("amd-no-ssb", FW_E8_EBX, 26),

    F("rdctl-no", FW_ARCH_CAP, 0),
    F("ibrs-all", FW_ARCH_CAP, 1),
    F("rsba", FW_ARCH_CAP, 2),
    F("skip-l1dfl-vmentry", FW_ARCH_CAP, 3),
    F("ssb-no", FW_ARCH_CAP, 4),
    F("mds-no", FW_ARCH_CAP, 5),
    F("pschange-mc-no", FW_ARCH_CAP, 6),
    F("tsx-ctrl", FW_ARCH_CAP, 7),
    F("taa-no", FW_ARCH_CAP, 8),
};

#define B(n) (1u << (n))

/*
 * What xlat implements beyond the decoder's features (those count when
 * they are in CPU_FEATURES_MAX). apic needs a local APIC wired to the vCPU
 * (CpuX86.apic_present); ht, osxsave and ospke are computed by cpuid.c.
 */
static const uint32_t cpu_impl_static[FW__COUNT] = {
    /* de pse tsc msr pae mce apic sep mtrr pge mca pat pse36 clflush */
    [FW_1_EDX] = B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(9) | B(11) |
                 B(12) | B(13) | B(14) | B(16) | B(17) | B(19),
    [FW_1_ECX] = B(17), /* pcid */
    [FW_6_EAX] = B(2),  /* arat */
    [FW_7_0_EBX] = B(0) | B(1) | B(7) | B(9) | B(10) | B(20) | B(23),
    [FW_7_0_ECX] = B(2) | B(16), /* umip la57 */
    [FW_7_0_EDX] = B(10) | B(26) | B(27) | B(28) | B(29) | B(31),
    [FW_E1_EDX] = B(11) | B(20) | B(26) | B(29), /* syscall nx 1g lm */
    [FW_E1_ECX] = B(8),                          /* 3dnowprefetch */
    [FW_E7_EDX] = B(8),                          /* invtsc */
    [FW_E8_EBX] = B(12) | B(14) | B(15) | B(24),
    /* the "not affected" bits: true of an emulator; tsx-ctrl, rsba not */
    [FW_ARCH_CAP] = B(0) | B(1) | B(3) | B(4) | B(5) | B(6) | B(8),
};

const char *const cpu_word_names[FW__COUNT] = {
    [FW_1_EDX] = "CPUID.01H:EDX",        [FW_1_ECX] = "CPUID.01H:ECX",
    [FW_6_EAX] = "CPUID.06H:EAX",        [FW_7_0_EBX] = "CPUID.07H:EBX",
    [FW_7_0_ECX] = "CPUID.07H:ECX",      [FW_7_0_EDX] = "CPUID.07H:EDX",
    [FW_7_1_EAX] = "CPUID.07H.01H:EAX",  [FW_D_1_EAX] = "CPUID.0DH.01H:EAX",
    [FW_E1_EDX] = "CPUID.80000001H:EDX", [FW_E1_ECX] = "CPUID.80000001H:ECX",
    [FW_E7_EDX] = "CPUID.80000007H:EDX", [FW_E8_EBX] = "CPUID.80000008H:EBX",
    [FW_ARCH_CAP] = "MSR(10AH)",
};

bool cpu_impl(CpuFeatureWord w, unsigned b)
{
    if (cpu_impl_static[w] & B(b)) {
        return true;
    }
    for (size_t i = 0; i < ARRAY_LEN(cpu_feat_names); i++) {
        const CpuFeatName *f = &cpu_feat_names[i];
        if (f->word == w && f->bit == b && f->xfeat != NO_XFEAT) {
            return (CPU_FEATURES_MAX >> f->xfeat) & 1;
        }
    }
    return false;
}

bool cpu_model_implemented(const CpuX86 *env, CpuFeatureWord w, unsigned b)
{
    if (w == FW_1_EDX && b == 9 && env && !env->apic_present) {
        return false;
    }
    return cpu_impl(w, b);
}

/* the decoder feature of a word's bit, NO_XFEAT if none */
static unsigned cpu_xfeat_of(CpuFeatureWord w, unsigned b)
{
    for (size_t i = 0; i < ARRAY_LEN(cpu_feat_names); i++) {
        const CpuFeatName *f = &cpu_feat_names[i];
        if (f->word == w && f->bit == b) {
            return f->xfeat;
        }
    }
    return NO_XFEAT;
}

static CpuX86Model cpu_model_max;
static pthread_once_t cpu_model_max_once = PTHREAD_ONCE_INIT;

static void cpu_model_max_init(void)
{
    int r = cpu_model_find("max", &cpu_model_max);
    ASSERT(r == 0);
}

const CpuX86Model *cpu_model_of(const CpuX86 *env)
{
    if (env->model.level) {
        return &env->model;
    }
    pthread_once(&cpu_model_max_once, cpu_model_max_init);
    return &cpu_model_max;
}

uint32_t cpu_model_word(const CpuX86 *env, CpuFeatureWord w)
{
    uint32_t v = cpu_model_of(env)->words[w], out = 0;
    for (unsigned b = 0; b < 32; b++) {
        if (!(v & B(b)) || !cpu_model_implemented(env, w, b)) {
            continue;
        }
        unsigned x = cpu_xfeat_of(w, b);
        if (x == NO_XFEAT || !((CPU_FEATURES_MAX >> x) & 1) ||
            cpu_has_feature(env, (X86Feature)x)) {
            out |= B(b);
        }
    }
    return out;
}

/* ---- the model table ---- */

typedef struct CpuModelVersion {
    const char *alias;    /* another name for this version, or NULL */
    const char *changes;  /* "+feat -feat ..." on top of the one before */
    const char *model_id; /* a new brand string, or NULL */
} CpuModelVersion;

#define CPU_MAX_VERSIONS 5

typedef struct CpuModelDef {
    const char *name;
    const char *vendor;
    uint8_t family, model, stepping;
    uint32_t level, xlevel;
    const char *model_id;
    const char *features;                /* space-separated names */
    CpuModelVersion v[CPU_MAX_VERSIONS]; /* v2, v3, ... */
    const char *help;
} CpuModelDef;

#define INTEL "GenuineIntel"
#define AMD CPU_VENDOR_AMD
/* the P6-class base every model here shares */
#define P6                                                                     \
    "fpu de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat "           \
    "pse36 clflush mmx fxsr sse sse2 "
#define X64 "lm syscall nx "
#define NHM P6 X64 "sse3 ssse3 cx16 sse4.1 sse4.2 popcnt lahf_lm "
#define SNB                                                                    \
    NHM "pclmulqdq x2apic tsc-deadline aes xsave avx rdtscp "                  \
        "xsaveopt arat "
#define IVB SNB "f16c rdrand fsgsbase smep erms "
#define HSW IVB "fma pcid movbe avx2 bmi1 hle bmi2 invpcid rtm abm tsc-adjust "
#define SKL HSW "rdseed adx smap 3dnowprefetch mpx xsavec xgetbv1 "
#define SKX                                                                    \
    SKL "pku clflushopt clwb avx512f avx512dq avx512cd avx512bw "              \
        "avx512vl pdpe1gb "
#define CLX SKX "avx512vnni spec-ctrl ssbd "
#define ICX                                                                    \
    CLX "avx512vbmi umip avx512vbmi2 gfni vaes vpclmulqdq "                    \
        "avx512bitalg avx512-vpopcntdq la57 rdpid wbnoinvd sha-ni "            \
        "-mpx "
#define G1 P6 X64 "sse3 "
#define G2 G1 "cx16 rdtscp lahf_lm svm "
#define G3 G2 "monitor popcnt abm sse4a misalignsse "
#define G4                                                                     \
    G3 "pclmulqdq ssse3 sse4.1 sse4.2 aes xsave avx fma4 xop "                 \
       "3dnowprefetch pdpe1gb "
#define IBRS_V(n)                                                              \
    {                                                                          \
        n "-IBRS", "+spec-ctrl", NULL                                          \
    }

static const CpuModelDef cpu_model_defs[] = {
    {"qemu64",
     AMD,
     15,
     107,
     1,
     0xd,
     0x8000000a,
     "QEMU Virtual CPU version 2.5+",
     P6 X64 "sse3 cx16 lahf_lm svm",
     {{0}},
     "QEMU's default 64-bit CPU (the default)"},
    {"base",
     INTEL,
     6,
     0,
     0,
     0xd,
     0x80000008,
     "xlat base x86-64 CPU",
     "tsc msr pae cx8 cmov pse pge pat sep clflush " X64,
     {{0}},
     "x86-64 with no optional feature"},
    {"max",
     INTEL,
     6,
     0x8c,
     1,
     0x1f,
     0x80000008,
     "xlat virtual x86-64 CPU",
     NULL,
     {{0}},
     "every feature xlat implements"},
    {"Nehalem",
     INTEL,
     6,
     26,
     3,
     0xb,
     0x80000008,
     "Intel Core i7 9xx (Nehalem Class Core i7)",
     NHM,
     {{"Nehalem-IBRS", "+spec-ctrl",
       "Intel Core i7 9xx (Nehalem Core i7, IBRS update)"}},
     "Intel Core i7 9xx (Nehalem Class Core i7)"},
    {"SandyBridge",
     INTEL,
     6,
     42,
     1,
     0xd,
     0x80000008,
     "Intel Xeon E312xx (Sandy Bridge)",
     SNB,
     {{"SandyBridge-IBRS", "+spec-ctrl",
       "Intel Xeon E312xx (Sandy Bridge, IBRS update)"}},
     "Intel Xeon E312xx (Sandy Bridge)"},
    {"IvyBridge",
     INTEL,
     6,
     58,
     9,
     0xd,
     0x80000008,
     "Intel Xeon E3-12xx v2 (Ivy Bridge)",
     IVB,
     {{"IvyBridge-IBRS", "+spec-ctrl",
       "Intel Xeon E3-12xx v2 (Ivy Bridge, IBRS)"}},
     "Intel Xeon E3-12xx v2 (Ivy Bridge)"},
    {"Haswell",
     INTEL,
     6,
     60,
     4,
     0xd,
     0x80000008,
     "Intel Core Processor (Haswell)",
     HSW,
     {{"Haswell-noTSX", "-hle -rtm", NULL},
      {"Haswell-IBRS", "+hle +rtm +spec-ctrl",
       "Intel Core Processor (Haswell, IBRS)"},
      {"Haswell-noTSX-IBRS", "-hle -rtm", NULL}},
     "Intel Core Processor (Haswell)"},
    {"Skylake-Client",
     INTEL,
     6,
     94,
     3,
     0x16,
     0x80000008,
     "Intel Core Processor (Skylake)",
     SKL,
     {IBRS_V("Skylake-Client"),
      {"Skylake-Client-noTSX-IBRS", "-hle -rtm", NULL},
      {NULL, "+xsaves", NULL}},
     "Intel Core Processor (Skylake)"},
    {"Skylake-Server",
     INTEL,
     6,
     85,
     4,
     0x16,
     0x80000008,
     "Intel Xeon Processor (Skylake)",
     SKX,
     {IBRS_V("Skylake-Server"),
      {"Skylake-Server-noTSX-IBRS", "-hle -rtm", NULL},
      {NULL, "-mpx", NULL},
      {NULL, "+xsaves", NULL}},
     "Intel Xeon Processor (Skylake)"},
    {"Cascadelake-Server",
     INTEL,
     6,
     85,
     6,
     0x16,
     0x80000008,
     "Intel Xeon Processor (Cascadelake)",
     CLX,
     {{NULL,
       "+arch-capabilities +rdctl-no +ibrs-all +skip-l1dfl-vmentry +mds-no",
       NULL},
      {"Cascadelake-Server-noTSX", "-hle -rtm", NULL},
      {NULL, "-mpx", NULL},
      {NULL, "+xsaves", NULL}},
     "Intel Xeon Processor (Cascadelake)"},
    {"Icelake-Server",
     INTEL,
     6,
     134,
     0,
     0x1b,
     0x80000008,
     "Intel Xeon Processor (Icelake)",
     ICX,
     {{"Icelake-Server-noTSX", "-hle -rtm", NULL},
      {NULL,
       "+arch-capabilities +rdctl-no +ibrs-all +skip-l1dfl-vmentry +mds-no "
       "+pschange-mc-no +taa-no",
       NULL},
      {NULL, "+fsrm +md-clear", NULL},
      {NULL, "+xsaves", NULL}},
     "Intel Xeon Processor (Icelake)"},
    {"Opteron_G1",
     AMD,
     15,
     6,
     1,
     5,
     0x80000008,
     "AMD Opteron 240 (Gen 1 Class Opteron)",
     G1,
     {{0}},
     "AMD Opteron 240 (Gen 1 Class Opteron)"},
    {"Opteron_G2",
     AMD,
     15,
     6,
     1,
     5,
     0x80000008,
     "AMD Opteron 22xx (Gen 2 Class Opteron)",
     G2,
     {{0}},
     "AMD Opteron 22xx (Gen 2 Class Opteron)"},
    {"Opteron_G3",
     AMD,
     16,
     2,
     3,
     5,
     0x80000008,
     "AMD Opteron 23xx (Gen 3 Class Opteron)",
     G3,
     {{0}},
     "AMD Opteron 23xx (Gen 3 Class Opteron)"},
    {"Opteron_G4",
     AMD,
     21,
     1,
     2,
     0xd,
     0x8000001a,
     "AMD Opteron 62xx class CPU",
     G4,
     {{0}},
     "AMD Opteron 62xx class CPU"},
    {"Opteron_G5",
     AMD,
     21,
     2,
     0,
     0xd,
     0x8000001a,
     "AMD Opteron 63xx class CPU",
     G4 "fma f16c tbm",
     {{0}},
     "AMD Opteron 63xx class CPU"},
    {"EPYC",
     AMD,
     23,
     1,
     2,
     0xd,
     0x8000001e,
     "AMD EPYC Processor",
     P6 X64 "sse3 pclmulqdq ssse3 fma cx16 sse4.1 sse4.2 movbe popcnt aes "
            "xsave avx f16c rdrand fsgsbase bmi1 avx2 smep bmi2 rdseed adx "
            "smap clflushopt sha-ni mmxext fxsr-opt pdpe1gb rdtscp lahf_lm "
            "svm cr8legacy abm sse4a misalignsse 3dnowprefetch osvw topoext "
            "perfctr-core xsaveopt xsavec xgetbv1 arat",
     {{"EPYC-IBPB", "+ibpb", "AMD EPYC Processor (with IBPB)"},
      {NULL, "+ibrs +amd-ssbd +clzero +xsaveerptr +xsaves",
       "AMD EPYC Processor"}},
     "AMD EPYC Processor"},
};

#define CPU_TSC_KHZ_DEFAULT 2000000u /* 2 GHz */
#define CPU_PHYS_BITS_DEFAULT 40     /* QEMU's TCG default */

uint32_t cpu_model_signature(unsigned family, unsigned model, unsigned stepping)
{
    unsigned fam = family > 15 ? 15 : family;
    unsigned extfam = family > 15 ? family - 15 : 0;
    return ((extfam & 0xff) << 20) | (((model >> 4) & 0xf) << 16) |
           ((fam & 0xf) << 8) | ((model & 0xf) << 4) | (stepping & 0xf);
}

const CpuFeatName *cpu_feat_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(cpu_feat_names); i++) {
        if (strcmp(cpu_feat_names[i].name, name) == 0) {
            return &cpu_feat_names[i];
        }
    }
    return NULL;
}

const CpuFeatName *cpu_feat_by_bit(CpuFeatureWord w, unsigned b)
{
    for (size_t i = 0; i < ARRAY_LEN(cpu_feat_names); i++) {
        if (cpu_feat_names[i].word == w && cpu_feat_names[i].bit == b) {
            return &cpu_feat_names[i];
        }
    }
    return NULL;
}

/* apply a table's "+a -b c" list (no sign: on); names are xlat's own */
static void cpu_apply_list(CpuX86Model *m, const char *list)
{
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", list);
    for (char *save, *t = strtok_r(buf, " ", &save); t;
         t = strtok_r(NULL, " ", &save)) {
        bool on = *t != '-';
        const CpuFeatName *f = cpu_feat_find(t + (*t == '-' || *t == '+'));
        ASSERT(f);
        if (on) {
            m->words[f->word] |= B(f->bit);
        } else {
            m->words[f->word] &= ~B(f->bit);
        }
    }
}

/* drop what xlat does not implement (silently: the model's own list) */
static void cpu_model_trim(CpuX86Model *m)
{
    for (unsigned w = 0; w < FW__COUNT; w++) {
        for (unsigned b = 0; b < 32; b++) {
            if ((m->words[w] & B(b)) && !cpu_impl(w, b)) {
                m->words[w] &= ~B(b);
            }
        }
    }
}

static void cpu_model_build(const CpuModelDef *d, unsigned version,
                            CpuX86Model *m)
{
    memset(m, 0, sizeof(*m));
    snprintf(m->vendor, sizeof(m->vendor), "%s", d->vendor);
    snprintf(m->model_id, sizeof(m->model_id), "%s", d->model_id);
    m->amd = strcmp(d->vendor, AMD) == 0;
    m->signature = cpu_model_signature(d->family, d->model, d->stepping);
    m->level = d->level;
    m->xlevel = d->xlevel;
    m->phys_bits = CPU_PHYS_BITS_DEFAULT;
    m->tsc_khz = CPU_TSC_KHZ_DEFAULT;
    m->ucode_rev = 1;
    m->topo = (CpuTopology){.sockets = 1, .cores = 1, .threads = 1};
    if (!d->features) { /* max: everything implemented */
        for (unsigned w = 0; w < FW__COUNT; w++) {
            m->words[w] = ~0u;
        }
    } else {
        cpu_apply_list(m, d->features);
    }
    for (unsigned v = 2; v <= version; v++) {
        const CpuModelVersion *cv = &d->v[v - 2];
        cpu_apply_list(m, cv->changes);
        if (cv->model_id) {
            snprintf(m->model_id, sizeof(m->model_id), "%s", cv->model_id);
        }
    }
    cpu_model_trim(m);
    if (version) {
        snprintf(m->name, sizeof(m->name), "%s-v%u", d->name, version);
    } else {
        snprintf(m->name, sizeof(m->name), "%s", d->name);
    }
}

static unsigned cpu_def_versions(const CpuModelDef *d)
{
    unsigned n = 1;
    while (n - 1 < CPU_MAX_VERSIONS && d->v[n - 1].changes) {
        n++;
    }
    return n;
}

int cpu_model_find(const char *name, CpuX86Model *out)
{
    for (size_t i = 0; i < ARRAY_LEN(cpu_model_defs); i++) {
        const CpuModelDef *d = &cpu_model_defs[i];
        size_t n = strlen(d->name);
        unsigned nv = cpu_def_versions(d);
        if (strcmp(name, d->name) == 0) {
            cpu_model_build(d, 0, out); /* the unversioned name is v1 */
            return 0;
        }
        for (unsigned v = 0; v + 1 < nv; v++) {
            if (d->v[v].alias && strcmp(name, d->v[v].alias) == 0) {
                cpu_model_build(d, v + 2, out);
                return 0;
            }
        }
        if (strncmp(name, d->name, n) == 0 && name[n] == '-' &&
            name[n + 1] == 'v') {
            char *end;
            unsigned long v = strtoul(name + n + 2, &end, 10);
            if (*end == '\0' && name[n + 2] != '\0' && v >= 1 && v <= nv) {
                cpu_model_build(d, (unsigned)v, out);
                return 0;
            }
        }
    }
    return -1;
}

void cpu_model_print_help(FILE *f)
{
    fprintf(f, "Available CPUs:\n");
    for (size_t i = 0; i < ARRAY_LEN(cpu_model_defs); i++) {
        const CpuModelDef *d = &cpu_model_defs[i];
        unsigned nv = cpu_def_versions(d);
        fprintf(f, "  %-26s %s\n", d->name, d->help);
        for (unsigned v = 1; v <= nv && nv > 1; v++) {
            char n[48];
            snprintf(n, sizeof(n), "%s-v%u", d->name, v);
            const char *alias = v >= 2 ? d->v[v - 2].alias : NULL;
            fprintf(f, "  %-26s %s%s\n", n, alias ? "alias " : "",
                    alias ? alias : "");
        }
    }
    fprintf(f, "\nRecognized CPUID flags (those xlat implements marked *):\n");
    for (size_t i = 0; i < ARRAY_LEN(cpu_feat_names); i++) {
        const CpuFeatName *n = &cpu_feat_names[i];
        fprintf(f, "  %s%s", n->name, cpu_impl(n->word, n->bit) ? "*" : "");
        if (i % 6 == 5 || i + 1 == ARRAY_LEN(cpu_feat_names)) {
            fputc('\n', f);
        }
    }
}

uint64_t cpu_model_features(const CpuX86Model *m)
{
    uint64_t feats = CPU_FEAT(BASE);
    for (size_t i = 0; i < ARRAY_LEN(cpu_feat_names); i++) {
        const CpuFeatName *f = &cpu_feat_names[i];
        if (f->xfeat != NO_XFEAT && (m->words[f->word] & B(f->bit))) {
            feats |= 1ull << f->xfeat;
        }
    }
    return feats & (CPU_FEATURES_MAX | CPU_FEAT(BASE));
}

void cpu_model_apply(CpuX86 *env, const CpuX86Model *m)
{
    CpuX86Model copy = *m; /* m may be env->model itself */
    env->model = copy;
    env->cpuid_signature = copy.signature;
    env->features = cpu_model_features(&copy);
    msr_reset(env);
}
