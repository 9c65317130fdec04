/*
 * Accesses through an address space: byte-granular as_read/as_write that
 * split at flat-view range edges and into the sizes an MMIO region accepts,
 * single 1/2/4/8-byte as_ld/as_st, MMIO dispatch fitted to .valid and .impl,
 * IOMMU translation (bounded hops), and as_map/as_unmap for DMA.
 *
 * Guest-derived addresses and sizes never crash us: unassigned ranges read
 * all-ones and drop writes, accesses outside a region's .valid sizes are
 * logged guest errors, and an access running past 2^64-1 wraps to 0.
 * Values are little-endian; the host is little-endian (checked below).
 */
#include <inttypes.h>
#include <string.h>

#include "mmu/memory_int.h"
#include "util/log.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "memory_access.c assumes a little-endian host");

/* translations through IOMMU regions before we give up (a loop) */
#define IOMMU_MAX_HOPS 8
/* the largest bounce buffer as_map hands out */
#define BOUNCE_MAX (64 * 1024)

typedef struct Bounce {
    uint8_t *buf;
    AddrSpace *as;
    uint64_t addr, len;
    MemAttrs attrs;
    bool is_write;
    struct Bounce *next;
} Bounce;

static Bounce *bounce_list;

/* guest errors; debugger and monitor accesses (attrs.debug) stay quiet */
#define mem_guest_error(attrs, ...)                                            \
    do {                                                                       \
        if (!(attrs).debug) {                                                  \
            log_guest_error("memory", __VA_ARGS__);                            \
        }                                                                      \
    } while (0)

static MemTxResult as_rw(AddrSpace *as, uint64_t addr, uint8_t *buf,
                         uint64_t len, bool is_write, MemAttrs attrs,
                         unsigned hops);

const char *mr_kind_name(const MemRegion *mr)
{
    switch (mr->kind) {
    case MR_CONTAINER:
        return "container";
    case MR_RAM:
        return mr->readonly ? "ram, ro" : "ram";
    case MR_ROM:
        return "rom";
    case MR_ROMD:
        return mr->romd ? "romd" : "romd, mmio";
    case MR_IO:
        return "i/o";
    case MR_ALIAS:
        return "alias";
    case MR_IOMMU:
        return "iommu";
    }
    return "?";
}

static uint64_t ones(unsigned size)
{
    return MASK(size * 8);
}

/* ---- MMIO dispatch ---- */

static unsigned sizes_min(const MemAccessSizes *s)
{
    return s->min ? s->min : 1;
}

static unsigned sizes_max(const MemAccessSizes *s)
{
    return s->max ? s->max : 4;
}

static uint64_t mmio_call_read(MemRegion *mr, uint64_t off, unsigned size)
{
    if (!mr->ops->read) {
        return 0;
    }
    return mr->ops->read(mr->opaque, off, size) & ones(size);
}

static void mmio_call_write(MemRegion *mr, uint64_t off, uint64_t val,
                            unsigned size)
{
    if (mr->ops->write) {
        mr->ops->write(mr->opaque, off, val & ones(size), size);
    }
}

/*
 * An access of `size` bytes at `off` that .impl does not take as it is:
 * cover it with impl-sized units (aligned unless .impl.unaligned), read
 * units and pick the bytes out, or write whole units and read-modify-write
 * the partly covered ones.
 */
static void mmio_adjusted(MemRegion *mr, uint64_t off, unsigned size,
                          uint64_t *val, bool is_write)
{
    const MemAccessSizes *impl = &mr->ops->impl;
    unsigned unit = MIN(MAX(size, sizes_min(impl)), sizes_max(impl));
    while (!IS_POW2(unit)) {
        unit &= unit - 1; /* odd widths come only from the splitter */
    }
    uint64_t start = impl->unaligned ? off : ALIGN_DOWN(off, unit);
    uint64_t result = 0;
    for (uint64_t u = start; u < off + size; u += unit) {
        uint64_t lo = MAX(u, off), hi = MIN(u + unit, off + size);
        unsigned nb = hi - lo, in_unit = (lo - u) * 8, in_val = (lo - off) * 8;
        uint64_t m = ones(nb);
        if (!is_write) {
            uint64_t v = mmio_call_read(mr, u, unit);
            result |= ((v >> in_unit) & m) << in_val;
            continue;
        }
        uint64_t part = (*val >> in_val) & m;
        uint64_t w = nb == unit ? part : mmio_call_read(mr, u, unit);
        if (nb != unit) {
            w = (w & ~(m << in_unit)) | (part << in_unit);
        }
        mmio_call_write(mr, u, w, unit);
    }
    if (!is_write) {
        *val = result;
    }
}

static bool mmio_valid(const MemRegion *mr, uint64_t off, unsigned size)
{
    const MemAccessSizes *v = &mr->ops->valid;
    if (size < sizes_min(v) || size > sizes_max(v)) {
        return false;
    }
    return v->unaligned || (off & (size - 1)) == 0;
}

/* one guest access of 1, 2, 4 or 8 bytes to an MMIO or ROM device region */
static MemTxResult mmio_access(MemRegion *mr, uint64_t off, unsigned size,
                               uint64_t *val, bool is_write, MemAttrs attrs)
{
    if (!mmio_valid(mr, off, size)) {
        mem_guest_error(attrs, "%s: invalid %u-byte %s at offset 0x%" PRIx64,
                        mr->name, size, is_write ? "write" : "read", off);
        if (!is_write) {
            *val = ones(size);
        }
        return MEMTX_DECODE_ERROR;
    }
    const MemAccessSizes *impl = &mr->ops->impl;
    bool fits = size >= sizes_min(impl) && size <= sizes_max(impl) &&
                (impl->unaligned || (off & (size - 1)) == 0);
    if (!fits) {
        mmio_adjusted(mr, off, size, val, is_write);
    } else if (is_write) {
        mmio_call_write(mr, off, *val, size);
    } else {
        *val = mmio_call_read(mr, off, size);
    }
    return MEMTX_OK;
}

/* a byte range of an MMIO region, split into accesses .valid allows */
static MemTxResult mmio_rw(MemRegion *mr, uint64_t off, uint8_t *buf,
                           uint64_t len, bool is_write, MemAttrs attrs)
{
    const MemAccessSizes *v = &mr->ops->valid;
    MemTxResult res = MEMTX_OK;
    while (len > 0) {
        unsigned size = MIN(sizes_max(v), 8);
        while (size > len || (!v->unaligned && (off & (size - 1)))) {
            size >>= 1;
        }
        uint64_t val = 0;
        if (is_write) {
            memcpy(&val, buf, size);
        }
        res |= mmio_access(mr, off, size, &val, is_write, attrs);
        if (!is_write) {
            memcpy(buf, &val, size);
        }
        off += size;
        buf += size;
        len -= size;
    }
    return res;
}

/* ---- one flat-view range ---- */

static bool mr_reads_ram(const MemRegion *mr)
{
    return mr->kind == MR_RAM || mr->kind == MR_ROM ||
           (mr->kind == MR_ROMD && mr->romd);
}

static MemTxResult unassigned_rw(uint64_t addr, uint8_t *buf, uint64_t len,
                                 bool is_write, MemAttrs attrs)
{
    mem_guest_error(attrs, "unassigned %s of 0x%" PRIx64 " bytes at 0x%" PRIx64,
                    is_write ? "write" : "read", len, addr);
    if (!is_write) {
        memset(buf, 0xff, len);
    }
    return MEMTX_DECODE_ERROR;
}

static MemTxResult iommu_rw(MemRegion *mr, uint64_t off, uint8_t *buf,
                            uint64_t len, bool is_write, MemAttrs attrs,
                            unsigned hops)
{
    unsigned need = is_write ? IOMMU_WO : IOMMU_RO;
    MemTxResult res = MEMTX_OK;
    while (len > 0) {
        IommuTlbEntry e =
            mr->iommu_ops->translate(mr->opaque, off, need, attrs);
        uint64_t in_page = off & e.addr_mask;
        uint64_t room = e.addr_mask - in_page; /* bytes left - 1 */
        uint64_t n = len - 1 <= room ? len : room + 1;
        if (!(e.perm & need) || !e.target_as) {
            mem_guest_error(attrs, "%s: %s denied at 0x%" PRIx64 " (rid 0x%x)",
                            mr->name, is_write ? "write" : "read", off,
                            attrs.requester_id);
            if (!is_write) {
                memset(buf, 0xff, n);
            }
            res |= MEMTX_ACCESS_DENIED;
        } else {
            uint64_t t = (e.translated_addr & ~e.addr_mask) | in_page;
            res |= as_rw(e.target_as, t, buf, n, is_write, attrs, hops + 1);
        }
        off += n;
        buf += n;
        len -= n;
    }
    return res;
}

static MemTxResult ram_write(const FlatRange *fr, MemRegion *mr, uint64_t off,
                             const uint8_t *buf, uint64_t len, MemAttrs attrs)
{
    if (fr->readonly) {
        mem_guest_error(attrs, "%s: write to ROM at offset 0x%" PRIx64,
                        mr->name, off);
        return MEMTX_OK;
    }
    memcpy(mr->ram + off, buf, len);
    mr_note_write(mr, off, len);
    return MEMTX_OK;
}

/* [addr, addr + len) lies inside fr */
static MemTxResult range_rw(const FlatRange *fr, uint64_t addr, uint8_t *buf,
                            uint64_t len, bool is_write, MemAttrs attrs,
                            unsigned hops)
{
    MemRegion *mr = fr->mr;
    if (!mr) {
        return unassigned_rw(addr, buf, len, is_write, attrs);
    }
    uint64_t off = fr->mr_offset + (addr - fr->base);
    switch (mr->kind) {
    case MR_RAM:
    case MR_ROM:
    case MR_ROMD:
        if (!is_write && mr_reads_ram(mr)) {
            memcpy(buf, mr->ram + off, len);
            return MEMTX_OK;
        }
        if (is_write && mr->kind != MR_ROMD) {
            return ram_write(fr, mr, off, buf, len, attrs);
        }
        return mmio_rw(mr, off, buf, len, is_write, attrs);
    case MR_IO:
        return mmio_rw(mr, off, buf, len, is_write, attrs);
    case MR_IOMMU:
        return iommu_rw(mr, off, buf, len, is_write, attrs, hops);
    case MR_CONTAINER:
    case MR_ALIAS:
        break;
    }
    ASSERT(!"container or alias in a flat view");
    return MEMTX_ERROR;
}

static MemTxResult as_rw(AddrSpace *as, uint64_t addr, uint8_t *buf,
                         uint64_t len, bool is_write, MemAttrs attrs,
                         unsigned hops)
{
    if (hops > IOMMU_MAX_HOPS) {
        mem_guest_error(attrs, "%s: more than %u IOMMU hops at 0x%" PRIx64,
                        as->name, IOMMU_MAX_HOPS, addr);
        if (!is_write) {
            memset(buf, 0xff, len);
        }
        return MEMTX_DECODE_ERROR;
    }
    MemTxResult res = MEMTX_OK;
    while (len > 0) {
        FlatRange fr = flat_lookup(as, addr);
        uint64_t room = fr.last - addr; /* bytes left in the range - 1 */
        uint64_t n = len - 1 <= room ? len : room + 1;
        res |= range_rw(&fr, addr, buf, n, is_write, attrs, hops);
        addr += n; /* wraps past 2^64-1 to 0, as the address bus would */
        buf += n;
        len -= n;
    }
    return res;
}

MemTxResult as_read(AddrSpace *as, uint64_t addr, void *buf, uint64_t len,
                    MemAttrs attrs)
{
    return as_rw(as, addr, buf, len, false, attrs, 0);
}

MemTxResult as_write(AddrSpace *as, uint64_t addr, const void *buf,
                     uint64_t len, MemAttrs attrs)
{
    /* as_rw does not write into buf when is_write */
    return as_rw(as, addr, (uint8_t *)buf, len, true, attrs, 0);
}

/* ---- single accesses ---- */

static MemTxResult as_access1(AddrSpace *as, uint64_t addr, unsigned size,
                              uint64_t *val, bool is_write, MemAttrs attrs,
                              unsigned hops);

/* translate once; a denied access never reaches the translate hook twice */
static MemTxResult iommu_access1(MemRegion *mr, uint64_t off, unsigned size,
                                 uint64_t *val, bool is_write, MemAttrs attrs,
                                 unsigned hops)
{
    unsigned need = is_write ? IOMMU_WO : IOMMU_RO;
    IommuTlbEntry e = mr->iommu_ops->translate(mr->opaque, off, need, attrs);
    uint64_t in_page = off & e.addr_mask;
    if (!(e.perm & need) || !e.target_as) {
        mem_guest_error(attrs, "%s: %s denied at 0x%" PRIx64 " (rid 0x%x)",
                        mr->name, is_write ? "write" : "read", off,
                        attrs.requester_id);
        if (!is_write) {
            *val = ones(size);
        }
        return MEMTX_ACCESS_DENIED;
    }
    if (e.addr_mask - in_page < size - 1) { /* crosses a page: byte path */
        return iommu_rw(mr, off, (uint8_t *)val, size, is_write, attrs, hops);
    }
    uint64_t t = (e.translated_addr & ~e.addr_mask) | in_page;
    return as_access1(e.target_as, t, size, val, is_write, attrs, hops + 1);
}

/*
 * One access of 1/2/4/8 bytes. When it fits one range it reaches an MMIO
 * region as one access of its own size (so .valid judges the real size);
 * across range edges it splits like as_read/as_write.
 */
static MemTxResult as_access1(AddrSpace *as, uint64_t addr, unsigned size,
                              uint64_t *val, bool is_write, MemAttrs attrs,
                              unsigned hops)
{
    ASSERT(size == 1 || size == 2 || size == 4 || size == 8);
    FlatRange fr = flat_lookup(as, addr);
    MemRegion *mr = fr.mr;
    if (mr && fr.last - addr >= size - 1 && hops <= IOMMU_MAX_HOPS) {
        uint64_t off = fr.mr_offset + (addr - fr.base);
        if (mr->kind == MR_RAM || mr->kind == MR_ROM) {
            if (!is_write) {
                memcpy(val, mr->ram + off, size);
                return MEMTX_OK;
            }
            return ram_write(&fr, mr, off, (uint8_t *)val, size, attrs);
        }
        if (mr->kind == MR_IO ||
            (mr->kind == MR_ROMD && (is_write || !mr->romd))) {
            return mmio_access(mr, off, size, val, is_write, attrs);
        }
        if (mr->kind == MR_IOMMU) {
            return iommu_access1(mr, off, size, val, is_write, attrs, hops);
        }
    }
    return as_rw(as, addr, (uint8_t *)val, size, is_write, attrs, hops);
}

uint64_t as_ld(AddrSpace *as, uint64_t addr, unsigned size, MemAttrs attrs,
               MemTxResult *res)
{
    uint64_t val = 0;
    MemTxResult r = as_access1(as, addr, size, &val, false, attrs, 0);
    if (res) {
        *res = r;
    }
    return val & ones(size);
}

MemTxResult as_st(AddrSpace *as, uint64_t addr, uint64_t val, unsigned size,
                  MemAttrs attrs)
{
    val &= ones(size);
    return as_access1(as, addr, size, &val, true, attrs, 0);
}

/* ---- DMA mapping ---- */

static void *bounce_new(AddrSpace *as, uint64_t addr, uint64_t *len,
                        bool is_write, MemAttrs attrs)
{
    Bounce *b = xzalloc(sizeof(*b));
    b->len = MIN(*len, BOUNCE_MAX);
    b->buf = xmalloc(b->len);
    b->as = as;
    b->addr = addr;
    b->attrs = attrs;
    b->is_write = is_write;
    if (!is_write) {
        (void)as_rw(as, addr, b->buf, b->len, false, attrs, 0);
    }
    b->next = bounce_list;
    bounce_list = b;
    *len = b->len;
    return b->buf;
}

static void *iommu_map(MemRegion *mr, uint64_t off, uint64_t *len,
                       bool is_write, MemAttrs attrs, unsigned hops);

static void *as_map_hops(AddrSpace *as, uint64_t addr, uint64_t *len,
                         bool is_write, MemAttrs attrs, unsigned hops)
{
    FlatRange fr = flat_lookup(as, addr);
    MemRegion *mr = fr.mr;
    if (!mr || *len == 0 || hops > IOMMU_MAX_HOPS) {
        mem_guest_error(attrs, "%s: cannot map 0x%" PRIx64, as->name, addr);
        *len = 0;
        return NULL;
    }
    uint64_t room = fr.last - addr;
    if (*len - 1 > room) {
        *len = room + 1; /* only what is contiguous */
    }
    uint64_t off = fr.mr_offset + (addr - fr.base);
    if (mr->kind == MR_IOMMU) {
        return iommu_map(mr, off, len, is_write, attrs, hops);
    }
    bool direct =
        is_write ? (mr->kind == MR_RAM && !fr.readonly) : mr_reads_ram(mr);
    if (direct) {
        return mr->ram + off;
    }
    return bounce_new(as, addr, len, is_write, attrs);
}

static void *iommu_map(MemRegion *mr, uint64_t off, uint64_t *len,
                       bool is_write, MemAttrs attrs, unsigned hops)
{
    unsigned need = is_write ? IOMMU_WO : IOMMU_RO;
    IommuTlbEntry e = mr->iommu_ops->translate(mr->opaque, off, need, attrs);
    if (!(e.perm & need) || !e.target_as) {
        mem_guest_error(attrs, "%s: DMA map denied at 0x%" PRIx64, mr->name,
                        off);
        *len = 0;
        return NULL;
    }
    uint64_t in_page = off & e.addr_mask;
    uint64_t room = e.addr_mask - in_page;
    if (*len - 1 > room) {
        *len = room + 1;
    }
    uint64_t t = (e.translated_addr & ~e.addr_mask) | in_page;
    return as_map_hops(e.target_as, t, len, is_write, attrs, hops + 1);
}

void *as_map(AddrSpace *as, uint64_t addr, uint64_t *len, bool is_write,
             MemAttrs attrs)
{
    return as_map_hops(as, addr, len, is_write, attrs, 0);
}

bool as_has_bounce(const AddrSpace *as)
{
    for (Bounce *b = bounce_list; b; b = b->next) {
        if (b->as == as) {
            return true;
        }
    }
    return false;
}

static MemRegion *ram_block_of(const uint8_t *host)
{
    for (MemRegion *mr = mem_ram_list; mr; mr = mr->ram_next) {
        if (host >= mr->ram && host < mr->ram + mr->size) {
            return mr;
        }
    }
    return NULL;
}

void as_unmap(AddrSpace *as, void *host, uint64_t len, bool is_write,
              uint64_t access_len)
{
    for (Bounce **p = &bounce_list; *p; p = &(*p)->next) {
        Bounce *b = *p;
        if (b->buf != host) {
            continue;
        }
        if (b->is_write) {
            (void)as_rw(b->as, b->addr, b->buf, MIN(access_len, b->len), true,
                        b->attrs, 0);
        }
        *p = b->next;
        free(b->buf);
        free(b);
        return;
    }
    MemRegion *mr = ram_block_of(host);
    ASSERT(mr); /* not a pointer as_map() returned */
    if (is_write && access_len) {
        uint64_t off = (uint8_t *)host - mr->ram;
        mr_note_write(mr, off, MIN(access_len, mr->size - off));
    }
}
