/* chase: pointer chasing over one random cycle through 8 MiB (1M nodes). */
#include "rt.h"

#define N (1u << 20)
#define STEPS (4u << 20)

static uint64_t next[N];

static int bench_main(uint64_t scale)
{
    uint64_t s = 0xfeedface;
    for (uint32_t i = 0; i < N; i++) {
        next[i] = i;
    }
    /* Sattolo: a single cycle through every node */
    for (uint32_t i = N - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(rt_rand(&s) % i);
        uint64_t t = next[i];
        next[i] = next[j];
        next[j] = t;
    }
    uint64_t p = 0, sum = 0;
    for (uint64_t k = 0; k < STEPS / scale; k++) {
        p = next[p];
        sum += p;
    }
    rt_print("node", p);
    rt_print("sum", sum);
    return 0;
}
