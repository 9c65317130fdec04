/*
 * The PCI device core: a bus of up to 32 devices x 8 functions, each with a
 * configuration space, BARs mapped into the bus's memory and I/O regions,
 * the capability list, INTx, MSI and MSI-X. Ref: PCI Local Bus
 * Specification 3.0, PCI-to-PCI Bridge Architecture Specification 1.2.
 *
 * A device model embeds a PciDevice (first, so a PciDevice * is its state),
 * calls pci_device_init() and pci_register_bar(), and may hook config
 * accesses. Configuration space has a per-byte writable mask (wmask) and
 * write-1-to-clear mask (w1cmask); every other bit is read-only. The core
 * owns the BAR registers: a BAR's writable bits follow the size of the
 * region registered for it, and the region is mapped, moved or unmapped in
 * the bus's memory or I/O region whenever the guest writes a BAR, the
 * expansion ROM BAR or the command register's decode enables.
 *
 * The layout is ready for PCI Express: the arrays hold 4 KiB, config_size
 * says how much of it exists (256 for conventional PCI).
 */
#ifndef XLAT_HW_PCI_PCI_H
#define XLAT_HW_PCI_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/irq.h"
#include "mmu/memory.h"

#define PCI_CONFIG_SPACE_SIZE 0x100
#define PCIE_CONFIG_SPACE_SIZE 0x1000
#define PCI_DEVFN(slot, fn) (((slot) << 3) | (fn))
#define PCI_SLOT(devfn) (((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn) ((devfn)&7)
#define PCI_NUM_DEVFN 256

/* header */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CLASS_DEVICE 0x0a
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_LATENCY_TIMER 0x0d
#define PCI_HEADER_TYPE 0x0e
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_ROM_ADDRESS 0x30  /* header type 0 */
#define PCI_ROM_ADDRESS1 0x38 /* header type 1 */
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d
/* header type 1 */
#define PCI_PRIMARY_BUS 0x18
#define PCI_SECONDARY_BUS 0x19
#define PCI_SUBORDINATE_BUS 0x1a
#define PCI_SEC_STATUS 0x1e
#define PCI_BRIDGE_CONTROL 0x3e

#define PCI_HEADER_TYPE_NORMAL 0
#define PCI_HEADER_TYPE_BRIDGE 1
#define PCI_HEADER_TYPE_MULTI 0x80

#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS_INTERRUPT 0x0008
#define PCI_STATUS_CAP_LIST 0x0010

#define PCI_BAR_IO 0x1
#define PCI_BAR_MEM32 0x0
#define PCI_BAR_MEM64 0x4
#define PCI_BAR_PREFETCH 0x8
#define PCI_ROM_SLOT 6 /* bar number of the expansion ROM */
#define PCI_NUM_BARS 7
#define PCI_BAR_UNMAPPED UINT64_MAX

/* capabilities */
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_MSIX 0x11
#define PCI_MSI_FLAGS_ENABLE 0x0001
#define PCI_MSI_FLAGS_64BIT 0x0080
#define PCI_MSI_FLAGS_MASKBIT 0x0100
#define PCI_MSIX_FLAGS_ENABLE 0x8000
#define PCI_MSIX_FLAGS_MASKALL 0x4000
#define PCI_MSIX_ENTRY_SIZE 16
#define PCI_MSIX_ENTRY_CTRL_MASKBIT 0x1

typedef struct PciBus PciBus;
typedef struct PciDevice PciDevice;

/* a message-signalled interrupt: a DMA write of data at addr */
typedef void PciMsiFn(void *opaque, uint64_t addr, uint32_t data,
                      uint16_t requester_id);
/*
 * INTx routing: the bus line (an index into the lines given to
 * pci_bus_set_intx) that pin (0-3 = INTA#-INTD#) of devfn drives; a
 * negative result leaves it unconnected.
 */
typedef int PciRouteFn(void *opaque, int devfn, int pin);

/* config access hooks; len is 1, 2 or 4 and addr + len <= config_size */
typedef uint32_t PciConfigReadFn(PciDevice *d, uint32_t addr, unsigned len);
typedef void PciConfigWriteFn(PciDevice *d, uint32_t addr, uint32_t val,
                              unsigned len);

typedef struct PciBar {
    MemRegion *mr; /* NULL: not implemented */
    uint64_t size; /* a power of two */
    uint8_t type;  /* PCI_BAR_* flags */
    uint64_t addr; /* where it is mapped; PCI_BAR_UNMAPPED if nowhere */
} PciBar;

struct PciDevice {
    uint8_t config[PCIE_CONFIG_SPACE_SIZE];
    uint8_t wmask[PCIE_CONFIG_SPACE_SIZE];
    uint8_t w1cmask[PCIE_CONFIG_SPACE_SIZE];
    unsigned config_size;
    PciBus *bus;
    int devfn;
    const char *name;
    PciBar bars[PCI_NUM_BARS];
    /*
     * Optional: read gets the value the core would return (after the core
     * read) via pci_default_config_read; write runs after the core has
     * stored the bytes, so it sees the new config[] (a device-specific
     * register keeps its side effects there).
     */
    PciConfigReadFn *config_read;
    PciConfigWriteFn *config_write;
    /* optional: pci_bus_reset calls it instead of pci_device_reset (a
     * device with its own defaults calls pci_device_reset from it) */
    void (*reset)(PciDevice *d);
    uint8_t cap_free;   /* next free offset for pci_add_capability */
    uint8_t intx_level; /* what the device drives on its pin */
    int16_t intx_line;  /* the bus line it is asserted on, -1 if none */
    /* MSI */
    uint8_t msi_cap;
    uint8_t msi_nvec; /* vectors the device supports (1-32) */
    uint32_t msi_pending;
    /* MSI-X */
    uint8_t msix_cap;
    uint16_t msix_nentries;
    uint8_t *msix_table; /* nentries * 16 bytes, guest-visible */
    uint64_t *msix_pba;  /* pending bits */
    MemRegion *msix_table_mr, *msix_pba_mr, *msix_bar_mr;
};

/*
 * A bus whose BARs map into mem and io (containers the board provides,
 * e.g. a PCI window under system memory and the I/O root). bus_num is the
 * bus number (0 for the root bus).
 */
PciBus *pci_bus_new(MemRegion *mem, MemRegion *io, int bus_num);
/* unregisters every device still on it (their regions are unmapped) */
void pci_bus_free(PciBus *bus);
/*
 * Where MSI and MSI-X messages go: fn if set, else (DESIGN 2.5) a 32-bit
 * DMA write of data at addr into the bus-master address space set with
 * pci_bus_set_dma_as (the LAPICs' 0xfee00000 window sits there).
 */
void pci_bus_set_msi(PciBus *bus, PciMsiFn *fn, void *opaque);
void pci_bus_set_dma_as(PciBus *bus, AddrSpace *as);
AddrSpace *pci_bus_dma_as(const PciBus *bus);
/* lines are copied; route NULL: the usual swizzle (slot + pin) % nlines */
void pci_bus_set_intx(PciBus *bus, const IrqLine *lines, int nlines,
                      PciRouteFn *route, void *opaque);
PciDevice *pci_bus_find(PciBus *bus, int devfn);
int pci_bus_num(const PciBus *bus);
/* the whole bus back to power-on: registers defaults, BARs unmapped */
void pci_bus_reset(PciBus *bus);

/*
 * Put d (zeroed by the caller) on the bus at devfn with its IDs and header
 * type; false if the devfn is taken or out of range. class_rev is
 * class << 8 | revision (class 0x060000 is a host bridge).
 */
bool pci_device_init(PciDevice *d, PciBus *bus, int devfn, const char *name,
                     uint16_t vendor, uint16_t device, uint32_t class_rev,
                     uint8_t header_type);
/* take it off the bus, unmapping its BARs; the regions stay the caller's */
void pci_device_unregister(PciDevice *d);
/* power-on state of the standard registers (BARs keep their regions) */
void pci_device_reset(PciDevice *d);

/*
 * BAR n (0-5, or PCI_ROM_SLOT) decodes mr, whose size must be a power of
 * two (at least 16 bytes for memory, 4 for I/O, 2 KiB for the ROM). A
 * 64-bit BAR uses n and n + 1. The region is not mapped until the guest
 * programs the BAR and enables decoding.
 */
void pci_register_bar(PciDevice *d, int n, uint8_t type, MemRegion *mr);
/* where BAR n is mapped now, PCI_BAR_UNMAPPED if nowhere */
uint64_t pci_bar_addr(const PciDevice *d, int n);

/* configuration accesses, as the host bridge issues them */
uint32_t pci_config_read(PciDevice *d, uint32_t addr, unsigned len);
void pci_config_write(PciDevice *d, uint32_t addr, uint32_t val, unsigned len);
/* the core's behaviour, for hooks */
uint32_t pci_default_config_read(PciDevice *d, uint32_t addr, unsigned len);

/* helpers for device models: little-endian config fields */
void pci_set_byte(PciDevice *d, unsigned off, uint8_t v);
void pci_set_word(PciDevice *d, unsigned off, uint16_t v);
void pci_set_long(PciDevice *d, unsigned off, uint32_t v);
uint16_t pci_get_word(const PciDevice *d, unsigned off);
uint32_t pci_get_long(const PciDevice *d, unsigned off);

/*
 * Add a capability of `size` bytes at `offset` (0: the next free dword
 * from 0x40) to the head of the list; returns its offset, 0 if it does not
 * fit or overlaps the header.
 */
unsigned pci_add_capability(PciDevice *d, uint8_t id, unsigned offset,
                            unsigned size);
/* offset of the first capability with id, 0 if none */
unsigned pci_find_capability(const PciDevice *d, uint8_t id);

/* INTx: drive the interrupt pin given in the config space (INTx Disable
 * and the status bit are honoured) */
void pci_set_irq(PciDevice *d, int level);

/*
 * MSI: nvec vectors (1, 2, 4, 8, 16 or 32), 32- or 64-bit address,
 * optional per-vector masking. Returns the capability offset, 0 on error.
 */
unsigned pci_msi_init(PciDevice *d, unsigned offset, unsigned nvec, bool is64,
                      bool per_vector_mask);
bool pci_msi_enabled(const PciDevice *d);
/* signal vector (< enabled count); masked vectors become pending */
void pci_msi_notify(PciDevice *d, unsigned vector);

/*
 * MSI-X: nentries (1-2048) vectors with the table at table_off and the
 * PBA at pba_off in BAR bar, whose region bar_mr (a container the caller
 * registers as that BAR) receives them as subregions. Returns the
 * capability offset, 0 on error.
 */
unsigned pci_msix_init(PciDevice *d, unsigned nentries, MemRegion *bar_mr,
                       int bar, uint32_t table_off, uint32_t pba_off,
                       unsigned offset);
bool pci_msix_enabled(const PciDevice *d);
void pci_msix_notify(PciDevice *d, unsigned vector);

#endif
