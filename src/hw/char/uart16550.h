/*
 * NS16550A UART (PC COM ports). Ref: TI PC16550D datasheet.
 * Transmit goes to the char backend at once (no baud pacing); receive takes
 * bytes from the backend while the RX FIFO has room. The character timeout
 * runs on the virtual clock.
 */
#ifndef XLAT_HW_CHAR_UART16550_H
#define XLAT_HW_CHAR_UART16550_H

#include <stdint.h>

#include "hw/irq.h"
#include "machine/clock.h"
#include "machine/vmstate.h"
#include "mmu/memory.h"
#include "util/char/char.h"

/* the standard PC ports and ISA IRQs */
#define UART_COM1_BASE 0x3f8
#define UART_COM2_BASE 0x2f8
#define UART_COM3_BASE 0x3e8
#define UART_COM4_BASE 0x2e8
#define UART_COM1_IRQ 4
#define UART_COM2_IRQ 3
#define UART_COM3_IRQ 4
#define UART_COM4_IRQ 3

/* register offsets */
enum {
    UART_RBR = 0, /* read, DLAB=0 (THR on write); DLL with DLAB=1 */
    UART_IER = 1, /* DLM with DLAB=1 */
    UART_IIR = 2, /* read; FCR on write */
    UART_LCR = 3,
    UART_MCR = 4,
    UART_LSR = 5,
    UART_MSR = 6,
    UART_SCR = 7,
};

typedef struct Uart Uart;

/*
 * Map 8 ports at `base` in io_root. irq is copied; chr may be NULL (output
 * dropped, no input). The UART sets chr's frontend handlers.
 */
Uart *uart_new(MemRegion *io_root, uint16_t base, IrqLine irq, Clock *clock,
               CharBackend *chr);
void uart_reset(Uart *s);
/* the snapshot fields (guest-visible state), *count rows */
const VmStateField *uart_get_vmstate(size_t *count);
/* unmaps, and detaches from the backend (which stays open) */
void uart_free(Uart *s);

#endif
