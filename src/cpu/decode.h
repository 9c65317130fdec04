/*
 * The x86 instruction decoder: bytes -> DecodedInsn, for 16-, 32- and 64-bit
 * code. One table-driven pass handles legacy prefixes, REX, VEX (C4/C5), EVEX
 * (62, fields and length only) and the one-byte, 0F, 0F38, 0F3A and x87 maps.
 * Ref: Intel SDM vol. 2, ch. 2 (instruction format) and appendix A (maps).
 *
 * Every instruction id comes from one X-macro list (x86_ops.def); the per-id
 * info (mnemonic, CPUID feature, flags read/written/undefined, LOCK, privilege,
 * branch kind) is data that the translator's flag liveness pass reads.
 * Decode failures are results: X86_DEC_UD, X86_DEC_GP (> 15 bytes) or a
 * positive count of bytes still needed; the decoder never reads past `avail`.
 */
#ifndef XLAT_CPU_DECODE_H
#define XLAT_CPU_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "util/common.h"

typedef enum X86Mode { X86_MODE16, X86_MODE32, X86_MODE64 } X86Mode;

/* EFLAGS bits as in the register, used for the per-insn flag sets */
enum {
    XF_CF = 1u << 0,
    XF_PF = 1u << 2,
    XF_AF = 1u << 4,
    XF_ZF = 1u << 6,
    XF_SF = 1u << 7,
    XF_DF = 1u << 10,
    XF_OF = 1u << 11,
    XF_ARITH = XF_CF | XF_PF | XF_AF | XF_ZF | XF_SF | XF_OF,
    XF_ALL = XF_ARITH | XF_DF,
};

/* CPUID features an instruction needs (X86Feature) */
/* clang-format off */
#define X86_FEATURES(X)                                                        \
    X(BASE) X(X87) X(CMOV) X(CX8) X(CX16) X(MMX) X(SSE) X(SSE2) X(SSE3)       \
    X(SSSE3) X(SSE41) X(SSE42) X(POPCNT) X(LZCNT) X(AES) X(PCLMUL) X(SHA)     \
    X(AVX) X(AVX2) X(FMA) X(F16C) X(BMI1) X(BMI2) X(ADX) X(MOVBE) X(RDRAND)   \
    X(RDSEED) X(FSGSBASE) X(RDTSCP) X(RDPID) X(SMAP) X(VMX) X(SMX) X(XSAVE)  \
    X(XSAVEOPT) X(XSAVEC) X(XSAVES) X(FXSR) X(CLFLUSH) X(CLFLUSHOPT) X(CLWB)  \
    X(MONITOR) X(SYSCALL) X(SEP) X(MSR) X(TSC) X(RTM) X(INVPCID) X(PKU)       \
    X(LAHF64) X(CET) X(SGX) X(AVX512)
/* clang-format on */

typedef enum X86Feature {
#define X(n) XFEAT_##n,
    X86_FEATURES(X)
#undef X
        XFEAT__COUNT
} X86Feature;

/* branch kind of an instruction, for block ends */
typedef enum X86Branch {
    XBR_NONE,
    XBR_JCC,      /* conditional near, incl. LOOP and JrCXZ */
    XBR_JMP,      /* direct near jump */
    XBR_JMP_IND,  /* indirect near jump */
    XBR_CALL,     /* direct near call */
    XBR_CALL_IND, /* indirect near call */
    XBR_RET,      /* near return */
    XBR_FAR,      /* far jmp/call/ret, iret, int, syscall... (leaves block) */
} X86Branch;

/* per-id attributes (X86InsnInfo.attr) */
enum {
    XA_LOCK = 1u << 0,  /* LOCK allowed when the destination is memory */
    XA_PRIV = 1u << 1,  /* CPL 0 only */
    XA_IOPL = 1u << 2,  /* IOPL-sensitive (IN/OUT/CLI/STI...) */
    XA_FCOND = 1u << 3, /* flags written only for a nonzero count */
    XA_SERIAL = 1u << 4 /* ends the block (mode changes, serializing) */
};
#define XA_BR(k) ((unsigned)(k) << 8)
#define XA_BR_OF(a) ((X86Branch)(((a) >> 8) & 0xf))

/* instruction ids, generated from the table */
typedef enum X86InsnId {
#define X(id, mn, feat, fr, fw, fu, attr) XI_##id,
#include "cpu/x86_ops.def"
#undef X
    XI__COUNT
} X86InsnId;

typedef struct X86InsnInfo {
    const char *name; /* lower-case SDM mnemonic */
    uint8_t feature;  /* X86Feature of the legacy encoding */
    uint16_t flags_r; /* flags read */
    uint16_t flags_w; /* flags written (defined or not) */
    uint16_t flags_u; /* subset of flags_w left undefined */
    uint16_t attr;    /* XA_* | XA_BR(kind) */
} X86InsnInfo;

/* register classes of operands */
typedef enum X86RegClass {
    XRC_GPR,    /* reg 0..15, size from the operand */
    XRC_GPR8HI, /* AH, CH, DH, BH (reg 4..7 without REX) */
    XRC_SEG,    /* ES CS SS DS FS GS = 0..5 */
    XRC_CR,
    XRC_DR,
    XRC_MMX,
    XRC_XMM, /* 16 bytes; 32 with VEX.L is XRC_YMM */
    XRC_YMM,
    XRC_ZMM,
    XRC_ST, /* x87 ST(i) */
    XRC_K,  /* AVX-512 mask register */
} X86RegClass;

typedef enum X86OpType {
    XOP_NONE,
    XOP_REG,
    XOP_MEM,
    XOP_IMM,
    XOP_REL, /* imm = signed displacement from the next instruction */
    XOP_FAR, /* imm = offset, seg = selector (ptr16:16/32) */
} X86OpType;

enum { XSEG_ES, XSEG_CS, XSEG_SS, XSEG_DS, XSEG_FS, XSEG_GS, XSEG_NONE = 7 };
enum { XREG_NONE = 0xff, XREG_RIP = 16 };

typedef struct X86Operand {
    uint8_t type; /* X86OpType */
    uint8_t size; /* bytes; 0 for a memory operand without size (LEA, m) */
    uint8_t cls;  /* X86RegClass for XOP_REG */
    uint8_t reg;
    uint8_t base;  /* XOP_MEM: GPR, XREG_RIP or XREG_NONE */
    uint8_t index; /* XREG_NONE or GPR (VSIB: vector register) */
    uint8_t scale; /* 1, 2, 4, 8 */
    uint8_t seg;   /* XOP_MEM: effective segment; XOP_FAR: unused */
    int64_t val;   /* disp, immediate, rel or far offset */
    uint16_t sel;  /* XOP_FAR selector */
} X86Operand;

/* DecodedInsn.pfx bits */
enum {
    XP_LOCK = 1u << 0,
    XP_REP = 1u << 1,   /* F3 was the last of F2/F3 */
    XP_REPNE = 1u << 2, /* F2 was the last of F2/F3 */
    XP_OPSZ = 1u << 3,  /* 66 seen */
    XP_ADSZ = 1u << 4,  /* 67 seen */
    XP_REX = 1u << 5,   /* a REX prefix applies */
    XP_VEX = 1u << 6,
    XP_EVEX = 1u << 7,
};

typedef struct DecodedInsn {
    uint16_t id;       /* X86InsnId */
    uint8_t len;       /* total bytes */
    uint8_t nops;      /* operands used in op[] */
    uint8_t opsize;    /* 2, 4 or 8 */
    uint8_t addrsize;  /* 2, 4 or 8 */
    uint8_t seg;       /* segment override (after 64-bit rules) or XSEG_NONE */
    uint8_t pfx;       /* XP_* */
    uint8_t rex;       /* 0x4W RXB low bits of the REX byte that applies */
    uint8_t modrm;     /* valid if has_modrm */
    uint8_t has_modrm; /* bool */
    uint8_t feature;   /* X86Feature for this encoding (VEX -> AVX...) */
    /* VEX/EVEX fields: map 1..3, vvvv (un-inverted), L (0, 1, 2), W, pp */
    uint8_t vex_map, vex_vvvv, vex_l, vex_w, vex_pp;
    uint8_t evex_aaa, evex_z, evex_b; /* EVEX only */
    uint8_t opcode;                   /* last opcode byte */
    uint8_t map; /* 0 one-byte, 1 0F, 2 0F38, 3 0F3A (VEX/EVEX: mmmmm) */
    X86Operand op[4];
} DecodedInsn;

/* x86_decode() results; a positive value n means "n more bytes needed" */
enum { X86_DEC_OK = 0, X86_DEC_UD = -1, X86_DEC_GP = -2 };
#define X86_MAX_INSN_LEN 15

/*
 * Decode one instruction from bytes[0..avail). Returns X86_DEC_OK, X86_DEC_UD
 * (invalid in this mode / with these prefixes), X86_DEC_GP (longer than 15
 * bytes) or n > 0: at least n more bytes are needed. Never reads bytes[avail].
 */
int x86_decode(DecodedInsn *d, const uint8_t *bytes, size_t avail,
               X86Mode mode) MUST_CHECK;

const char *x86_insn_name(unsigned id);
const X86InsnInfo *x86_insn_info(unsigned id);
const char *x86_feature_name(unsigned feat);

/* true if the instruction is a VEX/EVEX form */
static inline bool x86_insn_is_vex(const DecodedInsn *d)
{
    return (d->pfx & (XP_VEX | XP_EVEX)) != 0;
}

/* true if the SDM mnemonic is "v" + x86_insn_name() (vector VEX forms) */
static inline bool x86_insn_has_vprefix(const DecodedInsn *d)
{
    return x86_insn_is_vex(d) && d->feature != XFEAT_BMI1 &&
           d->feature != XFEAT_BMI2;
}

#endif
