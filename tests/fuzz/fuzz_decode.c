/*
 * fuzz_decode: libFuzzer harness for the x86 decoder. The first input byte
 * picks the mode, the rest are instruction bytes. Checks: no crash, a decoded
 * length in 1..15 within the input, the same answer when exactly that many
 * bytes are given, "need n more" only when the input is short, operands and
 * ids in range. Built with -fsanitize=fuzzer,address when -Dfuzz=true (clang);
 * with -DFUZZ_REPLAY it is a plain program that feeds it random inputs (CI).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/decode.h"
#include "cpu/disas.h"

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c)) {                                                            \
            fprintf(stderr, "fuzz_decode: check failed: %s (line %d)\n", #c,   \
                    __LINE__);                                                 \
            abort();                                                           \
        }                                                                      \
    } while (0)

static void fuzz_check_ok(const DecodedInsn *d, const uint8_t *p, size_t n,
                          X86Mode mode)
{
    DecodedInsn e;
    CHECK(d->len >= 1 && d->len <= X86_MAX_INSN_LEN && d->len <= n);
    CHECK(d->id < XI__COUNT && d->nops <= 4);
    CHECK(d->opsize == 2 || d->opsize == 4 || d->opsize == 8);
    CHECK(d->addrsize == 2 || d->addrsize == 4 || d->addrsize == 8);
    CHECK(mode == X86_MODE64 || d->addrsize != 8);
    for (unsigned i = 0; i < d->nops; i++) {
        CHECK(d->op[i].type != XOP_NONE && d->op[i].type <= XOP_FAR);
        CHECK(d->op[i].type != XOP_MEM || d->op[i].seg <= XSEG_GS);
    }
    /* exactly len bytes decode the same; one fewer asks for more */
    CHECK(x86_decode(&e, p, d->len, mode) == X86_DEC_OK);
    CHECK(e.len == d->len && e.id == d->id && e.nops == d->nops);
    int r = x86_decode(&e, p, d->len - 1, mode);
    CHECK(r > 0 && r <= (int)d->len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    DecodedInsn d;
    if (size < 1) {
        return 0;
    }
    X86Mode mode = (X86Mode)(data[0] % 3);
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    int r = x86_decode(&d, p, n, mode);
    CHECK(r == X86_DEC_OK || r == X86_DEC_UD || r == X86_DEC_GP || r > 0);
    if (r == X86_DEC_OK) {
        fuzz_check_ok(&d, p, n, mode);
    } else if (r > 0) {
        CHECK(n + (size_t)r <= X86_MAX_INSN_LEN);
    } else if (r == X86_DEC_GP) {
        CHECK(n >= X86_MAX_INSN_LEN || n > 0);
    }
    if ((data[0] & 0xf0) == 0xf0) {
        FILE *f = fopen("/dev/null", "w");
        if (f) {
            disas_print(f, p, n, 0x1000, mode);
            fclose(f);
        }
    }
    return 0;
}

#ifdef FUZZ_REPLAY
/* replay: files given on the command line, then random inputs */
static uint64_t fuzz_rng = 88172645463325252ull;

static uint64_t fuzz_next(void)
{
    fuzz_rng ^= fuzz_rng << 13;
    fuzz_rng ^= fuzz_rng >> 7;
    fuzz_rng ^= fuzz_rng << 17;
    return fuzz_rng;
}

static void fuzz_file(const char *path)
{
    uint8_t buf[4096];
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz_decode: cannot open %s\n", path);
        exit(2);
    }
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
}

int main(int argc, char **argv)
{
    unsigned long iters = 200000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--iterations") && i + 1 < argc) {
            iters = strtoul(argv[++i], NULL, 0);
        } else {
            fuzz_file(argv[i]);
        }
    }
    for (unsigned long i = 0; i < iters; i++) {
        uint8_t buf[20];
        size_t n = 1 + fuzz_next() % sizeof(buf);
        for (size_t j = 0; j < n; j++) {
            buf[j] = (uint8_t)fuzz_next();
        }
        /* bias towards prefixes and escapes, where the rules live */
        static const uint8_t hot[] = {0x66, 0xf2, 0xf3, 0x0f, 0xc4, 0xc5,
                                      0x62, 0x48, 0x67, 0x38, 0x3a, 0xf0};
        for (size_t j = 1; j < n && j < 5; j++) {
            if (fuzz_next() % 3 == 0) {
                buf[j] = hot[fuzz_next() % sizeof(hot)];
            }
        }
        LLVMFuzzerTestOneInput(buf, n);
    }
    printf("fuzz_decode replay: %lu random inputs, no failure\n", iters);
    return 0;
}
#endif
