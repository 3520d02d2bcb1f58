/*
 * cli/watch/watch_format.c - text helpers the snapshot and the curses view
 * share.
 *
 * Strings from a stream are valid UTF-8 (the JSON decoder checks) but may
 * hold control characters; shown raw, ESC sequences would drive the
 * terminal.  Every string from a stream is shown through these helpers,
 * which print C0 controls, DEL and C1 controls as '?'.
 */
#include <stdlib.h>
#include <string.h>

#include "watch.h"

const char *const pikos_watch_blocks[8] = {"\u2581", "\u2582", "\u2583",
                                           "\u2584", "\u2585", "\u2586",
                                           "\u2587", "\u2588"};

/* The bytes of the UTF-8 character at s: 1 to 4 (1 for a stray byte; a
   sequence cut short ends where it is cut). */
static size_t char_length(const unsigned char *s)
{
    size_t n = *s < 0xC0 ? 1 : *s < 0xE0 ? 2 : *s < 0xF0 ? 3 : 4;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return i;
    return n;
}

/* C0 controls, DEL, C1 controls (U+0080..U+009F) and stray bytes. */
static int is_control(const unsigned char *s, size_t len)
{
    if (len == 1)
        return *s < 0x20 || *s >= 0x7F;
    return len == 2 && s[0] == 0xC2 && s[1] < 0xA0;
}

void pikos_watch_put_printable(FILE *out, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    while (*s) {
        size_t len = char_length(s);
        if (is_control(s, len))
            fputc('?', out);
        else
            fwrite(s, 1, len, out);
        s += len;
    }
}

size_t pikos_watch_printable(const char *text, size_t columns, char *buf,
                             size_t size)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t used = 0, chars = 0;
    while (*s && chars < columns) {
        size_t len = char_length(s);
        if (used + len + 1 > size)
            break;
        if (is_control(s, len))
            buf[used++] = '?';
        else {
            memcpy(buf + used, s, len);
            used += len;
        }
        s += len;
        chars++;
    }
    buf[used] = '\0';
    return chars;
}

size_t pikos_watch_text_width(const char *text)
{
    size_t chars = 0;
    for (const unsigned char *s = (const unsigned char *)text; *s;
         s += char_length(s))
        chars++;
    return chars;
}

/* A double as Python's repr writes it: the fewest digits that read back
   the same, in fixed notation when the exponent is in [-4, 16) (with
   ".0" when there is no fraction), else in scientific notation. */
static void real_text(double value, char *buf, size_t size)
{
    char sci[40];
    int digits;
    for (digits = 1; digits < 17; digits++) {
        snprintf(sci, sizeof(sci), "%.*e", digits - 1, value);
        if (strtod(sci, NULL) == value)
            break;
    }
    snprintf(sci, sizeof(sci), "%.*e", digits - 1, value);
    int exponent = atoi(strchr(sci, 'e') + 1);
    if (exponent < -4 || exponent >= 16) {
        snprintf(buf, size, "%s", sci);
        return;
    }
    int decimals = digits - 1 - exponent;
    snprintf(buf, size, "%.*f", decimals > 0 ? decimals : 0, value);
    if (!strchr(buf, '.') && strlen(buf) + 3 <= size)
        strcat(buf, ".0");
}

void pikos_watch_value_text(const json_t *value, char *buf, size_t size)
{
    if (json_is_integer(value))
        snprintf(buf, size, "%lld", (long long)json_integer_value(value));
    else if (json_is_real(value))
        real_text(json_real_value(value), buf, size);
    else if (json_is_string(value))
        pikos_watch_printable(json_string_value(value), (size_t)-1, buf, size);
    else if (json_is_null(value))
        snprintf(buf, size, "nan"); /* a float JSON cannot hold */
    else
        snprintf(buf, size, "?");
}

double pikos_watch_percent(unsigned long long part, unsigned long long whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

void pikos_watch_duration_text(unsigned long long ns, char *buf, size_t size)
{
    if (ns >= 1000000000u)
        snprintf(buf, size, "%.2fs", (double)ns / 1e9);
    else if (ns >= 1000000u)
        snprintf(buf, size, "%.2fms", (double)ns / 1e6);
    else if (ns >= 1000u)
        snprintf(buf, size, "%.2fus", (double)ns / 1e3);
    else
        snprintf(buf, size, "%lluns", ns);
}
