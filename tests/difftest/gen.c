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
    do {
        r = gen_below(g, 15);
    } while (r == 4);
    return r;
}

static unsigned gen_size(Gen *g)
{
    static const unsigned sizes[] = {1, 2, 4, 8, 4, 8};
    return sizes[gen_below(g, 6)];
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
    rm.reg = dst ? gen_dst(g) : gen_below(g, 16);
    return rm;
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
    if (size == 2) {
        put(g, 0x66);
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
        unsigned dsize = dsizes[gen_below(g, 3)];
        if (k == 4) {
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
        put_imm(g, ib ? 1 : 4);
    } else if (k == 3) {
        enc(g, 8, (const uint8_t[]){0xff}, 1, 6, gen_rm(g, true, false), true);
    } else if (k == 4) {
        Rm rm = gen_rm(g, true, true);
        enc(g, 8, (const uint8_t[]){0x8f}, 1, 0, rm, true);
    } else if (k == 5) { /* CALL +0: pushes the next address */
        put(g, 0xe8);
        put_le(g, 0, 4);
    } else { /* LEA */
        unsigned s = 2 + 2 * gen_below(g, 3);
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
            put(g, (uint8_t)(0xe0 + gen_below(g, 4))); /* LOOPcc, JRCXZ */
        } else if (gen_below(g, 3) == 0) {
            put(g, 0x0f);
            put(g, (uint8_t)(0x80 + cc));
            g->jcc_pos = (int)g->n;
            g->jcc_size = 4;
            put_le(g, 0, 4);
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
        put(g, 0x88);
        put(g, 0x05);
        put_le(g, 0, 4);
        break;
    }
}

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
    switch (gen_below(g, 7)) {
    case 0:
    case 1:
        gen_alu(g);
        break;
    case 2:
        gen_test_unary(g);
        break;
    case 3:
        gen_mov(g);
        break;
    case 4:
        gen_stack(g);
        break;
    case 5:
        gen_cond(g);
        break;
    default:
        gen_misc(g);
        break;
    }
}

/* RIP-relative: point into the data region once the address is known */
static void gen_patch_rip(Gen *g, uint64_t start)
{
    if (g->rip_disp < 0) {
        return;
    }
    uint64_t next = DT_CODE_ADDR + start + g->n;
    uint64_t target = DT_DATA_ADDR + g->rip_target;
    uint32_t disp = (uint32_t)(target - next);
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
        if (g->jcc_sz[i] == 1 && rel > 127) {
            rel = 0;
        }
        uint32_t v = (uint32_t)rel;
        memcpy(s->code + g->jcc_at[i], &v, g->jcc_sz[i]);
    }
}

static void gen_state(uint64_t seed, DtCase *c)
{
    dt_state_random(&c->init, seed);
    c->init.gpr[DT_RSP] = DT_GEN_STACK;
    c->init.gpr[DT_R15] = DT_GEN_BASE;
    c->init.rflags &= DT_FLAGS_STATUS;
}

void dt_gen_case(uint64_t seed, unsigned n, DtGenSeq *seq, DtCase *c)
{
    static Gen g;
    memset(&g, 0, sizeof(g));
    memset(seq, 0, sizeof(*seq));
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
    memset(c, 0, sizeof(*c));
    gen_state(seed, c);
    c->code = seq->code;
    c->len = seq->len;
}

uint32_t dt_gen_undef_flags(const DtGenSeq *seq)
{
    uint32_t mask = 0;
    for (unsigned i = 0; i < seq->ninsns; i++) {
        DecodedInsn d;
        size_t len = seq->off[i + 1] - seq->off[i];
        if (x86_decode(&d, seq->code + seq->off[i], len, X86_MODE64) ==
            X86_DEC_OK) {
            mask |= x86_insn_info(d.id)->flags_u;
        }
    }
    return mask;
}

void dt_gen_print(const DtGenSeq *seq, FILE *f)
{
    disas_print(f, seq->code, seq->len, DT_CODE_ADDR, X86_MODE64);
}
