/*
 * tools/bench/progs/rt.h: the tiny runtime of the benchmark programs
 * (freestanding x86-64 Linux, no libc): _start, write/exit system calls,
 * number printing, a deterministic PRNG, and the memset/memcpy the
 * compiler may still call. Each program defines bench_main(scale), where
 * scale is argv[1] (default 1): the work divides by it.
 */
#ifndef BENCH_RT_H
#define BENCH_RT_H

#include <stddef.h>
#include <stdint.h>

static int bench_main(uint64_t scale);

static long rt_syscall3(long nr, long a, long b, long c)
{
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c)
                     : "rcx", "r11", "memory");
    return ret;
}

static void rt_write(const char *s, size_t n)
{
    rt_syscall3(1, 1, (long)s, (long)n);
}

static __attribute__((noreturn)) void rt_exit(int code)
{
    rt_syscall3(60, code, 0, 0);
    for (;;) {
    }
}

static void rt_puts(const char *s)
{
    size_t n = 0;
    while (s[n]) {
        n++;
    }
    rt_write(s, n);
}

/* "name value\n" with value in decimal */
static void rt_print(const char *name, uint64_t v)
{
    char buf[24];
    int i = sizeof(buf);
    buf[--i] = '\n';
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    rt_puts(name);
    rt_write(" ", 1);
    rt_write(buf + i, sizeof(buf) - (size_t)i);
}

/* xorshift64 */
static inline uint64_t rt_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

void *memset(void *d, int c, size_t n)
{
    unsigned char *p = d;
    while (n--) {
        *p++ = (unsigned char)c;
    }
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--) {
        *p++ = *q++;
    }
    return d;
}

__attribute__((used)) static void rt_start_c(uint64_t *sp)
{
    uint64_t argc = sp[0], scale = 0;
    const char *arg = argc > 1 ? (const char *)sp[2] : "1";
    for (; *arg >= '0' && *arg <= '9'; arg++) {
        scale = scale * 10 + (uint64_t)(*arg - '0');
    }
    rt_exit(bench_main(scale ? scale : 1));
}

__asm__(".globl _start\n"
        "_start:\n"
        "    xor %ebp, %ebp\n"
        "    mov %rsp, %rdi\n"
        "    and $-16, %rsp\n"
        "    call rt_start_c\n"
        "    hlt\n");

#endif
