/*
 * Port 0x80, the POST-code / I/O-delay port. Writes are accepted (Linux uses
 * outb to 0x80 as a delay); a read returns the last byte written, like a
 * POST-code latch, and 0xff after reset (nothing written yet).
 */
#ifndef XLAT_HW_MISC_PORT80_H
#define XLAT_HW_MISC_PORT80_H

#include <stdint.h>

#include "machine/vmstate.h"
#include "mmu/memory.h"

#define PORT80_IOBASE 0x80

typedef struct Port80 Port80;

Port80 *port80_new(MemRegion *io_root, uint16_t iobase);
void port80_reset(Port80 *s);
void port80_free(Port80 *s);
const VmStateField *port80_get_vmstate(size_t *count);

#endif
