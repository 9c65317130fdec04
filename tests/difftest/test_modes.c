/*
 * Directed and random difftests of 32-bit code (compatibility mode through
 * the host's LDT or its 0x23 segment, native.h; skipped by name on a host
 * that runs neither) and of the 64-bit rules for non-canonical branch
 * targets: every case runs on the host CPU and through xlat's JIT and
 * interpreter. The 32-bit cases cover 16-bit operand and address sizes
 * (66h/67h), wrap-around of 16-bit offsets, the stack and near branches at
 * 16 and 32 bits, and the legacy-only instructions (PUSHA/POPA, BCD, INTO,
 * BOUND, INC/DEC 40-4F).
 */
#include "dt_fixture.h"
#include "gen.h"

#define A4(v)                                                                  \
    (uint8_t)(v), (uint8_t)((v) >> 8), (uint8_t)((v) >> 16),                   \
        (uint8_t)((v) >> 24)

/* 32-bit case with the stack in the data region and EBX a data pointer */
static void init32(void)
{
    dt_fixture_reset();
    tc.mode = DT_MODE32;
    tc.init.gpr[DT_RBX] = DT_DATA_ADDR + 0x800;
    for (unsigned i = 0; i < 64; i++) {
        tc.init.data[0x800 + i] = (uint8_t)(i * 37 + 5);
    }
}

TestSuite(modes, .init = init32);

Test(modes, arith_and_partial_registers_32)
{
    /* mov eax, -1; add al, 1; 66 inc ax... 32-bit writes, 8/16 deposits */
    CASE(0xb8, A4(0xffffffffu), 0x04, 0x01, 0x66, 0x40, 0x41, 0x4a, 0x66, 0x4b,
         0x88, 0xe7, 0x0f, 0xb7, 0xf0);
    tc.init.gpr[DT_RCX] = 0x7fffffff;
    tc.init.gpr[DT_RDX] = 0x80000000;
    run3(0);
}

Test(modes, stack_push_pop_call_ret_32)
{
    /* push eax; 66 push cx; 66 pop dx; pop esi; call +1; int3 filler... */
    CASE(0x50, 0x66, 0x51, 0x66, 0x5a, 0x5e, 0xe8, A4(1u), 0xcc, 0x5f, 0x57,
         0xc3);
    tc.init.gpr[DT_RAX] = 0x11223344;
    tc.init.gpr[DT_RCX] = 0x5566;
    run3(0);
    cr_expect_eq(native.final.gpr[DT_RDI], DT_CODE_ADDR + 11);
}

Test(modes, ret_imm_and_16_bit_call_wrap)
{
    /* push 0x20000010; ret 8: returns to the int3 area after this code */
    CASE(0x68, A4(0x20000009u), 0xc2, 0x08, 0x00, 0x90, 0x90, 0x90, 0x90, 0x90);
    run3(0);
    /* 66 call rel16: the target wraps to 16 bits -> #PF on the fetch */
    static const uint8_t call16[] = {0x66, 0xe8, 0x10, 0x00};
    tc.code = call16;
    tc.len = sizeof(call16);
    run3(0);
    cr_expect_eq(native.exception, DT_EXC_PF);
    cr_expect_eq(native.fault_addr, 0x14);
}

Test(modes, addressing_16_bit_wraps)
{
    /* lea with 67h: [bx+si+disp8], [bp+di-1], [disp16]; 16-bit sums wrap */
    CASE(0x67, 0x8d, 0x40, 0x7f, 0x66, 0x67, 0x8d, 0x4b, 0xff, 0x67, 0x8d, 0x16,
         0x34, 0x12, 0x67, 0x8d, 0x3a);
    tc.init.gpr[DT_RBX] = 0x1234fff0;
    tc.init.gpr[DT_RSI] = 0xabcd0020;
    tc.init.gpr[DT_RBP] = 0x0000ffff;
    tc.init.gpr[DT_RDI] = 0x00000002;
    tc.init.gpr[DT_RCX] = 0x99999999;
    run3(0);
    cr_expect_eq(native.final.gpr[DT_RAX] & 0xffff,
                 (0xfff0 + 0x20 + 0x7f) & 0xffff);
}

Test(modes, memory_16_bit_address_faults_at_the_wrapped_offset)
{
    /* 67 mov eax, [bx+si]: BX + SI wraps to 0x10 -> #PF at 0x10 */
    CASE(0x67, 0x8b, 0x00);
    tc.init.gpr[DT_RBX] = 0x1000fff8;
    tc.init.gpr[DT_RSI] = 0x18;
    run3(0);
    cr_expect_eq(native.exception, DT_EXC_PF);
    cr_expect_eq(native.fault_addr, 0x10);
}

Test(modes, string_ops_32_and_16_bit_addresses)
{
    /* lea esi, [ebx]; lea edi, [ebx+32]; mov ecx, 5; rep movsd; std;
       cmpsb; cld; 67 rep stosb with CX = 0 (nothing); lodsw */
    CASE(0x8d, 0x33, 0x8d, 0x7b, 0x20, 0xb9, A4(5u), 0xf3, 0xa5, 0xfd, 0xa6,
         0xfc, 0x66, 0x31, 0xc9, 0x67, 0xf3, 0xaa, 0x66, 0xad);
    run3(0);
}

Test(modes, loop_and_jecxz_with_16_bit_counter)
{
    /* mov ecx, 0x10000; 67 loop -> CX = 0xffff (taken, high word kept);
       jecxz; 67 jcxz */
    CASE(0xb9, A4(0x10000u), 0x67, 0xe2, 0x00, 0xe3, 0x02, 0x67, 0xe3, 0x00,
         0x90);
    run3(0);
    cr_expect_eq(native.final.gpr[DT_RCX], 0x1ffff);
}

Test(modes, pusha_popa_32_and_16)
{
    CASE(0x60, 0x66, 0x60, 0x31, 0xc0, 0x66, 0x61, 0x61);
    for (unsigned r = 0; r < 8; r++) {
        if (r != DT_RSP) {
            tc.init.gpr[r] = 0x01010101u * (r + 1) + 0x80;
        }
    }
    tc.init.gpr[DT_RBX] = DT_DATA_ADDR + 0x800;
    run3(0);
}

/* each BCD instruction over AL/AH/AF/CF corner values */
static void bcd_sweep(uint8_t op, bool imm, uint32_t undef)
{
    static const uint16_t axs[] = {0x0000, 0x0009, 0x000a, 0x0099,
                                   0x009a, 0x00f9, 0x00ff, 0x0100,
                                   0x05a6, 0xff0f, 0x1290, 0x7f66};
    uint8_t code[] = {op, imm ? 10 : 0x90, 0x90};
    tc.code = code;
    tc.len = sizeof(code);
    for (unsigned i = 0; i < ARRAY_LEN(axs); i++) {
        for (unsigned fl = 0; fl < 4; fl++) {
            tc.init.gpr[DT_RAX] = 0xabcd0000u | axs[i];
            tc.init.rflags = (fl & 1 ? DT_CF : 0) | (fl & 2 ? DT_AF : 0);
            run3(undef);
        }
    }
}

Test(modes, bcd_adjusts)
{
    bcd_sweep(0x27, false, DT_OF);
    bcd_sweep(0x2f, false, DT_OF);
    bcd_sweep(0x37, false, DT_OF | DT_SF | DT_ZF | DT_PF);
    bcd_sweep(0x3f, false, DT_OF | DT_SF | DT_ZF | DT_PF);
    bcd_sweep(0xd4, true, DT_OF | DT_AF | DT_CF);
    bcd_sweep(0xd5, true, DT_OF | DT_AF | DT_CF);
}

Test(modes, aam_zero_is_de)
{
    CASE(0xd4, 0x00);
    run3(0);
    cr_expect_eq(native.exception, DT_EXC_DE);
}

Test(modes, into_traps_only_on_of)
{
    CASE(0xce, 0x90);
    run3(0);
    cr_expect_eq(native.exception, DT_EXC_NONE);
    tc.init.rflags = DT_OF;
    run3(0);
    cr_expect_eq(native.exception, DT_EXC_OTHER);
    cr_expect_eq(native.trapno, 4);
    cr_expect_eq(native.final.rip, DT_CODE_ADDR + 1);
}

Test(modes, bound_in_range_and_out)
{
    /* bound eax, [ebx]: [ebx] = 0x..., [ebx+4] = ... (signed) */
    CASE(0x62, 0x03, 0x66, 0x62, 0x03, 0x90);
    int32_t lo = -5, hi = 100;
    memcpy(&tc.init.data[0x800], &lo, 4);
    memcpy(&tc.init.data[0x804], &hi, 4);
    static const uint32_t vals[] = {0, 100, 101, (uint32_t)-5, (uint32_t)-6};
    for (unsigned i = 0; i < ARRAY_LEN(vals); i++) {
        tc.init.gpr[DT_RAX] = vals[i];
        run3(0);
    }
    cr_expect_eq(native.exception, DT_EXC_OTHER);
    cr_expect_eq(native.trapno, 5);
}

/* ---- 64-bit mode: non-canonical targets fault at the branch ---- */

static void canon_case(const uint8_t *code, size_t len)
{
    dt_fixture_reset();
    tc.code = code;
    tc.len = len;
    tc.init.gpr[DT_RAX] = 0x0000800000000000ull;
    run3(0);
    cr_expect_eq(native.exception, DT_EXC_GP);
    cr_expect_eq(jit.exception, DT_EXC_GP);
}

Test(canonical, indirect_jmp_call_ret)
{
    static const uint8_t jmp[] = {0x90, 0xff, 0xe0};         /* jmp rax */
    static const uint8_t call[] = {0x90, 0xff, 0xd0};        /* call rax */
    static const uint8_t ret[] = {0x50, 0xc3};               /* push; ret */
    static const uint8_t reti[] = {0x50, 0xc2, 0x10, 0x00};  /* ret 16 */
    static const uint8_t jmpm[] = {0x50, 0xff, 0x24, 0x24};  /* jmp [rsp] */
    static const uint8_t callm[] = {0x50, 0xff, 0x14, 0x24}; /* call [rsp] */
    canon_case(jmp, sizeof(jmp));
    cr_expect_eq(native.final.rip, DT_CODE_ADDR + 1);
    canon_case(call, sizeof(call));
    cr_expect_eq(native.final.gpr[DT_RSP], tc.init.gpr[DT_RSP]);
    canon_case(ret, sizeof(ret));
    cr_expect_eq(native.final.rip, DT_CODE_ADDR + 1);
    canon_case(reti, sizeof(reti));
    canon_case(jmpm, sizeof(jmpm));
    canon_case(callm, sizeof(callm));
}

/* ---- random 32-bit sequences ---- */

#define RANDOM32_SEQS 600

Test(modes_random, sequences_32_bit_match_the_host, .timeout = 280)
{
    dt_require_mode(DT_MODE32);
    unsigned fail = 0;
    for (uint64_t seed = 1; seed <= RANDOM32_SEQS && fail <= 5; seed++) {
        fail += !dt_random_one(seed, 1 + (unsigned)(seed % 40), DT_MODE32);
    }
    cr_assert_eq(fail, 0, "%u random 32-bit sequences differ", fail);
}

/* ---- 16-bit code (LDT segments on the host, native.h) ---- */

static void init16(void)
{
    dt_fixture_reset();
    tc.mode = DT_MODE16;
    tc.init.gpr[DT_RSP] = 0x2000;
    tc.init.gpr[DT_RBP] = 0x1000;
}

TestSuite(modes16, .init = init16);

Test(modes16, arith_stack_and_memory)
{
    /* mov ax, 0x1234; add ax, bx; push ax; pop cx; mov [bp+2], ax;
       lea ax, [bx+si+5]; 66 push eax; mov dx, [bp-2]; 66 pop esi */
    CASE(0xb8, 0x34, 0x12, 0x01, 0xd8, 0x50, 0x59, 0x89, 0x46, 0x02, 0x8d, 0x40,
         0x05, 0x66, 0x50, 0x8b, 0x56, 0xfe, 0x66, 0x5e);
    tc.init.gpr[DT_RBX] = 0x8765fff0;
    tc.init.gpr[DT_RSI] = 0x20;
    run3(0);
    cr_expect_eq(native.exception, DT_EXC_NONE);
    cr_expect_eq(native.final.rip, tc.len); /* IP, CS-relative */
    cr_expect_eq(native.final.gpr[DT_RCX], 0x1224);
    cr_expect_eq(native.final.gpr[DT_RSP], 0x2000);
    cr_expect_eq(native.final.data[0x1002], 0x24);
}

Test(modes, push_segment_registers_32)
{
    /* push ds; push cs; push ss; push es; 66 push ds: 32-bit pushes store
       the selector zero-extended on the host (the slots are pre-filled) */
    CASE(0x1e, 0x0e, 0x16, 0x06, 0x66, 0x1e);
    memset(&tc.init.data[DT_DATA_SIZE - 0x100], 0xa5, 0x100);
    tc.init.gpr[DT_RSP] = DT_DATA_ADDR + DT_DATA_SIZE - 0x40;
    run3(0);
}

/* lds eax, [ebx] with a null selector: allowed in protected mode (DS is
 * then unusable), the offset lands in EAX, as on the host */
Test(modes, lds_null_selector_in_protected_mode)
{
    static const uint8_t far[6] = {0x44, 0x33, 0x22, 0x11, 0x00, 0x00};
    CASE(0xc5, 0x03);
    memcpy(tc.init.data + 0x80, far, sizeof(far));
    tc.init.gpr[DT_RBX] = DT_DATA_ADDR + 0x80;
    run3(0);
    cr_expect_eq(jit.exception, DT_EXC_NONE);
    cr_expect_eq(jit.final.gpr[DT_RAX] & 0xffffffff, 0x11223344);
}

Test(modes16, segment_overrides_use_each_base)
{
    /* mov al, cs:[bx] (CS base = the code); mov ah, ss:[bx+si];
       mov dl, es:[di]; xlat (DS:BX + AL) */
    CASE(0x2e, 0x8a, 0x07, 0x36, 0x8a, 0x20, 0x26, 0x8a, 0x15, 0xd7);
    tc.init.gpr[DT_RBX] = 0x0002;
    tc.init.gpr[DT_RSI] = 0x0fff;
    tc.init.gpr[DT_RDI] = 0xabcd0030;
    for (unsigned i = 0; i < 0x1100; i++) {
        tc.init.data[i] = (uint8_t)(i * 7 + 1);
    }
    run3(0);
    cr_expect_eq(native.exception, DT_EXC_NONE);
    cr_expect_eq(native.final.gpr[DT_RDX] & 0xff, tc.init.data[0x30]);
}

Test(modes16, random_sequences_16_bit_match_the_host, .timeout = 280)
{
    dt_require_mode(DT_MODE16);
    unsigned fail = 0;
    for (uint64_t seed = 1; seed <= 300 && fail <= 5; seed++) {
        static DtGenSeq seq;
        DtCase c;
        dt_gen_case_mode(seed, 1 + (unsigned)(seed % 40), DT_MODE16, &seq, &c);
        uint32_t undef = dt_gen_undef_flags(&seq);
        cr_assert_eq(dt_native_run(&c, &native), 0);
        cr_assert_eq(dt_xlat_run(&c, TCG_BACKEND_JIT, &jit), 0);
        cr_assert_eq(dt_xlat_run(&c, TCG_BACKEND_INTERP, &interp), 0);
        if (dt_result_diff(&native, &jit, undef, NULL) ||
            dt_result_diff(&native, &interp, undef, NULL)) {
            fprintf(stderr, "seed %llu (16-bit) differs\n",
                    (unsigned long long)seed);
            dt_gen_print(&seq, stderr);
            dt_result_diff(&native, &jit, undef, stderr);
            fail++;
        }
    }
    cr_assert_eq(fail, 0, "%u random 16-bit sequences differ", fail);
}

/* ---- real mode (xlat only: expected values from the SDM) ---- */

static void run_real(void)
{
    cr_assert_eq(dt_xlat_run(&tc, TCG_BACKEND_JIT, &jit), 0);
    cr_assert_eq(dt_xlat_run(&tc, TCG_BACKEND_INTERP, &interp), 0);
    cr_expect_eq(dt_result_diff(&jit, &interp, 0, stderr), 0);
}

Test(modes_real, segment_loads_are_selector_times_16)
{
    /* push ds; pop es; les bx, [0x800]; mov al, es:[0x10];
       lds si, [0x804]; push cs; pop ds; mov ah, [0]; 66 push es */
    dt_fixture_reset();
    CASE(0x1e, 0x07, 0xc4, 0x1e, 0x00, 0x08, 0x26, 0xa0, 0x10, 0x00, 0xc5, 0x36,
         0x04, 0x08, 0x0e, 0x1f, 0x8a, 0x26, 0x00, 0x00, 0x66, 0x06);
    tc.mode = DT_MODE_REAL;
    tc.init.gpr[DT_RSP] = 0x2000;
    static const uint8_t ptrs[] = {0x34, 0x12, 0x00, 0x11,
                                   0x10, 0x00, 0x00, 0x10};
    memcpy(&tc.init.data[0x800], ptrs, sizeof(ptrs));
    tc.init.data[0x1010] = 0x5a; /* ES 0x1100: ES:0x10 = data[0x1010] */
    memset(&tc.init.data[0x1ff8], 0xa5, 8);
    run_real();
    cr_expect_eq(jit.exception, DT_EXC_NONE);
    cr_expect_eq(jit.final.rip, tc.len);
    cr_expect_eq(jit.final.gpr[DT_RAX] & 0xffff, 0x1e5a);
    cr_expect_eq(jit.final.gpr[DT_RBX] & 0xffff, 0x1234);
    cr_expect_eq(jit.final.gpr[DT_RSI] & 0xffff, 0x10);
    cr_expect_eq(jit.final.gpr[DT_RSP], 0x1ffc);
    /* 66 push es: ES = 0x1100 zero-extended to 4 bytes at 0x1ffc */
    static const uint8_t stack[] = {0x00, 0x11, 0x00, 0x00};
    cr_expect_arr_eq(&jit.final.data[0x1ffc], stack, sizeof(stack));
}

Test(modes_real, stack_wraps_at_64k)
{
    /* SP = 4: PUSHA stores at 2, 0, then 0xfffe... (SP wraps, ESP's high
       word stays); POPA reads them back from the same wrapped offsets */
    dt_fixture_reset();
    CASE(0x60, 0x31, 0xff, 0x61);
    tc.mode = DT_MODE_REAL;
    tc.init.gpr[DT_RSP] = 0xabcd0004;
    tc.init.gpr[DT_RAX] = 0x4321;
    tc.init.gpr[DT_RCX] = 0x8765;
    tc.init.gpr[DT_RDI] = 0x1357;
    run_real();
    cr_expect_eq(jit.exception, DT_EXC_NONE);
    cr_expect_eq(jit.final.gpr[DT_RSP], 0xabcd0004);
    cr_expect_eq(jit.final.gpr[DT_RDI], 0x1357);
    cr_expect_eq(jit.final.data[2], 0x21);
    cr_expect_eq(jit.final.data[3], 0x43);
    cr_expect_eq(jit.final.data[0], 0x65);
}

Test(canonical, direct_jmp_jcc_call_across_the_boundary)
{
    /* mov rax, DT_CODE_HIGH + 16; jmp rax; then at offset 16 of the high
       alias: jmp/jcc/call rel32 to 0x800000000000 and beyond */
    static uint8_t code[32] = {0x48, 0xb8};
    static const uint8_t tails[][6] = {
        {0xe9, 0xeb, 0x1f, 0x00, 0x00},       /* jmp rel32 */
        {0x0f, 0x84, 0xea, 0x1f, 0x00, 0x00}, /* jz rel32 (ZF = 1) */
        {0xe8, 0xeb, 0x1f, 0x00, 0x00},       /* call rel32 */
        {0x0f, 0x85, 0xea, 0x1f, 0x00, 0x00}, /* jnz: not taken */
    };
    uint64_t hi = DT_CODE_HIGH + 16;
    memcpy(&code[2], &hi, 8);
    code[10] = 0xff;
    code[11] = 0xe0;
    for (unsigned k = 0; k < ARRAY_LEN(tails); k++) {
        memcpy(&code[16], tails[k], 6);
        memset(&code[22], 0x90, sizeof(code) - 22);
        dt_fixture_reset();
        tc.code = code;
        tc.len = sizeof(code);
        tc.init.rflags = DT_ZF;
        cr_assert_eq(dt_native_run(&tc, &native), 0);
        if (native.exception == DT_EXC_PF &&
            native.fault_addr == DT_CODE_HIGH + 16) {
            cr_skip_test("the host did not map the high code page");
        }
        run3(0);
        cr_expect_eq(native.exception, k == 3 ? DT_EXC_BP : DT_EXC_GP,
                     "case %u", k);
        if (k < 3) {
            cr_expect_eq(jit.final.rip, DT_CODE_HIGH + 16, "case %u", k);
            cr_expect_eq(jit.final.gpr[DT_RSP], tc.init.gpr[DT_RSP]);
        }
    }
}
