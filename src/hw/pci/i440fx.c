/*
 * i440FX host bridge (see i440fx.h). The PAM and SMRAM registers live in
 * the device's config space with their write masks; a config-write hook
 * enforces the SMRAM lock and tells the board what changed.
 */
#include "hw/pci/i440fx.h"

#include <stdlib.h>

#include "util/common.h"
#include "util/log.h"

#define I440FX_VENDOR 0x8086
#define I440FX_DEVICE 0x1237
#define I440FX_CLASS_REV 0x06000002 /* host bridge, revision 2 */
#define I440FX_SMRAM_C_BASE_SEG 0x02
#define CONFIG_ADDRESS_ENABLE 0x80000000u
/* bits 30:24 and 1:0 are reserved and read 0 */
#define CONFIG_ADDRESS_MASK 0x80fffffcu

struct I440fx {
    PciDevice dev; /* first: the config hooks get &dev */
    uint32_t config_address;
    uint8_t pam_mode[I440FX_NUM_PAM]; /* last reported */
    uint8_t smram;                    /* last reported */
    PciBus *bus;
    I440fxPamFn *pam;
    I440fxSmramFn *smram_cb;
    void *opaque;
    MemRegion *io_root, *addr_mr, *data_mr;
};

PciDevice *i440fx_pci(I440fx *s)
{
    return &s->dev;
}

bool i440fx_smram_to_dram(uint8_t smram, bool smm, bool code)
{
    if (!(smram & I440FX_SMRAM_G_SMRAME)) {
        return false;
    }
    if (smm) {
        return code || !(smram & I440FX_SMRAM_D_CLS);
    }
    return smram & I440FX_SMRAM_D_OPEN;
}

/* ---- PAM and SMRAM ---- */

static int pam_mode_of(const I440fx *s, int seg)
{
    if (seg == 0) {
        return (s->dev.config[I440FX_PAM0] >> 4) & 3;
    }
    uint8_t r = s->dev.config[I440FX_PAM0 + 1 + (seg - 1) / 2];
    return ((seg - 1) & 1 ? r >> 4 : r) & 3;
}

static void pam_update(I440fx *s, bool all)
{
    for (int seg = 0; seg < I440FX_NUM_PAM; seg++) {
        int mode = pam_mode_of(s, seg);
        if (!all && mode == s->pam_mode[seg]) {
            continue;
        }
        s->pam_mode[seg] = (uint8_t)mode;
        if (s->pam) {
            uint64_t base =
                seg ? 0xc0000 + (uint64_t)(seg - 1) * 0x4000 : 0xf0000;
            s->pam(s->opaque, seg, base, seg ? 0x4000 : 0x10000, mode);
        }
    }
}

static void smram_update(I440fx *s, bool all)
{
    uint8_t *r = &s->dev.config[I440FX_SMRAM];
    if (*r & I440FX_SMRAM_D_LCK) {
        /* locked until reset: D_OPEN clears, only D_CLS stays writable */
        *r &= (uint8_t)~I440FX_SMRAM_D_OPEN;
        s->dev.wmask[I440FX_SMRAM] = I440FX_SMRAM_D_CLS;
    }
    if ((*r & I440FX_SMRAM_D_OPEN) && (*r & I440FX_SMRAM_D_CLS)) {
        log_guest_error("i440fx", "SMRAM D_OPEN and D_CLS both set");
    }
    if (!all && *r == s->smram) {
        return;
    }
    s->smram = *r;
    if (s->smram_cb) {
        s->smram_cb(s->opaque, *r);
    }
}

static bool overlaps(uint32_t addr, unsigned len, uint32_t a, unsigned alen)
{
    return addr < a + alen && a < addr + len;
}

static void i440fx_config_write(PciDevice *d, uint32_t addr, uint32_t val,
                                unsigned len)
{
    I440fx *s = (I440fx *)d;
    (void)val;
    if (overlaps(addr, len, I440FX_PAM0, 7)) {
        pam_update(s, false);
    }
    if (overlaps(addr, len, I440FX_SMRAM, 1)) {
        smram_update(s, false);
    }
}

/* ---- configuration mechanism #1 ---- */

static PciDevice *conf_target(I440fx *s, unsigned *reg)
{
    uint32_t a = s->config_address;
    if (!(a & CONFIG_ADDRESS_ENABLE) ||
        ((a >> 16) & 0xff) != (unsigned)pci_bus_num(s->bus)) {
        return NULL;
    }
    *reg = a & 0xfc;
    return pci_bus_find(s->bus, (a >> 8) & 0xff);
}

static uint64_t conf_addr_read(void *opaque, uint64_t addr, unsigned size)
{
    I440fx *s = opaque;
    if (addr != 0 || size != 4) {
        return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    }
    return s->config_address;
}

static void conf_addr_write(void *opaque, uint64_t addr, uint64_t val,
                            unsigned size)
{
    I440fx *s = opaque;
    if (addr == 0 && size == 4) {
        s->config_address = (uint32_t)val & CONFIG_ADDRESS_MASK;
    }
}

static uint64_t conf_data_read(void *opaque, uint64_t addr, unsigned size)
{
    I440fx *s = opaque;
    unsigned reg;
    PciDevice *d = conf_target(s, &reg);
    if (!d) {
        return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    }
    return pci_config_read(d, reg + (unsigned)addr, size);
}

static void conf_data_write(void *opaque, uint64_t addr, uint64_t val,
                            unsigned size)
{
    I440fx *s = opaque;
    unsigned reg;
    PciDevice *d = conf_target(s, &reg);
    if (d) {
        pci_config_write(d, reg + (unsigned)addr, (uint32_t)val, size);
    }
}

static const MemOps conf_addr_ops = {
    .read = conf_addr_read,
    .write = conf_addr_write,
    .valid = {.min = 1, .max = 4},
    .impl = {.min = 1, .max = 4},
};

static const MemOps conf_data_ops = {
    .read = conf_data_read,
    .write = conf_data_write,
    .valid = {.min = 1, .max = 4},
    .impl = {.min = 1, .max = 4},
};

static void i440fx_reset_hook(PciDevice *d)
{
    i440fx_reset((I440fx *)d);
}

void i440fx_reset(I440fx *s)
{
    s->config_address = 0;
    pci_device_reset(&s->dev);
    s->dev.wmask[I440FX_SMRAM] = I440FX_SMRAM_G_SMRAME | I440FX_SMRAM_D_LCK |
                                 I440FX_SMRAM_D_CLS | I440FX_SMRAM_D_OPEN;
    s->dev.config[I440FX_SMRAM] = I440FX_SMRAM_C_BASE_SEG;
    pam_update(s, true);
    smram_update(s, true);
}

I440fx *i440fx_new(MemRegion *io_root, PciBus *bus, I440fxPamFn *pam,
                   I440fxSmramFn *smram, void *opaque)
{
    I440fx *s = xzalloc(sizeof(*s));
    s->bus = bus;
    s->pam = pam;
    s->smram_cb = smram;
    s->opaque = opaque;
    bool ok = pci_device_init(&s->dev, bus, PCI_DEVFN(0, 0), "i440fx",
                              I440FX_VENDOR, I440FX_DEVICE, I440FX_CLASS_REV,
                              PCI_HEADER_TYPE_NORMAL);
    ASSERT(ok);
    s->dev.config_write = i440fx_config_write;
    s->dev.reset = i440fx_reset_hook;
    /* a host bridge does not decode I/O; memory and bus master stay on */
    pci_set_word(&s->dev, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    s->dev.wmask[PCI_COMMAND] = 0;
    s->dev.wmask[PCI_COMMAND + 1] = 0;
    s->dev.wmask[PCI_INTERRUPT_LINE] = 0;
    s->dev.wmask[I440FX_PAM0] = 0x30;
    for (int i = 1; i < 7; i++) {
        s->dev.wmask[I440FX_PAM0 + i] = 0x33;
    }
    i440fx_reset(s);
    s->io_root = io_root;
    s->addr_mr = mr_new_io("pci-conf-addr", 4, &conf_addr_ops, s);
    s->data_mr = mr_new_io("pci-conf-data", 4, &conf_data_ops, s);
    mr_add_subregion(io_root, I440FX_CONFIG_ADDRESS, s->addr_mr, 0);
    mr_add_subregion(io_root, I440FX_CONFIG_DATA, s->data_mr, 0);
    return s;
}

void i440fx_free(I440fx *s)
{
    if (!s) {
        return;
    }
    mr_del_subregion(s->io_root, s->addr_mr);
    mr_del_subregion(s->io_root, s->data_mr);
    mr_free(s->addr_mr);
    mr_free(s->data_mr);
    pci_device_unregister(&s->dev);
    free(s);
}
