/*
 * The PAE PDPTE registers (SDM 4.4.1) on both backends, in 32-bit
 * protected mode with PAE paging: MOV CR0 that turns paging on, MOV CR3
 * and MOV CR4 (PGE/PAE/PSE/SMEP) load the four PDPTEs; a present one with
 * a reserved bit makes that MOV #GP(0) with nothing changed; the walker
 * uses the registers, so a later write to the PDPT in memory has no effect
 * until the next load. IA-32e mode never looks at them.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tiny_machine.h"

#define PDPT 0x6000ull
#define PD_A 0x7000ull
#define PD_B 0x8000ull
#define PT_A 0x9000ull
#define PT_B 0xb000ull
#define VAL_A 0x11111111u /* at TM_DATA */
#define VAL_B 0x22222222u /* at TM_DATA + 0x1000: TM_DATA through PT_B */

static TinyMachine m;

static void st64(uint64_t pa, uint64_t v)
{
    memcpy(m.mem + pa, &v, 8);
}

#define RUN(...)                                                               \
    ({                                                                         \
        static const uint8_t c_[] = {__VA_ARGS__};                             \
        tm_run(&m, c_, sizeof(c_));                                            \
    })

/* PAE tables: PDPT[0] -> PD_A -> PT_A (identity); PD_B -> PT_B, the same
 * but TM_DATA -> TM_DATA + 0x1000; 32-bit protected mode, paging off */
static void setup(size_t b)
{
    tm_new(&m, tm_backends[b], 0, 0);
    CpuX86 *env = m.env;
    memset(m.mem + PDPT, 0, 0x7000);
    for (uint64_t i = 0; i < 512; i++) {
        st64(PT_A + 8 * i, (i << 12) | 3);
        st64(PT_B + 8 * i, (i << 12) | 3);
    }
    st64(PT_B + 8 * (TM_DATA >> 12), (TM_DATA + 0x1000) | 3);
    st64(PD_A, PT_A | 3);
    st64(PD_B, PT_B | 3);
    st64(PDPT, PD_A | 1);
    uint32_t a = VAL_A, v = VAL_B;
    memcpy(m.mem + TM_DATA, &a, 4);
    memcpy(m.mem + TM_DATA + 0x1000, &v, 4);
    env->efer = 0;
    env->cr[4] = 0;
    env->cr[3] = 0;
    env->cr[0] = CR0_PE | CR0_ET;
    uint32_t d = SEG_AR_P | SEG_AR_S | 0x3u | SEG_AR_DB | SEG_AR_G;
    for (int s = 0; s < CPU_NB_SEGS; s++) {
        cpu_seg_set(env, s, 0x10, 0, 0xffffffff, d);
    }
    cpu_seg_set(env, R_CS, 0x08, 0, 0xffffffff,
                SEG_AR_P | SEG_AR_S | 0xbu | SEG_AR_DB | SEG_AR_G);
    env->regs[R_ESP] = TM_KSTACK;
    cpu_update_hflags(env);
    tlb_flush(env);
}

/* PAE on, CR3 = PDPT (paging still off: no load), then CR0.PG: the load */
static int paging_on(void)
{
    return RUN(0xb8, 0x20, 0, 0, 0,    /* mov eax, CR4.PAE */
               0x0f, 0x22, 0xe0,       /* mov cr4, eax */
               0xb8, 0x00, 0x60, 0, 0, /* mov eax, PDPT */
               0x0f, 0x22, 0xd8,       /* mov cr3, eax */
               0x0f, 0x20, 0xc0,       /* mov eax, cr0 */
               0x0d, 0, 0, 0, 0x80,    /* or eax, CR0.PG */
               0x0f, 0x22, 0xc0);      /* mov cr0, eax; int3 */
}

/* mov eax, [TM_DATA]; int3: the value read */
static uint32_t read_data(void)
{
    m.env->regs[R_EAX] = 0;
    cr_assert_eq(RUN(0xa1, 0x00, 0x00, 0x04, 0x00), 3);
    return (uint32_t)m.env->regs[R_EAX];
}

static int mov_cr3(uint64_t v)
{
    m.env->regs[R_EBX] = v;
    return RUN(0x0f, 0x22, 0xdb);
}

static int mov_cr4(uint64_t v)
{
    m.env->regs[R_EBX] = v;
    return RUN(0x0f, 0x22, 0xe3);
}

Test(pae, cr0_pg_loads_the_pdptes)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        st64(PDPT + 8, PD_B | 1);
        st64(PDPT + 24, 0xfff0); /* not present: any bits */
        cr_assert_eq(paging_on(), 3);
        cr_assert(m.env->cr[0] & CR0_PG);
        cr_assert_eq(m.env->pdpte[0], PD_A | 1);
        cr_assert_eq(m.env->pdpte[1], PD_B | 1);
        cr_assert_eq(m.env->pdpte[2], 0);
        cr_assert_eq(m.env->pdpte[3], 0xfff0);
        cr_assert_eq(read_data(), VAL_A);
        tm_free(&m);
    }
}

Test(pae, the_walker_uses_the_registers_until_mov_cr3)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        cr_assert_eq(paging_on(), 3);
        cr_assert_eq(read_data(), VAL_A);
        st64(PDPT, PD_B | 1); /* the PDPT in memory changes */
        tlb_flush(m.env);     /* so the next access walks */
        cr_assert_eq(read_data(), VAL_A, "the register still holds PD_A");
        cr_assert_eq(mov_cr3(PDPT), 3);
        cr_assert_eq(m.env->pdpte[0], PD_B | 1);
        cr_assert_eq(read_data(), VAL_B, "reloaded by MOV CR3");
        tm_free(&m);
    }
}

Test(pae, mov_cr4_pge_reloads_them)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        cr_assert_eq(paging_on(), 3);
        st64(PDPT, PD_B | 1);
        cr_assert_eq(mov_cr4(CR4_PAE | CR4_PGE), 3);
        cr_assert_eq(m.env->pdpte[0], PD_B | 1);
        cr_assert_eq(read_data(), VAL_B);
        tm_free(&m);
    }
}

Test(pae, reserved_bits_fault_mov_cr3_and_load_nothing)
{
    static const uint64_t bad[] = {0x2,   0x4,        0x20,
                                   0x100, 1ull << 46, 1ull << 63};
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        cr_assert_eq(paging_on(), 3);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            st64(PDPT + 0x20, PD_B | 1);
            st64(PDPT + 0x28, PD_B | 1 | bad[i]);
            cr_assert_eq(mov_cr3(PDPT + 0x20), 13, "bit 0x%llx",
                         (unsigned long long)bad[i]);
            cr_assert_eq(m.env->cr[3], PDPT, "CR3 unchanged");
            cr_assert_eq(m.env->pdpte[0], PD_A | 1, "nothing loaded");
            cr_assert_eq(m.env->pdpte[1], 0);
            cr_assert_eq(read_data(), VAL_A);
        }
        /* the same bits in an entry that is not present: ignored */
        st64(PDPT + 0x28, 0x126);
        cr_assert_eq(mov_cr3(PDPT + 0x20), 3);
        cr_assert_eq(m.env->pdpte[1], 0x126);
        cr_assert_eq(read_data(), VAL_B);
        tm_free(&m);
    }
}

Test(pae, reserved_bits_fault_the_cr0_and_cr4_writes)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        st64(PDPT + 16, PD_B | 1 | 0x40);
        cr_assert_eq(paging_on(), 13, "MOV CR0 that enables paging");
        cr_assert_eq(m.env->cr[0] & CR0_PG, 0, "CR0 unchanged");
        st64(PDPT + 16, 0);
        cr_assert_eq(paging_on(), 3);
        st64(PDPT + 16, PD_B | 1 | 0x40);
        cr_assert_eq(mov_cr4(CR4_PAE | CR4_PGE), 13);
        cr_assert_eq(m.env->cr[4], CR4_PAE, "CR4 unchanged");
        cr_assert_eq(mov_cr4(CR4_PAE), 3, "no PDPTE-relevant change");
        tm_free(&m);
    }
}

Test(pae, a_not_present_pdpte_register_is_a_page_fault)
{
    static const uint8_t ld[] = {0x8b, 0x03}; /* mov eax, [ebx] */
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        cr_assert_eq(paging_on(), 3);
        st64(PDPT + 16, PD_A | 1); /* memory only: the register stays 0 */
        m.env->regs[R_EBX] = 0x80000010;
        cr_assert_eq(tm_run(&m, ld, sizeof(ld)), 14);
        cr_assert_eq(m.env->exception_cr2, 0x80000010);
        cr_assert_eq(m.env->error_code, 0, "not present, read, supervisor");
        tm_free(&m);
    }
}

Test(pae, long_mode_does_not_check_pdpte_formats)
{
    for (size_t b = 0; b < 2; b++) {
        tm_new(&m, tm_backends[b], 0, 0);
        /* the PML4 entries have bits 1-2 set, reserved in a PAE PDPTE */
        cr_assert_eq(mov_cr3(0x1000), 3);
        cr_assert_eq(m.env->cr[3], 0x1000);
        tm_free(&m);
    }
}
