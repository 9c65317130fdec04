/*
 * src/tcg/opt.c: the IR optimizer.
 *
 * Forward pass: copy and constant propagation (knowledge is dropped at
 * labels that are branched to, and for globals at calls that write them),
 * constant folding through ir_eval() (the interpreter's definition),
 * algebraic simplification (x+0, x&0, x^x, ...), branch folding and removal
 * of unreachable code after unconditional exits, and known-zero bits: per
 * temp a mask of the bits that may be nonzero (dropped like the copies),
 * which turns redundant zero/sign extensions and masks into moves.
 * Backward pass (liveness):
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
    uint64_t *zm;   /* bits of each temp's value that may be nonzero */
    uint32_t *refs; /* branches to each label */
    uint32_t cap;
} Opt;

static uint64_t opt_type_mask(IrType t)
{
    return t == IR_I32 ? 0xffffffffull : ~0ull;
}

static uint64_t opt_temp_mask(const Opt *o, IrTemp t)
{
    return opt_type_mask((IrType)o->f->temps[t].type);
}

static void opt_forget_all(Opt *o)
{
    for (uint32_t t = 0; t < o->cap; t++) {
        o->copy[t] = t;
        o->copied[t] = false;
        o->zm[t] = t < o->f->ntemps ? opt_temp_mask(o, t) : ~0ull;
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
        o->zm[g] = opt_temp_mask(o, g);
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

/* known-zero bits */

static uint64_t opt_zm(const Opt *o, IrTemp t)
{
    return ir_temp_is_const(o->f, t) ? o->f->temps[t].val : o->zm[t];
}

static uint64_t opt_low_mask(unsigned bits)
{
    return bits >= 64 ? ~0ull : (1ull << bits) - 1;
}

/* mask of a value sign-extended from its low `bits` bits */
static uint64_t opt_sext_mask(uint64_t m, unsigned bits)
{
    uint64_t low = opt_low_mask(bits);
    if (bits < 64 && (m & (1ull << (bits - 1)))) {
        return (m & low) | ~low;
    }
    return m & low;
}

static uint64_t opt_memop_mask(uint32_t mo)
{
    if ((mo & IR_MO_SIGN) || (mo & IR_MO_SIZE) == IR_MO_64) {
        return ~0ull;
    }
    return opt_low_mask(8u * IR_MO_BYTES(mo));
}

/* a + b: at most one bit above the highest possibly-set bit */
static uint64_t opt_add_mask(uint64_t m)
{
    if (!m) {
        return 0;
    }
    return opt_low_mask(64u - (unsigned)__builtin_clzll(m) + 1);
}

static uint64_t opt_shift_mask(const IrOp *op, uint64_t m, uint64_t count)
{
    unsigned w = op->type == IR_I32 ? 32 : 64;
    unsigned c = (unsigned)(count & (w - 1));
    uint64_t tm = opt_low_mask(w);
    switch ((int)op->opc) {
    case IR_SHL:
        return (m << c) & tm;
    case IR_SHR:
        return m >> c;
    case IR_SAR:
        return (uint64_t)((int64_t)opt_sext_mask(m, w) >> c) & tm;
    case IR_ROTR:
        c = (w - c) & (w - 1);
        /* fall through */
    default: /* IR_ROTL */
        return c ? ((m << c) | (m >> (w - c))) & tm : m;
    }
}

static uint64_t opt_bits_mask(const Opt *o, const IrOp *op)
{
    uint64_t a = opt_zm(o, IR_IN(op, 0));
    uint64_t pos = IR_CON(op, 0), len = opt_low_mask((unsigned)IR_CON(op, 1));
    switch ((int)op->opc) {
    case IR_DEPOSIT:
        return (a & ~(len << pos)) | ((opt_zm(o, IR_IN(op, 1)) & len) << pos);
    case IR_EXTRACT:
        return (a >> pos) & len;
    default: /* IR_SEXTRACT */
        return opt_sext_mask(a >> pos, (unsigned)IR_CON(op, 1));
    }
}

/* bits of op's single output that may be nonzero (before the type mask) */
static uint64_t opt_op_mask(const Opt *o, const IrOp *op)
{
    uint64_t a = op->nin ? opt_zm(o, IR_IN(op, 0)) : 0;
    uint64_t b = op->nin > 1 ? opt_zm(o, IR_IN(op, 1)) : 0, v;
    switch ((int)op->opc) {
    case IR_MOV:
        return op->type == IR_I32 ? a & 0xffffffffull : a;
    case IR_EXTRL:
        return a & 0xffffffffull;
    case IR_MOVI:
        return IR_CON(op, 0);
    case IR_ADD:
        return opt_add_mask(a | b);
    case IR_AND:
        return a & b;
    case IR_OR:
    case IR_XOR:
        return a | b;
    case IR_ANDC:
        return a;
    case IR_SHL:
    case IR_SHR:
    case IR_SAR:
    case IR_ROTL:
    case IR_ROTR:
        return opt_const(o, IR_IN(op, 1), &v) ? opt_shift_mask(op, a, v)
                                              : ~0ull;
    case IR_EXT8U:
        return a & 0xff;
    case IR_EXT16U:
    case IR_BSWAP16:
        return op->opc == IR_EXT16U ? a & 0xffff : 0xffff;
    case IR_EXT32U:
    case IR_BSWAP32:
        return op->opc == IR_EXT32U ? a & 0xffffffffull : 0xffffffffull;
    case IR_EXT8S:
        return opt_sext_mask(a, 8);
    case IR_EXT16S:
        return opt_sext_mask(a, 16);
    case IR_EXT32S:
        return opt_sext_mask(a, 32);
    case IR_EXTRH:
        return a >> 32;
    case IR_CLZ:
    case IR_CTZ:
    case IR_CTPOP:
        return 0x7f;
    case IR_DEPOSIT:
    case IR_EXTRACT:
    case IR_SEXTRACT:
        return opt_bits_mask(o, op);
    case IR_SETCOND:
        return 1;
    case IR_MOVCOND:
        return opt_zm(o, IR_IN(op, 2)) | opt_zm(o, IR_IN(op, 3));
    case IR_LD:
        return opt_memop_mask((uint32_t)IR_CON(op, 1));
    case IR_QLD:
    case IR_ATOMIC_CMPXCHG:
    case IR_ATOMIC_XCHG:
    case IR_ATOMIC_ADD:
    case IR_ATOMIC_AND:
    case IR_ATOMIC_OR:
    case IR_ATOMIC_XOR:
        return opt_memop_mask((uint32_t)IR_CON(op, 0));
    default:
        return ~0ull;
    }
}

static bool opt_same_type(const Opt *o, IrTemp a, IrTemp b)
{
    return o->f->temps[a].type == o->f->temps[b].type;
}

/* "d = ext a" or "d = a & c" that keeps every possibly-set bit: a move */
static bool opt_fold_mask(Opt *o, IrOp *op, IrTemp a, uint64_t keep)
{
    IrTemp d = IR_OUT(op, 0);
    if ((opt_zm(o, a) & ~keep) || !opt_same_type(o, d, a)) {
        return false;
    }
    opt_to_mov(op, d, a);
    return true;
}

static void opt_set_opc(IrOp *op, IrOpcode opc)
{
    op->opc = opc;
    op->flags = (uint16_t)ir_op_info[opc].flags;
}

/* a sign extension whose sign bit is known zero is the unsigned one */
static void opt_unsign(Opt *o, IrOp *op)
{
    static const struct {
        IrOpcode s, u;
        uint64_t sign;
    } ext[] = {{IR_EXT8S, IR_EXT8U, 0x80},
               {IR_EXT16S, IR_EXT16U, 0x8000},
               {IR_EXT32S, IR_EXT32U, 0x80000000ull}};
    for (unsigned k = 0; k < ARRAY_LEN(ext); k++) {
        if (op->opc == ext[k].s && !(opt_zm(o, IR_IN(op, 0)) & ext[k].sign)) {
            opt_set_opc(op, ext[k].u);
        }
    }
    if (op->opc == IR_SAR &&
        !(opt_zm(o, IR_IN(op, 0)) &
          (op->type == IR_I32 ? 0x80000000ull : 1ull << 63))) {
        opt_set_opc(op, IR_SHR);
    }
}

static void opt_fold_bits(Opt *o, IrOp *op)
{
    uint64_t v;
    if (op->nout != 1 || op->opc == IR_CALL || op->opc == IR_MOV) {
        return;
    }
    opt_unsign(o, op);
    switch ((int)op->opc) {
    case IR_EXT8U:
        opt_fold_mask(o, op, IR_IN(op, 0), 0xff);
        return;
    case IR_EXT16U:
        opt_fold_mask(o, op, IR_IN(op, 0), 0xffff);
        return;
    case IR_EXT32U:
        opt_fold_mask(o, op, IR_IN(op, 0), 0xffffffffull);
        return;
    case IR_EXTRACT:
        if (IR_CON(op, 0) == 0 &&
            opt_fold_mask(o, op, IR_IN(op, 0),
                          opt_low_mask((unsigned)IR_CON(op, 1)))) {
            return;
        }
        break;
    case IR_AND:
        if ((opt_const(o, IR_IN(op, 1), &v) &&
             opt_fold_mask(o, op, IR_IN(op, 0), v)) ||
            (opt_const(o, IR_IN(op, 0), &v) &&
             opt_fold_mask(o, op, IR_IN(op, 1), v))) {
            return;
        }
        break;
    default:
        break;
    }
    if (!(op->flags & IRF_SIDE) && op->opc != IR_LD &&
        !(opt_op_mask(o, op) & opt_temp_mask(o, IR_OUT(op, 0)))) {
        opt_to_movi(o, op, IR_OUT(op, 0), 0);
    }
}

/* after opt_note_outputs: m is the output mask computed before it */
static void opt_note_mask(Opt *o, const IrOp *op, uint64_t m)
{
    for (unsigned k = 0; k < op->nout; k++) {
        IrTemp d = IR_OUT(op, k);
        o->zm[d] = opt_temp_mask(o, d) & (op->nout == 1 ? m : ~0ull);
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
        if (!opt_fold_const(o, op) && !opt_fold_binary(o, op)) {
            opt_fold_bits(o, op);
        }
        uint64_t m = op->nout == 1 ? opt_op_mask(o, op) : ~0ull;
        opt_note_outputs(o, op);
        opt_note_mask(o, op, m);
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
    o.zm = xcalloc(o.cap, sizeof(*o.zm));
    o.refs = xcalloc(f->nlabels + 1, sizeof(*o.refs));
    opt_forward(&o);
    free(o.copy);
    free(o.copied);
    free(o.zm);
    free(o.refs);
    ir_compact(f);
    ir_liveness(f);
}
