/*
 * pagejump: direct jumps between two code pages (a -> b -> a ...), then the
 * same number of jumps inside one page. Under an emulator whose chaining
 * stops at page boundaries (paged guests: xlat, QEMU), the first loop
 * measures the cross-page path, the second the chained one.
 */
#include "rt.h"

#define JUMPS (40u << 20)

/* rdi = jumps (even); each loop trip is two direct jumps */
__asm__(".text\n"
        ".p2align 12\n"
        "pj_cross:\n"
        "  shr $1, %rdi\n"
        "pj_a:\n"
        "  dec %rdi\n"
        "  jz pj_out\n"
        "  jmp pj_b\n"
        "pj_out:\n"
        "  ret\n"
        ".p2align 12\n"
        "pj_b:\n"
        "  jmp pj_a\n"
        ".p2align 12\n"
        "pj_same:\n"
        "  shr $1, %rdi\n"
        "pj_c:\n"
        "  dec %rdi\n"
        "  jz pj_out2\n"
        "  jmp pj_d\n"
        "pj_out2:\n"
        "  ret\n"
        ".p2align 6\n"
        "pj_d:\n"
        "  jmp pj_c\n");

void pj_cross(uint64_t n);
void pj_same(uint64_t n);

static int bench_main(uint64_t scale)
{
    uint64_t n = JUMPS / scale;
    pj_cross(n);
    pj_same(n);
    rt_print("jumps", 2 * n);
    return 0;
}
