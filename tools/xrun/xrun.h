/*
 * xrun: run a static, freestanding x86-64 Linux ELF program on xlat's CPU
 * (like qemu-x86_64 for programs without libc). The guest gets a flat
 * address space: RAM identity-mapped by 4-level page tables with 2 MiB
 * pages from XRUN_LOW up, CPL 3 in 64-bit mode, and two system calls
 * (write to fd 1/2, exit/exit_group) emulated at the #UD that SYSCALL
 * raises while EFER.SCE is clear.
 */
#ifndef XLAT_TOOLS_XRUN_H
#define XLAT_TOOLS_XRUN_H

#include <stddef.h>
#include <stdint.h>

#define XRUN_RAM_SIZE (256ull << 20)
#define XRUN_LOW (2ull << 20) /* the first 2 MiB: page tables, unmapped */
#define XRUN_PAGE_2M (2ull << 20)

typedef struct XrunImage {
    uint64_t entry;
    uint64_t end; /* highest byte loaded + 1 */
} XrunImage;

/*
 * Load the ELF file img[0..len) into ram (identity: guest address =
 * offset in ram) between XRUN_LOW and ram_size. Returns 0, or -1 with a
 * one-line reason in err. Never reads outside img or writes outside ram.
 */
int xrun_elf_load(const uint8_t *img, size_t len, uint8_t *ram,
                  uint64_t ram_size, XrunImage *out, char *err, size_t errlen);

#endif
