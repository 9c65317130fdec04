/*
 * x86-64 front end: MUL, IMUL (all forms), DIV and IDIV with #DE.
 * Not translated yet: every instruction here raises #UD through tr_unimp.
 */
#include "cpu/translate_int.h"

bool tr_muldiv(Dc *dc)
{
    (void)dc;
    return false;
}
