/*
 * Exception and interrupt delivery through the 64-bit IDT and IRETQ, on
 * the tiny machine with delivery on, both backends: the frame (error code,
 * RIP, CS, RFLAGS, RSP, SS) on a 16-byte aligned stack, CR2, INT n with
 * the gate DPL, the privilege change to the TSS's RSP0 and back, IST, the
 * #DF rules and the triple fault.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cpu/exec.h"
#include "tiny_machine.h"

#define GDT 0x60000ull
#define TSS 0x61000ull
#define IDT 0x62000ull
#define RSP0 0x70008ull /* not aligned: delivery aligns it */
#define IST1 0x78000ull
#define H_HLT (TM_CODE + 0x800)  /* hlt */
#define H_IRET (TM_CODE + 0x810) /* iretq */

static TinyMachine m;

static const uint64_t gdt[] = {
    0, 0x00af9a000000ffffull, /* 0x08: kernel code, 64-bit */
    0x00affa000000ffffull,    /* 0x10: user code, 64-bit, DPL 3 */
    0x00cff2000000ffffull,    /* 0x18: user data, DPL 3 */
};

static void gate(unsigned v, uint64_t off, unsigned dpl, unsigned ist,
                 bool present)
{
    uint64_t lo = (off & 0xffff) | (0x08ull << 16) | ((uint64_t)ist << 32) |
                  (0xeull << 40) | ((uint64_t)dpl << 45) |
                  ((uint64_t)present << 47) | (((off >> 16) & 0xffff) << 48);
    uint64_t hi = off >> 32;
    memcpy(m.mem + IDT + 16 * v, &lo, 8);
    memcpy(m.mem + IDT + 16 * v + 8, &hi, 8);
}

static void setup(size_t b, unsigned cpl)
{
    tm_new(&m, tm_backends[b], cpl, 0);
    memcpy(m.mem + GDT, gdt, sizeof(gdt));
    m.env->gdt.base = GDT;
    m.env->gdt.limit = sizeof(gdt) - 1;
    memset(m.mem + IDT, 0, 0x1000);
    m.env->idt.base = IDT;
    m.env->idt.limit = 0xfff;
    memset(m.mem + TSS, 0, 0x68);
    uint64_t rsp0 = RSP0, ist1 = IST1;
    memcpy(m.mem + TSS + 4, &rsp0, 8);
    memcpy(m.mem + TSS + 0x24, &ist1, 8);
    m.env->tr.base = TSS;
    m.env->tr.limit = 0x67;
    m.env->tr.attr = SEG_AR_P | 0xb;
    m.env->deliver = true;
    if (cpl == 0) { /* a 64-bit kernel: CS 0x08, null SS */
        m.env->segs[R_CS].selector = 0x08;
        cpu_seg_set(m.env, R_SS, 0, 0, 0, SEG_AR_UNUSABLE);
        cpu_update_hflags(m.env);
    }
    for (unsigned v = 0; v < 32; v++) {
        gate(v, H_HLT, 0, 0, true);
    }
}

/* code at TM_CODE, the handlers after it; run until HLT: 0, or -2 */
static int run(const uint8_t *code, size_t len)
{
    static const uint8_t hlt = 0xf4, iretq[2] = {0x48, 0xcf};
    tm_code_clear(&m);
    tm_code_put(&m, 0, code, len);
    tm_code_put(&m, 0x800, &hlt, 1);
    tm_code_put(&m, 0x810, iretq, sizeof(iretq));
    return tm_run_until_halt(&m, TM_CODE);
}

static uint64_t stack(unsigned i)
{
    uint64_t v;
    memcpy(&v, m.mem + m.env->regs[R_ESP] + 8 * i, 8);
    return v;
}

Test(int, ud_pushes_the_frame_on_an_aligned_stack)
{
    static const uint8_t ud2[] = {0x0f, 0x0b};
    for (size_t b = 0; b < 2; b++) {
        setup(b, 0);
        m.env->regs[R_ESP] = TM_KSTACK - 8; /* misaligned: realigned */
        uint64_t rsp = m.env->regs[R_ESP];
        uint64_t fl = cpu_compute_eflags(m.env);
        cr_assert_eq(run(ud2, sizeof(ud2)), 0);
        cr_assert_eq(m.env->rip, H_HLT + 1);
        cr_assert_eq(m.env->regs[R_ESP], (rsp & ~0xfull) - 40);
        cr_assert_eq(stack(0), TM_CODE, "RIP of the ud2");
        cr_assert_eq(stack(1), 0x08);
        cr_assert_eq(stack(2), fl | EFL_RF, "a fault pushes RF = 1");
        cr_assert_eq(stack(3), rsp);
        tm_free(&m);
    }
}

Test(int, page_fault_pushes_the_error_code_and_sets_cr2)
{
    static const uint8_t ld[] = {0x8b, 0x03}; /* mov eax, [rbx] */
    for (size_t b = 0; b < 2; b++) {
        setup(b, 0);
        m.env->regs[R_EBX] = TM_HOLE + 0x10;
        cr_assert_eq(run(ld, sizeof(ld)), 0);
        cr_assert_eq(m.env->cr[2], TM_HOLE + 0x10);
        cr_assert_eq(stack(0), 0, "not present, read, supervisor");
        cr_assert_eq(stack(1), TM_CODE);
        tm_free(&m);
    }
}

Test(int, int3_and_iretq_come_back_after_it)
{
    static const uint8_t code[] = {0xcc, 0xb8, 5, 0, 0, 0, 0xf4};
    for (size_t b = 0; b < 2; b++) {
        setup(b, 0);
        gate(3, H_IRET, 0, 0, true);
        uint64_t rsp = m.env->regs[R_ESP];
        cr_assert_eq(run(code, sizeof(code)), 0);
        cr_assert_eq(m.env->regs[R_EAX], 5);
        cr_assert_eq(m.env->rip, TM_CODE + sizeof(code));
        cr_assert_eq(m.env->regs[R_ESP], rsp);
        tm_free(&m);
    }
}

/*
 * CPL 3: int 0x80 through a DPL 3 gate runs the handler at CPL 0 on RSP0
 * (aligned); iretq returns to CPL 3, where HLT is #GP(0), delivered too.
 * A DPL 0 gate for int 0x81 is #GP(0x81 * 8 + 2) instead.
 */
Test(int, int_n_changes_privilege_and_iretq_returns)
{
    static const uint8_t code[] = {0xcd, 0x80, 0xb8, 9, 0, 0, 0, 0xf4};
    for (size_t b = 0; b < 2; b++) {
        setup(b, 3);
        gate(0x80, H_IRET, 3, 0, true);
        gate(13, H_HLT, 0, 0, true);
        uint64_t ursp = m.env->regs[R_ESP];
        cr_assert_eq(run(code, sizeof(code)), 0);
        cr_assert_eq(m.env->regs[R_EAX], 9, "back at CPL 3 after the int");
        cr_assert_eq(cpu_cpl(m.env), 0, "the #GP of HLT runs at CPL 0");
        cr_assert_eq(m.env->regs[R_ESP], (RSP0 & ~0xfull) - 48);
        cr_assert_eq(stack(0), 0, "#GP(0)");
        cr_assert_eq(stack(1), TM_CODE + 7, "RIP of the hlt");
        cr_assert_eq(stack(2), 0x13, "user CS");
        cr_assert_eq(stack(4), ursp);
        cr_assert_eq(stack(5), 0x1b, "user SS");
        tm_free(&m);

        setup(b, 3);
        gate(0x81, H_IRET, 0, 0, true);
        static const uint8_t int81[] = {0xcd, 0x81};
        cr_assert_eq(run(int81, sizeof(int81)), 0);
        cr_assert_eq(stack(0), 0x81 * 8 + 2, "#GP(IDT entry)");
        tm_free(&m);
    }
}

Test(int, ist_stack_and_the_double_fault_rules)
{
    static const uint8_t ud2[] = {0x0f, 0x0b};
    static const uint8_t wrmsr[] = {0x0f, 0x30}; /* ecx 0: #GP */
    for (size_t b = 0; b < 2; b++) {
        setup(b, 0);
        gate(6, H_HLT, 0, 1, true);
        cr_assert_eq(run(ud2, sizeof(ud2)), 0);
        cr_assert_eq(m.env->regs[R_ESP], IST1 - 40, "on IST1");
        /* #GP with its gate absent: #NP delivering it -> #DF (code 0) */
        setup(b, 0);
        gate(13, H_HLT, 0, 0, false);
        m.env->regs[R_ECX] = 0x12345;
        cr_assert_eq(run(wrmsr, sizeof(wrmsr)), 0);
        uint64_t rsp = m.env->regs[R_ESP];
        cr_assert_eq(stack(0), 0, "#DF's error code");
        cr_assert_eq(rsp, (TM_KSTACK & ~0xfull) - 48);
        /* and #DF absent too: a triple fault */
        gate(8, H_HLT, 0, 0, false);
        cr_assert_eq(run(wrmsr, sizeof(wrmsr)), -2);
        /* #UD (benign) with its gate absent: the #NP is delivered */
        setup(b, 0);
        gate(6, H_HLT, 0, 0, false);
        cr_assert_eq(run(ud2, sizeof(ud2)), 0);
        cr_assert_eq(stack(0), 6 * 8 + 2 + 1, "#NP(IDT 6, EXT)");
        tm_free(&m);
    }
}
