/* Parsing "kind/name:key=value,..." plugin specs (the CLI's --plugin). */
#include <stdlib.h>

#include <criterion/criterion.h>

#include "internal.h"

static char *name, *buffer;
static struct pikos_option_setting *settings;
static size_t nsettings;
static struct pikos_error err;

static void teardown(void)
{
    free(settings);
    free(buffer);
}

TestSuite(spec, .fini = teardown);

static int parse(const char *spec)
{
    return pikos_parse_plugin_spec(spec, &name, &settings, &nsettings, &buffer,
                                   &err);
}

static void assert_setting(size_t i, const char *key, const char *value)
{
    cr_assert_lt(i, nsettings);
    cr_assert_str_eq(settings[i].key, key);
    cr_assert_str_eq(settings[i].value, value);
}

Test(spec, name_only)
{
    cr_assert_eq(parse("recorders/csv"), PIKOS_OK);
    cr_assert_str_eq(name, "recorders/csv");
    cr_assert_eq(nsettings, 0);
}

Test(spec, empty_settings_part)
{
    cr_assert_eq(parse("csv:"), PIKOS_OK);
    cr_assert_str_eq(name, "csv");
    cr_assert_eq(nsettings, 0);
}

Test(spec, settings)
{
    cr_assert_eq(parse("filters/on_value:field=function,values=f;g"), PIKOS_OK);
    cr_assert_str_eq(name, "filters/on_value");
    cr_assert_eq(nsettings, 2);
    assert_setting(0, "field", "function");
    assert_setting(1, "values", "f;g");
}

Test(spec, values_keep_later_colons_and_equals)
{
    cr_assert_eq(parse("recorders/csv:filename=C:/out.csv,x=a=b,y="), PIKOS_OK);
    cr_assert_eq(nsettings, 3);
    assert_setting(0, "filename", "C:/out.csv");
    assert_setting(1, "x", "a=b");
    assert_setting(2, "y", "");
}

Test(spec, backslash_escapes)
{
    cr_assert_eq(parse("recorders/csv:filename=a\\,b.csv,delimiter=\\,,"
                       "k\\=ey=\\\\,path=C\\:\\\\tmp"),
                 PIKOS_OK);
    cr_assert_eq(nsettings, 4);
    assert_setting(0, "filename", "a,b.csv");
    assert_setting(1, "delimiter", ",");
    assert_setting(2, "k=ey", "\\");
    assert_setting(3, "path", "C:\\tmp");
}

Test(spec, escaped_colon_in_the_name)
{
    cr_assert_eq(parse("odd\\:name:a=1"), PIKOS_OK);
    cr_assert_str_eq(name, "odd:name");
    assert_setting(0, "a", "1");
}

Test(spec, trailing_lone_backslash_is_kept)
{
    cr_assert_eq(parse("x:dir=C:\\"), PIKOS_OK);
    assert_setting(0, "dir", "C:\\");
}

Test(spec, trailing_comma_is_ignored)
{
    cr_assert_eq(parse("x:a=1,"), PIKOS_OK);
    cr_assert_eq(nsettings, 1);
}

/* The parse fails with `message`, and leaves nothing to free. */
static void assert_fails(const char *spec, const char *message)
{
    cr_assert_eq(parse(spec), PIKOS_EINVAL, "%s", spec);
    cr_assert_str_eq(err.message, message);
    cr_assert_null(name);
    cr_assert_null(settings);
    cr_assert_null(buffer);
    cr_assert_eq(nsettings, 0);
}

Test(spec, empty_spec)
{
    assert_fails("", "empty plugin spec (expected "
                     "KIND/NAME[:key=value,...])");
}

Test(spec, empty_name)
{
    assert_fails(":a=1", "plugin spec ':a=1' has no plugin name (expected "
                         "KIND/NAME[:key=value,...])");
}

Test(spec, setting_without_equals)
{
    assert_fails("recorders/csv:filename=x,delimiter",
                 "setting 'delimiter' in plugin spec "
                 "'recorders/csv:filename=x,delimiter' has no '=' (expected "
                 "key=value)");
}

Test(spec, escaped_equals_is_no_equals)
{
    assert_fails("x:a\\=1", "setting 'a=1' in plugin spec 'x:a\\=1' has no "
                            "'=' (expected key=value)");
}

Test(spec, empty_key)
{
    assert_fails("x:=1,b=2", "setting '=1' in plugin spec 'x:=1,b=2' has an "
                             "empty key (expected key=value)");
}

Test(spec, empty_setting)
{
    assert_fails("x:a=1,,b=2", "empty setting in plugin spec 'x:a=1,,b=2' "
                               "(expected key=value)");
}
