/*
 * The stdio backend: guest output to stdout, host keyboard to the guest.
 * When stdin is a terminal it goes into raw mode (no echo, no line editing,
 * no signals from Ctrl-C: those keys belong to the guest) and the saved mode
 * is restored on every exit path: char_free, atexit, and the fatal signals
 * (the handler restores, then re-raises with the default action).
 *
 * Escapes, as QEMU's -nographic console: Ctrl-A x quits, Ctrl-A h prints
 * help, Ctrl-A Ctrl-A sends one Ctrl-A; other Ctrl-A sequences are dropped.
 * Input is read ahead of the frontend into a small buffer, so the escapes
 * work while the guest does not read its UART (a stopped CPU, -S); reading
 * pauses only when that buffer is full, so no typed byte is lost.
 * The terminal is process state, so only one stdio backend can be open.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "machine/main_loop.h"
#include "util/char/char_int.h"
#include "util/common.h"

#define STDIO_ESCAPE 0x01 /* Ctrl-A */
#define STDIO_READ_AHEAD 4096

typedef struct CharStdio {
    CharBackend cb;
    bool watching;
    bool eof;
    bool in_escape;
    int pending_len; /* filtered input the frontend has not taken yet */
    uint8_t pending[STDIO_READ_AHEAD];
} CharStdio;

/* the host terminal: process-wide by nature */
static struct termios saved_tty;
static volatile sig_atomic_t tty_saved;
static bool stdio_in_use;
static bool restore_hooks_installed;

static void tty_restore(void)
{
    if (tty_saved) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
    }
}

static void tty_signal(int sig)
{
    tty_restore(); /* tcsetattr is async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);
}

static void tty_install_hooks(void)
{
    static const int sigs[] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGABRT,
                               SIGSEGV, SIGBUS, SIGFPE, SIGILL};
    if (restore_hooks_installed) {
        return;
    }
    restore_hooks_installed = true;
    atexit(tty_restore);
    for (size_t i = 0; i < ARRAY_LEN(sigs); i++) {
        struct sigaction sa = {.sa_handler = tty_signal};
        sigemptyset(&sa.sa_mask);
        struct sigaction old;
        /* keep handlers someone else installed (sanitizers, the lead) */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
            sigaction(sigs[i], &sa, NULL);
        }
    }
}

static void tty_make_raw(void)
{
    struct termios t;
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &t) < 0) {
        return;
    }
    saved_tty = t;
    tty_saved = 1;
    tty_install_hooks();
    t.c_iflag &=
        ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_oflag |= OPOST; /* keep \n -> \r\n for our own messages */
    t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= ~(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

static void stdio_print(const char *msg)
{
    char_write_fd(STDOUT_FILENO, (const uint8_t *)msg, (int)strlen(msg));
}

static void stdio_help(void)
{
    stdio_print("\r\nC-a h    print this help\r\n"
                "C-a x    exit emulator\r\n"
                "C-a C-a  sends C-a\r\n");
}

/* one escape command byte; returns true if c is to be sent to the guest */
static bool stdio_escape(CharStdio *s, uint8_t c)
{
    s->in_escape = false;
    switch (c) {
    case STDIO_ESCAPE:
        return true;
    case 'x':
        stdio_print("\r\nxlat: terminated\r\n");
        if (s->cb.ml) {
            main_loop_request_shutdown(s->cb.ml, 0);
        }
        return false;
    case 'h':
    case '?':
        stdio_help();
        return false;
    default:
        return false;
    }
}

/* filter escapes in place; returns the bytes left for the guest */
static int stdio_filter(CharStdio *s, uint8_t *buf, int len)
{
    int out = 0;
    for (int i = 0; i < len; i++) {
        uint8_t c = buf[i];
        if (s->in_escape) {
            if (stdio_escape(s, c)) {
                buf[out++] = c;
            }
        } else if (c == STDIO_ESCAPE) {
            s->in_escape = true;
        } else {
            buf[out++] = c;
        }
    }
    return out;
}

static void stdio_watch(CharStdio *s, bool on);

/* hand the frontend what it takes of the pending input */
static void stdio_flush(CharStdio *s)
{
    int n = MIN(char_can_read(&s->cb), s->pending_len);
    if (n <= 0) {
        return;
    }
    char_receive(&s->cb, s->pending, n);
    s->pending_len -= n;
    memmove(s->pending, s->pending + n, (size_t)s->pending_len);
}

static void stdio_on_read(void *opaque)
{
    CharStdio *s = opaque;
    int room = STDIO_READ_AHEAD - s->pending_len;
    if (room <= 0) {
        stdio_watch(s, false);
        return;
    }
    /* escapes shrink, never grow, the data: `room` bytes always fit */
    uint8_t *buf = s->pending + s->pending_len;
    ssize_t r = read(STDIN_FILENO, buf, (size_t)room);
    if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
        s->eof = true;
        stdio_watch(s, false);
        return;
    }
    s->pending_len += r > 0 ? stdio_filter(s, buf, (int)r) : 0;
    stdio_flush(s);
}

static void stdio_watch(CharStdio *s, bool on)
{
    on = on && !s->eof && s->cb.ml;
    if (on != s->watching) {
        s->watching = on;
        main_loop_set_fd(s->cb.ml, STDIN_FILENO, on ? stdio_on_read : NULL,
                         NULL, s);
    }
}

static int stdio_write(CharBackend *cb, const uint8_t *buf, int len)
{
    char_write_fd(STDOUT_FILENO, buf, len);
    return len;
}

static void stdio_accept_input(CharBackend *cb)
{
    CharStdio *s = (CharStdio *)cb;
    stdio_flush(s);
    stdio_watch(s, s->pending_len < STDIO_READ_AHEAD);
}

static void stdio_close(CharBackend *cb)
{
    stdio_watch((CharStdio *)cb, false);
    tty_restore();
    tty_saved = 0;
    stdio_in_use = false;
}

static const CharOps stdio_ops = {
    .write = stdio_write,
    .accept_input = stdio_accept_input,
    .close = stdio_close,
};

CharBackend *char_stdio_new(const CharSpec *spec, MainLoop *ml, char **err)
{
    if (stdio_in_use) {
        *err = xasprintf("stdio can only be used once");
        return NULL;
    }
    stdio_in_use = true;
    CharStdio *s = xzalloc(sizeof(*s));
    char_init(&s->cb, &stdio_ops, ml);
    tty_make_raw();
    stdio_watch(s, true);
    return &s->cb;
}
