/*
 * The PC machine skeleton (i440FX-style ISA board, no PCI yet): system
 * memory and I/O address spaces, RAM split around the PCI hole, the BIOS
 * ROM at the top of 4 GiB with its last 128 KiB aliased below 1 MiB, and
 * the legacy ISA devices at their standard ports and IRQs (PIC, PIT, RTC,
 * i8042, HPET, ACPI PM, COM1-4, port 80/92, fw_cfg). The CPU side
 * (vCPUs, the A20 mask in the MMU, INTR delivery) is the lead's to attach
 * through the hooks below.
 */
#ifndef XLAT_MACHINE_PC_H
#define XLAT_MACHINE_PC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "hw/irq.h"
#include "machine/main_loop.h"
#include "mmu/memory.h"
#include "util/char/char.h"

#define PC_MAX_SERIAL 4
#define PC_LOWMEM_MAX 0xc0000000ull /* below-4G RAM when RAM > 3 GiB */
#define PC_HIGHMEM_BASE 0x100000000ull
#define PC_VGA_HOLE_BASE 0xa0000ull /* 0xa0000-0xbffff: VGA MMIO, later */
#define PC_VGA_HOLE_END 0xc0000ull
#define PC_ISA_BIOS_MAX 0x20000ull /* aliased at 1 MiB - size */
#define PC_BIOS_MAX (16ull << 20)
#define PC_RAM_MIN (1ull << 20)

typedef struct PcFwCfgItem {
    const char *name; /* "opt/..." */
    const char *file; /* host file, or */
    const char *str;  /* a string (no NUL stored) */
} PcFwCfgItem;

typedef struct PcConfig {
    MainLoop *loop;        /* required: clocks, shutdown and reset requests */
    uint64_t ram_size;     /* >= 1 MiB */
    unsigned nb_cpus;      /* 0 means 1 */
    unsigned max_cpus;     /* 0 means nb_cpus */
    const char *bios_path; /* NULL: a tiny internal ROM that halts */
    CharBackend *serial[PC_MAX_SERIAL]; /* COM1-4; NULL: port absent */
    CharBackend *debugcon;              /* port 0xe9; NULL: absent */
    bool debug_exit;                    /* -device isa-debug-exit */
    uint16_t debug_exit_iobase;         /* 0: 0x501 */
    uint16_t debug_exit_iosize;         /* 0: 2 */
    const char *kernel_path;            /* fw_cfg kernel/initrd/cmdline */
    const char *initrd_path;
    const char *cmdline;
    const PcFwCfgItem *fw_cfg;
    unsigned n_fw_cfg;
    time_t rtc_base; /* the RTC's time at start; 0: the host's time now */
} PcConfig;

typedef struct E820Entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} E820Entry;

#define E820_RAM 1
#define E820_RESERVED 2
#define PC_E820_MAX 8

typedef struct Uart Uart;
typedef struct DebugExit DebugExit;
typedef struct DebugCon DebugCon;
typedef struct Port80 Port80;
typedef struct Port92 Port92;
typedef struct FwCfg FwCfg;
typedef struct I8259 I8259;
typedef struct I8254 I8254;
typedef struct Mc146818 Mc146818;
typedef struct I8042 I8042;
typedef struct Hpet Hpet;
typedef struct AcpiPm AcpiPm;

typedef struct PcMachine {
    MainLoop *loop;
    Clock *clock; /* the loop's virtual clock */

    MemRegion *sys_root; /* the system memory container */
    MemRegion *io_root;  /* the 64 KiB I/O port container */
    AddrSpace *sys_as;
    AddrSpace *io_as;

    MemRegion *ram;          /* all guest RAM, one block */
    MemRegion *ram_alias[3]; /* 0-0xa0000, 0xc0000-lowmem, above 4G */
    MemRegion *bios;         /* ROM at 4 GiB - size */
    MemRegion *isa_bios;     /* alias of its last 128 KiB */
    uint64_t below_4g, above_4g;

    Uart *uart[PC_MAX_SERIAL];
    DebugExit *debugexit;
    DebugCon *debugcon;
    Port80 *port80;
    Port92 *port92;
    FwCfg *fw_cfg;
    I8259 *pic;
    I8254 *pit;
    Mc146818 *rtc;
    I8042 *kbc;
    Hpet *hpet;
    AcpiPm *acpi;

    /* CPU-facing wires: INTR from the PIC, and the A20 gate */
    IrqLine cpu_intr; /* set by the lead; the PIC output goes there */
    int intr_level;
    int a20_src[2]; /* A20 as port 92 and the i8042 drive it */
    int a20;        /* 1: A20 enabled (either source) */
} PcMachine;

/* build the board; NULL with *err (free it) on a host/config error */
PcMachine *pc_new(const PcConfig *cfg, char **err);
void pc_free(PcMachine *pc);
/* the machine reset (also registered as a main-loop reset handler) */
void pc_reset(PcMachine *pc);

/* where the PIC's INTR output goes (the vCPU's interrupt request) */
void pc_set_cpu_intr(PcMachine *pc, IrqLine intr);
/* the vector of the interrupt being acknowledged, from the PIC */
int pc_intack(PcMachine *pc);

/* the e820 map: returns the number of entries written (<= max) */
int pc_e820(const PcMachine *pc, E820Entry *out, int max);
/* `-d mmu`: both address spaces, tree and flat view */
void pc_dump_memory(PcMachine *pc, FILE *f);

#endif
