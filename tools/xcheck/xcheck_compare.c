/*
 * xcheck: the comparison of one byte string (xlat vs capstone), the key that
 * classifies a disagreement (map, opcode, mandatory prefix, ModRM fields) and
 * the errata matcher. Errata file lines:
 *   MODES MAP OPCODES KIND [COND...] # SDM reason
 * MODES "16,32,64" or "*"; MAP 1b 0f 0f38 0f3a vex1-3 evex or "*"; OPCODES
 * "c4", "19-1e" or "*"; KIND cs_only xlat_only len mnem or "*"; COND tokens
 * pfx=none|66|f3|f2 reg=N rm=N mod=r|m lock rexw.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xcheck.h"

typedef struct XcRule {
    unsigned modes;   /* bit per X86Mode */
    char map[8];      /* "*" = any */
    int op_lo, op_hi; /* opcode range */
    char kind[12];
    char cond[6][16];
    unsigned ncond;
    int line;
    char reason[200];
} XcRule;

struct XcErrata {
    XcRule *rules;
    unsigned n;
};

/* ---- capstone naming differences (not errors: same instruction) */
static const char *const aliases[][2] = {
    {"cbw", "cwde"},          {"cbw", "cdqe"},     {"cwd", "cdq"},
    {"cwd", "cqo"},           {"pusha", "pushal"}, {"pusha", "pushaw"},
    {"popa", "popal"},        {"popa", "popaw"},   {"pushf", "pushfd"},
    {"pushf", "pushfq"},      {"popf", "popfd"},   {"popf", "popfq"},
    {"pushf", "pushfw"},      {"popf", "popfw"},   {"iret", "iretd"},
    {"iret", "iretq"},        {"jcxz", "jecxz"},   {"jcxz", "jrcxz"},
    {"retf", "lret"},         {"wait", "fwait"},   {"int1", "icebp"},
    {"ljmp", "jmp"},          {"lcall", "call"},   {"fnstsw", "fstsw"},
    {"sal", "shl"},           {"ud1", "ud2b"},     {"ud0", "ud0"},
    {"retf", "retfq"},        {"ljmp", "ljmpq"},   {"lcall", "lcallq"},
    {"int3", "int3"},         {"xchg", "nop"},     {"movsxd", "movsx"},
    {"vmovd", "vmovq"},       {"movd", "movq"},    {"xlatb", "xlatb"},
    {"mov", "movabs"},        {"fstp", "fstpnce"}, {"fstp", "fstp1"},
    {"movq", "movd"},         {"fnop", "fsetpm"},  {"fnop", "fdisi8087_nop"},
    {"fnop", "feni8087_nop"},
};

static bool xc_is_string(const char *n)
{
    static const char *const s[] = {"movs", "cmps", "stos", "lods",
                                    "scas", "ins",  "outs"};
    for (unsigned i = 0; i < ARRAY_LEN(s); i++) {
        if (!strcmp(n, s[i])) {
            return true;
        }
    }
    return false;
}

static bool xc_same_class(const char *ours, const char *cs)
{
    size_t n = strlen(ours);
    if (!strcmp(ours, cs)) {
        return true;
    }
    if (xc_is_string(ours) && !strncmp(cs, ours, n) && strlen(cs) == n + 1 &&
        strchr("bwdq", cs[n])) {
        return true;
    }
    if (!strncmp(ours, "vfma_", 5) &&
        (!strncmp(cs, "vfm", 3) || !strncmp(cs, "vfnm", 4))) {
        return true;
    }
    /* capstone suffixes: x/y (vcvtpd2dqx), 64 (xsave64, fxsave64) */
    if (!strncmp(cs, ours, n) &&
        (!strcmp(cs + n, "x") || !strcmp(cs + n, "y") ||
         !strcmp(cs + n, "64"))) {
        return true;
    }
    /* compare predicates as pseudo-ops: cmpps -> cmpltps, vcmpnle_uqpd */
    if (strstr(ours, "cmp") && strlen(ours) >= 5 && strlen(cs) > n &&
        !strncmp(cs, ours, n - 2) &&
        !strcmp(cs + strlen(cs) - 2, ours + n - 2)) {
        return true;
    }
    for (unsigned i = 0; i < ARRAY_LEN(aliases); i++) {
        if (!strcmp(ours, aliases[i][0]) && !strcmp(cs, aliases[i][1])) {
            return true;
        }
    }
    return false;
}

/* ---- key: where in the opcode space a string lies */

typedef struct XcPfx {
    unsigned n; /* prefix bytes incl. REX */
    int col;    /* 0 none, 1 66, 2 f3, 3 f2 */
    bool lock, rexw, p66, p67;
    bool p66rep; /* an F2/F3 follows a 66 */
    bool mix;    /* another legacy prefix follows a 66/F2/F3 */
} XcPfx;

static XcPfx xc_scan_prefixes(const uint8_t *b, X86Mode mode)
{
    XcPfx p = {0};
    bool o66 = false;
    int rep = 0;
    for (p.n = 0; p.n < 15; p.n++) {
        uint8_t c = b[p.n];
        bool mand = c == 0x66 || c == 0xf2 || c == 0xf3;
        if (!mand && (o66 || rep) &&
            !(mode == X86_MODE64 && (c & 0xf0) == 0x40)) {
            p.mix = true;
        }
        p.p67 |= c == 0x67;
        if (c == 0x66) {
            o66 = p.p66 = true;
        } else if (c == 0xf2 || c == 0xf3) {
            rep = c == 0xf3 ? 2 : 3;
            p.p66rep |= o66;
        } else if (c == 0xf0) {
            p.lock = true;
        } else if (mode == X86_MODE64 && (c & 0xf0) == 0x40) {
            p.rexw = c & 8;
            continue;
        } else if (c != 0x67 && c != 0x26 && c != 0x2e && c != 0x36 &&
                   c != 0x3e && c != 0x64 && c != 0x65) {
            break;
        }
        p.rexw = false;
    }
    p.col = rep ? rep : o66 ? 1 : 0;
    return p;
}

static void xc_key(XcResult *x, const DecodedInsn *d)
{
    static const char *const cols[] = {"none", "66", "f3", "f2"};
    static const char *const maps[] = {"1b", "0f", "0f38", "0f3a"};
    XcPfx p = xc_scan_prefixes(x->bytes, x->mode);
    char map[8];
    unsigned col = p.col, m = d->map & 3;
    if (d->pfx & (XP_VEX | XP_EVEX)) {
        snprintf(map, sizeof(map), "%s%u", d->pfx & XP_EVEX ? "evex" : "vex",
                 d->map);
        col = d->vex_pp;
    } else {
        snprintf(map, sizeof(map), "%s", maps[m]);
    }
    int n = snprintf(x->key, sizeof(x->key), "%s %02x pfx=%s", map, d->opcode,
                     cols[col]);
    if (d->has_modrm) {
        n += snprintf(x->key + n, sizeof(x->key) - n, " reg=%u rm=%u mod=%c",
                      (d->modrm >> 3) & 7, d->modrm & 7,
                      d->modrm >= 0xc0 ? 'r' : 'm');
    }
    snprintf(x->key + n, sizeof(x->key) - n, "%s%s%s%s%s%s%s%s",
             p.lock ? " lock" : "", p.rexw ? " rexw" : "", p.p66 ? " p66" : "",
             p.mix ? " pfxmix" : "", p.p67 ? " p67" : "",
             p.p66rep ? " p66rep" : "",
             (d->pfx & XP_EVEX) && d->evex_b ? " evexb" : "",
             (d->pfx & (XP_VEX | XP_EVEX)) && p.n ? " prevex" : "");
}

void xc_compare(XcResult *x, csh cs)
{
    DecodedInsn d;
    cs_insn *insn = NULL;
    int r = x86_decode(&d, x->bytes, 15, x->mode);
    x->x_valid = r == X86_DEC_OK;
    x->x_len = d.len;
    x->x_status = r == X86_DEC_UD ? "#UD" : r == X86_DEC_GP ? "#GP" : "?";
    snprintf(x->x_name, sizeof(x->x_name), "%s%s",
             x86_insn_has_vprefix(&d) ? "v" : "", x86_insn_name(d.id));
    xc_key(x, &d);
    size_t cnt = cs_disasm(cs, x->bytes, 15, 0x1000, 1, &insn);
    x->c_valid = cnt == 1;
    if (cnt == 1) {
        x->c_len = insn->size;
        snprintf(x->c_text, sizeof(x->c_text), "%s %s", insn->mnemonic,
                 insn->op_str);
    }
    x->verdict = XC_AGREE;
    x->why = NULL;
    if (x->x_valid != x->c_valid) {
        x->why = x->x_valid ? "xlat_only" : "cs_only";
    } else if (x->x_valid && x->x_len != x->c_len) {
        x->why = "len";
    } else if (x->x_valid) {
        const char *mn = strrchr(insn->mnemonic, ' ');
        mn = mn ? mn + 1 : insn->mnemonic;
        if (!xc_same_class(x->x_name, mn)) {
            x->why = "mnem";
        }
    }
    if (cnt) {
        cs_free(insn, cnt);
    }
}

/* ---- errata */

static bool xc_cond_ok(const char *c, const char *key)
{
    char tok[24];
    const char *k = key;
    size_t n = strlen(c);
    /* every condition token must appear as a word of the key */
    snprintf(tok, sizeof(tok), "%s", c);
    while ((k = strstr(k, tok)) != NULL) {
        if ((k == key || k[-1] == ' ') && (k[n] == 0 || k[n] == ' ')) {
            return true;
        }
        k += n;
    }
    return false;
}

static bool xc_rule_match(const XcRule *r, const XcResult *x)
{
    char map[8];
    unsigned op;
    if (!(r->modes & (1u << x->mode))) {
        return false;
    }
    if (sscanf(x->key, "%7s %x", map, &op) != 2) {
        return false;
    }
    size_t ml = strlen(r->map);
    if (r->map[ml - 1] == '*' ? strncmp(r->map, map, ml - 1)
                              : strcmp(r->map, map)) {
        return false;
    }
    if ((int)op < r->op_lo || (int)op > r->op_hi) {
        return false;
    }
    if (strcmp(r->kind, "*") && strcmp(r->kind, x->why)) {
        return false;
    }
    for (unsigned i = 0; i < r->ncond; i++) {
        if (!xc_cond_ok(r->cond[i], x->key)) {
            return false;
        }
    }
    return true;
}

static int xc_parse_rule(XcRule *r, char *line, int lineno)
{
    char *hash = strchr(line, '#'), *tok, *save = NULL;
    char modes[16], ops[16];
    if (!hash) {
        return -1; /* every erratum needs its reason */
    }
    *hash = 0;
    snprintf(r->reason, sizeof(r->reason), "%s", hash + 1);
    r->line = lineno;
    if (sscanf(line, "%15s %7s %15s %11s", modes, r->map, ops, r->kind) != 4) {
        return -1;
    }
    r->modes = 0;
    r->modes |= (!strcmp(modes, "*") || strstr(modes, "16")) ? 1 : 0;
    r->modes |= (!strcmp(modes, "*") || strstr(modes, "32")) ? 2 : 0;
    r->modes |= (!strcmp(modes, "*") || strstr(modes, "64")) ? 4 : 0;
    if (!strcmp(ops, "*")) {
        r->op_lo = 0, r->op_hi = 255;
    } else if (sscanf(ops, "%x-%x", &r->op_lo, &r->op_hi) != 2) {
        r->op_lo = r->op_hi = (int)strtol(ops, NULL, 16);
    }
    tok = strtok_r(line, " \t\n", &save);
    for (unsigned i = 0; tok && i < 3; i++) {
        tok = strtok_r(NULL, " \t\n", &save);
    }
    r->ncond = 0;
    while ((tok = strtok_r(NULL, " \t\n", &save)) && r->ncond < 6) {
        snprintf(r->cond[r->ncond++], sizeof(r->cond[0]), "%s", tok);
    }
    return 0;
}

XcErrata *xc_errata_load(const char *path)
{
    XcErrata *er = calloc(1, sizeof(*er));
    char line[512];
    int lineno = 0;
    if (!path) {
        return er;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "xcheck: cannot open %s\n", path);
        free(er);
        return NULL;
    }
    while (fgets(line, sizeof(line), f)) {
        char *p = line + strspn(line, " \t");
        lineno++;
        if (*p == '#' || *p == '\n' || *p == 0) {
            continue;
        }
        er->rules = realloc(er->rules, (er->n + 1) * sizeof(XcRule));
        if (xc_parse_rule(&er->rules[er->n], p, lineno) != 0) {
            fprintf(stderr, "%s:%d: bad erratum (needs '# reason')\n", path,
                    lineno);
            fclose(f);
            xc_errata_free(er);
            return NULL;
        }
        er->n++;
    }
    fclose(f);
    return er;
}

void xc_errata_free(XcErrata *er)
{
    free(er->rules);
    free(er);
}

void xc_tally(XcStats *st, XcResult *x, const XcErrata *er)
{
    if (!st->rule_hits) {
        st->rule_hits = calloc(er->n + 1, sizeof(uint64_t));
    }
    x->rule = -1;
    if (!x->why) {
        x->verdict = XC_AGREE;
        if (x->x_valid) {
            st->agree_valid++;
        } else {
            st->agree_invalid++;
        }
        return;
    }
    for (unsigned i = 0; i < er->n; i++) {
        if (xc_rule_match(&er->rules[i], x)) {
            x->rule = (int)i;
            x->verdict = XC_ERRATUM;
            st->errata++;
            st->rule_hits[i]++;
            return;
        }
    }
    x->verdict = XC_MISMATCH;
    st->fail++;
}

void xc_print_stats(const XcStats *st, const char *mode, uint64_t count,
                    uint64_t seed, const XcErrata *er)
{
    printf("xcheck mode %s seed %llu: %llu strings, %llu agree valid, "
           "%llu agree invalid, %llu errata, %llu mismatches\n",
           mode, (unsigned long long)seed, (unsigned long long)count,
           (unsigned long long)st->agree_valid,
           (unsigned long long)st->agree_invalid,
           (unsigned long long)st->errata, (unsigned long long)st->fail);
    for (unsigned i = 0; st->rule_hits && i < er->n; i++) {
        if (st->rule_hits[i]) {
            printf("  erratum line %d: %llu\n", er->rules[i].line,
                   (unsigned long long)st->rule_hits[i]);
        }
    }
}
