/*
 * Named CPU models and the -cpu option (cpu_models.c).
 *
 * A model is plain data: the vendor string, family/model/stepping, the
 * brand string, the highest CPUID leaves and the CPUID feature words
 * (QEMU's "feature words": one 32-bit register of one leaf each), plus the
 * physical-address width, the TSC frequency and the vCPU's place in the
 * topology. cpuid.c answers from it, msr.c decides from it which MSRs
 * exist, and cpu_model_apply() derives the translator's feature mask
 * (CpuX86.features) from the words. Feature names are QEMU's / Linux's
 * cpuid flag names (sse4.2 and sse4_2 alike).
 */
#ifndef XLAT_CPU_CPU_MODELS_H
#define XLAT_CPU_CPU_MODELS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* the CPUID feature words a model sets (leaf.subleaf register) */
typedef enum CpuFeatureWord {
    FW_1_EDX,
    FW_1_ECX,
    FW_6_EAX,
    FW_7_0_EBX,
    FW_7_0_ECX,
    FW_7_0_EDX,
    FW_7_1_EAX,
    FW_D_1_EAX, /* XSAVE extensions: the XSAVE work reads it */
    FW_E1_EDX,
    FW_E1_ECX,
    FW_E7_EDX,
    FW_E8_EBX,
    FW_ARCH_CAP, /* MSR IA32_ARCH_CAPABILITIES (0x10a), as QEMU treats it */
    FW__COUNT
} CpuFeatureWord;

/*
 * Where this vCPU sits: sockets x cores x threads, and its initial APIC ID.
 * Default 1/1/1, id 0; the SMP machine fills it per vCPU.
 */
typedef struct CpuTopology {
    uint16_t sockets, cores, threads;
    uint32_t apic_id;
} CpuTopology;

typedef struct CpuX86Model {
    char name[40];      /* as resolved: "Skylake-Client-v3" */
    char vendor[13];    /* "GenuineIntel", "AuthenticAMD" */
    char model_id[49];  /* the brand string (0x80000002-4) */
    bool amd;           /* AMD's behaviour where it differs from Intel */
    uint32_t signature; /* CPUID.1:EAX (family, model, stepping) */
    uint32_t level;     /* highest basic leaf */
    uint32_t xlevel;    /* highest extended leaf */
    uint32_t words[FW__COUNT];
    uint8_t phys_bits;  /* MAXPHYADDR (CPUID 0x80000008:EAX[7:0]) */
    uint32_t tsc_khz;   /* TSC frequency (leaves 0x15/0x16, PLATFORM_INFO) */
    uint32_t ucode_rev; /* IA32_BIOS_SIGN_ID[63:32] */
    CpuTopology topo;
} CpuX86Model;

struct CpuX86;

/* family/model/stepping as CPUID.1:EAX encodes them (SDM vol. 2 CPUID) */
uint32_t cpu_model_signature(unsigned family, unsigned model,
                             unsigned stepping);

/*
 * Resolve a -cpu value: "name[,+feat|-feat|feat=on|off|vendor=..|
 * phys-bits=N|host-phys-bits=on|off|...]". Returns 0 and fills *out; a
 * requested feature xlat does not implement adds one line to *warn (an
 * allocated string, or left NULL) and is left out. -1: *err is one line
 * (allocated): an unknown model or feature name, a bad value.
 */
int cpu_model_parse(const char *spec, CpuX86Model *out, char **err,
                    char **warn);
/* the model named name with nothing changed (0, or -1: unknown) */
int cpu_model_find(const char *name, CpuX86Model *out);
/* -cpu help: the models, their aliases and versions, the feature names */
void cpu_model_print_help(FILE *f);

/* the translator's feature mask (CpuX86.features) for a model */
uint64_t cpu_model_features(const CpuX86Model *m);

/*
 * Make env this model: its CPUID data, its feature mask for the
 * translator, and MSR defaults. Only with no translated code alive.
 */
void cpu_model_apply(struct CpuX86 *env, const CpuX86Model *m);

/*
 * The model env runs: env->model, or the `max` model while env->model was
 * never set (a zeroed CpuX86 in a test, a harness that sets no model).
 */
const CpuX86Model *cpu_model_of(const struct CpuX86 *env);

/* bit b of word w is implemented by xlat (what CPUID may advertise) */
bool cpu_model_implemented(const struct CpuX86 *env, CpuFeatureWord w,
                           unsigned b);
/* the word as CPUID reports it: model bits that xlat implements */
uint32_t cpu_model_word(const struct CpuX86 *env, CpuFeatureWord w);

/* named bits other files test */
#define CPUID_1_EDX_MCE (1u << 7)
#define CPUID_1_EDX_APIC (1u << 9)
#define CPUID_1_EDX_MTRR (1u << 12)
#define CPUID_1_EDX_MCA (1u << 14)
#define CPUID_1_EDX_HTT (1u << 28)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_1_ECX_X2APIC (1u << 21)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_7_EBX_TSC_ADJUST (1u << 1)
#define CPUID_7_ECX_LA57 (1u << 16)
#define CPUID_7_ECX_RDPID (1u << 22)
#define CPUID_7_EDX_SPEC_CTRL (1u << 26)
#define CPUID_7_EDX_STIBP (1u << 27)
#define CPUID_7_EDX_FLUSH_L1D (1u << 28)
#define CPUID_7_EDX_ARCH_CAP (1u << 29)
#define CPUID_7_EDX_SSBD (1u << 31)
#define CPUID_E1_EDX_RDTSCP_BIT (1u << 27)
#define CPUID_E8_EBX_IBPB (1u << 12)
#define CPUID_E8_EBX_IBRS (1u << 14)
#define CPUID_E8_EBX_AMD_STIBP (1u << 15)
#define CPUID_E8_EBX_AMD_SSBD (1u << 24)

#endif
