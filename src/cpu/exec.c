/*
 * cpu_exec(): the per-vCPU loop around tcg_exec(). CpuX86 has no slot for
 * its TcgCpu yet (cpu.h belongs to the CPU-state owner), so attached vCPUs
 * are kept in a small table keyed by env; a field in CpuX86 would replace
 * it. Exceptions are returned to the caller for now (no IDT delivery).
 */
#include "cpu/exec.h"

#include "cpu/translate.h"
#include "util/log.h"

#define EXEC_MAX_CPUS 64

typedef struct ExecSlot {
    CpuX86 *env;
    TcgCpu *cpu;
} ExecSlot;

static ExecSlot exec_slots[EXEC_MAX_CPUS];

TcgCtx *cpu_tcg_new(TcgBackendKind backend, size_t code_size)
{
    TcgConfig cfg;
    x86_tcg_config(&cfg, backend);
    cfg.code_size = code_size;
    TcgCtx *s = tcg_new(&cfg);
    x86_tcg_register_globals(s);
    return s;
}

static ExecSlot *exec_find(const CpuX86 *env)
{
    for (unsigned i = 0; i < EXEC_MAX_CPUS; i++) {
        if (exec_slots[i].env == env) {
            return &exec_slots[i];
        }
    }
    return NULL;
}

void cpu_exec_attach(CpuX86 *env, TcgCtx *ctx)
{
    ExecSlot *slot = exec_find(env);
    if (!slot) {
        slot = exec_find(NULL);
    }
    ASSERT(slot);
    slot->env = env;
    slot->cpu = tcg_cpu_new(ctx, env);
}

void cpu_exec_detach(CpuX86 *env)
{
    ExecSlot *slot = exec_find(env);
    if (slot) {
        tcg_cpu_free(slot->cpu);
        *slot = (ExecSlot){0};
    }
}

CpuExitReason cpu_exec(CpuX86 *env)
{
    ExecSlot *slot = exec_find(env);
    ASSERT(slot && slot->cpu);
    env->exception_index = -1;
    switch (tcg_exec(slot->cpu)) {
    case TCG_EXEC_EXCEPTION:
        return CPU_EXIT_EXCEPTION;
    case TCG_EXEC_REQUEST:
        env->exit_request = 0;
        return CPU_EXIT_REQUEST;
    case TCG_EXEC_FRONTEND:
        return CPU_EXIT_FRONTEND;
    }
    return CPU_EXIT_FRONTEND;
}
