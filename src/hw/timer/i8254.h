/*
 * Intel 8254 programmable interval timer (three counters at 0x40-0x42,
 * control word at 0x43) plus the PC/AT port 0x61 (system control port B:
 * counter 2 gate, speaker data enable, OUT2 and refresh toggle read-back).
 * Ref: Intel 82C54 datasheet (231244).
 */
#ifndef XLAT_HW_TIMER_I8254_H
#define XLAT_HW_TIMER_I8254_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/irq.h"
#include "machine/clock.h"
#include "machine/vmstate.h"
#include "mmu/memory.h"

#define I8254_BASE 0x40
#define I8254_PORT61 0x61
#define I8254_FREQ_HZ 1193182
/*
 * Counter 0 interrupts are at least this far apart: a tiny reload value
 * (count 1 or 2 in mode 2/3) would otherwise arm a timer every microsecond.
 * Missed periods collapse into one IRQ 0 edge; reads of the count stay exact.
 */
#define I8254_MIN_IRQ_PERIOD_NS 10000

typedef struct I8254 I8254;

/*
 * Map ports 0x40-0x43 and 0x61 into io_root. irq0 (copied) follows OUT of
 * counter 0 as a level: one rising edge per period in modes 2 and 3.
 */
I8254 *i8254_new(MemRegion *io_root, IrqLine irq0, Clock *clock);
void i8254_reset(I8254 *s);
void i8254_free(I8254 *s);

/* GATE input of counter n (0-2); counter 2's gate is also port 0x61 bit 0 */
void i8254_set_gate(I8254 *s, int n, bool level);
/* OUT of counter n now */
bool i8254_get_out(I8254 *s, int n);

/* the snapshot fields (guest-visible state), *count rows */
const VmStateField *i8254_get_vmstate(size_t *count);

#endif
