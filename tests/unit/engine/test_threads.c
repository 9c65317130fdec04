/*
 * The concurrency primitives with vCPUs on threads of their own (each in
 * its own translator context, sharing memory): run-on-vCPU work runs on
 * the vCPU's thread at a block boundary without stopping it, an exclusive
 * section stops every other vCPU while it is held, and a LOCKed RMW on an
 * MMIO page (which the host cannot do in one instruction) is atomic
 * against a second vCPU doing the same.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "cpu/exec.h"
#include "tiny_machine.h"

#define MMIO_VA TM_HOLE /* mapped below to the counter device */
#define MMIO_PA 0x40000000ull
#define CODE1 (TM_CODE + 0x1000) /* the second vCPU's code page */

static TinyMachine m;
static CpuX86 *cpu[2];
static TcgCtx *ctx1;

typedef struct Runner {
    CpuX86 *env;
    pthread_t thread;
    int vector; /* the exception it stopped at, or -1 (a request) */
} Runner;

static void *runner(void *arg)
{
    Runner *r = arg;
    CpuExitReason why = cpu_exec(r->env);
    r->vector = why == CPU_EXIT_EXCEPTION ? r->env->exception_index : -1;
    return NULL;
}

static void start(Runner *r, CpuX86 *env, uint64_t rip)
{
    r->env = env;
    env->rip = rip;
    pthread_create(&r->thread, NULL, runner, r);
}

static uint32_t counter(unsigned i)
{
    return __atomic_load_n((uint32_t *)(m.mem + TM_DATA + 0x100 * i),
                           __ATOMIC_SEQ_CST);
}

/* L: inc dword [rbx]; jmp L */
static const uint8_t spin_inc[] = {0xff, 0x03, 0xeb, 0xfc};

static void setup2_on(TcgBackendKind backend)
{
    tm_new(&m, backend, 0, 0);
    ctx1 = cpu_tcg_new(backend, 1u << 20);
    cpu[0] = m.env;
    cpu[1] = tm_new_cpu_in(&m, 0x1000, ctx1);
    memset(m.mem + TM_CODE, 0xcc, 0x2000);
    for (unsigned i = 0; i < 2; i++) {
        cpu[i]->regs[R_EBX] = TM_DATA + 0x100 * i;
        memset(m.mem + TM_DATA + 0x100 * i, 0, 4);
    }
}

static void setup2(void)
{
    setup2_on(TCG_BACKEND_JIT);
}

static void teardown2(void)
{
    tm_free_cpu(cpu[1]);
    tcg_free(ctx1);
    tm_free(&m);
}

static void wait_running(unsigned i)
{
    for (int n = 0; n < 5000 && counter(i) == 0; n++) {
        usleep(1000);
    }
    cr_assert_gt(counter(i), 0, "vCPU %u never ran", i);
}

static pthread_t work_thread;
static volatile uint32_t work_seen;

static void note_work(CpuX86 *env, void *data)
{
    (void)data;
    work_thread = pthread_self();
    work_seen = counter(1) + 1;
    tlb_flush(env); /* its own TLB, on its own thread */
}

Test(threads, work_runs_on_the_vcpus_thread_without_stopping_it)
{
    setup2();
    memcpy(m.mem + CODE1, spin_inc, sizeof(spin_inc));
    Runner r;
    start(&r, cpu[1], CODE1);
    wait_running(1);
    cpu_run_on(cpu[1], note_work, NULL);
    for (int n = 0; n < 5000 && !work_seen; n++) {
        usleep(1000);
    }
    cr_assert(work_seen, "the work never ran");
    cr_assert(pthread_equal(work_thread, r.thread), "ran on another thread");
    uint32_t c = counter(1);
    for (int n = 0; n < 5000 && counter(1) == c; n++) {
        usleep(1000);
    }
    cr_assert_gt(counter(1), c, "the guest stopped after the work");
    c = counter(1);
    cpu_event_raise(cpu[1], CPU_EV_STOP);
    pthread_join(r.thread, NULL);
    cr_assert_eq(r.vector, -1, "cpu_exec returned once, for the stop");
    /* stopped, its thread still owns it: queued until it runs again, here
     * on this thread, which then runs the queue before any guest code */
    work_seen = 0;
    cpu_run_on(cpu[1], note_work, NULL);
    cr_assert(!work_seen);
    cpu_event_clear(cpu[1], CPU_EV_STOP);
    cpu_event_raise(cpu[1], CPU_EV_STOP);
    c = counter(1);
    cr_assert_eq(cpu_exec(cpu[1]), CPU_EXIT_REQUEST);
    cr_assert(work_seen);
    cr_assert(pthread_equal(work_thread, pthread_self()));
    cr_assert_eq(counter(1), c, "the work ran before any guest code");
    /* owned by this thread now: at once */
    work_seen = 0;
    cpu_run_on(cpu[1], note_work, NULL);
    cr_assert(work_seen);
    teardown2();
}

Test(threads, an_exclusive_section_stops_every_other_vcpu)
{
    setup2();
    memcpy(m.mem + TM_CODE, spin_inc, sizeof(spin_inc));
    memcpy(m.mem + CODE1, spin_inc, sizeof(spin_inc));
    Runner r[2];
    start(&r[0], cpu[0], TM_CODE);
    start(&r[1], cpu[1], CODE1);
    wait_running(0);
    wait_running(1);
    for (int round = 0; round < 3; round++) {
        cpu_exclusive_start();
        uint32_t c0 = counter(0), c1 = counter(1);
        usleep(20000);
        cr_assert_eq(counter(0), c0, "vCPU 0 ran in the section");
        cr_assert_eq(counter(1), c1, "vCPU 1 ran in the section");
        cpu_exclusive_end();
        for (int n = 0; n < 5000 && (counter(0) == c0 || counter(1) == c1);
             n++) {
            usleep(1000);
        }
        cr_assert(counter(0) > c0 && counter(1) > c1, "not resumed");
    }
    cpu_event_raise(cpu[0], CPU_EV_STOP);
    cpu_event_raise(cpu[1], CPU_EV_STOP);
    pthread_join(r[0].thread, NULL);
    pthread_join(r[1].thread, NULL);
    teardown2();
}

/* a 32-bit register whose read and write are separate, slow callbacks */
static uint32_t dev_value;

static uint64_t dev_read(void *opaque, uint64_t addr, unsigned size)
{
    (void)opaque, (void)addr, (void)size;
    uint32_t v = __atomic_load_n(&dev_value, __ATOMIC_SEQ_CST);
    for (volatile int i = 0; i < 200; i++) { /* widen the window */
    }
    return v;
}

static void dev_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    (void)opaque, (void)addr, (void)size;
    __atomic_store_n(&dev_value, (uint32_t)val, __ATOMIC_SEQ_CST);
}

static const MemOps dev_ops = {
    .read = dev_read,
    .write = dev_write,
    .valid = {.min = 4, .max = 4},
    .impl = {.min = 4, .max = 4},
};

#define ADDS 20000

Test(threads, locked_rmw_on_mmio_is_atomic_against_a_second_vcpu)
{
    for (size_t b = 0; b < 2; b++) {
        setup2_on(tm_backends[b]);
        MemRegion *dev = mr_new_io("counter", 0x1000, &dev_ops, NULL);
        mr_add_subregion(m.root, MMIO_PA, dev, 0);
        uint64_t pte = MMIO_PA | 3;
        memcpy(m.mem + 0x4000 + 8 * (MMIO_VA >> 12), &pte, 8);
        /* mov ecx, ADDS; L: lock add dword [rbx], 1; dec ecx; jnz L; int3 */
        static const uint8_t code[] = {0xb9, ADDS & 0xff, ADDS >> 8, 0,    0,
                                       0xf0, 0x83,        0x03,      0x01, 0xff,
                                       0xc9, 0x75,        0xf8};
        memcpy(m.mem + TM_CODE, code, sizeof(code));
        memcpy(m.mem + CODE1, code, sizeof(code));
        dev_value = 0;
        Runner r[2];
        for (unsigned i = 0; i < 2; i++) {
            cpu[i]->regs[R_EBX] = MMIO_VA;
            tlb_flush(cpu[i]);
        }
        start(&r[0], cpu[0], TM_CODE);
        start(&r[1], cpu[1], CODE1);
        pthread_join(r[0].thread, NULL);
        pthread_join(r[1].thread, NULL);
        for (unsigned i = 0; i < 2; i++) {
            cr_assert_eq(r[i].vector, 3, "vCPU %u stopped at %d, rip 0x%llx", i,
                         r[i].vector, (unsigned long long)cpu[i]->rip);
        }
        cr_assert_eq(dev_value, 2 * ADDS, "backend %zu: %u of %u", b, dev_value,
                     2 * ADDS);
        teardown2();
    }
}

/*
 * A device writing translated code from another thread (DMA): the
 * invalidation is queued to the vCPU and done by its own thread at a block
 * boundary; the changed block then runs its new bytes.
 */
Test(threads, dma_into_code_is_invalidated_by_the_vcpus_thread)
{
    setup2();
    static const uint8_t b_code[] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xcc};
    memcpy(m.mem + CODE1, spin_inc, sizeof(spin_inc));
    memcpy(m.mem + CODE1 + 0x400, b_code, sizeof(b_code));
    cr_assert_eq(tm_run_cpu(cpu[1], CODE1 + 0x400), 3); /* B translated */
    cr_assert_eq(cpu[1]->regs[R_EAX], 1);
    uint64_t inval = tcg_stats(ctx1)->invalidations;
    Runner r;
    start(&r, cpu[1], CODE1);
    wait_running(1);
    uint8_t imm = 0x77;
    cr_assert_eq(as_write(m.as, CODE1 + 0x401, &imm, 1, MEMATTRS_CPU),
                 MEMTX_OK);
    for (int n = 0; n < 5000 && tcg_stats(ctx1)->invalidations == inval; n++) {
        usleep(1000);
    }
    cr_assert_gt(tcg_stats(ctx1)->invalidations, inval, "never invalidated");
    cpu_event_raise(cpu[1], CPU_EV_STOP);
    pthread_join(r.thread, NULL);
    cpu_event_clear(cpu[1], CPU_EV_STOP);
    cr_assert_eq(tm_run_cpu(cpu[1], CODE1 + 0x400), 3);
    cr_assert_eq(cpu[1]->regs[R_EAX], 0x77);
    teardown2();
}
