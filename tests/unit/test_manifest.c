/* Reading NAME.plugin manifests: good ones, and each way one can be bad. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "internal.h"
#include "tmptree.h"

/* A valid [plugin] section: five lines, so added lines start at line 6. */
#define PLUGIN_HEAD                                                            \
    "[plugin]\n"                                                               \
    "name = demo\n"                                                            \
    "kind = recorder\n"                                                        \
    "library = recorder_demo\n"                                                \
    "abi = 1\n"

static char *dir;
static char *path;
static struct pikos_plugin_info info;

static void setup(void)
{
    dir = tmptree_new();
    cr_assert_not_null(dir);
}

/* Forgets the manifest read last, for tests that read several. */
static void reset(void)
{
    pikos_manifest_info_clear(&info);
    free(path);
    path = NULL;
}

static void teardown(void)
{
    reset();
    tmptree_remove(dir);
}

TestSuite(manifest, .init = setup, .fini = teardown);

/* Writes `size` bytes as DIR/demo.plugin and reads them as a manifest. */
static int read_bytes(const char *data, size_t size)
{
    path = tmptree_write(dir, "demo.plugin", data, size);
    cr_assert_not_null(path);
    return pikos_manifest_read(path, &info);
}

static int read_text(const char *text)
{
    return read_bytes(text, strlen(text));
}

/* The manifest is broken, with the reason PATH followed by `after_path`. */
static void assert_broken(const char *after_path)
{
    char want[2048];

    snprintf(want, sizeof(want), "%s%s", path, after_path);
    cr_assert_eq(info.state, PIKOS_PLUGIN_BROKEN);
    cr_assert_str_eq(info.reason, want);
}

Test(manifest, good_fixture)
{
    const char *file = TEST_SRCDIR "/tests/unit/fixtures/good/good.plugin";

    cr_assert_eq(pikos_manifest_read(file, &info), PIKOS_OK);
    cr_assert_eq(info.state, PIKOS_PLUGIN_UNCHECKED);
    cr_assert_null(info.reason);
    cr_assert_null(info.descriptor);
    cr_assert_str_eq(info.full_name, "recorders/fx_good");
    cr_assert_str_eq(info.name, "fx_good");
    cr_assert_eq(info.kind, PIKOS_KIND_RECORDER);
    cr_assert_str_eq(info.library, "fixture_good");
    cr_assert_eq(info.abi, 1);
    cr_assert_str_eq(info.summary, "A working test recorder");
    cr_assert_str_eq(info.version, "1.0");
    cr_assert_str_eq(info.manifest_path, file);
    cr_assert_str_eq(info.directory, TEST_SRCDIR "/tests/unit/fixtures/good");
    cr_assert_eq(info.noptions, 3);
    cr_assert_str_eq(info.options[0].name, "limit");
    cr_assert_eq(info.options[0].type, PIKOS_OPT_INT);
    cr_assert_str_eq(info.options[0].default_value, "10");
    cr_assert_str_eq(info.options[0].help, "records to keep");
    cr_assert_eq(info.options[0].flags, 0);
    cr_assert_str_eq(info.options[1].name, "label");
    cr_assert_eq(info.options[1].type, PIKOS_OPT_STRING);
    cr_assert_str_eq(info.options[2].name, "tags");
    cr_assert_eq(info.options[2].type, PIKOS_OPT_LIST);
    cr_assert_str_eq(info.options[2].default_value, "a;b");
}

Test(manifest, optional_keys_may_be_left_out)
{
    cr_assert_eq(read_text(PLUGIN_HEAD), PIKOS_OK);
    cr_assert_eq(info.state, PIKOS_PLUGIN_UNCHECKED);
    cr_assert_null(info.summary);
    cr_assert_null(info.version);
    cr_assert_null(info.python_module);
    cr_assert_null(info.package);
    cr_assert_eq(info.noptions, 0);
    cr_assert_str_eq(info.directory, dir);
}

Test(manifest, the_python_package_an_external_monitor_needs)
{
    cr_assert_eq(read_text(PLUGIN_HEAD "python_module = yappi\n"
                                       "package = python3-yappi\n"),
                 PIKOS_OK);
    cr_assert_eq(info.state, PIKOS_PLUGIN_UNCHECKED);
    cr_assert_str_eq(info.python_module, "yappi");
    cr_assert_str_eq(info.package, "python3-yappi");
}

Test(manifest, kinds_singular_plural_and_external)
{
    static const struct {
        const char *kind, *full_name;
        uint32_t value;
    } cases[] = {{"monitor", "monitors/demo", PIKOS_KIND_MONITOR},
                 {"monitors", "monitors/demo", PIKOS_KIND_MONITOR},
                 {"filter", "filters/demo", PIKOS_KIND_FILTER},
                 {"recorders", "recorders/demo", PIKOS_KIND_RECORDER},
                 {"external", "external/demo", PIKOS_KIND_MONITOR}};
    char text[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text),
                 "[plugin]\nname = demo\nkind = %s\nlibrary = x\nabi = 1\n",
                 cases[i].kind);
        cr_assert_eq(read_text(text), PIKOS_OK, "kind = %s", cases[i].kind);
        cr_assert_str_eq(info.full_name, cases[i].full_name);
        cr_assert_eq(info.kind, cases[i].value);
        reset();
    }
}

Test(manifest, options_of_every_type)
{
    cr_assert_eq(read_text(PLUGIN_HEAD "[option n]\ntype = int\n"
                                       "[option f]\ntype = float\n"
                                       "default = 0.25\n"
                                       "[option b]\ntype = bool\n"
                                       "default = yes\n"
                                       "[option s]\ntype = string\n"
                                       "required = true\n"
                                       "[option l]\ntype = list\n"
                                       "default =\n"),
                 PIKOS_OK);
    cr_assert_eq(info.noptions, 5);
    cr_assert_eq(info.options[0].type, PIKOS_OPT_INT);
    cr_assert_null(info.options[0].default_value);
    cr_assert_eq(info.options[1].type, PIKOS_OPT_FLOAT);
    cr_assert_eq(info.options[2].type, PIKOS_OPT_BOOL);
    cr_assert_eq(info.options[3].type, PIKOS_OPT_STRING);
    cr_assert_eq(info.options[3].flags, PIKOS_OPTION_REQUIRED);
    cr_assert_eq(info.options[4].type, PIKOS_OPT_LIST);
    cr_assert_str_eq(info.options[4].default_value, "");
}

Test(manifest, summary_and_help_continue_on_indented_lines)
{
    cr_assert_eq(read_text(PLUGIN_HEAD "summary = Write records\n"
                                       "  to a file\n"
                                       "[option n]\ntype = int\n"
                                       "help = how many\n"
                                       "\tat most\n"),
                 PIKOS_OK);
    cr_assert_str_eq(info.summary, "Write records to a file");
    cr_assert_str_eq(info.options[0].help, "how many at most");
}

Test(manifest, only_summary_and_help_may_continue)
{
    read_text("[plugin]\nname = demo\n  more\n");
    assert_broken(":3: only summary and help may continue on an indented "
                  "line");
}

Test(manifest, each_missing_required_key)
{
    static const char *const lines[] = {"name = demo\n", "kind = recorder\n",
                                        "library = recorder_demo\n",
                                        "abi = 1\n"};
    static const char *const reasons[] = {
        ": missing key 'name' in [plugin] (the plugin's name, e.g. name = "
        "csv)",
        ": missing key 'kind' in [plugin] (monitor, filter, recorder or "
        "external)",
        ": missing key 'library' in [plugin] (the module name of its shared "
        "object, e.g. library = recorder_csv)",
        ": missing key 'abi' in [plugin] (the plugin ABI major version, abi "
        "= 1)"};

    for (size_t missing = 0; missing < 4; missing++) {
        char text[256] = "[plugin]\n";
        for (size_t i = 0; i < 4; i++)
            if (i != missing)
                strcat(text, lines[i]);
        cr_assert_lt(read_text(text), 0);
        assert_broken(reasons[missing]);
        reset();
    }
}

Test(manifest, broken_entry_keeps_what_it_could_read)
{
    read_text("[plugin]\nkind = filter\nlibrary = x\nabi = 1\n");
    cr_assert_str_eq(info.name, "demo"); /* from demo.plugin */
    cr_assert_eq(info.kind, PIKOS_KIND_FILTER);
    cr_assert_str_eq(info.full_name, "filters/demo");
    cr_assert_str_eq(info.manifest_path, path);
}

Test(manifest, empty_file_has_no_plugin_section)
{
    cr_assert_eq(read_text(""), PIKOS_EINVAL);
    assert_broken(": no [plugin] section (a manifest starts with [plugin] "
                  "and the keys name, kind, library and abi)");
    cr_assert_str_eq(info.full_name, "demo");
    cr_assert_eq(info.kind, 0);
}

Test(manifest, unknown_kind)
{
    read_text("[plugin]\nname = demo\nkind = recordr\n");
    assert_broken(":3: unknown kind 'recordr' (expected monitor, filter, "
                  "recorder or external)");
}

Test(manifest, abi_must_be_a_positive_integer)
{
    static const char *const values[] = {"0", "-1", "one", "1.5", ""};
    char text[256], want[256];

    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        snprintf(text, sizeof(text), "[plugin]\nabi = %s\n", values[i]);
        snprintf(want, sizeof(want),
                 ":2: abi '%s' is not a positive integer (this pikos speaks "
                 "abi = 1)",
                 values[i]);
        read_text(text);
        assert_broken(want);
        reset();
    }
}

Test(manifest, bad_names_and_library)
{
    read_text("[plugin]\nname = my plugin\n");
    assert_broken(":2: name 'my plugin' is not a plugin name (letters, "
                  "digits, '_' and '-')");
    reset();
    read_text("[plugin]\nlibrary = ../lib/evil\n");
    assert_broken(":2: library '../lib/evil' is not a module name (expected "
                  "the name of a shared object beside the manifest, without "
                  "'/')");
}

Test(manifest, unknown_key_and_section)
{
    read_text("[plugin]\nname = demo\nnmae = demo\n");
    assert_broken(":3: unknown key 'nmae' in [plugin] (expected name, kind, "
                  "library, abi, summary, version, python_module or "
                  "package)");
    reset();
    read_text(PLUGIN_HEAD "[option n]\ntype = int\ndefualt = 1\n");
    assert_broken(":8: unknown key 'defualt' in [option n] (expected type, "
                  "default, help or required)");
    reset();
    read_text(PLUGIN_HEAD "[options n]\ntype = int\n");
    assert_broken(":7: unknown section [options n] (expected [plugin] or "
                  "[option NAME])");
}

Test(manifest, key_before_any_section)
{
    read_text("name = demo\n[plugin]\n");
    assert_broken(":1: key 'name' is outside any section (a manifest starts "
                  "with [plugin])");
}

Test(manifest, duplicates)
{
    read_text("[plugin]\nname = demo\nname = other\n");
    assert_broken(":3: duplicate key 'name' in [plugin]");
    reset();
    read_text(PLUGIN_HEAD "[option n]\ntype = int\n[option m]\ntype = int\n"
                          "[option n]\ntype = float\n");
    assert_broken(":11: duplicate option 'n' (each [option NAME] appears "
                  "once)");
    reset();
    read_text(PLUGIN_HEAD "[option n]\ntype = int\n[plugin]\nname = again\n");
    assert_broken(":9: duplicate section [plugin]");
}

Test(manifest, unknown_option_type)
{
    read_text(PLUGIN_HEAD "[option port]\ntype = integer\n");
    assert_broken(":7: unknown type 'integer' for option 'port' (expected "
                  "int, float, bool, string or list)");
}

Test(manifest, option_without_type)
{
    read_text(PLUGIN_HEAD "[option port]\nhelp = the port\ndefault = 1\n");
    assert_broken(":7: option 'port' has no type (expected type = int, "
                  "float, bool, string or list)");
}

Test(manifest, bad_option_name)
{
    read_text(PLUGIN_HEAD "[option a=b]\ntype = int\n");
    assert_broken(":7: [option a=b] does not name an option (letters, "
                  "digits, '_' and '-')");
}

Test(manifest, default_must_parse_as_its_type)
{
    static const struct {
        const char *type, *value, *phrase;
    } cases[] = {{"int", "9x", "an int"},
                 {"float", "fast", "a float"},
                 {"bool", "maybe", "a bool"}};
    char text[512], want[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        /* The default comes before the type: the line is the default's. */
        snprintf(text, sizeof(text),
                 PLUGIN_HEAD "[option x]\ndefault = %s\ntype = %s\n",
                 cases[i].value, cases[i].type);
        snprintf(want, sizeof(want), ":7: default '%s' of option 'x' is not %s",
                 cases[i].value, cases[i].phrase);
        read_text(text);
        assert_broken(want);
        reset();
    }
}

Test(manifest, required_flag)
{
    read_text(PLUGIN_HEAD "[option x]\ntype = int\nrequired = maybe\n");
    assert_broken(":8: required = 'maybe' is not a bool (expected true or "
                  "false)");
    reset();
    read_text(PLUGIN_HEAD "[option x]\ntype = int\nrequired = yes\n"
                          "default = 3\n");
    assert_broken(":9: option 'x' is required and has a default (drop one "
                  "of them)");
}

Test(manifest, line_that_is_not_ini)
{
    read_text(PLUGIN_HEAD "this line means nothing\nsummary = fine\n");
    assert_broken(":6: cannot parse this line (expected [section], key = "
                  "value or a ; comment)");
}

Test(manifest, the_first_problem_is_reported)
{
    read_text("[plugin]\nkind = nope\nnot ini\nname = x y\n");
    assert_broken(":2: unknown kind 'nope' (expected monitor, filter, "
                  "recorder or external)");
    reset();
    read_text("[plugin]\nnot ini\nkind = nope\n");
    assert_broken(":2: cannot parse this line (expected [section], key = "
                  "value or a ; comment)");
}

Test(manifest, corrupt_fixture_is_binary)
{
    const char *file = TEST_SRCDIR "/tests/unit/fixtures/corrupt_manifest/"
                                   "corrupt_manifest.plugin";
    char want[1024];

    cr_assert_eq(pikos_manifest_read(file, &info), PIKOS_EINVAL);
    snprintf(want, sizeof(want),
             "%s:1: binary data (byte 0x7f): a manifest is UTF-8 text; is "
             "this file really a plugin manifest?",
             file);
    cr_assert_eq(info.state, PIKOS_PLUGIN_BROKEN);
    cr_assert_str_eq(info.reason, want);
    cr_assert_str_eq(info.full_name, "corrupt_manifest");
}

Test(manifest, nul_byte)
{
    static const char data[] = PLUGIN_HEAD "summary = a\0b\n";

    read_bytes(data, sizeof(data) - 1);
    assert_broken(":6: binary data (byte 0x00): a manifest is UTF-8 text; is "
                  "this file really a plugin manifest?");
}

Test(manifest, invalid_utf8)
{
    read_text(PLUGIN_HEAD "summary = caf\xc3\n");
    assert_broken(":6: binary data (byte 0xc3): a manifest is UTF-8 text; is "
                  "this file really a plugin manifest?");
    reset();
    read_text(PLUGIN_HEAD "\n\nsummary = \xed\xa0\x80 (a surrogate)\n");
    assert_broken(":8: binary data (byte 0xed): a manifest is UTF-8 text; is "
                  "this file really a plugin manifest?");
}

Test(manifest, valid_utf8_is_text)
{
    cr_assert_eq(read_text(PLUGIN_HEAD "summary = Caf\xc3\xa9 \xe2\x9c\x93 "
                                       "\xf0\x9f\x90\x8d\n"),
                 PIKOS_OK);
    cr_assert_str_eq(info.summary, "Caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\x8d");
}

Test(manifest, overlong_line)
{
    char text[1024];

    snprintf(text, sizeof(text), PLUGIN_HEAD "summary = %0300d\n", 7);
    read_text(text);
    assert_broken(":6: line is longer than 198 bytes (continue a long "
                  "summary or help on an indented next line)");
}

Test(manifest, unreadable_file)
{
    char *missing = malloc(strlen(dir) + sizeof("/gone.plugin"));
    char want[1024];

    sprintf(missing, "%s/gone.plugin", dir);
    cr_assert_eq(pikos_manifest_read(missing, &info), PIKOS_EINVAL);
    snprintf(want, sizeof(want), "%s: cannot read: No such file or directory",
             missing);
    cr_assert_str_eq(info.reason, want);
    cr_assert_str_eq(info.full_name, "gone");
    free(missing);
}

Test(manifest, names_of_kinds_and_types)
{
    cr_assert_eq(pikos_kind_from_string("recorder"), PIKOS_KIND_RECORDER);
    cr_assert_eq(pikos_kind_from_string("filters"), PIKOS_KIND_FILTER);
    cr_assert_eq(pikos_kind_from_string("Monitor"), 0);
    cr_assert_str_eq(pikos_kind_plural(PIKOS_KIND_MONITOR), "monitors");
    cr_assert_null(pikos_kind_plural(0));
    cr_assert_eq(pikos_option_type_from_string("list"), PIKOS_OPT_LIST);
    cr_assert_eq(pikos_option_type_from_string("str"), 0);
    cr_assert_str_eq(pikos_option_type_name(PIKOS_OPT_BOOL), "bool");
    cr_assert_str_eq(pikos_option_type_name(99), "?");
}

/* The names libpikos exports for the front ends (pikos.h). */
Test(manifest, exported_names)
{
    cr_assert_str_eq(pikos_kind_name(PIKOS_KIND_MONITOR), "monitor");
    cr_assert_str_eq(pikos_kind_name(PIKOS_KIND_FILTER), "filter");
    cr_assert_str_eq(pikos_kind_name(PIKOS_KIND_RECORDER), "recorder");
    cr_assert_str_eq(pikos_kind_name(0), "?");
    cr_assert_str_eq(pikos_option_type_name(PIKOS_OPT_INT), "int");
    cr_assert_str_eq(pikos_option_type_name(PIKOS_OPT_LIST), "list");
    cr_assert_str_eq(pikos_option_type_name(0), "?");
    cr_assert_str_eq(pikos_plugin_state_name(PIKOS_PLUGIN_UNCHECKED),
                     "unchecked");
    cr_assert_str_eq(pikos_plugin_state_name(PIKOS_PLUGIN_OK), "ok");
    cr_assert_str_eq(pikos_plugin_state_name(PIKOS_PLUGIN_BROKEN), "broken");
    cr_assert_str_eq(pikos_plugin_state_name(PIKOS_PLUGIN_UNAVAILABLE),
                     "unavailable");
    cr_assert_str_eq(pikos_plugin_state_name(99), "?");
}
