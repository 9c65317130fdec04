/*
 * src/tcg/x86_64/x64_ldst.c: guest memory access for the x86-64 JIT.
 *
 * Fast path (tcg.h contract), with r11 as the entry pointer:
 *   mov r11, addr; shr r11, 7; and r11, [env + mask]; add r11, [env + table]
 *   lea t, [addr + size - 1]; and t, -4096; cmp t, [r11 + addr_read/write]
 *   jne slow; mov r11, [r11 + addend]; mov d, [addr + r11]
 * The slow path is a stub after the TB: it stores the globals that were
 * dirty in registers and every pinned global to env (a raise may read
 * them), saves live caller-saved registers in the frame, calls ld_slow or
 * st_slow with the main line's resume address as retaddr, and jumps back.
 * Atomics check the write tag and run one LOCK instruction on the host
 * address; their slow path does ld_slow + st_slow.
 */
#include "tcg/x86_64/x64_int.h"

#include <stdlib.h>
#include <string.h>

static X64Slow *x64_slow_new(X64Gen *g, const IrOp *op)
{
    X64Slow *sl;
    if (g->nslow == g->slow_cap) {
        g->slow_cap = g->slow_cap ? g->slow_cap * 2 : 16;
        g->slow = xrealloc(g->slow, g->slow_cap * sizeof(X64Slow));
    }
    sl = &g->slow[g->nslow++];
    memset(sl, 0, sizeof(*sl));
    sl->opc = op->opc;
    sl->type = op->type;
    sl->memop = (uint32_t)IR_CON(op, 0);
    sl->addr = sl->val = sl->cmp = sl->out = -1;
    sl->label = x64_new_label(&g->a);
    sl->resume = x64_new_label(&g->a);
    sl->insn = g->insn;
    return sl;
}

/* an output global that is dirty goes to env now: the stub may need it */
static void x64_sync_out_global(X64Gen *g, int td)
{
    RaTemp *T = &g->temps[td];
    if (T->kind == RA_GLOBAL && T->loc == RA_REG && T->dirty) {
        x64_st(&g->a, T->is64 ? X64_S64 : X64_S32, T->reg, RA_ENV, T->mem_off);
        T->dirty = false;
    }
}

/*
 * The env writes the stub must do: dirty cached globals and all pinned,
 * taken after the op's registers are allocated (so no register listed is
 * reused by the fast path), without a cached output global (synced
 * before); a pinned output still holds its old value when the stub runs.
 */
static void x64_slow_capture(X64Gen *g, X64Slow *sl, int td)
{
    for (int t = 0; t < g->ra.ntemps; t++) {
        const RaTemp *T = &g->temps[t];
        bool store = (T->kind == RA_GLOBAL && T->loc == RA_REG && T->dirty) ||
                     T->kind == RA_PINNED;
        if (store && (t != td || T->kind == RA_PINNED)) {
            ASSERT(sl->ndirty < X64_MAX_DIRTY);
            sl->dirty[sl->ndirty].reg = T->reg;
            sl->dirty[sl->ndirty].is64 = T->is64;
            sl->dirty[sl->ndirty].off = T->mem_off;
            sl->ndirty++;
        }
    }
}

/* after the op's registers are allocated: what survives the call */
static void x64_slow_save(X64Gen *g, X64Slow *sl)
{
    sl->save = ra_live_mask(&g->ra) & RA_CALLER_SAVED;
    if (sl->out >= 0) {
        sl->save &= ~BIT(sl->out);
    }
}

/* TLB probe: r11 = entry, t = page of the last byte; jne stub */
static void x64_tlb_check(X64Gen *g, X64Slow *sl, int raddr, int t, bool write)
{
    X64Asm *a = &g->a;
    uint32_t memop = sl->memop;
    int32_t fast = g->cfg->tlb_fast_off +
                   (int32_t)(IR_MO_GET_MMU(memop) * sizeof(TlbFast));
    unsigned size = IR_MO_BYTES(memop);
    x64_mov_rr(a, X64_S64, RA_SCRATCH, raddr);
    x64_shift_ri(a, X64_SH_SHR, X64_S64, RA_SCRATCH, TCG_TLB_INDEX_SHIFT);
    x64_alu_rm(a, X64_ALU_AND, X64_S64, RA_SCRATCH, RA_ENV,
               fast + (int32_t)offsetof(TlbFast, mask));
    x64_alu_rm(a, X64_ALU_ADD, X64_S64, RA_SCRATCH, RA_ENV,
               fast + (int32_t)offsetof(TlbFast, table));
    if (size == 1) {
        x64_mov_rr(a, X64_S64, t, raddr);
    } else {
        x64_lea(a, X64_S64, t, raddr, X64_NOREG, 0, (int32_t)size - 1);
    }
    x64_alu_ri(a, X64_ALU_AND, X64_S64, t, (int32_t)TCG_PAGE_MASK);
    x64_alu_rm(a, X64_ALU_CMP, X64_S64, t, RA_SCRATCH,
               write ? (int32_t)offsetof(TlbEntry, addr_write)
                     : (int32_t)offsetof(TlbEntry, addr_read));
    x64_jcc(a, X64_CC_NE, sl->label);
    x64_ld(a, X64_S64, false, RA_SCRATCH, RA_SCRATCH,
           (int32_t)offsetof(TlbEntry, addend));
}

/* the main line resumes here; the raise point is the resume address */
static void x64_slow_resume(X64Gen *g, X64Slow *sl)
{
    x64_bind(&g->a, sl->resume);
    tb_raise_point_add(g->tb, (uint32_t)x64_pos(&g->a), (uint32_t)sl->insn);
}

void x64_gen_qld(X64Gen *g, const IrOp *op)
{
    X64Slow *sl = x64_slow_new(g, op);
    int raddr = ra_in(&g->ra, IR_IN(op, 0), RA_ALL_REGS);
    int t, rd;
    x64_sync_out_global(g, IR_OUT(op, 0));
    t = ra_scratch(&g->ra, RA_ALL_REGS);
    rd = ra_out(&g->ra, IR_OUT(op, 0), RA_ALL_REGS);
    x64_slow_capture(g, sl, IR_OUT(op, 0));
    sl->addr = raddr;
    sl->out = rd;
    x64_slow_save(g, sl);
    x64_tlb_check(g, sl, raddr, t, false);
    x64_ld_memop(&g->a, (IrType)op->type, sl->memop, rd, raddr, RA_SCRATCH, 0);
    x64_slow_resume(g, sl);
}

void x64_gen_qst(X64Gen *g, const IrOp *op)
{
    X64Slow *sl = x64_slow_new(g, op);
    int rv = ra_in(&g->ra, IR_IN(op, 0), RA_ALL_REGS);
    int raddr = ra_in(&g->ra, IR_IN(op, 1), RA_ALL_REGS);
    int t = ra_scratch(&g->ra, RA_ALL_REGS);
    x64_slow_capture(g, sl, -1);
    sl->addr = raddr;
    sl->val = rv;
    x64_slow_save(g, sl);
    x64_tlb_check(g, sl, raddr, t, true);
    x64_st_idx(&g->a, sl->memop & IR_MO_SIZE, rv, raddr, RA_SCRATCH, 0);
    x64_slow_resume(g, sl);
}

/* and/or/xor: mov rax, [h]; L: mov t, rax; op t, v; lock cmpxchg [h], t */
static void x64_atomic_loop(X64Gen *g, const IrOp *op, int rv, int t)
{
    X64Asm *a = &g->a;
    X64Size sz = IR_CON(op, 0) & IR_MO_SIZE;
    X64Alu alu = op->opc == IR_ATOMIC_AND  ? X64_ALU_AND
                 : op->opc == IR_ATOMIC_OR ? X64_ALU_OR
                                           : X64_ALU_XOR;
    int loop = x64_new_label(a);
    x64_ld_memop(a, IR_I64, sz, X64_RAX, RA_SCRATCH, X64_NOREG, 0);
    x64_bind(a, loop);
    x64_mov_rr(a, X64_S64, t, X64_RAX);
    x64_alu_rr(a, alu, X64_S64, t, rv);
    x64_lock_cmpxchg(a, sz, RA_SCRATCH, 0, t);
    x64_jcc(a, X64_CC_NE, loop);
}

/* the LOCK instruction on the host address in r11; old value in rax */
static void x64_atomic_op(X64Gen *g, const IrOp *op, int rv, int t)
{
    X64Size sz = IR_CON(op, 0) & IR_MO_SIZE;
    if (op->opc == IR_ATOMIC_CMPXCHG) {
        x64_lock_cmpxchg(&g->a, sz, RA_SCRATCH, 0, rv);
    } else if (op->opc == IR_ATOMIC_XCHG) {
        x64_mov_rr(&g->a, X64_S64, X64_RAX, rv);
        x64_xchg_mr(&g->a, sz, RA_SCRATCH, 0, X64_RAX);
    } else if (op->opc == IR_ATOMIC_ADD) {
        x64_mov_rr(&g->a, X64_S64, X64_RAX, rv);
        x64_lock_xadd(&g->a, sz, RA_SCRATCH, 0, X64_RAX);
    } else {
        x64_atomic_loop(g, op, rv, t);
    }
}

void x64_gen_atomic(X64Gen *g, const IrOp *op)
{
    X64Slow *sl = x64_slow_new(g, op);
    int td = IR_OUT(op, 0);
    bool pinned = g->temps[td].kind == RA_PINNED;
    uint32_t notax = RA_ALL_REGS & ~BIT(X64_RAX);
    int raddr, rv, t;
    if (op->opc == IR_ATOMIC_CMPXCHG) {
        ra_in_fixed(&g->ra, IR_IN(op, 1), X64_RAX);
        sl->cmp = X64_RAX;
        rv = ra_in(&g->ra, IR_IN(op, 2), notax);
    } else {
        ra_claim(&g->ra, X64_RAX);
        rv = ra_in(&g->ra, IR_IN(op, 1), notax);
    }
    sl->addr = raddr = ra_in(&g->ra, IR_IN(op, 0), notax);
    sl->val = rv;
    x64_sync_out_global(g, td);
    t = ra_scratch(&g->ra, notax);
    if (!pinned) {
        ra_out_reg(&g->ra, td, X64_RAX);
    }
    x64_slow_capture(g, sl, td);
    sl->out = X64_RAX;
    x64_slow_save(g, sl);
    x64_tlb_check(g, sl, raddr, t, true);
    x64_alu_rr(&g->a, X64_ALU_ADD, X64_S64, RA_SCRATCH, raddr);
    x64_atomic_op(g, op, rv, t);
    x64_ext_memop(&g->a, (IrType)op->type, sl->memop, X64_RAX, X64_RAX);
    x64_slow_resume(g, sl);
    if (pinned) {
        x64_mov_rr(&g->a, X64_S64, g->temps[td].reg, X64_RAX);
    }
}

static uintptr_t x64_resume_addr(X64Gen *g, const X64Slow *sl)
{
    return g->a.exec + (uintptr_t)g->a.labels[sl->resume];
}

/* rdi = env, edx/ecx = memop, rcx/r8 = retaddr: the tail of both calls */
static void x64_stub_call(X64Gen *g, const X64Slow *sl, bool store)
{
    X64Asm *a = &g->a;
    x64_mov_rr(a, X64_S64, X64_RDI, RA_ENV);
    /* an atomic's load is the read of a read-modify-write */
    uint32_t mo = sl->memop | (sl->opc != IR_QLD && !store ? IR_MO_WRITE : 0);
    x64_movi(a, store ? X64_RCX : X64_RDX, mo);
    x64_movi(a, store ? X64_R8 : X64_RCX, x64_resume_addr(g, sl));
    x64_call_abs(a, store ? (uintptr_t)g->cfg->st_slow
                          : (uintptr_t)g->cfg->ld_slow);
}

static void x64_stub_enter(X64Gen *g, const X64Slow *sl, uint32_t save)
{
    X64Asm *a = &g->a;
    x64_bind(a, sl->label);
    x64_gen_count(g, &tcg_stats(g->s)->slow_paths, RA_SCRATCH);
    for (int i = 0; i < sl->ndirty; i++) {
        x64_st(a, sl->dirty[i].is64 ? X64_S64 : X64_S32, sl->dirty[i].reg,
               RA_ENV, sl->dirty[i].off);
    }
    for (int r = 0; r < 16; r++) {
        if (save & BIT(r)) {
            x64_st(a, X64_S64, r, X64_RSP, X64_SAVE_SLOT(r));
        }
    }
}

static void x64_stub_leave(X64Gen *g, const X64Slow *sl, uint32_t restore)
{
    X64Asm *a = &g->a;
    for (int r = 0; r < 16; r++) {
        if (restore & BIT(r)) {
            x64_ld(a, X64_S64, false, r, X64_RSP, X64_SAVE_SLOT(r));
        }
    }
    x64_jmp(a, sl->resume);
}

static void x64_stub_ld(X64Gen *g, const X64Slow *sl)
{
    X64Asm *a = &g->a;
    x64_stub_enter(g, sl, sl->save);
    if (sl->addr != X64_RSI) {
        x64_mov_rr(a, X64_S64, X64_RSI, sl->addr);
    }
    x64_stub_call(g, sl, false);
    x64_ext_memop(a, (IrType)sl->type, sl->memop, sl->out, X64_RAX);
    x64_stub_leave(g, sl, sl->save);
}

static void x64_stub_st(X64Gen *g, const X64Slow *sl)
{
    X64Asm *a = &g->a;
    x64_stub_enter(g, sl, sl->save);
    x64_mov_rr(a, X64_S64, RA_SCRATCH, sl->val);
    if (sl->addr != X64_RSI) {
        x64_mov_rr(a, X64_S64, X64_RSI, sl->addr);
    }
    x64_mov_rr(a, X64_S64, X64_RDX, RA_SCRATCH);
    x64_stub_call(g, sl, true);
    x64_stub_leave(g, sl, sl->save);
}

/* the new value from the old one (rax) and the operand: into rdx */
static void x64_stub_atomic_new(X64Gen *g, const X64Slow *sl, int skip)
{
    X64Asm *a = &g->a;
    X64Size sz = sl->memop & IR_MO_SIZE;
    x64_ld(a, X64_S64, false, X64_RDX, X64_RSP, X64_SAVE_SLOT(sl->val));
    if (sl->opc == IR_ATOMIC_CMPXCHG) {
        x64_ld(a, X64_S64, false, RA_SCRATCH, X64_RSP, X64_SAVE_SLOT(sl->cmp));
        x64_alu_rr(a, X64_ALU_CMP, sz, RA_SCRATCH, X64_RAX);
        x64_jcc(a, X64_CC_NE, skip);
    } else if (sl->opc == IR_ATOMIC_ADD) {
        x64_alu_rr(a, X64_ALU_ADD, X64_S64, X64_RDX, X64_RAX);
    } else if (sl->opc == IR_ATOMIC_AND) {
        x64_alu_rr(a, X64_ALU_AND, X64_S64, X64_RDX, X64_RAX);
    } else if (sl->opc == IR_ATOMIC_OR) {
        x64_alu_rr(a, X64_ALU_OR, X64_S64, X64_RDX, X64_RAX);
    } else if (sl->opc == IR_ATOMIC_XOR) {
        x64_alu_rr(a, X64_ALU_XOR, X64_S64, X64_RDX, X64_RAX);
    }
}

/* call cfg->atomic_begin/end (env) if set */
static void x64_stub_atomic_hook(X64Gen *g, void (*fn)(void *))
{
    if (fn) {
        x64_mov_rr(&g->a, X64_S64, X64_RDI, RA_ENV);
        x64_call_abs(&g->a, (uintptr_t)fn);
    }
}

/* atomic_begin, ld_slow, compute, st_slow, atomic_end (MMIO etc.) */
static void x64_stub_atomic(X64Gen *g, const X64Slow *sl)
{
    X64Asm *a = &g->a;
    uint32_t save = sl->save | BIT(sl->addr) | BIT(sl->val);
    int skip = x64_new_label(a);
    if (sl->cmp >= 0) {
        save |= BIT(sl->cmp);
    }
    x64_stub_enter(g, sl, save);
    x64_stub_atomic_hook(g, g->cfg->atomic_begin);
    x64_ld(a, X64_S64, false, X64_RSI, X64_RSP, X64_SAVE_SLOT(sl->addr));
    x64_stub_call(g, sl, false);
    x64_st(a, X64_S64, X64_RAX, X64_RSP, X64_SAVE_OLD);
    x64_stub_atomic_new(g, sl, skip);
    x64_ld(a, X64_S64, false, X64_RSI, X64_RSP, X64_SAVE_SLOT(sl->addr));
    x64_stub_call(g, sl, true);
    x64_bind(a, skip);
    x64_stub_atomic_hook(g, g->cfg->atomic_end);
    x64_ld(a, X64_S64, false, X64_RAX, X64_RSP, X64_SAVE_OLD);
    x64_ext_memop(a, (IrType)sl->type, sl->memop, X64_RAX, X64_RAX);
    x64_stub_leave(g, sl, save & ~BIT(X64_RAX));
}

void x64_gen_slow_paths(X64Gen *g)
{
    for (int i = 0; i < g->nslow; i++) {
        const X64Slow *sl = &g->slow[i];
        if (sl->opc == IR_QLD) {
            x64_stub_ld(g, sl);
        } else if (sl->opc == IR_QST) {
            x64_stub_st(g, sl);
        } else {
            x64_stub_atomic(g, sl);
        }
    }
}
