/*
 * isa-debug-exit: a write of value v to any of its ports asks the host to
 * exit with status (v << 1) | 1, so a guest test can report a result. The
 * process exit status keeps only the low 8 bits, as with QEMU.
 */
#ifndef XLAT_HW_MISC_DEBUGEXIT_H
#define XLAT_HW_MISC_DEBUGEXIT_H

#include <stdint.h>

#include "mmu/memory.h"

#define DEBUGEXIT_DEFAULT_IOBASE 0x501
#define DEBUGEXIT_DEFAULT_IOSIZE 2

typedef struct DebugExit DebugExit;
/* code = (value << 1) | 1 */
typedef void DebugExitFn(void *opaque, int code);

/* iosize: 1, 2 or 4 ports (others are clamped to that range) */
DebugExit *debugexit_new(MemRegion *io_root, uint16_t iobase, uint16_t iosize,
                         DebugExitFn *fn, void *opaque);
void debugexit_reset(DebugExit *s);
void debugexit_free(DebugExit *s);

#endif
