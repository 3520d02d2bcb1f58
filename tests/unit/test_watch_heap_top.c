/* The heap's top lines in `pikos watch --once` (cli/watch/watch_heap_top.c):
   exact text of the snapshots monitors/allocations live=S sends as
   HeapTopRecords; the latest whole snapshot is shown, never one half
   received or with its ranks out of order. */
#include <stdio.h>
#include <stdlib.h>
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

TestSuite(heap_top, .init = empty_streams, .fini = free_streams);

static char *snapshot(size_t top)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    cr_assert_not_null(out);
    pikos_watch_print_snapshot(out, &streams, top, 1.0);
    fclose(out);
    return text;
}

static void expect_snapshot(size_t top, const char *expected)
{
    char *text = snapshot(top);
    cr_expect_str_eq(text, expected);
    free(text);
}

static void records(const char *rows)
{
    cr_assert_eq(watch_send(&streams, 1.0, "pikos.records",
                            "{\"stream\":\"h:3:2\",\"records\":%s}", rows),
                 PIKOS_WATCH_RECORDS, "%s", rows);
}

static void heap_top_stream(void)
{
    watch_send_schema(
        &streams, 1.0, "h:3:2", "h", 3, "HeapTopRecord",
        "[\"snapshot\",\"rank\",\"rows\",\"lines\",\"function\","
        "\"filename\",\"lineno\",\"live_bytes\",\"live_count\","
        "\"alloc_bytes\",\"alloc_count\",\"time\"]",
        "[\"int\",\"int\",\"int\",\"int\",\"str\",\"str\",\"int\",\"int\","
        "\"int\",\"int\",\"int\",\"int\"]");
}

#define HEAD                                                                   \
    "pikos watch: 1 stream, 0 malformed, 0 waiting for a schema\n"             \
    "\n"                                                                       \
    "== stream h:3:2\n"

#define SNAPSHOT_1                                                             \
    "[[1,1,2,3,\"hold\",\"/srv/app.py\",12,1000000,1,1000000,1,"              \
    "1500000000],"                                                             \
    "[1,2,2,3,\"<module>\",\"/srv/app.py\",7,2048,16,90000,600,1500000000]]"

#define TABLE_1                                                                \
    "heap lines by live bytes, snapshot 1 at 1.500000000 s, 2 of 3:\n"        \
    "  live_bytes   live_count  alloc_bytes  alloc_count  line            "   \
    "function\n"                                                               \
    "     1000000            1      1000000            1  /srv/app.py:12  "   \
    "hold\n"                                                                   \
    "        2048           16        90000          600  /srv/app.py:7   "   \
    "<module>\n"

Test(heap_top, the_latest_snapshot_in_rank_order)
{
    heap_top_stream();
    expect_snapshot(20, HEAD "host h  pid 3  schema HeapTopRecord  live  "
                             "records 0\n"
                             "heap lines: none yet\n");
    records(SNAPSHOT_1);
    expect_snapshot(20, HEAD "host h  pid 3  schema HeapTopRecord  live  "
                             "records 2\n" TABLE_1);
    /* --top 1: the first row of it, of the program's 3 lines */
    expect_snapshot(1,
                    HEAD "host h  pid 3  schema HeapTopRecord  live  "
                         "records 2\n"
                         "heap lines by live bytes, snapshot 1 at "
                         "1.500000000 s, 1 of 3:\n"
                         "  live_bytes   live_count  alloc_bytes  "
                         "alloc_count  line            function\n"
                         "     1000000            1      1000000            "
                         "1  /srv/app.py:12  hold\n");
}

Test(heap_top, a_snapshot_half_received_is_not_shown)
{
    heap_top_stream();
    records(SNAPSHOT_1);
    /* snapshot 2's first row of three: snapshot 1 stays */
    records("[[2,1,3,4,\"f\",\"/a.py\",1,5,1,5,1,2500000000]]");
    expect_snapshot(20, HEAD "host h  pid 3  schema HeapTopRecord  live  "
                             "records 3\n" TABLE_1);
    records("[[2,2,3,4,\"g\",\"/a.py\",2,4,1,4,1,2500000000],"
            "[2,3,3,4,\"h\\u001b[2J\",\"/a.py\",3,0,0,9,3,2500000000]]");
    expect_snapshot(20,
                    HEAD "host h  pid 3  schema HeapTopRecord  live  "
                         "records 5\n"
                         "heap lines by live bytes, snapshot 2 at "
                         "2.500000000 s, 3 of 4:\n"
                         "  live_bytes   live_count  alloc_bytes  "
                         "alloc_count  line     function\n"
                         "           5            1            5            "
                         "1  /a.py:1  f\n"
                         "           4            1            4            "
                         "1  /a.py:2  g\n"
                         "           0            0            9            "
                         "3  /a.py:3  h?[2J\n");
}

Test(heap_top, ranks_out_of_order_are_never_shown)
{
    heap_top_stream();
    records(SNAPSHOT_1);
    /* snapshot 2 lost its first row on the way */
    records("[[2,2,2,2,\"g\",\"/a.py\",2,4,1,4,1,2500000000]]");
    records("[[3,2,2,2,\"g\",\"/a.py\",2,4,1,4,1,3500000000],"
            "[3,1,2,2,\"f\",\"/a.py\",1,5,1,5,1,3500000000]]");
    expect_snapshot(20, HEAD "host h  pid 3  schema HeapTopRecord  live  "
                             "records 5\n" TABLE_1);
    records("[[4,1,1,1,\"f\",\"/a.py\",1,5,1,5,1,4500000000]]");
    expect_snapshot(20,
                    HEAD "host h  pid 3  schema HeapTopRecord  live  "
                         "records 6\n"
                         "heap lines by live bytes, snapshot 4 at "
                         "4.500000000 s, 1 of 1:\n"
                         "  live_bytes   live_count  alloc_bytes  "
                         "alloc_count  line     function\n"
                         "           5            1            5            "
                         "1  /a.py:1  f\n");
}
