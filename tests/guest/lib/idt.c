/*
 * A 64-bit IDT for the exception tests: 32 interrupt gates (SDM vol. 3 sec.
 * 7.14.1, "64-Bit Mode IDT") pointing at the stubs in isr.S. An exception
 * nobody registered for is reported as a failure and ends the test, so a
 * stray fault can never loop.
 */
#include "guest.h"

#define IDT_VECTORS 48      /* exceptions, then the PIC's 16 IRQs */
#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate */
#define KERNEL_CS 0x08

extern const uint64_t isr_stubs[IDT_VECTORS];

static IdtGate idt[IDT_VECTORS] __attribute__((aligned(16)));
static IsrHandler *handlers[IDT_VECTORS];

void isr_dispatch(IsrFrame *f);

void isr_dispatch(IsrFrame *f)
{
    if (f->vector < IDT_VECTORS && handlers[f->vector]) {
        handlers[f->vector](f);
        return;
    }
    serial_puts("FAIL unexpected exception ");
    serial_put_dec(f->vector);
    serial_puts(" at rip ");
    serial_put_hex(f->rip);
    serial_puts(" error ");
    serial_put_hex(f->error);
    serial_putc('\n');
    test_exit(GUEST_EXIT_MAX_FAILURES);
}

void idt_set_handler(unsigned vector, IsrHandler *h)
{
    if (vector < IDT_VECTORS) {
        handlers[vector] = h;
    }
}

void idt_init(void)
{
    for (unsigned i = 0; i < IDT_VECTORS; i++) {
        uint64_t a = isr_stubs[i];
        idt[i] = (IdtGate){
            .off_lo = (uint16_t)a,
            .sel = KERNEL_CS,
            .ist = 0,
            .type = GATE_INTERRUPT,
            .off_mid = (uint16_t)(a >> 16),
            .off_hi = (uint32_t)(a >> 32),
        };
    }
    DescPtr p = {.limit = sizeof(idt) - 1, .base = (uint64_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" : : "m"(p));
}
