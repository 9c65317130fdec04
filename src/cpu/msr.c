/*
 * RDMSR/WRMSR and the TSC (msr.h). Which MSRs exist follows the CPU model
 * (cpu_models.h): the MTRRs with CPUID.MTRR, the machine-check registers
 * with MCA, SPEC_CTRL/PRED_CMD/ARCH_CAPABILITIES/FLUSH_CMD with their
 * CPUID bits, TSC_ADJUST with its bit, TSC_AUX with RDTSCP or RDPID, the
 * Intel-only MSRs (MISC_ENABLE, PLATFORM_INFO, FEATURE_CONTROL,
 * PLATFORM_ID) on Intel and a few AMD configuration MSRs Linux reads at
 * boot on AMD. Any other MSR is #GP(0), logged under -d unimp. Write
 * checks follow the SDM: reserved bits, memory types (PAT, MTRRs),
 * canonical addresses, read-only and write-only registers, the
 * FEATURE_CONTROL lock (SDM vol. 4 table 2-2, vol. 3 11.11, 15.3).
 *
 * The TSC (SDM vol. 3 17.17): the virtual clock's nanoseconds times the
 * model's frequency, plus an offset. Writing the TSC moves the offset and
 * adds the change to TSC_ADJUST; writing TSC_ADJUST moves the TSC by the
 * change, so the two always agree as the SDM says.
 */
#include "cpu/msr.h"

#include <string.h>

#include "cpu/cpu.h"
#include "cpu/cpu_models.h"
#include "cpu/exec.h"
#include "cpu/fpu.h"
#include "mmu/tlb.h"
#include "util/log.h"

#define TSC_STEP 64 /* the deterministic counter's step per read */

static bool msr_has(const CpuX86 *env, CpuFeatureWord w, uint32_t bit)
{
    return cpu_model_word(env, w) & bit;
}

/* ---- the TSC ---- */

static uint64_t tsc_source(CpuX86 *env, bool advance)
{
    if (env->tsc_clock) {
        int64_t ns = env->tsc_clock(env->tsc_clock_opaque);
        uint64_t khz = cpu_model_of(env)->tsc_khz;
        return (uint64_t)((unsigned __int128)(ns < 0 ? 0 : ns) * khz /
                          1000000u);
    }
    uint64_t v = env->msrs.tsc_count;
    if (advance) {
        env->msrs.tsc_count += TSC_STEP;
    }
    return v;
}

uint64_t cpu_tsc_read(CpuX86 *env)
{
    return tsc_source(env, true) + env->msrs.tsc_offset;
}

static void tsc_write(CpuX86 *env, uint64_t v)
{
    uint64_t src = tsc_source(env, false);
    uint64_t old = src + env->msrs.tsc_offset;
    env->msrs.tsc_offset = v - src;
    env->msrs.tsc_adjust += v - old;
}

static void tsc_adjust_write(CpuX86 *env, uint64_t v)
{
    env->msrs.tsc_offset += v - env->msrs.tsc_adjust;
    env->msrs.tsc_adjust = v;
}

void msr_reset(CpuX86 *env)
{
    const CpuX86Model *m = cpu_model_of(env);
    CpuMsrState *s = &env->msrs;
    uint64_t count = s->tsc_count;
    memset(s, 0, sizeof(*s));
    s->tsc_count = count;
    s->tsc_offset = 0 - tsc_source(env, false); /* the TSC is 0 at RESET */
    env->msr.misc_enable = 0;
    if (!m->amd) {
        env->msr.misc_enable = MISC_ENABLE_FAST_STRINGS |
                               MISC_ENABLE_BTS_UNAVAIL |
                               MISC_ENABLE_PEBS_UNAVAIL;
    }
    for (unsigned i = 0; i < MSR_MC_BANKS; i++) {
        s->mc[i][0] = ~0ull; /* every error reported, as firmware leaves */
    }
    s->amd[0] = 1ull << 24; /* HWCR.TscFreqSel: the TSC runs at P0 */
}

/* ---- memory types: PAT and MTRRs ---- */

static bool msr_pat_ok(uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        unsigned t = (v >> (8 * i)) & 0xff;
        if (t == 2 || t == 3 || t > 7) {
            return false;
        }
    }
    return true;
}

/* an MTRR memory type: UC WC WT WP WB (0 1 4 5 6) */
static bool mtrr_type_ok(unsigned t)
{
    return t == 0 || t == 1 || (t >= 4 && t <= 6);
}

static bool mtrr_fixed_ok(uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        if (!mtrr_type_ok((v >> (8 * i)) & 0xff)) {
            return false;
        }
    }
    return true;
}

/* the fixed-range MTRR's index, or -1 */
static int mtrr_fixed_index(uint32_t msr)
{
    if (msr == MSR_MTRR_FIX64K_00000) {
        return 0;
    }
    if (msr == MSR_MTRR_FIX16K_80000 || msr == MSR_MTRR_FIX16K_A0000) {
        return 1 + (int)(msr - MSR_MTRR_FIX16K_80000);
    }
    if (msr >= MSR_MTRR_FIX4K_C0000 && msr <= MSR_MTRR_FIX4K_F8000) {
        return 3 + (int)(msr - MSR_MTRR_FIX4K_C0000);
    }
    return -1;
}

/* 1: an MTRR (handled), 0: not one; -1: #GP */
static int mtrr_access(CpuX86 *env, uint32_t msr, uint64_t *v, bool wr)
{
    CpuMsrState *s = &env->msrs;
    uint64_t addr_res = ~0ull << cpu_model_of(env)->phys_bits;
    int fix = mtrr_fixed_index(msr);
    uint64_t *slot;
    if (msr == MSR_MTRRCAP) {
        if (wr) {
            return -1;
        }
        *v = MSR_MTRR_VCNT | (1u << 8) | (1u << 10); /* FIX, WC */
        return 1;
    }
    if (msr == MSR_MTRR_DEF_TYPE) {
        slot = &s->mtrr_deftype;
        if (wr && ((*v & ~0xcffull) || !mtrr_type_ok(*v & 0xff))) {
            return -1;
        }
    } else if (fix >= 0) {
        slot = &s->mtrr_fixed[fix];
        if (wr && !mtrr_fixed_ok(*v)) {
            return -1;
        }
    } else if (msr >= MSR_MTRR_PHYSBASE0 &&
               msr < MSR_MTRR_PHYSBASE0 + 2 * MSR_MTRR_VCNT) {
        unsigned n = (msr - MSR_MTRR_PHYSBASE0) / 2, mask = msr & 1;
        slot = &s->mtrr_var[n][mask];
        uint64_t res = addr_res | (mask ? 0x7ffull : 0xf00ull);
        if (wr && ((*v & res) || (!mask && !mtrr_type_ok(*v & 0xff)))) {
            return -1;
        }
    } else {
        return 0;
    }
    if (wr) {
        *slot = *v;
    } else {
        *v = *slot;
    }
    return 1;
}

/* ---- machine check (SDM vol. 3 15.3) ---- */

static int mce_access(CpuX86 *env, uint32_t msr, uint64_t *v, bool wr)
{
    CpuMsrState *s = &env->msrs;
    if (msr == MSR_MCG_CAP) {
        if (wr) {
            return -1;
        }
        *v = MSR_MC_BANKS | MCG_CTL_P;
        return 1;
    }
    if (msr == MSR_MCG_STATUS) { /* RIPV EIPV MCIP */
        if (wr && (*v & ~7ull)) {
            return -1;
        }
        return wr ? (s->mcg_status = *v, 1) : (*v = s->mcg_status, 1);
    }
    if (msr == MSR_MCG_CTL) { /* all or nothing */
        if (wr && *v != 0 && *v != ~0ull) {
            return -1;
        }
        return wr ? (s->mcg_ctl = *v, 1) : (*v = s->mcg_ctl, 1);
    }
    if (msr < MSR_MC0_CTL || msr >= MSR_MC0_CTL + 4 * MSR_MC_BANKS) {
        return 0;
    }
    unsigned bank = (msr - MSR_MC0_CTL) / 4, reg = msr & 3;
    if (!wr) {
        *v = s->mc[bank][reg];
        return 1;
    }
    if (reg != 0 && *v != 0) {
        return -1; /* STATUS, ADDR, MISC: software writes only 0 */
    }
    s->mc[bank][reg] = *v;
    return 1;
}

/* ---- speculation control ---- */

static int spec_access(CpuX86 *env, uint32_t msr, uint64_t *v, bool wr)
{
    bool ibrs = msr_has(env, FW_7_0_EDX, CPUID_7_EDX_SPEC_CTRL) ||
                msr_has(env, FW_E8_EBX, CPUID_E8_EBX_IBRS);
    bool stibp = msr_has(env, FW_7_0_EDX, CPUID_7_EDX_STIBP) ||
                 msr_has(env, FW_E8_EBX, CPUID_E8_EBX_AMD_STIBP);
    bool ssbd = msr_has(env, FW_7_0_EDX, CPUID_7_EDX_SSBD) ||
                msr_has(env, FW_E8_EBX, CPUID_E8_EBX_AMD_SSBD);
    bool ibpb = msr_has(env, FW_7_0_EDX, CPUID_7_EDX_SPEC_CTRL) ||
                msr_has(env, FW_E8_EBX, CPUID_E8_EBX_IBPB);
    if (msr == MSR_SPEC_CTRL && (ibrs || stibp || ssbd)) {
        uint64_t ok = (ibrs ? 1u : 0) | (stibp ? 2u : 0) | (ssbd ? 4u : 0);
        if (wr && (*v & ~ok)) {
            return -1;
        }
        return wr ? (env->msrs.spec_ctrl = *v, 1)
                  : (*v = env->msrs.spec_ctrl, 1);
    }
    if (msr == MSR_PRED_CMD && ibpb) { /* write-only: IBPB */
        return wr && !(*v & ~1ull) ? 1 : -1;
    }
    if (msr == MSR_FLUSH_CMD &&
        msr_has(env, FW_7_0_EDX, CPUID_7_EDX_FLUSH_L1D)) {
        return wr && !(*v & ~1ull) ? 1 : -1; /* write-only: L1D_FLUSH */
    }
    if (msr == MSR_ARCH_CAPABILITIES &&
        msr_has(env, FW_7_0_EDX, CPUID_7_EDX_ARCH_CAP)) {
        return wr ? -1 : (*v = cpu_model_word(env, FW_ARCH_CAP), 1);
    }
    return 0;
}

/* ---- Intel-only and AMD-only ---- */

static int feature_control_write(CpuX86 *env, uint64_t v)
{
    uint64_t ok = FEATURE_CONTROL_LOCK;
    if (cpu_model_word(env, FW_1_ECX) & (1u << 5)) { /* VMX */
        ok |= FEATURE_CONTROL_VMX_SMX | FEATURE_CONTROL_VMX;
    }
    if ((env->msrs.feature_control & FEATURE_CONTROL_LOCK) || (v & ~ok)) {
        return -1;
    }
    env->msrs.feature_control = v;
    return 1;
}

/* MISC_ENABLE: these bits are writable, the others keep their value */
#define MISC_ENABLE_WRITABLE                                                   \
    (MISC_ENABLE_FAST_STRINGS | (1ull << 3) | (1ull << 16) |                   \
     MISC_ENABLE_MONITOR | MISC_ENABLE_LIMIT_CPUID | (1ull << 23) |            \
     MISC_ENABLE_XD_DISABLE)

static int intel_access(CpuX86 *env, uint32_t msr, uint64_t *v, bool wr)
{
    const CpuX86Model *m = cpu_model_of(env);
    switch (msr) {
    case MSR_MISC_ENABLE:
        if (wr) {
            env->msr.misc_enable =
                (env->msr.misc_enable & ~MISC_ENABLE_WRITABLE) |
                (*v & MISC_ENABLE_WRITABLE);
        } else {
            *v = env->msr.misc_enable;
        }
        return 1;
    case MSR_PLATFORM_INFO: /* the maximum non-turbo ratio, 100 MHz bus */
        return wr ? -1 : (*v = (uint64_t)(m->tsc_khz / 100000) << 8, 1);
    case MSR_PLATFORM_ID:
    case MSR_SMI_COUNT:
        return wr ? -1 : (*v = 0, 1);
    case MSR_FEATURE_CONTROL:
        if (wr) {
            return feature_control_write(env, *v);
        }
        *v = env->msrs.feature_control;
        return 1;
    case MSR_BIOS_SIGN_ID: /* a write asks for the revision: no effect */
        if (!wr) {
            *v = (uint64_t)m->ucode_rev << 32;
        }
        return 1;
    default:
        return 0;
    }
}

/* plain storage: HWCR SYSCFG TOP_MEM TOP_MEM2 NB_CFG LS_CFG DE_CFG, the
 * legacy performance counters, IC_CFG and INT_PENDING_MSG (family 0Fh) */
static const uint32_t amd_store_msrs[MSR_AMD_STORE] = {
    MSR_AMD_HWCR, 0xc0010010u, 0xc001001au, 0xc001001du, 0xc001001fu,
    0xc0011020u,  0xc0011029u, 0xc0010000u, 0xc0010001u, 0xc0010002u,
    0xc0010003u,  0xc0010004u, 0xc0010005u, 0xc0010006u, 0xc0010007u,
    0xc0011021u,  0xc0010055u,
};

static int amd_access(CpuX86 *env, uint32_t msr, uint64_t *v, bool wr)
{
    if (msr == MSR_BIOS_SIGN_ID) { /* PATCH_LEVEL: read-only */
        return wr ? -1 : (*v = cpu_model_of(env)->ucode_rev, 1);
    }
    for (unsigned i = 0; i < MSR_AMD_STORE; i++) {
        if (amd_store_msrs[i] == msr) {
            if (wr) {
                env->msrs.amd[i] = *v;
            } else {
                *v = env->msrs.amd[i];
            }
            return 1;
        }
    }
    return 0;
}

/* ---- the architectural MSRs ---- */

/* the MSR's field in env, or NULL (EFER, TSC and the segment bases apart) */
static uint64_t *msr_slot(CpuX86 *env, uint32_t msr, bool *canon)
{
    *canon = false;
    switch (msr) {
    case MSR_SYSENTER_CS:
        return &env->msr.sysenter_cs;
    case MSR_SYSENTER_ESP:
        *canon = true;
        return &env->msr.sysenter_esp;
    case MSR_SYSENTER_EIP:
        *canon = true;
        return &env->msr.sysenter_eip;
    case MSR_STAR:
        return &env->msr.star;
    case MSR_LSTAR:
        *canon = true;
        return &env->msr.lstar;
    case MSR_CSTAR:
        *canon = true;
        return &env->msr.cstar;
    case MSR_SFMASK:
        return &env->msr.sfmask;
    case MSR_KERNEL_GS_BASE:
        *canon = true;
        return &env->msr.kernel_gs_base;
    case MSR_PAT:
        return &env->msr.pat;
    case MSR_APIC_BASE:
        return &env->msr.apic_base;
    default:
        return NULL;
    }
}

static int efer_write(CpuX86 *env, uint64_t v)
{
    uint64_t writable = EFER_SCE;
    if (msr_has(env, FW_E1_EDX, 1u << 29)) {
        writable |= EFER_LME;
    }
    if (msr_has(env, FW_E1_EDX, 1u << 20)) {
        writable |= EFER_NXE;
    }
    if (v & ~(writable | EFER_LMA)) {
        return -1;
    }
    if (((v ^ env->efer) & EFER_LME) && (env->cr[0] & CR0_PG)) {
        return -1; /* LME changes only with paging off */
    }
    uint64_t old = env->efer;
    env->efer = (v & writable) | (old & EFER_LMA); /* LMA is read-only */
    if ((old ^ env->efer) & EFER_NXE) {
        tlb_flush(env);
    }
    return 1;
}

/* the TSC and its companions; 0: not one of them */
static int tsc_access(CpuX86 *env, uint32_t msr, uint64_t *v, bool wr)
{
    if (msr == MSR_TSC) {
        if (wr) {
            tsc_write(env, *v);
        } else {
            *v = cpu_tsc_read(env);
        }
        return 1;
    }
    if (msr == MSR_TSC_ADJUST &&
        msr_has(env, FW_7_0_EBX, CPUID_7_EBX_TSC_ADJUST)) {
        if (wr) {
            tsc_adjust_write(env, *v);
        } else {
            *v = env->msrs.tsc_adjust;
        }
        return 1;
    }
    if (msr == MSR_TSC_AUX &&
        (msr_has(env, FW_E1_EDX, CPUID_E1_EDX_RDTSCP_BIT) ||
         msr_has(env, FW_7_0_ECX, CPUID_7_ECX_RDPID))) {
        if (wr && (*v >> 32)) {
            return -1;
        }
        return wr ? (env->msr.tsc_aux = *v, 1) : (*v = env->msr.tsc_aux, 1);
    }
    return 0;
}

static int arch_access(CpuX86 *env, uint32_t msr, uint64_t *v, bool wr)
{
    bool canon;
    uint64_t *slot = msr_slot(env, msr, &canon);
    if (slot) {
        if (wr && ((canon && !cpu_canonical(env, *v)) ||
                   (msr == MSR_PAT && !msr_pat_ok(*v)))) {
            return -1;
        }
        return wr ? (*slot = *v, 1) : (*v = *slot, 1);
    }
    switch (msr) {
    case MSR_EFER:
        return wr ? efer_write(env, *v) : (*v = env->efer, 1);
    case MSR_FS_BASE:
    case MSR_GS_BASE: {
        SegCache *s = &env->segs[msr == MSR_FS_BASE ? R_FS : R_GS];
        if (wr && !cpu_canonical(env, *v)) {
            return -1;
        }
        return wr ? (s->base = *v, 1) : (*v = s->base, 1);
    }
    default:
        return tsc_access(env, msr, v, wr);
    }
}

/* IA32_XSS (fpu.h) and IA32_PKRS (CR4.PKS: supervisor protection keys) */
static int state_access(CpuX86 *env, uint32_t msr, uint64_t *v, bool wr)
{
    if (msr == MSR_PKRS) {
        if (wr && (*v >> 32)) {
            return -1;
        }
        if (wr && *v != env->msr.pkrs) {
            env->msr.pkrs = *v;
            tlb_flush(env); /* entries hold the rights the walk granted */
        }
        *v = env->msr.pkrs;
        return 1;
    }
    if (!fpu_msr_known(env, msr)) {
        return 0;
    }
    if (wr) {
        return fpu_msr_write(env, msr, *v) ? 1 : -1;
    }
    return fpu_msr_read(env, msr, v) ? 1 : 0;
}

/* one MSR access: 1 done, -1 #GP(0), 0 no such MSR in this model */
static int msr_access(CpuX86 *env, uint32_t msr, uint64_t *v, bool wr)
{
    bool amd = cpu_vendor_amd(env);
    int r = arch_access(env, msr, v, wr);
    if (!r && msr_has(env, FW_1_EDX, CPUID_1_EDX_MTRR)) {
        r = mtrr_access(env, msr, v, wr);
    }
    if (!r && msr_has(env, FW_1_EDX, CPUID_1_EDX_MCA) &&
        msr_has(env, FW_1_EDX, CPUID_1_EDX_MCE)) {
        r = mce_access(env, msr, v, wr);
    }
    if (!r) {
        r = spec_access(env, msr, v, wr);
    }
    if (!r) {
        r = state_access(env, msr, v, wr);
    }
    if (!r) {
        r = amd ? amd_access(env, msr, v, wr) : intel_access(env, msr, v, wr);
    }
    return r;
}

int msr_read(CpuX86 *env, uint32_t msr, uint64_t *val)
{
    int r = msr_access(env, msr, val, false);
    if (r == 0) {
        log_unimp_once("msr", "rdmsr of MSR 0x%x: raising #GP", msr);
    }
    return r > 0 ? 0 : -1;
}

int msr_write(CpuX86 *env, uint32_t msr, uint64_t val)
{
    int r = msr_access(env, msr, &val, true);
    if (r == 0) {
        log_unimp_once("msr", "wrmsr of MSR 0x%x: raising #GP", msr);
    } else if (r < 0) {
        log_guest_error("msr", "wrmsr 0x%x <- 0x%llx: #GP", msr,
                        (unsigned long long)val);
    }
    return r > 0 ? 0 : -1;
}

static NORETURN void msr_gp(CpuX86 *env, uintptr_t ra)
{
    env->exception_index = 13;
    env->error_code = 0;
    env->has_error_code = true;
    tcg_exit_to_dispatcher(ra);
}

void helper_rdmsr(CpuX86 *env)
{
    uint64_t v;
    if (msr_read(env, (uint32_t)env->regs[R_ECX], &v) < 0) {
        msr_gp(env, TCG_GETPC());
    }
    env->regs[R_EAX] = (uint32_t)v;
    env->regs[R_EDX] = v >> 32;
}

void helper_wrmsr(CpuX86 *env)
{
    uint64_t v = (env->regs[R_EDX] << 32) | (uint32_t)env->regs[R_EAX];
    if (msr_write(env, (uint32_t)env->regs[R_ECX], v) < 0) {
        msr_gp(env, TCG_GETPC());
    }
    cpu_update_hflags(env);
}
