/*
 * CPU models as feature masks (cpu_features.h) and the translator's CPUID
 * gate. tr_feature_gate() runs before every instruction is translated: an
 * instruction whose decoder info names a feature the model lacks raises
 * #UD, except the two encodings that fall back to older instructions
 * (SDM vol. 2 LZCNT, TZCNT: F3 0F BD / F3 0F BC run as BSR / BSF on a CPU
 * without LZCNT / BMI1). LAHF/SAHF need CPUID.80000001H:ECX.LAHF-SAHF in
 * 64-bit mode only. Features the translator does not implement at all are
 * left to the family translators, which log them as unimplemented.
 */
#include "cpu/cpu_features.h"

#include <string.h>

#include "cpu/translate_int.h"

int cpu_features_from_name(const char *name, uint64_t *out)
{
    CpuX86Model m;
    if (cpu_model_find(name, &m) < 0) {
        return -1;
    }
    *out = cpu_model_features(&m);
    return 0;
}

/* the feature an instruction needs in this mode, XFEAT_BASE if none */
static X86Feature tr_feature_of(const Dc *dc)
{
    const DecodedInsn *d = dc->d;
    if ((d->id == XI_LAHF || d->id == XI_SAHF) && (dc->env->hflags & HF_CS64)) {
        return XFEAT_LAHF64;
    }
    return (X86Feature)d->feature;
}

/*
 * true: the instruction was dealt with (#UD raised); false: translate it.
 * LZCNT/TZCNT without their feature are rewritten to BSR/BSF in place (the
 * DecodedInsn is the block loop's own, writable copy).
 */
bool tr_feature_gate(Dc *dc)
{
    X86Feature f = tr_feature_of(dc);
    if (f == XFEAT_BASE || !(CPU_FEATURES_MAX & (1ull << f)) ||
        cpu_has_feature(dc->env, f)) {
        return false;
    }
    DecodedInsn *d = (DecodedInsn *)dc->d;
    if (d->id == XI_LZCNT || d->id == XI_TZCNT) {
        d->id = d->id == XI_LZCNT ? XI_BSR : XI_BSF;
        d->feature = XFEAT_BASE;
        return false;
    }
    tr_exception(dc, 6);
    return true;
}
