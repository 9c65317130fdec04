/*
 * src/tcg/interp.c: the IR interpreter backend (-accel tcg,backend=interp).
 *
 * gen_code() copies the optimized IR into the code buffer as an InterpCode
 * block (temps, label positions, ops), so TBs, chaining, flushes and the
 * precise-state side table work exactly as for the JIT: the "return
 * address" of a raising op is its address in the buffer. exec() runs TBs,
 * following chained goto_tb slots and jump-cache hits itself. Globals live
 * in env (nothing is cached), and guest memory goes through the same
 * TlbFast tables and slow helpers as generated code.
 */
#include <string.h>

#include "tcg/tcg_int.h"

typedef struct InterpTemp {
    uint8_t kind, type;
    uint16_t pad;
    int32_t env_off;
    uint64_t val;
} InterpTemp;

typedef struct InterpCode {
    uint32_t nops, ntemps, nlabels, pad;
    /* followed by InterpTemp[ntemps], uint32_t[nlabels] (padded), IrOp[] */
} InterpCode;

typedef struct Interp {
    TcgCtx *s;
    void *env;
    Tb *tb;
    const InterpCode *code;
    const InterpTemp *temps;
    const uint32_t *labels;
    const IrOp *ops;
    uint64_t *vals;
} Interp;

static size_t interp_labels_off(uint32_t ntemps)
{
    return sizeof(InterpCode) + ntemps * sizeof(InterpTemp);
}

static size_t interp_ops_off(uint32_t ntemps, uint32_t nlabels)
{
    return ALIGN_UP(interp_labels_off(ntemps) + nlabels * 4, (size_t)16);
}

static void interp_view(Interp *in, const uint8_t *code)
{
    in->code = (const InterpCode *)code;
    in->temps = (const InterpTemp *)(code + sizeof(InterpCode));
    in->labels = (const uint32_t *)(code + interp_labels_off(in->code->ntemps));
    in->ops = (const IrOp *)(code + interp_ops_off(in->code->ntemps,
                                                   in->code->nlabels));
}

static void interp_write_temps(uint8_t *rw, const IrFunc *f)
{
    InterpTemp *t = (InterpTemp *)(rw + sizeof(InterpCode));
    for (uint32_t i = 0; i < f->ntemps; i++) {
        t[i].kind = f->temps[i].kind;
        t[i].type = f->temps[i].type;
        t[i].pad = 0;
        t[i].env_off = f->temps[i].env_off;
        t[i].val = f->temps[i].val;
    }
}

/* copy ops, record labels, goto_tb slots and raise points */
static void interp_write_ops(Tb *tb, uint8_t *rw, const IrFunc *f)
{
    const InterpCode *hdr = (const InterpCode *)rw;
    uint32_t *labels = (uint32_t *)(rw + interp_labels_off(hdr->ntemps));
    size_t ops_off = interp_ops_off(hdr->ntemps, hdr->nlabels);
    IrOp *ops = (IrOp *)(rw + ops_off);
    memset(labels, 0xff, hdr->nlabels * 4);
    int insn = -1;
    for (uint32_t i = 0; i < f->nops; i++) {
        const IrOp *op = &f->ops[i];
        uint32_t off = (uint32_t)(ops_off + i * sizeof(IrOp));
        ops[i] = *op;
        switch ((int)op->opc) {
        case IR_INSN_START:
            insn++;
            break;
        case IR_SET_LABEL:
            labels[IR_CON(op, 0)] = i;
            break;
        case IR_GOTO_TB:
            tb->jmp_insn_off[IR_CON(op, 0)] = off;
            tb->jmp_reset_off[IR_CON(op, 0)] = off + sizeof(IrOp);
            break;
        default:
            break;
        }
        if (op->flags & IRF_RAISE) {
            tb_raise_point_add(tb, off, insn < 0 ? 0 : (uint32_t)insn);
        }
    }
}

static int interp_gen_code(TcgCtx *s, Tb *tb, const IrFunc *f, uint8_t *rw,
                           const uint8_t *rx, size_t avail)
{
    size_t size =
        interp_ops_off(f->ntemps, f->nlabels) + (size_t)f->nops * sizeof(IrOp);
    if (size > avail) {
        return -1;
    }
    InterpCode *hdr = (InterpCode *)rw;
    hdr->nops = f->nops;
    hdr->ntemps = f->ntemps;
    hdr->nlabels = f->nlabels;
    hdr->pad = 0;
    interp_write_temps(rw, f);
    interp_write_ops(tb, rw, f);
    return (int)size;
}

static int interp_emit_prologue(TcgCtx *s, uint8_t *rw, const uint8_t *rx,
                                size_t avail)
{
    return 0;
}

static void interp_set_jmp(TcgCtx *s, Tb *tb, int n, const Tb *dest)
{
    /* exec() reads tb->jmp_dest[] directly */
}

/* temps */

static uint64_t interp_get(const Interp *in, IrTemp t)
{
    const InterpTemp *ti = &in->temps[t];
    switch ((IrTempKind)ti->kind) {
    case IR_TEMP_LOCAL:
        return in->vals[t];
    case IR_TEMP_CONST:
        return ti->val;
    case IR_TEMP_GLOBAL:
        break;
    }
    const char *p = (const char *)in->env + ti->env_off;
    if (ti->type == IR_I32) {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void interp_set(Interp *in, IrTemp t, uint64_t v)
{
    const InterpTemp *ti = &in->temps[t];
    if (ti->type == IR_I32) {
        v = (uint32_t)v;
    }
    if (ti->kind != IR_TEMP_GLOBAL) {
        in->vals[t] = v;
        return;
    }
    char *p = (char *)in->env + ti->env_off;
    memcpy(p, &v, ti->type == IR_I32 ? 4 : 8);
}

/* memory */

static uint64_t interp_extend(uint64_t v, uint32_t mo, IrType t)
{
    unsigned bits = 8u << (mo & IR_MO_SIZE);
    v &= MASK(bits);
    if ((mo & IR_MO_SIGN) && bits < 64) {
        v = (uint64_t)((int64_t)(v << (64 - bits)) >> (64 - bits));
    }
    return t == IR_I32 ? (uint32_t)v : v;
}

static uint64_t interp_env_ld(const Interp *in, const IrOp *op)
{
    uint32_t mo = (uint32_t)IR_CON(op, 1);
    uint64_t v = 0;
    memcpy(&v, (const char *)in->env + (int32_t)IR_CON(op, 0), IR_MO_BYTES(mo));
    return interp_extend(v, mo, (IrType)op->type);
}

static void interp_env_st(Interp *in, const IrOp *op)
{
    uint32_t mo = (uint32_t)IR_CON(op, 1);
    uint64_t v = interp_get(in, IR_IN(op, 0));
    memcpy((char *)in->env + (int32_t)IR_CON(op, 0), &v, IR_MO_BYTES(mo));
}

static uintptr_t interp_ra(const Interp *in, const IrOp *op)
{
    uintptr_t ra = (uintptr_t)op;
    TcgCpu *cpu = tcg_current_cpu();
    if (cpu) {
        cpu->interp_ra = ra;
    }
    return ra;
}

/* host address on a TLB hit, else NULL */
static void *interp_tlb(const Interp *in, uint64_t addr, uint32_t mo,
                        bool write)
{
    unsigned idx = IR_MO_GET_MMU(mo);
    ASSERT(idx < in->s->cfg.nb_mmu);
    const TlbFast *f =
        (const TlbFast *)((const char *)in->env + in->s->cfg.tlb_fast_off) +
        idx;
    const TlbEntry *e = tcg_tlb_entry(f, addr);
    uint64_t cmp = tcg_tlb_cmp(addr, IR_MO_BYTES(mo));
    if (cmp != (write ? e->addr_write : e->addr_read)) {
        return NULL;
    }
    return (void *)(uintptr_t)(addr + e->addend);
}

static uint64_t interp_qld(Interp *in, const IrOp *op, uint64_t addr)
{
    uint32_t mo = (uint32_t)IR_CON(op, 0);
    void *host = interp_tlb(in, addr, mo, false);
    uint64_t v = 0;
    if (host) {
        memcpy(&v, host, IR_MO_BYTES(mo));
    } else {
        in->s->stats.slow_paths++;
        v = in->s->cfg.ld_slow(in->env, addr, mo, interp_ra(in, op));
    }
    return interp_extend(v, mo, (IrType)op->type);
}

static void interp_qst(Interp *in, const IrOp *op, uint64_t addr, uint64_t v)
{
    uint32_t mo = (uint32_t)IR_CON(op, 0);
    void *host = interp_tlb(in, addr, mo, true);
    if (host) {
        memcpy(host, &v, IR_MO_BYTES(mo));
    } else {
        in->s->stats.slow_paths++;
        in->s->cfg.st_slow(in->env, addr, v & MASK(8u << (mo & IR_MO_SIZE)), mo,
                           interp_ra(in, op));
    }
}

static uint64_t interp_rmw_value(IrOpcode opc, uint64_t old, uint64_t b)
{
    switch ((int)opc) {
    case IR_ATOMIC_ADD:
        return old + b;
    case IR_ATOMIC_AND:
        return old & b;
    case IR_ATOMIC_OR:
        return old | b;
    case IR_ATOMIC_XOR:
        return old ^ b;
    default: /* IR_ATOMIC_XCHG */
        return b;
    }
}

/* atomic read-modify-write on host memory, by size */
#define INTERP_ATOMIC(T, p, opc, b, c, out)                                    \
    do {                                                                       \
        T *q = (T *)(p), o = __atomic_load_n(q, __ATOMIC_SEQ_CST), n;          \
        do {                                                                   \
            if ((opc) == IR_ATOMIC_CMPXCHG) {                                  \
                n = o == (T)(b) ? (T)(c) : o;                                  \
            } else {                                                           \
                n = (T)interp_rmw_value(opc, o, b);                            \
            }                                                                  \
        } while (!__atomic_compare_exchange_n(                                 \
            q, &o, n, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));             \
        (out) = o;                                                             \
    } while (0)

static uint64_t interp_atomic(Interp *in, const IrOp *op)
{
    IrOpcode opc = (IrOpcode)op->opc;
    uint32_t mo = (uint32_t)IR_CON(op, 0);
    uint64_t addr = interp_get(in, IR_IN(op, 0));
    uint64_t b = interp_get(in, IR_IN(op, 1));
    uint64_t c = opc == IR_ATOMIC_CMPXCHG ? interp_get(in, IR_IN(op, 2)) : 0;
    uint64_t m = MASK(8u << (mo & IR_MO_SIZE)), old;
    void *host = interp_tlb(in, addr, mo, true);
    if (!host) { /* MMIO or miss: load then store through the slow paths */
        in->s->stats.slow_paths++;
        uintptr_t ra = interp_ra(in, op);
        if (in->s->cfg.atomic_begin) {
            in->s->cfg.atomic_begin(in->env);
        }
        old = in->s->cfg.ld_slow(in->env, addr,
                                 (mo & ~IR_MO_SIGN) | IR_MO_WRITE, ra) &
              m;
        bool wr = opc != IR_ATOMIC_CMPXCHG || old == (b & m);
        uint64_t n =
            opc == IR_ATOMIC_CMPXCHG ? c : interp_rmw_value(opc, old, b);
        if (wr) {
            in->s->cfg.st_slow(in->env, addr, n & m, mo, ra);
        }
        if (in->s->cfg.atomic_end) {
            in->s->cfg.atomic_end(in->env);
        }
    } else {
        switch (mo & IR_MO_SIZE) {
        case IR_MO_8:
            INTERP_ATOMIC(uint8_t, host, opc, b, c, old);
            break;
        case IR_MO_16:
            INTERP_ATOMIC(uint16_t, host, opc, b, c, old);
            break;
        case IR_MO_32:
            INTERP_ATOMIC(uint32_t, host, opc, b, c, old);
            break;
        default:
            INTERP_ATOMIC(uint64_t, host, opc, b, c, old);
            break;
        }
    }
    return interp_extend(old, mo, (IrType)op->type);
}

typedef uint64_t InterpHelperFn(uint64_t, uint64_t, uint64_t, uint64_t,
                                uint64_t, uint64_t);

static void interp_call(Interp *in, const IrOp *op)
{
    const IrHelper *h = (const IrHelper *)(uintptr_t)IR_CON(op, 0);
    uint64_t a[6] = {0};
    unsigned k = 0;
    if (h->flags & IRH_ENV) {
        a[k++] = (uintptr_t)in->env;
    }
    for (unsigned i = 0; i < op->nin; i++) {
        a[k++] = interp_get(in, IR_IN(op, i));
    }
    if (op->flags & IRF_RAISE) {
        interp_ra(in, op);
    }
    in->s->stats.helper_calls++;
    uint64_t r = ((InterpHelperFn *)h->fn)(a[0], a[1], a[2], a[3], a[4], a[5]);
    if (op->nout) {
        interp_set(in, IR_OUT(op, 0), r);
    }
}

/* GOTO_PTR: the inline jump-cache probe */
static Tb *interp_jc_probe(Interp *in, uint64_t pc)
{
    TcgJcRef jc;
    memcpy(&jc, (char *)in->env + in->s->cfg.jc_off, sizeof(jc));
    const TcgJcEntry *e = &jc.entries[tcg_jc_hash(pc)];
    if (e->gen == jc.gen && e->pc == pc && e->cs_base == in->tb->cs_base &&
        e->flags == in->tb->flags) {
        in->s->stats.jc_inline_hit++;
        return e->tb;
    }
    return NULL;
}

/* ALU ops: evaluate through ir_eval, the definition the optimizer uses */
static void interp_alu(Interp *in, const IrOp *op)
{
    uint64_t iv[4], out[2];
    for (unsigned k = 0; k < op->nin; k++) {
        iv[k] = interp_get(in, IR_IN(op, k));
    }
    bool ok = ir_eval((IrOpcode)op->opc, (IrType)op->type, iv,
                      &op->args[op->nout + op->nin], out);
    ASSERT(ok);
    for (unsigned k = 0; k < op->nout; k++) {
        interp_set(in, IR_OUT(op, k), out[k]);
    }
}

/*
 * Run one TB from op 0. Returns 0 and sets *next to continue in another TB
 * (chained goto_tb or jump-cache hit), else the exit value.
 */
static TcgExitVal interp_run(Interp *in, Tb **next)
{
    uint32_t pc = 0, n = in->code->nops;
    while (pc < n) {
        const IrOp *op = &in->ops[pc++];
        switch ((IrOpcode)op->opc) {
        case IR_NOP:
        case IR_SET_LABEL:
        case IR_INSN_START:
            break;
        case IR_MOV:
        case IR_MOVI:
        case IR_ADD:
        case IR_SUB:
        case IR_NEG:
        case IR_AND:
        case IR_OR:
        case IR_XOR:
        case IR_NOT:
        case IR_ANDC:
        case IR_SHL:
        case IR_SHR:
        case IR_SAR:
        case IR_ROTL:
        case IR_ROTR:
        case IR_MUL:
        case IR_MULSH:
        case IR_MULUH:
        case IR_MULS2:
        case IR_MULU2:
        case IR_EXT8S:
        case IR_EXT8U:
        case IR_EXT16S:
        case IR_EXT16U:
        case IR_EXT32S:
        case IR_EXT32U:
        case IR_EXTRL:
        case IR_EXTRH:
        case IR_BSWAP16:
        case IR_BSWAP32:
        case IR_BSWAP64:
        case IR_CLZ:
        case IR_CTZ:
        case IR_CTPOP:
        case IR_DEPOSIT:
        case IR_EXTRACT:
        case IR_SEXTRACT:
        case IR_SETCOND:
        case IR_MOVCOND:
            interp_alu(in, op);
            break;
        case IR_BR:
            pc = in->labels[IR_CON(op, 0)];
            break;
        case IR_BRCOND:
            if (ir_cond_eval((IrCond)IR_CON(op, 0), (IrType)op->type,
                             interp_get(in, IR_IN(op, 0)),
                             interp_get(in, IR_IN(op, 1)))) {
                pc = in->labels[IR_CON(op, 1)];
            }
            break;
        case IR_LD:
            interp_set(in, IR_OUT(op, 0), interp_env_ld(in, op));
            break;
        case IR_ST:
            interp_env_st(in, op);
            break;
        case IR_QLD:
            interp_set(in, IR_OUT(op, 0),
                       interp_qld(in, op, interp_get(in, IR_IN(op, 0))));
            break;
        case IR_QST:
            interp_qst(in, op, interp_get(in, IR_IN(op, 1)),
                       interp_get(in, IR_IN(op, 0)));
            break;
        case IR_ATOMIC_CMPXCHG:
        case IR_ATOMIC_XCHG:
        case IR_ATOMIC_ADD:
        case IR_ATOMIC_AND:
        case IR_ATOMIC_OR:
        case IR_ATOMIC_XOR:
            interp_set(in, IR_OUT(op, 0), interp_atomic(in, op));
            break;
        case IR_CALL:
            interp_call(in, op);
            break;
        case IR_GOTO_TB:
            *next = in->tb->jmp_dest[IR_CON(op, 0)];
            if (*next) {
                return 0;
            }
            break;
        case IR_GOTO_PTR:
            *next = interp_jc_probe(in, interp_get(in, IR_IN(op, 0)));
            return *next ? 0 : (TcgExitVal)in->tb | IR_EXIT_LOOKUP;
        case IR_EXIT_TB:
            return (TcgExitVal)in->tb | (TcgExitVal)IR_CON(op, 0);
        case IR__COUNT:
            ASSERT(0);
            break;
        }
    }
    ASSERT(0); /* the front end ends every TB with an exit */
    return 0;
}

static TcgExitVal interp_exec(TcgCtx *s, void *env, Tb *tb)
{
    uint64_t vals[IR_MAX_TEMPS];
    Interp in = {.s = s, .env = env, .vals = vals};
    for (;;) {
        const int32_t *req =
            (const int32_t *)((char *)env + s->cfg.exit_request_off);
        if (__atomic_load_n(req, __ATOMIC_RELAXED) < 0) {
            return (TcgExitVal)tb | IR_EXIT_REQUEST;
        }
        Tb *next = NULL;
        in.tb = tb;
        interp_view(&in, tb->code);
        TcgExitVal v = interp_run(&in, &next);
        if (v) {
            return v;
        }
        tb = next;
    }
}

const TcgBackend tcg_backend_interp = {
    .name = "interp",
    .emit_prologue = interp_emit_prologue,
    .gen_code = interp_gen_code,
    .exec = interp_exec,
    .set_jmp = interp_set_jmp,
};
