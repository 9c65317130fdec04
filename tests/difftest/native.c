/*
 * Running a snippet on the host CPU (see native.h). A zygote process,
 * forked once per test process, forks the child of each run; a memfd holds
 * the data region, a result block and the request (code and registers).
 * The child maps the data at DT_DATA_ADDR and the code at DT_CODE_ADDR,
 * installs handlers on an alternate stack (the snippet owns RSP), arms an
 * interval timer, enters strict seccomp (only read/write/exit/sigreturn
 * remain) and jumps through dt_enter, which loads RFLAGS and all 16 GPRs.
 * Whatever ends the run (the int3 terminator, an exception, SIGALRM) lands
 * in the handler, which copies the ucontext into the result block and
 * exits. The zygote waits with its own deadline and SIGKILLs a child that
 * outlives it.
 */
#include "native.h"

#include <errno.h>
#include <fcntl.h>
#include <asm/ldt.h>
#include <cpuid.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#define DT_ALTSTACK_SIZE (256 * 1024)
#define DT_WATCHDOG_SLACK_MS 2000
#define DT_TERMINATOR 0xcc /* int3 */

/* written by the child's signal handler, read by the parent */
typedef struct DtShared {
    int done;        /* the handler ran */
    int setup_errno; /* the child could not set up, or 0 */
    int signo;
    int trapno;
    uint64_t err, cr2;
    uint64_t gpr[DT_NREGS];
    uint64_t rip, rflags;
    uint64_t xmm[16][2];
    uint32_t mxcsr;
} DtShared;

/* a run's case as the zygote's child reads it (the code and the state) */
typedef struct DtRequest {
    uint8_t code[DT_CODE_SIZE];
    uint64_t gpr[DT_NREGS];
    uint64_t rflags;
    uint64_t xmm[16][2];
    uint32_t mxcsr;
    uint32_t len, mode, timeout_ms, path;
} DtRequest;

/* shared memory: the data region, the result block, the request */
#define DT_SHM_SHARED DT_DATA_SIZE
#define DT_SHM_REQUEST (DT_DATA_SIZE + 4096)
#define DT_SHM_SIZE (DT_SHM_REQUEST + sizeof(DtRequest))
_Static_assert(sizeof(DtShared) <= 4096, "result block fits one page");

/* what dt_enter loads: offsets are baked into the assembly below */
typedef struct DtEntry {
    uint64_t gpr[DT_NREGS]; /* 0..120 */
    uint64_t rflags;        /* 128 */
    uint64_t mxcsr;         /* 136 */
    uint64_t xmm[16][2];    /* 144..400 */
} DtEntry;
_Static_assert(offsetof(DtEntry, rflags) == 128, "dt_enter layout");
_Static_assert(offsetof(DtEntry, xmm) == 144, "dt_enter layout");

void dt_enter(const DtEntry *e) __attribute__((noreturn));

/* load RFLAGS and the GPRs from the DtEntry at RDI (RSP, then RDI last) */
#define DT_ENTER_LOAD_STATE                                                    \
    "    ldmxcsr 136(%rdi)\n"                                                  \
    "    movdqu 144(%rdi), %xmm0\n"                                            \
    "    movdqu 160(%rdi), %xmm1\n"                                            \
    "    movdqu 176(%rdi), %xmm2\n"                                            \
    "    movdqu 192(%rdi), %xmm3\n"                                            \
    "    movdqu 208(%rdi), %xmm4\n"                                            \
    "    movdqu 224(%rdi), %xmm5\n"                                            \
    "    movdqu 240(%rdi), %xmm6\n"                                            \
    "    movdqu 256(%rdi), %xmm7\n"                                            \
    "    movdqu 272(%rdi), %xmm8\n"                                            \
    "    movdqu 288(%rdi), %xmm9\n"                                            \
    "    movdqu 304(%rdi), %xmm10\n"                                           \
    "    movdqu 320(%rdi), %xmm11\n"                                           \
    "    movdqu 336(%rdi), %xmm12\n"                                           \
    "    movdqu 352(%rdi), %xmm13\n"                                           \
    "    movdqu 368(%rdi), %xmm14\n"                                           \
    "    movdqu 384(%rdi), %xmm15\n"                                           \
    "    pushq 128(%rdi)\n"                                                    \
    "    popfq\n"                                                              \
    "    movq 0(%rdi), %rax\n"                                                 \
    "    movq 8(%rdi), %rcx\n"                                                 \
    "    movq 16(%rdi), %rdx\n"                                                \
    "    movq 24(%rdi), %rbx\n"                                                \
    "    movq 40(%rdi), %rbp\n"                                                \
    "    movq 48(%rdi), %rsi\n"                                                \
    "    movq 64(%rdi), %r8\n"                                                 \
    "    movq 72(%rdi), %r9\n"                                                 \
    "    movq 80(%rdi), %r10\n"                                                \
    "    movq 88(%rdi), %r11\n"                                                \
    "    movq 96(%rdi), %r12\n"                                                \
    "    movq 104(%rdi), %r13\n"                                               \
    "    movq 112(%rdi), %r14\n"                                               \
    "    movq 120(%rdi), %r15\n"                                               \
    "    movq 32(%rdi), %rsp\n"                                                \
    "    movq 56(%rdi), %rdi\n"

/*
 * rdi = DtEntry. RFLAGS first (popfq on the child's own stack), then every
 * GPR but RSP and RDI, then RSP, then RDI, then an indirect jump through a
 * RIP-relative constant, since no register is left to hold the target.
 */
__asm__(".text\n"
        ".globl dt_enter\n"
        ".hidden dt_enter\n"
        ".type dt_enter, @function\n"
        "dt_enter:\n" DT_ENTER_LOAD_STATE "    jmpq *dt_enter_target(%rip)\n"
        "    .p2align 3\n"
        "dt_enter_target:\n"
        "    .quad 0x20000000\n"
        ".size dt_enter, . - dt_enter\n");
_Static_assert(DT_CODE_ADDR == 0x20000000, "dt_enter_target above");

/*
 * The far entry of a 32- or 16-bit run, set by the child before it jumps:
 * the data selector that DS, ES and SS get first (a 64-bit process has null
 * DS/ES), and the m16:32 far pointer of the code.
 */
typedef struct __attribute__((packed)) DtFarPtr {
    uint32_t offset;
    uint16_t selector;
} DtFarPtr;
DtFarPtr dt_far_target __attribute__((visibility("hidden")));
uint32_t dt_far_data __attribute__((visibility("hidden")));

/* dt_enter_far: the same as dt_enter, then a far jump through dt_far_target */
void dt_enter_far(const DtEntry *e) __attribute__((noreturn));
__asm__(".text\n"
        ".globl dt_enter_far\n"
        ".hidden dt_enter_far\n"
        ".type dt_enter_far, @function\n"
        "dt_enter_far:\n"
        "    movl dt_far_data(%rip), %eax\n"
        "    movl %eax, %ds\n"
        "    movl %eax, %es\n"
        "    movl %eax, %ss\n" DT_ENTER_LOAD_STATE
        "    ljmpl *dt_far_target(%rip)\n"
        ".size dt_enter_far, . - dt_enter_far\n");

/*
 * How a run enters its code: 64-bit directly; 32-bit through the child's
 * LDT or through the kernel's GDT segments; 16-bit through the LDT.
 */
typedef enum DtPath {
    DT_PATH_64,
    DT_PATH_LDT32,
    DT_PATH_GDT32,
    DT_PATH_LDT16,
    DT_PATH_COUNT
} DtPath;

static const struct {
    uint16_t cs, ds;
    uint32_t entry; /* CS-relative */
    bool ldt;
    const char *name;
} dt_paths[DT_PATH_COUNT] = {
    [DT_PATH_64] = {0x33, DT_USER_DS, DT_CODE_ADDR, false, "64-bit CS 0x33"},
    [DT_PATH_LDT32] = {DT_LDT_CS32, DT_LDT_DS32, DT_CODE_ADDR, true,
                       "LDT CS 0x17"},
    [DT_PATH_GDT32] = {DT_USER32_CS, DT_USER_DS, DT_CODE_ADDR, false,
                       "GDT CS 0x23"},
    [DT_PATH_LDT16] = {DT_LDT_CS16, DT_LDT_DS16, 0, true, "LDT CS 0x07"},
};

/*
 * The LDT of a 16- or 32-bit run: entries 0/1 16-bit code at DT_CODE_ADDR
 * and data at DT_DATA_ADDR (limit 0xffff), entries 2/3 flat 32-bit code and
 * data (base 0, 4 GiB).
 */
static int dt_child_ldt(void)
{
    struct user_desc d[4] = {
        {.entry_number = 0,
         .base_addr = DT_CODE_ADDR,
         .limit = 0xffff,
         .contents = MODIFY_LDT_CONTENTS_CODE,
         .useable = 1},
        {.entry_number = 1,
         .base_addr = DT_DATA_ADDR,
         .limit = 0xffff,
         .contents = MODIFY_LDT_CONTENTS_DATA,
         .useable = 1},
        {.entry_number = 2,
         .limit = 0xfffff,
         .seg_32bit = 1,
         .contents = MODIFY_LDT_CONTENTS_CODE,
         .limit_in_pages = 1,
         .useable = 1},
        {.entry_number = 3,
         .limit = 0xfffff,
         .seg_32bit = 1,
         .contents = MODIFY_LDT_CONTENTS_DATA,
         .limit_in_pages = 1,
         .useable = 1},
    };
    for (unsigned i = 0; i < 4; i++) {
        if (syscall(SYS_modify_ldt, 1, &d[i], sizeof(d[i])) < 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- the child ---- */

/* the shared block as the child's handler sees it */
static DtShared *dt_child_shared;

/* glibc's gregs index for each DtGpr */
static const int dt_greg_index[DT_NREGS] = {
    REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
    REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

/* exit(2) without libc: the snippet may have clobbered the FS base */
__attribute__((noreturn)) static void dt_sys_exit(int code)
{
    __asm__ volatile("syscall"
                     :
                     : "a"((long)SYS_exit), "D"((long)code)
                     : "rcx", "r11", "memory");
    __builtin_unreachable();
}

/* called from dt_handler_entry below */
void dt_handler(int sig, siginfo_t *si, void *uc_void)
    __attribute__((visibility("hidden")));
void dt_handler_entry(int sig, siginfo_t *si, void *uc_void);

/* no libc, no TLS, no instrumentation: guest state may be anything */
__attribute__((no_sanitize("address", "undefined"))) void
dt_handler(int sig, siginfo_t *si, void *uc_void)
{
    const ucontext_t *uc = uc_void;
    const greg_t *g = uc->uc_mcontext.gregs;
    DtShared *s = dt_child_shared;
    (void)si;
    for (unsigned i = 0; i < DT_NREGS; i++) {
        s->gpr[i] = (uint64_t)g[dt_greg_index[i]];
    }
    s->rip = (uint64_t)g[REG_RIP];
    s->rflags = (uint64_t)g[REG_EFL];
    if (uc->uc_mcontext.fpregs) {
        const struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
        for (unsigned i = 0; i < 16; i++) {
            for (unsigned w = 0; w < 4; w++) {
                uint64_t v = fp->_xmm[i].element[w];
                s->xmm[i][w / 2] |= v << (32 * (w & 1));
            }
        }
        s->mxcsr = fp->mxcsr;
    }
    s->err = (uint64_t)g[REG_ERR];
    s->cr2 = (uint64_t)g[REG_CR2];
    s->trapno = sig == SIGALRM ? -1 : (int)g[REG_TRAPNO];
    s->signo = sig;
    __atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
    dt_sys_exit(0);
}

/*
 * The kernel enters a handler with the snippet's RFLAGS.AC still set, so the
 * compiled handler could take #AC on its own accesses: clear AC first.
 */
__asm__(".text\n"
        ".globl dt_handler_entry\n"
        ".hidden dt_handler_entry\n"
        ".type dt_handler_entry, @function\n"
        "dt_handler_entry:\n"
        "    pushfq\n"
        "    andl $~0x40000, (%rsp)\n"
        "    popfq\n"
        "    jmp dt_handler\n"
        ".size dt_handler_entry, . - dt_handler_entry\n");

/* the kernel's struct for rt_sigaction (not glibc's struct sigaction) */
typedef struct DtKernelSigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
} DtKernelSigaction;

#define DT_SA_RESTORER 0x04000000ul

void dt_restorer(void);
__asm__(".text\n"
        ".globl dt_restorer\n"
        ".hidden dt_restorer\n"
        ".type dt_restorer, @function\n"
        "dt_restorer:\n"
        "    movl $15, %eax\n" /* rt_sigreturn: never used, handlers exit */
        "    syscall\n"
        ".size dt_restorer, . - dt_restorer\n");

/*
 * Raw rt_sigaction: sanitizer runtimes intercept sigaction() and may keep
 * their own handlers for deadly signals, which would then make system calls
 * that strict seccomp kills.
 */
static int dt_raw_sigaction(int sig)
{
    DtKernelSigaction ksa = {
        .handler = (void *)dt_handler_entry,
        .flags = SA_SIGINFO | SA_ONSTACK | DT_SA_RESTORER,
        .restorer = (void *)dt_restorer,
        .mask = ~0ull,
    };
    return (int)syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof(ksa.mask));
}

static int dt_child_handlers(void)
{
    static const int sigs[] = {SIGSEGV, SIGBUS,  SIGILL,
                               SIGFPE,  SIGTRAP, SIGALRM};
    stack_t ss = {.ss_size = DT_ALTSTACK_SIZE};
    ss.ss_sp = mmap(NULL, DT_ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ss.ss_sp == MAP_FAILED || syscall(SYS_sigaltstack, &ss, NULL) < 0) {
        return -1;
    }
    for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        if (dt_raw_sigaction(sigs[i]) < 0) {
            return -1;
        }
    }
    uint64_t none = 0;
    return (int)syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL,
                        sizeof(none));
}

static int dt_child_map(const DtCase *c, int fd)
{
    void *data =
        mmap((void *)DT_DATA_ADDR, DT_DATA_SIZE, PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
    if (data != (void *)DT_DATA_ADDR) {
        return -1;
    }
    uint8_t *code =
        mmap((void *)DT_CODE_ADDR, DT_CODE_SIZE, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (code != (void *)DT_CODE_ADDR) {
        return -1;
    }
    /* the terminator, and int3 filler after it */
    memset(code, DT_TERMINATOR, DT_CODE_SIZE);
    if (c->len) {
        memcpy(code, c->code, c->len);
    }
    if (c->mode == 0 || c->mode == DT_MODE64) { /* best effort */
        uint8_t *hi =
            mmap((void *)DT_CODE_HIGH, 4096, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (hi == (void *)DT_CODE_HIGH) {
            memcpy(hi, code, 4096);
            mprotect(hi, 4096, PROT_READ | PROT_EXEC);
        }
    }
    return mprotect(code, DT_CODE_SIZE, PROT_READ | PROT_EXEC);
}

static int dt_child_limits(unsigned timeout_ms)
{
    struct rlimit no_core = {0, 0};
    struct itimerval it = {
        .it_value = {.tv_sec = timeout_ms / 1000,
                     .tv_usec = (timeout_ms % 1000) * 1000},
    };
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ||
        setrlimit(RLIMIT_CORE, &no_core) < 0) {
        return -1;
    }
    return setitimer(ITIMER_REAL, &it, NULL);
}

/*
 * Past this point only read/write/exit/sigreturn exist. Sanitizers insert
 * calls (e.g. before a noreturn call) that make other system calls, so this
 * function is not instrumented.
 */
__attribute__((no_sanitize("address", "undefined"), noinline)) static void
dt_child_go(const DtEntry *e, DtPath path)
{
    if (syscall(SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_STRICT) == 0) {
        if (path != DT_PATH_64) {
            dt_enter_far(e);
        }
        dt_enter(e);
    }
}

static void dt_child(const DtCase *c, DtPath path, int fd, DtShared *shared,
                     unsigned timeout_ms)
{
    DtEntry e;
    dt_child_shared = shared;
    memcpy(e.gpr, c->init.gpr, sizeof(e.gpr));
    e.rflags = (c->init.rflags & DT_FLAGS_USER) | 0x2 | DT_IF;
    e.mxcsr = c->init.mxcsr;
    memcpy(e.xmm, c->init.xmm, sizeof(e.xmm));
    dt_far_target.offset = dt_paths[path].entry;
    dt_far_target.selector = dt_paths[path].cs;
    dt_far_data = dt_paths[path].ds;
    errno = 0;
    if (dt_child_map(c, fd) == 0 && dt_child_handlers() == 0 &&
        (!dt_paths[path].ldt || dt_child_ldt() == 0) &&
        dt_child_limits(timeout_ms) == 0) {
        dt_child_go(&e, path);
    }
    shared->setup_errno = errno ? errno : EINVAL;
    dt_sys_exit(1);
}

/* ---- the parent ---- */

static DtException dt_classify(const DtShared *s, size_t len, unsigned mode)
{
    uint64_t base = mode == DT_MODE16 ? 0 : DT_CODE_ADDR; /* CS-relative */
    if (s->trapno == -1) {
        return DT_EXC_TIMEOUT;
    }
    if (s->trapno == 3 && s->rip == base + len + 1) {
        return DT_EXC_NONE; /* the int3 terminator */
    }
    return dt_exc_from_vector(s->trapno);
}

static void dt_collect(const DtCase *c, const DtShared *s, const uint8_t *data,
                       DtResult *out)
{
    memcpy(out->final.gpr, s->gpr, sizeof(s->gpr));
    out->final.rip = s->rip;
    out->final.rflags = s->rflags & DT_FLAGS_USER;
    memcpy(out->final.xmm, s->xmm, sizeof(s->xmm));
    out->final.mxcsr = s->mxcsr;
    memcpy(out->final.data, data, DT_DATA_SIZE);
    out->signal = s->signo;
    out->trapno = s->trapno;
    out->exception = dt_classify(s, c->len, c->mode);
    if (c->mode == DT_MODE32 || c->mode == DT_MODE16) {
        for (unsigned i = 0; i < DT_NREGS; i++) {
            out->final.gpr[i] &= 0xffffffffu;
        }
    }
    if (out->exception == DT_EXC_NONE) {
        out->final.rip -= 1; /* report the terminator's address */
    }
    if (out->exception == DT_EXC_PF) {
        out->fault_addr = s->cr2;
        out->pf_error = (uint32_t)s->err;
    }
}

/* wait for the child: the pipe hangs up when it exits */
static int dt_wait(pid_t pid, int rd, unsigned timeout_ms, bool *killed)
{
    struct pollfd p = {.fd = rd, .events = POLLIN};
    int status;
    *killed = false;
    int r;
    do {
        r = poll(&p, 1, (int)(timeout_ms + DT_WATCHDOG_SLACK_MS));
    } while (r < 0 && errno == EINTR);
    if (r <= 0) { /* deadline passed (or poll failed): stop the child */
        kill(pid, SIGKILL);
        *killed = true;
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    return status;
}

/* the zygote's answer for one run */
typedef struct DtReply {
    int32_t r, err, status, killed;
} DtReply;

/* fork the run's child and wait for it (in the zygote) */
static DtReply dt_spawn_wait(const DtCase *c, DtPath path, int fd,
                             DtShared *shared)
{
    unsigned timeout_ms = c->timeout_ms ? c->timeout_ms : DT_TIMEOUT_MS_DEFAULT;
    DtReply rep = {.r = -1};
    int pipefd[2];
    bool killed = false;
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        rep.err = errno;
        return rep;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(pipefd[0]);
        dt_child(c, path, fd, shared, timeout_ms);
    }
    close(pipefd[1]);
    rep.status = pid < 0 ? -1 : dt_wait(pid, pipefd[0], timeout_ms, &killed);
    rep.err = errno;
    close(pipefd[0]);
    rep.killed = killed;
    rep.r = rep.status == -1 ? -1 : 0;
    return rep;
}

/*
 * The zygote: a process forked once per test process that forks the child
 * of every run. The parent, which grows (xlat's tables, the tests' state),
 * then never forks again, so its pages stay writable instead of taking a
 * copy-on-write fault after every run, and each fork copies only the small
 * zygote. Requests and results travel through the shared memory; a
 * one-byte command and a DtReply through a socket pair.
 */
static struct {
    pid_t owner; /* the process that started it (a fork starts its own) */
    pid_t pid;
    int sock, fd;
    uint8_t *shm;
} dt_zy;

__attribute__((noreturn)) static void dt_zygote_loop(int sock)
{
    DtRequest *q = (DtRequest *)(dt_zy.shm + DT_SHM_REQUEST);
    DtShared *shared = (DtShared *)(dt_zy.shm + DT_SHM_SHARED);
    char cmd;
    while (recv(sock, &cmd, 1, 0) == 1) {
        DtCase c = {.code = q->code,
                    .len = q->len,
                    .mode = q->mode,
                    .timeout_ms = q->timeout_ms};
        memcpy(c.init.gpr, q->gpr, sizeof(c.init.gpr));
        c.init.rflags = q->rflags;
        memcpy(c.init.xmm, q->xmm, sizeof(c.init.xmm));
        c.init.mxcsr = q->mxcsr;
        DtReply rep = dt_spawn_wait(&c, (DtPath)q->path, dt_zy.fd, shared);
        if (send(sock, &rep, sizeof(rep), MSG_NOSIGNAL) != sizeof(rep)) {
            break;
        }
    }
    _exit(0);
}

static void dt_zygote_stop(void)
{
    if (dt_zy.owner == getpid() && dt_zy.pid > 0) {
        close(dt_zy.sock); /* the zygote's recv ends */
        waitpid(dt_zy.pid, NULL, 0);
        munmap(dt_zy.shm, DT_SHM_SIZE);
        close(dt_zy.fd);
    }
    dt_zy.pid = 0;
}

static int dt_zygote_start(void)
{
    int sv[2];
    dt_zy.owner = getpid();
    dt_zy.pid = 0;
    dt_zy.fd = memfd_create("xlat-difftest", MFD_CLOEXEC);
    if (dt_zy.fd < 0 || ftruncate(dt_zy.fd, DT_SHM_SIZE) < 0) {
        return -1;
    }
    dt_zy.shm = mmap(NULL, DT_SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
                     dt_zy.fd, 0);
    if (dt_zy.shm == MAP_FAILED ||
        socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent) {
            _exit(0);
        }
        dt_zygote_loop(sv[1]);
    }
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        return -1;
    }
    dt_zy.pid = pid;
    dt_zy.sock = sv[0];
    return 0;
}

/* one run through the zygote (started, or restarted, as needed) */
static int dt_zygote_run(const DtCase *c, DtPath path, DtReply *rep)
{
    for (unsigned attempt = 0; attempt < 2; attempt++) {
        if (dt_zy.owner != getpid() || dt_zy.pid <= 0) {
            if (dt_zygote_start() < 0) {
                return -1;
            }
        }
        DtRequest *q = (DtRequest *)(dt_zy.shm + DT_SHM_REQUEST);
        memcpy(dt_zy.shm, c->init.data, DT_DATA_SIZE);
        memset(dt_zy.shm + DT_SHM_SHARED, 0, sizeof(DtShared));
        if (c->len) {
            memcpy(q->code, c->code, c->len);
        }
        memcpy(q->gpr, c->init.gpr, sizeof(q->gpr));
        q->rflags = c->init.rflags;
        memcpy(q->xmm, c->init.xmm, sizeof(q->xmm));
        q->mxcsr = c->init.mxcsr;
        q->len = (uint32_t)c->len;
        q->mode = c->mode;
        q->timeout_ms = c->timeout_ms;
        q->path = path;
        if (send(dt_zy.sock, "r", 1, MSG_NOSIGNAL) == 1 &&
            recv(dt_zy.sock, rep, sizeof(*rep), 0) == sizeof(*rep)) {
            return 0;
        }
        dt_zygote_stop(); /* it died: start another once */
    }
    return -1;
}

static int dt_native_run_path(const DtCase *c, DtPath path, DtResult *out)
{
    memset(out, 0, sizeof(*out));
    out->trapno = -1;
    if (c->len > DT_CODE_MAX || (c->len && !c->code)) {
        return -1;
    }
    DtReply rep;
    if (dt_zygote_run(c, path, &rep) < 0) {
        return -1;
    }
    const DtShared *shared = (const DtShared *)(dt_zy.shm + DT_SHM_SHARED);
    if (rep.r < 0 || shared->setup_errno) {
        errno = rep.r < 0 ? rep.err : shared->setup_errno;
        return -1;
    }
    if (__atomic_load_n(&shared->done, __ATOMIC_ACQUIRE)) {
        dt_collect(c, shared, dt_zy.shm, out);
    } else {
        out->final = c->init;
        out->exception = rep.killed ? DT_EXC_TIMEOUT : DT_EXC_KILLED;
        out->signal = WIFSIGNALED(rep.status) ? WTERMSIG(rep.status) : 0;
        memcpy(out->final.data, dt_zy.shm, DT_DATA_SIZE);
    }
    return 0;
}

/* ---- the host: what it can run, and its CPU ---- */

/* the probe's answer for one mode */
typedef struct DtModeProbe {
    bool done;
    DtPath path;   /* the entry that ran the stub */
    char why[240]; /* empty when supported */
} DtModeProbe;

static DtModeProbe dt_probe64, dt_probe32, dt_probe16;

static DtModeProbe *dt_probe_of(unsigned mode)
{
    switch (mode) {
    case 0:
    case DT_MODE64:
        return &dt_probe64;
    case DT_MODE32:
        return &dt_probe32;
    case DT_MODE16:
        return &dt_probe16;
    default:
        return NULL;
    }
}

/*
 * Run "mov eax, 0x5a0ff1e5" (66h in 16-bit code) through one entry path;
 * on failure append what happened to why.
 */
static bool dt_probe_path(DtPath path, unsigned mode, char *why, size_t n)
{
    static const uint8_t stub[] = {0x66, 0xb8, 0xe5, 0xf1, 0x0f, 0x5a};
    DtCase c = {.mode = mode};
    DtResult r;
    dt_state_init(&c.init);
    c.code = mode == DT_MODE16 ? stub : stub + 1;
    c.len = mode == DT_MODE16 ? sizeof(stub) : sizeof(stub) - 1;
    size_t used = strlen(why);
    const char *sep = used ? "; " : "";
    if (dt_native_run_path(&c, path, &r) < 0) {
        snprintf(why + used, n - used, "%s%s: the run could not be set up (%s)",
                 sep, dt_paths[path].name, strerror(errno));
        return false;
    }
    if (r.exception == DT_EXC_NONE &&
        (r.final.gpr[DT_RAX] & 0xffffffffu) == 0x5a0ff1e5u) {
        return true;
    }
    bool entry = r.exception != DT_EXC_NONE && r.final.rip != c.init.rip &&
                 (r.final.rip < DT_CODE_ADDR ||
                  r.final.rip >= DT_CODE_ADDR + DT_CODE_SIZE);
    snprintf(why + used, n - used, "%s%s: %s %s", sep, dt_paths[path].name,
             dt_exc_name(r.exception),
             entry ? "at the far jump into it" : "running the stub");
    return false;
}

static void dt_probe_mode(unsigned mode, DtModeProbe *p)
{
    static const DtPath paths64[] = {DT_PATH_64};
    static const DtPath paths32[] = {DT_PATH_LDT32, DT_PATH_GDT32};
    static const DtPath paths16[] = {DT_PATH_LDT16};
    const DtPath *paths = mode == DT_MODE32   ? paths32
                          : mode == DT_MODE16 ? paths16
                                              : paths64;
    unsigned n = mode == DT_MODE32 ? 2 : 1;
    p->why[0] = 0;
    for (unsigned i = 0; i < n; i++) {
        if (dt_probe_path(paths[i], mode, p->why, sizeof(p->why))) {
            p->path = paths[i];
            p->why[0] = 0;
            p->done = true;
            return;
        }
    }
    p->done = true;
}

static void dt_probe_all(void)
{
    if (!dt_probe64.done) {
        dt_probe_mode(DT_MODE64, &dt_probe64);
        dt_probe_mode(DT_MODE32, &dt_probe32);
        dt_probe_mode(DT_MODE16, &dt_probe16);
    }
}

const char *dt_native_mode_unsupported(unsigned mode)
{
    DtModeProbe *p = dt_probe_of(mode);
    if (!p) {
        return "no such native mode";
    }
    dt_probe_all();
    return p->why[0] ? p->why : NULL;
}

void dt_native_selectors(unsigned mode, uint16_t *cs, uint16_t *ds)
{
    DtModeProbe *p = dt_probe_of(mode);
    DtPath path = mode == DT_MODE16   ? DT_PATH_LDT16
                  : mode == DT_MODE32 ? DT_PATH_LDT32
                                      : DT_PATH_64;
    if (p && !dt_native_mode_unsupported(mode)) {
        path = p->path;
    }
    *cs = dt_paths[path].cs;
    *ds = dt_paths[path].ds;
}

int dt_native_run(const DtCase *c, DtResult *out)
{
    if (dt_native_mode_unsupported(c->mode)) {
        memset(out, 0, sizeof(*out));
        errno = ENOTSUP;
        return -1;
    }
    return dt_native_run_path(c, dt_probe_of(c->mode)->path, out);
}

const DtHost *dt_host(void)
{
    static DtHost h;
    static bool done;
    if (done) {
        return &h;
    }
    unsigned a, b, c, d;
    __cpuid(0, a, b, c, d);
    unsigned max = a;
    memcpy(h.vendor, &b, 4);
    memcpy(h.vendor + 4, &d, 4);
    memcpy(h.vendor + 8, &c, 4);
    h.intel = !strcmp(h.vendor, "GenuineIntel");
    __cpuid(1, a, b, c, d);
    h.l1_ecx = c;
    h.l1_edx = d;
    h.family = (a >> 8) & 0xf;
    h.model = (a >> 4) & 0xf;
    h.stepping = a & 0xf;
    if (h.family == 0xf) {
        h.family += (a >> 20) & 0xff;
    }
    if (h.family >= 6) {
        h.model |= ((a >> 16) & 0xf) << 4;
    }
    if (max >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        h.l7_ebx = b;
        h.l7_ecx = c;
    }
    __cpuid(0x80000000u, a, b, c, d);
    if (a >= 0x80000001u) {
        __cpuid(0x80000001u, a, b, c, d);
        h.e1_ecx = c;
        h.e1_edx = d;
    }
    done = true;
    return &h;
}

void dt_host_print(FILE *f)
{
    const DtHost *h = dt_host();
    dt_probe_all();
    fprintf(f,
            "difftest host: %s family %u model %u stepping %u; native modes:",
            h->vendor, h->family, h->model, h->stepping);
    static const unsigned modes[] = {DT_MODE64, DT_MODE32, DT_MODE16};
    for (unsigned i = 0; i < 3; i++) {
        const DtModeProbe *p = dt_probe_of(modes[i]);
        if (!p->done) {
            fprintf(f, " %u not probed", modes[i]);
        } else if (p->why[0]) {
            fprintf(f, " %u no (%s)", modes[i], p->why);
        } else {
            fprintf(f, " %u yes (%s)", modes[i], dt_paths[p->path].name);
        }
        fputs(i < 2 ? "," : "\n", f);
    }
}
