/*
 * Dirty and code page tracking for RAM-backed regions (4 KiB pages).
 *
 * Each RAM, ROM and ROM-device region has one dirty bitmap per client
 * (display refresh, snapshots) and one code bitmap. Every write that goes
 * through the address-space API marks its pages dirty for every client; a
 * client tests and clears its own bits. A new region starts all dirty, so
 * the first display refresh or snapshot pass sees everything. A write that
 * touches a code page calls the code-write hook, which the translator sets
 * to drop the translated blocks there.
 */
#include <string.h>

#include "mmu/memory_int.h"

static MemCodeWriteFn *code_hook;
static void *code_hook_opaque;

static uint64_t mr_pages(const MemRegion *mr)
{
    return (mr->ram_cap + MEM_PAGE_SIZE - 1) >> MEM_PAGE_SHIFT;
}

static size_t bitmap_words(uint64_t bits)
{
    return (bits + 63) / 64;
}

static void bit_set(uint64_t *map, uint64_t i)
{
    map[i / 64] |= BIT(i % 64);
}

static void bit_clear(uint64_t *map, uint64_t i)
{
    map[i / 64] &= ~BIT(i % 64);
}

static bool bit_test(const uint64_t *map, uint64_t i)
{
    return (map[i / 64] >> (i % 64)) & 1;
}

/* bitmaps cover the whole mapping (ram_cap), so resizing keeps them */
void mr_bitmaps_alloc(MemRegion *mr)
{
    size_t words = bitmap_words(mr_pages(mr)) + 1; /* never 0 */
    for (int c = 0; c < DIRTY__COUNT; c++) {
        mr->dirty[c] = xmalloc(words * sizeof(uint64_t));
        memset(mr->dirty[c], 0xff, words * sizeof(uint64_t));
    }
    mr->code = xcalloc(words, sizeof(uint64_t));
    mr->code_pages = 0;
}

void mr_bitmaps_free(MemRegion *mr)
{
    for (int c = 0; c < DIRTY__COUNT; c++) {
        free(mr->dirty[c]);
        mr->dirty[c] = NULL;
    }
    free(mr->code);
    mr->code = NULL;
}

/* pages that come back after a shrink count as written */
void mr_bitmaps_resize(MemRegion *mr, uint64_t old_size)
{
    if (mr->size > old_size) {
        mr_set_dirty(mr, old_size, mr->size - old_size);
    }
}

/* the pages [*first, *last] of [off, off + len) inside the region */
static bool page_span(const MemRegion *mr, uint64_t off, uint64_t len,
                      uint64_t *first, uint64_t *last)
{
    if (!mr->ram || len == 0 || off >= mr->size) {
        return false;
    }
    uint64_t end = off + MIN(len, mr->size - off) - 1;
    *first = off >> MEM_PAGE_SHIFT;
    *last = end >> MEM_PAGE_SHIFT;
    return true;
}

void mr_set_dirty(MemRegion *mr, uint64_t off, uint64_t len)
{
    uint64_t first, last;
    if (!page_span(mr, off, len, &first, &last)) {
        return;
    }
    for (int c = 0; c < DIRTY__COUNT; c++) {
        for (uint64_t p = first; p <= last; p++) {
            bit_set(mr->dirty[c], p);
        }
    }
}

bool mr_test_and_clear_dirty(MemRegion *mr, uint64_t off, uint64_t len,
                             DirtyClient client)
{
    uint64_t first, last;
    ASSERT(client < DIRTY__COUNT);
    if (!page_span(mr, off, len, &first, &last)) {
        return false;
    }
    bool dirty = false;
    for (uint64_t p = first; p <= last; p++) {
        dirty |= bit_test(mr->dirty[client], p);
        bit_clear(mr->dirty[client], p);
    }
    return dirty;
}

void mr_set_code(MemRegion *mr, uint64_t off)
{
    ASSERT(mr->ram && off < mr->ram_cap);
    uint64_t p = off >> MEM_PAGE_SHIFT;
    if (!bit_test(mr->code, p)) {
        bit_set(mr->code, p);
        mr->code_pages++;
    }
}

void mr_clear_code(MemRegion *mr, uint64_t off)
{
    ASSERT(mr->ram && off < mr->ram_cap);
    uint64_t p = off >> MEM_PAGE_SHIFT;
    if (bit_test(mr->code, p)) {
        bit_clear(mr->code, p);
        mr->code_pages--;
    }
}

bool mr_is_code(const MemRegion *mr, uint64_t off)
{
    if (!mr->ram || off >= mr->ram_cap) {
        return false;
    }
    return bit_test(mr->code, off >> MEM_PAGE_SHIFT);
}

void mem_set_code_write_hook(MemCodeWriteFn *fn, void *opaque)
{
    code_hook = fn;
    code_hook_opaque = opaque;
}

static bool any_code(const MemRegion *mr, uint64_t first, uint64_t last)
{
    for (uint64_t p = first; p <= last; p++) {
        if (bit_test(mr->code, p)) {
            return true;
        }
    }
    return false;
}

void mr_note_write(MemRegion *mr, uint64_t off, uint64_t len)
{
    uint64_t first, last;
    if (!page_span(mr, off, len, &first, &last)) {
        return;
    }
    mr_set_dirty(mr, off, len);
    if (mr->code_pages && code_hook && any_code(mr, first, last)) {
        code_hook(code_hook_opaque, mr, off, len);
    }
}
