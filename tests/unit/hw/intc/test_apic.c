/*
 * Local APIC: three LAPICs (APIC IDs 0, 1 and 0x12) on one bus, each with
 * its xAPIC page mapped at 0xfee00000 in an address space of its own (as
 * each CPU sees its own), fake CPU callbacks recording events, the INTR
 * level and ExtINT acknowledges, a fake TSC at 2 GHz, and a manual clock.
 */
#include <criterion/criterion.h>

#include "hw/intc/apic.h"

#define NCPU 3
#define B APIC_DEFAULT_BASE
#define T0 1000000

static const uint32_t ids[NCPU] = {0, 1, 0x12};

typedef struct FakeCpu {
    int intr;
    int ev_count[5];
    uint8_t sipi_vector;
    int extint_acks;
} FakeCpu;

static Clock *clk;
static ApicBus *bus;
static Apic *apic[NCPU];
static MemRegion *root[NCPU];
static AddrSpace *as[NCPU];
static FakeCpu cpu[NCPU];
static int eoi_count;
static uint8_t eoi_vector;

static void ev_cb(void *opaque, unsigned ev, uint8_t v)
{
    FakeCpu *c = opaque;
    c->ev_count[ev]++;
    if (ev == APIC_EV_SIPI) {
        c->sipi_vector = v;
    }
}

static void intr_cb(void *opaque, int level)
{
    ((FakeCpu *)opaque)->intr = level;
}

static int extint_cb(void *opaque)
{
    ((FakeCpu *)opaque)->extint_acks++;
    return 0x30;
}

static uint64_t tsc_cb(void *opaque, uint64_t *hz)
{
    (void)opaque;
    *hz = 2000000000ull;
    return (uint64_t)clock_ns(clk) * 2;
}

static void eoi_cb(void *opaque, uint8_t vector)
{
    (void)opaque;
    eoi_count++;
    eoi_vector = vector;
}

static const ApicOps ops = {
    .cpu_event = ev_cb,
    .set_intr = intr_cb,
    .extint_ack = extint_cb,
    .tsc = tsc_cb,
};

static uint32_t rd(int c, uint32_t off)
{
    return as_ld32(as[c], B + off);
}

static void wr(int c, uint32_t off, uint32_t v)
{
    as_st32(as[c], B + off, v);
}

static void setup(void)
{
    clk = clock_new(CLOCK_KIND_VIRTUAL);
    clock_set_manual(clk, true);
    clock_set_ns(clk, T0);
    bus = apic_bus_new();
    apic_bus_set_eoi_handler(bus, eoi_cb, NULL);
    eoi_count = 0;
    eoi_vector = 0;
    for (int i = 0; i < NCPU; i++) {
        cpu[i] = (FakeCpu){0};
        apic[i] = apic_new(bus, ids[i], i == 0, clk, &ops, &cpu[i]);
        root[i] = mr_new_container("sys", UINT64_MAX);
        as[i] = as_new("sys", root[i]);
        mr_add_subregion(root[i], apic_mmio_base(apic[i]),
                         apic_mmio_region(apic[i]), 0);
    }
}

static void teardown(void)
{
    for (int i = 0; i < NCPU; i++) {
        mr_del_subregion(root[i], apic_mmio_region(apic[i]));
        as_free(as[i]);
        mr_free(root[i]);
        apic_free(apic[i]);
    }
    apic_bus_free(bus);
    clock_free(clk);
}

/* software enable every LAPIC, spurious vector 0xff */
static void enable_all(void)
{
    for (int i = 0; i < NCPU; i++) {
        wr(i, 0xf0, 0x1ff);
    }
}

static bool irr_has(int c, unsigned v)
{
    return rd(c, 0x200 + (v / 32) * 16) & (1u << (v % 32));
}

static bool isr_has(int c, unsigned v)
{
    return rd(c, 0x100 + (v / 32) * 16) & (1u << (v % 32));
}

static bool tmr_has(int c, unsigned v)
{
    return rd(c, 0x180 + (v / 32) * 16) & (1u << (v % 32));
}

static void fixed_to(int c, uint8_t vector)
{
    cr_assert(apic_bus_deliver(bus, ids[c], APIC_DEST_PHYSICAL, APIC_DM_FIXED,
                               vector, APIC_TRIGGER_EDGE));
}

static void x2_enable(int c)
{
    cr_assert(apic_set_base(apic[c], B | APIC_BASE_EN | APIC_BASE_EXTD, 39));
}

static uint64_t msr_rd(int c, uint32_t msr)
{
    uint64_t v;
    cr_assert(apic_msr_read(apic[c], msr, &v), "rdmsr 0x%x", msr);
    return v;
}

static void msr_wr(int c, uint32_t msr, uint64_t v)
{
    cr_assert(apic_msr_write(apic[c], msr, v), "wrmsr 0x%x", msr);
}

TestSuite(apic, .init = setup, .fini = teardown, .timeout = 10);

Test(apic, reset_state)
{
    cr_assert_eq(rd(1, 0x20), 1u << 24);
    cr_assert_eq(rd(2, 0x20), 0x12u << 24);
    cr_assert_eq(rd(0, 0x30), 0x01060014u, "version 0x14, max LVT 6");
    cr_assert_eq(rd(0, 0xf0), 0xff);
    cr_assert_eq(rd(0, 0xe0), 0xffffffffu);
    for (uint32_t off = 0x320; off <= 0x370; off += 0x10) {
        cr_assert_eq(rd(0, off), 0x10000);
    }
    cr_assert_eq(rd(0, 0x2f0), 0x10000);
    cr_assert_eq(apic_get_base(apic[0]), 0xfee00900ull);
    cr_assert_eq(apic_get_base(apic[1]), 0xfee00800ull);
    cr_assert(apic_mmio_enabled(apic[0]));
    size_t n;
    cr_assert(apic_get_vmstate(&n) != NULL);
    cr_assert_eq(n, 20);
}

Test(apic, priority_and_acknowledge_order)
{
    enable_all();
    fixed_to(0, 0x31);
    fixed_to(0, 0x52);
    fixed_to(0, 0x45);
    cr_assert_eq(rd(0, 0x210), 1u << 17); /* 0x31 in IRR[63:32] */
    cr_assert_eq(rd(0, 0x220), (1u << 5) | (1u << 18));
    cr_assert_eq(cpu[0].intr, 1);
    cr_assert_eq(apic_get_interrupt(apic[0]), 0x52);
    cr_assert(isr_has(0, 0x52) && !irr_has(0, 0x52));
    cr_assert_eq(rd(0, 0xa0), 0x50, "PPR is the ISR class");
    /* 0x45 is below the in-service class: not presented */
    cr_assert_eq(cpu[0].intr, 0);
    cr_assert(!apic_has_interrupt(apic[0]));
    cr_assert_eq(apic_get_interrupt(apic[0]), 0xff, "spurious");
    fixed_to(0, 0x61); /* a higher class nests */
    cr_assert_eq(cpu[0].intr, 1);
    cr_assert_eq(apic_get_interrupt(apic[0]), 0x61);
    wr(0, 0xb0, 0); /* EOI 0x61 */
    cr_assert(!isr_has(0, 0x61) && isr_has(0, 0x52));
    cr_assert_eq(cpu[0].intr, 0);
    wr(0, 0xb0, 0); /* EOI 0x52 */
    cr_assert_eq(rd(0, 0xa0), 0);
    cr_assert_eq(apic_get_interrupt(apic[0]), 0x45);
    wr(0, 0xb0, 0);
    cr_assert_eq(apic_get_interrupt(apic[0]), 0x31);
    wr(0, 0xb0, 0);
    cr_assert_eq(rd(0, 0x100 + 0x20), 0);
    cr_assert_eq(apic_get_interrupt(apic[0]), 0xff);
    wr(0, 0xb0, 0); /* EOI with nothing in service: ignored */
    cr_assert_eq(eoi_count, 0);
}

Test(apic, tpr_masks_by_class)
{
    enable_all();
    wr(0, 0x80, 0x53);
    cr_assert_eq(rd(0, 0x80), 0x53);
    cr_assert_eq(rd(0, 0xa0), 0x53, "PPR = TPR with nothing in service");
    fixed_to(0, 0x5f);
    cr_assert_eq(cpu[0].intr, 0, "same class as TPR: masked");
    cr_assert_eq(rd(0, 0x90), 0x53, "APR = TPR");
    apic_set_tpr(apic[0], 0x40); /* CR8 = 4 */
    cr_assert_eq(cpu[0].intr, 1);
    cr_assert_eq(rd(0, 0x90), 0x50, "APR = IRR class");
    cr_assert_eq(apic_get_tpr(apic[0]), 0x40);
    cr_assert_eq(apic_get_interrupt(apic[0]), 0x5f);
    apic_set_tpr(apic[0], 0x60);
    cr_assert_eq(rd(0, 0xa0), 0x60, "TPR above the ISR class");
    apic_set_tpr(apic[0], 0x00);
    cr_assert_eq(rd(0, 0xa0), 0x50);
}

Test(apic, eoi_broadcast_for_level_vectors)
{
    enable_all();
    cr_assert(apic_bus_deliver(bus, 0, APIC_DEST_PHYSICAL, APIC_DM_FIXED, 0x71,
                               APIC_TRIGGER_LEVEL));
    cr_assert(tmr_has(0, 0x71));
    cr_assert_eq(apic_get_interrupt(apic[0]), 0x71);
    wr(0, 0xb0, 0);
    cr_assert_eq(eoi_count, 1);
    cr_assert_eq(eoi_vector, 0x71);
    fixed_to(0, 0x71); /* edge: TMR cleared, no broadcast */
    cr_assert(!tmr_has(0, 0x71));
    cr_assert_eq(apic_get_interrupt(apic[0]), 0x71);
    wr(0, 0xb0, 0);
    cr_assert_eq(eoi_count, 1);
    wr(0, 0xf0, 0x11ff); /* suppress EOI broadcast */
    cr_assert_eq(rd(0, 0xf0), 0x11ff);
    apic_bus_deliver(bus, 0, APIC_DEST_PHYSICAL, APIC_DM_FIXED, 0x72,
                     APIC_TRIGGER_LEVEL);
    cr_assert_eq(apic_get_interrupt(apic[0]), 0x72);
    wr(0, 0xb0, 0);
    cr_assert_eq(eoi_count, 1);
}

Test(apic, icr_fixed_physical)
{
    enable_all();
    wr(0, 0x310, 0x12u << 24);
    wr(0, 0x300, 0x4041);
    cr_assert(irr_has(2, 0x41));
    cr_assert(!irr_has(0, 0x41) && !irr_has(1, 0x41));
    cr_assert_eq(rd(0, 0x300), 0x4041, "delivery status idle");
    cr_assert_eq(rd(0, 0x310), 0x12u << 24);
    wr(0, 0x310, 0x77u << 24); /* nobody */
    wr(0, 0x300, 0x4042);
    for (int i = 0; i < NCPU; i++) {
        cr_assert(!irr_has(i, 0x42));
    }
    wr(0, 0x310, 0xffu << 24); /* physical broadcast */
    wr(0, 0x300, 0x4043);
    for (int i = 0; i < NCPU; i++) {
        cr_assert(irr_has(i, 0x43));
    }
}

Test(apic, icr_shorthands)
{
    enable_all();
    wr(1, 0x300, 0x44050); /* self */
    cr_assert(irr_has(1, 0x50) && !irr_has(0, 0x50) && !irr_has(2, 0x50));
    wr(1, 0x300, 0x84051); /* all including self */
    for (int i = 0; i < NCPU; i++) {
        cr_assert(irr_has(i, 0x51));
    }
    wr(1, 0x300, 0xc4052); /* all excluding self */
    cr_assert(irr_has(0, 0x52) && !irr_has(1, 0x52) && irr_has(2, 0x52));
    wr(1, 0x300, 0x44453); /* self with NMI: invalid, dropped */
    cr_assert_eq(cpu[1].ev_count[APIC_EV_NMI], 0);
}

Test(apic, icr_nmi_smi_init_sipi)
{
    enable_all();
    fixed_to(1, 0x60);
    wr(0, 0x310, 1u << 24);
    wr(0, 0x300, 0x4400); /* NMI */
    cr_assert_eq(cpu[1].ev_count[APIC_EV_NMI], 1);
    wr(0, 0x300, 0x4200); /* SMI */
    cr_assert_eq(cpu[1].ev_count[APIC_EV_SMI], 1);
    wr(0, 0x300, 0x8500); /* INIT level de-assert: nothing */
    cr_assert_eq(cpu[1].ev_count[APIC_EV_INIT], 0);
    cr_assert(irr_has(1, 0x60));
    wr(1, 0x20, 5u << 24); /* a software ID survives INIT */
    wr(0, 0x310, 5u << 24);
    wr(0, 0x300, 0x4500); /* INIT */
    cr_assert_eq(cpu[1].ev_count[APIC_EV_INIT], 1);
    cr_assert(!irr_has(1, 0x60), "INIT resets the LAPIC");
    cr_assert_eq(rd(1, 0xf0), 0xff);
    cr_assert_eq(rd(1, 0x20), 5u << 24);
    wr(0, 0x300, 0x4698); /* SIPI, vector 0x98 */
    cr_assert_eq(cpu[1].ev_count[APIC_EV_SIPI], 1);
    cr_assert_eq(cpu[1].sipi_vector, 0x98);
    cr_assert_eq(cpu[2].ev_count[APIC_EV_SIPI], 0);
    wr(0, 0x300, 0xc4601); /* SIPI to all excluding self */
    cr_assert_eq(cpu[1].ev_count[APIC_EV_SIPI], 2);
    cr_assert_eq(cpu[2].ev_count[APIC_EV_SIPI], 1);
    cr_assert_eq(cpu[2].sipi_vector, 0x01);
    cr_assert_eq(cpu[0].ev_count[APIC_EV_SIPI], 0);
}

Test(apic, logical_flat)
{
    enable_all();
    for (int i = 0; i < NCPU; i++) {
        wr(i, 0xd0, (1u << i) << 24);
        cr_assert_eq(rd(i, 0xd0), (1u << i) << 24);
    }
    wr(0, 0x310, 0x06u << 24);
    wr(0, 0x300, 0x4861); /* logical, fixed */
    cr_assert(!irr_has(0, 0x61) && irr_has(1, 0x61) && irr_has(2, 0x61));
    cr_assert(apic_bus_deliver(bus, 0x01, APIC_DEST_LOGICAL, APIC_DM_FIXED,
                               0x62, APIC_TRIGGER_EDGE));
    cr_assert(irr_has(0, 0x62) && !irr_has(1, 0x62));
    cr_assert(!apic_bus_deliver(bus, 0x08, APIC_DEST_LOGICAL, APIC_DM_FIXED,
                                0x63, APIC_TRIGGER_EDGE));
}

Test(apic, logical_cluster)
{
    enable_all();
    static const uint32_t ldr[NCPU] = {0x11, 0x12, 0x21};
    for (int i = 0; i < NCPU; i++) {
        wr(i, 0xe0, 0x0fffffff);
        cr_assert_eq(rd(i, 0xe0), 0x0fffffff);
        wr(i, 0xd0, ldr[i] << 24);
    }
    apic_bus_deliver(bus, 0x13, APIC_DEST_LOGICAL, APIC_DM_FIXED, 0x64, 0);
    cr_assert(irr_has(0, 0x64) && irr_has(1, 0x64) && !irr_has(2, 0x64));
    apic_bus_deliver(bus, 0x21, APIC_DEST_LOGICAL, APIC_DM_FIXED, 0x65, 0);
    cr_assert(!irr_has(0, 0x65) && !irr_has(1, 0x65) && irr_has(2, 0x65));
    apic_bus_deliver(bus, 0xf1, APIC_DEST_LOGICAL, APIC_DM_FIXED, 0x66, 0);
    cr_assert(irr_has(0, 0x66) && !irr_has(1, 0x66) && irr_has(2, 0x66));
    apic_bus_deliver(bus, 0x22, APIC_DEST_LOGICAL, APIC_DM_FIXED, 0x67, 0);
    for (int i = 0; i < NCPU; i++) {
        cr_assert(!irr_has(i, 0x67));
    }
}

Test(apic, lowest_priority)
{
    enable_all();
    for (int i = 0; i < NCPU; i++) {
        wr(i, 0xd0, (1u << i) << 24);
    }
    wr(1, 0x80, 0x20);
    wr(2, 0x80, 0x10);
    wr(0, 0x310, 0x06u << 24);
    wr(0, 0x300, 0x4970); /* lowest priority, logical 1|2 */
    cr_assert(irr_has(2, 0x70) && !irr_has(1, 0x70));
    /* cpu 2 now has 0x70 pending: it is the focus for 0x70 */
    wr(2, 0x80, 0x30);
    wr(0, 0x300, 0x4970);
    cr_assert(!irr_has(1, 0x70));
    /* focus checking off: the lowest APR wins (cpu 1, APR 0x20) */
    wr(2, 0xf0, 0x3ff);
    wr(0, 0x300, 0x4970);
    cr_assert(irr_has(1, 0x70));
    wr(0, 0x300, 0x84971); /* all including self: invalid */
    cr_assert(!irr_has(0, 0x71) && !irr_has(1, 0x71) && !irr_has(2, 0x71));
}

Test(apic, x2apic_msrs)
{
    enable_all();
    uint64_t v;
    cr_assert(!apic_msr_read(apic[2], 0x802, &v), "not in x2APIC mode");
    x2_enable(2);
    cr_assert(apic_x2apic_mode(apic[2]));
    cr_assert(!apic_mmio_enabled(apic[2]));
    cr_assert_eq(msr_rd(2, 0x802), 0x12);
    cr_assert_eq(msr_rd(2, 0x803), 0x01060014);
    cr_assert_eq(msr_rd(2, 0x80d), 0x10004, "LDR: cluster 1, bit 2");
    cr_assert_eq(msr_rd(2, 0x80f), 0x1ff, "SVR kept across the switch");
    cr_assert(!apic_msr_write(apic[2], 0x802, 5), "ID read-only");
    cr_assert(!apic_msr_write(apic[2], 0x80d, 1), "LDR read-only");
    cr_assert(!apic_msr_read(apic[2], 0x80b, &v), "EOI write-only");
    cr_assert(!apic_msr_read(apic[2], 0x83f, &v), "SELF IPI write-only");
    cr_assert(!apic_msr_read(apic[2], 0x809, &v), "no APR");
    cr_assert(!apic_msr_read(apic[2], 0x80e, &v), "no DFR");
    cr_assert(!apic_msr_read(apic[2], 0x831, &v), "no ICR high");
    cr_assert(!apic_msr_read(apic[2], 0x8ff, &v));
    cr_assert(!apic_msr_write(apic[2], 0x808, 0x100), "TPR reserved bits");
    cr_assert(!apic_msr_write(apic[2], 0x808, 1ull << 32), "bits 63:32");
    cr_assert(!apic_msr_write(apic[2], 0x80f, 0x2000), "SVR reserved");
    cr_assert(!apic_msr_write(apic[2], 0x835, 0x40000), "LVT reserved");
    msr_wr(2, 0x835, 0x15700); /* status bits written back: ignored */
    cr_assert_eq(msr_rd(2, 0x835), 0x10700);
    cr_assert(!apic_msr_write(apic[2], 0x832, 0x60000), "timer mode 3");
    cr_assert(!apic_msr_write(apic[2], 0x83e, 0x4), "DCR reserved");
    cr_assert(!apic_msr_write(apic[2], 0x828, 1), "ESR write of non-zero");
    cr_assert(!apic_msr_write(apic[2], 0x80b, 1), "EOI write of non-zero");
    cr_assert(!apic_msr_write(apic[2], 0x83f, 0x100), "SELF IPI reserved");
    cr_assert(!apic_msr_write(apic[2], 0x830, 0x1000), "ICR bit 12");
    msr_wr(2, 0x808, 0x20);
    cr_assert_eq(msr_rd(2, 0x808), 0x20);
    cr_assert_eq(msr_rd(2, 0x80a), 0x20);
    msr_wr(2, 0x83f, 0x55); /* SELF IPI */
    cr_assert_eq(msr_rd(2, 0x822) & (1u << 21), 1u << 21, "0x55 in IRR");
    cr_assert_eq(apic_get_interrupt(apic[2]), 0x55);
    cr_assert_eq(msr_rd(2, 0x812) & (1u << 21), 1u << 21, "0x55 in ISR");
    msr_wr(2, 0x80b, 0);
    cr_assert_eq(msr_rd(2, 0x812), 0);
    /* the 64-bit ICR: destination in 63:32 */
    msr_wr(2, 0x830, (1ull << 32) | 0x4044);
    cr_assert_eq(msr_rd(2, 0x830), (1ull << 32) | 0x4044);
    cr_assert(irr_has(1, 0x44) && !irr_has(0, 0x44));
    msr_wr(2, 0x830, (0xffffffffull << 32) | 0x4045); /* broadcast */
    cr_assert(irr_has(0, 0x45) && irr_has(1, 0x45));
    cr_assert_eq(rd(2, 0x20), 0, "the xAPIC page is off");
}

Test(apic, x2apic_logical_and_physical_between_x2apics)
{
    enable_all();
    x2_enable(0);
    x2_enable(2);
    cr_assert_eq(msr_rd(0, 0x80d), 0x1);
    /* cluster 1, bit 2: LAPIC 0x12 only */
    msr_wr(0, 0x830, (0x10004ull << 32) | 0x0846);
    cr_assert_eq(msr_rd(2, 0x822), 1u << 6);
    cr_assert_eq(msr_rd(0, 0x822), 0);
    msr_wr(2, 0x830, (0x0ull << 32) | 0x0047); /* physical 0 */
    cr_assert_eq(msr_rd(0, 0x822) & (1u << 7), 1u << 7);
}

Test(apic, apic_base_transitions)
{
    Apic *s = apic[1];
    uint64_t xapic = B | APIC_BASE_EN, x2 = xapic | APIC_BASE_EXTD;
    cr_assert(!apic_set_base(s, B | APIC_BASE_EXTD, 39), "invalid state");
    cr_assert(!apic_set_base(s, xapic | 0x100000000000ull, 39), "> MAXPHY");
    cr_assert(!apic_set_base(s, xapic | 0x200, 39), "bit 9 reserved");
    cr_assert(!apic_set_base(s, xapic | 0x1, 39), "bits 7:0 reserved");
    cr_assert(apic_set_base(s, x2, 39));
    cr_assert(!apic_set_base(s, xapic, 39), "x2APIC -> xAPIC");
    cr_assert(apic_set_base(s, B, 39), "x2APIC -> disabled");
    cr_assert(!apic_x2apic_mode(s));
    cr_assert(!apic_set_base(s, x2, 39), "disabled -> x2APIC");
    cr_assert(apic_set_base(s, xapic, 39));
    cr_assert(apic_set_base(s, xapic | APIC_BASE_BSP, 39));
    cr_assert_eq(apic_get_base(s), xapic, "BSP is read-only");
    /* relocation */
    cr_assert(apic_set_base(s, 0xfed00000ull | APIC_BASE_EN, 39));
    cr_assert_eq(apic_mmio_base(s), 0xfed00000ull);
}

Test(apic, global_disable_resets_state)
{
    enable_all();
    wr(1, 0x20, 7u << 24);
    wr(1, 0x80, 0x30);
    wr(1, 0x350, 0x700);
    cr_assert(apic_bus_deliver(bus, 7, 0, APIC_DM_FIXED, 0x90, 0));
    cr_assert(irr_has(1, 0x90));
    cr_assert(apic_set_base(apic[1], B, 39));
    cr_assert(!apic_mmio_enabled(apic[1]));
    cr_assert_eq(rd(1, 0xf0), 0, "page off while disabled");
    cr_assert(!apic_bus_deliver(bus, 7, 0, APIC_DM_FIXED, 0x91, 0),
              "a disabled LAPIC accepts nothing");
    cr_assert(apic_set_base(apic[1], B | APIC_BASE_EN, 39));
    cr_assert_eq(rd(1, 0xf0), 0xff);
    cr_assert_eq(rd(1, 0x80), 0);
    cr_assert_eq(rd(1, 0x350), 0x10000);
    cr_assert(!irr_has(1, 0x90));
    cr_assert_eq(rd(1, 0xe0), 0xffffffffu);
}

Test(apic, software_disable_masks_lvt)
{
    wr(0, 0x350, 0x700); /* software disabled: mask forced */
    cr_assert_eq(rd(0, 0x350), 0x10700);
    cr_assert(!apic_bus_deliver(bus, 0, 0, APIC_DM_FIXED, 0x40, 0) ||
              !irr_has(0, 0x40));
    cr_assert(!irr_has(0, 0x40), "fixed interrupts dropped");
    wr(0, 0xf0, 0x1ff);
    wr(0, 0x350, 0x700);
    cr_assert_eq(rd(0, 0x350), 0x700);
    wr(0, 0xf0, 0x0ff);
    cr_assert_eq(rd(0, 0x350), 0x10700, "software disable sets the masks");
    apic_bus_deliver(bus, 0, 0, APIC_DM_NMI, 0, 0);
    cr_assert_eq(cpu[0].ev_count[APIC_EV_NMI], 1, "NMI still accepted");
}

Test(apic, timer_one_shot)
{
    enable_all();
    wr(0, 0x3e0, 0xb); /* divide by 1 */
    wr(0, 0x320, 0x40);
    wr(0, 0x380, 1000);
    cr_assert_eq(rd(0, 0x380), 1000);
    cr_assert_eq(rd(0, 0x390), 1000);
    clock_step(clk, 400);
    cr_assert_eq(rd(0, 0x390), 600);
    cr_assert(!irr_has(0, 0x40));
    clock_step(clk, 599);
    cr_assert_eq(rd(0, 0x390), 1);
    cr_assert(!irr_has(0, 0x40));
    clock_step(clk, 1);
    cr_assert(irr_has(0, 0x40));
    cr_assert_eq(rd(0, 0x390), 0);
    cr_assert_eq(apic_get_interrupt(apic[0]), 0x40);
    wr(0, 0xb0, 0);
    clock_step(clk, 100000);
    cr_assert(!irr_has(0, 0x40), "one shot");
    /* divide by 16 (DCR 0x3): 16 ns a tick */
    wr(0, 0x3e0, 0x3);
    wr(0, 0x380, 10);
    clock_step(clk, 80);
    cr_assert_eq(rd(0, 0x390), 5);
    clock_step(clk, 79);
    cr_assert(!irr_has(0, 0x40));
    clock_step(clk, 1);
    cr_assert(irr_has(0, 0x40));
    /* a new divider keeps the count: 100 left, then 4 ns a tick */
    wr(0, 0x3e0, 0xb);
    wr(0, 0x380, 300);
    clock_step(clk, 200);
    wr(0, 0x3e0, 0x1);
    cr_assert_eq(rd(0, 0x390), 100);
    clock_step(clk, 200);
    cr_assert_eq(rd(0, 0x390), 50);
}

Test(apic, timer_masked_counts_without_interrupt)
{
    enable_all();
    wr(0, 0x3e0, 0xb);
    wr(0, 0x320, 0x10040);
    wr(0, 0x380, 100);
    clock_step(clk, 50);
    cr_assert_eq(rd(0, 0x390), 50);
    clock_step(clk, 100);
    cr_assert_eq(rd(0, 0x390), 0);
    cr_assert(!irr_has(0, 0x40));
}

static int ack_timer(int c)
{
    if (!irr_has(c, 0x40)) {
        return 0;
    }
    cr_assert_eq(apic_get_interrupt(apic[c]), 0x40);
    wr(c, 0xb0, 0);
    return 1;
}

Test(apic, timer_periodic)
{
    enable_all();
    wr(0, 0x3e0, 0x0); /* divide by 2 */
    wr(0, 0x320, 0x20040);
    cr_assert_eq(rd(0, 0x320), 0x20040);
    wr(0, 0x380, 5000); /* 10 us */
    clock_step(clk, 9999);
    cr_assert_eq(rd(0, 0x390), 1);
    cr_assert_eq(ack_timer(0), 0);
    clock_step(clk, 1);
    cr_assert_eq(ack_timer(0), 1);
    cr_assert_eq(rd(0, 0x390), 5000, "reloaded");
    clock_step(clk, 3000);
    cr_assert_eq(rd(0, 0x390), 3500);
    clock_step(clk, 7000);
    cr_assert_eq(ack_timer(0), 1, "second period at 20 us");
    clock_set_ns(clk, clock_ns(clk) + 35000); /* missed periods coalesce */
    cr_assert_eq(ack_timer(0), 1);
    cr_assert_eq(rd(0, 0x390), 2500);
    wr(0, 0x380, 0); /* stops */
    clock_step(clk, 100000);
    cr_assert_eq(ack_timer(0), 0);
    cr_assert_eq(rd(0, 0x390), 0);
}

Test(apic, timer_periodic_rate_floor)
{
    enable_all();
    wr(0, 0x3e0, 0xb);
    wr(0, 0x320, 0x20040);
    wr(0, 0x380, 1); /* 1 ns period */
    int fires = 0;
    for (int i = 0; i < 100; i++) {
        clock_step(clk, 100);
        fires += ack_timer(0);
    }
    cr_assert(fires >= 4 && fires <= 6, "%d fires in 10 us", fires);
}

Test(apic, timer_tsc_deadline)
{
    enable_all();
    apic_set_tsc_deadline(apic[0], 12345); /* not in deadline mode */
    cr_assert_eq(apic_get_tsc_deadline(apic[0]), 0);
    wr(0, 0x320, 0x40040);
    wr(0, 0x380, 50); /* ignored in deadline mode */
    cr_assert_eq(rd(0, 0x380), 0);
    uint64_t hz, now = tsc_cb(NULL, &hz);
    apic_set_tsc_deadline(apic[0], now + 2001); /* 1000.5 ns */
    cr_assert_eq(apic_get_tsc_deadline(apic[0]), now + 2001);
    cr_assert_eq(rd(0, 0x390), 0);
    clock_step(clk, 1000);
    cr_assert_eq(ack_timer(0), 0);
    clock_step(clk, 1);
    cr_assert_eq(ack_timer(0), 1);
    cr_assert_eq(apic_get_tsc_deadline(apic[0]), 0, "disarmed on expiry");
    now = tsc_cb(NULL, &hz);
    apic_set_tsc_deadline(apic[0], now - 10); /* in the past: fires now */
    clock_step(clk, 0);
    cr_assert_eq(ack_timer(0), 1);
    apic_set_tsc_deadline(apic[0], now + 100000);
    apic_set_tsc_deadline(apic[0], 0); /* disarm */
    clock_step(clk, 100000);
    cr_assert_eq(ack_timer(0), 0);
    apic_set_tsc_deadline(apic[0], tsc_cb(NULL, &hz) + 1000);
    wr(0, 0x320, 0x40); /* to one-shot: disarmed */
    clock_step(clk, 100000);
    cr_assert_eq(ack_timer(0), 0);
    cr_assert_eq(apic_get_tsc_deadline(apic[0]), 0);
}

Test(apic, esr_write_then_read)
{
    enable_all();
    wr(0, 0x370, 0xe0); /* error LVT, vector 0xe0 */
    wr(0, 0x310, 1u << 24);
    wr(0, 0x300, 0x4005); /* illegal vector: not sent */
    cr_assert(!irr_has(1, 0x05));
    cr_assert_eq(rd(0, 0x280), 0, "not latched yet");
    cr_assert(irr_has(0, 0xe0), "error interrupt");
    wr(0, 0x280, 0);
    cr_assert_eq(rd(0, 0x280), 0x20, "send illegal vector");
    wr(0, 0x280, 0);
    cr_assert_eq(rd(0, 0x280), 0);
    fixed_to(1, 0x03); /* received illegal vector */
    wr(1, 0x280, 0);
    cr_assert_eq(rd(1, 0x280), 0x40);
    rd(2, 0x3f0); /* reserved register in xAPIC mode */
    wr(2, 0x400, 1);
    wr(2, 0x280, 0);
    cr_assert_eq(rd(2, 0x280), 0x80);
    /* an error LVT with an illegal vector: bounded, sets bit 6 too */
    wr(2, 0x370, 0x02);
    wr(2, 0x300, 0x44001);
    wr(2, 0x280, 0);
    cr_assert_eq(rd(2, 0x280), 0x60);
}

Test(apic, msi_decoding)
{
    enable_all();
    cr_assert(apic_bus_msi(bus, 0xfee01000, 0x0041));
    cr_assert(irr_has(1, 0x41) && !irr_has(0, 0x41));
    cr_assert(apic_bus_msi(bus, 0xfee12000, 0x8042)); /* level */
    cr_assert(irr_has(2, 0x42) && tmr_has(2, 0x42));
    cr_assert(apic_bus_msi(bus, 0xfeeff000, 0x0043)); /* broadcast */
    for (int i = 0; i < NCPU; i++) {
        cr_assert(irr_has(i, 0x43));
    }
    cr_assert(apic_bus_msi(bus, 0xfee01000, 0x0400)); /* NMI */
    cr_assert_eq(cpu[1].ev_count[APIC_EV_NMI], 1);
    cr_assert(!apic_bus_msi(bus, 0xfed01000, 0x0044), "not 0xfeexxxxx");
    cr_assert(!apic_bus_msi(bus, 0xfee01000, 0x0344), "reserved mode");
    cr_assert(!apic_bus_msi(bus, 0xfee55000, 0x0045), "nobody");
    /* logical, RH: lowest priority among LDR 1|2 */
    for (int i = 0; i < NCPU; i++) {
        wr(i, 0xd0, (1u << i) << 24);
    }
    wr(1, 0x80, 0x30);
    cr_assert(apic_bus_msi(bus, 0xfee0300c, 0x0046));
    cr_assert(irr_has(0, 0x46) && !irr_has(1, 0x46) && !irr_has(2, 0x46));
    /* through the MSI window, as a device's DMA write */
    MemRegion *dma_root = mr_new_container("dma", UINT64_MAX);
    AddrSpace *dma = as_new("dma", dma_root);
    mr_add_subregion(dma_root, APIC_MSI_BASE, apic_bus_msi_region(bus), 0);
    as_st32(dma, 0xfee12000, 0x0047);
    cr_assert(irr_has(2, 0x47));
    mr_del_subregion(dma_root, apic_bus_msi_region(bus));
    as_free(dma);
    mr_free(dma_root);
}

Test(apic, extint_and_nmi_through_lint)
{
    enable_all();
    apic_set_lint(apic[0], 0, 1); /* LINT0 masked: nothing */
    cr_assert_eq(cpu[0].intr, 0);
    wr(0, 0x350, 0x700); /* ExtINT */
    cr_assert_eq(cpu[0].intr, 1, "the PIC's INTR, already up");
    cr_assert_eq(apic_get_interrupt(apic[0]), 0x30);
    cr_assert_eq(cpu[0].extint_acks, 1);
    apic_set_lint(apic[0], 0, 0);
    cr_assert_eq(cpu[0].intr, 0);
    wr(0, 0x360, 0x400); /* LINT1 NMI */
    apic_set_lint(apic[0], 1, 1);
    apic_set_lint(apic[0], 1, 1);
    cr_assert_eq(cpu[0].ev_count[APIC_EV_NMI], 1, "edge");
    /* ExtINT through an IOAPIC/MSI message */
    cr_assert(apic_bus_msi(bus, 0xfee01000, 0x0700));
    cr_assert_eq(cpu[1].intr, 1);
    cr_assert_eq(apic_get_interrupt(apic[1]), 0x30);
    cr_assert_eq(cpu[1].intr, 0);
}

Test(apic, lint_pass_through_when_disabled)
{
    cr_assert(apic_set_base(apic[0], B | APIC_BASE_BSP, 39));
    apic_set_lint(apic[0], 0, 1);
    cr_assert_eq(cpu[0].intr, 1);
    cr_assert_eq(apic_get_interrupt(apic[0]), 0x30);
    apic_set_lint(apic[0], 1, 1);
    cr_assert_eq(cpu[0].ev_count[APIC_EV_NMI], 1);
}

Test(apic, lint_level_remote_irr)
{
    enable_all();
    wr(0, 0x350, 0x8033); /* fixed, level, vector 0x33 */
    apic_set_lint(apic[0], 0, 1);
    cr_assert(irr_has(0, 0x33) && tmr_has(0, 0x33));
    cr_assert_eq(rd(0, 0x350), 0xc033, "remote IRR");
    cr_assert_eq(apic_get_interrupt(apic[0]), 0x33);
    wr(0, 0xb0, 0); /* still asserted: delivered again */
    cr_assert_eq(eoi_count, 1);
    cr_assert(irr_has(0, 0x33));
    apic_set_lint(apic[0], 0, 0);
    cr_assert_eq(apic_get_interrupt(apic[0]), 0x33);
    wr(0, 0xb0, 0);
    cr_assert_eq(rd(0, 0x350), 0x8033);
    cr_assert(!irr_has(0, 0x33));
}

Test(apic, local_sources)
{
    enable_all();
    wr(0, 0x340, 0x0a8); /* perf: fixed 0xa8 */
    wr(0, 0x330, 0x400); /* thermal: NMI */
    apic_local_interrupt(apic[0], APIC_LVT_PERF);
    apic_local_interrupt(apic[0], APIC_LVT_THERMAL);
    apic_local_interrupt(apic[0], APIC_LVT_CMCI); /* masked */
    apic_local_interrupt(apic[0], 99);
    cr_assert(irr_has(0, 0xa8));
    cr_assert_eq(cpu[0].ev_count[APIC_EV_NMI], 1);
}

Test(apic, hostile_accesses)
{
    enable_all();
    cr_assert_eq(as_ld8(as[0], B + 0x20), 0, "byte access refused");
    cr_assert_eq(as_ld32(as[0], B + 0x24), 0, "unaligned");
    as_st16(as[0], B + 0xf0, 0);
    cr_assert_eq(rd(0, 0xf0), 0x1ff);
    /* every register of every LAPIC written with all ones, then zeros */
    for (uint32_t v = 0; v < 2; v++) {
        for (uint32_t off = 0; off < APIC_MMIO_SIZE; off += 16) {
            for (int i = 0; i < NCPU; i++) {
                wr(i, off, v ? 0xffffffffu : 0);
                (void)rd(i, off);
            }
        }
        clock_step(clk, 100000);
        for (int i = 0; i < NCPU; i++) {
            for (int n = 0; n < 300 && apic_has_interrupt(apic[i]); n++) {
                apic_get_interrupt(apic[i]);
                wr(i, 0xb0, 0);
            }
        }
    }
    x2_enable(1);
    for (uint32_t msr = 0x800; msr <= 0x8ff; msr++) {
        uint64_t val;
        int ok = apic_msr_read(apic[1], msr, &val);
        ok += apic_msr_write(apic[1], msr, ~0ull);
        ok += apic_msr_write(apic[1], msr, 0);
        cr_assert(ok <= 3);
    }
    cr_assert(!apic_msr_read(apic[1], 0x900, &(uint64_t){0}));
    apic_set_lint(apic[1], 7, 1);
    cr_assert_eq(msr_rd(1, 0x802), 1, "still alive, ID intact");
}

/* a random program of register, MSR, base, pin and clock operations */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static uint32_t rng_value(void)
{
    static const uint32_t special[] = {
        0, 1, 0xff, 0x100, 0x10000, 0x700, 0x400, 0x4000, 0xffffffffu};
    uint64_t r = rng();
    return (r & 3) ? special[(r >> 2) % ARRAY_LEN(special)] : (uint32_t)r;
}

static void random_op(void)
{
    int c = (int)(rng() % NCPU);
    uint64_t r = rng(), v;
    switch (r % 9) {
    case 0:
    case 1:
        wr(c, (uint32_t)(rng() % 0x40) * 16, rng_value());
        break;
    case 2:
        (void)rd(c, (uint32_t)(rng() % 0x40) * 16);
        break;
    case 3:
        if (apic_msr_write(apic[c], 0x800 + (uint32_t)(rng() % 0x40),
                           rng_value() | (rng() & 1 ? 0 : rng()) << 32)) {
            break;
        }
        (void)!apic_msr_read(apic[c], 0x800 + (uint32_t)(rng() % 0x40), &v);
        break;
    case 4: {
        static const uint64_t bases[] = {B, B | APIC_BASE_EN,
                                         B | APIC_BASE_EN | APIC_BASE_EXTD,
                                         B | APIC_BASE_EXTD};
        (void)!apic_set_base(apic[c], bases[rng() % 4], 39);
        break;
    }
    case 5:
        apic_set_lint(apic[c], (int)(rng() % 2), (int)(rng() % 2));
        break;
    case 6:
        clock_step(clk, (int64_t)(rng() % 20000));
        break;
    case 7:
        apic_set_tsc_deadline(apic[c], tsc_cb(NULL, &v) + rng() % 10000);
        break;
    default:
        if (apic_has_interrupt(apic[c])) {
            int vec = apic_get_interrupt(apic[c]);
            cr_assert(vec >= 0 && vec < 256);
        }
        apic_bus_msi(bus, 0xfee00000 | (rng() & 0xfffff), rng_value());
        break;
    }
    for (int i = 0; i < NCPU; i++) {
        cr_assert_eq(cpu[i].intr, apic_has_interrupt(apic[i]),
                     "INTR level follows the state");
    }
}

Test(apic, random_programs)
{
    for (int i = 0; i < 20000; i++) {
        random_op();
    }
    for (int i = 0; i < NCPU; i++) {
        for (int n = 0; n < 600 && apic_has_interrupt(apic[i]); n++) {
            cr_assert(apic_get_interrupt(apic[i]) < 256);
            if (apic_x2apic_mode(apic[i])) {
                cr_assert(apic_msr_write(apic[i], 0x80b, 0));
            } else {
                wr(i, 0xb0, 0);
            }
        }
    }
}
