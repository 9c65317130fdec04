/*
 * Segment loads and far transfers in long mode (helper_seg.c), both
 * backends: MOV Sreg with each descriptor check and its error code, the
 * accessed bit, far JMP into compatibility mode and back, far CALL/RET.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tiny_machine.h"

#define GDT 0x60000ull

static TinyMachine m;

static const uint64_t gdt[] = {
    0,
    0x00af9a000000ffffull, /* 0x08: 64-bit code, DPL 0 */
    0x00cf92000000ffffull, /* 0x10: data, DPL 0 */
    0x00cf9a000000ffffull, /* 0x18: 32-bit code, DPL 0 */
    0x00cf12000000ffffull, /* 0x20: data, not present */
    0x00cff2000000ffffull, /* 0x28: data, DPL 3 */
    0x0000820000000000ull, /* 0x30: an LDT descriptor (system) */
    0x00cf98000000ffffull, /* 0x38: execute-only code */
};

static void setup(size_t b)
{
    tm_new(&m, tm_backends[b], 0, 0);
    memcpy(m.mem + GDT, gdt, sizeof(gdt));
    m.env->gdt.base = GDT;
    m.env->gdt.limit = sizeof(gdt) - 1;
    m.env->ldt.attr |= SEG_AR_UNUSABLE; /* LLDT 0 */
    m.env->segs[R_CS].selector = 0x08;  /* the 64-bit code segment */
}

/* mov ds (or ss), ax with ax = sel: the vector */
static int mov_sreg(bool ss, uint16_t sel)
{
    m.env->regs[R_EAX] = sel;
    uint8_t code[] = {0x8e, (uint8_t)(ss ? 0xd0 : 0xd8)};
    return tm_run(&m, code, sizeof(code));
}

Test(seg, mov_sreg_checks_each_descriptor)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        cr_assert_eq(mov_sreg(false, 0x10), 3);
        cr_assert_eq(m.env->segs[R_DS].selector, 0x10);
        cr_assert(m.mem[GDT + 0x10 + 5] & 1, "accessed bit");
        static const struct {
            bool ss;
            uint16_t sel;
            int vector;
            uint32_t err;
        } bad[] = {
            {false, 0x20, 11, 0x20}, /* not present: #NP */
            {false, 0x30, 13, 0x30}, /* system descriptor */
            {false, 0x38, 13, 0x38}, /* execute-only code */
            {false, 0x40, 13, 0x40}, /* beyond the limit */
            {false, 0x44, 13, 0x44}, /* the LDT (null): TI stays */
            {true, 0x28, 13, 0x28},  /* SS with DPL 3 at CPL 0 */
            {true, 0x1b, 13, 0x18},  /* SS with RPL 3 */
            {true, 0x18, 13, 0x18},  /* SS: code */
        };
        for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
            int v = mov_sreg(bad[i].ss, bad[i].sel);
            cr_assert_eq(v, bad[i].vector, "case %zu: vector %d", i, v);
            cr_assert_eq(m.env->error_code, bad[i].err, "case %zu: 0x%x", i,
                         m.env->error_code);
            cr_assert_eq(m.env->rip, TM_CODE, "case %zu", i);
        }
        cr_assert_eq(mov_sreg(false, 0x28), 3, "DPL 3 data at CPL 0");
        cr_assert_eq(mov_sreg(true, 0x10), 3);
        cr_assert_eq(m.env->segs[R_SS].selector, 0x10);
        cr_assert_eq(mov_sreg(true, 0), 3, "null SS at CPL 0 in 64-bit mode");
        static const uint8_t mov_cs[] = {0x8e, 0xc8};
        cr_assert_eq(tm_run(&m, mov_cs, sizeof(mov_cs)), 6);
        static const uint8_t get_ds[] = {0x8c, 0xd8}; /* mov eax, ds */
        cr_assert_eq(tm_run(&m, get_ds, sizeof(get_ds)), 3);
        cr_assert_eq(m.env->regs[R_EAX], 0x28);
        tm_free(&m);
    }
}

/*
 * jmp far [rbx] (m16:32) to 0x18 (32-bit code): mov eax, 0x1234, then
 * jmp far 0x08:back (ptr16:32) into 64-bit code again.
 */
Test(seg, far_jmp_into_compatibility_mode_and_back)
{
    static const uint8_t main_code[] = {0xff, 0x2b};
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        uint8_t compat[] = {0xb8, 0x34, 0x12, 0, 0,    0xea,
                            0,    0,    0,    0, 0x08, 0x00};
        uint32_t back = (uint32_t)(TM_CODE + 0x200);
        memcpy(compat + 6, &back, 4);
        uint8_t page[0x1000];
        memset(page, 0xcc, sizeof(page));
        memcpy(page, main_code, sizeof(main_code));
        memcpy(page + 0x100, compat, sizeof(compat));
        uint8_t ptr[6] = {0, 0, 0, 0, 0x18, 0};
        uint32_t tgt = (uint32_t)(TM_CODE + 0x100);
        memcpy(ptr, &tgt, 4);
        memcpy(m.mem + TM_DATA, ptr, sizeof(ptr));
        cr_assert_eq(as_write(m.as, TM_CODE, page, sizeof(page), MEMATTRS_CPU),
                     MEMTX_OK);
        m.env->regs[R_EBX] = TM_DATA;
        cr_assert_eq(tm_run_cpu(m.env, TM_CODE), 3);
        cr_assert_eq(m.env->regs[R_EAX], 0x1234, "the 32-bit code ran");
        cr_assert_eq(m.env->segs[R_CS].selector, 0x08);
        cr_assert(m.env->hflags & HF_CS64);
        cr_assert_eq(m.env->rip, TM_CODE + 0x201);
        /* into a data segment: #GP(selector) at the jump */
        ptr[4] = 0x10;
        memcpy(m.mem + TM_DATA, ptr, sizeof(ptr));
        cr_assert_eq(tm_run_cpu(m.env, TM_CODE), 13);
        cr_assert_eq(m.env->error_code, 0x10);
        cr_assert_eq(m.env->rip, TM_CODE);
        tm_free(&m);
    }
}

/* rex.w call far [rbx] (m16:64) -> mov ecx, 7; rex.w retf */
Test(seg, far_call_and_return)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        uint8_t page[0x1000];
        memset(page, 0xcc, sizeof(page));
        static const uint8_t call[] = {0x48, 0xff, 0x1b};
        static const uint8_t callee[] = {0xb9, 7, 0, 0, 0, 0x48, 0xcb};
        memcpy(page, call, sizeof(call));
        memcpy(page + 0x300, callee, sizeof(callee));
        uint64_t tgt = TM_CODE + 0x300;
        memcpy(m.mem + TM_DATA, &tgt, 8);
        uint16_t sel = 0x08;
        memcpy(m.mem + TM_DATA + 8, &sel, 2);
        cr_assert_eq(as_write(m.as, TM_CODE, page, sizeof(page), MEMATTRS_CPU),
                     MEMTX_OK);
        m.env->regs[R_EBX] = TM_DATA;
        uint64_t rsp = m.env->regs[R_ESP];
        int v = tm_run_cpu(m.env, TM_CODE);
        cr_assert_eq(v, 3, "vector %d err 0x%x rip 0x%llx", v,
                     m.env->error_code, (unsigned long long)m.env->rip);
        cr_assert_eq(m.env->regs[R_ECX], 7);
        cr_assert_eq(m.env->rip, TM_CODE + sizeof(call) + 1);
        cr_assert_eq(m.env->regs[R_ESP], rsp);
        uint64_t pushed_cs;
        memcpy(&pushed_cs, m.mem + rsp - 8, 8);
        cr_assert_eq(pushed_cs & 0xffff, 0x08, "the old CS was pushed");
        tm_free(&m);
    }
}
