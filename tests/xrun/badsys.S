/* tests/xrun/badsys.S: calls getpid (39), which xrun does not emulate. */
    .globl _start
    .text
_start:
    mov $39, %eax
    syscall
    mov $60, %eax
    xor %edi, %edi
    syscall
