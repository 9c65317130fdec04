/*
 * machine_main() for now: there is no x86 CPU yet, so no machine can boot.
 * Say so honestly on one line and fail, rather than pretend to run. The lead
 * replaces this with the PC machine (machine/pc.c) once the CPU exists; the
 * guest-test runner (tests/guest/run_guest.py) recognizes this line and
 * reports the guest tests as skipped.
 */
#include "machine/machine.h"

#include "util/log.h"

int machine_main(const MachineConfig *cfg)
{
    (void)cfg;
    log_host_error("cannot boot: the x86 CPU is not implemented yet");
    return 1;
}
