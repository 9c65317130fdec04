/*
 * INT n through the IDT's gate checks (SDM vol. 3A 6.12.1.1), HLT and
 * CLI/STI by privilege, on the tiny machine (the host cannot show these
 * from user mode: Linux's IDT decides there). Until IDT delivery exists a
 * software interrupt that passes the checks is reported as a trap.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tiny_machine.h"

#define IDT_BASE 0x50000ull
#define GATE_INTR 0xeu
#define GATE_P 0x80u

/* a 64-bit gate for vector n: type, DPL, present */
static void idt_gate(TinyMachine *m, unsigned n, unsigned type, unsigned dpl,
                     bool present)
{
    uint64_t lo = 0x1000 | (0x10ull << 16);
    lo |= (uint64_t)(type | dpl << 5 | (present ? GATE_P : 0)) << 40;
    memcpy(m->mem + IDT_BASE + 16 * n, &lo, 8);
    memset(m->mem + IDT_BASE + 16 * n + 8, 0, 8);
}

static void idt_setup(TinyMachine *m)
{
    idt_gate(m, 0x10, GATE_INTR, 0, true);
    idt_gate(m, 0x80, GATE_INTR, 3, true);
    idt_gate(m, 0x21, GATE_INTR, 3, false);
    idt_gate(m, 0x22, 0x3, 3, true); /* not a gate type of long mode */
    m->env->idt.base = IDT_BASE;
    m->env->idt.limit = 0x80 * 16 + 15;
}

/* int n at CPL cpl: the vector, *err and the final RIP */
static int int_run(TcgBackendKind be, unsigned cpl, uint8_t n, uint32_t *err,
                   uint64_t *rip)
{
    const uint8_t code[] = {0x90, 0xcd, n};
    TinyMachine m;
    tm_new(&m, be, cpl, 0);
    idt_setup(&m);
    int v = tm_run(&m, code, sizeof(code));
    *err = m.env->has_error_code ? m.env->error_code : ~0u;
    *rip = m.env->rip;
    tm_free(&m);
    return v;
}

Test(int_priv, int_n_gate_checks)
{
    for (size_t b = 0; b < ARRAY_LEN(tm_backends); b++) {
        TcgBackendKind be = tm_backends[b];
        uint32_t err;
        uint64_t rip;
        cr_expect_eq(int_run(be, 3, 0x10, &err, &rip), 13, "DPL 0 gate");
        cr_expect_eq(err, 0x10 * 8 + 2);
        cr_expect_eq(rip, TM_CODE + 1, "a fault at the INT");
        cr_expect_eq(int_run(be, 3, 0x80, &err, &rip), 0x80, "DPL 3 gate");
        cr_expect_eq(rip, TM_CODE + 3, "a trap after the INT");
        cr_expect_eq(int_run(be, 3, 0x21, &err, &rip), 11, "not present");
        cr_expect_eq(err, 0x21 * 8 + 2);
        cr_expect_eq(int_run(be, 3, 0x22, &err, &rip), 13, "bad type");
        cr_expect_eq(err, 0x22 * 8 + 2);
        cr_expect_eq(int_run(be, 3, 0x90, &err, &rip), 13, "past the limit");
        cr_expect_eq(err, 0x90 * 8 + 2);
        cr_expect_eq(int_run(be, 0, 0x10, &err, &rip), 0x10, "CPL 0");
        cr_expect_eq(rip, TM_CODE + 3);
    }
}

Test(int_priv, hlt_cli_sti_by_privilege)
{
    static const uint8_t cli_hlt[] = {0xfa, 0xf4, 0x90};
    static const uint8_t sti[] = {0xfb, 0x90};
    for (size_t b = 0; b < ARRAY_LEN(tm_backends); b++) {
        TinyMachine m;
        tm_new(&m, tm_backends[b], 0, 0);
        cpu_load_eflags(m.env, 0x200, 0x200);
        cr_assert_eq(tm_run(&m, cli_hlt, sizeof(cli_hlt)), 3);
        cr_expect(m.env->halted, "HLT at CPL 0 halts");
        cr_expect_eq(tm_rflags(&m) & 0x200, 0, "CLI cleared IF");
        tm_free(&m);

        tm_new(&m, tm_backends[b], 3, 0);
        cpu_load_eflags(m.env, 0x3000, 0x3200); /* IOPL 3, IF 0 */
        cr_assert_eq(tm_run(&m, sti, sizeof(sti)), 3);
        cr_expect_eq(tm_rflags(&m) & 0x200, 0x200, "STI at CPL = IOPL");
        tm_free(&m);

        tm_new(&m, tm_backends[b], 3, 0);
        cr_assert_eq(tm_run(&m, cli_hlt, sizeof(cli_hlt)), 13);
        cr_expect_eq(m.env->rip, TM_CODE, "CLI at CPL > IOPL: #GP");
        tm_free(&m);
    }
}

/*
 * POP FS/GS in long mode load the descriptor (GDT at TM_DATA): 0x28 is a
 * DPL 3 data segment with base 0x50000, 0x30 the same not present (#NP
 * with the selector, RSP unchanged), 0x38 beyond the GDT limit (#GP with
 * the selector); a null selector loads and clears the base.
 */
Test(int_priv, pop_fs_loads_the_descriptor)
{
    static const uint8_t code[] = {
        0x6a, 0x2b, 0x0f, 0xa1,                   /* push 0x2b; pop fs */
        0x6a, 0x00, 0x0f, 0xa9};                  /* push 0; pop gs */
    const uint64_t data3 = 0x00cff2050000ffffull; /* base 0x50000, DPL 3 */
    for (size_t b = 0; b < ARRAY_LEN(tm_backends); b++) {
        TinyMachine m;
        tm_new(&m, tm_backends[b], 3, 0);
        memset(m.mem + TM_DATA, 0, 0x40);
        memcpy(m.mem + TM_DATA + 0x28, &data3, 8);
        uint64_t np = data3 & ~(1ull << 47);
        memcpy(m.mem + TM_DATA + 0x30, &np, 8);
        m.env->gdt.base = TM_DATA;
        m.env->gdt.limit = 0x37;
        cr_assert_eq(tm_run(&m, code, 4), 3);
        cr_expect_eq(m.env->segs[R_FS].selector, 0x2b);
        cr_expect_eq(m.env->segs[R_FS].base, 0x50000);
        cr_expect(m.mem[TM_DATA + 0x28 + 5] & 1, "accessed bit set");
        static const uint8_t pop_np[] = {0x6a, 0x33, 0x0f, 0xa1};
        m.env->regs[R_ESP] = TM_STACK;
        cr_assert_eq(tm_run(&m, pop_np, sizeof(pop_np)), 11);
        cr_expect_eq(m.env->error_code, 0x30);
        cr_expect_eq(m.env->rip, TM_CODE + 2);
        cr_expect_eq(m.env->regs[R_ESP], TM_STACK - 8);
        static const uint8_t pop_far[] = {0x6a, 0x3b, 0x0f, 0xa1};
        cr_assert_eq(tm_run(&m, pop_far, sizeof(pop_far)), 13);
        cr_expect_eq(m.env->error_code, 0x38);
        tm_free(&m);

        tm_new(&m, tm_backends[b], 3, 0);
        m.env->segs[R_GS].base = 0x1234000;
        cr_assert_eq(tm_run(&m, code + 4, 4), 3);
        cr_expect_eq(m.env->segs[R_GS].selector, 0);
        cr_expect_eq(m.env->segs[R_GS].base, 0);
        cr_expect_eq(m.env->regs[R_ESP], TM_STACK);
        tm_free(&m);
    }
}
