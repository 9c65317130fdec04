/*
 * Watchpoints through the TLB tag: accesses of the watched kind that touch
 * the range call the hook before they happen, other accesses to the page
 * do not, and once removed the page is back on the fast path.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tiny_machine.h"

static TinyMachine m;
static unsigned hits;
static uint64_t hit_addr;
static bool hit_write;

static void on_watch(CpuX86 *env, uint64_t vaddr, unsigned size, bool write,
                     uintptr_t retaddr)
{
    (void)env, (void)size, (void)retaddr;
    hits++;
    hit_addr = vaddr;
    hit_write = write;
}

/* mov ecx, 50; L: mov [rbx], ecx; mov eax, [rbx + 8]; dec ecx; jnz L */
static const uint8_t loop[] = {0xb9, 50,   0,    0,    0,    0x89, 0x0b,
                               0x8b, 0x43, 0x08, 0xff, 0xc9, 0x75, 0xf7};

static void run_at(uint64_t addr)
{
    m.env->regs[R_EBX] = addr;
    cr_assert_eq(tm_run(&m, loop, sizeof(loop)), 3);
}

Test(watch, writes_and_reads_of_the_range_call_the_hook)
{
    for (size_t b = 0; b < 2; b++) {
        tm_new(&m, tm_backends[b], 0, 0);
        m.env->tlb.watch_hit = on_watch;
        run_at(TM_DATA); /* warm: entries filled before the watchpoint */
        hits = 0;
        cr_assert(tlb_watch_insert(m.env, TM_DATA + 0x40, 4, TLB_WATCH_W));
        run_at(TM_DATA + 0x40);
        cr_assert_eq(hits, 50, "backend %zu: %u hits", b, hits);
        cr_assert_eq(hit_addr, TM_DATA + 0x40);
        cr_assert(hit_write);
        /* the same page, outside the range: nothing */
        hits = 0;
        run_at(TM_DATA + 0x80);
        cr_assert_eq(hits, 0);
        /* a read watchpoint at rbx + 8 */
        cr_assert(tlb_watch_remove(m.env, TM_DATA + 0x40, 4, TLB_WATCH_W));
        cr_assert(tlb_watch_insert(m.env, TM_DATA + 0x48, 1, TLB_WATCH_R));
        run_at(TM_DATA + 0x40);
        cr_assert_eq(hits, 50);
        cr_assert(!hit_write);
        /* removed: no hook, no slow path */
        cr_assert(tlb_watch_remove(m.env, TM_DATA + 0x48, 1, TLB_WATCH_R));
        cr_assert(!tlb_watch_remove(m.env, TM_DATA + 0x48, 1, TLB_WATCH_R));
        hits = 0;
        run_at(TM_DATA + 0x40);
        uint64_t slow = m.env->tlb.stats.slow_ld + m.env->tlb.stats.slow_st;
        run_at(TM_DATA + 0x40);
        cr_assert_eq(hits, 0);
        cr_assert_eq(m.env->tlb.stats.slow_ld + m.env->tlb.stats.slow_st, slow);
        tm_free(&m);
    }
}

Test(watch, the_table_is_bounded)
{
    tm_new(&m, TCG_BACKEND_JIT, 0, 0);
    cr_assert(!tlb_watch_insert(m.env, 0, 0, TLB_WATCH_R), "empty");
    cr_assert(!tlb_watch_insert(m.env, ~0ull - 3, 8, TLB_WATCH_R), "wraps");
    for (unsigned i = 0; i < TLB_MAX_WATCH; i++) {
        cr_assert(tlb_watch_insert(m.env, TM_DATA + 8 * i, 8, TLB_WATCH_R));
    }
    cr_assert(!tlb_watch_insert(m.env, TM_DATA + 0x100, 8, TLB_WATCH_R));
    tm_free(&m);
}
