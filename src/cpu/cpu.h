/*
 * The x86-64 vCPU state: CpuX86 is the `env` that generated code works on.
 *
 * Layout is for the JIT: the fields generated code touches on every block
 * (GPRs, RIP, the lazy-flag operands, hflags, the exit-request word, the
 * TLB fast-path array) come first, with their offsets pinned below. The
 * arithmetic flags are lazy (cc_op + operands, see cpu/cc.h); DF is kept as
 * +1/-1 for string instructions; the other RFLAGS bits live in `eflags`.
 * Segment registers carry their descriptor cache in the VMX access-rights
 * layout (SDM vol. 3C 24.4.1), so VM entry/exit copies them unchanged.
 * Power-on state: SDM vol. 3A 9.1.1, table 9-1.
 */
#ifndef XLAT_CPU_CPU_H
#define XLAT_CPU_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/cc.h"
#include "cpu/fpu.h"
#include "cpu/cpu_models.h"
#include "cpu/msr.h"
#include "mmu/memory.h"
#include "mmu/tlb.h"
#include "tcg/tcg.h"

/* GPR numbers as in ModRM/REX */
enum {
    R_EAX,
    R_ECX,
    R_EDX,
    R_EBX,
    R_ESP,
    R_EBP,
    R_ESI,
    R_EDI,
    R_R8,
    R_R9,
    R_R10,
    R_R11,
    R_R12,
    R_R13,
    R_R14,
    R_R15,
};
/* segment registers as in the sreg field */
enum { R_ES, R_CS, R_SS, R_DS, R_FS, R_GS, CPU_NB_SEGS };

/* non-arithmetic RFLAGS bits (SDM vol. 1 3.4.3) */
#define EFL_FIXED 0x00000002u /* bit 1 reads as 1 */
#define EFL_TF 0x00000100u
#define EFL_IF 0x00000200u
#define EFL_DF 0x00000400u
#define EFL_IOPL 0x00003000u
#define EFL_NT 0x00004000u
#define EFL_RF 0x00010000u
#define EFL_VM 0x00020000u
#define EFL_AC 0x00040000u
#define EFL_VIF 0x00080000u
#define EFL_VIP 0x00100000u
#define EFL_ID 0x00200000u
#define EFL_IOPL_SHIFT 12
/* every bit software can set; the rest read as 0 (bit 1 as 1) */
#define EFL_DEFINED                                                            \
    (CC_ALL | EFL_TF | EFL_IF | EFL_DF | EFL_IOPL | EFL_NT | EFL_RF | EFL_VM | \
     EFL_AC | EFL_VIF | EFL_VIP | EFL_ID)

/* control registers, EFER (SDM vol. 3A 2.5, 2.2.1) */
#define CR0_PE BIT(0)
#define CR0_MP BIT(1)
#define CR0_EM BIT(2)
#define CR0_TS BIT(3)
#define CR0_ET BIT(4)
#define CR0_NE BIT(5)
#define CR0_WP BIT(16)
#define CR0_AM BIT(18)
#define CR0_NW BIT(29)
#define CR0_CD BIT(30)
#define CR0_PG BIT(31)
#define CR4_PAE BIT(5)
#define CR4_PGE BIT(7)
#define CR4_OSFXSR BIT(9)
#define CR4_UMIP BIT(11)
#define CR4_LA57 BIT(12)
#define CR4_FSGSBASE BIT(16)
#define CR4_PCIDE BIT(17)
#define CR4_OSXSAVE BIT(18)
#define CR4_SMEP BIT(20)
#define CR4_SMAP BIT(21)
#define CR4_PKE BIT(22)
#define CR4_PKS BIT(24)
#define EFER_SCE BIT(0)
#define EFER_LME BIT(8)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)

/*
 * hflags: the translation-relevant mode, the TB `flags` word. Default
 * operand/address size: CS64 -> 64-bit addresses (32-bit operands), else
 * CS32 -> 32/32, else 16/16; SS32 picks ESP vs SP for stack accesses.
 */
#define HF_CPL_MASK 0x3u
#define HF_CS32 BIT(2)   /* CS.D */
#define HF_SS32 BIT(3)   /* SS.B */
#define HF_CS64 BIT(4)   /* CS.L in long mode: 64-bit code */
#define HF_LMA BIT(5)    /* long mode active (64-bit or compatibility) */
#define HF_PE BIT(6)     /* CR0.PE */
#define HF_PG BIT(7)     /* CR0.PG */
#define HF_ADDSEG BIT(8) /* 16/32-bit: DS, ES or SS base is nonzero */
#define HF_VM BIT(9)     /* virtual-8086 mode */
#define HF_TF BIT(10)    /* single-step: one insn per TB */
#define HF_OSFXSR BIT(11)
#define HF_SMAP BIT(12) /* CR4.SMAP */
#define HF_AC BIT(13)   /* RFLAGS.AC (SMAP override at CPL < 3) */
#define HF_IOPL_SHIFT 14
#define HF_IOPL_MASK (3u << HF_IOPL_SHIFT)
#define HF_EM BIT(16)          /* CR0.EM */
#define HF_TS BIT(17)          /* CR0.TS */
#define HF_MP BIT(18)          /* CR0.MP */
#define HF_INHIBIT_IRQ BIT(19) /* STI / MOV SS shadow */
#define HF_SMM BIT(20)
#define HF_VMX_GUEST BIT(21) /* VMX non-root operation */
#define HF_UMIP BIT(22)
#define HF_FSGSBASE BIT(23)
#define HF_OSXSAVE BIT(24)
#define HF_LA57 BIT(25) /* CR4.LA57: 57-bit canonical addresses */
/*
 * Segment checks (16/32-bit code only): set when accesses through a
 * segment register of the group need limit/type checks, i.e. its read or
 * write range (SegRange) is not all of 0..4 GiB-1: DS, ES or SS; FS or GS;
 * and for CS, a limit below 4 GiB-1, so instruction fetches are checked.
 * Flat segments cost nothing (the translator emits no check).
 */
#define HF_SEGCHK_DATA BIT(26)
#define HF_SEGCHK_FSGS BIT(27)
#define HF_SEGCHK_CS BIT(28)
#define HF_SEGCHK(seg)                                                         \
    ((seg) == R_CS                    ? HF_SEGCHK_CS                           \
     : (seg) == R_FS || (seg) == R_GS ? HF_SEGCHK_FSGS                         \
                                      : HF_SEGCHK_DATA)
#define HF_SEGCHK_ALL (HF_SEGCHK_DATA | HF_SEGCHK_FSGS | HF_SEGCHK_CS)
/* debug registers (cpu/helper_debug.c); high bits, away from the rest */
#define HF_IBP BIT(29) /* DR7 enables an instruction breakpoint */
#define HF_RF BIT(30)  /* RFLAGS.RF: one insn, its breakpoint ignored */
#define HF_DBW BIT(31) /* replay of one insn that hit a data/I-O breakpoint */

/* segment access rights, VMX layout: descriptor bits 40-47 and 52-55 */
#define SEG_AR_TYPE 0x000fu
#define SEG_AR_S BIT(4) /* code/data (not system) */
#define SEG_AR_DPL_SHIFT 5
#define SEG_AR_P BIT(7)
#define SEG_AR_L BIT(13)
#define SEG_AR_DB BIT(14)
#define SEG_AR_G BIT(15)
#define SEG_AR_UNUSABLE BIT(16)

typedef struct SegCache {
    uint64_t base;
    uint32_t limit; /* in bytes, granularity applied */
    uint32_t attr;  /* SEG_AR_* */
    uint16_t selector;
    uint16_t pad[3];
} SegCache;

/*
 * The offsets an access through a segment may touch, as decided by its
 * cache: reads need rlo <= first and last <= rhi, writes the same with
 * wlo/whi (expand-down data: limit+1 .. 0xffff or 4 GiB-1; an unusable or
 * non-writable segment has an empty range, lo 1 > hi 0). Derived from the
 * segment caches by cpu_update_hflags, read by generated code.
 */
typedef struct SegRange {
    uint32_t rlo, rhi, wlo, whi;
} SegRange;

typedef struct DtReg {
    uint64_t base;
    uint32_t limit;
    uint32_t pad;
} DtReg;

/* the MSRs user and kernel code see (SDM vol. 4) */
typedef struct CpuMsrs {
    uint64_t kernel_gs_base;
    uint64_t star, lstar, cstar, sfmask;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t tsc_aux;
    uint64_t pat;
    uint64_t apic_base;
    uint64_t misc_enable;
    uint64_t pkrs; /* IA32_PKRS: supervisor protection keys */
} CpuMsrs;

/* pending events (env->pending; cpu/exec.h raises and clears them) */
enum {
    CPU_EV_IRQ = 1u << 0, /* the INTR line (PIC, local APIC) */
    CPU_EV_NMI = 1u << 1,
    CPU_EV_INIT = 1u << 2,
    CPU_EV_SIPI = 1u << 3,
    CPU_EV_SMI = 1u << 4,
    CPU_EV_WORK = 1u << 5, /* work queued to run on this vCPU */
    CPU_EV_STOP = 1u << 6, /* leave cpu_exec: main loop, timeout, reset */
    CPU_EV_ALL = (1u << 7) - 1,
};
/* exception_index of a shutdown (RSM's failed checks): the triple-fault
 * exit of cpu_exec, never delivered */
#define CPU_EXC_SHUTDOWN 0x100

/* debug-register state besides DR0-7 (cpu/helper_debug.c) */
typedef struct CpuDebug {
    uint64_t watch_addr[4]; /* the TLB watchpoint inserted for DRn */
    uint64_t watch_len[4];
    unsigned watch_flags[4]; /* TLB_WATCH_*; 0: none inserted */
    uint64_t ibp_addr[4];    /* execute breakpoints translated code holds */
    uint32_t ibp_mask;       /* bit n: DRn is an enabled execute breakpoint */
    uint32_t hits;           /* DR6.B0-3 hit by the insn being replayed */
    bool replay;             /* HF_DBW: that insn runs again, alone */
    bool fault;              /* the pending #DB is a fault (DR7.GD) */
    bool flush;              /* execute breakpoints changed: flush the TBs */
} CpuDebug;

typedef struct CpuX86 {
    /* ---- hot: generated code (offsets pinned below) ---- */
    uint64_t regs[16];
    uint64_t rip;
    uint64_t cc_dst, cc_src, cc_src2;
    uint32_t cc_op;       /* CcOp */
    int32_t df;           /* +1 or -1 */
    uint32_t hflags;      /* HF_* */
    int32_t exit_request; /* negative: leave at the next TB entry (tcg.h) */
    TcgJcRef jc;          /* set by tcg_cpu_new */
    TlbFast tlb_fast[MMU_IDX_COUNT];
    SegCache segs[CPU_NB_SEGS];
    uint32_t eflags; /* RFLAGS without CF PF AF ZF SF OF DF */
    uint32_t pad0;
    uint64_t a20_mask; /* ANDed into every physical address */

    /* ---- system state ---- */
    SegRange seg_range[CPU_NB_SEGS]; /* from segs (cpu_update_hflags) */
    DtReg gdt, idt;
    SegCache ldt, tr;
    uint64_t cr[9]; /* CR0, CR2, CR3, CR4, CR8 used */
    uint64_t efer;
    uint64_t dr[8];
    CpuMsrs msr;
    uint64_t pdpte[4];        /* PAE PDPTEs loaded at MOV CR3 */
    uint32_t cpuid_signature; /* CPUID.1:EAX; EDX at reset */
    uint32_t cpu_index;       /* the vCPU's number (the machine sets it) */
    bool halted;
    /* ---- NMI, INIT, SIPI (cpu/exec.c cpu_service_events) ---- */
    bool bsp;         /* the bootstrap processor: INIT restarts it */
    bool wait_sipi;   /* the wait-for-SIPI activity state */
    bool nmi_blocked; /* from NMI delivery until the next IRET */
    uint8_t sipi_vector;
    uint32_t pkru; /* protection keys for user pages (RDPKRU/WRPKRU) */

    /* ---- CPU model, MSRs and the TSC (cpu_models.c, msr.c) ---- */
    CpuX86Model model; /* level 0: never set, the `max` model applies */
    CpuMsrState msrs;
    /* the TSC's time source, virtual nanoseconds (NULL: a counter) */
    int64_t (*tsc_clock)(void *opaque);
    void *tsc_clock_opaque;
    bool apic_present; /* a local APIC is wired: CPUID may say so */

    /* pending exception: vector (-1: none), error code, CR2 for #PF */
    int32_t exception_index;
    uint32_t error_code;
    bool has_error_code;
    bool exception_soft; /* INT n: gate DPL checked, no EXT bit */
    bool deliver;        /* system mode: exceptions go through the IVT/IDT */
    uint64_t exception_cr2;

    /* ---- debug registers: breakpoints, watchpoints (helper_debug.c) ---- */
    CpuDebug dbg;

    /* ---- SMM and MONITOR/MWAIT (cpu/smm.c, cpu/translate_mwait.c) ---- */
    AddrSpace *smm_as;        /* memory in SMM (SMRAM shown); NULL: as */
    uint64_t smbase;          /* state save at +0xfe00, entry at +0x8000 */
    bool smm_nmi_was_blocked; /* nmi_blocked at SMI: restored by RSM */
    bool mwait_irq_break;     /* halted by MWAIT ECX[0]: IRQs wake, IF=0 too */
    bool monitor_armed;       /* MONITOR ran since the last MWAIT */
    uint64_t monitor_addr;    /* its linear address */

    /* ---- FPU/SIMD: x87, MXCSR, vector and mask registers, XCR0
     * (cpu/fpu.h, helper_fpu.c, helper_sse.c) ---- */
    FpuState fpu;

    /* ---- wiring and the TLB behind the fast path ---- */
    AddrSpace *as;    /* system memory as this CPU sees it */
    AddrSpace *io_as; /* the I/O ports (NULL: none, reads all-ones) */
    /* optional: taken around device accesses (the machine lock) */
    void (*dev_lock)(void *opaque, bool lock);
    void *dev_lock_opaque;
    CpuTlb tlb;

    /* ---- pending events (cpu/exec.h): CPU_EV_*, atomic ---- */
    uint32_t pending;    /* raised by any thread, cleared by the vCPU */
    uint32_t event_mask; /* those that make the vCPU leave now */

    /* ---- the run loop (cpu/exec.c); NULL/0 while detached ---- */
    TcgCpu *tcg_cpu;           /* this vCPU in its translator context */
    TcgCtx *tcg_ctx;           /* that context */
    struct CpuX86 *exec_next;  /* next attached vCPU (all contexts) */
    struct CpuWorkQueue *work; /* run-on-vCPU queue (cpu/exec.c) */
    uint64_t smc_pc;           /* linear pc of a restarted store's insn */
    bool smc_armed;            /* the next block at smc_pc is one insn */

    /* the CPU model: BIT(XFEAT_*) (cpu_features.h); 0: every feature.
     * The translator reads it and the TB key does not hold it: change it
     * only with no translated code alive (after tcg_flush). */
    uint64_t features;
} CpuX86;

/* offsets baked into generated code */
_Static_assert(offsetof(CpuX86, regs) == 0, "CpuX86 layout");
_Static_assert(offsetof(CpuX86, rip) == 128, "CpuX86 layout");
_Static_assert(offsetof(CpuX86, cc_dst) == 136, "CpuX86 layout");
_Static_assert(offsetof(CpuX86, cc_src) == 144, "CpuX86 layout");
_Static_assert(offsetof(CpuX86, cc_src2) == 152, "CpuX86 layout");
_Static_assert(offsetof(CpuX86, cc_op) == 160, "CpuX86 layout");
_Static_assert(offsetof(CpuX86, df) == 164, "CpuX86 layout");
_Static_assert(offsetof(CpuX86, hflags) == 168, "CpuX86 layout");
_Static_assert(offsetof(CpuX86, exit_request) == 172, "CpuX86 layout");
_Static_assert(offsetof(CpuX86, jc) == 176, "CpuX86 layout");
_Static_assert(offsetof(CpuX86, tlb_fast) == 192, "CpuX86 layout");
_Static_assert(sizeof(SegCache) == 24, "SegCache layout");
_Static_assert(offsetof(SegCache, base) == 0, "SegCache layout");
_Static_assert(offsetof(CpuX86, segs) == 192 + 16 * MMU_IDX_COUNT,
               "CpuX86 layout");

#define CPU_X86_SIGNATURE_DEFAULT 0x000806c1u /* family 6 model 0x8c */

/* allocate, attach to the system address space, power on (reset) */
CpuX86 *cpu_x86_new(AddrSpace *as);
void cpu_x86_free(CpuX86 *env);
/* power-on/RESET state (SDM vol. 3A table 9-1); flushes the TLB */
void cpu_x86_reset(CpuX86 *env);
/* the INIT state: RESET's, but the MSRs, CR0.CD/NW and the x87/SSE state
   are kept (SDM vol. 3A table 9-1, INIT column) */
void cpu_x86_init(CpuX86 *env);

/* RFLAGS from the lazy state, and back (only bits in mask change) */
uint64_t cpu_compute_eflags(const CpuX86 *env);
void cpu_load_eflags(CpuX86 *env, uint64_t value, uint64_t mask);

/* recompute hflags from CR0/CR4/EFER/segments/RFLAGS (keeps II/SMM/VMX) */
void cpu_update_hflags(CpuX86 *env);

/* real/V86 mode: base = selector * 16 (limit and rights kept, unless V86) */
void cpu_seg_load_real(CpuX86 *env, int seg, uint16_t selector);
/* protected/long mode: load the cache from an 8-byte descriptor */
void cpu_seg_load_desc(CpuX86 *env, int seg, uint16_t selector, uint64_t desc);
/* set the cache directly (VM entry, SMM, loaders) */
void cpu_seg_set(CpuX86 *env, int seg, uint16_t selector, uint64_t base,
                 uint32_t limit, uint32_t attr);
/* the same without recomputing hflags: the caller does that (or
 * cpu_load_eflags) before anything reads them (SYSCALL/SYSRET) */
void cpu_seg_cache(CpuX86 *env, int seg, uint16_t selector, uint64_t base,
                   uint32_t limit, uint32_t attr);
/* decode an 8-byte descriptor into base, byte limit and access rights */
void cpu_seg_decode(uint64_t desc, uint64_t *base, uint32_t *limit,
                    uint32_t *attr);

/* MMU index for ordinary data accesses in the current mode */
static inline unsigned cpu_mmu_index(const CpuX86 *env)
{
    uint32_t hf = env->hflags;
    unsigned idx = MMU_IDX_KERNEL;
    if ((hf & HF_CPL_MASK) == 3) {
        idx = MMU_IDX_USER;
    } else if ((hf & (HF_SMAP | HF_AC)) == (HF_SMAP | HF_AC)) {
        idx = MMU_IDX_KNOSMAP;
    }
    return idx + ((hf & HF_VMX_GUEST) ? MMU_IDX_NESTED : 0);
}

static inline unsigned cpu_cpl(const CpuX86 *env)
{
    return env->hflags & HF_CPL_MASK;
}

/* MMU index of implicit supervisor accesses (GDT, LDT, IDT, TSS) */
static inline unsigned cpu_mmu_index_sys(const CpuX86 *env)
{
    return MMU_IDX_KERNEL + ((env->hflags & HF_VMX_GUEST) ? MMU_IDX_NESTED : 0);
}

/* canonical for the current paging width: 48 bits, or 57 under CR4.LA57 */
static inline bool cpu_canonical(const CpuX86 *env, uint64_t a)
{
    unsigned sh = (env->cr[4] & CR4_LA57) ? 64 - 57 : 64 - 48;
    return (uint64_t)((int64_t)(a << sh) >> sh) == a;
}

/* AMD's behaviour where the vendors differ (SYSCALL, SYSENTER, SYSRET) */
static inline bool cpu_vendor_amd(const CpuX86 *env)
{
    return env->model.amd;
}

/* around a device access: the machine lock, when the CPU has one */
static inline void cpu_dev_lock(CpuX86 *env, bool lock)
{
    if (env->dev_lock) {
        env->dev_lock(env->dev_lock_opaque, lock);
    }
}

/*
 * The base that makes a code address linear: CS.base, but 0 in 64-bit
 * mode, where it is ignored (SDM 3.4.4). The one rule for the TB key, the
 * fetch and the translator.
 */
static inline uint64_t cpu_code_base(const CpuX86 *env)
{
    return (env->hflags & HF_CS64) ? 0 : env->segs[R_CS].base;
}

/* the memory this CPU sees now: SMRAM included while in SMM */
static inline AddrSpace *cpu_mem_as(const CpuX86 *env)
{
    return (env->hflags & HF_SMM) && env->smm_as ? env->smm_as : env->as;
}

/* `-d cpu`: registers in QEMU's layout */
void cpu_dump_state(const CpuX86 *env, FILE *f);
/* `-d int`: an exception or interrupt about to be delivered (QEMU's
   layout; soft: INT n) */
void cpu_log_int(const CpuX86 *env, unsigned vector, uint32_t error, bool soft);

#endif
