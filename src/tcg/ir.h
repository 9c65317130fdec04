/*
 * src/tcg/ir.h: the translator IR and its builder.
 *
 * A TB is translated into one IrFunc: a linear array of IrOps on temps.
 * Temps are globals (bound to a field of the CPU state `env`, optionally
 * pinned to a host register), locals (live for the whole TB, across labels)
 * and constants. Ops are typed I32 or I64 (IrOp.type). Branches go to labels
 * inside the function; the function leaves through GOTO_TB / GOTO_PTR /
 * EXIT_TB. The rules every consumer relies on are stated here (section
 * "semantics") and checked by the interpreter tests in tests/unit/tcg/.
 */
#ifndef XLAT_TCG_IR_H
#define XLAT_TCG_IR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tcg/ir_ops.h"

/*
 * Semantics shared by the interpreter and every backend:
 * - Values of I32 temps are held zero-extended; a backend may keep garbage in
 *   the upper half of a host register only if every consumer ignores it.
 * - Shift/rotate counts are masked: count & 31 (I32) or count & 63 (I64).
 * - CLZ/CTZ of 0 give the width (32 or 64). BSWAP16/32 zero the upper bits.
 * - EXT8S/8U/16S/16U work on either type; EXT32S/EXT32U are I64 ops whose input
 *   may be an I32 or I64 temp (low 32 bits read). EXTRL/EXTRH are I32 ops
 *   with an I64 input.
 * - DEPOSIT/EXTRACT/SEXTRACT: pos + len <= width, len >= 1 (builder asserts).
 * - MOVCOND/SETCOND/BRCOND compare with the op's type; TSTEQ/TSTNE test
 *   (a & b) == 0 / != 0.
 * - LD/ST access env + offset with memop size/sign (mmu bits ignored).
 * - QLD/QST/ATOMIC_*: guest virtual address (I64 temp, or I32 zero-extended),
 *   memop size/sign/mmu_idx; value type is the op type. A QLD of 32 bits into
 *   an I64 temp sign/zero-extends by memop. Little-endian guest and host.
 *   ATOMIC_*: the old value is returned extended by memop (like QLD); the
 *   CMPXCHG compare is done at memop size (low bits of b), like LOCK
 *   CMPXCHG; memory is written only when equal. Operands at memop size.
 * - Division is not an op: the front end calls a helper (it must raise).
 */

typedef enum IrType { IR_I32, IR_I64 } IrType;

typedef enum IrTempKind {
    IR_TEMP_GLOBAL, /* env field; first nglobals temps of every function */
    IR_TEMP_LOCAL,  /* lives for the whole TB */
    IR_TEMP_CONST,  /* value in IrTempInfo.val, never written */
} IrTempKind;

/* conditions: c ^ 1 is the inverse (locked in ir.c) */
typedef enum IrCond {
    IR_EQ,
    IR_NE,
    IR_LT,
    IR_GE,
    IR_LE,
    IR_GT,
    IR_LTU,
    IR_GEU,
    IR_LEU,
    IR_GTU,
    IR_TSTEQ,
    IR_TSTNE,
    IR_COND__COUNT,
} IrCond;

/* memop: size, sign, mmu index (QLD/QST/ATOMIC_*, LD/ST ignore the mmu) */
enum {
    IR_MO_8 = 0,
    IR_MO_16 = 1,
    IR_MO_32 = 2,
    IR_MO_64 = 3,
    IR_MO_SIZE = 3,
    IR_MO_SIGN = 4,
    IR_MO_MMU_SHIFT = 16,
    IR_MO_MMU_MASK = 0x3f << 16, /* TCG_MAX_MMU indexes */
    /* QLD of a read-modify-write: the slow path checks write permission
     * first (a fault reports W = 1); backends pass it through unchanged */
    IR_MO_WRITE = 1 << 12,
    /* the access is SS-relative (RSP/RBP base, stack ops): a
     * non-canonical address raises #SS(0) instead of #GP(0) */
    IR_MO_STACK = 1 << 13,
};
#define IR_MO_MMU(idx) ((uint32_t)(idx) << IR_MO_MMU_SHIFT)
#define IR_MO_GET_MMU(mo) (((mo)&IR_MO_MMU_MASK) >> IR_MO_MMU_SHIFT)
#define IR_MO_BYTES(mo) (1u << ((mo)&IR_MO_SIZE))

/* EXIT_TB reasons (constant arg); returned with the TB to the dispatcher */
typedef enum IrExit {
    IR_EXIT_TB0 = 0,      /* unchained path of GOTO_TB 0: chain then go on */
    IR_EXIT_TB1 = 1,      /* unchained path of GOTO_TB 1 */
    IR_EXIT_LOOKUP = 2,   /* next TB from the env state (GOTO_PTR miss) */
    IR_EXIT_REQUEST = 3,  /* TB-entry exit-request test fired (not started) */
    IR_EXIT_FRONTEND = 4, /* return to the front end (halt, I/O, ...) */
    IR_EXIT__COUNT,
} IrExit;

/* helper call descriptors */
#define IR_CALL_MAX_ARGS 5
enum {
    IRH_PURE = 1u << 0,    /* no side effects: deletable, foldable by CSE */
    IRH_RD_GLOB = 1u << 1, /* reads globals: they are stored to env first */
    IRH_WR_GLOB = 1u << 2, /* writes globals: reloaded from env after */
    IRH_RAISE = 1u << 3,   /* may raise (records a precise-state point) */
    IRH_ENV = 1u << 4,     /* env is passed as the first C argument */
};
typedef enum IrHelperRet { IRH_VOID, IRH_RET_I32, IRH_RET_I64 } IrHelperRet;

/*
 * C signature: ret fn([void *env,] a0, a1, ...), every argument an integer
 * or pointer of at most 64 bits (I32 arguments as uint32_t).
 */
typedef struct IrHelper {
    const char *name;
    void *fn;
    uint8_t nargs;                      /* IR arguments, env excluded */
    uint8_t ret;                        /* IrHelperRet */
    uint8_t arg_type[IR_CALL_MAX_ARGS]; /* IrType of each argument */
    uint32_t flags;                     /* IRH_* */
} IrHelper;

typedef uint32_t IrTemp; /* index into IrFunc.temps */

typedef struct IrTempInfo {
    uint8_t kind; /* IrTempKind */
    uint8_t type; /* IrType */
    int8_t pin;   /* globals: host register number, -1 = not pinned */
    uint8_t pad;
    int32_t env_off;  /* globals */
    uint64_t val;     /* constants (I32: zero-extended) */
    const char *name; /* globals: static string */
} IrTempInfo;

#define IR_MAX_ARGS 10
#define IR_MAX_TEMPS 4096
#define IR_MAX_OPS 16384

/* IrOp.life: bit k set = argument k (a temp) is dead after this op */
#define IR_LIFE_DEAD(k) (1u << (k))

typedef struct IrOp {
    uint16_t opc;            /* IrOpcode */
    uint8_t type;            /* IrType */
    uint8_t nout, nin, ncon; /* from ir_op_info, or the helper for CALL */
    uint16_t flags;          /* IRF_* (CALL: derived from the helper) */
    uint32_t life;           /* filled by ir_liveness() */
    uint32_t pad;
    uint64_t args[IR_MAX_ARGS]; /* outputs, inputs (IrTemp), constants */
} IrOp;

typedef struct IrFunc {
    IrTempInfo *temps;
    uint32_t ntemps, temps_cap, nglobals;
    IrOp *ops;
    uint32_t nops, ops_cap;
    uint32_t nlabels;
    uint32_t ninsns; /* INSN_START count */
    bool overflow;   /* too many ops/temps: the TB must be cut shorter */
} IrFunc;

/* accessors: k-th output / input temp, k-th constant */
#define IR_OUT(op, k) ((IrTemp)(op)->args[(k)])
#define IR_IN(op, k) ((IrTemp)(op)->args[(op)->nout + (k)])
#define IR_CON(op, k) ((op)->args[(op)->nout + (op)->nin + (k)])

/* life cycle */
IrFunc *ir_func_new(void);
void ir_func_free(IrFunc *f);
/* forget ops, locals, constants and labels; keep the globals */
void ir_func_reset(IrFunc *f);
IrTemp ir_global_new(IrFunc *f, IrType type, int32_t env_off, const char *name,
                     int pin);
/* copy the globals of src into f (f must have no other temps) */
void ir_func_copy_globals(IrFunc *f, const IrFunc *src);

/* temps */
IrTemp ir_temp_new(IrFunc *f, IrType type);
IrTemp ir_const(IrFunc *f, IrType type, uint64_t val);
static inline IrType ir_temp_type(const IrFunc *f, IrTemp t)
{
    return (IrType)f->temps[t].type;
}
static inline bool ir_temp_is_const(const IrFunc *f, IrTemp t)
{
    return f->temps[t].kind == IR_TEMP_CONST;
}
static inline bool ir_temp_is_global(const IrFunc *f, IrTemp t)
{
    return f->temps[t].kind == IR_TEMP_GLOBAL;
}
uint32_t ir_label_new(IrFunc *f);

/* generic emit: outputs, inputs and constants in this order */
IrOp *ir_emit(IrFunc *f, IrOpcode opc, IrType type, const uint64_t *args);
void ir_op1(IrFunc *f, IrOpcode opc, IrType t, IrTemp d, IrTemp a);
void ir_op2(IrFunc *f, IrOpcode opc, IrType t, IrTemp d, IrTemp a, IrTemp b);
/* d = a OP imm (imm becomes a constant temp) */
void ir_op2i(IrFunc *f, IrOpcode opc, IrType t, IrTemp d, IrTemp a,
             uint64_t imm);

void ir_mov(IrFunc *f, IrType t, IrTemp d, IrTemp a);
void ir_movi(IrFunc *f, IrType t, IrTemp d, uint64_t imm);
void ir_mul2(IrFunc *f, IrOpcode opc, IrType t, IrTemp lo, IrTemp hi, IrTemp a,
             IrTemp b);
void ir_deposit(IrFunc *f, IrType t, IrTemp d, IrTemp a, IrTemp b, unsigned pos,
                unsigned len);
void ir_extract(IrFunc *f, IrOpcode opc, IrType t, IrTemp d, IrTemp a,
                unsigned pos, unsigned len);
void ir_setcond(IrFunc *f, IrType t, IrCond c, IrTemp d, IrTemp a, IrTemp b);
void ir_movcond(IrFunc *f, IrType t, IrCond c, IrTemp d, IrTemp a, IrTemp b,
                IrTemp v1, IrTemp v2);
void ir_set_label(IrFunc *f, uint32_t label);
void ir_br(IrFunc *f, uint32_t label);
void ir_brcond(IrFunc *f, IrType t, IrCond c, IrTemp a, IrTemp b,
               uint32_t label);
void ir_ld(IrFunc *f, IrType t, IrTemp d, int32_t env_off, uint32_t memop);
void ir_st(IrFunc *f, IrType t, IrTemp v, int32_t env_off, uint32_t memop);
void ir_qld(IrFunc *f, IrType t, IrTemp d, IrTemp addr, uint32_t memop);
void ir_qst(IrFunc *f, IrType t, IrTemp v, IrTemp addr, uint32_t memop);
void ir_atomic_cmpxchg(IrFunc *f, IrType t, IrTemp old, IrTemp addr,
                       IrTemp cmpv, IrTemp newv, uint32_t memop);
/* opc: IR_ATOMIC_XCHG/ADD/AND/OR/XOR */
void ir_atomic_rmw(IrFunc *f, IrOpcode opc, IrType t, IrTemp old, IrTemp addr,
                   IrTemp val, uint32_t memop);
/* ret: IrTemp or ignored when the helper returns void */
void ir_call(IrFunc *f, const IrHelper *h, IrTemp ret, const IrTemp *args);
void ir_insn_start(IrFunc *f, uint64_t pc, uint64_t w1, uint64_t w2);
void ir_goto_tb(IrFunc *f, unsigned n);
void ir_goto_ptr(IrFunc *f, IrTemp pc);
void ir_exit_tb(IrFunc *f, IrExit reason);

/* condition helpers */
static inline IrCond ir_cond_invert(IrCond c)
{
    return (IrCond)(c ^ 1);
}
bool ir_cond_eval(IrCond c, IrType t, uint64_t a, uint64_t b);
const char *ir_cond_name(IrCond c);

/* pure evaluation of an ALU op on constant inputs (shared by interp and
 * opt); returns false for ops that are not pure ALU ops. out[1] for MUL*2 */
bool ir_eval(IrOpcode opc, IrType t, const uint64_t *in, const uint64_t *con,
             uint64_t *out);

/* -d op / -d op_opt text; one op per line */
void ir_dump(const IrFunc *f, FILE *out);
/* one op, without newline; returns characters written */
int ir_dump_op(const IrFunc *f, const IrOp *op, FILE *out);
const char *ir_temp_name(const IrFunc *f, IrTemp t, char *buf, size_t len);

/* optimizer (opt.c): folding, copy propagation, simplification, DCE and
 * liveness; leaves IrOp.life valid. ir_liveness() alone for -O0. */
void ir_optimize(IrFunc *f);
void ir_liveness(IrFunc *f);
/* drop NOP ops */
void ir_compact(IrFunc *f);

#endif
