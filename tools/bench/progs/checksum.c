/* checksum: adler32 and a table-driven crc32 over a 1 MiB buffer, many passes.
 */
#include "rt.h"

#define BUF_SIZE (1u << 20)
#define PASSES 80

static uint8_t buf[BUF_SIZE];
static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        }
        crc_table[i] = c;
    }
}

static uint32_t crc32(const uint8_t *p, size_t n, uint32_t crc)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    }
    return ~crc;
}

static uint32_t adler32(const uint8_t *p, size_t n, uint32_t adler)
{
    uint32_t a = adler & 0xffff, b = adler >> 16;
    for (size_t i = 0; i < n; i++) {
        a = (a + p[i]) % 65521;
        b = (b + a) % 65521;
    }
    return (b << 16) | a;
}

static int bench_main(uint64_t scale)
{
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < BUF_SIZE; i += 8) {
        uint64_t r = rt_rand(&s);
        memcpy(buf + i, &r, 8);
    }
    crc_init();
    uint32_t crc = 0, ad = 1;
    for (uint64_t pass = 0; pass < PASSES / scale; pass++) {
        buf[pass] ^= (uint8_t)pass;
        crc = crc32(buf, BUF_SIZE, crc);
        ad = adler32(buf, BUF_SIZE, ad);
    }
    rt_print("crc32", crc);
    rt_print("adler32", ad);
    return 0;
}
