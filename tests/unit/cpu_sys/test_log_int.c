/*
 * `-d int` and `-d cpu_reset` in QEMU's layout: the line per exception
 * (count, vector, error code, INT n flag, CPL, CS:RIP, pc, SS:RSP, CR2 or
 * RAX) followed by the register dump, and "CPU Reset" with the state
 * before a reset. Both backends.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tiny_machine.h"
#include "util/log.h"

static TinyMachine m;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

Test(log_int, one_qemu_line_per_exception_then_the_registers)
{
    for (size_t b = 0; b < 2; b++) {
        char path[] = "/tmp/xlat-log-int-XXXXXX";
        int fd = mkstemp(path);
        cr_assert_geq(fd, 0);
        close(fd);
        cr_assert_eq(log_set_file(path), 0);
        log_set_mask(LOG_INT);
        tm_new(&m, tm_backends[b], 0, 0);
        /* a #PF at TM_HOLE from 64-bit code, reported, not delivered */
        m.env->deliver = true;
        m.env->idt.limit = 0; /* delivery fails: #DF, then triple fault */
        m.env->regs[R_EAX] = 0x1234;
        m.env->regs[R_EBX] = TM_HOLE;
        tm_code_clear(&m);
        static const uint8_t ld[] = {0x8b, 0x03}; /* mov eax, [rbx] */
        tm_code_put(&m, 0, ld, sizeof(ld));
        cr_assert_eq(tm_run_until_halt(&m, TM_CODE), -2, "triple fault");
        log_set_mask(0);
        log_flush();
        const char *s = slurp(path);
        char want[160];
        snprintf(want, sizeof(want),
                 ": v=0e e=0000 i=0 cpl=0 IP=%04x:%016llx pc=%016llx "
                 "SP=%04x:%016llx CR2=%016llx\n",
                 m.env->segs[R_CS].selector, (unsigned long long)TM_CODE,
                 (unsigned long long)TM_CODE, m.env->segs[R_SS].selector,
                 (unsigned long long)m.env->regs[R_ESP],
                 (unsigned long long)TM_HOLE);
        cr_assert_not_null(strstr(s, want), "%s\nnot in\n%s", want, s);
        cr_assert_not_null(strstr(s, "\nRAX=0000000000001234 RBX="),
                           "the register dump follows");
        cr_assert_not_null(strstr(s, "check_exception old: 0xe new 0xd"));
        cr_assert_not_null(strstr(s, ": v=08 e=0000 i=0 cpl=0"));
        tm_free(&m);
        unlink(path);
    }
}

Test(log_int, cpu_reset_shows_the_state_before)
{
    char path[] = "/tmp/xlat-log-reset-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    cr_assert_eq(log_set_file(path), 0);
    tm_new(&m, tm_backends[0], 0, 0);
    m.env->regs[R_ECX] = 0xabcdef;
    log_set_mask(LOG_CPU_RESET);
    cpu_x86_reset(m.env);
    log_set_mask(0);
    log_flush();
    const char *s = slurp(path);
    cr_assert_not_null(strstr(s, "CPU Reset (CPU 0)\n"), "%s", s);
    cr_assert_not_null(strstr(s, "RCX=0000000000abcdef"), "%s", s);
    cr_assert_eq(m.env->regs[R_ECX], 0);
    tm_free(&m);
    unlink(path);
}
