/*
 * The FPU/SIMD tests' shared fixture: the tiny machine (64-bit, CPL 0 or
 * 3) with CR4.OSFXSR, OSXMMEXCPT and OSXSAVE on, and RUN(bytes...) to run
 * a snippet there up to its first exception (3 at the int3 terminator).
 * RBX points at TM_DATA, 64-byte aligned, for the memory operands.
 * Statics: include it from test files only.
 */
#ifndef XLAT_TESTS_FPU_FIXTURE_H
#define XLAT_TESTS_FPU_FIXTURE_H

#include <criterion/criterion.h>
#include <string.h>

#include "cpu/cpu_features.h"
#include "tiny_machine.h"

#define CR4_OSXMMEXCPT BIT(10)

static TinyMachine m;

static inline void fx_setup(size_t b, unsigned cpl)
{
    tm_new(&m, tm_backends[b], cpl, 0);
    m.env->cr[4] |= CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
    cpu_update_hflags(m.env);
    m.env->regs[R_EBX] = TM_DATA;
}

/* set bits in CR0/CR4 (or clear them) and recompute hflags */
static inline void fx_cr(unsigned n, uint64_t set, uint64_t clear)
{
    m.env->cr[n] = (m.env->cr[n] | set) & ~clear;
    cpu_update_hflags(m.env);
}

#define RUN(...)                                                               \
    ({                                                                         \
        static const uint8_t c_[] = {__VA_ARGS__};                             \
        tm_run(&m, c_, sizeof(c_));                                            \
    })

static inline uint8_t *fx_data(uint64_t off)
{
    return m.mem + TM_DATA + off;
}

static inline uint64_t fx_ld64(uint64_t off)
{
    uint64_t v;
    memcpy(&v, fx_data(off), 8);
    return v;
}

static inline void fx_st64(uint64_t off, uint64_t v)
{
    memcpy(fx_data(off), &v, 8);
}

static inline uint32_t fx_ld32(uint64_t off)
{
    uint32_t v;
    memcpy(&v, fx_data(off), 4);
    return v;
}

static inline void fx_st32(uint64_t off, uint32_t v)
{
    memcpy(fx_data(off), &v, 4);
}

static inline void fx_xmm_set(unsigned r, uint64_t lo, uint64_t hi)
{
    m.env->fpu.zmm[r].q[0] = lo;
    m.env->fpu.zmm[r].q[1] = hi;
}

#endif
