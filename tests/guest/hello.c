/*
 * hello: the smallest guest test. Reaching test_main() proves the multiboot
 * load, the switch to long mode and the GDT/paging set-up in lib/boot.S; it
 * checks that the loader handed over the multiboot magic and that we really
 * run 64-bit code, prints a greeting on COM1 and exits with the pass code.
 */
#include "lib/guest.h"

#define MB_LOADER_MAGIC 0x2badb002
#define MSR_EFER 0xc0000080
#define EFER_LMA (1u << 10)

extern uint32_t mb_magic;

static uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

int test_main(void)
{
    serial_puts("Hello from the xlat guest test kernel\n");
    check_eq("multiboot magic", mb_magic, MB_LOADER_MAGIC);
    check("long mode active (EFER.LMA)", (rdmsr(MSR_EFER) & EFER_LMA) != 0);
    check("pointers are 64-bit", sizeof(void *) == 8);
    return (int)failures();
}
