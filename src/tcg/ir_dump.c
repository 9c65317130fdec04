/*
 * src/tcg/ir_dump.c: IR as text, for -d op / -d op_opt and the golden tests.
 *
 * One op per line: " name_type out,... = in,..., const,..." (no type suffix
 * on ops without temps: br, exit_tb, goto_tb). Globals print
 * by name, locals as tN, constants as $0x..; conditions, labels, memops and
 * helpers print symbolically. Labels are on their own line ("L3:"),
 * INSN_START as " ---- 0xpc w1 w2". The format is stable: tests compare it.
 */
#include <inttypes.h>
#include <stdio.h>

#include "tcg/ir.h"

const char *ir_temp_name(const IrFunc *f, IrTemp t, char *buf, size_t len)
{
    const IrTempInfo *ti = &f->temps[t];
    switch ((IrTempKind)ti->kind) {
    case IR_TEMP_GLOBAL:
        snprintf(buf, len, "%s", ti->name ? ti->name : "g?");
        break;
    case IR_TEMP_LOCAL:
        snprintf(buf, len, "t%u", t - f->nglobals);
        break;
    case IR_TEMP_CONST:
        snprintf(buf, len, "$0x%" PRIx64, ti->val);
        break;
    }
    return buf;
}

static int ir_dump_memop(uint64_t mo, FILE *out)
{
    static const char sz[4][3] = {"8", "16", "32", "64"};
    return fprintf(out, "%s%s mmu%u", sz[mo & IR_MO_SIZE],
                   (mo & IR_MO_SIGN) ? "s" : "u", (unsigned)IR_MO_GET_MMU(mo));
}

/* the constant arguments, symbolically where the op gives them meaning */
static int ir_dump_consts(const IrOp *op, FILE *out)
{
    int n = 0;
    IrOpcode opc = (IrOpcode)op->opc;
    for (unsigned k = 0; k < op->ncon; k++) {
        uint64_t c = IR_CON(op, k);
        n += fprintf(out, (k || op->nout || op->nin) ? ", " : " ");
        if ((opc == IR_SETCOND || opc == IR_MOVCOND || opc == IR_BRCOND) &&
            k == 0) {
            n += fprintf(out, "%s", ir_cond_name((IrCond)c));
        } else if ((opc == IR_BR || opc == IR_BRCOND) && k + 1 == op->ncon) {
            n += fprintf(out, "L%u", (unsigned)c);
        } else if (opc == IR_CALL) {
            n += fprintf(out, "%s", ((const IrHelper *)(uintptr_t)c)->name);
        } else if ((op->flags & IRF_GMEM) ||
                   ((opc == IR_LD || opc == IR_ST) && k == 1)) {
            n += ir_dump_memop(c, out);
        } else if (opc == IR_LD || opc == IR_ST) {
            n += fprintf(out, "env+0x%x", (unsigned)(int32_t)c);
        } else {
            n += fprintf(out, "0x%" PRIx64, c);
        }
    }
    return n;
}

int ir_dump_op(const IrFunc *f, const IrOp *op, FILE *out)
{
    char buf[32];
    IrOpcode opc = (IrOpcode)op->opc;
    if (opc == IR_SET_LABEL) {
        return fprintf(out, "L%u:", (unsigned)IR_CON(op, 0));
    }
    if (opc == IR_INSN_START) {
        return fprintf(out, " ---- 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64,
                       IR_CON(op, 0), IR_CON(op, 1), IR_CON(op, 2));
    }
    int n = fprintf(out, " %s", ir_op_name(opc));
    if (op->nout + op->nin) { /* typed */
        n += fprintf(out, "_%s", op->type == IR_I32 ? "i32" : "i64");
    }
    for (unsigned k = 0; k < op->nout; k++) {
        n += fprintf(out, "%s%s", k ? ", " : " ",
                     ir_temp_name(f, IR_OUT(op, k), buf, sizeof(buf)));
    }
    if (op->nout && op->nin) {
        n += fprintf(out, " =");
    }
    for (unsigned k = 0; k < op->nin; k++) {
        n += fprintf(out, "%s%s", k ? ", " : " ",
                     ir_temp_name(f, IR_IN(op, k), buf, sizeof(buf)));
    }
    return n + ir_dump_consts(op, out);
}

void ir_dump(const IrFunc *f, FILE *out)
{
    for (uint32_t i = 0; i < f->nops; i++) {
        if (f->ops[i].opc == IR_NOP) {
            continue;
        }
        ir_dump_op(f, &f->ops[i], out);
        fputc('\n', out);
    }
}
