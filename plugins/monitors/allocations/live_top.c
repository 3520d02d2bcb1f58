/*
 * live_top.c - the live view's snapshots (see live_top.h): the counted
 * stacks summed by line, the top lines by live bytes as HeapTopRecords.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "allocations.h"
#include "live_top.h"

enum {
    FIELD_SNAPSHOT,
    FIELD_RANK,
    FIELD_ROWS,
    FIELD_LINES,
    FIELD_FUNCTION,
    FIELD_FILENAME,
    FIELD_LINENO,
    FIELD_LIVE_BYTES,
    FIELD_LIVE_COUNT,
    FIELD_ALLOC_BYTES,
    FIELD_ALLOC_COUNT,
    FIELD_TIME,
    FIELD_COUNT
};

static const struct pikos_field fields[FIELD_COUNT] = {
    [FIELD_SNAPSHOT] = {"snapshot", PIKOS_FIELD_INT},
    [FIELD_RANK] = {"rank", PIKOS_FIELD_INT},
    [FIELD_ROWS] = {"rows", PIKOS_FIELD_INT},
    [FIELD_LINES] = {"lines", PIKOS_FIELD_INT},
    [FIELD_FUNCTION] = {"function", PIKOS_FIELD_STR},
    [FIELD_FILENAME] = {"filename", PIKOS_FIELD_STR},
    [FIELD_LINENO] = {"lineno", PIKOS_FIELD_INT},
    [FIELD_LIVE_BYTES] = {"live_bytes", PIKOS_FIELD_INT},
    [FIELD_LIVE_COUNT] = {"live_count", PIKOS_FIELD_INT},
    [FIELD_ALLOC_BYTES] = {"alloc_bytes", PIKOS_FIELD_INT},
    [FIELD_ALLOC_COUNT] = {"alloc_count", PIKOS_FIELD_INT},
    [FIELD_TIME] = {"time", PIKOS_FIELD_INT},
};

const struct pikos_schema heap_top_record = {
    .name = "HeapTopRecord",
    .nfields = FIELD_COUNT,
    .fields = fields,
    .header_template = "{:>8} {:>5} {:>5} {:>6} {:<30} {} {:>6} {:>12} {:>9} "
                       "{:>12} {:>9} {:>14}",
    .line_template = "{:>8} {:>5} {:>5} {:>6} {:<30} {} {:>6} {:>12} {:>9} "
                     "{:>12} {:>9} {:>14}",
};

/* A line to be: one stack, or the stacks of one line summed. */
struct live_top_row {
    uint32_t stack; /* a stack of the line (its names) */
    uint32_t code;  /* index + 1 in the view's codes; 0: none */
    int lineno;
    struct weight live, alloc;
};

void live_top_reset(struct live_top *t, uint64_t period_ns, uint64_t top,
                    uint64_t now_ns)
{
    t->period_ns = period_ns;
    t->top = top;
    t->last_ns = now_ns;
    t->changed = 0;
    t->snapshots = 0;
}

void live_top_free(struct live_top *t)
{
    free(t->rows);
    t->rows = NULL;
    t->capacity = 0;
}

/* The innermost frame's code and line when it was copied whole. */
static void row_place(const struct alloc_view *v, uint32_t stack,
                      struct live_top_row *r)
{
    r->stack = stack;
    r->code = 0;
    r->lineno = 0;
    if (stack == 0 || stack >= v->nframes)
        return;
    const struct alloc_frame *f = &v->frames[stack];
    if (f->code != 0 && f->code <= v->ncodes) {
        r->code = f->code;
        r->lineno = f->lineno;
    }
}

/* No frame (stack 0), unknown frames, and lines stay apart, as the
   aggregates keep them (aggregate.c). */
static int kind(const struct live_top_row *r)
{
    return r->code != 0 ? 2 : r->stack != 0 ? 1 : 0;
}

static int by_line(const void *a, const void *b)
{
    const struct live_top_row *x = a, *y = b;

    if (kind(x) != kind(y))
        return kind(x) - kind(y);
    if (x->code != y->code)
        return x->code < y->code ? -1 : 1;
    return (x->lineno > y->lineno) - (x->lineno < y->lineno);
}

/* The view qsort's comparison reads (qsort has no argument for it). */
static const struct alloc_view *sorting;

static int text_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c != 0 ? c : (alen > blen) - (alen < blen);
}

/* Most live bytes first, then most bytes allocated, then file, line and
   function: an order that does not depend on addresses. */
static int by_live(const void *a, const void *b)
{
    const struct live_top_row *x = a, *y = b;
    struct alloc_place px, py;
    int c;

    if (x->live.bytes != y->live.bytes)
        return x->live.bytes > y->live.bytes ? -1 : 1;
    if (x->alloc.bytes != y->alloc.bytes)
        return x->alloc.bytes > y->alloc.bytes ? -1 : 1;
    allocations_place(sorting, x->stack, &px);
    allocations_place(sorting, y->stack, &py);
    if ((c = text_cmp(px.filename, px.filename_len, py.filename,
                      py.filename_len)) != 0)
        return c;
    if (px.lineno != py.lineno)
        return px.lineno < py.lineno ? -1 : 1;
    if ((c = text_cmp(px.function, px.function_len, py.function,
                      py.function_len)) != 0)
        return c;
    return kind(x) - kind(y);
}

/* The lines that allocated, summed, into t->rows; how many, or -1 when
   out of memory. */
static long make_lines(struct live_top *t, const struct alloc_view *v)
{
    if (t->capacity < v->nstats) {
        struct live_top_row *rows = realloc(t->rows, v->nstats * sizeof(*rows));
        if (rows == NULL)
            return -1;
        t->rows = rows;
        t->capacity = v->nstats;
    }
    size_t n = 0;
    for (size_t stack = 0; stack < v->nstats; stack++) {
        const struct stack_stat *st = &v->stats[stack];
        if (st->alloc.count == 0)
            continue;
        struct live_top_row *r = &t->rows[n++];
        row_place(v, (uint32_t)stack, r);
        r->live = st->live;
        r->alloc = st->alloc;
    }
    qsort(t->rows, n, sizeof(*t->rows), by_line);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        struct live_top_row *last = kept ? &t->rows[kept - 1] : NULL;
        if (last != NULL && by_line(last, &t->rows[i]) == 0) {
            last->live.bytes += t->rows[i].live.bytes;
            last->live.count += t->rows[i].live.count;
            last->alloc.bytes += t->rows[i].alloc.bytes;
            last->alloc.count += t->rows[i].alloc.count;
            continue;
        }
        t->rows[kept++] = t->rows[i];
    }
    return (long)kept;
}

static void set_text(struct pikos_value *v, const char *text, size_t len)
{
    v->u.s.ptr = text;
    v->u.s.len = len;
}

/* A sampled run's estimates rounded, never below 0. */
static int64_t whole(double x)
{
    long long v = llround(x);
    return v < 0 ? 0 : v;
}

int live_top_emit(struct pikos_instance *inst, const struct pikos_host *host,
                  struct live_top *t, const struct alloc_view *v)
{
    if (t->period_ns == 0 || !t->changed || v->head == NULL)
        return PIKOS_OK;
    uint64_t now = host->clock_ns();
    if (now - t->last_ns < t->period_ns)
        return PIKOS_OK;
    t->last_ns = now;
    t->changed = 0;
    long nlines = make_lines(t, v);
    if (nlines < 0)
        return host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    if (nlines == 0)
        return PIKOS_OK;
    sorting = v;
    qsort(t->rows, (size_t)nlines, sizeof(*t->rows), by_live);
    size_t shown = (size_t)nlines < t->top ? (size_t)nlines : t->top;
    uint64_t zero = host->run_started_ns(inst);
    int64_t snapshot = ++t->snapshots;
    int rc = PIKOS_OK;

    for (size_t i = 0; i < shown; i++) {
        const struct live_top_row *r = &t->rows[i];
        struct pikos_value values[FIELD_COUNT];
        struct alloc_place place;
        allocations_place(v, r->stack, &place);
        values[FIELD_SNAPSHOT].u.i = snapshot;
        values[FIELD_RANK].u.i = (int64_t)i + 1;
        values[FIELD_ROWS].u.i = (int64_t)shown;
        values[FIELD_LINES].u.i = nlines;
        set_text(&values[FIELD_FUNCTION], place.function, place.function_len);
        set_text(&values[FIELD_FILENAME], place.filename, place.filename_len);
        values[FIELD_LINENO].u.i = place.lineno;
        values[FIELD_LIVE_BYTES].u.i = whole(r->live.bytes);
        values[FIELD_LIVE_COUNT].u.i = whole(r->live.count);
        values[FIELD_ALLOC_BYTES].u.i = whole(r->alloc.bytes);
        values[FIELD_ALLOC_COUNT].u.i = whole(r->alloc.count);
        values[FIELD_TIME].u.i = now > zero ? (int64_t)(now - zero) : 0;
        struct pikos_record record = {&heap_top_record, values};
        int failed = host->emit(inst, &record);
        if (failed < 0 && rc == PIKOS_OK)
            rc = failed; /* the recorder keeps its error; the rest go on */
    }
    return rc;
}
