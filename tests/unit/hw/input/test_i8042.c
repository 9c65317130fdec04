/*
 * i8042 controller, PS/2 keyboard and mouse through ports 0x60/0x64, as a
 * driver sees them; key and mouse events come from the UI-side API. IRQ 1,
 * IRQ 12, A20 and reset are recording fake lines.
 */
#include <criterion/criterion.h>

#include "hw/input/i8042.h"

enum { L_KBD, L_AUX, L_A20, L_RESET };

static MemRegion *root;
static AddrSpace *io;
static I8042 *kbc;
static int level[4], rises[4];

static void line_cb(void *opaque, int n, int lvl)
{
    if (lvl && !level[n]) {
        rises[n]++;
    }
    level[n] = lvl;
}

static void setup(void)
{
    root = mr_new_container("io", 0x10000);
    io = as_new("io", root);
    for (int i = 0; i < 4; i++) {
        level[i] = rises[i] = 0;
    }
    kbc = i8042_new(
        root, irq_line(line_cb, NULL, L_KBD), irq_line(line_cb, NULL, L_AUX),
        irq_line(line_cb, NULL, L_A20), irq_line(line_cb, NULL, L_RESET));
}

static void teardown(void)
{
    i8042_free(kbc);
    as_free(io);
    mr_free(root);
}

TestSuite(i8042, .init = setup, .fini = teardown, .timeout = 10);

static void cmd(uint8_t c)
{
    as_st8(io, 0x64, c);
}

static void data(uint8_t d)
{
    as_st8(io, 0x60, d);
}

/* next output byte, or -1 when the buffer is empty */
static int next(void)
{
    if (!(as_ld8(io, 0x64) & 1)) {
        return -1;
    }
    return as_ld8(io, 0x60);
}

static void expect(const int *bytes, int n)
{
    for (int i = 0; i < n; i++) {
        int b = next();
        cr_assert_eq(b, bytes[i], "byte %d: got 0x%x want 0x%x", i, b,
                     bytes[i]);
    }
    cr_assert_eq(next(), -1, "no more bytes");
}

#define EXPECT(...)                                                            \
    do {                                                                       \
        const int want_[] = {__VA_ARGS__};                                     \
        expect(want_, (int)(sizeof(want_) / sizeof(want_[0])));                \
    } while (0)

Test(i8042, self_test_and_interface_tests)
{
    cr_assert_eq(as_ld8(io, 0x64) & 0x04, 0);
    cmd(0xaa);
    cr_assert_eq(as_ld8(io, 0x64) & 0x09, 0x09, "OBF, last write a command");
    EXPECT(0x55);
    cr_assert_eq(as_ld8(io, 0x64) & 0x04, 0x04, "system flag");
    cmd(0xab);
    EXPECT(0x00);
    cmd(0xa9);
    EXPECT(0x00);
}

Test(i8042, command_byte_read_write)
{
    cmd(0x20);
    EXPECT(0x41);
    cmd(0x60);
    data(0x07);
    cr_assert_eq(as_ld8(io, 0x64) & 0x08, 0);
    cmd(0x20);
    EXPECT(0x07);
    cr_assert_eq(as_ld8(io, 0x64) & 0x04, 0x04);
    cmd(0xad);
    cmd(0xa7);
    cmd(0x20);
    EXPECT(0x37);
    cmd(0xae);
    cmd(0xa8);
    cmd(0x20);
    EXPECT(0x07);
}

Test(i8042, keyboard_reset_echo_identify)
{
    cmd(0x60);
    data(0x01); /* no translation */
    data(0xff);
    EXPECT(0xfa, 0xaa);
    data(0xee);
    EXPECT(0xee);
    data(0xf2);
    EXPECT(0xfa, 0xab, 0x83);
    data(0xed);
    data(0x07);
    EXPECT(0xfa, 0xfa);
    data(0x42); /* not a command */
    EXPECT(0xfe);
}

Test(i8042, identify_is_translated)
{
    data(0xf2);
    EXPECT(0xfa, 0xab, 0x41);
}

Test(i8042, scancode_set_select_and_query)
{
    cmd(0x60);
    data(0x01);
    data(0xf0);
    data(0x00);
    EXPECT(0xfa, 0xfa, 0x02);
    data(0xf0);
    data(0x01);
    EXPECT(0xfa, 0xfa);
    data(0xf0);
    data(0x00);
    EXPECT(0xfa, 0xfa, 0x01);
    data(0xf0);
    data(0x09);
    EXPECT(0xfa, 0xfe);
}

Test(i8042, key_in_set1_through_translation)
{
    i8042_key_event(kbc, 0x1c, true); /* A */
    i8042_key_event(kbc, 0x1c, false);
    i8042_key_event(kbc, 0xe075, true); /* cursor up */
    i8042_key_event(kbc, 0xe075, false);
    EXPECT(0x1e, 0x9e, 0xe0, 0x48, 0xe0, 0xc8);
    cr_assert_eq(rises[L_KBD], 6, "one IRQ 1 edge per byte");
    cr_assert_eq(level[L_KBD], 0);
}

Test(i8042, key_in_set2_without_translation)
{
    cmd(0x60);
    data(0x01);
    i8042_key_event(kbc, 0x1c, true);
    i8042_key_event(kbc, 0x1c, false);
    i8042_key_event(kbc, 0xe014, false); /* right Ctrl up */
    EXPECT(0x1c, 0xf0, 0x1c, 0xe0, 0xf0, 0x14);
}

Test(i8042, keyboard_in_set1_without_translation)
{
    cmd(0x60);
    data(0x01);
    data(0xf0);
    data(0x01);
    EXPECT(0xfa, 0xfa);
    i8042_key_event(kbc, 0x76, true); /* Esc */
    i8042_key_event(kbc, 0x76, false);
    EXPECT(0x01, 0x81);
}

Test(i8042, disabled_keyboard_holds_bytes)
{
    cmd(0xad);
    i8042_key_event(kbc, 0x1c, true);
    cr_assert_eq(next(), -1);
    cmd(0xae);
    EXPECT(0x1e);
    data(0xf5); /* scanning off */
    EXPECT(0xfa);
    i8042_key_event(kbc, 0x1c, true);
    cr_assert_eq(next(), -1);
}

Test(i8042, mouse_packet_after_enabling_reporting)
{
    cmd(0x60);
    data(0x03); /* both interrupts, no translation */
    i8042_mouse_event(kbc, 5, 5, 0, 0);
    cr_assert_eq(next(), -1, "reporting is off");
    cmd(0xd4);
    data(0xf4);
    cr_assert_eq(as_ld8(io, 0x64) & 0x21, 0x21, "OBF and AUXB");
    cr_assert_eq(level[L_AUX], 1);
    cr_assert_eq(level[L_KBD], 0);
    EXPECT(0xfa);
    i8042_mouse_event(kbc, 5, 3, 0, I8042_BUTTON_LEFT);
    EXPECT(0x29, 0x05, 0xfd);
    i8042_mouse_event(kbc, -300, -2, 0, I8042_BUTTON_RIGHT);
    EXPECT(0x5a, 0x00, 0x02);
    cr_assert_eq(rises[L_AUX], 7);
}

Test(i8042, mouse_intellimouse_knock_and_status)
{
    static const uint8_t rates[] = {200, 100, 80};
    for (int i = 0; i < 3; i++) {
        cmd(0xd4);
        data(0xf3);
        cmd(0xd4);
        data(rates[i]);
    }
    EXPECT(0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa);
    cmd(0xd4);
    data(0xf2);
    EXPECT(0xfa, 0x03);
    cmd(0xd4);
    data(0xe8);
    cmd(0xd4);
    data(0x03);
    cmd(0xd4);
    data(0xf4);
    cmd(0xd4);
    data(0xe9);
    EXPECT(0xfa, 0xfa, 0xfa, 0xfa, 0x20, 0x03, 80);
    i8042_mouse_event(kbc, 1, -1, 2, I8042_BUTTON_MIDDLE);
    EXPECT(0x0c, 0x01, 0x01, 0x02);
    cmd(0xd4);
    data(0xff);
    EXPECT(0xfa, 0xaa, 0x00);
    cmd(0xd4);
    data(0xf2);
    EXPECT(0xfa, 0x00);
}

Test(i8042, mouse_remote_mode_read_data)
{
    cmd(0xd4);
    data(0xf0);
    cmd(0xd4);
    data(0xf4);
    i8042_mouse_event(kbc, 10, 0, 0, 0);
    EXPECT(0xfa, 0xfa);
    cmd(0xd4);
    data(0xeb);
    EXPECT(0xfa, 0x08, 0x0a, 0x00);
}

Test(i8042, a20_and_reset_lines)
{
    cr_assert(i8042_a20_enabled(kbc));
    cr_assert_eq(level[L_A20], 1);
    cmd(0xd1);
    data(0x01);
    cr_assert_eq(level[L_A20], 0);
    cr_assert_not(i8042_a20_enabled(kbc));
    cmd(0xd0);
    cr_assert_eq(next() & 0x03, 0x01);
    cmd(0xd1);
    data(0x03);
    cr_assert_eq(level[L_A20], 1);
    cr_assert_eq(rises[L_RESET], 0);
    cmd(0xfe);
    cr_assert_eq(rises[L_RESET], 1);
    cr_assert_eq(level[L_RESET], 0);
    cmd(0xd1);
    data(0x02);
    cr_assert_eq(rises[L_RESET], 2);
    cmd(0xdd);
    cr_assert_eq(level[L_A20], 0);
}

Test(i8042, write_output_buffers)
{
    cmd(0x60);
    data(0x03);
    cmd(0xd2);
    data(0x12);
    cr_assert_eq(as_ld8(io, 0x64) & 0x21, 0x01);
    cr_assert_eq(level[L_KBD], 1);
    EXPECT(0x12);
    cmd(0xd3);
    data(0x34);
    cr_assert_eq(as_ld8(io, 0x64) & 0x21, 0x21);
    cr_assert_eq(level[L_AUX], 1);
    EXPECT(0x34);
}

Test(i8042, malformed_accesses_are_harmless)
{
    cmd(0x05);
    cr_assert_eq(next(), -1);
    cmd(0xaa);
    EXPECT(0x55);
    cr_assert_eq(as_ld8(io, 0x60), 0x55, "stale byte re-read");
    for (int i = 0; i < 200; i++) { /* overrun the queue: bytes dropped */
        data(0xee);
    }
    int n = 0;
    while (next() >= 0 && n < 1000) {
        n++;
    }
    cr_assert(n > 0 && n < 200);
    i8042_key_event(kbc, 0xabcd, true); /* not a key code */
    i8042_mouse_event(kbc, 1 << 30, -(1 << 30), 1 << 30, ~0u);
    cr_assert_eq(next(), -1);
}
