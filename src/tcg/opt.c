/*
 * src/tcg/opt.c: the IR optimizer.
 *
 * Forward pass: copy and constant propagation (knowledge is dropped at
 * labels that are branched to, and for globals at calls that write them),
 * constant folding through ir_eval() (the interpreter's definition),
 * algebraic simplification (x+0, x&0, x^x, ...), branch folding and removal
 * of unreachable code after unconditional exits. Backward pass (liveness):
 * deletes ops without side effects whose outputs are dead, which also
 * removes dead stores to globals, and fills IrOp.life. Globals are live at
 * TB exits, at may-raise ops, at calls that read them and at block ends.
 */
#include <stdlib.h>
#include <string.h>

#include "tcg/ir.h"
#include "util/common.h"

typedef struct Opt {
    IrFunc *f;
    IrTemp *copy;   /* representative of each temp's value */
    bool *copied;   /* some temp is recorded as a copy of this one */
    uint32_t *refs; /* branches to each label */
    uint32_t cap;
} Opt;

static void opt_forget_all(Opt *o)
{
    for (uint32_t t = 0; t < o->cap; t++) {
        o->copy[t] = t;
        o->copied[t] = false;
    }
}

/* x is about to be written: nothing may stay a copy of it */
static void opt_kill(Opt *o, IrTemp x)
{
    if (o->copied[x]) {
        for (uint32_t t = 0; t < o->f->ntemps; t++) {
            if (o->copy[t] == x) {
                o->copy[t] = t;
            }
        }
        o->copied[x] = false;
    }
    o->copy[x] = x;
}

static void opt_forget_globals(Opt *o)
{
    for (uint32_t t = 0; t < o->f->ntemps; t++) {
        if (t < o->f->nglobals || o->copy[t] < o->f->nglobals) {
            o->copy[t] = t;
        }
    }
    for (uint32_t g = 0; g < o->f->nglobals; g++) {
        o->copied[g] = false;
    }
}

static bool opt_const(const Opt *o, IrTemp t, uint64_t *v)
{
    if (!ir_temp_is_const(o->f, t)) {
        return false;
    }
    *v = o->f->temps[t].val;
    return true;
}

/* rewrite op into "mov d, a" (a: temp) */
static void opt_to_mov(IrOp *op, IrTemp d, IrTemp a)
{
    op->opc = IR_MOV;
    op->nout = 1;
    op->nin = 1;
    op->ncon = 0;
    op->flags = 0;
    op->args[0] = d;
    op->args[1] = a;
}

static void opt_to_movi(Opt *o, IrOp *op, IrTemp d, uint64_t v)
{
    opt_to_mov(op, d, ir_const(o->f, (IrType)op->type, v));
}

static void opt_to_nop(IrOp *op)
{
    op->opc = IR_NOP;
    op->nout = op->nin = op->ncon = 0;
    op->flags = 0;
}

/* replace inputs by their representatives */
static void opt_subst_inputs(Opt *o, IrOp *op)
{
    for (unsigned k = 0; k < op->nin; k++) {
        IrTemp t = IR_IN(op, k);
        IrTemp r = o->copy[t];
        if (r != t && o->f->temps[r].type == o->f->temps[t].type) {
            op->args[op->nout + k] = r;
        }
    }
}

static bool opt_fold_const(Opt *o, IrOp *op)
{
    uint64_t in[4], out[2];
    if (op->nout != 1 || (op->flags & IRF_SIDE) || op->opc == IR_CALL ||
        op->opc == IR_MOV || op->opc == IR_LD) {
        return false;
    }
    for (unsigned k = 0; k < op->nin; k++) {
        if (!opt_const(o, IR_IN(op, k), &in[k])) {
            return false;
        }
    }
    if (!ir_eval((IrOpcode)op->opc, (IrType)op->type, in,
                 &op->args[op->nout + op->nin], out)) {
        return false;
    }
    opt_to_movi(o, op, IR_OUT(op, 0), out[0]);
    return true;
}

/* identities with one constant operand b (after commuting) */
static bool opt_fold_identity(Opt *o, IrOp *op, IrTemp d, IrTemp a, uint64_t b)
{
    uint64_t ones = op->type == IR_I32 ? 0xffffffffull : ~0ull;
    switch ((int)op->opc) {
    case IR_ADD:
    case IR_SUB:
    case IR_OR:
    case IR_XOR:
    case IR_SHL:
    case IR_SHR:
    case IR_SAR:
    case IR_ROTL:
    case IR_ROTR:
    case IR_ANDC:
        if (b == 0) {
            opt_to_mov(op, d, a);
            return true;
        }
        if (op->opc == IR_OR && b == ones) {
            opt_to_movi(o, op, d, ones);
            return true;
        }
        return false;
    case IR_AND:
        if (b == ones) {
            opt_to_mov(op, d, a);
            return true;
        }
        /* fall through */
    case IR_MUL:
        if (b == 0) {
            opt_to_movi(o, op, d, 0);
            return true;
        }
        if (op->opc == IR_MUL && b == 1) {
            opt_to_mov(op, d, a);
            return true;
        }
        return false;
    default:
        return false;
    }
}

static bool opt_fold_binary(Opt *o, IrOp *op)
{
    if (op->nout != 1 || op->nin != 2 || op->ncon != 0 ||
        (op->flags & IRF_SIDE) || op->opc == IR_CALL) {
        return false;
    }
    IrTemp d = IR_OUT(op, 0), a = IR_IN(op, 0), b = IR_IN(op, 1);
    uint64_t v;
    if ((op->flags & IRF_COMMUTE) && ir_temp_is_const(o->f, a) &&
        !ir_temp_is_const(o->f, b)) {
        op->args[1] = b;
        op->args[2] = a;
        a = IR_IN(op, 0);
        b = IR_IN(op, 1);
    }
    if (opt_const(o, b, &v) && opt_fold_identity(o, op, d, a, v)) {
        return true;
    }
    if (a != b) {
        return false;
    }
    switch ((int)op->opc) {
    case IR_SUB:
    case IR_XOR:
    case IR_ANDC:
        opt_to_movi(o, op, d, 0);
        return true;
    case IR_AND:
    case IR_OR:
        opt_to_mov(op, d, a);
        return true;
    default:
        return false;
    }
}

static void opt_fold_brcond(Opt *o, IrOp *op)
{
    uint64_t a, b;
    if (!opt_const(o, IR_IN(op, 0), &a) || !opt_const(o, IR_IN(op, 1), &b)) {
        return;
    }
    uint32_t label = (uint32_t)IR_CON(op, 1);
    if (ir_cond_eval((IrCond)IR_CON(op, 0), (IrType)op->type, a, b)) {
        op->opc = IR_BR;
        op->nin = 0;
        op->ncon = 1;
        op->flags = ir_op_info[IR_BR].flags;
        op->args[0] = label;
    } else {
        o->refs[label]--;
        opt_to_nop(op);
    }
}

static void opt_fold_movcond(Opt *o, IrOp *op)
{
    uint64_t a, b;
    if (opt_const(o, IR_IN(op, 0), &a) && opt_const(o, IR_IN(op, 1), &b)) {
        bool c = ir_cond_eval((IrCond)IR_CON(op, 0), (IrType)op->type, a, b);
        opt_to_mov(op, IR_OUT(op, 0), c ? IR_IN(op, 2) : IR_IN(op, 3));
    } else if (IR_IN(op, 2) == IR_IN(op, 3)) {
        opt_to_mov(op, IR_OUT(op, 0), IR_IN(op, 2));
    }
}

/* record what the (possibly rewritten) op did to its outputs */
static void opt_note_outputs(Opt *o, IrOp *op)
{
    for (unsigned k = 0; k < op->nout; k++) {
        opt_kill(o, IR_OUT(op, k));
    }
    if (op->flags & IRF_WR_GLOB) {
        opt_forget_globals(o);
    }
    if (op->opc == IR_MOV) {
        IrTemp d = IR_OUT(op, 0), a = IR_IN(op, 0);
        if (d == a) {
            opt_to_nop(op);
        } else if (o->f->temps[d].type == o->f->temps[a].type) {
            o->copy[d] = a;
            o->copied[a] = true;
        }
    }
}

static void opt_count_refs(Opt *o)
{
    memset(o->refs, 0, o->f->nlabels * sizeof(*o->refs));
    for (uint32_t i = 0; i < o->f->nops; i++) {
        const IrOp *op = &o->f->ops[i];
        if (op->opc == IR_BR) {
            o->refs[IR_CON(op, 0)]++;
        } else if (op->opc == IR_BRCOND) {
            o->refs[IR_CON(op, 1)]++;
        }
    }
}

static bool opt_ends_flow(const IrOp *op)
{
    return op->opc == IR_BR || op->opc == IR_EXIT_TB || op->opc == IR_GOTO_PTR;
}

static void opt_forward(Opt *o)
{
    IrFunc *f = o->f;
    bool unreachable = false;
    opt_count_refs(o);
    opt_forget_all(o);
    for (uint32_t i = 0; i < f->nops; i++) {
        IrOp *op = &f->ops[i];
        if (op->opc == IR_SET_LABEL) {
            if (!o->refs[IR_CON(op, 0)]) {
                opt_to_nop(op); /* nobody jumps here: keep what we know */
                continue;
            }
            unreachable = false;
            opt_forget_all(o);
            continue;
        }
        if (unreachable) {
            if (op->opc == IR_BR || op->opc == IR_BRCOND) {
                o->refs[IR_CON(op, op->ncon - 1)]--;
            }
            opt_to_nop(op);
            continue;
        }
        opt_subst_inputs(o, op);
        if (op->opc == IR_BRCOND) {
            opt_fold_brcond(o, op);
        } else if (op->opc == IR_MOVCOND) {
            opt_fold_movcond(o, op);
        }
        if (!opt_fold_const(o, op)) {
            opt_fold_binary(o, op);
        }
        opt_note_outputs(o, op);
        unreachable = opt_ends_flow(op);
    }
}

/* liveness */

typedef struct Live {
    IrFunc *f;
    bool *live;
    bool *xblock; /* locals used in more than one basic block */
} Live;

static void live_find_xblock(Live *l)
{
    IrFunc *f = l->f;
    uint32_t *bb = xcalloc(f->ntemps, sizeof(*bb)); /* 0 = unseen */
    uint32_t cur = 1;
    for (uint32_t i = 0; i < f->nops; i++) {
        const IrOp *op = &f->ops[i];
        if (op->opc == IR_SET_LABEL) {
            cur++;
        }
        unsigned n = op->nout + op->nin;
        for (unsigned k = 0; k < n; k++) {
            IrTemp t = (IrTemp)op->args[k];
            if (bb[t] && bb[t] != cur) {
                l->xblock[t] = true;
            }
            bb[t] = cur;
        }
        if (op->flags & IRF_BB_END) {
            cur++;
        }
    }
    free(bb);
}

static void live_globals(Live *l)
{
    for (uint32_t g = 0; g < l->f->nglobals; g++) {
        l->live[g] = true;
    }
}

static void live_block_end(Live *l)
{
    live_globals(l);
    for (uint32_t t = l->f->nglobals; t < l->f->ntemps; t++) {
        if (l->xblock[t]) {
            l->live[t] = true;
        }
    }
}

/* one op, backwards; returns false if the op is dead */
static bool live_op(Live *l, IrOp *op)
{
    if (op->flags & IRF_BB_END) {
        live_block_end(l);
    }
    if (!(op->flags & IRF_SIDE) && op->nout) {
        bool any = false;
        for (unsigned k = 0; k < op->nout; k++) {
            any |= l->live[IR_OUT(op, k)];
        }
        if (!any) {
            return false;
        }
    }
    op->life = 0;
    for (unsigned k = 0; k < op->nout; k++) {
        if (!l->live[IR_OUT(op, k)]) {
            op->life |= IR_LIFE_DEAD(k);
        }
        l->live[IR_OUT(op, k)] = false;
    }
    for (unsigned k = 0; k < op->nin; k++) {
        IrTemp t = IR_IN(op, k);
        if (!l->live[t]) {
            op->life |= IR_LIFE_DEAD(op->nout + k);
        }
        l->live[t] = !ir_temp_is_const(l->f, t);
    }
    if (op->flags & (IRF_RAISE | IRF_RD_GLOB | IRF_WR_GLOB)) {
        live_globals(l);
    }
    return true;
}

void ir_liveness(IrFunc *f)
{
    Live l = {.f = f};
    l.live = xcalloc(f->ntemps, sizeof(bool));
    l.xblock = xcalloc(f->ntemps, sizeof(bool));
    live_find_xblock(&l);
    live_block_end(&l);
    for (uint32_t i = f->nops; i-- > 0;) {
        IrOp *op = &f->ops[i];
        if (op->opc != IR_NOP && !live_op(&l, op)) {
            opt_to_nop(op);
        }
    }
    free(l.live);
    free(l.xblock);
    ir_compact(f);
}

void ir_optimize(IrFunc *f)
{
    Opt o = {.f = f};
    /* folding may add one constant per op */
    o.cap = f->ntemps + f->nops + 1;
    o.copy = xcalloc(o.cap, sizeof(*o.copy));
    o.copied = xcalloc(o.cap, sizeof(*o.copied));
    o.refs = xcalloc(f->nlabels + 1, sizeof(*o.refs));
    opt_forward(&o);
    free(o.copy);
    free(o.copied);
    free(o.refs);
    ir_compact(f);
    ir_liveness(f);
}
