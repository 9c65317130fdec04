/*
 * machine_main(): from a MachineConfig to a PC board and its main loop.
 *
 * machine_new() opens every -chardev (QEMU opens unused ones too, so a
 * listening socket listens), then each serial port's own backend, and
 * translates the rest of the configuration into a PcConfig for pc_new().
 * The CPU does not exist yet. Without -S that is said plainly on one line
 * (after everything is freed and the terminal restored) and the exit status
 * is 1; tests/guest/run_guest.py recognizes that line. With -S the machine
 * sits with its CPU stopped, exactly as QEMU's -S, and the main loop serves
 * the backends (sockets accept, the stdio escapes work) until Ctrl-A x or
 * SIGINT/SIGTERM/SIGHUP, which exit 0.
 */
#include "machine/machine.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "machine/vcpu.h"
#include "util/common.h"
#include "util/log.h"

struct Machine {
    MainLoop *loop;
    CharBackend *chardev[CONFIG_MAX_CHARDEV]; /* by -chardev index */
    CharBackend *own[CONFIG_MAX_SERIAL];      /* a port's own backend */
    CharBackend *serial[CONFIG_MAX_SERIAL];   /* what each port uses */
    PcMachine *pc;
    int signal_fd; /* -S: SIGINT, SIGTERM and SIGHUP, or -1 */
    /* direct boot: what a reset loads again, and the vCPU it restarts */
    const MachineConfig *cfg;
    Vcpu *vcpu;
};

/* ---- character backends ---- */

static int machine_open(Machine *m, const char *opt, const char *text,
                        const CharSpec *spec, CharBackend **out, char **err)
{
    char *cerr = NULL;
    *out = char_open(spec, m->loop, &cerr);
    if (!*out) {
        *err = xasprintf("%s %s: %s", opt, text, cerr ? cerr : "error");
        free(cerr);
        return -1;
    }
    return 0;
}

static int machine_open_chars(Machine *m, const MachineConfig *cfg, char **err)
{
    for (unsigned i = 0; i < cfg->n_chardev; i++) {
        const ChardevConfig *c = &cfg->chardev[i];
        if (machine_open(m, "-chardev", c->text, &c->spec, &m->chardev[i],
                         err) < 0) {
            return -1;
        }
    }
    for (unsigned i = 0; i < cfg->n_serial; i++) {
        const SerialConfig *c = &cfg->serial[i];
        if (c->none) {
            continue;
        }
        if (c->chardev >= 0) {
            m->serial[i] = m->chardev[c->chardev];
            continue;
        }
        if (machine_open(m, "-serial", c->text, &c->spec, &m->own[i], err) <
            0) {
            return -1;
        }
        m->serial[i] = m->own[i];
    }
    return 0;
}

/* ---- MachineConfig -> PcConfig ---- */

/* the RTC's start time; 0 asks pc.c for the host's time now */
static time_t machine_rtc_base(const MachineConfig *cfg)
{
    time_t now;
    struct tm tm;
    switch (cfg->rtc_base) {
    case RTC_BASE_UTC:
        return 0;
    case RTC_BASE_LOCALTIME:
        /* the RTC keeps broken-down time: show the local wall clock */
        now = time(NULL);
        if (!localtime_r(&now, &tm)) {
            return 0;
        }
        return now + tm.tm_gmtoff;
    case RTC_BASE_DATE:
        return cfg->rtc_date;
    }
    return 0;
}

static void machine_pc_devices(const MachineConfig *cfg, PcConfig *pcfg)
{
    for (unsigned i = 0; i < cfg->n_devices; i++) {
        const DeviceConfig *d = &cfg->devices[i];
        switch (d->kind) {
        case DEVICE_ISA_DEBUG_EXIT:
            pcfg->debug_exit = true;
            pcfg->debug_exit_iobase = d->iobase;
            pcfg->debug_exit_iosize = d->iosize;
            break;
        }
    }
}

/* items points to CONFIG_MAX_FW_CFG entries that outlive pc_new() */
static void machine_pc_config(const Machine *m, const MachineConfig *cfg,
                              PcConfig *pcfg, PcFwCfgItem *items)
{
    memset(pcfg, 0, sizeof(*pcfg));
    pcfg->loop = m->loop;
    pcfg->ram_size = cfg->ram_size;
    pcfg->nb_cpus = cfg->smp_cpus;
    pcfg->bios_path = cfg->bios;
    for (unsigned i = 0; i < cfg->n_serial && i < PC_MAX_SERIAL; i++) {
        pcfg->serial[i] = m->serial[i];
    }
    machine_pc_devices(cfg, pcfg);
    pcfg->kernel_path = cfg->kernel;
    pcfg->initrd_path = cfg->initrd;
    pcfg->cmdline = cfg->append;
    for (unsigned i = 0; i < cfg->n_fw_cfg; i++) {
        items[i] = (PcFwCfgItem){.name = cfg->fw_cfg[i].name,
                                 .file = cfg->fw_cfg[i].file,
                                 .str = cfg->fw_cfg[i].string};
    }
    pcfg->fw_cfg = items;
    pcfg->n_fw_cfg = cfg->n_fw_cfg;
    pcfg->rtc_base = machine_rtc_base(cfg);
}

/* ---- life cycle ---- */

Machine *machine_new(const MachineConfig *cfg, char **err)
{
    Machine *m = xzalloc(sizeof(*m));
    m->signal_fd = -1;
    m->loop = main_loop_new();
    main_loop_set_no_reboot(m->loop, cfg->no_reboot);
    *err = NULL;
    if (machine_open_chars(m, cfg, err) < 0) {
        machine_free(m);
        return NULL;
    }
    PcConfig pcfg;
    PcFwCfgItem items[CONFIG_MAX_FW_CFG];
    machine_pc_config(m, cfg, &pcfg, items);
    char *perr = NULL;
    m->pc = pc_new(&pcfg, &perr);
    if (!m->pc) {
        *err = perr ? perr : xstrdup("cannot build the PC machine");
        machine_free(m);
        return NULL;
    }
    return m;
}

void machine_free(Machine *m)
{
    if (!m) {
        return;
    }
    pc_free(m->pc); /* detaches the UARTs from their backends */
    for (unsigned i = 0; i < CONFIG_MAX_SERIAL; i++) {
        char_free(m->own[i]);
    }
    for (unsigned i = 0; i < CONFIG_MAX_CHARDEV; i++) {
        char_free(m->chardev[i]);
    }
    main_loop_free(m->loop);
    free(m);
}

MainLoop *machine_loop(Machine *m)
{
    return m->loop;
}

PcMachine *machine_pc(Machine *m)
{
    return m->pc;
}

CharBackend *machine_serial(Machine *m, unsigned i)
{
    return i < CONFIG_MAX_SERIAL ? m->serial[i] : NULL;
}

/* ---- -S: the main loop with the CPU stopped ---- */

static void machine_on_signal(void *opaque)
{
    Machine *m = opaque;
    struct signalfd_siginfo si;
    while (read(m->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        log_host_error("terminating on signal %u", si.ssi_signo);
        main_loop_request_shutdown(m->loop, 0);
    }
}

/*
 * The quit signals arrive through a signalfd, so they end the loop like
 * Ctrl-A x and everything is freed (and the terminal restored) normally.
 */
static int machine_run_stopped(Machine *m)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    m->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (m->signal_fd < 0) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        log_host_error("signalfd: %s", strerror(errno));
        return 1;
    }
    main_loop_set_fd(m->loop, m->signal_fd, machine_on_signal, NULL, m);
    int status = main_loop_run(m->loop);
    main_loop_remove_fd(m->loop, m->signal_fd);
    close(m->signal_fd);
    m->signal_fd = -1;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return status;
}

/*
 * Direct boot of a multiboot kernel: load it by the e820 map and start
 * the vCPU in the state the loader leaves. Firmware and Linux need the
 * rest of the platform (interrupt delivery from the PIC/APIC, 32-bit
 * protected-mode delivery): one "cannot boot" line for now.
 */
/* load the images of a direct boot; -1 with *err */
static int machine_load(Machine *m, const MachineConfig *cfg, BootInfo *bi,
                        char **err)
{
    E820Entry e820[BOOT_RAM_MAP_MAX];
    int n = pc_e820(m->pc, e820, BOOT_RAM_MAP_MAX);
    BootRamMap map = {0};
    for (int i = 0; i < n; i++) {
        boot_ram_map_add(&map, e820[i].addr, e820[i].size, e820[i].type);
    }
    return boot_load_kernel(m->pc->sys_as, &map, cfg->kernel, cfg->initrd,
                            cfg->append, bi, err);
}

/*
 * A machine reset (after the devices' handlers): a direct boot loads its
 * images again and the vCPU restarts in the loader's state, which is what
 * QEMU's boot ROM does on every reset.
 */
static void machine_reset_boot(void *opaque)
{
    Machine *m = opaque;
    BootInfo bi;
    char *err = NULL;
    if (machine_load(m, m->cfg, &bi, &err) < 0) {
        log_host_error("reset: %s", err);
        free(err);
        main_loop_request_shutdown(m->loop, 1);
        return;
    }
    vcpu_reset(m->vcpu, &bi);
}

static Vcpu *machine_boot(Machine *m, const MachineConfig *cfg, char **err)
{
    if (!cfg->kernel) {
        *err = xstrdup("cannot boot: firmware boot needs the PC platform "
                       "(interrupt controllers, APIC), not implemented yet");
        return NULL;
    }
    BootInfo bi;
    if (machine_load(m, cfg, &bi, err) < 0) {
        return NULL;
    }
    if (bi.kind != BOOT_KIND_MULTIBOOT) {
        *err = xstrdup("cannot boot: Linux needs the PC platform (interrupt "
                       "controllers, APIC), not implemented yet");
        return NULL;
    }
    Vcpu *v = vcpu_new(m->pc, m->loop,
                       cfg->backend == ACCEL_INTERP ? TCG_BACKEND_INTERP
                                                    : TCG_BACKEND_JIT);
    vcpu_set_model(v, &cfg->cpu);
    vcpu_apply_boot(v, &bi);
    m->cfg = cfg;
    m->vcpu = v;
    main_loop_add_reset_handler(m->loop, machine_reset_boot, m);
    return v;
}

int machine_main(const MachineConfig *cfg)
{
    char *err = NULL;
    Machine *m = machine_new(cfg, &err);
    if (!m) {
        log_host_error("%s", err);
        free(err);
        return 1;
    }
    /* -d mmu: the memory core already dumped each address space at commit */
    log_flush();
    Vcpu *v = NULL;
    if (!cfg->stopped) {
        v = machine_boot(m, cfg, &err);
        if (!v) {
            machine_free(m);
            log_host_error("%s", err);
            free(err);
            return 1;
        }
        vcpu_start(v);
    }
    int status = machine_run_stopped(m);
    vcpu_stop(v);
    if (m->vcpu) {
        main_loop_del_reset_handler(m->loop, machine_reset_boot, m);
        m->vcpu = NULL;
    }
    vcpu_free(v);
    machine_free(m);
    return status;
}
