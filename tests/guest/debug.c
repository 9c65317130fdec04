/*
 * debug: the debug registers (SDM vol. 3B 18.2-18.3) from a 64-bit kernel:
 * DR6/DR7 reset values and fixed bits, the DR5 alias, an execute
 * breakpoint (#DB fault at the instruction, RF from the handler lets it
 * run once), write and read/write data breakpoints with LEN alignment
 * (#DB trap after the access; aligned: see below), a breakpoint hit by one
 * iteration of REP STOSB (the trap comes after that iteration, RIP still at the
 * REP), and an I/O breakpoint under CR4.DE. DR6 is checked exactly. GD and the
 * RF image of faults are left to the unit tests (QEMU TCG models neither).
 */
#include "lib/guest.h"

#define VEC_DB 1
#define RFLAGS_RF (1ull << 16)
#define DR6_INIT 0xffff0ff0ull
#define DR7_INIT 0x400ull
#define CR4_DE (1ull << 3)

static volatile uint64_t db_count, db_rip, db_dr6, db_rcx;
static volatile bool db_set_rf;
static volatile uint32_t wvar[4];
static volatile uint8_t bytes[16] __attribute__((aligned(16)));
static volatile uint8_t sbuf[32];

static uint64_t get_dr6(void)
{
    uint64_t v;
    __asm__ volatile("mov %%dr6, %0" : "=r"(v));
    return v;
}

static void set_dr6(uint64_t v)
{
    __asm__ volatile("mov %0, %%dr6" : : "r"(v));
}

static uint64_t get_dr7(void)
{
    uint64_t v;
    __asm__ volatile("mov %%dr7, %0" : "=r"(v));
    return v;
}

static void set_dr7(uint64_t v)
{
    __asm__ volatile("mov %0, %%dr7" : : "r"(v) : "memory");
}

static void set_dr(unsigned n, uint64_t v)
{
    switch (n) {
    case 0:
        __asm__ volatile("mov %0, %%dr0" : : "r"(v));
        break;
    case 1:
        __asm__ volatile("mov %0, %%dr1" : : "r"(v));
        break;
    case 2:
        __asm__ volatile("mov %0, %%dr2" : : "r"(v));
        break;
    default:
        __asm__ volatile("mov %0, %%dr3" : : "r"(v));
        break;
    }
}

/* DR7 with breakpoint n enabled (L), its R/W and LEN fields */
static uint64_t dr7_bp(unsigned n, unsigned rw, unsigned len)
{
    return DR7_INIT | (1ull << (2 * n)) | ((uint64_t)rw << (16 + 4 * n)) |
           ((uint64_t)len << (18 + 4 * n));
}

static void on_db(IsrFrame *f)
{
    db_count++;
    db_rip = f->rip;
    db_rcx = f->rcx;
    db_dr6 = get_dr6();
    set_dr6(DR6_INIT);
    if (db_set_rf) {
        f->rflags |= RFLAGS_RF;
    }
    if (db_count > 4) {
        set_dr7(DR7_INIT); /* a breakpoint that keeps firing: stop it */
    }
}

static void reset_seen(bool set_rf)
{
    db_count = 0;
    db_rip = 0;
    db_dr6 = 0;
    db_rcx = 0;
    db_set_rf = set_rf;
    set_dr6(DR6_INIT);
}

static void test_registers(void)
{
    check_eq("DR6 at reset", get_dr6(), DR6_INIT);
    check_eq("DR7 at reset", get_dr7(), DR7_INIT);
    set_dr6(0xe00f); /* B0-3, BD, BS, BT */
    check_eq("DR6 writable bits and fixed ones", get_dr6(), 0xffffefffull);
    set_dr6(0);
    check_eq("DR6 written 0 reads the fixed ones", get_dr6(), DR6_INIT);
    uint64_t v = 0x8000000000001000ull, got;
    set_dr(2, v);
    __asm__ volatile("mov %%dr2, %0" : "=r"(got));
    check_eq("DR2 holds any 64-bit value", got, v);
    set_dr(2, 0);
    uint64_t dr7 = dr7_bp(3, 3, 3) & ~(1ull << 6); /* fields, not enabled */
    set_dr7(dr7);
    __asm__ volatile("mov %%dr5, %0" : "=r"(got));
    check_eq("DR5 is DR7 without CR4.DE", got, dr7);
    set_dr7(DR7_INIT);
}

static void test_exec_breakpoint(void)
{
    uint64_t at, rcx = 0;
    reset_seen(true);
    __asm__ volatile("lea 1f(%%rip), %0\n\t"
                     "mov %0, %%dr0\n\t"
                     "mov $0x401, %%eax\n\t"
                     "mov %%rax, %%dr7\n"
                     "1:\tinc %1\n\t"
                     "inc %1\n\t"
                     "mov $0x400, %%eax\n\t"
                     "mov %%rax, %%dr7"
                     : "=&r"(at), "+r"(rcx)
                     :
                     : "rax", "memory");
    check_eq("execute breakpoint: one #DB", db_count, 1);
    check_eq("execute breakpoint: a fault at the instruction", db_rip, at);
    check_eq("execute breakpoint: DR6 = B0", db_dr6, DR6_INIT | 1);
    check_eq("execute breakpoint: RF lets it run once", rcx, 2);
}

static void test_write_watch(void)
{
    uint64_t after;
    uint32_t r;
    reset_seen(false);
    set_dr(1, (uint64_t)&wvar[1]);
    set_dr7(dr7_bp(1, 1, 3)); /* write, 4 bytes */
    __asm__ volatile("movl $0x1234, (%2)\n"
                     "1:\tlea 1b(%%rip), %0\n\t"
                     "movl (%2), %1"
                     : "=&r"(after), "=&r"(r)
                     : "r"(&wvar[1])
                     : "memory");
    set_dr7(DR7_INIT);
    check_eq("write watchpoint: one #DB (not on the read)", db_count, 1);
    check_eq("write watchpoint: a trap after the store", db_rip, after);
    check_eq("write watchpoint: DR6 = B1", db_dr6, DR6_INIT | 2);
    check_eq("write watchpoint: the store was done", r, 0x1234);
}

static void test_read_watch_len(void)
{
    uint64_t after;
    uint8_t r;
    reset_seen(false);
    /* LEN 2 at bytes + 2: bytes 2 and 3. The SDM has the low LEN bits of an
     * unaligned address ignored; QEMU TCG does not, so that case is left
     * to the unit tests. */
    set_dr(2, (uint64_t)&bytes[2]);
    set_dr7(dr7_bp(2, 3, 1));
    __asm__ volatile("movb 4(%2), %1\n\t"
                     "movb 3(%2), %1\n"
                     "1:\tlea 1b(%%rip), %0"
                     : "=&r"(after), "=&q"(r)
                     : "r"(bytes)
                     : "memory");
    set_dr7(DR7_INIT);
    check_eq("read watchpoint: one #DB (byte 4 is outside)", db_count, 1);
    check_eq("read watchpoint: a trap after the load", db_rip, after);
    check_eq("read watchpoint: DR6 = B2", db_dr6, DR6_INIT | 4);
}

static void test_rep_stos(void)
{
    uint64_t at;
    volatile uint8_t *p = sbuf;
    reset_seen(false);
    memset((void *)sbuf, 0, sizeof(sbuf));
    set_dr(0, (uint64_t)&sbuf[5]);
    set_dr7(dr7_bp(0, 1, 0));
    __asm__ volatile("lea 1f(%%rip), %0\n\t"
                     "mov $16, %%ecx\n\t"
                     "mov $0x5a, %%eax\n"
                     "1:\trep stosb"
                     : "=&r"(at), "+D"(p)
                     :
                     : "rax", "rcx", "memory");
    set_dr7(DR7_INIT);
    check_eq("rep stos watchpoint: one #DB", db_count, 1);
    check_eq("rep stos watchpoint: RIP at the rep stos", db_rip, at);
    check_eq("rep stos watchpoint: after iteration 6 (RCX)", db_rcx, 10);
    check_eq("rep stos watchpoint: DR6 = B0", db_dr6, DR6_INIT | 1);
    check_eq("rep stos watchpoint: all 16 bytes", sbuf[15], 0x5a);
}

static void test_io_breakpoint(void)
{
    uint64_t after, cr4;
    reset_seen(false);
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_DE));
    set_dr(3, 0x80);
    set_dr7(dr7_bp(3, 2, 0)); /* I/O, 1 byte */
    __asm__ volatile("mov $0x55, %%al\n\t"
                     "outb %%al, $0x81\n\t"
                     "outb %%al, $0x80\n"
                     "1:\tlea 1b(%%rip), %0"
                     : "=r"(after)
                     :
                     : "rax", "memory");
    set_dr7(DR7_INIT);
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
    check_eq("I/O breakpoint: one #DB (port 0x81 is outside)", db_count, 1);
    check_eq("I/O breakpoint: a trap after the out", db_rip, after);
    check_eq("I/O breakpoint: DR6 = B3", db_dr6, DR6_INIT | 8);
}

int test_main(void)
{
    serial_puts("debug: breakpoints and watchpoints through DR0-7\n");
    idt_init();
    idt_set_handler(VEC_DB, on_db);
    test_registers();
    test_exec_breakpoint();
    test_write_watch();
    test_read_watch_len();
    test_rep_stos();
    test_io_breakpoint();
    return (int)failures();
}
