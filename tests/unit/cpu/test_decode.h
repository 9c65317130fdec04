/* helpers shared by the decoder tests: hex strings -> bytes -> DecodedInsn */
#ifndef XLAT_TESTS_CPU_TEST_DECODE_H
#define XLAT_TESTS_CPU_TEST_DECODE_H

#include "cpu/decode.h"

size_t thex(uint8_t *b, const char *hex);
int tdec(DecodedInsn *d, X86Mode mode, const char *hex);

#endif
