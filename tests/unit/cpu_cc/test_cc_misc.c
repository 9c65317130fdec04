/*
 * Lazy flags of MUL/IMUL, the BMI1 group, ADCX/ADOX and POPCNT against the
 * host CPU, plus the 16 conditions against the host's SETcc. Masks (SDM
 * vol. 2): MUL IMUL define only CF and OF; ANDN BLSI BLSMSK BLSR define
 * CF ZF SF OF (AF PF undefined); TZCNT defines CF and ZF; ADCX changes only
 * CF and ADOX only OF (all six are checked: the rest must pass through);
 * POPCNT defines all six. Tests of instructions the host lacks are skipped.
 */
#include <cpuid.h>

#include "cc_test.h"

TestSuite(cc_misc, .timeout = 60);

/* ---- MUL / IMUL: one-operand forms, the high half in AH/DX/EDX/RDX ---- */

#define H_MUL8(name, mn)                                                       \
    static uint64_t name##_0(uint64_t a, uint64_t b, uint64_t fin,             \
                             uint64_t *fout)                                   \
    {                                                                          \
        uint16_t ax = (uint8_t)a;                                              \
        uint8_t y = (uint8_t)b;                                                \
        uint64_t f;                                                            \
        __asm__ volatile(CC_ASM_FLAGS(mn " %[y]")                              \
                         : "+a"(ax), [fout] "=&r"(f)                           \
                         : [y] "q"(y), [fin] "r"(fin)                          \
                         : "cc");                                              \
        *fout = f;                                                             \
        return ax & 0xff;                                                      \
    }
#define H_MULN(name, mn, T, L)                                                 \
    static uint64_t name##_##L(uint64_t a, uint64_t b, uint64_t fin,           \
                               uint64_t *fout)                                 \
    {                                                                          \
        T lo = (T)a, hi, y = (T)b;                                             \
        uint64_t f;                                                            \
        __asm__ volatile(CC_ASM_FLAGS(mn " %[y]")                              \
                         : "+a"(lo), "=&d"(hi), [fout] "=&r"(f)                \
                         : [y] "r"(y), [fin] "r"(fin)                          \
                         : "cc");                                              \
        (void)hi;                                                              \
        *fout = f;                                                             \
        return lo;                                                             \
    }
#define H_MUL4(name, mn)                                                       \
    H_MUL8(name, mn "b")                                                       \
    H_MULN(name, mn "w", uint16_t, 1)                                          \
    H_MULN(name, mn "l", uint32_t, 2)                                          \
    H_MULN(name, mn "q", uint64_t, 3)                                          \
    static CcHostFn *const name[4] = {name##_0, name##_1, name##_2, name##_3};

H_MUL4(h_mul, "mul")
H_MUL4(h_imul, "imul")

static int64_t sext(uint64_t v, unsigned bits)
{
    return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

static void src_mul_hi(unsigned bits, uint64_t a, uint64_t b, uint64_t fin,
                       uint64_t *s1, uint64_t *s2)
{
    unsigned __int128 p = (unsigned __int128)a * b;
    *s1 = (uint64_t)(p >> bits) & MASK(bits);
    *s2 = 0;
}

static void src_imul_hi(unsigned bits, uint64_t a, uint64_t b, uint64_t fin,
                        uint64_t *s1, uint64_t *s2)
{
    __int128 p = (__int128)sext(a, bits) * sext(b, bits);
    *s1 = (uint64_t)(p >> bits) & MASK(bits);
    *s2 = 0;
}

Test(cc_misc, mul)
{
    CcSpec s = {"mul", h_mul, CC_CLASS_MUL, .mask = CC_C | CC_O,
                .operands = src_mul_hi};
    cc_run(&s, 31);
}

Test(cc_misc, imul)
{
    CcSpec s = {"imul", h_imul, CC_CLASS_IMUL, .mask = CC_C | CC_O,
                .operands = src_imul_hi};
    cc_run(&s, 32);
}

/* ---- BMI1 ---- */

static bool host_has(unsigned leaf, int reg, unsigned bit)
{
    unsigned r[4] = {0};
    if (!__get_cpuid_count(leaf, 0, &r[0], &r[1], &r[2], &r[3])) {
        return false;
    }
    return (r[reg] >> bit) & 1;
}
#define HAS_BMI1() host_has(7, 1, 3)
#define HAS_ADX() host_has(7, 1, 19)
#define HAS_POPCNT() host_has(1, 2, 23)

CC_HOST_LQ(h_andn, "andn %[y], %[x], %[x]")
CC_HOST_LQ(h_blsi, "blsi %[y], %[x]")
CC_HOST_LQ(h_blsmsk, "blsmsk %[y], %[x]")
CC_HOST_LQ(h_blsr, "blsr %[y], %[x]")
CC_HOST_SZ(h_tzcnt, "tzcntw %[y], %[x]", uint16_t, 1, "r")
CC_HOST_SZ(h_tzcnt, "tzcntl %[y], %[x]", uint32_t, 2, "r")
CC_HOST_SZ(h_tzcnt, "tzcntq %[y], %[x]", uint64_t, 3, "r")
static CcHostFn *const h_tzcnt[4] = {NULL, h_tzcnt_1, h_tzcnt_2, h_tzcnt_3};

/* BMI class: the translator records CF (0/1) in cc_src */
static void src_cf_zero(unsigned bits, uint64_t a, uint64_t b, uint64_t fin,
                        uint64_t *s1, uint64_t *s2)
{
    *s1 = 0;
    *s2 = 0;
}

static void src_cf_nonzero_src(unsigned bits, uint64_t a, uint64_t b,
                               uint64_t fin, uint64_t *s1, uint64_t *s2)
{
    *s1 = (b & MASK(bits)) != 0;
    *s2 = 0;
}

static void src_cf_zero_src(unsigned bits, uint64_t a, uint64_t b, uint64_t fin,
                            uint64_t *s1, uint64_t *s2)
{
    *s1 = (b & MASK(bits)) == 0;
    *s2 = 0;
}

Test(cc_misc, bmi1)
{
    if (!HAS_BMI1()) {
        cr_skip_test("host has no BMI1");
    }
    const uint32_t m = CC_C | CC_Z | CC_S | CC_O;
    CcSpec specs[] = {
        {"andn", h_andn, CC_CLASS_BMI, .mask = m, .operands = src_cf_zero},
        {"blsi", h_blsi, CC_CLASS_BMI, .mask = m,
         .operands = src_cf_nonzero_src},
        {"blsmsk", h_blsmsk, CC_CLASS_BMI, .mask = m,
         .operands = src_cf_zero_src},
        {"blsr", h_blsr, CC_CLASS_BMI, .mask = m, .operands = src_cf_zero_src},
        {"tzcnt", h_tzcnt, CC_CLASS_BMI, .mask = CC_C | CC_Z,
         .operands = src_cf_zero_src},
    };
    for (size_t i = 0; i < ARRAY_LEN(specs); i++) {
        cc_run(&specs[i], 40 + i);
    }
}

/* ---- ADX ---- */

CC_HOST_LQ(h_adcx, "adcx %[y], %[x]")
CC_HOST_LQ(h_adox, "adox %[y], %[x]")

static void src_adx(unsigned bits, uint64_t a, uint64_t b, uint64_t fin,
                    uint64_t *s1, uint64_t *s2)
{
    *s1 = b;
    *s2 = fin;
}

Test(cc_misc, adcx_adox)
{
    if (!HAS_ADX()) {
        cr_skip_test("host has no ADX");
    }
    CcSpec cx = {"adcx", h_adcx, CC_CLASS_ADCX, .mask = CC_ALL,
                 .operands = src_adx};
    CcSpec ox = {"adox", h_adox, CC_CLASS_ADOX, .mask = CC_ALL,
                 .operands = src_adx};
    cc_run(&cx, 50);
    cc_run(&ox, 51);
}

/* ---- POPCNT ---- */

CC_HOST_SZ(h_popcnt, "popcntw %[y], %[x]", uint16_t, 1, "r")
CC_HOST_SZ(h_popcnt, "popcntl %[y], %[x]", uint32_t, 2, "r")
CC_HOST_SZ(h_popcnt, "popcntq %[y], %[x]", uint64_t, 3, "r")
static CcHostFn *const h_popcnt[4] = {NULL, h_popcnt_1, h_popcnt_2, h_popcnt_3};

Test(cc_misc, popcnt)
{
    if (!HAS_POPCNT()) {
        cr_skip_test("host has no POPCNT");
    }
    CcSpec s = {"popcnt",     h_popcnt,       CC_CLASS_NONE,
                CC_OP_POPCNT, .mask = CC_ALL, .operands = cc_src_none};
    cc_run(&s, 60);
}

/* ---- materialized flags and the 16 conditions ---- */

Test(cc_misc, eflags_passthrough)
{
    CcRng r = {70};
    for (int i = 0; i < CC_CASES; i++) {
        uint64_t f = cc_rng_next(&r);
        cr_assert_eq(cc_compute_all(CC_OP_EFLAGS, 0, f, 0), f & CC_ALL);
    }
}

#define H_SET(cc)                                                              \
    static bool h_set_##cc(uint64_t fin)                                       \
    {                                                                          \
        uint8_t v;                                                             \
        uint64_t f;                                                            \
        __asm__ volatile(CC_ASM_FLAGS("set" #cc " %[v]")                       \
                         : [v] "=q"(v), [fout] "=&r"(f)                        \
                         : [fin] "r"(fin)                                      \
                         : "cc");                                              \
        return v;                                                              \
    }
H_SET(o)
H_SET(no)
H_SET(b)
H_SET(ae)
H_SET(e)
H_SET(ne)
H_SET(be)
H_SET(a)
H_SET(s)
H_SET(ns)
H_SET(p)
H_SET(np)
H_SET(l)
H_SET(ge)
H_SET(le)
H_SET(g)

static bool (*const h_set[16])(uint64_t) = {
    h_set_o, h_set_no, h_set_b, h_set_ae, h_set_e, h_set_ne, h_set_be, h_set_a,
    h_set_s, h_set_ns, h_set_p, h_set_np, h_set_l, h_set_ge, h_set_le, h_set_g,
};

/* every combination of the six flags, every condition */
Test(cc_misc, conditions_exhaustive)
{
    static const uint32_t bits[6] = {CC_C, CC_P, CC_A, CC_Z, CC_S, CC_O};
    for (unsigned combo = 0; combo < 64; combo++) {
        uint32_t f = 0;
        for (int k = 0; k < 6; k++) {
            f |= (combo >> k) & 1 ? bits[k] : 0;
        }
        for (unsigned c = 0; c < 16; c++) {
            cr_assert_eq(cc_test_cond((CcCond)c, f), h_set[c](f | 0x202),
                         "cond %u flags 0x%x", c, f);
            cr_assert_eq(cc_eval_cond((CcCond)c, CC_OP_EFLAGS, 0, f, 0),
                         h_set[c](f | 0x202));
        }
    }
}

Test(cc_misc, op_names)
{
    cr_assert_str_eq(cc_op_name(CC_OP_ADDL), "ADDL");
    cr_assert_str_eq(cc_op_name(CC_OP_ADOXQ), "ADOXQ");
    cr_assert_str_eq(cc_op_name(CC_OP_EFLAGS), "EFLAGS");
    cr_assert_eq(cc_op_class(CC_OP_SHRW), CC_CLASS_SHR);
    cr_assert_eq(cc_op_bits(CC_OP_SHRW), 16);
}
