/*
 * src/tcg/x86_64/x64_int.h: state shared by the x86-64 JIT's files.
 *
 * x64_backend.c drives code generation (prologue, the op loop, calls, TB
 * exits, chaining); x64_ops.c emits the ALU ops; x64_ldst.c emits guest
 * memory accesses (the inline TLB fast path) and their out-of-line slow
 * paths, which are written after the TB's last op.
 */
#ifndef XLAT_TCG_X64_INT_H
#define XLAT_TCG_X64_INT_H

#include "tcg/backend.h"
#include "tcg/x86_64/regalloc.h"
#include "tcg/x86_64/x64_emit.h"

/* frame layout beyond regalloc.h's: save slot for an atomic's old value */
#define X64_SAVE_SLOT(r) (RA_FRAME_SAVE + 8 * (r))
#define X64_SAVE_OLD X64_SAVE_SLOT(16)

#define X64_MAX_DIRTY 64

/* one out-of-line slow path, emitted after the TB */
typedef struct X64Slow {
    uint16_t opc; /* IR_QLD, IR_QST, IR_ATOMIC_* */
    uint8_t type; /* IrType */
    uint32_t memop;
    int8_t addr, val, cmp, out; /* host registers (-1: none) */
    int label;                  /* the stub's entry */
    int resume;                 /* back in the main line */
    uint32_t save;              /* registers to keep across the helper call */
    int insn;                   /* insn_start index, for the raise point */
    int ndirty;
    struct {
        int8_t reg;
        uint8_t is64;
        int32_t off;
    } dirty[X64_MAX_DIRTY]; /* globals and pinned to store to env */
} X64Slow;

typedef struct X64Gen {
    TcgCtx *s;
    const TcgConfig *cfg;
    Tb *tb;
    const IrFunc *f;
    X64Asm a;
    RegAlloc ra;
    RaTemp *temps;
    int *labels;      /* IR label -> asm label */
    RaSnap **lstate;  /* IR label -> register state expected there */
    bool reachable;   /* the op being emitted can be reached */
    int fused;        /* IrCond of a setcond left in the flags, or -1 */
    const IrOp *next; /* the op after the current one, or NULL */
    X64Slow *slow;
    int nslow, slow_cap;
    int insn;           /* current insn_start index */
    uintptr_t epilogue; /* RX address the TB exits jump to */
    bool has_lzcnt, has_bmi1, has_popcnt;
    bool count; /* -d stats: count helper calls, slow paths, probe hits */
} X64Gen;

/* backend data kept in the TcgCtx */
typedef struct X64Data {
    uint8_t *pro_rw;
    const uint8_t *pro_rx;
    uintptr_t epilogue;
    uint32_t pinned; /* registers the prologue loads/stores */
    int npinned;
    int32_t pin_off[16];
    uint8_t pin_is64[16];
    bool has_lzcnt, has_bmi1, has_popcnt;
} X64Data;

#define X64_PROLOGUE_SIZE 512

/* x64_ops.c: one emitter per op family */
typedef enum X64Bin {
    X64B_ADD,
    X64B_SUB,
    X64B_AND,
    X64B_OR,
    X64B_XOR,
    X64B_MUL,
    X64B_ANDC,
    X64B_SHL,
    X64B_SHR,
    X64B_SAR,
    X64B_ROTL,
    X64B_ROTR,
} X64Bin;
typedef enum X64Unary {
    X64U_NEG,
    X64U_NOT,
    X64U_EXTRH,
    X64U_BSWAP16,
    X64U_BSWAP32,
    X64U_BSWAP64,
} X64Unary;
void x64_gen_mov(X64Gen *g, const IrOp *op);
void x64_gen_bin(X64Gen *g, const IrOp *op, X64Bin b);
void x64_gen_shift(X64Gen *g, const IrOp *op, X64Bin b);
void x64_gen_ext(X64Gen *g, const IrOp *op, X64Size from, bool sign);
void x64_gen_unary(X64Gen *g, const IrOp *op, X64Unary u);
void x64_gen_bitcount(X64Gen *g, const IrOp *op);
void x64_gen_mul_wide(X64Gen *g, const IrOp *op);
void x64_gen_deposit(X64Gen *g, const IrOp *op);
void x64_gen_extract(X64Gen *g, const IrOp *op);
void x64_gen_setcond(X64Gen *g, const IrOp *op);
void x64_gen_movcond(X64Gen *g, const IrOp *op);
void x64_gen_env(X64Gen *g, const IrOp *op);
X64Cond x64_cond(IrCond c);
/* cmp/test a, b for cond c at size sz (a in a register, b reg or const) */
void x64_gen_compare(X64Gen *g, const IrOp *op, IrCond c, int ta, int tb);

/* load [base + idx + disp] of memop size/sign into d, extended to type */
void x64_ld_memop(X64Asm *a, IrType type, uint32_t memop, int d, int base,
                  int idx, int32_t disp);
/* d = s extended from memop size/sign to type */
void x64_ext_memop(X64Asm *a, IrType type, uint32_t memop, int d, int s);

/* x64_ldst.c */
void x64_gen_qld(X64Gen *g, const IrOp *op);
void x64_gen_qst(X64Gen *g, const IrOp *op);
void x64_gen_atomic(X64Gen *g, const IrOp *op);
void x64_gen_slow_paths(X64Gen *g);

/* x64_call.c */
void x64_gen_call(X64Gen *g, const IrOp *op);

/* x64_backend.c */
bool x64_dead(const IrOp *op, int k);
/* is temp t one of op's outputs? */
bool x64_is_output(const IrOp *op, uint64_t t);
/* kill the dead local inputs of op (after it has been emitted) */
void x64_free_dead_inputs(X64Gen *g, const IrOp *op);
/* copy temp t's value into host register r, ownership unchanged */
void x64_copy_to(X64Gen *g, int t, int r);
X64Size x64_tsize(const IrOp *op);
void x64_gen_count(X64Gen *g, uint64_t *counter, int r);

#endif
