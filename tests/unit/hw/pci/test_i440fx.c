/*
 * The i440FX host bridge: configuration mechanism #1 through I/O ports
 * 0xcf8/0xcfc, its IDs, the PAM and SMRAM registers and their callbacks,
 * and config cycles reaching a second device's BAR so that the BAR maps.
 */
#include <criterion/criterion.h>

#include "hw/pci/i440fx.h"

static MemRegion *sys_root, *io_root;
static AddrSpace *mem, *io;
static PciBus *bus;
static I440fx *hb;
static int pam_calls, pam_mode[I440FX_NUM_PAM];
static uint64_t pam_base[I440FX_NUM_PAM], pam_size[I440FX_NUM_PAM];
static int smram_calls;
static uint8_t smram_val;

static void pam_cb(void *opaque, int seg, uint64_t base, uint64_t size,
                   int mode)
{
    (void)opaque;
    cr_assert(seg >= 0 && seg < I440FX_NUM_PAM);
    pam_calls++;
    pam_mode[seg] = mode;
    pam_base[seg] = base;
    pam_size[seg] = size;
}

static void smram_cb(void *opaque, uint8_t v)
{
    (void)opaque;
    smram_calls++;
    smram_val = v;
}

static void setup(void)
{
    sys_root = mr_new_container("sys", UINT64_MAX);
    mem = as_new("sys", sys_root);
    io_root = mr_new_container("io", 0x10000);
    io = as_new("io", io_root);
    bus = pci_bus_new(sys_root, io_root, 0);
    pam_calls = smram_calls = 0;
    hb = i440fx_new(io_root, bus, pam_cb, smram_cb, NULL);
}

static void teardown(void)
{
    i440fx_free(hb);
    pci_bus_free(bus);
    as_free(io);
    as_free(mem);
    mr_free(io_root);
    mr_free(sys_root);
}

TestSuite(i440fx, .init = setup, .fini = teardown, .timeout = 10);

static uint32_t conf_addr(int bus_n, int dev, int fn, int reg)
{
    return 0x80000000u | bus_n << 16 | dev << 11 | fn << 8 | reg;
}

static uint32_t rd32(int dev, int reg)
{
    as_st32(io, 0xcf8, conf_addr(0, dev, 0, reg & 0xfc));
    return as_ld32(io, 0xcfc);
}

static void wr8(int dev, int reg, uint8_t v)
{
    as_st32(io, 0xcf8, conf_addr(0, dev, 0, reg & 0xfc));
    as_st8(io, 0xcfc + (reg & 3), v);
}

Test(i440fx, config_address_register)
{
    cr_assert_eq(as_ld32(io, 0xcf8), 0);
    as_st32(io, 0xcf8, 0xffffffff);
    cr_assert_eq(as_ld32(io, 0xcf8), 0x80fffffc, "reserved bits read 0");
    as_st8(io, 0xcfb, 0x01); /* Linux's type-1 probe: not a latch */
    cr_assert_eq(as_ld32(io, 0xcf8), 0x80fffffc);
    as_st16(io, 0xcf8, 0);
    cr_assert_eq(as_ld32(io, 0xcf8), 0x80fffffc);
    cr_assert_eq(as_ld8(io, 0xcf8), 0xff, "byte reads are not the register");
}

Test(i440fx, host_bridge_ids)
{
    cr_assert_eq(rd32(0, 0x00), 0x12378086);
    cr_assert_eq(rd32(0, 0x08), 0x06000002, "host bridge, revision 2");
    cr_assert_eq(rd32(0, 0x0c) >> 16 & 0xff, 0, "header type 0");
    cr_assert_eq(rd32(1, 0x00), 0xffffffff, "empty slot");
    as_st32(io, 0xcf8, conf_addr(1, 0, 0, 0));
    cr_assert_eq(as_ld32(io, 0xcfc), 0xffffffff, "no bus 1");
    as_st32(io, 0xcf8, 0x00000000); /* enable bit clear */
    cr_assert_eq(as_ld32(io, 0xcfc), 0xffffffff);
}

Test(i440fx, byte_and_word_data_accesses)
{
    as_st32(io, 0xcf8, conf_addr(0, 0, 0, 0x00));
    cr_assert_eq(as_ld8(io, 0xcfc), 0x86);
    cr_assert_eq(as_ld8(io, 0xcfd), 0x80);
    cr_assert_eq(as_ld16(io, 0xcfe), 0x1237);
    cr_assert_eq(as_ld8(io, 0xcff), 0x12);
    /* register number bits 1:0 are ignored */
    as_st32(io, 0xcf8, conf_addr(0, 0, 0, 0x02));
    cr_assert_eq(as_ld32(io, 0xcfc), 0x12378086);
    as_st32(io, 0xcf8, conf_addr(0, 0, 0, 0x0c));
    as_st8(io, 0xcfd, 0x40); /* latency timer */
    cr_assert_eq(rd32(0, 0x0c), 0x00004000);
}

Test(i440fx, pam_registers_and_callback)
{
    cr_assert_eq(pam_calls, I440FX_NUM_PAM, "all reported at creation");
    cr_assert_eq(pam_base[0], 0xf0000);
    cr_assert_eq(pam_size[0], 0x10000);
    cr_assert_eq(pam_base[1], 0xc0000);
    cr_assert_eq(pam_base[12], 0xec000);
    cr_assert_eq(pam_size[12], 0x4000);
    pam_calls = 0;
    wr8(0, 0x59, 0xff);
    cr_assert_eq(rd32(0, 0x58) >> 8 & 0xff, 0x30, "PAM0: only bits 5:4");
    cr_assert_eq(pam_calls, 1);
    cr_assert_eq(pam_mode[0], I440FX_PAM_RE | I440FX_PAM_WE);
    wr8(0, 0x5a, 0x21); /* c0000 read-only DRAM, c4000 write-only */
    cr_assert_eq(pam_calls, 3);
    cr_assert_eq(pam_mode[1], I440FX_PAM_RE);
    cr_assert_eq(pam_mode[2], I440FX_PAM_WE);
    wr8(0, 0x5a, 0x21);
    cr_assert_eq(pam_calls, 3, "no change, no call");
    wr8(0, 0x5f, 0xcc);
    cr_assert_eq(rd32(0, 0x5c) >> 24, 0, "reserved bits of PAM6");
    wr8(0, 0x5f, 0x30);
    cr_assert_eq(pam_mode[12], 3);
    cr_assert_eq(pam_mode[11], 0);
    i440fx_reset(hb);
    cr_assert_eq(pam_mode[12], 0, "reset: all to PCI");
    cr_assert_eq(pam_mode[0], 0);
}

Test(i440fx, smram_register_and_lock)
{
    cr_assert_eq(smram_calls, 1);
    cr_assert_eq(smram_val, 0x02, "C_BASE_SEG 010");
    wr8(0, 0x72, 0xef);
    cr_assert_eq(smram_val, 0x6a, "bit 7 reserved, C_BASE_SEG fixed");
    wr8(0, 0x72, I440FX_SMRAM_G_SMRAME | I440FX_SMRAM_D_OPEN);
    cr_assert_eq(smram_val, 0x4a);
    cr_assert(i440fx_smram_to_dram(smram_val, false, false), "open");
    wr8(0, 0x72,
        I440FX_SMRAM_G_SMRAME | I440FX_SMRAM_D_OPEN | I440FX_SMRAM_D_LCK);
    cr_assert_eq(smram_val, 0x1a, "locking closes D_OPEN");
    cr_assert_not(i440fx_smram_to_dram(smram_val, false, false));
    cr_assert(i440fx_smram_to_dram(smram_val, true, false), "SMM sees it");
    int calls = smram_calls;
    wr8(0, 0x72, I440FX_SMRAM_D_OPEN);
    cr_assert_eq(smram_val, 0x1a, "locked: D_OPEN, G_SMRAME, D_LCK fixed");
    cr_assert_eq(smram_calls, calls);
    wr8(0, 0x72, 0x1a | I440FX_SMRAM_D_CLS);
    cr_assert_eq(smram_val, 0x3a, "D_CLS stays writable");
    cr_assert_not(i440fx_smram_to_dram(smram_val, true, false), "D_CLS");
    cr_assert(i440fx_smram_to_dram(smram_val, true, true), "SMM code");
    i440fx_reset(hb);
    cr_assert_eq(smram_val, 0x02, "only reset unlocks");
    wr8(0, 0x72, I440FX_SMRAM_G_SMRAME | I440FX_SMRAM_D_OPEN);
    cr_assert_eq(smram_val, 0x4a);
    cr_assert_not(
        i440fx_smram_to_dram(0x02 | I440FX_SMRAM_D_OPEN, false, false),
        "G_SMRAME off: never DRAM");
}

static uint64_t dev_read(void *opaque, uint64_t addr, unsigned size)
{
    (void)opaque;
    (void)size;
    return 0xbeef0000 | (uint32_t)addr;
}

static const MemOps dev_ops = {
    .read = dev_read,
    .valid = {.min = 4, .max = 4},
    .impl = {.min = 4, .max = 4},
};

Test(i440fx, config_cycles_program_a_device_bar)
{
    PciDevice d = {0};
    MemRegion *bar = mr_new_io("bar", 0x100, &dev_ops, NULL);
    cr_assert(pci_device_init(&d, bus, PCI_DEVFN(2, 0), "dev", 0x1af4, 0x1000,
                              0x02000000, 0));
    pci_register_bar(&d, 0, PCI_BAR_MEM32, bar);
    as_st32(io, 0xcf8, conf_addr(0, 2, 0, 0x10));
    as_st32(io, 0xcfc, 0xffffffff);
    cr_assert_eq(as_ld32(io, 0xcfc), 0xffffff00, "256-byte BAR");
    as_st32(io, 0xcfc, 0xfebf1000);
    as_st32(io, 0xcf8, conf_addr(0, 2, 0, 0x04));
    as_st16(io, 0xcfc, PCI_COMMAND_MEMORY);
    cr_assert_eq(as_ld32(mem, 0xfebf1010), 0xbeef0010);
    cr_assert_eq(rd32(2, 0), 0x10001af4);
    pci_device_unregister(&d);
    cr_assert_eq(as_ld32(mem, 0xfebf1010), 0xffffffff, "unmapped");
    mr_free(bar);
}

Test(i440fx, hostile_port_traffic)
{
    for (uint32_t a = 0; a < 0x10000; a += 0x3f1) {
        as_st32(io, 0xcf8, 0x80000000u | a << 2);
        as_st32(io, 0xcfc, 0xffffffff);
        as_st16(io, 0xcfe, 0);
        as_st8(io, 0xcff, 0xa5);
        (void)as_ld32(io, 0xcfc);
    }
    (void)as_ld16(io, 0xcfd); /* unaligned: refused by the core */
    cr_assert_eq(rd32(0, 0x00), 0x12378086);
    cr_assert_eq(rd32(0, 0x04) & 0xffff, 0x0006, "command fixed");
}
