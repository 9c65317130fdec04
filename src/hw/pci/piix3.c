/*
 * PIIX3 interrupt router (see piix3.h). pirq_level holds the four PIRQ
 * inputs; isa_level the ISA IRQ levels driven now, so that a PIRQRC write
 * moves a level from one ISA IRQ to another.
 */
#include "hw/pci/piix3.h"

#include <stdlib.h>

#include "util/common.h"
#include "util/log.h"

#define PIIX3_VENDOR 0x8086
#define PIIX3_DEVICE 0x7000
#define PIIX3_CLASS_REV 0x06010000 /* ISA bridge */
/* ISA IRQs a PIRQ may be routed to */
#define PIIX3_IRQ_VALID 0xdef8

struct Piix3 {
    PciDevice dev; /* first: the config hook gets &dev */
    uint8_t pirq_level;
    uint16_t isa_level;
    IrqLine isa[PIIX3_NUM_ISA_IRQS];
    IrqLine pirq_out[PIIX3_NUM_PIRQ];
};

PciDevice *piix3_pci(Piix3 *s)
{
    return &s->dev;
}

int piix3_pirq_of(int slot, int pin)
{
    return (slot + pin) & 3;
}

static int piix3_route(void *opaque, int devfn, int pin)
{
    (void)opaque;
    return piix3_pirq_of(PCI_SLOT(devfn), pin);
}

/* the ISA IRQ PIRQ n goes to, -1 if none */
static int pirq_isa_irq(const Piix3 *s, int n)
{
    uint8_t r = s->dev.config[PIIX3_PIRQRC + n];
    int irq = r & 0x0f;
    if ((r & PIIX3_PIRQ_DISABLE) || !(PIIX3_IRQ_VALID & (1u << irq))) {
        return -1;
    }
    return irq;
}

static void piix3_update_isa(Piix3 *s)
{
    uint16_t want = 0;
    for (int n = 0; n < PIIX3_NUM_PIRQ; n++) {
        int irq = pirq_isa_irq(s, n);
        if (irq >= 0 && (s->pirq_level & BIT(n))) {
            want |= (uint16_t)BIT(irq);
        }
    }
    uint16_t changed = want ^ s->isa_level;
    s->isa_level = want;
    for (int irq = 0; irq < PIIX3_NUM_ISA_IRQS; irq++) {
        if (changed & BIT(irq)) {
            irq_set(&s->isa[irq], (want >> irq) & 1);
        }
    }
}

static void piix3_set_pirq(void *opaque, int n, int level)
{
    Piix3 *s = opaque;
    if (level) {
        s->pirq_level |= (uint8_t)BIT(n);
    } else {
        s->pirq_level &= (uint8_t)~BIT(n);
    }
    irq_set(&s->pirq_out[n], level);
    piix3_update_isa(s);
}

static void piix3_config_write(PciDevice *d, uint32_t addr, uint32_t val,
                               unsigned len)
{
    Piix3 *s = (Piix3 *)d;
    (void)val;
    if (addr < PIIX3_PIRQRC + PIIX3_NUM_PIRQ && PIIX3_PIRQRC < addr + len) {
        for (int n = 0; n < PIIX3_NUM_PIRQ; n++) {
            uint8_t r = d->config[PIIX3_PIRQRC + n];
            if (!(r & PIIX3_PIRQ_DISABLE) &&
                !(PIIX3_IRQ_VALID & (1u << (r & 0x0f)))) {
                log_guest_error("piix3", "PIRQ%c routed to reserved IRQ %d",
                                'A' + n, r & 0x0f);
            }
        }
        piix3_update_isa(s);
    }
}

static void piix3_reset_hook(PciDevice *d)
{
    piix3_reset((Piix3 *)d);
}

void piix3_reset(Piix3 *s)
{
    pci_device_reset(&s->dev);
    for (int n = 0; n < PIIX3_NUM_PIRQ; n++) {
        s->dev.config[PIIX3_PIRQRC + n] = PIIX3_PIRQ_DISABLE;
    }
    piix3_update_isa(s);
}

Piix3 *piix3_new(PciBus *bus, int devfn, const IrqLine *isa_irqs,
                 const IrqLine *pirq_out)
{
    Piix3 *s = xzalloc(sizeof(*s));
    for (int i = 0; isa_irqs && i < PIIX3_NUM_ISA_IRQS; i++) {
        s->isa[i] = isa_irqs[i];
    }
    for (int n = 0; pirq_out && n < PIIX3_NUM_PIRQ; n++) {
        s->pirq_out[n] = pirq_out[n];
    }
    bool ok = pci_device_init(&s->dev, bus, devfn, "piix3", PIIX3_VENDOR,
                              PIIX3_DEVICE, PIIX3_CLASS_REV,
                              PCI_HEADER_TYPE_NORMAL | PCI_HEADER_TYPE_MULTI);
    ASSERT(ok);
    s->dev.config_write = piix3_config_write;
    s->dev.reset = piix3_reset_hook;
    /* an ISA bridge: I/O, memory and bus master are always on */
    pci_set_word(&s->dev, PCI_COMMAND, 0x0007);
    s->dev.wmask[PCI_COMMAND] = 0;
    s->dev.wmask[PCI_COMMAND + 1] = 0;
    for (int n = 0; n < PIIX3_NUM_PIRQ; n++) {
        s->dev.wmask[PIIX3_PIRQRC + n] = 0x8f;
    }
    IrqLine lines[PIIX3_NUM_PIRQ];
    for (int n = 0; n < PIIX3_NUM_PIRQ; n++) {
        lines[n] = irq_line(piix3_set_pirq, s, n);
    }
    pci_bus_set_intx(bus, lines, PIIX3_NUM_PIRQ, piix3_route, s);
    piix3_reset(s);
    return s;
}

void piix3_free(Piix3 *s)
{
    if (!s) {
        return;
    }
    PciBus *bus = s->dev.bus;
    pci_device_unregister(&s->dev);
    if (bus) {
        pci_bus_set_intx(bus, NULL, 0, NULL, NULL);
    }
    free(s);
}
