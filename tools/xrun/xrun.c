/*
 * xrun: runs a static freestanding x86-64 Linux program on xlat's CPU and
 * translator (see xrun.h for the guest's address space). Options follow
 * xlat's and QEMU's: -d LIST / -D FILE for logging, --interp for the
 * interpreter backend, --icount for the exact guest instruction count at
 * exit (from the TB instruction counts; blocks are then not chained).
 * Errors (bad file, bad ELF, unsupported system call, guest exception) are
 * one line on stderr and exit status 1; the guest's exit status otherwise.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/exec.h"
#include "util/log.h"
#include "xrun.h"

#define XRUN_PML4 0x1000ull
#define XRUN_PDPT 0x2000ull
#define XRUN_PD 0x3000ull
#define XRUN_PTE_P 0x1ull
#define XRUN_PTE_RW 0x2ull
#define XRUN_PTE_US 0x4ull
#define XRUN_PTE_PS 0x80ull
#define XRUN_WRITE_MAX (1u << 20) /* bytes per write() call */
#define XRUN_EBADF 9
#define XRUN_EFAULT 14
#define XRUN_SYS_WRITE 1
#define XRUN_SYS_EXIT 60
#define XRUN_SYS_EXIT_GROUP 231

typedef struct Xrun {
    const char *path;
    char **gargv; /* the guest's argv (path first) */
    int gargc;
    bool interp, icount, perf_map;
    MemRegion *root, *ram;
    AddrSpace *as;
    CpuX86 *env;
    TcgCtx *tcg;
    uint8_t *mem;
    uint64_t syscalls;
} Xrun;

static void xrun_usage(FILE *f)
{
    fprintf(f,
            "usage: xrun [options] PROGRAM [ARG...]\n"
            "Run a static, freestanding x86-64 Linux ELF program on xlat.\n"
            "  -d LIST    log categories (-d help lists them)\n"
            "  -D FILE    write the log to FILE\n"
            "  --interp   use the interpreter backend instead of the JIT\n"
            "  --icount   print the guest instruction count at exit\n"
            "  --perf-map write /tmp/perf-PID.map for perf (guest pc names)\n"
            "  -h         this help\n"
            "System calls: write(1|2, buf, n), exit, exit_group.\n");
}

static int xrun_fail(const char *fmt, const char *arg)
{
    fprintf(stderr, "xrun: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return -1;
}

static int xrun_opt_log(const char *arg)
{
    uint32_t mask;
    const char *bad;
    if (!strcmp(arg, "help")) {
        log_print_categories(stdout);
        exit(0);
    }
    if (log_parse_mask(arg, &mask, &bad) < 0) {
        return xrun_fail("unknown log category '%s' (-d help lists them)", bad);
    }
    log_set_mask(mask);
    return 0;
}

/* 0, or -1 after a one-line message */
static int xrun_parse(Xrun *x, int argc, char **argv)
{
    enum { OPT_INTERP = 256, OPT_ICOUNT, OPT_PERF_MAP };
    static const struct option longopts[] = {
        {"interp", no_argument, NULL, OPT_INTERP},
        {"icount", no_argument, NULL, OPT_ICOUNT},
        {"perf-map", no_argument, NULL, OPT_PERF_MAP},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+d:D:h", longopts, NULL)) != -1) {
        if (c == 'h') {
            xrun_usage(stdout);
            exit(0);
        } else if (c == 'd' && xrun_opt_log(optarg) < 0) {
            return -1;
        } else if (c == 'D' && log_set_file(optarg) < 0) {
            return xrun_fail("-D: cannot open the log file: %s",
                             strerror(errno));
        } else if (c == OPT_INTERP) {
            x->interp = true;
        } else if (c == OPT_ICOUNT) {
            x->icount = true;
        } else if (c == OPT_PERF_MAP) {
            x->perf_map = true;
        } else if (c == '?') {
            return xrun_fail("bad option '%s' (-h lists them)",
                             argv[optind - 1]);
        }
    }
    if (optind >= argc) {
        return xrun_fail("%s", "no program given (-h for help)");
    }
    x->path = argv[optind];
    x->gargv = argv + optind;
    x->gargc = argc - optind;
    return 0;
}

/* the whole file, at most max bytes; NULL after a message */
static uint8_t *xrun_read_file(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "xrun: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    uint8_t *buf = xmalloc(max + 1);
    *len = fread(buf, 1, max + 1, f);
    bool bad = ferror(f) || *len > max;
    fclose(f);
    if (bad) {
        fprintf(stderr, "xrun: %s: unreadable or larger than guest RAM\n",
                path);
        free(buf);
        return NULL;
    }
    return buf;
}

static void xrun_st64(Xrun *x, uint64_t pa, uint64_t v)
{
    memcpy(x->mem + pa, &v, 8);
}

/* identity map [XRUN_LOW, RAM size) with user read/write 2 MiB pages */
static void xrun_page_tables(Xrun *x)
{
    uint64_t dir = XRUN_PTE_P | XRUN_PTE_RW | XRUN_PTE_US;
    xrun_st64(x, XRUN_PML4, XRUN_PDPT | dir);
    xrun_st64(x, XRUN_PDPT, XRUN_PD | dir);
    for (uint64_t pa = XRUN_LOW; pa < XRUN_RAM_SIZE; pa += XRUN_PAGE_2M) {
        xrun_st64(x, XRUN_PD + 8 * (pa / XRUN_PAGE_2M), pa | dir | XRUN_PTE_PS);
    }
}

/* 64-bit mode, CPL 3, flat segments; EFER.SCE clear: SYSCALL is #UD */
static void xrun_cpu_mode(CpuX86 *env)
{
    uint32_t dpl3 = 3u << SEG_AR_DPL_SHIFT;
    uint32_t data = SEG_AR_P | SEG_AR_S | dpl3 | 0x3u | SEG_AR_DB | SEG_AR_G;
    env->cr[0] = CR0_PE | CR0_PG | CR0_WP | CR0_ET | CR0_NE;
    env->cr[3] = XRUN_PML4;
    env->cr[4] = CR4_PAE | CR4_OSFXSR;
    env->efer = EFER_LME | EFER_LMA;
    for (int i = 0; i < CPU_NB_SEGS; i++) {
        cpu_seg_set(env, i, 0x2b, 0, 0xffffffff, data);
    }
    cpu_seg_set(env, R_CS, 0x33, 0, 0xffffffff,
                SEG_AR_P | SEG_AR_S | dpl3 | 0xbu | SEG_AR_L | SEG_AR_G);
    cpu_update_hflags(env);
    tlb_flush(env);
}

/*
 * The initial stack of a Linux process at the top of RAM: argc, argv[],
 * NULL, envp (empty) NULL, auxv {AT_PAGESZ, 4096}, AT_NULL; RSP 16-aligned
 * at argc; the argument strings above it.
 */
static void xrun_stack(Xrun *x)
{
    uint64_t sp = XRUN_RAM_SIZE, ptrs[64];
    int n = MIN(x->gargc, (int)ARRAY_LEN(ptrs));
    for (int i = n - 1; i >= 0; i--) {
        size_t len = MIN(strlen(x->gargv[i]), (size_t)4095);
        sp -= len + 1;
        memcpy(x->mem + sp, x->gargv[i], len);
        x->mem[sp + len] = 0;
        ptrs[i] = sp;
    }
    uint64_t words = 1 + (uint64_t)n + 1 + 1 + 4;
    sp = (sp - 8 * words) & ~15ull;
    uint64_t p = sp;
    xrun_st64(x, p, (uint64_t)n);
    for (int i = 0; i < n; i++) {
        xrun_st64(x, p += 8, ptrs[i]);
    }
    xrun_st64(x, p += 8, 0); /* argv end */
    xrun_st64(x, p += 8, 0); /* envp end */
    xrun_st64(x, p += 8, 6); /* AT_PAGESZ */
    xrun_st64(x, p += 8, 4096);
    xrun_st64(x, p += 8, 0); /* AT_NULL */
    xrun_st64(x, p += 8, 0);
    x->env->regs[R_ESP] = sp;
}

static void xrun_machine_new(Xrun *x)
{
    x->root = mr_new_container("sys", 1ull << 40);
    x->ram = mr_new_ram("ram", XRUN_RAM_SIZE);
    mr_add_subregion(x->root, 0, x->ram, 0);
    x->as = as_new("system", x->root);
    x->mem = mr_ram_ptr(x->ram);
    xrun_page_tables(x);
    x->env = cpu_x86_new(x->as);
    xrun_cpu_mode(x->env);
    unsigned opts = (x->icount ? CPU_TCG_COUNT_INSNS : 0) |
                    (x->perf_map ? CPU_TCG_PERF_MAP : 0);
    x->tcg = cpu_tcg_new_opts(x->interp ? TCG_BACKEND_INTERP : TCG_BACKEND_JIT,
                              0, opts);
    cpu_exec_attach(x->env, x->tcg);
}

static void xrun_machine_free(Xrun *x)
{
    cpu_exec_detach(x->env);
    tcg_free(x->tcg);
    cpu_x86_free(x->env);
    as_free(x->as);
    mr_free_tree(x->root);
}

/* write(fd, buf, n): bounded, and only from guest RAM */
static int64_t xrun_sys_write(Xrun *x, uint64_t fd, uint64_t buf, uint64_t n)
{
    FILE *out = fd == 1 ? stdout : fd == 2 ? stderr : NULL;
    if (!out) {
        return -XRUN_EBADF;
    }
    n = MIN(n, (uint64_t)XRUN_WRITE_MAX);
    if (buf < XRUN_LOW || buf > XRUN_RAM_SIZE || n > XRUN_RAM_SIZE - buf) {
        return -XRUN_EFAULT;
    }
    size_t done = fwrite(x->mem + buf, 1, n, out);
    fflush(out);
    return (int64_t)done;
}

/* at exit: --icount, -d stats; the instruction counts SYSCALL as run */
static void xrun_report(Xrun *x)
{
    if (x->icount) {
        uint64_t n = tcg_stats(x->tcg)->guest_insns + x->syscalls;
        fprintf(stderr, "xrun: guest instructions: %" PRIu64 "\n", n);
    }
    if (log_enabled(LOG_STATS)) {
        cpu_exec_stats_print(x->env, log_file());
    }
    log_flush();
}

/* the SYSCALL at RIP: 0..255 = exit status, -1 = go on, -2 = error */
static int xrun_syscall(Xrun *x)
{
    CpuX86 *env = x->env;
    uint64_t nr = env->regs[R_EAX], *r = env->regs;
    x->syscalls++;
    env->regs[R_ECX] = env->rip + 2;
    env->regs[R_R11] = cpu_compute_eflags(env);
    env->rip += 2;
    switch (nr) {
    case XRUN_SYS_WRITE:
        r[R_EAX] = (uint64_t)xrun_sys_write(x, r[R_EDI], r[R_ESI], r[R_EDX]);
        return -1;
    case XRUN_SYS_EXIT:
    case XRUN_SYS_EXIT_GROUP:
        return (int)(r[R_EDI] & 0xff);
    default:
        fprintf(stderr,
                "xrun: unsupported system call %" PRIu64 " at 0x%" PRIx64 "\n",
                nr, env->rip - 2);
        return -2;
    }
}

static bool xrun_at_syscall(Xrun *x)
{
    uint64_t pc = x->env->rip;
    return x->env->exception_index == 6 && pc >= XRUN_LOW &&
           pc < XRUN_RAM_SIZE - 1 && x->mem[pc] == 0x0f &&
           x->mem[pc + 1] == 0x05;
}

/* run to the guest's exit; its status, or 1 after a message */
static int xrun_loop(Xrun *x)
{
    CpuX86 *env = x->env;
    for (;;) {
        if (cpu_exec(env) != CPU_EXIT_EXCEPTION) {
            continue; /* front-end exits and requests: resume */
        }
        if (!xrun_at_syscall(x)) {
            fprintf(stderr,
                    "xrun: guest exception %d (error code 0x%x, cr2 0x%" PRIx64
                    ") at 0x%" PRIx64 "\n",
                    env->exception_index, env->error_code, env->exception_cr2,
                    env->rip);
            return 1;
        }
        int st = xrun_syscall(x);
        if (st >= 0) {
            return st;
        }
        if (st == -2) {
            return 1;
        }
    }
}

int main(int argc, char **argv)
{
    Xrun x = {0};
    size_t len;
    char err[256];
    XrunImage img;
    if (xrun_parse(&x, argc, argv) < 0) {
        return 1;
    }
    uint8_t *file = xrun_read_file(x.path, XRUN_RAM_SIZE, &len);
    if (!file) {
        return 1;
    }
    xrun_machine_new(&x);
    int rc =
        xrun_elf_load(file, len, x.mem, XRUN_RAM_SIZE, &img, err, sizeof(err));
    free(file);
    if (rc < 0) {
        fprintf(stderr, "xrun: %s: %s\n", x.path, err);
        xrun_machine_free(&x);
        return 1;
    }
    memset(x.env->regs, 0, sizeof(x.env->regs)); /* RDX = 0: no atexit */
    x.env->rip = img.entry;
    cpu_load_eflags(x.env, EFL_IF, EFL_DEFINED);
    xrun_stack(&x);
    rc = xrun_loop(&x);
    xrun_report(&x);
    xrun_machine_free(&x);
    return rc;
}
