/*
 * tasks: privilege changes and tasks in 32-bit protected mode (tasks32.S
 * runs them): a call gate from CPL 3 to CPL 0 with a parameter copied and
 * RET imm16 back, INT n from CPL 3 onto SS0:ESP0, a CALL through a task
 * gate and IRET back through the link (NT, busy bits, CR0.TS), LAR of a
 * call gate, and IRET into virtual-8086 mode with INT n back to CPL 0
 * (the V86 frame, the data segments nulled). SDM vol. 3A ch. 5, 7, 20.
 */
#include "lib/guest.h"

/* filled by tasks32.S */
uint32_t r32[32];

/* the 32-bit tables, built here */
uint64_t gdt32[16] __attribute__((aligned(16)));
uint64_t idt32[256] __attribute__((aligned(16)));
uint32_t tss_a[26] __attribute__((aligned(16)));
uint32_t tss_b[26] __attribute__((aligned(16)));
struct __attribute__((packed)) {
    uint16_t limit;
    uint64_t base;
} gdt32_ptr, idt32_ptr;

extern char gate_entry[], handler80[], handler81[], task_b_entry[];
extern char fault32[], user1_ret[], user1_int_ret[];
extern char kstack0_top[], ustack_top[], tstack_top[];
void run32(void);

static uint32_t a32(const void *p)
{
    return (uint32_t)(uintptr_t)p;
}

static uint64_t seg(uint32_t base, uint32_t limit, unsigned access,
                    unsigned flags)
{
    return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
           ((uint64_t)access << 40) | ((uint64_t)(limit >> 16 & 0xf) << 48) |
           ((uint64_t)flags << 52) | ((uint64_t)(base >> 24) << 56);
}

static uint64_t gate(unsigned type, uint16_t sel, uint32_t off, unsigned dpl,
                     unsigned params)
{
    return (off & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)params << 32) |
           ((uint64_t)type << 40) | ((uint64_t)dpl << 45) | (1ull << 47) |
           ((uint64_t)(off >> 16) << 48);
}

static void build_tables(void)
{
    gdt32[1] = 0x00cf9a000000ffffull;          /* 0x08: code 32, DPL 0 */
    gdt32[2] = 0x00cf92000000ffffull;          /* 0x10: data, DPL 0 */
    gdt32[3] = 0x00cffa000000ffffull;          /* 0x18: code 32, DPL 3 */
    gdt32[4] = 0x00cff2000000ffffull;          /* 0x20: data, DPL 3 */
    gdt32[5] = seg(a32(tss_a), 0x67, 0x89, 0); /* 0x28: TSS A */
    gdt32[6] = seg(a32(tss_b), 0x67, 0x89, 0); /* 0x30: TSS B */
    gdt32[7] = gate(0xc, 0x08, a32(gate_entry), 3, 1); /* 0x38 */
    gdt32[8] = gate(0x5, 0x30, 0, 0, 0);               /* 0x40 */
    gdt32[9] = 0x00af9a000000ffffull; /* 0x48: 64-bit code, back */
    gdt32_ptr.limit = sizeof(gdt32) - 1;
    gdt32_ptr.base = a32(gdt32);
    for (int v = 0; v < 32; v++) {
        idt32[v] = gate(0xe, 0x08, a32(fault32), 0, 0);
    }
    idt32[0x80] = gate(0xe, 0x08, a32(handler80), 3, 0);
    idt32[0x81] = gate(0xe, 0x08, a32(handler81), 3, 0);
    idt32_ptr.limit = sizeof(idt32) - 1;
    idt32_ptr.base = a32(idt32);
    tss_a[1] = a32(kstack0_top);  /* ESP0 */
    tss_a[2] = 0x10;              /* SS0 */
    tss_a[25] = 104u << 16;       /* no I/O bitmap */
    tss_b[8] = a32(task_b_entry); /* EIP */
    tss_b[9] = 0x2;               /* EFLAGS */
    tss_b[14] = a32(tstack_top);  /* ESP */
    static const uint32_t segs[] = {0x10, 0x08, 0x10, 0x10, 0x10, 0x10};
    for (int i = 0; i < 6; i++) {
        tss_b[18 + i] = segs[i];
    }
    tss_b[25] = 104u << 16;
    /* the V86 code at 0x2000:0: mov ax, 0x1234; int 0x81 */
    static const uint8_t v86[] = {0xb8, 0x34, 0x12, 0xcd, 0x81};
    memcpy((void *)0x20000, v86, sizeof(v86));
}

int test_main(void)
{
    serial_puts("tasks: call gates, task switches and V86 mode\n");
    build_tables();
    run32();
    check_eq("no unexpected exception", r32[27], 0);
    check_eq("call gate: ESP0 - 20", r32[0], a32(kstack0_top) - 20);
    check_eq("call gate: SS0", r32[1], 0x10);
    check_eq("call gate: return EIP", r32[2], a32(user1_ret));
    check_eq("call gate: return CS", r32[3], 0x1b);
    check_eq("call gate: the parameter", r32[4], 0x1111);
    check_eq("call gate: old ESP", r32[5], a32(ustack_top) - 4);
    check_eq("call gate: old SS", r32[6], 0x23);
    check_eq("ret imm16: user ESP", r32[7], a32(ustack_top));
    check_eq("ret: back at CPL 3", r32[8], 0x1b);
    check_eq("int 0x80: EIP", r32[9], a32(user1_int_ret));
    check_eq("int 0x80: CS", r32[10], 0x1b);
    check_eq("task B: NT", r32[13], 0x4000);
    check_eq("task B: TR", r32[14], 0x30);
    check_eq("task B: link", r32[15], 0x28);
    check_eq("IRET back: TR", r32[11], 0x28);
    check_eq("IRET back: NT clear", r32[12], 0);
    check_eq("task switch: CR0.TS", r32[28], 8);
    check_eq("LAR of the call gate", r32[29], (gdt32[7] >> 32) & 0x00f0ff00);
    check_eq("LAR: ZF", r32[30], 1);
    check_eq("busy bit of TSS B cleared", (gdt32[6] >> 40) & 0xf, 0x9);
    check_eq("V86: DS nulled", r32[16], 0);
    check_eq("V86: AX", r32[17] & 0xffff, 0x1234);
    check_eq("V86 frame: EIP", r32[18], 5);
    check_eq("V86 frame: CS", r32[19], 0x2000);
    check_eq("V86 frame: VM", r32[20] & 0x20000, 0x20000);
    check_eq("V86 frame: ESP", r32[21], 0xff0);
    check_eq("V86 frame: SS", r32[22], 0x3000);
    check_eq("V86 frame: ES", r32[23], 0x0c00);
    check_eq("V86 frame: DS", r32[24], 0x0b00);
    check_eq("V86 frame: FS", r32[25], 0x0a00);
    check_eq("V86 frame: GS", r32[26], 0x0900);
    return (int)failures();
}
