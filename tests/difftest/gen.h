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

#include "cpu/decode.h"
#include "native.h"

#define DT_GEN_MAX_INSNS 64
#define DT_GEN_BASE (DT_DATA_ADDR + 0x1000)  /* R15 */
#define DT_GEN_STACK (DT_DATA_ADDR + 0x2000) /* RSP */

typedef struct DtGenSeq {
    uint8_t code[DT_GEN_MAX_INSNS * 16];
    size_t len;
    unsigned ninsns;
    uint32_t off[DT_GEN_MAX_INSNS + 1]; /* instruction starts, then end */
    unsigned mode;                      /* DT_MODE64 or DT_MODE32 */
} DtGenSeq;

/* a reproducible sequence of n instructions and its initial state */
void dt_gen_case(uint64_t seed, unsigned n, DtGenSeq *seq, DtCase *c);
/*
 * The same for a mode: DT_MODE32 emits 32-bit code (no REX; EBP is the
 * memory base; 66h/67h forms incl. 16-bit addressing; the legacy-only
 * instructions INC/DEC 40-4F, PUSHA/POPA, DAA..AAD, INTO, BOUND),
 * DT_MODE16 the same as 16-bit code (BP the base, offsets in the data
 * segment, 66h for 32-bit operands, no 67h).
 */
void dt_gen_case_mode(uint64_t seed, unsigned n, unsigned mode, DtGenSeq *seq,
                      DtCase *c);
/* the decoder mode of a sequence */
X86Mode dt_gen_xmode(const DtGenSeq *seq);
/* the flags the sequence leaves undefined (x86_insn_info flags_u) */
uint32_t dt_gen_undef_flags(const DtGenSeq *seq);
/* disassembly, one instruction per line */
void dt_gen_print(const DtGenSeq *seq, FILE *f);

#endif
