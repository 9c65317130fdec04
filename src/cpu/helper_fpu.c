/*
 * FPU/SIMD system helpers: reset values, FNINIT/FLDCW/FNCLEX/FWAIT, the
 * x87 environment formats (FNSTENV/FLDENV/FNSAVE/FRSTOR, SDM vol. 1
 * 8.1.10 figures 8-9 to 8-12), FXSAVE/FXRSTOR (vol. 1 10.5.1, table 10-2
 * and 10-3 for the REX.W form), the XSAVE family with its header rules
 * (vol. 1 13.7-13.12), XGETBV/XSETBV with the XCR0 rules (13.3) and CPUID
 * leaf 0xD. The translator has raised #UD/#NM already (translate_fpu.c);
 * alignment, reserved-bit and header faults are raised here, before any
 * state changes: stores are probed first, restores read the whole image
 * before they load any of it.
 */
#include <string.h>

#include "cpu/cpu_features.h"
#include "cpu/fpu_helpers.h"
#include "cpu/translate_int.h"
#include "util/log.h"

/* ---- reset and init ---- */

void fpu_x87_init(CpuX86 *env)
{
    FpuState *f = &env->fpu;
    f->fcw = FCW_INIT;
    f->fsw = 0;
    f->ftw = 0;
    f->fop = 0;
    f->fip = f->fdp = 0;
    f->fcs = f->fds = 0;
}

void fpu_reset(CpuX86 *env)
{
    FpuState *f = &env->fpu;
    memset(f, 0, sizeof(*f));
    f->fcw = FCW_POWERON; /* table 9-1: FCW 0040H, FTW 5555H (all zero) */
    f->ftw = 0xff;
    f->mxcsr = MXCSR_INIT;
    f->mxcsr_mask = MXCSR_MASK_DEFAULT;
    f->xcr0 = XFEATURE_X87;
}

/* ---- guest memory for the save areas ---- */

/* linear addresses wrap at 4 GiB outside 64-bit code */
static uint64_t fpu_lin(const CpuX86 *env, uint64_t a)
{
    return (env->hflags & HF_CS64) ? a : a & 0xffffffffu;
}

/* len bytes at addr; a fault leaves nothing written (both ends probed) */
static void fpu_mem_write(CpuX86 *env, uint64_t addr, const void *buf,
                          uint32_t len, uintptr_t ra)
{
    unsigned mmu = cpu_mmu_index(env);
    const uint8_t *p = buf;
    (void)tlb_probe(env, fpu_lin(env, addr), WALK_WRITE, mmu, ra);
    (void)tlb_probe(env, fpu_lin(env, addr + len - 1), WALK_WRITE, mmu, ra);
    for (uint32_t i = 0; i < len;) {
        uint64_t a = fpu_lin(env, addr + i), v = 0;
        unsigned n = ((a & 7) == 0 && len - i >= 8) ? 8 : 1;
        memcpy(&v, p + i, n);
        tlb_st_slow(env, a, v, (n == 8 ? IR_MO_64 : IR_MO_8) | IR_MO_MMU(mmu),
                    ra);
        i += n;
    }
}

static void fpu_mem_read(CpuX86 *env, uint64_t addr, void *buf, uint32_t len,
                         uintptr_t ra)
{
    unsigned mmu = cpu_mmu_index(env);
    uint8_t *p = buf;
    for (uint32_t i = 0; i < len;) {
        uint64_t a = fpu_lin(env, addr + i);
        unsigned n = ((a & 7) == 0 && len - i >= 8) ? 8 : 1;
        uint64_t v = tlb_ld_slow(
            env, a, (n == 8 ? IR_MO_64 : IR_MO_8) | IR_MO_MMU(mmu), ra);
        memcpy(p + i, &v, n);
        i += n;
    }
}

static NORETURN void fpu_gp(CpuX86 *env, uintptr_t ra)
{
    helper_raise_ra(env, 13, 0, ra);
}

/* a #GP the guest's operand caused: logged under -d guest_errors */
static NORETURN void fpu_gp_why(CpuX86 *env, const char *why, uint64_t v,
                                uintptr_t ra)
{
    log_guest_error("fpu", "%s (0x%llx): #GP", why, (unsigned long long)v);
    fpu_gp(env, ra);
}

NORETURN void fpu_raise_simd(CpuX86 *env, uintptr_t ra)
{
    helper_raise_ra(env, (env->cr[4] & CR4_OSXMMEXCPT_BIT) ? 19 : 6, 0, ra);
}

/* ---- x87 control ---- */

static unsigned fpu_top(const CpuX86 *env)
{
    return (env->fpu.fsw & FSW_TOP) >> FSW_TOP_SHIFT;
}

/* ES and B follow the unmasked pending exceptions (SDM 8.1.3.1) */
static void fpu_update_es(CpuX86 *env)
{
    FpuState *f = &env->fpu;
    if (f->fsw & ~f->fcw & FSW_EXC) {
        f->fsw |= FSW_ES | FSW_B;
    } else {
        f->fsw &= (uint16_t) ~(FSW_ES | FSW_B);
    }
}

void helper_fldcw(CpuX86 *env, uint32_t v)
{
    env->fpu.fcw = (uint16_t)(v | 0x40); /* bit 6 reads as 1 */
    fpu_update_es(env);
}

void helper_fnclex(CpuX86 *env)
{
    env->fpu.fsw &= (uint16_t) ~(FSW_EXC | FSW_SF | FSW_ES | FSW_B);
}

void helper_fninit(CpuX86 *env)
{
    fpu_x87_init(env);
}

/*
 * WAIT/FWAIT with an unmasked exception pending: #MF under CR0.NE; without
 * it the legacy FERR# path (IRQ 13) is not modelled yet and WAIT goes on.
 */
void helper_fwait(CpuX86 *env)
{
    if (!(env->fpu.fsw & FSW_ES)) {
        return;
    }
    if (env->cr[0] & CR0_NE) {
        helper_raise_ra(env, 16, 0, TCG_GETPC());
    }
    log_unimp_once("fpu", "FERR#/IRQ 13 (CR0.NE = 0) not modelled");
}

/* the SDM's tag of a non-empty register: 0 valid, 1 zero, 2 special */
static unsigned fpu_tag_of(const FpuReg *r)
{
    uint64_t m;
    memcpy(&m, r->b, 8);
    unsigned exp = (r->b[8] | (unsigned)r->b[9] << 8) & 0x7fff;
    if (exp == 0x7fff) {
        return 2;
    }
    if (exp == 0) {
        return m ? 2 : 1;
    }
    return (m >> 63) ? 0 : 2;
}

uint16_t fpu_full_tag_word(const CpuX86 *env)
{
    uint16_t t = 0;
    for (unsigned i = 0; i < 8; i++) {
        unsigned tag =
            (env->fpu.ftw >> i) & 1 ? fpu_tag_of(&env->fpu.st[i]) : 3;
        t |= (uint16_t)(tag << (2 * i));
    }
    return t;
}

static uint8_t fpu_abridge(uint16_t full)
{
    uint8_t a = 0;
    for (unsigned i = 0; i < 8; i++) {
        a |= ((full >> (2 * i)) & 3) != 3 ? (uint8_t)(1u << i) : 0;
    }
    return a;
}

/* ---- FNSTENV / FLDENV / FNSAVE / FRSTOR ---- */

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static uint32_t get16(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/*
 * The environment image (14 or 28 bytes). Protected mode: offsets with
 * selectors; real and virtual-8086 mode: 20/32-bit linear pointers, FOP in
 * the low 11 bits of the FIP-high slot (figures 8-9 to 8-12).
 */
static unsigned fpu_env_store(CpuX86 *env, uint8_t *img, bool op32)
{
    FpuState *f = &env->fpu;
    bool pm = (env->hflags & HF_PE) && !(env->hflags & HF_VM);
    unsigned w = op32 ? 4 : 2;
    memset(img, 0, 28);
    put16(img, f->fcw);
    put16(img + w, f->fsw);
    put16(img + 2 * w, fpu_full_tag_word(env));
    if (pm) {
        if (op32) {
            put32(img + 12, (uint32_t)f->fip);
            put32(img + 16, f->fcs | (uint32_t)(f->fop & 0x7ff) << 16);
            put32(img + 20, (uint32_t)f->fdp);
            put32(img + 24, f->fds);
        } else {
            put16(img + 6, (uint32_t)f->fip);
            put16(img + 8, f->fcs);
            put16(img + 10, (uint32_t)f->fdp);
            put16(img + 12, f->fds);
        }
        return op32 ? 28 : 14;
    }
    uint32_t ip = (uint32_t)f->fip + ((uint32_t)f->fcs << 4);
    uint32_t dp = (uint32_t)f->fdp + ((uint32_t)f->fds << 4);
    if (op32) {
        put32(img + 12, ip & 0xffff);
        put32(img + 16, (ip >> 16) << 12 | (f->fop & 0x7ff));
        put32(img + 20, dp & 0xffff);
        put32(img + 24, (dp >> 16) << 12);
        return 28;
    }
    put16(img + 6, ip);
    put16(img + 8, ((ip >> 16) & 0xf) << 12 | (f->fop & 0x7ff));
    put16(img + 10, dp);
    put16(img + 12, ((dp >> 16) & 0xf) << 12);
    return 14;
}

static void fpu_env_load(CpuX86 *env, const uint8_t *img, bool op32)
{
    FpuState *f = &env->fpu;
    bool pm = (env->hflags & HF_PE) && !(env->hflags & HF_VM);
    unsigned w = op32 ? 4 : 2;
    f->fcw = (uint16_t)(get16(img) | 0x40);
    f->fsw = (uint16_t)get16(img + w);
    f->ftw = fpu_abridge((uint16_t)get16(img + 2 * w));
    if (pm && op32) {
        f->fip = get32(img + 12);
        f->fcs = (uint16_t)get32(img + 16);
        f->fop = (uint16_t)((get32(img + 16) >> 16) & 0x7ff);
        f->fdp = get32(img + 20);
        f->fds = (uint16_t)get32(img + 24);
    } else if (pm) {
        f->fip = get16(img + 6);
        f->fcs = (uint16_t)get16(img + 8);
        f->fdp = get16(img + 10);
        f->fds = (uint16_t)get16(img + 12);
    } else if (op32) {
        f->fip = (get32(img + 12) & 0xffff) | (get32(img + 16) >> 12) << 16;
        f->fop = (uint16_t)(get32(img + 16) & 0x7ff);
        f->fdp = (get32(img + 20) & 0xffff) | (get32(img + 24) >> 12) << 16;
        f->fcs = f->fds = 0;
    } else {
        f->fip = get16(img + 6) | (uint64_t)(get16(img + 8) >> 12) << 16;
        f->fop = (uint16_t)(get16(img + 8) & 0x7ff);
        f->fdp = get16(img + 10) | (uint64_t)(get16(img + 12) >> 12) << 16;
        f->fcs = f->fds = 0;
    }
    fpu_update_es(env);
}

void helper_fpu_env(CpuX86 *env, uint64_t addr, uint32_t op)
{
    uintptr_t ra = TCG_GETPC();
    bool op32 = op & FENV_32;
    uint8_t img[28 + 80];
    unsigned top = fpu_top(env), n;
    switch (op & 3) {
    case FENV_STENV:
        n = fpu_env_store(env, img, op32);
        fpu_mem_write(env, addr, img, n, ra);
        env->fpu.fcw |= FCW_EXC_MASKS; /* FNSTENV masks all exceptions */
        fpu_update_es(env);
        break;
    case FENV_SAVE:
        n = fpu_env_store(env, img, op32);
        for (unsigned i = 0; i < 8; i++) {
            memcpy(img + n + 10 * i, env->fpu.st[(top + i) & 7].b, 10);
        }
        fpu_mem_write(env, addr, img, n + 80, ra);
        fpu_x87_init(env);
        break;
    case FENV_LDENV:
        n = op32 ? 28 : 14;
        fpu_mem_read(env, addr, img, n, ra);
        fpu_env_load(env, img, op32);
        break;
    default: /* FENV_RSTOR */
        n = op32 ? 28 : 14;
        fpu_mem_read(env, addr, img, n + 80, ra);
        fpu_env_load(env, img, op32);
        top = fpu_top(env);
        for (unsigned i = 0; i < 8; i++) {
            memcpy(env->fpu.st[(top + i) & 7].b, img + n + 10 * i, 10);
        }
        break;
    }
}

/* ---- MXCSR ---- */

void helper_ldmxcsr(CpuX86 *env, uint32_t v)
{
    if (v & ~env->fpu.mxcsr_mask) {
        fpu_gp_why(env, "LDMXCSR reserved bits", v, TCG_GETPC());
    }
    env->fpu.mxcsr = v;
}

/* ---- the legacy region: FXSAVE, and XSAVE's first 512 bytes ---- */

/* XMM registers the current mode can name */
static unsigned fpu_nxmm(const CpuX86 *env)
{
    return (env->hflags & HF_CS64) ? 16 : 8;
}

static void fpu_legacy_x87_store(CpuX86 *env, uint8_t *img, bool rexw)
{
    FpuState *f = &env->fpu;
    put16(img, f->fcw);
    put16(img + 2, f->fsw);
    img[4] = f->ftw;
    img[5] = 0;
    put16(img + 6, f->fop);
    if (rexw) {
        memcpy(img + 8, &f->fip, 8);
        memcpy(img + 16, &f->fdp, 8);
    } else {
        put32(img + 8, (uint32_t)f->fip);
        put32(img + 12, f->fcs);
        put32(img + 16, (uint32_t)f->fdp);
        put32(img + 20, f->fds);
    }
    unsigned top = fpu_top(env);
    for (unsigned i = 0; i < 8; i++) {
        memset(img + 32 + 16 * i, 0, 16);
        memcpy(img + 32 + 16 * i, f->st[(top + i) & 7].b, 10);
    }
}

static void fpu_legacy_x87_load(CpuX86 *env, const uint8_t *img, bool rexw)
{
    FpuState *f = &env->fpu;
    f->fcw = (uint16_t)(get16(img) | 0x40);
    f->fsw = (uint16_t)get16(img + 2);
    f->ftw = img[4];
    f->fop = (uint16_t)(get16(img + 6) & 0x7ff);
    if (rexw) {
        memcpy(&f->fip, img + 8, 8);
        memcpy(&f->fdp, img + 16, 8);
        f->fcs = f->fds = 0;
    } else {
        f->fip = get32(img + 8);
        f->fcs = (uint16_t)get16(img + 12);
        f->fdp = get32(img + 16);
        f->fds = (uint16_t)get16(img + 20);
    }
    unsigned top = fpu_top(env);
    for (unsigned i = 0; i < 8; i++) {
        memcpy(f->st[(top + i) & 7].b, img + 32 + 16 * i, 10);
    }
    fpu_update_es(env);
}

static void fpu_xmm_store(CpuX86 *env, uint8_t *img)
{
    for (unsigned i = 0; i < fpu_nxmm(env); i++) {
        memcpy(img + 160 + 16 * i, env->fpu.zmm[i].b, 16);
    }
}

static void fpu_xmm_load(CpuX86 *env, const uint8_t *img)
{
    for (unsigned i = 0; i < fpu_nxmm(env); i++) {
        memcpy(env->fpu.zmm[i].b, img + 160 + 16 * i, 16);
    }
}

/*
 * FXSAVE m512 (16-byte aligned, else #GP(0)): bytes 0-415 in 64-bit mode,
 * 0-287 (XMM0-7) elsewhere; bytes 416-511 are left alone. The XMM part
 * and MXCSR are saved even without CR4.OSFXSR (implementation-defined).
 */
void helper_fxsave(CpuX86 *env, uint64_t addr, uint32_t rexw)
{
    uintptr_t ra = TCG_GETPC();
    uint8_t img[XSAVE_LEGACY_SIZE];
    if (addr & 15) {
        fpu_gp_why(env, "FXSAVE/FXRSTOR area not 16-byte aligned", addr, ra);
    }
    memset(img, 0, sizeof(img));
    fpu_legacy_x87_store(env, img, rexw);
    put32(img + 24, env->fpu.mxcsr);
    put32(img + 28, env->fpu.mxcsr_mask);
    fpu_xmm_store(env, img);
    fpu_mem_write(env, addr, img, 160 + 16 * fpu_nxmm(env), ra);
}

/* FXRSTOR m512: reserved MXCSR bits set -> #GP(0), nothing loaded */
void helper_fxrstor(CpuX86 *env, uint64_t addr, uint32_t rexw)
{
    uintptr_t ra = TCG_GETPC();
    uint8_t img[XSAVE_LEGACY_SIZE];
    if (addr & 15) {
        fpu_gp_why(env, "FXSAVE/FXRSTOR area not 16-byte aligned", addr, ra);
    }
    fpu_mem_read(env, addr, img, 160 + 16 * fpu_nxmm(env), ra);
    uint32_t mxcsr = get32(img + 24);
    if (mxcsr & ~env->fpu.mxcsr_mask) {
        fpu_gp_why(env, "FXRSTOR MXCSR reserved bits", mxcsr, ra);
    }
    fpu_legacy_x87_load(env, img, rexw);
    env->fpu.mxcsr = mxcsr;
    fpu_xmm_load(env, img);
}

/* ---- XSAVE state components ---- */

uint64_t fpu_xcr0_supported(const CpuX86 *env)
{
    uint64_t m = XFEATURE_X87 | XFEATURE_SSE;
    if (cpu_has_feature(env, XFEAT_AVX)) {
        m |= XFEATURE_YMM;
    }
    return m;
}

uint32_t fpu_xsave_size(uint64_t mask, bool compacted)
{
    (void)compacted; /* one extended component: both forms put it at 576 */
    return XSAVE_LEGACY_SIZE + XSAVE_HDR_SIZE +
           ((mask & XFEATURE_YMM) ? XSAVE_YMM_SIZE : 0);
}

static bool fpu_x87_is_init(const CpuX86 *env)
{
    const FpuState *f = &env->fpu;
    static const FpuReg zero;
    for (unsigned i = 0; i < 8; i++) {
        if (memcmp(f->st[i].b, zero.b, 10) != 0) {
            return false;
        }
    }
    return f->fcw == FCW_INIT && f->fsw == 0 && f->ftw == 0 && f->fop == 0 &&
           f->fip == 0 && f->fdp == 0 && f->fcs == 0 && f->fds == 0;
}

static bool fpu_vec_is_zero(const CpuX86 *env, unsigned from, unsigned len)
{
    for (unsigned i = 0; i < 16; i++) {
        for (unsigned j = from; j < from + len; j++) {
            if (env->fpu.zmm[i].b[j]) {
                return false;
            }
        }
    }
    return true;
}

uint64_t fpu_xinuse(const CpuX86 *env)
{
    uint64_t in = 0;
    in |= fpu_x87_is_init(env) ? 0 : XFEATURE_X87;
    in |= fpu_vec_is_zero(env, 0, 16) && env->fpu.mxcsr == MXCSR_INIT
              ? 0
              : XFEATURE_SSE;
    in |= fpu_vec_is_zero(env, 16, 16) ? 0 : XFEATURE_YMM;
    return in & env->fpu.xcr0;
}

static void fpu_x87_set_init(CpuX86 *env)
{
    fpu_x87_init(env);
    memset(env->fpu.st, 0, sizeof(env->fpu.st));
}

void fpu_cpuid_leaf_d(const CpuX86 *env, uint32_t subleaf, uint32_t out[4])
{
    uint64_t sup = fpu_xcr0_supported(env);
    out[0] = out[1] = out[2] = out[3] = 0;
    if (!cpu_has_feature(env, XFEAT_XSAVE)) {
        return;
    }
    switch (subleaf) {
    case 0:
        out[0] = (uint32_t)sup;
        out[1] = fpu_xsave_size(env->fpu.xcr0, false);
        out[2] = fpu_xsave_size(sup, false);
        out[3] = (uint32_t)(sup >> 32);
        break;
    case 1:
        /* XSAVEOPT, XSAVEC, XGETBV with ECX = 1, XSAVES/XRSTORS */
        out[0] = (cpu_has_feature(env, XFEAT_XSAVEOPT) ? 1u : 0) |
                 (cpu_has_feature(env, XFEAT_XSAVEC) ? 6u : 0) |
                 (cpu_has_feature(env, XFEAT_XSAVES) ? 8u : 0);
        out[1] = fpu_xsave_size(env->fpu.xcr0 | env->fpu.xss, true);
        break;
    case 2:
        if (sup & XFEATURE_YMM) {
            out[0] = XSAVE_YMM_SIZE;
            out[1] = XSAVE_YMM_OFF;
        }
        break;
    default:
        break;
    }
}

/* ---- CR4 and IA32_XSS (translate_cr.c asks) ---- */

uint64_t fpu_cr4_reserved(const CpuX86 *env)
{
    uint64_t r = 0;
    r |= cpu_has_feature(env, XFEAT_FXSR) ? 0 : CR4_OSFXSR;
    r |= cpu_has_feature(env, XFEAT_SSE) ? 0 : CR4_OSXMMEXCPT_BIT;
    r |= cpu_has_feature(env, XFEAT_XSAVE) ? 0 : CR4_OSXSAVE;
    return r;
}

bool fpu_msr_known(const CpuX86 *env, uint32_t msr)
{
    return msr == MSR_IA32_XSS && cpu_has_feature(env, XFEAT_XSAVES);
}

bool fpu_msr_read(const CpuX86 *env, uint32_t msr, uint64_t *v)
{
    if (!fpu_msr_known(env, msr)) {
        return false;
    }
    *v = env->fpu.xss;
    return true;
}

/* no supervisor state component is implemented: only 0 is accepted */
bool fpu_msr_write(CpuX86 *env, uint32_t msr, uint64_t v)
{
    (void)msr;
    if (v != 0) {
        log_guest_error("fpu", "IA32_XSS = 0x%llx: unsupported bits, #GP",
                        (unsigned long long)v);
        return false;
    }
    env->fpu.xss = v;
    return true;
}

/* ---- XGETBV / XSETBV ---- */

static uint64_t fpu_edx_eax(const CpuX86 *env)
{
    return (env->regs[R_EDX] << 32) | (uint32_t)env->regs[R_EAX];
}

void helper_xgetbv(CpuX86 *env)
{
    uint32_t ecx = (uint32_t)env->regs[R_ECX];
    uint64_t v;
    if (ecx == 0) {
        v = env->fpu.xcr0;
    } else if (ecx == 1 && cpu_has_feature(env, XFEAT_XSAVEC)) {
        v = env->fpu.xcr0 & fpu_xinuse(env); /* XINUSE (XGETBV1) */
    } else {
        fpu_gp(env, TCG_GETPC());
    }
    env->regs[R_EAX] = (uint32_t)v;
    env->regs[R_EDX] = v >> 32;
}

/* XCR0 rules (SDM vol. 1 13.3): x87 always, AVX needs SSE, supported only */
static bool fpu_xcr0_valid(const CpuX86 *env, uint64_t v)
{
    return (v & XFEATURE_X87) && !(v & ~fpu_xcr0_supported(env)) &&
           !((v & XFEATURE_YMM) && !(v & XFEATURE_SSE));
}

void helper_xsetbv(CpuX86 *env)
{
    uintptr_t ra = TCG_GETPC();
    uint64_t v = fpu_edx_eax(env);
    if (cpu_cpl(env) != 0 || (uint32_t)env->regs[R_ECX] != 0 ||
        !fpu_xcr0_valid(env, v)) {
        log_guest_error("fpu", "XSETBV ecx=0x%x value=0x%llx: #GP",
                        (unsigned)env->regs[R_ECX], (unsigned long long)v);
        fpu_gp(env, ra);
    }
    env->fpu.xcr0 = v;
}

/* ---- XSAVE / XSAVEOPT / XSAVEC / XSAVES ---- */

static void fpu_ymm_store(CpuX86 *env, uint8_t *p)
{
    for (unsigned i = 0; i < fpu_nxmm(env); i++) {
        memcpy(p + 16 * i, env->fpu.zmm[i].b + 16, 16);
    }
}

static void fpu_ymm_load(CpuX86 *env, const uint8_t *p)
{
    for (unsigned i = 0; i < fpu_nxmm(env); i++) {
        memcpy(env->fpu.zmm[i].b + 16, p + 16 * i, 16);
    }
}

/* the image's pieces: which byte ranges a save writes */
typedef struct XsImage {
    uint8_t b[XSAVE_YMM_OFF + XSAVE_YMM_SIZE];
    bool x87, mxcsr, sse, ymm;
} XsImage;

static void fpu_xs_write(CpuX86 *env, uint64_t addr, const XsImage *im,
                         uint32_t hdr_len, uintptr_t ra)
{
    if (im->x87) {
        fpu_mem_write(env, addr, im->b, 24, ra);
        fpu_mem_write(env, addr + 32, im->b + 32, 128, ra);
    }
    if (im->mxcsr) {
        fpu_mem_write(env, addr + 24, im->b + 24, 8, ra);
    }
    if (im->sse) {
        fpu_mem_write(env, addr + 160, im->b + 160, 16 * fpu_nxmm(env), ra);
    }
    if (im->ymm) {
        fpu_mem_write(env, addr + XSAVE_YMM_OFF, im->b + XSAVE_YMM_OFF,
                      16 * fpu_nxmm(env), ra);
    }
    fpu_mem_write(env, addr + 512, im->b + 512, hdr_len, ra);
}

/*
 * XSAVE writes every component in RFBM and XSTATE_BV[i] = XINUSE[i] for
 * those (other header bits stay); XSAVEOPT skips components in their
 * initial state (allowed: the init optimization; no modified
 * optimization is done). XSAVEC/XSAVES use the compacted form: XCOMP_BV =
 * bit 63 | RFBM, XSTATE_BV = XINUSE & RFBM, init components not written.
 */
void helper_xsave(CpuX86 *env, uint64_t addr, uint32_t kind)
{
    uintptr_t ra = TCG_GETPC();
    unsigned k = kind & 7;
    bool rexw = kind & XS_REXW;
    uint64_t mask = env->fpu.xcr0 | (k == XS_SAVES ? env->fpu.xss : 0);
    uint64_t rfbm = fpu_edx_eax(env) & mask, inuse = fpu_xinuse(env);
    if (addr & 63) {
        fpu_gp_why(env, "XSAVE area not 64-byte aligned", addr, ra);
    }
    XsImage im;
    memset(&im, 0, sizeof(im));
    uint64_t save = (k == XS_SAVE) ? rfbm : rfbm & inuse;
    im.x87 = save & XFEATURE_X87;
    im.sse = save & XFEATURE_SSE;
    im.ymm = save & XFEATURE_YMM;
    im.mxcsr = (k <= XS_SAVEOPT) ? (rfbm & (XFEATURE_SSE | XFEATURE_YMM)) != 0
                                 : im.sse;
    fpu_legacy_x87_store(env, im.b, rexw);
    put32(im.b + 24, env->fpu.mxcsr);
    put32(im.b + 28, env->fpu.mxcsr_mask);
    fpu_xmm_store(env, im.b);
    fpu_ymm_store(env, im.b + XSAVE_YMM_OFF);
    uint64_t bv;
    if (k <= XS_SAVEOPT) {
        fpu_mem_read(env, addr + 512, &bv, 8, ra);
        bv = (bv & ~rfbm) | (inuse & rfbm);
        memcpy(im.b + 512, &bv, 8);
        fpu_xs_write(env, addr, &im, 8, ra);
        return;
    }
    bv = inuse & rfbm;
    uint64_t comp = XCOMP_BV_COMPACT | rfbm;
    memcpy(im.b + 512, &bv, 8);
    memcpy(im.b + 520, &comp, 8);
    fpu_xs_write(env, addr, &im, 16, ra);
}

/* the header checks of XRSTOR/XRSTORS (SDM vol. 1 13.8.1, 13.8.2, 13.12) */
static bool fpu_xrstor_header_ok(const CpuX86 *env, const uint64_t *hdr,
                                 bool xrstors)
{
    uint64_t bv = hdr[0], comp = hdr[1];
    if (!(comp & XCOMP_BV_COMPACT)) {
        /* standard form: XSTATE_BV within XCR0, bytes 8-23 zero */
        return !xrstors && !(bv & ~env->fpu.xcr0) && comp == 0 && hdr[2] == 0;
    }
    uint64_t allowed = env->fpu.xcr0 | (xrstors ? env->fpu.xss : 0);
    if (!cpu_has_feature(env, XFEAT_XSAVEC) ||
        (comp & ~XCOMP_BV_COMPACT & ~allowed) || (bv & ~comp)) {
        return false;
    }
    for (unsigned i = 2; i < 8; i++) {
        if (hdr[i]) {
            return false;
        }
    }
    return true;
}

/*
 * XRSTOR/XRSTORS: every component in RFBM is loaded from the image when
 * its XSTATE_BV bit is set, else put in its initial state. MXCSR comes
 * from the image in the standard form when RFBM has SSE or AVX, in the
 * compacted form with the SSE component; else (compacted, SSE init) 1F80H.
 */
void helper_xrstor(CpuX86 *env, uint64_t addr, uint32_t kind)
{
    uintptr_t ra = TCG_GETPC();
    bool xrstors = (kind & 7) == XS_RSTORS, rexw = kind & XS_REXW;
    uint64_t rfbm =
        fpu_edx_eax(env) & (env->fpu.xcr0 | (xrstors ? env->fpu.xss : 0));
    uint64_t hdr[8];
    uint8_t img[XSAVE_YMM_OFF + XSAVE_YMM_SIZE];
    if (addr & 63) {
        fpu_gp_why(env, "XSAVE area not 64-byte aligned", addr, ra);
    }
    fpu_mem_read(env, addr + 512, hdr, sizeof(hdr), ra);
    if (!fpu_xrstor_header_ok(env, hdr, xrstors)) {
        log_guest_error("fpu", "XRSTOR header bv=0x%llx comp=0x%llx: #GP",
                        (unsigned long long)hdr[0], (unsigned long long)hdr[1]);
        fpu_gp(env, ra);
    }
    bool compact = hdr[1] & XCOMP_BV_COMPACT;
    uint64_t bv = hdr[0];
    fpu_mem_read(env, addr, img, XSAVE_LEGACY_SIZE, ra);
    if (rfbm & bv & XFEATURE_YMM) {
        fpu_mem_read(env, addr + XSAVE_YMM_OFF, img + XSAVE_YMM_OFF,
                     XSAVE_YMM_SIZE, ra);
    }
    bool ld_mxcsr = compact ? (rfbm & bv & XFEATURE_SSE) != 0
                            : (rfbm & (XFEATURE_SSE | XFEATURE_YMM)) != 0;
    uint32_t mxcsr = ld_mxcsr ? get32(img + 24) : MXCSR_INIT;
    if (ld_mxcsr && (mxcsr & ~env->fpu.mxcsr_mask)) {
        fpu_gp_why(env, "XRSTOR MXCSR reserved bits", mxcsr, ra);
    }
    if (rfbm & XFEATURE_X87) {
        if (bv & XFEATURE_X87) {
            fpu_legacy_x87_load(env, img, rexw);
        } else {
            fpu_x87_set_init(env);
        }
    }
    if (rfbm & XFEATURE_SSE) {
        if (bv & XFEATURE_SSE) {
            fpu_xmm_load(env, img);
        } else {
            for (unsigned i = 0; i < fpu_nxmm(env); i++) {
                memset(env->fpu.zmm[i].b, 0, 16);
            }
        }
    }
    if (rfbm & XFEATURE_YMM) {
        if (bv & XFEATURE_YMM) {
            fpu_ymm_load(env, img + XSAVE_YMM_OFF);
        } else {
            for (unsigned i = 0; i < fpu_nxmm(env); i++) {
                memset(env->fpu.zmm[i].b + 16, 0, 16);
            }
        }
    }
    if (ld_mxcsr || (compact && (rfbm & XFEATURE_SSE))) {
        env->fpu.mxcsr = mxcsr;
    }
}
