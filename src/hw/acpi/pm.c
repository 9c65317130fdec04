/*
 * ACPI PM1a event/control, PM timer and GPE0 (ACPI 6.5 sec. 4.8).
 *
 * The PM timer is derived from the virtual clock (ticks = ns * 3.579545
 * MHz), 24 bits wide; TMR_STS is set each time bit 23 changes. It is
 * computed when PM1_STS is read and a clock timer runs only while TMR_EN
 * asks for an SCI. Registers are handled a byte at a time (so any access
 * size works) except the timer, which is sampled once per access so a
 * 32-bit read never tears. Sleep states other than S5 are not modelled:
 * the machine "wakes" at once (WAK_STS set).
 */
#include "hw/acpi/pm.h"

#include <stdlib.h>

#include "util/common.h"
#include "util/log.h"

#define PM1_STS_MASK                                                           \
    (ACPI_PM1_TMR | 0x0010 | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_RTC |   \
     ACPI_PM1_WAK)
#define PM1_EN_MASK                                                            \
    (ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_RTC)
#define PM1_CNT_MASK 0x1c07 /* SCI_EN, BM_RLD, GBL_RLS, SLP_TYP */
#define PM_TMR_OVERFLOW_BIT 23

struct AcpiPm {
    uint16_t pm1_sts, pm1_en, pm1_cnt;
    uint32_t gpe_sts, gpe_en;
    uint64_t tmr_seen; /* bit-23 toggles already flagged */
    uint8_t sci_level;
    uint16_t base;
    IrqLine sci;
    Clock *clock;
    Timer *timer;
    AcpiPmPowerOffFn *poweroff;
    void *opaque;
    MemRegion *io_root, *mr;
};

static const VmStateField acpi_pm_vmstate[] = {
    VMSTATE_FIELD(AcpiPm, pm1_sts), VMSTATE_FIELD(AcpiPm, pm1_en),
    VMSTATE_FIELD(AcpiPm, pm1_cnt), VMSTATE_FIELD(AcpiPm, gpe_sts),
    VMSTATE_FIELD(AcpiPm, gpe_en),  VMSTATE_FIELD(AcpiPm, tmr_seen),
};

const VmStateField *acpi_pm_get_vmstate(size_t *count)
{
    *count = ARRAY_LEN(acpi_pm_vmstate);
    return acpi_pm_vmstate;
}

static uint64_t pm_ticks(AcpiPm *s)
{
    int64_t ns = clock_ns(s->clock);
    if (ns <= 0) {
        return 0;
    }
    return (uint64_t)((unsigned __int128)ns * ACPI_PM_TIMER_HZ / NS_PER_SEC);
}

static int64_t pm_ticks_to_ns(uint64_t t)
{
    unsigned __int128 n = (unsigned __int128)t * NS_PER_SEC;
    n = (n + ACPI_PM_TIMER_HZ - 1) / ACPI_PM_TIMER_HZ;
    return n > INT64_MAX / 2 ? INT64_MAX / 2 : (int64_t)n;
}

/* flag bit-23 toggles of the timer that happened since the last look */
static void pm_catch_up(AcpiPm *s)
{
    uint64_t toggles = pm_ticks(s) >> PM_TMR_OVERFLOW_BIT;
    if (toggles != s->tmr_seen) {
        s->tmr_seen = toggles;
        s->pm1_sts |= ACPI_PM1_TMR;
    }
}

static void pm_update(AcpiPm *s)
{
    bool level = (s->pm1_cnt & ACPI_PM1_SCI_EN) &&
                 ((s->pm1_sts & s->pm1_en) || (s->gpe_sts & s->gpe_en));
    if (level != s->sci_level) {
        s->sci_level = level;
        irq_set(&s->sci, level);
    }
    if (s->pm1_en & ACPI_PM1_TMR) {
        uint64_t next = (s->tmr_seen + 1) << PM_TMR_OVERFLOW_BIT;
        timer_mod(s->timer, pm_ticks_to_ns(next));
    } else {
        timer_del(s->timer);
    }
}

static void pm_timer_cb(void *opaque)
{
    AcpiPm *s = opaque;
    pm_catch_up(s);
    pm_update(s);
}

static void pm_sleep(AcpiPm *s, unsigned typ)
{
    if (typ == ACPI_PM_SLP_TYP_S5) {
        if (s->poweroff) {
            s->poweroff(s->opaque);
        }
        return;
    }
    log_unimp("acpi-pm", "sleep type %u: resuming at once", typ);
    s->pm1_sts |= ACPI_PM1_WAK;
}

static void pm_write_cnt(AcpiPm *s, uint16_t val)
{
    if (val & 0x0004) { /* GBL_RLS: the BIOS is told via GBL_STS */
        s->pm1_sts |= ACPI_PM1_GBL;
    }
    s->pm1_cnt = val & PM1_CNT_MASK & ~0x0004;
    if (val & ACPI_PM1_SLP_EN) {
        pm_sleep(s, (val >> 10) & 7);
    }
}

static uint8_t pm_read_byte(AcpiPm *s, unsigned off, uint32_t tmr)
{
    unsigned sh = (off & 1) * 8;
    switch (off) {
    case 0x00:
    case 0x01:
        return (uint8_t)(s->pm1_sts >> sh);
    case 0x02:
    case 0x03:
        return (uint8_t)(s->pm1_en >> sh);
    case 0x04:
    case 0x05:
        return (uint8_t)(s->pm1_cnt >> sh);
    case 0x08 ... 0x0b:
        return (uint8_t)(tmr >> ((off - 8) * 8));
    case 0x20 ... 0x23:
        return (uint8_t)(s->gpe_sts >> ((off - 0x20) * 8));
    case 0x24 ... 0x27:
        return (uint8_t)(s->gpe_en >> ((off - 0x24) * 8));
    default:
        log_guest_error("acpi-pm", "read of reserved port base+0x%x", off);
        return 0;
    }
}

static void pm_write_byte(AcpiPm *s, unsigned off, uint8_t b)
{
    unsigned sh = (off & 1) * 8;
    switch (off) {
    case 0x00:
    case 0x01:
        s->pm1_sts &= ~((b << sh) & PM1_STS_MASK);
        break;
    case 0x02:
    case 0x03:
        s->pm1_en =
            (uint16_t)((s->pm1_en & ~(0xff << sh)) | ((b << sh) & PM1_EN_MASK));
        break;
    case 0x04:
    case 0x05:
        pm_write_cnt(s, (uint16_t)((s->pm1_cnt & ~(0xff << sh)) | b << sh));
        break;
    case 0x20 ... 0x23:
        s->gpe_sts &= ~((uint32_t)b << ((off - 0x20) * 8));
        break;
    case 0x24 ... 0x27: {
        unsigned gsh = (off - 0x24) * 8;
        s->gpe_en = (s->gpe_en & ~(0xffu << gsh)) | (uint32_t)b << gsh;
        break;
    }
    default:
        log_guest_error("acpi-pm",
                        "write 0x%x to read-only/reserved "
                        "port base+0x%x",
                        b, off);
        break;
    }
}

static uint64_t pm_io_read(void *opaque, uint64_t addr, unsigned size)
{
    AcpiPm *s = opaque;
    uint32_t tmr = (uint32_t)(pm_ticks(s) & 0xffffff);
    uint64_t v = 0;
    if (addr < 2) {
        pm_catch_up(s);
        pm_update(s);
    }
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)pm_read_byte(s, (unsigned)addr + i, tmr) << (8 * i);
    }
    return v;
}

static void pm_io_write(void *opaque, uint64_t addr, uint64_t val,
                        unsigned size)
{
    AcpiPm *s = opaque;
    pm_catch_up(s);
    for (unsigned i = 0; i < size; i++) {
        pm_write_byte(s, (unsigned)addr + i, (uint8_t)(val >> (8 * i)));
    }
    pm_update(s);
}

static const MemOps pm_ops = {
    .read = pm_io_read,
    .write = pm_io_write,
    .valid = {.min = 1, .max = 4},
    .impl = {.min = 1, .max = 4},
};

void acpi_pm_power_button(AcpiPm *s)
{
    s->pm1_sts |= ACPI_PM1_PWRBTN;
    pm_update(s);
}

void acpi_pm_raise_gpe(AcpiPm *s, unsigned n)
{
    if (n < 32) {
        s->gpe_sts |= 1u << n;
        pm_update(s);
    }
}

void acpi_pm_reset(AcpiPm *s)
{
    s->pm1_sts = 0;
    s->pm1_en = 0;
    s->pm1_cnt = 0;
    s->gpe_sts = 0;
    s->gpe_en = 0;
    s->tmr_seen = pm_ticks(s) >> PM_TMR_OVERFLOW_BIT;
    pm_update(s);
}

AcpiPm *acpi_pm_new(MemRegion *io_root, uint16_t base, IrqLine sci,
                    Clock *clock, AcpiPmPowerOffFn *poweroff, void *opaque)
{
    AcpiPm *s = xzalloc(sizeof(*s));
    s->sci = sci;
    s->clock = clock;
    s->poweroff = poweroff;
    s->opaque = opaque;
    s->base = base;
    s->timer = timer_new(clock, pm_timer_cb, s);
    acpi_pm_reset(s);
    s->io_root = io_root;
    s->mr = mr_new_io("acpi-pm", ACPI_PM_SIZE, &pm_ops, s);
    mr_add_subregion(io_root, base, s->mr, 0);
    return s;
}

void acpi_pm_free(AcpiPm *s)
{
    if (!s) {
        return;
    }
    mr_del_subregion(s->io_root, s->mr);
    mr_free(s->mr);
    timer_free(s->timer);
    free(s);
}
