/*
 * Generic key=value property lists, as QEMU's command line writes them:
 * "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56", "tcg,backend=interp".
 *
 * An optional implied key names a leading element without '=' (`-device
 * NAME` -> driver=NAME). ",," is an escaped comma. A bare flag is QEMU's old
 * boolean syntax: "server" -> server=on, "nowait" -> wait=off. Errors are one
 * line, allocated, owned by the caller (free()); they never name the option,
 * which the caller adds: "-m 12Q: invalid size".
 */
#ifndef XLAT_UTIL_KEYVAL_H
#define XLAT_UTIL_KEYVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/common.h"

typedef struct KeyVal KeyVal;

/*
 * Parse str. implied_key may be NULL. Returns the list, or NULL with *err
 * set ("duplicate key 'id'", "empty key", "missing value for 'x'").
 */
KeyVal *kv_parse(const char *str, const char *implied_key, char **err);
void kv_free(KeyVal *kv);

size_t kv_count(const KeyVal *kv);
const char *kv_key_at(const KeyVal *kv, size_t i);
const char *kv_value_at(const KeyVal *kv, size_t i);
bool kv_has(const KeyVal *kv, const char *key);

/* the value, or NULL when the key is absent */
const char *kv_get(const KeyVal *kv, const char *key);

/*
 * The typed getters return 1 when the key is present and parsed into *out,
 * 0 when it is absent (*out untouched), -1 with *err set on a bad value.
 */
int kv_get_bool(const KeyVal *kv, const char *key, bool *out,
                char **err) MUST_CHECK;
/* decimal or 0x hex, no suffix */
int kv_get_uint(const KeyVal *kv, const char *key, uint64_t *out,
                char **err) MUST_CHECK;
/* like kv_get_uint, with an optional k/M/G/T suffix (powers of 1024) */
int kv_get_size(const KeyVal *kv, const char *key, uint64_t *out,
                char **err) MUST_CHECK;

/*
 * Keys not in the NULL-terminated list known[]: the first one (or NULL), and
 * all of them (up to max, returns how many there are in total).
 */
const char *kv_unknown_key(const KeyVal *kv, const char *const *known);
size_t kv_unknown_keys(const KeyVal *kv, const char *const *known,
                       const char **out, size_t max);

/*
 * String helpers shared with the command line. kv_parse_bool accepts
 * on/off/yes/no/true/false. kv_parse_size parses a number with an optional
 * k/M/G/T suffix (either case); without one it multiplies by default_unit
 * (1 for bytes, 1 << 20 for `-m`). All return 0 or -1 with *err set.
 */
int kv_parse_bool(const char *s, bool *out, char **err) MUST_CHECK;
int kv_parse_uint(const char *s, uint64_t *out, char **err) MUST_CHECK;
int kv_parse_size(const char *s, uint64_t default_unit, uint64_t *out,
                  char **err) MUST_CHECK;

#endif
