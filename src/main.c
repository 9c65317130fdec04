/*
 * xlat's entry point: parse the QEMU-compatible command line into a
 * MachineConfig (machine/cmdline.c), apply the logging options, and hand
 * over to machine_main(). Every user error is one "xlat: ..." line on stderr
 * and exit status 1; help and -version exit 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/cmdline.h"
#include "machine/machine.h"
#include "util/log.h"

static int main_apply_logging(const MachineConfig *cfg)
{
    if (cfg->log_file && log_set_file(cfg->log_file) < 0) {
        log_host_error("-D %s: %s", cfg->log_file, strerror(errno));
        return -1;
    }
    log_set_mask(cfg->log_mask);
    return 0;
}

int main(int argc, char **argv)
{
    MachineConfig cfg;
    char *err = NULL;
    int status;

    switch (cmdline_parse(argc, argv, &cfg, stdout, &err)) {
    case CMDLINE_EXIT:
        status = 0;
        break;
    case CMDLINE_ERROR:
        log_host_error("%s", err);
        free(err);
        status = 1;
        break;
    case CMDLINE_RUN:
    default:
        for (const char *l = cfg.cpu_warnings; l && *l; /* -cpu's lines */
             l = strchr(l, '\n') + 1) {
            fprintf(stderr, "xlat: %.*s\n", (int)(strchr(l, '\n') - l), l);
        }
        status = main_apply_logging(&cfg) < 0 ? 1 : machine_main(&cfg);
        break;
    }
    config_free(&cfg);
    fflush(stdout);
    return status;
}
