/*
 * The translator's flag work, checked on the optimized IR of small blocks
 * (`-d op_opt` text of the first block): a static producer and its consumer
 * fuse into one brcond/setcond/movcond on the operands with no helper call;
 * the helper stays for a dynamic entry state; dead producers leave no flag
 * stores, but a producer before an instruction that may fault keeps them
 * and the fault sees its exact flags. The liveness pass itself is checked
 * on decoded instruction sequences.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/translate_int.h"
#include "fl_machine.h"

TestSuite(flags_ir, .timeout = 60);

static char *ir;
static int vec;

#define IR(...)                                                                \
    do {                                                                       \
        static const uint8_t c_[] = {__VA_ARGS__};                             \
        free(ir);                                                              \
        ir = fl_ir(c_, sizeof(c_), &vec);                                      \
        cr_assert(strstr(ir, "OP after optimization"), "no dump");             \
    } while (0)

#define HAS(s, n) cr_expect_eq(fl_count(ir, s), n, "%s x%u in:\n%s", s, n, ir)

Test(flags_ir, cmp_jl_is_one_brcond_on_the_operands)
{
    IR(0x48, 0x39, 0xd8, 0x7c, 0x00); /* cmp rax, rbx; jl */
    HAS("call", 0);
    HAS("brcond_i64 rax, rbx, lt", 1);
    /* 32-bit: the operands sign-extended, still no helper */
    IR(0x39, 0xd8, 0x72, 0x00); /* cmp eax, ebx; jb */
    HAS("call", 0);
    HAS("ltu, L", 1);
}

Test(flags_ir, dec_jnz_tests_the_result)
{
    /* cmp first: the CF DEC keeps is known statically (inline, no call) */
    IR(0x48, 0x39, 0xd8, 0x48, 0xff, 0xc9, 0x75, 0x00);
    HAS("call", 0);
    HAS("brcond_i64", 1);
    HAS("ne, L", 1);
    HAS("mov_i64 cc_dst", 1); /* cmp's flags are dead */
    /* alone: the entry state is dynamic; the kept CF is tested inline for
       an INC/DEC state (cc_op - INCB < 8), the helper only otherwise; the
       branch is still fused */
    IR(0x48, 0xff, 0xc9, 0x75, 0x00);
    HAS("= cc_op, $0x18", 1);
    HAS("$0x8, ltu, L", 1);
    HAS("cc_c", 1);
    HAS("cc_cond", 0);
}

Test(flags_ir, inc_skips_the_old_carry_when_cf_is_dead)
{
    /* inc rcx; add rax, rbx: ADD overwrites CF before anything reads it */
    IR(0x48, 0xff, 0xc1, 0x48, 0x01, 0xd8);
    HAS("call_i64 t", 0);
    HAS("mov_i64 cc_dst", 1);
}

Test(flags_ir, add_adc_carry_inline_and_src2_only_for_adc)
{
    IR(0x48, 0x01, 0xd8, 0x48, 0x11, 0xca); /* add rax, rbx; adc rdx, rcx */
    HAS("call_i64 t", 0);
    HAS("setcond_i64", 1);
    HAS("mov_i64 cc_src2", 1);
    IR(0x48, 0x29, 0xd8); /* sub rax, rbx: cc_src2 untouched */
    HAS("cc_src2", 0);
    HAS("mov_i64 cc_dst", 1);
}

Test(flags_ir, test_sete_and_cmov_are_setcond_and_movcond)
{
    IR(0x85, 0xc0, 0x0f, 0x94, 0xc1); /* test eax, eax; sete cl */
    HAS("call_i64 t", 0);
    HAS("tsteq", 1);
    /* cmp rax, rbx; cmovl rcx, rdx */
    IR(0x48, 0x39, 0xd8, 0x48, 0x0f, 0x4c, 0xca);
    HAS("call_i64 t", 0);
    HAS("movcond_i64", 1);
}

Test(flags_ir, dead_producer_chain_leaves_one_flag_store)
{
    /* add rax, rbx; sub rdx, rcx; xor esi, esi; cmp rax, rbx; jl */
    IR(0x48, 0x01, 0xd8, 0x48, 0x29, 0xca, 0x31, 0xf6, 0x48, 0x39, 0xd8, 0x7c,
       0x00);
    HAS("mov_i64 cc_dst", 1);
    HAS("mov_i32 cc_op", 1);
    HAS("call", 0);
}

Test(flags_ir, producer_before_a_faulting_load_keeps_its_flags)
{
    /* add rax, rbx (rax = 0 + 0 = 0: ZF); mov ecx, [FL_HOLE]; cmp rax, rbx */
    IR(0x48, 0x01, 0xd8, 0x8b, 0x0c, 0x25, 0x00, 0x00, 0x0a, 0x00, 0x48, 0x39,
       0xd8);
    cr_assert_eq(vec, 14);
    HAS("mov_i64 cc_dst", 2);
    HAS("mov_i32 cc_op = $0x7", 1); /* ADDQ */
    FlMachine m;
    fl_new(&m, TCG_BACKEND_JIT);
    m.env->regs[R_EAX] = 1;
    m.env->regs[R_EBX] = ~0ull; /* 1 + -1 = 0: CF ZF PF AF */
    static const uint8_t c[] = {0x48, 0x01, 0xd8, 0x8b, 0x0c, 0x25, 0x00,
                                0x00, 0x0a, 0x00, 0x48, 0x39, 0xd8};
    cr_assert_eq(fl_run(&m, c, sizeof(c)), 14);
    cr_assert_eq(m.env->rip, FL_CODE + 3);
    cr_assert_eq(cpu_compute_eflags(m.env) & CC_ALL, CC_C | CC_Z | CC_P | CC_A);
    fl_free(&m);
}

Test(flags_ir, dynamic_entry_state_uses_the_helper)
{
    IR(0x7c, 0x00); /* jl with no producer in the block */
    HAS("cc_cond", 1);
    /* a shift by CL makes the state dynamic: the helper again */
    IR(0x48, 0xd3, 0xe0, 0x0f, 0x94, 0xc1); /* shl rax, cl; sete cl */
    HAS("cc_cond", 1);
}

Test(flags_ir, adc_after_adc_keeps_the_carry_helper)
{
    IR(0x48, 0x11, 0xd8, 0x48, 0x11, 0xca); /* adc rax, rbx; adc rdx, rcx */
    HAS("cc_c", 2);
}

/* ---- the liveness pass on decoded sequences ---- */

static unsigned decode_seq(const uint8_t *code, size_t len, DecodedInsn *d,
                           bool *ok)
{
    unsigned n = 0;
    for (size_t off = 0; off < len; n++) {
        int r = x86_decode(&d[n], code + off, len - off, X86_MODE64);
        cr_assert_eq(r, X86_DEC_OK);
        ok[n] = true;
        off += d[n].len;
    }
    return n;
}

static uint16_t live[16];

#define LIVE(...)                                                              \
    do {                                                                       \
        static const uint8_t c_[] = {__VA_ARGS__};                             \
        DecodedInsn d_[16];                                                    \
        bool ok_[16];                                                          \
        unsigned n_ = decode_seq(c_, sizeof(c_), d_, ok_);                     \
        tr_flags_liveness(d_, ok_, n_, live);                                  \
    } while (0)

Test(flags_live, overwritten_flags_are_dead)
{
    LIVE(0x48, 0x01, 0xd8, 0x48, 0x39, 0xd8, 0x7c, 0x00); /* add; cmp; jl */
    cr_assert_eq(live[0], 0);
    cr_assert_eq(live[1], CC_ALL); /* the block exit */
    cr_assert_eq(live[2], CC_ALL);
    /* add; inc rcx; jz: INC keeps CF, so ADD's CF lives on */
    LIVE(0x48, 0x01, 0xd8, 0x48, 0xff, 0xc1, 0x74, 0x00);
    cr_assert_eq(live[0], CC_C);
    /* sub; or; jz: OR's undefined AF counts as written (LOGIC: AF = 0) */
    LIVE(0x48, 0x29, 0xd8, 0x48, 0x09, 0xd8, 0x74, 0x00);
    cr_assert_eq(live[0], 0);
    /* add; setc cl; cmp: SETcc reads CF */
    LIVE(0x48, 0x01, 0xd8, 0x0f, 0x92, 0xc1, 0x48, 0x39, 0xd8);
    cr_assert_eq(live[0], CC_C);
    cr_assert_eq(live[1], 0);
}

Test(flags_live, faults_and_conditional_writers_keep_flags_live)
{
    /* add; mov ecx, [rdx]; cmp: the load may fault */
    LIVE(0x48, 0x01, 0xd8, 0x8b, 0x0a, 0x48, 0x39, 0xd8);
    cr_assert_eq(live[0], CC_ALL);
    /* add; shl rax, cl; cmp; jz: a zero count keeps the flags, but CMP
       overwrites them all anyway */
    LIVE(0x48, 0x01, 0xd8, 0x48, 0xd3, 0xe0, 0x48, 0x39, 0xd8, 0x74, 0x00);
    cr_assert_eq(live[0], 0);
    /* add; shl rax, cl; jz: the shift may leave ADD's flags in place */
    LIVE(0x48, 0x01, 0xd8, 0x48, 0xd3, 0xe0, 0x74, 0x00);
    cr_assert_eq(live[0], CC_ALL);
    /* add; shl rax, 3; jz: a nonzero immediate count writes them */
    LIVE(0x48, 0x01, 0xd8, 0x48, 0xc1, 0xe0, 0x03, 0x74, 0x00);
    cr_assert_eq(live[0], 0);
    /* add; div rcx (#DE); cmp */
    LIVE(0x48, 0x01, 0xd8, 0x48, 0xf7, 0xf1, 0x48, 0x39, 0xd8);
    cr_assert_eq(live[0], CC_ALL);
    /* add; cmovz rcx, rdx (CMOV is a CPUID feature: may #UD); cmp */
    LIVE(0x48, 0x01, 0xd8, 0x48, 0x0f, 0x44, 0xca, 0x48, 0x39, 0xd8);
    cr_assert_eq(live[0], CC_ALL);
    /* lea does not access memory */
    LIVE(0x48, 0x01, 0xd8, 0x48, 0x8d, 0x0a, 0x48, 0x39, 0xd8);
    cr_assert_eq(live[0], 0);
}

Test(flags_live, may_raise_classification)
{
    DecodedInsn d;
    static const uint8_t add[] = {0x48, 0x01, 0xd8};
    static const uint8_t add_mem[] = {0x48, 0x01, 0x18};
    static const uint8_t push[] = {0x50};
    cr_assert_eq(x86_decode(&d, add, sizeof(add), X86_MODE64), X86_DEC_OK);
    cr_assert_not(tr_insn_may_raise(&d));
    cr_assert_eq(x86_decode(&d, add_mem, sizeof(add_mem), X86_MODE64),
                 X86_DEC_OK);
    cr_assert(tr_insn_may_raise(&d));
    cr_assert_eq(x86_decode(&d, push, sizeof(push), X86_MODE64), X86_DEC_OK);
    cr_assert(tr_insn_may_raise(&d));
}
