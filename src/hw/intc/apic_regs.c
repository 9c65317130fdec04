/*
 * The local APIC register file (SDM 10.4.1, table 10-1 and 10.12.1.2,
 * table 10-6): one read and one write routine by xAPIC offset serve both
 * interfaces. The xAPIC page takes 32-bit accesses to 16-byte aligned
 * registers; other accesses are guest errors, and a reserved register sets
 * ESR bit 7. The x2APIC MSRs are 0x800 + off/16 with x2APIC's rules: the
 * ICR is one 64-bit register, SELF IPI exists, APR/DFR/RRD do not, ID and
 * LDR are read-only, and reserved bits, writes to read-only and reads of
 * write-only registers are #GP (the functions return false).
 */
#include "hw/intc/apic_int.h"

#include "util/common.h"
#include "util/log.h"

/* xAPIC register offsets */
#define APIC_ID 0x20
#define APIC_LVR 0x30
#define APIC_TPR 0x80
#define APIC_APR 0x90
#define APIC_PPR 0xa0
#define APIC_EOI 0xb0
#define APIC_RRD 0xc0
#define APIC_LDR 0xd0
#define APIC_DFR 0xe0
#define APIC_SVR 0xf0
#define APIC_ISR 0x100
#define APIC_TMR 0x180
#define APIC_IRR 0x200
#define APIC_ESR 0x280
#define APIC_LVT_CMCI_REG 0x2f0
#define APIC_ICR 0x300
#define APIC_ICR2 0x310
#define APIC_LVT_TIMER_REG 0x320 /* thermal, perf, LINT0/1, error follow */
#define APIC_LVT_LAST_REG 0x370
#define APIC_TMICT 0x380
#define APIC_TMCCT 0x390
#define APIC_TDCR 0x3e0
#define APIC_SELF_IPI 0x3f0 /* x2APIC only */

#define SVR_WRITABLE                                                           \
    (0xffu | APIC_SVR_ENABLE | APIC_SVR_FOCUS_OFF | APIC_SVR_EOI_SUPPRESS)
/* vector, delivery mode, dest mode, level, trigger, shorthand */
#define ICR_WRITABLE 0x000ccfffu

/* writable bits of each LVT entry */
static const uint32_t lvt_writable[APIC_LVT_COUNT] = {
    [APIC_LVT_TIMER] = 0x700ff,   /* vector, mask, mode */
    [APIC_LVT_THERMAL] = 0x107ff, /* vector, delivery mode, mask */
    [APIC_LVT_PERF] = 0x107ff,
    [APIC_LVT_LINT0] = 0x1a7ff, /* + polarity, trigger */
    [APIC_LVT_LINT1] = 0x1a7ff,
    [APIC_LVT_ERROR] = 0x100ff,
    [APIC_LVT_CMCI] = 0x107ff,
};

static int lvt_index(uint32_t off)
{
    if (off == APIC_LVT_CMCI_REG) {
        return APIC_LVT_CMCI;
    }
    if (off >= APIC_LVT_TIMER_REG && off <= APIC_LVT_LAST_REG) {
        return (int)(off - APIC_LVT_TIMER_REG) / 16;
    }
    return -1;
}

static uint32_t apic_version(void)
{
    return APIC_VERSION | APIC_MAX_LVT << 16 | 1u << 24; /* EOI suppression */
}

static bool apic_read_vectors(const Apic *s, uint32_t off, uint64_t *val)
{
    if (off >= APIC_ISR && off < APIC_ISR + 0x80) {
        *val = s->isr[(off - APIC_ISR) / 16];
    } else if (off >= APIC_TMR && off < APIC_TMR + 0x80) {
        *val = s->tmr[(off - APIC_TMR) / 16];
    } else if (off >= APIC_IRR && off < APIC_IRR + 0x80) {
        *val = s->irr[(off - APIC_IRR) / 16];
    } else {
        return false;
    }
    return true;
}

/* false: no such register in this mode (or write-only under x2APIC) */
static bool apic_read_reg(Apic *s, uint32_t off, bool x2, uint64_t *val)
{
    int lvt = lvt_index(off);
    if (lvt >= 0) {
        *val = s->lvt[lvt];
        return true;
    }
    switch (off) {
    case APIC_ID:
        *val = x2 ? s->id : (s->id & 0xff) << 24;
        return true;
    case APIC_LVR:
        *val = apic_version();
        return true;
    case APIC_TPR:
        *val = s->tpr;
        return true;
    case APIC_PPR:
        *val = apic_ppr(s);
        return true;
    case APIC_LDR:
        *val = s->ldr;
        return true;
    case APIC_SVR:
        *val = s->svr;
        return true;
    case APIC_ESR:
        *val = s->esr;
        return true;
    case APIC_ICR:
        *val = x2 ? (uint64_t)s->icr_hi << 32 | s->icr_lo : s->icr_lo;
        return true;
    case APIC_TMICT:
        *val = s->timer_initial;
        return true;
    case APIC_TMCCT:
        *val = apic_timer_current(s);
        return true;
    case APIC_TDCR:
        *val = s->timer_dcr;
        return true;
    case APIC_APR:
    case APIC_EOI:
    case APIC_RRD:
    case APIC_DFR:
    case APIC_ICR2:
        if (x2) {
            return false; /* gone, or write-only (EOI) */
        }
        *val = off == APIC_APR    ? apic_apr(s)
               : off == APIC_DFR  ? s->dfr
               : off == APIC_ICR2 ? s->icr_hi
                                  : 0;
        return true;
    default:
        return apic_read_vectors(s, off, val);
    }
}

static bool apic_write_lvt(Apic *s, int n, uint64_t val, bool x2)
{
    uint32_t v = (uint32_t)val;
    /* the status bits (delivery status, remote IRR) are read-only, not #GP */
    uint32_t status = 1u << 12 | APIC_LVT_REMOTE_IRR;
    if (x2 && ((v & ~(lvt_writable[n] | status)) ||
               (n == APIC_LVT_TIMER && ((v >> 17) & 3) == 3))) {
        return false;
    }
    v &= lvt_writable[n];
    if (n == APIC_LVT_TIMER && ((v >> 17) & 3) == 3) {
        log_guest_error("apic", "reserved timer mode 3");
        v &= ~(1u << 18);
    }
    if (!apic_sw_enabled(s)) {
        v |= APIC_LVT_MASKED; /* masks stay set while software disabled */
    }
    if (n == APIC_LVT_TIMER) {
        apic_timer_set_lvt(s, v);
        return true;
    }
    s->lvt[n] = v | (s->lvt[n] & APIC_LVT_REMOTE_IRR);
    if (n == APIC_LVT_LINT0 || n == APIC_LVT_LINT1) {
        int pin = n - APIC_LVT_LINT0;
        apic_set_lint(s, pin, s->lint_level[pin]); /* re-evaluate the level */
    }
    return true;
}

static void apic_write_svr(Apic *s, uint32_t v)
{
    s->svr = v & SVR_WRITABLE;
    if (!(s->svr & APIC_SVR_ENABLE)) {
        for (int n = 0; n < APIC_LVT_COUNT; n++) {
            s->lvt[n] |= APIC_LVT_MASKED;
        }
    }
    apic_update_intr(s);
}

/* registers both interfaces write the same way */
static bool apic_write_common(Apic *s, uint32_t off, uint32_t v, bool x2)
{
    switch (off) {
    case APIC_TPR:
        if (x2 && (v & ~0xffu)) {
            return false;
        }
        apic_set_tpr(s, (uint8_t)v);
        return true;
    case APIC_EOI:
        if (x2 && v) {
            return false;
        }
        apic_eoi(s);
        return true;
    case APIC_SVR:
        if (x2 && (v & ~SVR_WRITABLE)) {
            return false;
        }
        apic_write_svr(s, v);
        return true;
    case APIC_ESR: /* a write latches the errors seen since the last one */
        if (x2 && v) {
            return false;
        }
        s->esr = s->esr_pending;
        s->esr_pending = 0;
        return true;
    case APIC_TMICT:
        apic_timer_set_initial(s, v);
        return true;
    case APIC_TDCR:
        if (x2 && (v & ~0xbu)) {
            return false;
        }
        apic_timer_set_dcr(s, v);
        return true;
    default:
        return false;
    }
}

static bool apic_is_read_only(uint32_t off)
{
    switch (off) {
    case APIC_LVR:
    case APIC_APR:
    case APIC_PPR:
    case APIC_RRD:
    case APIC_TMCCT:
        return true;
    default:
        return off >= APIC_ISR && off < APIC_IRR + 0x80; /* ISR TMR IRR */
    }
}

static bool apic_write_xapic(Apic *s, uint32_t off, uint32_t v)
{
    switch (off) {
    case APIC_ID:
        s->id = v >> 24;
        return true;
    case APIC_LDR:
        s->ldr = v & 0xff000000u;
        return true;
    case APIC_DFR:
        s->dfr = v | 0x0fffffffu;
        return true;
    case APIC_ICR:
        s->icr_lo = v & ICR_WRITABLE;
        apic_send_ipi(s, (uint64_t)s->icr_hi << 32 | s->icr_lo);
        return true;
    case APIC_ICR2:
        s->icr_hi = v & 0xff000000u;
        return true;
    default:
        if (apic_is_read_only(off)) {
            log_guest_error("apic", "write to read-only register 0x%x", off);
            return true;
        }
        return false;
    }
}

/* x2APIC ICR: reserved are delivery status, 13, 16-17 and 20-31 */
#define X2_ICR_RESERVED 0xfff33000ull

static bool apic_write_x2apic(Apic *s, uint32_t off, uint64_t val)
{
    if (off == APIC_ICR) {
        if (val & X2_ICR_RESERVED) {
            return false;
        }
        s->icr_lo = (uint32_t)val;
        s->icr_hi = (uint32_t)(val >> 32);
        apic_send_ipi(s, val);
        return true;
    }
    if (val >> 32) {
        return false;
    }
    if (off == APIC_SELF_IPI) {
        if (val & ~0xffull) {
            return false;
        }
        apic_accept(s, APIC_DM_FIXED, (uint8_t)val, false);
        return true;
    }
    return apic_write_common(s, off, (uint32_t)val, true);
}

/* ---- the x2APIC MSRs ---- */

bool apic_msr_read(Apic *s, uint32_t msr, uint64_t *val)
{
    *val = 0;
    if (!apic_x2apic_mode(s) || msr < APIC_X2_MSR_FIRST ||
        msr > APIC_X2_MSR_LAST) {
        return false;
    }
    return apic_read_reg(s, (msr - APIC_X2_MSR_FIRST) << 4, true, val);
}

bool apic_msr_write(Apic *s, uint32_t msr, uint64_t val)
{
    if (!apic_x2apic_mode(s) || msr < APIC_X2_MSR_FIRST ||
        msr > APIC_X2_MSR_LAST) {
        return false;
    }
    uint32_t off = (msr - APIC_X2_MSR_FIRST) << 4;
    int lvt = lvt_index(off);
    if (lvt >= 0) {
        return !(val >> 32) && apic_write_lvt(s, lvt, val, true);
    }
    return apic_write_x2apic(s, off, val);
}

/* ---- the xAPIC page ---- */

static bool apic_mmio_check(Apic *s, uint64_t addr, unsigned size)
{
    if (size != 4 || (addr & 15)) {
        log_guest_error("apic", "%u-byte access at 0x%x (32-bit, aligned only)",
                        size, (unsigned)addr);
        return false;
    }
    if (!apic_mmio_enabled(s)) {
        log_guest_error("apic", "xAPIC page access while disabled or x2APIC");
        return false;
    }
    return true;
}

static void apic_illegal_register(Apic *s, uint32_t off)
{
    log_guest_error("apic", "reserved register 0x%x", off);
    apic_error(s, APIC_ESR_ILLEGAL_REGISTER);
}

static uint64_t apic_mmio_read(void *opaque, uint64_t addr, unsigned size)
{
    Apic *s = opaque;
    uint64_t val = 0;
    if (!apic_mmio_check(s, addr, size)) {
        return 0;
    }
    if (!apic_read_reg(s, (uint32_t)addr, false, &val)) {
        apic_illegal_register(s, (uint32_t)addr);
    }
    return (uint32_t)val;
}

static void apic_mmio_write(void *opaque, uint64_t addr, uint64_t val,
                            unsigned size)
{
    Apic *s = opaque;
    uint32_t off = (uint32_t)addr;
    if (!apic_mmio_check(s, addr, size)) {
        return;
    }
    int lvt = lvt_index(off);
    bool ok = lvt >= 0 ? apic_write_lvt(s, lvt, (uint32_t)val, false)
                       : apic_write_common(s, off, (uint32_t)val, false) ||
                             apic_write_xapic(s, off, (uint32_t)val);
    if (!ok) {
        apic_illegal_register(s, off);
    }
}

static const MemOps apic_mmio_ops = {
    .read = apic_mmio_read,
    .write = apic_mmio_write,
    .valid = {.min = 1, .max = 8, .unaligned = true},
    .impl = {.min = 1, .max = 8, .unaligned = true},
};

MemRegion *apic_mmio_new(Apic *s)
{
    return mr_new_io("apic", APIC_MMIO_SIZE, &apic_mmio_ops, s);
}
