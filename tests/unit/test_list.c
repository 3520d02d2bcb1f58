/* recorders/list against the fake host: records kept whole, in order, as
   copies, across many chunks of its arena. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static const struct pikos_field memory_fields[] = {
    {"index", PIKOS_FIELD_INT}, {"share", PIKOS_FIELD_FLOAT}};
static const struct pikos_schema memory_schema = {"MemoryRecord", 2,
                                                  memory_fields, NULL, NULL};

static struct fake_instance *new_list(void)
{
    struct fake_instance *fi = fake_instance_new(&pikos_plugin_entry, NULL);
    cr_assert_not_null(fi);
    cr_assert_eq(fi->init_rc, PIKOS_OK);
    return fi;
}

static struct pikos_record_list query_records(struct fake_instance *fi)
{
    struct pikos_record_list list = {99, NULL};
    cr_assert_eq(pikos_plugin_entry.query(&fi->inst, fi->ctx, "records", &list),
                 PIKOS_OK);
    return list;
}

/* Records a FunctionRecord whose texts point at the caller's buffers. */
static void record_call(struct fake_instance *fi, int64_t index,
                        const char *function, size_t len, const char *filename)
{
    struct pikos_value values[5] = {
        {.u.i = index},
        {.u.s = {"call", 4}},
        {.u.s = {function, len}},
        {.u.i = index * 10},
        {.u.s = {filename, strlen(filename)}},
    };
    struct pikos_record rec = {&function_schema, values};
    cr_assert_eq(fake_record(fi, &rec), PIKOS_OK);
}

static void assert_text(const struct pikos_value *v, const char *expected)
{
    cr_assert_eq(v->u.s.len, strlen(expected));
    cr_assert_str_eq(v->u.s.ptr, expected); /* NUL-ended as well */
}

Test(list, is_a_recorder_without_options_that_answers_queries)
{
    cr_assert_eq(pikos_plugin_entry.kind, PIKOS_KIND_RECORDER);
    cr_assert_str_eq(pikos_plugin_entry.name, "list");
    cr_assert_null(pikos_plugin_entry.options);
    cr_assert_not_null(pikos_plugin_entry.query);
    cr_assert_eq(pikos_plugin_entry.struct_size, sizeof(struct pikos_plugin));
}

Test(list, has_no_records_before_the_first)
{
    struct fake_instance *fi = new_list();
    struct pikos_record_list list = query_records(fi);
    cr_assert_eq(list.count, 0);
    fake_instance_free(fi);
}

Test(list, answers_only_the_records_question)
{
    struct fake_instance *fi = new_list();
    struct pikos_record_list list = {0};
    cr_assert_eq(pikos_plugin_entry.query(&fi->inst, fi->ctx, "record", &list),
                 PIKOS_ENOTFOUND);
    cr_assert_eq(pikos_plugin_entry.query(&fi->inst, fi->ctx, "", &list),
                 PIKOS_ENOTFOUND);
    fake_instance_free(fi);
}

Test(list, keeps_copies_of_the_records_in_order)
{
    struct fake_instance *fi = new_list();
    char function[] = "f", filename[] = "a, \"b\".py";
    record_call(fi, 0, function, 1, filename);
    function[0] = 'g'; /* the caller reuses its memory */
    strcpy(filename, "c.py");
    record_call(fi, 1, function, 1, filename);
    record_call(fi, 2, "", 0, "");

    struct pikos_record_list list = query_records(fi);
    cr_assert_eq(list.count, 3);
    const char *functions[] = {"f", "g", ""};
    const char *filenames[] = {"a, \"b\".py", "c.py", ""};
    for (int64_t i = 0; i < 3; i++) {
        const struct pikos_value *v = list.records[i].values;
        cr_assert_eq(list.records[i].schema, &function_schema);
        cr_assert_eq(v[0].u.i, i);
        assert_text(&v[1], "call");
        assert_text(&v[2], functions[i]);
        cr_assert_eq(v[3].u.i, i * 10);
        assert_text(&v[4], filenames[i]);
    }
    cr_assert_eq(fi->error_code, PIKOS_OK);
    fake_instance_free(fi);
}

Test(list, keeps_each_records_schema_and_numbers)
{
    struct fake_instance *fi = new_list();
    struct pikos_value values[2] = {{.u.i = 7}, {.u.f = 0.125}};
    struct pikos_record rec = {&memory_schema, values};
    record_call(fi, 0, "f", 1, "a.py");
    cr_assert_eq(fake_record(fi, &rec), PIKOS_OK);
    values[0].u.i = -8;
    values[1].u.f = -1e300;
    cr_assert_eq(fake_record(fi, &rec), PIKOS_OK);

    struct pikos_record_list list = query_records(fi);
    cr_assert_eq(list.count, 3);
    cr_assert_eq(list.records[0].schema, &function_schema);
    cr_assert_eq(list.records[1].schema, &memory_schema);
    cr_assert_eq(list.records[1].values[0].u.i, 7);
    cr_assert_eq(list.records[1].values[1].u.f, 0.125);
    cr_assert_eq(list.records[2].values[0].u.i, -8);
    cr_assert_eq(list.records[2].values[1].u.f, -1e300);
    fake_instance_free(fi);
}

/* The texts of record i of the long run below. */
static size_t long_run_texts(int64_t i, char function[128], char filename[32])
{
    static const char letters[] = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnop"
                                  "qrstuvwxyzabcdefghijklmnopqrstuvwxyzab";
    snprintf(filename, 32, "file%lld.py", (long long)(i % 7));
    return (size_t)snprintf(function, 128, "function_%lld_%.*s", (long long)i,
                            (int)(i % 80), letters);
}

/* 200000 records of up to ~100 text bytes fill several 1 MiB chunks and
   double the record array many times; every record must stay intact. */
Test(list, keeps_every_record_of_a_long_run_intact)
{
    enum { COUNT = 200000 };
    struct fake_instance *fi = new_list();
    char function[128], filename[32];
    for (int64_t i = 0; i < COUNT; i++) {
        size_t len = long_run_texts(i, function, filename);
        record_call(fi, i, function, len, filename);
    }
    struct pikos_record_list list = query_records(fi);
    cr_assert_eq(list.count, COUNT);
    for (int64_t i = 0; i < COUNT; i++) {
        const struct pikos_value *v = list.records[i].values;
        long_run_texts(i, function, filename);
        cr_assert_eq(v[0].u.i, i);
        assert_text(&v[2], function);
        cr_assert_eq(v[3].u.i, i * 10);
        assert_text(&v[4], filename);
    }
    fake_instance_free(fi);
}

/* A text larger than a chunk gets a chunk of its own; the records around
   it are kept as well. */
Test(list, keeps_a_text_larger_than_a_chunk)
{
    enum { BIG = 3 << 20 };
    char *big = malloc(BIG + 1);
    cr_assert_not_null(big);
    for (size_t i = 0; i < BIG; i++)
        big[i] = (char)('a' + i % 26);
    big[BIG] = '\0';
    struct fake_instance *fi = new_list();
    record_call(fi, 0, "before", 6, "a.py");
    record_call(fi, 1, big, BIG, "a.py");
    record_call(fi, 2, "after", 5, "a.py");

    struct pikos_record_list list = query_records(fi);
    cr_assert_eq(list.count, 3);
    assert_text(&list.records[0].values[2], "before");
    assert_text(&list.records[1].values[2], big);
    assert_text(&list.records[2].values[2], "after");
    fake_instance_free(fi);
    free(big);
}
