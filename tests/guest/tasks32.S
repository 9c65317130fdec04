/*
 * The 32-bit half of the 'tasks' kernel (tasks.c builds the tables): from
 * long mode down to 32-bit protected mode with paging off (SDM vol. 3A
 * 10.8.5.4, leaving IA-32e mode), then a far CALL through a call gate from
 * CPL 3 to CPL 0 and RET imm16 back, INT n from CPL 3, a CALL through a
 * task gate and IRET back through the link, and an IRET into V86 mode
 * whose INT n returns to a CPL 0 handler; every observation goes into
 * r32[] (indices in tasks.c). Then back to long mode and to the C caller.
 */
#define R(i) (r32 + 4 * (i))

    .text
    .code64
    .globl run32
run32:
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, saved_rsp(%rip)
    sgdt saved_gdtr(%rip)
    sidt saved_idtr(%rip)
    lgdt gdt32_ptr(%rip)
    pushq $0x08
    lea pm32_entry(%rip), %rax
    push %rax
    lretq

    .code32
pm32_entry:                     /* compatibility mode, CPL 0 */
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    mov $kstack_top, %esp
    mov %cr0, %eax
    and $0x7fffffff, %eax       /* paging off: IA-32e mode ends */
    mov %eax, %cr0
    mov $0xc0000080, %ecx
    rdmsr
    and $~0x100, %eax           /* EFER.LME */
    wrmsr
    lidt idt32_ptr
    mov $0x28, %ax
    ltr %ax

    /* T1: to CPL 3, then CALL through the call gate 0x38 */
    pushl $0x23
    pushl $ustack_top
    pushl $0x2
    pushl $0x1b
    pushl $user1
    iret
user1:
    mov $0x23, %ax              /* IRET nulled DS/ES (DPL 0) */
    mov %ax, %ds
    mov %ax, %es
    pushl $0x1111
    lcall $0x3b, $0
user1_ret:
    mov %esp, R(7)
    mov %cs, %eax
    mov %eax, R(8)
    int $0x80
user1_int_ret:
    jmp user1_int_ret

    .globl gate_entry
gate_entry:                     /* CPL 0 through the call gate */
    mov %esp, R(0)
    mov %ss, %eax
    mov %eax, R(1)
    mov 0(%esp), %eax
    mov %eax, R(2)
    mov 4(%esp), %eax
    mov %eax, R(3)
    mov 8(%esp), %eax
    mov %eax, R(4)
    mov 12(%esp), %eax
    mov %eax, R(5)
    mov 16(%esp), %eax
    mov %eax, R(6)
    lret $4

    .globl handler80
handler80:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov 0(%esp), %eax
    mov %eax, R(9)
    mov 4(%esp), %eax
    mov %eax, R(10)
    mov $kstack_top, %esp

    /* T2: CALL through the task gate 0x40; task B IRETs back */
    lcall $0x40, $0
    str %ax
    movzwl %ax, %eax
    mov %eax, R(11)
    pushf
    pop %eax
    and $0x4000, %eax
    mov %eax, R(12)
    mov %cr0, %eax
    and $8, %eax
    mov %eax, R(28)
    clts
    mov $0x3b, %ecx
    xor %eax, %eax
    lar %ecx, %eax
    mov %eax, R(29)
    setz %al
    movzbl %al, %eax
    mov %eax, R(30)
    jmp t3

    .globl task_b_entry
task_b_entry:
    pushf
    pop %eax
    and $0x4000, %eax
    mov %eax, R(13)
    str %ax
    movzwl %ax, %eax
    mov %eax, R(14)
    movzwl tss_b, %eax
    mov %eax, R(15)
    iret

    /* T3: IRET into V86 mode; its INT 0x81 comes to handler81 */
t3:
    pushl $0x0900               /* GS */
    pushl $0x0a00               /* FS */
    pushl $0x0b00               /* DS */
    pushl $0x0c00               /* ES */
    pushl $0x3000               /* SS */
    pushl $0x0ff0               /* ESP */
    pushl $0x23002              /* EFLAGS: VM, IOPL 3 */
    pushl $0x2000               /* CS */
    pushl $0                    /* EIP */
    iret

    .globl handler81
handler81:
    mov %ds, %ebx
    mov $0x10, %dx
    mov %dx, %ds
    mov %dx, %es
    mov %ebx, R(16)
    mov %eax, R(17)
    xor %ecx, %ecx
1:  mov (%esp, %ecx, 4), %eax
    mov %eax, R(18)(, %ecx, 4)
    inc %ecx
    cmp $9, %ecx
    jne 1b
    jmp t_done

    .globl fault32
fault32:                        /* any exception: mark it and leave */
    mov $0x10, %ax
    mov %ax, %ds
    movl $0xdead, R(27)
    mov (%esp), %eax
    mov %eax, R(31)

t_done:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $kstack_top, %esp
    clts
    mov $0xc0000080, %ecx
    rdmsr
    or $0x100, %eax
    wrmsr
    mov %cr0, %eax
    or $0x80000000, %eax        /* paging on with LME: IA-32e mode again */
    mov %eax, %cr0
    ljmp $0x48, $back64

    .code64
back64:
    lgdt saved_gdtr(%rip)
    lidt saved_idtr(%rip)
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    mov saved_rsp(%rip), %rsp
    pushq $0x08
    lea 2f(%rip), %rax
    push %rax
    lretq
2:  pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    ret

    .globl user1_ret, user1_int_ret, kstack0_top, ustack_top, tstack_top
    .data
    .align 16
saved_gdtr:
    .skip 16
saved_idtr:
    .skip 16
saved_rsp:
    .quad 0

    .bss
    .align 16
    .skip 4096
kstack_top:
    .skip 4096
kstack0_top:
    .skip 4096
ustack_top:
    .skip 4096
tstack_top:

    .section .note.GNU-stack, "", @progbits
