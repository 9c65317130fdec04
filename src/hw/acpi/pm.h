/*
 * ACPI fixed-hardware power-management block, PIIX4/ICH9 style: PM1a
 * event (status/enable) and control registers, the 24-bit PM timer at
 * 3.579545 MHz, and a small GPE0 block; SCI on ISA IRQ 9.
 * Ref: ACPI 6.5 chapter 4.8 (fixed hardware registers).
 */
#ifndef XLAT_HW_ACPI_PM_H
#define XLAT_HW_ACPI_PM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/irq.h"
#include "machine/clock.h"
#include "machine/vmstate.h"
#include "mmu/memory.h"

/*
 * Port layout from the base (FADT values for the machine's tables):
 * PM1a_EVT_BLK base+0x00 (len 4), PM1a_CNT_BLK base+0x04 (len 2),
 * PM_TMR_BLK base+0x08 (len 4, TMR_VAL_EXT = 0: 24 bits),
 * GPE0_BLK base+0x20 (len 8: 4 status bytes, then 4 enable bytes).
 */
#define ACPI_PM_BASE_DEFAULT 0x600
#define ACPI_PM_SIZE 0x40
#define ACPI_PM1_EVT 0x00
#define ACPI_PM1_CNT 0x04
#define ACPI_PM_TMR 0x08
#define ACPI_GPE0 0x20
#define ACPI_GPE0_LEN 8
#define ACPI_PM_TIMER_HZ 3579545
#define ACPI_PM_SCI_IRQ 9
/* SLP_TYP value that means S5 (soft off); the DSDT's \_S5 must return it */
#define ACPI_PM_SLP_TYP_S5 5

/* PM1 status/enable bits */
#define ACPI_PM1_TMR 0x0001
#define ACPI_PM1_GBL 0x0020
#define ACPI_PM1_PWRBTN 0x0100
#define ACPI_PM1_RTC 0x0400
#define ACPI_PM1_WAK 0x8000
/* PM1 control bits */
#define ACPI_PM1_SCI_EN 0x0001
#define ACPI_PM1_SLP_EN 0x2000

typedef struct AcpiPm AcpiPm;
typedef void AcpiPmPowerOffFn(void *opaque);

/*
 * Map the block at `base` (ACPI_PM_BASE_DEFAULT unless the BIOS moves it)
 * in io_root. sci (copied) is driven as a level while an enabled status
 * bit is set and SCI_EN is on. poweroff(opaque) is called when the guest
 * enters S5; it may be NULL.
 */
AcpiPm *acpi_pm_new(MemRegion *io_root, uint16_t base, IrqLine sci,
                    Clock *clock, AcpiPmPowerOffFn *poweroff, void *opaque);
void acpi_pm_reset(AcpiPm *s);
void acpi_pm_free(AcpiPm *s);

/* the power button was pressed (sets PWRBTN_STS) */
void acpi_pm_power_button(AcpiPm *s);
/* set GPE0 status bit n (0-31), e.g. for hotplug events */
void acpi_pm_raise_gpe(AcpiPm *s, unsigned n);

/* the snapshot fields (guest-visible state), *count rows */
const VmStateField *acpi_pm_get_vmstate(size_t *count);

#endif
