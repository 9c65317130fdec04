/*
 * CpuX86 state: the RESET state (SDM vol. 3A table 9-1), RFLAGS through
 * the lazy flags and back, hflags for real, protected, V86 and long mode,
 * segment-cache loads, the MMU index choice and the -d cpu dump.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"

static CpuX86 *env;

static void setup(void)
{
    env = cpu_x86_new(NULL);
}

static void teardown(void)
{
    cpu_x86_free(env);
}

TestSuite(cpu, .init = setup, .fini = teardown, .timeout = 60);

/* flat 4 GiB descriptors: code (L or D), data; DPL in bits 45-46 */
#define DESC_CODE32 0x00cf9b000000ffffull
#define DESC_CODE64 0x00af9b000000ffffull
#define DESC_DATA32 0x00cf93000000ffffull
#define DESC_DPL3 (3ull << 45)

Test(cpu, reset_state)
{
    cr_assert_eq(env->rip, 0xfff0);
    cr_assert_eq(env->segs[R_CS].selector, 0xf000);
    cr_assert_eq(env->segs[R_CS].base, 0xffff0000);
    cr_assert_eq(env->segs[R_CS].limit, 0xffff);
    cr_assert_eq(env->segs[R_DS].attr, SEG_AR_P | SEG_AR_S | 3);
    cr_assert_eq(env->regs[R_EDX], CPU_X86_SIGNATURE_DEFAULT);
    cr_assert_eq(env->regs[R_EAX], 0);
    cr_assert_eq(env->cr[0], 0x60000010);
    cr_assert_eq(cpu_compute_eflags(env), 0x2);
    cr_assert_eq(env->dr[6], 0xffff0ff0);
    cr_assert_eq(env->dr[7], 0x400);
    cr_assert_eq(env->idt.limit, 0xffff);
    cr_assert_eq(env->msr.pat, 0x0007040600070406ull);
    cr_assert_eq(env->df, 1);
    cr_assert_eq(env->exception_index, -1);
    cr_assert_eq(env->hflags & (HF_PE | HF_CS32 | HF_CPL_MASK), 0);
    cr_assert_eq(cpu_mmu_index(env), MMU_IDX_KERNEL);
}

Test(cpu, reset_after_changes_uses_signature)
{
    env->cpuid_signature = 0x000306a9;
    env->regs[R_EBX] = 5;
    env->rip = 0x1234;
    cpu_load_eflags(env, EFL_DF | CC_C, EFL_DF | CC_C);
    cpu_x86_reset(env);
    cr_assert_eq(env->regs[R_EDX], 0x000306a9);
    cr_assert_eq(env->regs[R_EBX], 0);
    cr_assert_eq(env->rip, 0xfff0);
    cr_assert_eq(cpu_compute_eflags(env), 0x2);
}

Test(cpu, eflags_round_trip)
{
    uint64_t v = CC_C | CC_Z | CC_O | EFL_DF | EFL_IF | EFL_AC | EFL_ID |
                 (2u << EFL_IOPL_SHIFT);
    cpu_load_eflags(env, v, ~0ull);
    cr_assert_eq(cpu_compute_eflags(env), v | 0x2);
    cr_assert_eq(env->df, -1);
    cr_assert_eq(env->cc_op, CC_OP_EFLAGS);
    cr_assert_eq((env->hflags & HF_IOPL_MASK) >> HF_IOPL_SHIFT, 2);
    cr_assert(env->hflags & HF_AC);
    /* reserved bits stay 0, bit 1 stays 1 */
    cpu_load_eflags(env, 0xffffffff00c08028ull, ~0ull);
    cr_assert_eq(cpu_compute_eflags(env), 0x2);
}

Test(cpu, eflags_mask_keeps_other_bits)
{
    /* lazy state: ADD of 0xff + 1 in 8 bits -> CF ZF AF PF */
    env->cc_op = CC_OP_ADDB;
    env->cc_dst = 0;
    env->cc_src = 1;
    cpu_load_eflags(env, EFL_IF, EFL_IF);
    cr_assert_eq(cpu_compute_eflags(env),
                 0x2 | EFL_IF | CC_C | CC_Z | CC_A | CC_P);
    cpu_load_eflags(env, 0, CC_Z);
    cr_assert_eq(cpu_compute_eflags(env), 0x2 | EFL_IF | CC_C | CC_A | CC_P);
}

Test(cpu, protected_mode_hflags)
{
    env->cr[0] |= CR0_PE;
    cpu_seg_load_desc(env, R_CS, 0x08, DESC_CODE32);
    cpu_seg_load_desc(env, R_SS, 0x10, DESC_DATA32);
    cpu_seg_load_desc(env, R_DS, 0x10, DESC_DATA32);
    cpu_seg_load_desc(env, R_ES, 0x10, DESC_DATA32);
    cr_assert_eq(env->segs[R_CS].limit, 0xffffffff);
    cr_assert_eq(env->segs[R_CS].base, 0);
    uint32_t hf = env->hflags;
    cr_assert(hf & HF_PE);
    cr_assert(hf & HF_CS32);
    cr_assert(hf & HF_SS32);
    cr_assert_eq(hf & HF_ADDSEG, 0);
    cr_assert_eq(hf & HF_CPL_MASK, 0);
    /* CPL follows SS.DPL */
    cpu_seg_load_desc(env, R_CS, 0x1b, DESC_CODE32 | DESC_DPL3);
    cpu_seg_load_desc(env, R_SS, 0x23, DESC_DATA32 | DESC_DPL3);
    cr_assert_eq(cpu_cpl(env), 3);
    cr_assert_eq(cpu_mmu_index(env), MMU_IDX_USER);
}

Test(cpu, long_mode_and_smap_index)
{
    env->cr[0] |= CR0_PE | CR0_PG;
    env->cr[4] |= CR4_PAE | CR4_SMAP;
    env->efer = EFER_LME | EFER_LMA;
    cpu_seg_load_desc(env, R_CS, 0x08, DESC_CODE64);
    cpu_seg_load_desc(env, R_SS, 0x10, DESC_DATA32);
    cr_assert(env->hflags & HF_CS64);
    cr_assert(env->hflags & HF_LMA);
    cr_assert(env->hflags & HF_SMAP);
    cr_assert_eq(cpu_mmu_index(env), MMU_IDX_KERNEL);
    cpu_load_eflags(env, EFL_AC, EFL_AC);
    cr_assert_eq(cpu_mmu_index(env), MMU_IDX_KNOSMAP);
    env->hflags |= HF_VMX_GUEST;
    cr_assert_eq(cpu_mmu_index(env), MMU_IDX_NESTED + MMU_IDX_KNOSMAP);
}

Test(cpu, real_mode_load_keeps_limit)
{
    cpu_seg_set(env, R_DS, 0, 0, 0xffffffff, SEG_AR_P | SEG_AR_S | 3);
    cpu_seg_load_real(env, R_DS, 0x1234);
    cr_assert_eq(env->segs[R_DS].base, 0x12340);
    cr_assert_eq(env->segs[R_DS].selector, 0x1234);
    cr_assert_eq(env->segs[R_DS].limit, 0xffffffff); /* unreal mode */
    cr_assert(env->hflags & HF_ADDSEG);
}

Test(cpu, v86_mode)
{
    env->cr[0] |= CR0_PE;
    cpu_load_eflags(env, EFL_VM, EFL_VM);
    cr_assert(env->hflags & HF_VM);
    cr_assert_eq(cpu_cpl(env), 3);
    cpu_seg_load_real(env, R_ES, 0xb800);
    cr_assert_eq(env->segs[R_ES].base, 0xb8000);
    cr_assert_eq(env->segs[R_ES].limit, 0xffff);
    cr_assert_eq((env->segs[R_ES].attr >> SEG_AR_DPL_SHIFT) & 3, 3);
}

Test(cpu, seg_decode_fields)
{
    uint64_t base;
    uint32_t limit, attr;
    /* base 0x12345678, limit 0xabcde bytes, present DPL 2 data, D, no G */
    uint64_t d = (0x12ull << 56) | (0x4ull << 52) | (0xaull << 48) |
                 (0xd3ull << 40) | (0x34ull << 32) | (0x5678ull << 16) | 0xbcde;
    cpu_seg_decode(d, &base, &limit, &attr);
    cr_assert_eq(base, 0x12345678);
    cr_assert_eq(limit, 0xabcde);
    cr_assert_eq(attr, SEG_AR_DB | 0xd3);
    cpu_seg_decode(d | (0x8ull << 52), &base, &limit, &attr);
    cr_assert_eq(limit, 0xabcdefff);
}

Test(cpu, dump_state_layout)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    env->regs[R_EAX] = 0xdeadbeef;
    cpu_dump_state(env, f);
    fclose(f);
    cr_assert(strstr(buf, "EAX=deadbeef") != NULL, "%s", buf);
    cr_assert(strstr(buf, "EIP=0000fff0 RFL=00000002") != NULL, "%s", buf);
    cr_assert(strstr(buf, "CS =f000 ffff0000 0000ffff 0000009b") != NULL, "%s",
              buf);
    cr_assert(strstr(buf, "CR0=60000010") != NULL, "%s", buf);
    cr_assert(strstr(buf, "CCO=EFLAGS") != NULL, "%s", buf);
    free(buf);
}

Test(cpu, tlb_fast_wired)
{
    for (unsigned i = 0; i < MMU_IDX_COUNT; i++) {
        cr_assert_not_null(env->tlb_fast[i].table);
        cr_assert_eq(env->tlb_fast[i].mask,
                     (TLB_ENTRIES_DEFAULT - 1) * sizeof(TlbEntry));
        cr_assert_eq(env->tlb_fast[i].table[0].addr_read, TLB_INVALID_TAG);
    }
}
