/*
 * Translated code runs only under the mapping it was translated for: code
 * on one virtual page jumps to another (VB), the test maps VB to other
 * physical memory and flushes the TLB as MOV CR3 (or INVLPG) would, and the
 * next run must execute the new code, on both backends. The target pages
 * hold `mov eax, imm32; int3`, so EAX tells which copy ran.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tiny_machine.h"

#define VB 0x20000ull /* the virtual page that is remapped */
#define P1 0x30000ull /* its first physical page */
#define P2 0x31000ull /* and the second */
#define PT2 0x5000ull /* a second vCPU's page tables: 0x5000-0x8fff */
#define PTE(pt, va) ((pt) + 0x3000 + 8 * ((va) >> 12))

static TinyMachine m;

static void st64(uint64_t pa, uint64_t v)
{
    memcpy(m.mem + pa, &v, 8);
}

static void map(uint64_t pt, uint64_t va, uint64_t pa)
{
    st64(PTE(pt, va), pa | 0x7);
}

/* mov eax, imm; int3 at physical pa */
static void put_mov_eax(uint64_t pa, uint32_t imm)
{
    uint8_t code[] = {0xb8, 0, 0, 0, 0, 0xcc};
    memcpy(code + 1, &imm, 4);
    memcpy(m.mem + pa, code, sizeof(code));
}

/* at TM_CODE: jmp VB (rel32), or mov rax, VB; jmp rax */
static void put_jump(bool indirect, uint64_t target)
{
    if (indirect) {
        uint8_t code[] = {0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xe0};
        memcpy(code + 2, &target, 8);
        memcpy(m.mem + TM_CODE, code, sizeof(code));
    } else {
        int32_t rel = (int32_t)(target - (TM_CODE + 5));
        uint8_t code[5] = {0xe9};
        memcpy(code + 1, &rel, 4);
        memcpy(m.mem + TM_CODE, code, sizeof(code));
    }
}

static uint32_t run_eax(CpuX86 *env, uint64_t rip)
{
    env->regs[R_EAX] = 0;
    int v = tm_run_cpu(env, rip);
    cr_assert_eq(v, 3, "stopped at vector %d, rip 0x%llx", v,
                 (unsigned long long)env->rip);
    return (uint32_t)env->regs[R_EAX];
}

static void setup(TcgBackendKind backend)
{
    tm_new(&m, backend, 0, 0);
    put_mov_eax(P1, 1);
    put_mov_eax(P2, 2);
    map(0x1000, VB, P1);
    tlb_flush(m.env);
}

/* run from rip until chains and caches are warm, remap VB, flush, rerun */
static void remap_and_check(uint64_t rip, bool page_flush)
{
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(run_eax(m.env, rip), 1);
    }
    map(0x1000, VB, P2);
    if (page_flush) {
        tlb_flush_page(m.env, VB); /* INVLPG VB */
    } else {
        tlb_flush(m.env); /* MOV CR3 */
    }
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(run_eax(m.env, rip), 2, "stale code ran (run %d)", i);
    }
}

enum { NO_JUMP, DIRECT, INDIRECT };

/* on both backends: set up, put the jump (if any), remap and check */
static void remap_case(int jump, uint64_t rip)
{
    for (size_t b = 0; b < 2; b++) {
        setup(tm_backends[b]);
        if (jump != NO_JUMP) {
            put_jump(jump == INDIRECT, VB);
        }
        remap_and_check(rip, false);
        tm_free(&m);
    }
}

Test(mapping, chained_direct_jump_follows_the_new_mapping)
{
    remap_case(DIRECT, TM_CODE);
}

Test(mapping, indirect_jump_follows_the_new_mapping)
{
    remap_case(INDIRECT, TM_CODE);
}

/* the dispatcher itself looks VB up: a jump-cache hit must not survive */
Test(mapping, jump_cache_hit_follows_the_new_mapping)
{
    remap_case(NO_JUMP, VB);
}

Test(mapping, invlpg_of_the_target_page_is_enough)
{
    for (size_t b = 0; b < 2; b++) {
        setup(tm_backends[b]);
        put_jump(false, VB);
        remap_and_check(TM_CODE, true);
        put_jump(true, VB);
        map(0x1000, VB, P1);
        tlb_flush_page(m.env, VB);
        cr_assert_eq(run_eax(m.env, TM_CODE), 1);
        tm_free(&m);
    }
}

/*
 * mov eax, imm32 at VB + 0xffe spans into VB + 0x1000: remapping only the
 * second page changes the immediate's top three bytes.
 */
Test(mapping, block_on_two_pages_checks_its_second_page)
{
    const uint64_t p3 = 0x32000, p4 = 0x33000, va2 = VB + 0x1000;
    for (size_t b = 0; b < 2; b++) {
        setup(tm_backends[b]);
        m.mem[P1 + 0xffe] = 0xb8;
        m.mem[P1 + 0xfff] = 0xaa;
        memcpy(m.mem + p3, "\x11\x11\x11\xcc", 4);
        memcpy(m.mem + p4, "\x22\x22\x22\xcc", 4);
        map(0x1000, va2, p3);
        tlb_flush(m.env);
        put_jump(false, VB + 0xffe);
        for (int i = 0; i < 3; i++) {
            cr_assert_eq(run_eax(m.env, TM_CODE), 0x111111aau);
            cr_assert_eq(run_eax(m.env, VB + 0xffe), 0x111111aau);
        }
        map(0x1000, va2, p4);
        tlb_flush_page(m.env, va2);
        cr_assert_eq(run_eax(m.env, VB + 0xffe), 0x222222aau);
        cr_assert_eq(run_eax(m.env, TM_CODE), 0x222222aau);
        /* and back: the first translation is still valid for p3 */
        map(0x1000, va2, p3);
        tlb_flush(m.env);
        cr_assert_eq(run_eax(m.env, TM_CODE), 0x111111aau);
        tm_free(&m);
    }
}

/* a copy of the first vCPU's four tables at PT2, pointers rebased */
static void copy_page_tables(void)
{
    tm_copy_page_tables(&m, PT2);
}

Test(mapping, two_vcpus_with_different_page_tables_share_no_stale_code)
{
    for (size_t b = 0; b < 2; b++) {
        setup(tm_backends[b]);
        copy_page_tables();
        map(PT2, VB, P2);
        CpuX86 *cpu1 = tm_new_cpu(&m, PT2);
        for (int indirect = 0; indirect < 2; indirect++) {
            put_jump(indirect, VB);
            tcg_flush(m.tcg, TCG_FLUSH_USER);
            for (int i = 0; i < 4; i++) {
                cr_assert_eq(run_eax(m.env, TM_CODE), 1, "vCPU 0, round %d", i);
                cr_assert_eq(run_eax(cpu1, TM_CODE), 2, "vCPU 1, round %d", i);
            }
        }
        tm_free_cpu(cpu1);
        tm_free(&m);
    }
}

/* the rule costs nothing inside a page: a loop there is still chained */
Test(mapping, jumps_within_a_page_still_chain)
{
    /* mov ecx, 100; l: dec ecx; jnz l (same page); int3 */
    static const uint8_t loop[] = {0xb9, 100,  0,    0,    0,
                                   0xff, 0xc9, 0x75, 0xfc, 0xcc};
    for (size_t b = 0; b < 2; b++) {
        tm_new(&m, tm_backends[b], 0, 0);
        cr_assert_eq(tm_run(&m, loop, sizeof(loop)), 3);
        cr_assert_eq(m.env->regs[R_ECX], 0);
        cr_assert_gt(tcg_stats(m.tcg)->chains, 0);
        tm_free(&m);
    }
}

/* ---- TLB contexts (PCID) and global pages ---- */

static uint64_t walks(void)
{
    return m.env->tlb.stats.walks + m.env->tlb.stats.l2_hits;
}

/* MOV CR3 with CR4.PCIDE: cr3 and pcid, bit 63 clear (flush) or set */
static void mov_cr3_pcid(uint64_t cr3, uint64_t pcid, bool flush)
{
    m.env->cr[3] = cr3 | pcid;
    tlb_switch(m.env, pcid, flush);
}

/* PCID 1 maps VB to P1, PCID 2 (tables at PT2) to P2; each has run */
static void two_pcids_warm(void)
{
    copy_page_tables();
    map(PT2, VB, P2);
    put_jump(false, VB);
    mov_cr3_pcid(0x1000, 1, true);
    cr_assert_eq(run_eax(m.env, TM_CODE), 1);
    mov_cr3_pcid(PT2, 2, true);
    cr_assert_eq(run_eax(m.env, TM_CODE), 2);
}

Test(contexts, pcid_switch_keeps_the_other_contexts_entries)
{
    for (size_t b = 0; b < 2; b++) {
        setup(tm_backends[b]);
        two_pcids_warm();
        /* back to PCID 1 without a flush: its entries are all there */
        uint64_t w = walks();
        mov_cr3_pcid(0x1000, 1, false);
        cr_assert_eq(run_eax(m.env, TM_CODE), 1);
        cr_assert_eq(walks(), w, "PCID 1 walked again: entries lost");
        mov_cr3_pcid(PT2, 2, false);
        cr_assert_eq(run_eax(m.env, TM_CODE), 2);
        cr_assert_eq(walks(), w);
        /* with bit 63 clear the context is flushed: walks again */
        mov_cr3_pcid(0x1000, 1, true);
        cr_assert_eq(run_eax(m.env, TM_CODE), 1);
        cr_assert_gt(walks(), w);
        tm_free(&m);
    }
}

/* more tags than contexts: the least recently used is recycled, flushed */
Test(contexts, least_recently_used_context_is_recycled)
{
    setup(TCG_BACKEND_JIT);
    copy_page_tables();
    map(PT2, VB, P2);
    put_jump(true, VB);
    for (uint64_t pcid = 1; pcid <= TLB_CONTEXTS + 2; pcid++) {
        bool odd = pcid & 1;
        mov_cr3_pcid(odd ? 0x1000 : PT2, pcid, true);
        cr_assert_eq(run_eax(m.env, TM_CODE), odd ? 1 : 2, "pcid %d",
                     (int)pcid);
    }
    cr_assert_geq(m.env->tlb.stats.ctx_reuses, 2);
    uint64_t w = walks();
    mov_cr3_pcid(0x1000, 1, false); /* recycled: must walk, not go stale */
    cr_assert_eq(run_eax(m.env, TM_CODE), 1);
    cr_assert_gt(walks(), w);
    tm_free(&m);
}

/*
 * VB global, VC (the page after it) not: after both are remapped, MOV CR3
 * (a non-global flush) drops VC's entries but keeps VB's; INVLPG or a full
 * flush (CR4.PGE toggled) drops VB's too.
 */
Test(contexts, global_pages_survive_a_cr3_write)
{
    const uint64_t vc = VB + 0x1000, p3 = 0x32000;
    for (size_t b = 0; b < 2; b++) {
        setup(tm_backends[b]);
        put_mov_eax(p3, 3);
        m.env->cr[4] |= CR4_PGE;
        st64(PTE(0x1000, VB), P1 | 0x107); /* G */
        map(0x1000, vc, p3);
        tlb_flush(m.env);
        cr_assert_eq(run_eax(m.env, VB), 1);
        cr_assert_eq(run_eax(m.env, vc), 3);
        st64(PTE(0x1000, VB), P2 | 0x107);
        map(0x1000, vc, P2);
        tlb_flush_nonglobal(m.env); /* MOV CR3 */
        cr_assert_eq(run_eax(m.env, VB), 1, "the global entry was dropped");
        cr_assert_eq(run_eax(m.env, vc), 2, "a non-global entry survived");
        tlb_flush_page(m.env, VB); /* INVLPG drops global entries too */
        cr_assert_eq(run_eax(m.env, VB), 2);
        st64(PTE(0x1000, VB), P1 | 0x107);
        tlb_flush_nonglobal(m.env);
        cr_assert_eq(run_eax(m.env, VB), 2, "kept after the second CR3 write");
        tlb_flush(m.env); /* CR4.PGE toggled */
        cr_assert_eq(run_eax(m.env, VB), 1);
        /* without CR4.PGE, G means nothing */
        m.env->cr[4] &= ~(uint64_t)CR4_PGE;
        tlb_flush(m.env);
        cr_assert_eq(run_eax(m.env, VB), 1);
        st64(PTE(0x1000, VB), P2 | 0x107);
        tlb_flush_nonglobal(m.env);
        cr_assert_eq(run_eax(m.env, VB), 2);
        tm_free(&m);
    }
}

/* a full flush marks inactive contexts stale; each is cleared when used */
Test(contexts, a_full_flush_reaches_inactive_contexts_lazily)
{
    for (size_t b = 0; b < 2; b++) {
        setup(tm_backends[b]);
        two_pcids_warm();
        map(0x1000, VB, P2); /* PCID 1's tables change while it is out */
        tlb_flush(m.env);    /* e.g. CR4.PGE toggled */
        cr_assert_eq(m.env->tlb.stats.lazy_flushes, 0);
        cr_assert_eq(run_eax(m.env, TM_CODE), 2);
        mov_cr3_pcid(0x1000, 1, false); /* no flush asked: the stale one is */
        cr_assert_eq(m.env->tlb.stats.lazy_flushes, 1);
        cr_assert_eq(run_eax(m.env, TM_CODE), 2, "PCID 1 kept stale entries");
        tm_free(&m);
    }
}
