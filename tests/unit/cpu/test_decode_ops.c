/*
 * tests/unit/cpu/test_decode_ops.c: operand descriptors (ModRM/SIB forms,
 * RIP-relative, immediates and their sign extension, far pointers, string
 * operands), group and x87 sub-tables, and the per-id info table (flags
 * read/written for liveness, LOCK, branch kinds) that the translator uses.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cpu/decode.h"
#include "test_decode.h"

Test(decode_ops, sib_and_rip_relative)
{
    DecodedInsn d;
    cr_assert_eq(tdec(&d, X86_MODE64, "8b 05 10 00 00 00"), X86_DEC_OK);
    cr_assert_eq(d.op[1].base, XREG_RIP);
    cr_assert_eq(d.op[1].val, 0x10);
    cr_assert_eq(tdec(&d, X86_MODE32, "8b 05 10 00 00 00"), X86_DEC_OK);
    cr_assert_eq(d.op[1].base, XREG_NONE, "disp32 only outside 64-bit");
    cr_assert_eq(tdec(&d, X86_MODE64, "8b 04 24"), X86_DEC_OK);
    cr_assert_eq(d.op[1].base, 4);
    cr_assert_eq(d.op[1].index, XREG_NONE);
    cr_assert_eq(d.op[1].seg, XSEG_SS);
    cr_assert_eq(tdec(&d, X86_MODE64, "8b 04 25 00 10 00 00"), X86_DEC_OK);
    cr_assert_eq(d.op[1].base, XREG_NONE);
    cr_assert_eq(d.op[1].index, XREG_NONE);
    cr_assert_eq(d.op[1].val, 0x1000);
    cr_assert_eq(tdec(&d, X86_MODE64, "8b 44 8d f0"), X86_DEC_OK);
    cr_assert_eq(d.op[1].base, 5);
    cr_assert_eq(d.op[1].index, 1);
    cr_assert_eq(d.op[1].scale, 4);
    cr_assert_eq(d.op[1].val, -16);
    cr_assert_eq(tdec(&d, X86_MODE64, "42 8b 04 20"), X86_DEC_OK);
    cr_assert_eq(d.op[1].index, 12, "REX.X extends the index");
    cr_assert_eq(tdec(&d, X86_MODE64, "41 8b 45 00"), X86_DEC_OK);
    cr_assert_eq(d.op[1].base, 13, "r13 needs a disp8");
    cr_assert_eq(d.op[1].seg, XSEG_DS);
    cr_assert_eq(tdec(&d, X86_MODE64, "67 8b 00"), X86_DEC_OK);
    cr_assert_eq(d.addrsize, 4);
    cr_assert_eq(tdec(&d, X86_MODE64, "8d 04 4d 00 00 00 00"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_LEA);
    cr_assert_eq(d.op[1].scale, 2);
    cr_assert_eq(d.op[1].base, XREG_NONE);
}

Test(decode_ops, immediates)
{
    DecodedInsn d;
    cr_assert_eq(tdec(&d, X86_MODE64, "48 83 c0 ff"), X86_DEC_OK);
    cr_assert_eq(d.op[1].val, -1, "Ib sign-extended for 83");
    cr_assert_eq(tdec(&d, X86_MODE64, "48 05 00 00 00 80"), X86_DEC_OK);
    cr_assert_eq(d.op[1].val, (int64_t)0xffffffff80000000ll);
    cr_assert_eq(tdec(&d, X86_MODE64, "e4 f0"), X86_DEC_OK);
    cr_assert_eq(d.op[1].val, 0xf0, "port number is unsigned");
    cr_assert_eq(tdec(&d, X86_MODE64, "66 68 34 12"), X86_DEC_OK);
    cr_assert_eq(d.opsize, 2);
    cr_assert_eq(d.len, 4);
    cr_assert_eq(tdec(&d, X86_MODE64, "68 00 00 00 80"), X86_DEC_OK);
    cr_assert_eq(d.opsize, 8, "push defaults to 64-bit");
    cr_assert_eq(tdec(&d, X86_MODE64, "c8 00 10 02"), X86_DEC_OK);
    cr_assert_eq(d.op[0].val, 0x1000);
    cr_assert_eq(d.op[1].val, 2);
    cr_assert_eq(tdec(&d, X86_MODE64, "eb fe"), X86_DEC_OK);
    cr_assert_eq(d.op[0].type, XOP_REL);
    cr_assert_eq(d.op[0].val, -2);
    cr_assert_eq(tdec(&d, X86_MODE64, "66 e9 00 00 00 00"), X86_DEC_OK);
    cr_assert_eq(d.len, 6, "66 is ignored on near branches (Intel)");
    cr_assert_eq(tdec(&d, X86_MODE32, "66 e9 00 00"), X86_DEC_OK);
    cr_assert_eq(d.len, 4);
    cr_assert_eq(tdec(&d, X86_MODE32, "ea 78 56 34 12 08 00"), X86_DEC_OK);
    cr_assert_eq(d.op[0].type, XOP_FAR);
    cr_assert_eq(d.op[0].val, 0x12345678);
    cr_assert_eq(d.op[0].sel, 8);
    cr_assert_eq(tdec(&d, X86_MODE64, "f6 00 12"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_TEST);
    cr_assert_eq(d.len, 3);
    cr_assert_eq(tdec(&d, X86_MODE64, "f7 00 78 56 34 12"), X86_DEC_OK);
    cr_assert_eq(d.len, 6);
    cr_assert_eq(tdec(&d, X86_MODE64, "66 f7 00 34 12"), X86_DEC_OK);
    cr_assert_eq(d.len, 5);
}

Test(decode_ops, string_operands)
{
    DecodedInsn d;
    cr_assert_eq(tdec(&d, X86_MODE32, "64 a5"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_MOVS);
    cr_assert_eq(d.op[0].seg, XSEG_ES, "destination is always ES");
    cr_assert_eq(d.op[1].seg, XSEG_FS, "source takes the override");
    cr_assert_eq(d.op[1].base, 6);
    cr_assert_eq(tdec(&d, X86_MODE64, "67 48 ab"), X86_DEC_OK);
    cr_assert_eq(d.addrsize, 4);
    cr_assert_eq(d.op[0].size, 8);
}

Test(decode_ops, groups_nop_and_special_rows)
{
    DecodedInsn d;
    cr_assert_eq(tdec(&d, X86_MODE64, "ff 10"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_CALL_IND);
    cr_assert_eq(d.opsize, 8);
    cr_assert_eq(tdec(&d, X86_MODE64, "ff 38"), X86_DEC_UD);
    cr_assert_eq(tdec(&d, X86_MODE64, "fe 10"), X86_DEC_UD);
    cr_assert_eq(tdec(&d, X86_MODE64, "8f c8"), X86_DEC_UD, "XOP is AMD");
    cr_assert_eq(tdec(&d, X86_MODE64, "c6 f8 01"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_XABORT);
    cr_assert_eq(tdec(&d, X86_MODE64, "90"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_NOP);
    cr_assert_eq(tdec(&d, X86_MODE64, "f3 90"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_PAUSE);
    cr_assert_eq(tdec(&d, X86_MODE64, "41 90"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_XCHG);
    cr_assert_eq(d.op[0].reg, 8);
    cr_assert_eq(tdec(&d, X86_MODE64, "8e c8"), X86_DEC_UD, "mov cs, ax");
    cr_assert_eq(tdec(&d, X86_MODE64, "8e d8"), X86_DEC_OK, "mov ds, ax");
    cr_assert_eq(d.op[0].cls, XRC_SEG);
    cr_assert_eq(d.op[0].reg, XSEG_DS);
    /* MOV CR ignores ModRM.mod; CR1 and CR5 do not exist */
    cr_assert_eq(tdec(&d, X86_MODE64, "0f 20 18"), X86_DEC_OK);
    cr_assert_eq(d.op[1].cls, XRC_CR);
    cr_assert_eq(d.op[1].reg, 3);
    cr_assert_eq(d.len, 3);
    cr_assert_eq(tdec(&d, X86_MODE64, "0f 22 c8"), X86_DEC_UD);
    cr_assert_eq(tdec(&d, X86_MODE64, "44 0f 22 c0"), X86_DEC_OK);
    cr_assert_eq(d.op[0].reg, 8);
    cr_assert_eq(tdec(&d, X86_MODE64, "0f 01 d0"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_XGETBV);
    cr_assert_eq(tdec(&d, X86_MODE32, "0f 01 f8"), X86_DEC_UD, "swapgs");
    cr_assert_eq(tdec(&d, X86_MODE64, "0f 01 f8"), X86_DEC_OK);
    cr_assert_eq(tdec(&d, X86_MODE64, "0f ae e8"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_LFENCE);
    cr_assert_eq(tdec(&d, X86_MODE64, "0f ae 38"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_CLFLUSH);
    cr_assert_eq(tdec(&d, X86_MODE64, "9f"), X86_DEC_OK);
    cr_assert_eq(d.feature, XFEAT_LAHF64, "LAHF in 64-bit mode needs CPUID");
    cr_assert_eq(tdec(&d, X86_MODE32, "9f"), X86_DEC_OK);
    cr_assert_eq(d.feature, XFEAT_BASE);
    cr_assert_eq(tdec(&d, X86_MODE64, "0f 0b"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_UD2, "UD2 decodes; it raises #UD when run");
}

Test(decode_ops, x87)
{
    DecodedInsn d;
    cr_assert_eq(tdec(&d, X86_MODE64, "d8 c1"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_FADD);
    cr_assert_eq(d.op[0].cls, XRC_ST);
    cr_assert_eq(d.op[1].reg, 1);
    cr_assert_eq(tdec(&d, X86_MODE64, "dc c1"), X86_DEC_OK);
    cr_assert_eq(d.op[0].reg, 1, "DC: st(i) is the destination");
    cr_assert_eq(tdec(&d, X86_MODE64, "db 28"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_FLD);
    cr_assert_eq(d.op[0].size, 10);
    cr_assert_eq(tdec(&d, X86_MODE64, "d9 d1"), X86_DEC_UD);
    cr_assert_eq(tdec(&d, X86_MODE64, "d9 08"), X86_DEC_UD);
    cr_assert_eq(tdec(&d, X86_MODE64, "da e9"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_FUCOMPP);
    cr_assert_eq(tdec(&d, X86_MODE64, "df e8"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_FUCOMIP);
}

Test(decode_ops, evex_fields_and_bound)
{
    DecodedInsn d;
    /* vaddps zmm0{k1}, zmm1, [rax+0x40] (disp8*N keeps the length) */
    cr_assert_eq(tdec(&d, X86_MODE64, "62 f1 74 49 58 40 01"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_EVEX_INSN);
    cr_assert(d.pfx & XP_EVEX);
    cr_assert_eq(d.len, 7);
    cr_assert_eq(d.vex_map, 1);
    cr_assert_eq(d.evex_aaa, 1);
    cr_assert_eq(d.vex_l, 2);
    cr_assert_eq(d.vex_vvvv, 1);
    cr_assert_eq(d.feature, XFEAT_AVX512);
    cr_assert_eq(tdec(&d, X86_MODE64, "62 f1 70 48 58 c1"), X86_DEC_UD,
                 "P1 bit 2 must be 1");
    cr_assert_eq(tdec(&d, X86_MODE32, "62 05 00 00 00 00"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_BOUND);
    cr_assert_eq(tdec(&d, X86_MODE32, "62 f1 7c 48 58 c1"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_EVEX_INSN);
}

Test(decode_ops, info_table_flags)
{
    const X86InsnInfo *i = x86_insn_info(XI_ADC);
    cr_assert_eq(i->flags_r, XF_CF);
    cr_assert_eq(i->flags_w, XF_ARITH);
    cr_assert(i->attr & XA_LOCK);
    i = x86_insn_info(XI_INC);
    cr_assert_not(i->flags_w & XF_CF, "INC keeps CF");
    cr_assert(i->flags_w & XF_OF);
    i = x86_insn_info(XI_JBE);
    cr_assert_eq(i->flags_r, XF_CF | XF_ZF);
    cr_assert_eq(XA_BR_OF(i->attr), XBR_JCC);
    i = x86_insn_info(XI_CMOVL);
    cr_assert_eq(i->flags_r, XF_SF | XF_OF);
    i = x86_insn_info(XI_SHL);
    cr_assert(i->attr & XA_FCOND, "count 0 leaves flags alone");
    cr_assert(i->flags_u & XF_AF);
    i = x86_insn_info(XI_MUL);
    cr_assert_eq(i->flags_u, XF_SF | XF_ZF | XF_AF | XF_PF);
    i = x86_insn_info(XI_MOV);
    cr_assert_eq(i->flags_w, 0);
    cr_assert_eq(i->flags_r, 0);
    i = x86_insn_info(XI_CMP);
    cr_assert_not(i->attr & XA_LOCK);
    i = x86_insn_info(XI_RET);
    cr_assert_eq(XA_BR_OF(i->attr), XBR_RET);
    i = x86_insn_info(XI_STOS);
    cr_assert_eq(i->flags_r, XF_DF);
    i = x86_insn_info(XI_LGDT);
    cr_assert(i->attr & XA_PRIV);
    cr_assert_str_eq(x86_insn_name(XI_CMPXCHG16B), "cmpxchg16b");
    cr_assert_null(x86_insn_info(XI__COUNT));
    cr_assert_str_eq(x86_feature_name(XFEAT_SSE42), "SSE42");
    /* every id has a name and a feature in range */
    for (unsigned id = 0; id < XI__COUNT; id++) {
        cr_assert_not_null(x86_insn_info(id)->name);
        cr_assert_lt(x86_insn_info(id)->feature, XFEAT__COUNT);
        cr_assert_eq(x86_insn_info(id)->flags_u & ~x86_insn_info(id)->flags_w,
                     0, "undefined flags are a subset of written: %s",
                     x86_insn_name(id));
    }
}
