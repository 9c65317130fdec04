/*
 * tests/unit/tcg/test_interp.c: the IR interpreter backend.
 *
 * Every row of op_cases.h runs through the interpreter with register and
 * immediate operands; then guest memory (TLB hit, miss to the slow path,
 * page-crossing miss, sign extension, atomics), env loads/stores, helper
 * calls and branches inside a block are checked on small IR functions.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "op_cases.h"

static void run_all_cases(TcgBackendKind be, bool imm)
{
    OpHarness hs;
    op_harness_init(&hs, be);
    for (size_t i = 0; i < ARRAY_LEN(op_cases); i++) {
        const OpCase *c = &op_cases[i];
        uint64_t out[2] = {0};
        bool ok = op_case_run(&hs, c, imm, out);
        cr_expect(ok, "case %zu (%s) did not exit", i, ir_op_name(c->opc));
        unsigned nout = c->opc == IR_MULS2 || c->opc == IR_MULU2 ? 2 : 1;
        for (unsigned k = 0; k < nout; k++) {
            cr_expect_eq(out[k], c->out[k],
                         "case %zu %s_%s%s in 0x%llx 0x%llx: out%u 0x%llx, "
                         "expected 0x%llx",
                         i, ir_op_name(c->opc), c->type ? "i64" : "i32",
                         imm ? " (imm)" : "", (unsigned long long)c->in[0],
                         (unsigned long long)c->in[1], k,
                         (unsigned long long)out[k],
                         (unsigned long long)c->out[k]);
        }
    }
    op_harness_fini(&hs);
}

Test(interp, op_cases_regs)
{
    run_all_cases(TCG_BACKEND_INTERP, false);
}

Test(interp, op_cases_imm)
{
    run_all_cases(TCG_BACKEND_INTERP, true);
}

/* ir_eval (the optimizer's folding) agrees with the table too */
Test(interp, ir_eval_matches_table)
{
    for (size_t i = 0; i < ARRAY_LEN(op_cases); i++) {
        const OpCase *c = &op_cases[i];
        uint64_t out[2] = {0};
        if (c->opc == IR_BRCOND) {
            out[0] =
                ir_cond_eval((IrCond)c->con[0], c->type, c->in[0], c->in[1]);
        } else {
            cr_assert(ir_eval(c->opc, c->type, c->in, c->con, out));
        }
        cr_expect_eq(out[0], c->out[0], "case %zu %s", i, ir_op_name(c->opc));
    }
}

/* a custom-IR harness: guest memory and helpers */

typedef struct MemEnv {
    int32_t exit_request;
    int32_t pad;
    TcgJcRef jc;
    TlbFast tlb[2];
    uint64_t pc;
    uint64_t r[4];
    uint32_t w;
    uint32_t slow_ld, slow_st;
    uint64_t last_slow_addr;
    uint32_t last_slow_memop;
} MemEnv;

typedef void MemBuild(IrFunc *f);

static struct {
    TcgCtx *s;
    TcgCpu *cpu;
    MemEnv env;
    TlbEntry table[2][16];
    uint8_t ram[2 * 4096];
    IrTemp r[4], w;
    MemBuild *build;
} mh;

static void mh_get_key(void *env, TbKey *key)
{
    key->pc = ((MemEnv *)env)->pc;
}

static uint64_t mh_code_phys(void *env, const TbKey *key)
{
    return key->pc;
}

/* slow path: guest "MMIO" returns a pattern of the address */
static uint64_t mh_ld_slow(void *env, uint64_t va, uint32_t mo, uintptr_t ra)
{
    MemEnv *e = env;
    e->slow_ld++;
    e->last_slow_addr = va;
    e->last_slow_memop = mo;
    return 0xa0a1a2a3a4a5a6a7ull & MASK(8u << (mo & IR_MO_SIZE));
}

static void mh_st_slow(void *env, uint64_t va, uint64_t v, uint32_t mo,
                       uintptr_t ra)
{
    MemEnv *e = env;
    e->slow_st++;
    e->last_slow_addr = va;
    e->r[3] = v;
}

static void mh_translate(void *env, IrFunc *f, TcgTbDesc *d)
{
    ir_insn_start(f, d->key.pc, 0, 0);
    mh.build(f);
    ir_exit_tb(f, IR_EXIT_FRONTEND);
    d->size = 1;
    d->icount = 1;
}

/* guest page 0x10000 -> ram[0..4095], 0x11000 -> ram[4096..]; mmu 0 */
static void mh_map(uint64_t va, uint8_t *host, bool writable)
{
    TlbEntry *e = tcg_tlb_entry(&mh.env.tlb[0], va);
    e->addr_read = va & TCG_PAGE_MASK;
    e->addr_write = writable ? va & TCG_PAGE_MASK : ~0ull;
    e->addend = (uintptr_t)host - (va & TCG_PAGE_MASK);
}

static void mh_setup(void)
{
    static const char *const names[4] = {"r0", "r1", "r2", "r3"};
    memset(&mh, 0, sizeof(mh));
    TcgConfig cfg = {
        .backend = TCG_BACKEND_INTERP,
        .code_size = 1 << 20,
        .exit_request_off = offsetof(MemEnv, exit_request),
        .tlb_fast_off = offsetof(MemEnv, tlb),
        .nb_mmu = 2,
        .jc_off = offsetof(MemEnv, jc),
        .ld_slow = mh_ld_slow,
        .st_slow = mh_st_slow,
        .fe = {mh_get_key, mh_code_phys, mh_translate, NULL},
    };
    mh.s = tcg_new(&cfg);
    for (int i = 0; i < 4; i++) {
        mh.r[i] = tcg_global_new(mh.s, IR_I64, (int32_t)offsetof(MemEnv, r[i]),
                                 names[i], -1);
    }
    mh.w = tcg_global_new(mh.s, IR_I32, offsetof(MemEnv, w), "w", -1);
    for (int m = 0; m < 2; m++) {
        memset(mh.table[m], 0xff, sizeof(mh.table[m]));
        mh.env.tlb[m].mask = (16 - 1) * sizeof(TlbEntry);
        mh.env.tlb[m].table = mh.table[m];
    }
    mh_map(0x10000, mh.ram, true);
    mh_map(0x11000, mh.ram + 4096, false);
    mh.cpu = tcg_cpu_new(mh.s, &mh.env);
}

static void mh_teardown(void)
{
    tcg_free(mh.s);
}

static void mh_run(MemBuild *b)
{
    mh.build = b;
    tcg_flush(mh.s, TCG_FLUSH_USER);
    cr_assert_eq(tcg_exec(mh.cpu), TCG_EXEC_FRONTEND);
}

static void b_ld32s(IrFunc *f)
{
    ir_qld(f, IR_I64, mh.r[1], mh.r[0], IR_MO_32 | IR_MO_SIGN);
}

TestSuite(interp_mem, .init = mh_setup, .fini = mh_teardown);

Test(interp_mem, load_hit_sign_extends)
{
    uint32_t v = 0x80000001;
    memcpy(mh.ram + 0x10, &v, 4);
    mh.env.r[0] = 0x10010;
    mh_run(b_ld32s);
    cr_expect_eq(mh.env.r[1], 0xffffffff80000001ull);
    cr_expect_eq(mh.env.slow_ld, 0);
}

Test(interp_mem, unaligned_within_page_hits)
{
    uint32_t v = 0x7eadbeef;
    memcpy(mh.ram + 0x13, &v, 4);
    mh.env.r[0] = 0x10013;
    mh_run(b_ld32s);
    cr_expect_eq(mh.env.r[1], 0x7eadbeef);
    cr_expect_eq(mh.env.slow_ld, 0);
}

Test(interp_mem, page_crossing_goes_slow)
{
    mh.env.r[0] = 0x10ffe;
    mh_run(b_ld32s);
    cr_expect_eq(mh.env.slow_ld, 1);
    cr_expect_eq(mh.env.last_slow_addr, 0x10ffe);
    cr_expect_eq(mh.env.last_slow_memop, IR_MO_32 | IR_MO_SIGN);
    cr_expect_eq(mh.env.r[1], 0xffffffffa4a5a6a7ull);
}

static void b_st16(IrFunc *f)
{
    ir_qst(f, IR_I64, mh.r[1], mh.r[0], IR_MO_16);
}

Test(interp_mem, store_hit_and_readonly_miss)
{
    mh.env.r[0] = 0x10100;
    mh.env.r[1] = 0x12345678;
    mh_run(b_st16);
    cr_expect_eq(mh.ram[0x100], 0x78);
    cr_expect_eq(mh.ram[0x101], 0x56);
    cr_expect_eq(mh.ram[0x102], 0);
    cr_expect_eq(mh.env.slow_st, 0);
    mh.env.r[0] = 0x11100; /* mapped read-only: the write tag misses */
    mh_run(b_st16);
    cr_expect_eq(mh.env.slow_st, 1);
    cr_expect_eq(mh.env.r[3], 0x5678);
    cr_expect_eq(mh.ram[4096 + 0x100], 0);
}

static void b_ld_mmu1(IrFunc *f)
{
    ir_qld(f, IR_I64, mh.r[1], mh.r[0], IR_MO_8 | IR_MO_MMU(1));
}

Test(interp_mem, mmu_index_selects_table)
{
    mh.env.r[0] = 0x10010;
    mh_run(b_ld_mmu1);
    cr_expect_eq(mh.env.slow_ld, 1);
    cr_expect_eq(mh.env.r[1], 0xa7);
}

static void b_cmpxchg(IrFunc *f)
{
    ir_atomic_cmpxchg(f, IR_I64, mh.r[1], mh.r[0], mh.r[2], mh.r[3], IR_MO_64);
}

Test(interp_mem, cmpxchg)
{
    uint64_t v = 5;
    memcpy(mh.ram + 0x40, &v, 8);
    mh.env.r[0] = 0x10040;
    mh.env.r[2] = 4;
    mh.env.r[3] = 9;
    mh_run(b_cmpxchg);
    memcpy(&v, mh.ram + 0x40, 8);
    cr_expect_eq(mh.env.r[1], 5);
    cr_expect_eq(v, 5, "compare failed: memory unchanged");
    mh.env.r[2] = 5;
    mh_run(b_cmpxchg);
    memcpy(&v, mh.ram + 0x40, 8);
    cr_expect_eq(v, 9);
}

static void b_fetch_add8(IrFunc *f)
{
    ir_atomic_rmw(f, IR_ATOMIC_ADD, IR_I64, mh.r[1], mh.r[0], mh.r[2],
                  IR_MO_8 | IR_MO_SIGN);
}

Test(interp_mem, fetch_add_byte_wraps)
{
    mh.ram[0x50] = 0xff;
    mh.env.r[0] = 0x10050;
    mh.env.r[2] = 2;
    mh_run(b_fetch_add8);
    cr_expect_eq(mh.ram[0x50], 1);
    cr_expect_eq(mh.env.r[1], ~0ull, "old value sign-extended");
}

static void b_env_ldst(IrFunc *f)
{
    IrTemp t = ir_temp_new(f, IR_I64);
    ir_ld(f, IR_I64, t, offsetof(MemEnv, r[0]) + 1, IR_MO_8 | IR_MO_SIGN);
    ir_st(f, IR_I64, t, offsetof(MemEnv, r[1]), IR_MO_16);
}

Test(interp_mem, env_load_store_sizes)
{
    mh.env.r[0] = 0x8000;
    mh.env.r[1] = 0x1111111111111111ull;
    mh_run(b_env_ldst);
    cr_expect_eq(mh.env.r[1], 0x111111111111ff80ull);
}

static uint64_t h_sum3(void *env, uint64_t a, uint32_t b, uint64_t c)
{
    return ((MemEnv *)env)->pc + a + b + c;
}

static const IrHelper helper_sum3 = {
    .name = "sum3",
    .fn = (void *)h_sum3,
    .nargs = 3,
    .ret = IRH_RET_I64,
    .arg_type = {IR_I64, IR_I32, IR_I64},
    .flags = IRH_ENV | IRH_PURE,
};

static void b_call(IrFunc *f)
{
    IrTemp args[3] = {mh.r[0], mh.w, ir_const(f, IR_I64, 100)};
    ir_call(f, &helper_sum3, mh.r[1], args);
}

Test(interp_mem, helper_call_with_env)
{
    mh.env.pc = 0x1000;
    mh.env.r[0] = 7;
    mh.env.w = 0xffffffff;
    mh_run(b_call);
    cr_expect_eq(mh.env.r[1], 0x1000 + 7 + 0xffffffffull + 100);
    cr_expect_eq(tcg_stats(mh.s)->helper_calls, 1);
}

/* r1 = sum of 1..r0 with a backward branch inside the block */
static void b_loop(IrFunc *f)
{
    uint32_t top = ir_label_new(f), done = ir_label_new(f);
    IrTemp i = ir_temp_new(f, IR_I64);
    ir_mov(f, IR_I64, i, mh.r[0]);
    ir_movi(f, IR_I64, mh.r[1], 0);
    ir_set_label(f, top);
    ir_brcond(f, IR_I64, IR_EQ, i, ir_const(f, IR_I64, 0), done);
    ir_op2(f, IR_ADD, IR_I64, mh.r[1], mh.r[1], i);
    ir_op2i(f, IR_SUB, IR_I64, i, i, 1);
    ir_br(f, top);
    ir_set_label(f, done);
}

Test(interp_mem, loop_in_block)
{
    mh.env.r[0] = 100;
    mh_run(b_loop);
    cr_expect_eq(mh.env.r[1], 5050);
}
