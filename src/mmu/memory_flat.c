/*
 * The flat view: the region tree of an address space rendered into a sorted
 * array of non-overlapping ranges, and the O(log n) lookup over it.
 *
 * Rendering walks the tree depth-first, visiting siblings in the order in
 * which they win overlaps (higher priority first, then later-added first).
 * Each leaf fills only the parts of its window that nothing rendered before
 * it already covers, so the first region to claim a byte owns it. Windows
 * are clipped by every enclosing container and alias on the way down.
 * Positions are computed in 128-bit arithmetic: an alias may start its target
 * "below zero" and a region may end exactly at 2^64.
 */
#include <string.h>

#include "mmu/memory_int.h"
#include "util/log.h"

/* deeper than any real machine; stops a cycle made through aliases */
#define FLAT_MAX_DEPTH 64

/* ---- building ---- */

static void flat_insert_at(FlatView *fv, size_t i, const FlatRange *r)
{
    if (fv->n == fv->cap) {
        fv->cap = fv->cap ? fv->cap * 2 : 16;
        fv->r = xrealloc(fv->r, fv->cap * sizeof(*fv->r));
    }
    memmove(&fv->r[i + 1], &fv->r[i], (fv->n - i) * sizeof(*fv->r));
    fv->r[i] = *r;
    fv->n++;
}

/*
 * First range whose last address is >= addr (fv->n if none). Branch-free
 * halving (the compare becomes a conditional move): lookups at random
 * addresses would otherwise mispredict at almost every step.
 */
static size_t flat_first_ending_at_or_after(const FlatView *fv, uint64_t addr)
{
    const FlatRange *b = fv->r;
    size_t n = fv->n;
    if (n == 0) {
        return 0;
    }
    while (n > 1) {
        size_t half = n / 2;
        b = b[half - 1].last < addr ? b + half : b;
        n -= half;
    }
    return (size_t)(b - fv->r) + (b->last < addr);
}

/*
 * Give the leaf every still-uncovered byte of [lo, hi]. base is where the
 * leaf's offset 0 sits in the space (may be outside the 64-bit range).
 */
static void flat_fill(FlatView *fv, U128 lo, U128 hi, MemRegion *leaf,
                      S128 base, bool readonly)
{
    size_t i = flat_first_ending_at_or_after(fv, (uint64_t)lo);
    U128 cur = lo;
    while (cur <= hi) {
        if (i < fv->n && fv->r[i].base <= cur) {
            cur = (U128)fv->r[i].last + 1;
            i++;
            continue;
        }
        U128 end = hi;
        if (i < fv->n && (U128)fv->r[i].base - 1 < end) {
            end = (U128)fv->r[i].base - 1;
        }
        FlatRange r = {
            .base = (uint64_t)cur,
            .last = (uint64_t)end,
            .mr = leaf,
            .mr_offset = (uint64_t)((S128)cur - base),
            .readonly = readonly,
        };
        flat_insert_at(fv, i, &r);
        i++;
        cur = end + 1;
    }
}

static bool mr_leaf_readonly(const MemRegion *mr)
{
    switch (mr->kind) {
    case MR_RAM:
    case MR_ROM:
        return mr->readonly;
    case MR_ROMD:
        return true; /* writes always go to the callbacks */
    case MR_IO:
    case MR_IOMMU:
    case MR_CONTAINER:
    case MR_ALIAS:
        return false;
    }
    return false;
}

/* render mr, whose offset 0 sits at base, into the window [lo, hi] */
static void flat_render_mr(FlatView *fv, MemRegion *mr, S128 base, S128 lo,
                           S128 hi, unsigned depth)
{
    if (!mr->enabled || mr->size == 0) {
        return;
    }
    if (depth > FLAT_MAX_DEPTH) {
        log_host_error("memory: region '%s' nested too deep (alias cycle?)",
                       mr->name);
        return;
    }
    S128 end = base + (S128)mr_size128(mr) - 1;
    lo = MAX(lo, base);
    hi = MIN(hi, end);
    if (lo > hi) {
        return;
    }
    switch (mr->kind) {
    case MR_CONTAINER:
        for (MemRegion *c = mr->children; c; c = c->next_sibling) {
            flat_render_mr(fv, c, base + c->offset, lo, hi, depth + 1);
        }
        break;
    case MR_ALIAS:
        flat_render_mr(fv, mr->alias, base - (S128)mr->alias_offset, lo, hi,
                       depth + 1);
        break;
    case MR_RAM:
    case MR_ROM:
    case MR_ROMD:
    case MR_IO:
    case MR_IOMMU:
        flat_fill(fv, (U128)lo, (U128)hi, mr, base, mr_leaf_readonly(mr));
        break;
    }
}

/* join neighbours that continue the same region */
static void flat_merge(FlatView *fv)
{
    size_t out = 0;
    for (size_t i = 0; i < fv->n; i++) {
        FlatRange *p = out ? &fv->r[out - 1] : NULL;
        FlatRange *r = &fv->r[i];
        if (p && p->mr == r->mr && p->readonly == r->readonly &&
            p->last + 1 == r->base &&
            p->mr_offset + (p->last - p->base) + 1 == r->mr_offset) {
            p->last = r->last;
            continue;
        }
        fv->r[out++] = *r;
    }
    fv->n = out;
}

FlatView *flat_render(MemRegion *root)
{
    FlatView *fv = xzalloc(sizeof(*fv));
    flat_render_mr(fv, root, 0, 0, (S128)UINT64_MAX, 0);
    flat_merge(fv);
    return fv;
}

void flat_free(FlatView *fv)
{
    if (fv) {
        free(fv->r);
        free(fv);
    }
}

bool flat_equal(const FlatView *a, const FlatView *b)
{
    if (a->n != b->n) {
        return false;
    }
    for (size_t i = 0; i < a->n; i++) {
        const FlatRange *x = &a->r[i], *y = &b->r[i];
        if (x->base != y->base || x->last != y->last || x->mr != y->mr ||
            x->mr_offset != y->mr_offset || x->readonly != y->readonly) {
            return false;
        }
    }
    return true;
}

/* ---- lookup ---- */

static FlatRange flat_hole(const FlatView *fv, size_t i)
{
    FlatRange h = {.base = 0, .last = UINT64_MAX};
    if (i > 0) {
        h.base = fv->r[i - 1].last + 1;
    }
    if (i < fv->n) {
        h.last = fv->r[i].base - 1;
    }
    return h;
}

FlatRange flat_lookup(AddrSpace *as, uint64_t addr)
{
    const FlatView *fv = as->view;
    size_t c = as->cache;
    if (c < fv->n && fv->r[c].base <= addr && addr <= fv->r[c].last) {
        return fv->r[c];
    }
    size_t i = flat_first_ending_at_or_after(fv, addr);
    if (i < fv->n && fv->r[i].base <= addr) {
        as->cache = i;
        return fv->r[i];
    }
    return flat_hole(fv, i);
}

MemSection as_find(AddrSpace *as, uint64_t addr)
{
    FlatRange r = flat_lookup(as, addr);
    uint64_t size = r.last - r.base + 1;
    return (MemSection){
        .mr = r.mr,
        .base = r.base,
        .size = size ? size : UINT64_MAX, /* a hole over all 2^64 bytes */
        .mr_offset = r.mr_offset,
        .readonly = r.readonly,
    };
}
