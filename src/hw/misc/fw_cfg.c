/*
 * fw_cfg (see fw_cfg.h). Items live in two small tables: the fixed keys
 * plus FW_CFG_MAX_FILES file slots, and the arch-local keys (0x8000 | n).
 * The guest selects an item, then reads it byte by byte from the data port
 * or in one go by DMA. Reads past the end of an item (or of a missing item)
 * return 0. Writes to items are refused (error bit in the DMA status).
 *
 * DMA: the guest writes the address of a 16-byte descriptor {control,
 * length, address} (big-endian); the transfer runs synchronously on the
 * write of the address's last byte, and the control word is written back
 * as 0 or FW_CFG_DMA_CTL_ERROR. Every guest-memory access goes through
 * as_read/as_write, so a bad address is an error status, never a crash.
 */
#include "hw/misc/fw_cfg.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"
#include "util/log.h"

#define FW_CFG_ARCH_SLOTS 32
#define FW_CFG_STD_SLOTS (FW_CFG_FILE_FIRST + FW_CFG_MAX_FILES)
#define FW_CFG_DIR_ENTRY 64 /* size be32, select be16, reserved, name[56] */
#define FW_CFG_DMA_SIG "QEMU CFG"
#define FW_CFG_ZERO_CHUNK 4096

typedef struct FwCfgEntry {
    uint8_t *data;
    uint32_t len;
} FwCfgEntry;

struct FwCfg {
    /* guest-visible state */
    uint16_t cur_key;
    uint32_t cur_off;
    uint8_t dma_reg[8]; /* the DMA address, big-endian */

    FwCfgEntry std[FW_CFG_STD_SLOTS];
    FwCfgEntry arch[FW_CFG_ARCH_SLOTS];
    char names[FW_CFG_MAX_FILES][FW_CFG_NAME_LEN];
    int nfiles;

    MemRegion *io_root;
    MemRegion *mr_io;
    MemRegion *mr_dma;
    AddrSpace *dma_as;
};

static const VmStateField fw_cfg_vmstate[] = {
    VMSTATE_FIELD(FwCfg, cur_key),
    VMSTATE_FIELD(FwCfg, cur_off),
    VMSTATE_FIELD(FwCfg, dma_reg),
};

const VmStateField *fw_cfg_get_vmstate(size_t *count)
{
    *count = ARRAY_LEN(fw_cfg_vmstate);
    return fw_cfg_vmstate;
}

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    put_be16(p, (uint16_t)(v >> 16));
    put_be16(p + 2, (uint16_t)v);
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static uint64_t get_be64(const uint8_t *p)
{
    return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/* the slot for a key, or NULL for keys outside both tables */
static FwCfgEntry *fw_cfg_slot(FwCfg *s, uint16_t key)
{
    unsigned k = key & FW_CFG_ENTRY_MASK;
    if (key & FW_CFG_ARCH_LOCAL) {
        return k < FW_CFG_ARCH_SLOTS ? &s->arch[k] : NULL;
    }
    return k < FW_CFG_STD_SLOTS ? &s->std[k] : NULL;
}

static void fw_cfg_set(FwCfgEntry *e, const void *data, uint32_t len)
{
    free(e->data);
    e->data = xmalloc(len ? len : 1);
    if (len) {
        memcpy(e->data, data, len);
    }
    e->len = len;
}

void fw_cfg_add_bytes(FwCfg *s, uint16_t key, const void *data, uint32_t len)
{
    FwCfgEntry *e = fw_cfg_slot(s, key);
    ASSERT(e && (key & FW_CFG_ARCH_LOCAL || key < FW_CFG_FILE_FIRST));
    fw_cfg_set(e, data, len);
}

void fw_cfg_add_string(FwCfg *s, uint16_t key, const char *str)
{
    fw_cfg_add_bytes(s, key, str, (uint32_t)strlen(str) + 1);
}

static void fw_cfg_add_le(FwCfg *s, uint16_t key, uint64_t v, unsigned n)
{
    uint8_t b[8];
    for (unsigned i = 0; i < n; i++) {
        b[i] = (uint8_t)(v >> (8 * i));
    }
    fw_cfg_add_bytes(s, key, b, n);
}

void fw_cfg_add_i16(FwCfg *s, uint16_t key, uint16_t v)
{
    fw_cfg_add_le(s, key, v, 2);
}

void fw_cfg_add_i32(FwCfg *s, uint16_t key, uint32_t v)
{
    fw_cfg_add_le(s, key, v, 4);
}

void fw_cfg_add_i64(FwCfg *s, uint16_t key, uint64_t v)
{
    fw_cfg_add_le(s, key, v, 8);
}

/* rebuild FW_CFG_FILE_DIR: be32 count, then one 64-byte entry per file */
static void fw_cfg_update_dir(FwCfg *s)
{
    uint32_t len = 4 + (uint32_t)s->nfiles * FW_CFG_DIR_ENTRY;
    uint8_t *dir = xzalloc(len);
    put_be32(dir, (uint32_t)s->nfiles);
    for (int i = 0; i < s->nfiles; i++) {
        uint8_t *d = dir + 4 + i * FW_CFG_DIR_ENTRY;
        put_be32(d, s->std[FW_CFG_FILE_FIRST + i].len);
        put_be16(d + 4, (uint16_t)(FW_CFG_FILE_FIRST + i));
        memcpy(d + 8, s->names[i], FW_CFG_NAME_LEN);
    }
    fw_cfg_set(&s->std[FW_CFG_FILE_DIR], dir, len);
    free(dir);
}

int fw_cfg_find_file(const FwCfg *s, const char *name)
{
    for (int i = 0; i < s->nfiles; i++) {
        if (!strcmp(s->names[i], name)) {
            return FW_CFG_FILE_FIRST + i;
        }
    }
    return -1;
}

int fw_cfg_add_file(FwCfg *s, const char *name, const void *data, uint32_t len)
{
    size_t nl = strlen(name);
    if (nl == 0 || nl >= FW_CFG_NAME_LEN || s->nfiles == FW_CFG_MAX_FILES ||
        fw_cfg_find_file(s, name) >= 0) {
        return -1;
    }
    int i = s->nfiles++;
    memset(s->names[i], 0, FW_CFG_NAME_LEN);
    memcpy(s->names[i], name, nl);
    fw_cfg_set(&s->std[FW_CFG_FILE_FIRST + i], data, len);
    fw_cfg_update_dir(s);
    return FW_CFG_FILE_FIRST + i;
}

/* ---- the port interface ---- */

static void fw_cfg_select(FwCfg *s, uint16_t key)
{
    s->cur_key = key;
    s->cur_off = 0;
}

/* bytes left in the selected item from the current offset */
static uint32_t fw_cfg_avail(FwCfg *s, const FwCfgEntry **ep)
{
    const FwCfgEntry *e = fw_cfg_slot(s, s->cur_key);
    *ep = e;
    if (!e || !e->data || s->cur_off >= e->len) {
        return 0;
    }
    return e->len - s->cur_off;
}

static uint8_t fw_cfg_read_byte(FwCfg *s)
{
    const FwCfgEntry *e;
    if (fw_cfg_avail(s, &e) == 0) {
        return 0;
    }
    return e->data[s->cur_off++];
}

static uint64_t fw_cfg_io_read(void *opaque, uint64_t addr, unsigned size)
{
    FwCfg *s = opaque;
    if (addr == 1 && size == 1) {
        return fw_cfg_read_byte(s);
    }
    log_guest_error("fw_cfg", "read of %u bytes at selector port +0x%x", size,
                    (unsigned)addr);
    return 0;
}

static void fw_cfg_io_write(void *opaque, uint64_t addr, uint64_t val,
                            unsigned size)
{
    FwCfg *s = opaque;
    if (addr == 0) {
        fw_cfg_select(s, (uint16_t)val);
        return;
    }
    /* the legacy data write path: items are read-only here */
    log_guest_error("fw_cfg", "write 0x%x to the data port ignored",
                    (unsigned)val);
}

static const MemOps fw_cfg_io_ops = {
    .read = fw_cfg_io_read,
    .write = fw_cfg_io_write,
    .valid = {.min = 1, .max = 2},
    .impl = {.min = 1, .max = 2},
};

/* ---- DMA ---- */

static bool fw_cfg_dma_zero(FwCfg *s, uint64_t addr, uint32_t len)
{
    static const uint8_t zeros[FW_CFG_ZERO_CHUNK];
    MemAttrs attrs = MEMATTRS_DMA(0);
    while (len > 0) { /* bounded: len shrinks every round */
        uint32_t n = MIN(len, (uint32_t)FW_CFG_ZERO_CHUNK);
        if (as_write(s->dma_as, addr, zeros, n, attrs) != MEMTX_OK) {
            return false;
        }
        addr += n;
        len -= n;
    }
    return true;
}

/* copy `length` bytes of the item to guest addr; past its end, zeros */
static bool fw_cfg_dma_read(FwCfg *s, uint64_t addr, uint32_t length)
{
    const FwCfgEntry *e;
    uint32_t n = MIN(length, fw_cfg_avail(s, &e));
    if (n && as_write(s->dma_as, addr, e->data + s->cur_off, n,
                      MEMATTRS_DMA(0)) != MEMTX_OK) {
        log_guest_error("fw_cfg", "DMA write to 0x%" PRIx64 " failed", addr);
        return false;
    }
    s->cur_off += n;
    if (n < length && !fw_cfg_dma_zero(s, addr + n, length - n)) {
        log_guest_error("fw_cfg", "DMA write to 0x%" PRIx64 " failed",
                        addr + n);
        return false;
    }
    return true;
}

/* run one descriptor; returns false on error */
static bool fw_cfg_dma_run(FwCfg *s, uint32_t control, uint32_t length,
                           uint64_t addr)
{
    const FwCfgEntry *e;
    if (control & FW_CFG_DMA_CTL_SELECT) {
        fw_cfg_select(s, (uint16_t)(control >> 16));
    }
    if (control & FW_CFG_DMA_CTL_WRITE) {
        log_guest_error("fw_cfg", "DMA write to item 0x%x refused",
                        (unsigned)s->cur_key);
        return false;
    }
    if (control & FW_CFG_DMA_CTL_READ) {
        return fw_cfg_dma_read(s, addr, length);
    }
    if (control & FW_CFG_DMA_CTL_SKIP) {
        s->cur_off += MIN(length, fw_cfg_avail(s, &e));
    }
    return true;
}

static void fw_cfg_dma(FwCfg *s, uint64_t desc)
{
    uint8_t d[16];
    if (as_read(s->dma_as, desc, d, sizeof(d), MEMATTRS_DMA(0)) != MEMTX_OK) {
        log_guest_error(
            "fw_cfg", "DMA descriptor at 0x%" PRIx64 " is not readable", desc);
        return;
    }
    bool ok = fw_cfg_dma_run(s, get_be32(d), get_be32(d + 4), get_be64(d + 8));
    uint8_t status[4];
    put_be32(status, ok ? 0 : FW_CFG_DMA_CTL_ERROR);
    if (as_write(s->dma_as, desc, status, 4, MEMATTRS_DMA(0)) != MEMTX_OK) {
        log_guest_error("fw_cfg", "DMA status write to 0x%" PRIx64 " failed",
                        desc);
    }
}

static uint64_t fw_cfg_dma_io_read(void *opaque, uint64_t addr, unsigned size)
{
    static const char sig[8] = FW_CFG_DMA_SIG;
    uint64_t v = 0;
    for (unsigned i = 0; i < size && addr + i < 8; i++) {
        v |= (uint64_t)(uint8_t)sig[addr + i] << (8 * i);
    }
    return v;
}

static void fw_cfg_dma_io_write(void *opaque, uint64_t addr, uint64_t val,
                                unsigned size)
{
    FwCfg *s = opaque;
    for (unsigned i = 0; i < size && addr + i < 8; i++) {
        s->dma_reg[addr + i] = (uint8_t)(val >> (8 * i));
    }
    if (addr + size == 8) { /* the low half (its last byte) starts it */
        uint64_t desc = get_be64(s->dma_reg);
        memset(s->dma_reg, 0, sizeof(s->dma_reg));
        fw_cfg_dma(s, desc);
    }
}

static const MemOps fw_cfg_dma_ops = {
    .read = fw_cfg_dma_io_read,
    .write = fw_cfg_dma_io_write,
    .valid = {.min = 1, .max = 8},
    .impl = {.min = 1, .max = 8},
};

/* ---- -fw_cfg ---- */

static int fw_cfg_read_host_file(const char *path, uint8_t **data,
                                 uint32_t *len, char **err)
{
    FILE *f = fopen(path, "rb");
    long sz = -1;
    if (f && fseek(f, 0, SEEK_END) == 0) {
        sz = ftell(f);
        rewind(f);
    }
    if (!f || sz < 0 || sz > (long)UINT32_MAX) {
        *err = xasprintf("-fw_cfg: %s: %s", path,
                         f ? "cannot size file" : strerror(errno));
        if (f) {
            fclose(f);
        }
        return -1;
    }
    *data = xmalloc(sz ? (size_t)sz : 1);
    *len = (uint32_t)sz;
    bool ok = fread(*data, 1, (size_t)sz, f) == (size_t)sz;
    fclose(f);
    if (!ok) {
        free(*data);
        *err = xasprintf("-fw_cfg: %s: read error", path);
        return -1;
    }
    return 0;
}

/* split "name=..,file=.." / "name=..,string=.." into its values */
static int fw_cfg_parse_opt(const char *opt, char **name, char **file,
                            char **str, char **err)
{
    char *copy = xstrdup(opt);
    char *save = NULL;
    int r = 0;
    for (char *t = strtok_r(copy, ",", &save); t && r == 0;
         t = strtok_r(NULL, ",", &save)) {
        char **dst = !strncmp(t, "name=", 5)     ? name
                     : !strncmp(t, "file=", 5)   ? file
                     : !strncmp(t, "string=", 7) ? str
                                                 : NULL;
        if (!dst || *dst) {
            *err = xasprintf("-fw_cfg: %s: unknown or repeated option", t);
            r = -1;
        } else {
            *dst = xstrdup(strchr(t, '=') + 1);
        }
    }
    free(copy);
    return r;
}

static int fw_cfg_check_opt(const char *name, const char *file, const char *str,
                            char **err)
{
    if (!name || !*name || strlen(name) >= FW_CFG_NAME_LEN) {
        *err = xasprintf("-fw_cfg: name= is required (at most %d characters)",
                         FW_CFG_NAME_LEN - 1);
        return -1;
    }
    if (!file == !str) {
        *err = xasprintf("-fw_cfg: give exactly one of file= and string=");
        return -1;
    }
    if (strncmp(name, "opt/", 4) != 0) {
        log_host_error("xlat: -fw_cfg: name %s should start with opt/", name);
    }
    return 0;
}

int fw_cfg_add_user_file(FwCfg *s, const char *name, const char *file,
                         const char *str, char **err)
{
    uint8_t *data = NULL;
    uint32_t len = 0;
    *err = NULL;
    if (fw_cfg_check_opt(name, file, str, err) < 0) {
        return -1;
    }
    if (file && fw_cfg_read_host_file(file, &data, &len, err) < 0) {
        return -1;
    }
    if (str) {
        data = (uint8_t *)xstrdup(str);
        len = (uint32_t)strlen(str);
    }
    int key = fw_cfg_add_file(s, name, data, len);
    free(data);
    if (key < 0) {
        *err = xasprintf("-fw_cfg: %s: duplicate name or too many files", name);
        return -1;
    }
    return 0;
}

int fw_cfg_add_from_option(FwCfg *s, const char *opt, char **err)
{
    char *name = NULL, *file = NULL, *str = NULL;
    *err = NULL;
    int r = fw_cfg_parse_opt(opt, &name, &file, &str, err);
    if (r == 0) {
        r = fw_cfg_add_user_file(s, name, file, str, err);
    }
    free(name);
    free(file);
    free(str);
    return r;
}

/* ---- life cycle ---- */

FwCfg *fw_cfg_new(MemRegion *io_root, AddrSpace *dma_as)
{
    FwCfg *s = xzalloc(sizeof(*s));
    s->io_root = io_root;
    s->dma_as = dma_as;
    fw_cfg_add_bytes(s, FW_CFG_SIGNATURE, "QEMU", 4);
    fw_cfg_add_i32(s, FW_CFG_ID,
                   FW_CFG_VERSION | (dma_as ? FW_CFG_VERSION_DMA : 0));
    fw_cfg_update_dir(s);
    s->mr_io = mr_new_io("fw_cfg", 2, &fw_cfg_io_ops, s);
    mr_add_subregion(io_root, FW_CFG_IO_BASE, s->mr_io, 0);
    if (dma_as) {
        s->mr_dma = mr_new_io("fw_cfg-dma", 8, &fw_cfg_dma_ops, s);
        mr_add_subregion(io_root, FW_CFG_DMA_IO_BASE, s->mr_dma, 0);
    }
    return s;
}

void fw_cfg_reset(FwCfg *s)
{
    fw_cfg_select(s, FW_CFG_SIGNATURE);
    memset(s->dma_reg, 0, sizeof(s->dma_reg));
}

void fw_cfg_free(FwCfg *s)
{
    if (!s) {
        return;
    }
    mr_del_subregion(s->io_root, s->mr_io);
    mr_free(s->mr_io);
    if (s->mr_dma) {
        mr_del_subregion(s->io_root, s->mr_dma);
        mr_free(s->mr_dma);
    }
    for (size_t i = 0; i < ARRAY_LEN(s->std); i++) {
        free(s->std[i].data);
    }
    for (size_t i = 0; i < ARRAY_LEN(s->arch); i++) {
        free(s->arch[i].data);
    }
    free(s);
}
