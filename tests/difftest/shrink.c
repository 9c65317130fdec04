/*
 * Delta-debugging shrinker for difftest sequences (see shrink.h): try to
 * remove chunks of the kept instructions, halving the chunk size whenever
 * no chunk of the current size can go, until single instructions cannot.
 */
#include "shrink.h"

#include <string.h>

#include "cpu/disas.h"

typedef struct Shrink {
    DtGenSeq *seq;
    bool *keep;
    DtShrinkFails fails;
    void *opaque;
    unsigned runs, max_runs;
} Shrink;

static void shrink_nop(DtGenSeq *seq, unsigned i)
{
    memset(seq->code + seq->off[i], 0x90, seq->off[i + 1] - seq->off[i]);
}

/* remove the kept instructions [from, from + n) of the kept list, if the
   failure survives; true if it did */
static bool shrink_try(Shrink *s, const unsigned *kept, unsigned from,
                       unsigned n)
{
    static DtGenSeq trial;
    if (s->runs >= s->max_runs) {
        return false;
    }
    trial = *s->seq;
    for (unsigned k = from; k < from + n; k++) {
        shrink_nop(&trial, kept[k]);
    }
    s->runs++;
    if (!s->fails(&trial, s->opaque)) {
        return false;
    }
    *s->seq = trial;
    for (unsigned k = from; k < from + n; k++) {
        s->keep[kept[k]] = false;
    }
    return true;
}

static unsigned shrink_kept(const Shrink *s, unsigned *kept)
{
    unsigned n = 0;
    for (unsigned i = 0; i < s->seq->ninsns; i++) {
        if (s->keep[i]) {
            kept[n++] = i;
        }
    }
    return n;
}

/* one sweep with chunks of `chunk` instructions; true if any went */
static bool shrink_sweep(Shrink *s, unsigned chunk)
{
    unsigned kept[DT_GEN_MAX_INSNS];
    unsigned n = shrink_kept(s, kept);
    bool progress = false;
    for (unsigned from = 0; from < n;) {
        unsigned len = chunk < n - from ? chunk : n - from;
        if (len < n && shrink_try(s, kept, from, len)) {
            progress = true;
            n = shrink_kept(s, kept); /* the same index is the next chunk */
        } else {
            from += len;
        }
    }
    return progress;
}

unsigned dt_shrink(DtGenSeq *seq, bool keep[DT_GEN_MAX_INSNS],
                   DtShrinkFails fails, void *opaque, unsigned max_runs)
{
    Shrink s = {seq, keep, fails, opaque, 0, max_runs};
    for (unsigned i = 0; i < DT_GEN_MAX_INSNS; i++) {
        keep[i] = i < seq->ninsns;
    }
    unsigned chunk = seq->ninsns / 2 ? seq->ninsns / 2 : 1;
    for (;;) {
        bool progress = shrink_sweep(&s, chunk);
        if (chunk == 1 && !progress) {
            break;
        }
        if (!progress) {
            chunk /= 2;
        }
        if (s.runs >= s.max_runs) {
            break;
        }
    }
    unsigned kept[DT_GEN_MAX_INSNS];
    return shrink_kept(&s, kept);
}

void dt_shrink_print(const DtGenSeq *seq, const bool *keep, FILE *f)
{
    for (unsigned i = 0; i < seq->ninsns; i++) {
        if (keep[i]) {
            disas_print(f, seq->code + seq->off[i],
                        seq->off[i + 1] - seq->off[i],
                        DT_CODE_ADDR + seq->off[i], dt_gen_xmode(seq));
        }
    }
}
