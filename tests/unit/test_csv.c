/* recorders/csv against the fake host: the exact bytes Python's csv.writer
   writes for the same rows (QUOTE_MINIMAL, "\r\n" line ends). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "fakehost.h"

extern const struct pikos_plugin pikos_plugin_entry;

static const struct pikos_field function_fields[] = {
    {"index", PIKOS_FIELD_INT},    {"type", PIKOS_FIELD_STR},
    {"function", PIKOS_FIELD_STR}, {"lineNo", PIKOS_FIELD_INT},
    {"filename", PIKOS_FIELD_STR},
};
static const struct pikos_schema function_schema = {
    "FunctionRecord", 5, function_fields, NULL, NULL};

#define HEADER "index,type,function,lineNo,filename\r\n"

static char path[64];
static char filename_setting[80];

static void make_temp_file(void)
{
    fake_temp_file(path);
    snprintf(filename_setting, sizeof(filename_setting), "filename=%s", path);
}

static void remove_temp_file(void)
{
    unlink(path);
}

TestSuite(csv, .init = make_temp_file, .fini = remove_temp_file);

static struct fake_instance *recorder(const char *setting)
{
    const char *settings[] = {filename_setting, setting, NULL};
    struct fake_instance *fi = fake_instance_new(&pikos_plugin_entry, settings);
    cr_assert_not_null(fi);
    cr_assert_eq(fi->init_rc, PIKOS_OK, "%s", fi->error);
    return fi;
}

static void record(struct fake_instance *fi, const struct pikos_schema *schema,
                   const struct pikos_value *values)
{
    struct pikos_record rec = {schema, values};
    cr_assert_eq(fake_record(fi, &rec), PIKOS_OK);
}

static void record_function(struct fake_instance *fi, int64_t index,
                            const char *type, const char *function,
                            int64_t line, const char *filename)
{
    struct pikos_value values[5] = {
        {.u.i = index},
        {.u.s = {type, strlen(type)}},
        {.u.s = {function, strlen(function)}},
        {.u.i = line},
        {.u.s = {filename, strlen(filename)}},
    };
    record(fi, &function_schema, values);
}

static void assert_written(struct fake_instance *fi, const char *expected)
{
    cr_assert_eq(pikos_plugin_entry.finalize(&fi->inst, fi->ctx), PIKOS_OK);
    fake_instance_free(fi);
    char *text = fake_read_file(path);
    cr_assert_str_eq(text, expected);
    free(text);
}

Test(csv, options_and_their_defaults)
{
    const struct pikos_option *o = pikos_plugin_entry.options;
    cr_assert_str_eq(o[0].name, "filename");
    cr_assert_str_eq(o[0].default_value, "");
    cr_assert_str_eq(o[1].name, "delimiter");
    cr_assert_str_eq(o[1].default_value, ",");
    cr_assert_null(o[2].name);
}

Test(csv, header_row_then_one_row_per_record)
{
    struct fake_instance *fi = recorder(NULL);
    fake_prepare(fi, &function_schema);
    record_function(fi, 0, "call", "work", 10, "/tmp/app.py");
    record_function(fi, 1, "c_call", "len", 12, "/tmp/app.py");
    assert_written(fi, HEADER "0,call,work,10,/tmp/app.py\r\n"
                              "1,c_call,len,12,/tmp/app.py\r\n");
}

Test(csv, fields_with_commas_quotes_or_line_breaks_are_quoted)
{
    struct fake_instance *fi = recorder(NULL);
    fake_prepare(fi, &function_schema);
    record_function(fi, 0, "call", "a,b", 3, "/tmp/x.py");
    record_function(fi, 1, "return", "say \"hi\"", 4, "line\nbreak");
    record_function(fi, 2, "c_call", "cr\rhere", -5, "");
    record_function(fi, 3, "x;y", " lead ", 7, "\"");
    assert_written(fi,
                   HEADER "0,call,\"a,b\",3,/tmp/x.py\r\n"
                          "1,return,\"say \"\"hi\"\"\",4,\"line\nbreak\"\r\n"
                          "2,c_call,\"cr\rhere\",-5,\r\n"
                          "3,x;y, lead ,7,\"\"\"\"\r\n");
}

Test(csv, another_delimiter_quotes_that_one_instead)
{
    struct fake_instance *fi = recorder("delimiter=;");
    fake_prepare(fi, &function_schema);
    record_function(fi, 0, "a,b", "x;y", 3, "q\"");
    assert_written(fi, "index;type;function;lineNo;filename\r\n"
                       "0;a,b;\"x;y\";3;\"q\"\"\"\r\n");
}

Test(csv, numbers_are_quoted_when_they_hold_the_delimiter)
{
    const struct pikos_field fields[] = {{"f", PIKOS_FIELD_FLOAT},
                                         {"i", PIKOS_FIELD_INT},
                                         {"s", PIKOS_FIELD_STR},
                                         {"g", PIKOS_FIELD_FLOAT}};
    const struct pikos_schema schema = {"Numbers", 4, fields, NULL, NULL};
    struct fake_instance *fi = recorder("delimiter=.");
    struct pikos_value values[4] = {
        {.u.f = 1.5}, {.u.i = 2}, {.u.s = {"a.b", 3}}, {.u.f = 1e-05}};
    record(fi, &schema, values);
    assert_written(fi, "f.i.s.g\r\n\"1.5\".2.\"a.b\".1e-05\r\n");
}

Test(csv, a_row_of_one_empty_field_is_quoted)
{
    const struct pikos_field fields[] = {{"only", PIKOS_FIELD_STR}};
    const struct pikos_schema schema = {"One", 1, fields, NULL, NULL};
    struct fake_instance *fi = recorder(NULL);
    struct pikos_value empty = {.u.s = {"", 0}};
    record(fi, &schema, &empty);
    assert_written(fi, "only\r\n\"\"\r\n");
}

Test(csv, the_delimiter_must_be_one_plain_character)
{
    const char *bad[] = {"delimiter=ab", "delimiter=", "delimiter=\"",
                         "delimiter=\n"};
    const char *shown[] = {"ab", "", "\"", "\n"};
    for (size_t i = 0; i < 4; i++) {
        const char *settings[] = {filename_setting, bad[i], NULL};
        struct fake_instance *fi =
            fake_instance_new(&pikos_plugin_entry, settings);
        cr_assert_eq(fi->init_rc, PIKOS_EINVAL);
        char expected[200];
        snprintf(expected, sizeof(expected),
                 "option 'delimiter' must be one ASCII character other than "
                 "a quote or a line break, not '%s'",
                 shown[i]);
        cr_assert_str_eq(fi->error, expected);
        fake_instance_free(fi);
    }
}

Test(csv, an_unwritable_file_fails_init)
{
    const char *settings[] = {"filename=/nonexistent-pikos-dir/out.csv", NULL};
    struct fake_instance *fi = fake_instance_new(&pikos_plugin_entry, settings);
    cr_assert_eq(fi->init_rc, PIKOS_EIO);
    cr_assert_str_eq(fi->error, "cannot open output "
                                "'/nonexistent-pikos-dir/out.csv': No such "
                                "file or directory");
    fake_instance_free(fi);
}

Test(csv, a_full_disk_is_reported_at_flush)
{
    const char *settings[] = {"filename=/dev/full", NULL};
    struct fake_instance *fi = fake_instance_new(&pikos_plugin_entry, settings);
    cr_assert_eq(fi->init_rc, PIKOS_OK);
    fake_prepare(fi, &function_schema);
    cr_assert_eq(pikos_plugin_entry.finalize(&fi->inst, fi->ctx), PIKOS_EIO);
    cr_assert_str_eq(fi->error,
                     "cannot write to '/dev/full': No space left on device");
    fake_instance_free(fi);
}

Test(csv, a_row_longer_than_the_output_buffer_is_written_whole)
{
    /* 100000 quotes: doubled and quoted, far beyond the 64 KiB buffer. */
    size_t n = 100000;
    char *quotes = malloc(n + 1), *expected = malloc(2 * n + 256);
    memset(quotes, '"', n);
    quotes[n] = '\0';
    struct fake_instance *fi = recorder(NULL);
    fake_prepare(fi, &function_schema);
    record_function(fi, 0, "call", quotes, 1, "a.py");
    record_function(fi, 1, "return", "f", 2, "a.py");
    char *p = expected + sprintf(expected, "%s0,call,\"", HEADER);
    memset(p, '"', 2 * n);
    strcpy(p + 2 * n, "\",1,a.py\r\n1,return,f,2,a.py\r\n");
    assert_written(fi, expected);
    free(quotes);
    free(expected);
}

/* The word-at-a-time scan must see a special byte at any position, in the
   full words and in the padded last one, and nothing else. */
Test(csv, a_special_byte_is_found_at_every_position)
{
    const char specials[] = {',', '"', '\r', '\n'};
    for (size_t len = 1; len <= 20; len++) {
        for (size_t pos = 0; pos < len; pos++) {
            for (size_t k = 0; k < sizeof specials; k++) {
                char text[21], expected[256];
                memset(text, 'x', len);
                text[len] = '\0';
                text[pos] = specials[k];
                struct fake_instance *fi = recorder(NULL);
                record_function(fi, 0, "call", text, 1, "a.py");
                int n = sprintf(expected, "%s0,call,\"", HEADER);
                for (size_t i = 0; i < len; i++) {
                    expected[n++] = text[i];
                    if (text[i] == '"')
                        expected[n++] = '"';
                }
                strcpy(expected + n, "\",1,a.py\r\n");
                assert_written(fi, expected);
            }
        }
        struct fake_instance *fi = recorder(NULL); /* no special byte */
        char plain[21] = "<module> -./_+~!#$%^";
        plain[len] = '\0';
        record_function(fi, 0, "call", plain, 1, "a.py");
        char expected[128];
        sprintf(expected, "%s0,call,%s,1,a.py\r\n", HEADER, plain);
        assert_written(fi, expected);
    }
}

/* Integers are written in place (put_int): every number of digits, both
   signs and both ends of int64 read as printf's %lld. */
Test(csv, integers_are_written_as_python_writes_them)
{
    static const int64_t edges[] = {INT64_MIN, INT64_MAX, INT64_MIN + 1, 0};
    struct fake_instance *fi = recorder(NULL);
    char *expected = malloc(1 << 16), *at = expected;
    int64_t value = 1;

    fake_prepare(fi, &function_schema);
    at += sprintf(at, HEADER);
    for (int digits = 1;; digits++) { /* value: 10^(digits-1) */
        int64_t near[] = {value - 1, value, value + 1, -value, -value + 1};
        for (size_t i = 0; i < sizeof(near) / sizeof(near[0]); i++) {
            record_function(fi, near[i], "call", "f", near[i], "a.py");
            at += sprintf(at, "%lld,call,f,%lld,a.py\r\n",
                          (long long)near[i], (long long)near[i]);
        }
        if (digits == 19) /* 10^18: the last power of ten in int64 */
            break;
        value *= 10;
    }
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        record_function(fi, edges[i], "call", "f", edges[i], "a.py");
        at += sprintf(at, "%lld,call,f,%lld,a.py\r\n", (long long)edges[i],
                      (long long)edges[i]);
    }
    assert_written(fi, expected);
    free(expected);
}
