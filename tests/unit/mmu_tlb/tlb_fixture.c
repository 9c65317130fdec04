/*
 * Shared fixture of the TLB tests: address space, CPU in long mode with
 * identity-mapped page-table memory, page-table builder, #PF recorder.
 */
#include <criterion/criterion.h>

#include "tlb_fixture.h"

AddrSpace *as;
MemRegion *ram;
CpuX86 *env;
MmioLog mmio;
sigjmp_buf fault_jmp;
volatile int nfaults;
volatile uint64_t fault_cr2;
volatile uint32_t fault_err;
int code_writes;
static uint64_t next_table;
static uint64_t pml4;

static uint64_t mmio_read(void *opaque, uint64_t addr, unsigned size)
{
    mmio.reads++;
    mmio.addr = addr;
    mmio.size = size;
    return 0xa5a5a5a5a5a5a5a5ull ^ addr;
}

static void mmio_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    mmio.writes++;
    mmio.addr = addr;
    mmio.val = val;
    mmio.size = size;
}

static const MemOps mmio_ops = {
    .read = mmio_read,
    .write = mmio_write,
    .valid = {.min = 1, .max = 8, .unaligned = true},
    .impl = {.min = 1, .max = 8, .unaligned = true},
};

static void record_fault(CpuX86 *e, uint64_t vaddr, uint32_t err,
                         uintptr_t retaddr)
{
    nfaults++;
    fault_cr2 = vaddr;
    fault_err = err;
    siglongjmp(fault_jmp, 1);
}

static void code_write(void *opaque, MemRegion *mr, uint64_t off, uint64_t len)
{
    code_writes++;
}

static uint64_t new_table(void)
{
    uint64_t p = next_table;
    next_table += 0x1000;
    cr_assert(next_table <= RAM_SIZE);
    return p;
}

static void tlb_setup(void)
{
    MemRegion *root = mr_new_container("sys", 1ull << 52);
    ram = mr_new_ram("ram", RAM_SIZE);
    mr_add_subregion(root, 0, ram, 0);
    mr_add_subregion(root, MMIO_BASE,
                     mr_new_io("mmio", 0x1000, &mmio_ops, NULL), 0);
    mr_add_subregion(root, ROM_BASE, mr_new_rom("rom", 0x1000), 0);
    as = as_new("system", root);
    mmio = (MmioLog){0};
    nfaults = 0;
    code_writes = 0;
    mem_set_code_write_hook(code_write, NULL);
    next_table = TABLES;
    pml4 = new_table();

    env = cpu_x86_new(as);
    env->tlb.fault = record_fault;
    env->cr[0] = CR0_PE | CR0_PG | CR0_WP | CR0_ET;
    env->cr[3] = pml4;
    env->cr[4] = CR4_PAE;
    env->efer = EFER_LME | EFER_LMA | EFER_NXE;
    cpu_update_hflags(env);
}

static void tlb_teardown(void)
{
    mem_set_code_write_hook(NULL, NULL);
    cpu_x86_free(env);
    MemRegion *root = as_root(as);
    as_free(as);
    mr_free_tree(root);
}

TestSuite(tlb, .init = tlb_setup, .fini = tlb_teardown, .timeout = 20);

uint64_t map_page(uint64_t va, uint64_t pa, uint64_t size, uint64_t flags)
{
    unsigned leaf = size == 0x1000 ? 3 : 2;
    uint64_t table = pml4;
    for (unsigned d = 0; d < leaf; d++) {
        uint64_t slot = table + 8 * ((va >> (39 - 9 * d)) & 511);
        uint64_t e = as_ld64(as, slot);
        if (!(e & WALK_PTE_P)) {
            e = new_table() | PTE_RWU;
            as_st64(as, slot, e);
        }
        table = e & 0x000ffffffffff000ull;
    }
    uint64_t slot = table + 8 * ((va >> (39 - 9 * leaf)) & 511);
    as_st64(as, slot, pa | flags | (leaf == 2 ? WALK_PTE_PS : 0));
    return slot;
}

uint32_t mo(unsigned bytes, unsigned mmu)
{
    unsigned lg = bytes == 8 ? 3 : bytes == 4 ? 2 : bytes == 2 ? 1 : 0;
    return lg | IR_MO_MMU(mmu);
}

void *fast_path(unsigned mmu, uint64_t va, unsigned bytes, bool write)
{
    const TlbFast *f = &env->tlb_fast[mmu];
    TlbEntry *e = tcg_tlb_entry(f, va);
    uint64_t cmp = tcg_tlb_cmp(va, bytes);
    if (cmp != (write ? e->addr_write : e->addr_read)) {
        return NULL;
    }
    return (void *)(uintptr_t)(va + e->addend);
}
