/*
 * 8259A PIC pair through the I/O address space, as a driver sees it: the
 * BIOS-style ICW sequence, then IRQ inputs via the PIC's IrqLines and the
 * INTR output recorded by a fake line; i8259_intack() plays the CPU.
 */
#include <criterion/criterion.h>

#include "hw/intc/i8259.h"

static MemRegion *root;
static AddrSpace *io;
static I8259 *pic;
static int intr_level, intr_changes;

static void intr_cb(void *opaque, int n, int level)
{
    intr_level = level;
    intr_changes++;
}

/* the BIOS-style init: master vectors 0x08, slave 0x70, cascade on IR2 */
static void pic_init_chips(uint8_t icw4)
{
    as_st8(io, 0x20, 0x11);
    as_st8(io, 0x21, 0x08);
    as_st8(io, 0x21, 0x04);
    as_st8(io, 0x21, icw4);
    as_st8(io, 0xa0, 0x11);
    as_st8(io, 0xa1, 0x70);
    as_st8(io, 0xa1, 0x02);
    as_st8(io, 0xa1, icw4);
}

static void setup(void)
{
    root = mr_new_container("io", 0x10000);
    io = as_new("io", root);
    intr_level = 0;
    intr_changes = 0;
    pic = i8259_new(root, irq_line(intr_cb, NULL, 0));
    pic_init_chips(0x01);
}

static void teardown(void)
{
    i8259_free(pic);
    as_free(io);
    mr_free(root);
}

static void pulse(int n)
{
    irq_pulse(i8259_irq_line(pic, n));
}

static void eoi_master(void)
{
    as_st8(io, 0x20, 0x20);
}

TestSuite(i8259, .init = setup, .fini = teardown, .timeout = 10);

Test(i8259, init_sets_vectors_and_masks)
{
    as_st8(io, 0x21, 0xa6);
    cr_assert_eq(as_ld8(io, 0x21), 0xa6);
    cr_assert_eq(as_ld8(io, 0xa1), 0x00);
    pulse(1);
    cr_assert_eq(intr_level, 0, "IRQ1 is masked");
    as_st8(io, 0x21, 0x00);
    cr_assert_eq(intr_level, 1);
    cr_assert_eq(i8259_intack(pic), 0x09);
}

Test(i8259, priority_lowest_irq_first_and_nesting)
{
    pulse(5);
    pulse(3);
    cr_assert_eq(as_ld8(io, 0x20), 0x28, "IRR has 3 and 5");
    cr_assert_eq(i8259_intack(pic), 0x0b);
    cr_assert_eq(intr_level, 0, "IR5 waits behind IR3 in service");
    as_st8(io, 0x20, 0x0b); /* OCW3: read ISR */
    cr_assert_eq(as_ld8(io, 0x20), 0x08);
    pulse(1);
    cr_assert_eq(intr_level, 1, "IR1 pre-empts IR3");
    cr_assert_eq(i8259_intack(pic), 0x09);
    cr_assert_eq(as_ld8(io, 0x20), 0x0a);
    eoi_master(); /* non-specific: clears IR1, the highest */
    cr_assert_eq(as_ld8(io, 0x20), 0x08);
    eoi_master();
    cr_assert_eq(intr_level, 1);
    cr_assert_eq(i8259_intack(pic), 0x0d);
}

Test(i8259, cascade_through_slave)
{
    pulse(12);
    cr_assert_eq(intr_level, 1);
    cr_assert_eq(i8259_intack(pic), 0x74);
    as_st8(io, 0xa0, 0x0b);
    as_st8(io, 0x20, 0x0b);
    cr_assert_eq(as_ld8(io, 0xa0), 0x10, "slave ISR has IR4");
    cr_assert_eq(as_ld8(io, 0x20), 0x04, "master ISR has IR2");
    pulse(13);
    cr_assert_eq(intr_level, 0, "slave IR5 is lower than IR4");
    as_st8(io, 0xa0, 0x20);
    as_st8(io, 0x20, 0x20);
    cr_assert_eq(intr_level, 1);
    cr_assert_eq(i8259_intack(pic), 0x75);
}

Test(i8259, slave_mask_blocks_cascade)
{
    as_st8(io, 0xa1, 0x01);
    pulse(8);
    cr_assert_eq(intr_level, 0);
    as_st8(io, 0x21, 0x04); /* mask the cascade too, then unmask the slave */
    as_st8(io, 0xa1, 0x00);
    cr_assert_eq(intr_level, 0);
    as_st8(io, 0x21, 0x00);
    cr_assert_eq(i8259_intack(pic), 0x70);
}

Test(i8259, specific_eoi_clears_only_that_bit)
{
    pulse(4);
    cr_assert_eq(i8259_intack(pic), 0x0c);
    pulse(0);
    cr_assert_eq(i8259_intack(pic), 0x08);
    as_st8(io, 0x20, 0x64); /* specific EOI IR4 */
    as_st8(io, 0x20, 0x0b);
    cr_assert_eq(as_ld8(io, 0x20), 0x01);
    as_st8(io, 0x20, 0x60);
    cr_assert_eq(as_ld8(io, 0x20), 0x00);
}

Test(i8259, auto_eoi_leaves_isr_clear)
{
    pic_init_chips(0x03);
    pulse(6);
    cr_assert_eq(i8259_intack(pic), 0x0e);
    as_st8(io, 0x20, 0x0b);
    cr_assert_eq(as_ld8(io, 0x20), 0x00);
    pulse(7);
    cr_assert_eq(intr_level, 1, "no EOI needed");
    cr_assert_eq(i8259_intack(pic), 0x0f);
}

Test(i8259, edge_needs_new_rising_edge_level_follows_pin)
{
    IrqLine *l3 = i8259_irq_line(pic, 3);
    irq_raise(l3);
    cr_assert_eq(i8259_intack(pic), 0x0b);
    eoi_master();
    cr_assert_eq(intr_level, 0, "edge: held high is not a new request");
    irq_lower(l3);
    as_st8(io, 0x4d0, 0x08); /* IRQ3 level */
    cr_assert_eq(as_ld8(io, 0x4d0), 0x08);
    irq_raise(l3);
    cr_assert_eq(i8259_intack(pic), 0x0b);
    eoi_master();
    cr_assert_eq(intr_level, 1, "level: still asserted after EOI");
    irq_lower(l3);
    cr_assert_eq(intr_level, 0);
}

Test(i8259, elcr_reserved_bits_stay_edge)
{
    as_st8(io, 0x4d0, 0xff);
    as_st8(io, 0x4d1, 0xff);
    cr_assert_eq(as_ld8(io, 0x4d0), 0xf8);
    cr_assert_eq(as_ld8(io, 0x4d1), 0xde);
}

Test(i8259, spurious_irq7_when_request_vanishes)
{
    IrqLine *l5 = i8259_irq_line(pic, 5);
    as_st8(io, 0x4d0, 0x20);
    irq_raise(l5);
    cr_assert_eq(intr_level, 1);
    irq_lower(l5);
    cr_assert_eq(i8259_intack(pic), 0x0f);
    as_st8(io, 0x20, 0x0b);
    cr_assert_eq(as_ld8(io, 0x20), 0x00, "spurious IRQ7 sets no ISR bit");
}

Test(i8259, vanished_slave_request_is_spurious)
{
    IrqLine *l10 = i8259_irq_line(pic, 10);
    as_st8(io, 0x4d1, 0x04);
    irq_raise(l10);
    irq_lower(l10);
    /* the master saw IR2 drop too: spurious IRQ7 from the master */
    cr_assert_eq(i8259_intack(pic), 0x0f);
}

Test(i8259, poll_mode_returns_highest_request)
{
    as_st8(io, 0x21, 0xff); /* polled systems mask INTR */
    pulse(6);
    pulse(4);
    as_st8(io, 0x21, 0x00);
    as_st8(io, 0x20, 0x0c); /* OCW3 poll */
    cr_assert_eq(as_ld8(io, 0x20), 0x84);
    as_st8(io, 0x20, 0x0c);
    cr_assert_eq(as_ld8(io, 0x20), 0x00, "IR6 is below IR4 in service");
    eoi_master();
    as_st8(io, 0x20, 0x0c);
    cr_assert_eq(as_ld8(io, 0x20), 0x86);
}

Test(i8259, rotate_on_eoi_makes_served_irq_lowest)
{
    pulse(1);
    cr_assert_eq(i8259_intack(pic), 0x09);
    as_st8(io, 0x20, 0xa0); /* rotate on non-specific EOI: IR1 lowest */
    pulse(1);
    pulse(3);
    cr_assert_eq(i8259_intack(pic), 0x0b, "IR3 now outranks IR1");
    as_st8(io, 0x20, 0xc4); /* set priority: IR4 lowest, IR5 highest */
    as_st8(io, 0x20, 0x63);
    pulse(5);
    cr_assert_eq(i8259_intack(pic), 0x0d);
}

Test(i8259, rotate_in_aeoi)
{
    pic_init_chips(0x03);
    as_st8(io, 0x20, 0x80);
    pulse(0);
    cr_assert_eq(i8259_intack(pic), 0x08);
    pulse(0);
    pulse(7);
    cr_assert_eq(i8259_intack(pic), 0x0f, "IR0 rotated to lowest");
}

Test(i8259, special_mask_mode_allows_lower_priority)
{
    pulse(2 + 1);
    cr_assert_eq(i8259_intack(pic), 0x0b);
    pulse(6);
    cr_assert_eq(intr_level, 0);
    as_st8(io, 0x21, 0x08); /* mask IR3, enter special mask mode */
    as_st8(io, 0x20, 0x68);
    cr_assert_eq(intr_level, 1);
    cr_assert_eq(i8259_intack(pic), 0x0e);
}

Test(i8259, malformed_accesses_are_harmless)
{
    cr_assert_eq(i8259_irq_line(pic, 99), i8259_irq_line(pic, -1));
    irq_raise(i8259_irq_line(pic, 99));
    irq_raise(i8259_irq_line(pic, 2));
    cr_assert_eq(intr_level, 0);
    as_st16(io, 0x20, 0xffff); /* wrong size: dropped */
    cr_assert_eq(as_ld8(io, 0x21), 0x00);
    cr_assert_eq(as_ld16(io, 0x20), 0xffff, "invalid size reads all-ones");
    as_st8(io, 0x20, 0x40); /* OCW2 no-op */
    cr_assert_eq(as_ld8(io, 0x21), 0x00);
}
