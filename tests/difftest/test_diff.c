/*
 * Differential tests of the x86-64 front end: the same snippet on the host
 * CPU (native.c), through the JIT and through the interpreter backend
 * (xlat_run.c). Directed cases cover each instruction family's corners
 * (flags, partial registers, stack, branches, exceptions); the random part
 * runs fixed-seed sequences from gen.c and compares registers, RIP, the
 * defined flags, the data region and the exception.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "gen.h"
#include "dt_fixture.h"

static void setup(void)
{
    dt_fixture_reset();
}

TestSuite(difftest_fe, .init = setup, .timeout = 120);

Test(difftest_fe, add_adc_sbb_flags_and_carry_chain)
{
    tc.init.gpr[DT_RAX] = ~0ull;
    tc.init.gpr[DT_RBX] = 1;
    tc.init.gpr[DT_RCX] = 0x7fffffff;
    /* add rax, rbx; adc ecx, 0; sbb dl, 0x80 */
    CASE(0x48, 0x01, 0xd8, 0x83, 0xd1, 0x00, 0x80, 0xda, 0x80);
    run3(0);
    cr_assert_eq(jit.final.gpr[DT_RCX], 0x80000000ull);
    cr_assert_eq(jit.final.gpr[DT_RAX], 0);
}

Test(difftest_fe, partial_registers_ah_and_zero_extension)
{
    tc.init.gpr[DT_RAX] = 0x1122334455667788ull;
    tc.init.gpr[DT_RBX] = 0xffffffffffffffffull;
    /* mov ah, bl; mov bx, ax; mov ecx, ebx; movsx rdx, ah; movzx esi, bh */
    CASE(0x88, 0xdc, 0x66, 0x89, 0xc3, 0x89, 0xd9, 0x48, 0x0f, 0xbe, 0xd4, 0x0f,
         0xb6, 0xf7);
    run3(0);
    cr_assert_eq(jit.final.gpr[DT_RAX], 0x112233445566ff88ull);
    cr_assert_eq(jit.final.gpr[DT_RCX], 0xffffff88ull);
}

Test(difftest_fe, push_pop_call_ret_and_indirect_jump)
{
    tc.init.gpr[DT_RSP] = DT_DATA_ADDR + 0x800;
    tc.init.gpr[DT_RBX] = 0x55;
    /* 0: call +6 (to 11); 5: jmp +9 (to 16); 7: 4x nop; 11: push rbx;
     * 12: pop rcx; 13: ret (back to 5) ... 16: lea rax,[rip+2]; 23: jmp rax;
     * 25: nop nop; 27: pop qword [rsp-8]... (skipped) */
    CASE(0xe8, 0x06, 0x00, 0x00, 0x00, 0xeb, 0x09, 0x90, 0x90, 0x90, 0x90, 0x53,
         0x59, 0xc3, 0x90, 0x90, 0x48, 0x8d, 0x05, 0x02, 0x00, 0x00, 0x00, 0xff,
         0xe0, 0x90, 0x90, 0x66, 0x6a, 0xff);
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_NONE);
    cr_assert_eq(jit.final.gpr[DT_RCX], 0x55);
    cr_assert_eq(jit.final.gpr[DT_RSP], DT_DATA_ADDR + 0x800 - 2);
}

Test(difftest_fe, setcc_cmov_and_jcc_on_lazy_flags)
{
    tc.init.gpr[DT_RAX] = 5;
    tc.init.gpr[DT_RBX] = 7;
    tc.init.gpr[DT_RDX] = 0xffffffff00000000ull;
    /* cmp eax, ebx; setl cl; cmovge edx, eax (false: still zero-extends);
     * jb +2; ud2; stc; cmc; setc ch */
    CASE(0x39, 0xd8, 0x0f, 0x9c, 0xc1, 0x0f, 0x4d, 0xd0, 0x72, 0x02, 0x0f, 0x0b,
         0xf9, 0xf5, 0x0f, 0x92, 0xc5);
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_NONE);
    cr_assert_eq(jit.final.gpr[DT_RDX], 0);
    cr_assert_eq(jit.final.gpr[DT_RCX] & 0xffff, 0x0001);
}

Test(difftest_fe, loop_forms_with_rcx_and_ecx)
{
    tc.init.gpr[DT_RCX] = 0x100000001ull;
    tc.init.gpr[DT_RDX] = 3;
    /* 67 loop +2 (ECX 1 -> 0: falls through to inc eax); inc eax;
     * L: dec edx; loopne L (backward, until EDX = 0); jrcxz +1; nop */
    CASE(0x67, 0xe2, 0x02, 0xff, 0xc0, 0xff, 0xca, 0xe0, 0xfc, 0x48, 0xe3, 0x01,
         0x90);
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_NONE);
    cr_assert_eq(jit.final.gpr[DT_RAX], 1);
}

Test(difftest_fe, memory_operands_inc_neg_xchg_pop_mem)
{
    tc.init.gpr[DT_RDI] = DT_DATA_ADDR + 0x100;
    tc.init.data[0x100] = 0xff;
    tc.init.gpr[DT_RAX] = 0x1234;
    /* inc byte [rdi]; neg qword [rdi+8]; xchg [rdi+16], rax;
     * push qword [rdi+8]; pop qword [rdi+24]; cqo; cwde */
    CASE(0xfe, 0x07, 0x48, 0xf7, 0x5f, 0x08, 0x48, 0x87, 0x47, 0x10, 0xff, 0x77,
         0x08, 0x8f, 0x47, 0x18, 0x48, 0x99, 0x98);
    run3(0);
    cr_assert_eq(jit.final.data[0x100], 0);
}

Test(difftest_fe, pushf_image_and_moffs_forms)
{
    tc.init.gpr[DT_RAX] = 0x8000000000000000ull;
    tc.init.gpr[DT_RBX] = 0x8000000000000001ull;
    tc.init.data[0x10] = 0x42;
    /* add rax, rbx; pushf; pop rcx; stc; 66 pushf; pop dx;
     * mov eax, [moffs64 DATA+0x10]; mov [moffs64 DATA+0x20], rcx */
    CASE(0x48, 0x01, 0xd8, 0x9c, 0x59, 0xf9, 0x66, 0x9c, 0x66, 0x5a, 0xa1, 0x10,
         0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x48, 0xa3, 0x20, 0x00, 0x00,
         0x10, 0x00, 0x00, 0x00, 0x00);
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_NONE);
    cr_assert_eq(jit.final.gpr[DT_RAX], 0x42);
    cr_assert_eq(jit.final.gpr[DT_RCX] & 0x8d5, 0x801); /* OF CF */
}

Test(difftest_fe, ud2_int3_and_page_faults_are_precise)
{
    tc.init.gpr[DT_RAX] = 1;
    /* inc eax; ud2 */
    CASE(0xff, 0xc0, 0x0f, 0x0b);
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_UD);
    cr_assert_eq(jit.final.rip, DT_CODE_ADDR + 2);
    cr_assert_eq(jit.final.gpr[DT_RAX], 2);

    /* int3 in the snippet: a trap, RIP after it */
    CASE(0x90, 0xcc, 0x90);
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_BP);
    cr_assert_eq(jit.final.rip, DT_CODE_ADDR + 2);

    /* push rax with RSP at an unmapped page: #PF, RSP unchanged */
    tc.init.gpr[DT_RSP] = DT_DATA_ADDR;
    CASE(0x48, 0xff, 0xc0, 0x50);
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_PF);
    cr_assert_eq(jit.final.gpr[DT_RSP], DT_DATA_ADDR);
    cr_assert_eq(jit.fault_addr, DT_DATA_ADDR - 8);
}

Test(difftest_fe, faulting_rmw_keeps_flags_of_the_previous_insn)
{
    tc.init.gpr[DT_RAX] = 0x7fffffff;
    tc.init.gpr[DT_RBX] = 1;
    tc.init.gpr[DT_RDI] = DT_DATA_ADDR + DT_DATA_SIZE; /* unmapped */
    tc.init.gpr[DT_RSI] = DT_CODE_ADDR;                /* read-only */
    /* add eax, ebx; add ecx, [rdi] (an RMW destination would report W = 1
     * on the host, 0 on xlat for now: see tr_ld_rmw) */
    CASE(0x01, 0xd8, 0x03, 0x0f);
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_PF);
    cr_assert_eq(jit.final.rip, DT_CODE_ADDR + 2);
    cr_assert_eq(jit.final.rflags & DT_OF, DT_OF);

    /* sub eax, ebx; lock or [rsi], ebx: write to a read-only page */
    CASE(0x29, 0xd8, 0xf0, 0x09, 0x1e);
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_PF);
    cr_assert_eq(jit.pf_error & (DT_PF_P | DT_PF_W), DT_PF_P | DT_PF_W);
    cr_assert_eq(jit.final.gpr[DT_RAX], 0x7ffffffe);
}

Test(difftest_fe, fetch_from_an_unmapped_page_faults_at_the_target)
{
    tc.init.gpr[DT_RAX] = DT_CODE_ADDR + DT_CODE_SIZE;
    CASE(0xff, 0xe0); /* jmp rax */
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_PF);
    cr_assert_eq(jit.fault_addr, DT_CODE_ADDR + DT_CODE_SIZE);
    cr_assert_eq(jit.final.rip, DT_CODE_ADDR + DT_CODE_SIZE);
}

Test(difftest_fe, lock_on_a_register_destination_is_ud)
{
    CASE(0xf0, 0x01, 0xd8); /* lock add eax, ebx */
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_UD);
}

Test(difftest_fe, unimplemented_instruction_raises_ud_not_crash)
{
    /* emms (MMX) is not translated: #UD on xlat (the host runs it) */
    CASE(0x0f, 0x77);
    cr_assert_eq(dt_xlat_run(&tc, TCG_BACKEND_JIT, &jit), 0);
    cr_assert_eq(jit.exception, DT_EXC_UD);
    cr_assert_eq(jit.final.rip, DT_CODE_ADDR);
}

Test(difftest_fe, instruction_spanning_a_page_and_long_blocks)
{
    static uint8_t code[4096 + 32];
    memset(code, 0x90, sizeof(code)); /* > 64 insns per block, 2 pages */
    static const uint8_t tail[] = {
        0x48, 0xb8, 1,    2,    3, 4, 5, 6, 7, 8, /* mov rax, imm64 at 0xffb */
        0x48, 0x83, 0xc0, 0x01,                   /* add rax, 1 */
    };
    memcpy(code + 4091, tail, sizeof(tail));
    tc.code = code;
    tc.len = 4091 + sizeof(tail);
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_NONE);
    cr_assert_eq(jit.final.gpr[DT_RAX], 0x0807060504030202ull);
}

Test(difftest_fe, endless_loop_times_out)
{
    CASE(0xeb, 0xfe); /* jmp $ */
    tc.timeout_ms = 100;
    cr_assert_eq(dt_xlat_run(&tc, TCG_BACKEND_JIT, &jit), 0);
    cr_assert_eq(jit.exception, DT_EXC_TIMEOUT);
    cr_assert_eq(jit.final.rip, DT_CODE_ADDR);
    cr_assert_eq(dt_xlat_run(&tc, TCG_BACKEND_INTERP, &interp), 0);
    cr_assert_eq(interp.exception, DT_EXC_TIMEOUT);
}

/* hostile code: random bytes; JIT and interpreter must agree (no host) */
Test(difftest_fe, random_bytes_jit_and_interp_agree)
{
    uint8_t code[32];
    uint64_t x = 7;
    for (unsigned k = 0; k < 150; k++) {
        for (unsigned i = 0; i < sizeof(code); i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            code[i] = (uint8_t)(x >> 56);
        }
        dt_state_random(&tc.init, k);
        tc.code = code;
        tc.len = sizeof(code);
        tc.timeout_ms = 50;
        cr_assert_eq(dt_xlat_run(&tc, TCG_BACKEND_JIT, &jit), 0);
        cr_assert_eq(dt_xlat_run(&tc, TCG_BACKEND_INTERP, &interp), 0);
        if (jit.exception == DT_EXC_TIMEOUT ||
            interp.exception == DT_EXC_TIMEOUT) {
            continue; /* a long loop: the slower backend may not get as far */
        }
        cr_assert_eq(dt_result_diff(&jit, &interp, 0, stderr), 0,
                     "case %u: jit vs interp", k);
    }
}

/* ---- random sequences ---- */

#define RANDOM_SEQS 1500

Test(difftest_fe, random_sequences_match_the_host)
{
    unsigned pass = 0, fail = 0;
    for (uint64_t seed = 1; seed <= RANDOM_SEQS; seed++) {
        unsigned n = 1 + (unsigned)(seed % 40);
        if (dt_random_one(seed, n, DT_MODE64)) {
            pass++;
        } else if (++fail > 5) {
            break;
        }
    }
    fprintf(stderr, "difftest: %u/%u random sequences pass\n", pass,
            RANDOM_SEQS);
    cr_assert_eq(fail, 0, "%u random sequences differ", fail);
}
