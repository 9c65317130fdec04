/*
 * src/tcg/x86_64/x64_disas.h: host-code disassembly for `-d out_asm`
 * (capstone when available, hex dump otherwise).
 */
#ifndef XLAT_TCG_X64_DISAS_H
#define XLAT_TCG_X64_DISAS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* one line per host instruction, addresses as the code runs at `addr` */
void x64_disas(FILE *f, const void *code, size_t size, uintptr_t addr);

/* host instructions in code (0 without capstone); *until_jmp = number of
 * instructions up to and including the first unconditional jmp */
size_t x64_count_insns(const void *code, size_t size, size_t *until_jmp);

#endif
