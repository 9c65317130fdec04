/*
 * The vCPU thread (vcpu.h).
 */
#include "machine/vcpu.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/exec.h"
#include "mmu/tlb.h"
#include "util/log.h"

struct Vcpu {
    CpuX86 *env;
    TcgCtx *tcg;
    MainLoop *ml;
    PcMachine *pc;
    int intr;         /* the INTR line's level (atomic) */
    int64_t deadline; /* earliest timer when the machine lock was taken */
    pthread_t thread;
    bool started;
    volatile bool quit;
    /* a machine reset: the state to restart in, handed over by vcpu_reset */
    BootInfo reset_boot;
    bool reset_has_boot;
    bool reset_req;  /* atomic: reset_boot is ready */
    bool wait_reset; /* triple-faulted: asleep until the reset comes */
};

static int64_t vcpu_deadline(Vcpu *v)
{
    int64_t a = clock_deadline_ns(main_loop_virtual_clock(v->ml));
    int64_t b = clock_deadline_ns(main_loop_realtime_clock(v->ml));
    return a < b ? a : b;
}

/*
 * Device accesses under the machine lock. A device may arm a timer earlier
 * than any the main loop's poll waits for: then the poll is woken.
 */
static void vcpu_dev_lock(void *opaque, bool lock)
{
    Vcpu *v = opaque;
    if (lock) {
        main_loop_lock(v->ml);
        v->deadline = vcpu_deadline(v);
        return;
    }
    bool earlier = vcpu_deadline(v) < v->deadline;
    main_loop_unlock(v->ml);
    if (earlier) {
        main_loop_wake(v->ml);
    }
}

/* the PIC's INTR output (any thread): a rising level is CPU_EV_IRQ */
static void vcpu_intr(void *opaque, int n, int level)
{
    Vcpu *v = opaque;
    (void)n;
    __atomic_store_n(&v->intr, level, __ATOMIC_SEQ_CST);
    if (level) {
        cpu_event_raise(v->env, CPU_EV_IRQ);
        main_loop_vcpu_kick(v->ml);
    }
}

/*
 * An IRQ is pending and the CPU can take it: acknowledge it at the PIC
 * (its vector) and deliver it; a line still high raises the event again.
 */
static void vcpu_take_irq(Vcpu *v)
{
    CpuX86 *env = v->env;
    cpu_event_clear(env, CPU_EV_IRQ);
    if (!__atomic_load_n(&v->intr, __ATOMIC_SEQ_CST)) {
        return; /* lowered meanwhile */
    }
    main_loop_lock(v->ml);
    int vector = pc_intack(v->pc);
    main_loop_unlock(v->ml);
    if (vector >= 0 && !cpu_interrupt(env, vector)) {
        v->quit = true;
        main_loop_request_shutdown(v->ml, 1);
        log_host_error("the guest triple-faulted delivering IRQ vector 0x%x",
                       vector);
        return;
    }
    if (__atomic_load_n(&v->intr, __ATOMIC_SEQ_CST)) {
        cpu_event_raise(env, CPU_EV_IRQ);
    }
}

/* MainLoopKickFn: leave guest code soon */
static void vcpu_kick(void *opaque)
{
    Vcpu *v = opaque;
    cpu_event_raise(v->env, CPU_EV_STOP);
}

/* the TSC's time source: the virtual clock */
static int64_t vcpu_tsc_clock(void *opaque)
{
    Vcpu *v = opaque;
    return clock_ns(main_loop_virtual_clock(v->ml));
}

void vcpu_set_model(Vcpu *v, const CpuX86Model *m)
{
    cpu_model_apply(v->env, m);
}

Vcpu *vcpu_new(PcMachine *pc, MainLoop *ml, TcgBackendKind backend)
{
    Vcpu *v = xzalloc(sizeof(*v));
    v->ml = ml;
    v->pc = pc;
    v->env = cpu_x86_new(pc->sys_as);
    v->env->io_as = pc->io_as;
    v->env->dev_lock = vcpu_dev_lock;
    v->env->dev_lock_opaque = v;
    v->env->deliver = true;
    v->env->bsp = true; /* the only vCPU, for now */
    v->env->tsc_clock = vcpu_tsc_clock;
    v->env->tsc_clock_opaque = v;
    v->tcg = cpu_tcg_new(backend, 0);
    cpu_exec_attach(v->env, v->tcg);
    main_loop_set_kick(ml, vcpu_kick, v);
    pc_set_cpu_intr(pc, irq_line(vcpu_intr, v, 0));
    return v;
}

void vcpu_apply_boot(Vcpu *v, const BootInfo *bi)
{
    CpuX86 *env = v->env;
    const uint64_t regs[] = {bi->rax, bi->rcx, bi->rdx, bi->rbx,
                             bi->rsp, bi->rbp, bi->rsi, bi->rdi};
    for (unsigned i = 0; i < ARRAY_LEN(regs); i++) {
        if (i != R_ESP || bi->rsp) {
            env->regs[i] = regs[i];
        }
    }
    env->rip = bi->rip;
    for (int s = 0; s < CPU_NB_SEGS; s++) {
        const BootSegment *b = s == R_CS ? &bi->cs : &bi->ds;
        cpu_seg_set(env, s, b->selector, b->base, b->limit, b->attr);
    }
    env->gdt.base = bi->gdt_base;
    env->gdt.limit = bi->gdt_limit;
    env->cr[0] = bi->cr0;
    env->cr[3] = bi->cr3;
    env->cr[4] = bi->cr4;
    env->efer = bi->efer;
    cpu_load_eflags(env, bi->rflags, ~0ull);
    cpu_update_hflags(env);
    tlb_flush(env);
}

/*
 * A triple fault: the CPU enters shutdown and the machine resets, as
 * QEMU's does (with -no-reboot the main loop turns the reset into a
 * shutdown with status 0). The vCPU sleeps until vcpu_reset hands it the
 * state to restart in.
 */
static void vcpu_triple_fault(Vcpu *v)
{
    log_guest_error("cpu", "triple fault at rip 0x%llx: machine reset",
                    (unsigned long long)v->env->rip);
    v->wait_reset = true;
    main_loop_request_reset(v->ml);
}

/* the reset vcpu_reset asked for: RESET state, then the boot state */
static void vcpu_do_reset(Vcpu *v)
{
    CpuX86 *env = v->env;
    cpu_x86_reset(env);
    cpu_event_clear(env, CPU_EV_ALL & ~CPU_EV_WORK);
    if (v->reset_has_boot) {
        vcpu_apply_boot(v, &v->reset_boot);
    }
    v->wait_reset = false;
}

static void *vcpu_thread(void *arg)
{
    Vcpu *v = arg;
    CpuX86 *env = v->env;
    while (!v->quit) {
        if (__atomic_exchange_n(&v->reset_req, false, __ATOMIC_ACQ_REL)) {
            vcpu_do_reset(v);
            continue;
        }
        if (v->wait_reset) { /* shutdown state: only a reset ends it */
            main_loop_lock(v->ml);
            main_loop_vcpu_wait(v->ml, -1);
            main_loop_unlock(v->ml);
            cpu_event_clear(env, CPU_EV_STOP);
            continue;
        }
        if ((cpu_events(env) & CPU_EV_SERVICE) && !cpu_service_events(env)) {
            vcpu_triple_fault(v);
            continue;
        }
        if ((cpu_events(env) & CPU_EV_IRQ) && !env->wait_sipi) {
            if (cpu_irq_allowed(env)) {
                vcpu_take_irq(v); /* also wakes a halted CPU */
                continue;
            }
            cpu_event_mask_sync(env); /* CLI left it open: close it */
        }
        if ((env->halted && !cpu_halt_wake(env)) || env->wait_sipi) {
            main_loop_lock(v->ml);
            main_loop_vcpu_wait(v->ml, -1);
            main_loop_unlock(v->ml);
            cpu_event_clear(env, CPU_EV_STOP);
            continue;
        }
        switch (cpu_exec(env)) {
        case CPU_EXIT_REQUEST:
            cpu_event_clear(env, CPU_EV_STOP);
            break;
        case CPU_EXIT_TRIPLE_FAULT:
            vcpu_triple_fault(v);
            break;
        case CPU_EXIT_EXCEPTION: /* not with delivery on */
        case CPU_EXIT_FRONTEND:
            break;
        }
    }
    return NULL;
}

void vcpu_reset(Vcpu *v, const BootInfo *bi)
{
    v->reset_has_boot = bi != NULL;
    if (bi) {
        v->reset_boot = *bi;
    }
    __atomic_store_n(&v->reset_req, true, __ATOMIC_RELEASE);
    vcpu_raise(v, CPU_EV_STOP);
}

void vcpu_raise(Vcpu *v, uint32_t events)
{
    cpu_event_raise(v->env, events);
    main_loop_vcpu_kick(v->ml);
}

void vcpu_start(Vcpu *v)
{
    clock_resume(main_loop_virtual_clock(v->ml)); /* the guest's time runs */
    v->started = pthread_create(&v->thread, NULL, vcpu_thread, v) == 0;
    if (!v->started) {
        log_host_error("cannot start the vCPU thread");
    }
}

void vcpu_stop(Vcpu *v)
{
    if (!v || !v->started) {
        return;
    }
    v->quit = true;
    cpu_event_raise(v->env, CPU_EV_STOP);
    main_loop_vcpu_kick(v->ml);
    pthread_join(v->thread, NULL);
    v->started = false;
}

void vcpu_free(Vcpu *v)
{
    if (!v) {
        return;
    }
    vcpu_stop(v);
    cpu_exec_detach(v->env);
    tcg_free(v->tcg);
    cpu_x86_free(v->env);
    free(v);
}
