/* the virtual clock in manual mode, and timer ordering */
#include <criterion/criterion.h>

#include "machine/clock.h"

typedef struct Rec {
    Clock *clock;
    int64_t fired_at[8];
    int count;
    Timer *self;
    int64_t period; /* re-arm when non-zero */
} Rec;

static void rec_fire(void *opaque)
{
    Rec *r = opaque;
    if (r->count < 8) {
        r->fired_at[r->count] = clock_ns(r->clock);
    }
    r->count++;
    if (r->period) {
        timer_mod(r->self, timer_expire_ns(r->self) + r->period);
    }
}

static Clock *manual_clock(void)
{
    Clock *c = clock_new(CLOCK_KIND_VIRTUAL);
    clock_set_manual(c, true);
    clock_set_ns(c, 1000);
    return c;
}

Test(clock, timers_fire_in_order_at_their_time)
{
    Clock *c = manual_clock();
    Rec a = {.clock = c}, b = {.clock = c};
    Timer *ta = timer_new(c, rec_fire, &a);
    Timer *tb = timer_new(c, rec_fire, &b);
    timer_mod(ta, 5000);
    timer_mod(tb, 3000);
    cr_assert_eq(clock_deadline_ns(c), 3000);
    clock_step(c, 1500);
    cr_assert_eq(a.count + b.count, 0);
    clock_step(c, 10000);
    cr_assert_eq(b.count, 1);
    cr_assert_eq(b.fired_at[0], 3000);
    cr_assert_eq(a.count, 1);
    cr_assert_eq(a.fired_at[0], 5000);
    cr_assert_eq(clock_ns(c), 12500);
    cr_assert_eq(clock_deadline_ns(c), INT64_MAX);
    timer_free(ta);
    timer_free(tb);
    clock_free(c);
}

Test(clock, periodic_timer_rearms_from_callback)
{
    Clock *c = manual_clock();
    Rec r = {.clock = c, .period = 100};
    r.self = timer_new(c, rec_fire, &r);
    timer_mod(r.self, 1100);
    clock_step(c, 450);
    cr_assert_eq(r.count, 4);
    cr_assert_eq(r.fired_at[3], 1400);
    cr_assert(timer_pending(r.self));
    timer_del(r.self);
    clock_step(c, 1000);
    cr_assert_eq(r.count, 4);
    timer_free(r.self);
    clock_free(c);
}

Test(clock, manual_clock_does_not_move_by_itself_or_backwards)
{
    Clock *c = manual_clock();
    cr_assert_eq(clock_ns(c), 1000);
    clock_set_ns(c, 500);
    cr_assert_eq(clock_ns(c), 1000);
    clock_free(c);
}

Test(clock, paused_virtual_clock_stands_still)
{
    Clock *c = clock_new(CLOCK_KIND_VIRTUAL);
    clock_pause(c);
    int64_t t0 = clock_ns(c);
    for (volatile int i = 0; i < 1000000; i++) {
    }
    cr_assert_eq(clock_ns(c), t0);
    clock_resume(c);
    cr_assert_geq(clock_ns(c), t0);
    clock_free(c);
}
