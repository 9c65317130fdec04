/*
 * tools/bench/sys/sysbench.h: the system benchmark kernel's pieces shared
 * between its files: the descriptor tables and MSRs (CPL 3 with SYSCALL,
 * a TSS and a 256-vector IDT), 4-level page tables built from a page pool
 * with a direct map of physical memory, the ELF loader that runs a static
 * program as a CPL 3 process, and the counters the assembly entry points
 * (entry.S) update.
 */
#ifndef SYSBENCH_H
#define SYSBENCH_H

#include "../../../tests/guest/lib/guest.h"

#define SB_KERNEL_CS 0x08
#define SB_USER_DS 0x1b /* GDT 0x18, RPL 3 */
#define SB_USER_CS 0x23 /* GDT 0x20, RPL 3 */
#define SB_TSS_SEL 0x28

#define SB_PAGE 4096ull
#define SB_PTE_P 0x1ull
#define SB_PTE_RW 0x2ull
#define SB_PTE_US 0x4ull
#define SB_PTE_PS 0x80ull
#define SB_PTE_G 0x100ull

/* virtual layout of every address space below 1 GiB */
#define SB_KERNEL_END 0x400000ull     /* 0..4 MiB: the kernel, 2 MiB pages */
#define SB_DMAP 0x40000000ull         /* 1..2 GiB: physical 0..1 GiB */
#define SB_USER_CODE_VA 0x3e800000ull /* the .user page, user-accessible */
#define SB_USER_STACK_TOP 0x3fff0000ull
#define SB_USER_STACK_PAGES 16

/* entry.S */
void sb_syscall_entry(void);
void sb_pf_entry(void);
void sb_int_entry(void);
void sb_irq_entry(void);
uint64_t sb_enter_user(uint64_t rip, uint64_t rsp, uint64_t rbx);
__attribute__((noreturn)) void sb_exit_user(uint64_t code);
extern const uint8_t sb_user_page[], sb_user_syscall_loop[], sb_user_int_loop[];
extern volatile uint64_t sb_syscall_count, sb_int_count, sb_irq_count,
    sb_pf_count;
extern uint64_t sb_pf_addr, sb_pf_pte_val;
extern volatile uint64_t *sb_pf_pte;

/* machine.c: tables, MSRs, paging */
void sb_cpu_init(void);
/* start of free physical memory (above the kernel and the module) and its
 * end; pages come from here; false when there is none */
bool sb_pool_init(uint64_t start, uint64_t end);
uint64_t sb_alloc_page(void); /* zeroed; 0 when the pool is empty */
void *sb_phys(uint64_t pa);
/* a new address space: the kernel's 0..4 MiB and the direct map */
uint64_t sb_space_new(void);
/* the PTE for va (tables allocated on the way); NULL when out of pages */
volatile uint64_t *sb_pte(uint64_t pml4, uint64_t va);
bool sb_map(uint64_t pml4, uint64_t va, uint64_t pa, uint64_t flags);
/* switch to the kernel's address space and turn on the direct map */
void sb_paging_init(void);
uint64_t sb_kernel_space(void);

static inline void sb_write_cr3(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline void sb_invlpg(uint64_t va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* process.c: a static ELF64 program as a CPL 3 process */
typedef struct SbProgram {
    const uint8_t *image; /* the module's bytes */
    uint64_t size;
    const char *args; /* the module string: "path arg..." */
} SbProgram;

/* run it to its exit; returns its exit code, or -1 if it cannot load */
int64_t sb_run_program(const SbProgram *p, uint64_t *bytes_written);
/* the user address space for the CPL 3 loops (.user page and a stack) */
uint64_t sb_user_space(void);
/* the system calls of the process: write(1/2) to COM1, exit */
uint64_t sb_syscall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2);

#endif
