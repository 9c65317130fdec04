/*
 * tests/unit/tcg/test_opt.c: the optimizer, as golden IR text.
 *
 * Each test builds a small function on globals r0..r3, runs ir_optimize()
 * and compares the -d op_opt text with the expected listing (MIR-style
 * golden tests): constant folding, copy propagation, algebraic identities,
 * dead code and dead global stores, globals kept live at may-raise ops,
 * branch folding with unreachable code, and knowledge dropped at labels;
 * known-zero bits (redundant extensions and masks removed, needed ones
 * kept after a 64-bit add, a signed load, a label or a call);
 * then a differential run of random functions with and without the
 * optimizer on the interpreter.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tcg/ir.h"
#include "tcg/tcg.h"

static IrFunc *f;
static IrTemp r[4];

static void setup(void)
{
    static const char *const names[4] = {"r0", "r1", "r2", "r3"};
    f = ir_func_new();
    for (int i = 0; i < 4; i++) {
        r[i] = ir_global_new(f, IR_I64, 8 * i, names[i], -1);
    }
    ir_insn_start(f, 0x1000, 0, 0);
}

static void teardown(void)
{
    ir_func_free(f);
}

static char *dump(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ir_dump(f, out);
    fclose(out);
    return buf;
}

static void expect_opt(const char *want)
{
    ir_exit_tb(f, IR_EXIT_LOOKUP);
    ir_optimize(f);
    char *got = dump();
    cr_expect_str_eq(got, want);
    free(got);
}

TestSuite(opt, .init = setup, .fini = teardown);

Test(opt, folds_constants)
{
    IrTemp t0 = ir_temp_new(f, IR_I64), t1 = ir_temp_new(f, IR_I64);
    ir_movi(f, IR_I64, t0, 2);
    ir_op2i(f, IR_ADD, IR_I64, t1, t0, 3);
    ir_op2i(f, IR_SHL, IR_I64, t1, t1, 4);
    ir_mov(f, IR_I64, r[0], t1);
    expect_opt(" ---- 0x1000 0x0 0x0\n"
               " mov_i64 r0 = $0x50\n"
               " exit_tb 0x2\n");
}

Test(opt, folds_i32_wraparound)
{
    IrTemp t = ir_temp_new(f, IR_I32), u = ir_temp_new(f, IR_I32);
    ir_movi(f, IR_I32, t, 0xffffffff);
    ir_op2i(f, IR_ADD, IR_I32, u, t, 2);
    ir_op1(f, IR_EXT32U, IR_I64, r[1], u);
    expect_opt(" ---- 0x1000 0x0 0x0\n"
               " mov_i64 r1 = $0x1\n"
               " exit_tb 0x2\n");
}

Test(opt, propagates_copies)
{
    IrTemp t0 = ir_temp_new(f, IR_I64);
    ir_mov(f, IR_I64, t0, r[1]);
    ir_op2(f, IR_ADD, IR_I64, r[2], t0, r[3]);
    ir_op2(f, IR_SUB, IR_I64, r[0], r[2], t0);
    expect_opt(" ---- 0x1000 0x0 0x0\n"
               " add_i64 r2 = r1, r3\n"
               " sub_i64 r0 = r2, r1\n"
               " exit_tb 0x2\n");
}

Test(opt, copy_dropped_when_source_changes)
{
    IrTemp t0 = ir_temp_new(f, IR_I64);
    ir_mov(f, IR_I64, t0, r[1]);
    ir_op2i(f, IR_ADD, IR_I64, r[1], r[1], 1);
    ir_mov(f, IR_I64, r[2], t0);
    expect_opt(" ---- 0x1000 0x0 0x0\n"
               " mov_i64 t0 = r1\n"
               " add_i64 r1 = r1, $0x1\n"
               " mov_i64 r2 = t0\n"
               " exit_tb 0x2\n");
}

Test(opt, algebraic_identities)
{
    ir_op2i(f, IR_ADD, IR_I64, r[1], r[0], 0);
    ir_op2(f, IR_XOR, IR_I64, r[2], r[0], r[0]);
    ir_op2i(f, IR_AND, IR_I64, r[3], r[0], ~0ull);
    ir_op2i(f, IR_MUL, IR_I64, r[0], r[0], 0);
    expect_opt(" ---- 0x1000 0x0 0x0\n"
               " mov_i64 r1 = r0\n"
               " mov_i64 r2 = $0x0\n"
               " mov_i64 r3 = r0\n"
               " mov_i64 r0 = $0x0\n"
               " exit_tb 0x2\n");
}

Test(opt, commutes_constant_to_the_right)
{
    IrTemp t = ir_temp_new(f, IR_I64);
    ir_op2(f, IR_OR, IR_I64, t, ir_const(f, IR_I64, 0), r[2]);
    ir_mov(f, IR_I64, r[1], t);
    expect_opt(" ---- 0x1000 0x0 0x0\n"
               " mov_i64 r1 = r2\n"
               " exit_tb 0x2\n");
}

Test(opt, removes_dead_code_and_dead_global_stores)
{
    IrTemp t0 = ir_temp_new(f, IR_I64);
    ir_op2(f, IR_ADD, IR_I64, t0, r[1], r[2]);
    ir_mov(f, IR_I64, r[3], r[1]);
    ir_mov(f, IR_I64, r[3], r[2]);
    expect_opt(" ---- 0x1000 0x0 0x0\n"
               " mov_i64 r3 = r2\n"
               " exit_tb 0x2\n");
}

Test(opt, globals_live_at_may_raise_op)
{
    ir_movi(f, IR_I64, r[3], 1);
    ir_qld(f, IR_I64, r[2], r[0], IR_MO_64);
    ir_movi(f, IR_I64, r[3], 2);
    expect_opt(" ---- 0x1000 0x0 0x0\n"
               " mov_i64 r3 = $0x1\n"
               " qld_i64 r2 = r0, 64u mmu0\n"
               " mov_i64 r3 = $0x2\n"
               " exit_tb 0x2\n");
}

Test(opt, folds_branch_and_drops_unreachable)
{
    uint32_t l = ir_label_new(f);
    ir_brcond(f, IR_I64, IR_LT, ir_const(f, IR_I64, 1), ir_const(f, IR_I64, 2),
              l);
    ir_movi(f, IR_I64, r[1], 5);
    ir_exit_tb(f, IR_EXIT_FRONTEND);
    ir_movi(f, IR_I64, r[2], 6); /* unreachable */
    ir_set_label(f, l);
    ir_movi(f, IR_I64, r[1], 7);
    expect_opt(" ---- 0x1000 0x0 0x0\n"
               " br L0\n"
               "L0:\n"
               " mov_i64 r1 = $0x7\n"
               " exit_tb 0x2\n");
}

Test(opt, false_branch_removed_with_its_label)
{
    uint32_t l = ir_label_new(f);
    IrTemp t = ir_temp_new(f, IR_I64);
    ir_movi(f, IR_I64, t, 3);
    ir_brcond(f, IR_I64, IR_EQ, t, ir_const(f, IR_I64, 4), l);
    ir_set_label(f, l);
    ir_op2i(f, IR_ADD, IR_I64, r[1], t, 1);
    expect_opt(" ---- 0x1000 0x0 0x0\n"
               " mov_i64 r1 = $0x4\n"
               " exit_tb 0x2\n");
}

Test(opt, label_drops_knowledge)
{
    uint32_t l = ir_label_new(f);
    IrTemp t = ir_temp_new(f, IR_I64);
    ir_movi(f, IR_I64, t, 3);
    ir_brcond(f, IR_I64, IR_EQ, r[0], ir_const(f, IR_I64, 0), l);
    ir_movi(f, IR_I64, t, 4);
    ir_set_label(f, l);
    ir_op2i(f, IR_ADD, IR_I64, r[1], t, 1);
    expect_opt(" ---- 0x1000 0x0 0x0\n"
               " mov_i64 t0 = $0x3\n"
               " brcond_i64 r0, $0x0, eq, L0\n"
               " mov_i64 t0 = $0x4\n"
               "L0:\n"
               " add_i64 r1 = t0, $0x1\n"
               " exit_tb 0x2\n");
}

Test(opt, liveness_marks_last_use)
{
    IrTemp t = ir_temp_new(f, IR_I64);
    ir_op2(f, IR_ADD, IR_I64, t, r[0], r[1]);
    ir_op2(f, IR_MUL, IR_I64, r[2], t, t);
    ir_exit_tb(f, IR_EXIT_LOOKUP);
    ir_liveness(f);
    cr_assert_eq(f->nops, 4);
    const IrOp *add = &f->ops[1], *mul = &f->ops[2];
    cr_expect_eq(add->life, 0, "output used, globals live at exit");
    cr_expect(mul->life & IR_LIFE_DEAD(1), "t dies at the mul");
}

/* known-zero bits: redundant extensions and masks become moves */

static uint64_t helper_clobber(void *env)
{
    (void)env;
    return 0;
}

static const IrHelper clobber = {.name = "clobber",
                                 .fn = helper_clobber,
                                 .nargs = 0,
                                 .ret = IRH_VOID,
                                 .flags = IRH_ENV | IRH_WR_GLOB};

Test(opt, redundant_zero_extension_removed)
{
    IrTemp t = ir_temp_new(f, IR_I64), u = ir_temp_new(f, IR_I64);
    ir_op1(f, IR_EXT32U, IR_I64, t, r[0]);
    ir_op1(f, IR_EXT32U, IR_I64, u, t);
    ir_op2i(f, IR_AND, IR_I64, r[1], u, 0xffffffff);
    ir_op1(f, IR_EXT32U, IR_I64, r[2], r[1]);
    expect_opt(" ---- 0x1000 0x0 0x0\n"
               " ext32u_i64 t0 = r0\n"
               " mov_i64 r1 = t0\n"
               " mov_i64 r2 = t0\n"
               " exit_tb 0x2\n");
}

Test(opt, extension_kept_after_64bit_add)
{
    IrTemp a = ir_temp_new(f, IR_I64), b = ir_temp_new(f, IR_I64);
    ir_op1(f, IR_EXT32U, IR_I64, a, r[0]);
    ir_op1(f, IR_EXT32U, IR_I64, b, r[1]);
    ir_op2(f, IR_ADD, IR_I64, a, a, b);
    ir_op1(f, IR_EXT32U, IR_I64, r[2], a);
    /* 16-bit values: the sum fits in 17 bits */
    ir_op1(f, IR_EXT16U, IR_I64, a, r[0]);
    ir_op1(f, IR_EXT16U, IR_I64, b, r[1]);
    ir_op2(f, IR_ADD, IR_I64, a, a, b);
    ir_op1(f, IR_EXT32U, IR_I64, r[3], a);
    expect_opt(" ---- 0x1000 0x0 0x0\n"
               " ext32u_i64 t0 = r0\n"
               " ext32u_i64 t1 = r1\n"
               " add_i64 t0 = t0, t1\n"
               " ext32u_i64 r2 = t0\n"
               " ext16u_i64 t0 = r0\n"
               " ext16u_i64 t1 = r1\n"
               " add_i64 t0 = t0, t1\n"
               " mov_i64 r3 = t0\n"
               " exit_tb 0x2\n");
}

Test(opt, loads_by_memop_size_and_sign)
{
    IrTemp t = ir_temp_new(f, IR_I64), u = ir_temp_new(f, IR_I64);
    ir_ld(f, IR_I64, t, 64, IR_MO_32 | IR_MO_SIGN);
    ir_op1(f, IR_EXT32U, IR_I64, r[0], t);
    ir_ld(f, IR_I64, u, 72, IR_MO_8);
    ir_op1(f, IR_EXT16S, IR_I64, r[1], u);
    ir_qld(f, IR_I64, t, r[3], IR_MO_16);
    ir_op1(f, IR_EXT16S, IR_I64, r[2], t);
    ir_op1(f, IR_EXT32S, IR_I64, r[3], t);
    expect_opt(" ---- 0x1000 0x0 0x0\n"
               " ld_i64 t0, env+0x40, 32s mmu0\n"
               " ext32u_i64 r0 = t0\n"
               " ld_i64 t1, env+0x48, 8u mmu0\n"
               " mov_i64 r1 = t1\n"
               " qld_i64 t0 = r3, 16u mmu0\n"
               " ext16s_i64 r2 = t0\n"
               " mov_i64 r3 = t0\n"
               " exit_tb 0x2\n");
}

Test(opt, known_bits_dropped_at_label)
{
    uint32_t l = ir_label_new(f);
    IrTemp t = ir_temp_new(f, IR_I64);
    ir_op1(f, IR_EXT32U, IR_I64, t, r[0]);
    ir_brcond(f, IR_I64, IR_EQ, r[1], ir_const(f, IR_I64, 0), l);
    ir_mov(f, IR_I64, t, r[2]);
    ir_set_label(f, l);
    ir_op1(f, IR_EXT32U, IR_I64, r[3], t);
    expect_opt(" ---- 0x1000 0x0 0x0\n"
               " ext32u_i64 t0 = r0\n"
               " brcond_i64 r1, $0x0, eq, L0\n"
               " mov_i64 t0 = r2\n"
               "L0:\n"
               " ext32u_i64 r3 = t0\n"
               " exit_tb 0x2\n");
}

Test(opt, global_known_until_call_writes_globals)
{
    ir_op1(f, IR_EXT8U, IR_I64, r[0], r[1]);
    ir_op1(f, IR_EXT16U, IR_I64, r[2], r[0]);
    ir_call(f, &clobber, 0, NULL);
    ir_op1(f, IR_EXT16U, IR_I64, r[3], r[0]);
    expect_opt(" ---- 0x1000 0x0 0x0\n"
               " ext8u_i64 r0 = r1\n"
               " mov_i64 r2 = r0\n"
               " call clobber\n"
               " ext16u_i64 r3 = r0\n"
               " exit_tb 0x2\n");
}

Test(opt, masks_shifts_and_flags)
{
    IrTemp t = ir_temp_new(f, IR_I64), c = ir_temp_new(f, IR_I64);
    IrTemp w = ir_temp_new(f, IR_I32);
    ir_op2i(f, IR_SHR, IR_I64, t, r[0], 56);
    ir_op2i(f, IR_AND, IR_I64, r[1], t, 0xff);   /* mov */
    ir_op2i(f, IR_AND, IR_I64, r[2], t, 0xff00); /* zero */
    ir_op2i(f, IR_AND, IR_I64, r[3], t, 0xf);    /* kept */
    ir_setcond(f, IR_I64, IR_LTU, c, r[0], r[1]);
    ir_op1(f, IR_EXT8S, IR_I64, c, c); /* mov, dropped */
    ir_op2i(f, IR_SHL, IR_I64, r[0], c, 3);
    ir_op1(f, IR_EXTRL, IR_I32, w, r[1]);
    ir_op2i(f, IR_SAR, IR_I32, w, w, 4); /* sign known 0 */
    ir_op1(f, IR_EXT32U, IR_I64, t, w);
    ir_op2(f, IR_OR, IR_I64, r[0], r[0], t);
    expect_opt(" ---- 0x1000 0x0 0x0\n"
               " shr_i64 t0 = r0, $0x38\n"
               " mov_i64 r1 = t0\n"
               " mov_i64 r2 = $0x0\n"
               " and_i64 r3 = t0, $0xf\n"
               " setcond_i64 t1 = r0, t0, ltu\n"
               " shl_i64 r0 = t1, $0x3\n"
               " extrl_i32 t2 = t0\n"
               " shr_i32 t2 = t2, $0x4\n"
               " ext32u_i64 t0 = t2\n"
               " or_i64 r0 = r0, t0\n"
               " exit_tb 0x2\n");
}

/*
 * Differential test: random functions (ALU ops on globals, locals and
 * constants, copies, forward branches) give the same env with and without
 * the optimizer, on the interpreter.
 */
typedef struct DiffEnv {
    int32_t exit_request;
    int32_t pad;
    TcgJcRef jc;
    TlbFast tlb[1];
    uint64_t pc;
    uint64_t g[4];
} DiffEnv;

static uint64_t diff_seed;
static IrTemp diff_g[4];

static uint64_t diff_rand(void)
{
    diff_seed ^= diff_seed << 13;
    diff_seed ^= diff_seed >> 7;
    diff_seed ^= diff_seed << 17;
    return diff_seed;
}

static void diff_get_key(void *env, TbKey *key)
{
    key->pc = ((DiffEnv *)env)->pc;
}

static uint64_t diff_code_phys(void *env, const TbKey *key)
{
    return key->pc;
}

static uint64_t diff_ld(void *env, uint64_t va, uint32_t mo, uintptr_t ra)
{
    return 0;
}

static void diff_st(void *env, uint64_t va, uint64_t v, uint32_t mo,
                    uintptr_t ra)
{
}

static IrTemp diff_operand(IrFunc *fn, const IrTemp *loc)
{
    static const uint64_t consts[] = {0,  1,          2,     63,
                                      64, 0xffffffff, ~0ull, 1ull << 63};
    switch (diff_rand() % 3) {
    case 0:
        return diff_g[diff_rand() % 4];
    case 1:
        return loc[diff_rand() % 3];
    default:
        return ir_const(fn, IR_I64, consts[diff_rand() % ARRAY_LEN(consts)]);
    }
}

static void diff_translate(void *env, IrFunc *fn, TcgTbDesc *d)
{
    static const IrOpcode ops[] = {IR_ADD,  IR_SUB,  IR_AND,  IR_OR,
                                   IR_XOR,  IR_SHL,  IR_SAR,  IR_MUL,
                                   IR_ANDC, IR_ROTR, IR_MULUH};
    IrTemp loc[3];
    uint32_t label = ir_label_new(fn);
    bool open = false;
    ir_insn_start(fn, d->key.pc, 0, 0);
    for (int i = 0; i < 3; i++) {
        loc[i] = ir_temp_new(fn, IR_I64);
        ir_movi(fn, IR_I64, loc[i], diff_rand() & 0xff);
    }
    for (int i = 0; i < 40; i++) {
        IrTemp dst =
            diff_rand() % 2 ? diff_g[diff_rand() % 4] : loc[diff_rand() % 3];
        unsigned kind = diff_rand() % 10;
        if (kind < 6) {
            ir_op2(fn, ops[diff_rand() % ARRAY_LEN(ops)], IR_I64, dst,
                   diff_operand(fn, loc), diff_operand(fn, loc));
        } else if (kind < 8) {
            ir_mov(fn, IR_I64, dst, diff_operand(fn, loc));
        } else if (kind == 8) {
            ir_setcond(fn, IR_I64, (IrCond)(diff_rand() % IR_COND__COUNT), dst,
                       diff_operand(fn, loc), diff_operand(fn, loc));
        } else if (!open) {
            ir_brcond(fn, IR_I64, (IrCond)(diff_rand() % IR_COND__COUNT),
                      diff_operand(fn, loc), diff_operand(fn, loc), label);
            open = true;
        } else {
            ir_set_label(fn, label);
            label = ir_label_new(fn);
            open = false;
        }
    }
    if (open) {
        ir_set_label(fn, label);
    }
    ir_exit_tb(fn, IR_EXIT_FRONTEND);
    d->size = 1;
}

static void diff_run(bool no_opt, uint64_t seed, uint64_t out[4])
{
    static const char *const names[4] = {"g0", "g1", "g2", "g3"};
    DiffEnv env = {0};
    TcgConfig cfg = {
        .backend = TCG_BACKEND_INTERP,
        .code_size = 1 << 20,
        .exit_request_off = offsetof(DiffEnv, exit_request),
        .tlb_fast_off = offsetof(DiffEnv, tlb),
        .nb_mmu = 1,
        .jc_off = offsetof(DiffEnv, jc),
        .ld_slow = diff_ld,
        .st_slow = diff_st,
        .fe = {diff_get_key, diff_code_phys, diff_translate, NULL},
        .no_opt = no_opt,
    };
    TcgCtx *s = tcg_new(&cfg);
    for (int i = 0; i < 4; i++) {
        diff_g[i] =
            tcg_global_new(s, IR_I64, offsetof(DiffEnv, g[i]), names[i], -1);
        env.g[i] = seed * (uint64_t)(i + 3);
    }
    TcgCpu *cpu = tcg_cpu_new(s, &env);
    diff_seed = seed;
    cr_assert_eq(tcg_exec(cpu), TCG_EXEC_FRONTEND);
    memcpy(out, env.g, sizeof(env.g));
    tcg_free(s);
}

Test(opt_diff, optimizer_preserves_results)
{
    for (uint64_t seed = 1; seed <= 300; seed++) {
        uint64_t a[4], b[4];
        diff_run(true, seed * 0x9e3779b97f4a7c15ull, a);
        diff_run(false, seed * 0x9e3779b97f4a7c15ull, b);
        for (int i = 0; i < 4; i++) {
            cr_expect_eq(a[i], b[i], "seed %llu g%d: 0x%llx vs 0x%llx",
                         (unsigned long long)seed, i, (unsigned long long)a[i],
                         (unsigned long long)b[i]);
        }
    }
}
