/*
 * Debug console port (see debugcon.h). One byte-wide port; wider accesses
 * are rejected by .valid. No guest-visible state, so no snapshot fields.
 * The readback value is 0xe9 whatever the port base, as in Bochs and QEMU.
 */
#include "hw/misc/debugcon.h"

#include <stdlib.h>

#include "util/common.h"

#define DEBUGCON_READBACK 0xe9

struct DebugCon {
    MemRegion *io_root;
    MemRegion *mr;
    CharBackend *chr;
};

static uint64_t debugcon_read(void *opaque, uint64_t addr, unsigned size)
{
    return DEBUGCON_READBACK;
}

static void debugcon_write(void *opaque, uint64_t addr, uint64_t val,
                           unsigned size)
{
    DebugCon *s = opaque;
    uint8_t c = (uint8_t)val;
    char_write(s->chr, &c, 1);
}

static const MemOps debugcon_ops = {
    .read = debugcon_read,
    .write = debugcon_write,
    .valid = {.min = 1, .max = 1},
    .impl = {.min = 1, .max = 1},
};

DebugCon *debugcon_new(MemRegion *io_root, uint16_t iobase, CharBackend *chr)
{
    DebugCon *s = xzalloc(sizeof(*s));
    s->io_root = io_root;
    s->chr = chr;
    s->mr = mr_new_io("debugcon", 1, &debugcon_ops, s);
    mr_add_subregion(io_root, iobase, s->mr, 0);
    return s;
}

void debugcon_reset(DebugCon *s)
{
}

void debugcon_free(DebugCon *s)
{
    if (!s) {
        return;
    }
    mr_del_subregion(s->io_root, s->mr);
    mr_free(s->mr);
    free(s);
}
