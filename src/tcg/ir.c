/*
 * src/tcg/ir.c: the IR builder.
 *
 * The op info table is expanded from IR_OPS. Builder functions append ops
 * to an IrFunc and check their operand types with ASSERT: a type mismatch is
 * a front-end bug, never guest input. When a function grows past
 * IR_MAX_OPS/IR_MAX_TEMPS the builder sets f->overflow and stops appending;
 * the dispatcher then retranslates with fewer guest instructions.
 */
#include <stdlib.h>
#include <string.h>

#include "tcg/ir.h"
#include "util/common.h"

const IrOpInfo ir_op_info[IR__COUNT] = {
#define X(nm, o, i, c, f)                                                      \
    [IR_##nm] = {.name = #nm, .nout = o, .nin = i, .ncon = c, .flags = f},
    IR_OPS(X)
#undef X
};

_Static_assert((IR_EQ ^ 1) == IR_NE, "cond inverse");
_Static_assert((IR_LT ^ 1) == IR_GE, "cond inverse");
_Static_assert((IR_LE ^ 1) == IR_GT, "cond inverse");
_Static_assert((IR_LTU ^ 1) == IR_GEU, "cond inverse");
_Static_assert((IR_LEU ^ 1) == IR_GTU, "cond inverse");
_Static_assert((IR_TSTEQ ^ 1) == IR_TSTNE, "cond inverse");
_Static_assert(sizeof(((IrOp *)0)->args) / sizeof(uint64_t) >=
                   1 + IR_CALL_MAX_ARGS + 1,
               "call fits in IrOp");

const char *ir_op_name(IrOpcode opc)
{
    static char names[IR__COUNT][20];
    if (!names[opc][0]) {
        const char *u = ir_op_info[opc].name;
        size_t i;
        for (i = 0; u[i] && i + 1 < sizeof(names[0]); i++) {
            char c = u[i];
            names[opc][i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
        }
        names[opc][i] = 0;
    }
    return names[opc];
}

IrFunc *ir_func_new(void)
{
    IrFunc *f = xzalloc(sizeof(*f));
    f->temps_cap = 256;
    f->temps = xcalloc(f->temps_cap, sizeof(*f->temps));
    f->ops_cap = 512;
    f->ops = xcalloc(f->ops_cap, sizeof(*f->ops));
    return f;
}

void ir_func_free(IrFunc *f)
{
    if (f) {
        free(f->temps);
        free(f->ops);
        free(f);
    }
}

void ir_func_reset(IrFunc *f)
{
    f->ntemps = f->nglobals;
    f->nops = 0;
    f->nlabels = 0;
    f->ninsns = 0;
    f->overflow = false;
}

static IrTemp ir_temp_alloc(IrFunc *f)
{
    if (f->ntemps >= IR_MAX_TEMPS) {
        f->overflow = true;
        return f->ntemps - 1; /* any valid temp; the result is discarded */
    }
    if (f->ntemps == f->temps_cap) {
        f->temps_cap *= 2;
        f->temps = xrealloc(f->temps, f->temps_cap * sizeof(*f->temps));
    }
    memset(&f->temps[f->ntemps], 0, sizeof(f->temps[0]));
    f->temps[f->ntemps].pin = -1;
    return f->ntemps++;
}

IrTemp ir_global_new(IrFunc *f, IrType type, int32_t env_off, const char *name,
                     int pin)
{
    ASSERT(f->ntemps == f->nglobals);
    IrTemp t = ir_temp_alloc(f);
    ASSERT(!f->overflow);
    IrTempInfo *ti = &f->temps[t];
    ti->kind = IR_TEMP_GLOBAL;
    ti->type = type;
    ti->env_off = env_off;
    ti->name = name;
    ti->pin = (int8_t)pin;
    f->nglobals++;
    return t;
}

void ir_func_copy_globals(IrFunc *f, const IrFunc *src)
{
    ASSERT(f->nglobals == 0 && f->ntemps == 0);
    for (uint32_t i = 0; i < src->nglobals; i++) {
        const IrTempInfo *g = &src->temps[i];
        ir_global_new(f, (IrType)g->type, g->env_off, g->name, g->pin);
    }
}

IrTemp ir_temp_new(IrFunc *f, IrType type)
{
    IrTemp t = ir_temp_alloc(f);
    if (!f->overflow) {
        f->temps[t].kind = IR_TEMP_LOCAL;
        f->temps[t].type = type;
    }
    return t;
}

IrTemp ir_const(IrFunc *f, IrType type, uint64_t val)
{
    if (type == IR_I32) {
        val = (uint32_t)val;
    }
    /* reuse a recent constant of the same value (keeps temps few) */
    uint32_t lo = f->ntemps > f->nglobals + 64 ? f->ntemps - 64 : f->nglobals;
    for (uint32_t i = f->ntemps; i-- > lo;) {
        const IrTempInfo *ti = &f->temps[i];
        if (ti->kind == IR_TEMP_CONST && ti->type == type && ti->val == val) {
            return i;
        }
    }
    IrTemp t = ir_temp_alloc(f);
    if (!f->overflow) {
        f->temps[t].kind = IR_TEMP_CONST;
        f->temps[t].type = type;
        f->temps[t].val = val;
    }
    return t;
}

uint32_t ir_label_new(IrFunc *f)
{
    return f->nlabels++;
}

static IrOp *ir_op_alloc(IrFunc *f)
{
    if (f->nops >= IR_MAX_OPS) {
        f->overflow = true;
        return NULL;
    }
    if (f->nops == f->ops_cap) {
        f->ops_cap *= 2;
        f->ops = xrealloc(f->ops, f->ops_cap * sizeof(*f->ops));
    }
    IrOp *op = &f->ops[f->nops++];
    memset(op, 0, sizeof(*op));
    return op;
}

/* output temps must be writable and typed like the op (with exceptions) */
static void ir_check_types(const IrFunc *f, const IrOp *op)
{
    for (unsigned k = 0; k < op->nout; k++) {
        ASSERT(IR_OUT(op, k) < f->ntemps);
        ASSERT(f->temps[IR_OUT(op, k)].kind != IR_TEMP_CONST);
    }
    for (unsigned k = 0; k < op->nin; k++) {
        ASSERT(IR_IN(op, k) < f->ntemps);
    }
    if (op->flags & IRF_I64_ONLY) {
        ASSERT(op->type == IR_I64);
    }
}

IrOp *ir_emit(IrFunc *f, IrOpcode opc, IrType type, const uint64_t *args)
{
    const IrOpInfo *info = &ir_op_info[opc];
    ASSERT(opc != IR_CALL);
    IrOp *op = ir_op_alloc(f);
    if (!op) {
        return NULL;
    }
    op->opc = (uint16_t)opc;
    op->type = (uint8_t)type;
    op->nout = info->nout;
    op->nin = info->nin;
    op->ncon = info->ncon;
    op->flags = (uint16_t)info->flags;
    unsigned n = op->nout + op->nin + op->ncon;
    memcpy(op->args, args, n * sizeof(uint64_t));
    if (!f->overflow) {
        ir_check_types(f, op);
    }
    return op;
}

void ir_op1(IrFunc *f, IrOpcode opc, IrType t, IrTemp d, IrTemp a)
{
    uint64_t args[2] = {d, a};
    ir_emit(f, opc, t, args);
}

void ir_op2(IrFunc *f, IrOpcode opc, IrType t, IrTemp d, IrTemp a, IrTemp b)
{
    uint64_t args[3] = {d, a, b};
    ir_emit(f, opc, t, args);
}

void ir_op2i(IrFunc *f, IrOpcode opc, IrType t, IrTemp d, IrTemp a,
             uint64_t imm)
{
    ir_op2(f, opc, t, d, a, ir_const(f, t, imm));
}

void ir_mov(IrFunc *f, IrType t, IrTemp d, IrTemp a)
{
    ir_op1(f, IR_MOV, t, d, a);
}

void ir_movi(IrFunc *f, IrType t, IrTemp d, uint64_t imm)
{
    uint64_t args[2] = {d, t == IR_I32 ? (uint32_t)imm : imm};
    ir_emit(f, IR_MOVI, t, args);
}

void ir_mul2(IrFunc *f, IrOpcode opc, IrType t, IrTemp lo, IrTemp hi, IrTemp a,
             IrTemp b)
{
    ASSERT(opc == IR_MULS2 || opc == IR_MULU2);
    ASSERT(lo != hi);
    uint64_t args[4] = {lo, hi, a, b};
    ir_emit(f, opc, t, args);
}

static void ir_check_field(IrType t, unsigned pos, unsigned len)
{
    unsigned w = t == IR_I32 ? 32 : 64;
    ASSERT(len >= 1 && pos < w && len <= w - pos);
}

void ir_deposit(IrFunc *f, IrType t, IrTemp d, IrTemp a, IrTemp b, unsigned pos,
                unsigned len)
{
    ir_check_field(t, pos, len);
    uint64_t args[5] = {d, a, b, pos, len};
    ir_emit(f, IR_DEPOSIT, t, args);
}

void ir_extract(IrFunc *f, IrOpcode opc, IrType t, IrTemp d, IrTemp a,
                unsigned pos, unsigned len)
{
    ASSERT(opc == IR_EXTRACT || opc == IR_SEXTRACT);
    ir_check_field(t, pos, len);
    uint64_t args[4] = {d, a, pos, len};
    ir_emit(f, opc, t, args);
}

void ir_setcond(IrFunc *f, IrType t, IrCond c, IrTemp d, IrTemp a, IrTemp b)
{
    ASSERT(c < IR_COND__COUNT);
    uint64_t args[4] = {d, a, b, c};
    ir_emit(f, IR_SETCOND, t, args);
}

void ir_movcond(IrFunc *f, IrType t, IrCond c, IrTemp d, IrTemp a, IrTemp b,
                IrTemp v1, IrTemp v2)
{
    ASSERT(c < IR_COND__COUNT);
    uint64_t args[6] = {d, a, b, v1, v2, c};
    ir_emit(f, IR_MOVCOND, t, args);
}

void ir_set_label(IrFunc *f, uint32_t label)
{
    ASSERT(label < f->nlabels);
    uint64_t args[1] = {label};
    ir_emit(f, IR_SET_LABEL, IR_I64, args);
}

void ir_br(IrFunc *f, uint32_t label)
{
    ASSERT(label < f->nlabels);
    uint64_t args[1] = {label};
    ir_emit(f, IR_BR, IR_I64, args);
}

void ir_brcond(IrFunc *f, IrType t, IrCond c, IrTemp a, IrTemp b,
               uint32_t label)
{
    ASSERT(c < IR_COND__COUNT && label < f->nlabels);
    uint64_t args[4] = {a, b, c, label};
    ir_emit(f, IR_BRCOND, t, args);
}

void ir_ld(IrFunc *f, IrType t, IrTemp d, int32_t env_off, uint32_t memop)
{
    uint64_t args[3] = {d, (uint64_t)(int64_t)env_off, memop};
    ir_emit(f, IR_LD, t, args);
}

void ir_st(IrFunc *f, IrType t, IrTemp v, int32_t env_off, uint32_t memop)
{
    uint64_t args[3] = {v, (uint64_t)(int64_t)env_off, memop};
    ir_emit(f, IR_ST, t, args);
}

void ir_qld(IrFunc *f, IrType t, IrTemp d, IrTemp addr, uint32_t memop)
{
    uint64_t args[3] = {d, addr, memop};
    ir_emit(f, IR_QLD, t, args);
}

void ir_qst(IrFunc *f, IrType t, IrTemp v, IrTemp addr, uint32_t memop)
{
    uint64_t args[3] = {v, addr, memop};
    ir_emit(f, IR_QST, t, args);
}

void ir_atomic_cmpxchg(IrFunc *f, IrType t, IrTemp old, IrTemp addr,
                       IrTemp cmpv, IrTemp newv, uint32_t memop)
{
    uint64_t args[5] = {old, addr, cmpv, newv, memop};
    ir_emit(f, IR_ATOMIC_CMPXCHG, t, args);
}

void ir_atomic_rmw(IrFunc *f, IrOpcode opc, IrType t, IrTemp old, IrTemp addr,
                   IrTemp val, uint32_t memop)
{
    ASSERT(opc == IR_ATOMIC_XCHG || opc == IR_ATOMIC_ADD ||
           opc == IR_ATOMIC_AND || opc == IR_ATOMIC_OR || opc == IR_ATOMIC_XOR);
    uint64_t args[4] = {old, addr, val, memop};
    ir_emit(f, opc, t, args);
}

static uint16_t ir_call_flags(const IrHelper *h)
{
    uint16_t fl = 0;
    if (!(h->flags & IRH_PURE)) {
        fl |= IRF_SIDE;
    }
    if (h->flags & IRH_RAISE) {
        fl |= IRF_RAISE | IRF_SIDE;
    }
    if (h->flags & IRH_RD_GLOB) {
        fl |= IRF_RD_GLOB;
    }
    if (h->flags & IRH_WR_GLOB) {
        fl |= IRF_WR_GLOB | IRF_SIDE;
    }
    return fl;
}

void ir_call(IrFunc *f, const IrHelper *h, IrTemp ret, const IrTemp *args)
{
    ASSERT(h->nargs <= IR_CALL_MAX_ARGS);
    IrOp *op = ir_op_alloc(f);
    if (!op) {
        return;
    }
    op->opc = IR_CALL;
    op->type = h->ret == IRH_RET_I32 ? IR_I32 : IR_I64;
    op->nout = h->ret != IRH_VOID;
    op->nin = h->nargs;
    op->ncon = 1;
    op->flags = ir_call_flags(h);
    unsigned k = 0;
    if (op->nout) {
        op->args[k++] = ret;
    }
    for (unsigned i = 0; i < h->nargs; i++) {
        op->args[k++] = args[i];
    }
    op->args[k] = (uint64_t)(uintptr_t)h;
    if (!f->overflow) {
        ir_check_types(f, op);
    }
}

void ir_insn_start(IrFunc *f, uint64_t pc, uint64_t w1, uint64_t w2)
{
    uint64_t args[3] = {pc, w1, w2};
    if (ir_emit(f, IR_INSN_START, IR_I64, args)) {
        f->ninsns++;
    }
}

void ir_goto_tb(IrFunc *f, unsigned n)
{
    ASSERT(n < 2);
    uint64_t args[1] = {n};
    ir_emit(f, IR_GOTO_TB, IR_I64, args);
}

void ir_goto_ptr(IrFunc *f, IrTemp pc)
{
    uint64_t args[1] = {pc};
    ir_emit(f, IR_GOTO_PTR, IR_I64, args);
}

void ir_exit_tb(IrFunc *f, IrExit reason)
{
    ASSERT(reason < IR_EXIT__COUNT);
    uint64_t args[1] = {reason};
    ir_emit(f, IR_EXIT_TB, IR_I64, args);
}

void ir_compact(IrFunc *f)
{
    uint32_t j = 0;
    for (uint32_t i = 0; i < f->nops; i++) {
        if (f->ops[i].opc != IR_NOP) {
            if (i != j) {
                f->ops[j] = f->ops[i];
            }
            j++;
        }
    }
    f->nops = j;
}
