/*
 * The main loop: fd callbacks (read, write, removal), timers of both clocks
 * run by main_loop_iterate(), wake-ups from another thread, the kick hook,
 * and shutdown/reset requests (with and without -no-reboot).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <unistd.h>

#include "machine/main_loop.h"

static MainLoop *ml;

static void setup(void)
{
    ml = main_loop_new();
}

static void teardown(void)
{
    main_loop_free(ml);
}

TestSuite(main_loop, .init = setup, .fini = teardown, .timeout = 10);

static void count_cb(void *opaque)
{
    (*(int *)opaque)++;
}

Test(main_loop, fd_read_callback_and_removal)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    int calls = 0;
    main_loop_set_fd(ml, p[0], count_cb, NULL, &calls);
    main_loop_iterate(ml, 0);
    cr_assert_eq(calls, 0, "nothing to read yet");
    cr_assert_eq(write(p[1], "x", 1), 1);
    cr_assert(main_loop_iterate(ml, 0));
    cr_assert_eq(calls, 1);
    main_loop_remove_fd(ml, p[0]);
    main_loop_iterate(ml, 0);
    cr_assert_eq(calls, 1, "removed fds are not polled");
    close(p[0]);
    close(p[1]);
}

Test(main_loop, fd_write_callback)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    int calls = 0;
    main_loop_set_fd(ml, p[1], NULL, count_cb, &calls);
    main_loop_iterate(ml, 0);
    cr_assert_eq(calls, 1, "an empty pipe is writable");
    main_loop_set_fd(ml, p[1], NULL, NULL, NULL);
    main_loop_iterate(ml, 0);
    cr_assert_eq(calls, 1);
    close(p[0]);
    close(p[1]);
}

typedef struct SelfRemove {
    MainLoop *ml;
    int fd;
    int calls;
} SelfRemove;

static void remove_self(void *opaque)
{
    SelfRemove *r = opaque;
    r->calls++;
    main_loop_remove_fd(r->ml, r->fd);
}

Test(main_loop, callback_may_remove_its_fd)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    SelfRemove r = {.ml = ml, .fd = p[0]};
    main_loop_set_fd(ml, p[0], remove_self, NULL, &r);
    cr_assert_eq(write(p[1], "x", 1), 1);
    main_loop_iterate(ml, 0);
    main_loop_iterate(ml, 0);
    cr_assert_eq(r.calls, 1);
    close(p[0]);
    close(p[1]);
}

Test(main_loop, realtime_timer_fires_from_iterate)
{
    Clock *rt = main_loop_realtime_clock(ml);
    int fired = 0;
    Timer *t = timer_new(rt, count_cb, &fired);
    timer_mod(t, clock_ns(rt) + 2000000); /* 2 ms */
    main_loop_iterate(ml, 0);
    for (int i = 0; i < 100 && !fired; i++) {
        main_loop_iterate(ml, -1); /* blocks until the deadline */
    }
    cr_assert_eq(fired, 1);
    cr_assert_not(timer_pending(t));
    timer_free(t);
}

Test(main_loop, due_virtual_timer_runs)
{
    Clock *vc = main_loop_virtual_clock(ml);
    clock_set_manual(vc, true);
    int fired = 0;
    Timer *t = timer_new(vc, count_cb, &fired);
    timer_mod(t, clock_ns(vc) + 1000);
    main_loop_iterate(ml, 0);
    cr_assert_eq(fired, 0, "not due: the manual clock did not move");
    clock_set_manual(vc, false);
    clock_resume(vc);
    for (int i = 0; i < 1000 && !fired; i++) {
        main_loop_iterate(ml, 1000000);
    }
    cr_assert_eq(fired, 1);
    timer_free(t);
}

static void kick_cb(void *opaque)
{
    (*(int *)opaque)++;
}

Test(main_loop, kick_when_timer_due)
{
    Clock *rt = main_loop_realtime_clock(ml);
    int kicks = 0, fired = 0;
    main_loop_set_kick(ml, kick_cb, &kicks);
    Timer *t = timer_new(rt, count_cb, &fired);
    timer_mod(t, clock_ns(rt));
    main_loop_iterate(ml, 0);
    cr_assert_eq(fired, 1);
    cr_assert_geq(kicks, 1);
    cr_assert_not(main_loop_timer_due(ml), "cleared once timers ran");
    timer_free(t);
}

static void *waker(void *opaque)
{
    usleep(20000);
    main_loop_wake(opaque);
    return NULL;
}

Test(main_loop, wake_interrupts_blocking_iterate)
{
    pthread_t th;
    pthread_create(&th, NULL, waker, ml);
    main_loop_iterate(ml, -1); /* no fds, no timers: only the wake ends it */
    pthread_join(th, NULL);
    cr_assert_eq(main_loop_pending(ml), MAIN_LOOP_RUN);
}

Test(main_loop, shutdown_first_code_wins)
{
    main_loop_request_shutdown(ml, 7);
    main_loop_request_shutdown(ml, 0);
    cr_assert_eq(main_loop_pending(ml), MAIN_LOOP_SHUTDOWN);
    cr_assert_eq(main_loop_run(ml), 7);
}

Test(main_loop, reset_runs_handlers_in_order)
{
    int a = 0, b = 0;
    main_loop_add_reset_handler(ml, count_cb, &a);
    main_loop_add_reset_handler(ml, count_cb, &b);
    main_loop_request_reset(ml);
    main_loop_iterate(ml, 0);
    cr_assert_eq(a, 1);
    cr_assert_eq(b, 1);
    cr_assert_eq(main_loop_reset_count(ml), 1);
    main_loop_del_reset_handler(ml, count_cb, &a);
    main_loop_request_reset(ml);
    main_loop_iterate(ml, 0);
    cr_assert_eq(a, 1);
    cr_assert_eq(b, 2);
    cr_assert_eq(main_loop_pending(ml), MAIN_LOOP_RUN);
}

Test(main_loop, no_reboot_turns_reset_into_exit)
{
    int a = 0;
    main_loop_add_reset_handler(ml, count_cb, &a);
    main_loop_set_no_reboot(ml, true);
    main_loop_request_reset(ml);
    main_loop_iterate(ml, 0);
    cr_assert_eq(a, 0);
    cr_assert_eq(main_loop_pending(ml), MAIN_LOOP_SHUTDOWN);
    cr_assert_eq(main_loop_exit_code(ml), 0);
}

static void *vcpu_thread(void *opaque)
{
    MainLoop *m = opaque;
    main_loop_lock(m);
    main_loop_vcpu_wait(m, -1); /* only a kick ends this */
    main_loop_unlock(m);
    return NULL;
}

Test(main_loop, vcpu_wait_ends_on_kick)
{
    pthread_t th;
    pthread_create(&th, NULL, vcpu_thread, ml);
    usleep(10000);
    main_loop_vcpu_kick(ml);
    pthread_join(th, NULL);
    /* a kick before the wait is remembered */
    main_loop_vcpu_kick(ml);
    main_loop_lock(ml);
    main_loop_vcpu_wait(ml, -1);
    /* and consumed: a bounded wait now times out */
    main_loop_vcpu_wait(ml, 1000000);
    main_loop_unlock(ml);
}

Test(main_loop, shutdown_request_kicks_the_vcpu)
{
    main_loop_request_shutdown(ml, 3);
    main_loop_lock(ml);
    main_loop_vcpu_wait(ml, -1);
    main_loop_unlock(ml);
    cr_assert_eq(main_loop_exit_code(ml), 3);
}
