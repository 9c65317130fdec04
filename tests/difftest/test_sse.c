/*
 * SSE/SSE2 against the host CPU: XMM0-15 and MXCSR are loaded before and
 * compared after every run (native.c, xlat_run.c). Random sequences of the
 * instructions xlat implements, on random vector values (infinities, NaNs,
 * denormals, integer edges) under random rounding, FZ and DAZ, with
 * register and memory operands (aligned, misaligned: #GP for the aligned
 * forms), sometimes with an exception unmasked (#XM); then directed cases
 * for the moves and the GPR forms. A host without SSE2 skips by name.
 */
#include <stdlib.h>

#include "dt_fixture.h"

TestSuite(sse, .init = dt_fixture_reset, .timeout = 240);

typedef struct SseTmpl {
    uint8_t pfx; /* 0, 0x66, 0xf2, 0xf3 */
    uint8_t op;  /* 0F op */
    uint8_t imm; /* 1: an imm8 follows */
    uint8_t ext; /* 0: reg = xmm (V); 1-7: group /ext with an xmm rm */
    uint8_t gpr; /* 1: reg is a GPR (G), 2: rm is a GPR (E) */
} SseTmpl;

#define T(p, o)                                                                \
    {                                                                          \
        p, o, 0, 0, 0                                                          \
    }
#define TI(p, o)                                                               \
    {                                                                          \
        p, o, 1, 0, 0                                                          \
    }
static const SseTmpl tmpls[] = {
    /* integer */
    T(0x66, 0xdb),
    T(0x66, 0xdf),
    T(0x66, 0xeb),
    T(0x66, 0xef),
    T(0x66, 0xfc),
    T(0x66, 0xfd),
    T(0x66, 0xfe),
    T(0x66, 0xd4),
    T(0x66, 0xf8),
    T(0x66, 0xf9),
    T(0x66, 0xfa),
    T(0x66, 0xfb),
    T(0x66, 0x74),
    T(0x66, 0x75),
    T(0x66, 0x76),
    T(0x66, 0x64),
    T(0x66, 0x65),
    T(0x66, 0x66),
    T(0x66, 0xda),
    T(0x66, 0xde),
    T(0x66, 0xea),
    T(0x66, 0xee),
    T(0x66, 0xdc),
    T(0x66, 0xdd),
    T(0x66, 0xd8),
    T(0x66, 0xd9),
    T(0x66, 0xec),
    T(0x66, 0xed),
    T(0x66, 0xe8),
    T(0x66, 0xe9),
    T(0x66, 0xe0),
    T(0x66, 0xe3),
    T(0x66, 0xd5),
    T(0x66, 0xe5),
    T(0x66, 0xe4),
    T(0x66, 0xf4),
    T(0x66, 0xf5),
    T(0x66, 0xf6),
    T(0x66, 0x60),
    T(0x66, 0x61),
    T(0x66, 0x62),
    T(0x66, 0x6c),
    T(0x66, 0x68),
    T(0x66, 0x69),
    T(0x66, 0x6a),
    T(0x66, 0x6d),
    T(0x66, 0x63),
    T(0x66, 0x67),
    T(0x66, 0x6b),
    T(0x66, 0xd1),
    T(0x66, 0xe1),
    T(0x66, 0xf1),
    T(0x66, 0xd2),
    T(0x66, 0xe2),
    T(0x66, 0xf2),
    T(0x66, 0xd3),
    T(0x66, 0xf3),
    TI(0x66, 0x70),
    TI(0xf2, 0x70),
    TI(0xf3, 0x70),
    {0x66, 0x71, 1, 2, 0},
    {0x66, 0x71, 1, 4, 0},
    {0x66, 0x71, 1, 6, 0},
    {0x66, 0x72, 1, 2, 0},
    {0x66, 0x72, 1, 4, 0},
    {0x66, 0x72, 1, 6, 0},
    {0x66, 0x73, 1, 2, 0},
    {0x66, 0x73, 1, 3, 0},
    {0x66, 0x73, 1, 6, 0},
    {0x66, 0x73, 1, 7, 0},
    /* moves */
    T(0, 0x28),
    T(0, 0x29),
    T(0, 0x10),
    T(0, 0x11),
    T(0x66, 0x28),
    T(0x66, 0x10),
    T(0x66, 0x6f),
    T(0x66, 0x7f),
    T(0xf3, 0x6f),
    T(0xf3, 0x7f),
    T(0xf3, 0x10),
    T(0xf3, 0x11),
    T(0xf2, 0x10),
    T(0xf2, 0x11),
    T(0, 0x12),
    T(0, 0x16),
    T(0x66, 0x12),
    T(0x66, 0x16),
    T(0xf3, 0x7e),
    T(0x66, 0xd6),
    T(0, 0x2b),
    T(0x66, 0xe7),
    {0x66, 0x6e, 0, 0, 2},
    {0x66, 0x7e, 0, 0, 2},
    {0x66, 0xd7, 0, 0, 1},
    {0, 0x50, 0, 0, 1},
    {0x66, 0x50, 0, 0, 1},
    {0x66, 0xc4, 1, 0, 2},
    {0x66, 0xc5, 1, 0, 1},
    /* floating point */
    T(0, 0x58),
    T(0x66, 0x58),
    T(0xf3, 0x58),
    T(0xf2, 0x58),
    T(0, 0x59),
    T(0x66, 0x59),
    T(0xf3, 0x59),
    T(0xf2, 0x59),
    T(0, 0x5c),
    T(0x66, 0x5c),
    T(0xf3, 0x5c),
    T(0xf2, 0x5c),
    T(0, 0x5d),
    T(0x66, 0x5d),
    T(0xf3, 0x5d),
    T(0xf2, 0x5d),
    T(0, 0x5e),
    T(0x66, 0x5e),
    T(0xf3, 0x5e),
    T(0xf2, 0x5e),
    T(0, 0x5f),
    T(0x66, 0x5f),
    T(0xf3, 0x5f),
    T(0xf2, 0x5f),
    T(0, 0x51),
    T(0x66, 0x51),
    T(0xf3, 0x51),
    T(0xf2, 0x51),
    T(0, 0x54),
    T(0x66, 0x55),
    T(0, 0x56),
    T(0x66, 0x57),
    T(0, 0x14),
    T(0, 0x15),
    T(0x66, 0x14),
    T(0x66, 0x15),
    TI(0, 0xc6),
    TI(0x66, 0xc6),
    T(0, 0x5a),
    T(0x66, 0x5a),
    T(0xf3, 0x5a),
    T(0xf2, 0x5a),
    T(0, 0x5b),
    T(0x66, 0x5b),
    T(0xf3, 0x5b),
    T(0xf3, 0xe6),
    T(0xf2, 0xe6),
    T(0x66, 0xe6),
    TI(0, 0xc2),
    TI(0x66, 0xc2),
    TI(0xf3, 0xc2),
    TI(0xf2, 0xc2),
    T(0, 0x2e),
    T(0x66, 0x2f),
    {0xf2, 0x2a, 0, 0, 2},
    {0xf3, 0x2a, 0, 0, 2},
    {0xf2, 0x2c, 0, 0, 1},
    {0xf3, 0x2d, 0, 0, 1},
};

static uint64_t sx_rand(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* MOVLPD/MOVHPD have no register form */
static bool sx_mem_only(const SseTmpl *t)
{
    return t->pfx == 0x66 && (t->op == 0x12 || t->op == 0x16);
}

/* one instruction at p; returns its length */
static size_t sx_emit(uint8_t *p, const SseTmpl *t, uint64_t *x)
{
    uint64_t r = sx_rand(x);
    unsigned reg = r & 15, rm = (r >> 4) & 15;
    bool mem = t->ext == 0 && ((r >> 8) % 3 == 0 || sx_mem_only(t)) &&
               t->op != 0x50 && t->op != 0xd7;
    bool w = (r >> 10) & 1;
    size_t n = 0;
    if (t->gpr == 1) {
        reg &= 7; /* avoid RSP and friends: keep RBX/RSP intact */
        reg = reg == 3 || reg == 4 ? 0 : reg;
    }
    if (t->gpr == 2 && !mem) {
        rm &= 7;
        rm = rm == 3 || rm == 4 ? 1 : rm;
    }
    if (t->pfx) {
        p[n++] = t->pfx;
    }
    uint8_t rex = 0x40 | (reg >= 8 ? 4 : 0) | (!mem && rm >= 8 ? 1 : 0);
    if (t->gpr && w) {
        rex |= 8;
    }
    if (rex != 0x40) {
        p[n++] = rex;
    }
    p[n++] = 0x0f;
    p[n++] = t->op;
    unsigned regf = t->ext ? t->ext : reg & 7;
    if (mem) { /* [rbx + disp8]: aligned 3 times in 4 */
        int8_t disp =
            (int8_t)(((r >> 12) & 3) ? ((r >> 16) & 7) * 16 : (r >> 16) & 0x7f);
        p[n++] = (uint8_t)(0x40 | regf << 3 | 3);
        p[n++] = (uint8_t)disp;
    } else {
        p[n++] = (uint8_t)(0xc0 | regf << 3 | (rm & 7));
    }
    if (t->imm) {
        p[n++] = (uint8_t)(r >> 24);
    }
    return n;
}

/* a random vector lane: specials, integer edges, nice numbers, raw bits */
static uint64_t sx_lane(uint64_t *x)
{
    static const uint64_t special[] = {0,
                                       1ull << 63,
                                       0x7ff0000000000000ull,
                                       0x7ff8000000000000ull,
                                       0x7ff4000000000000ull,
                                       1,
                                       0x3ff0000000000000ull,
                                       0x7f8000007fc00000ull,
                                       0x3f80000000000001ull,
                                       0x000000017fa00000ull,
                                       0x8000000080000000ull,
                                       0x7fffffff7fffffffull,
                                       ~0ull,
                                       0x4f0000004f000000ull,
                                       0x41e0000000000000ull};
    uint64_t r = sx_rand(x);
    switch (r & 3) {
    case 0:
        return special[(r >> 8) % ARRAY_LEN(special)];
    case 1: {
        double d = (double)(int64_t)((r >> 8) % 20001 - 10000) / 7;
        uint64_t v;
        memcpy(&v, &d, 8);
        return v;
    }
    case 2: {
        float a = (float)((int)((r >> 8) % 2001) - 1000) / 4;
        float b = (float)((int)((r >> 24) % 31) - 15);
        uint32_t u, v;
        memcpy(&u, &a, 4);
        memcpy(&v, &b, 4);
        return (uint64_t)u << 32 | v;
    }
    default:
        return sx_rand(x);
    }
}

static void sx_case(uint64_t seed, unsigned n, uint8_t *code, size_t *len)
{
    uint64_t x = seed;
    dt_state_random(&tc.init, seed);
    tc.init.gpr[DT_RBX] = DT_DATA_ADDR + 256;
    for (unsigned i = 0; i < 16; i++) {
        tc.init.xmm[i][0] = sx_lane(&x);
        tc.init.xmm[i][1] = sx_lane(&x);
    }
    uint64_t r = sx_rand(&x);
    tc.init.mxcsr = 0x1f80 | (uint32_t)(r & 3) << 13 |
                    ((r >> 2) & 1 ? 0x8000 : 0) | ((r >> 3) & 1 ? 0x40 : 0);
    if (((r >> 4) & 3) == 0) { /* unmask one exception: #XM */
        tc.init.mxcsr &= ~(0x80u << ((r >> 8) % 6));
    }
    *len = 0;
    for (unsigned i = 0; i < n; i++) {
        const SseTmpl *t = &tmpls[sx_rand(&x) % ARRAY_LEN(tmpls)];
        *len += sx_emit(code + *len, t, &x);
    }
    tc.code = code;
    tc.len = *len;
}

Test(sse, random_sequences)
{
    dt_require_features(CPU_FEAT(SSE) | CPU_FEAT(SSE2));
    static uint8_t code[256];
    unsigned bad = 0, runs = 0, exc[DT_EXC_KILLED + 1] = {0};
    const char *env_n = getenv("XLAT_DIFFTEST_SSE_SEEDS"); /* longer runs */
    const char *env_f = getenv("XLAT_DIFFTEST_SSE_FIRST");
    uint64_t nseeds = env_n ? strtoull(env_n, NULL, 0) : 400;
    uint64_t first = env_f ? strtoull(env_f, NULL, 0) : 1;
    for (uint64_t seed = first; seed < first + nseeds && bad < 5; seed++) {
        size_t len;
        sx_case(seed * 7919, 1 + (unsigned)(seed % 6), code, &len);
        cr_assert_eq(dt_native_run(&tc, &native), 0);
        cr_assert_eq(dt_xlat_run(&tc, TCG_BACKEND_JIT, &jit), 0);
        cr_assert_eq(dt_xlat_run(&tc, TCG_BACKEND_INTERP, &interp), 0);
        int dj = dt_result_diff(&native, &jit, 0, NULL);
        int di = dt_result_diff(&native, &interp, 0, NULL);
        runs++;
        exc[native.exception]++;
        if (dj || di) {
            bad++;
            fprintf(stderr,
                    "sse seed %llu:", (unsigned long long)(seed * 7919));
            for (size_t i = 0; i < len; i++) {
                fprintf(stderr, " %02x", code[i]);
            }
            fprintf(stderr, "\n");
            dt_result_diff(&native, dj ? &jit : &interp, 0, stderr);
        }
    }
    cr_expect_eq(bad, 0, "%u of %u sequences differ", bad, runs);
    /* the mix reaches every outcome it is meant to */
    cr_expect_gt(exc[DT_EXC_NONE], runs / 2, "completed: %u", exc[DT_EXC_NONE]);
    cr_expect_gt(exc[DT_EXC_GP], 0, "no misaligned #GP");
    cr_expect_gt(exc[DT_EXC_XM], 0, "no unmasked #XM");
    fprintf(stderr, "sse: %u sequences, %u complete, %u #GP, %u #XM, %u #UD\n",
            runs, exc[DT_EXC_NONE], exc[DT_EXC_GP], exc[DT_EXC_XM],
            exc[DT_EXC_UD]);
}

Test(sse, directed_moves)
{
    dt_require_features(CPU_FEAT(SSE) | CPU_FEAT(SSE2));
    tc.init.gpr[DT_RBX] = DT_DATA_ADDR + 64;
    tc.init.gpr[DT_RAX] = 0x8000000000000001ull;
    tc.init.xmm[1][0] = 0x1122334455667788ull;
    tc.init.xmm[1][1] = 0x99aabbccddeeff00ull;
    /* movdqa [rbx], xmm1; movups xmm2, [rbx + 1]; movq xmm3, rax;
     * movd ecx, xmm1; pmovmskb edx, xmm1; movaps xmm4, [rbx + 8] (#GP) */
    CASE(0x66, 0x0f, 0x7f, 0x0b, 0x0f, 0x10, 0x53, 0x01, 0x66, 0x48, 0x0f, 0x6e,
         0xd8, 0x66, 0x0f, 0x7e, 0xc9, 0x66, 0x0f, 0xd7, 0xd1, 0x0f, 0x28, 0x63,
         0x08);
    run3(0);
    cr_expect_eq(native.exception, DT_EXC_GP);
    /* ldmxcsr/stmxcsr round trip, then a reserved bit: #GP */
    memcpy(&tc.init.data[64], (uint32_t[]){0x3f80, 0x10000}, 8);
    CASE(0x0f, 0xae, 0x13, 0x0f, 0xae, 0x5b, 0x08, 0x0f, 0xae, 0x53, 0x04);
    run3(0);
    cr_expect_eq(native.exception, DT_EXC_GP);
}
