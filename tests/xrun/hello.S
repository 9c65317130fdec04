/*
 * tests/xrun/hello.S: the xrun test program. Sums 4+3+2+1 in a loop (the
 * loop body is its own block, run 3 times after the first), writes a line
 * with write(1, ...) and exits with status 7. 23 instructions in all;
 * check_xrun.py knows the offsets below.
 */
    .globl _start
    .text
_start:
    mov $4, %ecx            /* entry + 0, 5 bytes */
    xor %eax, %eax          /* entry + 5 */
1:  add %rcx, %rax          /* entry + 7: the loop block */
    dec %rcx
    jnz 1b
    mov %rax, %rbx          /* entry + 15: RAX = RBX = 10 from here */
    mov $1, %eax
    mov $1, %edi
    lea msg(%rip), %rsi
    mov $msg_end - msg, %edx
    syscall
    mov $60, %eax
    mov $7, %edi
    syscall
    hlt

    .section .rodata
msg:
    .ascii "hello from xrun\n"
msg_end:
