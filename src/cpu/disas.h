/*
 * Guest disassembly for `-d in_asm`: prints x86 code with capstone when xlat
 * is built with it (CONFIG_CAPSTONE), otherwise one line per instruction with
 * the decoder's mnemonic and the raw bytes. Never reads past `size`.
 */
#ifndef XLAT_CPU_DISAS_H
#define XLAT_CPU_DISAS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/decode.h"

/* print the instructions in code[0..size) located at guest address addr */
void disas_print(FILE *f, const uint8_t *code, size_t size, uint64_t addr,
                 X86Mode mode);

#endif
