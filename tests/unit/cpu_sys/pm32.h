/*
 * 32-bit protected mode on the tiny machine, paging off, for the gate,
 * task and V86 tests: a GDT (0x08/0x10 code/data DPL 0, 0x18/0x20 code/data
 * DPL 3, 0x28 the current 32-bit TSS, busy, in TR), an IDT whose first 32
 * vectors are interrupt gates to a HLT at PM_H_HLT, SS0:ESP0 = 0x10:PM_ESP0.
 * pm32_run runs with delivery until HLT at CPL 0; pm32_raw without delivery
 * to the first exception (the code page is int3 where nothing was put).
 */
#ifndef XLAT_TESTS_PM32_H
#define XLAT_TESTS_PM32_H

#include "tiny_machine.h"

#define PM_GDT 0x60000ull
#define PM_TSS 0x61000ull
#define PM_IDT 0x62000ull
#define PM_TSS2 0x63000ull
#define PM_ESP0 0x70000ull
#define PM_ESP 0x80000ull
#define PM_H_HLT (TM_CODE + 0x800)
#define PM_H_IRET (TM_CODE + 0x810)

/* a code/data descriptor: base, byte limit (< 1 MiB), access byte */
uint64_t pm_seg(uint32_t base, uint32_t limit, unsigned access, bool d32);
/* a gate: type (4/0xc call, 5 task, 0xe/0xf interrupt/trap), DPL */
uint64_t pm_gate(unsigned type, uint16_t sel, uint32_t off, unsigned dpl,
                 unsigned params);
void pm_gdt(TinyMachine *m, unsigned sel, uint64_t desc);
void pm_idt(TinyMachine *m, unsigned v, uint64_t gate);

void pm32_setup(TinyMachine *m, size_t backend, unsigned cpl);
void pm32_code(TinyMachine *m, const uint8_t *code, size_t len);
int pm32_run(TinyMachine *m, const uint8_t *code, size_t len);
int pm32_raw(TinyMachine *m, const uint8_t *code, size_t len);

uint32_t pm_ld32(TinyMachine *m, uint64_t a);
uint16_t pm_ld16(TinyMachine *m, uint64_t a);
void pm_st32(TinyMachine *m, uint64_t a, uint32_t v);
void pm_st16(TinyMachine *m, uint64_t a, uint16_t v);
/* the i-th dword at ESP */
uint32_t pm_stack(TinyMachine *m, unsigned i);

#endif
