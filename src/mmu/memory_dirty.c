/*
 * Dirty and code page tracking for RAM-backed regions (4 KiB pages).
 *
 * Each RAM, ROM and ROM-device region has one dirty bitmap per client
 * (display refresh, snapshots) and one code bitmap. Every write that goes
 * through the address-space API marks its pages dirty for every client; a
 * client tests and clears its own bits. A new region starts all dirty, so
 * the first display refresh or snapshot pass sees everything. Code is
 * tracked per 64-byte chunk (one 64-bit mask per page): a write that
 * touches a chunk holding translated code calls the code-write hook, which
 * the translator sets to drop the blocks there; writes beside the code, to
 * data sharing its page, do not.
 */
#include <string.h>

#include "mmu/memory_int.h"

static MemCodeWriteFn *code_hook;
static void *code_hook_opaque;
static MemDirtyResetFn *dirty_hook;
static void *dirty_hook_opaque;

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
    mr->code = xcalloc(mr_pages(mr) + 1, sizeof(uint64_t));
    mr->code_inval = xcalloc(mr_pages(mr) + 1, 1);
    mr->code_pages = 0;
}

void mr_bitmaps_free(MemRegion *mr)
{
    for (int c = 0; c < DIRTY__COUNT; c++) {
        free(mr->dirty[c]);
        mr->dirty[c] = NULL;
    }
    free(mr->code);
    free(mr->code_inval);
    mr->code_inval = NULL;
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
    if (dirty && (mr->dirty_log & BIT(client)) && dirty_hook) {
        dirty_hook(dirty_hook_opaque, mr, first << MEM_PAGE_SHIFT,
                   (last - first + 1) << MEM_PAGE_SHIFT);
    }
    return dirty;
}

void mr_set_dirty_log(MemRegion *mr, DirtyClient client, bool on)
{
    ASSERT(client < DIRTY__COUNT);
    if (!mr->ram) {
        return;
    }
    if (on) {
        mr->dirty_log |= (uint8_t)BIT(client);
    } else {
        mr->dirty_log &= (uint8_t)~BIT(client);
    }
    if (on && dirty_hook) { /* pages already clean get tagged */
        dirty_hook(dirty_hook_opaque, mr, 0, mr->ram_cap);
    }
}

bool mr_dirty_log_pending(const MemRegion *mr, uint64_t off)
{
    if (!mr->dirty_log || off >= mr->ram_cap) {
        return false;
    }
    for (int c = 0; c < DIRTY__COUNT; c++) {
        if ((mr->dirty_log & BIT(c)) &&
            !bit_test(mr->dirty[c], off >> MEM_PAGE_SHIFT)) {
            return true;
        }
    }
    return false;
}

void mem_set_dirty_reset_hook(MemDirtyResetFn *fn, void *opaque)
{
    dirty_hook = fn;
    dirty_hook_opaque = opaque;
}

uint64_t mem_code_chunks(uint64_t off, uint64_t len)
{
    uint64_t in = off & (MEM_PAGE_SIZE - 1);
    if (len == 0) {
        return 0;
    }
    uint64_t end = MIN(in + len, MEM_PAGE_SIZE);
    return MASK_RANGE(in >> MEM_CODE_CHUNK_SHIFT,
                      (end - 1) >> MEM_CODE_CHUNK_SHIFT);
}

void mr_set_code_mask(MemRegion *mr, uint64_t off, uint64_t mask)
{
    ASSERT(mr->ram && off < mr->ram_cap);
    uint64_t *m = &mr->code[off >> MEM_PAGE_SHIFT];
    mr->code_pages += *m == 0 && mask != 0;
    mr->code_pages -= *m != 0 && mask == 0;
    *m = mask;
}

void mr_set_code(MemRegion *mr, uint64_t off)
{
    mr_set_code_mask(mr, off, ~0ull);
}

void mr_clear_code(MemRegion *mr, uint64_t off)
{
    mr_set_code_mask(mr, off, 0);
}

uint64_t mr_code_mask(const MemRegion *mr, uint64_t off)
{
    if (!mr->ram || off >= mr->ram_cap) {
        return 0;
    }
    return mr->code[off >> MEM_PAGE_SHIFT];
}

bool mr_code_invalidated(MemRegion *mr, uint64_t off)
{
    if (!mr->ram || off >= mr->ram_cap) {
        return false;
    }
    uint8_t *n = &mr->code_inval[off >> MEM_PAGE_SHIFT];
    *n += *n < UINT8_MAX;
    return *n == MEM_CODE_HOT_AFTER;
}

bool mr_code_hot(const MemRegion *mr, uint64_t off)
{
    return mr->ram && off < mr->ram_cap &&
           mr->code_inval[off >> MEM_PAGE_SHIFT] >= MEM_CODE_HOT_AFTER;
}

bool mr_is_code(const MemRegion *mr, uint64_t off)
{
    return mr_code_mask(mr, off) != 0;
}

void mem_set_code_write_hook(MemCodeWriteFn *fn, void *opaque)
{
    code_hook = fn;
    code_hook_opaque = opaque;
}

/* does [off, off + len) touch a code chunk? (page by page) */
static bool any_code(const MemRegion *mr, uint64_t off, uint64_t len)
{
    uint64_t end = off + len;
    while (off < end) {
        uint64_t n =
            MIN(end - off, MEM_PAGE_SIZE - (off & (MEM_PAGE_SIZE - 1)));
        if (mr->code[off >> MEM_PAGE_SHIFT] & mem_code_chunks(off, n)) {
            return true;
        }
        off += n;
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
    len = MIN(len, mr->size - off);
    if (mr->code_pages && code_hook && any_code(mr, off, len)) {
        code_hook(code_hook_opaque, mr, off, len);
    }
}
