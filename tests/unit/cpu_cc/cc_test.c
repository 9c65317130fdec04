/*
 * The driver of the lazy-flags tests: runs a CcSpec's host instruction on
 * fixed-seed operands for each size and compares the host's flags with
 * cc_compute_all() under the spec's mask, cc_compute_c() with the carry of
 * cc_compute_all(), and cc_eval_cond() with the host flags for every
 * condition whose flags are all defined.
 */
#include "cc_test.h"

void cc_src_none(unsigned bits, uint64_t a, uint64_t b, uint64_t fin,
                 uint64_t *s1, uint64_t *s2)
{
    *s1 = *s2 = 0;
}

void cc_src_b(unsigned bits, uint64_t a, uint64_t b, uint64_t fin, uint64_t *s1,
              uint64_t *s2)
{
    *s1 = b;
    *s2 = 0;
}

/* flags each condition pair reads */
static const uint32_t cond_flags[8] = {
    CC_O, CC_C, CC_Z, CC_C | CC_Z, CC_S, CC_P, CC_S | CC_O, CC_Z | CC_S | CC_O,
};

static void cc_check_conds(const CcSpec *s, CcOp op, uint32_t mask,
                           uint64_t res, uint64_t s1, uint64_t s2,
                           uint64_t fout)
{
    for (unsigned c = 0; c < 16; c++) {
        uint32_t need = cond_flags[c >> 1];
        if ((need & mask) != need) {
            continue;
        }
        bool want = cc_test_cond((CcCond)c, (uint32_t)fout);
        cr_assert_eq(cc_eval_cond((CcCond)c, op, res, s1, s2), want,
                     "%s: cond %u dst=0x%llx src=0x%llx", s->name, c,
                     (unsigned long long)res, (unsigned long long)s1);
    }
}

static unsigned cc_run_size(const CcSpec *s, unsigned L, uint64_t seed)
{
    unsigned bits = 8u << L, done = 0;
    CcRng r = {seed * 0x9e3779b97f4a7c15ull + L + 1};
    CcOp op = s->cls == CC_CLASS_NONE ? s->op : cc_op_make(s->cls, L);
    for (unsigned i = 0; i < CC_CASES; i++) {
        uint64_t a = cc_operand(&r, bits);
        uint64_t b = s->gen_b ? s->gen_b(&r, bits) : cc_operand(&r, bits);
        uint64_t fin = cc_flags_in(&r), fout, s1, s2;
        uint32_t mask = s->mask_fn ? s->mask_fn(bits, b) : s->mask;
        if (!mask) {
            continue;
        }
        uint64_t res = s->host[L](a, b, fin, &fout) & MASK(bits);
        s->operands(bits, a, b, fin, &s1, &s2);
        uint32_t ours = cc_compute_all(op, res, s1, s2);
        CC_CHECK(s->name, L, mask, ours, fout, a, b, fin);
        cc_check_c(op, res, s1, s2);
        cc_check_conds(s, op, mask, res, s1, s2, fout);
        done++;
    }
    return done;
}

void cc_run(const CcSpec *s, uint64_t seed)
{
    unsigned sizes = 0;
    for (unsigned L = 0; L < 4; L++) {
        if (!s->host[L]) {
            continue;
        }
        unsigned n = cc_run_size(s, L, seed);
        cr_assert_geq(n, CC_CASES / 2, "%s/%u: only %u cases ran", s->name,
                      8u << L, n);
        sizes++;
    }
    cr_assert_gt(sizes, 0);
}
