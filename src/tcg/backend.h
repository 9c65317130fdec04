/*
 * src/tcg/backend.h: what a code generator implements.
 *
 * Two backends exist: the IR interpreter (interp.c) and the x86-64 JIT
 * (x86_64/). Both must give identical results for any well-formed IR.
 * tb.c owns the code buffer; a backend writes into the RW view and the TB
 * runs from the RX view (tcg_code_rw() converts). gen_code() also fills
 * tb->jmp_insn_off/jmp_reset_off for every GOTO_TB and adds a raise point
 * (tb_raise_point_add) for every call or slow path that may raise.
 *
 * Generated code contract (every backend):
 *  - at TB entry test the int32 at env + exit_request_off; if negative
 *    return (tb | IR_EXIT_REQUEST) without running the block;
 *  - GOTO_TB n: jump to the chained TB, else fall through to the IR that
 *    follows (the front end emits: store pc; EXIT_TB(IR_EXIT_TB0 + n));
 *  - GOTO_PTR pc: probe the jump cache (env + jc_off) entry tcg_jc_hash(pc)
 *    for {pc, this TB's cs_base, this TB's flags}; hit: jump to tb->code;
 *    miss: return (tb | IR_EXIT_LOOKUP);
 *  - EXIT_TB r: store globals to env and return (tb | r).
 * The exec() return value is a TcgExitVal: the last TB run and the reason.
 */
#ifndef XLAT_TCG_BACKEND_H
#define XLAT_TCG_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "tcg/ir.h"
#include "tcg/tb.h"
#include "tcg/tcg.h"

/* Tb * with the IrExit reason in the low 3 bits (Tb is 8-aligned) */
typedef uintptr_t TcgExitVal;
#define TCG_EXIT_REASON_MASK 7u
static inline Tb *tcg_exit_tb(TcgExitVal v)
{
    return (Tb *)(v & ~(uintptr_t)TCG_EXIT_REASON_MASK);
}
static inline IrExit tcg_exit_reason(TcgExitVal v)
{
    return (IrExit)(v & TCG_EXIT_REASON_MASK);
}

typedef struct TcgBackend {
    const char *name;
    /* once, after the code buffer exists; may allocate s->backend_data */
    void (*init)(TcgCtx *s);
    void (*fini)(TcgCtx *s);
    /* write the prologue/epilogue at buf (RW view) of at most avail
     * bytes; called at start and after each flush; returns bytes or -1 */
    int (*emit_prologue)(TcgCtx *s, uint8_t *rw, const uint8_t *rx,
                         size_t avail);
    /* generate tb from f at rw/rx (avail bytes); returns bytes, or -1 if
     * the buffer is too small (the caller flushes and retries) */
    int (*gen_code)(TcgCtx *s, Tb *tb, const IrFunc *f, uint8_t *rw,
                    const uint8_t *rx, size_t avail);
    /* run from tb until it leaves generated code */
    TcgExitVal (*exec)(TcgCtx *s, void *env, Tb *tb);
    /* point goto_tb slot n of tb at dest's code (dest NULL: unchain) */
    void (*set_jmp)(TcgCtx *s, Tb *tb, int n, const Tb *dest);
} TcgBackend;

extern const TcgBackend tcg_backend_interp;
extern const TcgBackend tcg_backend_x64; /* x86_64/x64_backend.c */

/* for backends */
uint8_t *tcg_code_rw(TcgCtx *s, const uint8_t *rx);
void *tcg_backend_data(TcgCtx *s);
void tcg_set_backend_data(TcgCtx *s, void *data);
/* the prologue's RX address (set after emit_prologue) */
const uint8_t *tcg_prologue(TcgCtx *s);

#endif
