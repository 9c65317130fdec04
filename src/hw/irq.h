/*
 * IRQ lines: how a device signals an interrupt controller without knowing
 * which one it is wired to (TinyEMU's IRQSignal, vm-superio's Trigger). The
 * machine hands each device the IrqLine it should drive; tests hand in a fake.
 *
 * level: 1 asserted, 0 deasserted. Edge-triggered consumers see the 0->1
 * transition; irq_pulse() is a raise followed by a lower.
 */
#ifndef XLAT_HW_IRQ_H
#define XLAT_HW_IRQ_H

#include <stddef.h>

typedef void IrqHandler(void *opaque, int n, int level);

typedef struct IrqLine {
    IrqHandler *handler; /* NULL: the line is not connected */
    void *opaque;
    int n; /* input number at the receiver */
} IrqLine;

static inline IrqLine irq_line(IrqHandler *handler, void *opaque, int n)
{
    return (IrqLine){.handler = handler, .opaque = opaque, .n = n};
}

static inline void irq_set(const IrqLine *irq, int level)
{
    if (irq && irq->handler) {
        irq->handler(irq->opaque, irq->n, level);
    }
}

static inline void irq_raise(const IrqLine *irq)
{
    irq_set(irq, 1);
}

static inline void irq_lower(const IrqLine *irq)
{
    irq_set(irq, 0);
}

static inline void irq_pulse(const IrqLine *irq)
{
    irq_set(irq, 1);
    irq_set(irq, 0);
}

#endif
