/*
 * NMI, INIT and SIPI (cpu_service_events), both backends: an NMI goes
 * through vector 2 and blocks further NMIs until IRET, wakes a halted CPU;
 * INIT gives the INIT state (MSRs and CR0.CD/NW kept), an AP then waits
 * for a SIPI, which starts it in real mode at vector << 12; a SIPI in any
 * other state is dropped.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cpu/exec.h"
#include "tiny_machine.h"

#define GDT 0x60000ull
#define IDT 0x62000ull
#define H_NMI (TM_CODE + 0x800) /* iretq */

static TinyMachine m;

static void setup(size_t b)
{
    static const uint64_t gdt[] = {0, 0x00af9a000000ffffull};
    tm_new(&m, tm_backends[b], 0, 0);
    memcpy(m.mem + GDT, gdt, sizeof(gdt));
    m.env->gdt.base = GDT;
    m.env->gdt.limit = sizeof(gdt) - 1;
    memset(m.mem + IDT, 0, 0x1000);
    uint64_t lo = (H_NMI & 0xffff) | (0x08ull << 16) | (0xeull << 40) |
                  (1ull << 47) | (((H_NMI >> 16) & 0xffff) << 48);
    memcpy(m.mem + IDT + 16 * 2, &lo, 8);
    m.env->idt.base = IDT;
    m.env->idt.limit = 0xfff;
    m.env->deliver = true;
    m.env->segs[R_CS].selector = 0x08;
    cpu_seg_set(m.env, R_SS, 0, 0, 0, SEG_AR_UNUSABLE);
    static const uint8_t iretq[] = {0x48, 0xcf};
    tm_code_clear(&m);
    tm_code_put(&m, 0x800, iretq, sizeof(iretq));
    static const uint8_t hlt = 0xf4;
    tm_code_put(&m, 0, &hlt, 1);
}

Test(events, nmi_blocks_nmis_until_iret)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        m.env->rip = TM_CODE;
        uint64_t rsp = m.env->regs[R_ESP];
        cpu_event_raise(m.env, CPU_EV_NMI);
        cr_assert(cpu_service_events(m.env));
        cr_assert_eq(m.env->rip, H_NMI, "through vector 2");
        cr_assert(m.env->nmi_blocked);
        uint64_t ret;
        memcpy(&ret, m.mem + m.env->regs[R_ESP], 8);
        cr_assert_eq(ret, TM_CODE);
        cr_assert_eq(cpu_events(m.env) & CPU_EV_NMI, 0);
        /* a second NMI waits, and does not make the CPU leave its code */
        cpu_event_raise(m.env, CPU_EV_NMI);
        cr_assert(cpu_service_events(m.env));
        cr_assert_eq(m.env->rip, H_NMI);
        cr_assert(cpu_events(m.env) & CPU_EV_NMI, "still pending");
        cr_assert_eq(m.env->event_mask & CPU_EV_NMI, 0);
        cr_assert_geq(m.env->exit_request, 0, "no exit request");
        /* the handler's IRETQ returns and unblocks: the CPU leaves at the
           next block boundary for the waiting NMI */
        m.env->rip = H_NMI;
        cr_assert_eq(cpu_exec(m.env), CPU_EXIT_REQUEST);
        cr_assert_eq(m.env->rip, TM_CODE);
        cr_assert(!m.env->nmi_blocked);
        cr_assert_eq(m.env->regs[R_ESP], rsp);
        cr_assert(m.env->event_mask & CPU_EV_NMI);
        m.env->halted = true;
        cr_assert(cpu_service_events(m.env));
        cr_assert_eq(m.env->rip, H_NMI, "the waiting NMI is taken now");
        cr_assert(!m.env->halted, "and woke the halted CPU");
        tm_free(&m);
    }
}

Test(events, init_then_sipi_starts_an_ap_in_real_mode)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        CpuX86 *env = m.env;
        env->bsp = false;
        env->regs[R_EBX] = 0x1234;
        env->msr.star = 0x0023001000000000ull;
        env->cr[0] |= CR0_CD;
        env->fpu.mxcsr = 0x1f00;
        env->sipi_vector = 0x9a;
        env->rip = TM_CODE;
        cpu_event_raise(env, CPU_EV_SIPI); /* not waiting: dropped */
        cr_assert(cpu_service_events(env));
        cr_assert_eq(env->rip, TM_CODE, "nothing changed");
        cr_assert(env->hflags & HF_CS64);
        cr_assert_eq(cpu_events(env) & CPU_EV_SIPI, 0);
        cpu_event_raise(env, CPU_EV_INIT);
        cr_assert(cpu_service_events(env));
        cr_assert(env->wait_sipi);
        cr_assert_eq(env->regs[R_EBX], 0);
        cr_assert_eq(env->rip, 0xfff0);
        cr_assert_eq(env->segs[R_CS].base, 0xffff0000ull);
        cr_assert_eq(env->msr.star, 0x0023001000000000ull, "MSRs kept");
        cr_assert(env->cr[0] & CR0_CD, "CR0.CD kept");
        cr_assert_eq(env->fpu.mxcsr, 0x1f00, "SSE state kept");
        cr_assert_eq(env->cr[0] & CR0_PE, 0);
        cr_assert_eq(env->efer, 0);
        /* an NMI waits in wait-for-SIPI */
        cpu_event_raise(env, CPU_EV_NMI);
        cr_assert(cpu_service_events(env));
        cr_assert(env->wait_sipi);
        cr_assert_eq(env->rip, 0xfff0);
        cr_assert(cpu_events(env) & CPU_EV_NMI);
        cpu_event_clear(env, CPU_EV_NMI);
        cpu_event_raise(env, CPU_EV_SIPI);
        cr_assert(cpu_service_events(env));
        cr_assert(!env->wait_sipi);
        cr_assert_eq(env->segs[R_CS].selector, 0x9a00);
        cr_assert_eq(env->segs[R_CS].base, 0x9a000);
        cr_assert_eq(env->rip, 0);
        tm_free(&m);
    }
}

Test(events, init_restarts_the_bsp_at_the_reset_vector)
{
    setup(0);
    m.env->bsp = true;
    cpu_event_raise(m.env, CPU_EV_INIT);
    cr_assert(cpu_service_events(m.env));
    cr_assert(!m.env->wait_sipi);
    cr_assert_eq(m.env->rip, 0xfff0);
    cr_assert_eq(m.env->segs[R_CS].selector, 0xf000);
    tm_free(&m);
}
