/*
 * Character backends: spec parsing (-serial and -chardev forms, errors),
 * the file and pipe backends, a TCP server on 127.0.0.1 with an ephemeral
 * port passing bytes both ways and accepting a second client after the
 * first leaves, a Unix server, input flow control, and the stdio escapes
 * (also while the frontend takes no input).
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "machine/main_loop.h"
#include "util/char/char.h"
#include "util/char/char_test.h"

TestSuite(char_be, .timeout = 10);

/* a frontend that takes up to `room` bytes and records them */
typedef struct Sink {
    uint8_t buf[256];
    int len;
    int room;
} Sink;

static int sink_can_read(void *opaque)
{
    Sink *s = opaque;
    return s->room;
}

static void sink_receive(void *opaque, const uint8_t *buf, int len)
{
    Sink *s = opaque;
    for (int i = 0; i < len && s->len < (int)sizeof(s->buf); i++) {
        s->buf[s->len++] = buf[i];
    }
}

Test(char_be, parse_serial_forms)
{
    CharSpec s;
    char *err;
    cr_assert_eq(char_parse("tcp::4444,server,nowait", &s, &err), 0);
    cr_assert_eq(s.kind, CHAR_KIND_TCP);
    cr_assert_null(s.host);
    cr_assert_eq(s.port, 4444);
    cr_assert(s.server);
    cr_assert_not(s.wait);
    char_spec_clear(&s);

    cr_assert_eq(char_parse("tcp:127.0.0.1:5555,server=on,wait=off", &s, &err),
                 0);
    cr_assert_str_eq(s.host, "127.0.0.1");
    cr_assert_eq(s.port, 5555);
    cr_assert(s.server && !s.wait);
    char_spec_clear(&s);

    cr_assert_eq(char_parse("tcp::4444,server", &s, &err), 0);
    cr_assert(s.wait, "a server waits by default");
    char_spec_clear(&s);

    cr_assert_eq(char_parse("tcp:[::1]:80", &s, &err), 0);
    cr_assert_str_eq(s.host, "::1");
    cr_assert_not(s.server);
    char_spec_clear(&s);

    cr_assert_eq(char_parse("unix:/tmp/x.sock,server,nowait", &s, &err), 0);
    cr_assert_eq(s.kind, CHAR_KIND_UNIX);
    cr_assert_str_eq(s.path, "/tmp/x.sock");
    char_spec_clear(&s);

    cr_assert_eq(char_parse("file:out,,log", &s, &err), 0);
    cr_assert_eq(s.kind, CHAR_KIND_FILE);
    cr_assert_str_eq(s.path, "out,log");
    char_spec_clear(&s);

    cr_assert_eq(char_parse("mon:stdio", &s, &err), 0);
    cr_assert_eq(s.kind, CHAR_KIND_STDIO);
    cr_assert(s.mux);
    char_spec_clear(&s);

    cr_assert_eq(char_parse("null", &s, &err), 0);
    cr_assert_eq(s.kind, CHAR_KIND_NULL);
    cr_assert_eq(char_parse("pipe:/tmp/p", &s, &err), 0);
    cr_assert_eq(s.kind, CHAR_KIND_PIPE);
    char_spec_clear(&s);
}

Test(char_be, parse_chardev_forms)
{
    CharSpec s;
    char *err;
    cr_assert_eq(char_parse_chardev(
                     "socket,id=s0,host=127.0.0.1,port=4321,server=on,wait=off",
                     &s, &err),
                 0);
    cr_assert_eq(s.kind, CHAR_KIND_TCP);
    cr_assert_str_eq(s.id, "s0");
    cr_assert_eq(s.port, 4321);
    cr_assert(s.server && !s.wait);
    char_spec_clear(&s);

    cr_assert_eq(
        char_parse_chardev("socket,id=u,path=/tmp/u,server=on", &s, &err), 0);
    cr_assert_eq(s.kind, CHAR_KIND_UNIX);
    char_spec_clear(&s);

    cr_assert_eq(char_parse_chardev("stdio,id=con,signal=off", &s, &err), 0);
    cr_assert_eq(s.kind, CHAR_KIND_STDIO);
    char_spec_clear(&s);

    cr_assert_eq(char_parse_chardev("file,id=f,path=/tmp/log", &s, &err), 0);
    cr_assert_str_eq(s.path, "/tmp/log");
    char_spec_clear(&s);
}

Test(char_be, parse_errors)
{
    static const char *const bad_serial[] = {
        "bogus",        "tcp:localhost",       "tcp::99999",
        "tcp:host:0",   "tcp::1,frob",         "file:",
        "stdio,server", "tcp::1,server=maybe", "vc"};
    static const char *const bad_chardev[] = {"socket,port=1", "file,id=f",
                                              "nope,id=x", "null,id="};
    CharSpec s;
    char *err;
    for (size_t i = 0; i < sizeof(bad_serial) / sizeof(*bad_serial); i++) {
        cr_assert_eq(char_parse(bad_serial[i], &s, &err), -1, "%s",
                     bad_serial[i]);
        cr_assert_not_null(err);
        free(err);
    }
    for (size_t i = 0; i < sizeof(bad_chardev) / sizeof(*bad_chardev); i++) {
        cr_assert_eq(char_parse_chardev(bad_chardev[i], &s, &err), -1, "%s",
                     bad_chardev[i]);
        cr_assert_not_null(err);
        free(err);
    }
}

Test(char_be, file_backend_writes_file)
{
    char path[] = "/tmp/xlat-char-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    char *spec = NULL, *err = NULL;
    cr_assert(asprintf(&spec, "file:%s", path) > 0);
    CharBackend *cb = char_new(spec, NULL, &err);
    free(spec);
    cr_assert_not_null(cb, "%s", err ? err : "");
    cr_assert_eq(char_write(cb, (const uint8_t *)"serial!", 7), 7);
    char_free(cb);
    char buf[16] = {0};
    FILE *f = fopen(path, "r");
    cr_assert_eq(fread(buf, 1, sizeof(buf), f), 7);
    fclose(f);
    unlink(path);
    cr_assert_str_eq(buf, "serial!");
    cr_assert_null(char_new("file:/nonexistent/dir/x", NULL, &err));
    cr_assert_not_null(err);
    free(err);
}

static void pump(MainLoop *ml, bool (*done)(void *), void *arg)
{
    for (int i = 0; i < 200 && !done(arg); i++) {
        main_loop_iterate(ml, 10000000);
    }
}

static bool sink_has(void *arg)
{
    Sink *s = arg;
    return s->len >= 4;
}

Test(char_be, pipe_backend_both_ways)
{
    char dir[] = "/tmp/xlat-pipe-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char in[128], out[128], base[96];
    snprintf(base, sizeof(base), "%s/p", dir);
    snprintf(in, sizeof(in), "%s.in", base);
    snprintf(out, sizeof(out), "%s.out", base);
    cr_assert_eq(mkfifo(in, 0600), 0);
    cr_assert_eq(mkfifo(out, 0600), 0);
    MainLoop *ml = main_loop_new();
    char spec[128], *err;
    snprintf(spec, sizeof(spec), "pipe:%s", base);
    CharBackend *cb = char_new(spec, ml, &err);
    cr_assert_not_null(cb);
    Sink sink = {.room = 64};
    char_set_handlers(cb, sink_can_read, sink_receive, &sink);

    int wfd = open(in, O_WRONLY | O_NONBLOCK);
    int rfd = open(out, O_RDONLY | O_NONBLOCK);
    cr_assert(wfd >= 0 && rfd >= 0);
    cr_assert_eq(write(wfd, "ping", 4), 4);
    pump(ml, sink_has, &sink);
    cr_assert_eq(sink.len, 4);
    cr_assert_eq(memcmp(sink.buf, "ping", 4), 0);
    char_write(cb, (const uint8_t *)"pong", 4);
    char buf[8];
    cr_assert_eq(read(rfd, buf, sizeof(buf)), 4);
    cr_assert_eq(memcmp(buf, "pong", 4), 0);

    close(wfd);
    close(rfd);
    char_free(cb);
    main_loop_free(ml);
    unlink(in);
    unlink(out);
    rmdir(dir);
}

static int connect_tcp(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

static int recv_timeout(int fd, char *buf, size_t len)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 2000) != 1) {
        return -1;
    }
    return (int)recv(fd, buf, len, 0);
}

/* client sends "ping", backend answers "pong" */
static void ping_pong(MainLoop *ml, CharBackend *cb, int fd, Sink *sink)
{
    sink->len = 0;
    cr_assert_eq(send(fd, "ping", 4, 0), 4);
    pump(ml, sink_has, sink);
    cr_assert_eq(sink->len, 4);
    cr_assert_eq(memcmp(sink->buf, "ping", 4), 0);
    char_write(cb, (const uint8_t *)"pong", 4);
    char buf[8];
    cr_assert_eq(recv_timeout(fd, buf, sizeof(buf)), 4);
    cr_assert_eq(memcmp(buf, "pong", 4), 0);
}

Test(char_be, tcp_server_loopback_and_reconnect)
{
    MainLoop *ml = main_loop_new();
    char *err = NULL;
    CharBackend *cb = char_new("tcp:127.0.0.1:0,server=on,wait=off", ml, &err);
    cr_assert_not_null(cb, "%s", err ? err : "");
    int port = char_socket_port(cb);
    cr_assert_gt(port, 0);
    Sink sink = {.room = 64};
    char_set_handlers(cb, sink_can_read, sink_receive, &sink);

    /* output before any client is dropped, not queued */
    char_write(cb, (const uint8_t *)"lost", 4);
    int c1 = connect_tcp(port);
    ping_pong(ml, cb, c1, &sink);
    close(c1);
    /* the server notices the hang-up and accepts the next client */
    for (int i = 0; i < 20; i++) {
        main_loop_iterate(ml, 1000000);
    }
    int c2 = connect_tcp(port);
    ping_pong(ml, cb, c2, &sink);
    close(c2);
    char_free(cb);
    main_loop_free(ml);
}

Test(char_be, unix_server)
{
    char dir[] = "/tmp/xlat-unix-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[64], spec[96], *err = NULL;
    snprintf(path, sizeof(path), "%s/s", dir);
    snprintf(spec, sizeof(spec), "unix:%s,server,nowait", path);
    MainLoop *ml = main_loop_new();
    CharBackend *cb = char_new(spec, ml, &err);
    cr_assert_not_null(cb, "%s", err ? err : "");
    Sink sink = {.room = 64};
    char_set_handlers(cb, sink_can_read, sink_receive, &sink);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    strcpy(sun.sun_path, path);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    ping_pong(ml, cb, fd, &sink);
    close(fd);
    char_free(cb);
    main_loop_free(ml);
    cr_assert_neq(access(path, F_OK), 0, "socket file removed");
    rmdir(dir);
}

Test(char_be, socket_input_waits_for_room)
{
    MainLoop *ml = main_loop_new();
    char *err = NULL;
    CharBackend *cb = char_new("tcp:127.0.0.1:0,server=on,wait=off", ml, &err);
    cr_assert_not_null(cb);
    Sink sink = {.room = 0};
    char_set_handlers(cb, sink_can_read, sink_receive, &sink);
    int c = connect_tcp(char_socket_port(cb));
    cr_assert_eq(send(c, "abcd", 4, 0), 4);
    for (int i = 0; i < 10; i++) {
        main_loop_iterate(ml, 1000000);
    }
    cr_assert_eq(sink.len, 0, "no room, no input");
    sink.room = 2;
    char_accept_input(cb);
    pump(ml, sink_has, &sink);
    cr_assert_eq(sink.len, 4);
    cr_assert_eq(memcmp(sink.buf, "abcd", 4), 0);
    close(c);
    char_free(cb);
    main_loop_free(ml);
}

Test(char_be, test_backend_captures_and_injects)
{
    CharBackend *cb = char_test_new();
    Sink sink = {.room = 3};
    char_set_handlers(cb, sink_can_read, sink_receive, &sink);
    cr_assert_eq(char_test_inject(cb, "12345", 5), 0,
                 "room stays 3: delivered in chunks");
    cr_assert_eq(sink.len, 5);
    char_write(cb, (const uint8_t *)"ab", 2);
    size_t len;
    const uint8_t *out = char_test_output(cb, &len);
    cr_assert_eq(len, 2);
    cr_assert_eq(out[1], 'b');
    char_test_clear_output(cb);
    char_test_output(cb, &len);
    cr_assert_eq(len, 0);
    char_free(cb);
}

Test(char_be, null_backend_swallows)
{
    char *err;
    CharBackend *cb = char_new("null", NULL, &err);
    cr_assert_not_null(cb);
    cr_assert_eq(char_write(cb, (const uint8_t *)"x", 1), 1);
    cr_assert_eq(char_socket_port(cb), -1);
    char_free(cb);
}

static bool sink_has_4(void *arg)
{
    return ((Sink *)arg)->len >= 4;
}

Test(char_be, stdio_escapes)
{
    /* each Criterion test runs in its own process: borrow fds 0 and 1 */
    int in[2], out[2];
    cr_assert_eq(pipe(in), 0);
    cr_assert_eq(pipe(out), 0);
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    MainLoop *ml = main_loop_new();
    char *err = NULL;
    CharBackend *cb = char_new("stdio", ml, &err);
    cr_assert_not_null(cb);
    cr_assert_null(char_new("mon:stdio", ml, &err), "only one stdio");
    free(err);
    Sink sink = {.room = 64};
    char_set_handlers(cb, sink_can_read, sink_receive, &sink);

    static const char keys[] = "ab\x01\x01"
                               "c\x01h\x01z";
    cr_assert_eq(write(in[1], keys, sizeof(keys) - 1), sizeof(keys) - 1);
    pump(ml, sink_has_4, &sink);
    cr_assert_eq(sink.len, 4);
    cr_assert_eq(memcmp(sink.buf,
                        "ab\x01"
                        "c",
                        4),
                 0, "C-a C-a sends one C-a; C-a h and C-a z send nothing");
    char help[512] = {0};
    cr_assert_gt(read(out[0], help, sizeof(help) - 1), 0);
    cr_assert_not_null(strstr(help, "C-a x"));
    cr_assert_eq(main_loop_pending(ml), MAIN_LOOP_RUN);

    cr_assert_eq(write(in[1], "\x01x", 2), 2);
    for (int i = 0; i < 50 && main_loop_pending(ml) == MAIN_LOOP_RUN; i++) {
        main_loop_iterate(ml, 10000000);
    }
    cr_assert_eq(main_loop_pending(ml), MAIN_LOOP_SHUTDOWN);
    cr_assert_eq(main_loop_exit_code(ml), 0);
    char_write(cb, (const uint8_t *)"out", 3);
    char buf[128] = {0};
    ssize_t n = read(out[0], buf, sizeof(buf) - 1);
    cr_assert_gt(n, 3);
    cr_assert_not_null(strstr(buf, "terminated"));
    cr_assert_eq(memcmp(buf + n - 3, "out", 3), 0);
    char_free(cb);
    main_loop_free(ml);
}

/* a frontend that takes nothing (a stopped CPU) must not block Ctrl-A x */
Test(char_be, stdio_escapes_work_while_the_frontend_is_full)
{
    int in[2], out[2];
    cr_assert_eq(pipe(in), 0);
    cr_assert_eq(pipe(out), 0);
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    MainLoop *ml = main_loop_new();
    char *err = NULL;
    CharBackend *cb = char_new("mon:stdio", ml, &err);
    cr_assert_not_null(cb, "%s", err ? err : "");
    Sink sink = {.room = 0};
    char_set_handlers(cb, sink_can_read, sink_receive, &sink);

    cr_assert_eq(write(in[1], "abc\x01x", 5), 5);
    for (int i = 0; i < 200 && main_loop_pending(ml) == MAIN_LOOP_RUN; i++) {
        main_loop_iterate(ml, 10000000);
    }
    cr_assert_eq(main_loop_pending(ml), MAIN_LOOP_SHUTDOWN);
    cr_assert_eq(sink.len, 0, "the frontend took nothing");

    sink.room = 64; /* room frees up: the bytes read ahead arrive */
    char_accept_input(cb);
    cr_assert_eq(sink.len, 3);
    cr_assert_eq(memcmp(sink.buf, "abc", 3), 0);
    char_free(cb);
    main_loop_free(ml);
}

static int listen_tcp(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(listen(fd, 1), 0);
    socklen_t sl = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    *port = ntohs(sa.sin_port);
    return fd;
}

Test(char_be, tcp_client_both_ways)
{
    int port;
    int lfd = listen_tcp(&port);
    char spec[64], *err = NULL;
    snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d", port);
    MainLoop *ml = main_loop_new();
    CharBackend *cb = char_new(spec, ml, &err);
    cr_assert_not_null(cb, "%s", err ? err : "");
    int peer = accept(lfd, NULL, NULL);
    cr_assert(peer >= 0);
    Sink sink = {.room = 64};
    char_set_handlers(cb, sink_can_read, sink_receive, &sink);
    ping_pong(ml, cb, peer, &sink);
    close(peer);
    close(lfd);
    char_free(cb);
    main_loop_free(ml);
    snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d", port);
    cr_assert_null(char_new(spec, NULL, &err), "nobody listens any more");
    cr_assert_not_null(err);
    free(err);
}

static void *late_client(void *opaque)
{
    int port = *(int *)opaque;
    for (int i = 0; i < 200; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET,
                                 .sin_port = htons((uint16_t)port)};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            send(fd, "late", 4, 0);
            usleep(100000);
            close(fd);
            return NULL;
        }
        close(fd);
        usleep(10000);
    }
    return NULL;
}

Test(char_be, tcp_server_wait_blocks_until_client)
{
    int port;
    close(listen_tcp(&port)); /* a port that was free a moment ago */
    pthread_t th;
    pthread_create(&th, NULL, late_client, &port);
    char spec[64], *err = NULL;
    snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d,server", port);
    MainLoop *ml = main_loop_new();
    CharBackend *cb = char_new(spec, ml, &err); /* returns once connected */
    cr_assert_not_null(cb, "%s", err ? err : "");
    Sink sink = {.room = 64};
    char_set_handlers(cb, sink_can_read, sink_receive, &sink);
    pump(ml, sink_has, &sink);
    cr_assert_eq(memcmp(sink.buf, "late", 4), 0);
    pthread_join(th, NULL);
    char_free(cb);
    main_loop_free(ml);
}
