/*
 * System Management Mode on both backends (smm.c): an SMI writes the AMD64
 * save map at SMBASE + 0xfe00 (exact contents) and enters SMM in the SDM's
 * state; RSM restores it (values the handler changed included), relocates
 * SMBASE, returns to a HLT that the SMI interrupted, shuts the CPU down on
 * a bad saved CR0/CR3/CR4/EFER/CS, and is #UD outside SMM; SMIs in SMM are
 * held until RSM, NMIs blocked; SMRAM (a region only the SMM address space
 * shows, at 0x30000) is seen in SMM and only there, TLB included.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cpu/exec.h"
#include "cpu/smm.h"
#include "mmu/walk.h"
#include "tiny_machine.h"

#define SMBASE 0x30000ull
#define SMRAM_SIZE 0x10000ull
#define HANDLER 0x8000ull

static TinyMachine m;
static MemRegion *smm_root, *smram;
static AddrSpace *smm_as;
static uint8_t *sram; /* SMRAM: SMBASE + 0 .. 0xffff */

static void setup(size_t b)
{
    tm_new(&m, tm_backends[b], 0, 0);
    smm_root = mr_new_container("smm", 1ull << 40);
    mr_add_subregion(smm_root, 0,
                     mr_new_alias("smm-system", m.root, 0, 1ull << 40), 0);
    smram = mr_new_ram("smram", SMRAM_SIZE);
    mr_add_subregion(smm_root, SMBASE, smram, 1);
    smm_as = as_new("smm", smm_root);
    sram = mr_ram_ptr(smram);
    memset(sram, 0xcc, SMRAM_SIZE);
    m.env->smm_as = smm_as;
}

static void teardown(void)
{
    m.env->smm_as = NULL;
    as_free(smm_as);
    mr_free_tree(smm_root);
    tm_free(&m);
}

/* the handler at SMBASE:8000 */
static void handler(const uint8_t *code, size_t len)
{
    memcpy(sram + HANDLER, code, len);
}

static uint64_t map_get(uint8_t *smram_base, unsigned off, unsigned size)
{
    uint64_t v = 0;
    memcpy(&v, smram_base + off, size);
    return v;
}

static void map_put(unsigned off, uint64_t v, unsigned size)
{
    memcpy(sram + off, &v, size);
}

#define MAP(off, size) map_get(sram, (off), (size))

/* run from rip: the exception vector, -2 a shutdown, -3 halted */
static int run(uint64_t rip)
{
    m.env->rip = rip;
    for (int i = 0; i < 100; i++) {
        CpuExitReason r = cpu_exec(m.env);
        if (r == CPU_EXIT_EXCEPTION) {
            return m.env->exception_index;
        }
        if (r == CPU_EXIT_TRIPLE_FAULT) {
            return -2;
        }
        if (r == CPU_EXIT_FRONTEND && m.env->halted) {
            return -3;
        }
    }
    return -1;
}

/* code at TM_CODE, an SMI pending: run into the handler */
static int smi_run(const uint8_t *code, size_t len)
{
    tm_code_clear(&m);
    tm_code_put(&m, 0, code, len);
    cpu_smi(m.env);
    return run(TM_CODE);
}

static const uint8_t int3_rsm[] = {0xcc, 0x0f, 0xaa};
static const uint8_t just_int3[] = {0xcc};

/* distinct values in every GPR and system register */
static void fill_state(void)
{
    CpuX86 *env = m.env;
    for (int r = 0; r < 16; r++) {
        env->regs[r] = 0x1111111111111100ull * (r + 1) + r;
    }
    env->gdt = (DtReg){0x61000, 0x7f, 0};
    env->idt = (DtReg){0x62000, 0xfff, 0};
    env->ldt = (SegCache){.base = 0x5000,
                          .limit = 0xfff,
                          .attr = SEG_AR_P | 0x2,
                          .selector = 0x28};
    env->tr = (SegCache){.base = 0x6000,
                         .limit = 0x67,
                         .attr = SEG_AR_P | 0xb,
                         .selector = 0x30};
    env->segs[R_FS].base = 0x123456789000ull;
    env->dr[6] = 0xffff0ff1;
    env->dr[7] = 0x455;
    cpu_load_eflags(env, EFL_IF | EFL_AC | CC_C | CC_Z, ~0ull);
}

Test(smm, smi_writes_the_amd64_save_map)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        handler(just_int3, sizeof(just_int3));
        fill_state();
        CpuX86 s = *m.env; /* what the map must hold */
        uint64_t rflags = cpu_compute_eflags(m.env);
        cr_assert_eq(smi_run(just_int3, 1), 3);
        cr_assert_eq(MAP(SMM_REVISION, 4), 0x00020064);
        cr_assert_eq(MAP(SMM_SMBASE, 4), SMBASE);
        static const int order[] = {R_ES, R_CS, R_SS, R_DS, R_FS, R_GS};
        for (int i = 0; i < 6; i++) {
            const SegCache *c = &s.segs[order[i]];
            unsigned at = SMM_SEG + 16 * i;
            uint16_t ar = order[i] == R_CS ? 0xa9b : 0xc93; /* L|G, D|G */
            cr_assert_eq(MAP(at, 2), c->selector, "seg %d", i);
            cr_assert_eq(MAP(at + 2, 2), ar, "seg %d", i);
            cr_assert_eq(MAP(at + 4, 4), c->limit, "seg %d", i);
            cr_assert_eq(MAP(at + 8, 8), c->base, "seg %d", i);
        }
        cr_assert_eq(MAP(SMM_GDTR + 4, 4), 0x7f);
        cr_assert_eq(MAP(SMM_GDTR + 8, 8), 0x61000);
        cr_assert_eq(MAP(SMM_IDTR + 4, 4), 0xfff);
        cr_assert_eq(MAP(SMM_IDTR + 8, 8), 0x62000);
        cr_assert_eq(MAP(SMM_LDTR, 2), 0x28);
        cr_assert_eq(MAP(SMM_LDTR + 2, 2), 0x82);
        cr_assert_eq(MAP(SMM_LDTR + 4, 4), 0xfff);
        cr_assert_eq(MAP(SMM_LDTR + 8, 8), 0x5000);
        cr_assert_eq(MAP(SMM_TR, 2), 0x30);
        cr_assert_eq(MAP(SMM_TR + 2, 2), 0x8b);
        cr_assert_eq(MAP(SMM_TR + 4, 4), 0x67);
        cr_assert_eq(MAP(SMM_TR + 8, 8), 0x6000);
        cr_assert_eq(MAP(SMM_HALT_RESTART, 1), 0);
        cr_assert_eq(MAP(SMM_EFER, 8), EFER_LME | EFER_LMA | EFER_NXE);
        cr_assert_eq(MAP(SMM_CR0, 8), s.cr[0]);
        cr_assert_eq(MAP(SMM_CR3, 8), 0x1000);
        cr_assert_eq(MAP(SMM_CR4, 8), CR4_PAE);
        cr_assert_eq(MAP(SMM_DR6, 8), 0xffff0ff1);
        cr_assert_eq(MAP(SMM_DR7, 8), 0x455);
        cr_assert_eq(MAP(SMM_RFLAGS, 8), rflags);
        cr_assert_eq(MAP(SMM_RIP, 8), TM_CODE);
        for (int r = 0; r < 16; r++) {
            cr_assert_eq(MAP(0xfff8 - 8 * r, 8), s.regs[r], "reg %d", r);
        }
        teardown();
    }
}

Test(smm, smi_enters_the_sdm_state)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        handler(just_int3, sizeof(just_int3));
        fill_state();
        CpuX86 s = *m.env;
        cr_assert_eq(smi_run(just_int3, 1), 3);
        CpuX86 *env = m.env;
        cr_assert(env->hflags & HF_SMM);
        cr_assert_eq(env->rip, HANDLER + 1, "past the handler's int3");
        cr_assert_eq(env->segs[R_CS].selector, SMBASE >> 4);
        cr_assert_eq(env->segs[R_CS].base, SMBASE);
        for (int i = 0; i < CPU_NB_SEGS; i++) {
            cr_assert_eq(env->segs[i].limit, 0xffffffff);
            cr_assert_eq(env->segs[i].attr, SEG_AR_P | SEG_AR_S | 3 | SEG_AR_G);
            if (i != R_CS) {
                cr_assert_eq(env->segs[i].selector, 0);
                cr_assert_eq(env->segs[i].base, 0);
            }
        }
        cr_assert_eq(env->cr[0], s.cr[0] & ~(uint64_t)(CR0_PE | CR0_PG));
        cr_assert_eq(env->cr[4], 0);
        cr_assert_eq(env->efer, 0);
        cr_assert_eq(env->dr[7], 0x400);
        cr_assert_eq(cpu_compute_eflags(env), 2, "IF, TF and the rest clear");
        cr_assert_eq(env->hflags & (HF_PE | HF_PG | HF_LMA | HF_CS64), 0);
        cr_assert_eq(memcmp(env->regs, s.regs, sizeof(s.regs)), 0);
        cr_assert_eq(env->idt.base, 0x62000, "IDTR kept");
        cr_assert(env->nmi_blocked);
        cr_assert_eq(env->event_mask & (CPU_EV_SMI | CPU_EV_NMI), 0);
        teardown();
    }
}

Test(smm, rsm_restores_the_state_and_relocates_smbase)
{
    static const uint8_t code[] = {0x48, 0x89, 0xc3, 0xcc}; /* mov rbx,rax */
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        handler(int3_rsm, sizeof(int3_rsm));
        fill_state();
        CpuX86 s = *m.env;
        uint64_t rflags = cpu_compute_eflags(m.env);
        cr_assert_eq(smi_run(code, sizeof(code)), 3);
        map_put(0xfff8, 0x5555, 8);        /* saved RAX */
        map_put(SMM_SMBASE, 0x50000, 4);   /* relocation */
        cr_assert_eq(run(HANDLER + 1), 3); /* rsm, then the code */
        CpuX86 *env = m.env;
        cr_assert_eq(env->hflags & HF_SMM, 0);
        cr_assert_eq(env->rip, TM_CODE + 4);
        cr_assert_eq(env->regs[R_EBX], 0x5555);
        cr_assert_eq(env->regs[R_EAX], 0x5555);
        for (int r = R_ECX; r < 16; r++) {
            cr_assert(r == R_EBX || env->regs[r] == s.regs[r], "reg %d", r);
        }
        cr_assert_eq(env->cr[0], s.cr[0]);
        cr_assert_eq(env->cr[3], s.cr[3]);
        cr_assert_eq(env->cr[4], s.cr[4]);
        cr_assert_eq(env->efer, s.efer);
        cr_assert_eq(env->dr[7], 0x455);
        cr_assert_eq(cpu_compute_eflags(env), rflags);
        cr_assert_eq(env->hflags & (HF_CS64 | HF_LMA | HF_PG),
                     HF_CS64 | HF_LMA | HF_PG);
        for (int i = 0; i < CPU_NB_SEGS; i++) {
            cr_assert_eq(memcmp(&env->segs[i], &s.segs[i], sizeof(SegCache)), 0,
                         "seg %d", i);
        }
        cr_assert_eq(memcmp(&env->ldt, &s.ldt, sizeof(SegCache)), 0);
        cr_assert_eq(memcmp(&env->tr, &s.tr, sizeof(SegCache)), 0);
        cr_assert_eq(env->gdt.base, s.gdt.base);
        cr_assert_eq(env->idt.limit, s.idt.limit);
        cr_assert(!env->nmi_blocked);
        cr_assert_eq(env->smbase, 0x50000);
        /* the next SMI uses the new SMBASE (plain RAM there) */
        m.mem[0x58000] = 0xcc;
        cr_assert_eq(smi_run(just_int3, 1), 3);
        cr_assert_eq(env->segs[R_CS].base, 0x50000);
        cr_assert_eq(env->segs[R_CS].selector, 0x5000);
        cr_assert_eq(env->rip, 0x8001);
        cr_assert_eq(map_get(m.mem + 0x50000, SMM_SMBASE, 4), 0x50000);
        cr_assert_eq(map_get(m.mem + 0x50000, SMM_REVISION, 4), 0x20064);
        teardown();
    }
}

Test(smm, smram_is_seen_in_smm_only)
{
    /* mov eax, [0x38100]; int3 and mov ecx, [0x38100]; int3 */
    static const uint8_t rd_eax[] = {0x8b, 0x04, 0x25, 0x00,
                                     0x81, 0x03, 0x00, 0xcc};
    static const uint8_t rd_ecx[] = {0x8b, 0x0c, 0x25, 0x00,
                                     0x81, 0x03, 0x00, 0xcc};
    static const uint8_t h[] = {
        0x66, 0x2e, 0xa1, 0x00, 0x81,                   /* mov eax, cs:[8100] */
        0x66, 0x67, 0xa3, 0x00, 0x00, 0x04, 0x00,       /* mov [0x40000], eax */
        0x66, 0x67, 0x8b, 0x1d, 0x00, 0x81, 0x03, 0x00, /* mov ebx, [0x38100] */
        0x66, 0x67, 0x89, 0x1d, 0x04, 0x00, 0x04, 0x00, /* mov [0x40004], ebx */
        0x0f, 0xaa};                                    /* rsm */
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        handler(h, sizeof(h));
        uint32_t normal = 0xaaaa5555u, secret = 0x5a5a1234u;
        memcpy(m.mem + 0x38100, &normal, 4);
        memcpy(sram + 0x8100, &secret, 4);
        cr_assert_eq(tm_run(&m, rd_eax, sizeof(rd_eax)), 3);
        cr_assert_eq(m.env->regs[R_EAX], normal, "outside SMM: RAM");
        cr_assert_eq(smi_run(rd_ecx, sizeof(rd_ecx)), 3);
        cr_assert_eq(m.env->regs[R_ECX], normal, "after RSM: RAM again");
        uint32_t seen[2];
        memcpy(seen, m.mem + 0x40000, 8);
        cr_assert_eq(seen[0], secret, "SMM, CS-relative");
        cr_assert_eq(seen[1], secret, "SMM, the page the TLB held before");
        cr_assert_eq(m.mem[0x38100], 0x55, "RAM under SMRAM untouched");
        teardown();
    }
}

Test(smm, an_smi_in_smm_waits_for_rsm)
{
    static const uint8_t code[] = {0x48, 0xff, 0xc2, 0xcc}; /* inc rdx */
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        handler(int3_rsm, sizeof(int3_rsm));
        m.env->regs[R_EDX] = 0;
        cr_assert_eq(smi_run(code, sizeof(code)), 3);
        cpu_smi(m.env);
        cpu_event_raise(m.env, CPU_EV_NMI);
        cr_assert_eq(m.env->exit_request, 0, "neither makes it leave");
        cr_assert(cpu_events(m.env) & CPU_EV_SMI);
        cpu_event_clear(m.env, CPU_EV_NMI); /* nothing delivers NMIs yet */
        cr_assert_eq(run(HANDLER + 1), 3, "RSM, then the held SMI at once");
        cr_assert(m.env->hflags & HF_SMM);
        cr_assert_eq(m.env->rip, HANDLER + 1);
        cr_assert_eq(MAP(SMM_RIP, 8), TM_CODE, "the code has not run");
        cr_assert_eq(cpu_events(m.env) & CPU_EV_SMI, 0);
        cr_assert_eq(run(HANDLER + 1), 3);
        cr_assert_eq(m.env->hflags & HF_SMM, 0);
        cr_assert_eq(m.env->regs[R_EDX], 1);
        teardown();
    }
}

Test(smm, rsm_outside_smm_is_ud)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        static const uint8_t rsm[] = {0x0f, 0xaa};
        cr_assert_eq(tm_run(&m, rsm, sizeof(rsm)), 6);
        teardown();
    }
}

Test(smm, rsm_shuts_down_on_an_impossible_saved_state)
{
    static const struct {
        unsigned off, size;
        uint64_t set, clear;
        const char *what;
    } bad[] = {
        {SMM_CR0, 8, 0, CR0_PE, "PG without PE"},
        {SMM_CR0, 8, CR0_NW, CR0_CD, "NW without CD"},
        {SMM_CR0, 8, 1ull << 32, 0, "CR0[63:32]"},
        {SMM_CR4, 8, 1ull << 30, 0, "reserved CR4 bit"},
        {SMM_CR4, 8, 0, CR4_PAE, "long mode without PAE"},
        {SMM_EFER, 8, 1ull << 1, 0, "reserved EFER bit"},
        {SMM_CR3, 8, 1ull << 50, 0, "CR3 beyond MAXPHYADDR"},
        {SMM_SEG + 16 + 2, 2, 0x400, 0, "CS.L and CS.D"},
    };
    for (size_t b = 0; b < 2; b++) {
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            setup(b);
            handler(int3_rsm, sizeof(int3_rsm));
            cr_assert_eq(smi_run(just_int3, 1), 3);
            uint64_t v = MAP(bad[i].off, bad[i].size);
            map_put(bad[i].off, (v | bad[i].set) & ~bad[i].clear, bad[i].size);
            cr_assert_eq(run(HANDLER + 1), -2, "%s", bad[i].what);
            cr_assert(m.env->hflags & HF_SMM, "nothing restored");
            teardown();
        }
    }
}

Test(smm, an_smi_in_hlt_returns_to_hlt)
{
    static const uint8_t code[] = {0xf4, 0xcc}; /* hlt; int3 */
    for (size_t b = 0; b < 2; b++) {
        for (int keep = 0; keep < 2; keep++) {
            setup(b);
            handler(int3_rsm, sizeof(int3_rsm));
            tm_code_clear(&m);
            tm_code_put(&m, 0, code, sizeof(code));
            cr_assert_eq(run(TM_CODE), -3);
            cr_assert(!cpu_halt_wake(m.env), "nothing pending");
            cpu_smi(m.env);
            cr_assert(cpu_halt_wake(m.env));
            cr_assert(m.env->halted, "cpu_exec takes the SMI from HLT");
            cr_assert_eq(run(m.env->rip), 3);
            cr_assert(!m.env->halted);
            cr_assert_eq(MAP(SMM_HALT_RESTART, 1), 1);
            cr_assert_eq(MAP(SMM_RIP, 8), TM_CODE + 1);
            if (!keep) {
                map_put(SMM_HALT_RESTART, 0, 1); /* to the next insn */
            }
            int r = run(HANDLER + 1);
            cr_assert_eq(m.env->hflags & HF_SMM, 0);
            if (keep) {
                cr_assert_eq(r, -3, "back in HLT");
                cr_assert_eq(m.env->rip, TM_CODE + 1);
            } else {
                cr_assert_eq(r, 3, "the int3 after HLT");
                cr_assert(!m.env->halted);
            }
            teardown();
        }
    }
}

Test(smm, smram_code_is_protected_against_writes)
{
    static const uint8_t h[] = {0x2e, 0xc6, 0x06, 0x0b, 0x80,
                                0x90, /* mov byte cs:[800b], nop */
                                0x90, 0x90, 0x90, 0x90, 0x90, /* nops */
                                0xcc,        /* 800b: int3, then a nop */
                                0x0f, 0xaa}; /* rsm */
    static const uint8_t int3 = 0xcc;
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        handler(h, sizeof(h));
        cr_assert_eq(smi_run(just_int3, 1), 3);
        cr_assert_eq(m.env->hflags & HF_SMM, 0, "its own store took effect");
        cr_assert_eq(m.env->rip, TM_CODE + 1);
        /* a store to the RAM under SMRAM leaves the handler alone */
        cr_assert_eq(as_write(m.as, SMBASE + 0x8006, &int3, 1, MEMATTRS_CPU),
                     MEMTX_OK);
        cr_assert_eq(smi_run(just_int3, 1), 3);
        cr_assert_eq(m.env->hflags & HF_SMM, 0);
        /* one through the SMM space (open SMRAM) drops its blocks */
        cr_assert_eq(as_write(smm_as, SMBASE + 0x8006, &int3, 1, MEMATTRS_CPU),
                     MEMTX_OK);
        cr_assert_eq(smi_run(just_int3, 1), 3);
        cr_assert(m.env->hflags & HF_SMM, "stopped at the new int3");
        cr_assert_eq(m.env->rip, HANDLER + 7);
        teardown();
    }
}

Test(smm, rsm_to_pae_paging_reloads_the_pdptes)
{
    static const uint8_t rd[] = {0xa1, 0x00, 0x00, 0x04, 0x40, 0xcc};
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        handler(int3_rsm, sizeof(int3_rsm));
        CpuX86 *env = m.env;
        uint64_t pdpt0 = 0x7000 | 1, pd0 = 0x83, pdx = 0x8000 | 1;
        memset(m.mem + 0x6000, 0, 0x3000);
        memcpy(m.mem + 0x6000, &pdpt0, 8);
        memcpy(m.mem + 0x7000, &pd0, 8); /* 2 MiB at 0: identity */
        memcpy(m.mem + 0x8000, &pd0, 8); /* 1 GiB up: the same 2 MiB */
        env->efer = 0;
        env->cr[0] = CR0_PE | CR0_ET | CR0_PG;
        env->cr[3] = 0x6000;
        env->cr[4] = CR4_PAE;
        cr_assert(walk_pae_load_pdptes(m.as, 0x6000, 0, env->pdpte));
        uint32_t d = SEG_AR_P | SEG_AR_S | 0x3u | SEG_AR_DB | SEG_AR_G;
        for (int s = 0; s < CPU_NB_SEGS; s++) {
            cpu_seg_set(env, s, 0x10, 0, 0xffffffff, d);
        }
        cpu_seg_set(env, R_CS, 0x08, 0, 0xffffffff,
                    SEG_AR_P | SEG_AR_S | 0xbu | SEG_AR_DB | SEG_AR_G);
        cpu_update_hflags(env);
        tlb_flush(env);
        uint32_t v = 0xfeedf00d;
        memcpy(m.mem + TM_DATA, &v, 4);
        cr_assert_eq(smi_run(rd, sizeof(rd)), 3);
        memcpy(m.mem + 0x6008, &pdx, 8); /* PDPTE 1 appears in memory */
        cr_assert_eq(run(HANDLER + 1), 3, "no #PF: RSM loaded PDPTE 1");
        cr_assert_eq(env->pdpte[1], pdx);
        cr_assert_eq(env->regs[R_EAX], v);
        /* an RSM to PAE paging with a reserved PDPTE bit shuts down */
        cpu_smi(env);
        cr_assert_eq(run(TM_CODE), 3);
        pdx |= 0x100;
        memcpy(m.mem + 0x6008, &pdx, 8);
        cr_assert_eq(run(HANDLER + 1), -2);
        teardown();
    }
}

Test(smm, an_smbase_outside_ram_faults_without_harm)
{
    for (size_t b = 0; b < 2; b++) {
        setup(b);
        handler(int3_rsm, sizeof(int3_rsm));
        cr_assert_eq(smi_run(just_int3, 1), 3);
        map_put(SMM_SMBASE, 0xfff00000u, 4); /* nothing there */
        cr_assert_eq(run(HANDLER + 1), 3);
        cr_assert_eq(m.env->smbase, 0xfff00000u);
        /* the save is lost, the fetch reads open bus (0xff): #UD in SMM */
        cr_assert_eq(smi_run(just_int3, 1), 6);
        cr_assert(m.env->hflags & HF_SMM);
        cr_assert_eq(m.env->segs[R_CS].base, 0xfff00000u);
        /* RSM from there reads all-ones: CR0 bits 63:32, a shutdown */
        static const uint8_t rsm[] = {0x0f, 0xaa};
        cr_assert_eq(as_write(m.as, TM_DATA, rsm, 2, MEMATTRS_CPU), MEMTX_OK);
        cpu_seg_set(m.env, R_CS, 0x4000, TM_DATA, 0xffffffff,
                    m.env->segs[R_CS].attr);
        cr_assert_eq(run(0), -2);
        teardown();
    }
}
