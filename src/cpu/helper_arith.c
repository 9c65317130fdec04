/*
 * Helpers for the arithmetic families that have no IR op: DIV/IDIV (which
 * raise #DE precisely, before any register changes), RCL/RCR and SHLD/SHRD
 * (result and full flags in one C routine), BEXTR/BZHI, PDEP/PEXT and the
 * CRC32 instruction (CRC-32C, reflected polynomial 0x82f63b78). Semantics
 * from the SDM vol. 2 pages of each instruction.
 */
#include "cpu/helper_arith.h"

#include "cpu/cc.h"

static uint64_t ha_mask(unsigned bits)
{
    return bits >= 64 ? ~0ull : (1ull << bits) - 1;
}

static NORETURN void ha_raise_de(CpuX86 *env, uintptr_t ra)
{
    env->exception_index = 0;
    env->error_code = 0;
    env->has_error_code = false;
    tcg_exit_to_dispatcher(ra);
}

/* unsigned RDX:RAX / d; false on #DE */
static bool ha_divu(CpuX86 *env, uint64_t d, unsigned lg)
{
    unsigned bits = 8u << lg;
    uint64_t m = ha_mask(bits);
    uint64_t rax = env->regs[R_EAX], rdx = env->regs[R_EDX];
    if (d == 0) {
        return false;
    }
    if (lg == 0) {
        uint64_t n = rax & 0xffff;
        if (n / d > 0xff) {
            return false;
        }
        env->regs[R_EAX] = (rax & ~0xffffull) | (n / d) | (n % d) << 8;
        return true;
    }
    unsigned __int128 n = (unsigned __int128)(rdx & m) << bits | (rax & m);
    unsigned __int128 q = n / d;
    if (q > m) {
        return false;
    }
    uint64_t r = (uint64_t)(n % d);
    if (lg == 1) {
        env->regs[R_EAX] = (rax & ~0xffffull) | (uint64_t)q;
        env->regs[R_EDX] = (rdx & ~0xffffull) | r;
    } else {
        env->regs[R_EAX] = (uint64_t)q;
        env->regs[R_EDX] = r;
    }
    return true;
}

static __int128 ha_sext(uint64_t v, unsigned bits)
{
    return bits >= 64 ? (__int128)(int64_t)v
                      : (__int128)((int64_t)(v << (64 - bits)) >> (64 - bits));
}

/* signed RDX:RAX / d; false on #DE (also for INT_MIN / -1) */
static bool ha_divs(CpuX86 *env, uint64_t d, unsigned lg)
{
    unsigned bits = 8u << lg;
    uint64_t m = ha_mask(bits);
    uint64_t rax = env->regs[R_EAX], rdx = env->regs[R_EDX];
    __int128 dv = ha_sext(d & m, bits);
    if (dv == 0) {
        return false;
    }
    __int128 n;
    if (lg == 0) {
        n = ha_sext(rax & 0xffff, 16);
    } else {
        unsigned __int128 u = (unsigned __int128)(rdx & m) << bits | (rax & m);
        unsigned sh = 128 - 2 * bits;
        n = (__int128)(u << sh) >> sh; /* sign-extend the 2 * bits value */
    }
    if (n == (__int128)((unsigned __int128)1 << 127) && dv == -1) {
        return false;
    }
    __int128 q = n / dv, r = n % dv;
    __int128 lim = (__int128)1 << (bits - 1);
    if (q >= lim || q < -lim) {
        return false;
    }
    uint64_t qu = (uint64_t)q & m, ru = (uint64_t)r & m;
    if (lg == 0) {
        env->regs[R_EAX] = (rax & ~0xffffull) | qu | ru << 8;
    } else if (lg == 1) {
        env->regs[R_EAX] = (rax & ~0xffffull) | qu;
        env->regs[R_EDX] = (rdx & ~0xffffull) | ru;
    } else {
        env->regs[R_EAX] = qu;
        env->regs[R_EDX] = ru;
    }
    return true;
}

/* how: size log2 | 4 for IDIV */
void helper_div(CpuX86 *env, uint64_t divisor, uint32_t how)
{
    unsigned lg = how & 3;
    bool ok = how & 4 ? ha_divs(env, divisor, lg) : ha_divu(env, divisor, lg);
    if (!ok) {
        ha_raise_de(env, TCG_GETPC());
    }
}

static uint32_t ha_bit(bool b, uint32_t f)
{
    return b ? f : 0;
}

/*
 * RCL/RCR: how = size log2 | 4 for RCR. Count masked to 5/6 bits, then
 * modulo size + 1 for 8/16 bits. Result; *fl gets the new flags image
 * (old flags when the masked count is 0; OF as for count 1 otherwise).
 */
uint64_t ha_rcx(uint64_t v, uint64_t count, uint64_t flags, uint32_t how,
                uint64_t *fl)
{
    unsigned bits = 8u << (how & 3);
    uint64_t m = ha_mask(bits), top = 1ull << (bits - 1);
    unsigned c = (unsigned)(count & (bits == 64 ? 63 : 31));
    *fl = flags;
    if (c == 0) {
        return v & m;
    }
    if (bits < 32) {
        c %= bits + 1;
    }
    uint64_t cf = flags & CC_C ? 1 : 0, r = v & m;
    for (unsigned i = 0; i < c; i++) {
        uint64_t out;
        if (how & 4) {
            out = r & 1;
            r = (r >> 1) | (cf ? top : 0);
        } else {
            out = (r & top) ? 1 : 0;
            r = ((r << 1) | cf) & m;
        }
        cf = out;
    }
    bool of = how & 4 ? ((r ^ (r << 1)) & top) != 0 : (((r & top) != 0) != cf);
    *fl = (flags & ~(uint64_t)(CC_C | CC_O)) | ha_bit(cf, CC_C) |
          ha_bit(of, CC_O);
    return r;
}

uint64_t helper_rcx(uint64_t v, uint64_t count, uint64_t flags, uint32_t how)
{
    uint64_t fl;
    return ha_rcx(v, count, flags, how, &fl);
}

uint64_t helper_rcx_flags(uint64_t v, uint64_t count, uint64_t flags,
                          uint32_t how)
{
    uint64_t fl;
    ha_rcx(v, count, flags, how, &fl);
    return fl;
}

static uint32_t ha_szp(uint64_t r, unsigned bits)
{
    uint32_t f = ha_bit(r == 0, CC_Z) | ha_bit((r >> (bits - 1)) & 1, CC_S);
    return f | ha_bit(!(__builtin_popcountll(r & 0xff) & 1), CC_P);
}

/*
 * SHLD/SHRD: how = size log2 | 4 for SHRD. Count masked to 5/6 bits (16-
 * bit counts above 16 are undefined: computed as a 32-bit double shift).
 */
uint64_t ha_shd(uint64_t d, uint64_t s, uint64_t count, uint64_t flags,
                uint32_t how, uint64_t *fl)
{
    unsigned bits = 8u << (how & 3);
    uint64_t m = ha_mask(bits);
    unsigned c = (unsigned)(count & (bits == 64 ? 63 : 31));
    d &= m;
    s &= m;
    *fl = flags;
    if (c == 0) {
        return d;
    }
    unsigned __int128 x;
    uint64_t r;
    bool cf;
    if (how & 4) {
        x = (unsigned __int128)s << bits | d;
        if (bits == 16) {
            x |= (unsigned __int128)d << 32;
        }
        r = (uint64_t)(x >> c) & m;
        cf = (x >> (c - 1)) & 1;
    } else {
        x = (unsigned __int128)d << bits | s;
        if (bits == 16) {
            x = x << 16 | d;
        }
        unsigned w = bits == 16 ? 48 : 2 * bits;
        r = (uint64_t)(x >> (w - bits - c)) & m;
        cf = (x >> (w - c)) & 1;
    }
    bool of = ((r ^ d) >> (bits - 1)) & 1;
    *fl = (flags & ~(uint64_t)CC_ALL) | ha_szp(r, bits) | ha_bit(cf, CC_C) |
          ha_bit(of, CC_O);
    return r;
}

uint64_t helper_shd(uint64_t d, uint64_t s, uint64_t count, uint64_t flags,
                    uint32_t how)
{
    uint64_t fl;
    return ha_shd(d, s, count, flags, how, &fl);
}

uint64_t helper_shd_flags(uint64_t d, uint64_t s, uint64_t count,
                          uint64_t flags, uint32_t how)
{
    uint64_t fl;
    ha_shd(d, s, count, flags, how, &fl);
    return fl;
}

/* BEXTR: start = ctl[7:0], length = ctl[15:8] */
uint64_t helper_bextr(uint64_t v, uint64_t ctl, uint32_t bits)
{
    unsigned start = ctl & 0xff, len = (ctl >> 8) & 0xff;
    if (start >= bits) {
        return 0;
    }
    v = (v & ha_mask(bits)) >> start;
    return len >= 64 ? v : v & ha_mask(len);
}

uint64_t helper_pdep(uint64_t v, uint64_t mask)
{
    uint64_t r = 0;
    for (uint64_t k = 1; mask; k <<= 1) {
        uint64_t low = mask & -mask;
        r |= v & k ? low : 0;
        mask &= mask - 1;
    }
    return r;
}

uint64_t helper_pext(uint64_t v, uint64_t mask)
{
    uint64_t r = 0;
    for (uint64_t k = 1; mask; k <<= 1) {
        uint64_t low = mask & -mask;
        r |= v & low ? k : 0;
        mask &= mask - 1;
    }
    return r;
}

/* CRC32 (SSE4.2): CRC-32C over the low `bytes` bytes of v, LSB first */
uint64_t helper_crc32(uint64_t crc, uint64_t v, uint32_t bytes)
{
    uint32_t c = (uint32_t)crc;
    for (unsigned i = 0; i < bytes * 8; i++) {
        uint32_t b = (c ^ (uint32_t)(v >> i)) & 1;
        c = (c >> 1) ^ (b ? 0x82f63b78u : 0);
    }
    return c;
}
