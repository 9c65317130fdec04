/*
 * MC146818A RTC + CMOS NVRAM. Ref: Motorola MC146818A datasheet.
 *
 * The time is not kept in the registers: the guest's time is base_sec at
 * virtual time base_ns, plus whole seconds since (the update cycle runs at
 * base_ns + k s); registers are refreshed from it when read. While SET is
 * set or the divider is held in reset the registers hold still and a clear
 * of SET restarts the clock from them. Interrupt flags are computed from
 * time when register C is read; timers run only while PIE/UIE/AIE ask for
 * an interrupt. With AIE off, AF is checked against the latest update only.
 */
#include "hw/timer/mc146818.h"

#include <stdlib.h>

#include "util/common.h"
#include "util/log.h"

#define RTC_UIP_NS 244000 /* UIP is set this long before each update */

#define REG_A_UIP 0x80
#define REG_B_SET 0x80
#define REG_B_PIE 0x40
#define REG_B_AIE 0x20
#define REG_B_UIE 0x10
#define REG_B_DM 0x04 /* binary */
#define REG_B_24H 0x02
#define REG_B_DSE 0x01
#define REG_C_IRQF 0x80
#define REG_C_PF 0x40
#define REG_C_AF 0x20
#define REG_C_UF 0x10
#define REG_D_VRT 0x80

struct Mc146818 {
    uint8_t cmos[128];
    uint8_t index;
    uint8_t nmi_masked;
    int64_t base_sec;  /* guest seconds at base_ns */
    int64_t base_ns;   /* virtual time of an update cycle */
    int64_t div_ns;    /* virtual time the divider chain was released */
    uint64_t upd_seen; /* updates since base_ns already flagged */
    uint64_t pf_seen;  /* periodic ticks since div_ns already flagged */
    IrqLine irq;
    Clock *clock;
    Timer *update_timer, *periodic_timer;
    MemRegion *io_root, *mr;
};

static const VmStateField mc146818_vmstate[] = {
    VMSTATE_FIELD(Mc146818, cmos),       VMSTATE_FIELD(Mc146818, index),
    VMSTATE_FIELD(Mc146818, nmi_masked), VMSTATE_FIELD(Mc146818, base_sec),
    VMSTATE_FIELD(Mc146818, base_ns),    VMSTATE_FIELD(Mc146818, div_ns),
    VMSTATE_FIELD(Mc146818, upd_seen),   VMSTATE_FIELD(Mc146818, pf_seen),
};

const VmStateField *mc146818_get_vmstate(size_t *count)
{
    *count = ARRAY_LEN(mc146818_vmstate);
    return mc146818_vmstate;
}

/* ---- time base ---- */

static int64_t rtc_now(Mc146818 *s)
{
    return clock_ns(s->clock);
}

static bool rtc_divider_running(const Mc146818 *s)
{
    return ((s->cmos[RTC_REG_A] >> 4) & 7) < 6;
}

static bool rtc_running(const Mc146818 *s)
{
    return rtc_divider_running(s) && !(s->cmos[RTC_REG_B] & REG_B_SET);
}

/* update cycles completed since base_ns */
static uint64_t rtc_updates(Mc146818 *s)
{
    int64_t d = rtc_now(s) - s->base_ns;
    return d > 0 ? (uint64_t)(d / NS_PER_SEC) : 0;
}

/* periodic rate in 32.768 kHz cycles, 0 when off */
static uint64_t rtc_period_cycles(const Mc146818 *s)
{
    unsigned rs = s->cmos[RTC_REG_A] & 0x0f;
    if (rs == 0) {
        return 0;
    }
    return 1ull << ((rs <= 2 ? rs + 7 : rs) - 1);
}

static uint64_t rtc_periods(Mc146818 *s)
{
    uint64_t p = rtc_period_cycles(s);
    int64_t d = rtc_now(s) - s->div_ns;
    if (!p || d <= 0 || !rtc_divider_running(s)) {
        return 0;
    }
    return (uint64_t)((unsigned __int128)d * 32768 / NS_PER_SEC / p);
}

static int64_t rtc_period_ns(const Mc146818 *s, uint64_t k)
{
    unsigned __int128 c = (unsigned __int128)k * rtc_period_cycles(s);
    return s->div_ns + (int64_t)((c * NS_PER_SEC + 32767) / 32768);
}

/* ---- register encoding ---- */

static bool rtc_binary(const Mc146818 *s)
{
    return s->cmos[RTC_REG_B] & REG_B_DM;
}

static uint8_t rtc_enc(const Mc146818 *s, int v)
{
    return rtc_binary(s) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static int rtc_dec(const Mc146818 *s, uint8_t v)
{
    return rtc_binary(s) ? v : (v >> 4) * 10 + (v & 15);
}

static uint8_t rtc_enc_hour(const Mc146818 *s, int h)
{
    if (s->cmos[RTC_REG_B] & REG_B_24H) {
        return rtc_enc(s, h);
    }
    int h12 = h % 12 ? h % 12 : 12;
    return rtc_enc(s, h12) | (h >= 12 ? 0x80 : 0);
}

static int rtc_dec_hour(const Mc146818 *s, uint8_t v)
{
    int h = rtc_dec(s, v & 0x7f);
    if (s->cmos[RTC_REG_B] & REG_B_24H) {
        return h;
    }
    return h % 12 + ((v & 0x80) ? 12 : 0);
}

static int64_t rtc_guest_sec(Mc146818 *s)
{
    return s->base_sec + (int64_t)rtc_updates(s);
}

/* write the time fields for guest second t */
static void rtc_store_time(Mc146818 *s, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm)) {
        return;
    }
    int year = tm.tm_year + 1900;
    s->cmos[RTC_SECONDS] = rtc_enc(s, tm.tm_sec);
    s->cmos[RTC_MINUTES] = rtc_enc(s, tm.tm_min);
    s->cmos[RTC_HOURS] = rtc_enc_hour(s, tm.tm_hour);
    s->cmos[RTC_DAY_OF_WEEK] = rtc_enc(s, tm.tm_wday + 1);
    s->cmos[RTC_DAY_OF_MONTH] = rtc_enc(s, tm.tm_mday);
    s->cmos[RTC_MONTH] = rtc_enc(s, tm.tm_mon + 1);
    s->cmos[RTC_YEAR] = rtc_enc(s, year % 100);
    s->cmos[RTC_CENTURY] = rtc_enc(s, (year / 100) % 100);
}

/* decode the time fields; out-of-range values normalize like timegm() */
static int64_t rtc_load_time(Mc146818 *s)
{
    struct tm tm = {0};
    int century = rtc_dec(s, s->cmos[RTC_CENTURY]);
    int year = rtc_dec(s, s->cmos[RTC_YEAR]) % 100;
    if (century < 19 || century > 99) {
        century = year < 70 ? 20 : 19;
    }
    tm.tm_sec = rtc_dec(s, s->cmos[RTC_SECONDS]) % 60;
    tm.tm_min = rtc_dec(s, s->cmos[RTC_MINUTES]) % 60;
    tm.tm_hour = rtc_dec_hour(s, s->cmos[RTC_HOURS]) % 24;
    tm.tm_mday = rtc_dec(s, s->cmos[RTC_DAY_OF_MONTH]) % 32;
    tm.tm_mon = (rtc_dec(s, s->cmos[RTC_MONTH]) + 11) % 12;
    tm.tm_year = century * 100 + year - 1900;
    return (int64_t)timegm(&tm);
}

static void rtc_refresh(Mc146818 *s)
{
    if (rtc_running(s)) {
        rtc_store_time(s, rtc_guest_sec(s));
    }
}

static bool rtc_uip(Mc146818 *s)
{
    if (!rtc_running(s)) {
        return false;
    }
    int64_t d = rtc_now(s) - s->base_ns;
    return d >= 0 && d % NS_PER_SEC >= NS_PER_SEC - RTC_UIP_NS;
}

/* ---- interrupts ---- */

static bool rtc_alarm_field(const Mc146818 *s, int reg)
{
    uint8_t a = s->cmos[reg + 1];
    return (a & 0xc0) == 0xc0 || a == s->cmos[reg];
}

static bool rtc_alarm_matches(const Mc146818 *s)
{
    return rtc_alarm_field(s, RTC_SECONDS) && rtc_alarm_field(s, RTC_MINUTES) &&
           rtc_alarm_field(s, RTC_HOURS);
}

static void rtc_update_irq(Mc146818 *s)
{
    uint8_t c = s->cmos[RTC_REG_C] & 0x70;
    bool level = (c & s->cmos[RTC_REG_B] & 0x70) != 0;
    s->cmos[RTC_REG_C] = c | (level ? REG_C_IRQF : 0);
    irq_set(&s->irq, level);
}

/* flags due from elapsed time, for register C reads */
static void rtc_catch_up(Mc146818 *s)
{
    if (rtc_running(s)) {
        uint64_t u = rtc_updates(s);
        if (u != s->upd_seen) {
            s->upd_seen = u;
            s->cmos[RTC_REG_C] |= REG_C_UF;
            rtc_refresh(s);
            if (rtc_alarm_matches(s)) {
                s->cmos[RTC_REG_C] |= REG_C_AF;
            }
        }
    }
    uint64_t p = rtc_periods(s);
    if (p != s->pf_seen) {
        s->pf_seen = p;
        s->cmos[RTC_REG_C] |= REG_C_PF;
    }
}

static void rtc_arm_timers(Mc146818 *s)
{
    uint8_t b = s->cmos[RTC_REG_B];
    if (rtc_running(s) && (b & (REG_B_UIE | REG_B_AIE))) {
        timer_mod(s->update_timer,
                  s->base_ns + (int64_t)(s->upd_seen + 1) * NS_PER_SEC);
    } else {
        timer_del(s->update_timer);
    }
    if ((b & REG_B_PIE) && rtc_period_cycles(s) && rtc_divider_running(s)) {
        timer_mod(s->periodic_timer, rtc_period_ns(s, s->pf_seen + 1));
    } else {
        timer_del(s->periodic_timer);
    }
}

static void rtc_timer_cb(void *opaque)
{
    Mc146818 *s = opaque;
    rtc_catch_up(s);
    rtc_update_irq(s);
    rtc_arm_timers(s);
}

/* ---- register access ---- */

static uint8_t rtc_read_reg(Mc146818 *s, unsigned idx)
{
    switch (idx) {
    case RTC_REG_A:
        return (s->cmos[RTC_REG_A] & 0x7f) | (rtc_uip(s) ? REG_A_UIP : 0);
    case RTC_REG_C: {
        rtc_catch_up(s);
        rtc_update_irq(s);
        uint8_t v = s->cmos[RTC_REG_C];
        s->cmos[RTC_REG_C] = 0;
        rtc_update_irq(s);
        rtc_arm_timers(s);
        return v;
    }
    case RTC_REG_D:
        return REG_D_VRT;
    case RTC_SECONDS:
    case RTC_MINUTES:
    case RTC_HOURS:
    case RTC_DAY_OF_WEEK:
    case RTC_DAY_OF_MONTH:
    case RTC_MONTH:
    case RTC_YEAR:
    case RTC_CENTURY:
        rtc_refresh(s);
        return s->cmos[idx];
    default:
        return s->cmos[idx];
    }
}

/* restart the clock from the registers (SET cleared, divider released) */
static void rtc_restart(Mc146818 *s)
{
    s->base_sec = rtc_load_time(s);
    s->base_ns = rtc_now(s);
    s->upd_seen = 0;
}

static void rtc_write_a(Mc146818 *s, uint8_t val)
{
    bool was_running = rtc_running(s), div_was = rtc_divider_running(s);
    rtc_refresh(s);
    unsigned dv = (val >> 4) & 7;
    if (dv != 2 && dv < 6) {
        log_unimp("mc146818", "time base 0x%x treated as 32.768 kHz", dv);
    }
    s->cmos[RTC_REG_A] = val & 0x7f;
    if (!div_was && rtc_divider_running(s)) {
        s->div_ns = rtc_now(s);
    }
    if (!was_running && rtc_running(s)) {
        rtc_restart(s);
    }
    s->pf_seen = rtc_periods(s);
}

static void rtc_write_b(Mc146818 *s, uint8_t val)
{
    bool was_running = rtc_running(s);
    rtc_refresh(s);
    uint8_t old = s->cmos[RTC_REG_B];
    if (val & REG_B_SET) {
        val &= ~REG_B_UIE; /* SET clears UIE */
    }
    if ((val & REG_B_DSE) && !(old & REG_B_DSE)) {
        log_unimp("mc146818", "daylight saving switch ignored");
    }
    if ((old ^ val) & (REG_B_DM | REG_B_24H)) {
        /* re-encode the stored fields in the new format */
        int64_t t = rtc_load_time(s);
        s->cmos[RTC_REG_B] = val;
        rtc_store_time(s, t);
    }
    s->cmos[RTC_REG_B] = val;
    if (!was_running && rtc_running(s)) {
        rtc_restart(s);
    }
}

static void rtc_write_time(Mc146818 *s, unsigned idx, uint8_t val)
{
    rtc_refresh(s);
    int64_t before = rtc_load_time(s);
    s->cmos[idx] = val;
    if (rtc_running(s)) { /* the next update counts from the new value */
        s->base_sec += rtc_load_time(s) - before;
    }
}

static void rtc_write_reg(Mc146818 *s, unsigned idx, uint8_t val)
{
    switch (idx) {
    case RTC_REG_A:
        rtc_write_a(s, val);
        break;
    case RTC_REG_B:
        rtc_write_b(s, val);
        break;
    case RTC_REG_C:
    case RTC_REG_D:
        log_guest_error("mc146818", "write 0x%x to read-only register 0x%x",
                        val, idx);
        return;
    case RTC_SECONDS:
    case RTC_MINUTES:
    case RTC_HOURS:
    case RTC_DAY_OF_WEEK:
    case RTC_DAY_OF_MONTH:
    case RTC_MONTH:
    case RTC_YEAR:
    case RTC_CENTURY:
        rtc_write_time(s, idx, val);
        break;
    default:
        s->cmos[idx] = val;
        return;
    }
    rtc_update_irq(s);
    rtc_arm_timers(s);
}

static uint64_t rtc_io_read(void *opaque, uint64_t addr, unsigned size)
{
    Mc146818 *s = opaque;
    if (addr == 0) {
        return 0xff; /* the index port is write-only */
    }
    return rtc_read_reg(s, s->index);
}

static void rtc_io_write(void *opaque, uint64_t addr, uint64_t val,
                         unsigned size)
{
    Mc146818 *s = opaque;
    if (addr == 0) {
        s->index = val & 0x7f;
        s->nmi_masked = (val >> 7) & 1;
    } else {
        rtc_write_reg(s, s->index, (uint8_t)val);
    }
}

static const MemOps rtc_ops = {
    .read = rtc_io_read,
    .write = rtc_io_write,
    .valid = {.min = 1, .max = 1},
    .impl = {.min = 1, .max = 1},
};

/* ---- public API ---- */

void mc146818_set_time(Mc146818 *s, time_t t)
{
    s->base_sec = (int64_t)t;
    s->base_ns = rtc_now(s);
    s->upd_seen = 0;
    rtc_store_time(s, s->base_sec);
    rtc_arm_timers(s);
}

time_t mc146818_get_time(Mc146818 *s)
{
    rtc_refresh(s);
    return (time_t)rtc_load_time(s);
}

bool mc146818_nmi_masked(const Mc146818 *s)
{
    return s->nmi_masked;
}

uint8_t mc146818_cmos_read(Mc146818 *s, unsigned index)
{
    return s->cmos[index & 0x7f];
}

void mc146818_cmos_write(Mc146818 *s, unsigned index, uint8_t val)
{
    s->cmos[index & 0x7f] = val;
}

void mc146818_cmos_update_checksum(Mc146818 *s)
{
    unsigned sum = 0;
    for (unsigned i = 0x10; i <= 0x2d; i++) {
        sum += s->cmos[i];
    }
    s->cmos[0x2e] = (uint8_t)(sum >> 8);
    s->cmos[0x2f] = (uint8_t)sum;
}

void mc146818_cmos_set_memory(Mc146818 *s, uint64_t below_4g, uint64_t above_4g)
{
    uint64_t ext_kb = below_4g > (1 << 20) ? (below_4g - (1 << 20)) >> 10 : 0;
    uint64_t hi = below_4g > (16 << 20) ? (below_4g - (16 << 20)) >> 16 : 0;
    uint64_t top = above_4g >> 16;
    ext_kb = MIN(ext_kb, 0xffff);
    hi = MIN(hi, 0xffff);
    top = MIN(top, 0xffffff);
    s->cmos[0x15] = 640 & 0xff;
    s->cmos[0x16] = 640 >> 8;
    s->cmos[0x17] = s->cmos[0x30] = (uint8_t)ext_kb;
    s->cmos[0x18] = s->cmos[0x31] = (uint8_t)(ext_kb >> 8);
    s->cmos[0x34] = (uint8_t)hi;
    s->cmos[0x35] = (uint8_t)(hi >> 8);
    s->cmos[0x5b] = (uint8_t)top;
    s->cmos[0x5c] = (uint8_t)(top >> 8);
    s->cmos[0x5d] = (uint8_t)(top >> 16);
    mc146818_cmos_update_checksum(s);
}

void mc146818_reset(Mc146818 *s)
{
    rtc_refresh(s);
    s->cmos[RTC_REG_A] = 0x26; /* 32.768 kHz, 1024 Hz periodic rate */
    s->cmos[RTC_REG_B] &= REG_B_SET | REG_B_DM | REG_B_24H | REG_B_DSE;
    s->cmos[RTC_REG_C] = 0;
    s->cmos[RTC_REG_D] = REG_D_VRT;
    s->pf_seen = rtc_periods(s);
    rtc_update_irq(s);
    rtc_arm_timers(s);
}

Mc146818 *mc146818_new(MemRegion *io_root, IrqLine irq, Clock *clock,
                       time_t base)
{
    Mc146818 *s = xzalloc(sizeof(*s));
    s->irq = irq;
    s->clock = clock;
    s->update_timer = timer_new(clock, rtc_timer_cb, s);
    s->periodic_timer = timer_new(clock, rtc_timer_cb, s);
    s->cmos[RTC_REG_A] = 0x26;
    s->cmos[RTC_REG_B] = REG_B_24H;
    s->div_ns = rtc_now(s);
    mc146818_set_time(s, base);
    mc146818_reset(s);
    s->io_root = io_root;
    s->mr = mr_new_io("mc146818", 2, &rtc_ops, s);
    mr_add_subregion(io_root, MC146818_BASE, s->mr, 0);
    return s;
}

void mc146818_free(Mc146818 *s)
{
    if (!s) {
        return;
    }
    mr_del_subregion(s->io_root, s->mr);
    mr_free(s->mr);
    timer_free(s->update_timer);
    timer_free(s->periodic_timer);
    free(s);
}
