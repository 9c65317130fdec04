/*
 * Decoder tables, part 1: the per-id info table (generated from x86_ops.def),
 * the one-byte opcode map with its groups, and the x87 escape maps (D8-DF).
 * Rows follow SDM vol. 2 appendix A (tables and A.4 for x87); the
 * 0F/0F38/0F3A maps are in decode_tables_0f.c. Data only: the engine that
 * walks these rows is decode.c.
 */
#include "cpu/decode_rows.h"

/* ---- per-id info */
#define F_C XF_CF
#define F_P XF_PF
#define F_A XF_AF
#define F_Z XF_ZF
#define F_S XF_SF
#define F_O XF_OF
#define F_D XF_DF
#define F_ALL XF_ALL
#define F_OSZAPC XF_ARITH
#define F_OSZAP (XF_ARITH & ~XF_CF)
#define F_SZAP (XF_SF | XF_ZF | XF_AF | XF_PF)
#define F_SZAPC (F_SZAP | XF_CF)
#define F_OSAP (XF_OF | XF_SF | XF_AF | XF_PF)
#define F_OSAPC (F_OSAP | XF_CF)
#define F_OSZP (XF_OF | XF_SF | XF_ZF | XF_PF)
#define A_LOCK XA_LOCK
#define A_PRIV XA_PRIV
#define A_IOPL XA_IOPL
#define A_FCOND XA_FCOND
#define A_SERIAL XA_SERIAL
#define BR(k) XA_BR(XBR_##k)

const X86InsnInfo x86_insn_table[XI__COUNT] = {
#define X(id, mn, feat, fr, fw, fu, at)                                        \
    [XI_##id] = {mn, XFEAT_##feat, (fr), (fw), (fu), (at)},
#include "cpu/x86_ops.def"
#undef X
};

/* ---- groups of the one-byte map (SDM table A-6) */
#define GRP1(a, b)                                                             \
    GRP(I(ADD, a, b), I(OR, a, b), I(ADC, a, b), I(SBB, a, b), I(AND, a, b),   \
        I(SUB, a, b), I(XOR, a, b), I(CMP, a, b))
#define GRP2(a, b)                                                             \
    GRP(I(ROL, a, b), I(ROR, a, b), I(RCL, a, b), I(RCR, a, b), I(SHL, a, b),  \
        I(SHR, a, b), I(SAL, a, b), I(SAR, a, b))
#define GRP3(e, imm)                                                           \
    GRP(I(TEST, e, imm), I(TEST, e, imm), I(NOT, e), I(NEG, e), I(MUL, e),     \
        I(IMUL, e), I(DIV, e), I(IDIV, e))
#define ALU6(id)                                                               \
    I(id, Eb, Gb), I(id, Ev, Gv), I(id, Gb, Eb), I(id, Gv, Ev), I(id, AL, Ib), \
        I(id, rAX, Iz)

const OpEntry x86_map_1byte[256] = {
    [0x00] = ALU6(ADD),
    [0x06] = IF(NO64, PUSH, SEG(XSEG_ES)),
    [0x07] = IF(NO64, POP, SEG(XSEG_ES)),
    [0x08] = ALU6(OR),
    [0x0e] = IF(NO64, PUSH, SEG(XSEG_CS)),
    [0x0f] = {.kind = K_ESC},
    [0x10] = ALU6(ADC),
    [0x16] = IF(NO64, PUSH, SEG(XSEG_SS)),
    [0x17] = IF(NO64, POP, SEG(XSEG_SS)),
    [0x18] = ALU6(SBB),
    [0x1e] = IF(NO64, PUSH, SEG(XSEG_DS)),
    [0x1f] = IF(NO64, POP, SEG(XSEG_DS)),
    [0x20] = ALU6(AND),
    [0x27] = IF(NO64, DAA),
    [0x28] = ALU6(SUB),
    [0x2f] = IF(NO64, DAS),
    [0x30] = ALU6(XOR),
    [0x37] = IF(NO64, AAA),
    [0x38] = ALU6(CMP),
    [0x3f] = IF(NO64, AAS),
    /* 40-4F are REX in 64-bit mode (handled as prefixes) */
    [0x40 ... 0x47] = I(INC, Zv),
    [0x48 ... 0x4f] = I(DEC, Zv),
    [0x50 ... 0x57] = IF(D64, PUSH, Zv),
    [0x58 ... 0x5f] = IF(D64, POP, Zv),
    [0x60] = IF(NO64, PUSHA),
    [0x61] = IF(NO64, POPA),
    [0x62] = IF(NO64, BOUND, Gv, Ma), /* EVEX when 64-bit or mod == 11 */
    [0x63] = MODE(I(ARPL, Ew, Gw), I(MOVSXD, Gv, Ed)),
    [0x68] = IF(D64, PUSH, Iz),
    [0x69] = I(IMUL, Gv, Ev, Iz),
    [0x6a] = IF(D64, PUSH, Ibs),
    [0x6b] = I(IMUL, Gv, Ev, Ibs),
    [0x6c] = I(INS, Yb, DX_),
    [0x6d] = I(INS, Yz, DX_),
    [0x6e] = I(OUTS, DX_, Xb),
    [0x6f] = I(OUTS, DX_, Xz),
    [0x70] = IF(F64, JO, Jb),
    [0x71] = IF(F64, JNO, Jb),
    [0x72] = IF(F64, JB, Jb),
    [0x73] = IF(F64, JAE, Jb),
    [0x74] = IF(F64, JE, Jb),
    [0x75] = IF(F64, JNE, Jb),
    [0x76] = IF(F64, JBE, Jb),
    [0x77] = IF(F64, JA, Jb),
    [0x78] = IF(F64, JS, Jb),
    [0x79] = IF(F64, JNS, Jb),
    [0x7a] = IF(F64, JP, Jb),
    [0x7b] = IF(F64, JNP, Jb),
    [0x7c] = IF(F64, JL, Jb),
    [0x7d] = IF(F64, JGE, Jb),
    [0x7e] = IF(F64, JLE, Jb),
    [0x7f] = IF(F64, JG, Jb),
    [0x80] = GRP1(Eb, Ib),
    [0x81] = GRP1(Ev, Iz),
    [0x82] = MODE(GRP1(Eb, Ib), UD),
    [0x83] = GRP1(Ev, Ibs),
    [0x84] = I(TEST, Eb, Gb),
    [0x85] = I(TEST, Ev, Gv),
    [0x86] = I(XCHG, Eb, Gb),
    [0x87] = I(XCHG, Ev, Gv),
    [0x88] = I(MOV, Eb, Gb),
    [0x89] = I(MOV, Ev, Gv),
    [0x8a] = I(MOV, Gb, Eb),
    [0x8b] = I(MOV, Gv, Ev),
    [0x8c] = MOD(I(MOV_SEG, Mw, Sw), I(MOV_SEG, Rv, Sw)),
    [0x8d] = I(LEA, Gv, M0),
    [0x8e] = I(MOV_SEG, Sw, Ew),
    [0x8f] = GRP(IF(D64, POP, Ev), UD, UD, UD, UD, UD, UD, UD),
    [0x90] = {.kind = K_NOP90},
    [0x91 ... 0x97] = I(XCHG, Zv, rAX),
    [0x98] = I(CBW),
    [0x99] = I(CWD),
    [0x9a] = IF(NO64, CALLF, Ap),
    [0x9b] = I(WAIT),
    [0x9c] = IF(D64, PUSHF),
    [0x9d] = IF(D64, POPF),
    [0x9e] = I(SAHF),
    [0x9f] = I(LAHF),
    [0xa0] = I(MOV, AL, Ob),
    [0xa1] = I(MOV, rAX, Ov),
    [0xa2] = I(MOV, Ob, AL),
    [0xa3] = I(MOV, Ov, rAX),
    [0xa4] = I(MOVS, Yb, Xb),
    [0xa5] = I(MOVS, Yv, Xv),
    [0xa6] = I(CMPS, Xb, Yb),
    [0xa7] = I(CMPS, Xv, Yv),
    [0xa8] = I(TEST, AL, Ib),
    [0xa9] = I(TEST, rAX, Iz),
    [0xaa] = I(STOS, Yb, AL),
    [0xab] = I(STOS, Yv, rAX),
    [0xac] = I(LODS, AL, Xb),
    [0xad] = I(LODS, rAX, Xv),
    [0xae] = I(SCAS, AL, Yb),
    [0xaf] = I(SCAS, rAX, Yv),
    [0xb0 ... 0xb7] = I(MOV, Zb, Ib),
    [0xb8 ... 0xbf] = I(MOV, Zv, Iv),
    [0xc0] = GRP2(Eb, Ib),
    [0xc1] = GRP2(Ev, Ib),
    [0xc2] = IF(F64, RET, Iw),
    [0xc3] = IF(F64, RET),
    [0xc4] = IF(NO64, LES, Gz, Mp), /* VEX3 when 64-bit or mod == 11 */
    [0xc5] = IF(NO64, LDS, Gz, Mp), /* VEX2 likewise */
    [0xc6] = GRP(I(MOV, Eb, Ib), UD, UD, UD, UD, UD, UD,
                 MOD(UD, RM(I(XABORT, Ib), UD, UD, UD, UD, UD, UD, UD))),
    [0xc7] = GRP(I(MOV, Ev, Iz), UD, UD, UD, UD, UD, UD,
                 MOD(UD, RM(I(XBEGIN, Jz), UD, UD, UD, UD, UD, UD, UD))),
    [0xc8] = IF(D64, ENTER, Iw, Ib),
    [0xc9] = IF(D64, LEAVE),
    [0xca] = I(RETF, Iw),
    [0xcb] = I(RETF),
    [0xcc] = I(INT3),
    [0xcd] = I(INT, Ib),
    [0xce] = IF(NO64, INTO),
    [0xcf] = I(IRET),
    [0xd0] = GRP2(Eb, ONE),
    [0xd1] = GRP2(Ev, ONE),
    [0xd2] = GRP2(Eb, CL_),
    [0xd3] = GRP2(Ev, CL_),
    [0xd4] = IF(NO64, AAM, Ib),
    [0xd5] = IF(NO64, AAD, Ib),
    [0xd6] = IF(NO64, SALC),
    [0xd7] = I(XLAT, XLATM),
    /* 0xd8-0xdf: x87, set below */
    [0xe0] = IF(F64, LOOPNE, Jb),
    [0xe1] = IF(F64, LOOPE, Jb),
    [0xe2] = IF(F64, LOOP, Jb),
    [0xe3] = IF(F64, JCXZ, Jb),
    [0xe4] = I(IN, AL, Ib),
    [0xe5] = I(IN, eAX, Ib),
    [0xe6] = I(OUT, Ib, AL),
    [0xe7] = I(OUT, Ib, eAX),
    [0xe8] = IF(F64, CALL, Jz),
    [0xe9] = IF(F64, JMP, Jz),
    [0xea] = IF(NO64, JMPF, Ap),
    [0xeb] = IF(F64, JMP, Jb),
    [0xec] = I(IN, AL, DX_),
    [0xed] = I(IN, eAX, DX_),
    [0xee] = I(OUT, DX_, AL),
    [0xef] = I(OUT, DX_, eAX),
    [0xf1] = I(INT1),
    [0xf4] = I(HLT),
    [0xf5] = I(CMC),
    [0xf6] = GRP3(Eb, Ib),
    [0xf7] = GRP3(Ev, Iz),
    [0xf8] = I(CLC),
    [0xf9] = I(STC),
    [0xfa] = I(CLI),
    [0xfb] = I(STI),
    [0xfc] = I(CLD),
    [0xfd] = I(STD),
    [0xfe] = GRP(I(INC, Eb), I(DEC, Eb), UD, UD, UD, UD, UD, UD),
    [0xff] = GRP(I(INC, Ev), I(DEC, Ev), IF(F64, CALL_IND, Ev), I(CALLF, Mp),
                 IF(F64, JMP_IND, Ev), I(JMPF, Mp), IF(D64, PUSH, Ev), UD),

/* ---- x87 (SDM A.4): memory forms by ModRM.reg, register forms below */
#define X87ARITH(sz)                                                           \
    GRP(I(FADD, sz), I(FMUL, sz), I(FCOM, sz), I(FCOMP, sz), I(FSUB, sz),      \
        I(FSUBR, sz), I(FDIV, sz), I(FDIVR, sz))
#define X87IARITH(sz)                                                          \
    GRP(I(FIADD, sz), I(FIMUL, sz), I(FICOM, sz), I(FICOMP, sz), I(FISUB, sz), \
        I(FISUBR, sz), I(FIDIV, sz), I(FIDIVR, sz))
#define RM8(e) RM(e, e, e, e, e, e, e, e)
#define RM1(n, e) /* only rm == n valid */ RM([n] = e, [(n + 1) & 7] = UD)

    [0xd8] = MOD(X87ARITH(Md),
                 GRP(I(FADD, ST0, STi), I(FMUL, ST0, STi), I(FCOM, ST0, STi),
                     I(FCOMP, ST0, STi), I(FSUB, ST0, STi), I(FSUBR, ST0, STi),
                     I(FDIV, ST0, STi), I(FDIVR, ST0, STi))),
    [0xd9] = MOD(GRP(I(FLD, Md), UD, I(FST, Md), I(FSTP, Md), I(FLDENV, Menv),
                     I(FLDCW, Mw), I(FNSTENV, Menv), I(FNSTCW, Mw)),
                 GRP(I(FLD, ST0, STi), I(FXCH, ST0, STi), RM1(0, I(FNOP)),
                     I(FSTP, STi),
                     RM(I(FCHS), I(FABS), UD, UD, I(FTST), I(FXAM), UD, UD),
                     RM(I(FLD1), I(FLDL2T), I(FLDL2E), I(FLDPI), I(FLDLG2),
                        I(FLDLN2), I(FLDZ), UD),
                     RM(I(F2XM1), I(FYL2X), I(FPTAN), I(FPATAN), I(FXTRACT),
                        I(FPREM1), I(FDECSTP), I(FINCSTP)),
                     RM(I(FPREM), I(FYL2XP1), I(FSQRT), I(FSINCOS), I(FRNDINT),
                        I(FSCALE), I(FSIN), I(FCOS)))),
    [0xda] = MOD(X87IARITH(Md), GRP(I(FCMOVB, ST0, STi), I(FCMOVE, ST0, STi),
                                    I(FCMOVBE, ST0, STi), I(FCMOVU, ST0, STi),
                                    UD, RM1(1, I(FUCOMPP)), UD, UD)),
    [0xdb] =
        MOD(GRP(I(FILD, Md), I(FISTTP, Md), I(FIST, Md), I(FISTP, Md), UD,
                I(FLD, Mt), UD, I(FSTP, Mt)),
            GRP(I(FCMOVNB, ST0, STi), I(FCMOVNE, ST0, STi),
                I(FCMOVNBE, ST0, STi), I(FCMOVNU, ST0, STi),
                /* FENI, FDISI, FSETPM: 8087/287 only, FNOP since */
                RM(I(FNOP), I(FNOP), I(FNCLEX), I(FNINIT), I(FNOP), UD, UD, UD),
                I(FUCOMI, ST0, STi), I(FCOMI, ST0, STi), UD)),
    [0xdc] = MOD(X87ARITH(Mq),
                 GRP(I(FADD, STi, ST0), I(FMUL, STi, ST0), I(FCOM, STi),
                     I(FCOMP, STi), I(FSUBR, STi, ST0), I(FSUB, STi, ST0),
                     I(FDIVR, STi, ST0), I(FDIV, STi, ST0))),
    [0xdd] = MOD(GRP(I(FLD, Mq), I(FISTTP, Mq), I(FST, Mq), I(FSTP, Mq),
                     I(FRSTOR, Mfst), UD, I(FNSAVE, Mfst), I(FNSTSW, Mw)),
                 GRP(I(FFREE, STi), I(FXCH, STi), I(FST, STi), I(FSTP, STi),
                     I(FUCOM, STi), I(FUCOMP, STi), UD, UD)),
    [0xde] = MOD(X87IARITH(Mw),
                 GRP(I(FADDP, STi, ST0), I(FMULP, STi, ST0), I(FCOMP, STi),
                     RM1(1, I(FCOMPP)), I(FSUBRP, STi, ST0), I(FSUBP, STi, ST0),
                     I(FDIVRP, STi, ST0), I(FDIVP, STi, ST0))),
    [0xdf] = MOD(GRP(I(FILD, Mw), I(FISTTP, Mw), I(FIST, Mw), I(FISTP, Mw),
                     I(FBLD, Mt), I(FILD, Mq), I(FBSTP, Mt), I(FISTP, Mq)),
                 GRP(I(FFREEP, STi), I(FXCH, STi), I(FSTP, STi), I(FSTP, STi),
                     RM1(0, I(FNSTSW, AX)), I(FUCOMIP, ST0, STi),
                     I(FCOMIP, ST0, STi), UD)),
};
