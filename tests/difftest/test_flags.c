/*
 * Directed differential tests of the translator's flag handling
 * (translate_flags.c): every condition after every flag class the
 * translator evaluates inline, at every operand size, as SETcc, CMOVcc and
 * fused Jcc, with INC/DEC or ADC between producer and consumer (the inline
 * carry), and with a faulting load between a producer and PUSHF (the
 * exception must see the producer's exact flags). Each snippet runs on the
 * host CPU, the JIT and the interpreter. Conditions that read a flag the
 * producer leaves undefined are not generated; those flags are masked.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "dt_fixture.h"
#include "util/common.h"

static void setup(void)
{
    dt_fixture_reset();
}

TestSuite(difftest_flags, .init = setup, .timeout = 300);

/* condition pairs (CcCond >> 1) a producer defines: bit k */
#define K_ALL 0xffu
#define K_NO_OF 0x3eu /* O, L, LE read OF */
#define K_CO 0x03u    /* O and B only */
#define K_CZ 0x0eu    /* B, E, BE */

typedef struct FlProd {
    const char *name;
    uint8_t op8, op; /* opcode byte for 8-bit and wider forms (0: none) */
    uint8_t modrm;
    int imm;     /* imm8 or -1 */
    uint8_t pre; /* 0x66/0xf3-style mandatory prefix (with esc) or 0 */
    bool esc;    /* 0x0f map */
    bool nosize; /* no operand (CLC...): size 8 only */
    unsigned conds;
    uint32_t undef; /* DT_* flags left undefined */
} FlProd;

/* destination rax (rm), source rbx (reg); d8 = mod 3, reg rbx, rm rax */
static const FlProd prods[] = {
    {"add", 0x00, 0x01, 0xd8, -1, 0, false, false, K_ALL, 0},
    {"or", 0x08, 0x09, 0xd8, -1, 0, false, false, K_ALL, DT_AF},
    {"adc", 0x10, 0x11, 0xd8, -1, 0, false, false, K_ALL, 0},
    {"sbb", 0x18, 0x19, 0xd8, -1, 0, false, false, K_ALL, 0},
    {"and", 0x20, 0x21, 0xd8, -1, 0, false, false, K_ALL, DT_AF},
    {"sub", 0x28, 0x29, 0xd8, -1, 0, false, false, K_ALL, 0},
    {"xor", 0x30, 0x31, 0xd8, -1, 0, false, false, K_ALL, DT_AF},
    {"cmp", 0x38, 0x39, 0xd8, -1, 0, false, false, K_ALL, 0},
    {"test", 0x84, 0x85, 0xd8, -1, 0, false, false, K_ALL, DT_AF},
    {"clr", 0x30, 0x31, 0xc0, -1, 0, false, false, K_ALL, DT_AF},
    {"inc", 0xfe, 0xff, 0xc0, -1, 0, false, false, K_ALL, 0},
    {"dec", 0xfe, 0xff, 0xc8, -1, 0, false, false, K_ALL, 0},
    {"neg", 0xf6, 0xf7, 0xd8, -1, 0, false, false, K_ALL, 0},
    {"shl1", 0xc0, 0xc1, 0xe0, 1, 0, false, false, K_ALL, DT_AF},
    {"shl5", 0xc0, 0xc1, 0xe0, 5, 0, false, false, K_NO_OF, DT_AF | DT_OF},
    {"shr1", 0xc0, 0xc1, 0xe8, 1, 0, false, false, K_ALL, DT_AF},
    {"shr5", 0xc0, 0xc1, 0xe8, 5, 0, false, false, K_NO_OF, DT_AF | DT_OF},
    {"sar1", 0xc0, 0xc1, 0xf8, 1, 0, false, false, K_ALL, DT_AF},
    {"sar5", 0xc0, 0xc1, 0xf8, 5, 0, false, false, K_NO_OF, DT_AF | DT_OF},
    {"rol1", 0xc0, 0xc1, 0xc0, 1, 0, false, false, K_ALL, 0},
    {"rol5", 0xc0, 0xc1, 0xc0, 5, 0, false, false, K_NO_OF, DT_OF},
    {"ror1", 0xc0, 0xc1, 0xc8, 1, 0, false, false, K_ALL, 0},
    {"ror5", 0xc0, 0xc1, 0xc8, 5, 0, false, false, K_NO_OF, DT_OF},
    {"mul", 0xf6, 0xf7, 0xe3, -1, 0, false, false, K_CO,
     DT_SF | DT_ZF | DT_AF | DT_PF},
    {"imul", 0xf6, 0xf7, 0xeb, -1, 0, false, false, K_CO,
     DT_SF | DT_ZF | DT_AF | DT_PF},
    {"bt", 0, 0xa3, 0xd8, -1, 0, true, false, K_CZ,
     DT_OF | DT_SF | DT_AF | DT_PF},
    {"popcnt", 0, 0xb8, 0xc3, -1, 0xf3, true, false, K_ALL, 0},
    {"cmc", 0, 0xf5, 0, -1, 0, false, true, K_ALL, 0},
    {"stc", 0, 0xf9, 0, -1, 0, false, true, K_ALL, 0},
};

typedef struct Buf {
    uint8_t b[DT_CODE_MAX];
    size_t n;
} Buf;

static void put(Buf *b, unsigned n, const uint8_t *v)
{
    cr_assert_leq(b->n + n, sizeof(b->b));
    memcpy(b->b + b->n, v, n);
    b->n += n;
}

#define PUT(buf, ...)                                                          \
    do {                                                                       \
        const uint8_t v_[] = {__VA_ARGS__};                                    \
        put(buf, sizeof(v_), v_);                                              \
    } while (0)

static bool prod_has_size(const FlProd *p, unsigned size)
{
    if (p->nosize) {
        return size == 8;
    }
    return size == 1 ? p->op8 != 0 : true;
}

static void emit_prod(Buf *b, const FlProd *p, unsigned size)
{
    if (p->nosize) {
        PUT(b, p->op);
        return;
    }
    if (size == 2) {
        PUT(b, 0x66);
    }
    if (p->pre) {
        PUT(b, p->pre);
    }
    if (size == 8) {
        PUT(b, 0x48);
    }
    if (p->esc) {
        PUT(b, 0x0f);
    }
    PUT(b, size == 1 ? p->op8 : p->op, p->modrm);
    if (p->imm >= 0) {
        PUT(b, (uint8_t)p->imm);
    }
}

/* setcc [rdi + cc] for every defined condition */
static void emit_setcc_all(Buf *b, unsigned conds)
{
    for (unsigned cc = 0; cc < 16; cc++) {
        if (conds & (1u << (cc >> 1))) {
            PUT(b, 0x0f, (uint8_t)(0x90 + cc), 0x47, (uint8_t)cc);
        }
    }
}

/* cmovcc r(8 + cc % 8), rsi for the defined conditions of one half */
static void emit_cmov_half(Buf *b, unsigned conds, unsigned half)
{
    for (unsigned cc = half * 8; cc < half * 8 + 8; cc++) {
        if (conds & (1u << (cc >> 1))) {
            PUT(b, 0x4c, 0x0f, (uint8_t)(0x40 + cc),
                (uint8_t)(0xc6 | ((cc & 7) << 3)));
        }
    }
}

static const uint64_t edge[] = {0,
                                1,
                                2,
                                0x7f,
                                0x80,
                                0xff,
                                0x7fff,
                                0x8000,
                                0xffff,
                                0x7fffffff,
                                0x80000000,
                                0xffffffff,
                                0x7fffffffffffffffull,
                                0x8000000000000000ull,
                                0xffffffffffffffffull,
                                0x123456789abcdef0ull};

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t pick(uint64_t *s)
{
    uint64_t r = rnd(s);
    return (r & 3) ? edge[(r >> 8) % ARRAY_LEN(edge)] : rnd(s);
}

/* operands: rax = a, rbx = b (copies in r14/r15), rdi = data, rsi = 0x5a */
static void init_case(uint64_t *seed)
{
    dt_fixture_reset();
    tc.init.gpr[DT_RAX] = tc.init.gpr[DT_R14] = pick(seed);
    tc.init.gpr[DT_RBX] = tc.init.gpr[DT_R15] = pick(seed);
    tc.init.gpr[DT_RCX] = pick(seed);
    tc.init.gpr[DT_RDX] = pick(seed);
    tc.init.gpr[DT_RBP] = pick(seed);
    tc.init.gpr[DT_RDI] = DT_DATA_ADDR;
    tc.init.gpr[DT_RSI] = 0x5a;
    tc.init.rflags = rnd(seed) & DT_FLAGS_STATUS;
}

static void run_buf(const Buf *b, uint32_t undef)
{
    tc.code = b->b;
    tc.len = b->n;
    run3(undef);
    cr_assert_eq(native.exception, DT_EXC_NONE);
}

#define VALUES 6

/* middle: 0 none, 1 inc rcx, 2 dec rcx, 3 adc rdx, rbp */
static void check_setcc(unsigned middle)
{
    static const uint8_t mid[][3] = {
        {0}, {0x48, 0xff, 0xc1}, {0x48, 0xff, 0xc9}, {0x48, 0x11, 0xea}};
    uint64_t seed = 0x5eed0000 + middle;
    for (unsigned i = 0; i < ARRAY_LEN(prods); i++) {
        const FlProd *p = &prods[i];
        for (unsigned size = 1; size <= 8; size *= 2) {
            if (!prod_has_size(p, size)) {
                continue;
            }
            for (unsigned v = 0; v < VALUES; v++) {
                Buf b = {.n = 0};
                init_case(&seed);
                emit_prod(&b, p, size);
                unsigned conds = p->conds;
                uint32_t undef = p->undef;
                if (middle) {
                    put(&b, 3, mid[middle]);
                    /* INC/DEC define all but CF; ADC all */
                    conds = middle == 3 || !(undef & DT_CF) ? K_ALL : 0;
                    undef = middle == 3 ? 0 : undef & DT_CF;
                }
                emit_setcc_all(&b, conds);
                emit_cmov_half(&b, conds, v & 1);
                run_buf(&b, undef);
            }
        }
    }
}

Test(difftest_flags, every_condition_after_every_class_and_size)
{
    check_setcc(0);
}

Test(difftest_flags, inc_dec_between_producer_and_consumer)
{
    check_setcc(1);
    check_setcc(2);
}

Test(difftest_flags, adc_carry_from_every_class)
{
    check_setcc(3);
}

/* mov rax, r14; mov rbx, r15; producer; jcc +7; lea r8, [r8 + bit] */
static void emit_jcc_chain(Buf *b, const FlProd *p, unsigned size)
{
    for (unsigned cc = 0; cc < 16; cc++) {
        if (!(p->conds & (1u << (cc >> 1)))) {
            continue;
        }
        PUT(b, 0x4c, 0x89, 0xf0, 0x4c, 0x89, 0xfb);
        emit_prod(b, p, size);
        uint32_t bit = 1u << cc;
        PUT(b, (uint8_t)(0x70 + cc), 7, 0x4d, 0x8d, 0x80, (uint8_t)bit,
            (uint8_t)(bit >> 8), 0, 0);
    }
}

Test(difftest_flags, fused_jcc_every_condition)
{
    uint64_t seed = 0x1cc;
    for (unsigned i = 0; i < ARRAY_LEN(prods); i++) {
        const FlProd *p = &prods[i];
        for (unsigned size = 1; size <= 8; size *= 2) {
            if (!prod_has_size(p, size)) {
                continue;
            }
            for (unsigned v = 0; v < VALUES / 2; v++) {
                Buf b = {.n = 0};
                init_case(&seed);
                tc.init.gpr[DT_R8] = 0;
                emit_jcc_chain(&b, p, size);
                run_buf(&b, p->undef);
            }
        }
    }
}

/*
 * producer; mov ecx, [0] (#PF); xor eax, eax; pushf: the fault must report
 * the producer's flags although XOR overwrites them all before PUSHF reads
 * them (liveness must not call them dead across the load).
 */
Test(difftest_flags, faulting_load_sees_exact_flags)
{
    uint64_t seed = 0xfa17;
    for (unsigned i = 0; i < ARRAY_LEN(prods); i++) {
        const FlProd *p = &prods[i];
        for (unsigned size = 1; size <= 8; size *= 2) {
            if (!prod_has_size(p, size)) {
                continue;
            }
            Buf b = {.n = 0};
            init_case(&seed);
            emit_prod(&b, p, size);
            PUT(&b, 0x8b, 0x0c, 0x25, 0, 0, 0, 0, 0x31, 0xc0, 0x9c);
            tc.code = b.b;
            tc.len = b.n;
            run3(p->undef);
            cr_assert_eq(native.exception, DT_EXC_PF);
            cr_assert_eq(jit.exception, DT_EXC_PF);
            cr_assert_eq(jit.final.rip, DT_CODE_ADDR + b.n - 10);
        }
    }
}

/*
 * Dead producers: add; sub; xor; cmp; jcc. The first three skip their
 * flag work; the results and the final flags must still match, and a
 * shift by CL (which keeps the flags for a zero count) must not count as
 * overwriting them.
 */
Test(difftest_flags, dead_producers_and_conditional_writers)
{
    tc.init.gpr[DT_RAX] = 5;
    tc.init.gpr[DT_RBX] = 7;
    tc.init.gpr[DT_RCX] = 0;
    /* add rax, rbx; sub rdx, rcx; xor esi, esi; cmp rax, rbx; jl +4;
       lea r8, [r8 + 1] */
    CASE(0x48, 0x01, 0xd8, 0x48, 0x29, 0xca, 0x31, 0xf6, 0x48, 0x39, 0xd8, 0x7c,
         0x04, 0x4d, 0x8d, 0x40, 0x01);
    run3(0);
    /* sub rax, rbx (CF = 1, ZF = 0); shl rdx, cl (cl = 0: flags kept);
       setb [rdi]; pushf */
    tc.init.gpr[DT_RDI] = DT_DATA_ADDR;
    tc.init.gpr[DT_RSP] = DT_DATA_ADDR + 0x800;
    CASE(0x48, 0x29, 0xd8, 0x48, 0xd3, 0xe2, 0x0f, 0x92, 0x07, 0x9c);
    run3(0);
    cr_assert_eq(jit.final.data[0], 1);
    cr_assert_eq(interp.final.data[0], 1);
    /* the same with cl = 3: now the shift's flags (AF is undefined: no
       pushf, which would store it) */
    CASE(0x48, 0x29, 0xd8, 0x48, 0xd3, 0xe2, 0x0f, 0x92, 0x07);
    tc.init.gpr[DT_RCX] = 3;
    tc.init.gpr[DT_RDX] = 0x2000000000000000ull;
    run3(DT_AF | DT_OF);
    cr_assert_eq(jit.final.data[0], 1);
    /* inc rcx with CF dead after it (add overwrites it) and live (jc) */
    CASE(0x48, 0xff, 0xc1, 0x48, 0x01, 0xd8, 0x0f, 0x92, 0x07);
    run3(0);
    CASE(0xf9, 0x48, 0xff, 0xc1, 0x0f, 0x92, 0x07, 0x9c);
    run3(0);
    cr_assert_eq(jit.final.data[0], 1);
}

/*
 * A dec loop: each iteration's block enters with the state left by the
 * previous one (dynamic at translation time). DEC keeps CF: the first
 * iteration finds STC's state (the helper path), the others DEC's own
 * (the inline path). Then an ADD carry through INC in a loop of its own.
 */
Test(difftest_flags, dec_loop_keeps_cf_across_blocks)
{
    tc.init.gpr[DT_RDI] = DT_DATA_ADDR;
    /* stc; mov ecx, 5; l: dec rcx; jnz l; setc [rdi]; setz [rdi + 1] */
    CASE(0xf9, 0xb9, 0x05, 0x00, 0x00, 0x00, 0x48, 0xff, 0xc9, 0x75, 0xfb, 0x0f,
         0x92, 0x07, 0x0f, 0x94, 0x47, 0x01);
    run3(0);
    cr_assert_eq(jit.final.data[0], 1);
    cr_assert_eq(jit.final.data[1], 1);
    /* add rax, rbx (carry); mov ecx, 3; l: inc rdx; dec rcx; jnz l;
       adc rsi, 0 */
    tc.init.gpr[DT_RAX] = ~0ull;
    tc.init.gpr[DT_RBX] = 2;
    tc.init.gpr[DT_RSI] = 10;
    CASE(0x48, 0x01, 0xd8, 0xb9, 0x03, 0x00, 0x00, 0x00, 0x48, 0xff, 0xc2, 0x48,
         0xff, 0xc9, 0x75, 0xf8, 0x48, 0x83, 0xd6, 0x00);
    run3(0);
    cr_assert_eq(jit.final.gpr[DT_RSI], 11);
    cr_assert_eq(interp.final.gpr[DT_RSI], 11);
}
