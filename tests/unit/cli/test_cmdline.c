/*
 * machine/cmdline + machine/config: QEMU-compatible command lines parsed into
 * a MachineConfig. Good lines check the resulting fields; bad lines check
 * the exact one-line error, which always names the option. Options that are
 * parsed but not implemented must be refused, never silently accepted.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine/cmdline.h"
#include "util/log.h"

#define MAX_ARGS 32

static MachineConfig cfg;
static char *err;
static char *out_buf;
static size_t out_len;
static char tmp_file[64];

static void setup(void)
{
    snprintf(tmp_file, sizeof(tmp_file), "/tmp/xlat-cli-XXXXXX");
    int fd = mkstemp(tmp_file);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "kernel", 6), 6);
    close(fd);
}

/* between two command lines in one test */
static void reset(void)
{
    config_free(&cfg);
    free(err);
    free(out_buf);
    err = NULL;
    out_buf = NULL;
}

static void teardown(void)
{
    reset();
    unlink(tmp_file);
}

TestSuite(cmdline, .init = setup, .fini = teardown, .timeout = 5);

/* run("-m", "1G", NULL); "@K" stands for a readable temporary file */
static CmdlineResult run(const char *first, ...)
{
    char *argv[MAX_ARGS] = {"xlat"};
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        cr_assert_lt(argc, MAX_ARGS - 1);
        argv[argc++] = strcmp(a, "@K") == 0 ? tmp_file : (char *)a;
    }
    va_end(ap);
    argv[argc] = NULL;
    FILE *out = open_memstream(&out_buf, &out_len);
    CmdlineResult r = cmdline_parse(argc, argv, &cfg, out, &err);
    fclose(out);
    return r;
}

#define ok(...)                                                                \
    do {                                                                       \
        CmdlineResult r_ = run(__VA_ARGS__, NULL);                             \
        cr_assert_eq(r_, CMDLINE_RUN, "error: %s", err ? err : "-");           \
    } while (0)

#define bad(msg, ...)                                                          \
    do {                                                                       \
        CmdlineResult r_ = run(__VA_ARGS__, NULL);                             \
        cr_assert_eq(r_, CMDLINE_ERROR, "accepted but should not be");         \
        cr_assert_str_eq(err, msg);                                            \
        cr_assert_null(strchr(err, '\n'), "one line");                         \
    } while (0)

#define exits(...)                                                             \
    do {                                                                       \
        CmdlineResult r_ = run(__VA_ARGS__, NULL);                             \
        cr_assert_eq(r_, CMDLINE_EXIT, "error: %s", err ? err : "-");          \
    } while (0)

/* ---- defaults and good lines ----------------------------------------------
 */

Test(cmdline, defaults)
{
    cr_assert_eq(run(NULL), CMDLINE_RUN);
    cr_assert_eq(cfg.machine, MACHINE_PC);
    cr_assert_str_eq(cfg.cpu.name, "qemu64");
    cr_assert_eq(cfg.backend, ACCEL_JIT);
    cr_assert_eq(cfg.ram_size, 128ull << 20);
    cr_assert_eq(cfg.smp_cpus, 1);
    cr_assert_null(cfg.kernel);
    cr_assert_eq(cfg.n_serial, 1);
    cr_assert_eq(cfg.serial[0].spec.kind, CHAR_KIND_STDIO);
    cr_assert_not(cfg.serial[0].spec.mux, "plain stdio without -nographic");
    cr_assert_str_eq(cfg.serial[0].text, "stdio");
    cr_assert_eq(cfg.n_devices, 0);
    cr_assert_eq(cfg.log_mask, 0);
    cr_assert_not(cfg.stopped);
}

Test(cmdline, nographic_default_serial_is_mon_stdio)
{
    ok("-nographic");
    cr_assert_eq(cfg.n_serial, 1);
    cr_assert_eq(cfg.serial[0].spec.kind, CHAR_KIND_STDIO);
    cr_assert(cfg.serial[0].spec.mux);
    cr_assert_str_eq(cfg.serial[0].text, "mon:stdio");
    cr_assert(cfg.display_none);
}

Test(cmdline, stop_at_startup)
{
    ok("-S", "-display", "none");
    cr_assert(cfg.stopped);
}

Test(cmdline, guest_test_command_line)
{
    ok("-M", "pc", "-nographic", "-kernel", "@K", "-device",
       "isa-debug-exit,iobase=0xf4,iosize=0x04", "-serial", "file:/tmp/log",
       "-display", "none", "-no-reboot");
    cr_assert_str_eq(cfg.kernel, tmp_file);
    cr_assert(cfg.nographic);
    cr_assert(cfg.display_none);
    cr_assert(cfg.no_reboot);
    cr_assert(!cfg.no_shutdown);
    cr_assert_eq(cfg.n_devices, 1);
    cr_assert_eq(cfg.devices[0].kind, DEVICE_ISA_DEBUG_EXIT);
    cr_assert_eq(cfg.devices[0].iobase, 0xf4);
    cr_assert_eq(cfg.devices[0].iosize, 4);
    cr_assert_eq(cfg.n_serial, 1);
    cr_assert_eq(cfg.serial[0].spec.kind, CHAR_KIND_FILE);
    cr_assert_str_eq(cfg.serial[0].spec.path, "/tmp/log");
    cr_assert_eq(cfg.serial[0].chardev, -1);
}

Test(cmdline, debug_exit_defaults_match_qemu)
{
    ok("-device", "isa-debug-exit");
    cr_assert_eq(cfg.devices[0].iobase, 0x501);
    cr_assert_eq(cfg.devices[0].iosize, 2);
}

Test(cmdline, double_dash_and_equals_forms)
{
    ok("--m", "1G", "--machine=pc", "-cpu=max", "--accel=tcg,backend=interp",
       "--no-shutdown");
    cr_assert_eq(cfg.ram_size, 1ull << 30);
    cr_assert_str_eq(cfg.cpu.name, "max");
    cr_assert_eq(cfg.backend, ACCEL_INTERP);
    cr_assert(cfg.no_shutdown);
}

Test(cmdline, memory_sizes)
{
    ok("-m", "512");
    cr_assert_eq(cfg.ram_size, 512ull << 20);
    reset();
    ok("-m", "2G");
    cr_assert_eq(cfg.ram_size, 2ull << 30);
    reset();
    ok("-m", "size=256M");
    cr_assert_eq(cfg.ram_size, 256ull << 20);
    reset();
    ok("-m", "4096k");
    cr_assert_eq(cfg.ram_size, 4ull << 20);
    reset();
    ok("-m", "1T");
    cr_assert_eq(cfg.ram_size, 1ull << 40);
}

Test(cmdline, later_value_wins)
{
    ok("-m", "64", "-m", "96", "-cpu", "base", "-cpu", "qemu64");
    cr_assert_eq(cfg.ram_size, 96ull << 20);
    cr_assert_str_eq(cfg.cpu.name, "qemu64");
}

Test(cmdline, cpu_models)
{
    ok("-cpu", "base");
    cr_assert_str_eq(cfg.cpu.name, "base");
}

Test(cmdline, smp_one_in_every_form)
{
    ok("-smp", "1");
    cr_assert_eq(cfg.smp_cpus, 1);
    reset();
    ok("-smp", "cpus=1,sockets=1,cores=1,threads=1,maxcpus=1");
    cr_assert_eq(cfg.smp_cpus, 1);
    reset();
    ok("-smp", "sockets=1");
    cr_assert_eq(cfg.smp_cpus, 1);
}

Test(cmdline, kernel_initrd_append)
{
    ok("-kernel", "@K", "-initrd", "@K", "-append", "console=ttyS0 quiet");
    cr_assert_str_eq(cfg.initrd, tmp_file);
    cr_assert_str_eq(cfg.append, "console=ttyS0 quiet");
}

Test(cmdline, empty_append_is_allowed)
{
    ok("-kernel", "@K", "-append", "");
    cr_assert_str_eq(cfg.append, "");
}

Test(cmdline, bios_file)
{
    ok("-bios", "@K");
    cr_assert_str_eq(cfg.bios, tmp_file);
}

Test(cmdline, log_categories_and_file)
{
    ok("-d", "in_asm,guest_errors", "-D", "/tmp/xlat.log");
    cr_assert_eq(cfg.log_mask, LOG_IN_ASM | LOG_GUEST_ERROR);
    cr_assert_str_eq(cfg.log_file, "/tmp/xlat.log");
}

Test(cmdline, serial_ports_in_order)
{
    ok("-serial", "stdio", "-serial", "null", "-serial", "none", "-serial",
       "file:/tmp/com4");
    cr_assert_eq(cfg.n_serial, 4);
    cr_assert_eq(cfg.serial[0].spec.kind, CHAR_KIND_STDIO);
    cr_assert_eq(cfg.serial[1].spec.kind, CHAR_KIND_NULL);
    cr_assert(cfg.serial[2].none);
    cr_assert_not(cfg.serial[3].none);
    cr_assert_eq(cfg.serial[3].spec.kind, CHAR_KIND_FILE);
    cr_assert_str_eq(cfg.serial[3].spec.path, "/tmp/com4");
}

Test(cmdline, serial_socket_pipe_and_mux_forms)
{
    ok("-serial", "tcp:127.0.0.1:4444,server=on,wait=off", "-serial",
       "unix:/tmp/s.sock,server,nowait", "-serial", "pipe:/tmp/p", "-serial",
       "mon:stdio");
    const CharSpec *t = &cfg.serial[0].spec;
    cr_assert_eq(t->kind, CHAR_KIND_TCP);
    cr_assert_str_eq(t->host, "127.0.0.1");
    cr_assert_eq(t->port, 4444);
    cr_assert(t->server && !t->wait);
    cr_assert_eq(cfg.serial[1].spec.kind, CHAR_KIND_UNIX);
    cr_assert_str_eq(cfg.serial[1].spec.path, "/tmp/s.sock");
    cr_assert(cfg.serial[1].spec.server && !cfg.serial[1].spec.wait);
    cr_assert_eq(cfg.serial[2].spec.kind, CHAR_KIND_PIPE);
    cr_assert_eq(cfg.serial[3].spec.kind, CHAR_KIND_STDIO);
    cr_assert(cfg.serial[3].spec.mux);
    cr_assert_str_eq(cfg.serial[0].text,
                     "tcp:127.0.0.1:4444,server=on,wait=off");
}

Test(cmdline, chardev_socket_tcp_and_unix)
{
    ok("-chardev", "socket,id=s,host=127.0.0.1,port=4444,server=on,wait=off",
       "-chardev", "socket,id=u,path=/tmp/u.sock,server=on", "-serial",
       "chardev:u");
    cr_assert_eq(cfg.n_chardev, 2);
    cr_assert_eq(cfg.chardev[0].spec.kind, CHAR_KIND_TCP);
    cr_assert_eq(cfg.chardev[0].spec.port, 4444);
    cr_assert_str_eq(cfg.chardev[0].spec.id, "s");
    cr_assert_eq(cfg.chardev[1].spec.kind, CHAR_KIND_UNIX);
    cr_assert(cfg.chardev[1].spec.wait, "a server waits by default");
    cr_assert_eq(cfg.serial[0].chardev, 1);
    cr_assert_str_eq(cfg.chardev[1].text, "socket,id=u,path=/tmp/u.sock,"
                                          "server=on");
}

Test(cmdline, serial_through_chardev_in_either_order)
{
    ok("-serial", "chardev:c0", "-chardev", "file,id=c0,path=/tmp/c0.log");
    cr_assert_eq(cfg.serial[0].chardev, 0);
    cr_assert_str_eq(cfg.serial[0].chardev_id, "c0");
    cr_assert_eq(cfg.n_chardev, 1);
    cr_assert_eq(cfg.chardev[0].spec.kind, CHAR_KIND_FILE);
    cr_assert_str_eq(cfg.chardev[0].spec.path, "/tmp/c0.log");
    cr_assert_str_eq(cfg.chardev[0].spec.id, "c0");
    reset();
    ok("-chardev", "null,id=a", "-chardev", "stdio,id=con,signal=off",
       "-serial", "chardev:con");
    cr_assert_eq(cfg.serial[0].chardev, 1);
    cr_assert_eq(cfg.chardev[1].spec.kind, CHAR_KIND_STDIO);
}

Test(cmdline, rtc_bases)
{
    ok("-rtc", "base=localtime");
    cr_assert_eq(cfg.rtc_base, RTC_BASE_LOCALTIME);
    reset();
    ok("-rtc", "base=2006-06-17T16:01:21");
    cr_assert_eq(cfg.rtc_base, RTC_BASE_DATE);
    cr_assert_eq(cfg.rtc_date, 1150560081);
    reset();
    ok("-rtc", "base=1970-01-02");
    cr_assert_eq(cfg.rtc_date, 86400);
}

Test(cmdline, fw_cfg_files)
{
    char arg[128];
    snprintf(arg, sizeof(arg), "opt/b,file=%s", tmp_file);
    ok("-fw_cfg", "name=opt/a,string=hello", "-fw_cfg", arg);
    cr_assert_eq(cfg.n_fw_cfg, 2);
    cr_assert_str_eq(cfg.fw_cfg[0].name, "opt/a");
    cr_assert_str_eq(cfg.fw_cfg[0].string, "hello");
    cr_assert_null(cfg.fw_cfg[0].file);
    cr_assert_str_eq(cfg.fw_cfg[1].name, "opt/b");
    cr_assert_str_eq(cfg.fw_cfg[1].file, tmp_file);
    cr_assert_null(cfg.fw_cfg[1].string);
}

Test(cmdline, name_plain_and_keyed)
{
    ok("-name", "my guest");
    cr_assert_str_eq(cfg.name, "my guest");
    reset();
    ok("-name", "guest=vm1");
    cr_assert_str_eq(cfg.name, "vm1");
}

Test(cmdline, machine_accel_tcg_is_ignored)
{
    ok("-machine", "pc,accel=tcg");
    cr_assert_eq(cfg.machine, MACHINE_PC);
    reset();
    ok("-machine", "accel=kvm:tcg");
}

/* ---- help and version --------------------------------------------------- */

Test(cmdline, help_lists_every_option_with_text)
{
    exits("--help");
    static const char *const opts[] = {"-machine",    "-cpu",    "-m SIZE",
                                       "-smp",        "-kernel", "-drive",
                                       "-enable-kvm", "-d ITEM", "-version"};
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        cr_assert_not_null(strstr(out_buf, opts[i]), "%s", opts[i]);
    }
    reset();
    exits("-h");
    cr_assert_not_null(strstr(out_buf, "-nographic"));
}

Test(cmdline, help_stops_before_later_errors)
{
    exits("-help", "-bogus");
    cr_assert_null(err);
}

Test(cmdline, version)
{
    exits("-version");
    cr_assert_not_null(strstr(out_buf, "xlat version 0.1.0"));
}

Test(cmdline, machine_help)
{
    exits("-machine", "help");
    cr_assert_not_null(strstr(out_buf, "pc "));
    cr_assert_not_null(strstr(out_buf, "q35"));
}

Test(cmdline, cpu_help)
{
    exits("-cpu", "help");
    cr_assert_not_null(strstr(out_buf, "qemu64"));
    cr_assert_not_null(strstr(out_buf, "max"));
    cr_assert_not_null(strstr(out_buf, "base"));
}

Test(cmdline, log_help_lists_categories)
{
    exits("-d", "help");
    cr_assert_not_null(strstr(out_buf, "guest_errors"));
    cr_assert_not_null(strstr(out_buf, "in_asm"));
}

Test(cmdline, device_and_accel_help)
{
    exits("-device", "help");
    cr_assert_not_null(strstr(out_buf, "isa-debug-exit"));
    reset();
    exits("-accel", "help");
    cr_assert_not_null(strstr(out_buf, "tcg"));
}

/* ---- syntax errors ------------------------------------------------------- */

Test(cmdline, invalid_option)
{
    bad("-bogus: invalid option", "-bogus");
    reset();
    bad("--bogus: invalid option", "--bogus=3");
}

Test(cmdline, missing_argument)
{
    bad("-m: requires an argument", "-m");
    reset();
    bad("-kernel: requires an argument", "-M", "pc", "-kernel");
}

Test(cmdline, flag_given_a_value)
{
    bad("-nographic: takes no value", "-nographic=1");
}

Test(cmdline, bad_memory_sizes)
{
    bad("-m 12Q: invalid size", "-m", "12Q");
    reset();
    bad("-m 0: size out of range (1M to 1T)", "-m", "0");
    reset();
    bad("-m 2T: size out of range (1M to 1T)", "-m", "2T");
    reset();
    bad("-m 99999999999999999999: invalid size", "-m", "99999999999999999999");
    reset();
    bad("-m 1048577k: size is not a multiple of 4K", "-m", "1048577k");
    reset();
    bad("-m size=1G,foo=2: unknown property 'foo'", "-m", "size=1G,foo=2");
}

Test(cmdline, unknown_machine_and_cpu)
{
    bad("-machine vax: unknown machine 'vax' (-machine help lists them)",
        "-machine", "vax");
    reset();
    bad("-cpu pentium9: unknown CPU model 'pentium9' (-cpu help lists them)",
        "-cpu", "pentium9");
    reset();
    bad("-M pc,usb=on: unknown property 'usb'", "-M", "pc,usb=on");
}

Test(cmdline, unknown_log_category)
{
    bad("-d in_asm,bogus: unknown log category 'bogus' (-d help lists them)",
        "-d", "in_asm,bogus");
}

Test(cmdline, smp_errors)
{
    bad("-smp 0: cpus must be 1 to 255", "-smp", "0");
    reset();
    bad("-smp x: 'x' is not a number", "-smp", "x");
    reset();
    bad("-smp cpus=2,maxcpus=1: maxcpus (1) is less than cpus (2)", "-smp",
        "cpus=2,maxcpus=1");
    reset();
    bad("-smp 1,sockets=2,maxcpus=3: sockets*cores*threads (2) must equal "
        "maxcpus (3)",
        "-smp", "1,sockets=2,maxcpus=3");
    reset();
    bad("-smp 1,dies=1: unknown property 'dies'", "-smp", "1,dies=1");
}

Test(cmdline, accel_errors)
{
    bad("-accel tcg,backend=llvm: unknown backend 'llvm' (jit or interp)",
        "-accel", "tcg,backend=llvm");
    reset();
    bad("-accel qtest: unknown accelerator 'qtest' (xlat has tcg)", "-accel",
        "qtest");
    reset();
    bad("-accel backend=jit: needs an accelerator name (tcg)", "-accel",
        "backend=jit");
}

Test(cmdline, device_errors)
{
    bad("-device isa-debug-exit,iosize=3: iosize must be 1, 2 or 4", "-device",
        "isa-debug-exit,iosize=3");
    reset();
    bad("-device isa-debug-exit,iobase=0xfffe,iosize=4: iobase 0xfffe is "
        "outside the I/O space",
        "-device", "isa-debug-exit,iobase=0xfffe,iosize=4");
    reset();
    bad("-device isa-debug-exit,iobase=zz: 'zz' is not a number", "-device",
        "isa-debug-exit,iobase=zz");
    reset();
    bad("-device isa-debug-exit,bogus=1: unknown property 'bogus'", "-device",
        "isa-debug-exit,bogus=1");
    reset();
    bad("-device isa-debug-exit,iobase=1,iobase=2: duplicate key 'iobase'",
        "-device", "isa-debug-exit,iobase=1,iobase=2");
    reset();
    bad("-device isa-debug-exit,iobase=0xf4: only one isa-debug-exit is "
        "supported",
        "-device", "isa-debug-exit", "-device", "isa-debug-exit,iobase=0xf4");
}

Test(cmdline, serial_errors)
{
    bad("-serial bogus: unknown character device (stdio, mon:stdio, null, "
        "file:, pipe:, tcp:, unix:, none or chardev:)",
        "-serial", "bogus");
    reset();
    bad("-serial tcp::notaport: invalid port 'notaport'", "-serial",
        "tcp::notaport");
    reset();
    bad("-serial tcp::99999,server: invalid port '99999'", "-serial",
        "tcp::99999,server");
    reset();
    bad("-serial tcp:localhost: expected tcp:[HOST]:PORT", "-serial",
        "tcp:localhost");
    reset();
    bad("-serial tcp::4444,frob: unknown property 'frob'", "-serial",
        "tcp::4444,frob");
    reset();
    bad("-serial tcp::4444,server=maybe: server=maybe: expected on or off",
        "-serial", "tcp::4444,server=maybe");
    reset();
    bad("-serial file:log,server: server, wait and nodelay need a socket",
        "-serial", "file:log,server");
    reset();
    bad("-serial tcp:127.0.0.1:0: a client needs a port other than 0",
        "-serial", "tcp:127.0.0.1:0");
    reset();
    bad("-serial chardev:nope: no -chardev with id 'nope'", "-serial",
        "chardev:nope");
    reset();
    bad("-serial null: too many serial ports (at most 4)", "-serial", "null",
        "-serial", "null", "-serial", "null", "-serial", "null", "-serial",
        "null");
    reset();
    bad("-serial stdio: stdio is used by more than one serial port", "-serial",
        "stdio", "-serial", "stdio");
    reset();
    bad("-serial mon:stdio: stdio is used by more than one serial port",
        "-serial", "stdio", "-serial", "mon:stdio");
    reset();
    bad("-serial chardev:c: chardev 'c' is already used by another serial "
        "port",
        "-chardev", "null,id=c", "-serial", "chardev:c", "-serial",
        "chardev:c");
}

Test(cmdline, stdio_has_one_user)
{
    bad("-serial stdio: stdio is already used by -chardev stdio,id=c",
        "-chardev", "stdio,id=c", "-serial", "stdio");
    reset();
    bad("-chardev stdio,id=d: stdio is used by more than one character "
        "device",
        "-chardev", "stdio,id=c", "-chardev", "stdio,id=d", "-serial",
        "chardev:c");
    reset();
    bad("-chardev stdio,id=c: stdio is also wanted by the default serial "
        "port (add -serial chardev:c or -serial none)",
        "-nographic", "-chardev", "stdio,id=c");
}

Test(cmdline, chardev_errors)
{
    bad("-chardev stdio: needs id=", "-chardev", "stdio");
    reset();
    bad("-chardev file,id=f: the file backend needs path=", "-chardev",
        "file,id=f");
    reset();
    bad("-chardev null,id=a: duplicate chardev id 'a'", "-chardev", "null,id=a",
        "-chardev", "null,id=a");
    reset();
    bad("-chardev socket,id=a,port=1: duplicate chardev id 'a'", "-chardev",
        "file,id=a,path=/tmp/a", "-chardev", "socket,id=a,port=1");
    reset();
    bad("-chardev warp,id=a: unknown backend 'warp' (socket, stdio, file, "
        "pipe or null)",
        "-chardev", "warp,id=a");
    reset();
    bad("-chardev null,id=a,path=x: unknown property 'path' for backend "
        "'null'",
        "-chardev", "null,id=a,path=x");
    reset();
    bad("-chardev socket,id=x: the socket backend needs port= or path=",
        "-chardev", "socket,id=x");
    reset();
    bad("-chardev socket,id=x,server=on,wait=off: the socket backend needs "
        "port= or path=",
        "-chardev", "socket,id=x,server=on,wait=off");
    reset();
    bad("-chardev socket,id=x,port=1,path=/tmp/s: path= (Unix) and "
        "host=/port= (TCP) exclude each other",
        "-chardev", "socket,id=x,port=1,path=/tmp/s");
    reset();
    bad("-chardev socket,id=x,port=http: invalid port 'http'", "-chardev",
        "socket,id=x,port=http");
    reset();
    bad("-chardev stdio,id=x,server=on: unknown property 'server' for "
        "backend 'stdio'",
        "-chardev", "stdio,id=x,server=on");
}

Test(cmdline, rtc_errors)
{
    bad("-rtc base=yesterday: base must be utc, localtime or a date like "
        "2006-06-17T16:01:21",
        "-rtc", "base=yesterday");
    reset();
    bad("-rtc clock=host: clock= and driftfix= are not supported yet", "-rtc",
        "clock=host");
    reset();
    bad("-rtc base=utc,when=now: unknown property 'when'", "-rtc",
        "base=utc,when=now");
}

Test(cmdline, fw_cfg_errors)
{
    bad("-fw_cfg opt/x: needs exactly one of file= and string=", "-fw_cfg",
        "opt/x");
    reset();
    bad("-fw_cfg file=a: needs name=", "-fw_cfg", "file=a");
    reset();
    bad("-fw_cfg opt/a,string=1: duplicate fw_cfg name 'opt/a'", "-fw_cfg",
        "opt/a,string=1", "-fw_cfg", "opt/a,string=1");
    reset();
    bad("-fw_cfg /nonexistent/x: No such file or directory", "-fw_cfg",
        "opt/x,file=/nonexistent/x");
}

Test(cmdline, fw_cfg_name_length)
{
    char name[80], arg[100];
    memset(name, 'n', 56);
    name[56] = '\0';
    snprintf(arg, sizeof(arg), "%s,string=x", name);
    bad("-fw_cfg nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn,"
        "string=x: name is longer than 55 characters",
        "-fw_cfg", arg);
}

Test(cmdline, display_errors)
{
    bad("-display warp: unknown display type", "-display", "warp");
    reset();
    bad("-vga hercules: unknown VGA type", "-vga", "hercules");
}

/* ---- files -------------------------------------------------------------- */

Test(cmdline, missing_files_are_clear_errors)
{
    bad("-kernel /nonexistent/vmlinuz: No such file or directory", "-kernel",
        "/nonexistent/vmlinuz");
    reset();
    bad("-initrd /nonexistent/i: No such file or directory", "-kernel", "@K",
        "-initrd", "/nonexistent/i");
    reset();
    bad("-bios /nonexistent/bios.bin: No such file or directory", "-bios",
        "/nonexistent/bios.bin");
    reset();
    bad("-kernel /tmp: not a regular file", "-kernel", "/tmp");
    reset();
    bad("-kernel: needs a value", "-kernel", "");
}

Test(cmdline, initrd_and_append_need_kernel)
{
    bad("-initrd: needs -kernel", "-initrd", "@K");
    reset();
    bad("-append: needs -kernel", "-append", "quiet");
}

/* ---- refused: hypervisors, and parsed but not supported yet -------------- */

Test(cmdline, kvm_is_refused_clearly)
{
    bad("-enable-kvm: KVM is not used by xlat; it emulates the CPU in "
        "software (-accel tcg)",
        "-enable-kvm");
    reset();
    bad("-accel kvm: KVM is not used by xlat; it emulates the CPU in "
        "software (-accel tcg)",
        "-accel", "kvm");
    reset();
    bad("-accel xen: Xen is not used by xlat; it emulates the CPU in "
        "software (-accel tcg)",
        "-accel", "xen");
    reset();
    bad("-machine pc,accel=hvf: HVF is not used by xlat; it emulates the CPU "
        "in software (-accel tcg)",
        "-machine", "pc,accel=hvf");
    reset();
    bad("-cpu host: needs a hypervisor; xlat emulates the CPU in software "
        "(-cpu max)",
        "-cpu", "host");
}

Test(cmdline, unsupported_whole_options)
{
    static const char *const cases[][3] = {
        {"-drive", "file=d.img,if=virtio,format=raw", "-drive"},
        {"-hda", "d.img", "-hda"},
        {"-cdrom", "cd.iso", "-cdrom"},
        {"-snapshot", NULL, "-snapshot"},
        {"-netdev", "user,id=n0", "-netdev"},
        {"-nic", "user", "-nic"},
        {"-monitor", "stdio", "-monitor"},
        {"-qmp", "unix:/tmp/q,server,nowait", "-qmp"},
        {"-vga", "std", "-vga"},
        {"-s", NULL, "-s"},
        {"--gdb", "tcp::1234", "-gdb"},
        {"-icount", "shift=auto", "-icount"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char want[64];
        snprintf(want, sizeof(want), "%s: not supported yet", cases[i][2]);
        cr_assert_eq(run(cases[i][0], cases[i][1], NULL), CMDLINE_ERROR,
                     "%s accepted", cases[i][0]);
        cr_assert_str_eq(err, want);
        reset();
    }
}

Test(cmdline, unsupported_values)
{
    bad("-M q35: machine 'q35' is not supported yet", "-M", "q35");
    reset();
    bad("-smp 2: more than one CPU is not supported yet", "-smp", "2");
    reset();
    bad("-smp 1,maxcpus=4: more than one CPU is not supported yet", "-smp",
        "1,maxcpus=4");
    reset();
    bad("-m 1G,slots=2,maxmem=4G: memory hotplug (slots, maxmem) is not "
        "supported yet",
        "-m", "1G,slots=2,maxmem=4G");
    reset();
    bad("-device virtio-net-pci,netdev=n0: device 'virtio-net-pci' is not "
        "supported yet",
        "-device", "virtio-net-pci,netdev=n0");
    reset();
    bad("-display sdl: not supported yet (-display none is)", "-display",
        "sdl");
    reset();
    bad("-serial pty: not supported yet", "-serial", "pty");
    reset();
    bad("-serial vc:80Cx24C: not supported yet", "-serial", "vc:80Cx24C");
    reset();
    bad("-chardev ringbuf,id=r: backend 'ringbuf' is not supported yet",
        "-chardev", "ringbuf,id=r");
    reset();
    bad("-accel tcg,thread=multi: thread=multi is not supported yet", "-accel",
        "tcg,thread=multi");
    reset();
    bad("-hda disk.img: not supported yet", "disk.img");
}

Test(cmdline, syntax_of_unsupported_options_is_still_checked)
{
    bad("-drive file=a,bogus=1: unknown property 'bogus'", "-drive",
        "file=a,bogus=1");
    reset();
    bad("-drive file=: missing value for 'file'", "-drive", "file=");
    reset();
    bad("-netdev user: needs id=", "-netdev", "user");
    reset();
    bad("-netdev carrier-pigeon,id=n: unknown network backend type "
        "'carrier-pigeon'",
        "-netdev", "carrier-pigeon,id=n");
    reset();
    bad("-icount shift=99: shift must be 0 to 10 or auto", "-icount",
        "shift=99");
    reset();
    bad("-hda: needs a value", "-hda", "");
}

Test(cmdline, first_error_wins)
{
    bad("-m 12Q: invalid size", "-m", "12Q", "-bogus");
}
