/* filters/on_value against the fake host. */
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

static struct fake_instance *filter_with(const char *field, const char *values)
{
    char field_setting[64], values_setting[64];
    snprintf(field_setting, sizeof(field_setting), "field=%s", field);
    snprintf(values_setting, sizeof(values_setting), "values=%s", values);
    const char *settings[] = {field_setting, values_setting, NULL};
    struct fake_instance *fi = fake_instance_new(&pikos_plugin_entry, settings);
    cr_assert_not_null(fi);
    cr_assert_eq(fi->init_rc, PIKOS_OK);
    return fi;
}

static int prepare(struct fake_instance *fi, const struct pikos_schema *s)
{
    return fake_prepare(fi, s);
}

/* The verdict on a FunctionRecord for `function` at `line_no`. */
static int verdict(struct fake_instance *fi, const char *function,
                   int64_t line_no)
{
    struct pikos_value values[5] = {
        {.u.i = 0},
        {.u.s = {"call", 4}},
        {.u.s = {function, strlen(function)}},
        {.u.i = line_no},
        {.u.s = {"a.py", 4}},
    };
    struct pikos_record rec = {&function_schema, values};
    return fake_filter(fi, &rec);
}

Test(on_value, options_are_field_and_values_both_required)
{
    const struct pikos_option *o = pikos_plugin_entry.options;
    cr_assert_str_eq(o[0].name, "field");
    cr_assert_eq(o[0].type, PIKOS_OPT_STRING);
    cr_assert_eq(o[0].flags & PIKOS_OPTION_REQUIRED, PIKOS_OPTION_REQUIRED);
    cr_assert_str_eq(o[1].name, "values");
    cr_assert_eq(o[1].type, PIKOS_OPT_LIST);
    cr_assert_eq(o[1].flags & PIKOS_OPTION_REQUIRED, PIKOS_OPTION_REQUIRED);
    cr_assert_null(o[2].name);
}

Test(on_value, passes_records_whose_text_field_is_one_of_the_values)
{
    struct fake_instance *fi = filter_with("function", "f;g");
    cr_assert_eq(prepare(fi, &function_schema), PIKOS_OK);
    cr_assert_eq(verdict(fi, "f", 1), PIKOS_PASS);
    cr_assert_eq(verdict(fi, "g", 1), PIKOS_PASS);
    cr_assert_eq(verdict(fi, "h", 1), PIKOS_DROP);
    cr_assert_eq(verdict(fi, "ff", 1), PIKOS_DROP);
    cr_assert_eq(verdict(fi, "", 1), PIKOS_DROP);
    fake_instance_free(fi);
}

Test(on_value, compares_integer_fields_as_numbers)
{
    struct fake_instance *fi = filter_with("lineNo", "3;+7;-1");
    cr_assert_eq(prepare(fi, &function_schema), PIKOS_OK);
    cr_assert_eq(verdict(fi, "f", 3), PIKOS_PASS);
    cr_assert_eq(verdict(fi, "f", 7), PIKOS_PASS);
    cr_assert_eq(verdict(fi, "f", -1), PIKOS_PASS);
    cr_assert_eq(verdict(fi, "f", 4), PIKOS_DROP);
    cr_assert_eq(verdict(fi, "f", 37), PIKOS_DROP);
    fake_instance_free(fi);
}

Test(on_value, compares_float_fields_as_numbers)
{
    struct fake_instance *fi = filter_with("share", "0.5;1e-3");
    cr_assert_eq(prepare(fi, &memory_schema), PIKOS_OK);
    struct pikos_value values[2] = {{.u.i = 0}, {.u.f = 0.001}};
    struct pikos_record rec = {&memory_schema, values};
    cr_assert_eq(fake_filter(fi, &rec), PIKOS_PASS);
    values[1].u.f = 0.25;
    cr_assert_eq(fake_filter(fi, &rec), PIKOS_DROP);
    fake_instance_free(fi);
}

Test(on_value, an_unknown_field_names_the_schema_and_its_fields)
{
    struct fake_instance *fi = filter_with("x", "f");
    cr_assert_eq(prepare(fi, &function_schema), PIKOS_ENOTFOUND);
    cr_assert_str_eq(fi->error, "field 'x' is not in FunctionRecord (fields: "
                                "index, type, function, lineNo, filename)");
    fake_instance_free(fi);
}

Test(on_value, a_value_that_is_not_of_the_fields_type_is_an_error)
{
    struct fake_instance *fi = filter_with("lineNo", "3;abc");
    cr_assert_eq(prepare(fi, &function_schema), PIKOS_EINVAL);
    cr_assert_str_eq(fi->error, "value 'abc' of option 'values' is not an "
                                "integer, as field 'lineNo' of "
                                "FunctionRecord needs");
    fake_instance_free(fi);

    fi = filter_with("share", "1.5x");
    cr_assert_eq(prepare(fi, &memory_schema), PIKOS_EINVAL);
    cr_assert_str_eq(fi->error, "value '1.5x' of option 'values' is not a "
                                "number, as field 'share' of MemoryRecord "
                                "needs");
    fake_instance_free(fi);
}

Test(on_value, each_schema_has_its_own_field_index)
{
    struct fake_instance *fi = filter_with("function", "g");
    cr_assert_eq(prepare(fi, &function_schema), PIKOS_OK);
    cr_assert_eq(prepare(fi, &line_schema), PIKOS_OK);
    struct pikos_value line_values[5] = {
        {.u.i = 0},           {.u.s = {"g", 1}},
        {.u.i = 3},           {.u.s = {"x = 1", 5}},
        {.u.s = {"a.py", 4}},
    };
    struct pikos_record rec = {&line_schema, line_values};
    cr_assert_eq(fake_filter(fi, &rec), PIKOS_PASS);
    cr_assert_eq(verdict(fi, "g", 1), PIKOS_PASS);
    cr_assert_eq(verdict(fi, "f", 1), PIKOS_DROP);
    fake_instance_free(fi);
}
