/*
 * QEMU firmware configuration device (fw_cfg), I/O port interface: selector
 * 0x510 (16-bit write), data 0x511 (8-bit read), DMA address 0x514 (64-bit,
 * big-endian, written as two 32-bit halves; the low half at 0x518 starts the
 * transfer). Ref: QEMU docs/specs/fw_cfg.rst (the interface, not the code).
 * Items are byte blobs; integer items are little-endian, the file directory
 * and the DMA descriptor are big-endian.
 */
#ifndef XLAT_HW_MISC_FW_CFG_H
#define XLAT_HW_MISC_FW_CFG_H

#include <stdbool.h>
#include <stdint.h>

#include "machine/vmstate.h"
#include "mmu/memory.h"

#define FW_CFG_IO_BASE 0x510
#define FW_CFG_DMA_IO_BASE 0x514

/* selector keys */
enum {
    FW_CFG_SIGNATURE = 0x00,
    FW_CFG_ID = 0x01,
    FW_CFG_UUID = 0x02,
    FW_CFG_RAM_SIZE = 0x03,
    FW_CFG_NOGRAPHIC = 0x04,
    FW_CFG_NB_CPUS = 0x05,
    FW_CFG_MACHINE_ID = 0x06,
    FW_CFG_KERNEL_ADDR = 0x07,
    FW_CFG_KERNEL_SIZE = 0x08,
    FW_CFG_KERNEL_CMDLINE = 0x09,
    FW_CFG_INITRD_ADDR = 0x0a,
    FW_CFG_INITRD_SIZE = 0x0b,
    FW_CFG_BOOT_DEVICE = 0x0c,
    FW_CFG_NUMA = 0x0d,
    FW_CFG_BOOT_MENU = 0x0e,
    FW_CFG_MAX_CPUS = 0x0f,
    FW_CFG_KERNEL_ENTRY = 0x10,
    FW_CFG_KERNEL_DATA = 0x11,
    FW_CFG_INITRD_DATA = 0x12,
    FW_CFG_CMDLINE_ADDR = 0x13,
    FW_CFG_CMDLINE_SIZE = 0x14,
    FW_CFG_CMDLINE_DATA = 0x15,
    FW_CFG_SETUP_ADDR = 0x16,
    FW_CFG_SETUP_SIZE = 0x17,
    FW_CFG_SETUP_DATA = 0x18,
    FW_CFG_FILE_DIR = 0x19,
    FW_CFG_FILE_FIRST = 0x20,
    FW_CFG_WRITE_CHANNEL = 0x4000,
    FW_CFG_ARCH_LOCAL = 0x8000,
    FW_CFG_ENTRY_MASK = 0x3fff,
};

/* FW_CFG_ID feature bits */
#define FW_CFG_VERSION 0x01
#define FW_CFG_VERSION_DMA 0x02

/* FW_CFG_DMA control bits */
#define FW_CFG_DMA_CTL_ERROR 0x01
#define FW_CFG_DMA_CTL_READ 0x02
#define FW_CFG_DMA_CTL_SKIP 0x04
#define FW_CFG_DMA_CTL_SELECT 0x08
#define FW_CFG_DMA_CTL_WRITE 0x10

#define FW_CFG_MAX_FILES 64
#define FW_CFG_NAME_LEN 56 /* including the NUL */

typedef struct FwCfg FwCfg;

/*
 * Map the ports in io_root; DMA goes to dma_as (the system memory) with
 * MEMATTRS_DMA. dma_as NULL disables the DMA interface. Sets the signature
 * and ID items.
 */
FwCfg *fw_cfg_new(MemRegion *io_root, AddrSpace *dma_as);
void fw_cfg_reset(FwCfg *s);
void fw_cfg_free(FwCfg *s);
const VmStateField *fw_cfg_get_vmstate(size_t *count);

/* set a fixed key (< FW_CFG_FILE_FIRST, or FW_CFG_ARCH_LOCAL | n); copies */
void fw_cfg_add_bytes(FwCfg *s, uint16_t key, const void *data, uint32_t len);
void fw_cfg_add_string(FwCfg *s, uint16_t key, const char *str); /* +NUL */
void fw_cfg_add_i16(FwCfg *s, uint16_t key, uint16_t v);         /* LE */
void fw_cfg_add_i32(FwCfg *s, uint16_t key, uint32_t v);
void fw_cfg_add_i64(FwCfg *s, uint16_t key, uint64_t v);

/* a named file ("etc/e820"); returns its key, or -1 (duplicate/full/bad) */
int fw_cfg_add_file(FwCfg *s, const char *name, const void *data, uint32_t len);
/* the key of a named file, or -1 */
int fw_cfg_find_file(const FwCfg *s, const char *name);

/*
 * `-fw_cfg name=opt/x,file=PATH` or `name=opt/x,string=TEXT` (the string
 * without a NUL, as QEMU). Returns 0, or -1 with *err (free it).
 */
int fw_cfg_add_from_option(FwCfg *s, const char *opt, char **err);
/* the same, already split: exactly one of file and str is non-NULL */
int fw_cfg_add_user_file(FwCfg *s, const char *name, const char *file,
                         const char *str, char **err);

#endif
