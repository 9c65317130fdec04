/*
 * xrun_elf_load(): the ELF64 loader of xrun. Accepts a little-endian x86-64
 * ET_EXEC file with PT_LOAD segments only (no PT_INTERP, no PT_DYNAMIC:
 * static, not position independent). Every offset, size and address is
 * checked with overflow-safe arithmetic before anything is copied; the
 * .bss part of a segment (memsz > filesz) is zero-filled.
 */
#include "xrun.h"

#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int xrun_elf_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* [off, off + size) inside [0, limit) without overflow */
static int xrun_in(uint64_t off, uint64_t size, uint64_t limit)
{
    return off <= limit && size <= limit - off;
}

static int xrun_elf_header(const uint8_t *img, size_t len, Elf64_Ehdr *eh,
                           char *err, size_t errlen)
{
    if (len < sizeof(*eh) || memcmp(img, ELFMAG, SELFMAG) != 0) {
        return xrun_elf_fail(err, errlen, "not an ELF file");
    }
    memcpy(eh, img, sizeof(*eh));
    if (eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_X86_64) {
        return xrun_elf_fail(err, errlen, "not a 64-bit x86-64 ELF file");
    }
    if (eh->e_type != ET_EXEC) {
        return xrun_elf_fail(err, errlen,
                             "not a static non-PIE executable (ELF type %u)",
                             (unsigned)eh->e_type);
    }
    if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
        !xrun_in(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr),
                 len)) {
        return xrun_elf_fail(err, errlen, "bad program header table");
    }
    return 0;
}

static int xrun_elf_segment(const uint8_t *img, size_t len,
                            const Elf64_Phdr *ph, uint8_t *ram,
                            uint64_t ram_size, char *err, size_t errlen)
{
    if (ph->p_filesz > ph->p_memsz ||
        !xrun_in(ph->p_offset, ph->p_filesz, len)) {
        return xrun_elf_fail(err, errlen, "segment at 0x%llx: bad file range",
                             (unsigned long long)ph->p_vaddr);
    }
    if (ph->p_vaddr < XRUN_LOW ||
        !xrun_in(ph->p_vaddr, ph->p_memsz, ram_size)) {
        return xrun_elf_fail(
            err, errlen,
            "segment at 0x%llx (0x%llx bytes) is outside "
            "guest RAM [0x%llx, 0x%llx)",
            (unsigned long long)ph->p_vaddr, (unsigned long long)ph->p_memsz,
            (unsigned long long)XRUN_LOW, (unsigned long long)ram_size);
    }
    memcpy(ram + ph->p_vaddr, img + ph->p_offset, ph->p_filesz);
    memset(ram + ph->p_vaddr + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
    return 0;
}

int xrun_elf_load(const uint8_t *img, size_t len, uint8_t *ram,
                  uint64_t ram_size, XrunImage *out, char *err, size_t errlen)
{
    Elf64_Ehdr eh;
    int entry_ok = 0, loads = 0;
    if (xrun_elf_header(img, len, &eh, err, errlen) < 0) {
        return -1;
    }
    out->end = 0;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, img + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
        if (ph.p_type == PT_INTERP || ph.p_type == PT_DYNAMIC) {
            return xrun_elf_fail(err, errlen,
                                 "dynamically linked (only static programs)");
        }
        if (ph.p_type != PT_LOAD) {
            continue;
        }
        if (xrun_elf_segment(img, len, &ph, ram, ram_size, err, errlen) < 0) {
            return -1;
        }
        loads++;
        entry_ok |= eh.e_entry >= ph.p_vaddr &&
                    eh.e_entry - ph.p_vaddr < ph.p_memsz && (ph.p_flags & PF_X);
        if (ph.p_vaddr + ph.p_memsz > out->end) {
            out->end = ph.p_vaddr + ph.p_memsz;
        }
    }
    if (!loads) {
        return xrun_elf_fail(err, errlen, "no loadable segment");
    }
    if (!entry_ok) {
        return xrun_elf_fail(err, errlen,
                             "entry point 0x%llx is not in an executable "
                             "segment",
                             (unsigned long long)eh.e_entry);
    }
    out->entry = eh.e_entry;
    return 0;
}
