/*
 * tests/unit/tcg/op_cases.h: per-op edge-value cases and a harness that runs
 * a one-op IR function on a chosen backend (shared by the interpreter and
 * JIT tests). Inputs come from globals (env fields) so the backend really
 * computes; with `imm` the last input is a constant temp instead, to reach
 * the immediate forms of a JIT. Expected values are worked out by hand from
 * the semantics in src/tcg/ir.h (masked shift counts, CLZ(0) = width, ...).
 */
#ifndef XLAT_TESTS_TCG_OP_CASES_H
#define XLAT_TESTS_TCG_OP_CASES_H

#include <stddef.h>
#include <string.h>

#include "tcg/tcg.h"

#define M32 0xffffffffull
#define MIN32 0x80000000ull
#define MAX32 0x7fffffffull
#define M64 0xffffffffffffffffull
#define MIN64 0x8000000000000000ull
#define MAX64 0x7fffffffffffffffull

typedef struct OpCase {
    IrOpcode opc;
    IrType type;
    uint64_t in[4];
    uint64_t con[2];
    uint64_t out[2];
} OpCase;

/* BRCOND cases: out[0] is 1 if the branch is taken */
#define OC1(op, t, a, r)                                                       \
    {                                                                          \
        IR_##op, IR_##t, {a}, {0},                                             \
        {                                                                      \
            r                                                                  \
        }                                                                      \
    }
#define OC2(op, t, a, b, r)                                                    \
    {                                                                          \
        IR_##op, IR_##t, {a, b}, {0},                                          \
        {                                                                      \
            r                                                                  \
        }                                                                      \
    }
#define OCW(op, t, a, b, lo, hi)                                               \
    {                                                                          \
        IR_##op, IR_##t, {a, b}, {0},                                          \
        {                                                                      \
            lo, hi                                                             \
        }                                                                      \
    }
#define OCF(op, t, a, b, pos, len, r)                                          \
    {                                                                          \
        IR_##op, IR_##t, {a, b}, {pos, len},                                   \
        {                                                                      \
            r                                                                  \
        }                                                                      \
    }
#define OCC(op, t, a, b, c, r)                                                 \
    {                                                                          \
        IR_##op, IR_##t, {a, b}, {IR_##c},                                     \
        {                                                                      \
            r                                                                  \
        }                                                                      \
    }
#define OCM(t, a, b, v1, v2, c, r)                                             \
    {                                                                          \
        IR_MOVCOND, IR_##t, {a, b, v1, v2}, {IR_##c},                          \
        {                                                                      \
            r                                                                  \
        }                                                                      \
    }

static const OpCase op_cases[] = {
    OC1(MOV, I32, 0x12345678, 0x12345678),
    OC1(MOV, I64, M64, M64),
    {IR_MOVI, IR_I32, {0}, {0xdeadbeef}, {0xdeadbeef}},
    {IR_MOVI, IR_I64, {0}, {M64}, {M64}},
    OC2(ADD, I32, 1, 1, 2),
    OC2(ADD, I32, M32, 1, 0),
    OC2(ADD, I32, MAX32, 1, MIN32),
    OC2(ADD, I32, MIN32, M32, MAX32),
    OC2(ADD, I64, M64, 1, 0),
    OC2(ADD, I64, MAX64, 1, MIN64),
    OC2(ADD, I64, 0, 0, 0),
    OC2(SUB, I32, 0, 1, M32),
    OC2(SUB, I32, MIN32, 1, MAX32),
    OC2(SUB, I64, 0, 1, M64),
    OC2(SUB, I64, MIN64, 1, MAX64),
    OC1(NEG, I32, 1, M32),
    OC1(NEG, I32, MIN32, MIN32),
    OC1(NEG, I32, 0, 0),
    OC1(NEG, I64, 1, M64),
    OC1(NEG, I64, MIN64, MIN64),
    OC2(AND, I32, 0xf0f0f0f0, 0xff00ff00, 0xf000f000),
    OC2(AND, I64, M64, 0x123, 0x123),
    OC2(OR, I32, 0xf0f0f0f0, 0x0f0f0f0f, M32),
    OC2(OR, I64, MIN64, 1, MIN64 | 1),
    OC2(XOR, I32, M32, 0x12345678, 0xedcba987),
    OC2(XOR, I64, M64, M64, 0),
    OC1(NOT, I32, 0, M32),
    OC1(NOT, I64, 0x0123456789abcdefull, 0xfedcba9876543210ull),
    OC2(ANDC, I32, M32, 0xff, 0xffffff00),
    OC2(ANDC, I64, 0xff, 0xf, 0xf0),
    OC2(SHL, I32, 1, 0, 1),
    OC2(SHL, I32, 1, 31, MIN32),
    OC2(SHL, I32, 1, 32, 1),
    OC2(SHL, I32, 3, 33, 6),
    OC2(SHL, I32, 0x80000001, 1, 2),
    OC2(SHL, I64, 1, 63, MIN64),
    OC2(SHL, I64, 1, 64, 1),
    OC2(SHL, I64, 1, 32, 0x100000000ull),
    OC2(SHL, I64, 5, 65, 10),
    OC2(SHR, I32, MIN32, 31, 1),
    OC2(SHR, I32, MIN32, 32, MIN32),
    OC2(SHR, I32, M32, 4, 0x0fffffff),
    OC2(SHR, I64, MIN64, 63, 1),
    OC2(SHR, I64, M64, 64, M64),
    OC2(SHR, I64, M64, 32, M32),
    OC2(SAR, I32, MIN32, 31, M32),
    OC2(SAR, I32, MIN32, 0, MIN32),
    OC2(SAR, I32, MAX32, 31, 0),
    OC2(SAR, I32, MIN32, 32, MIN32),
    OC2(SAR, I32, M32, 63, M32),
    OC2(SAR, I64, MIN64, 63, M64),
    OC2(SAR, I64, MIN64, 1, 0xc000000000000000ull),
    OC2(SAR, I64, MAX64, 63, 0),
    OC2(SAR, I64, MIN64, 64, MIN64),
    OC2(ROTL, I32, MIN32 | 1, 1, 3),
    OC2(ROTL, I32, 0x12345678, 0, 0x12345678),
    OC2(ROTL, I32, 0x12345678, 32, 0x12345678),
    OC2(ROTL, I32, 0x12345678, 4, 0x23456781),
    OC2(ROTL, I64, MIN64, 1, 1),
    OC2(ROTL, I64, 0x0123456789abcdefull, 8, 0x23456789abcdef01ull),
    OC2(ROTL, I64, 0x0123456789abcdefull, 64, 0x0123456789abcdefull),
    OC2(ROTR, I32, 1, 1, MIN32),
    OC2(ROTR, I32, 0x12345678, 4, 0x81234567),
    OC2(ROTR, I32, 0x12345678, 36, 0x81234567),
    OC2(ROTR, I64, 1, 1, MIN64),
    OC2(ROTR, I64, 0x0123456789abcdefull, 8, 0xef0123456789abcdull),
    OC2(MUL, I32, 0x10000, 0x10000, 0),
    OC2(MUL, I32, M32, M32, 1),
    OC2(MUL, I32, MIN32, 2, 0),
    OC2(MUL, I64, M64, M64, 1),
    OC2(MUL, I64, 0x100000000ull, 0x100000000ull, 0),
    OC2(MUL, I64, 3, 5, 15),
    OC2(MULSH, I32, M32, M32, 0),
    OC2(MULSH, I32, MIN32, MIN32, 0x40000000),
    OC2(MULSH, I32, MIN32, 2, M32),
    OC2(MULSH, I32, MAX32, MAX32, 0x3fffffff),
    OC2(MULSH, I64, M64, M64, 0),
    OC2(MULSH, I64, MIN64, MIN64, 0x4000000000000000ull),
    OC2(MULSH, I64, MIN64, 2, M64),
    OC2(MULSH, I64, M64, 5, M64),
    OC2(MULUH, I32, M32, M32, 0xfffffffe),
    OC2(MULUH, I32, MIN32, 2, 1),
    OC2(MULUH, I64, M64, M64, 0xfffffffffffffffeull),
    OC2(MULUH, I64, MIN64, 2, 1),
    OC2(MULUH, I64, 3, 5, 0),
    OCW(MULS2, I32, M32, 5, 0xfffffffb, M32),
    OCW(MULS2, I64, M64, 5, 0xfffffffffffffffbull, M64),
    OCW(MULS2, I64, MIN64, MIN64, 0, 0x4000000000000000ull),
    OCW(MULU2, I32, M32, M32, 1, 0xfffffffe),
    OCW(MULU2, I64, M64, M64, 1, 0xfffffffffffffffeull),
    OCW(MULU2, I64, M64, 5, 0xfffffffffffffffbull, 4),
    OC1(EXT8S, I32, 0x80, 0xffffff80),
    OC1(EXT8S, I32, 0x7f, 0x7f),
    OC1(EXT8S, I32, 0x1ff, M32),
    OC1(EXT8S, I64, 0x80, 0xffffffffffffff80ull),
    OC1(EXT8S, I64, 0x123456789abcde7full, 0x7f),
    OC1(EXT8U, I32, 0xffffff80, 0x80),
    OC1(EXT8U, I64, M64, 0xff),
    OC1(EXT16S, I32, 0x8000, 0xffff8000),
    OC1(EXT16S, I64, 0x17fff, 0x7fff),
    OC1(EXT16S, I64, 0xffff, M64),
    OC1(EXT16U, I32, M32, 0xffff),
    OC1(EXT16U, I64, 0x12345678, 0x5678),
    OC1(EXT32S, I64, 0x80000000, 0xffffffff80000000ull),
    OC1(EXT32S, I64, 0x17fffffffull, MAX32),
    OC1(EXT32S, I64, M64, M64),
    OC1(EXT32U, I64, M64, M32),
    OC1(EXT32U, I64, MIN64 | MIN32, MIN32),
    OC1(EXTRL, I32, 0x123456789abcdef0ull, 0x9abcdef0),
    OC1(EXTRH, I32, 0x123456789abcdef0ull, 0x12345678),
    OC1(EXTRH, I32, M64, M32),
    OC1(BSWAP16, I32, 0x12345678, 0x7856),
    OC1(BSWAP16, I64, 0xffff0000000000abull, 0xab00),
    OC1(BSWAP32, I32, 0x12345678, 0x78563412),
    OC1(BSWAP32, I64, 0xaaaaaaaa11223344ull, 0x44332211),
    OC1(BSWAP64, I64, 0x0123456789abcdefull, 0xefcdab8967452301ull),
    OC1(CLZ, I32, 0, 32),
    OC1(CLZ, I32, 1, 31),
    OC1(CLZ, I32, MIN32, 0),
    OC1(CLZ, I32, 0xffff, 16),
    OC1(CLZ, I64, 0, 64),
    OC1(CLZ, I64, 1, 63),
    OC1(CLZ, I64, MIN64, 0),
    OC1(CLZ, I64, M32, 32),
    OC1(CTZ, I32, 0, 32),
    OC1(CTZ, I32, 1, 0),
    OC1(CTZ, I32, MIN32, 31),
    OC1(CTZ, I32, 0x100, 8),
    OC1(CTZ, I64, 0, 64),
    OC1(CTZ, I64, MIN64, 63),
    OC1(CTZ, I64, 0x100000000ull, 32),
    OC1(CTPOP, I32, 0, 0),
    OC1(CTPOP, I32, M32, 32),
    OC1(CTPOP, I32, MIN32, 1),
    OC1(CTPOP, I32, 0x0f0f, 8),
    OC1(CTPOP, I64, M64, 64),
    OC1(CTPOP, I64, MIN64 | 1, 2),
    OCF(DEPOSIT, I32, M32, 0, 8, 8, 0xffff00ff),
    OCF(DEPOSIT, I32, 0, 0xff, 28, 4, 0xf0000000),
    OCF(DEPOSIT, I32, 0x12345678, 0xabcdef01, 0, 32, 0xabcdef01),
    OCF(DEPOSIT, I64, 0, M64, 32, 32, 0xffffffff00000000ull),
    OCF(DEPOSIT, I64, M64, 0, 63, 1, MAX64),
    OCF(DEPOSIT, I64, 0x1111, 0xab, 4, 8, 0x1ab1),
    OCF(EXTRACT, I32, 0x12345678, 0, 4, 8, 0x67),
    OCF(EXTRACT, I32, MIN32, 0, 31, 1, 1),
    OCF(EXTRACT, I32, M32, 0, 0, 32, M32),
    OCF(EXTRACT, I64, 0x123456789abcdef0ull, 0, 32, 16, 0x5678),
    OCF(EXTRACT, I64, M64, 0, 0, 64, M64),
    OCF(EXTRACT, I64, MIN64, 0, 63, 1, 1),
    OCF(SEXTRACT, I32, 0x80, 0, 0, 8, 0xffffff80),
    OCF(SEXTRACT, I32, 0x12345678, 0, 4, 8, 0x67),
    OCF(SEXTRACT, I32, MIN32, 0, 31, 1, M32),
    OCF(SEXTRACT, I64, 0x80000000, 0, 0, 32, 0xffffffff80000000ull),
    OCF(SEXTRACT, I64, 0xf0, 0, 4, 4, M64),
    OCF(SEXTRACT, I64, 0x70, 0, 4, 4, 7),
    OCC(SETCOND, I32, 1, 2, LT, 1),
    OCC(SETCOND, I32, M32, 1, LT, 1),
    OCC(SETCOND, I32, M32, 1, LTU, 0),
    OCC(SETCOND, I32, 5, 5, EQ, 1),
    OCC(SETCOND, I32, 5, 5, NE, 0),
    OCC(SETCOND, I32, MIN32, MAX32, GT, 0),
    OCC(SETCOND, I32, MIN32, MAX32, GTU, 1),
    OCC(SETCOND, I32, 0xf0, 0x0f, TSTEQ, 1),
    OCC(SETCOND, I32, 0xf0, 0x10, TSTNE, 1),
    OCC(SETCOND, I32, 3, 3, GE, 1),
    OCC(SETCOND, I32, 3, 3, LE, 1),
    OCC(SETCOND, I32, 2, 3, LEU, 1),
    OCC(SETCOND, I32, 3, 2, GEU, 1),
    OCC(SETCOND, I64, M64, 0, LT, 1),
    OCC(SETCOND, I64, M64, 0, LTU, 0),
    OCC(SETCOND, I64, MIN64, MAX64, LT, 1),
    OCC(SETCOND, I64, 0x100000000ull, 1, GTU, 1),
    OCC(SETCOND, I64, 0x100000000ull, 0xffffffffull, TSTEQ, 1),
    OCM(I32, 1, 2, 0xaaa, 0xbbb, LT, 0xaaa),
    OCM(I32, 2, 1, 0xaaa, 0xbbb, LT, 0xbbb),
    OCM(I64, M64, 0, 0xaaa, 0xbbb, LTU, 0xbbb),
    OCM(I64, M64, 0, 0xaaa, 0xbbb, LT, 0xaaa),
    OCC(BRCOND, I32, 1, 2, LT, 1),
    OCC(BRCOND, I32, M32, 1, LT, 1),
    OCC(BRCOND, I32, M32, 1, LTU, 0),
    OCC(BRCOND, I64, MIN64, 1, GE, 0),
    OCC(BRCOND, I64, 5, 5, EQ, 1),
    OCC(BRCOND, I64, 0x100000000ull, M32, GTU, 1),
};

/* the env of the harness: globals g0..g3 (I64), h0..h3 (I32), outputs */
typedef struct OpEnv {
    int32_t exit_request;
    int32_t pad;
    TcgJcRef jc;
    TlbFast tlb[1];
    uint64_t pc;
    uint64_t g[4];
    uint32_t h[4];
    uint64_t og[2];
    uint32_t oh[2];
} OpEnv;

typedef struct OpHarness {
    TcgCtx *s;
    TcgCpu *cpu;
    OpEnv env;
    TlbEntry tlb_table[1];
    IrTemp g[4], h[4], og[2], oh[2];
    const OpCase *cur;
    bool imm;
} OpHarness;

static OpHarness *op_harness_cur;

static void op_h_get_key(void *env, TbKey *key)
{
    key->pc = ((OpEnv *)env)->pc;
}

static uint64_t op_h_code_phys(void *env, const TbKey *key)
{
    return key->pc;
}

static uint64_t op_h_ld_slow(void *env, uint64_t va, uint32_t mo, uintptr_t ra)
{
    return 0;
}

static void op_h_st_slow(void *env, uint64_t va, uint64_t v, uint32_t mo,
                         uintptr_t ra)
{
}

static IrTemp op_h_input(OpHarness *hs, IrFunc *f, const OpCase *c, unsigned k,
                         unsigned nin)
{
    IrType t = c->type;
    if (c->opc == IR_EXTRL || c->opc == IR_EXTRH) {
        t = IR_I64;
    }
    if (hs->imm && k == nin - 1) {
        return ir_const(f, t, c->in[k]);
    }
    return t == IR_I64 ? hs->g[k] : hs->h[k];
}

static void op_h_brcond(OpHarness *hs, IrFunc *f, const OpCase *c)
{
    IrTemp d = c->type == IR_I64 ? hs->og[0] : hs->oh[0];
    uint32_t l = ir_label_new(f);
    ir_brcond(f, c->type, (IrCond)c->con[0], op_h_input(hs, f, c, 0, 2),
              op_h_input(hs, f, c, 1, 2), l);
    ir_movi(f, c->type, d, 0);
    ir_exit_tb(f, IR_EXIT_FRONTEND);
    ir_set_label(f, l);
    ir_movi(f, c->type, d, 1);
}

static void op_h_translate(void *env, IrFunc *f, TcgTbDesc *desc)
{
    OpHarness *hs = op_harness_cur;
    const OpCase *c = hs->cur;
    const IrOpInfo *info = &ir_op_info[c->opc];
    ir_insn_start(f, desc->key.pc, 0, 0);
    if (c->opc == IR_BRCOND) {
        op_h_brcond(hs, f, c);
    } else {
        uint64_t args[IR_MAX_ARGS];
        unsigned n = 0;
        for (unsigned k = 0; k < info->nout; k++) {
            args[n++] = c->type == IR_I64 ? hs->og[k] : hs->oh[k];
        }
        for (unsigned k = 0; k < info->nin; k++) {
            args[n++] = op_h_input(hs, f, c, k, info->nin);
        }
        for (unsigned k = 0; k < info->ncon; k++) {
            args[n++] = c->con[k];
        }
        ir_emit(f, c->opc, c->type, args);
    }
    ir_exit_tb(f, IR_EXIT_FRONTEND);
    desc->size = 1;
    desc->icount = 1;
}

static void op_harness_init(OpHarness *hs, TcgBackendKind be)
{
    static const char *const gn[4] = {"g0", "g1", "g2", "g3"};
    static const char *const hn[4] = {"h0", "h1", "h2", "h3"};
    memset(hs, 0, sizeof(*hs));
    TcgConfig cfg = {
        .backend = be,
        .code_size = 1 << 20,
        .exit_request_off = offsetof(OpEnv, exit_request),
        .tlb_fast_off = offsetof(OpEnv, tlb),
        .nb_mmu = 1,
        .jc_off = offsetof(OpEnv, jc),
        .ld_slow = op_h_ld_slow,
        .st_slow = op_h_st_slow,
        .fe = {op_h_get_key, op_h_code_phys, op_h_translate, NULL},
    };
    hs->s = tcg_new(&cfg);
    for (int i = 0; i < 4; i++) {
        hs->g[i] = tcg_global_new(hs->s, IR_I64, (int32_t)offsetof(OpEnv, g[i]),
                                  gn[i], -1);
        hs->h[i] = tcg_global_new(hs->s, IR_I32, (int32_t)offsetof(OpEnv, h[i]),
                                  hn[i], -1);
    }
    for (int i = 0; i < 2; i++) {
        hs->og[i] = tcg_global_new(hs->s, IR_I64,
                                   (int32_t)offsetof(OpEnv, og[i]), "og", -1);
        hs->oh[i] = tcg_global_new(hs->s, IR_I32,
                                   (int32_t)offsetof(OpEnv, oh[i]), "oh", -1);
    }
    hs->env.tlb[0].mask = 0;
    hs->env.tlb[0].table = hs->tlb_table;
    memset(hs->tlb_table, 0xff, sizeof(hs->tlb_table));
    hs->cpu = tcg_cpu_new(hs->s, &hs->env);
}

static void op_harness_fini(OpHarness *hs)
{
    tcg_free(hs->s);
}

/* run one case; returns false if tcg_exec did not come back normally */
static bool op_case_run(OpHarness *hs, const OpCase *c, bool imm,
                        uint64_t out[2])
{
    op_harness_cur = hs;
    hs->cur = c;
    hs->imm = imm;
    for (int k = 0; k < 4; k++) {
        hs->env.g[k] = c->in[k];
        hs->env.h[k] = (uint32_t)c->in[k];
    }
    hs->env.og[0] = hs->env.og[1] = 0x5a5a5a5a5a5a5a5aull;
    hs->env.oh[0] = hs->env.oh[1] = 0x5a5a5a5a;
    tcg_flush(hs->s, TCG_FLUSH_USER);
    if (tcg_exec(hs->cpu) != TCG_EXEC_FRONTEND) {
        return false;
    }
    for (int k = 0; k < 2; k++) {
        out[k] = c->type == IR_I64 ? hs->env.og[k] : hs->env.oh[k];
    }
    return true;
}

#endif
