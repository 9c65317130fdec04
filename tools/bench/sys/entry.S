/*
 * tools/bench/sys/entry.S: the hot paths of the system benchmark kernel,
 * kept in assembly so that xlat and QEMU run the same few instructions per
 * round trip: the SYSCALL entry (a counted no-op returns with SYSRETQ at
 * once; write/exit switch to a kernel stack and go to C), the #PF handler
 * that maps the faulting page, the INT 0x80 handler, the UART IRQ handler,
 * the CPL3 entry and exit, and the user-mode loops (section .user, one page
 * that the kernel maps user-accessible; its code is position independent).
 * SDM vol. 2 SYSCALL/SYSRET/IRET, vol. 3 sec. 7.14 (64-bit interrupts).
 */
#define BENCH_NOP_SYSCALL 500
#define SYS_EXIT 60
#define COM1_IER 0x3f9
#define COM1_IIR 0x3fa
#define PIC1 0x20

    .text
    .code64

/* SYSCALL: RCX = user RIP, R11 = user RFLAGS, RSP is still the user's */
    .globl sb_syscall_entry
sb_syscall_entry:
    cmp $BENCH_NOP_SYSCALL, %rax
    jne 1f
    incq sb_syscall_count(%rip)
    sysretq
1:  mov %rsp, sb_user_rsp(%rip)
    lea sb_kstack_top(%rip), %rsp
    push %rcx
    push %r11
    push %rdi
    push %rsi
    push %rdx
    push %r8
    push %r9
    push %r10
    mov %rdx, %rcx              /* sb_syscall(nr, a0, a1, a2) */
    mov %rsi, %rdx
    mov %rdi, %rsi
    mov %rax, %rdi
    call sb_syscall
    pop %r10
    pop %r9
    pop %r8
    pop %rdx
    pop %rsi
    pop %rdi
    pop %r11
    pop %rcx
    mov sb_user_rsp(%rip), %rsp
    sysretq

/*
 * #PF (error code on the stack): a fault at sb_pf_addr is fixed by storing
 * sb_pf_pte_val into *sb_pf_pte and retrying; any other fault goes to the
 * library's stub, which reports it and ends the test.
 */
    .globl sb_pf_entry
sb_pf_entry:
    push %rax
    push %rdx
    mov %cr2, %rax
    cmp sb_pf_addr(%rip), %rax
    jne 1f
    mov sb_pf_pte(%rip), %rax
    mov sb_pf_pte_val(%rip), %rdx
    mov %rdx, (%rax)
    incq sb_pf_count(%rip)
    pop %rdx
    pop %rax
    add $8, %rsp
    iretq
1:  pop %rdx
    pop %rax
    jmp *isr_stubs+14*8(%rip)

/* INT 0x80 (a DPL 3 interrupt gate) */
    .globl sb_int_entry
sb_int_entry:
    incq sb_int_count(%rip)
    iretq

/* IRQ 4 (COM1): THRE acknowledged by reading IIR, ETBEI off, EOI */
    .globl sb_irq_entry
sb_irq_entry:
    push %rax
    push %rdx
    mov $COM1_IIR, %dx
    in %dx, %al
    mov $COM1_IER, %dx
    xor %eax, %eax
    out %al, %dx
    mov $0x20, %al
    out %al, $PIC1
    incq sb_irq_count(%rip)
    pop %rdx
    pop %rax
    iretq

/*
 * uint64_t sb_enter_user(uint64_t rip, uint64_t rsp, uint64_t rbx): run at
 * CPL 3 from rip with rsp and rbx (the loop count) until the exit system
 * call, whose code sb_exit_user() returns from here.
 */
    .globl sb_enter_user
sb_enter_user:
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, sb_kernel_rsp(%rip)
    mov %rdx, %rbx
    pushq $0x1b                 /* SS: user data, RPL 3 */
    push %rsi                   /* RSP */
    pushq $0x2                  /* RFLAGS: IF clear */
    pushq $0x23                 /* CS: user code, RPL 3 */
    push %rdi                   /* RIP */
    xor %eax, %eax
    xor %ecx, %ecx
    xor %edx, %edx
    xor %esi, %esi
    xor %edi, %edi
    xor %ebp, %ebp
    xor %r8d, %r8d
    xor %r9d, %r9d
    xor %r10d, %r10d
    xor %r11d, %r11d
    xor %r12d, %r12d
    xor %r13d, %r13d
    xor %r14d, %r14d
    xor %r15d, %r15d
    iretq

/* void sb_exit_user(uint64_t code): back to sb_enter_user's caller */
    .globl sb_exit_user
sb_exit_user:
    mov sb_kernel_rsp(%rip), %rsp
    mov %rdi, %rax
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    ret

/* user-mode loops: RBX = iterations (at least 1), then exit(0) */
    .section .user, "ax"
    .align 4096
    .globl sb_user_page
sb_user_page:
    .globl sb_user_syscall_loop
sb_user_syscall_loop:
    mov $BENCH_NOP_SYSCALL, %eax
    syscall
    dec %rbx
    jnz sb_user_syscall_loop
    jmp sb_user_exit

    .globl sb_user_int_loop
sb_user_int_loop:
    int $0x80
    dec %rbx
    jnz sb_user_int_loop
sb_user_exit:
    mov $SYS_EXIT, %eax
    xor %edi, %edi
    syscall
    ud2
    .align 4096

    .section .bss
    .align 16
sb_kstack:
    .skip 16384
sb_kstack_top:
    .globl sb_syscall_count, sb_int_count, sb_irq_count, sb_pf_count
    .globl sb_pf_addr, sb_pf_pte, sb_pf_pte_val
sb_syscall_count: .skip 8
sb_int_count: .skip 8
sb_irq_count: .skip 8
sb_pf_count: .skip 8
sb_pf_addr: .skip 8
sb_pf_pte: .skip 8
sb_pf_pte_val: .skip 8
sb_user_rsp: .skip 8
sb_kernel_rsp: .skip 8

    .section .note.GNU-stack, "", @progbits
