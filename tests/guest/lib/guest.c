/*
 * Guest library: COM1 output (polling the line status register's THR-empty
 * bit, 16550 datasheet sec. 8.6.3), pass/fail reporting, the exit through
 * isa-debug-exit, the 64-bit C entry, and the mem* functions that gcc may
 * call even in freestanding code.
 */
#include "guest.h"

#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_LSR_THRE 0x20
#define UART_LCR_DLAB 0x80
#define THRE_SPINS 100000 /* a missing UART must not hang us */

static unsigned fail_count;
static bool serial_ready;

void serial_init(void)
{
    outb(COM1 + UART_IER, 0x00);
    outb(COM1 + UART_LCR, UART_LCR_DLAB);
    outb(COM1 + UART_THR, 0x01); /* divisor 1: 115200 baud */
    outb(COM1 + UART_IER, 0x00);
    outb(COM1 + UART_LCR, 0x03); /* 8N1 */
    outb(COM1 + UART_FCR, 0x07); /* enable and clear FIFOs */
    outb(COM1 + UART_MCR, 0x03); /* DTR, RTS */
    serial_ready = true;
}

void serial_putc(char c)
{
    if (!serial_ready) {
        serial_init();
    }
    if (c == '\n') {
        serial_putc('\r');
    }
    for (int i = 0; i < THRE_SPINS; i++) {
        if (inb(COM1 + UART_LSR) & UART_LSR_THRE) {
            break;
        }
    }
    outb(COM1 + UART_THR, (uint8_t)c);
}

void serial_puts(const char *s)
{
    while (*s) {
        serial_putc(*s++);
    }
}

void serial_put_hex(uint64_t v)
{
    serial_puts("0x");
    for (int shift = 60; shift >= 0; shift -= 4) {
        unsigned d = (v >> shift) & 0xf;
        if (d || shift == 0 || v >> shift) {
            serial_putc("0123456789abcdef"[d]);
        }
    }
}

void serial_put_dec(uint64_t v)
{
    char buf[21];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) {
        serial_putc(buf[--n]);
    }
}

void report_pass(const char *name)
{
    serial_puts("PASS ");
    serial_puts(name);
    serial_putc('\n');
}

void report_fail(const char *name)
{
    fail_count++;
    serial_puts("FAIL ");
    serial_puts(name);
    serial_putc('\n');
}

bool check(const char *name, bool cond)
{
    if (cond) {
        report_pass(name);
    } else {
        report_fail(name);
    }
    return cond;
}

bool check_eq(const char *name, uint64_t got, uint64_t want)
{
    if (got == want) {
        report_pass(name);
        return true;
    }
    fail_count++;
    serial_puts("FAIL ");
    serial_puts(name);
    serial_puts(": got ");
    serial_put_hex(got);
    serial_puts(", want ");
    serial_put_hex(want);
    serial_putc('\n');
    return false;
}

unsigned failures(void)
{
    return fail_count;
}

void test_exit(uint32_t code)
{
    outl(GUEST_DEBUG_EXIT_PORT, code);
    for (;;) {
        __asm__ volatile("cli; hlt");
    }
}

/* called by boot.S in 64-bit mode */
void guest_main64(void);

void guest_main64(void)
{
    serial_init();
    int failed = test_main();
    if (failed < 0 || failed > GUEST_EXIT_MAX_FAILURES) {
        failed = GUEST_EXIT_MAX_FAILURES;
    }
    serial_puts("DONE failures=");
    serial_put_dec((uint64_t)failed);
    serial_putc('\n');
    test_exit(GUEST_EXIT_BASE + (uint32_t)failed);
}

void *memset(void *d, int c, size_t n)
{
    uint8_t *p = d;
    while (n--) {
        *p++ = (uint8_t)c;
    }
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    return memmove(d, s, n);
}

void *memmove(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;
    if (dp < sp) {
        while (n--) {
            *dp++ = *sp++;
        }
    } else {
        while (n--) {
            dp[n] = sp[n];
        }
    }
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i]) {
            return x[i] < y[i] ? -1 : 1;
        }
    }
    return 0;
}
