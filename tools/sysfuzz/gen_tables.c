/*
 * tools/sysfuzz/gen_tables.c: the random-but-plausible system around a
 * case's code. The GDT has a fixed core (flat code and data of every size
 * and DPL 0/3, the LDT, two TSSs, a call gate and a task gate, in the
 * 8-byte or the IA-32e 16-byte format) followed by random descriptors,
 * and a few entries mutated; the IDT's gates (or the IVT's vectors) lead
 * to per-vector handlers "mov al, v; hlt" (or iret for software vectors),
 * some garbage; the page tables identity-map RAM with aliases, random
 * permissions, not-present and reserved-bit entries, rarer on the pages
 * the case needs to run at all. Descriptor formats: SDM vol. 3A 3.4.5,
 * 5.8.3, 6.11, 6.14.1, 7.2.1, 7.7; paging: ch. 4.
 */
#include <string.h>

#include "cpu/cpu_features.h"
#include "sysfuzz.h"

/* ---- random numbers (splitmix64) ---- */

uint64_t sf_rnd(SfRng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

unsigned sf_rn(SfRng *r, unsigned n)
{
    return (unsigned)(sf_rnd(r) % n);
}

bool sf_chance(SfRng *r, unsigned percent)
{
    return sf_rn(r, 100) < percent;
}

static void st32(SfCase *c, uint32_t pa, uint32_t v)
{
    memcpy(c->ram + pa, &v, 4);
}

static void st64(SfCase *c, uint32_t pa, uint64_t v)
{
    memcpy(c->ram + pa, &v, 8);
}

static bool sf_long(const SfCase *c)
{
    return c->mode == SF_LONG64 || c->mode == SF_COMPAT;
}

/* ---- descriptors ---- */

/* a code/data or system descriptor; flags: bits 52-55 (AVL L D/B G) */
static uint64_t desc(uint32_t base, uint32_t limit, unsigned type, bool s,
                     unsigned dpl, unsigned flags)
{
    uint64_t lo = (limit & 0xffff) | ((uint64_t)(base & 0xffff) << 16);
    uint64_t hi = ((base >> 16) & 0xff) | (type << 8) | ((unsigned)s << 12) |
                  (dpl << 13) | (1u << 15) | (limit & 0xf0000) | (flags << 20) |
                  (base & 0xff000000u);
    return lo | (hi << 32);
}

#define F_L 0x2u
#define F_DB 0x4u
#define F_G 0x8u

static uint64_t gate(uint64_t off, uint16_t sel, unsigned type, unsigned dpl,
                     unsigned low8)
{
    return (off & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)low8 << 32) |
           ((uint64_t)type << 40) | ((uint64_t)dpl << 45) | (1ull << 47) |
           (((off >> 16) & 0xffff) << 48);
}

/* a system descriptor at table offset off: 16 bytes in IA-32e mode */
static void put_sys(SfCase *c, uint32_t table, uint32_t off, uint64_t d,
                    uint64_t high)
{
    st64(c, table + off, d);
    if (sf_long(c)) {
        st64(c, table + off + 8, high);
    }
}

/* a random code, data or system descriptor, or garbage */
static uint64_t rand_desc(SfRng *r)
{
    static const uint32_t bases[] = {0, SF_DATA, SF_CODE, 0x10000000, 0xfff0};
    uint32_t base = bases[sf_rn(r, 5)];
    uint32_t limit = sf_chance(r, 50) ? 0xfffff : (uint32_t)sf_rn(r, 0x10000);
    unsigned k = sf_rn(r, 10);
    if (k == 0) {
        return sf_rnd(r);
    }
    uint64_t d =
        desc(base, limit, sf_rn(r, 16), k != 1, sf_rn(r, 4), sf_rn(r, 16));
    if (sf_chance(r, 10)) {
        d &= ~(1ull << 47); /* not present */
    }
    return d;
}

static void gen_gdt(SfCase *c, SfRng *r)
{
    const uint32_t g = SF_GDT;
    st64(c, g + 0x08, desc(0, 0xfffff, 0xb, true, 0, F_L | F_G));
    st64(c, g + 0x10, desc(0, 0xfffff, 0x3, true, 0, F_DB | F_G));
    st64(c, g + 0x18, desc(0, 0xfffff, 0xb, true, 0, F_DB | F_G));
    st64(c, g + 0x20, desc(0, 0xffff, 0xb, true, 0, 0));
    st64(c, g + 0x28, desc(SF_CODE, 0xffff, 0xb, true, 0, 0));
    st64(c, g + 0x30, desc(SF_DATA, 0xffff, 0x3, true, 0, 0));
    st64(c, g + 0x38, desc(0, 0xfffff, 0xb, true, 3, F_DB | F_G));
    st64(c, g + 0x40, desc(0, 0xfffff, 0x3, true, 3, F_DB | F_G));
    st64(c, g + 0x48, desc(0, 0xfffff, 0xb, true, 3, F_L | F_G));
    put_sys(c, g, 0x50, desc(SF_LDT, 0x7f, 0x2, false, 0, 0), 0);
    unsigned tss = sf_chance(r, 80) ? 0xb : 0x9; /* busy: TR holds it */
    put_sys(c, g, 0x60, desc(SF_TSS_A, 0x2068, tss, false, 0, 0), 0);
    put_sys(c, g, 0x70,
            desc(SF_TSS_B, 0x67, sf_chance(r, 80) ? 0x9 : 0x1, false, 0, 0), 0);
    uint16_t gcs = sf_long(c) ? 0x08 : 0x18;
    put_sys(c, g, 0x80, gate(SF_STUBS + 0x30, gcs, 0xc, 3, sf_rn(r, 4)), 0);
    st64(c, g + 0x90, gate(0, 0x70, 0x5, 3, 0));
    st64(c, g + 0x98, desc(SF_CODE, 0xffff, 0xb, true, 3, 0));
    for (uint32_t o = 0xa0; o < 0x100; o += 8) {
        st64(c, g + o, rand_desc(r));
    }
    if (!sf_long(c)) {
        for (uint32_t o = 0x58; o < 0x90; o += 0x10) {
            st64(c, g + o, rand_desc(r)); /* the 16-byte formats' halves */
        }
    }
    for (unsigned i = 0, k = sf_rn(r, 3); i < k; i++) { /* mutations */
        uint32_t o = 8 * (1 + sf_rn(r, 31));
        uint64_t v;
        memcpy(&v, c->ram + g + o, 8);
        st64(c, g + o, v ^ (1ull << sf_rn(r, 64)));
    }
    c->init.gdt.base = g;
    c->init.gdt.limit = sf_chance(r, 90) ? 0xff : sf_rn(r, 0x100);
    for (uint32_t o = 0; o < 0x80; o += 8) {
        st64(c, SF_LDT + o,
             o == 8 ? gate(SF_STUBS + 0x30, gcs, 0xc, 3, 0) : rand_desc(r));
    }
}

/* ---- the IDT and the handlers ---- */

/*
 * The handlers' common bodies, one per code size: count the fault at
 * SF_FAULTS and halt after SF_MAX_FAULTS (or when the return address is
 * not in the code page); else pop the error code (the "e" entry), look up
 * the unit after the one that faulted in the table at SF_NEXT and IRET
 * there, so a case goes on past its faults. Assembled from:
 *   n64: incl 0xe000; cmpl $K, 0xe000; jae 9f; mov (%rsp), %rbx;
 *        cmp $0x1000, %rbx; jb 1f; sub $0x10000, %rbx; cmp $0xfff, %rbx;
 *        ja 9f; movzwl 0xc000(,%rbx,2), %ebx; add $0x10000, %ebx; jmp 2f;
 *     1: movzwl 0xc000(,%rbx,2), %ebx; 2: mov %rbx, (%rsp); iretq
 *     9: hlt;  e64: add $8, %rsp; jmp n64
 *   n32: the same in 32-bit code with DS = 0x10 around the count and
 *        CS-relative table reads; n16: 16-bit, [bp+4] is the IP, DS =
 *        0x10 (0 in real mode, patched), only a CS based at the code page
 */
static const uint8_t body64[] = {
    0xff, 0x04, 0x25, 0x00, 0xe0, 0x00, 0x00, 0x83, 0x3c, 0x25, 0x00, 0xe0,
    0x00, 0x00, 0x0c, 0x73, 0x3b, 0x48, 0x8b, 0x1c, 0x24, 0x48, 0x81, 0xfb,
    0x00, 0x10, 0x00, 0x00, 0x72, 0x20, 0x48, 0x81, 0xeb, 0x00, 0x00, 0x01,
    0x00, 0x48, 0x81, 0xfb, 0xff, 0x0f, 0x00, 0x00, 0x77, 0x1e, 0x0f, 0xb7,
    0x1c, 0x5d, 0x00, 0xc0, 0x00, 0x00, 0x81, 0xc3, 0x00, 0x00, 0x01, 0x00,
    0xeb, 0x08, 0x0f, 0xb7, 0x1c, 0x5d, 0x00, 0xc0, 0x00, 0x00, 0x48, 0x89,
    0x1c, 0x24, 0x48, 0xcf, 0xf4, 0x48, 0x83, 0xc4, 0x08, 0xeb, 0xad};
static const uint8_t body32[] = {
    0x1e, 0x6a, 0x10, 0x1f, 0xff, 0x05, 0x00, 0xe0, 0x00, 0x00, 0x83, 0x3d,
    0x00, 0xe0, 0x00, 0x00, 0x0c, 0x1f, 0x73, 0x37, 0x8b, 0x1c, 0x24, 0x81,
    0xfb, 0x00, 0x10, 0x00, 0x00, 0x72, 0x1f, 0x81, 0xeb, 0x00, 0x00, 0x01,
    0x00, 0x81, 0xfb, 0xff, 0x0f, 0x00, 0x00, 0x77, 0x1e, 0x2e, 0x0f, 0xb7,
    0x1c, 0x5d, 0x00, 0xc0, 0x00, 0x00, 0x81, 0xc3, 0x00, 0x00, 0x01, 0x00,
    0xeb, 0x09, 0x2e, 0x0f, 0xb7, 0x1c, 0x5d, 0x00, 0xc0, 0x00, 0x00, 0x89,
    0x1c, 0x24, 0xcf, 0xf4, 0x83, 0xc4, 0x04, 0xeb, 0xaf};
static const uint8_t body16[] = {
    0x1e, 0x6a, 0x10, 0x1f, 0x66, 0xff, 0x06, 0x00, 0xe0, 0x66,
    0x83, 0x3e, 0x00, 0xe0, 0x0c, 0x73, 0x19, 0x55, 0x89, 0xe5,
    0x8b, 0x5e, 0x04, 0x81, 0xfb, 0x00, 0x10, 0x73, 0x0c, 0xd1,
    0xe3, 0x8b, 0x9f, 0x00, 0xc0, 0x89, 0x5e, 0x04, 0x5d, 0x1f,
    0xcf, 0x5d, 0x1f, 0xf4, 0x83, 0xc4, 0x02, 0xeb, 0xcf};

/* where the bodies are, their "e" entries and the count's immediate */
#define B64 0x9100u
#define B32 0x9200u
#define B16 0x9300u
#define B16_REAL 0xb000u /* reachable from the real-mode stubs' CS */
#define REAL_STUBS 0xa000u
#define E64 0x4du
#define E32 0x4cu
#define E16 0x2cu

static bool has_error_code(unsigned v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 ||
           v == 30;
}

/* mov al, v; jmp body (or its "e" entry); #DF: mov al, 8; hlt */
static void put_stub(SfCase *c, uint32_t at, unsigned v, unsigned bits,
                     uint32_t body, uint32_t e_off, bool err)
{
    uint8_t *p = c->ram + at;
    memset(p, 0xf4, 16);
    p[0] = 0xb0;
    p[1] = (uint8_t)v;
    if (v == 8) {
        return;
    }
    uint32_t target = body + (err ? e_off : 0);
    p[2] = 0xe9;
    if (bits == 16) {
        uint16_t rel = (uint16_t)(target - (at + 5));
        memcpy(p + 3, &rel, 2);
    } else {
        uint32_t rel = target - (at + 7);
        memcpy(p + 3, &rel, 4);
    }
}

static void gen_handlers(SfCase *c, SfRng *r)
{
    memcpy(c->ram + B64, body64, sizeof(body64));
    memcpy(c->ram + B32, body32, sizeof(body32));
    memcpy(c->ram + B16, body16, sizeof(body16));
    memcpy(c->ram + B16_REAL, body16, sizeof(body16));
    c->ram[B16_REAL + 2] = 0; /* DS = 0 in real mode */
    uint8_t k = (uint8_t)(SF_MAX_FAULTS - sf_rn(r, 4));
    c->ram[B64 + 14] = c->ram[B32 + 16] = k;
    c->ram[B16 + 14] = c->ram[B16_REAL + 14] = k;
    memset(c->ram + SF_FAULTS, 0, 4);
    for (unsigned v = 0; v < 256; v++) {
        put_stub(c, REAL_STUBS + 16 * v, v, 16, B16_REAL, E16, false);
    }
    /* SYSCALL (LSTAR, CSTAR), SYSENTER, the call gate, task B */
    for (unsigned i = 0; i < 5; i++) {
        uint8_t *s = c->ram + SF_STUBS + 0x10 * i;
        memset(s, 0xf4, 16);
        s[0] = 0xb0;
        s[1] = (uint8_t)(0xe0 + i);
    }
}

static void gen_ivt(SfCase *c, SfRng *r)
{
    for (unsigned v = 0; v < 256; v++) {
        uint32_t e = ((REAL_STUBS >> 4) << 16) | (16 * v);
        st32(c, SF_IVT + 4 * v, sf_chance(r, 3) ? (uint32_t)sf_rnd(r) : e);
    }
    c->init.idt.base = SF_IVT;
    c->init.idt.limit = sf_chance(r, 95) ? 0x3ff : sf_rn(r, 0x400);
}

/* a gate for vector v, or garbage */
static void gen_gate(SfCase *c, SfRng *r, unsigned v, bool bits64)
{
    uint64_t off = SF_HANDLERS + 16 * v;
    unsigned dpl = sf_chance(r, 50) ? 3 : 0;
    unsigned type = sf_chance(r, 60) ? 0xe : 0xf;
    uint16_t sel = bits64 ? 0x08 : 0x18;
    unsigned low8 = bits64 && sf_chance(r, 20) ? 1 + sf_rn(r, 7) : 0;
    if (!bits64 && sf_chance(r, 20)) {
        type -= 8; /* a 16-bit gate: the 16-bit code segment */
        sel = 0x20;
    }
    uint64_t g = gate(off, sel, type, dpl, low8);
    switch (sf_chance(r, 6) ? sf_rn(r, 5) : 5) {
    case 0:
        g &= ~(1ull << 47);
        break;
    case 1:
        g = gate(0, 0x70, 0x5, dpl, 0); /* task gate to TSS B */
        break;
    case 2:
        g = sf_rnd(r);
        break;
    case 3:
        g = gate(off, (uint16_t)sf_rn(r, 0x100), type, dpl, low8);
        break;
    case 4:
        g = gate(off, 0x10, type, dpl, low8); /* CS is data */
        break;
    default:
        break;
    }
    if (bits64) {
        put_stub(c, (uint32_t)off, v, 64, B64, E64, has_error_code(v));
    } else if (sel == 0x20) {
        put_stub(c, (uint32_t)off, v, 16, B16, E16, has_error_code(v));
    } else {
        put_stub(c, (uint32_t)off, v, 32, B32, E32, has_error_code(v));
    }
    if (bits64) {
        st64(c, SF_IDT + 16 * v, g);
        st64(c, SF_IDT + 16 * v + 8, sf_chance(r, 1) ? sf_rnd(r) : 0);
    } else {
        st64(c, SF_IDT + 8 * v, g);
    }
}

static void gen_idt(SfCase *c, SfRng *r)
{
    gen_handlers(c, r);
    if (c->mode == SF_REAL) {
        gen_ivt(c, r);
        /* a protected-mode IDT too, for a switch to protected mode */
        for (unsigned v = 0; v < 256; v++) {
            gen_gate(c, r, v, false);
        }
        return;
    }
    bool bits64 = sf_long(c);
    for (unsigned v = 0; v < 256; v++) {
        gen_gate(c, r, v, bits64);
    }
    c->init.idt.base = SF_IDT;
    unsigned full = bits64 ? 0xfff : 0x7ff;
    c->init.idt.limit = sf_chance(r, 95) ? full : sf_rn(r, full + 1);
}

/* ---- TSSs ---- */

static void gen_tss(SfCase *c, SfRng *r)
{
    const uint32_t a = SF_TSS_A, b = SF_TSS_B;
    if (sf_long(c)) {
        for (unsigned i = 0; i < 3; i++) {
            st64(c, a + 4 + 8 * i, SF_KSTACK - 0x400 * i);
        }
        for (unsigned i = 0; i < 7; i++) { /* IST1-7 */
            st64(c, a + 0x24 + 8 * i,
                 sf_chance(r, 5) ? sf_rnd(r) : SF_KSTACK - 0x2000 - 0x200 * i);
        }
    } else {
        for (unsigned i = 0; i < 3; i++) {
            st32(c, a + 4 + 8 * i, SF_KSTACK - 0x400 * i);
            st32(c, a + 8 + 8 * i, sf_chance(r, 90) ? 0x10 : sf_rn(r, 0x100));
        }
        st32(c, a + 28, (uint32_t)c->init.cr[3]);
    }
    st32(c, a + 100, 0x68u << 16); /* the I/O bitmap at 0x68 */
    for (uint32_t i = 0; i < 0x2000; i++) {
        c->ram[a + 0x68 + i] = sf_chance(r, 30) ? (uint8_t)sf_rnd(r) : 0;
    }
    c->ram[a + 0x2068] = 0xff;
    /* task B: a 32-bit task at the last stub */
    memset(c->ram + b, 0, 0x68);
    st32(c, b + 28, (uint32_t)c->init.cr[3]);
    st32(c, b + 32, SF_STUBS + 0x40);
    st32(c, b + 36, 0x2);
    st32(c, b + 56, SF_KSTACK - 0x1000);
    static const uint32_t segs[6] = {0x10, 0x18, 0x10, 0x10, 0x10, 0x10};
    for (unsigned i = 0; i < 6; i++) {
        st32(c, b + 72 + 4 * i, segs[i]);
    }
    st32(c, b + 96, sf_chance(r, 80) ? 0 : 0x50);
}

/* ---- page tables ---- */

typedef struct PtGen {
    SfCase *c;
    SfRng *r;
    unsigned next;       /* pool pages used */
    bool wide;           /* 8-byte entries */
    uint32_t first_leaf; /* the first page table made: [0, 2 MiB) */
} PtGen;

static uint32_t pt_page(PtGen *p)
{
    uint32_t pa = SF_PT_POOL + 0x1000 * (p->next++ % SF_PT_PAGES);
    memset(p->c->ram + pa, 0, 0x1000);
    return pa;
}

static void pt_put(PtGen *p, uint32_t table, unsigned i, uint64_t e)
{
    if (p->wide) {
        st64(p->c, table + 8 * i, e);
    } else {
        st32(p->c, table + 4 * i, (uint32_t)e);
    }
}

/* the pages a case needs to run: tables, handlers, code, stacks, pool */
static bool pt_vital(uint64_t pa)
{
    return pa < 0x10000 || (pa >= SF_CODE && pa < SF_CODE + SF_CODE_SIZE) ||
           (pa >= 0x6c000 && pa < 0x80000) ||
           (pa >= SF_PT_POOL && pa < SF_PT_POOL + 0x1000 * SF_PT_PAGES);
}

/* random permission bits on a present, writable, user entry */
static uint64_t pt_flags(PtGen *p, uint64_t e, unsigned pct)
{
    SfRng *r = p->r;
    e |= 0x7;
    if (!sf_chance(r, pct)) {
        return e;
    }
    switch (sf_rn(r, 9)) {
    case 0:
        return e & ~1ull; /* not present */
    case 1:
        return e & ~2ull; /* read-only */
    case 2:
        return e & ~4ull; /* supervisor */
    case 3:
        return p->wide ? e | (1ull << 63) : e; /* NX */
    case 4: /* a reserved bit: beyond MAXPHYADDR, or bit 51 */
        return p->wide ? e | (1ull << (46 + sf_rn(r, 6))) : e | (1u << 13);
    case 5:
        return e | 0x100; /* G */
    case 6:
        return e | 0x60; /* A, D */
    case 7:
        return e | 0x18; /* PWT, PCD */
    default:
        return e ^ (1ull << sf_rn(r, p->wide ? 64 : 32));
    }
}

/* one page table mapping [base, base + n pages) */
static uint32_t pt_leaf(PtGen *p, uint64_t base, unsigned n)
{
    uint32_t t = pt_page(p);
    for (unsigned i = 0; i < n; i++) {
        uint64_t pa = base + 0x1000ull * i;
        if (pa >= SF_RAM) {
            break;
        }
        pt_put(p, t, i, pt_flags(p, pa, pt_vital(pa) ? 2 : 20));
    }
    if (!p->first_leaf) {
        p->first_leaf = t;
    }
    return t;
}

static uint64_t pt_dir(PtGen *p, uint32_t table)
{
    return pt_flags(p, table, 1);
}

static uint32_t pt_32(PtGen *p)
{
    uint32_t pd = pt_page(p);
    pt_put(p, pd, 0, pt_dir(p, pt_leaf(p, 0, 512)));
    pt_put(p, pd, 768, pt_dir(p, pt_leaf(p, 0, 512))); /* 0xc0000000 */
    if (sf_chance(p->r, 50)) {                         /* a 4 MiB page */
        pt_put(p, pd, 1 + sf_rn(p->r, 1023), pt_flags(p, 0x80, 20));
    }
    return pd;
}

/* a PAE/IA-32e page directory for the first 2 MiB, a 2 MiB page too */
static uint32_t pt_pd(PtGen *p)
{
    uint32_t pd = pt_page(p);
    pt_put(p, pd, 0, pt_dir(p, pt_leaf(p, 0, 512)));
    pt_put(p, pd, 1 + sf_rn(p->r, 511), pt_flags(p, 0x80, 20));
    return pd;
}

static uint32_t pt_pae(PtGen *p)
{
    uint32_t pdpt = pt_page(p), pd = pt_pd(p);
    pt_put(p, pdpt, 0, pd | 1);
    pt_put(p, pdpt, 3, sf_chance(p->r, 10) ? pd | 0x3 : pd | 1);
    return pdpt;
}

static uint32_t pt_4l(PtGen *p)
{
    uint32_t pml4 = pt_page(p), pdpt = pt_page(p), pd = pt_pd(p);
    pt_put(p, pdpt, 0, pt_dir(p, pd));
    pt_put(p, pdpt, 510, pt_dir(p, pd)); /* 0xffffffff80000000 */
    if (sf_chance(p->r, 30)) {           /* a 1 GiB page */
        pt_put(p, pdpt, 1 + sf_rn(p->r, 509), pt_flags(p, 0x80, 20));
    }
    pt_put(p, pml4, 0, pt_dir(p, pdpt));
    pt_put(p, pml4, 511, pt_dir(p, pdpt));
    return pml4;
}

/* one address space of the case's paging mode; its CR3 */
static uint64_t pt_space(PtGen *p)
{
    switch (p->c->paging) {
    case SF_PG_NONE:
        return sf_chance(p->r, 50) ? 0 : SF_PT_POOL;
    case SF_PG_32:
        return pt_32(p);
    case SF_PG_PAE:
        return pt_pae(p);
    case SF_PG_4L:
        return pt_4l(p);
    case SF_PG_5L: {
        uint32_t pml5 = pt_page(p), pml4 = pt_4l(p);
        pt_put(p, pml5, 0, pt_dir(p, pml4));
        pt_put(p, pml5, 511, pt_dir(p, pml4));
        return pml5;
    }
    case SF_PG_COUNT:
        break;
    }
    return 0;
}

/* two spaces with their own permissions, for MOV CR3 to switch between */
static void gen_paging(SfCase *c, SfRng *r)
{
    PtGen p = {c, r, 0, c->paging != SF_PG_32, 0};
    c->init.cr[3] = pt_space(&p);
    c->pt_leaf = p.first_leaf;
    c->cr3_b = pt_space(&p);
}

/* ---- the CPU state ---- */

/* the segment cache of the GDT's descriptor at sel */
static void seg_gdt(SfCase *c, int seg, uint16_t sel)
{
    uint64_t d;
    memcpy(&d, c->ram + SF_GDT + (sel & ~7u), 8);
    uint64_t base;
    uint32_t limit, attr;
    cpu_seg_decode(d, &base, &limit, &attr);
    attr |= 1; /* accessed */
    SegCache *s = &c->init.segs[seg];
    s->selector = sel;
    s->base = base;
    s->limit = limit;
    s->attr = attr;
}

static void seg_real(SfCase *c, SfRng *r, int seg, uint16_t sel, bool v86)
{
    SegCache *s = &c->init.segs[seg];
    s->selector = sel;
    s->base = (uint64_t)sel << 4;
    s->limit = !v86 && sf_chance(r, 10) ? 0xffffffff : 0xffff; /* unreal */
    s->attr = SEG_AR_P | SEG_AR_S | (seg == R_CS ? 0xb : 0x3) |
              (v86 ? 3u << SEG_AR_DPL_SHIFT : 0);
}

static uint16_t pick_data_sel(SfRng *r, unsigned cpl)
{
    static const uint16_t k0[] = {0x10, 0x30, 0x40, 0, 0xa0, 0x18};
    if (cpl == 3) {
        return sf_chance(r, 80) ? 0x43 : (uint16_t)(sf_rn(r, 32) * 8 + 3);
    }
    return sf_chance(r, 10) ? (uint16_t)sf_rn(r, 0x100) : k0[sf_rn(r, 6)];
}

static void gen_segs_real(SfCase *c, SfRng *r, bool v86)
{
    static const uint16_t ds[] = {SF_DATA >> 4, 0, SF_CODE >> 4, 0x0700};
    seg_real(c, r, R_CS, SF_CODE >> 4, v86);
    seg_real(c, r, R_SS, SF_KSTACK >> 4 & 0xf000, v86);
    for (int s = 0; s < CPU_NB_SEGS; s++) {
        if (s != R_CS && s != R_SS) {
            uint16_t sel =
                sf_chance(r, 90) ? ds[sf_rn(r, 4)] : (uint16_t)sf_rnd(r);
            seg_real(c, r, s, sel, v86);
        }
    }
    c->init.rip = 0;
    c->init.regs[R_ESP] = 0xf000;
}

static void gen_segs_prot(SfCase *c, SfRng *r, unsigned cpl)
{
    uint16_t cs;
    bool base16 = false; /* CS based at the code page */
    switch (c->mode) {
    case SF_PROT16:
        cs = cpl ? 0x9b : 0x28;
        base16 = true;
        break;
    case SF_LONG64:
        cs = cpl ? 0x4b : 0x08;
        break;
    case SF_COMPAT:
        base16 = !cpl && sf_chance(r, 30);
        cs = cpl ? 0x3b : base16 ? 0x28 : 0x18;
        break;
    default:
        cs = cpl ? 0x3b : 0x18;
        break;
    }
    seg_gdt(c, R_CS, cs);
    seg_gdt(c, R_SS, cpl ? 0x43 : 0x10);
    for (int s = 0; s < CPU_NB_SEGS; s++) {
        if (s == R_CS || s == R_SS) {
            continue;
        }
        uint16_t sel = pick_data_sel(r, cpl);
        seg_gdt(c, s, sel);
        if (!(sel & ~3u)) {
            c->init.segs[s].attr = SEG_AR_UNUSABLE;
        }
    }
    if (c->mode == SF_LONG64) {
        c->init.segs[R_FS].base = sf_chance(r, 50) ? SF_DATA : sf_rnd(r);
        c->init.segs[R_GS].base = SF_DATA + 0x800;
    }
    c->init.rip = base16 ? 0 : SF_CODE;
    c->init.regs[R_ESP] = cpl ? SF_USTACK : SF_KSTACK;
}

static void gen_sysregs(SfCase *c, SfRng *r)
{
    SfState *s = &c->init;
    s->ldt = (SegCache){.selector = 0x50,
                        .base = SF_LDT,
                        .limit = 0x7f,
                        .attr = SEG_AR_P | 0x2};
    s->tr = (SegCache){.selector = 0x60,
                       .base = SF_TSS_A,
                       .limit = 0x2068,
                       .attr = SEG_AR_P | 0xb};
    s->dr[6] = 0xffff0ff0;
    s->dr[7] = 0x400;
    if (sf_chance(r, 10)) { /* a breakpoint in the code or data */
        s->dr[0] = SF_CODE + sf_rn(r, 64);
        s->dr[1] = SF_DATA + sf_rn(r, 64);
        s->dr[7] |= sf_rnd(r) & 0xffff00ffull;
    }
    s->msr.star = (0x38ull << 48) | (0x08ull << 32);
    s->msr.lstar = SF_STUBS;
    s->msr.cstar = SF_STUBS + 0x10;
    s->msr.sfmask = sf_rnd(r) & (EFL_IF | EFL_TF | EFL_DF | EFL_AC | CC_ALL);
    s->msr.kernel_gs_base = SF_DATA + 0x1000;
    s->msr.sysenter_cs = sf_chance(r, 80) ? 0x08 : sf_rn(r, 0x100);
    s->msr.sysenter_esp = SF_KSTACK - 0x800;
    s->msr.sysenter_eip = SF_STUBS + 0x20;
    s->msr.pat = 0x0007040600070406ull;
    s->msr.apic_base = 0xfee00900ull;
    s->msr.misc_enable = 1;
}

static void gen_crs(SfCase *c, SfRng *r)
{
    SfState *s = &c->init;
    uint64_t cr0 = CR0_ET, cr4 = 0, efer = 0;
    if (c->mode != SF_REAL) {
        cr0 |= CR0_PE;
    }
    if (c->paging != SF_PG_NONE) {
        cr0 |= CR0_PG;
    }
    cr0 |= sf_chance(r, 90) ? CR0_NE : 0;
    cr0 |= sf_chance(r, 70) ? CR0_WP : 0;
    cr0 |= sf_chance(r, 20) ? CR0_AM : 0;
    cr0 |= sf_chance(r, 30) ? CR0_MP : 0;
    cr0 |= sf_chance(r, 5) ? CR0_TS : 0;
    cr0 |= sf_chance(r, 5) ? CR0_EM : 0;
    if (c->paging >= SF_PG_PAE) {
        cr4 |= CR4_PAE;
        efer |= sf_chance(r, 70) ? EFER_NXE : 0;
    }
    if (c->paging == SF_PG_5L) {
        cr4 |= CR4_LA57;
    }
    if (sf_long(c)) {
        efer |= EFER_LME | EFER_LMA;
        cr4 |= sf_chance(r, 10) ? CR4_PCIDE : 0;
    }
    cr4 |= sf_chance(r, 30) ? BIT(4) : 0; /* PSE */
    cr4 |= sf_chance(r, 30) ? CR4_PGE : 0;
    cr4 |= sf_chance(r, 10) ? CR4_SMEP : 0;
    cr4 |= sf_chance(r, 10) ? CR4_SMAP : 0;
    cr4 |= sf_chance(r, 10) ? CR4_UMIP : 0;
    cr4 |= sf_chance(r, 50) ? CR4_OSFXSR : 0;
    cr4 |= sf_chance(r, 10) ? BIT(2) : 0; /* TSD */
    cr4 |= sf_chance(r, 20) ? BIT(3) : 0; /* DE */
    cr4 |= sf_chance(r, 30) ? CR4_FSGSBASE : 0;
    if (c->mode == SF_V86) {
        cr4 |= sf_chance(r, 30) ? BIT(0) | BIT(1) : 0; /* VME, PVI */
    }
    efer |= sf_chance(r, 80) ? EFER_SCE : 0;
    s->cr[0] = cr0;
    s->cr[4] = cr4;
    s->efer = efer;
    s->cr[8] = sf_rn(r, 16);
    s->cr[2] = sf_chance(r, 50) ? 0 : sf_rnd(r);
}

/* a register value: selectors, addresses, edge cases, random */
uint64_t sf_value(SfRng *r);
uint64_t sf_value(SfRng *r)
{
    static const uint64_t edge[] = {
        0,          1,     0xffff,     0x8000, 0x7fffffff, 0x80000000,
        0xffffffff, ~0ull, 1ull << 63, 0xfff,  0x1000,     SF_KSTACK};
    switch (sf_rn(r, 6)) {
    case 0:
        return edge[sf_rn(r, 12)];
    case 1:
        return sf_rn(r, 32) * 8 + sf_rn(r, 4); /* a selector */
    case 2:
        return SF_DATA + sf_rn(r, SF_DATA_SIZE);
    case 3:
        return sf_rn(r, 256);
    default:
        return sf_rnd(r);
    }
}

static void gen_regs(SfCase *c, SfRng *r, unsigned cpl)
{
    SfState *s = &c->init;
    for (int i = 0; i < 16; i++) {
        if (i != R_ESP) {
            s->regs[i] = sf_value(r);
        }
    }
    uint64_t f = 0x2 | (sf_rnd(r) & CC_ALL);
    f |= sf_chance(r, 50) ? EFL_IF : 0;
    f |= (uint64_t)sf_rn(r, 4) << EFL_IOPL_SHIFT;
    f |= sf_chance(r, 10) ? EFL_AC : 0;
    f |= sf_chance(r, 10) ? EFL_DF : 0;
    f |= sf_chance(r, 2) ? EFL_TF : 0;
    f |= sf_chance(r, 3) ? EFL_NT : 0;
    f |= sf_chance(r, 5) ? EFL_RF : 0;
    f |= c->mode == SF_V86 ? EFL_VM : 0;
    s->rflags = f;
    (void)cpl;
}

static SfPaging pick_paging(SfCase *c, SfRng *r)
{
    switch (c->mode) {
    case SF_REAL:
        return SF_PG_NONE;
    case SF_LONG64:
    case SF_COMPAT:
        return sf_chance(r, 30) ? SF_PG_5L : SF_PG_4L;
    default:
        return (SfPaging)sf_rn(r, 3);
    }
}

void sf_gen_tables(SfCase *c, SfRng *r)
{
    unsigned cpl = 0;
    if (c->mode == SF_V86) {
        cpl = 3;
    } else if (c->mode != SF_REAL && sf_chance(r, 20)) {
        cpl = 3;
    }
    c->paging = pick_paging(c, r);
    unsigned model = sf_rn(r, 20);
    c->features = model < 12   ? 0
                  : model < 17 ? CPU_FEATURES_QEMU64
                               : CPU_FEATURES_BASE;
    memset(c->ram, 0xf4, SF_RAM); /* anything run by accident halts */
    memset(c->ram, 0, 0x8000);    /* the tables */
    for (uint32_t i = 0; i < SF_DATA_SIZE; i++) {
        c->ram[SF_DATA + i] = (uint8_t)sf_rnd(r);
    }
    gen_crs(c, r);
    gen_paging(c, r);
    gen_gdt(c, r);
    gen_idt(c, r);
    gen_tss(c, r);
    gen_sysregs(c, r);
    gen_regs(c, r, cpl);
    if (c->mode == SF_REAL || c->mode == SF_V86) {
        gen_segs_real(c, r, c->mode == SF_V86);
    } else {
        gen_segs_prot(c, r, cpl);
    }
}
