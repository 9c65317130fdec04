/*
 * Character backend core: the frontend-facing calls, char_open() dispatch,
 * and the simple fd backends: null, file (output only) and pipe (a FIFO pair
 * path.in/path.out, or one path opened read-write).
 *
 * The fd backends read input only while the frontend has room: when
 * can_read() is 0 they stop watching the fd until char_accept_input().
 */
#include "util/char/char.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine/main_loop.h"
#include "util/char/char_int.h"
#include "util/common.h"
#include "util/log.h"

void char_init(CharBackend *cb, const CharOps *ops, MainLoop *ml)
{
    cb->ops = ops;
    cb->ml = ml;
}

void char_set_handlers(CharBackend *cb, CharCanReadFn *can_read,
                       CharReceiveFn *receive, void *opaque)
{
    cb->can_read = can_read;
    cb->receive = receive;
    cb->fe_opaque = opaque;
    char_accept_input(cb);
}

int char_write(CharBackend *cb, const uint8_t *buf, int len)
{
    if (!cb || len <= 0) {
        return 0;
    }
    return cb->ops->write(cb, buf, len);
}

void char_accept_input(CharBackend *cb)
{
    if (cb && cb->ops->accept_input) {
        cb->ops->accept_input(cb);
    }
}

const char *char_id(const CharBackend *cb)
{
    return cb->id;
}

int char_can_read(CharBackend *cb)
{
    if (!cb->can_read || !cb->receive) {
        return 0;
    }
    int n = cb->can_read(cb->fe_opaque);
    return n > 0 ? n : 0;
}

void char_receive(CharBackend *cb, const uint8_t *buf, int len)
{
    if (cb->receive && len > 0) {
        cb->receive(cb->fe_opaque, buf, len);
    }
}

int char_socket_port(CharBackend *cb)
{
    return cb ? char_socket_local_port(cb) : -1;
}

void char_free(CharBackend *cb)
{
    if (!cb) {
        return;
    }
    char *id = cb->id;
    if (cb->ops->close) {
        cb->ops->close(cb);
    }
    free(id);
    free(cb);
}

CharBackend *char_open(const CharSpec *spec, MainLoop *ml, char **err)
{
    CharBackend *cb = NULL;
    *err = NULL;
    switch (spec->kind) {
    case CHAR_KIND_NULL:
        cb = char_null_new(ml);
        break;
    case CHAR_KIND_STDIO:
        cb = char_stdio_new(spec, ml, err);
        break;
    case CHAR_KIND_FILE:
        cb = char_file_new(spec, ml, err);
        break;
    case CHAR_KIND_PIPE:
        cb = char_pipe_new(spec, ml, err);
        break;
    case CHAR_KIND_TCP:
    case CHAR_KIND_UNIX:
        cb = char_socket_new(spec, ml, err);
        break;
    }
    if (cb && spec->id) {
        cb->id = xstrdup(spec->id);
    }
    return cb;
}

CharBackend *char_new(const char *spec, MainLoop *ml, char **err)
{
    CharSpec s;
    if (char_parse(spec, &s, err) < 0) {
        return NULL;
    }
    CharBackend *cb = char_open(&s, ml, err);
    char_spec_clear(&s);
    return cb;
}

int char_write_fd(int fd, const uint8_t *buf, int len)
{
    int done = 0;
    while (done < len) {
        ssize_t r = write(fd, buf + done, (size_t)(len - done));
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return -1;
        }
        done += (int)r;
    }
    return done;
}

/* ---- null: swallows output, never has input ---- */

static int null_write(CharBackend *cb, const uint8_t *buf, int len)
{
    return len;
}

static const CharOps null_ops = {.write = null_write};

CharBackend *char_null_new(MainLoop *ml)
{
    CharBackend *cb = xzalloc(sizeof(*cb));
    char_init(cb, &null_ops, ml);
    return cb;
}

/* ---- fd pair: file and pipe ---- */

typedef struct CharFd {
    CharBackend cb;
    int in_fd;  /* -1: no input */
    int out_fd; /* -1: output dropped */
    bool watching;
    bool eof;
} CharFd;

static void fd_watch(CharFd *s, bool on);

static void fd_on_read(void *opaque)
{
    CharFd *s = opaque;
    uint8_t buf[256];
    int room = char_can_read(&s->cb);
    if (room <= 0) {
        fd_watch(s, false);
        return;
    }
    ssize_t r = read(s->in_fd, buf, MIN((size_t)room, sizeof(buf)));
    if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
        s->eof = true; /* writer went away: stop polling a dead fd */
        fd_watch(s, false);
        return;
    }
    if (r > 0) {
        char_receive(&s->cb, buf, (int)r);
    }
}

static void fd_watch(CharFd *s, bool on)
{
    on = on && !s->eof && s->in_fd >= 0 && s->cb.ml;
    if (on == s->watching) {
        return;
    }
    s->watching = on;
    main_loop_set_fd(s->cb.ml, s->in_fd, on ? fd_on_read : NULL, NULL, s);
}

static int fd_write(CharBackend *cb, const uint8_t *buf, int len)
{
    CharFd *s = (CharFd *)cb;
    if (s->out_fd >= 0 && char_write_fd(s->out_fd, buf, len) < 0) {
        log_host_error("char: write failed: %s", strerror(errno));
    }
    return len;
}

static void fd_accept_input(CharBackend *cb)
{
    CharFd *s = (CharFd *)cb;
    fd_watch(s, char_can_read(cb) > 0);
}

static void fd_close(CharBackend *cb)
{
    CharFd *s = (CharFd *)cb;
    fd_watch(s, false);
    if (s->in_fd >= 0) {
        close(s->in_fd);
    }
    if (s->out_fd >= 0 && s->out_fd != s->in_fd) {
        close(s->out_fd);
    }
}

static const CharOps fd_ops = {
    .write = fd_write,
    .accept_input = fd_accept_input,
    .close = fd_close,
};

static CharBackend *fd_new(int in_fd, int out_fd, MainLoop *ml)
{
    CharFd *s = xzalloc(sizeof(*s));
    char_init(&s->cb, &fd_ops, ml);
    s->in_fd = in_fd;
    s->out_fd = out_fd;
    return &s->cb;
}

CharBackend *char_file_new(const CharSpec *spec, MainLoop *ml, char **err)
{
    int fd = open(spec->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        *err = xasprintf("%s", strerror(errno));
        return NULL;
    }
    return fd_new(-1, fd, ml);
}

CharBackend *char_pipe_new(const CharSpec *spec, MainLoop *ml, char **err)
{
    char *in = xasprintf("%s.in", spec->path);
    char *out = xasprintf("%s.out", spec->path);
    /* O_RDWR on the input FIFO: opening does not block, and EOF never
       happens when the writer closes */
    int in_fd = open(in, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    int out_fd = open(out, O_RDWR | O_CLOEXEC);
    free(in);
    free(out);
    if (in_fd < 0 || out_fd < 0) {
        if (in_fd >= 0) {
            close(in_fd);
        }
        if (out_fd >= 0) {
            close(out_fd);
        }
        in_fd = out_fd = open(spec->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    }
    if (in_fd < 0) {
        *err = xasprintf("%s", strerror(errno));
        return NULL;
    }
    return fd_new(in_fd, out_fd, ml);
}
