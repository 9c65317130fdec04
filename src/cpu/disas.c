/*
 * disas_print(): the `-d in_asm` printer. With capstone (CONFIG_CAPSTONE) it
 * prints capstone's Intel-syntax text; without it, or where capstone gives
 * up, it falls back to xlat's own decoder (mnemonic and bytes), so a line is
 * printed for every instruction the translator saw. Bounded by `size`.
 */
#include "config.h"

#include <inttypes.h>

#include "cpu/disas.h"

#ifdef CONFIG_CAPSTONE
#include <capstone/capstone.h>
#endif

static void disas_bytes(FILE *f, const uint8_t *p, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        fprintf(f, "%02x", p[i]);
    }
    fprintf(f, "%*s", (int)(2 * (X86_MAX_INSN_LEN - n)) + 1, "");
}

/* one instruction with xlat's decoder; returns its length (>= 1) */
static size_t disas_own(FILE *f, const uint8_t *p, size_t n, uint64_t addr,
                        X86Mode mode)
{
    DecodedInsn d;
    int r = x86_decode(&d, p, n, mode);
    unsigned len = r == X86_DEC_OK ? d.len : 1;
    fprintf(f, "0x%016" PRIx64 ":  ", addr);
    disas_bytes(f, p, len);
    if (r == X86_DEC_OK) {
        fprintf(f, "%s%s\n", x86_insn_has_vprefix(&d) ? "v" : "",
                x86_insn_name(d.id));
    } else {
        fprintf(f, "(bad: %s)\n",
                r == X86_DEC_UD   ? "#UD"
                : r == X86_DEC_GP ? "#GP"
                                  : "truncated");
    }
    return len;
}

#ifdef CONFIG_CAPSTONE
static bool disas_cs(FILE *f, const uint8_t *code, size_t size, uint64_t addr,
                     X86Mode mode)
{
    static const cs_mode modes[] = {CS_MODE_16, CS_MODE_32, CS_MODE_64};
    csh cs;
    size_t off = 0;
    if (cs_open(CS_ARCH_X86, modes[mode], &cs) != CS_ERR_OK) {
        return false;
    }
    cs_insn *insn = cs_malloc(cs);
    while (off < size) {
        const uint8_t *p = code + off;
        size_t left = size - off;
        uint64_t pc = addr + off;
        if (cs_disasm_iter(cs, &p, &left, &pc, insn)) {
            fprintf(f, "0x%016" PRIx64 ":  ", addr + off);
            disas_bytes(f, code + off, insn->size);
            fprintf(f, "%s %s\n", insn->mnemonic, insn->op_str);
            off += insn->size;
        } else {
            off += disas_own(f, code + off, size - off, addr + off, mode);
        }
    }
    cs_free(insn, 1);
    cs_close(&cs);
    return true;
}
#endif

void disas_print(FILE *f, const uint8_t *code, size_t size, uint64_t addr,
                 X86Mode mode)
{
#ifdef CONFIG_CAPSTONE
    if (disas_cs(f, code, size, addr, mode)) {
        return;
    }
#endif
    for (size_t off = 0; off < size;) {
        off += disas_own(f, code + off, size - off, addr + off, mode);
    }
}
