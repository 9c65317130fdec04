/*
 * Self-modifying code at 64-byte granularity: stores beside translated
 * code (data sharing its page) drop nothing, a store into another block's
 * chunk drops that block only, and code changed under a block still runs
 * as changed. Counted with the translator's invalidation counter.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tiny_machine.h"

static TinyMachine m;

static uint64_t invalidations(void)
{
    return tcg_stats(m.tcg)->invalidations;
}

/* a loop storing its counter 0x800 bytes further in its own code page */
Test(smc, stores_beside_the_code_drop_nothing)
{
    static const uint8_t loop[] = {
        0x89, 0x0d, 0xfa, 0x07, 0x00, 0x00, /* L: mov [rip+0x7fa], ecx */
        0xff, 0xc1,                         /* inc ecx */
        0x83, 0xf9, 0x64,                   /* cmp ecx, 100 */
        0x75, 0xf3,                         /* jne L */
    };
    for (size_t b = 0; b < 2; b++) {
        tm_new(&m, tm_backends[b], 0, 0);
        cr_assert_eq(tm_run(&m, loop, sizeof(loop)), 3);
        cr_assert_eq(m.env->regs[R_ECX], 100);
        uint32_t v;
        memcpy(&v, m.mem + TM_CODE + 0x800, 4);
        cr_assert_eq(v, 99);
        cr_assert_eq(invalidations(), 0, "%llu blocks dropped",
                     (unsigned long long)invalidations());
        /* a device writing there (DMA) drops nothing either */
        uint8_t junk[16] = {0};
        cr_assert_eq(
            as_write(m.as, TM_CODE + 0x900, junk, sizeof(junk), MEMATTRS_CPU),
            MEMTX_OK);
        cr_assert_eq(invalidations(), 0);
        tm_free(&m);
    }
}

/*
 * call A (A at +0x100: mov eax, 1; ret); mov edx, eax; patch A's
 * immediate; call A again. The patching block is left alone (no restart),
 * A alone is dropped and runs with the new byte.
 */
Test(smc, a_store_into_another_block_drops_that_block_only)
{
    static const uint8_t main_code[] = {
        0xe8, 0xfb, 0x00, 0x00, 0x00,             /* call A (+0x100) */
        0x89, 0xc2,                               /* mov edx, eax */
        0xc6, 0x05, 0xf3, 0x00, 0x00, 0x00, 0x2a, /* mov byte [A+1], 0x2a */
        0xe8, 0xed, 0x00, 0x00, 0x00,             /* call A */
        0xcc,
    };
    static const uint8_t a[] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3};
    for (size_t b = 0; b < 2; b++) {
        tm_new(&m, tm_backends[b], 0, 0);
        memset(m.mem + TM_CODE, 0xcc, 0x1000);
        memcpy(m.mem + TM_CODE + 0x100, a, sizeof(a));
        memcpy(m.mem + TM_CODE, main_code, sizeof(main_code));
        cr_assert_eq(tm_run_cpu(m.env, TM_CODE), 3);
        cr_assert_eq(m.env->regs[R_EDX], 1);
        cr_assert_eq(m.env->regs[R_EAX], 0x2a);
        cr_assert_eq(invalidations(), 1, "%llu blocks dropped",
                     (unsigned long long)invalidations());
        tm_free(&m);
    }
}

/* a store into the running block itself still restarts it precisely */
Test(smc, a_store_into_the_running_block_runs_the_new_bytes)
{
    static const uint8_t code[] = {
        0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x2a, /* mov byte [rip+1], 0x2a */
        0xb8, 0x01, 0x00, 0x00, 0x00,             /* mov eax, 1: patched */
        0xff, 0xc1,                               /* inc ecx */
    };
    for (size_t b = 0; b < 2; b++) {
        tm_new(&m, tm_backends[b], 0, 0);
        cr_assert_eq(tm_run(&m, code, sizeof(code)), 3);
        cr_assert_eq(m.env->regs[R_EAX], 0x2a);
        cr_assert_eq(m.env->regs[R_ECX], 1, "no instruction ran twice");
        tm_free(&m);
    }
}

/*
 * A loop storing into the code of a routine it calls, the same value each
 * round (as code patching with identical bytes does): without the hot
 * mode every round drops and retranslates the routine. After
 * MEM_CODE_HOT_AFTER such writes the page turns hot and its blocks check
 * their own bytes instead: 1000 rounds drop about that many blocks, and
 * code that really changes on the hot page still runs new.
 */
Test(smc, a_page_rewritten_again_and_again_stops_being_retranslated)
{
    static const uint8_t code[] = {
        0xb9, 0xe8, 0x03, 0x00, 0x00, /* mov ecx, 1000 */
        0xc7, 0x05, 0xf2, 0x00, 0x00,
        0x00, 0x01, 0x00, 0x00, 0x00, /* L: mov dword [F+1], 1 */
        0xe8, 0xec, 0x00, 0x00, 0x00, /* call F */
        0xe2, 0xef,                   /* loop L */
        0xcc,
    };
    static const uint8_t f[] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3};
    static const uint8_t a[] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xcc};
    for (size_t b = 0; b < 2; b++) {
        tm_new(&m, tm_backends[b], 0, 0);
        memset(m.mem + TM_CODE, 0xcc, 0x1000);
        memcpy(m.mem + TM_CODE, code, sizeof(code));
        memcpy(m.mem + TM_CODE + 0x100, f, sizeof(f));
        memcpy(m.mem + TM_CODE + 0x200, a, sizeof(a));
        cr_assert_eq(tm_run_cpu(m.env, TM_CODE), 3);
        cr_assert_eq(m.env->regs[R_EAX], 1);
        cr_assert_eq(m.env->regs[R_ECX], 0);
        cr_assert_lt(invalidations(), MEM_CODE_HOT_AFTER + 8,
                     "%llu blocks dropped",
                     (unsigned long long)invalidations());
        cr_assert_geq(invalidations(), MEM_CODE_HOT_AFTER);
        /* another block on the hot page, patched from outside the CPU */
        cr_assert_eq(tm_run_cpu(m.env, TM_CODE + 0x200), 3);
        cr_assert_eq(m.env->regs[R_EAX], 1);
        uint8_t imm = 0x5a;
        cr_assert_eq(as_write(m.as, TM_CODE + 0x201, &imm, 1, MEMATTRS_CPU),
                     MEMTX_OK);
        cr_assert_eq(tm_run_cpu(m.env, TM_CODE + 0x200), 3);
        cr_assert_eq(m.env->regs[R_EAX], 0x5a, "the self-check missed it");
        /* and a block patching itself ahead still runs the new bytes */
        static const uint8_t self[] = {
            0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x2a, /* mov byte [rip+1] */
            0xb8, 0x01, 0x00, 0x00, 0x00, 0xcc,       /* mov eax, 1 */
        };
        memcpy(m.mem + TM_CODE + 0x300, self, sizeof(self));
        cr_assert_eq(tm_run_cpu(m.env, TM_CODE + 0x300), 3);
        cr_assert_eq(m.env->regs[R_EAX], 0x2a);
        tm_free(&m);
    }
}
