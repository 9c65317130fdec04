/* 32-bit protected mode on the tiny machine (see pm32.h) */
#include "pm32.h"

#include <string.h>

#include "cpu/exec.h"

uint64_t pm_seg(uint32_t base, uint32_t limit, unsigned access, bool d32)
{
    return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
           ((uint64_t)access << 40) | ((uint64_t)(limit >> 16 & 0xf) << 48) |
           ((uint64_t)(d32 ? 4 : 0) << 52) | ((uint64_t)(base >> 24) << 56);
}

uint64_t pm_gate(unsigned type, uint16_t sel, uint32_t off, unsigned dpl,
                 unsigned params)
{
    return (off & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)params << 32) |
           ((uint64_t)type << 40) | ((uint64_t)dpl << 45) | (1ull << 47) |
           ((uint64_t)(off >> 16) << 48);
}

void pm_gdt(TinyMachine *m, unsigned sel, uint64_t desc)
{
    memcpy(m->mem + PM_GDT + (sel & ~7u), &desc, 8);
}

void pm_idt(TinyMachine *m, unsigned v, uint64_t gate)
{
    memcpy(m->mem + PM_IDT + 8 * v, &gate, 8);
}

uint32_t pm_ld32(TinyMachine *m, uint64_t a)
{
    uint32_t v;
    memcpy(&v, m->mem + a, 4);
    return v;
}

uint16_t pm_ld16(TinyMachine *m, uint64_t a)
{
    uint16_t v;
    memcpy(&v, m->mem + a, 2);
    return v;
}

void pm_st32(TinyMachine *m, uint64_t a, uint32_t v)
{
    memcpy(m->mem + a, &v, 4);
}

void pm_st16(TinyMachine *m, uint64_t a, uint16_t v)
{
    memcpy(m->mem + a, &v, 2);
}

uint32_t pm_stack(TinyMachine *m, unsigned i)
{
    const CpuX86 *env = m->env;
    return pm_ld32(m,
                   env->segs[R_SS].base + (uint32_t)(env->regs[R_ESP] + 4 * i));
}

void pm32_setup(TinyMachine *m, size_t backend, unsigned cpl)
{
    tm_new(m, tm_backends[backend], 0, 0);
    CpuX86 *env = m->env;
    memset(m->mem + PM_GDT, 0, 0x800);
    pm_gdt(m, 0x08, 0x00cf9a000000ffffull);
    pm_gdt(m, 0x10, 0x00cf92000000ffffull);
    pm_gdt(m, 0x18, 0x00cffa000000ffffull);
    pm_gdt(m, 0x20, 0x00cff2000000ffffull);
    pm_gdt(m, 0x28, pm_seg((uint32_t)PM_TSS, 0x67, 0x8b, false));
    env->gdt.base = PM_GDT;
    env->gdt.limit = 0x7ff;
    memset(m->mem + PM_IDT, 0, 0x800);
    env->idt.base = PM_IDT;
    env->idt.limit = 0x7ff;
    memset(m->mem + PM_TSS, 0, 0x68);
    pm_st32(m, PM_TSS + 4, (uint32_t)PM_ESP0);
    pm_st32(m, PM_TSS + 8, 0x10);
    pm_st16(m, PM_TSS + 0x66, 0x68); /* no I/O or redirection bitmap */
    env->tr.selector = 0x28;
    env->tr.base = PM_TSS;
    env->tr.limit = 0x67;
    env->tr.attr = SEG_AR_P | 0xb;
    env->ldt.attr = SEG_AR_UNUSABLE;
    env->efer = 0;
    env->cr[4] = 0;
    env->cr[0] = CR0_PE | CR0_ET;
    uint32_t d = SEG_AR_P | SEG_AR_S | (cpl << SEG_AR_DPL_SHIFT) | 0x3u |
                 SEG_AR_DB | SEG_AR_G;
    for (int s = 0; s < CPU_NB_SEGS; s++) {
        cpu_seg_set(env, s, (uint16_t)(cpl ? 0x23 : 0x10), 0, 0xffffffff, d);
    }
    cpu_seg_set(env, R_CS, (uint16_t)(cpl ? 0x1b : 0x08), 0, 0xffffffff,
                SEG_AR_P | SEG_AR_S | (cpl << SEG_AR_DPL_SHIFT) | 0xbu |
                    SEG_AR_DB | SEG_AR_G);
    env->regs[R_ESP] = PM_ESP;
    cpu_load_eflags(env, 0x2, ~0ull);
    cpu_update_hflags(env);
    tlb_flush(env);
    for (unsigned v = 0; v < 32; v++) {
        pm_idt(m, v, pm_gate(0xe, 0x08, (uint32_t)PM_H_HLT, 0, 0));
    }
}

void pm32_code(TinyMachine *m, const uint8_t *code, size_t len)
{
    static const uint8_t hlt = 0xf4, iret = 0xcf;
    tm_code_clear(m);
    tm_code_put(m, 0, code, len);
    tm_code_put(m, PM_H_HLT - TM_CODE, &hlt, 1);
    tm_code_put(m, PM_H_IRET - TM_CODE, &iret, 1);
}

int pm32_run(TinyMachine *m, const uint8_t *code, size_t len)
{
    if (code) {
        pm32_code(m, code, len);
    }
    m->env->deliver = true;
    return tm_run_until_halt(m, TM_CODE);
}

int pm32_raw(TinyMachine *m, const uint8_t *code, size_t len)
{
    if (code) {
        pm32_code(m, code, len);
    }
    m->env->deliver = false;
    return tm_run_cpu(m->env, TM_CODE);
}
