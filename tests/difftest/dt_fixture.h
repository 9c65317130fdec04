/*
 * The shared fixture of the directed difftests: one case `tc` and its three
 * results, CASE(bytes...) to set the code, dt_fixture_reset() for a suite's
 * .init, and run3(undef), which runs the case on the host CPU, the JIT and
 * the interpreter and expects xlat to match the host (the flags in `undef`
 * masked), and dt_random_one() for the random-sequence tests. It defines
 * statics: include it from test files only.
 */
#ifndef XLAT_TESTS_DIFFTEST_DT_FIXTURE_H
#define XLAT_TESTS_DIFFTEST_DT_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "gen.h"
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

/*
 * One random sequence (gen.c) of n instructions in a mode on the host, the
 * JIT and the interpreter; false (with the sequence and the differences on
 * stderr) if xlat differs or a run fails.
 */
static inline bool dt_random_one(uint64_t seed, unsigned n, unsigned mode)
{
    static DtGenSeq seq;
    DtCase c;
    dt_gen_case_mode(seed, n, mode, &seq, &c);
    uint32_t undef = dt_gen_undef_flags(&seq);
    if (dt_native_run(&c, &native) || dt_xlat_run(&c, TCG_BACKEND_JIT, &jit) ||
        dt_xlat_run(&c, TCG_BACKEND_INTERP, &interp)) {
        return false;
    }
    int dj = dt_result_diff(&native, &jit, undef, NULL);
    int di = dt_result_diff(&native, &interp, undef, NULL);
    if (dj || di) {
        fprintf(stderr, "seed %llu (%u insns, mode %u): %d jit / %d interp\n",
                (unsigned long long)seed, n, mode, dj, di);
        dt_gen_print(&seq, stderr);
        dt_result_diff(&native, dj ? &jit : &interp, undef, stderr);
        return false;
    }
    return true;
}

#endif
