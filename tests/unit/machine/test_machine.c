/*
 * machine/machine.c: a parsed command line becomes a PC board. Each test
 * parses a real argv with cmdline_parse(), builds the machine with
 * machine_new() and checks, through the guest's view (I/O ports, fw_cfg,
 * the RTC) and the backends, that every option reached the board: RAM size,
 * serial ports and their backends, isa-debug-exit, -kernel/-append/-fw_cfg,
 * -rtc base=, -no-reboot; and that backend errors are one line naming the
 * option.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hw/char/uart16550.h"
#include "hw/misc/fw_cfg.h"
#include "hw/timer/mc146818.h"
#include "machine/cmdline.h"
#include "machine/machine.h"

#define MAX_ARGS 32

static MachineConfig cfg;
static Machine *m;
static char kernel[64];

static void setup(void)
{
    snprintf(kernel, sizeof(kernel), "/tmp/xlat-machine-XXXXXX");
    int fd = mkstemp(kernel);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "KERNEL", 6), 6);
    close(fd);
}

static void teardown(void)
{
    machine_free(m);
    config_free(&cfg);
    unlink(kernel);
}

TestSuite(machine, .init = setup, .fini = teardown, .timeout = 10);

/* parse argv ("@K" is the kernel file); returns machine_new's error */
static char *build(const char *first, ...)
{
    char *argv[MAX_ARGS] = {"xlat"};
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        cr_assert_lt(argc, MAX_ARGS - 1);
        argv[argc++] = strcmp(a, "@K") == 0 ? kernel : (char *)a;
    }
    va_end(ap);
    char *err = NULL;
    cr_assert_eq(cmdline_parse(argc, argv, &cfg, stdout, &err), CMDLINE_RUN,
                 "%s", err ? err : "");
    m = machine_new(&cfg, &err);
    return err;
}

#define BUILD_OK(...)                                                          \
    do {                                                                       \
        char *e_ = build(__VA_ARGS__, NULL);                                   \
        cr_assert_not_null(m, "%s", e_ ? e_ : "");                             \
    } while (0)

static AddrSpace *io(void)
{
    return machine_pc(m)->io_as;
}

/* read n bytes of fw_cfg item `key` through the I/O ports */
static void fw_cfg_read(uint16_t key, void *buf, size_t n)
{
    as_st16(io(), FW_CFG_IO_BASE, key);
    for (size_t i = 0; i < n; i++) {
        ((uint8_t *)buf)[i] = as_ld8(io(), FW_CFG_IO_BASE + 1);
    }
}

static uint64_t fw_cfg_le(uint16_t key, size_t n)
{
    uint8_t b[8] = {0};
    fw_cfg_read(key, b, n);
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;) {
        v = v << 8 | b[i];
    }
    return v;
}

Test(machine, ram_serial_ports_and_debug_exit)
{
    BUILD_OK("-m", "64M", "-display", "none", "-serial", "null", "-serial",
             "none", "-serial", "null", "-device",
             "isa-debug-exit,iobase=0xf4,iosize=4");
    PcMachine *pc = machine_pc(m);
    cr_assert_eq(pc->below_4g, 64ull << 20);
    cr_assert_eq(fw_cfg_le(FW_CFG_RAM_SIZE, 8), 64ull << 20);
    cr_assert_not_null(pc->uart[0]);
    cr_assert_null(pc->uart[1], "-serial none: COM2 absent");
    cr_assert_not_null(pc->uart[2]);
    cr_assert_null(pc->uart[3]);
    cr_assert_null(machine_serial(m, 1));
    /* an absent port floats high */
    cr_assert_eq(as_ld8(io(), 0x2f8 + 5), 0xff);

    MainLoop *ml = machine_loop(m);
    cr_assert_eq(main_loop_pending(ml), MAIN_LOOP_RUN);
    as_st32(io(), 0xf4, 3);
    cr_assert_eq(main_loop_pending(ml), MAIN_LOOP_SHUTDOWN);
    cr_assert_eq(main_loop_exit_code(ml), (3 << 1) | 1);
}

Test(machine, kernel_append_and_fw_cfg_files)
{
    BUILD_OK("-display", "none", "-kernel", "@K", "-append", "console=ttyS0",
             "-fw_cfg", "opt/greeting,string=hello");
    cr_assert_eq(fw_cfg_le(FW_CFG_KERNEL_SIZE, 4), 6);
    char data[16] = {0};
    fw_cfg_read(FW_CFG_KERNEL_DATA, data, 6);
    cr_assert_str_eq(data, "KERNEL");
    cr_assert_eq(fw_cfg_le(FW_CFG_CMDLINE_SIZE, 4),
                 strlen("console=ttyS0") + 1);
    char cmdline[32] = {0};
    fw_cfg_read(FW_CFG_CMDLINE_DATA, cmdline, sizeof(cmdline) - 1);
    cr_assert_str_eq(cmdline, "console=ttyS0");

    int key = fw_cfg_find_file(machine_pc(m)->fw_cfg, "opt/greeting");
    cr_assert_geq(key, FW_CFG_FILE_FIRST);
    char greeting[8] = {0};
    fw_cfg_read((uint16_t)key, greeting, 5);
    cr_assert_str_eq(greeting, "hello");
}

Test(machine, rtc_base_date)
{
    BUILD_OK("-display", "none", "-rtc", "base=2006-06-17T16:01:21");
    /* the virtual clock does not run without a CPU: the time stays put */
    cr_assert_eq(mc146818_get_time(machine_pc(m)->rtc), 1150560081);
}

Test(machine, no_reboot_turns_reset_into_shutdown)
{
    BUILD_OK("-display", "none", "-no-reboot");
    MainLoop *ml = machine_loop(m);
    as_st8(io(), 0x92, 0x01); /* port 92: fast reset */
    main_loop_iterate(ml, 0);
    cr_assert_eq(main_loop_pending(ml), MAIN_LOOP_SHUTDOWN);
    cr_assert_eq(main_loop_reset_count(ml), 0);
}

static int connect_local(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

/* the guest writes COM1's THR; the byte arrives at a -chardev socket client */
Test(machine, serial_through_chardev_socket)
{
    BUILD_OK("-display", "none", "-chardev",
             "socket,id=s,host=127.0.0.1,port=0,server=on,wait=off", "-serial",
             "chardev:s");
    CharBackend *cb = machine_serial(m, 0);
    cr_assert_not_null(cb);
    cr_assert_str_eq(char_id(cb), "s");
    int port = char_socket_port(cb);
    cr_assert_gt(port, 0);
    int fd = connect_local(port);
    MainLoop *ml = machine_loop(m);
    for (int i = 0; i < 100; i++) {
        main_loop_iterate(ml, 10000000); /* accept */
        as_st8(io(), UART_COM1_BASE, 'A');
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 10) > 0) {
            break;
        }
    }
    char c = 0;
    cr_assert_eq(recv(fd, &c, 1, 0), 1);
    cr_assert_eq(c, 'A');
    close(fd);
}

Test(machine, backend_errors_name_the_option)
{
    char *err = build("-display", "none", "-serial", "null", "-serial",
                      "file:/nonexistent/dir/log", NULL);
    cr_assert_null(m);
    cr_assert_str_eq(err, "-serial file:/nonexistent/dir/log: No such file or "
                          "directory");
    free(err);
    config_free(&cfg);
    err = build("-display", "none", "-chardev",
                "file,id=f,path=/nonexistent/dir/log", NULL);
    cr_assert_null(m);
    cr_assert_str_eq(err, "-chardev file,id=f,path=/nonexistent/dir/log: "
                          "No such file or directory");
    free(err);
}

Test(machine, busy_port_is_one_line)
{
    int hold = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(hold, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(listen(hold, 1), 0);
    socklen_t sl = sizeof(sa);
    getsockname(hold, (struct sockaddr *)&sa, &sl);
    char spec[64], want[160];
    int port = ntohs(sa.sin_port);
    snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d,server=on,wait=off", port);
    snprintf(want, sizeof(want),
             "-serial %s: cannot listen on 127.0.0.1:%d: Address already in "
             "use",
             spec, port);
    char *err = build("-display", "none", "-serial", spec, NULL);
    close(hold);
    cr_assert_null(m);
    cr_assert_str_eq(err, want);
    free(err);
}
