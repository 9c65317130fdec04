/*
 * Debug registers and debug exceptions (SDM vol. 3B 18.2-18.3, vol. 2 MOV
 * DR): MOV to/from DR0-7 with the CR4.DE aliases and DR7.GD, and the #DB
 * conditions of DR7's breakpoints.
 *
 * - Execute breakpoints are baked into translated code: blocks translated
 *   while one is enabled carry HF_IBP and test DR0-3 at translation time
 *   (translate_debug.c), so code without breakpoints pays nothing. A change
 *   of the enabled execute breakpoints flushes the TBs (cpu_debug_sync).
 * - Data breakpoints are TLB watchpoints (tlb_watch_insert): only accesses
 *   to a watched page leave the fast path. A hit is a trap, reported after
 *   the instruction: the first hit restores the instruction's state and
 *   unwinds (nothing of the access is done); the instruction then runs
 *   again alone (HF_DBW, one REP iteration), recording every breakpoint it
 *   hits, and its block ends with helper_debug_end, which raises #DB with
 *   RIP after it. I/O breakpoints (R/W = 10 under CR4.DE) do the same from
 *   the port helpers.
 * - RF: a block entered with RFLAGS.RF set (HF_RF) holds one instruction,
 *   skips its breakpoint check and clears RF as it starts (SDM 18.3.1.1:
 *   RF is cleared once the instruction is past its breakpoint check).
 */
#include "cpu/debug.h"

#include "cpu/exec.h"
#include "cpu/translate_int.h"
#include "util/log.h"

#define DBG_CR4_DE BIT(3)
#define DBG_RW_EXEC 0u
#define DBG_RW_WRITE 1u
#define DBG_RW_IO 2u
#define DBG_RW_RDWR 3u

static bool dbg_enabled(uint64_t dr7, unsigned n)
{
    return (dr7 >> (2 * n)) & 3;
}

static unsigned dbg_rw(uint64_t dr7, unsigned n)
{
    return (dr7 >> (16 + 4 * n)) & 3;
}

/* LEN: 00 one byte, 01 two, 11 four, 10 eight (SDM 18.2.5) */
static uint64_t dbg_len(uint64_t dr7, unsigned n)
{
    static const uint8_t bytes[4] = {1, 2, 8, 4};
    return bytes[(dr7 >> (18 + 4 * n)) & 3];
}

/* the range DRn covers: the address with its low LEN bits ignored */
static uint64_t dbg_start(const CpuX86 *env, unsigned n)
{
    return env->dr[n] & ~(dbg_len(env->dr[7], n) - 1);
}

static bool dbg_overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a <= b + blen - 1 && b <= a + alen - 1;
}

/* the enabled data breakpoints an access of [vaddr, vaddr + size) hits */
static uint32_t dbg_data_bits(const CpuX86 *env, uint64_t vaddr, unsigned size,
                              bool write)
{
    uint64_t dr7 = env->dr[7];
    uint32_t bits = 0;
    for (unsigned n = 0; n < 4; n++) {
        unsigned rw = dbg_rw(dr7, n);
        bool kind = rw == DBG_RW_RDWR || (rw == DBG_RW_WRITE && write);
        if (dbg_enabled(dr7, n) && kind &&
            dbg_overlaps(vaddr, size, dbg_start(env, n), dbg_len(dr7, n))) {
            bits |= 1u << n;
        }
    }
    return bits;
}

/* the enabled I/O breakpoints on [port, port + size) (CR4.DE only) */
static uint32_t dbg_io_bits(const CpuX86 *env, uint32_t port, unsigned size)
{
    uint64_t dr7 = env->dr[7];
    uint32_t bits = 0;
    if (!(env->cr[4] & DBG_CR4_DE)) {
        return 0; /* R/W = 10 is undefined without DE: ignored */
    }
    for (unsigned n = 0; n < 4; n++) {
        if (dbg_enabled(dr7, n) && dbg_rw(dr7, n) == DBG_RW_IO &&
            dbg_overlaps(port, size, dbg_start(env, n) & 0xffff,
                         dbg_len(dr7, n))) {
            bits |= 1u << n;
        }
    }
    return bits;
}

/*
 * A breakpoint hit by a data or I/O access about to be made at retaddr.
 * While replaying, record it; else restore the instruction's state and
 * unwind, to run it again alone (HF_DBW). Accesses from outside generated
 * code (event delivery) are not reported.
 */
static void dbg_hit(CpuX86 *env, uint32_t bits, uintptr_t retaddr)
{
    if (env->dbg.replay) {
        env->dbg.hits |= bits;
        return;
    }
    if (!retaddr) {
        return;
    }
    env->dbg.replay = true;
    env->dbg.hits = 0;
    env->hflags |= HF_DBW;
    env->exception_index = -1; /* not an exception: cpu_exec goes on */
    tcg_exit_to_dispatcher(retaddr);
}

/* TlbWatchFn: an access to a watched page overlaps a watchpoint */
static void dbg_watch_hit(CpuX86 *env, uint64_t vaddr, unsigned size,
                          bool write, uintptr_t retaddr)
{
    uint32_t bits = dbg_data_bits(env, vaddr, size, write);
    if (bits) {
        dbg_hit(env, bits, retaddr);
    }
}

void cpu_debug_io(CpuX86 *env, uint32_t port, unsigned size, uintptr_t retaddr)
{
    if (!(env->dr[7] & 0xff)) {
        return; /* nothing enabled: the common case */
    }
    uint32_t bits = dbg_io_bits(env, port, size);
    if (bits) {
        dbg_hit(env, bits, retaddr);
    }
}

/* ---- DR0-3/DR7 changes: the watchpoints and execute breakpoints ---- */

static void dbg_update_watch(CpuX86 *env, unsigned n)
{
    uint64_t dr7 = env->dr[7];
    unsigned rw = dbg_rw(dr7, n), flags = 0;
    if (dbg_enabled(dr7, n) && rw == DBG_RW_WRITE) {
        flags = TLB_WATCH_W;
    } else if (dbg_enabled(dr7, n) && rw == DBG_RW_RDWR) {
        flags = TLB_WATCH_R | TLB_WATCH_W;
    }
    uint64_t addr = dbg_start(env, n), len = dbg_len(dr7, n);
    CpuDebug *d = &env->dbg;
    if (d->watch_flags[n] == flags &&
        (!flags || (d->watch_addr[n] == addr && d->watch_len[n] == len))) {
        return;
    }
    if (d->watch_flags[n]) {
        (void)tlb_watch_remove(env, d->watch_addr[n], d->watch_len[n],
                               d->watch_flags[n]);
    }
    d->watch_flags[n] = 0;
    if (!flags) {
        return;
    }
    if (!tlb_watch_insert(env, addr, len, flags)) {
        log_unimp_once("debug", "no TLB watchpoint left for DR%u", n);
        return;
    }
    env->tlb.watch_hit = dbg_watch_hit;
    d->watch_addr[n] = addr;
    d->watch_len[n] = len;
    d->watch_flags[n] = flags;
}

/* the enabled execute breakpoints; a change means a TB flush */
static void dbg_update_exec(CpuX86 *env)
{
    CpuDebug *d = &env->dbg;
    uint32_t mask = 0;
    bool changed = false;
    for (unsigned n = 0; n < 4; n++) {
        if (dbg_enabled(env->dr[7], n) &&
            dbg_rw(env->dr[7], n) == DBG_RW_EXEC) {
            mask |= 1u << n;
            changed |= d->ibp_addr[n] != env->dr[n];
            d->ibp_addr[n] = env->dr[n];
        }
    }
    changed |= mask != d->ibp_mask;
    /* blocks without HF_IBP stay right when the last one goes */
    d->flush |= changed && mask;
    d->ibp_mask = mask;
}

static void dbg_update(CpuX86 *env)
{
    for (unsigned n = 0; n < 4; n++) {
        dbg_update_watch(env, n);
    }
    dbg_update_exec(env);
    cpu_update_hflags(env);
}

void cpu_debug_reset(CpuX86 *env)
{
    CpuDebug *d = &env->dbg;
    for (unsigned n = 0; n < 4; n++) {
        if (d->watch_flags[n]) {
            (void)tlb_watch_remove(env, d->watch_addr[n], d->watch_len[n],
                                   d->watch_flags[n]);
        }
    }
    /* blocks with HF_IBP stay: enabling any breakpoint again flushes */
    *d = (CpuDebug){.flush = false};
}

/* ---- MOV DR (translate_debug.c) ---- */

/* DR7.GD: any MOV DR is a #DB fault, with DR6.BD set and GD cleared */
static void dbg_gd_check(CpuX86 *env, uintptr_t ra)
{
    if (env->dr[7] & DR7_GD) {
        env->dr[6] |= DR6_BD;
        env->dr[7] &= ~DR7_GD;
        env->dbg.fault = true;
        helper_raise_ra(env, 1, 0, ra);
    }
}

/* DR4/DR5: DR6/DR7 without CR4.DE, #UD with it */
static unsigned dbg_reg(CpuX86 *env, unsigned n, uintptr_t ra)
{
    if (n == 4 || n == 5) {
        if (env->cr[4] & DBG_CR4_DE) {
            helper_raise_ra(env, 6, 0, ra);
        }
        n += 2;
    }
    dbg_gd_check(env, ra);
    return n;
}

uint64_t helper_get_dr(CpuX86 *env, uint32_t n)
{
    return env->dr[dbg_reg(env, n & 7, TCG_GETPC())];
}

/*
 * MOV DRn, v. DR6/DR7: bits 63:32 must be zero (#GP), the fixed bits
 * read as SDM 18.2 says. No check on DR0-3: any address may be written
 * (a non-canonical one never matches). When the execute breakpoints
 * changed, leave generated code with RIP = next for the flush.
 */
void helper_set_dr(CpuX86 *env, uint32_t n, uint64_t v, uint64_t next)
{
    uintptr_t ra = TCG_GETPC();
    n = dbg_reg(env, n & 7, ra);
    if (n >= 6 && (v >> 32)) {
        helper_raise_ra(env, 13, 0, ra);
    }
    if (n == 6) {
        env->dr[6] = (v & DR6_WRITABLE) | DR6_FIXED1;
        return;
    }
    env->dr[n] = n == 7 ? (v & DR7_WRITABLE) | DR7_FIXED1 : v;
    dbg_update(env);
    if (env->dbg.flush) {
        env->rip = next;
        if (env->hflags & HF_TF) { /* the single-step trap, as tr_exit's */
            env->dr[6] |= DR6_BS;
            helper_raise_trap(env, 1);
        }
        env->exception_index = -1; /* not an exception: cpu_exec goes on */
        tcg_exit_to_dispatcher(0);
    }
}

/* ---- #DB from translated code ---- */

/* an execute breakpoint: a fault, DR6.B0-3 = the breakpoints matched */
void helper_debug_bp(CpuX86 *env, uint32_t bits)
{
    env->dr[6] = (env->dr[6] & ~DR6_B_MASK) | bits;
    helper_raise_ra(env, 1, 0, TCG_GETPC());
}

/* an HF_RF block's instruction starts: RF is cleared (IRET may set it) */
void helper_debug_rf(CpuX86 *env, uint32_t set)
{
    env->eflags = set ? env->eflags | EFL_RF : env->eflags & ~EFL_RF;
    cpu_update_hflags(env);
}

/*
 * The end of a replayed instruction (HF_DBW), RIP set: #DB as a trap with
 * the breakpoints it hit (and BS under TF). A REP instruction that goes on
 * has set RF (tr_debug_rep_loop), so the image pushed holds RF = 1 and its
 * breakpoint is not taken again between iterations (SDM 18.3.1.1).
 */
void helper_debug_end(CpuX86 *env, uint32_t tf)
{
    uint32_t hits = env->dbg.replay ? env->dbg.hits : 0;
    env->dbg.replay = false;
    env->dbg.hits = 0;
    cpu_update_hflags(env);
    if (!hits && !tf) {
        return;
    }
    if (hits) {
        env->dr[6] = (env->dr[6] & ~DR6_B_MASK) | hits;
    }
    if (tf) {
        env->dr[6] |= DR6_BS;
    }
    helper_raise_trap(env, 1);
}

/* ---- the run loop and other system code ---- */

static bool dbg_fault_class(int v)
{
    switch (v) {
    case 0:
    case 5:
    case 6:
    case 7:
    case 10:
    case 11:
    case 12:
    case 13:
    case 14:
    case 16:
    case 17:
    case 19:
    case 20:
    case 21:
        return true;
    default:
        return false;
    }
}

void cpu_debug_event(CpuX86 *env)
{
    if (env->dbg.replay) {
        env->dbg.replay = false;
        env->dbg.hits = 0;
        cpu_update_hflags(env);
    }
}

void cpu_debug_exception(CpuX86 *env)
{
    int v = env->exception_index;
    bool fault = dbg_fault_class(v) || (v == 1 && env->dbg.fault);
    cpu_debug_event(env);
    cpu_debug_sync(env);
    env->dbg.fault = false;
    if (env->deliver && fault && !env->exception_soft) {
        env->eflags |= EFL_RF; /* the image pushed; delivery clears it */
    }
}

void cpu_debug_sync(CpuX86 *env)
{
    if (env->dbg.flush && env->tcg_ctx) {
        env->dbg.flush = false;
        cpu_exclusive_start();
        tcg_flush(env->tcg_ctx, TCG_FLUSH_FULL);
        cpu_exclusive_end();
    }
}

void cpu_debug_task_trap(CpuX86 *env)
{
    env->dr[6] |= DR6_BT;
    helper_raise_trap(env, 1);
}
