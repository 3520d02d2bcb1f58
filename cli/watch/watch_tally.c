/*
 * cli/watch/watch_tally.c - the tables of a stream: one row per function (or
 * per source line) with its counts, found by a hash of its key.
 *
 * Rows live in one array in first-seen order; `slots` is an open-addressing
 * index into it (linear probing, kept at most 3/4 full), so a record costs
 * one hash and, when its function or line is new, one row.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "watch.h"

/* FNV-1a, 64 bits. */
static uint64_t hash_bytes(uint64_t hash, const void *data, size_t size)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < size; i++) {
        hash ^= p[i];
        hash *= 1099511628211u;
    }
    return hash;
}

static uint64_t hash_key(const char *function, const char *filename,
                         long long line_no)
{
    uint64_t hash = 14695981039346656037u;
    hash = hash_bytes(hash, function, strlen(function) + 1);
    hash = hash_bytes(hash, filename, strlen(filename) + 1);
    return hash_bytes(hash, &line_no, sizeof(line_no));
}

static int row_has_key(const struct pikos_watch_row *row, const char *function,
                       const char *filename, long long line_no)
{
    return row->line_no == line_no && strcmp(row->function, function) == 0 &&
           strcmp(row->filename, filename) == 0;
}

/* The slot holding that key's row, or the empty slot where it goes. */
static size_t find_slot(const struct pikos_watch_tally *tally,
                        const char *function, const char *filename,
                        long long line_no)
{
    size_t mask = tally->nslots - 1;
    size_t i = (size_t)hash_key(function, filename, line_no) & mask;
    while (tally->slots[i] != 0 &&
           !row_has_key(&tally->rows[tally->slots[i] - 1], function, filename,
                        line_no))
        i = (i + 1) & mask;
    return i;
}

/* Doubles the index (64 slots at first) and re-inserts every row. */
static int grow_slots(struct pikos_watch_tally *tally)
{
    size_t nslots = tally->nslots ? tally->nslots * 2 : 64;
    size_t *slots = calloc(nslots, sizeof(*slots));
    if (!slots)
        return -1;
    free(tally->slots);
    tally->slots = slots;
    tally->nslots = nslots;
    for (size_t r = 0; r < tally->count; r++) {
        const struct pikos_watch_row *row = &tally->rows[r];
        slots[find_slot(tally, row->function, row->filename, row->line_no)] =
            r + 1;
    }
    return 0;
}

static int grow_rows(struct pikos_watch_tally *tally)
{
    size_t capacity = tally->capacity ? tally->capacity * 2 : 32;
    struct pikos_watch_row *rows =
        realloc(tally->rows, capacity * sizeof(*rows));
    if (!rows)
        return -1;
    tally->rows = rows;
    tally->capacity = capacity;
    return 0;
}

/* Appends a row for the key; NULL when out of memory. */
static struct pikos_watch_row *add_row(struct pikos_watch_tally *tally,
                                       const char *function,
                                       const char *filename, long long line_no,
                                       const char *line)
{
    if (tally->count == tally->capacity && grow_rows(tally) < 0)
        return NULL;
    struct pikos_watch_row *row = &tally->rows[tally->count];
    memset(row, 0, sizeof(*row));
    row->function = strdup(function);
    row->filename = strdup(filename);
    row->line = line ? strdup(line) : NULL;
    row->line_no = line_no;
    if (!row->function || !row->filename || (line && !row->line)) {
        free(row->function);
        free(row->filename);
        free(row->line);
        return NULL;
    }
    tally->count++;
    return row;
}

struct pikos_watch_row *
pikos_watch_tally_row(struct pikos_watch_tally *tally, const char *function,
                      const char *filename, long long line_no, const char *line)
{
    if ((tally->count + 1) * 4 > tally->nslots * 3 && grow_slots(tally) < 0)
        return NULL;
    size_t slot = find_slot(tally, function, filename, line_no);
    if (tally->slots[slot] != 0)
        return &tally->rows[tally->slots[slot] - 1];
    struct pikos_watch_row *row =
        add_row(tally, function, filename, line_no, line);
    if (row)
        tally->slots[slot] = tally->count;
    return row;
}

void pikos_watch_tally_free(struct pikos_watch_tally *tally)
{
    for (size_t r = 0; r < tally->count; r++) {
        free(tally->rows[r].function);
        free(tally->rows[r].filename);
        free(tally->rows[r].line);
    }
    free(tally->rows);
    free(tally->slots);
    memset(tally, 0, sizeof(*tally));
}

/* ------------------------------------------------------------ sorting */

static int compare_counts(unsigned long long a, unsigned long long b)
{
    return a < b ? 1 : a > b ? -1 : 0; /* the larger first */
}

static int compare_lines(long long a, long long b)
{
    return a < b ? -1 : a > b ? 1 : 0;
}

int pikos_watch_row_key_order(const struct pikos_watch_row *a,
                              const struct pikos_watch_row *b)
{
    int c = strcmp(a->function, b->function);
    if (c == 0)
        c = strcmp(a->filename, b->filename);
    return c != 0 ? c : compare_lines(a->line_no, b->line_no);
}

#define ROWS(pa, pb)                                                           \
    const struct pikos_watch_row *a =                                          \
        *(const struct pikos_watch_row *const *)pa;                            \
    const struct pikos_watch_row *b = *(const struct pikos_watch_row *const *)pb

static int by_calls(const void *pa, const void *pb)
{
    ROWS(pa, pb);
    int c = compare_counts(a->calls, b->calls);
    if (c == 0)
        c = compare_counts(a->events, b->events);
    return c != 0 ? c : pikos_watch_row_key_order(a, b);
}

static int by_events(const void *pa, const void *pb)
{
    ROWS(pa, pb);
    int c = compare_counts(a->events, b->events);
    if (c == 0)
        c = compare_counts(a->calls, b->calls);
    return c != 0 ? c : pikos_watch_row_key_order(a, b);
}

static int by_function(const void *pa, const void *pb)
{
    ROWS(pa, pb);
    return pikos_watch_row_key_order(a, b);
}

static int by_filename(const void *pa, const void *pb)
{
    ROWS(pa, pb);
    int c = strcmp(a->filename, b->filename);
    return c != 0 ? c : pikos_watch_row_key_order(a, b);
}

static int by_line(const void *pa, const void *pb)
{
    ROWS(pa, pb);
    int c = strcmp(a->filename, b->filename);
    if (c == 0)
        c = compare_lines(a->line_no, b->line_no);
    return c != 0 ? c : pikos_watch_row_key_order(a, b);
}

struct pikos_watch_row **
pikos_watch_tally_sorted(const struct pikos_watch_tally *tally,
                         enum pikos_watch_sort sort)
{
    static int (*const compare[])(const void *, const void *) = {
        [PIKOS_WATCH_BY_CALLS] = by_calls,
        [PIKOS_WATCH_BY_EVENTS] = by_events,
        [PIKOS_WATCH_BY_FUNCTION] = by_function,
        [PIKOS_WATCH_BY_FILENAME] = by_filename,
        [PIKOS_WATCH_BY_LINE] = by_line,
    };
    if (tally->count == 0)
        return NULL;
    struct pikos_watch_row **sorted = malloc(tally->count * sizeof(*sorted));
    if (!sorted)
        return NULL;
    for (size_t r = 0; r < tally->count; r++)
        sorted[r] = &tally->rows[r];
    qsort(sorted, tally->count, sizeof(*sorted), compare[sort]);
    return sorted;
}
