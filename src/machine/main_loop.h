/*
 * The main loop: one poll()-based loop that owns the host file descriptors
 * (char backends, sockets, later slirp and SDL), runs the virtual and
 * realtime clocks' timers (the poll timeout is the earliest deadline), and
 * carries the machine-wide requests (shutdown, reset).
 *
 * Threads: device code runs under the machine lock. main_loop_iterate() takes
 * it around every callback it runs, so callers must not hold it. A vCPU
 * thread takes it while it runs device code and drops it around guest code;
 * main_loop_wake() interrupts a blocked poll from any thread, and the kick
 * hook tells the vCPU to leave guest code because a timer is due or a
 * request is pending.
 */
#ifndef XLAT_MACHINE_MAIN_LOOP_H
#define XLAT_MACHINE_MAIN_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "machine/clock.h"

typedef struct MainLoop MainLoop;

/* fd readiness callback; runs under the machine lock */
typedef void MainLoopFdFn(void *opaque);
/* reset handler, run under the machine lock when a reset is requested */
typedef void MainLoopResetFn(void *opaque);
/* "leave guest code soon": may run on any thread, must only set a flag */
typedef void MainLoopKickFn(void *opaque);

/* what main_loop_iterate() saw pending after it ran */
typedef enum MainLoopRequest {
    MAIN_LOOP_RUN = 0,  /* keep going */
    MAIN_LOOP_SHUTDOWN, /* exit with main_loop_exit_code() */
} MainLoopRequest;

/* creates its own virtual (paused) and realtime clocks */
MainLoop *main_loop_new(void);
void main_loop_free(MainLoop *ml);

Clock *main_loop_virtual_clock(MainLoop *ml);
Clock *main_loop_realtime_clock(MainLoop *ml);

/*
 * Watch fd: on_read when it is readable (or hung up), on_write when it is
 * writable. NULL callbacks are not polled; both NULL removes the fd. Setting
 * an fd again replaces its callbacks. Safe to call from inside a callback.
 */
void main_loop_set_fd(MainLoop *ml, int fd, MainLoopFdFn *on_read,
                      MainLoopFdFn *on_write, void *opaque);
void main_loop_remove_fd(MainLoop *ml, int fd);

/*
 * One round: poll the fds for at most timeout_ns (negative: until the next
 * timer or event; 0: do not block), run ready fd callbacks, due timers of
 * both clocks, and a pending reset. Returns true if it ran anything.
 */
bool main_loop_iterate(MainLoop *ml, int64_t timeout_ns);
/* iterate until a shutdown is requested; returns the exit code */
int main_loop_run(MainLoop *ml);

/* the machine lock (a plain, non-recursive pthread mutex) */
void main_loop_lock(MainLoop *ml);
void main_loop_unlock(MainLoop *ml);

/* interrupt a poll() in progress; any thread, async-signal-safe */
void main_loop_wake(MainLoop *ml);

/*
 * The vCPU side: kick is called (on the main-loop thread) when a virtual or
 * realtime timer is due or a request is pending, so the vCPU can set its exit
 * request and drop the machine lock. main_loop_timer_due() is the flag it can
 * test itself (e.g. at block boundaries under -icount).
 */
void main_loop_set_kick(MainLoop *ml, MainLoopKickFn *fn, void *opaque);
bool main_loop_timer_due(MainLoop *ml);

/*
 * A halted vCPU (HLT, wait-for-SIPI): called with the machine lock held,
 * drops it, sleeps until main_loop_vcpu_kick() or timeout_ns (negative: no
 * limit), and takes the lock again. A kick before the wait is not lost (an
 * eventfd counts it). The main loop also kicks when a timer is due or a
 * request is pending, so the vCPU re-checks its interrupt state.
 */
void main_loop_vcpu_wait(MainLoop *ml, int64_t timeout_ns);
/* any thread, async-signal-safe (e.g. from an interrupt controller) */
void main_loop_vcpu_kick(MainLoop *ml);

/* requests; any thread */
void main_loop_request_shutdown(MainLoop *ml, int exit_code);
void main_loop_request_reset(MainLoop *ml);
/* -no-reboot: a reset request becomes a shutdown with exit code 0 */
void main_loop_set_no_reboot(MainLoop *ml, bool no_reboot);
void main_loop_add_reset_handler(MainLoop *ml, MainLoopResetFn *fn,
                                 void *opaque);
void main_loop_del_reset_handler(MainLoop *ml, MainLoopResetFn *fn,
                                 void *opaque);

MainLoopRequest main_loop_pending(MainLoop *ml);
int main_loop_exit_code(MainLoop *ml);
/* number of resets carried out so far (tests, the monitor later) */
unsigned main_loop_reset_count(MainLoop *ml);

#endif
