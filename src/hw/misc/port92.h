/*
 * System Control Port A (port 0x92, PS/2 "fast A20 and reset"): bit 1 gates
 * A20, bit 0 written as 1 pulses the CPU reset. Both leave through IrqLines
 * the machine wires: a20 follows bit 1 (level), reset is pulsed.
 */
#ifndef XLAT_HW_MISC_PORT92_H
#define XLAT_HW_MISC_PORT92_H

#include <stdint.h>

#include "hw/irq.h"
#include "machine/vmstate.h"
#include "mmu/memory.h"

#define PORT92_IOBASE 0x92

typedef struct Port92 Port92;

Port92 *port92_new(MemRegion *io_root, IrqLine a20, IrqLine reset);
void port92_reset(Port92 *s);
void port92_free(Port92 *s);
/* the A20 state port 92 last drove */
int port92_a20(const Port92 *s);
const VmStateField *port92_get_vmstate(size_t *count);

#endif
