/*
 * System Management Mode (SDM vol. 3C ch. 34, AMD APM vol. 2 10.2).
 *
 * An SMI (CPU_EV_SMI, cpu_smi) is taken by cpu_exec at a block boundary
 * outside SMM: the state goes to the save map at SMBASE + 0xfe00 in the
 * AMD64 format (revision 0x00020064, which SeaBIOS accepts), then the CPU
 * starts at SMBASE:8000 in a real-mode-like state with 4 GiB segments,
 * paging and protection off, CR4 and EFER clear, DR7 0x400, IF/TF clear,
 * NMIs blocked (until RSM or an IRET), SMIs and INIT held pending until
 * RSM (event_mask). RSM
 * (#UD outside SMM) checks the saved CR0/CR4/EFER/CR3 as hardware does
 * and shuts the CPU down on a bad combination, else restores everything,
 * SMBASE from the map (relocation), the halt (auto HALT restart) and NMI
 * blocking as before the SMI. While in SMM, memory is env->smm_as (SMRAM
 * visible). The TLB and the jump cache are flushed at entry and at RSM
 * rather than kept per mode: both change paging state anyway (entry turns
 * paging off, RSM restores CR0/CR3/CR4), which needs the same flush, and
 * an SMM MMU index would double the TLB for a rare transition. TBs do not
 * mix: HF_SMM is in their key.
 * Not modelled: I/O instruction restart (the field reads 0, RSM ignores
 * it), the Intel save-map format, SMM in VMX operation.
 */
#include "cpu/smm.h"

#include <endian.h>
#include <string.h>

#include "cpu/exec.h"
#include "cpu/translate_int.h"
#include "mmu/walk.h"
#include "util/log.h"

/* data segments (and CS) at entry: present, read/write, accessed, 4 GiB
 * with G set, 16-bit (SDM table 34-4; CS is writable too) */
#define SMM_SEG_AR (SEG_AR_P | SEG_AR_S | 0x3u | SEG_AR_G)
#define SMM_CR0_CLEAR (CR0_PE | CR0_EM | CR0_TS | CR0_PG)
#define SMM_EFER_OK (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

static const int smm_seg_order[CPU_NB_SEGS] = {R_ES, R_CS, R_SS,
                                               R_DS, R_FS, R_GS};

/* ---- the map, as a 512-byte buffer indexed by SMBASE offset ---- */

static uint8_t *smm_at(uint8_t *map, unsigned off)
{
    return map + (off - SMM_SAVE_OFFSET);
}

static void smm_put(uint8_t *map, unsigned off, uint64_t v, unsigned size)
{
    v = htole64(v);
    memcpy(smm_at(map, off), &v, size);
}

static uint64_t smm_get(const uint8_t *map, unsigned off, unsigned size)
{
    uint64_t v = 0;
    memcpy(&v, map + (off - SMM_SAVE_OFFSET), size);
    return le64toh(v);
}

/* SegCache attributes <-> the map's 16-bit form (descriptor bits 40-47
 * in 7:0, 52-55 in 11:8) */
static uint16_t smm_ar_pack(uint32_t attr)
{
    return (uint16_t)((attr & 0xff) | ((attr >> 4) & 0xf00));
}

static uint32_t smm_ar_unpack(uint16_t ar, bool cs)
{
    uint32_t attr = (ar & 0xffu) | ((ar & 0xf00u) << 4);
    return (!cs && !(attr & SEG_AR_P)) ? attr | SEG_AR_UNUSABLE : attr;
}

static void smm_put_seg(uint8_t *map, unsigned off, const SegCache *s)
{
    smm_put(map, off, s->selector, 2);
    smm_put(map, off + 2, smm_ar_pack(s->attr), 2);
    smm_put(map, off + 4, s->limit, 4);
    smm_put(map, off + 8, s->base, 8);
}

static void smm_get_seg(const uint8_t *map, unsigned off, SegCache *s, bool cs)
{
    *s = (SegCache){0};
    s->selector = (uint16_t)smm_get(map, off, 2);
    s->attr = smm_ar_unpack((uint16_t)smm_get(map, off + 2, 2), cs);
    s->limit = (uint32_t)smm_get(map, off + 4, 4);
    s->base = smm_get(map, off + 8, 8);
}

static void smm_save(CpuX86 *env, uint8_t *map)
{
    memset(map, 0, SMM_SAVE_SIZE);
    for (int i = 0; i < CPU_NB_SEGS; i++) {
        smm_put_seg(map, SMM_SEG + 16 * i, &env->segs[smm_seg_order[i]]);
    }
    smm_put(map, SMM_GDTR + 4, env->gdt.limit & 0xffff, 4);
    smm_put(map, SMM_GDTR + 8, env->gdt.base, 8);
    smm_put_seg(map, SMM_LDTR, &env->ldt);
    smm_put(map, SMM_IDTR + 4, env->idt.limit & 0xffff, 4);
    smm_put(map, SMM_IDTR + 8, env->idt.base, 8);
    smm_put_seg(map, SMM_TR, &env->tr);
    smm_put(map, SMM_HALT_RESTART, env->halted ? 1 : 0, 1);
    smm_put(map, SMM_EFER, env->efer, 8);
    smm_put(map, SMM_REVISION, SMM_REVISION_ID, 4);
    smm_put(map, SMM_SMBASE, env->smbase, 4);
    smm_put(map, SMM_CR4, env->cr[4], 8);
    smm_put(map, SMM_CR3, env->cr[3], 8);
    smm_put(map, SMM_CR0, env->cr[0], 8);
    smm_put(map, SMM_DR7, env->dr[7], 8);
    smm_put(map, SMM_DR6, env->dr[6], 8);
    smm_put(map, SMM_RFLAGS, cpu_compute_eflags(env), 8);
    smm_put(map, SMM_RIP, env->rip, 8);
    for (int r = 0; r < 16; r++) {
        smm_put(map, SMM_GPR + 8 * (15 - r), env->regs[r], 8);
    }
}

/* ---- entry ---- */

void cpu_smi(CpuX86 *env)
{
    cpu_event_raise(env, CPU_EV_SMI);
}

void smm_reset(CpuX86 *env)
{
    env->smbase = SMM_DEFAULT_SMBASE;
    env->hflags &= ~(uint32_t)HF_SMM;
    env->nmi_blocked = false;
    env->smm_nmi_was_blocked = false;
    env->mwait_irq_break = false;
    env->monitor_armed = false;
}

/* the TLB after the paging state changed under SMI or RSM */
static void smm_tlb_reload(CpuX86 *env)
{
    tlb_flush(env);
    bool pcide = env->cr[4] & CR4_PCIDE;
    tlb_switch(env, pcide ? env->cr[3] & 0xfff : 0, false);
}

void smm_enter(CpuX86 *env)
{
    uint8_t map[SMM_SAVE_SIZE];
    AddrSpace *as = env->smm_as ? env->smm_as : env->as;
    uint64_t at = (env->smbase + SMM_SAVE_OFFSET) & env->a20_mask;
    smm_save(env, map);
    TRACE(LOG_INT, "smm: SMI at rip 0x%llx, smbase 0x%llx\n",
          (unsigned long long)env->rip, (unsigned long long)env->smbase);
    if (as_write(as, at, map, sizeof(map), MEMATTRS_CPU) != MEMTX_OK) {
        log_guest_error("smm", "state save at 0x%llx: not all of it RAM",
                        (unsigned long long)at);
    }
    env->smm_nmi_was_blocked = env->nmi_blocked;
    env->nmi_blocked = true;
    env->halted = false;
    env->mwait_irq_break = false;
    env->hflags = (env->hflags | HF_SMM) & ~(uint32_t)HF_INHIBIT_IRQ;
    env->cr[0] &= ~(uint64_t)SMM_CR0_CLEAR;
    env->cr[4] = 0;
    env->efer = 0;
    env->dr[7] = 0x400;
    for (int s = 0; s < CPU_NB_SEGS; s++) {
        cpu_seg_set(env, s, 0, 0, 0xffffffff, SMM_SEG_AR);
    }
    cpu_seg_set(env, R_CS, (uint16_t)(env->smbase >> 4), env->smbase,
                0xffffffff, SMM_SEG_AR);
    env->rip = SMM_ENTRY_OFFSET;
    cpu_load_eflags(env, 0, ~0ull); /* also hflags and the event mask */
    smm_tlb_reload(env);
}

/* ---- RSM ---- */

typedef struct SmmState {
    SegCache segs[CPU_NB_SEGS], ldt, tr;
    DtReg gdt, idt;
    uint64_t cr0, cr3, cr4, efer, dr6, dr7, rflags, rip, regs[16];
    uint64_t pdpte[4];
    uint32_t smbase;
    bool halt;
} SmmState;

static void smm_parse(const uint8_t *map, SmmState *st)
{
    for (int i = 0; i < CPU_NB_SEGS; i++) {
        int s = smm_seg_order[i];
        smm_get_seg(map, SMM_SEG + 16 * i, &st->segs[s], s == R_CS);
    }
    st->gdt = (DtReg){smm_get(map, SMM_GDTR + 8, 8),
                      (uint32_t)smm_get(map, SMM_GDTR + 4, 2), 0};
    st->idt = (DtReg){smm_get(map, SMM_IDTR + 8, 8),
                      (uint32_t)smm_get(map, SMM_IDTR + 4, 2), 0};
    smm_get_seg(map, SMM_LDTR, &st->ldt, false);
    smm_get_seg(map, SMM_TR, &st->tr, false);
    st->efer = smm_get(map, SMM_EFER, 8);
    st->cr0 = smm_get(map, SMM_CR0, 8);
    st->cr3 = smm_get(map, SMM_CR3, 8);
    st->cr4 = smm_get(map, SMM_CR4, 8);
    st->dr6 = smm_get(map, SMM_DR6, 8);
    st->dr7 = smm_get(map, SMM_DR7, 8);
    st->rflags = smm_get(map, SMM_RFLAGS, 8);
    st->rip = smm_get(map, SMM_RIP, 8);
    for (int r = 0; r < 16; r++) {
        st->regs[r] = smm_get(map, SMM_GPR + 8 * (15 - r), 8);
    }
    st->smbase = (uint32_t)smm_get(map, SMM_SMBASE, 4);
    st->halt = smm_get(map, SMM_HALT_RESTART, 1) & 1;
}

/*
 * The checks RSM makes before it loads anything (APM vol. 2 10.3.4, SDM
 * 34.13): a state the CPU could not be in shuts it down. NULL: fine, else
 * what is wrong. Loads the PDPTEs for PAE paging outside long mode.
 */
static const char *smm_check(CpuX86 *env, SmmState *st)
{
    bool pg = st->cr0 & CR0_PG, lme = st->efer & EFER_LME;
    bool lma = pg && lme;
    const SegCache *cs = &st->segs[R_CS];
    if ((st->cr0 >> 32) || (pg && !(st->cr0 & CR0_PE)) ||
        ((st->cr0 & CR0_NW) && !(st->cr0 & CR0_CD))) {
        return "CR0";
    }
    if (!cpu_cr4_valid(st->cr4) || ((st->cr4 & CR4_PCIDE) && !lma)) {
        return "CR4";
    }
    if ((st->efer & ~(uint64_t)SMM_EFER_OK) || (lma && !(st->cr4 & CR4_PAE))) {
        return "EFER";
    }
    if (lma && (cs->attr & SEG_AR_L) && (cs->attr & SEG_AR_DB)) {
        return "CS.L and CS.D";
    }
    if (lma && (st->cr3 >> WALK_MAXPHYADDR_DEFAULT)) {
        return "CR3";
    }
    if (pg && (st->cr4 & CR4_PAE) && !lma &&
        !walk_pae_load_pdptes(env->as, st->cr3, 0, st->pdpte)) {
        return "PDPTEs";
    }
    return NULL;
}

static void smm_load(CpuX86 *env, const SmmState *st)
{
    bool lma = (st->cr0 & CR0_PG) && (st->efer & EFER_LME);
    for (int s = 0; s < CPU_NB_SEGS; s++) {
        const SegCache *c = &st->segs[s];
        cpu_seg_set(env, s, c->selector, c->base, c->limit, c->attr);
    }
    env->ldt = st->ldt;
    env->tr = st->tr;
    env->gdt = st->gdt;
    env->idt = st->idt;
    env->efer = (st->efer & ~(uint64_t)EFER_LMA) | (lma ? EFER_LMA : 0);
    env->cr[0] = st->cr0 | CR0_ET;
    env->cr[3] = lma ? st->cr3 : st->cr3 & 0xffffffffu;
    env->cr[4] = st->cr4;
    memcpy(env->pdpte, st->pdpte, sizeof(env->pdpte));
    env->dr[6] = (uint32_t)st->dr6; /* bits 63:32 are reserved (zero) */
    env->dr[7] = (uint32_t)st->dr7;
    memcpy(env->regs, st->regs, sizeof(env->regs));
    env->rip = st->rip;
    env->smbase = st->smbase;
    env->halted = st->halt;
    env->nmi_blocked = env->smm_nmi_was_blocked;
    env->hflags &= ~(uint32_t)(HF_SMM | HF_INHIBIT_IRQ);
    cpu_load_eflags(env, st->rflags, ~0ull); /* hflags, event mask */
    if (!(env->hflags & HF_CS64)) {
        env->rip &= 0xffffffffu; /* EIP outside 64-bit code */
    }
    smm_tlb_reload(env);
}

/* RSM in SMM (the translator raises #UD outside): back to the saved state */
static void helper_rsm(CpuX86 *env)
{
    uint8_t map[SMM_SAVE_SIZE];
    uint64_t at = (env->smbase + SMM_SAVE_OFFSET) & env->a20_mask;
    SmmState st = {0};
    if (as_read(cpu_mem_as(env), at, map, sizeof(map), MEMATTRS_CPU) !=
        MEMTX_OK) {
        memset(map, 0xff, sizeof(map)); /* open bus: fails the checks */
    }
    smm_parse(map, &st);
    const char *bad = smm_check(env, &st);
    if (bad) {
        log_guest_error("smm", "RSM: invalid saved %s: shutdown", bad);
        env->exception_index = CPU_EXC_SHUTDOWN;
        tcg_exit_to_dispatcher(TCG_GETPC());
    }
    TRACE(LOG_INT, "smm: RSM to rip 0x%llx, smbase 0x%x\n",
          (unsigned long long)st.rip, st.smbase);
    smm_load(env, &st);
}

static const IrHelper h_rsm = {
    "rsm", (void *)helper_rsm,
    0,     IRH_VOID,
    {0},   IRH_ENV | IRH_RD_GLOB | IRH_WR_GLOB | IRH_RAISE};

bool tr_smm(Dc *dc)
{
    if (dc->d->id != XI_RSM) {
        return false;
    }
    if (!(dc->hflags & HF_SMM)) {
        tr_exception(dc, 6);
        return true;
    }
    ir_movi(dc->f, IR_I64, x86_g.rip, dc->pc);
    ir_call(dc->f, &h_rsm, 0, NULL);
    /* RIP is the helper's; back to the loop, which sees a restored HLT */
    ir_exit_tb(dc->f, IR_EXIT_FRONTEND);
    dc->ended = true;
    return true;
}
