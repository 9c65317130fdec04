/*
 * src/tcg/x86_64/x64_emit.h: hand-written x86-64 instruction encoder.
 *
 * Opcode constants fold their prefix flags in (X64_MOVZX_GvEw = 0xb7 | P_0F,
 * | P_REXW for 64-bit); x64_emit_opc() turns the flags into 66/F2/F3, REX and
 * 0F escape bytes, x64_emit_modrm_mem() picks disp0/disp8/disp32/SIB (rsp and
 * r12 as base need a SIB byte, rbp and r13 need a displacement). Emission runs
 * forward into a byte buffer; branches to labels go through a relocation list
 * resolved by x64_resolve(). Writes past the end are dropped and counted, so a
 * caller checks x64_overflowed() once at the end. Ref: SDM vol. 2, ch. 2.
 */
#ifndef XLAT_TCG_X64_EMIT_H
#define XLAT_TCG_X64_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum X64Reg {
    X64_RAX,
    X64_RCX,
    X64_RDX,
    X64_RBX,
    X64_RSP,
    X64_RBP,
    X64_RSI,
    X64_RDI,
    X64_R8,
    X64_R9,
    X64_R10,
    X64_R11,
    X64_R12,
    X64_R13,
    X64_R14,
    X64_R15,
    X64_NOREG = -1,
} X64Reg;

/* condition codes in SDM order: cc ^ 1 is the inverse */
typedef enum X64Cond {
    X64_CC_O,
    X64_CC_NO,
    X64_CC_B,
    X64_CC_AE,
    X64_CC_E,
    X64_CC_NE,
    X64_CC_BE,
    X64_CC_A,
    X64_CC_S,
    X64_CC_NS,
    X64_CC_P,
    X64_CC_NP,
    X64_CC_L,
    X64_CC_GE,
    X64_CC_LE,
    X64_CC_G,
} X64Cond;

/* group-1 ALU operations: the /digit and the (op << 3) opcode row */
typedef enum X64Alu {
    X64_ALU_ADD,
    X64_ALU_OR,
    X64_ALU_ADC,
    X64_ALU_SBB,
    X64_ALU_AND,
    X64_ALU_SUB,
    X64_ALU_XOR,
    X64_ALU_CMP,
} X64Alu;

/* group-2 shifts and rotates: the /digit */
typedef enum X64Shift {
    X64_SH_ROL = 0,
    X64_SH_ROR = 1,
    X64_SH_SHL = 4,
    X64_SH_SHR = 5,
    X64_SH_SAR = 7,
} X64Shift;

/* group-3 one-operand forms (F7 /digit) */
typedef enum X64Grp3 {
    X64_G3_NOT = 2,
    X64_G3_NEG = 3,
    X64_G3_MUL = 4,
    X64_G3_IMUL = 5,
    X64_G3_DIV = 6,
    X64_G3_IDIV = 7,
} X64Grp3;

/* operand size, log2 of bytes */
typedef enum X64Size { X64_S8, X64_S16, X64_S32, X64_S64 } X64Size;

/* prefix flags or'ed into opcode constants */
#define P_0F 0x100u
#define P_0F38 0x200u
#define P_0F3A 0x400u
#define P_66 0x800u
#define P_F3 0x1000u
#define P_F2 0x2000u
#define P_REXW 0x4000u
#define P_REXB_R 0x8000u   /* byte register in modrm.reg: force REX */
#define P_REXB_RM 0x10000u /* byte register in modrm.rm: force REX */
#define P_LOCK 0x20000u

#define X64_ALU_EbGb 0x00u
#define X64_ALU_EvGv 0x01u
#define X64_ALU_GvEv 0x03u
#define X64_ARITH_EvIz 0x81u
#define X64_ARITH_EvIb 0x83u
#define X64_MOVSXD_GvEd (0x63u | P_REXW)
#define X64_IMUL_GvEvIz 0x69u
#define X64_IMUL_GvEvIb 0x6bu
#define X64_TEST_EvGv 0x85u
#define X64_XCHG_EvGv 0x87u
#define X64_MOV_EbGb 0x88u
#define X64_MOV_EvGv 0x89u
#define X64_MOV_GvEv 0x8bu
#define X64_LEA_GvM 0x8du
#define X64_MOV_Iv 0xb8u
#define X64_SHIFT_EvIb 0xc1u
#define X64_RET 0xc3u
#define X64_MOV_EbIb 0xc6u
#define X64_MOV_EvIz 0xc7u
#define X64_SHIFT_EvCL 0xd3u
#define X64_CALL_Jz 0xe8u
#define X64_JMP_Jz 0xe9u
#define X64_JMP_Jb 0xebu
#define X64_JCC_Jb 0x70u
#define X64_GRP3_Ev 0xf7u
#define X64_GRP3_EvIz 0xf7u /* test Ev, Iz is F7 /0 */
#define X64_GRP5_Ev 0xffu
#define X64_PUSH_Zv 0x50u
#define X64_POP_Zv 0x58u
#define X64_NOP 0x90u
#define X64_JCC_Jz (0x80u | P_0F)
#define X64_SETCC_Eb (0x90u | P_0F)
#define X64_CMOVCC_GvEv (0x40u | P_0F)
#define X64_SHLD_EvGvIb (0xa4u | P_0F)
#define X64_SHRD_EvGvIb (0xacu | P_0F)
#define X64_IMUL_GvEv (0xafu | P_0F)
#define X64_CMPXCHG_EvGv (0xb1u | P_0F)
#define X64_MOVZX_GvEb (0xb6u | P_0F)
#define X64_MOVZX_GvEw (0xb7u | P_0F)
#define X64_POPCNT_GvEv (0xb8u | P_0F | P_F3)
#define X64_BSF_GvEv (0xbcu | P_0F)
#define X64_BSR_GvEv (0xbdu | P_0F)
#define X64_TZCNT_GvEv (0xbcu | P_0F | P_F3)
#define X64_LZCNT_GvEv (0xbdu | P_0F | P_F3)
#define X64_MOVSX_GvEb (0xbeu | P_0F)
#define X64_MOVSX_GvEw (0xbfu | P_0F)
#define X64_XADD_EvGv (0xc1u | P_0F)
#define X64_BSWAP_Zv (0xc8u | P_0F)

typedef struct X64Reloc {
    uint32_t at;   /* offset of the displacement field */
    int32_t label; /* label index */
    uint8_t bytes; /* 1 (rel8) or 4 (rel32) */
} X64Reloc;

typedef struct X64Asm {
    uint8_t *buf;    /* where bytes are written (RW view) */
    uintptr_t exec;  /* address buf[0] has when it runs (RX view) */
    size_t pos, cap; /* bytes emitted (may exceed cap), buffer size */
    int32_t *labels; /* label -> offset, -1 while unbound */
    int nlabels, labels_cap;
    X64Reloc *relocs;
    int nrelocs, relocs_cap;
    bool bad_branch; /* a rel8 did not reach */
} X64Asm;

void x64_asm_init(X64Asm *a, void *buf, uintptr_t exec, size_t cap);
void x64_asm_free(X64Asm *a);
/* true when something did not fit: the caller flushes and retries */
bool x64_overflowed(const X64Asm *a);
static inline size_t x64_pos(const X64Asm *a)
{
    return a->pos;
}
void x64_byte(X64Asm *a, uint8_t b);
void x64_u16(X64Asm *a, uint16_t v);
void x64_u32(X64Asm *a, uint32_t v);
void x64_u64(X64Asm *a, uint64_t v);
void x64_patch_u32(X64Asm *a, size_t at, uint32_t v);

/* labels: forward or backward, resolved at x64_resolve() */
int x64_new_label(X64Asm *a);
void x64_bind(X64Asm *a, int label);
/* patch every label use; false if a label is unbound or a rel8 overflows */
bool x64_resolve(X64Asm *a);

/* prefixes, REX and opcode bytes; r = modrm.reg, rm = base, idx = index */
void x64_emit_opc(X64Asm *a, uint32_t opc, int r, int rm, int idx);
/* opc r, rm (register form, mod = 3) */
void x64_emit_modrm_reg(X64Asm *a, uint32_t opc, int r, int rm);
/* opc r, [base + idx * (1 << shift) + disp]; base may be X64_NOREG */
void x64_emit_modrm_mem(X64Asm *a, uint32_t opc, int r, int base, int idx,
                        int shift, int32_t disp);
/* opcode with the operand size applied: byte form = opc - 1, 66, REX.W */
uint32_t x64_opc_size(uint32_t opc_v, X64Size sz);

void x64_mov_rr(X64Asm *a, X64Size sz, int d, int s);
void x64_movi(X64Asm *a, int d, uint64_t imm);
void x64_ld(X64Asm *a, X64Size sz, bool sign, int d, int base, int32_t disp);
void x64_ld_idx(X64Asm *a, X64Size sz, bool sign, int d, int base, int idx,
                int32_t disp);
void x64_st(X64Asm *a, X64Size sz, int s, int base, int32_t disp);
void x64_st_idx(X64Asm *a, X64Size sz, int s, int base, int idx, int32_t disp);
void x64_sti(X64Asm *a, X64Size sz, int base, int32_t disp, int32_t imm);
void x64_movzx(X64Asm *a, X64Size from, int d, int s);
void x64_movsx(X64Asm *a, X64Size from, X64Size to, int d, int s);
void x64_lea(X64Asm *a, X64Size sz, int d, int base, int idx, int shift,
             int32_t disp);

void x64_alu_rr(X64Asm *a, X64Alu op, X64Size sz, int d, int s);
void x64_alu_rm(X64Asm *a, X64Alu op, X64Size sz, int d, int base,
                int32_t disp);
void x64_alu_mr(X64Asm *a, X64Alu op, X64Size sz, int base, int32_t disp,
                int s);
void x64_alu_ri(X64Asm *a, X64Alu op, X64Size sz, int d, int32_t imm);
void x64_alu_mi(X64Asm *a, X64Alu op, X64Size sz, int base, int32_t disp,
                int32_t imm);
void x64_test_rr(X64Asm *a, X64Size sz, int d, int s);
void x64_test_ri(X64Asm *a, X64Size sz, int d, int32_t imm);
void x64_shift_ri(X64Asm *a, X64Shift op, X64Size sz, int d, int count);
void x64_shift_cl(X64Asm *a, X64Shift op, X64Size sz, int d);
void x64_shxd_ri(X64Asm *a, bool right, X64Size sz, int d, int s, int count);
void x64_imul_rr(X64Asm *a, X64Size sz, int d, int s);
void x64_imul_rri(X64Asm *a, X64Size sz, int d, int s, int32_t imm);
void x64_grp3(X64Asm *a, X64Grp3 op, X64Size sz, int r);
void x64_bswap(X64Asm *a, X64Size sz, int r);
void x64_bitop(X64Asm *a, uint32_t opc, X64Size sz, int d, int s);
void x64_setcc(X64Asm *a, X64Cond cc, int r);
void x64_cmov(X64Asm *a, X64Cond cc, X64Size sz, int d, int s);
void x64_bmi2_shift(X64Asm *a, X64Shift op, X64Size sz, int d, int s,
                    int count);
void x64_rorx(X64Asm *a, X64Size sz, int d, int s, uint8_t imm);

void x64_jcc(X64Asm *a, X64Cond cc, int label);
void x64_jcc8(X64Asm *a, X64Cond cc, int label);
void x64_jmp(X64Asm *a, int label);
void x64_jmp8(X64Asm *a, int label);
void x64_jmp_abs(X64Asm *a, uintptr_t target);
void x64_jmp_reg(X64Asm *a, int r);
void x64_jmp_mem(X64Asm *a, int base, int32_t disp);
void x64_call_abs(X64Asm *a, uintptr_t target);
void x64_call_reg(X64Asm *a, int r);
size_t x64_jmp_patchable(X64Asm *a, uintptr_t target);
void x64_ret(X64Asm *a);
void x64_push(X64Asm *a, int r);
void x64_pop(X64Asm *a, int r);
void x64_nops(X64Asm *a, int n);

void x64_xchg_rr(X64Asm *a, X64Size sz, int d, int s);
void x64_xchg_mr(X64Asm *a, X64Size sz, int base, int32_t disp, int s);
void x64_lock_cmpxchg(X64Asm *a, X64Size sz, int base, int32_t disp, int s);
void x64_lock_xadd(X64Asm *a, X64Size sz, int base, int32_t disp, int s);

/* rel32 from the end of a 4-byte field at `at` to an absolute target */
bool x64_rel32_fits(const X64Asm *a, size_t end, uintptr_t target);

#endif
