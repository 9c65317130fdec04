/*
 * The vCPU thread: one x86 CPU (cpu/exec.h) run against the PC board on a
 * thread of its own, while the main-loop thread runs the devices. Device
 * accesses (port I/O, MMIO) take the machine lock; guest code runs
 * without it. The main loop's kick (a timer due, a request pending) makes
 * the vCPU leave guest code; the PIC's INTR line raises CPU_EV_IRQ, taken
 * (acknowledged at the PIC, delivered) at a block boundary when RFLAGS.IF
 * allows it and no STI/MOV SS shadow is on; HLT sleeps in
 * main_loop_vcpu_wait until an interrupt or a request. NMI, INIT and SIPI
 * are taken at block boundaries (cpu_service_events). A triple fault
 * requests a machine reset, as QEMU does, and the vCPU sleeps until the
 * machine's reset handler restarts it (vcpu_reset).
 */
#ifndef XLAT_MACHINE_VCPU_H
#define XLAT_MACHINE_VCPU_H

#include "cpu/cpu_models.h"
#include "machine/boot.h"
#include "machine/main_loop.h"
#include "machine/pc.h"
#include "tcg/tcg.h"

typedef struct Vcpu Vcpu;

Vcpu *vcpu_new(PcMachine *pc, MainLoop *ml, TcgBackendKind backend);
/* the -cpu model (before the boot state and the first run) */
void vcpu_set_model(Vcpu *v, const CpuX86Model *m);
/* the CPU state a direct-boot loader leaves (registers, segments, CRs) */
void vcpu_apply_boot(Vcpu *v, const BootInfo *bi);
void vcpu_start(Vcpu *v);
/* raise pending events (CPU_EV_NMI, ...) and kick it; any thread */
void vcpu_raise(Vcpu *v, uint32_t events);
/*
 * Machine reset (a reset handler, under the machine lock): the vCPU takes
 * its RESET state at its next block boundary, then bi's state when bi is
 * not NULL (direct boot: the loader has placed the images again).
 */
void vcpu_reset(Vcpu *v, const BootInfo *bi);
/* make it leave and join the thread (after the main loop ended) */
void vcpu_stop(Vcpu *v);
void vcpu_free(Vcpu *v);

#endif
