/*
 * Accesses: MMIO dispatch fitted to .valid and .impl (the exact callback
 * calls are recorded), access splitting for every size and odd lengths,
 * unassigned addresses, ROM, ROM devices in and out of romd mode,
 * wrap-around at the top of the address space, and guest-error logging.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <unistd.h>

#include "memtest.h"
#include "util/log.h"

static MemRegion *root;
static AddrSpace *as;
static RecDev dev;

#define DEV_BASE 0x10000

static void setup(void)
{
    root = mr_new_container("root", UINT64_MAX);
    as = as_new("memory", root);
}

static void teardown(void)
{
    as_free(as);
    mr_free_tree(root);
}

TestSuite(access, .init = setup, .fini = teardown, .timeout = 10);

static void map_dev(unsigned vmin, unsigned vmax, bool vun, unsigned imin,
                    unsigned imax, bool iun)
{
    rec_init(&dev, vmin, vmax, vun, imin, imax, iun);
    mr_add_subregion(root, DEV_BASE,
                     mr_new_io("dev", REC_BYTES, &dev.ops, &dev), 0);
}

/* ---- every size against an exact-fit device ---- */

typedef struct SizeCase {
    unsigned size;
    uint64_t off;
} SizeCase;

ParameterizedTestParameters(access, every_size_one_call)
{
    static SizeCase cases[] = {
        {1, 0}, {1, 5}, {2, 0}, {2, 6}, {4, 0}, {4, 12}, {8, 0}, {8, 24},
    };
    return cr_make_param_array(SizeCase, cases, ARRAY_LEN(cases));
}

ParameterizedTest(SizeCase *c, access, every_size_one_call)
{
    map_dev(1, 8, false, 1, 8, false);
    MemTxResult res;
    uint64_t v = as_ld(as, DEV_BASE + c->off, c->size, MEMATTRS_CPU, &res);
    cr_assert_eq(res, MEMTX_OK);
    cr_assert_eq(v, pattern_val(c->off, c->size));
    cr_assert_eq(dev.n, 1);
    ASSERT_CALL(&dev, 0, false, c->off, c->size);
    uint64_t w = 0x1122334455667788ull & MASK(c->size * 8);
    cr_assert_eq(as_st(as, DEV_BASE + c->off, w, c->size, MEMATTRS_CPU),
                 MEMTX_OK);
    cr_assert_eq(dev.n, 2);
    ASSERT_CALL(&dev, 1, true, c->off, c->size);
    cr_assert_eq(dev.calls[1].val, w);
}

/* ---- .impl narrower or wider than the access ---- */

Test(access, wide_access_split_to_impl_max)
{
    map_dev(1, 8, false, 1, 4, false);
    uint64_t v = as_ld(as, DEV_BASE + 8, 8, MEMATTRS_CPU, NULL);
    cr_assert_eq(v, pattern_val(8, 8));
    cr_assert_eq(dev.n, 2);
    ASSERT_CALL(&dev, 0, false, 8, 4);
    ASSERT_CALL(&dev, 1, false, 12, 4);
    as_st64(as, DEV_BASE + 16, 0x0102030405060708ull);
    cr_assert_eq(dev.n, 4);
    ASSERT_CALL(&dev, 2, true, 16, 4);
    cr_assert_eq(dev.calls[2].val, 0x05060708);
    ASSERT_CALL(&dev, 3, true, 20, 4);
    cr_assert_eq(dev.calls[3].val, 0x01020304);
}

Test(access, narrow_access_widened_to_impl_min)
{
    map_dev(1, 4, false, 4, 4, false);
    cr_assert_eq(as_ld8(as, DEV_BASE + 6), pattern_byte(6));
    cr_assert_eq(dev.n, 1);
    ASSERT_CALL(&dev, 0, false, 4, 4);
    /* a byte write is a read-modify-write of the whole register */
    as_st8(as, DEV_BASE + 6, 0x5a);
    cr_assert_eq(dev.n, 3);
    ASSERT_CALL(&dev, 1, false, 4, 4);
    ASSERT_CALL(&dev, 2, true, 4, 4);
    uint64_t expect = (pattern_val(4, 4) & ~0xff0000ull) | 0x5a0000;
    cr_assert_eq(dev.calls[2].val, expect);
    cr_assert_eq(as_ld16(as, DEV_BASE + 6), 0x5a | pattern_byte(7) << 8);
}

Test(access, outside_valid_is_guest_error)
{
    map_dev(2, 4, false, 1, 4, false);
    MemTxResult res;
    uint64_t v = as_ld(as, DEV_BASE, 8, MEMATTRS_CPU, &res);
    cr_assert_eq(v, UINT64_MAX);
    cr_assert_eq(res, MEMTX_DECODE_ERROR);
    v = as_ld(as, DEV_BASE, 1, MEMATTRS_CPU, &res);
    cr_assert_eq(v, 0xff);
    cr_assert_eq(res, MEMTX_DECODE_ERROR);
    cr_assert_eq(as_st(as, DEV_BASE, 1, 1, MEMATTRS_CPU), MEMTX_DECODE_ERROR);
    cr_assert_eq(dev.n, 0, "no call may reach the device");
    cr_assert_eq(as_ld16(as, DEV_BASE + 2), pattern_val(2, 2));
    cr_assert_eq(dev.n, 1);
}

Test(access, unaligned_rejected_unless_valid_allows)
{
    map_dev(1, 4, false, 1, 4, false);
    MemTxResult res;
    cr_assert_eq(as_ld(as, DEV_BASE + 2, 4, MEMATTRS_CPU, &res), 0xffffffff);
    cr_assert_eq(res, MEMTX_DECODE_ERROR);
    cr_assert_eq(dev.n, 0);
}

Test(access, unaligned_valid_split_into_aligned_impl)
{
    map_dev(1, 4, true, 1, 4, false);
    uint64_t v = as_ld(as, DEV_BASE + 2, 4, MEMATTRS_CPU, NULL);
    cr_assert_eq(v, pattern_val(2, 4));
    cr_assert_eq(dev.n, 2);
    ASSERT_CALL(&dev, 0, false, 0, 4);
    ASSERT_CALL(&dev, 1, false, 4, 4);
    /* an unaligned write: two read-modify-writes keep the other bytes */
    as_st32(as, DEV_BASE + 2, 0xddccbbaa);
    cr_assert_eq(dev.n, 6);
    ASSERT_CALL(&dev, 2, false, 0, 4);
    ASSERT_CALL(&dev, 3, true, 0, 4);
    ASSERT_CALL(&dev, 4, false, 4, 4);
    ASSERT_CALL(&dev, 5, true, 4, 4);
    cr_assert_eq(dev.calls[3].val, 0xbbaa0000 | pattern_val(0, 2));
    cr_assert_eq(dev.calls[5].val, (pattern_val(6, 2) << 16) | 0xddcc);
}

Test(access, unaligned_impl_takes_it_as_is)
{
    map_dev(1, 4, true, 1, 4, true);
    cr_assert_eq(as_ld32(as, DEV_BASE + 3), pattern_val(3, 4));
    cr_assert_eq(dev.n, 1);
    ASSERT_CALL(&dev, 0, false, 3, 4);
}

Test(access, odd_length_read_splits_naturally)
{
    map_dev(1, 8, false, 1, 8, false);
    uint8_t buf[7];
    cr_assert_eq(as_read(as, DEV_BASE + 1, buf, 7, MEMATTRS_CPU), MEMTX_OK);
    for (int i = 0; i < 7; i++) {
        cr_assert_eq(buf[i], pattern_byte(1 + i));
    }
    cr_assert_eq(dev.n, 3);
    ASSERT_CALL(&dev, 0, false, 1, 1);
    ASSERT_CALL(&dev, 1, false, 2, 2);
    ASSERT_CALL(&dev, 2, false, 4, 4);
    /* 11 bytes from 0: 8 + 2 + 1 */
    uint8_t w[11] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    cr_assert_eq(as_write(as, DEV_BASE, w, 11, MEMATTRS_CPU), MEMTX_OK);
    cr_assert_eq(dev.n, 6);
    ASSERT_CALL(&dev, 3, true, 0, 8);
    ASSERT_CALL(&dev, 4, true, 8, 2);
    ASSERT_CALL(&dev, 5, true, 10, 1);
    cr_assert_eq(dev.calls[4].val, 0x0a09);
    cr_assert_eq(memcmp(dev.bytes, w, 11), 0);
}

Test(access, odd_length_respects_valid_max)
{
    map_dev(1, 2, false, 1, 2, false);
    uint8_t buf[5];
    cr_assert_eq(as_read(as, DEV_BASE + 4, buf, 5, MEMATTRS_CPU), MEMTX_OK);
    cr_assert_eq(dev.n, 3);
    ASSERT_CALL(&dev, 0, false, 4, 2);
    ASSERT_CALL(&dev, 1, false, 6, 2);
    ASSERT_CALL(&dev, 2, false, 8, 1);
    cr_assert_eq(buf[4], pattern_byte(8));
}

Test(access, ld_across_region_edge_splits)
{
    map_dev(1, 4, false, 1, 4, false);
    MemRegion *ram = mr_new_ram("ram", 0x1000);
    mr_add_subregion(root, DEV_BASE - 0x1000, ram, 0);
    mr_ram_ptr(ram)[0xffe] = 0x11;
    mr_ram_ptr(ram)[0xfff] = 0x22;
    uint64_t v = as_ld(as, DEV_BASE - 2, 4, MEMATTRS_CPU, NULL);
    cr_assert_eq(v, 0x2211 | pattern_val(0, 2) << 16);
    cr_assert_eq(dev.n, 1);
    ASSERT_CALL(&dev, 0, false, 0, 2);
}

Test(access, null_callbacks)
{
    static const MemOps nops = {.valid = {.min = 1, .max = 4}};
    mr_add_subregion(root, 0x3000, mr_new_io("null", 0x10, &nops, NULL), 0);
    MemTxResult res;
    cr_assert_eq(as_ld(as, 0x3000, 4, MEMATTRS_CPU, &res), 0);
    cr_assert_eq(res, MEMTX_OK);
    cr_assert_eq(as_st(as, 0x3000, 1, 4, MEMATTRS_CPU), MEMTX_OK);
}

/* ---- unassigned, ROM, romd ---- */

Test(access, unassigned_reads_ones_drops_writes)
{
    MemTxResult res;
    cr_assert_eq(as_ld(as, 0x1234, 4, MEMATTRS_CPU, &res), 0xffffffff);
    cr_assert_eq(res, MEMTX_DECODE_ERROR);
    cr_assert_eq(as_ld64(as, 0x8), UINT64_MAX);
    uint8_t buf[3] = {1, 2, 3};
    cr_assert_eq(as_read(as, 0x99, buf, 3, MEMATTRS_CPU), MEMTX_DECODE_ERROR);
    cr_assert_eq(buf[0] & buf[1] & buf[2], 0xff);
    cr_assert_eq(as_st(as, 0x1234, 7, 4, MEMATTRS_CPU), MEMTX_DECODE_ERROR);
    /* a read half in RAM, half unassigned */
    MemRegion *ram = mr_new_ram("ram", 0x1000);
    mr_add_subregion(root, 0, ram, 0);
    mr_ram_ptr(ram)[0xfff] = 0x42;
    cr_assert_eq(as_ld(as, 0xfff, 2, MEMATTRS_CPU, &res), 0xff42);
    cr_assert_eq(res, MEMTX_DECODE_ERROR);
}

Test(access, rom_ignores_writes)
{
    MemRegion *rom = mr_new_rom("rom", 0x1000);
    memset(mr_ram_ptr(rom), 0x90, 0x1000);
    mr_add_subregion(root, 0xf0000, rom, 0);
    cr_assert_eq(as_st(as, 0xf0010, 0x12345678, 4, MEMATTRS_CPU), MEMTX_OK);
    cr_assert_eq(as_ld32(as, 0xf0010), 0x90909090);
    uint8_t w[4] = {0};
    cr_assert_eq(as_write(as, 0xf0ffe, w, 4, MEMATTRS_CPU), MEMTX_DECODE_ERROR);
    cr_assert_eq(as_ld16(as, 0xf0ffe), 0x9090);
}

Test(access, romd_on_and_off)
{
    rec_init(&dev, 1, 4, false, 1, 4, false);
    MemRegion *fl = mr_new_romd("flash", 0x1000, &dev.ops, &dev);
    memset(mr_ram_ptr(fl), 0x33, 0x1000);
    mr_add_subregion(root, 0x80000, fl, 0);
    cr_assert(mr_is_ram(fl));
    cr_assert(as_find(as, 0x80000).readonly);
    cr_assert_eq(as_ld32(as, 0x80004), 0x33333333);
    cr_assert_eq(dev.n, 0, "romd reads come from memory");
    as_st8(as, 0x80004, 0xf0);
    cr_assert_eq(dev.n, 1, "romd writes go to the callback");
    ASSERT_CALL(&dev, 0, true, 4, 1);
    cr_assert_eq(dev.calls[0].val, 0xf0);
    cr_assert_eq(mr_ram_ptr(fl)[4], 0x33);
    mr_set_romd(fl, false);
    cr_assert_not(mr_is_ram(fl));
    cr_assert_eq(as_ld8(as, 0x80004), 0xf0);
    cr_assert_eq(dev.n, 2);
    ASSERT_CALL(&dev, 1, false, 4, 1);
    uint8_t buf[2];
    cr_assert_eq(as_read(as, 0x80008, buf, 2, MEMATTRS_CPU), MEMTX_OK);
    cr_assert_eq(buf[1], pattern_byte(9));
    mr_set_romd(fl, true);
    cr_assert_eq(as_ld8(as, 0x80004), 0x33);
}

/* ---- the top of the address space ---- */

Test(access, wrap_around_top)
{
    MemRegion *top = mr_new_ram("top", 0x1000);
    MemRegion *low = mr_new_ram("low", 0x1000);
    mr_add_subregion(root, 0xfffffffffffff000ull, top, 0);
    mr_add_subregion(root, 0, low, 0);
    cr_assert_eq(as_find(as, UINT64_MAX).mr, top);
    cr_assert_eq(as_find(as, UINT64_MAX).size, 0x1000);
    uint64_t a = 0xfffffffffffffffcull;
    as_st64(as, a, 0x8877665544332211ull);
    cr_assert_eq(mr_ram_ptr(top)[0xffc], 0x11);
    cr_assert_eq(mr_ram_ptr(top)[0xfff], 0x44);
    cr_assert_eq(mr_ram_ptr(low)[0], 0x55);
    cr_assert_eq(mr_ram_ptr(low)[3], 0x88);
    cr_assert_eq(as_ld64(as, a), 0x8877665544332211ull);
    uint8_t buf[16];
    cr_assert_eq(as_read(as, 0xfffffffffffffff8ull, buf, 16, MEMATTRS_CPU),
                 MEMTX_OK);
    cr_assert_eq(buf[4], 0x11);
    cr_assert_eq(buf[11], 0x88);
    cr_assert_eq(buf[12], 0);
    /* a region that itself runs past 2^64 is clipped */
    MemRegion *over = mr_new_ram("over", 0x2000);
    mr_add_subregion(root, 0xfffffffffffff800ull, over, 1);
    MemSection s = as_find(as, UINT64_MAX);
    cr_assert_eq(s.mr, over);
    cr_assert_eq(s.base, 0xfffffffffffff800ull);
    cr_assert_eq(s.size, 0x800);
}

/* ---- logging ---- */

Test(access, guest_errors_are_logged)
{
    char path[] = "/tmp/xlat-memlog-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(log_set_file(path), 0);
    log_set_mask(LOG_GUEST_ERROR);
    (void)as_ld32(as, 0xabc0);
    log_flush();
    log_set_mask(0);
    FILE *f = fopen(path, "r");
    char line[256] = "";
    cr_assert(fgets(line, sizeof(line), f));
    fclose(f);
    unlink(path);
    cr_assert(strstr(line, "unassigned read"), "%s", line);
    cr_assert(strstr(line, "0xabc0"), "%s", line);
}

/* ---- random byte accesses against a model ---- */

#define MODEL_SPAN 0x6000

static bool model_mapped(uint64_t a)
{
    return (a >= 0x1000 && a < 0x2000) || (a >= 0x3000 && a < 0x3800);
}

Test(access, random_accesses_match_model)
{
    static uint8_t model[MODEL_SPAN];
    mr_add_subregion(root, 0x1000, mr_new_ram("a", 0x1000), 0);
    mr_add_subregion(root, 0x3000, mr_new_ram("b", 0x800), 0);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t addr = x % (MODEL_SPAN - 64), len = 1 + (x >> 40) % 64;
        uint8_t buf[64];
        bool hole = false;
        for (uint64_t k = 0; k < len; k++) {
            hole |= !model_mapped(addr + k);
        }
        MemTxResult want = hole ? MEMTX_DECODE_ERROR : MEMTX_OK;
        if ((x >> 32) & 1) {
            for (uint64_t k = 0; k < len; k++) {
                buf[k] = (uint8_t)(x >> (k % 8));
                if (model_mapped(addr + k)) {
                    model[addr + k] = buf[k];
                }
            }
            cr_assert_eq(as_write(as, addr, buf, len, MEMATTRS_CPU), want);
            continue;
        }
        MemTxResult res = as_read(as, addr, buf, len, MEMATTRS_CPU);
        for (uint64_t k = 0; k < len; k++) {
            bool m = model_mapped(addr + k);
            cr_assert_eq(buf[k], m ? model[addr + k] : 0xff, "0x%lx",
                         (unsigned long)(addr + k));
        }
        cr_assert_eq(res, want);
    }
}
