/*
 * The flag tests' machine (fl_machine.h): identity-mapped user pages, the
 * CPU in long mode at CPL 3, and the `-d op_opt` capture of the first
 * translated block.
 */
#include "fl_machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/exec.h"
#include "mmu/memory.h"
#include "util/common.h"
#include "util/log.h"

#define FL_RAM (2u << 20)
#define FL_RWU 0x7ull

static void fl_st64(FlMachine *m, uint64_t pa, uint64_t v)
{
    memcpy(m->mem + pa, &v, 8);
}

static void fl_page_tables(FlMachine *m)
{
    fl_st64(m, 0x1000, 0x2000 | FL_RWU);
    fl_st64(m, 0x2000, 0x3000 | FL_RWU);
    fl_st64(m, 0x3000, 0x4000 | FL_RWU);
    for (unsigned i = 16; i < 512; i++) {
        if (i != FL_HOLE >> 12) {
            fl_st64(m, 0x4000 + 8 * i, (0x1000ull * i) | FL_RWU);
        }
    }
}

static void fl_cpu_mode(CpuX86 *env)
{
    uint32_t dpl = 3u << SEG_AR_DPL_SHIFT;
    uint32_t data = SEG_AR_P | SEG_AR_S | dpl | 0x3u | SEG_AR_DB | SEG_AR_G;
    env->cr[0] = CR0_PE | CR0_PG | CR0_WP | CR0_ET | CR0_NE;
    env->cr[3] = 0x1000;
    env->cr[4] = CR4_PAE;
    env->efer = EFER_LME | EFER_LMA | EFER_NXE;
    for (int i = 0; i < CPU_NB_SEGS; i++) {
        cpu_seg_set(env, i, 0x2b, 0, 0xffffffff, data);
    }
    cpu_seg_set(env, R_CS, 0x33, 0, 0xffffffff,
                SEG_AR_P | SEG_AR_S | dpl | 0xbu | SEG_AR_L | SEG_AR_G);
    cpu_update_hflags(env);
    tlb_flush(env);
}

void fl_new(FlMachine *m, TcgBackendKind backend)
{
    m->root = mr_new_container("sys", 1ull << 40);
    m->ram = mr_new_ram("ram", FL_RAM);
    mr_add_subregion(m->root, 0, m->ram, 0);
    m->as = as_new("system", m->root);
    m->mem = mr_ram_ptr(m->ram);
    fl_page_tables(m);
    m->env = cpu_x86_new(m->as);
    fl_cpu_mode(m->env);
    memset(m->env->regs, 0, sizeof(m->env->regs));
    m->env->regs[R_ESP] = FL_STACK;
    m->tcg = cpu_tcg_new(backend, 1u << 20);
    cpu_exec_attach(m->env, m->tcg);
}

void fl_free(FlMachine *m)
{
    cpu_exec_detach(m->env);
    tcg_free(m->tcg);
    cpu_x86_free(m->env);
    as_free(m->as);
    mr_free_tree(m->root);
}

int fl_run(FlMachine *m, const uint8_t *code, size_t len)
{
    memset(m->mem + FL_CODE, 0xcc, 0x1000);
    memcpy(m->mem + FL_CODE, code, len);
    m->env->rip = FL_CODE;
    for (int i = 0; i < 1000; i++) {
        if (cpu_exec(m->env) == CPU_EXIT_EXCEPTION) {
            return m->env->exception_index;
        }
    }
    return -1;
}

static char *fl_slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = xzalloc(1 << 20);
    size_t n = f ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    buf[n] = 0;
    if (f) {
        fclose(f);
    }
    return buf;
}

/* the dump of the block at FL_CODE, up to the next block's */
static char *fl_first_block(char *text)
{
    char head[64];
    snprintf(head, sizeof(head), "OP after optimization: pc=0x%llx\n",
             (unsigned long long)FL_CODE);
    char *p = strstr(text, head);
    char *r = xstrdup(p ? p : "");
    char *next = strstr(r + 1, "OP after optimization");
    if (next) {
        *next = 0;
    }
    return r;
}

char *fl_ir(const uint8_t *code, size_t len, int *vector)
{
    char path[] = "/tmp/xlat-flags-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) {
        close(fd);
    }
    FlMachine m;
    fl_new(&m, TCG_BACKEND_JIT);
    log_set_file(path);
    log_set_mask(LOG_OP_OPT);
    *vector = fl_run(&m, code, len);
    log_set_mask(0);
    log_flush();
    fl_free(&m);
    char *text = fl_slurp(path);
    unlink(path);
    char *r = fl_first_block(text);
    free(text);
    return r;
}

unsigned fl_count(const char *text, const char *needle)
{
    unsigned n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}
