/*
 * tools/bench/bench_tcg.c: translator figures.
 *
 * 1. IR ops built and optimized per second (builder + ir_optimize) on a
 *    synthetic guest-like block of ALU ops, loads, stores and a branch.
 * 2. A synthetic loop of BENCH_BLOCKS chained blocks (each BENCH_ALU ALU
 *    ops on globals) run by a backend, in IR ops executed per second.
 * bench_chain() takes the backend, so the JIT side reuses it (tcg-x64).
 * 3. (tcg-x64) JIT code size: host bytes and instructions per IR op for
 *    the block of 1., and the inline TLB fast path's host instructions per
 *    guest load (a block with one QLD minus the same block with a MOV).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tcg/backend.h"
#include "tcg/tb.h"
#include "tcg/tcg.h"
#include "tcg/x86_64/x64_disas.h"

#define BENCH_BLOCKS 8
#define BENCH_ALU 12

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* a block shaped like translated guest code: 16 insns */
static void build_block(IrFunc *f, const IrTemp *g)
{
    for (int i = 0; i < 16; i++) {
        IrTemp t = ir_temp_new(f, IR_I64), u = ir_temp_new(f, IR_I64);
        ir_insn_start(f, 0x1000 + 4 * (uint64_t)i, 0, 0);
        ir_op2i(f, IR_ADD, IR_I64, t, g[i & 7], (uint64_t)i * 8);
        ir_qld(f, IR_I64, u, t, IR_MO_64);
        ir_op2(f, IR_XOR, IR_I64, g[(i + 1) & 7], g[(i + 1) & 7], u);
        ir_mov(f, IR_I64, g[8], g[(i + 1) & 7]);
        ir_op2i(f, IR_SHL, IR_I64, t, u, 0);
        ir_qst(f, IR_I64, t, g[i & 7], IR_MO_64);
    }
    ir_goto_tb(f, 0);
    ir_movi(f, IR_I64, g[9], 0x1040);
    ir_exit_tb(f, IR_EXIT_TB0);
}

static void bench_build_opt(void)
{
    IrFunc *f = ir_func_new();
    IrTemp g[10];
    static const char *const names[10] = {"r0", "r1", "r2", "r3", "r4",
                                          "r5", "r6", "r7", "cc", "pc"};
    for (int i = 0; i < 10; i++) {
        g[i] = ir_global_new(f, IR_I64, 8 * i, names[i], -1);
    }
    uint64_t ops = 0;
    unsigned iters = 0;
    double t0 = now(), t;
    do {
        for (int k = 0; k < 100; k++) {
            ir_func_reset(f);
            build_block(f, g);
            ops += f->nops;
            ir_optimize(f);
        }
        iters += 100;
        t = now() - t0;
    } while (t < 0.5);
    printf("tcg: build+opt: %.2f M IR ops/s (%u blocks of %u ops -> %u)\n",
           (double)ops / t / 1e6, iters, (unsigned)(ops / iters), f->nops);
    ir_func_free(f);
}

/* the chained loop: blocks at pc 0, 0x40, ... ; r0 counts iterations */
typedef struct BenchEnv {
    int32_t exit_request;
    int32_t pad;
    TcgJcRef jc;
    TlbFast tlb[1];
    uint64_t pc;
    uint64_t r[4];
} BenchEnv;

static IrTemp bench_r[4], bench_pc;

static void bench_get_key(void *env, TbKey *key)
{
    key->pc = ((BenchEnv *)env)->pc;
}

static uint64_t bench_code_phys(void *env, const TbKey *key)
{
    return key->pc;
}

static uint64_t bench_ld_slow(void *env, uint64_t va, uint32_t mo, uintptr_t ra)
{
    return 0;
}

static void bench_st_slow(void *env, uint64_t va, uint64_t v, uint32_t mo,
                          uintptr_t ra)
{
}

static void bench_goto(IrFunc *f, unsigned n, uint64_t pc)
{
    ir_goto_tb(f, n);
    ir_movi(f, IR_I64, bench_pc, pc);
    ir_exit_tb(f, n ? IR_EXIT_TB1 : IR_EXIT_TB0);
}

static void bench_translate(void *env, IrFunc *f, TcgTbDesc *d)
{
    uint64_t pc = d->key.pc;
    ir_insn_start(f, pc, 0, 0);
    for (int i = 0; i < BENCH_ALU; i++) {
        IrOpcode op = i % 3 == 0 ? IR_ADD : i % 3 == 1 ? IR_XOR : IR_ROTL;
        ir_op2(f, op, IR_I64, bench_r[1 + i % 3], bench_r[1 + i % 3],
               bench_r[1 + (i + 1) % 3]);
    }
    if (pc / 0x40 < BENCH_BLOCKS - 1) {
        bench_goto(f, 0, pc + 0x40);
    } else {
        uint32_t l = ir_label_new(f);
        ir_op2i(f, IR_SUB, IR_I64, bench_r[0], bench_r[0], 1);
        ir_brcond(f, IR_I64, IR_EQ, bench_r[0], ir_const(f, IR_I64, 0), l);
        bench_goto(f, 0, 0);
        ir_set_label(f, l);
        ir_movi(f, IR_I64, bench_pc, pc + 4);
        ir_exit_tb(f, IR_EXIT_FRONTEND);
    }
    d->size = 4;
    d->icount = 1;
}

void bench_chain(TcgBackendKind be, const char *label);

void bench_chain(TcgBackendKind be, const char *label)
{
    static const char *const names[4] = {"r0", "r1", "r2", "r3"};
    static BenchEnv env;
    TcgConfig cfg = {
        .backend = be,
        .exit_request_off = offsetof(BenchEnv, exit_request),
        .tlb_fast_off = offsetof(BenchEnv, tlb),
        .nb_mmu = 1,
        .jc_off = offsetof(BenchEnv, jc),
        .ld_slow = bench_ld_slow,
        .st_slow = bench_st_slow,
        .fe = {bench_get_key, bench_code_phys, bench_translate, NULL},
    };
    TcgCtx *s = tcg_new(&cfg);
    for (int i = 0; i < 4; i++) {
        bench_r[i] =
            tcg_global_new(s, IR_I64, offsetof(BenchEnv, r[i]), names[i], -1);
    }
    bench_pc = tcg_global_new(s, IR_I64, offsetof(BenchEnv, pc), "pc", -1);
    TcgCpu *cpu = tcg_cpu_new(s, &env);
    uint64_t loops = 200000;
    memset(&env, 0, sizeof(env));
    env.r[0] = loops;
    env.r[1] = 1;
    double t0 = now();
    TcgExecResult r = tcg_exec(cpu);
    double t = now() - t0;
    uint64_t ops = loops * BENCH_BLOCKS * (BENCH_ALU + 2);
    printf("tcg: chained loop (%s): %.1f M IR ops/s, %.1f M blocks/s "
           "(exit %d, chains %llu)\n",
           label, (double)ops / t / 1e6,
           (double)(loops * BENCH_BLOCKS) / t / 1e6, (int)r,
           (unsigned long long)tcg_stats(s)->chains);
    tcg_free(s);
}

/* ---- x86-64 JIT code figures (tcg-x64) ---- */
static const TcgBackend *const bench_jit = &tcg_backend_x64; /* link it */

typedef struct CodeEnv {
    int32_t exit_request;
    int32_t pad;
    TcgJcRef jc;
    TlbFast tlb[1];
    uint64_t g[10];
} CodeEnv;

static IrTemp code_g[10];
static int code_shape; /* 0: build_block, 1: mov g1 = g0, 2: qld g1 = [g0] */

static void code_get_key(void *env, TbKey *key)
{
    key->pc = ((CodeEnv *)env)->g[9];
}

static void code_translate(void *env, IrFunc *f, TcgTbDesc *d)
{
    if (code_shape == 0) {
        build_block(f, code_g);
    } else {
        ir_insn_start(f, d->key.pc, 0, 0);
        if (code_shape == 1) {
            ir_mov(f, IR_I64, code_g[1], code_g[0]);
        } else {
            ir_qld(f, IR_I64, code_g[1], code_g[0], IR_MO_64);
        }
        ir_exit_tb(f, IR_EXIT_FRONTEND);
    }
    d->size = 4;
    d->icount = 1;
}

/* host instructions of one translated shape; *mainline: up to the exit */
static size_t code_shape_insns(TcgCpu *cpu, TcgCtx *s, int shape,
                               size_t *mainline, uint64_t *ir_ops,
                               uint32_t *bytes)
{
    TbKey key = {.pc = 0x1000 + 0x100 * (uint64_t)shape};
    uint64_t before = tcg_stats(s)->ir_ops_out;
    code_shape = shape;
    Tb *tb = tcg_translate(cpu, &key);
    *ir_ops = tcg_stats(s)->ir_ops_out - before;
    *bytes = tb->code_size;
    return x64_count_insns(tb->code, tb->code_size, mainline);
}

static void bench_jit_code(void)
{
    static const char *const names[10] = {"r0", "r1", "r2", "r3", "r4",
                                          "r5", "r6", "r7", "cc", "pc"};
    static CodeEnv env;
    TcgConfig cfg = {
        .backend = TCG_BACKEND_JIT,
        .exit_request_off = offsetof(CodeEnv, exit_request),
        .tlb_fast_off = offsetof(CodeEnv, tlb),
        .nb_mmu = 1,
        .jc_off = offsetof(CodeEnv, jc),
        .ld_slow = bench_ld_slow,
        .st_slow = bench_st_slow,
        .fe = {code_get_key, bench_code_phys, code_translate, NULL},
    };
    TcgCtx *s = tcg_new(&cfg);
    for (int i = 0; i < 10; i++) {
        code_g[i] =
            tcg_global_new(s, IR_I64, offsetof(CodeEnv, g[i]), names[i], -1);
    }
    TcgCpu *cpu = tcg_cpu_new(s, &env);
    size_t main_mov, main_qld;
    uint64_t ops;
    uint32_t bytes;
    size_t n = code_shape_insns(cpu, s, 0, &main_mov, &ops, &bytes);
    printf("tcg: jit (%s) code: %.1f host bytes, %.1f host insns per IR op "
           "(%llu ops -> %u bytes, %zu insns incl. slow paths)\n",
           bench_jit->name, (double)bytes / (double)ops,
           (double)n / (double)ops, (unsigned long long)ops, bytes, n);
    code_shape_insns(cpu, s, 1, &main_mov, &ops, &bytes);
    code_shape_insns(cpu, s, 2, &main_qld, &ops, &bytes);
    printf("tcg: jit TLB fast path: %zu host insns per guest load "
           "(inline, hit; the miss stub is out of line)\n",
           main_qld - main_mov);
    tcg_free(s);
}

int main(void)
{
    bench_build_opt();
    bench_chain(TCG_BACKEND_INTERP, "interp");
    bench_chain(TCG_BACKEND_JIT, "jit");
    bench_jit_code();
    return 0;
}
