/*
 * Direct kernel boot: format detection and what both loaders share. The
 * kernel file is read whole (capped at the RAM below 4 GiB); a Linux setup
 * header ("HdrS" at 0x202, boot.rst) wins, else a multiboot header in the
 * first 8 KiB (Multiboot 0.6.96 sec. 3.1.1). Helpers here check ranges
 * against the RAM map, write through the AddrSpace, and build the flat GDT
 * both protocols enter with (code at 0x10, data at 0x18: Linux's __BOOT_CS
 * and __BOOT_DS; multiboot only asks for flat segments, any selectors).
 */
#include "machine/boot.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/common.h"

#define BOOT_LINUX_MAGIC_OFF 0x202
#define BOOT_GDT_ENTRIES 4

/* flat 4 GiB segments, accessed bit preset (VMCS access-rights layout) */
#define BOOT_ATTR_CODE32 0xc09b /* G, D, P, S, execute/read */
#define BOOT_ATTR_CODE64 0xa09b /* G, L, P, S, execute/read */
#define BOOT_ATTR_DATA 0xc093   /* G, B, P, S, read/write */

void boot_ram_map_add(BootRamMap *map, uint64_t addr, uint64_t size,
                      uint32_t type)
{
    if (size && map->n < BOOT_RAM_MAP_MAX) {
        map->ranges[map->n++] = (BootMemRange){addr, size, type};
    }
}

/* ---- files ---- */

uint8_t *boot_read_file(const char *opt, const char *path, uint64_t max,
                        size_t *len, char **err)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f) {
        *err = xasprintf("%s %s: %s", opt, path, strerror(errno));
        return NULL;
    }
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
        *err = xasprintf("%s %s: not a regular file", opt, path);
        fclose(f);
        return NULL;
    }
    if ((uint64_t)st.st_size > max || (uint64_t)st.st_size > SIZE_MAX / 2) {
        *err = xasprintf("%s %s: 0x%llx bytes do not fit in guest RAM "
                         "(0x%llx bytes usable)",
                         opt, path, (unsigned long long)st.st_size,
                         (unsigned long long)max);
        fclose(f);
        return NULL;
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = xmalloc(n ? n : 1);
    bool ok = fread(buf, 1, n, f) == n;
    fclose(f);
    if (!ok) {
        *err = xasprintf("%s %s: read error", opt, path);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* ---- the RAM map ---- */

static unsigned boot_map_len(const BootRamMap *map)
{
    return MIN(map->n, (unsigned)BOOT_RAM_MAP_MAX);
}

static uint64_t boot_ram_limit(const BootRamMap *map)
{
    return map->below_4g ? MIN(map->below_4g, BOOT_4G) : BOOT_4G;
}

uint64_t boot_ram_total(const BootRamMap *map)
{
    uint64_t total = 0;
    uint64_t limit = boot_ram_limit(map);
    for (unsigned i = 0; i < boot_map_len(map); i++) {
        const BootMemRange *r = &map->ranges[i];
        if (r->type == BOOT_MEM_RAM && r->addr < limit) {
            total += MIN(r->size, limit - r->addr);
        }
    }
    return total;
}

uint64_t boot_ram_extent(const BootRamMap *map, uint64_t addr)
{
    uint64_t end = addr;
    uint64_t limit = boot_ram_limit(map);
    /* each pass extends end by one range: at most n passes */
    for (unsigned pass = 0; pass < boot_map_len(map); pass++) {
        bool grew = false;
        for (unsigned i = 0; i < boot_map_len(map); i++) {
            const BootMemRange *r = &map->ranges[i];
            uint64_t r_end = r->addr + r->size;
            if (r->type == BOOT_MEM_RAM && r->addr <= end && end < r_end &&
                r_end > r->addr) {
                end = r_end;
                grew = true;
            }
        }
        if (!grew) {
            break;
        }
    }
    return MIN(end, MAX(limit, addr));
}

bool boot_ram_contains(const BootRamMap *map, uint64_t addr, uint64_t len)
{
    if (addr >= BOOT_4G || len > BOOT_4G - addr) {
        return false;
    }
    if (len == 0) {
        return true;
    }
    return boot_ram_extent(map, addr) >= addr + len;
}

/* ---- errors and guest writes ---- */

int boot_fail(BootLoad *b, const char *fmt, ...)
{
    va_list ap;
    char msg[512];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    free(*b->err);
    *b->err = xasprintf("-kernel %s: %s", b->path, msg);
    return -1;
}

int boot_write(BootLoad *b, uint64_t addr, const void *buf, uint64_t len)
{
    if (len && as_write(b->as, addr, buf, len, MEMATTRS_CPU) != MEMTX_OK) {
        return boot_fail(b, "cannot write 0x%llx bytes at 0x%llx: not RAM",
                         (unsigned long long)len, (unsigned long long)addr);
    }
    return 0;
}

int boot_zero(BootLoad *b, uint64_t addr, uint64_t len)
{
    static const uint8_t zeros[4096];
    /* len is bounded by RAM size, checked by the caller */
    while (len) {
        uint64_t n = MIN(len, (uint64_t)sizeof(zeros));
        if (boot_write(b, addr, zeros, n) < 0) {
            return -1;
        }
        addr += n;
        len -= n;
    }
    return 0;
}

/* ---- the GDT ---- */

static BootSegment boot_flat(uint16_t sel, uint16_t attr)
{
    return (BootSegment){.selector = sel, .limit = 0xffffffff, .attr = attr};
}

/* the 8-byte descriptor (SDM vol. 3 sec. 3.4.5) for a loaded segment */
static uint64_t boot_descriptor(const BootSegment *s)
{
    uint32_t raw = (s->attr & BIT(15)) ? s->limit >> 12 : s->limit;
    return (uint64_t)(raw & 0xffff) | (uint64_t)(s->base & 0xffffff) << 16 |
           (uint64_t)(s->attr & 0xff) << 40 |
           (uint64_t)((raw >> 16) & 0xf) << 48 |
           (uint64_t)((s->attr >> 12) & 0xf) << 52 |
           (uint64_t)(s->base >> 24) << 56;
}

int boot_setup_gdt(BootLoad *b, BootMode mode)
{
    BootInfo *o = b->out;
    uint16_t code =
        mode == BOOT_MODE_LONG64 ? BOOT_ATTR_CODE64 : BOOT_ATTR_CODE32;
    o->cs = boot_flat(BOOT_SEL_CS, code);
    o->ds = boot_flat(BOOT_SEL_DS, BOOT_ATTR_DATA);
    o->gdt_base = BOOT_GDT_ADDR;
    o->gdt_limit = BOOT_GDT_ENTRIES * 8 - 1;
    o->rflags = BOOT_RFLAGS_FIXED;

    uint8_t gdt[BOOT_GDT_ENTRIES * 8] = {0};
    boot_put_le(gdt + BOOT_SEL_CS, boot_descriptor(&o->cs), 8);
    boot_put_le(gdt + BOOT_SEL_DS, boot_descriptor(&o->ds), 8);
    return boot_write(b, BOOT_GDT_ADDR, gdt, sizeof(gdt));
}

/* ---- detection ---- */

static bool boot_is_linux(const uint8_t *img, size_t size)
{
    return size >= BOOT_LINUX_MAGIC_OFF + 4 &&
           memcmp(img + BOOT_LINUX_MAGIC_OFF, "HdrS", 4) == 0;
}

static int boot_dispatch(BootLoad *b)
{
    size_t hdr_off = 0;
    if (boot_is_linux(b->img, b->size)) {
        return linux_boot_load(b);
    }
    switch (multiboot_find_header(b->img, b->size, &hdr_off)) {
    case 0:
        return multiboot_load(b, hdr_off);
    case -2:
        return boot_fail(b, "multiboot header with a bad checksum");
    default:
        return boot_fail(b, "not a multiboot kernel or a Linux bzImage");
    }
}

int boot_load_kernel_flags(AddrSpace *as, const BootRamMap *map,
                           const char *kernel, const char *initrd,
                           const char *cmdline, unsigned flags, BootInfo *out,
                           char **err)
{
    *err = NULL;
    memset(out, 0, sizeof(*out));
    size_t size = 0;
    uint8_t *img =
        boot_read_file("-kernel", kernel, boot_ram_total(map), &size, err);
    if (!img) {
        return -1;
    }
    BootLoad b = {
        .as = as,
        .map = map,
        .path = kernel,
        .img = img,
        .size = size,
        .initrd = initrd,
        .cmdline = cmdline ? cmdline : "",
        .flags = flags,
        .out = out,
        .err = err,
    };
    int ret = boot_dispatch(&b);
    free(img);
    return ret;
}

int boot_load_kernel(AddrSpace *as, const BootRamMap *map, const char *kernel,
                     const char *initrd, const char *cmdline, BootInfo *out,
                     char **err)
{
    return boot_load_kernel_flags(as, map, kernel, initrd, cmdline, 0, out,
                                  err);
}
