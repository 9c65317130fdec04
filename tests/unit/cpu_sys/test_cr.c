/*
 * Control registers, MSRs, descriptor-table registers and TLB maintenance
 * executed by guest code (translate_cr.c), on both backends: the values
 * round-trip, the #GP/#UD conditions of the SDM fault, and the TLB is
 * flushed as wide as the SDM says and no wider (a CR3 write keeps global
 * pages, PCIDs keep their entries, INVLPG/INVPCID drop what they name).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tiny_machine.h"

#define VB 0x20000ull /* remapped between P1 and P2 */
#define VC 0x21000ull /* the same, never global */
#define P1 0x30000ull
#define P2 0x31000ull
#define PT2 0x5000ull /* a second set of page tables */
#define PTE(pt, va) ((pt) + 0x3000 + 8 * ((va) >> 12))

static TinyMachine m;

static void st64(uint64_t pa, uint64_t v)
{
    memcpy(m.mem + pa, &v, 8);
}

/* mov eax, imm; int3 at pa */
static void put_mov_eax(uint64_t pa, uint32_t imm)
{
    uint8_t code[] = {0xb8, 0, 0, 0, 0, 0xcc};
    memcpy(code + 1, &imm, 4);
    memcpy(m.mem + pa, code, sizeof(code));
}

/* run code at TM_CODE; the exception vector it ends with */
#define RUN(...)                                                               \
    ({                                                                         \
        static const uint8_t c_[] = {__VA_ARGS__};                             \
        tm_run(&m, c_, sizeof(c_));                                            \
    })

static void setup(size_t b, unsigned cpl)
{
    tm_new(&m, tm_backends[b], cpl, 0);
    put_mov_eax(P1, 1);
    put_mov_eax(P2, 2);
    st64(PTE(0x1000, VB), P1 | 7);
    st64(PTE(0x1000, VC), P1 | 7);
    tlb_flush(m.env);
}

/* rip to va, run: EAX of the mov there */
static uint32_t run_at(uint64_t va)
{
    m.env->regs[R_EAX] = 0;
    cr_assert_eq(tm_run_cpu(m.env, va), 3);
    return (uint32_t)m.env->regs[R_EAX];
}

/* mov cr3, rbx; int3 */
static int mov_cr3(uint64_t v)
{
    m.env->regs[R_EBX] = v;
    return RUN(0x0f, 0x22, 0xdb);
}

static int mov_cr4(uint64_t v)
{
    m.env->regs[R_EBX] = v;
    return RUN(0x0f, 0x22, 0xe3);
}

Test(cr, control_registers_round_trip)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b, 0);
        cr_assert_eq(RUN(0x0f, 0x20, 0xc0), 3); /* mov rax, cr0 */
        cr_assert_eq(m.env->regs[R_EAX], m.env->cr[0]);
        cr_assert_eq(RUN(0x0f, 0x20, 0xe0), 3); /* mov rax, cr4 */
        cr_assert_eq(m.env->regs[R_EAX], CR4_PAE);
        m.env->regs[R_EBX] = 0xdead000;
        cr_assert_eq(RUN(0x0f, 0x22, 0xd3), 3); /* mov cr2, rbx */
        cr_assert_eq(m.env->cr[2], 0xdead000);
        m.env->regs[R_EBX] = 9;
        cr_assert_eq(RUN(0x44, 0x0f, 0x22, 0xc3), 3); /* mov cr8, rbx */
        cr_assert_eq(m.env->cr[8], 9);
        cr_assert_eq(RUN(0x44, 0x0f, 0x20, 0xc0), 3); /* mov rax, cr8 */
        cr_assert_eq(m.env->regs[R_EAX], 9);
        cr_assert_eq(mov_cr3(0x1000), 3);
        cr_assert_eq(RUN(0x0f, 0x20, 0xd8), 3); /* mov rax, cr3 */
        cr_assert_eq(m.env->regs[R_EAX], 0x1000);
        tm_free(&m);
    }
}

Test(cr, the_sdm_faults)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b, 0);
        m.env->regs[R_EBX] = m.env->cr[0] & ~(uint64_t)CR0_PG;
        cr_assert_eq(RUN(0x0f, 0x22, 0xc3), 13, "paging off in 64-bit code");
        m.env->regs[R_EBX] = m.env->cr[0] | (1ull << 32);
        cr_assert_eq(RUN(0x0f, 0x22, 0xc3), 13, "CR0 bit 32");
        m.env->regs[R_EBX] = m.env->cr[0] | CR0_NW;
        cr_assert_eq(RUN(0x0f, 0x22, 0xc3), 13, "NW without CD");
        cr_assert_eq(mov_cr4(CR4_PAE | (1ull << 30)), 13, "reserved CR4 bit");
        cr_assert_eq(mov_cr4(0), 13, "PAE off in long mode");
        cr_assert_eq(mov_cr4(CR4_PAE | CR4_LA57), 13, "LA57 in long mode");
        m.env->regs[R_EBX] = 0x10;
        cr_assert_eq(RUN(0x44, 0x0f, 0x22, 0xc3), 13, "CR8 bit 4");
        cr_assert_eq(mov_cr3(1ull << 50), 13, "CR3 above MAXPHYADDR");
        cr_assert_eq(m.env->cr[3], 0x1000, "nothing written");
        cr_assert_eq(RUN(0x0f, 0x22, 0xeb), 6, "CR5 does not exist");
        m.env->cr[3] = 0x1001;
        cr_assert_eq(mov_cr4(CR4_PAE | CR4_PCIDE), 13, "PCIDE with PCID 1");
        m.env->cr[3] = 0x1000;
        cr_assert_eq(m.env->rip, TM_CODE, "faults at the instruction");
        tm_free(&m);
        /* CPL 3: every one of them is #GP(0) */
        setup(b, 3);
        cr_assert_eq(RUN(0x0f, 0x20, 0xc0), 13, "mov rax, cr0 at CPL 3");
        cr_assert_eq(RUN(0x0f, 0x32), 13, "rdmsr at CPL 3");
        cr_assert_eq(RUN(0x0f, 0x01, 0x3b), 13, "invlpg at CPL 3");
        cr_assert_eq(RUN(0x0f, 0x06), 13, "clts at CPL 3");
        tm_free(&m);
    }
}

/* VB global, VC not; both remapped; MOV CR3 drops VC only */
Test(cr, a_cr3_write_keeps_global_pages)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b, 0);
        cr_assert_eq(mov_cr4(CR4_PAE | CR4_PGE), 3);
        st64(PTE(0x1000, VB), P1 | 0x107);
        cr_assert_eq(mov_cr3(0x1000), 3);
        cr_assert_eq(run_at(VB), 1);
        cr_assert_eq(run_at(VC), 1);
        st64(PTE(0x1000, VB), P2 | 0x107);
        st64(PTE(0x1000, VC), P2 | 7);
        cr_assert_eq(mov_cr3(0x1000), 3);
        cr_assert_eq(run_at(VB), 1, "the global page was dropped");
        cr_assert_eq(run_at(VC), 2, "a non-global page survived");
        /* INVLPG drops the global one too */
        m.env->regs[R_EBX] = VB;
        cr_assert_eq(RUN(0x0f, 0x01, 0x3b), 3);
        cr_assert_eq(run_at(VB), 2);
        /* CR4.PGE off flushes everything */
        st64(PTE(0x1000, VB), P1 | 0x107);
        cr_assert_eq(mov_cr3(0x1000), 3);
        cr_assert_eq(run_at(VB), 2);
        cr_assert_eq(mov_cr4(CR4_PAE), 3);
        cr_assert_eq(run_at(VB), 1);
        tm_free(&m);
    }
}

static uint64_t walks(void)
{
    return m.env->tlb.stats.walks + m.env->tlb.stats.l2_hits;
}

/* tables at PT2: a copy of 0x1000's with VB -> P2 */
static void second_tables(void)
{
    tm_copy_page_tables(&m, PT2);
    st64(PTE(PT2, VB), P2 | 7);
}

Test(cr, pcids_keep_their_entries_across_cr3_writes)
{
    const uint64_t noflush = 1ull << 63;
    for (size_t b = 0; b < 2; b++) {
        setup(b, 0);
        second_tables();
        cr_assert_eq(mov_cr4(CR4_PAE | CR4_PCIDE), 3);
        cr_assert_eq(mov_cr3(0x1000 | 1), 3);
        cr_assert_eq(run_at(VB), 1);
        cr_assert_eq(mov_cr3(PT2 | 2), 3);
        cr_assert_eq(run_at(VB), 2);
        uint64_t w = walks();
        cr_assert_eq(mov_cr3(noflush | 0x1000 | 1), 3);
        cr_assert_eq(m.env->cr[3], 0x1001, "bit 63 is not stored");
        cr_assert_eq(run_at(VB), 1);
        cr_assert_eq(walks(), w, "PCID 1 lost its entries");
        /* INVPCID type 1 for PCID 2, then back to it without a flush */
        uint64_t desc[2] = {2, 0};
        memcpy(m.mem + TM_DATA, desc, 16);
        m.env->regs[R_EAX] = 1;
        m.env->regs[R_EBX] = TM_DATA;
        int v = RUN(0x66, 0x0f, 0x38, 0x82, 0x03);
        cr_assert_eq(v, 3, "invpcid: vector %d", v);
        w = walks();
        cr_assert_eq(mov_cr3(noflush | PT2 | 2), 3);
        cr_assert_eq(run_at(VB), 2);
        cr_assert_gt(walks(), w, "INVPCID did not drop PCID 2");
        /* bad types and descriptors */
        m.env->regs[R_EAX] = 4;
        cr_assert_eq(RUN(0x66, 0x0f, 0x38, 0x82, 0x03), 13, "type 4");
        desc[0] = 1ull << 12;
        memcpy(m.mem + TM_DATA, desc, 16);
        m.env->regs[R_EAX] = 1;
        cr_assert_eq(RUN(0x66, 0x0f, 0x38, 0x82, 0x03), 13, "bits 63:12");
        tm_free(&m);
    }
}

/* wrmsr then rdmsr of ecx = msr: the value read, or the vector */
static int msr_rw(uint32_t msr, uint64_t v, uint64_t *out)
{
    m.env->regs[R_ECX] = msr;
    m.env->regs[R_EAX] = (uint32_t)v;
    m.env->regs[R_EDX] = v >> 32;
    int r = RUN(0x0f, 0x30, 0x31, 0xc0, 0x31, 0xd2, 0x0f, 0x32);
    *out = (m.env->regs[R_EDX] << 32) | (uint32_t)m.env->regs[R_EAX];
    return r;
}

Test(cr, msrs_round_trip_and_fault)
{
    uint64_t v;
    for (size_t b = 0; b < 2; b++) {
        setup(b, 0);
        cr_assert_eq(msr_rw(0xc0000082, 0xffffffff81000000ull, &v), 3);
        cr_assert_eq(v, 0xffffffff81000000ull, "LSTAR");
        cr_assert_eq(m.env->msr.lstar, v);
        cr_assert_eq(msr_rw(0xc0000082, 0x0000800000000000ull, &v), 13,
                     "LSTAR must be canonical");
        cr_assert_eq(msr_rw(0xc0000100, 0x7000, &v), 3);
        cr_assert_eq(m.env->segs[R_FS].base, 0x7000, "FS_BASE");
        cr_assert_eq(msr_rw(0x277, 0x0007040600070406ull, &v), 3, "PAT");
        cr_assert_eq(msr_rw(0x277, 0x02, &v), 13, "PAT type 2");
        cr_assert_eq(msr_rw(0x12345, 0, &v), 13, "no such MSR");
        /* EFER: LMA reads back, LME cannot change under paging */
        uint64_t efer = m.env->efer;
        cr_assert_eq(msr_rw(0xc0000080, efer, &v), 3);
        cr_assert_eq(v, efer);
        cr_assert(v & EFER_LMA);
        cr_assert_eq(msr_rw(0xc0000080, efer & ~(uint64_t)EFER_LME, &v), 13);
        cr_assert_eq(msr_rw(0xc0000080, efer | BIT(20), &v), 13, "reserved");
        tm_free(&m);
    }
}

Test(cr, descriptor_table_registers_round_trip)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b, 0);
        static const uint8_t dtr[10] = {0x27, 0x00, 0x00, 0x50, 0x01,
                                        0x00, 0x00, 0x00, 0x00, 0x00};
        memcpy(m.mem + TM_DATA, dtr, sizeof(dtr));
        m.env->regs[R_EBX] = TM_DATA;
        cr_assert_eq(RUN(0x0f, 0x01, 0x13), 3); /* lgdt [rbx] */
        cr_assert_eq(m.env->gdt.base, 0x15000);
        cr_assert_eq(m.env->gdt.limit, 0x27);
        cr_assert_eq(RUN(0x0f, 0x01, 0x1b), 3); /* lidt [rbx] */
        cr_assert_eq(m.env->idt.base, 0x15000);
        m.env->regs[R_EBX] = TM_DATA + 0x40;
        cr_assert_eq(RUN(0x0f, 0x01, 0x03), 3); /* sgdt [rbx] */
        cr_assert_eq(memcmp(m.mem + TM_DATA + 0x40, dtr, sizeof(dtr)), 0);
        /* a non-canonical base in 64-bit mode */
        static const uint8_t bad[10] = {0xff, 0, 0, 0, 0, 0, 0, 0x80, 0, 0};
        memcpy(m.mem + TM_DATA, bad, sizeof(bad));
        m.env->regs[R_EBX] = TM_DATA;
        cr_assert_eq(RUN(0x0f, 0x01, 0x13), 13);
        cr_assert_eq(m.env->gdt.base, 0x15000);
        tm_free(&m);
        /* SGDT at CPL 3: allowed, unless CR4.UMIP */
        setup(b, 3);
        m.env->regs[R_EBX] = TM_DATA;
        cr_assert_eq(RUN(0x0f, 0x01, 0x03), 3);
        m.env->cr[4] |= CR4_UMIP;
        cpu_update_hflags(m.env);
        cr_assert_eq(RUN(0x0f, 0x01, 0x03), 13);
        tm_free(&m);
    }
}
