/*
 * tools/bench/sys/sysbench.c: the system benchmark kernel (multiboot, long
 * mode, tests/guest/lib). The kernel command line picks the benchmark and
 * its loop count:
 *
 *     bench=NAME n=N [args=A] [noflush=0]
 *
 * NAME is syscall, pf, cr3, pcid, int, irq, prog or all. syscall: N
 * SYSCALL/SYSRETQ round trips from a CPL 3 loop; pf: N #PF round trips (a
 * not-present page mapped by the handler, unmapped again with INVLPG);
 * cr3/pcid: N switches between two address spaces, reading a page in each
 * (pcid: CR4.PCIDE, bit 63 set so nothing is flushed, clear with noflush=0);
 * int: N INT 0x80 round trips from CPL 3; irq: N COM1 THRE interrupts through
 * the PIC (raised by enabling IER.ETBEI, acknowledged by the handler); prog:
 * the program in the first multiboot module as a CPL 3 process (argv: the
 * module string, then the value of args= if given). "all" (the
 * default, n=1000) runs every one, prog only when a module is there. Each
 * checks its own result (counts equal N, the pages read hold their values)
 * and reports PASS/FAIL; time is measured from outside, as the difference
 * between two loop counts (tools/bench/sysbench.py).
 */
#include "sysbench.h"

#define MB_INFO_CMDLINE 0x4
#define MB_INFO_MODS 0x8
#define CMDLINE_MAX 256
#define DEFAULT_N 1000
#define PCIDE (1ull << 17)
#define CR3_NOFLUSH (1ull << 63)
#define SPACE_VA 0x400000ull /* the page each space of cr3/pcid reads */
#define PF_VA 0x401000ull
#define PIC1_DATA 0x21
#define COM1_IER 0x3f9
#define IER_ETBEI 0x02
#define IRQ_SPINS 1000000
#define POOL_START 0x1000000ull /* 16 MiB */

typedef struct MbInfo {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
    uint32_t mods_count, mods_addr;
} MbInfo;

typedef struct MbModule {
    uint32_t start, end, string, reserved;
} MbModule;

extern uint32_t mb_info;

static char cmdline[CMDLINE_MAX], module_args[CMDLINE_MAX];
static MbModule module;
static bool have_module;
static uint64_t space_a, space_b;

static void copy_str(char *dst, uint32_t pa)
{
    const char *s = (const char *)(uintptr_t)pa;
    unsigned i = 0;
    for (; pa && s[i] && i < CMDLINE_MAX - 1; i++) {
        dst[i] = s[i];
    }
    dst[i] = 0;
}

/* read what the loader left while physical memory is identity-mapped */
static uint64_t read_boot_info(void)
{
    const MbInfo *mi = (const MbInfo *)(uintptr_t)mb_info;
    uint64_t mem_end = ((uint64_t)mi->mem_upper + 1024) * 1024;
    if (mi->flags & MB_INFO_CMDLINE) {
        copy_str(cmdline, mi->cmdline);
    }
    if ((mi->flags & MB_INFO_MODS) && mi->mods_count) {
        module = *(const MbModule *)(uintptr_t)mi->mods_addr;
        copy_str(module_args, module.string);
        have_module = module.end > module.start;
    }
    return mem_end;
}

/* the value of "key=" in the command line, or NULL */
static const char *arg(const char *key)
{
    unsigned klen = 0;
    while (key[klen]) {
        klen++;
    }
    for (const char *p = cmdline; *p; p++) {
        if ((p == cmdline || p[-1] == ' ') && !memcmp(p, key, klen) &&
            p[klen] == '=') {
            return p + klen + 1;
        }
    }
    return NULL;
}

static bool word_is(const char *v, const char *word)
{
    while (*word && *v == *word) {
        v++;
        word++;
    }
    return !*word && (!*v || *v == ' ');
}

static uint64_t arg_num(const char *key, uint64_t dflt)
{
    const char *v = arg(key);
    uint64_t n = 0;
    for (; v && *v >= '0' && *v <= '9'; v++) {
        n = n * 10 + (uint64_t)(*v - '0');
    }
    return n ? n : dflt;
}

static void bench_syscall(uint64_t n)
{
    uint64_t rip =
        SB_USER_CODE_VA + (uint64_t)(sb_user_syscall_loop - sb_user_page);
    sb_syscall_count = 0;
    sb_write_cr3(sb_user_space());
    uint64_t code = sb_enter_user(rip, SB_USER_STACK_TOP, n);
    sb_write_cr3(sb_kernel_space());
    check_eq("syscall: the CPL 3 loop exited with 0", code, 0);
    check_eq("syscall: SYSCALL/SYSRET round trips", sb_syscall_count, n);
}

static void bench_int(uint64_t n)
{
    uint64_t rip =
        SB_USER_CODE_VA + (uint64_t)(sb_user_int_loop - sb_user_page);
    sb_int_count = 0;
    sb_write_cr3(sb_user_space());
    uint64_t code = sb_enter_user(rip, SB_USER_STACK_TOP, n);
    sb_write_cr3(sb_kernel_space());
    check_eq("int: the CPL 3 loop exited with 0", code, 0);
    check_eq("int: INT 0x80/IRETQ round trips", sb_int_count, n);
}

static void bench_pf(uint64_t n)
{
    uint64_t pa = sb_alloc_page();
    volatile uint64_t *pte = sb_pte(sb_kernel_space(), PF_VA);
    if (!pa || !pte) {
        report_fail("pf: no memory for the page");
        return;
    }
    *(volatile uint64_t *)sb_phys(pa) = 0x5eed;
    sb_pf_addr = PF_VA;
    sb_pf_pte = pte;
    sb_pf_pte_val = pa | SB_PTE_P | SB_PTE_RW;
    sb_pf_count = 0;
    *pte = 0;
    sb_invlpg(PF_VA);
    uint64_t sum = 0;
    for (uint64_t i = 0; i < n; i++) {
        sum += *(volatile uint64_t *)PF_VA; /* faults, mapped, retried */
        *pte = 0;
        sb_invlpg(PF_VA);
    }
    check_eq("pf: #PF round trips", sb_pf_count, n);
    check_eq("pf: every retried load read the page", sum, n * 0x5eed);
}

static bool spaces_init(void)
{
    if (space_a) {
        return true;
    }
    space_a = sb_space_new();
    space_b = sb_space_new();
    uint64_t pa = sb_alloc_page(), pb = sb_alloc_page();
    if (!space_b || !pa || !pb || !sb_map(space_a, SPACE_VA, pa, SB_PTE_RW) ||
        !sb_map(space_b, SPACE_VA, pb, SB_PTE_RW)) {
        return false;
    }
    *(volatile uint64_t *)sb_phys(pa) = 1;
    *(volatile uint64_t *)sb_phys(pb) = 1000000;
    return true;
}

/* n round trips A -> B -> A, reading SPACE_VA in each; returns the sum */
static uint64_t switch_loop(uint64_t cr3_a, uint64_t cr3_b, uint64_t n)
{
    uint64_t sum = 0;
    for (uint64_t i = 0; i < n; i++) {
        sb_write_cr3(cr3_a);
        sum += *(volatile uint64_t *)SPACE_VA;
        sb_write_cr3(cr3_b);
        sum += *(volatile uint64_t *)SPACE_VA;
    }
    return sum;
}

static void bench_cr3(uint64_t n)
{
    if (!spaces_init()) {
        report_fail("cr3: no memory for the spaces");
        return;
    }
    uint64_t sum = switch_loop(space_a, space_b, n);
    sb_write_cr3(sb_kernel_space());
    check_eq("cr3: each space read its own page", sum, n * 1000001);
}

static volatile uint64_t gp_count;
static uint64_t gp_resume;

static void on_gp(IsrFrame *f)
{
    gp_count++;
    f->rip = gp_resume;
}

/* set CR4.PCIDE; false if the CPU refuses it (no PCID: #GP, or the bit
 * does not stick) */
static bool pcide_on(void)
{
    uint64_t cr4;
    gp_count = 0;
    idt_set_handler(13, on_gp);
    __asm__ volatile("lea 1f(%%rip), %%rax\n\t"
                     "mov %%rax, %1\n\t"
                     "mov %%cr4, %0\n\t"
                     "or %2, %0\n\t"
                     "mov %0, %%cr4\n"
                     "1:"
                     : "=&r"(cr4), "=m"(gp_resume)
                     : "r"(PCIDE)
                     : "rax", "memory");
    idt_set_handler(13, NULL);
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    return gp_count == 0 && (cr4 & PCIDE); /* QEMU drops it silently */
}

static void pcide_off(void)
{
    uint64_t cr4;
    sb_write_cr3(sb_kernel_space()); /* PCID 0 first (SDM 4.10.1) */
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 & ~PCIDE) : "memory");
}

static void bench_pcid(uint64_t n)
{
    if (!spaces_init()) {
        report_fail("pcid: no memory for the spaces");
        return;
    }
    if (!pcide_on()) {
        serial_puts("SKIP pcid: CR4.PCIDE refused (no PCID)\n");
        return;
    }
    /* a first switch to each tag fills it; then none flushes, unless
     * noflush=0 (QEMU 7.2 TCG takes CR3 bit 63 as a reserved bit) */
    const char *nf = arg("noflush");
    uint64_t keep = nf && *nf == '0' ? 0 : CR3_NOFLUSH;
    switch_loop(space_a | 1, space_b | 2, 1);
    uint64_t sum = switch_loop(space_a | 1 | keep, space_b | 2 | keep, n);
    pcide_off();
    check_eq("pcid: each PCID read its own page", sum, n * 1000001);
}

static void bench_irq(uint64_t n)
{
    uint64_t lost = 0;
    sb_irq_count = 0;
    outb(PIC1_DATA, 0xef); /* IRQ 4 only */
    __asm__ volatile("sti");
    for (uint64_t i = 0; i < n; i++) {
        outb(COM1_IER, IER_ETBEI); /* THR is empty: IRQ 4 now */
        unsigned spins = 0;
        while (sb_irq_count == i && spins < IRQ_SPINS) {
            spins++;
        }
        if (sb_irq_count == i) {
            lost++;
            outb(COM1_IER, 0);
            break;
        }
    }
    __asm__ volatile("cli");
    outb(PIC1_DATA, 0xff);
    check_eq("irq: no interrupt lost", lost, 0);
    check_eq("irq: COM1 THRE interrupt round trips", sb_irq_count, n);
}

/* argv: the module string ("path [args]"), then the value of "args=" */
static void module_args_append(void)
{
    const char *v = arg("args");
    unsigned i = 0;
    while (module_args[i]) {
        i++;
    }
    if (v && i < CMDLINE_MAX - 2) {
        module_args[i++] = ' ';
        for (; *v && *v != ' ' && i < CMDLINE_MAX - 1; v++) {
            module_args[i++] = *v;
        }
        module_args[i] = 0;
    }
}

static void bench_prog(void)
{
    module_args_append();
    SbProgram p = {
        .image = sb_phys(module.start),
        .size = module.end - module.start,
        .args = module_args,
    };
    uint64_t bytes = 0;
    int64_t code = sb_run_program(&p, &bytes);
    check_eq("prog: the CPL 3 process exited with 0", (uint64_t)code, 0);
    check("prog: the process wrote its result", bytes > 0);
}

static void pic_init(void)
{
    outb(0x20, 0x11); /* ICW1..4: vectors 32.. and 40.., cascade on IR2 */
    outb(0xa0, 0x11);
    outb(0x21, 0x20);
    outb(0xa1, 0x28);
    outb(0x21, 0x04);
    outb(0xa1, 0x02);
    outb(0x21, 0x01);
    outb(0xa1, 0x01);
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
}

static bool machine_init(void)
{
    uint64_t mem_end = read_boot_info();
    uint64_t start = POOL_START;
    if (have_module && module.end > start) {
        start = module.end;
    }
    sb_cpu_init();
    pic_init();
    if (!sb_pool_init(start, mem_end)) {
        return false;
    }
    sb_paging_init();
    return true;
}

int test_main(void)
{
    if (!machine_init()) {
        report_fail("sysbench: no free memory above the kernel");
        return (int)failures();
    }
    const char *b = arg("bench");
    uint64_t n = arg_num("n", DEFAULT_N);
    bool all = !b || word_is(b, "all");
    serial_puts("sysbench: bench=");
    for (const char *c = b ? b : "all"; *c && *c != ' '; c++) {
        serial_putc(*c);
    }
    serial_puts(" n=");
    serial_put_dec(n);
    serial_putc('\n');
    static const struct {
        const char *name;
        void (*run)(uint64_t n);
    } benches[] = {
        {"syscall", bench_syscall}, {"pf", bench_pf},   {"cr3", bench_cr3},
        {"pcid", bench_pcid},       {"int", bench_int}, {"irq", bench_irq},
    };
    bool found = false;
    for (unsigned i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
        if (all || word_is(b, benches[i].name)) {
            benches[i].run(n);
            found = true;
        }
    }
    if ((all && have_module) || (b && word_is(b, "prog"))) {
        if (have_module) {
            bench_prog();
        } else {
            report_fail("prog: no multiboot module (-initrd PROGRAM)");
        }
        found = true;
    }
    if (!found) {
        report_fail("sysbench: unknown bench= (syscall pf cr3 pcid int irq "
                    "prog all)");
    }
    return (int)failures();
}
