/*
 * tools/difftest: run random difftest sequences (tests/difftest/gen.c) on
 * the host CPU and through xlat (JIT and interpreter) and print, for each
 * sequence that differs, its disassembly and the differences.
 *   difftest [--seed S] [--count N] [--minutes M] [--len L]
 *            [--mode 64|32|16] [--quiet] [--no-shrink]
 * Sequence k uses seed S + k and 1 + (seed % L) instructions, like the
 * test in suite 'difftest'; --minutes M runs until M minutes have passed
 * (or N sequences, if --count is given too). A differing sequence is
 * printed, then shrunk to a minimal reproducer (shrink.h) unless
 * --no-shrink. Exit status 1 if any sequence differs. It prints the host
 * (vendor, family, the modes it runs natively) first; a mode the host
 * cannot run is skipped with the reason, exit status 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen.h"
#include "hostcpu.h"
#include "shrink.h"
#include "xlat_run.h"

typedef struct Opts {
    uint64_t seed;
    unsigned count, len, mode;
    double minutes; /* 0: no time limit */
    bool quiet, no_shrink;
} Opts;

static void usage(void)
{
    fprintf(stderr,
            "usage: difftest [--seed S] [--count N] [--minutes M] [--len L] "
            "[--mode 64|32|16] [--quiet] [--no-shrink]\n");
    exit(2);
}

static void parse(int argc, char **argv, Opts *o)
{
    *o = (Opts){.seed = 1, .count = 100, .len = 40, .mode = DT_MODE64};
    bool count_given = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--quiet")) {
            o->quiet = true;
        } else if (!strcmp(a, "--no-shrink")) {
            o->no_shrink = true;
        } else if (i + 1 < argc && !strcmp(a, "--minutes")) {
            o->minutes = strtod(argv[++i], NULL);
            if (!(o->minutes > 0)) {
                usage();
            }
        } else if (i + 1 < argc && !strcmp(a, "--seed")) {
            o->seed = strtoull(argv[++i], NULL, 0);
        } else if (i + 1 < argc && !strcmp(a, "--count")) {
            o->count = (unsigned)strtoul(argv[++i], NULL, 0);
            count_given = true;
        } else if (i + 1 < argc && !strcmp(a, "--mode")) {
            o->mode = (unsigned)strtoul(argv[++i], NULL, 0);
            if (o->mode != DT_MODE64 && o->mode != DT_MODE32 &&
                o->mode != DT_MODE16) {
                usage();
            }
        } else if (i + 1 < argc && !strcmp(a, "--len")) {
            o->len = (unsigned)strtoul(argv[++i], NULL, 0);
        } else {
            usage();
        }
    }
    if (o->minutes > 0 && !count_given) {
        o->count = UINT32_MAX;
    }
    if (o->len == 0 || o->len > DT_GEN_MAX_INSNS) {
        o->len = 40;
    }
}

/* the predicate of the shrinker: the trial still differs on one backend */
typedef struct ShrinkCtx {
    DtCase c;
    TcgBackendKind backend;
} ShrinkCtx;

static bool still_differs(const DtGenSeq *trial, void *opaque)
{
    static DtResult native, x;
    ShrinkCtx *sc = opaque;
    DtCase c = sc->c;
    c.code = trial->code;
    c.len = trial->len;
    if (dt_native_run(&c, &native) || dt_xlat_run(&c, sc->backend, &x)) {
        return false;
    }
    return dt_result_diff(&native, &x, dt_gen_undef_flags(trial), NULL) != 0;
}

/* print the minimal reproducer of a difference and its differences */
static void shrink_report(const DtGenSeq *seq, const DtCase *c,
                          TcgBackendKind backend)
{
    static DtGenSeq small;
    static DtResult native, x;
    ShrinkCtx sc = {*c, backend};
    bool keep[DT_GEN_MAX_INSNS];
    small = *seq;
    unsigned n = dt_shrink(&small, keep, still_differs, &sc, 2000);
    printf("minimal reproducer: %u of %u instructions (the rest are NOPs, "
           "same addresses, same initial state):\n",
           n, seq->ninsns);
    dt_shrink_print(&small, keep, stdout);
    sc.c.code = small.code;
    sc.c.len = small.len;
    if (!dt_native_run(&sc.c, &native) && !dt_xlat_run(&sc.c, backend, &x)) {
        dt_result_diff(&native, &x, dt_gen_undef_flags(&small), stdout);
    }
}

static void report(uint64_t seed, const DtGenSeq *seq, const DtCase *c,
                   TcgBackendKind backend, const DtResult *native,
                   const DtResult *x, uint32_t undef, bool shrink)
{
    const char *what = backend == TCG_BACKEND_JIT ? "jit" : "interp";
    printf("seed %llu: native vs %s (native %s, xlat %s)\n",
           (unsigned long long)seed, what, dt_exc_name(native->exception),
           dt_exc_name(x->exception));
    dt_gen_print(seq, stdout);
    dt_result_diff(native, x, undef, stdout);
    if (shrink) {
        shrink_report(seq, c, backend);
    }
}

/*
 * 0 if every run agrees, 1 if one differs, 2 if a vendor quirk keeps it
 * from the comparison, -1 if a run failed
 */
static int run_one(uint64_t seed, unsigned len, unsigned mode, bool quiet,
                   bool shrink)
{
    static DtGenSeq seq;
    static DtResult native, jit, interp;
    DtCase c;
    dt_gen_case_mode(seed, 1 + (unsigned)(seed % len), mode, &seq, &c);
    uint32_t undef = dt_gen_undef_flags(&seq);
    if (dt_vendor_masked() &&
        dt_quirk_scan(c.code, c.len, dt_gen_xmode(&seq), &undef)) {
        return 2; /* a vendor quirk: not comparable with this host */
    }
    if (dt_native_run(&c, &native) || dt_xlat_run(&c, TCG_BACKEND_JIT, &jit) ||
        dt_xlat_run(&c, TCG_BACKEND_INTERP, &interp)) {
        return -1;
    }
    int bad = 0;
    if (dt_result_diff(&native, &jit, undef, NULL)) {
        report(seed, &seq, &c, TCG_BACKEND_JIT, &native, &jit, undef, shrink);
        bad = 1;
    }
    if (dt_result_diff(&native, &interp, undef, NULL)) {
        report(seed, &seq, &c, TCG_BACKEND_INTERP, &native, &interp, undef,
               shrink);
        bad = 1;
    }
    if (!bad && !quiet) {
        printf("seed %llu: ok (%s)\n", (unsigned long long)seed,
               dt_exc_name(native.exception));
    }
    return bad;
}

static double now_minutes(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ((double)ts.tv_sec + (double)ts.tv_nsec * 1e-9) / 60.0;
}

int main(int argc, char **argv)
{
    Opts o;
    parse(argc, argv, &o);
    dt_host_print(stdout);
    dt_vendor_print(stdout);
    const char *why = dt_native_mode_unsupported(o.mode);
    if (why) {
        printf("mode %u skipped: the host cannot run %u-bit code natively: "
               "%s\n",
               o.mode, o.mode, why);
        return 0;
    }
    unsigned pass = 0, fail = 0, err = 0, quirk = 0, k;
    double start = now_minutes();
    for (k = 0; k < o.count; k++) {
        if (o.minutes > 0 && (k & 63) == 0 &&
            now_minutes() - start >= o.minutes) {
            break;
        }
        int r = run_one(o.seed + k, o.len, o.mode, o.quiet, !o.no_shrink);
        pass += r == 0;
        fail += r == 1;
        quirk += r == 2;
        err += r < 0;
    }
    printf("%u/%u sequences pass, %u differ, %u could not run, %u left out "
           "for a vendor quirk (seeds %llu..%llu, mode %u, %.1f min)\n",
           pass, k, fail, err, quirk, (unsigned long long)o.seed,
           (unsigned long long)(o.seed + k - (k > 0)), o.mode,
           now_minutes() - start);
    return fail || err ? 1 : 0;
}
