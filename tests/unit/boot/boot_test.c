/*
 * The boot tests' fixture: a small PC memory map built directly on the
 * address-space API (no machine), plus temporary files. The e820 map is
 * the PC's: low RAM up to the EBDA, reserved EBDA and BIOS, RAM from 1 MiB.
 */
#include "boot_test.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/common.h"

void tm_init(TestMachine *m, uint64_t ram_size)
{
    memset(m, 0, sizeof(*m));
    m->ram_size = ram_size;
    m->root = mr_new_container("root", UINT64_MAX);
    m->ram = mr_new_ram("ram", ram_size);
    m->low = mr_new_alias("ram-low", m->ram, 0, 0xa0000);
    m->high = mr_new_alias("ram-high", m->ram, 0xc0000, ram_size - 0xc0000);
    mr_add_subregion(m->root, 0, m->low, 0);
    mr_add_subregion(m->root, 0xc0000, m->high, 0);
    m->as = as_new("memory", m->root);
    m->mem = mr_ram_ptr(m->ram);
    boot_ram_map_add(&m->map, 0, 0x9fc00, BOOT_MEM_RAM);
    boot_ram_map_add(&m->map, 0x9fc00, 0x400, BOOT_MEM_RESERVED);
    boot_ram_map_add(&m->map, 0xf0000, 0x10000, BOOT_MEM_RESERVED);
    boot_ram_map_add(&m->map, 0x100000, ram_size - 0x100000, BOOT_MEM_RAM);
    m->map.below_4g = ram_size;
}

void tm_fini(TestMachine *m)
{
    as_free(m->as);
    mr_free_tree(m->root);
    mr_free(m->ram);
}

uint32_t tm_ld32(TestMachine *m, uint64_t addr)
{
    cr_assert_lt(addr + 4, m->ram_size);
    return get32(m->mem + addr);
}

uint64_t tm_ld64(TestMachine *m, uint64_t addr)
{
    return tm_ld32(m, addr) | (uint64_t)tm_ld32(m, addr + 4) << 32;
}

const char *tm_str(TestMachine *m, uint64_t addr)
{
    cr_assert_lt(addr, m->ram_size);
    cr_assert_not_null(memchr(m->mem + addr, 0, m->ram_size - addr));
    return (const char *)m->mem + addr;
}

char *tf_create(const void *data, size_t len)
{
    char *path = xstrdup("/tmp/xlat-boot-test-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

void tf_remove(char *path)
{
    unlink(path);
    free(path);
}

uint8_t *tf_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    uint8_t *buf = xmalloc(n > 0 ? (size_t)n : 1);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t get32(const uint8_t *p)
{
    return get16(p) | (uint32_t)get16(p + 2) << 16;
}
