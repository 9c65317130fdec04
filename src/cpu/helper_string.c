/*
 * The bulk part of REP MOVS / REP STOS (translate_string.c calls it before
 * the unrolled chunk): as many whole iterations as lie in one page of the
 * destination (and of the source for MOVS), on plain RAM only, then RSI,
 * RDI and RCX advanced exactly as that many iterations would. Anything it
 * leaves (page crossings, MMIO, code pages, overlapping MOVS, faults past
 * the first element) the chunk does precisely.
 *
 * tlb_probe fills the TLB and may raise #PF (or the canonical #GP): it is
 * called only for the first element of each side, source before
 * destination, and the destination only once the first source element is
 * known to fit in its page, which is the order and the address of the
 * first faulting access of the first iteration on hardware. Non-canonical
 * addresses are left to the chunk (so an SS override still gets #SS).
 */
#include <string.h>

#include "cpu/translate_int.h"
#include "mmu/tlb.h"

/* canonical for 48-bit linear addresses (anything else: no bulk) */
static bool rs_canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/*
 * Whole elements of sz bytes at offset off (linear lin), walking by df,
 * that lie in lin's page and do not wrap the offset at mask.
 */
static uint64_t rs_fit(uint64_t off, uint64_t lin, uint64_t mask, unsigned sz,
                       int df)
{
    uint64_t po = lin & (TCG_PAGE_SIZE - 1);
    if (po + sz > TCG_PAGE_SIZE) {
        return 0;
    }
    if (df > 0) {
        uint64_t k = (TCG_PAGE_SIZE - po) / sz;
        if (mask != UINT64_MAX) {
            if (off + sz - 1 > mask) {
                return 0;
            }
            uint64_t ko = (mask - off + 1) / sz;
            k = ko < k ? ko : k;
        }
        return k;
    }
    uint64_t k = po / sz + 1;
    uint64_t ko = off / sz + 1;
    if (off + sz - 1 > mask) {
        return 0;
    }
    return ko < k ? ko : k;
}

static void rs_set(CpuX86 *env, unsigned reg, unsigned as, uint64_t v)
{
    if (as == 8) {
        env->regs[reg] = v;
    } else if (as == 4) {
        env->regs[reg] = (uint32_t)v;
    } else {
        env->regs[reg] = (env->regs[reg] & ~0xffffull) | (v & 0xffff);
    }
}

void helper_rep_fast(CpuX86 *env, uint32_t info, uint64_t slin, uint64_t dlin)
{
    uintptr_t ra = TCG_GETPC();
    unsigned sz = 1u << (info & 3);
    unsigned as = 1u << ((info >> 2) & 3);
    bool movs = info & RS_MOVS;
    bool mode64 = info & RS_MODE64;
    unsigned mmu = info >> RS_MMU_SHIFT;
    uint64_t mask = as == 8 ? UINT64_MAX : (1ull << (8 * as)) - 1;
    int df = env->df;
    uint64_t n = env->regs[R_ECX] & mask;
    if (n == 0) {
        return;
    }
    uint64_t si = env->regs[R_ESI] & mask, di = env->regs[R_EDI] & mask;
    uint8_t *hs = NULL, *hd;
    uint64_t k = n;
    if (movs) {
        uint64_t ks = rs_fit(si, slin, mask, sz, df);
        if (ks == 0 || (mode64 && !rs_canonical(slin))) {
            return;
        }
        hs = tlb_probe(env, slin, WALK_READ, mmu, ra);
        if (!hs) {
            return;
        }
        k = ks < k ? ks : k;
    }
    uint64_t kd = rs_fit(di, dlin, mask, sz, df);
    if (kd == 0 || (mode64 && !rs_canonical(dlin))) {
        return;
    }
    hd = tlb_probe(env, dlin, WALK_WRITE, mmu, ra);
    if (!hd) {
        return;
    }
    k = kd < k ? kd : k;
    uint64_t bytes = k * sz;
    /* the lowest byte of each range */
    uint8_t *d0 = df > 0 ? hd : hd - (bytes - sz);
    if (movs) {
        uint8_t *s0 = df > 0 ? hs : hs - (bytes - sz);
        if (s0 < d0 + bytes && d0 < s0 + bytes) {
            return; /* overlapping: the chunk copies element by element */
        }
        memcpy(d0, s0, bytes);
        rs_set(env, R_ESI, as, si + (uint64_t)(int64_t)df * bytes);
    } else if (sz == 1) {
        memset(d0, (int)(env->regs[R_EAX] & 0xff), bytes);
    } else {
        uint64_t v = env->regs[R_EAX];
        for (uint64_t i = 0; i < bytes; i += sz) {
            memcpy(d0 + i, &v, sz);
        }
    }
    rs_set(env, R_EDI, as, di + (uint64_t)(int64_t)df * bytes);
    rs_set(env, R_ECX, as, n - k);
}
