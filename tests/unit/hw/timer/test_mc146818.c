/*
 * MC146818 RTC/CMOS through ports 0x70/0x71 on a manual virtual clock,
 * starting from the base 2006-06-17T16:01:21 UTC; IRQ 8 is a recording
 * fake line.
 */
#include <criterion/criterion.h>

#include "hw/timer/mc146818.h"

#define T0 5000000000LL

static MemRegion *root;
static AddrSpace *io;
static Clock *clk;
static Mc146818 *rtc;
static int irq_level, rises;
static int64_t rise_ns[64];
static time_t base;

static void irq_cb(void *opaque, int n, int level)
{
    if (level && !irq_level && rises < 64) {
        rise_ns[rises++] = clock_ns(clk);
    }
    irq_level = level;
}

static void setup(void)
{
    struct tm tm = {.tm_year = 106,
                    .tm_mon = 5,
                    .tm_mday = 17,
                    .tm_hour = 16,
                    .tm_min = 1,
                    .tm_sec = 21};
    base = timegm(&tm); /* 2006-06-17T16:01:21, a Saturday */
    root = mr_new_container("io", 0x10000);
    io = as_new("io", root);
    clk = clock_new(CLOCK_KIND_VIRTUAL);
    clock_set_manual(clk, true);
    clock_set_ns(clk, T0);
    irq_level = rises = 0;
    rtc = mc146818_new(root, irq_line(irq_cb, NULL, 8), clk, base);
}

static void teardown(void)
{
    mc146818_free(rtc);
    clock_free(clk);
    as_free(io);
    mr_free(root);
}

static uint8_t rd(uint8_t idx)
{
    as_st8(io, 0x70, idx);
    return as_ld8(io, 0x71);
}

static void wr(uint8_t idx, uint8_t v)
{
    as_st8(io, 0x70, idx);
    as_st8(io, 0x71, v);
}

TestSuite(mc146818, .init = setup, .fini = teardown, .timeout = 10);

Test(mc146818, bcd_time_fields)
{
    cr_assert_eq(rd(RTC_SECONDS), 0x21);
    cr_assert_eq(rd(RTC_MINUTES), 0x01);
    cr_assert_eq(rd(RTC_HOURS), 0x16);
    cr_assert_eq(rd(RTC_DAY_OF_WEEK), 7);
    cr_assert_eq(rd(RTC_DAY_OF_MONTH), 0x17);
    cr_assert_eq(rd(RTC_MONTH), 0x06);
    cr_assert_eq(rd(RTC_YEAR), 0x06);
    cr_assert_eq(rd(RTC_CENTURY), 0x20);
    cr_assert_eq(rd(RTC_REG_D), 0x80);
    clock_step(clk, 39 * NS_PER_SEC + 1);
    cr_assert_eq(rd(RTC_SECONDS), 0x00);
    cr_assert_eq(rd(RTC_MINUTES), 0x02);
    cr_assert_eq(mc146818_get_time(rtc), base + 39);
}

Test(mc146818, binary_mode)
{
    wr(RTC_REG_B, 0x06);
    cr_assert_eq(rd(RTC_SECONDS), 21);
    cr_assert_eq(rd(RTC_HOURS), 16);
    cr_assert_eq(rd(RTC_YEAR), 6);
    clock_step(clk, 10 * NS_PER_SEC);
    cr_assert_eq(rd(RTC_SECONDS), 31);
}

Test(mc146818, twelve_hour_mode)
{
    wr(RTC_REG_B, 0x00);
    cr_assert_eq(rd(RTC_HOURS), 0x84, "4 PM in BCD with the PM bit");
    wr(RTC_REG_B, 0x04);
    cr_assert_eq(rd(RTC_HOURS), 0x84);
    wr(RTC_HOURS, 0x80 | 12); /* 12 PM binary is noon */
    cr_assert_eq(mc146818_get_time(rtc) - base, (12 - 16) * 3600);
}

Test(mc146818, uip_window_before_update)
{
    clock_step(clk, NS_PER_SEC - 300000);
    cr_assert_eq(rd(RTC_REG_A) & 0x80, 0);
    clock_step(clk, 100000);
    cr_assert_eq(rd(RTC_REG_A) & 0x80, 0x80);
    cr_assert_eq(rd(RTC_SECONDS), 0x21, "update not yet done");
    clock_step(clk, 200000);
    cr_assert_eq(rd(RTC_REG_A) & 0x80, 0);
    cr_assert_eq(rd(RTC_SECONDS), 0x22);
}

Test(mc146818, update_ended_interrupt_each_second)
{
    wr(RTC_REG_B, 0x12);
    clock_step(clk, NS_PER_SEC / 2);
    cr_assert_eq(irq_level, 0);
    clock_step(clk, NS_PER_SEC);
    cr_assert_eq(irq_level, 1);
    cr_assert_eq(rise_ns[0], T0 + NS_PER_SEC);
    cr_assert_eq(rd(RTC_REG_C) & 0xb0, 0x90, "IRQF and UF (PF runs too)");
    cr_assert_eq(irq_level, 0, "reading C lowers IRQ 8");
    cr_assert_eq(rd(RTC_REG_C) & 0xb0, 0x00);
    clock_step(clk, NS_PER_SEC);
    cr_assert_eq(rises, 2);
    cr_assert_eq(rise_ns[1], T0 + 2 * NS_PER_SEC);
}

Test(mc146818, periodic_interrupt_rate)
{
    wr(RTC_REG_A, 0x26); /* 1024 Hz: 976562.5 ns */
    wr(RTC_REG_B, 0x42);
    clock_step(clk, 900000);
    cr_assert_eq(irq_level, 0);
    clock_step(clk, 100000);
    cr_assert_eq(irq_level, 1);
    cr_assert_eq(rise_ns[0], T0 + 976563);
    cr_assert_eq(rd(RTC_REG_C), 0xc0);
    cr_assert_eq(irq_level, 0);
    clock_step(clk, 1000000);
    cr_assert_eq(rises, 2);
    cr_assert_eq(rise_ns[1], T0 + 1953125);
}

Test(mc146818, periodic_flag_without_pie)
{
    wr(RTC_REG_A, 0x2f); /* 2 Hz */
    clock_step(clk, NS_PER_SEC / 4);
    cr_assert_eq(rd(RTC_REG_C) & 0x40, 0);
    clock_step(clk, NS_PER_SEC / 4);
    cr_assert_eq(rd(RTC_REG_C) & 0xc0, 0x40, "PF without IRQF");
    cr_assert_eq(rises, 0);
}

Test(mc146818, alarm_with_dont_care_fields)
{
    wr(RTC_SECONDS_ALARM, 0x25);
    wr(RTC_MINUTES_ALARM, 0xc0);
    wr(RTC_HOURS_ALARM, 0xff);
    wr(RTC_REG_B, 0x22);
    clock_step(clk, 3 * NS_PER_SEC);
    cr_assert_eq(irq_level, 0);
    clock_step(clk, NS_PER_SEC);
    cr_assert_eq(irq_level, 1);
    cr_assert_eq(rise_ns[0], T0 + 4 * NS_PER_SEC);
    cr_assert_eq(rd(RTC_REG_C) & 0xa0, 0xa0);
    clock_step(clk, 5 * NS_PER_SEC);
    cr_assert_eq(irq_level, 0, "the alarm matched once");
}

Test(mc146818, set_bit_freezes_and_restarts)
{
    wr(RTC_REG_B, 0x82 | 0x10);
    cr_assert_eq(rd(RTC_REG_B), 0x82, "SET clears UIE");
    wr(RTC_SECONDS, 0x50);
    wr(RTC_MINUTES, 0x59);
    wr(RTC_HOURS, 0x23);
    clock_step(clk, 5 * NS_PER_SEC);
    cr_assert_eq(rd(RTC_SECONDS), 0x50);
    cr_assert_eq(rd(RTC_REG_A) & 0x80, 0);
    wr(RTC_REG_B, 0x02);
    clock_step(clk, 10 * NS_PER_SEC);
    cr_assert_eq(rd(RTC_SECONDS), 0x00);
    cr_assert_eq(rd(RTC_HOURS), 0x00);
    cr_assert_eq(rd(RTC_DAY_OF_MONTH), 0x18, "rolled over midnight");
}

Test(mc146818, nmi_mask_and_nvram)
{
    as_st8(io, 0x70, 0x80 | 0x40);
    cr_assert(mc146818_nmi_masked(rtc));
    as_st8(io, 0x71, 0x5a);
    as_st8(io, 0x70, 0x40);
    cr_assert_not(mc146818_nmi_masked(rtc));
    cr_assert_eq(as_ld8(io, 0x71), 0x5a);
    cr_assert_eq(mc146818_cmos_read(rtc, 0x40), 0x5a);
    mc146818_cmos_set_memory(rtc, 128ull << 20, 1ull << 30);
    cr_assert_eq(rd(0x15) | rd(0x16) << 8, 640);
    cr_assert_eq(rd(0x34) | rd(0x35) << 8, (128 - 16) * 16);
    cr_assert_eq(rd(0x5b) | rd(0x5c) << 8, 16384);
    cr_assert_eq(rd(0x17) | rd(0x18) << 8, 0xffff);
    unsigned sum = 0;
    for (int i = 0x10; i <= 0x2d; i++) {
        sum += rd((uint8_t)i);
    }
    cr_assert_eq((unsigned)(rd(0x2e) << 8 | rd(0x2f)), sum);
}

Test(mc146818, malformed_accesses_are_harmless)
{
    wr(RTC_REG_D, 0x00);
    cr_assert_eq(rd(RTC_REG_D), 0x80);
    wr(RTC_REG_A, 0x20); /* no periodic flag */
    wr(RTC_REG_C, 0xff);
    cr_assert_eq(rd(RTC_REG_C), 0x00);
    cr_assert_eq(as_ld8(io, 0x70), 0xff);
    cr_assert_eq(as_ld16(io, 0x70), 0xffff);
    wr(RTC_MONTH, 0xff); /* absurd BCD: defined, no crash */
    wr(RTC_SECONDS, 0x99);
    cr_assert_eq(rd(RTC_SECONDS), 0x39, "99 s normalizes to 39");
    cr_assert_leq(rd(RTC_MONTH), 0x12, "fields are re-encoded valid");
    wr(RTC_REG_A, 0x70); /* divider reset stops the clock */
    uint8_t sec = rd(RTC_SECONDS);
    clock_step(clk, 3 * NS_PER_SEC);
    cr_assert_eq(rd(RTC_SECONDS), sec);
}
