/*
 * Socket backends: TCP and Unix-domain, as server (listen, accept one client
 * at a time; when it disconnects, accept the next) or client (connect once at
 * open). Sockets are non-blocking and watched by the main loop. Output that
 * the socket cannot take now waits in a bounded buffer; without a client,
 * output is dropped, as on a serial line with nothing attached.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "machine/main_loop.h"
#include "util/char/char_int.h"
#include "util/common.h"
#include "util/log.h"

#define SOCK_OUTBUF_MAX (1u << 20)

typedef struct CharSocket {
    CharBackend cb;
    int listen_fd; /* server, -1 otherwise */
    int fd;        /* connected peer, -1 when none */
    bool nodelay;
    bool read_paused;
    char *unix_path; /* server socket file to unlink at close */
    uint8_t *out;
    size_t out_len;
} CharSocket;

static const CharOps socket_ops;

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void sock_update_watch(CharSocket *s);

static void sock_disconnect(CharSocket *s)
{
    if (s->fd < 0) {
        return;
    }
    main_loop_set_fd(s->cb.ml, s->fd, NULL, NULL, NULL);
    close(s->fd);
    s->fd = -1;
    s->out_len = 0;
    sock_update_watch(s);
}

static void sock_on_read(void *opaque)
{
    CharSocket *s = opaque;
    uint8_t buf[4096];
    int room = char_can_read(&s->cb);
    if (room <= 0) {
        s->read_paused = true;
        sock_update_watch(s);
        return;
    }
    ssize_t r = recv(s->fd, buf, MIN((size_t)room, sizeof(buf)), 0);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    if (r <= 0) {
        sock_disconnect(s); /* the server goes back to accepting */
        return;
    }
    char_receive(&s->cb, buf, (int)r);
}

/* send what we can from buf; returns bytes sent, -1 if the peer is gone */
static ssize_t sock_send(CharSocket *s, const uint8_t *buf, size_t len)
{
    ssize_t r = send(s->fd, buf, len, MSG_NOSIGNAL);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
        return 0;
    }
    return r;
}

static void sock_on_write(void *opaque)
{
    CharSocket *s = opaque;
    ssize_t r = sock_send(s, s->out, s->out_len);
    if (r < 0) {
        sock_disconnect(s);
        return;
    }
    memmove(s->out, s->out + r, s->out_len - (size_t)r);
    s->out_len -= (size_t)r;
    sock_update_watch(s);
}

static void sock_set_nodelay(CharSocket *s, int fd)
{
    int one = 1;
    if (s->nodelay) {
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
}

static void sock_on_accept(void *opaque)
{
    CharSocket *s = opaque;
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        return; /* EAGAIN, or the client left already */
    }
    if (s->fd >= 0) {
        close(fd); /* one client at a time */
        return;
    }
    sock_set_nodelay(s, fd);
    s->fd = fd;
    s->read_paused = false;
    sock_update_watch(s);
}

static void sock_update_watch(CharSocket *s)
{
    MainLoop *ml = s->cb.ml;
    if (!ml) {
        return;
    }
    if (s->fd >= 0) {
        main_loop_set_fd(ml, s->fd, s->read_paused ? NULL : sock_on_read,
                         s->out_len ? sock_on_write : NULL, s);
    }
    if (s->listen_fd >= 0) {
        /* stop accepting while a client is connected */
        main_loop_set_fd(ml, s->listen_fd, s->fd < 0 ? sock_on_accept : NULL,
                         NULL, s);
    }
}

static int socket_write(CharBackend *cb, const uint8_t *buf, int len)
{
    CharSocket *s = (CharSocket *)cb;
    if (s->fd < 0) {
        return len; /* nobody listening: dropped */
    }
    ssize_t sent = s->out_len ? 0 : sock_send(s, buf, (size_t)len);
    if (sent < 0) {
        sock_disconnect(s);
        return len;
    }
    size_t rest = (size_t)len - (size_t)sent;
    if (rest > SOCK_OUTBUF_MAX - s->out_len) {
        log_host_error("char: socket output buffer full, dropping %zu bytes",
                       rest);
        rest = SOCK_OUTBUF_MAX - s->out_len;
    }
    if (rest) {
        s->out = xrealloc(s->out, s->out_len + rest);
        memcpy(s->out + s->out_len, buf + sent, rest);
        s->out_len += rest;
        sock_update_watch(s);
    }
    return len;
}

static void socket_accept_input(CharBackend *cb)
{
    CharSocket *s = (CharSocket *)cb;
    if (s->read_paused && char_can_read(cb) > 0) {
        s->read_paused = false;
        sock_update_watch(s);
    }
}

static void socket_close(CharBackend *cb)
{
    CharSocket *s = (CharSocket *)cb;
    sock_disconnect(s);
    if (s->listen_fd >= 0) {
        main_loop_set_fd(s->cb.ml, s->listen_fd, NULL, NULL, NULL);
        close(s->listen_fd);
    }
    if (s->unix_path) {
        unlink(s->unix_path);
        free(s->unix_path);
    }
    free(s->out);
}

static const CharOps socket_ops = {
    .write = socket_write,
    .accept_input = socket_accept_input,
    .close = socket_close,
};

int char_socket_local_port(CharBackend *cb)
{
    if (cb->ops != &socket_ops) {
        return -1;
    }
    CharSocket *s = (CharSocket *)cb;
    int fd = s->listen_fd >= 0 ? s->listen_fd : s->fd;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
        return -1;
    }
    if (ss.ss_family == AF_INET) {
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    }
    if (ss.ss_family == AF_INET6) {
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    return -1;
}

/* a socket bound (server) or connected (client) per addr; -1 with errno */
static int sock_open_addr(const struct sockaddr *sa, socklen_t len, bool server)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    int one = 1;
    if (server && sa->sa_family != AF_UNIX) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    }
    int r = server ? bind(fd, sa, len) : connect(fd, sa, len);
    if (r == 0 && server) {
        r = listen(fd, 1);
    }
    if (r < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    set_nonblock(fd);
    return fd;
}

/* "cannot listen on 127.0.0.1:4444: Address already in use" */
static char *sock_error(const CharSpec *spec, const char *why)
{
    const char *verb = spec->server ? "cannot listen on" : "cannot connect to";
    if (spec->kind == CHAR_KIND_UNIX) {
        return xasprintf("%s %s: %s", verb, spec->path, why);
    }
    bool v6 = spec->host && strchr(spec->host, ':');
    return xasprintf("%s %s%s%s:%d: %s", verb, v6 ? "[" : "",
                     spec->host ? spec->host : "", v6 ? "]" : "", spec->port,
                     why);
}

static int sock_open_tcp(const CharSpec *spec, char **err)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
    struct addrinfo *res, *ai;
    char port[16];
    snprintf(port, sizeof(port), "%d", spec->port);
    hints.ai_flags = spec->server ? AI_PASSIVE : 0;
    const char *host = spec->host;
    if (!host && !spec->server) {
        host = "localhost";
    }
    int gr = getaddrinfo(host, port, &hints, &res);
    if (gr != 0) {
        *err = sock_error(spec, gr == EAI_SYSTEM ? strerror(errno)
                                                 : gai_strerror(gr));
        return -1;
    }
    int fd = -1;
    for (ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = sock_open_addr(ai->ai_addr, ai->ai_addrlen, spec->server);
    }
    if (fd < 0) {
        *err = sock_error(spec, strerror(errno));
    }
    freeaddrinfo(res);
    return fd;
}

static int sock_open_unix(const CharSpec *spec, char **err)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (strlen(spec->path) >= sizeof(sun.sun_path)) {
        *err = sock_error(spec, strerror(ENAMETOOLONG));
        return -1;
    }
    strcpy(sun.sun_path, spec->path);
    if (spec->server) {
        unlink(spec->path); /* a stale socket file from an earlier run */
    }
    int fd = sock_open_addr((struct sockaddr *)&sun, sizeof(sun), spec->server);
    if (fd < 0) {
        *err = sock_error(spec, strerror(errno));
    }
    return fd;
}

/* -serial tcp::4444,server (wait=on): block until the first client */
static void sock_wait_client(CharSocket *s, const CharSpec *spec)
{
    if (spec->kind == CHAR_KIND_UNIX) {
        fprintf(stderr, "xlat: waiting for connection on unix:%s,server\n",
                spec->path);
    } else {
        fprintf(stderr, "xlat: waiting for connection on tcp:%s:%d,server\n",
                spec->host ? spec->host : "", char_socket_local_port(&s->cb));
    }
    struct pollfd p = {.fd = s->listen_fd, .events = POLLIN};
    while (s->fd < 0) {
        if (poll(&p, 1, -1) > 0) {
            sock_on_accept(s);
        } else if (errno != EINTR) {
            return;
        }
    }
}

CharBackend *char_socket_new(const CharSpec *spec, MainLoop *ml, char **err)
{
    bool is_unix = spec->kind == CHAR_KIND_UNIX;
    int fd = is_unix ? sock_open_unix(spec, err) : sock_open_tcp(spec, err);
    if (fd < 0) {
        return NULL;
    }
    CharSocket *s = xzalloc(sizeof(*s));
    char_init(&s->cb, &socket_ops, ml);
    s->nodelay = spec->nodelay;
    s->listen_fd = spec->server ? fd : -1;
    s->fd = spec->server ? -1 : fd;
    if (!spec->server && !is_unix) {
        sock_set_nodelay(s, fd);
    }
    if (spec->server && is_unix) {
        s->unix_path = xstrdup(spec->path);
    }
    if (spec->server && spec->wait) {
        sock_wait_client(s, spec);
    }
    sock_update_watch(s);
    return &s->cb;
}
