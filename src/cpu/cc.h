/*
 * Lazy x86 arithmetic flags (CF PF AF ZF SF OF), SDM vol. 1 3.4.3 and the
 * per-instruction "Flags Affected" sections of vol. 2.
 *
 * A flag producer records what it did instead of the flags: CpuX86.cc_op
 * names the operation class and size, cc_dst/cc_src/cc_src2 its operands
 * (meaning per class below). cc_compute_all() rebuilds the six flags when a
 * consumer needs them; cc_compute_c() is the cheap carry-only variant and
 * cc_eval_cond() evaluates one of the 16 Jcc/SETcc/CMOVcc conditions.
 * DF and the system flags are not lazy: they live in CpuX86 directly.
 */
#ifndef XLAT_CPU_CC_H
#define XLAT_CPU_CC_H

#include <stdbool.h>
#include <stdint.h>

/* RFLAGS bits (SDM vol. 1 3.4.3) */
#define CC_C 0x0001u
#define CC_P 0x0004u
#define CC_A 0x0010u
#define CC_Z 0x0040u
#define CC_S 0x0080u
#define CC_O 0x0800u
#define CC_ALL (CC_C | CC_P | CC_A | CC_Z | CC_S | CC_O)

/*
 * Sized classes, each with a B/W/L/Q variant (8/16/32/64 bits). Operands
 * (dst = cc_dst, src1 = cc_src, src2 = cc_src2), zero-extended:
 *   ADD, ADC   dst = result, src1 = second operand, src2 = carry in (ADC)
 *   SUB, SBB   dst = result, src1 = subtrahend, src2 = borrow in (SBB); CMP too
 *   LOGIC      dst = result (AND OR XOR TEST: CF = OF = 0, AF = 0)
 *   INC, DEC   dst = result, src1 = CF before the instruction (kept)
 *   SHL        dst = result, src1 = operand << (count - 1)
 *   SHR, SAR   dst = result, src1 = operand >> (count - 1) (logical/arith.)
 *   ROL, ROR   dst = result, src1 = RFLAGS before (only CF and OF change)
 *   MUL, IMUL  dst = low half of the product, src1 = high half
 *   BMI        dst = result, src1 = CF (0/1): ANDN BLSI BLSMSK BLSR BZHI
 *              TZCNT LZCNT; OF = 0
 *   ADCX, ADOX dst = result, src1 = second operand, src2 = RFLAGS before
 *              (the carry in is its CF resp. OF; only CF resp. OF change)
 * Shifts and rotates with a masked count of 0 change no flags: the
 * translator leaves cc_op alone for them.
 */
#define CC_SIZED_CLASSES(X)                                                    \
    X(ADD)                                                                     \
    X(ADC)                                                                     \
    X(SUB)                                                                     \
    X(SBB)                                                                     \
    X(LOGIC)                                                                   \
    X(INC)                                                                     \
    X(DEC)                                                                     \
    X(SHL)                                                                     \
    X(SHR)                                                                     \
    X(SAR)                                                                     \
    X(ROL)                                                                     \
    X(ROR)                                                                     \
    X(MUL)                                                                     \
    X(IMUL)                                                                    \
    X(BMI)                                                                     \
    X(ADCX)                                                                    \
    X(ADOX)

typedef enum CcClass {
    CC_CLASS_NONE = 0, /* the unsized ops below */
#define X(name) CC_CLASS_##name,
    CC_SIZED_CLASSES(X)
#undef X
        CC_CLASS__COUNT
} CcClass;

/* op = class * 4 + size (0..3 = 8/16/32/64 bits) */
typedef enum CcOp {
    CC_OP_EFLAGS = 0,  /* src1 holds the flags (RFLAGS layout) */
    CC_OP_CLR = 1,     /* XOR r,r / SUB r,r: ZF = PF = 1, rest 0 */
    CC_OP_POPCNT = 2,  /* dst = result: ZF = (dst == 0), rest 0 */
    CC_OP_DYNAMIC = 3, /* translator only: cc_op is known at run time */
#define X(name)                                                                \
    CC_OP_##name##B = CC_CLASS_##name * 4, CC_OP_##name##W, CC_OP_##name##L,   \
    CC_OP_##name##Q,
    CC_SIZED_CLASSES(X)
#undef X
        CC_OP__COUNT
} CcOp;

_Static_assert(CC_OP_ADDB == 4 && CC_OP_ADDQ == 7, "CcOp layout");
_Static_assert(CC_OP__COUNT == CC_CLASS__COUNT * 4, "CcOp layout");

static inline CcClass cc_op_class(CcOp op)
{
    return (CcClass)((unsigned)op >> 2);
}
static inline unsigned cc_op_bits(CcOp op)
{
    return 8u << ((unsigned)op & 3);
}
static inline CcOp cc_op_make(CcClass c, unsigned size_log2)
{
    return (CcOp)((unsigned)c * 4 + size_log2);
}

/* x86 condition codes: the low nibble of Jcc/SETcc/CMOVcc; c ^ 1 inverts */
typedef enum CcCond {
    CC_COND_O,
    CC_COND_NO,
    CC_COND_B,
    CC_COND_AE,
    CC_COND_E,
    CC_COND_NE,
    CC_COND_BE,
    CC_COND_A,
    CC_COND_S,
    CC_COND_NS,
    CC_COND_P,
    CC_COND_NP,
    CC_COND_L,
    CC_COND_GE,
    CC_COND_LE,
    CC_COND_G,
} CcCond;

/* CF|PF|AF|ZF|SF|OF in their RFLAGS positions */
uint32_t cc_compute_all(CcOp op, uint64_t dst, uint64_t src1, uint64_t src2);
/* CF alone (0 or 1) */
uint32_t cc_compute_c(CcOp op, uint64_t dst, uint64_t src1, uint64_t src2);
/* condition on materialized flags */
bool cc_test_cond(CcCond cond, uint32_t flags);
/* condition on lazy flags (direct for SUB/LOGIC, else via the flags) */
bool cc_eval_cond(CcCond cond, CcOp op, uint64_t dst, uint64_t src1,
                  uint64_t src2);
/* "ADDL", "EFLAGS"... for -d cpu */
const char *cc_op_name(CcOp op);

#endif
