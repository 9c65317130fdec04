/*
 * Single-step (RFLAGS.TF, SDM 17.3.1.4) against the host CPU on both
 * backends: the instruction that sets TF runs untrapped, every later one
 * ends in a #DB trap at its successor (the next instruction, a branch
 * target, or the same REP string instruction after one iteration), and a
 * POPF that clears TF is itself still trapped.
 */
#include <criterion/criterion.h>

#include "dt_fixture.h"

TestSuite(single_step, .init = dt_fixture_reset, .timeout = 60);

/* pushfq; or qword [rsp], 0x100; popfq: TF from the next instruction on */
#define SET_TF 0x9c, 0x48, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9d

static void expect_db_at(uint64_t off)
{
    run3(0);
    cr_assert_eq(native.exception, DT_EXC_DB, "host: %s",
                 dt_exc_name(native.exception));
    cr_expect_eq(native.final.rip, DT_CODE_ADDR + off, "host rip 0x%llx",
                 (unsigned long long)native.final.rip);
}

Test(single_step, trap_after_the_instruction_after_popf)
{
    CASE(SET_TF, 0x90, 0xb8, 0x01, 0x00, 0x00, 0x00); /* nop; mov eax, 1 */
    expect_db_at(11);                                 /* before the mov */
    cr_expect_eq(jit.final.gpr[DT_RAX], tc.init.gpr[DT_RAX]);
}

Test(single_step, trap_at_a_taken_branch_target)
{
    /* jmp +3 over three bytes of ud2/int3 to an inc */
    CASE(SET_TF, 0xeb, 0x03, 0x0f, 0x0b, 0xcc, 0x48, 0xff, 0xc0);
    expect_db_at(15);
}

Test(single_step, popf_clearing_tf_is_still_trapped)
{
    /* SET_TF; pushfq; and qword [rsp], ~0x100; popfq; nop */
    CASE(SET_TF, 0x9c, 0x48, 0x81, 0x24, 0x24, 0xff, 0xfe, 0xff, 0xff, 0x9d,
         0x90);
    expect_db_at(11); /* after the pushfq */
}

Test(single_step, rep_string_traps_after_each_iteration)
{
    tc.init.gpr[DT_RCX] = 3;
    tc.init.gpr[DT_RSI] = DT_DATA_ADDR;
    tc.init.gpr[DT_RDI] = DT_DATA_ADDR + 0x100;
    CASE(SET_TF, 0xf3, 0xa4, 0x90); /* rep movsb; nop */
    expect_db_at(10);               /* still at the rep movsb */
    cr_expect_eq(native.final.gpr[DT_RCX], 2);
}
