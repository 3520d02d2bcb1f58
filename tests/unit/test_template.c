/*
 * Templates and value text: every expected string below is what Python's
 * str.format / repr gives for the same template and values.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "internal.h"

#define SEED_TEMPLATE "{:<8} {:<11} {:<30} {:<5} {}"

static const struct pikos_field function_fields[] = {
    {"index", PIKOS_FIELD_INT},    {"type", PIKOS_FIELD_STR},
    {"function", PIKOS_FIELD_STR}, {"lineNo", PIKOS_FIELD_INT},
    {"filename", PIKOS_FIELD_STR},
};
static const struct pikos_schema function_schema = {
    "FunctionRecord", 5, function_fields, SEED_TEMPLATE, SEED_TEMPLATE};

static const struct pikos_field str_field[] = {{"s", PIKOS_FIELD_STR}};
static const struct pikos_field int_field[] = {{"i", PIKOS_FIELD_INT}};
static const struct pikos_field float_field[] = {{"f", PIKOS_FIELD_FLOAT}};
static const struct pikos_schema str_schema = {"S", 1, str_field, NULL, NULL};
static const struct pikos_schema int_schema = {"I", 1, int_field, NULL, NULL};
static const struct pikos_schema float_schema = {"F", 1, float_field, NULL,
                                                 NULL};

static char text[1024];

static struct pikos_value str_value(const char *s)
{
    struct pikos_value v;
    v.u.s.ptr = s;
    v.u.s.len = strlen(s);
    return v;
}

/* Compiles `tpl`, formats, and returns the NUL-terminated text. */
static const char *format(const char *tpl, const struct pikos_schema *schema,
                          const struct pikos_value *values)
{
    struct pikos_error err = {0};
    struct pikos_template *compiled = pikos_template_compile(tpl, &err);
    cr_assert_not_null(compiled, "'%s': %s", tpl, err.message);
    size_t n =
        pikos_template_format(compiled, schema, values, text, sizeof(text));
    cr_assert_lt(n, sizeof(text));
    text[n] = '\0';
    pikos_template_free(compiled);
    return text;
}

static const char *format_str(const char *tpl, const char *s)
{
    struct pikos_value v = str_value(s);
    return format(tpl, &str_schema, &v);
}

static const char *format_int(const char *tpl, int64_t i)
{
    struct pikos_value v = {.u.i = i};
    return format(tpl, &int_schema, &v);
}

static const char *format_float(const char *tpl, double f)
{
    struct pikos_value v = {.u.f = f};
    return format(tpl, &float_schema, &v);
}

static const char *repr(double f)
{
    struct pikos_value v = {.u.f = f};
    size_t n = pikos_format_value(PIKOS_FIELD_FLOAT, &v, text, sizeof(text));
    text[n] = '\0';
    return text;
}

/* The message of the error compiling `tpl` (which must fail). */
static const char *compile_error(const char *tpl)
{
    static struct pikos_error err;
    struct pikos_template *compiled = pikos_template_compile(tpl, &err);
    cr_assert_null(compiled, "'%s' compiled", tpl);
    cr_assert_eq(err.code, PIKOS_EINVAL);
    return err.message;
}

/* ------------------------------------------------------------ seed */

Test(template, seed_header_formats_the_field_names)
{
    cr_assert_str_eq(
        format(SEED_TEMPLATE, &function_schema, NULL),
        "index    type        function                       lineNo filename");
}

Test(template, seed_line_formats_a_function_record)
{
    struct pikos_value values[5] = {{.u.i = 12},
                                    str_value("c_return"),
                                    str_value("<lambda>"),
                                    {.u.i = 7},
                                    str_value("/tmp/a b.py")};
    cr_assert_str_eq(format(SEED_TEMPLATE, &function_schema, values),
                     "12       c_return    <lambda>                       7    "
                     " /tmp/a b.py");
}

/* ------------------------------------------------------------ alignment */

Test(template, left_right_and_center)
{
    cr_assert_str_eq(format_str("[{:<6}]", "ab"), "[ab    ]");
    cr_assert_str_eq(format_str("[{:>6}]", "ab"), "[    ab]");
    cr_assert_str_eq(format_str("[{:^6}]", "ab"), "[  ab  ]");
    cr_assert_str_eq(format_int("[{:<6}]", 42), "[42    ]");
    cr_assert_str_eq(format_int("[{:^5}]", 42), "[ 42  ]");
}

Test(template, center_gives_the_odd_space_to_the_right)
{
    cr_assert_str_eq(format_str("[{:^6}]", "abc"), "[ abc  ]");
    cr_assert_str_eq(format_int("[{:^6}]", 7), "[  7   ]");
}

Test(template, default_alignment_is_left_for_text_right_for_numbers)
{
    cr_assert_str_eq(format_str("[{:6}]", "ab"), "[ab    ]");
    cr_assert_str_eq(format_int("[{:6}]", 42), "[    42]");
    cr_assert_str_eq(format_float("[{:6}]", 1.5), "[   1.5]");
    cr_assert_str_eq(format_int("[{:>}]", 42), "[42]");
    cr_assert_str_eq(format_str("[{:}]", "ab"), "[ab]");
}

Test(template, header_names_are_text_even_for_number_fields)
{
    cr_assert_str_eq(format("[{:8}]", &int_schema, NULL), "[i       ]");
}

Test(template, longer_than_the_width_is_never_truncated)
{
    cr_assert_str_eq(format_str("[{:<3}]", "abcdef"), "[abcdef]");
    cr_assert_str_eq(format_str("[{:^3}]", "abcdef"), "[abcdef]");
    cr_assert_str_eq(format_int("[{:>2}]", 12345), "[12345]");
}

Test(template, width_counts_code_points_not_bytes)
{
    cr_assert_str_eq(format_str("[{:<6}]", "h\xc3\xa9llo"), "[h\xc3\xa9llo ]");
    cr_assert_str_eq(format_str("[{:^7}]", "\xe6\x97\xa5\xe6\x9c\xac"),
                     "[  \xe6\x97\xa5\xe6\x9c\xac   ]");
    cr_assert_str_eq(format_str("[{:>4}]", "\xe2\x82\xac"),
                     "[   \xe2\x82\xac]");
}

/* ------------------------------------------------------------ literals */

Test(template, doubled_braces_are_literal_braces)
{
    cr_assert_str_eq(format_str("{{{}}}", "x"), "{x}");
    cr_assert_str_eq(format_str("a}}b{{c", "x"), "a}b{c");
    cr_assert_str_eq(format_str("{{}}", "x"), "{}");
}

Test(template, literal_text_only)
{
    cr_assert_str_eq(format_str("no fields here", "x"), "no fields here");
    cr_assert_str_eq(format_str("", "x"), "");
}

Test(template, fields_beyond_the_schema_format_as_empty)
{
    struct pikos_value values[2] = {str_value("a"), str_value("b")};
    const struct pikos_field two[] = {{"x", PIKOS_FIELD_STR},
                                      {"y", PIKOS_FIELD_STR}};
    const struct pikos_schema schema = {"Two", 2, two, NULL, NULL};
    cr_assert_str_eq(format("{}-{}-{}|", &schema, values), "a-b-|");
    cr_assert_str_eq(format("{}{}{:>3}|", &schema, values), "ab   |");
}

/* ------------------------------------------------------------ snprintf */

Test(template, format_returns_the_needed_length_and_stays_in_cap)
{
    struct pikos_error err;
    struct pikos_template *tpl = pikos_template_compile("{:<8}|", &err);
    struct pikos_value v = str_value("abc");
    char buf[8];
    memset(buf, '#', sizeof(buf));
    cr_assert_eq(pikos_template_format(tpl, &str_schema, &v, buf, 4), 9);
    cr_assert_eq(memcmp(buf, "abc #", 5), 0);
    cr_assert_eq(pikos_template_format(tpl, &str_schema, &v, NULL, 0), 9);
    pikos_template_free(tpl);
}

Test(template, format_value_returns_the_needed_length_and_stays_in_cap)
{
    struct pikos_value v = {.u.i = 123456};
    char buf[8];
    memset(buf, '#', sizeof(buf));
    cr_assert_eq(pikos_format_value(PIKOS_FIELD_INT, &v, buf, 3), 6);
    cr_assert_eq(memcmp(buf, "123#", 4), 0);
    v = str_value("hello");
    memset(buf, '#', sizeof(buf));
    cr_assert_eq(pikos_format_value(PIKOS_FIELD_STR, &v, buf, 2), 5);
    cr_assert_eq(memcmp(buf, "he##", 4), 0);
}

/* ------------------------------------------------------------ values */

Test(template, integers_in_decimal)
{
    cr_assert_str_eq(format_int("{}", 0), "0");
    cr_assert_str_eq(format_int("{}", -42), "-42");
    cr_assert_str_eq(format_int("{}", 7), "7");
    cr_assert_str_eq(format_int("{}", 10), "10");
    cr_assert_str_eq(format_int("{}", 100), "100");
    cr_assert_str_eq(format_int("{}", 1005), "1005");
    cr_assert_str_eq(format_int("{}", 90817), "90817");
    cr_assert_str_eq(format_int("{}", -100000), "-100000");
    cr_assert_str_eq(format_int("{}", INT64_MIN), "-9223372036854775808");
    cr_assert_str_eq(format_int("{}", INT64_MAX), "9223372036854775807");
}

Test(template, strings_are_bytes_as_they_are)
{
    struct pikos_value v = {.u.s = {"a\0b", 3}};
    char buf[4];
    cr_assert_eq(pikos_format_value(PIKOS_FIELD_STR, &v, buf, sizeof(buf)), 3);
    cr_assert_eq(memcmp(buf, "a\0b", 3), 0);
}

Test(template, floats_as_python_repr)
{
    cr_assert_str_eq(repr(1.0), "1.0");
    cr_assert_str_eq(repr(0.1), "0.1");
    cr_assert_str_eq(repr(1.5), "1.5");
    cr_assert_str_eq(repr(0.1 + 0.2), "0.30000000000000004");
    cr_assert_str_eq(repr(1e-05), "1e-05");
    cr_assert_str_eq(repr(-2.5e-07), "-2.5e-07");
    cr_assert_str_eq(repr(0.0001), "0.0001");
    cr_assert_str_eq(repr(100000.0), "100000.0");
    cr_assert_str_eq(repr(123456789.123), "123456789.123");
    cr_assert_str_eq(repr(1e15), "1000000000000000.0");
    cr_assert_str_eq(repr(1234567890123456.0), "1234567890123456.0");
    cr_assert_str_eq(repr(1e16), "1e+16");
    cr_assert_str_eq(repr(12345678901234567.0), "1.2345678901234568e+16");
    cr_assert_str_eq(repr(1e22), "1e+22");
    cr_assert_str_eq(repr(1.7976931348623157e308), "1.7976931348623157e+308");
    cr_assert_str_eq(repr(5e-324), "5e-324");
    cr_assert_str_eq(repr(0.0), "0.0");
    cr_assert_str_eq(repr(-0.0), "-0.0");
    cr_assert_str_eq(repr(INFINITY), "inf");
    cr_assert_str_eq(repr(-INFINITY), "-inf");
    cr_assert_str_eq(repr(NAN), "nan");
}

/* ------------------------------------------------------------ errors */

Test(template, named_and_numbered_fields_are_rejected)
{
    cr_assert_str_eq(compile_error("{0}"),
                     "bad template '{0}': only automatic fields '{}' and "
                     "'{:SPEC}' are supported at column 1");
    cr_assert_str_eq(compile_error("ab{name}"),
                     "bad template 'ab{name}': only automatic fields '{}' and "
                     "'{:SPEC}' are supported at column 3");
    cr_assert_str_eq(compile_error("\xc3\xa9{0}"),
                     "bad template '\xc3\xa9{0}': only automatic fields '{}' "
                     "and '{:SPEC}' are supported at column 2");
    cr_assert_str_eq(compile_error("{!r}"),
                     "bad template '{!r}': only automatic fields '{}' and "
                     "'{:SPEC}' are supported at column 1");
}

Test(template, unbalanced_braces_are_rejected)
{
    cr_assert_str_eq(compile_error("x{"),
                     "bad template 'x{': '{' is never closed (write '{{' for "
                     "a literal brace) at column 2");
    cr_assert_str_eq(compile_error("{:<8"),
                     "bad template '{:<8': '{' is never closed (write '{{' "
                     "for a literal brace) at column 1");
    cr_assert_str_eq(compile_error("a}b"),
                     "bad template 'a}b': single '}' (write '}}' for a "
                     "literal brace) at column 2");
    cr_assert_str_eq(compile_error("{:<8}}"),
                     "bad template '{:<8}}': single '}' (write '}}' for a "
                     "literal brace) at column 6");
}

Test(template, specs_beyond_align_and_width_are_rejected)
{
    cr_assert_str_eq(compile_error("{:*<8}"),
                     "bad template '{:*<8}': unsupported format spec (use an "
                     "optional alignment <, > or ^ and an optional width) at "
                     "column 3");
    cr_assert_str_eq(compile_error("{:<8d}"),
                     "bad template '{:<8d}': unsupported format spec (use an "
                     "optional alignment <, > or ^ and an optional width) at "
                     "column 3");
    cr_assert_str_eq(compile_error("{:08}"),
                     "bad template '{:08}': zero-padded widths are not "
                     "supported at column 3");
    cr_assert_str_eq(
        compile_error("{:999999}"),
        "bad template '{:999999}': width is too large at column 3");
}
