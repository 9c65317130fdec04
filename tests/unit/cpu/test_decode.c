/*
 * tests/unit/cpu/test_decode.c: the x86 decoder on the tricky encodings the
 * SDM describes: prefix order and repetition, mandatory prefixes with SSE
 * maps, REX placement, AH..BH vs SPL..DIL, 64-bit segment rules, moffs64,
 * VEX rules, 16-bit addressing, the 15-byte limit, truncated input and LOCK.
 * Operand-level and per-id table checks are in test_decode_ops.c.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpu/decode.h"
#include "test_decode.h"

int tdec(DecodedInsn *d, X86Mode mode, const char *hex)
{
    uint8_t b[32];
    size_t n = thex(b, hex);
    return x86_decode(d, b, n, mode);
}

size_t thex(uint8_t *b, const char *hex)
{
    size_t n = 0;
    unsigned v;
    while (*hex && sscanf(hex, "%2x", &v) == 1) {
        b[n++] = (uint8_t)v;
        hex += 2;
        while (*hex == ' ') {
            hex++;
        }
    }
    return n;
}

/* ---- a table of {mode, bytes, length, mnemonic} */
/* strings inline: Criterion may run parameters in a re-executed process */
typedef struct DecCase {
    X86Mode mode;
    char hex[40];
    unsigned len;
    char name[16];
} DecCase;

static DecCase cases[] = {
    {X86_MODE64, "48 01 d8", 3, "add"},
    {X86_MODE64, "f0 48 0f b1 0b", 5, "cmpxchg"},
    {X86_MODE64, "0f 05", 2, "syscall"},
    {X86_MODE64, "e8 00 00 00 00", 5, "call"},
    {X86_MODE64, "ff 15 00 00 00 00", 6, "call"},
    {X86_MODE64, "c3", 1, "ret"},
    {X86_MODE64, "c2 08 00", 3, "ret"},
    {X86_MODE64, "c8 10 00 01", 4, "enter"},
    {X86_MODE64, "48 b8 88 77 66 55 44 33 22 11", 10, "mov"},
    {X86_MODE64, "48 c7 c0 ff ff ff ff", 7, "mov"},
    {X86_MODE64, "66 0f 6f 04 24", 5, "movdqa"},
    {X86_MODE64, "f3 0f 6f 44 24 10", 6, "movdqu"},
    {X86_MODE64, "0f 28 c1", 3, "movaps"},
    {X86_MODE64, "66 0f 3a 0f c1 08", 6, "palignr"},
    {X86_MODE64, "66 0f 38 00 c1", 5, "pshufb"},
    {X86_MODE64, "f2 0f 38 f1 c1", 5, "crc32"},
    {X86_MODE64, "0f 38 f0 00", 4, "movbe"},
    {X86_MODE64, "c4 e2 78 f2 c1", 5, "andn"},
    {X86_MODE64, "c4 e3 7b f0 c1 05", 6, "rorx"},
    {X86_MODE64, "c5 fd 6f 00", 4, "movdqa"},
    {X86_MODE64, "c4 e2 7d 18 00", 5, "broadcastss"},
    {X86_MODE64, "c4 e2 f1 98 c2", 5, "fma_pd"},
    {X86_MODE64, "d9 e8", 2, "fld1"},
    {X86_MODE64, "dd 05 00 00 00 00", 6, "fld"},
    {X86_MODE64, "de d9", 2, "fcompp"},
    {X86_MODE64, "df e0", 2, "fnstsw"},
    {X86_MODE64, "f3 48 ab", 3, "stos"},
    {X86_MODE64, "0f a2", 2, "cpuid"},
    {X86_MODE64, "0f 01 f9", 3, "rdtscp"},
    {X86_MODE64, "f3 0f 1e fa", 4, "endbr64"},
    {X86_MODE64, "0f 1f 44 00 00", 5, "nop"},
    {X86_MODE64, "66 0f 1f 84 00 00 00 00 00", 9, "nop"},
    {X86_MODE64, "f3 0f b8 c1", 4, "popcnt"},
    {X86_MODE64, "f3 0f bc c1", 4, "tzcnt"},
    {X86_MODE64, "0f bc c1", 3, "bsf"},
    {X86_MODE64, "0f c7 f0", 3, "rdrand"},
    {X86_MODE64, "48 0f c7 0e", 4, "cmpxchg16b"},
    {X86_MODE64, "0f c7 0e", 3, "cmpxchg8b"},
    {X86_MODE64, "48 63 c1", 3, "movsxd"},
    {X86_MODE64, "0f 20 d8", 3, "mov"},
    {X86_MODE32, "63 c1", 2, "arpl"},
    {X86_MODE32, "9a 00 00 00 00 08 00", 7, "lcall"},
    {X86_MODE32, "66 ea 00 00 08 00", 6, "ljmp"},
    {X86_MODE32, "62 00", 2, "bound"},
    {X86_MODE32, "c4 00", 2, "les"},
    {X86_MODE32, "c5 05 00 00 00 00", 6, "lds"},
    {X86_MODE32, "c5 f8 77", 3, "zeroupper"},
    {X86_MODE32, "d6", 1, "salc"},
    {X86_MODE32, "d4 0a", 2, "aam"},
    {X86_MODE32, "60", 1, "pusha"},
    {X86_MODE32, "40", 1, "inc"},
    {X86_MODE32, "e3 fe", 2, "jcxz"},
    {X86_MODE16, "b8 34 12", 3, "mov"},
    {X86_MODE16, "66 b8 78 56 34 12", 6, "mov"},
    {X86_MODE16, "e8 00 00", 3, "call"},
    {X86_MODE16, "8b 87 34 12", 4, "mov"},
    {X86_MODE16, "ea 00 00 00 f0", 5, "ljmp"},
    {X86_MODE64, "62 f1 7c 48 58 c1", 6, "evex"},
    {X86_MODE64, "62 f3 7d 48 0f 44 24 01 05", 9, "evex"},
};

ParameterizedTestParameters(decode, table)
{
    return cr_make_param_array(DecCase, cases, ARRAY_LEN(cases));
}

ParameterizedTest(DecCase *c, decode, table)
{
    DecodedInsn d;
    int r = tdec(&d, c->mode, c->hex);
    cr_assert_eq(r, X86_DEC_OK, "%s: status %d", c->hex, r);
    cr_assert_eq(d.len, c->len, "%s: len %u", c->hex, d.len);
    cr_assert_str_eq(x86_insn_name(d.id), c->name, "%s", c->hex);
}

/* ---- one-byte opcodes that are #UD in 64-bit mode and valid in 32-bit */
static const char *const inval64[] = {
    "06",
    "07",
    "0e",
    "16",
    "17",
    "1e",
    "1f",
    "27",
    "2f",
    "37",
    "3f",
    "60",
    "61",
    "62 00",
    "82 c0 01",
    "9a 00 00 00 00 08 00",
    "ce",
    "d4 0a",
    "d5 0a",
    "d6",
    "ea 00 00 00 00 08 00",
    "c4 00",
    "c5 00",
};

Test(decode, invalid_in_64bit_valid_in_32bit)
{
    DecodedInsn d;
    for (unsigned i = 0; i < ARRAY_LEN(inval64); i++) {
        int r = tdec(&d, X86_MODE64, inval64[i]);
        if (!strncmp(inval64[i], "c4", 2) || !strncmp(inval64[i], "c5", 2) ||
            !strncmp(inval64[i], "62", 2)) {
            /* VEX/EVEX in 64-bit mode: a prefix, not LES/LDS/BOUND */
            cr_assert(r != X86_DEC_OK || x86_insn_is_vex(&d), "%s", inval64[i]);
            cr_assert_neq(d.id, XI_LES);
            cr_assert_neq(d.id, XI_BOUND);
        } else {
            cr_assert_eq(r, X86_DEC_UD, "%s in 64-bit: %d", inval64[i], r);
        }
        cr_assert_eq(tdec(&d, X86_MODE32, inval64[i]), X86_DEC_OK, "%s",
                     inval64[i]);
    }
}

Test(decode, prefix_repetition_and_last_rep_wins)
{
    DecodedInsn d;
    cr_assert_eq(tdec(&d, X86_MODE32, "66 66 66 89 c0"), X86_DEC_OK);
    cr_assert_eq(d.opsize, 2);
    cr_assert_eq(d.len, 5);
    cr_assert_eq(tdec(&d, X86_MODE32, "f2 f3 a4"), X86_DEC_OK);
    cr_assert(d.pfx & XP_REP);
    cr_assert_not(d.pfx & XP_REPNE);
    cr_assert_eq(tdec(&d, X86_MODE32, "f3 f2 a6"), X86_DEC_OK);
    cr_assert(d.pfx & XP_REPNE);
    cr_assert_not(d.pfx & XP_REP);
    /* last segment override wins */
    cr_assert_eq(tdec(&d, X86_MODE32, "2e 36 8b 00"), X86_DEC_OK);
    cr_assert_eq(d.op[1].seg, XSEG_SS);
}

Test(decode, mandatory_prefixes_select_sse_forms)
{
    DecodedInsn d;
    static const struct {
        const char *hex, *name;
    } t[] = {
        {"0f 58 c1", "addps"},       {"66 0f 58 c1", "addpd"},
        {"f3 0f 58 c1", "addss"},    {"f2 0f 58 c1", "addsd"},
        {"66 f3 0f 58 c1", "addss"}, {"f3 66 0f 58 c1", "addss"},
        {"f3 f2 0f 58 c1", "addsd"}, {"f2 f3 0f 58 c1", "addss"},
        {"f2 66 0f 58 c1", "addsd"}, {"66 0f 6f c1", "movdqa"},
        {"0f 6f c1", "movq"},        {"66 0f 38 00 c1", "pshufb"},
    };
    for (unsigned i = 0; i < ARRAY_LEN(t); i++) {
        cr_assert_eq(tdec(&d, X86_MODE64, t[i].hex), X86_DEC_OK, "%s",
                     t[i].hex);
        cr_assert_str_eq(x86_insn_name(d.id), t[i].name, "%s", t[i].hex);
    }
    /* the mmx form uses mm registers, the 66 form xmm */
    cr_assert_eq(tdec(&d, X86_MODE64, "0f fe c1"), X86_DEC_OK);
    cr_assert_eq(d.op[0].cls, XRC_MMX);
    cr_assert_eq(d.feature, XFEAT_MMX);
    cr_assert_eq(tdec(&d, X86_MODE64, "66 0f fe c1"), X86_DEC_OK);
    cr_assert_eq(d.op[0].cls, XRC_XMM);
    cr_assert_eq(d.feature, XFEAT_SSE2);
    /* 66 as mandatory prefix is not an operand-size override ... */
    cr_assert_eq(tdec(&d, X86_MODE64, "66 0f 6e c0"), X86_DEC_OK);
    cr_assert_eq(d.op[1].size, 4);
    /* ... but with F3 selecting the form it still is (popcnt ax, cx) */
    cr_assert_eq(tdec(&d, X86_MODE64, "66 f3 0f b8 c1"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_POPCNT);
    cr_assert_eq(d.opsize, 2);
    /* where 66 has no SSE meaning it stays an operand-size prefix */
    cr_assert_eq(tdec(&d, X86_MODE64, "66 0f bc c1"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_BSF);
    cr_assert_eq(d.opsize, 2);
    cr_assert_eq(tdec(&d, X86_MODE64, "66 0f 38 f0 00"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_MOVBE);
    cr_assert_eq(d.opsize, 2);
    cr_assert_eq(tdec(&d, X86_MODE32, "66 0f c7 f0"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_RDRAND);
    cr_assert_eq(d.op[0].size, 2);
    /* XBEGIN honours 66 (rel16) even in 64-bit mode */
    cr_assert_eq(tdec(&d, X86_MODE64, "66 c7 f8 00 00"), X86_DEC_OK);
    cr_assert_eq(d.len, 5);
    /* 3DNow! (0F 0F) is AMD only */
    cr_assert_eq(tdec(&d, X86_MODE64, "0f 0f c1 b4"), X86_DEC_UD);
    /* F3 where no F3 form exists is ignored (as an unused REP prefix) */
    cr_assert_eq(tdec(&d, X86_MODE64, "f3 0f 28 c1"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_MOVAPS);
    cr_assert_eq(tdec(&d, X86_MODE64, "f3 66 0f 28 c1"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_MOVAPD);
    /* but a 66 or no-prefix column that does not exist is #UD */
    cr_assert_eq(tdec(&d, X86_MODE64, "66 0f 38 c8 c1"), X86_DEC_UD);
    cr_assert_eq(tdec(&d, X86_MODE64, "0f 6c c1"), X86_DEC_UD);
}

Test(decode, rex_only_directly_before_opcode)
{
    DecodedInsn d;
    cr_assert_eq(tdec(&d, X86_MODE64, "48 89 c0"), X86_DEC_OK);
    cr_assert_eq(d.opsize, 8);
    cr_assert_eq(tdec(&d, X86_MODE64, "48 66 89 c0"), X86_DEC_OK);
    cr_assert_eq(d.opsize, 2, "REX before 66 is ignored");
    cr_assert_not(d.pfx & XP_REX);
    cr_assert_eq(tdec(&d, X86_MODE64, "66 48 89 c0"), X86_DEC_OK);
    cr_assert_eq(d.opsize, 8, "REX.W beats 66");
    cr_assert_eq(tdec(&d, X86_MODE64, "41 2e 89 c0"), X86_DEC_OK);
    cr_assert_eq(d.op[0].reg, 0, "REX.B not applied");
    cr_assert_eq(tdec(&d, X86_MODE64, "4c 8b 0c 24"), X86_DEC_OK);
    cr_assert_eq(d.op[0].reg, 9);
    cr_assert_eq(tdec(&d, X86_MODE64, "41 ff d3"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_CALL_IND);
    cr_assert_eq(d.op[0].reg, 11);
}

Test(decode, byte_registers_with_and_without_rex)
{
    DecodedInsn d;
    cr_assert_eq(tdec(&d, X86_MODE64, "88 e0"), X86_DEC_OK); /* mov al, ah */
    cr_assert_eq(d.op[1].cls, XRC_GPR8HI);
    cr_assert_eq(d.op[1].reg, 0);
    cr_assert_eq(tdec(&d, X86_MODE64, "40 88 e0"), X86_DEC_OK); /* spl */
    cr_assert_eq(d.op[1].cls, XRC_GPR);
    cr_assert_eq(d.op[1].reg, 4);
    cr_assert_eq(tdec(&d, X86_MODE64, "b7 01"), X86_DEC_OK); /* mov bh, 1 */
    cr_assert_eq(d.op[0].cls, XRC_GPR8HI);
    cr_assert_eq(d.op[0].reg, 3);
    cr_assert_eq(tdec(&d, X86_MODE64, "40 b7 01"), X86_DEC_OK); /* dil */
    cr_assert_eq(d.op[0].cls, XRC_GPR);
    cr_assert_eq(d.op[0].reg, 7);
    cr_assert_eq(tdec(&d, X86_MODE64, "44 88 e0"), X86_DEC_OK); /* r12b */
    cr_assert_eq(d.op[1].reg, 12);
    cr_assert_eq(d.op[1].cls, XRC_GPR);
}

Test(decode, segment_overrides_in_64bit_mode)
{
    DecodedInsn d;
    cr_assert_eq(tdec(&d, X86_MODE64, "26 8b 00"), X86_DEC_OK);
    cr_assert_eq(d.seg, XSEG_NONE);
    cr_assert_eq(d.op[1].seg, XSEG_DS);
    cr_assert_eq(tdec(&d, X86_MODE64, "64 8b 00"), X86_DEC_OK);
    cr_assert_eq(d.op[1].seg, XSEG_FS);
    cr_assert_eq(tdec(&d, X86_MODE64, "65 2e 8b 00"), X86_DEC_OK);
    cr_assert_eq(d.op[1].seg, XSEG_GS, "CS after GS is ignored");
    cr_assert_eq(tdec(&d, X86_MODE32, "2e 8b 00"), X86_DEC_OK);
    cr_assert_eq(d.op[1].seg, XSEG_CS);
    cr_assert_eq(tdec(&d, X86_MODE32, "8b 45 00"), X86_DEC_OK);
    cr_assert_eq(d.op[1].seg, XSEG_SS, "EBP base defaults to SS");
}

Test(decode, moffs_sizes)
{
    DecodedInsn d;
    cr_assert_eq(tdec(&d, X86_MODE64, "48 a1 f0 de bc 9a 78 56 34 12"),
                 X86_DEC_OK);
    cr_assert_eq(d.len, 10);
    cr_assert_eq((uint64_t)d.op[1].val, 0x123456789abcdef0ull);
    cr_assert_eq(d.op[1].size, 8);
    cr_assert_eq(tdec(&d, X86_MODE64, "67 a0 78 56 34 12"), X86_DEC_OK);
    cr_assert_eq(d.len, 6);
    cr_assert_eq(tdec(&d, X86_MODE32, "a3 78 56 34 12"), X86_DEC_OK);
    cr_assert_eq(d.len, 5);
    cr_assert_eq(tdec(&d, X86_MODE16, "a3 34 12"), X86_DEC_OK);
    cr_assert_eq(d.len, 3);
    cr_assert_eq(d.op[0].val, 0x1234);
}

Test(decode, vex_rules)
{
    DecodedInsn d;
    cr_assert_eq(tdec(&d, X86_MODE64, "c5 f8 77"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_ZEROUPPER);
    cr_assert_eq(tdec(&d, X86_MODE64, "c5 fc 77"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_ZEROALL);
    /* vaddss xmm0, xmm1, xmm2: H is VEX.vvvv */
    cr_assert_eq(tdec(&d, X86_MODE64, "c5 f2 58 c2"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_ADDSS);
    cr_assert_eq(d.nops, 3);
    cr_assert_eq(d.op[1].reg, 1);
    cr_assert_eq(d.feature, XFEAT_AVX);
    /* vvvv must be 1111 when unused */
    cr_assert_eq(tdec(&d, X86_MODE64, "c5 f8 10 c1"), X86_DEC_OK);
    cr_assert_eq(tdec(&d, X86_MODE64, "c5 f0 10 c1"), X86_DEC_UD);
    /* VEX.L=1: ymm; L must be 0 for vmovd/vmovq */
    cr_assert_eq(tdec(&d, X86_MODE64, "c5 fc 28 c1"), X86_DEC_OK);
    cr_assert_eq(d.op[0].cls, XRC_YMM);
    cr_assert_eq(tdec(&d, X86_MODE64, "c4 e1 f9 6e c0"), X86_DEC_OK);
    cr_assert_eq(d.id, XI_MOVQ);
    cr_assert_eq(tdec(&d, X86_MODE64, "c4 e1 fd 6e c0"), X86_DEC_UD);
    /* VEX.W selects the GPR size of BMI forms */
    cr_assert_eq(tdec(&d, X86_MODE64, "c4 e2 f8 f2 c1"), X86_DEC_OK);
    cr_assert_eq(d.opsize, 8);
    /* VEX after 66/F2/F3/REX/LOCK is #UD; unknown map is #UD */
    cr_assert_eq(tdec(&d, X86_MODE64, "66 c5 f8 10 c1"), X86_DEC_UD);
    cr_assert_eq(tdec(&d, X86_MODE64, "40 c5 f8 10 c1"), X86_DEC_UD);
    cr_assert_eq(tdec(&d, X86_MODE64, "c4 e4 78 10 c1"), X86_DEC_UD);
    /* no VEX form of an MMX instruction; VEX-only without VEX */
    cr_assert_eq(tdec(&d, X86_MODE64, "c5 f8 fe c1"), X86_DEC_UD);
    cr_assert_eq(tdec(&d, X86_MODE64, "66 0f 38 18 00"), X86_DEC_UD);
    /* 256-bit only: vperm2f128 with L=0 */
    cr_assert_eq(tdec(&d, X86_MODE64, "c4 e3 79 06 c1 00"), X86_DEC_UD);
    cr_assert_eq(tdec(&d, X86_MODE64, "c4 e3 7d 06 c1 00"), X86_DEC_OK);
}

Test(decode, sixteen_bit_addressing)
{
    DecodedInsn d;
    cr_assert_eq(tdec(&d, X86_MODE16, "8b 00"), X86_DEC_OK); /* [bx+si] */
    cr_assert_eq(d.op[1].base, 3);
    cr_assert_eq(d.op[1].index, 6);
    cr_assert_eq(d.addrsize, 2);
    cr_assert_eq(tdec(&d, X86_MODE16, "8b 46 f0"), X86_DEC_OK); /* [bp-16] */
    cr_assert_eq(d.op[1].base, 5);
    cr_assert_eq(d.op[1].seg, XSEG_SS);
    cr_assert_eq(d.op[1].val, -16);
    cr_assert_eq(tdec(&d, X86_MODE16, "8b 06 34 12"), X86_DEC_OK); /* [1234] */
    cr_assert_eq(d.op[1].base, XREG_NONE);
    cr_assert_eq(d.op[1].val, 0x1234);
    cr_assert_eq(d.len, 4);
    cr_assert_eq(tdec(&d, X86_MODE16, "8b 83 00 80"), X86_DEC_OK);
    cr_assert_eq(d.op[1].val, -0x8000, "disp16 is sign-extended");
    cr_assert_eq(tdec(&d, X86_MODE16, "67 8b 04 24"), X86_DEC_OK);
    cr_assert_eq(d.addrsize, 4);
    cr_assert_eq(d.op[1].base, 4);
    cr_assert_eq(d.len, 4);
}

Test(decode, fifteen_byte_limit)
{
    DecodedInsn d;
    uint8_t b[32];
    memset(b, 0x66, sizeof(b));
    b[14] = 0x90;
    cr_assert_eq(x86_decode(&d, b, sizeof(b), X86_MODE32), X86_DEC_OK);
    cr_assert_eq(d.len, 15);
    b[14] = 0x66;
    b[15] = 0x90;
    cr_assert_eq(x86_decode(&d, b, sizeof(b), X86_MODE32), X86_DEC_GP);
    /* an instruction whose immediate would end at byte 16 */
    memset(b, 0x2e, 10);
    memcpy(b + 10, "\x81\x80\x00\x00\x00\x00", 6);
    cr_assert_eq(x86_decode(&d, b, sizeof(b), X86_MODE32), X86_DEC_GP);
    /* #GP even when the caller gave fewer bytes than that */
    cr_assert_eq(x86_decode(&d, b, 15, X86_MODE32), X86_DEC_GP);
}

Test(decode, truncated_input_reports_missing_bytes)
{
    static const char *const hex[] = {
        "b8 01 02 03 04",
        "0f 38 00 c1",
        "c4 e2 7d 18 00",
        "8b 84 24 10 00 00 00",
        "48 a1 f0 de bc 9a 78 56 34 12",
        "66 f3 0f 58 c1",
        "62 f1 7c 48 58 c1",
    };
    for (unsigned i = 0; i < ARRAY_LEN(hex); i++) {
        uint8_t b[16];
        size_t n = thex(b, hex[i]);
        DecodedInsn d;
        for (size_t avail = 0; avail < n; avail++) {
            int r = x86_decode(&d, b, avail, X86_MODE64);
            cr_assert_gt(r, 0, "%s avail %zu: %d", hex[i], avail, r);
            cr_assert_leq(avail + r, n, "%s avail %zu asks %d", hex[i], avail,
                          r);
        }
        cr_assert_eq(x86_decode(&d, b, n, X86_MODE64), X86_DEC_OK, "%s",
                     hex[i]);
        cr_assert_eq(d.len, n);
    }
}

Test(decode, never_reads_past_avail)
{
    long pg = sysconf(_SC_PAGESIZE);
    uint8_t *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(m, MAP_FAILED);
    cr_assert_eq(mprotect(m + pg, pg, PROT_NONE), 0);
    static const char *const hex[] = {
        "48 b8 88 77 66", "66 66 66", "c4 e2", "0f", "8b 04", "f3 0f 1e"};
    for (unsigned i = 0; i < ARRAY_LEN(hex); i++) {
        uint8_t b[16];
        size_t n = thex(b, hex[i]);
        memcpy(m + pg - n, b, n);
        DecodedInsn d;
        cr_assert_gt(x86_decode(&d, m + pg - n, n, X86_MODE64), 0, "%s",
                     hex[i]);
    }
    munmap(m, 2 * pg);
}

Test(decode, lock_rules)
{
    DecodedInsn d;
    cr_assert_eq(tdec(&d, X86_MODE64, "f0 01 00"), X86_DEC_OK);
    cr_assert(d.pfx & XP_LOCK);
    cr_assert_eq(tdec(&d, X86_MODE64, "f0 01 c0"), X86_DEC_UD, "reg dest");
    cr_assert_eq(tdec(&d, X86_MODE64, "f0 03 00"), X86_DEC_UD, "reg dest");
    cr_assert_eq(tdec(&d, X86_MODE64, "f0 8b 00"), X86_DEC_UD, "mov");
    cr_assert_eq(tdec(&d, X86_MODE64, "f0 39 00"), X86_DEC_UD, "cmp");
    cr_assert_eq(tdec(&d, X86_MODE64, "f0 0f a3 00"), X86_DEC_UD, "bt");
    cr_assert_eq(tdec(&d, X86_MODE64, "f0 0f ab 00"), X86_DEC_OK, "bts");
    cr_assert_eq(tdec(&d, X86_MODE64, "f0 87 00"), X86_DEC_OK, "xchg");
    cr_assert_eq(tdec(&d, X86_MODE64, "f0 0f c7 08"), X86_DEC_OK);
    cr_assert_eq(tdec(&d, X86_MODE64, "f0 80 30 01"), X86_DEC_OK, "xor");
    cr_assert_eq(tdec(&d, X86_MODE64, "f0 80 38 01"), X86_DEC_UD, "cmp");
    cr_assert_eq(tdec(&d, X86_MODE64, "f0 f6 10"), X86_DEC_OK, "not");
    cr_assert_eq(tdec(&d, X86_MODE64, "f0 f6 00 01"), X86_DEC_UD, "test");
    cr_assert_eq(tdec(&d, X86_MODE64, "f0 0f 20 c0"), X86_DEC_UD, "mov cr");
    cr_assert_eq(tdec(&d, X86_MODE64, "f0 90"), X86_DEC_UD, "nop");
}
