/*
 * Motorola MC146818A real-time clock with 128 bytes of CMOS NVRAM (ports
 * 0x70 index + NMI mask, 0x71 data; ISA IRQ 8). Ref: MC146818A datasheet.
 * The time runs on the virtual clock from a base time the machine chooses
 * (-rtc base=utc|localtime|<date>: the machine turns it into a time_t).
 */
#ifndef XLAT_HW_TIMER_MC146818_H
#define XLAT_HW_TIMER_MC146818_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "hw/irq.h"
#include "machine/clock.h"
#include "machine/vmstate.h"
#include "mmu/memory.h"

#define MC146818_BASE 0x70
#define MC146818_IRQ 8

/* register indexes */
enum {
    RTC_SECONDS = 0x00,
    RTC_SECONDS_ALARM = 0x01,
    RTC_MINUTES = 0x02,
    RTC_MINUTES_ALARM = 0x03,
    RTC_HOURS = 0x04,
    RTC_HOURS_ALARM = 0x05,
    RTC_DAY_OF_WEEK = 0x06,
    RTC_DAY_OF_MONTH = 0x07,
    RTC_MONTH = 0x08,
    RTC_YEAR = 0x09,
    RTC_REG_A = 0x0a,
    RTC_REG_B = 0x0b,
    RTC_REG_C = 0x0c,
    RTC_REG_D = 0x0d,
    RTC_CENTURY = 0x32, /* PC convention (ACPI FADT CENTURY) */
};

typedef struct Mc146818 Mc146818;

/*
 * Map ports 0x70-0x71 into io_root. irq (copied) drives ISA IRQ 8 as a
 * level: high while register C's IRQF is set. The clock shows `base`
 * (seconds since the epoch, read as UTC fields) at the current virtual time.
 */
Mc146818 *mc146818_new(MemRegion *io_root, IrqLine irq, Clock *clock,
                       time_t base);
/* registers and interrupts to their reset state; NVRAM and time are kept */
void mc146818_reset(Mc146818 *s);
void mc146818_free(Mc146818 *s);

/* set the time shown now (the -rtc base) */
void mc146818_set_time(Mc146818 *s, time_t t);
/* the time the guest sees now (its registers decoded), as a time_t */
time_t mc146818_get_time(Mc146818 *s);

/* port 0x70 bit 7: true when the guest has masked NMI */
bool mc146818_nmi_masked(const Mc146818 *s);

/* raw NVRAM access for the machine (index & 0x7f; no side effects) */
uint8_t mc146818_cmos_read(Mc146818 *s, unsigned index);
void mc146818_cmos_write(Mc146818 *s, unsigned index, uint8_t val);
/*
 * Fill the memory-size bytes the PC BIOS reads: 0x15-0x16 base memory KiB,
 * 0x17-0x18 and 0x30-0x31 KiB above 1 MiB (max 0xffff), 0x34-0x35 64 KiB
 * blocks above 16 MiB (below 4 GiB), 0x5b-0x5d 64 KiB blocks above 4 GiB;
 * then the checksum.
 */
void mc146818_cmos_set_memory(Mc146818 *s, uint64_t below_4g,
                              uint64_t above_4g);
/* the standard checksum of bytes 0x10-0x2d into 0x2e (MSB) and 0x2f */
void mc146818_cmos_update_checksum(Mc146818 *s);

/* the snapshot fields (guest-visible state), *count rows */
const VmStateField *mc146818_get_vmstate(size_t *count);

#endif
