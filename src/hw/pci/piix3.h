/*
 * The PIIX3 PCI-to-ISA bridge (function 0 of device 1 on an i440FX board),
 * for now its PCI interrupt router: PIRQRC[A:D] at config 0x60-0x63 (bit 7
 * disables the route, bits 3:0 the ISA IRQ; 3-7, 9-12, 14 and 15 are
 * valid). Ref: Intel 82371FB/SB (PIIX/PIIX3) datasheet (290550).
 *
 * The PIIX3 takes over the bus's INTx routing: INTx pin p (0 = INTA#) of
 * slot s drives PIRQ (s + p) & 3, the usual PC wiring (what SeaBIOS
 * assumes and the ACPI _PRT must describe). Each PIRQ drives pirq_out[n]
 * directly (the board wires those to IOAPIC inputs 16-19) and, through its
 * PIRQRC register, ISA IRQ isa_irqs[irq] as a level (wired-OR of every
 * PIRQ routed there). Everything else of the PIIX3 (ELCR, APM, DMA, the
 * IDE and USB functions) is not modelled here.
 */
#ifndef XLAT_HW_PCI_PIIX3_H
#define XLAT_HW_PCI_PIIX3_H

#include "hw/irq.h"
#include "hw/pci/pci.h"

#define PIIX3_PIRQRC 0x60
#define PIIX3_PIRQ_DISABLE 0x80
#define PIIX3_NUM_PIRQ 4
#define PIIX3_NUM_ISA_IRQS 16

typedef struct Piix3 Piix3;

/* isa_irqs[16] and pirq_out[4] are copied; either may be NULL */
Piix3 *piix3_new(PciBus *bus, int devfn, const IrqLine *isa_irqs,
                 const IrqLine *pirq_out);
void piix3_reset(Piix3 *s);
void piix3_free(Piix3 *s);
PciDevice *piix3_pci(Piix3 *s);
/* the PIRQ (0-3) that pin (0-3) of slot drives */
int piix3_pirq_of(int slot, int pin);

#endif
