/*
 * util/keyval: QEMU property lists. Good input (implied keys, ",," escapes,
 * bare flags, typed getters with size suffixes) and bad input (duplicate,
 * empty and unknown keys, missing values, bad and overflowing numbers), each
 * checked for the exact value or the one-line error it produces.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/keyval.h"

static KeyVal *kv;
static char *err;

static void teardown(void)
{
    kv_free(kv);
    free(err);
    kv = NULL;
    err = NULL;
}

TestSuite(keyval, .fini = teardown, .timeout = 5);

static void parse_ok(const char *s, const char *implied)
{
    kv = kv_parse(s, implied, &err);
    cr_assert_not_null(kv, "'%s' failed: %s", s, err ? err : "?");
}

static void parse_bad(const char *s, const char *implied, const char *msg)
{
    kv = kv_parse(s, implied, &err);
    cr_assert_null(kv, "'%s' parsed but should not", s);
    cr_assert_not_null(err);
    cr_assert_str_eq(err, msg);
}

Test(keyval, device_with_implied_driver)
{
    parse_ok("virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56", "driver");
    cr_assert_eq(kv_count(kv), 3);
    cr_assert_str_eq(kv_get(kv, "driver"), "virtio-net-pci");
    cr_assert_str_eq(kv_get(kv, "netdev"), "n0");
    cr_assert_str_eq(kv_get(kv, "mac"), "52:54:00:12:34:56");
    cr_assert_str_eq(kv_key_at(kv, 0), "driver");
    cr_assert_str_eq(kv_value_at(kv, 2), "52:54:00:12:34:56");
}

Test(keyval, drive_without_implied_key)
{
    parse_ok("file=disk.img,if=virtio,format=raw", NULL);
    cr_assert_eq(kv_count(kv), 3);
    cr_assert_str_eq(kv_get(kv, "file"), "disk.img");
    cr_assert_str_eq(kv_get(kv, "if"), "virtio");
    cr_assert_str_eq(kv_get(kv, "format"), "raw");
    cr_assert_null(kv_get(kv, "cache"));
    cr_assert(!kv_has(kv, "cache"));
}

Test(keyval, accel_and_netdev_implied)
{
    parse_ok("tcg,backend=interp", "accel");
    cr_assert_str_eq(kv_get(kv, "accel"), "tcg");
    cr_assert_str_eq(kv_get(kv, "backend"), "interp");
    teardown();
    parse_ok("user,id=n0", "type");
    cr_assert_str_eq(kv_get(kv, "type"), "user");
    cr_assert_str_eq(kv_get(kv, "id"), "n0");
}

Test(keyval, implied_key_may_also_be_explicit)
{
    parse_ok("driver=isa-debug-exit,iobase=0xf4", "driver");
    cr_assert_str_eq(kv_get(kv, "driver"), "isa-debug-exit");
    cr_assert_eq(kv_count(kv), 2);
}

Test(keyval, doubled_comma_is_a_literal_comma)
{
    parse_ok("file=a,,b.img,if=ide", NULL);
    cr_assert_str_eq(kv_get(kv, "file"), "a,b.img");
    cr_assert_str_eq(kv_get(kv, "if"), "ide");
    teardown();
    parse_ok("x,,y,id=c", "name");
    cr_assert_str_eq(kv_get(kv, "name"), "x,y");
    teardown();
    parse_ok("append=a,,,,b", NULL);
    cr_assert_str_eq(kv_get(kv, "append"), "a,,b");
}

Test(keyval, value_keeps_later_equals_signs)
{
    parse_ok("string=a=b=c", NULL);
    cr_assert_str_eq(kv_get(kv, "string"), "a=b=c");
}

Test(keyval, bare_flags_follow_old_qemu_syntax)
{
    parse_ok("socket,id=c0,server,nowait", "backend");
    cr_assert_str_eq(kv_get(kv, "backend"), "socket");
    cr_assert_str_eq(kv_get(kv, "server"), "on");
    cr_assert_str_eq(kv_get(kv, "wait"), "off");
    cr_assert(!kv_has(kv, "nowait"));
    bool b = false;
    cr_assert_eq(kv_get_bool(kv, "server", &b, &err), 1);
    cr_assert(b);
    cr_assert_eq(kv_get_bool(kv, "wait", &b, &err), 1);
    cr_assert(!b);
}

Test(keyval, bare_no_alone_is_a_flag_named_no)
{
    parse_ok("no", NULL);
    cr_assert_str_eq(kv_get(kv, "no"), "on");
}

Test(keyval, first_bare_element_without_implied_key_is_a_flag)
{
    parse_ok("readonly,file=x", NULL);
    cr_assert_str_eq(kv_get(kv, "readonly"), "on");
    cr_assert_str_eq(kv_get(kv, "file"), "x");
}

Test(keyval, bools_accept_every_spelling)
{
    parse_ok("a=on,b=yes,c=true,d=off,e=no,f=false", NULL);
    const char *keys = "abcdef";
    for (int i = 0; i < 6; i++) {
        char k[2] = {keys[i], 0};
        bool b = i >= 3;
        cr_assert_eq(kv_get_bool(kv, k, &b, &err), 1);
        cr_assert_eq(b, i < 3, "key %s", k);
    }
}

Test(keyval, bad_bool_is_an_error)
{
    parse_ok("a=maybe", NULL);
    bool b = true;
    cr_assert_eq(kv_get_bool(kv, "a", &b, &err), -1);
    cr_assert_str_eq(err, "'maybe' is not on/off/yes/no/true/false");
    cr_assert(b, "output untouched on error");
}

Test(keyval, absent_key_leaves_output_alone)
{
    parse_ok("a=1", NULL);
    uint64_t n = 77;
    bool b = true;
    cr_assert_eq(kv_get_uint(kv, "b", &n, &err), 0);
    cr_assert_eq(kv_get_size(kv, "b", &n, &err), 0);
    cr_assert_eq(kv_get_bool(kv, "b", &b, &err), 0);
    cr_assert_eq(n, 77);
    cr_assert(b);
    cr_assert_null(err);
}

Test(keyval, numbers_decimal_and_hex)
{
    parse_ok("iobase=0xf4,iosize=4,big=18446744073709551615,hex=0XFF", NULL);
    uint64_t n;
    cr_assert_eq(kv_get_uint(kv, "iobase", &n, &err), 1);
    cr_assert_eq(n, 0xf4);
    cr_assert_eq(kv_get_uint(kv, "iosize", &n, &err), 1);
    cr_assert_eq(n, 4);
    cr_assert_eq(kv_get_uint(kv, "big", &n, &err), 1);
    cr_assert_eq(n, UINT64_MAX);
    cr_assert_eq(kv_get_uint(kv, "hex", &n, &err), 1);
    cr_assert_eq(n, 0xff);
}

Test(keyval, leading_zero_is_decimal_not_octal)
{
    uint64_t n;
    cr_assert_eq(kv_parse_uint("010", &n, &err), 0);
    cr_assert_eq(n, 10);
}

Test(keyval, bad_numbers)
{
    static const char *const bad[] = {"",   "x",  "12a", "-1", "+1",
                                      " 1", "0x", "0xg", "1.5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t n = 5;
        cr_assert_eq(kv_parse_uint(bad[i], &n, &err), -1, "'%s'", bad[i]);
        char want[64];
        snprintf(want, sizeof(want), "'%s' is not a number", bad[i]);
        cr_assert_str_eq(err, want);
        cr_assert_eq(n, 5);
        free(err);
        err = NULL;
    }
}

Test(keyval, number_overflow_is_reported)
{
    uint64_t n;
    cr_assert_eq(kv_parse_uint("18446744073709551616", &n, &err), -1);
    cr_assert_str_eq(err, "'18446744073709551616' is too large (more than 64 "
                          "bits)");
}

Test(keyval, size_suffixes)
{
    static const struct {
        const char *s;
        uint64_t v;
    } cases[] = {
        {"0", 0},
        {"512", 512},
        {"4k", 4096},
        {"4K", 4096},
        {"3M", 3ull << 20},
        {"3m", 3ull << 20},
        {"2G", 2ull << 30},
        {"1T", 1ull << 40},
        {"0x10k", 16384},
        {"7b", 7},
        {"16777215T", 16777215ull << 40},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t n = 1;
        cr_assert_eq(kv_parse_size(cases[i].s, 1, &n, &err), 0, "'%s': %s",
                     cases[i].s, err);
        cr_assert_eq(n, cases[i].v, "'%s'", cases[i].s);
    }
}

Test(keyval, size_default_unit_applies_without_suffix)
{
    uint64_t n;
    cr_assert_eq(kv_parse_size("256", 1ull << 20, &n, &err), 0);
    cr_assert_eq(n, 256ull << 20);
    cr_assert_eq(kv_parse_size("256k", 1ull << 20, &n, &err), 0);
    cr_assert_eq(n, 256ull << 10);
}

Test(keyval, size_overflow_is_a_clear_error)
{
    uint64_t n = 3;
    cr_assert_eq(kv_parse_size("16777216T", 1, &n, &err), -1);
    cr_assert_str_eq(err, "'16777216T' is too large (more than 64 bits)");
    cr_assert_eq(n, 3);
    free(err);
    err = NULL;
    cr_assert_eq(kv_parse_size("17592186044416", 1ull << 20, &n, &err), -1);
    cr_assert_str_eq(err, "'17592186044416' is too large (more than 64 bits)");
}

Test(keyval, bad_sizes)
{
    static const char *const bad[] = {"12Q", "1GG",  "G",  "",
                                      "1 G", "1.5G", "-1M"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t n;
        cr_assert_eq(kv_parse_size(bad[i], 1, &n, &err), -1, "'%s'", bad[i]);
        char want[64];
        snprintf(want, sizeof(want), "'%s' is not a valid size", bad[i]);
        cr_assert_str_eq(err, want);
        free(err);
        err = NULL;
    }
}

Test(keyval, get_size_from_list)
{
    parse_ok("size=2G,slots=x", "size");
    uint64_t n;
    cr_assert_eq(kv_get_size(kv, "size", &n, &err), 1);
    cr_assert_eq(n, 2ull << 30);
    cr_assert_eq(kv_get_size(kv, "slots", &n, &err), -1);
    cr_assert_str_eq(err, "'x' is not a valid size");
}

Test(keyval, duplicate_key)
{
    parse_bad("if=ide,file=a,if=virtio", NULL, "duplicate key 'if'");
}

Test(keyval, duplicate_of_implied_key)
{
    parse_bad("pc,type=q35", "type", "duplicate key 'type'");
}

Test(keyval, duplicate_through_a_flag)
{
    parse_bad("wait=on,nowait", NULL, "duplicate key 'wait'");
}

Test(keyval, empty_keys)
{
    parse_bad("=x", NULL, "empty key");
    teardown();
    parse_bad("a=1,,,=2", NULL, "empty key");
    teardown();
    parse_bad("a=1,,,", NULL, "empty key");
    teardown();
    parse_bad(",a=1", NULL, "empty key");
    teardown();
    parse_bad("a=1,", NULL, "empty key");
}

Test(keyval, empty_string)
{
    parse_bad("", "driver", "empty property list");
}

Test(keyval, missing_value)
{
    parse_bad("file=", NULL, "missing value for 'file'");
    teardown();
    parse_bad("tcg,backend=", "accel", "missing value for 'backend'");
}

Test(keyval, comma_in_key_is_invalid)
{
    parse_bad("a,,b=1", NULL, "invalid key 'a,b'");
}

Test(keyval, unknown_keys_are_listed)
{
    static const char *const known[] = {"driver", "iobase", NULL};
    parse_ok("isa-debug-exit,iobase=1,iosize=4,foo=2", "driver");
    cr_assert_str_eq(kv_unknown_key(kv, known), "iosize");
    const char *out[4];
    cr_assert_eq(kv_unknown_keys(kv, known, out, 4), 2);
    cr_assert_str_eq(out[0], "iosize");
    cr_assert_str_eq(out[1], "foo");
    /* the count is the total even when out[] is short */
    cr_assert_eq(kv_unknown_keys(kv, known, out, 1), 2);
}

Test(keyval, no_unknown_keys)
{
    static const char *const known[] = {"accel", "backend", NULL};
    parse_ok("tcg,backend=jit", "accel");
    cr_assert_null(kv_unknown_key(kv, known));
}

Test(keyval, many_pairs_grow_the_list)
{
    char buf[512] = "";
    for (int i = 0; i < 40; i++) {
        char p[16];
        snprintf(p, sizeof(p), "%sk%d=%d", i ? "," : "", i, i * 3);
        strcat(buf, p);
    }
    parse_ok(buf, NULL);
    cr_assert_eq(kv_count(kv), 40);
    uint64_t n;
    cr_assert_eq(kv_get_uint(kv, "k39", &n, &err), 1);
    cr_assert_eq(n, 117);
}
