/*
 * MachineConfig: everything the command line decided, as plain data. The
 * command line (cmdline.c) fills it; machine_main() and the PC board read it.
 *
 * Only what xlat supports today has a field here. Options that are parsed but
 * not implemented yet are refused by cmdline.c and never reach this struct,
 * so a field's presence means "the machine must honour it".
 */
#ifndef XLAT_MACHINE_CONFIG_H
#define XLAT_MACHINE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "cpu/cpu_models.h"
#include "util/char/char.h"

#define CONFIG_MAX_SERIAL 4
#define CONFIG_MAX_CHARDEV 8
#define CONFIG_MAX_DEVICES 8
#define CONFIG_MAX_FW_CFG 16

#define CONFIG_RAM_DEFAULT (128ull << 20)
#define CONFIG_RAM_MAX (1ull << 40)
#define CONFIG_FW_CFG_NAME_MAX 55 /* fw_cfg names are 56 bytes with the NUL */

typedef enum MachineType { MACHINE_PC, MACHINE_Q35 } MachineType;

typedef enum AccelBackend { ACCEL_JIT, ACCEL_INTERP } AccelBackend;

/* one -chardev: its spec (spec.id is set) and the value as written */
typedef struct ChardevConfig {
    char *text; /* for messages: "-chardev TEXT: ..." */
    CharSpec spec;
} ChardevConfig;

/*
 * One -serial: absent (`none`), a -chardev (`chardev:ID`, resolved to an
 * index by config_finish()), or a backend of its own in spec.
 */
typedef struct SerialConfig {
    char *text; /* for messages: "-serial TEXT: ..." */
    bool none;
    char *chardev_id; /* chardev:ID as written */
    int chardev;      /* index into MachineConfig.chardev, or -1 */
    CharSpec spec;    /* own backend: !none and chardev < 0 */
} SerialConfig;

typedef enum DeviceKind { DEVICE_ISA_DEBUG_EXIT } DeviceKind;

typedef struct DeviceConfig {
    DeviceKind kind;
    uint16_t iobase; /* isa-debug-exit: default 0x501 */
    uint8_t iosize;  /* isa-debug-exit: 1, 2 or 4; default 2 */
} DeviceConfig;

typedef enum RtcBase {
    RTC_BASE_UTC,
    RTC_BASE_LOCALTIME,
    RTC_BASE_DATE
} RtcBase;

typedef struct FwCfgFile {
    char *name;   /* "opt/..." */
    char *file;   /* contents from this host file, or */
    char *string; /* this string */
} FwCfgFile;

typedef struct MachineConfig {
    MachineType machine;
    CpuX86Model cpu;    /* -cpu, resolved (cpu/cpu_models.h) */
    char *cpu_warnings; /* lines to print before the run, or NULL */
    AccelBackend backend;
    uint64_t ram_size;
    unsigned smp_cpus;

    char *bios;   /* NULL: the default firmware */
    char *kernel; /* NULL: boot from firmware */
    char *initrd;
    char *append;
    char *name;

    /* serial[i] is COM(i+1); each -chardev is used by at most one port */
    SerialConfig serial[CONFIG_MAX_SERIAL];
    unsigned n_serial;
    ChardevConfig chardev[CONFIG_MAX_CHARDEV];
    unsigned n_chardev;

    DeviceConfig devices[CONFIG_MAX_DEVICES];
    unsigned n_devices;

    FwCfgFile fw_cfg[CONFIG_MAX_FW_CFG];
    unsigned n_fw_cfg;

    bool nographic;
    bool display_none;
    bool stopped; /* -S: build the machine, do not start the CPU */
    bool no_reboot;
    bool no_shutdown;

    RtcBase rtc_base;
    time_t rtc_date; /* RTC_BASE_DATE: seconds since the epoch, UTC */

    uint32_t log_mask; /* -d */
    char *log_file;    /* -D */
} MachineConfig;

/* defaults: pc, qemu64, jit, 128M, 1 CPU, no serial decided yet */
void config_init(MachineConfig *cfg);
void config_free(MachineConfig *cfg);

/* name tables shared by -M/-cpu parsing and their `help` */
int config_machine_from_name(const char *name, MachineType *out);
void config_print_machines(FILE *f);
const char *config_machine_name(MachineType m);

/* the index of the -chardev with this id, or -1 */
int config_find_chardev(const MachineConfig *cfg, const char *id);

/*
 * Parsers for the values of -serial, -chardev, -device, -rtc and -fw_cfg.
 * They return 0, or -1 with *err set to one line that does not name the
 * option (the caller adds it): "unknown property 'x'", "not supported yet".
 * -serial and -chardev values are parsed by util/char (char_parse,
 * char_parse_chardev); config.c adds none, chardev:ID and the id checks.
 * config_add_device() prints the device list for "help" and sets *help.
 */
int config_add_serial(MachineConfig *cfg, const char *spec, char **err);
int config_add_chardev(MachineConfig *cfg, const char *spec, char **err);
int config_add_device(MachineConfig *cfg, const char *spec, FILE *out,
                      bool *help, char **err);
int config_set_rtc(MachineConfig *cfg, const char *spec, char **err);
int config_add_fw_cfg(MachineConfig *cfg, const char *spec, char **err);

/*
 * Cross-option checks and defaults once every option is read: -initrd and
 * -append need -kernel; the files must be readable; chardev:ID references
 * exist and are used once; stdio has one user; with no -serial, COM1 goes
 * to stdio (mon:stdio with -nographic). Returns 0, or -1 with *err set to
 * one line naming the option ("-kernel foo: No such file or directory").
 */
int config_finish(MachineConfig *cfg, char **err);

#endif
