/*
 * src/tcg/x86_64/x64_emit.c: the x86-64 encoder behind x64_emit.h.
 *
 * Every emitter is preceded by the assembly it produces. Operand sizes are
 * X64Size (8/16/32/64 bit); byte forms of the "v" opcodes are opc - 1, 16-bit
 * forms add a 66 prefix and 64-bit forms REX.W. A byte register 4..7 in a
 * byte form (spl/bpl/sil/dil) forces an empty REX, otherwise the CPU would
 * read ah/ch/dh/bh. Ref: SDM vol. 2, sections 2.1-2.2 and appendix A/B.
 */
#include "tcg/x86_64/x64_emit.h"

#include <stdlib.h>
#include <string.h>

#include "util/common.h"

void x64_asm_init(X64Asm *a, void *buf, uintptr_t exec, size_t cap)
{
    memset(a, 0, sizeof(*a));
    a->buf = buf;
    a->exec = exec;
    a->cap = cap;
}

void x64_asm_free(X64Asm *a)
{
    free(a->labels);
    free(a->relocs);
    a->labels = NULL;
    a->relocs = NULL;
    a->nlabels = a->nrelocs = 0;
    a->labels_cap = a->relocs_cap = 0;
}

bool x64_overflowed(const X64Asm *a)
{
    return a->pos > a->cap;
}

void x64_byte(X64Asm *a, uint8_t b)
{
    if (likely(a->pos < a->cap)) {
        a->buf[a->pos] = b;
    }
    a->pos++;
}

void x64_u16(X64Asm *a, uint16_t v)
{
    x64_byte(a, v);
    x64_byte(a, v >> 8);
}

void x64_u32(X64Asm *a, uint32_t v)
{
    x64_u16(a, v);
    x64_u16(a, v >> 16);
}

void x64_u64(X64Asm *a, uint64_t v)
{
    x64_u32(a, v);
    x64_u32(a, v >> 32);
}

void x64_patch_u32(X64Asm *a, size_t at, uint32_t v)
{
    if (at + 4 <= a->cap) {
        memcpy(a->buf + at, &v, 4);
    }
}

int x64_new_label(X64Asm *a)
{
    if (a->nlabels == a->labels_cap) {
        a->labels_cap = a->labels_cap ? a->labels_cap * 2 : 16;
        a->labels = xrealloc(a->labels, a->labels_cap * sizeof(int32_t));
    }
    a->labels[a->nlabels] = -1;
    return a->nlabels++;
}

void x64_bind(X64Asm *a, int label)
{
    ASSERT(label >= 0 && label < a->nlabels && a->labels[label] < 0);
    a->labels[label] = (int32_t)a->pos;
}

static void x64_add_reloc(X64Asm *a, int label, int bytes)
{
    ASSERT(label >= 0 && label < a->nlabels);
    if (a->nrelocs == a->relocs_cap) {
        a->relocs_cap = a->relocs_cap ? a->relocs_cap * 2 : 32;
        a->relocs = xrealloc(a->relocs, a->relocs_cap * sizeof(X64Reloc));
    }
    a->relocs[a->nrelocs++] = (X64Reloc){
        .at = (uint32_t)a->pos, .label = label, .bytes = (uint8_t)bytes};
    for (int i = 0; i < bytes; i++) {
        x64_byte(a, 0);
    }
}

bool x64_resolve(X64Asm *a)
{
    bool ok = !a->bad_branch;
    for (int i = 0; i < a->nrelocs; i++) {
        X64Reloc *r = &a->relocs[i];
        int32_t target = a->labels[r->label];
        int64_t disp = (int64_t)target - (int64_t)(r->at + r->bytes);
        if (target < 0) {
            ok = false;
        } else if (r->bytes == 4) {
            x64_patch_u32(a, r->at, (uint32_t)disp);
        } else if (disp < -128 || disp > 127) {
            ok = false;
        } else if (r->at < a->cap) {
            a->buf[r->at] = (uint8_t)disp;
        }
    }
    a->nrelocs = 0;
    a->bad_branch = !ok;
    return ok;
}

bool x64_rel32_fits(const X64Asm *a, size_t end, uintptr_t target)
{
    int64_t d = (int64_t)(target - (a->exec + end));
    return d == (int32_t)d;
}

/* [F0] [66] [F2|F3] [REX] [0F [38|3A]] opcode */
void x64_emit_opc(X64Asm *a, uint32_t opc, int r, int rm, int idx)
{
    int rex = 0;
    if (opc & P_LOCK) {
        x64_byte(a, 0xf0);
    }
    if (opc & P_66) {
        x64_byte(a, 0x66);
    }
    if (opc & P_F3) {
        x64_byte(a, 0xf3);
    } else if (opc & P_F2) {
        x64_byte(a, 0xf2);
    }
    rex |= (opc & P_REXW) ? 8 : 0;
    rex |= (r >= 0 && (r & 8)) ? 4 : 0;
    rex |= (idx >= 0 && (idx & 8)) ? 2 : 0;
    rex |= (rm >= 0 && (rm & 8)) ? 1 : 0;
    if (rex || ((opc & P_REXB_R) && r >= 4) || ((opc & P_REXB_RM) && rm >= 4)) {
        x64_byte(a, 0x40 | rex);
    }
    if (opc & (P_0F | P_0F38 | P_0F3A)) {
        x64_byte(a, 0x0f);
        if (opc & P_0F38) {
            x64_byte(a, 0x38);
        } else if (opc & P_0F3A) {
            x64_byte(a, 0x3a);
        }
    }
    x64_byte(a, opc & 0xff);
}

/* opc r, rm */
void x64_emit_modrm_reg(X64Asm *a, uint32_t opc, int r, int rm)
{
    x64_emit_opc(a, opc, r, rm, X64_NOREG);
    x64_byte(a, 0xc0 | (r & 7) << 3 | (rm & 7));
}

/* opc r, [disp32] or [idx*s + disp32] (no base) */
static void x64_modrm_nobase(X64Asm *a, uint32_t opc, int r, int idx, int shift,
                             int32_t disp)
{
    x64_emit_opc(a, opc, r, X64_NOREG, idx);
    x64_byte(a, (r & 7) << 3 | 4);
    x64_byte(a, shift << 6 | (idx < 0 ? 4 : (idx & 7)) << 3 | 5);
    x64_u32(a, (uint32_t)disp);
}

/* opc r, [base + idx*s + disp] */
void x64_emit_modrm_mem(X64Asm *a, uint32_t opc, int r, int base, int idx,
                        int shift, int32_t disp)
{
    int mod;
    opc &= ~P_REXB_RM;
    ASSERT(idx != X64_RSP);
    if (base < 0) {
        x64_modrm_nobase(a, opc, r, idx, shift, disp);
        return;
    }
    if (disp == 0 && (base & 7) != X64_RBP) {
        mod = 0;
    } else if (disp == (int8_t)disp) {
        mod = 0x40;
    } else {
        mod = 0x80;
    }
    x64_emit_opc(a, opc, r, base, idx);
    if (idx < 0 && (base & 7) != X64_RSP) {
        x64_byte(a, mod | (r & 7) << 3 | (base & 7));
    } else {
        x64_byte(a, mod | (r & 7) << 3 | 4);
        x64_byte(a, shift << 6 | (idx < 0 ? 4 : (idx & 7)) << 3 | (base & 7));
    }
    if (mod == 0x40) {
        x64_byte(a, (uint8_t)disp);
    } else if (mod == 0x80) {
        x64_u32(a, (uint32_t)disp);
    }
}

static uint32_t x64_size_flags(X64Size sz)
{
    switch (sz) {
    case X64_S8:
        return P_REXB_R | P_REXB_RM;
    case X64_S16:
        return P_66;
    case X64_S32:
        return 0;
    case X64_S64:
        return P_REXW;
    }
    return 0;
}

uint32_t x64_opc_size(uint32_t opc_v, X64Size sz)
{
    return (sz == X64_S8 ? opc_v - 1 : opc_v) | x64_size_flags(sz);
}

/* immediate of the operand size, at most 32 bits (sign-extended for 64) */
static void x64_imm(X64Asm *a, X64Size sz, int32_t imm)
{
    if (sz == X64_S8) {
        x64_byte(a, (uint8_t)imm);
    } else if (sz == X64_S16) {
        x64_u16(a, (uint16_t)imm);
    } else {
        x64_u32(a, (uint32_t)imm);
    }
}

/* mov d, s */
void x64_mov_rr(X64Asm *a, X64Size sz, int d, int s)
{
    x64_emit_modrm_reg(a, x64_opc_size(X64_MOV_EvGv, sz), s, d);
}

/* mov r32, imm32 | mov r64, simm32 | mov r64, imm64 (flags untouched) */
void x64_movi(X64Asm *a, int d, uint64_t imm)
{
    if (imm <= UINT32_MAX) {
        x64_emit_opc(a, X64_MOV_Iv + (d & 7), X64_NOREG, d, X64_NOREG);
        x64_u32(a, (uint32_t)imm);
    } else if ((int64_t)imm == (int32_t)imm) {
        x64_emit_modrm_reg(a, X64_MOV_EvIz | P_REXW, 0, d);
        x64_u32(a, (uint32_t)imm);
    } else {
        x64_emit_opc(a, (X64_MOV_Iv + (d & 7)) | P_REXW, X64_NOREG, d,
                     X64_NOREG);
        x64_u64(a, imm);
    }
}

/* the load opcode: movzx/movsx r64, [m8/m16], movsxd, mov r32/r64 */
static uint32_t x64_ld_opc(X64Size sz, bool sign)
{
    switch (sz) {
    case X64_S8:
        return sign ? X64_MOVSX_GvEb | P_REXW : X64_MOVZX_GvEb;
    case X64_S16:
        return sign ? X64_MOVSX_GvEw | P_REXW : X64_MOVZX_GvEw;
    case X64_S32:
        return sign ? X64_MOVSXD_GvEd : X64_MOV_GvEv;
    case X64_S64:
        return X64_MOV_GvEv | P_REXW;
    }
    return 0;
}

/* movzx/movsx/mov d, [base + disp] (zero- or sign-extended to 64 bits) */
void x64_ld(X64Asm *a, X64Size sz, bool sign, int d, int base, int32_t disp)
{
    x64_emit_modrm_mem(a, x64_ld_opc(sz, sign), d, base, X64_NOREG, 0, disp);
}

/* movzx/movsx/mov d, [base + idx + disp] */
void x64_ld_idx(X64Asm *a, X64Size sz, bool sign, int d, int base, int idx,
                int32_t disp)
{
    x64_emit_modrm_mem(a, x64_ld_opc(sz, sign), d, base, idx, 0, disp);
}

/* mov [base + disp], s (8..64 bit) */
void x64_st(X64Asm *a, X64Size sz, int s, int base, int32_t disp)
{
    x64_emit_modrm_mem(a, x64_opc_size(X64_MOV_EvGv, sz), s, base, X64_NOREG, 0,
                       disp);
}

/* mov [base + idx + disp], s */
void x64_st_idx(X64Asm *a, X64Size sz, int s, int base, int idx, int32_t disp)
{
    x64_emit_modrm_mem(a, x64_opc_size(X64_MOV_EvGv, sz), s, base, idx, 0,
                       disp);
}

/* mov size [base + disp], imm */
void x64_sti(X64Asm *a, X64Size sz, int base, int32_t disp, int32_t imm)
{
    x64_emit_modrm_mem(a, x64_opc_size(X64_MOV_EvIz, sz), 0, base, X64_NOREG, 0,
                       disp);
    x64_imm(a, sz, imm);
}

/* movzx d32, s8 | movzx d32, s16 | mov d32, s32 */
void x64_movzx(X64Asm *a, X64Size from, int d, int s)
{
    if (from == X64_S8) {
        x64_emit_modrm_reg(a, X64_MOVZX_GvEb | P_REXB_RM, d, s);
    } else if (from == X64_S16) {
        x64_emit_modrm_reg(a, X64_MOVZX_GvEw, d, s);
    } else {
        x64_mov_rr(a, X64_S32, d, s);
    }
}

/* movsx d, s8 | movsx d, s16 | movsxd d64, s32 */
void x64_movsx(X64Asm *a, X64Size from, X64Size to, int d, int s)
{
    uint32_t w = to == X64_S64 ? P_REXW : 0;
    if (from == X64_S8) {
        x64_emit_modrm_reg(a, X64_MOVSX_GvEb | P_REXB_RM | w, d, s);
    } else if (from == X64_S16) {
        x64_emit_modrm_reg(a, X64_MOVSX_GvEw | w, d, s);
    } else {
        x64_emit_modrm_reg(a, X64_MOVSXD_GvEd, d, s);
    }
}

/* lea d, [base + idx*s + disp] */
void x64_lea(X64Asm *a, X64Size sz, int d, int base, int idx, int shift,
             int32_t disp)
{
    uint32_t opc = X64_LEA_GvM | (sz == X64_S64 ? P_REXW : 0);
    x64_emit_modrm_mem(a, opc, d, base, idx, shift, disp);
}

/* add/or/adc/sbb/and/sub/xor/cmp d, s */
void x64_alu_rr(X64Asm *a, X64Alu op, X64Size sz, int d, int s)
{
    x64_emit_modrm_reg(a, x64_opc_size(X64_ALU_EvGv + (op << 3), sz), s, d);
}

/* op d, [base + disp] */
void x64_alu_rm(X64Asm *a, X64Alu op, X64Size sz, int d, int base, int32_t disp)
{
    x64_emit_modrm_mem(a, x64_opc_size(X64_ALU_GvEv + (op << 3), sz), d, base,
                       X64_NOREG, 0, disp);
}

/* op [base + disp], s */
void x64_alu_mr(X64Asm *a, X64Alu op, X64Size sz, int base, int32_t disp, int s)
{
    x64_emit_modrm_mem(a, x64_opc_size(X64_ALU_EvGv + (op << 3), sz), s, base,
                       X64_NOREG, 0, disp);
}

/* 80 /op ib | 83 /op ib | 81 /op iz: the opcode for an immediate */
static uint32_t x64_alu_imm_opc(X64Size sz, int32_t imm)
{
    if (sz == X64_S8) {
        return 0x80 | x64_size_flags(sz);
    }
    if (imm == (int8_t)imm) {
        return X64_ARITH_EvIb | x64_size_flags(sz);
    }
    return X64_ARITH_EvIz | x64_size_flags(sz);
}

static void x64_alu_imm_tail(X64Asm *a, uint32_t opc, X64Size sz, int32_t imm)
{
    if ((opc & 0xff) == X64_ARITH_EvIz) {
        x64_imm(a, sz, imm);
    } else {
        x64_byte(a, (uint8_t)imm);
    }
}

/* op d, imm8 (sign-extended) | op d, imm32 */
void x64_alu_ri(X64Asm *a, X64Alu op, X64Size sz, int d, int32_t imm)
{
    uint32_t opc = x64_alu_imm_opc(sz, imm);
    x64_emit_modrm_reg(a, opc, op, d);
    x64_alu_imm_tail(a, opc, sz, imm);
}

/* op size [base + disp], imm */
void x64_alu_mi(X64Asm *a, X64Alu op, X64Size sz, int base, int32_t disp,
                int32_t imm)
{
    uint32_t opc = x64_alu_imm_opc(sz, imm);
    x64_emit_modrm_mem(a, opc, op, base, X64_NOREG, 0, disp);
    x64_alu_imm_tail(a, opc, sz, imm);
}

/* test d, s */
void x64_test_rr(X64Asm *a, X64Size sz, int d, int s)
{
    x64_emit_modrm_reg(a, x64_opc_size(X64_TEST_EvGv, sz), s, d);
}

/* test d, imm */
void x64_test_ri(X64Asm *a, X64Size sz, int d, int32_t imm)
{
    x64_emit_modrm_reg(a, x64_opc_size(X64_GRP3_EvIz, sz), 0, d);
    x64_imm(a, sz, imm);
}

/* rol/ror/shl/shr/sar d, imm8 */
void x64_shift_ri(X64Asm *a, X64Shift op, X64Size sz, int d, int count)
{
    x64_emit_modrm_reg(a, x64_opc_size(X64_SHIFT_EvIb, sz), op, d);
    x64_byte(a, (uint8_t)count);
}

/* rol/ror/shl/shr/sar d, cl */
void x64_shift_cl(X64Asm *a, X64Shift op, X64Size sz, int d)
{
    x64_emit_modrm_reg(a, x64_opc_size(X64_SHIFT_EvCL, sz), op, d);
}

/* shld d, s, imm8 | shrd d, s, imm8 */
void x64_shxd_ri(X64Asm *a, bool right, X64Size sz, int d, int s, int count)
{
    uint32_t opc = right ? X64_SHRD_EvGvIb : X64_SHLD_EvGvIb;
    x64_emit_modrm_reg(a, opc | x64_size_flags(sz), s, d);
    x64_byte(a, (uint8_t)count);
}

/* imul d, s */
void x64_imul_rr(X64Asm *a, X64Size sz, int d, int s)
{
    x64_emit_modrm_reg(a, X64_IMUL_GvEv | x64_size_flags(sz), d, s);
}

/* imul d, s, imm8 | imm32 */
void x64_imul_rri(X64Asm *a, X64Size sz, int d, int s, int32_t imm)
{
    bool small = imm == (int8_t)imm;
    uint32_t opc = small ? X64_IMUL_GvEvIb : X64_IMUL_GvEvIz;
    x64_emit_modrm_reg(a, opc | x64_size_flags(sz), d, s);
    if (small) {
        x64_byte(a, (uint8_t)imm);
    } else {
        x64_imm(a, sz, imm);
    }
}

/* not/neg/mul/imul/div/idiv r (mul forms use rdx:rax) */
void x64_grp3(X64Asm *a, X64Grp3 op, X64Size sz, int r)
{
    x64_emit_modrm_reg(a, x64_opc_size(X64_GRP3_Ev, sz), op, r);
}

/* bswap r32/r64 | rol r16, 8 */
void x64_bswap(X64Asm *a, X64Size sz, int r)
{
    if (sz == X64_S16) {
        x64_shift_ri(a, X64_SH_ROL, X64_S16, r, 8);
        return;
    }
    x64_emit_opc(a, (X64_BSWAP_Zv + (r & 7)) | x64_size_flags(sz), X64_NOREG, r,
                 X64_NOREG);
}

/* lzcnt/tzcnt/popcnt/bsr/bsf d, s */
void x64_bitop(X64Asm *a, uint32_t opc, X64Size sz, int d, int s)
{
    x64_emit_modrm_reg(a, opc | x64_size_flags(sz), d, s);
}

/* setcc r8 */
void x64_setcc(X64Asm *a, X64Cond cc, int r)
{
    x64_emit_modrm_reg(a, (X64_SETCC_Eb + cc) | P_REXB_RM, 0, r);
}

/* cmovcc d, s */
void x64_cmov(X64Asm *a, X64Cond cc, X64Size sz, int d, int s)
{
    x64_emit_modrm_reg(a, (X64_CMOVCC_GvEv + cc) | x64_size_flags(sz), d, s);
}

/* VEX3: C4 [~R ~X ~B mmmmm] [W ~vvvv L pp] opcode modrm */
static void x64_vex_rr(X64Asm *a, int map, int pp, bool w, int d, int v, int s,
                       uint8_t op)
{
    x64_byte(a, 0xc4);
    x64_byte(a, ((d & 8) ? 0 : 0x80) | 0x40 | ((s & 8) ? 0 : 0x20) | map);
    x64_byte(a, (w ? 0x80 : 0) | ((~v & 15) << 3) | pp);
    x64_byte(a, op);
    x64_byte(a, 0xc0 | (d & 7) << 3 | (s & 7));
}

/* shlx/shrx/sarx d, s, count (BMI2; flags untouched) */
void x64_bmi2_shift(X64Asm *a, X64Shift op, X64Size sz, int d, int s, int count)
{
    int pp = op == X64_SH_SHL ? 1 : op == X64_SH_SAR ? 2 : 3;
    ASSERT(op == X64_SH_SHL || op == X64_SH_SHR || op == X64_SH_SAR);
    x64_vex_rr(a, 2, pp, sz == X64_S64, d, count, s, 0xf7);
}

/* rorx d, s, imm8 (BMI2) */
void x64_rorx(X64Asm *a, X64Size sz, int d, int s, uint8_t imm)
{
    x64_vex_rr(a, 3, 3, sz == X64_S64, d, 0, s, 0xf0);
    x64_byte(a, imm);
}

/* jcc rel32 label */
void x64_jcc(X64Asm *a, X64Cond cc, int label)
{
    x64_emit_opc(a, X64_JCC_Jz + cc, X64_NOREG, X64_NOREG, X64_NOREG);
    x64_add_reloc(a, label, 4);
}

/* jcc rel8 label */
void x64_jcc8(X64Asm *a, X64Cond cc, int label)
{
    x64_byte(a, X64_JCC_Jb + cc);
    x64_add_reloc(a, label, 1);
}

/* jmp rel32 label */
void x64_jmp(X64Asm *a, int label)
{
    x64_byte(a, X64_JMP_Jz);
    x64_add_reloc(a, label, 4);
}

/* jmp rel8 label */
void x64_jmp8(X64Asm *a, int label)
{
    x64_byte(a, X64_JMP_Jb);
    x64_add_reloc(a, label, 1);
}

/* e8/e9 rel32 to target, or mov r11, imm64; call/jmp r11 when too far */
static void x64_branch_abs(X64Asm *a, uint8_t opc, int ext, uintptr_t target)
{
    if (x64_rel32_fits(a, a->pos + 5, target)) {
        x64_byte(a, opc);
        x64_u32(a, (uint32_t)(target - (a->exec + a->pos + 4)));
        return;
    }
    x64_movi(a, X64_R11, target);
    x64_emit_modrm_reg(a, X64_GRP5_Ev, ext, X64_R11);
}

/* jmp target */
void x64_jmp_abs(X64Asm *a, uintptr_t target)
{
    x64_branch_abs(a, X64_JMP_Jz, 4, target);
}

/* call target */
void x64_call_abs(X64Asm *a, uintptr_t target)
{
    x64_branch_abs(a, X64_CALL_Jz, 2, target);
}

/* jmp r */
void x64_jmp_reg(X64Asm *a, int r)
{
    x64_emit_modrm_reg(a, X64_GRP5_Ev, 4, r);
}

/* jmp qword [base + disp] */
void x64_jmp_mem(X64Asm *a, int base, int32_t disp)
{
    x64_emit_modrm_mem(a, X64_GRP5_Ev, 4, base, X64_NOREG, 0, disp);
}

/* call r */
void x64_call_reg(X64Asm *a, int r)
{
    x64_emit_modrm_reg(a, X64_GRP5_Ev, 2, r);
}

/*
 * nop padding; jmp rel32 with the displacement 4-byte aligned, so that
 * chaining can rewrite it with one atomic store. Returns the offset of the
 * displacement. The target must be within rel32 (the buffer is < 2 GiB).
 */
size_t x64_jmp_patchable(X64Asm *a, uintptr_t target)
{
    size_t at;
    while ((a->pos + 1) & 3) {
        x64_byte(a, X64_NOP);
    }
    x64_byte(a, X64_JMP_Jz);
    at = a->pos;
    x64_u32(a, (uint32_t)(target - (a->exec + at + 4)));
    return at;
}

/* ret */
void x64_ret(X64Asm *a)
{
    x64_byte(a, X64_RET);
}

/* push r64 */
void x64_push(X64Asm *a, int r)
{
    x64_emit_opc(a, X64_PUSH_Zv + (r & 7), X64_NOREG, r, X64_NOREG);
}

/* pop r64 */
void x64_pop(X64Asm *a, int r)
{
    x64_emit_opc(a, X64_POP_Zv + (r & 7), X64_NOREG, r, X64_NOREG);
}

/* nop (n single-byte nops) */
void x64_nops(X64Asm *a, int n)
{
    for (int i = 0; i < n; i++) {
        x64_byte(a, X64_NOP);
    }
}

/* xchg d, s */
void x64_xchg_rr(X64Asm *a, X64Size sz, int d, int s)
{
    x64_emit_modrm_reg(a, x64_opc_size(X64_XCHG_EvGv, sz), s, d);
}

/* xchg [base + disp], s (implicitly locked) */
void x64_xchg_mr(X64Asm *a, X64Size sz, int base, int32_t disp, int s)
{
    x64_emit_modrm_mem(a, x64_opc_size(X64_XCHG_EvGv, sz), s, base, X64_NOREG,
                       0, disp);
}

/* lock cmpxchg [base + disp], s (compares with rax) */
void x64_lock_cmpxchg(X64Asm *a, X64Size sz, int base, int32_t disp, int s)
{
    x64_emit_modrm_mem(a, x64_opc_size(X64_CMPXCHG_EvGv, sz) | P_LOCK, s, base,
                       X64_NOREG, 0, disp);
}

/* lock xadd [base + disp], s */
void x64_lock_xadd(X64Asm *a, X64Size sz, int base, int32_t disp, int s)
{
    x64_emit_modrm_mem(a, x64_opc_size(X64_XADD_EvGv, sz) | P_LOCK, s, base,
                       X64_NOREG, 0, disp);
}
