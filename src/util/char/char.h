/*
 * Character backends: where a UART, debugcon or (later) the monitor sends
 * bytes and gets its input. A backend is a CharBackend with a small ops
 * struct; the frontend device sets can_read/receive handlers and calls
 * char_write(). Backends with host fds (stdio, pipes, sockets) register with
 * the main loop and push input only while the frontend has room
 * (can_read > 0); the frontend calls char_accept_input() when room frees up.
 *
 * Specs use QEMU syntax: `-serial` style ("stdio", "file:log", "pipe:p",
 * "tcp::4444,server,nowait", "tcp:127.0.0.1:4444,server=on,wait=off",
 * "unix:/tmp/s,server", "null", "mon:stdio") and `-chardev` style
 * ("socket,id=c0,host=127.0.0.1,port=4444,server=on,wait=off",
 * "stdio,id=c0", "file,id=c0,path=log", "pipe,id=c0,path=p", "null,id=c0").
 */
#ifndef XLAT_UTIL_CHAR_CHAR_H
#define XLAT_UTIL_CHAR_CHAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct MainLoop MainLoop;
typedef struct CharBackend CharBackend;

/* frontend handlers: how many bytes it takes now, and the bytes */
typedef int CharCanReadFn(void *opaque);
typedef void CharReceiveFn(void *opaque, const uint8_t *buf, int len);

typedef struct CharOps {
    /* returns the bytes consumed (all of them unless the backend drops) */
    int (*write)(CharBackend *cb, const uint8_t *buf, int len);
    /* the frontend has room again: resume input */
    void (*accept_input)(CharBackend *cb);
    /* release host resources; the core frees the CharBackend itself */
    void (*close)(CharBackend *cb);
} CharOps;

/* a backend embeds this as its first member */
struct CharBackend {
    const CharOps *ops;
    MainLoop *ml; /* may be NULL: no input is watched */
    char *id;     /* -chardev id=, or NULL */
    CharCanReadFn *can_read;
    CharReceiveFn *receive;
    void *fe_opaque;
};

typedef enum CharSpecKind {
    CHAR_KIND_NULL,
    CHAR_KIND_STDIO,
    CHAR_KIND_FILE,
    CHAR_KIND_PIPE,
    CHAR_KIND_TCP,
    CHAR_KIND_UNIX,
} CharSpecKind;

/* a parsed spec; strings are owned (char_spec_clear frees them) */
typedef struct CharSpec {
    CharSpecKind kind;
    char *id;   /* -chardev id */
    char *path; /* file, pipe, unix */
    char *host; /* tcp: NULL means any address (server) or localhost */
    int port;   /* tcp; 0 picks an ephemeral port (server) */
    bool server;
    bool wait; /* server: block in char_open until a client connects */
    bool nodelay;
    bool mux; /* mon:stdio; no monitor yet, so it is plain stdio */
} CharSpec;

/*
 * -serial / -monitor style; returns 0, or -1 with *err (free it). Parse and
 * open errors are one line that does not repeat the spec ("invalid port
 * 'x'", "bind: Address already in use"): the caller names the option.
 * Backends QEMU has and xlat lacks give "... not supported yet".
 */
int char_parse(const char *spec, CharSpec *out, char **err);
/* -chardev style, id= required; socket needs port= or path= */
int char_parse_chardev(const char *opts, CharSpec *out, char **err);
void char_spec_clear(CharSpec *spec);
/* a deep copy (dst's old strings are not freed) */
void char_spec_copy(CharSpec *dst, const CharSpec *src);

/* open a parsed spec; NULL with *err on failure (bad path, port in use) */
CharBackend *char_open(const CharSpec *spec, MainLoop *ml, char **err);
/* char_parse + char_open */
CharBackend *char_new(const char *spec, MainLoop *ml, char **err);
void char_free(CharBackend *cb);

/* ---- frontend side ---- */
void char_set_handlers(CharBackend *cb, CharCanReadFn *can_read,
                       CharReceiveFn *receive, void *opaque);
int char_write(CharBackend *cb, const uint8_t *buf, int len);
void char_accept_input(CharBackend *cb);
const char *char_id(const CharBackend *cb);

/* the local port of a TCP backend (ephemeral ports in tests), or -1 */
int char_socket_port(CharBackend *cb);

/* ---- backend side ---- */
void char_init(CharBackend *cb, const CharOps *ops, MainLoop *ml);
/* bytes the frontend accepts now (0 when none is attached) */
int char_can_read(CharBackend *cb);
/* hand input to the frontend; len must be <= char_can_read() */
void char_receive(CharBackend *cb, const uint8_t *buf, int len);

#endif
