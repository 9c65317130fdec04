/*
 * Multiboot and format errors: every bad file is one clean line in *err
 * and a failed load. Synthetic ELF32 kernels are built here: one program
 * header, the multiboot header at 0x100, segment data at 0x1000.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "boot_test.h"

#define RAM (32ull << 20)
#define IMG_SIZE 0x3000

static TestMachine tm;

static void setup(void)
{
    tm_init(&tm, RAM);
}

static void teardown(void)
{
    tm_fini(&tm);
}

TestSuite(boot_errors, .init = setup, .fini = teardown, .timeout = 20);

static void mb_header(uint8_t *p, uint32_t flags)
{
    put32(p, 0x1badb002);
    put32(p + 4, flags);
    put32(p + 8, (uint32_t) - (0x1badb002 + flags));
}

/* ELF32 i386, one PT_LOAD of filesz bytes from 0x1000 to paddr */
static void make_elf(uint8_t *img, uint32_t paddr, uint32_t filesz,
                     uint32_t memsz)
{
    memset(img, 0, IMG_SIZE);
    memcpy(img,
           "\x7f"
           "ELF\x01\x01\x01",
           7);
    put16(img + 16, 2); /* ET_EXEC */
    put16(img + 18, 3); /* EM_386 */
    put32(img + 20, 1);
    put32(img + 24, paddr); /* e_entry */
    put32(img + 28, 52);    /* e_phoff */
    put16(img + 40, 52);
    put16(img + 42, 32); /* e_phentsize */
    put16(img + 44, 1);  /* e_phnum */
    uint8_t *ph = img + 52;
    put32(ph, 1);
    put32(ph + 4, 0x1000);
    put32(ph + 8, paddr);
    put32(ph + 12, paddr);
    put32(ph + 16, filesz);
    put32(ph + 20, memsz);
    mb_header(img + 0x100, 0);
    for (uint32_t i = 0x1000; i < IMG_SIZE; i++) {
        img[i] = (uint8_t)i;
    }
}

/* load must fail with a message containing want, and one line */
static void expect_fail(const uint8_t *img, size_t len, const char *want)
{
    char *k = tf_create(img, len), *err = NULL;
    BootInfo bi;
    int ret = boot_load_kernel(tm.as, &tm.map, k, NULL, NULL, &bi, &err);
    cr_assert_eq(ret, -1, "load of a bad kernel succeeded");
    cr_assert_not_null(err);
    cr_assert_not_null(strstr(err, want), "message \"%s\" lacks \"%s\"", err,
                       want);
    cr_assert_null(strchr(err, '\n'), "one line");
    cr_assert_eq(strncmp(err, "-kernel ", 8), 0, "names the option: %s", err);
    free(err);
    tf_remove(k);
}

Test(boot_errors, synthetic_elf_loads)
{
    uint8_t img[IMG_SIZE];
    make_elf(img, 0x300000, 0x800, 0x1000);
    char *k = tf_create(img, sizeof(img)), *err = NULL;
    BootInfo bi;
    cr_assert_eq(boot_load_kernel(tm.as, &tm.map, k, NULL, "", &bi, &err), 0,
                 "%s", err);
    cr_assert_eq(memcmp(tm.mem + 0x300000, img + 0x1000, 0x800), 0);
    cr_assert_eq(bi.rip, 0x300000);
    cr_assert_eq(bi.kernel_end, 0x301000);
    tf_remove(k);
}

Test(boot_errors, unknown_format)
{
    uint8_t junk[4096];
    for (size_t i = 0; i < sizeof(junk); i++) {
        junk[i] = (uint8_t)(i * 13);
    }
    expect_fail(junk, sizeof(junk),
                "not a multiboot kernel or a Linux bzImage");
    expect_fail(junk, 0, "not a multiboot kernel or a Linux bzImage");
}

Test(boot_errors, missing_file)
{
    char *err = NULL;
    BootInfo bi;
    cr_assert_eq(boot_load_kernel(tm.as, &tm.map, "/nonexistent/k", NULL, NULL,
                                  &bi, &err),
                 -1);
    cr_assert_str_eq(err, "-kernel /nonexistent/k: No such file or directory");
    free(err);
}

Test(boot_errors, header_beyond_8k_or_bad_checksum)
{
    uint8_t img[0x4000] = {0};
    mb_header(img + 0x2000, 0); /* first 8 KiB only */
    expect_fail(img, sizeof(img), "not a multiboot kernel");
    memset(img, 0, sizeof(img));
    mb_header(img + 0x200, 0);
    put32(img + 0x208, 0x1234);
    expect_fail(img, sizeof(img), "bad checksum");
}

Test(boot_errors, truncated_elf)
{
    uint8_t img[IMG_SIZE];
    make_elf(img, 0x300000, 0x2800, 0x2800);
    expect_fail(img, IMG_SIZE, "beyond the end of the file");
    make_elf(img, 0x300000, 0x100, 0x100);
    put32(img + 28, 0x200); /* program headers past a 0x210-byte file */
    expect_fail(img, 0x210, "program headers beyond the end");
}

Test(boot_errors, absurd_phnum)
{
    uint8_t img[IMG_SIZE];
    make_elf(img, 0x300000, 0x100, 0x100);
    put16(img + 44, 0xffff);
    expect_fail(img, IMG_SIZE, "e_phnum 65535");
    put16(img + 44, 0);
    expect_fail(img, IMG_SIZE, "e_phnum 0");
}

Test(boot_errors, segment_outside_ram)
{
    uint8_t img[IMG_SIZE];
    make_elf(img, 0xa0000, 0x100, 0x100); /* the VGA hole */
    expect_fail(img, IMG_SIZE, "outside guest RAM");
    make_elf(img, (uint32_t)RAM - 0x800, 0x100, 0x1000); /* bss past RAM */
    expect_fail(img, IMG_SIZE, "outside guest RAM");
    make_elf(img, 0xfffff000, 0x100, 0x2000); /* wraps 4 GiB */
    expect_fail(img, IMG_SIZE, "outside guest RAM");
}

Test(boot_errors, segment_over_info_area)
{
    uint8_t img[IMG_SIZE];
    make_elf(img, 0x9000, 0x100, 0x100);
    expect_fail(img, IMG_SIZE, "overlaps the boot information area");
}

Test(boot_errors, filesz_above_memsz)
{
    uint8_t img[IMG_SIZE];
    make_elf(img, 0x300000, 0x200, 0x100);
    expect_fail(img, IMG_SIZE, "p_filesz 0x200 > p_memsz 0x100");
}

Test(boot_errors, elf64_and_not_elf)
{
    uint8_t img[IMG_SIZE];
    make_elf(img, 0x300000, 0x100, 0x100);
    img[4] = 2;
    expect_fail(img, IMG_SIZE, "must be ELF32");
    memset(img, 0, 4);
    expect_fail(img, IMG_SIZE, "not ELF and has no address fields");
}

Test(boot_errors, unsupported_required_flag)
{
    uint8_t img[IMG_SIZE];
    make_elf(img, 0x300000, 0x100, 0x100);
    mb_header(img + 0x100, 0x8);
    expect_fail(img, IMG_SIZE, "unsupported features (flags 0x8)");
}

Test(boot_errors, aout_truncated)
{
    uint8_t img[0x400] = {0};
    mb_header(img, 0x10000);
    put32(img + 12, 0x200000);
    put32(img + 16, 0x200000);
    put32(img + 20, 0x201000); /* 4 KiB from a 1 KiB file */
    put32(img + 28, 0x200000);
    expect_fail(img, sizeof(img), "file truncated");
    put32(img + 16, 0x200100); /* load_addr above header_addr */
    expect_fail(img, sizeof(img), "does not fit header_addr");
}

Test(boot_errors, module_problems)
{
    uint8_t img[IMG_SIZE];
    make_elf(img, 0x300000, 0x100, 0x100);
    char *k = tf_create(img, sizeof(img)), *err = NULL;
    BootInfo bi;
    cr_assert_eq(boot_load_kernel(tm.as, &tm.map, k, "/nonexistent/m a", NULL,
                                  &bi, &err),
                 -1);
    cr_assert_str_eq(err, "-initrd /nonexistent/m: No such file or directory");
    free(err);
    err = NULL;
    /* a module bigger than the guest's RAM */
    size_t big = RAM + 4096;
    uint8_t *data = calloc(1, big);
    char *m = tf_create(data, big);
    free(data);
    cr_assert_eq(boot_load_kernel(tm.as, &tm.map, k, m, NULL, &bi, &err), -1);
    cr_assert_not_null(strstr(err, "do not fit in guest RAM"), "%s", err);
    free(err);
    /* too many modules */
    char spec[65 * 3 + 1] = "";
    for (int i = 0; i < 65; i++) {
        strcat(spec, "m,");
    }
    err = NULL;
    cr_assert_eq(boot_load_kernel(tm.as, &tm.map, k, spec, NULL, &bi, &err),
                 -1);
    cr_assert_not_null(strstr(err, "more than 64 multiboot modules"), "%s",
                       err);
    free(err);
    tf_remove(m);
    tf_remove(k);
}

Test(boot_errors, cmdline_too_long_for_info_area)
{
    uint8_t img[IMG_SIZE];
    make_elf(img, 0x300000, 0x100, 0x100);
    char *k = tf_create(img, sizeof(img)), *err = NULL;
    char *line = malloc(0x8000);
    memset(line, 'x', 0x7fff);
    line[0x7fff] = '\0';
    BootInfo bi;
    cr_assert_eq(boot_load_kernel(tm.as, &tm.map, k, NULL, line, &bi, &err),
                 -1);
    cr_assert_not_null(strstr(err, "multiboot information area"), "%s", err);
    free(err);
    free(line);
    tf_remove(k);
}
