/* plugins/recorders/chrome_trace/json.c - see json.h. */
#include <string.h>

#include "json.h"

static int is_continuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* The length of the valid UTF-8 sequence (RFC 3629) that starts at s, n
   bytes long at most, or 0 when s[0] starts none. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];

    if (c < 0x80)
        return 1;
    if (c < 0xC2 || c > 0xF4) /* continuation, overlong 2-byte, > U+10FFFF */
        return 0;
    if (c < 0xE0)
        return n >= 2 && is_continuation(s[1]) ? 2 : 0;
    if (c < 0xF0) {
        if (n < 3 || !is_continuation(s[1]) || !is_continuation(s[2]))
            return 0;
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0))
            return 0; /* overlong, or a surrogate */
        return 3;
    }
    if (n < 4 || !is_continuation(s[1]) || !is_continuation(s[2]) ||
        !is_continuation(s[3]))
        return 0;
    if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90))
        return 0; /* overlong, or past U+10FFFF */
    return 4;
}

/* A control character: its short escape, or \u00XX. */
static char *put_control(char *dst, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    static const char short_form[32] = {
        ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'};

    *dst++ = '\\';
    if (short_form[c] != 0) {
        *dst++ = short_form[c];
        return dst;
    }
    dst = JSON_PUT(dst, "u00");
    *dst++ = hex[c >> 4];
    *dst++ = hex[c & 0xF];
    return dst;
}

char *json_string(char *dst, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;

    *dst++ = '"';
    while (i < len) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            *dst++ = (char)c; /* the common case: plain ASCII */
            i++;
        } else if (c == '"' || c == '\\') {
            *dst++ = '\\';
            *dst++ = (char)c;
            i++;
        } else if (c < 0x20) {
            dst = put_control(dst, c);
            i++;
        } else {
            size_t n = utf8_sequence(s + i, len - i);
            if (n == 0) {
                dst = JSON_PUT(dst, "\\ufffd");
                n = 1;
            } else {
                memcpy(dst, s + i, n);
                dst += n;
            }
            i += n;
        }
    }
    *dst++ = '"';
    return dst;
}

char *json_uint(char *dst, uint64_t value)
{
    char digits[JSON_UINT_MAX];
    size_t n = 0;

    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (n > 0)
        *dst++ = digits[--n];
    return dst;
}

char *json_int(char *dst, int64_t value)
{
    if (value >= 0)
        return json_uint(dst, (uint64_t)value);
    *dst++ = '-';
    return json_uint(dst, 0 - (uint64_t)value);
}

char *json_microseconds(char *dst, uint64_t ns)
{
    unsigned fraction = (unsigned)(ns % 1000);

    dst = json_uint(dst, ns / 1000);
    *dst++ = '.';
    *dst++ = (char)('0' + fraction / 100);
    *dst++ = (char)('0' + fraction / 10 % 10);
    *dst++ = (char)('0' + fraction % 10);
    return dst;
}
