/*
 * isa-debug-exit (see debugexit.h). Stateless apart from its wiring, so its
 * snapshot description is empty. Accesses of 1 to 4 bytes at any offset in
 * the window are accepted; the written value is taken as the access gives it
 * (an outb of 0x31 exits with 0x63, an outl of 0x1 with 3). Reads return 0.
 */
#include "hw/misc/debugexit.h"

#include <stdlib.h>

#include "util/common.h"
#include "util/log.h"

struct DebugExit {
    MemRegion *io_root;
    MemRegion *mr;
    DebugExitFn *fn;
    void *opaque;
};

static uint64_t debugexit_read(void *opaque, uint64_t addr, unsigned size)
{
    return 0;
}

static void debugexit_write(void *opaque, uint64_t addr, uint64_t val,
                            unsigned size)
{
    DebugExit *s = opaque;
    int code = (int)(((uint32_t)val << 1) | 1);
    if (s->fn) {
        s->fn(s->opaque, code);
    }
}

static const MemOps debugexit_ops = {
    .read = debugexit_read,
    .write = debugexit_write,
    .valid = {.min = 1, .max = 4, .unaligned = true},
    .impl = {.min = 1, .max = 4, .unaligned = true},
};

DebugExit *debugexit_new(MemRegion *io_root, uint16_t iobase, uint16_t iosize,
                         DebugExitFn *fn, void *opaque)
{
    DebugExit *s = xzalloc(sizeof(*s));
    s->io_root = io_root;
    s->fn = fn;
    s->opaque = opaque;
    iosize = iosize < 1 ? 1 : (iosize > 4 ? 4 : iosize);
    s->mr = mr_new_io("isa-debug-exit", iosize, &debugexit_ops, s);
    mr_add_subregion(io_root, iobase, s->mr, 0);
    return s;
}

void debugexit_reset(DebugExit *s)
{
}

void debugexit_free(DebugExit *s)
{
    if (!s) {
        return;
    }
    mr_del_subregion(s->io_root, s->mr);
    mr_free(s->mr);
    free(s);
}
