/*
 * tools/sysfuzz/gen_code.c: the code page of a case. Units of one or a few
 * instructions, each a system instruction with its operands prepared
 * (mov eax, <a plausible CR/selector/MSR value>; mov cr0, eax), a far
 * transfer to just after itself through a chosen selector, or an ordinary
 * integer or memory instruction through a random segment, and now and then
 * random bytes. Encodings follow the code size of the initial CS (16, 32
 * or 64-bit; SDM vol. 2 ch. 2). Branches only go forward, so that loops
 * are rare; the watchdog takes the rest. Each unit's place is recorded so
 * that the shrinker can replace it with NOPs without moving the others.
 */
#include <string.h>

#include "sysfuzz.h"

uint64_t sf_value(SfRng *r);

typedef struct Gen {
    SfCase *c;
    SfRng *r;
    uint8_t *code;
    unsigned n;    /* bytes emitted */
    unsigned bits; /* code size: 16, 32, 64 */
    uint64_t cs_base, ds_base;
    unsigned slot; /* next far-pointer slot in the data page */
} Gen;

#define CODE_END (SF_CODE_SIZE - 32)

static void b1(Gen *g, unsigned v)
{
    if (g->n < SF_CODE_SIZE) {
        g->code[g->n++] = (uint8_t)v;
    }
}

static void b2(Gen *g, unsigned v)
{
    b1(g, v & 0xff);
    b1(g, v >> 8);
}

static void b4(Gen *g, uint32_t v)
{
    b2(g, v & 0xffff);
    b2(g, v >> 16);
}

/* the linear address of the byte at code offset off */
static uint64_t lin(const Gen *g, unsigned off)
{
    (void)g;
    return SF_CODE + off;
}

/* mov e<reg>, imm32 (r/imm64 in 64-bit code when wide) */
static void mov_imm(Gen *g, unsigned reg, uint64_t v)
{
    if (g->bits == 16) {
        b1(g, 0x66);
    }
    if (g->bits == 64 && v > 0xffffffffull) {
        b1(g, 0x48 | (reg >> 3));
        b1(g, 0xb8 + (reg & 7));
        b4(g, (uint32_t)v);
        b4(g, (uint32_t)(v >> 32));
        return;
    }
    if (g->bits == 64 && reg >= 8) {
        b1(g, 0x41);
    }
    b1(g, 0xb8 + (reg & 7));
    b4(g, (uint32_t)v);
}

/* ebx = offset of linear address a in DS (16-bit: bx) */
static void set_ptr(Gen *g, uint64_t a)
{
    uint64_t base = g->bits == 64 ? 0 : g->ds_base;
    mov_imm(g, R_EBX, a - base);
}

/* ModRM for [ebx] (16-bit addressing: [bx]) with reg field reg */
static void modrm_ptr(Gen *g, unsigned reg)
{
    b1(g, ((reg & 7) << 3) | (g->bits == 16 ? 7 : 3));
}

static const uint16_t sels[] = {0,    0x08, 0x10, 0x18, 0x20, 0x28, 0x30,
                                0x3b, 0x43, 0x4b, 0x50, 0x60, 0x70, 0x80,
                                0x83, 0x90, 0x9b, 0x0c, 0x0f, 0x14, 0xa0};

static uint16_t pick_sel(Gen *g)
{
    if (sf_chance(g->r, 10)) {
        return (uint16_t)sf_rn(g->r, 0x10000);
    }
    return sels[sf_rn(g->r, sizeof(sels) / sizeof(sels[0]))];
}

/* the offset that reaches code offset off through selector sel */
static uint64_t target_off(Gen *g, uint16_t sel, unsigned off)
{
    if (g->c->mode == SF_REAL || g->c->mode == SF_V86) {
        return off + (SF_CODE - ((uint64_t)sel << 4));
    }
    return (sel & ~3u) == 0x28 || (sel & ~3u) == 0x98 ? off : SF_CODE + off;
}

/* ---- values for the system registers ---- */

static uint64_t cr_value(Gen *g, unsigned n)
{
    static const uint64_t cr0b[] = {CR0_PE,  CR0_PG, CR0_WP, CR0_TS,
                                    CR0_EM,  CR0_MP, CR0_NE, BIT(29),
                                    BIT(30), CR0_AM, BIT(4), BIT(40)};
    static const uint64_t cr4b[] = {
        CR4_PAE,  BIT(4),    CR4_PGE,      CR4_LA57,   CR4_SMEP, CR4_SMAP,
        CR4_UMIP, CR4_PCIDE, CR4_FSGSBASE, CR4_OSFXSR, BIT(3),   BIT(2),
        BIT(0),   BIT(1),    BIT(13),      BIT(22),    BIT(25),  BIT(40)};
    SfRng *r = g->r;
    uint64_t v = g->c->init.cr[n == 8 ? 8 : n];
    if (sf_chance(r, 10)) {
        return sf_value(r);
    }
    switch (n) {
    case 0:
        return v ^ cr0b[sf_rn(r, 12)] ^
               (sf_chance(r, 30) ? cr0b[sf_rn(r, 12)] : 0);
    case 4:
        return v ^ cr4b[sf_rn(r, 18)];
    case 3:
        switch (sf_rn(r, 4)) {
        case 0:
            break;
        case 1:
            v = g->c->cr3_b;
            break;
        case 2:
            v = SF_PT_POOL + 0x1000 * sf_rn(r, 16);
            break;
        default:
            v = sf_chance(r, 50) ? v : g->c->cr3_b;
            v |= sf_rn(r, 4096);                 /* a PCID, or PWT/PCD */
            v |= sf_chance(r, 30) ? BIT(63) : 0; /* PCID: keep entries */
            break;
        }
        return v;
    default:
        return sf_rn(r, 32);
    }
}

static uint64_t dr_value(Gen *g, unsigned n)
{
    SfRng *r = g->r;
    if (n == 7) {
        return (sf_rnd(r) & 0xffff03ffull) | (sf_chance(r, 10) ? BIT(13) : 0);
    }
    return sf_chance(r, 50) ? lin(g, g->n + 16 + sf_rn(g->r, 64)) : sf_value(r);
}

static const uint32_t msrs[] = {
    0xc0000080, 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, 0xc0000100,
    0xc0000101, 0xc0000102, 0xc0000103, 0x174,      0x175,      0x176,
    0x10,       0x277,      0x1b,       0x1a0,      0x3a,       0x48,
    0x49,       0xfe,       0x200,      0x2ff,      0x179,      0x1d9,
    0xdeadbeef, 0x40000000};

/* ---- the units ---- */

static void u_mov_cr(Gen *g)
{
    static const unsigned crs[] = {0, 0, 3, 4, 4, 2, 8, 1, 5};
    unsigned n = crs[sf_rn(g->r, 9)];
    if (sf_chance(g->r, 30)) { /* read */
        if (n == 8 && g->bits == 64) {
            b1(g, 0x44);
        }
        b2(g, 0x200f);
        b1(g, 0xc0 | ((n & 7) << 3) | sf_rn(g->r, 8));
        return;
    }
    mov_imm(g, R_EAX, cr_value(g, n));
    if (n == 8 && g->bits == 64) {
        b1(g, 0x44);
    }
    b2(g, 0x220f);
    b1(g, 0xc0 | ((n & 7) << 3));
}

static void u_mov_dr(Gen *g)
{
    unsigned n = sf_rn(g->r, 8);
    if (sf_chance(g->r, 30)) {
        b2(g, 0x210f);
        b1(g, 0xc0 | (n << 3) | sf_rn(g->r, 8));
        return;
    }
    mov_imm(g, R_EAX, dr_value(g, n));
    b2(g, 0x230f);
    b1(g, 0xc0 | (n << 3));
}

static void u_seg_load(Gen *g)
{
    unsigned s = sf_rn(g->r, 6);
    mov_imm(g, R_EAX, pick_sel(g));
    switch (sf_rn(g->r, 3)) {
    case 0: /* pop sreg */
        b1(g, 0x50);
        if (s == R_FS || s == R_GS) {
            b2(g, s == R_FS ? 0xa10f : 0xa90f);
        } else {
            b1(g, 0x07 + 8 * s);
        }
        break;
    default: /* mov sreg, ax */
        b1(g, 0x8e);
        b1(g, 0xc0 | (s << 3));
        break;
    }
}

/* a far pointer in the next data slot: off:sel at size (2, 4 or 8) */
static uint64_t far_slot(Gen *g, uint64_t off, uint16_t sel, unsigned size)
{
    uint64_t a = SF_DATA + 0x200 + 16 * (g->slot++ % 64);
    memcpy(g->c->ram + a, &off, size);
    memcpy(g->c->ram + a + size, &sel, 2);
    return a;
}

static void u_far(Gen *g)
{
    uint16_t sel = pick_sel(g);
    unsigned kind = sf_rn(g->r, 4);
    unsigned osz = g->bits == 16 ? 2 : 4;
    if (g->bits == 64 && kind < 2) {
        kind += 2; /* no direct forms in 64-bit code */
    }
    if (kind < 2) { /* jmp/call ptr16:16/32: the insn is 1 + osz + 2 */
        uint64_t off = target_off(g, sel, g->n + 3 + osz);
        b1(g, kind ? 0x9a : 0xea);
        if (osz == 2) {
            b2(g, (unsigned)off & 0xffff);
        } else {
            b4(g, (uint32_t)off);
        }
        b2(g, sel);
        return;
    }
    bool rexw = g->bits == 64 && sf_chance(g->r, 30);
    unsigned start = g->n;
    /* mov ebx, ptr: 5 or 6 bytes; then [REX.W] FF /5 or /3 [ebx] */
    unsigned len = (g->bits == 16 ? 6 : 5) + (rexw ? 1 : 0) + 2;
    uint64_t off = target_off(g, sel, start + len);
    set_ptr(g, far_slot(g, off, sel, rexw ? 8 : osz));
    if (rexw) {
        b1(g, 0x48);
    }
    b1(g, 0xff);
    modrm_ptr(g, kind == 2 ? 5 : 3);
}

/* push e<reg> (a value of the stack size) */
static void push_val(Gen *g, uint64_t v)
{
    mov_imm(g, R_EAX, v);
    b1(g, 0x50);
}

static void u_retf_iret(Gen *g)
{
    uint16_t sel = pick_sel(g);
    bool iret = sf_chance(g->r, 50),
         rexw = g->bits == 64 && sf_chance(g->r, 60);
    bool outer = sf_chance(g->r, 40);
    if (outer) { /* SS:ESP for a return to an outer level */
        push_val(g, pick_sel(g));
        push_val(g, sf_chance(g->r, 70) ? SF_USTACK : sf_value(g->r));
    }
    if (iret) {
        uint64_t fl = 0x2 | (sf_rnd(g->r) & 0x3f7fd5);
        if (sf_chance(g->r, 20)) {
            fl |= EFL_VM;
        }
        push_val(g, fl);
    }
    push_val(g, sel);
    unsigned mov_len = g->bits == 16 ? 6 : 5;
    unsigned tail = mov_len + 1 + (rexw ? 1 : 0) + 1;
    push_val(g, target_off(g, sel, g->n + tail));
    if (rexw) {
        b1(g, 0x48);
    }
    b1(g, iret ? 0xcf : 0xcb);
}

static void u_int(Gen *g)
{
    static const uint8_t vec[] = {0x20, 0x21, 0x30, 0x80, 0x3, 0x0, 0xd, 0xe};
    switch (sf_rn(g->r, 5)) {
    case 0:
        b1(g, 0xcc);
        break;
    case 1:
        b1(g, sf_chance(g->r, 50) ? 0xce : 0xf1); /* into, int1 */
        break;
    default:
        b1(g, 0xcd);
        b1(g, sf_chance(g->r, 50) ? vec[sf_rn(g->r, 8)] : sf_rn(g->r, 256));
        break;
    }
}

/* lgdt/lidt from a pseudo-descriptor; sgdt/sidt to the data page */
static void u_dt(Gen *g)
{
    unsigned op = sf_rn(g->r, 4);
    uint64_t a = SF_DATA + 0x100 + 16 * sf_rn(g->r, 8);
    if (op >= 2) {
        uint16_t lim = op == 2 ? 0xff : (g->c->init.idt.limit & 0xffff);
        uint64_t base = op == 2 ? SF_GDT : g->c->init.idt.base;
        if (sf_chance(g->r, 20)) {
            lim = (uint16_t)sf_rnd(g->r);
            base = sf_value(g->r);
        }
        a = far_slot(g, lim, 0, 2);
        memcpy(g->c->ram + a + 2, &base, 8);
    }
    set_ptr(g, a);
    if (g->bits == 16 && sf_chance(g->r, 50)) {
        b1(g, 0x66);
    }
    b2(g, 0x010f);
    modrm_ptr(g, op);
}

static void u_ldt_tr(Gen *g)
{
    static const uint8_t rm[] = {0xd0, 0xd8, 0xc0, 0xc8, 0xe0, 0xe8};
    unsigned k = sf_rn(g->r, 6); /* lldt ltr sldt str verr verw */
    mov_imm(g, R_EAX,
            k == 1 ? (sf_chance(g->r, 50) ? 0x70 : pick_sel(g)) : pick_sel(g));
    b2(g, 0x000f);
    b1(g, rm[k]);
}

static void u_misc_sys(Gen *g)
{
    static const uint32_t ops[] = {
        0x020f,   /* lar */
        0x030f,   /* lsl */
        0x060f,   /* clts */
        0x080f,   /* invd */
        0x090f,   /* wbinvd */
        0xa20f,   /* cpuid */
        0x310f,   /* rdtsc */
        0xfa,     /* cli */
        0xfb,     /* sti */
        0x9c,     /* pushf */
        0x9d,     /* popf */
        0xfc,     /* cld */
        0xf4,     /* hlt */
        0xf8010f, /* swapgs */
        0xf9010f, /* rdtscp */
        0xca010f, /* clac */
        0xcb010f, /* stac */
        0x63,     /* arpl */
        0xe0010f, /* smsw eax */
        0xf0010f, /* lmsw ax */
        0x050f,   /* syscall */
        0x070f,   /* sysret */
        0x340f,   /* sysenter */
        0x350f,   /* sysexit */
        0xd0010f, /* xgetbv */
        0x17,     /* pop ss */
    };
    unsigned k = sf_rn(g->r, sizeof(ops) / sizeof(ops[0]));
    uint32_t op = ops[k];
    if (k <= 1 || k == 17) { /* lar/lsl/arpl: eax = selector */
        mov_imm(g, R_EAX, pick_sel(g));
    } else if (k == 10 || k == 25) { /* popf, pop ss */
        mov_imm(g, R_EAX, k == 25 ? pick_sel(g) : sf_value(g->r));
        b1(g, 0x50);
    } else if (k == 19) {
        mov_imm(g, R_EAX, g->c->init.cr[0] ^ (1u << sf_rn(g->r, 4)));
    } else if (k == 5) {
        mov_imm(g, R_EAX,
                sf_chance(g->r, 70) ? sf_rn(g->r, 0x20)
                                    : 0x80000000u + sf_rn(g->r, 9));
    } else if (k == 21 || k == 23) { /* sysret/sysexit: rcx = return */
        mov_imm(g, R_ECX,
                sf_chance(g->r, 70) ? lin(g, g->n + 24) : sf_value(g->r));
        mov_imm(g, R_EDX, lin(g, g->n + 16));
        if (g->bits == 64 && sf_chance(g->r, 50)) {
            b1(g, 0x48);
        }
    }
    for (; op; op >>= 8) {
        b1(g, op & 0xff);
    }
    if (k <= 1) {
        b1(g, 0xc0 | (sf_rn(g->r, 8) << 3)); /* lar r, ax */
    } else if (k == 17) {
        b1(g, 0xc0 | sf_rn(g->r, 8)); /* arpl ax, r */
    }
}

/* newer and rarer system instructions, prefixes included; [ebx] forms get
 * ebx pointed into the data page */
static void u_more_sys(Gen *g)
{
    static const struct {
        uint8_t b[5], len;
        bool mem; /* a ModRM [ebx] follows, reg field in the last byte */
    } ops[] = {
        {{0x0f, 0xaa}, 2, false},             /* rsm */
        {{0x0f, 0x01, 0xc8}, 3, false},       /* monitor */
        {{0x0f, 0x01, 0xc9}, 3, false},       /* mwait */
        {{0x0f, 0x01, 0xd1}, 3, false},       /* xsetbv */
        {{0x0f, 0x01, 0xee}, 3, false},       /* rdpkru */
        {{0x0f, 0x01, 0xef}, 3, false},       /* wrpkru */
        {{0xf3, 0x0f, 0xae, 0xc0}, 4, false}, /* rdfsbase eax */
        {{0xf3, 0x0f, 0xae, 0xd0}, 4, false}, /* wrfsbase eax */
        {{0xf3, 0x0f, 0xae, 0xd8}, 4, false}, /* wrgsbase eax */
        {{0xf3, 0x0f, 0xc7, 0xf8}, 4, false}, /* rdpid eax */
        {{0x66, 0x0f, 0x38, 0x82}, 4, true},  /* invpcid eax, [ebx] */
        {{0x0f, 0xae}, 2, true},              /* clflush etc. */
        {{0x0f, 0x01}, 2, true},              /* sgdt..invlpg */
        {{0x0f, 0x00}, 2, true},              /* sldt..verw [m] */
        {{0xc4}, 1, true},                    /* les/lds or VEX */
        {{0x0f, 0xb2}, 2, true},              /* lss */
        {{0x0f, 0xb4}, 2, true},              /* lfs */
        {{0x0f, 0x0b}, 2, false},             /* ud2 */
        {{0xcf}, 1, false},                   /* iret, unprepared */
        {{0x0f, 0x01, 0xf8}, 3, false},       /* swapgs */
        {{0x0f, 0xc7}, 2, true},              /* cmpxchg8b etc. */
        {{0x0f, 0x18}, 2, true},              /* prefetch */
        {{0xd8}, 1, true},                    /* x87: #NM with EM/TS */
        {{0x0f, 0x77}, 2, false},             /* emms */
        {{0x0f, 0x01, 0xd8 + 0}, 3, false},   /* vmrun (AMD): #UD */
    };
    unsigned k = sf_rn(g->r, sizeof(ops) / sizeof(ops[0]));
    mov_imm(g, R_EAX, sf_chance(g->r, 50) ? sf_rn(g->r, 4) : sf_value(g->r));
    if (ops[k].mem) {
        set_ptr(g, SF_DATA + sf_rn(g->r, 0x1000));
    }
    if (g->bits == 64 && sf_chance(g->r, 30) && ops[k].b[0] == 0xf3) {
        b1(g, 0xf3);
        b1(g, 0x48); /* REX.W after the mandatory prefix */
        for (unsigned i = 1; i < ops[k].len; i++) {
            b1(g, ops[k].b[i]);
        }
        return;
    }
    for (unsigned i = 0; i < ops[k].len; i++) {
        b1(g, ops[k].b[i]);
    }
    if (ops[k].mem) {
        modrm_ptr(g, sf_rn(g->r, 8));
    }
}

static void u_msr(Gen *g)
{
    uint32_t m = msrs[sf_rn(g->r, sizeof(msrs) / sizeof(msrs[0]))];
    mov_imm(g, R_ECX, m);
    if (sf_chance(g->r, 50)) {
        b2(g, 0x320f); /* rdmsr */
        return;
    }
    uint64_t v = sf_value(g->r);
    if (m == 0xc0000080 && sf_chance(g->r, 70)) {
        v = g->c->init.efer ^ (1ull << sf_rn(g->r, 12));
    }
    mov_imm(g, R_EAX, (uint32_t)v);
    mov_imm(g, R_EDX, sf_chance(g->r, 70) ? 0 : (uint32_t)(v >> 32));
    b2(g, 0x300f); /* wrmsr */
}

static void u_io(Gen *g)
{
    static const uint16_t ports[] = {0x80, 0x20, 0x21,  0x60,  0x64, 0x3f8,
                                     0x70, 0x71, 0xcf8, 0xcfc, 0x40, 0xffff};
    unsigned op = 0xe4 + sf_rn(g->r, 4);
    uint16_t port = ports[sf_rn(g->r, 12)];
    switch (sf_rn(g->r, 3)) {
    case 0:
        b1(g, op);
        b1(g, port & 0xff);
        break;
    case 1:
        mov_imm(g, R_EDX, port);
        b1(g, op + 8); /* in/out with dx */
        break;
    default:
        mov_imm(g, R_EDX, port);
        mov_imm(g, R_ECX, sf_rn(g->r, 5));
        set_ptr(g, SF_DATA + sf_rn(g->r, 0x800));
        mov_imm(g, R_EDI, SF_DATA + sf_rn(g->r, 0x800) - g->ds_base);
        mov_imm(g, R_ESI, SF_DATA + sf_rn(g->r, 0x800) - g->ds_base);
        if (sf_chance(g->r, 60)) {
            b1(g, 0xf3);
        }
        b1(g, 0x6c + sf_rn(g->r, 4));
        break;
    }
}

static void u_invlpg(Gen *g)
{
    set_ptr(g, sf_chance(g->r, 70) ? sf_rn(g->r, SF_RAM) : sf_value(g->r));
    b2(g, 0x010f);
    modrm_ptr(g, 7);
}

/*
 * A page-table write: a PTE of the first space's table for [0, 2 MiB)
 * (mostly one of the data pages) gets a new frame and flags, and mostly
 * an INVLPG of its page follows, so what comes after is defined.
 */
static void u_pte(Gen *g)
{
    const SfCase *c = g->c;
    if (c->paging == SF_PG_NONE || !c->pt_leaf) {
        u_invlpg(g);
        return;
    }
    unsigned esz = c->paging == SF_PG_32 ? 4 : 8;
    unsigned i =
        sf_chance(g->r, 85) ? 0x20 + sf_rn(g->r, 16) : sf_rn(g->r, 512);
    uint32_t frame = sf_chance(g->r, 60) ? i : 0x20 + sf_rn(g->r, 16);
    uint32_t flags = sf_chance(g->r, 70) ? 0x7 : sf_rn(g->r, 0x1000);
    set_ptr(g, c->pt_leaf + i * esz);
    mov_imm(g, R_EAX, (frame << 12) | flags);
    b1(g, 0x89); /* mov [ebx], eax */
    modrm_ptr(g, R_EAX);
    if (sf_chance(g->r, 85)) {
        set_ptr(g, i * 0x1000 + sf_rn(g->r, 0x1000));
        b2(g, 0x010f);
        modrm_ptr(g, 7);
    }
}

/* ---- ordinary instructions ---- */

static void prefixes(Gen *g)
{
    static const uint8_t seg[] = {0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65};
    if (sf_chance(g->r, 30)) {
        b1(g, seg[sf_rn(g->r, 6)]);
    }
    if (sf_chance(g->r, 10)) {
        b1(g, 0x66);
    }
    if (sf_chance(g->r, 5)) {
        b1(g, 0x67);
    }
    if (sf_chance(g->r, 5)) {
        b1(g, 0xf0);
    }
    if (g->bits == 64 && sf_chance(g->r, 40)) {
        b1(g, 0x40 | sf_rn(g->r, 16));
    }
}

/* ALU/MOV with a register or a [ebx + disp8] memory operand */
static void u_alu(Gen *g)
{
    static const uint8_t ops[] = {0x00, 0x01, 0x02, 0x03, 0x08, 0x09, 0x11,
                                  0x19, 0x21, 0x29, 0x31, 0x39, 0x3b, 0x85,
                                  0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8d, 0x0f};
    if (sf_chance(g->r, 40)) {
        set_ptr(g, SF_DATA + sf_rn(g->r, SF_DATA_SIZE - 0x100));
    }
    prefixes(g);
    uint8_t op = ops[sf_rn(g->r, sizeof(ops) / sizeof(ops[0]))];
    b1(g, op);
    if (op == 0x0f) {
        static const uint8_t ops2[] = {0xaf, 0xb6, 0xb7, 0xbe, 0xa3, 0xab,
                                       0xb1, 0xc1, 0xbc, 0x40, 0x44, 0x4f};
        b1(g, ops2[sf_rn(g->r, 12)]);
    }
    unsigned reg = sf_rn(g->r, 8);
    if (sf_chance(g->r, 50)) {
        b1(g, 0xc0 | (reg << 3) | sf_rn(g->r, 8));
    } else {
        b1(g, 0x40 | (reg << 3) | (g->bits == 16 ? 7 : 3)); /* [ebx+d8] */
        b1(g, sf_rn(g->r, 256));
    }
}

static void u_misc_int(Gen *g)
{
    switch (sf_rn(g->r, 9)) {
    case 0: /* push/pop */
        b1(g, (sf_chance(g->r, 50) ? 0x50 : 0x58) + sf_rn(g->r, 8));
        break;
    case 1: /* jcc forward */
        b1(g, 0x70 + sf_rn(g->r, 16));
        b1(g, sf_rn(g->r, 12));
        break;
    case 2: /* call forward (to the next insn) */
        b1(g, 0xe8);
        if (g->bits == 16) {
            b2(g, 0);
        } else {
            b4(g, 0);
        }
        break;
    case 3: /* div: #DE now and then */
        mov_imm(g, R_ECX, sf_rn(g->r, 3));
        b2(g, 0xf1f7);
        break;
    case 4: /* rep movs/stos, short */
        mov_imm(g, R_ECX, sf_rn(g->r, 40));
        mov_imm(g, R_EDI, SF_DATA + sf_rn(g->r, 0x8000) - g->ds_base);
        mov_imm(g, R_ESI, SF_DATA + sf_rn(g->r, 0x8000) - g->ds_base);
        prefixes(g);
        b1(g, 0xf3);
        b1(g, 0xa4 + sf_rn(g->r, 2) + (sf_chance(g->r, 50) ? 6 : 0));
        break;
    case 5: /* shifts, inc/dec, not/neg, mul */
        prefixes(g);
        b1(g, sf_chance(g->r, 50) ? 0xd1 : 0xf7);
        b1(g, 0xc0 | sf_rn(g->r, 64));
        break;
    case 6: /* push imm, pop mem through a segment */
        set_ptr(g, SF_DATA + sf_rn(g->r, 0x1000));
        b1(g, 0x6a);
        b1(g, sf_rn(g->r, 256));
        prefixes(g);
        b1(g, 0x8f);
        modrm_ptr(g, 0);
        break;
    case 7: /* mov reg, imm */
        mov_imm(g, sf_rn(g->r, g->bits == 64 ? 16 : 8), sf_value(g->r));
        break;
    default: /* ret or a near indirect jump to a register */
        if (sf_chance(g->r, 50)) {
            b1(g, 0xc3);
        } else {
            mov_imm(g, R_EAX, lin(g, g->n + 16) - g->cs_base);
            b2(g, 0xe0ff);
        }
        break;
    }
}

static void u_random(Gen *g)
{
    unsigned n = 1 + sf_rn(g->r, 8);
    if (sf_chance(g->r, 50)) {
        b1(g, 0x0f);
    }
    for (unsigned i = 0; i < n; i++) {
        b1(g, sf_rn(g->r, 256));
    }
}

typedef void UnitFn(Gen *g);
static const struct {
    UnitFn *fn;
    unsigned weight;
} units[] = {
    {u_mov_cr, 10},   {u_mov_dr, 3},   {u_seg_load, 10}, {u_far, 10},
    {u_retf_iret, 7}, {u_int, 6},      {u_dt, 5},        {u_ldt_tr, 5},
    {u_misc_sys, 14}, {u_more_sys, 6}, {u_msr, 6},       {u_io, 5},
    {u_invlpg, 3},    {u_pte, 5},      {u_alu, 20},      {u_misc_int, 14},
    {u_random, 4},
};

static void unit(Gen *g)
{
    unsigned total = 0;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        total += units[i].weight;
    }
    unsigned k = sf_rn(g->r, total);
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (k < units[i].weight) {
            units[i].fn(g);
            return;
        }
        k -= units[i].weight;
    }
}

void sf_gen_code(SfCase *c, SfRng *r)
{
    const SegCache *cs = &c->init.segs[R_CS];
    Gen g = {.c = c, .r = r, .code = c->ram + SF_CODE};
    if (c->mode == SF_LONG64) {
        g.bits = 64;
    } else {
        g.bits = (cs->attr & SEG_AR_DB) ? 32 : 16;
    }
    g.cs_base = g.bits == 64 ? 0 : cs->base;
    g.ds_base = c->init.segs[R_DS].base;
    memset(g.code, 0xf4, SF_CODE_SIZE);
    unsigned want = 4 + sf_rn(r, 40);
    c->n_insns = 0;
    while (c->n_insns < want && c->n_insns < SF_MAX_INSNS && g.n < CODE_END) {
        unsigned start = g.n;
        unit(&g);
        c->insn_off[c->n_insns] = (uint16_t)start;
        c->insn_len[c->n_insns] = (uint16_t)(g.n - start);
        c->n_insns++;
    }
    uint16_t next[SF_CODE_SIZE];
    for (unsigned i = 0; i < SF_CODE_SIZE; i++) {
        next[i] = (uint16_t)(i + 1);
    }
    for (unsigned i = 0; i < c->n_insns; i++) {
        unsigned end = c->insn_off[i] + c->insn_len[i];
        for (unsigned k = c->insn_off[i]; k < end && k < SF_CODE_SIZE; k++) {
            next[k] = (uint16_t)end;
        }
    }
    memcpy(c->ram + SF_NEXT, next, sizeof(next));
}
