/*
 * Lazy flags of shifts and rotates against the host CPU. The masked count
 * is count & 31 (count & 63 for 64-bit); a masked count of 0 changes no
 * flags, so those cases are skipped. Masks (SDM vol. 2 SAL/SAR/SHL/SHR,
 * RCL/RCR/ROL/ROR):
 *   SHL SHR SAR: CF SF ZF PF; OF only for count 1; AF undefined; CF also
 *                undefined for SHL/SHR when the count >= the operand size
 *   ROL ROR:     CF, plus OF for count 1; SF ZF AF PF are not affected
 *                (checked: they must come through from the input flags)
 */
#include "cc_test.h"

TestSuite(cc_shift, .timeout = 60);

CC_HOST4(h_shl, "shl", "%%cl, %[x]", "c")
CC_HOST4(h_shr, "shr", "%%cl, %[x]", "c")
CC_HOST4(h_sar, "sar", "%%cl, %[x]", "c")
CC_HOST4(h_rol, "rol", "%%cl, %[x]", "c")
CC_HOST4(h_ror, "ror", "%%cl, %[x]", "c")

static unsigned masked_count(unsigned bits, uint64_t b)
{
    return (unsigned)(b & (bits == 64 ? 63 : 31));
}

/* counts around 0, 1, the operand size and the mask */
static uint64_t gen_count(CcRng *r, unsigned bits)
{
    static const uint64_t edges[] = {0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 63};
    uint64_t v = cc_rng_next(r);
    if ((v & 3) == 0) {
        return edges[(v >> 8) % ARRAY_LEN(edges)];
    }
    return (v >> 16) % (2 * bits);
}

static uint32_t mask_shift(unsigned bits, uint64_t b, bool cf_undef_big)
{
    unsigned c = masked_count(bits, b);
    if (c == 0) {
        return 0;
    }
    uint32_t m = CC_C | CC_S | CC_Z | CC_P | (c == 1 ? CC_O : 0);
    if (cf_undef_big && c >= bits) {
        m &= ~CC_C;
    }
    return m;
}

static uint32_t mask_shl_shr(unsigned bits, uint64_t b)
{
    return mask_shift(bits, b, true);
}

static uint32_t mask_sar(unsigned bits, uint64_t b)
{
    return mask_shift(bits, b, false);
}

static uint32_t mask_rot(unsigned bits, uint64_t b)
{
    unsigned c = masked_count(bits, b);
    if (c == 0) {
        return 0;
    }
    return c == 1 ? CC_ALL : CC_ALL & ~CC_O;
}

static void src_shl(unsigned bits, uint64_t a, uint64_t b, uint64_t fin,
                    uint64_t *s1, uint64_t *s2)
{
    *s1 = (a << (masked_count(bits, b) - 1)) & MASK(bits);
    *s2 = 0;
}

static void src_shr(unsigned bits, uint64_t a, uint64_t b, uint64_t fin,
                    uint64_t *s1, uint64_t *s2)
{
    *s1 = (a & MASK(bits)) >> (masked_count(bits, b) - 1);
    *s2 = 0;
}

static void src_sar(unsigned bits, uint64_t a, uint64_t b, uint64_t fin,
                    uint64_t *s1, uint64_t *s2)
{
    int64_t sa = (int64_t)(a << (64 - bits)) >> (64 - bits);
    *s1 = (uint64_t)(sa >> (masked_count(bits, b) - 1)) & MASK(bits);
    *s2 = 0;
}

static void src_flags(unsigned bits, uint64_t a, uint64_t b, uint64_t fin,
                      uint64_t *s1, uint64_t *s2)
{
    *s1 = fin;
    *s2 = 0;
}

Test(cc_shift, shl)
{
    CcSpec s = {"shl",
                h_shl,
                CC_CLASS_SHL,
                .mask_fn = mask_shl_shr,
                .operands = src_shl,
                .gen_b = gen_count};
    cc_run(&s, 21);
}

Test(cc_shift, shr)
{
    CcSpec s = {"shr",
                h_shr,
                CC_CLASS_SHR,
                .mask_fn = mask_shl_shr,
                .operands = src_shr,
                .gen_b = gen_count};
    cc_run(&s, 22);
}

Test(cc_shift, sar)
{
    CcSpec s = {"sar",
                h_sar,
                CC_CLASS_SAR,
                .mask_fn = mask_sar,
                .operands = src_sar,
                .gen_b = gen_count};
    cc_run(&s, 23);
}

Test(cc_shift, rol)
{
    CcSpec s = {"rol",
                h_rol,
                CC_CLASS_ROL,
                .mask_fn = mask_rot,
                .operands = src_flags,
                .gen_b = gen_count};
    cc_run(&s, 24);
}

Test(cc_shift, ror)
{
    CcSpec s = {"ror",
                h_ror,
                CC_CLASS_ROR,
                .mask_fn = mask_rot,
                .operands = src_flags,
                .gen_b = gen_count};
    cc_run(&s, 25);
}

/* one worked example per class, independent of the host */
Test(cc_shift, examples)
{
    /* shl al,1 with al=0x80: result 0, CF=1, OF = 0 ^ 1 */
    cr_assert_eq(cc_compute_all(CC_OP_SHLB, 0, 0x80, 0),
                 CC_C | CC_Z | CC_P | CC_O);
    /* shr al,1 with al=0x81: result 0x40, CF=1, OF = old top bit = 1 */
    cr_assert_eq(cc_compute_all(CC_OP_SHRB, 0x40, 0x81, 0), CC_C | CC_O);
    /* rol al,1 with al=0x80 -> 0x01: CF=1, OF = 0 ^ 1; ZF kept */
    cr_assert_eq(cc_compute_all(CC_OP_ROLB, 0x01, CC_Z, 0), CC_C | CC_O | CC_Z);
}
