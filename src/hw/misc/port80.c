/*
 * POST / delay port (see port80.h). One byte of state: the latched code.
 * Only byte accesses are valid; wider ones are guest errors handled by the
 * address-space core (reads all-ones, writes dropped).
 */
#include "hw/misc/port80.h"

#include <stdlib.h>

#include "util/common.h"

struct Port80 {
    uint8_t code; /* guest-visible: the last byte written */
    MemRegion *io_root;
    MemRegion *mr;
};

static const VmStateField port80_vmstate[] = {
    VMSTATE_FIELD(Port80, code),
};

const VmStateField *port80_get_vmstate(size_t *count)
{
    *count = ARRAY_LEN(port80_vmstate);
    return port80_vmstate;
}

static uint64_t port80_read(void *opaque, uint64_t addr, unsigned size)
{
    Port80 *s = opaque;
    return s->code;
}

static void port80_write(void *opaque, uint64_t addr, uint64_t val,
                         unsigned size)
{
    Port80 *s = opaque;
    s->code = (uint8_t)val;
}

static const MemOps port80_ops = {
    .read = port80_read,
    .write = port80_write,
    .valid = {.min = 1, .max = 1},
    .impl = {.min = 1, .max = 1},
};

Port80 *port80_new(MemRegion *io_root, uint16_t iobase)
{
    Port80 *s = xzalloc(sizeof(*s));
    s->io_root = io_root;
    s->mr = mr_new_io("port80", 1, &port80_ops, s);
    mr_add_subregion(io_root, iobase, s->mr, 0);
    port80_reset(s);
    return s;
}

void port80_reset(Port80 *s)
{
    s->code = 0xff;
}

void port80_free(Port80 *s)
{
    if (!s) {
        return;
    }
    mr_del_subregion(s->io_root, s->mr);
    mr_free(s->mr);
    free(s);
}
