/*
 * IOAPIC registers through system memory (IOREGSEL/IOWIN/EOI) with a fake
 * local APIC bus that records every message.
 */
#include <criterion/criterion.h>

#include "hw/intc/ioapic.h"

#define B IOAPIC_BASE

typedef struct Msg {
    uint32_t dest;
    int dest_mode, dm, vector, trigger;
} Msg;

static MemRegion *root;
static AddrSpace *mem;
static Ioapic *io;
static Msg msgs[64];
static int nmsgs;

static void deliver(void *opaque, uint32_t dest, int dest_mode, int dm,
                    int vector, int trigger)
{
    (void)opaque;
    if (nmsgs < 64) {
        msgs[nmsgs] = (Msg){dest, dest_mode, dm, vector, trigger};
    }
    nmsgs++;
}

static void setup(void)
{
    root = mr_new_container("sys", UINT64_MAX);
    mem = as_new("sys", root);
    nmsgs = 0;
    io = ioapic_new(root, B, deliver, NULL);
}

static void teardown(void)
{
    ioapic_free(io);
    as_free(mem);
    mr_free(root);
}

static uint32_t rd(uint32_t reg)
{
    as_st32(mem, B + IOAPIC_IOREGSEL, reg);
    return as_ld32(mem, B + IOAPIC_IOWIN);
}

static void wr(uint32_t reg, uint32_t val)
{
    as_st32(mem, B + IOAPIC_IOREGSEL, reg);
    as_st32(mem, B + IOAPIC_IOWIN, val);
}

static void set_rte(int pin, uint64_t e)
{
    wr(0x11 + 2 * pin, (uint32_t)(e >> 32));
    wr(0x10 + 2 * pin, (uint32_t)e);
}

static uint64_t get_rte(int pin)
{
    return (uint64_t)rd(0x11 + 2 * pin) << 32 | rd(0x10 + 2 * pin);
}

TestSuite(ioapic, .init = setup, .fini = teardown, .timeout = 10);

Test(ioapic, id_version_arbitration)
{
    cr_assert_eq(rd(IOAPIC_REG_VER), 0x170020, "24 entries, version 0x20");
    cr_assert_eq(rd(IOAPIC_REG_ID), 0);
    wr(IOAPIC_REG_ID, 0xffffffff);
    cr_assert_eq(rd(IOAPIC_REG_ID), 0x0f000000, "only bits 27:24");
    cr_assert_eq(rd(IOAPIC_REG_ARB), 0x0f000000);
    wr(IOAPIC_REG_VER, 0);
    wr(IOAPIC_REG_ARB, 0);
    cr_assert_eq(rd(IOAPIC_REG_VER), 0x170020, "read-only");
    cr_assert_eq(rd(IOAPIC_REG_ARB), 0x0f000000, "read-only");
    as_st32(mem, B, 0x1234);
    cr_assert_eq(as_ld32(mem, B), 0x34, "IOREGSEL is 8 bits");
    cr_assert_eq(rd(0x03), 0, "reserved register reads 0");
    cr_assert_eq(rd(0x40), 0, "past the table reads 0");
    wr(0xff, 0xdead); /* ignored */
    as_st8(mem, B, 0x01);
    cr_assert_eq(as_ld8(mem, B + IOAPIC_IOWIN), 0x20, "byte access");
}

Test(ioapic, reset_masks_all_entries)
{
    for (int pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        cr_assert_eq(get_rte(pin), IOAPIC_RTE_MASKED);
    }
}

Test(ioapic, entry_fields_and_read_only_bits)
{
    set_rte(5, ~0ull);
    uint64_t e = get_rte(5);
    cr_assert_eq(e, 0xff0000000001afffull,
                 "reserved, delivery status and remote IRR stay 0: %llx",
                 (unsigned long long)e);
    set_rte(5, 0x12ull << 56 | IOAPIC_RTE_POLARITY | IOAPIC_RTE_DESTMODE |
                   (1ull << 8) | 0x45);
    e = get_rte(5);
    cr_assert_eq(e >> 56, 0x12);
    cr_assert_eq(e & 0xff, 0x45);
    cr_assert_eq((e >> 8) & 7, IOAPIC_DM_LOWPRI);
    cr_assert(e & IOAPIC_RTE_DESTMODE);
    cr_assert(e & IOAPIC_RTE_POLARITY);
    cr_assert_eq(ioapic_get_entry(io, 5), e);
}

Test(ioapic, edge_delivers_each_rising_edge)
{
    set_rte(2, 0x03ull << 56 | 0x30);
    ioapic_set_irq(io, 2, 1);
    ioapic_set_irq(io, 2, 1); /* no new edge */
    cr_assert_eq(nmsgs, 1);
    cr_assert_eq(msgs[0].dest, 3);
    cr_assert_eq(msgs[0].vector, 0x30);
    cr_assert_eq(msgs[0].dm, IOAPIC_DM_FIXED);
    cr_assert_eq(msgs[0].dest_mode, 0);
    cr_assert_eq(msgs[0].trigger, 0);
    ioapic_set_irq(io, 2, 0);
    cr_assert_eq(nmsgs, 1, "falling edge delivers nothing");
    IrqLine l = ioapic_irq_line(io, 2);
    irq_pulse(&l);
    cr_assert_eq(nmsgs, 2);
    cr_assert_eq(get_rte(2) & IOAPIC_RTE_REMOTE_IRR, 0, "no remote IRR");
}

Test(ioapic, logical_mode_and_delivery_modes)
{
    set_rte(1, 0x81ull << 56 | IOAPIC_RTE_DESTMODE | IOAPIC_DM_NMI << 8 |
                   IOAPIC_RTE_LEVEL);
    ioapic_set_irq(io, 1, 1);
    cr_assert_eq(nmsgs, 1);
    cr_assert_eq(msgs[0].dest, 0x81);
    cr_assert_eq(msgs[0].dest_mode, 1);
    cr_assert_eq(msgs[0].dm, IOAPIC_DM_NMI);
    cr_assert_eq(msgs[0].trigger, 0, "NMI is always edge");
    cr_assert_eq(get_rte(1) & IOAPIC_RTE_REMOTE_IRR, 0);
    set_rte(0, IOAPIC_DM_EXTINT << 8 | IOAPIC_RTE_LEVEL);
    ioapic_set_irq(io, 0, 1);
    cr_assert_eq(nmsgs, 2);
    cr_assert_eq(msgs[1].dm, IOAPIC_DM_EXTINT);
    cr_assert_eq(msgs[1].trigger, 0, "ExtINT is always edge");
    cr_assert_eq(get_rte(0) & IOAPIC_RTE_REMOTE_IRR, 0);
    set_rte(3, 3 << 8 | 0x40); /* reserved mode: nothing */
    ioapic_set_irq(io, 3, 1);
    cr_assert_eq(nmsgs, 2);
}

Test(ioapic, level_remote_irr_and_eoi_broadcast)
{
    set_rte(9, IOAPIC_RTE_LEVEL | IOAPIC_RTE_POLARITY | 0x59);
    ioapic_set_irq(io, 9, 1);
    cr_assert_eq(nmsgs, 1);
    cr_assert_eq(msgs[0].trigger, 1);
    cr_assert(get_rte(9) & IOAPIC_RTE_REMOTE_IRR);
    ioapic_set_irq(io, 9, 0);
    ioapic_set_irq(io, 9, 1);
    cr_assert_eq(nmsgs, 1, "remote IRR holds further deliveries");
    ioapic_eoi(io, 0x58);
    cr_assert_eq(nmsgs, 1, "other vector");
    cr_assert(get_rte(9) & IOAPIC_RTE_REMOTE_IRR);
    ioapic_eoi(io, 0x59);
    cr_assert_eq(nmsgs, 2, "still asserted: delivered again");
    cr_assert(get_rte(9) & IOAPIC_RTE_REMOTE_IRR);
    ioapic_set_irq(io, 9, 0);
    ioapic_eoi(io, 0x59);
    cr_assert_eq(nmsgs, 2);
    cr_assert_eq(get_rte(9) & IOAPIC_RTE_REMOTE_IRR, 0);
}

Test(ioapic, eoi_register)
{
    set_rte(16, IOAPIC_RTE_LEVEL | 0x61);
    set_rte(17, IOAPIC_RTE_LEVEL | 0x61);
    ioapic_set_irq(io, 16, 1);
    ioapic_set_irq(io, 17, 1);
    cr_assert_eq(nmsgs, 2);
    as_st32(mem, B + IOAPIC_EOI, 0xffffff61);
    cr_assert_eq(nmsgs, 4, "both pins with the vector are serviced again");
    ioapic_set_irq(io, 16, 0);
    ioapic_set_irq(io, 17, 0);
    as_st32(mem, B + IOAPIC_EOI, 0x61);
    cr_assert_eq(get_rte(16) & IOAPIC_RTE_REMOTE_IRR, 0);
    cr_assert_eq(get_rte(17) & IOAPIC_RTE_REMOTE_IRR, 0);
}

Test(ioapic, switching_to_edge_clears_remote_irr)
{
    set_rte(4, IOAPIC_RTE_LEVEL | 0x34);
    ioapic_set_irq(io, 4, 1);
    cr_assert(get_rte(4) & IOAPIC_RTE_REMOTE_IRR);
    wr(0x10 + 8, 0x34 | IOAPIC_RTE_MASKED);
    cr_assert_eq(get_rte(4) & IOAPIC_RTE_REMOTE_IRR, 0);
}

Test(ioapic, masked_pins)
{
    set_rte(7, IOAPIC_RTE_MASKED | 0x37);
    ioapic_set_irq(io, 7, 1);
    ioapic_set_irq(io, 7, 0);
    set_rte(7, 0x37);
    cr_assert_eq(nmsgs, 0, "masked edge is lost");
    ioapic_set_irq(io, 7, 1);
    cr_assert_eq(nmsgs, 1);

    set_rte(8, IOAPIC_RTE_MASKED | IOAPIC_RTE_LEVEL | 0x38);
    ioapic_set_irq(io, 8, 1);
    cr_assert_eq(nmsgs, 1, "masked level");
    cr_assert_eq(get_rte(8) & IOAPIC_RTE_REMOTE_IRR, 0);
    set_rte(8, IOAPIC_RTE_LEVEL | 0x38);
    cr_assert_eq(nmsgs, 2, "unmasking an asserted level pin delivers");
    cr_assert_eq(msgs[1].vector, 0x38);
    /* masked during service: the EOI clears remote IRR, no delivery */
    set_rte(8, IOAPIC_RTE_MASKED | IOAPIC_RTE_LEVEL | 0x38);
    ioapic_eoi(io, 0x38);
    cr_assert_eq(nmsgs, 2);
    cr_assert_eq(get_rte(8) & IOAPIC_RTE_REMOTE_IRR, 0);
}

Test(ioapic, hostile_values_and_pins)
{
    ioapic_set_irq(io, -1, 1);
    ioapic_set_irq(io, 24, 1);
    ioapic_set_irq(io, 1000, 1);
    for (uint32_t reg = 0; reg < 0x100; reg++) {
        wr(reg, 0xffffffff);
        (void)rd(reg);
    }
    for (uint64_t off = 0; off < IOAPIC_SIZE; off += 4) {
        as_st32(mem, B + off, 0xffffffff);
        (void)as_ld32(mem, B + off);
    }
    (void)as_ld64(mem, B);
    for (int pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        ioapic_set_irq(io, pin, 1);
    }
    cr_assert_eq(nmsgs, 0, "everything written masked");
    ioapic_reset(io);
    cr_assert_eq(get_rte(23), IOAPIC_RTE_MASKED);
    cr_assert_eq(rd(IOAPIC_REG_ID), 0);
}

Test(ioapic, vmstate_covers_the_table)
{
    size_t n;
    const VmStateField *f = ioapic_get_vmstate(&n);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        total += f[i].size;
    }
    cr_assert_geq(total, IOAPIC_NUM_PINS * 8 + 12);
}
