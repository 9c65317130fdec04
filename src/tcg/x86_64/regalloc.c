/*
 * src/tcg/x86_64/regalloc.c: the x86-64 JIT's register allocator.
 *
 * Locations: a temp is in a register (possibly dirty: memory is older), in
 * memory (env for globals, a frame slot for locals), an immediate (constants,
 * and locals just set by MOVI), or dead. Pinned globals always sit in their
 * register; env is written only by ra_store_pinned(). The allocator never
 * touches host flags except where noted, so a compare can be separated from
 * its jcc/setcc by register moves, loads and stores.
 */
#include "tcg/x86_64/regalloc.h"

#include <string.h>

void ra_init(RegAlloc *ra, X64Asm *a, RaTemp *temps, int ntemps,
             uint32_t pinned_mask)
{
    memset(ra, 0, sizeof(*ra));
    ra->a = a;
    ra->temps = temps;
    ra->ntemps = ntemps;
    for (int r = 0; r < 16; r++) {
        ra->owner[r] = -1;
    }
    for (int t = 0; t < ntemps; t++) {
        if (temps[t].kind == RA_PINNED) {
            ra->owner[temps[t].reg] = t;
        }
    }
    ra->alloc_mask = RA_ALL_REGS & ~RA_RESERVED & ~pinned_mask;
}

static X64Size ra_size(const RaTemp *T)
{
    return T->is64 ? X64_S64 : X64_S32;
}

static int32_t ra_slot(RegAlloc *ra, RaTemp *T)
{
    if (T->mem_off < 0) {
        if (ra->nslots >= RA_FRAME_NSLOTS) {
            ra->frame_full = true;
            T->mem_off = RA_FRAME_SLOTS;
        } else {
            T->mem_off = RA_FRAME_SLOTS + 8 * ra->nslots++;
        }
    }
    return T->mem_off;
}

/* mov [mem(T)], reg */
static void ra_store(RegAlloc *ra, RaTemp *T, int reg)
{
    int32_t off = T->kind == RA_LOCAL ? ra_slot(ra, T) : T->mem_off;
    x64_st(ra->a, ra_size(T), reg, T->mem_base, off);
}

/* write t's register value to memory if newer, and free the register */
static void ra_evict(RegAlloc *ra, int r)
{
    int t = ra->owner[r];
    RaTemp *T;
    if (t < 0) {
        return;
    }
    T = &ra->temps[t];
    ASSERT(T->kind != RA_PINNED);
    if (T->dirty) {
        ra_store(ra, T, r);
    }
    T->dirty = false;
    T->loc = RA_MEM;
    ra->owner[r] = -1;
}

/* a register from `allowed`: a free one, else evict (round robin) */
static int ra_alloc(RegAlloc *ra, uint32_t allowed)
{
    uint32_t cand = allowed & ra->alloc_mask & ~ra->locked;
    static const int order[] = {X64_RAX, X64_RCX, X64_RDX, X64_RSI, X64_RDI,
                                X64_R8,  X64_R9,  X64_R10, X64_RBX, X64_R12,
                                X64_R13, X64_R14, X64_R15};
    ASSERT(cand != 0);
    for (size_t i = 0; i < ARRAY_LEN(order); i++) {
        int r = order[i];
        if ((cand & BIT(r)) && ra->owner[r] < 0) {
            return r;
        }
    }
    for (int i = 0; i < 16; i++) {
        int r = (ra->rr + i) & 15;
        if (cand & BIT(r)) {
            ra->rr = r + 1;
            ra_evict(ra, r);
            return r;
        }
    }
    ASSERT(!"unreachable");
    return -1;
}

void ra_claim(RegAlloc *ra, int r)
{
    ASSERT(!(ra->locked & BIT(r)) && (ra->alloc_mask & BIT(r)));
    ra_evict(ra, r);
    ra->locked |= BIT(r);
}

int ra_scratch(RegAlloc *ra, uint32_t allowed)
{
    int r = ra_alloc(ra, allowed);
    ra->locked |= BIT(r);
    return r;
}

void ra_unlock(RegAlloc *ra)
{
    ra->locked = 0;
}

/* put t's value into register r (r free and not owned) */
static void ra_load_into(RegAlloc *ra, RaTemp *T, int r)
{
    switch (T->loc) {
    case RA_REG:
        x64_mov_rr(ra->a, X64_S64, r, T->reg);
        break;
    case RA_MEM:
        x64_ld(ra->a, ra_size(T), false, r, T->mem_base, T->mem_off);
        break;
    case RA_IMM:
        x64_movi(ra->a, r, T->val);
        break;
    case RA_DEAD:
        x64_movi(ra->a, r, 0);
        break;
    }
}

int ra_in(RegAlloc *ra, int t, uint32_t allowed)
{
    RaTemp *T = &ra->temps[t];
    int r;
    if (T->loc == RA_REG && (allowed & BIT(T->reg))) {
        ra->locked |= BIT(T->reg);
        return T->reg;
    }
    r = ra_alloc(ra, allowed);
    ra_load_into(ra, T, r);
    ra->locked |= BIT(r);
    if (T->kind == RA_CONST || T->kind == RA_PINNED) {
        return r; /* a copy; the register stays unowned */
    }
    if (T->loc == RA_REG) {
        ra->owner[T->reg] = -1; /* moved to an allowed register */
    } else {
        T->dirty = T->loc != RA_MEM;
    }
    T->loc = RA_REG;
    T->reg = r;
    ra->owner[r] = t;
    return r;
}

void ra_in_fixed(RegAlloc *ra, int t, int r)
{
    RaTemp *T = &ra->temps[t];
    if (T->loc == RA_REG && T->reg == r) {
        ra_evict(ra, r); /* value stays in r, memory is now current */
        ra->locked |= BIT(r);
        return;
    }
    ra_claim(ra, r);
    ra_load_into(ra, T, r);
}

void ra_set_imm(RegAlloc *ra, int t, uint64_t val)
{
    RaTemp *T = &ra->temps[t];
    ASSERT(T->kind == RA_LOCAL);
    if (T->loc == RA_REG && ra->owner[T->reg] == t) {
        ra->owner[T->reg] = -1;
    }
    T->loc = RA_IMM;
    T->val = val;
    T->dirty = false;
}

void ra_copy_to(RegAlloc *ra, int t, int r)
{
    RaTemp *T = &ra->temps[t];
    if (!(T->loc == RA_REG && T->reg == r)) {
        ra_load_into(ra, T, r);
    }
}

int ra_out(RegAlloc *ra, int t, uint32_t allowed)
{
    RaTemp *T = &ra->temps[t];
    int r;
    if (T->kind == RA_PINNED) {
        return T->reg;
    }
    if (T->loc == RA_REG) {
        ra->owner[T->reg] = -1;
    }
    r = ra_alloc(ra, allowed);
    ra_out_reg(ra, t, r);
    return r;
}

void ra_out_reg(RegAlloc *ra, int t, int r)
{
    RaTemp *T = &ra->temps[t];
    if (T->kind == RA_PINNED) {
        if (r != T->reg) {
            x64_mov_rr(ra->a, X64_S64, T->reg, r);
        }
        return;
    }
    if (T->loc == RA_REG && T->reg != r) {
        ra->owner[T->reg] = -1;
    }
    if (ra->owner[r] >= 0 && ra->owner[r] != t) {
        RaTemp *O = &ra->temps[ra->owner[r]];
        if (O->kind == RA_GLOBAL && O->dirty) {
            ra_store(ra, O, r);
        }
        O->loc = O->kind == RA_LOCAL ? RA_DEAD : RA_MEM; /* dying input */
        O->dirty = false;
    }
    ra->owner[r] = t;
    ra->locked |= BIT(r);
    T->loc = RA_REG;
    T->reg = r;
    T->dirty = true;
}

void ra_kill(RegAlloc *ra, int t)
{
    RaTemp *T = &ra->temps[t];
    if (T->kind != RA_LOCAL) {
        return;
    }
    if (T->loc == RA_REG && ra->owner[T->reg] == t) {
        ra->owner[T->reg] = -1;
    }
    T->loc = RA_DEAD;
    T->dirty = false;
}

void ra_sync_globals(RegAlloc *ra, bool pinned)
{
    for (int t = 0; t < ra->ntemps; t++) {
        RaTemp *T = &ra->temps[t];
        if (T->kind == RA_GLOBAL && T->loc == RA_REG && T->dirty) {
            ra_store(ra, T, T->reg);
            T->dirty = false;
        } else if (T->kind == RA_PINNED && pinned) {
            ra_store(ra, T, T->reg);
        }
    }
}

/* IMM locals to their slots (mov [rsp + off], imm: flags untouched) */
void ra_normalize(RegAlloc *ra)
{
    for (int t = 0; t < ra->ntemps; t++) {
        RaTemp *T = &ra->temps[t];
        int32_t off;
        if (T->kind != RA_LOCAL || T->loc != RA_IMM) {
            continue;
        }
        off = ra_slot(ra, T);
        if (!T->is64 || (int64_t)T->val == (int32_t)T->val) {
            x64_sti(ra->a, ra_size(T), X64_RSP, off, (int32_t)T->val);
        } else {
            x64_movi(ra->a, RA_SCRATCH, T->val);
            x64_st(ra->a, X64_S64, RA_SCRATCH, X64_RSP, off);
        }
        T->loc = RA_MEM;
        T->dirty = false;
    }
}

void ra_snapshot(const RegAlloc *ra, RaSnap *s)
{
    for (int t = 0; t < ra->ntemps; t++) {
        const RaTemp *T = &ra->temps[t];
        s[t].loc = (uint8_t)T->loc;
        s[t].reg = T->loc == RA_REG ? T->reg : -1;
        s[t].dirty = T->dirty;
    }
}

static bool ra_movable(const RaTemp *T)
{
    return T->kind == RA_GLOBAL || T->kind == RA_LOCAL;
}

/* load t's current value into r for a reconcile (memory is current) */
static void ra_reload(RegAlloc *ra, RaTemp *T, int r)
{
    if (T->loc == RA_IMM) {
        x64_movi(ra->a, r, T->val);
    } else {
        int32_t off = T->kind == RA_LOCAL ? ra_slot(ra, T) : T->mem_off;
        x64_ld(ra->a, ra_size(T), false, r, T->mem_base, off);
    }
}

/*
 * Code that turns the current state into s: first every register value s
 * does not keep (or keeps clean) is written to memory, then the registers
 * s expects are loaded from memory, so no move order problem arises. Only
 * mov instructions (host flags survive). Returns the instruction count;
 * with emit false nothing is written. The allocator state is unchanged
 * (ra_adopt makes it s).
 */
int ra_reconcile(RegAlloc *ra, const RaSnap *s, bool emit)
{
    int n = 0;
    for (int t = 0; t < ra->ntemps; t++) {
        RaTemp *T = &ra->temps[t];
        bool keep;
        if (!ra_movable(T) || T->loc != RA_REG || !T->dirty) {
            continue;
        }
        keep = s[t].loc == RA_REG && s[t].reg == T->reg && s[t].dirty;
        if (!keep) {
            if (emit) {
                ra_store(ra, T, T->reg);
            }
            n++;
        }
    }
    for (int t = 0; t < ra->ntemps; t++) {
        RaTemp *T = &ra->temps[t];
        if (!ra_movable(T) || s[t].loc != RA_REG ||
            (T->loc == RA_REG && T->reg == s[t].reg)) {
            continue;
        }
        if (emit) {
            ra_reload(ra, T, s[t].reg);
        }
        n++;
    }
    return n;
}

void ra_adopt(RegAlloc *ra, const RaSnap *s)
{
    for (int r = 0; r < 16; r++) {
        int t = ra->owner[r];
        if (t >= 0 && ra->temps[t].kind != RA_PINNED) {
            ra->owner[r] = -1;
        }
    }
    for (int t = 0; t < ra->ntemps; t++) {
        RaTemp *T = &ra->temps[t];
        if (!ra_movable(T)) {
            continue;
        }
        T->dirty = false;
        if (s[t].loc == RA_REG) {
            T->loc = RA_REG;
            T->reg = s[t].reg;
            T->dirty = s[t].dirty;
            ra->owner[T->reg] = t;
        } else if (T->kind == RA_GLOBAL || T->mem_off >= 0) {
            T->loc = RA_MEM; /* a slot written on some path */
        } else {
            T->loc = RA_DEAD;
        }
    }
}

/* a free callee-saved register outside `avoid`, or -1 */
static int ra_free_callee_saved(const RegAlloc *ra, uint32_t avoid)
{
    uint32_t cand = ra->alloc_mask & ~RA_CALLER_SAVED & ~ra->locked & ~avoid;
    for (int r = 0; r < 16; r++) {
        if ((cand & BIT(r)) && ra->owner[r] < 0) {
            return r;
        }
    }
    return -1;
}

void ra_spill_caller_saved(RegAlloc *ra, uint32_t avoid)
{
    for (int r = 0; r < 16; r++) {
        int t = ra->owner[r], c;
        if (t < 0 || !(RA_CALLER_SAVED & BIT(r)) ||
            ra->temps[t].kind == RA_PINNED) {
            continue;
        }
        c = ra_free_callee_saved(ra, avoid);
        if (c < 0) {
            ra_evict(ra, r);
            continue;
        }
        x64_mov_rr(ra->a, X64_S64, c, r); /* survives the call there */
        ra->owner[r] = -1;
        ra->owner[c] = t;
        ra->temps[t].reg = (int8_t)c;
    }
}

void ra_drop_globals(RegAlloc *ra)
{
    for (int t = 0; t < ra->ntemps; t++) {
        RaTemp *T = &ra->temps[t];
        if (T->kind == RA_GLOBAL && T->loc == RA_REG) {
            ASSERT(!T->dirty);
            ra->owner[T->reg] = -1;
            T->loc = RA_MEM;
        }
    }
}

void ra_reload_pinned(RegAlloc *ra, uint32_t mask)
{
    for (int t = 0; t < ra->ntemps; t++) {
        RaTemp *T = &ra->temps[t];
        if (T->kind == RA_PINNED && (mask & BIT(T->reg))) {
            x64_ld(ra->a, ra_size(T), false, T->reg, RA_ENV, T->mem_off);
        }
    }
}

void ra_store_pinned(RegAlloc *ra, uint32_t mask)
{
    for (int t = 0; t < ra->ntemps; t++) {
        RaTemp *T = &ra->temps[t];
        if (T->kind == RA_PINNED && (mask & BIT(T->reg))) {
            ra_store(ra, T, T->reg);
        }
    }
}

uint32_t ra_live_mask(const RegAlloc *ra)
{
    uint32_t m = 0;
    for (int r = 0; r < 16; r++) {
        if (ra->owner[r] >= 0) {
            m |= BIT(r);
        }
    }
    return m;
}
