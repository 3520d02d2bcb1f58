/*
 * cli/watch/watch_timing.c - own and total time per function of a timed
 * stream (records with `time` and `thread`: monitors/functions:time=true).
 *
 * Each thread's stack of open calls is rebuilt by the recorders' shared
 * code (plugins/recorders/common/call_stacks.h), so that `pikos watch`
 * reads an unbalanced stream as the recorders do.  When a call ends, its
 * time (end - start) is
 *   - its own time, less the time of the calls it made (own_ns);
 *   - the total time of its function, when no outer call of the same
 *     function is open on its thread (recursion counts once);
 *   - time its caller spent in a call (the caller's children_ns).
 * A table adds the calls still open, as if they ended at the latest time
 * seen, so a running function shows its time so far.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "call_stacks.h"
#include "watch.h"

/* A call_stacks frame: the shared part, then ours. */
struct timed_frame {
    struct call_frame base;
    size_t row;                     /* its function: an index in the tally */
    unsigned long long children_ns; /* time in the calls it made that ended */
    int outermost; /* no other call of its function open on its thread */
};

/* A thread's open calls per function (its call_stack's `user`), so that a
   push knows whether an outer call of the same function is open. */
struct open_calls {
    unsigned *per_row; /* indexed like the tally's rows */
    size_t count;
};

static unsigned long long minus(unsigned long long a, unsigned long long b)
{
    return a > b ? a - b : 0; /* times from a stream are not trusted */
}

static enum timed_kind kind_of(const char *type)
{
    static const struct {
        const char *name;
        enum timed_kind kind;
    } kinds[] = {{"call", TIMED_CALL},
                 {"return", TIMED_RETURN},
                 {"c_call", TIMED_C_CALL},
                 {"c_return", TIMED_C_RETURN},
                 {"c_exception", TIMED_C_EXCEPTION}};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(type, kinds[i].name) == 0)
            return kinds[i].kind;
    return TIMED_OTHER;
}

static const char *text_at(const json_t *row, int column)
{
    return json_string_value(json_array_get(row, column));
}

static long long integer_at(const json_t *row, int column)
{
    return column >= 0 ? json_integer_value(json_array_get(row, column)) : 0;
}

/* The open-call counter of `row` on a thread, grown as rows are added;
   NULL when out of memory. */
static unsigned *open_count(struct call_stack *stack, size_t row)
{
    struct open_calls *open = stack->user;
    if (!open && !(open = stack->user = calloc(1, sizeof(*open))))
        return NULL;
    if (row >= open->count) {
        size_t count = row < 16 ? 32 : 2 * row;
        unsigned *grown = realloc(open->per_row, count * sizeof(*grown));
        if (!grown)
            return NULL;
        memset(grown + open->count, 0, (count - open->count) * sizeof(*grown));
        open->per_row = grown;
        open->count = count;
    }
    return &open->per_row[row];
}

/* A call ends: its times go to its function and its caller. */
static void on_pop(struct call_stack *stack, void *frame, uint64_t end_ns,
                   void *arg)
{
    struct pikos_watch_timing *timing = arg;
    struct timed_frame *f = frame;
    struct pikos_watch_row *row = &timing->functions.rows[f->row];
    unsigned long long spent = minus(end_ns, f->base.start_ns);
    row->own_ns += minus(spent, f->children_ns);
    if (f->outermost)
        row->total_ns += spent;
    ((struct open_calls *)stack->user)->per_row[f->row]--;
    if (stack->depth >= 2) {
        struct timed_frame *caller =
            call_stack_frame(timing->stacks, stack, stack->depth - 2);
        caller->children_ns += spent;
    }
}

/* The function a call or c_call starts, counted; -1 when out of memory.
   A C function has no first line: its row is (name, caller's file, 0). */
static long call_row(struct pikos_watch_timing *timing,
                     const struct pikos_watch_columns *col, const json_t *row,
                     enum timed_kind kind)
{
    long long first_line =
        kind == TIMED_CALL ? integer_at(row, col->first_line_no) : 0;
    struct pikos_watch_row *r =
        pikos_watch_tally_row(&timing->functions, text_at(row, col->function),
                              text_at(row, col->filename), first_line, NULL);
    if (!r)
        return -1;
    r->calls++;
    return (long)(r - timing->functions.rows);
}

/* A call or c_call: its function's row, and room on its thread to count
   the open calls of that function, made before the push so that a frame
   pushed can always be filled.  -1 when out of memory. */
static long prepare_call(struct pikos_watch_timing *timing,
                         const struct pikos_watch_columns *col,
                         const json_t *row, const struct timed_event *e)
{
    long row_index = call_row(timing, col, row, e->kind);
    struct call_stack *stack = call_stacks_get(timing->stacks, e->thread);
    if (row_index < 0 || !stack || !open_count(stack, (size_t)row_index))
        return -1;
    return row_index;
}

/* The frame a call pushed: its function, and whether it is the outermost
   call of that function open on its thread. */
static void fill_frame(struct pikos_watch_timing *timing,
                       struct call_stack *stack, size_t row)
{
    struct timed_frame *f = call_stack_top(timing->stacks, stack);
    f->row = row;
    f->outermost = (*open_count(stack, row))++ == 0;
}

int pikos_watch_timing_add(struct pikos_watch_timing *timing,
                           const struct pikos_watch_columns *col,
                           const json_t *row)
{
    if (!timing->stacks &&
        !(timing->stacks = call_stacks_new(sizeof(struct timed_frame))))
        return -1;
    long long time = integer_at(row, col->time);
    struct timed_event e = {.kind = kind_of(text_at(row, col->type)),
                            .time_ns = time > 0 ? (uint64_t)time : 0,
                            .thread = (uint64_t)integer_at(row, col->thread)};
    if (e.time_ns > timing->latest_ns)
        timing->latest_ns = e.time_ns;
    long row_index = 0;
    if (e.kind == TIMED_CALL || e.kind == TIMED_C_CALL) {
        row_index = prepare_call(timing, col, row, &e);
        if (row_index < 0)
            return -1;
    }
    struct call_stack *stack;
    switch (call_stacks_event(timing->stacks, &e, &stack, on_pop, timing)) {
    case CALL_STACK_PUSHED:
        fill_frame(timing, stack, (size_t)row_index);
        return 0;
    case CALL_STACK_NOMEM:
        return -1;
    default:
        return 0;
    }
}

/* Frees what each thread's stack holds for us (its `user`). */
static void free_open_calls(struct call_stacks *stacks)
{
    struct call_stack *stack;
    for (size_t i = 0; (stack = call_stacks_at(stacks, i)) != NULL; i++) {
        struct open_calls *open = stack->user;
        if (open)
            free(open->per_row);
        free(open);
    }
}

void pikos_watch_timing_free(struct pikos_watch_timing *timing)
{
    if (timing->stacks) {
        free_open_calls(timing->stacks);
        call_stacks_free(timing->stacks);
    }
    pikos_watch_tally_free(&timing->functions);
    memset(timing, 0, sizeof(*timing));
}

/* ------------------------------------------------------------ tables */

/* Adds the calls open on a thread, as if they ended at `now_ns`: each
   one's own time so far is its time less its ended calls' and the time
   of the call it is in now (the frame above it). */
static void add_open_calls(const struct pikos_watch_timing *timing,
                           const struct call_stack *stack,
                           unsigned long long now_ns,
                           struct pikos_watch_time_row *rows)
{
    for (size_t i = 0; i < stack->depth; i++) {
        const struct timed_frame *f =
            call_stack_frame(timing->stacks, stack, i);
        unsigned long long spent = minus(now_ns, f->base.start_ns);
        unsigned long long in_call = 0;
        if (i + 1 < stack->depth) {
            const struct timed_frame *callee =
                call_stack_frame(timing->stacks, stack, i + 1);
            in_call = minus(now_ns, callee->base.start_ns);
        }
        rows[f->row].own_ns += minus(spent, f->children_ns + in_call);
        if (f->outermost)
            rows[f->row].total_ns += spent;
    }
}

static int compare_times(unsigned long long a, unsigned long long b)
{
    return a < b ? 1 : a > b ? -1 : 0; /* the larger first */
}

#define TIME_ROWS(pa, pb)                                                      \
    const struct pikos_watch_time_row *a = pa;                                 \
    const struct pikos_watch_time_row *b = pb

static int by_own(const void *pa, const void *pb)
{
    TIME_ROWS(pa, pb);
    int c = compare_times(a->own_ns, b->own_ns);
    if (c == 0)
        c = compare_times(a->total_ns, b->total_ns);
    return c != 0 ? c : pikos_watch_row_key_order(a->row, b->row);
}

static int by_total(const void *pa, const void *pb)
{
    TIME_ROWS(pa, pb);
    int c = compare_times(a->total_ns, b->total_ns);
    if (c == 0)
        c = compare_times(a->own_ns, b->own_ns);
    return c != 0 ? c : pikos_watch_row_key_order(a->row, b->row);
}

static int by_calls(const void *pa, const void *pb)
{
    TIME_ROWS(pa, pb);
    int c = compare_times(a->row->calls, b->row->calls);
    if (c == 0)
        c = compare_times(a->own_ns, b->own_ns);
    return c != 0 ? c : pikos_watch_row_key_order(a->row, b->row);
}

static int by_function(const void *pa, const void *pb)
{
    TIME_ROWS(pa, pb);
    return pikos_watch_row_key_order(a->row, b->row);
}

static int by_filename(const void *pa, const void *pb)
{
    TIME_ROWS(pa, pb);
    int c = strcmp(a->row->filename, b->row->filename);
    return c != 0 ? c : pikos_watch_row_key_order(a->row, b->row);
}

static int (*time_order(enum pikos_watch_sort sort))(const void *, const void *)
{
    switch (sort) {
    case PIKOS_WATCH_BY_TOTAL:
        return by_total;
    case PIKOS_WATCH_BY_CALLS:
        return by_calls;
    case PIKOS_WATCH_BY_FUNCTION:
        return by_function;
    case PIKOS_WATCH_BY_FILENAME:
    case PIKOS_WATCH_BY_LINE:
        return by_filename;
    default:
        return by_own;
    }
}

int pikos_watch_time_table(const struct pikos_watch_timing *timing,
                           enum pikos_watch_sort sort,
                           struct pikos_watch_time_table *table)
{
    const struct pikos_watch_tally *functions = &timing->functions;
    memset(table, 0, sizeof(*table));
    if (functions->count == 0)
        return 0;
    table->rows = calloc(functions->count, sizeof(*table->rows));
    if (!table->rows)
        return -1;
    table->count = functions->count;
    for (size_t r = 0; r < table->count; r++) {
        table->rows[r].row = &functions->rows[r];
        table->rows[r].own_ns = functions->rows[r].own_ns;
        table->rows[r].total_ns = functions->rows[r].total_ns;
    }
    const struct call_stack *stack;
    for (size_t i = 0; (stack = call_stacks_at(timing->stacks, i)) != NULL; i++)
        add_open_calls(timing, stack, timing->latest_ns, table->rows);
    for (size_t r = 0; r < table->count; r++)
        table->all_ns += table->rows[r].own_ns;
    qsort(table->rows, table->count, sizeof(*table->rows), time_order(sort));
    return 0;
}

void pikos_watch_time_table_free(struct pikos_watch_time_table *table)
{
    free(table->rows);
    memset(table, 0, sizeof(*table));
}

void pikos_watch_function_text(const struct pikos_watch_row *row, char *buf,
                               size_t size)
{
    if (row->line_no > 0)
        snprintf(buf, size, "%s (%s:%lld)", row->function, row->filename,
                 row->line_no);
    else
        snprintf(buf, size, "%s (%s)", row->function, row->filename);
}
