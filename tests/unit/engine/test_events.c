/*
 * Pending events beside the exit-request word (cpu/exec.h): a raised event
 * stops a running guest at the next block entry, a masked one does not,
 * taking some leaves the others in force, and no raise is ever lost
 * between the vCPU clearing the word and looking at the bits.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "cpu/exec.h"
#include "tiny_machine.h"

static TinyMachine m;
static const uint8_t spin[] = {0xeb, 0xfe}; /* jmp . (chained to itself) */
static const uint8_t mov_int3[] = {0xb8, 7, 0, 0, 0}; /* mov eax, 7; int3 */

static void load(const uint8_t *code, size_t len)
{
    memset(m.mem + TM_CODE, 0xcc, 0x1000);
    memcpy(m.mem + TM_CODE, code, len);
    m.env->rip = TM_CODE;
}

static void *raise_later(void *arg)
{
    usleep(20000);
    cpu_event_raise(m.env, (uint32_t)(uintptr_t)arg);
    return NULL;
}

Test(events, an_event_from_another_thread_stops_a_spinning_guest)
{
    for (size_t b = 0; b < 2; b++) {
        tm_new(&m, tm_backends[b], 0, 0);
        load(spin, sizeof(spin));
        pthread_t t;
        pthread_create(&t, NULL, raise_later, (void *)(uintptr_t)CPU_EV_NMI);
        cr_assert_eq(cpu_exec(m.env), CPU_EXIT_REQUEST);
        pthread_join(t, NULL);
        cr_assert_eq(cpu_events(m.env), CPU_EV_NMI);
        cr_assert_eq(m.env->rip, TM_CODE, "stopped at a block entry");
        /* not taken yet: the vCPU leaves again at once */
        cr_assert_eq(cpu_exec(m.env), CPU_EXIT_REQUEST);
        cpu_event_clear(m.env, CPU_EV_NMI);
        cr_assert_eq(m.env->exit_request, 0);
        tm_free(&m);
    }
}

/* an IRQ under IF = 0 stays pending and does not stop the guest; setting
 * IF (cpu_update_hflags re-derives the mask) lets it in before any code */
Test(events, an_irq_waits_for_if)
{
    for (size_t b = 0; b < 2; b++) {
        tm_new(&m, tm_backends[b], 0, 0);
        cr_assert(!(m.env->eflags & EFL_IF));
        cpu_event_raise(m.env, CPU_EV_IRQ);
        load(mov_int3, sizeof(mov_int3));
        cr_assert_eq(cpu_exec(m.env), CPU_EXIT_EXCEPTION);
        cr_assert_eq(m.env->exception_index, 3);
        cr_assert_eq(m.env->regs[R_EAX], 7, "the code ran");
        cr_assert_eq(cpu_events(m.env), CPU_EV_IRQ);
        /* STI: the mask opens and the pending IRQ is seen before any code */
        m.env->eflags |= EFL_IF;
        cpu_update_hflags(m.env);
        load(mov_int3, sizeof(mov_int3));
        m.env->regs[R_EAX] = 0;
        cr_assert_eq(cpu_exec(m.env), CPU_EXIT_REQUEST);
        cr_assert_eq(m.env->regs[R_EAX], 0);
        /* in the STI shadow it waits one instruction */
        m.env->hflags |= HF_INHIBIT_IRQ;
        cpu_update_hflags(m.env);
        cr_assert(!cpu_irq_allowed(m.env));
        tm_free(&m);
    }
}

Test(events, taking_one_event_leaves_the_others)
{
    tm_new(&m, TCG_BACKEND_JIT, 0, 0);
    load(mov_int3, sizeof(mov_int3));
    cpu_event_raise(m.env, CPU_EV_IRQ | CPU_EV_NMI);
    cr_assert_eq(cpu_exec(m.env), CPU_EXIT_REQUEST);
    cpu_event_clear(m.env, CPU_EV_IRQ);
    cr_assert_eq(cpu_exec(m.env), CPU_EXIT_REQUEST, "the NMI is still due");
    cr_assert_eq(cpu_events(m.env), CPU_EV_NMI);
    cpu_event_clear(m.env, CPU_EV_NMI);
    cr_assert_eq(cpu_exec(m.env), CPU_EXIT_EXCEPTION);
    cr_assert_eq(m.env->regs[R_EAX], 7);
    tm_free(&m);
}

/*
 * A raiser thread and the vCPU, 2000 rounds: the raiser raises CPU_EV_NMI
 * as soon as the vCPU has cleared the last one, so its raise races the
 * vCPU's re-derivation of the exit-request word; the vCPU spins in guest
 * code and takes each. A raise lost there would leave the guest spinning
 * with the bit set: the alarm then raises CPU_EV_STOP and the count comes
 * up short.
 */
#define ROUNDS 2000
static volatile int taken;

static void *raiser(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        while (cpu_events(m.env) & CPU_EV_NMI) {
        }
        cpu_event_raise(m.env, CPU_EV_NMI);
    }
    return NULL;
}

static void on_alarm(int sig)
{
    (void)sig;
    cpu_event_raise(m.env, CPU_EV_STOP);
}

Test(events, no_raise_is_lost_under_a_concurrent_clear)
{
    tm_new(&m, TCG_BACKEND_JIT, 0, 0);
    load(spin, sizeof(spin));
    signal(SIGALRM, on_alarm);
    struct itimerval it = {.it_value = {.tv_sec = 20}};
    setitimer(ITIMER_REAL, &it, NULL);
    taken = 0;
    pthread_t t;
    pthread_create(&t, NULL, raiser, NULL);
    while (taken < ROUNDS) {
        cr_assert_eq(cpu_exec(m.env), CPU_EXIT_REQUEST);
        uint32_t ev = cpu_events(m.env);
        if (ev & CPU_EV_STOP) {
            break;
        }
        if (ev & CPU_EV_NMI) {
            cpu_event_clear(m.env, CPU_EV_NMI);
            __atomic_add_fetch(&taken, 1, __ATOMIC_SEQ_CST);
        }
    }
    struct itimerval off = {0};
    setitimer(ITIMER_REAL, &off, NULL);
    cr_assert_eq(taken, ROUNDS, "a raise was lost after %d", taken);
    pthread_join(t, NULL);
    tm_free(&m);
}
