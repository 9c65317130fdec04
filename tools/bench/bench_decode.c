/*
 * bench-decode: decoder throughput on a realistic instruction mix, the .text
 * section of /bin/bash (or the ELF file given as argv[1]), found through the
 * ELF64 section headers. Decodes the section front to back, skipping one
 * byte after a decode error, for about a second per round, and prints
 * instructions per CPU-second (best of 3 rounds) and the error rate.
 * `--limit N` instead decodes N instructions once (cycling over the section)
 * and prints the count: a short, fixed workload for callgrind.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu/decode.h"

static uint8_t *bench_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0) {
        if (f) {
            fclose(f);
        }
        return NULL;
    }
    rewind(f);
    buf = xmalloc((size_t)n);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* locate .text in an ELF64 image: returns 0 and sets the offset/length */
static int bench_find_text(const uint8_t *img, size_t size, size_t *off,
                           size_t *len)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
    if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shstrndx >= eh->e_shnum ||
        eh->e_shoff + (size_t)eh->e_shnum * sizeof(Elf64_Shdr) > size) {
        return -1;
    }
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(img + eh->e_shoff);
    const Elf64_Shdr *strs = &sh[eh->e_shstrndx];
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        size_t name = strs->sh_offset + sh[i].sh_name;
        if (name + 6 <= size && !memcmp(img + name, ".text", 6) &&
            sh[i].sh_offset + sh[i].sh_size <= size) {
            *off = sh[i].sh_offset;
            *len = sh[i].sh_size;
            return 0;
        }
    }
    return -1;
}

/* CPU time of this process: the figure stays per-core on a loaded host */
static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* one pass over the code; returns instructions decoded, counts errors */
static uint64_t bench_pass(const uint8_t *code, size_t len, uint64_t *errors,
                           uint64_t *sum)
{
    uint64_t n = 0;
    DecodedInsn d;
    for (size_t off = 0; off < len;) {
        int r = x86_decode(&d, code + off, len - off, X86_MODE64);
        if (r == X86_DEC_OK) {
            off += d.len;
            *sum += d.id;
            n++;
        } else {
            off++;
            (*errors)++;
        }
    }
    return n;
}

/* --limit N: decode exactly N instructions (for callgrind), print a checksum */
static int bench_limited(const uint8_t *code, size_t len, uint64_t limit)
{
    uint64_t n = 0, errors = 0, sum = 0;
    DecodedInsn d;
    for (size_t off = 0; n < limit; off = off < len ? off : 0) {
        int r = x86_decode(&d, code + off, len - off, X86_MODE64);
        if (r == X86_DEC_OK) {
            off += d.len;
            sum += d.id;
            n++;
        } else {
            off++;
            errors++;
        }
    }
    printf("bench-decode: %llu insns, %llu errors, checksum %llu\n",
           (unsigned long long)n, (unsigned long long)errors,
           (unsigned long long)sum);
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t limit = 0;
    if (argc > 2 && !strcmp(argv[1], "--limit")) {
        limit = strtoull(argv[2], NULL, 0);
        argc -= 2;
        argv += 2;
    }
    const char *path = argc > 1 ? argv[1] : "/bin/bash";
    size_t size, off, len;
    uint8_t *img = bench_read_file(path, &size);
    if (!img || bench_find_text(img, size, &off, &len) != 0) {
        fprintf(stderr, "bench-decode: no ELF64 .text in %s\n", path);
        free(img);
        return 1;
    }
    if (limit) {
        int rc = bench_limited(img + off, len, limit);
        free(img);
        return rc;
    }
    double best = 0;
    uint64_t insns = 0, errors = 0, sum = 0;
    for (int round = 0; round < 3; round++) {
        uint64_t n = 0, e = 0;
        double t0 = bench_now(), t;
        do {
            n += bench_pass(img + off, len, &e, &sum);
        } while ((t = bench_now() - t0) < 1.0);
        if (n / t > best) {
            best = n / t;
            insns = n;
            errors = e;
        }
    }
    printf("bench-decode: %s .text %zu bytes: %.1f M insns/s "
           "(%llu insns, %.3f%% bytes skipped, checksum %llu)\n",
           path, len, best / 1e6, (unsigned long long)insns,
           100.0 * errors / (insns + errors), (unsigned long long)sum & 0xff);
    free(img);
    return 0;
}
