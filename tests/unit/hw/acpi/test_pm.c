/*
 * ACPI PM block (PM1a, PM timer, GPE0) through I/O ports at the default
 * base, on a manual virtual clock; the SCI is a recording fake line and
 * the power-off callback counts calls.
 */
#include <criterion/criterion.h>

#include "hw/acpi/pm.h"

#define PB ACPI_PM_BASE_DEFAULT

static MemRegion *root;
static AddrSpace *io;
static Clock *clk;
static AcpiPm *pm;
static int sci_level, sci_rises, poweroffs;

static void sci_cb(void *opaque, int n, int level)
{
    if (level && !sci_level) {
        sci_rises++;
    }
    sci_level = level;
}

static void poweroff_cb(void *opaque)
{
    (*(int *)opaque)++;
}

static void setup(void)
{
    root = mr_new_container("io", 0x10000);
    io = as_new("io", root);
    clk = clock_new(CLOCK_KIND_VIRTUAL);
    clock_set_manual(clk, true);
    clock_set_ns(clk, 123456789);
    sci_level = sci_rises = poweroffs = 0;
    pm = acpi_pm_new(root, PB, irq_line(sci_cb, NULL, 9), clk, poweroff_cb,
                     &poweroffs);
}

static void teardown(void)
{
    acpi_pm_free(pm);
    clock_free(clk);
    as_free(io);
    mr_free(root);
}

TestSuite(acpi_pm, .init = setup, .fini = teardown, .timeout = 10);

static uint64_t ticks_at(int64_t ns)
{
    return (uint64_t)((unsigned __int128)ns * 3579545 / 1000000000);
}

Test(acpi_pm, timer_runs_at_3_579545_mhz)
{
    uint32_t a = as_ld32(io, PB + 8);
    cr_assert_eq(a, ticks_at(123456789) & 0xffffff);
    clock_step(clk, NS_PER_SEC);
    uint32_t b = as_ld32(io, PB + 8);
    cr_assert_eq((b - a) & 0xffffff,
                 (ticks_at(NS_PER_SEC + 123456789) - ticks_at(123456789)) &
                     0xffffff);
    cr_assert_eq(b >> 24, 0, "24-bit timer");
    clock_step(clk, 1000);
    cr_assert_eq(as_ld8(io, PB + 8), ticks_at(NS_PER_SEC + 123457789) & 0xff);
}

Test(acpi_pm, s5_requests_power_off)
{
    as_st16(io, PB + 4, 1 << 10 | 1 << 13); /* S1: not modelled, wakes */
    cr_assert_eq(poweroffs, 0);
    cr_assert(as_ld16(io, PB) & ACPI_PM1_WAK);
    cr_assert_eq(as_ld16(io, PB + 4) & ACPI_PM1_SLP_EN, 0, "SLP_EN reads 0");
    as_st16(io, PB + 4, ACPI_PM_SLP_TYP_S5 << 10 | 1 << 13);
    cr_assert_eq(poweroffs, 1);
}

Test(acpi_pm, sci_on_timer_overflow_status)
{
    as_st16(io, PB + 4, ACPI_PM1_SCI_EN);
    as_st16(io, PB, 0xffff); /* clear everything */
    as_st16(io, PB + 2, ACPI_PM1_TMR);
    cr_assert_eq(sci_level, 0);
    uint64_t t0 = ticks_at(clock_ns(clk));
    uint64_t next = ((t0 >> 23) + 1) << 23;
    int64_t due = (int64_t)((next * 1000000000 + 3579544) / 3579545);
    clock_set_ns(clk, due - 1);
    cr_assert_eq(sci_level, 0);
    clock_step(clk, 1);
    cr_assert_eq(sci_level, 1);
    cr_assert(as_ld16(io, PB) & ACPI_PM1_TMR);
    as_st16(io, PB, ACPI_PM1_TMR);
    cr_assert_eq(sci_level, 0);
    cr_assert_eq(as_ld16(io, PB) & ACPI_PM1_TMR, 0);
}

Test(acpi_pm, tmr_sts_without_enable_gives_no_sci)
{
    as_st16(io, PB + 4, ACPI_PM1_SCI_EN);
    clock_step(clk, 3 * NS_PER_SEC);
    cr_assert(as_ld16(io, PB) & ACPI_PM1_TMR, "status set lazily");
    cr_assert_eq(sci_rises, 0);
}

Test(acpi_pm, power_button_and_sci_en_gate)
{
    as_st16(io, PB + 2, ACPI_PM1_PWRBTN);
    acpi_pm_power_button(pm);
    cr_assert_eq(sci_level, 0, "SCI_EN off");
    as_st16(io, PB + 4, ACPI_PM1_SCI_EN);
    cr_assert_eq(sci_level, 1);
    as_st8(io, PB + 1, ACPI_PM1_PWRBTN >> 8); /* byte write-1-clear */
    cr_assert_eq(sci_level, 0);
}

Test(acpi_pm, gpe0_status_and_enable)
{
    as_st16(io, PB + 4, ACPI_PM1_SCI_EN);
    acpi_pm_raise_gpe(pm, 3);
    cr_assert_eq(sci_level, 0);
    cr_assert_eq(as_ld32(io, PB + 0x20), 0x8);
    as_st32(io, PB + 0x24, 0x8);
    cr_assert_eq(as_ld32(io, PB + 0x24), 0x8);
    cr_assert_eq(sci_level, 1);
    as_st32(io, PB + 0x20, 0x8);
    cr_assert_eq(sci_level, 0);
    acpi_pm_raise_gpe(pm, 99);
    cr_assert_eq(as_ld32(io, PB + 0x20), 0);
}

Test(acpi_pm, malformed_accesses_are_harmless)
{
    cr_assert_eq(as_ld32(io, PB + 0x10), 0, "reserved reads 0");
    as_st32(io, PB + 8, 0x12345678); /* the timer is read-only */
    cr_assert_eq(as_ld32(io, PB + 8), ticks_at(123456789) & 0xffffff);
    cr_assert_eq(as_ld64(io, PB), UINT64_MAX, "8-byte access invalid");
    as_st16(io, PB + 2, 0xffff);
    cr_assert_eq(as_ld16(io, PB + 2), 0x0521, "only defined enable bits");
    as_st16(io, PB + 4, 0xffff & ~ACPI_PM1_SLP_EN);
    cr_assert_eq(as_ld16(io, PB + 4), 0x1c03);
    cr_assert_eq(poweroffs, 0);
}
