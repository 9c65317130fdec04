/*
 * The logging module: one mask, one output file (stderr unless -D), and the
 * category names shared with QEMU so that `-d` habits carry over.
 */
#include "util/log.h"

#include <stdarg.h>
#include <string.h>

uint32_t log_mask;
static FILE *log_out;

static const struct {
    const char *name;
    const char *help;
} log_cats[] = {
#define X(name, help) {#name, help},
    LOG_CATEGORIES(X)
#undef X
};

_Static_assert(ARRAY_LEN(log_cats) == LOG_BIT__COUNT, "category table");
_Static_assert(LOG_BIT__COUNT <= 32, "log_mask is 32 bits");

FILE *log_file(void)
{
    return log_out ? log_out : stderr;
}

int log_parse_mask(const char *str, uint32_t *mask, const char **bad)
{
    static char bad_name[64];
    uint32_t m = 0;
    const char *p = str;

    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        bool found = false;
        for (size_t i = 0; i < ARRAY_LEN(log_cats); i++) {
            if (strlen(log_cats[i].name) == len &&
                memcmp(log_cats[i].name, p, len) == 0) {
                m |= 1u << i;
                found = true;
                break;
            }
        }
        if (!found && len > 0) {
            snprintf(bad_name, sizeof(bad_name), "%.*s", (int)len, p);
            *bad = bad_name;
            return -1;
        }
        p += len;
        if (*p == ',') {
            p++;
        }
    }
    *mask = m;
    return 0;
}

void log_set_mask(uint32_t mask)
{
    log_mask = mask;
}

void log_print_categories(FILE *f)
{
    fprintf(f, "Log items (comma separated):\n");
    for (size_t i = 0; i < ARRAY_LEN(log_cats); i++) {
        fprintf(f, "%-13s %s\n", log_cats[i].name, log_cats[i].help);
    }
}

int log_set_file(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        return -1;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    if (log_out) {
        fclose(log_out);
    }
    log_out = f;
    return 0;
}

void log_flush(void)
{
    fflush(log_file());
}

void log_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log_file(), fmt, ap);
    va_end(ap);
}

void log_msg(uint32_t mask, const char *who, const char *fmt, ...)
{
    (void)mask;
    FILE *f = log_file();
    va_list ap;
    fprintf(f, "%s: ", who);
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
}

void log_host_error(const char *fmt, ...)
{
    va_list ap;
    fputs("xlat: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
