/*
 * SMAP with STAC/CLAC, and protection keys (PKRU with RDPKRU/WRPKRU, PKS
 * for supervisor pages), both backends, on the tiny machine's 4-level
 * paging: user pages everywhere but the kernel stack page.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tiny_machine.h"

static TinyMachine m;

static void set_cr4(uint64_t bits)
{
    m.env->cr[4] |= bits;
    cpu_update_hflags(m.env);
    tlb_flush(m.env);
}

Test(prot, stac_and_clac_switch_smap)
{
    /* stac; mov eax, [rbx]; clac; mov ecx, [rbx] */
    static const uint8_t code[] = {0x0f, 0x01, 0xcb, 0x8b, 0x03,
                                   0x0f, 0x01, 0xca, 0x8b, 0x0b};
    for (size_t b = 0; b < 2; b++) {
        tm_new(&m, tm_backends[b], 0, 0);
        set_cr4(CR4_SMAP);
        memcpy(m.mem + TM_DATA, "\x11\x22\x33\x44", 4);
        m.env->regs[R_EBX] = TM_DATA;
        cr_assert_eq(tm_run(&m, code, sizeof(code)), 14, "SMAP after CLAC");
        cr_assert_eq(m.env->rip, TM_CODE + 8);
        cr_assert_eq(m.env->regs[R_EAX], 0x44332211, "read under STAC");
        cr_assert_eq(m.env->error_code, 0x1, "present, read, supervisor");
        cr_assert_eq(tm_rflags(&m) & EFL_AC, 0);
        tm_free(&m);
        tm_new(&m, tm_backends[b], 3, 0);
        cr_assert_eq(tm_run(&m, code, 3), 6, "STAC at CPL 3: #UD");
        tm_free(&m);
    }
}

Test(prot, rdpkru_wrpkru_checks)
{
    static const uint8_t rd[] = {0x0f, 0x01, 0xee};
    static const uint8_t wr[] = {0x0f, 0x01, 0xef};
    for (size_t b = 0; b < 2; b++) {
        tm_new(&m, tm_backends[b], 3, 0);
        m.env->regs[R_ECX] = 0;
        m.env->regs[R_EDX] = 0;
        cr_assert_eq(tm_run(&m, rd, sizeof(rd)), 6, "no CR4.PKE: #UD");
        cr_assert_eq(tm_run(&m, wr, sizeof(wr)), 6);
        set_cr4(CR4_PKE);
        m.env->regs[R_EAX] = 0x5554;
        cr_assert_eq(tm_run(&m, wr, sizeof(wr)), 3);
        m.env->regs[R_EAX] = 0;
        m.env->regs[R_EDX] = 0xffffffff00000000ull;
        cr_assert_eq(tm_run(&m, rd, sizeof(rd)), 3);
        cr_assert_eq(m.env->regs[R_EAX], 0x5554);
        cr_assert_eq(m.env->regs[R_EDX], 0);
        m.env->regs[R_ECX] = 1;
        cr_assert_eq(tm_run(&m, rd, sizeof(rd)), 13, "ECX != 0");
        m.env->regs[R_ECX] = 0;
        m.env->regs[R_EDX] = 1;
        cr_assert_eq(tm_run(&m, wr, sizeof(wr)), 13, "EDX != 0");
        cr_assert_eq(m.env->pkru, 0x5554);
        tm_free(&m);
    }
}

Test(prot, pkru_denies_user_pages)
{
    /* wrpkru; mov eax, [rbx]; mov [rbx], eax */
    static const uint8_t code[] = {0x0f, 0x01, 0xef, 0x8b, 0x03, 0x89, 0x03};
    for (size_t b = 0; b < 2; b++) {
        tm_new(&m, tm_backends[b], 3, 0);
        set_cr4(CR4_PKE);
        m.env->regs[R_EBX] = TM_DATA;
        m.env->regs[R_ECX] = m.env->regs[R_EDX] = 0;
        m.env->regs[R_EAX] = 2; /* key 0: write disable */
        cr_assert_eq(tm_run(&m, code, sizeof(code)), 14);
        cr_assert_eq(m.env->rip, TM_CODE + 5, "the read was allowed");
        cr_assert_eq(m.env->error_code, 0x27, "P W U PK");
        m.env->regs[R_EAX] = 1; /* key 0: access disable */
        cr_assert_eq(tm_run(&m, code, sizeof(code)), 14);
        cr_assert_eq(m.env->rip, TM_CODE + 3);
        cr_assert_eq(m.env->error_code, 0x25, "P U PK");
        m.env->regs[R_EAX] = 0x4; /* key 1 only: key 0 is free */
        cr_assert_eq(tm_run(&m, code, sizeof(code)), 3);
        tm_free(&m);
    }
}

Test(prot, pks_denies_supervisor_pages)
{
    static const uint8_t ld[] = {0x8b, 0x03}; /* mov eax, [rbx] */
    for (size_t b = 0; b < 2; b++) {
        tm_new(&m, tm_backends[b], 0, 0);
        m.env->regs[R_EBX] = TM_KSTACK - 8; /* the supervisor page */
        cr_assert_eq(tm_run(&m, ld, sizeof(ld)), 3);
        m.env->msr.pkrs = 1; /* key 0: access disable */
        set_cr4(CR4_PKS);
        cr_assert_eq(tm_run(&m, ld, sizeof(ld)), 14);
        cr_assert_eq(m.env->error_code, 0x21, "P PK, supervisor");
        m.env->regs[R_EBX] = TM_DATA; /* a user page: PKRU's business */
        cr_assert_eq(tm_run(&m, ld, sizeof(ld)), 3);
        tm_free(&m);
    }
}
