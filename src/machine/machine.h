/*
 * The entry from main() into the emulated machine.
 *
 * machine_new() turns a checked MachineConfig into a running board: the main
 * loop, the character backends (-chardev, -serial), and the PC machine
 * (machine/pc.c) with its RAM, firmware, devices and fw_cfg contents.
 * machine_main() builds it and runs it. There is no x86 CPU yet, so a plain
 * run stops there with a one-line "cannot boot" error; with -S (QEMU: do not
 * start the CPU) the main loop runs with the CPU stopped, serving the char
 * backends, until Ctrl-A x or SIGINT/SIGTERM/SIGHUP.
 */
#ifndef XLAT_MACHINE_MACHINE_H
#define XLAT_MACHINE_MACHINE_H

#include "machine/config.h"
#include "machine/main_loop.h"
#include "machine/pc.h"

typedef struct Machine Machine;

/*
 * Build the machine cfg describes. NULL with *err (free it) on a host or
 * user error, one line naming the option where there is one: "-serial
 * tcp::4444,server=on: cannot listen on :4444: Address already in use".
 */
Machine *machine_new(const MachineConfig *cfg, char **err);
/* free the board, then the backends (restoring the terminal), then the loop */
void machine_free(Machine *m);

MainLoop *machine_loop(Machine *m);
PcMachine *machine_pc(Machine *m);
/* COM(i+1)'s backend, NULL when the port is absent */
CharBackend *machine_serial(Machine *m, unsigned i);

/*
 * Build, run until the machine shuts down, free; returns the exit status.
 * Errors are printed here as one "xlat: ..." line and give 1.
 */
int machine_main(const MachineConfig *cfg);

#endif
