/*
 * exceptions: install an IDT and raise #UD (ud2), #DE (div by zero) and #BP
 * (int3). Faults must report the address of the faulting instruction (SDM
 * vol. 3 sec. 7.5, "Exception Classifications"), a trap the address after
 * it; each handler records what it saw and, for faults, resumes at a label
 * after the instruction.
 */
#include "lib/guest.h"

#define VEC_DE 0
#define VEC_BP 3
#define VEC_UD 6

static volatile uint64_t seen_vector = ~0ull, seen_rip, seen_count;
volatile uint64_t resume_rip; /* set by the inline asm before a fault */

static void on_fault(IsrFrame *f)
{
    seen_vector = f->vector;
    seen_rip = f->rip;
    seen_count++;
    f->rip = resume_rip;
}

static void on_trap(IsrFrame *f)
{
    seen_vector = f->vector;
    seen_rip = f->rip;
    seen_count++;
}

static void reset_seen(void)
{
    seen_vector = ~0ull;
    seen_rip = 0;
    seen_count = 0;
}

static void test_ud(void)
{
    uint64_t at;
    reset_seen();
    __asm__ volatile("lea 2f(%%rip), %%rax\n\t"
                     "mov %%rax, resume_rip(%%rip)\n\t"
                     "lea 1f(%%rip), %0\n"
                     "1:\tud2\n"
                     "2:"
                     : "=r"(at)
                     :
                     : "rax", "memory");
    check_eq("#UD handler ran once", seen_count, 1);
    check_eq("#UD vector", seen_vector, VEC_UD);
    check_eq("#UD rip is the ud2", seen_rip, at);
}

static void test_de(void)
{
    uint64_t at, quotient = 0x1234;
    reset_seen();
    __asm__ volatile("lea 2f(%%rip), %%rcx\n\t"
                     "mov %%rcx, resume_rip(%%rip)\n\t"
                     "lea 1f(%%rip), %0\n\t"
                     "xor %%edx, %%edx\n\t"
                     "mov $100, %%eax\n\t"
                     "xor %%ecx, %%ecx\n"
                     "1:\tdiv %%rcx\n\t"
                     "mov %%rax, %1\n"
                     "2:"
                     : "=&r"(at), "+m"(quotient)
                     :
                     : "rax", "rcx", "rdx", "memory", "cc");
    check_eq("#DE handler ran once", seen_count, 1);
    check_eq("#DE vector", seen_vector, VEC_DE);
    check_eq("#DE rip is the div", seen_rip, at);
    check_eq("#DE: div wrote no result", quotient, 0x1234);
}

static void test_bp(void)
{
    uint64_t after;
    reset_seen();
    __asm__ volatile("lea 1f(%%rip), %0\n\t"
                     "int3\n"
                     "1:"
                     : "=r"(after)
                     :
                     : "memory");
    check_eq("#BP handler ran once", seen_count, 1);
    check_eq("#BP vector", seen_vector, VEC_BP);
    check_eq("#BP rip is after int3", seen_rip, after);
}

int test_main(void)
{
    serial_puts("exceptions: #UD, #DE, #BP through a 64-bit IDT\n");
    idt_init();
    idt_set_handler(VEC_UD, on_fault);
    idt_set_handler(VEC_DE, on_fault);
    idt_set_handler(VEC_BP, on_trap);
    test_ud();
    test_de();
    test_bp();
    return (int)failures();
}
