/*
 * The x86 page walker (src/mmu/walk.c): every mode and page size, faults for
 * not-present entries, accessed/dirty updates (and none on a fault), entries
 * outside RAM, and the translate_table_addr hook for EPT.
 */
#include <criterion/criterion.h>

#include "walk_fixture.h"

/* ---- modes and page sizes ---- */

Test(walk, paging_off_is_identity)
{
    ctx.cr0 = 0;
    cr_assert_eq(walk(0x12345678, WALK_WRITE), WALK_OK);
    cr_assert_eq(res.phys, 0x12345678);
    cr_assert_eq(res.perm, WALK_PERM_R | WALK_PERM_W | WALK_PERM_X);
}

Test(walk, long_4k_read_sets_accessed_not_dirty)
{
    long_mode();
    uint64_t la = 0x00007f1234567abcull;
    uint64_t pte = map_long(la, 0x345000, 0x1000, RWU);
    cr_assert_eq(walk(la, WALK_READ), WALK_OK);
    cr_assert_eq(res.phys, 0x345abc);
    cr_assert_eq(res.page_size, 0x1000);
    cr_assert_eq(res.page_phys, 0x345000);
    cr_assert_eq(res.levels, 4);
    for (unsigned d = 0; d < 4; d++) {
        uint64_t e = as_ld64(as, long_entry(la, d));
        cr_assert(e & WALK_PTE_A, "level %u lacks A", d);
        cr_assert(!(e & WALK_PTE_D), "level %u has D", d);
    }
    cr_assert_eq(long_entry(la, 3), pte);
    /* not dirty yet: a write must walk again */
    cr_assert_eq(res.perm, WALK_PERM_R | WALK_PERM_X);
    cr_assert(res.writable && res.user && res.executable);
}

Test(walk, long_write_sets_dirty_on_leaf_only)
{
    long_mode();
    uint64_t la = 0x400123;
    uint64_t pte = map_long(la, 0x789000, 0x1000, RWU);
    cr_assert_eq(walk(la, WALK_WRITE), WALK_OK);
    cr_assert_eq(res.phys, 0x789123);
    cr_assert_eq(as_ld64(as, pte), 0x789000 | RWU | WALK_PTE_A | WALK_PTE_D);
    for (unsigned d = 0; d < 3; d++) {
        uint64_t e = as_ld64(as, long_entry(la, d));
        cr_assert_eq(e & (WALK_PTE_A | WALK_PTE_D), WALK_PTE_A);
    }
    cr_assert(res.perm & WALK_PERM_W);
}

Test(walk, long_2m_and_1g_pages)
{
    long_mode();
    uint64_t la2 = 0x40000000ull + 0x3456789;    /* inside a 2 MiB page */
    uint64_t la1 = 0x8000000000ull + 0x12345678; /* another PML4 slot */
    uint64_t leaf2 = map_long(la2, 0x600000, 2ull << 20, RWU);
    map_long(la1, 0x40000000ull * 5, 1ull << 30, RWU);
    cr_assert_eq(walk(la2, WALK_WRITE), WALK_OK);
    cr_assert_eq(res.page_size, 2ull << 20);
    cr_assert_eq(res.phys, 0x600000 + (la2 & 0x1fffff));
    cr_assert_eq(res.levels, 3);
    cr_assert(as_ld64(as, leaf2) & WALK_PTE_D);
    cr_assert_eq(walk(la1, WALK_READ), WALK_OK);
    cr_assert_eq(res.page_size, 1ull << 30);
    cr_assert_eq(res.phys, 0x40000000ull * 5 + 0x12345678);
    cr_assert_eq(res.levels, 2);
}

Test(walk, large_page_pat_bit_is_not_address)
{
    long_mode();
    /* bit 12 of a 2 MiB leaf is PAT, not an address bit */
    map_long(0x200000, 0xa00000 | BIT(12), 2ull << 20, RWU);
    cr_assert_eq(walk(0x200010, WALK_READ), WALK_OK);
    cr_assert_eq(res.phys, 0xa00010);
}

Test(walk, five_level_uses_bits_56_48)
{
    long_mode();
    ctx.cr4 |= WALK_CR4_LA57;
    uint64_t la = 0x00ab000000001234ull; /* PML5 index 0xab */
    map_long(la, 0x555000, 0x1000, RWU);
    cr_assert_eq(walk(la, WALK_READ), WALK_OK);
    cr_assert_eq(res.phys, 0x555234);
    cr_assert_eq(res.levels, 5);
    /* the same address under 4-level paging ignores bits 56:48 */
    ctx.cr4 &= ~WALK_CR4_LA57;
    cr_assert_eq(walk(la, WALK_READ), WALK_PAGE_FAULT);
}

Test(walk, pae_4k_2m_and_pdpte_without_accessed)
{
    pae_mode();
    uint64_t pdpte = ctx.cr3 + 3 * 8;
    map_pae(0xc0001234, 0x321000, false, RWU);
    map_pae(0x80345678, 0xe00000, true, RWU);
    cr_assert_eq(walk(0xc0001234, WALK_READ), WALK_OK);
    cr_assert_eq(res.phys, 0x321234);
    cr_assert_eq(res.levels, 3);
    /* bit 5 of a PAE PDPTE is reserved: no A bit there */
    cr_assert_eq(as_ld64(as, pdpte) & WALK_PTE_A, 0);
    cr_assert_eq(walk(0x80345678, WALK_READ), WALK_OK);
    cr_assert_eq(res.page_size, 2ull << 20);
    cr_assert_eq(res.phys, 0xf45678);
    /* PAE uses only 32 bits of linear address */
    cr_assert_eq(walk(0xffffffffc0001234ull, WALK_READ), WALK_OK);
    cr_assert_eq(res.phys, 0x321234);
}

Test(walk, pae_pdpte_registers_replace_memory)
{
    pae_mode();
    map_pae(0x1000, 0x222000, false, RWU);
    uint64_t regs[4] = {as_ld64(as, ctx.cr3), 0, 0, 0};
    as_st64(as, ctx.cr3, 0); /* memory changed after MOV CR3 */
    ctx.pdpte = regs;
    cr_assert_eq(walk(0x1000, WALK_READ), WALK_OK);
    cr_assert_eq(res.phys, 0x222000);
    ctx.pdpte = NULL;
    expect_pf(0x1000, WALK_READ, 0);
}

Test(walk, legacy_32bit_4k_and_4m)
{
    mode_32(WALK_CR4_PSE);
    uint64_t pte = map_32(0x00403abc, 0x777000, false, RWU);
    uint64_t pde = map_32(0x80123456, 0xc00000, true, RWU);
    cr_assert_eq(walk(0x00403abc, WALK_WRITE), WALK_OK);
    cr_assert_eq(res.phys, 0x777abc);
    cr_assert_eq(as_ld32(as, pte), 0x777000 | RWU | WALK_PTE_A | WALK_PTE_D);
    cr_assert_eq(walk(0x80123456, WALK_READ), WALK_OK);
    cr_assert_eq(res.page_size, 4ull << 20);
    cr_assert_eq(res.phys, 0xd23456);
    cr_assert_eq(as_ld32(as, pde) & WALK_PTE_A, WALK_PTE_A);
}

Test(walk, legacy_32bit_ps_ignored_without_pse)
{
    mode_32(0);
    /* a PDE with PS=1 is a page-table pointer when CR4.PSE = 0 */
    uint64_t pt = new_table();
    as_st32(as, ctx.cr3 + 2 * 4, (uint32_t)(pt | RWU | WALK_PTE_PS));
    as_st32(as, pt + 5 * 4, 0x999000 | RWU);
    cr_assert_eq(walk(0x00805010, WALK_READ), WALK_OK);
    cr_assert_eq(res.phys, 0x999010);
    cr_assert_eq(res.page_size, 0x1000);
}

Test(walk, pse36_high_address_bits)
{
    mode_32(WALK_CR4_PSE);
    ctx.maxphyaddr = 36;
    /* PDE bits 16:13 carry physical bits 35:32 */
    map_32(0x00400000, 0x00800000 | (0x5ull << 13), true, RWU);
    cr_assert_eq(walk(0x00400010, WALK_READ), WALK_OK);
    cr_assert_eq(res.phys, 0x500800010ull);
    /* bit 17 would be physical bit 36: beyond MAXPHYADDR, so reserved */
    map_32(0x00c00000, 0x00800000 | BIT(17), true, RWU);
    expect_pf(0x00c00000, WALK_READ, WALK_PF_P | WALK_PF_RSVD);
}

/* ---- not present ---- */

Test(walk, not_present_at_each_level_and_no_accessed_bits)
{
    long_mode();
    uint64_t la = 0x7000401000ull;
    map_long(la, 0x123000, 0x1000, RWU);
    for (unsigned d = 0; d < 4; d++) {
        uint64_t e = long_entry(la, d);
        uint64_t v = as_ld64(as, e);
        as_st64(as, e, v & ~WALK_PTE_P);
        expect_pf(la, WALK_READ, 0);
        cr_assert_eq(res.levels, d + 1);
        for (unsigned k = 0; k < 4; k++) {
            cr_assert_eq(as_ld64(as, long_entry(la, k)) & WALK_PTE_A, 0,
                         "A set at level %u after fault at %u", k, d);
        }
        as_st64(as, e, v);
    }
}

Test(walk, not_present_error_code_has_w_u_i_bits)
{
    long_mode();
    ctx.cpl = 3;
    expect_pf(0x1000, WALK_WRITE, WALK_PF_W | WALK_PF_U);
    expect_pf(0x1000, WALK_EXEC, WALK_PF_U | WALK_PF_I);
    ctx.cpl = 0;
    expect_pf(0x1000, WALK_READ, 0);
    /* implicit supervisor access at CPL 3: U/S = 0 in the error code */
    ctx.cpl = 3;
    ctx.implicit = true;
    expect_pf(0x1000, WALK_READ, 0);
}

/* ---- accessed/dirty ---- */

Test(walk, no_accessed_or_dirty_on_protection_fault)
{
    long_mode();
    uint64_t la = 0x15000;
    map_long(la, 0x15000, 0x1000, WALK_PTE_P | WALK_PTE_US);
    ctx.cpl = 3;
    expect_pf(la, WALK_WRITE, WALK_PF_P | WALK_PF_W | WALK_PF_U);
    for (unsigned d = 0; d < 4; d++) {
        cr_assert_eq(as_ld64(as, long_entry(la, d)) & (WALK_PTE_A | WALK_PTE_D),
                     0);
    }
}

Test(walk, debugger_walk_writes_nothing)
{
    long_mode();
    uint64_t pte = map_long(0x16000, 0x16000, 0x1000, RWU);
    ctx.no_ad = true;
    cr_assert_eq(walk(0x16000, WALK_WRITE), WALK_OK);
    cr_assert_eq(as_ld64(as, pte), 0x16000 | RWU);
    cr_assert_eq(res.perm & WALK_PERM_W, 0);
}

Test(walk, dirty_leaf_grants_write_permission_on_read)
{
    long_mode();
    map_long(0x17000, 0x17000, 0x1000, RWU | WALK_PTE_D);
    cr_assert_eq(walk(0x17000, WALK_READ), WALK_OK);
    cr_assert(res.perm & WALK_PERM_W);
}

Test(walk, recursive_table_terminates_and_updates)
{
    long_mode();
    /* PML4[0x1ed] points at the PML4 itself (a recursive mapping) */
    uint64_t self = ctx.cr3 + 0x1ed * 8;
    as_st64(as, self, ctx.cr3 | TBL);
    uint64_t la = 0xfffff6fb7dbed000ull; /* indexes 0x1ed at all 4 levels */
    cr_assert_eq(walk(la, WALK_WRITE), WALK_OK);
    cr_assert_eq(res.page_phys, ctx.cr3);
    cr_assert_eq(as_ld64(as, self), ctx.cr3 | TBL | WALK_PTE_A | WALK_PTE_D);
}

/* ---- entries outside RAM ---- */

Test(walk, table_in_unassigned_memory_is_rsvd_fault)
{
    long_mode();
    map_long(0x18000, 0x18000, 0x1000, RWU);
    uint64_t pde = long_entry(0x18000, 2);
    as_st64(as, pde, UNASSIGNED | TBL);
    expect_pf(0x18000, WALK_READ, WALK_PF_P | WALK_PF_RSVD);
    cr_assert_eq(as_ld64(as, pde), UNASSIGNED | TBL);
}

Test(walk, table_in_mmio_is_rsvd_fault_without_device_access)
{
    mode_32(0); /* 32-bit paging has no reserved bits in a PTE */
    as_st32(as, ctx.cr3, (uint32_t)(MMIO_BASE | TBL));
    expect_pf(0x10, WALK_READ, WALK_PF_P | WALK_PF_RSVD);
    cr_assert_eq(mmio_reads, 0);
}

Test(walk, cr3_outside_ram_faults)
{
    long_mode();
    ctx.cr3 = 0xfff000000ull;
    expect_pf(0x1000, WALK_READ, WALK_PF_P | WALK_PF_RSVD);
}

Test(walk, leaf_may_point_at_unassigned_memory)
{
    long_mode();
    map_long(0x19000, UNASSIGNED, 0x1000, RWU);
    cr_assert_eq(walk(0x19abc, WALK_READ), WALK_OK);
    cr_assert_eq(res.phys, UNASSIGNED + 0xabc);
}

/* ---- the EPT hook ---- */

typedef struct Shift {
    uint64_t offset;
    uint64_t refuse; /* guest-physical page to refuse, or 0 */
    int calls, writes;
} Shift;

static int shift_xlate(void *opaque, uint64_t gpa, bool write, uint64_t *out)
{
    Shift *s = opaque;
    s->calls++;
    s->writes += write;
    if (s->refuse && (gpa & ~0xfffull) == s->refuse) {
        return 7;
    }
    *out = gpa + s->offset;
    return 0;
}

Test(walk, table_addresses_go_through_the_hook)
{
    long_mode();
    /* build the tables at +1 MiB, walk them as if at 0 */
    uint64_t host_root = ctx.cr3;
    map_long(0x1a000, 0x1a000, 0x1000, RWU);
    Shift sh = {.offset = 0x100000};
    uint64_t ent[3];
    for (unsigned d = 0; d < 3; d++) {
        ent[d] = long_entry(0x1a000, d);
    }
    for (unsigned d = 0; d < 3; d++) {
        as_st64(as, ent[d], as_ld64(as, ent[d]) - sh.offset);
    }
    ctx.cr3 = host_root - sh.offset;
    ctx.translate_table_addr = shift_xlate;
    ctx.xlate_opaque = &sh;
    cr_assert_eq(walk(0x1a000, WALK_READ), WALK_OK);
    cr_assert_eq(res.phys, 0x1a000); /* the final address is not translated */
    cr_assert_eq(sh.calls, 8);       /* 4 reads, 4 A-bit updates */
    cr_assert_eq(sh.writes, 4);
    /* refuse the page holding the PDPT: the walk stops there */
    uint64_t pdpte_gpa = ent[1] - sh.offset;
    sh.refuse = pdpte_gpa & ~0xfffull;
    cr_assert_eq(walk(0x1a000, WALK_READ), WALK_TABLE_FAULT);
    cr_assert_eq(res.table_fault, 7);
    cr_assert_eq(res.table_gpa, pdpte_gpa);
}

/* a "racing" hook: the first A-bit write to the PTE page finds it rewritten */
typedef struct Racer {
    uint64_t pte;
    uint64_t new_val;
    int fired;
} Racer;

static int racer_xlate(void *opaque, uint64_t gpa, bool write, uint64_t *out)
{
    Racer *r = opaque;
    if (write && gpa == r->pte && !r->fired) {
        r->fired = 1;
        as_st64(as, r->pte, r->new_val);
    }
    *out = gpa;
    return 0;
}

Test(walk, entry_changed_before_ad_update_walks_again)
{
    long_mode();
    Racer r = {.new_val = 0x2b000 | RWU};
    r.pte = map_long(0x1b000, 0x1c000, 0x1000, RWU);
    ctx.translate_table_addr = racer_xlate;
    ctx.xlate_opaque = &r;
    cr_assert_eq(walk(0x1b000, WALK_WRITE), WALK_OK);
    cr_assert_eq(r.fired, 1);
    cr_assert_eq(res.phys, 0x2b000); /* the new mapping, not the stale one */
    cr_assert_eq(as_ld64(as, r.pte), r.new_val | WALK_PTE_A | WALK_PTE_D);
    /* a racing change that removes the page turns into a fault */
    r.fired = 0;
    r.new_val = (0x2c000 | RWU) & ~WALK_PTE_P;
    as_st64(as, r.pte, 0x1c000 | RWU);
    expect_pf(0x1b000, WALK_WRITE, WALK_PF_W);
    cr_assert_eq(as_ld64(as, r.pte), r.new_val);
}

/* the hook may allow reading a table but refuse the A/D write to it */
static int read_only_xlate(void *opaque, uint64_t gpa, bool write,
                           uint64_t *out)
{
    int *writes = opaque;
    *out = gpa;
    if (write) {
        (*writes)++;
        return 9;
    }
    return 0;
}

Test(walk, hook_refusing_the_ad_write_is_a_table_fault)
{
    long_mode();
    int writes = 0;
    map_long(0x1d000, 0x1d000, 0x1000, RWU);
    uint64_t pml4e = long_entry(0x1d000, 0);
    ctx.translate_table_addr = read_only_xlate;
    ctx.xlate_opaque = &writes;
    cr_assert_eq(walk(0x1d000, WALK_READ), WALK_TABLE_FAULT);
    cr_assert_eq(res.table_fault, 9);
    cr_assert_eq(res.table_gpa, pml4e);
    cr_assert_eq(writes, 1);
    cr_assert_eq(as_ld64(as, pml4e) & WALK_PTE_A, 0);
    /* a debugger walk writes nothing, so it succeeds */
    ctx.no_ad = true;
    cr_assert_eq(walk(0x1d000, WALK_READ), WALK_OK);
    cr_assert_eq(writes, 1);
}
