/*
 * tests/unit/tcg/test_x64_ops.c: the x86-64 JIT against the interpreter.
 *
 * The per-op edge-value table (op_cases.h) runs through both backends, with
 * register and immediate operands. Then whole-TB behaviour: TLB fast path
 * hits and slow-path misses, register pressure and spills, chaining and
 * unchaining through the patched jumps, and exceptions raised from a slow
 * path or a helper restoring the right insn_start state, with cached and
 * pinned globals written back to env.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "op_cases.h"
#include "tcg/backend.h"
#include "util/log.h"

/* a strong reference: tcg_new() only sees the JIT through a weak symbol,
 * which does not pull x64_backend.o out of the static library */
const TcgBackend *const x64_ops_backend = &tcg_backend_x64;

Test(x64_ops, jit_backend_is_linked)
{
    cr_assert_str_eq(x64_ops_backend->name, "x86_64");
}

Test(x64_ops, edge_cases_match_interpreter_and_table)
{
    static OpHarness jit, interp;
    op_harness_init(&jit, TCG_BACKEND_JIT);
    op_harness_init(&interp, TCG_BACKEND_INTERP);
    for (size_t i = 0; i < ARRAY_LEN(op_cases); i++) {
        const OpCase *c = &op_cases[i];
        for (int imm = 0; imm < 2; imm++) {
            uint64_t oj[2] = {0}, oi[2] = {0};
            unsigned nout = c->opc == IR_MULS2 || c->opc == IR_MULU2 ? 2 : 1;
            cr_assert(op_case_run(&jit, c, imm, oj));
            cr_assert(op_case_run(&interp, c, imm, oi));
            for (unsigned k = 0; k < nout; k++) {
                cr_expect_eq(oj[k], c->out[k],
                             "case %zu %s%s imm=%d out%u: jit 0x%llx want "
                             "0x%llx",
                             i, ir_op_info[c->opc].name,
                             c->type == IR_I64 ? "_i64" : "_i32", imm, k,
                             (unsigned long long)oj[k],
                             (unsigned long long)c->out[k]);
                cr_expect_eq(oj[k], oi[k], "case %zu: jit != interp", i);
            }
        }
    }
    op_harness_fini(&jit);
    op_harness_fini(&interp);
}

/* ---- a small front end whose blocks are built by the test ---- */

typedef struct XEnv {
    int32_t exit_request;
    int32_t pad;
    TcgJcRef jc;
    TlbFast tlb[2];
    uint64_t pc;
    uint64_t r[8]; /* globals r0..r7 (r4, r6, r7 pinned to r12, rbx, rsi) */
    uint64_t words[3];
    int restored;
} XEnv;

typedef void XBuildFn(IrFunc *f, uint64_t pc);

static struct {
    TcgCtx *s;
    TcgCpu *cpu;
    XEnv env;
    TlbEntry tlb[16];
    uint8_t ram[4 * 4096] __attribute__((aligned(4096)));
    IrTemp r[8];
    XBuildFn *build;
    int version;
    int ld_slow_calls, st_slow_calls;
    bool raise_in_slow;
} X;

static void x_get_key(void *env, TbKey *key)
{
    key->pc = ((XEnv *)env)->pc;
}

static uint64_t x_code_phys(void *env, const TbKey *key)
{
    return key->pc;
}

static void x_translate(void *env, IrFunc *f, TcgTbDesc *desc)
{
    X.build(f, desc->key.pc);
    desc->size = 4;
    desc->icount = 1;
}

static void x_restore(void *env, const uint64_t *words)
{
    XEnv *e = env;
    memcpy(e->words, words, sizeof(e->words));
    e->restored++;
}

/* guest RAM at vaddr 0x10000..0x13fff; slow path: vaddr 0x80000+ reads
 * back its own address, writes are counted */
static uint64_t x_ld_slow(void *env, uint64_t va, uint32_t mo, uintptr_t ra)
{
    uint64_t v = va ^ mo;
    unsigned bits = 8u << (mo & IR_MO_SIZE);
    X.ld_slow_calls++;
    if (X.raise_in_slow) {
        tcg_exit_to_dispatcher(ra);
    }
    if (bits < 64) { /* extended by memop, as tlb.c does */
        v &= MASK(bits);
        if ((mo & IR_MO_SIGN) && (v >> (bits - 1))) {
            v |= ~MASK(bits);
        }
    }
    return v;
}

static void x_st_slow(void *env, uint64_t va, uint64_t v, uint32_t mo,
                      uintptr_t ra)
{
    X.st_slow_calls++;
    X.env.r[5] = v;
}

static void x_setup(TcgBackendKind be)
{
    static const char *const names[8] = {"r0", "r1", "r2", "r3",
                                         "r4", "r5", "r6", "r7"};
    /* rsi is also the prologue's incoming code pointer */
    static const int pins[8] = {-1, -1, -1, -1, 12, -1, 3, 6};
    TcgConfig cfg = {
        .backend = be,
        .code_size = 1 << 20,
        .exit_request_off = offsetof(XEnv, exit_request),
        .tlb_fast_off = offsetof(XEnv, tlb),
        .nb_mmu = 2,
        .jc_off = offsetof(XEnv, jc),
        .ld_slow = x_ld_slow,
        .st_slow = x_st_slow,
        .fe = {x_get_key, x_code_phys, x_translate, x_restore},
    };
    memset(&X, 0, sizeof(X));
    X.s = tcg_new(&cfg);
    for (int i = 0; i < 8; i++) {
        X.r[i] = tcg_global_new(X.s, IR_I64, offsetof(XEnv, r[i]), names[i],
                                pins[i]);
    }
    memset(X.tlb, 0xff, sizeof(X.tlb));
    for (int p = 0; p < 4; p++) {
        uint64_t va = 0x10000 + p * 4096ull;
        TlbEntry *e = &X.tlb[(va >> 12) & 15];
        e->addr_read = e->addr_write = va;
        e->addend = (uintptr_t)X.ram + p * 4096 - va;
    }
    X.env.tlb[0].mask = 15 * sizeof(TlbEntry);
    X.env.tlb[0].table = X.tlb;
    X.env.tlb[1].mask = 0;
    X.env.tlb[1].table = X.tlb; /* mmu 1: entry 0 only, always a miss */
    X.cpu = tcg_cpu_new(X.s, &X.env);
}

static void x_teardown(void)
{
    tcg_cpu_free(X.cpu);
    tcg_free(X.s);
}

TestSuite(x64_tb, .fini = x_teardown, .timeout = 20);

/* r1 = [r0]; [r0 + 8] = r1 + 1 (64-bit), r2 = sign-extended byte [r0+1] */
static void build_ldst(IrFunc *f, uint64_t pc)
{
    IrTemp a = ir_temp_new(f, IR_I64), t = ir_temp_new(f, IR_I64);
    ir_insn_start(f, pc, 0, 0);
    ir_qld(f, IR_I64, X.r[1], X.r[0], IR_MO_64);
    ir_op2i(f, IR_ADD, IR_I64, a, X.r[0], 8);
    ir_op2i(f, IR_ADD, IR_I64, t, X.r[1], 1);
    ir_qst(f, IR_I64, t, a, IR_MO_64);
    ir_op2i(f, IR_ADD, IR_I64, a, X.r[0], 1);
    ir_qld(f, IR_I64, X.r[2], a, IR_MO_8 | IR_MO_SIGN);
    ir_exit_tb(f, IR_EXIT_FRONTEND);
}

static void run_ldst(TcgBackendKind be, uint64_t out[4])
{
    x_setup(be);
    X.build = build_ldst;
    X.env.r[0] = 0x10ff8; /* the store at +8 goes to the next page */
    memcpy(X.ram + 0xff8, "\x10\x80\x30\x40\x50\x60\x70\x08", 8);
    cr_assert_eq(tcg_exec(X.cpu), TCG_EXEC_FRONTEND);
    out[0] = X.env.r[1];
    out[1] = X.env.r[2];
    memcpy(&out[2], X.ram + 0x1000, 8);
    out[3] = (uint64_t)X.ld_slow_calls << 8 | (uint64_t)X.st_slow_calls;
}

Test(x64_tb, tlb_hits_run_inline)
{
    uint64_t jit[4], interp[4];
    run_ldst(TCG_BACKEND_JIT, jit);
    x_teardown();
    run_ldst(TCG_BACKEND_INTERP, interp);
    cr_assert_eq(jit[0], 0x0870605040308010ull);
    cr_assert_eq(jit[1], 0xffffffffffffff80ull);
    cr_assert_eq(jit[2], 0x0870605040308011ull);
    cr_assert_eq(jit[3], 0, "no slow path on TLB hits");
    cr_assert_arr_eq(jit, interp, sizeof(jit));
}

/* misses: an unmapped page, a page-crossing access, mmu 1 */
static void build_miss(IrFunc *f, uint64_t pc)
{
    IrTemp a = ir_temp_new(f, IR_I64);
    ir_insn_start(f, pc, 0, 0);
    ir_qld(f, IR_I64, X.r[1], X.r[0], IR_MO_32);
    ir_op2i(f, IR_ADD, IR_I64, a, X.r[3], 0xffe);
    ir_qld(f, IR_I64, X.r[2], a, IR_MO_32 | IR_MO_SIGN);
    ir_op2i(f, IR_ADD, IR_I64, a, X.r[3], 0x1000);
    ir_qld(f, IR_I64, X.r[4], a, IR_MO_16 | IR_MO_MMU(1));
    ir_qst(f, IR_I64, X.r[6], X.r[0], IR_MO_64);
    ir_exit_tb(f, IR_EXIT_FRONTEND);
}

Test(x64_tb, tlb_misses_take_the_slow_path)
{
    x_setup(TCG_BACKEND_JIT);
    X.build = build_miss;
    X.env.r[0] = 0x80000;
    X.env.r[3] = 0x10000;
    X.env.r[6] = 0x1122334455667788ull;
    log_set_mask(LOG_STATS); /* the stubs count themselves */
    cr_assert_eq(tcg_exec(X.cpu), TCG_EXEC_FRONTEND);
    log_set_mask(0);
    cr_assert_eq(tcg_stats(X.s)->slow_paths, 4);
    cr_assert_eq(X.ld_slow_calls, 3);
    cr_assert_eq(X.st_slow_calls, 1);
    cr_assert_eq(X.env.r[1], 0x80000 ^ IR_MO_32);
    /* the slow path's value is sign-extended from 32 bits */
    cr_assert_eq(X.env.r[2], (uint64_t)(int32_t)(0x10ffe ^ (IR_MO_32 | 4)));
    cr_assert_eq(X.env.r[4], (0x11000 ^ (IR_MO_16 | IR_MO_MMU(1))) & 0xffff,
                 "r4 0x%llx", (unsigned long long)X.env.r[4]);
    cr_assert_eq(X.env.r[5], 0x1122334455667788ull);
    cr_assert_eq(X.env.r[6], 0x1122334455667788ull, "pinned survives");
}

/* many locals live at once: spills to the frame and back */
static void build_pressure(IrFunc *f, uint64_t pc)
{
    IrTemp t[24];
    ir_insn_start(f, pc, 0, 0);
    for (int i = 0; i < 24; i++) {
        t[i] = ir_temp_new(f, IR_I64);
        ir_op2i(f, IR_MUL, IR_I64, t[i], X.r[i & 7], i * 2 + 3);
    }
    for (int i = 0; i < 24; i++) {
        ir_op2(f, IR_XOR, IR_I64, X.r[(i * 5) & 7], X.r[(i * 5) & 7],
               t[23 - i]);
        ir_op2(f, IR_ADD, IR_I64, t[(i + 1) % 24], t[(i + 1) % 24], t[i]);
    }
    ir_op2(f, IR_ADD, IR_I64, X.r[1], X.r[1], t[0]);
    ir_exit_tb(f, IR_EXIT_FRONTEND);
}

static void run_pressure(TcgBackendKind be, uint64_t out[8])
{
    x_setup(be);
    X.build = build_pressure;
    for (int i = 0; i < 8; i++) {
        X.env.r[i] = 0x0123456789abcdefull * (i + 1);
    }
    cr_assert_eq(tcg_exec(X.cpu), TCG_EXEC_FRONTEND);
    memcpy(out, X.env.r, 8 * sizeof(uint64_t));
}

Test(x64_tb, register_pressure_spills_correctly)
{
    uint64_t jit[8], interp[8];
    run_pressure(TCG_BACKEND_JIT, jit);
    x_teardown();
    run_pressure(TCG_BACKEND_INTERP, interp);
    for (int i = 0; i < 8; i++) {
        cr_expect_eq(jit[i], interp[i], "r%d: jit 0x%llx interp 0x%llx", i,
                     (unsigned long long)jit[i], (unsigned long long)interp[i]);
    }
}

/* A (0x1000): r0 += 1; goto B. B (0x2000): r1 += version;
 * if r0 < r2 goto A else leave */
static void build_chain(IrFunc *f, uint64_t pc)
{
    uint32_t l = ir_label_new(f);
    ir_insn_start(f, pc, 0, 0);
    if (pc == 0x1000) {
        ir_op2i(f, IR_ADD, IR_I64, X.r[0], X.r[0], 1);
        ir_goto_tb(f, 0);
        ir_st(f, IR_I64, ir_const(f, IR_I64, 0x2000), offsetof(XEnv, pc),
              IR_MO_64);
        ir_exit_tb(f, IR_EXIT_TB0);
        return;
    }
    ir_op2i(f, IR_ADD, IR_I64, X.r[1], X.r[1], X.version);
    ir_brcond(f, IR_I64, IR_GEU, X.r[0], X.r[2], l);
    ir_goto_tb(f, 1);
    ir_st(f, IR_I64, ir_const(f, IR_I64, 0x1000), offsetof(XEnv, pc), IR_MO_64);
    ir_exit_tb(f, IR_EXIT_TB1);
    ir_set_label(f, l);
    ir_exit_tb(f, IR_EXIT_FRONTEND);
}

Test(x64_tb, chaining_and_unchaining_through_patched_jumps)
{
    TcgStats *st;
    x_setup(TCG_BACKEND_JIT);
    X.build = build_chain;
    X.version = 1;
    X.env.pc = 0x1000;
    X.env.r[2] = 1000;
    cr_assert_eq(tcg_exec(X.cpu), TCG_EXEC_FRONTEND);
    st = tcg_stats(X.s);
    cr_assert_eq(X.env.r[0], 1000);
    cr_assert_eq(X.env.r[1], 1000);
    cr_assert_eq(st->chains, 2);
    cr_assert_eq(st->exits[IR_EXIT_TB0] + st->exits[IR_EXIT_TB1], 2,
                 "after chaining, no more dispatcher round trips");
    /* B is replaced: A's jump must go back to the dispatcher */
    X.version = 100;
    cr_assert_geq(tcg_invalidate_phys_page(X.s, 0x2000), 1);
    cr_assert_geq(st->unchains, 1);
    X.env.pc = 0x1000;
    X.env.r[2] = 1010;
    cr_assert_eq(tcg_exec(X.cpu), TCG_EXEC_FRONTEND);
    cr_assert_eq(X.env.r[0], 1010);
    cr_assert_eq(X.env.r[1], 1000 + 10 * 100);
}

/* exception in a slow path: state of insn 2, globals written back */
static void build_raise(IrFunc *f, uint64_t pc)
{
    IrTemp t = ir_temp_new(f, IR_I64);
    ir_insn_start(f, pc, 11, 0);
    ir_movi(f, IR_I64, X.r[1], 0x1111); /* cached global, dirty */
    ir_movi(f, IR_I64, X.r[6], 0x6666); /* pinned global */
    ir_insn_start(f, pc + 4, 22, 0);
    ir_op2i(f, IR_ADD, IR_I64, t, X.r[0], 0);
    ir_qld(f, IR_I64, X.r[2], t, IR_MO_64);
    ir_insn_start(f, pc + 8, 33, 0);
    ir_movi(f, IR_I64, X.r[3], 0x3333);
    ir_exit_tb(f, IR_EXIT_FRONTEND);
}

Test(x64_tb, slow_path_exception_restores_insn_state)
{
    x_setup(TCG_BACKEND_JIT);
    X.build = build_raise;
    X.env.pc = 0x4000;
    X.env.r[0] = 0x90000; /* miss */
    X.raise_in_slow = true;
    cr_assert_eq(tcg_exec(X.cpu), TCG_EXEC_EXCEPTION);
    cr_assert_eq(X.env.restored, 1);
    cr_assert_eq(X.env.words[0], 0x4004);
    cr_assert_eq(X.env.words[1], 22);
    cr_assert_eq(X.env.r[1], 0x1111);
    cr_assert_eq(X.env.r[6], 0x6666);
    cr_assert_eq(X.env.r[3], 0, "insn 3 never ran");
    /* the same block without the fault runs to the end */
    X.raise_in_slow = false;
    cr_assert_eq(tcg_exec(X.cpu), TCG_EXEC_FRONTEND);
    cr_assert_eq(X.env.r[2], 0x90000 ^ IR_MO_64);
    cr_assert_eq(X.env.r[3], 0x3333);
}

static uint64_t helper_raise(void *env, uint64_t a)
{
    if (a == 0) {
        tcg_exit_to_dispatcher((uintptr_t)__builtin_return_address(0));
    }
    return ((XEnv *)env)->r[1] * a; /* reads the written-back global */
}

static const IrHelper h_raise = {
    .name = "raise",
    .fn = (void *)helper_raise,
    .nargs = 1,
    .ret = IRH_RET_I64,
    .arg_type = {IR_I64},
    .flags = IRH_ENV | IRH_RAISE | IRH_RD_GLOB,
};

static void build_helper(IrFunc *f, uint64_t pc)
{
    IrTemp arg = X.r[0];
    ir_insn_start(f, pc, 1, 0);
    ir_op2i(f, IR_ADD, IR_I64, X.r[1], X.r[1], 5);
    ir_insn_start(f, pc + 1, 2, 0);
    ir_call(f, &h_raise, X.r[2], &arg);
    ir_insn_start(f, pc + 2, 3, 0);
    ir_op2i(f, IR_ADD, IR_I64, X.r[7], X.r[2], 1);
    ir_exit_tb(f, IR_EXIT_FRONTEND);
}

Test(x64_tb, helper_exception_and_global_effects)
{
    x_setup(TCG_BACKEND_JIT);
    X.build = build_helper;
    X.env.pc = 0x5000;
    X.env.r[0] = 3;
    X.env.r[1] = 10;
    cr_assert_eq(tcg_exec(X.cpu), TCG_EXEC_FRONTEND);
    cr_assert_eq(X.env.r[2], 45);
    cr_assert_eq(X.env.r[7], 46);
    X.env.r[0] = 0;
    cr_assert_eq(tcg_exec(X.cpu), TCG_EXEC_EXCEPTION);
    cr_assert_eq(X.env.words[1], 2);
    cr_assert_eq(X.env.r[1], 20);
}

/* A (0x1000): r0 += 1; goto_ptr r3. B (0x3000): r1 += 1; loop to A */
static void build_ptr(IrFunc *f, uint64_t pc)
{
    uint32_t l = ir_label_new(f);
    ir_insn_start(f, pc, 0, 0);
    if (pc == 0x1000) {
        ir_op2i(f, IR_ADD, IR_I64, X.r[0], X.r[0], 1);
        ir_st(f, IR_I64, X.r[3], offsetof(XEnv, pc), IR_MO_64);
        ir_goto_ptr(f, X.r[3]);
        return;
    }
    ir_op2i(f, IR_ADD, IR_I64, X.r[1], X.r[1], 1);
    ir_brcond(f, IR_I64, IR_GEU, X.r[0], X.r[2], l);
    ir_goto_tb(f, 0);
    ir_st(f, IR_I64, ir_const(f, IR_I64, 0x1000), offsetof(XEnv, pc), IR_MO_64);
    ir_exit_tb(f, IR_EXIT_TB0);
    ir_set_label(f, l);
    ir_exit_tb(f, IR_EXIT_FRONTEND);
}

Test(x64_tb, goto_ptr_probes_the_jump_cache_inline)
{
    TcgStats *st;
    x_setup(TCG_BACKEND_JIT);
    X.build = build_ptr;
    X.env.pc = 0x1000;
    X.env.r[2] = 100;
    X.env.r[3] = 0x3000;
    log_set_mask(LOG_STATS);
    cr_assert_eq(tcg_exec(X.cpu), TCG_EXEC_FRONTEND);
    log_set_mask(0);
    st = tcg_stats(X.s);
    cr_assert_eq(st->jc_inline_hit, 99);
    cr_assert_eq(X.env.r[0], 100);
    cr_assert_eq(X.env.r[1], 100);
    cr_assert_eq(st->exits[IR_EXIT_LOOKUP], 1, "only the first probe misses");
    cr_assert_eq(st->miss, 2);
    /* a different target pc misses the probe and is looked up */
    X.env.r[3] = 0x3000 + TCG_JC_SIZE * 2; /* new target: one miss */
    X.env.pc = 0x1000;
    X.env.r[2] = 102;
    cr_assert_eq(tcg_exec(X.cpu), TCG_EXEC_FRONTEND);
    cr_assert_eq(X.env.r[1], 102);
    cr_assert_eq(st->exits[IR_EXIT_LOOKUP], 2);
}
