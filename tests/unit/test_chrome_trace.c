/* recorders/chrome_trace: JSON strings for any bytes, timestamps, the
   exact out of each kind of event, the recorder through the fake host
   (slices, unmatched ends, calls open at the end, threads, memory
   counters, line events, runs, bad options, untimed records), gzip read
   back with zlib, and what a crash leaves (the durable region's
   salvage). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <zlib.h>

#include "../../plugins/recorders/chrome_trace/events.h"
#include "../../plugins/recorders/chrome_trace/json.h"
#include "durable.h"
#include "fakehost.h"

extern const struct pikos_plugin pikos_plugin_entry;

/* ------------------------------------------------------------ json */

static char out[4096];

static const char *string_of(const char *bytes, size_t len)
{
    *json_string(out, bytes, len) = '\0';
    return out;
}

#define STRING_OF(literal) string_of(literal, sizeof(literal) - 1)

Test(json, plain_text_is_quoted_as_it_is)
{
    cr_assert_str_eq(STRING_OF("main.py"), "\"main.py\"");
    cr_assert_str_eq(STRING_OF(""), "\"\"");
}

Test(json, quotes_backslashes_and_controls_are_escaped)
{
    cr_assert_str_eq(STRING_OF("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
    cr_assert_str_eq(STRING_OF("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
    cr_assert_str_eq(STRING_OF("\x01\x1f\x7f"), "\"\\u0001\\u001f\x7f\"");
    cr_assert_str_eq(STRING_OF("a\0b"), "\"a\\u0000b\"");
}

Test(json, valid_utf8_is_kept)
{
    /* é (2 bytes), € (3), U+10FFFF and 𝄞 (4) */
    cr_assert_str_eq(STRING_OF("caf\xc3\xa9 \xe2\x82\xac \xf4\x8f\xbf\xbf "
                               "\xf0\x9d\x84\x9e"),
                     "\"caf\xc3\xa9 \xe2\x82\xac \xf4\x8f\xbf\xbf "
                     "\xf0\x9d\x84\x9e\"");
}

Test(json, each_byte_of_invalid_utf8_becomes_u_fffd)
{
    cr_assert_str_eq(STRING_OF("a\xff"), "\"a\\ufffd\"");
    cr_assert_str_eq(STRING_OF("\x80x"), "\"\\ufffdx\""); /* continuation */
    cr_assert_str_eq(STRING_OF("\xc0\xaf"), "\"\\ufffd\\ufffd\""); /* overlong */
    cr_assert_str_eq(STRING_OF("\xe0\x80\xaf"),
                     "\"\\ufffd\\ufffd\\ufffd\""); /* overlong */
    cr_assert_str_eq(STRING_OF("\xed\xa0\x80"),
                     "\"\\ufffd\\ufffd\\ufffd\""); /* a surrogate */
    cr_assert_str_eq(STRING_OF("\xf4\x90\x80\x80"),
                     "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
    cr_assert_str_eq(STRING_OF("\xe2\x82"), "\"\\ufffd\\ufffd\""); /* cut */
    cr_assert_str_eq(STRING_OF("\xe2\x82x"), "\"\\ufffd\\ufffdx\"");
}

Test(json, the_bound_holds_for_the_worst_bytes)
{
    char worst[64];
    memset(worst, 1, 32);
    memset(worst + 32, 0xff, 32);
    cr_assert_eq(json_string(out, worst, 64) - out, JSON_STRING_MAX(64));
}

static const char *microseconds_of(uint64_t ns)
{
    *json_microseconds(out, ns) = '\0';
    return out;
}

Test(json, nanoseconds_are_written_as_microseconds_with_three_decimals)
{
    cr_assert_str_eq(microseconds_of(0), "0.000");
    cr_assert_str_eq(microseconds_of(7), "0.007");
    cr_assert_str_eq(microseconds_of(999), "0.999");
    cr_assert_str_eq(microseconds_of(1234567), "1234.567");
    cr_assert_str_eq(microseconds_of(UINT64_MAX), "18446744073709551.615");
    cr_assert_eq(strlen(out), JSON_MICROSECONDS_MAX);
}

Test(json, integers)
{
    *json_int(out, INT64_MIN) = '\0';
    cr_assert_str_eq(out, "-9223372036854775808");
    *json_int(out, 0) = '\0';
    cr_assert_str_eq(out, "0");
    *json_uint(out, UINT64_MAX) = '\0';
    cr_assert_str_eq(out, "18446744073709551615");
}

/* ------------------------------------------------------------ events */

static struct timed_event call_of(enum timed_kind kind, const char *function,
                                  const char *filename, int64_t lineno,
                                  int64_t first_lineno)
{
    struct timed_event e = {.kind = kind, .lineno = lineno,
                            .first_lineno = first_lineno, .thread = 42};
    e.function.ptr = function;
    e.function.len = strlen(function);
    e.filename.ptr = filename;
    e.filename.len = strlen(filename);
    return e;
}

Test(events, a_python_slice_names_its_function_and_first_line)
{
    struct timed_event e = call_of(TIMED_CALL, "f", "/app.py", 9, 7);
    char fragment[256];
    size_t len = (size_t)(slice_fragment(fragment, &e) - fragment);

    cr_assert_leq(len, slice_fragment_max(&e));
    *duration_event(out, 'B', 1500, 10, 42, fragment, len) = '\0';
    cr_assert_str_eq(out, ",\n{\"ph\":\"B\",\"ts\":1.500,\"pid\":10,"
                           "\"tid\":42,\"name\":\"f\",\"cat\":\"python\","
                           "\"args\":{\"file\":\"/app.py\",\"line\":7}}");
}

Test(events, a_c_slice_names_the_line_that_calls_it)
{
    struct timed_event e = call_of(TIMED_C_CALL, "len", "/app.py", 9, 0);
    char fragment[256];
    size_t len = (size_t)(slice_fragment(fragment, &e) - fragment);

    *duration_event(out, 'E', 2000001, 10, 42, fragment, len) = '\0';
    cr_assert_str_eq(out, ",\n{\"ph\":\"E\",\"ts\":2000.001,\"pid\":10,"
                           "\"tid\":42,\"name\":\"len\",\"cat\":\"c\","
                           "\"args\":{\"file\":\"/app.py\",\"line\":9}}");
}

Test(events, header_thread_name_memory_and_line_events)
{
    struct timed_event line = call_of(TIMED_LINE, "g", "/a \"b\".py", 3, 0);

    *trace_header(out, 10, "python3 app.py", 14) = '\0';
    cr_assert_str_eq(out, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n"
                           "{\"ph\":\"M\",\"ts\":0,\"pid\":10,\"tid\":10,"
                           "\"name\":\"process_name\",\"args\":{\"name\":"
                           "\"python3 app.py\"}}");
    *thread_name_event(out, 10, 11, "thread", 6) = '\0';
    cr_assert_str_eq(out, ",\n{\"ph\":\"M\",\"ts\":0.000,\"pid\":10,"
                           "\"tid\":11,\"name\":\"thread_name\",\"args\":"
                           "{\"name\":\"thread\"}}");
    *memory_event(out, 5, 10, 11, 4096, 8192) = '\0';
    cr_assert_str_eq(out, ",\n{\"ph\":\"C\",\"ts\":0.005,\"pid\":10,"
                           "\"tid\":11,\"name\":\"memory\",\"args\":"
                           "{\"RSS\":4096,\"VMS\":8192}}");
    *line_event(out, 6000, 10, &line, "x = 1\t# one", 11) = '\0';
    cr_assert_str_eq(out, ",\n{\"ph\":\"i\",\"ts\":6.000,\"pid\":10,"
                           "\"tid\":42,\"name\":\"line 3\",\"cat\":\"line\","
                           "\"s\":\"t\",\"args\":{\"function\":\"g\","
                           "\"file\":\"/a \\\"b\\\".py\",\"line\":3,"
                           "\"source\":\"x = 1\\t# one\"}}");
}

/* ------------------------------------------------------------ recorder */

static const struct pikos_field function_fields[] = {
    {"index", PIKOS_FIELD_INT},    {"type", PIKOS_FIELD_STR},
    {"function", PIKOS_FIELD_STR}, {"lineNo", PIKOS_FIELD_INT},
    {"filename", PIKOS_FIELD_STR}, {"firstLineNo", PIKOS_FIELD_INT},
    {"time", PIKOS_FIELD_INT},     {"thread", PIKOS_FIELD_INT}};
static const struct pikos_schema timed_functions = {
    "TimedFunctionRecord", 8, function_fields, NULL, NULL};
static const struct pikos_schema untimed_functions = {
    "FunctionRecord", 5, function_fields, NULL, NULL};

static const struct pikos_field memory_fields[] = {
    {"index", PIKOS_FIELD_INT},    {"type", PIKOS_FIELD_STR},
    {"function", PIKOS_FIELD_STR}, {"RSS", PIKOS_FIELD_INT},
    {"VMS", PIKOS_FIELD_INT},      {"lineNo", PIKOS_FIELD_INT},
    {"filename", PIKOS_FIELD_STR}, {"firstLineNo", PIKOS_FIELD_INT},
    {"time", PIKOS_FIELD_INT},     {"thread", PIKOS_FIELD_INT}};
static const struct pikos_schema timed_memory = {
    "TimedFunctionMemoryRecord", 10, memory_fields, NULL, NULL};

static const struct pikos_field line_fields[] = {
    {"index", PIKOS_FIELD_INT},    {"function", PIKOS_FIELD_STR},
    {"lineNo", PIKOS_FIELD_INT},   {"line", PIKOS_FIELD_STR},
    {"filename", PIKOS_FIELD_STR}, {"time", PIKOS_FIELD_INT},
    {"thread", PIKOS_FIELD_INT}};
static const struct pikos_schema timed_lines = {"TimedLineRecord", 7,
                                                line_fields, NULL, NULL};

static char path[64];
static char setting[128];

static void make_path(void)
{
    fake_temp_file(path);
}

static void remove_path(void)
{
    unlink(path);
}

/* The recorder writing `path` (with up to two more settings), started. */
static struct fake_instance *recorder_with(const char *more,
                                           const char *more_still)
{
    const char *settings[4] = {setting, more, more_still, NULL};
    snprintf(setting, sizeof(setting), "filename=%s", path);
    struct fake_instance *fi = fake_instance_new(&pikos_plugin_entry, settings);
    cr_assert_not_null(fi);
    cr_assert_eq(fi->init_rc, PIKOS_OK, "%s", fi->error);
    cr_assert_eq(pikos_plugin_entry.start(&fi->inst, fi->ctx), PIKOS_OK);
    return fi;
}

static struct fake_instance *recorder(const char *more)
{
    return recorder_with(more, NULL);
}

static int function_record(struct fake_instance *fi, const char *type,
                           const char *function, int64_t line,
                           int64_t first_line, int64_t time, int64_t thread)
{
    struct pikos_value v[8] = {
        {.u.i = 0},
        {.u.s = {type, strlen(type)}},
        {.u.s = {function, strlen(function)}},
        {.u.i = line},
        {.u.s = {"/app.py", 7}},
        {.u.i = first_line},
        {.u.i = time},
        {.u.i = thread}};
    struct pikos_record rec = {&timed_functions, v};
    return fake_record(fi, &rec);
}

/* Ends the run (finalize) and the recorder (fini: the ending). */
static void finish(struct fake_instance *fi)
{
    cr_assert_eq(pikos_plugin_entry.finalize(&fi->inst, fi->ctx), PIKOS_OK,
                 "%s", fi->error);
    fake_instance_free(fi);
}

/* The file's events after the header's two lines, each on its line. */
static char *events_after_header(char *file)
{
    char *second = strchr(file, '\n');
    cr_assert_not_null(second);
    char *third = strchr(second + 1, '\n');
    cr_assert_not_null(third);
    return third + 1;
}

/* The header of a trace written by process `pid`. */
static void assert_header_of(const char *file, pid_t pid)
{
    char expected[256];
    snprintf(expected, sizeof(expected),
             "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n"
             "{\"ph\":\"M\",\"ts\":0,\"pid\":%d,\"tid\":%d,"
             "\"name\":\"process_name\",\"args\":{\"name\":\"",
             (int)pid, (int)pid);
    cr_assert_eq(strncmp(file, expected, strlen(expected)), 0, "%.300s",
                 file);
}

static void assert_header(const char *file)
{
    assert_header_of(file, getpid());
}

#define PY(name, line) "\"name\":\"" name "\",\"cat\":\"python\",\"args\":" \
                       "{\"file\":\"/app.py\",\"line\":" #line "}}"
#define C(name, line) "\"name\":\"" name "\",\"cat\":\"c\",\"args\":" \
                      "{\"file\":\"/app.py\",\"line\":" #line "}}"

TestSuite(recorder, .init = make_path, .fini = remove_path);

/* The expected text of events after the header, one per entry of
   (phase, ts, name-and-args), on thread 7. */
static void assert_events(const char *const *events)
{
    char expected[4096] = "", one[512];
    char *file = fake_read_file(path);

    for (size_t i = 0; events[i] != NULL; i += 3) {
        snprintf(one, sizeof(one), ",\n{\"ph\":\"%s\",\"ts\":%s,\"pid\":%d,"
                                   "\"tid\":7,%s", events[i], events[i + 1],
                 (int)getpid(), events[i + 2]);
        strcat(expected, one);
    }
    strcat(expected, "\n]}\n");
    assert_header(file);
    cr_assert_str_eq(events_after_header(file), expected + 2);
    free(file);
}

#define THREAD_NAME "\"name\":\"thread_name\",\"args\":{\"name\":\"thread\"}}"

Test(recorder, nested_calls_become_slices_whose_ends_repeat_their_begins)
{
    struct fake_instance *fi = recorder(NULL);

    function_record(fi, "call", "f", 3, 3, 1000, 7);
    function_record(fi, "c_call", "len", 4, 0, 2000, 7);
    function_record(fi, "c_return", "len", 4, 0, 2500, 7);
    function_record(fi, "call", "f", 4, 3, 2600, 7); /* recursion */
    function_record(fi, "return", "f", 5, 3, 2700, 7);
    function_record(fi, "return", "f", 5, 3, 3001, 7);
    finish(fi);
    assert_events((const char *const[]){
        "M", "0.000", THREAD_NAME,
        "B", "1.000", PY("f", 3),
        "B", "2.000", C("len", 4),
        "E", "2.500", C("len", 4),
        "B", "2.600", PY("f", 3),
        "E", "2.700", PY("f", 3),
        "E", "3.001", PY("f", 3), NULL});
}

Test(recorder, ends_that_match_nothing_are_dropped)
{
    struct fake_instance *fi = recorder(NULL);

    function_record(fi, "return", "boot", 9, 8, 100, 7); /* begun before */
    function_record(fi, "c_return", "len", 4, 0, 150, 7);
    function_record(fi, "call", "f", 3, 3, 1000, 7);
    function_record(fi, "return", "f", 5, 3, 2000, 7);
    function_record(fi, "return", "main", 9, 1, 3000, 7);
    finish(fi);
    assert_events((const char *const[]){
        "M", "0.000", THREAD_NAME,
        "B", "1.000", PY("f", 3),
        "E", "2.000", PY("f", 3), NULL});
}

Test(recorder, calls_open_at_the_end_end_at_the_last_timestamp)
{
    struct fake_instance *fi = recorder(NULL);

    function_record(fi, "call", "main", 1, 1, 1000, 7);
    function_record(fi, "call", "f", 3, 3, 2000, 7);
    function_record(fi, "c_call", "sleep", 4, 0, 3000, 7);
    function_record(fi, "call", "other", 20, 20, 9000, 8); /* the last */
    function_record(fi, "return", "other", 21, 20, 9500, 8);
    finish(fi);

    char *file = fake_read_file(path);
    char *sleep_end = strstr(file, "\"ph\":\"E\",\"ts\":9.500,\"pid\"");
    cr_assert_not_null(sleep_end, "%s", file);
    cr_assert_not_null(strstr(sleep_end, "\"tid\":7,\"name\":\"sleep\""));
    char *f_end = strstr(sleep_end, ",\"tid\":7," PY("f", 3));
    cr_assert_not_null(f_end, "%s", file);
    cr_assert_not_null(strstr(f_end, ",\"tid\":7," PY("main", 1) "\n]}\n"));
    free(file);
}

Test(recorder, a_return_ends_the_c_calls_left_open_above_it)
{
    struct fake_instance *fi = recorder(NULL);

    function_record(fi, "call", "f", 3, 3, 1000, 7);
    function_record(fi, "c_call", "next", 4, 0, 2000, 7);
    function_record(fi, "return", "f", 5, 3, 3000, 7);
    finish(fi);
    assert_events((const char *const[]){
        "M", "0.000", THREAD_NAME,
        "B", "1.000", PY("f", 3),
        "B", "2.000", C("next", 4),
        "E", "3.000", C("next", 4),
        "E", "3.000", PY("f", 3), NULL});
}

Test(recorder, each_thread_is_named_once_the_main_one_as_such)
{
    fake_thread_id = 0;
    struct fake_instance *fi = recorder(NULL);
    int pid = (int)getpid();
    char main_name[160];

    function_record(fi, "call", "a", 1, 1, 1000, 7);
    function_record(fi, "call", "b", 1, 1, 1100, pid);
    function_record(fi, "return", "a", 1, 1, 1200, 7);
    function_record(fi, "call", "a", 1, 1, 1300, 7);
    finish(fi);

    char *file = fake_read_file(path);
    snprintf(main_name, sizeof(main_name),
             "\"tid\":%d,\"name\":\"thread_name\",\"args\":{\"name\":"
             "\"main thread\"}}", pid);
    cr_assert_not_null(strstr(file, main_name), "%s", file);
    char *named = strstr(file, "\"tid\":7,\"name\":\"thread_name\"");
    cr_assert_not_null(named);
    cr_assert_null(strstr(named + 1, "\"tid\":7,\"name\":\"thread_name\""));
    free(file);
}

#define MEMORY(rss, vms) "\"name\":\"memory\",\"args\":{\"RSS\":" #rss \
                         ",\"VMS\":" #vms "}}"

Test(recorder, memory_is_a_counter_written_when_it_changes)
{
    struct fake_instance *fi = recorder(NULL);
    const int64_t rss[] = {4096, 4096, 8192};

    for (int i = 0; i < 3; i++) {
        const char *type = i == 1 ? "return" : "call";
        struct pikos_value v[10] = {
            {.u.i = i},              {.u.s = {type, strlen(type)}},
            {.u.s = {"f", 1}},       {.u.i = rss[i]},
            {.u.i = 100},            {.u.i = 3},
            {.u.s = {"/app.py", 7}}, {.u.i = 3},
            {.u.i = 1000 * (i + 1)}, {.u.i = 7}};
        struct pikos_record rec = {&timed_memory, v};
        cr_assert_eq(fake_record(fi, &rec), PIKOS_OK);
    }
    finish(fi);
    assert_events((const char *const[]){
        "C", "1.000", MEMORY(4096, 100),
        "M", "0.000", THREAD_NAME,
        "B", "1.000", PY("f", 3),
        "E", "2.000", PY("f", 3),
        "C", "3.000", MEMORY(8192, 100),
        "B", "3.000", PY("f", 3),
        "E", "3.000", PY("f", 3), NULL});
}

Test(recorder, line_records_are_instant_events_with_their_source)
{
    struct fake_instance *fi = recorder(NULL);
    struct pikos_value v[7] = {
        {.u.i = 0},     {.u.s = {"g", 1}},       {.u.i = 12},
        {.u.s = {"return \"x\"", 10}}, {.u.s = {"/app.py", 7}},
        {.u.i = 4000},  {.u.i = 7}};
    struct pikos_record rec = {&timed_lines, v};

    cr_assert_eq(fake_record(fi, &rec), PIKOS_OK);
    finish(fi);
    assert_events((const char *const[]){
        "M", "0.000", THREAD_NAME,
        "i", "4.000", "\"name\":\"line 12\",\"cat\":\"line\",\"s\":\"t\","
                      "\"args\":{\"function\":\"g\",\"file\":\"/app.py\","
                      "\"line\":12,\"source\":\"return \\\"x\\\"\"}}",
        NULL});
}

/* A second run's times go on from the first run's start. */
Test(recorder, a_later_run_counts_from_the_first_runs_start)
{
    fake_run_start_ns = 1000000;
    struct fake_instance *fi = recorder(NULL);

    function_record(fi, "call", "f", 3, 3, 1000, 7);
    function_record(fi, "return", "f", 3, 3, 2000, 7);
    cr_assert_eq(pikos_plugin_entry.finalize(&fi->inst, fi->ctx), PIKOS_OK);
    fake_run_start_ns = 1500000; /* 500 us later */
    cr_assert_eq(pikos_plugin_entry.start(&fi->inst, fi->ctx), PIKOS_OK);
    function_record(fi, "call", "f", 3, 3, 1000, 7);
    finish(fi);
    fake_run_start_ns = 0;
    assert_events((const char *const[]){
        "M", "0.000", THREAD_NAME,
        "B", "1.000", PY("f", 3),
        "E", "2.000", PY("f", 3),
        "B", "501.000", PY("f", 3),
        "E", "501.000", PY("f", 3), NULL});
}

Test(recorder, records_without_time_are_refused_in_one_line)
{
    struct fake_instance *fi = recorder(NULL);

    cr_assert_eq(fake_prepare(fi, &untimed_functions), PIKOS_EINVAL);
    cr_assert_str_eq(fi->error,
                     "a Chrome trace takes timed records: "
                     "FunctionRecord has no time and thread fields (give the "
                     "monitor time=true, e.g. monitors/functions:time=true)");
    fake_instance_free(fi);
}

static void assert_refused(const char *bad, const char *message)
{
    const char *settings[] = {bad, NULL};
    struct fake_instance *fi = fake_instance_new(&pikos_plugin_entry, settings);

    cr_assert_not_null(fi);
    cr_assert_eq(fi->init_rc, PIKOS_EINVAL);
    cr_assert_str_eq(fi->error, message);
    fake_instance_free(fi);
}

Test(recorder, bad_options_are_refused_in_one_line)
{
    assert_refused("compress=zip",
                   "option 'compress' must be auto, gzip or none, not 'zip'");
    assert_refused("gzip_level=0", "option 'gzip_level' must be 1 to 9, not 0");
    assert_refused("gzip_block=10", "option 'gzip_block' must be 1024 to "
                                    "67108864 bytes, not 10");
}

Test(recorder, an_unwritable_file_fails_at_init)
{
    const char *settings[] = {"filename=/nonexistent-dir/t.json", NULL};
    struct fake_instance *fi = fake_instance_new(&pikos_plugin_entry, settings);

    cr_assert_eq(fi->init_rc, PIKOS_EIO);
    cr_assert_str_eq(fi->error, "cannot open output "
                                "'/nonexistent-dir/t.json': No such file or "
                                "directory");
    fake_instance_free(fi);
}

/* 20000 control characters: each event takes 120 KB escaped, more than
   the output's buffer, and goes whole through output_write. */
Test(recorder, an_event_larger_than_the_output_buffer_is_written_whole)
{
    static char name[20001];
    struct fake_instance *fi = recorder(NULL);
    size_t escapes = 0;

    memset(name, '\x01', sizeof(name) - 1);
    function_record(fi, "call", "small", 1, 1, 1000, 7);
    function_record(fi, "call", name, 2, 2, 2000, 7);
    function_record(fi, "return", name, 2, 2, 3000, 7);
    function_record(fi, "return", "small", 1, 1, 4000, 7);
    finish(fi);

    char *file = fake_read_file(path);
    for (char *at = file; (at = strstr(at, "\\u0001")) != NULL; at += 6)
        escapes++;
    cr_assert_eq(escapes, 2 * 20000);
    char *big_end = strstr(file, "\"ph\":\"E\",\"ts\":3.000,");
    cr_assert_not_null(big_end);
    cr_assert_not_null(strstr(big_end, ",\"tid\":7," PY("small", 1)
                                       "\n]}\n"));
    free(file);
}

static void assert_a_full_disk_is_reported(const char *compress)
{
    const char *settings[] = {"filename=/dev/full", compress, NULL};
    struct fake_instance *fi = fake_instance_new(&pikos_plugin_entry, settings);
    int rc = PIKOS_OK;

    cr_assert_eq(fi->init_rc, PIKOS_OK, "%s", fi->error);
    pikos_plugin_entry.start(&fi->inst, fi->ctx);
    for (int i = 0; i < 1000000 && rc == PIKOS_OK; i++)
        rc = function_record(fi, i % 2 ? "return" : "call", "f", 1, 1, i, 7);
    cr_assert_eq(rc, PIKOS_EIO);
    cr_assert_str_eq(fi->error, "cannot write to '/dev/full': No space left "
                                "on device");
    /* Later records fail quietly (gzip: when a block is compressed). */
    for (int i = 0; i < 10; i++)
        function_record(fi, "call", "f", 1, 1, i, 7);
    cr_assert_eq(pikos_plugin_entry.finalize(&fi->inst, fi->ctx), PIKOS_EIO);
    cr_assert_str_eq(fi->error, "cannot write to '/dev/full': No space left "
                                "on device");
    fake_instance_free(fi);
}

Test(recorder, a_full_disk_is_one_error_plain_or_gzip)
{
    assert_a_full_disk_is_reported("compress=none");
    assert_a_full_disk_is_reported("compress=gzip");
}

/* ------------------------------------------------------------ gzip */

/* The whole text of a gzip file, every member (NULL: not gzip). */
static char *gunzip(const char *file, size_t *len)
{
    gzFile gz = gzopen(file, "rb");
    size_t cap = 1 << 16, n = 0;
    char *text = malloc(cap + 1);
    int got;

    cr_assert_not_null(gz);
    while ((got = gzread(gz, text + n, (unsigned)(cap - n))) > 0) {
        n += (size_t)got;
        if (n == cap)
            text = realloc(text, (cap *= 2) + 1);
    }
    int errnum;
    gzerror(gz, &errnum);
    cr_assert(got == 0 && errnum == Z_OK, "not whole gzip");
    gzclose(gz);
    text[n] = '\0';
    *len = n;
    return text;
}

/* Many events: text over several blocks. */
static void many_calls(struct fake_instance *fi, int n)
{
    for (int i = 0; i < n; i++) {
        function_record(fi, "call", "function_with_a_long_name", 3, 3,
                        1000 * i, 7);
        function_record(fi, "return", "function_with_a_long_name", 3, 3,
                        1000 * i + 500, 7);
    }
}

/* A count of gzip members: each starts with 1f 8b 08 (and they are
   read back whole by gunzip, which checks every CRC). */
static int members_in(const char *file)
{
    char *bytes = fake_read_file(file);
    FILE *f = fopen(file, "rb");
    long size;
    int count = 0;

    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fclose(f);
    for (long i = 0; i + 2 < size; i++)
        count += (unsigned char)bytes[i] == 0x1f &&
                 (unsigned char)bytes[i + 1] == 0x8b && bytes[i + 2] == 8;
    free(bytes);
    return count;
}

TestSuite(gzip, .init = make_path, .fini = remove_path);

Test(gzip, the_text_is_the_plain_files_in_members)
{
    char plain[64], gz[72];
    size_t len;

    fake_temp_file(plain);
    snprintf(gz, sizeof(gz), "%s.gz", plain);
    strcpy(path, plain);
    struct fake_instance *fi = recorder(NULL);
    many_calls(fi, 2000);
    finish(fi);
    strcpy(path, gz);
    fi = recorder("gzip_block=4096");
    many_calls(fi, 2000);
    finish(fi);

    char *expected = fake_read_file(plain);
    char *text = gunzip(gz, &len);
    cr_assert_eq(len, strlen(expected));
    cr_assert_str_eq(text, expected);
    /* header, ending, and at least one member per 4096 bytes */
    cr_assert_geq(members_in(gz), 2 + (int)(len / 4096) - 1);
    free(text);
    free(expected);
    unlink(plain);
    unlink(gz);
    strcpy(path, plain);
}

Test(gzip, compress_gzip_writes_gzip_whatever_the_name)
{
    size_t len;
    struct fake_instance *fi = recorder("compress=gzip");

    many_calls(fi, 3);
    finish(fi);
    char *text = gunzip(path, &len);
    cr_assert_not_null(strstr(text, "\"traceEvents\":["));
    cr_assert_str_eq(text + len - 4, "\n]}\n");
    free(text);
}

Test(gzip, an_event_bigger_than_a_block_is_a_member_of_its_own)
{
    static char name[3000];
    size_t len;
    struct fake_instance *fi = recorder_with("compress=gzip",
                                             "gzip_block=1024");
    char *copy;

    memset(name, 'n', sizeof(name) - 1);
    many_calls(fi, 3);
    for (int i = 0; i < 2; i++)
        function_record(fi, i ? "return" : "call", name, 1, 1, 9000 + i, 7);
    finish(fi);
    copy = gunzip(path, &len);
    cr_assert_not_null(strstr(copy, name));
    cr_assert_str_eq(copy + len - 4, "\n]}\n");
    free(copy);
}

/* ------------------------------------------------------------ crashes */

/* A process attached to the pikos command's region (as the interpreter
   is) records, and is killed by SIGKILL before the recorder ends; the
   command (this process) then salvages. */
static struct pikos_durable *killed_while_recording(const char *more,
                                                    int calls, pid_t *pid_out)
{
    int fd, status;
    struct pikos_durable *command = pikos_durable_create(&fd);
    pid_t pid;

    cr_assert_not_null(command);
    pid = fork();
    if (pid == 0) {
        pikos_durable_attach(dup(fd));
        struct fake_instance *fi = recorder(more);
        many_calls(fi, calls);
        function_record(fi, "call", "last_call", 1, 1, 5000000000, 7);
        kill(getpid(), SIGKILL);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    close(fd);
    *pid_out = pid;
    return command;
}

TestSuite(crash, .init = make_path, .fini = remove_path);

Test(crash, a_killed_run_leaves_valid_json_with_every_event)
{
    pid_t pid;
    struct pikos_durable *command = killed_while_recording(NULL, 1000, &pid);
    char *file;

    pikos_durable_salvage(command);
    pikos_durable_destroy(command);
    file = fake_read_file(path);
    assert_header_of(file, pid);
    /* The last call began and never ended: its "B" is the last event. */
    char *last = strstr(file, "\"name\":\"last_call\"");
    cr_assert_not_null(last, "%s", file + strlen(file) - 200);
    cr_assert_str_eq(last, PY("last_call", 1) "\n]}\n");
    cr_assert_not_null(strstr(file, "\"ph\":\"B\",\"ts\":0.000,"));
    cr_assert_not_null(strstr(file, "\"ph\":\"E\",\"ts\":999.500,"));
    free(file);
}

Test(crash, a_killed_gzip_run_leaves_valid_gzip_of_its_whole_blocks)
{
    pid_t pid;
    struct pikos_durable *command =
        killed_while_recording("compress=gzip", 2000, &pid);
    size_t len;
    char *text;

    pikos_durable_salvage(command);
    pikos_durable_destroy(command);
    text = gunzip(path, &len);
    assert_header_of(text, pid);
    cr_assert_str_eq(text + len - 4, "\n]}\n");
    /* The events of the blocks compressed before the kill: the first
       ones, not the block in the making. */
    cr_assert_not_null(strstr(text, "\"ph\":\"E\",\"ts\":0.500,"));
    cr_assert_gt(len, 65536);
    cr_assert_null(strstr(text, "last_call"));
    free(text);
}
