/*
 * The PC machine skeleton: the flat view of system memory (RAM at 0, the
 * VGA hole, the BIOS alias at 0xe0000, the BIOS below 4 GiB, RAM above
 * 4 GiB), the e820 map and its fw_cfg file, and the devices wired to the
 * main loop (COM1 output, debug exit code, port 92 reset).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hw/misc/fw_cfg.h"
#include "machine/pc.h"
#include "util/char/char_test.h"

static MainLoop *ml;

static void setup(void)
{
    ml = main_loop_new();
}

static void teardown(void)
{
    main_loop_free(ml);
}

TestSuite(pc, .init = setup, .fini = teardown, .timeout = 10);

static PcMachine *make_pc(uint64_t ram, const char *bios)
{
    PcConfig cfg = {.loop = ml, .ram_size = ram, .bios_path = bios};
    char *err = NULL;
    PcMachine *pc = pc_new(&cfg, &err);
    cr_assert_not_null(pc, "%s", err ? err : "");
    return pc;
}

static void assert_at(PcMachine *pc, uint64_t addr, MemRegion *mr, uint64_t off)
{
    MemSection s = as_find(pc->sys_as, addr);
    cr_assert_eq(s.mr, mr, "region at 0x%llx: %s", (unsigned long long)addr,
                 s.mr ? mr_name(s.mr) : "(none)");
    if (mr) {
        cr_assert_eq(s.mr_offset + (addr - s.base), off, "offset at 0x%llx",
                     (unsigned long long)addr);
    }
}

Test(pc, flat_view_small_ram)
{
    PcMachine *pc = make_pc(128 << 20, NULL);
    uint64_t bios = mr_size(pc->bios);
    assert_at(pc, 0, pc->ram, 0);
    assert_at(pc, 0x9ffff, pc->ram, 0x9ffff);
    assert_at(pc, 0xa0000, NULL, 0);
    assert_at(pc, 0xbffff, NULL, 0);
    assert_at(pc, 0xc0000, pc->ram, 0xc0000);
    cr_assert_eq(bios, 0x20000, "the internal ROM is 128 KiB");
    assert_at(pc, 0xdffff, pc->ram, 0xdffff);
    assert_at(pc, 0xe0000, pc->bios, 0);
    assert_at(pc, 0xfffff, pc->bios, bios - 1);
    assert_at(pc, 0x100000, pc->ram, 0x100000);
    assert_at(pc, (128 << 20) - 1, pc->ram, (128 << 20) - 1);
    assert_at(pc, 128 << 20, NULL, 0);
    assert_at(pc, 0x100000000ull - bios, pc->bios, 0);
    assert_at(pc, 0xfffffff0ull, pc->bios, bios - 16);
    assert_at(pc, 0x100000000ull, NULL, 0);
    /* the tiny ROM's reset vector is visible at both addresses */
    cr_assert_eq(as_ld8(pc->sys_as, 0xfffffff0ull), 0xfa);
    cr_assert_eq(as_ld8(pc->sys_as, 0xffff0), 0xfa);
    pc_free(pc);
}

Test(pc, flat_view_large_ram_splits_at_3g)
{
    uint64_t ram = 0x140000000ull; /* 5 GiB */
    PcMachine *pc = make_pc(ram, NULL);
    cr_assert_eq(pc->below_4g, 0xc0000000ull);
    cr_assert_eq(pc->above_4g, ram - 0xc0000000ull);
    assert_at(pc, 0xbfffffffull, pc->ram, 0xbfffffffull);
    assert_at(pc, 0xc0000000ull, NULL, 0);
    assert_at(pc, 0x100000000ull, pc->ram, 0xc0000000ull);
    assert_at(pc, 0x100000000ull + pc->above_4g - 1, pc->ram, ram - 1);
    assert_at(pc, 0x100000000ull + pc->above_4g, NULL, 0);
    pc_free(pc);
}

Test(pc, bios_image_from_file)
{
    char path[] = "/tmp/xlat-bios-XXXXXX";
    int fd = mkstemp(path);
    static uint8_t img[0x40000];
    for (size_t i = 0; i < sizeof(img); i++) {
        img[i] = (uint8_t)(i >> 12);
    }
    cr_assert_eq(write(fd, img, sizeof(img)), (ssize_t)sizeof(img));
    close(fd);
    PcMachine *pc = make_pc(64 << 20, path);
    cr_assert_eq(mr_size(pc->bios), sizeof(img));
    cr_assert_eq(as_ld8(pc->sys_as, 0xfffc0000ull), 0x00);
    cr_assert_eq(as_ld8(pc->sys_as, 0xfffff000ull), 0x3f);
    /* the last 128 KiB at 0xe0000 */
    cr_assert_eq(as_ld8(pc->sys_as, 0xe0000), 0x20);
    cr_assert_eq(as_ld8(pc->sys_as, 0xff000), 0x3f);
    as_st8(pc->sys_as, 0xff000, 0x99);
    cr_assert_eq(as_ld8(pc->sys_as, 0xff000), 0x3f, "ROM ignores writes");
    pc_free(pc);
    unlink(path);
}

Test(pc, config_errors)
{
    char *err = NULL;
    PcConfig cfg = {.loop = ml, .ram_size = 512 << 10};
    cr_assert_null(pc_new(&cfg, &err));
    cr_assert_not_null(err);
    free(err);
    char path[] = "/tmp/xlat-bios-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_eq(write(fd, "short", 5), 5);
    close(fd);
    cfg.ram_size = 32 << 20;
    cfg.bios_path = path;
    cr_assert_null(pc_new(&cfg, &err), "BIOS size not a multiple of 64K");
    free(err);
    unlink(path);
    cfg.bios_path = "/nonexistent/bios.bin";
    cr_assert_null(pc_new(&cfg, &err));
    cr_assert_not_null(strstr(err, "/nonexistent/bios.bin"));
    free(err);
}

Test(pc, e820_map_and_fw_cfg_file)
{
    PcMachine *pc = make_pc(0x140000000ull, NULL);
    E820Entry e[PC_E820_MAX];
    int n = pc_e820(pc, e, PC_E820_MAX);
    cr_assert_eq(n, 5);
    cr_assert_eq(e[0].addr, 0);
    cr_assert_eq(e[0].size, 0x9fc00);
    cr_assert_eq(e[0].type, E820_RAM);
    cr_assert_eq(e[1].addr, 0x9fc00);
    cr_assert_eq(e[1].type, E820_RESERVED);
    cr_assert_eq(e[2].addr, 0xf0000);
    cr_assert_eq(e[2].type, E820_RESERVED);
    cr_assert_eq(e[3].addr, 0x100000);
    cr_assert_eq(e[3].size, 0xc0000000ull - 0x100000);
    cr_assert_eq(e[4].addr, 0x100000000ull);
    cr_assert_eq(e[4].size, 0x80000000ull);

    int key = fw_cfg_find_file(pc->fw_cfg, "etc/e820");
    cr_assert_geq(key, FW_CFG_FILE_FIRST);
    as_st16(pc->io_as, 0x510, (uint16_t)key);
    uint8_t row[20 * 5];
    for (size_t i = 0; i < sizeof(row); i++) {
        row[i] = as_ld8(pc->io_as, 0x511);
    }
    uint64_t addr, size;
    uint32_t type;
    memcpy(&addr, row + 80, 8);
    memcpy(&size, row + 88, 8);
    memcpy(&type, row + 96, 4);
    cr_assert_eq(addr, 0x100000000ull);
    cr_assert_eq(size, 0x80000000ull);
    cr_assert_eq(type, E820_RAM);
    /* RAM size item */
    as_st16(pc->io_as, 0x510, FW_CFG_RAM_SIZE);
    uint64_t rs = 0;
    for (int i = 0; i < 8; i++) {
        rs |= (uint64_t)as_ld8(pc->io_as, 0x511) << (8 * i);
    }
    cr_assert_eq(rs, 0x140000000ull);
    pc_free(pc);
}

Test(pc, devices_reach_the_main_loop)
{
    CharBackend *com1 = char_test_new();
    CharBackend *dbg = char_test_new();
    PcConfig cfg = {.loop = ml,
                    .ram_size = 16 << 20,
                    .serial = {com1},
                    .debugcon = dbg,
                    .debug_exit = true,
                    .debug_exit_iobase = 0xf4,
                    .debug_exit_iosize = 4};
    char *err = NULL;
    PcMachine *pc = pc_new(&cfg, &err);
    cr_assert_not_null(pc);
    as_st8(pc->io_as, 0x3f8, 'S');
    as_st8(pc->io_as, 0xe9, 'D');
    size_t len;
    cr_assert_eq(char_test_output(com1, &len)[0], 'S');
    cr_assert_eq(char_test_output(dbg, &len)[0], 'D');
    cr_assert_eq(as_ld8(pc->io_as, 0x2f8 + 5), 0xff, "no COM2 configured");

    as_st8(pc->io_as, 0x80, 0x12);
    cr_assert_eq(as_ld8(pc->io_as, 0x80), 0x12);

    /* port 92 reset -> main loop reset -> devices reset */
    as_st8(pc->io_as, 0x3f8 + 7, 0x77);
    as_st8(pc->io_as, 0x92, 0x01);
    main_loop_iterate(ml, 0);
    cr_assert_eq(main_loop_reset_count(ml), 1);
    cr_assert_eq(as_ld8(pc->io_as, 0x80), 0xff, "port 80 reset");
    cr_assert_eq(as_ld8(pc->io_as, 0x3fb), 0, "UART LCR reset");

    as_st32(pc->io_as, 0xf4, 0x21);
    cr_assert_eq(main_loop_pending(ml), MAIN_LOOP_SHUTDOWN);
    cr_assert_eq(main_loop_exit_code(ml), 0x43);
    pc_free(pc);
    char_free(com1);
    char_free(dbg);
}

Test(pc, dump_memory_names_regions)
{
    PcMachine *pc = make_pc(32 << 20, NULL);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    pc_dump_memory(pc, f);
    fclose(f);
    cr_assert_not_null(strstr(buf, "pc.bios"));
    cr_assert_not_null(strstr(buf, "isa-bios"));
    cr_assert_not_null(strstr(buf, "fw_cfg"));
    free(buf);
    pc_free(pc);
}

static void rec_level(void *opaque, int n, int level)
{
    *(int *)opaque = level;
}

Test(pc, com1_interrupt_through_the_pic)
{
    CharBackend *com1 = char_test_new();
    PcConfig cfg = {.loop = ml, .ram_size = 16 << 20, .serial = {com1}};
    char *err = NULL;
    PcMachine *pc = pc_new(&cfg, &err);
    cr_assert_not_null(pc);
    int intr = 0;
    pc_set_cpu_intr(pc, irq_line(rec_level, &intr, 0));
    /* ICW1-4: edge, cascade, vector base 0x08, 8086 mode */
    as_st8(pc->io_as, 0x20, 0x11);
    as_st8(pc->io_as, 0x21, 0x08);
    as_st8(pc->io_as, 0x21, 0x04);
    as_st8(pc->io_as, 0x21, 0x01);
    as_st8(pc->io_as, 0x21, 0xef); /* only IRQ 4 */
    cr_assert_eq(intr, 0);
    as_st8(pc->io_as, 0x3f9, 0x02); /* IER: THRE interrupt */
    cr_assert_eq(intr, 1);
    cr_assert_eq(pc_intack(pc), 0x0c, "IRQ 4 -> vector 0x08 + 4");
    pc_free(pc);
    char_free(com1);
}

Test(pc, keyboard_controller_reset_and_a20)
{
    PcMachine *pc = make_pc(16 << 20, NULL);
    cr_assert_eq(pc->a20, 1, "A20 on after power-up");
    as_st8(pc->io_as, 0x92, 0x02);
    as_st8(pc->io_as, 0x64, 0xd1); /* write output port: A20 off */
    as_st8(pc->io_as, 0x60, 0x01);
    cr_assert_eq(pc->a20, 1, "port 92 still enables A20");
    as_st8(pc->io_as, 0x92, 0x00);
    cr_assert_eq(pc->a20, 0);
    as_st8(pc->io_as, 0x64, 0xfe); /* pulse reset */
    main_loop_iterate(ml, 0);
    cr_assert_eq(main_loop_reset_count(ml), 1);
    cr_assert_eq(pc->a20, 1, "the i8042 reset enables A20 again");
    pc_free(pc);
}

Test(pc, acpi_s5_powers_off)
{
    PcMachine *pc = make_pc(16 << 20, NULL);
    /* PM1a_CNT at 0x604: SLP_TYP = 5, SLP_EN */
    as_st16(pc->io_as, 0x604, (5 << 10) | 0x2000);
    cr_assert_eq(main_loop_pending(ml), MAIN_LOOP_SHUTDOWN);
    cr_assert_eq(main_loop_exit_code(ml), 0);
    pc_free(pc);
}

Test(pc, rtc_cmos_memory_and_hpet)
{
    PcMachine *pc = make_pc(64 << 20, NULL);
    as_st8(pc->io_as, 0x70, 0x30);
    unsigned lo = as_ld8(pc->io_as, 0x71);
    as_st8(pc->io_as, 0x70, 0x31);
    unsigned hi = as_ld8(pc->io_as, 0x71);
    cr_assert_eq(lo | hi << 8, (64 << 10) - 1024, "KiB above 1 MiB");
    uint32_t cap = as_ld32(pc->sys_as, 0xfed00000ull + 4);
    cr_assert_eq(cap, 10000000u, "HPET period 10 ns in fs");
    pc_free(pc);
}
