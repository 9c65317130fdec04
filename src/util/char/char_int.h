/*
 * Private to src/util/char: the constructors behind char_open(). Each
 * returns a CharBackend initialised with char_init(), or NULL with *err.
 */
#ifndef XLAT_UTIL_CHAR_CHAR_INT_H
#define XLAT_UTIL_CHAR_CHAR_INT_H

#include "util/char/char.h"

CharBackend *char_null_new(MainLoop *ml);
CharBackend *char_file_new(const CharSpec *spec, MainLoop *ml, char **err);
CharBackend *char_pipe_new(const CharSpec *spec, MainLoop *ml, char **err);
CharBackend *char_stdio_new(const CharSpec *spec, MainLoop *ml, char **err);
CharBackend *char_socket_new(const CharSpec *spec, MainLoop *ml, char **err);
/* the socket backend's local port, or -1 when cb is not a socket */
int char_socket_local_port(CharBackend *cb);

/* write all of buf to a (blocking) fd, retrying on EINTR; -1 on error */
int char_write_fd(int fd, const uint8_t *buf, int len);

#endif
