/*
 * Helpers of the arithmetic instruction families (helper_arith.c):
 * division with #DE, RCL/RCR, SHLD/SHRD, BEXTR, PDEP/PEXT and CRC32.
 * The ha_* forms return the result and the flags image together and are
 * what the tests call; the helper_* wrappers are the IR call targets.
 */
#ifndef XLAT_CPU_HELPER_ARITH_H
#define XLAT_CPU_HELPER_ARITH_H

#include "cpu/translate.h"

void helper_div(CpuX86 *env, uint64_t divisor, uint32_t how);
uint64_t ha_rcx(uint64_t v, uint64_t count, uint64_t flags, uint32_t how,
                uint64_t *fl);
uint64_t helper_rcx(uint64_t v, uint64_t count, uint64_t flags, uint32_t how);
uint64_t helper_rcx_flags(uint64_t v, uint64_t count, uint64_t flags,
                          uint32_t how);
uint64_t ha_shd(uint64_t d, uint64_t s, uint64_t count, uint64_t flags,
                uint32_t how, uint64_t *fl);
uint64_t helper_shd(uint64_t d, uint64_t s, uint64_t count, uint64_t flags,
                    uint32_t how);
uint64_t helper_shd_flags(uint64_t d, uint64_t s, uint64_t count,
                          uint64_t flags, uint32_t how);
uint64_t helper_bextr(uint64_t v, uint64_t ctl, uint32_t bits);
uint64_t helper_pdep(uint64_t v, uint64_t mask);
uint64_t helper_pext(uint64_t v, uint64_t mask);
uint64_t helper_crc32(uint64_t crc, uint64_t v, uint32_t bytes);

#endif
