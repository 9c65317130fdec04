/* sieve: Eratosthenes over 20M bytes, repeated; counts the primes. */
#include "rt.h"

#define LIMIT 20000000u
#define ROUNDS 3

static uint8_t composite[LIMIT + 1];

static int bench_main(uint64_t scale)
{
    uint32_t limit = LIMIT / (uint32_t)scale, count = 0;
    for (int r = 0; r < ROUNDS; r++) {
        memset(composite, 0, limit + 1);
        count = 0;
        for (uint32_t i = 2; i <= limit; i++) {
            if (composite[i]) {
                continue;
            }
            count++;
            for (uint64_t j = (uint64_t)i * i; j <= limit; j += i) {
                composite[j] = 1;
            }
        }
    }
    rt_print("limit", limit);
    rt_print("primes", count);
    return 0;
}
