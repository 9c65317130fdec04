/*
 * tools/bench/sys/machine.c: the benchmark kernel's machine set-up. A GDT
 * with kernel and user segments in SYSRET's order and a 64-bit TSS (SDM
 * vol. 3 sec. 8.7), a 256-vector IDT (vectors 0..47 to the library's
 * reporting stubs, #PF, INT 0x80 and IRQ 4 to entry.S), the SYSCALL MSRs
 * (vol. 2 SYSCALL: STAR, LSTAR, FMASK, EFER.SCE), and 4-level page tables
 * (vol. 3 sec. 5.5): every address space maps the kernel's 0..4 MiB with
 * global 2 MiB pages and physical 0..1 GiB at 1 GiB (the direct map through
 * which the kernel reaches page tables and process memory); the rest is
 * 4 KiB pages from a pool.
 */
#include "sysbench.h"

#define MSR_EFER 0xc0000080u
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_FMASK 0xc0000084u
#define EFER_SCE 0x1ull
#define CR4_PGE 0x80ull
#define FMASK_TF_IF_DF 0x700ull
#define GATE_INT 0x8e      /* present, DPL 0, 64-bit interrupt gate */
#define GATE_INT_USER 0xee /* the same with DPL 3: INT n from CPL 3 */
#define VEC_PF 14
#define VEC_IRQ4 36
#define VEC_INT80 0x80
#define LIB_VECTORS 48
#define DMAP_SIZE 0x40000000ull

typedef struct Tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed)) Tss64;

extern const uint64_t isr_stubs[LIB_VECTORS];

static uint64_t gdt[7] __attribute__((aligned(16))) = {
    0,
    0x00af9a000000ffffull, /* 0x08: 64-bit code, DPL 0 */
    0x00cf92000000ffffull, /* 0x10: data, DPL 0 */
    0x00cff2000000ffffull, /* 0x18: data, DPL 3 (SYSRET SS) */
    0x00affa000000ffffull, /* 0x20: 64-bit code, DPL 3 (SYSRET CS) */
    0,                     /* 0x28: the TSS, 16 bytes */
    0,
};
static Tss64 tss __attribute__((aligned(16)));
static IdtGate idt[256] __attribute__((aligned(16)));
static uint8_t int_stack[16384] __attribute__((aligned(16)));

static uint64_t pool_next, pool_end, dmap_offset, kernel_pml4, pd_dmap;

static uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

static void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr"
                     :
                     : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static void set_gate(unsigned vec, void (*fn)(void), uint8_t type)
{
    uint64_t a = (uint64_t)(uintptr_t)fn;
    idt[vec] = (IdtGate){
        .off_lo = (uint16_t)a,
        .sel = SB_KERNEL_CS,
        .type = type,
        .off_mid = (uint16_t)(a >> 16),
        .off_hi = (uint32_t)(a >> 32),
    };
}

static void gdt_load(void)
{
    uint64_t base = (uint64_t)(uintptr_t)&tss, limit = sizeof(tss) - 1;
    gdt[5] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ull << 40 |
             ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
    gdt[6] = base >> 32;
    tss.rsp[0] = (uint64_t)(uintptr_t)(int_stack + sizeof(int_stack));
    tss.iomap_base = sizeof(tss); /* no I/O bitmap */
    DescPtr p = {.limit = sizeof(gdt) - 1, .base = (uint64_t)(uintptr_t)gdt};
    __asm__ volatile("lgdt %0\n\t"
                     "pushq $0x08\n\t"
                     "lea 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\tmov $0x10, %%eax\n\t"
                     "mov %%eax, %%ds\n\t"
                     "mov %%eax, %%es\n\t"
                     "mov %%eax, %%ss\n\t"
                     "mov $0x28, %%eax\n\t"
                     "ltr %%ax"
                     :
                     : "m"(p)
                     : "rax", "memory");
}

void sb_cpu_init(void)
{
    gdt_load();
    for (unsigned v = 0; v < LIB_VECTORS; v++) {
        set_gate(v, (void (*)(void))(uintptr_t)isr_stubs[v], GATE_INT);
    }
    set_gate(VEC_PF, sb_pf_entry, GATE_INT);
    set_gate(VEC_IRQ4, sb_irq_entry, GATE_INT);
    set_gate(VEC_INT80, sb_int_entry, GATE_INT_USER);
    DescPtr p = {.limit = sizeof(idt) - 1, .base = (uint64_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" : : "m"(p));
    wrmsr(MSR_STAR, (uint64_t)0x10 << 48 | (uint64_t)SB_KERNEL_CS << 32);
    wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)sb_syscall_entry);
    wrmsr(MSR_FMASK, FMASK_TF_IF_DF);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

bool sb_pool_init(uint64_t start, uint64_t end)
{
    pool_next = (start + SB_PAGE - 1) & ~(SB_PAGE - 1);
    pool_end = end < DMAP_SIZE ? end & ~(SB_PAGE - 1) : DMAP_SIZE;
    return pool_next < pool_end;
}

void *sb_phys(uint64_t pa)
{
    return (void *)(uintptr_t)(pa + dmap_offset);
}

uint64_t sb_alloc_page(void)
{
    if (pool_next >= pool_end) {
        return 0;
    }
    uint64_t pa = pool_next;
    pool_next += SB_PAGE;
    uint64_t *p = sb_phys(pa);
    for (unsigned i = 0; i < SB_PAGE / 8; i++) {
        p[i] = 0;
    }
    return pa;
}

/* the table that entry idx of table points to, allocated if absent */
static uint64_t next_table(uint64_t table, unsigned idx)
{
    uint64_t *t = sb_phys(table);
    if (!(t[idx] & SB_PTE_P)) {
        uint64_t pa = sb_alloc_page();
        if (!pa) {
            return 0;
        }
        t[idx] = pa | SB_PTE_P | SB_PTE_RW | SB_PTE_US;
    }
    if (t[idx] & SB_PTE_PS) {
        return 0; /* a large page is in the way: not ours to split */
    }
    return t[idx] & 0x000ffffffffff000ull;
}

volatile uint64_t *sb_pte(uint64_t pml4, uint64_t va)
{
    uint64_t t = pml4;
    for (int shift = 39; shift > 12 && t; shift -= 9) {
        t = next_table(t, (unsigned)(va >> shift) & 511);
    }
    if (!t) {
        return NULL;
    }
    return (volatile uint64_t *)sb_phys(t) + ((va >> 12) & 511);
}

bool sb_map(uint64_t pml4, uint64_t va, uint64_t pa, uint64_t flags)
{
    if (va < SB_KERNEL_END || va >= SB_DMAP) {
        return false;
    }
    volatile uint64_t *pte = sb_pte(pml4, va);
    if (!pte) {
        return false;
    }
    *pte = pa | flags | SB_PTE_P;
    return true;
}

uint64_t sb_space_new(void)
{
    uint64_t pml4 = sb_alloc_page(), pdpt = sb_alloc_page();
    uint64_t pd = sb_alloc_page();
    if (!pml4 || !pdpt || !pd) {
        return 0;
    }
    uint64_t *l4 = sb_phys(pml4), *l3 = sb_phys(pdpt), *l2 = sb_phys(pd);
    l4[0] = pdpt | SB_PTE_P | SB_PTE_RW | SB_PTE_US;
    l3[0] = pd | SB_PTE_P | SB_PTE_RW | SB_PTE_US;
    l3[1] = pd_dmap | SB_PTE_P | SB_PTE_RW;
    for (uint64_t i = 0; i < SB_KERNEL_END >> 21; i++) {
        l2[i] = i << 21 | SB_PTE_P | SB_PTE_RW | SB_PTE_PS | SB_PTE_G;
    }
    return pml4;
}

void sb_paging_init(void)
{
    /* still on the boot tables: physical memory is identity-mapped */
    pd_dmap = sb_alloc_page();
    uint64_t *pd = sb_phys(pd_dmap);
    for (uint64_t i = 0; i < 512; i++) {
        pd[i] = i << 21 | SB_PTE_P | SB_PTE_RW | SB_PTE_PS | SB_PTE_G;
    }
    kernel_pml4 = sb_space_new();
    uint64_t cr4;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_PGE) : "memory");
    sb_write_cr3(kernel_pml4);
    dmap_offset = SB_DMAP;
}

uint64_t sb_kernel_space(void)
{
    return kernel_pml4;
}
