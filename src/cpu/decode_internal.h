/*
 * Internal types of the decoder tables, shared by decode_tables.c (the data)
 * and decode.c (the engine). An OpEntry is either an instruction (id, SDM
 * operand forms, mode/VEX flags) or a sub-table selected by one field of the
 * encoding (ModRM.reg, ModRM.mod, ModRM.rm, mandatory prefix, mode, operand
 * size, VEX.L, W). Operand specs are SDM addressing method + size (E,v).
 */
#ifndef XLAT_CPU_DECODE_INTERNAL_H
#define XLAT_CPU_DECODE_INTERNAL_H

#include <string.h>

#include "cpu/decode.h"

typedef enum EntryKind {
    K_NONE,  /* invalid: #UD */
    K_INSN,  /* an instruction */
    K_GROUP, /* sub[ModRM.reg] */
    K_MOD,   /* sub[0] memory form, sub[1] register form */
    K_RM,    /* sub[ModRM.rm] (register forms) */
    K_PFX,   /* sub[none, 66, F3, F2] mandatory prefix (or VEX.pp) */
    K_MODE,  /* sub[0] 16/32-bit mode, sub[1] 64-bit mode */
    K_OPSZ,  /* sub[16, 32, 64-bit operand size] */
    K_VEXL,  /* sub[VEX.L] */
    K_W,     /* sub[REX.W or VEX.W] */
    K_W64,   /* sub[W], W counting in 64-bit mode only (GPR size) */
    K_VEX,   /* sub[0] legacy encoding, sub[1] VEX encoding */
    K_ESC,   /* two-byte escape: 0F -> map (0F 38 / 0F 3A inside) */
    K_NOP90, /* 90: NOP, PAUSE or XCHG r8, rAX */
} EntryKind;

/* OpEntry.flags */
enum {
    EF_NO64 = 1u << 0,  /* #UD in 64-bit mode */
    EF_O64 = 1u << 1,   /* 64-bit mode only */
    EF_D64 = 1u << 2,   /* default operand size 64 in 64-bit mode */
    EF_F64 = 1u << 3,   /* operand size forced to 64 in 64-bit mode */
    EF_V = 1u << 4,     /* a VEX encoding exists */
    EF_VO = 1u << 5,    /* VEX encoding only */
    EF_L0 = 1u << 6,    /* VEX.L must be 0 */
    EF_W0 = 1u << 7,    /* 64-bit mode: REX.W/VEX.W ignored (32 bit) */
    EF_L1 = 1u << 8,    /* VEX.256 only: VEX.L must be 1 */
    EF_OSZ66 = 1u << 9, /* in a 66 column, 66 still sizes the operands */
    /* computed by the row macros (decode_rows.h) from the operand forms */
    EF_MODRM = 1u << 10, /* an operand is encoded in ModRM */
    EF_VVVV = 1u << 11,  /* an operand is VEX.vvvv (H, B, VSIB) */
};

/* operand addressing methods (SDM A.2.1) plus fixed operands */
typedef enum OpMethod {
    M_NONE,
    M_E,   /* ModRM r/m: GPR or memory */
    M_G,   /* ModRM reg: GPR */
    M_M,   /* ModRM r/m: memory only */
    M_R,   /* ModRM r/m: GPR only */
    M_I,   /* immediate */
    M_J,   /* relative offset */
    M_O,   /* moffs */
    M_A,   /* far pointer ptr16:16/32 */
    M_Z,   /* GPR from opcode bits 2:0 (+REX.B) */
    M_S,   /* ModRM reg: segment register */
    M_C,   /* ModRM reg: control register */
    M_D,   /* ModRM reg: debug register */
    M_X,   /* DS:rSI */
    M_Y,   /* ES:rDI */
    M_V,   /* ModRM reg: XMM/YMM */
    M_W,   /* ModRM r/m: XMM/YMM or memory */
    M_U,   /* ModRM r/m: XMM/YMM only */
    M_H,   /* VEX.vvvv: XMM/YMM (dropped in legacy encodings) */
    M_L,   /* imm8[7:4]: XMM/YMM */
    M_P,   /* ModRM reg: MMX */
    M_Q,   /* ModRM r/m: MMX or memory */
    M_N,   /* ModRM r/m: MMX only */
    M_B,   /* VEX.vvvv: GPR */
    M_VX,  /* VSIB memory (gathers) */
    M_RAX, /* AL / rAX (size from spec) */
    M_CL,
    M_DX,
    M_ONE,    /* the constant 1 (shifts) */
    M_SEG,    /* fixed segment register, number in the size field */
    M_ST0,    /* x87 ST(0) */
    M_STI,    /* x87 ST(i) from ModRM.rm */
    M_XMM0,   /* implicit XMM0 (BLENDV) */
    M_RBX_AL, /* XLAT's [rBX + AL] */
} OpMethod;

/* operand sizes (SDM A.2.2) */
typedef enum OpSize {
    S_0, /* none / not applicable (LEA, prefetch, fixed) */
    S_b,
    S_bs, /* byte, sign-extended immediate */
    S_w,
    S_d,
    S_q,
    S_v,   /* operand size */
    S_z,   /* 2 for 16-bit operand size, else 4 */
    S_y,   /* 4, or 8 with 64-bit operand size */
    S_x,   /* 16, or 32 with VEX.L */
    S_xh,  /* half of x: 8 or 16 */
    S_dq,  /* 16 */
    S_qq,  /* 32 */
    S_p,   /* far pointer: 2 + operand size (m16:16/32/64) */
    S_s,   /* descriptor table register: 6, or 10 in 64-bit mode */
    S_t,   /* 80-bit x87 */
    S_a,   /* BOUND pair: 2 * operand size */
    S_env, /* x87 environment: 14 or 28 */
    S_fst, /* x87 state: 94 or 108 */
    S_fx,  /* 512-byte FXSAVE area */
} OpSize;

#define OPS(m, s) ((uint16_t)(((m) << 8) | (s)))
#define OPS_METHOD(o) ((o) >> 8)
#define OPS_SIZE(o) ((o)&0xff)

/* methods that read ModRM, and those that read VEX.vvvv */
#define M_MODRM_SET                                                            \
    (BIT(M_E) | BIT(M_G) | BIT(M_M) | BIT(M_R) | BIT(M_S) | BIT(M_C) |         \
     BIT(M_D) | BIT(M_V) | BIT(M_W) | BIT(M_U) | BIT(M_P) | BIT(M_Q) |         \
     BIT(M_N) | BIT(M_VX) | BIT(M_STI))
#define M_VVVV_SET (BIT(M_H) | BIT(M_B) | BIT(M_VX))
/* EF_MODRM/EF_VVVV of one spec; an empty argument counts as no operand */
#define OPS_EFLAGS(o)                                                          \
    (((M_MODRM_SET >> OPS_METHOD(o + 0)) & 1 ? EF_MODRM : 0) |                 \
     ((M_VVVV_SET >> OPS_METHOD(o + 0)) & 1 ? EF_VVVV : 0))

/* the X86Feature of each id as a constant, so that rows can carry it */
enum {
#define X(id, mn, feat, fr, fw, fu, attr) XFEAT_OF_##id = XFEAT_##feat,
#include "cpu/x86_ops.def"
#undef X
};

typedef struct OpEntry {
    uint8_t kind;   /* EntryKind */
    uint8_t feat;   /* K_INSN: x86_insn_table[id].feature (row macros) */
    uint16_t id;    /* X86InsnId for K_INSN */
    uint16_t flags; /* EF_* */
    uint16_t opnd[4];
    const struct OpEntry *sub;
} OpEntry;

/* decoder state for one instruction (decode.c, decode_operands.c) */
typedef struct DecState {
    const uint8_t *p;
    size_t avail;
    unsigned pos, lim;
    X86Mode mode;
    uint8_t rep;        /* last of F2/F3, or 0 */
    uint8_t r, x, b, w; /* REX/VEX extension bits (0/1) */
    uint8_t vex;        /* 0 legacy, 1 VEX, 2 EVEX */
    uint8_t mod, reg, rm, sib;
    uint8_t regx, rmx; /* ModRM.reg | REX.R << 3, ModRM.rm | REX.B << 3 */
    uint8_t nohi8;     /* no REX/VEX: byte regs 4-7 are AH CH DH BH */
    uint8_t map;       /* 0 one-byte, 1 0F, 2 0F38, 3 0F3A */
    uint8_t opsize66;  /* operand size with the 66 prefix applied */
    uint16_t ud_flags; /* EF_* flags that make a row #UD here */
    X86Operand mem;    /* decoded memory operand, if mod != 3 */
} DecState;

static inline int dec_short(const DecState *s, unsigned n)
{
    if (s->pos + n > X86_MAX_INSN_LEN) {
        return X86_DEC_GP;
    }
    return (int)(s->pos + n - s->avail);
}

#define NEED(s, n)                                                             \
    do {                                                                       \
        if (unlikely((s)->pos + (n) > (s)->lim)) {                             \
            return dec_short((s), (n));                                        \
        }                                                                      \
    } while (0)

static inline uint64_t dec_le(const uint8_t *p, unsigned n)
{
    /* fixed-size copies inline to single loads (little-endian host) */
    uint64_t v = 0;
    uint32_t v32;
    uint16_t v16;
    switch (n) {
    case 1:
        return p[0];
    case 2:
        memcpy(&v16, p, 2);
        return v16;
    case 4:
        memcpy(&v32, p, 4);
        return v32;
    default:
        memcpy(&v, p, 8);
        return v;
    }
}

/* hot helpers with several callers that the compiler would keep out of line */
#define DEC_HOT_INLINE static inline __attribute__((always_inline))

int dec_operands(DecState *s, DecodedInsn *d, const OpEntry *e);
int dec_check_lock(const DecState *s, const DecodedInsn *d, const OpEntry *e);

extern const OpEntry x86_map_1byte[256];
extern const OpEntry x86_map_0f[256];
extern const OpEntry x86_map_0f38[256];
extern const OpEntry x86_map_0f3a[256];
extern const X86InsnInfo x86_insn_table[XI__COUNT];

#endif
