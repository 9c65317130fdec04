/*
 * High Precision Event Timer: one block of 3 comparators at 100 MHz
 * (period 10 ns) at MMIO 0xfed00000 (1 KiB). Ref: IA-PC HPET specification
 * 1.0a. Legacy replacement routes timer 0 to irqs[0] and timer 1 to
 * irqs[8]; otherwise a timer drives irqs[route] for a route in its
 * capability mask. FSB (MSI) delivery is not modelled.
 */
#ifndef XLAT_HW_TIMER_HPET_H
#define XLAT_HW_TIMER_HPET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/irq.h"
#include "machine/clock.h"
#include "machine/vmstate.h"
#include "mmu/memory.h"

#define HPET_BASE 0xfed00000ull
#define HPET_SIZE 0x400
#define HPET_NUM_TIMERS 3
#define HPET_PERIOD_FS 10000000u /* 10 ns */
/* allowed routes (Tn_INT_ROUTE_CAP): IOAPIC inputs 20-23 as on ICH */
#define HPET_ROUTE_CAP 0x00f00000u
/*
 * A periodic comparator re-arms at least this far ahead: a period of a few
 * ticks would otherwise run a timer callback every 10 ns (a timer storm).
 * Missed periods still accumulate in the comparator, as when the main loop
 * is late.
 */
#define HPET_MIN_PERIOD_NS 2000

typedef struct Hpet Hpet;

/*
 * Map the register block at `base` (normally HPET_BASE) in sysmem.
 * irqs[0..nirqs-1] are the lines by GSI/ISA IRQ number; the array is
 * copied. In legacy replacement mode irqs[0] and irqs[8] are used, so the
 * machine should pass the ISA IRQ 0 / IRQ 8 lines there.
 */
Hpet *hpet_new(MemRegion *sysmem, uint64_t base, const IrqLine *irqs, int nirqs,
               Clock *clock);
void hpet_reset(Hpet *s);
void hpet_free(Hpet *s);

/* LEG_RT_CNF: the machine may silence the PIT and RTC IRQs while set */
bool hpet_legacy_mode(const Hpet *s);

/* the snapshot fields (guest-visible state), *count rows */
const VmStateField *hpet_get_vmstate(size_t *count);

#endif
