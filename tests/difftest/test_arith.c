/*
 * Directed differential tests of the muldiv, shift and bits families
 * (translate_muldiv.c, translate_shift.c, translate_bits.c): each snippet
 * runs on the host CPU, the JIT and the interpreter, and the corners are
 * also checked against values worked out by hand: #DE precision, counts
 * 0/1/masked, RCL modulo 9, BT bit strings past the operand, BSF of 0,
 * and the BMI/CRC32 results.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cpu/helper_arith.h"
#include "dt_fixture.h"

static void setup(void)
{
    dt_fixture_reset();
}

TestSuite(difftest_arith, .init = setup, .timeout = 120);

#define SZAP (DT_SF | DT_ZF | DT_AF | DT_PF)

Test(difftest_arith, mul_imul_products_and_cf_of)
{
    tc.init.gpr[DT_RAX] = 0xffffffffffffffffull;
    tc.init.gpr[DT_RBX] = 3;
    /* mul rbx */
    CASE(0x48, 0xf7, 0xe3);
    run3(SZAP);
    cr_assert_eq(jit.final.gpr[DT_RAX], 0xfffffffffffffffdull);
    cr_assert_eq(jit.final.gpr[DT_RDX], 2);
    cr_assert_eq(jit.final.rflags & (DT_CF | DT_OF), DT_CF | DT_OF);

    /* imul rbx: -1 * 3 = -3 fits: CF = OF = 0 */
    CASE(0x48, 0xf7, 0xeb);
    run3(SZAP);
    cr_assert_eq(jit.final.gpr[DT_RDX], ~0ull);
    cr_assert_eq(jit.final.rflags & (DT_CF | DT_OF), 0);

    /* imul ecx, ebx, 0x40000000 (overflows); imul dx, bx, -2 (fits) */
    tc.init.gpr[DT_RDX] = 0x1234;
    CASE(0x69, 0xcb, 0x00, 0x00, 0x00, 0x40, 0x66, 0x6b, 0xd3, 0xfe);
    run3(SZAP);
    cr_assert_eq(jit.final.gpr[DT_RCX], 0xc0000000ull);
    cr_assert_eq(jit.final.gpr[DT_RDX], 0xfffa);
    cr_assert_eq(jit.final.rflags & (DT_CF | DT_OF), 0);

    /* mul byte: al = 0xff * bl = 3 -> ax = 0x2fd, CF = OF = 1 */
    CASE(0xf6, 0xe3);
    run3(SZAP);
    cr_assert_eq(jit.final.gpr[DT_RAX] & 0xffff, 0x2fd);
    cr_assert_eq(jit.final.rflags & DT_CF, DT_CF);
}

Test(difftest_arith, div_idiv_results_and_precise_de)
{
    tc.init.gpr[DT_RAX] = 100;
    tc.init.gpr[DT_RDX] = 0;
    tc.init.gpr[DT_RBX] = 7;
    /* div ebx */
    CASE(0xf7, 0xf3);
    run3(DT_FLAGS_STATUS);
    cr_assert_eq(jit.final.gpr[DT_RAX], 14);
    cr_assert_eq(jit.final.gpr[DT_RDX], 2);

    /* idiv: -100 / 7 = -14 rem -2 (cqo; idiv rbx) */
    tc.init.gpr[DT_RAX] = (uint64_t)-100;
    CASE(0x48, 0x99, 0x48, 0xf7, 0xfb);
    run3(DT_FLAGS_STATUS);
    cr_assert_eq(jit.final.gpr[DT_RAX], (uint64_t)-14);
    cr_assert_eq(jit.final.gpr[DT_RDX], (uint64_t)-2);

    /* inc ecx; div rsi with rsi = 0: #DE at the div, rax/rdx kept */
    tc.init.gpr[DT_RAX] = 5;
    tc.init.gpr[DT_RCX] = 0;
    tc.init.gpr[DT_RSI] = 0;
    CASE(0xff, 0xc1, 0x48, 0xf7, 0xf6);
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_DE);
    cr_assert_eq(jit.final.rip, DT_CODE_ADDR + 2);
    cr_assert_eq(jit.final.gpr[DT_RAX], 5);
    cr_assert_eq(jit.final.gpr[DT_RCX], 1);

    /* quotient overflow: rdx = 1 with div edx... (div ebx, edx = 7) */
    tc.init.gpr[DT_RDX] = 7;
    CASE(0xf7, 0xf3);
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_DE);
    cr_assert_eq(jit.final.gpr[DT_RDX], 7);

    /* INT_MIN / -1 in 32 and 64 bits */
    tc.init.gpr[DT_RAX] = 0x80000000ull;
    tc.init.gpr[DT_RBX] = ~0ull;
    CASE(0x99, 0xf7, 0xfb); /* cdq; idiv ebx */
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_DE);
    tc.init.gpr[DT_RAX] = 0x8000000000000000ull;
    CASE(0x48, 0x99, 0x48, 0xf7, 0xfb); /* cqo; idiv rbx */
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_DE);
    cr_assert_eq(jit.final.rip, DT_CODE_ADDR + 2);
}

Test(difftest_arith, shift_counts_zero_one_and_masked)
{
    /* cmp eax, ebx sets CF; shl edx, cl with cl = 0 keeps every flag */
    tc.init.gpr[DT_RAX] = 1;
    tc.init.gpr[DT_RBX] = 2;
    tc.init.gpr[DT_RCX] = 0x40; /* masked to 0 for 32 bits */
    tc.init.gpr[DT_RDX] = 0xffffffff00000001ull;
    CASE(0x39, 0xd8, 0xd3, 0xe2);
    run3(0);
    cr_assert_eq(jit.final.rflags & (DT_CF | DT_SF), DT_CF | DT_SF);
    cr_assert_eq(jit.final.gpr[DT_RDX], 1); /* 32-bit write zero-extends */

    /* shl rdx, cl with cl = 0x41: 64-bit count masked to 1 */
    tc.init.gpr[DT_RCX] = 0x41;
    tc.init.gpr[DT_RDX] = 0x8000000000000001ull;
    CASE(0x39, 0xd8, 0x48, 0xd3, 0xe2);
    run3(DT_AF);
    cr_assert_eq(jit.final.gpr[DT_RDX], 2);
    cr_assert_eq(jit.final.rflags & (DT_CF | DT_OF), DT_CF | DT_OF);

    /* sar bl, 1 / shr bx, 1 / rol ax, 1 / ror al, 1: OF defined */
    tc.init.gpr[DT_RBX] = 0x8081;
    tc.init.gpr[DT_RAX] = 0x4001;
    CASE(0xd0, 0xfb, 0x66, 0xd1, 0xeb, 0x66, 0xd1, 0xc0, 0xd0, 0xc8);
    run3(DT_AF);
    cr_assert_eq(jit.final.gpr[DT_RBX] & 0xffff, 0x4060);
    cr_assert_eq(jit.final.gpr[DT_RAX] & 0xffff, 0x8001);
}

Test(difftest_arith, rcl_rcr_modulo_and_shld_shrd)
{
    /* stc; rcl al, 9 (8-bit: count mod 9 = 0 -> value and CF kept) */
    tc.init.gpr[DT_RAX] = 0x81;
    CASE(0xf9, 0xc0, 0xd0, 0x09);
    run3(DT_OF);
    cr_assert_eq(jit.final.gpr[DT_RAX] & 0xff, 0x81);
    cr_assert_eq(jit.final.rflags & DT_CF, DT_CF);

    /* clc; rcr ax, 1: ax = 0x0001 -> 0, CF = 1 */
    tc.init.gpr[DT_RAX] = 1;
    CASE(0xf8, 0x66, 0xd1, 0xd8);
    run3(0);
    cr_assert_eq(jit.final.gpr[DT_RAX] & 0xffff, 0);
    cr_assert_eq(jit.final.rflags & DT_CF, DT_CF);

    /* shld eax, ebx, 4; shrd rdx, rbx, cl (cl = 8) */
    tc.init.gpr[DT_RAX] = 0x12345678;
    tc.init.gpr[DT_RBX] = 0xabcdef0123456789ull;
    tc.init.gpr[DT_RCX] = 8;
    tc.init.gpr[DT_RDX] = 0x1122334455667788ull;
    CASE(0x0f, 0xa4, 0xd8, 0x04, 0x48, 0x0f, 0xad, 0xda);
    run3(DT_AF | DT_OF);
    cr_assert_eq(jit.final.gpr[DT_RAX], 0x23456780ull | 0x2);
    cr_assert_eq(jit.final.gpr[DT_RDX], 0x8911223344556677ull);
}

Test(difftest_arith, bt_memory_bit_strings_and_lock)
{
    tc.init.gpr[DT_RDI] = DT_DATA_ADDR + 0x100;
    tc.init.gpr[DT_RCX] = (uint64_t)-9; /* byte -2, bit 7 */
    tc.init.data[0xfe] = 0x80;
    /* bt [rdi], ecx -> CF = 1; bts dword [rdi], 35 (masked to 3) */
    CASE(0x0f, 0xa3, 0x0f, 0x0f, 0xba, 0x2f, 0x23);
    run3(DT_OF | DT_SF | DT_AF | DT_PF);
    cr_assert_eq(jit.final.rflags & DT_CF, 0);
    cr_assert_eq(jit.final.data[0x100], 0x08);

    /* lock btr [rdi], rcx (rcx = -9): qword at rdi - 8, bit 55 */
    tc.init.gpr[DT_RCX] = (uint64_t)-9;
    CASE(0xf0, 0x48, 0x0f, 0xb3, 0x0f);
    run3(DT_OF | DT_SF | DT_AF | DT_PF);
    cr_assert_eq(jit.final.rflags & DT_CF, DT_CF);
    cr_assert_eq(jit.final.data[0xfe], 0);

    /* btc eax, 33 keeps ZF (cmp sets it first) */
    tc.init.gpr[DT_RAX] = 0;
    CASE(0x39, 0xc0, 0x0f, 0xba, 0xf8, 0x21);
    run3(DT_OF | DT_SF | DT_AF | DT_PF);
    cr_assert_eq(jit.final.gpr[DT_RAX], 2);
    cr_assert_eq(jit.final.rflags & (DT_ZF | DT_CF), DT_ZF);
}

Test(difftest_arith, scans_counts_and_swaps)
{
    dt_require_features(CPU_FEAT(POPCNT) | CPU_FEAT(LZCNT) | CPU_FEAT(BMI1) |
                        CPU_FEAT(MOVBE));
    tc.init.gpr[DT_RAX] = 0xdeadbeefcafef00dull;
    tc.init.gpr[DT_RBX] = 0;
    tc.init.gpr[DT_RCX] = 0x00f0;
    /* bsf rax, rbx (source 0: rax kept, ZF = 1) */
    CASE(0x48, 0x0f, 0xbc, 0xc3);
    run3(DT_CF | DT_OF | DT_SF | DT_AF | DT_PF);
    cr_assert_eq(jit.final.gpr[DT_RAX], 0xdeadbeefcafef00dull);
    cr_assert_eq(jit.final.rflags & DT_ZF, DT_ZF);

    /* bsr edx, ecx; tzcnt esi, ecx; lzcnt di, cx; popcnt r8, rax */
    CASE(0x0f, 0xbd, 0xd1, 0xf3, 0x0f, 0xbc, 0xf1, 0x66, 0xf3, 0x0f, 0xbd, 0xf9,
         0xf3, 0x4c, 0x0f, 0xb8, 0xc0);
    run3(0);
    cr_assert_eq(jit.final.gpr[DT_RDX], 7);
    cr_assert_eq(jit.final.gpr[DT_RSI], 4);
    cr_assert_eq(jit.final.gpr[DT_RDI] & 0xffff, 8);
    cr_assert_eq(jit.final.gpr[DT_R8],
                 (uint64_t)__builtin_popcountll(0xdeadbeefcafef00dull));

    /* tzcnt ebx, ebx with 0: 32, CF = 1; bswap rax; movbe [rdi], eax */
    tc.init.gpr[DT_RDI] = DT_DATA_ADDR;
    CASE(0xf3, 0x0f, 0xbc, 0xdb, 0x48, 0x0f, 0xc8, 0x0f, 0x38, 0xf1, 0x07);
    run3(DT_OF | DT_SF | DT_AF | DT_PF);
    cr_assert_eq(jit.final.gpr[DT_RBX], 32);
    cr_assert_eq(jit.final.rflags & DT_CF, DT_CF);
    cr_assert_eq(jit.final.gpr[DT_RAX], 0x0df0fecaefbeaddeull);
    cr_assert_eq(jit.final.data[0], 0xef); /* big-endian of 0xefbeadde */
}

Test(difftest_arith, bmi_adx_and_crc32)
{
    dt_require_features(CPU_FEAT(BMI1) | CPU_FEAT(BMI2) | CPU_FEAT(ADX) |
                        CPU_FEAT(SSE42));
    tc.init.gpr[DT_RAX] = 0xff00ff00f0f0f0f0ull;
    tc.init.gpr[DT_RBX] = 0x0000000000000804ull; /* start 4, length 8 */
    tc.init.gpr[DT_RDX] = 0x0ff0;
    /* bextr rcx, rax, rbx; pext rsi, rax, rdx; pdep rdi, rdx, rax */
    CASE(0xc4, 0xe2, 0xe0, 0xf7, 0xc8, 0xc4, 0xe2, 0xfa, 0xf5, 0xf2, 0xc4, 0xe2,
         0xeb, 0xf5, 0xf8);
    run3(DT_AF | DT_PF | DT_SF);
    cr_assert_eq(jit.final.gpr[DT_RCX], 0x0f);
    cr_assert_eq(jit.final.gpr[DT_RSI], 0x0f);
    cr_assert_eq(jit.final.gpr[DT_RDI], 0xf0f000);

    /* stc; adcx eax, ebx; crc32 edx, byte al: host decides the CRC */
    CASE(0xf9, 0x66, 0x0f, 0x38, 0xf6, 0xc3, 0xf2, 0x0f, 0x38, 0xf0, 0xd0);
    run3(0);
    cr_assert_eq(jit.final.gpr[DT_RAX], 0xf0f0f8f5ull);
    cr_assert_eq(jit.final.gpr[DT_RDX], native.final.gpr[DT_RDX]);
    /* the helper against the CRC-32C check value of "123456789" */
    uint64_t c = 0xffffffff;
    for (const char *p = "123456789"; *p; p++) {
        c = helper_crc32(c, (uint8_t)*p, 1);
    }
    cr_assert_eq(c ^ 0xffffffff, 0xe3069283);
}
