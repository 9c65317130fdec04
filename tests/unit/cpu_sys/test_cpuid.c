/*
 * CPUID per CPU model (cpu_models.c, cpuid.c): vendor, signature and brand
 * strings; model features xlat lacks are dropped, versions and aliases
 * change what they should; topology (leaves 1, 4, 0xB, 0x1F, AMD
 * 0x80000008), caches, TSC leaves and address sizes agree with the model;
 * Intel's and AMD's answers above the highest leaf; the CPUID instruction
 * returns the same on both backends.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cpu/cpu_features.h"
#include "cpu/cpuid.h"
#include "cpu/msr.h"
#include "tiny_machine.h"

static TinyMachine m;

static void use_model(CpuX86 *env, const char *spec)
{
    CpuX86Model model;
    char *err = NULL, *warn = NULL;
    cr_assert_eq(cpu_model_parse(spec, &model, &err, &warn), 0, "%s: %s", spec,
                 err ? err : "");
    cpu_model_apply(env, &model);
    free(warn);
}

static void q(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    cpuid_query(m.env, leaf, sub, r);
}

static void setup(void)
{
    tm_new(&m, TCG_BACKEND_INTERP, 0, 0);
}

static void teardown(void)
{
    tm_free(&m);
}

TestSuite(cpuid, .init = setup, .fini = teardown, .timeout = 30);

static void expect_vendor(const uint32_t r[4], const char *v)
{
    char got[13] = {0};
    memcpy(got, &r[1], 4);
    memcpy(got + 4, &r[3], 4);
    memcpy(got + 8, &r[2], 4);
    cr_expect_str_eq(got, v);
}

static void expect_brand(const char *want)
{
    char brand[49] = {0};
    for (uint32_t l = 0; l < 3; l++) {
        q(0x80000002u + l, 0, (uint32_t *)(void *)(brand + 16 * l));
    }
    cr_expect_str_eq(brand, want);
}

Test(cpuid, intel_model_identity)
{
    uint32_t r[4];
    use_model(m.env, "Skylake-Client");
    q(0, 0, r);
    cr_expect_eq(r[0], 0x16, "max basic leaf");
    expect_vendor(r, "GenuineIntel");
    q(1, 0, r);
    cr_expect_eq(r[0], 0x000506e3, "family 6 model 94 stepping 3");
    cr_expect_eq((r[1] >> 8) & 0xff, 8, "CLFLUSH line 64 bytes");
    cr_expect_eq(r[2] & CPUID_1_ECX_HYPERVISOR, 0, "no hypervisor bit");
    expect_brand("Intel Core Processor (Skylake)");
    q(0x80000000u, 0, r);
    cr_expect_eq(r[0], 0x80000008u);
    cr_expect_eq(r[1] | r[2] | r[3], 0, "Intel: no vendor here");
}

Test(cpuid, amd_model_identity)
{
    uint32_t r[4];
    use_model(m.env, "EPYC");
    q(0, 0, r);
    expect_vendor(r, "AuthenticAMD");
    q(0x80000000u, 0, r);
    expect_vendor(r, "AuthenticAMD");
    q(1, 0, r);
    cr_expect_eq(r[0], 0x00800f12, "family 23 model 1 stepping 2");
    uint32_t l1edx = r[3];
    q(0x80000001u, 0, r);
    cr_expect_eq(r[0], 0x00800f12, "AMD repeats the signature");
    cr_expect_eq(r[3] & 0x0183f3ffu, l1edx & 0x0183f3ffu, "AMD aliases");
    cr_expect(r[3] & (1u << 29), "long mode");
    q(4, 0, r);
    cr_expect_eq(r[0] | r[1] | r[2] | r[3], 0, "leaf 4 is Intel's");
    q(0x80000005u, 0, r);
    cr_expect_eq(r[2] & 0xff, 64, "L1d line size");
    expect_brand("AMD EPYC Processor");
    use_model(m.env, "Opteron_G3");
    q(1, 0, r);
    cr_expect_eq(r[0], 0x00100f23, "family 16 model 2 stepping 3");
    use_model(m.env, "qemu64");
    q(0, 0, r);
    expect_vendor(r, "AuthenticAMD");
    expect_brand("QEMU Virtual CPU version 2.5+");
}

Test(cpuid, only_implemented_features)
{
    uint32_t r[4];
    use_model(m.env, "Skylake-Client");
    q(7, 0, r);
    cr_expect(r[1] & CPUID_7_EBX_BMI1);
    cr_expect(r[1] & CPUID_7_EBX_ADX);
    cr_expect_eq(r[1] & (1u << 5), 0, "AVX2 dropped");
    cr_expect_eq(r[1] & (1u << 4), 0, "HLE dropped");
    cr_expect_eq(r[1] & (1u << 14), 0, "MPX dropped");
    q(1, 0, r);
    cr_expect_eq(r[2] & (1u << 28), 0, "AVX dropped");
    cr_expect(r[2] & CPUID_1_ECX_MOVBE);
    cr_expect(r[3] & CPUID_1_EDX_MTRR);
    cr_expect_eq(r[3] & CPUID_1_EDX_APIC, 0, "no local APIC wired");
    m.env->apic_present = true;
    q(1, 0, r);
    cr_expect(r[3] & CPUID_1_EDX_APIC);
    use_model(m.env, "Nehalem");
    q(7, 0, r);
    cr_expect_eq(r[1] & CPUID_7_EBX_BMI1, 0, "Nehalem has no BMI1");
    cr_expect_eq(cpu_has_feature(m.env, XFEAT_BMI1), false, "and #UDs it");
    cr_expect(cpu_has_feature(m.env, XFEAT_POPCNT));
}

Test(cpuid, versions_and_aliases)
{
    uint32_t r[4];
    use_model(m.env, "Skylake-Client-v1");
    q(7, 0, r);
    cr_expect_eq(r[3] & CPUID_7_EDX_SPEC_CTRL, 0);
    use_model(m.env, "Skylake-Client-v2");
    q(7, 0, r);
    cr_expect(r[3] & CPUID_7_EDX_SPEC_CTRL, "v2 is the IBRS update");
    use_model(m.env, "Skylake-Client-IBRS");
    cr_expect_str_eq(m.env->model.name, "Skylake-Client-v2");
    use_model(m.env, "Cascadelake-Server-v1");
    q(7, 0, r);
    cr_expect_eq(r[3] & CPUID_7_EDX_ARCH_CAP, 0);
    use_model(m.env, "Cascadelake-Server-v2");
    q(7, 0, r);
    cr_expect(r[3] & CPUID_7_EDX_ARCH_CAP);
    use_model(m.env, "Nehalem-IBRS");
    expect_brand("Intel Core i7 9xx (Nehalem Core i7, IBRS update)");
    CpuX86Model x;
    cr_expect_eq(cpu_model_find("Skylake-Client-v9", &x), -1);
    cr_expect_eq(cpu_model_find("Skylake-Client-v", &x), -1);
    cr_expect_eq(cpu_model_find("Opteron_G4", &x), 0);
}

Test(cpuid, topology_leaves)
{
    uint32_t r[4];
    use_model(m.env, "max");
    m.env->model.topo =
        (CpuTopology){.sockets = 1, .cores = 4, .threads = 2, .apic_id = 5};
    q(1, 0, r);
    cr_expect_eq(r[1] >> 24, 5, "initial APIC ID");
    cr_expect_eq((r[1] >> 16) & 0xff, 8, "logical processors");
    cr_expect(r[3] & CPUID_1_EDX_HTT);
    for (uint32_t leaf = 0xb; leaf <= 0x1f; leaf += 0x1f - 0xb) {
        q(leaf, 0, r);
        cr_expect_eq(r[0], 1, "SMT shift");
        cr_expect_eq(r[1], 2);
        cr_expect_eq(r[2], 0x100, "level 0, type SMT");
        cr_expect_eq(r[3], 5, "x2APIC ID");
        q(leaf, 1, r);
        cr_expect_eq(r[0], 3, "core shift");
        cr_expect_eq(r[1], 8);
        cr_expect_eq(r[2], 0x201, "level 1, type core");
        q(leaf, 2, r);
        cr_expect_eq(r[0] | r[1], 0);
        cr_expect_eq(r[2], 2, "type 0: past the last level");
    }
    q(4, 0, r);
    cr_expect_eq(r[0] & 0x1f, 1, "L1 data");
    cr_expect_eq((r[0] >> 26) + 1, 4, "cores per package");
    cr_expect_eq(((r[0] >> 14) & 0xfff) + 1, 2, "L1 shared by the threads");
    q(4, 3, r);
    cr_expect_eq((r[0] >> 5) & 7, 3, "L3");
    cr_expect_eq(((r[0] >> 14) & 0xfff) + 1, 8, "L3 shared by all");
    q(4, 4, r);
    cr_expect_eq(r[0] & 0x1f, 0, "no more caches");
    q(2, 0, r);
    cr_expect_eq(r[0], 0xff01, "leaf 2 points at leaf 4");
}

Test(cpuid, single_cpu_topology_default)
{
    uint32_t r[4];
    use_model(m.env, "Skylake-Server");
    q(1, 0, r);
    cr_expect_eq(r[1] >> 16, 1, "APIC ID 0, one logical CPU");
    cr_expect_eq(r[3] & CPUID_1_EDX_HTT, 0);
    q(0xb, 1, r);
    cr_expect_eq(r[1], 1);
    use_model(m.env, "EPYC");
    m.env->model.topo.cores = 4;
    q(0x80000008u, 0, r);
    cr_expect_eq(r[2] & 0xff, 3, "NC = cores - 1");
    cr_expect_eq((r[2] >> 12) & 0xf, 2, "ApicIdCoreIdSize");
}

Test(cpuid, address_sizes_and_tsc)
{
    uint32_t r[4];
    use_model(m.env, "Skylake-Client,phys-bits=43,tsc-frequency=3000000000");
    q(0x80000008u, 0, r);
    cr_expect_eq(r[0], (48u << 8) | 43);
    q(0x15, 0, r);
    cr_expect_eq((uint64_t)r[2] * r[1] / r[0], 3000000000ull, "TSC Hz");
    q(0x16, 0, r);
    cr_expect_eq(r[0], 3000, "base MHz");
    use_model(m.env, "max");
    q(0x80000008u, 0, r);
    cr_expect_eq((r[0] >> 8) & 0xff, 57, "max has LA57");
    q(0x80000007u, 0, r);
    cr_expect(r[3] & (1u << 8), "invariant TSC");
}

Test(cpuid, past_the_highest_leaf)
{
    uint32_t r[4], top[4];
    use_model(m.env, "Nehalem");
    q(0xb, 0, top);
    q(0xc, 0, r);
    cr_expect_arr_eq(r, top, sizeof(r), "Intel: the highest basic leaf");
    q(0x90000000u, 0, r);
    cr_expect_arr_eq(r, top, sizeof(r));
    use_model(m.env, "Opteron_G1");
    q(6, 0, r);
    cr_expect_eq(r[0] | r[1] | r[2] | r[3], 0, "AMD: zeros");
    use_model(m.env, "Haswell");
    m.env->msr.misc_enable |= MISC_ENABLE_LIMIT_CPUID;
    q(0, 0, r);
    cr_expect_eq(r[0], 2, "MISC_ENABLE limits the max leaf");
}

/* the instruction returns cpuid_query's answer, JIT and interpreter */
Test(cpuid, instruction_on_both_backends)
{
    static const uint8_t code[] = {0x0f, 0xa2};
    static const uint32_t leaves[][2] = {
        {0, 0},   {1, 0},           {4, 1},          {7, 0},
        {0xb, 1}, {0x80000001u, 0}, {0x80000008u, 0}};
    for (size_t b = 0; b < 2; b++) {
        TinyMachine t;
        tm_new(&t, tm_backends[b], 0, 0);
        use_model(t.env, "Icelake-Server");
        for (size_t i = 0; i < ARRAY_LEN(leaves); i++) {
            uint32_t want[4];
            cpuid_query(t.env, leaves[i][0], leaves[i][1], want);
            t.env->regs[R_EAX] = leaves[i][0];
            t.env->regs[R_ECX] = leaves[i][1];
            cr_assert_eq(tm_run(&t, code, sizeof(code)), 3);
            cr_expect_eq(t.env->regs[R_EAX], want[0]);
            cr_expect_eq(t.env->regs[R_EBX], want[1]);
            cr_expect_eq(t.env->regs[R_ECX], want[2]);
            cr_expect_eq(t.env->regs[R_EDX], want[3]);
        }
        tm_free(&t);
    }
}
