/*
 * cli/watch/watch_memory.c - a memory counter (RSS or VMS) over a stream: its
 * current and peak values and the cells of its sparkline.
 *
 * Records carry no time, but they arrive in the order the program made
 * them, so the line runs over records: each cell is the peak of an equal
 * run of them.  The cells always span the whole stream in bounded memory:
 * when they are full, pairs merge and each run doubles.
 */
#include <string.h>

#include "watch.h"

static long long max_of(long long a, long long b)
{
    return a > b ? a : b;
}

/* Two neighbouring cells become one: half as many cells, twice the run. */
static void merge_pairs(struct pikos_watch_series *series)
{
    for (size_t i = 0; i < series->ncells / 2; i++)
        series->cells[i] =
            max_of(series->cells[2 * i], series->cells[2 * i + 1]);
    series->ncells /= 2;
    series->per_cell *= 2;
}

void pikos_watch_series_add(struct pikos_watch_series *series, long long value)
{
    if (series->per_cell == 0) { /* the first record */
        series->per_cell = 1;
        series->peak = value;
    }
    series->current = value;
    series->peak = max_of(series->peak, value);
    if (series->ncells > 0 && series->in_last < series->per_cell) {
        size_t last = series->ncells - 1;
        series->cells[last] = max_of(series->cells[last], value);
        series->in_last++;
        return;
    }
    if (series->ncells == PIKOS_WATCH_SPARK_CELLS)
        merge_pairs(series); /* the last cell is full, so merged ones are */
    series->cells[series->ncells++] = value;
    series->in_last = 1;
}

/* The glyph of one cell: lowest cell -> levels[0], highest -> the last. */
static size_t level_of(long long value, long long low, long long high,
                       size_t nlevels)
{
    if (high <= low)
        return 0;
    double share = ((double)value - (double)low) / ((double)high - (double)low);
    size_t level = (size_t)(share * (double)(nlevels - 1) + 0.5);
    return level < nlevels ? level : nlevels - 1;
}

void pikos_watch_sparkline(const struct pikos_watch_series *series,
                           const char *const *levels, size_t nlevels, char *buf,
                           size_t size)
{
    long long low = series->ncells ? series->cells[0] : 0, high = low;
    for (size_t i = 1; i < series->ncells; i++) {
        low = series->cells[i] < low ? series->cells[i] : low;
        high = max_of(high, series->cells[i]);
    }
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < series->ncells; i++) {
        const char *glyph =
            levels[level_of(series->cells[i], low, high, nlevels)];
        size_t len = strlen(glyph);
        if (used + len + 1 > size)
            break;
        memcpy(buf + used, glyph, len + 1);
        used += len;
    }
}
