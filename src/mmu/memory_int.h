/*
 * Private to src/mmu/memory*.c: the region and address-space structs, the
 * flat view, and the calls the memory files make into each other.
 *
 * Sizes and addresses that may reach 2^64 (a region of size UINT64_MAX, a
 * range ending at the top of the space) are computed in 128-bit integers
 * while the flat view is rendered; the flat view itself stores inclusive
 * last addresses so that it never needs more than 64 bits.
 */
#ifndef XLAT_MMU_MEMORY_INT_H
#define XLAT_MMU_MEMORY_INT_H

#include <stdlib.h>

#include "mmu/memory.h"

typedef unsigned __int128 U128;
typedef __int128 S128;

typedef enum MrKind {
    MR_CONTAINER,
    MR_RAM,
    MR_ROM,
    MR_ROMD,
    MR_IO,
    MR_ALIAS,
    MR_IOMMU,
} MrKind;

struct MemRegion {
    char *name;
    MrKind kind;
    uint64_t size; /* UINT64_MAX: the whole 2^64 space */
    bool enabled;
    bool readonly; /* RAM: writes ignored (set for ROM) */
    bool romd;     /* ROM device: reads from memory */

    /* place in the parent container */
    MemRegion *parent;
    MemRegion *next_sibling;
    uint64_t offset;
    int priority;
    uint64_t seq; /* order of addition: later wins among equals */

    MemRegion *children; /* priority desc, then seq desc */
    unsigned refs;       /* aliases onto this region + AddrSpace roots */

    MemRegion *alias; /* MR_ALIAS */
    uint64_t alias_offset;

    const MemOps *ops; /* MR_IO, MR_ROMD */
    const IommuOps *iommu_ops;
    void *opaque;

    /* RAM, ROM, ROM device */
    uint8_t *ram;
    uint64_t ram_cap; /* bytes mapped (size can shrink below it) */
    bool ram_owned;   /* mmap'ed by us */
    uint64_t *dirty[DIRTY__COUNT];
    uint8_t dirty_log;   /* BIT(client): clients logging this region */
    uint64_t *code;      /* per page: the 64-byte chunks holding code */
    uint64_t code_pages; /* pages with a chunk set */
    uint8_t *code_inval; /* per page: writes that dropped code (saturating) */
    MemRegion *ram_next; /* list of all RAM blocks, for as_unmap */
};

typedef struct FlatRange {
    uint64_t base;
    uint64_t last; /* inclusive */
    MemRegion *mr; /* NULL: a hole (only in lookups, never stored) */
    uint64_t mr_offset;
    bool readonly;
} FlatRange;

typedef struct FlatView {
    FlatRange *r;
    size_t n, cap;
} FlatView;

struct AddrSpace {
    char *name;
    MemRegion *root;
    FlatView *view;
    size_t cache; /* index of the last range found */
    MemListener *listeners;
    AddrSpace *next;
};

/* memory.c */
/* mr (or its subtree) changed: rebuild views if any space may see it */
void mem_note_change(const MemRegion *mr);
extern MemRegion *mem_ram_list;

/* memory_flat.c */
FlatView *flat_render(MemRegion *root);
void flat_free(FlatView *fv);
bool flat_equal(const FlatView *a, const FlatView *b);
/* the range holding addr, or a hole (mr NULL) with its real bounds */
FlatRange flat_lookup(AddrSpace *as, uint64_t addr);

static inline U128 mr_size128(const MemRegion *mr)
{
    return mr->size == UINT64_MAX ? (U128)1 << 64 : mr->size;
}

/* memory_dirty.c */
void mr_bitmaps_alloc(MemRegion *mr);
void mr_bitmaps_free(MemRegion *mr);
void mr_bitmaps_resize(MemRegion *mr, uint64_t old_size);
/* a write changed RAM bytes: dirty bits and the code hook */
void mr_note_write(MemRegion *mr, uint64_t off, uint64_t len);

/* memory_access.c */
const char *mr_kind_name(const MemRegion *mr);
bool as_has_bounce(const AddrSpace *as); /* an as_map not yet unmapped */

#endif
