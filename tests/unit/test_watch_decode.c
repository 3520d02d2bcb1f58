/* The decoder of `pikos watch` (cli/watch_decode.c, through
   pikos_watch_receive): the exact verdict of every message of the corpus
   tests/unit/fixtures/watch_corpus/ (also the fuzz target's seed corpus,
   format in tests/fuzz/watch_input.h), and what a decoded message holds. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "watch.h"
#include "watch_input.h"

#define CORPUS TEST_SRCDIR "/tests/unit/fixtures/watch_corpus"

/* Each corpus file and the verdicts of its messages, in order. */
static const struct {
    const char *file;
    const char *verdicts;
} cases[] = {
    {"good_function_stream", "new-stream records records ended"},
    {"good_timed_stream", "new-stream records records ended"},
    {"good_line_stream", "new-stream records ended"},
    {"good_memory_stream", "new-stream records ended"},
    {"good_other_schema", "new-stream records ended"},
    {"control_characters", "new-stream records"},
    {"schema_restated", "new-stream records restated records"},
    {"restart_after_end", "new-stream records ended restarted records"},
    {"restart_new_schema", "new-stream records restarted records"},
    {"restart_new_pid", "new-stream restarted restarted"},
    {"new_id_same_process", "new-stream ended new-stream records"},
    {"wrong_topic", "bad-topic bad-topic bad-topic bad-topic bad-topic "
                    "bad-topic"},
    {"wrong_frame_count", "bad-frames bad-frames bad-frames bad-frames "
                          "bad-frames"},
    {"bad_json", "bad-json bad-json bad-json bad-json bad-json bad-json "
                 "bad-json bad-json bad-json bad-json"},
    {"bad_utf8", "bad-json bad-json bad-json bad-json bad-topic no-schema"},
    {"truncated", "bad-json new-stream bad-json bad-json bad-frames"},
    {"wrong_types",
     "bad-key bad-key bad-key bad-key bad-key bad-key bad-key bad-key "
     "bad-key bad-key bad-key bad-key bad-key bad-key bad-key bad-key "
     "bad-key bad-key bad-key bad-key bad-key bad-key bad-key bad-key "
     "bad-key bad-key bad-key bad-key bad-key"},
    {"wrong_rows", "new-stream bad-row bad-row bad-row bad-row bad-row "
                   "bad-row bad-row bad-row bad-row records records "
                   "new-stream records bad-row"},
    {"records_before_schema", "no-schema no-schema new-stream records"},
    {"records_after_end", "new-stream ended no-schema ended"},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))
#define MAX_MESSAGES 64

static char *read_corpus_file(const char *name, size_t *size)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", CORPUS, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    char *data = malloc(1 << 16);
    cr_assert_not_null(data);
    *size = fread(data, 1, 1 << 16, f);
    cr_assert(feof(f), "%s is too big for the test", path);
    fclose(f);
    return data;
}

/* The verdicts as the cases spell them, space separated. */
static void verdict_text(const int *verdicts, size_t n, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strncat(buf, " ", size - strlen(buf) - 1);
        strncat(buf, pikos_watch_verdict_name(verdicts[i]),
                size - strlen(buf) - 1);
    }
}

static void check_case(const char *file, const char *expected)
{
    size_t size;
    char *data = read_corpus_file(file, &size);
    struct pikos_watch_streams streams = {0};
    int verdicts[MAX_MESSAGES];
    size_t n = watch_input_feed(&streams, (const uint8_t *)data, size, 0.0,
                                verdicts, MAX_MESSAGES);
    cr_assert_leq(n, MAX_MESSAGES);
    char got[2048];
    verdict_text(verdicts, n, got, sizeof(got));
    cr_expect_str_eq(got, expected, "%s", file);

    unsigned long long malformed = 0, no_schema = 0;
    for (size_t i = 0; i < n; i++) {
        malformed += pikos_watch_is_malformed(verdicts[i]);
        no_schema += verdicts[i] == PIKOS_WATCH_NO_SCHEMA;
    }
    cr_expect_eq(streams.malformed, malformed, "%s", file);
    cr_expect_eq(streams.no_schema, no_schema, "%s", file);
    pikos_watch_streams_free(&streams);
    free(data);
}

Test(corpus, verdicts_of_every_message)
{
    for (size_t i = 0; i < NCASES; i++)
        check_case(cases[i].file, cases[i].verdicts);
}

/* A corpus file without expected verdicts would be a seed the tests never
   check. */
Test(corpus, every_file_has_verdicts)
{
    DIR *dir = opendir(CORPUS);
    cr_assert_not_null(dir);
    struct dirent *entry;
    size_t files = 0;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        files++;
        int known = 0;
        for (size_t i = 0; i < NCASES; i++)
            known |= strcmp(entry->d_name, cases[i].file) == 0;
        cr_expect(known, "%s has no expected verdicts", entry->d_name);
    }
    closedir(dir);
    cr_expect_eq(files, NCASES);
}

/* ------------------------------------------------------------ messages */

static int decode(const char *topic, const char *json,
                  struct pikos_watch_message *msg)
{
    struct pikos_watch_frame frames[2] = {{topic, strlen(topic)},
                                          {json, strlen(json)}};
    return pikos_watch_decode(frames, 2, msg);
}

Test(decode, schema_message)
{
    struct pikos_watch_message msg;
    int verdict = decode(
        "pikos.schema",
        "{\"v\":1,\"stream\":\"h:7:2\",\"pid\":7,\"host\":\"h\",\"schema\":"
        "\"S\",\"fields\":[\"a\",\"b\",\"c\"],\"types\":[\"int\",\"float\","
        "\"str\"],\"extra\":true}",
        &msg);
    cr_assert_eq(verdict, 0);
    cr_expect_eq(msg.topic, PIKOS_WATCH_TOPIC_SCHEMA);
    cr_expect_str_eq(msg.stream, "h:7:2");
    cr_expect_str_eq(msg.host, "h");
    cr_expect_eq(msg.pid, 7);
    cr_assert_not_null(msg.schema);
    cr_expect_str_eq(msg.schema->name, "S");
    cr_assert_eq(msg.schema->nfields, 3);
    cr_expect_str_eq(msg.schema->fields[2], "c");
    cr_expect_eq(msg.schema->types[0], PIKOS_WATCH_INT);
    cr_expect_eq(msg.schema->types[1], PIKOS_WATCH_FLOAT);
    cr_expect_eq(msg.schema->types[2], PIKOS_WATCH_STR);
    cr_expect_eq(pikos_watch_schema_field(msg.schema, "b", PIKOS_WATCH_FLOAT),
                 1);
    cr_expect_eq(pikos_watch_schema_field(msg.schema, "b", PIKOS_WATCH_INT),
                 -1);
    cr_expect_eq(pikos_watch_schema_field(msg.schema, "z", PIKOS_WATCH_INT),
                 -1);
    pikos_watch_message_clear(&msg);
}

Test(decode, end_message_with_and_without_dropped)
{
    struct pikos_watch_message msg;
    cr_assert_eq(decode("pikos.end",
                        "{\"stream\":\"s\",\"count\":12,\"dropped\":3}", &msg),
                 0);
    cr_expect_eq(msg.topic, PIKOS_WATCH_TOPIC_END);
    cr_expect_eq(msg.count, 12);
    cr_expect_eq(msg.dropped, 3);
    pikos_watch_message_clear(&msg);
    cr_assert_eq(decode("pikos.end", "{\"stream\":\"s\",\"count\":0}", &msg),
                 0);
    cr_expect_eq(msg.dropped, 0);
    pikos_watch_message_clear(&msg);
}

Test(decode, records_message)
{
    struct pikos_watch_message msg;
    cr_assert_eq(decode("pikos.records",
                        "{\"stream\":\"s\",\"records\":[[1],[2]]}", &msg),
                 0);
    cr_expect_eq(msg.topic, PIKOS_WATCH_TOPIC_RECORDS);
    cr_expect_eq(json_array_size(msg.records), 2);
    pikos_watch_message_clear(&msg);
}

Test(decode, a_failed_decode_holds_nothing)
{
    struct pikos_watch_message msg;
    cr_assert_eq(decode("pikos.schema", "{\"stream\":\"s\"}", &msg),
                 PIKOS_WATCH_BAD_KEY);
    cr_expect_null(msg.json);
    cr_expect_null(msg.schema);
    struct pikos_watch_frame one = {"pikos.end", 9};
    cr_expect_eq(pikos_watch_decode(&one, 1, &msg), PIKOS_WATCH_BAD_FRAMES);
    cr_expect_eq(pikos_watch_decode(NULL, 0, &msg), PIKOS_WATCH_BAD_FRAMES);
}

Test(decode, rows_against_a_schema)
{
    enum pikos_watch_type types[] = {PIKOS_WATCH_INT, PIKOS_WATCH_FLOAT,
                                     PIKOS_WATCH_STR};
    char *fields[] = {"i", "f", "s"};
    struct pikos_watch_schema schema = {"S", 3, fields, types};
    /* null: a float JSON cannot hold (NaN, an infinity), as recorders/zmq
       writes it. */
    json_t *good =
        json_loads("[[1, 2, \"x\"], [3, 0.5, \"\"], [4, null, \"y\"]]", 0,
                   NULL);
    json_t *float_for_int = json_loads("[[1.0, 2, \"x\"]]", 0, NULL);
    json_t *null_for_str = json_loads("[[1, 2, null]]", 0, NULL);
    json_t *empty = json_loads("[]", 0, NULL);
    cr_assert(good && float_for_int && null_for_str && empty);
    cr_expect_eq(pikos_watch_check_rows(good, &schema), 0);
    cr_expect_eq(pikos_watch_check_rows(empty, &schema), 0);
    cr_expect_eq(pikos_watch_check_rows(float_for_int, &schema),
                 PIKOS_WATCH_BAD_ROW);
    cr_expect_eq(pikos_watch_check_rows(null_for_str, &schema),
                 PIKOS_WATCH_BAD_ROW);
    json_decref(null_for_str);
    json_decref(good);
    json_decref(float_for_int);
    json_decref(empty);
}
