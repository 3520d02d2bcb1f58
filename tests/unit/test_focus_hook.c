/*
 * Focused monitoring through the hook: what focused function and line
 * monitors record equals the pure-Python oracles of focus_cases.h (a
 * focused function calling helpers, helpers called outside the focus,
 * recursion, a generator suspended and resumed, an exception unwinding
 * through focus frames, qualified and module names); two monitors run at
 * once with their own recorders; bad options fail when the monitor is
 * made; names that matched nothing are named after the stop.
 */
#include "focus_cases.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

TestSuite(focus_hook, .init = focus_cases_setup, .fini = harness_teardown);

static struct pikos_instance *functions_monitor(const char *functions)
{
    struct pikos_option_setting focus = {"functions", functions};
    return registry_instance("monitors/functions", &focus, 1);
}

/* What pikos_pipeline_check_focus said after the last run of
   assert_function_focus ("" when every name matched). */
static char unmatched[1024];

/* monitors/functions:functions=NAMES watching focus_cases.run() records
   what focus_oracle does; returns the number of rows. */
static size_t assert_function_focus(const char *names)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct collect_ctx *collect = collect_from(pipe, functions_monitor(names));
    char oracle[256];
    size_t rows;

    struct pikos_error err = {0};

    start_ok(pipe);
    py_call("focus_cases", "run");
    stop_ok(pipe);
    cr_assert_eq(pikos_pipeline_check_focus(pipe, &err),
                 err.message[0] ? PIKOS_ENOTFOUND : 0);
    snprintf(unmatched, sizeof(unmatched), "%s", err.message);
    snprintf(oracle, sizeof(oracle),
             "focus_oracle(focus_cases.run, '%s'.split(';'))", names);
    assert_rows_equal_oracle(collect, oracle);
    rows = collect->count;
    pikos_pipeline_free(pipe);
    return rows;
}

static size_t all_rows(void)
{
    char *text = py_text("len(focus_oracle(focus_cases.run, None)"
                         ".splitlines())");
    size_t count = (size_t)atoi(text);
    free(text);
    return count;
}

Test(focus_hook, a_focused_function_records_its_helpers_not_the_others)
{
    size_t rows = assert_function_focus("focused");

    /* focused -> helper, Shape.__init__, Shape.area -> helper: 14 events
       of the many of run(). */
    cr_assert_eq(rows, 14);
    cr_assert_gt(all_rows(), 3 * rows);
}

Test(focus_hook, recursion_is_recorded_until_the_outermost_return)
{
    /* recurse(2), (1), (0) and the helper(2), helper(1) they call. */
    cr_assert_eq(assert_function_focus("recurse"), 14);
}

Test(focus_hook, a_suspended_generator_is_not_on_the_stack)
{
    /* numbers(3): a start and three resumptions, the first three with
       the helper they call, but not consume's helper calls between them. */
    cr_assert_eq(assert_function_focus("numbers"), 20);
}

Test(focus_hook, an_exception_unwinding_through_focus_frames_ends_them)
{
    cr_assert_eq(assert_function_focus("fails"), 6);
}

Test(focus_hook, qualified_and_module_names)
{
    cr_assert_eq(assert_function_focus("Shape.area"), 12);
    cr_assert_eq(assert_function_focus("focus_cases:recurse"), 14);
    cr_assert_eq(assert_function_focus("Shape.area;focus_cases:fails"), 18);
}

/* A module that is not the code's file: nothing, and a warning. */
Test(focus_hook, a_module_name_must_match_the_file)
{
    cr_assert_eq(assert_function_focus("elsewhere:recurse"), 0);
    cr_assert_str_eq(unmatched, "[monitors/functions] focus "
                                "'elsewhere:recurse' (functions=, "
                                "--focused-on) matched no function that ran");
}

/* Each run resolves its names afresh, although the code objects are the
   same and the verdict bit is reused. */
Test(focus_hook, verdicts_do_not_outlive_their_monitor)
{
    cr_assert_eq(assert_function_focus("recurse"), 14);
    cr_assert_eq(assert_function_focus("helper"), 52); /* 13 calls */
    cr_assert_eq(assert_function_focus("recurse"), 14);
}

Test(focus_hook, a_line_monitor_records_the_focus_frames_only)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct collect_ctx *collect =
        collect_from(pipe, probe_instance(&focus_lines, "monitors/focus_lines",
                                          "fails;numbers;Shape.area", NULL));
    char *text;

    start_ok(pipe);
    py_call("focus_cases", "run");
    stop_ok(pipe);
    assert_rows_equal_oracle(collect, "line_focus_oracle(focus_cases.run, "
                                      "['fails', 'numbers', 'Shape.area'])");
    text = collect_text(collect);
    cr_assert_not_null(strstr(text, "|exception|fails|32\n"));
    cr_assert_null(strstr(text, "|helper|"));
    free(text);
    pikos_pipeline_free(pipe);
}

/* A monitor that records no call or return still follows the focus. */
Test(focus_hook, a_monitor_without_calls_in_its_mask_follows_the_focus)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct collect_ctx *collect = collect_from(
        pipe, probe_instance(&focus_c_calls, "monitors/focus_c_calls",
                             "focused;recurse", NULL));

    start_ok(pipe);
    py_call("focus_cases", "run");
    stop_ok(pipe);
    assert_rows_equal_oracle(
        collect, "c_call_oracle(focus_cases.run, ['focused', 'recurse'])");
    cr_assert_eq(collect->count, 4); /* abs, from each helper call */
    pikos_pipeline_free(pipe);
}

static void add_csv(struct pikos_pipeline *pipe, const char *path)
{
    struct pikos_option_setting file = {"filename", path};
    pipeline_add_ok(pipe, registry_instance("recorders/csv", &file, 1));
}

static void assert_csv(const char *path, const char *names,
                       const char *expected)
{
    char script[256];
    char *verdict;

    snprintf(script, sizeof(script), "compare_csv('%s', focus_cases.run, %s)",
             path, names);
    verdict = py_text(script);
    cr_assert_str_eq(verdict, expected);
    free(verdict);
}

Test(focus_hook, two_monitors_at_once_each_with_its_recorder)
{
    struct pikos_pipeline *all = pikos_pipeline_new();
    struct pikos_pipeline *focused = pikos_pipeline_new();
    char all_path[64], focused_path[64];

    temp_path(all_path);
    temp_path(focused_path);
    pipeline_add_ok(all, registry_instance("monitors/functions", NULL, 0));
    add_csv(all, all_path);
    pipeline_add_ok(focused, functions_monitor("recurse"));
    add_csv(focused, focused_path);
    start_ok(all);
    start_ok(focused);
    start_ok(all); /* nested: only counts */
    py_call("focus_cases", "run");
    stop_ok(all);
    stop_ok(focused);
    cr_assert(pikos_pipeline_is_running(all));
    stop_ok(all);
    pikos_pipeline_free(all);
    pikos_pipeline_free(focused);

    assert_csv(all_path, "None", "same 88 events");
    assert_csv(focused_path, "['recurse']", "same 14 events");
    unlink(all_path);
    unlink(focused_path);
}

/* Bad host-handled options fail when the monitor is made, before any
   recorder of its pipeline starts. */
static void assert_monitor_refused(const char *key, const char *value,
                                   const char *message)
{
    struct pikos_option_setting setting = {key, value};
    struct pikos_error err = {0};

    cr_assert_null(pikos_instance_new(harness_registry, "monitors/functions",
                                      &setting, 1, &err));
    cr_assert_eq(err.code, PIKOS_EINVAL);
    cr_assert_str_eq(err.message, message);
}

Test(focus_hook, a_bad_threads_value_is_refused)
{
    assert_monitor_refused(
        "threads", "main",
        "[monitors/functions] threads=main is not a choice: give threads=all "
        "(every thread) or threads=current (the thread that starts "
        "monitoring)");
}

Test(focus_hook, a_malformed_focus_name_is_refused)
{
    assert_monitor_refused("functions", "recurse;pkg:",
                           "[monitors/functions] functions: 'pkg:' names no "
                           "function (give f, Class.method or module:f)");
}

Test(focus_hook, at_most_64_focused_monitors_at_once)
{
    struct pikos_pipeline *pipes[65];
    struct pikos_error err = {0};

    for (int i = 0; i < 65; i++) {
        pipes[i] = pikos_pipeline_new();
        pipeline_add_ok(pipes[i], functions_monitor("recurse"));
    }
    for (int i = 0; i < 64; i++)
        start_ok(pipes[i]);
    cr_assert_eq(pikos_pipeline_start(pipes[64], &err), PIKOS_ESTATE);
    cr_assert_str_eq(err.message, "[monitors/functions] cannot focus: 64 "
                                  "focused monitors are running already; "
                                  "stop one first");
    stop_ok(pipes[0]);
    start_ok(pipes[64]); /* the bit of the one stopped */
    py_call("focus_cases", "run");
    for (int i = 1; i < 65; i++)
        stop_ok(pipes[i]);
    for (int i = 0; i < 65; i++)
        pikos_pipeline_free(pipes[i]);
}
