/*
 * The tiny machine of the CPU-model tests (tiny_machine.h): page tables at
 * 0x1000 (PML4), 0x2000 (PDPT), 0x3000 (PD), 0x4000 (one PT of 512 pages),
 * every page user-accessible but the kernel stack's.
 */
#include "tiny_machine.h"

#include <string.h>

#include "cpu/exec.h"
#include "mmu/memory.h"

#define TM_RAM (2u << 20)
#define TM_RWU 0x7ull

static void tm_st64(TinyMachine *m, uint64_t pa, uint64_t v)
{
    memcpy(m->mem + pa, &v, 8);
}

static void tm_page_tables(TinyMachine *m)
{
    tm_st64(m, 0x1000, 0x2000 | TM_RWU);
    tm_st64(m, 0x2000, 0x3000 | TM_RWU);
    tm_st64(m, 0x3000, 0x4000 | TM_RWU);
    for (unsigned i = 16; i < 512; i++) { /* the tables stay unmapped */
        if (i != TM_HOLE >> 12) {
            tm_st64(m, 0x4000 + 8 * i, (0x1000ull * i) | TM_RWU);
        }
    }
    /* the kernel stack page: supervisor only */
    tm_st64(m, 0x4000 + 8 * ((TM_KSTACK - 8) >> 12), (TM_KSTACK - 0x1000) | 3);
}

static void tm_cpu_mode(CpuX86 *env, unsigned cpl)
{
    uint32_t dpl = cpl << SEG_AR_DPL_SHIFT;
    uint32_t data = SEG_AR_P | SEG_AR_S | dpl | 0x3u | SEG_AR_DB | SEG_AR_G;
    env->cr[0] = CR0_PE | CR0_PG | CR0_WP | CR0_ET | CR0_NE;
    env->cr[3] = 0x1000;
    env->cr[4] = CR4_PAE;
    env->efer = EFER_LME | EFER_LMA | EFER_NXE;
    for (int i = 0; i < CPU_NB_SEGS; i++) {
        cpu_seg_set(env, i, (uint16_t)(0x18 | cpl), 0, 0xffffffff, data);
    }
    cpu_seg_set(env, R_CS, (uint16_t)(0x10 | cpl), 0, 0xffffffff,
                SEG_AR_P | SEG_AR_S | dpl | 0xbu | SEG_AR_L | SEG_AR_G);
    cpu_update_hflags(env);
    tlb_flush(env);
}

void tm_new(TinyMachine *m, TcgBackendKind backend, unsigned cpl,
            uint64_t features)
{
    m->root = mr_new_container("sys", 1ull << 40);
    m->ram = mr_new_ram("ram", TM_RAM);
    mr_add_subregion(m->root, 0, m->ram, 0);
    m->as = as_new("system", m->root);
    m->mem = mr_ram_ptr(m->ram);
    tm_page_tables(m);
    m->env = cpu_x86_new(m->as);
    m->env->features = features;
    tm_cpu_mode(m->env, cpl);
    memset(m->env->regs, 0, sizeof(m->env->regs));
    m->env->regs[R_ESP] = cpl == 3 ? TM_STACK : TM_KSTACK;
    m->tcg = cpu_tcg_new(backend, 1u << 20);
    cpu_exec_attach(m->env, m->tcg);
}

void tm_free(TinyMachine *m)
{
    cpu_exec_detach(m->env);
    tcg_free(m->tcg);
    cpu_x86_free(m->env);
    as_free(m->as);
    mr_free_tree(m->root);
}

int tm_run_cpu(CpuX86 *env, uint64_t rip)
{
    env->rip = rip;
    for (int i = 0; i < 1000; i++) {
        if (cpu_exec(env) == CPU_EXIT_EXCEPTION) {
            return env->exception_index;
        }
    }
    return -1;
}

int tm_run(TinyMachine *m, const uint8_t *code, size_t len)
{
    /* through the address space, so blocks of earlier code there go */
    uint8_t page[0x1000];
    memset(page, 0xcc, sizeof(page));
    memcpy(page, code, MIN(len, sizeof(page)));
    if (as_write(m->as, TM_CODE, page, sizeof(page), MEMATTRS_CPU) !=
        MEMTX_OK) {
        return -1;
    }
    return tm_run_cpu(m->env, TM_CODE);
}

void tm_copy_page_tables(TinyMachine *m, uint64_t dst)
{
    memcpy(m->mem + dst, m->mem + 0x1000, 0x4000);
    for (uint64_t t = 0; t < 3; t++) {
        uint64_t e;
        memcpy(&e, m->mem + dst + t * 0x1000, 8);
        tm_st64(m, dst + t * 0x1000, e + (dst - 0x1000));
    }
}

CpuX86 *tm_new_cpu(TinyMachine *m, uint64_t cr3)
{
    return tm_new_cpu_in(m, cr3, m->tcg);
}

CpuX86 *tm_new_cpu_in(TinyMachine *m, uint64_t cr3, TcgCtx *ctx)
{
    CpuX86 *env = cpu_x86_new(m->as);
    env->features = m->env->features;
    tm_cpu_mode(env, cpu_cpl(m->env));
    env->cr[3] = cr3;
    tlb_flush(env);
    env->regs[R_ESP] = m->env->regs[R_ESP];
    cpu_exec_attach(env, ctx);
    return env;
}

void tm_free_cpu(CpuX86 *env)
{
    cpu_exec_detach(env);
    cpu_x86_free(env);
}

void tm_code_clear(TinyMachine *m)
{
    uint8_t page[0x1000];
    memset(page, 0xcc, sizeof(page));
    tm_code_put(m, 0, page, sizeof(page));
}

void tm_code_put(TinyMachine *m, uint64_t off, const void *code, size_t len)
{
    MemTxResult r = as_write(m->as, TM_CODE + off, code, len, MEMATTRS_CPU);
    ASSERT(r == MEMTX_OK);
}

int tm_run_until_halt(TinyMachine *m, uint64_t rip)
{
    m->env->rip = rip;
    m->env->halted = false;
    for (int i = 0; i < 100; i++) {
        CpuExitReason r = cpu_exec(m->env);
        if (r == CPU_EXIT_TRIPLE_FAULT) {
            return -2;
        }
        if (r == CPU_EXIT_FRONTEND && m->env->halted) {
            return 0;
        }
    }
    return -1;
}

uint64_t tm_rflags(const TinyMachine *m)
{
    return cpu_compute_eflags(m->env);
}
