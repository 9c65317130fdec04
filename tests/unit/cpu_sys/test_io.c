/*
 * Port I/O (IN/OUT with imm8 and DX ports) on the tiny machine with an
 * I/O address space, both backends: sizes, all-ones from an empty port,
 * and the protection rules: CPL > IOPL asks the TSS's I/O permission
 * bitmap, whose set bits (and the TSS limit) raise #GP(0).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tiny_machine.h"

#define TSS 0x61000ull

static TinyMachine m;
static MemRegion *io_root, *dev;
static AddrSpace *io_as;
static uint64_t last_val, last_addr;
static unsigned last_size, writes;

static uint64_t dev_read(void *opaque, uint64_t addr, unsigned size)
{
    (void)opaque;
    return 0xa1b2c3d4u >> (8 * addr);
}

static void dev_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    (void)opaque;
    last_addr = addr;
    last_val = val;
    last_size = size;
    writes++;
}

static const MemOps dev_ops = {
    .read = dev_read,
    .write = dev_write,
    .valid = {.min = 1, .max = 4},
    .impl = {.min = 1, .max = 4},
};

static void setup(size_t b, unsigned cpl)
{
    tm_new(&m, tm_backends[b], cpl, 0);
    io_root = mr_new_container("io", 0x10000);
    dev = mr_new_io("dev", 4, &dev_ops, NULL);
    mr_add_subregion(io_root, 0x80, dev, 0);
    io_as = as_new("I/O", io_root);
    m.env->io_as = io_as;
    writes = 0;
}

static void teardown(void)
{
    m.env->io_as = NULL;
    as_free(io_as);
    mr_free_tree(io_root);
    tm_free(&m);
}

#define RUN(...)                                                               \
    ({                                                                         \
        static const uint8_t c_[] = {__VA_ARGS__};                             \
        tm_run(&m, c_, sizeof(c_));                                            \
    })

Test(io, in_and_out_reach_the_port)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b, 0);
        m.env->regs[R_EAX] = 0x5a;
        cr_assert_eq(RUN(0xe6, 0x80), 3); /* out 0x80, al */
        cr_assert_eq(writes, 1);
        cr_assert_eq(last_val, 0x5a);
        cr_assert_eq(last_size, 1);
        m.env->regs[R_EAX] = 0x11223344;
        m.env->regs[R_EDX] = 0x80;
        cr_assert_eq(RUN(0xef), 3); /* out dx, eax */
        cr_assert_eq(last_val, 0x11223344);
        cr_assert_eq(last_size, 4);
        m.env->regs[R_EAX] = ~0ull;
        cr_assert_eq(RUN(0xe4, 0x80), 3); /* in al, 0x80 */
        cr_assert_eq(m.env->regs[R_EAX], 0xffffffffffffffd4ull,
                     "only AL changes");
        cr_assert_eq(RUN(0xed), 3); /* in eax, dx */
        cr_assert_eq(m.env->regs[R_EAX], 0xa1b2c3d4u, "zero-extended");
        m.env->regs[R_EDX] = 0x9000;
        cr_assert_eq(RUN(0x66, 0xed), 3); /* in ax, dx: nothing there */
        cr_assert_eq(m.env->regs[R_EAX] & 0xffff, 0xffff);
        teardown();
    }
}

/* a TSS at TSS with the bitmap at +0x68: port 0x80 allowed, 0x81 not */
static void tss(uint32_t limit)
{
    memset(m.mem + TSS, 0xff, 0x200);
    memset(m.mem + TSS, 0, 0x68);
    uint16_t off = 0x68;
    memcpy(m.mem + TSS + 0x66, &off, 2);
    m.mem[TSS + 0x68 + 0x80 / 8] = 0xfe; /* bit 0: port 0x80 */
    m.env->tr.base = TSS;
    m.env->tr.limit = limit;
    m.env->tr.attr = SEG_AR_P | 0xb; /* busy 64-bit TSS */
}

Test(io, the_io_bitmap_decides_above_iopl)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b, 3);
        m.env->tr.attr = SEG_AR_UNUSABLE;
        cr_assert_eq(RUN(0xe6, 0x80), 13, "no TSS");
        cr_assert_eq(m.env->error_code, 0);
        tss(0x1ff);
        cr_assert_eq(RUN(0xe6, 0x80), 3, "port 0x80 allowed");
        cr_assert_eq(writes, 1);
        cr_assert_eq(RUN(0xe6, 0x81), 13, "port 0x81 is not");
        m.env->regs[R_EDX] = 0x80;
        cr_assert_eq(RUN(0x66, 0xef), 13, "a 2-byte access covers 0x81");
        tss(0x68 + 0x80 / 8 - 1);
        cr_assert_eq(RUN(0xe6, 0x80), 13, "bitmap beyond the TSS limit");
        /* IOPL 3: no bitmap needed */
        m.env->eflags |= 3u << 12;
        cpu_update_hflags(m.env);
        cr_assert_eq(RUN(0xe6, 0x81), 3);
        teardown();
    }
}
