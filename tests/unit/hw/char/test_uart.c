/*
 * 16550A UART through the I/O address space, as a driver sees it: a fake
 * IRQ line records levels, the test char backend captures output and
 * injects input, the virtual clock is manual for the character timeout.
 */
#include <criterion/criterion.h>

#include "hw/char/uart16550.h"
#include "util/char/char_test.h"

#define COM1 0x3f8

static MemRegion *io_root;
static AddrSpace *io;
static Clock *clk;
static CharBackend *chr;
static Uart *uart;
static int irq_level;
static int irq_edges;

static void fake_irq(void *opaque, int n, int level)
{
    if (level && !irq_level) {
        irq_edges++;
    }
    irq_level = level;
}

static void setup(void)
{
    io_root = mr_new_container("io", 0x10000);
    io = as_new("io", io_root);
    clk = clock_new(CLOCK_KIND_VIRTUAL);
    clock_set_manual(clk, true);
    chr = char_test_new();
    irq_level = 0;
    irq_edges = 0;
    uart = uart_new(io_root, COM1, irq_line(fake_irq, NULL, 4), clk, chr);
}

static void teardown(void)
{
    uart_free(uart);
    char_free(chr);
    as_free(io);
    mr_free(io_root);
    clock_free(clk);
}

TestSuite(uart, .init = setup, .fini = teardown, .timeout = 5);

static uint8_t rd(int reg)
{
    return as_ld8(io, COM1 + reg);
}

static void wr(int reg, uint8_t v)
{
    as_st8(io, COM1 + reg, v);
}

static void set_divisor(uint16_t div)
{
    wr(UART_LCR, 0x80 | 0x03);
    wr(UART_RBR, div & 0xff);
    wr(UART_IER, div >> 8);
    wr(UART_LCR, 0x03);
}

Test(uart, reset_values)
{
    cr_assert_eq(rd(UART_IER), 0);
    cr_assert_eq(rd(UART_IIR), 0x01);
    cr_assert_eq(rd(UART_LCR), 0);
    cr_assert_eq(rd(UART_MCR), 0);
    cr_assert_eq(rd(UART_LSR), 0x60);
    cr_assert_eq(rd(UART_MSR) & 0xf0, 0xb0);
    cr_assert_eq(irq_level, 0);
}

Test(uart, thr_write_reaches_backend)
{
    const char *msg = "hi!";
    for (const char *p = msg; *p; p++) {
        wr(UART_RBR, (uint8_t)*p);
    }
    size_t len;
    const uint8_t *out = char_test_output(chr, &len);
    cr_assert_eq(len, 3);
    cr_assert_arr_eq(out, msg, 3);
    cr_assert_eq(rd(UART_LSR) & 0x60, 0x60, "THRE and TEMT set after send");
}

Test(uart, receive_sets_dr_and_reads_in_order)
{
    cr_assert_eq(char_test_inject(chr, "a", 1), 0);
    cr_assert_eq(rd(UART_LSR) & 0x01, 0x01);
    cr_assert_eq(rd(UART_RBR), 'a');
    cr_assert_eq(rd(UART_LSR) & 0x01, 0);
}

Test(uart, non_fifo_mode_takes_one_byte_at_a_time)
{
    /* the rest waits in the backend until RBR is read */
    cr_assert_eq(char_test_inject(chr, "xyz", 3), 2);
    cr_assert_eq(rd(UART_RBR), 'x');
    cr_assert_eq(char_test_pending_input(chr), 1);
    cr_assert_eq(rd(UART_RBR), 'y');
    cr_assert_eq(rd(UART_RBR), 'z');
    cr_assert_eq(char_test_pending_input(chr), 0);
    cr_assert_eq(rd(UART_LSR) & 0x01, 0);
}

Test(uart, fifo_holds_sixteen_bytes)
{
    wr(UART_IIR, 0x01); /* FCR: FIFO on */
    cr_assert_eq(rd(UART_IIR) & 0xc0, 0xc0);
    cr_assert_eq(char_test_inject(chr, "0123456789abcdefXY", 18), 2);
    for (int i = 0; i < 16; i++) {
        cr_assert_eq(rd(UART_RBR), "0123456789abcdef"[i]);
    }
    cr_assert_eq(rd(UART_RBR), 'X');
    cr_assert_eq(rd(UART_RBR), 'Y');
}

Test(uart, rx_interrupt_at_each_trigger_level)
{
    static const struct {
        uint8_t fcr;
        int level;
    } t[] = {{0x01, 1}, {0x41, 4}, {0x81, 8}, {0xc1, 14}};
    wr(UART_IER, 0x01);
    for (size_t i = 0; i < 4; i++) {
        wr(UART_IIR, t[i].fcr | 0x02); /* clear RX */
        cr_assert_eq(irq_level, 0);
        for (int k = 1; k <= t[i].level; k++) {
            char_test_inject(chr, "q", 1);
            cr_assert_eq(irq_level, k == t[i].level, "level %d after %d",
                         t[i].level, k);
        }
        cr_assert_eq(rd(UART_IIR) & 0x0f, 0x04);
        rd(UART_RBR); /* below the trigger again */
        cr_assert_eq(irq_level, 0);
    }
}

Test(uart, char_timeout_after_four_char_times)
{
    set_divisor(1);     /* 115200 baud, 8N1: 10 bits = ~86.8 us per char */
    wr(UART_IIR, 0xc1); /* trigger 14 */
    wr(UART_IER, 0x01);
    char_test_inject(chr, "ab", 2);
    cr_assert_eq(irq_level, 0);
    clock_step(clk, 300000); /* 3.5 char times */
    cr_assert_eq(irq_level, 0);
    clock_step(clk, 60000); /* past 4 char times */
    cr_assert_eq(irq_level, 1);
    cr_assert_eq(rd(UART_IIR) & 0x0f, 0x0c);
    cr_assert_eq(rd(UART_RBR), 'a');
    cr_assert_eq(irq_level, 0, "reading RBR clears the timeout");
    clock_step(clk, 400000);
    cr_assert_eq(irq_level, 1, "one byte left: times out again");
    cr_assert_eq(rd(UART_RBR), 'b');
    cr_assert_eq(irq_level, 0);
}

Test(uart, thre_interrupt_on_ier_enable_and_cleared_by_iir_read)
{
    wr(UART_IER, 0x02);
    cr_assert_eq(irq_level, 1);
    cr_assert_eq(rd(UART_IIR), 0x02);
    cr_assert_eq(irq_level, 0, "reading IIR acknowledges THRE");
    cr_assert_eq(rd(UART_IIR), 0x01);
    wr(UART_RBR, 'x');
    cr_assert_eq(irq_level, 1, "THR empty again after the byte left");
    wr(UART_IER, 0x00);
    cr_assert_eq(irq_level, 0);
}

Test(uart, iir_priority_order)
{
    wr(UART_MCR, 0x10); /* loopback: we can make every source pending */
    wr(UART_IIR, 0x01);
    wr(UART_IER, 0x0f);
    /* modem status: toggle RTS -> DCTS */
    wr(UART_MCR, 0x12);
    /* THRE pending from the IER enable; RX data and an overrun follow */
    for (int i = 0; i < 17; i++) {
        wr(UART_RBR, (uint8_t)('A' + i));
    }
    cr_assert_eq(irq_level, 1);
    cr_assert_eq(rd(UART_IIR) & 0x0f, 0x06, "line status first");
    uint8_t lsr = rd(UART_LSR);
    cr_assert_eq(lsr & 0x02, 0x02, "overrun");
    cr_assert_eq(lsr & 0x80, 0x80, "error in FIFO");
    cr_assert_eq(rd(UART_IIR) & 0x0f, 0x04, "then received data");
    for (int i = 0; i < 16; i++) {
        cr_assert_eq(rd(UART_RBR), 'A' + i);
    }
    cr_assert_eq(rd(UART_IIR) & 0x0f, 0x02, "then THR empty");
    cr_assert_eq(rd(UART_IIR) & 0x0f, 0x00, "then modem status");
    cr_assert_eq(rd(UART_MSR) & 0x01, 0x01, "DCTS");
    cr_assert_eq(rd(UART_IIR), 0xc1, "nothing left");
    cr_assert_eq(irq_level, 0);
}

Test(uart, loopback_routes_tx_to_rx_and_mcr_to_msr)
{
    wr(UART_MCR, 0x10);
    rd(UART_MSR); /* clear the deltas of entering loopback */
    wr(UART_RBR, 'L');
    size_t len;
    char_test_output(chr, &len);
    cr_assert_eq(len, 0, "loopback output does not reach the backend");
    cr_assert_eq(rd(UART_RBR), 'L');
    wr(UART_MCR, 0x10 | 0x01 | 0x02 | 0x04 | 0x08);
    uint8_t msr = rd(UART_MSR);
    cr_assert_eq(msr & 0xf0, 0xf0, "DTR->DSR RTS->CTS OUT1->RI OUT2->DCD");
    cr_assert_eq(msr & 0x0b, 0x0b, "DCTS DDSR DDCD");
    wr(UART_MCR, 0x10);
    msr = rd(UART_MSR);
    cr_assert_eq(msr & 0xf0, 0);
    cr_assert_eq(msr & 0x04, 0x04, "TERI on RI falling");
    /* input waits in the backend during loopback */
    cr_assert_eq(char_test_inject(chr, "i", 1), 1);
    wr(UART_MCR, 0x00);
    cr_assert_eq(char_test_pending_input(chr), 0);
    cr_assert_eq(rd(UART_RBR), 'i');
}

Test(uart, lsr_error_bits_clear_on_read)
{
    char_test_inject(chr, "1", 1);
    wr(UART_MCR, 0x10);
    wr(UART_RBR, '2'); /* non-FIFO holding register full: overrun */
    cr_assert_eq(rd(UART_LSR) & 0x03, 0x03);
    cr_assert_eq(rd(UART_LSR) & 0x02, 0, "OE cleared by reading LSR");
    cr_assert_eq(rd(UART_RBR), '1');
}

Test(uart, divisor_latch_and_scratch)
{
    wr(UART_LCR, 0x83);
    wr(UART_RBR, 0x34);
    wr(UART_IER, 0x12);
    cr_assert_eq(rd(UART_RBR), 0x34);
    cr_assert_eq(rd(UART_IER), 0x12);
    wr(UART_LCR, 0x03);
    cr_assert_eq(rd(UART_IER), 0, "IER untouched by DLM writes");
    size_t len;
    char_test_output(chr, &len);
    cr_assert_eq(len, 0, "DLL writes are not transmitted");
    wr(UART_LCR, 0x83);
    cr_assert_eq(rd(UART_RBR), 0x34, "divisor kept");
    wr(UART_SCR, 0x5a);
    cr_assert_eq(rd(UART_SCR), 0x5a);
}

Test(uart, wide_access_is_rejected_without_side_effects)
{
    as_st16(io, COM1, 0x4141);
    size_t len;
    char_test_output(chr, &len);
    cr_assert_eq(len, 0);
    cr_assert_eq(as_ld16(io, COM1 + 5), 0xffff);
    cr_assert_eq(rd(UART_LSR), 0x60);
}

Test(uart, fcr_disable_clears_fifo)
{
    wr(UART_IIR, 0x01);
    char_test_inject(chr, "abc", 3);
    wr(UART_IIR, 0x00);
    cr_assert_eq(rd(UART_LSR) & 0x01, 0);
    cr_assert_eq(rd(UART_IIR) & 0xc0, 0);
}

Test(uart, vmstate_lists_guest_fields)
{
    size_t n;
    const VmStateField *f = uart_get_vmstate(&n);
    cr_assert_geq(n, 10);
    bool has_lsr = false;
    for (size_t i = 0; i < n; i++) {
        has_lsr |= !strcmp(f[i].name, "lsr") && f[i].size == 1;
    }
    cr_assert(has_lsr);
}

/* xorshift: deterministic "random" guest behaviour */
static uint32_t rnd(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

Test(uart, register_storm_keeps_irq_consistent_with_iir)
{
    static const uint8_t valid_iir[] = {0x01, 0x00, 0x02, 0x04, 0x06, 0x0c};
    uint32_t x = 0x12345678;
    for (int i = 0; i < 20000; i++) {
        uint32_t r = rnd(&x);
        int reg = r & 7;
        unsigned size = 1u << ((r >> 3) & 3);
        if ((r >> 5) & 1) {
            as_st(io, COM1 + reg, rnd(&x), size, MEMATTRS_CPU);
        } else {
            as_ld(io, COM1 + reg, size, MEMATTRS_CPU, NULL);
        }
        if ((r >> 6) % 16 == 0) {
            char_test_inject(chr, "xyz", 3);
        }
        if ((r >> 10) % 32 == 0) {
            clock_step(clk, (int64_t)(r >> 16) * 1000);
        }
        int level = irq_level;
        uint8_t iir = rd(UART_IIR);
        cr_assert_eq(level, !(iir & 1), "step %d: irq %d, IIR 0x%x", i, level,
                     iir);
        bool ok = false;
        for (size_t k = 0; k < sizeof(valid_iir); k++) {
            ok |= (iir & 0x0f) == valid_iir[k];
        }
        cr_assert(ok, "IIR 0x%x", iir);
        cr_assert_eq(rd(UART_LSR) & 0x60, 0x60, "TX always drains");
    }
}
