/*
 * POPF's privilege rules (SDM vol. 2 POPF), which the host cannot show
 * from user mode: IOPL changes at CPL 0 only, IF when CPL <= IOPL, RF is
 * cleared, VIP/VIF/VM never change, POPFW touches bits 15:0 only; and the
 * block ends after a POPF that changes hflags, so the next instruction
 * runs with the new AC (SMAP override at CPL 0).
 */
#include <criterion/criterion.h>

#include "tiny_machine.h"

#define F_IF 0x200ull
#define F_IOPL 0x3000ull
#define F_RF 0x10000ull
#define F_AC 0x40000ull
#define F_VIF 0x80000ull
#define F_VIP 0x100000ull
#define F_ID 0x200000ull
#define F_NT 0x4000ull

/* mov rax, imm64; push rax; popf (66h: popfw); int3 */
static uint64_t popf_run(unsigned cpl, uint64_t iopl, uint64_t image, bool w16,
                         TcgBackendKind be)
{
    uint8_t code[16] = {0x48, 0xb8};
    size_t n = 2;
    for (unsigned i = 0; i < 8; i++) {
        code[n++] = (uint8_t)(image >> (8 * i));
    }
    code[n++] = 0x50;
    if (w16) {
        code[n++] = 0x66;
    }
    code[n++] = 0x9d;
    TinyMachine m;
    tm_new(&m, be, cpl, 0);
    cpu_load_eflags(m.env, (iopl << 12) | F_VIP | F_VIF | F_RF,
                    F_IOPL | F_VIP | F_VIF | F_RF | F_IF);
    if (w16) {
        m.env->regs[R_ESP] += 6; /* popfw pops the low 2 bytes */
    }
    cr_assert_eq(tm_run(&m, code, n), 3);
    uint64_t fl = tm_rflags(&m);
    tm_free(&m);
    return fl;
}

Test(popf_priv, iopl_and_if_by_cpl)
{
    uint64_t img = F_IOPL | F_IF | F_AC | F_ID | F_NT | 0x8d5;
    for (size_t b = 0; b < ARRAY_LEN(tm_backends); b++) {
        TcgBackendKind be = tm_backends[b];
        uint64_t fl = popf_run(0, 0, img, false, be);
        cr_expect_eq(fl & (F_IOPL | F_IF), F_IOPL | F_IF, "CPL 0: both");
        cr_expect_eq(fl & 0xdd5, 0x8d5, "arithmetic; DF and TF clear");
        cr_expect_eq(fl & (F_AC | F_ID | F_NT), F_AC | F_ID | F_NT);
        fl = popf_run(3, 0, img, false, be);
        cr_expect_eq(fl & (F_IOPL | F_IF), 0, "CPL 3 > IOPL: neither");
        cr_expect_eq(fl & (F_AC | F_ID | F_NT), F_AC | F_ID | F_NT);
        fl = popf_run(3, 3, 0, false, be);
        cr_expect_eq(fl & (F_IOPL | F_IF), F_IOPL, "CPL 3 = IOPL: IF only");
        fl = popf_run(3, 3, F_IF, false, be);
        cr_expect_eq(fl & F_IF, F_IF);
    }
}

Test(popf_priv, rf_cleared_vif_vip_kept_popfw_low_half)
{
    for (size_t b = 0; b < ARRAY_LEN(tm_backends); b++) {
        TcgBackendKind be = tm_backends[b];
        uint64_t fl = popf_run(0, 0, F_RF | F_ID, false, be);
        cr_expect_eq(fl & F_RF, 0, "RF cleared");
        cr_expect_eq(fl & (F_VIF | F_VIP), F_VIF | F_VIP, "VIF/VIP kept");
        cr_expect(fl & F_ID);
        /* popfw: bits 15:0 only; RF, VIF, VIP, AC, ID untouched */
        fl = popf_run(0, 0, 0xffffffffffff0000ull | F_NT | 0x1, true, be);
        cr_expect_eq(fl & (F_VIF | F_VIP), F_VIF | F_VIP);
        /* RF itself is cleared by the first instruction (SDM 18.3.1.1) */
        cr_expect_eq(fl & F_RF, 0);
        cr_expect_eq(fl & (F_AC | F_ID), 0);
        cr_expect_eq(fl & (F_NT | 0x1 | F_IF), F_NT | 0x1, "low half");
    }
}

/*
 * CPL 0 with CR4.SMAP: a load from a user page faults unless AC is set.
 * POPF setting AC must end the block so the load is translated with the
 * SMAP-override MMU index.
 */
Test(popf_priv, popf_ac_reaches_the_next_instruction)
{
    static const uint8_t code[] = {
        0x68, 0x02, 0x02, 0x04, 0x00,             /* push 0x40202 (AC, IF) */
        0x9d,                                     /* popf */
        0x8b, 0x04, 0x25, 0x00, 0x00, 0x04, 0x00, /* mov eax, [0x40000] */
        0x68, 0x02, 0x02, 0x00, 0x00,             /* push 0x202 */
        0x9d,                                     /* popf */
        0x8b, 0x0c, 0x25, 0x00, 0x00, 0x04, 0x00, /* mov ecx, [0x40000] */
    };
    for (size_t b = 0; b < ARRAY_LEN(tm_backends); b++) {
        TinyMachine m;
        tm_new(&m, tm_backends[b], 0, 0);
        m.env->cr[4] |= CR4_SMAP;
        cpu_update_hflags(m.env);
        m.mem[TM_DATA] = 0x5a;
        cr_assert_eq(tm_run(&m, code, sizeof(code)), 14, "the second load");
        cr_expect_eq(m.env->regs[R_EAX], 0x5a, "the first load ran");
        cr_expect_eq(m.env->rip, TM_CODE + 19);
        cr_expect_eq(tm_rflags(&m) & F_AC, 0);
        tm_free(&m);
    }
}
