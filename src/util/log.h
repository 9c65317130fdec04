/*
 * Logging: QEMU-compatible `-d` categories and `-D file`, plus the three calls
 * for humans from STYLE 3.8 (guest error, unimplemented, host error).
 *
 * log_enabled() is one load and one test of a global mask. Code that emits
 * logging from generated code decides at translation time whether to emit it,
 * so disabled logging costs nothing on the fast path.
 */
#ifndef XLAT_UTIL_LOG_H
#define XLAT_UTIL_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/common.h"

/* name, help text; the order fixes the bit numbers */
#define LOG_CATEGORIES(X)                                                      \
    X(in_asm, "show guest code as it is translated")                           \
    X(op, "show IR before optimization")                                       \
    X(op_opt, "show IR after optimization")                                    \
    X(out_asm, "show generated host code")                                     \
    X(exec, "show each translation block as it runs")                          \
    X(cpu, "show CPU registers before each block")                             \
    X(int, "show interrupts and exceptions")                                   \
    X(mmu, "show memory map changes and page walks")                           \
    X(unimp, "log features the guest uses that xlat lacks")                    \
    X(guest_errors, "log guest accesses that break the rules")                 \
    X(pcall, "show protected-mode far calls, returns and task switches")       \
    X(ioport, "show I/O port accesses")                                        \
    X(stats, "print translator and TLB counters at exit")                      \
    X(trace, "fine-grained tracing of device models")                          \
    X(cpu_reset, "show CPU state before CPU resets")

enum {
#define X(name, help) LOG_BIT_##name,
    LOG_CATEGORIES(X)
#undef X
        LOG_BIT__COUNT
};

#define LOG_IN_ASM (1u << LOG_BIT_in_asm)
#define LOG_OP (1u << LOG_BIT_op)
#define LOG_OP_OPT (1u << LOG_BIT_op_opt)
#define LOG_OUT_ASM (1u << LOG_BIT_out_asm)
#define LOG_EXEC (1u << LOG_BIT_exec)
#define LOG_CPU (1u << LOG_BIT_cpu)
#define LOG_INT (1u << LOG_BIT_int)
#define LOG_MMU (1u << LOG_BIT_mmu)
#define LOG_UNIMP (1u << LOG_BIT_unimp)
#define LOG_GUEST_ERROR (1u << LOG_BIT_guest_errors)
#define LOG_PCALL (1u << LOG_BIT_pcall)
#define LOG_IOPORT (1u << LOG_BIT_ioport)
#define LOG_STATS (1u << LOG_BIT_stats)
#define LOG_TRACE (1u << LOG_BIT_trace)
#define LOG_CPU_RESET (1u << LOG_BIT_cpu_reset)

extern uint32_t log_mask;

static inline bool log_enabled(uint32_t mask)
{
    return unlikely((log_mask & mask) != 0);
}

/*
 * Parse a `-d` argument ("in_asm,mmu", "help" is the caller's business).
 * Returns 0 and sets *mask, or -1 and points *bad at a static copy of the
 * first unknown name.
 */
int log_parse_mask(const char *str, uint32_t *mask, const char **bad);
void log_set_mask(uint32_t mask);
void log_print_categories(FILE *f);

/* `-D file`: returns 0, or -1 with errno set */
int log_set_file(const char *path);
FILE *log_file(void);
void log_flush(void);

/* unconditional write to the log file */
void log_printf(const char *fmt, ...) PRINTF_FMT(1, 2);

/* messages start with the device or module name: "uart: bad offset 0x9" */
void log_msg(uint32_t mask, const char *who, const char *fmt, ...)
    PRINTF_FMT(3, 4);
/* always printed on stderr, whatever the mask */
void log_host_error(const char *fmt, ...) PRINTF_FMT(1, 2);

#define log_guest_error(who, ...)                                              \
    do {                                                                       \
        if (log_enabled(LOG_GUEST_ERROR)) {                                    \
            log_msg(LOG_GUEST_ERROR, who, __VA_ARGS__);                        \
        }                                                                      \
    } while (0)

#define log_unimp(who, ...)                                                    \
    do {                                                                       \
        if (log_enabled(LOG_UNIMP)) {                                          \
            log_msg(LOG_UNIMP, who, __VA_ARGS__);                              \
        }                                                                      \
    } while (0)

/* _once variants for hot paths: at most one line per call site */
#define log_mask_once(mask, who, ...)                                          \
    do {                                                                       \
        static bool logged_once_;                                              \
        if (log_enabled(mask) && !logged_once_) {                              \
            logged_once_ = true;                                               \
            log_msg(mask, who, __VA_ARGS__);                                   \
        }                                                                      \
    } while (0)
#define log_guest_error_once(who, ...)                                         \
    log_mask_once(LOG_GUEST_ERROR, who, __VA_ARGS__)
#define log_unimp_once(who, ...) log_mask_once(LOG_UNIMP, who, __VA_ARGS__)

/* TRACE(LOG_MMU, "tlb fill 0x%" PRIx64, va) */
#define TRACE(mask, ...)                                                       \
    do {                                                                       \
        if (log_enabled(mask)) {                                               \
            log_printf(__VA_ARGS__);                                           \
        }                                                                      \
    } while (0)

#endif
