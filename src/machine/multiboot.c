/*
 * Multiboot 1 loader (Multiboot Specification 0.6.96). The header (sec.
 * 3.1) lies 32-bit aligned in the first 8 KiB; the kernel is an ELF32 image
 * (PT_LOAD segments at p_paddr, zero fill up to p_memsz) or, with flag bit
 * 16, raw bytes placed by the header's address fields (the "a.out kludge").
 * Modules from -initrd ("file args,file2") follow the kernel, page aligned.
 * The boot information (sec. 3.3) is built in a host buffer and written at
 * 0x9000, with the memory map, module list and strings after it; the kernel
 * starts in flat 32-bit protected mode, EAX = 0x2BADB002, EBX = the info.
 */
#include <stdlib.h>
#include <string.h>

#include "machine/boot.h"
#include "util/common.h"
#include "util/log.h"

#define MB_MAGIC 0x1badb002u
#define MB_BOOT_MAGIC 0x2badb002u
#define MB_SEARCH 8192
#define MB_F_PAGE_ALIGN BIT(0)
#define MB_F_MEMINFO BIT(1)
#define MB_F_VIDEO BIT(2)
#define MB_F_AOUT BIT(16)
#define MB_F_REQUIRED_MASK 0xffffull

/* the info area: [MB_INFO_ADDR, MB_AREA_END); the GDT sits just below */
#define MB_INFO_ADDR 0x9000ull
#define MB_AREA_END 0x10000ull
#define MB_INFO_SIZE 0x80 /* fixed part incl. the framebuffer fields */
#define MB_MMAP_ENTRY 24  /* size field + base, length, type */
#define MB_MOD_ENTRY 16
#define MB_MAX_MODULES 64
#define MB_PAGE 4096ull

/* info flags (sec. 3.3) and field offsets */
#define MBI_MEM BIT(0)
#define MBI_CMDLINE BIT(2)
#define MBI_MODS BIT(3)
#define MBI_MMAP BIT(6)
#define MBI_LOADER_NAME BIT(9)
enum {
    MBI_FLAGS = 0,
    MBI_MEM_LOWER = 4,
    MBI_MEM_UPPER = 8,
    MBI_CMDLINE_OFF = 16,
    MBI_MODS_COUNT = 20,
    MBI_MODS_ADDR = 24,
    MBI_MMAP_LENGTH = 44,
    MBI_MMAP_ADDR = 48,
    MBI_LOADER_NAME_OFF = 64,
};

/* ELF32 (System V gABI) */
#define ELF_EHDR_SIZE 52
#define ELF_PHDR_SIZE 32
#define ELF_MAX_PHNUM 256
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EM_386 3
#define PT_LOAD 1

typedef struct MbInfo {
    uint8_t buf[MB_AREA_END - MB_INFO_ADDR];
    size_t used;
} MbInfo;

typedef struct MbModule {
    char *path;
    char *string; /* "path args" as the user wrote it */
} MbModule;

int multiboot_find_header(const uint8_t *img, size_t size, size_t *off)
{
    int ret = -1;
    size_t end = MIN(size, (size_t)MB_SEARCH);
    for (size_t i = 0; i + 12 <= end; i += 4) {
        if (boot_le32(img + i) != MB_MAGIC) {
            continue;
        }
        uint32_t sum =
            MB_MAGIC + boot_le32(img + i + 4) + boot_le32(img + i + 8);
        if (sum == 0) {
            *off = i;
            return 0;
        }
        ret = -2;
    }
    return ret;
}

/* ---- loading the image ---- */

/* a kernel range must be RAM and leave the GDT and info area alone */
static int mb_check_range(BootLoad *b, uint64_t addr, uint64_t len,
                          const char *what)
{
    if (!boot_ram_contains(b->map, addr, len)) {
        return boot_fail(b, "%s at 0x%llx (0x%llx bytes) is outside guest RAM",
                         what, (unsigned long long)addr,
                         (unsigned long long)len);
    }
    if (len && addr < MB_AREA_END && addr + len > BOOT_GDT_ADDR) {
        return boot_fail(b,
                         "%s at 0x%llx overlaps the boot information area "
                         "0x%llx-0x%llx",
                         what, (unsigned long long)addr,
                         (unsigned long long)BOOT_GDT_ADDR,
                         (unsigned long long)MB_AREA_END - 1);
    }
    return 0;
}

/* copy filesz bytes from file offset off to addr, zero up to memsz */
static int mb_place(BootLoad *b, uint64_t off, uint64_t addr, uint64_t filesz,
                    uint64_t memsz)
{
    if (boot_write(b, addr, b->img + off, filesz) < 0 ||
        boot_zero(b, addr + filesz, memsz - filesz) < 0) {
        return -1;
    }
    BootInfo *o = b->out;
    if (memsz && (o->kernel_end == 0 || addr < o->kernel_start)) {
        o->kernel_start = addr;
    }
    o->kernel_end = MAX(o->kernel_end, addr + memsz);
    return 0;
}

static int mb_check_phdr(BootLoad *b, const uint8_t *ph, unsigned idx)
{
    uint64_t off = boot_le32(ph + 4), paddr = boot_le32(ph + 12);
    uint64_t filesz = boot_le32(ph + 16), memsz = boot_le32(ph + 20);
    char what[32];
    if (filesz > memsz) {
        return boot_fail(b, "ELF segment %u: p_filesz 0x%llx > p_memsz 0x%llx",
                         idx, (unsigned long long)filesz,
                         (unsigned long long)memsz);
    }
    if (off > b->size || filesz > b->size - off) {
        return boot_fail(b,
                         "ELF segment %u: file data 0x%llx+0x%llx beyond "
                         "the end of the file (truncated?)",
                         idx, (unsigned long long)off,
                         (unsigned long long)filesz);
    }
    snprintf(what, sizeof(what), "ELF segment %u", idx);
    return mb_check_range(b, paddr, memsz, what);
}

static int mb_check_ehdr(BootLoad *b)
{
    const uint8_t *e = b->img;
    if (b->size < ELF_EHDR_SIZE || memcmp(e,
                                          "\x7f"
                                          "ELF",
                                          4) != 0) {
        return boot_fail(b, "multiboot kernel is not ELF and has no address "
                            "fields (header flag bit 16)");
    }
    if (e[4] == ELFCLASS64) {
        return boot_fail(b, "64-bit ELF: a multiboot kernel must be ELF32 "
                            "(objcopy -O elf32-i386)");
    }
    if (e[4] != ELFCLASS32 || e[5] != ELFDATA2LSB ||
        boot_le16(e + 18) != EM_386) {
        return boot_fail(b, "not a little-endian i386 ELF32 image");
    }
    unsigned phnum = boot_le16(e + 44), phentsize = boot_le16(e + 42);
    uint64_t phoff = boot_le32(e + 28);
    if (phnum == 0 || phnum > ELF_MAX_PHNUM || phentsize < ELF_PHDR_SIZE) {
        return boot_fail(b,
                         "bad ELF program headers (e_phnum %u, "
                         "e_phentsize %u)",
                         phnum, phentsize);
    }
    if (phoff > b->size || (uint64_t)phnum * phentsize > b->size - phoff) {
        return boot_fail(b, "ELF program headers beyond the end of the file "
                            "(truncated?)");
    }
    return 0;
}

/* virtual entry points of higher-half kernels map through their segment */
static uint64_t mb_elf_entry(BootLoad *b, uint64_t entry)
{
    const uint8_t *e = b->img;
    unsigned phnum = boot_le16(e + 44), phentsize = boot_le16(e + 42);
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = e + boot_le32(e + 28) + (size_t)i * phentsize;
        uint64_t vaddr = boot_le32(ph + 8), memsz = boot_le32(ph + 20);
        if (boot_le32(ph) == PT_LOAD && entry - vaddr < memsz) {
            return (entry - vaddr + boot_le32(ph + 12)) & 0xffffffff;
        }
    }
    return entry;
}

static int mb_load_elf(BootLoad *b)
{
    if (mb_check_ehdr(b) < 0) {
        return -1;
    }
    const uint8_t *e = b->img;
    unsigned phnum = boot_le16(e + 44), phentsize = boot_le16(e + 42);
    const uint8_t *phdrs = e + boot_le32(e + 28);
    unsigned loads = 0;
    for (int pass = 0; pass < 2; pass++) { /* check all, then load */
        for (unsigned i = 0; i < phnum; i++) {
            const uint8_t *ph = phdrs + (size_t)i * phentsize;
            if (boot_le32(ph) != PT_LOAD) {
                continue;
            }
            if (pass == 0) {
                loads++;
                if (mb_check_phdr(b, ph, i) < 0) {
                    return -1;
                }
            } else if (mb_place(b, boot_le32(ph + 4), boot_le32(ph + 12),
                                boot_le32(ph + 16), boot_le32(ph + 20)) < 0) {
                return -1;
            }
        }
        if (loads == 0) {
            return boot_fail(b, "ELF image has no PT_LOAD segment");
        }
    }
    b->out->rip = mb_elf_entry(b, boot_le32(e + 24));
    return 0;
}

/* sec. 3.1.3: header_addr, load_addr, load_end_addr, bss_end_addr, entry */
static int mb_load_aout(BootLoad *b, size_t hdr_off)
{
    if (b->size - hdr_off < 32) {
        return boot_fail(b, "multiboot header address fields beyond the end "
                            "of the file");
    }
    const uint8_t *h = b->img + hdr_off;
    uint64_t header_addr = boot_le32(h + 12), load_addr = boot_le32(h + 16);
    uint64_t load_end = boot_le32(h + 20), bss_end = boot_le32(h + 24);
    if (load_addr > header_addr || header_addr - load_addr > hdr_off) {
        return boot_fail(b,
                         "multiboot load_addr 0x%llx does not fit "
                         "header_addr 0x%llx",
                         (unsigned long long)load_addr,
                         (unsigned long long)header_addr);
    }
    uint64_t file_off = hdr_off - (header_addr - load_addr);
    uint64_t len = load_end ? load_end - load_addr : b->size - file_off;
    if (load_end && load_end < load_addr) {
        return boot_fail(b, "multiboot load_end_addr below load_addr");
    }
    if (len > b->size - file_off) {
        return boot_fail(b,
                         "multiboot image needs 0x%llx bytes from file "
                         "offset 0x%llx: file truncated",
                         (unsigned long long)len, (unsigned long long)file_off);
    }
    uint64_t memsz = len;
    if (bss_end) {
        if (bss_end < load_addr + len) {
            return boot_fail(b, "multiboot bss_end_addr below load_end_addr");
        }
        memsz = bss_end - load_addr;
    }
    if (mb_check_range(b, load_addr, memsz, "multiboot image") < 0 ||
        mb_place(b, file_off, load_addr, len, memsz) < 0) {
        return -1;
    }
    b->out->rip = boot_le32(h + 28);
    return 0;
}

/* ---- modules ---- */

/* modules in "a args,b": single commas separate, ",," is a comma */
static unsigned mb_count_modules(const char *spec)
{
    unsigned n = 1;
    for (const char *p = spec; *p; p++) {
        if (p[0] == ',' && p[1] == ',') {
            p++;
        } else if (*p == ',') {
            n++;
        }
    }
    return n;
}

/* split the spec into mods[] (at most max; empty entries are skipped) */
static unsigned mb_parse_modules(const char *spec, MbModule *mods, unsigned max)
{
    unsigned n = 0;
    size_t len = strlen(spec), k = 0;
    char *cur = xmalloc(len + 1);
    for (size_t i = 0; i <= len && n < max; i++) {
        if (spec[i] == ',' && spec[i + 1] == ',') {
            cur[k++] = ',';
            i++;
        } else if (spec[i] != ',' && spec[i] != '\0') {
            cur[k++] = spec[i];
        } else if (k) {
            cur[k] = '\0';
            mods[n].string = xstrdup(cur);
            mods[n].path = xstrdup(cur);
            mods[n].path[strcspn(cur, " ")] = '\0';
            n++;
            k = 0;
        }
    }
    free(cur);
    return n;
}

/* bump allocation inside the info area; 0 when it is full */
static uint64_t mb_alloc(MbInfo *mi, size_t len, size_t align)
{
    size_t at = ALIGN_UP(mi->used, align);
    if (at > sizeof(mi->buf) || len > sizeof(mi->buf) - at) {
        return 0;
    }
    mi->used = at + len;
    return MB_INFO_ADDR + at;
}

static uint64_t mb_add_string(MbInfo *mi, const char *s)
{
    size_t len = strlen(s) + 1;
    uint64_t addr = mb_alloc(mi, len, 1);
    if (addr) {
        memcpy(mi->buf + (addr - MB_INFO_ADDR), s, len);
    }
    return addr;
}

static uint8_t *mb_at(MbInfo *mi, uint64_t addr)
{
    return mi->buf + (addr - MB_INFO_ADDR);
}

static int mb_full(BootLoad *b)
{
    return boot_fail(b,
                     "command line and module names exceed the 0x%llx-byte "
                     "multiboot information area",
                     (unsigned long long)(MB_AREA_END - MB_INFO_ADDR));
}

/* read one module to *cursor (page aligned) and fill its list entry */
static int mb_load_module(BootLoad *b, MbInfo *mi, const MbModule *m,
                          uint8_t *entry, uint64_t *cursor)
{
    size_t len = 0;
    uint8_t *data = boot_read_file("-initrd", m->path, boot_ram_total(b->map),
                                   &len, b->err);
    if (!data) {
        return -1;
    }
    uint64_t addr = ALIGN_UP(*cursor, MB_PAGE);
    if (!boot_ram_contains(b->map, addr, len)) {
        free(data);
        free(*b->err);
        *b->err = xasprintf("-initrd %s: module of 0x%zx bytes does not fit "
                            "in RAM at 0x%llx",
                            m->path, len, (unsigned long long)addr);
        return -1;
    }
    int ret = boot_write(b, addr, data, len);
    free(data);
    uint64_t str = mb_add_string(mi, m->string);
    if (ret < 0 || !str) {
        return ret < 0 ? -1 : mb_full(b);
    }
    boot_put_le(entry, addr, 4);
    boot_put_le(entry + 4, addr + len, 4); /* mod_end: first byte after */
    boot_put_le(entry + 8, str, 4);
    if (b->out->n_modules++ == 0) {
        b->out->initrd_addr = addr;
        b->out->initrd_size = len;
    }
    *cursor = addr + len;
    return 0;
}

static int mb_load_modules(BootLoad *b, MbInfo *mi, uint8_t *info)
{
    MbModule mods[MB_MAX_MODULES];
    if (mb_count_modules(b->initrd) > MB_MAX_MODULES) {
        return boot_fail(b, "more than %u multiboot modules", MB_MAX_MODULES);
    }
    unsigned n = mb_parse_modules(b->initrd, mods, MB_MAX_MODULES);
    uint64_t list = mb_alloc(mi, (size_t)n * MB_MOD_ENTRY, 16);
    uint64_t cursor = MAX(b->out->kernel_end, BOOT_HIGH_BASE);
    int ret = list ? 0 : mb_full(b);
    for (unsigned i = 0; i < n; i++) {
        if (ret == 0) {
            ret = mb_load_module(b, mi, &mods[i],
                                 mb_at(mi, list) + i * MB_MOD_ENTRY, &cursor);
        }
        free(mods[i].path);
        free(mods[i].string);
    }
    boot_put_le(info + MBI_MODS_COUNT, n, 4);
    boot_put_le(info + MBI_MODS_ADDR, list, 4);
    return ret;
}

/* ---- the information structure ---- */

static int mb_add_mmap(BootLoad *b, MbInfo *mi, uint8_t *info)
{
    unsigned n = MIN(b->map->n, (unsigned)BOOT_RAM_MAP_MAX);
    uint64_t mmap = mb_alloc(mi, (size_t)n * MB_MMAP_ENTRY, 8);
    if (!mmap) {
        return mb_full(b);
    }
    for (unsigned i = 0; i < n; i++) {
        const BootMemRange *r = &b->map->ranges[i];
        uint8_t *p = mb_at(mi, mmap) + i * MB_MMAP_ENTRY;
        boot_put_le(p, MB_MMAP_ENTRY - 4, 4); /* size excludes itself */
        boot_put_le(p + 4, r->addr, 8);
        boot_put_le(p + 12, r->size, 8);
        boot_put_le(p + 20, r->type, 4);
    }
    boot_put_le(info + MBI_MMAP_LENGTH, (uint64_t)n * MB_MMAP_ENTRY, 4);
    boot_put_le(info + MBI_MMAP_ADDR, mmap, 4);
    return 0;
}

static void mb_add_meminfo(BootLoad *b, uint8_t *info)
{
    uint64_t lower = MIN(boot_ram_extent(b->map, 0), 640ull << 10);
    uint64_t upper = boot_ram_extent(b->map, BOOT_HIGH_BASE) - BOOT_HIGH_BASE;
    boot_put_le(info + MBI_MEM_LOWER, lower >> 10, 4);
    boot_put_le(info + MBI_MEM_UPPER, upper >> 10, 4);
}

/* the kernel's command line is "PATH ARGS", as GRUB passes it */
static int mb_add_cmdline(BootLoad *b, MbInfo *mi, uint8_t *info)
{
    char *line = b->cmdline[0] ? xasprintf("%s %s", b->path, b->cmdline)
                               : xstrdup(b->path);
    uint64_t addr = mb_add_string(mi, line);
    free(line);
    if (!addr) {
        return mb_full(b);
    }
    b->out->cmdline_addr = addr;
    boot_put_le(info + MBI_CMDLINE_OFF, addr, 4);
    return 0;
}

static int mb_build_info(BootLoad *b, MbInfo *mi)
{
    uint8_t *info = mi->buf;
    uint32_t flags = MBI_MEM | MBI_CMDLINE | MBI_MMAP | MBI_LOADER_NAME;
    mi->used = MB_INFO_SIZE;
    mb_add_meminfo(b, info);
    if (mb_add_cmdline(b, mi, info) < 0 || mb_add_mmap(b, mi, info) < 0) {
        return -1;
    }
    uint64_t name = mb_add_string(mi, "xlat");
    if (!name) {
        return mb_full(b);
    }
    boot_put_le(info + MBI_LOADER_NAME_OFF, name, 4);
    if (b->initrd) {
        flags |= MBI_MODS;
        if (mb_load_modules(b, mi, info) < 0) {
            return -1;
        }
    }
    boot_put_le(info + MBI_FLAGS, flags, 4);
    return 0;
}

static int mb_check_flags(BootLoad *b, uint32_t flags)
{
    uint32_t known = MB_F_PAGE_ALIGN | MB_F_MEMINFO | MB_F_VIDEO;
    if (flags & MB_F_REQUIRED_MASK & ~known) {
        return boot_fail(b,
                         "multiboot header requires unsupported features "
                         "(flags 0x%x)",
                         (unsigned)(flags & MB_F_REQUIRED_MASK & ~known));
    }
    if (flags & MB_F_VIDEO) {
        log_unimp("multiboot", "no video mode information (flag bit 2): "
                               "the kernel gets none");
    }
    return 0;
}

int multiboot_load(BootLoad *b, size_t hdr_off)
{
    uint32_t flags = boot_le32(b->img + hdr_off + 4);
    BootInfo *o = b->out;
    if (mb_check_flags(b, flags) < 0) {
        return -1;
    }
    int ret = (flags & MB_F_AOUT) ? mb_load_aout(b, hdr_off) : mb_load_elf(b);
    if (ret < 0) {
        return -1;
    }
    MbInfo *mi = xzalloc(sizeof(*mi));
    ret = mb_build_info(b, mi);
    if (ret == 0) {
        ret = boot_write(b, MB_INFO_ADDR, mi->buf, mi->used);
    }
    free(mi);
    if (ret < 0 || boot_setup_gdt(b, BOOT_MODE_PROT32) < 0) {
        return -1;
    }
    o->kind = BOOT_KIND_MULTIBOOT;
    o->mode = BOOT_MODE_PROT32;
    o->rax = MB_BOOT_MAGIC;
    o->rbx = MB_INFO_ADDR;
    o->info_addr = MB_INFO_ADDR;
    o->cr0 = BOOT_CR0_PE | BOOT_CR0_ET;
    return 0;
}
