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
    const struct pikos_code *code; /* NULL: no Python frame */
    int lineno;
    double counters[NCOUNTERS]; /* in the fields' order */
};

static const char NO_FRAME[] = "<no Python frame>";

/* ------------------------------------------------------------ rows */

static void row_count(const struct stack_stats *stats, uint32_t stack,
                      struct row *row)
{
    const struct stack_stat *st = &stats->stats[stack];
    struct weight measures[NCOUNTERS / 2] = {
        st->alloc, st->freed, stack_stats_at_peak(stats, stack), st->live};

    for (int i = 0; i < NCOUNTERS / 2; i++) {
        row->counters[2 * i] = measures[i].bytes;
        row->counters[2 * i + 1] = measures[i].count;
    }
}

/* A row per stack that allocated; NULL with *n 0 when there is none. */
static struct row *rows_make(struct pikos_instance *inst,
                             struct allocations_ctx *self, size_t *n)
{
    const struct stack_stats *stats = &self->stats;
    struct row *rows = calloc(stats->capacity ? stats->capacity : 1,
                              sizeof(*rows));
    uint32_t parent;

    *n = 0;
    if (rows == NULL)
        return NULL;
    for (size_t stack = 0; stack < stats->capacity; stack++) {
        if (stats->stats[stack].alloc.count == 0)
            continue;
        struct row *row = &rows[(*n)++];
        row->stack = (uint32_t)stack;
        row_count(stats, (uint32_t)stack, row);
        if (stack != 0 &&
            self->host->stack_frame((uint32_t)stack, &row->code,
                                    &row->lineno, &parent) != PIKOS_OK) {
            self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
            row->code = NULL;
        }
    }
    return rows;
}

static int by_line(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    uintptr_t xid = x->code ? x->code->id : 0, yid = y->code ? y->code->id : 0;

    if (xid != yid)
        return xid < yid ? -1 : 1;
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

static int text_cmp(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

/* Most bytes allocated first; then by file, line and function, so that
   the order does not depend on addresses. */
static int by_size(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    int c;

    if (x->counters[0] != y->counters[0])
        return x->counters[0] > y->counters[0] ? -1 : 1;
    if ((c = text_cmp(x->code ? x->code->filename : NULL,
                      y->code ? y->code->filename : NULL)) != 0)
        return c;
    if (x->lineno != y->lineno)
        return x->lineno < y->lineno ? -1 : 1;
    if ((c = text_cmp(x->code ? x->code->name : NULL,
                      y->code ? y->code->name : NULL)) != 0)
        return c;
    return (x->stack > y->stack) - (x->stack < y->stack);
}

/* ------------------------------------------------------------ stacks */

struct text {
    char *data;
    size_t len, cap;
};

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
static int text_add_frame(struct text *t, const struct pikos_code *code,
                          int lineno)
{
    char number[24];
    size_t len = (size_t)(pikos_put_int(number, lineno) - number);

    if (text_add(t, code->name, code->name_len) < 0 ||
        text_add(t, " (", 2) < 0 ||
        text_add(t, code->filename, code->filename_len) < 0 ||
        text_add(t, ":", 1) < 0 || text_add(t, number, len) < 0)
        return -1;
    return text_add(t, ")", 1);
}

/* The stack's frames, outermost first, joined by ';'. */
static int stack_text(const struct allocations_ctx *self, uint32_t stack,
                      struct text *t)
{
    const struct pikos_code *code;
    int lineno;
    uint32_t parent;

    t->len = 0;
    if (stack == 0)
        return text_add(t, NO_FRAME, sizeof(NO_FRAME) - 1);
    if (self->host->stack_frame(stack, &code, &lineno, &parent) != PIKOS_OK)
        return -1;
    if (parent != 0) {
        if (stack_text(self, parent, t) < 0 || text_add(t, ";", 1) < 0)
            return -1;
    }
    return text_add_frame(t, code, lineno);
}

/* ------------------------------------------------------------ records */

static void set_text(struct pikos_value *v, const char *text, size_t len)
{
    v->u.s.ptr = text;
    v->u.s.len = len;
}

static int emit_row(struct pikos_instance *inst, struct allocations_ctx *self,
                    const struct row *row, struct text *stack)
{
    struct pikos_value values[FIELD_COUNT];
    const struct pikos_code *code = row->code;

    if (self->by_stack && stack_text(self, row->stack, stack) < 0)
        return self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    set_text(&values[FIELD_STACK], stack->data, stack->len);
    set_text(&values[FIELD_FUNCTION], code ? code->name : NO_FRAME,
             code ? code->name_len : sizeof(NO_FRAME) - 1);
    set_text(&values[FIELD_FILENAME], code ? code->filename : "",
             code ? code->filename_len : 0);
    values[FIELD_LINENO].u.i = code ? row->lineno : 0;
    for (int c = 0; c < NCOUNTERS; c++)
        values[FIELD_ALLOC_BYTES + c].u.i = llround(row->counters[c]);
    struct pikos_record record = {
        self->by_stack ? &stack_allocation_record : &allocation_record,
        self->by_stack ? values : values + 1};
    return self->host->emit(inst, &record);
}

int allocations_emit(struct pikos_instance *inst, struct allocations_ctx *self)
{
    size_t n;
    struct row *rows = rows_make(inst, self, &n);
    struct text stack = {0};
    int rc = PIKOS_OK;

    if (rows == NULL)
        return self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    if (!self->by_stack)
        n = rows_merge_lines(rows, n);
    qsort(rows, n, sizeof(*rows), by_size);
    for (size_t i = 0; i < n && rc == PIKOS_OK; i++)
        rc = emit_row(inst, self, &rows[i], &stack);
    free(stack.data);
    free(rows);
    return rc;
}
