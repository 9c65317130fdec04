/*
 * bench-tlb: the softmmu TLB's flushes and context switches, on a CPU in
 * long mode over 64 MiB of RAM mapped with 2 MiB pages (so refills walk
 * little). Prints, for first-level tables of 1024 and 16384 entries:
 *  - a full flush after a 64-page working set, and of a full table (ns);
 *  - a CR3 write without PCID (a non-global flush, then the 64 pages
 *    loaded again through the slow path) and with PCID (a switch between
 *    two tags that keep their entries, then the same loads) (ns).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cpu/cpu.h"
#include "mmu/memory.h"
#include "mmu/tlb.h"

#define RAM (128ull << 20)
#define VA 0x0000100000000000ull
#define WORKSET 64

static CpuX86 *env;
static uint8_t *mem;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void st64(uint64_t pa, uint64_t v)
{
    memcpy(mem + pa, &v, 8);
}

/* VA..VA+64 MiB -> RAM with 2 MiB pages: PML4 0x1000, PDPT 0x2000, PD 0x3000 */
static void setup(void)
{
    MemRegion *root = mr_new_container("sys", 1ull << 40);
    MemRegion *ram = mr_new_ram("ram", RAM);
    mr_add_subregion(root, 0, ram, 0);
    AddrSpace *as = as_new("system", root);
    mem = mr_ram_ptr(ram);
    st64(0x1000 + 8 * ((VA >> 39) & 511), 0x2000 | 7);
    st64(0x2000 + 8 * ((VA >> 30) & 511), 0x3000 | 7);
    for (uint64_t i = 0; i < RAM >> 21; i++) {
        st64(0x3000 + 8 * i, (i << 21) | 0x87);
    }
    env = cpu_x86_new(as);
    env->cr[0] = CR0_PE | CR0_PG | CR0_WP | CR0_ET | CR0_NE;
    env->cr[3] = 0x1000;
    env->cr[4] = CR4_PAE;
    env->efer = EFER_LME | EFER_LMA | EFER_NXE;
    cpu_update_hflags(env);
    tlb_flush(env);
}

static void touch(unsigned n, unsigned stride)
{
    for (unsigned p = 0; p < n; p++) {
        (void)tlb_ld_slow(env, VA + ((uint64_t)p * stride << 12),
                          IR_MO_32 | IR_MO_MMU(MMU_IDX_KERNEL), 0);
    }
}

static uint32_t table_size(void)
{
#ifdef TLB_CONTEXTS
    return env->tlb.cur->t[MMU_IDX_KERNEL].nentries;
#else
    return env->tlb.t[MMU_IDX_KERNEL].nentries;
#endif
}

/*
 * Grow the kernel index's first level to n entries, or keep it there: a
 * flush that finds the table busy resets the count of idle flushes after
 * which it would halve (the benchmark measures flushes, not resizes).
 */
static void grow_to(uint32_t n)
{
    for (int i = 0; i < 64 && table_size() < n; i++) {
        touch(2 * n, 1);
    }
    touch(n, 1);
    tlb_flush(env);
}

static void flush_nonglobal(void)
{
#ifdef TLB_CONTEXTS
    tlb_flush_nonglobal(env);
#else
    tlb_flush(env);
#endif
}

static void bench_size(uint32_t n)
{
    setup();
    grow_to(n);
    const int reps = 2000;
    double t = 0;
    for (int i = 0; i < reps; i++) {
        touch(WORKSET, 1);
        double t0 = now_ns();
        tlb_flush(env);
        t += now_ns() - t0;
        if (i % 4 == 3) {
            grow_to(n);
        }
    }
    printf("entries %5" PRIu32 ": flush after %d pages %8.0f ns", table_size(),
           WORKSET, t / reps);
    t = 0;
    for (int i = 0; i < reps / 10; i++) {
        touch(n, 1);
        double t0 = now_ns();
        tlb_flush(env);
        t += now_ns() - t0;
    }
    printf(", flush of a full table %8.0f ns\n", t / (reps / 10));
    /* CR3 writes: 64 pages loaded after each */
    double plain = 0, pcid = 0;
    grow_to(n);
    uint32_t size = table_size();
    for (int i = 0; i < reps; i++) {
        double t0 = now_ns();
        flush_nonglobal();
        touch(WORKSET, 1);
        plain += now_ns() - t0;
        if (i % 4 == 3) {
            grow_to(n);
        }
    }
#ifdef TLB_CONTEXTS
    for (int i = 0; i < reps; i++) {
        double t0 = now_ns();
        tlb_switch(env, (uint64_t)(i & 1) + 1, false);
        touch(WORKSET, 1);
        pcid += now_ns() - t0;
    }
#endif
    printf("entries %5" PRIu32 ": CR3 write + %d loads: no PCID %8.0f ns", size,
           WORKSET, plain / reps);
    if (pcid > 0) {
        printf(", PCID switch %8.0f ns", pcid / reps);
    }
    printf("\n");
}

int main(void)
{
    bench_size(1024);
    bench_size(16384);
    return 0;
}
