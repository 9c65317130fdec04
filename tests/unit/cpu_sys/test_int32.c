/*
 * Delivery through a 32-bit protected-mode IDT and IRET there, both
 * backends: the 32-bit frame, error codes, INT3 + IRET, and INT n from
 * CPL 3 onto the 32-bit TSS's SS0:ESP0 and back.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cpu/exec.h"
#include "tiny_machine.h"

#define GDT 0x60000ull
#define TSS 0x61000ull
#define IDT 0x62000ull
#define ESP0 0x70000ull
#define H_HLT (TM_CODE + 0x800)
#define H_IRET (TM_CODE + 0x810)

static TinyMachine m;

static const uint64_t gdt[] = {
    0,
    0x00cf9a000000ffffull, /* 0x08: code, 32-bit, DPL 0 */
    0x00cf92000000ffffull, /* 0x10: data, DPL 0 */
    0x00cffa000000ffffull, /* 0x18: code, 32-bit, DPL 3 */
    0x00cff2000000ffffull, /* 0x20: data, DPL 3 */
};

static void gate(unsigned v, uint32_t off, unsigned dpl)
{
    uint64_t g = (off & 0xffff) | (0x08ull << 16) | (0xeull << 40) |
                 ((uint64_t)dpl << 45) | (1ull << 47) |
                 ((uint64_t)(off >> 16) << 48);
    memcpy(m.mem + IDT + 8 * v, &g, 8);
}

/* 32-bit protected mode, paging off, at cpl */
static void setup(size_t b, unsigned cpl)
{
    tm_new(&m, tm_backends[b], 0, 0);
    CpuX86 *env = m.env;
    memcpy(m.mem + GDT, gdt, sizeof(gdt));
    env->gdt.base = GDT;
    env->gdt.limit = sizeof(gdt) - 1;
    memset(m.mem + IDT, 0, 0x800);
    env->idt.base = IDT;
    env->idt.limit = 0x7ff;
    memset(m.mem + TSS, 0, 0x68);
    uint32_t esp0 = ESP0, ss0 = 0x10;
    memcpy(m.mem + TSS + 4, &esp0, 4);
    memcpy(m.mem + TSS + 8, &ss0, 4);
    env->tr.base = TSS;
    env->tr.limit = 0x67;
    env->tr.attr = SEG_AR_P | 0xb;
    env->efer = 0;
    env->cr[4] = 0;
    env->cr[0] = CR0_PE | CR0_ET;
    uint32_t d = SEG_AR_P | SEG_AR_S | (cpl << SEG_AR_DPL_SHIFT) | 0x3u |
                 SEG_AR_DB | SEG_AR_G;
    for (int s = 0; s < CPU_NB_SEGS; s++) {
        cpu_seg_set(env, s, (uint16_t)(cpl ? 0x23 : 0x10), 0, 0xffffffff, d);
    }
    cpu_seg_set(env, R_CS, (uint16_t)(cpl ? 0x1b : 0x08), 0, 0xffffffff,
                SEG_AR_P | SEG_AR_S | (cpl << SEG_AR_DPL_SHIFT) | 0xbu |
                    SEG_AR_DB | SEG_AR_G);
    env->regs[R_ESP] = 0x80000;
    cpu_update_hflags(env);
    tlb_flush(env);
    env->deliver = true;
    for (unsigned v = 0; v < 32; v++) {
        gate(v, (uint32_t)H_HLT, 0);
    }
}

static int run(const uint8_t *code, size_t len)
{
    static const uint8_t hlt = 0xf4, iret = 0xcf; /* iret: 32-bit */
    tm_code_clear(&m);
    tm_code_put(&m, 0, code, len);
    tm_code_put(&m, 0x800, &hlt, 1);
    tm_code_put(&m, 0x810, &iret, 1);
    return tm_run_until_halt(&m, TM_CODE);
}

static uint32_t stack(unsigned i)
{
    uint32_t v;
    memcpy(&v, m.mem + (uint32_t)m.env->regs[R_ESP] + 4 * i, 4);
    return v;
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
        gate(3, (uint32_t)H_IRET, 0);
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
        gate(0x80, (uint32_t)H_IRET, 3);
        cr_assert_eq(run(code, sizeof(code)), 0);
        cr_assert_eq(m.env->regs[R_EAX], 9, "back at CPL 3");
        cr_assert_eq(cpu_cpl(m.env), 0, "HLT's #GP at CPL 0");
        cr_assert_eq(m.env->segs[R_SS].selector, 0x10, "SS0");
        cr_assert_eq(m.env->regs[R_ESP], ESP0 - 24);
        cr_assert_eq(stack(0), 0, "#GP(0)");
        cr_assert_eq(stack(1), TM_CODE + 7, "EIP of the hlt");
        cr_assert_eq(stack(2), 0x1b);
        cr_assert_eq(stack(4), 0x80000, "the user ESP");
        cr_assert_eq(stack(5), 0x23, "the user SS");
        tm_free(&m);
    }
}
