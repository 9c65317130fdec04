/*
 * The QEMU-compatible command line: argv -> MachineConfig.
 *
 * Options are written `-opt` or `--opt`, their value as the next argument or
 * `-opt=value`. Every option QEMU users are likely to pass is recognized, so
 * a syntax error is always reported; one that xlat does not implement yet is
 * then refused ("-vga: not supported yet"), never silently ignored.
 * The parser has no side effects besides writing `help`/`-version` output to
 * the given stream, so it is unit-tested directly.
 */
#ifndef XLAT_MACHINE_CMDLINE_H
#define XLAT_MACHINE_CMDLINE_H

#include <stdio.h>

#include "machine/config.h"
#include "util/common.h"

typedef enum CmdlineResult {
    CMDLINE_ERROR = -1, /* *err holds one line naming the option */
    CMDLINE_RUN = 0,    /* *cfg is complete and checked: boot it */
    CMDLINE_EXIT = 1,   /* help or version was printed: exit 0 */
} CmdlineResult;

/*
 * Parse argv[1..argc-1] into *cfg (which this initializes; the caller always
 * calls config_free() afterwards). Help output goes to out. On error *err is
 * an allocated line without the "xlat: " prefix, e.g. "-m 12Q: invalid size".
 */
CmdlineResult cmdline_parse(int argc, char *const argv[], MachineConfig *cfg,
                            FILE *out, char **err) MUST_CHECK;

/* the -help text: every option with its argument and a one-line summary */
void cmdline_print_help(FILE *f);

#endif
