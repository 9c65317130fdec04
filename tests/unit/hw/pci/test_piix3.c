/*
 * PIIX3 PIRQ routing: a device's INTx reaches PIRQ (slot + pin) & 3, the
 * PIRQ's direct output, and the ISA IRQ its PIRQRC register names.
 */
#include <criterion/criterion.h>

#include "hw/pci/piix3.h"

static MemRegion *sys_root, *io_root;
static PciBus *bus;
static Piix3 *px;
static int isa_level[16], pirq_level[4], isa_changes;
static PciDevice dev;

static void isa_cb(void *opaque, int n, int level)
{
    (void)opaque;
    isa_level[n] = level;
    isa_changes++;
}

static void pirq_cb(void *opaque, int n, int level)
{
    (void)opaque;
    pirq_level[n] = level;
}

static void setup(void)
{
    sys_root = mr_new_container("sys", UINT64_MAX);
    io_root = mr_new_container("io", 0x10000);
    bus = pci_bus_new(sys_root, io_root, 0);
    IrqLine isa[16], pirq[4];
    for (int i = 0; i < 16; i++) {
        isa[i] = irq_line(isa_cb, NULL, i);
        isa_level[i] = 0;
    }
    for (int i = 0; i < 4; i++) {
        pirq[i] = irq_line(pirq_cb, NULL, i);
        pirq_level[i] = 0;
    }
    isa_changes = 0;
    px = piix3_new(bus, PCI_DEVFN(1, 0), isa, pirq);
    memset(&dev, 0, sizeof(dev));
    cr_assert(pci_device_init(&dev, bus, PCI_DEVFN(5, 0), "dev", 1, 2,
                              0x02000000, 0));
    dev.config[PCI_INTERRUPT_PIN] = 2; /* INTB#: PIRQ (5 + 1) & 3 = C */
}

static void teardown(void)
{
    pci_device_unregister(&dev);
    piix3_free(px);
    pci_bus_free(bus);
    mr_free(io_root);
    mr_free(sys_root);
}

TestSuite(piix3, .init = setup, .fini = teardown, .timeout = 10);

Test(piix3, ids_and_defaults)
{
    PciDevice *d = piix3_pci(px);
    cr_assert_eq(pci_config_read(d, 0, 4), 0x70008086);
    cr_assert_eq(pci_config_read(d, PCI_CLASS_DEVICE, 2), 0x0601);
    cr_assert_eq(pci_config_read(d, PCI_HEADER_TYPE, 1), 0x80,
                 "multi-function");
    cr_assert_eq(pci_config_read(d, PIIX3_PIRQRC, 4), 0x80808080);
    pci_config_write(d, PIIX3_PIRQRC, 0xffffffff, 4);
    cr_assert_eq(pci_config_read(d, PIIX3_PIRQRC, 4), 0x8f8f8f8f);
    cr_assert_eq(piix3_pirq_of(5, 1), 2);
}

Test(piix3, intx_reaches_pirq_and_isa_irq)
{
    PciDevice *d = piix3_pci(px);
    pci_set_irq(&dev, 1);
    cr_assert_eq(pirq_level[2], 1, "PIRQC direct output");
    cr_assert_eq(isa_changes, 0, "route disabled");
    pci_config_write(d, PIIX3_PIRQRC + 2, 11, 1);
    cr_assert_eq(isa_level[11], 1, "routed to IRQ 11");
    pci_config_write(d, PIIX3_PIRQRC + 2, 10, 1);
    cr_assert_eq(isa_level[11], 0, "moved away");
    cr_assert_eq(isa_level[10], 1);
    pci_set_irq(&dev, 0);
    cr_assert_eq(isa_level[10], 0);
    cr_assert_eq(pirq_level[2], 0);
}

Test(piix3, shared_isa_irq_and_reserved_routes)
{
    PciDevice *d = piix3_pci(px);
    PciDevice d2 = {0};
    cr_assert(pci_device_init(&d2, bus, PCI_DEVFN(6, 0), "d2", 1, 3, 0, 0));
    d2.config[PCI_INTERRUPT_PIN] = 1; /* PIRQ (6 + 0) & 3 = C too */
    pci_config_write(d, PIIX3_PIRQRC + 2, 9, 1);
    pci_set_irq(&dev, 1);
    pci_set_irq(&d2, 1);
    pci_set_irq(&dev, 0);
    cr_assert_eq(isa_level[9], 1, "wired-OR on PIRQC");
    pci_set_irq(&d2, 0);
    cr_assert_eq(isa_level[9], 0);
    pci_set_irq(&dev, 1);
    pci_config_write(d, PIIX3_PIRQRC + 2, 2, 1); /* IRQ 2 is reserved */
    for (int i = 0; i < 16; i++) {
        cr_assert_eq(isa_level[i], 0, "IRQ %d", i);
    }
    pci_config_write(d, PIIX3_PIRQRC + 2, 0x0e, 1);
    cr_assert_eq(isa_level[14], 1);
    pci_bus_reset(bus);
    cr_assert_eq(pci_config_read(d, PIIX3_PIRQRC, 4), 0x80808080,
                 "bus reset gives the PIIX3 defaults");
    cr_assert_eq(isa_level[14], 0);
    pci_device_unregister(&d2);
}
