/*
 * src/tcg/x86_64/regalloc.h: host register allocation for the x86-64 JIT.
 *
 * A forward, local allocator in the style of a linear scan over one TB: each
 * IR temp has a location (register, memory, constant, dead). Globals live in
 * env (their memory), locals get a spill slot in the fixed stack frame, and
 * pinned globals own their host register for the whole run. Inputs are
 * loaded on demand, outputs get a free register or evict another value
 * (round robin), and locals free their register after their last use (the
 * IR liveness bits). Values stay in registers across labels: the state at
 * a label is fixed by the first branch to it (or the fallthrough, for a
 * label reached first in order), and every other path into the label is
 * reconciled to that state by stores and loads (ra_reconcile).
 */
#ifndef XLAT_TCG_X64_REGALLOC_H
#define XLAT_TCG_X64_REGALLOC_H

#include <stdbool.h>
#include <stdint.h>

#include "tcg/x86_64/x64_emit.h"
#include "util/common.h"

typedef enum RaKind { RA_GLOBAL, RA_PINNED, RA_LOCAL, RA_CONST } RaKind;
typedef enum RaLoc { RA_DEAD, RA_REG, RA_MEM, RA_IMM } RaLoc;

typedef struct RaTemp {
    RaKind kind;
    RaLoc loc;
    bool is64;
    bool dirty;      /* register newer than memory */
    int8_t reg;      /* host register when loc == RA_REG (or pinned) */
    int mem_base;    /* env register or rsp */
    int32_t mem_off; /* env offset, or frame slot (-1: none yet) */
    uint64_t val;    /* value when loc == RA_IMM */
} RaTemp;

/* host registers: env base, scratch, the frame */
#define RA_ENV X64_RBP
#define RA_SCRATCH X64_R11
#define RA_CALLER_SAVED                                                        \
    (BIT(X64_RAX) | BIT(X64_RCX) | BIT(X64_RDX) | BIT(X64_RSI) |               \
     BIT(X64_RDI) | BIT(X64_R8) | BIT(X64_R9) | BIT(X64_R10) | BIT(X64_R11))
#define RA_ALL_REGS 0xffffu
#define RA_RESERVED (BIT(X64_RSP) | BIT(RA_ENV) | BIT(RA_SCRATCH))

/* stack frame (rsp-based): call area, register save area, spill slots */
#define RA_FRAME_SAVE 0      /* 16 x 8: stub register saves */
#define RA_FRAME_SLOTS 144   /* first spill slot (after 17 save slots) */
#define RA_FRAME_NSLOTS 4096 /* IR_MAX_TEMPS: never runs out */
#define RA_FRAME_SIZE (RA_FRAME_SLOTS + RA_FRAME_NSLOTS * 8 + 8) /* 16n+8 */

typedef struct RegAlloc {
    X64Asm *a;
    RaTemp *temps;
    int ntemps;
    int owner[16];       /* temp owning the register, -1 free */
    uint32_t alloc_mask; /* registers the allocator may hand out */
    uint32_t locked;     /* registers of the current op's operands */
    int nslots;          /* spill slots handed out */
    unsigned rr;         /* round-robin eviction cursor */
    bool frame_full;     /* out of spill slots: translation fails */
} RegAlloc;

void ra_init(RegAlloc *ra, X64Asm *a, RaTemp *temps, int ntemps,
             uint32_t pinned_mask);
/* the value of t in a register from `allowed` (locked until ra_unlock) */
int ra_in(RegAlloc *ra, int t, uint32_t allowed);
/* a copy of t's value in register r, which the op may clobber (r ends up
 * unowned and locked; a value that lived there is written to memory) */
void ra_in_fixed(RegAlloc *ra, int t, int r);
/* local t now holds a constant (no code) */
void ra_set_imm(RegAlloc *ra, int t, uint64_t val);
/* copy t's value into r without changing ownership (no flags touched) */
void ra_copy_to(RegAlloc *ra, int t, int r);
/* a register for t's new value (locked); memory becomes stale */
int ra_out(RegAlloc *ra, int t, uint32_t allowed);
/* reuse the input register `r` (owned by a dying temp) for output t */
void ra_out_reg(RegAlloc *ra, int t, int r);
/* a scratch register from `allowed`, free and locked for this op */
int ra_scratch(RegAlloc *ra, uint32_t allowed);
/* make register r free (spilling its owner), and lock it */
void ra_claim(RegAlloc *ra, int r);
void ra_unlock(RegAlloc *ra);
/* t (a local) is dead: drop its register and slot contents */
void ra_kill(RegAlloc *ra, int t);

/* store dirty globals (and pinned when `pinned`) to env; regs stay valid */
void ra_sync_globals(RegAlloc *ra, bool pinned);
/* where each temp is, for the register state expected at a label */
typedef struct RaSnap {
    uint8_t loc; /* RaLoc */
    int8_t reg;
    bool dirty;
} RaSnap;
/* IMM locals to their frame slots (flags untouched) */
void ra_normalize(RegAlloc *ra);
void ra_snapshot(const RegAlloc *ra, RaSnap *s);
/* movs from the current state to s (see regalloc.c); instruction count */
int ra_reconcile(RegAlloc *ra, const RaSnap *s, bool emit);
/* the allocator state becomes s (after ra_reconcile or a jump) */
void ra_adopt(RegAlloc *ra, const RaSnap *s);
/* values in caller-saved registers before a call: to a free callee-saved
 * register (not one in `avoid`), else to memory */
void ra_spill_caller_saved(RegAlloc *ra, uint32_t avoid);
/* after a helper that wrote globals: cached globals are stale */
void ra_drop_globals(RegAlloc *ra);
/* reload pinned globals in `mask` from env */
void ra_reload_pinned(RegAlloc *ra, uint32_t mask);
/* store pinned globals in `mask` to env */
void ra_store_pinned(RegAlloc *ra, uint32_t mask);
/* registers holding dirty globals/locals needed after a slow path */
uint32_t ra_live_mask(const RegAlloc *ra);

#endif
