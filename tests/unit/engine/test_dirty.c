/*
 * Dirty logging through the TLB: with logging on for a region, stores from
 * generated code (the fast path) mark the bitmap: the first store after a
 * client cleared its bits takes the slow path and marks the page, the rest
 * run fast again; without logging no store is slowed down.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tiny_machine.h"

static TinyMachine m;

/* mov ecx, 100; L: mov [rbx], ecx; dec ecx; jnz L; int3 */
static const uint8_t loop[] = {0xb9, 100,  0,    0,    0,   0x89,
                               0x0b, 0xff, 0xc9, 0x75, 0xfa};

static void run_loop(void)
{
    m.env->regs[R_EBX] = TM_DATA + 0x40;
    cr_assert_eq(tm_run(&m, loop, sizeof(loop)), 3);
    uint32_t v;
    memcpy(&v, m.mem + TM_DATA + 0x40, 4);
    cr_assert_eq(v, 1);
}

static bool vga_dirty(uint64_t pa)
{
    return mr_test_and_clear_dirty(m.ram, pa, 1, DIRTY_VGA);
}

Test(dirty, fast_path_stores_mark_a_logged_region)
{
    for (size_t b = 0; b < 2; b++) {
        tm_new(&m, tm_backends[b], 0, 0);
        mr_set_dirty_log(m.ram, DIRTY_VGA, true);
        run_loop(); /* warm: TLB entries and blocks exist */
        for (int round = 0; round < 3; round++) {
            (void)vga_dirty(TM_DATA); /* the display took the page */
            cr_assert(!vga_dirty(TM_DATA));
            uint64_t marks = m.env->tlb.stats.dirty_marks;
            run_loop();
            cr_assert(vga_dirty(TM_DATA), "round %d: the store was missed",
                      round);
            cr_assert_eq(m.env->tlb.stats.dirty_marks, marks + 1,
                         "one slow store, then the fast path");
        }
        /* the other client is not logging: its bits are left alone */
        cr_assert(mr_test_and_clear_dirty(m.ram, TM_DATA, 1, DIRTY_MIGRATE));
        tm_free(&m);
    }
}

Test(dirty, without_logging_stores_stay_fast)
{
    tm_new(&m, TCG_BACKEND_JIT, 0, 0);
    run_loop();
    (void)vga_dirty(TM_DATA);
    uint64_t slow = m.env->tlb.stats.slow_st;
    run_loop();
    cr_assert_eq(m.env->tlb.stats.dirty_marks, 0);
    cr_assert_eq(m.env->tlb.stats.slow_st, slow, "a store left the fast path");
    /* logging turned on later tags pages already clean */
    mr_set_dirty_log(m.ram, DIRTY_VGA, true);
    cr_assert(!vga_dirty(TM_DATA));
    run_loop();
    cr_assert(vga_dirty(TM_DATA));
    mr_set_dirty_log(m.ram, DIRTY_VGA, false);
    tm_free(&m);
}
