/* Own and total time per function of timed streams (cli/watch/watch_timing.c):
   synthetic TimedFunctionRecord streams whose every time is chosen, so
   that each own time, total time and call count is worked out by hand in
   the comments. */
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

TestSuite(timing, .init = empty_streams, .fini = free_streams);

static const struct pikos_watch_stream *timed_stream(void)
{
    cr_assert_eq(watch_send_schema(&streams, 1.0, "h:1:1", "h", 1,
                                   "TimedFunctionRecord", timed_function_fields,
                                   timed_function_types),
                 PIKOS_WATCH_NEW_STREAM);
    return streams.list[0];
}

/* One batch of rows: index, type, function, lineNo, filename,
   firstLineNo, time, thread. */
static void send(const char *rows)
{
    cr_assert_eq(watch_send(&streams, 1.0, "pikos.records",
                            "{\"stream\":\"h:1:1\",\"records\":[%s]}", rows),
                 PIKOS_WATCH_RECORDS, "%s", rows);
}

/* The table's line of function/filename/first line, or a failed test. */
static const struct pikos_watch_time_row *
line_of(const struct pikos_watch_time_table *table, const char *function,
        const char *filename, long long first_line)
{
    for (size_t i = 0; i < table->count; i++) {
        const struct pikos_watch_row *row = table->rows[i].row;
        if (strcmp(row->function, function) == 0 &&
            strcmp(row->filename, filename) == 0 && row->line_no == first_line)
            return &table->rows[i];
    }
    cr_assert_fail("no row for %s %s:%lld", function, filename, first_line);
    return NULL;
}

static void expect_times(const struct pikos_watch_time_table *table,
                         const char *function, const char *filename,
                         long long first_line, unsigned long long calls,
                         unsigned long long own_ns, unsigned long long total_ns)
{
    const struct pikos_watch_time_row *t =
        line_of(table, function, filename, first_line);
    cr_expect_eq(t->row->calls, calls, "%s calls %llu", function,
                 t->row->calls);
    cr_expect_eq(t->own_ns, own_ns, "%s own %llu", function, t->own_ns);
    cr_expect_eq(t->total_ns, total_ns, "%s total %llu", function, t->total_ns);
}

/* Thread 1: main -> fib -> fib -> len (C); main -> sorted (C) -> key (a
   Python callback), sorted raising.  Thread 2, interleaved: a return
   from before monitoring (ignored), worker -> sleep (C), whose end is
   not seen: worker's return closes it. */
static const char *const two_threads =
    "[0,\"call\",\"main\",1,\"/a.py\",1,0,1],"
    "[1,\"call\",\"fib\",5,\"/a.py\",5,10,1],"
    "[2,\"return\",\"bootstrap\",7,\"/t.py\",3,11,2],"
    "[3,\"call\",\"worker\",3,\"/b.py\",3,12,2],"
    "[4,\"call\",\"fib\",5,\"/a.py\",5,20,1],"
    "[5,\"c_call\",\"len\",6,\"/a.py\",0,30,1],"
    "[6,\"c_return\",\"len\",6,\"/a.py\",0,35,1],"
    "[7,\"c_call\",\"sleep\",4,\"/b.py\",0,40,2],"
    "[8,\"return\",\"fib\",6,\"/a.py\",5,50,1],"
    "[9,\"return\",\"fib\",6,\"/a.py\",5,60,1],"
    "[10,\"c_call\",\"sorted\",2,\"/a.py\",0,70,1],"
    "[11,\"call\",\"key\",9,\"/a.py\",9,75,1],"
    "[12,\"return\",\"key\",9,\"/a.py\",9,80,1],"
    "[13,\"c_exception\",\"sorted\",2,\"/a.py\",0,90,1],"
    "[14,\"return\",\"worker\",4,\"/b.py\",3,95,2],"
    "[15,\"return\",\"main\",3,\"/a.py\",1,100,1]";

Test(timing, recursion_c_calls_and_two_threads)
{
    const struct pikos_watch_stream *s = timed_stream();
    cr_assert(s->has_times && s->has_functions);
    send(two_threads);
    struct pikos_watch_time_table table;
    cr_assert_eq(pikos_watch_time_table(&s->timing, PIKOS_WATCH_BY_OWN, &table),
                 0);
    cr_assert_eq(table.count, 7);
    /* main 0..100: fib 10..60 and sorted 70..90 inside: own 100-50-20 */
    expect_times(&table, "main", "/a.py", 1, 1, 30, 100);
    /* inner fib 20..50 less len (5): 25; outer 10..60 less inner: 20;
       total: the outer call only */
    expect_times(&table, "fib", "/a.py", 5, 2, 45, 50);
    expect_times(&table, "len", "/a.py", 0, 1, 5, 5);
    /* sorted 70..90 less key 75..80 */
    expect_times(&table, "sorted", "/a.py", 0, 1, 15, 20);
    expect_times(&table, "key", "/a.py", 9, 1, 5, 5);
    /* sleep 40..95, closed by worker's return; worker 12..95 less it */
    expect_times(&table, "sleep", "/b.py", 0, 1, 55, 55);
    expect_times(&table, "worker", "/b.py", 3, 1, 28, 83);
    /* every own time adds up to the roots' totals: main's and worker's */
    cr_expect_eq(table.all_ns, 100 + 83);
    /* by own time: sleep 55, fib 45, main 30, worker 28, sorted 15, then
       key and len (5, 5; same total) by name */
    const char *const order[] = {"sleep",  "fib", "main", "worker",
                                 "sorted", "key", "len"};
    for (size_t i = 0; i < 7; i++)
        cr_expect_str_eq(table.rows[i].row->function, order[i]);
    pikos_watch_time_table_free(&table);
}

Test(timing, sorted_by_total_and_by_calls)
{
    const struct pikos_watch_stream *s = timed_stream();
    send(two_threads);
    struct pikos_watch_time_table table;
    cr_assert_eq(
        pikos_watch_time_table(&s->timing, PIKOS_WATCH_BY_TOTAL, &table), 0);
    const char *const by_total[] = {"main",   "worker", "sleep", "fib",
                                    "sorted", "key",    "len"};
    for (size_t i = 0; i < 7; i++)
        cr_expect_str_eq(table.rows[i].row->function, by_total[i]);
    pikos_watch_time_table_free(&table);
    cr_assert_eq(
        pikos_watch_time_table(&s->timing, PIKOS_WATCH_BY_CALLS, &table), 0);
    cr_expect_str_eq(table.rows[0].row->function, "fib");   /* 2 calls */
    cr_expect_str_eq(table.rows[1].row->function, "sleep"); /* then own */
    pikos_watch_time_table_free(&table);
}

/* even 0..100 -> odd 10..90 -> even 20..80 -> odd 30..70: each function's
   total counts its outermost call only. */
Test(timing, mutual_recursion_counts_total_once)
{
    const struct pikos_watch_stream *s = timed_stream();
    send("[0,\"call\",\"even\",1,\"/m.py\",1,0,7],"
         "[1,\"call\",\"odd\",4,\"/m.py\",4,10,7],"
         "[2,\"call\",\"even\",1,\"/m.py\",1,20,7],"
         "[3,\"call\",\"odd\",4,\"/m.py\",4,30,7],"
         "[4,\"return\",\"odd\",5,\"/m.py\",4,70,7],"
         "[5,\"return\",\"even\",2,\"/m.py\",1,80,7],"
         "[6,\"return\",\"odd\",5,\"/m.py\",4,90,7],"
         "[7,\"return\",\"even\",2,\"/m.py\",1,100,7]");
    struct pikos_watch_time_table table;
    cr_assert_eq(pikos_watch_time_table(&s->timing, PIKOS_WATCH_BY_OWN, &table),
                 0);
    cr_assert_eq(table.count, 2);
    /* own: even (100-80) + (60-40), odd (80-60) + 40 */
    expect_times(&table, "even", "/m.py", 1, 2, 40, 100);
    expect_times(&table, "odd", "/m.py", 4, 2, 60, 80);
    cr_expect_eq(table.all_ns, 100);
    pikos_watch_time_table_free(&table);
}

/* Calls still open count up to the latest time seen (here 50, from
   another thread): main 0.., f 10.., f 20.. */
Test(timing, open_calls_count_up_to_the_latest_time)
{
    const struct pikos_watch_stream *s = timed_stream();
    send("[0,\"call\",\"main\",1,\"/a.py\",1,0,1],"
         "[1,\"call\",\"f\",3,\"/a.py\",3,10,1],"
         "[2,\"call\",\"f\",3,\"/a.py\",3,20,1],"
         "[3,\"call\",\"g\",8,\"/a.py\",8,45,2],"
         "[4,\"return\",\"g\",8,\"/a.py\",8,50,2]");
    struct pikos_watch_time_table table;
    cr_assert_eq(pikos_watch_time_table(&s->timing, PIKOS_WATCH_BY_OWN, &table),
                 0);
    /* main 50 less f's 40; outer f 40 less inner f's 30; inner f 30 */
    expect_times(&table, "main", "/a.py", 1, 1, 10, 50);
    expect_times(&table, "f", "/a.py", 3, 2, 40, 40);
    expect_times(&table, "g", "/a.py", 8, 1, 5, 5);
    cr_expect_eq(table.all_ns, 55);
    pikos_watch_time_table_free(&table);
    /* the table does not change what is kept: f returns twice later */
    send("[5,\"return\",\"f\",4,\"/a.py\",3,60,1],"
         "[6,\"return\",\"f\",4,\"/a.py\",3,70,1]");
    cr_assert_eq(pikos_watch_time_table(&s->timing, PIKOS_WATCH_BY_OWN, &table),
                 0);
    /* inner 20..60: 40; outer 10..70 less 40: 20; main open: 0..70 */
    expect_times(&table, "f", "/a.py", 3, 2, 60, 60);
    expect_times(&table, "main", "/a.py", 1, 1, 10, 70);
    pikos_watch_time_table_free(&table);
}

/* The same name in two places is two functions; a C function is keyed
   on its caller's file. */
Test(timing, functions_are_keyed_on_file_and_first_line)
{
    const struct pikos_watch_stream *s = timed_stream();
    send("[0,\"call\",\"f\",1,\"/a.py\",1,0,1],"
         "[1,\"return\",\"f\",1,\"/a.py\",1,1,1],"
         "[2,\"call\",\"f\",9,\"/a.py\",9,2,1],"
         "[3,\"return\",\"f\",9,\"/a.py\",9,4,1],"
         "[4,\"c_call\",\"len\",2,\"/a.py\",0,5,1],"
         "[5,\"c_return\",\"len\",2,\"/a.py\",0,8,1],"
         "[6,\"c_call\",\"len\",2,\"/b.py\",0,10,1],"
         "[7,\"c_return\",\"len\",2,\"/b.py\",0,14,1]");
    struct pikos_watch_time_table table;
    cr_assert_eq(pikos_watch_time_table(&s->timing, PIKOS_WATCH_BY_OWN, &table),
                 0);
    cr_assert_eq(table.count, 4);
    expect_times(&table, "f", "/a.py", 1, 1, 1, 1);
    expect_times(&table, "f", "/a.py", 9, 1, 2, 2);
    expect_times(&table, "len", "/a.py", 0, 1, 3, 3);
    expect_times(&table, "len", "/b.py", 0, 1, 4, 4);
    char text[64];
    pikos_watch_function_text(table.rows[0].row, text, sizeof(text));
    cr_expect_str_eq(text, "len (/b.py)");
    pikos_watch_function_text(table.rows[3].row, text, sizeof(text));
    cr_expect_str_eq(text, "f (/a.py:1)");
    pikos_watch_time_table_free(&table);
}

/* Times that go backwards (a stream is not trusted) give no wrapped-round
   numbers; a restart starts the table afresh. */
Test(timing, backward_times_and_restarts)
{
    const struct pikos_watch_stream *s = timed_stream();
    send("[0,\"call\",\"f\",1,\"/a.py\",1,100,1],"
         "[1,\"call\",\"g\",2,\"/a.py\",2,50,1],"
         "[2,\"return\",\"g\",2,\"/a.py\",2,40,1],"
         "[3,\"return\",\"f\",1,\"/a.py\",1,-5,1]");
    struct pikos_watch_time_table table;
    cr_assert_eq(pikos_watch_time_table(&s->timing, PIKOS_WATCH_BY_OWN, &table),
                 0);
    expect_times(&table, "f", "/a.py", 1, 1, 0, 0);
    expect_times(&table, "g", "/a.py", 2, 1, 0, 0);
    pikos_watch_time_table_free(&table);

    cr_assert_eq(watch_send_schema(&streams, 2.0, "h:1:1", "h", 1,
                                   "TimedFunctionRecord",
                                   "[\"type\",\"function\",\"filename\","
                                   "\"time\",\"thread\"]",
                                   "[\"str\",\"str\",\"str\",\"int\",\"int\"]"),
                 PIKOS_WATCH_RESTARTED);
    cr_assert(s->has_times);
    cr_expect_eq(s->timing.functions.count, 0);
    send("[\"call\",\"h\",\"/c.py\",7,3],[\"return\",\"h\",\"/c.py\",9,3]");
    cr_assert_eq(pikos_watch_time_table(&s->timing, PIKOS_WATCH_BY_OWN, &table),
                 0);
    cr_assert_eq(table.count, 1);
    expect_times(&table, "h", "/c.py", 0, 1, 2, 2); /* no firstLineNo */
    pikos_watch_time_table_free(&table);
}

/* Without time and thread (or with them of another type) a function
   stream keeps its calls table. */
Test(timing, untimed_streams_have_no_time_table)
{
    cr_assert_eq(watch_send_schema(&streams, 1.0, "h:1:1", "h", 1,
                                   "FunctionRecord", function_fields,
                                   function_types),
                 PIKOS_WATCH_NEW_STREAM);
    cr_assert_eq(
        watch_send_schema(&streams, 1.0, "h:1:2", "h", 1, "Odd",
                          "[\"type\",\"function\",\"filename\","
                          "\"time\",\"thread\"]",
                          "[\"str\",\"str\",\"str\",\"float\",\"int\"]"),
        PIKOS_WATCH_NEW_STREAM);
    cr_expect(streams.list[0]->has_functions && !streams.list[0]->has_times);
    cr_expect(streams.list[1]->has_functions && !streams.list[1]->has_times);
}
