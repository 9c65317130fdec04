/*
 * The address-space tree: creating and freeing regions, placing them in
 * containers, changing them while the machine runs, transactions, and the
 * address spaces with their listeners.
 *
 * Every change marks the tree as changed. The outermost mem_commit() (or the
 * change itself when no transaction is open) renders the flat view of every
 * address space again and tells the listeners of those whose view differs.
 * The tree is small (hundreds of regions), so rebuilding every space is
 * simpler and safer than tracking which space a region belongs to.
 */
#include <sys/mman.h>
#include <string.h>

#include "mmu/memory_int.h"
#include "util/log.h"

MemRegion *mem_ram_list;

static unsigned mem_depth;
static bool mem_pending;
static uint64_t mem_seq;
static AddrSpace *as_list;

/* ---- creation ---- */

static MemRegion *mr_alloc(const char *name, MrKind kind, uint64_t size)
{
    MemRegion *mr = xzalloc(sizeof(*mr));
    mr->name = xstrdup(name ? name : "(anon)");
    mr->kind = kind;
    mr->size = size;
    mr->enabled = true;
    return mr;
}

static void mr_check_sizes(const MemAccessSizes *s)
{
    unsigned lo = s->min ? s->min : 1;
    unsigned hi = s->max ? s->max : 4;
    ASSERT(IS_POW2(lo) && IS_POW2(hi) && lo <= hi && hi <= 8);
}

static void mr_check_ops(const MemOps *ops)
{
    ASSERT(ops);
    mr_check_sizes(&ops->valid);
    mr_check_sizes(&ops->impl);
}

static uint8_t *ram_mmap(uint64_t size)
{
    size_t len = ALIGN_UP(size ? size : 1, MEM_PAGE_SIZE);
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static MemRegion *mr_new_ramlike(const char *name, MrKind kind, uint64_t size,
                                 void *host)
{
    ASSERT(size != UINT64_MAX);
    uint8_t *ram = host ? host : ram_mmap(size);
    if (!ram) {
        return NULL; /* a host error: the caller reports it */
    }
    MemRegion *mr = mr_alloc(name, kind, size);
    mr->ram_owned = host == NULL;
    mr->ram = ram;
    mr->ram_cap = size;
    mr->readonly = kind == MR_ROM;
    mr->romd = kind == MR_ROMD;
    mr_bitmaps_alloc(mr);
    mr->ram_next = mem_ram_list;
    mem_ram_list = mr;
    return mr;
}

MemRegion *mr_new_container(const char *name, uint64_t size)
{
    return mr_alloc(name, MR_CONTAINER, size);
}

MemRegion *mr_new_ram(const char *name, uint64_t size)
{
    return mr_new_ramlike(name, MR_RAM, size, NULL);
}

MemRegion *mr_new_ram_ptr(const char *name, uint64_t size, void *host)
{
    ASSERT(host && ((uintptr_t)host & (MEM_PAGE_SIZE - 1)) == 0);
    return mr_new_ramlike(name, MR_RAM, size, host);
}

MemRegion *mr_new_rom(const char *name, uint64_t size)
{
    return mr_new_ramlike(name, MR_ROM, size, NULL);
}

MemRegion *mr_new_io(const char *name, uint64_t size, const MemOps *ops,
                     void *opaque)
{
    MemRegion *mr = mr_alloc(name, MR_IO, size);
    mr_check_ops(ops);
    mr->ops = ops;
    mr->opaque = opaque;
    return mr;
}

MemRegion *mr_new_romd(const char *name, uint64_t size, const MemOps *ops,
                       void *opaque)
{
    MemRegion *mr = mr_new_ramlike(name, MR_ROMD, size, NULL);
    mr_check_ops(ops);
    mr->ops = ops;
    mr->opaque = opaque;
    return mr;
}

MemRegion *mr_new_alias(const char *name, MemRegion *target, uint64_t offset,
                        uint64_t size)
{
    MemRegion *mr = mr_alloc(name, MR_ALIAS, size);
    ASSERT(target && target != mr);
    mr->alias = target;
    mr->alias_offset = offset;
    target->refs++;
    return mr;
}

MemRegion *mr_new_iommu(const char *name, uint64_t size, const IommuOps *ops,
                        void *opaque)
{
    MemRegion *mr = mr_alloc(name, MR_IOMMU, size);
    ASSERT(ops && ops->translate);
    mr->iommu_ops = ops;
    mr->opaque = opaque;
    return mr;
}

/* ---- freeing ---- */

static void mr_unlink(MemRegion *child);

static void ram_list_remove(MemRegion *mr)
{
    for (MemRegion **p = &mem_ram_list; *p; p = &(*p)->ram_next) {
        if (*p == mr) {
            *p = mr->ram_next;
            return;
        }
    }
}

static void mr_release_ram(MemRegion *mr)
{
    ram_list_remove(mr);
    mr_bitmaps_free(mr);
    if (mr->ram_owned) {
        munmap(mr->ram, ALIGN_UP(mr->ram_cap ? mr->ram_cap : 1, MEM_PAGE_SIZE));
    }
}

void mr_free(MemRegion *mr)
{
    if (!mr) {
        return;
    }
    /* freeing a region that is still mapped is an xlat bug */
    ASSERT(mr->parent == NULL);
    ASSERT(mr->refs == 0);
    while (mr->children) {
        MemRegion *c = mr->children;
        mr->children = c->next_sibling;
        c->parent = NULL;
        c->next_sibling = NULL;
    }
    if (mr->kind == MR_ALIAS && mr->alias) {
        mr->alias->refs--;
    }
    if (mr->ram) {
        mr_release_ram(mr);
    }
    free(mr->name);
    free(mr);
}

/* pass 1 of mr_free_tree: aliases inside the tree let go of their targets */
static void mr_tree_drop_aliases(MemRegion *mr)
{
    if (mr->kind == MR_ALIAS && mr->alias) {
        mr->alias->refs--;
        mr->alias = NULL;
    }
    for (MemRegion *c = mr->children; c; c = c->next_sibling) {
        mr_tree_drop_aliases(c);
    }
}

static void mr_tree_free(MemRegion *mr)
{
    while (mr->children) {
        MemRegion *c = mr->children;
        mr_unlink(c);
        mr_tree_free(c);
    }
    mr_free(mr);
}

void mr_free_tree(MemRegion *mr)
{
    if (!mr) {
        return;
    }
    if (mr->parent) {
        mr_del_subregion(mr->parent, mr);
    }
    mr_tree_drop_aliases(mr);
    mr_tree_free(mr);
}

/* ---- the tree ---- */

/* does a go before b among siblings? */
static bool mr_sibling_before(const MemRegion *a, const MemRegion *b)
{
    if (a->priority != b->priority) {
        return a->priority > b->priority;
    }
    return a->seq > b->seq;
}

static void mr_link(MemRegion *parent, MemRegion *child)
{
    MemRegion **p = &parent->children;
    while (*p && !mr_sibling_before(child, *p)) {
        p = &(*p)->next_sibling;
    }
    child->next_sibling = *p;
    *p = child;
    child->parent = parent;
}

static void mr_unlink(MemRegion *child)
{
    MemRegion **p = &child->parent->children;
    while (*p != child) {
        ASSERT(*p);
        p = &(*p)->next_sibling;
    }
    *p = child->next_sibling;
    child->next_sibling = NULL;
    child->parent = NULL;
}

void mr_add_subregion(MemRegion *parent, uint64_t offset, MemRegion *child,
                      int priority)
{
    ASSERT(parent && child && parent->kind == MR_CONTAINER);
    ASSERT(child->parent == NULL);
    for (MemRegion *p = parent; p; p = p->parent) {
        ASSERT(p != child); /* no cycles */
    }
    child->offset = offset;
    child->priority = priority;
    child->seq = ++mem_seq;
    mr_link(parent, child);
    mem_note_change(parent);
}

void mr_del_subregion(MemRegion *parent, MemRegion *child)
{
    ASSERT(child && child->parent == parent);
    mr_unlink(child);
    mem_note_change(parent);
}

void mr_set_enabled(MemRegion *mr, bool enabled)
{
    if (mr->enabled != enabled) {
        mr->enabled = enabled;
        mem_note_change(mr);
    }
}

void mr_set_offset(MemRegion *mr, uint64_t offset)
{
    if (mr->offset != offset) {
        mr->offset = offset;
        mem_note_change(mr);
    }
}

void mr_set_priority(MemRegion *mr, int priority)
{
    if (mr->priority == priority) {
        return;
    }
    mr->priority = priority;
    if (mr->parent) {
        MemRegion *parent = mr->parent;
        mr_unlink(mr);
        mr_link(parent, mr);
    }
    mem_note_change(mr);
}

void mr_set_size(MemRegion *mr, uint64_t size)
{
    if (mr->size == size) {
        return;
    }
    if (mr->ram) {
        uint64_t old = mr->size;
        ASSERT(size <= mr->ram_cap);
        mr->size = size;
        mr_bitmaps_resize(mr, old);
    } else {
        mr->size = size;
    }
    mem_note_change(mr);
}

void mr_set_alias_offset(MemRegion *mr, uint64_t offset)
{
    ASSERT(mr->kind == MR_ALIAS);
    if (mr->alias_offset != offset) {
        mr->alias_offset = offset;
        mem_note_change(mr);
    }
}

void mr_set_readonly(MemRegion *mr, bool readonly)
{
    ASSERT(mr->kind == MR_RAM);
    if (mr->readonly != readonly) {
        mr->readonly = readonly;
        mem_note_change(mr);
    }
}

void mr_set_romd(MemRegion *mr, bool romd)
{
    ASSERT(mr->kind == MR_ROMD);
    if (mr->romd != romd) {
        mr->romd = romd;
        mem_note_change(mr);
    }
}

const char *mr_name(const MemRegion *mr)
{
    return mr->name;
}

uint64_t mr_size(const MemRegion *mr)
{
    return mr->size;
}

bool mr_is_ram(const MemRegion *mr)
{
    return mr && (mr->kind == MR_RAM || mr->kind == MR_ROM ||
                  (mr->kind == MR_ROMD && mr->romd));
}

uint8_t *mr_ram_ptr(MemRegion *mr)
{
    return mr ? mr->ram : NULL;
}

/* ---- transactions ---- */

void mem_begin(void)
{
    mem_depth++;
}

static void as_notify(AddrSpace *as)
{
    for (MemListener *l = as->listeners; l; l = l->next) {
        if (l->commit) {
            l->commit(l, as);
        }
    }
}

/* returns true if the view changed */
static bool as_rebuild(AddrSpace *as)
{
    FlatView *fv = flat_render(as->root);
    bool same = as->view && flat_equal(as->view, fv);
    flat_free(as->view);
    as->view = fv;
    as->cache = 0;
    return !same;
}

void mem_commit(void)
{
    ASSERT(mem_depth > 0);
    if (--mem_depth > 0) {
        return;
    }
    /* listeners may change the tree; their changes batch into a new round */
    for (unsigned round = 0; mem_pending; round++) {
        ASSERT(round < 16);
        mem_pending = false;
        mem_depth++;
        for (AddrSpace *as = as_list; as; as = as->next) {
            if (!as_rebuild(as)) {
                continue;
            }
            if (log_enabled(LOG_MMU)) {
                as_dump(as, log_file());
            }
            as_notify(as);
        }
        mem_depth--;
    }
}

/*
 * Can an address space see mr? Only if it or an ancestor is a space's
 * root or an alias target (conservative: that alias may be unmapped). A
 * device assembling its regions before mapping them costs no rebuild.
 */
static bool mr_maybe_visible(const MemRegion *mr)
{
    for (; mr; mr = mr->parent) {
        if (mr->refs > 0) {
            return true;
        }
    }
    return false;
}

void mem_note_change(const MemRegion *mr)
{
    if (!mr_maybe_visible(mr)) {
        return;
    }
    mem_begin();
    mem_pending = true;
    mem_commit();
}

/* ---- address spaces ---- */

AddrSpace *as_new(const char *name, MemRegion *root)
{
    AddrSpace *as = xzalloc(sizeof(*as));
    ASSERT(root);
    as->name = xstrdup(name);
    as->root = root;
    root->refs++;
    as->view = flat_render(root);
    as->next = as_list;
    as_list = as;
    return as;
}

void as_free(AddrSpace *as)
{
    if (!as) {
        return;
    }
    ASSERT(!as_has_bounce(as)); /* a DMA mapping is still out */
    for (AddrSpace **p = &as_list; *p; p = &(*p)->next) {
        if (*p == as) {
            *p = as->next;
            break;
        }
    }
    as->root->refs--;
    flat_free(as->view);
    free(as->name);
    free(as);
}

const char *as_name(const AddrSpace *as)
{
    return as->name;
}

MemRegion *as_root(const AddrSpace *as)
{
    return as->root;
}

void as_add_listener(AddrSpace *as, MemListener *l)
{
    ASSERT(l);
    l->next = as->listeners;
    as->listeners = l;
}

void as_del_listener(AddrSpace *as, MemListener *l)
{
    for (MemListener **p = &as->listeners; *p; p = &(*p)->next) {
        if (*p == l) {
            *p = l->next;
            l->next = NULL;
            return;
        }
    }
}
