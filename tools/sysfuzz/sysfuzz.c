/*
 * tools/sysfuzz/sysfuzz.c: the driver. For each seed it builds a case
 * (sysfuzz.h), runs it on the JIT and on the IR interpreter, each on a
 * fresh machine, and compares exit reason, architectural state and RAM.
 * A difference prints the seed and the state that differs; with --shrink
 * the case's code units are replaced with NOPs one at a time while the
 * difference stays, and what is left is printed as the reproducer. The
 * summary gives cases, exits and differences per mode and the CPU time.
 *
 * Usage: sysfuzz [--seed N] [--count N] [--secs S] [--mode NAME]
 *                [--ms GUARD] [--shrink] [--verbose] [-d LOG,...]
 *                [-D LOGFILE] [--only jit|interp] [--inject]
 *                [--dump-ram PREFIX]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "sysfuzz.h"
#include "util/log.h"

typedef struct Opts {
    uint64_t seed, count;
    double secs;
    int mode;
    unsigned ms;
    bool shrink, verbose;
    int only; /* -1: both; else the one backend to run (debugging) */
} Opts;

typedef struct Stats {
    uint64_t cases[SF_MODE_COUNT];
    uint64_t exits[SF_MODE_COUNT][SF_EXIT_COUNT];
    uint64_t paging[SF_PG_COUNT];
    uint64_t diffs[SF_MODE_COUNT];
    uint64_t faults[SF_MODE_COUNT];
    uint64_t slow[SF_MODE_COUNT];
} Stats;

void sf_gen(SfCase *c, uint64_t seed, int mode)
{
    SfRng r = {seed * 0x2545f4914f6cdd1dull + 1};
    if (!c->ram) {
        c->ram = malloc(SF_RAM);
        if (!c->ram) {
            fprintf(stderr, "sysfuzz: out of memory\n");
            exit(2);
        }
    }
    memset(&c->init, 0, sizeof(c->init));
    c->seed = seed;
    c->mode = mode < 0 ? (SfMode)sf_rn(&r, SF_MODE_COUNT) : (SfMode)mode;
    sf_gen_tables(c, &r);
    sf_gen_code(c, &r);
}

void sf_case_free(SfCase *c)
{
    free(c->ram);
    c->ram = NULL;
}

/*
 * --inject (to see the report and the shrinker work): the interpreter's
 * RBX reads one off while the first unit is still there, so the shrinker
 * must end with that unit alone.
 */
static bool inject;

static void sf_inject(const SfCase *c, SfResult *r)
{
    if (inject && c->n_insns && c->ram[SF_CODE + c->insn_off[0]] != 0x90) {
        r->st.regs[R_EBX] ^= 1;
    }
}

static bool budget_mismatch(const SfResult res[2])
{
    return (res[0].exit == SF_EXIT_BUDGET) != (res[1].exit == SF_EXIT_BUDGET);
}

/*
 * Both backends; true if they differ. When only one ran out of time the
 * pair runs again with ten times the guard; if that still happens (the
 * interpreter is slower: a long walk through memory) the case counts as
 * "slow", not as a difference.
 */
static bool sf_diff(const SfCase *c, unsigned ms, SfResult res[2], bool print,
                    bool *slow)
{
    *slow = false;
    sf_run(c, TCG_BACKEND_JIT, ms, &res[0]);
    sf_run(c, TCG_BACKEND_INTERP, ms, &res[1]);
    if (budget_mismatch(res)) {
        sf_run(c, TCG_BACKEND_JIT, ms * 10, &res[0]);
        sf_run(c, TCG_BACKEND_INTERP, ms * 10, &res[1]);
        if (budget_mismatch(res)) {
            *slow = true;
            return false;
        }
    }
    sf_inject(c, &res[1]);
    return sf_compare(&res[0], &res[1], print);
}

static void sf_print_code(const SfCase *c)
{
    for (unsigned i = 0; i < c->n_insns; i++) {
        const uint8_t *p = c->ram + SF_CODE + c->insn_off[i];
        if (p[0] == 0x90 && c->insn_len[i] && p[c->insn_len[i] - 1] == 0x90) {
            continue; /* shrunk away */
        }
        printf("    +0x%03x:", c->insn_off[i]);
        for (unsigned k = 0; k < c->insn_len[i]; k++) {
            printf(" %02x", p[k]);
        }
        printf("\n");
    }
}

/* NOP out units while the difference stays */
static void sf_shrink(SfCase *c, unsigned ms)
{
    SfResult res[2];
    uint8_t save[64];
    unsigned kept = c->n_insns;
    for (unsigned i = c->n_insns; i-- > 0;) {
        uint8_t *p = c->ram + SF_CODE + c->insn_off[i];
        unsigned n = c->insn_len[i];
        if (n > sizeof(save)) {
            continue;
        }
        memcpy(save, p, n);
        memset(p, 0x90, n);
        bool slow;
        if (!sf_diff(c, ms, res, false, &slow)) {
            memcpy(p, save, n);
        } else {
            kept--;
        }
    }
    printf("  reproducer (%u of %u units kept; the rest NOPs):\n", kept,
           c->n_insns);
    sf_print_code(c);
    bool slow;
    sf_diff(c, ms, res, true, &slow);
}

/*
 * The comparison must see a difference: the first case's results with
 * one register, then one RAM byte's hash, changed.
 */
static bool sf_self_check(const SfCase *c, unsigned ms)
{
    SfResult a, b;
    sf_run(c, TCG_BACKEND_JIT, ms, &a);
    if (a.exit == SF_EXIT_BUDGET) {
        return true; /* nothing to compare on this one */
    }
    b = a;
    b.st.regs[R_EBX] ^= 1;
    bool reg = sf_compare(&a, &b, false);
    b = a;
    b.ram_hash ^= 1;
    bool ram = sf_compare(&a, &b, false);
    b = a;
    b.st.segs[R_SS].attr ^= SEG_AR_DB;
    bool seg = sf_compare(&a, &b, false);
    return reg && ram && seg && !sf_compare(&a, &a, false);
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void sf_summary(const Stats *s, uint64_t n, double cpu)
{
    uint64_t diffs = 0;
    printf("sysfuzz: %llu cases, %.1f CPU-seconds (%.4f CPU-hours)\n",
           (unsigned long long)n, cpu, cpu / 3600);
    for (int m = 0; m < SF_MODE_COUNT; m++) {
        printf("  %-7s %8llu cases:", sf_mode_names[m],
               (unsigned long long)s->cases[m]);
        for (int e = 0; e < SF_EXIT_COUNT; e++) {
            printf(" %s %llu", sf_exit_names[e],
                   (unsigned long long)s->exits[m][e]);
        }
        printf(", %.1f faults/case, %llu slow, %llu differences\n",
               s->cases[m] ? (double)s->faults[m] / s->cases[m] : 0.0,
               (unsigned long long)s->slow[m], (unsigned long long)s->diffs[m]);
        diffs += s->diffs[m];
    }
    printf("  paging:");
    for (int p = 0; p < SF_PG_COUNT; p++) {
        printf(" %s %llu", sf_paging_names[p],
               (unsigned long long)s->paging[p]);
    }
    printf("\n  %llu differences\n", (unsigned long long)diffs);
    for (int m = 0; m < SF_MODE_COUNT; m++) { /* for tools/sysfuzz/run.sh */
        printf("SFSTAT %s %llu", sf_mode_names[m],
               (unsigned long long)s->cases[m]);
        for (int e = 0; e < SF_EXIT_COUNT; e++) {
            printf(" %llu", (unsigned long long)s->exits[m][e]);
        }
        printf(" %llu %llu %llu\n", (unsigned long long)s->slow[m],
               (unsigned long long)s->diffs[m],
               (unsigned long long)s->faults[m]);
    }
    printf("SFCPU %.3f\n", cpu);
}

static int parse_mode(const char *name)
{
    for (int m = 0; m < SF_MODE_COUNT; m++) {
        if (!strcmp(name, sf_mode_names[m])) {
            return m;
        }
    }
    fprintf(stderr, "sysfuzz: unknown mode %s\n", name);
    exit(2);
}

static void parse(Opts *o, int argc, char **argv)
{
    *o = (Opts){.seed = 1, .mode = -1, .ms = 100, .only = -1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--shrink")) {
            o->shrink = true;
        } else if (!strcmp(a, "--inject")) {
            inject = true;
        } else if (!strcmp(a, "--verbose")) {
            o->verbose = true;
        } else if (v && !strcmp(a, "--seed")) {
            o->seed = strtoull(v, NULL, 0), i++;
        } else if (v && !strcmp(a, "--count")) {
            o->count = strtoull(v, NULL, 0), i++;
        } else if (v && !strcmp(a, "--secs")) {
            o->secs = strtod(v, NULL), i++;
        } else if (v && !strcmp(a, "--mode")) {
            o->mode = parse_mode(v), i++;
        } else if (v && !strcmp(a, "-d")) {
            uint32_t mask;
            const char *bad;
            if (log_parse_mask(v, &mask, &bad)) {
                fprintf(stderr, "sysfuzz: unknown log item %s\n", bad);
                exit(2);
            }
            log_set_mask(mask), i++;
        } else if (v && !strcmp(a, "--only")) {
            TcgBackendKind k;
            if (!tcg_backend_parse(v, &k)) {
                fprintf(stderr, "sysfuzz: unknown backend %s\n", v);
                exit(2);
            }
            o->only = (int)k, i++;
        } else if (v && !strcmp(a, "--dump-ram")) {
            sf_dump_prefix = v, i++;
        } else if (v && !strcmp(a, "-D")) {
            if (log_set_file(v)) {
                fprintf(stderr, "sysfuzz: cannot open %s\n", v);
                exit(2);
            }
            i++;
        } else if (v && !strcmp(a, "--ms")) {
            o->ms = (unsigned)strtoul(v, NULL, 0), i++;
        } else {
            fprintf(stderr, "usage: sysfuzz [--seed N] [--count N] [--secs S] "
                            "[--mode NAME] [--ms GUARD] [--shrink] [--verbose] "
                            "[-d LOG] [-D FILE] [--only jit|interp]\n");
            exit(2);
        }
    }
    if (!o->count) { /* --secs alone: until the time is up */
        o->count = o->secs > 0 ? UINT64_MAX : 100;
    }
}

int main(int argc, char **argv)
{
    Opts o;
    parse(&o, argc, argv);
    sf_watchdog_start();
    static Stats st;
    SfCase c = {0};
    SfResult res[2];
    sf_gen(&c, o.seed, o.mode);
    if (!sf_self_check(&c, o.ms)) {
        fprintf(stderr, "sysfuzz: the comparison misses differences\n");
        return 3;
    }
    time_t t0 = time(NULL);
    uint64_t n = 0;
    for (; n < o.count; n++) {
        if (o.secs > 0 && difftime(time(NULL), t0) >= o.secs) {
            break;
        }
        uint64_t seed = o.seed + n;
        sf_gen(&c, seed, o.mode);
        if (o.verbose) {
            printf("seed %llu: %s, paging %s, %u units\n",
                   (unsigned long long)seed, sf_mode_names[c.mode],
                   sf_paging_names[c.paging], c.n_insns);
            fflush(stdout);
        }
        st.cases[c.mode]++;
        st.paging[c.paging]++;
        if (o.only >= 0) { /* one backend, for its logs */
            sf_run(&c, (TcgBackendKind)o.only, o.ms, &res[0]);
            res[1] = res[0];
        }
        bool slow = false;
        bool d = o.only < 0 && sf_diff(&c, o.ms, res, false, &slow);
        if (slow) {
            st.slow[c.mode]++;
            printf("slow seed %llu (%s): one backend ran out of time\n",
                   (unsigned long long)seed, sf_mode_names[c.mode]);
        }
        st.exits[c.mode][res[0].exit]++;
        st.faults[c.mode] += MIN(res[0].faults, 100u); /* may be overwritten */
        if (o.verbose) {
            const SfState *f = &res[0].st;
            printf("  %s after %u faults, %llu TBs, %llu flushes: rip 0x%llx "
                   "cs %04x al 0x%02x cr0 0x%llx\n",
                   sf_exit_names[res[0].exit], res[0].faults,
                   (unsigned long long)res[0].tbs,
                   (unsigned long long)res[0].flushes,
                   (unsigned long long)f->rip, f->segs[R_CS].selector,
                   (unsigned)(f->regs[R_EAX] & 0xff),
                   (unsigned long long)f->cr[0]);
        }
        if (d) {
            st.diffs[c.mode]++;
            printf("DIFF seed %llu (%s, paging %s):\n",
                   (unsigned long long)seed, sf_mode_names[c.mode],
                   sf_paging_names[c.paging]);
            sf_compare(&res[0], &res[1], true);
            if (o.shrink) {
                sf_shrink(&c, o.ms);
            } else {
                sf_print_code(&c);
            }
            fflush(stdout);
        }
    }
    sf_summary(&st, n, cpu_seconds());
    sf_case_free(&c);
    uint64_t diffs = 0;
    for (int m = 0; m < SF_MODE_COUNT; m++) {
        diffs += st.diffs[m];
    }
    return diffs ? 1 : 0;
}
