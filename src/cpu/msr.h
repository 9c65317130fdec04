/*
 * Model-specific registers and the TSC (msr.c): RDMSR/WRMSR, the MSRs
 * that exist depending on the CPU model (MTRRs, machine check, speculation
 * control, ...), and the time-stamp counter derived from the machine's
 * virtual clock (CpuX86.tsc_clock). SDM vol. 4 lists the MSRs, vol. 3
 * 11.11 the MTRRs, 15.3 machine-check banks, 17.17 the TSC.
 */
#ifndef XLAT_CPU_MSR_H
#define XLAT_CPU_MSR_H

#include <stdint.h>

#define MSR_MTRR_VCNT 8  /* variable-range MTRR pairs */
#define MSR_MC_BANKS 10  /* machine-check banks (as QEMU) */
#define MSR_AMD_STORE 17 /* AMD MSRs kept as plain read/write storage */

#define MSR_TSC 0x10u
#define MSR_PLATFORM_ID 0x17u
#define MSR_APIC_BASE 0x1bu
#define MSR_SMI_COUNT 0x34u
#define MSR_FEATURE_CONTROL 0x3au
#define MSR_TSC_ADJUST 0x3bu
#define MSR_SPEC_CTRL 0x48u
#define MSR_PRED_CMD 0x49u
#define MSR_BIOS_SIGN_ID 0x8bu /* AMD: PATCH_LEVEL */
#define MSR_PLATFORM_INFO 0xceu
#define MSR_MTRRCAP 0xfeu
#define MSR_ARCH_CAPABILITIES 0x10au
#define MSR_PKRS 0x6e1u /* supervisor protection keys (CR4.PKS) */
#define MSR_FLUSH_CMD 0x10bu
#define MSR_SYSENTER_CS 0x174u
#define MSR_SYSENTER_ESP 0x175u
#define MSR_SYSENTER_EIP 0x176u
#define MSR_MCG_CAP 0x179u
#define MSR_MCG_STATUS 0x17au
#define MSR_MCG_CTL 0x17bu
#define MSR_MISC_ENABLE 0x1a0u
#define MSR_MTRR_PHYSBASE0 0x200u
#define MSR_MTRR_FIX64K_00000 0x250u
#define MSR_MTRR_FIX16K_80000 0x258u
#define MSR_MTRR_FIX16K_A0000 0x259u
#define MSR_MTRR_FIX4K_C0000 0x268u
#define MSR_MTRR_FIX4K_F8000 0x26fu
#define MSR_PAT 0x277u
#define MSR_MTRR_DEF_TYPE 0x2ffu
#define MSR_MC0_CTL 0x400u
#define MSR_EFER 0xc0000080u
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_CSTAR 0xc0000083u
#define MSR_SFMASK 0xc0000084u
#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define MSR_TSC_AUX 0xc0000103u
#define MSR_AMD_HWCR 0xc0010015u

#define MISC_ENABLE_FAST_STRINGS (1ull << 0)
#define MISC_ENABLE_BTS_UNAVAIL (1ull << 11)
#define MISC_ENABLE_PEBS_UNAVAIL (1ull << 12)
#define MISC_ENABLE_MONITOR (1ull << 18)
#define MISC_ENABLE_LIMIT_CPUID (1ull << 22)
#define MISC_ENABLE_XD_DISABLE (1ull << 34)

#define FEATURE_CONTROL_LOCK (1ull << 0)
#define FEATURE_CONTROL_VMX_SMX (1ull << 1)
#define FEATURE_CONTROL_VMX (1ull << 2)

#define MCG_CTL_P (1ull << 8)

/* the MSR state beyond CpuMsrs: in CpuX86's CPU-model block */
typedef struct CpuMsrState {
    uint64_t tsc_offset; /* TSC = source + tsc_offset */
    uint64_t tsc_adjust;
    uint64_t tsc_count; /* the deterministic source without a clock */
    uint64_t mtrr_deftype;
    uint64_t mtrr_fixed[11];
    uint64_t mtrr_var[MSR_MTRR_VCNT][2]; /* PHYSBASE, PHYSMASK */
    uint64_t mcg_status, mcg_ctl;
    uint64_t mc[MSR_MC_BANKS][4]; /* CTL, STATUS, ADDR, MISC */
    uint64_t feature_control;
    uint64_t spec_ctrl;
    uint64_t amd[MSR_AMD_STORE];
} CpuMsrState;

struct CpuX86;

/* MSR defaults for env's model (from cpu_x86_reset and cpu_model_apply) */
void msr_reset(struct CpuX86 *env);

/*
 * Read or write an MSR as RDMSR/WRMSR do, without raising anything:
 * 0, or -1 where the instruction raises #GP(0) (the MSR does not exist in
 * this model, a reserved bit, a read-only or write-only MSR, a locked
 * FEATURE_CONTROL). Unknown MSRs are logged under -d unimp.
 */
int msr_read(struct CpuX86 *env, uint32_t msr, uint64_t *val);
int msr_write(struct CpuX86 *env, uint32_t msr, uint64_t val);

/* the RDMSR/WRMSR helpers (ECX, EDX:EAX), #GP(0) on failure */
void helper_rdmsr(struct CpuX86 *env);
void helper_wrmsr(struct CpuX86 *env);

/*
 * The TSC now: the virtual clock's nanoseconds times the model's TSC
 * frequency plus the offset that TSC and TSC_ADJUST writes set; without a
 * clock (user-mode harnesses) a counter that advances 64 per read.
 */
uint64_t cpu_tsc_read(struct CpuX86 *env);

#endif
