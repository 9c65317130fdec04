/*
 * Segmentation in protected and long mode (SDM vol. 3 ch. 3 and 5, vol. 2
 * MOV, POP, LDS, JMP, CALL, RET): descriptor fetches from the GDT and LDT
 * with the accessed bit, the checks of a data or stack segment load, and
 * far JMP/CALL/RET to a code segment at the same privilege level. Faults
 * carry the SDM's error codes (#GP/#NP/#SS with the selector). Gates, task
 * switches and privilege changes come with the rest of the system CPU:
 * they are logged under -d unimp and raise #GP(selector).
 */
#include "cpu/translate_int.h"

#include "util/log.h"

#define DESC_S BIT(44)    /* code or data (not system) */
#define DESC_CODE BIT(43) /* type bit 3 */
#define DESC_CONF BIT(42) /* code: conforming; data: expand-down */
#define DESC_RW BIT(41)   /* code: readable; data: writable */
#define DESC_A BIT(40)    /* accessed */
#define DESC_P BIT(47)
#define DESC_L BIT(53)
#define DESC_DB BIT(54)

static unsigned desc_dpl(uint64_t d)
{
    return (d >> 45) & 3;
}

/* the descriptor of sel (GDT or LDT); false if beyond the table's limit */
static bool seg_fetch(CpuX86 *env, uint16_t sel, uint64_t *desc, uint64_t *addr,
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
static void seg_set_accessed(CpuX86 *env, uint64_t addr, uint64_t *desc,
                             uintptr_t ra)
{
    if (!(*desc & DESC_A)) {
        *desc |= DESC_A;
        tlb_st_slow(env, addr + 5, (*desc >> 40) & 0xff,
                    IR_MO_8 | IR_MO_MMU(cpu_mmu_index_sys(env)), ra);
    }
}

static NORETURN void seg_fault(CpuX86 *env, unsigned vector, uint16_t sel,
                               uintptr_t ra)
{
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
    if (!seg_fetch(env, sel, &desc, &addr, ra) || !(desc & DESC_S)) {
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
    seg_set_accessed(env, addr, &desc, ra);
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
    seg_set_accessed(env, addr, &desc, ra);
    cpu_seg_load_desc(env, R_CS, sel, desc);
}

/*
 * The code segment of a far JMP/CALL: same-privilege targets only. On
 * return CS is loaded (RPL := CPL) and offset checked against its limit.
 */
static void seg_far_cs(CpuX86 *env, uint16_t sel, uint64_t offset, uintptr_t ra)
{
    unsigned cpl = cpu_cpl(env), rpl = sel & 3;
    uint64_t desc, addr;
    if (!(sel & 0xfffc)) {
        seg_fault(env, 13, 0, ra);
    }
    if (!seg_fetch(env, sel, &desc, &addr, ra)) {
        seg_fault(env, 13, sel, ra);
    }
    if (!(desc & DESC_S)) {
        log_unimp_once("seg",
                       "far transfer through a gate or TSS "
                       "(selector 0x%x): raising #GP",
                       sel);
        seg_fault(env, 13, sel, ra);
    }
    unsigned dpl = desc_dpl(desc);
    if (!(desc & DESC_CODE) ||
        ((desc & DESC_CONF) ? dpl > cpl : (rpl > cpl || dpl != cpl))) {
        seg_fault(env, 13, sel, ra);
    }
    seg_load_cs_checked(env, (uint16_t)((sel & ~3u) | cpl), desc, addr, offset,
                        ra);
}

/* IRET's CS: code; non-conforming DPL == RPL, conforming DPL <= RPL;
 * loaded with its RPL (the level returned to) */
void seg_load_cs_iret(CpuX86 *env, uint16_t sel, uint64_t offset, uintptr_t ra)
{
    unsigned rpl = sel & 3;
    uint64_t desc, addr;
    if (!seg_fetch(env, sel, &desc, &addr, ra) || !(desc & DESC_S) ||
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

static void seg_jmp_far(CpuX86 *env, uint32_t sel, uint64_t offset,
                        uint32_t size, uintptr_t ra)
{
    offset &= seg_mask(size);
    if (seg_real(env)) {
        cpu_seg_load_real(env, R_CS, (uint16_t)sel);
    } else {
        seg_far_cs(env, (uint16_t)sel, offset, ra);
    }
    env->rip = offset;
    cpu_update_hflags(env);
}

void helper_jmp_far(CpuX86 *env, uint32_t sel, uint64_t offset, uint32_t size)
{
    seg_jmp_far(env, sel, offset, size, TCG_GETPC());
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

/* CALL far: push CS and the return offset (size bytes each), then jump */
void helper_call_far(CpuX86 *env, uint32_t sel, uint64_t offset, uint64_t next,
                     uint32_t size)
{
    uintptr_t ra = TCG_GETPC();
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

/* RET far (imm16 more bytes released): same privilege only */
void helper_ret_far(CpuX86 *env, uint32_t size, uint32_t imm)
{
    uintptr_t ra = TCG_GETPC();
    uint32_t mo = seg_stack_memop(env, size);
    uint64_t sp = env->regs[R_ESP];
    uint64_t off = tlb_ld_slow(env, seg_sp_lin(env, sp), mo, ra);
    uint16_t sel =
        (uint16_t)tlb_ld_slow(env, seg_sp_lin(env, sp + size), mo, ra);
    if (!seg_real(env) && (sel & 3) > cpu_cpl(env)) {
        log_unimp_once("seg", "far return to an outer privilege level: "
                              "raising #GP");
        seg_fault(env, 13, sel, ra);
    }
    unsigned sp_size = seg_sp_size(env);
    seg_jmp_far(env, sel, off, size, ra);
    uint64_t m = seg_mask(sp_size);
    env->regs[R_ESP] = (sp & ~m) | ((sp + 2 * size + imm) & m);
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
    cpu_seg_set(env, R_CS, cs, 0, 0xffffffff, SEG_CODE64);
    cpu_seg_set(env, R_SS, (uint16_t)(cs + 8), 0, 0xffffffff, SEG_DATA);
    env->rip = target;
    cpu_load_eflags(env, fl & ~(env->msr.sfmask | EFL_RF), ~0ull);
    cpu_update_hflags(env);
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
    if (size == 8) {
        cpu_seg_set(env, R_CS, (uint16_t)((base + 16) | 3), 0, 0xffffffff,
                    SEG_CODE64 | dpl3);
    } else {
        cpu_seg_set(env, R_CS, (uint16_t)(base | 3), 0, 0xffffffff,
                    SEG_CODE32 | dpl3);
    }
    cpu_seg_set(env, R_SS, (uint16_t)((base + 8) | 3), 0, 0xffffffff,
                SEG_DATA | dpl3);
    env->rip = rip;
    cpu_load_eflags(env, (env->regs[11] & 0x3c7fd7) | 2, ~0ull);
    cpu_update_hflags(env);
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
    if ((sel & 4) || !seg_fetch(env, sel, &desc, &addr, ra)) {
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
