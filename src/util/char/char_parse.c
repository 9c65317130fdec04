/*
 * Parsing of character backend specs, QEMU syntax (see char.h). Two forms:
 *   -serial style: KIND[:ARGS][,opt[=val]...], e.g. "tcp::4444,server,nowait"
 *   -chardev style: BACKEND,id=ID[,key=val...], e.g. "socket,id=s,port=4444"
 * Options are comma separated; ",," is a literal comma. Bare flags follow
 * QEMU's old syntax: "server" is server=on, "nowait" is wait=off.
 *
 * This is the only parser of these specs: the command line (machine/config.c)
 * calls it for -serial and -chardev. Errors are one line that does not repeat
 * the spec ("invalid port 'x'"); the caller names the option and its value.
 * QEMU backends that xlat lacks are refused as "not supported yet".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/char/char.h"
#include "util/common.h"

#define MAX_OPTS 16

typedef struct Opts {
    char *tok[MAX_OPTS];
    int n;
} Opts;

/* keys seen, to check them against the backend once all are read */
enum {
    KEY_PATH = 1u << 0,
    KEY_HOST = 1u << 1,
    KEY_PORT = 1u << 2,
    KEY_SOCKET = 1u << 3, /* server, wait, nowait, nodelay */
    KEY_SIGNAL = 1u << 4,
};

static void opts_free(Opts *o)
{
    for (int i = 0; i < o->n; i++) {
        free(o->tok[i]);
    }
    o->n = 0;
}

/* split at single commas; ",," is a literal comma */
static int opts_split(const char *s, Opts *o, char **err)
{
    size_t len = strlen(s);
    char *cur = xmalloc(len + 1);
    size_t k = 0;
    o->n = 0;
    for (size_t i = 0; i <= len; i++) {
        if (s[i] == ',' && s[i + 1] == ',') {
            cur[k++] = ',';
            i++;
            continue;
        }
        if (s[i] != ',' && s[i] != '\0') {
            cur[k++] = s[i];
            continue;
        }
        if (o->n == MAX_OPTS) {
            *err = xasprintf("too many options (at most %d)", MAX_OPTS);
            free(cur);
            opts_free(o);
            return -1;
        }
        cur[k] = '\0';
        o->tok[o->n++] = xstrdup(cur);
        k = 0;
    }
    free(cur);
    return 0;
}

static int parse_bool(const char *key, const char *val, bool *out, char **err)
{
    static const char *const on[] = {"on", "yes", "true"};
    static const char *const off[] = {"off", "no", "false"};
    for (size_t i = 0; i < ARRAY_LEN(on); i++) {
        if (!strcmp(val, on[i])) {
            *out = true;
            return 0;
        }
        if (!strcmp(val, off[i])) {
            *out = false;
            return 0;
        }
    }
    *err = xasprintf("%s=%s: expected on or off", key, val);
    return -1;
}

static int parse_port(const char *s, int *port, char **err)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < 0 || v > 65535) {
        *err = xasprintf("invalid port '%s'", s);
        return -1;
    }
    *port = (int)v;
    return 0;
}

/* "HOST:PORT", "[V6]:PORT" or ":PORT" */
static int parse_host_port(const char *s, CharSpec *out, char **err)
{
    const char *colon = strrchr(s, ':');
    if (!colon) {
        *err = xasprintf("expected tcp:[HOST]:PORT");
        return -1;
    }
    size_t hl = (size_t)(colon - s);
    if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
        s++;
        hl -= 2;
    }
    if (hl > 0) {
        out->host = strndup(s, hl);
    }
    return parse_port(colon + 1, &out->port, err);
}

/* socket flags, in both forms */
static int parse_socket_opt(const char *key, const char *val, CharSpec *out,
                            char **err)
{
    if (!strcmp(key, "nowait")) {
        out->wait = false;
        return 0;
    }
    if (!strcmp(key, "server")) {
        return parse_bool(key, val, &out->server, err);
    }
    if (!strcmp(key, "wait")) {
        return parse_bool(key, val, &out->wait, err);
    }
    return parse_bool(key, val, &out->nodelay, err);
}

static bool is_socket_key(const char *key)
{
    return !strcmp(key, "nowait") || !strcmp(key, "server") ||
           !strcmp(key, "wait") || !strcmp(key, "nodelay");
}

/* -chardev keys with a value: id, path, host, port, signal */
static int parse_chardev_key(const char *key, const char *val, CharSpec *out,
                             unsigned *seen, char **err)
{
    bool ignored;
    if (!strcmp(key, "id")) {
        free(out->id);
        out->id = xstrdup(val);
        return 0;
    }
    if (!strcmp(key, "path")) {
        *seen |= KEY_PATH;
        free(out->path);
        out->path = xstrdup(val);
        return 0;
    }
    if (!strcmp(key, "host")) {
        *seen |= KEY_HOST;
        free(out->host);
        out->host = *val ? xstrdup(val) : NULL;
        return 0;
    }
    if (!strcmp(key, "port")) {
        *seen |= KEY_PORT;
        return parse_port(val, &out->port, err);
    }
    if (!strcmp(key, "signal")) {
        *seen |= KEY_SIGNAL;
        return parse_bool(key, val, &ignored, err); /* raw mode is always on */
    }
    *err = xasprintf("unknown property '%s'", key);
    return -1;
}

/* one option; legacy bare flags and key=value; `chardev` allows id= etc. */
static int parse_opt(const char *tok, CharSpec *out, bool chardev,
                     unsigned *seen, char **err)
{
    const char *eq = strchr(tok, '=');
    char *key = eq ? strndup(tok, (size_t)(eq - tok)) : xstrdup(tok);
    const char *val = eq ? eq + 1 : "on";
    int r;
    if (is_socket_key(key)) {
        *seen |= KEY_SOCKET;
        r = parse_socket_opt(key, val, out, err);
    } else if (!strcmp(key, "mux")) {
        r = parse_bool(key, val, &out->mux, err);
    } else if (chardev && eq) {
        r = parse_chardev_key(key, val, out, seen, err);
    } else {
        *err = xasprintf("unknown property '%s'", key);
        r = -1;
    }
    free(key);
    return r;
}

static int parse_rest(Opts *o, CharSpec *out, bool chardev, unsigned *seen,
                      char **err)
{
    for (int i = 1; i < o->n; i++) {
        if (parse_opt(o->tok[i], out, chardev, seen, err) < 0) {
            return -1;
        }
    }
    return 0;
}

/* QEMU -serial kinds that xlat does not have yet */
static bool serial_later(const char *h)
{
    static const char *const later[] = {
        "vc",      "pty",     "udp:",    "telnet:",  "websocket:",
        "/dev/",   "msmouse", "braille", "spicevmc", "spiceport",
        "testdev", "vc:",     "mon:",
    };
    for (size_t i = 0; i < ARRAY_LEN(later); i++) {
        size_t n = strlen(later[i]);
        bool prefix = later[i][n - 1] == ':' || later[i][0] == '/';
        if (prefix ? !strncmp(h, later[i], n) : !strcmp(h, later[i])) {
            return true;
        }
    }
    return false;
}

/* the first token of a -serial spec */
static int parse_serial_head(const char *h, CharSpec *out, char **err)
{
    if (!strcmp(h, "null")) {
        out->kind = CHAR_KIND_NULL;
    } else if (!strcmp(h, "stdio")) {
        out->kind = CHAR_KIND_STDIO;
    } else if (!strcmp(h, "mon:stdio")) {
        out->kind = CHAR_KIND_STDIO; /* no monitor yet: stdio with escapes */
        out->mux = true;
    } else if (!strncmp(h, "file:", 5) && h[5]) {
        out->kind = CHAR_KIND_FILE;
        out->path = xstrdup(h + 5);
    } else if (!strncmp(h, "pipe:", 5) && h[5]) {
        out->kind = CHAR_KIND_PIPE;
        out->path = xstrdup(h + 5);
    } else if (!strncmp(h, "unix:", 5) && h[5]) {
        out->kind = CHAR_KIND_UNIX;
        out->path = xstrdup(h + 5);
    } else if (!strncmp(h, "tcp:", 4)) {
        out->kind = CHAR_KIND_TCP;
        return parse_host_port(h + 4, out, err);
    } else if (serial_later(h)) {
        *err = xasprintf("not supported yet");
        return -1;
    } else {
        *err = xasprintf("unknown character device (stdio, mon:stdio, null, "
                         "file:, pipe:, tcp:, unix:, none or chardev:)");
        return -1;
    }
    return 0;
}

static bool spec_is_socket(const CharSpec *s)
{
    return s->kind == CHAR_KIND_TCP || s->kind == CHAR_KIND_UNIX;
}

static int check_spec(CharSpec *out, unsigned seen, char **err)
{
    if (!spec_is_socket(out) && (seen & KEY_SOCKET)) {
        *err = xasprintf("server, wait and nodelay need a socket");
        return -1;
    }
    if (!out->server) {
        out->wait = false;
    }
    if (out->kind == CHAR_KIND_TCP && !out->server && out->port == 0) {
        *err = xasprintf("a client needs a port other than 0");
        return -1;
    }
    return 0;
}

static void spec_defaults(CharSpec *out)
{
    memset(out, 0, sizeof(*out));
    out->wait = true; /* QEMU: a server waits for its first client */
}

int char_parse(const char *spec, CharSpec *out, char **err)
{
    Opts o;
    unsigned seen = 0;
    spec_defaults(out);
    *err = NULL;
    if (opts_split(spec, &o, err) < 0) {
        return -1;
    }
    int r = parse_serial_head(o.tok[0], out, err);
    if (r == 0) {
        r = parse_rest(&o, out, false, &seen, err);
    }
    if (r == 0) {
        r = check_spec(out, seen, err);
    }
    opts_free(&o);
    if (r < 0) {
        char_spec_clear(out);
    }
    return r;
}

/* ---- -chardev ---- */

static int chardev_kind(const char *b, CharSpec *out, char **err)
{
    static const struct {
        const char *name;
        CharSpecKind kind;
    } kinds[] = {
        {"null", CHAR_KIND_NULL},  {"stdio", CHAR_KIND_STDIO},
        {"file", CHAR_KIND_FILE},  {"pipe", CHAR_KIND_PIPE},
        {"socket", CHAR_KIND_TCP},
    };
    static const char *const later[] = {
        "udp",     "pty",          "serial",    "tty",     "parallel",
        "parport", "ringbuf",      "memory",    "vc",      "msmouse",
        "braille", "spicevmc",     "spiceport", "testdev", "wctablet",
        "dbus",    "qemu-vdagent", "mux",
    };
    for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
        if (!strcmp(b, kinds[i].name)) {
            out->kind = kinds[i].kind;
            return 0;
        }
    }
    for (size_t i = 0; i < ARRAY_LEN(later); i++) {
        if (!strcmp(b, later[i])) {
            *err = xasprintf("backend '%s' is not supported yet", b);
            return -1;
        }
    }
    *err = xasprintf("unknown backend '%s' (socket, stdio, file, pipe or "
                     "null)",
                     b);
    return -1;
}

/* the keys each backend takes besides id and mux */
static unsigned chardev_allowed_keys(CharSpecKind kind)
{
    switch (kind) {
    case CHAR_KIND_NULL:
        return 0;
    case CHAR_KIND_STDIO:
        return KEY_SIGNAL;
    case CHAR_KIND_FILE:
    case CHAR_KIND_PIPE:
        return KEY_PATH;
    case CHAR_KIND_TCP:
    case CHAR_KIND_UNIX:
        return KEY_PATH | KEY_HOST | KEY_PORT | KEY_SOCKET;
    }
    return 0;
}

static const char *key_name(unsigned key)
{
    switch (key) {
    case KEY_PATH:
        return "path";
    case KEY_HOST:
        return "host";
    case KEY_PORT:
        return "port";
    case KEY_SIGNAL:
        return "signal";
    default:
        return "server";
    }
}

/* socket: exactly one of port= (TCP) and path= (Unix) */
static int check_socket(CharSpec *out, unsigned seen, char **err)
{
    bool tcp = seen & (KEY_PORT | KEY_HOST), unx = seen & KEY_PATH;
    if (tcp && unx) {
        *err = xasprintf("path= (Unix) and host=/port= (TCP) exclude each "
                         "other");
        return -1;
    }
    if (!unx && !(seen & KEY_PORT)) {
        *err = xasprintf("the socket backend needs port= or path=");
        return -1;
    }
    if (unx) {
        out->kind = CHAR_KIND_UNIX;
    }
    return 0;
}

static int check_chardev(CharSpec *out, const char *backend, unsigned seen,
                         char **err)
{
    if (!out->id || !*out->id) {
        *err = xasprintf("needs id=");
        return -1;
    }
    unsigned extra = seen & ~chardev_allowed_keys(out->kind);
    if (extra) {
        *err = xasprintf("unknown property '%s' for backend '%s'",
                         key_name(extra & -extra), backend);
        return -1;
    }
    if (out->kind == CHAR_KIND_TCP && check_socket(out, seen, err) < 0) {
        return -1;
    }
    bool needs_path =
        out->kind == CHAR_KIND_FILE || out->kind == CHAR_KIND_PIPE;
    if (needs_path && (!out->path || !*out->path)) {
        *err = xasprintf("the %s backend needs path=", backend);
        return -1;
    }
    return check_spec(out, seen, err);
}

int char_parse_chardev(const char *opts, CharSpec *out, char **err)
{
    Opts o;
    unsigned seen = 0;
    spec_defaults(out);
    *err = NULL;
    if (opts_split(opts, &o, err) < 0) {
        return -1;
    }
    int r = chardev_kind(o.tok[0], out, err);
    if (r == 0) {
        r = parse_rest(&o, out, true, &seen, err);
    }
    if (r == 0) {
        r = check_chardev(out, o.tok[0], seen, err);
    }
    opts_free(&o);
    if (r < 0) {
        char_spec_clear(out);
    }
    return r;
}

void char_spec_clear(CharSpec *spec)
{
    free(spec->id);
    free(spec->path);
    free(spec->host);
    spec->id = spec->path = spec->host = NULL;
}

void char_spec_copy(CharSpec *dst, const CharSpec *src)
{
    *dst = *src;
    dst->id = src->id ? xstrdup(src->id) : NULL;
    dst->path = src->path ? xstrdup(src->path) : NULL;
    dst->host = src->host ? xstrdup(src->host) : NULL;
}
