/*
 * The shared fixture of the directed difftests: one case `tc` and its three
 * results, CASE(bytes...) to set the code, dt_fixture_reset() for a suite's
 * .init, and run3(undef), which runs the case on the host CPU, the JIT and
 * the interpreter and expects xlat to match the host (the flags in `undef`
 * masked). It defines statics: include it from test files only.
 */
#ifndef XLAT_TESTS_DIFFTEST_DT_FIXTURE_H
#define XLAT_TESTS_DIFFTEST_DT_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "xlat_run.h"

#define CASE(...)                                                              \
    do {                                                                       \
        static const uint8_t bytes_[] = {__VA_ARGS__};                         \
        tc.code = bytes_;                                                      \
        tc.len = sizeof(bytes_);                                               \
    } while (0)

static DtCase tc;
static DtResult native, jit, interp;

static inline void dt_fixture_reset(void)
{
    memset(&tc, 0, sizeof(tc));
    dt_state_init(&tc.init);
}

static inline void run3(uint32_t undef)
{
    cr_assert_eq(dt_native_run(&tc, &native), 0);
    cr_assert_eq(dt_xlat_run(&tc, TCG_BACKEND_JIT, &jit), 0);
    cr_assert_eq(dt_xlat_run(&tc, TCG_BACKEND_INTERP, &interp), 0);
    cr_expect_eq(dt_result_diff(&native, &jit, undef, stderr), 0,
                 "native vs jit");
    cr_expect_eq(dt_result_diff(&native, &interp, undef, stderr), 0,
                 "native vs interp");
}

#endif
