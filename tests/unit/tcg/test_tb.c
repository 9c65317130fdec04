/*
 * tests/unit/tcg/test_tb.c: the TB cache and the dispatcher, on the
 * interpreter backend, driven by a toy guest front end.
 *
 * The toy guest has 4 registers and 4-byte instructions held in `prog`
 * (physical = virtual address): ADDI, LD (guest memory, always the slow
 * path; addresses >= 0x100000 fault), JMP (goto_tb 0), BNZ (goto_tb 0/1),
 * JR (goto_ptr), CHK (helper that raises if r0 is odd) and HALT (exit
 * to the front end). Tests check lookup, the
 * jump cache, chaining/unchaining bookkeeping, page invalidation of chained
 * blocks, flush on a full buffer and precise state after an exception.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tcg/tb.h"
#include "tcg/tcg.h"

enum { T_ADDI, T_LD, T_JMP, T_BNZ, T_JR, T_HALT, T_CHK };

typedef struct ToyInsn {
    uint8_t op, r, r2;
    int64_t imm;
} ToyInsn;

#define PROG_LEN 8192 /* 32 KiB of guest code: pages 0..7 */
#define FAULT_ADDR 0x100000

typedef struct ToyEnv {
    int32_t exit_request;
    int32_t pad;
    TcgJcRef jc;
    TlbFast tlb[1];
    uint64_t pc;
    uint64_t r[4];
    uint64_t insn_word1; /* set by restore_state */
    uint32_t exc, restores;
} ToyEnv;

static struct {
    TcgCtx *s;
    TcgCpu *cpu;
    ToyEnv env;
    TlbEntry table[1];
    ToyInsn prog[PROG_LEN];
    IrTemp r[4], pc;
    unsigned translations;
} toy;

static void toy_get_key(void *env, TbKey *key)
{
    key->pc = ((ToyEnv *)env)->pc;
}

static uint64_t toy_code_phys(void *env, const TbKey *key)
{
    return key->pc;
}

static void toy_restore(void *env, const uint64_t *words)
{
    ToyEnv *e = env;
    e->pc = words[0];
    e->insn_word1 = words[1];
    e->restores++;
}

static uint64_t toy_ld_slow(void *env, uint64_t va, uint32_t mo, uintptr_t ra)
{
    if (va >= FAULT_ADDR) {
        ((ToyEnv *)env)->exc = 14;
        tcg_exit_to_dispatcher(ra);
    }
    return va * 2;
}

static void toy_st_slow(void *env, uint64_t va, uint64_t v, uint32_t mo,
                        uintptr_t ra)
{
}

/* raises like a guest #GP when v is odd; called with TCG_GETPC() */
static void toy_check(void *env, uint64_t v)
{
    if (v & 1) {
        ((ToyEnv *)env)->exc = 13;
        tcg_exit_to_dispatcher(TCG_GETPC());
    }
}

static const IrHelper toy_check_helper = {
    .name = "check",
    .fn = (void *)toy_check,
    .nargs = 1,
    .ret = IRH_VOID,
    .arg_type = {IR_I64},
    .flags = IRH_ENV | IRH_RAISE,
};

static void toy_goto(IrFunc *f, unsigned n, uint64_t target)
{
    ir_goto_tb(f, n);
    ir_movi(f, IR_I64, toy.pc, target);
    ir_exit_tb(f, n ? IR_EXIT_TB1 : IR_EXIT_TB0);
}

/* one instruction; returns true if it ended the block */
static bool toy_insn(IrFunc *f, uint64_t pc, const ToyInsn *in)
{
    uint32_t l;
    switch (in->op) {
    case T_ADDI:
        ir_op2i(f, IR_ADD, IR_I64, toy.r[in->r], toy.r[in->r],
                (uint64_t)in->imm);
        return false;
    case T_LD:
        ir_qld(f, IR_I64, toy.r[in->r], toy.r[in->r2], IR_MO_64);
        return false;
    case T_JMP:
        toy_goto(f, 0, (uint64_t)in->imm);
        return true;
    case T_BNZ:
        l = ir_label_new(f);
        ir_brcond(f, IR_I64, IR_NE, toy.r[in->r], ir_const(f, IR_I64, 0), l);
        toy_goto(f, 0, pc + 4);
        ir_set_label(f, l);
        toy_goto(f, 1, (uint64_t)in->imm);
        return true;
    case T_CHK:
        ir_call(f, &toy_check_helper, 0, &toy.r[in->r]);
        return false;
    case T_JR:
        ir_mov(f, IR_I64, toy.pc, toy.r[in->r]);
        ir_goto_ptr(f, toy.r[in->r]);
        return true;
    default:
        ir_movi(f, IR_I64, toy.pc, pc + 4);
        ir_exit_tb(f, IR_EXIT_FRONTEND);
        return true;
    }
}

static void toy_translate(void *env, IrFunc *f, TcgTbDesc *d)
{
    uint64_t start = d->key.pc, pc = start;
    unsigned n = 0;
    toy.translations++;
    for (;;) {
        ir_insn_start(f, pc, n, 0);
        n++;
        if (toy_insn(f, pc, &toy.prog[(pc / 4) % PROG_LEN])) {
            break;
        }
        pc += 4;
        if (n == 16 || (d->max_insns && n >= d->max_insns)) {
            toy_goto(f, 0, pc);
            pc -= 4;
            break;
        }
    }
    d->size = (uint32_t)(pc + 4 - start);
    d->icount = n;
    if ((start ^ (pc + 3)) & TCG_PAGE_MASK) {
        d->phys_page2 = (pc + 3) & TCG_PAGE_MASK;
    }
}

static void toy_init_cfg(size_t code_size, bool perf)
{
    static const char *const names[4] = {"r0", "r1", "r2", "r3"};
    memset(&toy, 0, sizeof(toy));
    TcgConfig cfg = {
        .backend = TCG_BACKEND_INTERP,
        .code_size = code_size,
        .exit_request_off = offsetof(ToyEnv, exit_request),
        .tlb_fast_off = offsetof(ToyEnv, tlb),
        .nb_mmu = 1,
        .jc_off = offsetof(ToyEnv, jc),
        .ld_slow = toy_ld_slow,
        .st_slow = toy_st_slow,
        .fe = {toy_get_key, toy_code_phys, toy_translate, toy_restore},
        .perf_map = perf,
    };
    toy.s = tcg_new(&cfg);
    for (int i = 0; i < 4; i++) {
        toy.r[i] = tcg_global_new(
            toy.s, IR_I64, (int32_t)offsetof(ToyEnv, r[i]), names[i], -1);
    }
    toy.pc = tcg_global_new(toy.s, IR_I64, offsetof(ToyEnv, pc), "pc", -1);
    memset(toy.table, 0xff, sizeof(toy.table));
    toy.env.tlb[0].table = toy.table;
    toy.cpu = tcg_cpu_new(toy.s, &toy.env);
}

static void toy_init(size_t code_size)
{
    toy_init_cfg(code_size, false);
}

static void toy_init_perf(bool perf)
{
    toy_init_cfg(1 << 20, perf);
}

static void toy_setup(void)
{
    toy_init(1 << 20);
}

static void toy_fini(void)
{
    tcg_free(toy.s);
}

static void put(uint64_t pc, uint8_t op, uint8_t r, uint8_t r2, int64_t imm)
{
    toy.prog[pc / 4] = (ToyInsn){op, r, r2, imm};
}

static TcgExecResult run_from(uint64_t pc)
{
    toy.env.pc = pc;
    return tcg_exec(toy.cpu);
}

static Tb *find(uint64_t pc)
{
    TbKey k = {.pc = pc, .phys_pc = pc};
    return tcg_tb_lookup(toy.s, &k);
}

TestSuite(tb, .init = toy_setup, .fini = toy_fini);

/* 0x0: r1 += 1; jmp 0x1000. 0x1000: r1 += 10; halt */
static void prog_two_blocks(void)
{
    put(0x0, T_ADDI, 1, 0, 1);
    put(0x4, T_JMP, 0, 0, 0x1000);
    put(0x1000, T_ADDI, 1, 0, 10);
    put(0x1004, T_HALT, 0, 0, 0);
}

Test(tb, lookup_and_jump_cache)
{
    prog_two_blocks();
    cr_assert_eq(run_from(0), TCG_EXEC_FRONTEND);
    cr_expect_eq(toy.env.r[1], 11);
    cr_expect_eq(toy.env.pc, 0x1008);
    TcgStats *st = tcg_stats(toy.s);
    cr_expect_eq(st->miss, 2);
    cr_expect_eq(toy.translations, 2);
    cr_assert_eq(run_from(0), TCG_EXEC_FRONTEND);
    cr_expect_eq(toy.env.r[1], 22);
    cr_expect_eq(st->miss, 2, "no retranslation");
    cr_expect_eq(st->jc_hit, 1, "block 0 from the jump cache");
    tcg_cpu_jc_flush(toy.cpu);
    cr_assert_eq(run_from(0), TCG_EXEC_FRONTEND);
    cr_expect_eq(st->hash_hit, 1, "after a jc flush: from the hash table");
    cr_expect_eq(st->miss, 2);
}

Test(tb, chaining_bookkeeping)
{
    prog_two_blocks();
    run_from(0);
    Tb *a = find(0), *b = find(0x1000);
    cr_assert(a && b);
    cr_expect_eq(a->jmp_dest[0], b);
    cr_expect_eq(b->jmp_first, (uintptr_t)a | 0);
    cr_expect_eq(tcg_stats(toy.s)->chains, 1);
    cr_expect_eq(tcg_stats(toy.s)->exits[IR_EXIT_TB0], 1);
    run_from(0);
    cr_expect_eq(tcg_stats(toy.s)->exits[IR_EXIT_TB0], 1,
                 "second run follows the chain");
    cr_expect_eq(toy.env.r[1], 22);
}

Test(tb, invalidate_chained_page)
{
    prog_two_blocks();
    run_from(0);
    Tb *a = find(0), *b = find(0x1000);
    cr_assert(a && b && a->jmp_dest[0] == b);
    put(0x1000, T_ADDI, 1, 0, 100); /* the guest rewrites block b */
    cr_expect_eq(tcg_invalidate_phys_page(toy.s, 0x1234), 1);
    cr_expect(b->invalid);
    cr_expect_null(a->jmp_dest[0], "a unchained");
    cr_expect_eq(b->jmp_first, 0);
    cr_expect_null(find(0x1000), "b gone from the hash table");
    cr_expect_eq(tcg_stats(toy.s)->unchains, 1);
    toy.env.r[1] = 0;
    run_from(0);
    cr_expect_eq(toy.env.r[1], 101, "new code ran");
    Tb *b2 = find(0x1000);
    cr_assert(b2 && b2 != b);
    cr_expect_eq(a->jmp_dest[0], b2, "rechained to the new block");
}

Test(tb, invalidate_range_misses_other_blocks)
{
    prog_two_blocks();
    run_from(0);
    cr_expect_eq(tcg_invalidate_phys_range(toy.s, 0x1100, 16), 0);
    cr_expect_eq(tcg_invalidate_phys_range(toy.s, 0x1004, 1), 1);
    cr_expect_not_null(find(0));
}

Test(tb, block_across_pages_invalidated_by_second_page)
{
    put(0xff8, T_ADDI, 1, 0, 1);
    put(0xffc, T_ADDI, 1, 0, 2);
    put(0x1000, T_HALT, 0, 0, 0);
    run_from(0xff8);
    cr_expect_eq(toy.env.r[1], 3);
    Tb *t = find(0xff8);
    cr_assert(t);
    cr_expect_eq(t->phys_page2, 0x1000);
    cr_expect_eq(tcg_invalidate_phys_page(toy.s, 0x1000), 1);
    cr_expect(t->invalid);
}

/* r0 counts down from 5; 0x0: r1 += 1; r0 -= 1; bnz r0, 0x0; halt */
Test(tb, loop_chains_to_itself)
{
    put(0x0, T_ADDI, 1, 0, 1);
    put(0x4, T_ADDI, 0, 0, -1);
    put(0x8, T_BNZ, 0, 0, 0x0);
    put(0xc, T_HALT, 0, 0, 0);
    toy.env.r[0] = 5;
    run_from(0);
    cr_expect_eq(toy.env.r[1], 5);
    Tb *t = find(0);
    cr_assert(t);
    cr_expect_eq(t->jmp_dest[1], t, "back edge chained to itself");
    cr_expect_eq(tcg_stats(toy.s)->exits[IR_EXIT_TB1], 1);
    toy.env.r[0] = 1000;
    run_from(0);
    cr_expect_eq(toy.env.r[1], 1005);
    cr_expect_eq(tcg_stats(toy.s)->exits[IR_EXIT_TB1], 1);
}

/* indirect jump through the jump cache: 0x0: jr r2 -> 0x2000: halt */
Test(tb, goto_ptr_uses_jump_cache)
{
    put(0x0, T_JR, 2, 0, 0);
    put(0x2000, T_ADDI, 1, 0, 7);
    put(0x2004, T_HALT, 0, 0, 0);
    toy.env.r[2] = 0x2000;
    run_from(0);
    cr_expect_eq(toy.env.r[1], 7);
    cr_expect_eq(tcg_stats(toy.s)->exits[IR_EXIT_LOOKUP], 1);
    run_from(0);
    cr_expect_eq(toy.env.r[1], 14);
    cr_expect_eq(tcg_stats(toy.s)->jc_inline_hit, 1);
    cr_expect_eq(tcg_stats(toy.s)->exits[IR_EXIT_LOOKUP], 1);
}

Test(tb, exit_request_restores_block_start)
{
    prog_two_blocks();
    run_from(0); /* translate and chain */
    toy.env.exit_request = TCG_EXIT_REQUEST;
    cr_expect_eq(run_from(0), TCG_EXEC_REQUEST);
    cr_expect_eq(toy.env.r[1], 11, "nothing ran");
    toy.env.exit_request = 0;
    cr_expect_eq(run_from(0), TCG_EXEC_FRONTEND);
    cr_expect_eq(toy.env.r[1], 22);
}

/* 0x0: r1 += 1; r3 += 5; ld r2, [r0]; r1 += 100; halt */
Test(tb, exception_restores_insn_state)
{
    put(0x0, T_ADDI, 1, 0, 1);
    put(0x4, T_ADDI, 3, 0, 5);
    put(0x8, T_LD, 2, 0, 0);
    put(0xc, T_ADDI, 1, 0, 100);
    put(0x10, T_HALT, 0, 0, 0);
    toy.env.r[0] = 0x40;
    cr_assert_eq(run_from(0), TCG_EXEC_FRONTEND);
    cr_expect_eq(toy.env.r[2], 0x80);
    cr_expect_eq(toy.env.r[1], 101);
    toy.env.r[0] = FAULT_ADDR;
    toy.env.r[1] = 0;
    toy.env.r[2] = 0x77;
    toy.env.r[3] = 0;
    cr_assert_eq(run_from(0), TCG_EXEC_EXCEPTION);
    cr_expect_eq(toy.env.exc, 14);
    cr_expect_eq(toy.env.pc, 0x8, "pc of the faulting insn");
    cr_expect_eq(toy.env.insn_word1, 2, "its insn_start words");
    cr_expect_eq(toy.env.r[1], 1, "earlier insns done");
    cr_expect_eq(toy.env.r[3], 5);
    cr_expect_eq(toy.env.r[2], 0x77, "destination untouched");
    cr_expect_eq(tcg_stats(toy.s)->exceptions, 1);
    /* the dispatcher is usable again */
    toy.env.r[0] = 0x10;
    cr_expect_eq(run_from(0), TCG_EXEC_FRONTEND);
    cr_expect_eq(toy.env.r[2], 0x20);
}

/* many blocks in a chain: 4000 x (r1 += 1; jmp next) fill 1 MiB */
Test(tb, full_buffer_flushes)
{
    unsigned n = 4000;
    for (unsigned i = 0; i < n; i++) {
        put(i * 8, T_ADDI, 1, 0, 1);
        put(i * 8 + 4, T_JMP, 0, 0, (int64_t)(i + 1) * 8);
    }
    put(n * 8, T_HALT, 0, 0, 0);
    cr_assert_eq(run_from(0), TCG_EXEC_FRONTEND);
    cr_expect_eq(toy.env.r[1], n);
    TcgStats *st = tcg_stats(toy.s);
    cr_expect_geq(st->flushes[TCG_FLUSH_FULL], 1);
    cr_expect_eq(st->miss, n + 1, "each block translated once");
    cr_expect_eq(run_from(0), TCG_EXEC_FRONTEND);
    cr_expect_eq(toy.env.r[1], 2 * n, "correct after the flush");
}

Test(tb, stats_print_mentions_counters)
{
    prog_two_blocks();
    run_from(0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    tcg_stats_print(toy.s, f);
    fclose(f);
    cr_expect_not_null(strstr(buf, "chains 1,"), "%s", buf);
    cr_expect_not_null(strstr(buf, "miss 2 "), "%s", buf);
    free(buf);
}

Test(tb, perf_map_lists_blocks)
{
    tcg_free(toy.s); /* a fresh context with the perf map on */
    char path[64];
    snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
    unlink(path);
    toy_init_perf(true);
    prog_two_blocks();
    run_from(0);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    char line[128];
    unsigned n = 0;
    bool saw = false;
    while (fgets(line, sizeof(line), f)) {
        n++;
        saw |= strstr(line, "guest_0x1000") != NULL;
    }
    fclose(f);
    unlink(path);
    cr_expect_eq(n, 2);
    cr_expect(saw);
}

static unsigned pages_added;
static uint64_t last_page_added;

static uint64_t last_chunks;

static void note_page(void *opaque, uint64_t page, uint64_t chunks, bool first)
{
    pages_added += first;
    last_page_added = page;
    last_chunks = chunks;
}

Test(tb, range_spanning_pages_and_code_page_callback)
{
    tcg_free(toy.s);
    toy_init(1 << 20);
    TcgConfig *cfg = (TcgConfig *)tcg_config(toy.s);
    cfg->code_added = note_page;
    pages_added = 0;
    prog_two_blocks();
    run_from(0);
    cr_expect_eq(pages_added, 2, "pages 0x0 and 0x1000 got code");
    cr_expect_eq(last_page_added, 0x1000);
    cr_expect_eq(last_chunks, 1, "8 bytes at 0x1000: the first 64-byte chunk");
    cr_expect_eq(tcg_invalidate_phys_range(toy.s, 0x4, 0x1000), 2);
    cr_expect_null(find(0));
    cr_expect_null(find(0x1000));
    run_from(0);
    cr_expect_eq(pages_added, 4, "first TB on each page again");
}

Test(tb, backend_names)
{
    TcgBackendKind k = TCG_BACKEND_JIT;
    cr_expect(tcg_backend_parse("interp", &k));
    cr_expect_eq(k, TCG_BACKEND_INTERP);
    cr_expect(tcg_backend_parse("jit", &k));
    cr_expect_eq(k, TCG_BACKEND_JIT);
    cr_expect(!tcg_backend_parse("tci", &k));
    cr_expect_str_eq(tcg_backend_name(toy.s), "interp");
}

/* 0x0: r1 += 1; chk r0; r1 += 2; halt -- the helper raises at insn 1 */
Test(tb, helper_exception_restores_insn_state)
{
    put(0x0, T_ADDI, 1, 0, 1);
    put(0x4, T_CHK, 0, 0, 0);
    put(0x8, T_ADDI, 1, 0, 2);
    put(0xc, T_HALT, 0, 0, 0);
    toy.env.r[0] = 2;
    cr_assert_eq(run_from(0), TCG_EXEC_FRONTEND);
    cr_expect_eq(toy.env.r[1], 3);
    toy.env.r[0] = 3;
    cr_assert_eq(run_from(0), TCG_EXEC_EXCEPTION);
    cr_expect_eq(toy.env.exc, 13);
    cr_expect_eq(toy.env.pc, 0x4);
    cr_expect_eq(toy.env.insn_word1, 1);
    cr_expect_eq(toy.env.r[1], 4, "the first add ran, the second not");
}
