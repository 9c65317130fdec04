/*
 * src/tcg/tcg_int.h: the translator context and vCPU records, private to
 * src/tcg/ (tb.c, exec.c, interp.c, stats.c). Backends use backend.h.
 * One TcgCtx owns the code buffer, the TB table and the per-page lists; a
 * TcgCpu owns a jump cache and the unwind point of tcg_exec().
 */
#ifndef XLAT_TCG_TCG_INT_H
#define XLAT_TCG_TCG_INT_H

#include <setjmp.h>
#include <stdio.h>

#include "tcg/backend.h"
#include "tcg/tb.h"
#include "tcg/tcg.h"

struct TcgCtx {
    TcgConfig cfg;
    const TcgBackend *be;
    void *backend_data;
    TcgStats stats;
    IrFunc *globals; /* only the registered globals */
    IrFunc *func;    /* scratch function for translation */
    /* code buffer: one memfd mapped twice (W^X) */
    uint8_t *rx, *rw;
    size_t size, used, prologue_end;
    int memfd;
    const uint8_t *prologue;
    /* TBs in code order (the buffer fills upwards until a flush) */
    Tb **tbs;
    uint32_t ntbs, tbs_cap;
    uint64_t flush_gen;
    Tb **hash;        /* chained through Tb.hash_next */
    uintptr_t *pages; /* tagged Tb * | page index, through page_next[] */
    TcgCpu **cpus;
    uint32_t ncpus;
    FILE *perf;
    bool running; /* inside backend exec(): TBs must not be freed */
};

struct TcgCpu {
    TcgCtx *s;
    void *env;
    TcgJcRef *jc; /* in env */
    sigjmp_buf unwind;
    bool in_exec;
    uintptr_t interp_ra; /* interpreter: op being executed (may raise) */
};

#define TB_HASH_BITS 15
#define TB_PAGE_BITS 14

/* tb.c */
void tb_buf_init(TcgCtx *s);
void tb_buf_fini(TcgCtx *s);
Tb *tb_hash_lookup(TcgCtx *s, const TbKey *key);
/* the next TB after prev (NULL: the first) with key's four fields */
Tb *tb_hash_next_match(TcgCtx *s, const TbKey *key, Tb *prev);
/* emit code for f into the buffer (flushing when full) and link the TB */
Tb *tb_gen(TcgCtx *s, const TcgTbDesc *desc, IrFunc *f);
void tb_add_jump(TcgCtx *s, Tb *from, int n, Tb *to);
void tb_invalidate(TcgCtx *s, Tb *tb);
Tb *tb_find_by_host(TcgCtx *s, uintptr_t host);
void tb_free_all(TcgCtx *s);

/* stats.c */
void tcg_perf_map_add(TcgCtx *s, const Tb *tb);

#endif
