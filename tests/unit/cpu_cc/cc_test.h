/*
 * Shared pieces of the lazy-flags tests: a fixed-seed generator that mixes
 * edge operands (0, 1, -1, sign boundaries) with random ones, the asm
 * wrapper that runs one host instruction with chosen input flags and
 * returns the output flags, and the comparison helper.
 *
 * Flags are compared only where the SDM defines them; each test documents
 * its mask. The wrappers step 128 bytes below RSP before PUSHF/POPF so the
 * red zone the compiler may use stays intact.
 */
#ifndef XLAT_TESTS_CC_TEST_H
#define XLAT_TESTS_CC_TEST_H

#include <criterion/criterion.h>
#include <stdint.h>

#include "cpu/cc.h"
#include "util/common.h"

#define CC_CASES 5000 /* per op and size */

typedef struct CcRng {
    uint64_t s;
} CcRng;

static inline uint64_t cc_rng_next(CcRng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

/* an operand of `bits` bits: one case in four is an edge value */
static inline uint64_t cc_operand(CcRng *r, unsigned bits)
{
    uint64_t m = MASK(bits), sign = BIT(bits - 1);
    const uint64_t edges[] = {0,        1,        2,   m,    m - 1, sign,
                              sign - 1, sign + 1, 0xf, 0x10, 0x7f,  0x80};
    uint64_t v = cc_rng_next(r);
    if ((v & 3) == 0) {
        return edges[(v >> 8) % ARRAY_LEN(edges)] & m;
    }
    return cc_rng_next(r) & m;
}

/* random input flags: the six arithmetic ones, bit 1, IF */
static inline uint64_t cc_flags_in(CcRng *r)
{
    return (cc_rng_next(r) & CC_ALL) | 0x202;
}

#define CC_ASM_FLAGS(body)                                                     \
    "lea -128(%%rsp), %%rsp\n\t"                                               \
    "push %[fin]\n\t"                                                          \
    "popfq\n\t" body "\n\t"                                                    \
    "pushfq\n\t"                                                               \
    "pop %[fout]\n\t"                                                          \
    "lea 128(%%rsp), %%rsp"

/* compare our flags with the host's under mask; print the case on failure */
#define CC_CHECK(name, size_log2, mask, ours, host, a, b, extra)               \
    cr_assert_eq((ours) & (mask), (uint32_t)(host) & (mask),                   \
                 "%s/%u a=0x%llx b=0x%llx extra=0x%llx: ours 0x%x host "       \
                 "0x%x mask 0x%x",                                             \
                 name, 8u << (size_log2), (unsigned long long)(a),             \
                 (unsigned long long)(b), (unsigned long long)(extra),         \
                 (unsigned)(ours), (unsigned)((host)&CC_ALL),                  \
                 (unsigned)(mask))

/* cc_compute_c must agree with cc_compute_all */
static inline void cc_check_c(CcOp op, uint64_t d, uint64_t s1, uint64_t s2)
{
    uint32_t all = cc_compute_all(op, d, s1, s2);
    cr_assert_eq(cc_compute_c(op, d, s1, s2), all & CC_C, "cc_compute_c %s",
                 cc_op_name(op));
}

/* host instruction: x = f(x, y) with flags in/out */
typedef uint64_t CcHostFn(uint64_t x, uint64_t y, uint64_t fin, uint64_t *fout);

/* one host function: x = body(x, y), y passed with constraint ycons */
#define CC_HOST_SZ(name, body, T, L, ycons)                                    \
    static uint64_t name##_##L(uint64_t a, uint64_t b, uint64_t fin,           \
                               uint64_t *fout)                                 \
    {                                                                          \
        T x = (T)a, y = (T)b;                                                  \
        uint64_t f;                                                            \
        __asm__ volatile(CC_ASM_FLAGS(body)                                    \
                         : [x] "+r"(x), [fout] "=&r"(f)                        \
                         : [y] ycons(y), [fin] "r"(fin)                        \
                         : "cc");                                              \
        *fout = f;                                                             \
        return x;                                                              \
    }

/* the four sizes of `mn` with AT&T operands `ops`: NAME[0..3] */
#define CC_HOST4(name, mn, ops, ycons)                                         \
    CC_HOST_SZ(name, mn "b " ops, uint8_t, 0, ycons)                           \
    CC_HOST_SZ(name, mn "w " ops, uint16_t, 1, ycons)                          \
    CC_HOST_SZ(name, mn "l " ops, uint32_t, 2, ycons)                          \
    CC_HOST_SZ(name, mn "q " ops, uint64_t, 3, ycons)                          \
    static CcHostFn *const name[4] = {name##_0, name##_1, name##_2, name##_3};

/* 32/64-bit only forms (BMI, ADX): NAME[2..3], no size suffix */
#define CC_HOST_LQ(name, body)                                                 \
    CC_HOST_SZ(name, body, uint32_t, 2, "r")                                   \
    CC_HOST_SZ(name, body, uint64_t, 3, "r")                                   \
    static CcHostFn *const name[4] = {NULL, NULL, name##_2, name##_3};

/* one flag-producing instruction and how to describe it lazily */
typedef struct CcSpec {
    const char *name;
    CcHostFn *const *host; /* per size; NULL sizes are skipped */
    CcClass cls;           /* CC_CLASS_NONE: use `op` for every size */
    CcOp op;
    uint32_t mask; /* flags the SDM defines (when mask_fn is NULL) */
    /* defined flags for this count/operand; 0 skips the case */
    uint32_t (*mask_fn)(unsigned bits, uint64_t b);
    /* cc_src/cc_src2 as the translator would record them */
    void (*operands)(unsigned bits, uint64_t a, uint64_t b, uint64_t fin,
                     uint64_t *s1, uint64_t *s2);
    uint64_t (*gen_b)(CcRng *r, unsigned bits); /* NULL: cc_operand */
} CcSpec;

/* CC_CASES cases per size; also checks cc_compute_c and cc_eval_cond */
void cc_run(const CcSpec *spec, uint64_t seed);

/* operand recorders shared by several specs */
void cc_src_none(unsigned bits, uint64_t a, uint64_t b, uint64_t fin,
                 uint64_t *s1, uint64_t *s2);
void cc_src_b(unsigned bits, uint64_t a, uint64_t b, uint64_t fin, uint64_t *s1,
              uint64_t *s2);

#endif
