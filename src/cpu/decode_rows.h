/*
 * Shorthands for writing decoder table rows in SDM notation; included only
 * by the table files (decode_tables*.c). A row reads like the SDM opcode map:
 *   [0x01] = IF(EF_LK, ADD, Ev, Gv)    -> "ADD Ev,Gv"
 * Sub-tables are compound literals: GRP(...8 rows), MOD(mem, reg), PFX(none,
 * 66, F3, F2), MODE(legacy, 64-bit), OPSZ(16, 32, 64), W(w0, w1).
 */
#ifndef XLAT_CPU_DECODE_ROWS_H
#define XLAT_CPU_DECODE_ROWS_H

#include "cpu/decode_internal.h"

/* EF_MODRM | EF_VVVV of up to 4 operand specs (missing ones are empty) */
#define ROW_EFLAGS(...) ROW_EFLAGS_(__VA_ARGS__, , , , )
#define ROW_EFLAGS_(a, b, c, d, ...)                                           \
    (OPS_EFLAGS(a) | OPS_EFLAGS(b) | OPS_EFLAGS(c) | OPS_EFLAGS(d))
#define I(id_, ...) IF(0, id_, __VA_ARGS__)
#define IF(fl, id_, ...)                                                       \
    {                                                                          \
        .kind = K_INSN, .flags = (fl) | ROW_EFLAGS(__VA_ARGS__),               \
        .id = XI_##id_, .feat = XFEAT_OF_##id_, .opnd = {                      \
            __VA_ARGS__                                                        \
        }                                                                      \
    }
#define UD                                                                     \
    {                                                                          \
        .kind = K_NONE                                                         \
    }
#define SUBT(k, n, ...)                                                        \
    {                                                                          \
        .kind = (k), .sub = (const OpEntry[n])                                 \
        {                                                                      \
            __VA_ARGS__                                                        \
        }                                                                      \
    }
#define GRP(...) SUBT(K_GROUP, 8, __VA_ARGS__)
#define RM(...) SUBT(K_RM, 8, __VA_ARGS__)
/* variadic so that rows passed through other macros keep their commas */
#define MOD(...) SUBT(K_MOD, 2, __VA_ARGS__)
#define PFX(...) SUBT(K_PFX, 4, __VA_ARGS__)
#define MODE(...) SUBT(K_MODE, 2, __VA_ARGS__)
#define OPSZ(...) SUBT(K_OPSZ, 3, __VA_ARGS__)
#define WSEL(...) SUBT(K_W, 2, __VA_ARGS__)
#define W64(...) SUBT(K_W64, 2, __VA_ARGS__)
#define VEXL(...) SUBT(K_VEXL, 2, __VA_ARGS__)
#define VEXSEL(...) SUBT(K_VEX, 2, __VA_ARGS__)

/* entry flags */
#define NO64 EF_NO64
#define O64 EF_O64
#define D64 EF_D64
#define F64 EF_F64
#define V EF_V
#define VO EF_VO
#define L0 EF_L0
#define L1 EF_L1
#define O16 EF_OSZ66
#define EF_LK 0 /* documentation only: LOCK is per id (XA_LOCK) */

/* operand specs */
#define Eb OPS(M_E, S_b)
#define Ew OPS(M_E, S_w)
#define Ed OPS(M_E, S_d)
#define Eq OPS(M_E, S_q)
#define Ev OPS(M_E, S_v)
#define Ey OPS(M_E, S_y)
#define Gb OPS(M_G, S_b)
#define Gw OPS(M_G, S_w)
#define Gd OPS(M_G, S_d)
#define Gv OPS(M_G, S_v)
#define Gy OPS(M_G, S_y)
#define Gz OPS(M_G, S_z)
#define M0 OPS(M_M, S_0)
#define Mb OPS(M_M, S_b)
#define Mw OPS(M_M, S_w)
#define Md OPS(M_M, S_d)
#define Mq OPS(M_M, S_q)
#define Mv OPS(M_M, S_v)
#define My OPS(M_M, S_y)
#define Mdq OPS(M_M, S_dq)
#define Mx OPS(M_M, S_x)
#define Mp OPS(M_M, S_p)
#define Ms OPS(M_M, S_s)
#define Mt OPS(M_M, S_t)
#define Ma OPS(M_M, S_a)
#define Menv OPS(M_M, S_env)
#define Mfst OPS(M_M, S_fst)
#define Mfx OPS(M_M, S_fx)
#define Rv OPS(M_R, S_v)
#define Ry OPS(M_R, S_y)
#define Rd OPS(M_R, S_d)
#define Ib OPS(M_I, S_b)
#define Ibs OPS(M_I, S_bs)
#define Iw OPS(M_I, S_w)
#define Iz OPS(M_I, S_z)
#define Iv OPS(M_I, S_v)
#define Jb OPS(M_J, S_b)
#define Jz OPS(M_J, S_z)
#define Ob OPS(M_O, S_b)
#define Ov OPS(M_O, S_v)
#define Ap OPS(M_A, S_p)
#define Zb OPS(M_Z, S_b)
#define Zv OPS(M_Z, S_v)
#define Zy OPS(M_Z, S_y)
#define Sw OPS(M_S, S_w)
#define Cy OPS(M_C, S_y)
#define Dy OPS(M_D, S_y)
#define Xb OPS(M_X, S_b)
#define Xv OPS(M_X, S_v)
#define Xz OPS(M_X, S_z)
#define Yb OPS(M_Y, S_b)
#define Yv OPS(M_Y, S_v)
#define Yz OPS(M_Y, S_z)
#define AL OPS(M_RAX, S_b)
#define AX OPS(M_RAX, S_w)
#define eAX OPS(M_RAX, S_z)
#define rAX OPS(M_RAX, S_v)
#define CL_ OPS(M_CL, S_b)
#define DX_ OPS(M_DX, S_w)
#define ONE OPS(M_ONE, S_b)
#define SEG(n) OPS(M_SEG, n)
#define ST0 OPS(M_ST0, S_t)
#define STi OPS(M_STI, S_t)
#define XLATM OPS(M_RBX_AL, S_b)
/* vector operands: the size is the memory width */
#define Vx OPS(M_V, S_x)
#define Vdq OPS(M_V, S_dq)
#define Vqq OPS(M_V, S_qq)
#define Vq OPS(M_V, S_q)
#define Vd OPS(M_V, S_d)
#define Vy OPS(M_V, S_y)
#define Wx OPS(M_W, S_x)
#define Wxh OPS(M_W, S_xh)
#define Wdq OPS(M_W, S_dq)
#define Wq OPS(M_W, S_q)
#define Wd OPS(M_W, S_d)
#define Ww OPS(M_W, S_w)
#define Wb OPS(M_W, S_b)
#define Ux OPS(M_U, S_x)
#define Udq OPS(M_U, S_dq)
#define Hx OPS(M_H, S_x)
#define Hdq OPS(M_H, S_dq)
#define Hqq OPS(M_H, S_qq)
#define Lx OPS(M_L, S_x)
#define Pq OPS(M_P, S_q)
#define Qq OPS(M_Q, S_q)
#define Qd OPS(M_Q, S_d)
#define Nq OPS(M_N, S_q)
#define By OPS(M_B, S_y)
#define VSIB OPS(M_VX, S_x)
#define XMM0 OPS(M_XMM0, S_dq)

#endif
