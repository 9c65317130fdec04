/*
 * System Management Mode: SMI entry, the state save map and RSM (SDM vol.
 * 3C ch. 34; the map in AMD's 64-bit format, APM vol. 2 10.2). SMRAM is
 * seen through env->smm_as while HF_SMM is set (cpu_mem_as); the chipset
 * decides what that space shows (the i440FX's SMRAM control comes with
 * the platform).
 */
#ifndef XLAT_CPU_SMM_H
#define XLAT_CPU_SMM_H

#include "cpu/cpu.h"

#define SMM_DEFAULT_SMBASE 0x30000u
#define SMM_ENTRY_OFFSET 0x8000u /* the handler: CS.base = SMBASE */
#define SMM_SAVE_OFFSET 0xfe00u  /* the save map: SMBASE + 0xfe00..0xffff */
#define SMM_SAVE_SIZE 0x200u
/* the AMD64 format (0x64) with SMBASE relocation (bit 17), as SeaBIOS
 * checks it under its mask 0x2ffff */
#define SMM_REVISION_ID 0x00020064u

/* save-map fields, as offsets from SMBASE (APM vol. 2 table 10-2) */
enum {
    SMM_SEG = 0xfe00, /* ES CS SS DS FS GS, 16 bytes each: */
    /* +0 selector (16), +2 attributes (16), +4 limit (32), +8 base (64) */
    SMM_GDTR = 0xfe60, /* limit at +4, base at +8 */
    SMM_LDTR = 0xfe70, /* as a segment */
    SMM_IDTR = 0xfe80, /* limit at +4, base at +8 */
    SMM_TR = 0xfe90,   /* as a segment */
    SMM_IO_RESTART = 0xfec8,
    SMM_HALT_RESTART = 0xfec9, /* bit 0: entered from HLT, return to it */
    SMM_EFER = 0xfed0,
    SMM_REVISION = 0xfefc,
    SMM_SMBASE = 0xff00,
    SMM_CR4 = 0xff48,
    SMM_CR3 = 0xff50,
    SMM_CR0 = 0xff58,
    SMM_DR7 = 0xff60,
    SMM_DR6 = 0xff68,
    SMM_RFLAGS = 0xff70,
    SMM_RIP = 0xff78,
    SMM_GPR = 0xff80, /* R15 first, down to RAX at 0xfff8 */
};

/*
 * Raise an SMI (any thread): taken at the next block boundary, also from
 * HLT/MWAIT; a caller on another thread kicks a sleeping vCPU's thread
 * (main_loop_vcpu_kick), as for an IRQ.
 */
void cpu_smi(CpuX86 *env);

/*
 * Enter SMM now (cpu_exec, at a block boundary, the vCPU's thread): the
 * state to the save map, then the entry state. Also on a halted CPU.
 */
void smm_enter(CpuX86 *env);

/* SMM state at reset: SMBASE 0x30000, outside SMM, NMIs not blocked */
void smm_reset(CpuX86 *env);

#endif
