/*
 * Exception and IRQ entry stubs for vectors 0..47 (64-bit mode). Each stub makes the
 * stack look the same whether or not the CPU pushed an error code (SDM vol. 3
 * sec. 7.13, "Error Code"): push a zero for vectors without one, then the
 * vector number; isr_common saves the GPRs into an IsrFrame (lib/guest.h),
 * calls isr_dispatch(frame) and returns with iretq, so a handler may change
 * the saved RIP to resume elsewhere.
 */
    .text
    .code64

.macro ISR_NOERR vec
    .align 16
isr\vec:
    pushq $0
    pushq $\vec
    jmp isr_common
.endm

.macro ISR_ERR vec
    .align 16
isr\vec:
    pushq $\vec
    jmp isr_common
.endm

ISR_NOERR 0
ISR_NOERR 1
ISR_NOERR 2
ISR_NOERR 3
ISR_NOERR 4
ISR_NOERR 5
ISR_NOERR 6
ISR_NOERR 7
ISR_ERR 8
ISR_NOERR 9
ISR_ERR 10
ISR_ERR 11
ISR_ERR 12
ISR_ERR 13
ISR_ERR 14
ISR_NOERR 15
ISR_NOERR 16
ISR_ERR 17
ISR_NOERR 18
ISR_NOERR 19
ISR_NOERR 20
ISR_ERR 21
ISR_NOERR 22
ISR_NOERR 23
ISR_NOERR 24
ISR_NOERR 25
ISR_NOERR 26
ISR_NOERR 27
ISR_NOERR 28
ISR_ERR 29
ISR_ERR 30
ISR_NOERR 31
/* 32..47: the PIC's IRQs after remapping (lib/guest.h pic_remap) */
.irp vec, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
ISR_NOERR \vec
.endr

isr_common:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    call isr_dispatch
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp               /* vector and error code */
    iretq

    .section .rodata
    .align 8
    .globl isr_stubs
isr_stubs:
    .irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    .quad isr\vec
    .endr

    .section .note.GNU-stack, "", @progbits
