/*
 * Lazy flags of the add/sub/logic/inc/dec family against the host CPU.
 * Masks (SDM vol. 2): ADD ADC SUB SBB NEG INC DEC define all six flags
 * (INC/DEC keep CF, checked too: the input CF is random); AND OR XOR leave
 * AF undefined; XOR r,r is CC_OP_CLR (AF undefined), SUB r,r all six.
 */
#include "cc_test.h"

TestSuite(cc_arith, .timeout = 60);

CC_HOST4(h_add, "add", "%[y], %[x]", "r")
CC_HOST4(h_adc, "adc", "%[y], %[x]", "r")
CC_HOST4(h_sub, "sub", "%[y], %[x]", "r")
CC_HOST4(h_sbb, "sbb", "%[y], %[x]", "r")
CC_HOST4(h_and, "and", "%[y], %[x]", "r")
CC_HOST4(h_or, "or", "%[y], %[x]", "r")
CC_HOST4(h_xor, "xor", "%[y], %[x]", "r")
CC_HOST4(h_inc, "inc", "%[x]", "r")
CC_HOST4(h_dec, "dec", "%[x]", "r")
CC_HOST4(h_neg, "neg", "%[x]", "r")
CC_HOST4(h_clr, "xor", "%[x], %[x]", "r")
CC_HOST4(h_self_sub, "sub", "%[x], %[x]", "r")

#define NO_AF (CC_ALL & ~CC_A)

static void src_carry(unsigned bits, uint64_t a, uint64_t b, uint64_t fin,
                      uint64_t *s1, uint64_t *s2)
{
    *s1 = b;
    *s2 = fin & CC_C;
}

static void src_old_cf(unsigned bits, uint64_t a, uint64_t b, uint64_t fin,
                       uint64_t *s1, uint64_t *s2)
{
    *s1 = fin & CC_C;
    *s2 = 0;
}

/* NEG is 0 - a */
static void src_neg(unsigned bits, uint64_t a, uint64_t b, uint64_t fin,
                    uint64_t *s1, uint64_t *s2)
{
    *s1 = a;
    *s2 = 0;
}

Test(cc_arith, add)
{
    CcSpec s = {"add", h_add, CC_CLASS_ADD, .mask = CC_ALL,
                .operands = cc_src_b};
    cc_run(&s, 1);
}

Test(cc_arith, adc)
{
    CcSpec s = {"adc", h_adc, CC_CLASS_ADC, .mask = CC_ALL,
                .operands = src_carry};
    cc_run(&s, 2);
}

Test(cc_arith, sub)
{
    CcSpec s = {"sub", h_sub, CC_CLASS_SUB, .mask = CC_ALL,
                .operands = cc_src_b};
    cc_run(&s, 3);
}

Test(cc_arith, sbb)
{
    CcSpec s = {"sbb", h_sbb, CC_CLASS_SBB, .mask = CC_ALL,
                .operands = src_carry};
    cc_run(&s, 4);
}

Test(cc_arith, neg)
{
    CcSpec s = {"neg", h_neg, CC_CLASS_SUB, .mask = CC_ALL,
                .operands = src_neg};
    cc_run(&s, 5);
}

Test(cc_arith, logic)
{
    CcSpec and = {"and", h_and, CC_CLASS_LOGIC, .mask = NO_AF,
                  .operands = cc_src_none};
    CcSpec or
        = {"or", h_or, CC_CLASS_LOGIC, .mask = NO_AF, .operands = cc_src_none};
    CcSpec xor = {"xor", h_xor, CC_CLASS_LOGIC, .mask = NO_AF,
                  .operands = cc_src_none};
    cc_run(&and, 6);
    cc_run(& or, 7);
    cc_run(&xor, 8);
}

Test(cc_arith, inc_dec)
{
    CcSpec inc = {"inc", h_inc, CC_CLASS_INC, .mask = CC_ALL,
                  .operands = src_old_cf};
    CcSpec dec = {"dec", h_dec, CC_CLASS_DEC, .mask = CC_ALL,
                  .operands = src_old_cf};
    cc_run(&inc, 9);
    cc_run(&dec, 10);
}

Test(cc_arith, clr)
{
    CcSpec xr = {"xor-self", h_clr,         CC_CLASS_NONE,
                 CC_OP_CLR,  .mask = NO_AF, .operands = cc_src_none};
    CcSpec sr = {"sub-self", h_self_sub,     CC_CLASS_NONE,
                 CC_OP_CLR,  .mask = CC_ALL, .operands = cc_src_none};
    cc_run(&xr, 11);
    cc_run(&sr, 12);
}

/* the carry-only evaluator on hand-picked boundaries */
Test(cc_arith, compute_c_edges)
{
    cr_assert_eq(cc_compute_c(CC_OP_ADDB, 0x00, 0xff, 0), 1);    /* 1+ff */
    cr_assert_eq(cc_compute_c(CC_OP_ADDB, 0xff, 0xff, 0), 0);    /* 0+ff */
    cr_assert_eq(cc_compute_c(CC_OP_ADCQ, 0, ~0ull, 1), 1);      /* 0+ff..+1 */
    cr_assert_eq(cc_compute_c(CC_OP_SUBL, 0xffffffff, 1, 0), 1); /* 0-1 */
    cr_assert_eq(cc_compute_c(CC_OP_SBBW, 0xffff, 0xffff, 1), 1);
    cr_assert_eq(cc_compute_c(CC_OP_SBBW, 0, 0xffff, 1), 1); /* ffff-ffff-1 */
    cr_assert_eq(cc_compute_c(CC_OP_INCB, 0, 1, 0), 1);      /* CF kept */
}
