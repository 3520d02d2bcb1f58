/*
 * core/focus.c on its own: which code objects a focus name matches (by
 * co_name, co_qualname, module file and the main file), malformed names,
 * the warning about names that matched nothing, and the per-thread count
 * of focus frames.  No Python: code objects are described by hand.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include "internal.h"

static struct pikos_code code_of(const char *name, const char *qualname,
                                 const char *filename)
{
    return (struct pikos_code){
        .name = name,
        .name_len = strlen(name),
        .qualname = qualname,
        .qualname_len = strlen(qualname),
        .filename = filename,
        .filename_len = strlen(filename),
    };
}

/* A focus on `text` (names separated by ';'); fails the test if invalid. */
static struct pikos_focus *focus_on(const char *text)
{
    char *copy = strdup(text), *items[8];
    struct pikos_strlist names = {0, items};
    struct pikos_error err = {0};
    struct pikos_focus *focus;

    for (char *item = strtok(copy, ";"); item; item = strtok(NULL, ";"))
        items[names.count++] = item;
    cr_assert_eq(pikos_focus_new(&names, "monitors/probe", &focus, &err), 0,
                 "%s", err.message);
    free(copy); /* the focus keeps no pointer into the text it was given */
    return focus;
}

static int matches(const char *names, const char *name, const char *qualname,
                   const char *filename)
{
    struct pikos_focus *focus = focus_on(names);
    struct pikos_code code = code_of(name, qualname, filename);
    int verdict = pikos_focus_matches(focus, &code);

    pikos_focus_free(focus);
    return verdict;
}

Test(focus, a_plain_name_is_the_code_name_or_the_qualified_name)
{
    cr_assert(matches("gcd", "gcd", "gcd", "/app/m.py"));
    cr_assert(matches("gcd", "gcd", "Math.gcd", "/app/m.py"));
    cr_assert(matches("<lambda>", "<lambda>", "f.<locals>.<lambda>", "m.py"));
    cr_assert_not(matches("gcd", "gcd2", "gcd2", "/app/m.py"));
    cr_assert_not(matches("gcd", "lcm", "gcd.<locals>.lcm", "/app/m.py"));
}

Test(focus, a_dotted_name_is_the_qualified_name_only)
{
    cr_assert(matches("Math.gcd", "gcd", "Math.gcd", "/app/m.py"));
    cr_assert_not(matches("Math.gcd", "gcd", "Other.gcd", "/app/m.py"));
    cr_assert_not(matches("Math.gcd", "gcd", "gcd", "/app/m.py"));
}

Test(focus, a_module_is_the_end_of_the_file_path)
{
    const char *name = "pkg.mod:f";

    cr_assert(matches(name, "f", "f", "/src/pkg/mod.py"));
    cr_assert(matches(name, "f", "f", "/src/pkg/mod/__init__.py"));
    cr_assert(matches(name, "f", "f", "pkg/mod.py"));
    cr_assert_not(matches(name, "f", "f", "/src/mypkg/mod.py"));
    cr_assert_not(matches(name, "f", "f", "/src/pkg/mod.pyc"));
    cr_assert_not(matches(name, "f", "f", "/src/pkg/module.py"));
    cr_assert_not(matches(name, "g", "g", "/src/pkg/mod.py"));
    cr_assert(matches("app:Shape.area", "area", "Shape.area", "/x/app.py"));
    cr_assert_not(matches("app:Shape.area", "area", "Shape.area", "/x/b.py"));
}

Test(focus, a_module_with_a_slash_is_exactly_that_file)
{
    const char *name = "/src/app.py:Shape.area";

    cr_assert(matches(name, "area", "Shape.area", "/src/app.py"));
    cr_assert_not(matches(name, "area", "Shape.area", "/x/src/app.py"));
    cr_assert_not(matches(name, "area", "Shape.area", "/src/app.pyc"));
    cr_assert_not(matches(name, "area", "Other.area", "/src/app.py"));
    /* The function follows the last ':'; the file name may hold one. */
    cr_assert(matches("/a:b/app.py:f", "f", "f", "/a:b/app.py"));
    cr_assert(matches("/src/app.py:f", "f", "f", "/src/app.py"));
}

Test(focus, main_is_the_file_the_program_runs_from)
{
    cr_assert_not(matches("__main__:f", "f", "f", "/work/app.py"));
    pikos_set_main_filename("/work/app.py");
    cr_assert(matches("__main__:f", "f", "f", "/work/app.py"));
    cr_assert_not(matches("__main__:f", "f", "f", "/other/app.py"));
    cr_assert_not(matches("__main__:f", "f", "f", "/work/app.pyx"));
    pikos_set_main_filename(NULL);
    cr_assert_not(matches("__main__:f", "f", "f", "/work/app.py"));
}

Test(focus, any_of_several_names_matches)
{
    cr_assert(matches("f;g;Box.put", "g", "g", "/m.py"));
    cr_assert(matches("f;g;Box.put", "put", "Box.put", "/m.py"));
    cr_assert_not(matches("f;g;Box.put", "put", "Bag.put", "/m.py"));
}

static void assert_invalid(const char *name, const char *message)
{
    char *items[1] = {(char *)name};
    struct pikos_strlist names = {1, items};
    struct pikos_error err = {0};
    struct pikos_focus *focus = (struct pikos_focus *)&err; /* overwritten */

    cr_assert_eq(pikos_focus_new(&names, "monitors/probe", &focus, &err),
                 PIKOS_EINVAL);
    cr_assert_null(focus);
    cr_assert_str_eq(err.message, message);
}

Test(focus, malformed_names_are_errors_naming_the_monitor)
{
    assert_invalid("", "[monitors/probe] functions: '' names no function "
                       "(give f, Class.method or module:f)");
    assert_invalid(":f", "[monitors/probe] functions: ':f' has no module "
                         "before ':' (give f, Class.method or module:f)");
    assert_invalid("m:", "[monitors/probe] functions: 'm:' names no "
                         "function (give f, Class.method or module:f)");
    assert_invalid("a:b:c", "[monitors/probe] functions: 'a:b:c' has more "
                            "than one ':' (give f, Class.method or "
                            "module:f)");
}

Test(focus, names_that_matched_nothing_are_named)
{
    struct pikos_focus *focus = focus_on("used;unused;Box.missing");
    struct pikos_code code = code_of("used", "used", "/m.py");
    char *unmatched;

    pikos_focus_matches(focus, &code);
    unmatched = pikos_focus_unmatched(focus);
    cr_assert_str_eq(unmatched, "'unused', 'Box.missing'");
    free(unmatched);
    pikos_focus_free(focus);
}

Test(focus, nothing_is_named_when_every_name_matched)
{
    struct pikos_focus *focus = focus_on("used");
    struct pikos_code code = code_of("used", "used", "/m.py");

    pikos_focus_matches(focus, &code);
    cr_assert_null(pikos_focus_unmatched(focus));
    pikos_focus_free(focus);
}

/* A start that failed before any code ran is not worth a word. */
Test(focus, nothing_is_named_when_no_code_was_compared)
{
    struct pikos_focus *focus = focus_on("unused");

    cr_assert_null(pikos_focus_unmatched(focus));
    pikos_focus_free(focus);
}

Test(focus, each_thread_counts_its_own_focus_frames)
{
    struct pikos_focus *focus = focus_on("f");

    cr_assert_not(pikos_focus_inside(focus, 1));
    cr_assert_eq(pikos_focus_enter(focus, 1), 0);
    cr_assert_eq(pikos_focus_enter(focus, 1), 0); /* recursion */
    cr_assert(pikos_focus_inside(focus, 1));
    cr_assert_not(pikos_focus_inside(focus, 2));
    cr_assert_eq(pikos_focus_enter(focus, 2), 0);
    pikos_focus_leave(focus, 1);
    cr_assert(pikos_focus_inside(focus, 1));
    pikos_focus_leave(focus, 1);
    cr_assert_not(pikos_focus_inside(focus, 1));
    cr_assert(pikos_focus_inside(focus, 2));
    pikos_focus_leave(focus, 1); /* a return of a frame entered before */
    cr_assert_not(pikos_focus_inside(focus, 1));
    pikos_focus_leave(focus, 2);
    cr_assert_not(pikos_focus_inside(focus, 2));
    pikos_focus_free(focus);
}

Test(focus, many_threads_inside_at_once)
{
    struct pikos_focus *focus = focus_on("f");

    for (uint64_t id = 1; id <= 100; id++)
        cr_assert_eq(pikos_focus_enter(focus, id * 7919), 0);
    for (uint64_t id = 1; id <= 100; id += 2)
        pikos_focus_leave(focus, id * 7919);
    for (uint64_t id = 1; id <= 100; id++)
        cr_assert_eq(pikos_focus_inside(focus, id * 7919), id % 2 == 0,
                     "thread %llu", (unsigned long long)id);
    pikos_focus_free(focus);
}

/* ------------------------------------------------------------ host entry */

/* The host's focus_matches (ABI 1.2), as external/line_profiler calls it:
   focus.c's rules, and which names matched gathered over calls. */
Test(focus, the_host_entry_matches_as_the_focus_does)
{
    char *items[] = {"gcd", "Shape.area", "pkg.geo:norm", "nothing"};
    struct pikos_strlist names = {4, items};
    unsigned char matched[4] = {0};
    struct pikos_code gcd = code_of("gcd", "Math.gcd", "/app/m.py");
    struct pikos_code area = code_of("area", "Shape.area", "/app/s.py");
    struct pikos_code norm = code_of("norm", "norm", "/src/pkg/geo.py");
    struct pikos_code other = code_of("area", "area", "/app/pkg/geo.py");

    cr_assert(PIKOS_HOST_HAS(&pikos_host_table, focus_matches));
    cr_assert_eq(pikos_host_table.focus_matches(&names, &gcd, matched), 1);
    cr_assert_eq(pikos_host_table.focus_matches(&names, &area, matched), 1);
    cr_assert_eq(pikos_host_table.focus_matches(&names, &other, matched), 0);
    cr_assert_eq(pikos_host_table.focus_matches(&names, &norm, NULL), 1);
    cr_assert_eq(matched[0] + matched[1], 2);
    cr_assert_eq(matched[2] + matched[3], 0, "NULL gathers nothing");
    cr_assert_eq(pikos_host_table.focus_matches(&names, &norm, matched), 1);
    cr_assert_eq(matched[2], 1);
    cr_assert_eq(matched[3], 0);
}

Test(focus, the_host_entry_refuses_a_malformed_name)
{
    char *items[] = {"gcd", "pkg:"};
    struct pikos_strlist names = {2, items};
    unsigned char matched[2] = {0};
    struct pikos_code gcd = code_of("gcd", "gcd", "/app/m.py");

    cr_assert_eq(pikos_host_table.focus_matches(&names, &gcd, matched),
                 PIKOS_EINVAL);
    cr_assert_eq(matched[0], 0);
}
