/*
 * Clocks and timers. A machine owns its clocks and hands them to the devices
 * that keep time (PIT, RTC, HPET, PM timer, UART baud pacing).
 *
 * - The virtual clock starts at 0, paused, and advances only while the
 *   machine runs (clock_resume()). In its default
 *   mode it follows the host's monotonic clock minus the time spent paused;
 *   in manual mode (tests, and -icount, where the CPU derives it from the
 *   instructions executed) it moves only by clock_step()/clock_set_ns().
 * - The realtime clock is the host monotonic clock and never stops.
 *
 * Timers are one-shot: a callback re-arms with timer_mod() for periodic work.
 * Callbacks run from clock_run_timers() (called by the main loop, or by
 * clock_step() in manual mode), never from inside timer_mod().
 */
#ifndef XLAT_MACHINE_CLOCK_H
#define XLAT_MACHINE_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define NS_PER_SEC 1000000000LL

typedef struct Clock Clock;
typedef struct Timer Timer;
typedef void TimerFn(void *opaque);

typedef enum ClockKind {
    CLOCK_KIND_VIRTUAL,  /* stops when paused; manual in tests and -icount */
    CLOCK_KIND_REALTIME, /* host monotonic time */
} ClockKind;

Clock *clock_new(ClockKind kind);
void clock_free(Clock *c);

int64_t clock_ns(Clock *c);

/* virtual clock only */
void clock_set_manual(Clock *c, bool manual); /* freeze at current time */
void clock_pause(Clock *c);
void clock_resume(Clock *c);
/* manual mode: advance to now + delta, running each due timer at its time */
void clock_step(Clock *c, int64_t delta_ns);
/* manual mode: jump to ns (>= now), running due timers in order */
void clock_set_ns(Clock *c, int64_t ns);

/* earliest pending expiry, or INT64_MAX when none is armed */
int64_t clock_deadline_ns(Clock *c);
/* run every timer due at clock_ns(); returns true if any ran */
bool clock_run_timers(Clock *c);

Timer *timer_new(Clock *c, TimerFn *fn, void *opaque);
void timer_free(Timer *t);
/* arm (or re-arm) to fire when the clock reaches expire_ns */
void timer_mod(Timer *t, int64_t expire_ns);
void timer_del(Timer *t);
bool timer_pending(const Timer *t);
int64_t timer_expire_ns(const Timer *t);
Clock *timer_clock(const Timer *t);

#endif
