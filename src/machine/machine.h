/*
 * The entry from main() into the emulated machine.
 *
 * machine_main() builds the machine that cfg describes, runs it until the
 * guest powers off or exits (isa-debug-exit), and returns the process exit
 * status. Host errors are printed here as one "xlat: ..." line and give 1.
 */
#ifndef XLAT_MACHINE_MACHINE_H
#define XLAT_MACHINE_MACHINE_H

#include "machine/config.h"

int machine_main(const MachineConfig *cfg);

#endif
