/*
 * Random instruction sequences for the difftest, built only from the
 * instructions the translator implements (first slice of issue 6): ALU,
 * INC/DEC/NEG/NOT, MOV forms, MOVZX/MOVSX/MOVSXD, LEA, PUSH/POP, forward
 * Jcc/JMP/LOOPcc/JRCXZ, CALL +0, SETcc, CMOVcc, NOPs, CBW..CQO, XCHG,
 * CLC/STC/CMC. Memory operands are [r15 + disp8] or RIP-relative, always inside
 * the data region; RSP and R15 are never destinations of ALU/MOV forms. One
 * instruction in 50 raises an exception (UD2, INT3, a store to code).
 */
#ifndef XLAT_DIFFTEST_GEN_H
#define XLAT_DIFFTEST_GEN_H

#include <stdint.h>
#include <stdio.h>

#include "native.h"

#define DT_GEN_MAX_INSNS 64
#define DT_GEN_BASE (DT_DATA_ADDR + 0x1000)  /* R15 */
#define DT_GEN_STACK (DT_DATA_ADDR + 0x2000) /* RSP */

typedef struct DtGenSeq {
    uint8_t code[DT_GEN_MAX_INSNS * 16];
    size_t len;
    unsigned ninsns;
    uint32_t off[DT_GEN_MAX_INSNS + 1]; /* instruction starts, then end */
} DtGenSeq;

/* a reproducible sequence of n instructions and its initial state */
void dt_gen_case(uint64_t seed, unsigned n, DtGenSeq *seq, DtCase *c);
/* the flags the sequence leaves undefined (x86_insn_info flags_u) */
uint32_t dt_gen_undef_flags(const DtGenSeq *seq);
/* disassembly, one instruction per line */
void dt_gen_print(const DtGenSeq *seq, FILE *f);

#endif
