/*
 * x86 page walker (SDM vol. 3A ch. 4). One loop serves every mode: a small
 * table per mode gives each level's index position and whether a PS=1 entry
 * there maps a large page. The walk reads entries top-down and stops at the
 * first not-present or reserved-bit fault; permission checks (4.6), the
 * protection-key check (4.6.2) and the error code (4.7) come after a full
 * walk; A/D bits (4.8) are written last, only when the access is allowed.
 */
#include "mmu/walk.h"

#include <endian.h>
#include <inttypes.h>
#include <string.h>

#include "util/log.h"

#define WALK_MAX_LEVELS 5
#define WALK_AD_TRIES 4 /* walks before A/D updates stop re-checking */
#define PAGE_4K 0x1000ull

typedef enum WalkMode { MODE_32, MODE_PAE, MODE_4L, MODE_5L } WalkMode;

typedef enum LevelKind {
    LV_TOP,      /* PML5E / PML4E: PS is reserved */
    LV_PDPTE,    /* 4/5-level PDPTE: PS=1 maps 1 GiB */
    LV_PAE_PDPT, /* PAE PDPTE: no A, R/W, U/S or XD bits */
    LV_PD,       /* PDE: PS=1 maps 2 MiB (4 MiB in 32-bit with CR4.PSE) */
    LV_PT,       /* PTE: always the leaf */
} LevelKind;

typedef struct WalkLevel {
    uint8_t shift; /* linear-address bit where this level's index starts */
    uint8_t bits;  /* index width */
    LevelKind kind;
} WalkLevel;

static const WalkLevel levels_32[] = {
    {.shift = 22, .bits = 10, .kind = LV_PD},
    {.shift = 12, .bits = 10, .kind = LV_PT},
};
static const WalkLevel levels_pae[] = {
    {.shift = 30, .bits = 2, .kind = LV_PAE_PDPT},
    {.shift = 21, .bits = 9, .kind = LV_PD},
    {.shift = 12, .bits = 9, .kind = LV_PT},
};
/* 5-level is this table from the start, 4-level from the second row */
static const WalkLevel levels_long[] = {
    {.shift = 48, .bits = 9, .kind = LV_TOP},
    {.shift = 39, .bits = 9, .kind = LV_TOP},
    {.shift = 30, .bits = 9, .kind = LV_PDPTE},
    {.shift = 21, .bits = 9, .kind = LV_PD},
    {.shift = 12, .bits = 9, .kind = LV_PT},
};

typedef struct Walker {
    const WalkCtx *ctx;
    WalkMode mode;
    unsigned m;  /* MAXPHYADDR */
    bool nxe;    /* XD bits are in use */
    uint64_t la; /* the linear address, truncated to the mode */
    WalkAccess acc;
    unsigned esize; /* entry size: 4 or 8 bytes */
    unsigned n;     /* entries read */
    uint64_t gpa[WALK_MAX_LEVELS];
    uint64_t val[WALK_MAX_LEVELS];
    bool has_a[WALK_MAX_LEVELS];
    bool rw, us, xd; /* combined over the levels */
    uint64_t page_size, page_phys;
    unsigned pkey;
    uint32_t fault;  /* P/RSVD bits of a structural fault */
    int table_fault; /* from translate_table_addr */
    uint64_t table_gpa;
    MemSection sec; /* the last section an entry was read from */
    bool have_sec;
} Walker;

void walk_ctx_init(WalkCtx *ctx, AddrSpace *as)
{
    *ctx = (WalkCtx){0};
    ctx->as = as;
    ctx->attrs = MEMATTRS_CPU;
    ctx->maxphyaddr = WALK_MAXPHYADDR_DEFAULT;
}

/* ---- reading and writing entries ---- */

/* returns false when the hook refused; *addr is where to access in ctx->as */
static bool walk_xlate(Walker *w, uint64_t gpa, bool write, uint64_t *addr)
{
    const WalkCtx *ctx = w->ctx;
    *addr = gpa;
    if (!ctx->translate_table_addr) {
        return true;
    }
    int r = ctx->translate_table_addr(ctx->xlate_opaque, gpa, write, addr);
    if (r != 0) {
        w->table_fault = r;
        w->table_gpa = gpa;
        return false;
    }
    return true;
}

/* plain RAM: read the entry straight from host memory (one lookup) */
static bool walk_ld_direct(const Walker *w, const MemSection *sec,
                           uint64_t addr, uint64_t *v)
{
    uint8_t *host = mr_ram_ptr(sec->mr);
    uint64_t off = addr - sec->base;
    if (!host || sec->readonly || off + w->esize > sec->size) {
        return false;
    }
    host += sec->mr_offset + off;
    if (w->esize == 4) {
        uint32_t v32;
        memcpy(&v32, host, 4);
        *v = le32toh(v32);
    } else {
        memcpy(v, host, 8);
        *v = le64toh(*v);
    }
    return true;
}

/* an entry outside RAM reads as all-ones; *ok says whether it was RAM */
static uint64_t walk_ld(Walker *w, uint64_t addr, bool *ok)
{
    MemSection sec = w->sec;
    MemTxResult res = MEMTX_OK;
    uint64_t v;
    *ok = false;
    /* tables usually share one RAM section: look it up once per walk */
    if (!w->have_sec || addr < sec.base || addr - sec.base >= sec.size) {
        sec = as_find(w->ctx->as, addr);
        w->sec = sec;
        w->have_sec = true;
    }
    if (!sec.mr || !mr_is_ram(sec.mr)) {
        log_guest_error(
            "walk", "page-table entry at 0x%" PRIx64 " is not in RAM", addr);
        return ~0ull;
    }
    *ok = true;
    if (walk_ld_direct(w, &sec, addr, &v)) {
        return v;
    }
    v = as_ld(w->ctx->as, addr, w->esize, w->ctx->attrs, &res);
    if (res != MEMTX_OK) {
        *ok = false;
        return ~0ull;
    }
    return v;
}

/* ---- reserved bits per level (SDM 4.3, 4.4.2, 4.5.4) ---- */

static uint64_t rsvd_32_large(const Walker *w)
{
    /* PSE-36: bits 20:13 hold PA bits 39:32, as far as MAXPHYADDR goes */
    unsigned m = MIN(w->m, 40);
    unsigned used = m > 32 ? m - 32 : 0;
    return MASK(22) & ~MASK(13 + used);
}

static uint64_t rsvd_bits(const Walker *w, LevelKind kind, bool large)
{
    uint64_t r;
    if (w->mode == MODE_32) {
        return large ? rsvd_32_large(w) : 0;
    }
    if (kind == LV_PAE_PDPT) {
        return (~0ull & ~MASK(w->m)) | 0x6 | 0x1e0;
    }
    if (w->mode == MODE_PAE) {
        r = MASK(63) & ~MASK(w->m);
    } else {
        r = MASK(52) & ~MASK(w->m);
    }
    if (!w->nxe) {
        r |= WALK_PTE_XD;
    }
    if (kind == LV_TOP) {
        r |= WALK_PTE_PS;
    } else if (large && kind == LV_PD) {
        r |= MASK(21) & ~MASK(13);
    } else if (large && kind == LV_PDPTE) {
        r |= MASK(30) & ~MASK(13);
    }
    return r;
}

/* ---- the walk itself ---- */

static bool walk_is_large(const Walker *w, LevelKind kind, uint64_t v)
{
    if (!(v & WALK_PTE_PS)) {
        return false;
    }
    if (kind == LV_PD) {
        return w->mode != MODE_32 || (w->ctx->cr4 & WALK_CR4_PSE);
    }
    return kind == LV_PDPTE;
}

static uint64_t walk_addr_mask(const Walker *w)
{
    return w->mode == MODE_32 ? MASK(32) : MASK(w->m);
}

static void walk_leaf(Walker *w, const WalkLevel *lv, uint64_t v, bool large)
{
    uint64_t size = large ? BIT(lv->shift) : PAGE_4K;
    uint64_t base = v & walk_addr_mask(w) & ~(size - 1);
    if (large && w->mode == MODE_32) {
        unsigned m = MIN(w->m, 40);
        uint64_t hi = (v >> 13) & MASK(m > 32 ? m - 32 : 0);
        base = (v & 0xffc00000ull) | (hi << 32);
    }
    w->page_size = size;
    w->page_phys = base;
    if (w->mode == MODE_4L || w->mode == MODE_5L) {
        w->pkey = (unsigned)(v >> 59) & 0xf;
    }
}

static uint64_t walk_first_table(const Walker *w)
{
    uint64_t cr3 = w->ctx->cr3;
    switch (w->mode) {
    case MODE_32:
        return cr3 & 0xfffff000ull;
    case MODE_PAE:
        return cr3 & 0xffffffe0ull;
    case MODE_4L:
    case MODE_5L:
        break;
    }
    return cr3 & MASK(w->m) & ~0xfffull;
}

/* read one entry: false on a fault (w->fault or w->table_fault set) */
static bool walk_fetch(Walker *w, uint64_t gpa, uint64_t *v)
{
    uint64_t addr;
    bool ok;
    unsigned i = w->n++;
    const uint64_t *regs = w->ctx->pdpte;
    w->gpa[i] = gpa;
    w->has_a[i] = false;
    if (w->mode == MODE_PAE && i == 0 && regs) {
        *v = regs[(w->la >> 30) & 3];
        w->val[i] = *v;
        return true;
    }
    if (!walk_xlate(w, gpa, false, &addr)) {
        return false;
    }
    *v = walk_ld(w, addr, &ok);
    w->val[i] = *v;
    if (!ok) {
        w->fault = WALK_PF_P | WALK_PF_RSVD;
        return false;
    }
    return true;
}

static void walk_combine(Walker *w, LevelKind kind, uint64_t v)
{
    if (kind == LV_PAE_PDPT) {
        return; /* no access-rights bits in a PAE PDPTE */
    }
    w->has_a[w->n - 1] = true;
    w->rw &= (v & WALK_PTE_RW) != 0;
    w->us &= (v & WALK_PTE_US) != 0;
    if (w->nxe && (v & WALK_PTE_XD)) {
        w->xd = true;
    }
}

static bool walk_tables(Walker *w, const WalkLevel *lv, unsigned nlev)
{
    uint64_t table = walk_first_table(w);
    for (unsigned i = 0; i < nlev && i < WALK_MAX_LEVELS; i++) {
        uint64_t idx = (w->la >> lv[i].shift) & MASK(lv[i].bits);
        uint64_t v;
        if (!walk_fetch(w, table + idx * w->esize, &v)) {
            return false;
        }
        if (!(v & WALK_PTE_P)) {
            w->fault = 0;
            return false;
        }
        bool large = walk_is_large(w, lv[i].kind, v);
        if (v & rsvd_bits(w, lv[i].kind, large)) {
            w->fault = WALK_PF_P | WALK_PF_RSVD;
            return false;
        }
        walk_combine(w, lv[i].kind, v);
        if (large || lv[i].kind == LV_PT) {
            walk_leaf(w, &lv[i], v, large);
            return true;
        }
        table = v & walk_addr_mask(w) & ~0xfffull;
    }
    return false; /* not reached: the last level is always LV_PT */
}

/* ---- permissions (SDM 4.6) ---- */

static bool walk_user_access(const WalkCtx *ctx)
{
    return ctx->cpl == 3 && !ctx->implicit;
}

/*
 * Protection keys (SDM 4.6.2): data accesses in 4/5-level paging, to user
 * pages by PKRU under CR4.PKE, to supervisor pages by IA32_PKRS under
 * CR4.PKS (user-mode accesses to those fault anyway).
 */
static bool walk_pk_denies(const Walker *w, WalkAccess acc)
{
    const WalkCtx *ctx = w->ctx;
    uint64_t on = w->us ? WALK_CR4_PKE : WALK_CR4_PKS;
    if (acc == WALK_EXEC || !(ctx->cr4 & on) ||
        (w->mode != MODE_4L && w->mode != MODE_5L)) {
        return false;
    }
    uint32_t rights = (w->us ? ctx->pkru : ctx->pkrs) >> (2 * w->pkey);
    if (rights & 1) {
        return true; /* access disable */
    }
    return (rights & 2) && acc == WALK_WRITE &&
           (walk_user_access(ctx) || (ctx->cr0 & WALK_CR0_WP));
}

static bool walk_smap_denies(const WalkCtx *ctx)
{
    /* AC lifts SMAP for explicit accesses only (SDM 4.6.1) */
    return (ctx->cr4 & WALK_CR4_SMAP) && (ctx->implicit || !ctx->ac);
}

/* the ordinary (non-PK) checks; true when the access is refused */
static bool walk_rights_deny(const Walker *w, WalkAccess acc)
{
    const WalkCtx *ctx = w->ctx;
    bool wp = (ctx->cr0 & WALK_CR0_WP) != 0;
    if (walk_user_access(ctx)) {
        return !w->us || (acc == WALK_WRITE && !w->rw) ||
               (acc == WALK_EXEC && w->xd);
    }
    switch (acc) {
    case WALK_EXEC:
        return w->xd || (w->us && (ctx->cr4 & WALK_CR4_SMEP));
    case WALK_WRITE:
        if (!w->rw && wp) {
            return true;
        }
        return w->us && walk_smap_denies(ctx);
    case WALK_READ:
        return w->us && walk_smap_denies(ctx);
    }
    return true;
}

static uint32_t walk_error_bits(const Walker *w, WalkAccess acc)
{
    const WalkCtx *ctx = w->ctx;
    uint32_t e = 0;
    if (acc == WALK_WRITE) {
        e |= WALK_PF_W;
    }
    if (walk_user_access(ctx)) {
        e |= WALK_PF_U;
    }
    if (acc == WALK_EXEC &&
        ((ctx->cr4 & WALK_CR4_SMEP) || (w->mode != MODE_32 && w->nxe))) {
        e |= WALK_PF_I;
    }
    return e;
}

/* 0 when allowed, else the full error code */
static uint32_t walk_check(const Walker *w, WalkAccess acc)
{
    bool deny = walk_rights_deny(w, acc);
    bool pk = walk_pk_denies(w, acc);
    if (!deny && !pk) {
        return 0;
    }
    return WALK_PF_P | walk_error_bits(w, acc) | (pk ? WALK_PF_PK : 0);
}

/* ---- accessed and dirty bits (SDM 4.8) ---- */

/*
 * Set A on every entry that has one and D on the leaf for a write. Returns
 * false when an entry changed under us (caller walks again); `force` skips
 * that check on the last try.
 */
static bool walk_update_ad(Walker *w, bool force)
{
    for (unsigned i = 0; i < w->n; i++) {
        uint64_t bits = WALK_PTE_A;
        if (i == w->n - 1 && w->acc == WALK_WRITE) {
            bits |= WALK_PTE_D;
        }
        if (!w->has_a[i] || (w->val[i] | bits) == w->val[i]) {
            continue;
        }
        uint64_t addr, cur;
        bool ok;
        if (!walk_xlate(w, w->gpa[i], true, &addr)) {
            return true; /* the hook refused: reported by the caller */
        }
        cur = walk_ld(w, addr, &ok);
        if (!ok) {
            return true; /* the table left RAM: nothing to update */
        }
        if (cur != w->val[i] && !force) {
            return false;
        }
        if ((cur | bits) != cur) {
            (void)as_st(w->ctx->as, addr, cur | bits, w->esize, w->ctx->attrs);
        }
        w->val[i] = cur | bits;
    }
    return true;
}

/* ---- entry point ---- */

static WalkMode walk_mode(const WalkCtx *ctx)
{
    if (!(ctx->cr4 & WALK_CR4_PAE)) {
        return MODE_32;
    }
    if (!(ctx->efer & WALK_EFER_LMA)) {
        return MODE_PAE;
    }
    return (ctx->cr4 & WALK_CR4_LA57) ? MODE_5L : MODE_4L;
}

static void walk_init(Walker *w, const WalkCtx *ctx, uint64_t la,
                      WalkAccess acc)
{
    /* field by field: the per-level arrays are written before use */
    w->ctx = ctx;
    w->acc = acc;
    w->n = 0;
    w->rw = w->us = true;
    w->xd = false;
    w->pkey = 0;
    w->fault = 0;
    w->table_fault = 0;
    w->have_sec = false;
    w->mode = walk_mode(ctx);
    w->m =
        ctx->maxphyaddr ? MIN(ctx->maxphyaddr, 52u) : WALK_MAXPHYADDR_DEFAULT;
    w->m = MAX(w->m, 32u);
    w->nxe = w->mode != MODE_32 && (ctx->efer & WALK_EFER_NXE);
    w->esize = w->mode == MODE_32 ? 4 : 8;
    w->la = w->mode == MODE_32 || w->mode == MODE_PAE ? la & MASK(32) : la;
}

static bool walk_once(Walker *w)
{
    switch (w->mode) {
    case MODE_32:
        return walk_tables(w, levels_32, ARRAY_LEN(levels_32));
    case MODE_PAE:
        return walk_tables(w, levels_pae, ARRAY_LEN(levels_pae));
    case MODE_4L:
        return walk_tables(w, levels_long + 1, ARRAY_LEN(levels_long) - 1);
    case MODE_5L:
        return walk_tables(w, levels_long, ARRAY_LEN(levels_long));
    }
    return false;
}

static unsigned walk_perms(const Walker *w, bool dirty)
{
    unsigned p = 0;
    if (!walk_check(w, WALK_READ)) {
        p |= WALK_PERM_R;
    }
    if (!walk_check(w, WALK_WRITE) && dirty) {
        p |= WALK_PERM_W;
    }
    if (!walk_check(w, WALK_EXEC)) {
        p |= WALK_PERM_X;
    }
    return p;
}

static void walk_fill(const Walker *w, uint64_t la, WalkResult *out)
{
    bool dirty = (w->val[w->n - 1] & WALK_PTE_D) != 0;
    out->page_size = w->page_size;
    out->page_phys = w->page_phys;
    out->phys = w->page_phys | (la & (w->page_size - 1));
    out->writable = w->rw;
    out->user = w->us;
    out->executable = !w->xd;
    out->pkey = w->pkey;
    out->levels = w->n;
    out->perm = walk_perms(w, dirty);
    out->global =
        (w->ctx->cr4 & WALK_CR4_PGE) && (w->val[w->n - 1] & WALK_PTE_G);
}

static void walk_unpaged(uint64_t la, WalkResult *out)
{
    out->phys = out->page_phys = la & MASK(32) & ~(PAGE_4K - 1);
    out->phys |= la & (PAGE_4K - 1);
    out->page_size = PAGE_4K;
    out->perm = WALK_PERM_R | WALK_PERM_W | WALK_PERM_X;
    out->writable = out->user = out->executable = true;
    out->global = false;
}

static WalkStatus walk_fault(const Walker *w, uint32_t err, WalkResult *out)
{
    if (w->table_fault) {
        out->table_fault = w->table_fault;
        out->table_gpa = w->table_gpa;
        return WALK_TABLE_FAULT;
    }
    out->error_code = err;
    out->cr2 = w->la;
    out->levels = w->n;
    TRACE(LOG_MMU, "walk: #PF la=0x%" PRIx64 " err=0x%x\n", w->la, err);
    return WALK_PAGE_FAULT;
}

WalkStatus walk_translate(const WalkCtx *ctx, uint64_t la, WalkAccess acc,
                          WalkResult *out)
{
    Walker w;
    *out = (WalkResult){0};
    if (!(ctx->cr0 & WALK_CR0_PG)) {
        walk_unpaged(la, out);
        return WALK_OK;
    }
    for (unsigned tries = 1; tries <= WALK_AD_TRIES; tries++) {
        walk_init(&w, ctx, la, acc);
        if (!walk_once(&w)) {
            return walk_fault(&w, w.fault | walk_error_bits(&w, acc), out);
        }
        uint32_t err = walk_check(&w, acc);
        if (err) {
            return walk_fault(&w, err, out);
        }
        if (ctx->no_ad || walk_update_ad(&w, tries == WALK_AD_TRIES)) {
            break;
        }
    }
    if (w.table_fault) {
        return walk_fault(&w, 0, out);
    }
    walk_fill(&w, la, out);
    return WALK_OK;
}

/* ---- the PAE PDPTE registers ---- */

bool walk_pae_load_pdptes(AddrSpace *as, uint64_t cr3, unsigned maxphyaddr,
                          uint64_t out[4])
{
    unsigned m = maxphyaddr ? MIN(maxphyaddr, 52u) : WALK_MAXPHYADDR_DEFAULT;
    uint64_t rsvd = (~0ull & ~MASK(m)) | 0x6 | 0x1e0;
    uint64_t table = cr3 & 0xffffffe0ull, v[4];
    for (unsigned i = 0; i < 4; i++) {
        uint64_t a = table + 8 * i;
        MemSection sec = as_find(as, a);
        MemTxResult res = MEMTX_ERROR;
        v[i] = ~0ull;
        if (sec.mr && mr_is_ram(sec.mr)) {
            v[i] = as_ld(as, a, 8, MEMATTRS_CPU, &res);
        }
        if (res != MEMTX_OK) {
            log_guest_error("walk", "PDPTE at 0x%" PRIx64 " is not in RAM", a);
            return false;
        }
        if ((v[i] & WALK_PTE_P) && (v[i] & rsvd)) {
            log_guest_error("walk",
                            "PDPTE %u = 0x%" PRIx64 " has reserved bits set", i,
                            v[i]);
            return false;
        }
    }
    memcpy(out, v, sizeof(v));
    return true;
}
