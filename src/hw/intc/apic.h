/*
 * Local APIC (xAPIC and x2APIC), one per vCPU, and the APIC bus that joins
 * them. Ref: Intel SDM vol. 3A chapter 10 (11 in newer editions).
 *
 * The LAPIC knows no CPU and no board: the CPU side calls apic_msr_read/
 * write (x2APIC MSRs), apic_set_base (IA32_APIC_BASE), apic_get/set_tpr
 * (CR8), apic_get_interrupt (INTA) and apic_set/get_tsc_deadline; the LAPIC
 * calls back through ApicOps for INIT/SIPI/NMI/SMI, the INTR level, the
 * PIC's acknowledge (ExtINT) and the guest TSC. The board maps the xAPIC
 * page (apic_mmio_region) at apic_mmio_base() for the CPU that owns it, and
 * routes LINT0 (the PIC's INTR) and LINT1 (NMI) with apic_set_lint.
 *
 * Every delivery, from an ICR, the IOAPIC or an MSI, goes through the bus
 * (apic_bus_deliver), which finds the addressed LAPICs.
 */
#ifndef XLAT_HW_INTC_APIC_H
#define XLAT_HW_INTC_APIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine/clock.h"
#include "machine/vmstate.h"
#include "mmu/memory.h"

#define APIC_DEFAULT_BASE 0xfee00000ull
#define APIC_MMIO_SIZE 0x1000
#define APIC_MSI_BASE 0xfee00000ull
#define APIC_MSI_SIZE 0x100000

/* IA32_APIC_BASE (MSR 0x1b) */
#define MSR_IA32_APIC_BASE 0x1b
#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_EXTD (1ull << 10) /* x2APIC mode */
#define APIC_BASE_EN (1ull << 11)   /* xAPIC global enable */
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ull

/* the x2APIC MSR range; MSR 0x800 + (xAPIC offset >> 4) */
#define APIC_X2_MSR_FIRST 0x800
#define APIC_X2_MSR_LAST 0x8ff

/* version register: 0x14, max LVT entry 6 (CMCI), EOI suppression */
#define APIC_VERSION 0x14
#define APIC_MAX_LVT 6
/* timer input: the bus clock is 1 GHz, one tick per ns before the divider */
#define APIC_TIMER_NS_PER_TICK 1
/* a periodic timer re-arms at least this far ahead (no timer storms) */
#define APIC_MIN_PERIOD_NS 2000

/* delivery modes (ICR, LVT, IOAPIC redirection entries, MSI data) */
enum {
    APIC_DM_FIXED = 0,
    APIC_DM_LOWEST = 1,
    APIC_DM_SMI = 2,
    APIC_DM_NMI = 4,
    APIC_DM_INIT = 5,
    APIC_DM_SIPI = 6,
    APIC_DM_EXTINT = 7,
};

/* destination mode and trigger mode */
enum { APIC_DEST_PHYSICAL = 0, APIC_DEST_LOGICAL = 1 };
enum { APIC_TRIGGER_EDGE = 0, APIC_TRIGGER_LEVEL = 1 };

/* events for the CPU (the board maps them to CPU_EV_*) */
enum {
    APIC_EV_NMI = 1,
    APIC_EV_SMI = 2,
    APIC_EV_INIT = 3,
    APIC_EV_SIPI = 4,
};

/* ESR bits (P6 bus errors 0-3 are not modelled) */
#define APIC_ESR_SEND_ILLEGAL_VECTOR (1u << 5)
#define APIC_ESR_RECV_ILLEGAL_VECTOR (1u << 6)
#define APIC_ESR_ILLEGAL_REGISTER (1u << 7)

/* LVT entries, in the order of the registers at 0x320.. (CMCI is 0x2f0) */
enum {
    APIC_LVT_TIMER,
    APIC_LVT_THERMAL,
    APIC_LVT_PERF,
    APIC_LVT_LINT0,
    APIC_LVT_LINT1,
    APIC_LVT_ERROR,
    APIC_LVT_CMCI,
    APIC_LVT_COUNT,
};

typedef struct Apic Apic;
typedef struct ApicBus ApicBus;

/* ev is APIC_EV_*; sipi_vector only for APIC_EV_SIPI */
typedef void ApicCpuEventFn(void *opaque, unsigned ev, uint8_t sipi_vector);
/* the INTR level: 1 when an interrupt is deliverable (apic_get_interrupt) */
typedef void ApicSetIntrFn(void *opaque, int level);
/* ExtINT: the PIC's interrupt acknowledge, returns the vector */
typedef int ApicExtIntAckFn(void *opaque);
/* the guest TSC now; *hz its frequency */
typedef uint64_t ApicTscFn(void *opaque, uint64_t *hz);
/* a level-triggered vector was EOIed (for the IOAPICs' remote IRR) */
typedef void ApicEoiFn(void *opaque, uint8_t vector);

typedef struct ApicOps {
    ApicCpuEventFn *cpu_event;
    ApicSetIntrFn *set_intr;
    ApicExtIntAckFn *extint_ack; /* NULL: ExtINT gives the spurious vector */
    ApicTscFn *tsc;              /* NULL: TSC-deadline never fires */
} ApicOps;

/* ---- the bus ---- */

ApicBus *apic_bus_new(void);
/* the LAPICs must have been freed first */
void apic_bus_free(ApicBus *bus);
/* EOI broadcast of level-triggered vectors (to the IOAPICs) */
void apic_bus_set_eoi_handler(ApicBus *bus, ApicEoiFn *fn, void *opaque);
/*
 * Deliver an interrupt message in the xAPIC format (8-bit destination, 0xff
 * is broadcast), as the IOAPIC and MSI send it. Returns false if no LAPIC
 * accepted it.
 */
bool apic_bus_deliver(ApicBus *bus, uint32_t dest, unsigned dest_mode,
                      unsigned delivery_mode, uint8_t vector, unsigned trigger);
/* an MSI write of data at addr (0xfeexxxxx); false if it is malformed */
bool apic_bus_msi(ApicBus *bus, uint64_t addr, uint32_t data);
/* the 1 MiB MSI window (32-bit writes) a device DMA space maps at 0xfee00000 */
MemRegion *apic_bus_msi_region(ApicBus *bus);

/* ---- one LAPIC ---- */

/* id is the initial APIC ID (CPUID); ops are copied */
Apic *apic_new(ApicBus *bus, uint32_t id, bool bsp, Clock *clock,
               const ApicOps *ops, void *opaque);
void apic_free(Apic *s);
/* power-up RESET: xAPIC mode, enabled, registers as SDM 10.4.7.1 */
void apic_reset(Apic *s);
/*
 * The INIT state: as RESET but the ID, APIC_BASE and mode are kept. An INIT
 * message (ICR, IOAPIC, MSI, LVT) does this itself before raising
 * APIC_EV_INIT; this is for INITs from elsewhere (the board).
 */
void apic_init_reset(Apic *s);

/* the xAPIC page (not mapped: the board maps it at apic_mmio_base) */
MemRegion *apic_mmio_region(Apic *s);
uint64_t apic_mmio_base(const Apic *s);
/* the xAPIC page answers (globally enabled and not in x2APIC mode) */
bool apic_mmio_enabled(const Apic *s);

/* IA32_APIC_BASE: false for #GP (reserved bits, illegal transitions) */
uint64_t apic_get_base(const Apic *s);
bool apic_set_base(Apic *s, uint64_t val, unsigned maxphyaddr)
    __attribute__((warn_unused_result));
bool apic_x2apic_mode(const Apic *s);

/* x2APIC MSRs 0x800-0x8ff: false for #GP */
bool apic_msr_read(Apic *s, uint32_t msr, uint64_t *val)
    __attribute__((warn_unused_result));
bool apic_msr_write(Apic *s, uint32_t msr, uint64_t val)
    __attribute__((warn_unused_result));

/* TPR (CR8 is tpr >> 4) */
uint8_t apic_get_tpr(const Apic *s);
void apic_set_tpr(Apic *s, uint8_t tpr);

/* INTA: IRR -> ISR, returns the vector (or the spurious vector) */
int apic_get_interrupt(Apic *s);
/* an interrupt is deliverable now (the INTR level) */
bool apic_has_interrupt(const Apic *s);

/* LINT0/LINT1 input pins (n = 0 or 1) */
void apic_set_lint(Apic *s, int n, int level);
/* a local source fired: APIC_LVT_THERMAL, _PERF, _CMCI */
void apic_local_interrupt(Apic *s, unsigned lvt);

/* IA32_TSC_DEADLINE (MSR 0x6e0) */
uint64_t apic_get_tsc_deadline(const Apic *s);
void apic_set_tsc_deadline(Apic *s, uint64_t deadline);

/* the snapshot fields (guest-visible state), *count rows */
const VmStateField *apic_get_vmstate(size_t *count);

#endif
