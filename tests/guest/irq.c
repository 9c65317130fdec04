/*
 * irq: external interrupts. Remap the PICs to vectors 32..47, run PIT
 * channel 0 at 100 Hz and take IRQ 0 through the 64-bit IDT with
 * sti; hlt (the STI shadow keeps the IRQ from coming between them, so the
 * HLT always sleeps until the next tick). CLI keeps it out; the handler
 * sees the interrupted RIP after the HLT and sends the EOI.
 */
#include "lib/guest.h"

#define PIC1 0x20
#define PIC2 0xa0
#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define VEC_IRQ0 32

static volatile uint64_t ticks, last_rip;

static void on_tick(IsrFrame *f)
{
    ticks++;
    last_rip = f->rip;
    outb(PIC1, 0x20); /* EOI */
}

static void pic_remap(void)
{
    outb(PIC1, 0x11); /* ICW1: edge, cascade, ICW4 */
    outb(PIC2, 0x11);
    outb(PIC1 + 1, 0x20); /* ICW2: vectors 0x20.. and 0x28.. */
    outb(PIC2 + 1, 0x28);
    outb(PIC1 + 1, 0x04); /* ICW3: slave on IR2 */
    outb(PIC2 + 1, 0x02);
    outb(PIC1 + 1, 0x01); /* ICW4: 8086 mode */
    outb(PIC2 + 1, 0x01);
    outb(PIC1 + 1, 0xfe); /* only IRQ 0 */
    outb(PIC2 + 1, 0xff);
}

static void pit_100hz(void)
{
    uint16_t count = 11932; /* 1193182 Hz / 100 */
    outb(PIT_CMD, 0x34);    /* channel 0, lo/hi, mode 2 */
    outb(PIT_CH0, (uint8_t)count);
    outb(PIT_CH0, (uint8_t)(count >> 8));
}

int test_main(void)
{
    serial_puts("irq: PIT ticks through the PIC and a 64-bit IDT\n");
    idt_init();
    idt_set_handler(VEC_IRQ0, on_tick);
    pic_remap();
    pit_100hz();
    uint64_t after_hlt = 0;
    for (int i = 0; i < 3; i++) {
        __asm__ volatile("sti\n\thlt\n1:\tcli\n\tlea 1b(%%rip), %0"
                         : "=r"(after_hlt)
                         :
                         : "memory");
    }
    check("three ticks woke the HLTs", ticks >= 3);
    check_eq("the tick interrupted at the instruction after HLT", last_rip,
             after_hlt);
    /* with IF clear no tick comes in, though the PIT keeps running */
    uint64_t t = ticks;
    for (volatile int i = 0; i < 2000000; i++) {
    }
    check_eq("no tick with IF clear", ticks, t);
    outb(PIC1 + 1, 0xff);
    return (int)failures();
}
