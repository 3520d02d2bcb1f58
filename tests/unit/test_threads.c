/*
 * Threads: with threads=all the hook follows the threads running when
 * monitoring starts and those started later, from their first event, as a
 * threading.setprofile oracle sees them; threads=current keeps to the
 * thread that started monitoring; stopping takes the callbacks out of
 * every thread and gives threading its own hooks back.
 */
#include "focus_cases.h"

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

TestSuite(threads, .init = focus_cases_setup, .fini = harness_teardown);

/* thread_probe with `threads` watching focus_cases.threaded() sees what
   the oracle sees, thread by thread. */
static void assert_threads_recorded(const char *threads, const char *verdict)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct collect_ctx *collect = collect_from(
        pipe,
        probe_instance(&thread_probe, "monitors/thread_probe", NULL, threads));
    PyObject *rows, *result;
    char *text = NULL;

    start_ok(pipe);
    py_call("focus_cases", "threaded");
    stop_ok(pipe);
    text = collect_text(collect);
    rows = PyUnicode_FromString(text);
    cr_assert_not_null(rows);
    PyDict_SetItemString(PyModule_GetDict(PyImport_AddModule("__main__")),
                         "rows", rows);
    Py_DECREF(rows);
    free(text);
    text = py_text(strcmp(threads, "current") == 0
                       ? "compare_threads(rows, focus_cases.threaded, True)"
                       : "compare_threads(rows, focus_cases.threaded, False)");
    cr_assert_str_eq(text, verdict);
    free(text);
    result = py_eval("threading.getprofile()");
    cr_assert_eq(result, Py_None);
    Py_DECREF(result);
    pikos_pipeline_free(pipe);
}

Test(threads, threads_started_later_are_recorded_from_their_first_event)
{
    assert_threads_recorded("all", "same 2 threads");
}

Test(threads, threads_current_keeps_to_the_starting_thread)
{
    assert_threads_recorded("current", "same 1 threads");
}

/* How many threads of the interpreter have our callbacks (or any). */
static int threads_with(int profile)
{
    PyInterpreterState *interp =
        PyThreadState_GetInterpreter(PyThreadState_Get());
    int count = 0;

    for (PyThreadState *t = PyInterpreterState_ThreadHead(interp); t != NULL;
         t = PyThreadState_Next(t))
        count += (profile ? t->c_profilefunc : t->c_tracefunc) != NULL;
    return count;
}

static const char sleeper_source[] =
    "import threading\n"
    "gate, running, last_gate = (threading.Event() for _ in range(3))\n"
    "def sleep_until_open():\n"
    "    gate.wait()\n"
    "    focus_cases.spin(2)\n"
    "def sleep_until_last():\n"
    "    running.set()\n"
    "    last_gate.wait()\n"
    "def own_hook(*args):\n"
    "    pass\n"
    "threading.setprofile(own_hook)\n"
    "threading.settrace(own_hook)\n"
    "sleeper = threading.Thread(target=sleep_until_open)\n"
    "sleeper.start()\n";

static int occurrences(const char *text, const char *what)
{
    int count = 0;

    for (const char *p = strstr(text, what); p; p = strstr(p + 1, what))
        count++;
    return count;
}

/* A thread running before monitoring starts is monitored; so is one
   started later; both lose the callbacks at stop, and threading gets its
   own hooks back. */
/* (The legacy hook's own mechanics: sys.monitoring is the interpreter's,
   every thread has it.) */
Test(threads, running_threads_get_the_callbacks_and_lose_them_at_stop)
{
    harness_use_legacy_hook();
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct collect_ctx *collect =
        collect_from(pipe, registry_instance("monitors/functions", NULL, 0));
    char *text;

    pipeline_add_ok(pipe, probe_instance(&focus_lines, "monitors/focus_lines",
                                         "spin", NULL));
    py_run(sleeper_source);
    start_ok(pipe);
    cr_assert_eq(threads_with(1), 2);
    cr_assert_eq(threads_with(0), 2);
    py_run("assert threading.getprofile() is not own_hook\n"
           "assert threading.gettrace() is not own_hook\n"
           "gate.set()\n"
           "sleeper.join()\n"
           "last = threading.Thread(target=sleep_until_last)\n"
           "last.start()\n"
           "running.wait()\n");
    cr_assert_eq(threads_with(1), 2);
    cr_assert_eq(threads_with(0), 2);
    stop_ok(pipe);
    cr_assert_eq(threads_with(1), 0);
    cr_assert_eq(threads_with(0), 0);
    py_run("assert threading.getprofile() is own_hook\n"
           "assert threading.gettrace() is own_hook\n"
           "threading.setprofile(None)\n"
           "threading.settrace(None)\n"
           "last_gate.set()\n"
           "last.join()\n");

    text = collect_text(collect);
    cr_assert_eq(occurrences(text, "|call|spin|49|focus_cases.py\n"), 1);
    cr_assert_eq(occurrences(text, "|call|sleep_until_last|"), 1);
    cr_assert_eq(occurrences(text, "|line|spin|"), 7); /* spin(2) */
    free(text);
    pikos_pipeline_free(pipe);
}

/* A thread that starts after monitoring stopped finds pikos's hook (it
   read threading's hook before): the hook takes itself out. */
Test(threads, a_thread_starting_after_stop_drops_the_hook)
{
    harness_use_legacy_hook();
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct collect_ctx *collect =
        collect_from(pipe, registry_instance("monitors/functions", NULL, 0));
    size_t recorded;

    start_ok(pipe);
    py_run("import threading\n"
           "late_hook = threading.getprofile()\n");
    stop_ok(pipe);
    recorded = collect->count;
    py_run("after = []\n"
           "def late():\n"
           "    sys.setprofile(late_hook)\n"
           "    focus_cases.spin(2)\n"
           "    after.append(sys.getprofile())\n"
           "late_thread = threading.Thread(target=late)\n"
           "late_thread.start()\n"
           "late_thread.join()\n"
           "assert after == [None], after\n"
           "assert late_hook.__name__ == 'pikos_profile_new_thread'\n");
    cr_assert_eq(collect->count, recorded);
    pikos_pipeline_free(pipe);
}
