/*
 * The difftest shrinker on synthetic sequences: a predicate that needs a
 * given set of instructions must shrink to exactly that set, with every
 * other instruction NOPped in place (addresses unchanged).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "shrink.h"

static DtGenSeq orig;

/* n instructions of 1..4 bytes, none of them 0x90 */
static void synth(unsigned n)
{
    memset(&orig, 0, sizeof(orig));
    for (unsigned i = 0; i < n; i++) {
        orig.off[i] = (uint32_t)orig.len;
        unsigned len = 1 + i % 4;
        for (unsigned b = 0; b < len; b++) {
            orig.code[orig.len++] = (uint8_t)(0x10 + i);
        }
    }
    orig.ninsns = n;
    orig.off[n] = (uint32_t)orig.len;
}

static bool intact(const DtGenSeq *s, unsigned i)
{
    unsigned len = orig.off[i + 1] - orig.off[i];
    return !memcmp(s->code + orig.off[i], orig.code + orig.off[i], len);
}

typedef struct Need {
    unsigned idx[4], n;
    unsigned calls;
} Need;

static bool needs(const DtGenSeq *s, void *opaque)
{
    Need *nd = opaque;
    nd->calls++;
    for (unsigned k = 0; k < nd->n; k++) {
        if (!intact(s, nd->idx[k])) {
            return false;
        }
    }
    return true;
}

static void check(unsigned n, Need nd)
{
    static DtGenSeq seq;
    bool keep[DT_GEN_MAX_INSNS];
    synth(n);
    seq = orig;
    unsigned kept = dt_shrink(&seq, keep, needs, &nd, 10000);
    cr_assert_eq(kept, nd.n);
    cr_assert_eq(seq.len, orig.len, "addresses must not move");
    for (unsigned i = 0; i < n; i++) {
        bool want = false;
        for (unsigned k = 0; k < nd.n; k++) {
            want |= nd.idx[k] == i;
        }
        cr_assert_eq(keep[i], want, "instruction %u", i);
        cr_assert_eq(intact(&seq, i), want, "instruction %u bytes", i);
        for (uint32_t b = orig.off[i]; !want && b < orig.off[i + 1]; b++) {
            cr_assert_eq(seq.code[b], 0x90);
        }
    }
    cr_assert_leq(nd.calls, 4 * n * (nd.n + 1), "%u predicate runs", nd.calls);
}

Test(shrink, one_culprit)
{
    check(40, (Need){{17}, 1, 0});
}
Test(shrink, two_far_apart)
{
    check(64, (Need){{0, 63}, 2, 0});
}
Test(shrink, three)
{
    check(33, (Need){{5, 6, 20}, 3, 0});
}

Test(shrink, respects_run_budget)
{
    static DtGenSeq seq;
    bool keep[DT_GEN_MAX_INSNS];
    Need nd = {{3}, 1, 0};
    synth(50);
    seq = orig;
    dt_shrink(&seq, keep, needs, &nd, 5);
    cr_assert_eq(nd.calls, 5);
    cr_assert(keep[3] && intact(&seq, 3));
}
