/*
 * Internals shared by the translate*.c files: the per-block translation
 * context (Dc), the guest globals, and the small IR generators every
 * instruction family uses (operand load/store, lazy flags, block exits).
 * All guest values are handled as I64 temps, zero-extended to the operand
 * size; flag producers set cc_op + operands (cpu/cc.h).
 */
#ifndef XLAT_CPU_TRANSLATE_INT_H
#define XLAT_CPU_TRANSLATE_INT_H

#include "cpu/decode.h"
#include "cpu/translate.h"

typedef struct X86Globals {
    IrTemp regs[16];
    IrTemp rip;
    IrTemp cc_dst, cc_src, cc_src2, cc_op;
} X86Globals;

extern X86Globals x86_g;

/* per-block translation state */
typedef struct Dc {
    CpuX86 *env;
    IrFunc *f;
    const DecodedInsn *d;
    uint64_t pc;      /* current instruction */
    uint64_t next_pc; /* the one after it */
    unsigned mmu;     /* MMU index of data accesses */
    uint32_t cc_op;   /* statically known CcOp, or CC_OP_DYNAMIC */
    bool ended;       /* the block was left (branch, exception) */
} Dc;

/* dispatch of the instruction families; false: not handled here */
bool tr_alu(Dc *dc);
bool tr_branch(Dc *dc);
bool tr_misc(Dc *dc);
bool tr_muldiv(Dc *dc); /* MUL IMUL DIV IDIV */
bool tr_shift(Dc *dc);  /* shifts, rotates, SHLD/SHRD */
bool tr_bits(Dc *dc);   /* BT*, BSF/BSR, *CNT, BSWAP, MOVBE, BMI, CRC32 */
bool tr_string(Dc *dc); /* MOVS CMPS SCAS LODS STOS with REP prefixes */
bool tr_sys(Dc *dc);    /* XADD/CMPXCHG*, LAHF/SAHF, ENTER/LEAVE, XLAT,
                           CPUID, RDTSC(P) */
/* a LOCK-prefixed instruction; false: #UD */
bool tr_locked(Dc *dc);

/* temps and sizes */
IrTemp tr_new(Dc *dc);
IrTemp tr_const(Dc *dc, uint64_t v);
unsigned tr_log2(unsigned size);
IrTemp tr_zext(Dc *dc, IrTemp v, unsigned size);
IrTemp tr_sext(Dc *dc, IrTemp v, unsigned size);

/* operands: address, value (zero-extended), write back */
IrTemp tr_ea(Dc *dc, const X86Operand *o);
IrTemp tr_mem_ld(Dc *dc, IrTemp addr, unsigned size);
void tr_mem_st(Dc *dc, IrTemp addr, IrTemp v, unsigned size);
IrTemp tr_ld(Dc *dc, const X86Operand *o, IrTemp *addr);
IrTemp tr_ld_rmw(Dc *dc, const X86Operand *o, IrTemp *addr);
void tr_st(Dc *dc, const X86Operand *o, IrTemp addr, IrTemp v);
IrTemp tr_reg_get(Dc *dc, unsigned reg, unsigned size);
void tr_reg_set(Dc *dc, unsigned reg, unsigned size, IrTemp v);

/* lazy flags */
void tr_set_cc(Dc *dc, CcOp op, IrTemp dst, IrTemp src, IrTemp src2);
IrTemp tr_flags(Dc *dc); /* CF PF AF ZF SF OF, I64 */
IrTemp tr_carry(Dc *dc); /* 0/1, I64 */
IrTemp tr_cond(Dc *dc, CcCond c);

/* stack */
void tr_push(Dc *dc, IrTemp v, unsigned size);
IrTemp tr_pop_ld(Dc *dc, unsigned size); /* load only; RSP unchanged */

/* block exits */
void tr_goto(Dc *dc, uint64_t target, unsigned slot);
void tr_jump_ind(Dc *dc, IrTemp target);
void tr_exception(Dc *dc, unsigned vector);
void tr_trap(Dc *dc, unsigned vector);

/* LOCK XADD/CMPXCHG/CMPXCHG8B/16B (translate_sys.c); false: #UD */
bool tr_sys_locked(Dc *dc);

/* LOCK BTS/BTR/BTC [mem] (translate_bits.c); false: not one of them */
bool tr_bits_locked(Dc *dc);

#endif
