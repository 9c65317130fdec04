/*
 * fuzz_devices: register-interface fuzzer for the legacy PC devices (PIC,
 * PIT + port 0x61, RTC, i8042, HPET, ACPI PM, three UARTs (one without a
 * backend), debug-exit, debugcon, ports 0x80/0x92, fw_cfg with DMA). Every
 * input builds a fresh test machine (1 MiB RAM, an I/O space, fake IRQ lines
 * wired into the PIC, a manual clock) and is read as a program of small ops:
 * port and HPET accesses, clock steps, key/mouse events, char input, fw_cfg
 * DMA aimed anywhere, machine resets. The IOAPIC (fed by the GSI lines,
 * EOIs for random vectors) and the PCI host bridge with the PIIX3 router
 * and a test device (memory, I/O, 64-bit and ROM BARs, MSI and MSI-X) take
 * configuration cycles and MMIO with any value. Checks: PIC INTR/intack sanity,
 * no timer storm (timer instants per clock step are bounded), the i8042's and
 * UARTs' lines agree with their status registers, everything frees (LSan).
 * Built with -fsanitize=fuzzer when -Dfuzz=true; with -DFUZZ_REPLAY it is a
 * plain program that runs random programs from --seed (CI, ASan runs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/acpi/pm.h"
#include "hw/char/uart16550.h"
#include "hw/input/i8042.h"
#include "hw/intc/i8259.h"
#include "hw/intc/ioapic.h"
#include "hw/misc/debugcon.h"
#include "hw/misc/debugexit.h"
#include "hw/misc/fw_cfg.h"
#include "hw/misc/port80.h"
#include "hw/misc/port92.h"
#include "hw/pci/i440fx.h"
#include "hw/pci/piix3.h"
#include "hw/timer/hpet.h"
#include "hw/timer/i8254.h"
#include "hw/timer/mc146818.h"
#include "util/char/char_test.h"

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c)) {                                                            \
            fprintf(stderr, "fuzz_devices: check failed: %s (line %d)\n", #c,  \
                    __LINE__);                                                 \
            abort();                                                           \
        }                                                                      \
    } while (0)

#define FZ_RAM_SIZE 0x100000ull
#define FZ_NUM_GSI 24
#define FZ_MAX_OPS 4096
/* a clock step may run at most this many timer instants per microsecond */
#define FZ_STORM_BASE 64
#define FZ_STORM_PER_US 2

/* fake lines that are not PIC inputs */
enum {
    FZ_LINE_INTR = FZ_NUM_GSI,
    FZ_LINE_A20,
    FZ_LINE_RESET,
    FZ_NUM_LINES,
};

typedef struct Fuzz {
    MemRegion *io_root, *sys_root, *ram;
    AddrSpace *io, *sys;
    Clock *clock;
    IrqLine lines[FZ_NUM_LINES];
    int level[FZ_NUM_LINES];
    unsigned long events;
    I8259 *pic;
    I8254 *pit;
    Mc146818 *rtc;
    I8042 *kbc;
    Hpet *hpet;
    AcpiPm *acpi;
    Uart *uart[3]; /* COM3 has no backend */
    CharBackend *chr[3];
    Port80 *p80;
    Port92 *p92;
    DebugCon *dcon;
    DebugExit *dexit;
    FwCfg *fw;
    Ioapic *ioapic;
    unsigned long ioapic_msgs;
    PciBus *pci;
    I440fx *i440fx;
    Piix3 *piix3;
    PciDevice *pdev;
    MemRegion *pci_mem, *pci_io, *bar_mem, *bar_io, *bar_msix, *bar_rom;
    int exit_code, poweroffs;
    const uint8_t *p, *end;
} Fuzz;

/* ---- input bytes ---- */

static uint8_t fz_u8(Fuzz *f)
{
    return f->p < f->end ? *f->p++ : 0;
}

static uint64_t fz_bytes(Fuzz *f, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)fz_u8(f) << (8 * i);
    }
    return v;
}

/* a value: often a small or boundary one, else n random bytes */
static uint64_t fz_value(Fuzz *f, unsigned n)
{
    static const uint64_t special[] = {
        0, 1, 2, 0x7f, 0x80, 0xff, 0xffff, 0xffffffffull, ~0ull};
    uint8_t sel = fz_u8(f);
    if (sel < 48) {
        return special[sel % ARRAY_LEN(special)];
    }
    return fz_bytes(f, n);
}

/* ---- fake lines ---- */

static void fz_irq(void *opaque, int n, int level)
{
    Fuzz *f = opaque;
    CHECK(n >= 0 && n < FZ_NUM_LINES);
    CHECK(level == 0 || level == 1);
    f->level[n] = level;
    f->events++;
    if (n < I8259_NUM_IRQS && f->pic) {
        irq_set(i8259_irq_line(f->pic, n), level);
    }
    if (n < IOAPIC_NUM_PINS && f->ioapic) {
        ioapic_set_irq(f->ioapic, n, level);
    }
}

static void fz_ioapic_deliver(void *opaque, uint32_t dest, int dest_mode,
                              int dm, int vector, int trigger)
{
    Fuzz *f = opaque;
    CHECK(dest <= 0xff && (dest_mode == 0 || dest_mode == 1));
    CHECK(dm >= 0 && dm <= 7 && dm != 3 && dm != 6);
    CHECK(vector >= 0 && vector <= 0xff && (trigger == 0 || trigger == 1));
    f->ioapic_msgs++;
}

static void fz_msi(void *opaque, uint64_t addr, uint32_t data, uint16_t rid)
{
    Fuzz *f = opaque;
    (void)addr;
    (void)data;
    CHECK(rid == PCI_DEVFN(3, 0));
    f->events++;
}

static uint64_t fz_bar_read(void *opaque, uint64_t addr, unsigned size)
{
    (void)opaque;
    (void)size;
    return addr;
}

static const MemOps fz_bar_ops = {
    .read = fz_bar_read,
    .valid = {.min = 1, .max = 8},
    .impl = {.min = 1, .max = 8},
};

static void fz_debug_exit(void *opaque, int code)
{
    ((Fuzz *)opaque)->exit_code = code;
}

static void fz_poweroff(void *opaque)
{
    ((Fuzz *)opaque)->poweroffs++;
}

/* ---- the test machine ---- */

static void fz_build_spaces(Fuzz *f)
{
    f->io_root = mr_new_container("io", 0x10000);
    f->io = as_new("io", f->io_root);
    f->sys_root = mr_new_container("sys", UINT64_MAX);
    f->ram = mr_new_ram("ram", FZ_RAM_SIZE);
    mr_add_subregion(f->sys_root, 0, f->ram, 0);
    f->sys = as_new("sys", f->sys_root);
    f->clock = clock_new(CLOCK_KIND_VIRTUAL);
    clock_set_manual(f->clock, true);
    /* sometimes start late, for the devices' time arithmetic */
    static const int64_t starts[] = {0,         1000,      1ll << 32,
                                     1ll << 50, 1ll << 61, INT64_MAX / 4};
    uint8_t sel = fz_u8(f);
    clock_set_ns(f->clock, sel < 0xe0 ? 0 : starts[sel % ARRAY_LEN(starts)]);
    for (int i = 0; i < FZ_NUM_LINES; i++) {
        f->lines[i] = irq_line(fz_irq, f, i);
    }
}

static void fz_build_fw_cfg(Fuzz *f)
{
    static const char blob[] = "fuzz fw_cfg file contents";
    f->fw = fw_cfg_new(f->io_root, f->sys);
    fw_cfg_add_i64(f->fw, FW_CFG_RAM_SIZE, FZ_RAM_SIZE);
    fw_cfg_add_string(f->fw, FW_CFG_KERNEL_CMDLINE, "console=ttyS0");
    CHECK(fw_cfg_add_file(f->fw, "etc/fuzz", blob, sizeof(blob)) >= 0);
    CHECK(fw_cfg_add_file(f->fw, "etc/empty", NULL, 0) >= 0);
}

/*
 * BARs land anywhere in PCI windows below the legacy devices and RAM (a
 * lower priority), as on the board, so the checks' status reads still reach
 * the i8042 and the UARTs.
 */
static void fz_build_pci(Fuzz *f)
{
    f->pci_mem = mr_new_container("pci-mem", UINT64_MAX);
    f->pci_io = mr_new_container("pci-io", 0x10000);
    mr_add_subregion(f->sys_root, 0, f->pci_mem, -1);
    mr_add_subregion(f->io_root, 0, f->pci_io, -1);
    f->pci = pci_bus_new(f->pci_mem, f->pci_io, 0);
    pci_bus_set_msi(f->pci, fz_msi, f);
    f->i440fx = i440fx_new(f->io_root, f->pci, NULL, NULL, NULL);
    /* straight into the PIC and IOAPIC inputs: the fake lines' levels are
     * checked against other devices */
    IrqLine isa[PIIX3_NUM_ISA_IRQS], pirq[PIIX3_NUM_PIRQ];
    for (int i = 0; i < PIIX3_NUM_ISA_IRQS; i++) {
        isa[i] = *i8259_irq_line(f->pic, i);
    }
    for (int n = 0; n < PIIX3_NUM_PIRQ; n++) {
        pirq[n] = ioapic_irq_line(f->ioapic, 16 + n);
    }
    f->piix3 = piix3_new(f->pci, PCI_DEVFN(1, 0), isa, pirq);
    f->pdev = xzalloc(sizeof(*f->pdev));
    CHECK(pci_device_init(f->pdev, f->pci, PCI_DEVFN(3, 0), "fuzz", 0x1234,
                          0x11, 0xff000000, 0));
    f->pdev->config[PCI_INTERRUPT_PIN] = 1;
    f->bar_mem = mr_new_io("fz-bar0", 0x1000, &fz_bar_ops, f);
    f->bar_io = mr_new_io("fz-bar1", 0x40, &fz_bar_ops, f);
    f->bar_msix = mr_new_container("fz-bar2", 0x2000);
    f->bar_rom = mr_new_io("fz-rom", 0x800, &fz_bar_ops, f);
    pci_register_bar(f->pdev, 0, PCI_BAR_MEM32, f->bar_mem);
    pci_register_bar(f->pdev, 1, PCI_BAR_IO, f->bar_io);
    pci_register_bar(f->pdev, 2, PCI_BAR_MEM64, f->bar_msix);
    pci_register_bar(f->pdev, PCI_ROM_SLOT, 0, f->bar_rom);
    CHECK(pci_msi_init(f->pdev, 0, 8, true, true));
    CHECK(pci_msix_init(f->pdev, 16, f->bar_msix, 2, 0, 0x1000, 0));
}

static void fz_destroy_pci(Fuzz *f)
{
    pci_device_unregister(f->pdev);
    free(f->pdev);
    mr_free(f->bar_mem);
    mr_free(f->bar_io);
    mr_free(f->bar_msix);
    mr_free(f->bar_rom);
    piix3_free(f->piix3);
    i440fx_free(f->i440fx);
    pci_bus_free(f->pci);
    mr_del_subregion(f->sys_root, f->pci_mem);
    mr_del_subregion(f->io_root, f->pci_io);
    mr_free(f->pci_mem);
    mr_free(f->pci_io);
}

static void fz_build(Fuzz *f)
{
    fz_build_spaces(f);
    f->pic = i8259_new(f->io_root, f->lines[FZ_LINE_INTR]);
    f->pit = i8254_new(f->io_root, f->lines[0], f->clock);
    f->rtc =
        mc146818_new(f->io_root, f->lines[MC146818_IRQ], f->clock, 1700000000);
    f->kbc =
        i8042_new(f->io_root, f->lines[I8042_KBD_IRQ], f->lines[I8042_AUX_IRQ],
                  f->lines[FZ_LINE_A20], f->lines[FZ_LINE_RESET]);
    f->hpet = hpet_new(f->sys_root, HPET_BASE, f->lines, FZ_NUM_GSI, f->clock);
    f->acpi = acpi_pm_new(f->io_root, ACPI_PM_BASE_DEFAULT,
                          f->lines[ACPI_PM_SCI_IRQ], f->clock, fz_poweroff, f);
    for (int i = 0; i < 3; i++) {
        f->chr[i] = char_test_new();
    }
    f->uart[0] = uart_new(f->io_root, UART_COM1_BASE, f->lines[UART_COM1_IRQ],
                          f->clock, f->chr[0]);
    f->uart[1] = uart_new(f->io_root, UART_COM2_BASE, f->lines[UART_COM2_IRQ],
                          f->clock, f->chr[1]);
    f->uart[2] =
        uart_new(f->io_root, UART_COM3_BASE, f->lines[16], f->clock, NULL);
    f->p80 = port80_new(f->io_root, PORT80_IOBASE);
    f->p92 =
        port92_new(f->io_root, f->lines[FZ_LINE_A20], f->lines[FZ_LINE_RESET]);
    f->dcon = debugcon_new(f->io_root, DEBUGCON_DEFAULT_IOBASE, f->chr[2]);
    f->dexit = debugexit_new(f->io_root, DEBUGEXIT_DEFAULT_IOBASE,
                             DEBUGEXIT_DEFAULT_IOSIZE, fz_debug_exit, f);
    fz_build_fw_cfg(f);
    f->ioapic = ioapic_new(f->sys_root, IOAPIC_BASE, fz_ioapic_deliver, f);
    fz_build_pci(f);
}

static void fz_destroy(Fuzz *f)
{
    fz_destroy_pci(f);
    Ioapic *ioapic = f->ioapic;
    f->ioapic = NULL;
    ioapic_free(ioapic);
    fw_cfg_free(f->fw);
    debugexit_free(f->dexit);
    debugcon_free(f->dcon);
    port92_free(f->p92);
    port80_free(f->p80);
    for (int i = 0; i < 3; i++) {
        uart_free(f->uart[i]);
    }
    for (int i = 0; i < 3; i++) {
        char_free(f->chr[i]);
    }
    acpi_pm_free(f->acpi);
    hpet_free(f->hpet);
    i8042_free(f->kbc);
    mc146818_free(f->rtc);
    i8254_free(f->pit);
    I8259 *pic = f->pic;
    f->pic = NULL; /* lines lowered while freeing no longer reach it */
    i8259_free(pic);
    clock_free(f->clock);
    as_free(f->io);
    as_free(f->sys);
    mr_free(f->io_root);
    mr_free_tree(f->sys_root);
}

/* ---- ops ---- */

typedef struct FzRange {
    uint16_t base, len;
} FzRange;

static const FzRange fz_ports[] = {
    {0x20, 2},  {0xa0, 2},  {0x4d0, 2},  {0x40, 4},  {0x61, 1},  {0x70, 2},
    {0x60, 1},  {0x64, 1},  {0x600, 64}, {0x3f8, 8}, {0x2f8, 8}, {0x3e8, 8},
    {0x80, 1},  {0x92, 1},  {0xe9, 1},   {0x501, 2}, {0x510, 2}, {0x514, 8},
    {0xcf8, 8}, {0xcfc, 4}, {0xcfc, 4},  {0xcf8, 4},
};

static uint16_t fz_port(Fuzz *f)
{
    uint8_t sel = fz_u8(f);
    if (sel >= 0xf0) {
        return (uint16_t)fz_bytes(f, 2);
    }
    const FzRange *r = &fz_ports[sel % ARRAY_LEN(fz_ports)];
    return (uint16_t)(r->base + fz_u8(f) % (r->len + 1u));
}

static unsigned fz_size(Fuzz *f, unsigned max_log2)
{
    return 1u << (fz_u8(f) % (max_log2 + 1));
}

static void fz_op_pio(Fuzz *f, bool write)
{
    uint16_t port = fz_port(f);
    unsigned size = fz_size(f, 2);
    if (write) {
        (void)as_st(f->io, port, fz_value(f, size), size, MEMATTRS_CPU);
    } else {
        (void)as_ld(f->io, port, size, MEMATTRS_CPU, NULL);
    }
}

static void fz_op_mmio(Fuzz *f, bool write)
{
    unsigned size = fz_size(f, 3);
    uint8_t where = fz_u8(f);
    uint64_t addr = HPET_BASE + (fz_bytes(f, 2) % (HPET_SIZE + 8));
    if (where & 1) {
        addr = IOAPIC_BASE + (fz_bytes(f, 1) % 0x48);
    } else if (where & 2) { /* wherever the test device's BARs went */
        uint64_t bar = pci_bar_addr(f->pdev, (where >> 2) % 3 * 2);
        addr = (bar == PCI_BAR_UNMAPPED ? 0 : bar) + fz_bytes(f, 2) % 0x2008;
    }
    if (fz_u8(f) < 0xc0) {
        addr &= ~(uint64_t)(size - 1);
    }
    if (write) {
        (void)as_st(f->sys, addr, fz_value(f, size), size, MEMATTRS_CPU);
    } else {
        (void)as_ld(f->sys, addr, size, MEMATTRS_CPU, NULL);
    }
}

/* run the clock delta ns ahead, one timer instant at a time, counting */
static void fz_step_clock(Fuzz *f, int64_t delta)
{
    int64_t now = clock_ns(f->clock);
    int64_t target = now + delta;
    unsigned long bound = FZ_STORM_BASE + (delta / 1000) * FZ_STORM_PER_US;
    unsigned long instants = 0;
    for (;;) {
        int64_t d = clock_deadline_ns(f->clock);
        if (d > target) {
            break;
        }
        if (++instants > bound) {
            fprintf(stderr,
                    "fuzz_devices: timer storm: > %lu instants in "
                    "%lld ns (next deadline %lld, now %lld)\n",
                    bound, (long long)delta, (long long)d,
                    (long long)clock_ns(f->clock));
            abort();
        }
        clock_set_ns(f->clock, d > clock_ns(f->clock) ? d : clock_ns(f->clock));
    }
    clock_set_ns(f->clock, target);
    CHECK(clock_ns(f->clock) == target);
    CHECK(clock_deadline_ns(f->clock) > target);
}

static void fz_op_clock(Fuzz *f)
{
    uint8_t sel = fz_u8(f);
    int64_t delta;
    if (sel < 128) {
        delta = fz_u8(f) * 8;
    } else if (sel < 224) {
        delta = (int64_t)(fz_bytes(f, 3) % 1000001); /* up to 1 ms */
    } else if (sel < 252) {
        delta = (int64_t)(fz_bytes(f, 4) % 100000001); /* up to 100 ms */
    } else {
        delta = (int64_t)(fz_bytes(f, 4) % 1000000001); /* up to 1 s */
    }
    fz_step_clock(f, delta);
}

static void fz_op_input(Fuzz *f)
{
    uint8_t sel = fz_u8(f);
    if (sel & 1) {
        unsigned code = (unsigned)fz_bytes(f, 2);
        if (sel & 2) {
            code &= 0xff;
        } else if (sel & 4) {
            code = 0xe000 | (code & 0xff);
        }
        i8042_key_event(f->kbc, code, (sel & 8) != 0);
    } else {
        int dx = (int8_t)fz_u8(f) * ((sel & 2) ? 64 : 1);
        int dy = (int8_t)fz_u8(f) * ((sel & 4) ? 64 : 1);
        int dz = (int8_t)fz_u8(f);
        i8042_mouse_event(f->kbc, dx, dy, dz, fz_u8(f));
    }
}

static void fz_op_char(Fuzz *f)
{
    uint8_t buf[32];
    unsigned which = fz_u8(f) % 2;
    size_t n = fz_u8(f) % (sizeof(buf) + 1);
    for (size_t i = 0; i < n; i++) {
        buf[i] = fz_u8(f);
    }
    char_test_inject(f->chr[which], buf, n);
    /* keep the output logs small */
    for (int i = 0; i < 3; i++) {
        char_test_clear_output(f->chr[i]);
    }
}

/* a DMA address: in RAM, just past it, straddling its end, or far away */
static uint64_t fz_dma_addr(Fuzz *f)
{
    uint8_t sel = fz_u8(f);
    switch (sel % 8) {
    case 0:
    case 1:
    case 2:
        return fz_bytes(f, 3) % FZ_RAM_SIZE;
    case 3:
        return FZ_RAM_SIZE - 1 - fz_u8(f) % 32;
    case 4:
        return FZ_RAM_SIZE + fz_u8(f);
    case 5:
        return ~0ull - 7 - fz_u8(f) % 8;
    case 6:
        return HPET_BASE + fz_u8(f);
    default:
        return fz_bytes(f, 8);
    }
}

static void fz_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void fz_op_dma(Fuzz *f)
{
    uint64_t desc = fz_dma_addr(f);
    uint32_t control = (uint32_t)fz_value(f, 4);
    if (fz_u8(f) < 0xc0) {
        control = (control & 0xffff001e) | (uint32_t)(fz_u8(f) % 0x30) << 16;
    }
    uint32_t len = (uint32_t)fz_value(f, 4);
    uint64_t addr = fz_dma_addr(f);
    if (desc <= FZ_RAM_SIZE - 16) {
        uint8_t *r = mr_ram_ptr(f->ram) + desc;
        fz_put_be32(r, control);
        fz_put_be32(r + 4, len);
        fz_put_be32(r + 8, (uint32_t)(addr >> 32));
        fz_put_be32(r + 12, (uint32_t)addr);
    }
    (void)as_st(f->io, 0x514, __builtin_bswap32((uint32_t)(desc >> 32)), 4,
                MEMATTRS_CPU);
    (void)as_st(f->io, 0x518, __builtin_bswap32((uint32_t)desc), 4,
                MEMATTRS_CPU);
}

/* a machine reset, as the board does on the reset line */
static void fz_reset_all(Fuzz *f)
{
    i8259_reset(f->pic);
    i8254_reset(f->pit);
    mc146818_reset(f->rtc);
    i8042_reset(f->kbc);
    hpet_reset(f->hpet);
    acpi_pm_reset(f->acpi);
    for (int i = 0; i < 3; i++) {
        uart_reset(f->uart[i]);
    }
    port80_reset(f->p80);
    port92_reset(f->p92);
    debugcon_reset(f->dcon);
    debugexit_reset(f->dexit);
    fw_cfg_reset(f->fw);
    ioapic_reset(f->ioapic);
    pci_bus_reset(f->pci);
}

/* the local APICs' side: an EOI broadcast, or a device's MSI */
static void fz_op_irqchip(Fuzz *f)
{
    uint8_t sel = fz_u8(f);
    if ((sel & 0xc0) == 0x40) { /* program an entry, often unmasked */
        uint32_t reg = 0x10 + fz_u8(f) % (2 * IOAPIC_NUM_PINS);
        uint32_t val = (uint32_t)fz_value(f, 4);
        if (!(reg & 1) && (sel & 0x20)) {
            val &= ~(uint32_t)IOAPIC_RTE_MASKED;
        }
        (void)as_st(f->sys, IOAPIC_BASE, reg, 4, MEMATTRS_CPU);
        (void)as_st(f->sys, IOAPIC_BASE + IOAPIC_IOWIN, val, 4, MEMATTRS_CPU);
    } else if ((sel & 0xc0) == 0x80) { /* a config cycle to a real device */
        static const uint8_t devfns[] = {0, PCI_DEVFN(1, 0), PCI_DEVFN(3, 0)};
        /* command, BARs, ROM, the MSI and MSI-X capabilities, PIRQRC */
        static const uint8_t hot[] = {0x04, 0x10, 0x14, 0x18, 0x1c, 0x30,
                                      0x42, 0x44, 0x48, 0x4c, 0x50, 0x5a,
                                      0x59, 0x60, 0x62, 0x72};
        uint32_t reg = fz_u8(f);
        if (reg & 1) {
            reg = hot[(reg >> 1) % ARRAY_LEN(hot)];
        }
        unsigned size = fz_size(f, 2);
        reg &= ~(size - 1);
        uint32_t addr = 0x80000000u | devfns[sel % 3] << 8 | (reg & 0xfc);
        (void)as_st(f->io, 0xcf8, addr, 4, MEMATTRS_CPU);
        (void)as_st(f->io, 0xcfc + (reg & 3), fz_value(f, size), size,
                    MEMATTRS_CPU);
    } else if ((sel & 0xc0) == 0xc0) { /* decode, bus master, MSI(-X) */
        PciDevice *d = f->pdev;
        if (sel & 0x10) { /* BARs out of RAM's way */
            pci_config_write(d, 0x10, 0xe0100000, 4);
            pci_config_write(d, 0x18, 0xe0000000, 4);
            pci_config_write(d, 0x1c, 0, 4);
        }
        pci_config_write(d, PCI_COMMAND, 0x0007 | (sel & 0x20) << 5, 2);
        unsigned cap = pci_find_capability(d, (sel & 8) ? PCI_CAP_ID_MSIX
                                                        : PCI_CAP_ID_MSI);
        CHECK(cap);
        pci_config_write(d, cap + 2, (sel & 8) ? 0x8000 : (sel & 0x7) << 4 | 1,
                         2);
    } else if (sel & 1) {
        ioapic_eoi(f->ioapic, fz_u8(f));
    } else if (sel & 2) {
        pci_msi_notify(f->pdev, fz_u8(f));
    } else if (sel & 4) {
        pci_msix_notify(f->pdev, fz_u8(f) % 20);
    } else {
        pci_set_irq(f->pdev, (sel >> 3) & 1);
    }
}

/* the i8042's lines follow its output buffer (status read: no effects) */
static void fz_check_kbc(Fuzz *f)
{
    uint8_t st = (uint8_t)as_ld(f->io, I8042_CMD_PORT, 1, MEMATTRS_CPU, NULL);
    if (f->level[I8042_KBD_IRQ]) {
        CHECK((st & 0x21) == 0x01);
    }
    if (f->level[I8042_AUX_IRQ]) {
        CHECK((st & 0x21) == 0x21);
    }
}

/* a UART's line is up exactly while IIR reports an interrupt */
static void fz_check_uart(Fuzz *f, uint16_t base, int line)
{
    int level = f->level[line];
    uint8_t iir = (uint8_t)as_ld(f->io, base + UART_IIR, 1, MEMATTRS_CPU, NULL);
    CHECK(level == !(iir & 1));
}

/* the CPU side: acknowledge while INTR is up; vectors must be sane */
static void fz_check_intr(Fuzz *f)
{
    for (int i = 0; i < 4 && f->level[FZ_LINE_INTR]; i++) {
        CHECK(i8259_intr_level(f->pic));
        int v = i8259_intack(f->pic);
        CHECK(v >= 0 && v <= 255);
    }
    CHECK(f->level[FZ_LINE_INTR] == (int)i8259_intr_level(f->pic));
}

static void fz_op(Fuzz *f)
{
    uint8_t op = fz_u8(f);
    switch (op % 16) {
    case 0 ... 3:
        fz_op_pio(f, true);
        break;
    case 4 ... 6:
        fz_op_pio(f, false);
        break;
    case 7:
    case 8:
        fz_op_mmio(f, true);
        break;
    case 9:
        fz_op_mmio(f, false);
        break;
    case 10:
    case 11:
        fz_op_clock(f);
        break;
    case 12:
        fz_op_input(f);
        break;
    case 13:
        fz_op_char(f);
        break;
    case 14:
        fz_op_dma(f);
        break;
    default:
        if ((op & 0x70) >= 0x40 && (op & 0x70) <= 0x60) {
            fz_op_irqchip(f);
        } else if ((op & 0x70) == 0x70) {
            fz_reset_all(f);
        } else if (op & 0x10) {
            fz_check_intr(f);
        }
        break;
    }
    if (op & 0x80) {
        fz_check_intr(f);
        fz_check_kbc(f);
        fz_check_uart(f, UART_COM1_BASE, UART_COM1_IRQ);
        fz_check_uart(f, UART_COM2_BASE, UART_COM2_IRQ);
    }
}

static unsigned long fz_total_ops;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Fuzz *f = xzalloc(sizeof(*f));
    f->p = data;
    f->end = data + size;
    fz_build(f);
    for (int n = 0; n < FZ_MAX_OPS && f->p < f->end; n++) {
        fz_op(f);
        fz_total_ops++;
    }
    fz_check_intr(f);
    fz_destroy(f);
    free(f);
    return 0;
}

#ifdef FUZZ_REPLAY
static uint64_t fz_rng;

static uint64_t fz_next(void)
{
    fz_rng ^= fz_rng << 13;
    fz_rng ^= fz_rng >> 7;
    fz_rng ^= fz_rng << 17;
    return fz_rng;
}

static void fz_file(const char *path)
{
    static uint8_t buf[1 << 16];
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "fuzz_devices: cannot open %s\n", path);
        exit(2);
    }
    size_t n = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    LLVMFuzzerTestOneInput(buf, n);
}

int main(int argc, char **argv)
{
    unsigned long iters = 200, seed = 1;
    bool files = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--iterations") && i + 1 < argc) {
            iters = strtoul(argv[++i], NULL, 0);
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            seed = strtoul(argv[++i], NULL, 0);
        } else {
            fz_file(argv[i]);
            files = true;
        }
    }
    if (files && iters == 200) {
        iters = 0;
    }
    static uint8_t buf[8192];
    for (unsigned long i = 0; i < iters; i++) {
        /* one program per (seed, i), so a failure replays alone */
        fz_rng =
            (seed * 0x9e3779b97f4a7c15ull) ^ (i + 1) * 0xbf58476d1ce4e5b9ull;
        fz_rng |= 1;
        size_t n = 64 + fz_next() % (sizeof(buf) - 64);
        for (size_t j = 0; j < n; j++) {
            buf[j] = (uint8_t)fz_next();
        }
        LLVMFuzzerTestOneInput(buf, n);
    }
    printf("fuzz_devices replay: seed %lu, %lu programs, %lu ops, no failure\n",
           seed, iters, fz_total_ops);
    return 0;
}
#endif
