/*
 * Intel 82441FX PCI and memory controller (the i440FX host bridge): PCI
 * configuration mechanism #1 at I/O 0xcf8 (CONFIG_ADDRESS, 32-bit accesses
 * only) and 0xcfc-0xcff (CONFIG_DATA, byte/word/dword), and bus 0 device 0
 * with Intel's IDs (8086:1237, revision 2), the PAM registers (0x59-0x5f)
 * and the SMRAM register (0x72). Ref: Intel 440FX PCIset datasheet
 * (290549), PCI Local Bus Specification 3.0 section 3.2.2.3.2.
 *
 * Other chipset registers read 0 and ignore writes. Configuration cycles to
 * buses other than the root bus find nothing (read all-ones): there are no
 * PCI-to-PCI bridges yet. Sub-dword accesses to 0xcf8-0xcfb are ordinary
 * I/O that nothing claims (the board maps the reset control register at
 * 0xcf9 above this region).
 */
#ifndef XLAT_HW_PCI_I440FX_H
#define XLAT_HW_PCI_I440FX_H

#include <stdint.h>

#include "hw/pci/pci.h"
#include "mmu/memory.h"

#define I440FX_CONFIG_ADDRESS 0xcf8
#define I440FX_CONFIG_DATA 0xcfc
#define I440FX_PAM0 0x59
#define I440FX_SMRAM 0x72
#define I440FX_NUM_PAM 13

/* PAM attributes of one segment */
#define I440FX_PAM_RE 0x1 /* reads go to DRAM (else to PCI, i.e. the ROM) */
#define I440FX_PAM_WE 0x2 /* writes go to DRAM */

/* SMRAM register bits (C_BASE_SEG is fixed at 010: 0xa0000-0xbffff) */
#define I440FX_SMRAM_G_SMRAME 0x08
#define I440FX_SMRAM_D_LCK 0x10
#define I440FX_SMRAM_D_CLS 0x20
#define I440FX_SMRAM_D_OPEN 0x40

/*
 * Segment seg (0: 0xf0000-0xfffff from PAM0; 1-12: the 16 KiB segments
 * from 0xc0000 up, from PAM1-PAM6) now has attributes mode (I440FX_PAM_*).
 * Called for every segment at creation and reset, then on each change.
 */
typedef void I440fxPamFn(void *opaque, int seg, uint64_t base, uint64_t size,
                         int mode);
/* the SMRAM register changed (also called at creation and reset) */
typedef void I440fxSmramFn(void *opaque, uint8_t smram);

typedef struct I440fx I440fx;

/* maps 0xcf8 and 0xcfc into io_root and puts device 0:0.0 on bus */
I440fx *i440fx_new(MemRegion *io_root, PciBus *bus, I440fxPamFn *pam,
                   I440fxSmramFn *smram, void *opaque);
/* the host bridge and CONFIG_ADDRESS to power-on (D_LCK clears too) */
void i440fx_reset(I440fx *s);
void i440fx_free(I440fx *s);
PciDevice *i440fx_pci(I440fx *s);

/* the SMRAM decode for an access to 0xa0000-0xbffff: DRAM or VGA? */
bool i440fx_smram_to_dram(uint8_t smram, bool smm, bool code);

#endif
