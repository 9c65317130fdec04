/*
 * Multiboot 1 loading: the real test kernels from tests/guest (ELF32, found
 * through XLAT_GUEST_ELF_DIR) land segment by segment with their bss
 * zeroed; the info structure (flags, mem_lower/upper, cmdline, mmap with
 * size-prefixed entries, modules, loader name), the entry state and the GDT
 * the loader wrote; and an a.out-kludge kernel built here.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot_test.h"

#define RAM (64ull << 20)
#define MB_INFO 0x9000

static TestMachine tm;

static void setup(void)
{
    tm_init(&tm, RAM);
}

static void teardown(void)
{
    tm_fini(&tm);
}

TestSuite(multiboot, .init = setup, .fini = teardown, .timeout = 20);

/* path of a built test kernel, or skip */
static char *guest_elf(const char *name)
{
    const char *dir = getenv("XLAT_GUEST_ELF_DIR");
    char *path = NULL;
    if (dir) {
        path = xasprintf("%s/%s.elf", dir, name);
        FILE *f = fopen(path, "rb");
        if (f) {
            fclose(f);
            return path;
        }
    }
    cr_skip_test("test kernel %s.elf not built (XLAT_GUEST_ELF_DIR=%s)", name,
                 dir ? dir : "unset");
    return NULL;
}

static void load_ok(const char *kernel, const char *initrd, const char *cmdline,
                    BootInfo *bi)
{
    char *err = NULL;
    int ret =
        boot_load_kernel(tm.as, &tm.map, kernel, initrd, cmdline, bi, &err);
    cr_assert_eq(ret, 0, "load failed: %s", err ? err : "(no message)");
    cr_assert_null(err);
}

/* every PT_LOAD segment of the file is in RAM at p_paddr, bss zeroed */
static void check_segments(const uint8_t *elf, size_t len)
{
    uint32_t phoff = get32(elf + 28);
    unsigned phnum = get16(elf + 44), phentsize = get16(elf + 42);
    unsigned loads = 0;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = elf + phoff + i * phentsize;
        if (get32(ph) != 1) {
            continue;
        }
        uint32_t off = get32(ph + 4), pa = get32(ph + 12);
        uint32_t filesz = get32(ph + 16), memsz = get32(ph + 20);
        cr_assert_leq(off + filesz, len);
        cr_assert_eq(memcmp(tm.mem + pa, elf + off, filesz), 0,
                     "segment %u bytes at 0x%x", i, pa);
        for (uint32_t j = filesz; j < memsz; j++) {
            cr_assert_eq(tm.mem[pa + j], 0, "bss byte at 0x%x", pa + j);
        }
        loads++;
    }
    cr_assert_gt(loads, 0);
}

/* load one test kernel and check segments, bss and the entry state */
static void check_guest_kernel(const char *name)
{
    char *path = guest_elf(name);
    size_t len = 0;
    uint8_t *elf = tf_read(path, &len);
    /* garbage where bss goes, so the zero fill is visible */
    memset(tm.mem + 0x100000, 0xa5, 4 << 20);
    BootInfo bi;
    load_ok(path, NULL, "console=ttyS0", &bi);
    check_segments(elf, len);
    cr_assert_eq(bi.kind, BOOT_KIND_MULTIBOOT);
    cr_assert_eq(bi.mode, BOOT_MODE_PROT32);
    cr_assert_eq(bi.rip, get32(elf + 24), "entry is e_entry");
    cr_assert_eq(bi.rax, 0x2badb002);
    cr_assert_eq(bi.rbx, MB_INFO);
    cr_assert_eq(bi.cr0 & 0x80000001, 1, "PE on, paging off");
    cr_assert_eq(bi.rflags & 0x200, 0, "interrupts off");
    cr_assert_geq(bi.kernel_start, 0x100000);
    free(elf);
    free(path);
}

Test(multiboot, guest_hello)
{
    check_guest_kernel("hello");
}

Test(multiboot, guest_arith)
{
    check_guest_kernel("arith");
}

Test(multiboot, guest_exceptions)
{
    check_guest_kernel("exceptions");
}

Test(multiboot, info_structure)
{
    char *path = guest_elf("hello");
    BootInfo bi;
    load_ok(path, NULL, "a=1 b=2", &bi);
    uint32_t flags = tm_ld32(&tm, MB_INFO);
    cr_assert_eq(flags & 0x245, 0x245, "mem, cmdline, mmap, name: 0x%x", flags);
    cr_assert_eq(flags & 0x8, 0, "no modules without -initrd");
    cr_assert_eq(tm_ld32(&tm, MB_INFO + 4), 0x9fc00 / 1024, "mem_lower");
    cr_assert_eq(tm_ld32(&tm, MB_INFO + 8), (RAM - 0x100000) / 1024,
                 "mem_upper");
    char *want = xasprintf("%s a=1 b=2", path);
    cr_assert_str_eq(tm_str(&tm, tm_ld32(&tm, MB_INFO + 16)), want);
    cr_assert_eq(bi.cmdline_addr, tm_ld32(&tm, MB_INFO + 16));
    cr_assert_str_eq(tm_str(&tm, tm_ld32(&tm, MB_INFO + 64)), "xlat");
    free(want);
    free(path);
}

Test(multiboot, mmap_entries)
{
    char *path = guest_elf("hello");
    BootInfo bi;
    load_ok(path, NULL, NULL, &bi);
    uint32_t len = tm_ld32(&tm, MB_INFO + 44),
             addr = tm_ld32(&tm, MB_INFO + 48);
    cr_assert_eq(len, tm.map.n * 24);
    for (unsigned i = 0; i < tm.map.n; i++) {
        uint64_t e = addr + i * 24;
        cr_assert_eq(tm_ld32(&tm, e), 20, "size field");
        cr_assert_eq(tm_ld64(&tm, e + 4), tm.map.ranges[i].addr);
        cr_assert_eq(tm_ld64(&tm, e + 12), tm.map.ranges[i].size);
        cr_assert_eq(tm_ld32(&tm, e + 20), tm.map.ranges[i].type);
    }
    /* the cmdline is the path alone without -append */
    cr_assert_str_eq(tm_str(&tm, tm_ld32(&tm, MB_INFO + 16)), path);
    free(path);
}

Test(multiboot, modules)
{
    char *path = guest_elf("hello");
    uint8_t a[5000], b[3] = {7, 8, 9};
    for (size_t i = 0; i < sizeof(a); i++) {
        a[i] = (uint8_t)(i * 7 + 1);
    }
    char *fa = tf_create(a, sizeof(a)), *fb = tf_create(b, sizeof(b));
    char *spec = xasprintf("%s arg1 x,,y,%s,", fa, fb); /* empty: skipped */
    BootInfo bi;
    load_ok(path, spec, NULL, &bi);
    cr_assert(tm_ld32(&tm, MB_INFO) & 0x8, "mods flag");
    cr_assert_eq(tm_ld32(&tm, MB_INFO + 20), 2, "mods_count");
    uint32_t list = tm_ld32(&tm, MB_INFO + 24);
    uint32_t s0 = tm_ld32(&tm, list), e0 = tm_ld32(&tm, list + 4);
    uint32_t s1 = tm_ld32(&tm, list + 16), e1 = tm_ld32(&tm, list + 20);
    cr_assert_eq(s0 % 4096, 0);
    cr_assert_eq(s1 % 4096, 0);
    cr_assert_geq(s0, bi.kernel_end, "modules follow the kernel");
    cr_assert_geq(s1, e0);
    cr_assert_eq(e0 - s0, sizeof(a));
    cr_assert_eq(e1 - s1, sizeof(b));
    cr_assert_eq(memcmp(tm.mem + s0, a, sizeof(a)), 0);
    cr_assert_eq(memcmp(tm.mem + s1, b, sizeof(b)), 0);
    char *str0 = xasprintf("%s arg1 x,y", fa);
    cr_assert_str_eq(tm_str(&tm, tm_ld32(&tm, list + 8)), str0);
    cr_assert_str_eq(tm_str(&tm, tm_ld32(&tm, list + 24)), fb);
    cr_assert_eq(bi.n_modules, 2);
    cr_assert_eq(bi.initrd_addr, s0);
    free(str0);
    free(spec);
    tf_remove(fa);
    tf_remove(fb);
    free(path);
}

/* the GDT in guest memory: flat 32-bit code at 0x10, data at 0x18 */
Test(multiboot, gdt_and_segments)
{
    char *path = guest_elf("hello");
    BootInfo bi;
    load_ok(path, NULL, NULL, &bi);
    cr_assert_eq(bi.gdt_limit, 31);
    cr_assert_eq(tm_ld64(&tm, bi.gdt_base + bi.cs.selector),
                 0x00cf9b000000ffffull);
    cr_assert_eq(tm_ld64(&tm, bi.gdt_base + bi.ds.selector),
                 0x00cf93000000ffffull);
    cr_assert_eq(bi.cs.limit, 0xffffffff);
    cr_assert_eq(bi.cs.base, 0);
    cr_assert_eq(bi.cs.attr & 0x6000, 0x4000, "D set, L clear");
    cr_assert_eq(bi.cr3, 0);
    free(path);
}

/* a.out kludge: header at file offset 0x40, text loaded at 0x200000 */
Test(multiboot, aout_kludge)
{
    uint8_t img[0x2000] = {0};
    uint32_t flags = 0x10003, load = 0x200000;
    put32(img + 0x40, 0x1badb002);
    put32(img + 0x44, flags);
    put32(img + 0x48, (uint32_t) - (0x1badb002 + flags));
    put32(img + 0x4c, load + 0x40);   /* header_addr */
    put32(img + 0x50, load);          /* load_addr: file offset 0 */
    put32(img + 0x54, load + 0x1800); /* load_end_addr */
    put32(img + 0x58, load + 0x3000); /* bss_end_addr */
    put32(img + 0x5c, load + 0x100);  /* entry_addr */
    for (size_t i = 0x100; i < sizeof(img); i++) {
        img[i] = (uint8_t)(i ^ 0x5a);
    }
    char *k = tf_create(img, sizeof(img));
    memset(tm.mem + load, 0xee, 0x4000);
    BootInfo bi;
    load_ok(k, NULL, NULL, &bi);
    cr_assert_eq(bi.rip, load + 0x100);
    cr_assert_eq(memcmp(tm.mem + load, img, 0x1800), 0);
    for (uint32_t i = 0x1800; i < 0x3000; i++) {
        cr_assert_eq(tm.mem[load + i], 0, "bss at +0x%x", i);
    }
    cr_assert_eq(tm.mem[load + 0x3000], 0xee, "nothing past bss_end");
    cr_assert_eq(bi.kernel_start, load);
    cr_assert_eq(bi.kernel_end, load + 0x3000);
    tf_remove(k);
}
