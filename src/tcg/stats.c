/*
 * src/tcg/stats.c: translator counters and the perf map.
 *
 * tcg_stats_print() prints the TcgStats counters (lookups by where they
 * hit, translations, chaining, invalidations, flushes with their cause,
 * exits by reason, helper calls and slow paths). With cfg.perf_map each new
 * TB is appended to /tmp/perf-PID.map ("host-address size name") so that
 * perf can attribute samples in generated code to guest PCs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "tcg/tcg_int.h"
#include "util/log.h"

static const char *const tcg_flush_names[TCG_FLUSH__COUNT] = {
    [TCG_FLUSH_FULL] = "buffer full",
    [TCG_FLUSH_USER] = "requested",
};

static const char *const tcg_exit_names[IR_EXIT__COUNT] = {
    [IR_EXIT_TB0] = "goto_tb0",      [IR_EXIT_TB1] = "goto_tb1",
    [IR_EXIT_LOOKUP] = "lookup",     [IR_EXIT_REQUEST] = "request",
    [IR_EXIT_FRONTEND] = "frontend",
};

static double tcg_pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

void tcg_stats_print(TcgCtx *s, FILE *out)
{
    const TcgStats *st = &s->stats;
    uint64_t lookups = st->jc_inline_hit + st->jc_hit + st->hash_hit + st->miss;
    fprintf(out,
            "tcg: backend %s, code buffer %zu KiB, used %zu KiB, "
            "%u TBs\n",
            s->be->name, s->size >> 10, s->used >> 10, s->ntbs);
    fprintf(out,
            "tcg: lookups %" PRIu64 ": inline jc %" PRIu64
            " (%.1f%%), C jc %" PRIu64 " (%.1f%%), hash %" PRIu64
            " (%.1f%%), miss %" PRIu64 " (%.1f%%)\n",
            lookups, st->jc_inline_hit, tcg_pct(st->jc_inline_hit, lookups),
            st->jc_hit, tcg_pct(st->jc_hit, lookups), st->hash_hit,
            tcg_pct(st->hash_hit, lookups), st->miss,
            tcg_pct(st->miss, lookups));
    fprintf(out,
            "tcg: chains %" PRIu64 ", unchains %" PRIu64
            ", invalidated TBs %" PRIu64 " (%" PRIu64 " requests)\n",
            st->chains, st->unchains, st->invalidations, st->inval_pages);
    for (int i = 0; i < TCG_FLUSH__COUNT; i++) {
        fprintf(out, "tcg: flushes (%s): %" PRIu64 "\n", tcg_flush_names[i],
                st->flushes[i]);
    }
    fprintf(out, "tcg: exits:");
    for (int i = 0; i < IR_EXIT__COUNT; i++) {
        fprintf(out, " %s %" PRIu64, tcg_exit_names[i], st->exits[i]);
    }
    fprintf(out, ", exceptions %" PRIu64 "\n", st->exceptions);
    fprintf(out, "tcg: helper calls %" PRIu64 ", slow paths %" PRIu64 "\n",
            st->helper_calls, st->slow_paths);
    fprintf(out,
            "tcg: IR ops %" PRIu64 " -> %" PRIu64 " after opt, code %" PRIu64
            " bytes\n",
            st->ir_ops_in, st->ir_ops_out, st->code_bytes);
    if (st->traced_tbs) {
        fprintf(out,
                "tcg: traced blocks run %" PRIu64 ", guest insns %" PRIu64 "\n",
                st->traced_tbs, st->guest_insns);
    }
}

void tcg_perf_map_add(TcgCtx *s, const Tb *tb)
{
    if (!s->cfg.perf_map) {
        return;
    }
    if (!s->perf) {
        char path[64];
        snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
        s->perf = fopen(path, "a");
        if (!s->perf) {
            log_host_error("tcg: cannot open %s; perf map disabled", path);
            s->cfg.perf_map = false;
            return;
        }
    }
    fprintf(s->perf, "%" PRIxPTR " %x guest_0x%" PRIx64 "\n",
            (uintptr_t)tb->code, tb->code_size, tb->pc);
    fflush(s->perf);
}
