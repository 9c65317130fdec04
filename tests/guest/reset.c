/*
 * reset: a triple fault resets the machine, and a direct boot starts again
 * (QEMU's behaviour without -no-reboot). The first boot marks CMOS byte
 * 0x7d (the RTC's battery-backed RAM survives a reset) and triple-faults
 * through an empty IDT; the second boot finds the mark and passes.
 */
#include "lib/guest.h"

#define CMOS_MARK 0x7d

static uint8_t cmos_read(uint8_t i)
{
    outb(0x70, i);
    return inb(0x71);
}

static void cmos_write(uint8_t i, uint8_t v)
{
    outb(0x70, i);
    outb(0x71, v);
}

int test_main(void)
{
    uint8_t boots = cmos_read(CMOS_MARK);
    if (boots == 0) {
        cmos_write(CMOS_MARK, 1);
        serial_puts("reset: first boot, triple-faulting\n");
        static const struct __attribute__((packed)) {
            uint16_t limit;
            uint64_t base;
        } empty = {0, 0};
        __asm__ volatile("lidt %0; ud2" : : "m"(empty));
        report_fail("still running after the triple fault");
        return (int)failures();
    }
    serial_puts("reset: booted again after the triple fault\n");
    check_eq("boot count in CMOS", boots, 1);
    cmos_write(CMOS_MARK, 0);
    return (int)failures();
}
