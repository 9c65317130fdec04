/*
 * The guest test kernels' tiny library: port I/O, COM1 output, pass/fail
 * reporting, exit through isa-debug-exit, and an IDT for exception tests.
 *
 * A kernel defines `int test_main(void)` and returns its failure count;
 * guest_main64() (lib/guest.c) then exits with GUEST_EXIT_BASE + failures.
 * isa-debug-exit (port 0xf4, iosize 4) makes QEMU exit with status
 * (code << 1) | 1, so a pass is status 33; the base keeps a pass distinct
 * from status 1, which is also what the emulator uses for its own errors.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_DEBUG_EXIT_PORT 0xf4
#define GUEST_EXIT_BASE 0x10
#define GUEST_EXIT_MAX_FAILURES 0x6f /* status stays below 256 */
#define COM1 0x3f8

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* the kernel's own test body: returns the number of failed checks */
int test_main(void);

void serial_init(void);
void serial_putc(char c);
void serial_puts(const char *s);
void serial_put_hex(uint64_t v);
void serial_put_dec(uint64_t v);

/* "PASS name" / "FAIL name" lines; both count toward the final report */
void report_pass(const char *name);
void report_fail(const char *name);
/* report_pass or report_fail by cond; returns cond */
bool check(const char *name, bool cond);
/* FAIL line with the two values when they differ */
bool check_eq(const char *name, uint64_t got, uint64_t want);
unsigned failures(void);

/* write code to isa-debug-exit; if nothing is there, halt forever */
__attribute__((noreturn)) void test_exit(uint32_t code);

/* the 64-bit exception frame that lib/isr.S builds (low address first) */
typedef struct IsrFrame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
} IsrFrame;

typedef void IsrHandler(IsrFrame *f);

/* a 16-byte IA-32e interrupt/trap gate, and a GDTR/IDTR image */
typedef struct IdtGate {
    uint16_t off_lo;
    uint16_t sel;
    uint8_t ist;
    uint8_t type;
    uint16_t off_mid;
    uint32_t off_hi;
    uint32_t zero;
} __attribute__((packed)) IdtGate;

typedef struct DescPtr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed)) DescPtr;

/* load an IDT whose vectors 0..47 go to handlers set here (default: fail) */
void idt_init(void);
void idt_set_handler(unsigned vector, IsrHandler *h);

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
