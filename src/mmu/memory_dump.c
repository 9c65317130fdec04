/*
 * as_dump(): what `-d mmu` prints, in the spirit of QEMU's `info mtree`.
 * First the region tree with absolute addresses, one region a line:
 *
 *   0000000000000000-00000000000fffff (prio 0, ram): pc.ram
 *   00000000000c0000-00000000000dffff (prio 1, alias): rom-win @pc.rom
 *   0000000000000000-000000000001ffff [disabled]     (one line)
 *
 * then the flat view, one range a line, with the leaf and its offset. The
 * regions an alias points at are listed after the tree, once each.
 */
#include <inttypes.h>

#include "mmu/memory_int.h"

#define DUMP_MAX_DEPTH 64
#define DUMP_MAX_ALIASED 64

typedef struct DumpCtx {
    FILE *f;
    MemRegion *aliased[DUMP_MAX_ALIASED]; /* alias targets to list later */
    unsigned n_aliased;
} DumpCtx;

static uint64_t mr_last(uint64_t start, const MemRegion *mr)
{
    return (uint64_t)((U128)start + mr_size128(mr) - 1);
}

static void dump_note_alias(DumpCtx *d, MemRegion *target)
{
    for (unsigned i = 0; i < d->n_aliased; i++) {
        if (d->aliased[i] == target) {
            return;
        }
    }
    if (d->n_aliased < DUMP_MAX_ALIASED) {
        d->aliased[d->n_aliased++] = target;
    }
}

static void dump_line(DumpCtx *d, const MemRegion *mr, uint64_t start,
                      unsigned depth)
{
    fprintf(d->f, "%*s%016" PRIx64 "-%016" PRIx64 " (prio %d, %s): %s",
            (int)(depth * 2 + 2), "", start, mr_last(start, mr), mr->priority,
            mr_kind_name(mr), mr->name);
    if (mr->kind == MR_ALIAS) {
        uint64_t t0 = mr->alias_offset;
        fprintf(d->f, " @%s %016" PRIx64 "-%016" PRIx64, mr->alias->name, t0,
                mr_last(t0, mr));
    }
    fprintf(d->f, "%s\n", mr->enabled ? "" : " [disabled]");
}

static void dump_tree(DumpCtx *d, MemRegion *mr, uint64_t start, unsigned depth)
{
    if (depth > DUMP_MAX_DEPTH) {
        return;
    }
    dump_line(d, mr, start, depth);
    if (mr->kind == MR_ALIAS) {
        dump_note_alias(d, mr->alias);
    }
    for (MemRegion *c = mr->children; c; c = c->next_sibling) {
        dump_tree(d, c, start + c->offset, depth + 1);
    }
}

static void dump_flat(FILE *f, const FlatView *fv)
{
    fprintf(f, "flat view:\n");
    for (size_t i = 0; i < fv->n; i++) {
        const FlatRange *r = &fv->r[i];
        fprintf(f, "  %016" PRIx64 "-%016" PRIx64 " (%s) %s @0x%" PRIx64 "%s\n",
                r->base, r->last, mr_kind_name(r->mr), r->mr->name,
                r->mr_offset, r->readonly ? " [ro]" : "");
    }
}

void as_dump(AddrSpace *as, FILE *f)
{
    DumpCtx d = {.f = f};
    fprintf(f, "address-space: %s\n", as->name);
    dump_tree(&d, as->root, 0, 0);
    /* the list grows while we walk it: aliases of aliases */
    for (unsigned i = 0; i < d.n_aliased; i++) {
        fprintf(f, "aliased region: %s\n", d.aliased[i]->name);
        dump_tree(&d, d.aliased[i], 0, 0);
    }
    dump_flat(f, as->view);
}
