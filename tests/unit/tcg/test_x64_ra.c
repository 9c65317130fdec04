/*
 * tests/unit/tcg/test_x64_ra.c: the x86-64 JIT's register allocation across
 * labels, branches and calls.
 *
 * Each block runs on the JIT and on the interpreter (same results), and the
 * JIT's main line (the code before the exit-request stub, i.e. without the
 * out-of-line slow paths) is disassembled with capstone to check what the
 * allocator promises: values stay in registers across forward branches and
 * back edges (no frame slot traffic), a cached global is not written back
 * on a load's fast path nor before a helper that does not read globals, and
 * a setcond consumed by a brcond becomes a plain jcc.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "config.h"
#include "tcg/backend.h"
#include "tcg/tb.h"
#include "tcg/tcg.h"
#include <stdlib.h>

#ifdef CONFIG_CAPSTONE
#include <capstone/capstone.h>

const TcgBackend *const x64_ra_backend = &tcg_backend_x64;

typedef struct REnv {
    int32_t exit_request;
    int32_t pad;
    TcgJcRef jc;
    TlbFast tlb[1];
    uint64_t pc;
    uint64_t r[8]; /* r4 pinned to r12 (callee-saved), r6/r7 to rdi/rsi */
} REnv;

typedef void RBuildFn(IrFunc *f);

static struct {
    TcgCtx *s;
    TcgCpu *cpu;
    REnv env;
    TlbEntry tlb[16];
    uint8_t ram[4096] __attribute__((aligned(4096)));
    IrTemp r[8];
    RBuildFn *build;
    int ld_slow_calls;
} R;

static void r_get_key(void *env, TbKey *key)
{
    key->pc = ((REnv *)env)->pc;
}

static uint64_t r_code_phys(void *env, const TbKey *key)
{
    return key->pc;
}

static void r_translate(void *env, IrFunc *f, TcgTbDesc *desc)
{
    ir_insn_start(f, desc->key.pc, 0, 0);
    R.build(f);
    desc->size = 4;
    desc->icount = 1;
}

static void r_restore(void *env, const uint64_t *words)
{
}

static uint64_t r_ld_slow(void *env, uint64_t va, uint32_t mo, uintptr_t ra)
{
    R.ld_slow_calls++;
    return va;
}

static void r_st_slow(void *env, uint64_t va, uint64_t v, uint32_t mo,
                      uintptr_t ra)
{
}

static void r_setup(TcgBackendKind be, RBuildFn *build)
{
    static const char *const names[8] = {"r0", "r1", "r2", "r3",
                                         "r4", "r5", "r6", "r7"};
    static const int pins[8] = {-1, -1, -1, -1, 12, -1, 7, 6};
    TcgConfig cfg = {
        .backend = be,
        .code_size = 1 << 20,
        .exit_request_off = offsetof(REnv, exit_request),
        .tlb_fast_off = offsetof(REnv, tlb),
        .nb_mmu = 1,
        .jc_off = offsetof(REnv, jc),
        .ld_slow = r_ld_slow,
        .st_slow = r_st_slow,
        .fe = {r_get_key, r_code_phys, r_translate, r_restore},
    };
    memset(&R, 0, sizeof(R));
    R.s = tcg_new(&cfg);
    for (int i = 0; i < 8; i++) {
        R.r[i] = tcg_global_new(R.s, IR_I64, offsetof(REnv, r[i]), names[i],
                                pins[i]);
    }
    memset(R.tlb, 0xff, sizeof(R.tlb));
    R.tlb[0].addr_read = R.tlb[0].addr_write = 0x10000;
    R.tlb[0].addend = (uintptr_t)R.ram - 0x10000;
    R.env.tlb[0].mask = 0; /* every address uses entry 0 */
    R.env.tlb[0].table = R.tlb;
    R.env.pc = 0x1000;
    R.build = build;
    R.cpu = tcg_cpu_new(R.s, &R.env);
}

static void r_teardown(void)
{
    tcg_cpu_free(R.cpu);
    tcg_free(R.s);
}

/* run build on both backends from regs `in`; the JIT's r[] in out */
static void r_run_both(RBuildFn *build, const uint64_t in[8], uint64_t out[8])
{
    uint64_t interp[8];
    for (int be = 0; be < 2; be++) {
        r_setup(be ? TCG_BACKEND_INTERP : TCG_BACKEND_JIT, build);
        memcpy(R.env.r, in, sizeof(R.env.r));
        memcpy(R.ram, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
        cr_assert_eq(tcg_exec(R.cpu), TCG_EXEC_FRONTEND);
        memcpy(be ? interp : out, R.env.r, sizeof(interp));
        r_teardown();
    }
    for (int i = 0; i < 8; i++) {
        cr_expect_eq(out[i], interp[i], "r%d: jit 0x%llx interp 0x%llx", i,
                     (unsigned long long)out[i], (unsigned long long)interp[i]);
    }
}

/* the main line of the JIT's TB for build, as capstone instructions */
typedef struct RCode {
    csh cs;
    cs_insn *insn;
    size_t n, ndis;
} RCode;

/* "[rbp + 0x..]": the env operand of global r[i] as capstone prints it */
static const char *r_env(int i)
{
    static char buf[8][32];
    snprintf(buf[i], sizeof(buf[i]), "[rbp + 0x%zx]",
             offsetof(REnv, r[0]) + 8 * (size_t)i);
    return buf[i];
}

static void r_disas(RBuildFn *build, const uint64_t in[8], RCode *c)
{
    TbKey key = {.pc = 0x1000, .phys_pc = 0x1000};
    const Tb *tb;
    uint64_t req;
    r_setup(TCG_BACKEND_JIT, build);
    memcpy(R.env.r, in, sizeof(R.env.r));
    cr_assert_eq(tcg_exec(R.cpu), TCG_EXEC_FRONTEND);
    tb = tcg_tb_lookup(R.s, &key);
    cr_assert_not_null(tb);
    cr_assert_eq(cs_open(CS_ARCH_X86, CS_MODE_64, &c->cs), CS_ERR_OK);
    c->n = cs_disasm(c->cs, tb->code, tb->code_size, (uintptr_t)tb->code, 0,
                     &c->insn);
    c->ndis = c->n;
    cr_assert_gt(c->n, 2);
    /* cmp [exit_request], 0; jl req: the stubs start at req */
    cr_assert_str_eq(c->insn[1].mnemonic, "jl");
    req = strtoull(c->insn[1].op_str, NULL, 0);
    while (c->n > 0 && c->insn[c->n - 1].address >= req) {
        c->n--;
    }
    r_teardown();
}

static void r_code_free(RCode *c)
{
    cs_free(c->insn, c->ndis);
    cs_close(&c->cs);
}

/* main-line instructions whose mnemonic and operands contain both */
static int r_count(const RCode *c, const char *mn, const char *ops, size_t from,
                   size_t to)
{
    int n = 0;
    for (size_t i = from; i < to && i < c->n; i++) {
        if ((!mn || !strcmp(c->insn[i].mnemonic, mn)) &&
            (!ops || strstr(c->insn[i].op_str, ops))) {
            n++;
        }
    }
    return n;
}

static size_t r_find(const RCode *c, const char *mn)
{
    for (size_t i = 0; i < c->n; i++) {
        if (!strcmp(c->insn[i].mnemonic, mn)) {
            return i;
        }
    }
    return c->n;
}

/*
 * acc = r0; c = r1; loop: if (c & 1) acc ^= c * 3 (a forward branch around
 * it); acc += c; c -= 1; if (c != 0) goto loop (a back edge); r2 = acc
 */
static void build_loop(IrFunc *f)
{
    IrTemp acc = ir_temp_new(f, IR_I64), c = ir_temp_new(f, IR_I64);
    IrTemp t = ir_temp_new(f, IR_I64);
    uint32_t loop = ir_label_new(f), skip = ir_label_new(f);
    ir_mov(f, IR_I64, acc, R.r[0]);
    ir_mov(f, IR_I64, c, R.r[1]);
    ir_set_label(f, loop);
    ir_brcond(f, IR_I64, IR_TSTEQ, c, ir_const(f, IR_I64, 1), skip);
    ir_op2i(f, IR_MUL, IR_I64, t, c, 3);
    ir_op2(f, IR_XOR, IR_I64, acc, acc, t);
    ir_set_label(f, skip);
    ir_op2(f, IR_ADD, IR_I64, acc, acc, c);
    ir_op2i(f, IR_SUB, IR_I64, c, c, 1);
    ir_brcond(f, IR_I64, IR_NE, c, ir_const(f, IR_I64, 0), loop);
    ir_mov(f, IR_I64, R.r[2], acc);
    ir_exit_tb(f, IR_EXIT_FRONTEND);
}

Test(x64_ra, loop_values_keep_their_registers, .timeout = 20)
{
    uint64_t in[8] = {0x1234, 1000}, out[8], acc = 0x1234;
    RCode code;
    for (uint64_t c = 1000; c; c--) {
        acc = ((c & 1) ? acc ^ (c * 3) : acc) + c;
    }
    r_run_both(build_loop, in, out);
    cr_assert_eq(out[2], acc);
    r_disas(build_loop, in, &code);
    /* nothing goes to the frame: acc, c and t stay in registers */
    cr_expect_eq(r_count(&code, NULL, "rsp", 0, code.n), 0);
    /* r0 and r1 are read once, before the loop */
    cr_expect_eq(r_count(&code, "mov", r_env(0), 0, code.n), 1);
    cr_expect_eq(r_count(&code, "mov", r_env(1), 0, code.n), 1);
    r_code_free(&code);
}

/* the back edge arrives with another register state than the loop head's:
 * the reconciling moves run only when the branch is taken */
static void build_reconcile(IrFunc *f)
{
    IrTemp a = ir_temp_new(f, IR_I64), c = ir_temp_new(f, IR_I64);
    IrTemp b[10];
    uint32_t loop = ir_label_new(f);
    ir_mov(f, IR_I64, a, R.r[0]);
    ir_mov(f, IR_I64, c, R.r[1]);
    ir_set_label(f, loop);
    for (int i = 0; i < 10; i++) { /* more values than free registers */
        b[i] = ir_temp_new(f, IR_I64);
        ir_op2i(f, IR_MUL, IR_I64, b[i], a, 2 * i + 1);
    }
    for (int i = 0; i < 10; i++) {
        ir_op2(f, IR_XOR, IR_I64, a, a, b[9 - i]);
        ir_op2i(f, IR_ROTL, IR_I64, a, a, 7);
    }
    ir_op2(f, IR_ADD, IR_I64, R.r[3], R.r[3], a);
    ir_op2i(f, IR_SUB, IR_I64, c, c, 1);
    ir_brcond(f, IR_I64, IR_NE, c, ir_const(f, IR_I64, 0), loop);
    ir_mov(f, IR_I64, R.r[2], a);
    ir_exit_tb(f, IR_EXIT_FRONTEND);
}

Test(x64_ra, back_edge_reconciles_register_state, .timeout = 20)
{
    uint64_t in[8] = {0x9e3779b97f4a7c15ull, 50, 0, 7}, out[8];
    uint64_t a = in[0], s = 7;
    for (int n = 0; n < 50; n++) {
        uint64_t b[10];
        for (int i = 0; i < 10; i++) {
            b[i] = a * (2 * i + 1);
        }
        for (int i = 0; i < 10; i++) {
            a ^= b[9 - i];
            a = a << 7 | a >> 57;
        }
        s += a;
    }
    r_run_both(build_reconcile, in, out);
    cr_assert_eq(out[2], a);
    cr_assert_eq(out[3], s);
}

/* r0 += 1 (cached, dirty); r5 = [r1]; r0 += r5; r4 += 1 (pinned) */
static void build_load(IrFunc *f)
{
    ir_op2i(f, IR_ADD, IR_I64, R.r[0], R.r[0], 1);
    ir_op2i(f, IR_ADD, IR_I64, R.r[4], R.r[4], 1);
    ir_qld(f, IR_I64, R.r[5], R.r[1], IR_MO_64);
    ir_op2(f, IR_ADD, IR_I64, R.r[0], R.r[0], R.r[5]);
    ir_exit_tb(f, IR_EXIT_FRONTEND);
}

Test(x64_ra, globals_are_not_stored_on_the_load_fast_path, .timeout = 20)
{
    uint64_t in[8] = {5, 0x10000, 0, 0, 40}, out[8];
    RCode code;
    r_run_both(build_load, in, out);
    cr_assert_eq(out[5], 0x8877665544332211ull);
    cr_assert_eq(out[0], 6 + 0x8877665544332211ull);
    cr_assert_eq(out[4], 41);
    in[1] = 0x20000; /* a TLB miss: the stub writes r0 back first */
    r_run_both(build_load, in, out);
    cr_assert_eq(out[5], 0x20000);
    r_disas(build_load, in, &code);
    /* r0 is written once, at the exit; r4 (pinned) never in the TB */
    cr_expect_eq(r_count(&code, "mov", r_env(0), 0, code.n), 2, "load, exit");
    cr_expect_eq(r_count(&code, "mov", r_env(4), 0, code.n), 0);
    r_code_free(&code);
}

static uint64_t helper_pure(uint64_t a, uint64_t b)
{
    return a * 1000 + b;
}

static const IrHelper h_pure = {
    .name = "pure",
    .fn = (void *)helper_pure,
    .nargs = 2,
    .ret = IRH_RET_I64,
    .arg_type = {IR_I64, IR_I64},
};

static const IrHelper h_reads = {
    .name = "reads",
    .fn = (void *)helper_pure,
    .nargs = 2,
    .ret = IRH_RET_I64,
    .arg_type = {IR_I64, IR_I64},
    .flags = IRH_RD_GLOB,
};

/* r0 += 1; r5 = h(r7, r6) (rsi, rdi: the arguments swap registers) */
static void r_build_call(IrFunc *f, const IrHelper *h)
{
    IrTemp args[2] = {R.r[7], R.r[6]};
    ir_op2i(f, IR_ADD, IR_I64, R.r[0], R.r[0], 1);
    ir_op2i(f, IR_ADD, IR_I64, R.r[4], R.r[4], 1);
    ir_call(f, h, R.r[5], args);
    ir_op2i(f, IR_ADD, IR_I64, R.r[0], R.r[0], 1);
    ir_exit_tb(f, IR_EXIT_FRONTEND);
}

static void build_call_pure(IrFunc *f)
{
    r_build_call(f, &h_pure);
}

static void build_call_reads(IrFunc *f)
{
    r_build_call(f, &h_reads);
}

Test(x64_ra, helper_without_global_access_gets_no_write_back, .timeout = 20)
{
    uint64_t in[8] = {1, 0, 0, 0, 9, 0, 22, 33}, out[8];
    RCode code;
    size_t call;
    r_run_both(build_call_pure, in, out);
    cr_assert_eq(out[5], 33 * 1000 + 22, "the argument cycle is resolved");
    cr_assert_eq(out[0], 3);
    r_run_both(build_call_reads, in, out);
    cr_assert_eq(out[5], 33 * 1000 + 22);
    r_disas(build_call_pure, in, &code);
    call = r_find(&code, "call");
    cr_assert_lt(call, code.n);
    cr_expect_eq(r_count(&code, "mov", r_env(0), 0, call), 1, "load only");
    cr_expect_eq(r_count(&code, "mov", r_env(4), 0, call), 0,
                 "r4 lives in callee-saved r12");
    r_code_free(&code);
    r_disas(build_call_reads, in, &code);
    call = r_find(&code, "call");
    cr_expect_eq(r_count(&code, "mov", r_env(0), 0, call), 2,
                 "load, then written back for a helper reading globals");
    cr_expect_eq(r_count(&code, "mov", r_env(4), 0, call), 1);
    r_code_free(&code);
}

/* r2 = r0 <u r1 ? r0 : r1 through setcond + brcond */
static void build_setcond_br(IrFunc *f)
{
    IrTemp t = ir_temp_new(f, IR_I64);
    uint32_t l = ir_label_new(f);
    ir_mov(f, IR_I64, R.r[2], R.r[1]);
    ir_setcond(f, IR_I64, IR_LTU, t, R.r[0], R.r[1]);
    ir_brcond(f, IR_I64, IR_EQ, t, ir_const(f, IR_I64, 0), l);
    ir_mov(f, IR_I64, R.r[2], R.r[0]);
    ir_set_label(f, l);
    ir_exit_tb(f, IR_EXIT_FRONTEND);
}

Test(x64_ra, setcond_feeding_brcond_is_one_jcc, .timeout = 20)
{
    uint64_t in[8] = {5, 9}, out[8];
    RCode code;
    r_run_both(build_setcond_br, in, out);
    cr_assert_eq(out[2], 5);
    in[0] = 10;
    r_run_both(build_setcond_br, in, out);
    cr_assert_eq(out[2], 9);
    in[0] = 9;
    r_run_both(build_setcond_br, in, out);
    cr_assert_eq(out[2], 9);
    r_disas(build_setcond_br, in, &code);
    cr_expect_eq(r_count(&code, "setb", NULL, 0, code.n), 0);
    cr_expect_eq(r_count(&code, "jae", NULL, 0, code.n), 1);
    r_code_free(&code);
}
#endif
