/*
 * The debug registers on the tiny machine, both backends: MOV DR (reset
 * values, fixed bits, #GP/#UD/GD, the DR4/DR5 aliases), execute
 * breakpoints (a #DB fault before the instruction, RF, the TB flush when
 * DR0-3/DR7 change), data breakpoints through the TLB watch tag (a #DB
 * trap after the instruction, LEN alignment, REP per iteration), I/O
 * breakpoints under CR4.DE, and RF in the image of a delivered fault. Each
 * checks the exact DR6 and the fault or trap RIP.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cpu/debug.h"
#include "cpu/exec.h"
#include "tiny_machine.h"

#define IDT 0x62000ull
#define H_DB (TM_CODE + 0x800) /* #DB: count in rdx, set RF, iretq */
#define H_HLT (TM_CODE + 0x840)

static TinyMachine m;

/* the prefix every test runs first: DR0 = rax, DR1 = rbx, DR7 = rdx */
#define SET_DRS 0x0f, 0x23, 0xc0, 0x0f, 0x23, 0xcb, 0x0f, 0x23, 0xfa
#define SET_DRS_LEN 9
#define INC_RCX 0x48, 0xff, 0xc1
#define INT3 0xcc

/* DR7: Ln enabled, R/W and LEN of breakpoint n */
static uint64_t dr7_bp(unsigned n, unsigned rw, unsigned len)
{
    return (1ull << (2 * n)) | ((uint64_t)rw << (16 + 4 * n)) |
           ((uint64_t)len << (18 + 4 * n));
}

static int run(const uint8_t *code, size_t len, uint64_t dr0, uint64_t dr1,
               uint64_t dr7)
{
    m.env->regs[R_EAX] = dr0;
    m.env->regs[R_EBX] = dr1;
    m.env->regs[R_EDX] = dr7;
    return tm_run(&m, code, len);
}

static int resume(void)
{
    return tm_run_cpu(m.env, m.env->rip);
}

#define FOR_BACKENDS(cpl)                                                      \
    for (size_t b = 0; b < 2; b++)                                             \
        for (int once_ = (tm_new(&m, tm_backends[b], cpl, 0), 1); once_;       \
             once_ = 0, tm_free(&m))

Test(debug, reset_values_and_fixed_bits)
{
    static const uint8_t code[] = {0x0f, 0x21, 0xf0, /* mov rax, dr6 */
                                   0x0f, 0x21, 0xfb, /* mov rbx, dr7 */
                                   0x0f, 0x23, 0xf1, /* mov dr6, rcx */
                                   0x0f, 0x23, 0xfa, /* mov dr7, rdx */
                                   0x0f, 0x21, 0xf6, /* mov rsi, dr6 */
                                   0x0f, 0x21, 0xff, /* mov rdi, dr7 */
                                   INT3};
    FOR_BACKENDS(0)
    {
        m.env->regs[R_ECX] = 0xffffffffu;
        m.env->regs[R_EDX] = 0xffff0000u | 0x3ff; /* no GD */
        cr_assert_eq(tm_run(&m, code, sizeof(code)), 3);
        cr_assert_eq(m.env->regs[R_EAX], 0xffff0ff0);
        cr_assert_eq(m.env->regs[R_EBX], 0x400);
        cr_assert_eq(m.env->regs[R_ESI], 0xffffefff, "bit 12 reads as 0");
        cr_assert_eq(m.env->regs[R_EDI], 0xffff07ff, "bit 10 reads as 1");
        cpu_x86_reset(m.env);
        cr_assert_eq(m.env->dr[6], 0xffff0ff0);
        cr_assert_eq(m.env->dr[7], 0x400);
        cr_assert_eq(m.env->tlb.nwatch, 0);
    }
}

Test(debug, dr0_takes_any_address_dr6_dr7_upper_bits_gp)
{
    static const uint8_t code[] = {SET_DRS, 0x0f, 0x21, 0xc6, /* mov rsi, dr0 */
                                   INT3};
    static const uint8_t dr7[] = {0x0f, 0x23, 0xf9, INT3}; /* mov dr7, rcx */
    static const uint8_t dr6[] = {0x0f, 0x23, 0xf1, INT3}; /* mov dr6, rcx */
    FOR_BACKENDS(0)
    {
        uint64_t nc = 0x8000000000001234ull; /* not canonical: no check */
        cr_assert_eq(run(code, sizeof(code), nc, 0, 0x400), 3);
        cr_assert_eq(m.env->regs[R_ESI], nc);
        m.env->regs[R_ECX] = 1ull << 32;
        cr_assert_eq(tm_run(&m, dr7, sizeof(dr7)), 13);
        cr_assert_eq(m.env->rip, TM_CODE, "a fault at the MOV");
        cr_assert_eq(m.env->error_code, 0);
        cr_assert_eq(m.env->dr[7], 0x400);
        cr_assert_eq(tm_run(&m, dr6, sizeof(dr6)), 13);
        cr_assert_eq(m.env->dr[6], 0xffff0ff0);
    }
}

Test(debug, cpl3_is_gp)
{
    static const uint8_t code[] = {0x0f, 0x21, 0xf8, INT3}; /* mov rax, dr7 */
    FOR_BACKENDS(3)
    {
        cr_assert_eq(tm_run(&m, code, sizeof(code)), 13);
        cr_assert_eq(m.env->rip, TM_CODE);
        cr_assert_eq(m.env->regs[R_EAX], 0);
    }
}

Test(debug, dr4_dr5_alias_dr6_dr7_without_de_and_ud_with_it)
{
    static const uint8_t code[] = {0x0f, 0x23, 0xe9, /* mov dr5, rcx */
                                   0x0f, 0x21, 0xfe, /* mov rsi, dr7 */
                                   0x0f, 0x21, 0xe7, /* mov rdi, dr4 */
                                   INT3};
    FOR_BACKENDS(0)
    {
        m.env->regs[R_ECX] = dr7_bp(3, 3, 3);
        cr_assert_eq(tm_run(&m, code, sizeof(code)), 3);
        cr_assert_eq(m.env->regs[R_ESI], dr7_bp(3, 3, 3) | 0x400);
        cr_assert_eq(m.env->regs[R_EDI], 0xffff0ff0, "DR4 is DR6");
        m.env->cr[4] |= BIT(3); /* CR4.DE */
        cr_assert_eq(tm_run_cpu(m.env, TM_CODE + 6), 6, "#UD on DR4");
        cr_assert_eq(m.env->rip, TM_CODE + 6);
        cr_assert_eq(tm_run_cpu(m.env, TM_CODE), 6, "#UD on DR5");
        cr_assert_eq(m.env->rip, TM_CODE);
    }
}

Test(debug, gd_makes_mov_dr_a_fault_with_bd)
{
    static const uint8_t code[] = {0x0f,    0x23, 0xfa, /* mov dr7, rdx (GD) */
                                   INC_RCX, 0x0f, 0x21, 0xc0, /* mov rax, dr0 */
                                   INC_RCX, INT3};
    FOR_BACKENDS(0)
    {
        m.env->regs[R_EDX] = DR7_GD;
        m.env->regs[R_EAX] = 0x55;
        cr_assert_eq(tm_run(&m, code, sizeof(code)), 1);
        cr_assert_eq(m.env->rip, TM_CODE + 6, "the fault is at the MOV");
        cr_assert_eq(m.env->regs[R_ECX], 1);
        cr_assert_eq(m.env->regs[R_EAX], 0x55, "not executed");
        cr_assert_eq(m.env->dr[6], 0xffff0ff0 | DR6_BD);
        cr_assert_eq(m.env->dr[7], 0x400, "GD cleared");
        cr_assert_eq(resume(), 3, "the handler may use the DRs now");
        cr_assert_eq(m.env->regs[R_EAX], 0);
        cr_assert_eq(m.env->regs[R_ECX], 2);
    }
}

Test(debug, execute_breakpoint_faults_before_the_instruction)
{
    static const uint8_t code[] = {SET_DRS, INC_RCX, INC_RCX, INC_RCX, INT3};
    FOR_BACKENDS(0)
    {
        uint64_t at = TM_CODE + SET_DRS_LEN + 3; /* the second inc */
        cr_assert_eq(run(code, sizeof(code), 0, at, dr7_bp(1, 0, 0)), 1);
        cr_assert_eq(m.env->rip, at);
        cr_assert_eq(m.env->regs[R_ECX], 1);
        cr_assert_eq(m.env->dr[6], 0xffff0ff2, "B1");
        cr_assert_eq(resume(), 1, "RF clear: the breakpoint again");
        cr_assert_eq(m.env->regs[R_ECX], 1);
        /* RF set (as an IRET would): the instruction runs, RF clears */
        cpu_load_eflags(m.env, EFL_RF, EFL_RF);
        cr_assert_eq(resume(), 3);
        cr_assert_eq(m.env->regs[R_ECX], 3);
        cr_assert_eq(tm_rflags(&m) & EFL_RF, 0, "RF cleared after one insn");
        /* disabled (G/L clear): no breakpoint, the same code again */
        cr_assert_eq(run(code, sizeof(code), 0, at, 0x400), 3);
    }
}

/*
 * Blocks translated under one set of execute breakpoints do not survive a
 * change of it: the body runs first with an unrelated breakpoint (its
 * blocks carry HF_IBP), then DR0 gets a breakpoint inside it.
 */
Test(debug, breakpoint_in_code_translated_before_it_was_set)
{
    static const uint8_t body[] = {INC_RCX, INC_RCX, INT3};
    static const uint8_t set[] = {SET_DRS, 0xe9, 0, 0, 0, 0}; /* jmp body */
    FOR_BACKENDS(0)
    {
        uint8_t s[sizeof(set)];
        memcpy(s, set, sizeof(set));
        int32_t rel = -(int32_t)(0x100 + sizeof(set));
        memcpy(s + SET_DRS_LEN + 1, &rel, 4);
        tm_code_clear(&m);
        tm_code_put(&m, 0, body, sizeof(body));
        tm_code_put(&m, 0x100, s, sizeof(s));
        uint64_t far = TM_CODE + 0x300;
        m.env->regs[R_EAX] = far;
        m.env->regs[R_EBX] = far;
        m.env->regs[R_EDX] = dr7_bp(1, 0, 0);
        cr_assert_eq(tm_run_cpu(m.env, TM_CODE + 0x100), 3);
        cr_assert_eq(m.env->regs[R_ECX], 2);
        m.env->regs[R_EAX] = TM_CODE + 3;
        m.env->regs[R_EDX] = dr7_bp(1, 0, 0) | dr7_bp(0, 0, 0) << 1; /* G0 */
        cr_assert_eq(tm_run_cpu(m.env, TM_CODE + 0x100), 1);
        cr_assert_eq(m.env->rip, TM_CODE + 3);
        cr_assert_eq(m.env->regs[R_ECX], 3);
        cr_assert_eq(m.env->dr[6], 0xffff0ff1);
    }
}

Test(debug, write_watchpoint_traps_after_the_store)
{
    static const uint8_t code[] = {SET_DRS, INC_RCX,
                                   0x89,    0x37, /* mov [rdi], esi */
                                   0x8b,    0x07, /* mov eax, [rdi] */
                                   INC_RCX, INT3};
    FOR_BACKENDS(0)
    {
        m.env->regs[R_EDI] = TM_DATA + 8;
        m.env->regs[R_ESI] = 0xabcd;
        cr_assert_eq(run(code, sizeof(code), TM_DATA + 8, 0, dr7_bp(0, 1, 3)),
                     1);
        cr_assert_eq(m.env->rip, TM_CODE + SET_DRS_LEN + 5, "after the store");
        cr_assert_eq(m.env->regs[R_ECX], 1);
        uint32_t v;
        memcpy(&v, m.mem + TM_DATA + 8, 4);
        cr_assert_eq(v, 0xabcd, "the store was done");
        cr_assert_eq(m.env->dr[6], 0xffff0ff1);
        m.env->dr[6] = 0xffff0ff0;
        cr_assert_eq(resume(), 3, "a read does not hit a write watchpoint");
        cr_assert_eq(m.env->regs[R_EAX], 0xabcd);
        cr_assert_eq(m.env->regs[R_ECX], 2);
        cr_assert_eq(m.env->dr[6], 0xffff0ff0);
    }
}

Test(debug, read_write_watchpoints_len_alignment_and_two_hits)
{
    static const uint8_t rd[] = {SET_DRS, 0x8a, 0x0f, /* mov cl, [rdi] */
                                 INT3};
    FOR_BACKENDS(0)
    {
        /* LEN 4 at +9: bytes +8..+11 (the low bits are ignored) */
        uint64_t dr7 = dr7_bp(0, 3, 3) | dr7_bp(1, 3, 1);
        m.env->regs[R_EDI] = TM_DATA + 11;
        cr_assert_eq(run(rd, sizeof(rd), TM_DATA + 9, TM_DATA + 10, dr7), 1);
        cr_assert_eq(m.env->rip, TM_CODE + SET_DRS_LEN + 2);
        cr_assert_eq(m.env->dr[6], 0xffff0ff3, "B0 and B1");
        m.env->regs[R_EDI] = TM_DATA + 12;
        cr_assert_eq(run(rd, sizeof(rd), TM_DATA + 9, TM_DATA + 10, dr7), 3);
        /* LEN 8 */
        m.env->regs[R_EDI] = TM_DATA + 0x17;
        cr_assert_eq(run(rd, sizeof(rd), TM_DATA + 0x10, 0, dr7_bp(0, 3, 2)),
                     1);
        cr_assert_eq(m.env->dr[6], 0xffff0ff1);
        m.env->regs[R_EDI] = TM_DATA + 0x18;
        cr_assert_eq(run(rd, sizeof(rd), TM_DATA + 0x10, 0, dr7_bp(0, 3, 2)),
                     3);
    }
}

Test(debug, rep_stos_traps_after_the_iteration_with_rf)
{
    static const uint8_t code[] = {SET_DRS, 0xf3, 0xaa, /* rep stosb */
                                   INT3};
    FOR_BACKENDS(0)
    {
        memset(m.mem + TM_DATA, 0, 32);
        m.env->regs[R_EDI] = TM_DATA;
        m.env->regs[R_ECX] = 16;
        /* rax = DR0 is also the byte stored: 0x05 */
        cr_assert_eq(run(code, sizeof(code), TM_DATA + 5, 0, dr7_bp(0, 1, 0)),
                     1);
        cr_assert_eq(m.env->rip, TM_CODE + SET_DRS_LEN, "at the rep stos");
        cr_assert_eq(m.env->regs[R_ECX], 10);
        cr_assert_eq(m.env->regs[R_EDI], TM_DATA + 6);
        cr_assert_eq(m.mem[TM_DATA + 5], 0x05);
        cr_assert_eq(m.mem[TM_DATA + 6], 0);
        cr_assert_eq(m.env->dr[6], 0xffff0ff1);
        cr_assert_neq(tm_rflags(&m) & EFL_RF, 0, "RF: not the last one");
        cr_assert_eq(resume(), 3);
        cr_assert_eq(m.env->regs[R_ECX], 0);
        cr_assert_eq(m.mem[TM_DATA + 15], 0x05);
        cr_assert_eq(tm_rflags(&m) & EFL_RF, 0);
    }
}

Test(debug, io_breakpoint_needs_de_and_traps_after_out)
{
    static const uint8_t code[] = {SET_DRS, 0xe6, 0x80, /* out 0x80, al */
                                   INC_RCX, INT3};
    FOR_BACKENDS(0)
    {
        uint64_t dr7 = dr7_bp(1, 2, 1); /* ports 0x80-0x81 */
        cr_assert_eq(run(code, sizeof(code), 0, 0x81, dr7), 3, "no DE");
        m.env->cr[4] |= BIT(3);
        m.env->regs[R_ECX] = 0;
        cr_assert_eq(run(code, sizeof(code), 0, 0x81, dr7), 1);
        cr_assert_eq(m.env->rip, TM_CODE + SET_DRS_LEN + 2);
        cr_assert_eq(m.env->regs[R_ECX], 0);
        cr_assert_eq(m.env->dr[6], 0xffff0ff2);
    }
}

Test(debug, single_step_and_watchpoint_in_one_db)
{
    static const uint8_t code[] = {SET_DRS, 0x9c, /* pushf */
                                   0x48, 0x81, 0x0c, 0x24, 0, 1, 0, 0,
                                   /* or qword [rsp], 0x100 */
                                   0x9d,       /* popf: TF on */
                                   0x89, 0x37, /* mov [rdi], esi */
                                   INC_RCX, INT3};
    FOR_BACKENDS(0)
    {
        m.env->regs[R_EDI] = TM_DATA;
        cr_assert_eq(run(code, sizeof(code), TM_DATA, 0, dr7_bp(0, 1, 0)), 1);
        cr_assert_eq(m.env->rip, TM_CODE + SET_DRS_LEN + 12, "after the store");
        cr_assert_eq(m.env->dr[6], 0xffff0ff1 | DR6_BS, "B0 and BS");
        m.env->dr[6] = 0xffff0ff0;
        cr_assert_eq(resume(), 1);
        cr_assert_eq(m.env->rip, TM_CODE + SET_DRS_LEN + 15, "after the inc");
        cr_assert_eq(m.env->dr[6], 0xffff0ff0 | DR6_BS, "BS alone");
        cr_assert_eq(m.env->regs[R_ECX], 1);
    }
}

/* with delivery: a #DB handler that counts (rdx), sets RF and returns */
static void setup_idt(void)
{
    static const uint64_t gdt[] = {0, 0x00af9a000000ffffull}; /* 0x08 */
    memcpy(m.mem + 0x60000, gdt, sizeof(gdt));
    m.env->gdt.base = 0x60000;
    m.env->gdt.limit = sizeof(gdt) - 1;
    m.env->segs[R_CS].selector = 0x08;
    cpu_seg_set(m.env, R_SS, 0, 0, 0, SEG_AR_UNUSABLE);
    cpu_update_hflags(m.env);
    static const uint8_t h_db[] = {0x48, 0xff, 0xc2, /* inc rdx */
                                   0x81, 0x4c, 0x24, 0x10,
                                   0x00, 0x00, 0x01, 0x00, /* or [rsp+16], RF */
                                   0x48, 0xcf};            /* iretq */
    static const uint8_t hlt = 0xf4;
    memset(m.mem + IDT, 0, 0x1000);
    for (unsigned v = 0; v < 32; v++) {
        uint64_t h = v == 1 ? H_DB : H_HLT;
        uint64_t lo = (h & 0xffff) | (0x08ull << 16) | (0xeull << 40) |
                      BIT(47) | (((h >> 16) & 0xffff) << 48);
        memcpy(m.mem + IDT + 16 * v, &lo, 8);
    }
    m.env->idt.base = IDT;
    m.env->idt.limit = 0xfff;
    m.env->deliver = true;
    tm_code_clear(&m);
    tm_code_put(&m, 0x800, h_db, sizeof(h_db));
    tm_code_put(&m, 0x840, &hlt, 1);
}

static uint64_t stack(unsigned i)
{
    uint64_t v;
    memcpy(&v, m.mem + m.env->regs[R_ESP] + 8 * i, 8);
    return v;
}

Test(debug, iret_with_rf_resumes_past_the_breakpoint)
{
    static const uint8_t code[] = {SET_DRS, 0x31,    0xd2, /* xor edx, edx */
                                   INC_RCX, INC_RCX, 0xf4};
    FOR_BACKENDS(0)
    {
        setup_idt();
        tm_code_put(&m, 0, code, sizeof(code));
        m.env->regs[R_EAX] = TM_CODE + SET_DRS_LEN + 5; /* second inc */
        m.env->regs[R_EDX] = dr7_bp(0, 0, 0);
        cr_assert_eq(tm_run_until_halt(&m, TM_CODE), 0);
        cr_assert_eq(m.env->rip, TM_CODE + sizeof(code), "the code's hlt");
        cr_assert_eq(m.env->regs[R_EDX], 1, "one #DB");
        cr_assert_eq(m.env->regs[R_ECX], 2);
        cr_assert_eq(m.env->dr[6], 0xffff0ff1);
        cr_assert_eq(tm_rflags(&m) & EFL_RF, 0);
    }
}

Test(debug, faults_push_rf_set)
{
    static const uint8_t code[] = {0x0f, 0x0b}; /* ud2 */
    FOR_BACKENDS(0)
    {
        setup_idt();
        tm_code_put(&m, 0, code, sizeof(code));
        cr_assert_eq(tm_run_until_halt(&m, TM_CODE), 0);
        cr_assert_eq(m.env->rip, H_HLT + 1);
        cr_assert_eq(stack(0), TM_CODE);
        cr_assert_neq(stack(2) & EFL_RF, 0, "RF = 1 in a fault's image");
        cr_assert_eq(tm_rflags(&m) & EFL_RF, 0, "and cleared in the handler");
    }
}

Test(debug, hostile_values_do_not_hurt)
{
    static const uint8_t code[] = {SET_DRS, 0x8b, 0x07, /* mov eax, [rdi] */
                                   INC_RCX, INT3};
    FOR_BACKENDS(0)
    {
        /* every breakpoint enabled at the top of the address space, LEN 8,
         * data and execute; and a non-canonical read breakpoint */
        m.env->regs[R_EDI] = TM_DATA;
        cr_assert_eq(run(code, sizeof(code), ~0ull, 0x8000000000000000ull,
                         0xffff00ffull),
                     3);
        cr_assert_eq(m.env->regs[R_ECX], 1);
        cr_assert_eq(m.env->dr[6], 0xffff0ff0);
    }
}

Test(debug, rmw_and_page_crossing_stores_hit_write_watchpoints)
{
    static const uint8_t add[] = {SET_DRS, 0x01, 0x37, /* add [rdi], esi */
                                  INC_RCX, INT3};
    static const uint8_t ladd[] = {SET_DRS, 0xf0, 0x01, 0x37, /* lock add */
                                   INC_RCX, INT3};
    static const uint8_t st8[] = {SET_DRS, 0x48, 0x89, 0x37, /* mov [rdi],rsi */
                                  INC_RCX, INT3};
    FOR_BACKENDS(0)
    {
        memset(m.mem + TM_DATA, 0, 0x2000);
        m.env->regs[R_EDI] = TM_DATA;
        m.env->regs[R_ESI] = 5;
        cr_assert_eq(run(add, sizeof(add), TM_DATA, 0, dr7_bp(0, 1, 3)), 1);
        cr_assert_eq(m.env->rip, TM_CODE + SET_DRS_LEN + 2);
        cr_assert_eq(m.mem[TM_DATA], 5, "added once");
        cr_assert_eq(run(ladd, sizeof(ladd), TM_DATA, 0, dr7_bp(0, 1, 3)), 1);
        cr_assert_eq(m.env->rip, TM_CODE + SET_DRS_LEN + 3);
        cr_assert_eq(m.mem[TM_DATA], 10, "added once more");
        cr_assert_eq(m.env->dr[6], 0xffff0ff1);
        /* 8 bytes at 0xffc: the watchpoint is on the second page */
        m.env->regs[R_EDI] = TM_DATA + 0xffc;
        m.env->regs[R_ECX] = 0;
        cr_assert_eq(
            run(st8, sizeof(st8), 0, TM_DATA + 0x1002, dr7_bp(1, 1, 0)), 1);
        cr_assert_eq(m.env->rip, TM_CODE + SET_DRS_LEN + 3);
        cr_assert_eq(m.env->regs[R_ECX], 0);
        cr_assert_eq(m.env->dr[6], 0xffff0ff2);
        cr_assert_eq(m.mem[TM_DATA + 0xffc], 5);
    }
}

/* 32-bit protected mode, CS base 0x1000: breakpoints are linear, MOV DR
 * moves 32 bits */
Test(debug, protected_mode_uses_linear_addresses_and_32_bit_moves)
{
    static const uint8_t code[] = {SET_DRS, 0x0f, 0x21, 0xc6, /* mov esi,dr0 */
                                   0x41,                      /* inc ecx */
                                   0x41,    INT3};
    FOR_BACKENDS(0)
    {
        CpuX86 *env = m.env;
        uint32_t d = SEG_AR_P | SEG_AR_S | 0x3u | SEG_AR_DB | SEG_AR_G;
        env->efer = 0;
        env->cr[4] = 0;
        env->cr[0] = CR0_PE | CR0_ET;
        for (int s = 0; s < CPU_NB_SEGS; s++) {
            cpu_seg_set(env, s, 0x10, 0, 0xffffffff, d);
        }
        cpu_seg_set(env, R_CS, 0x08, 0x1000, 0xffffffff,
                    SEG_AR_P | SEG_AR_S | 0xbu | SEG_AR_DB | SEG_AR_G);
        cpu_update_hflags(env);
        tlb_flush(env);
        tm_code_clear(&m);
        tm_code_put(&m, 0, code, sizeof(code));
        uint64_t bp = TM_CODE + SET_DRS_LEN + 4; /* linear: the second inc */
        env->regs[R_EAX] = 0xdead000000000000ull | bp;
        env->regs[R_EDX] = dr7_bp(0, 0, 0);
        env->regs[R_ESI] = ~0ull;
        cr_assert_eq(tm_run_cpu(env, TM_CODE - 0x1000), 1);
        cr_assert_eq(env->rip, bp - 0x1000, "EIP of the breakpoint");
        cr_assert_eq(env->dr[0], bp, "the low 32 bits, zero-extended");
        cr_assert_eq(env->regs[R_ESI], bp);
        cr_assert_eq(env->regs[R_ECX], 1);
        cr_assert_eq(env->dr[6], 0xffff0ff1);
    }
}

/* what the task switch calls when the new TSS has T set */
static void task_trap(void *env)
{
    cpu_debug_task_trap(env);
}

Test(debug, icebp_leaves_dr6_and_the_task_trap_sets_bt)
{
    static const uint8_t code[] = {0xf1, INT3}; /* int1 */
    FOR_BACKENDS(0)
    {
        cr_assert_eq(tm_run(&m, code, sizeof(code)), 1);
        cr_assert_eq(m.env->rip, TM_CODE + 1, "a trap");
        cr_assert_eq(m.env->dr[6], 0xffff0ff0);
        cr_assert_eq(tcg_call(m.env->tcg_cpu, task_trap, m.env),
                     TCG_EXEC_EXCEPTION);
        cr_assert_eq(m.env->exception_index, 1);
        cr_assert_eq(m.env->dr[6], 0xffff0ff0 | DR6_BT);
    }
}

/* under TF, the MOV DR7 that flushes the TBs still traps (BS) after it */
Test(debug, single_step_over_a_mov_dr7_that_sets_a_breakpoint)
{
    static const uint8_t code[] = {0x0f, 0x23, 0xfa, /* mov dr7, rdx */
                                   INC_RCX, INT3};
    FOR_BACKENDS(0)
    {
        m.env->dr[0] = TM_CODE + 3;
        m.env->regs[R_EDX] = dr7_bp(0, 0, 0);
        cpu_load_eflags(m.env, EFL_TF, EFL_TF);
        cr_assert_eq(tm_run(&m, code, sizeof(code)), 1);
        cr_assert_eq(m.env->rip, TM_CODE + 3, "a trap after the mov");
        cr_assert_eq(m.env->dr[6], 0xffff0ff0 | DR6_BS);
        m.env->dr[6] = 0xffff0ff0;
        cr_assert_eq(resume(), 1);
        cr_assert_eq(m.env->rip, TM_CODE + 3, "the breakpoint's fault");
        cr_assert_eq(m.env->dr[6], 0xffff0ff1);
        cr_assert_eq(m.env->regs[R_ECX], 0);
    }
}
