/*
 * 82093AA-style I/O APIC, version 0x20 (the EOI register of the ICH
 * IOAPICs): 24 input pins, each with a 64-bit redirection entry, at MMIO
 * IOAPIC_BASE (IOREGSEL +0x00, IOWIN +0x10, EOI +0x40). Ref: Intel 82093AA
 * datasheet (290566), ICH9 datasheet section 13.5.
 *
 * Inputs are IrqLines: ioapic_set_irq(s, pin, level) with level 1 meaning
 * asserted (the IrqLine convention), whatever the entry's polarity bit says
 * (the board's ACPI tables tell the guest each pin's real polarity; the bit
 * is stored and read back). An unmasked edge entry delivers on each 0->1
 * transition; an unmasked level entry delivers while the pin is asserted
 * and remote IRR is clear, sets remote IRR, and is delivered again after
 * the EOI for its vector if the pin is still asserted. Edges and levels on
 * masked pins are ignored; unmasking an asserted level pin delivers.
 *
 * Delivery goes through a callback of the local APIC bus's shape, so the
 * board can connect it to apic_bus_deliver(). The callback must not call
 * back into the IOAPIC (an EOI comes later, from the guest's EOI write).
 */
#ifndef XLAT_HW_INTC_IOAPIC_H
#define XLAT_HW_INTC_IOAPIC_H

#include <stddef.h>
#include <stdint.h>

#include "hw/irq.h"
#include "machine/vmstate.h"
#include "mmu/memory.h"

#define IOAPIC_BASE 0xfec00000ull
#define IOAPIC_SIZE 0x1000
#define IOAPIC_NUM_PINS 24
#define IOAPIC_VERSION 0x20

/* MMIO offsets */
#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN 0x10
#define IOAPIC_EOI 0x40

/* register indexes (IOREGSEL) */
#define IOAPIC_REG_ID 0x00
#define IOAPIC_REG_VER 0x01
#define IOAPIC_REG_ARB 0x02
#define IOAPIC_REG_REDTBL 0x10 /* low dword of pin n at 0x10 + 2n */

/* redirection entry fields */
#define IOAPIC_RTE_VECTOR 0xffull
#define IOAPIC_RTE_DELMODE_SHIFT 8
#define IOAPIC_RTE_DELMODE (7ull << IOAPIC_RTE_DELMODE_SHIFT)
#define IOAPIC_RTE_DESTMODE (1ull << 11) /* 1: logical */
#define IOAPIC_RTE_DELIVS (1ull << 12)   /* delivery status, read-only */
#define IOAPIC_RTE_POLARITY (1ull << 13) /* 1: active low */
#define IOAPIC_RTE_REMOTE_IRR (1ull << 14)
#define IOAPIC_RTE_LEVEL (1ull << 15)
#define IOAPIC_RTE_MASKED (1ull << 16)
#define IOAPIC_RTE_DEST_SHIFT 56

/* delivery modes (the local APIC's encoding) */
enum {
    IOAPIC_DM_FIXED = 0,
    IOAPIC_DM_LOWPRI = 1,
    IOAPIC_DM_SMI = 2,
    IOAPIC_DM_NMI = 4,
    IOAPIC_DM_INIT = 5,
    IOAPIC_DM_EXTINT = 7,
};

/*
 * One interrupt message for the local APICs: dest is the 8-bit destination
 * field, dest_mode 0 physical / 1 logical, delivery_mode IOAPIC_DM_*,
 * trigger 0 edge / 1 level. The shape of apic_bus_deliver().
 */
typedef void IoapicDeliverFn(void *opaque, uint32_t dest, int dest_mode,
                             int delivery_mode, int vector, int trigger);

typedef struct Ioapic Ioapic;

/* map the registers at `base` (normally IOAPIC_BASE) in sysmem */
Ioapic *ioapic_new(MemRegion *sysmem, uint64_t base, IoapicDeliverFn *deliver,
                   void *opaque);
/* every entry masked, ID 0; pin levels are kept (they are the wires) */
void ioapic_reset(Ioapic *s);
void ioapic_free(Ioapic *s);

/* IrqHandler: opaque is the Ioapic, n the pin (0-23) */
void ioapic_set_irq(void *opaque, int pin, int level);
static inline IrqLine ioapic_irq_line(Ioapic *s, int pin)
{
    return irq_line(ioapic_set_irq, s, pin);
}

/* the local APICs' EOI broadcast for a level-triggered vector */
void ioapic_eoi(Ioapic *s, int vector);

/* for tests and the monitor: the 64-bit entry of pin (0-23) */
uint64_t ioapic_get_entry(const Ioapic *s, int pin);

/* the snapshot fields (guest-visible state), *count rows */
const VmStateField *ioapic_get_vmstate(size_t *count);

#endif
