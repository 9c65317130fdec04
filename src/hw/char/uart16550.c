/*
 * NS16550A UART. Ref: TI PC16550D datasheet (sec. 8, registers; table 4,
 * interrupt priorities). Eight byte-wide ports; DLAB (LCR bit 7) overlays the
 * divisor latch on offsets 0 and 1.
 *
 * Simplifications: a byte written to THR leaves at once (THRE and TEMT read
 * back set), so the TX FIFO is never visible; parity/framing errors and
 * break never happen; the PC's OUT2 interrupt gate is not modelled (the
 * interrupt output follows IIR, as QEMU's serial does). The receive FIFO is
 * 16 bytes (1 with FIFOs off); the character timeout is 4 character times of
 * the programmed divisor and line format, on the virtual clock.
 */
#include "hw/char/uart16550.h"

#include <stdlib.h>

#include "util/common.h"
#include "util/log.h"

#define UART_FIFO_SIZE 16

/* IER */
#define IER_ERBFI 0x01 /* received data available */
#define IER_ETBEI 0x02 /* THR empty */
#define IER_ELSI 0x04  /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */
/* IIR */
#define IIR_NO_INT 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_CTI 0x0c
#define IIR_FIFO_ON 0xc0
/* FCR */
#define FCR_FE 0x01
#define FCR_RX_CLEAR 0x02
#define FCR_TX_CLEAR 0x04
#define FCR_KEEP 0xc9 /* FIFO enable, DMA mode, trigger level */
/* LCR */
#define LCR_DLAB 0x80
/* MCR */
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
/* LSR */
#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_PE 0x04
#define LSR_FE 0x08
#define LSR_BI 0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_RX_ERR 0x80
#define LSR_INT_ANY (LSR_OE | LSR_PE | LSR_FE | LSR_BI)
/* MSR */
#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
#define MSR_DELTAS 0x0f

struct Uart {
    /* guest-visible state */
    uint8_t ier, lcr, mcr, lsr, msr, scr, dll, dlm, fcr;
    uint8_t rx_buf[UART_FIFO_SIZE];
    uint8_t rx_head, rx_count;
    uint8_t thr_ipending;     /* THR-empty interrupt not yet acknowledged */
    uint8_t timeout_ipending; /* character timeout indication */

    /* wiring */
    MemRegion *io_root;
    MemRegion *mr;
    IrqLine irq;
    int irq_level;
    Clock *clock;
    Timer *timeout;
    CharBackend *chr;
};

static const VmStateField uart_vmstate[] = {
    VMSTATE_FIELD(Uart, ier),          VMSTATE_FIELD(Uart, lcr),
    VMSTATE_FIELD(Uart, mcr),          VMSTATE_FIELD(Uart, lsr),
    VMSTATE_FIELD(Uart, msr),          VMSTATE_FIELD(Uart, scr),
    VMSTATE_FIELD(Uart, dll),          VMSTATE_FIELD(Uart, dlm),
    VMSTATE_FIELD(Uart, fcr),          VMSTATE_FIELD(Uart, rx_buf),
    VMSTATE_FIELD(Uart, rx_head),      VMSTATE_FIELD(Uart, rx_count),
    VMSTATE_FIELD(Uart, thr_ipending), VMSTATE_FIELD(Uart, timeout_ipending),
};

const VmStateField *uart_get_vmstate(size_t *count)
{
    *count = ARRAY_LEN(uart_vmstate);
    return uart_vmstate;
}

static unsigned rx_capacity(const Uart *s)
{
    return (s->fcr & FCR_FE) ? UART_FIFO_SIZE : 1;
}

static unsigned rx_trigger(const Uart *s)
{
    static const uint8_t levels[4] = {1, 4, 8, 14};
    return (s->fcr & FCR_FE) ? levels[s->fcr >> 6] : 1;
}

/* the highest-priority pending interrupt, as IIR bits 3:0 */
static uint8_t uart_iir(const Uart *s)
{
    if ((s->ier & IER_ELSI) && (s->lsr & LSR_INT_ANY)) {
        return IIR_RLSI;
    }
    if ((s->ier & IER_ERBFI) && s->rx_count >= rx_trigger(s)) {
        return IIR_RDI;
    }
    if ((s->ier & IER_ERBFI) && s->timeout_ipending) {
        return IIR_CTI;
    }
    if ((s->ier & IER_ETBEI) && s->thr_ipending) {
        return IIR_THRI;
    }
    if ((s->ier & IER_EDSSI) && (s->msr & MSR_DELTAS)) {
        return IIR_MSI;
    }
    return IIR_NO_INT;
}

static void uart_update_irq(Uart *s)
{
    int level = !(uart_iir(s) & IIR_NO_INT);
    if (level != s->irq_level) {
        s->irq_level = level;
        irq_set(&s->irq, level);
    }
}

/* one character time in ns from the divisor and the line format */
static int64_t uart_char_ns(const Uart *s)
{
    unsigned divisor = s->dll | (s->dlm << 8);
    unsigned data_bits = 5 + (s->lcr & 3);
    /* half bits: start, data, parity, stop (1, or 1.5 with 5 data bits, or
       2) */
    unsigned half = 2 * (1 + data_bits + ((s->lcr & 0x08) ? 1 : 0));
    half += (s->lcr & 0x04) ? (data_bits == 5 ? 3 : 4) : 2;
    int64_t bit_ns =
        (int64_t)(divisor ? divisor : 0x10000) * NS_PER_SEC / 115200;
    return bit_ns * half / 2;
}

static void uart_arm_timeout(Uart *s)
{
    s->timeout_ipending = 0;
    if ((s->fcr & FCR_FE) && s->rx_count > 0) {
        timer_mod(s->timeout, clock_ns(s->clock) + 4 * uart_char_ns(s));
    } else {
        timer_del(s->timeout);
    }
}

static void uart_timeout_cb(void *opaque)
{
    Uart *s = opaque;
    if ((s->fcr & FCR_FE) && s->rx_count > 0) {
        s->timeout_ipending = 1;
        uart_update_irq(s);
    }
}

static void rx_clear(Uart *s)
{
    s->rx_head = s->rx_count = 0;
    s->lsr &= ~(LSR_DR | LSR_RX_ERR);
    s->timeout_ipending = 0;
    timer_del(s->timeout);
}

static void rx_push(Uart *s, uint8_t c)
{
    if (s->rx_count >= rx_capacity(s)) {
        s->lsr |= LSR_OE; /* the new character is lost */
        if (s->fcr & FCR_FE) {
            s->lsr |= LSR_RX_ERR;
        }
        return;
    }
    s->rx_buf[(s->rx_head + s->rx_count) % UART_FIFO_SIZE] = c;
    s->rx_count++;
    s->lsr |= LSR_DR;
}

static uint8_t rx_pop(Uart *s)
{
    if (s->rx_count == 0) {
        return 0;
    }
    uint8_t c = s->rx_buf[s->rx_head];
    s->rx_head = (s->rx_head + 1) % UART_FIFO_SIZE;
    s->rx_count--;
    if (s->rx_count == 0) {
        s->lsr &= ~LSR_DR;
    }
    return c;
}

/* ---- backend side ---- */

static int uart_can_read(void *opaque)
{
    Uart *s = opaque;
    if (s->mcr & MCR_LOOP) {
        return 0; /* the serial input is disconnected in loopback */
    }
    return (int)(rx_capacity(s) - s->rx_count);
}

static void uart_receive(void *opaque, const uint8_t *buf, int len)
{
    Uart *s = opaque;
    for (int i = 0; i < len; i++) {
        rx_push(s, buf[i]);
    }
    uart_arm_timeout(s);
    uart_update_irq(s);
}

/* ---- registers ---- */

static void uart_transmit(Uart *s, uint8_t c)
{
    if (s->mcr & MCR_LOOP) {
        rx_push(s, c);
        uart_arm_timeout(s);
    } else {
        char_write(s->chr, &c, 1);
    }
    /* sent at once: THR and the shift register are empty again */
    s->lsr |= LSR_THRE | LSR_TEMT;
    s->thr_ipending = 1;
}

/* MSR's upper nibble from the modem lines; deltas accumulate until read */
static void uart_update_msr(Uart *s)
{
    uint8_t lines = MSR_CTS | MSR_DSR | MSR_DCD; /* a host "cable" is up */
    if (s->mcr & MCR_LOOP) {
        lines = ((s->mcr & MCR_RTS) ? MSR_CTS : 0) |
                ((s->mcr & MCR_DTR) ? MSR_DSR : 0) |
                ((s->mcr & MCR_OUT1) ? MSR_RI : 0) |
                ((s->mcr & MCR_OUT2) ? MSR_DCD : 0);
    }
    uint8_t changed = (s->msr ^ lines) & 0xf0;
    uint8_t delta = s->msr & MSR_DELTAS;
    delta |= (changed & MSR_CTS) ? MSR_DCTS : 0;
    delta |= (changed & MSR_DSR) ? MSR_DDSR : 0;
    delta |= (changed & MSR_DCD) ? MSR_DDCD : 0;
    /* TERI: trailing edge of RI only */
    delta |= ((s->msr & MSR_RI) && !(lines & MSR_RI)) ? MSR_TERI : 0;
    s->msr = lines | delta;
}

static void uart_write_ier(Uart *s, uint8_t val)
{
    uint8_t old = s->ier;
    s->ier = val & 0x0f;
    /* enabling ETBEI with THR empty raises the THRE interrupt */
    if (!(old & IER_ETBEI) && (s->ier & IER_ETBEI) && (s->lsr & LSR_THRE)) {
        s->thr_ipending = 1;
    }
}

static void uart_write_fcr(Uart *s, uint8_t val)
{
    if ((val ^ s->fcr) & FCR_FE) {
        rx_clear(s); /* switching the FIFOs on or off clears them */
    }
    if (!(val & FCR_FE)) {
        s->fcr = 0; /* other bits program only with FIFO enable set */
        return;
    }
    if (val & FCR_RX_CLEAR) {
        rx_clear(s);
    }
    /* FCR_TX_CLEAR: the TX FIFO is always empty here */
    s->fcr = val & FCR_KEEP;
}

static void uart_write_mcr(Uart *s, uint8_t val)
{
    bool was_loop = s->mcr & MCR_LOOP;
    s->mcr = val & 0x1f;
    uart_update_msr(s);
    if (was_loop && !(s->mcr & MCR_LOOP)) {
        char_accept_input(s->chr);
    }
}

static void uart_write(void *opaque, uint64_t addr, uint64_t val64,
                       unsigned size)
{
    Uart *s = opaque;
    uint8_t val = (uint8_t)val64;
    bool dlab = s->lcr & LCR_DLAB;
    switch (addr) {
    case UART_RBR:
        if (dlab) {
            s->dll = val;
        } else {
            uart_transmit(s, val);
        }
        break;
    case UART_IER:
        if (dlab) {
            s->dlm = val;
        } else {
            uart_write_ier(s, val);
        }
        break;
    case UART_IIR:
        uart_write_fcr(s, val);
        break;
    case UART_LCR:
        s->lcr = val;
        break;
    case UART_MCR:
        uart_write_mcr(s, val);
        break;
    case UART_SCR:
        s->scr = val;
        break;
    default: /* LSR and MSR are read-only (factory test writes) */
        log_guest_error("uart", "write 0x%x to read-only offset 0x%x",
                        (unsigned)val, (unsigned)addr);
        break;
    }
    uart_update_irq(s);
}

static uint8_t uart_read_rbr(Uart *s)
{
    uint8_t c = rx_pop(s);
    uart_arm_timeout(s);
    if (!(s->mcr & MCR_LOOP)) {
        char_accept_input(s->chr);
    }
    return c;
}

static uint8_t uart_read_iir(Uart *s)
{
    uint8_t iir = uart_iir(s);
    if (iir == IIR_THRI) {
        s->thr_ipending = 0; /* reading IIR acknowledges THRE */
    }
    return iir | ((s->fcr & FCR_FE) ? IIR_FIFO_ON : 0);
}

static uint8_t uart_read_lsr(Uart *s)
{
    uint8_t v = s->lsr;
    s->lsr &= ~(LSR_INT_ANY | LSR_RX_ERR);
    return v;
}

static uint8_t uart_read_msr(Uart *s)
{
    uint8_t v = s->msr;
    s->msr &= ~MSR_DELTAS;
    return v;
}

static uint64_t uart_read(void *opaque, uint64_t addr, unsigned size)
{
    Uart *s = opaque;
    bool dlab = s->lcr & LCR_DLAB;
    uint8_t v = 0;
    switch (addr) {
    case UART_RBR:
        v = dlab ? s->dll : uart_read_rbr(s);
        break;
    case UART_IER:
        v = dlab ? s->dlm : s->ier;
        break;
    case UART_IIR:
        v = uart_read_iir(s);
        break;
    case UART_LCR:
        v = s->lcr;
        break;
    case UART_MCR:
        v = s->mcr;
        break;
    case UART_LSR:
        v = uart_read_lsr(s);
        break;
    case UART_MSR:
        v = uart_read_msr(s);
        break;
    case UART_SCR:
        v = s->scr;
        break;
    default:
        break;
    }
    uart_update_irq(s);
    return v;
}

static const MemOps uart_ops = {
    .read = uart_read,
    .write = uart_write,
    .valid = {.min = 1, .max = 1},
    .impl = {.min = 1, .max = 1},
};

void uart_reset(Uart *s)
{
    s->ier = 0;
    s->lcr = 0;
    s->mcr = 0;
    s->fcr = 0;
    s->scr = 0;
    s->lsr = LSR_THRE | LSR_TEMT;
    s->msr = MSR_CTS | MSR_DSR | MSR_DCD;
    s->dll = 0x0c; /* 9600 baud, as firmware leaves it */
    s->dlm = 0;
    s->thr_ipending = 0;
    rx_clear(s);
    uart_update_irq(s);
    char_accept_input(s->chr);
}

Uart *uart_new(MemRegion *io_root, uint16_t base, IrqLine irq, Clock *clock,
               CharBackend *chr)
{
    Uart *s = xzalloc(sizeof(*s));
    s->io_root = io_root;
    s->irq = irq;
    s->clock = clock;
    s->chr = chr;
    s->timeout = timer_new(clock, uart_timeout_cb, s);
    s->mr = mr_new_io("uart16550", 8, &uart_ops, s);
    mr_add_subregion(io_root, base, s->mr, 0);
    if (chr) {
        char_set_handlers(chr, uart_can_read, uart_receive, s);
    }
    uart_reset(s);
    return s;
}

void uart_free(Uart *s)
{
    if (!s) {
        return;
    }
    if (s->chr) {
        char_set_handlers(s->chr, NULL, NULL, NULL);
    }
    mr_del_subregion(s->io_root, s->mr);
    mr_free(s->mr);
    timer_free(s->timeout);
    free(s);
}
