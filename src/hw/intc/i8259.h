/*
 * Intel 8259A programmable interrupt controller pair (PC/AT cascade).
 * Ref: Intel 8259A datasheet (231468); ELCR per the PIIX4/ICH datasheets.
 * Master at ports 0x20-0x21, slave at 0xa0-0xa1 cascaded on master IR2,
 * edge/level control registers at 0x4d0/0x4d1.
 */
#ifndef XLAT_HW_INTC_I8259_H
#define XLAT_HW_INTC_I8259_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/irq.h"
#include "machine/vmstate.h"
#include "mmu/memory.h"

#define I8259_MASTER_BASE 0x20
#define I8259_SLAVE_BASE 0xa0
#define I8259_ELCR_BASE 0x4d0
#define I8259_NUM_IRQS 16

typedef struct I8259 I8259;

/*
 * Map both chips and the ELCR pair into io_root. intr is the INTR output to
 * the CPU (or LAPIC LINT0), copied; it is driven as a level.
 */
I8259 *i8259_new(MemRegion *io_root, IrqLine intr);
void i8259_reset(I8259 *s);
void i8259_free(I8259 *s);

/*
 * Input line for ISA IRQ n (0-15), owned by the PIC. IRQ 2 is the cascade
 * input and is ignored (on the AT, bus IRQ 2 is wired to IRQ 9).
 * n out of range returns a disconnected line.
 */
IrqLine *i8259_irq_line(I8259 *s, int n);

/*
 * Interrupt acknowledge: the two INTA cycles. Returns the vector (0-255);
 * a request that vanished gives the spurious vector (IR7 of the chip).
 */
int i8259_intack(I8259 *s);

/* current INTR output level (for the CPU's polling, tests) */
bool i8259_intr_level(const I8259 *s);

/* the snapshot fields (guest-visible state), *count rows */
const VmStateField *i8259_get_vmstate(size_t *count);

#endif
