/*
 * I/O APIC (see ioapic.h). Each pin keeps its input level in `levels`
 * (bit n), so a level entry can be delivered again after its EOI and when it
 * is unmasked. Delivery is immediate: the delivery status bit reads 0.
 */
#include "hw/intc/ioapic.h"

#include <stdlib.h>

#include "util/common.h"
#include "util/log.h"

#define IOAPIC_ID_MASK (0xfu << 24)
/* writable bits: everything but delivery status and remote IRR, and the
 * reserved bits 17-55 */
#define IOAPIC_RTE_WRITABLE                                                    \
    (IOAPIC_RTE_VECTOR | IOAPIC_RTE_DELMODE | IOAPIC_RTE_DESTMODE |            \
     IOAPIC_RTE_POLARITY | IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED |              \
     (0xffull << IOAPIC_RTE_DEST_SHIFT))

struct Ioapic {
    uint32_t id; /* bits 27:24 */
    uint32_t ioregsel;
    uint32_t levels; /* input pin n asserted */
    uint64_t rte[IOAPIC_NUM_PINS];
    IoapicDeliverFn *deliver;
    void *opaque;
    MemRegion *sysmem, *mr;
};

static const VmStateField ioapic_vmstate[] = {
    VMSTATE_FIELD(Ioapic, id),
    VMSTATE_FIELD(Ioapic, ioregsel),
    VMSTATE_FIELD(Ioapic, levels),
    VMSTATE_FIELD(Ioapic, rte),
};

const VmStateField *ioapic_get_vmstate(size_t *count)
{
    *count = ARRAY_LEN(ioapic_vmstate);
    return ioapic_vmstate;
}

uint64_t ioapic_get_entry(const Ioapic *s, int pin)
{
    return pin >= 0 && pin < IOAPIC_NUM_PINS ? s->rte[pin] : 0;
}

static int rte_delmode(uint64_t e)
{
    return (int)((e & IOAPIC_RTE_DELMODE) >> IOAPIC_RTE_DELMODE_SHIFT);
}

/* SMI, NMI, INIT and ExtINT are edge-triggered whatever the trigger bit
 * says (the 82093AA requires edge for them) */
static bool rte_is_level(uint64_t e)
{
    int dm = rte_delmode(e);
    return (e & IOAPIC_RTE_LEVEL) &&
           (dm == IOAPIC_DM_FIXED || dm == IOAPIC_DM_LOWPRI);
}

static void ioapic_deliver(Ioapic *s, int pin)
{
    uint64_t e = s->rte[pin];
    int dm = rte_delmode(e);
    if (dm == 3 || dm == 6) {
        log_guest_error("ioapic", "pin %d: reserved delivery mode %d", pin, dm);
        return;
    }
    bool level = rte_is_level(e);
    if (level) {
        s->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
    }
    if (s->deliver) {
        s->deliver(s->opaque, (uint32_t)(e >> IOAPIC_RTE_DEST_SHIFT),
                   (e & IOAPIC_RTE_DESTMODE) != 0, dm,
                   (int)(e & IOAPIC_RTE_VECTOR), level);
    }
}

/* a level entry whose pin is asserted and not yet serviced */
static void ioapic_service_level(Ioapic *s, int pin)
{
    uint64_t e = s->rte[pin];
    if ((s->levels & BIT(pin)) && !(e & IOAPIC_RTE_MASKED) && rte_is_level(e) &&
        !(e & IOAPIC_RTE_REMOTE_IRR)) {
        ioapic_deliver(s, pin);
    }
}

void ioapic_set_irq(void *opaque, int pin, int level)
{
    Ioapic *s = opaque;
    if (pin < 0 || pin >= IOAPIC_NUM_PINS) {
        log_guest_error("ioapic", "input %d does not exist", pin);
        return;
    }
    bool was = (s->levels & BIT(pin)) != 0;
    if (level) {
        s->levels |= (uint32_t)BIT(pin);
    } else {
        s->levels &= ~(uint32_t)BIT(pin);
    }
    uint64_t e = s->rte[pin];
    if (e & IOAPIC_RTE_MASKED) {
        return;
    }
    if (rte_is_level(e)) {
        ioapic_service_level(s, pin);
    } else if (level && !was) {
        ioapic_deliver(s, pin);
    }
}

void ioapic_eoi(Ioapic *s, int vector)
{
    for (int pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        uint64_t e = s->rte[pin];
        if ((e & IOAPIC_RTE_REMOTE_IRR) &&
            (int)(e & IOAPIC_RTE_VECTOR) == (vector & 0xff)) {
            s->rte[pin] &= ~IOAPIC_RTE_REMOTE_IRR;
            ioapic_service_level(s, pin);
        }
    }
}

/* ---- registers ---- */

static uint32_t ioapic_read_reg(Ioapic *s, uint32_t reg)
{
    switch (reg) {
    case IOAPIC_REG_ID:
        return s->id;
    case IOAPIC_REG_VER:
        return (IOAPIC_NUM_PINS - 1) << 16 | IOAPIC_VERSION;
    case IOAPIC_REG_ARB:
        return s->id; /* the arbitration ID follows the APIC ID */
    default:
        break;
    }
    if (reg >= IOAPIC_REG_REDTBL &&
        reg < IOAPIC_REG_REDTBL + 2 * IOAPIC_NUM_PINS) {
        uint64_t e = s->rte[(reg - IOAPIC_REG_REDTBL) / 2];
        return (uint32_t)(reg & 1 ? e >> 32 : e);
    }
    log_guest_error("ioapic", "read of reserved register 0x%x", reg);
    return 0;
}

static void ioapic_write_rte(Ioapic *s, int pin, uint64_t val, uint64_t mask)
{
    uint64_t old = s->rte[pin];
    uint64_t w = IOAPIC_RTE_WRITABLE & mask;
    uint64_t e = (old & ~w) | (val & w);
    if (!(e & IOAPIC_RTE_LEVEL)) {
        e &= ~IOAPIC_RTE_REMOTE_IRR; /* how guests clear a stuck remote IRR */
    }
    s->rte[pin] = e;
    ioapic_service_level(s, pin);
}

static void ioapic_write_reg(Ioapic *s, uint32_t reg, uint32_t val)
{
    if (reg == IOAPIC_REG_ID) {
        s->id = val & IOAPIC_ID_MASK;
        return;
    }
    if (reg >= IOAPIC_REG_REDTBL &&
        reg < IOAPIC_REG_REDTBL + 2 * IOAPIC_NUM_PINS) {
        int pin = (int)(reg - IOAPIC_REG_REDTBL) / 2;
        if (reg & 1) {
            ioapic_write_rte(s, pin, (uint64_t)val << 32, 0xffffffffull << 32);
        } else {
            ioapic_write_rte(s, pin, val, 0xffffffffull);
        }
        return;
    }
    log_guest_error("ioapic", "write of 0x%x to %s register 0x%x", val,
                    reg <= IOAPIC_REG_ARB ? "read-only" : "reserved", reg);
}

static uint64_t ioapic_mmio_read(void *opaque, uint64_t addr, unsigned size)
{
    Ioapic *s = opaque;
    (void)size;
    switch (addr) {
    case IOAPIC_IOREGSEL:
        return s->ioregsel;
    case IOAPIC_IOWIN:
        return ioapic_read_reg(s, s->ioregsel);
    case IOAPIC_EOI:
        return 0; /* write-only */
    default:
        log_guest_error("ioapic", "read at reserved offset 0x%x",
                        (unsigned)addr);
        return 0;
    }
}

static void ioapic_mmio_write(void *opaque, uint64_t addr, uint64_t val,
                              unsigned size)
{
    Ioapic *s = opaque;
    (void)size;
    switch (addr) {
    case IOAPIC_IOREGSEL:
        s->ioregsel = (uint32_t)val & 0xff;
        return;
    case IOAPIC_IOWIN:
        ioapic_write_reg(s, s->ioregsel, (uint32_t)val);
        return;
    case IOAPIC_EOI:
        ioapic_eoi(s, (int)(val & 0xff));
        return;
    default:
        log_guest_error("ioapic", "write at reserved offset 0x%x",
                        (unsigned)addr);
        return;
    }
}

static const MemOps ioapic_ops = {
    .read = ioapic_mmio_read,
    .write = ioapic_mmio_write,
    .valid = {.min = 1, .max = 4},
    .impl = {.min = 4, .max = 4},
};

void ioapic_reset(Ioapic *s)
{
    s->id = 0;
    s->ioregsel = 0;
    for (int pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        s->rte[pin] = IOAPIC_RTE_MASKED;
    }
}

Ioapic *ioapic_new(MemRegion *sysmem, uint64_t base, IoapicDeliverFn *deliver,
                   void *opaque)
{
    Ioapic *s = xzalloc(sizeof(*s));
    s->deliver = deliver;
    s->opaque = opaque;
    ioapic_reset(s);
    s->sysmem = sysmem;
    s->mr = mr_new_io("ioapic", IOAPIC_SIZE, &ioapic_ops, s);
    mr_add_subregion(sysmem, base, s->mr, 0);
    return s;
}

void ioapic_free(Ioapic *s)
{
    if (!s) {
        return;
    }
    mr_del_subregion(s->sysmem, s->mr);
    mr_free(s->mr);
    free(s);
}
