/*
 * Intel 8254 PIT and PC port 0x61. Ref: Intel 82C54 datasheet (231244).
 *
 * No per-tick work: each counter remembers the virtual time its count was
 * loaded (load_ns) and derives the current count and OUT from the elapsed
 * ticks of the 1.193182 MHz input. Only counter 0 has a timer, armed for
 * its next OUT transition that matters to IRQ 0: the next rising edge in
 * modes 2/3 (at most one per I8254_MIN_IRQ_PERIOD_NS), every transition in
 * the one-shot modes. Simplifications: a new count written in mode 2/3
 * takes effect at once (not at the end of the period), and the count is
 * loaded at the write rather than on the next CLK edge.
 */
#include "hw/timer/i8254.h"

#include <stdlib.h>

#include "util/common.h"
#include "util/log.h"

/* one refresh request every 15.085 us toggles port 0x61 bit 4 */
#define PIT_REFRESH_NS 15085

typedef struct PitCounter {
    uint32_t count; /* loaded count: 1..65536 (binary), 1..10000 (BCD) */
    uint8_t mode;   /* 0-5 */
    uint8_t rw;     /* 1 LSB, 2 MSB, 3 LSB then MSB */
    uint8_t bcd;
    uint8_t wflip;       /* rw 3: the LSB has been written */
    uint8_t rflip;       /* rw 3: the LSB has been read */
    uint8_t lsb_buf;     /* LSB written, waiting for the MSB */
    uint8_t latch_state; /* bytes of `latch` left: 1 LSB, 2 MSB, 3 both */
    uint16_t latch;
    uint8_t status_latched;
    uint8_t status;
    uint8_t gate;
    uint8_t armed;     /* a count is loaded and counting may run */
    uint8_t triggered; /* modes 1/5: a gate edge started the count */
    uint8_t paused;    /* gate low: ticks frozen at `frozen` */
    uint8_t out_idle;  /* OUT before a count is loaded */
    int64_t load_ns;   /* virtual time of tick 0 */
    uint64_t frozen;
} PitCounter;

struct I8254 {
    PitCounter c[3];
    uint8_t port61; /* bits 0-3 as written */
    uint8_t irq_level;
    uint64_t irq_cycle;  /* rising edges of OUT0 delivered */
    int64_t last_irq_ns; /* time of the last edge delivered */
    IrqLine irq0;
    Clock *clock;
    Timer *timer;
    MemRegion *io_root, *mr, *mr61;
};

static const VmStateField i8254_vmstate[] = {
    VMSTATE_FIELD(I8254, c),
    VMSTATE_FIELD(I8254, port61),
    VMSTATE_FIELD(I8254, irq_level),
    VMSTATE_FIELD(I8254, irq_cycle),
};

const VmStateField *i8254_get_vmstate(size_t *count)
{
    *count = ARRAY_LEN(i8254_vmstate);
    return i8254_vmstate;
}

/* ---- time <-> ticks ---- */

static uint64_t pit_ns_to_ticks(int64_t ns)
{
    if (ns <= 0) {
        return 0;
    }
    return (uint64_t)((unsigned __int128)ns * I8254_FREQ_HZ / NS_PER_SEC);
}

/* the first ns at which tick t has happened (rounded up) */
static int64_t pit_ticks_to_ns(uint64_t t)
{
    unsigned __int128 n = (unsigned __int128)t * NS_PER_SEC;
    n = (n + I8254_FREQ_HZ - 1) / I8254_FREQ_HZ;
    return n > INT64_MAX / 2 ? INT64_MAX / 2 : (int64_t)n;
}

static bool pit_waits_trigger(const PitCounter *c)
{
    return (c->mode == 1 || c->mode == 5) && !c->triggered;
}

/* ticks counted since the load (0 while not counting) */
static uint64_t pit_ticks(I8254 *s, const PitCounter *c)
{
    if (!c->armed || pit_waits_trigger(c)) {
        return 0;
    }
    if (c->paused) {
        return c->frozen;
    }
    return pit_ns_to_ticks(clock_ns(s->clock) - c->load_ns);
}

/* ---- count and OUT as functions of elapsed ticks ---- */

static uint32_t pit_modulus(const PitCounter *c)
{
    return c->bcd ? 10000 : 0x10000;
}

static uint32_t pit_value(const PitCounter *c, uint64_t d)
{
    uint32_t n = c->count;
    if (!c->armed) {
        return n % pit_modulus(c);
    }
    switch (c->mode) {
    case 2:
        return n - (uint32_t)(d % n);
    case 3: {
        uint32_t ph = (uint32_t)(d % n), half = (n + 1) / 2;
        return ph < half ? n - 2 * ph : n - 2 * (ph - half);
    }
    default: /* 0, 1, 4, 5 count down and wrap */
        return (uint32_t)((n + pit_modulus(c) - d % pit_modulus(c)) %
                          pit_modulus(c));
    }
}

static bool pit_out_at(const PitCounter *c, uint64_t d)
{
    uint32_t n = c->count;
    if (!c->armed) {
        return c->out_idle;
    }
    switch (c->mode) {
    case 0:
        return d >= n;
    case 1:
        return !c->triggered || d >= n;
    case 2:
        return !c->gate || n < 2 || d % n != n - 1;
    case 3:
        return !c->gate || d % n < (n + 1) / 2;
    case 4:
        return d != n;
    default: /* 5 */
        return !c->triggered || d != n;
    }
}

/* rising edges of OUT so far: what IRQ 0 must have seen */
static uint64_t pit_cycles_at(const PitCounter *c, uint64_t d)
{
    if (!c->armed || pit_waits_trigger(c)) {
        return 0;
    }
    switch (c->mode) {
    case 0:
    case 1:
        return d >= c->count;
    case 2:
    case 3:
        return c->gate ? d / c->count : 0;
    default: /* 4, 5 */
        return d > c->count;
    }
}

/* the next tick at which counter 0 needs attention, or UINT64_MAX */
static uint64_t pit_next_event(const PitCounter *c, uint64_t d)
{
    if (!c->armed || c->paused || pit_waits_trigger(c)) {
        return UINT64_MAX;
    }
    switch (c->mode) {
    case 0:
    case 1:
        return d < c->count ? c->count : UINT64_MAX;
    case 2:
    case 3:
        return (d / c->count + 1) * c->count;
    default: /* 4, 5: OUT low for the one tick at count */
        return d < c->count ? c->count : d == c->count ? d + 1 : UINT64_MAX;
    }
}

bool i8254_get_out(I8254 *s, int n)
{
    if (n < 0 || n > 2) {
        return false;
    }
    return pit_out_at(&s->c[n], pit_ticks(s, &s->c[n]));
}

/* ---- IRQ 0 ---- */

static void pit_irq_set(I8254 *s, int level)
{
    s->irq_level = level;
    irq_set(&s->irq0, level);
}

/* bring IRQ 0 up to date with OUT0 and arm the timer for the next event */
static void pit_irq_sync(I8254 *s)
{
    PitCounter *c = &s->c[0];
    int64_t now = clock_ns(s->clock);
    uint64_t d = pit_ticks(s, c);
    uint64_t cyc = pit_cycles_at(c, d);
    bool periodic = c->mode == 2 || c->mode == 3;
    if (cyc != s->irq_cycle) {
        if (cyc > s->irq_cycle) { /* deliver one edge for missed periods */
            if (s->irq_level) {
                pit_irq_set(s, 0);
            }
            pit_irq_set(s, 1);
            s->last_irq_ns = now;
        }
        s->irq_cycle = cyc;
    }
    bool out = pit_out_at(c, d);
    if (out != s->irq_level && !(periodic && c->gate && out == 0)) {
        pit_irq_set(s, out);
    }
    uint64_t next = pit_next_event(c, d);
    if (next == UINT64_MAX) {
        timer_del(s->timer);
        return;
    }
    int64_t when = c->load_ns + pit_ticks_to_ns(next);
    if (periodic && when < s->last_irq_ns + I8254_MIN_IRQ_PERIOD_NS) {
        when = s->last_irq_ns + I8254_MIN_IRQ_PERIOD_NS;
    }
    timer_mod(s->timer, when);
}

static void pit_timer_cb(void *opaque)
{
    pit_irq_sync(opaque);
}

/* after a (re)load of counter 0 the edge count restarts */
static void pit_restarted(I8254 *s, int n)
{
    if (n == 0) {
        s->irq_cycle = 0;
        pit_irq_sync(s);
    }
}

/* ---- gate ---- */

static void pit_gate_change(I8254 *s, PitCounter *c, bool level)
{
    int64_t now = clock_ns(s->clock);
    bool rising = level && !c->gate;
    if (!level && c->gate) {
        c->frozen = pit_ticks(s, c);
        c->paused = c->armed && c->mode != 1 && c->mode != 5;
    }
    c->gate = level;
    if (!rising || !c->armed) {
        return;
    }
    if (c->mode == 0 || c->mode == 4) {
        c->load_ns = now - pit_ticks_to_ns(c->frozen);
        c->paused = 0;
        return;
    }
    c->load_ns = now; /* modes 1, 5 trigger; 2, 3 reload */
    c->paused = 0;
    c->triggered = 1;
}

void i8254_set_gate(I8254 *s, int n, bool level)
{
    if (n < 0 || n > 2 || s->c[n].gate == level) {
        return;
    }
    bool rising = level;
    pit_gate_change(s, &s->c[n], level);
    if (n == 0) {
        if (rising && s->c[0].mode != 0 && s->c[0].mode != 4) {
            s->irq_cycle = 0;
        }
        pit_irq_sync(s);
    }
}

/* ---- counter port access ---- */

static uint32_t pit_from_bcd(uint32_t v)
{
    return ((v >> 12) & 15) * 1000 + ((v >> 8) & 15) * 100 +
           ((v >> 4) & 15) * 10 + (v & 15);
}

static uint16_t pit_to_bcd(uint32_t v)
{
    v %= 10000;
    return (uint16_t)((v / 1000) << 12 | (v / 100 % 10) << 8 |
                      (v / 10 % 10) << 4 | v % 10);
}

static void pit_load(I8254 *s, int n, uint16_t raw)
{
    PitCounter *c = &s->c[n];
    uint32_t v = c->bcd ? pit_from_bcd(raw) : raw;
    if (v == 0 || v > pit_modulus(c)) {
        v = v ? v % pit_modulus(c) : 0;
        v = v ? v : pit_modulus(c);
    }
    c->count = v;
    c->armed = 1;
    c->frozen = 0;
    c->load_ns = clock_ns(s->clock);
    c->paused = !c->gate && c->mode != 1 && c->mode != 5;
    pit_restarted(s, n);
}

static void pit_write_count(I8254 *s, int n, uint8_t val)
{
    PitCounter *c = &s->c[n];
    switch (c->rw) {
    case 1:
        pit_load(s, n, val);
        break;
    case 2:
        pit_load(s, n, (uint16_t)(val << 8));
        break;
    default:
        if (!c->wflip) {
            c->lsb_buf = val;
            c->wflip = 1;
            if (c->mode == 0) { /* mode 0 stops counting on the LSB */
                c->armed = 0;
                c->out_idle = 0;
                pit_restarted(s, n);
            }
        } else {
            c->wflip = 0;
            pit_load(s, n, (uint16_t)(c->lsb_buf | val << 8));
        }
        break;
    }
}

static uint16_t pit_current(I8254 *s, const PitCounter *c)
{
    uint32_t v = pit_value(c, pit_ticks(s, c));
    return c->bcd ? pit_to_bcd(v) : (uint16_t)v;
}

static uint8_t pit_read_latched(PitCounter *c)
{
    uint8_t v;
    if (c->latch_state == 2) {
        v = c->latch >> 8;
        c->latch_state = 0;
    } else {
        v = c->latch & 0xff;
        c->latch_state = c->latch_state == 3 ? 2 : 0;
    }
    return v;
}

static uint8_t pit_read_count(I8254 *s, int n)
{
    PitCounter *c = &s->c[n];
    if (c->status_latched) {
        c->status_latched = 0;
        return c->status;
    }
    if (c->latch_state) {
        return pit_read_latched(c);
    }
    uint16_t v = pit_current(s, c);
    switch (c->rw) {
    case 1:
        return v & 0xff;
    case 2:
        return v >> 8;
    default:
        c->rflip ^= 1;
        return c->rflip ? (v & 0xff) : (v >> 8);
    }
}

static void pit_latch_count(I8254 *s, PitCounter *c)
{
    if (c->latch_state) {
        return; /* a second latch before the read is ignored */
    }
    c->latch = pit_current(s, c);
    c->latch_state = c->rw;
}

static void pit_latch_status(I8254 *s, PitCounter *c)
{
    if (c->status_latched) {
        return;
    }
    uint64_t d = pit_ticks(s, c);
    bool running = c->armed && !pit_waits_trigger(c);
    bool null = !running || (!c->paused && d == 0);
    c->status = (uint8_t)(pit_out_at(c, d) << 7 | null << 6 | c->rw << 4 |
                          c->mode << 1 | c->bcd);
    c->status_latched = 1;
}

static void pit_read_back(I8254 *s, uint8_t val)
{
    for (int n = 0; n < 3; n++) {
        if (!(val & (2u << n))) {
            continue;
        }
        if (!(val & 0x10)) {
            pit_latch_status(s, &s->c[n]);
        }
        if (!(val & 0x20)) {
            pit_latch_count(s, &s->c[n]);
        }
    }
}

static void pit_control(I8254 *s, uint8_t val)
{
    int n = val >> 6;
    if (n == 3) {
        pit_read_back(s, val);
        return;
    }
    PitCounter *c = &s->c[n];
    uint8_t rw = (val >> 4) & 3;
    if (rw == 0) {
        pit_latch_count(s, c);
        return;
    }
    uint8_t mode = (val >> 1) & 7;
    c->mode = mode > 5 ? mode - 4 : mode;
    c->rw = rw;
    c->bcd = val & 1;
    c->wflip = c->rflip = 0;
    c->latch_state = 0;
    c->status_latched = 0;
    c->armed = 0;
    c->triggered = 0;
    c->paused = 0;
    c->out_idle = c->mode != 0;
    pit_restarted(s, n);
}

static uint64_t pit_read(void *opaque, uint64_t addr, unsigned size)
{
    I8254 *s = opaque;
    if (addr == 3) {
        log_guest_error("i8254", "read of the write-only control port");
        return 0xff;
    }
    return pit_read_count(s, (int)addr);
}

static void pit_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    I8254 *s = opaque;
    if (addr == 3) {
        pit_control(s, (uint8_t)val);
    } else {
        pit_write_count(s, (int)addr, (uint8_t)val);
    }
}

/* ---- port 0x61 ---- */

static uint64_t pit_port61_read(void *opaque, uint64_t addr, unsigned size)
{
    I8254 *s = opaque;
    int64_t now = clock_ns(s->clock);
    uint8_t v = s->port61 & 0x0f;
    v |= (uint8_t)(((now / PIT_REFRESH_NS) & 1) << 4);
    v |= (uint8_t)(i8254_get_out(s, 2) << 5);
    return v;
}

static void pit_port61_write(void *opaque, uint64_t addr, uint64_t val,
                             unsigned size)
{
    I8254 *s = opaque;
    if ((val & 3) == 3 && (s->port61 & 3) != 3) {
        log_unimp_once("pcspk", "PC speaker sound output not modelled");
    }
    s->port61 = val & 0x0f;
    i8254_set_gate(s, 2, val & 1);
}

static const MemOps pit_ops = {
    .read = pit_read,
    .write = pit_write,
    .valid = {.min = 1, .max = 1},
    .impl = {.min = 1, .max = 1},
};

static const MemOps pit_port61_ops = {
    .read = pit_port61_read,
    .write = pit_port61_write,
    .valid = {.min = 1, .max = 1},
    .impl = {.min = 1, .max = 1},
};

void i8254_reset(I8254 *s)
{
    for (int n = 0; n < 3; n++) {
        s->c[n] = (PitCounter){.mode = 0,
                               .rw = 3,
                               .count = 0x10000,
                               .gate = n != 2,
                               .out_idle = 0};
    }
    s->port61 = 0;
    s->irq_cycle = 0;
    s->last_irq_ns = INT64_MIN / 2;
    timer_del(s->timer);
    pit_irq_set(s, 0);
}

I8254 *i8254_new(MemRegion *io_root, IrqLine irq0, Clock *clock)
{
    I8254 *s = xzalloc(sizeof(*s));
    s->irq0 = irq0;
    s->clock = clock;
    s->timer = timer_new(clock, pit_timer_cb, s);
    i8254_reset(s);
    s->io_root = io_root;
    s->mr = mr_new_io("i8254", 4, &pit_ops, s);
    s->mr61 = mr_new_io("port61", 1, &pit_port61_ops, s);
    mr_add_subregion(io_root, I8254_BASE, s->mr, 0);
    mr_add_subregion(io_root, I8254_PORT61, s->mr61, 0);
    return s;
}

void i8254_free(I8254 *s)
{
    if (!s) {
        return;
    }
    mr_del_subregion(s->io_root, s->mr);
    mr_del_subregion(s->io_root, s->mr61);
    mr_free(s->mr);
    mr_free(s->mr61);
    timer_free(s->timer);
    free(s);
}
