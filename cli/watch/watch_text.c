/*
 * cli/watch/watch_text.c - the plain-text snapshot `pikos watch --once` prints.
 *
 * A stable format (docs/live.md), one block per stream, the streams sorted
 * by host, pid and stream id:
 *
 *   pikos watch: 2 streams, 0 malformed, 0 waiting for a schema
 *
 *   == stream b:42:1
 *   host b  pid 42  schema FunctionRecord  ended  records 6  sent 6  dropped 0
 *   functions by calls, 2 of 2:
 *        calls   share  function  filename
 *            2   66.7%  f         /srv/app.py
 *            1   33.3%  <module>  /srv/app.py
 *
 * Memory streams add "memory:" with current and peak RSS and VMS (bytes)
 * and a sparkline; line streams "lines by hits, N of M:"; timed function
 * streams (time and thread fields) a time table instead of the calls:
 *
 *   functions by own time, 2 of 2 (0.000000050 s in all):
 *      %Own   %Total        OwnTime      TotalTime       calls  function
 *     60.0%   100.0%    0.000000030    0.000000050           1  main (/a.py:1)
 *     40.0%    40.0%    0.000000020    0.000000020           2  len (/a.py)
 *
 * heap streams "python heap:" (HeapRecord) and "heap lines by live bytes"
 * (HeapTopRecord, watch_heap_top.c); streams of other schemas "last
 * record:" with field=value pairs.
 */
#include <stdlib.h>
#include <string.h>

#include "watch.h"

/* Writes `text` made printable and pads it to `width` characters. */
static void put_padded(FILE *out, const char *text, size_t width)
{
    pikos_watch_put_printable(out, text);
    for (size_t w = pikos_watch_text_width(text); w < width; w++)
        fputc(' ', out);
}

static size_t widest(size_t width, const char *text)
{
    size_t w = pikos_watch_text_width(text);
    return w > width ? w : width;
}

static void print_stream_head(FILE *out, const struct pikos_watch_stream *s,
                              double now)
{
    fputs("== stream ", out);
    pikos_watch_put_printable(out, s->id);
    fputs("\nhost ", out);
    pikos_watch_put_printable(out, s->host);
    fprintf(out, "  pid %lld  schema ", s->pid);
    pikos_watch_put_printable(out, s->schema->name);
    fprintf(out, "  %s  records %llu",
            pikos_watch_state_name(pikos_watch_stream_state(s, now)),
            s->records);
    if (s->ended)
        fprintf(out, "  sent %lld  dropped %lld", s->sent, s->dropped);
    if (s->restarts)
        fprintf(out, "  restarts %u", s->restarts);
    fputc('\n', out);
}

static void print_series(FILE *out, const char *name,
                         const struct pikos_watch_series *series)
{
    char spark[PIKOS_WATCH_SPARK_CELLS * 4 + 1];
    pikos_watch_sparkline(series, pikos_watch_blocks, 8, spark, sizeof(spark));
    fprintf(out, "  %s  current %lld  peak %lld  %s\n", name, series->current,
            series->peak, spark);
}

static void print_memory(FILE *out, const struct pikos_watch_stream *s)
{
    if (s->records == 0) {
        fputs("memory: none yet\n", out);
        return;
    }
    fputs("memory:\n", out);
    print_series(out, "RSS", &s->rss);
    print_series(out, "VMS", &s->vms);
}

static void print_heap(FILE *out, const struct pikos_watch_stream *s)
{
    if (s->records == 0) {
        fputs("python heap: none yet\n", out);
        return;
    }
    fputs("python heap:\n", out);
    print_series(out, "bytes", &s->heap_bytes);
    print_series(out, "blocks", &s->heap_blocks);
}

/* How many rows to show, the heading ("functions by calls, 2 of 5:");
   the caller frees *rows.  0 when the table is empty (said so). */
static size_t table_head(FILE *out, const struct pikos_watch_tally *tally,
                         const char *what, const char *by,
                         enum pikos_watch_sort sort, size_t top,
                         struct pikos_watch_row ***rows)
{
    *rows = pikos_watch_tally_sorted(tally, sort);
    if (!*rows) {
        fprintf(out, "%s: %s\n", what,
                tally->count ? "out of memory" : "none yet");
        return 0;
    }
    size_t shown = top && top < tally->count ? top : tally->count;
    fprintf(out, "%s by %s, %zu of %zu:\n", what, by, shown, tally->count);
    return shown;
}

static void print_functions(FILE *out, const struct pikos_watch_stream *s,
                            size_t top)
{
    struct pikos_watch_row **rows;
    size_t shown = table_head(out, &s->functions, "functions", "calls",
                              PIKOS_WATCH_BY_CALLS, top, &rows);
    if (shown == 0)
        return;
    size_t width = strlen("function");
    for (size_t i = 0; i < shown; i++)
        width = widest(width, rows[i]->function);
    fprintf(out, "%10s  %6s  ", "calls", "share");
    put_padded(out, "function", width);
    fputs("  filename\n", out);
    for (size_t i = 0; i < shown; i++) {
        fprintf(out, "%10llu  %5.1f%%  ", rows[i]->calls,
                pikos_watch_percent(rows[i]->events, s->records));
        put_padded(out, rows[i]->function, width);
        fputs("  ", out);
        pikos_watch_put_printable(out, rows[i]->filename);
        fputc('\n', out);
    }
    free(rows);
}

/* Nanoseconds as seconds with all nine decimals (exact), right-aligned
   in `width` characters. */
static void put_seconds(FILE *out, unsigned long long ns, int width)
{
    char text[32];
    snprintf(text, sizeof(text), "%llu.%09llu", ns / 1000000000u,
             ns % 1000000000u);
    fprintf(out, "%*s", width, text);
}

static void print_time_row(FILE *out, const struct pikos_watch_time_row *t,
                           unsigned long long all_ns)
{
    fprintf(out, "%7.1f%%  %6.1f%%  ", pikos_watch_percent(t->own_ns, all_ns),
            pikos_watch_percent(t->total_ns, all_ns));
    put_seconds(out, t->own_ns, 13);
    fputs("  ", out);
    put_seconds(out, t->total_ns, 13);
    fprintf(out, "  %10llu  ", t->row->calls);
    char function[2048];
    pikos_watch_function_text(t->row, function, sizeof(function));
    pikos_watch_put_printable(out, function);
    fputc('\n', out);
}

static void print_times(FILE *out, const struct pikos_watch_stream *s,
                        size_t top)
{
    struct pikos_watch_time_table table;
    if (pikos_watch_time_table(&s->timing, PIKOS_WATCH_BY_OWN, &table) < 0 ||
        table.count == 0) {
        fprintf(out, "functions: %s\n",
                s->timing.functions.count ? "out of memory" : "none yet");
        return;
    }
    size_t shown = top && top < table.count ? top : table.count;
    fprintf(out, "functions by own time, %zu of %zu (", shown, table.count);
    put_seconds(out, table.all_ns, 0);
    fputs(" s in all):\n", out);
    fprintf(out, "%8s  %7s  %13s  %13s  %10s  function\n", "%Own", "%Total",
            "OwnTime", "TotalTime", "calls");
    for (size_t i = 0; i < shown; i++)
        print_time_row(out, &table.rows[i], table.all_ns);
    pikos_watch_time_table_free(&table);
}

/* "filename:lineNo" as the where column shows it. */
static char *where_text(const struct pikos_watch_row *row)
{
    size_t size = strlen(row->filename) + 24;
    char *where = malloc(size);
    if (where)
        snprintf(where, size, "%s:%lld", row->filename, row->line_no);
    return where;
}

/* The where column of each row, and its width; NULL when out of memory. */
static char **where_column(struct pikos_watch_row **rows, size_t shown,
                           size_t *width)
{
    char **where = calloc(shown, sizeof(*where));
    for (size_t i = 0; where && i < shown; i++) {
        where[i] = where_text(rows[i]);
        if (!where[i]) {
            for (size_t j = 0; j < i; j++)
                free(where[j]);
            free(where);
            return NULL;
        }
        *width = widest(*width, where[i]);
    }
    return where;
}

static void print_line_rows(FILE *out, struct pikos_watch_row **rows,
                            char **where, size_t shown, size_t where_w)
{
    size_t function_w = strlen("function");
    for (size_t i = 0; i < shown; i++)
        function_w = widest(function_w, rows[i]->function);
    fprintf(out, "%10s  ", "hits");
    put_padded(out, "line", where_w);
    fputs("  ", out);
    put_padded(out, "function", function_w);
    fputs("  source\n", out);
    for (size_t i = 0; i < shown; i++) {
        fprintf(out, "%10llu  ", rows[i]->events);
        put_padded(out, where[i], where_w);
        fputs("  ", out);
        put_padded(out, rows[i]->function, function_w);
        fputs("  ", out);
        pikos_watch_put_printable(out, rows[i]->line);
        fputc('\n', out);
    }
}

static void print_lines(FILE *out, const struct pikos_watch_stream *s,
                        size_t top)
{
    struct pikos_watch_row **rows;
    size_t shown = table_head(out, &s->lines, "lines", "hits",
                              PIKOS_WATCH_BY_EVENTS, top, &rows);
    if (shown == 0)
        return;
    size_t where_w = strlen("line");
    char **where = where_column(rows, shown, &where_w);
    if (where) {
        print_line_rows(out, rows, where, shown, where_w);
        for (size_t i = 0; i < shown; i++)
            free(where[i]);
        free(where);
    } else
        fputs("(out of memory)\n", out);
    free(rows);
}

static void print_last_record(FILE *out, const struct pikos_watch_stream *s)
{
    if (!s->last_record) {
        fputs("last record: none yet\n", out);
        return;
    }
    fputs("last record:", out);
    for (size_t i = 0; i < s->schema->nfields; i++) {
        char value[256];
        pikos_watch_value_text(json_array_get(s->last_record, i), value,
                               sizeof(value));
        fputs(i ? "  " : " ", out);
        pikos_watch_put_printable(out, s->schema->fields[i]);
        fprintf(out, "=%s", value);
    }
    fputc('\n', out);
}

static void print_stream(FILE *out, const struct pikos_watch_stream *s,
                         size_t top, double now)
{
    print_stream_head(out, s, now);
    if (s->has_memory)
        print_memory(out, s);
    if (s->has_heap)
        print_heap(out, s);
    if (s->has_heap_top)
        pikos_watch_print_heap_top(out, &s->heap_top, top);
    if (s->has_times)
        print_times(out, s, top);
    else if (s->has_functions)
        print_functions(out, s, top);
    if (s->has_lines)
        print_lines(out, s, top);
    if (!s->has_memory && !s->has_functions && !s->has_lines &&
        !s->has_heap && !s->has_heap_top)
        print_last_record(out, s);
}

static int compare_streams(const void *pa, const void *pb)
{
    const struct pikos_watch_stream *a =
        *(const struct pikos_watch_stream *const *)pa;
    const struct pikos_watch_stream *b =
        *(const struct pikos_watch_stream *const *)pb;
    int c = strcmp(a->host, b->host);
    if (c == 0)
        c = a->pid < b->pid ? -1 : a->pid > b->pid;
    return c != 0 ? c : strcmp(a->id, b->id);
}

void pikos_watch_print_snapshot(FILE *out,
                                const struct pikos_watch_streams *streams,
                                size_t top, double now)
{
    fprintf(out,
            "pikos watch: %zu stream%s, %llu malformed, %llu waiting "
            "for a schema\n",
            streams->count, streams->count == 1 ? "" : "s", streams->malformed,
            streams->no_schema);
    struct pikos_watch_stream **sorted =
        malloc((streams->count + 1) * sizeof(*sorted));
    if (!sorted) {
        fputs("(out of memory)\n", out);
        return;
    }
    if (streams->count)
        memcpy(sorted, streams->list, streams->count * sizeof(*sorted));
    qsort(sorted, streams->count, sizeof(*sorted), compare_streams);
    for (size_t i = 0; i < streams->count; i++) {
        fputc('\n', out);
        print_stream(out, sorted[i], top, now);
    }
    free(sorted);
}
