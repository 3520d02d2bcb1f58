/* recorders/zmq: the exact JSON of wire format v1 (docs/live.md), and the
   UTF-8 repair behind it.  Floats are expected as jansson writes them:
   C's "%.17g" without the exponent's '+' and leading zeros, ".0" added to
   a whole number; repaired bytes as Python's bytes.decode("utf-8",
   "replace") gives them. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "batch.h"
#include "strcache.h"
#include "utf8.h"
#include "wire.h"

static const struct pikos_field function_fields[] = {
    {"index", PIKOS_FIELD_INT},    {"type", PIKOS_FIELD_STR},
    {"function", PIKOS_FIELD_STR}, {"lineNo", PIKOS_FIELD_INT},
    {"filename", PIKOS_FIELD_STR},
};
static const struct pikos_schema function_schema = {
    "FunctionRecord", 5, function_fields, NULL, NULL};

static const struct pikos_field sample_fields[] = {
    {"t", PIKOS_FIELD_FLOAT}, {"n", PIKOS_FIELD_INT}, {"s", PIKOS_FIELD_STR}};
static const struct pikos_schema sample_schema = {"Sample", 3, sample_fields,
                                                  NULL, NULL};

static struct wire wire;
static struct batch_queue *queue;

static void setup(void)
{
    cr_assert_eq(wire_init(&wire), 0);
    queue = batch_queue_new(0, -1);
    cr_assert_not_null(queue);
}

static void teardown(void)
{
    wire_free(&wire);
    batch_queue_free(queue);
}

TestSuite(wire, .init = setup, .fini = teardown);

/* wire.text as a C string. */
static const char *message(void)
{
    static char text[1 << 16];
    cr_assert_lt(wire.len, sizeof(text));
    memcpy(text, wire.text, wire.len);
    text[wire.len] = '\0';
    return text;
}

static struct pikos_value str(const char *text)
{
    return (struct pikos_value){.u.s = {text, strlen(text)}};
}

static void add_function(struct live_stream *s, int64_t index, const char *type,
                         const char *function, int64_t line,
                         const char *filename)
{
    struct pikos_value values[5] = {
        {.u.i = index}, str(type), str(function), {.u.i = line}, str(filename)};
    cr_assert_eq(batch_queue_add(queue, s, values), 0);
}

static void add_sample(struct live_stream *s, double t, int64_t n,
                       struct pikos_value text)
{
    struct pikos_value values[3] = {{.u.f = t}, {.u.i = n}, text};
    cr_assert_eq(batch_queue_add(queue, s, values), 0);
}

/* All the records of the stream's current batch, as one message. */
static const char *records_of(struct live_stream *s)
{
    size_t count = atomic_load(&s->current->count);
    cr_assert_eq(wire_records(&wire, s, s->current, 0, count), 0);
    return message();
}

Test(wire, schema_message)
{
    struct live_stream *s =
        batch_queue_add_stream(queue, &function_schema, "box:42:1");

    cr_assert_eq(wire_schema(&wire, s, "box", 42), 0);
    cr_assert_str_eq(
        message(),
        "{\"v\":1,\"stream\":\"box:42:1\",\"pid\":42,\"host\":\"box\","
        "\"schema\":\"FunctionRecord\",\"fields\":[\"index\",\"type\","
        "\"function\",\"lineNo\",\"filename\"],\"types\":[\"int\",\"str\","
        "\"str\",\"int\",\"str\"]}");
}

Test(wire, schema_message_of_floats_with_a_host_that_is_not_utf8)
{
    struct live_stream *s =
        batch_queue_add_stream(queue, &sample_schema, "b\xffx:7:2");

    cr_assert_eq(wire_schema(&wire, s, "b\xffx", 7), 0);
    cr_assert_str_eq(message(),
                     "{\"v\":1,\"stream\":\"b\xef\xbf\xbdx:7:2\",\"pid\":7,"
                     "\"host\":\"b\xef\xbf\xbdx\",\"schema\":\"Sample\","
                     "\"fields\":[\"t\",\"n\",\"s\"],"
                     "\"types\":[\"float\",\"int\",\"str\"]}");
}

Test(wire, records_message)
{
    struct live_stream *s =
        batch_queue_add_stream(queue, &function_schema, "box:42:1");
    add_function(s, 0, "call", "f", 3, "/a/b.py");
    add_function(s, 1, "c_call", "len", 4, "/a/b.py");
    add_function(s, 2, "return", "f", 4, "/a/b.py");

    cr_assert_str_eq(records_of(s), "{\"stream\":\"box:42:1\",\"records\":["
                                    "[0,\"call\",\"f\",3,\"/a/b.py\"],"
                                    "[1,\"c_call\",\"len\",4,\"/a/b.py\"],"
                                    "[2,\"return\",\"f\",4,\"/a/b.py\"]]}");
}

Test(wire, part_of_a_batch)
{
    struct live_stream *s =
        batch_queue_add_stream(queue, &function_schema, "box:42:1");
    for (int i = 0; i < 4; i++)
        add_function(s, i, "call", "g", 10 + i, "m.py");

    cr_assert_eq(wire_records(&wire, s, s->current, 1, 3), 0);
    cr_assert_str_eq(message(), "{\"stream\":\"box:42:1\",\"records\":["
                                "[1,\"call\",\"g\",11,\"m.py\"],"
                                "[2,\"call\",\"g\",12,\"m.py\"]]}");
}

Test(wire, numbers_as_jansson_writes_them)
{
    struct live_stream *s =
        batch_queue_add_stream(queue, &sample_schema, "h:1:1");
    add_sample(s, 0.5, INT64_MIN, str(""));
    add_sample(s, 1.0, INT64_MAX, str(""));
    add_sample(s, -2.5e-300, -1, str(""));
    add_sample(s, 0.1, 2, str(""));
    add_sample(s, 1e22, 3, str(""));
    add_sample(s, NAN, 0, str(""));
    add_sample(s, -INFINITY, 10, str(""));

    cr_assert_str_eq(records_of(s), "{\"stream\":\"h:1:1\",\"records\":["
                                    "[0.5,-9223372036854775808,\"\"],"
                                    "[1.0,9223372036854775807,\"\"],"
                                    "[-2.5e-300,-1,\"\"],"
                                    "[0.10000000000000001,2,\"\"],"
                                    "[1e22,3,\"\"],"
                                    "[null,0,\"\"],"
                                    "[null,10,\"\"]]}");
}

Test(wire, strings_are_escaped_and_kept_utf8)
{
    struct live_stream *s =
        batch_queue_add_stream(queue, &sample_schema, "h:1:1");
    add_sample(s, 0, 0, str("say \"hi\" \\ / "));
    add_sample(s, 0, 1, str("tab\tline\nret\rbell\x07"));
    add_sample(s, 0, 2, str("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
    add_sample(s, 0, 3, (struct pikos_value){.u.s = {"a\0b", 3}});
    add_sample(s, 0, 4, str("say \"hi\" \\ / ")); /* from the cache */

    cr_assert_str_eq(records_of(s),
                     "{\"stream\":\"h:1:1\",\"records\":["
                     "[0.0,0,\"say \\\"hi\\\" \\\\ / \"],"
                     "[0.0,1,\"tab\\tline\\nret\\rbell\\u0007\"],"
                     "[0.0,2,\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"],"
                     "[0.0,3,\"a\\u0000b\"],"
                     "[0.0,4,\"say \\\"hi\\\" \\\\ / \"]]}");
}

Test(wire, invalid_utf8_becomes_replacement_characters)
{
    struct live_stream *s =
        batch_queue_add_stream(queue, &sample_schema, "h:1:1");
    add_sample(s, 0, 0,
               str("a\xff"
                   "b"));
    add_sample(s, 0, 1, str("\xed\xa0\x80"));

    cr_assert_str_eq(records_of(s),
                     "{\"stream\":\"h:1:1\",\"records\":["
                     "[0.0,0,\"a\xef\xbf\xbd"
                     "b\"],"
                     "[0.0,1,\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"]]}");
}

Test(wire, long_strings_are_not_cached_but_written_the_same)
{
    char text[601], expected[2048];
    struct live_stream *s =
        batch_queue_add_stream(queue, &sample_schema, "h:1:1");
    memset(text, 'x', 600);
    text[0] = '"';
    text[600] = '\0';
    add_sample(s, 0, 0, str(text));
    add_sample(s, 0, 1, str(text));

    snprintf(expected, sizeof(expected),
             "{\"stream\":\"h:1:1\",\"records\":[[0.0,0,\"\\%s\"],"
             "[0.0,1,\"\\%s\"]]}",
             text, text);
    cr_assert_str_eq(records_of(s), expected);
}

Test(wire, end_message)
{
    struct live_stream *s =
        batch_queue_add_stream(queue, &function_schema, "box:42:3");

    cr_assert_eq(wire_end(&wire, s, 12345, 67), 0);
    cr_assert_str_eq(
        message(), "{\"stream\":\"box:42:3\",\"count\":12345,\"dropped\":67}");
}

/* ------------------------------------------------------------ the cache */

Test(strcache, many_distinct_strings_survive_the_cache_starting_again)
{
    struct strcache cache;
    char text[32], expected[40];
    const char *json;
    size_t len;

    cr_assert_eq(strcache_init(&cache), 0);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 20000; i++) {
            snprintf(text, sizeof(text), "name%d", i);
            snprintf(expected, sizeof(expected), "\"name%d\"", i);
            cr_assert_eq(strcache_json(&cache, text, strlen(text), &json, &len),
                         0);
            cr_assert_eq(len, strlen(expected));
            cr_assert_eq(memcmp(json, expected, len), 0, "%s", expected);
        }
    }
    strcache_free(&cache);
}

/* ------------------------------------------------------------ UTF-8 */

struct utf8_case {
    const char *in;
    const char *out;
};

/* Each expected output is Python's bytes.decode("utf-8", "replace"). */
static const struct utf8_case utf8_cases[] = {
    {"plain ascii text, longer than a word",
     "plain ascii text, longer than a word"},
    {"ok\xc3\xa9", "ok\xc3\xa9"},
    {"\xff", "\xef\xbf\xbd"},
    {"a\xe2\x82"
     "b",
     "a\xef\xbf\xbd"
     "b"}, /* truncated: one U+FFFD */
    {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate */
    {"\xf0\x9f\x98", "\xef\xbf\xbd"},         /* truncated at the end */
    {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong */
    {"\xf4\x90\x80\x80",                      /* above U+10FFFF */
     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    {"\xe2\x82\xac\x80", "\xe2\x82\xac\xef\xbf\xbd"}, /* stray continuation */
    {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},
};

Test(utf8, repair_replaces_maximal_invalid_subsequences)
{
    char out[64];
    for (size_t i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
        const struct utf8_case *c = &utf8_cases[i];
        size_t len = utf8_repair(c->in, strlen(c->in), out);
        out[len] = '\0';
        cr_assert_str_eq(out, c->out, "case %zu", i);
        cr_assert_eq(utf8_is_valid(c->in, strlen(c->in)),
                     strcmp(c->in, c->out) == 0, "case %zu", i);
        cr_assert(utf8_is_valid(out, len), "case %zu", i);
    }
}
