/*
 * Helpers that generated x86 code calls: raising exceptions, POPF and
 * POP FS/GS (the SDM's privilege rules for RFLAGS and selectors). A fault
 * records the vector and error code in env and unwinds to tcg_exec with
 * the state of the faulting instruction restored from the insn_start side
 * table; a trap (INT3) leaves RIP after the instruction. Delivery through
 * the IDT comes later: cpu_exec() returns the exception to its caller.
 */
#include "cpu/translate_int.h"

#include "cpu/exec.h"
#include "util/log.h"

static bool helper_has_error_code(uint32_t vector)
{
    switch (vector) {
    case 8:
    case 10:
    case 11:
    case 12:
    case 13:
    case 14:
    case 17:
    case 21:
        return true;
    default:
        return false;
    }
}

void helper_raise_exception(CpuX86 *env, uint32_t vector, uint32_t error)
{
    env->exception_index = (int32_t)vector;
    env->error_code = error;
    env->has_error_code = helper_has_error_code(vector);
    tcg_exit_to_dispatcher(TCG_GETPC());
}

void helper_raise_trap(CpuX86 *env, uint32_t vector)
{
    env->exception_index = (int32_t)vector;
    env->error_code = 0;
    env->has_error_code = false;
    tcg_exit_to_dispatcher(0);
}

/* DR6.BS: the debug exception came from single-stepping (SDM 17.2.3) */
#define DR6_BS BIT(14)

void helper_single_step(CpuX86 *env)
{
    env->dr[6] |= DR6_BS;
    helper_raise_trap(env, 1);
}

/* ---- POPF and POP Sreg (translate_stack.c) ---- */

NORETURN void helper_raise_ra(CpuX86 *env, uint32_t vector, uint32_t error,
                              uintptr_t ra)
{
    env->exception_index = (int32_t)vector;
    env->error_code = error;
    env->has_error_code = helper_has_error_code(vector);
    tcg_exit_to_dispatcher(ra);
}

/*
 * The RFLAGS bits POPF may change (SDM vol. 2 POPF, protected/64-bit and
 * real mode; V86 only with IOPL 3, no VME): IOPL at CPL 0 only, IF when
 * CPL <= IOPL (always in V86 with IOPL 3; with IOPL < 3 the translator
 * raises #GP first); VIP, VIF, VM never; RF is cleared by the 32/64-bit
 * forms. The 16-bit form touches bits 15:0 only.
 */
static uint64_t helper_popf_mask(const CpuX86 *env, uint32_t size)
{
    uint64_t m = CC_ALL | EFL_TF | EFL_DF | EFL_NT | EFL_AC | EFL_ID;
    unsigned iopl = (env->eflags & EFL_IOPL) >> EFL_IOPL_SHIFT;
    unsigned cpl = cpu_cpl(env);
    if (env->eflags & EFL_VM) {
        m |= EFL_IF;
    } else {
        m |= cpl == 0 ? EFL_IOPL : 0;
        m |= cpl <= iopl ? EFL_IF : 0;
    }
    return size == 2 ? m & 0xffff : m | EFL_RF;
}

/*
 * POPF with the popped image v. Returns nonzero when the block must end
 * for the dispatcher: hflags changed (TF, AC, IOPL) or IF went 0 -> 1.
 */
uint64_t helper_popf(CpuX86 *env, uint64_t v, uint32_t size)
{
    uint32_t old_hf = env->hflags, old_if = env->eflags & EFL_IF;
    if (size != 2) {
        v &= ~(uint64_t)EFL_RF;
    }
    cpu_load_eflags(env, v, helper_popf_mask(env, size));
    return env->hflags != old_hf || (!old_if && (env->eflags & EFL_IF));
}

/*
 * POP FS/GS (and the other data segments outside 64-bit mode): a null
 * selector (and any selector in real or V86 mode) loads; other selectors
 * need a descriptor-table load, which comes with the system CPU: #GP.
 */
void helper_pop_seg(CpuX86 *env, uint32_t seg, uint32_t sel)
{
    uintptr_t ra = TCG_GETPC();
    uint32_t hf = env->hflags;
    if (!(hf & HF_PE) || (hf & HF_VM)) {
        cpu_seg_load_real(env, (int)seg, (uint16_t)sel);
    } else {
        seg_load_pm(env, seg, (uint16_t)sel, ra);
    }
    if (seg == R_SS) { /* the next instruction runs in the shadow */
        env->hflags |= HF_INHIBIT_IRQ;
    }
    cpu_update_hflags(env);
}

void helper_end_inhibit(CpuX86 *env)
{
    env->hflags &= ~(uint32_t)HF_INHIBIT_IRQ;
    cpu_event_mask_sync(env);
}

/* ---- INT n (translate_sys.c) ---- */

/* the IDT gate of vector n (64-bit: the low 8 of 16 bytes); 0: none */
static uint64_t helper_idt_gate(CpuX86 *env, uint32_t n, uintptr_t ra)
{
    unsigned esz = (env->hflags & HF_LMA) ? 16 : 8;
    if ((uint64_t)n * esz + esz - 1 > env->idt.limit) {
        return 0;
    }
    unsigned mmu = cpu_mmu_index_sys(env);
    return tlb_ld_slow(env, env->idt.base + (uint64_t)n * esz,
                       IR_MO_64 | IR_MO_MMU(mmu), ra);
}

static bool helper_gate_type_ok(const CpuX86 *env, unsigned type)
{
    if (env->hflags & HF_LMA) {
        return type == 0xe || type == 0xf;
    }
    return type == 5 || type == 6 || type == 7 || type == 0xe || type == 0xf;
}

/*
 * INT n (SDM vol. 2 INT n, vol. 3A 6.12.1.1): in protected mode the gate
 * must exist, be an interrupt/trap (or task) gate and have DPL >= CPL,
 * else #GP(n * 8 + 2); not present: #NP(n * 8 + 2). Then, until IDT
 * delivery exists, vector n is reported as a trap with RIP = next.
 */
void helper_int(CpuX86 *env, uint32_t n, uint64_t next)
{
    uintptr_t ra = TCG_GETPC();
    uint32_t err = (n << 3) | 2;
    if ((env->hflags & HF_PE) && !(env->hflags & HF_VM)) {
        uint64_t g = helper_idt_gate(env, n, ra);
        unsigned type = (g >> 40) & 0xf, dpl = (g >> 45) & 3;
        if (!helper_gate_type_ok(env, type) || dpl < cpu_cpl(env)) {
            helper_raise_ra(env, 13, err, ra);
        }
        if (!(g & BIT(47))) {
            helper_raise_ra(env, 11, err, ra);
        }
    }
    env->rip = next;
    env->exception_soft = true;
    helper_raise_trap(env, n);
}
