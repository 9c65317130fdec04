/*
 * x86-64 front end: SHL/SHR/SAR/ROL/ROR/RCL/RCR and SHLD/SHRD.
 * Not translated yet: every instruction here raises #UD through tr_unimp.
 */
#include "cpu/translate_int.h"

bool tr_shift(Dc *dc)
{
    (void)dc;
    return false;
}
