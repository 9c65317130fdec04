/*
 * The memory backend for unit tests (see char_test.h). Output grows without
 * bound (tests are short); input is a queue drained into the frontend in
 * chunks of at most can_read() bytes.
 */
#include "util/char/char_test.h"

#include <stdlib.h>
#include <string.h>

#include "util/common.h"

typedef struct CharTest {
    CharBackend cb;
    uint8_t *out;
    size_t out_len, out_cap;
    uint8_t *in;
    size_t in_len;
    bool delivering; /* receive() may call accept_input() again */
} CharTest;

static int test_write(CharBackend *cb, const uint8_t *buf, int len)
{
    CharTest *s = (CharTest *)cb;
    if (s->out_len + (size_t)len > s->out_cap) {
        s->out_cap = MAX(s->out_cap * 2, s->out_len + (size_t)len);
        s->out = xrealloc(s->out, s->out_cap);
    }
    memcpy(s->out + s->out_len, buf, (size_t)len);
    s->out_len += (size_t)len;
    return len;
}

static void test_deliver(CharTest *s)
{
    if (s->delivering) {
        return;
    }
    s->delivering = true;
    /* bounded: each round moves at least one byte or stops */
    while (s->in_len > 0) {
        int room = char_can_read(&s->cb);
        if (room <= 0) {
            break;
        }
        size_t n = MIN((size_t)room, s->in_len);
        uint8_t chunk[256];
        n = MIN(n, sizeof(chunk));
        memcpy(chunk, s->in, n);
        memmove(s->in, s->in + n, s->in_len - n);
        s->in_len -= n;
        char_receive(&s->cb, chunk, (int)n);
    }
    s->delivering = false;
}

static void test_accept_input(CharBackend *cb)
{
    test_deliver((CharTest *)cb);
}

static void test_close(CharBackend *cb)
{
    CharTest *s = (CharTest *)cb;
    free(s->out);
    free(s->in);
}

static const CharOps test_ops = {
    .write = test_write,
    .accept_input = test_accept_input,
    .close = test_close,
};

CharBackend *char_test_new(void)
{
    CharTest *s = xzalloc(sizeof(*s));
    char_init(&s->cb, &test_ops, NULL);
    return &s->cb;
}

const uint8_t *char_test_output(CharBackend *cb, size_t *len)
{
    CharTest *s = (CharTest *)cb;
    *len = s->out_len;
    return s->out;
}

void char_test_clear_output(CharBackend *cb)
{
    ((CharTest *)cb)->out_len = 0;
}

size_t char_test_inject(CharBackend *cb, const void *buf, size_t len)
{
    CharTest *s = (CharTest *)cb;
    s->in = xrealloc(s->in, s->in_len + len + 1);
    memcpy(s->in + s->in_len, buf, len);
    s->in_len += len;
    test_deliver(s);
    return s->in_len;
}

size_t char_test_pending_input(CharBackend *cb)
{
    return ((CharTest *)cb)->in_len;
}
