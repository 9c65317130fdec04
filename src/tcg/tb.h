/*
 * src/tcg/tb.h: translation blocks, the TB hash table, the per-page lists,
 * the code buffer (W^X dual mapping) and chaining bookkeeping.
 *
 * Life cycle: the dispatcher looks a TB up (jump cache, then hash table by
 * {phys_pc, pc, cs_base, flags}); on a miss the front end emits IR, the
 * optimizer runs, the backend writes code into the buffer and the TB is
 * linked into the hash table and onto the list of each physical page it
 * covers. Exits through GOTO_TB n get chained (jmp_dest[n], patched by the
 * backend). Invalidating a page unlinks its TBs, unchains every jump into
 * them and clears them from the jump caches; a full buffer flushes all TBs.
 */
#ifndef XLAT_TCG_TB_H
#define XLAT_TCG_TB_H

#include <stdbool.h>
#include <stdint.h>

#include "tcg/tcg.h"

#define TB_NO_JMP 0xffffffffu

/* precise-state side table: host offset -> guest instruction index */
typedef struct TbRaisePoint {
    uint32_t host_off; /* JIT: return address of the call; interp: op */
    uint32_t insn;     /* index of the INSN_START */
} TbRaisePoint;

typedef struct Tb {
    uint64_t pc, cs_base;
    uint32_t flags;
    uint32_t size, icount; /* guest bytes, guest instructions */
    uint64_t phys_pc;
    uint64_t phys_page2; /* TCG_NO_PAGE if the block stays on one page */
    const uint8_t *code; /* RX address of the entry */
    uint32_t code_size;
    bool invalid;
    bool traced; /* never chained: the dispatcher sees each run (exec.c) */
    /* chaining: offset of each goto_tb's patchable jump and of its
     * unchained continuation (backend-defined), the current target */
    uint32_t jmp_insn_off[2];
    uint32_t jmp_reset_off[2];
    struct Tb *jmp_dest[2];
    /* incoming jumps: tagged (Tb * | n) list through jmp_next[n] */
    uintptr_t jmp_first;
    uintptr_t jmp_next[2];
    /* hash chain and page lists (tagged Tb * | page index 0/1) */
    struct Tb *hash_next;
    uintptr_t page_next[2];
    /* precise state: ninsns * 3 words, raise points sorted by host_off */
    uint64_t *insn_words;
    uint32_t ninsns;
    uint32_t nraise, raise_cap;
    TbRaisePoint *raise;
} Tb;

/* used by backends while generating code */
void tb_raise_point_add(Tb *tb, uint32_t host_off, uint32_t insn);

#endif
