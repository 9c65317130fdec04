/*
 * src/tcg/x86_64/x64_disas.c: `-d out_asm` for the x86-64 JIT.
 *
 * Prints generated host code with capstone (4.x API) when xlat is built with
 * it, and a hex dump otherwise, so the log is useful on every build.
 */
#include "tcg/x86_64/x64_disas.h"

#include <string.h>

#include "config.h"

#ifdef CONFIG_CAPSTONE
#include <capstone/capstone.h>
#endif

static void x64_disas_hex(FILE *f, const uint8_t *code, size_t size,
                          uintptr_t addr)
{
    for (size_t i = 0; i < size; i += 16) {
        fprintf(f, "  0x%016lx:", (unsigned long)(addr + i));
        for (size_t j = i; j < size && j < i + 16; j++) {
            fprintf(f, " %02x", code[j]);
        }
        fputc('\n', f);
    }
}

void x64_disas(FILE *f, const void *code, size_t size, uintptr_t addr)
{
#ifdef CONFIG_CAPSTONE
    csh h;
    cs_insn *insn;
    size_t n, done = 0;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
        x64_disas_hex(f, code, size, addr);
        return;
    }
    n = cs_disasm(h, code, size, addr, 0, &insn);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "  0x%016lx:  %-8s %s\n", (unsigned long)insn[i].address,
                insn[i].mnemonic, insn[i].op_str);
        done += insn[i].size;
    }
    if (n) {
        cs_free(insn, n);
    }
    cs_close(&h);
    if (done < size) {
        x64_disas_hex(f, (const uint8_t *)code + done, size - done,
                      addr + done);
    }
#else
    x64_disas_hex(f, code, size, addr);
#endif
}

size_t x64_count_insns(const void *code, size_t size, size_t *until_jmp)
{
    size_t n = 0;
#ifdef CONFIG_CAPSTONE
    csh h;
    cs_insn *insn;
    *until_jmp = 0;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
        return 0;
    }
    n = cs_disasm(h, code, size, 0, 0, &insn);
    for (size_t i = 0; i < n && !*until_jmp; i++) {
        if (!strcmp(insn[i].mnemonic, "jmp")) {
            *until_jmp = i + 1;
        }
    }
    if (n) {
        cs_free(insn, n);
    }
    cs_close(&h);
#else
    *until_jmp = 0;
#endif
    return n;
}
