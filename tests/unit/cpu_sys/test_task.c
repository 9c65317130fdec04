/*
 * Hardware task switches (helper_task.c), both backends: JMP to a TSS
 * (state saved, busy bits moved, CR0.TS), CALL through a task gate and
 * IRET back through the link (NT), an exception through a task gate of the
 * IDT with its error code on the new task's stack, the T bit, a 16-bit
 * TSS, the #GP/#TS/#NP checks before and after the switch, and #GP in
 * IA-32e mode.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "pm32.h"

static TinyMachine m;

#define H_TASK (TM_CODE + 0xa00) /* the new task's code */
#define TASK_ESP 0x7f000u

/* the 32-bit TSS at PM_TSS2 (GDT 0x30): CPL 0 flat, EIP H_TASK */
static void task_b(void)
{
    memset(m.mem + PM_TSS2, 0, 0x68);
    pm_st32(&m, PM_TSS2 + 0x20, (uint32_t)H_TASK);
    pm_st32(&m, PM_TSS2 + 0x24, 0x2 | 0x1); /* CF set */
    for (int i = 0; i < 8; i++) {
        pm_st32(&m, PM_TSS2 + 0x28 + 4 * i, 0x100 + i);
    }
    pm_st32(&m, PM_TSS2 + 0x38, TASK_ESP);
    static const uint16_t segs[] = {0x10, 0x08, 0x10, 0x10, 0x10, 0x10};
    for (int i = 0; i < 6; i++) {
        pm_st16(&m, PM_TSS2 + 0x48 + 4 * i, segs[i]);
    }
    pm_gdt(&m, 0x30, pm_seg((uint32_t)PM_TSS2, 0x67, 0x89, false));
    pm_gdt(&m, 0x38, pm_gate(0x5, 0x30, 0, 0, 0)); /* task gate */
}

static unsigned gdt_type(unsigned sel)
{
    return m.mem[PM_GDT + sel + 5] & 0xf;
}

Test(task, jmp_to_tss_saves_and_loads_state)
{
    /* mov eax, 0x1234; jmp 0x30:0 */
    static const uint8_t code[] = {0xb8, 0x34, 0x12, 0, 0,    0xea,
                                   0,    0,    0,    0, 0x30, 0};
    for (size_t b = 0; b < 2; b++) {
        pm32_setup(&m, b, 0);
        task_b();
        CpuX86 *env = m.env;
        cr_assert_eq(pm32_raw(&m, code, sizeof(code)), 3);
        cr_assert_eq(env->rip, H_TASK + 1, "the new task's int3");
        cr_assert_eq(env->tr.selector, 0x30);
        cr_assert_eq(env->tr.base, PM_TSS2);
        for (int i = 0; i < 8; i++) {
            uint32_t want = i == 4 ? TASK_ESP : 0x100u + i;
            cr_assert_eq(env->regs[i], want, "GPR %d", i);
        }
        cr_assert(tm_rflags(&m) & 1, "EFLAGS from the TSS");
        cr_assert(env->cr[0] & CR0_TS, "CR0.TS");
        cr_assert_eq(gdt_type(0x28), 0x9, "old TSS no longer busy");
        cr_assert_eq(gdt_type(0x30), 0xb, "new TSS busy");
        cr_assert_eq(pm_ld32(&m, PM_TSS + 0x20), TM_CODE + 12, "saved EIP");
        cr_assert_eq(pm_ld32(&m, PM_TSS + 0x28), 0x1234, "saved EAX");
        cr_assert_eq(pm_ld32(&m, PM_TSS + 0x38), PM_ESP, "saved ESP");
        cr_assert_eq(pm_ld16(&m, PM_TSS + 0x4c), 0x08, "saved CS");
        cr_assert_eq(pm_ld16(&m, PM_TSS2), 0, "JMP writes no link");
        cr_assert(!(tm_rflags(&m) & EFL_NT));
        tm_free(&m);
    }
}

Test(task, call_through_task_gate_and_iret_back)
{
    /* call 0x38:0; mov ebx, [TM_DATA]; int3 */
    static const uint8_t code[] = {0x9a, 0,    0, 0, 0, 0x38, 0,
                                   0x8b, 0x1d, 0, 0, 4, 0,    0xcc};
    /* the task: pushfd; pop ecx; mov [TM_DATA], ecx; iret; */
    static const uint8_t task[] = {0x9c, 0x59, 0x89, 0x0d, 0, 0, 4, 0, 0xcf};
    for (size_t b = 0; b < 2; b++) {
        pm32_setup(&m, b, 0);
        task_b();
        CpuX86 *env = m.env;
        pm32_code(&m, code, sizeof(code));
        tm_code_put(&m, H_TASK - TM_CODE, task, sizeof(task));
        env->regs[R_EBX] = 0x55;
        cr_assert_eq(pm32_raw(&m, NULL, 0), 3);
        cr_assert_eq(env->rip, TM_CODE + 14, "back after the CALL");
        cr_assert_eq(env->tr.selector, 0x28);
        cr_assert(pm_ld32(&m, TM_DATA) & EFL_NT, "NT in the called task");
        cr_assert_eq(env->regs[R_EBX], pm_ld32(&m, TM_DATA));
        cr_assert_eq(pm_ld16(&m, PM_TSS2), 0x28, "the link");
        cr_assert_eq(gdt_type(0x30), 0x9, "IRET freed the called TSS");
        cr_assert_eq(gdt_type(0x28), 0xb, "the caller stayed busy");
        cr_assert(!(tm_rflags(&m) & EFL_NT), "the caller's NT");
        cr_assert(!(pm_ld32(&m, PM_TSS2 + 0x24) & EFL_NT),
                  "IRET saved the task's EFLAGS without NT");
        cr_assert_eq(pm_ld32(&m, PM_TSS2 + 0x20), H_TASK + 9,
                     "the task resumes after its IRET");
        tm_free(&m);
    }
}

Test(task, exception_through_task_gate_pushes_error_code)
{
    /* mov ax, 0x800; mov ds, ax: #GP(0x800) */
    static const uint8_t code[] = {0x66, 0xb8, 0, 8, 0x8e, 0xd8};
    static const uint8_t hlt = 0xf4;
    for (size_t b = 0; b < 2; b++) {
        pm32_setup(&m, b, 0);
        task_b();
        m.env->gdt.limit = 0x7f; /* 0x800 is beyond it */
        pm_idt(&m, 13, pm_gate(0x5, 0x30, 0, 0, 0));
        pm32_code(&m, code, sizeof(code));
        tm_code_put(&m, H_TASK - TM_CODE, &hlt, 1);
        CpuX86 *env = m.env;
        cr_assert_eq(pm32_run(&m, NULL, 0), 0);
        cr_assert_eq(env->tr.selector, 0x30);
        cr_assert_eq(env->rip, H_TASK + 1);
        cr_assert_eq(env->regs[R_ESP], TASK_ESP - 4);
        cr_assert_eq(pm_ld32(&m, TASK_ESP - 4), 0x800, "the error code");
        cr_assert_eq(pm_ld32(&m, PM_TSS + 0x20), TM_CODE + 4, "faulting EIP");
        cr_assert(tm_rflags(&m) & EFL_NT);
        cr_assert_eq(pm_ld16(&m, PM_TSS2), 0x28);
        tm_free(&m);
    }
}

Test(task, t_bit_raises_db_in_the_new_task)
{
    static const uint8_t code[] = {0xea, 0, 0, 0, 0, 0x30, 0};
    for (size_t b = 0; b < 2; b++) {
        pm32_setup(&m, b, 0);
        task_b();
        pm_st16(&m, PM_TSS2 + 0x64, 1);
        cr_assert_eq(pm32_raw(&m, code, sizeof(code)), 1);
        cr_assert_eq(m.env->rip, H_TASK, "a trap before the first insn");
        cr_assert(m.env->dr[6] & (1u << 15), "DR6.BT");
        cr_assert_eq(m.env->tr.selector, 0x30);
        tm_free(&m);
    }
}

Test(task, sixteen_bit_tss)
{
    static const uint8_t code[] = {0xea, 0, 0, 0, 0, 0x40, 0};
    for (size_t b = 0; b < 2; b++) {
        pm32_setup(&m, b, 0);
        memset(m.mem + PM_TSS2, 0, 0x2c);
        pm_st16(&m, PM_TSS2 + 0x0e, 0xa00); /* IP, in a CS based at TM_CODE */
        pm_st16(&m, PM_TSS2 + 0x10, 0x2);
        for (int i = 0; i < 8; i++) {
            pm_st16(&m, PM_TSS2 + 0x12 + 2 * i, (uint16_t)(0x200 + i));
        }
        static const uint16_t segs[] = {0x10, 0x48, 0x10, 0x10};
        for (int i = 0; i < 4; i++) {
            pm_st16(&m, PM_TSS2 + 0x22 + 2 * i, segs[i]);
        }
        pm_gdt(&m, 0x40, pm_seg((uint32_t)PM_TSS2, 0x2b, 0x81, false));
        pm_gdt(&m, 0x48, pm_seg((uint32_t)TM_CODE, 0xffff, 0x9a, false));
        m.env->regs[R_EAX] = 0xabcd0000u;
        cr_assert_eq(pm32_raw(&m, code, sizeof(code)), 3);
        cr_assert_eq(m.env->rip, 0xa01);
        cr_assert_eq(m.env->regs[R_EAX], 0xabcd0200u, "AX only");
        cr_assert_eq(m.env->regs[R_EDI], 0x207);
        cr_assert_eq(gdt_type(0x40), 0x3, "16-bit TSS busy");
        cr_assert_eq(m.env->segs[R_CS].selector, 0x48);
        tm_free(&m);
    }
}

Test(task, checks_and_their_error_codes)
{
    static const struct {
        uint64_t desc; /* at GDT 0x30 (0: the standard task_b) */
        uint16_t cs;   /* the new task's CS (0: 0x08) */
        uint16_t sel;  /* JMP target */
        int vector;
        uint32_t err;
        bool switched; /* the fault is in the new task */
    } cases[] = {
        {0, 0, 0x28, 13, 0x28, false}, /* the busy current TSS */
        {0x0000890630000020ull, 0, 0x30, 10, 0x30, false}, /* limit 0x20 */
        {0x0000090630000067ull, 0, 0x30, 11, 0x30, false}, /* not present */
        {0, 0x10, 0x30, 10, 0x10, true}, /* the new CS is data */
        {0, 0x60, 0x30, 11, 0x60, true}, /* the new CS not present */
        {0, 0, 0x50, 13, 0x28, false},   /* a task gate to a busy TSS */
    };
    static const uint8_t code[] = {0xea, 0, 0, 0, 0, 0x30, 0};
    for (size_t b = 0; b < 2; b++) {
        for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
            pm32_setup(&m, b, 0);
            task_b();
            pm_gdt(&m, 0x50, pm_gate(0x5, 0x28, 0, 0, 0));
            pm_gdt(&m, 0x60, 0x00cf1a000000ffffull);
            if (cases[i].desc) {
                pm_gdt(&m, 0x30, cases[i].desc);
            }
            if (cases[i].cs) {
                pm_st16(&m, PM_TSS2 + 0x4c, cases[i].cs);
            }
            uint8_t c[sizeof(code)];
            memcpy(c, code, sizeof(c));
            c[5] = (uint8_t)cases[i].sel;
            int v = pm32_raw(&m, c, sizeof(c));
            cr_assert_eq(v, cases[i].vector, "case %zu: vector %d", i, v);
            cr_assert_eq(m.env->error_code, cases[i].err, "case %zu: 0x%x", i,
                         m.env->error_code);
            cr_assert_eq(m.env->tr.selector, cases[i].switched ? 0x30 : 0x28,
                         "case %zu", i);
            cr_assert_eq(m.env->rip, cases[i].switched ? H_TASK : TM_CODE,
                         "case %zu", i);
            tm_free(&m);
        }
    }
}

Test(task, ia32e_mode_has_no_task_switches)
{
    /* jmp far [TM_DATA] (m16:32) to a TSS descriptor */
    static const uint8_t code[] = {0xff, 0x2c, 0x25, 0, 0, 4, 0};
    for (size_t b = 0; b < 2; b++) {
        tm_new(&m, tm_backends[b], 0, 0);
        memset(m.mem + PM_GDT, 0, 0x100);
        pm_gdt(&m, 0x30, pm_seg((uint32_t)PM_TSS2, 0x67, 0x89, false));
        pm_gdt(&m, 0x38, pm_gate(0x5, 0x30, 0, 0, 0));
        m.env->gdt.base = PM_GDT;
        m.env->gdt.limit = 0xff;
        for (unsigned sel = 0x30; sel <= 0x38; sel += 8) {
            pm_st32(&m, TM_DATA, 0);
            pm_st16(&m, TM_DATA + 4, (uint16_t)sel);
            cr_assert_eq(tm_run(&m, code, sizeof(code)), 13);
            cr_assert_eq(m.env->error_code, sel);
        }
        tm_free(&m);
    }
}

Test(task, switch_into_a_v86_task)
{
    static const uint8_t code[] = {0xea, 0, 0, 0, 0, 0x30, 0};
    for (size_t b = 0; b < 2; b++) {
        pm32_setup(&m, b, 0);
        task_b();
        pm_st32(&m, PM_TSS2 + 0x20, 0xa00);
        pm_st32(&m, PM_TSS2 + 0x24, EFL_VM | 0x2);
        static const uint16_t segs[] = {0x2000, 0x1000, 0x7000,
                                        0x4000, 0x5000, 0x6000};
        for (int i = 0; i < 6; i++) {
            pm_st16(&m, PM_TSS2 + 0x48 + 4 * i, segs[i]);
        }
        cr_assert_eq(pm32_raw(&m, code, sizeof(code)), 3);
        CpuX86 *env = m.env;
        cr_assert(env->hflags & HF_VM);
        cr_assert_eq(cpu_cpl(env), 3);
        cr_assert_eq(env->rip, 0xa01);
        cr_assert_eq(env->segs[R_CS].base, 0x10000);
        cr_assert_eq(env->segs[R_DS].base, 0x40000);
        cr_assert_eq(env->segs[R_GS].base, 0x60000);
        cr_assert_eq(env->segs[R_SS].limit, 0xffff);
        tm_free(&m);
    }
}

/* a bad SS0 while delivering #UD from CPL 3: #TS(SS0 | EXT), taken here
 * through a task gate so that it can be seen */
Test(task, bad_ss0_in_delivery_is_ts_with_ext)
{
    static const uint8_t ud2[] = {0x0f, 0x0b};
    static const uint8_t hlt = 0xf4;
    for (size_t b = 0; b < 2; b++) {
        pm32_setup(&m, b, 3);
        task_b();
        pm_st32(&m, PM_TSS + 8, 0x20); /* SS0: DPL 3 data */
        pm_idt(&m, 10, pm_gate(0x5, 0x30, 0, 0, 0));
        pm32_code(&m, ud2, sizeof(ud2));
        tm_code_put(&m, H_TASK - TM_CODE, &hlt, 1);
        cr_assert_eq(pm32_run(&m, NULL, 0), 0);
        cr_assert_eq(m.env->tr.selector, 0x30);
        cr_assert_eq(pm_ld32(&m, TASK_ESP - 4), 0x21, "#TS(0x20 | EXT)");
        cr_assert_eq(pm_ld32(&m, PM_TSS + 0x20), TM_CODE, "at the ud2");
        tm_free(&m);
    }
}
