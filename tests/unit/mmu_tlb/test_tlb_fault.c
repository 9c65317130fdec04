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

/* ---- read-modify-write intent (IR_MO_WRITE) ---- */

Test(tlb, rmw_read_of_read_only_page_faults_as_write)
{
    map_page(VA, 0x20d000, 0x1000, PTE_RU);
    as_st32(as, 0x20d010, 0x1234);
    cr_assert_eq(tlb_ld_slow(env, VA + 0x10, mo(4, U), 0), 0x1234);
    cr_assert(
        RAISES_PF(tlb_ld_slow(env, VA + 0x10, mo(4, U) | IR_MO_WRITE, 0)));
    cr_assert_eq(fault_err, WALK_PF_P | WALK_PF_W | WALK_PF_U);
    cr_assert_eq(fault_cr2, VA + 0x10);
}

Test(tlb, rmw_read_of_missing_page_reports_w)
{
    cr_assert(RAISES_PF(tlb_ld_slow(env, VA + 8, mo(8, K) | IR_MO_WRITE, 0)));
    cr_assert_eq(fault_err, WALK_PF_W);
    /* crossing: the second page is checked for write before any read */
    map_page(VA, 0x20e000, 0x1000, PTE_RWU);
    map_page(VA + 0x1000, 0x20f000, 0x1000, PTE_RU);
    cr_assert(
        RAISES_PF(tlb_ld_slow(env, VA + 0xffe, mo(4, K) | IR_MO_WRITE, 0)));
    cr_assert_eq(fault_cr2, VA + 0x1000);
    cr_assert_eq(fault_err, WALK_PF_P | WALK_PF_W);
    cr_assert_eq(tlb_ld_slow(env, VA + 0xffe, mo(4, K), 0), 0);
}

/* ---- the code-write hook of the store slow path ---- */

static int hook_calls;
static uint64_t hook_phys, hook_old;
static unsigned hook_len;

static void record_code_write(CpuX86 *e, uint64_t phys, unsigned len,
                              uintptr_t retaddr)
{
    (void)e;
    (void)retaddr;
    hook_calls++;
    hook_phys = phys;
    hook_len = len;
    hook_old = as_ld32(as, phys & ~3ull); /* before the store lands */
}

Test(tlb, code_write_hook_runs_before_the_store)
{
    map_page(VA, 0x210000, 0x1000, PTE_RWU | WALK_PTE_D);
    as_st32(as, 0x210ffc, 0x11223344);
    env->tlb.code_write = record_code_write;
    tlb_st_slow(env, VA + 0xffc, 0xaa, mo(1, K), 0);
    cr_assert_eq(hook_calls, 0); /* not a code page: no call */
    mr_set_code(ram, 0x210000);
    tlb_protect_code(env, 0x210000);
    tlb_st_slow(env, VA + 0xffd, 0xbb, mo(1, K), 0);
    cr_assert_eq(hook_calls, 1);
    cr_assert_eq(hook_phys, 0x210ffd);
    cr_assert_eq(hook_len, 1);
    cr_assert_eq(hook_old, 0x112233aa);
    cr_assert_eq(as_ld32(as, 0x210ffc), 0x1122bbaa);
}

Test(tlb, code_page_cached_peeks_without_walking)
{
    uint64_t phys = 0;
    map_page(VA, 0x211000, 0x1000, PTE_RWU);
    cr_assert_not(tlb_code_page_cached(env, VA + 0x20, K, &phys));
    cr_assert_eq(env->tlb.stats.walks, 0);
    cr_assert_eq(tlb_code_phys(env, VA + 0x20, K, 0), 0x211020);
    cr_assert(tlb_code_page_cached(env, VA + 0x20, K, &phys));
    cr_assert_eq(phys, 0x211000);
    tlb_flush_page(env, VA);
    cr_assert_not(tlb_code_page_cached(env, VA, K, &phys));
}
