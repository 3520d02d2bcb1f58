/*
 * cli/watch/watch_heap_top.c - the top lines of a program's heap while it
 * runs: the snapshots monitors/allocations live=S sends as HeapTopRecords
 * (docs/records.md), one record per line, ranked by live bytes.
 *
 * A snapshot's records share its `snapshot` number and say how many rows
 * it has; they are collected beside the snapshot shown and replace it
 * once the last rank came, so a table is never shown half way through.
 * A snapshot whose ranks do not come in order (records lost on the way)
 * is never shown; the next whole one is.  In `--once`:
 *
 *   heap lines by live bytes, snapshot 3 at 2.000000000 s, 2 of 5:
 *     live_bytes   live_count  alloc_bytes  alloc_count  line      function
 *        1000000            1      1000000            1  /a.py:3   hold
 *          50000           10       900000          180  /a.py:7   churn
 */
#include <stdlib.h>
#include <string.h>

#include "watch.h"

static void snapshot_clear(struct pikos_watch_heap_snapshot *s)
{
    for (size_t i = 0; i < s->count; i++) {
        free(s->line[i].function);
        free(s->line[i].filename);
    }
    free(s->line);
    memset(s, 0, sizeof(*s));
}

void pikos_watch_heap_top_free(struct pikos_watch_heap_top *top)
{
    snapshot_clear(&top->shown);
    snapshot_clear(&top->building);
}

static long long integer_at(const json_t *row, int column)
{
    return json_integer_value(json_array_get(row, column));
}

static const char *text_at(const json_t *row, int column)
{
    const char *text = json_string_value(json_array_get(row, column));
    return text ? text : "";
}

/* A snapshot's rows are few (monitors/allocations top=N, at most 10000);
   one that claims more is not believed. */
#define MOST_ROWS 100000

int pikos_watch_heap_top_add(struct pikos_watch_heap_top *top,
                             const struct pikos_watch_columns *col,
                             const json_t *row)
{
    struct pikos_watch_heap_snapshot *b = &top->building;
    long long snapshot = integer_at(row, col->snapshot);
    long long rank = integer_at(row, col->rank);

    if (snapshot != b->snapshot || b->count == 0) {
        snapshot_clear(b);
        b->snapshot = snapshot;
        b->time_ns = integer_at(row, col->time);
        b->lines = integer_at(row, col->lines);
        b->rows = integer_at(row, col->rows);
        if (b->rows < 1 || b->rows > MOST_ROWS)
            b->broken = 1;
        else if (!(b->line = calloc((size_t)b->rows, sizeof(*b->line))))
            return -1;
    }
    if (b->broken || rank != (long long)b->count + 1 || rank > b->rows) {
        b->broken = 1;
        return 0;
    }
    struct pikos_watch_heap_line *l = &b->line[b->count];
    l->function = strdup(text_at(row, col->function));
    l->filename = strdup(text_at(row, col->filename));
    if (!l->function || !l->filename) {
        free(l->function);
        free(l->filename);
        l->function = l->filename = NULL;
        return -1;
    }
    l->lineno = integer_at(row, col->lineno);
    l->live_bytes = integer_at(row, col->live_bytes);
    l->live_count = integer_at(row, col->live_count);
    l->alloc_bytes = integer_at(row, col->alloc_bytes);
    l->alloc_count = integer_at(row, col->alloc_count);
    b->count++;
    if ((long long)b->count == b->rows) { /* whole: it is shown */
        snapshot_clear(&top->shown);
        top->shown = *b;
        memset(b, 0, sizeof(*b));
    }
    return 0;
}

/* "filename:lineno" */
static char *where_text(const struct pikos_watch_heap_line *l)
{
    size_t size = strlen(l->filename) + 24;
    char *where = malloc(size);
    if (where)
        snprintf(where, size, "%s:%lld", l->filename, l->lineno);
    return where;
}

static void put_padded(FILE *out, const char *text, size_t width)
{
    pikos_watch_put_printable(out, text);
    for (size_t w = pikos_watch_text_width(text); w < width; w++)
        fputc(' ', out);
}

void pikos_watch_print_heap_top(FILE *out,
                                const struct pikos_watch_heap_top *top,
                                size_t rows)
{
    const struct pikos_watch_heap_snapshot *s = &top->shown;
    if (s->count == 0) {
        fputs("heap lines: none yet\n", out);
        return;
    }
    size_t shown = rows && rows < s->count ? rows : s->count;
    char **where = calloc(shown, sizeof(*where));
    size_t where_w = strlen("line");
    for (size_t i = 0; where && i < shown; i++) {
        if (!(where[i] = where_text(&s->line[i]))) {
            for (size_t j = 0; j < i; j++)
                free(where[j]);
            free(where);
            where = NULL;
            break;
        }
        size_t w = pikos_watch_text_width(where[i]);
        where_w = w > where_w ? w : where_w;
    }
    if (!where) {
        fputs("heap lines: out of memory\n", out);
        return;
    }
    long long t = s->time_ns < 0 ? 0 : s->time_ns;
    fprintf(out,
            "heap lines by live bytes, snapshot %lld at %lld.%09lld s, %zu "
            "of %lld:\n",
            s->snapshot, t / 1000000000, t % 1000000000, shown, s->lines);
    fprintf(out, "%12s %12s %12s %12s  ", "live_bytes", "live_count",
            "alloc_bytes", "alloc_count");
    put_padded(out, "line", where_w);
    fputs("  function\n", out);
    for (size_t i = 0; i < shown; i++) {
        const struct pikos_watch_heap_line *l = &s->line[i];
        fprintf(out, "%12lld %12lld %12lld %12lld  ", l->live_bytes,
                l->live_count, l->alloc_bytes, l->alloc_count);
        put_padded(out, where[i], where_w);
        fputs("  ", out);
        pikos_watch_put_printable(out, l->function);
        fputc('\n', out);
        free(where[i]);
    }
    free(where);
}
