/*
 * Internals shared by the translate*.c files: the per-block translation
 * context (Dc), the guest globals, and the small IR generators every
 * instruction family uses (operand load/store, lazy flags, block exits).
 * All guest values are handled as I64 temps, zero-extended to the operand
 * size; flag producers set cc_op + operands (cpu/cc.h).
 */
#ifndef XLAT_CPU_TRANSLATE_INT_H
#define XLAT_CPU_TRANSLATE_INT_H

#include "cpu/decode.h"
#include "cpu/translate.h"

typedef struct X86Globals {
    IrTemp regs[16];
    IrTemp rip;
    IrTemp cc_dst, cc_src, cc_src2, cc_op;
} X86Globals;

extern X86Globals x86_g;

/* per-block translation state */
typedef struct Dc {
    CpuX86 *env;
    IrFunc *f;
    const DecodedInsn *d;
    uint64_t pc;      /* current instruction */
    uint64_t next_pc; /* the one after it */
    unsigned mmu;     /* MMU index of data accesses */
    uint32_t cc_op;   /* statically known CcOp, or CC_OP_DYNAMIC */
    bool ended;       /* the block was left (branch, exception) */
    /* code mode, from the TB flags (tr_mode_init, translate_legacy.c) */
    uint8_t dmode;    /* X86Mode of the decoder */
    bool ss32;        /* SS.B: ESP (else SP) outside 64-bit mode */
    bool addseg;      /* DS/ES/SS bases may be nonzero (add them) */
    uint64_t cs_base; /* linear address = cs_base + pc (TB key) */
    uint64_t tb_pc;   /* pc of the block's first instruction */
    uint32_t hflags;  /* the TB key's flags */
    /* a block from a page rewritten again and again checks its bytes */
    const uint8_t *check_bytes; /* NULL: no check */
    uint32_t check_size;
    uint64_t check_phys;
    /* segment checks of the current insn: tr_seg_addr records the offset
       behind each linear address it made, tr_seg_check finds it */
    uint32_t nsegchk; /* records made (a ring of the last 4) */
    struct {
        IrTemp lin, off;
        uint8_t seg, asize;
    } segchk[4];
    /* flags (translate_flags.c) */
    uint16_t live_out; /* CC_* live after this insn (CC_ALL: unknown) */
    bool cc_note;      /* cc_a/cc_b: SUB operands of the cc_note_op state */
    uint32_t cc_note_op;
    IrTemp cc_a, cc_b; /* minuend, subtrahend (zero-extended) */
} Dc;

/* dispatch of the instruction families; false: not handled here */
bool tr_alu(Dc *dc);
bool tr_branch(Dc *dc);
bool tr_misc(Dc *dc);
bool tr_muldiv(Dc *dc); /* MUL IMUL DIV IDIV */
bool tr_shift(Dc *dc);  /* shifts, rotates, SHLD/SHRD */
bool tr_bits(Dc *dc);   /* BT*, BSF/BSR, *CNT, BSWAP, MOVBE, BMI, CRC32 */
bool tr_string(Dc *dc); /* MOVS CMPS SCAS LODS STOS with REP prefixes */
bool tr_sys(Dc *dc);    /* XADD/CMPXCHG*, LAHF/SAHF, ENTER/LEAVE, XLAT,
                           CPUID, RDTSC(P) */
/* FPU/SIMD (translate_fpu.c, translate_sse.c): x87 control and state
 * save instructions, XGETBV/XSETBV; legacy SSE/SSE2 */
bool tr_fpu(Dc *dc);
bool tr_sse(Dc *dc);
/* a LOCK-prefixed instruction; false: #UD */
bool tr_locked(Dc *dc);

/* temps and sizes */
IrTemp tr_new(Dc *dc);
IrTemp tr_const(Dc *dc, uint64_t v);
unsigned tr_log2(unsigned size);
IrTemp tr_zext(Dc *dc, IrTemp v, unsigned size);
IrTemp tr_sext(Dc *dc, IrTemp v, unsigned size);

/* operands: address, value (zero-extended), write back */
IrTemp tr_ea(Dc *dc, const X86Operand *o);
IrTemp tr_mem_ld(Dc *dc, IrTemp addr, unsigned size);
void tr_mem_st(Dc *dc, IrTemp addr, IrTemp v, unsigned size);
IrTemp tr_ld(Dc *dc, const X86Operand *o, IrTemp *addr);
IrTemp tr_ld_rmw(Dc *dc, const X86Operand *o, IrTemp *addr);
void tr_st(Dc *dc, const X86Operand *o, IrTemp addr, IrTemp v);
IrTemp tr_reg_get(Dc *dc, unsigned reg, unsigned size);
void tr_reg_set(Dc *dc, unsigned reg, unsigned size, IrTemp v);

/* lazy flags */
void tr_set_cc(Dc *dc, CcOp op, IrTemp dst, IrTemp src, IrTemp src2);
IrTemp tr_flags(Dc *dc); /* CF PF AF ZF SF OF, I64 */
IrTemp tr_carry(Dc *dc); /* 0/1, I64 */
IrTemp tr_cond(Dc *dc, CcCond c);

/* stack */
void tr_push(Dc *dc, IrTemp v, unsigned size);
IrTemp tr_pop_ld(Dc *dc, unsigned size); /* load only; RSP unchanged */

/* block exits */
void tr_goto(Dc *dc, uint64_t target, unsigned slot);
void tr_jump_ind(Dc *dc, IrTemp target);
/* leave for the dispatcher with RIP set (single-step traps instead) */
void tr_exit(Dc *dc, IrExit why);
void tr_exception(Dc *dc, unsigned vector);
void tr_trap(Dc *dc, unsigned vector);

/* LOCK XADD/CMPXCHG/CMPXCHG8B/16B (translate_sys.c); false: #UD */
bool tr_sys_locked(Dc *dc);

/* LOCK BTS/BTR/BTC [mem] (translate_bits.c); false: not one of them */
bool tr_bits_locked(Dc *dc);

/* CPUID gate (cpu_features.c): true if the model lacks the insn (#UD) */
bool tr_feature_gate(Dc *dc);

/* ---- 16/32-bit code (translate_legacy.c, translate_ops.c) ---- */
/* Dc mode fields from the TB flags */
void tr_mode_init(Dc *dc, uint32_t hflags, uint64_t cs_base);
/* INC/DEC 40-4F aside: PUSHA POPA DAA DAS AAA AAS AAM AAD INTO BOUND,
   PUSH/POP sreg, LDS/LES; false: not one of them */
bool tr_legacy(Dc *dc);
/* offset a masked to the address size, plus the segment base */
IrTemp tr_seg_addr(Dc *dc, IrTemp a, unsigned addrsize, unsigned seg);
/* does an access through seg need limit/type checks in this block? */
bool tr_seg_checked(const Dc *dc, unsigned seg);
/*
 * Before an access of size bytes at linear address lin (made by
 * tr_seg_addr, or such an address plus a constant): #GP(0), #SS(0) for SS,
 * when it lies outside the segment's read (write: write) range. No code
 * when the segment needs no checks.
 */
void tr_seg_check(Dc *dc, IrTemp lin, unsigned size, bool write);
/* lin = from + delta (a temp) in the same segment: record it for checks */
void tr_seg_derived(Dc *dc, IrTemp lin, IrTemp from, IrTemp delta);
/* the address of a LOCKed read-modify-write operand, write-checked */
IrTemp tr_ea_rmw(Dc *dc, const X86Operand *o);
/* push/pop operand size: 8 or 2 in 64-bit mode, else the operand size */
unsigned tr_stack_size(Dc *dc);
/* rSP += n at the stack width (SS.B: ESP or SP); _plus: the value only */
void tr_sp_add(Dc *dc, uint64_t n);
IrTemp tr_sp_plus(Dc *dc, uint64_t n);
/* the linear stack address of the stack-pointer value sp */
IrTemp tr_stack_addr(Dc *dc, IrTemp sp);
/* outside 64-bit mode: a branch target or next EIP wrapped to size */
uint64_t tr_br_wrap(Dc *dc, uint64_t target, unsigned size);
/* #GP(0) at this instruction if target is not canonical (64-bit mode) */
void tr_canon_check(Dc *dc, IrTemp target);
/* false: a direct branch to target raises #GP(0) (non-canonical) */
bool tr_target_ok(Dc *dc, uint64_t target);
/* decimal adjusts (helper_legacy.c): op = BCD_* | imm8 << 8; returns AX in
   bits 0-15, the arithmetic flags from bit 16 */
enum { BCD_DAA, BCD_DAS, BCD_AAA, BCD_AAS, BCD_AAM, BCD_AAD };
uint64_t helper_bcd(uint32_t op, uint64_t eax, uint64_t flags);

/* PUSH/POP/PUSHF/POPF in every form (translate_stack.c); false: not one */
bool tr_stack(Dc *dc);
/* helpers of translate_stack.c (helper.c) */
uint64_t helper_popf(CpuX86 *env, uint64_t v, uint32_t size);
void helper_pop_seg(CpuX86 *env, uint32_t seg, uint32_t sel);
/* the instruction in the STI/MOV SS shadow has started: it ends */
void helper_end_inhibit(CpuX86 *env);
/* raise vector with an error code, restoring the insn at ra (helper.c) */
NORETURN void helper_raise_ra(CpuX86 *env, uint32_t vector, uint32_t error,
                              uintptr_t ra);
/* segmentation (helper_seg.c): a data/stack segment load in protected
 * mode, far JMP/CALL/RET at the same privilege (size: operand bytes) */
void seg_load_pm(CpuX86 *env, unsigned seg, uint16_t sel, uintptr_t ra);
void seg_load_pm_at(CpuX86 *env, unsigned seg, uint16_t sel, unsigned cpl,
                    uintptr_t ra);
void seg_load_cs_iret(CpuX86 *env, uint16_t sel, uint64_t offset, uintptr_t ra);
void helper_iret(CpuX86 *env, uint32_t size, uint64_t next);
void helper_syscall(CpuX86 *env, uint64_t next);
void helper_sysret(CpuX86 *env, uint32_t size);
/* AMD: SYSCALL/SYSRET in legacy mode (helper_syscall_amd.c) */
void helper_syscall_legacy(CpuX86 *env, uint64_t next);
void helper_sysret_legacy(CpuX86 *env, uintptr_t ra);
void helper_swapgs(CpuX86 *env);
void helper_sysenter(CpuX86 *env);
void helper_sysexit(CpuX86 *env, uint32_t size);
void helper_load_sys_seg(CpuX86 *env, uint32_t sel, uint32_t ltr);
/* memop of a size-byte stack access in the current mode */
uint32_t seg_stack_memop(const CpuX86 *env, uint32_t size);

void helper_jmp_far(CpuX86 *env, uint32_t sel, uint64_t offset, uint64_t next,
                    uint32_t size);
void helper_call_far(CpuX86 *env, uint32_t sel, uint64_t offset, uint64_t next,
                     uint32_t size);
void helper_ret_far(CpuX86 *env, uint32_t size, uint32_t imm);
/* LAR/LSL (op: LSL bit 0, GPR 8-11, size 16+), VERR/VERW, ARPL: set ZF */
void helper_lar_lsl(CpuX86 *env, uint32_t sel, uint32_t op);
void helper_verr_verw(CpuX86 *env, uint32_t sel, uint32_t write);
uint64_t helper_arpl(CpuX86 *env, uint64_t dst, uint64_t src);
/* INT n (helper.c): the gate checks, then a trap to vector n */
void helper_int(CpuX86 *env, uint32_t n, uint64_t next);
/* MOV CR, CLTS, LMSW/SMSW, RDMSR/WRMSR, LGDT/LIDT/SGDT/SIDT, INVLPG,
 * INVPCID (translate_cr.c) */
bool tr_sys_cr(Dc *dc);
/* a CR4 value without reserved bits (translate_cr.c) */
bool cpu_cr4_valid(uint64_t cr4);
/* RSM (smm.c); MONITOR MWAIT (translate_mwait.c) */
bool tr_smm(Dc *dc);
bool tr_mwait(Dc *dc);
/* MOV Sreg, LSS/LFS/LGS, far JMP/CALL/RET (translate_seg.c) */
bool tr_seg(Dc *dc);
/* STAC CLAC RDPKRU WRPKRU (translate_prot.c) */
bool tr_prot(Dc *dc);
/* HLT CLI STI INT n INT1 UD0 UD1 PREFETCHh (translate_sys.c) */
bool tr_sys_ctl(Dc *dc);

/* ---- debug registers (translate_debug.c, helper_debug.c) ---- */
/* MOV DRn; false: not it */
bool tr_debug(Dc *dc);
/* the block's instruction limit: one under HF_RF and HF_DBW */
uint32_t tr_debug_max_insns(uint32_t flags, uint32_t max);
/* an enabled execute breakpoint at pc? (the block ends before it) */
bool tr_debug_bp_at(const Dc *dc, uint64_t pc);
/* at the start of insn i: clear RF (HF_RF), or raise an execute
 * breakpoint's #DB; true: the instruction is not translated */
bool tr_debug_insn(Dc *dc, uint32_t i);
/* HF_DBW: the end-of-instruction #DB check, then exit with why */
bool tr_debug_end(Dc *dc, IrExit why);
/* a REP instruction's jump back to itself (RF stays set under HF_RF) */
void tr_debug_rep_loop(Dc *dc);
uint64_t helper_get_dr(CpuX86 *env, uint32_t n);
void helper_set_dr(CpuX86 *env, uint32_t n, uint64_t v, uint64_t next);
void helper_debug_bp(CpuX86 *env, uint32_t bits);
void helper_debug_rf(CpuX86 *env, uint32_t set);
void helper_debug_end(CpuX86 *env, uint32_t tf);

/* ---- lazy flags (translate_flags.c) ---- */
/* a SUB/CMP producer (dst = a - b): consumers compare a and b directly */
void tr_set_cc_sub(Dc *dc, CcOp op, IrTemp dst, IrTemp a, IrTemp b);
/* are any of the CC_* flags in mask live after the current insn? */
bool tr_flags_live(const Dc *dc, uint32_t mask);
/* branch to label if c holds (one brcond when the class is static) */
void tr_jcc(Dc *dc, CcCond c, uint32_t label);
/* d = c ? vt : vf (one movcond when the class is static) */
void tr_cmov(Dc *dc, CcCond c, IrTemp d, IrTemp vt, IrTemp vf);
/* may d raise or leave the block early (not proven otherwise)? */
bool tr_insn_may_raise(const DecodedInsn *d);
/* live[i] = CC_* flags live after insns[i] (ok[i]: decoded) of n */
void tr_flags_liveness(const DecodedInsn *insns, const bool *ok, unsigned n,
                       uint16_t *live);

/* ---- REP MOVS/STOS bulk part (helper_string.c) ---- */
/* info: log2 size (bits 0-1), log2 address size (2-3), flags, MMU index */
#define RS_MOVS 0x10u
#define RS_MODE64 0x20u
#define RS_MMU_SHIFT 8
void helper_rep_fast(CpuX86 *env, uint32_t info, uint64_t slin, uint64_t dlin);

/*
 * Load segment register seg from the low 16 bits of v (translate_stack.c):
 * selector << 4 in real and virtual-8086 mode, a null FS/GS otherwise,
 * hflags recomputed. After the instruction, tr_seg_load_end() leaves for
 * the dispatcher in real/V86 mode, since the new base can change
 * HF_ADDSEG and so the translation of what follows.
 */
void tr_seg_load(Dc *dc, unsigned seg, IrTemp v);
void tr_seg_load_end(Dc *dc);

#endif
