/*
 * The softmmu TLB: fills from a real 4-level walk, hits through the exact
 * fast-path sequence of generated code (tcg_tlb_entry + tcg_tlb_cmp +
 * addend), MMIO and ROM through the slow path, page-crossing accesses, the
 * victim TLB, flushes (page, large page, whole) and the code-protect tag.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tlb_fixture.h"

#define K MMU_IDX_KERNEL
#define VA 0x0000123400000000ull

Test(tlb, fill_then_fast_hit)
{
    map_page(VA, 0x200000, 0x1000, PTE_RWU);
    as_st64(as, 0x200010, 0x1122334455667788ull);
    cr_assert_null(fast_path(K, VA + 0x10, 8, false));
    cr_assert_eq(tlb_ld_slow(env, VA + 0x10, mo(8, K), 0),
                 0x1122334455667788ull);
    cr_assert_eq(env->tlb.stats.walks, 1);
    /* now generated code hits, and its host pointer is guest RAM */
    uint8_t *h = fast_path(K, VA + 0x18, 8, false);
    cr_assert_not_null(h);
    cr_assert_eq(h, mr_ram_ptr(ram) + 0x200018);
    uint32_t v;
    memcpy(&v, fast_path(K, VA + 0x10, 4, false), 4);
    cr_assert_eq(v, 0x55667788);
    cr_assert_eq(tlb_ld_slow(env, VA + 0x11, mo(1, K), 0), 0x77);
    cr_assert_eq(env->tlb.stats.walks, 1);
    /* other MMU indexes are separate */
    cr_assert_null(fast_path(MMU_IDX_USER, VA + 0x10, 8, false));
}

Test(tlb, first_write_walks_again_and_sets_dirty)
{
    uint64_t pte = map_page(VA, 0x201000, 0x1000, PTE_RWU);
    (void)tlb_ld_slow(env, VA, mo(4, K), 0);
    cr_assert_eq(as_ld64(as, pte) & WALK_PTE_D, 0);
    /* a clean page is not writable from the fast path */
    cr_assert_null(fast_path(K, VA + 8, 4, true));
    tlb_st_slow(env, VA + 8, 0xcafef00d, mo(4, K), 0);
    cr_assert_eq(as_ld32(as, 0x201008), 0xcafef00d);
    cr_assert_neq(as_ld64(as, pte) & WALK_PTE_D, 0);
    cr_assert_eq(env->tlb.stats.walks, 2);
    uint32_t *h = fast_path(K, VA + 12, 4, true);
    cr_assert_not_null(h);
    *h = 0x600d;
    cr_assert_eq(as_ld32(as, 0x20100c), 0x600d);
    cr_assert_not_null(fast_path(K, VA + 12, 4, false));
}

Test(tlb, mmio_goes_through_the_address_space)
{
    map_page(VA, MMIO_BASE, 0x1000, PTE_RWU);
    uint64_t v = tlb_ld_slow(env, VA + 0x20, mo(4, K), 0);
    cr_assert_eq(mmio.reads, 1);
    cr_assert_eq(mmio.addr, 0x20);
    cr_assert_eq(mmio.size, 4);
    cr_assert_eq(v, (uint32_t)(0xa5a5a5a5a5a5a5a5ull ^ 0x20));
    /* the entry is filled but tagged: the fast path keeps missing */
    TlbEntry *e = tcg_tlb_entry(&env->tlb_fast[K], VA);
    cr_assert_eq(e->addr_read & TCG_PAGE_MASK, VA);
    cr_assert_neq(e->addr_read & TLB_MMIO, 0);
    cr_assert_null(fast_path(K, VA + 0x20, 4, false));
    tlb_st_slow(env, VA + 0x30, 0xbeef, mo(2, K), 0);
    cr_assert_eq(mmio.writes, 1);
    cr_assert_eq(mmio.addr, 0x30);
    cr_assert_eq(mmio.val, 0xbeef);
    cr_assert_eq(mmio.size, 2);
    cr_assert_eq(env->tlb.stats.walks, 2); /* read fill, then write fill */
    cr_assert_eq(env->tlb.stats.mmio, 2);
    cr_assert_null(tlb_probe(env, VA, WALK_READ, K, 0));
}

Test(tlb, rom_reads_fast_writes_dropped)
{
    map_page(VA, ROM_BASE, 0x1000, PTE_RWU);
    cr_assert_eq(tlb_ld_slow(env, VA, mo(4, K), 0), 0);
    cr_assert_not_null(fast_path(K, VA, 4, false));
    tlb_st_slow(env, VA, 0x12345678, mo(4, K), 0);
    cr_assert_null(fast_path(K, VA, 4, true));
    cr_assert_eq(tlb_ld_slow(env, VA, mo(4, K), 0), 0);
}

Test(tlb, page_crossing_load_and_store)
{
    /* two virtually adjacent pages, far apart physically */
    map_page(VA, 0x300000, 0x1000, PTE_RWU);
    map_page(VA + 0x1000, 0x100000, 0x1000, PTE_RWU);
    as_st64(as, 0x300ff8, 0x0706050403020100ull);
    as_st64(as, 0x100000, 0x0f0e0d0c0b0a0908ull);
    uint64_t va = VA + 0xffd;
    cr_assert_null(fast_path(K, VA + 0xffd, 8, false));
    cr_assert_eq(tlb_ld_slow(env, va, mo(8, K), 0), 0x0c0b0a0908070605ull);
    /* both pages are in the TLB now, yet the crossing access still misses */
    cr_assert_not_null(fast_path(K, VA + 0xff8, 8, false));
    cr_assert_not_null(fast_path(K, VA + 0x1000, 8, false));
    cr_assert_null(fast_path(K, va, 8, false));
    cr_assert_null(fast_path(K, VA + 0xfff, 2, false));
    tlb_st_slow(env, VA + 0xffe, 0xddccbbaa, mo(4, K), 0);
    cr_assert_eq(as_ld16(as, 0x300ffe), 0xbbaa);
    cr_assert_eq(as_ld16(as, 0x100000), 0xddcc);
    cr_assert_eq(as_ld8(as, 0x100002), 0x0a);
}

Test(tlb, crossing_into_mmio)
{
    map_page(VA, 0x300000, 0x1000, PTE_RWU);
    map_page(VA + 0x1000, MMIO_BASE, 0x1000, PTE_RWU);
    as_st16(as, 0x300ffe, 0x2211);
    uint64_t v = tlb_ld_slow(env, VA + 0xffe, mo(4, K), 0);
    uint64_t m = 0xa5a5a5a5a5a5a5a5ull;
    cr_assert_eq(v & 0xffff, 0x2211);
    cr_assert_eq(v >> 16, (m & 0xffff) ^ 0, "0x%lx", (unsigned long)v);
    cr_assert_eq(mmio.addr, 0);
}

Test(tlb, flush_page_and_flush)
{
    uint64_t pte = map_page(VA, 0x202000, 0x1000, PTE_RWU);
    as_st32(as, 0x202000, 111);
    as_st32(as, 0x203000, 222);
    cr_assert_eq(tlb_ld_slow(env, VA, mo(4, K), 0), 111);
    /* the guest changes its PTE: stale until INVLPG, as on hardware */
    as_st64(as, pte, 0x203000 | PTE_RWU);
    cr_assert_eq(*(uint32_t *)fast_path(K, VA, 4, false), 111);
    tlb_flush_page(env, VA + 0x123);
    cr_assert_null(fast_path(K, VA, 4, false));
    cr_assert_eq(tlb_ld_slow(env, VA, mo(4, K), 0), 222);
    /* a flush of another page leaves this one alone */
    tlb_flush_page(env, VA + 0x1000);
    cr_assert_not_null(fast_path(K, VA, 4, false));
    tlb_flush(env);
    cr_assert_null(fast_path(K, VA, 4, false));
}

Test(tlb, large_page_flush_covers_the_whole_page)
{
    map_page(VA, 0x400000, 0x200000, PTE_RWU);
    as_st32(as, 0x400000 + 0x5000, 5);
    cr_assert_eq(tlb_ld_slow(env, VA + 0x5000, mo(4, K), 0), 5);
    (void)tlb_ld_slow(env, VA + 0x9000, mo(4, K), 0);
    cr_assert_not_null(fast_path(K, VA + 0x5000, 4, false));
    cr_assert_not_null(fast_path(K, VA + 0x9000, 4, false));
    /* INVLPG of any address in the 2 MiB page drops every 4 KiB piece */
    tlb_flush_page(env, VA + 0x1ff000);
    cr_assert_null(fast_path(K, VA + 0x5000, 4, false));
    cr_assert_null(fast_path(K, VA + 0x9000, 4, false));
}

Test(tlb, victim_serves_a_conflict_miss)
{
    uint64_t stride = (uint64_t)TLB_ENTRIES_DEFAULT << 12; /* same slot */
    map_page(VA, 0x204000, 0x1000, PTE_RWU);
    map_page(VA + stride, 0x205000, 0x1000, PTE_RWU);
    as_st32(as, 0x204000, 1);
    as_st32(as, 0x205000, 2);
    cr_assert_eq(tcg_tlb_entry(&env->tlb_fast[K], VA),
                 tcg_tlb_entry(&env->tlb_fast[K], VA + stride));
    cr_assert_eq(tlb_ld_slow(env, VA, mo(4, K), 0), 1);
    cr_assert_eq(tlb_ld_slow(env, VA + stride, mo(4, K), 0), 2);
    cr_assert_null(fast_path(K, VA, 4, false));
    cr_assert_eq(tlb_ld_slow(env, VA, mo(4, K), 0), 1);
    cr_assert_eq(env->tlb.stats.walks, 2);
    cr_assert_eq(env->tlb.stats.victim_hits, 1);
    cr_assert_not_null(fast_path(K, VA, 4, false));
    /* the swapped-out page is in the victim TLB in turn */
    cr_assert_eq(tlb_ld_slow(env, VA + stride, mo(4, K), 0), 2);
    cr_assert_eq(env->tlb.stats.victim_hits, 2);
    /* a page flush also reaches the victim TLB */
    tlb_flush_page(env, VA);
    cr_assert_eq(tlb_ld_slow(env, VA, mo(4, K), 0), 1);
    cr_assert_eq(env->tlb.stats.walks, 3);
}

Test(tlb, code_protect_tag)
{
    map_page(VA, 0x206000, 0x1000, PTE_RWU | WALK_PTE_D);
    mr_set_code(ram, 0x206000);
    as_st32(as, 0x206040, 0x90909090);
    code_writes = 0;
    cr_assert_eq(tlb_ld_slow(env, VA + 0x40, mo(4, K), 0), 0x90909090);
    tlb_st_slow(env, VA + 0x40, 0xcc, mo(1, K), 0);
    TlbEntry *e = tcg_tlb_entry(&env->tlb_fast[K], VA);
    cr_assert_eq(e->addr_write, VA | TLB_CODE);
    cr_assert_eq(e->addr_read, VA); /* reads stay on the fast path */
    cr_assert_null(fast_path(K, VA + 0x40, 1, true));
    cr_assert_eq(as_ld32(as, 0x206040), 0x909090cc);
    cr_assert_eq(code_writes, 1);
    cr_assert_null(tlb_probe(env, VA, WALK_WRITE, K, 0));
    cr_assert_not_null(tlb_probe(env, VA, WALK_READ, K, 0));
}

Test(tlb, unpaged_with_a20_masked)
{
    env->cr[0] = CR0_PE | CR0_ET;
    env->efer = 0;
    cpu_update_hflags(env);
    tlb_flush(env);
    as_st32(as, 0x000100, 0xa20);
    as_st32(as, 0x100100, 0xb20);
    cr_assert_eq(tlb_ld_slow(env, 0x100100, mo(4, K), 0), 0xb20);
    env->a20_mask = ~(1ull << 20);
    tlb_flush(env);
    cr_assert_eq(tlb_ld_slow(env, 0x100100, mo(4, K), 0), 0xa20);
    cr_assert_eq(tlb_code_phys(env, 0x100123, K, 0), 0x123);
}

Test(tlb, code_phys_and_stats)
{
    map_page(VA, 0x207000, 0x1000, PTE_RWU);
    cr_assert_eq(tlb_code_phys(env, VA + 0x456, K, 0), 0x207456);
    TlbEntry *e = tcg_tlb_entry(&env->tlb_fast[K], VA);
    cr_assert_eq(e->addr_code, VA);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    tlb_stats_print(env, f);
    fclose(f);
    cr_assert(strstr(buf, "walks 1") != NULL, "%s", buf);
    free(buf);
}

Test(tlb, protect_code_after_fill)
{
    map_page(VA, 0x208000, 0x1000, PTE_RWU | WALK_PTE_D);
    tlb_st_slow(env, VA, 1, mo(4, K), 0);
    cr_assert_not_null(fast_path(K, VA, 4, true));
    /* a TB appears on the page: writes must leave the fast path */
    mr_set_code(ram, 0x208000);
    tlb_protect_code(env, 0x208000);
    cr_assert_null(fast_path(K, VA, 4, true));
    cr_assert_not_null(fast_path(K, VA, 4, false));
    code_writes = 0;
    tlb_st_slow(env, VA, 2, mo(4, K), 0);
    cr_assert_eq(code_writes, 1);
    cr_assert_eq(as_ld32(as, 0x208000), 2);
    /* its blocks are gone: back to the fast path */
    mr_clear_code(ram, 0x208000);
    tlb_unprotect_code(env, 0x208000);
    cr_assert_not_null(fast_path(K, VA, 4, true));
}
