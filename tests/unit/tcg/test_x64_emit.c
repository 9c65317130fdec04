/*
 * tests/unit/tcg/test_x64_emit.c: the x86-64 encoder against capstone.
 *
 * Each test emits one form for many registers (r8-r15, and rsp/rbp/r12/r13
 * as a base, which need SIB bytes or displacements) and compares capstone's
 * disassembly text of the bytes with the expected assembly, built from
 * register-name tables. A few forms are also checked against byte strings.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "tcg/x86_64/x64_emit.h"

#ifdef CONFIG_CAPSTONE
#include <capstone/capstone.h>

static const char *const r64[] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp",
                                  "rsi", "rdi", "r8",  "r9",  "r10", "r11",
                                  "r12", "r13", "r14", "r15"};
static const char *const r32[] = {"eax",  "ecx",  "edx",  "ebx", "esp",  "ebp",
                                  "esi",  "edi",  "r8d",  "r9d", "r10d", "r11d",
                                  "r12d", "r13d", "r14d", "r15d"};
static const char *const r16[] = {"ax",   "cx",   "dx",   "bx",  "sp",   "bp",
                                  "si",   "di",   "r8w",  "r9w", "r10w", "r11w",
                                  "r12w", "r13w", "r14w", "r15w"};
static const char *const r8n[] = {"al",   "cl",   "dl",   "bl",  "spl",  "bpl",
                                  "sil",  "dil",  "r8b",  "r9b", "r10b", "r11b",
                                  "r12b", "r13b", "r14b", "r15b"};
static const char *const *const rn[] = {r8n, r16, r32, r64};
static const char *const ptr[] = {"byte", "word", "dword", "qword"};
static const char *const alu[] = {"add", "or",  "adc", "sbb",
                                  "and", "sub", "xor", "cmp"};
static const char *const cc[] = {"o", "no", "b", "ae", "e", "ne", "be", "a",
                                 "s", "ns", "p", "np", "l", "ge", "le", "g"};
static const int32_t disps[] = {0, 8, -16, 0x100, -0x12345678, 127, -128};

static uint8_t buf[256];
static X64Asm A;
static csh cs;

static void setup(void)
{
    cr_assert_eq(cs_open(CS_ARCH_X86, CS_MODE_64, &cs), CS_ERR_OK);
}

static void teardown(void)
{
    cs_close(&cs);
    x64_asm_free(&A);
}

static void start(void)
{
    x64_asm_init(&A, buf, 0, sizeof(buf));
}

/* disassembly of A as "mnemonic ops; mnemonic ops" */
static void disas(char *out, size_t n)
{
    cs_insn *insn;
    size_t cnt = cs_disasm(cs, buf, A.pos, 0, 0, &insn);
    size_t used = 0, len = 0;
    out[0] = 0;
    for (size_t i = 0; i < cnt; i++) {
        len += snprintf(out + len, n - len, "%s%s%s%s", i ? "; " : "",
                        insn[i].mnemonic, insn[i].op_str[0] ? " " : "",
                        insn[i].op_str);
        used += insn[i].size;
    }
    if (cnt) {
        cs_free(insn, cnt);
    }
    cr_assert_eq(used, A.pos, "undecoded bytes after \"%s\"", out);
}

static void expect(const char *fmt, ...)
{
    char want[256], got[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(want, sizeof(want), fmt, ap);
    va_end(ap);
    disas(got, sizeof(got));
    cr_assert_str_eq(got, want);
}

/* capstone's number style: decimal below 10, hex above */
static const char *num(int64_t v)
{
    static char s[4][32];
    static int k;
    char *p = s[k++ & 3];
    uint64_t m = v < 0 ? -(uint64_t)v : (uint64_t)v;
    snprintf(p, 32, m < 10 ? "%s%llu" : "%s0x%llx", v < 0 ? "-" : "",
             (unsigned long long)m);
    return p;
}

/* "[base + disp]" in capstone's style */
static const char *mem(int base, int32_t disp)
{
    static char s[4][64];
    static int k;
    char *p = s[k++ & 3];
    if (disp == 0) {
        snprintf(p, 64, "[%s]", r64[base]);
    } else {
        snprintf(p, 64, "[%s %c %s]", r64[base], disp < 0 ? '-' : '+',
                 num(disp < 0 ? -(int64_t)disp : disp));
    }
    return p;
}

TestSuite(x64_emit, .init = setup, .fini = teardown);

Test(x64_emit, mov_rr_all_sizes)
{
    for (int sz = 0; sz < 4; sz++) {
        for (int d = 0; d < 16; d++) {
            for (int s = 0; s < 16; s += 3) {
                start();
                x64_mov_rr(&A, sz, d, s);
                expect("mov %s, %s", rn[sz][d], rn[sz][s]);
            }
        }
    }
}

Test(x64_emit, load_store_every_base_and_disp)
{
    for (int b = 0; b < 16; b++) {
        for (size_t i = 0; i < sizeof(disps) / sizeof(disps[0]); i++) {
            for (int sz = 0; sz < 4; sz++) {
                int r = (b * 5 + sz) & 15;
                start();
                x64_st(&A, sz, r, b, disps[i]);
                expect("mov %s ptr %s, %s", ptr[sz], mem(b, disps[i]),
                       rn[sz][r]);
                start();
                x64_ld(&A, X64_S64, false, r, b, disps[i]);
                expect("mov %s, qword ptr %s", r64[r], mem(b, disps[i]));
            }
        }
    }
}

Test(x64_emit, extending_loads)
{
    for (int b = 0; b < 16; b++) {
        int d = 15 - b;
        start();
        x64_ld(&A, X64_S8, false, d, b, 4);
        x64_ld(&A, X64_S8, true, d, b, 4);
        x64_ld(&A, X64_S16, false, d, b, 4);
        x64_ld(&A, X64_S16, true, d, b, 4);
        x64_ld(&A, X64_S32, false, d, b, 4);
        x64_ld(&A, X64_S32, true, d, b, 4);
        expect("movzx %s, byte ptr %s; movsx %s, byte ptr %s; "
               "movzx %s, word ptr %s; movsx %s, word ptr %s; "
               "mov %s, dword ptr %s; movsxd %s, dword ptr %s",
               r32[d], mem(b, 4), r64[d], mem(b, 4), r32[d], mem(b, 4), r64[d],
               mem(b, 4), r32[d], mem(b, 4), r64[d], mem(b, 4));
    }
}

Test(x64_emit, register_extensions)
{
    for (int d = 0; d < 16; d++) {
        int s = (d * 7 + 3) & 15;
        start();
        x64_movzx(&A, X64_S8, d, s);
        x64_movzx(&A, X64_S16, d, s);
        x64_movsx(&A, X64_S8, X64_S64, d, s);
        x64_movsx(&A, X64_S16, X64_S32, d, s);
        x64_movsx(&A, X64_S32, X64_S64, d, s);
        expect("movzx %s, %s; movzx %s, %s; movsx %s, %s; movsx %s, %s; "
               "movsxd %s, %s",
               r32[d], r8n[s], r32[d], r16[s], r64[d], r8n[s], r32[d], r16[s],
               r64[d], r32[s]);
    }
}

Test(x64_emit, movi_picks_the_short_forms)
{
    start();
    x64_movi(&A, X64_R9, 0);
    x64_movi(&A, X64_RAX, 0xffffffffu);
    x64_movi(&A, X64_R12, (uint64_t)-2);
    x64_movi(&A, X64_RSI, 0x123456789aull);
    expect("mov r9d, 0; mov eax, 0xffffffff; mov r12, -2; "
           "movabs rsi, 0x123456789a");
    cr_assert_eq(A.pos, 6 + 5 + 7 + 10);
}

Test(x64_emit, alu_all_forms)
{
    for (int op = 0; op < 8; op++) {
        for (int d = 0; d < 16; d += 5) {
            int s = (d + 9) & 15;
            start();
            x64_alu_rr(&A, op, X64_S64, d, s);
            x64_alu_rr(&A, op, X64_S32, d, s);
            x64_alu_rr(&A, op, X64_S8, d, s);
            x64_alu_ri(&A, op, X64_S64, d, 3);
            x64_alu_ri(&A, op, X64_S32, d, 0x1234);
            x64_alu_rm(&A, op, X64_S64, d, s, 0x40);
            x64_alu_mr(&A, op, X64_S32, s, -8, d);
            x64_alu_mi(&A, op, X64_S32, s, 0, 0x99999);
            expect("%s %s, %s; %s %s, %s; %s %s, %s; %s %s, 3; "
                   "%s %s, 0x1234; %s %s, qword ptr %s; "
                   "%s dword ptr %s, %s; %s dword ptr %s, 0x99999",
                   alu[op], r64[d], r64[s], alu[op], r32[d], r32[s], alu[op],
                   r8n[d], r8n[s], alu[op], r64[d], alu[op], r32[d], alu[op],
                   r64[d], mem(s, 0x40), alu[op], mem(s, -8), r32[d], alu[op],
                   mem(s, 0));
        }
    }
}

Test(x64_emit, test_and_shifts)
{
    static const char *const sh[] = {"rol", "ror", "", "",
                                     "shl", "shr", "", "sar"};
    static const int ops[] = {0, 1, 4, 5, 7};
    for (int d = 0; d < 16; d += 3) {
        for (int i = 0; i < 5; i++) {
            start();
            x64_shift_ri(&A, ops[i], X64_S64, d, 13);
            x64_shift_cl(&A, ops[i], X64_S32, d);
            expect("%s %s, 0xd; %s %s, cl", sh[ops[i]], r64[d], sh[ops[i]],
                   r32[d]);
        }
        start();
        x64_test_rr(&A, X64_S64, d, 15 - d);
        x64_test_ri(&A, X64_S32, d, 0x100);
        x64_shxd_ri(&A, false, X64_S64, d, 15 - d, 3);
        x64_shxd_ri(&A, true, X64_S32, d, 15 - d, 31);
        expect("test %s, %s; test %s, 0x100; shld %s, %s, 3; "
               "shrd %s, %s, 0x1f",
               r64[d], r64[15 - d], r32[d], r64[d], r64[15 - d], r32[d],
               r32[15 - d]);
    }
}

Test(x64_emit, multiply_and_unary)
{
    for (int d = 0; d < 16; d += 3) {
        int s = (d + 4) & 15;
        start();
        x64_imul_rr(&A, X64_S64, d, s);
        x64_imul_rri(&A, X64_S32, d, s, 5);
        x64_imul_rri(&A, X64_S64, d, s, 1000);
        x64_grp3(&A, X64_G3_MUL, X64_S64, s);
        x64_grp3(&A, X64_G3_IMUL, X64_S32, s);
        x64_grp3(&A, X64_G3_NEG, X64_S64, d);
        x64_grp3(&A, X64_G3_NOT, X64_S32, d);
        expect("imul %s, %s; imul %s, %s, 5; imul %s, %s, 0x3e8; mul %s; "
               "imul %s; neg %s; not %s",
               r64[d], r64[s], r32[d], r32[s], r64[d], r64[s], r64[s], r32[s],
               r64[d], r32[d]);
    }
}

Test(x64_emit, bit_operations)
{
    for (int d = 0; d < 16; d += 3) {
        int s = 15 - d;
        start();
        x64_bswap(&A, X64_S64, d);
        x64_bswap(&A, X64_S32, d);
        x64_bswap(&A, X64_S16, d);
        x64_bitop(&A, X64_LZCNT_GvEv, X64_S64, d, s);
        x64_bitop(&A, X64_TZCNT_GvEv, X64_S32, d, s);
        x64_bitop(&A, X64_POPCNT_GvEv, X64_S64, d, s);
        x64_bitop(&A, X64_BSR_GvEv, X64_S32, d, s);
        x64_bitop(&A, X64_BSF_GvEv, X64_S64, d, s);
        expect("bswap %s; bswap %s; rol %s, 8; lzcnt %s, %s; tzcnt %s, %s; "
               "popcnt %s, %s; bsr %s, %s; bsf %s, %s",
               r64[d], r32[d], r16[d], r64[d], r64[s], r32[d], r32[s], r64[d],
               r64[s], r32[d], r32[s], r64[d], r64[s]);
    }
}

Test(x64_emit, setcc_cmov_every_condition)
{
    for (int c = 0; c < 16; c++) {
        for (int d = 0; d < 16; d += 1) {
            int s = (d + c) & 15;
            start();
            x64_setcc(&A, c, d);
            x64_cmov(&A, c, X64_S64, d, s);
            x64_cmov(&A, c, X64_S32, s, d);
            expect("set%s %s; cmov%s %s, %s; cmov%s %s, %s", cc[c], r8n[d],
                   cc[c], r64[d], r64[s], cc[c], r32[s], r32[d]);
        }
    }
}

Test(x64_emit, lea_sib_forms)
{
    for (int b = 0; b < 16; b++) {
        int idx = b == X64_RSP ? X64_RBP : (b * 3 + 1) & 15;
        if (idx == X64_RSP) {
            idx = X64_R12;
        }
        start();
        x64_lea(&A, X64_S64, 15 - b, b, idx, 3, -0x20);
        x64_lea(&A, X64_S32, b, b, X64_NOREG, 0, 0x7fff);
        expect("lea %s, [%s + %s*8 - 0x20]; lea %s, [%s + 0x7fff]", r64[15 - b],
               r64[b], r64[idx], r32[b], r64[b]);
    }
}

Test(x64_emit, exchange_and_locked)
{
    for (int b = 0; b < 16; b += 3) {
        for (int sz = 0; sz < 4; sz++) {
            int s = (b + 6) & 15;
            start();
            x64_lock_cmpxchg(&A, sz, b, 16, s);
            x64_lock_xadd(&A, sz, b, 0, s);
            x64_xchg_mr(&A, sz, b, -4, s);
            x64_xchg_rr(&A, sz, b, s);
            expect("lock cmpxchg %s ptr %s, %s; lock xadd %s ptr %s, %s; "
                   "xchg %s ptr %s, %s; xchg %s, %s",
                   ptr[sz], mem(b, 16), rn[sz][s], ptr[sz], mem(b, 0),
                   rn[sz][s], ptr[sz], mem(b, -4), rn[sz][s], rn[sz][b],
                   rn[sz][s]);
        }
    }
}

Test(x64_emit, push_pop_indirect)
{
    for (int r = 0; r < 16; r++) {
        start();
        x64_push(&A, r);
        x64_pop(&A, r);
        x64_call_reg(&A, r);
        x64_jmp_reg(&A, r);
        x64_jmp_mem(&A, r, 8);
        x64_ret(&A);
        expect("push %s; pop %s; call %s; jmp %s; jmp qword ptr %s; ret",
               r64[r], r64[r], r64[r], r64[r], mem(r, 8));
    }
}

Test(x64_emit, stores_of_immediates)
{
    start();
    x64_sti(&A, X64_S8, X64_R13, 0, 0x7f);
    x64_sti(&A, X64_S16, X64_RSP, 2, 0x1234);
    x64_sti(&A, X64_S32, X64_R12, 0x80, -1);
    x64_sti(&A, X64_S64, X64_RBP, -8, 0x55);
    expect("mov byte ptr [r13], 0x7f; mov word ptr [rsp + 2], 0x1234; "
           "mov dword ptr [r12 + 0x80], 0xffffffff; "
           "mov qword ptr [rbp - 8], 0x55");
}

Test(x64_emit, bmi2_forms)
{
    start();
    x64_bmi2_shift(&A, X64_SH_SHL, X64_S64, X64_RAX, X64_R9, X64_RCX);
    x64_bmi2_shift(&A, X64_SH_SHR, X64_S32, X64_R10, X64_RDX, X64_R15);
    x64_bmi2_shift(&A, X64_SH_SAR, X64_S64, X64_R8, X64_R8, X64_RBX);
    x64_rorx(&A, X64_S64, X64_R11, X64_RSI, 17);
    expect("shlx rax, r9, rcx; shrx r10d, edx, r15d; sarx r8, r8, rbx; "
           "rorx r11, rsi, 0x11");
}

Test(x64_emit, labels_forward_and_backward)
{
    int fwd, back;
    start();
    back = x64_new_label(&A);
    fwd = x64_new_label(&A);
    x64_bind(&A, back);           /* 0 */
    x64_jcc(&A, X64_CC_NE, fwd);  /* 0..5 */
    x64_jcc8(&A, X64_CC_L, back); /* 6..7 */
    x64_jmp8(&A, fwd);            /* 8..9 */
    x64_jmp(&A, back);            /* 10..14 */
    x64_bind(&A, fwd);            /* 15 */
    x64_ret(&A);
    cr_assert(x64_resolve(&A));
    expect("jne 0xf; jl 0; jmp 0xf; jmp 0; ret");
}

Test(x64_emit, rel8_out_of_range_is_reported)
{
    int l;
    start();
    l = x64_new_label(&A);
    x64_jmp8(&A, l);
    x64_nops(&A, 200);
    x64_bind(&A, l);
    cr_assert_not(x64_resolve(&A));
}

Test(x64_emit, absolute_branches_and_patchable_jump)
{
    size_t at;
    x64_asm_init(&A, buf, 0x10000, sizeof(buf));
    x64_call_abs(&A, 0x20000);
    at = x64_jmp_patchable(&A, 0x10000);
    cr_assert_eq(at % 4, 0);
    cr_assert_eq(buf[at - 1], 0xe9);
    cr_assert_eq(at + 4 +
                     (int32_t)((uint32_t)buf[at] | (uint32_t)buf[at + 1] << 8 |
                               (uint32_t)buf[at + 2] << 16 |
                               (uint32_t)buf[at + 3] << 24),
                 0);
    /* too far for rel32: through r11 */
    x64_asm_init(&A, buf, 0x10000, sizeof(buf));
    x64_call_abs(&A, 0x7f0000000000ull);
    expect("movabs r11, 0x7f0000000000; call r11");
}

Test(x64_emit, overflow_is_detected_not_written)
{
    uint8_t small[8];
    memset(small, 0xcc, sizeof(small));
    x64_asm_init(&A, small, 0, 4);
    x64_movi(&A, X64_RAX, 0x123456789aull);
    cr_assert(x64_overflowed(&A));
    cr_assert_eq(small[4], 0xcc);
}

Test(x64_emit, known_byte_strings)
{
    static const uint8_t want[] = {
        0x49, 0x8b, 0x04, 0x24,       /* mov rax, [r12] */
        0x49, 0x8b, 0x45, 0x00,       /* mov rax, [r13] */
        0x40, 0x0f, 0x94, 0xc6,       /* sete sil */
        0xf0, 0x4d, 0x0f, 0xb1, 0x0a, /* lock cmpxchg [r10], r9 */
    };
    start();
    x64_ld(&A, X64_S64, false, X64_RAX, X64_R12, 0);
    x64_ld(&A, X64_S64, false, X64_RAX, X64_R13, 0);
    x64_setcc(&A, X64_CC_E, X64_RSI);
    x64_lock_cmpxchg(&A, X64_S64, X64_R10, 0, X64_R9);
    cr_assert_eq(A.pos, sizeof(want));
    cr_assert_arr_eq(buf, want, sizeof(want));
}
#endif
