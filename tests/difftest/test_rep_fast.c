/*
 * REP MOVS / REP STOS with the bulk fast path (helper_string.c) against
 * the host CPU: long copies and fills in every element size and both
 * directions across page boundaries, overlapping copies (the destination
 * running into the source must repeat the pattern like the sequential
 * copy), copies running into an unmapped page (#PF with RCX/RSI/RDI as the
 * host leaves them), the 32-bit (67h) and 16-bit address sizes with their
 * write-back and wrap rules, and RCX = 0.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "dt_fixture.h"

#define D DT_DATA_ADDR

static void setup(void)
{
    dt_fixture_reset();
    for (unsigned i = 0; i < DT_DATA_SIZE; i++) {
        tc.init.data[i] = (uint8_t)(i * 7 + (i >> 8) * 13 + 1);
    }
    tc.init.gpr[DT_RAX] = 0x1122334455667788ull;
    tc.init.gpr[DT_RSP] = 0; /* no stack use: the whole region is data */
}

TestSuite(rep_fast, .init = setup, .timeout = 240);

static void regs(uint64_t rsi, uint64_t rdi, uint64_t rcx, bool down)
{
    tc.init.gpr[DT_RSI] = rsi;
    tc.init.gpr[DT_RDI] = rdi;
    tc.init.gpr[DT_RCX] = rcx;
    tc.init.rflags = down ? DT_DF : 0;
}

static void expect_done(void)
{
    run3(0);
    cr_assert_eq(native.exception, DT_EXC_NONE);
    cr_assert_eq(jit.final.gpr[DT_RCX], native.final.gpr[DT_RCX]);
}

/* rep movs{b,w,d,q}: code for size 1 << l */
static void case_movs(unsigned l)
{
    switch (l) {
    case 0:
        CASE(0xf3, 0xa4);
        break;
    case 1:
        CASE(0x66, 0xf3, 0xa5);
        break;
    case 2:
        CASE(0xf3, 0xa5);
        break;
    default:
        CASE(0xf3, 0x48, 0xa5);
        break;
    }
}

Test(rep_fast, movs_every_size_forward_across_pages)
{
    for (unsigned l = 0; l < 4; l++) {
        case_movs(l);
        /* 0x1ff0 bytes from offset 0x13 to 0x2009: crosses pages on both */
        regs(D + 0x13, D + 0x2009, 0x1ff0 >> l, false);
        expect_done();
        /* aligned, three pages of destination */
        regs(D + 0x2000, D + 0x1, 0x2000 >> l, false);
        expect_done();
    }
}

Test(rep_fast, movs_every_size_backward_across_pages)
{
    for (unsigned l = 0; l < 4; l++) {
        case_movs(l);
        regs(D + 0x1ff0, D + 0x3ff8 - 8, 0x1ff0 >> l, true);
        expect_done();
        regs(D + 0x3ff8, D + 0x1ff8, 0x1000 >> l, true);
        expect_done();
    }
}

Test(rep_fast, stos_forward_and_backward)
{
    CASE(0xf3, 0xaa); /* rep stosb */
    regs(0, D + 0x5, 0x3ff0, false);
    expect_done();
    regs(0, D + 0x3ffe, 0x3000, true);
    expect_done();
    CASE(0xf3, 0x48, 0xab); /* rep stosq */
    regs(0, D + 0x3, 0x7f0, false);
    expect_done();
    regs(0, D + 0x3ff0, 0x700, true);
    expect_done();
    CASE(0x66, 0xf3, 0xab); /* rep stosw */
    regs(0, D + 0x801, 0x1000, false);
    expect_done();
    CASE(0xf3, 0xab); /* rep stosd */
    regs(0, D + 0x3f01, 0x900, true);
    expect_done();
}

Test(rep_fast, overlapping_copies_are_sequential)
{
    /* forward, the destination 5 bytes above the source: a repeating run */
    CASE(0xf3, 0xa4);
    regs(D + 0x100, D + 0x105, 0x2000, false);
    expect_done();
    /* forward, the destination below the source */
    regs(D + 0x1003, D + 0x1000, 0x2000, false);
    expect_done();
    /* backward, the destination below the source (runs into it) */
    regs(D + 0x3000, D + 0x2ffd, 0x2000, true);
    expect_done();
    /* backward, the destination above the source */
    regs(D + 0x3000, D + 0x3007, 0x2000, true);
    expect_done();
    /* quadwords overlapping by less than an element */
    CASE(0xf3, 0x48, 0xa5);
    regs(D + 0x200, D + 0x203, 0x400, false);
    expect_done();
    regs(D + 0x3000, D + 0x2ffb, 0x400, true);
    expect_done();
    /* the same page both sides, no overlap */
    CASE(0xf3, 0xa5);
    regs(D + 0x1000, D + 0x1800, 0x200, false);
    expect_done();
}

static void expect_pf(void)
{
    run3(0);
    cr_assert_eq(native.exception, DT_EXC_PF);
    cr_assert_eq(jit.exception, DT_EXC_PF);
    cr_assert_eq(interp.exception, DT_EXC_PF);
    cr_assert_eq(jit.final.gpr[DT_RCX], native.final.gpr[DT_RCX]);
    cr_assert_eq(jit.final.gpr[DT_RSI], native.final.gpr[DT_RSI]);
    cr_assert_eq(jit.final.gpr[DT_RDI], native.final.gpr[DT_RDI]);
}

Test(rep_fast, runs_into_an_unmapped_page)
{
    for (unsigned l = 0; l < 4; l++) {
        case_movs(l);
        /* the destination runs off the end of the region */
        regs(D + 0x10, D + 0x3001, 0x2000 >> l, false);
        expect_pf();
        /* the source does */
        regs(D + 0x2803, D + 0x100, 0x2000 >> l, false);
        expect_pf();
        /* backward below the region: the source, then the destination */
        regs(D + 0x802, D + 0x3000, 0x1000 >> l, true);
        expect_pf();
        regs(D + 0x3000, D + 0x403, 0x1000 >> l, true);
        expect_pf();
    }
    CASE(0xf3, 0xaa);
    regs(0, D + 0x3100, 0x1000, false);
    expect_pf();
    CASE(0xf3, 0x48, 0xab);
    regs(0, D + 0x804, 0x200, true);
    expect_pf();
    /* the first element already faults: nothing moves */
    CASE(0xf3, 0xa5);
    regs(D + DT_DATA_SIZE, D, 0x100, false);
    expect_pf();
    regs(D, D + DT_DATA_SIZE - 2, 0x100, false); /* a split element */
    expect_pf();
    /* writing the read-only code page */
    regs(D, DT_CODE_ADDR + 0x800, 0x100, false);
    expect_pf();
}

Test(rep_fast, rcx_zero_and_address_size_32)
{
    CASE(0xf3, 0xa4);
    regs(D, D + 0x1000, 0, false);
    expect_done();
    /* 67h: ESI/EDI/ECX only, written back zero-extended */
    CASE(0x67, 0xf3, 0xa4);
    regs(0xabcd000000000000ull | (D + 0x10),
         0x1234000000000000ull | (D + 0x2000), 0x500001800ull, false);
    expect_done();
    cr_assert_eq(jit.final.gpr[DT_RCX], 0);
    regs(D, D + 0x1000, 0x100000000ull, false); /* ECX = 0: nothing */
    expect_done();
    cr_assert_eq(jit.final.gpr[DT_RSI], D);
    CASE(0x67, 0xf3, 0x48, 0xab);
    regs(0, 0xffffffff00000000ull | (D + 0x3ff8), 0x7ff, true);
    expect_done();
    CASE(0x67, 0xf3, 0x66, 0xa5);
    regs(D + 0x3ffe, 0x77ull << 32 | (D + 0x1ffe), 0xffffffff00000900ull, true);
    expect_done();
}

Test(rep_fast, code_32_bit)
{
    tc.mode = DT_MODE32;
    CASE(0xf3, 0xa5); /* rep movsd */
    regs(D + 0x11, D + 0x2003, 0x7f0, false);
    expect_done();
    regs(D + 0x11, D + 0x15, 0x7f0, false); /* overlapping */
    expect_done();
    CASE(0xf3, 0xaa); /* rep stosb */
    regs(0, D + 0x3fff, 0x3000, true);
    expect_done();
    CASE(0x67, 0xf3, 0xa4);                /* 16-bit addresses in 32-bit code */
    regs(D + 0x10, D + 0x20, 0x10, false); /* beyond 64 KiB: #PF */
    run3(0);
}

Test(rep_fast, code_16_bit_offsets_wrap)
{
    tc.mode = DT_MODE16;
    CASE(0xf3, 0xa4); /* rep movsb: SI/DI/CX, offsets in DS/ES */
    regs(0x10, 0x2003, 0x12341ff0, false);
    expect_done();
    /* backward: SI wraps below 0 to 0xffff (unmapped): #PF */
    regs(0x20, 0x3000, 0x100, true);
    expect_pf();
    CASE(0xf3, 0x66, 0xa5);         /* rep movsd */
    regs(0x8, 0x3ff0, 0x300, true); /* SI to 0xfffc */
    expect_pf();
    regs(0x3, 0x2001, 0x5ff, false);
    expect_done();
    CASE(0xf3, 0xab); /* rep stosw */
    regs(0, 0x3ffe, 0x2000, true);
    expect_done();
}
