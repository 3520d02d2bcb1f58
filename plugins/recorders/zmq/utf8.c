/*
 * recorders/zmq: replacing invalid UTF-8 (see utf8.h).
 *
 * A sequence is checked byte by byte against the well-formed ranges of the
 * Unicode standard (table 3-7): the lead byte fixes the length and the range
 * of the second byte (which rules out overlong forms, surrogates and code
 * points above U+10FFFF); the others are 80..BF.  Where a sequence breaks,
 * the bytes read so far are its "maximal subpart" and become one U+FFFD,
 * and reading goes on at the byte that broke it.
 */
#include <stdint.h>
#include <string.h>

#include "utf8.h"

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* Length of the sequence a lead byte starts (0: not a lead byte) and the
   range its second byte must be in. */
static size_t sequence_length(unsigned char lead, unsigned char *low,
                              unsigned char *high)
{
    *low = 0x80;
    *high = 0xBF;
    if (lead < 0x80)
        return 1;
    if (lead < 0xC2)
        return 0; /* a continuation byte, or an overlong 2-byte lead */
    if (lead < 0xE0)
        return 2;
    if (lead < 0xF0) {
        if (lead == 0xE0)
            *low = 0xA0; /* no overlong forms */
        else if (lead == 0xED)
            *high = 0x9F; /* no surrogates */
        return 3;
    }
    if (lead < 0xF5) {
        if (lead == 0xF0)
            *low = 0x90; /* no overlong forms */
        else if (lead == 0xF4)
            *high = 0x8F; /* nothing above U+10FFFF */
        return 4;
    }
    return 0;
}

/* How many bytes at text[0..len) form one valid sequence; 0 when they do
   not, with *bad the length of the maximal invalid subpart (at least 1). */
static size_t valid_sequence(const unsigned char *text, size_t len, size_t *bad)
{
    unsigned char low, high;
    size_t need = sequence_length(text[0], &low, &high);

    *bad = 1;
    if (need == 0)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if (i == len || text[i] < low || text[i] > high) {
            *bad = i;
            return 0;
        }
        low = 0x80;
        high = 0xBF;
    }
    return need;
}

/* Whether 8 bytes are all ASCII. */
static int all_ascii(const char *text)
{
    uint64_t word;
    memcpy(&word, text, sizeof(word));
    return (word & 0x8080808080808080ull) == 0;
}

int utf8_is_valid(const char *text, size_t len)
{
    const unsigned char *bytes = (const unsigned char *)text;
    size_t i = 0, bad;

    while (i < len) {
        if (i + 8 <= len && all_ascii(text + i)) {
            i += 8;
            continue;
        }
        size_t n = valid_sequence(bytes + i, len - i, &bad);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

size_t utf8_repair(const char *text, size_t len, char *out)
{
    const unsigned char *bytes = (const unsigned char *)text;
    size_t i = 0, written = 0, bad;

    while (i < len) {
        size_t n = valid_sequence(bytes + i, len - i, &bad);
        if (n > 0) {
            memcpy(out + written, text + i, n);
            written += n;
            i += n;
        } else {
            memcpy(out + written, replacement, 3);
            written += 3;
            i += bad;
        }
    }
    return written;
}
