/*
 * x86-64 front end: bit tests and scans, counts, byte swaps, BMI1/BMI2, ADCX/ADOX, CRC32.
 * Not translated yet: every instruction here raises #UD through tr_unimp.
 */
#include "cpu/translate_int.h"

bool tr_bits(Dc *dc)
{
    (void)dc;
    return false;
}
