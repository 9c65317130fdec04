/*
 * The flag tests' IR capture (fl_machine.h): a CPL 3 tiny machine and the
 * `-d op_opt` dump of the first translated block.
 */
#include "fl_machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/common.h"
#include "util/log.h"

void fl_new(FlMachine *m, TcgBackendKind backend)
{
    tm_new(m, backend, 3, 0);
}

static char *fl_slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = xzalloc(1 << 20);
    size_t n = f ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    buf[n] = 0;
    if (f) {
        fclose(f);
    }
    return buf;
}

/* the dump of the block at FL_CODE, up to the next block's */
static char *fl_first_block(char *text)
{
    char head[64];
    snprintf(head, sizeof(head), "OP after optimization: pc=0x%llx\n",
             (unsigned long long)FL_CODE);
    char *p = strstr(text, head);
    char *r = xstrdup(p ? p : "");
    char *next = strstr(r + 1, "OP after optimization");
    if (next) {
        *next = 0;
    }
    return r;
}

char *fl_ir(const uint8_t *code, size_t len, int *vector)
{
    char path[] = "/tmp/xlat-flags-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) {
        close(fd);
    }
    FlMachine m;
    fl_new(&m, TCG_BACKEND_JIT);
    log_set_file(path);
    log_set_mask(LOG_OP_OPT);
    *vector = fl_run(&m, code, len);
    log_set_mask(0);
    log_flush();
    fl_free(&m);
    char *text = fl_slurp(path);
    unlink(path);
    char *r = fl_first_block(text);
    free(text);
    return r;
}

unsigned fl_count(const char *text, const char *needle)
{
    unsigned n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}
