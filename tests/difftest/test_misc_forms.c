/*
 * Directed difftests of the forms issue 6 lists one by one, against the
 * host CPU on both backends: POPF/PUSHF images (reserved bits, AC, ID, NT,
 * DF, the CPL 3 rules for IF/IOPL, RF cleared, POPFW), PUSH/POP in every
 * form (immediates sign-extended, 66h, memory operands addressed through
 * RSP, PUSH RSP/POP RSP, FS/GS with a null selector), NOP and hint forms
 * whose memory operands must not be accessed, UD0/UD1/INT1, HLT/CLI/STI
 * at CPL 3, MOVSXD without REX.W, ENTER nesting levels and BT* with bit
 * offsets beyond the operand.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "dt_fixture.h"

#define DATA_MID (DT_DATA_ADDR + 0x2000)
#define NONCANON 0x0000900000000000ull

static void setup(void)
{
    dt_fixture_reset();
    for (unsigned i = 0; i < DT_DATA_SIZE; i++) {
        tc.init.data[i] = (uint8_t)(i * 13 + 5);
    }
}

TestSuite(misc_forms, .init = setup, .timeout = 120);

/* mov rax, image; push rax; popfq; pushfq; pop rbx */
static void popf_code(uint64_t image)
{
    static uint8_t code[16];
    code[0] = 0x48;
    code[1] = 0xb8;
    memcpy(code + 10, (const uint8_t[]){0x50, 0x9d, 0x9c, 0x5b}, 4);
    memcpy(code + 2, &image, 8);
    tc.code = code;
    tc.len = 14;
}

static void popf_image(uint64_t image)
{
    popf_code(image);
    run3(0);
    cr_assert_eq(native.exception, DT_EXC_NONE);
}

/*
 * The images below leave out NT: the host kernel may clear it under the
 * snippet (DT_FLAGS_HOST_ASYNC). popf_keeps_nt checks it against the SDM.
 */
Test(misc_forms, popf_pushf_round_trips)
{
    /* everything but TF: IF, IOPL, VIF, VIP ignored at CPL 3, RF cleared */
    popf_image(~(uint64_t)(0x100 | DT_NT));
    cr_expect_eq(jit.final.gpr[DT_RBX] & 0x3000, 0, "IOPL kept at 0");
    cr_expect_eq(jit.final.gpr[DT_RBX] & 0x10000, 0, "RF cleared");
    popf_image(0);
    cr_expect_eq(jit.final.gpr[DT_RBX] & 0x200, 0x200, "IF kept at 1");
    popf_image(0x40000 | 0x400 | 0x8d5); /* AC DF status */
    cr_expect_eq(jit.final.rflags & (DT_AC | DT_DF), DT_AC | DT_DF);
    popf_image(0x200000);                     /* ID alone */
    popf_image(0xffffffff00000000ull | 0x0a); /* reserved bits only */
}

/* the SDM's PUSHF image after POPF of image at CPL 3, IOPL 0, IF = 1 */
static uint64_t popf_sdm(uint64_t image)
{
    uint64_t popf_changes = 0x8d5 | DT_DF | DT_NT | DT_AC | 0x200000;
    return (image & popf_changes) | 0x2 | DT_IF;
}

/* xlat alone, against the SDM: POPF at CPL 3 sets and clears NT */
Test(misc_forms, popf_keeps_nt)
{
    static const uint64_t images[] = {DT_NT, ~(uint64_t)0x100,
                                      0x40000 | DT_NT | 0x400 | 0x8d5, 0};
    for (unsigned i = 0; i < sizeof(images) / sizeof(images[0]); i++) {
        popf_code(images[i]);
        cr_assert_eq(dt_xlat_run(&tc, TCG_BACKEND_JIT, &jit), 0);
        cr_assert_eq(dt_xlat_run(&tc, TCG_BACKEND_INTERP, &interp), 0);
        cr_expect_eq(jit.exception, DT_EXC_NONE);
        cr_expect_eq(jit.final.gpr[DT_RBX], popf_sdm(images[i]),
                     "image %#llx: jit %#llx", (unsigned long long)images[i],
                     (unsigned long long)jit.final.gpr[DT_RBX]);
        cr_expect_eq(dt_result_diff(&jit, &interp, 0, stderr), 0);
    }
    /* pushw 0x7eff; popfw; pushfq; pop rbx: POPFW sets NT too */
    CASE(0x66, 0x68, 0xff, 0x7e, 0x66, 0x9d, 0x9c, 0x5b);
    cr_assert_eq(dt_xlat_run(&tc, TCG_BACKEND_JIT, &jit), 0);
    cr_expect_eq(jit.final.gpr[DT_RBX], popf_sdm(0x7eff));
}

Test(misc_forms, popfw_touches_the_low_half)
{
    tc.init.rflags = DT_CF | DT_ZF;
    /* pushfq; pushw 0x3eff; popfw; pushw ax; pushfw; pushfq; pop rbx
       (IOPL bits ignored at CPL 3; no NT, see above) */
    CASE(0x9c, 0x66, 0x68, 0xff, 0x3e, 0x66, 0x9d, 0x66, 0x9c, 0x9c, 0x5b);
    run3(0);
    cr_expect_eq(native.exception, DT_EXC_NONE);
    /* and with AC and ID set before (kept by popfw) */
    CASE(0x68, 0x00, 0x00, 0x24, 0x00, 0x9d, /* push 0x240000; popf */
         0x66, 0x68, 0xd5, 0x0c, 0x66, 0x9d, 0x9c, 0x5b);
    run3(0);
    cr_expect_eq(jit.final.gpr[DT_RBX] & 0x240cd5, 0x240cd5);
}

Test(misc_forms, popf_id_toggle_and_df_for_strings)
{
    /* pushfq; xor qword [rsp], ID; popfq; pushfq; pop rbx */
    CASE(0x9c, 0x48, 0x81, 0x34, 0x24, 0x00, 0x00, 0x20, 0x00, 0x9d, 0x9c,
         0x5b);
    run3(0);
    cr_expect_eq(jit.final.gpr[DT_RBX] & 0x200000, 0x200000);
    tc.init.gpr[DT_RSI] = DATA_MID;
    CASE(0x68, 0x00, 0x04, 0x00, 0x00, 0x9d, 0xac); /* push DF; popf; lodsb */
    run3(0);
    cr_expect_eq(jit.final.gpr[DT_RSI], DATA_MID - 1);
}

Test(misc_forms, push_immediates_sign_extend)
{
    /* push -1; push 0x7f; pushw -128; push -2^31; pushw 0x1234 */
    CASE(0x6a, 0xff, 0x6a, 0x7f, 0x66, 0x6a, 0x80, 0x68, 0x00, 0x00, 0x00, 0x80,
         0x66, 0x68, 0x34, 0x12);
    run3(0);
    cr_expect_eq(jit.final.gpr[DT_RSP], tc.init.gpr[DT_RSP] - 28);
}

Test(misc_forms, pop_and_push_memory_through_rsp)
{
    /* pop [rsp+8]; popw [rsp]; pop [rsp]; push [rsp]; pushw [rsp+2] */
    CASE(0x8f, 0x44, 0x24, 0x08, 0x66, 0x8f, 0x04, 0x24, 0x8f, 0x04, 0x24, 0xff,
         0x34, 0x24, 0x66, 0xff, 0x74, 0x24, 0x02);
    run3(0);
    cr_expect_eq(native.exception, DT_EXC_NONE);
    /* push rsp; push sp; pop rsp (the pushed sp) */
    CASE(0x54, 0x66, 0x54, 0x5c);
    run3(0);
    /* pop sp: only SP changes, to the popped word */
    tc.init.gpr[DT_RBX] = DT_DATA_ADDR + 0x1230;
    CASE(0x66, 0x53, 0x66, 0x5c); /* push bx; pop sp */
    run3(0);
    cr_expect_eq(jit.final.gpr[DT_RSP],
                 (tc.init.gpr[DT_RSP] & ~0xffffull) | 0x1230);
}

Test(misc_forms, push_pop_fs_gs_null_selector)
{
    tc.init.gpr[DT_RDI] = DATA_MID;
    /* push 0; pop fs; push fs; push 0; pop gs; pushw gs; popw gs; pop rbx;
     * mov rax, fs:[rdi] (the null selector left FS base 0) */
    CASE(0x6a, 0x00, 0x0f, 0xa1, 0x0f, 0xa0, 0x6a, 0x00, 0x0f, 0xa9, 0x66, 0x0f,
         0xa8, 0x66, 0x0f, 0xa9, 0x5b, 0x64, 0x48, 0x8b, 0x07);
    run3(0);
    cr_expect_eq(native.exception, DT_EXC_NONE);
    cr_expect_eq(jit.final.gpr[DT_RBX], 0);
    cr_expect_eq(jit.final.gpr[DT_RSP], tc.init.gpr[DT_RSP]);
}

Test(misc_forms, nop_and_hint_operands_are_not_accessed)
{
    tc.init.gpr[DT_RAX] = NONCANON;
    /* nopl [rax]; nopw [rax+rax]; nop [rax+disp32]; prefetch nta/t0/t1/t2
     * [rax]; 0f 18 /4; 0f 19..0f 1d; 0f 1e /0; prefetchw [rax]; pause;
     * xchg ax, ax; endbr64 */
    CASE(0x0f, 0x1f, 0x00, 0x66, 0x0f, 0x1f, 0x04, 0x00, 0x0f, 0x1f, 0x80, 0x00,
         0x00, 0x00, 0x40, 0x0f, 0x18, 0x00, 0x0f, 0x18, 0x08, 0x0f, 0x18, 0x10,
         0x0f, 0x18, 0x18, 0x0f, 0x18, 0x20, 0x0f, 0x19, 0x00, 0x0f, 0x1a, 0x08,
         0x0f, 0x1b, 0x10, 0x0f, 0x1c, 0x18, 0x0f, 0x1d, 0x38, 0x0f, 0x1e, 0x00,
         0x0f, 0x0d, 0x08, 0xf3, 0x90, 0x66, 0x90, 0xf3, 0x0f, 0x1e, 0xfa);
    run3(0);
    cr_expect_eq(native.exception, DT_EXC_NONE);
    cr_expect_eq(jit.exception, DT_EXC_NONE);
}

Test(misc_forms, ud_int1_and_privileged_at_cpl3)
{
    static const uint8_t cases[][3] = {
        {0x0f, 0xb9, 0xc0}, /* ud1 eax, eax */
        {0x0f, 0x0b, 0x90}, /* ud2 */
        {0xf1, 0x90, 0x90}, /* int1: #DB after it */
        {0xf4, 0x90, 0x90}, /* hlt: #GP */
        {0xfa, 0x90, 0x90}, /* cli: #GP (IOPL 0) */
        {0xfb, 0x90, 0x90}, /* sti: #GP */
    };
    static const DtException want[] = {DT_EXC_UD, DT_EXC_UD, DT_EXC_DB,
                                       DT_EXC_GP, DT_EXC_GP, DT_EXC_GP};
    for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
        tc.code = cases[i];
        tc.len = 3;
        run3(0);
        cr_expect_eq(native.exception, want[i], "case %u", i);
        cr_expect_eq(jit.exception, want[i], "case %u", i);
    }
}

Test(misc_forms, movsxd_without_rex_w)
{
    tc.init.gpr[DT_RBX] = 0x8000000180008001ull;
    tc.init.gpr[DT_RAX] = ~0ull;
    tc.init.gpr[DT_RCX] = ~0ull;
    tc.init.gpr[DT_RDX] = ~0ull;
    tc.init.gpr[DT_RDI] = DATA_MID;
    /* movsxd eax, ebx; movsxd cx, bx; movsxd rdx, ebx; movsxd esi, [rdi] */
    CASE(0x63, 0xc3, 0x66, 0x63, 0xcb, 0x48, 0x63, 0xd3, 0x63, 0x37);
    run3(0);
    cr_expect_eq(jit.final.gpr[DT_RAX], 0x80008001ull);
}

Test(misc_forms, enter_nesting_levels)
{
    tc.init.gpr[DT_RBP] = DT_DATA_ADDR + 0x3000;
    tc.init.gpr[DT_RSP] = DT_DATA_ADDR + 0x3800;
    CASE(0xc8, 0x10, 0x00, 0x01); /* enter 16, 1 */
    run3(0);
    CASE(0xc8, 0x00, 0x00, 0x1f); /* enter 0, 31 */
    run3(0);
    CASE(0xc8, 0x08, 0x00, 0x25); /* enter 8, 37: level mod 32 = 5 */
    run3(0);
    CASE(0x66, 0xc8, 0x04, 0x00, 0x02); /* enterw 4, 2 */
    run3(0);
    cr_expect_eq(native.exception, DT_EXC_NONE);
}

Test(misc_forms, bt_memory_offsets_beyond_the_operand)
{
    static const int64_t offs[] = {100, -5, -70, 0x7ff0, -0x8000, 12345};
    tc.init.gpr[DT_RDI] = DATA_MID;
    for (unsigned i = 0; i < ARRAY_LEN(offs); i++) {
        tc.init.gpr[DT_RAX] = (uint64_t)offs[i];
        /* bt [rdi], eax; bts [rdi], rax; btc [rdi], ax; btr [rdi], eax */
        CASE(0x0f, 0xa3, 0x07, 0x48, 0x0f, 0xab, 0x07, 0x66, 0x0f, 0xbb, 0x07,
             0x0f, 0xb3, 0x07);
        run3(DT_OF | DT_SF | DT_AF | DT_PF);
        cr_expect_eq(native.exception, DT_EXC_NONE, "offset %lld",
                     (long long)offs[i]);
    }
}

Test(misc_forms, nop_90_versus_xchg_r8)
{
    tc.init.gpr[DT_RAX] = 0xfedcba9876543210ull;
    tc.init.gpr[DT_R8] = 0x0123456789abcdefull;
    /* nop; rex.w nop; xchg r8d, eax (41 90: zero-extends both) */
    CASE(0x90, 0x48, 0x90, 0x41, 0x90);
    run3(0);
    cr_expect_eq(jit.final.gpr[DT_RAX], 0x89abcdefull);
    cr_expect_eq(jit.final.gpr[DT_R8], 0x76543210ull);
}

Test(misc_forms, loop_and_jecxz_with_67h)
{
    tc.init.gpr[DT_RCX] = 0x100000000ull; /* ECX = 0 */
    /* 67 loop +0 (ECX: 0 -> 0xffffffff, taken to the next insn);
     * 67 jecxz +0; loope/loopne with 67h */
    CASE(0x67, 0xe2, 0x00, 0x67, 0xe3, 0x00, 0x67, 0xe1, 0x00, 0x67, 0xe0,
         0x00);
    run3(0);
    cr_expect_eq(native.exception, DT_EXC_NONE);
    tc.init.gpr[DT_RCX] = 0xffffffff00000001ull; /* ECX = 1 */
    CASE(0x67, 0xe2, 0x02, 0xff, 0xc0, 0x67, 0xe3, 0x00);
    run3(0);
}

/* CPL-0-only instructions at CPL 3: #GP(0) at the instruction, as on the
 * host (a user process), never #UD */
Test(misc_forms, privileged_instructions_are_gp_at_cpl3)
{
    static const uint8_t forms[][4] = {
        {0x0f, 0x20, 0xc0, 0x90}, /* mov rax, cr0 */
        {0x0f, 0x22, 0xd8, 0x90}, /* mov cr3, rax */
        {0x0f, 0x32, 0x90, 0x90}, /* rdmsr */
        {0x0f, 0x30, 0x90, 0x90}, /* wrmsr */
        {0x0f, 0x06, 0x90, 0x90}, /* clts */
        {0x0f, 0x01, 0x38, 0x90}, /* invlpg [rax] */
        {0x0f, 0x01, 0x10, 0x90}, /* lgdt [rax] */
        {0x0f, 0x01, 0x30, 0x90}, /* lmsw [rax] */
    };
    for (size_t i = 0; i < ARRAY_LEN(forms); i++) {
        tc.init.gpr[DT_RAX] = DT_DATA_ADDR;
        tc.code = forms[i];
        tc.len = sizeof(forms[i]);
        run3(0);
        cr_expect_eq(jit.exception, DT_EXC_GP, "form %zu: %s", i,
                     dt_exc_name(jit.exception));
        cr_expect_eq(jit.final.rip, DT_CODE_ADDR, "form %zu", i);
    }
}
