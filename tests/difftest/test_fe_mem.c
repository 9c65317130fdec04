/*
 * Front-end memory corner cases. Non-canonical addresses (#GP(0), #SS(0)
 * for SS-relative accesses) and read-modify-write destinations (a #PF with
 * W = 1 even though the read comes first) are compared with the host CPU.
 * Self-modifying code cannot run natively (the oracle maps code read-only
 * and executable), so those cases run on a small machine of their own with
 * writable code pages, on both backends, against values known by
 * construction.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/exec.h"
#include "dt_fixture.h"

static void setup(void)
{
    dt_fixture_reset();
}

TestSuite(fe_mem, .init = setup, .timeout = 120);

#define NONCANON_LO 0x0000800000000000ull /* first above the lower half */
#define NONCANON_HI 0xffff7ffffffff000ull /* last page below the upper half */

Test(fe_mem, non_canonical_data_access_is_gp)
{
    tc.init.gpr[DT_RBX] = NONCANON_LO;
    CASE(0xff, 0xc1, 0x8b, 0x03); /* inc ecx; mov eax, [rbx] */
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_GP);
    cr_assert_eq(jit.final.rip, DT_CODE_ADDR + 2);
    cr_assert_eq(jit.final.gpr[DT_RCX], 1);

    /* store, and an RMW destination */
    tc.init.gpr[DT_RBX] = NONCANON_HI;
    CASE(0x89, 0x03); /* mov [rbx], eax */
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_GP);
    CASE(0x01, 0x03); /* add [rbx], eax */
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_GP);
    cr_assert_eq(interp.exception, DT_EXC_GP);
}

Test(fe_mem, access_crossing_into_non_canonical_is_gp_not_pf)
{
    /* the first bytes are canonical (and unmapped): #GP wins over #PF */
    tc.init.gpr[DT_RBX] = NONCANON_LO - 4;
    CASE(0x48, 0x8b, 0x03); /* mov rax, [rbx] */
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_GP);
    CASE(0x48, 0x89, 0x03); /* mov [rbx], rax */
    run3(0);
    cr_assert_eq(interp.exception, DT_EXC_GP);
}

Test(fe_mem, non_canonical_stack_access_is_ss)
{
    tc.init.gpr[DT_RBP] = NONCANON_HI;
    CASE(0x8b, 0x45, 0x08); /* mov eax, [rbp + 8] */
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_SS);
    cr_assert_eq(interp.exception, DT_EXC_SS);

    /* a DS override is ignored in 64-bit mode: still SS-relative */
    CASE(0x3e, 0x8b, 0x45, 0x08); /* mov eax, ds:[rbp + 8] */
    run3(0);
    cr_assert_eq(native.exception, DT_EXC_SS);
    cr_assert_eq(jit.exception, DT_EXC_SS);

    tc.init.gpr[DT_RSP] = NONCANON_LO + 0x10;
    CASE(0x50); /* push rax */
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_SS);
    cr_assert_eq(jit.final.gpr[DT_RSP], NONCANON_LO + 0x10);
    CASE(0x8b, 0x04, 0x24); /* mov eax, [rsp] */
    run3(0);
    cr_assert_eq(interp.exception, DT_EXC_SS);
}

/* an RMW destination: the #PF must report W = 1 (and P as the host does) */
static void rmw_case(uint32_t p)
{
    run3(0);
    cr_assert_eq(jit.exception, DT_EXC_PF);
    cr_assert_eq(interp.exception, DT_EXC_PF);
    cr_assert_eq(jit.pf_error & (DT_PF_P | DT_PF_W), p | DT_PF_W);
    cr_assert_eq(interp.pf_error & (DT_PF_P | DT_PF_W), p | DT_PF_W);
}

Test(fe_mem, rmw_destination_faults_as_a_write)
{
    tc.init.gpr[DT_RDI] = DT_DATA_ADDR + DT_DATA_SIZE; /* unmapped */
    tc.init.gpr[DT_RSI] = DT_CODE_ADDR;                /* read-only */
    CASE(0x01, 0x1f);                                  /* add [rdi], ebx */
    rmw_case(0);
    CASE(0xff, 0x07); /* inc dword [rdi] */
    rmw_case(0);
    CASE(0xf0, 0x01, 0x1f); /* lock add [rdi], ebx: the atomic path */
    rmw_case(0);
    CASE(0x01, 0x1e); /* add [rsi], ebx */
    rmw_case(DT_PF_P);
    CASE(0xf7, 0x16); /* not dword [rsi] */
    rmw_case(DT_PF_P);
    CASE(0xf0, 0x09, 0x1e); /* lock or [rsi], ebx */
    rmw_case(DT_PF_P);
    /* a plain load of the same pages still reports a read */
    CASE(0x8b, 0x07); /* mov eax, [rdi] */
    run3(0);
    cr_assert_eq(jit.pf_error & DT_PF_W, 0);
}

/* ---- self-modifying code: a machine with writable code ---- */

#define SM_RAM 0x100000ull
#define SM_PT 0x4000ull      /* page table of va 0x400000..0x5fffff */
#define SM_CODE 0x400000ull  /* two code pages, phys 0x10000 */
#define SM_STACK 0x500000ull /* one data page, phys 0x20000 */
#define SM_RWU 0x7ull

typedef struct SmMachine {
    MemRegion *root, *ram;
    AddrSpace *as;
    CpuX86 *env;
    TcgCtx *tcg;
    uint8_t *mem;
} SmMachine;

static void sm_st64(SmMachine *m, uint64_t pa, uint64_t v)
{
    memcpy(m->mem + pa, &v, 8);
}

static void sm_new(SmMachine *m, TcgBackendKind backend)
{
    m->root = mr_new_container("sys", 1ull << 40);
    m->ram = mr_new_ram("ram", SM_RAM);
    mr_add_subregion(m->root, 0, m->ram, 0);
    m->as = as_new("system", m->root);
    m->mem = mr_ram_ptr(m->ram);
    sm_st64(m, 0x1000, 0x2000 | SM_RWU);
    sm_st64(m, 0x2000, 0x3000 | SM_RWU);
    sm_st64(m, 0x3000 + 8 * 2, SM_PT | SM_RWU);
    for (unsigned i = 0; i < 2; i++) {
        sm_st64(m, SM_PT + 8 * i, (0x10000 + 0x1000ull * i) | SM_RWU);
    }
    sm_st64(m, SM_PT + 8 * 256, 0x20000 | SM_RWU);
    memset(m->mem + 0x10000, 0xcc, 0x2000);
    m->env = cpu_x86_new(m->as);
    CpuX86 *env = m->env;
    uint32_t data = SEG_AR_P | SEG_AR_S | (3u << SEG_AR_DPL_SHIFT) | 0x3u |
                    SEG_AR_DB | SEG_AR_G;
    env->cr[0] = CR0_PE | CR0_PG | CR0_WP | CR0_ET | CR0_NE;
    env->cr[3] = 0x1000;
    env->cr[4] = CR4_PAE;
    env->efer = EFER_LME | EFER_LMA | EFER_NXE;
    for (int i = 0; i < CPU_NB_SEGS; i++) {
        cpu_seg_set(env, i, 0x2b, 0, 0xffffffff, data);
    }
    cpu_seg_set(env, R_CS, 0x33, 0, 0xffffffff,
                SEG_AR_P | SEG_AR_S | (3u << SEG_AR_DPL_SHIFT) | 0xbu |
                    SEG_AR_L | SEG_AR_G);
    cpu_update_hflags(env);
    tlb_flush(env);
    env->rip = SM_CODE;
    memset(env->regs, 0, sizeof(env->regs)); /* reset leaves EDX = model */
    env->regs[R_ESP] = SM_STACK + 0x800;
    m->tcg = cpu_tcg_new(backend, 1u << 20);
    cpu_exec_attach(env, m->tcg);
}

static void sm_free(SmMachine *m)
{
    cpu_exec_detach(m->env);
    tcg_free(m->tcg);
    cpu_x86_free(m->env);
    as_free(m->as);
    mr_free_tree(m->root);
}

/* run until an exception (the int3 terminator); its vector */
static int sm_run(SmMachine *m)
{
    for (int i = 0; i < 1000; i++) {
        if (cpu_exec(m->env) == CPU_EXIT_EXCEPTION) {
            return m->env->exception_index;
        }
    }
    return -1;
}

static const TcgBackendKind sm_backends[] = {TCG_BACKEND_JIT,
                                             TCG_BACKEND_INTERP};

Test(fe_mem, smc_patch_ahead_in_the_same_block)
{
    static const uint8_t code[] = {
        0xff, 0xc1,                               /* inc ecx */
        0xc6, 0x05, 0x08, 0x00, 0x00, 0x00, 0x2a, /* mov byte [rip+8], 0x2a */
        0x80, 0x05, 0x01, 0x00, 0x00, 0x00, 0x10, /* add byte [rip+1], 0x10 */
        0xb8, 0x01, 0x00, 0x00, 0x00,             /* mov eax, 1: patched */
        0xff, 0xc1,                               /* inc ecx */
        0xcc,
    };
    for (unsigned b = 0; b < ARRAY_LEN(sm_backends); b++) {
        SmMachine m;
        sm_new(&m, sm_backends[b]);
        memcpy(m.mem + 0x10000, code, sizeof(code));
        cr_assert_eq(sm_run(&m), 3);
        /* both stores landed once, the mov ran with the new bytes, and
         * no instruction ran twice */
        cr_expect_eq(m.env->regs[R_EAX], 0x3a, "backend %u: eax 0x%llx", b,
                     (unsigned long long)m.env->regs[R_EAX]);
        cr_expect_eq(m.env->regs[R_ECX], 2);
        cr_expect_eq(m.env->rip, SM_CODE + sizeof(code));
        sm_free(&m);
    }
}

Test(fe_mem, smc_data_in_the_code_page_of_a_loop)
{
    static const uint8_t code[] = {
        0xb9, 0x64, 0x00, 0x00, 0x00,             /* mov ecx, 100 */
        0x83, 0x05, 0x09, 0x00, 0x00, 0x00, 0x03, /* L: add dword [rip+9], 3 */
        0xff, 0xc2,                               /* inc edx */
        0xe2, 0xf5,                               /* loop L */
        0xcc, 0x00, 0x00, 0x00, 0x00, 0x00, /* pad, then the counter at +0x15 */
        0x00, 0x00, 0x00, 0x00,
    };
    for (unsigned b = 0; b < ARRAY_LEN(sm_backends); b++) {
        SmMachine m;
        sm_new(&m, sm_backends[b]);
        memcpy(m.mem + 0x10000, code, sizeof(code));
        cr_assert_eq(sm_run(&m), 3);
        uint32_t counter;
        memcpy(&counter, m.mem + 0x10000 + 0x15, 4);
        cr_expect_eq(counter, 300, "backend %u: counter %u", b, counter);
        cr_expect_eq(m.env->regs[R_EDX], 100, "backend %u: edx %llu", b,
                     (unsigned long long)m.env->regs[R_EDX]);
        sm_free(&m);
    }
}

Test(fe_mem, smc_patch_a_routine_in_another_page)
{
    static const uint8_t code[] = {
        0xff, 0xd3,             /* call rbx: eax = 1 */
        0x89, 0xc2,             /* mov edx, eax */
        0xc6, 0x43, 0x01, 0x2a, /* mov byte [rbx+1], 0x2a */
        0xff, 0xd3,             /* call rbx: eax = 0x2a */
        0xcc,
    };
    static const uint8_t routine[] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3};
    for (unsigned b = 0; b < ARRAY_LEN(sm_backends); b++) {
        SmMachine m;
        sm_new(&m, sm_backends[b]);
        memcpy(m.mem + 0x10000, code, sizeof(code));
        memcpy(m.mem + 0x11000, routine, sizeof(routine));
        m.env->regs[R_EBX] = SM_CODE + 0x1000;
        cr_assert_eq(sm_run(&m), 3);
        cr_expect_eq(m.env->regs[R_EDX], 1);
        cr_expect_eq(m.env->regs[R_EAX], 0x2a, "backend %u", b);
        sm_free(&m);
    }
}

Test(fe_mem, code_written_from_outside_the_cpu_is_retranslated)
{
    static const uint8_t code[] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xcc};
    for (unsigned b = 0; b < ARRAY_LEN(sm_backends); b++) {
        SmMachine m;
        sm_new(&m, sm_backends[b]);
        memcpy(m.mem + 0x10000, code, sizeof(code));
        cr_assert_eq(sm_run(&m), 3);
        cr_assert_eq(m.env->regs[R_EAX], 1);
        uint8_t imm = 0x55; /* a DMA-like write through the address space */
        cr_assert_eq(as_write(m.as, 0x10001, &imm, 1, MEMATTRS_CPU), MEMTX_OK);
        m.env->rip = SM_CODE;
        cr_assert_eq(sm_run(&m), 3);
        cr_expect_eq(m.env->regs[R_EAX], 0x55, "backend %u", b);
        sm_free(&m);
    }
}
