/*
 * Helpers of the instructions that exist only outside 64-bit mode: the
 * decimal adjusts DAA DAS AAA AAS AAM AAD (SDM vol. 2 pseudocode). Each
 * takes EAX and the arithmetic flags and returns the new AX in bits 0-15
 * and the new flags (RFLAGS layout) from bit 16; flags the SDM leaves
 * undefined are computed from the result like SF/ZF/PF, or cleared (OF),
 * and the difftest masks them per instruction.
 */
#include "cpu/translate_int.h"

static uint32_t bcd_szp(uint8_t al)
{
    uint32_t fl = al ? 0 : CC_Z;
    fl |= (al & 0x80) ? CC_S : 0;
    fl |= (__builtin_popcount(al) & 1) ? 0 : CC_P;
    return fl;
}

static uint64_t bcd_pack(unsigned ax, uint32_t fl)
{
    return (ax & 0xffffu) | ((uint64_t)fl << 16);
}

static uint64_t bcd_daa_das(unsigned ax, uint32_t in, bool sub)
{
    uint8_t al = (uint8_t)ax, old_al = al;
    bool old_cf = in & CC_C, cf = false, af = false;
    if ((al & 0xf) > 9 || (in & CC_A)) {
        cf = old_cf || (sub ? al < 6 : al > 0xf9);
        al = (uint8_t)(sub ? al - 6 : al + 6);
        af = true;
    }
    if (old_al > 0x99 || old_cf) {
        al = (uint8_t)(sub ? al - 0x60 : al + 0x60);
        cf = true;
    } else if (!sub) {
        cf = false;
    }
    uint32_t fl = bcd_szp(al) | (cf ? CC_C : 0) | (af ? CC_A : 0);
    return bcd_pack((ax & 0xff00u) | al, fl);
}

/* AAA: AX += 106h, AAS: AX -= 6, AH -= 1; then AL &= 0Fh */
static uint64_t bcd_aaa_aas(unsigned ax, uint32_t in, bool sub)
{
    uint32_t fl = 0;
    if ((ax & 0xf) > 9 || (in & CC_A)) {
        ax = sub ? ((ax - 6) & 0xffffu) - 0x100 : ax + 0x106;
        fl = CC_A | CC_C;
    }
    ax = (ax & 0xff00u) | (ax & 0x0fu);
    return bcd_pack(ax, fl | bcd_szp((uint8_t)ax));
}

/* AAM imm8 (imm8 != 0: the translator raises #DE for 0), AAD imm8 */
static uint64_t bcd_aam_aad(unsigned ax, unsigned imm, bool aad)
{
    uint8_t al = (uint8_t)ax, ah = (uint8_t)(ax >> 8);
    if (aad) {
        al = (uint8_t)(al + ah * imm);
        ah = 0;
    } else {
        ah = (uint8_t)(al / imm);
        al = (uint8_t)(al % imm);
    }
    return bcd_pack((unsigned)ah << 8 | al, bcd_szp(al));
}

uint64_t helper_bcd(uint32_t op, uint64_t eax, uint64_t flags)
{
    unsigned ax = (unsigned)eax & 0xffffu, imm = (op >> 8) & 0xff;
    uint32_t in = (uint32_t)flags;
    switch (op & 0xff) {
    case BCD_DAA:
        return bcd_daa_das(ax, in, false);
    case BCD_DAS:
        return bcd_daa_das(ax, in, true);
    case BCD_AAA:
        return bcd_aaa_aas(ax, in, false);
    case BCD_AAS:
        return bcd_aaa_aas(ax, in, true);
    case BCD_AAM:
        return bcd_aam_aad(ax, imm ? imm : 1, false);
    default:
        return bcd_aam_aad(ax, imm, true);
    }
}
