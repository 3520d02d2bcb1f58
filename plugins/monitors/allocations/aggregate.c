/*
 * aggregate.c - monitors/allocations' records, made when monitoring stops:
 * each stack's counters, resolved to its frames (host->stack_frame), as
 * one record per stack or summed per line (function, file and line of the
 * innermost frame), the most bytes allocated first.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "allocations.h"

enum field {
    FIELD_STACK,
    FIELD_FUNCTION,
    FIELD_FILENAME,
    FIELD_LINENO,
    FIELD_ALLOC_BYTES,
    FIELD_ALLOC_COUNT,
    FIELD_FREE_BYTES,
    FIELD_FREE_COUNT,
    FIELD_PEAK_BYTES,
    FIELD_PEAK_COUNT,
    FIELD_EXIT_BYTES,
    FIELD_EXIT_COUNT,
    FIELD_COUNT
};
#define NCOUNTERS (FIELD_COUNT - FIELD_ALLOC_BYTES)

static const struct pikos_field fields[FIELD_COUNT] = {
    [FIELD_STACK] = {"stack", PIKOS_FIELD_STR},
    [FIELD_FUNCTION] = {"function", PIKOS_FIELD_STR},
    [FIELD_FILENAME] = {"filename", PIKOS_FIELD_STR},
    [FIELD_LINENO] = {"lineno", PIKOS_FIELD_INT},
    [FIELD_ALLOC_BYTES] = {"alloc_bytes", PIKOS_FIELD_INT},
    [FIELD_ALLOC_COUNT] = {"alloc_count", PIKOS_FIELD_INT},
    [FIELD_FREE_BYTES] = {"free_bytes", PIKOS_FIELD_INT},
    [FIELD_FREE_COUNT] = {"free_count", PIKOS_FIELD_INT},
    [FIELD_PEAK_BYTES] = {"peak_bytes", PIKOS_FIELD_INT},
    [FIELD_PEAK_COUNT] = {"peak_count", PIKOS_FIELD_INT},
    [FIELD_EXIT_BYTES] = {"exit_bytes", PIKOS_FIELD_INT},
    [FIELD_EXIT_COUNT] = {"exit_count", PIKOS_FIELD_INT},
};

#define COUNTER_TEMPLATE " {:>12} {:>9} {:>12} {:>9} {:>12} {:>9} {:>12} {:>9}"

const struct pikos_schema allocation_record = {
    .name = "AllocationRecord",
    .nfields = FIELD_COUNT - 1,
    .fields = fields + 1,
    .header_template = "{:<30} {:<50} {:>6}" COUNTER_TEMPLATE,
    .line_template = "{:<30} {:<50} {:>6}" COUNTER_TEMPLATE,
};

const struct pikos_schema stack_allocation_record = {
    .name = "StackAllocationRecord",
    .nfields = FIELD_COUNT,
    .fields = fields,
    .header_template = "{} {} {} {}" COUNTER_TEMPLATE,
    .line_template = "{} {} {} {}" COUNTER_TEMPLATE,
};

/* One record to be: a stack, or the stacks of one line summed. */
struct row {
    uint32_t stack;
    uint32_t code; /* index + 1 in the view's codes; 0: none */
    int lineno;
    double counters[NCOUNTERS]; /* in the fields' order */
};

static const char NO_FRAME[] = "<no Python frame>";
/* A stack counted too close to the end for its frame to be copied (the
   process ended before its next safe point). */
static const char UNKNOWN_FRAME[] = "<unknown frame>";

/* ------------------------------------------------------------ views */

struct alloc_view view_of(const struct allocations_ctx *self)
{
    const struct store *s = &self->store;
    const struct alloc_head *h = self->stats.head;

    return (struct alloc_view){
        h,
        self->stats.stats,
        h != NULL ? self->stats.capacity : 0,
        s->data[BUF_FRAMES],
        h != NULL ? h->nframes : 0,
        s->data[BUF_CODES],
        h != NULL ? h->ncodes : 0,
        s->data[BUF_STRINGS],
        h != NULL ? h->strings_used : 0};
}

static size_t at_most(uint64_t count, size_t size, size_t each)
{
    return count < size / each ? (size_t)count : size / each;
}

int view_left(struct pikos_instance *inst, const struct pikos_host *host,
              struct alloc_view *v)
{
    size_t size[4] = {0};
    const void *data[4];

    for (unsigned id = 0; id < 4; id++)
        data[id] = host->state_get(inst, id, &size[id]);
    memset(v, 0, sizeof(*v));
    if (data[BUF_STATS] == NULL || size[BUF_STATS] < sizeof(*v->head))
        return 0; /* nothing was allocated: no records */
    v->head = data[BUF_STATS];
    if (v->head->magic != ALLOC_STATE_MAGIC)
        return -1;
    v->stats = (const struct stack_stat *)((const char *)data[BUF_STATS] +
                                           sizeof(*v->head));
    v->nstats = at_most(v->head->capacity, size[BUF_STATS] - sizeof(*v->head),
                        sizeof(*v->stats));
    v->frames = data[BUF_FRAMES];
    v->nframes = v->frames ? at_most(v->head->nframes, size[BUF_FRAMES],
                                     sizeof(*v->frames))
                           : 0;
    v->codes = data[BUF_CODES];
    v->ncodes = v->codes ? at_most(v->head->ncodes, size[BUF_CODES],
                                   sizeof(*v->codes))
                         : 0;
    v->strings = data[BUF_STRINGS];
    v->nstrings = v->strings ? at_most(v->head->strings_used,
                                       size[BUF_STRINGS], 1)
                             : 0;
    return 0;
}

/* The node's frame when it was copied whole, else NULL. */
static const struct alloc_frame *frame_of(const struct alloc_view *v,
                                          uint32_t stack)
{
    if (stack == 0 || stack >= v->nframes)
        return NULL;
    const struct alloc_frame *f = &v->frames[stack];
    return f->code != 0 && f->code <= v->ncodes ? f : NULL;
}

/* A code's name or file; "" when it falls outside the strings. */
static const char *text_at(const struct alloc_view *v, uint64_t offset,
                           uint64_t len, size_t *out_len)
{
    if (offset > v->nstrings || len > v->nstrings - offset) {
        *out_len = 0;
        return "";
    }
    *out_len = (size_t)len;
    return v->strings + offset;
}

static const char *code_name(const struct alloc_view *v, uint32_t code,
                             size_t *len)
{
    const struct alloc_code *c = &v->codes[code - 1];
    return text_at(v, c->name_offset, c->name_len, len);
}

static const char *code_file(const struct alloc_view *v, uint32_t code,
                             size_t *len)
{
    const struct alloc_code *c = &v->codes[code - 1];
    return text_at(v, c->file_offset, c->file_len, len);
}

/* ------------------------------------------------------------ rows */

static void row_count(const struct alloc_view *v, uint32_t stack,
                      struct row *row)
{
    const struct stack_stat *st = &v->stats[stack];
    struct weight measures[NCOUNTERS / 2] = {
        st->alloc, st->freed, stack_stat_at_peak(st, v->head->peak_epoch),
        st->live};

    for (int i = 0; i < NCOUNTERS / 2; i++) {
        row->counters[2 * i] = measures[i].bytes;
        row->counters[2 * i + 1] = measures[i].count;
    }
}

/* A row per stack that allocated; NULL when out of memory. */
static struct row *rows_make(const struct alloc_view *v, size_t *n)
{
    struct row *rows = calloc(v->nstats ? v->nstats : 1, sizeof(*rows));

    *n = 0;
    if (rows == NULL)
        return NULL;
    for (size_t stack = 0; stack < v->nstats; stack++) {
        if (v->stats[stack].alloc.count == 0)
            continue;
        struct row *row = &rows[(*n)++];
        const struct alloc_frame *f = frame_of(v, (uint32_t)stack);
        row->stack = (uint32_t)stack;
        row_count(v, (uint32_t)stack, row);
        row->code = f ? f->code : 0;
        row->lineno = f ? f->lineno : 0;
    }
    return rows;
}

/* Rows of no frame and of unknown frames stay apart. */
static int frame_kind(const struct row *r)
{
    return r->code != 0 ? 2 : r->stack != 0 ? 1 : 0;
}

static int by_line(const void *a, const void *b)
{
    const struct row *x = a, *y = b;

    if (frame_kind(x) != frame_kind(y))
        return frame_kind(x) - frame_kind(y);
    if (x->code != y->code)
        return x->code < y->code ? -1 : 1;
    return (x->lineno > y->lineno) - (x->lineno < y->lineno);
}

/* Sums the rows of each line into one; returns how many are left. */
static size_t rows_merge_lines(struct row *rows, size_t n)
{
    size_t kept = 0;

    qsort(rows, n, sizeof(*rows), by_line);
    for (size_t i = 0; i < n; i++) {
        if (kept > 0 && by_line(&rows[kept - 1], &rows[i]) == 0) {
            for (int c = 0; c < NCOUNTERS; c++)
                rows[kept - 1].counters[c] += rows[i].counters[c];
            continue;
        }
        rows[kept++] = rows[i];
    }
    return kept;
}

/* The view qsort's comparison reads (qsort has no argument for it). */
static const struct alloc_view *sorting;

static int text_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c != 0 ? c : (alen > blen) - (alen < blen);
}

static const char *row_file(const struct row *r, size_t *len)
{
    if (r->code == 0) {
        *len = 0;
        return "";
    }
    return code_file(sorting, r->code, len);
}

static const char *row_name(const struct row *r, size_t *len)
{
    if (r->code == 0) {
        *len = 0;
        return "";
    }
    return code_name(sorting, r->code, len);
}

/* Most bytes allocated first; then by file, line and function, so that
   the order does not depend on addresses. */
static int by_size(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    size_t xl, yl;
    const char *xs, *ys;
    int c;

    if (x->counters[0] != y->counters[0])
        return x->counters[0] > y->counters[0] ? -1 : 1;
    xs = row_file(x, &xl);
    ys = row_file(y, &yl);
    if ((c = text_cmp(xs, xl, ys, yl)) != 0)
        return c;
    if (x->lineno != y->lineno)
        return x->lineno < y->lineno ? -1 : 1;
    xs = row_name(x, &xl);
    ys = row_name(y, &yl);
    if ((c = text_cmp(xs, xl, ys, yl)) != 0)
        return c;
    return (x->stack > y->stack) - (x->stack < y->stack);
}

/* ------------------------------------------------------------ stacks */

static int text_add(struct text *t, const char *s, size_t len)
{
    if (t->len + len + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + len + 1)
            cap *= 2;
        char *data = realloc(t->data, cap);
        if (data == NULL)
            return -1;
        t->data = data;
        t->cap = cap;
    }
    memcpy(t->data + t->len, s, len);
    t->len += len;
    return 0;
}

/* "function (filename:lineno)" */
static int text_add_frame(struct text *t, const struct alloc_view *v,
                          const struct alloc_frame *f)
{
    char number[24];
    size_t len = (size_t)(pikos_put_int(number, f->lineno) - number);
    size_t name_len, file_len;
    const char *name = code_name(v, f->code, &name_len);
    const char *file = code_file(v, f->code, &file_len);

    if (text_add(t, name, name_len) < 0 || text_add(t, " (", 2) < 0 ||
        text_add(t, file, file_len) < 0 || text_add(t, ":", 1) < 0 ||
        text_add(t, number, len) < 0)
        return -1;
    return text_add(t, ")", 1);
}

/* The stack's frames, outermost first, joined by ';'.  A walk longer than
   the frames there are is a loop (only a damaged state has one). */
static int stack_text_from(const struct alloc_view *v, uint32_t stack,
                           struct text *t, size_t depth)
{
    const struct alloc_frame *f = frame_of(v, stack);

    if (stack == 0 && depth == 0)
        return text_add(t, NO_FRAME, sizeof(NO_FRAME) - 1);
    if (f == NULL || depth > v->nframes)
        return text_add(t, UNKNOWN_FRAME, sizeof(UNKNOWN_FRAME) - 1);
    if (f->parent != 0) {
        if (stack_text_from(v, f->parent, t, depth + 1) < 0 ||
            text_add(t, ";", 1) < 0)
            return -1;
    }
    return text_add_frame(t, v, f);
}

int allocations_stack_text(const struct alloc_view *v, uint32_t stack,
                           struct text *t)
{
    t->len = 0;
    return stack_text_from(v, stack, t, 0);
}

void allocations_place(const struct alloc_view *v, uint32_t stack,
                       struct alloc_place *p)
{
    const struct alloc_frame *f = frame_of(v, stack);

    if (f != NULL) {
        p->function = code_name(v, f->code, &p->function_len);
        p->filename = code_file(v, f->code, &p->filename_len);
        p->lineno = f->lineno;
        return;
    }
    p->function = stack == 0 ? NO_FRAME : UNKNOWN_FRAME;
    p->function_len = strlen(p->function);
    p->filename = "";
    p->filename_len = 0;
    p->lineno = 0;
}

/* ------------------------------------------------------------ records */

static void set_text(struct pikos_value *v, const char *text, size_t len)
{
    v->u.s.ptr = text;
    v->u.s.len = len;
}

static int emit_row(struct pikos_instance *inst, const struct pikos_host *host,
                    const struct alloc_view *v, int by_stack,
                    const struct row *row, struct text *stack)
{
    struct pikos_value values[FIELD_COUNT];
    size_t len;
    const char *text;

    stack->len = 0;
    if (by_stack && allocations_stack_text(v, row->stack, stack) < 0)
        return host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    set_text(&values[FIELD_STACK], stack->data ? stack->data : "",
             stack->len);
    if (row->code != 0) {
        text = code_name(v, row->code, &len);
        set_text(&values[FIELD_FUNCTION], text, len);
        text = code_file(v, row->code, &len);
        set_text(&values[FIELD_FILENAME], text, len);
    } else if (row->stack == 0) {
        set_text(&values[FIELD_FUNCTION], NO_FRAME, sizeof(NO_FRAME) - 1);
        set_text(&values[FIELD_FILENAME], "", 0);
    } else {
        set_text(&values[FIELD_FUNCTION], UNKNOWN_FRAME,
                 sizeof(UNKNOWN_FRAME) - 1);
        set_text(&values[FIELD_FILENAME], "", 0);
    }
    values[FIELD_LINENO].u.i = row->code ? row->lineno : 0;
    for (int c = 0; c < NCOUNTERS; c++)
        values[FIELD_ALLOC_BYTES + c].u.i = llround(row->counters[c]);
    struct pikos_record record = {
        by_stack ? &stack_allocation_record : &allocation_record,
        by_stack ? values : values + 1};
    return host->emit(inst, &record);
}

int allocations_emit(struct pikos_instance *inst, const struct pikos_host *host,
                     const struct alloc_view *v, int by_stack)
{
    size_t n;
    struct row *rows;
    struct text stack = {0};
    int rc = PIKOS_OK;

    if (v->head == NULL)
        return PIKOS_OK; /* nothing was allocated */
    if ((rows = rows_make(v, &n)) == NULL)
        return host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    if (!by_stack)
        n = rows_merge_lines(rows, n);
    sorting = v;
    qsort(rows, n, sizeof(*rows), by_size);
    for (size_t i = 0; i < n && rc == PIKOS_OK; i++)
        rc = emit_row(inst, host, v, by_stack, &rows[i], &stack);
    free(stack.data);
    free(rows);
    return rc;
}
