/* -d category parsing and the log helpers */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

Test(log, parses_qemu_category_names)
{
    uint32_t m = 0;
    const char *bad = NULL;
    cr_assert_eq(log_parse_mask("in_asm,guest_errors,mmu", &m, &bad), 0);
    cr_assert_eq(m, LOG_IN_ASM | LOG_GUEST_ERROR | LOG_MMU);
}

Test(log, empty_list_is_no_categories)
{
    uint32_t m = 123;
    const char *bad = NULL;
    cr_assert_eq(log_parse_mask("", &m, &bad), 0);
    cr_assert_eq(m, 0);
}

Test(log, unknown_category_is_named)
{
    uint32_t m = 0;
    const char *bad = NULL;
    cr_assert_eq(log_parse_mask("int,bogus,cpu", &m, &bad), -1);
    cr_assert_str_eq(bad, "bogus");
}

Test(log, prefix_of_a_name_is_not_a_match)
{
    uint32_t m = 0;
    const char *bad = NULL;
    cr_assert_eq(log_parse_mask("op_", &m, &bad), -1);
    cr_assert_eq(log_parse_mask("op", &m, &bad), 0);
    cr_assert_eq(m, LOG_OP);
}

Test(log, guest_error_goes_to_log_file_only_when_enabled)
{
    char path[] = "/tmp/xlat-log-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    cr_assert_eq(log_set_file(path), 0);

    log_set_mask(0);
    log_guest_error("uart", "hidden %d", 1);
    log_set_mask(LOG_GUEST_ERROR);
    log_guest_error("uart", "bad offset 0x%x", 9);
    for (int i = 0; i < 3; i++) {
        log_guest_error_once("pit", "once");
    }
    log_flush();

    char buf[256] = {0};
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    unlink(path);
    buf[n] = 0;
    cr_assert_str_eq(buf, "uart: bad offset 0x9\npit: once\n");
}
