/*
 * cli/watch/watch.h - what the files of `pikos watch` share.
 *
 * `pikos watch` subscribes to the live streams recorders/zmq publishes
 * (wire format v1, docs/live.md) and shows them.  One concern per file:
 *   watch.c          the subcommand: arguments, the SUB socket, the loops
 *   watch_decode.c   two frames -> a validated message (no zmq, no curses)
 *   watch_streams.c  the streams seen and what each message does to them
 *   watch_tally.c    per-function and per-line counts (the tables)
 *   watch_timing.c   own and total time per function of timed streams
 *   watch_memory.c   current and peak RSS/VMS, and the Python heap's live
 *                    bytes and blocks, and their sparkline series
 *   watch_heap_top.c the latest snapshot of the top lines by live bytes
 *                    (HeapTopRecord) and its text
 *   watch_format.c   text helpers both outputs share (printable text, ...)
 *   watch_text.c     the plain-text snapshot of `--once`
 *   watch_view.c     the curses view and its keys
 *
 * Everything received is untrusted: the decoder checks every frame, and
 * strings are made printable only when shown (so a stream cannot send
 * terminal escape sequences to the screen).
 */
#ifndef PIKOS_WATCH_H
#define PIKOS_WATCH_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* `pikos watch ...`; argv[0] is "watch".  Returns the exit status. */
int pikos_cli_watch_command(int argc, char **argv);

/* ------------------------------------------------------ watch_decode.c */

/* What one message did: the first six are used, the rest skipped. */
enum pikos_watch_verdict {
    PIKOS_WATCH_NEW_STREAM = 1, /* the schema of a stream not seen before */
    PIKOS_WATCH_RESTATED,       /* a known stream's schema again */
    PIKOS_WATCH_RESTARTED,      /* a known stream id starts afresh */
    PIKOS_WATCH_RECORDS,        /* a batch of records applied */
    PIKOS_WATCH_ENDED,          /* a stream's end */
    PIKOS_WATCH_NO_SCHEMA,      /* for a stream whose schema is not known */
    PIKOS_WATCH_BAD_FRAMES,     /* not exactly two frames */
    PIKOS_WATCH_BAD_TOPIC,      /* a topic v1 does not have */
    PIKOS_WATCH_BAD_JSON,       /* frame 2 is not one UTF-8 JSON object */
    PIKOS_WATCH_BAD_KEY,        /* a key missing or mistyped, or v != 1 */
    PIKOS_WATCH_BAD_ROW,        /* a record that does not fit its schema */
    PIKOS_WATCH_NO_MEMORY       /* out of memory: the watcher stops */
};

/* A verdict that counts the message as malformed. */
int pikos_watch_is_malformed(int verdict);
/* "schema", "records", ..., "bad-topic", ... (the tests' spelling). */
const char *pikos_watch_verdict_name(int verdict);

enum pikos_watch_topic {
    PIKOS_WATCH_TOPIC_SCHEMA,
    PIKOS_WATCH_TOPIC_RECORDS,
    PIKOS_WATCH_TOPIC_END
};

enum pikos_watch_type { PIKOS_WATCH_INT, PIKOS_WATCH_FLOAT, PIKOS_WATCH_STR };

/* A stream's record schema, as its schema message states it. */
struct pikos_watch_schema {
    char *name;
    size_t nfields;
    char **fields;
    enum pikos_watch_type *types;
};

/* One frame of a received message. */
struct pikos_watch_frame {
    const void *data;
    size_t size;
};

/* A well-formed message.  `json` is owned; the other pointers point into
   it, except `schema` (schema messages only), which is owned too. */
struct pikos_watch_message {
    enum pikos_watch_topic topic;
    json_t *json;
    const char *stream;
    /* pikos.schema */
    const char *host;
    long long pid;
    struct pikos_watch_schema *schema;
    /* pikos.records: an array (rows are checked against the schema by
       pikos_watch_check_rows) */
    json_t *records;
    /* pikos.end */
    long long count, dropped;
};

/* Decodes and checks one message.  Returns 0 and fills *msg (release it
   with pikos_watch_message_clear), or a malformed verdict (or
   PIKOS_WATCH_NO_MEMORY) with *msg holding nothing. */
int pikos_watch_decode(const struct pikos_watch_frame *frames, size_t nframes,
                       struct pikos_watch_message *msg);
void pikos_watch_message_clear(struct pikos_watch_message *msg);

/* 0 when every row of `records` fits `schema` (length and types; an
   integer is accepted for a float), else PIKOS_WATCH_BAD_ROW. */
int pikos_watch_check_rows(const json_t *records,
                           const struct pikos_watch_schema *schema);

/* 1 when both schemas have the same name, fields and types. */
int pikos_watch_schema_equal(const struct pikos_watch_schema *a,
                             const struct pikos_watch_schema *b);
void pikos_watch_schema_free(struct pikos_watch_schema *schema);
/* The index of the field `name` declared with `type`, or -1. */
int pikos_watch_schema_field(const struct pikos_watch_schema *schema,
                             const char *name, enum pikos_watch_type type);

/* ------------------------------------------------------- watch_tally.c */

/* One row of a table: a function (line_no 0) or a source line. */
struct pikos_watch_row {
    char *function;
    char *filename;
    long long line_no;
    char *line;                /* line tables: the source text of the line */
    unsigned long long calls;  /* function tables: call and c_call records */
    unsigned long long events; /* records of this function / line hits */
    /* time tables (watch_timing.c): line_no is the function's first line
       (0 for a C function), and the nanoseconds of its calls that have
       returned: */
    unsigned long long own_ns;   /* not in a call it made */
    unsigned long long total_ns; /* all of it, outermost calls only */
};

/* Rows keyed on (function, filename, line_no), in first-seen order. */
struct pikos_watch_tally {
    struct pikos_watch_row *rows;
    size_t count, capacity;
    size_t *slots; /* open addressing: index + 1 into rows, 0 = empty */
    size_t nslots;
};

/* The orders a table can be shown in; ties fall back to function,
   filename, line. */
enum pikos_watch_sort {
    PIKOS_WATCH_BY_CALLS,
    PIKOS_WATCH_BY_EVENTS, /* the share of events; hits in a line table */
    PIKOS_WATCH_BY_FUNCTION,
    PIKOS_WATCH_BY_FILENAME,
    PIKOS_WATCH_BY_LINE, /* filename, then line number */
    PIKOS_WATCH_BY_OWN,  /* time tables: own time, then total time */
    PIKOS_WATCH_BY_TOTAL /* time tables: total time, then own time */
};

/* The row of that key, made (with zero counts) when new; NULL when out of
   memory.  `line` is kept from the first record of a line. */
struct pikos_watch_row *pikos_watch_tally_row(struct pikos_watch_tally *tally,
                                              const char *function,
                                              const char *filename,
                                              long long line_no,
                                              const char *line);
/* The rows sorted, as a new array of `tally->count` pointers (free() it);
   NULL when out of memory or empty. */
struct pikos_watch_row **
pikos_watch_tally_sorted(const struct pikos_watch_tally *tally,
                         enum pikos_watch_sort sort);
void pikos_watch_tally_free(struct pikos_watch_tally *tally);
/* The order every sort falls back to: function, filename, line. */
int pikos_watch_row_key_order(const struct pikos_watch_row *a,
                              const struct pikos_watch_row *b);

/* ------------------------------------------------------ watch_memory.c */

/* The sparkline keeps at most this many cells (even: pairs merge). */
#define PIKOS_WATCH_SPARK_CELLS 48

/*
 * One memory counter over a whole stream: its latest and peak values, and
 * cells for a sparkline.  Each cell is the peak of an equal run of
 * records; when the cells are full, neighbours merge pairwise and runs
 * double, so the line always spans the stream from its first record.
 */
struct pikos_watch_series {
    long long current, peak;
    long long cells[PIKOS_WATCH_SPARK_CELLS];
    size_t ncells;
    unsigned long long per_cell; /* records per full cell */
    unsigned long long in_last;  /* records in the last cell */
};

void pikos_watch_series_add(struct pikos_watch_series *series, long long value);
/* The cells drawn with `levels` (nlevels glyphs, lowest first), scaled
   from the lowest to the highest cell, into buf (NUL-terminated). */
void pikos_watch_sparkline(const struct pikos_watch_series *series,
                           const char *const *levels, size_t nlevels, char *buf,
                           size_t size);

/* ----------------------------------------------------- watch_streams.c */

enum pikos_watch_state {
    PIKOS_WATCH_STREAM_LIVE,
    PIKOS_WATCH_STREAM_SILENT, /* not ended, yet nothing heard for a while */
    PIKOS_WATCH_STREAM_ENDED   /* its pikos.end arrived */
};

/* Nothing heard from a live stream for this long makes it silent (the
   schema is re-sent every second). */
#define PIKOS_WATCH_SILENT_AFTER 3.0

/* Where a schema keeps the fields the views use (-1: not there). */
struct pikos_watch_columns {
    int type, function, filename, line_no, line, rss, vms;
    int first_line_no, time, thread; /* timed records */
    int live_bytes, live_blocks;     /* heap records */
    /* heap top records (also function, filename, live_bytes, time) */
    int snapshot, rank, rows, lines, lineno, live_count, alloc_bytes,
        alloc_count;
};

/* ---------------------------------------------------- watch_heap_top.c */

/* One line of a snapshot of the heap's top lines. */
struct pikos_watch_heap_line {
    char *function, *filename;
    long long lineno, live_bytes, live_count, alloc_bytes, alloc_count;
};

/* One snapshot: its rows in rank order. */
struct pikos_watch_heap_snapshot {
    long long snapshot; /* its number in the run; 0: none */
    long long time_ns;  /* when it was made, since the run started */
    long long lines;    /* the lines that allocated, in all */
    long long rows;     /* the rows it has (rank 1..rows) */
    struct pikos_watch_heap_line *line;
    size_t count; /* rows received so far */
    int broken;   /* a rank came out of order: never shown */
};

/*
 * The top lines by live bytes of a stream of HeapTopRecords
 * (monitors/allocations live=S): the latest snapshot received whole is
 * shown; the one arriving is built beside it, so that a table is never
 * shown half way through a snapshot.
 */
struct pikos_watch_heap_top {
    struct pikos_watch_heap_snapshot shown, building;
};

/* Applies one record (a row checked against its schema).  0, or -1 when
   out of memory. */
int pikos_watch_heap_top_add(struct pikos_watch_heap_top *top,
                             const struct pikos_watch_columns *col,
                             const json_t *row);
void pikos_watch_heap_top_free(struct pikos_watch_heap_top *top);
/* The snapshot's section of `--once`: at most `rows` rows (0: all). */
void pikos_watch_print_heap_top(FILE *out,
                                const struct pikos_watch_heap_top *top,
                                size_t rows);

/* ------------------------------------------------------ watch_timing.c */

struct call_stacks; /* plugins/recorders/common/call_stacks.h */

/*
 * Own (exclusive) and total (inclusive) time per function of a timed
 * stream, the way `py-spy top` shows them.  Each thread's call stack is
 * rebuilt from call/return/c_call/c_return/c_exception with the shared
 * rules of plugins/recorders/common/call_stacks.h; a call's time counts
 * when it ends.  A function's total time counts only its outermost call
 * open on a thread, so recursion does not count twice.
 */
struct pikos_watch_timing {
    struct pikos_watch_tally functions; /* own_ns, total_ns, calls */
    struct call_stacks *stacks;
    unsigned long long latest_ns; /* the latest time of any record */
};

/* Applies one record (a row of a timed function stream, checked against
   its schema).  Returns 0, or -1 when out of memory. */
int pikos_watch_timing_add(struct pikos_watch_timing *timing,
                           const struct pikos_watch_columns *col,
                           const json_t *row);
void pikos_watch_timing_free(struct pikos_watch_timing *timing);

/* One line of a time table: closed calls plus those still open, up to
   the latest time seen (a live stream's running functions count). */
struct pikos_watch_time_row {
    const struct pikos_watch_row *row;
    unsigned long long own_ns, total_ns;
};

struct pikos_watch_time_table {
    struct pikos_watch_time_row *rows; /* every function, sorted */
    size_t count;
    /* the sum of every own time: the time of the threads' outermost
       calls, which percentages are shares of */
    unsigned long long all_ns;
};

/* The table in the order `sort` (BY_OWN, BY_TOTAL, BY_CALLS,
   BY_FUNCTION, BY_FILENAME).  Returns 0 (an empty table has no rows),
   or -1 when out of memory.  Free it with pikos_watch_time_table_free. */
int pikos_watch_time_table(const struct pikos_watch_timing *timing,
                           enum pikos_watch_sort sort,
                           struct pikos_watch_time_table *table);
void pikos_watch_time_table_free(struct pikos_watch_time_table *table);
/* "function (filename:line)", or "function (filename)" for a C function
   (line 0), into buf as it is (show it through the printable helpers). */
void pikos_watch_function_text(const struct pikos_watch_row *row, char *buf,
                               size_t size);

/* One stream: a recorder instance of one process. */
struct pikos_watch_stream {
    char *id;
    char *host;
    long long pid;
    struct pikos_watch_schema *schema;
    struct pikos_watch_columns col;
    int ended;
    long long sent, dropped;    /* from pikos.end */
    unsigned long long records; /* records applied */
    unsigned restarts;
    double last_heard; /* seconds, on the caller's clock */
    /* What the schema allows (flags): */
    int has_functions, has_lines, has_memory;
    int has_times; /* function records with time and thread */
    int has_heap;  /* heap records: live_bytes and live_blocks over time
                      (monitors/allocations interval=N) */
    int has_heap_top; /* heap top records: snapshots of the top lines by
                         live bytes (monitors/allocations live=S) */
    struct pikos_watch_tally functions, lines;
    struct pikos_watch_timing timing; /* has_times */
    struct pikos_watch_series rss, vms;
    struct pikos_watch_series heap_bytes, heap_blocks; /* has_heap */
    struct pikos_watch_heap_top heap_top;               /* has_heap_top */
    json_t *last_record; /* the latest row (every stream keeps it) */
};

/* Every stream seen, in order of arrival, and the skipped messages. */
struct pikos_watch_streams {
    struct pikos_watch_stream **list;
    size_t count, capacity;
    unsigned long long malformed;
    unsigned long long no_schema;
};

/* Decodes one message and applies it; `now` (seconds) marks the stream
   as heard.  Returns the verdict. */
int pikos_watch_receive(struct pikos_watch_streams *streams,
                        const struct pikos_watch_frame *frames, size_t nframes,
                        double now);
/* 1 when at least one stream was seen and every one has ended. */
int pikos_watch_all_ended(const struct pikos_watch_streams *streams);
enum pikos_watch_state
pikos_watch_stream_state(const struct pikos_watch_stream *stream, double now);
const char *pikos_watch_state_name(enum pikos_watch_state state);
void pikos_watch_streams_free(struct pikos_watch_streams *streams);

/* ------------------------------------------------------ watch_format.c */

/* Writes `text` with control characters (C0, DEL, C1) shown as '?'. */
void pikos_watch_put_printable(FILE *out, const char *text);
/* Copies at most `columns` characters of `text` (UTF-8), made printable,
   into buf; returns the characters copied. */
size_t pikos_watch_printable(const char *text, size_t columns, char *buf,
                             size_t size);
/* The characters (UTF-8 code points) of text. */
size_t pikos_watch_text_width(const char *text);
/* A JSON value as text: integers in decimal, reals as the shortest form
   that reads back the same, strings as they are. */
void pikos_watch_value_text(const json_t *value, char *buf, size_t size);
/* A duration for the view: "1.25s", "12.50ms", "3.10us" or "870ns". */
void pikos_watch_duration_text(unsigned long long ns, char *buf, size_t size);
/* 100 * part / whole, 0 when whole is 0. */
double pikos_watch_percent(unsigned long long part, unsigned long long whole);

/* The eight Unicode blocks U+2581..U+2588, lowest first. */
extern const char *const pikos_watch_blocks[8];

/* -------------------------------------------------------- watch_text.c */

/* The snapshot `--once` prints: every stream, sorted by host, pid and
   id; at most `top` rows per table (0: all). */
void pikos_watch_print_snapshot(FILE *out,
                                const struct pikos_watch_streams *streams,
                                size_t top, double now);

/* -------------------------------------------------------- watch_view.c */

struct pikos_watch_view;

/* Starts curses on the terminal; NULL (reported) when it cannot. */
struct pikos_watch_view *pikos_watch_view_open(void);
/* Draws the streams, unless paused. */
void pikos_watch_view_draw(struct pikos_watch_view *view,
                           const struct pikos_watch_streams *streams,
                           double now);
/* Reads the pending keys; returns 1 when the user quits. */
int pikos_watch_view_keys(struct pikos_watch_view *view,
                          const struct pikos_watch_streams *streams);
void pikos_watch_view_close(struct pikos_watch_view *view);

#endif /* PIKOS_WATCH_H */
