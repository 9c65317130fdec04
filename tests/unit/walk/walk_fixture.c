/*
 * Shared fixture of the page-walker tests: a test address space (16 MiB of
 * RAM at 0, one MMIO page, unassigned space above), page-table builders for
 * every mode, and helpers that walk and check the #PF error code.
 */
#include <criterion/criterion.h>

#include "walk_fixture.h"

AddrSpace *as;
static MemRegion *root;
static uint64_t next_page;
WalkCtx ctx;
int mmio_reads;

static uint64_t mmio_read(void *opaque, uint64_t addr, unsigned size)
{
    mmio_reads++;
    return 0;
}

static const MemOps mmio_ops = {
    .read = mmio_read,
    .valid = {.min = 1, .max = 8},
    .impl = {.min = 1, .max = 8},
};

static void walk_setup(void)
{
    root = mr_new_container("sys", 1ull << 52);
    mr_add_subregion(root, 0, mr_new_ram("ram", RAM_SIZE), 0);
    mr_add_subregion(root, MMIO_BASE,
                     mr_new_io("mmio", 0x1000, &mmio_ops, NULL), 0);
    as = as_new("system", root);
    next_page = TABLES;
    mmio_reads = 0;
    walk_ctx_init(&ctx, as);
}

static void walk_teardown(void)
{
    as_free(as);
}

TestSuite(walk, .init = walk_setup, .fini = walk_teardown, .timeout = 10);

/* ---- page-table builders ---- */

uint64_t new_table(void)
{
    uint64_t p = next_page;
    next_page += 0x1000;
    cr_assert(next_page <= RAM_SIZE);
    return p;
}

static uint64_t rd(uint64_t a, unsigned esize)
{
    return esize == 4 ? as_ld32(as, a) : as_ld64(as, a);
}

static void wr(uint64_t a, uint64_t v, unsigned esize)
{
    if (esize == 4) {
        as_st32(as, a, (uint32_t)v);
    } else {
        as_st64(as, a, v);
    }
}

/*
 * Map la -> pa in a radix tree of `nlev` levels (index shifts in `shift`),
 * creating tables with TBL flags; the leaf sits at level `leaf` and gets
 * `flags`. Returns the address of the leaf entry.
 */
static uint64_t map_generic(uint64_t table, const unsigned *shift,
                            const unsigned *bits, unsigned leaf, unsigned esize,
                            uint64_t la, uint64_t pa, uint64_t flags)
{
    for (unsigned i = 0;; i++) {
        uint64_t e = table + ((la >> shift[i]) & MASK(bits[i])) * esize;
        if (i == leaf) {
            wr(e, pa | flags, esize);
            return e;
        }
        uint64_t v = rd(e, esize);
        if (!(v & WALK_PTE_P)) {
            v = new_table() | TBL;
            wr(e, v, esize);
        }
        table = v & 0x000ffffffffff000ull & MASK(esize * 8);
    }
}

static const unsigned long_shift[] = {48, 39, 30, 21, 12};
static const unsigned long_bits[] = {9, 9, 9, 9, 9};

/* 4-level (or 5-level when ctx.cr4 has LA57); size picks the leaf level */
uint64_t map_long(uint64_t la, uint64_t pa, uint64_t size, uint64_t flags)
{
    bool la57 = ctx.cr4 & WALK_CR4_LA57;
    unsigned first = la57 ? 0 : 1;
    unsigned leaf = size == (1ull << 30) ? 2 : size == (2ull << 20) ? 3 : 4;
    if (size != 0x1000) {
        flags |= WALK_PTE_PS;
    }
    return map_generic(ctx.cr3, long_shift + first, long_bits + first,
                       leaf - first, 8, la, pa, flags);
}

void long_mode(void)
{
    ctx.cr0 = CR0_PG_WP;
    ctx.cr4 = LONG_CR4;
    ctx.efer = LONG_EFER;
    ctx.cr3 = new_table();
}

/* entry address at depth d (0 = top) of a 4-level walk of la */
uint64_t long_entry(uint64_t la, unsigned d)
{
    uint64_t table = ctx.cr3 & ~0xfffull;
    for (unsigned i = 0;; i++) {
        uint64_t e = table + ((la >> long_shift[i + 1]) & 511) * 8;
        if (i == d) {
            return e;
        }
        table = as_ld64(as, e) & 0x000ffffffffff000ull;
    }
}

WalkResult res;

WalkStatus walk(uint64_t la, WalkAccess acc)
{
    return walk_translate(&ctx, la, acc, &res);
}

void expect_pf(uint64_t la, WalkAccess acc, uint32_t err)
{
    cr_assert_eq(walk(la, acc), WALK_PAGE_FAULT, "la 0x%llx acc %d",
                 (unsigned long long)la, acc);
    cr_assert_eq(res.error_code, err, "la 0x%llx: err 0x%x, want 0x%x",
                 (unsigned long long)la, res.error_code, err);
    cr_assert_eq(res.cr2, la);
}

static const unsigned pae_shift[] = {30, 21, 12};
static const unsigned pae_bits[] = {2, 9, 9};

void pae_mode(void)
{
    ctx.cr0 = CR0_PG_WP;
    ctx.cr4 = WALK_CR4_PAE;
    ctx.efer = WALK_EFER_NXE;
    ctx.cr3 = new_table() + 0x20; /* PDPT: 32-byte aligned */
}

uint64_t map_pae(uint64_t la, uint64_t pa, bool large, uint64_t flags)
{
    uint64_t e = ctx.cr3 + ((la >> 30) & 3) * 8;
    if (!(as_ld64(as, e) & WALK_PTE_P)) {
        as_st64(as, e, new_table() | WALK_PTE_P);
    }
    uint64_t pd = as_ld64(as, e) & ~0xfffull;
    return map_generic(pd, pae_shift + 1, pae_bits + 1, large ? 0 : 1, 8, la,
                       pa, flags | (large ? WALK_PTE_PS : 0));
}

static const unsigned p32_shift[] = {22, 12};
static const unsigned p32_bits[] = {10, 10};

void mode_32(uint64_t cr4)
{
    ctx.cr0 = CR0_PG_WP;
    ctx.cr4 = cr4;
    ctx.efer = 0;
    ctx.cr3 = new_table();
}

uint64_t map_32(uint64_t la, uint64_t pa, bool large, uint64_t flags)
{
    return map_generic(ctx.cr3, p32_shift, p32_bits, large ? 0 : 1, 4, la, pa,
                       flags | (large ? WALK_PTE_PS : 0));
}
