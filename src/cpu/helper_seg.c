/*
 * Segmentation in protected and long mode (SDM vol. 3 ch. 3 and 5, vol. 2
 * MOV, POP, LDS, JMP, CALL, RET): descriptor fetches from the GDT and LDT
 * with the accessed bit, the checks of a data or stack segment load, far
 * JMP/CALL/RET to a code segment, through 16/32-bit call gates and the
 * 16-byte 64-bit call gates of IA-32e mode (a CALL to an inner level
 * switches to the TSS's SSn:ESPn or RSPn and copies the gate's parameters),
 * far RET to an outer level (SS:ESP popped, inner data segments nulled).
 * TSS descriptors and task gates go to helper_task.c. Everything is
 * checked and the new stack written before any register changes, so a
 * fault restarts the instruction; errors carry the SDM's codes.
 */
#include "cpu/seg_int.h"

#include "util/log.h"

/* the descriptor of sel (GDT or LDT); false if beyond the table's limit */
bool seg_desc_fetch(CpuX86 *env, uint16_t sel, uint64_t *desc, uint64_t *addr,
                    uintptr_t ra)
{
    uint64_t base, limit;
    if (sel & 4) {
        if (env->ldt.attr & SEG_AR_UNUSABLE) {
            return false;
        }
        base = env->ldt.base;
        limit = env->ldt.limit;
    } else {
        base = env->gdt.base;
        limit = env->gdt.limit;
    }
    uint64_t index = sel & ~7u;
    if (index + 7 > limit) {
        return false;
    }
    *addr = base + index;
    *desc = tlb_ld_slow(env, *addr,
                        IR_MO_64 | IR_MO_MMU(cpu_mmu_index_sys(env)), ra);
    return true;
}

/* set the accessed bit in memory (type byte at +5) if it is clear */
void seg_desc_set_accessed(CpuX86 *env, uint64_t addr, uint64_t *desc,
                           uintptr_t ra)
{
    if (!(*desc & DESC_A)) {
        *desc |= DESC_A;
        tlb_st_slow(env, addr + 5, (*desc >> 40) & 0xff,
                    IR_MO_8 | IR_MO_MMU(cpu_mmu_index_sys(env)), ra);
    }
}

static unsigned desc_dpl(uint64_t d)
{
    return DESC_DPL(d);
}

static NORETURN void seg_fault(CpuX86 *env, unsigned vector, uint16_t sel,
                               uintptr_t ra)
{
    log_guest_error("seg", "vector %u, error 0x%x (selector checks)", vector,
                    sel & 0xfffc);
    helper_raise_ra(env, vector, sel & 0xfffc, ra);
}

/* MOV/POP Sreg, LxS: seg is not CS (the decoder refuses it) */
void seg_load_pm(CpuX86 *env, unsigned seg, uint16_t sel, uintptr_t ra)
{
    seg_load_pm_at(env, seg, sel, cpu_cpl(env), ra);
}

/* the same checked against cpl (IRET loads SS at the level it returns to) */
void seg_load_pm_at(CpuX86 *env, unsigned seg, uint16_t sel, unsigned cpl,
                    uintptr_t ra)
{
    unsigned rpl = sel & 3;
    uint64_t desc, addr;
    if (!(sel & 0xfffc)) {
        bool null_ss_ok = (env->hflags & HF_CS64) && cpl < 3 && rpl == cpl;
        if (seg == R_SS && !null_ss_ok) {
            seg_fault(env, 13, 0, ra);
        }
        cpu_seg_set(env, (int)seg, sel, 0, 0,
                    SEG_AR_UNUSABLE |
                        (seg == R_SS ? rpl << SEG_AR_DPL_SHIFT : 0));
        return;
    }
    if (!seg_desc_fetch(env, sel, &desc, &addr, ra) || !(desc & DESC_S)) {
        seg_fault(env, 13, sel, ra);
    }
    unsigned dpl = desc_dpl(desc);
    bool code = desc & DESC_CODE;
    if (seg == R_SS) {
        if (rpl != cpl || code || !(desc & DESC_RW) || dpl != cpl) {
            seg_fault(env, 13, sel, ra);
        }
        if (!(desc & DESC_P)) {
            seg_fault(env, 12, sel, ra); /* #SS */
        }
    } else {
        if (code && !(desc & DESC_RW)) {
            seg_fault(env, 13, sel, ra); /* execute-only code */
        }
        bool conforming_code = code && (desc & DESC_CONF);
        if (!conforming_code && (rpl > dpl || cpl > dpl)) {
            seg_fault(env, 13, sel, ra);
        }
        if (!(desc & DESC_P)) {
            seg_fault(env, 11, sel, ra); /* #NP */
        }
    }
    seg_desc_set_accessed(env, addr, &desc, ra);
    cpu_seg_load_desc(env, (int)seg, sel, desc);
}

/*
 * The common end of a CS load whose privilege rules passed: present
 * (#NP), not L and D together in long mode, offset within the limit
 * outside 64-bit code (#GP(0)); then the accessed bit and the load.
 */
static void seg_load_cs_checked(CpuX86 *env, uint16_t sel, uint64_t desc,
                                uint64_t addr, uint64_t offset, uintptr_t ra)
{
    if (!(desc & DESC_P)) {
        seg_fault(env, 11, sel, ra);
    }
    bool lma = env->efer & EFER_LMA;
    if (lma && (desc & DESC_L) && (desc & DESC_DB)) {
        seg_fault(env, 13, sel, ra);
    }
    uint64_t base;
    uint32_t limit, attr;
    cpu_seg_decode(desc, &base, &limit, &attr);
    if (!(lma && (desc & DESC_L)) && offset > limit) {
        seg_fault(env, 13, 0, ra);
    }
    seg_desc_set_accessed(env, addr, &desc, ra);
    cpu_seg_load_desc(env, R_CS, sel, desc);
}

/*
 * A code-segment target of a far JMP/CALL/RET at the same privilege:
 * conforming DPL <= CPL, else RPL <= CPL and DPL == CPL. CS is loaded with
 * RPL := CPL and offset checked against its limit.
 */
static void seg_far_code(CpuX86 *env, uint16_t sel, uint64_t desc,
                         uint64_t addr, uint64_t offset, uintptr_t ra)
{
    unsigned cpl = cpu_cpl(env), rpl = sel & 3, dpl = desc_dpl(desc);
    if (!(desc & DESC_S) || !(desc & DESC_CODE) ||
        ((desc & DESC_CONF) ? dpl > cpl : (rpl > cpl || dpl != cpl))) {
        seg_fault(env, 13, sel, ra);
    }
    seg_load_cs_checked(env, (uint16_t)((sel & ~3u) | cpl), desc, addr, offset,
                        ra);
}

/* the descriptor of a far JMP/CALL/RET selector: #GP(0) null, #GP(sel) */
static void seg_far_fetch(CpuX86 *env, uint16_t sel, uint64_t *desc,
                          uint64_t *addr, uintptr_t ra)
{
    if (!(sel & 0xfffc)) {
        seg_fault(env, 13, 0, ra);
    }
    if (!seg_desc_fetch(env, sel, desc, addr, ra)) {
        seg_fault(env, 13, sel, ra);
    }
}

/* IRET's CS: code; non-conforming DPL == RPL, conforming DPL <= RPL;
 * loaded with its RPL (the level returned to) */
void seg_load_cs_iret(CpuX86 *env, uint16_t sel, uint64_t offset, uintptr_t ra)
{
    unsigned rpl = sel & 3;
    uint64_t desc, addr;
    if (!seg_desc_fetch(env, sel, &desc, &addr, ra) || !(desc & DESC_S) ||
        !(desc & DESC_CODE)) {
        seg_fault(env, 13, sel, ra);
    }
    unsigned dpl = desc_dpl(desc);
    if ((desc & DESC_CONF) ? dpl > rpl : dpl != rpl) {
        seg_fault(env, 13, sel, ra);
    }
    seg_load_cs_checked(env, sel, desc, addr, offset, ra);
}

static bool seg_real(const CpuX86 *env)
{
    return !(env->hflags & HF_PE) || (env->hflags & HF_VM);
}

/* the operand size's mask of an offset */
static uint64_t seg_mask(unsigned size)
{
    return size == 8 ? ~0ull : size == 4 ? 0xffffffffull : 0xffffull;
}

/* the stack pointer's width and the linear address of rSP + k */
static unsigned seg_sp_size(const CpuX86 *env)
{
    return (env->hflags & HF_CS64) ? 8 : (env->hflags & HF_SS32) ? 4 : 2;
}

static uint64_t seg_sp_lin(const CpuX86 *env, uint64_t sp)
{
    uint64_t a = sp & seg_mask(seg_sp_size(env));
    return (env->hflags & HF_CS64) ? a
                                   : (env->segs[R_SS].base + a) & 0xffffffffu;
}

uint32_t seg_stack_memop(const CpuX86 *env, uint32_t size)
{
    return (size == 8   ? IR_MO_64
            : size == 4 ? IR_MO_32
                        : IR_MO_16) |
           IR_MO_STACK | IR_MO_MMU(cpu_mmu_index(env));
}

/* ---- call gates (SDM vol. 3A 5.8) ---- */

/* a call gate, decoded, and its checked code segment */
typedef struct SegGate {
    uint16_t sel;     /* the gate's selector */
    unsigned size;    /* 2, 4 (16/32-bit gate) or 8 (64-bit gate) */
    unsigned nparams; /* parameters to copy (16/32-bit gates) */
    uint64_t offset;
    uint16_t cs;
    uint64_t csd, csaddr; /* the code segment's descriptor and address */
} SegGate;

/*
 * The call gate at desc for a far JMP/CALL: gate DPL >= CPL and RPL, gate
 * present; the 16-byte form in IA-32e mode; its code segment non-null,
 * code, DPL <= CPL (== CPL for JMP to non-conforming code), L and not D in
 * IA-32e mode, present; the offset canonical (IA-32e) or in the limit.
 */
static void seg_gate_read(CpuX86 *env, uint16_t sel, uint64_t desc,
                          uint64_t addr, bool call, SegGate *g, uintptr_t ra)
{
    unsigned cpl = cpu_cpl(env), gdpl = desc_dpl(desc);
    bool lma = env->efer & EFER_LMA;
    if (gdpl < cpl || gdpl < (sel & 3u)) {
        seg_fault(env, 13, sel, ra);
    }
    if (!(desc & DESC_P)) {
        seg_fault(env, 11, sel, ra);
    }
    g->sel = sel;
    g->size = lma ? 8 : DESC_TYPE(desc) == 0xc ? 4 : 2;
    g->nparams = lma ? 0 : (desc >> 32) & 0x1f;
    g->offset =
        (desc & 0xffff) | (g->size > 2 ? (desc >> 32) & 0xffff0000u : 0);
    if (lma) { /* the upper 8 bytes: offset 63:32, type field 0 */
        uint64_t lim = (sel & 4) ? env->ldt.limit : env->gdt.limit;
        if ((sel & ~7u) + 15 > lim) {
            seg_fault(env, 13, sel, ra);
        }
        uint64_t hi = tlb_ld_slow(
            env, addr + 8, IR_MO_64 | IR_MO_MMU(cpu_mmu_index_sys(env)), ra);
        if ((hi >> 40) & 0x1f) {
            seg_fault(env, 13, sel, ra);
        }
        g->offset |= hi << 32;
    }
    g->cs = (uint16_t)(desc >> 16);
    if (!(g->cs & 0xfffc)) {
        seg_fault(env, 13, 0, ra);
    }
    uint64_t d;
    if (!seg_desc_fetch(env, g->cs, &d, &g->csaddr, ra)) {
        seg_fault(env, 13, g->cs, ra);
    }
    unsigned dpl = desc_dpl(d);
    if (!(d & DESC_S) || !(d & DESC_CODE) || dpl > cpl ||
        (lma && (!(d & DESC_L) || (d & DESC_DB))) ||
        (!call && !(d & DESC_CONF) && dpl != cpl)) {
        seg_fault(env, 13, g->cs, ra);
    }
    if (!(d & DESC_P)) {
        seg_fault(env, 11, g->cs, ra);
    }
    uint64_t base;
    uint32_t limit, attr;
    cpu_seg_decode(d, &base, &limit, &attr);
    if (lma ? !cpu_canonical(env, g->offset) : g->offset > limit) {
        seg_fault(env, 13, 0, ra);
    }
    g->csd = d;
}

/* CS := the gate's code segment at RPL cpl, RIP := its offset */
static void seg_gate_enter(CpuX86 *env, SegGate *g, unsigned cpl, uintptr_t ra)
{
    seg_desc_set_accessed(env, g->csaddr, &g->csd, ra);
    cpu_seg_load_desc(env, R_CS, (uint16_t)((g->cs & ~3u) | cpl), g->csd);
    env->rip = g->offset;
    cpu_update_hflags(env);
}

/* may [sp - bytes, sp) be pushed on a stack segment with limit, attr? */
static bool seg_stack_room(uint32_t limit, uint32_t attr, uint32_t sp,
                           uint32_t bytes)
{
    uint32_t m = (attr & SEG_AR_DB) ? 0xffffffffu : 0xffffu;
    uint32_t lo = (sp - bytes) & m, hi = (sp - 1) & m;
    if ((attr & 0xc) == 0x4) { /* expand-down: offsets above the limit */
        return lo <= hi && lo > limit;
    }
    return lo <= hi ? hi <= limit : limit == m;
}

/* the inner stack SS:ESP (RSP in IA-32e mode) of level n from the TSS */
static void seg_tss_stack(CpuX86 *env, unsigned n, uint16_t *ss, uint64_t *sp,
                          uintptr_t ra)
{
    const SegCache *tr = &env->tr;
    unsigned mmu = cpu_mmu_index_sys(env);
    bool lma = env->efer & EFER_LMA;
    bool t32 = lma || (tr->attr & 8);
    uint32_t off = t32 ? 4 + 8 * n : 2 + 4 * n;
    uint32_t need = lma ? 7 : t32 ? 5 : 3;
    if ((tr->attr & SEG_AR_UNUSABLE) || off + need > tr->limit) {
        seg_fault(env, 10, tr->selector, ra);
    }
    if (lma) {
        *sp = tlb_ld_slow(env, tr->base + off, IR_MO_64 | IR_MO_MMU(mmu), ra);
        *ss = (uint16_t)n; /* a null SS with RPL n */
        return;
    }
    *sp = tlb_ld_slow(env, tr->base + off,
                      (t32 ? IR_MO_32 : IR_MO_16) | IR_MO_MMU(mmu), ra);
    *ss = (uint16_t)tlb_ld_slow(env, tr->base + off + (t32 ? 4 : 2),
                                IR_MO_16 | IR_MO_MMU(mmu), ra);
}

/* the checks of the inner stack segment nss for level n (#TS, #SS) */
void seg_inner_ss(CpuX86 *env, uint16_t nss, unsigned n, uint32_t ext,
                  uint64_t *ssd, uint64_t *ssaddr, uintptr_t ra)
{
    uint32_t err = (nss & 0xfffc) | ext;
    if (!(nss & 0xfffc)) {
        helper_raise_ra(env, 10, ext, ra);
    }
    if (!seg_desc_fetch(env, nss, ssd, ssaddr, ra)) {
        helper_raise_ra(env, 10, err, ra);
    }
    uint64_t d = *ssd;
    if ((nss & 3u) != n || desc_dpl(d) != n || !(d & DESC_S) ||
        (d & DESC_CODE) || !(d & DESC_RW)) {
        log_guest_error("seg", "inner stack 0x%x for level %u: #TS", nss, n);
        helper_raise_ra(env, 10, err, ra);
    }
    if (!(d & DESC_P)) {
        helper_raise_ra(env, 12, err, ra);
    }
}

/*
 * CALL through a gate to an inner level n: the new stack from the TSS;
 * on it, at the gate's size, the old SS and ESP, the gate's parameters
 * copied from the old stack, the old CS and EIP (IA-32e: 8-byte SS RSP CS
 * RIP, SS null with RPL n). Written before any register changes.
 */
static void seg_call_inner(CpuX86 *env, SegGate *g, unsigned n, uint64_t next,
                           uintptr_t ra)
{
    bool lma = env->efer & EFER_LMA;
    uint16_t nss;
    uint64_t nsp, ssd = 0, ssaddr = 0;
    seg_tss_stack(env, n, &nss, &nsp, ra);
    uint64_t ss_base = 0;
    uint32_t ss_limit = 0, ss_attr = 0;
    if (!lma) {
        seg_inner_ss(env, nss, n, 0, &ssd, &ssaddr, ra);
        cpu_seg_decode(ssd, &ss_base, &ss_limit, &ss_attr);
    }
    uint64_t words[36];
    unsigned nw = 0, sz = g->size;
    words[nw++] = env->segs[R_SS].selector;
    words[nw++] = env->regs[R_ESP] & seg_mask(seg_sp_size(env));
    uint32_t pmo = seg_stack_memop(env, sz);
    for (unsigned i = g->nparams; i-- > 0;) { /* the last parameter first */
        uint64_t a = seg_sp_lin(env, env->regs[R_ESP] + (uint64_t)i * sz);
        words[nw++] = tlb_ld_slow(env, a, pmo, ra);
    }
    words[nw++] = env->segs[R_CS].selector;
    words[nw++] = next & seg_mask(sz);
    unsigned mo = (sz == 8   ? IR_MO_64
                   : sz == 4 ? IR_MO_32
                             : IR_MO_16) |
                  IR_MO_MMU(cpu_mmu_index_sys(env));
    uint64_t sp = nsp;
    if (lma) {
        if (!cpu_canonical(env, nsp) || !cpu_canonical(env, nsp - 8 * nw)) {
            seg_fault(env, 12, 0, ra);
        }
        for (unsigned i = 0; i < nw; i++) {
            sp -= 8;
            tlb_st_slow(env, sp, words[i], mo, ra);
        }
    } else {
        uint32_t m = (ss_attr & SEG_AR_DB) ? 0xffffffffu : 0xffffu;
        if (!seg_stack_room(ss_limit, ss_attr, (uint32_t)nsp, nw * sz)) {
            seg_fault(env, 12, nss, ra);
        }
        for (unsigned i = 0; i < nw; i++) {
            sp = (sp & ~(uint64_t)m) | ((sp - sz) & m);
            tlb_st_slow(env, (ss_base + (sp & m)) & 0xffffffffu, words[i], mo,
                        ra);
        }
        sp &= 0xffffffffu;
        seg_desc_set_accessed(env, ssaddr, &ssd, ra);
    }
    seg_desc_set_accessed(env, g->csaddr, &g->csd, ra);
    if (lma) {
        cpu_seg_set(env, R_SS, nss, 0, 0,
                    SEG_AR_UNUSABLE | (n << SEG_AR_DPL_SHIFT));
    } else {
        cpu_seg_load_desc(env, R_SS, nss, ssd);
    }
    env->regs[R_ESP] = sp;
    seg_gate_enter(env, g, n, ra);
}

/* CALL through a gate at the same level: CS and EIP at the gate's size */
static void seg_call_same(CpuX86 *env, SegGate *g, uint64_t next, uintptr_t ra)
{
    unsigned sz = g->size;
    uint32_t mo = seg_stack_memop(env, sz);
    uint64_t sp = env->regs[R_ESP], sp1 = sp - sz, sp2 = sp - 2 * sz;
    unsigned idx = cpu_mmu_index(env);
    (void)tlb_probe(env, seg_sp_lin(env, sp1), WALK_WRITE, idx, ra);
    (void)tlb_probe(env, seg_sp_lin(env, sp2), WALK_WRITE, idx, ra);
    tlb_st_slow(env, seg_sp_lin(env, sp1), env->segs[R_CS].selector, mo, ra);
    tlb_st_slow(env, seg_sp_lin(env, sp2), next & seg_mask(sz), mo, ra);
    uint64_t m = seg_mask(seg_sp_size(env));
    env->regs[R_ESP] = (sp & ~m) | (sp2 & m);
    seg_gate_enter(env, g, cpu_cpl(env), ra);
}

/*
 * A far JMP/CALL whose selector names a system descriptor: a TSS or a
 * task gate (helper_task.c; #GP in IA-32e mode), a 16/32-bit call gate
 * (64-bit in IA-32e mode); any other type is #GP(selector).
 */
static void seg_far_system(CpuX86 *env, uint16_t sel, uint64_t desc,
                           uint64_t addr, bool call, uint64_t next,
                           uintptr_t ra)
{
    unsigned type = DESC_TYPE(desc);
    bool lma = env->efer & EFER_LMA;
    if (!lma && (type == 1 || type == 9 || type == 5)) {
        task_far(env, sel, desc, addr, call, next, ra);
        return;
    }
    if (type != 0xc && (lma || type != 4)) {
        seg_fault(env, 13, sel, ra);
    }
    SegGate g;
    seg_gate_read(env, sel, desc, addr, call, &g, ra);
    unsigned cpl = cpu_cpl(env), dpl = desc_dpl(g.csd);
    if (!call) {
        seg_gate_enter(env, &g, cpl, ra);
    } else if (!(g.csd & DESC_CONF) && dpl < cpl) {
        seg_call_inner(env, &g, dpl, next, ra);
    } else {
        seg_call_same(env, &g, next, ra);
    }
}

/* ---- far JMP, CALL, RET ---- */

/* a code-segment far transfer (a system descriptor here is #GP(sel)) */
static void seg_jmp_far(CpuX86 *env, uint32_t sel, uint64_t offset,
                        uint32_t size, uintptr_t ra)
{
    offset &= seg_mask(size);
    if (seg_real(env)) {
        cpu_seg_load_real(env, R_CS, (uint16_t)sel);
    } else {
        uint64_t desc, addr;
        seg_far_fetch(env, (uint16_t)sel, &desc, &addr, ra);
        seg_far_code(env, (uint16_t)sel, desc, addr, offset, ra);
    }
    env->rip = offset;
    cpu_update_hflags(env);
}

/* a far JMP/CALL's system-descriptor target: true if it was one */
static bool seg_far_gate(CpuX86 *env, uint32_t sel, bool call, uint64_t next,
                         uintptr_t ra)
{
    uint64_t desc, addr;
    if (seg_real(env)) {
        return false;
    }
    seg_far_fetch(env, (uint16_t)sel, &desc, &addr, ra);
    if (desc & DESC_S) {
        return false;
    }
    seg_far_system(env, (uint16_t)sel, desc, addr, call, next, ra);
    return true;
}

/* JMP far (next: where the old task resumes after a task switch) */
void helper_jmp_far(CpuX86 *env, uint32_t sel, uint64_t offset, uint64_t next,
                    uint32_t size)
{
    uintptr_t ra = TCG_GETPC();
    if (!seg_far_gate(env, sel, false, next, ra)) {
        seg_jmp_far(env, sel, offset, size, ra);
    }
}

/* CALL far: push CS and the return offset (size bytes each), then jump */
void helper_call_far(CpuX86 *env, uint32_t sel, uint64_t offset, uint64_t next,
                     uint32_t size)
{
    uintptr_t ra = TCG_GETPC();
    if (seg_far_gate(env, sel, true, next, ra)) {
        return;
    }
    uint32_t mo = seg_stack_memop(env, size);
    uint64_t sp = env->regs[R_ESP];
    uint64_t sp1 = sp - size, sp2 = sp - 2 * size;
    /* both pushes translate (and may fault) before anything changes */
    unsigned idx = cpu_mmu_index(env);
    (void)tlb_probe(env, seg_sp_lin(env, sp1), WALK_WRITE, idx, ra);
    (void)tlb_probe(env, seg_sp_lin(env, sp2), WALK_WRITE, idx, ra);
    uint16_t old_cs = env->segs[R_CS].selector;
    seg_jmp_far(env, sel, offset, size, ra); /* faults before the pushes */
    tlb_st_slow(env, seg_sp_lin(env, sp1), old_cs, mo, ra);
    tlb_st_slow(env, seg_sp_lin(env, sp2), next & seg_mask(size), mo, ra);
    uint64_t m = seg_mask(seg_sp_size(env));
    env->regs[R_ESP] = (sp & ~m) | (sp2 & m);
}

/*
 * RET far to an outer level rpl: the CS checks of a return (#GP(sel),
 * #NP(sel)), then SS:ESP popped after the imm bytes and checked at rpl
 * (#GP(0) null, #GP(sel), #SS(sel)), the offset in the limit; then CS,
 * SS, ESP += imm at the new stack's width, inner data segments nulled.
 */
static void seg_ret_outer(CpuX86 *env, uint16_t sel, uint64_t off,
                          uint32_t size, uint32_t imm, uintptr_t ra)
{
    uint32_t mo = seg_stack_memop(env, size);
    uint64_t sp = env->regs[R_ESP];
    unsigned rpl = sel & 3;
    uint64_t csd, csaddr, ssd = 0, ssaddr = 0;
    seg_far_fetch(env, sel, &csd, &csaddr, ra);
    unsigned dpl = desc_dpl(csd);
    if (!(csd & DESC_S) || !(csd & DESC_CODE) ||
        ((csd & DESC_CONF) ? dpl > rpl : dpl != rpl)) {
        seg_fault(env, 13, sel, ra);
    }
    if (!(csd & DESC_P)) {
        seg_fault(env, 11, sel, ra);
    }
    bool lma = env->efer & EFER_LMA;
    if (lma && (csd & DESC_L) && (csd & DESC_DB)) {
        seg_fault(env, 13, sel, ra);
    }
    bool cs64 = lma && (csd & DESC_L);
    uint64_t nsp =
        tlb_ld_slow(env, seg_sp_lin(env, sp + 2 * size + imm), mo, ra);
    uint16_t nss = (uint16_t)tlb_ld_slow(
        env, seg_sp_lin(env, sp + 3 * size + imm), mo, ra);
    if (!(nss & 0xfffc)) {
        if (!cs64 || rpl == 3) {
            seg_fault(env, 13, 0, ra);
        }
    } else {
        if (!seg_desc_fetch(env, nss, &ssd, &ssaddr, ra)) {
            seg_fault(env, 13, nss, ra);
        }
        if ((nss & 3u) != rpl || !(ssd & DESC_S) || (ssd & DESC_CODE) ||
            !(ssd & DESC_RW) || desc_dpl(ssd) != rpl) {
            seg_fault(env, 13, nss, ra);
        }
        if (!(ssd & DESC_P)) {
            seg_fault(env, 12, nss, ra);
        }
    }
    uint64_t base;
    uint32_t limit, attr;
    cpu_seg_decode(csd, &base, &limit, &attr);
    if (cs64 ? !cpu_canonical(env, off) : off > limit) {
        seg_fault(env, 13, 0, ra);
    }
    seg_desc_set_accessed(env, csaddr, &csd, ra);
    if (nss & 0xfffc) {
        seg_desc_set_accessed(env, ssaddr, &ssd, ra);
        cpu_seg_load_desc(env, R_SS, nss, ssd);
    } else {
        cpu_seg_set(env, R_SS, nss, 0, 0,
                    SEG_AR_UNUSABLE | (rpl << SEG_AR_DPL_SHIFT));
    }
    cpu_seg_load_desc(env, R_CS, sel, csd);
    env->rip = off;
    cpu_update_hflags(env);
    uint64_t m = seg_mask(seg_sp_size(env));
    nsp &= seg_mask(size);
    env->regs[R_ESP] = (nsp & ~m) | ((nsp + imm) & m);
    int_null_inner_segs(env, rpl);
    cpu_update_hflags(env);
}

/* RET far (imm16 more bytes released), to the same or an outer level */
void helper_ret_far(CpuX86 *env, uint32_t size, uint32_t imm)
{
    uintptr_t ra = TCG_GETPC();
    uint32_t mo = seg_stack_memop(env, size);
    uint64_t sp = env->regs[R_ESP];
    uint64_t off = tlb_ld_slow(env, seg_sp_lin(env, sp), mo, ra);
    uint16_t sel =
        (uint16_t)tlb_ld_slow(env, seg_sp_lin(env, sp + size), mo, ra);
    if (!seg_real(env)) {
        if (!(sel & 0xfffc)) {
            seg_fault(env, 13, 0, ra);
        }
        if ((sel & 3) < cpu_cpl(env)) {
            seg_fault(env, 13, sel, ra);
        }
        if ((sel & 3) > cpu_cpl(env)) {
            seg_ret_outer(env, sel, off & seg_mask(size), size, imm, ra);
            return;
        }
    }
    unsigned sp_size = seg_sp_size(env);
    seg_jmp_far(env, sel, off, size, ra);
    uint64_t m = seg_mask(sp_size);
    env->regs[R_ESP] = (sp & ~m) | ((sp + 2 * size + imm) & m);
}

/* ---- LAR, LSL, VERR, VERW, ARPL (SDM vol. 2; ZF is the result) ---- */

static void seg_set_zf(CpuX86 *env, bool zf)
{
    cpu_load_eflags(env, zf ? CC_Z : 0, CC_Z);
}

/*
 * May LAR (lsl false) or LSL read the descriptor of sel? Code and data:
 * conforming code always, else DPL >= CPL and RPL; system descriptors of
 * the types each takes (fewer in IA-32e mode), with the same DPL rule.
 */
static bool seg_lar_ok(CpuX86 *env, uint16_t sel, bool lsl, uint64_t *desc,
                       uintptr_t ra)
{
    uint64_t addr;
    if (!(sel & 0xfffc) || !seg_desc_fetch(env, sel, desc, &addr, ra)) {
        return false;
    }
    uint64_t d = *desc;
    unsigned dpl = desc_dpl(d), type = DESC_TYPE(d);
    if (d & DESC_S) {
        if ((d & DESC_CODE) && (d & DESC_CONF)) {
            return true;
        }
    } else {
        /* bit t of the mask: type t is taken (SDM LAR and LSL tables;
         * Intel's LAR takes no LDT in IA-32e mode, AMD's does) */
        unsigned legacy = lsl ? 0x0a0e : 0x1a3e, ia32e = lsl ? 0x0a04 : 0x1a00;
        if (!(((env->efer & EFER_LMA) ? ia32e : legacy) >> type & 1)) {
            return false;
        }
    }
    return dpl >= cpu_cpl(env) && dpl >= (sel & 3u);
}

/* op: bit 0 LSL (else LAR), bits 8-11 the destination GPR, 16+ the size */
void helper_lar_lsl(CpuX86 *env, uint32_t sel, uint32_t op)
{
    uint64_t d;
    bool lsl = op & 1;
    unsigned reg = (op >> 8) & 0xf, size = op >> 16;
    bool ok = seg_lar_ok(env, (uint16_t)sel, lsl, &d, TCG_GETPC());
    if (ok) {
        uint64_t base;
        uint32_t limit, attr, v;
        cpu_seg_decode(d, &base, &limit, &attr);
        v = lsl ? limit : (uint32_t)(d >> 32) & 0x00f0ff00u;
        env->regs[reg] =
            size == 2 ? (env->regs[reg] & ~0xffffull) | (v & 0xffff) : v;
    }
    seg_set_zf(env, ok);
}

/* VERR (write 0) / VERW: readable (writable) at CPL and RPL? */
void helper_verr_verw(CpuX86 *env, uint32_t sel, uint32_t write)
{
    uint64_t d, addr;
    bool ok = (sel & 0xfffc) &&
              seg_desc_fetch(env, (uint16_t)sel, &d, &addr, TCG_GETPC()) &&
              (d & DESC_S);
    if (ok) {
        bool code = d & DESC_CODE;
        unsigned dpl = desc_dpl(d);
        if (write) {
            ok = !code && (d & DESC_RW);
        } else {
            ok = !code || (d & DESC_RW);
        }
        if (ok && !(code && (d & DESC_CONF))) {
            ok = dpl >= cpu_cpl(env) && dpl >= (sel & 3u);
        }
    }
    seg_set_zf(env, ok);
}

/* ARPL dst, src: dst.RPL := src.RPL if lower (ZF 1); the new dst */
uint64_t helper_arpl(CpuX86 *env, uint64_t dst, uint64_t src)
{
    bool adj = (dst & 3) < (src & 3);
    seg_set_zf(env, adj);
    return adj ? (dst & ~3ull) | (src & 3) : dst;
}

/* ---- SYSCALL, SYSRET, SWAPGS (64-bit mode; SDM vol. 2) ---- */

#define MSR_STAR_SYSCALL_CS(star) ((uint16_t)((star) >> 32) & 0xfffc)
#define MSR_STAR_SYSRET_CS(star) ((uint16_t)((star) >> 48))
#define SEG_CODE64 (SEG_AR_P | SEG_AR_S | 0xbu | SEG_AR_L | SEG_AR_G)
#define SEG_CODE32 (SEG_AR_P | SEG_AR_S | 0xbu | SEG_AR_DB | SEG_AR_G)
#define SEG_DATA (SEG_AR_P | SEG_AR_S | 0x3u | SEG_AR_DB | SEG_AR_G)

/* SYSCALL: #UD without EFER.SCE; CS/SS from STAR, flat, CPL 0 */
void helper_syscall(CpuX86 *env, uint64_t next)
{
    if (!(env->efer & EFER_SCE)) {
        helper_raise_ra(env, 6, 0, TCG_GETPC());
    }
    if (!(env->efer & EFER_LMA)) { /* AMD only: #UD on Intel */
        helper_syscall_legacy(env, next);
        return;
    }
    uint64_t star = env->msr.star;
    uint16_t cs = MSR_STAR_SYSCALL_CS(star);
    uint64_t fl = cpu_compute_eflags(env);
    /* before CS changes: compatibility mode enters through CSTAR (AMD) */
    uint64_t target = (env->hflags & HF_CS64) ? env->msr.lstar : env->msr.cstar;
    env->regs[R_ECX] = next;
    env->regs[11] = fl & ~(uint64_t)EFL_RF;
    /* hflags once, by cpu_load_eflags; the new CS is 64-bit code, so
     * HF_CS64 follows from EFER.LMA */
    cpu_seg_cache(env, R_CS, cs, 0, 0xffffffff, SEG_CODE64);
    cpu_seg_cache(env, R_SS, (uint16_t)(cs + 8), 0, 0xffffffff, SEG_DATA);
    env->rip = target;
    cpu_load_eflags(env, fl & ~(env->msr.sfmask | EFL_RF), ~0ull);
}

/* SYSRET (size 8: to 64-bit code, 4: to compatibility mode) to CPL 3 */
void helper_sysret(CpuX86 *env, uint32_t size)
{
    uintptr_t ra = TCG_GETPC();
    if (!(env->efer & EFER_SCE)) {
        helper_raise_ra(env, 6, 0, ra);
    }
    if (!(env->efer & EFER_LMA)) { /* AMD only: #UD on Intel */
        helper_sysret_legacy(env, ra);
        return;
    }
    if (cpu_cpl(env)) {
        helper_raise_ra(env, 13, 0, ra);
    }
    uint64_t rip = size == 8 ? env->regs[R_ECX] : (uint32_t)env->regs[R_ECX];
    if (!cpu_canonical(env, rip) && !cpu_vendor_amd(env)) {
        helper_raise_ra(env, 13, 0, ra); /* Intel: #GP(0) at CPL 0; AMD */
    } /* loads it and faults on the fetch, at CPL 3 */
    uint16_t base = MSR_STAR_SYSRET_CS(env->msr.star);
    uint32_t dpl3 = 3u << SEG_AR_DPL_SHIFT;
    if (size == 8) { /* hflags once, by cpu_load_eflags */
        cpu_seg_cache(env, R_CS, (uint16_t)((base + 16) | 3), 0, 0xffffffff,
                      SEG_CODE64 | dpl3);
    } else {
        cpu_seg_cache(env, R_CS, (uint16_t)(base | 3), 0, 0xffffffff,
                      SEG_CODE32 | dpl3);
    }
    cpu_seg_cache(env, R_SS, (uint16_t)((base + 8) | 3), 0, 0xffffffff,
                  SEG_DATA | dpl3);
    env->rip = rip;
    cpu_load_eflags(env, (env->regs[11] & 0x3c7fd7) | 2, ~0ull);
}

void helper_swapgs(CpuX86 *env)
{
    uint64_t t = env->segs[R_GS].base;
    env->segs[R_GS].base = env->msr.kernel_gs_base;
    env->msr.kernel_gs_base = t;
}

/* ---- LLDT, LTR (system descriptors, 16 bytes in IA-32e mode) ---- */

/*
 * Load LDTR (ltr false) or TR from the GDT: type 2 (LDT), or 9 (an
 * available 32/64-bit TSS, marked busy in memory); TI must be 0.
 */
void helper_load_sys_seg(CpuX86 *env, uint32_t sel32, uint32_t ltr)
{
    uintptr_t ra = TCG_GETPC();
    uint16_t sel = (uint16_t)sel32;
    SegCache *dst = ltr ? &env->tr : &env->ldt;
    if (!(sel & 0xfffc)) {
        if (ltr) {
            seg_fault(env, 13, 0, ra);
        }
        dst->selector = sel;
        dst->base = 0;
        dst->limit = 0;
        dst->attr = SEG_AR_UNUSABLE;
        return;
    }
    uint64_t desc, addr;
    if ((sel & 4) || !seg_desc_fetch(env, sel, &desc, &addr, ra)) {
        seg_fault(env, 13, sel, ra);
    }
    unsigned type = (desc >> 40) & 0xf;
    bool ok = ltr ? type == 9 || type == 1 : type == 2;
    if ((desc & DESC_S) || !ok) {
        seg_fault(env, 13, sel, ra);
    }
    if (!(desc & DESC_P)) {
        seg_fault(env, 11, sel, ra);
    }
    uint64_t base;
    uint32_t limit, attr;
    cpu_seg_decode(desc, &base, &limit, &attr);
    if (env->efer & EFER_LMA) { /* the high half: base 63:32 */
        if ((sel & ~7u) + 15 > env->gdt.limit) {
            seg_fault(env, 13, sel, ra);
        }
        uint64_t hi = tlb_ld_slow(
            env, addr + 8, IR_MO_64 | IR_MO_MMU(cpu_mmu_index_sys(env)), ra);
        if ((hi >> 40) & 0x1f) {
            seg_fault(env, 13, sel, ra); /* type field of the high half */
        }
        base |= hi << 32;
    }
    if (ltr) { /* busy */
        desc |= 2ull << 40;
        tlb_st_slow(env, addr + 5, (desc >> 40) & 0xff,
                    IR_MO_8 | IR_MO_MMU(cpu_mmu_index_sys(env)), ra);
        attr |= 2;
    }
    dst->selector = sel;
    dst->base = base;
    dst->limit = limit;
    dst->attr = attr;
}

/* ---- SYSENTER, SYSEXIT ---- */

/* SYSENTER: CS/SS from SYSENTER_CS (64-bit code in IA-32e mode), CPL 0 */
void helper_sysenter(CpuX86 *env)
{
    uint16_t cs = (uint16_t)env->msr.sysenter_cs & 0xfffc;
    if (cpu_vendor_amd(env) && (env->efer & EFER_LMA)) {
        helper_raise_ra(env, 6, 0, TCG_GETPC()); /* AMD: #UD in long mode */
    }
    if (!(env->hflags & HF_PE) || !cs) {
        helper_raise_ra(env, 13, 0, TCG_GETPC());
    }
    bool lma = env->efer & EFER_LMA;
    cpu_seg_set(env, R_CS, cs, 0, 0xffffffff, lma ? SEG_CODE64 : SEG_CODE32);
    cpu_seg_set(env, R_SS, (uint16_t)(cs + 8), 0, 0xffffffff, SEG_DATA);
    env->rip = lma ? env->msr.sysenter_eip : (uint32_t)env->msr.sysenter_eip;
    env->regs[R_ESP] =
        lma ? env->msr.sysenter_esp : (uint32_t)env->msr.sysenter_esp;
    env->eflags &= ~(uint32_t)(EFL_VM | EFL_IF | EFL_RF);
    cpu_update_hflags(env);
}

/* SYSEXIT (size 8: to 64-bit code) to CPL 3: RIP = rDX, RSP = rCX */
void helper_sysexit(CpuX86 *env, uint32_t size)
{
    uint16_t base = (uint16_t)env->msr.sysenter_cs & 0xfffc;
    if (cpu_vendor_amd(env) && (env->efer & EFER_LMA)) {
        helper_raise_ra(env, 6, 0, TCG_GETPC()); /* AMD: #UD in long mode */
    }
    if (!(env->hflags & HF_PE) || cpu_cpl(env) || !base) {
        helper_raise_ra(env, 13, 0, TCG_GETPC());
    }
    uint32_t dpl3 = 3u << SEG_AR_DPL_SHIFT;
    bool w = size == 8;
    cpu_seg_set(env, R_CS, (uint16_t)((base + (w ? 32 : 16)) | 3), 0,
                0xffffffff, (w ? SEG_CODE64 : SEG_CODE32) | dpl3);
    cpu_seg_set(env, R_SS, (uint16_t)((base + (w ? 40 : 24)) | 3), 0,
                0xffffffff, SEG_DATA | dpl3);
    env->rip = w ? env->regs[R_EDX] : (uint32_t)env->regs[R_EDX];
    env->regs[R_ESP] = w ? env->regs[R_ECX] : (uint32_t)env->regs[R_ECX];
    cpu_update_hflags(env);
}
