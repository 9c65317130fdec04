/*
 * Linux boot protocol: a synthetic bzImage (setup header + payload pattern)
 * checks the zero page fields (copied header, type_of_loader, heap,
 * cmd_line_ptr, ramdisk placement under initrd_addr_max, e820 table,
 * vid_mode, code32_start), pref_address relocation, the 64-bit entry with
 * its identity page tables, and each malformed-input error. The real
 * Debian kernel (/tmp/guest/vmlinuz or XLAT_TEST_VMLINUZ) loads when present.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "boot_test.h"

#define RAM (128ull << 20)
#define PAYLOAD 0x3000

static TestMachine tm;

static void setup(void)
{
    tm_init(&tm, RAM);
}

static void teardown(void)
{
    tm_fini(&tm);
}

TestSuite(linux_boot, .init = setup, .fini = teardown, .timeout = 20);

typedef struct FakeBz {
    uint8_t img[(256 + 1) * 512 + PAYLOAD];
    size_t len;
    size_t setup; /* bytes before the payload */
} FakeBz;

static void bz_set_sects(FakeBz *bz, unsigned sects)
{
    bz->img[0x1f1] = (uint8_t)sects;
    bz->setup = ((sects ? sects : 4) + 1) * 512;
    bz->len = bz->setup + PAYLOAD;
    for (size_t i = 0; i < PAYLOAD; i++) {
        bz->img[bz->setup + i] = (uint8_t)(i * 31 + 7);
    }
}

/* protocol 2.15, relocatable, 64-bit capable, pref_address 16 MiB */
static FakeBz *make_bz(unsigned sects)
{
    FakeBz *bz = calloc(1, sizeof(*bz));
    uint8_t *h = bz->img;
    put16(h + 0x1fe, 0xaa55);
    h[0x201] = 0x6a; /* header ends at 0x26c */
    memcpy(h + 0x202, "HdrS", 4);
    put16(h + 0x206, 0x020f);
    put16(h + 0x20e, 0x1234); /* kernel_version: copied as is */
    h[0x211] = 0x01;          /* LOADED_HIGH */
    put16(h + 0x212, 0x8000);
    put32(h + 0x214, 0x100000);
    put32(h + 0x22c, 0x7fffffff);
    put32(h + 0x230, 0x200000);
    h[0x234] = 1;
    put16(h + 0x236, 0x1); /* XLF_KERNEL_64 */
    put32(h + 0x238, 0x7ff);
    put64(h + 0x258, 0x1000000);
    put32(h + 0x260, 0x400000);
    bz_set_sects(bz, sects);
    return bz;
}

static int load_bz(FakeBz *bz, const char *initrd, const char *cmdline,
                   unsigned flags, BootInfo *bi, char **err)
{
    char *k = tf_create(bz->img, bz->len);
    *err = NULL;
    int ret = boot_load_kernel_flags(tm.as, &tm.map, k, initrd, cmdline, flags,
                                     bi, err);
    tf_remove(k);
    return ret;
}

static void expect_fail(FakeBz *bz, const char *initrd, const char *cmdline,
                        unsigned flags, const char *want)
{
    BootInfo bi;
    char *err;
    cr_assert_eq(load_bz(bz, initrd, cmdline, flags, &bi, &err), -1);
    cr_assert_not_null(err);
    cr_assert_not_null(strstr(err, want), "\"%s\" lacks \"%s\"", err, want);
    cr_assert_null(strchr(err, '\n'));
    free(err);
}

static uint8_t *pattern(size_t len, unsigned seed)
{
    uint8_t *p = malloc(len);
    for (size_t i = 0; i < len; i++) {
        p[i] = (uint8_t)(i * seed + (i >> 8));
    }
    return p;
}

Test(linux_boot, zero_page_fields)
{
    FakeBz *bz = make_bz(4);
    size_t ilen = 10000;
    uint8_t *idata = pattern(ilen, 11);
    char *initrd = tf_create(idata, ilen), *err;
    BootInfo bi;
    cr_assert_eq(load_bz(bz, initrd, "console=ttyS0 vga=0x317", 0, &bi, &err),
                 0, "%s", err);
    const uint8_t *zp = tm.mem + bi.info_addr;
    cr_assert_eq(memcmp(zp + 0x202, "HdrS", 4), 0);
    cr_assert_eq(get16(zp + 0x206), 0x020f);
    cr_assert_eq(get16(zp + 0x20e), 0x1234, "header copied");
    cr_assert_eq(get16(zp + 0x212), 0x8000, "header copied");
    cr_assert_eq(zp[0x210], 0xff, "type_of_loader");
    cr_assert_eq(zp[0x211], 0x81, "LOADED_HIGH | CAN_USE_HEAP");
    cr_assert_eq(get16(zp + 0x224), 0xde00, "heap_end_ptr");
    cr_assert_eq(get16(zp + 0x1fa), 0x317, "vid_mode from vga=");
    cr_assert_str_eq(tm_str(&tm, get32(zp + 0x228)), "console=ttyS0 vga=0x317");
    cr_assert_eq(bi.cmdline_addr, get32(zp + 0x228));
    /* initrd at the top of RAM, page aligned */
    uint32_t rd = get32(zp + 0x218);
    cr_assert_eq(rd, (RAM - ilen) & ~0xfffull);
    cr_assert_eq(get32(zp + 0x21c), ilen);
    cr_assert_eq(memcmp(tm.mem + rd, idata, ilen), 0);
    cr_assert_eq(bi.initrd_addr, rd);
    /* e820 */
    cr_assert_eq(zp[0x1e8], tm.map.n);
    for (unsigned i = 0; i < tm.map.n; i++) {
        const uint8_t *row = zp + 0x2d0 + i * 20;
        cr_assert_eq(get32(row) | (uint64_t)get32(row + 4) << 32,
                     tm.map.ranges[i].addr);
        cr_assert_eq(get32(row + 8) | (uint64_t)get32(row + 12) << 32,
                     tm.map.ranges[i].size);
        cr_assert_eq(get32(row + 16), tm.map.ranges[i].type);
    }
    cr_assert_eq(zp[0x1ef], 0, "sentinel stays 0");
    free(idata);
    tf_remove(initrd);
    free(bz);
}

Test(linux_boot, entry_state_32bit)
{
    FakeBz *bz = make_bz(4);
    BootInfo bi;
    char *err;
    cr_assert_eq(load_bz(bz, NULL, NULL, 0, &bi, &err), 0, "%s", err);
    const uint8_t *zp = tm.mem + bi.info_addr;
    /* relocatable, fits: loaded at pref_address, code32_start follows */
    cr_assert_eq(bi.kernel_start, 0x1000000);
    cr_assert_eq(memcmp(tm.mem + 0x1000000, bz->img + bz->setup, PAYLOAD), 0);
    cr_assert_eq(get32(zp + 0x214), 0x1000000);
    cr_assert_eq(bi.rip, 0x1000000);
    cr_assert_eq(bi.mode, BOOT_MODE_PROT32);
    cr_assert_eq(bi.kind, BOOT_KIND_LINUX);
    cr_assert_eq(bi.rsi, bi.info_addr);
    cr_assert_eq(bi.rbx | bi.rdi | bi.rbp, 0);
    cr_assert_eq(bi.cs.selector, 0x10);
    cr_assert_eq(bi.ds.selector, 0x18);
    cr_assert_eq(bi.rflags & 0x200, 0);
    cr_assert_eq(tm_ld64(&tm, bi.gdt_base + 0x10), 0x00cf9b000000ffffull);
    cr_assert_eq(tm_ld64(&tm, bi.gdt_base + 0x18), 0x00cf93000000ffffull);
    cr_assert_eq(bi.cr0 & 0x80000001, 1);
    cr_assert_eq(bi.linux_version, 0x020f);
    cr_assert_eq(get32(zp + 0x228), bi.cmdline_addr);
    cr_assert_str_eq(tm_str(&tm, bi.cmdline_addr), "");
    cr_assert_eq(get32(zp + 0x218), 0, "no initrd");
    free(bz);
}

Test(linux_boot, not_relocatable_and_setup_sects_zero)
{
    FakeBz *bz = make_bz(0); /* 0 means 4 */
    bz->img[0x234] = 0;
    put32(bz->img + 0x214, 0x100000);
    BootInfo bi;
    char *err;
    cr_assert_eq(bz->setup, 5 * 512);
    cr_assert_eq(load_bz(bz, NULL, NULL, 0, &bi, &err), 0, "%s", err);
    cr_assert_eq(bi.kernel_start, 0x100000);
    cr_assert_eq(memcmp(tm.mem + 0x100000, bz->img + bz->setup, PAYLOAD), 0);
    cr_assert_eq(bi.rip, 0x100000);
    free(bz);
}

Test(linux_boot, pref_address_too_big_falls_back)
{
    FakeBz *bz = make_bz(8);
    put32(bz->img + 0x260, 0x7800000); /* 16 MiB + 120 MiB > 128 MiB */
    BootInfo bi;
    char *err;
    cr_assert_eq(load_bz(bz, NULL, NULL, 0, &bi, &err), 0, "%s", err);
    cr_assert_eq(bi.kernel_start, 0x100000);
    cr_assert_eq(memcmp(tm.mem + 0x100000, bz->img + 9 * 512, PAYLOAD), 0);
    free(bz);
}

Test(linux_boot, initrd_below_initrd_addr_max)
{
    FakeBz *bz = make_bz(4);
    put32(bz->img + 0x22c, 0x3ffffff); /* last byte below 64 MiB */
    size_t ilen = 0x12345;
    uint8_t *idata = pattern(ilen, 3);
    char *initrd = tf_create(idata, ilen), *err;
    BootInfo bi;
    cr_assert_eq(load_bz(bz, initrd, NULL, 0, &bi, &err), 0, "%s", err);
    cr_assert_eq(bi.initrd_addr, (0x4000000 - ilen) & ~0xfffull);
    cr_assert_leq(bi.initrd_addr + ilen, 0x4000000);
    cr_assert_eq(memcmp(tm.mem + bi.initrd_addr, idata, ilen), 0);
    free(idata);
    tf_remove(initrd);
    free(bz);
}

Test(linux_boot, entry_64bit)
{
    FakeBz *bz = make_bz(4);
    BootInfo bi;
    char *err;
    cr_assert_eq(load_bz(bz, NULL, "x", BOOT_LINUX_64, &bi, &err), 0, "%s",
                 err);
    cr_assert_eq(bi.mode, BOOT_MODE_LONG64);
    cr_assert_eq(bi.rip, bi.kernel_start + 0x200);
    cr_assert_eq(bi.rsi, bi.info_addr);
    cr_assert_eq(bi.cs.attr & 0x6000, 0x2000, "L set, D clear");
    cr_assert_eq(tm_ld64(&tm, bi.gdt_base + 0x10), 0x00af9b000000ffffull);
    cr_assert_eq(bi.cr0 & 0x80000001, 0x80000001);
    cr_assert_eq(bi.cr4 & 0x20, 0x20, "PAE");
    cr_assert_eq(bi.efer & 0x500, 0x500, "LME | LMA");
    /* walk the identity map for a few addresses up to 4 GiB - 1 */
    static const uint64_t probes[] = {0, 0x1000200, 0x7fffffff, 0xc0000000,
                                      0xffffffff};
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        uint64_t va = probes[i];
        uint64_t pml4e = tm_ld64(&tm, bi.cr3 + ((va >> 39) & 511) * 8);
        cr_assert_eq(pml4e & 1, 1);
        uint64_t pdpte =
            tm_ld64(&tm, (pml4e & ~0xfffull) + ((va >> 30) & 511) * 8);
        cr_assert_eq(pdpte & 0x81, 1, "present, not a 1 GiB page");
        uint64_t pde =
            tm_ld64(&tm, (pdpte & ~0xfffull) + ((va >> 21) & 511) * 8);
        cr_assert_eq(pde & 0x83, 0x83, "present, writable, 2 MiB");
        cr_assert_eq((pde & ~0x1fffffull) | (va & 0x1fffff), va,
                     "identity at 0x%llx", (unsigned long long)va);
    }
    free(bz);
}

Test(linux_boot, errors)
{
    FakeBz *bz = make_bz(4);
    put16(bz->img + 0x206, 0x0204);
    expect_fail(bz, NULL, NULL, 0, "2.04 is too old (xlat needs 2.06");
    free(bz);

    bz = make_bz(4);
    put16(bz->img + 0x236, 0);
    expect_fail(bz, NULL, NULL, BOOT_LINUX_64, "XLF_KERNEL_64");
    free(bz);

    bz = make_bz(4);
    put32(bz->img + 0x238, 16);
    expect_fail(bz, NULL, "0123456789abcdefg", 0, "cmdline_size");
    free(bz);

    bz = make_bz(4);
    bz->img[0x211] = 0;
    expect_fail(bz, NULL, NULL, 0, "zImage");
    free(bz);

    bz = make_bz(4);
    put16(bz->img + 0x1fe, 0);
    expect_fail(bz, NULL, NULL, 0, "boot_flag");
    free(bz);
}

Test(linux_boot, truncated_images)
{
    FakeBz *bz = make_bz(255); /* setup_sects huge for the file */
    bz->len = 0x2000;
    expect_fail(bz, NULL, NULL, 0, "setup_sects 255): truncated");
    bz->len = 0x206; /* ends right after "HdrS" */
    expect_fail(bz, NULL, NULL, 0, "setup header truncated");
    bz_set_sects(bz, 4);
    bz->len = bz->setup; /* no payload at all */
    expect_fail(bz, NULL, NULL, 0, "truncated");
    free(bz);
}

Test(linux_boot, initrd_too_big)
{
    FakeBz *bz = make_bz(4);
    size_t big = RAM + 1;
    uint8_t *data = calloc(1, big);
    char *initrd = tf_create(data, big);
    free(data);
    expect_fail(bz, initrd, NULL, 0, "do not fit in guest RAM");
    tf_remove(initrd);
    /* fits in RAM, not between the kernel and initrd_addr_max */
    put32(bz->img + 0x22c, 0x17fffff);
    data = calloc(1, 0x600000);
    initrd = tf_create(data, 0x600000);
    free(data);
    expect_fail(bz, initrd, NULL, 0, "initrd_addr_max 0x17fffff");
    tf_remove(initrd);
    free(bz);
}

static char *real_file(const char *env, const char *dflt)
{
    const char *p = getenv(env);
    p = p && *p ? p : dflt;
    FILE *f = fopen(p, "rb");
    if (!f) {
        return NULL;
    }
    fclose(f);
    return strdup(p);
}

static void real_kernel(unsigned flags)
{
    char *k = real_file("XLAT_TEST_VMLINUZ", "/tmp/guest/vmlinuz");
    if (!k) {
        cr_skip_test("no real kernel: run tools/mkguest.sh /tmp/guest or set "
                     "XLAT_TEST_VMLINUZ");
    }
    char *rd = real_file("XLAT_TEST_INITRD", "/tmp/guest/initramfs.cpio.gz");
    TestMachine big;
    tm_init(&big, 256ull << 20);
    size_t len = 0;
    uint8_t *img = tf_read(k, &len);
    unsigned sects = img[0x1f1] ? img[0x1f1] : 4;
    size_t setup = (sects + 1) * 512;
    BootInfo bi;
    char *err = NULL;
    int ret = boot_load_kernel_flags(big.as, &big.map, k, rd, "console=ttyS0",
                                     flags, &bi, &err);
    cr_assert_eq(ret, 0, "%s", err);
    cr_assert_geq(bi.linux_version, 0x0206);
    cr_assert_eq(bi.linux_version, get16(img + 0x206));
    cr_assert_eq(memcmp(big.mem + bi.kernel_start, img + setup, len - setup), 0,
                 "protected-mode kernel in RAM");
    cr_assert_eq(bi.kernel_end - bi.kernel_start, len - setup);
    if (rd) {
        cr_assert_gt(bi.initrd_size, 0);
        cr_assert_eq(bi.initrd_addr % 4096, 0);
        cr_assert_geq(bi.initrd_addr, bi.kernel_start + get32(img + 0x260),
                      "initrd above init_size");
    }
    if (flags & BOOT_LINUX_64) {
        cr_assert_eq(bi.rip, bi.kernel_start + 0x200);
    } else {
        cr_assert_eq(bi.rip, bi.kernel_start);
    }
    free(img);
    free(rd);
    free(k);
    tm_fini(&big);
}

Test(linux_boot, real_vmlinuz_32bit)
{
    real_kernel(0);
}

Test(linux_boot, real_vmlinuz_64bit)
{
    real_kernel(BOOT_LINUX_64);
}
