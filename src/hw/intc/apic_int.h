/*
 * Local APIC internals shared by apic.c (priority logic, LVT, timer,
 * APIC_BASE), apic_regs.c (the xAPIC page and x2APIC MSRs) and apic_bus.c
 * (delivery between LAPICs, MSI). Not for use outside src/hw/intc/.
 */
#ifndef XLAT_HW_INTC_APIC_INT_H
#define XLAT_HW_INTC_APIC_INT_H

#include "hw/intc/apic.h"

#define APIC_SVR_ENABLE (1u << 8)
#define APIC_SVR_FOCUS_OFF (1u << 9)
#define APIC_SVR_EOI_SUPPRESS (1u << 12)

#define APIC_LVT_POLARITY (1u << 13) /* LINT: active low */
#define APIC_LVT_REMOTE_IRR (1u << 14)
#define APIC_LVT_LEVEL (1u << 15)
#define APIC_LVT_MASKED (1u << 16)

enum {
    APIC_TIMER_ONESHOT = 0,
    APIC_TIMER_PERIODIC = 1,
    APIC_TIMER_TSC_DEADLINE = 2,
};

struct Apic {
    /* guest-visible state (apic_vmstate) */
    uint64_t base; /* IA32_APIC_BASE */
    uint32_t id;   /* 8-bit xAPIC ID, or the 32-bit x2APIC ID */
    uint32_t tpr, ldr, dfr, svr;
    uint32_t esr;         /* what ESR reads: latched by the last write */
    uint32_t esr_pending; /* errors since the last ESR write */
    uint32_t icr_lo, icr_hi;
    uint32_t isr[8], tmr[8], irr[8];
    uint32_t lvt[APIC_LVT_COUNT];
    uint32_t timer_initial, timer_dcr;
    int64_t timer_start_ns; /* virtual time of the initial-count write */
    uint64_t tsc_deadline;
    uint8_t lint_level[2];
    uint8_t extint_pending; /* an ExtINT message (IOAPIC, MSI) */

    /* wiring */
    uint32_t initial_id;
    bool bsp;
    int intr_level; /* last level given to ops.set_intr */
    Timer *timer;
    Clock *clock;
    ApicBus *bus;
    ApicOps ops;
    void *opaque;
    MemRegion *mmio;
};

bool apic_enabled(const Apic *s);
bool apic_sw_enabled(const Apic *s);
uint32_t apic_ppr(const Apic *s);
uint32_t apic_apr(const Apic *s);
uint32_t apic_x2apic_ldr(uint32_t id);
void apic_update_intr(Apic *s);
void apic_error(Apic *s, uint32_t bits);
void apic_eoi(Apic *s);
/* accept a message with delivery mode dm (fixed: vector into the IRR) */
void apic_accept(Apic *s, unsigned dm, uint8_t vector, bool level);
void apic_lvt_fire(Apic *s, unsigned n);
bool apic_vector_pending(const Apic *s, uint8_t vector); /* IRR or ISR */

uint32_t apic_timer_current(const Apic *s);
void apic_timer_arm(Apic *s);
void apic_timer_set_initial(Apic *s, uint32_t count);
void apic_timer_set_dcr(Apic *s, uint32_t dcr);
void apic_timer_set_lvt(Apic *s, uint32_t val);

MemRegion *apic_mmio_new(Apic *s);

void apic_bus_add(ApicBus *bus, Apic *s);
void apic_bus_remove(ApicBus *bus, Apic *s);
void apic_bus_eoi(ApicBus *bus, uint8_t vector);
/* send the IPI in the ICR (icr_lo/icr_hi, or the 64-bit x2APIC ICR) */
void apic_send_ipi(Apic *s, uint64_t icr);

#endif
