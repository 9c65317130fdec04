/*
 * LLDT/LTR with 16-byte system descriptors in long mode, SLDT/STR, and
 * RD/WR FS/GS base, both backends.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tiny_machine.h"

#define GDT 0x60000ull

static TinyMachine m;

static void setup(size_t b)
{
    tm_new(&m, tm_backends[b], 0, 0);
    memset(m.mem + GDT, 0, 0x100);
    /* 0x40: available 64-bit TSS at 0x123456780000, limit 0x67 */
    uint64_t tss_lo = 0x0000890000000067ull | (0x780000ull << 16);
    tss_lo |= 0x56ull << 56; /* base 31:24 */
    uint64_t tss_hi = 0x1234;
    memcpy(m.mem + GDT + 0x40, &tss_lo, 8);
    memcpy(m.mem + GDT + 0x48, &tss_hi, 8);
    /* 0x50: LDT at 0x65000, limit 0xff */
    uint64_t ldt_lo = 0x00008206500000ffull;
    memcpy(m.mem + GDT + 0x50, &ldt_lo, 8);
    /* 0x60: a data segment (not a system descriptor) */
    uint64_t data = 0x00cf92000000ffffull;
    memcpy(m.mem + GDT + 0x60, &data, 8);
    m.env->gdt.base = GDT;
    m.env->gdt.limit = 0x7f;
}

#define RUN(...)                                                               \
    ({                                                                         \
        static const uint8_t c_[] = {__VA_ARGS__};                             \
        tm_run(&m, c_, sizeof(c_));                                            \
    })

Test(sysseg, ltr_and_lldt_load_16_byte_descriptors)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        m.env->regs[R_EAX] = 0x40;
        cr_assert_eq(RUN(0x0f, 0x00, 0xd8), 3); /* ltr ax */
        cr_assert_eq(m.env->tr.base, 0x123456780000ull);
        cr_assert_eq(m.env->tr.limit, 0x67);
        cr_assert_eq(m.env->tr.selector, 0x40);
        cr_assert_eq((m.mem[GDT + 0x45] & 0xf), 0xb, "marked busy");
        cr_assert_eq(RUN(0x0f, 0x00, 0xd8), 13, "busy: #GP");
        cr_assert_eq(m.env->error_code, 0x40);
        m.env->regs[R_EAX] = 0x50;
        cr_assert_eq(RUN(0x0f, 0x00, 0xd0), 3); /* lldt ax */
        cr_assert_eq(m.env->ldt.base, 0x65000);
        cr_assert_eq(m.env->ldt.limit, 0xff);
        m.env->regs[R_EAX] = 0x60;
        cr_assert_eq(RUN(0x0f, 0x00, 0xd0), 13, "a data segment");
        m.env->regs[R_EAX] = 0x54;
        cr_assert_eq(RUN(0x0f, 0x00, 0xd0), 13, "TI = 1");
        m.env->regs[R_EAX] = 0;
        cr_assert_eq(RUN(0x0f, 0x00, 0xd8), 13, "null TR");
        cr_assert_eq(RUN(0x0f, 0x00, 0xd0), 3, "null LDTR");
        cr_assert(m.env->ldt.attr & SEG_AR_UNUSABLE);
        cr_assert_eq(RUN(0x0f, 0x00, 0xc8), 3); /* str eax */
        cr_assert_eq(m.env->regs[R_EAX], 0x40);
        tm_free(&m);
    }
}

Test(sysseg, fs_and_gs_base_instructions)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        m.env->regs[R_EAX] = 0x7000;
        /* wrfsbase rax */
        cr_assert_eq(RUN(0xf3, 0x48, 0x0f, 0xae, 0xd0), 6, "CR4.FSGSBASE off");
        m.env->cr[4] |= CR4_FSGSBASE;
        cpu_update_hflags(m.env);
        cr_assert_eq(RUN(0xf3, 0x48, 0x0f, 0xae, 0xd0), 3);
        cr_assert_eq(m.env->segs[R_FS].base, 0x7000);
        m.env->segs[R_GS].base = 0x9000;
        cr_assert_eq(RUN(0xf3, 0x48, 0x0f, 0xae, 0xc8), 3); /* rdgsbase rax */
        cr_assert_eq(m.env->regs[R_EAX], 0x9000);
        m.env->regs[R_EAX] = 0x0000800000000000ull;
        cr_assert_eq(RUN(0xf3, 0x48, 0x0f, 0xae, 0xd0), 13, "non-canonical");
        tm_free(&m);
    }
}
