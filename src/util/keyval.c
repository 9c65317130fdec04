/*
 * Key=value property lists (see keyval.h for the syntax).
 *
 * Parsing is two steps: split the string into elements at every comma that
 * is not doubled (",," becomes one literal comma inside the element), then
 * read each element as key=value, the implied key's value, or a bare flag.
 * The list is small (a handful of pairs), so lookups are linear.
 */
#include "util/keyval.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct KvPair {
    char *key;
    char *value;
} KvPair;

struct KeyVal {
    KvPair *pairs;
    size_t count;
    size_t cap;
};

static int kv_fail(char **err, const char *fmt, ...) PRINTF_FMT(2, 3);

static int kv_fail(char **err, const char *fmt, ...)
{
    va_list ap;
    char *msg = NULL;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0) {
        msg = NULL;
    }
    va_end(ap);
    if (err) {
        *err = msg ? msg : xstrdup("out of memory");
    } else {
        free(msg);
    }
    return -1;
}

static const KvPair *kv_find(const KeyVal *kv, const char *key)
{
    for (size_t i = 0; i < kv->count; i++) {
        if (strcmp(kv->pairs[i].key, key) == 0) {
            return &kv->pairs[i];
        }
    }
    return NULL;
}

/* takes ownership of key and value */
static int kv_add(KeyVal *kv, char *key, char *value, char **err)
{
    if (kv_find(kv, key)) {
        kv_fail(err, "duplicate key '%s'", key);
        free(key);
        free(value);
        return -1;
    }
    if (kv->count == kv->cap) {
        kv->cap = kv->cap ? kv->cap * 2 : 4;
        kv->pairs = xrealloc(kv->pairs, kv->cap * sizeof(*kv->pairs));
    }
    kv->pairs[kv->count].key = key;
    kv->pairs[kv->count].value = value;
    kv->count++;
    return 0;
}

/*
 * Copy one element starting at *pos into a new string, turning ",," into
 * ","; *pos ends after the separating comma (or at the terminating NUL).
 * *had_sep tells whether a separator was consumed.
 */
static char *kv_next_element(const char **pos, bool *had_sep)
{
    const char *p = *pos;
    char *out = xmalloc(strlen(p) + 1);
    size_t n = 0;

    *had_sep = false;
    while (*p) {
        if (p[0] == ',' && p[1] == ',') {
            out[n++] = ',';
            p += 2;
        } else if (p[0] == ',') {
            p++;
            *had_sep = true;
            break;
        } else {
            out[n++] = *p++;
        }
    }
    out[n] = '\0';
    *pos = p;
    return out;
}

/* "server" -> server=on, "nowait" -> wait=off (QEMU's old flag syntax) */
static int kv_add_flag(KeyVal *kv, char *elem, char **err)
{
    if (strchr(elem, ',')) {
        kv_fail(err, "invalid key '%s'", elem);
        free(elem);
        return -1;
    }
    if (strncmp(elem, "no", 2) == 0 && elem[2] != '\0') {
        char *key = xstrdup(elem + 2);
        free(elem);
        return kv_add(kv, key, xstrdup("off"), err);
    }
    return kv_add(kv, elem, xstrdup("on"), err);
}

static int kv_add_element(KeyVal *kv, char *elem, const char *implied,
                          char **err)
{
    char *eq = strchr(elem, '=');

    if (elem[0] == '\0' || eq == elem) {
        free(elem);
        return kv_fail(err, "empty key");
    }
    if (!eq) {
        if (implied) {
            return kv_add(kv, xstrdup(implied), elem, err);
        }
        return kv_add_flag(kv, elem, err);
    }
    *eq = '\0';
    if (strchr(elem, ',')) {
        kv_fail(err, "invalid key '%s'", elem);
        free(elem);
        return -1;
    }
    if (eq[1] == '\0') {
        kv_fail(err, "missing value for '%s'", elem);
        free(elem);
        return -1;
    }
    char *value = xstrdup(eq + 1);
    return kv_add(kv, elem, value, err);
}

KeyVal *kv_parse(const char *str, const char *implied_key, char **err)
{
    KeyVal *kv = xzalloc(sizeof(*kv));
    const char *pos = str;
    bool first = true, had_sep = true;

    if (*str == '\0') {
        kv_fail(err, "empty property list");
        kv_free(kv);
        return NULL;
    }
    while (*pos || had_sep) {
        char *elem = kv_next_element(&pos, &had_sep);
        const char *implied = first ? implied_key : NULL;
        if (kv_add_element(kv, elem, implied, err) < 0) {
            kv_free(kv);
            return NULL;
        }
        first = false;
    }
    return kv;
}

void kv_free(KeyVal *kv)
{
    if (!kv) {
        return;
    }
    for (size_t i = 0; i < kv->count; i++) {
        free(kv->pairs[i].key);
        free(kv->pairs[i].value);
    }
    free(kv->pairs);
    free(kv);
}

size_t kv_count(const KeyVal *kv)
{
    return kv->count;
}

const char *kv_key_at(const KeyVal *kv, size_t i)
{
    ASSERT(i < kv->count);
    return kv->pairs[i].key;
}

const char *kv_value_at(const KeyVal *kv, size_t i)
{
    ASSERT(i < kv->count);
    return kv->pairs[i].value;
}

bool kv_has(const KeyVal *kv, const char *key)
{
    return kv_find(kv, key) != NULL;
}

const char *kv_get(const KeyVal *kv, const char *key)
{
    const KvPair *p = kv_find(kv, key);
    return p ? p->value : NULL;
}

int kv_parse_bool(const char *s, bool *out, char **err)
{
    static const char *const yes[] = {"on", "yes", "true"};
    static const char *const no[] = {"off", "no", "false"};

    for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return kv_fail(err, "'%s' is not on/off/yes/no/true/false", s);
}

enum { KV_NUM_OK = 0, KV_NUM_BAD = -1, KV_NUM_RANGE = -2 };

/*
 * Leading digits only (decimal, or hex after 0x); *end points after them.
 * strtoull alone would accept blanks, a sign and octal: we do not.
 */
static int kv_parse_digits(const char *s, uint64_t *out, const char **end)
{
    static const char dec[] = "0123456789", hex[] = "0123456789abcdefABCDEF";
    const char *digits = dec, *p = s;
    int base = 10;
    char *e;

    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        digits = hex;
        p += 2;
    }
    if (*p == '\0' || !strchr(digits, *p)) {
        return KV_NUM_BAD;
    }
    errno = 0;
    unsigned long long v = strtoull(p, &e, base);
    if (errno == ERANGE) {
        return KV_NUM_RANGE;
    }
    *out = v;
    *end = e;
    return KV_NUM_OK;
}

int kv_parse_uint(const char *s, uint64_t *out, char **err)
{
    const char *end = s;
    uint64_t v;
    int r = kv_parse_digits(s, &v, &end);

    if (r == KV_NUM_RANGE) {
        return kv_fail(err, "'%s' is too large (more than 64 bits)", s);
    }
    if (r != KV_NUM_OK || *end != '\0') {
        return kv_fail(err, "'%s' is not a number", s);
    }
    *out = v;
    return 0;
}

static int kv_suffix_shift(char c)
{
    switch (c) {
    case 'b':
    case 'B':
        return 0;
    case 'k':
    case 'K':
        return 10;
    case 'm':
    case 'M':
        return 20;
    case 'g':
    case 'G':
        return 30;
    case 't':
    case 'T':
        return 40;
    default:
        return -1;
    }
}

int kv_parse_size(const char *s, uint64_t default_unit, uint64_t *out,
                  char **err)
{
    const char *end = s;
    uint64_t v, unit = default_unit;
    int r = kv_parse_digits(s, &v, &end);

    if (r == KV_NUM_RANGE) {
        return kv_fail(err, "'%s' is too large (more than 64 bits)", s);
    }
    if (r != KV_NUM_OK) {
        return kv_fail(err, "'%s' is not a valid size", s);
    }
    if (*end != '\0') {
        int shift = kv_suffix_shift(*end);
        if (shift < 0 || end[1] != '\0') {
            return kv_fail(err, "'%s' is not a valid size", s);
        }
        unit = 1ull << shift;
    }
    if (unit != 0 && v > UINT64_MAX / unit) {
        return kv_fail(err, "'%s' is too large (more than 64 bits)", s);
    }
    *out = v * unit;
    return 0;
}

int kv_get_bool(const KeyVal *kv, const char *key, bool *out, char **err)
{
    const char *v = kv_get(kv, key);
    bool b;

    if (!v) {
        return 0;
    }
    if (kv_parse_bool(v, &b, err) < 0) {
        return -1;
    }
    *out = b;
    return 1;
}

int kv_get_uint(const KeyVal *kv, const char *key, uint64_t *out, char **err)
{
    const char *v = kv_get(kv, key);
    uint64_t n;

    if (!v) {
        return 0;
    }
    if (kv_parse_uint(v, &n, err) < 0) {
        return -1;
    }
    *out = n;
    return 1;
}

int kv_get_size(const KeyVal *kv, const char *key, uint64_t *out, char **err)
{
    const char *v = kv_get(kv, key);
    uint64_t n;

    if (!v) {
        return 0;
    }
    if (kv_parse_size(v, 1, &n, err) < 0) {
        return -1;
    }
    *out = n;
    return 1;
}

static bool kv_is_known(const char *key, const char *const *known)
{
    for (size_t i = 0; known && known[i]; i++) {
        if (strcmp(key, known[i]) == 0) {
            return true;
        }
    }
    return false;
}

const char *kv_unknown_key(const KeyVal *kv, const char *const *known)
{
    const char *first = NULL;
    kv_unknown_keys(kv, known, &first, 1);
    return first;
}

size_t kv_unknown_keys(const KeyVal *kv, const char *const *known,
                       const char **out, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < kv->count; i++) {
        if (!kv_is_known(kv->pairs[i].key, known)) {
            if (n < max) {
                out[n] = kv->pairs[i].key;
            }
            n++;
        }
    }
    return n;
}
