/*
 * #PF from the TLB: the walker's error code and CR2 reach the fault
 * callback, nothing is filled, and a faulting page-crossing store writes
 * neither page (precise exceptions).
 */
#include <criterion/criterion.h>

#include "tlb_fixture.h"

#define K MMU_IDX_KERNEL
#define U MMU_IDX_USER
#define VA 0x00007f0000000000ull

Test(tlb, not_present_read)
{
    cr_assert(RAISES_PF(tlb_ld_slow(env, VA + 0x10, mo(4, K), 0)));
    cr_assert_eq(nfaults, 1);
    cr_assert_eq(fault_cr2, VA + 0x10);
    cr_assert_eq(fault_err, 0);
    cr_assert_eq(env->tlb.stats.faults, 1);
    TlbEntry *e = tcg_tlb_entry(&env->tlb_fast[K], VA);
    cr_assert_eq(e->addr_read, TLB_INVALID_TAG);
}

Test(tlb, user_reads_supervisor_page)
{
    map_page(VA, 0x208000, 0x1000, PTE_K);
    cr_assert_not(RAISES_PF(tlb_ld_slow(env, VA, mo(8, K), 0)));
    cr_assert(RAISES_PF(tlb_ld_slow(env, VA, mo(8, U), 0)));
    cr_assert_eq(fault_err, WALK_PF_P | WALK_PF_U);
    cr_assert_null(fast_path(U, VA, 8, false));
}

Test(tlb, user_writes_read_only_page)
{
    map_page(VA, 0x209000, 0x1000, PTE_RU);
    cr_assert_eq(tlb_ld_slow(env, VA, mo(2, U), 0), 0);
    cr_assert(RAISES_PF(tlb_st_slow(env, VA + 2, 1, mo(2, U), 0)));
    cr_assert_eq(fault_err, WALK_PF_P | WALK_PF_W | WALK_PF_U);
    cr_assert_eq(fault_cr2, VA + 2);
}

Test(tlb, crossing_store_faults_on_second_page_writes_nothing)
{
    map_page(VA, 0x20a000, 0x1000, PTE_RWU);
    map_page(VA + 0x1000, 0x20b000, 0x1000, PTE_RU); /* read-only */
    as_st32(as, 0x20affc, 0x11111111);
    as_st32(as, 0x20b000, 0x22222222);
    cr_assert(RAISES_PF(tlb_st_slow(env, VA + 0xffc, ~0ull, mo(8, K), 0)));
    cr_assert_eq(fault_cr2, VA + 0x1000);
    cr_assert_eq(fault_err, WALK_PF_P | WALK_PF_W);
    cr_assert_eq(as_ld32(as, 0x20affc), 0x11111111);
    cr_assert_eq(as_ld32(as, 0x20b000), 0x22222222);
}

Test(tlb, crossing_load_second_page_missing)
{
    map_page(VA, 0x20c000, 0x1000, PTE_RWU);
    cr_assert(RAISES_PF(tlb_ld_slow(env, VA + 0xfff, mo(2, K), 0)));
    cr_assert_eq(fault_cr2, VA + 0x1000);
    cr_assert_eq(fault_err, 0);
}

Test(tlb, fetch_from_no_execute_page)
{
    map_page(VA, 0x20d000, 0x1000, PTE_RWU | WALK_PTE_XD);
    cr_assert_eq(tlb_ld_slow(env, VA, mo(4, K), 0), 0);
    cr_assert(RAISES_PF(tlb_code_phys(env, VA + 4, K, 0)));
    cr_assert_eq(fault_err, WALK_PF_P | WALK_PF_I);
    cr_assert_eq(fault_cr2, VA + 4);
}

Test(tlb, smap_blocks_kernel_but_not_knosmap)
{
    env->cr[4] |= CR4_SMAP;
    map_page(VA, 0x20e000, 0x1000, PTE_RWU);
    cr_assert(RAISES_PF(tlb_ld_slow(env, VA, mo(4, K), 0)));
    cr_assert_eq(fault_err, WALK_PF_P);
    cr_assert_not(RAISES_PF(tlb_ld_slow(env, VA, mo(4, MMU_IDX_KNOSMAP), 0)));
    cr_assert_not_null(fast_path(MMU_IDX_KNOSMAP, VA, 4, false));
}

Test(tlb, hostile_tables_never_map)
{
    /* a PML4 entry that points at MMIO: the walk must fault, not map */
    as_st64(as, env->cr[3] + 8 * 200, MMIO_BASE | PTE_RWU);
    uint64_t va = 200ull << 39;
    cr_assert(RAISES_PF(tlb_ld_slow(env, va, mo(8, K), 0)));
    cr_assert_eq(fault_err & WALK_PF_P, WALK_PF_P);
    cr_assert_null(fast_path(K, va, 8, false));
}
