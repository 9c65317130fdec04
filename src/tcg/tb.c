/*
 * src/tcg/tb.c: the TB cache and the code buffer.
 *
 * The code buffer is one memfd mapped twice: RX for execution, RW for the
 * backend (W^X). TBs are generated upwards; when the buffer is full every
 * TB is dropped (tcg_flush) and generation starts over after the prologue.
 * Each TB is in the hash table (by phys_pc, pc, cs_base, flags) and on the
 * list of each physical page it covers. Chaining keeps, per target TB, the
 * list of jumps into it so that invalidation can unchain them.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tcg/tcg_int.h"
#include "util/log.h"

#define TB_CODE_ALIGN 16

static uint8_t *tb_map(int fd, size_t size, int prot, void *hint)
{
    void *p = mmap(hint, size, prot, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        log_host_error("tcg: cannot map the code buffer (%zu bytes)", size);
        abort();
    }
    return p;
}

void tb_buf_init(TcgCtx *s)
{
    size_t size = s->cfg.code_size ? s->cfg.code_size : 64u << 20;
    size = MAX(size, (size_t)1 << 20);
    size = MIN(size, (size_t)1 << 30);
    size = ALIGN_UP(size, (size_t)4096);
    s->memfd = memfd_create("xlat-code", MFD_CLOEXEC);
    if (s->memfd < 0 || ftruncate(s->memfd, (off_t)size) < 0) {
        log_host_error("tcg: memfd for the code buffer failed");
        abort();
    }
    /* hint: near our own text, so calls to helpers may fit rel32 */
    uintptr_t near = ALIGN_UP((uintptr_t)&tb_buf_init, (uintptr_t)1 << 21);
    s->rx = tb_map(s->memfd, size, PROT_READ | PROT_EXEC,
                   (void *)(near + ((uintptr_t)256 << 20)));
    s->rw = tb_map(s->memfd, size, PROT_READ | PROT_WRITE, NULL);
    s->size = size;
    s->used = 0;
    s->hash = xcalloc((size_t)1 << TB_HASH_BITS, sizeof(*s->hash));
    s->pages = xcalloc((size_t)1 << TB_PAGE_BITS, sizeof(*s->pages));
}

void tb_buf_fini(TcgCtx *s)
{
    tb_free_all(s);
    munmap(s->rx, s->size);
    munmap(s->rw, s->size);
    close(s->memfd);
    free(s->hash);
    free(s->pages);
    free(s->tbs);
}

uint8_t *tcg_code_rw(TcgCtx *s, const uint8_t *rx)
{
    ASSERT(rx >= s->rx && rx <= s->rx + s->size);
    return s->rw + (rx - s->rx);
}

static uint32_t tb_hash(const TbKey *k)
{
    uint64_t h = k->phys_pc * 0x9e3779b97f4a7c15ull;
    h ^= (k->pc ^ (k->cs_base << 7) ^ k->flags) * 0xc2b2ae3d27d4eb4full;
    return (uint32_t)(h >> (64 - TB_HASH_BITS));
}

static uint32_t tb_page_hash(uint64_t page)
{
    return (uint32_t)((page * 0x9e3779b97f4a7c15ull) >> (64 - TB_PAGE_BITS));
}

static bool tb_matches(const Tb *tb, const TbKey *k)
{
    return tb->phys_pc == k->phys_pc && tb->pc == k->pc &&
           tb->cs_base == k->cs_base && tb->flags == k->flags;
}

Tb *tb_hash_next_match(TcgCtx *s, const TbKey *key, Tb *prev)
{
    Tb *tb = prev ? prev->hash_next : s->hash[tb_hash(key)];
    for (; tb; tb = tb->hash_next) {
        if (tb_matches(tb, key)) {
            return tb;
        }
    }
    return NULL;
}

Tb *tb_hash_lookup(TcgCtx *s, const TbKey *key)
{
    return tb_hash_next_match(s, key, NULL);
}

static TbKey tb_key(const Tb *tb)
{
    TbKey k = {tb->pc, tb->cs_base, tb->flags, tb->phys_pc};
    return k;
}

static void tb_hash_remove(TcgCtx *s, Tb *tb)
{
    TbKey k = tb_key(tb);
    for (Tb **pp = &s->hash[tb_hash(&k)]; *pp; pp = &(*pp)->hash_next) {
        if (*pp == tb) {
            *pp = tb->hash_next;
            return;
        }
    }
}

static uint64_t tb_page(const Tb *tb, int n)
{
    return n == 0 ? tb->phys_pc & TCG_PAGE_MASK : tb->phys_page2;
}

/* the bytes [*lo, *hi) of tb on its page n (physical) */
static void tb_range_on_page(const Tb *tb, int n, uint64_t *lo, uint64_t *hi)
{
    uint64_t page0 = tb->phys_pc & TCG_PAGE_MASK;
    uint64_t first =
        MIN((uint64_t)tb->size, page0 + TCG_PAGE_SIZE - tb->phys_pc);
    if (n == 0) {
        *lo = tb->phys_pc;
        *hi = tb->phys_pc + first;
    } else {
        *lo = tb->phys_page2;
        *hi = tb->phys_page2 + (tb->size - first);
    }
}

/* the 64-byte chunks of [lo, hi), one page */
static uint64_t tb_chunks(uint64_t lo, uint64_t hi)
{
    if (hi <= lo) {
        return 0;
    }
    return MASK_RANGE((lo & ~TCG_PAGE_MASK) >> TCG_CODE_CHUNK_SHIFT,
                      ((hi - 1) & ~TCG_PAGE_MASK) >> TCG_CODE_CHUNK_SHIFT);
}

uint64_t tcg_page_code_mask(TcgCtx *s, uint64_t page)
{
    uint64_t mask = 0;
    page &= TCG_PAGE_MASK;
    for (uintptr_t e = s->pages[tb_page_hash(page)]; e;) {
        Tb *tb = (Tb *)(e & ~(uintptr_t)1);
        int n = (int)(e & 1);
        if (tb_page(tb, n) == page) {
            uint64_t lo, hi;
            tb_range_on_page(tb, n, &lo, &hi);
            mask |= tb_chunks(lo, hi);
        }
        e = tb->page_next[n];
    }
    return mask;
}

bool tcg_tb_at_covers(TcgCtx *s, uintptr_t retaddr, uint64_t phys, uint64_t len)
{
    const Tb *tb = tb_find_by_host(s, retaddr);
    TcgCpu *cpu = tcg_current_cpu();
    if (!tb && cpu && cpu->s == s && cpu->interp_ra) {
        /* a helper the interpreter called: retaddr is in interp.c, the op
         * that called it is in the TB (as tcg_restore_at finds it) */
        tb = tb_find_by_host(s, cpu->interp_ra);
    }
    for (int n = 0; tb && n < 1 + (tb->phys_page2 != TCG_NO_PAGE); n++) {
        uint64_t lo, hi;
        tb_range_on_page(tb, n, &lo, &hi);
        if (lo < phys + len && phys < hi) {
            return true;
        }
    }
    return false;
}

static void tb_page_add(TcgCtx *s, Tb *tb, int n)
{
    uint64_t page = tb_page(tb, n);
    if (s->cfg.code_added) {
        /* every TB covers at least one chunk: no mask, no TB there yet */
        uint64_t lo, hi, old = tcg_page_code_mask(s, page);
        tb_range_on_page(tb, n, &lo, &hi);
        s->cfg.code_added(s->cfg.opaque, page, old | tb_chunks(lo, hi),
                          old == 0);
    }
    uintptr_t *head = &s->pages[tb_page_hash(page)];
    tb->page_next[n] = *head;
    *head = (uintptr_t)tb | (uintptr_t)n;
}

static void tb_page_remove(TcgCtx *s, Tb *tb, int n)
{
    uintptr_t me = (uintptr_t)tb | (uintptr_t)n;
    uintptr_t *pp = &s->pages[tb_page_hash(tb_page(tb, n))];
    while (*pp) {
        Tb *t = (Tb *)(*pp & ~(uintptr_t)1);
        int k = (int)(*pp & 1);
        if (*pp == me) {
            *pp = t->page_next[k];
            return;
        }
        pp = &t->page_next[k];
    }
}

static void tb_link(TcgCtx *s, Tb *tb)
{
    TbKey k = tb_key(tb);
    uint32_t h = tb_hash(&k);
    tb->hash_next = s->hash[h];
    s->hash[h] = tb;
    tb_page_add(s, tb, 0);
    if (tb->phys_page2 != TCG_NO_PAGE) {
        tb_page_add(s, tb, 1);
    }
    if (s->ntbs == s->tbs_cap) {
        s->tbs_cap = s->tbs_cap ? s->tbs_cap * 2 : 1024;
        s->tbs = xrealloc(s->tbs, s->tbs_cap * sizeof(*s->tbs));
    }
    s->tbs[s->ntbs++] = tb;
}

static void tb_free(Tb *tb)
{
    free(tb->insn_words);
    free(tb->raise);
    free(tb);
}

void tb_free_all(TcgCtx *s)
{
    for (uint32_t i = 0; i < s->ntbs; i++) {
        tb_free(s->tbs[i]);
    }
    s->ntbs = 0;
}

void tb_raise_point_add(Tb *tb, uint32_t host_off, uint32_t insn)
{
    if (tb->nraise == tb->raise_cap) {
        tb->raise_cap = tb->raise_cap ? tb->raise_cap * 2 : 16;
        tb->raise = xrealloc(tb->raise, tb->raise_cap * sizeof(*tb->raise));
    }
    ASSERT(!tb->nraise || tb->raise[tb->nraise - 1].host_off <= host_off);
    tb->raise[tb->nraise].host_off = host_off;
    tb->raise[tb->nraise].insn = insn;
    tb->nraise++;
}

/* chaining: from's slot n jumps straight to `to` */
void tb_add_jump(TcgCtx *s, Tb *from, int n, Tb *to)
{
    if (from->jmp_dest[n] || from->invalid || to->invalid ||
        from->jmp_insn_off[n] == TB_NO_JMP) {
        return;
    }
    from->jmp_dest[n] = to;
    from->jmp_next[n] = to->jmp_first;
    to->jmp_first = (uintptr_t)from | (uintptr_t)n;
    s->be->set_jmp(s, from, n, to);
    s->stats.chains++;
}

static void tb_unchain_incoming(TcgCtx *s, Tb *tb)
{
    for (uintptr_t e = tb->jmp_first; e;) {
        Tb *from = (Tb *)(e & ~(uintptr_t)1);
        int n = (int)(e & 1);
        e = from->jmp_next[n];
        from->jmp_dest[n] = NULL;
        from->jmp_next[n] = 0;
        s->be->set_jmp(s, from, n, NULL);
        s->stats.unchains++;
    }
    tb->jmp_first = 0;
}

/* remove tb's own outgoing jumps from their targets' lists */
static void tb_unchain_outgoing(TcgCtx *s, Tb *tb)
{
    for (int n = 0; n < 2; n++) {
        Tb *to = tb->jmp_dest[n];
        if (!to) {
            continue;
        }
        uintptr_t me = (uintptr_t)tb | (uintptr_t)n;
        uintptr_t *pp = &to->jmp_first;
        while (*pp && *pp != me) {
            Tb *t = (Tb *)(*pp & ~(uintptr_t)1);
            pp = &t->jmp_next[*pp & 1];
        }
        if (*pp) {
            *pp = tb->jmp_next[n];
        }
        tb->jmp_dest[n] = NULL;
        s->be->set_jmp(s, tb, n, NULL);
        s->stats.unchains++;
    }
}

void tb_invalidate(TcgCtx *s, Tb *tb)
{
    if (tb->invalid) {
        return;
    }
    tb->invalid = true;
    tb_hash_remove(s, tb);
    tb_page_remove(s, tb, 0);
    if (tb->phys_page2 != TCG_NO_PAGE) {
        tb_page_remove(s, tb, 1);
    }
    tb_unchain_incoming(s, tb);
    tb_unchain_outgoing(s, tb);
    uint32_t h = tcg_jc_hash(tb->pc);
    for (uint32_t i = 0; i < s->ncpus; i++) {
        TcgJcEntry *e = &s->cpus[i]->jc->entries[h];
        if (e->tb == tb) { /* the generation first: one aligned store
                              kills the entry for a racing probe */
            __atomic_store_n(&e->gen, 0, __ATOMIC_RELEASE);
            e->tb = NULL;
        }
    }
    s->stats.invalidations++;
}

/* TBs overlapping [start, end) on one page */
static unsigned tb_invalidate_in_page(TcgCtx *s, uint64_t page, uint64_t start,
                                      uint64_t end)
{
    unsigned count = 0;
    uintptr_t e = s->pages[tb_page_hash(page)];
    while (e) {
        Tb *tb = (Tb *)(e & ~(uintptr_t)1);
        int n = (int)(e & 1);
        e = tb->page_next[n];
        if (tb_page(tb, n) != page) {
            continue;
        }
        uint64_t lo, hi;
        tb_range_on_page(tb, n, &lo, &hi);
        if (lo < end && start < hi) {
            tb_invalidate(s, tb);
            count++;
        }
    }
    return count;
}

/* every TB overlapping [start, start + len), page by page */
unsigned tcg_invalidate_phys_range(TcgCtx *s, uint64_t start, uint64_t len)
{
    uint64_t end = start + len < start ? ~0ull : start + len;
    unsigned count = 0;
    s->stats.inval_pages++;
    for (uint64_t page = start & TCG_PAGE_MASK; page < end;
         page += TCG_PAGE_SIZE) {
        count += tb_invalidate_in_page(s, page, MAX(start, page),
                                       MIN(end, page + TCG_PAGE_SIZE));
        if (page + TCG_PAGE_SIZE < page) {
            break; /* top of the address space */
        }
    }
    return count;
}

unsigned tcg_invalidate_phys_page(TcgCtx *s, uint64_t phys_addr)
{
    return tcg_invalidate_phys_range(s, phys_addr & TCG_PAGE_MASK,
                                     TCG_PAGE_SIZE);
}

void tcg_flush(TcgCtx *s, TcgFlushCause cause)
{
    /* a helper must leave generated code (exit/raise) before a flush */
    ASSERT(!s->running);
    tb_free_all(s);
    memset(s->hash, 0, sizeof(*s->hash) << TB_HASH_BITS);
    memset(s->pages, 0, sizeof(*s->pages) << TB_PAGE_BITS);
    for (uint32_t i = 0; i < s->ncpus; i++) {
        tcg_cpu_jc_flush(s->cpus[i]);
    }
    s->used = s->prologue_end;
    s->flush_gen++;
    s->stats.flushes[cause]++;
}

Tb *tb_find_by_host(TcgCtx *s, uintptr_t host)
{
    if (host < (uintptr_t)s->rx || host >= (uintptr_t)s->rx + s->used) {
        return NULL;
    }
    uint32_t lo = 0, hi = s->ntbs;
    while (lo < hi) { /* first TB whose code starts above host */
        uint32_t mid = (lo + hi) / 2;
        if ((uintptr_t)s->tbs[mid]->code <= host) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == 0) {
        return NULL;
    }
    Tb *tb = s->tbs[lo - 1];
    return host < (uintptr_t)tb->code + tb->code_size ? tb : NULL;
}

static void tb_collect_insns(Tb *tb, const IrFunc *f)
{
    tb->ninsns = 0;
    tb->insn_words = xcalloc(f->ninsns ? f->ninsns * 3 : 3, sizeof(uint64_t));
    for (uint32_t i = 0; i < f->nops; i++) {
        const IrOp *op = &f->ops[i];
        if (op->opc == IR_INSN_START && tb->ninsns < f->ninsns) {
            memcpy(&tb->insn_words[tb->ninsns * 3], &IR_CON(op, 0),
                   3 * sizeof(uint64_t));
            tb->ninsns++;
        }
    }
}

static Tb *tb_new(const TcgTbDesc *d, const IrFunc *f)
{
    Tb *tb = xzalloc(sizeof(*tb));
    tb->pc = d->key.pc;
    tb->cs_base = d->key.cs_base;
    tb->flags = d->key.flags;
    tb->phys_pc = d->key.phys_pc;
    tb->phys_page2 = d->phys_page2;
    tb->size = d->size;
    tb->icount = d->icount;
    for (int n = 0; n < 2; n++) {
        tb->jmp_insn_off[n] = tb->jmp_reset_off[n] = TB_NO_JMP;
    }
    tb_collect_insns(tb, f);
    return tb;
}

/* one attempt at the current position; -1 when the buffer is full */
static int tb_try_gen(TcgCtx *s, Tb *tb, const IrFunc *f)
{
    size_t pos = ALIGN_UP(s->used, (size_t)TB_CODE_ALIGN);
    if (pos >= s->size) {
        return -1;
    }
    tb->nraise = 0;
    tb->code = s->rx + pos;
    int n = s->be->gen_code(s, tb, f, s->rw + pos, s->rx + pos, s->size - pos);
    if (n >= 0) {
        tb->code_size = (uint32_t)n;
        s->used = pos + (size_t)n;
    }
    return n;
}

Tb *tb_gen(TcgCtx *s, const TcgTbDesc *desc, IrFunc *f)
{
    Tb *tb = tb_new(desc, f);
    if (tb_try_gen(s, tb, f) < 0) {
        tcg_flush(s, TCG_FLUSH_FULL);
        if (tb_try_gen(s, tb, f) < 0) {
            log_host_error("tcg: a TB does not fit an empty code buffer");
            abort();
        }
    }
    tb_link(s, tb);
    s->stats.code_bytes += tb->code_size;
    tcg_perf_map_add(s, tb);
    return tb;
}
