/*
 * System Control Port A (see port92.h). Ref: IBM PS/2 hardware reference,
 * and Intel PIIX4/ICH datasheets ("Port 92h"). Bit 0 (INIT/fast reset) reads
 * back as written until the next write but only a 0->1 transition resets;
 * bit 1 is the A20 gate. The other bits are stored and read back (they are
 * reserved or unused on a PC). At reset the port reads 0 (PIIX4 default)
 * and, if port 92 had A20 enabled, it drops its A20 line.
 */
#include "hw/misc/port92.h"

#include <stdlib.h>

#include "util/common.h"
#include "util/log.h"

#define PORT92_RESET 0x01
#define PORT92_A20 0x02

struct Port92 {
    uint8_t val; /* guest-visible: the last value written */
    MemRegion *io_root;
    MemRegion *mr;
    IrqLine a20;
    IrqLine reset;
};

static const VmStateField port92_vmstate[] = {
    VMSTATE_FIELD(Port92, val),
};

const VmStateField *port92_get_vmstate(size_t *count)
{
    *count = ARRAY_LEN(port92_vmstate);
    return port92_vmstate;
}

static uint64_t port92_read(void *opaque, uint64_t addr, unsigned size)
{
    Port92 *s = opaque;
    return s->val;
}

static void port92_write(void *opaque, uint64_t addr, uint64_t val64,
                         unsigned size)
{
    Port92 *s = opaque;
    uint8_t val = (uint8_t)val64;
    uint8_t old = s->val;
    s->val = val;
    if ((old ^ val) & PORT92_A20) {
        irq_set(&s->a20, (val & PORT92_A20) ? 1 : 0);
    }
    if (!(old & PORT92_RESET) && (val & PORT92_RESET)) {
        irq_pulse(&s->reset);
    }
}

static const MemOps port92_ops = {
    .read = port92_read,
    .write = port92_write,
    .valid = {.min = 1, .max = 1},
    .impl = {.min = 1, .max = 1},
};

Port92 *port92_new(MemRegion *io_root, IrqLine a20, IrqLine reset)
{
    Port92 *s = xzalloc(sizeof(*s));
    s->io_root = io_root;
    s->a20 = a20;
    s->reset = reset;
    s->mr = mr_new_io("port92", 1, &port92_ops, s);
    mr_add_subregion(io_root, PORT92_IOBASE, s->mr, 0);
    return s;
}

void port92_reset(Port92 *s)
{
    if (s->val & PORT92_A20) {
        irq_set(&s->a20, 0);
    }
    s->val = 0;
}

int port92_a20(const Port92 *s)
{
    return (s->val & PORT92_A20) ? 1 : 0;
}

void port92_free(Port92 *s)
{
    if (!s) {
        return;
    }
    mr_del_subregion(s->io_root, s->mr);
    mr_free(s->mr);
    free(s);
}
