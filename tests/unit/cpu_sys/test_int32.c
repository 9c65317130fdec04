/*
 * Delivery through a 32-bit protected-mode IDT and IRET there, both
 * backends: the 32-bit frame, error codes, INT3 + IRET, and INT n from
 * CPL 3 onto the 32-bit TSS's SS0:ESP0 and back.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cpu/exec.h"
#include "pm32.h"

static TinyMachine m;

static void gate(unsigned v, uint32_t off, unsigned dpl)
{
    pm_idt(&m, v, pm_gate(0xe, 0x08, off, dpl, 0));
}

/* 32-bit protected mode, paging off, at cpl (pm32.h) */
static void setup(size_t b, unsigned cpl)
{
    pm32_setup(&m, b, cpl);
}

static int run(const uint8_t *code, size_t len)
{
    return pm32_run(&m, code, len);
}

static uint32_t stack(unsigned i)
{
    return pm_stack(&m, i);
}

Test(int32, faults_push_a_32_bit_frame)
{
    static const uint8_t ud2[] = {0x0f, 0x0b};
    static const uint8_t wrmsr[] = {0x0f, 0x30};
    for (size_t b = 0; b < 2; b++) {
        setup(b, 0);
        cr_assert_eq(run(ud2, sizeof(ud2)), 0);
        cr_assert_eq(m.env->regs[R_ESP], 0x80000 - 12);
        cr_assert_eq(stack(0), TM_CODE);
        cr_assert_eq(stack(1), 0x08);
        m.env->regs[R_ESP] = 0x80000;
        m.env->regs[R_ECX] = 0x12345;
        cr_assert_eq(run(wrmsr, sizeof(wrmsr)), 0);
        cr_assert_eq(stack(0), 0, "#GP(0)");
        cr_assert_eq(stack(1), TM_CODE);
        tm_free(&m);
    }
}

Test(int32, int3_and_iret)
{
    static const uint8_t code[] = {0xcc, 0xb8, 5, 0, 0, 0, 0xf4};
    for (size_t b = 0; b < 2; b++) {
        setup(b, 0);
        gate(3, (uint32_t)PM_H_IRET, 0);
        cr_assert_eq(run(code, sizeof(code)), 0);
        cr_assert_eq(m.env->regs[R_EAX], 5);
        cr_assert_eq(m.env->regs[R_ESP], 0x80000);
        tm_free(&m);
    }
}

Test(int32, int_n_from_cpl3_uses_ss0_esp0_and_iret_returns)
{
    static const uint8_t code[] = {0xcd, 0x80, 0xb8, 9, 0, 0, 0, 0xf4};
    for (size_t b = 0; b < 2; b++) {
        setup(b, 3);
        gate(0x80, (uint32_t)PM_H_IRET, 3);
        cr_assert_eq(run(code, sizeof(code)), 0);
        cr_assert_eq(m.env->regs[R_EAX], 9, "back at CPL 3");
        cr_assert_eq(cpu_cpl(m.env), 0, "HLT's #GP at CPL 0");
        cr_assert_eq(m.env->segs[R_SS].selector, 0x10, "SS0");
        cr_assert_eq(m.env->regs[R_ESP], PM_ESP0 - 24);
        cr_assert_eq(stack(0), 0, "#GP(0)");
        cr_assert_eq(stack(1), TM_CODE + 7, "EIP of the hlt");
        cr_assert_eq(stack(2), 0x1b);
        cr_assert_eq(stack(4), 0x80000, "the user ESP");
        cr_assert_eq(stack(5), 0x23, "the user SS");
        tm_free(&m);
    }
}
