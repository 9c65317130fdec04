/*
 * The vCPU run loop: cpu_exec() drives tcg_exec() for one CpuX86 and
 * handles its exits. For now a guest exception is not delivered: its
 * vector and error code stay in env (exception_index >= 0) and cpu_exec
 * returns CPU_EXIT_EXCEPTION to the caller. IDT delivery comes later.
 */
#ifndef XLAT_CPU_EXEC_H
#define XLAT_CPU_EXEC_H

#include "cpu/cpu.h"
#include "tcg/tcg.h"

typedef enum CpuExitReason {
    CPU_EXIT_EXCEPTION,    /* env->exception_index / error_code are set */
    CPU_EXIT_REQUEST,      /* env->exit_request was set */
    CPU_EXIT_FRONTEND,     /* a block asked to return (halt, I/O...) */
    CPU_EXIT_TRIPLE_FAULT, /* env->deliver: a fault delivering #DF */
} CpuExitReason;

/*
 * A translator context with the x86 front end and its globals registered;
 * code_size 0 picks the default. Free with tcg_free().
 */
TcgCtx *cpu_tcg_new(TcgBackendKind backend, size_t code_size);
/* the same with options: CPU_TCG_COUNT_INSNS (exact guest insn counts in
 * TcgStats.guest_insns, at the price of no chaining), CPU_TCG_PERF_MAP */
#define CPU_TCG_COUNT_INSNS 1u
#define CPU_TCG_PERF_MAP 2u
TcgCtx *cpu_tcg_new_opts(TcgBackendKind backend, size_t code_size,
                         unsigned opts);

/* bind env to a vCPU of ctx (needed before cpu_exec); unbind */
void cpu_exec_attach(CpuX86 *env, TcgCtx *ctx);
void cpu_exec_detach(CpuX86 *env);

/* run env until an exception, an exit request or a front-end exit */
CpuExitReason cpu_exec(CpuX86 *env);

/*
 * Pending events. Each is a bit of env->pending beside the exit-request
 * word: cpu_event_raise (any thread, also a signal handler) sets the bit
 * and then the word; the vCPU acts on the bits when cpu_exec returns
 * CPU_EXIT_REQUEST and clears those it took. Whenever cpu_exec clears the
 * word it derives it again from pending & event_mask, so an event raised
 * meanwhile is never lost and one the CPU cannot take now (an IRQ under
 * IF = 0: the front end narrows event_mask) does not spin the loop.
 */
void cpu_event_raise(CpuX86 *env, uint32_t events);
/* the vCPU's own thread: drop events taken, change what makes it leave */
void cpu_event_clear(CpuX86 *env, uint32_t events);
void cpu_event_mask_set(CpuX86 *env, uint32_t mask);
/*
 * The mask from the CPU state: an IRQ is taken only with RFLAGS.IF set and
 * outside the STI/MOV SS shadow (HF_INHIBIT_IRQ). cpu_update_hflags calls
 * it, so every path that sets IF or ends the shadow re-opens the mask.
 */
void cpu_event_mask_sync(CpuX86 *env);
/* can a pending IRQ be taken now? */
bool cpu_irq_allowed(const CpuX86 *env);
/*
 * A halted CPU (HLT, MWAIT): may it run now? An IRQ it can take, or any
 * IRQ after MWAIT with ECX[0] (even under IF = 0), ends the halt; a
 * pending SMI outside SMM leaves it halted for cpu_exec, which takes the
 * SMI at once and records the halt in the save map (auto HALT restart).
 */
bool cpu_halt_wake(CpuX86 *env);
/*
 * Deliver external interrupt vector now (between instructions, the vCPU's
 * thread, outside cpu_exec); false: a triple fault.
 */
bool cpu_interrupt(CpuX86 *env, int vector);
/*
 * Take what of the pending NMI, INIT and SIPI the CPU can take now (the
 * vCPU's thread, outside cpu_exec): INIT puts the CPU in its INIT state,
 * an AP (not env->bsp) then in wait-for-SIPI; a SIPI in that state starts
 * it in real mode at vector << 12; an NMI is delivered through vector 2
 * unless an earlier NMI's handler has not yet executed IRET, and wakes a
 * halted CPU. False: a triple fault delivering the NMI.
 */
bool cpu_service_events(CpuX86 *env);
/* CPU_EV_NMI | CPU_EV_INIT | CPU_EV_SIPI */
#define CPU_EV_SERVICE (CPU_EV_NMI | CPU_EV_INIT | CPU_EV_SIPI)
static inline uint32_t cpu_events(const CpuX86 *env)
{
    return __atomic_load_n(&env->pending, __ATOMIC_SEQ_CST);
}

/*
 * Run on vCPU: changes to a vCPU's own state (its TLB, jump cache) are
 * made by the thread that runs it. fn runs at once when the caller is
 * that thread or the vCPU has not run yet; otherwise it is queued, the
 * vCPU is kicked (CPU_EV_WORK) and its thread runs the queue at the next
 * block boundary, without returning from cpu_exec. fn owns data.
 */
typedef void CpuWorkFn(CpuX86 *env, void *data);
void cpu_run_on(CpuX86 *env, CpuWorkFn *fn, void *data);

/*
 * The exclusive section: between start and end no other vCPU runs guest
 * code (each leaves at its next block boundary and waits). For full
 * flushes of shared state and for LOCKed accesses the host cannot make
 * atomic (MMIO, code pages, page-crossing). Callable from a vCPU thread
 * (inside cpu_exec: it counts itself out) or any other; not nested.
 */
void cpu_exclusive_start(void);
void cpu_exclusive_end(void);

/*
 * From a self-checking block (a page rewritten again and again): its bytes
 * [phys, phys + len) are not those it was translated from. Drops the
 * blocks there and restarts at the block's first instruction.
 */
NORETURN void helper_code_stale(CpuX86 *env, uint64_t phys, uint64_t len);

/* `-d stats`: the translator's and the TLB's counters of env */
void cpu_exec_stats_print(CpuX86 *env, FILE *f);

#endif
