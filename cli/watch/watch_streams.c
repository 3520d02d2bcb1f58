/*
 * cli/watch/watch_streams.c - the streams seen and what each message does to
 * them.
 *
 * A stream is one recorder instance of one process, named by its stream id
 * ("host:pid:k").  Its schema message makes it; a schema that says the same
 * again changes nothing (it is re-sent every second for late subscribers);
 * a schema after the stream's end, or a different one, starts the stream
 * afresh (the same id again: a program restarted with the same pid, as in
 * a container).  Records are applied only to a stream whose schema is
 * known and which has not ended, and only when the whole batch fits the
 * schema.  A new stream id from the same host and pid is simply a new
 * stream.
 *
 * What a stream shows follows from its fields (docs/live.md):
 *   function, filename, type (str)   calls and share of events per function
 *   ... and time, thread (int)       own and total time per function
 *   lineNo (int), line (str), no type  hits per source line
 *   RSS, VMS (int)                   current and peak memory, sparkline
 *   live_bytes, live_blocks, time    the Python heap (HeapRecord)
 *   snapshot, rank, rows, ... (int)  the heap's top lines (HeapTopRecord)
 * and every stream keeps its record count and its latest record.
 */
#include <stdlib.h>
#include <string.h>

#include "watch.h"

static struct pikos_watch_stream *find_stream(struct pikos_watch_streams *all,
                                              const char *id)
{
    for (size_t i = 0; i < all->count; i++)
        if (strcmp(all->list[i]->id, id) == 0)
            return all->list[i];
    return NULL;
}

static void find_columns(struct pikos_watch_stream *s)
{
    const struct pikos_watch_schema *schema = s->schema;
    struct pikos_watch_columns *col = &s->col;
    col->type = pikos_watch_schema_field(schema, "type", PIKOS_WATCH_STR);
    col->function =
        pikos_watch_schema_field(schema, "function", PIKOS_WATCH_STR);
    col->filename =
        pikos_watch_schema_field(schema, "filename", PIKOS_WATCH_STR);
    col->line_no = pikos_watch_schema_field(schema, "lineNo", PIKOS_WATCH_INT);
    col->line = pikos_watch_schema_field(schema, "line", PIKOS_WATCH_STR);
    col->rss = pikos_watch_schema_field(schema, "RSS", PIKOS_WATCH_INT);
    col->vms = pikos_watch_schema_field(schema, "VMS", PIKOS_WATCH_INT);
    col->first_line_no =
        pikos_watch_schema_field(schema, "firstLineNo", PIKOS_WATCH_INT);
    col->time = pikos_watch_schema_field(schema, "time", PIKOS_WATCH_INT);
    col->thread = pikos_watch_schema_field(schema, "thread", PIKOS_WATCH_INT);
    col->live_bytes =
        pikos_watch_schema_field(schema, "live_bytes", PIKOS_WATCH_INT);
    col->live_blocks =
        pikos_watch_schema_field(schema, "live_blocks", PIKOS_WATCH_INT);
    s->has_functions =
        col->type >= 0 && col->function >= 0 && col->filename >= 0;
    s->has_lines = col->type < 0 && col->line_no >= 0 && col->line >= 0;
    s->has_memory = col->rss >= 0 && col->vms >= 0;
    s->has_times = s->has_functions && col->time >= 0 && col->thread >= 0;
    s->has_heap = col->live_bytes >= 0 && col->live_blocks >= 0 &&
                  col->time >= 0;
    static const char *const top_ints[] = {
        "snapshot", "rank", "rows", "lines", "lineno", "live_count",
        "alloc_bytes", "alloc_count"};
    int *top_cols[] = {&col->snapshot, &col->rank, &col->rows,
                       &col->lines, &col->lineno, &col->live_count,
                       &col->alloc_bytes, &col->alloc_count};
    s->has_heap_top = col->function >= 0 && col->filename >= 0 &&
                      col->live_bytes >= 0 && col->time >= 0;
    for (size_t i = 0; i < sizeof(top_ints) / sizeof(top_ints[0]); i++) {
        *top_cols[i] =
            pikos_watch_schema_field(schema, top_ints[i], PIKOS_WATCH_INT);
        if (*top_cols[i] < 0)
            s->has_heap_top = 0;
    }
}

/* Everything a schema message sets, and the data of the stream emptied.
   Takes msg->schema. */
static int take_schema(struct pikos_watch_stream *s,
                       struct pikos_watch_message *msg)
{
    char *host = strdup(msg->host);
    if (!host)
        return -1;
    free(s->host);
    s->host = host;
    s->pid = msg->pid;
    pikos_watch_schema_free(s->schema);
    s->schema = msg->schema;
    msg->schema = NULL;
    find_columns(s);
    s->ended = 0;
    s->sent = s->dropped = 0;
    s->records = 0;
    pikos_watch_tally_free(&s->functions);
    pikos_watch_tally_free(&s->lines);
    pikos_watch_timing_free(&s->timing);
    pikos_watch_heap_top_free(&s->heap_top);
    memset(&s->rss, 0, sizeof(s->rss));
    memset(&s->vms, 0, sizeof(s->vms));
    memset(&s->heap_bytes, 0, sizeof(s->heap_bytes));
    memset(&s->heap_blocks, 0, sizeof(s->heap_blocks));
    json_decref(s->last_record);
    s->last_record = NULL;
    return 0;
}

static void free_stream(struct pikos_watch_stream *s)
{
    free(s->id);
    free(s->host);
    pikos_watch_schema_free(s->schema);
    pikos_watch_tally_free(&s->functions);
    pikos_watch_tally_free(&s->lines);
    pikos_watch_timing_free(&s->timing);
    pikos_watch_heap_top_free(&s->heap_top);
    json_decref(s->last_record);
    free(s);
}

static int append_stream(struct pikos_watch_streams *all,
                         struct pikos_watch_stream *s)
{
    if (all->count == all->capacity) {
        size_t capacity = all->capacity ? all->capacity * 2 : 8;
        struct pikos_watch_stream **list =
            realloc(all->list, capacity * sizeof(*list));
        if (!list)
            return -1;
        all->list = list;
        all->capacity = capacity;
    }
    all->list[all->count++] = s;
    return 0;
}

static int add_stream(struct pikos_watch_streams *all,
                      struct pikos_watch_message *msg, double now)
{
    struct pikos_watch_stream *s = calloc(1, sizeof(*s));
    if (!s)
        return PIKOS_WATCH_NO_MEMORY;
    s->id = strdup(msg->stream);
    s->last_heard = now;
    if (!s->id || take_schema(s, msg) < 0 || append_stream(all, s) < 0) {
        free_stream(s);
        return PIKOS_WATCH_NO_MEMORY;
    }
    return PIKOS_WATCH_NEW_STREAM;
}

static int apply_schema(struct pikos_watch_streams *all,
                        struct pikos_watch_message *msg, double now)
{
    struct pikos_watch_stream *s = find_stream(all, msg->stream);
    if (!s)
        return add_stream(all, msg, now);
    s->last_heard = now;
    if (!s->ended && s->pid == msg->pid && strcmp(s->host, msg->host) == 0 &&
        pikos_watch_schema_equal(s->schema, msg->schema))
        return PIKOS_WATCH_RESTATED;
    if (take_schema(s, msg) < 0)
        return PIKOS_WATCH_NO_MEMORY;
    s->restarts++;
    return PIKOS_WATCH_RESTARTED;
}

/* ------------------------------------------------------------ records */

static const char *text_at(const json_t *row, int column)
{
    return column >= 0 ? json_string_value(json_array_get(row, column)) : "";
}

static long long integer_at(const json_t *row, int column)
{
    return json_integer_value(json_array_get(row, column));
}

static int count_function(struct pikos_watch_stream *s, const json_t *row)
{
    struct pikos_watch_row *r =
        pikos_watch_tally_row(&s->functions, text_at(row, s->col.function),
                              text_at(row, s->col.filename), 0, NULL);
    if (!r)
        return -1;
    const char *type = text_at(row, s->col.type);
    r->events++;
    if (strcmp(type, "call") == 0 || strcmp(type, "c_call") == 0)
        r->calls++;
    return 0;
}

static int count_line(struct pikos_watch_stream *s, const json_t *row)
{
    struct pikos_watch_row *r = pikos_watch_tally_row(
        &s->lines, text_at(row, s->col.function), text_at(row, s->col.filename),
        integer_at(row, s->col.line_no), text_at(row, s->col.line));
    if (!r)
        return -1;
    r->events++;
    return 0;
}

/* One row, already checked against the schema. */
static int apply_row(struct pikos_watch_stream *s, json_t *row)
{
    if (s->has_times) {
        if (pikos_watch_timing_add(&s->timing, &s->col, row) < 0)
            return -1;
    } else if (s->has_functions && count_function(s, row) < 0)
        return -1;
    if (s->has_lines && count_line(s, row) < 0)
        return -1;
    if (s->has_memory) {
        pikos_watch_series_add(&s->rss, integer_at(row, s->col.rss));
        pikos_watch_series_add(&s->vms, integer_at(row, s->col.vms));
    }
    if (s->has_heap) {
        pikos_watch_series_add(&s->heap_bytes,
                               integer_at(row, s->col.live_bytes));
        pikos_watch_series_add(&s->heap_blocks,
                               integer_at(row, s->col.live_blocks));
    }
    if (s->has_heap_top &&
        pikos_watch_heap_top_add(&s->heap_top, &s->col, row) < 0)
        return -1;
    json_decref(s->last_record);
    s->last_record = json_incref(row);
    s->records++;
    return 0;
}

static int apply_records(struct pikos_watch_streams *all,
                         const struct pikos_watch_message *msg, double now)
{
    struct pikos_watch_stream *s = find_stream(all, msg->stream);
    if (!s || s->ended)
        return PIKOS_WATCH_NO_SCHEMA;
    if (pikos_watch_check_rows(msg->records, s->schema) != 0)
        return PIKOS_WATCH_BAD_ROW;
    s->last_heard = now;
    size_t n = json_array_size(msg->records);
    for (size_t i = 0; i < n; i++)
        if (apply_row(s, json_array_get(msg->records, i)) < 0)
            return PIKOS_WATCH_NO_MEMORY;
    return PIKOS_WATCH_RECORDS;
}

static int apply_end(struct pikos_watch_streams *all,
                     const struct pikos_watch_message *msg, double now)
{
    struct pikos_watch_stream *s = find_stream(all, msg->stream);
    if (!s)
        return PIKOS_WATCH_NO_SCHEMA;
    s->ended = 1;
    s->sent = msg->count;
    s->dropped = msg->dropped;
    s->last_heard = now;
    return PIKOS_WATCH_ENDED;
}

static int apply_message(struct pikos_watch_streams *all,
                         struct pikos_watch_message *msg, double now)
{
    switch (msg->topic) {
    case PIKOS_WATCH_TOPIC_SCHEMA:
        return apply_schema(all, msg, now);
    case PIKOS_WATCH_TOPIC_RECORDS:
        return apply_records(all, msg, now);
    case PIKOS_WATCH_TOPIC_END:
        return apply_end(all, msg, now);
    }
    return PIKOS_WATCH_BAD_TOPIC;
}

int pikos_watch_receive(struct pikos_watch_streams *streams,
                        const struct pikos_watch_frame *frames, size_t nframes,
                        double now)
{
    struct pikos_watch_message msg;
    int verdict = pikos_watch_decode(frames, nframes, &msg);
    if (verdict == 0) {
        verdict = apply_message(streams, &msg, now);
        pikos_watch_message_clear(&msg);
    }
    if (pikos_watch_is_malformed(verdict))
        streams->malformed++;
    else if (verdict == PIKOS_WATCH_NO_SCHEMA)
        streams->no_schema++;
    return verdict;
}

/* ------------------------------------------------------------ queries */

int pikos_watch_all_ended(const struct pikos_watch_streams *streams)
{
    for (size_t i = 0; i < streams->count; i++)
        if (!streams->list[i]->ended)
            return 0;
    return streams->count > 0;
}

enum pikos_watch_state
pikos_watch_stream_state(const struct pikos_watch_stream *stream, double now)
{
    if (stream->ended)
        return PIKOS_WATCH_STREAM_ENDED;
    if (now - stream->last_heard > PIKOS_WATCH_SILENT_AFTER)
        return PIKOS_WATCH_STREAM_SILENT;
    return PIKOS_WATCH_STREAM_LIVE;
}

const char *pikos_watch_state_name(enum pikos_watch_state state)
{
    switch (state) {
    case PIKOS_WATCH_STREAM_LIVE:
        return "live";
    case PIKOS_WATCH_STREAM_SILENT:
        return "silent";
    case PIKOS_WATCH_STREAM_ENDED:
        return "ended";
    }
    return "?";
}

void pikos_watch_streams_free(struct pikos_watch_streams *streams)
{
    for (size_t i = 0; i < streams->count; i++)
        free_stream(streams->list[i]);
    free(streams->list);
    memset(streams, 0, sizeof(*streams));
}
