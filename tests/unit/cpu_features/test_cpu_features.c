/*
 * The CPU model (cpu_features.h): an instruction whose CPUID feature the
 * model lacks raises #UD, on both backends, and runs when the model has
 * it; LZCNT/TZCNT fall back to BSR/BSF without LZCNT/BMI1; LAHF/SAHF need
 * LAHF64 in 64-bit mode; CPUID advertises exactly the model's features.
 */
#include <criterion/criterion.h>

#include "cpu/cpu_features.h"
#include "cpu/cpuid.h"
#include "tiny_machine.h"

typedef struct GateCase {
    const char *name;
    X86Feature feat;
    uint8_t code[8];
    size_t len;
} GateCase;

static const GateCase gate_cases[] = {
    {"pdep", XFEAT_BMI2, {0xc4, 0xe2, 0x63, 0xf5, 0xc2}, 5},
    {"rorx", XFEAT_BMI2, {0xc4, 0xe3, 0x7b, 0xf0, 0xc3, 0x03}, 6},
    {"andn", XFEAT_BMI1, {0xc4, 0xe2, 0x60, 0xf2, 0xc1}, 5},
    {"adcx", XFEAT_ADX, {0x66, 0x0f, 0x38, 0xf6, 0xc3}, 5},
    {"movbe", XFEAT_MOVBE, {0x0f, 0x38, 0xf0, 0x04, 0x24}, 5},
    {"popcnt", XFEAT_POPCNT, {0xf3, 0x0f, 0xb8, 0xc3}, 4},
    {"crc32", XFEAT_SSE42, {0xf2, 0x0f, 0x38, 0xf1, 0xc3}, 5},
    {"cmpxchg16b", XFEAT_CX16, {0x48, 0x0f, 0xc7, 0x0c, 0x24}, 5},
    {"lock cmpxchg16b", XFEAT_CX16, {0xf0, 0x48, 0x0f, 0xc7, 0x0c, 0x24}, 6},
    {"rdtscp", XFEAT_RDTSCP, {0x0f, 0x01, 0xf9}, 3},
    {"rdtsc", XFEAT_TSC, {0x0f, 0x31}, 2},
    {"cmove", XFEAT_CMOV, {0x0f, 0x44, 0xc3}, 3},
    {"lahf", XFEAT_LAHF64, {0x9f}, 1},
    {"sahf", XFEAT_LAHF64, {0x9e}, 1},
};

/* the vector the case ends with under a model */
static int gate_run(const GateCase *c, TcgBackendKind be, uint64_t features)
{
    TinyMachine m;
    tm_new(&m, be, 3, features);
    int v = tm_run(&m, c->code, c->len);
    uint64_t rip = m.env->rip;
    tm_free(&m);
    if (v == 6) {
        cr_expect_eq(rip, TM_CODE, "%s: #UD at the instruction", c->name);
    }
    return v;
}

Test(cpu_features, missing_feature_is_ud_present_runs)
{
    for (size_t i = 0; i < ARRAY_LEN(gate_cases); i++) {
        const GateCase *c = &gate_cases[i];
        uint64_t without = CPU_FEATURES_MAX & ~(1ull << c->feat);
        for (size_t b = 0; b < ARRAY_LEN(tm_backends); b++) {
            cr_expect_eq(gate_run(c, tm_backends[b], without), 6,
                         "%s without %s: #UD", c->name,
                         x86_feature_name(c->feat));
            cr_expect_eq(gate_run(c, tm_backends[b], CPU_FEATURES_MAX), 3,
                         "%s with %s: runs to the int3", c->name,
                         x86_feature_name(c->feat));
        }
    }
}

/* lzcnt/tzcnt eax, ebx with ebx = v; returns eax, *fl = RFLAGS */
static uint64_t cnt_run(bool lz, uint64_t features, uint64_t v, uint64_t *fl)
{
    const uint8_t code[] = {0xf3, 0x0f, (uint8_t)(lz ? 0xbd : 0xbc), 0xc3};
    TinyMachine m;
    tm_new(&m, TCG_BACKEND_JIT, 3, features);
    m.env->regs[R_EBX] = v;
    m.env->regs[R_EAX] = 0x1234;
    cr_assert_eq(tm_run(&m, code, sizeof(code)), 3);
    uint64_t r = m.env->regs[R_EAX];
    *fl = tm_rflags(&m);
    tm_free(&m);
    return r;
}

Test(cpu_features, lzcnt_tzcnt_fall_back_to_bsr_bsf)
{
    uint64_t fl;
    uint64_t no_lz = CPU_FEATURES_MAX & ~CPU_FEAT(LZCNT);
    uint64_t no_bmi1 = CPU_FEATURES_MAX & ~CPU_FEAT(BMI1);
    cr_expect_eq(cnt_run(true, CPU_FEATURES_MAX, 0x10, &fl), 27);
    cr_expect_eq(cnt_run(true, no_lz, 0x10, &fl), 4, "bsr");
    cr_expect_eq(cnt_run(false, CPU_FEATURES_MAX, 0, &fl), 32);
    cr_expect(fl & CC_C, "tzcnt of 0 sets CF");
    /* bsf of 0: ZF set, the destination unchanged */
    cr_expect_eq(cnt_run(false, no_bmi1, 0, &fl), 0x1234, "bsf");
    cr_expect(fl & CC_Z);
    cr_expect_eq(cnt_run(false, no_bmi1, 0x10, &fl), 4);
}

Test(cpu_features, cpuid_advertises_the_model)
{
    static CpuX86 env;
    uint32_t r[4];
    env.features = CPU_FEATURES_MAX & ~CPU_FEAT(BMI2) & ~CPU_FEAT(MOVBE) &
                   ~CPU_FEAT(LZCNT) & ~CPU_FEAT(RDTSCP);
    cpuid_query(&env, 7, 0, r);
    const uint32_t bmi = CPUID_7_EBX_BMI1 | CPUID_7_EBX_BMI2 | CPUID_7_EBX_ADX;
    cr_expect_eq(r[1] & bmi, CPUID_7_EBX_BMI1 | CPUID_7_EBX_ADX);
    cpuid_query(&env, 1, 0, r);
    cr_expect_eq(r[2] & CPUID_1_ECX_MOVBE, 0);
    cr_expect(r[2] & CPUID_1_ECX_POPCNT);
    cr_expect_eq(r[2] & CPUID_1_ECX_SSE42, 0, "SSE4.2 needs SSE first");
    cpuid_query(&env, 0x80000001u, 0, r);
    cr_expect_eq(r[2] & (CPUID_E1_ECX_LAHF | CPUID_E1_ECX_LZCNT),
                 CPUID_E1_ECX_LAHF);
    cr_expect_eq(r[3] & (CPUID_E1_EDX_LM | CPUID_E1_EDX_RDTSCP),
                 CPUID_E1_EDX_LM);
    env.features = 0; /* unset: every implemented feature */
    cpuid_query(&env, 7, 0, r);
    cr_expect_eq(r[1] & bmi, bmi);
}

Test(cpu_features, models_by_name)
{
    uint64_t f = 0;
    cr_assert_eq(cpu_features_from_name("qemu64", &f), 0);
    cr_expect(f & CPU_FEAT(CX16));
    cr_expect_eq(f & CPU_FEAT(POPCNT), 0);
    cr_assert_eq(cpu_features_from_name("base", &f), 0);
    cr_expect_eq(f & CPU_FEAT(LAHF64), 0);
    cr_assert_eq(cpu_features_from_name("max", &f), 0);
    cr_expect_eq(f, CPU_FEATURES_MAX);
    cr_expect_eq(cpu_features_from_name("pentium9", &f), -1);
}
