/*
 * x86 front end: control registers, MSRs, descriptor-table registers and
 * TLB maintenance (SDM vol. 2 MOV CR, CLTS, LMSW, SMSW, RDMSR, WRMSR,
 * LGDT/LIDT, SGDT/SIDT, INVLPG, INVPCID, IN/OUT; vol. 3 2.5, 4.10.4 and
 * 20.5 for the I/O permission bitmap). The MSRs themselves are in msr.c.
 *
 * The writes are helpers: they check the SDM's #GP conditions, update
 * env, flush the TLB exactly as wide as the SDM requires (a CR3 write
 * under CR4.PCIDE switches TLB contexts and keeps the others, global pages
 * survive a CR3 write) and recompute hflags; their blocks end right after
 * and leave through the dispatcher, as the mode may have changed. The
 * privilege check (CPL 0) is done at translation time for every XA_PRIV
 * instruction (translate.c).
 */
#include "cpu/debug.h"
#include "cpu/msr.h"
#include "cpu/translate_int.h"

#include "mmu/walk.h"
#include "util/log.h"

#define CR4_VME BIT(0)
#define CR4_PVI BIT(1)
#define CR4_TSD BIT(2)
#define CR4_DE BIT(3)
#define CR4_PSE BIT(4)
#define CR4_MCE BIT(6)
#define CR4_PCE BIT(8)
#define CR4_OSXMMEXCPT BIT(10)
/* the CR4 bits this CPU implements; others are reserved (#GP) */
#define CR4_KNOWN                                                              \
    (CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE |      \
     CR4_PGE | CR4_PCE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_UMIP | CR4_LA57 |   \
     CR4_FSGSBASE | CR4_PCIDE | CR4_OSXSAVE | CR4_SMEP | CR4_SMAP | CR4_PKE |  \
     CR4_PKS)
/* a change of any of these invalidates every TLB entry (SDM 4.10.4.1) */
#define CR4_FLUSH_ALL                                                          \
    (CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCIDE | CR4_SMEP | CR4_SMAP | CR4_PKE | \
     CR4_PKS | CR4_LA57)
#define CR0_FLUSH_ALL (CR0_PG | CR0_WP | CR0_PE | CR0_CD | CR0_NW)
/* a change of these into PAE paging reloads the PDPTEs (SDM 4.4.1) */
#define CR0_PDPTE_LOAD (CR0_PG | CR0_CD | CR0_NW)
#define CR4_PDPTE_LOAD (CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP)
#define CR3_NOFLUSH BIT(63)

static NORETURN void cr_gp(CpuX86 *env, uintptr_t ra)
{
    env->exception_index = 13;
    env->error_code = 0;
    env->has_error_code = true;
    tcg_exit_to_dispatcher(ra);
}

/* ---- control registers ---- */

bool cpu_cr4_valid(uint64_t cr4)
{
    return !(cr4 & ~(uint64_t)CR4_KNOWN);
}

/*
 * PAE paging outside IA-32e mode with these CR0/CR4/EFER.LMA? Then load
 * the PDPTE registers from cr3, or raise #GP(0) (a reserved bit in a
 * present one) with nothing changed (SDM 4.4.1).
 */
static void cr_pdptes(CpuX86 *env, uint64_t cr0, uint64_t cr3, uint64_t cr4,
                      bool lma, uintptr_t ra)
{
    if (!(cr0 & CR0_PG) || !(cr4 & CR4_PAE) || lma) {
        return;
    }
    if (!walk_pae_load_pdptes(cpu_mem_as(env), cr3,
                              cpu_model_of(env)->phys_bits, env->pdpte)) {
        cr_gp(env, ra);
    }
}

static void cr_write0(CpuX86 *env, uint64_t v, uintptr_t ra)
{
    uint64_t old = env->cr[0];
    v |= CR0_ET; /* hardwired on every CPU with an FPU */
    if ((v >> 32) || ((v & CR0_PG) && !(v & CR0_PE)) ||
        ((v & CR0_NW) && !(v & CR0_CD))) {
        cr_gp(env, ra);
    }
    bool pg_on = (v & CR0_PG) && !(old & CR0_PG);
    if (pg_on && (env->efer & EFER_LME) && !(env->cr[4] & CR4_PAE)) {
        cr_gp(env, ra); /* long mode needs PAE */
    }
    if (!(v & CR0_PG) && (env->hflags & HF_CS64)) {
        cr_gp(env, ra); /* paging off from 64-bit code */
    }
    bool lma = (pg_on && (env->efer & EFER_LME)) ||
               ((v & CR0_PG) && (env->efer & EFER_LMA));
    if ((old ^ v) & CR0_PDPTE_LOAD) {
        cr_pdptes(env, v, env->cr[3], env->cr[4], lma, ra);
    }
    env->efer = (env->efer & ~(uint64_t)EFER_LMA) | (lma ? EFER_LMA : 0);
    env->cr[0] = v;
    if ((old ^ v) & CR0_FLUSH_ALL) {
        tlb_flush(env);
    }
}

static void cr_write3(CpuX86 *env, uint64_t v, uintptr_t ra)
{
    bool pcide = env->cr[4] & CR4_PCIDE;
    uint64_t addr = v & ~CR3_NOFLUSH;
    if (!(env->efer & EFER_LMA)) {
        addr &= 0xffffffffu;
    } else if (addr >> cpu_model_of(env)->phys_bits) {
        cr_gp(env, ra);
    }
    cr_pdptes(env, env->cr[0], addr, env->cr[4], env->efer & EFER_LMA, ra);
    env->cr[3] = addr;
    if (pcide) {
        tlb_switch(env, addr & 0xfff, !(v & CR3_NOFLUSH));
    } else {
        tlb_flush_nonglobal(env);
    }
}

static void cr_write4(CpuX86 *env, uint64_t v, uintptr_t ra)
{
    uint64_t old = env->cr[4], diff = old ^ v;
    bool lma = env->efer & EFER_LMA;
    if ((v & ~(uint64_t)CR4_KNOWN) || (v & fpu_cr4_reserved(env)) ||
        (lma && !(v & CR4_PAE)) || (lma && (diff & CR4_LA57))) {
        cr_gp(env, ra);
    }
    if ((v & CR4_PCIDE) && !(old & CR4_PCIDE) &&
        (!lma || (env->cr[3] & 0xfff))) {
        cr_gp(env, ra); /* PCIDE needs long mode and PCID 0 (SDM 4.10.1) */
    }
    if (diff & CR4_PDPTE_LOAD) {
        cr_pdptes(env, env->cr[0], env->cr[3], v, lma, ra);
    }
    env->cr[4] = v;
    if (diff & CR4_FLUSH_ALL) {
        tlb_flush(env);
    }
    if (diff & CR4_PCIDE) { /* PCIDE off: every translation is PCID 0's */
        tlb_switch(env, (v & CR4_PCIDE) ? env->cr[3] & 0xfff : 0, false);
    }
}

/* MOV CRn, r: n in 0, 2, 3, 4, 8 (checked at translation) */
static void helper_mov_to_cr(CpuX86 *env, uint32_t n, uint64_t v)
{
    uintptr_t ra = TCG_GETPC();
    switch (n) {
    case 0:
        cr_write0(env, v, ra);
        break;
    case 2:
        env->cr[2] = v;
        break;
    case 3:
        cr_write3(env, v, ra);
        break;
    case 4:
        cr_write4(env, v, ra);
        break;
    default: /* 8: the task priority, 4 bits */
        if (v >> 4) {
            cr_gp(env, ra);
        }
        env->cr[8] = v;
        break;
    }
    cpu_update_hflags(env);
}

static void helper_clts(CpuX86 *env)
{
    env->cr[0] &= ~(uint64_t)CR0_TS;
    cpu_update_hflags(env);
}

/* LMSW: PE MP EM TS only, and PE cannot be cleared */
static void helper_lmsw(CpuX86 *env, uint64_t v)
{
    uint64_t cr0 = (env->cr[0] & ~0xeull) | (v & 0xf);
    cr_write0(env, cr0, TCG_GETPC());
    cpu_update_hflags(env);
}

/* ---- descriptor tables and TLB maintenance ---- */

/* LGDT/LIDT: which 0 GDTR, 1 IDTR; base already cut to the operand size */
static void helper_load_dtr(CpuX86 *env, uint32_t which, uint64_t base,
                            uint64_t limit)
{
    if ((env->hflags & HF_CS64) && !cpu_canonical(env, base)) {
        cr_gp(env, TCG_GETPC());
    }
    DtReg *r = which ? &env->idt : &env->gdt;
    r->base = base;
    r->limit = (uint32_t)(limit & 0xffff);
}

/* INVLPG: a non-canonical address invalidates nothing (no fault) */
static void helper_invlpg(CpuX86 *env, uint64_t lin)
{
    if (!(env->hflags & HF_LMA) || cpu_canonical(env, lin)) {
        tlb_flush_page(env, lin);
    }
}

/* INVPCID type, [desc]: desc = PCID (bits 11:0, 63:12 zero), address */
static void helper_invpcid(CpuX86 *env, uint64_t type, uint64_t lo,
                           uint64_t addr)
{
    uintptr_t ra = TCG_GETPC();
    uint64_t pcid = lo & 0xfff;
    bool pcide = env->cr[4] & CR4_PCIDE;
    if (type > 3 || (lo >> 12) ||
        ((type == 0 || type == 1) && pcid && !pcide) ||
        (type == 0 && !cpu_canonical(env, addr))) {
        cr_gp(env, ra);
    }
    switch (type) {
    case 0: /* one address of one PCID (more is allowed: every context) */
        tlb_flush_page(env, addr);
        break;
    case 1: /* one PCID, global entries kept */
        tlb_flush_tag(env, pcid);
        break;
    default: /* 2: everything; 3: everything but global pages (more ok) */
        tlb_flush(env);
        break;
    }
}

/* ---- port I/O ---- */

/*
 * May this access [port, port + size) go ahead? Real mode, or CPL <= IOPL
 * outside V86; else the TSS's I/O permission bitmap decides (its offset
 * at TSS + 0x66; bits beyond the TSS limit count as set): #GP(0) if any
 * bit of the range is set.
 */
static void io_check(CpuX86 *env, uint32_t port, uint32_t size, uintptr_t ra)
{
    uint32_t hf = env->hflags;
    unsigned iopl = (hf & HF_IOPL_MASK) >> HF_IOPL_SHIFT;
    if (!(hf & HF_PE) || (!(hf & HF_VM) && (hf & HF_CPL_MASK) <= iopl)) {
        return;
    }
    const SegCache *tr = &env->tr;
    unsigned mmu = cpu_mmu_index_sys(env);
    if ((tr->attr & SEG_AR_UNUSABLE) || tr->limit < 0x67) {
        cr_gp(env, ra);
    }
    uint64_t base =
        tlb_ld_slow(env, tr->base + 0x66, IR_MO_16 | IR_MO_MMU(mmu), ra);
    uint64_t at = base + port / 8;
    if (at + 1 > tr->limit) {
        cr_gp(env, ra);
    }
    uint64_t bits =
        tlb_ld_slow(env, tr->base + at, IR_MO_16 | IR_MO_MMU(mmu), ra);
    if ((bits >> (port & 7)) & MASK(size)) {
        cr_gp(env, ra);
    }
}

static uint64_t helper_in(CpuX86 *env, uint32_t port, uint32_t size)
{
    io_check(env, port, size, TCG_GETPC());
    cpu_debug_io(env, port, size, TCG_GETPC());
    if (!env->io_as) {
        return MASK(8 * size);
    }
    cpu_dev_lock(env, true);
    uint64_t v = as_ld(env->io_as, port, size, MEMATTRS_CPU, NULL);
    cpu_dev_lock(env, false);
    return v & MASK(8 * size);
}

static void helper_out(CpuX86 *env, uint32_t port, uint64_t v, uint32_t size)
{
    io_check(env, port, size, TCG_GETPC());
    cpu_debug_io(env, port, size, TCG_GETPC());
    if (env->io_as) {
        cpu_dev_lock(env, true);
        (void)as_st(env->io_as, port, v & MASK(8 * size), size, MEMATTRS_CPU);
        cpu_dev_lock(env, false);
    }
}

static const IrHelper h_in = {
    "in",        (void *)helper_in, 2,
    IRH_RET_I64, {IR_I32, IR_I32},  IRH_ENV | IRH_RD_GLOB | IRH_RAISE};
static const IrHelper h_out = {
    "out",    (void *)helper_out,       3,
    IRH_VOID, {IR_I32, IR_I64, IR_I32}, IRH_ENV | IRH_RD_GLOB | IRH_RAISE};

/* IN/OUT with an imm8 or DX port; the data operand sets the size */
static void op_in_out(Dc *dc, bool out)
{
    const DecodedInsn *d = dc->d;
    const X86Operand *port_op = &d->op[out ? 0 : 1];
    const X86Operand *data = &d->op[out ? 1 : 0];
    unsigned size = data->size;
    IrTemp port;
    if (port_op->type == XOP_IMM) {
        port = ir_const(dc->f, IR_I32, (uint32_t)port_op->val & 0xff);
    } else {
        port = tr_new(dc);
        ir_op1(dc->f, IR_EXT16U, IR_I64, port, tr_reg_get(dc, R_EDX, 2));
    }
    IrTemp sz = ir_const(dc->f, IR_I32, size);
    if (out) {
        IrTemp args[] = {port, tr_reg_get(dc, R_EAX, size), sz};
        ir_call(dc->f, &h_out, 0, args);
    } else {
        IrTemp args[] = {port, sz};
        IrTemp v = tr_new(dc);
        ir_call(dc->f, &h_in, v, args);
        tr_reg_set(dc, R_EAX, size, v);
    }
}

/* ---- translation ---- */

#define H(name, fn, n, ...)                                                    \
    static const IrHelper name = {                                             \
        #fn,                                                                   \
        (void *)fn,                                                            \
        n,                                                                     \
        IRH_VOID,                                                              \
        {__VA_ARGS__},                                                         \
        IRH_ENV | IRH_RD_GLOB | IRH_WR_GLOB | IRH_RAISE}

H(h_mov_to_cr, helper_mov_to_cr, 2, IR_I32, IR_I64);
H(h_clts, helper_clts, 0, 0);
H(h_lmsw, helper_lmsw, 1, IR_I64);
H(h_rdmsr, helper_rdmsr, 0, 0);
H(h_wrmsr, helper_wrmsr, 0, 0);
H(h_load_dtr, helper_load_dtr, 3, IR_I32, IR_I64, IR_I64);
H(h_invlpg, helper_invlpg, 1, IR_I64);
H(h_invpcid, helper_invpcid, 3, IR_I64, IR_I64, IR_I64);

/* after a state change: RIP past the instruction, then a fresh lookup */
static void cr_end(Dc *dc)
{
    ir_movi(dc->f, IR_I64, x86_g.rip, dc->next_pc);
    tr_exit(dc, IR_EXIT_LOOKUP);
}

/* CR n exists? (0 2 3 4 8; REX.R reaches 8..15) */
static bool cr_valid(unsigned n)
{
    return n == 0 || n == 2 || n == 3 || n == 4 || n == 8;
}

static void op_mov_cr(Dc *dc)
{
    const DecodedInsn *d = dc->d;
    bool to_cr = d->op[0].cls == XRC_CR;
    const X86Operand *cr = &d->op[to_cr ? 0 : 1], *gpr = &d->op[to_cr ? 1 : 0];
    if (!cr_valid(cr->reg)) {
        tr_exception(dc, 6);
        return;
    }
    unsigned size = dc->dmode == X86_MODE64 ? 8 : 4;
    if (!to_cr) {
        IrTemp v = tr_new(dc);
        ir_ld(dc->f, IR_I64, v, (int32_t)offsetof(CpuX86, cr[cr->reg]),
              IR_MO_64);
        tr_reg_set(dc, gpr->reg, size, v);
        return;
    }
    IrTemp args[] = {ir_const(dc->f, IR_I32, cr->reg),
                     tr_reg_get(dc, gpr->reg, size)};
    ir_call(dc->f, &h_mov_to_cr, 0, args);
    cr_end(dc);
}

/* LGDT/LIDT m16&32 (16-bit operand: 24-bit base), m16&64 in 64-bit mode */
static void op_load_dtr(Dc *dc, uint32_t which)
{
    IrTemp a = tr_ea(dc, &dc->d->op[0]);
    IrTemp limit = tr_mem_ld(dc, a, 2);
    IrTemp a2 = tr_new(dc);
    ir_op2i(dc->f, IR_ADD, IR_I64, a2, a, 2);
    bool m64 = dc->dmode == X86_MODE64;
    IrTemp base = tr_mem_ld(dc, a2, m64 ? 8 : 4);
    if (!m64 && dc->d->opsize == 2) {
        ir_op2i(dc->f, IR_AND, IR_I64, base, base, 0xffffff);
    }
    IrTemp args[] = {ir_const(dc->f, IR_I32, which), base, limit};
    ir_call(dc->f, &h_load_dtr, 0, args);
}

/* SGDT/SIDT: #GP(0) under UMIP above CPL 0; limit then base */
static void op_store_dtr(Dc *dc, uint32_t which)
{
    if ((dc->hflags & HF_UMIP) && (dc->hflags & HF_CPL_MASK)) {
        tr_exception(dc, 13);
        return;
    }
    int32_t off =
        which ? (int32_t)offsetof(CpuX86, idt) : (int32_t)offsetof(CpuX86, gdt);
    IrTemp a = tr_ea(dc, &dc->d->op[0]);
    IrTemp limit = tr_new(dc), base = tr_new(dc), a2 = tr_new(dc);
    ir_ld(dc->f, IR_I64, limit, off + (int32_t)offsetof(DtReg, limit),
          IR_MO_32);
    ir_ld(dc->f, IR_I64, base, off + (int32_t)offsetof(DtReg, base), IR_MO_64);
    ir_op2i(dc->f, IR_ADD, IR_I64, a2, a, 2);
    tr_mem_st(dc, a, limit, 2);
    tr_mem_st(dc, a2, base, dc->dmode == X86_MODE64 ? 8 : 4);
}

/* SMSW: CR0's low 16 bits to memory, or the operand size to a register */
static void op_smsw(Dc *dc)
{
    const X86Operand *o = &dc->d->op[0];
    if ((dc->hflags & HF_UMIP) && (dc->hflags & HF_CPL_MASK)) {
        tr_exception(dc, 13);
        return;
    }
    IrTemp v = tr_new(dc);
    ir_ld(dc->f, IR_I64, v, (int32_t)offsetof(CpuX86, cr[0]), IR_MO_64);
    if (o->type == XOP_MEM) {
        tr_mem_st(dc, tr_ea(dc, o), v, 2);
    } else {
        tr_reg_set(dc, o->reg, o->size, v);
    }
}

static void op_invpcid(Dc *dc)
{
    IrTemp a = tr_ea(dc, &dc->d->op[1]);
    IrTemp lo = tr_mem_ld(dc, a, 8), a2 = tr_new(dc);
    ir_op2i(dc->f, IR_ADD, IR_I64, a2, a, 8);
    IrTemp addr = tr_mem_ld(dc, a2, 8);
    IrTemp args[] = {tr_reg_get(dc, dc->d->op[0].reg, 8), lo, addr};
    ir_call(dc->f, &h_invpcid, 0, args);
    cr_end(dc);
}

bool tr_sys_cr(Dc *dc)
{
    const DecodedInsn *d = dc->d;
    switch (d->id) {
    case XI_MOV_CR:
        op_mov_cr(dc);
        return true;
    case XI_CLTS:
        ir_call(dc->f, &h_clts, 0, NULL);
        cr_end(dc);
        return true;
    case XI_LMSW: {
        IrTemp args[] = {tr_ld(dc, &d->op[0], NULL)};
        ir_call(dc->f, &h_lmsw, 0, args);
        cr_end(dc);
        return true;
    }
    case XI_SMSW:
        op_smsw(dc);
        return true;
    case XI_RDMSR:
        ir_call(dc->f, &h_rdmsr, 0, NULL);
        return true;
    case XI_WRMSR:
        ir_call(dc->f, &h_wrmsr, 0, NULL);
        cr_end(dc);
        return true;
    case XI_LGDT:
    case XI_LIDT:
        op_load_dtr(dc, d->id == XI_LIDT);
        return true;
    case XI_SGDT:
    case XI_SIDT:
        op_store_dtr(dc, d->id == XI_SIDT);
        return true;
    case XI_INVLPG: {
        IrTemp args[] = {tr_ea(dc, &d->op[0])};
        ir_call(dc->f, &h_invlpg, 0, args);
        cr_end(dc);
        return true;
    }
    case XI_INVPCID:
        op_invpcid(dc);
        return true;
    case XI_IN:
    case XI_OUT:
        op_in_out(dc, d->id == XI_OUT);
        return true;
    default:
        return false;
    }
}
