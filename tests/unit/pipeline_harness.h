/*
 * tests/unit/pipeline_harness.h - an embedded Python, the build tree's
 * plugins and a few in-process plugins, for the pipeline and hook tests.
 *
 * The real plugins come from the registry (TEST_BUILDDIR/plugins).  The
 * in-process ones below are defined by the harness and wrapped into
 * instances by hand (a registry only loads shared objects): a recorder that
 * keeps every record as text, a filter that can fail, and monitors of line
 * or timed call events.  They see the real host table.
 *
 * Python modules for the tests, compiled under fake file names:
 *   tiny      (tiny.py):     f(x) returns len(x); g() returns f("abc")
 *   workload  (workload.py): run() makes every kind of function event
 * and, in __main__, oracle(fn) / line_oracle(fn): what a pure-Python
 * sys.setprofile / sys.settrace callback reports for fn() (restricted to
 * those two files), as "type|function|lineNo|filename" lines /
 * "type|function|qualname|firstLineNo|lineNo" lines of line and exception
 * events.
 */
#ifndef PIKOS_TEST_PIPELINE_HARNESS_H
#define PIKOS_TEST_PIPELINE_HARNESS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

#define COLLECT_MAX_ROWS 256
#define COLLECT_ROW_SIZE 128

/* The recorder "recorders/collect". */
struct collect_ctx {
    int starts, prepares, flushes, stops, finalizes;
    size_t fail_at;     /* this record (1-based) fails: "disk full" */
    PyObject *callback; /* called by every record() when set */
    size_t count;       /* records received (kept or not) */
    char rows[COLLECT_MAX_ROWS][COLLECT_ROW_SIZE]; /* values joined by '|' */
};

/* The filter "filters/probe". */
struct probe_filter_ctx {
    int fail_start;   /* start fails with a message of its own */
    int fail_records; /* filter() fails without a message */
    const char *drop; /* records whose function is this are dropped */
    int starts, stops;
};

/* The monitors "monitors/line_probe" (line and exception events) and
   "monitors/timed_probe" (call events, wants timestamps).  Both emit
   ProbeRecord(type, function, qualname, firstLineNo, lineNo). */
struct probe_monitor_ctx {
    size_t events;
    size_t zero_times; /* events that came without a timestamp */
    int time_went_back;
    uint64_t last_time;
};

extern const struct pikos_plugin collect_recorder;
extern const struct pikos_plugin probe_filter;
extern const struct pikos_plugin line_probe;
extern const struct pikos_plugin timed_probe;

extern struct pikos_registry *harness_registry;

/* Criterion .init/.fini: Python, the registry, the test modules. */
void harness_setup(void);
void harness_teardown(void);

/* Runs Python statements in __main__; an exception fails the test. */
void py_run(const char *source);
/* module.function (new reference). */
PyObject *py_function(const char *module, const char *function);
/* Calls module.function() from C; an exception fails the test. */
void py_call(const char *module, const char *function);
/* A Python expression evaluated in __main__ (new reference). */
PyObject *py_eval(const char *expression);
/* Its str(), malloc'ed. */
char *py_text(const char *expression);

/* An instance of a registry plugin ("kind/name"); failure fails the test. */
struct pikos_instance *
registry_instance(const char *name, const struct pikos_option_setting *settings,
                  size_t nsettings);
/* An instance of an in-process plugin, as pikos_instance_new would make it;
   `full_name` is "kind/name". */
struct pikos_instance *local_instance(const struct pikos_plugin *plugin,
                                      const char *full_name);
/* pikos_pipeline_add, failing the test on error. */
void pipeline_add_ok(struct pikos_pipeline *pipe, struct pikos_instance *inst);

/* Which hook pikos uses (core/hook_backend.h): a test of the legacy
   profile and trace functions' own mechanics asks for them first. */
void harness_use_legacy_hook(void);
/* Whether pikos's hook delivers function events (`function_events`) or
   line events just now, whichever the backend. */
int harness_hook_installed(int function_events);

/* The rows a collect recorder kept, each followed by '\n' (malloc'ed). */
char *collect_text(const struct collect_ctx *collect);

/* A new empty file's path (removed by the caller) and a file's contents
   (malloc'ed). */
void temp_path(char path[64]);
char *read_text_file(const char *path);

#endif /* PIKOS_TEST_PIPELINE_HARNESS_H */
