/*
 * xcheck: cross-checks xlat's x86 decoder against capstone 4 on random and
 * structured byte strings (random legacy prefixes, REX, escapes, VEX/EVEX,
 * ModRM/SIB/disp/imm shapes). It compares validity, length and mnemonic
 * class; a disagreement listed in capstone_errata.txt (capstone's error, with
 * the SDM reason) is counted but accepted, anything else prints a reproducer.
 *   xcheck --mode 16|32|64 --count N --seed S [--errata FILE] [--max-fail K]
 * Exit status 0 when every disagreement is an erratum.
 */
#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/decode.h"
#include "xcheck.h"

static uint64_t rng_state;

static uint64_t rng(void)
{
    /* xorshift64*: deterministic for a given seed */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static unsigned rnd(unsigned n)
{
    return (unsigned)(rng() % n);
}

static const uint8_t legacy_pfx[] = {0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26,
                                     0x2e, 0x36, 0x3e, 0x64, 0x65};

static unsigned gen_prefixes(uint8_t *b, X86Mode mode)
{
    unsigned n = 0, k = rnd(8) < 5 ? 0 : 1 + rnd(3);
    for (unsigned i = 0; i < k; i++) {
        b[n++] = legacy_pfx[rnd(ARRAY_LEN(legacy_pfx))];
    }
    if (mode == X86_MODE64 && rnd(3) == 0) {
        b[n++] = 0x40 | rnd(16);
    }
    return n;
}

static unsigned gen_vex(uint8_t *b, X86Mode mode)
{
    unsigned kind = rnd(3), n = 0;
    uint8_t r = mode == X86_MODE64 ? (uint8_t)rnd(256) : 0xc0 | rnd(64);
    if (kind == 0) {
        b[n++] = 0xc5;
        b[n++] = rnd(4) ? (r & 0x87) | 0x78 : r; /* mostly vvvv = 1111 */
    } else if (kind == 1) {
        b[n++] = 0xc4;
        b[n++] = (r & 0xe0) | (1 + rnd(3));
        b[n++] = rnd(4) ? (rnd(256) | 0x78) : rnd(256);
    } else {
        b[n++] = 0x62;
        b[n++] = (r & 0xf0) | (1 + rnd(3));
        b[n++] = rnd(256) | 0x04;
        b[n++] = rnd(256);
    }
    return n;
}

/* one test string: structured head, random tail */
static void gen_insn(uint8_t *b, X86Mode mode)
{
    unsigned n;
    for (unsigned i = 0; i < 16; i++) {
        b[i] = (uint8_t)rng();
    }
    if (rnd(10) == 0) {
        return; /* fully random */
    }
    n = gen_prefixes(b, mode);
    switch (rnd(6)) {
    case 0:
    case 1:
        break; /* one-byte map */
    case 2:
        b[n++] = 0x0f;
        break;
    case 3:
        b[n++] = 0x0f;
        b[n++] = rnd(2) ? 0x38 : 0x3a;
        break;
    default:
        n = rnd(4) ? 0 : n; /* VEX/EVEX mostly without legacy prefixes */
        n += gen_vex(b + n, mode);
        break;
    }
    b[n++] = (uint8_t)rng(); /* opcode */
    if (rnd(3) == 0) {
        b[n] = (b[n] & 0x3f) | 0xc0; /* favour register forms */
    }
}

static const char *const mode_names[] = {"16", "32", "64"};

static void hex(char *out, const uint8_t *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        sprintf(out + 3 * i, "%02x ", b[i]);
    }
    out[n ? 3 * n - 1 : 0] = 0;
}

static void report(const XcResult *x, const char *why)
{
    char h[64];
    hex(h, x->bytes, 15);
    printf("MISMATCH (%s) mode %s: %s\n  xlat:     %s len %u (%s)\n"
           "  capstone: %s len %u\n  key: %s\n",
           why, mode_names[x->mode], h, x->x_valid ? "ok" : x->x_status,
           x->x_len, x->x_name, x->c_valid ? x->c_text : "invalid", x->c_len,
           x->key);
}

static int run(X86Mode mode, uint64_t count, uint64_t seed, XcErrata *er,
               unsigned max_fail)
{
    static const cs_mode cs_modes[] = {CS_MODE_16, CS_MODE_32, CS_MODE_64};
    csh cs;
    XcStats st = {0};
    if (cs_open(CS_ARCH_X86, cs_modes[mode], &cs) != CS_ERR_OK) {
        fprintf(stderr, "xcheck: cs_open failed\n");
        return 2;
    }
    rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
    for (uint64_t i = 0; i < count; i++) {
        XcResult x = {.mode = mode};
        gen_insn(x.bytes, mode);
        xc_compare(&x, cs);
        xc_tally(&st, &x, er);
        if (x.verdict == XC_MISMATCH && st.fail <= max_fail) {
            report(&x, x.why);
        }
    }
    cs_close(&cs);
    xc_print_stats(&st, mode_names[mode], count, seed, er);
    free(st.rule_hits);
    return st.fail ? 1 : 0;
}

int main(int argc, char **argv)
{
    int mode = 2;
    uint64_t count = 100000, seed = 1;
    unsigned max_fail = 20;
    const char *errata = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--mode")) {
            mode = atoi(argv[i + 1]) == 16   ? 0
                   : atoi(argv[i + 1]) == 32 ? 1
                                             : 2;
        } else if (!strcmp(argv[i], "--count")) {
            count = strtoull(argv[i + 1], NULL, 0);
        } else if (!strcmp(argv[i], "--seed")) {
            seed = strtoull(argv[i + 1], NULL, 0);
        } else if (!strcmp(argv[i], "--errata")) {
            errata = argv[i + 1];
        } else if (!strcmp(argv[i], "--max-fail")) {
            max_fail = (unsigned)atoi(argv[i + 1]);
        } else {
            fprintf(stderr, "usage: xcheck --mode 16|32|64 --count N "
                            "--seed S [--errata FILE] [--max-fail K]\n");
            return 2;
        }
    }
    XcErrata *er = xc_errata_load(errata);
    if (!er) {
        return 2;
    }
    int rc = run((X86Mode)mode, count, seed, er, max_fail);
    xc_errata_free(er);
    return rc;
}
