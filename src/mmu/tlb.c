/*
 * The softmmu TLB: fills, the victim TLB, flushes and the slow paths of
 * generated-code loads and stores (see tlb.h and the fast-path contract in
 * tcg/tcg.h).
 *
 * A miss walks the guest page tables (mmu/walk.h) with a context built
 * from the CPU's CR0/CR3/CR4/EFER and the MMU index's privilege, applies the
 * A20 mask, and looks the physical page up with as_find(): a whole 4 KiB
 * page of RAM gets addend = host - vaddr; anything else is tagged TLB_MMIO
 * and goes through as_ld/as_st. Writes to pages with translated code
 * (mr_is_code) are tagged TLB_CODE and also go through as_st, whose code
 * hook invalidates the blocks. Entries cover 4 KiB even inside large pages;
 * the large-page ranges are remembered so INVLPG can flush them whole.
 * A miss that the victim TLB cannot serve looks in the second level (one
 * completed walk per entry: 4 KiB pages direct-mapped by page number, large
 * pages by 2 MiB index), which is flushed with the first level by bumping
 * a generation; only a second-level miss walks. A refill from it rebuilds
 * the entry with as_find() and the current code bitmap, as a walk would.
 * Misses check canonicality first (#GP(0), #SS(0) for IR_MO_STACK), so no
 * non-canonical page is ever filled and the fast path needs no check; a
 * load with IR_MO_WRITE (RMW) walks for write before it reads.
 */
#include "mmu/tlb.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "util/log.h"

#define TLB_PAGE_OFF (TCG_PAGE_SIZE - 1)
#define TLB_NO_LP (~0ull) /* lp_addr/lp_mask: no large page filled */

/* what a translated access resolved to */
typedef struct TlbHit {
    uint8_t *host;   /* plain RAM for this access, else NULL */
    uint64_t phys;   /* physical address of the byte */
    bool code;       /* a write to a page with translated code */
    bool notdirty;   /* a write that must mark the dirty bitmaps */
    bool watch;      /* a watchpoint of this kind is on the page */
    TlbEntry *entry; /* the first-level entry used */
} TlbHit;

/* idx's tables in the current context */
static inline TlbTable *tlb_table(CpuX86 *env, unsigned idx)
{
    ASSERT(idx < MMU_IDX_COUNT);
    return &env->tlb.cur->t[idx];
}

static inline uint64_t tlb_tag(const TlbEntry *e, WalkAccess acc)
{
    switch (acc) {
    case WALK_READ:
        return e->addr_read;
    case WALK_WRITE:
        return e->addr_write;
    case WALK_EXEC:
        return e->addr_code;
    }
    return TLB_INVALID_TAG;
}

static inline bool tlb_tag_match(uint64_t tag, uint64_t page)
{
    return tag != TLB_INVALID_TAG && (tag & TCG_PAGE_MASK) == page;
}

/* the virtual page an entry maps, or TLB_INVALID_TAG if it is empty */
static uint64_t tlb_entry_page(const TlbEntry *e)
{
    const uint64_t tags[3] = {e->addr_read, e->addr_write, e->addr_code};
    for (int i = 0; i < 3; i++) {
        if (tags[i] != TLB_INVALID_TAG) {
            return tags[i] & TCG_PAGE_MASK;
        }
    }
    return TLB_INVALID_TAG;
}

/* the first-level slot of vaddr (as the fast path indexes it) */
static inline uint32_t tlb_slot(const TlbTable *t, uint64_t vaddr)
{
    return (uint32_t)(vaddr >> TCG_PAGE_BITS) & (t->nentries - 1);
}

static inline uint64_t tlb_phys_page(uint64_t phys)
{
    return phys & TCG_PAGE_MASK;
}

static void tlb_entry_clear(TlbEntry *e)
{
    e->addr_read = e->addr_write = e->addr_code = TLB_INVALID_TAG;
    e->addend = 0;
}

/* ---- contexts, life cycle and flushes ---- */

/* point the fast path at the current context's tables */
static void tlb_fast_sync(CpuX86 *env)
{
    for (unsigned i = 0; i < MMU_IDX_COUNT; i++) {
        const TlbTable *t = &env->tlb.cur->t[i];
        env->tlb_fast[i].table = t->entries;
        env->tlb_fast[i].mask = (uintptr_t)(t->nentries - 1) * sizeof(TlbEntry);
    }
}

/* (re)allocate a first level with n entries, all empty */
static void tlb_table_alloc(TlbTable *t, uint32_t n)
{
    free(t->entries);
    free(t->phys);
    free(t->filled);
    t->nentries = n;
    t->entries = xcalloc(n, sizeof(TlbEntry));
    t->phys = xcalloc(n, sizeof(uint64_t));
    t->filled = xcalloc(n / TLB_LOG_DIV, sizeof(uint32_t));
    t->nfilled = 0;
    for (uint32_t i = 0; i < n; i++) {
        tlb_entry_clear(&t->entries[i]);
    }
    t->evictions = t->idle_flushes = 0;
}

static void tlb_victim_clear(TlbTable *t, unsigned i)
{
    tlb_entry_clear(&t->victim[i]);
    t->victim_vpage[i] = TLB_INVALID_TAG;
    t->victim_phys[i] = 0;
}

static void tlb_lp_reset(TlbTable *t)
{
    for (unsigned i = 0; i < TLB_LP_RANGES; i++) {
        t->lp_addr[i] = t->lp_mask[i] = TLB_NO_LP;
    }
}

static void tlb_l2_gen_bump(TlbTable *t, bool global)
{
    bool wrapped = ++t->l2_gen == 0;
    if (global) {
        wrapped |= ++t->l2_ggen == 0;
    }
    if (wrapped) { /* old generations must not match again */
        memset(t->l2_small, 0, TLB_L2_SMALL * sizeof(TlbL2Entry));
        memset(t->l2_large, 0, TLB_L2_LARGE * sizeof(TlbL2Entry));
        t->l2_gen = t->l2_ggen = 1;
    }
}

/* a new context: every table empty, generations at 1 (zeroed entries miss) */
static TlbCtx *tlb_ctx_new(void)
{
    TlbCtx *c = xzalloc(sizeof(*c));
    c->tag = TLB_TAG_NONE;
    for (unsigned i = 0; i < MMU_IDX_COUNT; i++) {
        TlbTable *t = &c->t[i];
        tlb_table_alloc(t, TLB_ENTRIES_DEFAULT);
        for (unsigned v = 0; v < TLB_VICTIM_SIZE; v++) {
            tlb_victim_clear(t, v);
        }
        tlb_lp_reset(t);
        t->l2_small = xcalloc(TLB_L2_SMALL, sizeof(TlbL2Entry));
        t->l2_large = xcalloc(TLB_L2_LARGE, sizeof(TlbL2Entry));
        t->l2_gen = t->l2_ggen = 1;
    }
    return c;
}

static void tlb_ctx_free(TlbCtx *c)
{
    for (unsigned i = 0; c && i < MMU_IDX_COUNT; i++) {
        TlbTable *t = &c->t[i];
        free(t->entries);
        free(t->phys);
        free(t->filled);
        free(t->l2_small);
        free(t->l2_large);
    }
    free(c);
}

void tlb_init(CpuX86 *env)
{
    memset(env->tlb.ctx, 0, sizeof(env->tlb.ctx));
    env->tlb.ctx[0] = tlb_ctx_new();
    env->tlb.ctx[0]->tag = 0;
    env->tlb.cur = env->tlb.ctx[0];
    env->tlb.stamp = 0;
    tlb_fast_sync(env);
    tlb_flush(env);
    env->tlb.stats = (TlbStats){0};
}

void tlb_destroy(CpuX86 *env)
{
    for (unsigned c = 0; c < TLB_CONTEXTS; c++) {
        tlb_ctx_free(env->tlb.ctx[c]);
        env->tlb.ctx[c] = NULL;
    }
    env->tlb.cur = NULL;
    for (unsigned i = 0; i < MMU_IDX_COUNT; i++) {
        env->tlb_fast[i].table = NULL;
    }
}

/* a slot went from empty to live: log it (or note the log overflowed) */
static void tlb_log_fill(TlbTable *t, uint32_t slot)
{
    uint32_t cap = t->nentries / TLB_LOG_DIV;
    if (t->nfilled < cap) {
        t->filled[t->nfilled] = slot;
    }
    if (t->nfilled <= cap) {
        t->nfilled++;
    }
}

/*
 * The slots that may be live: the fill log's, or every slot once the log
 * overflowed. for k < tlb_live_count(t): slot tlb_live_slot(t, k).
 */
static bool tlb_log_overflowed(const TlbTable *t)
{
    return t->nfilled > t->nentries / TLB_LOG_DIV;
}

static uint32_t tlb_live_count(const TlbTable *t)
{
    return tlb_log_overflowed(t) ? t->nentries : t->nfilled;
}

static uint32_t tlb_live_slot(const TlbTable *t, uint32_t k)
{
    return tlb_log_overflowed(t) ? k : t->filled[k];
}

static bool tlb_slot_live(const TlbTable *t, uint32_t slot)
{
    return tlb_entry_page(&t->entries[slot]) != TLB_INVALID_TAG;
}

/*
 * Clear the first level's slots, all or only the non-global ones (those
 * kept are logged again). Returns how many slots were live.
 */
static uint32_t tlb_clear_main(TlbTable *t, bool keep_global)
{
    uint32_t cap = t->nentries / TLB_LOG_DIV, used = 0, kept = 0;
    uint32_t n = tlb_live_count(t);
    bool scan = tlb_log_overflowed(t); /* the kept slots overwrite the log */
    for (uint32_t k = 0; k < n; k++) {
        uint32_t slot = scan ? k : t->filled[k];
        if (!tlb_slot_live(t, slot)) {
            continue;
        }
        used++;
        if (keep_global && (t->phys[slot] & TLB_PHYS_GLOBAL)) {
            if (kept < cap) {
                t->filled[kept] = slot;
            }
            kept += kept <= cap;
            continue;
        }
        tlb_entry_clear(&t->entries[slot]);
        t->phys[slot] = 0;
    }
    t->nfilled = kept;
    return used;
}

/* one table: its first level (shrunk after idle flushes), victim, l2 */
static void tlb_flush_table(CpuX86 *env, TlbTable *t, bool keep_global)
{
    uint32_t used = tlb_clear_main(t, keep_global);
    t->evictions = 0;
    if (t->nentries <= TLB_ENTRIES_DEFAULT || used >= t->nentries / 8) {
        t->idle_flushes = 0;
    } else if (++t->idle_flushes >= TLB_SHRINK_FLUSHES) {
        tlb_table_alloc(t, t->nentries / 2);
        env->tlb.stats.shrinks++;
    }
    for (unsigned i = 0; i < TLB_VICTIM_SIZE; i++) {
        if (!keep_global || !(t->victim_phys[i] & TLB_PHYS_GLOBAL)) {
            tlb_victim_clear(t, i);
        }
    }
    if (!keep_global) {
        tlb_lp_reset(t); /* kept globals keep the ranges */
    }
    tlb_l2_gen_bump(t, !keep_global);
}

static void tlb_flush_ctx(CpuX86 *env, TlbCtx *c, bool keep_global);

/* a context whose entries may be used (held and not flushed lazily) */
static TlbCtx *tlb_ctx_live(CpuX86 *env, unsigned c)
{
    TlbCtx *x = env->tlb.ctx[c];
    return x && !x->stale ? x : NULL;
}

/*
 * Flush a context. An inactive one is only marked stale (O(1)): it is
 * cleared when it next becomes current, and until then nothing looks at
 * it (it takes no code or dirty tags either).
 */
static void tlb_flush_ctx_lazy(CpuX86 *env, TlbCtx *c, bool keep_global)
{
    if (c != env->tlb.cur) {
        c->stale = true;
        return;
    }
    tlb_flush_ctx(env, c, keep_global);
}

static void tlb_flush_ctx(CpuX86 *env, TlbCtx *c, bool keep_global)
{
    for (unsigned i = 0; i < MMU_IDX_COUNT; i++) {
        tlb_flush_table(env, &c->t[i], keep_global);
    }
}

/* before a miss is handled: double a table under eviction pressure */
static void tlb_maybe_grow(CpuX86 *env, unsigned idx)
{
    TlbTable *t = tlb_table(env, idx);
    if (t->evictions >= t->nentries && t->nentries < TLB_ENTRIES_MAX) {
        tlb_table_alloc(t, t->nentries * 2);
        tlb_fast_sync(env);
        env->tlb.stats.grows++;
    }
}

void tlb_flush(CpuX86 *env)
{
    for (unsigned c = 0; c < TLB_CONTEXTS; c++) {
        if (env->tlb.ctx[c]) {
            tlb_flush_ctx_lazy(env, env->tlb.ctx[c], false);
        }
    }
    tlb_fast_sync(env);
    tcg_jc_invalidate(&env->jc);
    env->tlb.stats.flushes++;
}

void tlb_flush_nonglobal(CpuX86 *env)
{
    tlb_flush_ctx(env, env->tlb.cur, true);
    tlb_fast_sync(env);
    tcg_jc_invalidate(&env->jc);
    env->tlb.stats.nonglobal_flushes++;
}

void tlb_flush_mmuidx(CpuX86 *env, unsigned idx)
{
    ASSERT(idx < MMU_IDX_COUNT);
    for (unsigned c = 0; c < TLB_CONTEXTS; c++) {
        TlbCtx *x = env->tlb.ctx[c];
        if (x && x == env->tlb.cur) {
            tlb_flush_table(env, &x->t[idx], false);
        } else if (x) {
            x->stale = true; /* the whole context: more than asked, allowed */
        }
    }
    tlb_fast_sync(env);
    tcg_jc_invalidate(&env->jc);
}

static void tlb_flush_page_table(CpuX86 *env, TlbTable *t, uint64_t page)
{
    for (unsigned i = 0; i < TLB_LP_RANGES; i++) {
        if (t->lp_mask[i] != TLB_NO_LP &&
            (page & t->lp_mask[i]) == t->lp_addr[i]) {
            tlb_flush_table(env, t, false);
            return;
        }
    }
    uint32_t slot = tlb_slot(t, page);
    if (tlb_entry_page(&t->entries[slot]) == page) {
        tlb_entry_clear(&t->entries[slot]);
        t->phys[slot] = 0;
    }
    /* no large page covers it (lp range), so only a 4 KiB one can */
    TlbL2Entry *l2 = &t->l2_small[(page >> TCG_PAGE_BITS) & (TLB_L2_SMALL - 1)];
    if (l2->vbase == page) {
        l2->gen = 0;
    }
    for (unsigned i = 0; i < TLB_VICTIM_SIZE; i++) {
        if (t->victim_vpage[i] == page) {
            tlb_victim_clear(t, i);
        }
    }
}

void tlb_flush_page(CpuX86 *env, uint64_t vaddr)
{
    for (unsigned c = 0; c < TLB_CONTEXTS; c++) {
        TlbCtx *x = tlb_ctx_live(env, c);
        for (unsigned i = 0; x && i < MMU_IDX_COUNT; i++) {
            tlb_flush_page_table(env, &x->t[i], vaddr & TCG_PAGE_MASK);
        }
    }
    tlb_fast_sync(env);
    tcg_jc_invalidate(&env->jc);
    env->tlb.stats.page_flushes++;
}

/* the context holding tag, else a free one, else the least recently used */
static TlbCtx *tlb_ctx_for(CpuX86 *env, uint64_t tag)
{
    CpuTlb *tlb = &env->tlb;
    int free_slot = -1, lru = -1;
    for (int c = 0; c < TLB_CONTEXTS; c++) {
        TlbCtx *x = tlb->ctx[c];
        if (x && x->tag == tag) {
            return x;
        }
        if (!x || x->tag == TLB_TAG_NONE) {
            free_slot = free_slot < 0 ? c : free_slot;
        } else if (x != tlb->cur &&
                   (lru < 0 || x->stamp < tlb->ctx[lru]->stamp)) {
            lru = c;
        }
    }
    int c = free_slot >= 0 ? free_slot : lru;
    ASSERT(c >= 0);
    if (!tlb->ctx[c]) {
        tlb->ctx[c] = tlb_ctx_new();
    } else {
        tlb_flush_ctx(env, tlb->ctx[c], false);
        tlb->ctx[c]->stale = false;
        tlb->stats.ctx_reuses++;
    }
    tlb->ctx[c]->tag = tag;
    return tlb->ctx[c];
}

void tlb_switch(CpuX86 *env, uint64_t tag, bool flush)
{
    ASSERT(tag != TLB_TAG_NONE);
    TlbCtx *c = tlb_ctx_for(env, tag);
    if (c->stale) { /* flushed while inactive: clear it now */
        tlb_flush_ctx(env, c, false);
        c->stale = false;
        env->tlb.stats.lazy_flushes++;
    } else if (flush) {
        tlb_flush_ctx(env, c, true);
        env->tlb.stats.nonglobal_flushes++;
    }
    c->stamp = ++env->tlb.stamp;
    env->tlb.cur = c;
    tlb_fast_sync(env);
    tcg_jc_invalidate(&env->jc);
    env->tlb.stats.switches++;
}

void tlb_flush_tag(CpuX86 *env, uint64_t tag)
{
    for (unsigned c = 0; c < TLB_CONTEXTS; c++) {
        TlbCtx *x = env->tlb.ctx[c];
        if (x && x->tag == tag) {
            tlb_flush_ctx_lazy(env, x, true);
        }
    }
    tlb_fast_sync(env);
    tcg_jc_invalidate(&env->jc);
}

/* ---- walking ---- */

static WalkStatus tlb_walk(CpuX86 *env, uint64_t vaddr, WalkAccess acc,
                           unsigned idx, WalkResult *out)
{
    if (env->tlb.walk) {
        return env->tlb.walk(env, vaddr, acc, idx, out);
    }
    unsigned priv = idx % MMU_IDX_NESTED;
    WalkCtx ctx;
    walk_ctx_init(&ctx, cpu_mem_as(env));
    ctx.cr0 = env->cr[0];
    ctx.cr3 = env->cr[3];
    ctx.cr4 = env->cr[4];
    ctx.efer = env->efer;
    ctx.cpl = priv == MMU_IDX_USER ? 3 : 0;
    ctx.ac = priv == MMU_IDX_KNOSMAP;
    ctx.maxphyaddr = cpu_model_of(env)->phys_bits; /* the CPU model's */
    ctx.pkru = env->pkru;
    ctx.pkrs = (uint32_t)env->msr.pkrs;
    /* PAE paging outside IA-32e mode: the PDPTE registers, not memory */
    if ((ctx.cr4 & CR4_PAE) && !(ctx.efer & EFER_LMA)) {
        ctx.pdpte = env->pdpte;
    }
    return walk_translate(&ctx, vaddr, acc, out);
}

static NORETURN void tlb_raise_pf(CpuX86 *env, const WalkResult *r,
                                  uintptr_t retaddr)
{
    env->tlb.stats.faults++;
    TRACE(LOG_MMU, "tlb: #PF cr2=0x%" PRIx64 " err=0x%x\n", r->cr2,
          r->error_code);
    if (env->tlb.fault) {
        env->tlb.fault(env, r->cr2, r->error_code, retaddr);
        ASSERT(!"tlb: fault callback returned");
    }
    env->exception_index = 14;
    env->error_code = r->error_code;
    env->has_error_code = true;
    env->exception_cr2 = r->cr2;
    tcg_exit_to_dispatcher(retaddr);
}

/*
 * A linear address must be canonical in long mode (48 or, with CR4.LA57,
 * 57 significant bits); only misses get here, as no non-canonical page is
 * ever filled. #SS(0) for SS-relative accesses, else #GP(0) (fetches too).
 */
static void tlb_check_canonical(CpuX86 *env, uint64_t vaddr, bool stack,
                                uintptr_t retaddr)
{
    if (!(env->efer & EFER_LMA)) {
        return;
    }
    if (cpu_canonical(env, vaddr)) {
        return;
    }
    env->tlb.stats.faults++;
    TRACE(LOG_MMU, "tlb: non-canonical 0x%" PRIx64 "\n", vaddr);
    env->exception_index = stack ? 12 : 13;
    env->error_code = 0;
    env->has_error_code = true;
    tcg_exit_to_dispatcher(retaddr);
}

/* ---- filling ---- */

/* range i widened until it holds vaddr's page of the given mask too */
static uint64_t tlb_lp_widened(const TlbTable *t, unsigned i, uint64_t vaddr,
                               uint64_t mask)
{
    uint64_t m = t->lp_mask[i] & mask;
    while (m != 0 && (t->lp_addr[i] & m) != (vaddr & m)) {
        m <<= 1;
    }
    return m;
}

/*
 * Remember a large page for INVLPG, which must then flush the whole table
 * (its entries are 4 KiB pieces). The pages are kept in a few aligned
 * ranges, not one: a kernel's large pages (its text, a direct map) lie far
 * apart, and one range over both would also cover the 4 KiB pages between
 * them, so every INVLPG of a user page flushed everything.
 */
static void tlb_note_large_page(TlbTable *t, uint64_t vaddr, uint64_t size)
{
    uint64_t mask = ~(size - 1), best_mask = 0;
    unsigned best = 0;
    for (unsigned i = 0; i < TLB_LP_RANGES; i++) {
        if (t->lp_mask[i] == TLB_NO_LP) {
            t->lp_mask[i] = mask;
            t->lp_addr[i] = vaddr & mask;
            return;
        }
        uint64_t m = tlb_lp_widened(t, i, vaddr, mask);
        if (m == t->lp_mask[i]) {
            return; /* already covered */
        }
        if (i == 0 || m > best_mask) { /* a larger mask: a narrower range */
            best = i;
            best_mask = m;
        }
    }
    t->lp_mask[best] = best_mask;
    t->lp_addr[best] = vaddr & best_mask;
}

/* ---- watchpoints ---- */

static bool tlb_watch_overlaps(const TlbWatch *w, uint64_t a, uint64_t len)
{
    return w->vaddr <= a + len - 1 && a <= w->vaddr + w->len - 1;
}

/* the TLB_WATCH_* kinds watched somewhere on vpage */
static unsigned tlb_watch_on_page(const CpuX86 *env, uint64_t vpage)
{
    unsigned k = 0;
    for (unsigned i = 0; i < env->tlb.nwatch; i++) {
        if (tlb_watch_overlaps(&env->tlb.watch[i], vpage, TCG_PAGE_SIZE)) {
            k |= env->tlb.watch[i].flags;
        }
    }
    return k;
}

/* an access to a page with TLB_WATCH: does a watchpoint cover it? */
static void tlb_watch_check(CpuX86 *env, uint64_t vaddr, unsigned size,
                            bool write, uintptr_t retaddr)
{
    unsigned kind = write ? TLB_WATCH_W : TLB_WATCH_R;
    for (unsigned i = 0; env->tlb.watch_hit && i < env->tlb.nwatch; i++) {
        const TlbWatch *w = &env->tlb.watch[i];
        if ((w->flags & kind) && tlb_watch_overlaps(w, vaddr, size)) {
            env->tlb.watch_hit(env, vaddr, size, write, retaddr);
            return;
        }
    }
}

/* refill the watchpoint's pages with the new tags */
static void tlb_watch_flush(CpuX86 *env, uint64_t vaddr, uint64_t len)
{
    for (uint64_t p = vaddr & TCG_PAGE_MASK; p <= vaddr + len - 1;
         p += TCG_PAGE_SIZE) {
        tlb_flush_page(env, p);
        if (p + TCG_PAGE_SIZE < p) {
            break;
        }
    }
}

bool tlb_watch_insert(CpuX86 *env, uint64_t vaddr, uint64_t len, unsigned flags)
{
    if (env->tlb.nwatch == TLB_MAX_WATCH || len == 0 ||
        vaddr + len - 1 < vaddr) {
        return false;
    }
    env->tlb.watch[env->tlb.nwatch++] = (TlbWatch){vaddr, len, flags};
    tlb_watch_flush(env, vaddr, len);
    return true;
}

bool tlb_watch_remove(CpuX86 *env, uint64_t vaddr, uint64_t len, unsigned flags)
{
    for (unsigned i = 0; i < env->tlb.nwatch; i++) {
        TlbWatch *w = &env->tlb.watch[i];
        if (w->vaddr == vaddr && w->len == len && w->flags == flags) {
            *w = env->tlb.watch[--env->tlb.nwatch];
            tlb_watch_flush(env, vaddr, len);
            return true;
        }
    }
    return false;
}

/* the new entry for vpage -> ppage with the walk's permissions */
static TlbEntry tlb_make_entry(CpuX86 *env, uint64_t vpage, uint64_t ppage,
                               unsigned perm)
{
    MemSection sec = as_find(cpu_mem_as(env), ppage);
    uint64_t fr = TLB_MMIO, fw = TLB_MMIO;
    TlbEntry n = {.addend = 0};
    uint8_t *host = sec.mr ? mr_ram_ptr(sec.mr) : NULL;
    bool whole = sec.mr && ppage >= sec.base &&
                 ppage + TLB_PAGE_OFF - sec.base <= sec.size - 1;
    if (host && whole && mr_is_ram(sec.mr)) {
        uint64_t off = sec.mr_offset + (ppage - sec.base);
        n.addend = (uintptr_t)(host + off) - (uintptr_t)vpage;
        fr = 0;
        fw = sec.readonly ? TLB_MMIO : 0;
        fw |= mr_is_code(sec.mr, off) ? TLB_CODE : 0;
        fw |= mr_dirty_log_pending(sec.mr, off) ? TLB_NOTDIRTY : 0;
    }
    unsigned watch = tlb_watch_on_page(env, vpage);
    fw |= (watch & TLB_WATCH_W) ? TLB_WATCH : 0;
    n.addr_read = (perm & WALK_PERM_R)
                      ? vpage | fr | ((watch & TLB_WATCH_R) ? TLB_WATCH : 0)
                      : TLB_INVALID_TAG;
    n.addr_write = (perm & WALK_PERM_W) ? vpage | fw : TLB_INVALID_TAG;
    n.addr_code = (perm & WALK_PERM_X) ? vpage | fr : TLB_INVALID_TAG;
    return n;
}

/*
 * Install n at its slot; a different page there moves to the victim TLB.
 * phys: the physical page, | TLB_PHYS_GLOBAL for a global page.
 */
static void tlb_install(CpuX86 *env, unsigned idx, const TlbEntry *n,
                        uint64_t vpage, uint64_t phys)
{
    TlbTable *t = tlb_table(env, idx);
    uint32_t slot = tlb_slot(t, vpage);
    TlbEntry *e = &t->entries[slot];
    uint64_t old = tlb_entry_page(e);
    for (unsigned i = 0; i < TLB_VICTIM_SIZE; i++) {
        if (t->victim_vpage[i] == vpage) {
            tlb_victim_clear(t, i);
        }
    }
    if (old == TLB_INVALID_TAG) {
        tlb_log_fill(t, slot);
    } else if (old != vpage) {
        t->evictions++;
        unsigned v = t->victim_next++ % TLB_VICTIM_SIZE;
        t->victim[v] = *e;
        t->victim_vpage[v] = old;
        t->victim_phys[v] = t->phys[slot];
    }
    *e = *n;
    t->phys[slot] = phys;
}

/* ---- the second level ---- */

static inline unsigned tlb_acc_perm(WalkAccess acc)
{
    return acc == WALK_READ    ? WALK_PERM_R
           : acc == WALK_WRITE ? WALK_PERM_W
                               : WALK_PERM_X;
}

static inline TlbL2Entry *tlb_l2_slot(TlbTable *t, uint64_t vaddr, bool large)
{
    if (large) {
        return &t->l2_large[(vaddr >> 21) & (TLB_L2_LARGE - 1)];
    }
    return &t->l2_small[(vaddr >> TCG_PAGE_BITS) & (TLB_L2_SMALL - 1)];
}

/* a cached walk that allows acc at vaddr: fill *r as the walk did */
static bool tlb_l2_lookup(TlbTable *t, uint64_t vaddr, WalkAccess acc,
                          WalkResult *r)
{
    unsigned perm = tlb_acc_perm(acc);
    for (int large = 0; large < 2; large++) {
        const TlbL2Entry *e = tlb_l2_slot(t, vaddr, large);
        if (e->gen != (e->global ? t->l2_ggen : t->l2_gen) ||
            !(e->perm & perm) || (vaddr & ~MASK(e->shift)) != e->vbase) {
            continue;
        }
        r->page_size = 1ull << e->shift;
        r->page_phys = e->pbase;
        r->phys = e->pbase | (vaddr & MASK(e->shift));
        r->perm = e->perm;
        r->global = e->global;
        return true;
    }
    return false;
}

static void tlb_l2_store(TlbTable *t, uint64_t vaddr, const WalkResult *r)
{
    unsigned shift = TCG_PAGE_BITS;
    if (r->page_size > TCG_PAGE_SIZE && IS_POW2(r->page_size)) {
        shift = (unsigned)__builtin_ctzll(r->page_size);
    }
    TlbL2Entry *e = tlb_l2_slot(t, vaddr, shift > TCG_PAGE_BITS);
    e->vbase = vaddr & ~MASK(shift);
    e->pbase = r->phys & ~MASK(shift);
    e->shift = (uint8_t)shift;
    e->perm = (uint8_t)r->perm;
    e->global = r->global;
    e->gen = r->global ? t->l2_ggen : t->l2_gen;
}

/* the second level, else a walk (cached in the second level) */
static WalkStatus tlb_lookup_or_walk(CpuX86 *env, uint64_t vaddr,
                                     WalkAccess acc, unsigned idx,
                                     WalkResult *r)
{
    TlbTable *t = tlb_table(env, idx);
    if (tlb_l2_lookup(t, vaddr, acc, r)) {
        env->tlb.stats.l2_hits++;
        return WALK_OK;
    }
    env->tlb.stats.walks++;
    WalkStatus st = tlb_walk(env, vaddr, acc, idx, r);
    if (st == WALK_OK) {
        tlb_l2_store(t, vaddr, r);
    }
    return st;
}

/* walk and fill; raises #PF. Returns the physical address of vaddr. */
static uint64_t tlb_fill(CpuX86 *env, uint64_t vaddr, WalkAccess acc,
                         unsigned idx, uintptr_t retaddr)
{
    WalkResult r = {0};
    WalkStatus st = tlb_lookup_or_walk(env, vaddr, acc, idx, &r);
    if (st == WALK_TABLE_FAULT) {
        /* only an EPT hook reports these; until it exists, a #PF */
        log_unimp_once("tlb", "table fault without a nested-paging handler");
        r.error_code = WALK_PF_P | WALK_PF_RSVD;
        r.cr2 = vaddr;
    }
    if (st != WALK_OK) {
        tlb_raise_pf(env, &r, retaddr);
    }
    uint64_t vpage = vaddr & TCG_PAGE_MASK;
    uint64_t ppage = r.phys & env->a20_mask & TCG_PAGE_MASK;
    if (r.page_size > TCG_PAGE_SIZE) {
        tlb_note_large_page(tlb_table(env, idx), vpage, r.page_size);
    }
    TlbEntry n = tlb_make_entry(env, vpage, ppage, r.perm);
    tlb_install(env, idx, &n, vpage, ppage | (r.global ? TLB_PHYS_GLOBAL : 0));
    env->tlb.stats.fills++;
    return ppage | (vaddr & TLB_PAGE_OFF);
}

/* on a main-table miss: swap a matching victim entry in */
static bool tlb_victim_hit(CpuX86 *env, unsigned idx, TlbEntry *e,
                           uint64_t page, WalkAccess acc)
{
    TlbTable *t = tlb_table(env, idx);
    for (unsigned i = 0; i < TLB_VICTIM_SIZE; i++) {
        if (t->victim_vpage[i] != page ||
            !tlb_tag_match(tlb_tag(&t->victim[i], acc), page)) {
            continue;
        }
        uint32_t slot = (uint32_t)(e - t->entries);
        TlbEntry tmp = *e;
        uint64_t tmp_phys = t->phys[slot];
        if (tlb_entry_page(&tmp) == TLB_INVALID_TAG) {
            tlb_log_fill(t, slot);
        }
        *e = t->victim[i];
        t->phys[slot] = t->victim_phys[i];
        t->victim[i] = tmp;
        t->victim_phys[i] = tmp_phys;
        t->victim_vpage[i] = tlb_entry_page(&tmp);
        env->tlb.stats.victim_hits++;
        return true;
    }
    return false;
}

/* translate one byte's page for acc: main table, victim, else walk */
static TlbHit tlb_translate(CpuX86 *env, uint64_t vaddr, WalkAccess acc,
                            unsigned idx, bool stack, uintptr_t retaddr)
{
    TlbTable *t = tlb_table(env, idx);
    uint64_t page = vaddr & TCG_PAGE_MASK;
    TlbEntry *e = tcg_tlb_entry(&env->tlb_fast[idx], vaddr);
    TlbHit h = {NULL, 0, false, false, false, NULL};
    if (!tlb_tag_match(tlb_tag(e, acc), page)) {
        env->tlb.stats.misses++;
        tlb_maybe_grow(env, idx); /* may move the table: look e up again */
        e = tcg_tlb_entry(&env->tlb_fast[idx], vaddr);
        if (!tlb_victim_hit(env, idx, e, page, acc)) {
            tlb_check_canonical(env, vaddr, stack, retaddr);
            h.phys = tlb_fill(env, vaddr, acc, idx, retaddr);
            if (!tlb_tag_match(tlb_tag(e, acc), page)) {
                return h; /* the walk allowed it, the entry does not */
            }
        }
    }
    uint64_t tag = tlb_tag(e, acc);
    h.phys = tlb_phys_page(t->phys[e - t->entries]) | (vaddr & TLB_PAGE_OFF);
    if (!(tag & TLB_FLAGS_MASK)) {
        h.host = (uint8_t *)(uintptr_t)(vaddr + e->addend);
    }
    h.code = acc == WALK_WRITE && (tag & TLB_CODE);
    h.notdirty = acc == WALK_WRITE && (tag & TLB_NOTDIRTY);
    h.watch = acc != WALK_EXEC && (tag & TLB_WATCH);
    h.entry = e;
    return h;
}

/* ---- the slow paths ---- */

static uint64_t tlb_ld_hit(CpuX86 *env, const TlbHit *h, unsigned size)
{
    uint64_t v = 0;
    if (h->host) {
        memcpy(&v, h->host, size);
        return v;
    }
    env->tlb.stats.mmio++;
    cpu_dev_lock(env, true);
    if (IS_POW2(size)) {
        v = as_ld(cpu_mem_as(env), h->phys, size, MEMATTRS_CPU, NULL) &
            MASK(size * 8);
    } else {
        for (unsigned i = 0; i < size; i++) {
            uint64_t b =
                as_ld(cpu_mem_as(env), h->phys + i, 1, MEMATTRS_CPU, NULL);
            v |= (b & 0xff) << (8 * i);
        }
    }
    cpu_dev_lock(env, false);
    return v;
}

/*
 * After a store through a TLB_NOTDIRTY entry (as_st marked the bitmaps):
 * the page is dirty for every logging client now, so the entry goes back
 * to the fast path for stores, unless another tag keeps it slow.
 */
static void tlb_st_dirtied(const TlbHit *h)
{
    if (h->notdirty && h->entry->addr_write != TLB_INVALID_TAG) {
        h->entry->addr_write &= ~TLB_NOTDIRTY;
    }
}

static void tlb_st_hit(CpuX86 *env, const TlbHit *h, uint64_t val,
                       unsigned size)
{
    if (h->host) {
        memcpy(h->host, &val, size);
        return;
    }
    /* through the address space, which marks the dirty bitmaps */
    env->tlb.stats.mmio++;
    env->tlb.stats.dirty_marks += h->notdirty;
    cpu_dev_lock(env, true);
    if (IS_POW2(size)) {
        (void)as_st(cpu_mem_as(env), h->phys, val, size, MEMATTRS_CPU);
    } else {
        for (unsigned i = 0; i < size; i++) {
            (void)as_st(cpu_mem_as(env), h->phys + i, (val >> (8 * i)) & 0xff,
                        1, MEMATTRS_CPU);
        }
    }
    cpu_dev_lock(env, false);
    tlb_st_dirtied(h);
}

/* the bytes of [vaddr, vaddr + size) on the first page */
static unsigned tlb_first_part(uint64_t vaddr, unsigned size)
{
    return (unsigned)MIN((uint64_t)size,
                         TCG_PAGE_SIZE - (vaddr & TLB_PAGE_OFF));
}

/*
 * What generated code's inline check does, for helpers (IDT and descriptor
 * reads, interrupt frames, IRET): the host address when the access lies in
 * one page whose first-level entry matches with no tag bit (plain RAM, no
 * code, dirty or watch tag), else NULL and the full slow path decides.
 */
static inline uint8_t *tlb_helper_host(CpuX86 *env, uint64_t vaddr,
                                       unsigned size, WalkAccess acc,
                                       unsigned idx)
{
    if (tlb_first_part(vaddr, size) != size) {
        return NULL;
    }
    const TlbEntry *e = tcg_tlb_entry(&env->tlb_fast[idx], vaddr);
    if (tlb_tag(e, acc) != (vaddr & TCG_PAGE_MASK)) {
        return NULL;
    }
    return (uint8_t *)(uintptr_t)(vaddr + e->addend);
}

uint64_t tlb_ld_slow(void *opaque, uint64_t vaddr, uint32_t memop,
                     uintptr_t retaddr)
{
    CpuX86 *env = opaque;
    unsigned size = IR_MO_BYTES(memop), idx = IR_MO_GET_MMU(memop);
    unsigned n1 = tlb_first_part(vaddr, size);
    bool stack = memop & IR_MO_STACK;
    env->tlb.stats.slow_ld++;
    uint8_t *host = memop & IR_MO_WRITE
                        ? NULL
                        : tlb_helper_host(env, vaddr, size, WALK_READ, idx);
    if (host) {
        uint64_t v = 0;
        memcpy(&v, host, size);
        return v;
    }
    if (n1 != size) { /* the canonical check covers the whole access */
        tlb_check_canonical(env, vaddr + size - 1, stack, retaddr);
    }
    if (memop & IR_MO_WRITE) {
        /* RMW: write permission is checked before the read (W = 1) */
        (void)tlb_translate(env, vaddr, WALK_WRITE, idx, stack, retaddr);
        if (n1 != size) {
            (void)tlb_translate(env, vaddr + n1, WALK_WRITE, idx, stack,
                                retaddr);
        }
    }
    TlbHit h1 = tlb_translate(env, vaddr, WALK_READ, idx, stack, retaddr);
    if (n1 == size) {
        if (h1.watch) {
            tlb_watch_check(env, vaddr, size, false, retaddr);
        }
        return tlb_ld_hit(env, &h1, size);
    }
    /* crossing a page: both pages translate before any byte is read */
    TlbHit h2 = tlb_translate(env, vaddr + n1, WALK_READ, idx, stack, retaddr);
    if (h1.watch || h2.watch) {
        tlb_watch_check(env, vaddr, size, false, retaddr);
    }
    uint64_t lo = tlb_ld_hit(env, &h1, n1);
    uint64_t hi = tlb_ld_hit(env, &h2, size - n1);
    return (lo | (hi << (8 * n1))) & MASK(size * 8);
}

/* a store about to change translated code: the hook may restart it */
static void tlb_st_code_check(CpuX86 *env, const TlbHit *h, unsigned len,
                              uintptr_t retaddr)
{
    if (h->code && env->tlb.code_write) {
        env->tlb.code_write(env, h->phys, len, retaddr);
    }
}

void tlb_st_slow(void *opaque, uint64_t vaddr, uint64_t val, uint32_t memop,
                 uintptr_t retaddr)
{
    CpuX86 *env = opaque;
    unsigned size = IR_MO_BYTES(memop), idx = IR_MO_GET_MMU(memop);
    unsigned n1 = tlb_first_part(vaddr, size);
    bool stack = memop & IR_MO_STACK;
    env->tlb.stats.slow_st++;
    uint8_t *host = tlb_helper_host(env, vaddr, size, WALK_WRITE, idx);
    if (host) {
        memcpy(host, &val, size);
        return;
    }
    if (n1 != size) {
        tlb_check_canonical(env, vaddr + size - 1, stack, retaddr);
    }
    TlbHit h1 = tlb_translate(env, vaddr, WALK_WRITE, idx, stack, retaddr);
    if (n1 == size) {
        if (h1.watch) {
            tlb_watch_check(env, vaddr, size, true, retaddr);
        }
        tlb_st_code_check(env, &h1, size, retaddr);
        tlb_st_hit(env, &h1, val, size);
        return;
    }
    /* crossing a page: fault on either page before writing anything */
    TlbHit h2 = tlb_translate(env, vaddr + n1, WALK_WRITE, idx, stack, retaddr);
    if (h1.watch || h2.watch) {
        tlb_watch_check(env, vaddr, size, true, retaddr);
    }
    tlb_st_code_check(env, &h1, n1, retaddr);
    tlb_st_code_check(env, &h2, size - n1, retaddr);
    tlb_st_hit(env, &h1, val & MASK(8 * n1), n1);
    tlb_st_hit(env, &h2, val >> (8 * n1), size - n1);
}

void *tlb_probe(CpuX86 *env, uint64_t vaddr, WalkAccess acc, unsigned idx,
                uintptr_t retaddr)
{
    return tlb_translate(env, vaddr, acc, idx, false, retaddr).host;
}

uint64_t tlb_code_phys(CpuX86 *env, uint64_t vaddr, unsigned idx,
                       uintptr_t retaddr)
{
    return tlb_translate(env, vaddr, WALK_EXEC, idx, false, retaddr).phys;
}

bool tlb_code_page_cached(CpuX86 *env, uint64_t vaddr, unsigned idx,
                          uint64_t *phys_page)
{
    TlbTable *t = tlb_table(env, idx);
    uint64_t page = vaddr & TCG_PAGE_MASK;
    TlbEntry *e = tcg_tlb_entry(&env->tlb_fast[idx], vaddr);
    if (tlb_tag_match(e->addr_code, page)) {
        *phys_page = tlb_phys_page(t->phys[e - t->entries]);
        return true;
    }
    for (unsigned i = 0; i < TLB_VICTIM_SIZE; i++) {
        if (t->victim_vpage[i] == page &&
            tlb_tag_match(t->victim[i].addr_code, page)) {
            *phys_page = tlb_phys_page(t->victim_phys[i]);
            return true;
        }
    }
    return false;
}

static void tlb_tag_code_entry(TlbEntry *e, bool on)
{
    if (e->addr_write != TLB_INVALID_TAG) {
        e->addr_write =
            on ? e->addr_write | TLB_CODE : e->addr_write & ~TLB_CODE;
    }
}

/* set or clear TLB_CODE on every writable entry that maps phys_page */
static void tlb_tag_code(CpuX86 *env, uint64_t phys_page, bool on)
{
    phys_page &= TCG_PAGE_MASK;
    for (unsigned c = 0; c < TLB_CONTEXTS; c++) {
        TlbCtx *x = tlb_ctx_live(env, c);
        for (unsigned i = 0; x && i < MMU_IDX_COUNT; i++) {
            TlbTable *t = &x->t[i];
            for (uint32_t k = 0, n = tlb_live_count(t); k < n; k++) {
                uint32_t slot = tlb_live_slot(t, k);
                if (tlb_phys_page(t->phys[slot]) == phys_page) {
                    tlb_tag_code_entry(&t->entries[slot], on);
                }
            }
            for (unsigned v = 0; v < TLB_VICTIM_SIZE; v++) {
                if (tlb_phys_page(t->victim_phys[v]) == phys_page) {
                    tlb_tag_code_entry(&t->victim[v], on);
                }
            }
        }
    }
}

void tlb_reset_dirty(CpuX86 *env, const uint8_t *host, uint64_t len)
{
    uintptr_t lo = (uintptr_t)host, hi = lo + len;
    for (unsigned c = 0; c < TLB_CONTEXTS; c++) {
        TlbCtx *x = tlb_ctx_live(env, c);
        for (unsigned i = 0; x && i < MMU_IDX_COUNT; i++) {
            TlbTable *t = &x->t[i];
            uint32_t n = tlb_live_count(t);
            for (uint32_t k = 0; k < n + TLB_VICTIM_SIZE; k++) {
                TlbEntry *e = k < n ? &t->entries[tlb_live_slot(t, k)]
                                    : &t->victim[k - n];
                uint64_t w = e->addr_write;
                if (w == TLB_INVALID_TAG || (w & TLB_MMIO)) {
                    continue;
                }
                uintptr_t page = (uintptr_t)(w & TCG_PAGE_MASK) + e->addend;
                if (page < hi && lo < page + TCG_PAGE_SIZE) {
                    e->addr_write = w | TLB_NOTDIRTY;
                }
            }
        }
    }
}

void tlb_protect_code(CpuX86 *env, uint64_t phys_page)
{
    tlb_tag_code(env, phys_page, true);
}

void tlb_unprotect_code(CpuX86 *env, uint64_t phys_page)
{
    tlb_tag_code(env, phys_page, false);
}

void tlb_stats_print(const CpuX86 *env, FILE *out)
{
    const TlbStats *s = &env->tlb.stats;
    fprintf(out,
            "tlb: misses %" PRIu64 " victim hits %" PRIu64 " l2 hits %" PRIu64
            " walks %" PRIu64 " fills %" PRIu64 " faults %" PRIu64 "\n",
            s->misses, s->victim_hits, s->l2_hits, s->walks, s->fills,
            s->faults);
    fprintf(out,
            "tlb: slow loads %" PRIu64 " slow stores %" PRIu64 " mmio %" PRIu64
            " flushes %" PRIu64 " page flushes %" PRIu64 "\n",
            s->slow_ld, s->slow_st, s->mmio, s->flushes, s->page_flushes);
    fprintf(out, "tlb: resizes: grows %" PRIu64 " shrinks %" PRIu64 ", sizes",
            s->grows, s->shrinks);
    for (unsigned i = 0; i < MMU_IDX_COUNT; i++) {
        fprintf(out, " %" PRIu32, env->tlb.cur->t[i].nentries);
    }
    fprintf(out, "\n");
}
