/*
 * The host CPU as the difftest's reference model (hostcpu.h): its feature
 * set from CPUID and the vendor quirk table.
 */
#include "hostcpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpu/cpu_features.h"
#include "native.h"
#include "util/common.h"

/* where CPUID reports each feature xlat can gate (CPU_FEATURES_MAX) */
typedef enum DtWord { W_L1C, W_L1D, W_L7B, W_E1C, W_E1D } DtWord;
static const struct {
    uint8_t feat;
    uint8_t word;
    uint8_t bit;
} dt_feature_bits[] = {
    {XFEAT_CMOV, W_L1D, 15},  {XFEAT_CX8, W_L1D, 8},
    {XFEAT_TSC, W_L1D, 4},    {XFEAT_CX16, W_L1C, 13},
    {XFEAT_LAHF64, W_E1C, 0}, {XFEAT_POPCNT, W_L1C, 23},
    {XFEAT_LZCNT, W_E1C, 5},  {XFEAT_MOVBE, W_L1C, 22},
    {XFEAT_BMI1, W_L7B, 3},   {XFEAT_BMI2, W_L7B, 8},
    {XFEAT_ADX, W_L7B, 19},   {XFEAT_RDTSCP, W_E1D, 27},
    {XFEAT_SSE42, W_L1C, 20}, {XFEAT_X87, W_L1D, 0},
    {XFEAT_FXSR, W_L1D, 24},  {XFEAT_SSE, W_L1D, 25},
    {XFEAT_SSE2, W_L1D, 26},  {XFEAT_XSAVE, W_L1C, 26},
};

static uint32_t dt_word(const DtHost *h, unsigned w)
{
    const uint32_t words[] = {h->l1_ecx, h->l1_edx, h->l7_ebx, h->e1_ecx,
                              h->e1_edx};
    return words[w];
}

/* the features named in XLAT_DIFFTEST_HIDE */
static uint64_t dt_hidden(void)
{
    const char *env = getenv("XLAT_DIFFTEST_HIDE");
    uint64_t mask = 0;
    while (env && *env) {
        size_t n = strcspn(env, ",");
        for (unsigned f = 0; f < XFEAT__COUNT; f++) {
            const char *name = x86_feature_name(f);
            if (strlen(name) == n && !strncasecmp(name, env, n)) {
                mask |= 1ull << f;
            }
        }
        env += n + (env[n] == ',');
    }
    return mask;
}

uint64_t dt_host_features(void)
{
    const DtHost *h = dt_host();
    uint64_t mask = CPU_FEAT(BASE);
    for (size_t i = 0; i < ARRAY_LEN(dt_feature_bits); i++) {
        if ((dt_word(h, dt_feature_bits[i].word) >> dt_feature_bits[i].bit) &
            1) {
            mask |= 1ull << dt_feature_bits[i].feat;
        }
    }
    return mask & CPU_FEATURES_MAX & ~dt_hidden();
}

const char *dt_host_missing(uint64_t need)
{
    static char buf[256];
    uint64_t lack = need & ~dt_host_features();
    size_t used = 0;
    buf[0] = 0;
    for (unsigned f = 0; f < XFEAT__COUNT && used < sizeof(buf); f++) {
        if ((lack >> f) & 1) {
            used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s",
                                     used ? ", " : "", x86_feature_name(f));
        }
    }
    return lack ? buf : NULL;
}

bool dt_host_runs(const DecodedInsn *d)
{
    uint64_t bit = 1ull << d->feature;
    /* features outside what xlat gates are not the difftest's business */
    return !(bit & CPU_FEATURES_MAX) || (bit & dt_host_features());
}

/* ---- vendor quirks ---- */

/*
 * A near branch with 66h (and no REX.W) in 64-bit mode: Intel ignores the
 * prefix (64-bit operand size; CALL/JMP/Jcc rel16 are "N.S." in 64-bit mode,
 * SDM vol. 2), AMD uses a 16-bit operand size: the displacement is rel16
 * and the target is truncated to 16 bits (APM vol. 3). Near RET is left out:
 * the SDM does not say Intel ignores 66h there.
 */
static bool dt_quirk_branch66(const DecodedInsn *d, X86Mode mode)
{
    X86Branch k = XA_BR_OF(x86_insn_info(d->id)->attr);
    bool branch = k == XBR_JCC || k == XBR_JMP || k == XBR_JMP_IND ||
                  k == XBR_CALL || k == XBR_CALL_IND;
    return mode == X86_MODE64 && branch && (d->pfx & XP_OPSZ) && !(d->rex & 8);
}

/*
 * CMPS with both operands on unmapped pages: which #PF is reported. Seen
 * on AMD family 25 (Zen 4), 64-bit and compatibility mode alike: REPE CMPSB
 * faults at rSI's operand, CMPSB without REP at rDI's; on AMD family 26
 * (Zen 5) both forms fault at rSI's. xlat reports rDI's, the order the
 * Intel hosts of the milestone-1 difftest runs agreed with (they never
 * showed this difference).
 */
static bool dt_quirk_cmps(const DecodedInsn *d, X86Mode mode)
{
    (void)mode;
    return d->id == XI_CMPS;
}

const DtQuirk dt_quirks[] = {
    {"near-branch-66h",
     "64-bit mode near JMP/CALL/Jcc/LOOP with 66h: Intel ignores the prefix, "
     "AMD takes a 16-bit operand (rel16, IP truncated to 16 bits)",
     dt_quirk_branch66, 0, true},
    {"cmps-fault-order",
     "CMPS with both operands faulting: xlat and Intel report the #PF of "
     "ES:rDI, AMD that of DS:rSI (Zen 4 for REP CMPS only, Zen 5 for every "
     "CMPS)",
     dt_quirk_cmps, DT_UNDEF_PF_WHICH, false},
};
const unsigned dt_nquirks = ARRAY_LEN(dt_quirks);

static bool dt_vendor_forced(void)
{
    const char *env = getenv("XLAT_DIFFTEST_VENDOR_MASK");
    return env && !strcmp(env, "1");
}

bool dt_vendor_masked(void)
{
    return dt_vendor_forced() || !dt_host()->intel;
}

void dt_vendor_print(FILE *f)
{
    if (!dt_vendor_masked()) {
        fprintf(f, "difftest: vendor quirks compared exactly (Intel host)\n");
        return;
    }
    fprintf(f, "difftest: vendor quirks masked (%s):",
            dt_vendor_forced() ? "XLAT_DIFFTEST_VENDOR_MASK=1"
                               : "the host is not GenuineIntel");
    for (unsigned i = 0; i < dt_nquirks; i++) {
        fprintf(f, " %s", dt_quirks[i].name);
    }
    fputc('\n', f);
}

const DtQuirk *dt_quirk_scan(const uint8_t *code, size_t len, X86Mode mode,
                             uint32_t *flags)
{
    const DtQuirk *whole = NULL;
    size_t pos = 0;
    while (pos < len) {
        DecodedInsn d;
        if (x86_decode(&d, code + pos, len - pos, mode) != X86_DEC_OK) {
            pos++;
            continue;
        }
        for (unsigned i = 0; i < dt_nquirks; i++) {
            if (dt_quirks[i].applies(&d, mode)) {
                *flags |= dt_quirks[i].flags;
                whole = whole                ? whole
                        : dt_quirks[i].whole ? &dt_quirks[i]
                                             : NULL;
            }
        }
        pos += d.len;
    }
    return whole;
}
