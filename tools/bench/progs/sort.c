/* sort: quicksort (median of three, insertion sort below 16) of 1M ints. */
#include "rt.h"

#define N (1u << 20)
#define ROUNDS 5

static int32_t a[N];

static void insertion(int32_t *v, long lo, long hi)
{
    for (long i = lo + 1; i <= hi; i++) {
        int32_t x = v[i];
        long j = i - 1;
        while (j >= lo && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

static void swap(int32_t *v, long i, long j)
{
    int32_t t = v[i];
    v[i] = v[j];
    v[j] = t;
}

static void quicksort(int32_t *v, long lo, long hi)
{
    while (hi - lo > 16) {
        long mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo])
            swap(v, mid, lo);
        if (v[hi] < v[lo])
            swap(v, hi, lo);
        if (v[hi] < v[mid])
            swap(v, hi, mid);
        int32_t p = v[mid];
        long i = lo, j = hi;
        while (i <= j) {
            while (v[i] < p)
                i++;
            while (v[j] > p)
                j--;
            if (i <= j)
                swap(v, i++, j--);
        }
        if (j - lo < hi - i) {
            quicksort(v, lo, j);
            lo = i;
        } else {
            quicksort(v, i, hi);
            hi = j;
        }
    }
    insertion(v, lo, hi);
}

static int bench_main(uint64_t scale)
{
    uint64_t s = 12345, sum = 0;
    uint32_t n = N / (uint32_t)scale;
    for (int r = 0; r < ROUNDS; r++) {
        for (uint32_t i = 0; i < n; i++) {
            a[i] = (int32_t)rt_rand(&s);
        }
        quicksort(a, 0, (long)n - 1);
        for (uint32_t i = 1; i < n; i++) {
            if (a[i - 1] > a[i]) {
                rt_puts("sort: not sorted\n");
                return 1;
            }
        }
        for (uint32_t i = 0; i < n; i += 97) {
            sum = sum * 31 + (uint32_t)a[i];
        }
    }
    rt_print("sorted", n);
    rt_print("checksum", sum);
    return 0;
}
