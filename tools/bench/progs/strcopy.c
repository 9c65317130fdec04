/*
 * strcopy: copies between 1 MiB buffers with a byte loop, an 8-byte word
 * loop and rep movsb, at shifting offsets; checksums the result.
 */
#include "rt.h"

#define SIZE (1u << 20)
#define PASSES 600

static uint8_t src[SIZE + 64], dst[SIZE + 64];

static void copy_bytes(uint8_t *d, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ((volatile uint8_t *)d)[i] = s[i];
    }
}

static void copy_words(uint8_t *d, const uint8_t *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        __builtin_memcpy(&w, s + i, 8);
        __builtin_memcpy(d + i, &w, 8);
    }
    for (; i < n; i++) {
        d[i] = s[i];
    }
}

static void copy_rep(uint8_t *d, const uint8_t *s, size_t n)
{
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}

static uint64_t sum(const uint8_t *p, size_t n)
{
    uint64_t h = 0;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w;
        __builtin_memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
    }
    return h;
}

static int bench_main(uint64_t scale)
{
    uint64_t s = 42, h = 0;
    for (size_t i = 0; i < SIZE + 64; i += 8) {
        uint64_t r = rt_rand(&s);
        __builtin_memcpy(src + i, &r, 8);
    }
    for (uint64_t pass = 0; pass < PASSES / scale; pass++) {
        size_t off = pass % 61, n = SIZE - off;
        copy_bytes(dst + off, src, n / 4);
        copy_words(dst, src + off, n);
        copy_rep(src + 1, dst, n);
        h ^= sum(src, SIZE);
    }
    rt_print("hash", h);
    return 0;
}
