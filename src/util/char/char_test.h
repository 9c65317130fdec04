/*
 * A memory character backend for unit tests: it records everything the
 * frontend writes and feeds injected input to the frontend as fast as the
 * frontend's can_read() allows (the rest waits for char_accept_input()).
 */
#ifndef XLAT_UTIL_CHAR_CHAR_TEST_H
#define XLAT_UTIL_CHAR_CHAR_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "util/char/char.h"

CharBackend *char_test_new(void);
/* all output so far; *len gets its length */
const uint8_t *char_test_output(CharBackend *cb, size_t *len);
void char_test_clear_output(CharBackend *cb);
/* queue input and deliver what the frontend takes; returns bytes waiting */
size_t char_test_inject(CharBackend *cb, const void *buf, size_t len);
size_t char_test_pending_input(CharBackend *cb);

#endif
