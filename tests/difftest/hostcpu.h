/*
 * The host CPU as the difftest's reference model: the optional features it
 * has (xlat runs every case with the same feature set, and the random
 * generator leaves out instructions the host lacks, so a host without BMI2
 * or ADX tests everything else), and the vendor quirks, the results where
 * the host's vendor differs from the Intel behaviour xlat follows.
 *
 * Environment (both read at every call, so a test may set them):
 *   XLAT_DIFFTEST_HIDE=BMI2,ADX,...  treat these features as missing on the
 *                                    host (feature names of decode.h)
 *   XLAT_DIFFTEST_VENDOR_MASK=1      mask the vendor quirks on any host, as
 *                                    on a host that is not Intel
 */
#ifndef XLAT_DIFFTEST_HOSTCPU_H
#define XLAT_DIFFTEST_HOSTCPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "cpu/decode.h"

/* the X86Feature mask of the host, within what xlat implements */
uint64_t dt_host_features(void);
/* NULL if the host has every feature of need, else their names */
const char *dt_host_missing(uint64_t need);
/* whether the host runs this decoded instruction (its feature present) */
bool dt_host_runs(const DecodedInsn *d);

/*
 * A vendor quirk: an instruction whose result on another vendor's CPU
 * differs from Intel's, which xlat models. Outside masked mode it is
 * compared exactly; in masked mode the named flags are not compared, and a
 * quirk with `whole` (control flow or registers differ, not only flags)
 * takes the case out of the comparison with the host.
 */
typedef struct DtQuirk {
    const char *name;
    const char *why; /* what Intel does and what the other vendor does */
    bool (*applies)(const DecodedInsn *d, X86Mode mode);
    uint32_t flags; /* XF_* flags whose values differ, DT_UNDEF_PF_WHICH */
    bool whole;
} DtQuirk;

/* the table, for the tests of the table itself */
extern const DtQuirk dt_quirks[];
extern const unsigned dt_nquirks;

/* masked mode: the host is not Intel, or XLAT_DIFFTEST_VENDOR_MASK=1 */
bool dt_vendor_masked(void);
/* one line: masked or not, why, and the quirks' names */
void dt_vendor_print(FILE *f);
/*
 * Scan code (instruction by instruction from its start) for quirks: ORs the
 * flags of each that applies into *flags and returns the first with
 * `whole`, or NULL. Does the scan whatever the mode; callers check
 * dt_vendor_masked() first.
 */
const DtQuirk *dt_quirk_scan(const uint8_t *code, size_t len, X86Mode mode,
                             uint32_t *flags);

#endif
