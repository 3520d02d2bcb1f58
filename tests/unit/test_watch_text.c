/* The snapshot `pikos watch --once` prints (cli/watch_text.c): exact text
   for streams whose counts are worked out by hand. */
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

TestSuite(snapshot, .init = empty_streams, .fini = free_streams);

/* The snapshot at time `now` as a string (free() it). */
static char *snapshot(size_t top, double now)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    cr_assert_not_null(out);
    pikos_watch_print_snapshot(out, &streams, top, now);
    fclose(out);
    return text;
}

static void expect_snapshot(size_t top, double now, const char *expected)
{
    char *text = snapshot(top, now);
    cr_expect_str_eq(text, expected);
    free(text);
}

static void records(const char *id, const char *rows)
{
    cr_assert_eq(watch_send(&streams, 1.0, "pikos.records",
                            "{\"stream\":\"%s\",\"records\":%s}", id, rows),
                 PIKOS_WATCH_RECORDS, "%s", rows);
}

Test(snapshot, no_stream)
{
    expect_snapshot(20, 1.0,
                    "pikos watch: 0 streams, 0 malformed, 0 waiting "
                    "for a schema\n");
}

/* Two function streams and a line stream from three processes; streams
   sorted by host, then pid as a number; skipped messages counted. */
Test(snapshot, functions_and_lines)
{
    watch_send_schema(&streams, 1.0, "beta:5:1", "beta", 5, "FunctionRecord",
                      function_fields, function_types);
    watch_send_schema(&streams, 1.0, "alpha:10:1", "alpha", 10, "LineRecord",
                      line_fields, line_types);
    watch_send_schema(&streams, 1.0, "alpha:9:1", "alpha", 9, "FunctionRecord",
                      function_fields, function_types);
    records("beta:5:1", "[[0,\"call\",\"<module>\",1,\"/srv/app.py\"],"
                        "[1,\"call\",\"work\",3,\"/srv/app.py\"],"
                        "[2,\"c_call\",\"len\",4,\"/srv/app.py\"],"
                        "[3,\"c_return\",\"len\",4,\"/srv/app.py\"],"
                        "[4,\"return\",\"work\",4,\"/srv/app.py\"],"
                        "[5,\"call\",\"work\",3,\"/srv/app.py\"],"
                        "[6,\"return\",\"work\",4,\"/srv/app.py\"],"
                        "[7,\"return\",\"<module>\",9,\"/srv/app.py\"]]");
    records("alpha:10:1", "[[0,\"<module>\",1,\"import os\",\"/w.py\"],"
                          "[1,\"loop\",12,\"    n += 1\",\"/lib/loop.py\"],"
                          "[2,\"loop\",12,\"    n += 1\",\"/lib/loop.py\"],"
                          "[3,\"loop\",13,\"return n\",\"/lib/loop.py\"]]");
    watch_send(&streams, 2.0, "pikos.end",
               "{\"stream\":\"beta:5:1\",\"count\":8,\"dropped\":2}");
    watch_send(&streams, 2.0, "pikos.bogus", "{}");
    watch_send(&streams, 2.0, "pikos.records",
               "{\"stream\":\"gamma:1:1\",\"records\":[]}");
    expect_snapshot(
        20, 2.0,
        "pikos watch: 3 streams, 1 malformed, 1 waiting for a schema\n"
        "\n"
        "== stream alpha:9:1\n"
        "host alpha  pid 9  schema FunctionRecord  live  records 0\n"
        "functions: none yet\n"
        "\n"
        "== stream alpha:10:1\n"
        "host alpha  pid 10  schema LineRecord  live  records 4\n"
        "lines by hits, 3 of 3:\n"
        "      hits  line             function  source\n"
        "         2  /lib/loop.py:12  loop          n += 1\n"
        "         1  /w.py:1          <module>  import os\n"
        "         1  /lib/loop.py:13  loop      return n\n"
        "\n"
        "== stream beta:5:1\n"
        "host beta  pid 5  schema FunctionRecord  ended  records 8  sent 8  "
        "dropped 2\n"
        "functions by calls, 3 of 3:\n"
        "     calls   share  function  filename\n"
        "         2   50.0%  work      /srv/app.py\n"
        "         1   25.0%  <module>  /srv/app.py\n"
        "         1   25.0%  len       /srv/app.py\n");
}

Test(snapshot, top_limits_the_rows)
{
    watch_send_schema(&streams, 1.0, "h:1:1", "h", 1, "FunctionRecord",
                      function_fields, function_types);
    records("h:1:1", "[[0,\"call\",\"a\",1,\"/x.py\"],"
                     "[1,\"call\",\"b\",1,\"/x.py\"],"
                     "[2,\"call\",\"b\",1,\"/x.py\"],"
                     "[3,\"call\",\"c\",1,\"/x.py\"]]");
    expect_snapshot(2, 1.0,
                    "pikos watch: 1 stream, 0 malformed, 0 waiting for a "
                    "schema\n"
                    "\n"
                    "== stream h:1:1\n"
                    "host h  pid 1  schema FunctionRecord  live  records 4\n"
                    "functions by calls, 2 of 3:\n"
                    "     calls   share  function  filename\n"
                    "         2   50.0%  b         /x.py\n"
                    "         1   25.0%  a         /x.py\n");
}

/* Memory with its sparkline, then a schema the watcher has no view for;
   a stream that fell silent; a restarted one. */
Test(snapshot, memory_other_silent_restarted)
{
    watch_send_schema(&streams, 1.0, "m:1:1", "m", 1, "LineMemoryRecord",
                      line_memory_fields, line_memory_types);
    records("m:1:1", "[[0,\"f\",2,1000,8000,\"a = []\",\"/m.py\"],"
                     "[1,\"f\",3,1700,8000,\"a.append(1)\",\"/m.py\"],"
                     "[2,\"f\",3,8000,9000,\"a.append(1)\",\"/m.py\"],"
                     "[3,\"f\",4,4500,9000,\"del a\",\"/m.py\"]]");
    watch_send_schema(&streams, 1.0, "o:2:1", "o", 2, "Sample",
                      "[\"t\",\"label\",\"ratio\",\"n\"]",
                      "[\"float\",\"str\",\"float\",\"int\"]");
    records("o:2:1", "[[0.5,\"x\",1,3],[1e-05,\"last one\",100000.0,-4]]");
    watch_send_schema(&streams, 1.0, "o:2:1", "o", 2, "Sample", "[\"t\"]",
                      "[\"float\"]");
    watch_send(&streams, 5.0, "pikos.records",
               "{\"stream\":\"o:2:1\",\"records\":[[0.1]]}");
    expect_snapshot(
        20, 6.0,
        "pikos watch: 2 streams, 0 malformed, 0 waiting for a schema\n"
        "\n"
        "== stream m:1:1\n"
        "host m  pid 1  schema LineMemoryRecord  silent  records 4\n"
        "memory:\n"
        "  RSS  current 4500  peak 8000  \u2581\u2582\u2588\u2585\n"
        "  VMS  current 9000  peak 9000  \u2581\u2581\u2588\u2588\n"
        "lines by hits, 3 of 3:\n"
        "      hits  line     function  source\n"
        "         2  /m.py:3  f         a.append(1)\n"
        "         1  /m.py:2  f         a = []\n"
        "         1  /m.py:4  f         del a\n"
        "\n"
        "== stream o:2:1\n"
        "host o  pid 2  schema Sample  live  records 1  restarts 1\n"
        "last record: t=0.1\n");
}

Test(snapshot, last_record_values)
{
    watch_send_schema(&streams, 1.0, "o:2:1", "o", 2, "Sample",
                      "[\"t\",\"label\",\"ratio\",\"n\"]",
                      "[\"float\",\"str\",\"float\",\"int\"]");
    expect_snapshot(1, 1.0,
                    "pikos watch: 1 stream, 0 malformed, 0 waiting for a "
                    "schema\n\n"
                    "== stream o:2:1\n"
                    "host o  pid 2  schema Sample  live  records 0\n"
                    "last record: none yet\n");
    records("o:2:1", "[[0.5,\"x\",1,3],[1e-05,\"two words\",100000.0,-4]]");
    char *text = snapshot(1, 1.0);
    cr_expect(strstr(text, "\nlast record: t=1e-05  label=two words  "
                           "ratio=100000.0  n=-4\n"),
              "%s", text);
    free(text);
}

/* Control characters from a stream never reach the terminal. */
Test(snapshot, control_characters_are_shown_as_question_marks)
{
    watch_send_schema(&streams, 1.0, "h\\u001b:1:1", "h\\u0007", 1,
                      "Function\\u009bRecord", function_fields, function_types);
    records("h\\u001b:1:1",
            "[[0,\"call\",\"f\\u001b[2J\",1,\"/x\\u0085.py\"]]");
    expect_snapshot(20, 1.0,
                    "pikos watch: 1 stream, 0 malformed, 0 waiting for a "
                    "schema\n"
                    "\n"
                    "== stream h?:1:1\n"
                    "host h?  pid 1  schema Function?Record  live  records 1\n"
                    "functions by calls, 1 of 1:\n"
                    "     calls   share  function  filename\n"
                    "         1  100.0%  f?[2J     /x?.py\n");
}

/* Columns line up by characters, not bytes. */
Test(snapshot, unicode_names_align)
{
    watch_send_schema(&streams, 1.0, "h:1:1", "h", 1, "FunctionRecord",
                      function_fields, function_types);
    records("h:1:1", "[[0,\"call\",\"\\u00e9t\\u00e9_longer\",1,\"/x.py\"],"
                     "[1,\"call\",\"ab\",1,\"/\\u00e9.py\"]]");
    expect_snapshot(20, 1.0,
                    "pikos watch: 1 stream, 0 malformed, 0 waiting for a "
                    "schema\n"
                    "\n"
                    "== stream h:1:1\n"
                    "host h  pid 1  schema FunctionRecord  live  records 2\n"
                    "functions by calls, 2 of 2:\n"
                    "     calls   share  function    filename\n"
                    "         1   50.0%  ab          /\u00e9.py\n"
                    "         1   50.0%  \u00e9t\u00e9_longer  /x.py\n");
}

/* A timed function stream: own and total time per function instead of
   the calls table, seconds to the nanosecond, control characters shown as
   '?'.  main 0..1.5 s calls work 0.25..1.25 s (which calls len for
   123 ns) and b\x1bd 1.3..1.4 s. */
Test(snapshot, time_table)
{
    watch_send_schema(&streams, 1.0, "t:3:1", "t", 3, "TimedFunctionRecord",
                      timed_function_fields, timed_function_types);
    records("t:3:1",
            "[[0,\"call\",\"main\",1,\"/srv/app.py\",1,0,3],"
            "[1,\"call\",\"work\",3,\"/srv/app.py\",3,250000000,3],"
            "[2,\"c_call\",\"len\",4,\"/srv/app.py\",0,500000000,3],"
            "[3,\"c_return\",\"len\",4,\"/srv/app.py\",0,500000123,3],"
            "[4,\"return\",\"work\",4,\"/srv/app.py\",3,1250000000,3],"
            "[5,\"call\",\"b\\u001bd\",20,\"/srv/app.py\",20,1300000000,3],"
            "[6,\"return\",\"b\\u001bd\",21,\"/srv/app.py\",20,1400000000,3],"
            "[7,\"return\",\"main\",9,\"/srv/app.py\",1,1500000000,3]]");
    expect_snapshot(
        0, 1.0,
        "pikos watch: 1 stream, 0 malformed, 0 waiting for a schema\n"
        "\n"
        "== stream t:3:1\n"
        "host t  pid 3  schema TimedFunctionRecord  live  records 8\n"
        "functions by own time, 4 of 4 (1.500000000 s in all):\n"
        "    %Own   %Total        OwnTime      TotalTime       calls  "
        "function\n"
        "   66.7%    66.7%    0.999999877    1.000000000           1  "
        "work (/srv/app.py:3)\n"
        "   26.7%   100.0%    0.400000000    1.500000000           1  "
        "main (/srv/app.py:1)\n"
        "    6.7%     6.7%    0.100000000    0.100000000           1  "
        "b?d (/srv/app.py:20)\n"
        "    0.0%     0.0%    0.000000123    0.000000123           1  "
        "len (/srv/app.py)\n");
    expect_snapshot(1, 1.0,
                    "pikos watch: 1 stream, 0 malformed, 0 waiting for a "
                    "schema\n"
                    "\n"
                    "== stream t:3:1\n"
                    "host t  pid 3  schema TimedFunctionRecord  live  "
                    "records 8\n"
                    "functions by own time, 1 of 4 (1.500000000 s in all):\n"
                    "    %Own   %Total        OwnTime      TotalTime       "
                    "calls  function\n"
                    "   66.7%    66.7%    0.999999877    1.000000000         "
                    "  1  work (/srv/app.py:3)\n");
}

Test(snapshot, time_table_none_yet)
{
    watch_send_schema(&streams, 1.0, "t:3:1", "t", 3, "TimedFunctionRecord",
                      timed_function_fields, timed_function_types);
    expect_snapshot(20, 1.0,
                    "pikos watch: 1 stream, 0 malformed, 0 waiting for a "
                    "schema\n"
                    "\n"
                    "== stream t:3:1\n"
                    "host t  pid 3  schema TimedFunctionRecord  live  "
                    "records 0\n"
                    "functions: none yet\n");
}

/* monitors/allocations interval=N: the heap's live bytes and blocks over
   time, current, peak and sparkline. */
Test(snapshot, python_heap)
{
    watch_send_schema(&streams, 1.0, "h:3:1", "h", 3, "HeapRecord",
                      "[\"index\",\"live_bytes\",\"live_blocks\",\"time\","
                      "\"thread\"]",
                      "[\"int\",\"int\",\"int\",\"int\",\"int\"]");
    expect_snapshot(20, 1.0,
                    "pikos watch: 1 stream, 0 malformed, 0 waiting for a "
                    "schema\n"
                    "\n"
                    "== stream h:3:1\n"
                    "host h  pid 3  schema HeapRecord  live  records 0\n"
                    "python heap: none yet\n");
    records("h:3:1", "[[0,0,0,10,7],[1,1000000,10,2000,7],"
                     "[2,3000000,12,4000,7],[3,500,3,6000,7]]");
    expect_snapshot(
        20, 1.0,
        "pikos watch: 1 stream, 0 malformed, 0 waiting for a schema\n"
        "\n"
        "== stream h:3:1\n"
        "host h  pid 3  schema HeapRecord  live  records 4\n"
        "python heap:\n"
        "  bytes  current 500  peak 3000000  \u2581\u2583\u2588\u2581\n"
        "  blocks  current 3  peak 12  \u2581\u2587\u2588\u2583\n");
}
