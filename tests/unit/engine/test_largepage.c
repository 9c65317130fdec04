/*
 * INVLPG and large pages: the TLB keeps 4 KiB pieces of a large page, so
 * an INVLPG inside a large page filled in a table must flush that whole
 * table, but an INVLPG of a 4 KiB page that lies between large pages far
 * apart (a kernel's text and its direct map) must not. Large pages here
 * are 2 MiB PDEs mapping physical 0 at 2 MiB and at 1 GiB + k GiB; the 4
 * KiB page is TM_DATA of the tiny machine's identity map.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tiny_machine.h"

#define PDE_2M 0x87ull      /* present, writable, user, page size */
#define VALUE_PA 0x50000ull /* read through every large page */
#define VA_LOW 0x200000ull  /* PD[1]: 2 MiB .. 4 MiB */
#define GIB 0x40000000ull
#define FAR_PD 0x60000ull /* PDs for the pages at k GiB, one page each */
#define FAR_PAGES 6

static TinyMachine m;

static void st64(uint64_t pa, uint64_t v)
{
    memcpy(m.mem + pa, &v, 8);
}

/* a 2 MiB page at k GiB (k >= 1) mapping physical 0 */
static uint64_t map_far(unsigned k)
{
    uint64_t pd = FAR_PD + 0x1000ull * k;
    memset(m.mem + pd, 0, 0x1000);
    st64(pd, PDE_2M);
    st64(0x2000 + 8 * k, pd | 0x7); /* PDPT[k] */
    return GIB * k;
}

/* mov eax, [moffs64]; int3: returns the vector (3) and leaves EAX */
static int load(uint64_t va)
{
    uint8_t code[] = {0xa1, 0, 0, 0, 0, 0, 0, 0, 0, 0xcc};
    memcpy(code + 1, &va, 8);
    m.env->regs[R_EAX] = 0;
    return tm_run(&m, code, sizeof(code));
}

static uint64_t lookups(void)
{
    return m.env->tlb.stats.walks + m.env->tlb.stats.l2_hits;
}

static void setup(TcgBackendKind backend)
{
    tm_new(&m, backend, 0, 0);
    uint32_t v = 0x5eed;
    memcpy(m.mem + VALUE_PA, &v, 4);
    st64(0x3000 + 8, PDE_2M); /* PD[1]: VA_LOW -> physical 0 */
    tlb_flush(m.env);
}

Test(largepage, invlpg_between_distant_large_pages_keeps_them)
{
    for (size_t b = 0; b < 2; b++) {
        setup(tm_backends[b]);
        uint64_t far = map_far(1);
        cr_assert_eq(load(VA_LOW + VALUE_PA), 3);
        cr_assert_eq(m.env->regs[R_EAX], 0x5eed);
        cr_assert_eq(load(far + VALUE_PA), 3);
        cr_assert_eq(m.env->regs[R_EAX], 0x5eed);
        cr_assert_eq(load(TM_DATA), 3);
        uint64_t n = lookups();
        tlb_flush_page(m.env, TM_DATA); /* INVLPG of the 4 KiB page */
        cr_assert_eq(load(VA_LOW + VALUE_PA), 3);
        cr_assert_eq(load(far + VALUE_PA), 3);
        cr_assert_eq(lookups(), n,
                     "INVLPG of a 4 KiB page flushed the "
                     "large pages' entries");
        cr_assert_eq(load(TM_DATA), 3);
        cr_assert_gt(lookups(), n, "the INVLPGed page was not dropped");
        tm_free(&m);
    }
}

/* more large pages than ranges: each is still flushed by its INVLPG */
Test(largepage, invlpg_inside_any_large_page_flushes_it)
{
    for (size_t b = 0; b < 2; b++) {
        setup(tm_backends[b]);
        cr_assert_eq(load(VA_LOW + VALUE_PA), 3);
        for (unsigned k = 1; k < FAR_PAGES; k++) {
            cr_assert_eq(load(map_far(k) + VALUE_PA), 3);
        }
        for (unsigned k = 1; k < FAR_PAGES; k++) {
            st64(FAR_PD + 0x1000ull * k, 0); /* not present now */
            tlb_flush_page(m.env, GIB * k + 0x1000);
            cr_assert_eq(load(GIB * k + VALUE_PA), 14,
                         "the page at %u GiB survived its INVLPG", k);
        }
        st64(0x3000 + 8, 0);
        tlb_flush_page(m.env, VA_LOW + 0x1fffff);
        cr_assert_eq(load(VA_LOW + VALUE_PA), 14);
        tm_free(&m);
    }
}
