/*
 * Inside the CPU model code (cpu_models.c, cpu_model_opts.c): the
 * feature-name table and what xlat implements.
 */
#ifndef XLAT_CPU_CPU_MODELS_INT_H
#define XLAT_CPU_CPU_MODELS_INT_H

#include "cpu/cpu_models.h"
#include "cpu/decode.h"

#define NO_XFEAT XFEAT__COUNT
#define CPU_VENDOR_AMD "AuthenticAMD"

typedef struct CpuFeatName {
    const char *name;
    uint8_t word, bit;
    uint8_t xfeat; /* the decoder's feature id, NO_XFEAT: none */
} CpuFeatName;

/* a QEMU/Linux flag name (NULL: unknown); the first name of a bit */
const CpuFeatName *cpu_feat_find(const char *name);
const CpuFeatName *cpu_feat_by_bit(CpuFeatureWord w, unsigned b);
/* xlat implements bit b of word w (the local APIC aside) */
bool cpu_impl(CpuFeatureWord w, unsigned b);
/* "CPUID.07H:EBX", for messages */
extern const char *const cpu_word_names[FW__COUNT];

#endif
