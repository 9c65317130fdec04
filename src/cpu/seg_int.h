/*
 * Internals shared by the segmentation, delivery, task-switch and V86
 * helpers (helper_seg.c, helper_int.c, helper_task.c, helper_v86.c):
 * descriptor fetches, the privilege-change pieces they have in common,
 * and the entry points of task switches and virtual-8086 mode.
 */
#ifndef XLAT_CPU_SEG_INT_H
#define XLAT_CPU_SEG_INT_H

#include "cpu/translate_int.h"

/* descriptor bits (SDM vol. 3A 3.4.5) */
#define DESC_S BIT(44)    /* code or data (not system) */
#define DESC_CODE BIT(43) /* type bit 3 */
#define DESC_CONF BIT(42) /* code: conforming; data: expand-down */
#define DESC_RW BIT(41)   /* code: readable; data: writable */
#define DESC_A BIT(40)    /* accessed */
#define DESC_P BIT(47)
#define DESC_L BIT(53)
#define DESC_DB BIT(54)
#define DESC_TYPE(d) ((unsigned)((d) >> 40) & 0xf)
#define DESC_DPL(d) ((unsigned)((d) >> 45) & 3)

/* CR4 bits of virtual-8086 mode and protected-mode virtual interrupts */
#define CR4_VME_BIT BIT(0)
#define CR4_PVI_BIT BIT(1)

/* DR6.BT: the debug exception came from a task switch (TSS T bit) */
#define DR6_BT BIT(15)

/* the descriptor of sel (GDT or LDT); false if beyond the table's limit */
bool seg_desc_fetch(CpuX86 *env, uint16_t sel, uint64_t *desc, uint64_t *addr,
                    uintptr_t ra);
/* set the accessed bit of the descriptor at addr (in memory and *desc) */
void seg_desc_set_accessed(CpuX86 *env, uint64_t addr, uint64_t *desc,
                           uintptr_t ra);
/* the inner stack segment nss of level n: #TS(nss|ext), #SS(nss|ext) */
void seg_inner_ss(CpuX86 *env, uint16_t nss, unsigned n, uint32_t ext,
                  uint64_t *ssd, uint64_t *ssaddr, uintptr_t ra);
/* null DS ES FS GS whose DPL is below cpl (a return to an outer level) */
void int_null_inner_segs(CpuX86 *env, unsigned cpl);

/* ---- task switches (helper_task.c); none of them in IA-32e mode ---- */
/* far JMP/CALL to a TSS descriptor or a task gate at desc (GDT/LDT addr);
 * next: the EIP the old task resumes at */
void task_far(CpuX86 *env, uint16_t sel, uint64_t desc, uint64_t addr,
              bool call, uint64_t next, uintptr_t ra);
/* delivery through the task gate g of the IDT (during cpu_deliver) */
void task_int(CpuX86 *env, uint64_t g, uint32_t ext, bool has_err,
              uint32_t err);
/* IRET with NT = 1: back to the task in the TSS's link field */
void task_iret(CpuX86 *env, uint64_t next, uintptr_t ra);

/* ---- virtual-8086 mode (helper_v86.c) ---- */
/* IRET at CPL 0 with VM set in the popped EFLAGS (w: EIP CS EFLAGS) */
void v86_iret_enter(CpuX86 *env, const uint64_t *w, uintptr_t ra);
/* IRET in V86 mode (IOPL 3, or CR4.VME with a 16-bit operand) */
void v86_iret(CpuX86 *env, uint32_t size, uintptr_t ra);
/*
 * For the translator, where IOPL would make the instruction #GP(0): CLI
 * and STI on VIF (V86 with VME, CPL 3 with PVI), the 16-bit PUSHF (returns
 * the image) and POPF (the image; returns 1) with VME; INT n in V86 mode
 * at any IOPL (n, next: the redirection bitmap). #GP(0) where CR4 says no.
 */
extern const IrHelper v86_h_cli, v86_h_sti, v86_h_pushf, v86_h_popf, v86_h_int;

#endif
