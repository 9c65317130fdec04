/*
 * x86-64 front end: string instructions with REP/REPE/REPNE.
 * Not translated yet: every instruction here raises #UD through tr_unimp.
 */
#include "cpu/translate_int.h"

bool tr_string(Dc *dc)
{
    (void)dc;
    return false;
}
