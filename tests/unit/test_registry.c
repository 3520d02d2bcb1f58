/*
 * The registry: search path precedence and shadowing, finding plugins by
 * name, listing without opening libraries, and loading the fixtures
 * (tests/unit/fixtures), each broken in its own way: one crashes as it
 * loads, which must take only the probe's child process down.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include "fixtures/fixture.h"
#include "internal.h"
#include "tmptree.h"

#define FIXTURES TEST_BUILDDIR "/tests/unit/fixtures"

static struct pikos_registry *reg;
static struct pikos_error err;
static char *dir_a, *dir_b;

static void setup(void)
{
    reg = pikos_registry_new();
    dir_a = tmptree_new();
    dir_b = tmptree_new();
    cr_assert(reg && dir_a && dir_b);
}

static void teardown(void)
{
    pikos_registry_free(reg);
    tmptree_remove(dir_a);
    tmptree_remove(dir_b);
}

TestSuite(registry, .init = setup, .fini = teardown);

/* Writes ROOT/RELPATH, a manifest of a plugin of `kind` named `name` whose
   summary tells which file it is. */
static void write_manifest(const char *root, const char *relpath,
                           const char *kind, const char *name,
                           const char *summary)
{
    char text[512];
    char *path;

    snprintf(text, sizeof(text),
             "[plugin]\nname = %s\nkind = %s\nlibrary = lib_%s\nabi = 1\n"
             "summary = %s\n",
             name, kind, name, summary);
    path = tmptree_write_text(root, relpath, text);
    cr_assert_not_null(path);
    free(path);
}

static struct pikos_plugin_info *find(const char *name)
{
    return pikos_registry_find(reg, name, &err);
}

static void scan(void)
{
    cr_assert_eq(pikos_registry_scan(reg, &err), PIKOS_OK);
}

static void scan_fixtures(void)
{
    cr_assert_eq(pikos_registry_add_path(reg, FIXTURES), PIKOS_OK);
    scan();
}

/* ------------------------------------------------------------ search path */

Test(registry, first_directory_added_wins)
{
    write_manifest(dir_a, "recorders/x/x.plugin", "recorder", "x", "from a");
    write_manifest(dir_b, "x.plugin", "recorder", "x", "from b");
    write_manifest(dir_b, "y.plugin", "recorder", "y", "only in b");
    pikos_registry_add_path(reg, dir_a);
    pikos_registry_add_path(reg, dir_b);
    scan();
    cr_assert_eq(pikos_registry_count(reg), 2);
    cr_assert_str_eq(find("recorders/x")->summary, "from a");
    cr_assert_str_eq(find("recorders/y")->summary, "only in b");
}

/* The plugin that wins names the manifests it shadows, once each. */
Test(registry, a_shadowing_plugin_names_what_it_shadows)
{
    char used[4096], hidden[4096];
    struct pikos_plugin_info *x;

    write_manifest(dir_a, "recorders/x/x.plugin", "recorder", "x", "from a");
    write_manifest(dir_b, "x.plugin", "recorder", "x", "from b");
    write_manifest(dir_b, "y.plugin", "recorder", "y", "only in b");
    pikos_registry_add_path(reg, dir_a);
    pikos_registry_add_path(reg, dir_b);
    scan();
    scan();
    snprintf(used, sizeof(used), "%s/recorders/x/x.plugin", dir_a);
    snprintf(hidden, sizeof(hidden), "%s/x.plugin", dir_b);
    x = find("recorders/x");
    cr_assert_str_eq(x->manifest_path, used);
    cr_assert_eq(x->nshadowed, 1);
    cr_assert_str_eq(x->shadowed[0], hidden);
    cr_assert_eq(find("recorders/y")->nshadowed, 0);
    cr_assert_null(find("recorders/y")->shadowed);
}

Test(registry, order_of_paths_decides)
{
    write_manifest(dir_a, "x.plugin", "recorder", "x", "from a");
    write_manifest(dir_b, "x.plugin", "recorder", "x", "from b");
    pikos_registry_add_path(reg, dir_b);
    pikos_registry_add_path(reg, dir_a);
    scan();
    cr_assert_str_eq(find("recorders/x")->summary, "from b");
}

Test(registry, duplicates_in_one_directory_first_in_name_order)
{
    write_manifest(dir_a, "b/x.plugin", "filter", "x", "from b/");
    write_manifest(dir_a, "a/x.plugin", "filter", "x", "from a/");
    pikos_registry_add_path(reg, dir_a);
    scan();
    cr_assert_eq(pikos_registry_count(reg), 1);
    cr_assert_str_eq(find("filters/x")->summary, "from a/");
    cr_assert_eq(find("filters/x")->nshadowed, 1);
}

/* A manifest that does not read names no plugin: it is listed under its
   path, and shadows nothing. */
Test(registry, a_broken_manifest_shadows_nothing)
{
    char *bad = tmptree_write_text(dir_a, "x.plugin", "[plugin\n");
    struct pikos_plugin_info *info;

    write_manifest(dir_b, "x.plugin", "recorder", "x", "from b");
    pikos_registry_add_path(reg, dir_a);
    pikos_registry_add_path(reg, dir_b);
    scan();
    cr_assert_eq(pikos_registry_count(reg), 2);
    info = pikos_registry_at(reg, 0);
    cr_assert_str_eq(info->full_name, bad);
    cr_assert_eq(info->state, PIKOS_PLUGIN_BROKEN);
    cr_assert_str_eq(find("recorders/x")->summary, "from b");
    cr_assert_eq(find("recorders/x")->nshadowed, 0);
    free(bad);
}

Test(registry, scanning_again_adds_nothing_twice)
{
    write_manifest(dir_a, "x.plugin", "filter", "x", "x");
    pikos_registry_add_path(reg, dir_a);
    scan();
    scan();
    cr_assert_eq(pikos_registry_count(reg), 1);
}

Test(registry, search_depth_is_limited_and_hidden_entries_skipped)
{
    write_manifest(dir_a, "1/2/3/deep.plugin", "filter", "deep", "depth 3");
    write_manifest(dir_a, "1/2/3/4/deeper.plugin", "filter", "deeper", "4");
    write_manifest(dir_a, ".hidden/h.plugin", "filter", "h", "hidden");
    write_manifest(dir_a, "notes.txt", "filter", "txt", "not a manifest");
    pikos_registry_add_path(reg, dir_a);
    scan();
    cr_assert_eq(pikos_registry_count(reg), 1);
    cr_assert_str_eq(pikos_registry_at(reg, 0)->full_name, "filters/deep");
    cr_assert_null(pikos_registry_at(reg, 1));
}

Test(registry, missing_directories_are_skipped)
{
    cr_assert_eq(pikos_registry_add_path(reg, "/nonexistent/pikos"), PIKOS_OK);
    cr_assert_eq(pikos_registry_add_path(reg, ""), PIKOS_EINVAL);
    scan();
    cr_assert_eq(pikos_registry_count(reg), 0);
}

Test(registry, default_paths_from_the_environment)
{
    char list[4096];

    write_manifest(dir_a, "x.plugin", "recorder", "x", "from a");
    write_manifest(dir_b, "x.plugin", "recorder", "x", "from b");
    /* Empty entries are skipped, never read as the current directory. */
    snprintf(list, sizeof(list), ":%s::%s:", dir_b, dir_a);
    setenv("PIKOS_PLUGIN_PATH", list, 1);
    setenv("PIKOS_NO_DEFAULT_PATH", "1", 1);
    cr_assert_eq(pikos_registry_add_default_paths(reg), PIKOS_OK);
    scan();
    cr_assert_eq(pikos_registry_count(reg), 1);
    cr_assert_str_eq(find("x")->summary, "from b");
}

/* ------------------------------------------------------------ finding */

static void scan_demo_plugins(void)
{
    write_manifest(dir_a, "functions.plugin", "monitor", "functions", "f");
    write_manifest(dir_a, "lines.plugin", "monitor", "lines", "l");
    write_manifest(dir_a, "csv.plugin", "recorder", "csv", "recorder csv");
    write_manifest(dir_a, "csv_filter.plugin", "filter", "csv", "filter csv");
    write_manifest(dir_a, "cprofile.plugin", "external", "cprofile", "c");
    pikos_registry_add_path(reg, dir_a);
    scan();
}

Test(registry, find_by_kind_plural_singular_or_bare_name)
{
    scan_demo_plugins();
    cr_assert_str_eq(find("monitors/functions")->full_name,
                     "monitors/functions");
    cr_assert_str_eq(find("monitor/functions")->full_name,
                     "monitors/functions");
    cr_assert_str_eq(find("functions")->full_name, "monitors/functions");
    cr_assert_str_eq(find("external/cprofile")->full_name, "external/cprofile");
    cr_assert_str_eq(find("cprofile")->full_name, "external/cprofile");
    cr_assert_str_eq(find("filter/csv")->summary, "filter csv");
}

Test(registry, external_is_not_a_monitor_prefix)
{
    scan_demo_plugins();
    cr_assert_null(find("monitors/cprofile"));
    cr_assert_str_eq(err.message, "unknown plugin 'monitors/cprofile' (did "
                                  "you mean external/cprofile?); `pikos "
                                  "plugins` lists them");
}

Test(registry, ambiguous_bare_name)
{
    scan_demo_plugins();
    cr_assert_null(find("csv"));
    cr_assert_eq(err.code, PIKOS_EINVAL);
    cr_assert_str_eq(err.message, "plugin name 'csv' is ambiguous: "
                                  "recorders/csv, filters/csv; give "
                                  "KIND/NAME");
}

Test(registry, unknown_plugin_with_a_suggestion)
{
    scan_demo_plugins();
    cr_assert_null(find("monitors/funtions"));
    cr_assert_eq(err.code, PIKOS_ENOTFOUND);
    cr_assert_str_eq(err.message, "unknown plugin 'monitors/funtions' (did "
                                  "you mean monitors/functions?); `pikos "
                                  "plugins` lists them");
    cr_assert_null(find("func"));
    cr_assert_str_eq(err.message, "unknown plugin 'func' (did you mean "
                                  "monitors/functions?); `pikos plugins` "
                                  "lists them");
    cr_assert_null(find("recorders/line"));
    cr_assert_str_eq(err.message, "unknown plugin 'recorders/line' (did you "
                                  "mean monitors/lines?); `pikos plugins` "
                                  "lists them");
}

/* Ties never depend on the order of a directory listing: the plain edit
   distance, then the name, decide; up to three names are offered. */
Test(registry, close_names_are_listed_nearest_first)
{
    write_manifest(dir_a, "b.plugin", "monitor", "functions", "f");
    write_manifest(dir_a, "a.plugin", "monitor", "function_memory", "m");
    write_manifest(dir_a, "c.plugin", "monitor", "function_x", "x");
    pikos_registry_add_path(reg, dir_a);
    scan();

    cr_assert_null(find("monitors/function"));
    cr_assert_str_eq(err.message, "unknown plugin 'monitors/function' (did "
                                  "you mean monitors/functions, "
                                  "monitors/function_x or "
                                  "monitors/function_memory?); `pikos "
                                  "plugins` lists them");
}

Test(registry, unknown_plugin_without_a_suggestion)
{
    scan_demo_plugins();
    cr_assert_null(find("recorders/zmq"));
    cr_assert_str_eq(err.message, "unknown plugin 'recorders/zmq'; `pikos "
                                  "plugins` lists them");
}

Test(registry, unknown_kind)
{
    scan_demo_plugins();
    cr_assert_null(find("foo/bar"));
    cr_assert_eq(err.code, PIKOS_ENOTFOUND);
    cr_assert_str_eq(err.message, "unknown plugin kind 'foo' in 'foo/bar': "
                                  "expected monitors, filters, recorders or "
                                  "external");
}

/* ------------------------------------------------------------ listing */

static int fixture_good_is_loaded(void)
{
    void *handle =
        dlopen(FIXTURES "/good/.libs/fixture_good.so", RTLD_LAZY | RTLD_NOLOAD);

    if (handle != NULL)
        dlclose(handle); /* drop the reference RTLD_NOLOAD took */
    return handle != NULL;
}

Test(registry, listing_opens_no_library)
{
    scan_fixtures();
    cr_assert_eq(pikos_registry_count(reg), 14);
    for (size_t i = 0; i < pikos_registry_count(reg); i++) {
        const struct pikos_plugin_info *info = pikos_registry_at(reg, i);
        int corrupt = strcmp(info->name, "corrupt_manifest") == 0 ||
                      strcmp(info->name, "fx_bad_syntax") == 0;
        cr_assert_eq(info->state,
                     corrupt ? PIKOS_PLUGIN_BROKEN : PIKOS_PLUGIN_UNCHECKED,
                     "%s", info->full_name);
        cr_assert_null(info->descriptor);
    }
    cr_assert_not(fixture_good_is_loaded());
    cr_assert_eq(pikos_registry_load(reg, find("recorders/fx_good"), &err),
                 PIKOS_OK);
    cr_assert(fixture_good_is_loaded());
}

/* ------------------------------------------------------------ loading */

Test(registry, good_plugin_loads_once)
{
    struct pikos_plugin_info *info;

    scan_fixtures();
    info = find("fx_good");
    cr_assert_eq(pikos_registry_load(reg, info, &err), PIKOS_OK);
    cr_assert_eq(info->state, PIKOS_PLUGIN_OK);
    cr_assert_null(info->reason);
    cr_assert_str_eq(info->descriptor->name, "fx_good");
    cr_assert_eq(pikos_registry_load(reg, info, &err), PIKOS_OK);
}

Test(registry, registries_share_libltdl)
{
    struct pikos_registry *other = pikos_registry_new();

    /* Freeing one registry must not shut libltdl down under another. */
    cr_assert_not_null(other);
    pikos_registry_add_path(other, FIXTURES);
    pikos_registry_scan(other, &err);
    cr_assert_eq(pikos_registry_load(
                     other, pikos_registry_find(other, "fx_good", &err), &err),
                 PIKOS_OK);
    pikos_registry_free(other);
    scan_fixtures();
    cr_assert_eq(pikos_registry_load(reg, find("fx_good"), &err), PIKOS_OK);
    cr_assert_str_eq(find("fx_good")->descriptor->name, "fx_good");
}

/*
 * Loads recorders/fx_CASE and checks that it is BROKEN with the reason
 * "LIBRARY: `problem`", LIBRARY being the fixture's library path, and that
 * the error, a second load and a find all say so.
 */
static void assert_load_fails(const char *fixture, int code,
                              const char *problem)
{
    char name[128], reason[2048], message[2200];
    struct pikos_plugin_info *info;

    snprintf(name, sizeof(name), "recorders/fx_%s", fixture);
    snprintf(reason, sizeof(reason), "%s/%s/fixture_%s: %s", FIXTURES, fixture,
             fixture, problem);
    snprintf(message, sizeof(message), "plugin '%s' is broken: %s", name,
             reason);
    scan_fixtures();
    info = find(name);
    cr_assert_not_null(info, "%s", err.message);
    cr_assert_eq(pikos_registry_load(reg, info, &err), code);
    cr_assert_eq(info->state, PIKOS_PLUGIN_BROKEN);
    cr_assert_null(info->descriptor);
    cr_assert_str_eq(info->reason, reason);
    cr_assert_str_eq(err.message, message);
    pikos_error_clear(&err);
    cr_assert_eq(pikos_registry_load(reg, info, &err), code);
    cr_assert_str_eq(err.message, message);
    cr_assert_null(find(name));
    cr_assert_str_eq(err.message, message);
}

Test(registry, missing_library)
{
    assert_load_fails("missing_library", PIKOS_ENOTFOUND,
                      "cannot open it (file not found): build or reinstall "
                      "the plugin, or fix 'library' in " FIXTURES
                      "/missing_library/missing_library.plugin");
}

/* A library that is there but does not load (here a text file named .so)
   is broken with the dynamic loader's reason, not "file not found". */
Test(registry, a_library_that_does_not_load_says_why)
{
    char *manifest = tmptree_write_text(
        dir_a, "text.plugin",
        "[plugin]\nname = text\nkind = recorder\nlibrary = fixture_text\n"
        "abi = 1\n");
    char *library = tmptree_write_text(
        dir_a, "fixture_text.so",
        "This is a text file, named like a shared object but not one.\n");
    char want[4096];
    struct pikos_plugin_info *info;

    cr_assert_null(dlopen(library, RTLD_LAZY | RTLD_LOCAL));
    snprintf(want, sizeof(want),
             "%s/fixture_text: cannot open it (%s): build or reinstall the "
             "plugin, or fix 'library' in %s",
             dir_a, dlerror(), manifest);
    pikos_registry_add_path(reg, dir_a);
    scan();
    info = find("recorders/text");
    cr_assert_eq(pikos_registry_load(reg, info, &err), PIKOS_ENOTFOUND);
    cr_assert_str_eq(info->reason, want);
    cr_assert_null(strstr(want, "file not found"));
    free(manifest);
    free(library);
}

/* The constructor of fixture_crash_load raises SIGSEGV: only the child
   that tried the library dies, and this process goes on. */
Test(registry, a_library_that_crashes_as_it_loads_is_broken)
{
    assert_load_fails("crash_load", PIKOS_EPLUGIN,
                      "crashed while loading (SIGSEGV): fix or remove the "
                      "plugin");
    cr_assert_null(dlopen(FIXTURES "/crash_load/.libs/fixture_crash_load.so",
                          RTLD_LAZY | RTLD_NOLOAD));
    cr_assert_eq(pikos_registry_load(reg, find("recorders/fx_good"), &err),
                 PIKOS_OK, "%s", err.message);
}

/* ------------------------------------------------------------ the probe */

static int check_passes(void *arg, struct pikos_error *why)
{
    (void)arg, (void)why;
    return PIKOS_OK;
}

static int check_fails(void *arg, struct pikos_error *why)
{
    return pikos_error_set(why, PIKOS_EABI, "%s: says no", (char *)arg);
}

static int check_aborts(void *arg, struct pikos_error *why)
{
    (void)arg, (void)why;
    abort();
}

static int check_exits(void *arg, struct pikos_error *why)
{
    (void)arg, (void)why;
    _exit(3);
}

Test(registry, the_probe_brings_back_the_childs_verdict)
{
    cr_assert_eq(pikos_probe(check_passes, NULL, "lib", &err), PIKOS_OK);
    cr_assert_eq(pikos_probe(check_fails, "lib", "lib", &err), PIKOS_EABI);
    cr_assert_str_eq(err.message, "lib: says no");
    cr_assert_eq(pikos_probe(check_aborts, NULL, "lib", &err), PIKOS_EPLUGIN);
    cr_assert_str_eq(err.message, "lib: crashed while loading (SIGABRT): fix "
                                  "or remove the plugin");
    cr_assert_eq(pikos_probe(check_exits, NULL, "lib", &err), PIKOS_EPLUGIN);
    cr_assert_str_eq(err.message, "lib: exited with status 3 while loading: "
                                  "fix or remove the plugin");
}

Test(registry, an_instance_of_a_library_that_crashes_as_it_loads)
{
    scan_fixtures();
    cr_assert_null(
        pikos_instance_new(reg, "recorders/fx_crash_load", NULL, 0, &err));
    cr_assert_eq(err.code, PIKOS_EPLUGIN);
    cr_assert_str_eq(err.message,
                     "plugin 'recorders/fx_crash_load' is broken: " FIXTURES
                     "/crash_load/fixture_crash_load: crashed while loading "
                     "(SIGSEGV): fix or remove the plugin");
}

Test(registry, missing_symbol)
{
    assert_load_fails("missing_symbol", PIKOS_ENOTFOUND,
                      "no symbol pikos_plugin_entry: not a pikos plugin, or "
                      "one built without PIKOS_PLUGIN_DEFINE");
}

Test(registry, abi_major_mismatch)
{
    assert_load_fails("abi_major", PIKOS_EABI,
                      "built for plugin ABI 2.5, this pikos speaks 1.5: "
                      "rebuild the plugin against this pikos");
}

Test(registry, abi_minor_newer_than_the_host)
{
    assert_load_fails("abi_minor", PIKOS_EABI,
                      "built for plugin ABI 1.6, this pikos speaks 1.5: "
                      "rebuild the plugin against this pikos");
}

Test(registry, descriptor_too_small)
{
    char problem[256];
    size_t size = offsetof(struct pikos_plugin, finalize);

    snprintf(problem, sizeof(problem),
             "its descriptor has %zu bytes, plugin ABI 1.0 needs %zu: "
             "rebuild the plugin against this pikos",
             size, size + sizeof(void *));
    assert_load_fails("struct_small", PIKOS_EABI, problem);
}

Test(registry, descriptor_names_another_plugin)
{
    assert_load_fails("mismatch_name", PIKOS_EABI,
                      "the library is recorder 'fx_other' but " FIXTURES
                      "/mismatch_name/mismatch_name.plugin says recorder "
                      "'fx_mismatch_name': make them agree");
}

Test(registry, option_tables_differ)
{
    assert_load_fails("mismatch_option", PIKOS_EABI,
                      "option 'limit' has default '10' in the manifest but "
                      "'20' in the plugin: make " FIXTURES
                      "/mismatch_option/mismatch_option.plugin and the "
                      "plugin's option table agree");
}

Test(registry, monitor_declares_an_option_its_flag_gives_the_host)
{
    struct pikos_plugin_info *info;

    scan_fixtures();
    info = find("monitors/fx_host_options_twice");
    cr_assert_not_null(info);
    cr_assert_eq(pikos_registry_load(reg, info, &err), PIKOS_EABI);
    cr_assert_eq(info->state, PIKOS_PLUGIN_BROKEN);
    cr_assert(strstr(info->reason,
                     "fixture_host_options_twice: option 'threads' is the "
                     "host's (PIKOS_MONITOR_HOST_OPTIONS) but the plugin's "
                     "option table declares it too: fix the plugin") != NULL,
              "%s", info->reason);
}

Test(registry, corrupt_manifest_is_listed_as_broken)
{
    char reason[1024], message[1200];

    snprintf(reason, sizeof(reason),
             "%s/corrupt_manifest/corrupt_manifest.plugin:1: binary data "
             "(byte 0x7f): a manifest is UTF-8 text; is this file really a "
             "plugin manifest?",
             FIXTURES);
    snprintf(message, sizeof(message),
             "plugin 'corrupt_manifest' is broken: %s", reason);
    scan_fixtures();
    cr_assert_null(find("corrupt_manifest"));
    cr_assert_eq(err.code, PIKOS_EINVAL);
    cr_assert_str_eq(err.message, message);
    /* The broken one hides none of the others. */
    cr_assert_not_null(find("fx_good"));
}

/*
 * A manifest that does not parse is listed under its path with the parse
 * error; asking for the plugin it meant (by name, kind and name, or its
 * path) says that it is broken and why, not "unknown plugin".
 */
Test(registry, a_manifest_that_does_not_parse_is_broken_under_its_path)
{
    const char *path = FIXTURES "/bad_syntax/bad_syntax.plugin";
    const char *asked[] = {"recorders/fx_bad_syntax", "recorder/fx_bad_syntax",
                           "fx_bad_syntax", path};
    char reason[1024], message[1200];
    struct pikos_registry_entry *entry;

    snprintf(reason, sizeof(reason),
             "%s:5: cannot parse this line (expected [section], key = value "
             "or a ; comment)",
             path);
    scan_fixtures();
    entry = pikos_registry_entry_find(reg, path);
    cr_assert_not_null(entry);
    cr_assert_eq(entry->info.state, PIKOS_PLUGIN_BROKEN);
    cr_assert_str_eq(entry->info.reason, reason);
    for (size_t i = 0; i < sizeof(asked) / sizeof(*asked); i++) {
        snprintf(message, sizeof(message), "plugin '%s' is broken: %s",
                 asked[i], reason);
        cr_assert_null(find(asked[i]));
        cr_assert_eq(err.code, PIKOS_EINVAL);
        cr_assert_str_eq(err.message, message);
    }
    cr_assert_null(find("recorders/fx_bad_syntx"));
    cr_assert_str_eq(err.message, "unknown plugin 'recorders/fx_bad_syntx'; "
                                  "`pikos plugins` lists them");
}

/* ------------------------------------------------------------ instances */

Test(registry, instance_gets_its_options)
{
    struct pikos_option_setting settings[] = {{"limit", "5"},
                                              {"tags", "x;y;z"}};
    struct pikos_instance *inst;
    struct fixture_good_ctx *ctx;

    scan_fixtures();
    inst = pikos_instance_new(reg, "recorders/fx_good", settings, 2, &err);
    cr_assert_not_null(inst, "%s", err.message);
    cr_assert_str_eq(pikos_instance_name(inst), "recorders/fx_good");
    cr_assert_str_eq(pikos_instance_plugin(inst)->name, "fx_good");
    ctx = pikos_instance_ctx(inst);
    cr_assert_eq(ctx->limit, 5);
    cr_assert_str_eq(ctx->label, "fx");
    cr_assert_eq(ctx->tags.count, 3);
    cr_assert_str_eq(ctx->tags.items[2], "z");
    pikos_instance_free(inst);
}

Test(registry, instance_with_a_bad_option)
{
    struct pikos_option_setting settings[] = {{"limt", "5"}};

    scan_fixtures();
    cr_assert_null(
        pikos_instance_new(reg, "recorders/fx_good", settings, 1, &err));
    cr_assert_str_eq(err.message, "[recorders/fx_good] unknown option 'limt' "
                                  "(options: limit, label, tags)");
}

Test(registry, instance_of_a_broken_plugin)
{
    scan_fixtures();
    cr_assert_null(
        pikos_instance_new(reg, "recorders/fx_abi_major", NULL, 0, &err));
    cr_assert_eq(err.code, PIKOS_EABI);
    cr_assert_str_eq(err.message,
                     "plugin 'recorders/fx_abi_major' is broken: " FIXTURES
                     "/abi_major/fixture_abi_major: built for plugin ABI "
                     "2.5, this pikos speaks 1.5: rebuild the plugin against "
                     "this pikos");
}

Test(registry, init_failing)
{
    struct pikos_plugin_info *info;

    scan_fixtures();
    cr_assert_null(
        pikos_instance_new(reg, "recorders/fx_init_fails", NULL, 0, &err));
    cr_assert_eq(err.code, PIKOS_EPLUGIN);
    cr_assert_str_eq(err.message, "[recorders/fx_init_fails] cannot start: "
                                  "fixture says no");
    /* init depends on the options given: the plugin itself is fine. */
    info = find("recorders/fx_init_fails");
    cr_assert_eq(info->state, PIKOS_PLUGIN_OK);
}

Test(registry, instance_log_and_sticky_error)
{
    struct pikos_instance *inst;

    cr_redirect_stderr();
    unsetenv("PIKOS_DEBUG");
    scan_fixtures();
    inst = pikos_instance_new(reg, "fx_good", NULL, 0, &err);
    cr_assert_not_null(inst, "%s", err.message);
    pikos_instance_log(inst, PIKOS_LOG_WARNING, "disk %d%% full", 90);
    pikos_instance_log(inst, PIKOS_LOG_ERROR, "broken pipe");
    pikos_instance_log(inst, PIKOS_LOG_DEBUG, "only with PIKOS_DEBUG");
    cr_assert_eq(pikos_instance_set_error(inst, PIKOS_EIO, "first %s", "one"),
                 PIKOS_EIO);
    cr_assert_eq(pikos_instance_set_error(inst, PIKOS_EINVAL, "second"),
                 PIKOS_EINVAL);
    cr_assert_eq(pikos_instance_take_error(inst, &err), PIKOS_EIO);
    cr_assert_str_eq(err.message, "[recorders/fx_good] first one");
    cr_assert_eq(pikos_instance_take_error(inst, &err), PIKOS_OK);
    pikos_instance_free(inst);
    cr_assert_stderr_eq_str("pikos: [recorders/fx_good] warning: disk 90% "
                            "full\n"
                            "pikos: [recorders/fx_good] error: broken pipe\n");
}

/* ------------------------------------------------------------ built-ins */

struct builtin_ctx {
    int64_t depth;
};

static const struct pikos_option builtin_options[] = {
    {"depth", PIKOS_OPT_INT, 0, "3", "how deep", offsetof(struct builtin_ctx,
                                                          depth)},
    {0}};

static int builtin_record(struct pikos_instance *inst, void *ctx,
                          const struct pikos_record *rec)
{
    (void)inst, (void)ctx, (void)rec;
    return 0;
}

static const struct pikos_plugin builtin = {
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_RECORDER,
    .name = "inproc",
    .description = "a recorder compiled into the embedder",
    .options = builtin_options,
    .ctx_size = sizeof(struct builtin_ctx),
    .record = builtin_record,
};

Test(registry, a_builtin_is_listed_found_and_made_like_any_plugin)
{
    struct pikos_option_setting depth = {"depth", "7"};
    struct pikos_plugin_info *info;
    struct pikos_instance *inst;

    cr_assert_eq(pikos_registry_add_builtin(reg, &builtin, &err), 0);
    info = pikos_registry_find(reg, "inproc", &err);
    cr_assert_not_null(info, "%s", err.message);
    cr_assert_str_eq(info->full_name, "recorders/inproc");
    cr_assert_str_eq(info->summary, "a recorder compiled into the embedder");
    cr_assert_eq(info->state, PIKOS_PLUGIN_OK);
    cr_assert_eq(info->noptions, 1);
    cr_assert_str_eq(info->options[0].default_value, "3");
    inst = pikos_instance_new(reg, "recorders/inproc", &depth, 1, &err);
    cr_assert_not_null(inst, "%s", err.message);
    cr_assert_eq(((struct builtin_ctx *)pikos_instance_ctx(inst))->depth, 7);
    pikos_instance_free(inst);
}

Test(registry, a_builtins_options_are_checked)
{
    struct pikos_option_setting bad = {"depth", "deep"};

    cr_assert_eq(pikos_registry_add_builtin(reg, &builtin, &err), 0);
    cr_assert_null(pikos_instance_new(reg, "recorders/inproc", &bad, 1, &err));
    cr_assert_str_eq(err.message,
                     "[recorders/inproc] option 'depth' expects an int, "
                     "got 'deep'");
}

Test(registry, a_builtin_name_is_taken_once)
{
    cr_assert_eq(pikos_registry_add_builtin(reg, &builtin, &err), 0);
    cr_assert_eq(pikos_registry_add_builtin(reg, &builtin, &err),
                 PIKOS_EINVAL);
    cr_assert_str_eq(err.message,
                     "built-in plugin recorders/inproc: the name is taken");
}

/* ------------------------------------------------- derived metadata */

static int same_or_null(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* A descriptor's options as its manifest lists them: the host-handled
   ones first for a monitor with PIKOS_MONITOR_HOST_OPTIONS. */
static const struct pikos_option *next_in(const struct pikos_option *o)
{
    return o != NULL && o->name != NULL ? o : NULL;
}

static const struct pikos_option *first_option(const struct pikos_plugin *d,
                                               int *table)
{
    *table = 0;
    if (d->kind == PIKOS_KIND_MONITOR &&
        (d->monitor_flags & PIKOS_MONITOR_HOST_OPTIONS) != 0)
        return pikos_monitor_host_options(d->event_mask);
    *table = 1;
    return next_in(d->options);
}

static const struct pikos_option *next_option(const struct pikos_plugin *d,
                                              const struct pikos_option *o,
                                              int *table)
{
    if ((o + 1)->name != NULL)
        return o + 1;
    if (*table == 0) {
        *table = 1;
        return next_in(d->options);
    }
    return NULL;
}

/* Every in-tree manifest is written at build time by pikos-manifest from
   its plugin's descriptor: what the registry reads from it, without
   opening the library, is what the descriptor says, help texts and the
   host-handled options a monitor takes by its flag included. */
Test(registry, in_tree_manifests_say_what_their_descriptors_say)
{
    size_t n;

    pikos_registry_load_directly(reg, 1);
    cr_assert_eq(pikos_registry_add_path(reg, TEST_BUILDDIR "/plugins"),
                 PIKOS_OK);
    scan();
    n = pikos_registry_count(reg);
    cr_assert_geq(n, 14);
    for (size_t i = 0; i < n; i++) {
        struct pikos_plugin_info *info = pikos_registry_at(reg, i);
        const struct pikos_plugin *d;
        size_t count = 0;
        int table;

        cr_assert_eq(pikos_registry_load(reg, info, &err), PIKOS_OK, "%s: %s",
                     info->full_name, err.message);
        d = info->descriptor;
        cr_assert_str_eq(info->name, d->name);
        cr_assert(same_or_null(info->summary, d->description), "%s: %s",
                  info->full_name, info->summary);
        cr_assert(same_or_null(info->version, d->version));
        cr_assert(same_or_null(info->python_module, d->python_module));
        cr_assert(same_or_null(info->package, d->package));
        for (const struct pikos_option *o = first_option(d, &table); o;
             o = next_option(d, o, &table)) {
            const struct pikos_manifest_option *m = &info->options[count++];

            cr_assert_leq(count, info->noptions, "%s", info->full_name);
            cr_assert_str_eq(m->name, o->name);
            cr_assert_eq(m->type, o->type);
            cr_assert_eq(m->flags, o->flags);
            cr_assert(same_or_null(m->default_value, o->default_value));
            cr_assert(same_or_null(m->help, o->description), "%s %s: %s",
                      info->full_name, o->name, m->help);
        }
        cr_assert_eq(count, info->noptions, "%s", info->full_name);
    }
}
