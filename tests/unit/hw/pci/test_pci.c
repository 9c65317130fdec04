/*
 * The PCI device core: a test device with a 32-bit memory BAR, an I/O BAR,
 * a 64-bit BAR holding its MSI-X table and PBA, and an expansion ROM, on a
 * bus whose BARs map into a system and an I/O address space. Config
 * accesses go straight to pci_config_read/write (the host bridge's
 * mechanism #1 is tested in test_i440fx.c).
 */
#include <criterion/criterion.h>

#include "hw/pci/pci.h"

typedef struct TestDev {
    PciDevice pci;
    uint32_t last_off, last_val;
    int writes;
} TestDev;

typedef struct Msi {
    uint64_t addr;
    uint32_t data;
    uint16_t rid;
} Msi;

static MemRegion *sys_root, *io_root, *ram;
static AddrSpace *mem, *io;
static PciBus *bus;
static TestDev dev;
static MemRegion *bar0, *bar1, *bar2, *rom;
static Msi msis[32];
static int nmsis;
static int line_level[4], line_rises[4];

static uint64_t bar_read(void *opaque, uint64_t addr, unsigned size)
{
    (void)size;
    return (uintptr_t)opaque << 16 | (uint32_t)addr;
}

static void bar_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    (void)opaque;
    (void)size;
    dev.last_off = (uint32_t)addr;
    dev.last_val = (uint32_t)val;
    dev.writes++;
}

static const MemOps bar_ops = {
    .read = bar_read,
    .write = bar_write,
    .valid = {.min = 1, .max = 4},
    .impl = {.min = 4, .max = 4},
};

static void msi_cb(void *opaque, uint64_t addr, uint32_t data, uint16_t rid)
{
    (void)opaque;
    if (nmsis < 32) {
        msis[nmsis] = (Msi){addr, data, rid};
    }
    nmsis++;
}

static void line_cb(void *opaque, int n, int level)
{
    (void)opaque;
    if (level && !line_level[n]) {
        line_rises[n]++;
    }
    line_level[n] = level;
}

static void setup(void)
{
    sys_root = mr_new_container("sys", UINT64_MAX);
    mem = as_new("sys", sys_root);
    io_root = mr_new_container("io", 0x10000);
    io = as_new("io", io_root);
    ram = mr_new_ram("ram", 0x100000);
    mr_add_subregion(sys_root, 0, ram, 0);
    bus = pci_bus_new(sys_root, io_root, 0);
    pci_bus_set_msi(bus, msi_cb, NULL);
    IrqLine lines[4];
    for (int i = 0; i < 4; i++) {
        lines[i] = irq_line(line_cb, NULL, i);
        line_level[i] = line_rises[i] = 0;
    }
    pci_bus_set_intx(bus, lines, 4, NULL, NULL);
    nmsis = 0;
    memset(&dev, 0, sizeof(dev));
    cr_assert(pci_device_init(&dev.pci, bus, PCI_DEVFN(3, 0), "testdev", 0x1234,
                              0x5678, 0x02000001, PCI_HEADER_TYPE_NORMAL));
    bar0 = mr_new_io("bar0", 0x1000, &bar_ops, (void *)(uintptr_t)0xa);
    bar1 = mr_new_io("bar1", 0x20, &bar_ops, (void *)(uintptr_t)0xb);
    bar2 = mr_new_container("bar2", 0x4000);
    rom = mr_new_io("rom", 0x10000, &bar_ops, (void *)(uintptr_t)0xc);
    pci_register_bar(&dev.pci, 0, PCI_BAR_MEM32, bar0);
    pci_register_bar(&dev.pci, 1, PCI_BAR_IO, bar1);
    pci_register_bar(&dev.pci, 2, PCI_BAR_MEM64 | PCI_BAR_PREFETCH, bar2);
    pci_register_bar(&dev.pci, PCI_ROM_SLOT, 0, rom);
    dev.pci.config[PCI_INTERRUPT_PIN] = 1;
}

static void teardown(void)
{
    pci_bus_free(bus);
    mr_free_tree(bar2);
    mr_free(bar0);
    mr_free(bar1);
    mr_free(rom);
    as_free(io);
    as_free(mem);
    mr_del_subregion(sys_root, ram);
    mr_free(ram);
    mr_free(io_root);
    mr_free(sys_root);
}

TestSuite(pci, .init = setup, .fini = teardown, .timeout = 10);

static uint32_t cfg(uint32_t off, unsigned len)
{
    return pci_config_read(&dev.pci, off, len);
}

static void cfgw(uint32_t off, uint32_t val, unsigned len)
{
    pci_config_write(&dev.pci, off, val, len);
}

Test(pci, header_and_read_only_fields)
{
    cr_assert_eq(cfg(0, 4), 0x56781234);
    cr_assert_eq(cfg(PCI_REVISION_ID, 4), 0x02000001);
    cr_assert_eq(cfg(PCI_CLASS_DEVICE, 2), 0x0200);
    cfgw(0, 0xffffffff, 4);
    cfgw(PCI_REVISION_ID, 0, 4);
    cr_assert_eq(cfg(0, 4), 0x56781234, "IDs are read-only");
    cr_assert_eq(cfg(PCI_REVISION_ID, 4), 0x02000001);
    cfgw(PCI_INTERRUPT_LINE, 0xffff, 2);
    cr_assert_eq(cfg(PCI_INTERRUPT_LINE, 1), 0xff, "line writable");
    cr_assert_eq(cfg(PCI_INTERRUPT_PIN, 1), 1, "pin read-only");
    cfgw(PCI_COMMAND, 0xffff, 2);
    cr_assert_eq(cfg(PCI_COMMAND, 2), 0x054f, "only the defined bits");
    cr_assert_eq(cfg(PCI_HEADER_TYPE, 1), 0);
    cr_assert_eq(pci_bus_find(bus, PCI_DEVFN(3, 0)), &dev.pci);
    TestDev other = {0};
    cr_assert_not(
        pci_device_init(&other.pci, bus, PCI_DEVFN(3, 0), "dup", 1, 1, 0, 0),
        "devfn taken");
    cr_assert_not(pci_device_init(&other.pci, bus, 256, "bad", 1, 1, 0, 0));
}

Test(pci, status_write_one_to_clear)
{
    dev.pci.config[PCI_STATUS + 1] = 0xf9; /* errors latched */
    cfgw(PCI_STATUS, 0x1000, 2);
    cr_assert_eq(cfg(PCI_STATUS + 1, 1), 0xe9, "bit 12 cleared only");
    cfgw(PCI_STATUS, 0x0000, 2);
    cr_assert_eq(cfg(PCI_STATUS + 1, 1), 0xe9, "0s do nothing");
    cfgw(PCI_STATUS, 0xffff, 2);
    cr_assert_eq(cfg(PCI_STATUS, 2) & 0xf900, 0);
}

Test(pci, bar_sizing)
{
    cfgw(0x10, 0xffffffff, 4);
    cr_assert_eq(cfg(0x10, 4), 0xfffff000, "4 KiB memory BAR");
    cfgw(0x14, 0xffffffff, 4);
    cr_assert_eq(cfg(0x14, 4), 0xffffffe1, "32-byte I/O BAR");
    cfgw(0x18, 0xffffffff, 4);
    cfgw(0x1c, 0xffffffff, 4);
    cr_assert_eq(cfg(0x18, 4), 0xffffc00c, "16 KiB 64-bit prefetchable");
    cr_assert_eq(cfg(0x1c, 4), 0xffffffff);
    cfgw(0x20, 0xffffffff, 4);
    cr_assert_eq(cfg(0x20, 4), 0, "no BAR 4");
    cfgw(PCI_ROM_ADDRESS, 0xfffffffe, 4);
    cr_assert_eq(cfg(PCI_ROM_ADDRESS, 4), 0xffff0000, "64 KiB ROM");
    cfgw(0x10, 0x12345678, 4);
    cr_assert_eq(cfg(0x10, 4), 0x12345000);
    cfgw(0x11, 0xff, 1); /* byte write inside a BAR */
    cr_assert_eq(cfg(0x10, 4), 0x1234f000);
}

Test(pci, bar_remapping_follows_the_registers)
{
    cfgw(0x10, 0xe0000000, 4);
    cr_assert_eq(pci_bar_addr(&dev.pci, 0), PCI_BAR_UNMAPPED, "decode off");
    cr_assert_eq(as_ld32(mem, 0xe0000010), 0xffffffff, "nothing there yet");
    cfgw(PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    cr_assert_eq(pci_bar_addr(&dev.pci, 0), 0xe0000000);
    cr_assert_eq(as_ld32(mem, 0xe0000010), 0xa0010, "reaches the device");
    as_st32(mem, 0xe0000ff0, 0x55);
    cr_assert_eq(dev.last_off, 0xff0);
    cr_assert_eq(dev.last_val, 0x55);
    cfgw(0x10, 0xe1000000, 4); /* move while decoding */
    cr_assert_eq(as_ld32(mem, 0xe0000010), 0xffffffff, "old place empty");
    cr_assert_eq(as_ld32(mem, 0xe1000020), 0xa0020, "new place");
    cfgw(PCI_COMMAND, 0, 2);
    cr_assert_eq(as_ld32(mem, 0xe1000020), 0xffffffff, "decode disabled");
    cr_assert_eq(pci_bar_addr(&dev.pci, 0), PCI_BAR_UNMAPPED);
}

Test(pci, io_bar)
{
    cfgw(0x14, 0xc041, 4);
    cfgw(PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    cr_assert_eq(as_ld32(io, 0xc004), 0xffffffff, "I/O decode off");
    cfgw(PCI_COMMAND, PCI_COMMAND_IO, 2);
    cr_assert_eq(pci_bar_addr(&dev.pci, 1), 0xc040, "aligned to 32");
    cr_assert_eq(as_ld32(io, 0xc044), 0xb0004);
    cfgw(0x14, 0xfffffff0, 4); /* beyond the 64 KiB I/O space */
    cr_assert_eq(as_ld32(io, 0xc044), 0xffffffff);
}

Test(pci, bar_64bit_above_4g_and_over_ram)
{
    cr_assert_neq(pci_msix_init(&dev.pci, 3, bar2, 2, 0, 0x800, 0), 0);
    cfgw(0x18, 0x00000000, 4);
    cfgw(0x1c, 0x00000010, 4);
    cfgw(PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    cr_assert_eq(pci_bar_addr(&dev.pci, 2), 0x1000000000ull);
    cr_assert_eq(as_ld32(mem, 0x1000000000ull + 0x800), 0, "MSI-X PBA");
    /* the guest puts BAR 0 over RAM and then at the very top: no crash */
    cfgw(0x10, 0x00001000, 4);
    cr_assert_eq(as_ld32(mem, 0x1004), 0xa0004, "the BAR wins over RAM");
    cfgw(0x18, 0xffffffff, 4);
    cfgw(0x1c, 0xffffffff, 4);
    cr_assert_eq(pci_bar_addr(&dev.pci, 2), 0xffffffffffffc000ull);
    cfgw(0x10, 0, 4);
    cr_assert_eq(as_ld32(mem, 0x1004), 0, "RAM again");
}

Test(pci, expansion_rom)
{
    cfgw(PCI_ROM_ADDRESS, 0xfebe0000, 4);
    cfgw(PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    cr_assert_eq(pci_bar_addr(&dev.pci, PCI_ROM_SLOT), PCI_BAR_UNMAPPED,
                 "enable bit clear");
    cfgw(PCI_ROM_ADDRESS, 0xfebe0001, 4);
    cr_assert_eq(as_ld32(mem, 0xfebe0100), 0xc0100);
    cr_assert_eq(cfg(PCI_ROM_ADDRESS, 4), 0xfebe0001);
}

Test(pci, capability_list)
{
    cr_assert_eq(cfg(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, 0);
    cr_assert_eq(pci_find_capability(&dev.pci, 0x09), 0);
    unsigned a = pci_add_capability(&dev.pci, 0x09, 0, 8);
    unsigned b = pci_add_capability(&dev.pci, 0x01, 0x60, 8);
    unsigned c = pci_add_capability(&dev.pci, 0x10, 0, 4);
    cr_assert_eq(a, 0x40);
    cr_assert_eq(b, 0x60);
    cr_assert_eq(c, 0x68, "after the highest");
    cr_assert(cfg(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
    cr_assert_eq(cfg(PCI_CAPABILITY_LIST, 1), 0x68);
    cr_assert_eq(cfg(0x68, 2), 0x6010, "id 0x10, next 0x60");
    cr_assert_eq(cfg(0x60, 2), 0x4001);
    cr_assert_eq(cfg(0x40, 2), 0x0009, "end of list");
    cr_assert_eq(pci_find_capability(&dev.pci, 0x01), 0x60);
    cr_assert_eq(pci_add_capability(&dev.pci, 1, 0x20, 4), 0, "in header");
    cr_assert_eq(pci_add_capability(&dev.pci, 1, 0xfc, 8), 0, "past end");
    cfgw(0x68, 0xffff, 2);
    cr_assert_eq(cfg(0x68, 2), 0x6010, "list is read-only");
    /* a looping list (device bug) does not hang the walk */
    dev.pci.config[0x41] = 0x68;
    cr_assert_eq(pci_find_capability(&dev.pci, 0x77), 0);
}

Test(pci, intx_routing_and_disable)
{
    pci_set_irq(&dev.pci, 1);
    cr_assert_eq(line_level[(3 + 0) % 4], 1, "slot 3 INTA# swizzled");
    cr_assert(cfg(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    cfgw(PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, 2);
    cr_assert_eq(line_level[3], 0, "INTx disable");
    cr_assert(cfg(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, "status stays");
    cfgw(PCI_COMMAND, 0, 2);
    cr_assert_eq(line_level[3], 1);
    /* a second device on the same line: wired-OR */
    TestDev d2 = {0};
    cr_assert(pci_device_init(&d2.pci, bus, PCI_DEVFN(7, 0), "d2", 1, 2, 0, 0));
    d2.pci.config[PCI_INTERRUPT_PIN] = 1;
    pci_set_irq(&d2.pci, 1);
    pci_set_irq(&dev.pci, 0);
    cr_assert_eq(line_level[3], 1, "still held by the other device");
    pci_set_irq(&d2.pci, 0);
    cr_assert_eq(line_level[3], 0);
    pci_device_unregister(&d2.pci);
}

static int route_fn(void *opaque, int devfn, int pin)
{
    (void)opaque;
    return devfn == PCI_DEVFN(3, 0) && pin == 0 ? 1 : -1;
}

Test(pci, intx_route_hook)
{
    IrqLine lines[4];
    for (int i = 0; i < 4; i++) {
        lines[i] = irq_line(line_cb, NULL, i);
    }
    pci_bus_set_intx(bus, lines, 4, route_fn, NULL);
    pci_set_irq(&dev.pci, 1);
    cr_assert_eq(line_level[1], 1);
    cr_assert_eq(line_level[3], 0);
    pci_set_irq(&dev.pci, 0);
    cr_assert_eq(line_level[1], 0);
}

Test(pci, msi_32bit_multi_message)
{
    unsigned cap = pci_msi_init(&dev.pci, 0, 4, false, false);
    cr_assert_eq(cap, 0x40);
    cr_assert_eq(pci_find_capability(&dev.pci, PCI_CAP_ID_MSI), cap);
    cr_assert_eq(cfg(cap + 2, 2), 0x0004, "MMC = 2 (4 vectors), 32-bit");
    cfgw(cap + 4, 0xfee01003, 4);
    cr_assert_eq(cfg(cap + 4, 4), 0xfee01000, "dword aligned");
    cfgw(cap + 8, 0xffff4440, 4);
    cr_assert_eq(cfg(cap + 8, 4), 0x4440, "16-bit data");
    pci_msi_notify(&dev.pci, 0);
    cr_assert_eq(nmsis, 0, "not enabled");
    cfgw(cap + 2, 0x0011, 2); /* enable, MME = 2 vectors */
    pci_msi_notify(&dev.pci, 1);
    cr_assert_eq(nmsis, 0, "no bus master");
    cfgw(PCI_COMMAND, PCI_COMMAND_MASTER, 2);
    pci_msi_notify(&dev.pci, 1);
    cr_assert_eq(nmsis, 1);
    cr_assert_eq(msis[0].addr, 0xfee01000);
    cr_assert_eq(msis[0].data, 0x4441, "vector in the low bits");
    cr_assert_eq(msis[0].rid, PCI_DEVFN(3, 0));
    pci_msi_notify(&dev.pci, 3);
    cr_assert_eq(msis[1].data, 0x4441, "only 2 vectors allocated");
    /* MSI enabled: INTx is not used */
    pci_set_irq(&dev.pci, 1);
    cr_assert_eq(line_level[3], 0);
    cfgw(cap + 2, 0x0000, 2);
    cr_assert_eq(line_level[3], 1, "MSI off: INTx again");
}

Test(pci, msi_64bit_masking_and_pending)
{
    unsigned cap = pci_msi_init(&dev.pci, 0x50, 8, true, true);
    cr_assert_eq(cap, 0x50);
    cr_assert_eq(cfg(cap + 2, 2), 0x0186, "per-vector mask, 64-bit, MMC 3");
    cfgw(cap + 4, 0xfee00000, 4);
    cfgw(cap + 8, 0x1, 4);
    cfgw(cap + 0xc, 0x30, 2);
    cfgw(cap + 0x10, 0xffffffff, 4);
    cr_assert_eq(cfg(cap + 0x10, 4), 0xff, "8 mask bits");
    cfgw(PCI_COMMAND, PCI_COMMAND_MASTER, 2);
    cfgw(cap + 2, 0x0031, 2); /* enable, 8 vectors */
    pci_msi_notify(&dev.pci, 5);
    cr_assert_eq(nmsis, 0, "masked");
    cr_assert_eq(cfg(cap + 0x14, 4), 0x20, "pending bit 5");
    cfgw(cap + 0x14, 0, 4);
    cr_assert_eq(cfg(cap + 0x14, 4), 0x20, "pending is read-only");
    cfgw(cap + 0x10, 0xdf, 4);
    cr_assert_eq(nmsis, 1, "unmasking sends the pending message");
    cr_assert_eq(msis[0].addr, 0x1fee00000ull);
    cr_assert_eq(msis[0].data, 0x35);
    cr_assert_eq(cfg(cap + 0x14, 4), 0);
    cr_assert_eq(pci_msi_init(&dev.pci, 0, 4, false, false), 0, "only one");
    cr_assert_eq(pci_msi_init(&dev.pci, 0, 3, false, false), 0);
}

static unsigned msix_setup(void)
{
    unsigned cap = pci_msix_init(&dev.pci, 3, bar2, 2, 0x0000, 0x800, 0);
    cr_assert_neq(cap, 0);
    cfgw(0x18, 0xd0000000, 4);
    cfgw(0x1c, 0, 4);
    cfgw(PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
    return cap;
}

Test(pci, msix_table_in_a_bar)
{
    unsigned cap = msix_setup();
    cr_assert_eq(cfg(cap, 1), PCI_CAP_ID_MSIX);
    cr_assert_eq(cfg(cap + 2, 2), 2, "table size N-1");
    cr_assert_eq(cfg(cap + 4, 4), 0x0002, "table at 0 in BAR 2");
    cr_assert_eq(cfg(cap + 8, 4), 0x0802, "PBA at 0x800 in BAR 2");
    uint64_t t = 0xd0000000;
    cr_assert_eq(as_ld32(mem, t + 12), 1, "entries start masked");
    as_st32(mem, t + 0x10, 0xfee0200f);
    as_st32(mem, t + 0x14, 0);
    as_st32(mem, t + 0x18, 0x4051);
    as_st32(mem, t + 0x1c, 0xfffffffe);
    cr_assert_eq(as_ld32(mem, t + 0x10), 0xfee0200c);
    cr_assert_eq(as_ld32(mem, t + 0x1c), 0, "reserved control bits");
    cr_assert_eq(as_ld64(mem, t + 0x10), 0xfee0200cull, "64-bit read");
    cfgw(cap + 2, 0x8000, 2);
    cr_assert(pci_msix_enabled(&dev.pci));
    pci_msix_notify(&dev.pci, 1);
    cr_assert_eq(nmsis, 1);
    cr_assert_eq(msis[0].addr, 0xfee0200c);
    cr_assert_eq(msis[0].data, 0x4051);
    pci_msix_notify(&dev.pci, 3); /* no such vector */
    pci_msix_notify(&dev.pci, 0); /* masked */
    cr_assert_eq(nmsis, 1);
    cr_assert_eq(as_ld32(mem, t + 0x800), 1, "pending bit 0");
    as_st32(mem, t + 0x800, 0);
    cr_assert_eq(as_ld32(mem, t + 0x800), 1, "PBA is read-only");
    as_st32(mem, t + 0x00, 0xfee00000);
    as_st32(mem, t + 0x08, 0x4050);
    as_st32(mem, t + 0x0c, 0);
    cr_assert_eq(nmsis, 2, "unmasked: the pending vector goes");
    cr_assert_eq(msis[1].data, 0x4050);
    cr_assert_eq(as_ld32(mem, t + 0x800), 0);
}

Test(pci, msix_function_mask)
{
    unsigned cap = msix_setup();
    uint64_t t = 0xd0000000;
    as_st32(mem, t + 0x20, 0xfee00000);
    as_st32(mem, t + 0x28, 0x77);
    as_st32(mem, t + 0x2c, 0);
    cfgw(cap + 2, 0xc000, 2); /* enable + function mask */
    pci_msix_notify(&dev.pci, 2);
    cr_assert_eq(nmsis, 0);
    cr_assert_eq(as_ld32(mem, t + 0x800), 4);
    cfgw(cap + 2, 0x8000, 2);
    cr_assert_eq(nmsis, 1);
    cr_assert_eq(msis[0].data, 0x77);
    as_st8(mem, t + 0x28, 0x12); /* bad access size: dropped */
    cr_assert_eq(as_ld32(mem, t + 0x28), 0x77);
    pci_device_reset(&dev.pci);
    cr_assert_not(pci_msix_enabled(&dev.pci));
    cr_assert_eq(cfg(PCI_COMMAND, 2), 0, "reset clears the command register");
    cr_assert_eq(pci_bar_addr(&dev.pci, 2), PCI_BAR_UNMAPPED);
}

Test(pci, msix_init_rejects_bad_layouts)
{
    cr_assert_eq(pci_msix_init(&dev.pci, 0, bar2, 2, 0, 0x800, 0), 0);
    cr_assert_eq(pci_msix_init(&dev.pci, 4, bar2, 2, 0, 0x20, 0), 0,
                 "table and PBA overlap");
    cr_assert_eq(pci_msix_init(&dev.pci, 2048, bar2, 2, 0, 0x800, 0), 0,
                 "table larger than the BAR");
    cr_assert_eq(pci_msix_init(&dev.pci, 4, bar2, 2, 4, 0x800, 0), 0,
                 "misaligned");
}

Test(pci, hostile_config_writes)
{
    unsigned cap = pci_msi_init(&dev.pci, 0, 32, true, true);
    cr_assert_neq(cap, 0);
    (void)pci_msix_init(&dev.pci, 3, bar2, 2, 0, 0x800, 0);
    for (unsigned v = 0; v < 4; v++) {
        uint32_t val = v == 0 ? 0xffffffff : v == 1 ? 0 : 0x5a5a5a5a * v;
        for (uint32_t off = 0; off < 0x100; off++) {
            cfgw(off, val, 1);
            if (!(off & 1)) {
                cfgw(off, val, 2);
            }
            if (!(off & 3)) {
                cfgw(off, val, 4);
            }
            pci_msi_notify(&dev.pci, off & 31);
            pci_msix_notify(&dev.pci, off & 3);
        }
    }
    cfgw(0xff, 0, 4);  /* crosses the end: ignored */
    cfgw(0x100, 0, 1); /* beyond: ignored */
    cr_assert_eq(cfg(0xfe, 4), 0xffffffff);
    cr_assert_eq(cfg(0, 4), 0x56781234, "IDs intact");
}

Test(pci, bridge_header_basics)
{
    TestDev br = {0};
    cr_assert(pci_device_init(&br.pci, bus, PCI_DEVFN(1, 0), "bridge", 0x8086,
                              0x244e, 0x06040000, PCI_HEADER_TYPE_BRIDGE));
    PciDevice *d = &br.pci;
    pci_config_write(d, PCI_PRIMARY_BUS, 0x00020100, 4);
    cr_assert_eq(pci_config_read(d, PCI_SECONDARY_BUS, 1), 1);
    cr_assert_eq(pci_config_read(d, PCI_SUBORDINATE_BUS, 1), 2);
    pci_config_write(d, 0x1c, 0xffff, 2);
    cr_assert_eq(pci_config_read(d, 0x1c, 2), 0xf1f1, "32-bit I/O window");
    pci_config_write(d, 0x24, 0xffffffff, 4);
    cr_assert_eq(pci_config_read(d, 0x24, 4), 0xfff1fff1, "64-bit pref");
    pci_config_write(d, 0x20, 0xffffffff, 4);
    cr_assert_eq(pci_config_read(d, 0x20, 4), 0xfff0fff0);
    pci_config_write(d, 0x30, 0xffffffff, 4);
    cr_assert_eq(pci_config_read(d, 0x30, 4), 0xffffffff, "I/O upper");
    pci_config_write(d, PCI_ROM_ADDRESS1, 0xffffffff, 4);
    cr_assert_eq(pci_config_read(d, PCI_ROM_ADDRESS1, 4), 0, "no ROM");
    pci_device_unregister(d);
}

static uint64_t apic_addr;
static uint32_t apic_data;
static int apic_writes;

static void apic_win_write(void *opaque, uint64_t addr, uint64_t val,
                           unsigned size)
{
    (void)opaque;
    (void)size;
    apic_addr = addr;
    apic_data = (uint32_t)val;
    apic_writes++;
}

static const MemOps apic_win_ops = {
    .write = apic_win_write,
    .valid = {.min = 4, .max = 4},
    .impl = {.min = 4, .max = 4},
};

Test(pci, msi_as_a_dma_write_without_callback)
{
    MemRegion *win = mr_new_io("apic-msi", 0x100000, &apic_win_ops, NULL);
    mr_add_subregion(sys_root, 0xfee00000, win, 1);
    apic_writes = 0;
    pci_bus_set_msi(bus, NULL, NULL);
    pci_bus_set_dma_as(bus, mem);
    cr_assert_eq(pci_bus_dma_as(bus), mem);
    unsigned cap = pci_msi_init(&dev.pci, 0, 1, false, false);
    cfgw(cap + 4, 0xfee0100c, 4);
    cfgw(cap + 8, 0x4062, 2);
    cfgw(PCI_COMMAND, PCI_COMMAND_MASTER, 2);
    cfgw(cap + 2, 1, 2);
    pci_msi_notify(&dev.pci, 0);
    cr_assert_eq(apic_writes, 1);
    cr_assert_eq(apic_addr, 0x100c);
    cr_assert_eq(apic_data, 0x4062);
    cfgw(cap + 4, 0xf0000000, 4); /* into the void: logged, no crash */
    pci_msi_notify(&dev.pci, 0);
    cr_assert_eq(apic_writes, 1);
    mr_del_subregion(sys_root, win);
    mr_free(win);
}
