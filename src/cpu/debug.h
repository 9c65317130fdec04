/*
 * The debug registers (SDM vol. 3B 18.2-18.3): DR0-3 breakpoint addresses,
 * DR6 status, DR7 control, and the #DB conditions they raise. Execute
 * breakpoints are decided at translation time (HF_IBP blocks check DR0-3,
 * a change flushes the TBs), data breakpoints through the TLB's watch tag,
 * I/O breakpoints in the port helpers. The run loop and the other system
 * helpers call the functions below; the translator side is in
 * translate_debug.c.
 */
#ifndef XLAT_CPU_DEBUG_H
#define XLAT_CPU_DEBUG_H

#include "cpu/cpu.h"

/* DR6 (SDM 18.2.3): B0-3, BD, BS, BT; the rest reads as 1 (12 as 0) */
#define DR6_B_MASK 0xfull
#define DR6_BD BIT(13)
#define DR6_BS BIT(14)
#define DR6_BT BIT(15)
#define DR6_FIXED1 0xffff0ff0ull
#define DR6_WRITABLE (DR6_B_MASK | DR6_BD | DR6_BS | DR6_BT)
/* DR7 (SDM 18.2.4): L/G 0-3, LE, GE, GD, R/W and LEN; bit 10 reads as 1 */
#define DR7_GD BIT(13)
#define DR7_FIXED1 0x400ull
#define DR7_WRITABLE 0xffff23ffull
#define DR6_RESET DR6_FIXED1
#define DR7_RESET DR7_FIXED1

/* RESET/INIT: no breakpoint, no watchpoint, nothing pending */
void cpu_debug_reset(CpuX86 *env);

/*
 * The run loop, for an exception about to be delivered (or returned): a
 * pending replay is dropped, and a fault-class exception (with `deliver`
 * on) gets RF set so that the image pushed holds RF = 1 (SDM 18.3.1.1);
 * a TB flush MOV DR asked for is done.
 */
void cpu_debug_exception(CpuX86 *env);
/* an external event is delivered: a pending replay is dropped */
void cpu_debug_event(CpuX86 *env);
/* the run loop, between blocks: flush the TBs if execute breakpoints
 * changed (MOV DR leaves generated code for it) */
void cpu_debug_sync(CpuX86 *env);

/*
 * An I/O access to [port, port + size) by IN/OUT/INS/OUTS, after its
 * permission checks and before the access: I/O breakpoints (R/W = 10,
 * CR4.DE) that cover it raise #DB as a trap after the instruction.
 * retaddr: TCG_GETPC() of the helper.
 */
void cpu_debug_io(CpuX86 *env, uint32_t port, unsigned size, uintptr_t retaddr);

/*
 * For the task switch: the new TSS's T flag is set. Sets DR6.BT and raises
 * #DB as a trap (RIP already at the new task's first instruction).
 */
NORETURN void cpu_debug_task_trap(CpuX86 *env);

#endif
