/*
 * Direct kernel boot (`-kernel FILE`): load a Linux bzImage (Linux x86 boot
 * protocol, Documentation/x86/boot.rst, 32-bit and 64-bit entry) or a
 * Multiboot 1 kernel (spec 0.6.96: ELF32 or the a.out kludge) into guest RAM
 * through the system AddrSpace, and describe the CPU state the kernel must
 * start in. The loaders never touch the CPU: the machine applies BootInfo.
 * Every file is user input: a bad one gives one line in *err, never a crash.
 *
 * Low-memory layout (guest physical): GDT at 0x8000; multiboot info area
 * 0x9000-0xffff; Linux boot_params 0x10000, command line 0x20000, 64-bit
 * identity page tables 0x30000-0x35fff; kernels from 1 MiB up.
 */
#ifndef XLAT_MACHINE_BOOT_H
#define XLAT_MACHINE_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmu/memory.h"

/* ---- input: the e820-style RAM map the machine passes in ---- */

#define BOOT_RAM_MAP_MAX 32
#define BOOT_MEM_RAM 1      /* e820 type: usable RAM */
#define BOOT_MEM_RESERVED 2 /* e820 type: reserved */

typedef struct BootMemRange {
    uint64_t addr;
    uint64_t size;
    uint32_t type; /* BOOT_MEM_*, or another e820 type (passed through) */
} BootMemRange;

typedef struct BootRamMap {
    BootMemRange ranges[BOOT_RAM_MAP_MAX]; /* sorted by address */
    unsigned n;
    uint64_t below_4g; /* RAM bytes below 4 GiB: nothing is placed above */
} BootRamMap;

/* append a range (ignored when the map is full or size is 0) */
void boot_ram_map_add(BootRamMap *map, uint64_t addr, uint64_t size,
                      uint32_t type);

/* ---- output: the initial CPU state ---- */

typedef enum BootMode {
    BOOT_MODE_PROT32, /* protected mode, paging off, flat 4 GiB segments */
    BOOT_MODE_LONG64, /* IA-32e mode, 64-bit CS, paging at cr3 (PAE) */
} BootMode;

typedef enum BootKind {
    BOOT_KIND_MULTIBOOT,
    BOOT_KIND_LINUX,
} BootKind;

/*
 * A loaded segment register. attr uses the VMCS access-rights layout
 * (SDM vol. 3, "Guest Register State"): bits 3:0 type, 4 S, 6:5 DPL, 7 P, 12
 * AVL, 13 L, 14 D/B, 15 G. limit is byte-granular (0xffffffff for flat).
 */
typedef struct BootSegment {
    uint16_t selector;
    uint32_t base;
    uint32_t limit;
    uint16_t attr;
} BootSegment;

#define BOOT_CR0_PE BIT(0)
#define BOOT_CR0_ET BIT(4)
#define BOOT_CR0_PG BIT(31)
#define BOOT_CR4_PAE BIT(5)
#define BOOT_EFER_LME BIT(8)
#define BOOT_EFER_LMA BIT(10)
#define BOOT_RFLAGS_FIXED 0x2 /* bit 1 set, IF clear: interrupts off */

typedef struct BootInfo {
    BootKind kind;
    BootMode mode;
    uint64_t rip;
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp; /* rsp 0: the kernel's */
    uint64_t rflags;
    BootSegment cs;
    BootSegment ds; /* also ES, FS, GS and SS */
    uint64_t gdt_base;
    uint16_t gdt_limit;
    uint64_t cr0, cr3, cr4, efer; /* cr3 is 0 without paging */
    /* what was placed where (logs, tests, the monitor) */
    uint64_t kernel_start, kernel_end; /* loaded image incl. zero fill */
    uint64_t info_addr;                /* multiboot info or Linux boot_params */
    uint64_t cmdline_addr;             /* 0: none */
    uint64_t initrd_addr, initrd_size; /* Linux; multiboot: first module */
    unsigned n_modules;                /* multiboot */
    uint16_t linux_version;            /* boot protocol, e.g. 0x020f */
} BootInfo;

/* boot_load_kernel_flags() flags */
#define BOOT_LINUX_64 BIT(0) /* Linux: enter at startup_64 in long mode */

/*
 * Detect the format (Linux "HdrS" at 0x202 first, else a multiboot header
 * in the first 8 KiB) and load kernel, initrd (Linux: one file; multiboot:
 * comma-separated modules "file args,file2", ",," for a literal comma) and
 * cmdline (NULL means empty). Returns 0, or -1 with *err set to one line
 * for the user (free it), e.g. "-kernel X: not a multiboot kernel or a
 * Linux bzImage". Guest memory may be partly written on failure.
 */
int boot_load_kernel(AddrSpace *as, const BootRamMap *map, const char *kernel,
                     const char *initrd, const char *cmdline, BootInfo *out,
                     char **err) MUST_CHECK;
int boot_load_kernel_flags(AddrSpace *as, const BootRamMap *map,
                           const char *kernel, const char *initrd,
                           const char *cmdline, unsigned flags, BootInfo *out,
                           char **err) MUST_CHECK;

/* ---- shared by boot.c, multiboot.c and linux_boot.c only ---- */

#define BOOT_GDT_ADDR 0x8000ull
#define BOOT_SEL_CS 0x10 /* Linux __BOOT_CS */
#define BOOT_SEL_DS 0x18 /* Linux __BOOT_DS */
#define BOOT_HIGH_BASE 0x100000ull
#define BOOT_4G 0x100000000ull

typedef struct BootLoad {
    AddrSpace *as;
    const BootRamMap *map;
    const char *path; /* the kernel file */
    const uint8_t *img;
    size_t size;
    const char *initrd;  /* NULL: none */
    const char *cmdline; /* never NULL */
    unsigned flags;
    BootInfo *out;
    char **err;
} BootLoad;

/* a whole host file, at most max bytes; NULL with *err ("OPT PATH: ...") */
uint8_t *boot_read_file(const char *opt, const char *path, uint64_t max,
                        size_t *len, char **err);
/* the sum of RAM below 4 GiB in the map: the cap for any one file */
uint64_t boot_ram_total(const BootRamMap *map);
/* [addr, addr+len) lies in RAM ranges (contiguous) below 4 GiB */
bool boot_ram_contains(const BootRamMap *map, uint64_t addr, uint64_t len);
/* end of the contiguous RAM that starts at or contains addr (addr if none) */
uint64_t boot_ram_extent(const BootRamMap *map, uint64_t addr);
/* sets *b->err to "-kernel PATH: ..." and returns -1 */
int boot_fail(BootLoad *b, const char *fmt, ...) PRINTF_FMT(2, 3);
/* as_write / zero fill; -1 with *b->err when the target is not writable */
int boot_write(BootLoad *b, uint64_t addr, const void *buf, uint64_t len);
int boot_zero(BootLoad *b, uint64_t addr, uint64_t len);
/* write the flat GDT for mode and set cs, ds, gdt_*, rflags in b->out */
int boot_setup_gdt(BootLoad *b, BootMode mode);

static inline uint16_t boot_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t boot_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
static inline uint64_t boot_le64(const uint8_t *p)
{
    return boot_le32(p) | (uint64_t)boot_le32(p + 4) << 32;
}
static inline void boot_put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* the loaders; hdr_off is where the multiboot header was found */
int multiboot_load(BootLoad *b, size_t hdr_off);
/* 0: a valid header at *off; -1: none; -2: magic with a bad checksum */
int multiboot_find_header(const uint8_t *img, size_t size, size_t *off);
int linux_boot_load(BootLoad *b);

#endif
