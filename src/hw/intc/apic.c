/*
 * Local APIC (SDM vol. 3A ch. 10): the xAPIC page and x2APIC MSRs over one
 * register file addressed by xAPIC offset (MSR 0x800 + off/16), the
 * IRR/ISR/TMR priority logic, the LVT and the APIC timer.
 *
 * The timer stores no running count: the current count is derived from the
 * virtual time the initial count was written (timer_start_ns) and the
 * divider, and one clock timer is armed for the next expiry only. Periodic
 * expiries the main loop missed coalesce into one interrupt, and a period
 * under APIC_MIN_PERIOD_NS re-arms that far ahead. Delivery between LAPICs
 * (ICR, IOAPIC, MSI) is in apic_bus.c.
 */
#include "hw/intc/apic_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/common.h"
#include "util/log.h"

static const VmStateField apic_vmstate[] = {
    VMSTATE_FIELD(Apic, base),
    VMSTATE_FIELD(Apic, id),
    VMSTATE_FIELD(Apic, tpr),
    VMSTATE_FIELD(Apic, ldr),
    VMSTATE_FIELD(Apic, dfr),
    VMSTATE_FIELD(Apic, svr),
    VMSTATE_FIELD(Apic, esr),
    VMSTATE_FIELD(Apic, esr_pending),
    VMSTATE_FIELD(Apic, icr_lo),
    VMSTATE_FIELD(Apic, icr_hi),
    VMSTATE_FIELD(Apic, isr),
    VMSTATE_FIELD(Apic, tmr),
    VMSTATE_FIELD(Apic, irr),
    VMSTATE_FIELD(Apic, lvt),
    VMSTATE_FIELD(Apic, timer_initial),
    VMSTATE_FIELD(Apic, timer_dcr),
    VMSTATE_FIELD(Apic, timer_start_ns),
    VMSTATE_FIELD(Apic, tsc_deadline),
    VMSTATE_FIELD(Apic, lint_level),
    VMSTATE_FIELD(Apic, extint_pending),
};

const VmStateField *apic_get_vmstate(size_t *count)
{
    *count = ARRAY_LEN(apic_vmstate);
    return apic_vmstate;
}

/* ---- 256-bit vector sets ---- */

static void vset(uint32_t *a, unsigned v)
{
    a[v >> 5] |= 1u << (v & 31);
}

static void vclr(uint32_t *a, unsigned v)
{
    a[v >> 5] &= ~(1u << (v & 31));
}

static bool vtest(const uint32_t *a, unsigned v)
{
    return a[v >> 5] & (1u << (v & 31));
}

static int vhighest(const uint32_t *a)
{
    for (int i = 7; i >= 0; i--) {
        if (a[i]) {
            return i * 32 + 31 - __builtin_clz(a[i]);
        }
    }
    return -1;
}

/* ---- modes ---- */

bool apic_x2apic_mode(const Apic *s)
{
    return (s->base & APIC_BASE_EXTD) != 0;
}

bool apic_enabled(const Apic *s)
{
    return (s->base & APIC_BASE_EN) != 0;
}

bool apic_mmio_enabled(const Apic *s)
{
    return apic_enabled(s) && !apic_x2apic_mode(s);
}

bool apic_sw_enabled(const Apic *s)
{
    return apic_enabled(s) && (s->svr & APIC_SVR_ENABLE);
}

uint64_t apic_mmio_base(const Apic *s)
{
    return s->base & APIC_BASE_ADDR_MASK;
}

MemRegion *apic_mmio_region(Apic *s)
{
    return s->mmio;
}

/* ---- priority (SDM 10.8.3.1) ---- */

uint32_t apic_ppr(const Apic *s)
{
    int isrv = vhighest(s->isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
    return (s->tpr & 0xf0) >= isr_class ? s->tpr : isr_class;
}

/* arbitration priority (P6 family formula; used for lowest priority) */
uint32_t apic_apr(const Apic *s)
{
    int isrv = vhighest(s->isr), irrv = vhighest(s->irr);
    uint32_t isrc = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
    uint32_t irrc = irrv < 0 ? 0 : (uint32_t)irrv & 0xf0;
    uint32_t tprc = s->tpr & 0xf0;
    if (tprc >= irrc && tprc > isrc) {
        return s->tpr;
    }
    return MAX(tprc, MAX(isrc, irrc));
}

/* the highest IRR vector above the PPR's class, or -1 */
static int apic_pending_vector(const Apic *s)
{
    int v = vhighest(s->irr);
    if (v < 0 || ((uint32_t)v & 0xf0) <= (apic_ppr(s) & 0xf0)) {
        return -1;
    }
    return v;
}

static bool apic_extint_active(const Apic *s)
{
    if (!apic_enabled(s)) { /* LINT0 is the INTR pin itself */
        return s->lint_level[0] != 0;
    }
    uint32_t lvt = s->lvt[APIC_LVT_LINT0];
    bool lint0 = !(lvt & APIC_LVT_MASKED) &&
                 ((lvt >> 8) & 7) == APIC_DM_EXTINT && s->lint_level[0];
    return lint0 || s->extint_pending;
}

bool apic_has_interrupt(const Apic *s)
{
    return apic_extint_active(s) || apic_pending_vector(s) >= 0;
}

void apic_update_intr(Apic *s)
{
    int level = apic_has_interrupt(s);
    if (level != s->intr_level) {
        s->intr_level = level;
        if (s->ops.set_intr) {
            s->ops.set_intr(s->opaque, level);
        }
    }
}

static void apic_cpu_event(Apic *s, unsigned ev, uint8_t vector)
{
    if (s->ops.cpu_event) {
        s->ops.cpu_event(s->opaque, ev, vector);
    }
}

int apic_get_interrupt(Apic *s)
{
    int v;
    if (apic_extint_active(s)) {
        s->extint_pending = 0;
        v = s->ops.extint_ack ? s->ops.extint_ack(s->opaque)
                              : (int)(s->svr & 0xff);
        apic_update_intr(s);
        return v;
    }
    v = apic_pending_vector(s);
    if (v < 0) { /* withdrawn (TPR raised, ...): the spurious vector */
        apic_update_intr(s);
        return (int)(s->svr & 0xff);
    }
    vclr(s->irr, (unsigned)v);
    vset(s->isr, (unsigned)v);
    apic_update_intr(s);
    return v;
}

uint8_t apic_get_tpr(const Apic *s)
{
    return (uint8_t)s->tpr;
}

void apic_set_tpr(Apic *s, uint8_t tpr)
{
    s->tpr = tpr;
    apic_update_intr(s);
}

/* ---- errors and interrupt acceptance ---- */

/* the error interrupt fires for each newly detected error kind */
void apic_error(Apic *s, uint32_t bits)
{
    uint32_t fresh = bits & ~s->esr_pending;
    s->esr_pending |= bits;
    if (fresh) {
        apic_lvt_fire(s, APIC_LVT_ERROR);
    }
}

/* a fixed vector into the IRR (TMR per trigger, SDM 10.8.4) */
static void apic_set_irr(Apic *s, uint8_t vector, bool level)
{
    if (vector < 16) {
        log_guest_error("apic", "cpu %u: illegal vector 0x%x received",
                        s->initial_id, vector);
        apic_error(s, APIC_ESR_RECV_ILLEGAL_VECTOR);
        return;
    }
    vset(s->irr, vector);
    if (level) {
        vset(s->tmr, vector);
    } else {
        vclr(s->tmr, vector);
    }
    apic_update_intr(s);
}

void apic_accept(Apic *s, unsigned dm, uint8_t vector, bool level)
{
    if (!apic_enabled(s)) {
        return;
    }
    switch (dm) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
        if (!(s->svr & APIC_SVR_ENABLE)) {
            return; /* software disabled: no fixed interrupts */
        }
        apic_set_irr(s, vector, level);
        break;
    case APIC_DM_SMI:
        apic_cpu_event(s, APIC_EV_SMI, 0);
        break;
    case APIC_DM_NMI:
        apic_cpu_event(s, APIC_EV_NMI, 0);
        break;
    case APIC_DM_INIT:
        apic_init_reset(s);
        apic_cpu_event(s, APIC_EV_INIT, 0);
        break;
    case APIC_DM_SIPI:
        apic_cpu_event(s, APIC_EV_SIPI, vector);
        break;
    case APIC_DM_EXTINT:
        s->extint_pending = 1;
        apic_update_intr(s);
        break;
    default:
        log_guest_error("apic", "reserved delivery mode %u", dm);
        break;
    }
}

/* a local source through its LVT entry (edge unless LINT level) */
void apic_lvt_fire(Apic *s, unsigned n)
{
    uint32_t lvt = s->lvt[n];
    if ((lvt & APIC_LVT_MASKED) || !apic_enabled(s)) {
        return;
    }
    bool has_dm = n != APIC_LVT_TIMER && n != APIC_LVT_ERROR;
    unsigned dm = has_dm ? (lvt >> 8) & 7 : APIC_DM_FIXED;
    uint8_t vector = (uint8_t)lvt;
    switch (dm) {
    case APIC_DM_FIXED:
        apic_set_irr(s, vector, false);
        break;
    case APIC_DM_SMI:
    case APIC_DM_NMI:
    case APIC_DM_INIT:
        apic_accept(s, dm, vector, false);
        break;
    case APIC_DM_EXTINT:
        if (n == APIC_LVT_LINT0 || n == APIC_LVT_LINT1) {
            apic_update_intr(s); /* ExtINT follows the pin's level */
            break;
        }
        /* fall through */
    default:
        log_guest_error("apic", "LVT %u: reserved delivery mode %u", n, dm);
        break;
    }
}

void apic_local_interrupt(Apic *s, unsigned lvt)
{
    if (lvt == APIC_LVT_THERMAL || lvt == APIC_LVT_PERF ||
        lvt == APIC_LVT_CMCI) {
        apic_lvt_fire(s, lvt);
    }
}

/* ---- LINT0/LINT1 ---- */

/* level-triggered fixed LINT: deliver while active and remote IRR clear */
static void apic_lint_level_check(Apic *s, int n)
{
    uint32_t *lvt = &s->lvt[APIC_LVT_LINT0 + n];
    bool active = (s->lint_level[n] != 0) != ((*lvt & APIC_LVT_POLARITY) != 0);
    if (!active || (*lvt & (APIC_LVT_MASKED | APIC_LVT_REMOTE_IRR)) ||
        ((*lvt >> 8) & 7) != APIC_DM_FIXED || !(*lvt & APIC_LVT_LEVEL) ||
        !apic_sw_enabled(s)) {
        return;
    }
    if ((uint8_t)*lvt >= 16) {
        *lvt |= APIC_LVT_REMOTE_IRR;
    }
    apic_set_irr(s, (uint8_t)*lvt, true);
}

void apic_set_lint(Apic *s, int n, int level)
{
    if (n < 0 || n > 1) {
        return;
    }
    bool rise = level && !s->lint_level[n];
    bool fall = !level && s->lint_level[n];
    s->lint_level[n] = level != 0;
    if (!apic_enabled(s)) { /* pins pass through: LINT0 INTR, LINT1 NMI */
        if (n == 1 && rise) {
            apic_cpu_event(s, APIC_EV_NMI, 0);
        }
        apic_update_intr(s);
        return;
    }
    uint32_t lvt = s->lvt[APIC_LVT_LINT0 + n];
    unsigned dm = (lvt >> 8) & 7;
    bool active_low = (lvt & APIC_LVT_POLARITY) != 0;
    if (dm == APIC_DM_FIXED && (lvt & APIC_LVT_LEVEL)) {
        apic_lint_level_check(s, n);
    } else if (dm != APIC_DM_EXTINT && (active_low ? fall : rise)) {
        apic_lvt_fire(s, APIC_LVT_LINT0 + n);
    }
    apic_update_intr(s);
}

/* ---- EOI ---- */

void apic_eoi(Apic *s)
{
    int v = vhighest(s->isr);
    if (v < 0) {
        return;
    }
    vclr(s->isr, (unsigned)v);
    if (vtest(s->tmr, (unsigned)v)) {
        for (int n = 0; n < 2; n++) {
            uint32_t *lvt = &s->lvt[APIC_LVT_LINT0 + n];
            if ((*lvt & APIC_LVT_REMOTE_IRR) && (uint8_t)*lvt == v) {
                *lvt &= ~APIC_LVT_REMOTE_IRR;
                apic_lint_level_check(s, n);
            }
        }
        if (!(s->svr & APIC_SVR_EOI_SUPPRESS)) {
            apic_bus_eoi(s->bus, (uint8_t)v);
        }
    }
    apic_update_intr(s);
}

/* ---- timer (SDM 10.5.4) ---- */

static unsigned apic_timer_mode(const Apic *s)
{
    return (s->lvt[APIC_LVT_TIMER] >> 17) & 3;
}

static int64_t apic_timer_tick_ns(const Apic *s)
{
    unsigned v = (s->timer_dcr & 3) | ((s->timer_dcr >> 1) & 4);
    return (int64_t)APIC_TIMER_NS_PER_TICK * (v == 7 ? 1 : 2 << v);
}

static uint64_t apic_timer_elapsed(const Apic *s)
{
    int64_t d = clock_ns(s->clock) - s->timer_start_ns;
    return d > 0 ? (uint64_t)(d / apic_timer_tick_ns(s)) : 0;
}

uint32_t apic_timer_current(const Apic *s)
{
    unsigned mode = apic_timer_mode(s);
    if (mode >= APIC_TIMER_TSC_DEADLINE || s->timer_initial == 0) {
        return 0;
    }
    uint64_t e = apic_timer_elapsed(s);
    if (mode == APIC_TIMER_PERIODIC) {
        return s->timer_initial - (uint32_t)(e % s->timer_initial);
    }
    return e >= s->timer_initial ? 0 : s->timer_initial - (uint32_t)e;
}

static void apic_deadline_arm(Apic *s)
{
    uint64_t hz = 0;
    if (!s->tsc_deadline || !s->ops.tsc) {
        timer_del(s->timer);
        return;
    }
    uint64_t now_tsc = s->ops.tsc(s->opaque, &hz);
    int64_t now = clock_ns(s->clock);
    if (!hz) {
        timer_del(s->timer);
        return;
    }
    if (s->tsc_deadline <= now_tsc) {
        timer_mod(s->timer, now);
        return;
    }
    /* round up: the TSC has reached the deadline when the timer fires */
    unsigned __int128 ns =
        ((unsigned __int128)(s->tsc_deadline - now_tsc) * NS_PER_SEC + hz - 1) /
        hz;
    if (ns > (unsigned __int128)(INT64_MAX / 2 - now)) {
        timer_del(s->timer); /* centuries away */
        return;
    }
    timer_mod(s->timer, now + (int64_t)ns);
}

/* arm for the next expiry after now (none for an expired one-shot) */
void apic_timer_arm(Apic *s)
{
    unsigned mode = apic_timer_mode(s);
    if (mode == APIC_TIMER_TSC_DEADLINE) {
        apic_deadline_arm(s);
        return;
    }
    if (!s->timer_initial || mode > APIC_TIMER_TSC_DEADLINE) {
        timer_del(s->timer);
        return;
    }
    int64_t period = (int64_t)s->timer_initial * apic_timer_tick_ns(s);
    int64_t now = clock_ns(s->clock);
    int64_t t = now - s->timer_start_ns;
    if (mode == APIC_TIMER_ONESHOT) {
        if (t >= period) {
            timer_del(s->timer);
        } else {
            timer_mod(s->timer, s->timer_start_ns + period);
        }
        return;
    }
    int64_t slack = period < APIC_MIN_PERIOD_NS ? APIC_MIN_PERIOD_NS - 1 : 0;
    int64_t k = (MAX(t, 0) + slack) / period + 1;
    timer_mod(s->timer, s->timer_start_ns + k * period);
}

static void apic_timer_cb(void *opaque)
{
    Apic *s = opaque;
    unsigned mode = apic_timer_mode(s);
    if (mode == APIC_TIMER_TSC_DEADLINE) {
        s->tsc_deadline = 0;
    }
    apic_lvt_fire(s, APIC_LVT_TIMER);
    if (mode == APIC_TIMER_PERIODIC) {
        apic_timer_arm(s);
    }
}

void apic_timer_set_initial(Apic *s, uint32_t count)
{
    if (apic_timer_mode(s) == APIC_TIMER_TSC_DEADLINE) {
        return; /* ignored in TSC-deadline mode */
    }
    s->timer_initial = count;
    s->timer_start_ns = clock_ns(s->clock);
    apic_timer_arm(s);
}

/* a new divider keeps the ticks counted so far */
void apic_timer_set_dcr(Apic *s, uint32_t dcr)
{
    unsigned mode = apic_timer_mode(s);
    uint64_t e = apic_timer_elapsed(s);
    s->timer_dcr = dcr & 0xb;
    if (!s->timer_initial || mode >= APIC_TIMER_TSC_DEADLINE) {
        return;
    }
    /* ticks into the count (or the period), so at most 2^32 */
    e = mode == APIC_TIMER_PERIODIC ? e % s->timer_initial
                                    : MIN(e, (uint64_t)s->timer_initial);
    s->timer_start_ns = clock_ns(s->clock) - (int64_t)e * apic_timer_tick_ns(s);
    apic_timer_arm(s);
}

void apic_timer_set_lvt(Apic *s, uint32_t val)
{
    unsigned old = apic_timer_mode(s);
    s->lvt[APIC_LVT_TIMER] = val;
    unsigned mode = apic_timer_mode(s);
    if (mode == old) {
        return;
    }
    if (old == APIC_TIMER_TSC_DEADLINE || mode == APIC_TIMER_TSC_DEADLINE) {
        /* switching to or from TSC-deadline disarms the timer */
        s->tsc_deadline = 0;
        s->timer_initial = 0;
    }
    apic_timer_arm(s);
}

uint64_t apic_get_tsc_deadline(const Apic *s)
{
    return apic_timer_mode(s) == APIC_TIMER_TSC_DEADLINE ? s->tsc_deadline : 0;
}

void apic_set_tsc_deadline(Apic *s, uint64_t deadline)
{
    if (apic_timer_mode(s) != APIC_TIMER_TSC_DEADLINE) {
        return; /* ignored outside TSC-deadline mode */
    }
    s->tsc_deadline = deadline;
    apic_deadline_arm(s);
}

/* ---- reset, APIC_BASE ---- */

/* the registers RESET and INIT initialize (SDM 10.4.7.1, 10.12.5.1) */
static void apic_regs_reset(Apic *s)
{
    timer_del(s->timer);
    s->tpr = 0;
    s->ldr = 0;
    s->dfr = 0xffffffff;
    s->svr = 0xff;
    s->esr = s->esr_pending = 0;
    s->icr_lo = s->icr_hi = 0;
    memset(s->isr, 0, sizeof(s->isr));
    memset(s->tmr, 0, sizeof(s->tmr));
    memset(s->irr, 0, sizeof(s->irr));
    for (int n = 0; n < APIC_LVT_COUNT; n++) {
        s->lvt[n] = APIC_LVT_MASKED;
    }
    s->timer_initial = 0;
    s->timer_dcr = 0;
    s->timer_start_ns = 0;
    s->tsc_deadline = 0;
    s->extint_pending = 0;
    if (apic_x2apic_mode(s)) {
        s->ldr = apic_x2apic_ldr(s->id);
    }
}

void apic_reset(Apic *s)
{
    s->base = APIC_DEFAULT_BASE | APIC_BASE_EN | (s->bsp ? APIC_BASE_BSP : 0);
    s->id = s->initial_id;
    apic_regs_reset(s);
    apic_update_intr(s);
}

void apic_init_reset(Apic *s)
{
    apic_regs_reset(s);
    apic_update_intr(s);
}

uint32_t apic_x2apic_ldr(uint32_t id)
{
    return ((id >> 4) << 16) | (1u << (id & 0xf));
}

uint64_t apic_get_base(const Apic *s)
{
    return s->base;
}

/* SDM 10.12.5: the legal IA32_APIC_BASE state transitions */
static bool apic_base_transition_ok(uint64_t old, uint64_t val)
{
    bool en = val & APIC_BASE_EN, x2 = val & APIC_BASE_EXTD;
    bool old_en = old & APIC_BASE_EN, old_x2 = old & APIC_BASE_EXTD;
    if (x2 && !en) {
        return false; /* the invalid state */
    }
    if (old_x2 && en && !x2) {
        return false; /* x2APIC -> xAPIC: only through disabled */
    }
    if (!old_en && x2) {
        return false; /* disabled -> x2APIC */
    }
    return true;
}

bool apic_set_base(Apic *s, uint64_t val, unsigned maxphyaddr)
{
    if (maxphyaddr < 32 || maxphyaddr > 52) {
        maxphyaddr = 52;
    }
    uint64_t valid = APIC_BASE_BSP | APIC_BASE_EXTD | APIC_BASE_EN |
                     (MASK(maxphyaddr) & ~0xfffull);
    if ((val & ~valid) || !apic_base_transition_ok(s->base, val)) {
        log_guest_error("apic", "cpu %u: bad IA32_APIC_BASE 0x%llx",
                        s->initial_id, (unsigned long long)val);
        return false;
    }
    uint64_t old = s->base;
    val = (val & ~APIC_BASE_BSP) | (old & APIC_BASE_BSP); /* BSP is fixed */
    s->base = val;
    if ((old & APIC_BASE_EN) && !(val & APIC_BASE_EN)) {
        apic_regs_reset(s); /* a global disable loses all but the ID */
    }
    if (!(old & APIC_BASE_EXTD) && (val & APIC_BASE_EXTD)) {
        s->id = s->initial_id; /* the x2APIC ID; LDR from it */
        s->ldr = apic_x2apic_ldr(s->id);
    }
    apic_update_intr(s);
    return true;
}

/* ---- lifetime ---- */

Apic *apic_new(ApicBus *bus, uint32_t id, bool bsp, Clock *clock,
               const ApicOps *ops, void *opaque)
{
    Apic *s = xzalloc(sizeof(*s));
    s->initial_id = id;
    s->bsp = bsp;
    s->clock = clock;
    if (ops) {
        s->ops = *ops;
    }
    s->opaque = opaque;
    s->timer = timer_new(clock, apic_timer_cb, s);
    s->mmio = apic_mmio_new(s);
    apic_reset(s);
    s->bus = bus;
    apic_bus_add(bus, s);
    return s;
}

void apic_free(Apic *s)
{
    if (!s) {
        return;
    }
    apic_bus_remove(s->bus, s);
    mr_free(s->mmio);
    timer_free(s->timer);
    free(s);
}

bool apic_vector_pending(const Apic *s, uint8_t vector)
{
    return vtest(s->irr, vector) || vtest(s->isr, vector);
}
