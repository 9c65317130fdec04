/*
 * The APIC bus: every LAPIC of the machine, and the one delivery path that
 * ICR writes, the IOAPIC and MSI writes take (SDM 10.6 and 10.11). A
 * message names its destination as a physical ID, a logical destination
 * (flat or cluster model, or x2APIC's cluster/bit form) or a shorthand;
 * lowest priority picks one of the matching LAPICs: the focus processor
 * (the vector already in its IRR or ISR) unless focus checking is off,
 * else the lowest arbitration priority, ties to the first on the bus.
 * Delivery is synchronous, so the ICR's delivery status always reads idle.
 */
#include "hw/intc/apic_int.h"

#include <stdlib.h>

#include "util/common.h"
#include "util/log.h"

enum {
    SH_NONE = 0,
    SH_SELF = 1,
    SH_ALL_INCL = 2,
    SH_ALL_EXCL = 3,
};

struct ApicBus {
    Apic **apics;
    int n, cap;
    ApicEoiFn *eoi;
    void *eoi_opaque;
    MemRegion *msi_mr;
};

typedef struct ApicMsg {
    uint32_t dest;
    bool x2; /* 32-bit destination (x2APIC ICR); else 8-bit, 0xff all */
    unsigned dest_mode, dm, shorthand;
    bool level;
    uint8_t vector;
    Apic *src; /* the sender, for shorthands */
} ApicMsg;

/* ---- destination matching ---- */

static bool apic_match_logical(const Apic *s, const ApicMsg *m)
{
    if (apic_x2apic_mode(s)) { /* cluster in 31:16, a bit per APIC below */
        return m->x2 && (m->dest >> 16) == (s->ldr >> 16) &&
               (m->dest & s->ldr & 0xffff);
    }
    uint32_t d = m->dest & 0xff, l = s->ldr >> 24;
    switch (s->dfr >> 28) {
    case 0xf: /* flat */
        return (d & l) != 0;
    case 0x0: /* cluster: cluster in 7:4, cluster 15 is every cluster */
        return ((d >> 4) == 0xf || (d >> 4) == (l >> 4)) && (d & l & 0xf);
    default:
        return false;
    }
}

static bool apic_match(const Apic *s, const ApicMsg *m)
{
    if (!apic_enabled(s)) {
        return false;
    }
    switch (m->shorthand) {
    case SH_SELF:
        return s == m->src;
    case SH_ALL_INCL:
        return true;
    case SH_ALL_EXCL:
        return s != m->src;
    default:
        break;
    }
    if (m->x2 ? m->dest == 0xffffffffu : (m->dest & 0xff) == 0xff) {
        return true; /* broadcast, in either destination mode */
    }
    if (m->dest_mode == APIC_DEST_LOGICAL) {
        return apic_match_logical(s, m);
    }
    uint32_t id = apic_x2apic_mode(s) ? s->id : s->id & 0xff;
    return id == (m->x2 ? m->dest : m->dest & 0xff);
}

static Apic *apic_lowest_priority(ApicBus *bus, const ApicMsg *m)
{
    Apic *best = NULL;
    for (int i = 0; i < bus->n; i++) {
        Apic *s = bus->apics[i];
        if (!apic_match(s, m) || !apic_sw_enabled(s)) {
            continue;
        }
        if (!(s->svr & APIC_SVR_FOCUS_OFF) &&
            apic_vector_pending(s, m->vector)) {
            return s; /* the focus processor */
        }
        if (!best || apic_apr(s) < apic_apr(best)) {
            best = s;
        }
    }
    return best;
}

/* returns the number of LAPICs that got the message */
static int apic_bus_send(ApicBus *bus, const ApicMsg *m)
{
    if (m->dm == APIC_DM_LOWEST) {
        Apic *s = apic_lowest_priority(bus, m);
        if (s) {
            apic_accept(s, m->dm, m->vector, m->level);
        }
        return s != NULL;
    }
    int n = 0;
    for (int i = 0; i < bus->n; i++) {
        if (apic_match(bus->apics[i], m)) {
            apic_accept(bus->apics[i], m->dm, m->vector, m->level);
            n++;
        }
    }
    return n;
}

bool apic_bus_deliver(ApicBus *bus, uint32_t dest, unsigned dest_mode,
                      unsigned delivery_mode, uint8_t vector, unsigned trigger)
{
    ApicMsg m = {
        .dest = dest & 0xff,
        .dest_mode = dest_mode & 1,
        .dm = delivery_mode & 7,
        .level = trigger == APIC_TRIGGER_LEVEL,
        .vector = vector,
    };
    return apic_bus_send(bus, &m) > 0;
}

/* ---- IPIs (SDM 10.6.1) ---- */

static bool apic_ipi_valid(Apic *s, const ApicMsg *m)
{
    if (m->dm == 3 || m->dm == APIC_DM_EXTINT) {
        log_guest_error("apic", "cpu %u: ICR delivery mode %u is reserved",
                        s->initial_id, m->dm);
        return false;
    }
    if ((m->dm == APIC_DM_FIXED || m->dm == APIC_DM_LOWEST) && m->vector < 16) {
        log_guest_error("apic", "cpu %u: IPI with illegal vector 0x%x",
                        s->initial_id, m->vector);
        apic_error(s, APIC_ESR_SEND_ILLEGAL_VECTOR);
        return false;
    }
    if ((m->shorthand == SH_SELF && m->dm != APIC_DM_FIXED) ||
        (m->shorthand == SH_ALL_INCL && m->dm == APIC_DM_LOWEST)) {
        log_guest_error("apic", "cpu %u: invalid shorthand %u for mode %u",
                        s->initial_id, m->shorthand, m->dm);
        return false;
    }
    return true;
}

void apic_send_ipi(Apic *s, uint64_t icr)
{
    bool x2 = apic_x2apic_mode(s);
    ApicMsg m = {
        .dest = x2 ? (uint32_t)(icr >> 32) : (uint32_t)(icr >> 56),
        .x2 = x2,
        .dest_mode = (icr >> 11) & 1,
        .dm = (icr >> 8) & 7,
        .shorthand = (icr >> 18) & 3,
        .level = (icr >> 15) & 1,
        .vector = (uint8_t)icr,
        .src = s,
    };
    bool assert_level = (icr >> 14) & 1;
    if (m.dm == APIC_DM_INIT && !assert_level && m.level) {
        return; /* INIT level de-assert: no effect since the Pentium 4 */
    }
    if (!apic_ipi_valid(s, &m)) {
        return;
    }
    if (m.dm != APIC_DM_FIXED && m.dm != APIC_DM_LOWEST) {
        m.level = false; /* NMI, SMI, INIT, SIPI are edge */
    }
    apic_bus_send(s->bus, &m);
}

/* ---- MSI (SDM 10.11) ---- */

bool apic_bus_msi(ApicBus *bus, uint64_t addr, uint32_t data)
{
    if ((addr >> 20) != (APIC_MSI_BASE >> 20)) {
        log_guest_error("apic", "MSI to 0x%llx outside 0xfeexxxxx",
                        (unsigned long long)addr);
        return false;
    }
    if (data >> 16) {
        log_guest_error("apic", "MSI data 0x%x: reserved bits set", data);
    }
    unsigned dm = (data >> 8) & 7;
    bool rh = (addr >> 3) & 1;
    /*
     * RH=1 redirects to the lowest priority LAPIC of the destination set.
     * DM selects logical or physical matching whatever RH is, as chipsets
     * and the OSes that program them do.
     */
    if (rh && dm == APIC_DM_FIXED) {
        dm = APIC_DM_LOWEST;
    }
    if (dm == 3) {
        log_guest_error("apic", "MSI delivery mode 3 is reserved");
        return false;
    }
    return apic_bus_deliver(bus, (uint32_t)(addr >> 12) & 0xff, (addr >> 2) & 1,
                            dm, (uint8_t)data, (data >> 15) & 1);
}

static void apic_msi_write(void *opaque, uint64_t addr, uint64_t val,
                           unsigned size)
{
    (void)size;
    apic_bus_msi(opaque, APIC_MSI_BASE + addr, (uint32_t)val);
}

static uint64_t apic_msi_read(void *opaque, uint64_t addr, unsigned size)
{
    (void)opaque;
    (void)size;
    log_guest_error("apic", "read of the MSI window at 0x%llx",
                    (unsigned long long)(APIC_MSI_BASE + addr));
    return 0;
}

static const MemOps apic_msi_ops = {
    .read = apic_msi_read,
    .write = apic_msi_write,
    .valid = {.min = 4, .max = 4},
    .impl = {.min = 4, .max = 4},
};

MemRegion *apic_bus_msi_region(ApicBus *bus)
{
    return bus->msi_mr;
}

/* ---- the bus ---- */

ApicBus *apic_bus_new(void)
{
    ApicBus *bus = xzalloc(sizeof(*bus));
    bus->msi_mr = mr_new_io("apic-msi", APIC_MSI_SIZE, &apic_msi_ops, bus);
    return bus;
}

void apic_bus_free(ApicBus *bus)
{
    if (!bus) {
        return;
    }
    ASSERT(bus->n == 0);
    mr_free(bus->msi_mr);
    free(bus->apics);
    free(bus);
}

void apic_bus_set_eoi_handler(ApicBus *bus, ApicEoiFn *fn, void *opaque)
{
    bus->eoi = fn;
    bus->eoi_opaque = opaque;
}

void apic_bus_eoi(ApicBus *bus, uint8_t vector)
{
    if (bus->eoi) {
        bus->eoi(bus->eoi_opaque, vector);
    }
}

void apic_bus_add(ApicBus *bus, Apic *s)
{
    if (bus->n == bus->cap) {
        bus->cap = bus->cap ? bus->cap * 2 : 4;
        bus->apics = xrealloc(bus->apics, bus->cap * sizeof(*bus->apics));
    }
    bus->apics[bus->n++] = s;
}

void apic_bus_remove(ApicBus *bus, Apic *s)
{
    for (int i = 0; i < bus->n; i++) {
        if (bus->apics[i] == s) {
            bus->n--;
            for (int j = i; j < bus->n; j++) { /* keep the bus order */
                bus->apics[j] = bus->apics[j + 1];
            }
            return;
        }
    }
}
