/*
 * SSE/SSE2 instructions on both backends. Every operation row runs
 * `op xmm0, xmm1` on random inputs (random MXCSR rounding, FZ and DAZ,
 * exceptions masked) through xlat and natively on the host (the same
 * bytes in an executable page), and XMM0 and MXCSR must agree. Directed
 * tests cover what the host comparison cannot show: the moves with memory
 * operands and the alignment #GP, a strlen-style PCMPEQB/PMOVMSKB loop,
 * COMISD/UCOMISD flags, unmasked exceptions (#XM or #UD, destination
 * unchanged), conversions to and from GPRs, and the MMX forms' #UD.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "fpu_fixture.h"

#define FOR_BACKENDS(cpl)                                                      \
    for (size_t b_ = 0; b_ < 2; b_++)                                          \
        for (int once_ = (fx_setup(b_, cpl), 1); once_; once_ = 0, tm_free(&m))

typedef struct OpRow {
    const char *name;
    uint8_t bytes[6];
    uint8_t len;
    uint8_t kind; /* 0 integer, 1 float, 2 double, 3 shift count */
} OpRow;

#define R(n, k, ...)                                                           \
    {                                                                          \
        n, {__VA_ARGS__}, sizeof((uint8_t[]){__VA_ARGS__}), k                  \
    }
#define I66(n, op) R(n, 0, 0x66, 0x0f, op, 0xc1)
static const OpRow rows[] = {
    I66("pand", 0xdb),
    I66("pandn", 0xdf),
    I66("por", 0xeb),
    I66("pxor", 0xef),
    I66("paddb", 0xfc),
    I66("paddw", 0xfd),
    I66("paddd", 0xfe),
    I66("paddq", 0xd4),
    I66("psubb", 0xf8),
    I66("psubw", 0xf9),
    I66("psubd", 0xfa),
    I66("psubq", 0xfb),
    I66("pcmpeqb", 0x74),
    I66("pcmpeqw", 0x75),
    I66("pcmpeqd", 0x76),
    I66("pcmpgtb", 0x64),
    I66("pcmpgtw", 0x65),
    I66("pcmpgtd", 0x66),
    I66("pminub", 0xda),
    I66("pmaxub", 0xde),
    I66("pminsw", 0xea),
    I66("pmaxsw", 0xee),
    I66("paddusb", 0xdc),
    I66("paddusw", 0xdd),
    I66("psubusb", 0xd8),
    I66("psubusw", 0xd9),
    I66("paddsb", 0xec),
    I66("paddsw", 0xed),
    I66("psubsb", 0xe8),
    I66("psubsw", 0xe9),
    I66("pavgb", 0xe0),
    I66("pavgw", 0xe3),
    I66("pmullw", 0xd5),
    I66("pmulhw", 0xe5),
    I66("pmulhuw", 0xe4),
    I66("pmuludq", 0xf4),
    I66("pmaddwd", 0xf5),
    I66("psadbw", 0xf6),
    I66("punpcklbw", 0x60),
    I66("punpcklwd", 0x61),
    I66("punpckldq", 0x62),
    I66("punpcklqdq", 0x6c),
    I66("punpckhbw", 0x68),
    I66("punpckhwd", 0x69),
    I66("punpckhdq", 0x6a),
    I66("punpckhqdq", 0x6d),
    I66("packsswb", 0x63),
    I66("packuswb", 0x67),
    I66("packssdw", 0x6b),
    R("psrlw", 3, 0x66, 0x0f, 0xd1, 0xc1),
    R("psraw", 3, 0x66, 0x0f, 0xe1, 0xc1),
    R("psllw", 3, 0x66, 0x0f, 0xf1, 0xc1),
    R("psrld", 3, 0x66, 0x0f, 0xd2, 0xc1),
    R("psrad", 3, 0x66, 0x0f, 0xe2, 0xc1),
    R("pslld", 3, 0x66, 0x0f, 0xf2, 0xc1),
    R("psrlq", 3, 0x66, 0x0f, 0xd3, 0xc1),
    R("psllq", 3, 0x66, 0x0f, 0xf3, 0xc1),
    R("psrlw imm", 0, 0x66, 0x0f, 0x71, 0xd0, 5),
    R("psraw imm", 0, 0x66, 0x0f, 0x71, 0xe0, 17),
    R("psllw imm", 0, 0x66, 0x0f, 0x71, 0xf0, 3),
    R("psrld imm", 0, 0x66, 0x0f, 0x72, 0xd0, 31),
    R("psrad imm", 0, 0x66, 0x0f, 0x72, 0xe0, 7),
    R("pslld imm", 0, 0x66, 0x0f, 0x72, 0xf0, 32),
    R("psrlq imm", 0, 0x66, 0x0f, 0x73, 0xd0, 13),
    R("psllq imm", 0, 0x66, 0x0f, 0x73, 0xf0, 63),
    R("psrldq", 0, 0x66, 0x0f, 0x73, 0xd8, 5),
    R("pslldq", 0, 0x66, 0x0f, 0x73, 0xf8, 11),
    R("psrldq 16", 0, 0x66, 0x0f, 0x73, 0xd8, 16),
    R("pshufd", 0, 0x66, 0x0f, 0x70, 0xc1, 0x1b),
    R("pshuflw", 0, 0xf2, 0x0f, 0x70, 0xc1, 0x93),
    R("pshufhw", 0, 0xf3, 0x0f, 0x70, 0xc1, 0x4e),
    R("shufps", 1, 0x0f, 0xc6, 0xc1, 0xb1),
    R("shufpd", 2, 0x66, 0x0f, 0xc6, 0xc1, 2),
    R("unpcklps", 1, 0x0f, 0x14, 0xc1),
    R("unpckhps", 1, 0x0f, 0x15, 0xc1),
    R("unpcklpd", 2, 0x66, 0x0f, 0x14, 0xc1),
    R("unpckhpd", 2, 0x66, 0x0f, 0x15, 0xc1),
    R("andps", 1, 0x0f, 0x54, 0xc1),
    R("andnpd", 2, 0x66, 0x0f, 0x55, 0xc1),
    R("orps", 1, 0x0f, 0x56, 0xc1),
    R("xorpd", 2, 0x66, 0x0f, 0x57, 0xc1),
#define FP4(n, op)                                                             \
    R(n "ps", 1, 0x0f, op, 0xc1), R(n "pd", 2, 0x66, 0x0f, op, 0xc1),          \
        R(n "ss", 1, 0xf3, 0x0f, op, 0xc1), R(n "sd", 2, 0xf2, 0x0f, op, 0xc1)
    FP4("add", 0x58),
    FP4("mul", 0x59),
    FP4("sub", 0x5c),
    FP4("min", 0x5d),
    FP4("div", 0x5e),
    FP4("max", 0x5f),
    FP4("sqrt", 0x51),
    R("cvtps2pd", 1, 0x0f, 0x5a, 0xc1),
    R("cvtpd2ps", 2, 0x66, 0x0f, 0x5a, 0xc1),
    R("cvtss2sd", 1, 0xf3, 0x0f, 0x5a, 0xc1),
    R("cvtsd2ss", 2, 0xf2, 0x0f, 0x5a, 0xc1),
    R("cvtdq2ps", 0, 0x0f, 0x5b, 0xc1),
    R("cvtps2dq", 1, 0x66, 0x0f, 0x5b, 0xc1),
    R("cvttps2dq", 1, 0xf3, 0x0f, 0x5b, 0xc1),
    R("cvtdq2pd", 0, 0xf3, 0x0f, 0xe6, 0xc1),
    R("cvtpd2dq", 2, 0xf2, 0x0f, 0xe6, 0xc1),
    R("cvttpd2dq", 2, 0x66, 0x0f, 0xe6, 0xc1),
    R("cmpltps", 1, 0x0f, 0xc2, 0xc1, 1),
    R("cmpunordpd", 2, 0x66, 0x0f, 0xc2, 0xc1, 3),
    R("cmpnless", 1, 0xf3, 0x0f, 0xc2, 0xc1, 6),
    R("cmpeqsd", 2, 0xf2, 0x0f, 0xc2, 0xc1, 0),
};

/* the same instruction natively: xmm0/xmm1 from x[0..1], MXCSR from *mx */
typedef void NativeFn(uint64_t *x0, const uint64_t *x1, uint32_t *mx);

static NativeFn *native_build(const OpRow *r)
{
    static const uint8_t pre[] = {
        0xf3, 0x0f, 0x6f, 0x07, /* movdqu xmm0,[rdi] */
        0xf3, 0x0f, 0x6f, 0x0e, /* movdqu xmm1,[rsi] */
        0x0f, 0xae, 0x12};      /* ldmxcsr [rdx] */
    static const uint8_t post[] = {0xf3, 0x0f, 0x7f,
                                   0x07,             /* movdqu [rdi],xmm0 */
                                   0x0f, 0xae, 0x1a, /* stmxcsr [rdx] */
                                   0xc3};
    uint8_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(p, MAP_FAILED);
    memcpy(p, pre, sizeof(pre));
    memcpy(p + sizeof(pre), r->bytes, r->len);
    memcpy(p + sizeof(pre) + r->len, post, sizeof(post));
    cr_assert_eq(mprotect(p, 4096, PROT_READ | PROT_EXEC), 0);
    return (NativeFn *)(void *)p;
}

static uint64_t rnd64(void)
{
    return (uint64_t)rand() << 42 ^ (uint64_t)rand() << 21 ^ (uint64_t)rand();
}

/* a random float or double lane: specials, small integers, or raw bits */
static uint64_t rnd_fp(unsigned kind)
{
    static const uint32_t fs[] = {
        0,           0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u,
        0x7fa00000u, 0x00000001u, 0x3f800000u, 0x4f000000u, 0xcf000001u};
    static const uint64_t ds[] = {0,
                                  1ull << 63,
                                  0x7ff0000000000000ull,
                                  0x7ff8000000000000ull,
                                  0x7ff4000000000000ull,
                                  1,
                                  0x3ff0000000000000ull,
                                  0x41e0000000000000ull,
                                  0xc3e0000000000001ull};
    uint64_t v = rnd64();
    switch (rand() % 4) {
    case 0:
        return kind == 1 ? (uint64_t)fs[rand() % 10] << 32 | fs[rand() % 10]
                         : ds[rand() % 9];
    case 1: { /* nice values */
        if (kind == 1) {
            float a = (float)(rand() % 2000 - 1000) / 8,
                  b = (float)(rand() % 7);
            uint32_t x, y;
            memcpy(&x, &a, 4);
            memcpy(&y, &b, 4);
            return (uint64_t)x << 32 | y;
        }
        double a = (double)(rand() % 20000 - 10000) / 3;
        memcpy(&v, &a, 8);
        return v;
    }
    default:
        return v;
    }
}

static void rnd_operand(unsigned kind, uint64_t *x)
{
    for (unsigned i = 0; i < 2; i++) {
        x[i] = kind == 1 || kind == 2 ? rnd_fp(kind) : rnd64();
    }
    if (kind == 3 && rand() % 4) {
        x[0] = (uint64_t)(rand() % 70);
    }
}

static void check_row(const OpRow *r, NativeFn *fn)
{
    for (int n = 0; n < 24; n++) {
        uint64_t x0[2], x1[2], want[2];
        rnd_operand(r->kind == 3 ? 0 : r->kind, x0);
        rnd_operand(r->kind, x1);
        uint32_t mx = MXCSR_MASKS | (uint32_t)(rand() % 4) << MXCSR_RC_SHIFT |
                      (rand() % 2 ? MXCSR_FZ : 0) |
                      (rand() % 2 ? MXCSR_DAZ : 0);
        uint32_t mx_native = mx, host;
        memcpy(want, x0, 16);
        __asm__ volatile("stmxcsr %0" : "=m"(host));
        fn(want, x1, &mx_native);
        __asm__ volatile("ldmxcsr %0" : : "m"(host));
        for (size_t b = 0; b < 2; b++) {
            fx_setup(b, 0);
            fx_xmm_set(0, x0[0], x0[1]);
            fx_xmm_set(1, x1[0], x1[1]);
            m.env->fpu.mxcsr = mx;
            cr_assert_eq(tm_run(&m, r->bytes, r->len), 3, "%s", r->name);
            cr_expect_eq(m.env->fpu.zmm[0].q[0], want[0],
                         "%s backend %zu: %016llx %016llx op %016llx %016llx",
                         r->name, b, (unsigned long long)x0[1],
                         (unsigned long long)x0[0], (unsigned long long)x1[1],
                         (unsigned long long)x1[0]);
            cr_expect_eq(m.env->fpu.zmm[0].q[1], want[1], "%s (high)", r->name);
            cr_expect_eq(m.env->fpu.mxcsr, mx_native, "%s MXCSR", r->name);
            tm_free(&m);
        }
    }
}

Test(sse, every_operation_matches_the_host, .timeout = 120)
{
    srand(14);
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        NativeFn *fn = native_build(&rows[i]);
        check_row(&rows[i], fn);
        munmap((void *)fn, 4096);
    }
}

Test(sse, moves_and_alignment)
{
    FOR_BACKENDS(0)
    {
        fx_st64(16, 0x1111111122222222ull);
        fx_st64(24, 0x3333333344444444ull);
        m.env->regs[R_EBX] = TM_DATA + 16;
        /* movaps xmm0, [rbx]; movups xmm1, [rbx + 1] */
        cr_expect_eq(RUN(0x0f, 0x28, 0x03, 0x0f, 0x10, 0x4b, 0x01), 3);
        cr_expect_eq(m.env->fpu.zmm[0].q[1], 0x3333333344444444ull);
        cr_expect_eq(m.env->fpu.zmm[1].q[0], 0x4411111111222222ull);
        /* movaps xmm2, [rbx + 4]: misaligned */
        fx_xmm_set(2, 7, 7);
        cr_expect_eq(RUN(0x0f, 0x28, 0x53, 0x04), 13);
        cr_expect_eq(m.env->fpu.zmm[2].q[0], 7);
        cr_expect_eq(RUN(0x66, 0x0f, 0xef, 0x43, 0x08), 13, "pxor m128");
        /* movdqa [rbx + 32], xmm0; movdqu [rbx + 49], xmm0 */
        cr_expect_eq(
            RUN(0x66, 0x0f, 0x7f, 0x43, 0x20, 0xf3, 0x0f, 0x7f, 0x43, 0x31), 3);
        cr_expect_eq(fx_ld64(48), 0x1111111122222222ull);
        cr_expect_eq(fx_ld64(16 + 49), 0x1111111122222222ull);
        /* movq rax, xmm0; movd xmm3, eax; movq xmm4, rax */
        cr_expect_eq(RUN(0x66, 0x48, 0x0f, 0x7e, 0xc0, 0x66, 0x0f, 0x6e, 0xd8,
                         0x66, 0x48, 0x0f, 0x6e, 0xe0),
                     3);
        cr_expect_eq(m.env->regs[R_EAX], 0x1111111122222222ull);
        cr_expect_eq(m.env->fpu.zmm[3].q[0], 0x22222222);
        cr_expect_eq(m.env->fpu.zmm[3].q[1], 0);
        cr_expect_eq(m.env->fpu.zmm[4].q[0], 0x1111111122222222ull);
        /* movss xmm5, [rbx] zeroes the rest; movss xmm6, xmm5 merges */
        fx_xmm_set(5, ~0ull, ~0ull);
        fx_xmm_set(6, ~0ull, ~0ull);
        cr_expect_eq(RUN(0xf3, 0x0f, 0x10, 0x2b, 0xf3, 0x0f, 0x10, 0xf5), 3);
        cr_expect_eq(m.env->fpu.zmm[5].q[0], 0x22222222);
        cr_expect_eq(m.env->fpu.zmm[5].q[1], 0);
        cr_expect_eq(m.env->fpu.zmm[6].q[0], 0xffffffff22222222ull);
        cr_expect_eq(m.env->fpu.zmm[6].q[1], ~0ull);
        /* movhps xmm6, [rbx]; movhlps xmm7, xmm6; movsd [rbx + 64], xmm7 */
        cr_expect_eq(RUN(0x0f, 0x16, 0x33, 0x0f, 0x12, 0xfe, 0xf2, 0x0f, 0x11,
                         0x7b, 0x40),
                     3);
        cr_expect_eq(m.env->fpu.zmm[6].q[1], 0x1111111122222222ull);
        cr_expect_eq(fx_ld64(16 + 64), 0x1111111122222222ull);
        /* movdqu to a page crossing into the hole: #PF, nothing written */
        m.env->regs[R_EBX] = TM_HOLE - 8;
        memset(m.mem + TM_HOLE - 8, 0x5a, 8);
        cr_expect_eq(RUN(0xf3, 0x0f, 0x7f, 0x03), 14);
        cr_expect_eq(m.mem[TM_HOLE - 8], 0x5a, "no partial store");
        /* the upper half of YMM0 is left alone by legacy SSE */
        m.env->fpu.zmm[0].q[2] = 0x77;
        cr_expect_eq(RUN(0x66, 0x0f, 0xef, 0xc0), 3); /* pxor xmm0, xmm0 */
        cr_expect_eq(m.env->fpu.zmm[0].q[0], 0);
        cr_expect_eq(m.env->fpu.zmm[0].q[2], 0x77);
    }
}

Test(sse, strlen_loop)
{
    /* pxor xmm0,xmm0; l: movdqa xmm1,[rbx]; pcmpeqb xmm1,xmm0;
     * pmovmskb eax,xmm1; add rbx,16; test eax,eax; jz l; bsf eax,eax */
    static const uint8_t code[] = {0x66, 0x0f, 0xef, 0xc0, 0x66, 0x0f, 0x6f,
                                   0x0b, 0x66, 0x0f, 0x74, 0xc8, 0x66, 0x0f,
                                   0xd7, 0xc1, 0x48, 0x83, 0xc3, 0x10, 0x85,
                                   0xc0, 0x74, 0xec, 0x0f, 0xbc, 0xc0};
    FOR_BACKENDS(0)
    {
        memset(fx_data(0), 'a', 64);
        *fx_data(37) = 0;
        cr_expect_eq(tm_run(&m, code, sizeof(code)), 3);
        cr_expect_eq(m.env->regs[R_EAX], 5);
        cr_expect_eq(m.env->regs[R_EBX], TM_DATA + 48);
    }
}

Test(sse, comisd_flags)
{
    FOR_BACKENDS(0)
    {
        double one = 1.0, two = 2.0;
        uint64_t a, b;
        memcpy(&a, &one, 8);
        memcpy(&b, &two, 8);
        fx_xmm_set(0, a, 0);
        fx_xmm_set(1, b, 0);
        cr_expect_eq(RUN(0x66, 0x0f, 0x2f, 0xc1), 3); /* comisd xmm0,xmm1 */
        cr_expect_eq(tm_rflags(&m) & (CC_Z | CC_P | CC_C), CC_C, "less");
        cr_expect_eq(RUN(0x66, 0x0f, 0x2f, 0xc8), 3); /* comisd xmm1,xmm0 */
        cr_expect_eq(tm_rflags(&m) & (CC_Z | CC_P | CC_C), 0, "greater");
        fx_xmm_set(1, 0x7ff8000000000000ull, 0);      /* QNaN */
        cr_expect_eq(RUN(0x66, 0x0f, 0x2e, 0xc1), 3); /* ucomisd */
        cr_expect_eq(tm_rflags(&m) & (CC_Z | CC_P | CC_C | CC_S | CC_O),
                     CC_Z | CC_P | CC_C);
        cr_expect_eq(m.env->fpu.mxcsr & MXCSR_FLAGS, 0, "ucomisd QNaN: no IE");
        cr_expect_eq(RUN(0x66, 0x0f, 0x2f, 0xc1), 3); /* comisd */
        cr_expect_eq(m.env->fpu.mxcsr & MXCSR_FLAGS, 1, "comisd QNaN: IE");
        /* comisd then jb: the flags feed a branch */
        fx_xmm_set(1, b, 0);
        m.env->regs[R_ECX] = 0;
        cr_expect_eq(RUN(0x66, 0x0f, 0x2f, 0xc1, 0x72, 0x02, 0xb1, 0x01), 3);
        cr_expect_eq(m.env->regs[R_ECX], 0, "jb taken");
    }
}

Test(sse, unmasked_exceptions)
{
    FOR_BACKENDS(0)
    {
        double one = 1.0;
        uint64_t a;
        memcpy(&a, &one, 8);
        fx_xmm_set(0, a, 5);
        fx_xmm_set(1, 0, 0);
        m.env->fpu.mxcsr = MXCSR_INIT & ~0x200u; /* ZE unmasked */
        cr_expect_eq(RUN(0xf2, 0x0f, 0x5e, 0xc1), 19, "divsd by 0: #XM");
        cr_expect_eq(m.env->fpu.zmm[0].q[0], a, "destination unchanged");
        cr_expect(m.env->fpu.mxcsr & 0x4, "ZE set");
        fx_cr(4, 0, CR4_OSXMMEXCPT);
        cr_expect_eq(RUN(0xf2, 0x0f, 0x5e, 0xc1), 6, "no OSXMMEXCPT: #UD");
        m.env->fpu.mxcsr = MXCSR_INIT;
        cr_expect_eq(RUN(0xf2, 0x0f, 0x5e, 0xc1), 3, "masked: inf");
        cr_expect_eq(m.env->fpu.zmm[0].q[0], 0x7ff0000000000000ull);
        cr_expect_eq(m.env->fpu.zmm[0].q[1], 5, "scalar keeps the rest");
    }
}

Test(sse, gpr_conversions)
{
    FOR_BACKENDS(0)
    {
        m.env->regs[R_EAX] = (uint64_t)-7;
        /* cvtsi2sd xmm0, rax; cvttsd2si rcx, xmm0; cvtsi2ss xmm1, eax */
        cr_expect_eq(RUN(0xf2, 0x48, 0x0f, 0x2a, 0xc0, 0xf2, 0x48, 0x0f, 0x2c,
                         0xc8, 0xf3, 0x0f, 0x2a, 0xc8),
                     3);
        double d;
        memcpy(&d, &m.env->fpu.zmm[0].q[0], 8);
        cr_expect(d == -7.0);
        cr_expect_eq(m.env->regs[R_ECX], (uint64_t)-7);
        cr_expect_eq(m.env->fpu.zmm[1].d[0], 0xc0e00000u, "-7.0f");
        /* cvtsd2si eax, xmm0 with 2^40: integer indefinite, IE */
        uint64_t big = 0x4270000000000000ull;
        fx_xmm_set(0, big, 0);
        cr_expect_eq(RUN(0xf2, 0x0f, 0x2d, 0xc0), 3);
        cr_expect_eq(m.env->regs[R_EAX], 0x80000000u);
        cr_expect(m.env->fpu.mxcsr & 1);
        /* pinsrw xmm2, eax, 5; pextrw ecx, xmm2, 5; pinsrw xmm2, [rbx], 0 */
        m.env->regs[R_EAX] = 0x12345678;
        fx_xmm_set(2, 0, 0);
        fx_st32(0, 0xbeef);
        cr_expect_eq(RUN(0x66, 0x0f, 0xc4, 0xd0, 0x05, 0x66, 0x0f, 0xc5, 0xca,
                         0x05, 0x66, 0x0f, 0xc4, 0x13, 0x00),
                     3);
        cr_expect_eq(m.env->fpu.zmm[2].q[1], 0x5678ull << 16);
        cr_expect_eq(m.env->fpu.zmm[2].q[0], 0xbeef);
        cr_expect_eq(m.env->regs[R_ECX], 0x5678);
        /* movmskpd eax, xmm1 */
        fx_xmm_set(1, 1ull << 63, 0);
        cr_expect_eq(RUN(0x66, 0x0f, 0x50, 0xc1), 3);
        cr_expect_eq(m.env->regs[R_EAX], 1);
    }
}

Test(sse, mmx_and_vex_forms_raise_ud)
{
    FOR_BACKENDS(0)
    {
        cr_expect_eq(RUN(0x0f, 0xef, 0xc1), 6, "pxor mm0, mm1");
        cr_expect_eq(RUN(0xc5, 0xf9, 0xef, 0xc1), 6, "vpxor");
    }
}

/*
 * Unmasked overflow: PE comes with OE only when the unbounded result is
 * inexact (the host traps under the guest's masks to tell, helper_sse.c).
 */
Test(sse, unmasked_overflow_reports_pe_by_rounding)
{
    FOR_BACKENDS(0)
    {
        static const uint64_t in[] = {0x7e70000000000000ull, /* 2^1000 */
                                      0x7e70000000000001ull};
        static const uint32_t want[] = {0x08, 0x28}; /* OE; OE PE */
        for (unsigned i = 0; i < 2; i++) {
            fx_xmm_set(0, in[i], 9);
            fx_xmm_set(1, in[i], 0);
            m.env->fpu.mxcsr = MXCSR_INIT & ~0x400u; /* OE unmasked */
            cr_expect_eq(RUN(0xf2, 0x0f, 0x59, 0xc1), 19, "mulsd: #XM");
            cr_expect_eq(m.env->fpu.mxcsr & MXCSR_FLAGS, want[i], "case %u", i);
            cr_expect_eq(m.env->fpu.zmm[0].q[0], in[i], "unchanged");
        }
        m.env->fpu.mxcsr = MXCSR_INIT;
        cr_expect_eq(RUN(0xf2, 0x0f, 0x59, 0xc1), 3, "masked: +inf");
        cr_expect_eq(m.env->fpu.zmm[0].q[0], 0x7ff0000000000000ull);
        cr_expect_eq(m.env->fpu.mxcsr & MXCSR_FLAGS, 0x28);
    }
}
