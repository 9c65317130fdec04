/*
 * The host model of the difftest (hostcpu.h): the vendor quirk table and
 * masked mode, the near branches with 66h in 64-bit mode that Intel and
 * AMD treat differently (checked against the SDM's values in masked mode,
 * against the host too on an Intel host), and hidden host features (the
 * generator leaves their instructions out and xlat raises #UD for them).
 * Meson runs this file twice: as it is, and with XLAT_DIFFTEST_VENDOR_MASK=1.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dt_fixture.h"

static void setup(void)
{
    dt_fixture_reset();
}

TestSuite(vendor, .init = setup, .timeout = 120);

static const DtQuirk *scan(const uint8_t *code, size_t len, X86Mode mode,
                           uint32_t *flags)
{
    *flags = 0;
    return dt_quirk_scan(code, len, mode, flags);
}

Test(vendor, the_66h_quirk_names_exactly_the_near_branches)
{
    static const uint8_t call66[] = {0x90, 0x66, 0xe8, 0, 0, 0, 0};
    static const uint8_t jcc66[] = {0x66, 0x0f, 0x84, 0, 0, 0, 0};
    static const uint8_t jmp66_short[] = {0x66, 0xeb, 0x00};
    static const uint8_t jmp66_ind[] = {0x66, 0xff, 0xe0};
    static const uint8_t call[] = {0xe8, 0, 0, 0, 0};
    static const uint8_t call66_rexw[] = {0x66, 0x48, 0xe8, 0, 0, 0, 0};
    static const uint8_t push66[] = {0x66, 0x50, 0x66, 0x9c};
    uint32_t fl;
    const DtQuirk *q = scan(call66, sizeof(call66), X86_MODE64, &fl);
    cr_assert_not_null(q);
    cr_expect_str_eq(q->name, "near-branch-66h");
    cr_expect(q->whole);
    cr_expect_not_null(scan(jcc66, sizeof(jcc66), X86_MODE64, &fl));
    cr_expect_not_null(scan(jmp66_short, sizeof(jmp66_short), X86_MODE64, &fl));
    cr_expect_not_null(scan(jmp66_ind, sizeof(jmp66_ind), X86_MODE64, &fl));
    cr_expect_null(scan(call, sizeof(call), X86_MODE64, &fl));
    cr_expect_null(scan(call66_rexw, sizeof(call66_rexw), X86_MODE64, &fl));
    cr_expect_null(scan(push66, sizeof(push66), X86_MODE64, &fl));
    /* outside 64-bit mode 66h is a 16-bit operand on every vendor */
    cr_expect_null(scan(call66, sizeof(call66), X86_MODE32, &fl));
    cr_expect_eq(fl, 0);
}

Test(vendor, masked_mode_follows_the_host_and_the_environment)
{
    const char *env = getenv("XLAT_DIFFTEST_VENDOR_MASK");
    bool forced = env && !strcmp(env, "1");
    cr_expect_eq(dt_vendor_masked(), forced || !dt_host()->intel);
    setenv("XLAT_DIFFTEST_VENDOR_MASK", "1", 1);
    cr_expect(dt_vendor_masked());
    unsetenv("XLAT_DIFFTEST_VENDOR_MASK");
    cr_expect_eq(dt_vendor_masked(), !dt_host()->intel);
    cr_expect_neq(dt_host()->vendor[0], 0);
}

/*
 * 66h near branches in 64-bit mode, Intel's way (SDM vol. 2: CALL, JMP and
 * Jcc rel16 are not supported in 64-bit mode, so the prefix is ignored):
 * rel32 or rel8 displacements, 64-bit targets, an 8-byte return address.
 * run3 compares with the host unless masked mode is on (an AMD host takes
 * the 16-bit forms); the SDM's values are checked either way.
 */
Test(vendor, near_branches_with_66h_ignore_the_prefix)
{
    uint64_t rsp = tc.init.gpr[DT_RSP];
    /* 66 call +1; int3; pop rbx: returns address 6, lands on the pop */
    CASE(0x66, 0xe8, 0x01, 0x00, 0x00, 0x00, 0xcc, 0x5b);
    run3(0);
    cr_expect_eq(jit.exception, DT_EXC_NONE);
    cr_expect_eq(jit.final.gpr[DT_RBX], DT_CODE_ADDR + 6);
    cr_expect_eq(jit.final.gpr[DT_RSP], rsp);
    cr_expect_eq(native.final.gpr[DT_RBX], DT_CODE_ADDR + 6);
    /* 66 jmp +1 (rel32); int3; nop */
    CASE(0x66, 0xe9, 0x01, 0x00, 0x00, 0x00, 0xcc, 0x90);
    run3(0);
    cr_expect_eq(jit.exception, DT_EXC_NONE);
    cr_expect_eq(jit.final.rip, DT_CODE_ADDR + 8);
    /* xor eax, eax; 66 jz +1 (rel32); int3; nop */
    CASE(0x31, 0xc0, 0x66, 0x0f, 0x84, 0x01, 0x00, 0x00, 0x00, 0xcc, 0x90);
    run3(0);
    cr_expect_eq(jit.exception, DT_EXC_NONE);
    cr_expect_eq(jit.final.rip, DT_CODE_ADDR + 11);
    /* 66 jmp short +1; int3; nop: the target is not cut to 16 bits */
    CASE(0x66, 0xeb, 0x01, 0xcc, 0x90);
    run3(0);
    cr_expect_eq(jit.exception, DT_EXC_NONE);
    cr_expect_eq(jit.final.rip, DT_CODE_ADDR + 5);
}

/* ---- hidden host features ---- */

Test(vendor, hidden_features_are_missing_and_raise_ud_in_xlat)
{
    setenv("XLAT_DIFFTEST_HIDE", "bmi2,ADX", 1);
    uint64_t f = dt_host_features();
    cr_expect_eq(f & (CPU_FEAT(BMI2) | CPU_FEAT(ADX)), 0);
    cr_expect(f & CPU_FEAT(BASE));
    const char *lack = dt_host_missing(CPU_FEAT(BMI2) | CPU_FEAT(BASE));
    cr_assert_not_null(lack);
    cr_expect_str_eq(lack, x86_feature_name(XFEAT_BMI2));
    /* pdep rdi, rdx, rax: #UD under the host's model without BMI2 */
    CASE(0xc4, 0xe2, 0xeb, 0xf5, 0xf8);
    cr_assert_eq(dt_xlat_run(&tc, TCG_BACKEND_JIT, &jit), 0);
    cr_expect_eq(jit.exception, DT_EXC_UD);
    unsetenv("XLAT_DIFFTEST_HIDE");
}

Test(vendor, the_generator_leaves_out_what_the_host_lacks)
{
    setenv("XLAT_DIFFTEST_HIDE", "BMI1,BMI2,ADX,MOVBE,POPCNT,LZCNT", 1);
    unsigned fail = 0, seen = 0;
    for (uint64_t seed = 1; seed <= 300; seed++) {
        static DtGenSeq seq;
        DtCase c;
        dt_gen_case(seed, 1 + (unsigned)(seed % 40), &seq, &c);
        for (size_t pos = 0; pos < seq.len;) {
            DecodedInsn d;
            if (x86_decode(&d, seq.code + pos, seq.len - pos, X86_MODE64) !=
                X86_DEC_OK) {
                pos++;
                continue;
            }
            cr_expect(dt_host_runs(&d), "seed %llu: %s left in",
                      (unsigned long long)seed, x86_insn_name(d.id));
            seen++;
            pos += d.len;
        }
        fail += !dt_random_one(seed, 1 + (unsigned)(seed % 40), DT_MODE64);
    }
    unsetenv("XLAT_DIFFTEST_HIDE");
    cr_expect_gt(seen, 1000);
    cr_expect_eq(fail, 0, "%u sequences differ with features hidden", fail);
}

/* ---- which of two faulting string operands is reported ---- */

Test(vendor, the_cmps_quirk_names_only_cmps)
{
    static const uint8_t repe_cmpsb[] = {0xf3, 0xa6};
    static const uint8_t repne_cmpsq[] = {0xf2, 0x48, 0xa7};
    static const uint8_t cmpsb[] = {0xa6};
    static const uint8_t rep_movsb[] = {0xf3, 0xa4};
    static const uint8_t repe_scasb[] = {0xf3, 0xae};
    static const uint8_t movsb[] = {0xa4};
    uint32_t fl;
    cr_expect_null(scan(repe_cmpsb, sizeof(repe_cmpsb), X86_MODE64, &fl),
                   "not whole-case: only the #PF report is masked");
    cr_expect_eq(fl, DT_UNDEF_PF_WHICH);
    (void)scan(repne_cmpsq, sizeof(repne_cmpsq), X86_MODE64, &fl);
    cr_expect_eq(fl, DT_UNDEF_PF_WHICH);
    (void)scan(repe_cmpsb, sizeof(repe_cmpsb), X86_MODE16, &fl);
    cr_expect_eq(fl, DT_UNDEF_PF_WHICH);
    (void)scan(cmpsb, sizeof(cmpsb), X86_MODE64, &fl);
    cr_expect_eq(fl, DT_UNDEF_PF_WHICH);
    const uint8_t *none[] = {movsb, rep_movsb, repe_scasb};
    const size_t len[] = {sizeof(movsb), sizeof(rep_movsb),
                          sizeof(repe_scasb)};
    for (size_t i = 0; i < ARRAY_LEN(none); i++) {
        cr_expect_null(scan(none[i], len[i], X86_MODE64, &fl));
        cr_expect_eq(fl, 0, "form %zu", i);
    }
}

/*
 * Both CMPS operands on the unmapped page 0x1000: xlat reports ES:rDI's
 * #PF, with or without REP. The host's report is compared exactly on an
 * Intel host and masked elsewhere (AMD hosts differ by family).
 */
Test(vendor, cmps_with_both_operands_faulting_reports_rdi)
{
    static const uint8_t forms[][2] = {{0x90, 0xa6}, {0xf3, 0xa6}};
    for (size_t i = 0; i < ARRAY_LEN(forms); i++) {
        tc.init.gpr[DT_RSI] = 0x100b;
        tc.init.gpr[DT_RDI] = 0x107e;
        tc.init.gpr[DT_RCX] = 3;
        tc.code = forms[i];
        tc.len = sizeof(forms[i]);
        run3(0);
        cr_expect_eq(jit.exception, DT_EXC_PF, "form %zu", i);
        cr_expect_eq(jit.fault_addr, 0x107e, "form %zu", i);
        cr_expect_eq(native.exception, DT_EXC_PF, "form %zu", i);
        if (!dt_vendor_masked()) {
            cr_expect_eq(native.fault_addr, 0x107e, "form %zu", i);
        }
    }
}
