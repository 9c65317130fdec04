/*
 * MONITOR, MWAIT and PAUSE on both backends: #UD without the model's
 * MONITOR feature and above CPL 0, #GP(0) for reserved ECX extensions,
 * MONITOR's address through DS or a segment override with a load's #PF,
 * MWAIT halting after an armed MONITOR (not without one) and the wake
 * rules: an IRQ the CPU can take, or with ECX[0] any IRQ even under
 * IF = 0 (not delivered then); PAUSE is a no-op in a spin loop.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cpu/cpu_features.h"
#include "cpu/exec.h"
#include "tiny_machine.h"

#define WITH_MONITOR (CPU_FEATURES_MAX | CPU_FEAT(MONITOR))
#define MONITOR 0x0f, 0x01, 0xc8
#define MWAIT 0x0f, 0x01, 0xc9

static TinyMachine m;

#define RUN(...)                                                               \
    ({                                                                         \
        static const uint8_t c_[] = {__VA_ARGS__};                             \
        tm_run(&m, c_, sizeof(c_));                                            \
    })

static void setup(size_t b, unsigned cpl, uint64_t features)
{
    tm_new(&m, tm_backends[b], cpl, features);
    m.env->regs[R_EAX] = TM_DATA;
}

Test(mwait, ud_without_the_monitor_feature)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b, 0, CPU_FEATURES_MAX);
        cr_assert_eq(RUN(MONITOR), 6);
        cr_assert_eq(RUN(MWAIT), 6);
        cr_assert(!m.env->monitor_armed);
        tm_free(&m);
    }
}

Test(mwait, ud_above_cpl_0)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b, 3, WITH_MONITOR);
        cr_assert_eq(RUN(MONITOR), 6);
        cr_assert_eq(RUN(MWAIT), 6);
        tm_free(&m);
    }
}

Test(mwait, monitor_arms_the_address_and_checks_ecx)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b, 0, WITH_MONITOR);
        m.env->regs[R_ECX] = 1;
        cr_assert_eq(RUN(MONITOR), 13, "ECX != 0: no extension exists");
        cr_assert_eq(m.env->error_code, 0);
        cr_assert(!m.env->monitor_armed);
        m.env->regs[R_ECX] = 0;
        m.env->regs[R_EAX] = TM_DATA + 0x44;
        cr_assert_eq(RUN(MONITOR), 3);
        cr_assert(m.env->monitor_armed);
        cr_assert_eq(m.env->monitor_addr, TM_DATA + 0x44);
        tm_free(&m);
    }
}

Test(mwait, monitor_goes_through_the_segment_and_the_page_tables)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b, 0, WITH_MONITOR);
        m.env->segs[R_FS].base = 0x1000;
        cr_assert_eq(RUN(0x64, MONITOR), 3); /* fs: monitor */
        cr_assert_eq(m.env->monitor_addr, TM_DATA + 0x1000);
        m.env->regs[R_EAX] = 0xffffffff00000000ull | TM_DATA;
        cr_assert_eq(RUN(0x67, MONITOR), 3, "32-bit address: EAX");
        cr_assert_eq(m.env->monitor_addr, TM_DATA);
        m.env->monitor_armed = false;
        m.env->regs[R_EAX] = TM_HOLE + 8;
        cr_assert_eq(RUN(MONITOR), 14, "a byte load's #PF");
        cr_assert_eq(m.env->exception_cr2, TM_HOLE + 8);
        cr_assert_eq(m.env->error_code, 0, "read, supervisor, not present");
        cr_assert(!m.env->monitor_armed);
        tm_free(&m);
    }
}

Test(mwait, mwait_checks_ecx_and_needs_an_armed_monitor)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b, 0, WITH_MONITOR);
        m.env->regs[R_ECX] = 2;
        cr_assert_eq(RUN(MWAIT), 13, "ECX[31:1] reserved");
        m.env->regs[R_ECX] = 0;
        cr_assert_eq(RUN(MWAIT), 3, "not armed: goes on");
        cr_assert(!m.env->halted);
        tm_free(&m);
    }
}

/* monitor; mwait; int3 from TM_CODE: cpu_exec leaves halted */
static void monitor_mwait(uint32_t ecx)
{
    static const uint8_t code[] = {MONITOR, 0x89, 0xd9, MWAIT, 0xcc};
    tm_code_clear(&m);
    tm_code_put(&m, 0, code, sizeof(code));
    m.env->regs[R_ECX] = 0;
    m.env->regs[R_EBX] = ecx; /* mov ecx, ebx after MONITOR */
    cr_assert_eq(tm_run_until_halt(&m, TM_CODE), 0);
    cr_assert(m.env->halted);
    cr_assert(!m.env->monitor_armed, "MWAIT disarms");
}

Test(mwait, mwait_halts_until_an_interrupt_it_can_take)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b, 0, WITH_MONITOR);
        monitor_mwait(0);
        cr_assert(!cpu_halt_wake(m.env), "no event");
        cpu_event_raise(m.env, CPU_EV_IRQ);
        cr_assert(!cpu_halt_wake(m.env), "IF = 0 and no ECX[0]");
        cr_assert(m.env->halted);
        m.env->eflags |= EFL_IF;
        cpu_update_hflags(m.env);
        cr_assert(cpu_halt_wake(m.env), "IF = 1");
        cr_assert(!m.env->halted);
        tm_free(&m);
    }
}

Test(mwait, ecx0_wakes_on_an_interrupt_with_if_clear)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b, 0, WITH_MONITOR);
        monitor_mwait(1);
        cr_assert(m.env->mwait_irq_break);
        cr_assert(!cpu_halt_wake(m.env), "no event");
        cpu_event_raise(m.env, CPU_EV_IRQ);
        cr_assert(cpu_halt_wake(m.env));
        cr_assert(!m.env->halted);
        cr_assert(!m.env->mwait_irq_break);
        /* it goes on after MWAIT; the IRQ stays pending, not delivered */
        cr_assert_eq(tm_run_cpu(m.env, m.env->rip), 3);
        cr_assert(cpu_events(m.env) & CPU_EV_IRQ);
        cr_assert_eq(m.env->eflags & EFL_IF, 0);
        tm_free(&m);
    }
}

Test(mwait, pause_is_a_no_op_in_a_spin_loop)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b, 0, 0);
        m.env->regs[R_ECX] = 5;
        /* l: pause; dec ecx; jnz l; int3 */
        cr_assert_eq(RUN(0xf3, 0x90, 0xff, 0xc9, 0x75, 0xfa), 3);
        cr_assert_eq(m.env->regs[R_ECX], 0);
        cr_assert_eq(m.env->rip, TM_CODE + 7);
        tm_free(&m);
    }
}
