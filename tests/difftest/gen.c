/*
 * The difftest sequence generator (gen.h). Each instruction is encoded by
 * hand from its SDM form (prefixes, REX, opcode, ModRM, displacement,
 * immediate); RIP-relative displacements and forward branch offsets are
 * patched once every instruction's address is known. The flags left
 * undefined and the disassembly come from xlat's own decoder.
 */
#include "gen.h"

#include <string.h>

#include "cpu/decode.h"
#include "cpu/disas.h"
#include "hostcpu.h"

typedef struct Gen {
    uint64_t rng;
    DtGenSeq *seq;
    uint8_t b[16]; /* the instruction being built */
    unsigned n;
    int rip_disp; /* position of a RIP-relative disp32, or -1 */
    uint32_t rip_target;
    bool lock;   /* next enc(): LOCK prefix */
    int jcc_pos; /* position of a forward branch offset, or -1 */
    unsigned jcc_size;
    int jcc_to[DT_GEN_MAX_INSNS]; /* target instruction of each branch */
    int jcc_at[DT_GEN_MAX_INSNS];
    unsigned jcc_sz[DT_GEN_MAX_INSNS];
    bool m32; /* 32- or 16-bit code: no REX, (E)BP is the memory base */
    bool m16; /* 16-bit code: 66h means 32-bit, [bp + disp8], no 67h */
} Gen;

/* ModRM operand: a register or memory */
typedef struct Rm {
    bool mem;
    bool rip; /* RIP-relative instead of [r15 + disp8] */
    unsigned reg;
    int8_t disp;
} Rm;

static uint64_t gen_rand(Gen *g)
{
    uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static unsigned gen_below(Gen *g, unsigned n)
{
    return (unsigned)(gen_rand(g) % n);
}

static void put(Gen *g, uint8_t v)
{
    g->b[g->n++] = v;
}

static void put_le(Gen *g, uint64_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        put(g, (uint8_t)(v >> (8 * i)));
    }
}

/* a destination GPR: never RSP (the stack) nor R15 (the memory base) */
static unsigned gen_dst(Gen *g)
{
    unsigned r;
    if (g->m32) { /* never ESP nor EBP (the memory base) */
        static const unsigned regs32[] = {0, 1, 2, 3, 6, 7};
        return regs32[gen_below(g, 6)];
    }
    do {
        r = gen_below(g, 15);
    } while (r == 4);
    return r;
}

static unsigned gen_size(Gen *g)
{
    static const unsigned sizes[] = {1, 2, 4, 8, 4, 8};
    return g->m32 ? sizes[gen_below(g, 3)] : sizes[gen_below(g, 6)];
}

/* LOCK on a read-modify-write memory destination, sometimes */
static Rm gen_lockable(Gen *g, Rm rm)
{
    g->lock = rm.mem && gen_below(g, 3) == 0;
    return rm;
}

static Rm gen_rm(Gen *g, bool allow_mem, bool dst)
{
    Rm rm = {0};
    if (allow_mem && gen_below(g, 3) == 0) {
        rm.mem = true;
        rm.rip = gen_below(g, 4) == 0;
        rm.disp = (int8_t)gen_below(g, 256);
        return rm;
    }
    rm.reg = dst ? gen_dst(g) : gen_below(g, g->m32 ? 8 : 16);
    return rm;
}

/*
 * 32-bit code (after LOCK and 66h): sometimes 67h, which turns [ebp + disp8]
 * into the 16-bit form [di + disp8] (a fault below 64 KiB, or a hit); an
 * ES/SS/DS override (CS is not writable); opcode; ModRM with [ebp + disp8]
 * or an absolute disp32 (patched like a RIP-relative one).
 */
static void enc32(Gen *g, const uint8_t *opc, unsigned nopc, unsigned regf,
                  Rm rm)
{
    if (rm.mem && !rm.rip && !g->m16 && gen_below(g, 24) == 0) {
        put(g, 0x67);
    }
    if (rm.mem && gen_below(g, 8) == 0) {
        static const uint8_t segs[] = {0x26, 0x36, 0x3e};
        put(g, segs[gen_below(g, 3)]);
    }
    for (unsigned i = 0; i < nopc; i++) {
        put(g, opc[i]);
    }
    if (!rm.mem) {
        put(g, (uint8_t)(0xc0 | (regf & 7) << 3 | (rm.reg & 7)));
    } else if (rm.rip) { /* [disp32], 16-bit: [disp16] */
        put(g, (uint8_t)((g->m16 ? 0x06 : 0x05) | (regf & 7) << 3));
        g->rip_disp = (int)g->n;
        g->rip_target = 0x1000 + (uint32_t)(int32_t)rm.disp * 4;
        put_le(g, 0, g->m16 ? 2 : 4);
    } else { /* [ebp + disp8], 16-bit: [bp + disp8] */
        put(g, (uint8_t)((g->m16 ? 0x46 : 0x45) | (regf & 7) << 3));
        put(g, (uint8_t)rm.disp);
    }
}

/* ModRM (+ disp) for reg field regf and r/m operand rm: a register, a
   RIP-relative slot patched later, or [r15 + disp8] */
static void put_modrm(Gen *g, unsigned regf, Rm rm)
{
    if (!rm.mem) {
        put(g, (uint8_t)(0xc0 | (regf & 7) << 3 | (rm.reg & 7)));
    } else if (rm.rip) {
        put(g, (uint8_t)(0x05 | (regf & 7) << 3));
        g->rip_disp = (int)g->n;
        g->rip_target = 0x1000 + (uint32_t)(int32_t)rm.disp * 4;
        put_le(g, 0, 4);
    } else {
        put(g, (uint8_t)(0x47 | (regf & 7) << 3)); /* [r15 + disp8] */
        put(g, (uint8_t)rm.disp);
    }
}

/*
 * prefixes + REX + opcode + ModRM (+ disp). regf: the reg field (register
 * or /digit). no_w: the opcode's size is implied (default 64-bit).
 */
static void enc(Gen *g, unsigned size, const uint8_t *opc, unsigned nopc,
                unsigned regf, Rm rm, bool no_w)
{
    if (g->lock) {
        put(g, 0xf0);
        g->lock = false;
    }
    if (g->m16 ? size == 4 : size == 2) {
        put(g, 0x66);
    }
    if (g->m32) {
        enc32(g, opc, nopc, regf, rm);
        return;
    }
    if (rm.mem && gen_below(g, 6) == 0) {
        put(g, 0x67); /* 32-bit address: the data region is below 4 GiB */
    }
    if (rm.mem && gen_below(g, 8) == 0) {
        static const uint8_t segs[] = {0x26, 0x2e, 0x36, 0x3e}; /* ignored */
        put(g, segs[gen_below(g, 4)]);
    }
    unsigned rex = 0;
    rex |= (size == 8 && !no_w) ? 8 : 0;
    rex |= (regf & 8) ? 4 : 0;
    rex |= (!rm.mem && (rm.reg & 8)) || (rm.mem && !rm.rip) ? 1 : 0;
    bool byte_rex = size == 1 && (regf >= 4 || (!rm.mem && rm.reg >= 4));
    if (rex || (byte_rex && gen_below(g, 2))) {
        put(g, (uint8_t)(0x40 | rex));
    }
    for (unsigned i = 0; i < nopc; i++) {
        put(g, opc[i]);
    }
    put_modrm(g, regf, rm);
}

static void enc1(Gen *g, unsigned size, uint8_t opc, unsigned regf, Rm rm)
{
    enc(g, size, &opc, 1, regf, rm, false);
}

static void put_imm(Gen *g, unsigned size)
{
    put_le(g, gen_rand(g), size == 8 ? 4 : size);
}

/* ADD OR ADC SBB AND SUB XOR CMP in their r/m, reg and imm forms */
static void gen_alu(Gen *g)
{
    unsigned op = gen_below(g, 8), size = gen_size(g);
    unsigned w = size != 1;
    switch (gen_below(g, 4)) {
    case 0: { /* op r/m, reg */
        Rm rm = gen_rm(g, true, true);
        if (op != 7) {
            gen_lockable(g, rm);
        }
        enc1(g, size, (uint8_t)(op * 8 + w), gen_below(g, 16), rm);
        break;
    }
    case 1: /* op reg, r/m */
        enc1(g, size, (uint8_t)(op * 8 + 2 + w), gen_dst(g),
             gen_rm(g, true, false));
        break;
    case 2: { /* 80 / 81 / 83 */
        bool ib = size != 1 && gen_below(g, 2);
        Rm rm = gen_rm(g, true, true);
        if (op != 7) {
            gen_lockable(g, rm);
        }
        enc1(g, size, ib ? 0x83 : (uint8_t)(0x80 + w), op, rm);
        put_imm(g, ib ? 1 : size);
        break;
    }
    default: /* op al/eax/rax, imm */
        enc(g, size, (const uint8_t[]){(uint8_t)(op * 8 + 4 + w)}, 1, 0,
            (Rm){.reg = 0}, false);
        g->n--; /* no ModRM in this form */
        put_imm(g, size);
        break;
    }
}

static void gen_test_unary(Gen *g)
{
    unsigned size = gen_size(g), w = size != 1;
    unsigned k = gen_below(g, 5);
    if (k == 0) {
        enc1(g, size, (uint8_t)(0x84 + w), gen_below(g, 16),
             gen_rm(g, true, false));
    } else if (k == 1) {
        enc1(g, size, (uint8_t)(0xf6 + w), 0, gen_rm(g, true, false));
        put_imm(g, size);
    } else if (k == 2) { /* INC / DEC */
        enc1(g, size, (uint8_t)(0xfe + w), gen_below(g, 2),
             gen_lockable(g, gen_rm(g, true, true)));
    } else { /* NOT / NEG */
        unsigned digit = 2 + gen_below(g, 2);
        Rm rm = gen_rm(g, true, true);
        if (digit == 2) {
            gen_lockable(g, rm); /* LOCK NOT (LOCK NEG is not in yet) */
        }
        enc1(g, size, (uint8_t)(0xf6 + w), digit, rm);
    }
}

static void gen_mov(Gen *g)
{
    unsigned size = gen_size(g), w = size != 1;
    switch (gen_below(g, 5)) {
    case 0:
        enc1(g, size, (uint8_t)(0x88 + w), gen_below(g, 16),
             gen_rm(g, true, true));
        break;
    case 1:
        enc1(g, size, (uint8_t)(0x8a + w), gen_dst(g), gen_rm(g, true, false));
        break;
    case 2:
        enc1(g, size, (uint8_t)(0xc6 + w), 0, gen_rm(g, true, true));
        put_imm(g, size);
        break;
    case 3: { /* B0+r / B8+r, imm64 with REX.W */
        unsigned r = gen_dst(g);
        enc(g, size, (const uint8_t[]){(uint8_t)((w ? 0xb8 : 0xb0) + (r & 7))},
            1, 0, (Rm){.reg = r}, false);
        g->n--;
        put_le(g, gen_rand(g), size);
        break;
    }
    default: { /* MOVZX / MOVSX / MOVSXD */
        unsigned k = gen_below(g, 5);
        static const unsigned dsizes[] = {2, 4, 8};
        unsigned dsize = dsizes[gen_below(g, g->m32 ? 2 : 3)];
        if (k == 4 && !g->m32) {
            enc1(g, 8, 0x63, gen_dst(g), gen_rm(g, true, false));
        } else {
            const uint8_t opc[2] = {
                0x0f, (uint8_t)(0xb6 + (k & 1) + (k & 2 ? 8 : 0))};
            enc(g, dsize, opc, 2, gen_dst(g), gen_rm(g, true, false), false);
        }
        break;
    }
    }
}

/* 32-bit code: LEA r16/r32 with a 16-bit address (67h): BX/BP/SI/DI sums */
static void gen_lea16(Gen *g)
{
    unsigned mod = gen_below(g, 3), rm = gen_below(g, 8);
    if (gen_below(g, 2)) {
        put(g, 0x66);
    }
    if (!g->m16) {
        put(g, 0x67);
    }
    put(g, 0x8d);
    put(g, (uint8_t)(mod << 6 | gen_dst(g) << 3 | rm));
    if (mod == 1) {
        put(g, (uint8_t)gen_rand(g));
    } else if (mod == 2 || rm == 6) {
        put_le(g, gen_rand(g), 2);
    }
}

static void gen_stack(Gen *g)
{
    unsigned k = gen_below(g, 7);
    bool p16 = gen_below(g, 8) == 0;
    unsigned size = p16 ? 2 : 8;
    if (k == 0 || k == 1) { /* PUSH / POP reg */
        unsigned r = k == 0 ? gen_below(g, 16) : gen_dst(g);
        enc(g, size, (const uint8_t[]){(uint8_t)((k ? 0x58 : 0x50) + (r & 7))},
            1, 0, (Rm){.reg = r}, true);
        g->n--;
    } else if (k == 2) { /* PUSH imm8 / imm32 */
        bool ib = gen_below(g, 2);
        put(g, ib ? 0x6a : 0x68);
        put_imm(g, ib ? 1 : g->m16 ? 2 : 4);
    } else if (k == 3) {
        enc(g, 8, (const uint8_t[]){0xff}, 1, 6, gen_rm(g, true, false), true);
    } else if (k == 4) {
        Rm rm = gen_rm(g, true, true);
        enc(g, 8, (const uint8_t[]){0x8f}, 1, 0, rm, true);
    } else if (k == 5) { /* CALL +0: pushes the next address */
        put(g, 0xe8);
        put_le(g, 0, g->m16 ? 2 : 4);
    } else if (g->m32 && gen_below(g, 3) == 0) {
        gen_lea16(g);
    } else { /* LEA */
        unsigned s = 2 + 2 * gen_below(g, g->m32 ? 2 : 3);
        Rm rm = gen_rm(g, true, false);
        rm.mem = true;
        enc1(g, s == 6 ? 8 : s, 0x8d, gen_dst(g), rm);
    }
}

static void gen_cond(Gen *g)
{
    unsigned cc = gen_below(g, 16), size = gen_size(g);
    switch (gen_below(g, 4)) {
    case 0: /* SETcc */
        enc(g, 1, (const uint8_t[]){0x0f, (uint8_t)(0x90 + cc)}, 2, 0,
            gen_rm(g, true, true), false);
        break;
    case 1: /* CMOVcc */
        size = size == 1 ? 4 : size;
        enc(g, size, (const uint8_t[]){0x0f, (uint8_t)(0x40 + cc)}, 2,
            gen_dst(g), gen_rm(g, true, false), false);
        break;
    case 2: /* Jcc rel8 / rel32, JMP rel8: patched later */
        if (gen_below(g, 5) == 0) {
            put(g, 0xeb);
        } else if (gen_below(g, 4) == 0) {
            if (g->m32 && gen_below(g, 3) == 0) {
                put(g, 0x67); /* CX in 32-bit code, ECX in 16-bit code */
            }
            put(g, (uint8_t)(0xe0 + gen_below(g, 4))); /* LOOPcc, JRCXZ */
        } else if (gen_below(g, 3) == 0) {
            put(g, 0x0f);
            put(g, (uint8_t)(0x80 + cc));
            g->jcc_pos = (int)g->n;
            g->jcc_size = g->m16 ? 2 : 4; /* rel16 in 16-bit code */
            put_le(g, 0, g->jcc_size);
            break;
        } else {
            put(g, (uint8_t)(0x70 + cc));
        }
        g->jcc_pos = (int)g->n;
        g->jcc_size = 1;
        put(g, 0);
        break;
    default: { /* CLC STC CMC */
        static const uint8_t ops[] = {0xf8, 0xf9, 0xf5};
        put(g, ops[gen_below(g, 3)]);
        break;
    }
    }
}

static void gen_misc(Gen *g)
{
    unsigned size = gen_size(g);
    size = size == 1 ? 4 : size;
    switch (gen_below(g, 4)) {
    case 0:
        put(g, 0x90);
        break;
    case 1:
        enc(g, size, (const uint8_t[]){0x0f, 0x1f}, 2, 0,
            gen_rm(g, true, false), false);
        break;
    case 2: /* CBW / CWD family */
        enc(g, size, (const uint8_t[]){(uint8_t)(0x98 + gen_below(g, 2))}, 1, 0,
            (Rm){.reg = 0}, false);
        g->n--;
        break;
    default: { /* XCHG */
        unsigned s = gen_size(g);
        enc1(g, s, (uint8_t)(0x86 + (s != 1)), gen_dst(g),
             gen_lockable(g, gen_rm(g, true, true)));
        break;
    }
    }
}

/* rarely: an exception in the middle (UD2, INT3, a store to code) */
static void gen_fault(Gen *g)
{
    switch (gen_below(g, 3)) {
    case 0:
        put(g, 0x0f);
        put(g, 0x0b);
        break;
    case 1:
        put(g, 0xcc);
        break;
    default: /* mov [rip + 0], al: the code page is read-only */
        if (g->m16) {
            /* DS cannot reach the code: UD2 */
            put(g, 0x0f);
            put(g, 0x0b);
            break;
        }
        put(g, 0x88);
        put(g, 0x05);
        put_le(g, g->m32 ? DT_CODE_ADDR : 0, 4); /* 32-bit: absolute */
        break;
    }
}

/* ---- string and sys family (translate_string.c, translate_sys.c) ---- */

/* lea reg, [r15 + disp8]: a pointer into the data region */
static void gen_fes_lea(Gen *g, unsigned reg)
{
    if (g->m32) { /* lea reg, [ebp + disp8] (16-bit: [bp + disp8]) */
        put(g, 0x8d);
        put(g, (uint8_t)((g->m16 ? 0x46 : 0x45) | (reg & 7) << 3));
        put(g, (uint8_t)gen_below(g, 256));
        return;
    }
    put(g, (uint8_t)(0x49 | ((reg & 8) ? 4 : 0)));
    put(g, 0x8d);
    put(g, (uint8_t)(0x47 | (reg & 7) << 3));
    put(g, (uint8_t)gen_below(g, 256));
}

/*
 * One slot: RSI/RDI into the data region, RCX = 0..9 (push imm8; pop
 * rcx), then MOVS/CMPS/STOS/LODS/SCAS in a random size with REP/REPE/
 * REPNE, 67h and an ignored segment override; DF comes from STD/CLD.
 */
static void gen_fes_string(Gen *g)
{
    static const uint8_t ops[] = {0xa4, 0xa6, 0xaa, 0xac, 0xae};
    unsigned k = gen_below(g, 5), size = gen_size(g);
    bool cmp = k == 1 || k == 4;
    if (k != 2 && k != 4) {
        gen_fes_lea(g, 6);
    }
    if (k != 3) {
        gen_fes_lea(g, 7);
    }
    put(g, 0x6a);
    put(g, (uint8_t)gen_below(g, 10));
    put(g, 0x59);
    unsigned rep = gen_below(g, 4);
    if (rep == 1 || (rep == 2 && !cmp)) {
        put(g, 0xf3);
    } else if (rep == 2) {
        put(g, 0xf2);
    }
    if (!g->m16 && gen_below(g, g->m32 ? 12 : 4) == 0) {
        put(g, 0x67);
    }
    if (g->m16 ? size == 4 : size == 2) {
        put(g, 0x66);
    }
    if (size == 8) {
        put(g, 0x48);
    }
    put(g, (uint8_t)(ops[k] + (size != 1)));
}

/* XADD, CMPXCHG, CMPXCHG8B/16B (LOCK sometimes) */
static void gen_fes_xchg(Gen *g)
{
    unsigned size = gen_size(g), w = size != 1;
    Rm rm;
    switch (gen_below(g, 4)) {
    case 0:
        rm = gen_lockable(g, gen_rm(g, true, true));
        enc(g, size, (const uint8_t[]){0x0f, (uint8_t)(0xc0 | w)}, 2,
            gen_dst(g), rm, false);
        break;
    case 1:
    case 2:
        rm = gen_lockable(g, gen_rm(g, true, true));
        enc(g, size, (const uint8_t[]){0x0f, (uint8_t)(0xb0 | w)}, 2,
            gen_below(g, 16), rm, false);
        break;
    default: /* 8B, or 16B (#GP when not 16-byte aligned) */
        rm = gen_rm(g, true, false);
        rm.mem = true;
        rm = gen_lockable(g, rm);
        size = gen_below(g, 2) && !g->m32 ? 8 : 4;
        enc(g, size, (const uint8_t[]){0x0f, 0xc7}, 2, 1, rm, false);
        break;
    }
}

/* LAHF SAHF STD CLD, XLAT on RBX in the data region, ENTER + LEAVE */
static void gen_fes_misc(Gen *g)
{
    static const uint8_t one[] = {0x9f, 0x9e, 0xfd, 0xfc};
    unsigned k = gen_below(g, 6);
    if (k < 4) {
        put(g, one[k]);
    } else if (k == 4) {
        gen_fes_lea(g, 3);
        if (!g->m16 && gen_below(g, 4) == 0) {
            put(g, 0x67);
        }
        put(g, 0xd7);
    } else { /* mov rbp, rsp; enter imm16, imm8; leave */
        if (!g->m32) {
            put(g, 0x48);
        }
        put(g, 0x89);
        put(g, 0xe5);
        put(g, 0xc8);
        put_le(g, gen_below(g, 8) * 8, 2);
        put(g, (uint8_t)gen_below(g, 4));
        put(g, 0xc9);
    }
}

static void gen_fes(Gen *g)
{
    switch (gen_below(g, 3)) {
    case 0:
        gen_fes_string(g);
        break;
    case 1:
        gen_fes_xchg(g);
        break;
    default:
        gen_fes_misc(g);
        break;
    }
}

/* ---- end of the string and sys family ---- */

/* ---- muldiv, shift and bits families (translate_muldiv/shift/bits.c) ---- */

/*
 * An instruction that leaves flags undefined is followed in its slot by a
 * sanitizer, so a later flag consumer never reads an undefined flag:
 * PUSHFQ + AND [rsp], ~undef keeps the defined flags in the stack image
 * (compared as data) and leaves defined flags behind; SBB r14d, r14d keeps
 * CF in R14; XOR r14d, r14d when every flag is undefined. Slots stay
 * within 16 bytes.
 */
static void fea_pushf_mask(Gen *g, uint32_t undef)
{
    if (!undef) {
        return;
    }
    put(g, 0x9c);
    if (undef & 0xff00) {
        put(g, 0x66);
        put(g, 0x81);
        put(g, 0x24);
        put(g, 0x24);
        put_le(g, ~undef & 0xffff, 2);
    } else {
        put(g, 0x80);
        put(g, 0x24);
        put(g, 0x24);
        put(g, (uint8_t)~undef);
    }
}

static void fea_r14(Gen *g, uint8_t opc)
{
    put(g, 0x45);
    put(g, opc);
    put(g, 0xf6);
}

static unsigned fea_size248(Gen *g)
{
    static const unsigned s[] = {2, 4, 8, 4, 8};
    return s[gen_below(g, 5)];
}

/* a random count with a bias to the corner values */
static unsigned fea_count(Gen *g)
{
    static const unsigned c[] = {0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63};
    return gen_below(g, 2) ? c[gen_below(g, ARRAY_LEN(c))] : gen_below(g, 256);
}

/* MUL IMUL DIV IDIV (F6/F7), IMUL r, r/m (, imm8/imm) */
static void gen_fea_muldiv(Gen *g)
{
    unsigned size = gen_size(g), w = size != 1;
    unsigned k = gen_below(g, 5);
    if (k == 0) { /* DIV/IDIV, mostly with a zero/sign-extended RDX */
        unsigned digit = 6 + gen_below(g, 2);
        if (size != 1 && gen_below(g, 2)) {
            if (digit == 6) {
                put(g, 0x31);
                put(g, 0xd2);
            } else if (size != 4) {
                put(g, size == 2 ? 0x66 : 0x48);
                put(g, 0x99); /* CWD / CQO */
            } else {
                put(g, 0x99); /* CDQ */
            }
        }
        enc1(g, size, (uint8_t)(0xf6 + w), digit, gen_rm(g, true, false));
        fea_r14(g, 0x31);
        return;
    }
    if (k == 1) {
        enc1(g, size, (uint8_t)(0xf6 + w), 4 + gen_below(g, 2),
             gen_rm(g, true, false));
    } else if (k == 2 || size == 1) {
        size = size == 1 ? 4 : size;
        enc(g, size, (const uint8_t[]){0x0f, 0xaf}, 2, gen_dst(g),
            gen_rm(g, true, false), false);
    } else if (k == 3) {
        enc1(g, size, 0x6b, gen_dst(g), gen_rm(g, true, false));
        put(g, (uint8_t)gen_rand(g));
    } else {
        enc1(g, size, 0x69, gen_dst(g), gen_rm(g, false, false));
        put_imm(g, size);
    }
    fea_pushf_mask(g, XF_SF | XF_ZF | XF_AF | XF_PF);
}

/* undefined flags of a shift/rotate by a known count */
static uint32_t fea_shift_undef(unsigned digit, unsigned size, unsigned count)
{
    unsigned m = count & (size == 8 ? 63 : 31);
    uint32_t u = 0;
    if (m == 0) {
        return 0;
    }
    if (m != 1) {
        u |= XF_OF;
    }
    if (digit >= 4) {
        u |= XF_AF;
    }
    if ((digit == 4 || digit == 5 || digit == 6) && size < 4 && m >= size * 8) {
        u |= XF_CF;
    }
    return u;
}

/* group 2 by 1, imm8 or CL (MOV CL, imm8 first) */
static void gen_fea_shift(Gen *g)
{
    unsigned size = gen_size(g), w = size != 1;
    unsigned digit = gen_below(g, 8), count = fea_count(g);
    Rm rm = gen_rm(g, true, true);
    rm.rip = false; /* disp32 would not fit the slot */
    switch (gen_below(g, 3)) {
    case 0:
        count = 1;
        enc1(g, size, (uint8_t)(0xd0 + w), digit, rm);
        break;
    case 1:
        enc1(g, size, (uint8_t)(0xc0 + w), digit, rm);
        put(g, (uint8_t)count);
        break;
    default:
        if (!rm.mem && (rm.reg == 1)) {
            rm.reg = 2;
        }
        put(g, 0xb1);
        put(g, (uint8_t)count);
        enc1(g, size, (uint8_t)(0xd2 + w), digit, rm);
        break;
    }
    fea_pushf_mask(g, fea_shift_undef(digit, size, count));
}

/* SHLD/SHRD by imm8 or CL; 16-bit counts above 16 are not generated */
static void gen_fea_shd(Gen *g)
{
    unsigned size = fea_size248(g), count = fea_count(g);
    uint8_t opc = (uint8_t)(gen_below(g, 2) ? 0xa4 : 0xac);
    unsigned src = gen_below(g, 16);
    if (size == 2) {
        count = (count & 31) % 17;
    }
    if (gen_below(g, 2)) {
        Rm rm = gen_rm(g, true, true);
        rm.rip = false;
        enc(g, size, (const uint8_t[]){0x0f, opc}, 2, src, rm, false);
        put(g, (uint8_t)count);
    } else {
        Rm rm = gen_rm(g, false, true);
        rm.reg = rm.reg == 1 ? 2 : rm.reg;
        put(g, 0xb1);
        put(g, (uint8_t)count);
        enc(g, size, (const uint8_t[]){0x0f, (uint8_t)(opc + 1)}, 2, src, rm,
            false);
    }
    unsigned m = count & (size == 8 ? 63 : 31);
    fea_pushf_mask(g, m == 0 ? 0 : XF_AF | (m != 1 ? XF_OF : 0));
}

/* BT BTS BTR BTC: imm8, register offset (memory: MOVSX off, off8 first) */
static void gen_fea_bt(Gen *g)
{
    unsigned size = fea_size248(g), k = gen_below(g, 4);
    Rm rm = gen_rm(g, true, true);
    if (gen_below(g, 2)) {
        enc(g, size, (const uint8_t[]){0x0f, 0xba}, 2, 4 + k, rm, false);
        put(g, (uint8_t)gen_rand(g));
    } else {
        unsigned off = gen_dst(g);
        rm.rip = false;
        if (rm.mem) {
            unsigned x = off & 8 ? 5 : 0;
            put(g, (uint8_t)(0x48 | x));
            put(g, 0x0f);
            put(g, 0xbe);
            put(g, (uint8_t)(0xc0 | (off & 7) << 3 | (off & 7)));
            if (k) {
                gen_lockable(g, rm);
            }
        }
        static const uint8_t opc[] = {0xa3, 0xab, 0xb3, 0xbb};
        enc(g, size, (const uint8_t[]){0x0f, opc[k]}, 2, off, rm, false);
    }
    fea_r14(g, 0x19);
}

/* BSF BSR POPCNT TZCNT LZCNT BSWAP MOVBE CRC32 ADCX ADOX */
static void gen_fea_scan(Gen *g)
{
    unsigned size = fea_size248(g), k = gen_below(g, 7);
    Rm rm = gen_rm(g, true, false);
    rm.rip = rm.rip && k >= 3;
    static const uint8_t opc[] = {0xbc, 0xbd, 0xb8};
    if (k <= 1) {
        enc(g, size, (const uint8_t[]){0x0f, opc[k]}, 2, gen_dst(g), rm, false);
        fea_pushf_mask(g, XF_CF | XF_OF | XF_SF | XF_AF | XF_PF);
    } else if (k == 2) {
        put(g, 0xf3);
        unsigned j = gen_below(g, 3);
        enc(g, size, (const uint8_t[]){0x0f, opc[j]}, 2, gen_dst(g), rm, false);
        fea_pushf_mask(g, j == 2 ? 0 : XF_OF | XF_SF | XF_AF | XF_PF);
    } else if (k == 3) {
        unsigned r = gen_dst(g), rex = (size == 8 ? 8 : 0) | (r >= 8);
        if (rex) {
            put(g, (uint8_t)(0x40 | rex));
        }
        put(g, 0x0f);
        put(g, (uint8_t)(0xc8 + (r & 7)));
    } else if (k == 4) {
        rm.mem = true;
        enc(g, size, (const uint8_t[]){0x0f, 0x38, 0xf0 | gen_below(g, 2)}, 3,
            gen_dst(g), rm, false);
    } else if (k == 5) {
        unsigned s = gen_size(g);
        put(g, 0xf2);
        enc(g, s, (const uint8_t[]){0x0f, 0x38, (uint8_t)(0xf0 + (s != 1))}, 3,
            gen_dst(g), rm, false);
    } else {
        put(g, gen_below(g, 2) ? 0x66 : 0xf3);
        enc(g, size == 2 ? 4 : size, (const uint8_t[]){0x0f, 0x38, 0xf6}, 3,
            gen_dst(g), rm, false);
    }
}

/* VEX.LZ 0F38 (map 2) or 0F3A (map 3) + ModRM; vvvv: a register */
static void fea_vex(Gen *g, unsigned map, unsigned pp, bool w, unsigned vvvv,
                    uint8_t opc, unsigned regf, Rm rm)
{
    if (rm.mem && gen_below(g, 6) == 0) {
        put(g, 0x67);
    }
    unsigned b = (!rm.mem && (rm.reg & 8)) || (rm.mem && !rm.rip);
    put(g, 0xc4);
    put(g, (uint8_t)((regf & 8 ? 0 : 0x80) | 0x40 | (b ? 0 : 0x20) | map));
    put(g, (uint8_t)((w ? 0x80 : 0) | (~vvvv & 15) << 3 | pp));
    put(g, opc);
    put_modrm(g, regf, rm);
}

/* BMI1/BMI2: ANDN BLS* BEXTR BZHI PDEP PEXT MULX SARX SHLX SHRX RORX */
static void gen_fea_bmi(Gen *g)
{
    bool w = gen_below(g, 2);
    unsigned d = gen_dst(g), v = gen_below(g, 16), k = gen_below(g, 7);
    Rm rm = gen_rm(g, true, false);
    uint32_t u = XF_AF | XF_PF;
    switch (k) {
    case 0: /* ANDN */
        fea_vex(g, 2, 0, w, v, 0xf2, d, rm);
        break;
    case 1: /* BLSR BLSMSK BLSI */
        fea_vex(g, 2, 0, w, d, 0xf3, 1 + gen_below(g, 3), rm);
        break;
    case 2: /* BEXTR, BZHI */
        if (gen_below(g, 2)) {
            u |= XF_SF;
            fea_vex(g, 2, 0, w, v, 0xf7, d, rm);
        } else {
            fea_vex(g, 2, 0, w, v, 0xf5, d, rm);
        }
        break;
    case 3: /* PEXT PDEP */
        fea_vex(g, 2, 2 + gen_below(g, 2), w, v, 0xf5, d, rm);
        u = 0;
        break;
    case 4: { /* MULX */
        unsigned lo = gen_dst(g);
        lo = lo == d ? (d + 1) % 15 : lo;
        lo = lo == 4 ? 5 : lo;
        fea_vex(g, 2, 3, w, lo, 0xf6, d, rm);
        u = 0;
        break;
    }
    case 5: /* SARX SHLX SHRX */
        fea_vex(g, 2, 1 + gen_below(g, 3), w, v, 0xf7, d, rm);
        u = 0;
        break;
    default: /* RORX */
        fea_vex(g, 3, 3, w, 0, 0xf0, d, rm);
        put(g, (uint8_t)gen_rand(g));
        u = 0;
        break;
    }
    fea_pushf_mask(g, u);
}

static void gen_fea(Gen *g)
{
    switch (gen_below(g, 7)) {
    case 0:
        gen_fea_muldiv(g);
        break;
    case 1:
    case 2:
        gen_fea_shift(g);
        break;
    case 3:
        gen_fea_shd(g);
        break;
    case 4:
        gen_fea_bt(g);
        break;
    case 5:
        gen_fea_scan(g);
        break;
    default:
        gen_fea_bmi(g);
        break;
    }
}

/* undefined flags of every instruction of a slot (sanitizers included) */
static uint32_t gen_fea_undef(const uint8_t *code, size_t len, X86Mode mode)
{
    uint32_t mask = 0;
    size_t pos = 0;
    while (pos < len) {
        DecodedInsn d;
        if (x86_decode(&d, code + pos, len - pos, mode) != X86_DEC_OK) {
            break;
        }
        mask |= x86_insn_info(d.id)->flags_u;
        pos += d.len;
    }
    return mask;
}

/* ---- end of the muldiv, shift and bits families ---- */

/* ---- misc forms (the misc helper): POPF, PUSH/POP forms, hint NOPs ---- */

/*
 * push imm32 (66: imm16) + popf: a random image without TF and AC, and
 * without the flags the host kernel may change (DT_FLAGS_HOST_ASYNC)
 */
static void gen_misc_popf(Gen *g)
{
    uint64_t img =
        gen_rand(g) & ~(uint64_t)(DT_TF | DT_AC | DT_FLAGS_HOST_ASYNC);
    if (gen_below(g, 4) == 0) {
        put(g, 0x66);
        put(g, 0x68);
        put_le(g, img, 2);
        put(g, 0x66);
    } else {
        put(g, 0x68);
        put_le(g, img, 4);
    }
    put(g, 0x9d);
}

/*
 * push 0; pop fs/gs (a null selector: base 0 as on the host); push fs/gs
 * (66h sometimes). The host's FS/GS selectors are null from the start.
 */
static void gen_misc_fs_gs(Gen *g)
{
    bool gs = gen_below(g, 2);
    put(g, 0x6a);
    put(g, 0x00);
    put(g, 0x0f);
    put(g, gs ? 0xa9 : 0xa1);
    if (gen_below(g, 3) == 0) {
        put(g, 0x66);
    }
    put(g, 0x0f);
    put(g, gs ? 0xa8 : 0xa0);
}

/* 66h stack forms: push imm8/imm16, push/pop word r/m, pop [rsp+disp8] */
static void gen_misc_push_pop(Gen *g)
{
    switch (gen_below(g, 6)) {
    case 5:
        gen_misc_fs_gs(g);
        break;
    case 0:
        put(g, 0x66);
        put(g, 0x6a);
        put_imm(g, 1);
        break;
    case 1:
        put(g, 0x66);
        put(g, 0x68);
        put_imm(g, 2);
        break;
    case 2:
        enc(g, 2, (const uint8_t[]){0xff}, 1, 6, gen_rm(g, true, false), true);
        break;
    case 3:
        enc(g, 2, (const uint8_t[]){0x8f}, 1, 0, gen_rm(g, true, true), true);
        break;
    default: { /* pop [rsp + disp8] (66h sometimes): RSP moves first */
        bool w = gen_below(g, 3) == 0;
        if (w) {
            put(g, 0x66);
        }
        put(g, 0x8f);
        put(g, 0x44);
        put(g, 0x24);
        put(g, (uint8_t)(gen_below(g, 16) * (w ? 2 : 8)));
        break;
    }
    }
}

/* a memory ModRM with any base/index/disp (SIB, RIP-relative, disp32) */
static void gen_misc_any_mem(Gen *g, unsigned regf)
{
    unsigned mod = gen_below(g, 3), rm = gen_below(g, 8);
    unsigned sib_base = 0;
    put(g, (uint8_t)(mod << 6 | (regf & 7) << 3 | rm));
    if (rm == 4) {
        unsigned sib = gen_below(g, 256);
        sib_base = sib & 7;
        put(g, (uint8_t)sib);
    }
    if (mod == 1) {
        put(g, (uint8_t)gen_below(g, 256));
    } else if (mod == 2 ||
               (mod == 0 && (rm == 5 || (rm == 4 && sib_base == 5)))) {
        put_le(g, gen_rand(g), 4);
    }
}

/*
 * NOP and hint forms never touch memory, whatever the address: 0F 1F /r,
 * 0F 18 /0-7, 0F 19-0F 1D /r, 0F 1E /r (no F3), PREFETCHW, PAUSE.
 */
static void gen_misc_hint(Gen *g)
{
    static const uint8_t ops[] = {0x1f, 0x18, 0x19, 0x1a, 0x1b,
                                  0x1c, 0x1d, 0x1e, 0x0d};
    if (gen_below(g, 8) == 0) {
        put(g, 0xf3);
        put(g, 0x90);
        return;
    }
    uint8_t op = ops[gen_below(g, ARRAY_LEN(ops))];
    if (op != 0x0d && gen_below(g, 3) == 0) {
        put(g, 0x66);
    }
    if (gen_below(g, 2)) {
        put(g, (uint8_t)(0x40 | gen_below(g, 16)));
    }
    put(g, 0x0f);
    put(g, op);
    gen_misc_any_mem(g, op == 0x0d ? 1 : gen_below(g, 8));
}

/* MOVSXD without REX.W (a 32-bit move) or with 66h (16-bit) */
static void gen_misc_movsxd(Gen *g)
{
    unsigned size = gen_below(g, 2) ? 4 : 2;
    enc1(g, size, 0x63, gen_dst(g), gen_rm(g, true, false));
}

/* rarely: UD0 UD1 INT1 HLT CLI STI (all raise at CPL 3) */
static void gen_misc_fault(Gen *g)
{
    static const uint8_t one[] = {0xf1, 0xf4, 0xfa, 0xfb};
    unsigned k = gen_below(g, 6);
    if (k < 4) {
        put(g, one[k]);
        return;
    }
    put(g, 0x0f);
    put(g, k == 4 ? 0xb9 : 0xff);
    put(g, (uint8_t)(0xc0 | gen_below(g, 64))); /* register form */
}

static void gen_misc_forms(Gen *g)
{
    switch (gen_below(g, 20)) {
    case 0:
        gen_misc_fault(g);
        break;
    case 1:
    case 2:
    case 3:
    case 4:
        gen_misc_popf(g);
        break;
    case 5:
    case 6:
        if (gen_below(g, 2)) {
            put(g, 0x9c); /* pushf (66h sometimes); pop a GPR */
        } else {
            put(g, 0x66);
            put(g, 0x9c);
            put(g, 0x66);
        }
        put(g, (uint8_t)(0x58 + gen_below(g, 4)));
        break;
    case 7:
    case 8:
    case 9:
    case 10:
    case 11:
        gen_misc_push_pop(g);
        break;
    case 12:
    case 13:
    case 14:
    case 15:
        gen_misc_hint(g);
        break;
    default:
        gen_misc_movsxd(g);
        break;
    }
}

/* ---- end of misc forms ---- */

/* ---- 32-bit code (the modes helper): legacy-only instructions ---- */

/* PUSHA (and POPA right after it), 66h sometimes */
static void gen32_pusha(Gen *g)
{
    bool o16 = gen_below(g, 3) == 0;
    if (o16) {
        put(g, 0x66);
    }
    put(g, 0x60);
    if (gen_below(g, 2)) {
        if (o16) {
            put(g, 0x66);
        }
        put(g, 0x61);
    }
}

/*
 * The flag sanitizer of fea_pushf_mask in 32- or 16-bit code: PUSHF, then
 * AND [esp], ~undef (16-bit code: 67h for the [esp] form, word default).
 */
static void gen32_flag_mask(Gen *g, uint32_t undef)
{
    if (!g->m16) {
        fea_pushf_mask(g, undef);
        return;
    }
    put(g, 0x9c);
    put(g, 0x67);
    put(g, 0x81);
    put(g, 0x24);
    put(g, 0x24);
    put_le(g, ~undef & 0xffff, 2);
}

/* DAA DAS AAA AAS AAM AAD, often on a fresh AL, then the flag sanitizer */
static void gen32_bcd(Gen *g)
{
    static const uint8_t ops[] = {0x27, 0x2f, 0x37, 0x3f, 0xd4, 0xd5};
    static const uint32_t undef[] = {XF_OF,
                                     XF_OF,
                                     XF_OF | XF_SF | XF_ZF | XF_PF,
                                     XF_OF | XF_SF | XF_ZF | XF_PF,
                                     XF_OF | XF_AF | XF_CF,
                                     XF_OF | XF_AF | XF_CF};
    unsigned k = gen_below(g, 6);
    if (gen_below(g, 2)) {
        put(g, 0xb0); /* mov al, imm8 */
        put(g, (uint8_t)gen_rand(g));
    }
    put(g, ops[k]);
    if (k >= 4) { /* AAM 0 raises #DE */
        put(g, gen_below(g, 16) ? (uint8_t)(1 + gen_below(g, 255)) : 0);
    }
    gen32_flag_mask(g, undef[k]);
}

static void gen32_legacy(Gen *g)
{
    switch (gen_below(g, 8)) {
    case 0:
    case 1: { /* INC/DEC 40-4F */
        unsigned r = gen_dst(g);
        if (gen_below(g, 3) == 0) {
            put(g, 0x66);
        }
        put(g, (uint8_t)(0x40 + 8 * gen_below(g, 2) + r));
        break;
    }
    case 2:
        if (gen_below(g, 2)) {
            gen32_pusha(g);
            break;
        }
        if (gen_below(g, 3) == 0) { /* PUSH ES/CS/SS/DS: the selector */
            put(g, 0x66);
        }
        put(g, (uint8_t)(0x06 + 8 * gen_below(g, 4)));
        break;
    case 3: { /* BOUND r, m (memory only); rare: random bounds mostly #BR */
        if (gen_below(g, 4)) {
            gen32_bcd(g);
            break;
        }
        Rm rm = gen_rm(g, true, false);
        rm.mem = true;
        enc1(g, gen_below(g, 3) ? 4 : 2, 0x62, gen_below(g, 8), rm);
        break;
    }
    case 4:
        if (gen_below(g, 4) == 0) {
            put(g, 0xce); /* INTO */
            break;
        }
        /* fall through */
    default:
        gen32_bcd(g);
        break;
    }
}

/*
 * The everyday generators, picked uniformly from a table (doubling an entry
 * doubles its weight); 32-bit code adds the string/sys family and the
 * legacy-only block to the common ones.
 */
typedef void GenFn(Gen *g);

static GenFn *const gen_table64[] = {
    gen_alu, gen_alu, gen_test_unary, gen_mov, gen_stack, gen_cond, gen_misc,
};
static GenFn *const gen_table32[] = {
    gen_alu,  gen_alu,  gen_test_unary, gen_mov,      gen_stack,
    gen_cond, gen_misc, gen_fes,        gen32_legacy, gen32_legacy,
};

static void gen_pick(Gen *g, GenFn *const *table, unsigned n)
{
    table[gen_below(g, n)](g);
}

/* ---- end of 32-bit code ---- */

static void gen_one(Gen *g)
{
    g->n = 0;
    g->lock = false;
    g->rip_disp = -1;
    g->jcc_pos = -1;
    if (gen_below(g, 50) == 0) {
        gen_fault(g);
        return;
    }
    if (g->m32) {
        gen_pick(g, gen_table32, ARRAY_LEN(gen_table32));
        return;
    }
    if (gen_below(g, 8) == 0) {
        gen_fes(g); /* string and sys family */
        return;
    }
    if (gen_below(g, 6) == 0) {
        gen_fea(g); /* muldiv, shift and bits families */
        return;
    }
    if (gen_below(g, 12) == 0) {
        gen_misc_forms(g); /* POPF, PUSH/POP forms, hint NOPs */
        return;
    }
    gen_pick(g, gen_table64, ARRAY_LEN(gen_table64));
}

/* RIP-relative: point into the data region once the address is known */
static void gen_patch_rip(Gen *g, uint64_t start)
{
    if (g->rip_disp < 0) {
        return;
    }
    uint64_t next = DT_CODE_ADDR + start + g->n;
    uint64_t target = DT_DATA_ADDR + g->rip_target;
    uint32_t disp = (uint32_t)(g->m32 ? target : target - next);
    if (g->m16) { /* DS-relative offset */
        disp = g->rip_target;
        memcpy(g->b + g->rip_disp, &disp, 2);
        return;
    }
    memcpy(g->b + g->rip_disp, &disp, 4);
}

/* forward branches: a later instruction boundary within range */
static void gen_patch_branches(Gen *g)
{
    DtGenSeq *s = g->seq;
    for (unsigned i = 0; i < s->ninsns; i++) {
        if (g->jcc_at[i] < 0) {
            continue;
        }
        unsigned to = i + 1 + gen_below(g, 4);
        to = to > s->ninsns ? s->ninsns : to;
        int64_t rel = (int64_t)s->off[to] - (int64_t)s->off[i + 1];
        if ((g->jcc_sz[i] == 1 && rel > 127) || g->jcc_sz[i] == 0) {
            rel = 0;
        }
        uint32_t v = (uint32_t)rel;
        memcpy(s->code + g->jcc_at[i], &v, g->jcc_sz[i]);
    }
}

static void gen_state(uint64_t seed, DtCase *c, const Gen *g)
{
    dt_state_random(&c->init, seed);
    c->init.gpr[DT_RSP] = DT_GEN_STACK;
    c->init.gpr[g->m32 ? DT_RBP : DT_R15] = DT_GEN_BASE;
    if (g->m16) { /* offsets in the data segment */
        c->init.gpr[DT_RSP] -= DT_DATA_ADDR;
        c->init.gpr[DT_RBP] -= DT_DATA_ADDR;
    }
    c->init.rflags &= DT_FLAGS_STATUS;
}

/*
 * Entries with an instruction the host lacks the feature for become NOPs
 * in place (addresses and branch targets stay), so a host without, say,
 * BMI2 still tests everything else (hostcpu.h).
 */
static void gen_host_filter(DtGenSeq *s)
{
    for (unsigned i = 0; i < s->ninsns; i++) {
        uint32_t pos = s->off[i], end = s->off[i + 1];
        bool runs = true;
        while (pos < end && runs) {
            DecodedInsn d;
            if (x86_decode(&d, s->code + pos, end - pos, dt_gen_xmode(s)) !=
                X86_DEC_OK) {
                break;
            }
            runs = dt_host_runs(&d);
            pos += d.len;
        }
        if (!runs) {
            memset(s->code + s->off[i], 0x90, end - s->off[i]);
        }
    }
}

void dt_gen_case(uint64_t seed, unsigned n, DtGenSeq *seq, DtCase *c)
{
    dt_gen_case_mode(seed, n, DT_MODE64, seq, c);
}

void dt_gen_case_mode(uint64_t seed, unsigned n, unsigned mode, DtGenSeq *seq,
                      DtCase *c)
{
    static Gen g;
    memset(&g, 0, sizeof(g));
    memset(seq, 0, sizeof(*seq));
    g.m16 = mode == DT_MODE16;
    g.m32 = mode == DT_MODE32 || g.m16;
    seq->mode = g.m16 ? DT_MODE16 : g.m32 ? DT_MODE32 : DT_MODE64;
    g.rng = seed * 0x2545f4914f6cdd1dull + 1;
    g.seq = seq;
    n = n > DT_GEN_MAX_INSNS ? DT_GEN_MAX_INSNS : n;
    for (unsigned i = 0; i < n; i++) {
        gen_one(&g);
        seq->off[i] = (uint32_t)seq->len;
        gen_patch_rip(&g, seq->len);
        g.jcc_at[i] = g.jcc_pos < 0 ? -1 : (int)seq->len + g.jcc_pos;
        g.jcc_sz[i] = g.jcc_size;
        memcpy(seq->code + seq->len, g.b, g.n);
        seq->len += g.n;
    }
    seq->ninsns = n;
    seq->off[n] = (uint32_t)seq->len;
    gen_patch_branches(&g);
    gen_host_filter(seq);
    memset(c, 0, sizeof(*c));
    gen_state(seed, c, &g);
    c->mode = seq->mode;
    c->code = seq->code;
    c->len = seq->len;
}

X86Mode dt_gen_xmode(const DtGenSeq *seq)
{
    return seq->mode == DT_MODE32   ? X86_MODE32
           : seq->mode == DT_MODE16 ? X86_MODE16
                                    : X86_MODE64;
}

uint32_t dt_gen_undef_flags(const DtGenSeq *seq)
{
    uint32_t mask = 0;
    for (unsigned i = 0; i < seq->ninsns; i++) {
        DecodedInsn d;
        size_t len = seq->off[i + 1] - seq->off[i];
        if (x86_decode(&d, seq->code + seq->off[i], len, dt_gen_xmode(seq)) ==
            X86_DEC_OK) {
            mask |= x86_insn_info(d.id)->flags_u;
        }
        mask |= gen_fea_undef(seq->code + seq->off[i], len, dt_gen_xmode(seq));
    }
    return mask;
}

void dt_gen_print(const DtGenSeq *seq, FILE *f)
{
    disas_print(f, seq->code, seq->len, DT_CODE_ADDR, dt_gen_xmode(seq));
}
