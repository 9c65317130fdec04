/*
 * x86-64 front end: XADD, CMPXCHG/8B/16B, LAHF/SAHF, ENTER/LEAVE, XLAT, CPUID, RDTSC/RDTSCP.
 * Not translated yet: every instruction here raises #UD through tr_unimp.
 */
#include "cpu/translate_int.h"

bool tr_sys(Dc *dc)
{
    (void)dc;
    return false;
}
