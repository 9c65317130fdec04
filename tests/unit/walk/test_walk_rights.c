/*
 * Access rights of the x86 page walker (SDM vol. 3A 4.6, 4.7): U/S, R/W with
 * and without CR0.WP, XD with and without EFER.NXE, SMEP, SMAP with AC,
 * protection keys, and reserved bits per level, with exact error codes.
 */
#include <criterion/criterion.h>

#include "walk_fixture.h"

/* ---- user/supervisor and read/write ---- */

Test(walk, user_cannot_touch_supervisor_page)
{
    long_mode();
    uint64_t la = 0x5000;
    map_long(la, 0x5000, 0x1000, WALK_PTE_P | WALK_PTE_RW);
    ctx.cpl = 3;
    expect_pf(la, WALK_READ, WALK_PF_P | WALK_PF_U);
    expect_pf(la, WALK_WRITE, WALK_PF_P | WALK_PF_W | WALK_PF_U);
    expect_pf(la, WALK_EXEC, WALK_PF_P | WALK_PF_U | WALK_PF_I);
    ctx.cpl = 0;
    cr_assert_eq(walk(la, WALK_READ), WALK_OK);
    cr_assert(!res.user);
}

Test(walk, user_bit_must_be_set_at_every_level)
{
    long_mode();
    uint64_t la = 0x6000;
    map_long(la, 0x6000, 0x1000, RWU);
    uint64_t pdpte = long_entry(la, 1);
    as_st64(as, pdpte, as_ld64(as, pdpte) & ~WALK_PTE_US);
    ctx.cpl = 3;
    expect_pf(la, WALK_READ, WALK_PF_P | WALK_PF_U);
}

Test(walk, user_write_to_readonly_faults_regardless_of_wp)
{
    long_mode();
    map_long(0x7000, 0x7000, 0x1000, WALK_PTE_P | WALK_PTE_US);
    ctx.cpl = 3;
    ctx.cr0 &= ~WALK_CR0_WP;
    expect_pf(0x7000, WALK_WRITE, WALK_PF_P | WALK_PF_W | WALK_PF_U);
    cr_assert_eq(walk(0x7000, WALK_READ), WALK_OK);
    cr_assert_eq(res.perm, WALK_PERM_R | WALK_PERM_X);
}

Test(walk, supervisor_write_to_readonly_depends_on_wp)
{
    long_mode();
    uint64_t pte = map_long(0x8000, 0x8000, 0x1000, WALK_PTE_P);
    expect_pf(0x8000, WALK_WRITE, WALK_PF_P | WALK_PF_W);
    cr_assert_eq(as_ld64(as, pte) & (WALK_PTE_A | WALK_PTE_D), 0);
    ctx.cr0 &= ~WALK_CR0_WP;
    cr_assert_eq(walk(0x8000, WALK_WRITE), WALK_OK);
    cr_assert_eq(as_ld64(as, pte) & WALK_PTE_D, WALK_PTE_D);
    cr_assert(!res.writable);
    cr_assert(res.perm & WALK_PERM_W);
}

Test(walk, readonly_at_upper_level_is_readonly)
{
    long_mode();
    map_long(0x9000, 0x9000, 0x1000, RWU);
    uint64_t pde = long_entry(0x9000, 2);
    as_st64(as, pde, as_ld64(as, pde) & ~WALK_PTE_RW);
    expect_pf(0x9000, WALK_WRITE, WALK_PF_P | WALK_PF_W);
}

/* ---- execute disable ---- */

Test(walk, nx_with_nxe_blocks_fetch_only)
{
    long_mode();
    map_long(0xa000, 0xa000, 0x1000, RWU | WALK_PTE_XD);
    expect_pf(0xa000, WALK_EXEC, WALK_PF_P | WALK_PF_I);
    cr_assert_eq(walk(0xa000, WALK_READ), WALK_OK);
    cr_assert(!res.executable);
    cr_assert_eq(res.perm & WALK_PERM_X, 0);
}

Test(walk, nx_at_upper_level_applies)
{
    long_mode();
    map_long(0xb000, 0xb000, 0x1000, RWU);
    uint64_t pml4e = long_entry(0xb000, 0);
    as_st64(as, pml4e, as_ld64(as, pml4e) | WALK_PTE_XD);
    ctx.cpl = 3;
    expect_pf(0xb000, WALK_EXEC, WALK_PF_P | WALK_PF_U | WALK_PF_I);
}

Test(walk, xd_bit_is_reserved_without_nxe)
{
    long_mode();
    ctx.efer = WALK_EFER_LMA;
    map_long(0xc000, 0xc000, 0x1000, RWU);
    cr_assert_eq(walk(0xc000, WALK_EXEC), WALK_OK);
    uint64_t pte = long_entry(0xc000, 3);
    as_st64(as, pte, as_ld64(as, pte) | WALK_PTE_XD);
    /* no NXE and no SMEP: the I/D bit stays clear */
    expect_pf(0xc000, WALK_READ, WALK_PF_P | WALK_PF_RSVD);
    expect_pf(0xc000, WALK_EXEC, WALK_PF_P | WALK_PF_RSVD);
}

Test(walk, pae_xd_reserved_without_nxe)
{
    pae_mode();
    map_pae(0x3000, 0x3000, false, RWU | WALK_PTE_XD);
    expect_pf(0x3000, WALK_EXEC, WALK_PF_P | WALK_PF_I);
    ctx.efer = 0;
    expect_pf(0x3000, WALK_READ, WALK_PF_P | WALK_PF_RSVD);
}

/* ---- SMEP and SMAP ---- */

Test(walk, smep_blocks_supervisor_fetch_from_user_page)
{
    long_mode();
    map_long(0xd000, 0xd000, 0x1000, RWU);
    cr_assert_eq(walk(0xd000, WALK_EXEC), WALK_OK);
    ctx.cr4 |= WALK_CR4_SMEP;
    expect_pf(0xd000, WALK_EXEC, WALK_PF_P | WALK_PF_I);
    cr_assert_eq(walk(0xd000, WALK_READ), WALK_OK);
    cr_assert_eq(res.perm & WALK_PERM_X, 0);
    ctx.cpl = 3;
    cr_assert_eq(walk(0xd000, WALK_EXEC), WALK_OK);
}

Test(walk, smep_sets_id_bit_in_legacy_32bit_mode)
{
    mode_32(WALK_CR4_SMEP);
    map_32(0x1000, 0x1000, false, RWU);
    expect_pf(0x1000, WALK_EXEC, WALK_PF_P | WALK_PF_I);
}

Test(walk, smap_blocks_supervisor_data_unless_ac)
{
    long_mode();
    map_long(0xe000, 0xe000, 0x1000, RWU);
    ctx.cr4 |= WALK_CR4_SMAP;
    expect_pf(0xe000, WALK_READ, WALK_PF_P);
    expect_pf(0xe000, WALK_WRITE, WALK_PF_P | WALK_PF_W);
    ctx.ac = true;
    cr_assert_eq(walk(0xe000, WALK_WRITE), WALK_OK);
    cr_assert_eq(res.perm, WALK_PERM_R | WALK_PERM_W | WALK_PERM_X);
    /* implicit supervisor accesses: AC does not help, at any CPL */
    ctx.implicit = true;
    expect_pf(0xe000, WALK_READ, WALK_PF_P);
    ctx.cpl = 3;
    expect_pf(0xe000, WALK_READ, WALK_PF_P);
    /* the same page as a user access is fine */
    ctx.implicit = false;
    cr_assert_eq(walk(0xe000, WALK_READ), WALK_OK);
}

Test(walk, smap_ignores_supervisor_pages)
{
    long_mode();
    map_long(0xf000, 0xf000, 0x1000, WALK_PTE_P | WALK_PTE_RW);
    ctx.cr4 |= WALK_CR4_SMAP;
    cr_assert_eq(walk(0xf000, WALK_WRITE), WALK_OK);
}

Test(walk, smap_with_wp_clear_allows_readonly_user_write_with_ac)
{
    long_mode();
    map_long(0x11000, 0x11000, 0x1000, WALK_PTE_P | WALK_PTE_US);
    ctx.cr4 |= WALK_CR4_SMAP;
    ctx.cr0 &= ~WALK_CR0_WP;
    expect_pf(0x11000, WALK_WRITE, WALK_PF_P | WALK_PF_W);
    ctx.ac = true;
    cr_assert_eq(walk(0x11000, WALK_WRITE), WALK_OK);
    ctx.cr0 |= WALK_CR0_WP;
    expect_pf(0x11000, WALK_WRITE, WALK_PF_P | WALK_PF_W);
}

/* ---- protection keys ---- */

Test(walk, pkru_access_and_write_disable)
{
    long_mode();
    ctx.cr4 |= WALK_CR4_PKE;
    map_long(0x12000, 0x12000, 0x1000, RWU | (5ull << 59));
    ctx.cpl = 3;
    ctx.pkru = 1u << (2 * 5); /* AD for key 5 */
    expect_pf(0x12000, WALK_READ, WALK_PF_P | WALK_PF_U | WALK_PF_PK);
    cr_assert_eq(walk(0x12000, WALK_EXEC), WALK_OK); /* fetches unaffected */
    cr_assert_eq(res.pkey, 5);
    ctx.pkru = 2u << (2 * 5); /* WD for key 5 */
    cr_assert_eq(walk(0x12000, WALK_READ), WALK_OK);
    expect_pf(0x12000, WALK_WRITE,
              WALK_PF_P | WALK_PF_W | WALK_PF_U | WALK_PF_PK);
    /* supervisor writes obey WD only with CR0.WP */
    ctx.cpl = 0;
    expect_pf(0x12000, WALK_WRITE, WALK_PF_P | WALK_PF_W | WALK_PF_PK);
    ctx.cr0 &= ~WALK_CR0_WP;
    cr_assert_eq(walk(0x12000, WALK_WRITE), WALK_OK);
    /* another key is unaffected; PKE off disables the check */
    ctx.cr0 |= WALK_CR0_WP;
    ctx.pkru = 3u << (2 * 4);
    cr_assert_eq(walk(0x12000, WALK_WRITE), WALK_OK);
    ctx.pkru = 3u << (2 * 5);
    ctx.cr4 &= ~WALK_CR4_PKE;
    cr_assert_eq(walk(0x12000, WALK_WRITE), WALK_OK);
}

Test(walk, pk_and_rights_violation_both_reported)
{
    long_mode();
    ctx.cr4 |= WALK_CR4_PKE;
    map_long(0x13000, 0x13000, 0x1000, WALK_PTE_P | WALK_PTE_US | BIT(59));
    ctx.cpl = 3;
    ctx.pkru = 1u << 2; /* AD for key 1 */
    expect_pf(0x13000, WALK_WRITE,
              WALK_PF_P | WALK_PF_W | WALK_PF_U | WALK_PF_PK);
}

/* ---- reserved bits ---- */

Test(walk, reserved_bits_at_each_long_mode_level)
{
    long_mode();
    ctx.maxphyaddr = 46;
    uint64_t la = 0x40201000ull;
    map_long(la, 0x201000, 0x1000, RWU);
    const uint64_t bad[4] = {WALK_PTE_PS, BIT(46), BIT(51), BIT(50)};
    for (unsigned d = 0; d < 4; d++) {
        uint64_t e = long_entry(la, d);
        uint64_t v = as_ld64(as, e);
        as_st64(as, e, v | bad[d]);
        ctx.cpl = 3;
        expect_pf(la, WALK_WRITE,
                  WALK_PF_P | WALK_PF_RSVD | WALK_PF_W | WALK_PF_U);
        cr_assert_eq(res.levels, d + 1);
        cr_assert_eq(as_ld64(as, e), v | bad[d], "A/D written on fault");
        as_st64(as, e, v);
    }
    /* bits 62:52 are ignored in non-leaf entries */
    uint64_t e = long_entry(la, 1);
    as_st64(as, e, as_ld64(as, e) | BIT(55));
    cr_assert_eq(walk(la, WALK_READ), WALK_OK);
}

Test(walk, maxphyaddr_is_a_parameter)
{
    long_mode();
    map_long(0x14000, 0x14000 | BIT(40), 0x1000, RWU);
    ctx.maxphyaddr = 39;
    expect_pf(0x14000, WALK_READ, WALK_PF_P | WALK_PF_RSVD);
    ctx.maxphyaddr = 46;
    cr_assert_eq(walk(0x14000, WALK_READ), WALK_OK);
    cr_assert_eq(res.phys, BIT(40) | 0x14000);
}

Test(walk, large_page_low_reserved_bits)
{
    long_mode();
    map_long(0x600000, 0x600000 | BIT(13), 2ull << 20, RWU);
    expect_pf(0x600000, WALK_READ, WALK_PF_P | WALK_PF_RSVD);
    map_long(0x80000000ull, 0x80000000ull | BIT(29), 1ull << 30, RWU);
    expect_pf(0x80000000ull, WALK_READ, WALK_PF_P | WALK_PF_RSVD);
}

Test(walk, pae_reserved_bits)
{
    pae_mode();
    map_pae(0x4000, 0x4000, false, RWU);
    map_pae(0x40000000, 0x400000, true, RWU | BIT(20));
    expect_pf(0x40000000, WALK_READ, WALK_PF_P | WALK_PF_RSVD);
    /* PAE PDPTE: bits 2:1 are reserved (no R/W, U/S) */
    as_st64(as, ctx.cr3, as_ld64(as, ctx.cr3) | WALK_PTE_RW);
    expect_pf(0x4000, WALK_READ, WALK_PF_P | WALK_PF_RSVD);
    /* PAE reserves bits 62:MAXPHYADDR, unlike 4-level's 51:M */
    as_st64(as, ctx.cr3, as_ld64(as, ctx.cr3) & ~WALK_PTE_RW);
    uint64_t pte = map_pae(0x4000, 0x4000, false, RWU | BIT(58));
    expect_pf(0x4000, WALK_READ, WALK_PF_P | WALK_PF_RSVD);
    as_st64(as, pte, 0x4000 | RWU);
    cr_assert_eq(walk(0x4000, WALK_READ), WALK_OK);
}

Test(walk, legacy_4m_bit21_reserved)
{
    mode_32(WALK_CR4_PSE);
    map_32(0x00400000, 0x00800000 | BIT(21), true, RWU);
    expect_pf(0x00400000, WALK_READ, WALK_PF_P | WALK_PF_RSVD);
}
