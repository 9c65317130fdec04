/*
 * RDMSR/WRMSR (msr.c) on both backends: the MTRRs and their #GP rules,
 * machine-check registers, FEATURE_CONTROL's lock, speculation-control
 * MSRs only when the model advertises them, Intel-only and AMD-only MSRs,
 * unknown MSRs; the TSC from a fake virtual clock with TSC and TSC_ADJUST
 * writes as the SDM ties them, RDTSCP/RDPID returning TSC_AUX, the
 * deterministic counter without a clock; AMD's SYSENTER and SYSRET.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cpu/cpu_models.h"
#include "cpu/msr.h"
#include "tiny_machine.h"

static TinyMachine m;
static int64_t fake_ns;

static int64_t fake_clock(void *opaque)
{
    (void)opaque;
    return fake_ns;
}

static void use_model(const char *spec)
{
    CpuX86Model model;
    char *err = NULL, *warn = NULL;
    cr_assert_eq(cpu_model_parse(spec, &model, &err, &warn), 0, "%s", spec);
    cpu_model_apply(m.env, &model);
    free(warn);
}

static void start(size_t b, const char *model)
{
    tm_new(&m, tm_backends[b], 0, 0);
    use_model(model);
}

/* RDMSR: the vector (3: done at the int3), *v = EDX:EAX */
static int rd(uint32_t msr, uint64_t *v)
{
    static const uint8_t code[] = {0x0f, 0x32};
    m.env->regs[R_ECX] = msr;
    m.env->regs[R_EAX] = m.env->regs[R_EDX] = 0xdead;
    int vec = tm_run(&m, code, sizeof(code));
    *v = (m.env->regs[R_EDX] << 32) | (uint32_t)m.env->regs[R_EAX];
    return vec;
}

static int wr(uint32_t msr, uint64_t v)
{
    static const uint8_t code[] = {0x0f, 0x30};
    m.env->regs[R_ECX] = msr;
    m.env->regs[R_EAX] = (uint32_t)v;
    m.env->regs[R_EDX] = v >> 32;
    return tm_run(&m, code, sizeof(code));
}

static uint64_t rd_ok(uint32_t msr)
{
    uint64_t v;
    cr_assert_eq(rd(msr, &v), 3, "rdmsr 0x%x", msr);
    return v;
}

#define FOR_BACKENDS for (size_t b = 0; b < 2; b++)

Test(msr, mtrrs, .timeout = 30)
{
    FOR_BACKENDS
    {
        start(b, "Skylake-Client");
        cr_expect_eq(rd_ok(MSR_MTRRCAP), 8 | (1u << 8) | (1u << 10));
        cr_expect_eq(wr(MSR_MTRRCAP, 0), 13, "read-only");
        cr_expect_eq(wr(MSR_MTRR_DEF_TYPE, 0xc06), 3, "E FE WB");
        cr_expect_eq(rd_ok(MSR_MTRR_DEF_TYPE), 0xc06);
        cr_expect_eq(wr(MSR_MTRR_DEF_TYPE, 0x2), 13, "type 2 is reserved");
        cr_expect_eq(wr(MSR_MTRR_DEF_TYPE, 0x1006), 13, "reserved bit 12");
        cr_expect_eq(wr(MSR_MTRR_FIX4K_C0000, 0x0606060606060606ull), 3);
        cr_expect_eq(wr(MSR_MTRR_FIX16K_A0000, 0x0000000000000700ull), 13);
        cr_expect_eq(wr(0x269, 0), 3, "FIX4K_C8000");
        cr_expect_eq(wr(0x251, 0), 13, "not a fixed MTRR");
        cr_expect_eq(wr(MSR_MTRR_PHYSBASE0 + 2, 0x80000006ull), 3);
        cr_expect_eq(rd_ok(MSR_MTRR_PHYSBASE0 + 2), 0x80000006ull);
        cr_expect_eq(wr(MSR_MTRR_PHYSBASE0, 1ull << 40), 13, "phys-bits 40");
        cr_expect_eq(wr(MSR_MTRR_PHYSBASE0, 0x100), 13, "bits 11:8");
        cr_expect_eq(wr(MSR_MTRR_PHYSBASE0 + 1, 0xfff0000800ull), 3, "V");
        cr_expect_eq(wr(MSR_MTRR_PHYSBASE0 + 1, 0x801), 13, "bits 10:0");
        cr_expect_eq(wr(MSR_MTRR_PHYSBASE0 + 16, 0), 13, "only 8 pairs");
        tm_free(&m);
        start(b, "Skylake-Client,-mtrr");
        uint64_t v;
        cr_expect_eq(rd(MSR_MTRRCAP, &v), 13, "no MTRRs in the model");
        tm_free(&m);
    }
}

Test(msr, machine_check, .timeout = 30)
{
    FOR_BACKENDS
    {
        start(b, "Haswell");
        cr_expect_eq(rd_ok(MSR_MCG_CAP), 10 | MCG_CTL_P);
        cr_expect_eq(wr(MSR_MCG_CAP, 0), 13);
        cr_expect_eq(wr(MSR_MCG_CTL, ~0ull), 3);
        cr_expect_eq(wr(MSR_MCG_CTL, 5), 13, "all or nothing");
        cr_expect_eq(rd_ok(MSR_MC0_CTL + 4 * 9), ~0ull, "bank 9 CTL");
        cr_expect_eq(wr(MSR_MC0_CTL + 4 * 3, 0x1234), 3);
        cr_expect_eq(wr(MSR_MC0_CTL + 1, 0), 3, "STATUS cleared");
        cr_expect_eq(wr(MSR_MC0_CTL + 1, 1), 13, "STATUS: only 0");
        cr_expect_eq(wr(MSR_MC0_CTL + 2, 7), 13, "ADDR: only 0");
        cr_expect_eq(rd_ok(MSR_MC0_CTL + 3), 0, "MISC");
        uint64_t v;
        cr_expect_eq(rd(MSR_MC0_CTL + 40, &v), 13, "10 banks");
        cr_expect_eq(wr(MSR_MCG_STATUS, 8), 13, "reserved bit");
        tm_free(&m);
    }
}

Test(msr, intel_only_registers, .timeout = 30)
{
    FOR_BACKENDS
    {
        start(b, "Cascadelake-Server");
        cr_expect_eq(rd_ok(MSR_FEATURE_CONTROL), 0);
        cr_expect_eq(wr(MSR_FEATURE_CONTROL, FEATURE_CONTROL_VMX), 13,
                     "no VMX in the model");
        cr_expect_eq(wr(MSR_FEATURE_CONTROL, FEATURE_CONTROL_LOCK), 3);
        cr_expect_eq(wr(MSR_FEATURE_CONTROL, FEATURE_CONTROL_LOCK), 13,
                     "locked");
        cr_expect_eq(rd_ok(MSR_PLATFORM_INFO), 20u << 8, "2 GHz / 100 MHz");
        cr_expect_eq(wr(MSR_PLATFORM_INFO, 0), 13);
        cr_expect_eq(wr(MSR_BIOS_SIGN_ID, 0), 3);
        cr_expect_eq(rd_ok(MSR_BIOS_SIGN_ID) >> 32, 1, "microcode rev");
        uint64_t me = rd_ok(MSR_MISC_ENABLE);
        cr_expect(me & MISC_ENABLE_FAST_STRINGS);
        cr_expect(me & MISC_ENABLE_BTS_UNAVAIL);
        cr_expect_eq(wr(MSR_MISC_ENABLE, 0), 3);
        cr_expect_eq(rd_ok(MSR_MISC_ENABLE),
                     MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL,
                     "read-only bits stay");
        uint64_t v;
        cr_expect_eq(rd(MSR_AMD_HWCR, &v), 13, "AMD's HWCR");
        cr_expect_eq(rd(0x12345, &v), 13, "unknown MSR");
        cr_expect_eq(wr(0xc0011029u, 0), 13, "AMD's DE_CFG");
        tm_free(&m);
    }
}

Test(msr, amd_only_registers, .timeout = 30)
{
    FOR_BACKENDS
    {
        start(b, "EPYC");
        cr_expect_eq(rd_ok(MSR_AMD_HWCR) & (1ull << 24), 1ull << 24);
        cr_expect_eq(wr(0xc0010004u, 0x55), 3, "PERF_CTR0");
        cr_expect_eq(rd_ok(0xc0010004u), 0x55);
        cr_expect_eq(rd_ok(MSR_BIOS_SIGN_ID), 1, "PATCH_LEVEL");
        cr_expect_eq(wr(MSR_BIOS_SIGN_ID, 0), 13, "read-only on AMD");
        uint64_t v;
        cr_expect_eq(rd(MSR_MISC_ENABLE, &v), 13, "Intel's");
        cr_expect_eq(rd(MSR_FEATURE_CONTROL, &v), 13, "Intel's");
        cr_expect_eq(rd(MSR_SPEC_CTRL, &v), 13, "EPYC-v1: no IBRS");
        tm_free(&m);
        start(b, "EPYC-v3");
        cr_expect_eq(wr(MSR_SPEC_CTRL, 5), 3, "IBRS + SSBD");
        cr_expect_eq(wr(MSR_SPEC_CTRL, 2), 13, "no STIBP");
        cr_expect_eq(wr(MSR_PRED_CMD, 1), 3, "IBPB");
        tm_free(&m);
    }
}

Test(msr, speculation_control_by_model, .timeout = 30)
{
    FOR_BACKENDS
    {
        uint64_t v;
        start(b, "Nehalem");
        cr_expect_eq(rd(MSR_SPEC_CTRL, &v), 13, "v1 has no SPEC_CTRL");
        cr_expect_eq(wr(MSR_PRED_CMD, 1), 13);
        tm_free(&m);
        start(b, "Nehalem-v2");
        cr_expect_eq(wr(MSR_SPEC_CTRL, 1), 3, "IBRS");
        cr_expect_eq(rd_ok(MSR_SPEC_CTRL), 1);
        cr_expect_eq(wr(MSR_SPEC_CTRL, 4), 13, "no SSBD on Nehalem-v2");
        cr_expect_eq(wr(MSR_PRED_CMD, 1), 3);
        cr_expect_eq(rd(MSR_PRED_CMD, &v), 13, "write-only");
        cr_expect_eq(wr(MSR_PRED_CMD, 2), 13, "reserved");
        cr_expect_eq(rd(MSR_ARCH_CAPABILITIES, &v), 13);
        tm_free(&m);
        start(b, "Cascadelake-Server-v2");
        v = rd_ok(MSR_ARCH_CAPABILITIES);
        cr_expect_eq(v, 0x2b, "RDCL_NO IBRS_ALL SKIP_L1DFL MDS_NO");
        cr_expect_eq(wr(MSR_ARCH_CAPABILITIES, 0), 13, "read-only");
        cr_expect_eq(wr(MSR_SPEC_CTRL, 5), 3, "IBRS + SSBD");
        tm_free(&m);
    }
}

Test(msr, tsc_follows_the_virtual_clock, .timeout = 30)
{
    static const uint8_t rdtsc[] = {0x0f, 0x31};
    FOR_BACKENDS
    {
        start(b, "Skylake-Client");
        fake_ns = 1000;
        m.env->tsc_clock = fake_clock;
        msr_reset(m.env); /* RESET: TSC = 0 now */
        fake_ns = 2000;
        cr_expect_eq(tm_run(&m, rdtsc, sizeof(rdtsc)), 3);
        cr_expect_eq(m.env->regs[R_EAX], 2000, "1000 ns at 2 GHz");
        cr_expect_eq(wr(MSR_TSC, 1000000), 3);
        cr_expect_eq(rd_ok(MSR_TSC_ADJUST), 1000000 - 2000, "SDM 17.17.3");
        fake_ns = 2500;
        cr_expect_eq(rd_ok(MSR_TSC), 1001000);
        cr_expect_eq(wr(MSR_TSC_ADJUST, 1000000 - 2000 + 50), 3);
        cr_expect_eq(rd_ok(MSR_TSC), 1001050, "TSC_ADJUST moves the TSC");
        cr_expect_eq(wr(MSR_TSC_ADJUST, 0), 3);
        cr_expect_eq(rd_ok(MSR_TSC), 3000, "back on the clock");
        tm_free(&m);
        start(b, "Nehalem");
        uint64_t v;
        cr_expect_eq(rd(MSR_TSC_ADJUST, &v), 13, "not in Nehalem");
        tm_free(&m);
    }
}

Test(msr, tsc_aux_rdtscp_rdpid, .timeout = 30)
{
    static const uint8_t rdtscp[] = {0x0f, 0x01, 0xf9};
    static const uint8_t rdpid[] = {0xf3, 0x0f, 0xc7, 0xf8}; /* rdpid rax */
    FOR_BACKENDS
    {
        start(b, "max");
        cr_expect_eq(wr(MSR_TSC_AUX, 0x1234), 3);
        cr_expect_eq(wr(MSR_TSC_AUX, 1ull << 32), 13, "bits 63:32");
        m.env->regs[R_ECX] = ~0ull;
        cr_expect_eq(tm_run(&m, rdtscp, sizeof(rdtscp)), 3);
        cr_expect_eq(m.env->regs[R_ECX], 0x1234);
        m.env->regs[R_EAX] = ~0ull;
        cr_expect_eq(tm_run(&m, rdpid, sizeof(rdpid)), 3);
        cr_expect_eq(m.env->regs[R_EAX], 0x1234, "RDPID, zero-extended");
        tm_free(&m);
        start(b, "Skylake-Client");
        cr_expect_eq(tm_run(&m, rdpid, sizeof(rdpid)), 6, "no RDPID");
        tm_free(&m);
    }
}

/* without a clock (xrun, user-mode tests) the TSC is a counter */
Test(msr, tsc_counter_without_a_clock, .timeout = 30)
{
    static const uint8_t two[] = {0x0f, 0x31, 0x48, 0x89, 0xc3, 0x0f, 0x31};
    FOR_BACKENDS
    {
        start(b, "max");
        cr_expect_eq(tm_run(&m, two, sizeof(two)), 3);
        cr_expect_eq(m.env->regs[R_EAX] - m.env->regs[R_EBX], 64);
        tm_free(&m);
    }
}

#define STAR ((0x13ull << 48) | (0x08ull << 32))

/*
 * AMD: SYSENTER/SYSEXIT are #UD in long mode; SYSRET loads a
 * non-canonical RCX and the fetch faults at CPL 3 (Intel: #GP at CPL 0).
 */
Test(msr, amd_system_call_differences, .timeout = 30)
{
    static const uint8_t sysenter[] = {0x0f, 0x34};
    static const uint8_t sysret[] = {0x48, 0x0f, 0x07};
    FOR_BACKENDS
    {
        start(b, "EPYC");
        m.env->msr.sysenter_cs = 0x8;
        cr_expect_eq(tm_run(&m, sysenter, sizeof(sysenter)), 6, "AMD #UD");
        m.env->efer |= EFER_SCE;
        m.env->msr.star = STAR;
        m.env->regs[R_ECX] = 0x0000800000000000ull;
        m.env->regs[11] = 0x2;
        cr_expect_eq(tm_run(&m, sysret, sizeof(sysret)), 13);
        cr_expect_eq(cpu_cpl(m.env), 3, "the fault is taken at CPL 3");
        cr_expect_eq(m.env->rip, 0x0000800000000000ull);
        tm_free(&m);
        start(b, "Skylake-Client");
        m.env->msr.sysenter_cs = 0x8;
        m.env->msr.sysenter_eip = TM_CODE + 0x100;
        cr_expect_neq(tm_run(&m, sysenter, sizeof(sysenter)), 6,
                      "Intel runs it");
        tm_free(&m);
    }
}

/* SYSCALL from compatibility mode: AMD enters CSTAR, Intel raises #UD */
Test(msr, syscall_in_compatibility_mode, .timeout = 30)
{
    static const uint8_t syscall_[] = {0x0f, 0x05};
    const uint32_t code32 = SEG_AR_P | SEG_AR_S | 0xbu | SEG_AR_DB | SEG_AR_G;
    FOR_BACKENDS
    {
        for (int amd = 0; amd < 2; amd++) {
            start(b, amd ? "Opteron_G2" : "SandyBridge");
            m.env->efer |= EFER_SCE;
            m.env->msr.star = STAR;
            m.env->msr.cstar = TM_CODE + 0x200;
            cpu_seg_set(m.env, R_CS, 0x30, 0, 0xffffffff, code32);
            cpu_update_hflags(m.env);
            cr_assert_eq(m.env->hflags & HF_CS64, 0, "compatibility mode");
            int vec = tm_run(&m, syscall_, sizeof(syscall_));
            if (amd) {
                cr_expect_eq(vec, 3, "the int3 at CSTAR");
                cr_expect_eq(m.env->rip, TM_CODE + 0x201, "past the int3");
                cr_expect(m.env->hflags & HF_CS64, "64-bit kernel code");
                cr_expect_eq(m.env->regs[R_ECX], TM_CODE + 2);
            } else {
                cr_expect_eq(vec, 6, "Intel: #UD outside 64-bit mode");
            }
            tm_free(&m);
        }
    }
}
