/* recorders/text against the fake host: exact text of the seed's
   TextStreamRecorder, formatted and plain. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "fakehost.h"

extern const struct pikos_plugin pikos_plugin_entry;

#define SEED_TEMPLATE "{:<8} {:<11} {:<30} {:<5} {}"

static const struct pikos_field function_fields[] = {
    {"index", PIKOS_FIELD_INT},    {"type", PIKOS_FIELD_STR},
    {"function", PIKOS_FIELD_STR}, {"lineNo", PIKOS_FIELD_INT},
    {"filename", PIKOS_FIELD_STR},
};
static const struct pikos_schema function_schema = {
    "FunctionRecord", 5, function_fields, SEED_TEMPLATE, SEED_TEMPLATE};

/* A schema without templates, with a non-ASCII field name. */
static const struct pikos_field plain_fields[] = {
    {"na\xc3\xafve", PIKOS_FIELD_STR}, {"ratio", PIKOS_FIELD_FLOAT}};
static const struct pikos_schema plain_schema = {"Plain", 2, plain_fields, NULL,
                                                 NULL};

#define FORMATTED_HEADER                                                       \
    "index    type        function                       lineNo filename\n"    \
    "-------------------------------------------------------------------\n"
#define PLAIN_HEADER                                                           \
    "index type function lineNo filename\n"                                    \
    "-----------------------------------\n"

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

TestSuite(text, .init = make_temp_file, .fini = remove_temp_file);

/* A text recorder writing to the temporary file, with more settings. */
static struct fake_instance *recorder(const char *setting)
{
    const char *settings[] = {filename_setting, setting, NULL};
    struct fake_instance *fi = fake_instance_new(&pikos_plugin_entry, settings);
    cr_assert_not_null(fi);
    cr_assert_eq(fi->init_rc, PIKOS_OK, "%s", fi->error);
    return fi;
}

static void prepare(struct fake_instance *fi, const struct pikos_schema *s)
{
    cr_assert_eq(fake_prepare(fi, s), PIKOS_OK);
}

static void record_call(struct fake_instance *fi, int64_t index,
                        const char *type, const char *function, int64_t line)
{
    struct pikos_value values[5] = {
        {.u.i = index},
        {.u.s = {type, strlen(type)}},
        {.u.s = {function, strlen(function)}},
        {.u.i = line},
        {.u.s = {"/tmp/app.py", 11}},
    };
    struct pikos_record rec = {&function_schema, values};
    cr_assert_eq(fake_record(fi, &rec), PIKOS_OK);
}

/* Finalizes and frees the recorder, then checks the file. */
static void assert_written(struct fake_instance *fi, const char *expected)
{
    cr_assert_eq(pikos_plugin_entry.finalize(&fi->inst, fi->ctx), PIKOS_OK);
    fake_instance_free(fi);
    char *text = fake_read_file(path);
    cr_assert_str_eq(text, expected);
    free(text);
}

Test(text, options_and_their_defaults)
{
    const struct pikos_option *o = pikos_plugin_entry.options;
    cr_assert_str_eq(o[0].name, "filename");
    cr_assert_str_eq(o[0].default_value, "");
    cr_assert_str_eq(o[1].name, "formatted");
    cr_assert_str_eq(o[1].default_value, "true");
    cr_assert_str_eq(o[2].name, "auto_flush");
    cr_assert_str_eq(o[2].default_value, "false");
    cr_assert_null(o[3].name);
}

Test(text, formatted_uses_the_record_templates)
{
    struct fake_instance *fi = recorder(NULL);
    prepare(fi, &function_schema);
    record_call(fi, 0, "call", "work", 10);
    record_call(fi, 1, "c_call", "len", 12);
    assert_written(fi, FORMATTED_HEADER "0        call        work             "
                                        "              10    /tmp/app.py\n"
                                        "1        c_call      len              "
                                        "              12    /tmp/app.py\n");
}

Test(text, plain_joins_names_and_values_with_one_space)
{
    struct fake_instance *fi = recorder("formatted=false");
    prepare(fi, &function_schema);
    record_call(fi, 0, "call", "work", 10);
    record_call(fi, 1, "return", "work", 11);
    assert_written(fi, PLAIN_HEADER "0 call work 10 /tmp/app.py\n"
                                    "1 return work 11 /tmp/app.py\n");
}

Test(text, a_schema_without_templates_is_written_plain)
{
    struct fake_instance *fi = recorder(NULL);
    prepare(fi, &plain_schema);
    struct pikos_value values[2] = {{.u.s = {"caf\xc3\xa9", 5}}, {.u.f = 0.1}};
    struct pikos_record rec = {&plain_schema, values};
    fake_record(fi, &rec);
    /* The separator counts code points: "naïve ratio" is 11 long. */
    assert_written(fi, "na\xc3\xafve ratio\n-----------\ncaf\xc3\xa9 0.1\n");
}

Test(text, each_schema_gets_its_own_header)
{
    struct fake_instance *fi = recorder("formatted=false");
    prepare(fi, &function_schema);
    prepare(fi, &plain_schema);
    record_call(fi, 0, "call", "work", 10);
    assert_written(fi, PLAIN_HEADER "na\xc3\xafve ratio\n-----------\n"
                                    "0 call work 10 /tmp/app.py\n");
}

Test(text, lines_longer_than_the_buffer_are_written_whole)
{
    size_t long_len = 5000;
    char *name = malloc(long_len + 1);
    memset(name, 'f', long_len);
    name[long_len] = '\0';
    struct fake_instance *fi = recorder("formatted=false");
    prepare(fi, &function_schema);
    record_call(fi, 7, "call", name, 1);

    size_t header_len = strlen(PLAIN_HEADER);
    char *expected = malloc(header_len + long_len + 64);
    snprintf(expected, header_len + long_len + 64,
             "%s7 call %s 1 /tmp/app.py\n", PLAIN_HEADER, name);
    assert_written(fi, expected);
    free(expected);
    free(name);
}

Test(text, records_stay_buffered_without_auto_flush)
{
    struct fake_instance *fi = recorder("formatted=false");
    prepare(fi, &function_schema);
    record_call(fi, 0, "call", "work", 10);
    char *text = fake_read_file(path);
    cr_assert_str_eq(text, "");
    free(text);
    assert_written(fi, PLAIN_HEADER "0 call work 10 /tmp/app.py\n");
}

Test(text, auto_flush_writes_each_record_at_once)
{
    const char *settings[] = {filename_setting, "formatted=false",
                              "auto_flush=true", NULL};
    struct fake_instance *fi = fake_instance_new(&pikos_plugin_entry, settings);
    prepare(fi, &function_schema);
    record_call(fi, 0, "call", "work", 10);
    char *text = fake_read_file(path);
    cr_assert_str_eq(text, PLAIN_HEADER "0 call work 10 /tmp/app.py\n");
    free(text);
    fake_instance_free(fi);
}

Test(text, an_unwritable_file_fails_init)
{
    const char *settings[] = {"filename=/nonexistent-pikos-dir/out.log", NULL};
    struct fake_instance *fi = fake_instance_new(&pikos_plugin_entry, settings);
    cr_assert_eq(fi->init_rc, PIKOS_EIO);
    cr_assert_str_eq(fi->error, "cannot open output "
                                "'/nonexistent-pikos-dir/out.log': No such "
                                "file or directory");
    fake_instance_free(fi);
}

Test(text, a_full_disk_is_reported_once)
{
    const char *settings[] = {"filename=/dev/full", "auto_flush=true", NULL};
    struct fake_instance *fi = fake_instance_new(&pikos_plugin_entry, settings);
    cr_assert_eq(fi->init_rc, PIKOS_OK);
    cr_assert_eq(fake_prepare(fi, &function_schema), PIKOS_EIO);
    cr_assert_str_eq(fi->error,
                     "cannot write to '/dev/full': No space left on device");
    fake_instance_free(fi);
}
