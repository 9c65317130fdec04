/*
 * Call gates and far RET across privilege levels (helper_seg.c), both
 * backends: a 32-bit gate from CPL 3 to CPL 0 with the TSS stack switch
 * and the parameter copy, RET imm16 back to CPL 3 with SS:ESP popped and
 * DS nulled, a 16-bit gate at the same level, each gate check with its
 * error code, and a 64-bit call gate in IA-32e mode.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "pm32.h"

static TinyMachine m;

#define H_GATE (TM_CODE + 0x900)

/* call far sel:0 (ptr16:32) */
#define CALLF(sel) 0x9a, 0, 0, 0, 0, (sel)&0xff, (sel) >> 8

Test(gate, call_gate_to_cpl0_copies_params_and_retf_returns)
{
    /* push 0x1111; push 0x2222; call 0x33:0; mov eax, 7; hlt */
    static const uint8_t code[] = {0x68, 0x11, 0x11, 0, 0,           0x68,
                                   0x22, 0x22, 0,    0, CALLF(0x33), 0xb8,
                                   7,    0,    0,    0, 0xf4};
    /* the handler: hlt (the test looks), then mov ds, 0x10; retf 8 */
    static const uint8_t handler[] = {0xf4, 0x66, 0xb8, 0x10, 0,
                                      0x8e, 0xd8, 0xca, 8,    0};
    for (size_t b = 0; b < 2; b++) {
        pm32_setup(&m, b, 3);
        pm_gdt(&m, 0x30, pm_gate(0xc, 0x08, (uint32_t)H_GATE, 3, 2));
        pm32_code(&m, code, sizeof(code));
        tm_code_put(&m, H_GATE - TM_CODE, handler, sizeof(handler));
        cr_assert_eq(pm32_run(&m, NULL, 0), 0);
        CpuX86 *env = m.env;
        cr_assert_eq(env->rip, H_GATE + 1, "halted in the handler");
        cr_assert_eq(cpu_cpl(env), 0);
        cr_assert_eq(env->segs[R_CS].selector, 0x08);
        cr_assert_eq(env->segs[R_SS].selector, 0x10, "SS0 from the TSS");
        cr_assert_eq(env->regs[R_ESP], PM_ESP0 - 24);
        cr_assert_eq(pm_stack(&m, 0), TM_CODE + 17, "return EIP");
        cr_assert_eq(pm_stack(&m, 1), 0x1b, "return CS");
        cr_assert_eq(pm_stack(&m, 2), 0x2222, "parameter 0 (at old ESP)");
        cr_assert_eq(pm_stack(&m, 3), 0x1111, "parameter 1");
        cr_assert_eq(pm_stack(&m, 4), PM_ESP - 8, "old ESP");
        cr_assert_eq(pm_stack(&m, 5), 0x23, "old SS");
        cr_assert(m.mem[PM_GDT + 8 + 5] & 1, "CS accessed");
        /* go on: retf 8 to CPL 3; there HLT is #GP(0) onto ESP0 */
        env->halted = false;
        cr_assert_eq(tm_run_until_halt(&m, env->rip), 0);
        cr_assert_eq(env->regs[R_EAX], 7, "back in the caller");
        cr_assert_eq(env->rip, PM_H_HLT + 1);
        cr_assert_eq(env->segs[R_DS].selector, 0, "DS (DPL 0) nulled");
        cr_assert_eq(pm_stack(&m, 0), 0, "#GP(0) of the HLT");
        cr_assert_eq(pm_stack(&m, 1), TM_CODE + 22);
        cr_assert_eq(pm_stack(&m, 2), 0x1b);
        cr_assert_eq(pm_stack(&m, 4), PM_ESP, "both imm16s released");
        cr_assert_eq(pm_stack(&m, 5), 0x23);
        tm_free(&m);
    }
}

Test(gate, gate_checks_raise_their_error_codes)
{
    static const struct {
        uint16_t sel;
        bool jmp;
        int vector;
        uint32_t err;
    } cases[] = {
        {0x38, false, 13, 0x38}, /* gate DPL 0 < CPL 3 */
        {0x43, false, 11, 0x40}, /* gate not present */
        {0x48, false, 13, 0},    /* gate's CS null */
        {0x50, false, 13, 0x10}, /* gate's CS is data */
        {0x58, false, 11, 0x60}, /* gate's CS not present */
        {0x30, true, 13, 0x08},  /* JMP to non-conforming code of DPL 0 */
        {0x68, false, 13, 0x68}, /* an LDT descriptor */
        {0x70, false, 10, 0x20}, /* TSS SS0: DPL 3 data (SS0 patched) */
    };
    for (size_t b = 0; b < 2; b++) {
        pm32_setup(&m, b, 3);
        pm_gdt(&m, 0x30, pm_gate(0xc, 0x08, (uint32_t)H_GATE, 3, 0));
        pm_gdt(&m, 0x38, pm_gate(0xc, 0x08, (uint32_t)H_GATE, 0, 0));
        pm_gdt(&m, 0x40, pm_gate(0xc, 0x08, 0, 3, 0) & ~(1ull << 47));
        pm_gdt(&m, 0x48, pm_gate(0xc, 0x00, 0, 3, 0));
        pm_gdt(&m, 0x50, pm_gate(0xc, 0x10, 0, 3, 0));
        pm_gdt(&m, 0x58, pm_gate(0xc, 0x60, 0, 3, 0));
        pm_gdt(&m, 0x60, 0x00cf1a000000ffffull);        /* code, not present */
        pm_gdt(&m, 0x68, pm_seg(0, 0xff, 0xe2, false)); /* LDT, DPL 3 */
        pm_gdt(&m, 0x70, pm_gate(0xc, 0x08, (uint32_t)H_GATE, 3, 0));
        for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
            pm_st32(&m, PM_TSS + 8, i == 7 ? 0x20 : 0x10);
            uint16_t s = cases[i].sel;
            uint8_t code[] = {CALLF(s)};
            if (cases[i].jmp) {
                code[0] = 0xea;
            }
            m.env->regs[R_ESP] = PM_ESP;
            int v = pm32_raw(&m, code, sizeof(code));
            cr_assert_eq(v, cases[i].vector, "case %zu: vector %d", i, v);
            cr_assert_eq(m.env->error_code, cases[i].err, "case %zu: 0x%x", i,
                         m.env->error_code);
            cr_assert_eq(m.env->rip, TM_CODE, "case %zu", i);
            cr_assert_eq(cpu_cpl(m.env), 3, "case %zu", i);
            cr_assert_eq(m.env->regs[R_ESP], PM_ESP, "case %zu", i);
        }
        tm_free(&m);
    }
}

Test(gate, sixteen_bit_gate_same_level_pushes_words)
{
    static const uint8_t code[] = {CALLF(0x30)};
    for (size_t b = 0; b < 2; b++) {
        pm32_setup(&m, b, 0);
        /* a 16-bit offset into a code segment based at TM_CODE */
        pm_gdt(&m, 0x38, pm_seg((uint32_t)TM_CODE, 0xffff, 0x9a, true));
        pm_gdt(&m, 0x30, pm_gate(0x4, 0x38, 0x900, 0, 0));
        cr_assert_eq(pm32_raw(&m, code, sizeof(code)), 3);
        cr_assert_eq(m.env->rip, 0x901, "int3 at the gate's offset");
        cr_assert_eq(m.env->segs[R_CS].selector, 0x38);
        cr_assert_eq(m.env->regs[R_ESP], PM_ESP - 4);
        cr_assert_eq(pm_ld16(&m, PM_ESP - 4), (TM_CODE + 7) & 0xffff, "IP");
        cr_assert_eq(pm_ld16(&m, PM_ESP - 2), 0x08, "CS");
        tm_free(&m);
    }
}

Test(gate, retf_to_outer_level_checks)
{
    /* retf from CPL 0 with EIP, CS, ESP, SS on the stack */
    static const uint8_t code[] = {0xcb};
    static const struct {
        uint16_t cs, ss;
        int vector;
        uint32_t err;
    } cases[] = {
        {0x1b, 0x13, 13, 0x10}, /* SS RPL 3 but DPL 0 data */
        {0x1b, 0x23, 3, 0},     /* fine: the int3 at the target, CPL 3 */
        {0x1b, 0x00, 13, 0},    /* null SS */
        {0x1b, 0x1b, 13, 0x18}, /* SS is code */
        {0x3b, 0x23, 11, 0x38}, /* CS not present */
        {0x0b, 0x23, 13, 0x08}, /* CS DPL 0 with RPL 3 */
    };
    for (size_t b = 0; b < 2; b++) {
        pm32_setup(&m, b, 0);
        pm_gdt(&m, 0x38, 0x00cf7a000000ffffull); /* DPL 3 code, not present */
        for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
            pm32_setup(&m, b, 0);
            pm_gdt(&m, 0x38, 0x00cf7a000000ffffull);
            pm_st32(&m, PM_ESP - 16, (uint32_t)(TM_CODE + 0x100));
            pm_st32(&m, PM_ESP - 12, cases[i].cs);
            pm_st32(&m, PM_ESP - 8, 0x7000);
            pm_st32(&m, PM_ESP - 4, cases[i].ss);
            m.env->regs[R_ESP] = PM_ESP - 16;
            int v = pm32_raw(&m, code, sizeof(code));
            cr_assert_eq(v, cases[i].vector, "case %zu: vector %d", i, v);
            if (v == 3) {
                cr_assert_eq(cpu_cpl(m.env), 3);
                cr_assert_eq(m.env->regs[R_ESP], 0x7000);
                cr_assert_eq(m.env->segs[R_SS].selector, 0x23);
                cr_assert_eq(m.env->segs[R_DS].selector, 0, "DS nulled");
                cr_assert_eq(m.env->rip, TM_CODE + 0x101);
            } else {
                cr_assert_eq(m.env->error_code, cases[i].err, "case %zu: 0x%x",
                             i, m.env->error_code);
                cr_assert_eq(m.env->rip, TM_CODE, "case %zu", i);
                cr_assert_eq(cpu_cpl(m.env), 0, "case %zu", i);
            }
            tm_free(&m);
        }
        pm32_setup(&m, b, 3); /* RET to an inner level: #GP(selector) */
        pm_st32(&m, PM_ESP - 8, (uint32_t)TM_CODE);
        pm_st32(&m, PM_ESP - 4, 0x08);
        m.env->regs[R_ESP] = PM_ESP - 8;
        cr_assert_eq(pm32_raw(&m, code, sizeof(code)), 13);
        cr_assert_eq(m.env->error_code, 0x08);
        tm_free(&m);
    }
}

/* IA-32e mode: a 16-byte 64-bit call gate from CPL 3 to 64-bit CPL 0 */
Test(gate, call_gate_64_switches_to_rsp0)
{
    /* call far [TM_DATA] (m16:32) */
    static const uint8_t code[] = {0xff, 0x1c, 0x25, 0, 0, 4, 0};
    for (size_t b = 0; b < 2; b++) {
        tm_new(&m, tm_backends[b], 3, 0);
        CpuX86 *env = m.env;
        memset(m.mem + PM_GDT, 0, 0x100);
        pm_gdt(&m, 0x08, 0x00af9a000000ffffull); /* 64-bit code, DPL 0 */
        uint64_t g = pm_gate(0xc, 0x08, (uint32_t)H_GATE, 3, 0);
        pm_gdt(&m, 0x40, g);
        pm_gdt(&m, 0x48, 0); /* offset 63:32 = 0, type 0 */
        pm_gdt(&m, 0x50, g); /* a second one with a bad upper type */
        pm_gdt(&m, 0x58, 0x00000c0000000000ull);
        env->gdt.base = PM_GDT;
        env->gdt.limit = 0xff;
        memset(m.mem + PM_TSS, 0, 0x68);
        uint64_t rsp0 = TM_KSTACK;
        memcpy(m.mem + PM_TSS + 4, &rsp0, 8);
        env->tr.selector = 0x28;
        env->tr.base = PM_TSS;
        env->tr.limit = 0x67;
        env->tr.attr = SEG_AR_P | 0xb;
        pm_st32(&m, TM_DATA, 0);
        pm_st16(&m, TM_DATA + 4, 0x43);
        tm_code_clear(&m);
        tm_code_put(&m, 0, code, sizeof(code));
        cr_assert_eq(tm_run_cpu(env, TM_CODE), 3);
        cr_assert_eq(env->rip, H_GATE + 1);
        cr_assert_eq(cpu_cpl(env), 0);
        cr_assert_eq(env->segs[R_CS].selector, 0x08);
        cr_assert_eq(env->segs[R_SS].selector, 0, "null SS, RPL 0");
        cr_assert_eq(env->regs[R_ESP], TM_KSTACK - 32);
        uint64_t f[4];
        memcpy(f, m.mem + TM_KSTACK - 32, 32);
        cr_assert_eq(f[0], TM_CODE + 7, "RIP");
        cr_assert_eq(f[1], 0x13, "CS");
        cr_assert_eq(f[2], TM_STACK, "RSP");
        cr_assert_eq(f[3], 0x1b, "SS");
        tm_free(&m);

        tm_new(&m, tm_backends[b], 3, 0);
        env = m.env;
        memset(m.mem + PM_GDT, 0, 0x100);
        pm_gdt(&m, 0x08, 0x00af9a000000ffffull);
        pm_gdt(&m, 0x50, g);
        pm_gdt(&m, 0x58, 0x00000c0000000000ull);
        pm_gdt(&m, 0x60, pm_gate(0x4, 0x08, 0, 3, 0)); /* 16-bit: #GP */
        env->gdt.base = PM_GDT;
        env->gdt.limit = 0xff;
        pm_st32(&m, TM_DATA, 0);
        pm_st16(&m, TM_DATA + 4, 0x53);
        cr_assert_eq(tm_run(&m, code, sizeof(code)), 13);
        cr_assert_eq(env->error_code, 0x50, "upper half's type not 0");
        pm_st16(&m, TM_DATA + 4, 0x63);
        cr_assert_eq(tm_run(&m, code, sizeof(code)), 13);
        cr_assert_eq(env->error_code, 0x60, "no 16-bit gates in IA-32e");
        tm_free(&m);
    }
}
