/*
 * src/tcg/x86_64/x64_backend.c: the x86-64 JIT (TcgBackend tcg_backend_x64).
 *
 * Register convention: rbp = env, r11 = scratch, rsp = a fixed frame (stub
 * register saves, spill slots; 16-byte aligned at every call). The prologue
 * pushes the callee-saved registers, loads the pinned globals and jumps to
 * the TB; TB exits put the TcgExitVal in rax and jump to the epilogue,
 * which stores the pinned globals and returns to exec(). GOTO_TB is a
 * `jmp rel32` with a 4-byte aligned displacement, rewritten atomically by
 * set_jmp(); unchained it jumps to the next instruction. Every may-raise
 * call or slow path adds a raise point (return address -> insn index).
 */
#include <cpuid.h>
#include <stdlib.h>
#include <string.h>

#include "tcg/x86_64/x64_disas.h"
#include "tcg/x86_64/x64_int.h"
#include "util/log.h"

/* host registers a global may be pinned to (see NOTES-x64.md) */
#define X64_PINNABLE                                                           \
    (BIT(X64_RBX) | BIT(X64_RSI) | BIT(X64_RDI) | BIT(X64_R8) | BIT(X64_R9) |  \
     BIT(X64_R10) | BIT(X64_R12) | BIT(X64_R13) | BIT(X64_R14) | BIT(X64_R15))
#define X64_MAX_PINNED 8

static const int x64_saved_regs[] = {X64_RBP, X64_RBX, X64_R12,
                                     X64_R13, X64_R14, X64_R15};

static X64Data *x64_data(TcgCtx *s)
{
    return tcg_backend_data(s);
}

static void x64_detect(X64Data *d)
{
    unsigned a, b, c, dx;
    if (__get_cpuid(1, &a, &b, &c, &dx)) {
        d->has_popcnt = (c >> 23) & 1;
    }
    if (__get_cpuid(0x80000001, &a, &b, &c, &dx)) {
        d->has_lzcnt = (c >> 5) & 1;
    }
    if (__get_cpuid_count(7, 0, &a, &b, &c, &dx)) {
        d->has_bmi1 = (b >> 3) & 1;
    }
}

static void x64_init(TcgCtx *s)
{
    X64Data *d = xzalloc(sizeof(*d));
    x64_detect(d);
    tcg_set_backend_data(s, d);
}

static void x64_fini(TcgCtx *s)
{
    free(x64_data(s));
    tcg_set_backend_data(s, NULL);
}

/*
 * prologue: push; mov rbp, rdi; mov r11, rsi; sub rsp, frame; load pinned;
 * jmp r11 (rsi may itself be a pinned register)
 */
static void x64_emit_prologue_body(X64Data *d, X64Asm *a)
{
    for (size_t i = 0; i < ARRAY_LEN(x64_saved_regs); i++) {
        x64_push(a, x64_saved_regs[i]);
    }
    x64_mov_rr(a, X64_S64, RA_ENV, X64_RDI);
    x64_mov_rr(a, X64_S64, RA_SCRATCH, X64_RSI);
    x64_alu_ri(a, X64_ALU_SUB, X64_S64, X64_RSP, RA_FRAME_SIZE);
    for (int r = 0; r < 16; r++) {
        if (d->pinned & BIT(r)) {
            x64_ld(a, d->pin_is64[r] ? X64_S64 : X64_S32, false, r, RA_ENV,
                   d->pin_off[r]);
        }
    }
    x64_jmp_reg(a, RA_SCRATCH);
    /* epilogue: store pinned; add rsp, frame; pop; ret (rax = exit value) */
    d->epilogue = a->exec + x64_pos(a);
    for (int r = 0; r < 16; r++) {
        if (d->pinned & BIT(r)) {
            x64_st(a, d->pin_is64[r] ? X64_S64 : X64_S32, r, RA_ENV,
                   d->pin_off[r]);
        }
    }
    x64_alu_ri(a, X64_ALU_ADD, X64_S64, X64_RSP, RA_FRAME_SIZE);
    for (int i = (int)ARRAY_LEN(x64_saved_regs) - 1; i >= 0; i--) {
        x64_pop(a, x64_saved_regs[i]);
    }
    x64_ret(a);
}

static int x64_write_prologue(X64Data *d)
{
    X64Asm a;
    x64_asm_init(&a, d->pro_rw, (uintptr_t)d->pro_rx, X64_PROLOGUE_SIZE);
    x64_emit_prologue_body(d, &a);
    x64_asm_free(&a);
    ASSERT(!x64_overflowed(&a));
    return X64_PROLOGUE_SIZE;
}

static int x64_emit_prologue(TcgCtx *s, uint8_t *rw, const uint8_t *rx,
                             size_t avail)
{
    X64Data *d = x64_data(s);
    if (avail < X64_PROLOGUE_SIZE) {
        return -1;
    }
    d->pro_rw = rw;
    d->pro_rx = rx;
    memset(rw, 0xcc, X64_PROLOGUE_SIZE);
    return x64_write_prologue(d);
}

/* which globals of f get their pinned register; rewrites the prologue */
static uint32_t x64_pinned_set(X64Data *d, const IrFunc *f, int8_t *pin)
{
    uint32_t mask = 0;
    int n = 0;
    for (uint32_t t = 0; t < f->nglobals; t++) {
        int r = f->temps[t].pin;
        pin[t] = -1;
        if (r >= 0 && r < 16 && (X64_PINNABLE & BIT(r)) && !(mask & BIT(r)) &&
            n < X64_MAX_PINNED) {
            mask |= BIT(r);
            pin[t] = (int8_t)r;
            n++;
            d->pin_off[r] = f->temps[t].env_off;
            d->pin_is64[r] = f->temps[t].type == IR_I64;
        }
    }
    if (mask != d->pinned) {
        d->pinned = mask;
        x64_write_prologue(d);
    }
    return mask;
}

static RaTemp *x64_temps(X64Data *d, const IrFunc *f, uint32_t *pinned)
{
    RaTemp *temps = xcalloc(f->ntemps ? f->ntemps : 1, sizeof(RaTemp));
    int8_t *pin = xcalloc(f->nglobals ? f->nglobals : 1, 1);
    *pinned = x64_pinned_set(d, f, pin);
    for (uint32_t t = 0; t < f->ntemps; t++) {
        const IrTempInfo *ti = &f->temps[t];
        RaTemp *T = &temps[t];
        T->is64 = ti->type == IR_I64;
        T->mem_base = RA_ENV;
        T->mem_off = ti->env_off;
        T->reg = -1;
        if (ti->kind == IR_TEMP_GLOBAL) {
            T->kind = pin[t] >= 0 ? RA_PINNED : RA_GLOBAL;
            T->loc = pin[t] >= 0 ? RA_REG : RA_MEM;
            T->reg = pin[t];
        } else if (ti->kind == IR_TEMP_LOCAL) {
            T->kind = RA_LOCAL;
            T->loc = RA_DEAD;
            T->mem_base = X64_RSP;
            T->mem_off = -1;
        } else {
            T->kind = RA_CONST;
            T->loc = RA_IMM;
            T->val = T->is64 ? ti->val : (uint32_t)ti->val;
        }
    }
    free(pin);
    return temps;
}

bool x64_dead(const IrOp *op, int k)
{
    return (op->life & IR_LIFE_DEAD(k)) != 0;
}

bool x64_is_output(const IrOp *op, uint64_t t)
{
    for (int k = 0; k < op->nout; k++) {
        if (op->args[k] == t) {
            return true;
        }
    }
    return false;
}

/* an input that is also an output is "dead" only in its old value */
void x64_free_dead_inputs(X64Gen *g, const IrOp *op)
{
    for (int k = 0; k < op->nout + op->nin; k++) {
        if (x64_dead(op, k) &&
            (k < op->nout || !x64_is_output(op, op->args[k]))) {
            ra_kill(&g->ra, (int)op->args[k]);
        }
    }
}

void x64_copy_to(X64Gen *g, int t, int r)
{
    ra_copy_to(&g->ra, t, r);
}

/* under -d stats: mov r, &counter; add qword [r], 1 (flags clobbered) */
void x64_gen_count(X64Gen *g, uint64_t *counter, int r)
{
    if (g->count) {
        x64_movi(&g->a, r, (uintptr_t)counter);
        x64_alu_mi(&g->a, X64_ALU_ADD, X64_S64, r, 0, 1);
    }
}

/* mov rax, tb | reason; jmp epilogue */
static void x64_gen_exit(X64Gen *g, IrExit reason)
{
    x64_movi(&g->a, X64_RAX, (uintptr_t)g->tb | (uintptr_t)reason);
    x64_jmp_abs(&g->a, g->epilogue);
}

/* jump-cache probe: entry = jc + hash(pc) * 32; match pc/cs_base/flags/gen */
static void x64_gen_goto_ptr(X64Gen *g, const IrOp *op)
{
    X64Asm *a = &g->a;
    int miss = x64_new_label(a), rp, t;
    ra_sync_globals(&g->ra, false);
    rp = ra_in(&g->ra, IR_IN(op, 0), RA_ALL_REGS);
    t = ra_scratch(&g->ra, RA_ALL_REGS);
    x64_mov_rr(a, X64_S64, RA_SCRATCH, rp);
    x64_shift_ri(a, X64_SH_SHR, X64_S64, RA_SCRATCH, TCG_JC_BITS);
    x64_alu_rr(a, X64_ALU_XOR, X64_S64, RA_SCRATCH, rp);
    x64_alu_ri(a, X64_ALU_AND, X64_S32, RA_SCRATCH, TCG_JC_SIZE - 1);
    x64_shift_ri(a, X64_SH_SHL, X64_S64, RA_SCRATCH, 5);
    x64_alu_rm(a, X64_ALU_ADD, X64_S64, RA_SCRATCH, RA_ENV, g->cfg->jc_off);
    x64_alu_rm(a, X64_ALU_CMP, X64_S64, rp, RA_SCRATCH,
               offsetof(TcgJcEntry, pc));
    x64_jcc(a, X64_CC_NE, miss);
    if ((int64_t)g->tb->cs_base == (int32_t)g->tb->cs_base) {
        x64_alu_mi(a, X64_ALU_CMP, X64_S64, RA_SCRATCH,
                   offsetof(TcgJcEntry, cs_base), (int32_t)g->tb->cs_base);
    } else {
        x64_movi(a, t, g->tb->cs_base);
        x64_alu_rm(a, X64_ALU_CMP, X64_S64, t, RA_SCRATCH,
                   offsetof(TcgJcEntry, cs_base));
    }
    x64_jcc(a, X64_CC_NE, miss);
    x64_alu_mi(a, X64_ALU_CMP, X64_S32, RA_SCRATCH, offsetof(TcgJcEntry, flags),
               (int32_t)g->tb->flags);
    x64_jcc(a, X64_CC_NE, miss);
    x64_ld(a, X64_S32, false, t, RA_ENV,
           g->cfg->jc_off + (int32_t)offsetof(TcgJcRef, gen));
    x64_alu_rm(a, X64_ALU_CMP, X64_S32, t, RA_SCRATCH,
               offsetof(TcgJcEntry, gen));
    x64_jcc(a, X64_CC_NE, miss);
    x64_ld(a, X64_S64, false, RA_SCRATCH, RA_SCRATCH, offsetof(TcgJcEntry, tb));
    x64_gen_count(g, &tcg_stats(g->s)->jc_inline_hit, t);
    x64_jmp_mem(a, RA_SCRATCH, offsetof(Tb, code));
    x64_bind(a, miss);
    x64_gen_exit(g, IR_EXIT_LOOKUP);
}

/* jmp rel32 (patchable), initially to the next instruction */
static void x64_gen_goto_tb(X64Gen *g, const IrOp *op)
{
    unsigned n = (unsigned)IR_CON(op, 0);
    size_t at;
    ra_sync_globals(&g->ra, false);
    ASSERT(n < 2);
    at = x64_jmp_patchable(&g->a, g->a.exec + x64_pos(&g->a) + 8);
    /* the target above is a placeholder: point it at the next insn */
    x64_patch_u32(&g->a, at, 0);
    g->tb->jmp_insn_off[n] = (uint32_t)at;
    g->tb->jmp_reset_off[n] = (uint32_t)at + 4;
}

/* the register state expected at label l (allocated on first use) */
static RaSnap *x64_label_state(X64Gen *g, uint64_t l)
{
    if (!g->lstate[l]) {
        g->lstate[l] = xcalloc((size_t)g->ra.ntemps + 1, sizeof(RaSnap));
        ra_snapshot(&g->ra, g->lstate[l]);
        return NULL; /* fixed by this path: nothing to reconcile */
    }
    return g->lstate[l];
}

/* jmp L (cc < 0) or jcc L, reconciling to L's state on the taken path */
static void x64_gen_jump(X64Gen *g, uint64_t l, int cc)
{
    X64Asm *a = &g->a;
    const RaSnap *s = x64_label_state(g, l);
    int skip;
    if (!s || ra_reconcile(&g->ra, s, false) == 0) {
        if (cc < 0) {
            x64_jmp(a, g->labels[l]);
        } else {
            x64_jcc(a, (X64Cond)cc, g->labels[l]);
        }
        return;
    }
    skip = x64_new_label(a);
    if (cc >= 0) {
        x64_jcc(a, (X64Cond)(cc ^ 1), skip);
    }
    ra_reconcile(&g->ra, s, true);
    x64_jmp(a, g->labels[l]);
    x64_bind(a, skip);
}

/* dead inputs of a branch leave the state before it is recorded */
static void x64_kill_branch_inputs(X64Gen *g, const IrOp *op)
{
    for (int k = 0; k < op->nin; k++) {
        if (x64_dead(op, k)) {
            ra_kill(&g->ra, IR_IN(op, k));
        }
    }
}

static void x64_gen_set_label(X64Gen *g, uint64_t l)
{
    if (g->reachable) {
        ra_normalize(&g->ra);
    }
    if (g->lstate[l]) {
        if (g->reachable) {
            ra_reconcile(&g->ra, g->lstate[l], true);
        }
        ra_adopt(&g->ra, g->lstate[l]);
    } else {
        x64_label_state(g, l);
    }
    x64_bind(&g->a, g->labels[l]);
    g->reachable = true;
}

static void x64_gen_branch(X64Gen *g, const IrOp *op)
{
    if (op->opc == IR_SET_LABEL) {
        x64_gen_set_label(g, IR_CON(op, 0));
    } else if (op->opc == IR_BR) {
        ra_normalize(&g->ra);
        x64_gen_jump(g, IR_CON(op, 0), -1);
        g->reachable = false;
    } else {
        IrCond c = (IrCond)IR_CON(op, 0);
        ra_normalize(&g->ra);
        if (g->fused >= 0) {
            /* brcond t, 0, ne/eq on the setcond just before: its flags */
            c = (IrCond)(c == IR_NE ? g->fused : g->fused ^ 1);
            g->fused = -1;
        } else {
            x64_gen_compare(g, op, c, IR_IN(op, 0), IR_IN(op, 1));
        }
        ra_unlock(&g->ra);
        x64_kill_branch_inputs(g, op);
        x64_gen_jump(g, IR_CON(op, 1), (int)x64_cond(c));
    }
}

/* style: dispatch (one case per op in ir_ops.h, no default) */
static void x64_gen_op(X64Gen *g, const IrOp *op)
{
    switch ((IrOpcode)op->opc) {
    case IR_NOP:
        break;
    case IR_MOV:
    case IR_MOVI:
        x64_gen_mov(g, op);
        break;
    case IR_ADD:
        x64_gen_bin(g, op, X64B_ADD);
        break;
    case IR_SUB:
        x64_gen_bin(g, op, X64B_SUB);
        break;
    case IR_AND:
        x64_gen_bin(g, op, X64B_AND);
        break;
    case IR_OR:
        x64_gen_bin(g, op, X64B_OR);
        break;
    case IR_XOR:
        x64_gen_bin(g, op, X64B_XOR);
        break;
    case IR_MUL:
        x64_gen_bin(g, op, X64B_MUL);
        break;
    case IR_ANDC:
        x64_gen_bin(g, op, X64B_ANDC);
        break;
    case IR_SHL:
        x64_gen_shift(g, op, X64B_SHL);
        break;
    case IR_SHR:
        x64_gen_shift(g, op, X64B_SHR);
        break;
    case IR_SAR:
        x64_gen_shift(g, op, X64B_SAR);
        break;
    case IR_ROTL:
        x64_gen_shift(g, op, X64B_ROTL);
        break;
    case IR_ROTR:
        x64_gen_shift(g, op, X64B_ROTR);
        break;
    case IR_NEG:
        x64_gen_unary(g, op, X64U_NEG);
        break;
    case IR_NOT:
        x64_gen_unary(g, op, X64U_NOT);
        break;
    case IR_EXTRH:
        x64_gen_unary(g, op, X64U_EXTRH);
        break;
    case IR_BSWAP16:
        x64_gen_unary(g, op, X64U_BSWAP16);
        break;
    case IR_BSWAP32:
        x64_gen_unary(g, op, X64U_BSWAP32);
        break;
    case IR_BSWAP64:
        x64_gen_unary(g, op, X64U_BSWAP64);
        break;
    case IR_EXT8S:
        x64_gen_ext(g, op, X64_S8, true);
        break;
    case IR_EXT8U:
        x64_gen_ext(g, op, X64_S8, false);
        break;
    case IR_EXT16S:
        x64_gen_ext(g, op, X64_S16, true);
        break;
    case IR_EXT16U:
        x64_gen_ext(g, op, X64_S16, false);
        break;
    case IR_EXT32S:
        x64_gen_ext(g, op, X64_S32, true);
        break;
    case IR_EXT32U:
    case IR_EXTRL:
        x64_gen_ext(g, op, X64_S32, false);
        break;
    case IR_CLZ:
    case IR_CTZ:
    case IR_CTPOP:
        x64_gen_bitcount(g, op);
        break;
    case IR_MULSH:
    case IR_MULUH:
    case IR_MULS2:
    case IR_MULU2:
        x64_gen_mul_wide(g, op);
        break;
    case IR_DEPOSIT:
        x64_gen_deposit(g, op);
        break;
    case IR_EXTRACT:
    case IR_SEXTRACT:
        x64_gen_extract(g, op);
        break;
    case IR_SETCOND:
        x64_gen_setcond(g, op);
        break;
    case IR_MOVCOND:
        x64_gen_movcond(g, op);
        break;
    case IR_SET_LABEL:
    case IR_BR:
    case IR_BRCOND:
        x64_gen_branch(g, op);
        break;
    case IR_LD:
    case IR_ST:
        x64_gen_env(g, op);
        break;
    case IR_QLD:
        x64_gen_qld(g, op);
        break;
    case IR_QST:
        x64_gen_qst(g, op);
        break;
    case IR_ATOMIC_CMPXCHG:
    case IR_ATOMIC_XCHG:
    case IR_ATOMIC_ADD:
    case IR_ATOMIC_AND:
    case IR_ATOMIC_OR:
    case IR_ATOMIC_XOR:
        x64_gen_atomic(g, op);
        break;
    case IR_CALL:
        x64_gen_call(g, op);
        break;
    case IR_INSN_START:
        g->insn++;
        break;
    case IR_GOTO_TB:
        x64_gen_goto_tb(g, op);
        break;
    case IR_GOTO_PTR:
        x64_gen_goto_ptr(g, op);
        g->reachable = false;
        break;
    case IR_EXIT_TB:
        ra_sync_globals(&g->ra, false);
        x64_gen_exit(g, (IrExit)IR_CON(op, 0));
        g->reachable = false;
        break;
    case IR__COUNT:
        ASSERT(!"IR__COUNT is not an op");
        break;
    }
}

/* ALU ops whose emitters accept any output temp (global, pinned, input) */
static bool x64_foldable_opc(IrOpcode opc)
{
    switch (opc) {
    case IR_ADD ... IR_ROTR: /* add sub neg and or xor not andc shifts */
    case IR_MUL:
    case IR_EXT8S ... IR_EXTRH:
    case IR_BSWAP16:
    case IR_BSWAP32:
    case IR_BSWAP64:
    case IR_DEPOSIT:
    case IR_EXTRACT:
    case IR_SEXTRACT:
    case IR_SETCOND:
    case IR_MOVCOND:
        return true;
    default:
        return false;
    }
}

/*
 * `op t = ...; mov g = t` with t a local dying at the mov and g a global:
 * emit op with g as its output (into *fold) and skip the mov. Saves the
 * register copy the front end's "compute, then assign" pattern costs.
 */
static bool x64_fold_mov(X64Gen *g, const IrOp *op, const IrOp *next,
                         IrOp *fold)
{
    int t, gl;
    if (!next || next->opc != IR_MOV || op->nout != 1 ||
        next->type != op->type || !x64_foldable_opc((IrOpcode)op->opc)) {
        return false;
    }
    t = IR_OUT(op, 0);
    gl = IR_OUT(next, 0);
    if ((int)IR_IN(next, 0) != t || !x64_dead(next, 1) ||
        g->temps[t].kind != RA_LOCAL ||
        (g->temps[gl].kind != RA_GLOBAL && g->temps[gl].kind != RA_PINNED)) {
        return false;
    }
    *fold = *op;
    fold->args[0] = (uint64_t)gl;
    return true;
}

static void x64_gen_setup(X64Gen *g, TcgCtx *s, Tb *tb, const IrFunc *f)
{
    X64Data *d = x64_data(s);
    uint32_t pinned;
    g->s = s;
    g->cfg = tcg_config(s);
    g->tb = tb;
    g->f = f;
    g->insn = -1;
    g->temps = x64_temps(d, f, &pinned);
    g->epilogue = d->epilogue;
    g->has_lzcnt = d->has_lzcnt;
    g->has_bmi1 = d->has_bmi1;
    g->has_popcnt = d->has_popcnt;
    g->count = log_enabled(LOG_STATS);
    ra_init(&g->ra, &g->a, g->temps, (int)f->ntemps, pinned);
    g->labels = xcalloc(f->nlabels ? f->nlabels : 1, sizeof(int));
    g->lstate = xcalloc(f->nlabels ? f->nlabels : 1, sizeof(RaSnap *));
    g->reachable = true;
    g->fused = -1;
    for (uint32_t i = 0; i < f->nlabels; i++) {
        g->labels[i] = x64_new_label(&g->a);
    }
    tb->jmp_insn_off[0] = tb->jmp_insn_off[1] = TB_NO_JMP;
    tb->jmp_reset_off[0] = tb->jmp_reset_off[1] = TB_NO_JMP;
}

static void x64_gen_free(X64Gen *g)
{
    free(g->temps);
    for (uint32_t i = 0; i < g->f->nlabels; i++) {
        free(g->lstate[i]);
    }
    free(g->lstate);
    free(g->labels);
    free(g->slow);
    x64_asm_free(&g->a);
}

static void x64_log_out_asm(X64Gen *g, size_t size)
{
    FILE *f = log_file();
    fprintf(f, "OUT: [size=%zu] guest pc 0x%llx\n", size,
            (unsigned long long)g->tb->pc);
    x64_disas(f, g->a.buf, size, g->a.exec);
    fputc('\n', f);
}

static int x64_gen_code(TcgCtx *s, Tb *tb, const IrFunc *f, uint8_t *rw,
                        const uint8_t *rx, size_t avail)
{
    X64Gen g;
    int req, ret = -1;
    memset(&g, 0, sizeof(g));
    x64_asm_init(&g.a, rw, (uintptr_t)rx, avail);
    x64_gen_setup(&g, s, tb, f);
    req = x64_new_label(&g.a);
    /* cmp dword [env + exit_request], 0; jl req */
    x64_alu_mi(&g.a, X64_ALU_CMP, X64_S32, RA_ENV, g.cfg->exit_request_off, 0);
    x64_jcc(&g.a, X64_CC_L, req);
    for (uint32_t i = 0; i < f->nops; i++) {
        const IrOp *op = &f->ops[i];
        IrOp fold;
        g.next = i + 1 < f->nops ? &f->ops[i + 1] : NULL;
        if (x64_fold_mov(&g, op, g.next, &fold)) {
            op = &fold;
            g.next = ++i + 1 < f->nops ? &f->ops[i + 1] : NULL;
        }
        ra_unlock(&g.ra);
        x64_gen_op(&g, op);
        ra_unlock(&g.ra);
        x64_free_dead_inputs(&g, op);
    }
    x64_bind(&g.a, req);
    x64_gen_exit(&g, IR_EXIT_REQUEST);
    x64_gen_slow_paths(&g);
    if (x64_resolve(&g.a) && !x64_overflowed(&g.a)) {
        ret = (int)x64_pos(&g.a);
        if (log_enabled(LOG_OUT_ASM)) {
            x64_log_out_asm(&g, (size_t)ret);
        }
    } else {
        ASSERT(x64_overflowed(&g.a));
        tb->nraise = 0;
    }
    x64_gen_free(&g);
    return ret;
}

typedef TcgExitVal X64EntryFn(void *env, const void *code);

static TcgExitVal x64_exec(TcgCtx *s, void *env, Tb *tb)
{
    X64EntryFn *fn = (X64EntryFn *)(uintptr_t)x64_data(s)->pro_rx;
    return fn(env, tb->code);
}

/* rewrite the 4-byte aligned displacement with one atomic store */
static void x64_set_jmp(TcgCtx *s, Tb *tb, int n, const Tb *dest)
{
    const uint8_t *field = tb->code + tb->jmp_insn_off[n];
    uintptr_t target;
    uint32_t *p;
    if (tb->jmp_insn_off[n] == TB_NO_JMP) {
        return;
    }
    target = dest ? (uintptr_t)dest->code
                  : (uintptr_t)(tb->code + tb->jmp_reset_off[n]);
    p = (uint32_t *)tcg_code_rw(s, field);
    __atomic_store_n(p, (uint32_t)(target - (uintptr_t)(field + 4)),
                     __ATOMIC_RELEASE);
}

const TcgBackend tcg_backend_x64 = {
    .name = "x86_64",
    .init = x64_init,
    .fini = x64_fini,
    .emit_prologue = x64_emit_prologue,
    .gen_code = x64_gen_code,
    .exec = x64_exec,
    .set_jmp = x64_set_jmp,
};
