/*
 * tests/unit/tcg/test_ir.c: the IR op table, the builder and the dumper.
 *
 * Checks the X-macro table (argument counts fit IrOp, names), condition
 * inversion (c ^ 1), constants (deduplicated, I32 truncated), argument
 * layout of the builder, CALL flags derived from the helper, overflow
 * handling, and the dump text of memops, helpers and labels.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tcg/ir.h"
#include "util/common.h"

static IrFunc *f;
static IrTemp g0, g1, w0;

static void setup(void)
{
    f = ir_func_new();
    g0 = ir_global_new(f, IR_I64, 0, "g0", -1);
    g1 = ir_global_new(f, IR_I64, 8, "g1", 3);
    w0 = ir_global_new(f, IR_I32, 16, "w0", -1);
}

static void teardown(void)
{
    ir_func_free(f);
}

static char *dump_last(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ir_dump_op(f, &f->ops[f->nops - 1], out);
    fclose(out);
    return buf;
}

static void expect_last(const char *want)
{
    char *got = dump_last();
    cr_expect_str_eq(got, want);
    free(got);
}

TestSuite(ir, .init = setup, .fini = teardown);

Test(ir, op_table_fits_and_names_are_lower_case)
{
    for (int i = 0; i < IR__COUNT; i++) {
        const IrOpInfo *in = &ir_op_info[i];
        cr_expect_leq(in->nout + in->nin + in->ncon, IR_MAX_ARGS);
        const char *n = ir_op_name((IrOpcode)i);
        cr_expect_gt(strlen(n), 1);
        for (const char *p = n; *p; p++) {
            cr_expect(!(*p >= 'A' && *p <= 'Z'), "%s", n);
        }
    }
    cr_expect_str_eq(ir_op_name(IR_ATOMIC_CMPXCHG), "atomic_cmpxchg");
}

Test(ir, condition_inverse_is_xor_1)
{
    static const uint64_t vals[] = {
        0, 1, 2, 0x7fffffff, 0x80000000, 0xffffffff, 1ull << 63, ~0ull};
    for (int c = 0; c < IR_COND__COUNT; c++) {
        for (size_t i = 0; i < ARRAY_LEN(vals); i++) {
            for (size_t j = 0; j < ARRAY_LEN(vals); j++) {
                for (int t = IR_I32; t <= IR_I64; t++) {
                    bool a =
                        ir_cond_eval((IrCond)c, (IrType)t, vals[i], vals[j]);
                    bool b = ir_cond_eval(ir_cond_invert((IrCond)c), (IrType)t,
                                          vals[i], vals[j]);
                    cr_expect_neq(a, b, "%s", ir_cond_name((IrCond)c));
                }
            }
        }
    }
}

Test(ir, constants_dedup_and_truncate)
{
    IrTemp a = ir_const(f, IR_I32, 0x1ffffffffull);
    IrTemp b = ir_const(f, IR_I32, 0xffffffff);
    IrTemp c = ir_const(f, IR_I64, 0xffffffff);
    cr_expect_eq(a, b);
    cr_expect_neq(a, c, "same value, other type");
    cr_expect_eq(f->temps[a].val, 0xffffffff);
    cr_expect(ir_temp_is_const(f, a));
    cr_expect(ir_temp_is_global(f, g1));
    cr_expect_eq(f->temps[g1].pin, 3);
}

Test(ir, builder_argument_layout)
{
    IrTemp t = ir_temp_new(f, IR_I64);
    ir_deposit(f, IR_I64, t, g0, g1, 8, 16);
    const IrOp *op = &f->ops[f->nops - 1];
    cr_expect_eq(op->nout, 1);
    cr_expect_eq(op->nin, 2);
    cr_expect_eq(IR_OUT(op, 0), t);
    cr_expect_eq(IR_IN(op, 1), g1);
    cr_expect_eq(IR_CON(op, 0), 8);
    cr_expect_eq(IR_CON(op, 1), 16);
    expect_last(" deposit_i64 t0 = g0, g1, 0x8, 0x10");
}

static uint64_t helper_fn(void *env, uint64_t a)
{
    return a;
}

static const IrHelper helper = {
    .name = "probe",
    .fn = (void *)helper_fn,
    .nargs = 1,
    .ret = IRH_RET_I64,
    .arg_type = {IR_I64},
    .flags = IRH_ENV | IRH_RAISE | IRH_RD_GLOB,
};

Test(ir, call_flags_from_helper)
{
    ir_call(f, &helper, g0, &g1);
    const IrOp *op = &f->ops[f->nops - 1];
    cr_expect_eq(op->nout, 1);
    cr_expect_eq(op->nin, 1);
    cr_expect(op->flags & IRF_RAISE);
    cr_expect(op->flags & IRF_SIDE);
    cr_expect(op->flags & IRF_RD_GLOB);
    cr_expect(!(op->flags & IRF_WR_GLOB));
    expect_last(" call_i64 g0 = g1, probe");
}

Test(ir, dump_memops_and_labels)
{
    ir_qld(f, IR_I32, w0, g0, IR_MO_16 | IR_MO_SIGN | IR_MO_MMU(2));
    expect_last(" qld_i32 w0 = g0, 16s mmu2");
    ir_st(f, IR_I32, w0, 0x40, IR_MO_32);
    expect_last(" st_i32 w0, env+0x40, 32u mmu0");
    uint32_t l = ir_label_new(f);
    ir_brcond(f, IR_I32, IR_GEU, w0, ir_const(f, IR_I32, 7), l);
    expect_last(" brcond_i32 w0, $0x7, geu, L0");
    ir_set_label(f, l);
    expect_last("L0:");
    ir_goto_tb(f, 1);
    expect_last(" goto_tb 0x1");
}

Test(ir, insn_start_counts_and_reset_keeps_globals)
{
    ir_insn_start(f, 0x100, 1, 2);
    ir_insn_start(f, 0x104, 3, 4);
    cr_expect_eq(f->ninsns, 2);
    expect_last(" ---- 0x104 0x3 0x4");
    ir_temp_new(f, IR_I64);
    ir_func_reset(f);
    cr_expect_eq(f->nops, 0);
    cr_expect_eq(f->ninsns, 0);
    cr_expect_eq(f->ntemps, 3);
    cr_expect_str_eq(f->temps[w0].name, "w0");
}

Test(ir, overflow_is_flagged_not_fatal)
{
    for (int i = 0; i < IR_MAX_OPS + 10; i++) {
        ir_op2i(f, IR_ADD, IR_I64, g0, g0, 1);
    }
    cr_expect(f->overflow);
    cr_expect_eq(f->nops, IR_MAX_OPS);
    ir_func_reset(f);
    cr_expect(!f->overflow);
}

Test(ir, compact_drops_nops)
{
    ir_mov(f, IR_I64, g0, g1);
    ir_mov(f, IR_I64, g1, g0);
    f->ops[0].opc = IR_NOP;
    ir_compact(f);
    cr_expect_eq(f->nops, 1);
    cr_expect_eq(IR_OUT(&f->ops[0], 0), g1);
}
