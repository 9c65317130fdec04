/*
 * HPET (IA-PC HPET specification 1.0a): 64-bit main counter at 100 MHz,
 * three comparators with one-shot/periodic modes, 32-bit mode and level or
 * edge interrupts, legacy replacement routing.
 *
 * The main counter is not stored while running: it is `counter` at the
 * virtual time enable_ns plus elapsed ns / 10. Each comparator has one
 * clock timer armed for its next match (target, a main-counter value).
 * Periodic timers add their period to the comparator on each match, as
 * many times as needed if the main loop was late, and never re-arm sooner
 * than HPET_MIN_PERIOD_NS (a tiny period would be a timer storm).
 * Registers are 64-bit and may be accessed as aligned 32-bit halves.
 */
#include "hw/timer/hpet.h"

#include <stdlib.h>

#include "util/common.h"
#include "util/log.h"

#define HPET_NS_PER_TICK 10

/* registers */
#define HPET_CAP 0x000
#define HPET_CFG 0x010
#define HPET_STATUS 0x020
#define HPET_COUNTER 0x0f0
#define HPET_TIMER0 0x100
#define HPET_TIMER_STRIDE 0x20

#define HPET_CFG_ENABLE 0x1
#define HPET_CFG_LEGACY 0x2

#define TN_LEVEL BIT(1)
#define TN_INT_ENB BIT(2)
#define TN_PERIODIC BIT(3)
#define TN_PER_CAP BIT(4)
#define TN_SIZE_CAP BIT(5)
#define TN_VAL_SET BIT(6)
#define TN_32BIT BIT(8)
#define TN_ROUTE_SHIFT 9
#define TN_ROUTE_MASK (0x1full << TN_ROUTE_SHIFT)
#define TN_WRITABLE                                                            \
    (TN_LEVEL | TN_INT_ENB | TN_PERIODIC | TN_32BIT | TN_ROUTE_MASK)

typedef struct HpetTimer {
    uint64_t config; /* writable bits of Tn_CONF */
    uint64_t cmp;
    uint64_t period;
    uint8_t val_set; /* next comparator write sets the accumulator */
    uint8_t line_up; /* a level interrupt is being driven */
    int line;        /* the line it is driven on */
    uint64_t target; /* main-counter value of the armed match */
    Timer *timer;
} HpetTimer;

struct Hpet {
    uint64_t config;
    uint64_t status;
    uint64_t counter; /* value at enable_ns (or while halted) */
    int64_t enable_ns;
    HpetTimer t[HPET_NUM_TIMERS];
    IrqLine *irqs;
    int nirqs;
    Clock *clock;
    MemRegion *sysmem, *mr;
};

static const VmStateField hpet_vmstate[] = {
    VMSTATE_FIELD(Hpet, config),      VMSTATE_FIELD(Hpet, status),
    VMSTATE_FIELD(Hpet, counter),     VMSTATE_FIELD(Hpet, enable_ns),
    VMSTATE_FIELD(Hpet, t[0].config), VMSTATE_FIELD(Hpet, t[0].cmp),
    VMSTATE_FIELD(Hpet, t[0].period), VMSTATE_FIELD(Hpet, t[1].config),
    VMSTATE_FIELD(Hpet, t[1].cmp),    VMSTATE_FIELD(Hpet, t[1].period),
    VMSTATE_FIELD(Hpet, t[2].config), VMSTATE_FIELD(Hpet, t[2].cmp),
    VMSTATE_FIELD(Hpet, t[2].period),
};

const VmStateField *hpet_get_vmstate(size_t *count)
{
    *count = ARRAY_LEN(hpet_vmstate);
    return hpet_vmstate;
}

static bool hpet_enabled(const Hpet *s)
{
    return s->config & HPET_CFG_ENABLE;
}

bool hpet_legacy_mode(const Hpet *s)
{
    return s->config & HPET_CFG_LEGACY;
}

static uint64_t hpet_counter(Hpet *s)
{
    if (!hpet_enabled(s)) {
        return s->counter;
    }
    int64_t d = clock_ns(s->clock) - s->enable_ns;
    return s->counter + (uint64_t)(d > 0 ? d / HPET_NS_PER_TICK : 0);
}

/* virtual time at which the main counter reaches v (v after counter) */
static int64_t hpet_ns_of(Hpet *s, uint64_t v)
{
    unsigned __int128 ns =
        (unsigned __int128)(v - s->counter) * HPET_NS_PER_TICK;
    if (ns > (unsigned __int128)(INT64_MAX / 2)) {
        return INT64_MAX / 2;
    }
    return s->enable_ns + (int64_t)ns;
}

/* ---- interrupt lines ---- */

static int hpet_route(const Hpet *s, int n)
{
    if (hpet_legacy_mode(s) && n < 2) {
        return n == 0 ? 0 : 8;
    }
    return (int)((s->t[n].config & TN_ROUTE_MASK) >> TN_ROUTE_SHIFT);
}

static IrqLine *hpet_line(Hpet *s, int route)
{
    return route >= 0 && route < s->nirqs ? &s->irqs[route] : NULL;
}

/* drive the level line of timer n from its status bit */
static void hpet_update_line(Hpet *s, int n)
{
    HpetTimer *t = &s->t[n];
    bool up = (t->config & TN_LEVEL) && (t->config & TN_INT_ENB) &&
              (s->status & BIT(n)) && hpet_enabled(s);
    int route = hpet_route(s, n);
    if (t->line_up && (!up || t->line != route)) {
        irq_lower(hpet_line(s, t->line));
        t->line_up = 0;
    }
    if (up && !t->line_up) {
        t->line = route;
        t->line_up = 1;
        irq_raise(hpet_line(s, route));
    }
}

static void hpet_update_lines(Hpet *s)
{
    for (int n = 0; n < HPET_NUM_TIMERS; n++) {
        hpet_update_line(s, n);
    }
}

/* ---- comparators ---- */

static bool hpet_is_32bit(const HpetTimer *t)
{
    return t->config & TN_32BIT;
}

static void hpet_arm(Hpet *s, int n)
{
    HpetTimer *t = &s->t[n];
    if (!hpet_enabled(s)) {
        timer_del(t->timer);
        return;
    }
    uint64_t c = hpet_counter(s);
    if (hpet_is_32bit(t)) {
        uint64_t diff = (uint32_t)((uint32_t)t->cmp - (uint32_t)c);
        t->target = c + (diff ? diff : 1ull << 32);
    } else if (t->cmp > c) {
        t->target = t->cmp;
    } else {
        timer_del(t->timer); /* matches only after a 2^64 wrap */
        return;
    }
    timer_mod(t->timer, hpet_ns_of(s, t->target));
}

/* a periodic match: move the comparator past the counter */
static void hpet_advance(Hpet *s, HpetTimer *t, uint64_t c)
{
    uint64_t k = (c - t->target) / t->period + 1;
    t->cmp += k * t->period;
    t->target += k * t->period;
    if (hpet_is_32bit(t)) {
        t->cmp = (uint32_t)t->cmp;
    }
}

static void hpet_fire(Hpet *s, int n)
{
    HpetTimer *t = &s->t[n];
    uint64_t c = hpet_counter(s);
    if (t->config & TN_LEVEL) { /* status is set even with INT_ENB off */
        s->status |= BIT(n);
        hpet_update_line(s, n);
    } else if (t->config & TN_INT_ENB) {
        irq_pulse(hpet_line(s, hpet_route(s, n)));
    }
    if ((t->config & TN_PERIODIC) && t->period) {
        /* the next match lies at least HPET_MIN_PERIOD_NS ahead */
        hpet_advance(s, t, c + HPET_MIN_PERIOD_NS / HPET_NS_PER_TICK - 1);
    } else if (hpet_is_32bit(t)) {
        t->target += 1ull << 32; /* one-shot 32-bit: again after a wrap */
    } else {
        return;
    }
    timer_mod(t->timer, hpet_ns_of(s, t->target));
}

static void hpet_timer_cb0(void *opaque)
{
    hpet_fire(opaque, 0);
}

static void hpet_timer_cb1(void *opaque)
{
    hpet_fire(opaque, 1);
}

static void hpet_timer_cb2(void *opaque)
{
    hpet_fire(opaque, 2);
}

static TimerFn *const hpet_timer_cbs[HPET_NUM_TIMERS] = {
    hpet_timer_cb0,
    hpet_timer_cb1,
    hpet_timer_cb2,
};

/* ---- registers ---- */

static uint64_t hpet_read_timer(Hpet *s, int n, unsigned reg)
{
    HpetTimer *t = &s->t[n];
    switch (reg) {
    case 0x00:
        return t->config | TN_PER_CAP | TN_SIZE_CAP |
               (uint64_t)HPET_ROUTE_CAP << 32;
    case 0x08:
        return hpet_is_32bit(t) ? (uint32_t)t->cmp : t->cmp;
    default: /* 0x10 FSB route: not supported, reads 0 */
        return 0;
    }
}

static uint64_t hpet_read_reg(Hpet *s, uint64_t off)
{
    switch (off) {
    case HPET_CAP:
        return (uint64_t)HPET_PERIOD_FS << 32 | 0x8086u << 16 | BIT(15) |
               BIT(13) | (HPET_NUM_TIMERS - 1) << 8 | 0x01;
    case HPET_CFG:
        return s->config;
    case HPET_STATUS:
        return s->status;
    case HPET_COUNTER:
        return hpet_counter(s);
    default:
        break;
    }
    if (off >= HPET_TIMER0 &&
        off < HPET_TIMER0 + HPET_NUM_TIMERS * HPET_TIMER_STRIDE) {
        unsigned rel = (unsigned)(off - HPET_TIMER0);
        return hpet_read_timer(s, rel / HPET_TIMER_STRIDE,
                               rel % HPET_TIMER_STRIDE);
    }
    log_guest_error("hpet", "read of reserved register 0x%x", (unsigned)off);
    return 0;
}

static void hpet_write_cfg(Hpet *s, uint64_t val)
{
    bool was = hpet_enabled(s);
    if (was) {
        s->counter = hpet_counter(s);
        s->enable_ns = clock_ns(s->clock);
    }
    s->config = val & (HPET_CFG_ENABLE | HPET_CFG_LEGACY);
    if (!was && hpet_enabled(s)) {
        s->enable_ns = clock_ns(s->clock);
    }
    for (int n = 0; n < HPET_NUM_TIMERS; n++) {
        hpet_arm(s, n);
    }
    hpet_update_lines(s);
}

static void hpet_write_tconf(Hpet *s, int n, uint64_t val)
{
    HpetTimer *t = &s->t[n];
    unsigned route = (unsigned)((val & TN_ROUTE_MASK) >> TN_ROUTE_SHIFT);
    if (!(HPET_ROUTE_CAP & (1u << route))) {
        log_guest_error("hpet", "timer %d: route %u not allowed", n, route);
        val = (val & ~TN_ROUTE_MASK) | (t->config & TN_ROUTE_MASK);
    }
    if (val & BIT(14)) {
        log_unimp("hpet", "FSB interrupt delivery");
    }
    t->val_set = (val & TN_VAL_SET) != 0;
    t->config = val & TN_WRITABLE;
    if (hpet_is_32bit(t)) {
        t->cmp = (uint32_t)t->cmp;
        t->period = (uint32_t)t->period;
    }
    hpet_update_line(s, n);
    hpet_arm(s, n);
}

/* last: the write completes the register (VAL_SET survives a low half) */
static void hpet_write_cmp(Hpet *s, int n, uint64_t val, bool last)
{
    HpetTimer *t = &s->t[n];
    if (hpet_is_32bit(t)) {
        val = (uint32_t)val;
    }
    if (!(t->config & TN_PERIODIC) || t->val_set) {
        t->cmp = val;
    }
    t->period = val;
    if (last) {
        t->val_set = 0;
    }
    hpet_arm(s, n);
}

static void hpet_write_timer(Hpet *s, int n, unsigned reg, uint64_t val,
                             uint64_t mask)
{
    HpetTimer *t = &s->t[n];
    switch (reg) {
    case 0x00:
        hpet_write_tconf(s, n, (t->config & ~mask) | (val & mask));
        break;
    case 0x08: {
        /* a half write keeps the other half of the comparator */
        uint64_t old =
            (t->config & TN_PERIODIC) && !t->val_set ? t->period : t->cmp;
        bool last = (mask >> 32) != 0 || hpet_is_32bit(t);
        hpet_write_cmp(s, n, (old & ~mask) | (val & mask), last);
        break;
    }
    default:
        break; /* FSB route: writes ignored */
    }
}

static void hpet_write_reg(Hpet *s, uint64_t off, uint64_t val, uint64_t mask)
{
    switch (off) {
    case HPET_CAP:
        log_guest_error("hpet", "write to read-only capabilities");
        return;
    case HPET_CFG:
        hpet_write_cfg(s, (s->config & ~mask) | (val & mask));
        return;
    case HPET_STATUS:
        s->status &= ~(val & mask);
        hpet_update_lines(s);
        return;
    case HPET_COUNTER:
        if (hpet_enabled(s)) {
            log_guest_error("hpet", "main counter written while running");
            return;
        }
        s->counter = (s->counter & ~mask) | (val & mask);
        return;
    default:
        break;
    }
    if (off >= HPET_TIMER0 &&
        off < HPET_TIMER0 + HPET_NUM_TIMERS * HPET_TIMER_STRIDE) {
        unsigned rel = (unsigned)(off - HPET_TIMER0);
        hpet_write_timer(s, rel / HPET_TIMER_STRIDE, rel % HPET_TIMER_STRIDE,
                         val, mask);
        return;
    }
    log_guest_error("hpet", "write to reserved register 0x%x", (unsigned)off);
}

static uint64_t hpet_mmio_read(void *opaque, uint64_t addr, unsigned size)
{
    uint64_t v = hpet_read_reg(opaque, addr & ~7ull);
    if (size == 8) {
        return v;
    }
    return (uint32_t)(v >> ((addr & 4) * 8));
}

static void hpet_mmio_write(void *opaque, uint64_t addr, uint64_t val,
                            unsigned size)
{
    uint64_t mask = ~0ull;
    if (size != 8) {
        unsigned shift = (addr & 4) * 8;
        mask = 0xffffffffull << shift;
        val = (uint64_t)(uint32_t)val << shift;
    }
    hpet_write_reg(opaque, addr & ~7ull, val, mask);
}

static const MemOps hpet_ops = {
    .read = hpet_mmio_read,
    .write = hpet_mmio_write,
    .valid = {.min = 4, .max = 8},
    .impl = {.min = 4, .max = 8},
};

void hpet_reset(Hpet *s)
{
    for (int n = 0; n < HPET_NUM_TIMERS; n++) {
        HpetTimer *t = &s->t[n];
        if (t->line_up) {
            irq_lower(hpet_line(s, t->line));
        }
        timer_del(t->timer);
        t->config = 0;
        t->cmp = ~0ull;
        t->period = 0;
        t->val_set = 0;
        t->line_up = 0;
        t->line = 0;
        t->target = 0;
    }
    s->config = 0;
    s->status = 0;
    s->counter = 0;
    s->enable_ns = 0;
}

Hpet *hpet_new(MemRegion *sysmem, uint64_t base, const IrqLine *irqs, int nirqs,
               Clock *clock)
{
    Hpet *s = xzalloc(sizeof(*s));
    s->nirqs = nirqs > 0 ? nirqs : 0;
    s->irqs = xcalloc(s->nirqs ? s->nirqs : 1, sizeof(IrqLine));
    for (int i = 0; i < s->nirqs; i++) {
        s->irqs[i] = irqs[i];
    }
    s->clock = clock;
    for (int n = 0; n < HPET_NUM_TIMERS; n++) {
        s->t[n].timer = timer_new(clock, hpet_timer_cbs[n], s);
    }
    hpet_reset(s);
    s->sysmem = sysmem;
    s->mr = mr_new_io("hpet", HPET_SIZE, &hpet_ops, s);
    mr_add_subregion(sysmem, base, s->mr, 0);
    return s;
}

void hpet_free(Hpet *s)
{
    if (!s) {
        return;
    }
    mr_del_subregion(s->sysmem, s->mr);
    mr_free(s->mr);
    for (int n = 0; n < HPET_NUM_TIMERS; n++) {
        timer_free(s->t[n].timer);
    }
    free(s->irqs);
    free(s);
}
