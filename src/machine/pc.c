/*
 * The PC machine skeleton (see pc.h). pc_new() builds, in order: the two
 * address spaces, RAM (one block, mapped through aliases: 0-0x9ffff,
 * 0xc0000-lowmem, and the rest at 4 GiB), the BIOS ROM and its ISA alias,
 * then the devices in boot order with their IRQs from the PIC. The VGA
 * window 0xa0000-0xbffff stays unassigned until a display exists.
 *
 * The e820 map is derived from the RAM split and handed to firmware as the
 * fw_cfg file "etc/e820" (20-byte little-endian {addr, size, type} rows).
 *
 * Interrupts go to the 8259 pair only (no IOAPIC yet): HPET routes other
 * than legacy replacement reach nothing, and in legacy mode the HPET and
 * the PIT/RTC share IRQ 0/8 (TODO(lead): gate PIT/RTC on
 * hpet_legacy_mode() once an IOAPIC exists). A20 is enabled while port 92
 * or the i8042 output port enables it (PIIX4 ORs the two).
 */
#include "machine/pc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/acpi/pm.h"
#include "hw/char/uart16550.h"
#include "hw/input/i8042.h"
#include "hw/intc/i8259.h"
#include "hw/misc/debugcon.h"
#include "hw/misc/debugexit.h"
#include "hw/misc/fw_cfg.h"
#include "hw/misc/port80.h"
#include "hw/misc/port92.h"
#include "hw/timer/hpet.h"
#include "hw/timer/i8254.h"
#include "hw/timer/mc146818.h"
#include "util/common.h"
#include "util/log.h"

#define PC_TINY_BIOS_SIZE 0x20000
#define PC_EBDA_BASE 0x9fc00ull
#define PC_BIOS_RESERVED_BASE 0xf0000ull
#define PC_E820_ROW 20
#define PC_HPET_IRQS 24
enum { PC_A20_PORT92, PC_A20_KBC };

static const uint16_t pc_com_base[PC_MAX_SERIAL] = {
    UART_COM1_BASE, UART_COM2_BASE, UART_COM3_BASE, UART_COM4_BASE};
static const int pc_com_irq[PC_MAX_SERIAL] = {UART_COM1_IRQ, UART_COM2_IRQ,
                                              UART_COM3_IRQ, UART_COM4_IRQ};

/* whole host file; a size over `max` is an error */
static uint8_t *pc_load_file(const char *path, uint64_t max, size_t *len,
                             char **err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = xasprintf("%s: %s", path, strerror(errno));
        return NULL;
    }
    long sz = -1;
    if (fseek(f, 0, SEEK_END) == 0) {
        sz = ftell(f);
        rewind(f);
    }
    if (sz < 0 || (uint64_t)sz > max) {
        *err = xasprintf("%s: cannot read, or larger than 0x%llx bytes", path,
                         (unsigned long long)max);
        fclose(f);
        return NULL;
    }
    uint8_t *buf = xmalloc(sz ? (size_t)sz : 1);
    bool ok = fread(buf, 1, (size_t)sz, f) == (size_t)sz;
    fclose(f);
    if (!ok) {
        *err = xasprintf("%s: read error", path);
        free(buf);
        return NULL;
    }
    *len = (size_t)sz;
    return buf;
}

/* ---- memory ---- */

static int pc_map_ram(PcMachine *pc, uint64_t ram_size, char **err)
{
    pc->below_4g = ram_size > PC_LOWMEM_MAX ? PC_LOWMEM_MAX : ram_size;
    pc->above_4g = ram_size - pc->below_4g;
    pc->ram = mr_new_ram("pc.ram", ram_size);
    if (!pc->ram) {
        *err = xasprintf("-m: cannot allocate %llu MiB of guest RAM",
                         (unsigned long long)(ram_size >> 20));
        return -1;
    }

    uint64_t low = MIN(pc->below_4g, PC_VGA_HOLE_BASE);
    pc->ram_alias[0] = mr_new_alias("ram-low", pc->ram, 0, low);
    mr_add_subregion(pc->sys_root, 0, pc->ram_alias[0], 0);
    if (pc->below_4g > PC_VGA_HOLE_END) {
        pc->ram_alias[1] =
            mr_new_alias("ram-below-4g", pc->ram, PC_VGA_HOLE_END,
                         pc->below_4g - PC_VGA_HOLE_END);
        mr_add_subregion(pc->sys_root, PC_VGA_HOLE_END, pc->ram_alias[1], 0);
    }
    if (pc->above_4g) {
        pc->ram_alias[2] =
            mr_new_alias("ram-above-4g", pc->ram, pc->below_4g, pc->above_4g);
        mr_add_subregion(pc->sys_root, PC_HIGHMEM_BASE, pc->ram_alias[2], 0);
    }
    return 0;
}

/* a 128 KiB ROM whose reset vector halts: "cli; hlt; jmp hlt" */
static uint8_t *pc_tiny_bios(size_t *len)
{
    static const uint8_t reset[] = {0xfa, 0xf4, 0xeb, 0xfd};
    uint8_t *rom = xmalloc(PC_TINY_BIOS_SIZE);
    memset(rom, 0xff, PC_TINY_BIOS_SIZE);
    memcpy(rom + PC_TINY_BIOS_SIZE - 16, reset, sizeof(reset));
    *len = PC_TINY_BIOS_SIZE;
    return rom;
}

static int pc_map_bios(PcMachine *pc, const char *path, char **err)
{
    size_t len = 0;
    uint8_t *img =
        path ? pc_load_file(path, PC_BIOS_MAX, &len, err) : pc_tiny_bios(&len);
    if (!img) {
        return -1;
    }
    if (len == 0 || len % 0x10000) {
        *err = xasprintf("%s: BIOS size 0x%zx is not a multiple of 64 KiB",
                         path, len);
        free(img);
        return -1;
    }
    pc->bios = mr_new_rom("pc.bios", len);
    if (!pc->bios) {
        *err = xasprintf("cannot allocate 0x%zx bytes for the BIOS", len);
        free(img);
        return -1;
    }
    memcpy(mr_ram_ptr(pc->bios), img, len);
    free(img);
    mr_add_subregion(pc->sys_root, PC_HIGHMEM_BASE - len, pc->bios, 0);

    uint64_t isa = MIN((uint64_t)len, PC_ISA_BIOS_MAX);
    pc->isa_bios = mr_new_alias("isa-bios", pc->bios, len - isa, isa);
    mr_add_subregion(pc->sys_root, 0x100000 - isa, pc->isa_bios, 1);
    return 0;
}

int pc_e820(const PcMachine *pc, E820Entry *out, int max)
{
    E820Entry all[] = {
        {0, PC_EBDA_BASE, E820_RAM},
        {PC_EBDA_BASE, 0xa0000 - PC_EBDA_BASE, E820_RESERVED},
        {PC_BIOS_RESERVED_BASE, 0x100000 - PC_BIOS_RESERVED_BASE,
         E820_RESERVED},
        {0x100000, pc->below_4g > 0x100000 ? pc->below_4g - 0x100000 : 0,
         E820_RAM},
        {PC_HIGHMEM_BASE, pc->above_4g, E820_RAM},
    };
    int n = 0;
    for (size_t i = 0; i < ARRAY_LEN(all) && n < max; i++) {
        if (all[i].size) {
            out[n++] = all[i];
        }
    }
    return n;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void pc_fw_cfg_e820(PcMachine *pc)
{
    E820Entry e[PC_E820_MAX];
    int n = pc_e820(pc, e, PC_E820_MAX);
    uint8_t buf[PC_E820_MAX * PC_E820_ROW];
    for (int i = 0; i < n; i++) {
        put_le(buf + i * PC_E820_ROW, e[i].addr, 8);
        put_le(buf + i * PC_E820_ROW + 8, e[i].size, 8);
        put_le(buf + i * PC_E820_ROW + 16, e[i].type, 4);
    }
    fw_cfg_add_file(pc->fw_cfg, "etc/e820", buf, (uint32_t)n * PC_E820_ROW);
}

/* ---- fw_cfg ---- */

static int pc_fw_cfg_blob(PcMachine *pc, const char *path, uint16_t size_key,
                          uint16_t data_key, char **err)
{
    size_t len;
    uint8_t *data = pc_load_file(path, UINT32_MAX, &len, err);
    if (!data) {
        return -1;
    }
    fw_cfg_add_i32(pc->fw_cfg, size_key, (uint32_t)len);
    fw_cfg_add_bytes(pc->fw_cfg, data_key, data, (uint32_t)len);
    free(data);
    return 0;
}

static int pc_fw_cfg_boot(PcMachine *pc, const PcConfig *cfg, char **err)
{
    if (cfg->kernel_path &&
        pc_fw_cfg_blob(pc, cfg->kernel_path, FW_CFG_KERNEL_SIZE,
                       FW_CFG_KERNEL_DATA, err) < 0) {
        return -1;
    }
    if (cfg->initrd_path &&
        pc_fw_cfg_blob(pc, cfg->initrd_path, FW_CFG_INITRD_SIZE,
                       FW_CFG_INITRD_DATA, err) < 0) {
        return -1;
    }
    if (cfg->cmdline) {
        fw_cfg_add_i32(pc->fw_cfg, FW_CFG_CMDLINE_SIZE,
                       (uint32_t)strlen(cfg->cmdline) + 1);
        fw_cfg_add_string(pc->fw_cfg, FW_CFG_CMDLINE_DATA, cfg->cmdline);
    }
    return 0;
}

static int pc_setup_fw_cfg(PcMachine *pc, const PcConfig *cfg, char **err)
{
    unsigned cpus = cfg->nb_cpus ? cfg->nb_cpus : 1;
    unsigned max_cpus = cfg->max_cpus ? cfg->max_cpus : cpus;
    pc->fw_cfg = fw_cfg_new(pc->io_root, pc->sys_as);
    fw_cfg_add_i64(pc->fw_cfg, FW_CFG_RAM_SIZE, cfg->ram_size);
    fw_cfg_add_i16(pc->fw_cfg, FW_CFG_NB_CPUS, (uint16_t)cpus);
    fw_cfg_add_i16(pc->fw_cfg, FW_CFG_MAX_CPUS, (uint16_t)max_cpus);
    pc_fw_cfg_e820(pc);
    for (unsigned i = 0; i < cfg->n_fw_cfg; i++) {
        const PcFwCfgItem *it = &cfg->fw_cfg[i];
        if (fw_cfg_add_user_file(pc->fw_cfg, it->name, it->file, it->str, err) <
            0) {
            return -1;
        }
    }
    return pc_fw_cfg_boot(pc, cfg, err);
}

/* ---- wires ---- */

static void pc_intr_handler(void *opaque, int n, int level)
{
    PcMachine *pc = opaque;
    pc->intr_level = level;
    irq_set(&pc->cpu_intr, level);
}

static void pc_a20_handler(void *opaque, int n, int level)
{
    PcMachine *pc = opaque;
    pc->a20_src[n] = level;
    /* TODO(lead): apply the A20 mask in the MMU when the CPU exists */
    pc->a20 = pc->a20_src[PC_A20_PORT92] || pc->a20_src[PC_A20_KBC];
}

static void pc_reset_line(void *opaque, int n, int level)
{
    PcMachine *pc = opaque;
    if (level) {
        main_loop_request_reset(pc->loop);
    }
}

static void pc_debug_exit(void *opaque, int code)
{
    PcMachine *pc = opaque;
    main_loop_request_shutdown(pc->loop, code);
}

static void pc_poweroff(void *opaque)
{
    PcMachine *pc = opaque;
    main_loop_request_shutdown(pc->loop, 0);
}

static void pc_reset_handler(void *opaque)
{
    pc_reset(opaque);
}

void pc_set_cpu_intr(PcMachine *pc, IrqLine intr)
{
    pc->cpu_intr = intr;
    irq_set(&pc->cpu_intr, pc->intr_level);
}

int pc_intack(PcMachine *pc)
{
    return i8259_intack(pc->pic);
}

/* ---- devices ---- */

static IrqLine pc_isa_irq(PcMachine *pc, int n)
{
    return *i8259_irq_line(pc->pic, n);
}

/* timers, RTC, keyboard controller, power management */
static void pc_add_chipset(PcMachine *pc, const PcConfig *cfg)
{
    pc->pic = i8259_new(pc->io_root, irq_line(pc_intr_handler, pc, 0));
    pc->pit = i8254_new(pc->io_root, pc_isa_irq(pc, 0), pc->clock);
    time_t base = cfg->rtc_base ? cfg->rtc_base : time(NULL);
    pc->rtc = mc146818_new(pc->io_root, pc_isa_irq(pc, MC146818_IRQ), pc->clock,
                           base);
    mc146818_cmos_set_memory(pc->rtc, pc->below_4g, pc->above_4g);
    pc->kbc = i8042_new(pc->io_root, pc_isa_irq(pc, I8042_KBD_IRQ),
                        pc_isa_irq(pc, I8042_AUX_IRQ),
                        irq_line(pc_a20_handler, pc, PC_A20_KBC),
                        irq_line(pc_reset_line, pc, 0));
    IrqLine hpet_irqs[PC_HPET_IRQS] = {0};
    for (int i = 0; i < I8259_NUM_IRQS; i++) {
        hpet_irqs[i] = pc_isa_irq(pc, i);
    }
    pc->hpet =
        hpet_new(pc->sys_root, HPET_BASE, hpet_irqs, PC_HPET_IRQS, pc->clock);
    pc->acpi = acpi_pm_new(pc->io_root, ACPI_PM_BASE_DEFAULT,
                           pc_isa_irq(pc, ACPI_PM_SCI_IRQ), pc->clock,
                           pc_poweroff, pc);
}

static void pc_add_devices(PcMachine *pc, const PcConfig *cfg)
{
    pc_add_chipset(pc, cfg);
    for (int i = 0; i < PC_MAX_SERIAL; i++) {
        if (cfg->serial[i]) {
            pc->uart[i] = uart_new(pc->io_root, pc_com_base[i],
                                   pc_isa_irq(pc, pc_com_irq[i]), pc->clock,
                                   cfg->serial[i]);
        }
    }
    pc->port80 = port80_new(pc->io_root, PORT80_IOBASE);
    pc->port92 =
        port92_new(pc->io_root, irq_line(pc_a20_handler, pc, PC_A20_PORT92),
                   irq_line(pc_reset_line, pc, 0));
    if (cfg->debugcon) {
        pc->debugcon =
            debugcon_new(pc->io_root, DEBUGCON_DEFAULT_IOBASE, cfg->debugcon);
    }
    if (cfg->debug_exit) {
        uint16_t base = cfg->debug_exit_iobase ? cfg->debug_exit_iobase
                                               : DEBUGEXIT_DEFAULT_IOBASE;
        uint16_t size = cfg->debug_exit_iosize ? cfg->debug_exit_iosize
                                               : DEBUGEXIT_DEFAULT_IOSIZE;
        pc->debugexit =
            debugexit_new(pc->io_root, base, size, pc_debug_exit, pc);
    }
}

void pc_reset(PcMachine *pc)
{
    i8259_reset(pc->pic);
    i8254_reset(pc->pit);
    mc146818_reset(pc->rtc);
    i8042_reset(pc->kbc);
    hpet_reset(pc->hpet);
    acpi_pm_reset(pc->acpi);
    for (int i = 0; i < PC_MAX_SERIAL; i++) {
        if (pc->uart[i]) {
            uart_reset(pc->uart[i]);
        }
    }
    port80_reset(pc->port80);
    port92_reset(pc->port92);
    fw_cfg_reset(pc->fw_cfg);
}

static int pc_check_config(const PcConfig *cfg, char **err)
{
    ASSERT(cfg->loop);
    if (cfg->ram_size < PC_RAM_MIN) {
        *err = xasprintf("RAM size 0x%llx is below the 1 MiB minimum",
                         (unsigned long long)cfg->ram_size);
        return -1;
    }
    return 0;
}

PcMachine *pc_new(const PcConfig *cfg, char **err)
{
    *err = NULL;
    if (pc_check_config(cfg, err) < 0) {
        return NULL;
    }
    PcMachine *pc = xzalloc(sizeof(*pc));
    pc->loop = cfg->loop;
    pc->clock = main_loop_virtual_clock(cfg->loop);
    mem_begin();
    pc->sys_root = mr_new_container("system", UINT64_MAX);
    pc->io_root = mr_new_container("io", 0x10000);
    pc->sys_as = as_new("memory", pc->sys_root);
    pc->io_as = as_new("I/O", pc->io_root);
    int r = pc_map_ram(pc, cfg->ram_size, err);
    if (r == 0) {
        r = pc_map_bios(pc, cfg->bios_path, err);
    }
    if (r == 0) {
        pc_add_devices(pc, cfg);
        r = pc_setup_fw_cfg(pc, cfg, err);
    }
    mem_commit();
    if (r < 0) {
        pc_free(pc);
        return NULL;
    }
    main_loop_add_reset_handler(pc->loop, pc_reset_handler, pc);
    return pc;
}

static void pc_free_devices(PcMachine *pc)
{
    for (int i = 0; i < PC_MAX_SERIAL; i++) {
        uart_free(pc->uart[i]);
    }
    debugexit_free(pc->debugexit);
    debugcon_free(pc->debugcon);
    port80_free(pc->port80);
    port92_free(pc->port92);
    fw_cfg_free(pc->fw_cfg);
    if (pc->acpi) {
        acpi_pm_free(pc->acpi);
    }
    if (pc->hpet) {
        hpet_free(pc->hpet);
    }
    if (pc->kbc) {
        i8042_free(pc->kbc);
    }
    if (pc->rtc) {
        mc146818_free(pc->rtc);
    }
    if (pc->pit) {
        i8254_free(pc->pit);
    }
    if (pc->pic) {
        i8259_free(pc->pic);
    }
}

void pc_free(PcMachine *pc)
{
    if (!pc) {
        return;
    }
    main_loop_del_reset_handler(pc->loop, pc_reset_handler, pc);
    /* the spaces first, so unmapping devices rebuilds no views */
    as_free(pc->sys_as);
    as_free(pc->io_as);
    pc_free_devices(pc);
    mr_free_tree(pc->sys_root); /* RAM aliases, BIOS and its alias */
    mr_free_tree(pc->io_root);
    mr_free(pc->ram);
    free(pc);
}

void pc_dump_memory(PcMachine *pc, FILE *f)
{
    as_dump(pc->sys_as, f);
    as_dump(pc->io_as, f);
}
