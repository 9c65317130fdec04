/*
 * 8254 PIT and port 0x61 against a manually stepped virtual clock. Expected
 * counts are computed from elapsed virtual time at 1.193182 MHz; IRQ 0
 * edges are recorded with the virtual time at which they happened.
 */
#include <criterion/criterion.h>

#include "hw/timer/i8254.h"

#define T0 1000000 /* the clock starts here, away from zero */

static MemRegion *root;
static AddrSpace *io;
static Clock *clk;
static I8254 *pit;
static int irq_level, rises;
static int64_t rise_ns[256];

static void irq_cb(void *opaque, int n, int level)
{
    if (level && !irq_level) {
        if (rises < 256) {
            rise_ns[rises] = clock_ns(clk);
        }
        rises++;
    }
    irq_level = level;
}

static void setup(void)
{
    root = mr_new_container("io", 0x10000);
    io = as_new("io", root);
    clk = clock_new(CLOCK_KIND_VIRTUAL);
    clock_set_manual(clk, true);
    clock_set_ns(clk, T0);
    irq_level = rises = 0;
    pit = i8254_new(root, irq_line(irq_cb, NULL, 0), clk);
}

static void teardown(void)
{
    i8254_free(pit);
    clock_free(clk);
    as_free(io);
    mr_free(root);
}

TestSuite(i8254, .init = setup, .fini = teardown, .timeout = 10);

/* ticks of the 1.193182 MHz input in ns nanoseconds */
static uint64_t ticks(int64_t ns)
{
    return (uint64_t)((unsigned __int128)ns * 1193182 / 1000000000);
}

static void program(int ch, int mode, uint16_t count)
{
    as_st8(io, 0x43, (uint8_t)(ch << 6 | 0x30 | mode << 1));
    as_st8(io, 0x40 + ch, count & 0xff);
    as_st8(io, 0x40 + ch, count >> 8);
}

static uint16_t latch_read(int ch)
{
    as_st8(io, 0x43, (uint8_t)(ch << 6));
    uint16_t v = as_ld8(io, 0x40 + ch);
    return v | as_ld8(io, 0x40 + ch) << 8;
}

static uint8_t status(int ch)
{
    as_st8(io, 0x43, 0xe0 | 2 << ch); /* read-back: status only */
    return as_ld8(io, 0x40 + ch);
}

Test(i8254, mode0_counts_down_and_raises_out)
{
    program(0, 0, 5000);
    cr_assert_eq(irq_level, 0);
    clock_step(clk, 1234567);
    cr_assert_eq(latch_read(0), 5000 - ticks(1234567));
    clock_step(clk, 5000000);
    cr_assert_eq(irq_level, 1);
    cr_assert_eq(rises, 1);
    /* the edge came at the tick where the count reached zero */
    cr_assert_geq(ticks(rise_ns[0] - T0), 5000);
    cr_assert_lt(ticks(rise_ns[0] - T0 - 1), 5000);
    cr_assert_eq(latch_read(0), (uint16_t)(5000 - ticks(6234567)));
}

Test(i8254, latch_freezes_the_read_value)
{
    program(0, 2, 30000);
    clock_step(clk, 100000);
    as_st8(io, 0x43, 0x00);
    clock_step(clk, 100000);
    as_st8(io, 0x43, 0x00); /* a second latch is ignored */
    uint16_t v = as_ld8(io, 0x40);
    v |= as_ld8(io, 0x40) << 8;
    cr_assert_eq(v, 30000 - ticks(100000));
    cr_assert_eq(latch_read(0), 30000 - ticks(200000));
}

Test(i8254, lsb_only_and_msb_only_access)
{
    as_st8(io, 0x43, 0x50 | 2 << 1); /* counter 1, LSB only, mode 2 */
    as_st8(io, 0x41, 200);
    clock_step(clk, 10000);
    cr_assert_eq(as_ld8(io, 0x41), 200 - ticks(10000));
    as_st8(io, 0x43, 0x60 | 2 << 1); /* MSB only: count 0x0300 */
    as_st8(io, 0x41, 0x03);
    clock_step(clk, 200000);
    cr_assert_eq(as_ld8(io, 0x41), (0x300 - ticks(200000)) >> 8);
}

Test(i8254, mode2_irq_edges_once_per_period)
{
    program(0, 2, 1193);
    rises = 0; /* the control word itself raised OUT */
    for (int i = 0; i < 100; i++) {
        clock_step(clk, 50000);
    }
    cr_assert_eq(rises, (int)(ticks(5000000) / 1193));
    for (int k = 0; k < rises; k++) {
        uint64_t want = (uint64_t)(k + 1) * 1193;
        cr_assert_geq(ticks(rise_ns[k] - T0), want);
        cr_assert_lt(ticks(rise_ns[k] - T0 - 1), want);
    }
}

Test(i8254, mode3_square_wave_out_and_edges)
{
    program(0, 3, 1000);
    rises = 0;
    clock_step(clk, 100000); /* 119 ticks: first half, OUT high */
    cr_assert_eq(status(0) >> 7, 1);
    cr_assert_eq(latch_read(0), 1000 - 2 * ticks(100000));
    clock_step(clk, 400000); /* 596 ticks: second half, OUT low */
    cr_assert_eq(status(0) >> 7, 0);
    clock_step(clk, 2000000);
    cr_assert_eq(rises, (int)(ticks(2500000) / 1000));
    uint64_t want = 2 * 1000;
    cr_assert_geq(ticks(rise_ns[1] - T0), want);
    cr_assert_lt(ticks(rise_ns[1] - T0 - 1), want);
}

Test(i8254, read_back_status_reports_mode_and_null_count)
{
    as_st8(io, 0x61, 0x01);
    as_st8(io, 0x43, 0xb0 | 4 << 1 | 1); /* ch2, LSB/MSB, mode 4, BCD */
    uint8_t st = status(2);
    cr_assert_eq(st & 0x3f, 0x30 | 4 << 1 | 1);
    cr_assert(st & 0x40, "null count before a count is written");
    as_st8(io, 0x42, 0x00);
    as_st8(io, 0x42, 0x10); /* BCD 1000 */
    clock_step(clk, 5000);
    st = status(2);
    cr_assert_eq(st & 0x40, 0, "count loaded");
    cr_assert_eq(st >> 7, 1, "mode 4 OUT high while counting");
    as_st8(io, 0x43, 0xd8); /* read-back count of counter 2 */
    uint16_t v = as_ld8(io, 0x42);
    v |= as_ld8(io, 0x42) << 8;
    uint32_t want = 1000 - ticks(5000);
    cr_assert_eq(v, (want / 100) << 8 | (want / 10 % 10) << 4 | want % 10);
}

Test(i8254, status_then_count_from_one_read_back)
{
    program(1, 0, 0x1234);
    clock_step(clk, 1000);
    as_st8(io, 0x43, 0xc4); /* count and status of counter 1 */
    uint8_t st = as_ld8(io, 0x41);
    cr_assert_eq(st & 0x3f, 0x30);
    uint16_t v = as_ld8(io, 0x41);
    v |= as_ld8(io, 0x41) << 8;
    cr_assert_eq(v, 0x1234 - ticks(1000));
}

Test(i8254, port61_gate_controls_counter2)
{
    program(2, 0, 100);
    clock_step(clk, 200000);
    cr_assert_eq(latch_read(2), 100, "gate low: no counting");
    cr_assert_eq(as_ld8(io, 0x61) & 0x20, 0, "OUT2 low in mode 0");
    as_st8(io, 0x61, 0x01);
    cr_assert_eq(as_ld8(io, 0x61) & 0x01, 0x01);
    clock_step(clk, 20000);
    cr_assert_eq(latch_read(2), 100 - ticks(20000));
    as_st8(io, 0x61, 0x00);
    clock_step(clk, 200000);
    cr_assert_eq(latch_read(2), 100 - ticks(20000), "paused again");
    as_st8(io, 0x61, 0x01);
    clock_step(clk, 100000);
    cr_assert_eq(as_ld8(io, 0x61) & 0x20, 0x20, "OUT2 high at terminal");
}

Test(i8254, mode1_one_shot_triggered_by_gate)
{
    as_st8(io, 0x61, 0x01);
    as_st8(io, 0x61, 0x00);
    program(2, 1, 50);
    clock_step(clk, 100000);
    cr_assert_eq(as_ld8(io, 0x61) & 0x20, 0x20, "OUT high until triggered");
    as_st8(io, 0x61, 0x01);
    clock_step(clk, 10000);
    cr_assert_eq(as_ld8(io, 0x61) & 0x20, 0, "OUT low while counting");
    cr_assert_eq(latch_read(2), 50 - ticks(10000));
    clock_step(clk, 50000);
    cr_assert_eq(as_ld8(io, 0x61) & 0x20, 0x20);
}

Test(i8254, mode2_gate_low_holds_out_high)
{
    program(2, 2, 10);
    as_st8(io, 0x61, 0x01);
    clock_step(clk, 7500); /* tick 8: 9 is the low tick */
    cr_assert_eq(latch_read(2), 10 - ticks(7500) % 10);
    as_st8(io, 0x61, 0x00);
    cr_assert_eq(as_ld8(io, 0x61) & 0x20, 0x20);
    as_st8(io, 0x61, 0x01); /* rising gate reloads */
    cr_assert_eq(latch_read(2), 10);
}

Test(i8254, mode4_strobe_one_tick_low)
{
    program(0, 4, 100);
    rises = 0;
    clock_step(clk, 200000);
    cr_assert_eq(rises, 1, "the strobe's trailing edge");
    cr_assert_eq(irq_level, 1);
    cr_assert_eq(ticks(rise_ns[0] - T0), 101);
}

Test(i8254, mode5_strobe_triggered_by_gate)
{
    program(2, 5, 40);
    clock_step(clk, 100000);
    cr_assert_eq(latch_read(2), 40, "waits for a gate edge");
    as_st8(io, 0x61, 0x01);
    clock_step(clk, 20000);
    cr_assert_eq(latch_read(2), 40 - ticks(20000));
    cr_assert_eq(as_ld8(io, 0x61) & 0x20, 0x20);
    int64_t tick40 = (40 * 1000000000LL + 1193181) / 1193182;
    clock_set_ns(clk, T0 + 100000 + tick40); /* trigger + 40 ticks */
    cr_assert_eq(as_ld8(io, 0x61) & 0x20, 0, "strobe low at count");
    clock_step(clk, 1000);
    cr_assert_eq(as_ld8(io, 0x61) & 0x20, 0x20);
}

Test(i8254, mode2_count_sequence)
{
    program(1, 2, 100);
    for (int i = 0; i < 20; i++) {
        clock_step(clk, 7777);
        uint64_t d = ticks(7777 * (i + 1));
        cr_assert_eq(latch_read(1), 100 - d % 100);
    }
}

Test(i8254, tiny_reload_is_clamped)
{
    program(0, 2, 1);
    for (int i = 0; i < 100; i++) {
        clock_step(clk, 10000);
    }
    cr_assert_leq(rises, 1000000 / I8254_MIN_IRQ_PERIOD_NS + 1);
    cr_assert_geq(rises, 1000000 / I8254_MIN_IRQ_PERIOD_NS / 2);
}

Test(i8254, reprogramming_stops_the_old_period)
{
    program(0, 2, 1000);
    clock_step(clk, 500000);
    as_st8(io, 0x43, 0x30); /* mode 0, no count yet: no more edges */
    int before = rises;
    clock_step(clk, 5000000);
    cr_assert_eq(rises, before);
    cr_assert_eq(irq_level, 0);
}

Test(i8254, malformed_accesses_are_harmless)
{
    cr_assert_eq(as_ld8(io, 0x43), 0xff);
    as_st16(io, 0x40, 0x1234);
    cr_assert_eq(as_ld16(io, 0x40), 0xffff);
    as_st8(io, 0x43, 0x3e); /* mode 7 is mode 3 */
    cr_assert_eq(status(0) & 0x0e, 3 << 1);
    as_st8(io, 0x40, 0);
    as_st8(io, 0x40, 0); /* count 0 = 65536 */
    clock_step(clk, 1000);
    cr_assert_eq(latch_read(0), (uint16_t)(65536 - 2 * ticks(1000)));
    cr_assert_eq(i8254_get_out(pit, 7), false);
}
