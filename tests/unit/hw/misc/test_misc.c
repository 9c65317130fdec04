/*
 * The small ISA devices through the I/O address space: isa-debug-exit
 * codes, the 0xe9 debug console, the port 0x80 latch, and port 0x92's A20
 * and reset lines (fake IrqLines record what they see).
 */
#include <criterion/criterion.h>

#include "hw/misc/debugcon.h"
#include "hw/misc/debugexit.h"
#include "hw/misc/port80.h"
#include "hw/misc/port92.h"
#include "util/char/char_test.h"

static MemRegion *io_root;
static AddrSpace *io;

static void setup(void)
{
    io_root = mr_new_container("io", 0x10000);
    io = as_new("io", io_root);
}

static void teardown(void)
{
    as_free(io);
    mr_free(io_root);
}

TestSuite(misc, .init = setup, .fini = teardown, .timeout = 5);

typedef struct ExitRec {
    int calls;
    int code;
} ExitRec;

static void on_exit_req(void *opaque, int code)
{
    ExitRec *r = opaque;
    r->calls++;
    r->code = code;
}

Test(misc, debug_exit_default_port_codes)
{
    ExitRec r = {0};
    DebugExit *d = debugexit_new(io_root, DEBUGEXIT_DEFAULT_IOBASE,
                                 DEBUGEXIT_DEFAULT_IOSIZE, on_exit_req, &r);
    as_st8(io, 0x501, 0x00);
    cr_assert_eq(r.calls, 1);
    cr_assert_eq(r.code, 1);
    as_st8(io, 0x501, 0x31);
    cr_assert_eq(r.code, 0x63);
    as_st16(io, 0x501, 0x0102);
    cr_assert_eq(r.code, 0x205);
    as_st8(io, 0x503, 1); /* outside the 2-port window */
    cr_assert_eq(r.calls, 3);
    debugexit_free(d);
}

Test(misc, debug_exit_f4_size4_full_dword)
{
    ExitRec r = {0};
    DebugExit *d = debugexit_new(io_root, 0xf4, 4, on_exit_req, &r);
    as_st32(io, 0xf4, 0x10);
    cr_assert_eq(r.code, 0x21);
    cr_assert_eq(as_ld8(io, 0xf4), 0, "reads as 0");
    debugexit_free(d);
    as_st8(io, 0xf4, 1);
    cr_assert_eq(r.calls, 1, "unmapped after free");
}

Test(misc, debugcon_output_and_readback)
{
    CharBackend *chr = char_test_new();
    DebugCon *d = debugcon_new(io_root, DEBUGCON_DEFAULT_IOBASE, chr);
    as_st8(io, 0xe9, 'o');
    as_st8(io, 0xe9, 'k');
    size_t len;
    const uint8_t *out = char_test_output(chr, &len);
    cr_assert_eq(len, 2);
    cr_assert_eq(out[0], 'o');
    cr_assert_eq(out[1], 'k');
    cr_assert_eq(as_ld8(io, 0xe9), 0xe9);
    /* a word splits at the port's edge: the low byte is printed */
    as_st16(io, 0xe9, 0x4443);
    out = char_test_output(chr, &len);
    cr_assert_eq(len, 3);
    cr_assert_eq(out[2], 'C');
    debugcon_free(d);
    char_free(chr);
}

Test(misc, port80_latches_last_write)
{
    Port80 *p = port80_new(io_root, PORT80_IOBASE);
    cr_assert_eq(as_ld8(io, 0x80), 0xff, "nothing written yet");
    as_st8(io, 0x80, 0x42);
    cr_assert_eq(as_ld8(io, 0x80), 0x42);
    port80_reset(p);
    cr_assert_eq(as_ld8(io, 0x80), 0xff);
    port80_free(p);
}

typedef struct Lines {
    int a20;
    int a20_calls;
    int reset_pulses;
    int reset_level;
} Lines;

static void a20_line(void *opaque, int n, int level)
{
    Lines *l = opaque;
    l->a20 = level;
    l->a20_calls++;
}

static void reset_line(void *opaque, int n, int level)
{
    Lines *l = opaque;
    if (level && !l->reset_level) {
        l->reset_pulses++;
    }
    l->reset_level = level;
}

Test(misc, port92_a20_and_reset)
{
    Lines l = {0};
    Port92 *p = port92_new(io_root, irq_line(a20_line, &l, 0),
                           irq_line(reset_line, &l, 0));
    as_st8(io, 0x92, 0x02);
    cr_assert_eq(l.a20, 1);
    cr_assert_eq(port92_a20(p), 1);
    cr_assert_eq(as_ld8(io, 0x92), 0x02);
    as_st8(io, 0x92, 0x02);
    cr_assert_eq(l.a20_calls, 1, "no change, no call");
    cr_assert_eq(l.reset_pulses, 0);
    as_st8(io, 0x92, 0x03);
    cr_assert_eq(l.reset_pulses, 1);
    cr_assert_eq(l.reset_level, 0, "a pulse, not a level");
    cr_assert_eq(l.a20, 1, "A20 kept while resetting");
    as_st8(io, 0x92, 0x03);
    cr_assert_eq(l.reset_pulses, 1, "only a 0->1 transition resets");
    as_st8(io, 0x92, 0x00);
    cr_assert_eq(l.a20, 0);
    cr_assert_eq(l.reset_pulses, 1);
    as_st8(io, 0x92, 0x02);
    port92_reset(p);
    cr_assert_eq(l.a20, 0, "reset drops port 92's A20");
    cr_assert_eq(as_ld8(io, 0x92), 0);
    port92_free(p);
}
