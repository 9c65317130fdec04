/*
 * tools/difftest: run random difftest sequences (tests/difftest/gen.c) on
 * the host CPU and through xlat (JIT and interpreter) and print, for each
 * sequence that differs, its disassembly and the differences.
 *   difftest [--seed S] [--count N] [--len L] [--quiet]
 * Sequence k uses seed S + k and 1 + (seed % L) instructions, like the
 * test in suite 'difftest'. Exit status 1 if any sequence differs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "xlat_run.h"

typedef struct Opts {
    uint64_t seed;
    unsigned count, len;
    bool quiet;
} Opts;

static void usage(void)
{
    fprintf(stderr,
            "usage: difftest [--seed S] [--count N] [--len L] [--quiet]\n");
    exit(2);
}

static void parse(int argc, char **argv, Opts *o)
{
    *o = (Opts){.seed = 1, .count = 100, .len = 40};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--quiet")) {
            o->quiet = true;
        } else if (i + 1 < argc && !strcmp(a, "--seed")) {
            o->seed = strtoull(argv[++i], NULL, 0);
        } else if (i + 1 < argc && !strcmp(a, "--count")) {
            o->count = (unsigned)strtoul(argv[++i], NULL, 0);
        } else if (i + 1 < argc && !strcmp(a, "--len")) {
            o->len = (unsigned)strtoul(argv[++i], NULL, 0);
        } else {
            usage();
        }
    }
    if (o->len == 0 || o->len > DT_GEN_MAX_INSNS) {
        o->len = 40;
    }
}

static void report(uint64_t seed, const DtGenSeq *seq, const char *what,
                   const DtResult *native, const DtResult *x, uint32_t undef)
{
    printf("seed %llu: native vs %s (native %s, xlat %s)\n",
           (unsigned long long)seed, what, dt_exc_name(native->exception),
           dt_exc_name(x->exception));
    dt_gen_print(seq, stdout);
    dt_result_diff(native, x, undef, stdout);
}

/* 0 if every run agrees, 1 if one differs, -1 if a run failed */
static int run_one(uint64_t seed, unsigned len, bool quiet)
{
    static DtGenSeq seq;
    static DtResult native, jit, interp;
    DtCase c;
    dt_gen_case(seed, 1 + (unsigned)(seed % len), &seq, &c);
    uint32_t undef = dt_gen_undef_flags(&seq);
    if (dt_native_run(&c, &native) || dt_xlat_run(&c, TCG_BACKEND_JIT, &jit) ||
        dt_xlat_run(&c, TCG_BACKEND_INTERP, &interp)) {
        return -1;
    }
    int bad = 0;
    if (dt_result_diff(&native, &jit, undef, NULL)) {
        report(seed, &seq, "jit", &native, &jit, undef);
        bad = 1;
    }
    if (dt_result_diff(&native, &interp, undef, NULL)) {
        report(seed, &seq, "interp", &native, &interp, undef);
        bad = 1;
    }
    if (!bad && !quiet) {
        printf("seed %llu: ok (%s)\n", (unsigned long long)seed,
               dt_exc_name(native.exception));
    }
    return bad;
}

int main(int argc, char **argv)
{
    Opts o;
    parse(argc, argv, &o);
    unsigned pass = 0, fail = 0, err = 0;
    for (unsigned k = 0; k < o.count; k++) {
        int r = run_one(o.seed + k, o.len, o.quiet);
        pass += r == 0;
        fail += r == 1;
        err += r < 0;
    }
    printf("%u/%u sequences pass, %u differ, %u could not run\n", pass, o.count,
           fail, err);
    return fail || err ? 1 : 0;
}
