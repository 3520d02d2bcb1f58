/*
 * plugins/recorders/perfetto/same_bytes.h - whether two short strings
 * hold the same bytes, inline: the interning confirms by content each
 * name it finds by address (intern.h), once per call event, and for names
 * (tens of bytes) memcmp's call and set-up cost more than the compare.
 *
 * A few wide loads cover any length, the last one overlapping the one
 * before: 16 bytes at a time (one SSE2 compare where there is SSE2),
 * else 8 or 4 bytes twice, else the first, middle and last byte.
 */
#ifndef PIKOS_PERFETTO_SAME_BYTES_H
#define PIKOS_PERFETTO_SAME_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* One load each (memcpy: at any alignment). */
static inline int same_8(const char *a, const char *b)
{
    uint64_t x, y;
    memcpy(&x, a, sizeof(x));
    memcpy(&y, b, sizeof(y));
    return x == y;
}

static inline int same_4(const char *a, const char *b)
{
    uint32_t x, y;
    memcpy(&x, a, sizeof(x));
    memcpy(&y, b, sizeof(y));
    return x == y;
}

static inline int same_16(const char *a, const char *b)
{
#ifdef __SSE2__
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)a);
    __m128i y = _mm_loadu_si128((const __m128i *)(const void *)b);
    return _mm_movemask_epi8(_mm_cmpeq_epi8(x, y)) == 0xffff;
#else
    return same_8(a, b) & same_8(a + 8, b + 8);
#endif
}

static inline __attribute__((always_inline)) int
same_bytes(const char *a, const char *b, size_t len)
{
    if (len >= 16) {
        for (size_t i = 0; i + 16 < len; i += 16)
            if (!same_16(a + i, b + i))
                return 0;
        return same_16(a + len - 16, b + len - 16);
    }
    if (len >= 8)
        return same_8(a, b) & same_8(a + len - 8, b + len - 8);
    if (len >= 4)
        return same_4(a, b) & same_4(a + len - 4, b + len - 4);
    return len == 0 || ((a[0] == b[0]) & (a[len / 2] == b[len / 2]) &
                        (a[len - 1] == b[len - 1]));
}

#endif /* PIKOS_PERFETTO_SAME_BYTES_H */
