/*
 * The address-space tree: how a machine describes its memory and I/O maps,
 * and how every access (CPU, TLB fill, device DMA) finds its target.
 *
 * A MemRegion is one of: RAM (host memory), ROM (RAM that ignores writes),
 * ROM device (reads like ROM, writes go to callbacks; or all callbacks when
 * its romd mode is off), MMIO (callbacks), alias (a window onto another
 * region), container (children at offsets with priorities), or IOMMU (a
 * translate callback that redirects accesses into another address space).
 *
 * An AddrSpace has a root region and a flat view: a sorted array of
 * non-overlapping ranges, each naming the leaf region and the offset into it.
 * Overlaps resolve by priority (higher wins); between equal priorities the
 * child added later wins (mr_set_priority keeps the original order of
 * addition). A container clips its children to its own size; a disabled
 * region is a hole. A size of UINT64_MAX stands for the whole 2^64 space
 * (the system-memory root). The flat view is rebuilt when a transaction
 * commits (mem_begin()/mem_commit(); a change outside a transaction commits
 * at once) and the listeners of every space whose view changed are told
 * afterwards, once per outermost commit.
 *
 * Lifetime: a region may be freed only once it is unmapped (no parent, not
 * an AddrSpace root, no alias onto it); freeing a container detaches its
 * children. mr_free_tree() frees a container with all its descendants.
 * Not thread-safe: changes and accesses happen on one thread.
 *
 * Device example: a 16550 UART claims 8 I/O ports.
 *
 *     static const MemOps uart_ops = {
 *         .read = uart_read, .write = uart_write,
 *         .valid = {.min = 1, .max = 1}, .impl = {.min = 1, .max = 1},
 *     };
 *     s->mr = mr_new_io("uart", 8, &uart_ops, s);
 *     mr_add_subregion(io_root, 0x3f8, s->mr, 0);
 */
#ifndef XLAT_MMU_MEMORY_H
#define XLAT_MMU_MEMORY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/common.h"

typedef struct MemRegion MemRegion;
typedef struct AddrSpace AddrSpace;

/* who is asking: the IOMMU and SMRAM decode depend on it */
typedef struct MemAttrs {
    uint16_t requester_id; /* PCI bus << 8 | dev << 3 | fn, for DMA */
    bool dma;              /* issued by a device, not by a CPU */
    bool smm;              /* the CPU is in system management mode */
    bool debug;            /* debugger/monitor access: no side effects logged */
} MemAttrs;

#define MEMATTRS_CPU ((MemAttrs){0})
#define MEMATTRS_DMA(rid) ((MemAttrs){.requester_id = (rid), .dma = true})

/* bit set; MEMTX_OK is 0 */
typedef enum MemTxResult {
    MEMTX_OK = 0,
    MEMTX_DECODE_ERROR = 1 << 0,  /* nothing at that address */
    MEMTX_ACCESS_DENIED = 1 << 1, /* IOMMU or permission refused */
    MEMTX_ERROR = 1 << 2,         /* the device signalled an error */
} MemTxResult;

/*
 * MMIO callbacks. addr is the offset inside the region, size is 1, 2, 4 or 8
 * bytes, values are little-endian in the low bits.
 */
typedef uint64_t MemReadFn(void *opaque, uint64_t addr, unsigned size);
typedef void MemWriteFn(void *opaque, uint64_t addr, uint64_t val,
                        unsigned size);

typedef struct MemAccessSizes {
    unsigned min;   /* bytes; 0 means 1 */
    unsigned max;   /* bytes; 0 means 4 */
    bool unaligned; /* accesses not aligned to their size are accepted */
} MemAccessSizes;

typedef struct MemOps {
    MemReadFn *read;   /* NULL: reads return 0 */
    MemWriteFn *write; /* NULL: writes are dropped */
    /*
     * .valid: what the guest may issue; anything else is a guest error
     * (reads all-ones, writes dropped, logged).
     * .impl: what read/write handle; the core splits wider accesses and
     * widens narrower ones (read-modify-write for writes) to fit.
     */
    MemAccessSizes valid;
    MemAccessSizes impl;
} MemOps;

/* IOMMU regions: the hook for VT-d */
enum { IOMMU_NONE = 0, IOMMU_RO = 1, IOMMU_WO = 2, IOMMU_RW = 3 };

typedef struct IommuTlbEntry {
    AddrSpace *target_as;     /* where the translated address lives */
    uint64_t iova;            /* input address, aligned to addr_mask + 1 */
    uint64_t translated_addr; /* output address of the page */
    uint64_t addr_mask;       /* page size - 1 (0xfff for 4 KiB) */
    unsigned perm;            /* IOMMU_* granted; NONE is a fault */
} IommuTlbEntry;

typedef IommuTlbEntry IommuTranslateFn(void *opaque, uint64_t addr,
                                       unsigned access, MemAttrs attrs);

typedef struct IommuOps {
    IommuTranslateFn *translate;
} IommuOps;

/* ---- regions ---- */

MemRegion *mr_new_container(const char *name, uint64_t size);
/* zeroed; RAM, ROM and ROM devices return NULL if the host cannot map them */
MemRegion *mr_new_ram(const char *name, uint64_t size);
/* RAM backed by caller memory (page aligned), not freed by xlat */
MemRegion *mr_new_ram_ptr(const char *name, uint64_t size, void *host);
MemRegion *mr_new_rom(const char *name, uint64_t size);
MemRegion *mr_new_io(const char *name, uint64_t size, const MemOps *ops,
                     void *opaque);
/* ROM device: reads from memory while romd mode is on, writes to ops */
MemRegion *mr_new_romd(const char *name, uint64_t size, const MemOps *ops,
                       void *opaque);
MemRegion *mr_new_alias(const char *name, MemRegion *target, uint64_t offset,
                        uint64_t size);
MemRegion *mr_new_iommu(const char *name, uint64_t size, const IommuOps *ops,
                        void *opaque);
/* the region must not be mapped anywhere */
void mr_free(MemRegion *mr);
/* frees mr and every region below it (not alias targets outside it) */
void mr_free_tree(MemRegion *mr);

void mr_add_subregion(MemRegion *parent, uint64_t offset, MemRegion *child,
                      int priority);
void mr_del_subregion(MemRegion *parent, MemRegion *child);

void mr_set_enabled(MemRegion *mr, bool enabled);
void mr_set_offset(MemRegion *mr, uint64_t offset); /* move in its parent */
void mr_set_priority(MemRegion *mr, int priority);
/* RAM-backed regions may shrink and grow back up to their created size */
void mr_set_size(MemRegion *mr, uint64_t size);
void mr_set_alias_offset(MemRegion *mr, uint64_t offset);
void mr_set_readonly(MemRegion *mr, bool readonly); /* RAM becomes ROM */
void mr_set_romd(MemRegion *mr, bool romd);

const char *mr_name(const MemRegion *mr);
uint64_t mr_size(const MemRegion *mr);
/* reads come from host memory: RAM, ROM, or a ROM device in romd mode */
bool mr_is_ram(const MemRegion *mr);
/* host memory of RAM, ROM and ROM devices (in either mode), else NULL */
uint8_t *mr_ram_ptr(MemRegion *mr);

/* ---- transactions and listeners ---- */

void mem_begin(void);
void mem_commit(void); /* nests; the outermost rebuilds changed views */

typedef struct MemListener MemListener;
struct MemListener {
    /* called after the flat view of `as` changed */
    void (*commit)(MemListener *l, AddrSpace *as);
    MemListener *next; /* owned by the address space */
};

/* ---- address spaces ---- */

AddrSpace *as_new(const char *name, MemRegion *root);
void as_free(AddrSpace *as);
const char *as_name(const AddrSpace *as);
MemRegion *as_root(const AddrSpace *as);

void as_add_listener(AddrSpace *as, MemListener *l);
void as_del_listener(AddrSpace *as, MemListener *l);

/* one flat-view range, as the TLB fill and the DMA path see it */
typedef struct MemSection {
    MemRegion *mr;      /* leaf: RAM, ROM, ROM device, MMIO, IOMMU; NULL if
                           nothing is mapped */
    uint64_t base;      /* first address of the range in the space */
    uint64_t size;      /* bytes; the range is [base, base + size - 1] */
    uint64_t mr_offset; /* offset inside mr that `base` maps to */
    bool readonly;      /* writes do not reach RAM (ROM, romd) */
} MemSection;

/*
 * O(log n); addresses with nothing mapped give mr == NULL and the bounds of
 * the hole (a hole over all 2^64 bytes reports size UINT64_MAX).
 */
MemSection as_find(AddrSpace *as, uint64_t addr);

/* byte-granular accesses that split across regions and access sizes */
MemTxResult as_read(AddrSpace *as, uint64_t addr, void *buf, uint64_t len,
                    MemAttrs attrs) MUST_CHECK;
MemTxResult as_write(AddrSpace *as, uint64_t addr, const void *buf,
                     uint64_t len, MemAttrs attrs) MUST_CHECK;

/* one access of 1/2/4/8 bytes; a failed read returns all-ones */
uint64_t as_ld(AddrSpace *as, uint64_t addr, unsigned size, MemAttrs attrs,
               MemTxResult *res);
MemTxResult as_st(AddrSpace *as, uint64_t addr, uint64_t val, unsigned size,
                  MemAttrs attrs);

/* little-endian shorthands for device models and tests (CPU attrs) */
static inline uint8_t as_ld8(AddrSpace *as, uint64_t a)
{
    return (uint8_t)as_ld(as, a, 1, MEMATTRS_CPU, NULL);
}
static inline uint16_t as_ld16(AddrSpace *as, uint64_t a)
{
    return (uint16_t)as_ld(as, a, 2, MEMATTRS_CPU, NULL);
}
static inline uint32_t as_ld32(AddrSpace *as, uint64_t a)
{
    return (uint32_t)as_ld(as, a, 4, MEMATTRS_CPU, NULL);
}
static inline uint64_t as_ld64(AddrSpace *as, uint64_t a)
{
    return as_ld(as, a, 8, MEMATTRS_CPU, NULL);
}
static inline void as_st8(AddrSpace *as, uint64_t a, uint8_t v)
{
    (void)as_st(as, a, v, 1, MEMATTRS_CPU);
}
static inline void as_st16(AddrSpace *as, uint64_t a, uint16_t v)
{
    (void)as_st(as, a, v, 2, MEMATTRS_CPU);
}
static inline void as_st32(AddrSpace *as, uint64_t a, uint32_t v)
{
    (void)as_st(as, a, v, 4, MEMATTRS_CPU);
}
static inline void as_st64(AddrSpace *as, uint64_t a, uint64_t v)
{
    (void)as_st(as, a, v, 8, MEMATTRS_CPU);
}

/*
 * Zero-copy DMA. Returns a host pointer for up to *len bytes at addr, and
 * shrinks *len to what is contiguous. Plain RAM maps directly; anything else
 * (MMIO, ROM for writes, an IOMMU-translated range that is not RAM) goes
 * through a bounce buffer that as_unmap() writes back. Returns NULL (and
 * *len = 0) when nothing can be mapped, e.g. a denied IOMMU access or an
 * unassigned address.
 */
void *as_map(AddrSpace *as, uint64_t addr, uint64_t *len, bool is_write,
             MemAttrs attrs);
/* access_len: how many bytes were really written, from the start */
void as_unmap(AddrSpace *as, void *host, uint64_t len, bool is_write,
              uint64_t access_len);

/* `-d mmu` and tests: the region tree and the flat view */
void as_dump(AddrSpace *as, FILE *f);

/* ---- dirty and code tracking per RAM region (4 KiB pages) ---- */

typedef enum DirtyClient {
    DIRTY_VGA,     /* display refresh */
    DIRTY_MIGRATE, /* snapshots */
    DIRTY__COUNT,
} DirtyClient;

#define MEM_PAGE_SHIFT 12
#define MEM_PAGE_SIZE (1ull << MEM_PAGE_SHIFT)

/* mark [off, off+len) written (every client) */
void mr_set_dirty(MemRegion *mr, uint64_t off, uint64_t len);
/* true if any page in [off, off+len) is dirty for client; clears them */
bool mr_test_and_clear_dirty(MemRegion *mr, uint64_t off, uint64_t len,
                             DirtyClient client);

/*
 * Dirty logging: a client that reads a region's bitmap (the display for
 * VRAM, snapshots for all RAM) turns logging on for it. Then stores that
 * bypass the address-space API (generated code's fast path, through the
 * TLB) must mark the bitmap too: the TLB tags such pages (TLB_NOTDIRTY)
 * while a logging client's bit is clear, and clearing a bit calls the
 * dirty-reset hook so the TLBs tag the page again.
 */
void mr_set_dirty_log(MemRegion *mr, DirtyClient client, bool on);
/* would a store to off's page set a bit some logging client has clear? */
bool mr_dirty_log_pending(const MemRegion *mr, uint64_t off);
typedef void MemDirtyResetFn(void *opaque, MemRegion *mr, uint64_t off,
                             uint64_t len);
void mem_set_dirty_reset_hook(MemDirtyResetFn *fn, void *opaque);
/*
 * Translated code, per 64-byte chunk of each page: a write touching a code
 * chunk must invalidate blocks. A page's mask has bit i for the chunk at
 * [64 i, 64 i + 64); mr_set_code_mask replaces the mask of off's page,
 * mr_set_code/mr_clear_code set or clear all of it; mr_is_code: any chunk.
 */
#define MEM_CODE_CHUNK_SHIFT 6
void mr_set_code_mask(MemRegion *mr, uint64_t off, uint64_t mask);
uint64_t mr_code_mask(const MemRegion *mr, uint64_t off);
void mr_set_code(MemRegion *mr, uint64_t off);
void mr_clear_code(MemRegion *mr, uint64_t off);
bool mr_is_code(const MemRegion *mr, uint64_t off);
/* the chunks of off's page that [off, off + len) touches (to its end) */
uint64_t mem_code_chunks(uint64_t off, uint64_t len);
/*
 * Pages rewritten again and again: every write that dropped translated
 * code counts; after MEM_CODE_HOT_AFTER the page is "hot" for good and the
 * translator stops protecting it (its blocks check their own bytes).
 * mr_code_invalidated counts one and is true when the page just turned.
 */
#define MEM_CODE_HOT_AFTER 32
bool mr_code_invalidated(MemRegion *mr, uint64_t off);
bool mr_code_hot(const MemRegion *mr, uint64_t off);

/*
 * Called after a write through this API (as_write, as_st, as_unmap) changed
 * bytes of a page marked with mr_set_code(), so the translator can drop the
 * blocks there. One hook for the whole process; NULL to remove.
 */
typedef void MemCodeWriteFn(void *opaque, MemRegion *mr, uint64_t off,
                            uint64_t len);
void mem_set_code_write_hook(MemCodeWriteFn *fn, void *opaque);

#endif
