/*
 * Shared by the memory tests: a recording MMIO device whose callbacks note
 * every call they receive, and whose registers read back a fixed byte
 * pattern (byte at offset k is pattern_byte(k)) unless written.
 */
#ifndef XLAT_TESTS_MEMTEST_H
#define XLAT_TESTS_MEMTEST_H

#include <string.h>

#include "mmu/memory.h"

#define REC_MAX 64
#define REC_BYTES 256

typedef struct RecCall {
    bool is_write;
    uint64_t addr;
    unsigned size;
    uint64_t val;
} RecCall;

typedef struct RecDev {
    RecCall calls[REC_MAX];
    unsigned n;
    uint8_t bytes[REC_BYTES]; /* register file, little-endian */
    MemOps ops;
} RecDev;

static inline uint8_t pattern_byte(uint64_t k)
{
    return (uint8_t)(0xa0 + k * 7);
}

static inline uint64_t rec_read(void *opaque, uint64_t addr, unsigned size)
{
    RecDev *d = opaque;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)d->bytes[(addr + i) % REC_BYTES] << (8 * i);
    }
    if (d->n < REC_MAX) {
        d->calls[d->n++] = (RecCall){false, addr, size, v};
    }
    return v;
}

static inline void rec_write(void *opaque, uint64_t addr, uint64_t val,
                             unsigned size)
{
    RecDev *d = opaque;
    for (unsigned i = 0; i < size; i++) {
        d->bytes[(addr + i) % REC_BYTES] = (uint8_t)(val >> (8 * i));
    }
    if (d->n < REC_MAX) {
        d->calls[d->n++] = (RecCall){true, addr, size, val};
    }
}

/* sizes: valid min/max/unaligned, impl min/max/unaligned */
static inline void rec_init(RecDev *d, unsigned vmin, unsigned vmax, bool vun,
                            unsigned imin, unsigned imax, bool iun)
{
    memset(d, 0, sizeof(*d));
    for (unsigned k = 0; k < REC_BYTES; k++) {
        d->bytes[k] = pattern_byte(k);
    }
    d->ops = (MemOps){
        .read = rec_read,
        .write = rec_write,
        .valid = {.min = vmin, .max = vmax, .unaligned = vun},
        .impl = {.min = imin, .max = imax, .unaligned = iun},
    };
}

/* the expected little-endian value of `size` pattern bytes at k */
static inline uint64_t pattern_val(uint64_t k, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)pattern_byte(k + i) << (8 * i);
    }
    return v;
}

#define ASSERT_CALL(d, i, w, a, s)                                             \
    do {                                                                       \
        cr_assert_eq((d)->calls[i].is_write, (w), "call %d kind", (int)(i));   \
        cr_assert_eq((d)->calls[i].addr, (uint64_t)(a), "call %d addr",        \
                     (int)(i));                                                \
        cr_assert_eq((d)->calls[i].size, (unsigned)(s), "call %d size",        \
                     (int)(i));                                                \
    } while (0)

#endif
