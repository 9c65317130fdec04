/*
 * tools/bench/sys/process.c: a static ELF64 x86-64 program (the ones in
 * tools/bench/progs) run as a CPL 3 process under 4-level paging. Its
 * PT_LOAD segments get 4 KiB user pages from the pool (file bytes copied,
 * the rest zeroed), a 64 KiB stack with a Linux-style start (argc, argv
 * split from the module string, no environment, AT_NULL), and two system
 * calls: write to fd 1/2 goes to COM1, exit/exit_group ends the process.
 * The image is the kernel's own input, still it is checked: a segment out
 * of range or a pool running dry makes the load fail, not the kernel.
 */
#include "sysbench.h"

#define ELF_PT_LOAD 1
#define ELF_MACHINE_X86_64 62
#define SYS_WRITE 1
#define SYS_EXIT 60
#define SYS_EXIT_GROUP 231
#define ENOSYS 38
#define MAX_ARGS 8
#define ARG_BYTES 256

typedef struct Elf64Ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} Elf64Ehdr;

typedef struct Elf64Phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
} Elf64Phdr;

static uint64_t user_pml4, process_bytes;

/* one page of a segment: the file bytes that fall in it, zeros elsewhere */
static bool load_page(const SbProgram *p, const Elf64Phdr *ph, uint64_t va)
{
    volatile uint64_t *pte = sb_pte(user_pml4, va);
    if (!pte) {
        return false;
    }
    if (!(*pte & SB_PTE_P)) {
        uint64_t pa = sb_alloc_page();
        if (!pa || !sb_map(user_pml4, va, pa, SB_PTE_RW | SB_PTE_US)) {
            return false;
        }
    }
    uint8_t *page = sb_phys(*pte & 0x000ffffffffff000ull);
    uint64_t lo = va > ph->vaddr ? va : ph->vaddr;
    uint64_t hi = ph->vaddr + ph->filesz;
    if (hi > va + SB_PAGE) {
        hi = va + SB_PAGE;
    }
    for (uint64_t a = lo; a < hi; a++) {
        page[a - va] = p->image[ph->offset + (a - ph->vaddr)];
    }
    return true;
}

static bool load_segment(const SbProgram *p, const Elf64Phdr *ph)
{
    uint64_t end = ph->vaddr + ph->memsz;
    if (ph->filesz > ph->memsz || ph->offset > p->size ||
        ph->filesz > p->size - ph->offset || end < ph->vaddr ||
        ph->vaddr < SB_KERNEL_END || end > SB_USER_CODE_VA) {
        return false;
    }
    for (uint64_t va = ph->vaddr & ~(SB_PAGE - 1); va < end; va += SB_PAGE) {
        if (!load_page(p, ph, va)) {
            return false;
        }
    }
    return true;
}

static bool load_elf(const SbProgram *p, uint64_t *entry)
{
    const Elf64Ehdr *eh = (const void *)p->image;
    if (p->size < sizeof(*eh) || memcmp(eh->ident, "\177ELF\2\1", 6) ||
        eh->machine != ELF_MACHINE_X86_64 ||
        eh->phentsize != sizeof(Elf64Phdr) || eh->phoff > p->size ||
        (uint64_t)eh->phnum * sizeof(Elf64Phdr) > p->size - eh->phoff) {
        return false;
    }
    const Elf64Phdr *ph = (const void *)(p->image + eh->phoff);
    for (unsigned i = 0; i < eh->phnum; i++) {
        if (ph[i].type == ELF_PT_LOAD && !load_segment(p, &ph[i])) {
            return false;
        }
    }
    *entry = eh->entry;
    return true;
}

/* map the .user page and the stack into a fresh space */
static bool user_space_init(void)
{
    user_pml4 = sb_space_new();
    uint64_t code_pa = (uint64_t)(uintptr_t)sb_user_page; /* identity */
    if (!user_pml4 || !sb_map(user_pml4, SB_USER_CODE_VA, code_pa, SB_PTE_US)) {
        return false;
    }
    for (uint64_t i = 1; i <= SB_USER_STACK_PAGES; i++) {
        uint64_t pa = sb_alloc_page();
        if (!pa || !sb_map(user_pml4, SB_USER_STACK_TOP - i * SB_PAGE, pa,
                           SB_PTE_RW | SB_PTE_US)) {
            return false;
        }
    }
    return true;
}

uint64_t sb_user_space(void)
{
    if (!user_pml4 && !user_space_init()) {
        user_pml4 = 0;
    }
    return user_pml4;
}

/* the initial stack: strings at the top, then argc, argv[], NULL, NULL,
 * AT_NULL; written through the direct map of the top stack page */
static uint64_t build_stack(const char *args)
{
    volatile uint64_t *pte = sb_pte(user_pml4, SB_USER_STACK_TOP - SB_PAGE);
    uint8_t *top = (uint8_t *)sb_phys(*pte & 0x000ffffffffff000ull) + SB_PAGE;
    uint64_t va_top = SB_USER_STACK_TOP, argv[MAX_ARGS], argc = 0;
    uint64_t len = 0;
    while (args[len] && len < ARG_BYTES - 1) {
        len++;
    }
    uint8_t *s = top - ARG_BYTES;
    for (uint64_t i = 0; i < len; i++) {
        s[i] = args[i] == ' ' ? 0 : (uint8_t)args[i];
    }
    s[len] = 0;
    for (uint64_t i = 0; i < len && argc < MAX_ARGS; i++) {
        if (s[i] && (i == 0 || !s[i - 1])) {
            argv[argc++] = va_top - ARG_BYTES + i;
        }
    }
    uint64_t *sp = (uint64_t *)(void *)(s - 8 * (argc + 6));
    uint64_t *w = sp;
    *w++ = argc;
    for (uint64_t i = 0; i < argc; i++) {
        *w++ = argv[i];
    }
    *w++ = 0; /* argv end */
    *w++ = 0; /* envp end */
    *w++ = 0; /* AT_NULL */
    *w++ = 0;
    return va_top - (uint64_t)(top - (uint8_t *)sp);
}

int64_t sb_run_program(const SbProgram *p, uint64_t *bytes_written)
{
    uint64_t entry;
    if (!sb_user_space() || !load_elf(p, &entry)) {
        return -1;
    }
    uint64_t rsp = build_stack(p->args);
    process_bytes = 0;
    sb_write_cr3(user_pml4);
    uint64_t code = sb_enter_user(entry, rsp, 0);
    sb_write_cr3(sb_kernel_space());
    *bytes_written = process_bytes;
    return (int64_t)(code & 0xff);
}

/* the loops in entry.S return with the user space left loaded */
uint64_t sb_syscall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    switch (nr) {
    case SYS_WRITE:
        if (a0 != 1 && a0 != 2) {
            return (uint64_t)-9; /* EBADF */
        }
        if (a1 < SB_KERNEL_END || a1 >= SB_USER_STACK_TOP ||
            a2 > SB_USER_STACK_TOP - a1) {
            return (uint64_t)-14; /* EFAULT: not process memory */
        }
        for (uint64_t i = 0; i < a2; i++) {
            serial_putc(((const char *)(uintptr_t)a1)[i]);
        }
        process_bytes += a2;
        return a2;
    case SYS_EXIT:
    case SYS_EXIT_GROUP:
        sb_exit_user(a0);
    default:
        return (uint64_t)-ENOSYS;
    }
}
