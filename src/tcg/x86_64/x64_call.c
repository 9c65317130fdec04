/*
 * src/tcg/x86_64/x64_call.c: helper calls in the x86-64 JIT.
 *
 * Globals go to env only as the helper declares (IRH_RD_GLOB/WR_GLOB/
 * RAISE); pinned globals in caller-saved registers are stored and reloaded
 * around every call. Values in caller-saved registers move to a free
 * callee-saved register when there is one (else to memory), locals dying at
 * the call are dropped, and the arguments reach the SysV registers through
 * one parallel move from wherever they are.
 */
#include "tcg/x86_64/x64_int.h"

static const int x64_arg_regs[] = {X64_RDI, X64_RSI, X64_RDX,
                                   X64_RCX, X64_R8,  X64_R9};

/* where a call argument comes from: a register, memory or a constant */
typedef struct X64Src {
    int reg; /* -1: not in a register */
    int base;
    int32_t off;
    bool mem, is64;
    uint64_t imm;
} X64Src;

static X64Src x64_src_of(X64Gen *g, int t)
{
    const RaTemp *T = &g->temps[t];
    X64Src src = {
        .reg = -1, .base = T->mem_base, .off = T->mem_off, .is64 = T->is64};
    if (T->loc == RA_REG) {
        src.reg = T->reg;
    } else if (T->loc == RA_MEM) {
        src.mem = true;
    } else if (T->loc == RA_IMM) {
        src.imm = T->val;
    }
    return src;
}

/* is register r the source of a pending register move other than i? */
static bool x64_pm_blocked(const X64Src *src, const int *dst, const bool *done,
                           int n, int i)
{
    for (int j = 0; j < n; j++) {
        if (j != i && !done[j] && src[j].reg == dst[i]) {
            return true;
        }
    }
    return false;
}

/*
 * dst[i] = src[i] for all i at once: register moves in an order that reads
 * every register before it is overwritten (r11 breaks cycles), then the
 * loads and constants (their bases are rbp/rsp, never a destination).
 */
static void x64_parallel_move(X64Asm *a, X64Src *src, const int *dst, int n)
{
    bool done[8] = {false};
    int left = 0;
    for (int i = 0; i < n; i++) {
        done[i] = src[i].reg < 0 || src[i].reg == dst[i];
        left += !done[i];
    }
    while (left > 0) {
        bool progress = false;
        for (int i = 0; i < n; i++) {
            if (!done[i] && !x64_pm_blocked(src, dst, done, n, i)) {
                x64_mov_rr(a, X64_S64, dst[i], src[i].reg);
                done[i] = true;
                left--;
                progress = true;
            }
        }
        for (int i = 0; i < n && !progress; i++) {
            if (!done[i]) { /* a cycle: park dst[i]'s value in r11 */
                x64_mov_rr(a, X64_S64, RA_SCRATCH, dst[i]);
                for (int j = 0; j < n; j++) {
                    if (!done[j] && src[j].reg == dst[i]) {
                        src[j].reg = RA_SCRATCH;
                    }
                }
                progress = true;
            }
        }
    }
    for (int i = 0; i < n; i++) {
        if (src[i].reg >= 0) {
            continue;
        }
        if (src[i].mem) {
            x64_ld(a, src[i].is64 ? X64_S64 : X64_S32, false, dst[i],
                   src[i].base, src[i].off);
        } else {
            x64_movi(a, dst[i], src[i].imm);
        }
    }
}

/*
 * The argument sources are taken before the caller-saved values are
 * written back (the registers still hold them; locals dying here are not
 * written back at all), then moved into the argument registers at once.
 */
static void x64_call_args(X64Gen *g, const IrOp *op, int k0)
{
    X64Src src[6];
    int dst[6];
    uint32_t avoid = 0;
    ASSERT(k0 + op->nin <= 6);
    for (int i = 0; i < op->nin; i++) {
        src[i] = x64_src_of(g, IR_IN(op, i));
        dst[i] = x64_arg_regs[k0 + i];
        avoid |= src[i].reg >= 0 ? BIT(src[i].reg) : 0;
    }
    for (int i = 0; i < op->nin; i++) {
        if (x64_dead(op, op->nout + i) &&
            !x64_is_output(op, op->args[op->nout + i])) {
            ra_kill(&g->ra, IR_IN(op, i));
        }
    }
    ra_spill_caller_saved(&g->ra, avoid);
    x64_parallel_move(&g->a, src, dst, op->nin);
}

/* SysV call: globals to env as declared, caller-saved values spilled */
void x64_gen_call(X64Gen *g, const IrOp *op)
{
    const IrHelper *h = (const IrHelper *)(uintptr_t)IR_CON(op, 0);
    bool globs = h->flags & (IRH_RD_GLOB | IRH_WR_GLOB | IRH_RAISE);
    uint32_t pinned_cs = g->ra.alloc_mask ^ (RA_ALL_REGS & ~RA_RESERVED);
    int k0 = (h->flags & IRH_ENV) ? 1 : 0;
    pinned_cs = globs ? pinned_cs : (pinned_cs & RA_CALLER_SAVED);
    if (globs) {
        ra_sync_globals(&g->ra, false);
    }
    ra_store_pinned(&g->ra, pinned_cs);
    x64_call_args(g, op, k0);
    if (k0) {
        x64_mov_rr(&g->a, X64_S64, X64_RDI, RA_ENV);
    }
    x64_gen_count(g, &tcg_stats(g->s)->helper_calls, RA_SCRATCH);
    x64_call_abs(&g->a, (uintptr_t)h->fn);
    if (h->flags & IRH_RAISE) {
        tb_raise_point_add(g->tb, (uint32_t)x64_pos(&g->a), (uint32_t)g->insn);
    }
    if (h->flags & IRH_WR_GLOB) {
        ra_drop_globals(&g->ra);
    }
    ra_reload_pinned(&g->ra, pinned_cs);
    if (op->nout) {
        int td = IR_OUT(op, 0);
        if (h->ret == IRH_RET_I32) {
            x64_mov_rr(&g->a, X64_S32, X64_RAX, X64_RAX);
        }
        ra_out_reg(&g->ra, td, X64_RAX);
    }
}
