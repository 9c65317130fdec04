/*
 * Parsing of character backend specs, QEMU syntax (see char.h). Two forms:
 *   -serial style: KIND[:ARGS][,opt[=val]...], e.g. "tcp::4444,server,nowait"
 *   -chardev style: BACKEND,id=ID[,key=val...], e.g. "socket,id=s,port=4444"
 * Options are comma separated; ",," is a literal comma. Bare flags follow
 * QEMU's old syntax: "server" is server=on, "nowait" is wait=off.
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
            *err = xasprintf("%s: too many options", s);
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
        *err = xasprintf("%s: invalid port", s);
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
        *err = xasprintf("%s: expected HOST:PORT", s);
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

/* one option; legacy bare flags and key=value; `chardev` allows id= etc. */
static int parse_opt(const char *tok, CharSpec *out, bool chardev, char **err)
{
    const char *eq = strchr(tok, '=');
    char *key = eq ? strndup(tok, (size_t)(eq - tok)) : xstrdup(tok);
    const char *val = eq ? eq + 1 : "on";
    int r = 0;
    if (!strcmp(key, "nowait")) {
        out->wait = false;
    } else if (!strcmp(key, "server")) {
        r = parse_bool(key, val, &out->server, err);
    } else if (!strcmp(key, "wait")) {
        r = parse_bool(key, val, &out->wait, err);
    } else if (!strcmp(key, "nodelay")) {
        r = parse_bool(key, val, &out->nodelay, err);
    } else if (!strcmp(key, "mux")) {
        r = parse_bool(key, val, &out->mux, err);
    } else if (chardev && !strcmp(key, "id") && eq) {
        free(out->id);
        out->id = xstrdup(val);
    } else if (chardev && !strcmp(key, "path") && eq) {
        free(out->path);
        out->path = xstrdup(val);
    } else if (chardev && !strcmp(key, "host") && eq) {
        free(out->host);
        out->host = *val ? xstrdup(val) : NULL;
    } else if (chardev && !strcmp(key, "port") && eq) {
        r = parse_port(val, &out->port, err);
    } else if (chardev && !strcmp(key, "signal") && eq) {
        bool ignored;
        r = parse_bool(key, val, &ignored, err);
    } else {
        *err = xasprintf("%s: unknown character device option", key);
        r = -1;
    }
    free(key);
    return r;
}

static int parse_rest(Opts *o, CharSpec *out, bool chardev, char **err)
{
    for (int i = 1; i < o->n; i++) {
        if (parse_opt(o->tok[i], out, chardev, err) < 0) {
            return -1;
        }
    }
    return 0;
}

/* the first token of a -serial spec */
static int parse_serial_head(const char *h, CharSpec *out, char **err)
{
    if (!strcmp(h, "null")) {
        out->kind = CHAR_KIND_NULL;
    } else if (!strcmp(h, "stdio")) {
        out->kind = CHAR_KIND_STDIO;
    } else if (!strcmp(h, "mon:stdio")) {
        out->kind = CHAR_KIND_STDIO; /* no monitor yet: plain stdio */
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
    } else {
        *err = xasprintf("%s: unknown or unsupported character device", h);
        return -1;
    }
    return 0;
}

static int check_spec(CharSpec *out, const char *what, char **err)
{
    if (out->kind != CHAR_KIND_TCP && out->kind != CHAR_KIND_UNIX &&
        (out->server || out->nodelay)) {
        *err = xasprintf("%s: server/nodelay need a socket", what);
        return -1;
    }
    if (!out->server) {
        out->wait = false;
    }
    if (out->kind == CHAR_KIND_TCP && !out->server && out->port == 0) {
        *err = xasprintf("%s: a client needs a port", what);
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
    spec_defaults(out);
    *err = NULL;
    if (opts_split(spec, &o, err) < 0) {
        return -1;
    }
    int r = parse_serial_head(o.tok[0], out, err);
    if (r == 0) {
        r = parse_rest(&o, out, false, err);
    }
    if (r == 0) {
        r = check_spec(out, spec, err);
    }
    opts_free(&o);
    if (r < 0) {
        char_spec_clear(out);
    }
    return r;
}

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
    for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
        if (!strcmp(b, kinds[i].name)) {
            out->kind = kinds[i].kind;
            return 0;
        }
    }
    *err = xasprintf("%s: unknown or unsupported chardev backend", b);
    return -1;
}

static int check_chardev(CharSpec *out, const char *opts, char **err)
{
    if (!out->id || !*out->id) {
        *err = xasprintf("%s: chardev needs an id", opts);
        return -1;
    }
    if (out->kind == CHAR_KIND_TCP && out->path) {
        out->kind = CHAR_KIND_UNIX; /* socket,path=... */
    }
    bool needs_path =
        out->kind == CHAR_KIND_FILE || out->kind == CHAR_KIND_PIPE;
    if (needs_path && (!out->path || !*out->path)) {
        *err = xasprintf("%s: path= is required", opts);
        return -1;
    }
    return check_spec(out, opts, err);
}

int char_parse_chardev(const char *opts, CharSpec *out, char **err)
{
    Opts o;
    spec_defaults(out);
    *err = NULL;
    if (opts_split(opts, &o, err) < 0) {
        return -1;
    }
    int r = chardev_kind(o.tok[0], out, err);
    if (r == 0) {
        r = parse_rest(&o, out, true, err);
    }
    if (r == 0) {
        r = check_chardev(out, opts, err);
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
