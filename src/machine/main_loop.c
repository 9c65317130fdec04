/*
 * The main loop (see main_loop.h). One thread polls the watched fds plus an
 * eventfd used for wake-ups; the timeout is the earliest timer deadline of
 * the two clocks. Everything it dispatches (fd callbacks, timers, reset
 * handlers) runs under the machine lock; the poll itself runs without it so
 * a vCPU thread can do device work meanwhile.
 *
 * The fd table may change inside a callback: dispatch works from a snapshot
 * of the pollfd array and looks each fd up again before calling it.
 */
#include "machine/main_loop.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "util/common.h"
#include "util/log.h"

typedef struct FdWatch {
    int fd;
    MainLoopFdFn *on_read;
    MainLoopFdFn *on_write;
    void *opaque;
} FdWatch;

typedef struct ResetHandler {
    MainLoopResetFn *fn;
    void *opaque;
} ResetHandler;

struct MainLoop {
    pthread_mutex_t lock;
    Clock *virt;
    Clock *rt;
    int wake_fd; /* eventfd: interrupts the main loop's poll */
    int vcpu_fd; /* eventfd: wakes a halted vCPU */

    FdWatch *fds;
    size_t nfds, fds_cap;
    struct pollfd *pfds; /* snapshot for one poll */
    size_t pfds_cap;

    ResetHandler *resets;
    size_t nresets;

    MainLoopKickFn *kick;
    void *kick_opaque;

    /* written from any thread */
    int shutdown_req;
    int reset_req;
    int timer_due;
    int exit_code;
    bool no_reboot;
    unsigned reset_count;
};

MainLoop *main_loop_new(void)
{
    MainLoop *ml = xzalloc(sizeof(*ml));
    pthread_mutex_init(&ml->lock, NULL);
    ml->virt = clock_new(CLOCK_KIND_VIRTUAL);
    ml->rt = clock_new(CLOCK_KIND_REALTIME);
    ml->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ml->vcpu_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ASSERT(ml->wake_fd >= 0 && ml->vcpu_fd >= 0);
    return ml;
}

void main_loop_free(MainLoop *ml)
{
    if (!ml) {
        return;
    }
    close(ml->wake_fd);
    close(ml->vcpu_fd);
    clock_free(ml->virt);
    clock_free(ml->rt);
    pthread_mutex_destroy(&ml->lock);
    free(ml->fds);
    free(ml->pfds);
    free(ml->resets);
    free(ml);
}

Clock *main_loop_virtual_clock(MainLoop *ml)
{
    return ml->virt;
}

Clock *main_loop_realtime_clock(MainLoop *ml)
{
    return ml->rt;
}

static FdWatch *find_fd(MainLoop *ml, int fd)
{
    for (size_t i = 0; i < ml->nfds; i++) {
        if (ml->fds[i].fd == fd) {
            return &ml->fds[i];
        }
    }
    return NULL;
}

void main_loop_remove_fd(MainLoop *ml, int fd)
{
    FdWatch *w = find_fd(ml, fd);
    if (w) {
        *w = ml->fds[--ml->nfds];
    }
}

void main_loop_set_fd(MainLoop *ml, int fd, MainLoopFdFn *on_read,
                      MainLoopFdFn *on_write, void *opaque)
{
    if (!on_read && !on_write) {
        main_loop_remove_fd(ml, fd);
        return;
    }
    FdWatch *w = find_fd(ml, fd);
    if (!w) {
        if (ml->nfds == ml->fds_cap) {
            ml->fds_cap = ml->fds_cap ? ml->fds_cap * 2 : 8;
            ml->fds = xrealloc(ml->fds, ml->fds_cap * sizeof(*ml->fds));
        }
        w = &ml->fds[ml->nfds++];
    }
    *w = (FdWatch){
        .fd = fd, .on_read = on_read, .on_write = on_write, .opaque = opaque};
}

void main_loop_lock(MainLoop *ml)
{
    pthread_mutex_lock(&ml->lock);
}

void main_loop_unlock(MainLoop *ml)
{
    pthread_mutex_unlock(&ml->lock);
}

static void eventfd_signal(int fd)
{
    uint64_t one = 1;
    ssize_t r = write(fd, &one, sizeof(one));
    (void)r; /* EAGAIN: the counter is already non-zero, a wake is pending */
}

static void eventfd_drain(int fd)
{
    uint64_t v;
    ssize_t r = read(fd, &v, sizeof(v));
    (void)r;
}

void main_loop_wake(MainLoop *ml)
{
    eventfd_signal(ml->wake_fd);
}

void main_loop_vcpu_kick(MainLoop *ml)
{
    eventfd_signal(ml->vcpu_fd);
}

void main_loop_set_kick(MainLoop *ml, MainLoopKickFn *fn, void *opaque)
{
    ml->kick = fn;
    ml->kick_opaque = opaque;
}

static void kick(MainLoop *ml)
{
    if (ml->kick) {
        ml->kick(ml->kick_opaque);
    }
    main_loop_vcpu_kick(ml);
}

bool main_loop_timer_due(MainLoop *ml)
{
    return __atomic_load_n(&ml->timer_due, __ATOMIC_ACQUIRE) != 0;
}

void main_loop_request_shutdown(MainLoop *ml, int exit_code)
{
    /* the first request wins: a later power-off must not mask a test code */
    int expected = 0;
    if (__atomic_compare_exchange_n(&ml->shutdown_req, &expected, 1, false,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&ml->exit_code, exit_code, __ATOMIC_RELEASE);
    }
    kick(ml);
    main_loop_wake(ml);
}

void main_loop_request_reset(MainLoop *ml)
{
    __atomic_store_n(&ml->reset_req, 1, __ATOMIC_RELEASE);
    kick(ml);
    main_loop_wake(ml);
}

void main_loop_set_no_reboot(MainLoop *ml, bool no_reboot)
{
    ml->no_reboot = no_reboot;
}

void main_loop_add_reset_handler(MainLoop *ml, MainLoopResetFn *fn,
                                 void *opaque)
{
    ml->resets = xrealloc(ml->resets, (ml->nresets + 1) * sizeof(*ml->resets));
    ml->resets[ml->nresets++] = (ResetHandler){.fn = fn, .opaque = opaque};
}

void main_loop_del_reset_handler(MainLoop *ml, MainLoopResetFn *fn,
                                 void *opaque)
{
    for (size_t i = 0; i < ml->nresets; i++) {
        if (ml->resets[i].fn == fn && ml->resets[i].opaque == opaque) {
            memmove(&ml->resets[i], &ml->resets[i + 1],
                    (ml->nresets - i - 1) * sizeof(*ml->resets));
            ml->nresets--;
            return;
        }
    }
}

MainLoopRequest main_loop_pending(MainLoop *ml)
{
    return __atomic_load_n(&ml->shutdown_req, __ATOMIC_ACQUIRE)
               ? MAIN_LOOP_SHUTDOWN
               : MAIN_LOOP_RUN;
}

int main_loop_exit_code(MainLoop *ml)
{
    return __atomic_load_n(&ml->exit_code, __ATOMIC_ACQUIRE);
}

unsigned main_loop_reset_count(MainLoop *ml)
{
    return ml->reset_count;
}

/* earliest deadline of both clocks as a delay from now; INT64_MAX: none */
static int64_t timer_delay_ns(MainLoop *ml)
{
    int64_t best = INT64_MAX;
    Clock *clocks[2] = {ml->virt, ml->rt};
    for (int i = 0; i < 2; i++) {
        int64_t dl = clock_deadline_ns(clocks[i]);
        if (dl == INT64_MAX) {
            continue;
        }
        int64_t d = dl - clock_ns(clocks[i]);
        best = MIN(best, d < 0 ? 0 : d);
    }
    return best;
}

/* fill ml->pfds from the fd table; returns the count (wake fd first) */
static size_t build_pollfds(MainLoop *ml)
{
    size_t n = ml->nfds + 1;
    if (n > ml->pfds_cap) {
        ml->pfds_cap = n * 2;
        ml->pfds = xrealloc(ml->pfds, ml->pfds_cap * sizeof(*ml->pfds));
    }
    ml->pfds[0] = (struct pollfd){.fd = ml->wake_fd, .events = POLLIN};
    for (size_t i = 0; i < ml->nfds; i++) {
        FdWatch *w = &ml->fds[i];
        short ev = (w->on_read ? POLLIN : 0) | (w->on_write ? POLLOUT : 0);
        ml->pfds[i + 1] = (struct pollfd){.fd = w->fd, .events = ev};
    }
    return n;
}

static int do_poll(struct pollfd *pfds, size_t n, int64_t timeout_ns)
{
    struct timespec ts, *tsp = NULL;
    if (timeout_ns >= 0 && timeout_ns != INT64_MAX) {
        ts.tv_sec = timeout_ns / NS_PER_SEC;
        ts.tv_nsec = timeout_ns % NS_PER_SEC;
        tsp = &ts;
    }
    int r = ppoll(pfds, n, tsp, NULL);
    if (r < 0 && errno != EINTR) {
        log_host_error("main loop: poll: %s", strerror(errno));
    }
    return r;
}

/* one fd's readiness; the fd may have been removed by an earlier callback */
static bool dispatch_fd(MainLoop *ml, const struct pollfd *p)
{
    bool ran = false;
    FdWatch *w = find_fd(ml, p->fd);
    short rd = POLLIN | POLLHUP | POLLERR | POLLNVAL;
    if (w && w->on_read && (p->revents & rd)) {
        w->on_read(w->opaque);
        ran = true;
        w = find_fd(ml, p->fd);
    }
    if (w && w->on_write && (p->revents & (POLLOUT | POLLERR))) {
        w->on_write(w->opaque);
        ran = true;
    }
    return ran;
}

static bool handle_reset(MainLoop *ml)
{
    if (!__atomic_exchange_n(&ml->reset_req, 0, __ATOMIC_ACQ_REL)) {
        return false;
    }
    if (ml->no_reboot) {
        main_loop_request_shutdown(ml, 0);
        return true;
    }
    for (size_t i = 0; i < ml->nresets; i++) {
        ml->resets[i].fn(ml->resets[i].opaque);
    }
    ml->reset_count++;
    return true;
}

static bool run_timers(MainLoop *ml)
{
    bool ran = clock_run_timers(ml->virt);
    ran |= clock_run_timers(ml->rt);
    __atomic_store_n(&ml->timer_due, timer_delay_ns(ml) == 0, __ATOMIC_RELEASE);
    return ran;
}

bool main_loop_iterate(MainLoop *ml, int64_t timeout_ns)
{
    main_loop_lock(ml);
    int64_t delay = timer_delay_ns(ml);
    if (timeout_ns < 0 || delay < timeout_ns) {
        timeout_ns = delay;
    }
    if (__atomic_load_n(&ml->reset_req, __ATOMIC_ACQUIRE) ||
        main_loop_pending(ml) != MAIN_LOOP_RUN) {
        timeout_ns = 0;
    }
    size_t n = build_pollfds(ml);
    main_loop_unlock(ml);

    int64_t due_at =
        delay >= INT64_MAX / 2 ? INT64_MAX : clock_ns(ml->rt) + delay;
    int r = do_poll(ml->pfds, n, timeout_ns);

    /* a timer is due: tell the vCPU before contending for the lock */
    if (clock_ns(ml->rt) >= due_at) {
        __atomic_store_n(&ml->timer_due, 1, __ATOMIC_RELEASE);
        kick(ml);
    }
    main_loop_lock(ml);
    bool ran = false;
    if (r > 0 && ml->pfds[0].revents) {
        eventfd_drain(ml->wake_fd);
    }
    for (size_t i = 1; r > 0 && i < n; i++) {
        if (ml->pfds[i].revents) {
            ran |= dispatch_fd(ml, &ml->pfds[i]);
        }
    }
    ran |= run_timers(ml);
    ran |= handle_reset(ml);
    main_loop_unlock(ml);
    return ran;
}

void main_loop_vcpu_wait(MainLoop *ml, int64_t timeout_ns)
{
    struct pollfd p = {.fd = ml->vcpu_fd, .events = POLLIN};
    main_loop_unlock(ml);
    do_poll(&p, 1, timeout_ns < 0 ? INT64_MAX : timeout_ns);
    eventfd_drain(ml->vcpu_fd);
    main_loop_lock(ml);
}

int main_loop_run(MainLoop *ml)
{
    while (main_loop_pending(ml) == MAIN_LOOP_RUN) {
        main_loop_iterate(ml, -1);
    }
    return main_loop_exit_code(ml);
}
