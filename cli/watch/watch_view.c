/*
 * cli/watch/watch_view.c - the curses view of `pikos watch` and its keys.
 *
 *    pikos watch  2 streams  malformed 0  waiting for a schema 0
 *    box:4242:1 FunctionRecord live   box:4243:1 LineMemoryRecord ended
 *
 *   stream box:4242:1  host box  pid 4242  schema FunctionRecord  live ...
 *
 *        calls   share  function  filename
 *          120   40.2%  fib       /srv/app.py
 *   ...
 *    Tab/n next  p previous  s sort: calls  space pause  q quit
 *
 * A timed stream (time and thread fields) shows own and total time per
 * function instead, as `py-spy top` does:
 *
 *      %Own  %Total    OwnTime  TotalTime       calls  function (file:line)
 *     62.1%  100.0%     1.25s      2.01s           1  main (/srv/app.py:3)
 *
 * One stream is shown at a time; tables fill the screen.  Pause freezes
 * the screen (messages are still received, so no publisher waits).
 */
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curses.h>

#include "../cli.h"
#include "watch.h"

struct pikos_watch_view {
    SCREEN *screen;
    size_t selected; /* the stream shown: an index in the streams' list */
    unsigned sort;   /* how many times s was pressed */
    int paused;
    int redraw; /* draw even when paused: a key changed what is shown */
    int utf8;   /* the terminal takes UTF-8: Unicode blocks in sparklines */
};

/* Sparkline glyphs where the terminal is not UTF-8. */
static const char *const ascii_levels[8] = {"_", ".", ":", "-",
                                            "=", "+", "*", "#"};

/* The sort orders of each table, in the order s cycles through them, and
   the column each one sorts by. */
static const enum pikos_watch_sort function_sorts[] = {
    PIKOS_WATCH_BY_CALLS, PIKOS_WATCH_BY_EVENTS, PIKOS_WATCH_BY_FUNCTION,
    PIKOS_WATCH_BY_FILENAME};
static const char *const function_sort_names[] = {"calls", "share", "function",
                                                  "filename"};
static const enum pikos_watch_sort line_sorts[] = {
    PIKOS_WATCH_BY_EVENTS, PIKOS_WATCH_BY_FUNCTION, PIKOS_WATCH_BY_LINE};
static const char *const line_sort_names[] = {"hits", "function", "line"};
/* Time tables: keys 1-6 pick a column, as in py-spy top (%Own and
   OwnTime sort alike, as do %Total and TotalTime). */
static const enum pikos_watch_sort time_sorts[] = {
    PIKOS_WATCH_BY_OWN,   PIKOS_WATCH_BY_TOTAL, PIKOS_WATCH_BY_OWN,
    PIKOS_WATCH_BY_TOTAL, PIKOS_WATCH_BY_CALLS, PIKOS_WATCH_BY_FUNCTION};
static const char *const time_sort_names[] = {
    "%Own", "%Total", "OwnTime", "TotalTime", "calls", "function"};

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))
#define NUMBER_W 10 /* calls, hits */
#define SHARE_W 7   /* " 100.0%" */
#define TIME_W 10   /* "123.45ms" */

struct pikos_watch_view *pikos_watch_view_open(void)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        pikos_cli_error("watch: the live view needs a terminal (use --once "
                        "for a plain-text snapshot)");
        return NULL;
    }
    struct pikos_watch_view *view = calloc(1, sizeof(*view));
    if (!view) {
        pikos_cli_error("watch: out of memory");
        return NULL;
    }
    setlocale(LC_ALL, "");
    view->utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    view->screen = newterm(NULL, stdout, stdin);
    if (!view->screen) {
        const char *term = getenv("TERM");
        pikos_cli_error("watch: cannot start the view on terminal type '%s' "
                        "(set TERM, or use --once)",
                        term ? term : "");
        free(view);
        return NULL;
    }
    set_term(view->screen);
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    curs_set(0);
    return view;
}

void pikos_watch_view_close(struct pikos_watch_view *view)
{
    endwin();
    delscreen(view->screen);
    free(view);
}

/* ------------------------------------------------------------ cells */

/* Writes `text` made printable in `width` columns at (y, x): cut at the
   end, or with `keep_tail` at the start ("...end", for file names). */
static void put_cell(int y, int x, const char *text, int width, int keep_tail)
{
    if (width <= 0)
        return;
    size_t chars = pikos_watch_text_width(text);
    const char *from = text;
    if (keep_tail && chars > (size_t)width && width > 3) {
        for (size_t skip = chars - (size_t)width + 3; skip > 0; skip--)
            do
                from++;
            while ((*from & 0xC0) == 0x80);
        mvaddstr(y, x, "...");
        x += 3;
        width -= 3;
    }
    char buf[1024];
    pikos_watch_printable(from, (size_t)width, buf, sizeof(buf));
    mvaddstr(y, x, buf);
}

static int min_int(int a, int b)
{
    return a < b ? a : b;
}

/* ------------------------------------------------------------ header */

static void draw_header(const struct pikos_watch_view *view,
                        const struct pikos_watch_streams *streams)
{
    char line[256];
    snprintf(line, sizeof(line),
             " pikos watch  %zu stream%s  malformed %llu  waiting for a "
             "schema %llu%s",
             streams->count, streams->count == 1 ? "" : "s", streams->malformed,
             streams->no_schema, view->paused ? "  PAUSED" : "");
    attron(A_REVERSE);
    mvhline(0, 0, ' ', COLS);
    put_cell(0, 0, line, COLS, 0);
    attroff(A_REVERSE);
}

static void tab_label(const struct pikos_watch_stream *s, double now, char *buf,
                      size_t size)
{
    snprintf(buf, size, " %s %s %s ", s->id, s->schema->name,
             pikos_watch_state_name(pikos_watch_stream_state(s, now)));
}

/* One label per stream; from the selected one when all do not fit. */
static void draw_tabs(const struct pikos_watch_view *view,
                      const struct pikos_watch_streams *streams, double now)
{
    char label[512];
    int width = 0;
    for (size_t i = 0; i <= view->selected && i < streams->count; i++) {
        tab_label(streams->list[i], now, label, sizeof(label));
        width += (int)pikos_watch_text_width(label) + 1;
    }
    size_t first = width > COLS ? view->selected : 0;
    int x = 0;
    for (size_t i = first; i < streams->count && x < COLS; i++) {
        tab_label(streams->list[i], now, label, sizeof(label));
        int selected = i == view->selected;
        if (selected)
            attron(A_REVERSE | A_BOLD);
        put_cell(1, x, label, COLS - x, 0);
        if (selected)
            attroff(A_REVERSE | A_BOLD);
        x += (int)pikos_watch_text_width(label) + 1;
    }
}

static void draw_footer(const struct pikos_watch_view *view,
                        const struct pikos_watch_stream *s)
{
    const char *sort = "-";
    if (s && s->has_times)
        sort = time_sort_names[view->sort % COUNT(time_sorts)];
    else if (s && s->has_functions)
        sort = function_sort_names[view->sort % COUNT(function_sorts)];
    else if (s && s->has_lines)
        sort = line_sort_names[view->sort % COUNT(line_sorts)];
    char line[160];
    snprintf(line, sizeof(line),
             " Tab/n next  p previous  s%s sort: %s  space %s  q quit",
             s && s->has_times ? "/1-6" : "", sort,
             view->paused ? "resume" : "pause");
    attron(A_REVERSE);
    mvhline(LINES - 1, 0, ' ', COLS);
    put_cell(LINES - 1, 0, line, COLS, 0);
    attroff(A_REVERSE);
}

/* ------------------------------------------------------------ a stream */

static int draw_stream_line(const struct pikos_watch_stream *s, double now,
                            int y)
{
    char line[768];
    int n = snprintf(
        line, sizeof(line),
        "stream %s  host %s  pid %lld  schema %s  %s  records %llu", s->id,
        s->host, s->pid, s->schema->name,
        pikos_watch_state_name(pikos_watch_stream_state(s, now)), s->records);
    if (s->ended && n > 0 && (size_t)n < sizeof(line))
        snprintf(line + n, sizeof(line) - (size_t)n,
                 "  sent %lld  dropped %lld", s->sent, s->dropped);
    put_cell(y, 0, line, COLS, 0);
    return y + 2;
}

static void draw_series(const struct pikos_watch_view *view, const char *name,
                        const struct pikos_watch_series *series, int y)
{
    char spark[PIKOS_WATCH_SPARK_CELLS * 4 + 1], line[512];
    pikos_watch_sparkline(series,
                          view->utf8 ? pikos_watch_blocks : ascii_levels, 8,
                          spark, sizeof(spark));
    snprintf(line, sizeof(line), "%s  current %9.1f MiB  peak %9.1f MiB  %s",
             name, (double)series->current / 1048576.0,
             (double)series->peak / 1048576.0, spark);
    put_cell(y, 0, line, COLS, 0);
}

static int draw_memory(const struct pikos_watch_view *view,
                       const struct pikos_watch_stream *s, int y)
{
    if (s->records == 0)
        return y;
    draw_series(view, "RSS", &s->rss, y);
    draw_series(view, "VMS", &s->vms, y + 1);
    return y + 3;
}

static int draw_heap(const struct pikos_watch_view *view,
                     const struct pikos_watch_stream *s, int y)
{
    char spark[PIKOS_WATCH_SPARK_CELLS * 4 + 1], line[512];

    if (s->records == 0)
        return y;
    draw_series(view, "heap", &s->heap_bytes, y);
    pikos_watch_sparkline(&s->heap_blocks,
                          view->utf8 ? pikos_watch_blocks : ascii_levels, 8,
                          spark, sizeof(spark));
    snprintf(line, sizeof(line), "blocks current %9lld  peak %9lld  %s",
             s->heap_blocks.current, s->heap_blocks.peak, spark);
    put_cell(y + 1, 0, line, COLS, 0);
    return y + 3;
}

/* The width of the function column: its longest name, within a third of
   the screen. */
static int function_width(struct pikos_watch_row **rows, size_t n)
{
    size_t width = strlen("function");
    for (size_t i = 0; i < n; i++) {
        size_t w = pikos_watch_text_width(rows[i]->function);
        width = w > width ? w : width;
    }
    return min_int((int)width, COLS / 3);
}

static void draw_function_row(const struct pikos_watch_stream *s,
                              const struct pikos_watch_row *row, int y,
                              int function_w)
{
    char numbers[64];
    snprintf(numbers, sizeof(numbers), "%*llu %6.1f%%", NUMBER_W, row->calls,
             pikos_watch_percent(row->events, s->records));
    int x = NUMBER_W + SHARE_W + 2;
    put_cell(y, 0, numbers, COLS, 0);
    put_cell(y, x, row->function, function_w, 0);
    put_cell(y, x + function_w + 2, row->filename, COLS - x - function_w - 2,
             1);
}

/* The heading of a table, the sort column underlined. */
static void draw_heading(int y, const char *const *names, const int *xs,
                         size_t n, size_t sorted_column)
{
    for (size_t i = 0; i < n; i++) {
        if (i == sorted_column)
            attron(A_UNDERLINE | A_BOLD);
        put_cell(y, xs[i], names[i], COLS - xs[i], 0);
        if (i == sorted_column)
            attroff(A_UNDERLINE | A_BOLD);
    }
}

/* The table rows that fit below a heading at y, above the footer. */
static size_t rows_below(int y, size_t count)
{
    int room = LINES - 1 - (y + 1);
    return room > 0 ? (size_t)min_int(room, (int)count) : 0;
}

static void draw_functions(const struct pikos_watch_view *view,
                           const struct pikos_watch_stream *s, int y)
{
    size_t which = view->sort % COUNT(function_sorts);
    size_t shown = rows_below(y, s->functions.count);
    struct pikos_watch_row **rows =
        shown ? pikos_watch_tally_sorted(&s->functions, function_sorts[which])
              : NULL;
    if (!rows)
        return;
    int function_w = function_width(rows, shown);
    int x = NUMBER_W + SHARE_W + 2;
    const char *names[] = {"     calls", "  share", "function", "filename"};
    const int xs[] = {0, NUMBER_W, x, x + function_w + 2};
    draw_heading(y, names, xs, 4, which);
    for (size_t i = 0; i < shown; i++)
        draw_function_row(s, rows[i], y + 1 + (int)i, function_w);
    free(rows);
}

/* Where the columns of a time table start: %Own, %Total, OwnTime,
   TotalTime, calls, function (file:line). */
static const int time_xs[] = {0,
                              SHARE_W + 1,
                              2 * SHARE_W + 2,
                              2 * SHARE_W + TIME_W + 3,
                              2 * SHARE_W + 2 * TIME_W + 4,
                              2 * SHARE_W + 2 * TIME_W + NUMBER_W + 6};

static void draw_time_row(const struct pikos_watch_time_row *t,
                          unsigned long long all_ns, int y)
{
    char own[24], total[24], numbers[96], function[1024];
    pikos_watch_duration_text(t->own_ns, own, sizeof(own));
    pikos_watch_duration_text(t->total_ns, total, sizeof(total));
    snprintf(numbers, sizeof(numbers), "%6.1f%% %6.1f%% %*s %*s %*llu",
             pikos_watch_percent(t->own_ns, all_ns),
             pikos_watch_percent(t->total_ns, all_ns), TIME_W, own, TIME_W,
             total, NUMBER_W, t->row->calls);
    put_cell(y, 0, numbers, COLS, 0);
    pikos_watch_function_text(t->row, function, sizeof(function));
    put_cell(y, time_xs[5], function, COLS - time_xs[5], 0);
}

static void draw_times(const struct pikos_watch_view *view,
                       const struct pikos_watch_stream *s, int y)
{
    size_t which = view->sort % COUNT(time_sorts);
    struct pikos_watch_time_table table;
    if (pikos_watch_time_table(&s->timing, time_sorts[which], &table) < 0)
        return;
    const char *names[] = {"   %Own",    " %Total",    "   OwnTime",
                           " TotalTime", "     calls", "function (file:line)"};
    draw_heading(y, names, time_xs, COUNT(names), which);
    size_t shown = rows_below(y, table.count);
    for (size_t i = 0; i < shown; i++)
        draw_time_row(&table.rows[i], table.all_ns, y + 1 + (int)i);
    pikos_watch_time_table_free(&table);
}

/* xs: where the columns hits, line ("file:lineNo"), function and source
   start. */
static void draw_line_row(const struct pikos_watch_row *row, int y,
                          const int *xs)
{
    char hits[32], where[1024];
    snprintf(hits, sizeof(hits), "%*llu", NUMBER_W, row->events);
    snprintf(where, sizeof(where), "%s:%lld", row->filename, row->line_no);
    put_cell(y, xs[0], hits, NUMBER_W, 0);
    put_cell(y, xs[1], where, xs[2] - xs[1] - 2, 1);
    put_cell(y, xs[2], row->function, xs[3] - xs[2] - 2, 0);
    put_cell(y, xs[3], row->line, COLS - xs[3], 0);
}

static void draw_lines(const struct pikos_watch_view *view,
                       const struct pikos_watch_stream *s, int y)
{
    size_t which = view->sort % COUNT(line_sorts);
    size_t shown = rows_below(y, s->lines.count);
    struct pikos_watch_row **rows =
        shown ? pikos_watch_tally_sorted(&s->lines, line_sorts[which]) : NULL;
    if (!rows)
        return;
    int where_w = COLS / 3;
    int function_w = min_int(function_width(rows, shown), COLS / 5);
    const char *names[] = {"      hits", "line", "function", "source"};
    const int xs[] = {0, NUMBER_W + 2, NUMBER_W + 4 + where_w,
                      NUMBER_W + 6 + where_w + function_w};
    /* the column of each sort: hits, function, line */
    static const size_t sorted_column[] = {0, 2, 1};
    draw_heading(y, names, xs, 4, sorted_column[which]);
    for (size_t i = 0; i < shown; i++)
        draw_line_row(rows[i], y + 1 + (int)i, xs);
    free(rows);
}

/* The latest whole snapshot of the heap's top lines (HeapTopRecord), in
   rank order: live bytes and blocks (MiB and a count), allocated bytes
   and blocks, line and function. */
static void draw_heap_top(const struct pikos_watch_stream *s, int y)
{
    const struct pikos_watch_heap_snapshot *snap = &s->heap_top.shown;
    char line[256];

    if (snap->count == 0) {
        put_cell(y, 0, "heap lines: none yet", COLS, 0);
        return;
    }
    long long t = snap->time_ns < 0 ? 0 : snap->time_ns;
    snprintf(line, sizeof(line),
             "heap lines by live bytes: snapshot %lld at %.1f s, %zu of %lld "
             "lines",
             snap->snapshot, (double)t / 1e9, snap->count, snap->lines);
    put_cell(y, 0, line, COLS, 0);
    y += 2;
    int where_w = COLS / 3;
    const char *names[] = {"  live MiB", "    blocks", " alloc MiB",
                           "    blocks", "line", "function"};
    const int xs[] = {0,
                      NUMBER_W + 1,
                      2 * NUMBER_W + 2,
                      3 * NUMBER_W + 3,
                      4 * NUMBER_W + 5,
                      4 * NUMBER_W + 7 + where_w};
    draw_heading(y, names, xs, 6, 0);
    size_t shown = rows_below(y, snap->count);
    for (size_t i = 0; i < shown; i++) {
        const struct pikos_watch_heap_line *l = &snap->line[i];
        char where[1024];
        int row = y + 1 + (int)i;
        snprintf(line, sizeof(line), "%*.2f %*lld %*.2f %*lld", NUMBER_W,
                 (double)l->live_bytes / 1048576.0, NUMBER_W, l->live_count,
                 NUMBER_W, (double)l->alloc_bytes / 1048576.0, NUMBER_W,
                 l->alloc_count);
        put_cell(row, 0, line, COLS, 0);
        snprintf(where, sizeof(where), "%s:%lld", l->filename, l->lineno);
        put_cell(row, xs[4], where, where_w, 1);
        put_cell(row, xs[5], l->function, COLS - xs[5], 0);
    }
}

static void draw_last_record(const struct pikos_watch_stream *s, int y)
{
    put_cell(y++, 0, s->last_record ? "last record:" : "no record yet", COLS,
             0);
    for (size_t i = 0; s->last_record && i < s->schema->nfields; i++) {
        if (y >= LINES - 1)
            return;
        char value[512];
        pikos_watch_value_text(json_array_get(s->last_record, i), value,
                               sizeof(value));
        put_cell(y, 2, s->schema->fields[i], COLS / 4, 0);
        put_cell(y++, 4 + COLS / 4, value, COLS - 4 - COLS / 4, 0);
    }
}

static void draw_stream(const struct pikos_watch_view *view,
                        const struct pikos_watch_stream *s, double now)
{
    int y = draw_stream_line(s, now, 3);
    if (s->has_memory)
        y = draw_memory(view, s, y);
    if (s->has_heap)
        y = draw_heap(view, s, y);
    if (s->has_times)
        draw_times(view, s, y);
    else if (s->has_functions)
        draw_functions(view, s, y);
    else if (s->has_lines)
        draw_lines(view, s, y);
    else if (s->has_heap_top)
        draw_heap_top(s, y);
    else if (!s->has_memory && !s->has_heap)
        draw_last_record(s, y);
}

void pikos_watch_view_draw(struct pikos_watch_view *view,
                           const struct pikos_watch_streams *streams,
                           double now)
{
    if (view->paused && !view->redraw)
        return;
    view->redraw = 0;
    if (view->selected >= streams->count)
        view->selected = streams->count ? streams->count - 1 : 0;
    const struct pikos_watch_stream *s =
        streams->count ? streams->list[view->selected] : NULL;
    erase();
    draw_header(view, streams);
    draw_tabs(view, streams, now);
    if (s)
        draw_stream(view, s, now);
    else
        put_cell(3, 0, "waiting for a stream...", COLS, 0);
    draw_footer(view, s);
    refresh();
}

/* ------------------------------------------------------------ keys */

int pikos_watch_view_keys(struct pikos_watch_view *view,
                          const struct pikos_watch_streams *streams)
{
    size_t n = streams->count;
    int key;
    while ((key = getch()) != ERR) {
        if (key == 'q' || key == 'Q')
            return 1;
        if ((key == '\t' || key == 'n' || key == KEY_RIGHT) && n)
            view->selected = (view->selected + 1) % n;
        else if ((key == 'p' || key == KEY_BTAB || key == KEY_LEFT) && n)
            view->selected = (view->selected + n - 1) % n;
        else if (key == 's')
            view->sort++;
        else if (key >= '1' && key <= '6')
            view->sort = (unsigned)(key - '1'); /* a time table's column */
        else if (key == ' ')
            view->paused = !view->paused;
    }
    view->redraw = 1;
    return 0;
}
