/*
 * Regressions found by tools/sysfuzz, on the tiny CPU machine, both
 * backends. Each test names the seed that found it.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tiny_machine.h"

static TinyMachine m;

/*
 * sysfuzz seed 1012069 (long64): a store made by a helper into the block
 * that is running must restart at the storing instruction, so that the
 * instructions after it run their new bytes, on the interpreter too (its
 * helpers' return address is in interp.c, not in the block). Here
 * CMPXCHG16B (a helper in 64-bit mode) rewrites the immediate of the
 * "mov eax, 1" after it to 0x2a.
 */
Test(sysfuzz_regress, helper_store_into_the_running_block_runs_new_bytes)
{
    uint8_t code[64];
    memset(code, 0x90, sizeof(code)); /* nops: the operand is 16-aligned */
    static const uint8_t cx[] = {0x48, 0x0f, 0xc7, 0x0d, 0, 0, 0, 0};
    static const uint8_t mov[] = {0xb8, 1, 0, 0, 0}; /* mov eax, 1 */
    memcpy(code + 8, cx, sizeof(cx));                /* cmpxchg16b [rip + 0] */
    memcpy(code + 16, mov, sizeof(mov));
    code[32] = 0xcc;
    uint64_t lo, hi;
    memcpy(&lo, code + 16, 8);
    memcpy(&hi, code + 24, 8);
    for (size_t b = 0; b < 2; b++) {
        tm_new(&m, tm_backends[b], 0, 0);
        m.env->regs[R_EAX] = lo; /* the compare succeeds: rcx:rbx stored */
        m.env->regs[R_EDX] = hi;
        m.env->regs[R_EBX] = (lo & ~0xff00ull) | 0x2a00;
        m.env->regs[R_ECX] = hi;
        cr_assert_eq(tm_run(&m, code, 33), 3, "backend %zu", b);
        cr_assert_eq(m.env->regs[R_EAX], 0x2a, "backend %zu: new bytes", b);
        tm_free(&m);
    }
}
