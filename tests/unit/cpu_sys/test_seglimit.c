/*
 * Segment limit and type checks on ordinary accesses (translate_ops.c,
 * SDM vol. 3A 5.3 and 5.4), both backends: expand-up and expand-down
 * limits, read-only data, CS-relative writes, unusable segments, #SS for
 * the stack, REP STOS stopping precisely at the limit, LOCK forms, and in
 * real mode the 64 KiB limit, unreal mode and the instruction fetch past
 * CS.limit. Flat segments set no HF_SEGCHK bit.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tiny_machine.h"

static TinyMachine m;

#define DATA_RW 0x3u /* read/write data, accessed */
#define DATA_RO 0x1u
#define DATA_DOWN 0x7u /* expand-down read/write */
#define CODE_XR 0xbu   /* execute/read code, accessed */
#define CODE_X 0x9u    /* execute-only */

static uint32_t attr(uint32_t type, bool big)
{
    return SEG_AR_P | SEG_AR_S | type | (big ? SEG_AR_DB : 0);
}

/* 32-bit protected mode at CPL 0, paging off, flat segments */
static void setup_pm(size_t b)
{
    tm_new(&m, tm_backends[b], 0, 0);
    CpuX86 *env = m.env;
    env->efer = 0;
    env->cr[4] = 0;
    env->cr[0] = CR0_PE | CR0_ET;
    for (int s = 0; s < CPU_NB_SEGS; s++) {
        cpu_seg_set(env, s, 0x10, 0, 0xffffffff,
                    attr(DATA_RW, true) | SEG_AR_G);
    }
    cpu_seg_set(env, R_CS, 0x08, 0, 0xffffffff, attr(CODE_XR, true) | SEG_AR_G);
    env->regs[R_ESP] = 0x80000;
    cpu_update_hflags(env);
    tlb_flush(env);
}

/* DS = [base, limit] of type; the code; the vector it stopped with */
static int run_ds(uint32_t type, uint32_t limit, bool big, const uint8_t *code,
                  size_t len)
{
    cpu_seg_set(m.env, R_DS, 0x18, 0, limit, attr(type, big));
    return tm_run(&m, code, len);
}

Test(seglimit, flat_segments_need_no_checks)
{
    for (size_t b = 0; b < 2; b++) {
        setup_pm(b);
        cr_assert_eq(m.env->hflags & HF_SEGCHK_ALL, 0);
        cpu_seg_set(m.env, R_FS, 0, 0, 0, SEG_AR_UNUSABLE);
        cr_assert_eq(m.env->hflags & HF_SEGCHK_ALL, HF_SEGCHK(R_FS));
        tm_free(&m);
    }
}

Test(seglimit, expand_up_limit)
{
    /* mov eax, [ebx] */
    static const uint8_t ld[] = {0x8b, 0x03};
    for (size_t b = 0; b < 2; b++) {
        setup_pm(b);
        m.env->regs[R_EBX] = 0x40ffc;
        cr_assert_eq(run_ds(DATA_RW, 0x40fff, true, ld, sizeof(ld)), 3);
        m.env->regs[R_EBX] = 0x40ffd; /* the last byte is past the limit */
        cr_assert_eq(run_ds(DATA_RW, 0x40fff, true, ld, sizeof(ld)), 13);
        cr_assert_eq(m.env->error_code, 0);
        cr_assert_eq(m.env->rip, TM_CODE);
        /* a word at the limit: its second byte is past it */
        static const uint8_t ldw[] = {0x66, 0x8b, 0x03};
        m.env->regs[R_EBX] = 0xfffffffe;
        cr_assert_eq(run_ds(DATA_RW, 0xfffffffe, false, ldw, sizeof(ldw)), 13);
        tm_free(&m);
    }
}

Test(seglimit, expand_down_limit)
{
    static const uint8_t ld[] = {0x8b, 0x03}; /* mov eax, [ebx] */
    for (size_t b = 0; b < 2; b++) {
        setup_pm(b);
        /* B = 1: valid offsets 0x40000 .. 0xffffffff */
        m.env->regs[R_EBX] = 0x40000;
        cr_assert_eq(run_ds(DATA_DOWN, 0x3ffff, true, ld, sizeof(ld)), 3);
        m.env->regs[R_EBX] = 0x3fffe;
        cr_assert_eq(run_ds(DATA_DOWN, 0x3ffff, true, ld, sizeof(ld)), 13);
        /* B = 0: the top is 0xffff */
        m.env->regs[R_EBX] = 0xfffc;
        cr_assert_eq(run_ds(DATA_DOWN, 0xfff, false, ld, sizeof(ld)), 3);
        m.env->regs[R_EBX] = 0xfffd;
        cr_assert_eq(run_ds(DATA_DOWN, 0xfff, false, ld, sizeof(ld)), 13);
        m.env->regs[R_EBX] = 0xfff;
        cr_assert_eq(run_ds(DATA_DOWN, 0xfff, false, ld, sizeof(ld)), 13);
        tm_free(&m);
    }
}

Test(seglimit, type_checks)
{
    static const uint8_t st[] = {0x89, 0x03};             /* mov [ebx], eax */
    static const uint8_t lock_add[] = {0xf0, 0x01, 0x03}; /* lock add */
    static const uint8_t cs_st[] = {0x2e, 0x89, 0x03};    /* mov cs:[ebx] */
    static const uint8_t cs_ld[] = {0x2e, 0x8b, 0x03};    /* mov eax, cs:[] */
    static const uint8_t fs_ld[] = {0x64, 0x8b, 0x03};    /* mov eax, fs:[] */
    for (size_t b = 0; b < 2; b++) {
        setup_pm(b);
        m.env->regs[R_EBX] = TM_DATA;
        cr_assert_eq(run_ds(DATA_RO, 0xffffffff, true, st, sizeof(st)), 13,
                     "write to read-only data");
        cr_assert_eq(
            run_ds(DATA_RO, 0xffffffff, true, lock_add, sizeof(lock_add)), 13,
            "locked RMW of read-only data");
        cr_assert_eq(run_ds(DATA_RW, 0xffffffff, true, st, sizeof(st)), 3);
        cr_assert_eq(tm_run(&m, cs_st, sizeof(cs_st)), 13, "code: no write");
        cr_assert_eq(tm_run(&m, cs_ld, sizeof(cs_ld)), 3, "readable code");
        cpu_seg_set(m.env, R_CS, 0x08, 0, 0xffffffff,
                    attr(CODE_X, true) | SEG_AR_G);
        cr_assert_eq(tm_run(&m, cs_ld, sizeof(cs_ld)), 13, "execute-only");
        cpu_seg_set(m.env, R_FS, 0, 0, 0, SEG_AR_UNUSABLE);
        cr_assert_eq(tm_run(&m, fs_ld, sizeof(fs_ld)), 13, "null FS");
        cr_assert_eq(m.env->rip, TM_CODE);
        tm_free(&m);
    }
}

Test(seglimit, stack_limit_is_ss_fault)
{
    static const uint8_t push[] = {0x50}; /* push eax */
    for (size_t b = 0; b < 2; b++) {
        setup_pm(b);
        /* expand-down stack: valid above 0x7f000 */
        cpu_seg_set(m.env, R_SS, 0x10, 0, 0x7efff, attr(DATA_DOWN, true));
        m.env->regs[R_ESP] = 0x7f004;
        cr_assert_eq(tm_run(&m, push, sizeof(push)), 3);
        cr_assert_eq(m.env->regs[R_ESP], 0x7f000);
        cr_assert_eq(tm_run(&m, push, sizeof(push)), 12, "#SS below");
        cr_assert_eq(m.env->error_code, 0);
        cr_assert_eq(m.env->regs[R_ESP], 0x7f000, "ESP unchanged");
        tm_free(&m);
    }
}

Test(seglimit, rep_stos_stops_at_the_limit)
{
    static const uint8_t rep_stosb[] = {0xf3, 0xaa};
    for (size_t b = 0; b < 2; b++) {
        setup_pm(b);
        cpu_seg_set(m.env, R_ES, 0x10, 0, TM_DATA + 99, attr(DATA_RW, true));
        m.env->regs[R_EDI] = TM_DATA;
        m.env->regs[R_ECX] = 1000;
        m.env->regs[R_EAX] = 0x5a;
        memset(m.mem + TM_DATA, 0, 200);
        cr_assert_eq(tm_run(&m, rep_stosb, sizeof(rep_stosb)), 13);
        cr_assert_eq(m.env->regs[R_EDI], TM_DATA + 100);
        cr_assert_eq(m.env->regs[R_ECX], 900);
        cr_assert_eq(m.mem[TM_DATA + 99], 0x5a);
        cr_assert_eq(m.mem[TM_DATA + 100], 0, "nothing past the limit");
        tm_free(&m);
    }
}

/* real mode, CS base 0 limit 64 KiB, data segments base 0 */
static void setup_real(size_t b, uint32_t data_limit)
{
    tm_new(&m, tm_backends[b], 0, 0);
    CpuX86 *env = m.env;
    env->efer = 0;
    env->cr[4] = 0;
    env->cr[0] = CR0_ET;
    for (int s = 0; s < CPU_NB_SEGS; s++) {
        cpu_seg_set(env, s, 0, 0, data_limit, attr(DATA_RW, false));
    }
    cpu_seg_set(env, R_CS, 0, 0, 0xffff, attr(CODE_XR, false));
    env->regs[R_ESP] = 0x8000;
    cpu_update_hflags(env);
    tlb_flush(env);
}

static int run_real(uint64_t ip, const uint8_t *code, size_t len)
{
    cr_assert_eq(as_write(m.as, ip, code, len, MEMATTRS_CPU), MEMTX_OK);
    uint8_t int3 = 0xcc;
    cr_assert_eq(as_write(m.as, ip + len, &int3, 1, MEMATTRS_CPU), MEMTX_OK);
    return tm_run_cpu(m.env, ip);
}

Test(seglimit, real_mode_limits)
{
    static const uint8_t ldw[] = {0x8b, 0x07};              /* mov ax, [bx] */
    static const uint8_t ld32[] = {0x67, 0x66, 0x8b, 0x03}; /* [ebx] */
    static const uint8_t push_bp[] = {0x55, 0x8b, 0x46, 0x00};
    for (size_t b = 0; b < 2; b++) {
        setup_real(b, 0xffff);
        cr_assert(m.env->hflags & HF_SEGCHK(R_DS));
        m.env->regs[R_EBX] = 0xfffe;
        cr_assert_eq(run_real(0x7000, ldw, sizeof(ldw)), 3);
        m.env->regs[R_EBX] = 0xffff; /* a word across 64 KiB */
        cr_assert_eq(run_real(0x7000, ldw, sizeof(ldw)), 13);
        cr_assert_eq(m.env->rip, 0x7000);
        m.env->regs[R_EBX] = 0x20000; /* 32-bit offset past 64 KiB */
        cr_assert_eq(run_real(0x7000, ld32, sizeof(ld32)), 13);
        /* mov ax, [bp+0] with BP = 0xffff: SS-relative, #SS */
        m.env->regs[R_EBP] = 0xffff;
        cr_assert_eq(run_real(0x7000, push_bp + 1, 3), 12);
        tm_free(&m);
        /* unreal mode: a 4 GiB data limit left in the cache */
        setup_real(b, 0xffffffff);
        m.env->regs[R_EBX] = 0x20000;
        m.mem[0x20000] = 0x78;
        cr_assert_eq(run_real(0x7000, ld32, sizeof(ld32)), 3);
        cr_assert_eq(m.env->regs[R_EAX] & 0xff, 0x78);
        tm_free(&m);
    }
}

Test(seglimit, fetch_past_cs_limit)
{
    /* nop; nop; then mov ax, imm16 at 0xffff runs past the limit */
    static const uint8_t code[] = {0x90, 0x90, 0xb8, 0x34, 0x12};
    for (size_t b = 0; b < 2; b++) {
        setup_real(b, 0xffff);
        cr_assert(m.env->hflags & HF_SEGCHK(R_CS));
        m.env->regs[R_EAX] = 0;
        cr_assert_eq(run_real(0xfffd, code, sizeof(code)), 13);
        cr_assert_eq(m.env->rip, 0xffff, "the nops ran");
        cr_assert_eq(m.env->regs[R_EAX], 0);
        tm_free(&m);
    }
}
