/*
 * Clocks and timers (see clock.h). Each clock keeps its armed timers in a
 * list sorted by expiry; a PC has a few dozen timers at most, so insertion
 * is a short walk and the deadline is the list head.
 */
#include "machine/clock.h"

#include <stdlib.h>
#include <time.h>

#include "util/common.h"

struct Timer {
    Clock *clock;
    TimerFn *fn;
    void *opaque;
    int64_t expire_ns;
    bool pending;
    Timer *next;
};

struct Clock {
    ClockKind kind;
    bool manual;
    bool paused;
    int64_t manual_ns;    /* the time in manual mode */
    int64_t offset_ns;    /* automatic mode: host time - offset */
    int64_t paused_at_ns; /* the value the clock froze at */
    Timer *active;        /* sorted by expire_ns */
};

static int64_t host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

Clock *clock_new(ClockKind kind)
{
    Clock *c = xzalloc(sizeof(*c));
    c->kind = kind;
    /* the virtual clock starts at 0, paused until the machine runs */
    c->paused = kind == CLOCK_KIND_VIRTUAL;
    return c;
}

void clock_free(Clock *c)
{
    if (!c) {
        return;
    }
    while (c->active) {
        timer_del(c->active);
    }
    free(c);
}

int64_t clock_ns(Clock *c)
{
    if (c->kind == CLOCK_KIND_REALTIME) {
        return host_ns();
    }
    if (c->manual) {
        return c->manual_ns;
    }
    if (c->paused) {
        return c->paused_at_ns;
    }
    return host_ns() - c->offset_ns;
}

void clock_set_manual(Clock *c, bool manual)
{
    ASSERT(c->kind == CLOCK_KIND_VIRTUAL);
    if (manual == c->manual) {
        return;
    }
    int64_t now = clock_ns(c);
    c->manual = manual;
    if (manual) {
        c->manual_ns = now;
    } else {
        c->paused_at_ns = now;
        c->offset_ns = host_ns() - now;
    }
}

void clock_pause(Clock *c)
{
    ASSERT(c->kind == CLOCK_KIND_VIRTUAL);
    if (!c->paused) {
        c->paused_at_ns = clock_ns(c);
        c->paused = true;
    }
}

void clock_resume(Clock *c)
{
    ASSERT(c->kind == CLOCK_KIND_VIRTUAL);
    if (c->paused) {
        c->paused = false;
        c->offset_ns = host_ns() - c->paused_at_ns;
    }
}

int64_t clock_deadline_ns(Clock *c)
{
    return c->active ? c->active->expire_ns : INT64_MAX;
}

/* pop and run the head timer if it is due at `now` */
static bool run_one(Clock *c, int64_t now)
{
    Timer *t = c->active;
    if (!t || t->expire_ns > now) {
        return false;
    }
    c->active = t->next;
    t->next = NULL;
    t->pending = false;
    t->fn(t->opaque);
    return true;
}

bool clock_run_timers(Clock *c)
{
    bool ran = false;
    /* a callback that re-arms in the past must not loop forever here */
    for (int budget = 10000; budget > 0 && run_one(c, clock_ns(c)); budget--) {
        ran = true;
    }
    return ran;
}

void clock_set_ns(Clock *c, int64_t ns)
{
    ASSERT(c->kind == CLOCK_KIND_VIRTUAL && c->manual);
    if (ns < c->manual_ns) {
        ns = c->manual_ns;
    }
    /* bounded: a device that re-arms at the same instant must not hang us */
    for (int budget = 1000000; budget > 0; budget--) {
        Timer *t = c->active;
        if (!t || t->expire_ns > ns) {
            break;
        }
        if (t->expire_ns > c->manual_ns) {
            c->manual_ns = t->expire_ns;
        }
        run_one(c, c->manual_ns);
    }
    c->manual_ns = ns;
}

void clock_step(Clock *c, int64_t delta_ns)
{
    clock_set_ns(c, c->manual_ns + (delta_ns > 0 ? delta_ns : 0));
}

Timer *timer_new(Clock *c, TimerFn *fn, void *opaque)
{
    Timer *t = xzalloc(sizeof(*t));
    t->clock = c;
    t->fn = fn;
    t->opaque = opaque;
    return t;
}

void timer_free(Timer *t)
{
    if (t) {
        timer_del(t);
        free(t);
    }
}

void timer_del(Timer *t)
{
    if (!t->pending) {
        return;
    }
    for (Timer **pp = &t->clock->active; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    t->next = NULL;
    t->pending = false;
}

void timer_mod(Timer *t, int64_t expire_ns)
{
    timer_del(t);
    t->expire_ns = expire_ns;
    t->pending = true;
    Timer **pp = &t->clock->active;
    while (*pp && (*pp)->expire_ns <= expire_ns) {
        pp = &(*pp)->next;
    }
    t->next = *pp;
    *pp = t;
}

bool timer_pending(const Timer *t)
{
    return t->pending;
}

int64_t timer_expire_ns(const Timer *t)
{
    return t->expire_ns;
}

Clock *timer_clock(const Timer *t)
{
    return t->clock;
}
