/*
 * Small shared definitions: branch hints, array length, alignment helpers,
 * and the allocation wrappers. xmalloc() and friends never return NULL: a
 * failed host allocation is an xlat bug or an exhausted host, never guest
 * input, so they report and abort.
 */
#ifndef XLAT_UTIL_COMMON_H
#define XLAT_UTIL_COMMON_H

#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* n must be a power of two */
#define ALIGN_DOWN(x, n) ((x) & ~((__typeof__(x))(n)-1))
#define ALIGN_UP(x, n) ALIGN_DOWN((x) + (n)-1, n)
#define IS_POW2(x) ((x) != 0 && ((x) & ((x)-1)) == 0)

#define BIT(n) (1ull << (n))
/* mask of the low n bits, n in 0..64 */
#define MASK(n) ((n) >= 64 ? ~0ull : BIT(n) - 1)
/* bits lo..hi (inclusive, hi <= 63) */
#define MASK_RANGE(lo, hi) (MASK((hi) + 1) & ~MASK(lo))

#define UNUSED __attribute__((unused))
#define NORETURN __attribute__((noreturn))
#define PRINTF_FMT(a, b) __attribute__((format(printf, a, b)))
#define MUST_CHECK __attribute__((warn_unused_result))

#define container_of(ptr, type, member)                                        \
    ((type *)((char *)(ptr)-offsetof(type, member)))

/* internal invariant; never for guest-derived values (STYLE 3.7) */
#define ASSERT(cond)                                                           \
    do {                                                                       \
        if (unlikely(!(cond))) {                                               \
            xlat_assert_fail(#cond, __FILE__, __LINE__, __func__);             \
        }                                                                      \
    } while (0)

NORETURN void xlat_assert_fail(const char *cond, const char *file, int line,
                               const char *func);

void *xmalloc(size_t size);
void *xzalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) PRINTF_FMT(1, 2);
char *xvasprintf(const char *fmt, va_list ap) PRINTF_FMT(1, 0);

#endif
