/*
 * Virtual-8086 mode (helper_v86.c, helper_int.c), both backends: IRET
 * into V86 mode from CPL 0, real-mode style segments, INT n to the CPL 0
 * handler with GS FS DS ES on the frame, IRET back; the IOPL-sensitive
 * instructions at IOPL 0 (#GP(0)); CR4.VME (VIF for CLI/STI/PUSHF/POPF,
 * the interrupt redirection bitmap for INT n); CR4.PVI at CPL 3; port I/O
 * through the TSS bitmap whatever the IOPL.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "pm32.h"

static TinyMachine m;

#define V86_CS 0x1000u /* linear 0x10000: TM_CODE */
#define V86_IP 0x100u
#define V86_SS 0x7000u
#define V86_SP 0xfff0u
#define V86_STACK(k) (V86_SS * 16 + V86_SP - (k))

/* the code page: iret at TM_CODE (CPL 0), v86 code at TM_CODE + 0x100 */
static void v86_prepare(size_t b, uint32_t eflags, const uint8_t *v86,
                        size_t len)
{
    static const uint8_t iret = 0xcf;
    pm32_setup(&m, b, 0);
    pm32_code(&m, &iret, 1);
    tm_code_put(&m, V86_IP, v86, len);
    static const uint32_t frame[] = {V86_IP, V86_CS, 0,      V86_SP, V86_SS,
                                     0x3000, 0x4000, 0x5000, 0x6000};
    for (int i = 0; i < 9; i++) {
        pm_st32(&m, PM_ESP - 36 + 4 * i, i == 2 ? eflags : frame[i]);
    }
    m.env->regs[R_ESP] = PM_ESP - 36;
}

Test(v86, iret_enters_v86_and_int_returns_to_cpl0)
{
    static const uint8_t v86[] = {
        0xc6, 0x06, 0,    0, 0x5a, /* mov byte [0], 0x5a: DS 0x4000 */
        0xb8, 0x34, 0x12,          /* mov ax, 0x1234 */
        0xcd, 0x80,                /* int 0x80 */
        0xbb, 0x77, 0,             /* mov bx, 0x77 */
        0xf4,                      /* hlt: #GP(0) */
    };
    static const uint8_t hlt_iret[] = {0xf4, 0xcf};
    for (size_t b = 0; b < 2; b++) {
        v86_prepare(b, EFL_VM | EFL_IOPL | 0x2, v86, sizeof(v86));
        tm_code_put(&m, 0x820, hlt_iret, 2);
        pm_idt(&m, 0x80, pm_gate(0xe, 0x08, (uint32_t)TM_CODE + 0x820, 3, 0));
        CpuX86 *env = m.env;
        cr_assert_eq(pm32_run(&m, NULL, 0), 0);
        cr_assert_eq(m.mem[0x40000], 0x5a, "DS base 0x40000 in V86 mode");
        cr_assert_eq(env->rip, TM_CODE + 0x821);
        cr_assert_eq(cpu_cpl(env), 0);
        cr_assert(!(env->eflags & EFL_VM));
        cr_assert_eq(env->regs[R_EAX] & 0xffff, 0x1234);
        cr_assert_eq(env->regs[R_ESP], PM_ESP0 - 36, "from ESP0");
        cr_assert_eq(pm_stack(&m, 0), V86_IP + 10, "EIP after INT");
        cr_assert_eq(pm_stack(&m, 1), V86_CS);
        cr_assert(pm_stack(&m, 2) & EFL_VM, "EFLAGS with VM");
        cr_assert_eq(pm_stack(&m, 3), V86_SP);
        cr_assert_eq(pm_stack(&m, 4), V86_SS);
        cr_assert_eq(pm_stack(&m, 5), 0x3000, "ES");
        cr_assert_eq(pm_stack(&m, 6), 0x4000, "DS");
        cr_assert_eq(pm_stack(&m, 7), 0x5000, "FS");
        cr_assert_eq(pm_stack(&m, 8), 0x6000, "GS");
        for (int s = 0; s < CPU_NB_SEGS; s++) {
            if (s != R_CS && s != R_SS) {
                cr_assert_eq(env->segs[s].selector, 0, "data segs nulled");
            }
        }
        env->halted = false; /* IRET back to V86: the HLT there #GPs */
        cr_assert_eq(tm_run_until_halt(&m, env->rip), 0);
        cr_assert_eq(env->regs[R_EBX] & 0xffff, 0x77);
        cr_assert_eq(env->rip, PM_H_HLT + 1);
        cr_assert_eq(pm_stack(&m, 0), 0, "#GP(0)");
        cr_assert_eq(pm_stack(&m, 1), V86_IP + 13, "at the HLT");
        cr_assert_eq(pm_stack(&m, 7), 0x4000,
                     "DS again (after the error code)");
        tm_free(&m);
    }
}

Test(v86, iopl_sensitive_instructions_gp_below_iopl3)
{
    static const struct {
        uint8_t code[3];
        size_t len;
        int vector;
    } cases[] = {
        {{0xfa}, 1, 13},       /* cli */
        {{0xfb}, 1, 13},       /* sti */
        {{0x9c}, 1, 13},       /* pushf */
        {{0x9d}, 1, 13},       /* popf */
        {{0xcd, 0x21}, 2, 13}, /* int 0x21 */
        {{0xcf}, 1, 13},       /* iret */
        {{0x66, 0x9c}, 2, 13}, /* pushfd */
        {{0xcc}, 1, 3},        /* int3: not IOPL-sensitive */
        {{0xe4, 0x60}, 2, 13}, /* in al, 0x60: no I/O bitmap */
        {{0x8c, 0xc8}, 2, 3},  /* mov ax, cs (then int3) */
    };
    for (size_t b = 0; b < 2; b++) {
        for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
            v86_prepare(b, EFL_VM | 0x2, cases[i].code, cases[i].len);
            int v = pm32_raw(&m, NULL, 0);
            cr_assert_eq(v, cases[i].vector, "case %zu: vector %d", i, v);
            if (v == 13) {
                cr_assert_eq(m.env->error_code, 0, "case %zu", i);
                cr_assert_eq(m.env->rip, V86_IP, "case %zu", i);
            }
            cr_assert_eq(m.env->segs[R_CS].selector, V86_CS, "case %zu", i);
            cr_assert(m.env->hflags & HF_VM, "case %zu", i);
            tm_free(&m);
        }
        /* IOPL 3 does not open the ports: the bitmap still decides */
        static const uint8_t in[] = {0xe4, 0x60};
        v86_prepare(b, EFL_VM | EFL_IOPL | 0x2, in, sizeof(in));
        cr_assert_eq(pm32_raw(&m, NULL, 0), 13);
        tm_free(&m);
    }
}

Test(v86, vme_virtualizes_if)
{
    /* sti; pushf; cli; pushf; int3 */
    static const uint8_t v86[] = {0xfb, 0x9c, 0xfa, 0x9c, 0xcc};
    for (size_t b = 0; b < 2; b++) {
        v86_prepare(b, EFL_VM | EFL_IF | 0x2, v86, sizeof(v86));
        m.env->cr[4] |= 1; /* VME */
        cr_assert_eq(pm32_raw(&m, NULL, 0), 3);
        CpuX86 *env = m.env;
        cr_assert(env->eflags & EFL_IF, "IF untouched");
        cr_assert(!(env->eflags & EFL_VIF), "CLI cleared VIF");
        cr_assert_eq(env->regs[R_ESP] & 0xffff, V86_SP - 4);
        uint16_t after_cli = pm_ld16(&m, V86_STACK(4));
        uint16_t after_sti = pm_ld16(&m, V86_STACK(2));
        cr_assert_eq(after_sti & (EFL_IF | EFL_IOPL), EFL_IF | EFL_IOPL,
                     "PUSHF: IF = VIF (1), IOPL 3: 0x%x", after_sti);
        cr_assert_eq(after_cli & (EFL_IF | EFL_IOPL), EFL_IOPL,
                     "PUSHF: IF = VIF (0): 0x%x", after_cli);
        tm_free(&m);

        static const uint8_t sti[] = {0xfb};
        v86_prepare(b, EFL_VM | EFL_VIP | 0x2, sti, sizeof(sti));
        m.env->cr[4] |= 1;
        cr_assert_eq(pm32_raw(&m, NULL, 0), 13, "STI with VIP pending");
        cr_assert_eq(m.env->rip, V86_IP);
        tm_free(&m);

        /* push 0x0200; popf: VIF := 1; push 0x0100; popf: TF -> #GP */
        static const uint8_t popf[] = {0x68, 0, 2, 0x9d, 0x68, 0, 1, 0x9d};
        v86_prepare(b, EFL_VM | 0x2, popf, sizeof(popf));
        m.env->cr[4] |= 1;
        cr_assert_eq(pm32_raw(&m, NULL, 0), 13, "POPF setting TF");
        cr_assert_eq(m.env->rip, V86_IP + 7);
        cr_assert(m.env->eflags & EFL_VIF, "the first POPF set VIF");
        cr_assert(!(m.env->eflags & EFL_IF));
        tm_free(&m);
    }
}

Test(v86, vme_redirects_int_n_through_the_bitmap)
{
    static const uint8_t v86[] = {0xcd, 0x21};
    for (size_t b = 0; b < 4; b++) {
        bool bit = b >= 2;
        v86_prepare(b & 1, EFL_VM | EFL_IF | EFL_VIF | 0x2, v86, sizeof(v86));
        CpuX86 *env = m.env;
        env->cr[4] |= 1;
        env->tr.limit = 0x88;
        pm_st16(&m, PM_TSS + 0x66, 0x88);
        memset(m.mem + PM_TSS + 0x68, 0, 0x21);
        m.mem[PM_TSS + 0x68 + 0x21 / 8] = bit ? 1u << (0x21 & 7) : 0;
        pm_st32(&m, 0x21 * 4, (V86_CS << 16) | 0x200);
        pm_idt(&m, 0x21, pm_gate(0xe, 0x08, (uint32_t)PM_H_HLT, 3, 0));
        int v = pm32_raw(&m, NULL, 0);
        if (bit) {
            cr_assert_eq(v, 13, "bit set, IOPL 0: #GP");
            cr_assert_eq(env->error_code, 0);
            tm_free(&m);
            continue;
        }
        cr_assert_eq(v, 3, "the int3 at the 8086 handler");
        cr_assert_eq(env->rip, 0x201);
        cr_assert_eq(env->segs[R_CS].selector, V86_CS);
        cr_assert(env->hflags & HF_VM);
        cr_assert(!(env->eflags & EFL_VIF), "VIF cleared");
        cr_assert(env->eflags & EFL_IF, "IF kept");
        cr_assert_eq(env->regs[R_ESP] & 0xffff, V86_SP - 6);
        cr_assert_eq(pm_ld16(&m, V86_STACK(6)), V86_IP + 2, "IP");
        cr_assert_eq(pm_ld16(&m, V86_STACK(4)), V86_CS, "CS");
        uint16_t fl = pm_ld16(&m, V86_STACK(2));
        cr_assert_eq(fl & (EFL_IF | EFL_IOPL), EFL_IF | EFL_IOPL, "0x%x", fl);
        tm_free(&m);
    }
    /* IOPL 3, bit set: the protected-mode handler */
    v86_prepare(0, EFL_VM | EFL_IOPL | 0x2, v86, sizeof(v86));
    m.env->cr[4] |= 1;
    m.env->tr.limit = 0x88;
    pm_st16(&m, PM_TSS + 0x66, 0x88);
    memset(m.mem + PM_TSS + 0x68, 0xff, 0x20);
    pm_idt(&m, 0x21, pm_gate(0xe, 0x08, (uint32_t)PM_H_HLT, 3, 0));
    cr_assert_eq(pm32_raw(&m, NULL, 0), 0x21);
    cr_assert_eq(m.env->rip, V86_IP + 2);
    tm_free(&m);
}

Test(v86, pvi_cli_sti_at_cpl3)
{
    static const uint8_t code[] = {0xfa, 0xcc, 0xfb, 0xcc};
    for (size_t b = 0; b < 2; b++) {
        pm32_setup(&m, b, 3);
        cr_assert_eq(pm32_raw(&m, code, sizeof(code)), 13, "no PVI");
        cr_assert_eq(m.env->rip, TM_CODE);
        m.env->cr[4] |= 2; /* PVI */
        m.env->eflags |= EFL_VIF | EFL_IF;
        cr_assert_eq(pm32_raw(&m, code, sizeof(code)), 3);
        cr_assert(!(m.env->eflags & EFL_VIF), "CLI cleared VIF");
        cr_assert(m.env->eflags & EFL_IF, "not IF");
        cr_assert_eq(tm_run_cpu(m.env, TM_CODE + 2), 3);
        cr_assert(m.env->eflags & EFL_VIF, "STI set VIF");
        tm_free(&m);
    }
}
