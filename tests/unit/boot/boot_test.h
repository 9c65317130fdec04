/*
 * Shared fixture of the boot-loader tests: a PC-like guest memory (RAM at
 * 0-0x9ffff and 0xc0000 up, the VGA hole unassigned) with its e820-style
 * BootRamMap, temporary files for kernels/initrds, and little-endian reads
 * of guest RAM.
 */
#ifndef XLAT_TESTS_BOOT_TEST_H
#define XLAT_TESTS_BOOT_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "machine/boot.h"

typedef struct TestMachine {
    MemRegion *root, *ram, *low, *high;
    AddrSpace *as;
    BootRamMap map;
    uint64_t ram_size;
    uint8_t *mem; /* host view: guest physical address == offset */
} TestMachine;

void tm_init(TestMachine *m, uint64_t ram_size);
void tm_fini(TestMachine *m);
uint32_t tm_ld32(TestMachine *m, uint64_t addr);
uint64_t tm_ld64(TestMachine *m, uint64_t addr);
const char *tm_str(TestMachine *m, uint64_t addr);

/* a temporary file holding data; free with tf_remove() */
char *tf_create(const void *data, size_t len);
void tf_remove(char *path);
/* a whole file, NULL when it does not exist */
uint8_t *tf_read(const char *path, size_t *len);

void put16(uint8_t *p, uint16_t v);
void put32(uint8_t *p, uint32_t v);
void put64(uint8_t *p, uint64_t v);
uint16_t get16(const uint8_t *p);
uint32_t get32(const uint8_t *p);

#endif
