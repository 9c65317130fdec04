/*
 * The -cpu syntax (cpu_models.h): "name[,item...]" where an item is
 * +feat, -feat, feat=on|off (or bare feat: on), vendor=, model-id=,
 * family=, model=, stepping=, level=, xlevel=, phys-bits=,
 * host-phys-bits=on|off, tsc-frequency= (Hz), check or enforce; ",," is a
 * comma inside a value. Properties are applied in order, then every
 * +feat, then every -feat (QEMU's order). A feature asked for that xlat
 * does not implement is one warning line and stays off (an error under
 * enforce); an unknown name or a bad value is an error line.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "cpu/cpu_models_int.h"
#include "util/common.h"

#define B(n) (1u << (n))

typedef struct CpuParse {
    CpuX86Model *m;
    char **err, **warn;
    bool enforce;
    uint32_t plus[FW__COUNT], minus[FW__COUNT];
    bool host_phys_bits;
} CpuParse;

static int cpu_fail(CpuParse *p, const char *fmt, ...) PRINTF_FMT(2, 3);

static int cpu_fail(CpuParse *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    *p->err = xvasprintf(fmt, ap);
    va_end(ap);
    return -1;
}

static void cpu_warn(CpuParse *p, const char *line)
{
    char *old = *p->warn;
    *p->warn = xasprintf("%s%s\n", old ? old : "", line);
    free(old);
}

/* a feature asked for by name: on, or a warning when xlat lacks it */
static int cpu_feat_set(CpuParse *p, const CpuFeatName *f, bool on)
{
    if (!on) {
        p->m->words[f->word] &= ~B(f->bit);
        return 0;
    }
    if (!cpu_impl(f->word, f->bit)) {
        char *line = xasprintf(
            "warning: TCG doesn't support requested feature: %s.%s [bit %u]",
            cpu_word_names[f->word], f->name, f->bit);
        if (p->enforce) {
            int r = cpu_fail(p, "%s", line + 9);
            free(line);
            return r;
        }
        cpu_warn(p, line);
        free(line);
        return 0;
    }
    p->m->words[f->word] |= B(f->bit);
    return 0;
}

static int cpu_parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"on", "true", "yes"};
    static const char *const no[] = {"off", "false", "no"};
    for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
        if (strcmp(v, yes[i]) == 0 || strcmp(v, no[i]) == 0) {
            *out = strcmp(v, yes[i]) == 0;
            return 0;
        }
    }
    return -1;
}

static int cpu_parse_uint(CpuParse *p, const char *key, const char *v,
                          uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    unsigned long long x = strtoull(v, &end, 0);
    if (*v == '\0' || *end != '\0' || *v == '-' || x < lo || x > hi) {
        return cpu_fail(p, "property '%s' needs a number from %llu to %llu",
                        key, (unsigned long long)lo, (unsigned long long)hi);
    }
    *out = x;
    return 0;
}

/* family/model/stepping replace their part of the signature */
static void cpu_set_fms(CpuX86Model *m, int which, unsigned v)
{
    uint32_t s = m->signature;
    unsigned fam = ((s >> 8) & 0xf) + ((s >> 20) & 0xff);
    unsigned mod = ((s >> 4) & 0xf) | (((s >> 16) & 0xf) << 4);
    unsigned step = s & 0xf;
    if (which == 0) {
        fam = v;
    } else if (which == 1) {
        mod = v;
    } else {
        step = v;
    }
    m->signature = cpu_model_signature(fam, mod, step);
}

static int cpu_parse_numeric(CpuParse *p, const char *k, const char *v)
{
    static const struct {
        const char *key;
        uint64_t lo, hi;
    } nums[] = {
        {"family", 0, 0xff + 0xf},
        {"model", 0, 0xff},
        {"stepping", 0, 0xf},
        {"phys-bits", 32, 52},
        {"level", 1, 0x1f},
        {"xlevel", 0x80000000u, 0x80000008u},
        {"tsc-frequency", 1000000, 10000000000ull},
    };
    for (size_t i = 0; i < ARRAY_LEN(nums); i++) {
        uint64_t x = 0;
        if (strcmp(k, nums[i].key) != 0) {
            continue;
        }
        if (cpu_parse_uint(p, k, v, nums[i].lo, nums[i].hi, &x) < 0) {
            return -1;
        }
        if (i < 3) {
            cpu_set_fms(p->m, (int)i, (unsigned)x);
        } else if (i == 3) {
            p->m->phys_bits = (uint8_t)x;
        } else if (i == 4) {
            p->m->level = (uint32_t)x;
        } else if (i == 5) {
            p->m->xlevel = (uint32_t)x;
        } else {
            p->m->tsc_khz = (uint32_t)(x / 1000);
        }
        return 1;
    }
    return 0;
}

/* key=value; 1: done, 0: not a property of this kind, -1: error */
static int cpu_parse_prop(CpuParse *p, const char *k, const char *v)
{
    int r = cpu_parse_numeric(p, k, v);
    if (r) {
        return r;
    }
    if (strcmp(k, "vendor") == 0) {
        if (strlen(v) != 12) {
            return cpu_fail(p, "vendor '%s' must be 12 characters", v);
        }
        snprintf(p->m->vendor, sizeof(p->m->vendor), "%s", v);
        p->m->amd =
            strcmp(v, CPU_VENDOR_AMD) == 0 || strcmp(v, "HygonGenuine") == 0;
        return 1;
    }
    if (strcmp(k, "model-id") == 0) {
        snprintf(p->m->model_id, sizeof(p->m->model_id), "%s", v);
        return 1;
    }
    bool b;
    if (strcmp(k, "host-phys-bits") == 0) {
        if (cpu_parse_bool(v, &b) < 0) {
            return cpu_fail(p, "host-phys-bits takes on or off");
        }
        p->host_phys_bits = b;
        return 1;
    }
    const CpuFeatName *f = cpu_feat_find(k);
    if (!f) {
        return cpu_fail(p, "unknown CPU property or feature '%s'", k);
    }
    if (cpu_parse_bool(v, &b) < 0) {
        return cpu_fail(p, "feature '%s' takes on or off, not '%s'", k, v);
    }
    return cpu_feat_set(p, f, b) < 0 ? -1 : 1;
}

static int cpu_parse_item(CpuParse *p, char *item)
{
    if (item[0] == '+' || item[0] == '-') {
        const CpuFeatName *f = cpu_feat_find(item + 1);
        if (!f) {
            return cpu_fail(p, "unknown CPU feature '%s'", item + 1);
        }
        uint32_t *set = item[0] == '+' ? p->plus : p->minus;
        set[f->word] |= B(f->bit);
        return 0;
    }
    char *eq = strchr(item, '=');
    if (eq) {
        *eq = '\0';
        return cpu_parse_prop(p, item, eq + 1) < 0 ? -1 : 0;
    }
    if (strcmp(item, "check") == 0) {
        return 0;
    }
    if (strcmp(item, "enforce") == 0) {
        p->enforce = true;
        return 0;
    }
    return cpu_parse_prop(p, item, "on") < 0 ? -1 : 0; /* "feat": on */
}

static int cpu_host_phys_bits(CpuParse *p)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (__get_cpuid(0x80000008u, &a, &b, &c, &d) && (a & 0xff) >= 32) {
        p->m->phys_bits = (uint8_t)MIN(a & 0xff, 52u);
        return 0;
    }
#endif
    return cpu_fail(p, "host-phys-bits: cannot read the host's address size");
}

/* the +feat and -feat lists, then the host's width when asked */
static int cpu_parse_finish(CpuParse *p)
{
    for (unsigned w = 0; w < FW__COUNT; w++) {
        for (unsigned b = 0; b < 32; b++) {
            if (!(p->plus[w] & B(b))) {
                continue;
            }
            const CpuFeatName *f = cpu_feat_by_bit(w, b);
            if (cpu_feat_set(p, f, true) < 0) {
                return -1;
            }
        }
        p->m->words[w] &= ~p->minus[w];
    }
    return p->host_phys_bits ? cpu_host_phys_bits(p) : 0;
}

/* the next comma-separated item of *s (",," is a comma), NULL at the end */
static char *cpu_next_item(const char **s)
{
    if (**s == '\0') {
        return NULL;
    }
    size_t cap = strlen(*s) + 1, n = 0;
    char *out = xzalloc(cap);
    const char *c = *s;
    for (; *c; c++) {
        if (*c == ',' && c[1] == ',') {
            out[n++] = ',';
            c++;
        } else if (*c == ',') {
            c++;
            break;
        } else {
            out[n++] = *c;
        }
    }
    *s = c;
    return out;
}

int cpu_model_parse(const char *spec, CpuX86Model *out, char **err, char **warn)
{
    const char *s = spec;
    char *name = cpu_next_item(&s);
    CpuParse p = {.m = out, .err = err, .warn = warn};
    *err = NULL;
    if (!name || cpu_model_find(name, out) < 0) {
        int r = cpu_fail(&p, "unknown CPU model '%s' (-cpu help lists them)",
                         name ? name : "");
        free(name);
        return r;
    }
    free(name);
    for (char *item; (item = cpu_next_item(&s));) {
        int r = item[0] ? cpu_parse_item(&p, item) : 0;
        free(item);
        if (r < 0) {
            return -1;
        }
    }
    return cpu_parse_finish(&p);
}
