/*
 * Helper memory accesses (interrupt frames, IDT and descriptor reads go
 * through tlb_ld_slow/tlb_st_slow) take a first-level hit directly, as
 * generated code does, but only on plain RAM: a store to a page with
 * translated code must still reach the code hook, a page-crossing access
 * must still see both pages, and a fault must still be raised.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tiny_machine.h"

#define MO_KERNEL(size) ((size) | IR_MO_MMU(MMU_IDX_KERNEL))

static TinyMachine m;

/* mov eax, imm32; int3 */
static void put_mov_eax(uint32_t imm)
{
    uint8_t code[] = {0xb8, 0, 0, 0, 0, 0xcc};
    memcpy(code + 1, &imm, 4);
    cr_assert_eq(tm_run(&m, code, sizeof(code)), 3);
    cr_assert_eq(m.env->regs[R_EAX], imm);
}

Test(helper_access, loads_and_stores_hit_plain_ram)
{
    for (size_t b = 0; b < 2; b++) {
        tm_new(&m, tm_backends[b], 0, 0);
        put_mov_eax(1); /* fills the code page's entries */
        tlb_st_slow(m.env, TM_DATA + 8, 0x1122334455667788ull,
                    MO_KERNEL(IR_MO_64), 0);
        cr_assert_eq(tlb_ld_slow(m.env, TM_DATA + 8, MO_KERNEL(IR_MO_64), 0),
                     0x1122334455667788ull);
        /* filled now: the same through the direct hit */
        cr_assert_eq(tlb_ld_slow(m.env, TM_DATA + 12, MO_KERNEL(IR_MO_32), 0),
                     0x11223344u);
        tlb_st_slow(m.env, TM_DATA + 9, 0xab, MO_KERNEL(IR_MO_8), 0);
        uint64_t v;
        memcpy(&v, m.mem + TM_DATA + 8, 8);
        cr_assert_eq(v, 0x112233445566ab88ull);
        /* across a page edge: both pages */
        tlb_st_slow(m.env, TM_DATA + 0xffe, 0xa1b2c3d4u, MO_KERNEL(IR_MO_32),
                    0);
        cr_assert_eq(m.mem[TM_DATA + 0x1000], 0xb2);
        cr_assert_eq(
            tlb_ld_slow(m.env, TM_DATA + 0xffe, MO_KERNEL(IR_MO_32), 0),
            0xa1b2c3d4u);
        tm_free(&m);
    }
}

Test(helper_access, a_store_into_translated_code_drops_it)
{
    for (size_t b = 0; b < 2; b++) {
        tm_new(&m, tm_backends[b], 0, 0);
        put_mov_eax(1);
        /* a store beside the code fills the page's write entry (code tag) */
        tlb_st_slow(m.env, TM_CODE + 0x800, 0, MO_KERNEL(IR_MO_8), 0);
        tlb_st_slow(m.env, TM_CODE + 1, 2, MO_KERNEL(IR_MO_32), 0);
        cr_assert_eq(tm_run_cpu(m.env, TM_CODE), 3);
        cr_assert_eq(m.env->regs[R_EAX], 2,
                     "stale code ran after a helper "
                     "store into it");
        tm_free(&m);
    }
}
