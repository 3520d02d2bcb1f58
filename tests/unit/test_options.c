/*
 * Option validation and storage, against an in-memory plugin "demo" with
 * one option of each type and a required one.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "internal.h"

struct demo_ctx {
    int64_t count;
    double ratio;
    int verbose;
    char *name;
    struct pikos_strlist items;
    char *path;
};

static const struct pikos_option demo_options[] = {
    {"count", PIKOS_OPT_INT, 0, "3", "", offsetof(struct demo_ctx, count)},
    {"ratio", PIKOS_OPT_FLOAT, 0, "0.5", "", offsetof(struct demo_ctx, ratio)},
    {"verbose", PIKOS_OPT_BOOL, 0, "false", "",
     offsetof(struct demo_ctx, verbose)},
    {"name", PIKOS_OPT_STRING, 0, "x", "", offsetof(struct demo_ctx, name)},
    {"items", PIKOS_OPT_LIST, 0, "a;b", "", offsetof(struct demo_ctx, items)},
    {"path", PIKOS_OPT_STRING, PIKOS_OPTION_REQUIRED, NULL, "",
     offsetof(struct demo_ctx, path)},
    {0}};

static const struct pikos_plugin demo = {
    .abi_major = PIKOS_ABI_MAJOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_RECORDER,
    .name = "demo",
    .options = demo_options,
    .ctx_size = sizeof(struct demo_ctx),
};

/* The manifest's view of the same options (as the registry checked). */
static struct pikos_manifest_option manifest_options[] = {
    {"count", PIKOS_OPT_INT, 0, "3", ""},
    {"ratio", PIKOS_OPT_FLOAT, 0, "0.5", ""},
    {"verbose", PIKOS_OPT_BOOL, 0, "false", ""},
    {"name", PIKOS_OPT_STRING, 0, "x", ""},
    {"items", PIKOS_OPT_LIST, 0, "a;b", ""},
    {"path", PIKOS_OPT_STRING, PIKOS_OPTION_REQUIRED, NULL, ""}};

static struct pikos_plugin_info info = {
    .full_name = "recorders/demo",
    .name = "demo",
    .kind = PIKOS_KIND_RECORDER,
    .noptions = 6,
    .options = manifest_options,
    .state = PIKOS_PLUGIN_OK,
    .descriptor = &demo,
};

static struct demo_ctx ctx;
static struct pikos_error err;

static void teardown(void)
{
    pikos_options_release(&demo, &ctx, NULL);
}

TestSuite(options, .fini = teardown);

/* Applies `n` settings to a zeroed ctx. */
static int apply(const struct pikos_option_setting *settings, size_t n)
{
    memset(&ctx, 0, sizeof(ctx));
    return pikos_options_apply(&info, settings, n, &ctx, NULL, &err);
}

/* Applies path=out plus one setting KEY=VALUE. */
static int apply_one(const char *key, const char *value)
{
    struct pikos_option_setting settings[] = {{"path", "out"}, {key, value}};
    return apply(settings, 2);
}

Test(options, defaults_fill_what_is_not_given)
{
    cr_assert_eq(apply_one("count", "7"), PIKOS_OK);
    cr_assert_eq(ctx.count, 7);
    cr_assert_float_eq(ctx.ratio, 0.5, 1e-12);
    cr_assert_eq(ctx.verbose, 0);
    cr_assert_str_eq(ctx.name, "x");
    cr_assert_eq(ctx.items.count, 2);
    cr_assert_str_eq(ctx.items.items[0], "a");
    cr_assert_str_eq(ctx.items.items[1], "b");
    cr_assert_str_eq(ctx.path, "out");
}

Test(options, int_values)
{
    cr_assert_eq(apply_one("count", "-42"), PIKOS_OK);
    cr_assert_eq(ctx.count, -42);
    teardown();
    cr_assert_eq(apply_one("count", "9223372036854775807"), PIKOS_OK);
    cr_assert_eq(ctx.count, INT64_MAX);
}

Test(options, float_values)
{
    cr_assert_eq(apply_one("ratio", "1e3"), PIKOS_OK);
    cr_assert_float_eq(ctx.ratio, 1000.0, 1e-9);
    teardown();
    cr_assert_eq(apply_one("ratio", "-2"), PIKOS_OK);
    cr_assert_float_eq(ctx.ratio, -2.0, 1e-12);
}

Test(options, bool_words)
{
    static const char *const truths[] = {"true", "YES", "On", "1"};
    static const char *const lies[] = {"false", "no", "OFF", "0"};

    for (size_t i = 0; i < 4; i++) {
        int value = -1;
        cr_assert_eq(pikos_option_parse(PIKOS_OPT_BOOL, truths[i], &value),
                     PIKOS_OK);
        cr_assert_eq(value, 1, "%s", truths[i]);
        cr_assert_eq(pikos_option_parse(PIKOS_OPT_BOOL, lies[i], &value),
                     PIKOS_OK);
        cr_assert_eq(value, 0, "%s", lies[i]);
    }
    cr_assert_eq(apply_one("verbose", "yes"), PIKOS_OK);
    cr_assert_eq(ctx.verbose, 1);
}

Test(options, string_values_are_copied)
{
    char value[] = "hello";

    cr_assert_eq(apply_one("name", value), PIKOS_OK);
    value[0] = 'j';
    cr_assert_str_eq(ctx.name, "hello");
    teardown();
    cr_assert_eq(apply_one("name", ""), PIKOS_OK);
    cr_assert_str_eq(ctx.name, "");
}

Test(options, list_values)
{
    cr_assert_eq(apply_one("items", "f;;g h"), PIKOS_OK);
    cr_assert_eq(ctx.items.count, 3);
    cr_assert_str_eq(ctx.items.items[0], "f");
    cr_assert_str_eq(ctx.items.items[1], "");
    cr_assert_str_eq(ctx.items.items[2], "g h");
    teardown();
    cr_assert_eq(apply_one("items", ""), PIKOS_OK);
    cr_assert_eq(ctx.items.count, 0);
    cr_assert_null(ctx.items.items);
}

Test(options, release_frees_and_zeroes)
{
    cr_assert_eq(apply_one("items", "a"), PIKOS_OK);
    pikos_options_release(&demo, &ctx, NULL);
    cr_assert_null(ctx.name);
    cr_assert_null(ctx.path);
    cr_assert_null(ctx.items.items);
    cr_assert_eq(ctx.items.count, 0);
}

Test(options, unknown_option)
{
    cr_assert_eq(apply_one("cuont", "1"), PIKOS_EINVAL);
    cr_assert_str_eq(err.message, "[recorders/demo] unknown option 'cuont' "
                                  "(options: count, ratio, verbose, name, "
                                  "items, path)");
}

Test(options, plugin_without_options)
{
    struct pikos_plugin_info bare = {.full_name = "filters/bare",
                                     .descriptor = &demo};
    struct pikos_option_setting settings[] = {{"x", "1"}};

    cr_assert_eq(pikos_options_apply(&bare, settings, 1, &ctx, NULL, &err),
                 PIKOS_EINVAL);
    cr_assert_str_eq(err.message, "[filters/bare] unknown option 'x' (this "
                                  "plugin takes no options)");
}

Test(options, option_given_twice)
{
    struct pikos_option_setting settings[] = {
        {"path", "a"}, {"count", "1"}, {"path", "b"}};

    cr_assert_eq(apply(settings, 3), PIKOS_EINVAL);
    cr_assert_str_eq(err.message, "[recorders/demo] option 'path' is given "
                                  "twice");
    cr_assert_null(ctx.path); /* nothing stored */
}

Test(options, wrong_int)
{
    static const char *const bad[] = {"abc", "12abc", " 1",
                                      "",    "1.0",   "9223372036854775808"};
    char want[256];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(want, sizeof(want),
                 "[recorders/demo] option 'count' expects an int, got '%s'",
                 bad[i]);
        cr_assert_eq(apply_one("count", bad[i]), PIKOS_EINVAL, "%s", bad[i]);
        cr_assert_str_eq(err.message, want);
    }
}

Test(options, wrong_float)
{
    static const char *const bad[] = {"fast", "nan", "inf", "1e999", "1,5"};
    char want[256];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(want, sizeof(want),
                 "[recorders/demo] option 'ratio' expects a float, got '%s'",
                 bad[i]);
        cr_assert_eq(apply_one("ratio", bad[i]), PIKOS_EINVAL, "%s", bad[i]);
        cr_assert_str_eq(err.message, want);
    }
}

Test(options, wrong_bool)
{
    cr_assert_eq(apply_one("verbose", "maybe"), PIKOS_EINVAL);
    cr_assert_str_eq(err.message, "[recorders/demo] option 'verbose' expects "
                                  "a bool (true/false, yes/no, on/off, 1/0), "
                                  "got 'maybe'");
}

Test(options, missing_required)
{
    struct pikos_option_setting settings[] = {{"count", "1"}};

    cr_assert_eq(apply(settings, 1), PIKOS_EINVAL);
    cr_assert_str_eq(err.message, "[recorders/demo] option 'path' is "
                                  "required: give it a string");
}

Test(options, setting_without_a_value)
{
    struct pikos_option_setting settings[] = {{"path", NULL}};

    cr_assert_eq(apply(settings, 1), PIKOS_EINVAL);
    cr_assert_str_eq(err.message, "[recorders/demo] option setting 1 has no "
                                  "key or value");
}

Test(options, plugin_not_loaded)
{
    struct pikos_plugin_info unloaded = info;

    unloaded.descriptor = NULL;
    cr_assert_eq(pikos_options_apply(&unloaded, NULL, 0, &ctx, NULL, &err),
                 PIKOS_ESTATE);
    cr_assert_str_eq(err.message, "[recorders/demo] options applied before "
                                  "the plugin was loaded");
}

Test(options, parsers_check_without_storing)
{
    cr_assert_eq(pikos_option_parse(PIKOS_OPT_INT, "12", NULL), PIKOS_OK);
    cr_assert_eq(pikos_option_parse(PIKOS_OPT_INT, "x", NULL), PIKOS_EINVAL);
    cr_assert_eq(pikos_option_parse(PIKOS_OPT_LIST, "a;b", NULL), PIKOS_OK);
    cr_assert_eq(pikos_option_parse(99, "1", NULL), PIKOS_EINVAL);
    cr_assert_eq(pikos_option_storage_size(PIKOS_OPT_LIST),
                 sizeof(struct pikos_strlist));
    cr_assert_eq(pikos_option_storage_size(99), 0);
}
