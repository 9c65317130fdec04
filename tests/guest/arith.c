/*
 * arith: integer arithmetic the CPU must get exactly right, one PASS/FAIL
 * line per check. Inputs go through volatile variables so the compiler
 * cannot fold the results; expected values are worked out by hand from the
 * SDM's definitions (two's complement wrap, flags from add/sub, truncating
 * signed division, shifts masked to 6 bits for 64-bit operands).
 */
#include "lib/guest.h"

static volatile uint64_t v_big = 0xfffffffffffffff0ull;
static volatile uint64_t v_16 = 16, v_7 = 7, v_3 = 3;
static volatile int64_t v_neg7 = -7;
static volatile uint32_t v_u32max = 0xffffffffu;
static volatile unsigned v_shift65 = 65;

/* RFLAGS after `add a, b` (CF bit 0, ZF bit 6, SF bit 7, OF bit 11) */
static uint64_t add_flags(uint64_t a, uint64_t b, uint64_t *sum)
{
    uint64_t flags;
    __asm__ volatile("add %2, %0\n\tpushfq\n\tpop %1"
                     : "+r"(a), "=r"(flags)
                     : "r"(b)
                     : "cc");
    *sum = a;
    return flags & 0x8c1; /* CF, ZF, SF, OF */
}

static void check_add_sub(void)
{
    uint64_t sum;
    check_eq("add wraps to zero", v_big + v_16, 0);
    check_eq("sub borrows", v_7 - v_16, 0xfffffffffffffff7ull);
    check_eq("add flags CF ZF", add_flags(v_big, v_16, &sum), 0x41);
    check_eq("add flags SF OF", add_flags(0x7fffffffffffffffull, 1, &sum),
             0x880);
    check_eq("32-bit add zero-extends", (uint64_t)(v_u32max + (uint32_t)v_7),
             6);
}

static void check_mul_div(void)
{
    unsigned __int128 wide = (unsigned __int128)v_big * v_16;
    check_eq("mul low", (uint64_t)wide, 0xffffffffffffff00ull);
    check_eq("mul high", (uint64_t)(wide >> 64), 0xf);
    check_eq("imul", (uint64_t)(v_neg7 * (int64_t)v_3), (uint64_t)-21);
    check_eq("div quotient", v_16 / v_3, 5);
    check_eq("div remainder", v_16 % v_3, 1);
    check_eq("idiv truncates", (uint64_t)(v_neg7 / (int64_t)v_3), (uint64_t)-2);
    check_eq("idiv remainder sign", (uint64_t)(v_neg7 % (int64_t)v_3),
             (uint64_t)-1);
}

static void check_shifts(void)
{
    uint64_t count = v_shift65, r;
    __asm__("shl %%cl, %0" : "=r"(r) : "0"(v_3), "c"(count) : "cc");
    check_eq("shl count masked to 6 bits", r, 6);
    check_eq("sar keeps sign", (uint64_t)(v_neg7 >> 1), (uint64_t)-4);
    check_eq("shr is logical", v_big >> 60, 0xf);
    __asm__("rol $8, %0" : "=r"(r) : "0"(v_big) : "cc");
    check_eq("rol", r, 0xfffffffffffff0ffull);
}

static void check_bits(void)
{
    uint64_t r;
    __asm__("bsf %1, %0" : "=r"(r) : "r"(v_16) : "cc");
    check_eq("bsf", r, 4);
    __asm__("bsr %1, %0" : "=r"(r) : "r"(v_big) : "cc");
    check_eq("bsr", r, 63);
    __asm__("bswap %0" : "=r"(r) : "0"(v_16));
    check_eq("bswap", r, 0x1000000000000000ull);
    check_eq("not/and", ~v_big & 0xff, 0x0f);
}

int test_main(void)
{
    serial_puts("arith: integer checks\n");
    check_add_sub();
    check_mul_div();
    check_shifts();
    check_bits();
    return (int)failures();
}
