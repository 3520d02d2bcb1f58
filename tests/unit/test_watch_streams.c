/* What `pikos watch` keeps per stream (cli/watch_streams.c, watch_tally.c,
   watch_memory.c): counts per function and per line, memory series,
   restarts, states; each checked against counts worked out by hand. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "watch_send.h"

static struct pikos_watch_streams streams;

static void empty_streams(void)
{
    memset(&streams, 0, sizeof(streams));
}

static void free_streams(void)
{
    pikos_watch_streams_free(&streams);
}

TestSuite(streams, .init = empty_streams, .fini = free_streams);

static struct pikos_watch_row *find_row(const struct pikos_watch_tally *t,
                                        const char *function,
                                        const char *filename, long long line)
{
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->rows[i].function, function) == 0 &&
            strcmp(t->rows[i].filename, filename) == 0 &&
            t->rows[i].line_no == line)
            return &t->rows[i];
    return NULL;
}

static void send_function_rows(const char *id, const char *rows)
{
    cr_assert_eq(watch_send(&streams, 1.0, "pikos.records",
                            "{\"stream\":\"%s\",\"records\":%s}", id, rows),
                 PIKOS_WATCH_RECORDS);
}

Test(streams, function_calls_and_events)
{
    cr_assert_eq(watch_send_schema(&streams, 1.0, "h:1:1", "h", 1,
                                   "FunctionRecord", function_fields,
                                   function_types),
                 PIKOS_WATCH_NEW_STREAM);
    send_function_rows("h:1:1", "[[0,\"call\",\"f\",1,\"/a.py\"],"
                                "[1,\"c_call\",\"len\",2,\"/a.py\"],"
                                "[2,\"c_return\",\"len\",2,\"/a.py\"],"
                                "[3,\"return\",\"f\",2,\"/a.py\"]]");
    send_function_rows("h:1:1", "[[4,\"call\",\"f\",1,\"/a.py\"],"
                                "[5,\"c_exception\",\"len\",2,\"/a.py\"],"
                                "[6,\"call\",\"f\",9,\"/b.py\"]]");
    cr_assert_eq(streams.count, 1);
    const struct pikos_watch_stream *s = streams.list[0];
    cr_expect(s->has_functions && !s->has_lines && !s->has_memory);
    cr_expect_eq(s->records, 7);
    cr_expect_eq(s->functions.count, 3);
    const struct pikos_watch_row *f = find_row(&s->functions, "f", "/a.py", 0);
    const struct pikos_watch_row *len =
        find_row(&s->functions, "len", "/a.py", 0);
    const struct pikos_watch_row *fb = find_row(&s->functions, "f", "/b.py", 0);
    cr_assert(f && len && fb);
    cr_expect_eq(f->calls, 2);
    cr_expect_eq(f->events, 3);
    cr_expect_eq(len->calls, 1);
    cr_expect_eq(len->events, 3);
    cr_expect_eq(fb->calls, 1);
    cr_expect_eq(fb->events, 1);
    cr_expect_eq(json_integer_value(json_array_get(s->last_record, 0)), 6);
    cr_expect_eq(streams.malformed, 0);
}

Test(streams, a_batch_with_one_bad_row_is_skipped_whole)
{
    watch_send_schema(&streams, 1.0, "h:1:1", "h", 1, "FunctionRecord",
                      function_fields, function_types);
    int verdict = watch_send(&streams, 1.0, "pikos.records",
                             "{\"stream\":\"h:1:1\",\"records\":"
                             "[[0,\"call\",\"f\",1,\"/a.py\"],"
                             "[1,\"call\",\"f\",1]]}");
    cr_expect_eq(verdict, PIKOS_WATCH_BAD_ROW);
    cr_expect_eq(streams.list[0]->records, 0);
    cr_expect_eq(streams.list[0]->functions.count, 0);
    cr_expect_eq(streams.malformed, 1);
}

Test(streams, line_hits)
{
    watch_send_schema(&streams, 1.0, "h:1:2", "h", 1, "LineRecord", line_fields,
                      line_types);
    cr_assert_eq(watch_send(&streams, 1.0, "pikos.records",
                            "{\"stream\":\"h:1:2\",\"records\":["
                            "[0,\"f\",3,\"x = 1\",\"/a.py\"],"
                            "[1,\"f\",4,\"y = 2\",\"/a.py\"],"
                            "[2,\"f\",3,\"x = 1\",\"/a.py\"],"
                            "[3,\"g\",3,\"z\",\"/b.py\"]]}"),
                 PIKOS_WATCH_RECORDS);
    const struct pikos_watch_stream *s = streams.list[0];
    cr_expect(s->has_lines && !s->has_functions && !s->has_memory);
    cr_expect_eq(s->lines.count, 3);
    const struct pikos_watch_row *x = find_row(&s->lines, "f", "/a.py", 3);
    const struct pikos_watch_row *z = find_row(&s->lines, "g", "/b.py", 3);
    cr_assert(x && z);
    cr_expect_eq(x->events, 2);
    cr_expect_str_eq(x->line, "x = 1");
    cr_expect_eq(z->events, 1);
}

Test(streams, memory_current_and_peak)
{
    watch_send_schema(&streams, 1.0, "h:1:3", "h", 1, "FunctionMemoryRecord",
                      function_memory_fields, function_memory_types);
    watch_send(&streams, 1.0, "pikos.records",
               "{\"stream\":\"h:1:3\",\"records\":["
               "[0,\"call\",\"f\",100,900,1,\"/a.py\"],"
               "[1,\"return\",\"f\",300,800,2,\"/a.py\"],"
               "[2,\"call\",\"g\",200,950,4,\"/a.py\"]]}");
    const struct pikos_watch_stream *s = streams.list[0];
    cr_expect(s->has_memory && s->has_functions);
    cr_expect_eq(s->rss.current, 200);
    cr_expect_eq(s->rss.peak, 300);
    cr_expect_eq(s->vms.current, 950);
    cr_expect_eq(s->vms.peak, 950);
    cr_expect_eq(s->rss.ncells, 3);
    cr_expect_eq(find_row(&s->functions, "f", "/a.py", 0)->calls, 1);
}

Test(streams, other_schema_keeps_the_last_record)
{
    watch_send_schema(&streams, 1.0, "h:1:4", "h", 1, "Sample",
                      "[\"t\",\"RSS\"]", "[\"float\",\"str\"]");
    watch_send(&streams, 1.0, "pikos.records",
               "{\"stream\":\"h:1:4\",\"records\":[[1,\"a\"],[2.5,\"b\"]]}");
    const struct pikos_watch_stream *s = streams.list[0];
    cr_expect(!s->has_memory && !s->has_functions && !s->has_lines);
    cr_expect_eq(s->records, 2);
    cr_expect_str_eq(json_string_value(json_array_get(s->last_record, 1)), "b");
}

Test(streams, restart_resets_the_stream)
{
    watch_send_schema(&streams, 1.0, "h:1:1", "h", 1, "FunctionRecord",
                      function_fields, function_types);
    send_function_rows("h:1:1", "[[0,\"call\",\"f\",1,\"/a.py\"]]");
    cr_assert_eq(watch_send(&streams, 2.0, "pikos.end",
                            "{\"stream\":\"h:1:1\",\"count\":1,\"dropped\":0}"),
                 PIKOS_WATCH_ENDED);
    cr_expect(pikos_watch_all_ended(&streams));
    cr_assert_eq(watch_send_schema(&streams, 3.0, "h:1:1", "h", 1,
                                   "FunctionRecord", function_fields,
                                   function_types),
                 PIKOS_WATCH_RESTARTED);
    const struct pikos_watch_stream *s = streams.list[0];
    cr_expect_eq(streams.count, 1);
    cr_expect_eq(s->restarts, 1);
    cr_expect_eq(s->records, 0);
    cr_expect_eq(s->functions.count, 0);
    cr_expect(!s->ended);
    cr_expect(!pikos_watch_all_ended(&streams));
}

Test(streams, states)
{
    cr_expect(!pikos_watch_all_ended(&streams));
    watch_send_schema(&streams, 10.0, "h:1:1", "h", 1, "FunctionRecord",
                      function_fields, function_types);
    watch_send_schema(&streams, 10.0, "h:2:1", "h", 2, "FunctionRecord",
                      function_fields, function_types);
    const struct pikos_watch_stream *s = streams.list[0];
    cr_expect_eq(pikos_watch_stream_state(s, 12.9), PIKOS_WATCH_STREAM_LIVE);
    cr_expect_eq(pikos_watch_stream_state(s, 13.5), PIKOS_WATCH_STREAM_SILENT);
    /* the schema re-sent keeps it live */
    cr_expect_eq(watch_send_schema(&streams, 13.0, "h:1:1", "h", 1,
                                   "FunctionRecord", function_fields,
                                   function_types),
                 PIKOS_WATCH_RESTATED);
    cr_expect_eq(pikos_watch_stream_state(s, 15.5), PIKOS_WATCH_STREAM_LIVE);
    watch_send(&streams, 14.0, "pikos.end",
               "{\"stream\":\"h:1:1\",\"count\":0}");
    cr_expect_eq(pikos_watch_stream_state(s, 99.0), PIKOS_WATCH_STREAM_ENDED);
    cr_expect(!pikos_watch_all_ended(&streams));
    watch_send(&streams, 14.0, "pikos.end",
               "{\"stream\":\"h:2:1\",\"count\":0}");
    cr_expect(pikos_watch_all_ended(&streams));
    cr_expect_str_eq(pikos_watch_state_name(PIKOS_WATCH_STREAM_SILENT),
                     "silent");
}

/* ------------------------------------------------------------ series */

Test(series, cells_merge_pairwise_when_full)
{
    struct pikos_watch_series series = {0};
    for (long long v = 1; v <= PIKOS_WATCH_SPARK_CELLS; v++)
        pikos_watch_series_add(&series, v);
    cr_expect_eq(series.ncells, PIKOS_WATCH_SPARK_CELLS);
    cr_expect_eq(series.per_cell, 1);
    pikos_watch_series_add(&series, 5); /* the 49th: pairs merge */
    cr_expect_eq(series.ncells, PIKOS_WATCH_SPARK_CELLS / 2 + 1);
    cr_expect_eq(series.per_cell, 2);
    cr_expect_eq(series.cells[0], 2);   /* max(1, 2) */
    cr_expect_eq(series.cells[23], 48); /* max(47, 48) */
    cr_expect_eq(series.cells[24], 5);
    pikos_watch_series_add(&series, 7); /* fills the last cell of two */
    cr_expect_eq(series.ncells, 25);
    cr_expect_eq(series.cells[24], 7);
    pikos_watch_series_add(&series, 1);
    cr_expect_eq(series.ncells, 26);
    cr_expect_eq(series.current, 1);
    cr_expect_eq(series.peak, 48);
}

Test(series, many_records_stay_within_the_cells)
{
    struct pikos_watch_series series = {0};
    for (long long v = 0; v < 100000; v++)
        pikos_watch_series_add(&series, v % 1000);
    cr_expect_leq(series.ncells, PIKOS_WATCH_SPARK_CELLS);
    cr_expect_gt(series.ncells, PIKOS_WATCH_SPARK_CELLS / 2);
    cr_expect_eq(series.peak, 999);
    cr_expect_eq(series.current, 999);
    /* every cell covers per_cell records, the last one in_last of them */
    cr_expect_eq((series.ncells - 1) * series.per_cell + series.in_last,
                 100000);
}

Test(series, sparkline_scales_from_lowest_to_highest)
{
    static const char *const digits[] = {"0", "1", "2", "3",
                                         "4", "5", "6", "7"};
    struct pikos_watch_series series = {0};
    long long values[] = {100, 170, 800, 450, 100};
    for (size_t i = 0; i < 5; i++)
        pikos_watch_series_add(&series, values[i]);
    char buf[64];
    pikos_watch_sparkline(&series, digits, 8, buf, sizeof(buf));
    cr_expect_str_eq(buf, "01740");
    pikos_watch_sparkline(&series, digits, 8, buf, 4); /* 3 cells fit */
    cr_expect_str_eq(buf, "017");
    struct pikos_watch_series flat = {0};
    pikos_watch_series_add(&flat, 9);
    pikos_watch_series_add(&flat, 9);
    pikos_watch_sparkline(&flat, digits, 8, buf, sizeof(buf));
    cr_expect_str_eq(buf, "00");
}

/* ------------------------------------------------------------ tally */

Test(tally, many_keys_grow_the_index)
{
    struct pikos_watch_tally tally = {0};
    char name[32];
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 5000; i++) {
            snprintf(name, sizeof(name), "f%d", i);
            struct pikos_watch_row *row =
                pikos_watch_tally_row(&tally, name, "/a.py", i % 7, NULL);
            cr_assert_not_null(row);
            cr_assert_str_eq(row->function, name);
            row->events += (unsigned long long)i;
        }
    cr_expect_eq(tally.count, 5000);
    cr_expect_eq(tally.rows[4999].events, 3 * 4999);
    struct pikos_watch_row **sorted =
        pikos_watch_tally_sorted(&tally, PIKOS_WATCH_BY_EVENTS);
    cr_assert_not_null(sorted);
    cr_expect_str_eq(sorted[0]->function, "f4999");
    cr_expect_str_eq(sorted[4999]->function, "f0");
    free(sorted);
    pikos_watch_tally_free(&tally);
}

Test(tally, sort_orders_and_ties)
{
    struct pikos_watch_tally tally = {0};
    struct {
        const char *function, *filename;
        long long line;
        unsigned long long calls, events;
    } rows[] = {{"b", "/z.py", 9, 1, 5},
                {"a", "/z.py", 2, 3, 4},
                {"c", "/a.py", 5, 3, 6},
                {"a", "/a.py", 7, 1, 5}};
    for (size_t i = 0; i < 4; i++) {
        struct pikos_watch_row *r = pikos_watch_tally_row(
            &tally, rows[i].function, rows[i].filename, rows[i].line, NULL);
        r->calls = rows[i].calls;
        r->events = rows[i].events;
    }
    static const struct {
        enum pikos_watch_sort sort;
        const char *order;
    } expected[] = {
        {PIKOS_WATCH_BY_CALLS, "c/a.py a/z.py a/a.py b/z.py "},
        {PIKOS_WATCH_BY_EVENTS, "c/a.py a/a.py b/z.py a/z.py "},
        {PIKOS_WATCH_BY_FUNCTION, "a/a.py a/z.py b/z.py c/a.py "},
        {PIKOS_WATCH_BY_FILENAME, "a/a.py c/a.py a/z.py b/z.py "},
        {PIKOS_WATCH_BY_LINE, "c/a.py a/a.py a/z.py b/z.py "},
    };
    for (size_t e = 0; e < 5; e++) {
        struct pikos_watch_row **sorted =
            pikos_watch_tally_sorted(&tally, expected[e].sort);
        char order[128] = "";
        for (size_t i = 0; i < 4; i++) {
            strcat(order, sorted[i]->function);
            strcat(order, sorted[i]->filename);
            strcat(order, " ");
        }
        cr_expect_str_eq(order, expected[e].order, "sort %d",
                         (int)expected[e].sort);
        free(sorted);
    }
    pikos_watch_tally_free(&tally);
}
