/*
 * fw_cfg through the I/O ports and by DMA into a small RAM: signature, ID,
 * the file directory, reads past an item's end, DMA errors for addresses
 * outside RAM (the status says so, nothing crashes), refused writes, and
 * the -fw_cfg option helper.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hw/misc/fw_cfg.h"

#define RAM_SIZE 0x10000

static MemRegion *io_root, *sys_root, *ram;
static AddrSpace *io, *sys;
static FwCfg *fw;

static void setup(void)
{
    io_root = mr_new_container("io", 0x10000);
    io = as_new("io", io_root);
    sys_root = mr_new_container("sys", UINT64_MAX);
    ram = mr_new_ram("ram", RAM_SIZE);
    mr_add_subregion(sys_root, 0, ram, 0);
    sys = as_new("sys", sys_root);
    fw = fw_cfg_new(io_root, sys);
}

static void teardown(void)
{
    fw_cfg_free(fw);
    as_free(io);
    as_free(sys);
    mr_free(io_root);
    mr_free_tree(sys_root);
}

TestSuite(fw_cfg, .init = setup, .fini = teardown, .timeout = 5);

static void select_key(uint16_t key)
{
    as_st16(io, 0x510, key);
}

static void read_port(void *buf, size_t n)
{
    uint8_t *p = buf;
    for (size_t i = 0; i < n; i++) {
        p[i] = as_ld8(io, 0x511);
    }
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

/* descriptor at desc in RAM; start it as SeaBIOS does (be32 halves) */
static uint32_t dma(uint64_t desc, uint32_t control, uint32_t len,
                    uint64_t addr)
{
    uint8_t *r = mr_ram_ptr(ram);
    put_be32(r + desc, control);
    put_be32(r + desc + 4, len);
    put_be32(r + desc + 8, (uint32_t)(addr >> 32));
    put_be32(r + desc + 12, (uint32_t)addr);
    as_st32(io, 0x514, __builtin_bswap32((uint32_t)(desc >> 32)));
    as_st32(io, 0x518, __builtin_bswap32((uint32_t)desc));
    return be32(r + desc);
}

Test(fw_cfg, signature_and_id_through_ports)
{
    char sig[5] = {0};
    select_key(FW_CFG_SIGNATURE);
    read_port(sig, 4);
    cr_assert_str_eq(sig, "QEMU");
    cr_assert_eq(as_ld8(io, 0x511), 0, "past the end reads 0");
    uint8_t id[4];
    select_key(FW_CFG_ID);
    read_port(id, 4);
    cr_assert_eq(id[0], FW_CFG_VERSION | FW_CFG_VERSION_DMA);
    cr_assert_eq(id[1] | id[2] | id[3], 0);
}

Test(fw_cfg, dma_register_reads_signature)
{
    uint32_t lo = as_ld32(io, 0x514), hi = as_ld32(io, 0x518);
    cr_assert_eq(memcmp(&lo, "QEMU", 4), 0);
    cr_assert_eq(memcmp(&hi, " CFG", 4), 0);
}

Test(fw_cfg, integer_items_little_endian)
{
    fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, 0x12345678abull);
    fw_cfg_add_i16(fw, FW_CFG_NB_CPUS, 3);
    uint8_t b[8];
    select_key(FW_CFG_RAM_SIZE);
    read_port(b, 8);
    cr_assert_eq(b[0], 0xab);
    cr_assert_eq(b[4], 0x12);
    select_key(FW_CFG_NB_CPUS);
    read_port(b, 2);
    cr_assert_eq(b[0], 3);
    cr_assert_eq(b[1], 0);
}

Test(fw_cfg, file_directory_lists_files)
{
    int ka = fw_cfg_add_file(fw, "opt/a", "xyz", 3);
    int kb = fw_cfg_add_file(fw, "etc/b", "0123456789", 10);
    cr_assert_eq(ka, FW_CFG_FILE_FIRST);
    cr_assert_eq(kb, FW_CFG_FILE_FIRST + 1);
    cr_assert_eq(fw_cfg_add_file(fw, "opt/a", "q", 1), -1, "duplicate");
    uint8_t dir[4 + 2 * 64];
    select_key(FW_CFG_FILE_DIR);
    read_port(dir, sizeof(dir));
    cr_assert_eq(be32(dir), 2);
    cr_assert_eq(be32(dir + 4), 3);
    cr_assert_eq(dir[8] << 8 | dir[9], ka);
    cr_assert_str_eq((char *)dir + 12, "opt/a");
    cr_assert_eq(be32(dir + 68), 10);
    cr_assert_eq(dir[72] << 8 | dir[73], kb);
    cr_assert_str_eq((char *)dir + 76, "etc/b");
    char c[4] = {0};
    select_key((uint16_t)kb);
    read_port(c, 3);
    cr_assert_str_eq(c, "012");
}

Test(fw_cfg, dma_select_and_read)
{
    int k = fw_cfg_add_file(fw, "opt/data", "hello, dma", 10);
    uint32_t ctl =
        (uint32_t)k << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ;
    cr_assert_eq(dma(0x1000, ctl, 5, 0x2000), 0);
    cr_assert_eq(memcmp(mr_ram_ptr(ram) + 0x2000, "hello", 5), 0);
    /* continue from the offset; past the end comes zero-filled */
    memset(mr_ram_ptr(ram) + 0x3000, 0xaa, 16);
    cr_assert_eq(dma(0x1000, FW_CFG_DMA_CTL_READ, 8, 0x3000), 0);
    cr_assert_eq(memcmp(mr_ram_ptr(ram) + 0x3000, ", dma\0\0\0", 8), 0);
    cr_assert_eq(mr_ram_ptr(ram)[0x3008], 0xaa, "no write past length");
}

Test(fw_cfg, dma_skip_then_read)
{
    int k = fw_cfg_add_file(fw, "opt/s", "abcdef", 6);
    select_key((uint16_t)k);
    cr_assert_eq(dma(0x100, FW_CFG_DMA_CTL_SKIP, 4, 0), 0);
    cr_assert_eq(dma(0x100, FW_CFG_DMA_CTL_READ, 2, 0x200), 0);
    cr_assert_eq(memcmp(mr_ram_ptr(ram) + 0x200, "ef", 2), 0);
}

Test(fw_cfg, dma_outside_ram_sets_error)
{
    int k = fw_cfg_add_file(fw, "opt/x", "data", 4);
    uint32_t ctl =
        (uint32_t)k << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ;
    cr_assert_eq(dma(0x800, ctl, 4, 0x40000000ull), FW_CFG_DMA_CTL_ERROR);
    /* straddling the end of RAM */
    cr_assert_eq(dma(0x800, ctl, 4, RAM_SIZE - 2), FW_CFG_DMA_CTL_ERROR);
    /* an absurd length into nothing */
    cr_assert_eq(dma(0x800, ctl, 0xffffffffu, 0xfff0000000000000ull),
                 FW_CFG_DMA_CTL_ERROR);
    /* the device still works */
    cr_assert_eq(dma(0x800, ctl, 4, 0x900), 0);
    cr_assert_eq(memcmp(mr_ram_ptr(ram) + 0x900, "data", 4), 0);
}

Test(fw_cfg, dma_descriptor_outside_ram_is_ignored)
{
    as_st32(io, 0x514, 0);
    as_st32(io, 0x518, __builtin_bswap32(0x80000000u));
    char sig[5] = {0};
    select_key(FW_CFG_SIGNATURE);
    read_port(sig, 4);
    cr_assert_str_eq(sig, "QEMU");
}

Test(fw_cfg, dma_write_is_refused)
{
    int k = fw_cfg_add_file(fw, "opt/ro", "keep", 4);
    memcpy(mr_ram_ptr(ram) + 0x400, "XXXX", 4);
    uint32_t ctl =
        (uint32_t)k << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE;
    cr_assert_eq(dma(0x300, ctl, 4, 0x400), FW_CFG_DMA_CTL_ERROR);
    char c[5] = {0};
    select_key((uint16_t)k);
    read_port(c, 4);
    cr_assert_str_eq(c, "keep");
}

Test(fw_cfg, malformed_port_accesses)
{
    select_key(FW_CFG_SIGNATURE);
    cr_assert_eq(as_ld8(io, 0x511), 'Q');
    cr_assert_eq(as_ld8(io, 0x510), 0, "the selector is write-only");
    cr_assert_eq(as_ld16(io, 0x510), 0);
    as_st8(io, 0x511, 0x55); /* data writes are ignored */
    cr_assert_eq(as_ld8(io, 0x511), 'E', "selection and offset unchanged");
    /* a word at 0x511 splits at the device's edge: data byte + open bus */
    cr_assert_eq(as_ld16(io, 0x511), 0xff00 | 'M');
    /* a dword at the selector: its low word selects */
    as_st32(io, 0x510, 0xdead0000u | FW_CFG_ID);
    cr_assert_eq(as_ld8(io, 0x511), FW_CFG_VERSION | FW_CFG_VERSION_DMA);
    /* DMA register bytes one at a time still assemble the address */
    for (int i = 0; i < 8; i++) {
        as_st8(io, 0x514 + i, 0xff);
    }
    cr_assert_eq(as_ld8(io, 0x511), 0, "ID item continues, then ends");
    select_key(0x3fff); /* no such item */
    cr_assert_eq(as_ld8(io, 0x511), 0);
    select_key(0xffff);
    cr_assert_eq(as_ld8(io, 0x511), 0);
}

Test(fw_cfg, option_helper)
{
    char *err = NULL;
    cr_assert_eq(fw_cfg_add_from_option(fw, "name=opt/s,string=hi", &err), 0);
    char path[] = "/tmp/xlat-fwcfg-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, "filedata", 8), 8);
    close(fd);
    char *opt = NULL;
    cr_assert(asprintf(&opt, "name=opt/f,file=%s", path) > 0);
    cr_assert_eq(fw_cfg_add_from_option(fw, opt, &err), 0);
    free(opt);
    unlink(path);
    int k = fw_cfg_find_file(fw, "opt/f");
    cr_assert_geq(k, FW_CFG_FILE_FIRST);
    char buf[9] = {0};
    select_key((uint16_t)k);
    read_port(buf, 8);
    cr_assert_str_eq(buf, "filedata");
    select_key((uint16_t)fw_cfg_find_file(fw, "opt/s"));
    read_port(buf, 3);
    cr_assert_eq(memcmp(buf, "hi\0", 3), 0, "string without NUL");

    static const char *const bad[] = {"string=x",
                                      "name=opt/a",
                                      "name=opt/a,string=1,file=/dev/null",
                                      "name=opt/s,string=dup",
                                      "name=opt/b,file=/nonexistent/x",
                                      "name=opt/a,bogus=1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(fw_cfg_add_from_option(fw, bad[i], &err), -1, "%s",
                     bad[i]);
        cr_assert_not_null(err);
        free(err);
    }
}

static uint32_t rnd(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

Test(fw_cfg, port_and_dma_storm_stays_sane)
{
    fw_cfg_add_file(fw, "opt/blob", "0123456789abcdef", 16);
    uint32_t x = 0xdeadbeef;
    uint8_t *r = mr_ram_ptr(ram);
    for (int i = 0; i < 5000; i++) {
        uint32_t v = rnd(&x);
        /* a random descriptor somewhere in RAM, pointing anywhere */
        uint32_t desc = rnd(&x) % (RAM_SIZE - 16);
        for (int k = 0; k < 16; k += 4) {
            put_be32(r + desc + k, rnd(&x));
        }
        put_be32(r + desc + 4, rnd(&x) % 0x20000); /* keep lengths modest */
        if (v & 1) {
            dma(desc, be32(r + desc), be32(r + desc + 4),
                (uint64_t)be32(r + desc + 8) << 32 | be32(r + desc + 12));
        } else {
            unsigned size = 1u << ((v >> 1) & 3);
            uint16_t port = 0x510 + (uint16_t)((v >> 3) % 12);
            as_st(io, port, rnd(&x), size, MEMATTRS_CPU);
            as_ld(io, port, size, MEMATTRS_CPU, NULL);
        }
    }
    char sig[5] = {0};
    select_key(FW_CFG_SIGNATURE);
    read_port(sig, 4);
    cr_assert_str_eq(sig, "QEMU");
    cr_assert_eq(
        dma(0x10, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 4, 0x20), 0);
    cr_assert_eq(memcmp(r + 0x20, "QEMU", 4), 0);
}
