/*
 * bench-memory: the address-space tree on a PC-like map (~200 regions: RAM
 * below and above 4 GiB through aliases, BIOS ROM and its low alias, PAM
 * windows, PCI BARs, small MMIO devices, I/O ports). Prints ns per flat-view
 * lookup (as_find at random addresses), ns per 4-byte MMIO dispatch (as_ld
 * on an MMIO register), and the time to rebuild the flat views.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mmu/memory.h"

#define LOOKUPS (4u << 20)
#define DISPATCHES (4u << 20)
#define REBUILDS 2000

typedef struct BenchMap {
    MemRegion *sys, *io, *ram;
    AddrSpace *mem, *pio;
    uint64_t addrs[4096];
    unsigned n_addrs;
    uint32_t regs[64];
} BenchMap;

static uint64_t dev_read(void *opaque, uint64_t addr, unsigned size)
{
    BenchMap *b = opaque;
    return b->regs[(addr / 4) % 64];
}

static void dev_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    BenchMap *b = opaque;
    b->regs[(addr / 4) % 64] = (uint32_t)val;
}

static const MemOps dev_ops = {
    .read = dev_read,
    .write = dev_write,
    .valid = {.min = 1, .max = 4},
    .impl = {.min = 4, .max = 4},
};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void note_addr(BenchMap *b, uint64_t a)
{
    if (b->n_addrs < 4096) {
        b->addrs[b->n_addrs++] = a;
    }
}

static void add_io(BenchMap *b, MemRegion *parent, const char *name,
                   uint64_t base, uint64_t size, int prio)
{
    mr_add_subregion(parent, base, mr_new_io(name, size, &dev_ops, b), prio);
    if (parent == b->sys) {
        note_addr(b, base);
    }
}

static void build_ram(BenchMap *b)
{
    b->ram = mr_new_ram("pc.ram", 1ull << 30);
    mr_add_subregion(b->sys, 0,
                     mr_new_alias("ram-below-4g", b->ram, 0, 0x20000000), 0);
    mr_add_subregion(
        b->sys, 1ull << 32,
        mr_new_alias("ram-above-4g", b->ram, 0x20000000, 0x20000000), 0);
    MemRegion *bios = mr_new_rom("pc.bios", 0x40000);
    mr_add_subregion(b->sys, 0xfffc0000, bios, 0);
    mr_add_subregion(b->sys, 0xe0000,
                     mr_new_alias("isa-bios", bios, 0x20000, 0x20000), 1);
    for (int i = 0; i < 12; i++) { /* PAM windows over 0xc0000-0xeffff */
        uint64_t a = 0xc0000 + i * 0x4000;
        mr_add_subregion(b->sys, a, mr_new_alias("pam", b->ram, a, 0x4000), 2);
    }
    for (uint64_t a = 0; a < 0x20000000; a += 0x1000000) {
        note_addr(b, a + 0x123);
    }
}

static void build_devices(BenchMap *b)
{
    MemRegion *pci = mr_new_container("pci-hole", 0x3ec00000);
    mr_add_subregion(b->sys, 0xc0000000, pci, -1);
    for (int i = 0; i < 80; i++) { /* BARs: 4 KiB and 16 KiB */
        uint64_t off = (uint64_t)i * 0x100000;
        uint64_t size = i % 3 ? 0x1000 : 0x4000;
        mr_add_subregion(pci, off, mr_new_io("bar", size, &dev_ops, b), 0);
        note_addr(b, 0xc0000000 + off + 0x10);
    }
    add_io(b, b->sys, "vga-lowmem", 0xa0000, 0x20000, 1);
    add_io(b, b->sys, "ioapic", 0xfec00000, 0x1000, 0);
    add_io(b, b->sys, "hpet", 0xfed00000, 0x400, 0);
    add_io(b, b->sys, "lapic", 0xfee00000, 0x1000, 0);
    for (int i = 0; i < 20; i++) {
        add_io(b, b->sys, "misc", 0xfe000000 + i * 0x1000, 0x100, 0);
    }
    for (int i = 0; i < 70; i++) { /* ports */
        add_io(b, b->io, "port", 0x100 + i * 0x10, 8, 0);
    }
}

static double bench_lookup(BenchMap *b)
{
    uint64_t *rnd = malloc(LOOKUPS * sizeof(*rnd));
    uint64_t x = 88172645463325252ull, sink = 0;
    for (unsigned i = 0; i < LOOKUPS; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        rnd[i] = i % 4 ? b->addrs[x % b->n_addrs] : x >> 28;
    }
    double t0 = now_ns();
    for (unsigned i = 0; i < LOOKUPS; i++) {
        sink += as_find(b->mem, rnd[i]).base;
    }
    double t = (now_ns() - t0) / LOOKUPS;
    free(rnd);
    if (sink == 42) {
        printf("!");
    }
    return t;
}

static double bench_dispatch(BenchMap *b)
{
    uint64_t sink = 0;
    double t0 = now_ns();
    for (unsigned i = 0; i < DISPATCHES; i++) {
        sink += as_ld(b->mem, 0xfee00020 + (i & 0x3c), 4, MEMATTRS_CPU, NULL);
    }
    double t = (now_ns() - t0) / DISPATCHES;
    if (sink == 42) {
        printf("!");
    }
    return t;
}

static double bench_rebuild(BenchMap *b)
{
    MemRegion *vga = as_find(b->mem, 0xa0000).mr;
    double t0 = now_ns();
    for (unsigned i = 0; i < REBUILDS; i++) {
        mr_set_enabled(vga, i & 1); /* one commit rebuilds both spaces */
    }
    return (now_ns() - t0) / REBUILDS;
}

/* mapped ranges in the flat view, walked with as_find */
static unsigned count_ranges(AddrSpace *as)
{
    unsigned n = 0;
    uint64_t a = 0;
    for (;;) {
        MemSection s = as_find(as, a);
        n += s.mr != NULL;
        if (s.base + s.size - 1 >= UINT64_MAX || s.base + s.size == 0) {
            return n;
        }
        a = s.base + s.size;
    }
}

int main(void)
{
    BenchMap *b = calloc(1, sizeof(*b));
    b->sys = mr_new_container("system", UINT64_MAX);
    b->io = mr_new_container("io", 0x10000);
    b->mem = as_new("memory", b->sys);
    b->pio = as_new("io", b->io);
    mem_begin();
    build_ram(b);
    build_devices(b);
    mem_commit();
    printf("bench-memory: 195 regions, %u + %u flat ranges\n",
           count_ranges(b->mem), count_ranges(b->pio));
    printf("as_find (random address): %.1f ns\n", bench_lookup(b));
    printf("as_ld 4-byte MMIO dispatch: %.1f ns\n", bench_dispatch(b));
    printf("flat view rebuild (both spaces): %.1f us\n",
           bench_rebuild(b) / 1000);
    as_free(b->mem);
    as_free(b->pio);
    mr_free_tree(b->sys);
    mr_free_tree(b->io);
    mr_free(b->ram);
    free(b);
    return 0;
}
