/*
 * Directed difftests of the string and sys families (translate_string.c,
 * translate_sys.c): REP/REPE/REPNE corners (RCX = 0, DF = 1, 67h, long
 * counts over many chunks, a page fault in the middle), CMPXCHG/8B/16B and
 * XADD forms, LAHF/SAHF, ENTER/LEAVE, XLAT against the host CPU, and CPUID
 * and RDTSC against xlat's own model (they differ from the host by design).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cpu/cpu_features.h"
#include "cpu/cpuid.h"
#include "dt_fixture.h"

static void setup(void)
{
    dt_fixture_reset();
    for (unsigned i = 0; i < DT_DATA_SIZE; i++) {
        tc.init.data[i] = (uint8_t)(i * 7 + 3);
    }
}

TestSuite(difftest_fes, .init = setup, .timeout = 120);

/* xlat alone, with every feature it implements (not the host's model) */
static void run_xlat(void)
{
    tc.model = CPU_FEATURES_MAX;
    cr_assert_eq(dt_xlat_run(&tc, TCG_BACKEND_JIT, &jit), 0);
    cr_assert_eq(dt_xlat_run(&tc, TCG_BACKEND_INTERP, &interp), 0);
    cr_expect_eq(dt_result_diff(&jit, &interp, 0, stderr), 0, "jit vs interp");
}

Test(difftest_fes, rep_movs_forward_backward_and_67h)
{
    tc.init.gpr[DT_RSI] = DT_DATA_ADDR + 0x100;
    tc.init.gpr[DT_RDI] = DT_DATA_ADDR + 0x800;
    tc.init.gpr[DT_RCX] = 37;
    CASE(0xf3, 0xa4); /* rep movsb */
    run3(0);
    cr_assert_eq(jit.final.gpr[DT_RCX], 0);
    cr_assert_eq(jit.final.gpr[DT_RDI], DT_DATA_ADDR + 0x800 + 37);
    cr_assert_eq(jit.final.data[0x800 + 36], tc.init.data[0x100 + 36]);

    tc.init.rflags = DT_DF; /* backwards, quadwords */
    tc.init.gpr[DT_RCX] = 21;
    CASE(0xf3, 0x48, 0xa5); /* rep movsq */
    run3(0);
    cr_assert_eq(jit.final.gpr[DT_RSI], DT_DATA_ADDR + 0x100 - 21 * 8);

    tc.init.rflags = 0; /* 67h: ESI/EDI/ECX, upper halves cleared */
    tc.init.gpr[DT_RCX] = 0xabcd000000000005ull;
    CASE(0xf3, 0x67, 0x66, 0xa5); /* rep movsw with 32-bit addresses */
    run3(0);
    cr_assert_eq(jit.final.gpr[DT_RCX], 0);
}

Test(difftest_fes, rep_with_rcx_zero_changes_nothing)
{
    tc.init.gpr[DT_RSI] = DT_DATA_ADDR + 0x100;
    tc.init.gpr[DT_RDI] = DT_DATA_ADDR + 0x200;
    tc.init.gpr[DT_RCX] = 0;
    tc.init.rflags = DT_CF | DT_ZF | DT_OF;
    CASE(0xf3, 0xa6, 0xf2, 0xae, 0xf3, 0xaa); /* repe cmpsb; repne scasb;
                                                 rep stosb */
    run3(0);
    cr_assert_eq(jit.final.rflags, DT_CF | DT_ZF | DT_OF);
    cr_assert_eq(jit.final.gpr[DT_RSI], DT_DATA_ADDR + 0x100);
}

Test(difftest_fes, repe_cmps_and_repne_scas_stop_where_the_host_does)
{
    memset(tc.init.data + 0x300, 'A', 700);
    tc.init.data[0x300 + 700] = 0; /* a terminator far away */
    tc.init.gpr[DT_RAX] = 0;
    tc.init.gpr[DT_RDI] = DT_DATA_ADDR + 0x300;
    tc.init.gpr[DT_RCX] = ~0ull;
    CASE(0xf2, 0xae); /* repne scasb: strlen over many chunks */
    run3(0);
    cr_assert_eq(jit.final.gpr[DT_RDI], DT_DATA_ADDR + 0x300 + 701);

    memcpy(tc.init.data + 0x1000, tc.init.data + 0x400, 200);
    tc.init.data[0x1000 + 150] ^= 1;
    tc.init.gpr[DT_RSI] = DT_DATA_ADDR + 0x400;
    tc.init.gpr[DT_RDI] = DT_DATA_ADDR + 0x1000;
    tc.init.gpr[DT_RCX] = 100; /* dwords: differs in dword 37 */
    CASE(0xf3, 0xa7);          /* repe cmpsd */
    run3(0);
    cr_assert_eq(jit.final.gpr[DT_RCX], 100 - 38);

    tc.init.rflags = DT_DF;
    tc.init.gpr[DT_RAX] = tc.init.data[0x500];
    tc.init.gpr[DT_RDI] = DT_DATA_ADDR + 0x520;
    tc.init.gpr[DT_RCX] = 64;
    CASE(0x67, 0xf2, 0xae); /* repne scasb backwards, 32-bit addresses */
    run3(0);
}

Test(difftest_fes, page_fault_in_the_middle_of_rep_is_precise)
{
    tc.init.gpr[DT_RAX] = 0x1122334455667788ull;
    tc.init.gpr[DT_RDI] = DT_DATA_ADDR + DT_DATA_SIZE - 8 * 5;
    tc.init.gpr[DT_RCX] = 9;
    CASE(0xf3, 0x48, 0xab); /* rep stosq runs off the data region */
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_PF);
    cr_assert_eq(jit.final.gpr[DT_RCX], 4);
    cr_assert_eq(jit.fault_addr, DT_DATA_ADDR + DT_DATA_SIZE);

    tc.init.rflags = DT_DF;
    tc.init.gpr[DT_RSI] = DT_DATA_ADDR + 3;
    tc.init.gpr[DT_RCX] = 10;
    CASE(0xf3, 0xac); /* rep lodsb backwards off the start */
    run3(0);
    cr_assert_eq(jit.final.gpr[DT_RCX], 6);
    cr_assert_eq(jit.final.gpr[DT_RSI], DT_DATA_ADDR - 1);
}

Test(difftest_fes, cmpxchg_success_failure_and_zero_extension)
{
    tc.init.gpr[DT_RAX] = 0xffffffff00000005ull;
    tc.init.gpr[DT_RBX] = 0xeeeeeeee00000005ull;
    tc.init.gpr[DT_RCX] = 0x1234;
    tc.init.gpr[DT_RDX] = 0xdddddddd00000006ull;
    tc.init.gpr[DT_R15] = DT_DATA_ADDR + 0x100;
    /* cmpxchg ebx, ecx (equal); cmpxchg edx, ecx (not equal);
     * lock cmpxchg [r15], cl; cmpxchg [r15 + 8], rcx */
    CASE(0x0f, 0xb1, 0xcb, 0x0f, 0xb1, 0xca, 0xf0, 0x41, 0x0f, 0xb0, 0x0f, 0x49,
         0x0f, 0xb1, 0x4f, 0x08);
    run3(0);
    cr_assert_eq(jit.final.gpr[DT_RBX], 0x1234);

    tc.init.gpr[DT_RAX] = tc.init.data[0x100];
    CASE(0xf0, 0x41, 0x0f, 0xb0, 0x0f, 0x41, 0x0f, 0xb1, 0x0f); /* success */
    run3(0);
}

Test(difftest_fes, cmpxchg8b_16b_alignment_and_xadd)
{
    dt_require_features(CPU_FEAT(CX16) | CPU_FEAT(CX8));
    tc.init.gpr[DT_R15] = DT_DATA_ADDR + 0x200;
    memcpy(&tc.init.gpr[DT_RAX], tc.init.data + 0x200, 8);
    memcpy(&tc.init.gpr[DT_RDX], tc.init.data + 0x208, 8);
    tc.init.gpr[DT_RBX] = 0x1111;
    tc.init.gpr[DT_RCX] = 0x2222;
    /* lock cmpxchg16b [r15] (equal); cmpxchg16b [r15] (now not equal) */
    CASE(0xf0, 0x49, 0x0f, 0xc7, 0x0f, 0x49, 0x0f, 0xc7, 0x0f);
    run3(0);
    cr_assert_eq(jit.final.gpr[DT_RAX], 0x1111);

    CASE(0x49, 0x0f, 0xc7, 0x4f, 0x08); /* cmpxchg16b [r15 + 8]: #GP */
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_GP);

    /* cmpxchg8b [r15 + 4]; lock cmpxchg8b [r15 + 4]; xadd eax, eax;
     * lock xadd [r15], rbx */
    tc.init.gpr[DT_RDX] = 7;
    CASE(0x41, 0x0f, 0xc7, 0x4f, 0x04, 0xf0, 0x41, 0x0f, 0xc7, 0x4f, 0x04, 0x0f,
         0xc1, 0xc0, 0xf0, 0x49, 0x0f, 0xc1, 0x1f);
    run3(0);
}

Test(difftest_fes, lahf_sahf_enter_leave_xlat)
{
    tc.init.gpr[DT_RAX] = 0xd7ff;
    tc.init.rflags = DT_OF;
    /* sahf; lahf; add al, 0x80: flags round-trip, OF kept by SAHF */
    CASE(0x9e, 0x9f, 0x04, 0x80, 0x9e);
    run3(0);

    tc.init.gpr[DT_RSP] = DT_DATA_ADDR + 0x800;
    tc.init.gpr[DT_RBP] = DT_DATA_ADDR + 0x900;
    /* enter 0x18, 3; leave; enter 8, 0; 66 enter 4, 2; 66 leave */
    CASE(0xc8, 0x18, 0x00, 0x03, 0xc9, 0xc8, 0x08, 0x00, 0x00, 0x66, 0xc8, 0x04,
         0x00, 0x02, 0x66, 0xc9);
    run3(0);

    tc.init.gpr[DT_RBX] = DT_DATA_ADDR + 0x300;
    tc.init.gpr[DT_RAX] = 0x99;
    CASE(0xd7, 0x67, 0xd7); /* xlat twice, then with 32-bit EBX */
    run3(0);
    cr_assert_eq(jit.final.gpr[DT_RAX] & 0xff,
                 tc.init.data[0x300 + tc.init.data[0x300 + 0x99]]);
}

Test(difftest_fes, cpuid_follows_the_model)
{
    static CpuX86 env;
    env.cpuid_signature = CPU_X86_SIGNATURE_DEFAULT;
    static const uint32_t leaves[][2] = {
        {0, 0},           {1, 0},           {7, 0},
        {0x80000000u, 0}, {0x80000001u, 0}, {0x80000004u, 0},
        {0x80000008u, 0}, {0x40000000u, 0}, {7, 1}};
    for (unsigned i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
        uint32_t want[4];
        cpuid_query(&env, leaves[i][0], leaves[i][1], want);
        tc.init.gpr[DT_RAX] = 0xffffffff00000000ull | leaves[i][0];
        tc.init.gpr[DT_RCX] = leaves[i][1];
        CASE(0x0f, 0xa2);
        run_xlat();
        cr_assert_eq(jit.exception, DT_EXC_NONE);
        cr_assert_eq(jit.final.gpr[DT_RAX], want[0], "leaf 0x%x", leaves[i][0]);
        cr_assert_eq(jit.final.gpr[DT_RBX], want[1]);
        cr_assert_eq(jit.final.gpr[DT_RCX], want[2]);
        cr_assert_eq(jit.final.gpr[DT_RDX], want[3]);
    }
    uint32_t r[4];
    cpuid_query(&env, 0, 0, r);
    cr_assert_eq(memcmp(&r[1], "Genu", 4), 0);
    cr_assert_eq(memcmp(&r[2], "ntel", 4), 0);
    cpuid_query(&env, 0x80000001u, 0, r);
    cr_assert(r[2] & CPUID_E1_ECX_LAHF);
    cpuid_query(&env, 1, 0, r);
    cr_assert_eq(r[0], CPU_X86_SIGNATURE_DEFAULT);
    cr_assert(r[3] & (1u << 25), "SSE (the FPU/SIMD first slice)");
}

Test(difftest_fes, rdtsc_counts_up_deterministically)
{
    tc.init.gpr[DT_RAX] = ~0ull;
    tc.init.gpr[DT_RDX] = ~0ull;
    /* rdtsc; mov rbx, rax; mov rsi, rdx; rdtscp */
    CASE(0x0f, 0x31, 0x48, 0x89, 0xc3, 0x48, 0x89, 0xd6, 0x0f, 0x01, 0xf9);
    run_xlat();
    cr_assert_eq(jit.exception, DT_EXC_NONE);
    uint64_t t0 = jit.final.gpr[DT_RBX] | jit.final.gpr[DT_RSI] << 32;
    uint64_t t1 = jit.final.gpr[DT_RAX] | jit.final.gpr[DT_RDX] << 32;
    cr_assert(t1 > t0);
    cr_assert_eq(jit.final.gpr[DT_RAX] >> 32, 0);
    cr_assert_eq(jit.final.gpr[DT_RDX] >> 32, 0);
    cr_assert_eq(jit.final.gpr[DT_RCX] >> 32, 0);
}
