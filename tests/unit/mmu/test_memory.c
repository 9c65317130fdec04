/*
 * The address-space tree and its flat view: priorities (including equal
 * priorities), nested containers and clipping, aliases of aliases, changes
 * while running (enable, move, resize, alias offset, priority), listener
 * notification per outermost commit, as_dump output, and region lifetime.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <unistd.h>

#include "memtest.h"
#include "util/log.h"

static MemRegion *root;
static AddrSpace *as;

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

TestSuite(memtree, .init = setup, .fini = teardown, .timeout = 10);

/* the section holding addr: its base, size and the offset at its base */
static void assert_sec(uint64_t addr, MemRegion *mr, uint64_t base,
                       uint64_t size, uint64_t off)
{
    MemSection s = as_find(as, addr);
    cr_assert_eq(s.mr, mr, "0x%lx: region %s", (unsigned long)addr,
                 s.mr ? mr_name(s.mr) : "(none)");
    cr_assert_eq(s.base, base, "0x%lx: base 0x%lx", (unsigned long)addr,
                 (unsigned long)s.base);
    cr_assert_eq(s.size, size, "0x%lx: size 0x%lx", (unsigned long)addr,
                 (unsigned long)s.size);
    cr_assert_eq(s.mr_offset, off, "0x%lx: off 0x%lx", (unsigned long)addr,
                 (unsigned long)s.mr_offset);
}

Test(memtree, empty_space_is_one_hole)
{
    MemSection s = as_find(as, 0x1234);
    cr_assert_null(s.mr);
    cr_assert_eq(s.base, 0);
    cr_assert_eq(s.size, UINT64_MAX);
}

Test(memtree, higher_priority_wins_overlap)
{
    MemRegion *ram = mr_new_ram("ram", 0x4000);
    MemRegion *hi = mr_new_ram("hi", 0x1000);
    mr_add_subregion(root, 0, ram, 0);
    mr_add_subregion(root, 0x1000, hi, 1);
    assert_sec(0x0fff, ram, 0, 0x1000, 0);
    assert_sec(0x1000, hi, 0x1000, 0x1000, 0);
    assert_sec(0x2000, ram, 0x2000, 0x2000, 0x2000);
    assert_sec(0x4000, NULL, 0x4000, UINT64_MAX - 0x4000 + 1, 0);
    /* lower priority added later still loses */
    MemRegion *lo = mr_new_ram("lo", 0x4000);
    mr_add_subregion(root, 0, lo, -1);
    assert_sec(0x1800, hi, 0x1000, 0x1000, 0);
    assert_sec(0x3000, ram, 0x2000, 0x2000, 0x2000);
}

Test(memtree, equal_priority_later_added_wins)
{
    MemRegion *a = mr_new_ram("a", 0x2000);
    MemRegion *b = mr_new_ram("b", 0x2000);
    mr_add_subregion(root, 0, a, 0);
    mr_add_subregion(root, 0x1000, b, 0);
    assert_sec(0x0, a, 0, 0x1000, 0);
    assert_sec(0x1000, b, 0x1000, 0x2000, 0);
    /* a priority change and back keeps the order of addition */
    mr_set_priority(a, 5);
    assert_sec(0x1000, a, 0, 0x2000, 0);
    mr_set_priority(a, 0);
    assert_sec(0x1000, b, 0x1000, 0x2000, 0);
    /* re-adding a makes it the later one */
    mr_del_subregion(root, a);
    mr_add_subregion(root, 0, a, 0);
    assert_sec(0x1800, a, 0, 0x2000, 0);
    assert_sec(0x2000, b, 0x2000, 0x1000, 0x1000);
}

Test(memtree, nested_containers_clip_children)
{
    MemRegion *outer = mr_new_container("outer", 0x10000);
    MemRegion *inner = mr_new_container("inner", 0x1000);
    MemRegion *big = mr_new_ram("big", 0x4000);
    mr_add_subregion(root, 0x100000, outer, 0);
    mr_add_subregion(outer, 0x2000, inner, 0);
    mr_add_subregion(inner, 0x800, big, 0); /* sticks out of inner */
    assert_sec(0x102000, NULL, 0, 0x102800, 0);
    assert_sec(0x102800, big, 0x102800, 0x800, 0);
    assert_sec(0x103000, NULL, 0x103000, UINT64_MAX - 0x103000 + 1, 0);
    /* growing inner shows more of big */
    mr_set_size(inner, 0x2000);
    assert_sec(0x103fff, big, 0x102800, 0x1800, 0);
}

Test(memtree, aliases_of_aliases)
{
    MemRegion *ram = mr_new_ram("ram", 0x1000);
    uint8_t *p = mr_ram_ptr(ram);
    for (int i = 0; i < 0x1000; i++) {
        p[i] = (uint8_t)(i * 3);
    }
    MemRegion *a1 = mr_new_alias("a1", ram, 0x100, 0x200);
    MemRegion *a2 = mr_new_alias("a2", a1, 0x10, 0x20);
    mr_add_subregion(root, 0x5000, a2, 0);
    assert_sec(0x5000, ram, 0x5000, 0x20, 0x110);
    cr_assert_eq(as_ld8(as, 0x5000), (uint8_t)(0x110 * 3));
    cr_assert_eq(as_ld8(as, 0x501f), (uint8_t)(0x12f * 3));
    uint32_t v;
    cr_assert_eq(as_read(as, 0x501e, &v, 4, MEMATTRS_CPU), MEMTX_DECODE_ERROR);
    cr_assert_eq(v & 0xffff, (uint8_t)(0x12e * 3) | (uint8_t)(0x12f * 3) << 8);
    cr_assert_eq(v >> 16, 0xffff);
    /* moving the inner window moves what the outer one shows */
    mr_set_alias_offset(a1, 0x300);
    assert_sec(0x5004, ram, 0x5000, 0x20, 0x310);
    cr_assert_eq(as_ld8(as, 0x5004), (uint8_t)(0x314 * 3));
    /* an alias that starts before its target: the part below is a hole */
    MemRegion *a3 = mr_new_alias("a3", a1, 0, 0x400);
    mr_set_alias_offset(a1, 0xf00); /* a1 runs off the end of ram */
    mr_add_subregion(root, 0x9000, a3, 0);
    assert_sec(0x9000, ram, 0x9000, 0x100, 0xf00);
    assert_sec(0x9100, NULL, 0x9100, UINT64_MAX - 0x9100 + 1, 0);
    /* a1 is not in the tree: free its users, then it */
    mr_del_subregion(root, a2);
    mr_del_subregion(root, a3);
    mr_free(a2);
    mr_free(a3);
    mr_free(a1);
}

Test(memtree, alias_sees_target_subtree)
{
    MemRegion *sub = mr_new_container("sub", 0x4000);
    MemRegion *r1 = mr_new_ram("r1", 0x1000);
    mr_add_subregion(sub, 0x1000, r1, 0);
    MemRegion *al = mr_new_alias("al", sub, 0x800, 0x2000);
    mr_add_subregion(root, 0x20000, al, 0);
    assert_sec(0x20800, r1, 0x20800, 0x1000, 0);
    assert_sec(0x207ff, NULL, 0, 0x20800, 0);
    /* a disabled target is a hole */
    mr_set_enabled(r1, false);
    cr_assert_null(as_find(as, 0x20800).mr);
}

Test(memtree, enable_disable_move_resize)
{
    MemRegion *ram = mr_new_ram("ram", 0x2000);
    mr_add_subregion(root, 0x10000, ram, 0);
    assert_sec(0x11000, ram, 0x10000, 0x2000, 0);
    mr_set_enabled(ram, false);
    cr_assert_null(as_find(as, 0x11000).mr);
    mr_set_enabled(ram, true);
    mr_set_offset(ram, 0x40000);
    cr_assert_null(as_find(as, 0x11000).mr);
    assert_sec(0x41000, ram, 0x40000, 0x2000, 0);
    mr_set_size(ram, 0x1000);
    cr_assert_null(as_find(as, 0x41000).mr);
    assert_sec(0x40fff, ram, 0x40000, 0x1000, 0);
    mr_set_size(ram, 0x2000);
    assert_sec(0x41000, ram, 0x40000, 0x2000, 0);
}

Test(memtree, readonly_ram_and_sections)
{
    MemRegion *ram = mr_new_ram("ram", 0x1000);
    MemRegion *rom = mr_new_rom("rom", 0x1000);
    mr_add_subregion(root, 0, ram, 0);
    mr_add_subregion(root, 0x1000, rom, 0);
    cr_assert_not(as_find(as, 0).readonly);
    cr_assert(as_find(as, 0x1000).readonly);
    cr_assert(mr_is_ram(ram) && mr_is_ram(rom));
    mr_set_readonly(ram, true);
    cr_assert(as_find(as, 0).readonly);
    as_st8(as, 0x10, 0x55);
    cr_assert_eq(as_ld8(as, 0x10), 0);
    mr_set_readonly(ram, false);
    as_st8(as, 0x10, 0x55);
    cr_assert_eq(as_ld8(as, 0x10), 0x55);
}

Test(memtree, many_regions_sorted_lookup)
{
    MemRegion *r[100];
    for (int i = 0; i < 100; i++) {
        r[i] = mr_new_ram("r", 0x1000);
        /* every other page, added in reverse order */
        mr_add_subregion(root, (uint64_t)(99 - i) * 0x2000, r[i], 0);
    }
    for (int i = 0; i < 100; i++) {
        uint64_t base = (uint64_t)(99 - i) * 0x2000;
        assert_sec(base + 0x123, r[i], base, 0x1000, 0);
        cr_assert_null(as_find(as, base + 0x1000).mr);
    }
}

/* ---- listeners ---- */

typedef struct CountL {
    MemListener l;
    int calls;
    AddrSpace *last;
} CountL;

static void count_commit(MemListener *l, AddrSpace *a)
{
    CountL *c = (CountL *)l;
    c->calls++;
    c->last = a;
}

Test(memtree, listener_once_per_outermost_commit)
{
    CountL c = {.l = {.commit = count_commit}};
    as_add_listener(as, &c.l);
    MemRegion *a = mr_new_ram("a", 0x1000);
    mr_add_subregion(root, 0, a, 0);
    cr_assert_eq(c.calls, 1);
    cr_assert_eq(c.last, as);

    mem_begin();
    mem_begin();
    MemRegion *b = mr_new_ram("b", 0x1000);
    mr_add_subregion(root, 0x1000, b, 0);
    mr_set_offset(b, 0x3000);
    mem_commit();
    cr_assert_eq(c.calls, 1, "inner commit must not notify");
    cr_assert_eq(as_find(as, 0x3000).mr, NULL, "view rebuilt only at the end");
    mem_commit();
    cr_assert_eq(c.calls, 2);
    cr_assert_eq(as_find(as, 0x3000).mr, b);

    /* a change hidden under a higher-priority region leaves the view alone */
    MemRegion *hidden = mr_new_ram("hidden", 0x800);
    mr_add_subregion(root, 0, hidden, -1);
    cr_assert_eq(c.calls, 2);

    as_del_listener(as, &c.l);
    mr_set_offset(b, 0x5000);
    cr_assert_eq(c.calls, 2);
}

Test(memtree, listener_only_for_changed_space)
{
    MemRegion *io_root = mr_new_container("io", 0x10000);
    AddrSpace *io = as_new("io", io_root);
    CountL cm = {.l = {.commit = count_commit}};
    CountL ci = {.l = {.commit = count_commit}};
    as_add_listener(as, &cm.l);
    as_add_listener(io, &ci.l);
    MemRegion *port = mr_new_ram("port", 0x10);
    mr_add_subregion(io_root, 0x80, port, 0);
    cr_assert_eq(ci.calls, 1);
    cr_assert_eq(cm.calls, 0);
    /* the I/O space ends at 64 KiB */
    mr_set_offset(port, 0xfff8);
    cr_assert_eq(as_find(io, 0xffff).mr, port);
    cr_assert_null(as_find(io, 0x10000).mr);
    as_free(io);
    mr_free_tree(io_root);
}

/* ---- dump ---- */

static char *dump_to_string(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    as_dump(as, f);
    fclose(f);
    return buf;
}

Test(memtree, dump_lists_tree_and_flat_view)
{
    MemRegion *ram = mr_new_ram("pc.ram", 0x100000);
    MemRegion *rom = mr_new_rom("pc.bios", 0x20000);
    MemRegion *win = mr_new_alias("bios-win", rom, 0, 0x20000);
    MemRegion *off = mr_new_ram("off", 0x1000);
    mr_add_subregion(root, 0, ram, 0);
    mr_add_subregion(root, 0xe0000, win, 1);
    mr_add_subregion(root, 0xfffe0000, rom, 0);
    mr_add_subregion(root, 0x200000, off, 0);
    mr_set_enabled(off, false);
    char *s = dump_to_string();
    cr_assert(strstr(s, "address-space: memory\n"), "%s", s);
    cr_assert(strstr(s, "  0000000000000000-ffffffffffffffff (prio 0, "
                        "container): root\n"),
              "%s", s);
    cr_assert(strstr(s, "    0000000000000000-00000000000fffff (prio 0, "
                        "ram): pc.ram\n"),
              "%s", s);
    cr_assert(strstr(s, "    00000000000e0000-00000000000fffff (prio 1, "
                        "alias): bios-win @pc.bios "
                        "0000000000000000-000000000001ffff\n"),
              "%s", s);
    cr_assert(strstr(s, "00000000fffe0000-00000000ffffffff (prio 0, rom): "
                        "pc.bios\n"),
              "%s", s);
    cr_assert(strstr(s, "0000000000200000-0000000000200fff (prio 0, ram): "
                        "off [disabled]\n"),
              "%s", s);
    cr_assert(strstr(s, "flat view:\n  0000000000000000-00000000000dffff "
                        "(ram) pc.ram @0x0\n"),
              "%s", s);
    cr_assert(strstr(s, "  00000000000e0000-00000000000fffff (rom) pc.bios "
                        "@0x0 [ro]\n"),
              "%s", s);
    free(s);
}

/* ---- lifetime ---- */

Test(memtree, delete_then_free_subregion)
{
    MemRegion *ram = mr_new_ram("ram", 0x1000);
    mr_add_subregion(root, 0x1000, ram, 0);
    cr_assert_eq(as_find(as, 0x1000).mr, ram);
    mr_del_subregion(root, ram);
    cr_assert_null(as_find(as, 0x1000).mr);
    mr_free(ram);
    /* an alias keeps its target alive until the alias goes */
    MemRegion *t = mr_new_ram("t", 0x1000);
    MemRegion *al = mr_new_alias("al", t, 0, 0x1000);
    mr_add_subregion(root, 0, al, 0);
    mr_del_subregion(root, al);
    mr_free(al);
    mr_free(t);
    cr_assert_null(as_find(as, 0).mr);
}

Test(memtree, free_container_detaches_children)
{
    MemRegion *c = mr_new_container("c", 0x10000);
    MemRegion *r = mr_new_ram("r", 0x1000);
    mr_add_subregion(c, 0, r, 0);
    mr_free(c);
    /* r is free to be placed again */
    mr_add_subregion(root, 0x7000, r, 0);
    cr_assert_eq(as_find(as, 0x7000).mr, r);
}

Test(memtree, free_tree_with_inner_aliases)
{
    MemRegion *c = mr_new_container("c", 0x10000);
    MemRegion *r = mr_new_ram("r", 0x1000);
    MemRegion *a1 = mr_new_alias("a1", r, 0, 0x1000);
    MemRegion *a2 = mr_new_alias("a2", a1, 0, 0x1000);
    mr_add_subregion(c, 0, r, 2); /* freed before its aliases in order */
    mr_add_subregion(c, 0x1000, a1, 1);
    mr_add_subregion(c, 0x2000, a2, 0);
    mr_add_subregion(root, 0x30000, c, 0);
    cr_assert_eq(as_find(as, 0x32000).mr, r);
    mr_free_tree(c);
    cr_assert_null(as_find(as, 0x32000).mr);
}

Test(memtree, d_mmu_dumps_changed_views)
{
    char path[] = "/tmp/xlat-mmulog-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(log_set_file(path), 0);
    log_set_mask(LOG_MMU);
    mr_add_subregion(root, 0x4000, mr_new_ram("logged", 0x1000), 0);
    log_flush();
    log_set_mask(0);
    FILE *in = fopen(path, "r");
    char text[4096] = "";
    size_t n = fread(text, 1, sizeof(text) - 1, in);
    fclose(in);
    unlink(path);
    text[n] = 0;
    cr_assert(strstr(text, "address-space: memory\n"), "%s", text);
    cr_assert(strstr(text, "0000000000004000-0000000000004fff (ram) logged "
                           "@0x0\n"),
              "%s", text);
}

Test(memtree, changes_below_nested_space_root)
{
    /* "pci" is both the root of its own space and a child of root */
    MemRegion *pci = mr_new_container("pci", 0x100000);
    AddrSpace *pas = as_new("pci", pci);
    mr_add_subregion(root, 0x800000, pci, 0);
    MemRegion *bar = mr_new_ram("bar", 0x1000);
    mr_add_subregion(pci, 0x2000, bar, 0);
    cr_assert_eq(as_find(pas, 0x2000).mr, bar);
    cr_assert_eq(as_find(as, 0x802000).mr, bar);
    /* a subtree assembled while detached shows up once attached */
    MemRegion *dev = mr_new_container("dev", 0x2000);
    MemRegion *reg = mr_new_ram("reg", 0x100);
    mr_add_subregion(dev, 0x100, reg, 0);
    mr_set_offset(reg, 0x200);
    cr_assert_null(as_find(as, 0x900200).mr);
    mr_add_subregion(root, 0x900000, dev, 0);
    cr_assert_eq(as_find(as, 0x900200).mr, reg);
    cr_assert_null(as_find(as, 0x900100).mr);
    mr_set_enabled(bar, false);
    cr_assert_null(as_find(pas, 0x2000).mr);
    cr_assert_null(as_find(as, 0x802000).mr);
    as_free(pas);
}
