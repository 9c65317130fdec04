/*
 * SYSCALL/SYSRET and SWAPGS in 64-bit mode, both backends: CPL 3 enters
 * the LSTAR handler at CPL 0 with RCX/R11 and FMASK applied, the handler
 * swaps GS, SYSRETQ returns to CPL 3 with STAR's selectors; #UD without
 * EFER.SCE, #GP for SYSRET/SWAPGS at CPL 3 and for a non-canonical RCX.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tiny_machine.h"

#define HANDLER (TM_CODE + 0x400)
#define STAR ((0x13ull << 48) | (0x08ull << 32)) /* user base 0x10|3 */

static TinyMachine m;

static void setup(size_t b)
{
    tm_new(&m, tm_backends[b], 3, 0);
    m.env->efer |= EFER_SCE;
    m.env->msr.star = STAR;
    m.env->msr.lstar = HANDLER;
    m.env->msr.sfmask = EFL_TF | EFL_IF | EFL_DF;
    m.env->msr.kernel_gs_base = 0x5000;
    m.env->segs[R_GS].base = 0x7000;
}

/*
 * user: mov eax, 3; syscall; mov ebx, eax; ud2
 * kernel: swapgs; add eax, 4; swapgs; sysretq
 */
Test(syscall, round_trip_through_the_kernel)
{
    static const uint8_t user[] = {0xb8, 3,    0,    0,    0,   0x0f,
                                   0x05, 0x89, 0xc3, 0x0f, 0x0b};
    static const uint8_t kernel[] = {0x0f, 0x01, 0xf8, 0x83, 0xc0, 0x04,
                                     0x0f, 0x01, 0xf8, 0x48, 0x0f, 0x07};
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        tm_code_clear(&m);
        tm_code_put(&m, 0, user, sizeof(user));
        tm_code_put(&m, 0x400, kernel, sizeof(kernel));
        m.env->eflags |= EFL_IF;
        cpu_update_hflags(m.env);
        cr_assert_eq(tm_run_cpu(m.env, TM_CODE), 6, "the ud2 after it");
        cr_assert_eq(m.env->regs[R_EBX], 7, "the kernel ran");
        cr_assert_eq(m.env->regs[R_ECX], TM_CODE + 7, "RCX = return RIP");
        cr_assert(m.env->regs[11] & EFL_IF, "R11 = the user's RFLAGS");
        cr_assert_eq(m.env->segs[R_CS].selector, 0x23, "STAR[63:48] + 16");
        cr_assert_eq(m.env->segs[R_SS].selector, 0x1b, "STAR[63:48] + 8");
        cr_assert_eq(cpu_cpl(m.env), 3);
        cr_assert(cpu_compute_eflags(m.env) & EFL_IF, "R11 restored");
        cr_assert_eq(m.env->segs[R_GS].base, 0x7000, "swapped twice");
        tm_free(&m);
    }
}

Test(syscall, the_faults)
{
    static const uint8_t syscall_[] = {0x0f, 0x05};
    static const uint8_t sysret[] = {0x48, 0x0f, 0x07};
    static const uint8_t swapgs[] = {0x0f, 0x01, 0xf8};
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        cr_assert_eq(tm_run(&m, sysret, sizeof(sysret)), 13, "CPL 3");
        cr_assert_eq(tm_run(&m, swapgs, sizeof(swapgs)), 13, "CPL 3");
        m.env->efer &= ~(uint64_t)EFER_SCE;
        cr_assert_eq(tm_run(&m, syscall_, sizeof(syscall_)), 6, "no SCE");
        cr_assert_eq(tm_run(&m, sysret, sizeof(sysret)), 6, "#UD first");
        tm_free(&m);
        tm_new(&m, tm_backends[b], 0, 0);
        m.env->efer |= EFER_SCE;
        m.env->regs[R_ECX] = 0x0000800000000000ull;
        cr_assert_eq(tm_run(&m, sysret, sizeof(sysret)), 13, "non-canonical");
        cr_assert_eq(m.env->rip, TM_CODE);
        tm_free(&m);
    }
}

/*
 * SYSENTER from CPL 3 to SYSENTER_EIP/ESP at CPL 0, and SYSEXIT (REX.W)
 * back to rDX/rCX with SYSENTER_CS + 32/40 | 3.
 */
Test(syscall, sysenter_and_sysexit)
{
    /* mov rcx, rsp; lea rdx, [rip + 2]; sysenter; ud2 */
    static const uint8_t user[] = {0x48, 0x89, 0xe1, 0x48, 0x8d, 0x15, 2,
                                   0,    0,    0,    0x0f, 0x34, 0x0f, 0x0b};
    /* mov eax, 11; rex.w sysexit */
    static const uint8_t kernel[] = {0xb8, 11, 0, 0, 0, 0x48, 0x0f, 0x35};
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        m.env->msr.sysenter_cs = 0x08;
        m.env->msr.sysenter_eip = HANDLER;
        m.env->msr.sysenter_esp = TM_KSTACK;
        tm_code_clear(&m);
        tm_code_put(&m, 0, user, sizeof(user));
        tm_code_put(&m, 0x400, kernel, sizeof(kernel));
        uint64_t rsp = m.env->regs[R_ESP];
        cr_assert_eq(tm_run_cpu(m.env, TM_CODE), 6, "the ud2 after it");
        cr_assert_eq(m.env->rip, TM_CODE + 12);
        cr_assert_eq(m.env->regs[R_EAX], 11, "the kernel ran");
        cr_assert_eq(m.env->regs[R_ESP], rsp);
        cr_assert_eq(m.env->segs[R_CS].selector, 0x2b);
        cr_assert_eq(m.env->segs[R_SS].selector, 0x33);
        cr_assert_eq(cpu_cpl(m.env), 3);
        static const uint8_t sysexit[] = {0x48, 0x0f, 0x35};
        cr_assert_eq(tm_run(&m, sysexit, sizeof(sysexit)), 13, "CPL 3");
        m.env->msr.sysenter_cs = 0;
        static const uint8_t sysenter[] = {0x0f, 0x34};
        cr_assert_eq(tm_run(&m, sysenter, sizeof(sysenter)), 13, "no CS");
        tm_free(&m);
    }
}
