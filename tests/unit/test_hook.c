/*
 * The CPython hook: the events pikos reports equal what pure-Python
 * sys.setprofile / sys.settrace callbacks see on the same code (the
 * oracles of pipeline_harness.h), hooks come and go with the monitors that
 * need them, timestamps only when asked for, C callables are named as
 * Python names them, and a plugin running Python code is not monitored.
 */
#include "pipeline_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

TestSuite(hook, .init = harness_setup, .fini = harness_teardown);

/* Compares a FunctionRecord CSV file with the setprofile oracle. */
static const char compare_source[] =
    "import csv\n"
    "def compare_csv(path, fn):\n"
    "    expected = oracle(fn).splitlines()\n"
    "    with open(path, newline='') as f:\n"
    "        rows = list(csv.reader(f))\n"
    "    if rows[0] != ['index', 'type', 'function', 'lineNo', 'filename']:\n"
    "        return 'header %r' % (rows[0],)\n"
    "    indexes = [int(row[0]) for row in rows[1:]]\n"
    "    if any(b <= a for a, b in zip(indexes, indexes[1:])):\n"
    "        return 'index does not strictly increase'\n"
    "    got = ['|'.join(row[1:]) for row in rows[1:] if row[4] in FILES]\n"
    "    for i, (a, b) in enumerate(zip(got, expected)):\n"
    "        if a != b:\n"
    "            return 'event %d: pikos %s, sys.setprofile %s' % (i, a, b)\n"
    "    if len(got) != len(expected):\n"
    "        return 'pikos: %d events, sys.setprofile: %d' % (len(got),\n"
    "                                                       len(expected))\n"
    "    return 'same %d events' % len(got)\n";

static void start_ok(struct pikos_pipeline *pipe)
{
    struct pikos_error err = {0};
    int rc = pikos_pipeline_start(pipe, &err);
    cr_assert_eq(rc, 0, "%s", err.message);
}

static void stop_ok(struct pikos_pipeline *pipe)
{
    struct pikos_error err = {0};
    int rc = pikos_pipeline_stop(pipe, &err);
    cr_assert_eq(rc, 0, "%s", err.message);
}

/* A monitor -> recorders/collect pipeline; returns the recorder's ctx. */
static struct collect_ctx *collect_from(struct pikos_pipeline *pipe,
                                        struct pikos_instance *monitor)
{
    struct pikos_instance *recorder =
        local_instance(&collect_recorder, "recorders/collect");

    pipeline_add_ok(pipe, monitor);
    pipeline_add_ok(pipe, recorder);
    return pikos_instance_ctx(recorder);
}

Test(hook, function_events_equal_those_of_setprofile)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    char path[64], expected[64], script[128];
    char *oracle_count, *verdict;

    temp_path(path);
    struct pikos_option_setting file = {"filename", path};
    pipeline_add_ok(pipe, registry_instance("monitors/functions", NULL, 0));
    pipeline_add_ok(pipe, registry_instance("recorders/csv", &file, 1));
    start_ok(pipe);
    py_call("workload", "run");
    stop_ok(pipe);
    pikos_pipeline_free(pipe);

    py_run(compare_source);
    oracle_count = py_text("len(oracle(workload.run).splitlines())");
    cr_assert_gt(atoi(oracle_count), 40);
    snprintf(expected, sizeof(expected), "same %s events", oracle_count);
    snprintf(script, sizeof(script), "compare_csv('%s', workload.run)", path);
    verdict = py_text(script);
    cr_assert_str_eq(verdict, expected);
    free(verdict);
    free(oracle_count);
    unlink(path);
}

Test(hook, line_and_exception_events_equal_those_of_settrace)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct collect_ctx *collect =
        collect_from(pipe, local_instance(&line_probe, "monitors/line_probe"));
    char *expected, *got;

    start_ok(pipe);
    py_call("workload", "run");
    stop_ok(pipe);
    expected = py_text("line_oracle(workload.run)");
    got = collect_text(collect);
    cr_assert_not_null(strstr(expected, "line|recurse|recurse|12|13\n"));
    cr_assert_not_null(strstr(expected, "exception|fails|fails|19|20\n"));
    cr_assert_str_eq(got, expected);
    free(got);
    free(expected);
    pikos_pipeline_free(pipe);
}

Test(hook, hooks_are_installed_only_while_a_monitor_needs_them)
{
    struct pikos_pipeline *functions = pikos_pipeline_new();
    struct pikos_pipeline *lines = pikos_pipeline_new();

    collect_from(functions, registry_instance("monitors/functions", NULL, 0));
    collect_from(lines, local_instance(&line_probe, "monitors/line_probe"));
    start_ok(functions);
    cr_assert(harness_hook_installed(1));
    cr_assert_not(harness_hook_installed(0));
    start_ok(lines);
    cr_assert(harness_hook_installed(0));
    stop_ok(lines);
    cr_assert_not(harness_hook_installed(0));
    cr_assert(harness_hook_installed(1));
    stop_ok(functions);
    cr_assert_not(harness_hook_installed(1));
    pikos_pipeline_free(functions);
    pikos_pipeline_free(lines);
}

Test(hook, events_carry_a_time_only_when_a_monitor_wants_it)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct pikos_instance *untimed =
        local_instance(&line_probe, "monitors/line_probe");
    struct pikos_instance *timed =
        local_instance(&timed_probe, "monitors/timed_probe");
    struct probe_monitor_ctx *line = pikos_instance_ctx(untimed);
    struct probe_monitor_ctx *call = pikos_instance_ctx(timed);

    collect_from(pipe, untimed);
    start_ok(pipe);
    py_call("workload", "run");
    stop_ok(pipe);
    cr_assert_gt(line->events, 0);
    cr_assert_eq(line->zero_times, line->events);

    pipeline_add_ok(pipe, timed);
    start_ok(pipe);
    py_call("workload", "run");
    stop_ok(pipe);
    cr_assert_gt(call->events, 5);
    cr_assert_eq(call->zero_times, 0);
    cr_assert_not(call->time_went_back);
    pikos_pipeline_free(pipe);
}

/* A monitor whose wish for time is its option `time`
   (PIKOS_MONITOR_TIME_OPTION): it counts its events and those that came
   without a timestamp. */
struct time_option_ctx {
    struct probe_monitor_ctx seen;
    int time; /* the option */
};

static const struct pikos_option time_option_options[] = {
    {PIKOS_MONITOR_OPTION_TIME, PIKOS_OPT_BOOL, 0, "false", "timestamps",
     offsetof(struct time_option_ctx, time)},
    {0},
};

static const struct pikos_field count_fields[] = {{"n", PIKOS_FIELD_INT}};
static const struct pikos_schema count_schema = {
    .name = "CountRecord",
    .nfields = 1,
    .fields = count_fields,
    .header_template = "{}",
    .line_template = "{}",
};

static void time_option_on_event(struct pikos_instance *inst, void *ctx,
                                 const struct pikos_event *ev)
{
    struct time_option_ctx *self = ctx;

    (void)inst;
    self->seen.events++;
    self->seen.zero_times += ev->time_ns == 0;
}

static const struct pikos_plugin time_option_probe = {
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_MONITOR,
    .name = "time_option_probe",
    .options = time_option_options,
    .ctx_size = sizeof(struct time_option_ctx),
    .event_mask = PIKOS_EVENT_BIT(PIKOS_EVENT_CALL),
    .monitor_flags = PIKOS_MONITOR_TIME_OPTION,
    .schema = &count_schema,
    .on_event = time_option_on_event,
};

static struct time_option_ctx *time_option_instance(struct pikos_pipeline *pipe,
                                                    int time)
{
    struct pikos_instance *inst =
        local_instance(&time_option_probe, "monitors/time_option_probe");
    struct time_option_ctx *ctx = pikos_instance_ctx(inst);

    ctx->time = time;
    pipeline_add_ok(pipe, inst);
    return ctx;
}

/* Each instance's option decides: time=false alone gets no time, a
   time=true instance gets one on every event. */
Test(hook, a_time_option_asks_for_time_per_instance)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct time_option_ctx *untimed = time_option_instance(pipe, 0);
    struct time_option_ctx *timed;

    pipeline_add_ok(pipe,
                    local_instance(&collect_recorder, "recorders/collect"));
    start_ok(pipe);
    py_call("workload", "run");
    stop_ok(pipe);
    cr_assert_gt(untimed->seen.events, 5);
    cr_assert_eq(untimed->seen.zero_times, untimed->seen.events);

    timed = time_option_instance(pipe, 1);
    start_ok(pipe);
    py_call("workload", "run");
    stop_ok(pipe);
    cr_assert_gt(timed->seen.events, 5);
    cr_assert_eq(timed->seen.zero_times, 0);
    pikos_pipeline_free(pipe);
}

/* Calls the installed profile callback as CPython would, with callables
   CPython itself never reports, and with a pending exception (the legacy
   hook's callback: sys.monitoring's reach the same naming). */
Test(hook, other_callables_are_named_like_python_does)
{
    harness_use_legacy_hook();
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct collect_ctx *collect =
        collect_from(pipe, registry_instance("monitors/functions", NULL, 0));
    PyObject *frame, *named, *nameless;
    Py_tracefunc profile;
    char *text;

    py_run("import functools\n"
           "class Named:\n"
           "    __name__ = 'custom_name'\n"
           "    def __call__(self): pass\n"
           "named, nameless = Named(), functools.partial(len)\n"
           "frame = sys._getframe()\n");
    frame = py_eval("frame");
    named = py_eval("named");
    nameless = py_eval("nameless");
    start_ok(pipe);
    profile = PyThreadState_Get()->c_profilefunc;
    PyErr_SetString(PyExc_KeyError, "the program's own");
    profile(NULL, (PyFrameObject *)frame, PyTrace_C_CALL, named);
    profile(NULL, (PyFrameObject *)frame, PyTrace_C_RETURN, named);
    profile(NULL, (PyFrameObject *)frame, PyTrace_C_CALL, nameless);
    cr_assert(PyErr_ExceptionMatches(PyExc_KeyError));
    PyErr_Clear();
    stop_ok(pipe);

    text = collect_text(collect);
    cr_assert_str_eq(text, "0|c_call|custom_name|6|<string>\n"
                           "1|c_return|custom_name|6|<string>\n"
                           "2|c_call|functools.partial|6|<string>\n");
    free(text);
    Py_DECREF(frame);
    Py_DECREF(named);
    Py_DECREF(nameless);
    pikos_pipeline_free(pipe);
}

/* The recorder calls tiny.g() for every record: were that monitored, each
   record would make six more.  CPython suspends its hooks while they run;
   the hook's own guard covers a callback reached any other way (here: a
   direct call). */
Test(hook, python_code_run_by_a_plugin_is_not_monitored)
{
    harness_use_legacy_hook(); /* it calls the profile callback directly */
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct collect_ctx *collect =
        collect_from(pipe, registry_instance("monitors/functions", NULL, 0));
    PyObject *frame, *builtin;
    char *text;

    py_run("frame = sys._getframe()\n");
    frame = py_eval("frame");
    builtin = py_eval("len");
    collect->callback = py_function("tiny", "g");
    start_ok(pipe);
    py_call("tiny", "g");
    PyThreadState_Get()->c_profilefunc(NULL, (PyFrameObject *)frame,
                                       PyTrace_C_CALL, builtin);
    stop_ok(pipe);
    Py_CLEAR(collect->callback);

    text = collect_text(collect);
    cr_assert_str_eq(text, "0|call|g|4|tiny.py\n"
                           "1|call|f|1|tiny.py\n"
                           "2|c_call|len|2|tiny.py\n"
                           "3|c_return|len|2|tiny.py\n"
                           "4|return|f|2|tiny.py\n"
                           "5|return|g|5|tiny.py\n"
                           "6|c_call|len|1|<string>\n");
    free(text);
    Py_DECREF(frame);
    Py_DECREF(builtin);
    pikos_pipeline_free(pipe);
}

/* A file name with a lone surrogate (undecodable bytes in a path) has no
   UTF-8 form: it is escaped as Python's backslashreplace does. */
Test(hook, names_that_are_not_utf8_are_escaped)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct collect_ctx *collect =
        collect_from(pipe, registry_instance("monitors/functions", NULL, 0));
    char *text;

    py_run("odd = {}\n"
           "exec(compile('def f():\\n    return 1\\n', 'bad\\udcff.py', "
           "'exec'), odd)\n"
           "odd = types.SimpleNamespace(**odd)\n");
    start_ok(pipe);
    py_call("odd", "f");
    stop_ok(pipe);

    text = collect_text(collect);
    cr_assert_str_eq(text, "0|call|f|1|bad\\udcff.py\n"
                           "1|return|f|2|bad\\udcff.py\n");
    free(text);
    pikos_pipeline_free(pipe);
}

/* Forks; the child and then the parent measure the records g() makes,
   the child reporting through its exit status.  The monitors are focused
   on g: what os.fork itself runs (more on newer Pythons) stays out. */
static const char fork_and_measure[] =
    "def measure():\n"
    "    before = len(seen)\n"
    "    g()\n"
    "    return len(seen) - before\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os._exit(min(measure(), 100))\n"
    "child_records = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])\n"
    "parent_records = measure()\n";

/* A forked child stops recording: its monitors lose their events at the
   fork (os.register_at_fork), while the parent's go on. */
Test(hook, a_forked_child_makes_no_records)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct pikos_option_setting focus = {"functions", "g"};
    struct collect_ctx *collect =
        collect_from(pipe, registry_instance("monitors/functions", &focus, 1));
    long child_records;

    PyObject *g = py_function("tiny", "g");

    cr_assert_eq(PyObject_SetAttrString(PyImport_AddModule("__main__"), "g",
                                        g),
                 0);
    Py_DECREF(g);
    py_run("import os\n"
           "seen = []\n"
           "def note():\n"
           "    seen.append(1)\n");
    collect->callback = py_eval("note");
    start_ok(pipe);
    py_run(fork_and_measure);
    stop_ok(pipe);
    Py_CLEAR(collect->callback);

    child_records = PyLong_AsLong(py_eval("child_records"));
    cr_assert_eq(child_records, 0, "the child made %ld records",
                 child_records);
    /* g, f, len: a call and a return each. */
    cr_assert_eq(PyLong_AsLong(py_eval("parent_records")), 6);
    pikos_pipeline_free(pipe);
}

static int after_fork_calls;

static int collect_after_fork(struct pikos_instance *inst, void *ctx)
{
    (void)inst, (void)ctx;
    after_fork_calls++;
    return 0;
}

/* A pipeline whose recorders all have after_fork goes on in the child. */
Test(hook, a_pipeline_whose_recorders_can_follow_records_in_the_child)
{
    static struct pikos_plugin following;
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct pikos_instance *recorder;
    struct collect_ctx *collect;
    PyObject *g = py_function("tiny", "g");

    struct pikos_option_setting focus = {"functions", "g"};

    following = collect_recorder;
    following.after_fork = collect_after_fork;
    recorder = local_instance(&following, "recorders/collect");
    collect = pikos_instance_ctx(recorder);
    pipeline_add_ok(pipe, registry_instance("monitors/functions", &focus, 1));
    pipeline_add_ok(pipe, recorder);
    cr_assert_eq(PyObject_SetAttrString(PyImport_AddModule("__main__"), "g",
                                        g),
                 0);
    Py_DECREF(g);
    py_run("import os\n"
           "seen = []\n"
           "def note():\n"
           "    seen.append(1)\n");
    collect->callback = py_eval("note");
    start_ok(pipe);
    py_run(fork_and_measure);
    stop_ok(pipe);
    Py_CLEAR(collect->callback);

    long child_records = PyLong_AsLong(py_eval("child_records"));
    long parent_records = PyLong_AsLong(py_eval("parent_records"));
    cr_assert_eq(parent_records, 6); /* g, f, len: a call and a return */
    cr_assert_eq(child_records, parent_records);
    cr_assert_eq(after_fork_calls, 0, "after_fork ran in the parent");
    pikos_pipeline_free(pipe);
}

/* ------------------------------------------------------------ freeing */

static struct pikos_pipeline *doomed;
static int doomed_finalizes;    /* finalize calls of its recorder */
static int finalized_when_freed; /* ... when free was asked for */

static int count_finalize(struct pikos_instance *inst, void *ctx)
{
    (void)inst, (void)ctx;
    doomed_finalizes++;
    return 0;
}

static PyObject *free_doomed(PyObject *self, PyObject *unused)
{
    (void)self, (void)unused;
    if (doomed != NULL) {
        pikos_pipeline_free(doomed);
        finalized_when_freed = doomed_finalizes;
        doomed = NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef free_doomed_def = {"free_doomed", free_doomed, METH_NOARGS,
                                      NULL};

/* Python code a plugin runs frees the plugin's own pipeline (as the
   garbage collector may): it stays whole until the event is dispatched,
   then is stopped and freed, its hooks removed. */
Test(hook, a_pipeline_freed_while_its_plugin_runs_waits_for_the_dispatch)
{
    static struct pikos_plugin finalizing;
    struct pikos_instance *recorder;
    struct collect_ctx *collect;

    finalizing = collect_recorder;
    finalizing.finalize = count_finalize;
    recorder = local_instance(&finalizing, "recorders/collect");
    collect = pikos_instance_ctx(recorder);
    doomed = pikos_pipeline_new();
    pipeline_add_ok(doomed, registry_instance("monitors/functions", NULL, 0));
    pipeline_add_ok(doomed, recorder);
    collect->callback = PyCFunction_New(&free_doomed_def, NULL);
    start_ok(doomed);
    py_call("tiny", "g");

    cr_assert_null(doomed);
    cr_assert_eq(finalized_when_freed, 0, "freed inside the dispatch");
    cr_assert_eq(doomed_finalizes, 1);
    cr_assert_null(PyThreadState_Get()->c_profilefunc);
}
