/*
 * Rules of the TB key: what the translator reads comes from the key. In
 * 64-bit mode the CS base is 0 whatever the segment cache holds, and the
 * canonical check of a branch target follows CR4.LA57 (57 bits, else 48).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tiny_machine.h"

Test(rules, cs_base_is_ignored_in_64_bit_mode)
{
    static const uint8_t code[] = {0xb8, 7, 0, 0, 0}; /* mov eax, 7; int3 */
    for (size_t b = 0; b < 2; b++) {
        TinyMachine m;
        tm_new(&m, tm_backends[b], 0, 0);
        m.env->segs[R_CS].base = 0x1000; /* stale cache from before LMA */
        cr_assert_eq(tm_run(&m, code, sizeof(code)), 3);
        cr_assert_eq(m.env->regs[R_EAX], 7);
        cr_assert_eq(m.env->rip, TM_CODE + sizeof(code) + 1);
        tm_free(&m);
    }
}

/* jmp rax to 2^47: non-canonical with 48 bits, canonical with 57 */
static int jump_to_bit47(TinyMachine *m, bool la57)
{
    static const uint8_t code[] = {
        0x48, 0xb8, 0, 0, 0, 0, 0, 0x80, 0, 0, 0xff, 0xe0}; /* mov rax, 1<<47 */
    /* 5-level paging: a PML5 at 0xf000 whose entry 0 is the PML4 */
    const uint64_t pml5e = 0x1000 | 7;
    memcpy(m->mem + 0xf000, &pml5e, 8);
    if (la57) {
        m->env->cr[4] |= CR4_LA57;
        m->env->cr[3] = 0xf000;
    } else {
        m->env->cr[4] &= ~(uint64_t)CR4_LA57;
        m->env->cr[3] = 0x1000;
    }
    cpu_update_hflags(m->env);
    tlb_flush(m->env);
    return tm_run(m, code, sizeof(code));
}

Test(rules, branch_canonical_check_follows_la57)
{
    for (size_t b = 0; b < 2; b++) {
        TinyMachine m;
        tm_new(&m, tm_backends[b], 0, 0);
        cr_assert_eq(jump_to_bit47(&m, false), 13, "48-bit: #GP");
        cr_assert_eq(m.env->rip, TM_CODE + 10, "#GP at the jmp");
        /* 5-level walk: PML5[0] -> PML4[256] is empty */
        cr_assert_eq(jump_to_bit47(&m, true), 14, "57-bit: #PF fetching");
        cr_assert_eq(m.env->exception_cr2, 1ull << 47, "cr2 0x%llx rip 0x%llx",
                     (unsigned long long)m.env->exception_cr2,
                     (unsigned long long)m.env->rip);
        cr_assert_eq(jump_to_bit47(&m, false), 13, "48-bit again");
        tm_free(&m);
    }
}
