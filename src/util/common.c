/*
 * Allocation wrappers and the internal assertion handler (see common.h).
 */
#include "util/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void xlat_assert_fail(const char *cond, const char *file, int line,
                      const char *func)
{
    fprintf(stderr, "xlat: internal error: %s:%d: %s: assertion '%s' failed\n",
            file, line, func, cond);
    abort();
}

static void *oom(size_t size)
{
    fprintf(stderr, "xlat: out of host memory (allocating %zu bytes)\n", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    return p ? p : oom(size);
}

void *xzalloc(size_t size)
{
    void *p = calloc(1, size ? size : 1);
    return p ? p : oom(size);
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    return p ? p : oom(n * size);
}

void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    return q ? q : oom(size);
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

char *xvasprintf(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) {
        fprintf(stderr, "xlat: out of memory formatting a message\n");
        abort();
    }
    return s;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    return s;
}
