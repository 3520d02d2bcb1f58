/*
 * plugins/recorders/chrome_trace/json.{c,h} - the JSON text of strings and
 * numbers, written straight into a buffer the caller sized with the
 * *_MAX bounds below (no allocation, no snprintf).
 *
 * Strings from records (function names, file names, source lines) may hold
 * any bytes: valid UTF-8 is copied as it is, each byte that starts no valid
 * sequence (a stray continuation byte, an overlong form, a surrogate, past
 * U+10FFFF, a cut sequence) becomes U+FFFD, so the file is always valid
 * UTF-8 JSON (RFC 8259).  Quotes, backslashes and control characters are
 * escaped.
 */
#ifndef PIKOS_CHROME_TRACE_JSON_H
#define PIKOS_CHROME_TRACE_JSON_H

#include <stddef.h>
#include <stdint.h>

/* The most bytes json_string writes for `len` bytes of text: each byte
   may become a six-byte escape (\u001f, \ufffd), plus the quotes. */
#define JSON_STRING_MAX(len) (6 * (size_t)(len) + 2)
/* The most bytes of json_uint (20 digits) and json_int (a sign more). */
#define JSON_UINT_MAX 20
#define JSON_INT_MAX 21
/* The most bytes of json_microseconds: 17 digits, '.', 3 digits. */
#define JSON_MICROSECONDS_MAX 21

/* "text", escaped; returns the end of what it wrote. */
char *json_string(char *dst, const char *text, size_t len);
/* A number in decimal; returns the end of what it wrote. */
char *json_uint(char *dst, uint64_t value);
char *json_int(char *dst, int64_t value);
/* Nanoseconds as microseconds with all three decimals: 1234567 ->
   1234.567 (the trace format's unit, at the records' precision). */
char *json_microseconds(char *dst, uint64_t ns);

/* Copies a string literal; returns the end. */
#define JSON_PUT(dst, literal)                                                 \
    (memcpy((dst), (literal), sizeof(literal) - 1), (dst) + sizeof(literal) - 1)

#endif /* PIKOS_CHROME_TRACE_JSON_H */
