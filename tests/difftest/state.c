/*
 * Difftest states: names, a reproducible random generator that favours the
 * values where flag logic goes wrong (0, all-ones, sign boundaries), and a
 * printer of differences between two states.
 */
#include "native.h"

#include <inttypes.h>
#include <string.h>

static const char *const reg_names[DT_NREGS] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15",
};

static const char *const exc_names[] = {
    [DT_EXC_NONE] = "none",       [DT_EXC_DE] = "#DE",
    [DT_EXC_DB] = "#DB",          [DT_EXC_BP] = "#BP",
    [DT_EXC_UD] = "#UD",          [DT_EXC_SS] = "#SS",
    [DT_EXC_GP] = "#GP",          [DT_EXC_PF] = "#PF",
    [DT_EXC_MF] = "#MF",          [DT_EXC_AC] = "#AC",
    [DT_EXC_XM] = "#XM",          [DT_EXC_OTHER] = "other",
    [DT_EXC_TIMEOUT] = "timeout", [DT_EXC_KILLED] = "killed",
};

const char *dt_reg_name(DtGpr r)
{
    return (unsigned)r < DT_NREGS ? reg_names[r] : "?";
}

DtException dt_exc_from_vector(int vector)
{
    switch (vector) {
    case 0:
        return DT_EXC_DE;
    case 1:
        return DT_EXC_DB;
    case 3:
        return DT_EXC_BP;
    case 6:
        return DT_EXC_UD;
    case 12:
        return DT_EXC_SS;
    case 13:
        return DT_EXC_GP;
    case 14:
        return DT_EXC_PF;
    case 16:
        return DT_EXC_MF;
    case 17:
        return DT_EXC_AC;
    case 19:
        return DT_EXC_XM;
    default:
        return DT_EXC_OTHER;
    }
}

const char *dt_exc_name(DtException e)
{
    if ((unsigned)e >= sizeof(exc_names) / sizeof(exc_names[0])) {
        return "?";
    }
    return exc_names[e];
}

void dt_state_init(DtState *s)
{
    memset(s, 0, sizeof(*s));
    s->gpr[DT_RSP] = DT_DATA_ADDR + DT_DATA_SIZE - 64;
    s->rip = DT_CODE_ADDR;
    s->rflags = 0;
    s->mxcsr = 0x1f80;
}

/* splitmix64: small, good enough, and the same on every host */
static uint64_t dt_rand(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t dt_rand_value(uint64_t *x)
{
    static const uint64_t edges[] = {
        0,
        1,
        ~0ull,
        0x7fffffffffffffffull,
        0x8000000000000000ull,
        0x7fffffff,
        0x80000000,
        0xffffffff,
        0x7fff,
        0x8000,
        0xffff,
        0x7f,
        0x80,
        0xff,
    };
    uint64_t r = dt_rand(x);
    switch (r & 7) {
    case 0:
        return edges[(r >> 8) % (sizeof(edges) / sizeof(edges[0]))];
    case 1:
        return (r >> 8) & 0xff; /* small */
    case 2:
        return DT_DATA_ADDR + ((r >> 8) % DT_DATA_SIZE); /* a data pointer */
    default:
        return dt_rand(x);
    }
}

void dt_state_random(DtState *s, uint64_t seed)
{
    uint64_t x = seed;
    dt_state_init(s);
    for (unsigned i = 0; i < DT_NREGS; i++) {
        s->gpr[i] = dt_rand_value(&x);
    }
    /* a usable stack in the middle of the data region, 16-byte aligned */
    s->gpr[DT_RSP] = DT_DATA_ADDR + DT_DATA_SIZE / 2 + (dt_rand(&x) & 0x3f0);
    s->rflags = dt_rand(&x) & DT_FLAGS_STATUS;
    for (unsigned i = 0; i < DT_DATA_SIZE; i += 8) {
        uint64_t v = dt_rand(&x);
        memcpy(&s->data[i], &v, 8);
    }
}

static int dt_diff_data(const DtState *a, const DtState *b, FILE *f)
{
    int n = 0;
    for (unsigned i = 0; i < DT_DATA_SIZE; i++) {
        if (a->data[i] == b->data[i]) {
            continue;
        }
        if (f && n < 32) {
            fprintf(f, "  data[0x%x] (0x%" PRIx64 "): 0x%02x vs 0x%02x\n", i,
                    (uint64_t)(DT_DATA_ADDR + i), a->data[i], b->data[i]);
        }
        n++;
    }
    if (f && n > 32) {
        fprintf(f, "  ... %d data bytes differ in all\n", n);
    }
    return n;
}

static int dt_diff_u64(const char *name, uint64_t a, uint64_t b, FILE *f)
{
    if (a == b) {
        return 0;
    }
    if (f) {
        fprintf(f, "  %s: 0x%016" PRIx64 " vs 0x%016" PRIx64 "\n", name, a, b);
    }
    return 1;
}

int dt_state_diff(const DtState *a, const DtState *b, uint64_t flag_mask,
                  FILE *f)
{
    int n = 0;
    for (unsigned i = 0; i < DT_NREGS; i++) {
        n += dt_diff_u64(reg_names[i], a->gpr[i], b->gpr[i], f);
    }
    n += dt_diff_u64("rip", a->rip, b->rip, f);
    n += dt_diff_u64("rflags", a->rflags & flag_mask, b->rflags & flag_mask, f);
    for (unsigned i = 0; i < 16; i++) {
        static const char *const half[] = {"lo", "hi"};
        for (unsigned h = 0; h < 2; h++) {
            char name[16];
            snprintf(name, sizeof(name), "xmm%u.%s", i, half[h]);
            n += dt_diff_u64(name, a->xmm[i][h], b->xmm[i][h], f);
        }
    }
    n += dt_diff_u64("mxcsr", a->mxcsr, b->mxcsr, f);
    return n + dt_diff_data(a, b, f);
}
