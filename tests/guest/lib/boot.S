/*
 * Entry of every guest test kernel. A multiboot loader (Multiboot 0.6.96,
 * sec. 3.2) starts us in 32-bit protected mode with paging off, EAX =
 * 0x2BADB002 and EBX = the info structure. We zero .bss, identity-map the
 * first 1 GiB with 2 MiB pages, enable PAE and EFER.LME, turn on paging
 * (SDM vol. 3 sec. 10.8.5, "Initializing IA-32e Mode"), load a GDT with a
 * 64-bit code segment and jump to guest_main64() in 64-bit C.
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000002 /* bit 1: give us the memory map */
#define MSR_EFER 0xC0000080
#define EFER_LME 0x100
#define CR0_PE 0x1
#define CR0_PG 0x80000000
#define CR4_PAE 0x20
#define PTE_P_RW 0x3
#define PDE_2M 0x83 /* present, writable, page size */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .boot, "ax"
    .code32
    .globl _start
_start:
    cli
    cld
    mov %eax, %ebp              /* multiboot magic */
    mov %ebx, %esi              /* multiboot info */
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb
    mov %ebp, mb_magic
    mov %esi, mb_info
    mov $boot_stack_top, %esp

    /* PML4[0] -> PDPT, PDPT[0] -> PD, PD[i] = i * 2 MiB */
    mov $pdpt, %eax
    or $PTE_P_RW, %eax
    mov %eax, pml4
    mov $pd, %eax
    or $PTE_P_RW, %eax
    mov %eax, pdpt
    mov $pd, %edi
    mov $PDE_2M, %eax
    mov $512, %ecx
1:  mov %eax, (%edi)
    movl $0, 4(%edi)
    add $0x200000, %eax
    add $8, %edi
    loop 1b

    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $pml4, %eax
    mov %eax, %cr3
    mov $MSR_EFER, %ecx
    rdmsr
    or $EFER_LME, %eax
    wrmsr
    mov %cr0, %eax
    or $(CR0_PG | CR0_PE), %eax
    mov %eax, %cr0

    lgdt gdt_ptr
    ljmp $0x08, $long_mode

    .code64
long_mode:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    mov $boot_stack_top, %rsp
    xor %ebp, %ebp
    call guest_main64
2:  cli
    hlt
    jmp 2b

    .section .rodata
    .align 16
gdt:
    .quad 0                     /* null */
    .quad 0x00af9a000000ffff    /* 0x08: 64-bit code, DPL 0 */
    .quad 0x00cf92000000ffff    /* 0x10: data, 4 GiB, DPL 0 */
gdt_end:
gdt_ptr:
    .word gdt_end - gdt - 1
    .long gdt

    .section .bss
    .align 4096
pml4:
    .skip 4096
pdpt:
    .skip 4096
pd:
    .skip 4096
    .align 16
boot_stack:
    .skip 16384
boot_stack_top:
    .globl mb_magic, mb_info
mb_magic:
    .skip 4
mb_info:
    .skip 4

    .section .note.GNU-stack, "", @progbits
