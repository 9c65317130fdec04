/*
 * The native difftest oracle: run a snippet of x86-64 user-mode code on the
 * host CPU and report the state it ends in, for comparison with xlat's
 * translator (guest ISA = host ISA, STYLE 3.10).
 *
 * Each run happens in a forked child under strict seccomp: the code is
 * mapped at DT_CODE_ADDR followed by an int3 terminator, one data region is
 * mapped at DT_DATA_ADDR (shared with the parent, so writes come back), and
 * a small trampoline loads the 16 GPRs and RFLAGS. The run ends at the
 * terminator, at the first exception (signal handlers on an alternate stack
 * read the ucontext), or at a wall-clock timeout. A case may also run as
 * 32-bit code: the trampoline far-jumps to the compatibility-mode code
 * segment, and the signal handler runs in 64-bit mode as usual.
 */
#ifndef XLAT_DIFFTEST_NATIVE_H
#define XLAT_DIFFTEST_NATIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DT_DATA_ADDR 0x10000000ull
#define DT_DATA_SIZE (4 * 4096)
#define DT_CODE_ADDR 0x20000000ull
#define DT_CODE_SIZE (4 * 4096)
#define DT_CODE_MAX (DT_CODE_SIZE - 1) /* room for the terminator */
/*
 * 64-bit mode: the first code page is also mapped at the last user page
 * below the canonical boundary (if the host lets the child map it), so a
 * direct branch there can target a non-canonical address.
 */
#define DT_CODE_HIGH 0x7fffffffe000ull
#define DT_TIMEOUT_MS_DEFAULT 1000

/* RFLAGS bits */
#define DT_CF (1u << 0)
#define DT_PF (1u << 2)
#define DT_AF (1u << 4)
#define DT_ZF (1u << 6)
#define DT_SF (1u << 7)
#define DT_TF (1u << 8)
#define DT_IF (1u << 9)
#define DT_DF (1u << 10)
#define DT_OF (1u << 11)
#define DT_AC (1u << 18)
#define DT_NT (1u << 14)
#define DT_FLAGS_STATUS (DT_CF | DT_PF | DT_AF | DT_ZF | DT_SF | DT_OF)
/* what a snippet may set on entry and what the result reports */
#define DT_FLAGS_USER (DT_FLAGS_STATUS | DT_DF | DT_AC)
/*
 * The flags a host kernel may change behind a user program's back, so a
 * native run cannot be trusted for them. This list is the one place they
 * are named; the generator never sets them and the directed tests that
 * check them compare xlat with the SDM's value instead of the host's.
 * - NT: Linux clears it on the way back to user mode from an interrupt or
 *   an exception on some hosts (seen: 6.18 on AMD family 26), so a POPF'd
 *   NT = 1 reads back as 0 after any timer tick.
 * (TF and RF are not used by snippets: TF is the kernel's single-step, RF
 * never shows in a PUSHF image. AC is kept by every kernel seen so far.)
 */
#define DT_FLAGS_HOST_ASYNC DT_NT

/*
 * In the undef mask of a comparison, beside RFLAGS bits (all below bit
 * 22): when both runs end in #PF, their address and error code are not
 * compared (which of two faulting operands is reported: a vendor quirk).
 */
#define DT_UNDEF_PF_WHICH (1u << 31)

/* #PF error-code bits as the host kernel reports them */
#define DT_PF_P (1u << 0)
#define DT_PF_W (1u << 1)
#define DT_PF_U (1u << 2)
#define DT_PF_I (1u << 4)

/* GPRs in x86 encoding order */
typedef enum DtGpr {
    DT_RAX,
    DT_RCX,
    DT_RDX,
    DT_RBX,
    DT_RSP,
    DT_RBP,
    DT_RSI,
    DT_RDI,
    DT_R8,
    DT_R9,
    DT_R10,
    DT_R11,
    DT_R12,
    DT_R13,
    DT_R14,
    DT_R15,
    DT_NREGS
} DtGpr;

typedef struct DtState {
    uint64_t gpr[DT_NREGS];
    uint64_t rip;    /* ignored on entry: runs start at DT_CODE_ADDR */
    uint64_t rflags; /* DT_FLAGS_USER bits are used / reported */
    /* XMM0-15 (low, high quadword) and MXCSR, loaded and compared on
     * every run; 32-bit code can name XMM0-7 only */
    uint64_t xmm[16][2];
    uint32_t mxcsr; /* dt_state_init: 1F80H, all exceptions masked */
    uint32_t pad;
    uint8_t data[DT_DATA_SIZE]; /* the region at DT_DATA_ADDR */
} DtState;

/* DtCase.mode: the code's mode (0 means 64) */
#define DT_MODE64 64
/*
 * Compatibility mode: flat 32-bit code from the child's own LDT (CS 0x17,
 * DS/ES/SS 0x1f), or, on a host whose LDT the CPU never sees, from the
 * kernel's __USER32_CS (0x23, with DS/ES = __USER_DS 0x2b). The probe
 * (dt_native_mode_unsupported) picks the first that runs a stub;
 * dt_native_selectors() says which.
 */
#define DT_MODE32 32
/*
 * 16-bit protected-mode code from the LDT (modify_ldt): CS base DT_CODE_ADDR,
 * DS/ES/SS base DT_DATA_ADDR, limits 0xffff, SS.B = 0. RIP, RSP and every
 * address operand are offsets in those segments; #PF addresses are linear.
 */
#define DT_MODE16 16
#define DT_LDT_CS16 0x07 /* LDT entry 0, RPL 3 */
#define DT_LDT_DS16 0x0f /* LDT entry 1, RPL 3 */
#define DT_LDT_CS32 0x17 /* LDT entry 2: flat 32-bit code */
#define DT_LDT_DS32 0x1f /* LDT entry 3: flat 32-bit data */
/*
 * Real mode, xlat only (the host cannot run it): CS = 0x2000, DS = ES = SS =
 * 0x1000, so CS:0 and DS:0 are the physical pages behind the code and the
 * data region of the other modes; RIP/RSP/addresses are offsets.
 */
#define DT_MODE_REAL 1
#define DT_REAL_CS 0x2000
#define DT_REAL_DS 0x1000
#define DT_USER32_CS 0x23
#define DT_USER_DS 0x2b

typedef struct DtCase {
    const uint8_t *code;
    size_t len; /* at most DT_CODE_MAX */
    DtState init;
    unsigned timeout_ms; /* 0: DT_TIMEOUT_MS_DEFAULT */
    /*
     * DT_MODE32: the code runs as flat 32-bit code (segments base 0, see
     * above); DT_MODE16 as 16-bit code (see above). The GPRs of the result
     * hold their low 32 bits only: the upper halves are undefined across
     * the mode switch.
     */
    unsigned mode;
    /*
     * xlat's CPU model for the case (CpuX86.features); 0: the host's
     * features (hostcpu.h), so both sides raise #UD alike. The host never
     * reads it.
     */
    uint64_t model;
} DtCase;

typedef enum DtException {
    DT_EXC_NONE,    /* reached the terminator */
    DT_EXC_DE,      /* divide error */
    DT_EXC_DB,      /* debug (int1/icebp) */
    DT_EXC_BP,      /* an int3 in the snippet itself */
    DT_EXC_UD,      /* invalid opcode */
    DT_EXC_SS,      /* stack fault (non-canonical stack address) */
    DT_EXC_GP,      /* general protection */
    DT_EXC_PF,      /* page fault: fault_addr and pf_error are set */
    DT_EXC_MF,      /* x87 floating point */
    DT_EXC_AC,      /* alignment check (RFLAGS.AC on entry) */
    DT_EXC_XM,      /* SIMD floating point */
    DT_EXC_OTHER,   /* another trap number: see trapno */
    DT_EXC_TIMEOUT, /* wall-clock timeout: final state is where it stood */
    DT_EXC_KILLED,  /* killed, e.g. by seccomp for a system call */
} DtException;

typedef struct DtResult {
    DtState final; /* rip is the faulting instruction (after an int3) */
    DtException exception;
    int signal;          /* host signal that ended the run, 0 if none */
    int trapno;          /* host trap number, -1 if none */
    uint64_t fault_addr; /* #PF: CR2 */
    uint32_t pf_error;   /* #PF: DT_PF_* bits */
} DtResult;

/*
 * Run c natively. Returns 0 with *out filled (whatever the snippet did), or
 * -1 when the host could not set up a run (out of memory, addresses taken,
 * a mode the host cannot run).
 */
int dt_native_run(const DtCase *c, DtResult *out);

/*
 * Whether the host can run code of a mode natively: NULL if it can, else
 * one line saying why not. The first call for a mode runs a tiny stub in
 * the sandboxed child (for DT_MODE32 through the LDT first, then 0x23) and
 * keeps the answer.
 */
const char *dt_native_mode_unsupported(unsigned mode);
/* the CS and DS/ES/SS selectors a run of a (supported) mode uses */
void dt_native_selectors(unsigned mode, uint16_t *cs, uint16_t *ds);

/* what the harness knows of the host CPU (CPUID) */
typedef struct DtHost {
    char vendor[13]; /* leaf 0: "GenuineIntel", "AuthenticAMD", ... */
    unsigned family, model, stepping;
    bool intel;
    /* raw feature words: leaf 1 ECX/EDX, leaf 7.0 EBX/ECX, 0x80000001 ECX/EDX
     */
    uint32_t l1_ecx, l1_edx, l7_ebx, l7_ecx, e1_ecx, e1_edx;
} DtHost;
const DtHost *dt_host(void);
/*
 * One line: vendor, family/model/stepping and the modes the host runs, e.g.
 * "difftest host: AuthenticAMD family 26 model 2 stepping 0; modes: 64
 * (32: ...; 16: ...)"; probes the modes first.
 */
void dt_host_print(FILE *f);

/* the DtException of an x86 exception vector (DT_EXC_OTHER if unknown) */
DtException dt_exc_from_vector(int vector);
const char *dt_exc_name(DtException e);
const char *dt_reg_name(DtGpr r);

/* zero registers and data, RSP near the top of the data region */
void dt_state_init(DtState *s);
/* reproducible random registers, status flags and data for a seed */
void dt_state_random(DtState *s, uint64_t seed);
/*
 * Print each difference between a and b (registers, RIP, RFLAGS under
 * flag_mask, data bytes) to f when f is not NULL; returns how many.
 */
int dt_state_diff(const DtState *a, const DtState *b, uint64_t flag_mask,
                  FILE *f);

#endif
