/*
 * Linux x86 boot protocol loader (Documentation/x86/boot.rst), the 32-bit
 * and 64-bit boot protocols: no real-mode code runs. boot_params (the
 * "zero page") is zeroed, the setup header (0x1f1 to 0x202 + byte 0x201)
 * copied from the image and filled in (type_of_loader, heap, cmd_line_ptr,
 * the ramdisk, vid_mode, code32_start), the e820 table added; the
 * protected-mode kernel (after (setup_sects + 1) * 512 bytes, setup_sects
 * 0 meaning 4) goes to 1 MiB, or to pref_address for a relocatable kernel
 * when it fits; the initrd to the top of RAM below initrd_addr_max. Entry:
 * code32_start in flat 32-bit mode, or load + 0x200 (startup_64) in long
 * mode with the first 4 GiB identity-mapped by 2 MiB pages; ESI/RSI = the
 * zero page, __BOOT_CS 0x10, __BOOT_DS 0x18, interrupts off.
 */
#include <stdlib.h>
#include <string.h>

#include "machine/boot.h"
#include "util/common.h"

/* where things go in guest memory */
#define LX_ZERO_PAGE 0x10000ull
#define LX_CMDLINE 0x20000ull
#define LX_CMDLINE_MAX 0x10000ull /* bytes incl. the NUL */
#define LX_PT_BASE 0x30000ull     /* PML4, PDPT, 4 PDs */
#define LX_PAGE 4096ull
#define LX_PT_PAGES 6
#define LX_HEAP_END 0xe000 /* as if the setup code were loaded */
#define LX_ENTRY64_OFF 0x200

/* boot_params offsets (boot.rst "THE ZERO PAGE" / "THE REAL-MODE KERNEL
 * HEADER") */
enum {
    LX_E820_ENTRIES = 0x1e8,
    LX_HDR_START = 0x1f1,
    LX_SETUP_SECTS = 0x1f1,
    LX_VID_MODE = 0x1fa,
    LX_BOOT_FLAG = 0x1fe,
    LX_HDR_END_BYTE = 0x201,
    LX_VERSION = 0x206,
    LX_TYPE_OF_LOADER = 0x210,
    LX_LOADFLAGS = 0x211,
    LX_CODE32_START = 0x214,
    LX_RAMDISK_IMAGE = 0x218,
    LX_RAMDISK_SIZE = 0x21c,
    LX_HEAP_END_PTR = 0x224,
    LX_CMD_LINE_PTR = 0x228,
    LX_INITRD_ADDR_MAX = 0x22c,
    LX_KERNEL_ALIGNMENT = 0x230,
    LX_RELOCATABLE = 0x234,
    LX_XLOADFLAGS = 0x236,
    LX_CMDLINE_SIZE = 0x238,
    LX_PREF_ADDRESS = 0x258,
    LX_INIT_SIZE = 0x260,
    LX_E820_TABLE = 0x2d0,
};
#define LX_E820_MAX 128
#define LX_E820_ROW 20
#define LX_LOADED_HIGH BIT(0)
#define LX_CAN_USE_HEAP BIT(7)
#define LX_XLF_KERNEL_64 BIT(0)
#define LX_MIN_VERSION 0x0206

typedef struct LinuxHdr {
    uint16_t version;
    uint8_t loadflags;
    uint32_t setup_size; /* bytes before the protected-mode kernel */
    uint64_t payload;    /* protected-mode kernel bytes in the file */
    uint64_t load;       /* where it goes */
    uint64_t reserve;    /* bytes from load the kernel needs (init_size) */
    uint64_t initrd_max; /* last byte the initrd may occupy */
} LinuxHdr;

static int lx_parse(BootLoad *b, LinuxHdr *h)
{
    const uint8_t *img = b->img;
    if (b->size < LX_VERSION + 2) {
        return boot_fail(b, "Linux setup header truncated");
    }
    h->version = boot_le16(img + LX_VERSION);
    if (h->version < LX_MIN_VERSION) {
        return boot_fail(b,
                         "Linux boot protocol %u.%02u is too old (xlat "
                         "needs 2.06 or later)",
                         h->version >> 8, h->version & 0xff);
    }
    unsigned sects = img[LX_SETUP_SECTS] ? img[LX_SETUP_SECTS] : 4;
    h->setup_size = (sects + 1) * 512;
    if (b->size <= h->setup_size) {
        return boot_fail(b,
                         "file of 0x%zx bytes ends inside the 0x%x-byte "
                         "setup code (setup_sects %u): truncated",
                         b->size, h->setup_size, sects);
    }
    if (boot_le16(img + LX_BOOT_FLAG) != 0xaa55) {
        return boot_fail(b, "Linux boot_flag is not 0xAA55");
    }
    h->loadflags = img[LX_LOADFLAGS];
    if (!(h->loadflags & LX_LOADED_HIGH)) {
        return boot_fail(b, "zImage (loadflags without LOADED_HIGH) is not "
                            "supported: use a bzImage");
    }
    h->payload = b->size - h->setup_size;
    h->initrd_max = boot_le32(img + LX_INITRD_ADDR_MAX);
    return 0;
}

/* 1 MiB, or pref_address (2.10+) for a relocatable kernel that fits */
static int lx_place_kernel(BootLoad *b, LinuxHdr *h)
{
    const uint8_t *img = b->img;
    uint64_t init = h->version >= 0x020a ? boot_le32(img + LX_INIT_SIZE) : 0;
    uint64_t pref = h->version >= 0x020a ? boot_le64(img + LX_PREF_ADDRESS) : 0;
    uint64_t need = MAX(init, h->payload);
    h->load = BOOT_HIGH_BASE;
    if (img[LX_RELOCATABLE] && pref > BOOT_HIGH_BASE && pref < BOOT_4G &&
        boot_ram_contains(b->map, pref, need)) {
        h->load = pref;
    }
    if (!boot_ram_contains(b->map, h->load, h->payload)) {
        return boot_fail(b,
                         "kernel of 0x%llx bytes does not fit in RAM at "
                         "0x%llx",
                         (unsigned long long)h->payload,
                         (unsigned long long)h->load);
    }
    /* the kernel decompresses into [load, load + init_size) */
    uint64_t top = boot_ram_extent(b->map, h->load);
    h->reserve = MIN(need, top - h->load);
    b->out->kernel_start = h->load;
    b->out->kernel_end = h->load + h->payload;
    return 0;
}

static int lx_set_cmdline(BootLoad *b, uint8_t *zp)
{
    uint64_t len = strlen(b->cmdline);
    uint64_t max =
        MIN((uint64_t)boot_le32(b->img + LX_CMDLINE_SIZE), LX_CMDLINE_MAX - 1);
    if (len > max) {
        return boot_fail(b,
                         "command line of %llu bytes is too long (the "
                         "kernel accepts %llu, cmdline_size)",
                         (unsigned long long)len, (unsigned long long)max);
    }
    if (boot_write(b, LX_CMDLINE, b->cmdline, len + 1) < 0) {
        return -1;
    }
    boot_put_le(zp + LX_CMD_LINE_PTR, LX_CMDLINE, 4);
    b->out->cmdline_addr = LX_CMDLINE;
    return 0;
}

/* the highest page-aligned address in RAM, below the limit, above the kernel */
static uint64_t lx_initrd_addr(BootLoad *b, const LinuxHdr *h, uint64_t len)
{
    uint64_t limit = MIN(h->initrd_max, BOOT_4G - 1) + 1;
    uint64_t floor = h->load + h->reserve, best = 0;
    const BootRamMap *map = b->map;
    for (unsigned i = 0; i < MIN(map->n, (unsigned)BOOT_RAM_MAP_MAX); i++) {
        const BootMemRange *r = &map->ranges[i];
        if (r->type != BOOT_MEM_RAM || r->addr >= limit) {
            continue;
        }
        uint64_t top = MIN(boot_ram_extent(map, r->addr), limit);
        if (top < len || top - len < MAX(r->addr, floor)) {
            continue;
        }
        uint64_t addr = ALIGN_DOWN(top - len, LX_PAGE);
        if (addr >= MAX(r->addr, floor) && addr > best) {
            best = addr;
        }
    }
    return best;
}

static int lx_load_initrd(BootLoad *b, const LinuxHdr *h, uint8_t *zp)
{
    size_t len = 0;
    uint8_t *data = boot_read_file("-initrd", b->initrd, boot_ram_total(b->map),
                                   &len, b->err);
    if (!data) {
        return -1;
    }
    uint64_t addr = lx_initrd_addr(b, h, len);
    if (!addr) {
        free(data);
        *b->err = xasprintf("-initrd %s: 0x%zx bytes do not fit in RAM "
                            "between the kernel (end 0x%llx) and "
                            "initrd_addr_max 0x%llx",
                            b->initrd, len,
                            (unsigned long long)(h->load + h->reserve),
                            (unsigned long long)h->initrd_max);
        return -1;
    }
    int ret = boot_write(b, addr, data, len);
    free(data);
    boot_put_le(zp + LX_RAMDISK_IMAGE, addr, 4);
    boot_put_le(zp + LX_RAMDISK_SIZE, len, 4);
    b->out->initrd_addr = addr;
    b->out->initrd_size = len;
    return ret;
}

/* "vga=normal|ext|ask|N" (the last one wins); -1 when absent */
static long lx_vga_mode(const char *cmdline)
{
    long mode = -1;
    for (const char *p = strstr(cmdline, "vga="); p;
         p = strstr(p + 1, "vga=")) {
        if (p != cmdline && p[-1] != ' ') {
            continue;
        }
        const char *v = p + 4;
        if (strncmp(v, "normal", 6) == 0) {
            mode = 0xffff;
        } else if (strncmp(v, "ext", 3) == 0) {
            mode = 0xfffe;
        } else if (strncmp(v, "ask", 3) == 0) {
            mode = 0xfffd;
        } else {
            mode = (long)(strtoul(v, NULL, 0) & 0xffff);
        }
    }
    return mode;
}

static void lx_add_e820(BootLoad *b, uint8_t *zp)
{
    unsigned n = MIN(b->map->n, (unsigned)BOOT_RAM_MAP_MAX);
    n = MIN(n, (unsigned)LX_E820_MAX);
    for (unsigned i = 0; i < n; i++) {
        const BootMemRange *r = &b->map->ranges[i];
        uint8_t *row = zp + LX_E820_TABLE + i * LX_E820_ROW;
        boot_put_le(row, r->addr, 8);
        boot_put_le(row + 8, r->size, 8);
        boot_put_le(row + 16, r->type, 4);
    }
    zp[LX_E820_ENTRIES] = (uint8_t)n;
}

/* the setup header as the image has it; lx_parse checked the size */
static void lx_copy_header(BootLoad *b, uint8_t *zp)
{
    unsigned end = LX_HDR_END_BYTE + 1 + b->img[LX_HDR_END_BYTE];
    memcpy(zp + LX_HDR_START, b->img + LX_HDR_START, end - LX_HDR_START);
}

/* the header fields a boot loader writes (boot.rst, "Details of header") */
static void lx_fill_header(BootLoad *b, const LinuxHdr *h, uint8_t *zp,
                           uint32_t entry32)
{
    zp[LX_TYPE_OF_LOADER] = 0xff; /* undefined loader */
    zp[LX_LOADFLAGS] = h->loadflags | LX_CAN_USE_HEAP;
    boot_put_le(zp + LX_HEAP_END_PTR, LX_HEAP_END - 0x200, 2);
    boot_put_le(zp + LX_CODE32_START, entry32, 4);
    long vga = lx_vga_mode(b->cmdline);
    if (vga >= 0) {
        boot_put_le(zp + LX_VID_MODE, (uint64_t)vga, 2);
    }
    lx_add_e820(b, zp);
}

/* PML4[0] -> PDPT, PDPT[0..3] -> PD0..3, PDn[i] = 2 MiB page n*1G + i*2M */
static int lx_page_tables(BootLoad *b)
{
    uint8_t *pt = xzalloc(LX_PT_PAGES * LX_PAGE);
    const uint64_t rw = 0x3, large = 0x83; /* P|RW, P|RW|PS */
    boot_put_le(pt, (LX_PT_BASE + LX_PAGE) | rw, 8);
    for (unsigned i = 0; i < 4; i++) {
        boot_put_le(pt + LX_PAGE + i * 8, (LX_PT_BASE + (2 + i) * LX_PAGE) | rw,
                    8);
    }
    for (unsigned i = 0; i < 4 * 512; i++) {
        boot_put_le(pt + 2 * LX_PAGE + i * 8, ((uint64_t)i << 21) | large, 8);
    }
    int ret = boot_write(b, LX_PT_BASE, pt, LX_PT_PAGES * LX_PAGE);
    free(pt);
    return ret;
}

static int lx_set_entry(BootLoad *b, const LinuxHdr *h, uint32_t entry32)
{
    BootInfo *o = b->out;
    bool is64 = b->flags & BOOT_LINUX_64;
    if (boot_setup_gdt(b, is64 ? BOOT_MODE_LONG64 : BOOT_MODE_PROT32) < 0) {
        return -1;
    }
    o->kind = BOOT_KIND_LINUX;
    o->linux_version = h->version;
    o->info_addr = LX_ZERO_PAGE;
    o->rsi = LX_ZERO_PAGE; /* EBP, EDI, EBX stay 0 as boot.rst asks */
    o->cr0 = BOOT_CR0_PE | BOOT_CR0_ET;
    if (!is64) {
        o->mode = BOOT_MODE_PROT32;
        o->rip = entry32;
        return 0;
    }
    if (lx_page_tables(b) < 0) {
        return -1;
    }
    o->mode = BOOT_MODE_LONG64;
    o->rip = h->load + LX_ENTRY64_OFF;
    o->cr0 |= BOOT_CR0_PG;
    o->cr3 = LX_PT_BASE;
    o->cr4 = BOOT_CR4_PAE;
    o->efer = BOOT_EFER_LME | BOOT_EFER_LMA;
    return 0;
}

static int lx_check_64(BootLoad *b, const LinuxHdr *h)
{
    uint16_t xlf = h->version >= 0x020c ? boot_le16(b->img + LX_XLOADFLAGS) : 0;
    if ((b->flags & BOOT_LINUX_64) && !(xlf & LX_XLF_KERNEL_64)) {
        return boot_fail(b,
                         "kernel has no 64-bit entry point (XLF_KERNEL_64 "
                         "not set, boot protocol %u.%02u)",
                         h->version >> 8, h->version & 0xff);
    }
    return 0;
}

int linux_boot_load(BootLoad *b)
{
    LinuxHdr h = {0};
    if (lx_parse(b, &h) < 0 || lx_check_64(b, &h) < 0 ||
        lx_place_kernel(b, &h) < 0) {
        return -1;
    }
    /* code32_start is the load address; follow a relocation */
    uint32_t entry32 = h.load == BOOT_HIGH_BASE
                           ? boot_le32(b->img + LX_CODE32_START)
                           : (uint32_t)h.load;
    uint8_t *zp = xzalloc(LX_PAGE);
    int ret = -1;
    lx_copy_header(b, zp);
    if (lx_set_cmdline(b, zp) == 0 &&
        (!b->initrd || lx_load_initrd(b, &h, zp) == 0) &&
        boot_write(b, h.load, b->img + h.setup_size, h.payload) == 0) {
        lx_fill_header(b, &h, zp, entry32);
        ret = boot_write(b, LX_ZERO_PAGE, zp, LX_PAGE);
    }
    free(zp);
    if (ret < 0) {
        return -1;
    }
    return lx_set_entry(b, &h, entry32);
}
