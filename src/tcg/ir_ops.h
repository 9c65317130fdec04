/*
 * src/tcg/ir_ops.h: the only list of IR opcodes (STYLE 3.5).
 *
 * Each row: name, outputs, inputs, constant args, flags. The enum, the info
 * table, the dumper, the optimizer, the interpreter and every backend are
 * derived from or switch on this list with no default: (-Werror=switch).
 * Semantics are in the comments; ir.h states the rules shared by all ops
 * (types, shift counts, memops, conditions). CALL's counts come from its
 * helper descriptor, so its row says 0/0/1.
 */
#ifndef XLAT_TCG_IR_OPS_H
#define XLAT_TCG_IR_OPS_H

/* op flags */
#define IRF_SIDE (1u << 0)      /* has a side effect: never deleted */
#define IRF_RAISE (1u << 1)     /* may raise a guest exception (longjmp) */
#define IRF_BB_END (1u << 2)    /* ends a basic block (branch or exit) */
#define IRF_TB_EXIT (1u << 3)   /* may leave the TB */
#define IRF_RD_GLOB (1u << 4)   /* reads globals from env */
#define IRF_WR_GLOB (1u << 5)   /* writes globals in env */
#define IRF_COMMUTE (1u << 6)   /* inputs 0 and 1 commute */
#define IRF_I64_ONLY (1u << 7)  /* only type I64 is valid */
#define IRF_GMEM (1u << 8)      /* guest memory access (TLB fast + slow path) */
#define IRF_CALL_INFO (1u << 9) /* flags come from the helper descriptor */

#define IRF_MEM_RW (IRF_SIDE | IRF_RAISE | IRF_GMEM)

/* clang-format off */
#define IR_OPS(X)                                                              \
    /* name          out in con flags                      semantics */        \
    X(NOP,            0, 0, 0, 0)                          /* deleted op */    \
    X(MOV,            1, 1, 0, 0)                          /* d = a */         \
    X(MOVI,           1, 0, 1, 0)                          /* d = c0 */        \
    X(ADD,            1, 2, 0, IRF_COMMUTE)                /* d = a + b */     \
    X(SUB,            1, 2, 0, 0)                          /* d = a - b */     \
    X(NEG,            1, 1, 0, 0)                          /* d = -a */        \
    X(AND,            1, 2, 0, IRF_COMMUTE)                /* d = a & b */     \
    X(OR,             1, 2, 0, IRF_COMMUTE)                /* d = a | b */     \
    X(XOR,            1, 2, 0, IRF_COMMUTE)                /* d = a ^ b */     \
    X(NOT,            1, 1, 0, 0)                          /* d = ~a */        \
    X(ANDC,           1, 2, 0, 0)                          /* d = a & ~b */    \
    X(SHL,            1, 2, 0, 0)                 /* d = a << (b & (w-1)) */   \
    X(SHR,            1, 2, 0, 0)                 /* logical, count masked */  \
    X(SAR,            1, 2, 0, 0)                 /* arithmetic, masked */     \
    X(ROTL,           1, 2, 0, 0)                 /* rotate left, masked */    \
    X(ROTR,           1, 2, 0, 0)                 /* rotate right, masked */   \
    X(MUL,            1, 2, 0, IRF_COMMUTE)       /* d = low(a * b) */         \
    X(MULSH,          1, 2, 0, IRF_COMMUTE)       /* d = high(a * b) signed */ \
    X(MULUH,          1, 2, 0, IRF_COMMUTE)       /* d = high(a * b) unsig. */ \
    X(MULS2,          2, 2, 0, IRF_COMMUTE)       /* d0,d1 = lo,hi signed */   \
    X(MULU2,          2, 2, 0, IRF_COMMUTE)       /* d0,d1 = lo,hi unsigned */ \
    X(EXT8S,          1, 1, 0, 0)                 /* d = (int8_t)a */          \
    X(EXT8U,          1, 1, 0, 0)                 /* d = (uint8_t)a */         \
    X(EXT16S,         1, 1, 0, 0)                 /* d = (int16_t)a */         \
    X(EXT16U,         1, 1, 0, 0)                 /* d = (uint16_t)a */        \
    X(EXT32S,         1, 1, 0, IRF_I64_ONLY)      /* d64 = (int32_t)a */       \
    X(EXT32U,         1, 1, 0, IRF_I64_ONLY)      /* d64 = (uint32_t)a */      \
    X(EXTRL,          1, 1, 0, 0)                 /* d32 = low 32 of a64 */    \
    X(EXTRH,          1, 1, 0, 0)                 /* d32 = high 32 of a64 */   \
    X(BSWAP16,        1, 1, 0, 0)                 /* d = swap low 2 bytes */   \
    X(BSWAP32,        1, 1, 0, 0)                 /* d = swap low 4 bytes */   \
    X(BSWAP64,        1, 1, 0, IRF_I64_ONLY)      /* d = swap 8 bytes */       \
    X(CLZ,            1, 1, 0, 0)                 /* leading zeros, a=0: w */  \
    X(CTZ,            1, 1, 0, 0)                 /* trailing zeros, a=0: w */ \
    X(CTPOP,          1, 1, 0, 0)                 /* population count */       \
    X(DEPOSIT,        1, 2, 2, 0)        /* d = a with b[len-1:0] at pos */    \
    X(EXTRACT,        1, 1, 2, 0)        /* d = a[pos+len-1:pos] zero-ext */   \
    X(SEXTRACT,       1, 1, 2, 0)        /* d = a[pos+len-1:pos] sign-ext */   \
    X(SETCOND,        1, 2, 1, 0)        /* d = (a cond b) ? 1 : 0 */          \
    X(MOVCOND,        1, 4, 1, 0)        /* d = (a cond b) ? c : e */          \
    X(SET_LABEL,      0, 0, 1, IRF_SIDE | IRF_BB_END) /* L(c0): */             \
    X(BR,             0, 0, 1, IRF_SIDE | IRF_BB_END) /* goto L(c0) */         \
    X(BRCOND,         0, 2, 2, IRF_SIDE | IRF_BB_END) /* if (a c0 b) L(c1) */  \
    X(LD,             1, 0, 2, 0)       /* d = env[c0], memop c1 (no mmu) */   \
    X(ST,             0, 1, 2, IRF_SIDE) /* env[c0] = a, memop c1 */           \
    X(QLD,            1, 1, 1, IRF_MEM_RW) /* d = guest[a], memop c0 */        \
    X(QST,            0, 2, 1, IRF_MEM_RW) /* guest[b] = a, memop c0 */        \
    X(ATOMIC_CMPXCHG, 1, 3, 1, IRF_MEM_RW) /* d = [a]; if d==b: [a]=c */       \
    X(ATOMIC_XCHG,    1, 2, 1, IRF_MEM_RW) /* d = [a]; [a] = b */              \
    X(ATOMIC_ADD,     1, 2, 1, IRF_MEM_RW) /* d = [a]; [a] += b */             \
    X(ATOMIC_AND,     1, 2, 1, IRF_MEM_RW) /* d = [a]; [a] &= b */             \
    X(ATOMIC_OR,      1, 2, 1, IRF_MEM_RW) /* d = [a]; [a] |= b */             \
    X(ATOMIC_XOR,     1, 2, 1, IRF_MEM_RW) /* d = [a]; [a] ^= b */             \
    X(CALL,           0, 0, 1, IRF_CALL_INFO) /* d = helper c0 (ins...) */     \
    X(INSN_START,     0, 0, 3, IRF_SIDE) /* guest insn: pc, word1, word2 */    \
    X(GOTO_TB,        0, 0, 1, IRF_SIDE | IRF_BB_END | IRF_TB_EXIT)           \
                                    /* chain slot c0 (0/1) */                  \
    X(GOTO_PTR,       0, 1, 0, IRF_SIDE | IRF_BB_END | IRF_TB_EXIT)           \
                                    /* indirect to guest pc a via jcache */    \
    X(EXIT_TB,        0, 0, 1, IRF_SIDE | IRF_BB_END | IRF_TB_EXIT)
                                    /* return to dispatcher, reason c0 */
/* clang-format on */

typedef enum IrOpcode {
#define X(name, o, i, c, f) IR_##name,
    IR_OPS(X)
#undef X
        IR__COUNT
} IrOpcode;

typedef struct IrOpInfo {
    const char *name; /* enum name; ir_op_name() gives the dumped form */
    unsigned char nout, nin, ncon;
    unsigned flags;
} IrOpInfo;

extern const IrOpInfo ir_op_info[IR__COUNT];
/* lower-case name as dumped ("add", "qld") */
const char *ir_op_name(IrOpcode opc);

#endif
