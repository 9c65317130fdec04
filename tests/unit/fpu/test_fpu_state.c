/*
 * The FPU/SIMD system parts on both backends: reset values, CR0.TS/EM/MP
 * and #NM, CR4.OSFXSR/OSXSAVE #UD, LDMXCSR/STMXCSR and the reserved-bit
 * #GP, FXSAVE/FXRSTOR formats (32-bit and REX.W), the x87 environment
 * formats, XGETBV/XSETBV with the XCR0 rules, the XSAVE family's standard
 * and compacted formats and XRSTOR's header rules, CPUID leaf 0xD.
 */
#include "cpu/cpuid.h"
#include "fpu_fixture.h"

#define FOR_BACKENDS(cpl)                                                      \
    for (size_t b_ = 0; b_ < 2; b_++)                                          \
        for (int once_ = (fx_setup(b_, cpl), 1); once_; once_ = 0, tm_free(&m))

Test(fpu_state, reset_values)
{
    tm_new(&m, TCG_BACKEND_INTERP, 0, 0);
    cpu_x86_reset(m.env);
    FpuState *f = &m.env->fpu;
    cr_expect_eq(f->fcw, 0x0040);
    cr_expect_eq(fpu_full_tag_word(m.env), 0x5555); /* all zero */
    cr_expect_eq(f->mxcsr, 0x1f80);
    cr_expect_eq(f->xcr0, 1);
    cr_expect_eq(f->zmm[7].q[1], 0);
    cr_expect_eq((uintptr_t)&f->zmm[1] % 64, 0);
    tm_free(&m);
}

Test(fpu_state, ts_em_mp_raise_nm_or_ud)
{
    FOR_BACKENDS(0)
    {
        fx_cr(0, CR0_TS, 0);
        cr_expect_eq(RUN(0x66, 0x0f, 0xef, 0xc1), 7, "pxor under TS: #NM");
        cr_expect_eq(RUN(0xdb, 0xe3), 7, "fninit under TS: #NM");
        cr_expect_eq(RUN(0x0f, 0xae, 0x03), 7, "fxsave under TS: #NM");
        cr_expect_eq(RUN(0x0f, 0xae, 0x23), 7, "xsave under TS: #NM");
        cr_expect_eq(RUN(0x9b), 3, "wait: #NM only with MP");
        fx_cr(0, CR0_MP, 0);
        cr_expect_eq(RUN(0x9b), 7, "wait under MP and TS: #NM");
        cr_expect_eq(RUN(0x0f, 0x01, 0xd0), 3, "xgetbv ignores TS");
        fx_cr(0, CR0_EM, CR0_TS);
        cr_expect_eq(RUN(0x66, 0x0f, 0xef, 0xc1), 6, "pxor under EM: #UD");
        cr_expect_eq(RUN(0xd9, 0x3b), 7, "fnstcw under EM: #NM");
        cr_expect_eq(RUN(0x0f, 0xae, 0x1b), 6, "stmxcsr under EM: #UD");
        fx_cr(0, 0, CR0_EM);
        cr_expect_eq(RUN(0x66, 0x0f, 0xef, 0xc1), 3);
        fx_cr(4, 0, CR4_OSFXSR);
        cr_expect_eq(RUN(0x66, 0x0f, 0xef, 0xc1), 6, "no OSFXSR: #UD");
        cr_expect_eq(RUN(0x0f, 0xae, 0x13), 6, "ldmxcsr, no OSFXSR: #UD");
        cr_expect_eq(RUN(0x0f, 0xae, 0x03), 3, "fxsave runs anyway");
        fx_cr(4, 0, CR4_OSXSAVE);
        cr_expect_eq(RUN(0x0f, 0x01, 0xd0), 6, "xgetbv, no OSXSAVE: #UD");
        cr_expect_eq(RUN(0x0f, 0xae, 0x23), 6, "xsave, no OSXSAVE: #UD");
    }
}

Test(fpu_state, model_without_sse_raises_ud)
{
    tm_new(&m, TCG_BACKEND_JIT, 0, CPU_FEATURES_MAX & ~CPU_FEAT(SSE2));
    m.env->cr[4] |= CR4_OSFXSR;
    cpu_update_hflags(m.env);
    cr_expect_eq(RUN(0x66, 0x0f, 0xef, 0xc1), 6, "pxor xmm needs SSE2");
    cr_expect_eq(RUN(0x0f, 0x57, 0xc1), 3, "xorps is SSE");
    tm_free(&m);
}

Test(fpu_state, ldmxcsr_stmxcsr)
{
    FOR_BACKENDS(0)
    {
        fx_st32(0, 0x7f80 | MXCSR_DAZ);
        cr_expect_eq(RUN(0x0f, 0xae, 0x13, 0x0f, 0xae, 0x5b, 0x04), 3);
        cr_expect_eq(m.env->fpu.mxcsr, 0x7fc0);
        cr_expect_eq(fx_ld32(4), 0x7fc0, "stmxcsr [rbx+4]");
        fx_st32(0, 0x10000); /* reserved bit 16 */
        cr_expect_eq(RUN(0x0f, 0xae, 0x13), 13);
        cr_expect_eq(m.env->fpu.mxcsr, 0x7fc0, "unchanged after #GP");
    }
}

Test(fpu_state, fxsave_formats)
{
    FOR_BACKENDS(0)
    {
        FpuState *f = &m.env->fpu;
        f->fcw = 0x027f;
        f->fsw = 0x3800 | FSW_C1; /* TOP = 7 */
        f->ftw = 0x81;
        f->fop = 0x5d9;
        f->fip = 0x123456789aull;
        f->fcs = 0x33;
        f->fdp = 0xfedcba9876ull;
        f->fds = 0x2b;
        f->mxcsr = 0x1fa0;
        memset(f->st[7].b, 0x11, 10); /* ST(0) with TOP = 7 */
        memset(f->st[0].b, 0x22, 10); /* ST(1) */
        fx_xmm_set(0, 0x0102030405060708ull, 0x1112131415161718ull);
        fx_xmm_set(15, 0xaaaa, 0xbbbb);
        memset(fx_data(0), 0xcc, 512);
        cr_expect_eq(RUN(0x0f, 0xae, 0x03), 3); /* fxsave [rbx] */
        cr_expect_eq(fx_ld32(0), 0x3800027fu | FSW_C1 << 16);
        cr_expect_eq(*fx_data(4), 0x81);
        cr_expect_eq(fx_ld32(4) >> 16, 0x5d9);
        cr_expect_eq(fx_ld32(8), 0x3456789a, "32-bit FIP");
        cr_expect_eq(fx_ld32(12), 0x33, "FCS");
        cr_expect_eq(fx_ld32(16), 0xdcba9876, "32-bit FDP");
        cr_expect_eq(fx_ld32(24), 0x1fa0);
        cr_expect_eq(fx_ld32(28), 0xffff, "MXCSR_MASK");
        cr_expect_eq(*fx_data(32), 0x11, "ST0 first");
        cr_expect_eq(fx_ld64(42) & 0xffffffffffffull, 0, "ST0 padding");
        cr_expect_eq(*fx_data(48), 0x22);
        cr_expect_eq(fx_ld64(160), 0x0102030405060708ull);
        cr_expect_eq(fx_ld64(160 + 15 * 16 + 8), 0xbbbb, "XMM15");
        cr_expect_eq(*fx_data(416), 0xcc, "bytes 416-511 untouched");
        cr_expect_eq(RUN(0x48, 0x0f, 0xae, 0x03), 3); /* fxsave64 */
        cr_expect_eq(fx_ld64(8), 0x123456789aull, "64-bit FIP");
        cr_expect_eq(fx_ld64(16), 0xfedcba9876ull, "64-bit FDP");
        m.env->regs[R_EBX] = TM_DATA + 8;
        cr_expect_eq(RUN(0x0f, 0xae, 0x03), 13, "misaligned: #GP");
        m.env->regs[R_EBX] = TM_DATA;
        /* fxrstor: state back; reserved MXCSR bits refuse the whole image */
        fx_cr(0, 0, 0);
        fpu_reset(m.env);
        cr_expect_eq(RUN(0x48, 0x0f, 0xae, 0x0b), 3);
        cr_expect_eq(f->fcw, 0x027f);
        cr_expect_eq(f->ftw, 0x81);
        cr_expect_eq(f->fip, 0x123456789aull);
        cr_expect_eq(f->st[7].b[0], 0x11);
        cr_expect_eq(f->zmm[15].q[1], 0xbbbb);
        cr_expect_eq(f->mxcsr, 0x1fa0);
        fx_st32(24, 0x20000);
        f->fcw = 0x37f;
        cr_expect_eq(RUN(0x0f, 0xae, 0x0b), 13);
        cr_expect_eq(f->fcw, 0x37f, "nothing loaded after #GP");
    }
}

Test(fpu_state, x87_control)
{
    FOR_BACKENDS(0)
    {
        FpuState *f = &m.env->fpu;
        f->fsw = 0x3885;                  /* IE PE ES, TOP = 7 */
        cr_expect_eq(RUN(0xdf, 0xe0), 3); /* fnstsw ax */
        cr_expect_eq(m.env->regs[R_EAX] & 0xffff, 0x3885);
        cr_expect_eq(RUN(0xdb, 0xe2, 0xdd, 0x3b), 3); /* fnclex; fnstsw [rbx] */
        cr_expect_eq(fx_ld32(0) & 0xffff, 0x3800);
        cr_expect_eq(RUN(0xdb, 0xe3, 0xd9, 0x3b), 3); /* fninit; fnstcw [rbx] */
        cr_expect_eq(fx_ld32(0) & 0xffff, 0x037f);
        cr_expect_eq(f->fsw, 0);
        cr_expect_eq(fpu_full_tag_word(m.env), 0xffff);
        fx_st32(0, 0x0c7e);               /* unmask IE */
        cr_expect_eq(RUN(0xd9, 0x2b), 3); /* fldcw [rbx] */
        cr_expect_eq(f->fcw, 0x0c7e);
        f->fsw = FSW_IE;
        cr_expect_eq(RUN(0xd9, 0x2b), 3);
        cr_expect(f->fsw & FSW_ES, "unmasked IE pending: ES");
        cr_expect_eq(RUN(0x9b), 16, "wait with ES under CR0.NE: #MF");
        cr_expect_eq(RUN(0xdb, 0xe2, 0x9b), 3, "fnclex; wait");
    }
}

Test(fpu_state, fnstenv_fnsave_frstor)
{
    FOR_BACKENDS(0)
    {
        FpuState *f = &m.env->fpu;
        f->fcw = 0x0360;
        f->fsw = 0x3000;           /* TOP = 6 */
        f->ftw = 0xc0;             /* R6, R7 in use */
        memset(f->st[6].b, 0, 10); /* zero */
        memcpy(f->st[7].b, "\0\0\0\0\0\0\0\x80\xff\x3f", 10); /* 1.0 */
        f->fip = 0x401000;
        f->fcs = 0x33;
        f->fop = 0x1e9;
        f->fdp = 0x602000;
        f->fds = 0x2b;
        cr_expect_eq(RUN(0xd9, 0x33), 3); /* fnstenv [rbx], 28 bytes */
        cr_expect_eq(fx_ld32(0) & 0xffff, 0x0360);
        cr_expect_eq(fx_ld32(4) & 0xffff, 0x3000);
        cr_expect_eq(fx_ld32(8) & 0xffff, 0x1fff, "R6 zero, R7 valid");
        cr_expect_eq(fx_ld32(12), 0x401000);
        cr_expect_eq(fx_ld32(16), 0x33 | 0x1e9u << 16, "FCS and FOP");
        cr_expect_eq(fx_ld32(20), 0x602000);
        cr_expect_eq(fx_ld32(24), 0x2b);
        cr_expect_eq(f->fcw, 0x037f, "fnstenv masks every exception");
        cr_expect_eq(RUN(0x66, 0xd9, 0x33), 3); /* 16-bit: 14 bytes */
        cr_expect_eq(fx_ld32(0), 0x3000037f);
        cr_expect_eq(fx_ld32(6) & 0xffff, 0x1000, "IP offset 16 bits");
        cr_expect_eq(RUN(0xdd, 0x33), 3); /* fnsave [rbx]: 28 + 80 */
        cr_expect_eq(*fx_data(28 + 7), 0, "ST0 = R6 (zero)");
        cr_expect_eq(*fx_data(28 + 10 + 7), 0x80, "ST1 = R7 (1.0)");
        cr_expect_eq(f->fcw, 0x037f, "fnsave reinitializes");
        cr_expect_eq(f->ftw, 0);
        cr_expect_eq(RUN(0xdd, 0x23), 3); /* frstor [rbx] */
        cr_expect_eq(f->ftw, 0xc0);
        cr_expect_eq(f->fsw, 0x3000);
        cr_expect_eq(f->st[7].b[9], 0x3f);
        cr_expect_eq(f->fop, 0x1e9);
        fx_st32(0, 0x0272);
        cr_expect_eq(RUN(0xd9, 0x23), 3); /* fldenv [rbx] */
        cr_expect_eq(f->fcw, 0x0272);
    }
}

/* mov eax, lo; mov edx, hi; xsetbv (ecx = 0) */
static int xsetbv(uint32_t lo, uint32_t hi)
{
    m.env->regs[R_EAX] = lo;
    m.env->regs[R_EDX] = hi;
    m.env->regs[R_ECX] = 0;
    return RUN(0x0f, 0x01, 0xd1);
}

Test(fpu_state, xsetbv_rules)
{
    FOR_BACKENDS(0)
    {
        cr_expect_eq(xsetbv(3, 0), 3);
        cr_expect_eq(m.env->fpu.xcr0, 3);
        cr_expect_eq(xsetbv(2, 0), 13, "x87 bit clear");
        cr_expect_eq(xsetbv(7, 0), 13, "AVX not in this model");
        cr_expect_eq(xsetbv(3, 1), 13, "bit 32 unsupported");
        m.env->regs[R_ECX] = 1;
        cr_expect_eq(RUN(0x0f, 0x01, 0xd1), 13, "ecx != 0");
        cr_expect_eq(m.env->fpu.xcr0, 3);
        m.env->regs[R_ECX] = 0;
        cr_expect_eq(RUN(0x0f, 0x01, 0xd0), 3); /* xgetbv */
        cr_expect_eq(m.env->regs[R_EAX], 3);
        cr_expect_eq(m.env->regs[R_EDX], 0);
        m.env->regs[R_ECX] = 1; /* XINUSE: x87 is in its reset state */
        fx_xmm_set(3, 1, 0);
        cr_expect_eq(RUN(0x0f, 0x01, 0xd0), 3);
        cr_expect_eq(m.env->regs[R_EAX], 3, "x87 (FCW 0040H) and SSE used");
        m.env->regs[R_ECX] = 2;
        cr_expect_eq(RUN(0x0f, 0x01, 0xd0), 13);
    }
    /* AVX state in a model with AVX: needs SSE too */
    tm_new(&m, TCG_BACKEND_INTERP, 0, CPU_FEATURES_MAX | CPU_FEAT(AVX));
    fx_cr(4, CR4_OSXSAVE, 0);
    cr_expect_eq(xsetbv(5, 0), 13, "AVX without SSE");
    cr_expect_eq(xsetbv(7, 0), 3);
    tm_free(&m);
    /* CPL 3 */
    fx_setup(0, 3);
    cr_expect_eq(xsetbv(3, 0), 13, "CPL 3: #GP");
    tm_free(&m);
}

/* xsave-family insn at [rbx] with RFBM = edx:eax = -1 */
static int xs_run(const uint8_t *code, size_t n)
{
    m.env->regs[R_EAX] = ~0u;
    m.env->regs[R_EDX] = ~0u;
    return tm_run(&m, code, n);
}

static const uint8_t XSAVE[] = {0x0f, 0xae, 0x23};
static const uint8_t XSAVEOPT[] = {0x0f, 0xae, 0x33};
static const uint8_t XSAVEC[] = {0x0f, 0xc7, 0x23};
static const uint8_t XSAVES[] = {0x0f, 0xc7, 0x2b};
static const uint8_t XRSTOR[] = {0x0f, 0xae, 0x2b};
static const uint8_t XRSTORS[] = {0x0f, 0xc7, 0x1b};

Test(fpu_state, xsave_standard_and_compacted)
{
    FOR_BACKENDS(0)
    {
        FpuState *f = &m.env->fpu;
        cr_assert_eq(xsetbv(3, 0), 3);
        fpu_x87_init(m.env);
        memset(f->st, 0, sizeof(f->st)); /* x87 in its initial state */
        fx_xmm_set(2, 0x2222, 0x3333);
        memset(fx_data(0), 0xcc, 1024);
        fx_st64(512, 0x4); /* a stale bit XSAVE must keep */
        cr_expect_eq(xs_run(XSAVE, 3), 3);
        cr_expect_eq(fx_ld64(512), 0x4 | XFEATURE_SSE, "XSTATE_BV");
        cr_expect_eq(fx_ld32(0) & 0xffff, 0x037f, "x87 written anyway");
        cr_expect_eq(fx_ld64(160 + 32), 0x2222);
        cr_expect_eq(fx_ld64(520), 0xccccccccccccccccull, "XCOMP_BV kept");
        memset(fx_data(0), 0xcc, 1024);
        fx_st64(512, 0);
        cr_expect_eq(xs_run(XSAVEOPT, 3), 3);
        cr_expect_eq(fx_ld64(512), XFEATURE_SSE);
        cr_expect_eq(*fx_data(0), 0xcc, "init x87 not written");
        memset(fx_data(0), 0xcc, 1024);
        cr_expect_eq(xs_run(XSAVEC, 3), 3);
        cr_expect_eq(fx_ld64(512), XFEATURE_SSE);
        cr_expect_eq(fx_ld64(520), XCOMP_BV_COMPACT | 3);
        cr_expect_eq(*fx_data(0), 0xcc, "init x87 not written");
        cr_expect_eq(fx_ld64(160 + 40), 0x3333);
        m.env->regs[R_EBX] = TM_DATA + 16;
        cr_expect_eq(xs_run(XSAVE, 3), 13, "not 64-byte aligned");
        m.env->regs[R_EBX] = TM_DATA;
        /* restore the compacted image: x87 initialized, XMM2 back */
        f->fcw = 0x123;
        fx_xmm_set(2, 0, 0);
        memset(fx_data(528), 0, 48);
        cr_expect_eq(xs_run(XRSTOR, 3), 3);
        cr_expect_eq(f->fcw, 0x037f, "XSTATE_BV[0] = 0: init");
        cr_expect_eq(f->zmm[2].q[1], 0x3333);
        cr_expect_eq(xs_run(XSAVES, 3), 3);
        cr_expect_eq(fx_ld64(520), XCOMP_BV_COMPACT | 3);
        cr_expect_eq(xs_run(XRSTORS, 3), 3);
    }
}

Test(fpu_state, xrstor_header_rules)
{
    FOR_BACKENDS(0)
    {
        FpuState *f = &m.env->fpu;
        cr_assert_eq(xsetbv(3, 0), 3);
        memset(fx_data(0), 0, 1024);
        fx_st32(0, 0x37f);
        fx_st32(24, 0x1f80);
        fx_st64(512, 4); /* AVX not in XCR0 */
        cr_expect_eq(xs_run(XRSTOR, 3), 13, "XSTATE_BV outside XCR0");
        fx_st64(512, 3);
        fx_st64(520, 1); /* standard form: XCOMP_BV must be 0 */
        cr_expect_eq(xs_run(XRSTOR, 3), 13);
        fx_st64(520, 0);
        fx_st64(528, 1);
        cr_expect_eq(xs_run(XRSTOR, 3), 13, "header bytes 16-23");
        fx_st64(528, 0);
        fx_st32(24, 0x40000); /* MXCSR reserved bit */
        f->fcw = 0x55;
        cr_expect_eq(xs_run(XRSTOR, 3), 13);
        cr_expect_eq(f->fcw, 0x55, "nothing restored");
        fx_st32(24, 0x1f80);
        cr_expect_eq(xs_run(XRSTORS, 3), 13, "XRSTORS needs compaction");
        fx_st64(520, XCOMP_BV_COMPACT | 1);
        cr_expect_eq(xs_run(XRSTOR, 3), 13, "XSTATE_BV outside XCOMP_BV");
        fx_st64(520, XCOMP_BV_COMPACT | 7);
        cr_expect_eq(xs_run(XRSTOR, 3), 13, "XCOMP_BV outside XCR0");
        fx_st64(520, XCOMP_BV_COMPACT | 3);
        fx_st64(560, 1);
        cr_expect_eq(xs_run(XRSTOR, 3), 13, "header bytes 16-63");
        fx_st64(560, 0);
        cr_expect_eq(xs_run(XRSTOR, 3), 3);
        cr_expect_eq(f->fcw, 0x37f);
    }
    fx_setup(1, 3);
    m.env->fpu.xcr0 = 3;
    cr_expect_eq(xs_run(XSAVES, 3), 13, "XSAVES at CPL 3");
    cr_expect_eq(xs_run(XRSTORS, 3), 13, "XRSTORS at CPL 3");
    tm_free(&m);
}

Test(fpu_state, xsave_ymm_component_with_avx)
{
    tm_new(&m, TCG_BACKEND_JIT, 0, CPU_FEATURES_MAX | CPU_FEAT(AVX));
    fx_cr(4, CR4_OSXSAVE | CR4_OSFXSR, 0);
    m.env->regs[R_EBX] = TM_DATA;
    cr_assert_eq(xsetbv(7, 0), 3);
    m.env->fpu.zmm[1].q[2] = 0x5151; /* YMM1 bits 128-191 */
    memset(fx_data(0), 0xcc, 1024);
    cr_expect_eq(xs_run(XSAVEC, 3), 3);
    cr_expect_eq(fx_ld64(512), XFEATURE_YMM | XFEATURE_X87, "FCW 0040H");
    cr_expect_eq(fx_ld64(XSAVE_YMM_OFF + 16), 0x5151, "YMM1 high at 576");
    m.env->fpu.zmm[1].q[2] = 0;
    memset(fx_data(528), 0, 48); /* header bytes 16-63 */
    cr_expect_eq(xs_run(XRSTOR, 3), 3);
    cr_expect_eq(m.env->fpu.zmm[1].q[2], 0x5151);
    uint32_t r[4];
    cpuid_query(m.env, 0xd, 0, r);
    cr_expect_eq(r[0], 7);
    cr_expect_eq(r[1], 832, "size for XCR0 = 7");
    cpuid_query(m.env, 0xd, 2, r);
    cr_expect_eq(r[0], 256);
    cr_expect_eq(r[1], 576);
    tm_free(&m);
}

Test(fpu_state, cpuid_leaf_d_and_leaf_1)
{
    tm_new(&m, TCG_BACKEND_INTERP, 0, 0);
    uint32_t r[4];
    cpuid_query(m.env, 0xd, 0, r);
    cr_expect_eq(r[0], 3, "x87 and SSE");
    cr_expect_eq(r[1], 576);
    cr_expect_eq(r[2], 576);
    cpuid_query(m.env, 0xd, 1, r);
    cr_expect_eq(r[0], 0xf, "XSAVEOPT XSAVEC XGETBV1 XSAVES");
    cpuid_query(m.env, 1, 0, r);
    cr_expect(r[3] & CPUID_1_EDX_SSE2);
    cr_expect(r[3] & CPUID_1_EDX_FXSR);
    cr_expect(r[2] & CPUID_1_ECX_XSAVE);
    cr_expect_eq(r[2] & CPUID_1_ECX_OSXSAVE, 0);
    m.env->cr[4] |= CR4_OSXSAVE;
    cpuid_query(m.env, 1, 0, r);
    cr_expect(r[2] & CPUID_1_ECX_OSXSAVE);
    m.env->features = CPU_FEATURES_QEMU64;
    cpuid_query(m.env, 0xd, 0, r);
    cr_expect_eq(r[0], 0, "no XSAVE: leaf 0xD empty");
    tm_free(&m);
}

/* wrmsr/rdmsr of IA32_XSS (ecx = 0xda0), CR4 bits of missing features */
Test(fpu_state, xss_msr_and_cr4_bits)
{
    FOR_BACKENDS(0)
    {
        m.env->regs[R_ECX] = MSR_IA32_XSS;
        m.env->regs[R_EAX] = 0;
        m.env->regs[R_EDX] = 0;
        cr_expect_eq(RUN(0x0f, 0x30, 0x0f, 0x32), 3, "wrmsr 0; rdmsr");
        cr_expect_eq(m.env->regs[R_EAX], 0);
        m.env->regs[R_EAX] = 1u << 8; /* PT state: not implemented */
        cr_expect_eq(RUN(0x0f, 0x30), 13);
        cr_expect_eq(m.env->fpu.xss, 0);
    }
    tm_new(&m, TCG_BACKEND_INTERP, 0, CPU_FEATURES_QEMU64);
    m.env->regs[R_ECX] = MSR_IA32_XSS;
    cr_expect_eq(RUN(0x0f, 0x32), 13, "no XSAVES: no IA32_XSS");
    m.env->regs[R_EBX] = CR4_PAE | CR4_OSXSAVE;
    cr_expect_eq(RUN(0x0f, 0x22, 0xe3), 13, "OSXSAVE without XSAVE");
    m.env->regs[R_EBX] = CR4_PAE;
    cr_expect_eq(RUN(0x0f, 0x22, 0xe3), 3);
    tm_free(&m);
}
