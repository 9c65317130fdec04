/*
 * Bochs/QEMU debug console: bytes written to port 0xe9 go to a character
 * backend; a read returns 0xe9, which is how software detects the port.
 */
#ifndef XLAT_HW_MISC_DEBUGCON_H
#define XLAT_HW_MISC_DEBUGCON_H

#include <stdint.h>

#include "mmu/memory.h"
#include "util/char/char.h"

#define DEBUGCON_DEFAULT_IOBASE 0xe9

typedef struct DebugCon DebugCon;

/* chr may be NULL: output is dropped */
DebugCon *debugcon_new(MemRegion *io_root, uint16_t iobase, CharBackend *chr);
void debugcon_reset(DebugCon *s);
void debugcon_free(DebugCon *s);

#endif
