/*
 * The second-level TLB and first-level resizing: refills without a walk
 * after a first-level eviction, one walk for a whole 2 MiB page, INVLPG
 * (4 KiB and large), full flushes as on a CR3 write, the D bit on the
 * first write through a read-filled entry, code protection and permission
 * changes after a refill, and the table growing and shrinking by use.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tlb_fixture.h"

#define K MMU_IDX_KERNEL
#define U MMU_IDX_USER
#define VA 0x0000123400000000ull
/* pages that share VA's first-level slot but not its second-level one */
#define CONFLICT(m) (VA + ((uint64_t)(m)*TLB_ENTRIES_DEFAULT << 12))

/*
 * Push VA out of the first level and the victim TLB: 9 conflicting pages
 * never loaded before (a page still in the victim TLB would be swapped in
 * and leave VA there), none in VA's second-level slot (m % 4 != 0).
 */
static void evict_va(void)
{
    static unsigned next_m = 1;
    for (unsigned i = 0; i < 9; i++) {
        if (next_m % 4 == 0) {
            next_m++;
        }
        uint64_t va = CONFLICT(next_m++);
        map_page(va, 0x300000 + 0x1000 * i, 0x1000, PTE_RWU);
        (void)tlb_ld_slow(env, va, mo(4, K), 0);
    }
    cr_assert_null(fast_path(K, VA, 1, false));
    cr_assert_null(fast_path(K, VA, 1, true));
}

Test(tlb, l2_refills_after_eviction_without_walking)
{
    map_page(VA, 0x210000, 0x1000, PTE_RWU);
    as_st32(as, 0x210020, 0xabcd);
    cr_assert_eq(tlb_ld_slow(env, VA + 0x20, mo(4, K), 0), 0xabcd);
    evict_va();
    uint64_t walks = env->tlb.stats.walks, hits = env->tlb.stats.l2_hits;
    uint64_t victims = env->tlb.stats.victim_hits;
    cr_assert_eq(walks, 10);
    cr_assert_eq(tlb_ld_slow(env, VA + 0x20, mo(4, K), 0), 0xabcd);
    cr_assert_eq(env->tlb.stats.walks, walks);
    cr_assert_eq(env->tlb.stats.victim_hits, victims);
    cr_assert_eq(env->tlb.stats.l2_hits, hits + 1);
    cr_assert_eq(fast_path(K, VA + 0x20, 4, false), mr_ram_ptr(ram) + 0x210020);
    /* the second level is per MMU index: the user index walks */
    cr_assert_eq(tlb_ld_slow(env, VA + 0x20, mo(4, U), 0), 0xabcd);
    cr_assert_eq(env->tlb.stats.walks, walks + 1);
}

Test(tlb, l2_large_page_one_walk_for_all_pieces)
{
    map_page(VA, 0x400000, 0x200000, PTE_RWU);
    for (uint64_t p = 0; p < 512; p++) {
        as_st32(as, 0x400000 + (p << 12) + 8, (uint32_t)p * 3 + 1);
    }
    for (uint64_t p = 0; p < 512; p++) {
        cr_assert_eq(tlb_ld_slow(env, VA + (p << 12) + 8, mo(4, K), 0),
                     p * 3 + 1);
    }
    cr_assert_eq(env->tlb.stats.walks, 1);
    cr_assert_eq(env->tlb.stats.l2_hits, 511);
    for (uint64_t p = 0; p < 512; p++) {
        cr_assert_eq(fast_path(K, VA + (p << 12) + 8, 4, false),
                     mr_ram_ptr(ram) + 0x400000 + (p << 12) + 8);
    }
}

Test(tlb, l2_invlpg_in_a_large_page_drops_it)
{
    uint64_t pde = map_page(VA, 0x400000, 0x200000, PTE_RWU);
    as_st32(as, 0x400000 + 0x3000, 1);
    as_st32(as, 0x600000 + 0x3000, 2);
    cr_assert_eq(tlb_ld_slow(env, VA + 0x3000, mo(4, K), 0), 1);
    /* the guest remaps the 2 MiB page, then INVLPGs another 4 KiB of it */
    as_st64(as, pde, 0x600000 | PTE_RWU | WALK_PTE_PS);
    tlb_flush_page(env, VA + 0x1ff000);
    cr_assert_null(fast_path(K, VA + 0x3000, 4, false));
    cr_assert_eq(tlb_ld_slow(env, VA + 0x3000, mo(4, K), 0), 2);
    cr_assert_eq(env->tlb.stats.walks, 2);
    cr_assert_eq(env->tlb.stats.l2_hits, 0);
}

Test(tlb, l2_invlpg_of_a_small_page_drops_it)
{
    uint64_t pte = map_page(VA, 0x211000, 0x1000, PTE_RWU);
    as_st32(as, 0x211000, 1);
    as_st32(as, 0x212000, 2);
    cr_assert_eq(tlb_ld_slow(env, VA, mo(4, K), 0), 1);
    evict_va();
    as_st64(as, pte, 0x212000 | PTE_RWU);
    /* without INVLPG the cached translation may still be used */
    cr_assert_eq(tlb_ld_slow(env, VA, mo(4, K), 0), 1);
    evict_va();
    tlb_flush_page(env, VA);
    uint64_t walks = env->tlb.stats.walks;
    cr_assert_eq(tlb_ld_slow(env, VA, mo(4, K), 0), 2);
    cr_assert_eq(env->tlb.stats.walks, walks + 1);
}

Test(tlb, l2_flushed_with_cr3)
{
    map_page(VA, 0x213000, 0x1000, PTE_RWU);
    as_st32(as, 0x213000, 7);
    cr_assert_eq(tlb_ld_slow(env, VA, mo(4, K), 0), 7);
    /* a new address space where VA is not mapped: CR3 write + flush */
    uint64_t old = env->cr[3];
    env->cr[3] = TABLES + 0x3f0000; /* an all-zero PML4 */
    tlb_flush(env);
    cr_assert(RAISES_PF(tlb_ld_slow(env, VA, mo(4, K), 0)));
    cr_assert_eq(fault_cr2, VA);
    cr_assert_eq(fault_err & WALK_PF_P, 0);
    env->cr[3] = old;
    tlb_flush(env);
    cr_assert_eq(tlb_ld_slow(env, VA, mo(4, K), 0), 7);
    cr_assert_eq(env->tlb.stats.l2_hits, 0);
}

Test(tlb, l2_read_entry_walks_on_first_write_to_set_dirty)
{
    uint64_t pte = map_page(VA, 0x214000, 0x1000, PTE_RWU);
    (void)tlb_ld_slow(env, VA, mo(4, K), 0);
    evict_va();
    cr_assert_eq(as_ld64(as, pte) & WALK_PTE_D, 0);
    uint64_t walks = env->tlb.stats.walks;
    tlb_st_slow(env, VA + 4, 0x5555, mo(4, K), 0);
    cr_assert_eq(env->tlb.stats.walks, walks + 1);
    cr_assert_neq(as_ld64(as, pte) & WALK_PTE_D, 0);
    cr_assert_eq(as_ld32(as, 0x214004), 0x5555);
    /* now the second level holds a dirty, writable entry */
    evict_va();
    walks = env->tlb.stats.walks;
    tlb_st_slow(env, VA + 8, 0x6666, mo(4, K), 0);
    cr_assert_eq(env->tlb.stats.walks, walks);
    cr_assert_eq(as_ld32(as, 0x214008), 0x6666);
    cr_assert_not_null(fast_path(K, VA + 8, 4, true));
}

Test(tlb, l2_refill_applies_current_code_state)
{
    map_page(VA, 0x215000, 0x1000, PTE_RWU | WALK_PTE_D);
    tlb_st_slow(env, VA, 1, mo(4, K), 0);
    evict_va();
    /* a TB appears while the page is only in the second level */
    mr_set_code(ram, 0x215000);
    tlb_protect_code(env, 0x215000);
    code_writes = 0;
    uint64_t hits = env->tlb.stats.l2_hits;
    tlb_st_slow(env, VA, 2, mo(4, K), 0);
    cr_assert_eq(env->tlb.stats.l2_hits, hits + 1);
    cr_assert_eq(code_writes, 1);
    cr_assert_eq(as_ld32(as, 0x215000), 2);
    cr_assert_null(fast_path(K, VA, 4, true));
    cr_assert_not_null(fast_path(K, VA, 4, false));
    /* and the other way: the code is gone before the next refill */
    evict_va();
    mr_clear_code(ram, 0x215000);
    tlb_unprotect_code(env, 0x215000);
    tlb_st_slow(env, VA, 3, mo(4, K), 0);
    cr_assert_eq(code_writes, 1);
    cr_assert_not_null(fast_path(K, VA, 4, true));
}

Test(tlb, l2_permission_change_visible_after_flush)
{
    uint64_t pte = map_page(VA, 0x216000, 0x1000, PTE_RWU | WALK_PTE_D);
    tlb_st_slow(env, VA, 1, mo(4, K), 0);
    cr_assert_eq(tlb_ld_slow(env, VA, mo(4, U), 0), 1);
    evict_va();
    as_st64(as, pte, 0x216000 | WALK_PTE_P | WALK_PTE_A | WALK_PTE_D);
    tlb_flush(env);
    cr_assert(RAISES_PF(tlb_st_slow(env, VA, 2, mo(4, K), 0)));
    cr_assert_eq(fault_err, WALK_PF_P | WALK_PF_W);
    cr_assert(RAISES_PF(tlb_ld_slow(env, VA, mo(4, U), 0)));
    cr_assert_eq(fault_err, WALK_PF_P | WALK_PF_U);
    cr_assert_eq(as_ld32(as, 0x216000), 1);
    cr_assert_eq(tlb_ld_slow(env, VA, mo(4, K), 0), 1);
}

/* read one byte in each of n pages of [va, ...) mapped by 2 MiB pages */
static void touch_pages(uint64_t va, unsigned n)
{
    for (unsigned p = 0; p < n; p++) {
        (void)tlb_ld_slow(env, va + ((uint64_t)p << 12), mo(1, K), 0);
    }
}

Test(tlb, first_level_grows_under_pressure_and_shrinks_when_idle)
{
    for (uint64_t m = 0; m < 8; m++) {
        map_page(VA + (m << 21), 0x400000, 0x200000, PTE_RWU);
    }
    as_st32(as, 0x400000 + 0x1ff000, 0x77);
    /* 4096 distinct pages, twice: the 1024-entry table grows */
    touch_pages(VA, 4096);
    touch_pages(VA, 4096);
    TlbTable *t = &env->tlb.cur->t[K];
    cr_assert_gt(t->nentries, TLB_ENTRIES_DEFAULT);
    cr_assert_leq(t->nentries, TLB_ENTRIES_MAX);
    cr_assert_geq(env->tlb.stats.grows, 1);
    cr_assert_eq(env->tlb.cur->t[U].nentries, TLB_ENTRIES_DEFAULT);
    cr_assert_eq(env->tlb.stats.walks, 8);
    /* the generated-code view follows the new table */
    cr_assert_eq(env->tlb_fast[K].table, t->entries);
    cr_assert_eq(env->tlb_fast[K].mask,
                 (uintptr_t)(t->nentries - 1) * sizeof(TlbEntry));
    cr_assert_eq(*(uint32_t *)fast_path(K, VA + 0xfff000, 4, false), 0x77);
    uint32_t big = t->nentries;
    cr_assert_geq(big, 4096);
    /* once refilled (a resize starts empty), the 4096 pages all hit */
    touch_pages(VA, 4096);
    uint64_t misses = env->tlb.stats.misses;
    touch_pages(VA, 4096);
    cr_assert_eq(env->tlb.stats.misses, misses);
    tlb_flush(env); /* finds it full: no shrink */
    cr_assert_eq(t->nentries, big);
    /* flushes with almost nothing in use halve it back */
    for (unsigned i = 0; i < TLB_SHRINK_FLUSHES; i++) {
        touch_pages(VA, 2);
        tlb_flush(env);
    }
    cr_assert_eq(t->nentries, big / 2);
    cr_assert_eq(env->tlb.stats.shrinks, 1);
    for (unsigned i = 0; i < 64 * TLB_SHRINK_FLUSHES; i++) {
        tlb_flush(env);
    }
    cr_assert_eq(t->nentries, TLB_ENTRIES_DEFAULT);
    cr_assert_eq(tlb_ld_slow(env, VA + 0xfff000, mo(4, K), 0), 0x77);
    cr_assert_not_null(fast_path(K, VA + 0xfff000, 4, false));
}

Test(tlb, busy_flushes_do_not_shrink)
{
    for (uint64_t m = 0; m < 8; m++) {
        map_page(VA + (m << 21), 0x400000, 0x200000, PTE_RWU);
    }
    touch_pages(VA, 4096);
    touch_pages(VA, 4096);
    uint32_t big = env->tlb.cur->t[K].nentries;
    cr_assert_gt(big, TLB_ENTRIES_DEFAULT);
    for (unsigned i = 0; i < 2 * TLB_SHRINK_FLUSHES; i++) {
        touch_pages(VA, big / 4);
        tlb_flush(env);
    }
    cr_assert_eq(env->tlb.cur->t[K].nentries, big);
}

/*
 * A flush clears what was filled: below a quarter of the table the fill
 * log names the slots, above it the flush scans. Either way no entry
 * survives, and a non-global flush keeps exactly the global ones.
 */
Test(tlb, flush_clears_every_filled_slot_logged_or_scanned)
{
    map_page(VA, 0x400000, 0x200000, PTE_RWU);
    const unsigned counts[] = {3, TLB_ENTRIES_DEFAULT / 4 - 1,
                               TLB_ENTRIES_DEFAULT / 4 + 1, 500};
    for (size_t c = 0; c < ARRAY_LEN(counts); c++) {
        touch_pages(VA, counts[c]);
        for (unsigned p = 0; p < counts[c]; p++) {
            cr_assert_not_null(
                fast_path(K, VA + ((uint64_t)p << 12), 1, false));
        }
        if (c % 2) {
            tlb_flush(env);
        } else {
            tlb_flush_nonglobal(env); /* nothing here is global */
        }
        for (unsigned p = 0; p < counts[c]; p++) {
            cr_assert_null(fast_path(K, VA + ((uint64_t)p << 12), 1, false),
                           "%u pages: page %u survived", counts[c], p);
        }
    }
}

Test(tlb, nonglobal_flush_keeps_global_pages_in_every_level)
{
    env->cr[4] |= CR4_PGE;
    map_page(VA, 0x400000, 0x200000, PTE_RWU | WALK_PTE_G); /* global */
    map_page(VA + 0x200000, 0x600000, 0x200000, PTE_RWU);   /* not */
    for (unsigned round = 0; round < 2; round++) {
        /* round 1: more than the fill log holds, so the flush scans */
        unsigned n = round ? 400 : 20;
        touch_pages(VA, n);
        touch_pages(VA + 0x200000, n);
        uint64_t walks = env->tlb.stats.walks;
        tlb_flush_nonglobal(env);
        for (unsigned p = 0; p < n; p++) {
            cr_assert_not_null(
                fast_path(K, VA + ((uint64_t)p << 12), 1, false));
            cr_assert_null(
                fast_path(K, VA + 0x200000 + ((uint64_t)p << 12), 1, false));
        }
        /* the second level kept the global walk too */
        evict_va();
        walks = env->tlb.stats.walks;
        (void)tlb_ld_slow(env, VA, mo(1, K), 0);
        cr_assert_eq(env->tlb.stats.walks, walks);
        tlb_flush(env); /* everything */
        cr_assert_null(fast_path(K, VA, 1, false));
        walks = env->tlb.stats.walks;
        (void)tlb_ld_slow(env, VA, mo(1, K), 0);
        cr_assert_eq(env->tlb.stats.walks, walks + 1);
    }
}
