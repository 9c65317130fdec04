/*
 * LAR, LSL, VERR, VERW and ARPL (helper_seg.c) at CPL 3 in 32-bit
 * protected mode, both backends: each descriptor type's rule, the DPL and
 * RPL checks, the access-rights and limit results, ZF both ways, and #UD
 * in V86 mode.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "pm32.h"

static TinyMachine m;

enum { LAR, LSL, VERR, VERW };

static void desc_setup(size_t b)
{
    pm32_setup(&m, b, 3);
    pm_gdt(&m, 0x30, 0x00cf9e000000ffffull); /* conforming code, DPL 0 */
    pm_gdt(&m, 0x38, 0x00cff8000000ffffull); /* execute-only code, DPL 3 */
    pm_gdt(&m, 0x40, 0x00cff0000000ffffull); /* read-only data, DPL 3 */
    pm_gdt(&m, 0x48, pm_seg(0, 0xff, 0xe2, false));      /* LDT, DPL 3 */
    pm_gdt(&m, 0x50, pm_gate(0xc, 0x08, 0, 3, 0));       /* call gate, DPL 3 */
    pm_gdt(&m, 0x58, pm_gate(0xe, 0x08, 0, 3, 0));       /* interrupt gate */
    pm_gdt(&m, 0x60, pm_seg(0x1000, 0x67, 0xe9, false)); /* TSS, DPL 3 */
    m.env->gdt.limit = 0x67;
}

/* run op with ECX = sel (EAX preset): ZF, and the EAX after */
static bool desc_run(int op, uint16_t sel, uint32_t *eax)
{
    static const uint8_t codes[][3] = {
        {0x0f, 0x02, 0xc1}, /* lar eax, ecx */
        {0x0f, 0x03, 0xc1}, /* lsl eax, ecx */
        {0x0f, 0x00, 0xe1}, /* verr cx */
        {0x0f, 0x00, 0xe9}, /* verw cx */
    };
    for (int zf = 0; zf < 2; zf++) { /* the result must not be the old ZF */
        cpu_load_eflags(m.env, zf ? CC_Z : 0, CC_Z);
        m.env->regs[R_EAX] = 0xdeadbeef;
        m.env->regs[R_ECX] = sel;
        cr_assert_eq(pm32_raw(&m, codes[op], 3), 3);
        bool r = tm_rflags(&m) & CC_Z;
        if (zf == 1) {
            *eax = (uint32_t)m.env->regs[R_EAX];
            return r;
        }
        if (!r) {
            cr_assert_eq(m.env->regs[R_EAX], 0xdeadbeef, "unchanged");
        }
    }
    return false;
}

Test(desc, lar_lsl_verr_verw_rules)
{
    static const struct {
        int op;
        uint16_t sel;
        bool zf;
        uint32_t eax;
    } cases[] = {
        {LAR, 0x1b, true, 0x00c0fa00}, {LAR, 0x08, false, 0},
        {LAR, 0x0b, false, 0},         {LAR, 0x33, true, 0x00c09e00},
        {LAR, 0x4b, true, 0xe200},     {LAR, 0x53, true, 0xec00},
        {LAR, 0x5b, false, 0},         {LAR, 0x00, false, 0},
        {LAR, 0x80, false, 0},         {LAR, 0x63, true, 0xe900},
        {LSL, 0x23, true, 0xffffffff}, {LSL, 0x53, false, 0},
        {LSL, 0x63, true, 0x67},       {LSL, 0x4b, true, 0xff},
        {LSL, 0x10, false, 0},         {VERR, 0x3b, false, 0},
        {VERR, 0x1b, true, 0},         {VERR, 0x43, true, 0},
        {VERW, 0x43, false, 0},        {VERW, 0x23, true, 0},
        {VERR, 0x10, false, 0},        {VERR, 0x33, true, 0},
        {VERW, 0x1b, false, 0},        {VERR, 0x53, false, 0},
        {VERW, 0x20, true, 0},         {VERW, 0x00, false, 0},
    };
    for (size_t b = 0; b < 2; b++) {
        desc_setup(b);
        for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
            uint32_t eax = 0;
            bool zf = desc_run(cases[i].op, cases[i].sel, &eax);
            cr_assert_eq(zf, cases[i].zf, "case %zu", i);
            if (zf && cases[i].op <= LSL) {
                cr_assert_eq(eax, cases[i].eax, "case %zu: 0x%x", i, eax);
            }
        }
        tm_free(&m);
    }
}

Test(desc, arpl_raises_rpl)
{
    static const uint8_t arpl[] = {0x63, 0xd8}; /* arpl ax, bx */
    for (size_t b = 0; b < 2; b++) {
        pm32_setup(&m, b, 3);
        m.env->regs[R_EAX] = 0x12340010;
        m.env->regs[R_EBX] = 0x0003;
        cr_assert_eq(pm32_raw(&m, arpl, sizeof(arpl)), 3);
        cr_assert_eq(m.env->regs[R_EAX], 0x12340013);
        cr_assert(tm_rflags(&m) & CC_Z);
        cr_assert_eq(pm32_raw(&m, arpl, sizeof(arpl)), 3);
        cr_assert_eq(m.env->regs[R_EAX], 0x12340013);
        cr_assert(!(tm_rflags(&m) & CC_Z), "RPL already 3");
        tm_free(&m);
    }
}

Test(desc, ud_in_v86_mode)
{
    static const uint8_t lar[] = {0x0f, 0x02, 0xc1};
    for (size_t b = 0; b < 2; b++) {
        pm32_setup(&m, b, 0);
        cpu_load_eflags(m.env, EFL_VM, EFL_VM);
        for (int s = 0; s < CPU_NB_SEGS; s++) {
            cpu_seg_load_real(m.env, s, 0x1000);
        }
        m.env->regs[R_ESP] = 0x100;
        tm_code_clear(&m);
        tm_code_put(&m, 0, lar, sizeof(lar));
        m.env->deliver = false;
        cr_assert_eq(tm_run_cpu(m.env, 0), 6);
        tm_free(&m);
    }
}

/* IA-32e mode: LAR takes 64-bit TSSs and call gates but (Intel) no LDT,
 * LSL takes LDTs and TSSs; REX.W LAR zero-extends */
Test(desc, ia32e_mode_types)
{
    static const struct {
        uint8_t code[4];
        uint16_t sel;
        bool zf;
        uint64_t rax;
    } cases[] = {
        {{0x48, 0x0f, 0x02, 0xc1}, 0x30, false, 0},         /* lar: LDT */
        {{0x48, 0x0f, 0x02, 0xc1}, 0x40, true, 0x8900},     /* lar: TSS */
        {{0x48, 0x0f, 0x02, 0xc1}, 0x50, true, 0x8c00},     /* lar: call gate */
        {{0x48, 0x0f, 0x03, 0xc1}, 0x30, true, 0xff},       /* lsl: LDT */
        {{0x48, 0x0f, 0x03, 0xc1}, 0x50, false, 0},         /* lsl: call gate */
        {{0x48, 0x0f, 0x02, 0xc1}, 0x10, true, 0x00209a00}, /* 64-bit code */
    };
    for (size_t b = 0; b < 2; b++) {
        tm_new(&m, tm_backends[b], 0, 0);
        memset(m.mem + PM_GDT, 0, 0x100);
        pm_gdt(&m, 0x10, 0x00209a0000000000ull);
        pm_gdt(&m, 0x30, pm_seg(0, 0xff, 0x82, false));
        pm_gdt(&m, 0x40, pm_seg(0, 0x67, 0x89, false));
        pm_gdt(&m, 0x50, pm_gate(0xc, 0x10, 0, 0, 0));
        m.env->gdt.base = PM_GDT;
        m.env->gdt.limit = 0xff;
        for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
            cpu_load_eflags(m.env, cases[i].zf ? 0 : CC_Z, CC_Z);
            m.env->regs[R_EAX] = 0xffffffff00000000ull;
            m.env->regs[R_ECX] = cases[i].sel;
            cr_assert_eq(tm_run(&m, cases[i].code, 4), 3);
            cr_assert_eq((tm_rflags(&m) & CC_Z) != 0, cases[i].zf, "case %zu",
                         i);
            uint64_t want = cases[i].zf ? cases[i].rax : 0xffffffff00000000ull;
            cr_assert_eq(m.env->regs[R_EAX], want, "case %zu: 0x%llx", i,
                         (unsigned long long)m.env->regs[R_EAX]);
        }
        tm_free(&m);
    }
}
