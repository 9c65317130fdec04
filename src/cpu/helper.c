/*
 * Helpers that generated x86 code calls: raising exceptions. A fault
 * records the vector and error code in env and unwinds to tcg_exec with
 * the state of the faulting instruction restored from the insn_start side
 * table; a trap (INT3) leaves RIP after the instruction. Delivery through
 * the IDT comes later: cpu_exec() returns the exception to its caller.
 */
#include "cpu/translate.h"

static bool helper_has_error_code(uint32_t vector)
{
    switch (vector) {
    case 8:
    case 10:
    case 11:
    case 12:
    case 13:
    case 14:
    case 17:
    case 21:
        return true;
    default:
        return false;
    }
}

void helper_raise_exception(CpuX86 *env, uint32_t vector, uint32_t error)
{
    env->exception_index = (int32_t)vector;
    env->error_code = error;
    env->has_error_code = helper_has_error_code(vector);
    tcg_exit_to_dispatcher(TCG_GETPC());
}

void helper_raise_trap(CpuX86 *env, uint32_t vector)
{
    env->exception_index = (int32_t)vector;
    env->error_code = 0;
    env->has_error_code = false;
    tcg_exit_to_dispatcher(0);
}
