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

#include "cpu/cpu_features.h"
#include "gen.h"
#include "hostcpu.h"
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

/* the host line and the vendor-mask line, once, in the test runner */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    dt_host_print(stderr);
    dt_vendor_print(stderr);
}

/* skip the test, naming the reason, if the host cannot run the mode */
static inline void dt_require_mode(unsigned mode)
{
    const char *why = dt_native_mode_unsupported(mode);
    if (why) {
        cr_skip_test("the host cannot run %u-bit code natively: %s", mode, why);
    }
}

/* skip the test if the host lacks one of the features (CPU_FEAT mask) */
static inline void dt_require_features(uint64_t need)
{
    const char *lack = dt_host_missing(need);
    if (lack) {
        cr_skip_test("the host CPU lacks %s", lack);
    }
}

static inline X86Mode dt_case_xmode(const DtCase *c)
{
    return c->mode == DT_MODE32      ? X86_MODE32
           : c->mode == DT_MODE16    ? X86_MODE16
           : c->mode == DT_MODE_REAL ? X86_MODE16
                                     : X86_MODE64;
}

/*
 * The vendor quirks of a case in masked mode (hostcpu.h): their flags are
 * added to *undef; true if a quirk takes the case out of the comparison.
 */
static inline bool dt_case_quirks(const DtCase *c, uint32_t *undef)
{
    if (!dt_vendor_masked()) {
        return false;
    }
    const DtQuirk *q = dt_quirk_scan(c->code, c->len, dt_case_xmode(c), undef);
    if (q) {
        fprintf(stderr, "difftest: not compared with the host: %s\n", q->name);
    }
    return q != NULL;
}

/*
 * Run tc on the host, the JIT and the interpreter and compare. In masked
 * mode a case with a whole-case vendor quirk compares the JIT with the
 * interpreter only; the test checks the SDM's values itself.
 */
static inline void run3(uint32_t undef)
{
    dt_require_mode(tc.mode);
    bool skip_host = dt_case_quirks(&tc, &undef);
    cr_assert_eq(dt_xlat_run(&tc, TCG_BACKEND_JIT, &jit), 0);
    cr_assert_eq(dt_xlat_run(&tc, TCG_BACKEND_INTERP, &interp), 0);
    if (skip_host) {
        cr_expect_eq(dt_result_diff(&jit, &interp, undef, stderr), 0,
                     "jit vs interp");
        native = jit;
        return;
    }
    cr_assert_eq(dt_native_run(&tc, &native), 0);
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
    if (dt_case_quirks(&c, &undef)) {
        return true; /* named on stderr: not comparable with this host */
    }
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
