/* filters/on_change against the fake host. */
#include <math.h>
#include <stdio.h>
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

/* Another schema, with `function` at another index. */
static const struct pikos_field line_fields[] = {
    {"index", PIKOS_FIELD_INT},    {"function", PIKOS_FIELD_STR},
    {"lineNo", PIKOS_FIELD_INT},   {"line", PIKOS_FIELD_STR},
    {"filename", PIKOS_FIELD_STR},
};
static const struct pikos_schema line_schema = {"LineRecord", 5, line_fields,
                                                NULL, NULL};

static const struct pikos_field memory_fields[] = {
    {"index", PIKOS_FIELD_INT}, {"share", PIKOS_FIELD_FLOAT}};
static const struct pikos_schema memory_schema = {"MemoryRecord", 2,
                                                  memory_fields, NULL, NULL};

static struct fake_instance *filter_on(const char *field)
{
    char setting[64];
    snprintf(setting, sizeof(setting), "field=%s", field);
    const char *settings[] = {setting, NULL};
    struct fake_instance *fi = fake_instance_new(&pikos_plugin_entry, settings);
    cr_assert_not_null(fi);
    cr_assert_eq(fi->init_rc, PIKOS_OK);
    return fi;
}

/* The verdict on a FunctionRecord of `function` (len bytes) at `line_no`. */
static int verdict_n(struct fake_instance *fi, const char *function, size_t len,
                     int64_t line_no)
{
    struct pikos_value values[5] = {
        {.u.i = 0},       {.u.s = {"call", 4}}, {.u.s = {function, len}},
        {.u.i = line_no}, {.u.s = {"a.py", 4}},
    };
    struct pikos_record rec = {&function_schema, values};
    return fake_filter(fi, &rec);
}

static int verdict(struct fake_instance *fi, const char *function,
                   int64_t line_no)
{
    return verdict_n(fi, function, strlen(function), line_no);
}

static int line_verdict(struct fake_instance *fi, const char *function)
{
    struct pikos_value values[5] = {
        {.u.i = 0},           {.u.s = {function, strlen(function)}},
        {.u.i = 3},           {.u.s = {"x = 1", 5}},
        {.u.s = {"a.py", 4}},
    };
    struct pikos_record rec = {&line_schema, values};
    return fake_filter(fi, &rec);
}

static int share_verdict(struct fake_instance *fi, double share)
{
    struct pikos_value values[2] = {{.u.i = 0}, {.u.f = share}};
    struct pikos_record rec = {&memory_schema, values};
    return fake_filter(fi, &rec);
}

Test(on_change, has_one_required_option_field)
{
    const struct pikos_option *o = pikos_plugin_entry.options;
    cr_assert_eq(pikos_plugin_entry.kind, PIKOS_KIND_FILTER);
    cr_assert_str_eq(pikos_plugin_entry.name, "on_change");
    cr_assert_str_eq(o[0].name, "field");
    cr_assert_eq(o[0].type, PIKOS_OPT_STRING);
    cr_assert_eq(o[0].flags & PIKOS_OPTION_REQUIRED, PIKOS_OPTION_REQUIRED);
    cr_assert_null(o[1].name);
}

Test(on_change, passes_the_first_record_and_then_each_change)
{
    struct fake_instance *fi = filter_on("function");
    cr_assert_eq(verdict(fi, "f", 1), PIKOS_PASS);
    cr_assert_eq(verdict(fi, "f", 2), PIKOS_DROP);
    cr_assert_eq(verdict(fi, "f", 3), PIKOS_DROP);
    cr_assert_eq(verdict(fi, "g", 3), PIKOS_PASS);
    cr_assert_eq(verdict(fi, "f", 3), PIKOS_PASS);
    cr_assert_eq(verdict(fi, "ff", 3), PIKOS_PASS);
    cr_assert_eq(verdict(fi, "f", 3), PIKOS_PASS);
    cr_assert_eq(verdict(fi, "", 3), PIKOS_PASS);
    cr_assert_eq(verdict(fi, "", 3), PIKOS_DROP);
    cr_assert_eq(fi->error_code, PIKOS_OK);
    fake_instance_free(fi);
}

Test(on_change, compares_integer_fields)
{
    struct fake_instance *fi = filter_on("lineNo");
    cr_assert_eq(verdict(fi, "f", 0), PIKOS_PASS);
    cr_assert_eq(verdict(fi, "g", 0), PIKOS_DROP);
    cr_assert_eq(verdict(fi, "g", 7), PIKOS_PASS);
    cr_assert_eq(verdict(fi, "f", 7), PIKOS_DROP);
    cr_assert_eq(verdict(fi, "f", -7), PIKOS_PASS);
    fake_instance_free(fi);
}

Test(on_change, compares_float_fields_and_nan_always_changes)
{
    struct fake_instance *fi = filter_on("share");
    cr_assert_eq(share_verdict(fi, 0.5), PIKOS_PASS);
    cr_assert_eq(share_verdict(fi, 0.5), PIKOS_DROP);
    cr_assert_eq(share_verdict(fi, 0.25), PIKOS_PASS);
    /* As Python's `previous != new`: NaN differs from itself. */
    cr_assert_eq(share_verdict(fi, NAN), PIKOS_PASS);
    cr_assert_eq(share_verdict(fi, NAN), PIKOS_PASS);
    fake_instance_free(fi);
}

Test(on_change, keeps_a_copy_of_the_previous_text)
{
    struct fake_instance *fi = filter_on("function");
    char name[] = "f";
    cr_assert_eq(verdict(fi, name, 1), PIKOS_PASS);
    name[0] = 'g'; /* the record's memory is reused by the next one */
    cr_assert_eq(verdict(fi, name, 1), PIKOS_PASS);
    cr_assert_eq(verdict(fi, "g", 1), PIKOS_DROP);
    fake_instance_free(fi);
}

Test(on_change, texts_longer_than_its_first_buffer_are_compared_whole)
{
    static char a[5000], b[5000];
    memset(a, 'a', sizeof(a));
    memcpy(b, a, sizeof(b));
    b[sizeof(b) - 1] = 'b'; /* differs from a in its last byte only */
    struct fake_instance *fi = filter_on("function");
    cr_assert_eq(verdict_n(fi, a, sizeof(a), 1), PIKOS_PASS);
    cr_assert_eq(verdict_n(fi, a, sizeof(a), 1), PIKOS_DROP);
    cr_assert_eq(verdict_n(fi, b, sizeof(b), 1), PIKOS_PASS);
    cr_assert_eq(verdict_n(fi, b, sizeof(b), 1), PIKOS_DROP);
    cr_assert_eq(verdict_n(fi, a, sizeof(a) - 1, 1), PIKOS_PASS);
    cr_assert_eq(verdict_n(fi, b, sizeof(b) - 1, 1), PIKOS_DROP);
    fake_instance_free(fi);
}

Test(on_change, each_schema_has_its_own_previous_value)
{
    struct fake_instance *fi = filter_on("function");
    cr_assert_eq(fake_prepare(fi, &function_schema), PIKOS_OK);
    cr_assert_eq(fake_prepare(fi, &line_schema), PIKOS_OK);
    cr_assert_eq(verdict(fi, "f", 1), PIKOS_PASS);
    cr_assert_eq(line_verdict(fi, "g"), PIKOS_PASS);
    cr_assert_eq(verdict(fi, "f", 2), PIKOS_DROP);
    cr_assert_eq(line_verdict(fi, "g"), PIKOS_DROP);
    cr_assert_eq(line_verdict(fi, "f"), PIKOS_PASS);
    cr_assert_eq(verdict(fi, "f", 3), PIKOS_DROP);
    fake_instance_free(fi);
}

/* The prepare fails, so the host drops the record. */
Test(on_change, an_unknown_field_is_an_error)
{
    struct fake_instance *fi = filter_on("x");
    cr_assert_eq(verdict(fi, "f", 1), PIKOS_ENOTFOUND);
    cr_assert_eq(fi->error_code, PIKOS_ENOTFOUND);
    cr_assert_str_eq(fi->error, "field 'x' is not in FunctionRecord (fields: "
                                "index, type, function, lineNo, filename)");
    fake_instance_free(fi);
}

Test(on_change, watches_any_number_of_schemas)
{
    static struct pikos_schema schemas[40];
    struct pikos_value values[5] = {
        {.u.i = 0}, {.u.s = {"call", 4}}, {.u.s = {"f", 1}},
        {.u.i = 1}, {.u.s = {"a.py", 4}},
    };
    struct fake_instance *fi = filter_on("function");

    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 40; i++) {
            struct pikos_record rec = {&schemas[i], values};
            schemas[i] = function_schema;
            /* Each schema's first record passes, its second does not. */
            cr_assert_eq(fake_filter(fi, &rec),
                         round == 0 ? PIKOS_PASS : PIKOS_DROP);
        }
    cr_assert_eq(fi->error_code, PIKOS_OK);
    fake_instance_free(fi);
}
