/*
 * PCI device core (see pci.h): configuration space masks, BAR mapping,
 * capabilities, INTx, MSI and MSI-X.
 */
#include "hw/pci/pci.h"

#include <stdlib.h>
#include <string.h>

#include "util/common.h"
#include "util/log.h"

#define PCI_MAX_LINES 32
/* writable command bits: I/O, memory, bus master, special cycles, parity
 * error response, SERR#, INTx disable */
#define PCI_COMMAND_WMASK 0x054f
/* status bits that are write-1-to-clear */
#define PCI_STATUS_W1C 0xf900
#define PCI_CAP_FIRST 0x40

struct PciBus {
    MemRegion *mem, *io;
    int bus_num;
    PciDevice *devices[PCI_NUM_DEVFN];
    PciMsiFn *msi;
    void *msi_opaque;
    AddrSpace *dma_as;
    IrqLine lines[PCI_MAX_LINES];
    int line_count[PCI_MAX_LINES]; /* devices asserting each line */
    int nlines;
    PciRouteFn *route;
    void *route_opaque;
};

/* ---- config field helpers ---- */

void pci_set_byte(PciDevice *d, unsigned off, uint8_t v)
{
    d->config[off] = v;
}

void pci_set_word(PciDevice *d, unsigned off, uint16_t v)
{
    d->config[off] = (uint8_t)v;
    d->config[off + 1] = (uint8_t)(v >> 8);
}

void pci_set_long(PciDevice *d, unsigned off, uint32_t v)
{
    pci_set_word(d, off, (uint16_t)v);
    pci_set_word(d, off + 2, (uint16_t)(v >> 16));
}

uint16_t pci_get_word(const PciDevice *d, unsigned off)
{
    return (uint16_t)(d->config[off] | d->config[off + 1] << 8);
}

uint32_t pci_get_long(const PciDevice *d, unsigned off)
{
    return pci_get_word(d, off) | (uint32_t)pci_get_word(d, off + 2) << 16;
}

static void pci_set_wmask_long(PciDevice *d, unsigned off, uint32_t m)
{
    for (unsigned i = 0; i < 4; i++) {
        d->wmask[off + i] = (uint8_t)(m >> (8 * i));
    }
}

static bool pci_is_bridge(const PciDevice *d)
{
    return (d->config[PCI_HEADER_TYPE] & 0x7f) == PCI_HEADER_TYPE_BRIDGE;
}

static unsigned pci_bar_offset(const PciDevice *d, int n)
{
    if (n == PCI_ROM_SLOT) {
        return pci_is_bridge(d) ? PCI_ROM_ADDRESS1 : PCI_ROM_ADDRESS;
    }
    return PCI_BASE_ADDRESS_0 + 4 * (unsigned)n;
}

static uint16_t pci_command(const PciDevice *d)
{
    return pci_get_word(d, PCI_COMMAND);
}

/* ---- bus ---- */

PciBus *pci_bus_new(MemRegion *mem, MemRegion *io, int bus_num)
{
    PciBus *bus = xzalloc(sizeof(*bus));
    bus->mem = mem;
    bus->io = io;
    bus->bus_num = bus_num;
    return bus;
}

void pci_bus_free(PciBus *bus)
{
    if (!bus) {
        return;
    }
    for (int i = 0; i < PCI_NUM_DEVFN; i++) {
        if (bus->devices[i]) {
            pci_device_unregister(bus->devices[i]);
        }
    }
    free(bus);
}

void pci_bus_set_msi(PciBus *bus, PciMsiFn *fn, void *opaque)
{
    bus->msi = fn;
    bus->msi_opaque = opaque;
}

void pci_bus_set_intx(PciBus *bus, const IrqLine *lines, int nlines,
                      PciRouteFn *route, void *opaque)
{
    ASSERT(nlines >= 0 && nlines <= PCI_MAX_LINES);
    for (int i = 0; i < nlines; i++) {
        bus->lines[i] = lines[i];
        bus->line_count[i] = 0;
    }
    bus->nlines = nlines;
    bus->route = route;
    bus->route_opaque = opaque;
}

void pci_bus_set_dma_as(PciBus *bus, AddrSpace *as)
{
    bus->dma_as = as;
}

AddrSpace *pci_bus_dma_as(const PciBus *bus)
{
    return bus->dma_as;
}

PciDevice *pci_bus_find(PciBus *bus, int devfn)
{
    return devfn >= 0 && devfn < PCI_NUM_DEVFN ? bus->devices[devfn] : NULL;
}

int pci_bus_num(const PciBus *bus)
{
    return bus->bus_num;
}

void pci_bus_reset(PciBus *bus)
{
    for (int i = 0; i < PCI_NUM_DEVFN; i++) {
        PciDevice *d = bus->devices[i];
        if (d && d->reset) {
            d->reset(d);
        } else if (d) {
            pci_device_reset(d);
        }
    }
}

/* ---- BAR mapping ---- */

/* where BAR n decodes with the current registers */
static uint64_t pci_bar_decode(const PciDevice *d, int n)
{
    const PciBar *b = &d->bars[n];
    uint16_t cmd = pci_command(d);
    uint32_t lo = pci_get_long(d, pci_bar_offset(d, n));
    uint64_t addr;
    if (n == PCI_ROM_SLOT) {
        if (!(cmd & PCI_COMMAND_MEMORY) || !(lo & 1)) {
            return PCI_BAR_UNMAPPED;
        }
        addr = lo & ~0x7ffull;
    } else if (b->type & PCI_BAR_IO) {
        if (!(cmd & PCI_COMMAND_IO)) {
            return PCI_BAR_UNMAPPED;
        }
        addr = lo & ~3ull;
    } else {
        if (!(cmd & PCI_COMMAND_MEMORY)) {
            return PCI_BAR_UNMAPPED;
        }
        addr = lo & ~0xfull;
        if (b->type & PCI_BAR_MEM64) {
            addr |= (uint64_t)pci_get_long(d, pci_bar_offset(d, n + 1)) << 32;
        }
    }
    /* aligned to its power-of-two size, so addr + size - 1 cannot wrap */
    return addr & ~(b->size - 1);
}

static MemRegion *pci_bar_space(const PciDevice *d, int n)
{
    return (d->bars[n].type & PCI_BAR_IO) ? d->bus->io : d->bus->mem;
}

static void pci_update_mappings(PciDevice *d)
{
    mem_begin();
    for (int n = 0; n < PCI_NUM_BARS; n++) {
        PciBar *b = &d->bars[n];
        if (!b->mr) {
            continue;
        }
        uint64_t addr = d->bus ? pci_bar_decode(d, n) : PCI_BAR_UNMAPPED;
        if (addr == b->addr) {
            continue;
        }
        MemRegion *space = pci_bar_space(d, n);
        if (b->addr != PCI_BAR_UNMAPPED) {
            mr_del_subregion(space, b->mr);
        }
        b->addr = space ? addr : PCI_BAR_UNMAPPED;
        if (b->addr != PCI_BAR_UNMAPPED) {
            mr_add_subregion(space, addr, b->mr, 0);
        }
    }
    mem_commit();
}

void pci_register_bar(PciDevice *d, int n, uint8_t type, MemRegion *mr)
{
    uint64_t size = mr_size(mr);
    int nmax = pci_is_bridge(d) ? 2 : 6;
    ASSERT(n == PCI_ROM_SLOT || (n >= 0 && n < nmax));
    ASSERT(size && (size & (size - 1)) == 0);
    PciBar *b = &d->bars[n];
    b->mr = mr;
    b->size = size;
    b->addr = PCI_BAR_UNMAPPED;
    unsigned off = pci_bar_offset(d, n);
    if (n == PCI_ROM_SLOT) {
        ASSERT(size >= 0x800 && size <= 1ull << 31);
        b->type = 0;
        pci_set_wmask_long(d, off, (uint32_t) ~(size - 1) | 1);
        pci_set_long(d, off, 0);
        return;
    }
    if (type & PCI_BAR_IO) {
        ASSERT(size >= 4 && size <= 1ull << 31);
        b->type = PCI_BAR_IO;
        pci_set_wmask_long(d, off, (uint32_t) ~(size - 1) & ~3u);
        pci_set_long(d, off, PCI_BAR_IO);
        return;
    }
    ASSERT(size >= 16);
    b->type = type & (PCI_BAR_MEM64 | PCI_BAR_PREFETCH);
    pci_set_wmask_long(d, off, (uint32_t) ~(size - 1) & ~0xfu);
    pci_set_long(d, off, b->type);
    if (b->type & PCI_BAR_MEM64) {
        ASSERT(n + 1 < nmax);
        pci_set_wmask_long(d, off + 4, (uint32_t)(~(size - 1) >> 32));
        pci_set_long(d, off + 4, 0);
    } else {
        ASSERT(size <= 1ull << 31);
    }
}

uint64_t pci_bar_addr(const PciDevice *d, int n)
{
    return n >= 0 && n < PCI_NUM_BARS ? d->bars[n].addr : PCI_BAR_UNMAPPED;
}

/* ---- INTx ---- */

static bool pci_msi_or_msix_enabled(const PciDevice *d)
{
    return pci_msi_enabled(d) || pci_msix_enabled(d);
}

/* drive the bus line from the device's level, INTx Disable, MSI enables */
static void pci_update_intx(PciDevice *d)
{
    PciBus *bus = d->bus;
    int pin = d->config[PCI_INTERRUPT_PIN];
    bool up = d->intx_level && pin >= 1 && pin <= 4 &&
              !(pci_command(d) & PCI_COMMAND_INTX_DISABLE) &&
              !pci_msi_or_msix_enabled(d);
    int line = -1;
    if (up && bus) {
        line = bus->route ? bus->route(bus->route_opaque, d->devfn, pin - 1)
                          : (PCI_SLOT(d->devfn) + pin - 1) %
                                (bus->nlines ? bus->nlines : 1);
        if (line < 0 || line >= bus->nlines) {
            line = -1;
        }
    }
    if (line == d->intx_line) {
        return;
    }
    if (d->intx_line >= 0) {
        int old = d->intx_line;
        if (old < bus->nlines && bus->line_count[old] > 0 &&
            --bus->line_count[old] == 0) {
            irq_lower(&bus->lines[old]);
        }
    }
    d->intx_line = (int16_t)line;
    if (line >= 0 && bus->line_count[line]++ == 0) {
        irq_raise(&bus->lines[line]);
    }
}

void pci_set_irq(PciDevice *d, int level)
{
    d->intx_level = level != 0;
    uint8_t st = d->config[PCI_STATUS];
    d->config[PCI_STATUS] = (uint8_t)(level ? st | PCI_STATUS_INTERRUPT
                                            : st & ~PCI_STATUS_INTERRUPT);
    pci_update_intx(d);
}

/* ---- capabilities ---- */

unsigned pci_add_capability(PciDevice *d, uint8_t id, unsigned offset,
                            unsigned size)
{
    if (!offset) {
        offset = (d->cap_free + 3u) & ~3u;
    }
    if (offset < PCI_CAP_FIRST || (offset & 3) || size < 2 ||
        offset + size > PCI_CONFIG_SPACE_SIZE) {
        return 0;
    }
    d->config[offset] = id;
    d->config[offset + 1] = d->config[PCI_CAPABILITY_LIST];
    d->config[PCI_CAPABILITY_LIST] = (uint8_t)offset;
    d->config[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
    if (offset + size > d->cap_free) {
        d->cap_free = (uint8_t)MIN(offset + size, 0xffu);
    }
    return offset;
}

unsigned pci_find_capability(const PciDevice *d, uint8_t id)
{
    if (!(d->config[PCI_STATUS] & PCI_STATUS_CAP_LIST)) {
        return 0;
    }
    unsigned off = d->config[PCI_CAPABILITY_LIST] & ~3u;
    for (int i = 0; i < 48 && off >= PCI_CAP_FIRST; i++) {
        if (d->config[off] == id) {
            return off;
        }
        off = d->config[off + 1] & ~3u;
    }
    return 0;
}

/* ---- MSI ---- */

static uint16_t msi_flags(const PciDevice *d)
{
    return pci_get_word(d, d->msi_cap + 2);
}

static bool msi_is64(const PciDevice *d)
{
    return msi_flags(d) & PCI_MSI_FLAGS_64BIT;
}

static unsigned msi_data_off(const PciDevice *d)
{
    return d->msi_cap + (msi_is64(d) ? 0x0c : 0x08);
}

static unsigned msi_mask_off(const PciDevice *d)
{
    return d->msi_cap + (msi_is64(d) ? 0x10 : 0x0c);
}

bool pci_msi_enabled(const PciDevice *d)
{
    return d->msi_cap && (msi_flags(d) & PCI_MSI_FLAGS_ENABLE);
}

/* vectors the guest allocated (MME, at most what the device has) */
static unsigned msi_nr_enabled(const PciDevice *d)
{
    unsigned mme = (msi_flags(d) >> 4) & 7;
    unsigned n = mme > 5 ? 32 : 1u << mme;
    return MIN(n, d->msi_nvec);
}

static bool pci_may_dma(const PciDevice *d)
{
    return d->bus && (pci_command(d) & PCI_COMMAND_MASTER);
}

static void pci_send_msi(PciDevice *d, uint64_t addr, uint32_t data)
{
    PciBus *bus = d->bus;
    uint16_t rid = (uint16_t)(bus->bus_num << 8 | d->devfn);
    if (bus->msi) {
        bus->msi(bus->msi_opaque, addr, data, rid);
    } else if (bus->dma_as &&
               as_st(bus->dma_as, addr, data, 4, MEMATTRS_DMA(rid))) {
        log_guest_error("pci", "%s: MSI write to 0x%llx failed", d->name,
                        (unsigned long long)addr);
    }
}

static void msi_send(PciDevice *d, unsigned vector)
{
    uint64_t addr = pci_get_long(d, d->msi_cap + 4);
    if (msi_is64(d)) {
        addr |= (uint64_t)pci_get_long(d, d->msi_cap + 8) << 32;
    }
    unsigned n = msi_nr_enabled(d);
    uint32_t data = pci_get_word(d, msi_data_off(d));
    data = (data & ~(n - 1)) | (vector & (n - 1));
    pci_send_msi(d, addr, data);
}

static bool msi_masked(const PciDevice *d, unsigned vector)
{
    return (msi_flags(d) & PCI_MSI_FLAGS_MASKBIT) &&
           (pci_get_long(d, msi_mask_off(d)) & BIT(vector));
}

static void msi_set_pending(PciDevice *d, uint32_t pending)
{
    d->msi_pending = pending;
    if (msi_flags(d) & PCI_MSI_FLAGS_MASKBIT) {
        pci_set_long(d, msi_mask_off(d) + 4, pending);
    }
}

void pci_msi_notify(PciDevice *d, unsigned vector)
{
    if (!pci_msi_enabled(d) || !pci_may_dma(d)) {
        return;
    }
    vector &= msi_nr_enabled(d) - 1;
    if (msi_masked(d, vector)) {
        msi_set_pending(d, d->msi_pending | (uint32_t)BIT(vector));
        return;
    }
    msi_send(d, vector);
}

/* after a write to the capability: send what was unmasked */
static void msi_config_written(PciDevice *d)
{
    if (!pci_msi_enabled(d) || !pci_may_dma(d)) {
        return;
    }
    for (unsigned v = 0; v < d->msi_nvec; v++) {
        if ((d->msi_pending & BIT(v)) && !msi_masked(d, v)) {
            msi_set_pending(d, d->msi_pending & ~(uint32_t)BIT(v));
            msi_send(d, v);
        }
    }
}

unsigned pci_msi_init(PciDevice *d, unsigned offset, unsigned nvec, bool is64,
                      bool per_vector_mask)
{
    if (!nvec || nvec > 32 || (nvec & (nvec - 1)) || d->msi_cap) {
        return 0;
    }
    unsigned size = 0x0c + (is64 ? 4 : 0) + (per_vector_mask ? 8 : 0);
    unsigned cap = pci_add_capability(d, PCI_CAP_ID_MSI, offset, size);
    if (!cap) {
        return 0;
    }
    unsigned mmc = (unsigned)__builtin_ctz(nvec);
    uint16_t flags = (uint16_t)(mmc << 1);
    flags |= is64 ? PCI_MSI_FLAGS_64BIT : 0;
    flags |= per_vector_mask ? PCI_MSI_FLAGS_MASKBIT : 0;
    d->msi_cap = (uint8_t)cap;
    d->msi_nvec = (uint8_t)nvec;
    pci_set_word(d, cap + 2, flags);
    d->wmask[cap + 2] = 0x71; /* enable, multiple message enable */
    pci_set_wmask_long(d, cap + 4, 0xfffffffc);
    if (is64) {
        pci_set_wmask_long(d, cap + 8, 0xffffffff);
    }
    unsigned data = msi_data_off(d);
    d->wmask[data] = d->wmask[data + 1] = 0xff;
    if (per_vector_mask) {
        pci_set_wmask_long(d, msi_mask_off(d),
                           nvec == 32 ? 0xffffffffu : (1u << nvec) - 1);
    }
    return cap;
}

/* ---- MSI-X ---- */

static uint16_t msix_flags(const PciDevice *d)
{
    return pci_get_word(d, d->msix_cap + 2);
}

bool pci_msix_enabled(const PciDevice *d)
{
    return d->msix_cap && (msix_flags(d) & PCI_MSIX_FLAGS_ENABLE);
}

static uint32_t msix_entry_long(const PciDevice *d, unsigned v, unsigned off)
{
    const uint8_t *p = d->msix_table + v * PCI_MSIX_ENTRY_SIZE + off;
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool msix_masked(const PciDevice *d, unsigned v)
{
    return (msix_flags(d) & PCI_MSIX_FLAGS_MASKALL) ||
           (msix_entry_long(d, v, 12) & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static void msix_send(PciDevice *d, unsigned v)
{
    uint64_t addr =
        msix_entry_long(d, v, 0) | (uint64_t)msix_entry_long(d, v, 4) << 32;
    pci_send_msi(d, addr, msix_entry_long(d, v, 8));
}

static bool msix_pending(const PciDevice *d, unsigned v)
{
    return d->msix_pba[v / 64] & BIT(v % 64);
}

static void msix_set_pending(PciDevice *d, unsigned v, bool on)
{
    if (on) {
        d->msix_pba[v / 64] |= BIT(v % 64);
    } else {
        d->msix_pba[v / 64] &= ~BIT(v % 64);
    }
}

void pci_msix_notify(PciDevice *d, unsigned vector)
{
    if (vector >= d->msix_nentries || !pci_msix_enabled(d) || !pci_may_dma(d)) {
        return;
    }
    if (msix_masked(d, vector)) {
        msix_set_pending(d, vector, true);
        return;
    }
    msix_send(d, vector);
}

/* send the pending vectors that are no longer masked */
static void msix_flush(PciDevice *d, unsigned first, unsigned count)
{
    if (!pci_msix_enabled(d) || !pci_may_dma(d)) {
        return;
    }
    for (unsigned v = first; v < first + count; v++) {
        if (msix_pending(d, v) && !msix_masked(d, v)) {
            msix_set_pending(d, v, false);
            msix_send(d, v);
        }
    }
}

static uint64_t msix_table_read(void *opaque, uint64_t addr, unsigned size)
{
    PciDevice *d = opaque;
    (void)size;
    return msix_entry_long(d, (unsigned)(addr / PCI_MSIX_ENTRY_SIZE),
                           (unsigned)(addr % PCI_MSIX_ENTRY_SIZE));
}

static void msix_table_write(void *opaque, uint64_t addr, uint64_t val,
                             unsigned size)
{
    PciDevice *d = opaque;
    (void)size;
    unsigned v = (unsigned)(addr / PCI_MSIX_ENTRY_SIZE);
    unsigned off = (unsigned)(addr % PCI_MSIX_ENTRY_SIZE);
    uint32_t w = (uint32_t)val;
    if (off == 0) {
        w &= ~3u; /* dword-aligned address */
    } else if (off == 12) {
        w &= PCI_MSIX_ENTRY_CTRL_MASKBIT; /* the rest is reserved */
    }
    uint8_t *p = d->msix_table + addr;
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(w >> (8 * i));
    }
    if (off == 12) {
        msix_flush(d, v, 1);
    }
}

static uint64_t msix_pba_read(void *opaque, uint64_t addr, unsigned size)
{
    PciDevice *d = opaque;
    (void)size;
    uint64_t q = d->msix_pba[addr / 8];
    return (uint32_t)(q >> ((addr & 4) * 8));
}

static void msix_pba_write(void *opaque, uint64_t addr, uint64_t val,
                           unsigned size)
{
    PciDevice *d = opaque;
    (void)val;
    (void)size;
    log_guest_error("pci", "%s: write to the read-only MSI-X PBA at 0x%x",
                    d->name, (unsigned)addr);
}

static const MemOps msix_table_ops = {
    .read = msix_table_read,
    .write = msix_table_write,
    .valid = {.min = 4, .max = 8},
    .impl = {.min = 4, .max = 4},
};

static const MemOps msix_pba_ops = {
    .read = msix_pba_read,
    .write = msix_pba_write,
    .valid = {.min = 4, .max = 8},
    .impl = {.min = 4, .max = 4},
};

unsigned pci_msix_init(PciDevice *d, unsigned nentries, MemRegion *bar_mr,
                       int bar, uint32_t table_off, uint32_t pba_off,
                       unsigned offset)
{
    uint64_t table_size = (uint64_t)nentries * PCI_MSIX_ENTRY_SIZE;
    uint64_t pba_size = (nentries + 63) / 64 * 8;
    if (!nentries || nentries > 2048 || d->msix_cap || bar < 0 || bar > 5 ||
        (table_off & 7) || (pba_off & 7) ||
        table_off + table_size > mr_size(bar_mr) ||
        pba_off + pba_size > mr_size(bar_mr) ||
        (table_off < pba_off + pba_size && pba_off < table_off + table_size)) {
        return 0;
    }
    unsigned cap = pci_add_capability(d, PCI_CAP_ID_MSIX, offset, 12);
    if (!cap) {
        return 0;
    }
    d->msix_cap = (uint8_t)cap;
    d->msix_nentries = (uint16_t)nentries;
    d->msix_table = xzalloc(table_size);
    d->msix_pba = xzalloc(pba_size);
    for (unsigned v = 0; v < nentries; v++) {
        d->msix_table[v * PCI_MSIX_ENTRY_SIZE + 12] =
            PCI_MSIX_ENTRY_CTRL_MASKBIT;
    }
    pci_set_word(d, cap + 2, (uint16_t)(nentries - 1));
    d->wmask[cap + 3] = 0xc0; /* enable, function mask */
    pci_set_long(d, cap + 4, table_off | (uint32_t)bar);
    pci_set_long(d, cap + 8, pba_off | (uint32_t)bar);
    d->msix_bar_mr = bar_mr;
    d->msix_table_mr = mr_new_io("msix-table", table_size, &msix_table_ops, d);
    d->msix_pba_mr = mr_new_io("msix-pba", pba_size, &msix_pba_ops, d);
    mr_add_subregion(bar_mr, table_off, d->msix_table_mr, 1);
    mr_add_subregion(bar_mr, pba_off, d->msix_pba_mr, 1);
    return cap;
}

static void msix_reset(PciDevice *d)
{
    if (!d->msix_cap) {
        return;
    }
    memset(d->msix_table, 0, d->msix_nentries * PCI_MSIX_ENTRY_SIZE);
    memset(d->msix_pba, 0, (d->msix_nentries + 63u) / 64 * 8);
    for (unsigned v = 0; v < d->msix_nentries; v++) {
        d->msix_table[v * PCI_MSIX_ENTRY_SIZE + 12] =
            PCI_MSIX_ENTRY_CTRL_MASKBIT;
    }
}

/* ---- configuration space ---- */

static bool ranges_overlap(unsigned a, unsigned alen, unsigned b, unsigned blen)
{
    return a < b + blen && b < a + alen;
}

uint32_t pci_default_config_read(PciDevice *d, uint32_t addr, unsigned len)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < len; i++) {
        v |= (uint32_t)d->config[addr + i] << (8 * i);
    }
    return v;
}

uint32_t pci_config_read(PciDevice *d, uint32_t addr, unsigned len)
{
    if ((len != 1 && len != 2 && len != 4) || addr >= d->config_size ||
        len > d->config_size - addr) {
        log_guest_error("pci", "%s: config read of %u at 0x%x", d->name, len,
                        addr);
        return len >= 4 ? ~0u : (1u << (8 * len)) - 1;
    }
    if (d->config_read) {
        return d->config_read(d, addr, len);
    }
    return pci_default_config_read(d, addr, len);
}

void pci_config_write(PciDevice *d, uint32_t addr, uint32_t val, unsigned len)
{
    if ((len != 1 && len != 2 && len != 4) || addr >= d->config_size ||
        len > d->config_size - addr) {
        log_guest_error("pci", "%s: config write of %u at 0x%x", d->name, len,
                        addr);
        return;
    }
    for (unsigned i = 0; i < len; i++) {
        unsigned a = addr + i;
        uint8_t v = (uint8_t)(val >> (8 * i));
        d->config[a] =
            (uint8_t)((d->config[a] & ~d->wmask[a]) | (v & d->wmask[a]));
        d->config[a] &= (uint8_t) ~(v & d->w1cmask[a]);
    }
    unsigned bars_end = pci_is_bridge(d) ? 0x18 : 0x28;
    unsigned rom = pci_bar_offset(d, PCI_ROM_SLOT);
    if (ranges_overlap(addr, len, PCI_COMMAND, 2) ||
        ranges_overlap(addr, len, PCI_BASE_ADDRESS_0,
                       bars_end - PCI_BASE_ADDRESS_0) ||
        ranges_overlap(addr, len, rom, 4)) {
        pci_update_mappings(d);
    }
    if (d->msi_cap && ranges_overlap(addr, len, d->msi_cap, 0x18)) {
        msi_config_written(d);
    }
    if (d->msix_cap && ranges_overlap(addr, len, d->msix_cap + 2, 2)) {
        msix_flush(d, 0, d->msix_nentries);
    }
    pci_update_intx(d);
    if (d->config_write) {
        d->config_write(d, addr, val, len);
    }
}

/* ---- devices ---- */

static void pci_init_masks(PciDevice *d)
{
    d->wmask[PCI_COMMAND] = (uint8_t)PCI_COMMAND_WMASK;
    d->wmask[PCI_COMMAND + 1] = (uint8_t)(PCI_COMMAND_WMASK >> 8);
    d->w1cmask[PCI_STATUS + 1] = (uint8_t)(PCI_STATUS_W1C >> 8);
    d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    d->wmask[PCI_LATENCY_TIMER] = 0xff;
    d->wmask[PCI_INTERRUPT_LINE] = 0xff;
    if (!pci_is_bridge(d)) {
        return;
    }
    /* bus numbers, secondary latency timer */
    pci_set_wmask_long(d, PCI_PRIMARY_BUS, 0xffffffff);
    /* I/O base/limit (32-bit capable), secondary status */
    d->wmask[0x1c] = d->wmask[0x1d] = 0xf0;
    d->config[0x1c] = d->config[0x1d] = 0x01;
    d->w1cmask[PCI_SEC_STATUS + 1] = (uint8_t)(PCI_STATUS_W1C >> 8);
    /* memory and prefetchable base/limit (64-bit capable) and uppers */
    pci_set_wmask_long(d, 0x20, 0xfff0fff0);
    pci_set_wmask_long(d, 0x24, 0xfff0fff0);
    d->config[0x24] = d->config[0x26] = 0x01;
    pci_set_wmask_long(d, 0x28, 0xffffffff);
    pci_set_wmask_long(d, 0x2c, 0xffffffff);
    pci_set_wmask_long(d, 0x30, 0xffffffff); /* I/O base/limit upper */
    d->wmask[PCI_BRIDGE_CONTROL] = 0xff;
    d->wmask[PCI_BRIDGE_CONTROL + 1] = 0x0f;
}

bool pci_device_init(PciDevice *d, PciBus *bus, int devfn, const char *name,
                     uint16_t vendor, uint16_t device, uint32_t class_rev,
                     uint8_t header_type)
{
    if (devfn < 0 || devfn >= PCI_NUM_DEVFN || bus->devices[devfn]) {
        return false;
    }
    d->bus = bus;
    d->devfn = devfn;
    d->name = name;
    d->config_size = PCI_CONFIG_SPACE_SIZE;
    d->cap_free = PCI_CAP_FIRST;
    d->intx_line = -1;
    for (int n = 0; n < PCI_NUM_BARS; n++) {
        d->bars[n].addr = PCI_BAR_UNMAPPED;
    }
    pci_set_word(d, PCI_VENDOR_ID, vendor);
    pci_set_word(d, PCI_DEVICE_ID, device);
    pci_set_long(d, PCI_REVISION_ID, class_rev);
    d->config[PCI_HEADER_TYPE] = header_type;
    pci_init_masks(d);
    bus->devices[devfn] = d;
    return true;
}

void pci_device_unregister(PciDevice *d)
{
    PciBus *bus = d->bus;
    if (!bus) {
        return;
    }
    d->intx_level = 0;
    pci_update_intx(d);
    mem_begin();
    for (int n = 0; n < PCI_NUM_BARS; n++) {
        PciBar *b = &d->bars[n];
        if (b->mr && b->addr != PCI_BAR_UNMAPPED) {
            mr_del_subregion(pci_bar_space(d, n), b->mr);
            b->addr = PCI_BAR_UNMAPPED;
        }
    }
    mem_commit();
    if (d->msix_cap) {
        mr_del_subregion(d->msix_bar_mr, d->msix_table_mr);
        mr_del_subregion(d->msix_bar_mr, d->msix_pba_mr);
        mr_free(d->msix_table_mr);
        mr_free(d->msix_pba_mr);
        free(d->msix_table);
        free(d->msix_pba);
        d->msix_cap = 0;
    }
    bus->devices[d->devfn] = NULL;
    d->bus = NULL;
}

void pci_device_reset(PciDevice *d)
{
    /* writable and write-1-to-clear bits power on as 0 */
    for (unsigned i = 0; i < d->config_size; i++) {
        d->config[i] &= (uint8_t) ~(d->wmask[i] | d->w1cmask[i]);
    }
    d->intx_level = 0;
    d->config[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
    d->msi_pending = 0;
    if (d->msi_cap && (msi_flags(d) & PCI_MSI_FLAGS_MASKBIT)) {
        pci_set_long(d, msi_mask_off(d) + 4, 0);
    }
    msix_reset(d);
    pci_update_mappings(d);
    pci_update_intx(d);
}
