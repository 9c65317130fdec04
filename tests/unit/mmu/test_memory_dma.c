/*
 * DMA and tracking: as_map of RAM (direct pointer) and of MMIO (bounce
 * buffer filled from the callbacks, written back on unmap), IOMMU regions
 * with a test translate that permits, denies and redirects (and a loop that
 * must stop), dirty bitmaps per client, and the code bitmap with its hook.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "memtest.h"

static MemRegion *root, *ram;
static AddrSpace *as;
static RecDev dev;

#define RAM_SIZE 0x10000
#define DEV_BASE 0x100000

static void setup(void)
{
    root = mr_new_container("root", UINT64_MAX);
    ram = mr_new_ram("ram", RAM_SIZE);
    mr_add_subregion(root, 0, ram, 0);
    rec_init(&dev, 1, 4, false, 1, 4, false);
    mr_add_subregion(root, DEV_BASE,
                     mr_new_io("dev", REC_BYTES, &dev.ops, &dev), 0);
    as = as_new("memory", root);
}

static void teardown(void)
{
    as_free(as);
    mr_free_tree(root);
}

TestSuite(dma, .init = setup, .fini = teardown, .timeout = 10);

/* ---- as_map ---- */

Test(dma, map_ram_is_direct)
{
    uint64_t len = 0x100;
    uint8_t *p = as_map(as, 0x2000, &len, true, MEMATTRS_DMA(0x10));
    cr_assert_eq(p, mr_ram_ptr(ram) + 0x2000);
    cr_assert_eq(len, 0x100);
    (void)mr_test_and_clear_dirty(ram, 0, RAM_SIZE, DIRTY_VGA);
    p[0] = 0x77;
    as_unmap(as, p, len, true, 1);
    cr_assert_eq(as_ld8(as, 0x2000), 0x77);
    cr_assert(mr_test_and_clear_dirty(ram, 0x2000, 1, DIRTY_VGA));
    cr_assert_not(mr_test_and_clear_dirty(ram, 0x3000, 0x1000, DIRTY_VGA));
    /* len shrinks to the end of the region */
    len = 0x10000;
    p = as_map(as, RAM_SIZE - 0x10, &len, false, MEMATTRS_DMA(0x10));
    cr_assert_eq(p, mr_ram_ptr(ram) + RAM_SIZE - 0x10);
    cr_assert_eq(len, 0x10);
    as_unmap(as, p, len, false, len);
}

Test(dma, map_unassigned_fails)
{
    uint64_t len = 0x10;
    cr_assert_null(as_map(as, 0x900000, &len, false, MEMATTRS_DMA(0)));
    cr_assert_eq(len, 0);
}

Test(dma, map_mmio_bounces)
{
    uint64_t len = 8;
    uint8_t *p = as_map(as, DEV_BASE + 8, &len, false, MEMATTRS_DMA(0));
    cr_assert_not_null(p);
    cr_assert_eq(len, 8);
    for (int i = 0; i < 8; i++) {
        cr_assert_eq(p[i], pattern_byte(8 + i));
    }
    cr_assert_eq(dev.n, 2);
    ASSERT_CALL(&dev, 0, false, 8, 4);
    ASSERT_CALL(&dev, 1, false, 12, 4);
    as_unmap(as, p, len, false, len);
    cr_assert_eq(dev.n, 2, "a read unmap writes nothing back");

    len = 8;
    p = as_map(as, DEV_BASE + 16, &len, true, MEMATTRS_DMA(0));
    cr_assert_eq(dev.n, 2, "a write map reads nothing");
    memcpy(p, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    as_unmap(as, p, len, true, 6); /* only 6 bytes were produced */
    cr_assert_eq(dev.n, 4);
    ASSERT_CALL(&dev, 2, true, 16, 4);
    cr_assert_eq(dev.calls[2].val, 0x04030201);
    ASSERT_CALL(&dev, 3, true, 20, 2);
    cr_assert_eq(dev.calls[3].val, 0x0605);
    cr_assert_eq(dev.bytes[22], pattern_byte(22));
}

Test(dma, map_bounce_is_capped)
{
    MemRegion *big = mr_new_io("big", 0x100000, &dev.ops, &dev);
    mr_add_subregion(root, 0x1000000, big, 0);
    uint64_t len = 0x100000;
    uint8_t *p = as_map(as, 0x1000000, &len, true, MEMATTRS_DMA(0));
    cr_assert_not_null(p);
    cr_assert_eq(len, 64 * 1024);
    as_unmap(as, p, len, true, 0);
    cr_assert_eq(dev.n, 0);
}

Test(dma, map_rom_for_write_bounces)
{
    MemRegion *rom = mr_new_rom("rom", 0x1000);
    memset(mr_ram_ptr(rom), 0xee, 0x1000);
    mr_add_subregion(root, 0x200000, rom, 0);
    uint64_t len = 4;
    uint8_t *p = as_map(as, 0x200000, &len, false, MEMATTRS_DMA(0));
    cr_assert_eq(p, mr_ram_ptr(rom), "reads of ROM are direct");
    as_unmap(as, p, len, false, 4);
    len = 4;
    p = as_map(as, 0x200000, &len, true, MEMATTRS_DMA(0));
    cr_assert_neq(p, mr_ram_ptr(rom));
    memset(p, 0, 4);
    as_unmap(as, p, len, true, 4);
    cr_assert_eq(as_ld32(as, 0x200000), 0xeeeeeeee);
}

/* ---- IOMMU ---- */

typedef struct TestIommu {
    AddrSpace *target;
    unsigned calls;
    unsigned last_access;
    MemAttrs last_attrs;
} TestIommu;

/*
 * iova 0x0000-0x0fff: RW, to target 0x4000 (4 KiB page)
 * iova 0x1000-0x1fff: read-only, to target 0x1000
 * iova 0x2000-0x2fff: RW, to DEV_BASE (MMIO)
 * anything else: no access
 */
static IommuTlbEntry test_translate(void *opaque, uint64_t addr,
                                    unsigned access, MemAttrs attrs)
{
    TestIommu *t = opaque;
    t->calls++;
    t->last_access = access;
    t->last_attrs = attrs;
    IommuTlbEntry e = {
        .target_as = t->target, .iova = addr & ~0xfffull, .addr_mask = 0xfff};
    switch (addr >> 12) {
    case 0:
        e.translated_addr = 0x4000;
        e.perm = IOMMU_RW;
        break;
    case 1:
        e.translated_addr = 0x1000;
        e.perm = IOMMU_RO;
        break;
    case 2:
        e.translated_addr = DEV_BASE;
        e.perm = IOMMU_RW;
        break;
    default:
        e.perm = IOMMU_NONE;
        break;
    }
    return e;
}

static const IommuOps test_iommu_ops = {.translate = test_translate};

typedef struct DmaSpace {
    MemRegion *root;
    AddrSpace *as;
    TestIommu t;
} DmaSpace;

static void dma_space_init(DmaSpace *d, AddrSpace *target)
{
    d->t = (TestIommu){.target = target};
    d->root = mr_new_container("dma-root", UINT64_MAX);
    mr_add_subregion(d->root, 0,
                     mr_new_iommu("iommu", UINT64_MAX, &test_iommu_ops, &d->t),
                     0);
    d->as = as_new("dma", d->root);
}

static void dma_space_fini(DmaSpace *d)
{
    as_free(d->as);
    mr_free_tree(d->root);
}

Test(dma, iommu_permits_and_redirects)
{
    DmaSpace d;
    dma_space_init(&d, as);
    as_st32(as, 0x4010, 0xcafef00d);
    MemTxResult res;
    uint64_t v = as_ld(d.as, 0x10, 4, MEMATTRS_DMA(0x28), &res);
    cr_assert_eq(res, MEMTX_OK);
    cr_assert_eq(v, 0xcafef00d);
    cr_assert_eq(d.t.last_access, IOMMU_RO);
    cr_assert_eq(d.t.last_attrs.requester_id, 0x28);
    cr_assert(d.t.last_attrs.dma);
    cr_assert_eq(as_st(d.as, 0x20, 0x1234, 2, MEMATTRS_DMA(0x28)), MEMTX_OK);
    cr_assert_eq(d.t.last_access, IOMMU_WO);
    cr_assert_eq(as_ld16(as, 0x4020), 0x1234);
    /* to MMIO behind the IOMMU */
    cr_assert_eq(as_ld(d.as, 0x2004, 4, MEMATTRS_DMA(1), NULL),
                 pattern_val(4, 4));
    ASSERT_CALL(&dev, 0, false, 4, 4);
    dma_space_fini(&d);
}

Test(dma, iommu_denies)
{
    DmaSpace d;
    dma_space_init(&d, as);
    as_st32(as, 0x1000, 0x11223344);
    MemTxResult res;
    cr_assert_eq(as_ld(d.as, 0x1000, 4, MEMATTRS_DMA(0), &res), 0x11223344);
    cr_assert_eq(res, MEMTX_OK);
    /* read-only page: a write is denied and memory unchanged */
    cr_assert_eq(as_st(d.as, 0x1000, 0, 4, MEMATTRS_DMA(0)),
                 MEMTX_ACCESS_DENIED);
    cr_assert_eq(as_ld32(as, 0x1000), 0x11223344);
    /* unmapped page: reads all-ones */
    cr_assert_eq(as_ld(d.as, 0x9000, 4, MEMATTRS_DMA(0), &res), 0xffffffff);
    cr_assert_eq(res, MEMTX_ACCESS_DENIED);
    /* a write across pages: the allowed part lands, the rest is denied */
    uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    res = as_write(d.as, 0x0ffc, buf, 8, MEMATTRS_DMA(0));
    cr_assert_eq(res, MEMTX_ACCESS_DENIED);
    cr_assert_eq(as_ld32(as, 0x4ffc), 0x04030201);
    cr_assert_eq(as_ld32(as, 0x1000), 0x11223344);
    /* a read across pages: readable page, then a page with no access */
    res = as_read(d.as, 0x2ffe, buf, 4, MEMATTRS_DMA(0));
    cr_assert_eq(res & MEMTX_ACCESS_DENIED, MEMTX_ACCESS_DENIED);
    cr_assert_eq(buf[2], 0xff);
    cr_assert_eq(buf[3], 0xff);
    uint64_t len = 16;
    cr_assert_null(as_map(d.as, 0x1000, &len, true, MEMATTRS_DMA(0)));
    cr_assert_eq(len, 0);
    dma_space_fini(&d);
}

Test(dma, iommu_map_direct_and_page_limited)
{
    DmaSpace d;
    dma_space_init(&d, as);
    uint64_t len = 0x2000;
    uint8_t *p = as_map(d.as, 0x800, &len, true, MEMATTRS_DMA(0));
    cr_assert_eq(p, mr_ram_ptr(ram) + 0x4800);
    cr_assert_eq(len, 0x800, "stops at the IOMMU page end");
    as_unmap(d.as, p, len, true, len);
    dma_space_fini(&d);
}

Test(dma, iommu_loop_is_bounded)
{
    DmaSpace d;
    dma_space_init(&d, NULL);
    d.t.target = d.as; /* translates into itself */
    MemTxResult res;
    uint64_t v = as_ld(d.as, 0x10, 4, MEMATTRS_DMA(0), &res);
    cr_assert_eq(v, 0xffffffff);
    cr_assert_neq(res, MEMTX_OK);
    cr_assert_leq(d.t.calls, 20);
    uint64_t len = 4;
    cr_assert_null(as_map(d.as, 0x10, &len, false, MEMATTRS_DMA(0)));
    dma_space_fini(&d);
}

/* ---- dirty and code tracking ---- */

Test(dma, dirty_per_client)
{
    cr_assert(mr_test_and_clear_dirty(ram, 0, RAM_SIZE, DIRTY_VGA),
              "new RAM starts dirty");
    cr_assert_not(mr_test_and_clear_dirty(ram, 0, RAM_SIZE, DIRTY_VGA));
    (void)mr_test_and_clear_dirty(ram, 0, RAM_SIZE, DIRTY_MIGRATE);
    as_st32(as, 0x3ffe, 1); /* touches pages 3 and 4 */
    cr_assert_not(mr_test_and_clear_dirty(ram, 0, 0x3000, DIRTY_VGA));
    cr_assert(mr_test_and_clear_dirty(ram, 0x3000, 0x1000, DIRTY_VGA));
    cr_assert(mr_test_and_clear_dirty(ram, 0x4000, 1, DIRTY_VGA));
    cr_assert_not(mr_test_and_clear_dirty(ram, 0x3000, 0x2000, DIRTY_VGA));
    /* the other client still sees them */
    cr_assert(mr_test_and_clear_dirty(ram, 0x4000, 0x1000, DIRTY_MIGRATE));
    uint8_t buf[0x1001] = {0};
    cr_assert_eq(as_write(as, 0x8000, buf, sizeof(buf), MEMATTRS_CPU),
                 MEMTX_OK);
    cr_assert(mr_test_and_clear_dirty(ram, 0x9000, 1, DIRTY_VGA));
    cr_assert_not(mr_test_and_clear_dirty(ram, 0xa000, 0x1000, DIRTY_VGA));
    /* reads do not dirty */
    (void)as_ld32(as, 0xb000);
    cr_assert_not(mr_test_and_clear_dirty(ram, 0xb000, 4, DIRTY_VGA));
    mr_set_dirty(ram, 0xc000, 0x2000);
    cr_assert(mr_test_and_clear_dirty(ram, 0xd000, 1, DIRTY_VGA));
}

typedef struct HookRec {
    int calls;
    MemRegion *mr;
    uint64_t off, len;
} HookRec;

static void code_hook(void *opaque, MemRegion *mr, uint64_t off, uint64_t len)
{
    HookRec *h = opaque;
    h->calls++;
    h->mr = mr;
    h->off = off;
    h->len = len;
}

Test(dma, code_bitmap_and_hook)
{
    HookRec h = {0};
    mem_set_code_write_hook(code_hook, &h);
    cr_assert_not(mr_is_code(ram, 0x5000));
    mr_set_code(ram, 0x5123);
    cr_assert(mr_is_code(ram, 0x5000));
    cr_assert(mr_is_code(ram, 0x5fff));
    cr_assert_not(mr_is_code(ram, 0x6000));
    as_st8(as, 0x6000, 1);
    cr_assert_eq(h.calls, 0);
    as_st16(as, 0x5ffe, 1);
    cr_assert_eq(h.calls, 1);
    cr_assert_eq(h.mr, ram);
    cr_assert_eq(h.off, 0x5ffe);
    cr_assert_eq(h.len, 2);
    uint64_t len = 4;
    uint8_t *p = as_map(as, 0x5800, &len, true, MEMATTRS_DMA(0));
    as_unmap(as, p, len, true, 4);
    cr_assert_eq(h.calls, 2);
    cr_assert_eq(h.off, 0x5800);
    mr_clear_code(ram, 0x5000);
    cr_assert_not(mr_is_code(ram, 0x5000));
    as_st8(as, 0x5000, 1);
    cr_assert_eq(h.calls, 2);
    mem_set_code_write_hook(NULL, NULL);
}

Test(dma, map_romd_write_goes_to_callbacks)
{
    RecDev fl;
    rec_init(&fl, 1, 4, false, 1, 4, false);
    MemRegion *m = mr_new_romd("flash", 0x1000, &fl.ops, &fl);
    memset(mr_ram_ptr(m), 0x5c, 0x1000);
    mr_add_subregion(root, 0x300000, m, 0);
    uint64_t len = 4;
    uint8_t *p = as_map(as, 0x300000, &len, false, MEMATTRS_DMA(0));
    cr_assert_eq(p, mr_ram_ptr(m), "romd reads map the array directly");
    as_unmap(as, p, len, false, len);
    len = 2;
    p = as_map(as, 0x300010, &len, true, MEMATTRS_DMA(0));
    cr_assert_neq(p, mr_ram_ptr(m) + 0x10);
    p[0] = 0x98;
    p[1] = 0x00;
    as_unmap(as, p, len, true, 2);
    cr_assert_eq(fl.n, 1);
    ASSERT_CALL(&fl, 0, true, 0x10, 2);
    cr_assert_eq(fl.calls[0].val, 0x98);
    cr_assert_eq(mr_ram_ptr(m)[0x10], 0x5c);
}

Test(dma, ram_from_caller_memory)
{
    uint8_t *host = aligned_alloc(MEM_PAGE_SIZE, 0x2000);
    memset(host, 0x3c, 0x2000);
    MemRegion *r = mr_new_ram_ptr("ext", 0x2000, host);
    cr_assert_eq(mr_ram_ptr(r), host);
    mr_add_subregion(root, 0x400000, r, 0);
    cr_assert_eq(as_ld32(as, 0x401ffc), 0x3c3c3c3c);
    as_st16(as, 0x400002, 0xbeef);
    cr_assert_eq(host[2], 0xef);
    cr_assert_eq(host[3], 0xbe);
    uint64_t len = 0x3000;
    cr_assert_eq(as_map(as, 0x401000, &len, true, MEMATTRS_DMA(0)),
                 host + 0x1000);
    cr_assert_eq(len, 0x1000);
    as_unmap(as, host + 0x1000, len, true, len);
    mr_del_subregion(root, r);
    mr_free(r);
    cr_assert_eq(host[2], 0xef, "caller memory outlives the region");
    free(host);
}
