/*
 * The command line: one table row per option (name, argument, handler, help)
 * and a small driver that walks argv, finds the row and calls the handler.
 *
 * A handler parses its value fully (so typos are always reported), then
 * either stores it in the MachineConfig or refuses it with "not supported
 * yet". Property-list values go through util/keyval. Errors are one line that
 * names the option: "-m 12Q: invalid size". The values of -device,
 * -serial, -chardev, -rtc and -fw_cfg are parsed by config.c (the character
 * backends through util/char).
 */
#include "machine/cmdline.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <config.h> /* the generated one; "config.h" is machine/config.h */
#include <inttypes.h>

#include "util/keyval.h"
#include "util/log.h"

typedef struct Cmdline {
    MachineConfig *cfg;
    FILE *out;
    const char *opt; /* "-m", canonical spelling of the current option */
    const char *arg; /* its value, or NULL */
    char *err;
    bool exit_now;
} Cmdline;

typedef int CmdlineFn(Cmdline *cl);

typedef struct CmdlineOpt {
    const char *name; /* without the dash */
    const char *arg;  /* placeholder for help; NULL: takes no value */
    CmdlineFn *fn;
    const char *help;
} CmdlineOpt;

static int cl_fail(Cmdline *cl, const char *fmt, ...) PRINTF_FMT(2, 3);

/* "-opt VALUE: message" (or "-opt: message" when it has no value) */
static int cl_fail(Cmdline *cl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    free(cl->err);
    if (cl->arg && cl->arg[0] != '\0') {
        cl->err = xasprintf("%s %s: %s", cl->opt, cl->arg, msg);
    } else {
        cl->err = xasprintf("%s: %s", cl->opt, msg);
    }
    free(msg);
    return -1;
}

/* wrap a keyval error: "-drive x: duplicate key 'file'" */
static int cl_fail_kv(Cmdline *cl, char *kverr)
{
    cl_fail(cl, "%s", kverr ? kverr : "invalid value");
    free(kverr);
    return -1;
}

static int cl_unsupported(Cmdline *cl)
{
    free(cl->err);
    cl->err = xasprintf("%s: not supported yet", cl->opt);
    return -1;
}

static KeyVal *cl_parse_kv(Cmdline *cl, const char *implied)
{
    char *kverr = NULL;
    KeyVal *kv = kv_parse(cl->arg, implied, &kverr);
    if (!kv) {
        cl_fail_kv(cl, kverr);
    }
    return kv;
}

/* reject keys outside known[]; frees kv on failure */
static int cl_check_keys(Cmdline *cl, KeyVal *kv, const char *const *known)
{
    const char *bad = kv_unknown_key(kv, known);
    if (bad) {
        cl_fail(cl, "unknown property '%s'", bad);
        kv_free(kv);
        return -1;
    }
    return 0;
}

static void cl_set_string(char **dst, const char *value)
{
    free(*dst);
    *dst = xstrdup(value);
}

static int cl_need_value(Cmdline *cl)
{
    if (cl->arg[0] == '\0') {
        return cl_fail(cl, "needs a value");
    }
    return 0;
}

/* ---- machine, CPU, accelerator ---------------------------------------- */

static int cl_refuse_hypervisor(Cmdline *cl, const char *accel)
{
    static const char *const names[][2] = {
        {"kvm", "KVM"},   {"xen", "Xen"},   {"hvf", "HVF"},
        {"whpx", "WHPX"}, {"nvmm", "NVMM"},
    };
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        if (strcmp(accel, names[i][0]) == 0) {
            return cl_fail(cl,
                           "%s is not used by xlat; it emulates the CPU in "
                           "software (-accel tcg)",
                           names[i][1]);
        }
    }
    return cl_fail(cl, "unknown accelerator '%s' (xlat has tcg)", accel);
}

/* -machine accel=kvm:tcg: a list; tcg anywhere in it is what runs */
static int cl_machine_accel(Cmdline *cl, const char *list)
{
    char *copy = xstrdup(list), *save = NULL, *first = NULL;
    bool tcg = false;

    for (char *a = strtok_r(copy, ":", &save); a;
         a = strtok_r(NULL, ":", &save)) {
        first = first ? first : a;
        tcg |= strcmp(a, "tcg") == 0;
    }
    int r = tcg ? 0 : cl_refuse_hypervisor(cl, first ? first : list);
    free(copy);
    return r;
}

static int cl_machine(Cmdline *cl)
{
    static const char *const known[] = {"type", "accel", NULL};
    KeyVal *kv = cl_parse_kv(cl, "type");
    if (!kv || cl_check_keys(cl, kv, known) < 0) {
        return -1;
    }
    const char *type = kv_get(kv, "type");
    const char *accel = kv_get(kv, "accel");
    MachineType m = MACHINE_PC;
    int r = 0;

    if (type && strcmp(type, "help") == 0) {
        config_print_machines(cl->out);
        cl->exit_now = true;
    } else if (type && config_machine_from_name(type, &m) < 0) {
        r = cl_fail(cl, "unknown machine '%s' (-machine help lists them)",
                    type);
    } else if (accel && cl_machine_accel(cl, accel) < 0) {
        r = -1;
    } else if (m != MACHINE_PC) {
        r = cl_fail(cl, "machine '%s' is not supported yet", type);
    } else {
        cl->cfg->machine = m;
    }
    kv_free(kv);
    return r;
}

static int cl_cpu(Cmdline *cl)
{
    const char *arg = cl->arg;
    size_t len = strcspn(arg, ",");
    char *err = NULL;
    int r = 0;

    if (strcmp(arg, "help") == 0 || strcmp(arg, "?") == 0) {
        cpu_model_print_help(cl->out);
        cl->exit_now = true;
    } else if (len == 4 && strncmp(arg, "host", 4) == 0) {
        r = cl_fail(cl, "needs a hypervisor; xlat emulates the CPU in "
                        "software (-cpu max)");
    } else {
        free(cl->cfg->cpu_warnings); /* a later -cpu replaces it all */
        cl->cfg->cpu_warnings = NULL;
        if (cpu_model_parse(arg, &cl->cfg->cpu, &err, &cl->cfg->cpu_warnings) <
            0) {
            r = cl_fail(cl, "%s", err);
        }
    }
    free(err);
    return r;
}

static int cl_accel_backend(Cmdline *cl, const char *b)
{
    if (strcmp(b, "jit") == 0) {
        cl->cfg->backend = ACCEL_JIT;
    } else if (strcmp(b, "interp") == 0) {
        cl->cfg->backend = ACCEL_INTERP;
    } else {
        return cl_fail(cl, "unknown backend '%s' (jit or interp)", b);
    }
    return 0;
}

static int cl_accel(Cmdline *cl)
{
    static const char *const known[] = {"accel", "backend", "thread", NULL};
    KeyVal *kv = cl_parse_kv(cl, "accel");
    if (!kv || cl_check_keys(cl, kv, known) < 0) {
        return -1;
    }
    const char *accel = kv_get(kv, "accel");
    const char *backend = kv_get(kv, "backend");
    const char *thread = kv_get(kv, "thread");
    int r = 0;

    if (accel && strcmp(accel, "help") == 0) {
        fprintf(cl->out, "Accelerators supported in xlat:\ntcg\n");
        cl->exit_now = true;
    } else if (!accel) {
        r = cl_fail(cl, "needs an accelerator name (tcg)");
    } else if (strcmp(accel, "tcg") != 0) {
        r = cl_refuse_hypervisor(cl, accel);
    } else if (thread && strcmp(thread, "single") != 0) {
        r = cl_fail(cl, "thread=%s is not supported yet", thread);
    } else if (backend) {
        r = cl_accel_backend(cl, backend);
    }
    kv_free(kv);
    return r;
}

static int cl_enable_kvm(Cmdline *cl)
{
    return cl_fail(cl, "KVM is not used by xlat; it emulates the CPU in "
                       "software (-accel tcg)");
}

/* ---- memory and CPUs ---------------------------------------------------- */

static int cl_mem_size(Cmdline *cl, const char *s)
{
    char *kverr = NULL;
    uint64_t size;

    if (kv_parse_size(s, 1ull << 20, &size, &kverr) < 0) {
        free(kverr);
        return cl_fail(cl, "invalid size");
    }
    if (size < (1ull << 20) || size > CONFIG_RAM_MAX) {
        return cl_fail(cl, "size out of range (1M to 1T)");
    }
    if (size & 0xfff) {
        return cl_fail(cl, "size is not a multiple of 4K");
    }
    cl->cfg->ram_size = size;
    return 0;
}

static int cl_mem(Cmdline *cl)
{
    static const char *const known[] = {"size", "slots", "maxmem", NULL};
    if (!strpbrk(cl->arg, ",=")) {
        return cl_mem_size(cl, cl->arg);
    }
    KeyVal *kv = cl_parse_kv(cl, "size");
    if (!kv || cl_check_keys(cl, kv, known) < 0) {
        return -1;
    }
    int r;
    if (kv_has(kv, "slots") || kv_has(kv, "maxmem")) {
        r = cl_fail(cl, "memory hotplug (slots, maxmem) is not supported yet");
    } else if (!kv_has(kv, "size")) {
        r = cl_fail(cl, "needs size=");
    } else {
        r = cl_mem_size(cl, kv_get(kv, "size"));
    }
    kv_free(kv);
    return r;
}

#define CL_SMP_MAX 255

static int cl_smp_get(Cmdline *cl, KeyVal *kv, const char *key, uint64_t *v)
{
    char *kverr = NULL;
    int r = kv_get_uint(kv, key, v, &kverr);
    if (r < 0) {
        return cl_fail_kv(cl, kverr);
    }
    if (r > 0 && (*v == 0 || *v > CL_SMP_MAX)) {
        return cl_fail(cl, "%s must be 1 to %d", key, CL_SMP_MAX);
    }
    return 0;
}

/* QEMU: missing cpus = product of the topology; maxcpus defaults to cpus */
static int cl_smp_check(Cmdline *cl, KeyVal *kv)
{
    uint64_t cpus = 0, sockets = 1, cores = 1, threads = 1, max = 0;
    if (cl_smp_get(cl, kv, "cpus", &cpus) < 0 ||
        cl_smp_get(cl, kv, "sockets", &sockets) < 0 ||
        cl_smp_get(cl, kv, "cores", &cores) < 0 ||
        cl_smp_get(cl, kv, "threads", &threads) < 0 ||
        cl_smp_get(cl, kv, "maxcpus", &max) < 0) {
        return -1;
    }
    uint64_t topo = sockets * cores * threads;
    bool has_topo =
        kv_has(kv, "sockets") || kv_has(kv, "cores") || kv_has(kv, "threads");
    cpus = cpus ? cpus : (max && !has_topo ? max : topo);
    max = max ? max : (has_topo ? topo : cpus);
    if (max < cpus) {
        return cl_fail(cl,
                       "maxcpus (%" PRIu64 ") is less than cpus (%" PRIu64 ")",
                       max, cpus);
    }
    if (has_topo && topo != max) {
        return cl_fail(cl,
                       "sockets*cores*threads (%" PRIu64
                       ") must equal maxcpus (%" PRIu64 ")",
                       topo, max);
    }
    if (cpus != 1 || max != 1) {
        return cl_fail(cl, "more than one CPU is not supported yet");
    }
    cl->cfg->smp_cpus = 1;
    return 0;
}

static int cl_smp(Cmdline *cl)
{
    static const char *const known[] = {"cpus",    "sockets", "cores",
                                        "threads", "maxcpus", NULL};
    KeyVal *kv = cl_parse_kv(cl, "cpus");
    if (!kv || cl_check_keys(cl, kv, known) < 0) {
        return -1;
    }
    int r = cl_smp_check(cl, kv);
    kv_free(kv);
    return r;
}

/* ---- boot files --------------------------------------------------------- */

static int cl_bios(Cmdline *cl)
{
    if (cl_need_value(cl) < 0) {
        return -1;
    }
    cl_set_string(&cl->cfg->bios, cl->arg);
    return 0;
}

static int cl_kernel(Cmdline *cl)
{
    if (cl_need_value(cl) < 0) {
        return -1;
    }
    cl_set_string(&cl->cfg->kernel, cl->arg);
    return 0;
}

static int cl_initrd(Cmdline *cl)
{
    if (cl_need_value(cl) < 0) {
        return -1;
    }
    cl_set_string(&cl->cfg->initrd, cl->arg);
    return 0;
}

static int cl_append(Cmdline *cl)
{
    cl_set_string(&cl->cfg->append, cl->arg);
    return 0;
}

static int cl_name(Cmdline *cl)
{
    static const char *const known[] = {"guest", NULL};
    KeyVal *kv = cl_parse_kv(cl, "guest");
    if (!kv || cl_check_keys(cl, kv, known) < 0) {
        return -1;
    }
    int r = 0;
    if (!kv_has(kv, "guest")) {
        r = cl_fail(cl, "needs guest=NAME");
    } else {
        cl_set_string(&cl->cfg->name, kv_get(kv, "guest"));
    }
    kv_free(kv);
    return r;
}

/* ---- parsed, then refused until implemented ----------------------------- */

static int cl_drive(Cmdline *cl)
{
    static const char *const known[] = {
        "file",          "if",           "format", "index",    "media",
        "snapshot",      "cache",        "aio",    "readonly", "id",
        "bus",           "unit",         "werror", "rerror",   "discard",
        "detect-zeroes", "copy-on-read", NULL};
    KeyVal *kv = cl_parse_kv(cl, NULL);
    if (!kv || cl_check_keys(cl, kv, known) < 0) {
        return -1;
    }
    kv_free(kv);
    return cl_unsupported(cl);
}

static int cl_refuse_value(Cmdline *cl)
{
    if (cl_need_value(cl) < 0) {
        return -1;
    }
    return cl_unsupported(cl);
}

static int cl_refuse_flag(Cmdline *cl)
{
    return cl_unsupported(cl);
}

static const char *const cl_netdev_types[] = {
    "user",   "tap",   "bridge",  "socket",     "l2tpv3",     "vde",  "netmap",
    "stream", "dgram", "hubport", "vhost-user", "vhost-vdpa", "none", NULL};

static int cl_netdev_like(Cmdline *cl, bool need_id)
{
    KeyVal *kv = cl_parse_kv(cl, "type");
    if (!kv) {
        return -1;
    }
    const char *type = kv_get(kv, "type");
    int r = 0;
    if (!type) {
        r = cl_fail(cl, "needs a type (user, tap, ...)");
    } else {
        bool known = false;
        for (size_t i = 0; cl_netdev_types[i]; i++) {
            known |= strcmp(type, cl_netdev_types[i]) == 0;
        }
        if (!known) {
            r = cl_fail(cl, "unknown network backend type '%s'", type);
        } else if (need_id && !kv_has(kv, "id")) {
            r = cl_fail(cl, "needs id=");
        }
    }
    kv_free(kv);
    return r < 0 ? r : cl_unsupported(cl);
}

static int cl_netdev(Cmdline *cl)
{
    return cl_netdev_like(cl, true);
}

static int cl_nic(Cmdline *cl)
{
    return cl_netdev_like(cl, false);
}

static int cl_vga(Cmdline *cl)
{
    static const char *const types[] = {"std", "cirrus", "vmware",
                                        "qxl", "virtio", "none",
                                        "tcx", "cg3",    "xenfb"};
    for (size_t i = 0; i < ARRAY_LEN(types); i++) {
        if (strcmp(cl->arg, types[i]) == 0) {
            return cl_unsupported(cl);
        }
    }
    return cl_fail(cl, "unknown VGA type");
}

static int cl_icount(Cmdline *cl)
{
    static const char *const known[] = {"shift",  "align",      "sleep", "rr",
                                        "rrfile", "rrsnapshot", NULL};
    KeyVal *kv = cl_parse_kv(cl, "shift");
    if (!kv || cl_check_keys(cl, kv, known) < 0) {
        return -1;
    }
    const char *shift = kv_get(kv, "shift");
    uint64_t n = 0;
    char *kverr = NULL;
    int r = 0;
    if (shift && strcmp(shift, "auto") != 0 &&
        (kv_parse_uint(shift, &n, &kverr) < 0 || n > 10)) {
        free(kverr);
        r = cl_fail(cl, "shift must be 0 to 10 or auto");
    }
    kv_free(kv);
    return r < 0 ? r : cl_unsupported(cl);
}

/* ---- logging, display, simple flags ------------------------------------- */

static int cl_log(Cmdline *cl)
{
    const char *bad = NULL;
    uint32_t mask;

    if (strcmp(cl->arg, "help") == 0) {
        log_print_categories(cl->out);
        cl->exit_now = true;
        return 0;
    }
    if (log_parse_mask(cl->arg, &mask, &bad) < 0) {
        return cl_fail(cl, "unknown log category '%s' (-d help lists them)",
                       bad);
    }
    cl->cfg->log_mask = mask;
    return 0;
}

static int cl_log_file(Cmdline *cl)
{
    if (cl_need_value(cl) < 0) {
        return -1;
    }
    cl_set_string(&cl->cfg->log_file, cl->arg);
    return 0;
}

static int cl_display(Cmdline *cl)
{
    static const char *const later[] = {"sdl",    "gtk",          "vnc",
                                        "curses", "egl-headless", "spice-app",
                                        "cocoa",  "dbus",         "default"};
    size_t len = strcspn(cl->arg, ",");
    if (strcmp(cl->arg, "none") == 0) {
        cl->cfg->display_none = true;
        return 0;
    }
    for (size_t i = 0; i < ARRAY_LEN(later); i++) {
        if (strlen(later[i]) == len && strncmp(cl->arg, later[i], len) == 0) {
            return cl_fail(cl, "not supported yet (-display none is)");
        }
    }
    if (len == 4 && strncmp(cl->arg, "none", 4) == 0) {
        return cl_fail(cl, "-display none takes no options");
    }
    return cl_fail(cl, "unknown display type");
}

static int cl_nographic(Cmdline *cl)
{
    cl->cfg->nographic = true;
    return 0;
}

static int cl_stopped(Cmdline *cl)
{
    cl->cfg->stopped = true;
    return 0;
}

static int cl_no_reboot(Cmdline *cl)
{
    cl->cfg->no_reboot = true;
    return 0;
}

static int cl_no_shutdown(Cmdline *cl)
{
    cl->cfg->no_shutdown = true;
    return 0;
}

static int cl_version(Cmdline *cl)
{
    fprintf(cl->out,
            "xlat version %s, a software x86-64 PC emulator with a "
            "QEMU-compatible command line\n",
            XLAT_VERSION);
    cl->exit_now = true;
    return 0;
}

static int cl_help(Cmdline *cl)
{
    cmdline_print_help(cl->out);
    cl->exit_now = true;
    return 0;
}

/* ---- options whose value config.c parses -------------------------------- */

/* wrap a config.c error: "-device foo: device 'foo' is not supported yet" */
static int cl_config_result(Cmdline *cl, int r, char *cerr)
{
    if (r < 0) {
        return cl_fail_kv(cl, cerr);
    }
    return 0;
}

static int cl_device(Cmdline *cl)
{
    char *cerr = NULL;
    bool help = false;
    int r = config_add_device(cl->cfg, cl->arg, cl->out, &help, &cerr);
    cl->exit_now |= help;
    return cl_config_result(cl, r, cerr);
}

static int cl_serial(Cmdline *cl)
{
    char *cerr = NULL;
    int r = config_add_serial(cl->cfg, cl->arg, &cerr);
    return cl_config_result(cl, r, cerr);
}

static int cl_chardev(Cmdline *cl)
{
    char *cerr = NULL;
    int r = config_add_chardev(cl->cfg, cl->arg, &cerr);
    return cl_config_result(cl, r, cerr);
}

static int cl_rtc(Cmdline *cl)
{
    char *cerr = NULL;
    int r = config_set_rtc(cl->cfg, cl->arg, &cerr);
    return cl_config_result(cl, r, cerr);
}

static int cl_fw_cfg(Cmdline *cl)
{
    char *cerr = NULL;
    int r = config_add_fw_cfg(cl->cfg, cl->arg, &cerr);
    return cl_config_result(cl, r, cerr);
}

/* clang-format off */
static const CmdlineOpt cl_opts[] = {
    {"machine", "TYPE[,accel=tcg]", cl_machine, "machine type (pc; help lists them)"},
    {"M", "TYPE", cl_machine, "same as -machine"},
    {"cpu", "MODEL", cl_cpu, "CPU model: qemu64, base or max (help lists them)"},
    {"accel", "tcg[,backend=jit|interp]", cl_accel, "accelerator: tcg, translated by the JIT or the interpreter"},
    {"enable-kvm", NULL, cl_enable_kvm, "refused: xlat does not use KVM"},
    {"m", "SIZE", cl_mem, "RAM size, default 128M (suffix k/M/G/T; no suffix means M)"},
    {"smp", "N[,cpus=,sockets=,cores=,threads=,maxcpus=]", cl_smp, "number of CPUs (only 1 for now)"},
    {"bios", "FILE", cl_bios, "firmware image"},
    {"kernel", "FILE", cl_kernel, "boot this Linux or multiboot kernel"},
    {"initrd", "FILE", cl_initrd, "initial ramdisk for -kernel"},
    {"append", "CMDLINE", cl_append, "kernel command line for -kernel"},
    {"drive", "file=FILE,if=...", cl_drive, "disk drive (not supported yet)"},
    {"hda", "FILE", cl_refuse_value, "first IDE disk (not supported yet)"},
    {"cdrom", "FILE", cl_refuse_value, "IDE CD-ROM (not supported yet)"},
    {"snapshot", NULL, cl_refuse_flag, "discard disk writes (not supported yet)"},
    {"netdev", "TYPE,id=ID[,...]", cl_netdev, "network backend (not supported yet)"},
    {"nic", "TYPE[,...]", cl_nic, "network card and backend (not supported yet)"},
    {"device", "DRIVER[,prop=value...]", cl_device, "add a device: isa-debug-exit[,iobase=,iosize=] (help lists them)"},
    {"serial", "DEV", cl_serial, "next serial port: stdio, mon:stdio, null, none, file:PATH, pipe:PATH, tcp:[HOST]:PORT[,server=on,wait=off], unix:PATH[,server=on], chardev:ID"},
    {"chardev", "BACKEND,id=ID[,...]", cl_chardev, "character backend: socket (host=,port= or path=; server=,wait=,nodelay=), stdio, file (path=), pipe (path=), null"},
    {"monitor", "DEV", cl_refuse_value, "human monitor (not supported yet)"},
    {"qmp", "DEV", cl_refuse_value, "QMP monitor (not supported yet)"},
    {"nographic", NULL, cl_nographic, "no display; COM1 on mon:stdio (raw terminal, Ctrl-A x quits, Ctrl-A h helps)"},
    {"display", "TYPE", cl_display, "display front end: none"},
    {"vga", "TYPE", cl_vga, "VGA card (not supported yet)"},
    {"S", NULL, cl_stopped, "do not start the CPU: build the machine and serve its serial backends until Ctrl-A x or a signal"},
    {"s", NULL, cl_refuse_flag, "gdb server on tcp::1234 (not supported yet)"},
    {"gdb", "DEV", cl_refuse_value, "gdb server (not supported yet)"},
    {"d", "ITEM[,...]", cl_log, "log these categories (help lists them)"},
    {"D", "FILE", cl_log_file, "write the log to FILE instead of stderr"},
    {"icount", "shift=N|auto[,...]", cl_icount, "instruction-counted virtual time (not supported yet)"},
    {"no-reboot", NULL, cl_no_reboot, "exit instead of rebooting"},
    {"no-shutdown", NULL, cl_no_shutdown, "stop instead of exiting when the guest powers off"},
    {"rtc", "base=utc|localtime|DATE", cl_rtc, "real-time clock start"},
    {"fw_cfg", "name=opt/NAME,file=FILE|string=STR", cl_fw_cfg, "add a fw_cfg file for the firmware"},
    {"name", "NAME", cl_name, "guest name"},
    {"version", NULL, cl_version, "print the version and exit"},
    {"help", NULL, cl_help, "print this help and exit"},
    {"h", NULL, cl_help, "same as -help"},
};
/* clang-format on */

void cmdline_print_help(FILE *f)
{
    fprintf(f, "usage: xlat [options]\n"
               "Options are -opt or --opt; a value follows as the next "
               "argument or as -opt=value.\n\n");
    for (size_t i = 0; i < ARRAY_LEN(cl_opts); i++) {
        const CmdlineOpt *o = &cl_opts[i];
        char left[64];
        snprintf(left, sizeof(left), "-%s%s%s", o->name, o->arg ? " " : "",
                 o->arg ? o->arg : "");
        if (strlen(left) > 26) {
            fprintf(f, "  %s\n  %-26s %s\n", left, "", o->help);
        } else {
            fprintf(f, "  %-26s %s\n", left, o->help);
        }
    }
}

static const CmdlineOpt *cl_find(const char *name, size_t len)
{
    for (size_t i = 0; i < ARRAY_LEN(cl_opts); i++) {
        if (strlen(cl_opts[i].name) == len &&
            strncmp(cl_opts[i].name, name, len) == 0) {
            return &cl_opts[i];
        }
    }
    return NULL;
}

/*
 * One option at argv[*i]; advances *i past its value. The error names the
 * option as the user wrote it only when it is unknown.
 */
static int cl_one(Cmdline *cl, int argc, char *const argv[], int *i)
{
    const char *word = argv[*i];
    const char *name = word + (word[1] == '-' ? 2 : 1);
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    const CmdlineOpt *o = cl_find(name, len);
    char spelled[64];

    if (!o) {
        free(cl->err);
        cl->err = xasprintf("%.*s: invalid option",
                            (int)(len + (size_t)(name - word)), word);
        return -1;
    }
    snprintf(spelled, sizeof(spelled), "-%s", o->name);
    cl->opt = spelled;
    cl->arg = NULL;
    if (!o->arg && eq) {
        return cl_fail(cl, "takes no value");
    }
    if (o->arg) {
        if (eq) {
            cl->arg = eq + 1;
        } else if (*i + 1 < argc) {
            cl->arg = argv[++*i];
        } else {
            return cl_fail(cl, "requires an argument");
        }
    }
    return o->fn(cl);
}

CmdlineResult cmdline_parse(int argc, char *const argv[], MachineConfig *cfg,
                            FILE *out, char **err)
{
    Cmdline cl = {.cfg = cfg, .out = out};

    config_init(cfg);
    for (int i = 1; i < argc && !cl.exit_now; i++) {
        const char *word = argv[i];
        int r;
        if (word[0] != '-' || word[1] == '\0') {
            /* QEMU treats a bare argument as the first IDE disk */
            cl.err = xasprintf("-hda %s: not supported yet", word);
            r = -1;
        } else {
            r = cl_one(&cl, argc, argv, &i);
        }
        if (r < 0) {
            *err = cl.err;
            return CMDLINE_ERROR;
        }
    }
    if (cl.exit_now) {
        return CMDLINE_EXIT;
    }
    if (config_finish(cfg, err) < 0) {
        return CMDLINE_ERROR;
    }
    return CMDLINE_RUN;
}
