/*
 * x86-64 front end: the TcgFrontend callbacks and the block loop.
 *
 * A block is decoded instruction by instruction from guest memory fetched
 * through the TLB code path (never past the current page unless the
 * instruction itself spans it) and ends at a branch, a page boundary, 64
 * instructions, or an instruction that may change hflags. Each instruction
 * starts with insn_start(pc, cc_op), which restore_state uses for precise
 * exceptions. Operand and flag generators live in translate_ops.c; the
 * families in translate_alu.c and translate_branch.c.
 */
#include "cpu/translate_int.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/exec.h"

#include "util/log.h"

#define TR_MAX_INSNS 64

/* the same in every context: globals are registered in one fixed order */
X86Globals x86_g;

/*
 * Host registers for the hottest guest state (tcg/NOTES-x64.md rules).
 * Host RSI is avoided: the JIT prologue enters the block with `jmp rsi`
 * after loading the pinned registers, so a global pinned there breaks.
 */
enum { PIN_RBX = 3, PIN_RDI = 7, PIN_R8 = 8, PIN_R9 = 9, PIN_R12 = 12 };

static const char *const gpr_names[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15",
};

static int gpr_pin(unsigned r)
{
    switch (r) {
    case R_ESP:
        return PIN_R12;
    case R_EAX:
        return PIN_R12 + 1;
    case R_ECX:
        return PIN_R12 + 2;
    case R_EDX:
        return PIN_R12 + 3;
    case R_EBX:
        return PIN_RBX;
    case R_ESI:
        return PIN_R9;
    case R_EDI:
        return PIN_RDI;
    default:
        return -1;
    }
}

void x86_tcg_register_globals(TcgCtx *s)
{
    for (unsigned r = 0; r < 16; r++) {
        x86_g.regs[r] =
            tcg_global_new(s, IR_I64, (int32_t)offsetof(CpuX86, regs[r]),
                           gpr_names[r], gpr_pin(r));
    }
    x86_g.rip = tcg_global_new(s, IR_I64, offsetof(CpuX86, rip), "rip", -1);
    x86_g.cc_dst =
        tcg_global_new(s, IR_I64, offsetof(CpuX86, cc_dst), "cc_dst", PIN_R8);
    x86_g.cc_src =
        tcg_global_new(s, IR_I64, offsetof(CpuX86, cc_src), "cc_src", -1);
    x86_g.cc_src2 =
        tcg_global_new(s, IR_I64, offsetof(CpuX86, cc_src2), "cc_src2", -1);
    x86_g.cc_op =
        tcg_global_new(s, IR_I32, offsetof(CpuX86, cc_op), "cc_op", -1);
}

static void fe_get_key(void *opaque, TbKey *key)
{
    CpuX86 *env = opaque;
    key->pc = env->rip;
    key->cs_base = cpu_code_base(env);
    key->flags = env->hflags;
}

static uint64_t fe_code_phys(void *opaque, const TbKey *key)
{
    CpuX86 *env = opaque;
    return tlb_code_phys(env, key->pc + key->cs_base, cpu_mmu_index(env), 0);
}

/* a two-page block's second page holds its last byte */
static uint64_t fe_code_phys_page2(void *opaque, const TbKey *key,
                                   uint32_t size)
{
    CpuX86 *env = opaque;
    uint64_t last = key->cs_base + key->pc + size - 1;
    return tlb_code_phys(env, last, cpu_mmu_index(env), 0) & TCG_PAGE_MASK;
}

static void fe_restore_state(void *opaque, const uint64_t *words)
{
    CpuX86 *env = opaque;
    env->rip = words[0];
    if (words[1] != CC_OP_DYNAMIC) {
        env->cc_op = (uint32_t)words[1];
    }
}

/* bytes [vaddr, vaddr + n) of one page; raises #PF if it is unmapped */
static void tr_fetch(CpuX86 *env, uint64_t vaddr, uint8_t *buf, size_t n)
{
    uint64_t phys = tlb_code_phys(env, vaddr, cpu_mmu_index(env), 0);
    if (as_read(cpu_mem_as(env), phys, buf, n, MEMATTRS_CPU) != MEMTX_OK) {
        memset(buf, 0xff, n); /* unassigned: decodes as #UD, like open bus */
    }
}

/*
 * Decode the instruction at pc. Returns false when it spans into the next
 * page and is not the first of the block (the block ends before it).
 */
static bool tr_decode(Dc *dc, DecodedInsn *d, TcgTbDesc *desc, bool first,
                      int *res)
{
    uint8_t buf[X86_MAX_INSN_LEN];
    uint64_t lin = dc->cs_base + dc->pc; /* linear (16/32-bit: CS base) */
    uint64_t page_left = TCG_PAGE_SIZE - (lin & ~TCG_PAGE_MASK);
    size_t avail = MIN((uint64_t)X86_MAX_INSN_LEN, page_left);
    tr_fetch(dc->env, lin, buf, avail);
    *res = x86_decode(d, buf, avail, (X86Mode)dc->dmode);
    if (*res <= 0) {
        return true;
    }
    if (!first) {
        return false;
    }
    uint64_t page2 = lin + avail;
    tr_fetch(dc->env, page2, buf + avail, X86_MAX_INSN_LEN - avail);
    desc->phys_page2 =
        tlb_code_phys(dc->env, page2, cpu_mmu_index(dc->env), 0) &
        TCG_PAGE_MASK;
    *res = x86_decode(d, buf, X86_MAX_INSN_LEN, (X86Mode)dc->dmode);
    return true;
}

static void tr_unimp(Dc *dc)
{
    log_unimp_once("translate", "%s at 0x%llx: raising #UD",
                   x86_insn_name(dc->d->id), (unsigned long long)dc->pc);
    tr_exception(dc, 6);
}

/*
 * A CPL-0-only instruction above CPL 0? Those whose #UD conditions come
 * first (SYSRET, SYSEXIT, SWAPGS, the VMX and SGX instructions, XSAVES...)
 * check on their own.
 */
static bool tr_privileged_at_cpl(const Dc *dc)
{
    if (!(dc->hflags & HF_CPL_MASK)) {
        return false;
    }
    switch (dc->d->id) {
    case XI_MOV_CR:
    case XI_MOV_DR:
    case XI_RDMSR:
    case XI_WRMSR:
    case XI_LGDT:
    case XI_LIDT:
    case XI_LLDT:
    case XI_LTR:
    case XI_LMSW:
    case XI_CLTS:
    case XI_INVLPG:
    case XI_INVPCID:
    case XI_INVD:
    case XI_WBINVD:
        return true;
    default:
        return false;
    }
}

static void tr_insn(Dc *dc)
{
    const DecodedInsn *d = dc->d;
    if (tr_feature_gate(dc)) {
        return;
    }
    if (d->pfx & XP_LOCK) {
        if (!tr_locked(dc) && !tr_sys_locked(dc) && !tr_bits_locked(dc)) {
            tr_exception(dc, 6); /* LOCK on a non-lockable form */
        }
        return;
    }
    if (tr_privileged_at_cpl(dc)) {
        tr_exception(dc, 13); /* CPL 0 only: #GP(0) (V86 mode is CPL 3) */
        return;
    }
    if (tr_legacy(dc) || tr_alu(dc) || tr_branch(dc) || tr_misc(dc) ||
        tr_muldiv(dc) || tr_shift(dc) || tr_bits(dc) || tr_string(dc) ||
        tr_sys(dc) || tr_sys_cr(dc) || tr_seg(dc) || tr_prot(dc) ||
        tr_debug(dc) || tr_smm(dc) || tr_mwait(dc)) {
        return;
    }
    if (tr_fpu(dc) || tr_sse(dc)) { /* FPU/SIMD: translate_fpu.c, _sse.c */
        return;
    }
    tr_unimp(dc);
}

/* the block's instructions, decoded ahead for the flag liveness pass */
typedef struct TrBlock {
    DecodedInsn insn[TR_MAX_INSNS];
    uint64_t pc[TR_MAX_INSNS], next_pc[TR_MAX_INSNS];
    int res[TR_MAX_INSNS];
    bool ok[TR_MAX_INSNS];
    uint16_t live[TR_MAX_INSNS]; /* CC_* flags live after each */
    uint32_t n;
} TrBlock;

/* does the block end after this instruction (as the translator will)? */
static bool tr_ends_block(const TrBlock *b, uint32_t i)
{
    if (!b->ok[i]) {
        return true; /* #UD / #GP */
    }
    uint16_t attr = x86_insn_info(b->insn[i].id)->attr;
    return XA_BR_OF(attr) != XBR_NONE || (attr & XA_SERIAL);
}

/*
 * Decode up to max instructions from dc->pc: to a branch, a serializing
 * instruction, a decode failure, the page end, or an instruction spanning
 * into the next page (unless it is the first).
 */
static void tr_decode_block(Dc *dc, TcgTbDesc *desc, TrBlock *b, uint32_t max)
{
    uint64_t pc = dc->pc;
    for (b->n = 0; b->n < max;) {
        uint32_t i = b->n;
        dc->pc = pc;
        if (i > 0 && tr_debug_bp_at(dc, pc)) {
            break; /* an execute breakpoint starts its own block */
        }
        if (!tr_decode(dc, &b->insn[i], desc, i == 0, &b->res[i])) {
            break;
        }
        b->pc[i] = pc;
        b->ok[i] = b->res[i] == X86_DEC_OK;
        /* a positive res cannot remain here: UD or > 15 bytes (#GP) */
        pc = b->ok[i] ? tr_br_wrap(dc, pc + b->insn[i].len, 4) : pc + 1;
        b->next_pc[i] = pc;
        b->n++;
        if (tr_ends_block(b, i) || ((dc->cs_base + pc) & ~TCG_PAGE_MASK) == 0) {
            break;
        }
    }
    dc->pc = b->pc[0];
}

static const IrHelper h_code_stale = {
    "code_stale", (void *)helper_code_stale, 2,
    IRH_VOID,     {IR_I64, IR_I64},          IRH_ENV | IRH_RAISE | IRH_RD_GLOB};

/*
 * The self-check of a block from a hot page (mr_code_hot): compare its
 * guest bytes, 8 at a time, with those it was translated from; if any
 * changed, helper_code_stale drops it and restarts here. The loads are
 * data reads in the current mode without SMAP (code is always readable).
 */
static void tr_self_check(Dc *dc)
{
    IrFunc *f = dc->f;
    const uint8_t *bytes = dc->check_bytes;
    uint32_t size = dc->check_size;
    uint64_t lin = dc->cs_base + dc->pc;
    unsigned idx =
        (dc->hflags & HF_CPL_MASK) == 3 ? MMU_IDX_USER : MMU_IDX_KNOSMAP;
    idx += (dc->hflags & HF_VMX_GUEST) ? MMU_IDX_NESTED : 0;
    uint32_t stale = ir_label_new(f), ok = ir_label_new(f);
    for (uint32_t k = 0; k < size;) {
        unsigned n = size - k >= 8 ? 8 : size >= 8 ? 8 : 1;
        uint32_t at = size - k >= 8 || size < 8 ? k : size - 8;
        uint64_t want = 0;
        memcpy(&want, bytes + at, n);
        uint64_t a = lin + at;
        if (dc->dmode != X86_MODE64) {
            a &= 0xffffffffu;
        }
        IrTemp t = tr_new(dc);
        ir_qld(f, IR_I64, t, tr_const(dc, a), tr_log2(n) | IR_MO_MMU(idx));
        ir_brcond(f, IR_I64, IR_NE, t, tr_const(dc, want), stale);
        k = at + n;
    }
    ir_br(f, ok);
    ir_set_label(f, stale);
    uint64_t first = TCG_PAGE_SIZE - (dc->check_phys & ~TCG_PAGE_MASK);
    IrTemp args[] = {tr_const(dc, dc->check_phys),
                     tr_const(dc, MIN((uint64_t)size, first))};
    ir_call(f, &h_code_stale, 0, args);
    ir_exit_tb(f, IR_EXIT_FRONTEND); /* not reached */
    ir_set_label(f, ok);
}

/* is either page of the block hot? then read its bytes for the check */
static uint8_t *tr_check_setup(Dc *dc, const TcgTbDesc *desc, uint32_t size)
{
    CpuX86 *env = dc->env;
    uint64_t phys[2] = {desc->key.phys_pc, desc->phys_page2};
    bool hot = false;
    for (int i = 0; i < 2 && phys[i] != TCG_NO_PAGE; i++) {
        MemSection sec = as_find(cpu_mem_as(env), phys[i] & TCG_PAGE_MASK);
        hot |= sec.mr && mr_is_ram(sec.mr) &&
               mr_code_hot(sec.mr, sec.mr_offset + (phys[i] - sec.base));
    }
    if (!hot || size == 0) {
        return NULL;
    }
    uint8_t *b = xmalloc(size);
    uint32_t n1 = (uint32_t)MIN((uint64_t)size,
                                TCG_PAGE_SIZE - (phys[0] & ~TCG_PAGE_MASK));
    bool ok =
        as_read(cpu_mem_as(env), phys[0], b, n1, MEMATTRS_CPU) == MEMTX_OK;
    if (n1 < size) {
        ok = ok && phys[1] != TCG_NO_PAGE &&
             as_read(cpu_mem_as(env), phys[1], b + n1, size - n1,
                     MEMATTRS_CPU) == MEMTX_OK;
    }
    if (!ok) { /* not RAM after all: nothing to check against */
        free(b);
        return NULL;
    }
    dc->check_bytes = b;
    dc->check_size = size;
    dc->check_phys = phys[0];
    return b;
}

/*
 * CS.limit below 4 GiB-1 (real mode, 16-bit and small code segments): an
 * instruction with a byte past the limit raises #GP(0) before it runs
 * (SDM vol. 3A 5.3). Flat code segments get no check.
 */
static void tr_fetch_check(Dc *dc)
{
    IrFunc *f = dc->f;
    IrTemp lim = tr_new(dc);
    uint32_t ok = ir_label_new(f);
    ir_ld(f, IR_I64, lim, (int32_t)offsetof(CpuX86, segs[R_CS].limit),
          IR_MO_32);
    ir_brcond(f, IR_I64, IR_LEU, tr_const(dc, dc->next_pc - 1), lim, ok);
    tr_exception(dc, 13);
    dc->ended = false;
    ir_set_label(f, ok);
}

static const IrHelper h_end_inhibit = {
    "end_inhibit", (void *)helper_end_inhibit, 0, IRH_VOID, {0}, IRH_ENV};

/* one decoded instruction */
static void tr_one(Dc *dc, const TrBlock *b, uint32_t i)
{
    dc->pc = b->pc[i];
    dc->next_pc = b->next_pc[i];
    dc->live_out = b->live[i];
    dc->nsegchk = 0;
    ir_insn_start(dc->f, dc->pc, dc->cc_op, 0);
    if (dc->hflags & HF_SEGCHK(R_CS)) {
        tr_fetch_check(dc);
    }
    if (i == 0 && dc->check_bytes) {
        tr_self_check(dc);
    }
    if (i == 0 && (dc->hflags & HF_INHIBIT_IRQ)) {
        /* past the block-entry check: an IRQ is taken after this insn */
        ir_call(dc->f, &h_end_inhibit, 0, NULL);
    }
    if (tr_debug_insn(dc, i)) {
        return; /* an execute breakpoint: #DB before decode faults */
    }
    if (!b->ok[i]) {
        tr_exception(dc, b->res[i] == X86_DEC_GP ? 13 : 6);
        return;
    }
    dc->d = &b->insn[i];
    tr_insn(dc);
    dc->d = NULL;
    dc->live_out = CC_ALL;
}

static void fe_translate(void *opaque, IrFunc *f, TcgTbDesc *desc)
{
    CpuX86 *env = opaque;
    Dc dc = {.env = env,
             .f = f,
             .pc = desc->key.pc,
             .tb_pc = desc->key.pc,
             .hflags = desc->key.flags,
             .mmu = cpu_mmu_index(env),
             .cc_op = CC_OP_DYNAMIC,
             .live_out = CC_ALL};
    uint32_t max = desc->max_insns ? desc->max_insns : TR_MAX_INSNS;
    TrBlock b;
    uint32_t n = 0;
    tr_mode_init(&dc, desc->key.flags, desc->key.cs_base);
    max = MIN(max, (uint32_t)TR_MAX_INSNS);
    if ((env->hflags & HF_TF) || (desc->key.flags & HF_INHIBIT_IRQ)) {
        max = 1; /* single-step; or the instruction in an IRQ shadow */
    }
    max = tr_debug_max_insns(desc->key.flags, max);
    tr_decode_block(&dc, desc, &b, max);
    tr_flags_liveness(b.insn, b.ok, b.n, b.live);
    uint8_t *check =
        b.n ? tr_check_setup(&dc, desc,
                             (uint32_t)(b.next_pc[b.n - 1] - b.pc[0]))
            : NULL;
    while (n < b.n && !dc.ended && !f->overflow) {
        tr_one(&dc, &b, n++);
        dc.pc = dc.next_pc;
    }
    if (!dc.ended) {
        tr_goto(&dc, dc.pc, 0);
    }
    desc->icount = n;
    desc->size = (uint32_t)(dc.pc - desc->key.pc);
    free(check);
}

void x86_tcg_config(TcgConfig *cfg, TcgBackendKind backend)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->backend = backend;
    cfg->exit_request_off = offsetof(CpuX86, exit_request);
    cfg->tlb_fast_off = offsetof(CpuX86, tlb_fast);
    cfg->nb_mmu = MMU_IDX_COUNT;
    cfg->jc_off = offsetof(CpuX86, jc);
    cfg->ld_slow = tlb_ld_slow;
    cfg->st_slow = tlb_st_slow;
    cfg->fe = (TcgFrontend){.get_key = fe_get_key,
                            .code_phys = fe_code_phys,
                            .code_phys_page2 = fe_code_phys_page2,
                            .translate = fe_translate,
                            .restore_state = fe_restore_state};
}
