/*
 * SSE/SSE2 operations on 16-byte registers in env (fpu_helpers.h): the
 * integer ones in plain C (the reference for every host), the floating
 * point ones on the host's SSE unit under the guest's MXCSR, as DESIGN
 * section 4 prefers: the host MXCSR gets the guest's rounding, FZ and DAZ
 * with every exception masked and no flag set, the instruction runs, and
 * the flags it raised are merged into the guest MXCSR. A flag whose guest
 * mask is clear is an unmasked exception: the destination is left alone
 * and #XM (CR4.OSXMMEXCPT) or #UD is raised (SDM vol. 1 11.5.1). NaN and
 * denormal results are the host's, that is x86's.
 * Legacy SSE leaves bits 128 and up of the destination unchanged.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>

#include "cpu/fpu_helpers.h"
#include "cpu/translate_int.h"
#include "util/log.h"

typedef union X16 {
    uint8_t b[16];
    uint16_t w[8];
    uint32_t d[4];
    uint64_t q[2];
} X16;

static X16 vget(const CpuX86 *env, uint32_t off)
{
    X16 v;
    memcpy(&v, (const uint8_t *)env + off, 16);
    return v;
}

static void vput(CpuX86 *env, uint32_t off, const X16 *v)
{
    memcpy((uint8_t *)env + off, v, 16);
}

/* ---- integer: element-wise a op b into d ---- */

#define SSE_BINOP(name, field, n, T, expr)                                     \
    void helper_sse_##name(CpuX86 *env, uint32_t d, uint32_t s, uint32_t imm)  \
    {                                                                          \
        X16 x = vget(env, d), y = vget(env, s);                                \
        (void)imm;                                                             \
        for (unsigned i = 0; i < (n); i++) {                                   \
            T a = (T)x.field[i], b = (T)y.field[i];                            \
            x.field[i] = (__typeof__(x.field[0]))(expr);                       \
        }                                                                      \
        vput(env, d, &x);                                                      \
    }

static int64_t sat(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

SSE_BINOP(pand, q, 2, uint64_t, a &b)
SSE_BINOP(pandn, q, 2, uint64_t, ~a &b)
SSE_BINOP(andnps, q, 2, uint64_t, ~a &b)
SSE_BINOP(por, q, 2, uint64_t, a | b)
SSE_BINOP(pxor, q, 2, uint64_t, a ^ b)
SSE_BINOP(paddb, b, 16, uint32_t, a + b)
SSE_BINOP(paddw, w, 8, uint32_t, a + b)
SSE_BINOP(paddd, d, 4, uint32_t, a + b)
SSE_BINOP(paddq, q, 2, uint64_t, a + b)
SSE_BINOP(psubb, b, 16, uint32_t, a - b)
SSE_BINOP(psubw, w, 8, uint32_t, a - b)
SSE_BINOP(psubd, d, 4, uint32_t, a - b)
SSE_BINOP(psubq, q, 2, uint64_t, a - b)
SSE_BINOP(pcmpeqb, b, 16, uint32_t, a == b ? 0xff : 0)
SSE_BINOP(pcmpeqw, w, 8, uint32_t, a == b ? 0xffff : 0)
SSE_BINOP(pcmpeqd, d, 4, uint32_t, a == b ? 0xffffffffu : 0)
SSE_BINOP(pcmpgtb, b, 16, int8_t, a > b ? 0xff : 0)
SSE_BINOP(pcmpgtw, w, 8, int16_t, a > b ? 0xffff : 0)
SSE_BINOP(pcmpgtd, d, 4, int32_t, a > b ? 0xffffffffu : 0)
SSE_BINOP(pminub, b, 16, uint32_t, a < b ? a : b)
SSE_BINOP(pmaxub, b, 16, uint32_t, a > b ? a : b)
SSE_BINOP(pminsw, w, 8, int16_t, a < b ? a : b)
SSE_BINOP(pmaxsw, w, 8, int16_t, a > b ? a : b)
SSE_BINOP(paddusb, b, 16, int32_t, sat(a + b, 0, 0xff))
SSE_BINOP(paddusw, w, 8, int32_t, sat(a + b, 0, 0xffff))
SSE_BINOP(psubusb, b, 16, int32_t, sat(a - b, 0, 0xff))
SSE_BINOP(psubusw, w, 8, int32_t, sat(a - b, 0, 0xffff))
SSE_BINOP(paddsb, b, 16, int8_t, sat(a + b, -128, 127))
SSE_BINOP(paddsw, w, 8, int16_t, sat(a + b, -32768, 32767))
SSE_BINOP(psubsb, b, 16, int8_t, sat(a - b, -128, 127))
SSE_BINOP(psubsw, w, 8, int16_t, sat(a - b, -32768, 32767))
SSE_BINOP(pavgb, b, 16, uint32_t, (a + b + 1) >> 1)
SSE_BINOP(pavgw, w, 8, uint32_t, (a + b + 1) >> 1)
SSE_BINOP(pmullw, w, 8, uint32_t, a *b)
SSE_BINOP(pmulhw, w, 8, int16_t, (uint32_t)((int32_t)a *b) >> 16)
SSE_BINOP(pmulhuw, w, 8, uint32_t, (a * b) >> 16)

void helper_sse_pmuludq(CpuX86 *env, uint32_t d, uint32_t s, uint32_t imm)
{
    X16 x = vget(env, d), y = vget(env, s);
    (void)imm;
    x.q[0] = (uint64_t)x.d[0] * y.d[0];
    x.q[1] = (uint64_t)x.d[2] * y.d[2];
    vput(env, d, &x);
}

void helper_sse_pmaddwd(CpuX86 *env, uint32_t d, uint32_t s, uint32_t imm)
{
    X16 x = vget(env, d), y = vget(env, s), r;
    (void)imm;
    for (unsigned i = 0; i < 4; i++) {
        int32_t lo = (int16_t)x.w[2 * i] * (int16_t)y.w[2 * i];
        int32_t hi = (int16_t)x.w[2 * i + 1] * (int16_t)y.w[2 * i + 1];
        r.d[i] = (uint32_t)lo + (uint32_t)hi; /* 8000h*8000h*2 wraps */
    }
    vput(env, d, &r);
}

void helper_sse_psadbw(CpuX86 *env, uint32_t d, uint32_t s, uint32_t imm)
{
    X16 x = vget(env, d), y = vget(env, s), r = {0};
    (void)imm;
    for (unsigned h = 0; h < 2; h++) {
        unsigned sum = 0;
        for (unsigned i = 0; i < 8; i++) {
            int v = (int)x.b[8 * h + i] - (int)y.b[8 * h + i];
            sum += (unsigned)(v < 0 ? -v : v);
        }
        r.q[h] = sum;
    }
    vput(env, d, &r);
}

/* ---- interleave and pack ---- */

/* elements of size sz from the low (hi = 0) or high halves of x and y */
static X16 unpack(X16 x, X16 y, unsigned sz, bool hi)
{
    X16 r;
    unsigned n = 16 / sz / 2, base = hi ? 8 : 0;
    for (unsigned i = 0; i < n; i++) {
        memcpy(r.b + 2 * i * sz, x.b + base + i * sz, sz);
        memcpy(r.b + (2 * i + 1) * sz, y.b + base + i * sz, sz);
    }
    return r;
}

#define SSE_UNPACK(name, sz, hi)                                               \
    void helper_sse_##name(CpuX86 *env, uint32_t d, uint32_t s, uint32_t imm)  \
    {                                                                          \
        X16 r = unpack(vget(env, d), vget(env, s), sz, hi);                    \
        (void)imm;                                                             \
        vput(env, d, &r);                                                      \
    }
SSE_UNPACK(punpcklbw, 1, false)
SSE_UNPACK(punpcklwd, 2, false)
SSE_UNPACK(punpckldq, 4, false)
SSE_UNPACK(punpcklqdq, 8, false)
SSE_UNPACK(punpckhbw, 1, true)
SSE_UNPACK(punpckhwd, 2, true)
SSE_UNPACK(punpckhdq, 4, true)
SSE_UNPACK(punpckhqdq, 8, true)
SSE_UNPACK(unpcklps, 4, false)
SSE_UNPACK(unpckhps, 4, true)
SSE_UNPACK(unpcklpd, 8, false)
SSE_UNPACK(unpckhpd, 8, true)

void helper_sse_packsswb(CpuX86 *env, uint32_t d, uint32_t s, uint32_t imm)
{
    X16 x = vget(env, d), y = vget(env, s), r;
    (void)imm;
    for (unsigned i = 0; i < 8; i++) {
        r.b[i] = (uint8_t)sat((int16_t)x.w[i], -128, 127);
        r.b[8 + i] = (uint8_t)sat((int16_t)y.w[i], -128, 127);
    }
    vput(env, d, &r);
}

void helper_sse_packuswb(CpuX86 *env, uint32_t d, uint32_t s, uint32_t imm)
{
    X16 x = vget(env, d), y = vget(env, s), r;
    (void)imm;
    for (unsigned i = 0; i < 8; i++) {
        r.b[i] = (uint8_t)sat((int16_t)x.w[i], 0, 255);
        r.b[8 + i] = (uint8_t)sat((int16_t)y.w[i], 0, 255);
    }
    vput(env, d, &r);
}

void helper_sse_packssdw(CpuX86 *env, uint32_t d, uint32_t s, uint32_t imm)
{
    X16 x = vget(env, d), y = vget(env, s), r;
    (void)imm;
    for (unsigned i = 0; i < 4; i++) {
        r.w[i] = (uint16_t)sat((int32_t)x.d[i], -32768, 32767);
        r.w[4 + i] = (uint16_t)sat((int32_t)y.d[i], -32768, 32767);
    }
    vput(env, d, &r);
}

/* ---- shuffles ---- */

void helper_sse_pshufd(CpuX86 *env, uint32_t d, uint32_t s, uint32_t imm)
{
    X16 y = vget(env, s), r;
    for (unsigned i = 0; i < 4; i++) {
        r.d[i] = y.d[(imm >> (2 * i)) & 3];
    }
    vput(env, d, &r);
}

void helper_sse_pshuflw(CpuX86 *env, uint32_t d, uint32_t s, uint32_t imm)
{
    X16 y = vget(env, s), r = y;
    for (unsigned i = 0; i < 4; i++) {
        r.w[i] = y.w[(imm >> (2 * i)) & 3];
    }
    vput(env, d, &r);
}

void helper_sse_pshufhw(CpuX86 *env, uint32_t d, uint32_t s, uint32_t imm)
{
    X16 y = vget(env, s), r = y;
    for (unsigned i = 0; i < 4; i++) {
        r.w[4 + i] = y.w[4 + ((imm >> (2 * i)) & 3)];
    }
    vput(env, d, &r);
}

void helper_sse_shufps(CpuX86 *env, uint32_t d, uint32_t s, uint32_t imm)
{
    X16 x = vget(env, d), y = vget(env, s), r;
    r.d[0] = x.d[imm & 3];
    r.d[1] = x.d[(imm >> 2) & 3];
    r.d[2] = y.d[(imm >> 4) & 3];
    r.d[3] = y.d[(imm >> 6) & 3];
    vput(env, d, &r);
}

void helper_sse_shufpd(CpuX86 *env, uint32_t d, uint32_t s, uint32_t imm)
{
    X16 x = vget(env, d), y = vget(env, s), r;
    r.q[0] = x.q[imm & 1];
    r.q[1] = y.q[(imm >> 1) & 1];
    vput(env, d, &r);
}

/* ---- shifts: the count is the low quadword of s (imm forms: tmp) ---- */

#define SSE_SHIFT(name, field, n, bits, T, expr_in, expr_big)                  \
    void helper_sse_##name(CpuX86 *env, uint32_t d, uint32_t s, uint32_t imm)  \
    {                                                                          \
        X16 x = vget(env, d);                                                  \
        uint64_t c = vget(env, s).q[0];                                        \
        (void)imm;                                                             \
        for (unsigned i = 0; i < (n); i++) {                                   \
            T a = (T)x.field[i];                                               \
            x.field[i] =                                                       \
                (__typeof__(x.field[0]))(c < (bits) ? (expr_in) : (expr_big)); \
        }                                                                      \
        vput(env, d, &x);                                                      \
    }
SSE_SHIFT(psrlw, w, 8, 16, uint32_t, a >> c, 0)
SSE_SHIFT(psllw, w, 8, 16, uint32_t, a << c, 0)
SSE_SHIFT(psraw, w, 8, 16, int16_t, a >> c, a >> 15)
SSE_SHIFT(psrld, d, 4, 32, uint32_t, a >> c, 0)
SSE_SHIFT(pslld, d, 4, 32, uint32_t, a << c, 0)
SSE_SHIFT(psrad, d, 4, 32, int32_t, a >> c, a >> 31)
SSE_SHIFT(psrlq, q, 2, 64, uint64_t, a >> c, 0)
SSE_SHIFT(psllq, q, 2, 64, uint64_t, a << c, 0)

void helper_sse_psrldq(CpuX86 *env, uint32_t d, uint32_t s, uint32_t imm)
{
    X16 x = vget(env, d), r = {0};
    unsigned n = imm & 0xff;
    (void)s;
    if (n < 16) {
        memcpy(r.b, x.b + n, 16 - n);
    }
    vput(env, d, &r);
}

void helper_sse_pslldq(CpuX86 *env, uint32_t d, uint32_t s, uint32_t imm)
{
    X16 x = vget(env, d), r = {0};
    unsigned n = imm & 0xff;
    (void)s;
    if (n < 16) {
        memcpy(r.b + n, x.b, 16 - n);
    }
    vput(env, d, &r);
}

/* ---- to general registers ---- */

uint64_t helper_pmovmskb(CpuX86 *env, uint32_t s)
{
    X16 y = vget(env, s);
    uint64_t m = 0;
    for (unsigned i = 0; i < 16; i++) {
        m |= (uint64_t)(y.b[i] >> 7) << i;
    }
    return m;
}

uint64_t helper_movmskps(CpuX86 *env, uint32_t s)
{
    X16 y = vget(env, s);
    uint64_t m = 0;
    for (unsigned i = 0; i < 4; i++) {
        m |= (uint64_t)(y.d[i] >> 31) << i;
    }
    return m;
}

uint64_t helper_movmskpd(CpuX86 *env, uint32_t s)
{
    X16 y = vget(env, s);
    return (y.q[0] >> 63) | (y.q[1] >> 63) << 1;
}

/* ---- floating point on the host unit ---- */

#if defined(__x86_64__)

typedef int64_t V2 __attribute__((vector_size(16)));

#define MXCSR_PRE 0x7u /* IE DE ZE */

static V2 fget(const CpuX86 *env, uint32_t off)
{
    V2 v;
    memcpy(&v, (const uint8_t *)env + off, 16);
    return v;
}

/* host MXCSR := guest RC/FZ/DAZ, all masked, no flags; returns the host's */
static uint32_t fp_enter(const CpuX86 *env)
{
    uint32_t host, g = (env->fpu.mxcsr & ~MXCSR_FLAGS) | MXCSR_MASKS;
    __asm__ volatile("stmxcsr %0" : "=m"(host));
    __asm__ volatile("ldmxcsr %0" : : "m"(g));
    return host;
}

/* the host MXCSR back; the flags the operation raised */
static uint32_t fp_exit(uint32_t host)
{
    uint32_t now;
    __asm__ volatile("stmxcsr %0" : "=m"(now));
    __asm__ volatile("ldmxcsr %0" : : "m"(host));
    return now & MXCSR_FLAGS;
}

static uint32_t fp_unmasked(const CpuX86 *env)
{
    return ~(env->fpu.mxcsr >> MXCSR_MASKS_SHIFT) & MXCSR_FLAGS;
}

/* merge the raised flags; an unmasked one raises (nothing written) */
static void fp_commit(CpuX86 *env, uint32_t raised, uintptr_t ra)
{
    env->fpu.mxcsr |= raised;
    if (raised & fp_unmasked(env)) {
        fpu_raise_simd(env, ra);
    }
}

/*
 * For operations with a single possible exception or only pre-computation
 * ones (IE, DE, ZE: an unmasked one stops the instruction before any
 * result, so no OE/UE/PE, SDM vol. 1 11.5.2), the masked run's flags say
 * what the unmasked run would.
 */
static void fp_leave(CpuX86 *env, uint32_t host, uintptr_t ra)
{
    uint32_t raised = fp_exit(host);
    if (raised & fp_unmasked(env) & MXCSR_PRE) {
        raised &= MXCSR_PRE;
    }
    fp_commit(env, raised, ra);
}

/*
 * The arithmetic family can also raise OE/UE, where whether PE comes too
 * depends on the result's rounding: the masked run cannot tell. When it
 * raised an exception the guest unmasked, the operation runs once more
 * under the guest's own masks, the host traps (#XM -> SIGFPE), and the
 * flags come from the signal frame's MXCSR, exactly as hardware set them.
 */
typedef void FpOp(V2 *a, V2 b);

static __thread sigjmp_buf *fp_trap_jb;
static __thread uint32_t fp_trap_mxcsr;
static struct sigaction fp_trap_old;
static pthread_once_t fp_trap_once = PTHREAD_ONCE_INIT;

static void fp_trap_handler(int sig, siginfo_t *si, void *ucv)
{
    const ucontext_t *uc = ucv;
    (void)sig, (void)si;
    if (fp_trap_jb) {
        fp_trap_mxcsr =
            uc->uc_mcontext.fpregs ? uc->uc_mcontext.fpregs->mxcsr : 0;
        siglongjmp(*fp_trap_jb, 1);
    }
    /* not ours: the previous disposition takes the re-executed fault */
    sigaction(SIGFPE, &fp_trap_old, NULL);
}

static void fp_trap_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = fp_trap_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGFPE, &sa, &fp_trap_old);
}

static uint32_t fp_trap_flags(const CpuX86 *env, FpOp *op, V2 a, V2 b,
                              uint32_t masked_flags)
{
    sigjmp_buf jb;
    uint32_t host, g = env->fpu.mxcsr & ~MXCSR_FLAGS;
    volatile uint32_t flags = masked_flags;
    pthread_once(&fp_trap_once, fp_trap_install);
    __asm__ volatile("stmxcsr %0" : "=m"(host));
    if (sigsetjmp(jb, 1) == 0) {
        fp_trap_jb = &jb;
        __asm__ volatile("ldmxcsr %0" : : "m"(g));
        op(&a, b); /* no trap after all: keep the masked run's flags */
    } else {
        flags = fp_trap_mxcsr & MXCSR_FLAGS;
    }
    fp_trap_jb = NULL;
    __asm__ volatile("ldmxcsr %0" : : "m"(host));
    return flags;
}

static void fp_run(CpuX86 *env, uint32_t d, uint32_t s, FpOp *op, uintptr_t ra)
{
    V2 a = fget(env, d), b = fget(env, s), r = a;
    uint32_t host = fp_enter(env);
    op(&r, b);
    uint32_t raised = fp_exit(host);
    if (raised & fp_unmasked(env)) {
        raised = fp_trap_flags(env, op, a, b, raised);
    }
    fp_commit(env, raised, ra);
    memcpy((uint8_t *)env + d, &r, 16);
}

/* d = d op s (op writes its destination in place) */
#define SSE_FP(name, insn)                                                     \
    static void fpop_##name(V2 *a, V2 b)                                       \
    {                                                                          \
        __asm__ volatile(insn " %1, %0" : "+x"(*a) : "x"(b));                  \
    }                                                                          \
    void helper_sse_##name(CpuX86 *env, uint32_t d, uint32_t s, uint32_t imm)  \
    {                                                                          \
        (void)imm;                                                             \
        fp_run(env, d, s, fpop_##name, TCG_GETPC());                           \
    }
SSE_FP(addps, "addps")
SSE_FP(addpd, "addpd")
SSE_FP(addss, "addss")
SSE_FP(addsd, "addsd")
SSE_FP(subps, "subps")
SSE_FP(subpd, "subpd")
SSE_FP(subss, "subss")
SSE_FP(subsd, "subsd")
SSE_FP(mulps, "mulps")
SSE_FP(mulpd, "mulpd")
SSE_FP(mulss, "mulss")
SSE_FP(mulsd, "mulsd")
SSE_FP(divps, "divps")
SSE_FP(divpd, "divpd")
SSE_FP(divss, "divss")
SSE_FP(divsd, "divsd")
SSE_FP(minps, "minps")
SSE_FP(minpd, "minpd")
SSE_FP(minss, "minss")
SSE_FP(minsd, "minsd")
SSE_FP(maxps, "maxps")
SSE_FP(maxpd, "maxpd")
SSE_FP(maxss, "maxss")
SSE_FP(maxsd, "maxsd")
SSE_FP(sqrtps, "sqrtps")
SSE_FP(sqrtpd, "sqrtpd")
SSE_FP(sqrtss, "sqrtss")
SSE_FP(sqrtsd, "sqrtsd")
SSE_FP(cvtps2pd, "cvtps2pd")
SSE_FP(cvtpd2ps, "cvtpd2ps")
SSE_FP(cvtss2sd, "cvtss2sd")
SSE_FP(cvtsd2ss, "cvtsd2ss")
SSE_FP(cvtdq2ps, "cvtdq2ps")
SSE_FP(cvtps2dq, "cvtps2dq")
SSE_FP(cvttps2dq, "cvttps2dq")
SSE_FP(cvtdq2pd, "cvtdq2pd")
SSE_FP(cvtpd2dq, "cvtpd2dq")
SSE_FP(cvttpd2dq, "cvttpd2dq")

/* CMPPS/PD/SS/SD: predicates 0-7 (the legacy encodings' imm8[2:0]) */
#define SSE_CMP_CASE(insn, p)                                                  \
    case p:                                                                    \
        __asm__ volatile(insn " $" #p ", %1, %0" : "+x"(a) : "x"(b));          \
        break;
#define SSE_CMP(name, insn)                                                    \
    void helper_sse_##name(CpuX86 *env, uint32_t d, uint32_t s, uint32_t imm)  \
    {                                                                          \
        V2 a = fget(env, d), b = fget(env, s);                                 \
        uint32_t host = fp_enter(env);                                         \
        switch (imm & 7) {                                                     \
            SSE_CMP_CASE(insn, 0)                                              \
            SSE_CMP_CASE(insn, 1)                                              \
            SSE_CMP_CASE(insn, 2)                                              \
            SSE_CMP_CASE(insn, 3)                                              \
            SSE_CMP_CASE(insn, 4)                                              \
            SSE_CMP_CASE(insn, 5)                                              \
            SSE_CMP_CASE(insn, 6)                                              \
        default:                                                               \
            __asm__ volatile(insn " $7, %1, %0" : "+x"(a) : "x"(b));           \
            break;                                                             \
        }                                                                      \
        fp_leave(env, host, TCG_GETPC());                                      \
        memcpy((uint8_t *)env + d, &a, 16);                                    \
    }
SSE_CMP(cmpps, "cmpps")
SSE_CMP(cmppd, "cmppd")
SSE_CMP(cmpss, "cmpss")
SSE_CMP(cmpsd, "cmpsd")

uint64_t helper_comis(CpuX86 *env, uint32_t d, uint32_t s, uint32_t kind)
{
    V2 a = fget(env, d), b = fget(env, s);
    bool z, p, c;
    uint32_t host = fp_enter(env);
    switch (kind & 3) {
    case 0:
        __asm__ volatile("ucomiss %4, %3"
                         : "=@ccz"(z), "=@ccp"(p), "=@ccc"(c)
                         : "x"(a), "x"(b));
        break;
    case 1:
        __asm__ volatile("ucomisd %4, %3"
                         : "=@ccz"(z), "=@ccp"(p), "=@ccc"(c)
                         : "x"(a), "x"(b));
        break;
    case 2:
        __asm__ volatile("comiss %4, %3"
                         : "=@ccz"(z), "=@ccp"(p), "=@ccc"(c)
                         : "x"(a), "x"(b));
        break;
    default:
        __asm__ volatile("comisd %4, %3"
                         : "=@ccz"(z), "=@ccp"(p), "=@ccc"(c)
                         : "x"(a), "x"(b));
        break;
    }
    fp_leave(env, host, TCG_GETPC());
    return (z ? CC_Z : 0) | (p ? CC_P : 0) | (c ? CC_C : 0);
}

void helper_cvtsi2sx(CpuX86 *env, uint32_t d, uint64_t v, uint32_t kind)
{
    V2 a = fget(env, d);
    uint32_t host = fp_enter(env), v32 = (uint32_t)v;
    switch (kind & 3) {
    case 0:
        __asm__ volatile("cvtsi2ssl %1, %0" : "+x"(a) : "r"(v32));
        break;
    case 1:
        __asm__ volatile("cvtsi2sdl %1, %0" : "+x"(a) : "r"(v32));
        break;
    case 2:
        __asm__ volatile("cvtsi2ssq %1, %0" : "+x"(a) : "r"(v));
        break;
    default:
        __asm__ volatile("cvtsi2sdq %1, %0" : "+x"(a) : "r"(v));
        break;
    }
    fp_leave(env, host, TCG_GETPC());
    memcpy((uint8_t *)env + d, &a, 16);
}

uint64_t helper_cvtsx2si(CpuX86 *env, uint32_t s, uint32_t kind)
{
    V2 a = fget(env, s);
    uint64_t r = 0;
    uint32_t r32 = 0, host = fp_enter(env);
    switch (kind & 7) {
    case 0:
        __asm__ volatile("cvtss2si %1, %0" : "=r"(r32) : "x"(a));
        break;
    case 1:
        __asm__ volatile("cvtsd2si %1, %0" : "=r"(r32) : "x"(a));
        break;
    case 2:
        __asm__ volatile("cvtss2si %1, %0" : "=r"(r) : "x"(a));
        break;
    case 3:
        __asm__ volatile("cvtsd2si %1, %0" : "=r"(r) : "x"(a));
        break;
    case 4:
        __asm__ volatile("cvttss2si %1, %0" : "=r"(r32) : "x"(a));
        break;
    case 5:
        __asm__ volatile("cvttsd2si %1, %0" : "=r"(r32) : "x"(a));
        break;
    case 6:
        __asm__ volatile("cvttss2si %1, %0" : "=r"(r) : "x"(a));
        break;
    default:
        __asm__ volatile("cvttsd2si %1, %0" : "=r"(r) : "x"(a));
        break;
    }
    fp_leave(env, host, TCG_GETPC());
    return (kind & 2) ? r : r32;
}

#else /* no host SSE: the software path is still to come (issue 14) */

static NORETURN void fp_none(CpuX86 *env, uintptr_t ra)
{
    log_unimp_once("sse", "floating point without a host SSE unit");
    helper_raise_ra(env, 6, 0, ra);
}

#define SSE_FPNONE(name)                                                       \
    void helper_sse_##name(CpuX86 *env, uint32_t d, uint32_t s, uint32_t imm)  \
    {                                                                          \
        (void)d, (void)s, (void)imm;                                           \
        fp_none(env, TCG_GETPC());                                             \
    }
SSE_FPNONE(addps)
SSE_FPNONE(addpd)
SSE_FPNONE(addss) SSE_FPNONE(addsd) SSE_FPNONE(subps) SSE_FPNONE(subpd)
    SSE_FPNONE(subss) SSE_FPNONE(subsd) SSE_FPNONE(mulps) SSE_FPNONE(mulpd)
        SSE_FPNONE(mulss) SSE_FPNONE(mulsd) SSE_FPNONE(divps) SSE_FPNONE(
            divpd) SSE_FPNONE(divss) SSE_FPNONE(divsd) SSE_FPNONE(minps)
            SSE_FPNONE(minpd) SSE_FPNONE(minss) SSE_FPNONE(minsd) SSE_FPNONE(
                maxps) SSE_FPNONE(maxpd) SSE_FPNONE(maxss) SSE_FPNONE(maxsd)
                SSE_FPNONE(sqrtps) SSE_FPNONE(sqrtpd) SSE_FPNONE(sqrtss)
                    SSE_FPNONE(sqrtsd) SSE_FPNONE(cvtps2pd) SSE_FPNONE(cvtpd2ps)
                        SSE_FPNONE(cvtss2sd) SSE_FPNONE(cvtsd2ss)
                            SSE_FPNONE(cvtdq2ps) SSE_FPNONE(cvtps2dq)
                                SSE_FPNONE(cvttps2dq) SSE_FPNONE(cvtdq2pd)
                                    SSE_FPNONE(cvtpd2dq) SSE_FPNONE(cvttpd2dq)
                                        SSE_FPNONE(cmpps) SSE_FPNONE(cmppd)
                                            SSE_FPNONE(cmpss) SSE_FPNONE(cmpsd)

                                                uint64_t
    helper_comis(CpuX86 *env, uint32_t d, uint32_t s, uint32_t kind)
{
    (void)d, (void)s, (void)kind;
    fp_none(env, TCG_GETPC());
}

void helper_cvtsi2sx(CpuX86 *env, uint32_t d, uint64_t v, uint32_t kind)
{
    (void)d, (void)v, (void)kind;
    fp_none(env, TCG_GETPC());
}

uint64_t helper_cvtsx2si(CpuX86 *env, uint32_t s, uint32_t kind)
{
    (void)s, (void)kind;
    fp_none(env, TCG_GETPC());
}

#endif
