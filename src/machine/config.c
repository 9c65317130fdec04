/*
 * MachineConfig: defaults, name tables for -M and -cpu, the values of
 * -serial/-chardev (parsed by util/char), -device, -rtc and -fw_cfg, and the
 * checks that need the whole command line (config_finish): option
 * dependencies, files that must exist, chardev references, one stdio user,
 * and the default serial port.
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
    int r = cpu_model_find("qemu64", &cfg->cpu);
    ASSERT(r == 0);
    cfg->backend = ACCEL_JIT;
    cfg->ram_size = CONFIG_RAM_DEFAULT;
    cfg->smp_cpus = 1;
    cfg->rtc_base = RTC_BASE_UTC;
}

static void config_free_serial(SerialConfig *c)
{
    free(c->text);
    free(c->chardev_id);
    char_spec_clear(&c->spec);
}

static void config_free_chardev(ChardevConfig *c)
{
    free(c->text);
    char_spec_clear(&c->spec);
}

void config_free(MachineConfig *cfg)
{
    free(cfg->bios);
    free(cfg->kernel);
    free(cfg->initrd);
    free(cfg->append);
    free(cfg->name);
    free(cfg->log_file);
    free(cfg->cpu_warnings);
    for (unsigned i = 0; i < cfg->n_serial; i++) {
        config_free_serial(&cfg->serial[i]);
    }
    for (unsigned i = 0; i < cfg->n_chardev; i++) {
        config_free_chardev(&cfg->chardev[i]);
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

const char *config_machine_name(MachineType m)
{
    for (size_t i = 0; i < ARRAY_LEN(config_machines); i++) {
        if (config_machines[i].type == m) {
            return config_machines[i].name;
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

int config_find_chardev(const MachineConfig *cfg, const char *id)
{
    for (unsigned i = 0; i < cfg->n_chardev; i++) {
        if (strcmp(cfg->chardev[i].spec.id, id) == 0) {
            return (int)i;
        }
    }
    return -1;
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

/* `-serial chardev:ID`: the -chardev exists and no other port uses it */
static int config_resolve_serial(MachineConfig *cfg, char **err)
{
    bool used[CONFIG_MAX_CHARDEV] = {false};
    for (unsigned i = 0; i < cfg->n_serial; i++) {
        SerialConfig *c = &cfg->serial[i];
        if (!c->chardev_id) {
            continue;
        }
        int idx = config_find_chardev(cfg, c->chardev_id);
        if (idx < 0) {
            return config_fail(err, "-serial %s: no -chardev with id '%s'",
                               c->text, c->chardev_id);
        }
        if (used[idx]) {
            return config_fail(err,
                               "-serial %s: chardev '%s' is already used by "
                               "another serial port",
                               c->text, c->chardev_id);
        }
        used[idx] = true;
        c->chardev = idx;
    }
    return 0;
}

/* the first -chardev on stdio, or NULL */
static const ChardevConfig *config_stdio_chardev(const MachineConfig *cfg)
{
    for (unsigned i = 0; i < cfg->n_chardev; i++) {
        if (cfg->chardev[i].spec.kind == CHAR_KIND_STDIO) {
            return &cfg->chardev[i];
        }
    }
    return NULL;
}

/* stdin can feed only one backend (QEMU refuses this too) */
static int config_check_stdio(const MachineConfig *cfg, char **err)
{
    const ChardevConfig *dev = config_stdio_chardev(cfg);
    for (unsigned i = 0; dev && i < cfg->n_chardev; i++) {
        const ChardevConfig *c = &cfg->chardev[i];
        if (c != dev && c->spec.kind == CHAR_KIND_STDIO) {
            return config_fail(err,
                               "-chardev %s: stdio is used by more than one "
                               "character device",
                               c->text);
        }
    }
    bool serial_seen = false;
    for (unsigned i = 0; i < cfg->n_serial; i++) {
        const SerialConfig *c = &cfg->serial[i];
        if (c->none || c->chardev_id || c->spec.kind != CHAR_KIND_STDIO) {
            continue;
        }
        if (dev) {
            return config_fail(err,
                               "-serial %s: stdio is already used by "
                               "-chardev %s",
                               c->text, dev->text);
        }
        if (serial_seen) {
            return config_fail(err,
                               "-serial %s: stdio is used by more than one "
                               "serial port",
                               c->text);
        }
        serial_seen = true;
    }
    return 0;
}

/*
 * QEMU puts COM1 on the graphical console unless -nographic (then on
 * mon:stdio). xlat has no graphical console yet, so without -serial COM1 is
 * always on stdio, with the Ctrl-A escapes.
 */
static int config_default_serial(MachineConfig *cfg, char **err)
{
    if (cfg->n_serial > 0) {
        return 0;
    }
    const char *text = cfg->nographic ? "mon:stdio" : "stdio";
    const ChardevConfig *dev = config_stdio_chardev(cfg);
    if (dev) {
        return config_fail(err,
                           "-chardev %s: stdio is also wanted by the default "
                           "serial port (add -serial chardev:%s or -serial "
                           "none)",
                           dev->text, dev->spec.id);
    }
    SerialConfig *c = &cfg->serial[0];
    char *perr = NULL;
    if (char_parse(text, &c->spec, &perr) < 0) {
        free(perr);
        ASSERT(!"stdio parses");
    }
    c->text = xstrdup(text);
    c->chardev = -1;
    cfg->n_serial = 1;
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
        config_check_stdio(cfg, err) < 0 ||
        config_default_serial(cfg, err) < 0) {
        return -1;
    }
    if (cfg->nographic) {
        cfg->display_none = true;
    }
    return 0;
}

/* ---- -serial and -chardev ----------------------------------------------- */

int config_add_serial(MachineConfig *cfg, const char *spec, char **err)
{
    if (cfg->n_serial == CONFIG_MAX_SERIAL) {
        return config_fail(err, "too many serial ports (at most %d)",
                           CONFIG_MAX_SERIAL);
    }
    SerialConfig c = {.chardev = -1};
    if (strcmp(spec, "none") == 0) {
        c.none = true;
    } else if (strncmp(spec, "chardev:", 8) == 0 && spec[8] != '\0') {
        c.chardev_id = xstrdup(spec + 8);
    } else if (char_parse(spec, &c.spec, err) < 0) {
        return -1;
    }
    c.text = xstrdup(spec);
    cfg->serial[cfg->n_serial++] = c;
    return 0;
}

int config_add_chardev(MachineConfig *cfg, const char *spec, char **err)
{
    ChardevConfig c = {0};
    if (char_parse_chardev(spec, &c.spec, err) < 0) {
        return -1;
    }
    if (config_find_chardev(cfg, c.spec.id) >= 0) {
        config_fail(err, "duplicate chardev id '%s'", c.spec.id);
        char_spec_clear(&c.spec);
        return -1;
    }
    if (cfg->n_chardev == CONFIG_MAX_CHARDEV) {
        char_spec_clear(&c.spec);
        return config_fail(err, "too many chardevs (at most %d)",
                           CONFIG_MAX_CHARDEV);
    }
    c.text = xstrdup(spec);
    cfg->chardev[cfg->n_chardev++] = c;
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
    for (unsigned i = 0; i < cfg->n_devices; i++) {
        if (cfg->devices[i].kind == DEVICE_ISA_DEBUG_EXIT) {
            return config_fail(err, "only one isa-debug-exit is supported");
        }
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
