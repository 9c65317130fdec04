/*
 * MachineConfig: defaults, name tables for -M and -cpu, and the checks that
 * need the whole command line (config_finish): option dependencies, files
 * that must exist, and the default serial port.
 *
 * Host errors found here go back to the caller as one line; only main()
 * prints them and exits (STYLE 3.7).
 */
#include "machine/config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/common.h"
#include "util/keyval.h"

static const struct {
    const char *name;
    MachineType type;
    const char *help;
} config_machines[] = {
    {"pc", MACHINE_PC, "Standard PC (i440FX + PIIX, 1996) (default)"},
    {"q35", MACHINE_Q35, "Standard PC (Q35 + ICH9, 2009) (not supported yet)"},
};

static const struct {
    const char *name;
    CpuModel model;
    const char *help;
} config_cpus[] = {
    {"qemu64", CPU_MODEL_QEMU64, "x86-64 baseline, as QEMU's qemu64 (default)"},
    {"base", CPU_MODEL_BASE, "x86-64 with no optional features"},
    {"max", CPU_MODEL_MAX, "every feature xlat implements"},
};

static int config_fail(char **err, const char *fmt, ...) PRINTF_FMT(2, 3);

static int config_fail(char **err, const char *fmt, ...)
{
    va_list ap;
    char *msg = NULL;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0) {
        msg = xstrdup("out of memory");
    }
    va_end(ap);
    *err = msg;
    return -1;
}

void config_init(MachineConfig *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->machine = MACHINE_PC;
    cfg->cpu = CPU_MODEL_QEMU64;
    cfg->backend = ACCEL_JIT;
    cfg->ram_size = CONFIG_RAM_DEFAULT;
    cfg->smp_cpus = 1;
    cfg->rtc_base = RTC_BASE_UTC;
}

static void config_free_char(CharConfig *c)
{
    free(c->path);
    free(c->id);
    free(c->ref);
    c->path = NULL;
    c->id = NULL;
    c->ref = NULL;
}

void config_free(MachineConfig *cfg)
{
    free(cfg->bios);
    free(cfg->kernel);
    free(cfg->initrd);
    free(cfg->append);
    free(cfg->name);
    free(cfg->log_file);
    for (unsigned i = 0; i < cfg->n_serial; i++) {
        config_free_char(&cfg->serial[i]);
    }
    for (unsigned i = 0; i < cfg->n_chardev; i++) {
        config_free_char(&cfg->chardev[i]);
    }
    for (unsigned i = 0; i < cfg->n_fw_cfg; i++) {
        free(cfg->fw_cfg[i].name);
        free(cfg->fw_cfg[i].file);
        free(cfg->fw_cfg[i].string);
    }
    memset(cfg, 0, sizeof(*cfg));
}

int config_machine_from_name(const char *name, MachineType *out)
{
    for (size_t i = 0; i < ARRAY_LEN(config_machines); i++) {
        if (strcmp(name, config_machines[i].name) == 0) {
            *out = config_machines[i].type;
            return 0;
        }
    }
    return -1;
}

int config_cpu_from_name(const char *name, CpuModel *out)
{
    for (size_t i = 0; i < ARRAY_LEN(config_cpus); i++) {
        if (strcmp(name, config_cpus[i].name) == 0) {
            *out = config_cpus[i].model;
            return 0;
        }
    }
    return -1;
}

const char *config_machine_name(MachineType m)
{
    for (size_t i = 0; i < ARRAY_LEN(config_machines); i++) {
        if (config_machines[i].type == m) {
            return config_machines[i].name;
        }
    }
    return "?";
}

const char *config_cpu_name(CpuModel c)
{
    for (size_t i = 0; i < ARRAY_LEN(config_cpus); i++) {
        if (config_cpus[i].model == c) {
            return config_cpus[i].name;
        }
    }
    return "?";
}

void config_print_machines(FILE *f)
{
    fprintf(f, "Supported machines are:\n");
    for (size_t i = 0; i < ARRAY_LEN(config_machines); i++) {
        fprintf(f, "%-10s %s\n", config_machines[i].name,
                config_machines[i].help);
    }
}

void config_print_cpus(FILE *f)
{
    fprintf(f, "Available CPUs:\n");
    for (size_t i = 0; i < ARRAY_LEN(config_cpus); i++) {
        fprintf(f, "  %-10s %s\n", config_cpus[i].name, config_cpus[i].help);
    }
}

const CharConfig *config_find_chardev(const MachineConfig *cfg, const char *id)
{
    for (unsigned i = 0; i < cfg->n_chardev; i++) {
        if (strcmp(cfg->chardev[i].id, id) == 0) {
            return &cfg->chardev[i];
        }
    }
    return NULL;
}

/* a regular file we can open for reading */
static int config_check_file(const char *opt, const char *path, char **err)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        return config_fail(err, "%s %s: %s", opt, path, strerror(errno));
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return config_fail(err, "%s %s: not a regular file", opt, path);
    }
    close(fd);
    return 0;
}

static int config_check_files(const MachineConfig *cfg, char **err)
{
    if (cfg->kernel && config_check_file("-kernel", cfg->kernel, err) < 0) {
        return -1;
    }
    if (cfg->initrd && config_check_file("-initrd", cfg->initrd, err) < 0) {
        return -1;
    }
    if (cfg->bios && config_check_file("-bios", cfg->bios, err) < 0) {
        return -1;
    }
    for (unsigned i = 0; i < cfg->n_fw_cfg; i++) {
        const FwCfgFile *f = &cfg->fw_cfg[i];
        if (f->file && config_check_file("-fw_cfg", f->file, err) < 0) {
            return -1;
        }
    }
    return 0;
}

/* `-serial chardev:ID` becomes a copy of that -chardev */
static int config_resolve_serial(MachineConfig *cfg, char **err)
{
    for (unsigned i = 0; i < cfg->n_serial; i++) {
        CharConfig *c = &cfg->serial[i];
        if (!c->ref) {
            continue;
        }
        const CharConfig *dev = config_find_chardev(cfg, c->ref);
        if (!dev) {
            return config_fail(err,
                               "-serial chardev:%s: no -chardev with id '%s'",
                               c->ref, c->ref);
        }
        c->kind = dev->kind;
        free(c->path);
        c->path = dev->path ? xstrdup(dev->path) : NULL;
    }
    return 0;
}

/* stdin can feed only one device (QEMU refuses this too) */
static int config_check_stdio(const MachineConfig *cfg, char **err)
{
    unsigned n = 0;
    for (unsigned i = 0; i < cfg->n_serial; i++) {
        n += cfg->serial[i].kind == CHAR_STDIO;
    }
    if (n > 1) {
        return config_fail(err, "-serial stdio: stdio is used by more than "
                                "one serial port");
    }
    return 0;
}

int config_finish(MachineConfig *cfg, char **err)
{
    if (cfg->initrd && !cfg->kernel) {
        return config_fail(err, "-initrd: needs -kernel");
    }
    if (cfg->append && !cfg->kernel) {
        return config_fail(err, "-append: needs -kernel");
    }
    if (config_check_files(cfg, err) < 0) {
        return -1;
    }
    if (config_resolve_serial(cfg, err) < 0 ||
        config_check_stdio(cfg, err) < 0) {
        return -1;
    }
    /*
     * QEMU puts COM1 on the graphical console unless -nographic. xlat has no
     * graphical console yet, so without -serial COM1 is always on stdio.
     */
    if (cfg->n_serial == 0) {
        cfg->serial[0].kind = CHAR_STDIO;
        cfg->n_serial = 1;
    }
    if (cfg->nographic) {
        cfg->display_none = true;
    }
    return 0;
}

/* ---- -serial and -chardev ----------------------------------------------- */

static bool config_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* QEMU character devices that xlat does not have yet */
static bool config_char_later(const char *spec)
{
    static const char *const later[] = {
        "vc",    "pty",   "mon:",  "tcp:",    "telnet:", "udp:",
        "unix:", "pipe:", "/dev/", "msmouse", "braille", "websocket:",
    };
    for (size_t i = 0; i < ARRAY_LEN(later); i++) {
        if (config_has_prefix(spec, later[i])) {
            return true;
        }
    }
    return false;
}

static int config_serial_spec(CharConfig *c, const char *spec, char **err)
{
    if (strcmp(spec, "none") == 0) {
        c->kind = CHAR_NONE;
    } else if (strcmp(spec, "null") == 0) {
        c->kind = CHAR_NULL;
    } else if (strcmp(spec, "stdio") == 0) {
        c->kind = CHAR_STDIO;
    } else if (config_has_prefix(spec, "file:") && spec[5] != '\0') {
        c->kind = CHAR_FILE;
        c->path = xstrdup(spec + 5);
    } else if (config_has_prefix(spec, "chardev:") && spec[8] != '\0') {
        c->kind = CHAR_NULL;
        c->ref = xstrdup(spec + 8);
    } else if (config_char_later(spec)) {
        return config_fail(err, "not supported yet");
    } else {
        return config_fail(err, "unknown character device (stdio, null, "
                                "none, file:PATH or chardev:ID)");
    }
    return 0;
}

int config_add_serial(MachineConfig *cfg, const char *spec, char **err)
{
    if (cfg->n_serial == CONFIG_MAX_SERIAL) {
        return config_fail(err, "too many serial ports (at most %d)",
                           CONFIG_MAX_SERIAL);
    }
    CharConfig c = {0};
    if (config_serial_spec(&c, spec, err) < 0) {
        return -1;
    }
    cfg->serial[cfg->n_serial++] = c;
    return 0;
}

static int config_unknown_key(KeyVal *kv, const char *const *known, char **err)
{
    const char *bad = kv_unknown_key(kv, known);
    if (bad) {
        return config_fail(err, "unknown property '%s'", bad);
    }
    return 0;
}

/* the backend-specific part of -chardev: kind, path, allowed keys */
static int config_chardev_backend(KeyVal *kv, CharConfig *c, char **err)
{
    static const char *const k_plain[] = {"backend", "id", NULL};
    static const char *const k_stdio[] = {"backend", "id", "signal", NULL};
    static const char *const k_file[] = {"backend", "id", "path", NULL};
    static const char *const later[] = {
        "socket",  "udp",      "pty",     "pipe",         "serial",
        "tty",     "parallel", "parport", "ringbuf",      "memory",
        "vc",      "msmouse",  "braille", "spicevmc",     "spiceport",
        "testdev", "wctablet", "dbus",    "qemu-vdagent",
    };
    const char *b = kv_get(kv, "backend");
    bool sig;

    if (strcmp(b, "null") == 0) {
        c->kind = CHAR_NULL;
        return config_unknown_key(kv, k_plain, err);
    }
    if (strcmp(b, "stdio") == 0) {
        c->kind = CHAR_STDIO;
        if (config_unknown_key(kv, k_stdio, err) < 0) {
            return -1;
        }
        return kv_get_bool(kv, "signal", &sig, err) < 0 ? -1 : 0;
    }
    if (strcmp(b, "file") == 0) {
        c->kind = CHAR_FILE;
        if (config_unknown_key(kv, k_file, err) < 0) {
            return -1;
        }
        if (!kv_has(kv, "path")) {
            return config_fail(err, "the file backend needs path=");
        }
        c->path = xstrdup(kv_get(kv, "path"));
        return 0;
    }
    for (size_t i = 0; i < ARRAY_LEN(later); i++) {
        if (strcmp(b, later[i]) == 0) {
            return config_fail(err, "backend '%s' is not supported yet", b);
        }
    }
    return config_fail(err, "unknown backend '%s' (stdio, file or null)", b);
}

int config_add_chardev(MachineConfig *cfg, const char *spec, char **err)
{
    KeyVal *kv = kv_parse(spec, "backend", err);
    CharConfig c = {0};
    int r = -1;

    if (!kv) {
        return -1;
    }
    const char *id = kv_get(kv, "id");
    if (!kv_has(kv, "backend")) {
        config_fail(err, "needs a backend (stdio, file or null)");
    } else if (!id) {
        config_fail(err, "needs id=");
    } else if (config_find_chardev(cfg, id)) {
        config_fail(err, "duplicate chardev id '%s'", id);
    } else if (cfg->n_chardev == CONFIG_MAX_CHARDEV) {
        config_fail(err, "too many chardevs (at most %d)", CONFIG_MAX_CHARDEV);
    } else if (config_chardev_backend(kv, &c, err) == 0) {
        c.id = xstrdup(id);
        cfg->chardev[cfg->n_chardev++] = c;
        r = 0;
    }
    if (r < 0) {
        free(c.path);
    }
    kv_free(kv);
    return r;
}

/* ---- -device ------------------------------------------------------------- */

/* QEMU's isa-debug-exit defaults */
#define DEBUG_EXIT_IOBASE 0x501
#define DEBUG_EXIT_IOSIZE 2

static int config_debug_exit(MachineConfig *cfg, KeyVal *kv, char **err)
{
    static const char *const known[] = {"driver", "id", "iobase", "iosize",
                                        NULL};
    uint64_t base = DEBUG_EXIT_IOBASE, size = DEBUG_EXIT_IOSIZE;

    if (config_unknown_key(kv, known, err) < 0 ||
        kv_get_uint(kv, "iobase", &base, err) < 0 ||
        kv_get_uint(kv, "iosize", &size, err) < 0) {
        return -1;
    }
    if (size != 1 && size != 2 && size != 4) {
        return config_fail(err, "iosize must be 1, 2 or 4");
    }
    if (base + size > 0x10000) {
        return config_fail(err,
                           "iobase 0x%" PRIx64 " is outside the I/O "
                           "space",
                           base);
    }
    if (cfg->n_devices == CONFIG_MAX_DEVICES) {
        return config_fail(err, "too many devices (at most %d)",
                           CONFIG_MAX_DEVICES);
    }
    cfg->devices[cfg->n_devices++] = (DeviceConfig){
        .kind = DEVICE_ISA_DEBUG_EXIT,
        .iobase = (uint16_t)base,
        .iosize = (uint8_t)size,
    };
    return 0;
}

int config_add_device(MachineConfig *cfg, const char *spec, FILE *out,
                      bool *help, char **err)
{
    KeyVal *kv = kv_parse(spec, "driver", err);
    int r;

    if (!kv) {
        return -1;
    }
    const char *drv = kv_get(kv, "driver");
    if (!drv) {
        r = config_fail(err, "needs a driver name (-device help lists them)");
    } else if (strcmp(drv, "help") == 0) {
        fprintf(out, "Devices supported by -device:\n"
                     "isa-debug-exit  iobase=PORT (0x501), iosize=1|2|4 (2): "
                     "exit with status (value << 1) | 1\n");
        *help = true;
        r = 0;
    } else if (strcmp(drv, "isa-debug-exit") == 0) {
        r = config_debug_exit(cfg, kv, err);
    } else {
        r = config_fail(err, "device '%s' is not supported yet", drv);
    }
    kv_free(kv);
    return r;
}

/* ---- -rtc and -fw_cfg ------------------------------------------------------
 */

/* "2006-06-17T16:01:21" or "2006-06-17", UTC */
static int config_parse_date(const char *s, time_t *out)
{
    static const char *const formats[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"};

    for (size_t i = 0; i < ARRAY_LEN(formats); i++) {
        struct tm tm;
        memset(&tm, 0, sizeof(tm));
        const char *end = strptime(s, formats[i], &tm);
        if (end && *end == '\0') {
            *out = timegm(&tm);
            return 0;
        }
    }
    return -1;
}

int config_set_rtc(MachineConfig *cfg, const char *spec, char **err)
{
    static const char *const known[] = {"base", "clock", "driftfix", NULL};
    KeyVal *kv = kv_parse(spec, NULL, err);
    int r = -1;

    if (!kv) {
        return -1;
    }
    const char *base = kv_get(kv, "base");
    if (config_unknown_key(kv, known, err) < 0) {
        r = -1;
    } else if (kv_has(kv, "clock") || kv_has(kv, "driftfix")) {
        r = config_fail(err, "clock= and driftfix= are not supported yet");
    } else if (!base) {
        r = config_fail(err, "needs base=");
    } else if (strcmp(base, "utc") == 0) {
        cfg->rtc_base = RTC_BASE_UTC;
        r = 0;
    } else if (strcmp(base, "localtime") == 0) {
        cfg->rtc_base = RTC_BASE_LOCALTIME;
        r = 0;
    } else if (config_parse_date(base, &cfg->rtc_date) == 0) {
        cfg->rtc_base = RTC_BASE_DATE;
        r = 0;
    } else {
        r = config_fail(err, "base must be utc, localtime or a date like "
                             "2006-06-17T16:01:21");
    }
    kv_free(kv);
    return r;
}

static int config_fw_cfg_check(const MachineConfig *cfg, KeyVal *kv, char **err)
{
    static const char *const known[] = {"name", "file", "string", "gen_id",
                                        NULL};
    const char *name = kv_get(kv, "name");

    if (config_unknown_key(kv, known, err) < 0) {
        return -1;
    }
    if (kv_has(kv, "gen_id")) {
        return config_fail(err, "gen_id is not supported yet");
    }
    if (!name) {
        return config_fail(err, "needs name=");
    }
    if (strlen(name) > CONFIG_FW_CFG_NAME_MAX) {
        return config_fail(err, "name is longer than %d characters",
                           CONFIG_FW_CFG_NAME_MAX);
    }
    if (kv_has(kv, "file") == kv_has(kv, "string")) {
        return config_fail(err, "needs exactly one of file= and string=");
    }
    for (unsigned i = 0; i < cfg->n_fw_cfg; i++) {
        if (strcmp(cfg->fw_cfg[i].name, name) == 0) {
            return config_fail(err, "duplicate fw_cfg name '%s'", name);
        }
    }
    if (cfg->n_fw_cfg == CONFIG_MAX_FW_CFG) {
        return config_fail(err, "too many fw_cfg files (at most %d)",
                           CONFIG_MAX_FW_CFG);
    }
    return 0;
}

int config_add_fw_cfg(MachineConfig *cfg, const char *spec, char **err)
{
    KeyVal *kv = kv_parse(spec, "name", err);
    if (!kv) {
        return -1;
    }
    if (config_fw_cfg_check(cfg, kv, err) < 0) {
        kv_free(kv);
        return -1;
    }
    FwCfgFile *f = &cfg->fw_cfg[cfg->n_fw_cfg++];
    const char *file = kv_get(kv, "file"), *str = kv_get(kv, "string");
    f->name = xstrdup(kv_get(kv, "name"));
    f->file = file ? xstrdup(file) : NULL;
    f->string = str ? xstrdup(str) : NULL;
    kv_free(kv);
    return 0;
}
