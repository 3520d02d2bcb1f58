/*
 * recorders/zmq: valid UTF-8 for the wire.
 *
 * JSON text must be UTF-8, and record text usually is, but nothing in the
 * plugin ABI promises it.  Invalid bytes are replaced the way Python's
 * bytes.decode("utf-8", "replace") does: each maximal invalid subsequence
 * becomes one U+FFFD.
 */
#ifndef PIKOS_ZMQ_UTF8_H
#define PIKOS_ZMQ_UTF8_H

#include <stddef.h>

/* The most bytes utf8_repair can write for `len` input bytes. */
#define UTF8_REPAIRED_MAX(len) (3 * (len))

/* Whether the `len` bytes at `text` are valid UTF-8. */
int utf8_is_valid(const char *text, size_t len);

/* Copies `text` to `out` (UTF8_REPAIRED_MAX(len) bytes of room) with every
   maximal invalid subsequence replaced by U+FFFD; returns the length
   written. */
size_t utf8_repair(const char *text, size_t len, char *out);

#endif
