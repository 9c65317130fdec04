/*
 * HPET registers through system memory (64-bit and 32-bit accesses) on a
 * manual virtual clock; 24 fake IRQ lines record edges and levels by
 * GSI number.
 */
#include <criterion/criterion.h>

#include "hw/timer/hpet.h"

#define T0 1000000
#define B HPET_BASE
#define TCONF(n) (B + 0x100 + 0x20 * (n))
#define TCMP(n) (B + 0x108 + 0x20 * (n))

static MemRegion *root;
static AddrSpace *mem;
static Clock *clk;
static Hpet *hpet;
static IrqLine lines[24];
static int level[24], rises[24];
static int64_t first_rise[24], last_rise[24];

static void irq_cb(void *opaque, int n, int lvl)
{
    if (lvl && !level[n]) {
        if (!rises[n]) {
            first_rise[n] = clock_ns(clk);
        }
        last_rise[n] = clock_ns(clk);
        rises[n]++;
    }
    level[n] = lvl;
}

static void setup(void)
{
    root = mr_new_container("sys", UINT64_MAX);
    mem = as_new("sys", root);
    clk = clock_new(CLOCK_KIND_VIRTUAL);
    clock_set_manual(clk, true);
    clock_set_ns(clk, T0);
    for (int i = 0; i < 24; i++) {
        lines[i] = irq_line(irq_cb, NULL, i);
        level[i] = rises[i] = 0;
    }
    hpet = hpet_new(root, HPET_BASE, lines, 24, clk);
}

static void teardown(void)
{
    hpet_free(hpet);
    clock_free(clk);
    as_free(mem);
    mr_free(root);
}

TestSuite(hpet, .init = setup, .fini = teardown, .timeout = 10);

Test(hpet, capabilities)
{
    uint32_t lo = as_ld32(mem, B);
    cr_assert_eq(lo >> 16, 0x8086);
    cr_assert(lo & (1u << 15), "legacy replacement capable");
    cr_assert(lo & (1u << 13), "64-bit counter");
    cr_assert_eq((lo >> 8) & 0x1f, 2, "three timers");
    cr_assert_eq(as_ld32(mem, B + 4), 10000000, "10 ns in fs");
    cr_assert_eq(as_ld64(mem, B) >> 32, 10000000);
    cr_assert_eq(as_ld32(mem, TCONF(1) + 4), HPET_ROUTE_CAP);
}

Test(hpet, counter_advances_only_while_enabled)
{
    clock_step(clk, 5000);
    cr_assert_eq(as_ld64(mem, B + 0xf0), 0);
    as_st64(mem, B + 0xf0, 1000);
    as_st32(mem, B + 0x10, 1);
    clock_step(clk, 12345);
    cr_assert_eq(as_ld64(mem, B + 0xf0), 1000 + 1234);
    as_st64(mem, B + 0xf0, 7); /* ignored while running */
    cr_assert_eq(as_ld32(mem, B + 0xf0), 1000 + 1234);
    as_st32(mem, B + 0x10, 0);
    clock_step(clk, 100000);
    cr_assert_eq(as_ld64(mem, B + 0xf0), 1000 + 1234);
    as_st32(mem, B + 0xf4, 0x1); /* high half while halted */
    cr_assert_eq(as_ld64(mem, B + 0xf0), (1ull << 32) | (1000 + 1234));
}

Test(hpet, one_shot_comparator_edge)
{
    as_st64(mem, TCONF(2), 20 << 9 | 1 << 2);
    as_st64(mem, TCMP(2), 500);
    as_st32(mem, B + 0x10, 1);
    clock_step(clk, 4990);
    cr_assert_eq(rises[20], 0);
    clock_step(clk, 10);
    cr_assert_eq(rises[20], 1);
    cr_assert_eq(first_rise[20], T0 + 5000);
    cr_assert_eq(level[20], 0, "edge: pulsed");
    clock_step(clk, 1000000);
    cr_assert_eq(rises[20], 1, "one-shot");
    cr_assert_eq(as_ld64(mem, B + 0x20), 0, "no status in edge mode");
}

Test(hpet, periodic_with_value_set)
{
    as_st64(mem, TCONF(0), 21 << 9 | 1 << 6 | 1 << 3 | 1 << 2);
    as_st64(mem, TCMP(0), 1000);
    as_st32(mem, B + 0x10, 1);
    clock_step(clk, 35000);
    cr_assert_eq(rises[21], 3);
    cr_assert_eq(first_rise[21], T0 + 10000);
    cr_assert_eq(last_rise[21], T0 + 30000);
    cr_assert_eq(as_ld64(mem, TCMP(0)), 4000, "comparator accumulates");
}

Test(hpet, periodic_period_write_without_value_set)
{
    as_st64(mem, TCONF(0), 21 << 9 | 1 << 6 | 1 << 3 | 1 << 2);
    as_st64(mem, TCMP(0), 100); /* accumulator: first match at 100 */
    as_st64(mem, TCMP(0), 300); /* then the period */
    as_st32(mem, B + 0x10, 1);
    clock_step(clk, 7500);
    cr_assert_eq(rises[21], 3); /* 100, 400, 700 */
    cr_assert_eq(last_rise[21], T0 + 7000);
}

Test(hpet, periodic_set_by_32bit_halves)
{
    as_st32(mem, TCONF(0), 21 << 9 | 1 << 6 | 1 << 3 | 1 << 2);
    as_st32(mem, TCMP(0), 2000); /* low half, then high half */
    as_st32(mem, TCMP(0) + 4, 0);
    cr_assert_eq(as_ld64(mem, TCMP(0)), 2000, "VAL_SET covered both halves");
    as_st32(mem, B + 0x10, 1);
    clock_step(clk, 45000);
    cr_assert_eq(rises[21], 2);
    cr_assert_eq(last_rise[21], T0 + 40000);
}

Test(hpet, legacy_replacement_routing)
{
    as_st64(mem, TCONF(0), 20 << 9 | 1 << 2);
    as_st64(mem, TCONF(1), 20 << 9 | 1 << 2);
    as_st64(mem, TCMP(0), 10);
    as_st64(mem, TCMP(1), 20);
    as_st32(mem, B + 0x10, 3);
    cr_assert(hpet_legacy_mode(hpet));
    clock_step(clk, 1000);
    cr_assert_eq(rises[0], 1);
    cr_assert_eq(rises[8], 1);
    cr_assert_eq(rises[20], 0);
}

Test(hpet, level_status_and_write_one_to_clear)
{
    as_st64(mem, TCONF(1), 22 << 9 | 1 << 2 | 1 << 1);
    as_st64(mem, TCMP(1), 50);
    as_st32(mem, B + 0x10, 1);
    clock_step(clk, 1000);
    cr_assert_eq(level[22], 1);
    cr_assert_eq(as_ld32(mem, B + 0x20), 0x2);
    as_st32(mem, B + 0x20, 0x1); /* other bit: no effect */
    cr_assert_eq(level[22], 1);
    as_st32(mem, B + 0x20, 0x2);
    cr_assert_eq(level[22], 0);
    cr_assert_eq(as_ld32(mem, B + 0x20), 0);
}

Test(hpet, thirty_two_bit_mode_wraps)
{
    as_st64(mem, B + 0xf0, 0xffffff00ull);
    as_st64(mem, TCONF(2), 23 << 9 | 1 << 8 | 1 << 2);
    as_st64(mem, TCMP(2), 0x1234567800000010ull);
    cr_assert_eq(as_ld64(mem, TCMP(2)), 0x10, "high half dropped");
    as_st32(mem, B + 0x10, 1);
    clock_step(clk, 0x110 * 10);
    cr_assert_eq(rises[23], 1);
    cr_assert_eq(first_rise[23], T0 + 0x110 * 10);
}

Test(hpet, malformed_accesses_are_harmless)
{
    cr_assert_eq(as_ld8(mem, B), 0xff, "byte reads are invalid");
    cr_assert_eq(as_ld32(mem, B + 0x30), 0, "reserved");
    as_st64(mem, B, 0);
    cr_assert_eq(as_ld32(mem, B + 4), 10000000);
    as_st64(mem, TCONF(0), 3 << 9); /* route 3 is not in the mask */
    cr_assert_eq((as_ld32(mem, TCONF(0)) >> 9) & 0x1f, 0);
    as_st64(mem, TCONF(0), ~0ull);
    cr_assert_eq(as_ld32(mem, TCONF(0)) & (1u << 14), 0, "no FSB");
    as_st64(mem, B + 0x3f8, 1);
    cr_assert_eq(as_ld64(mem, B + 0x3f8), 0);
}

/* fuzzer find: a 1-tick period ran a timer callback every 10 ns */
Test(hpet, tiny_period_does_not_storm)
{
    as_st64(mem, TCONF(0), 21 << 9 | 1 << 6 | 1 << 3 | 1 << 2);
    as_st64(mem, TCMP(0), 1);
    as_st32(mem, B + 0x10, 1);
    clock_step(clk, 1000000);
    int max = 1000000 / HPET_MIN_PERIOD_NS + 1;
    cr_assert(rises[21] >= max / 2 && rises[21] <= max, "rises %d, max %d",
              rises[21], max);
    uint64_t cmp = as_ld64(mem, TCMP(0));
    uint64_t now = as_ld64(mem, B + 0xf0);
    cr_assert(cmp > now && cmp <= now + HPET_MIN_PERIOD_NS / 10,
              "comparator %lu ahead of counter %lu by one re-arm step",
              (unsigned long)cmp, (unsigned long)now);
}
