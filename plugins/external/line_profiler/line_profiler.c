/*
 * external/line_profiler - line_profiler's LineProfiler as a pikos monitor.
 *
 * line_profiler times the lines of the functions it is given with
 * add_function(), from the thread's trace function (PyEval_SetTrace).
 * Here the functions are named (`functions=`, as --focused-on names them)
 * and do not exist yet when monitoring starts: the program defines them
 * later.  So the plugin puts its own trace function in front of
 * line_profiler's: it hands every event on, and on a call event of a code
 * object it has not seen yet it first compares the code with the names
 * and, when they name it, gives it to add_function().  The comparison is
 * the host's (focus_matches, ABI 1.2), so the names mean here what they
 * mean in every monitor's `functions` option.  A frame's call
 * event comes before its first line event, and line_profiler 4 recognises
 * a code object by its bytecode, so that first call is timed in full like
 * every later one; nothing is imported or defined twice.  The test "seen
 * yet?" is one probe of a table (code_set.c), and line_profiler's trace
 * function receives the call events anyway: no other hook is needed.
 *
 * Statistics (line_stats.c: hits summed over line_profiler's per-pair
 * entries) become LineStatsRecords at stop and every `interval` seconds;
 * `lprof=FILE` writes line_profiler's own file at stop, which
 * `python3 -m line_profiler FILE` shows.
 *
 * Only the thread that starts monitoring is profiled: line_profiler's
 * trace function is set there alone.
 */
#include "../common/external.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "code_set.h"
#include "line_stats.h"

#define PROFILER_NAME "line_profiler"

struct line_profiler_ctx {
    /* Options, stored by the host; `functions` is its focus too. */
    struct pikos_strlist functions;
    double interval;
    char *lprof;

    const struct pikos_host *host;
    struct pikos_instance *inst;
    unsigned char *matched; /* matched[i]: functions.items[i] named a code */
    /* While running: */
    PyObject *profiler;     /* line_profiler.LineProfiler */
    PyObject *holder;       /* types.SimpleNamespace, what add_function takes */
    PyObject *getline;      /* linecache.getline */
    struct code_set seen;   /* code objects already compared with names */
    Py_tracefunc lp_trace;  /* line_profiler's trace function ... */
    PyObject *lp_trace_obj; /* ... and its argument */
    int tracing;            /* ours is set in front of it */
    struct external_timer *timer;
    int64_t snapshots; /* emitted so far */
};

static const struct pikos_option line_profiler_options[] = {
    {PIKOS_MONITOR_OPTION_FUNCTIONS, PIKOS_OPT_LIST, PIKOS_OPTION_REQUIRED,
     NULL,
     "the functions whose lines to time (f, Class.method, module:f; items "
     "separated by semicolons)",
     offsetof(struct line_profiler_ctx, functions)},
    {"interval", PIKOS_OPT_FLOAT, 0, "0",
     "seconds between snapshots of the statistics while the program runs "
     "(0: only at stop)",
     offsetof(struct line_profiler_ctx, interval)},
    {"lprof", PIKOS_OPT_STRING, 0, "",
     "file to write line_profiler's statistics to at stop, in its .lprof "
     "format python3 -m line_profiler shows (empty: none)",
     offsetof(struct line_profiler_ctx, lprof)},
    {0},
};

/* Runs before Python may be initialised: options only. */
static int line_profiler_init(struct pikos_instance *inst, void *ctx,
                              const struct pikos_host *host)
{
    struct line_profiler_ctx *self = ctx;

    self->host = host;
    self->inst = inst;
    if (!(self->interval >= 0.0))
        return host->set_error(inst, PIKOS_EINVAL,
                               "interval=%g: give 0 (only at stop) or a "
                               "number of seconds > 0",
                               self->interval);
    if (self->functions.count == 0)
        return host->set_error(inst, PIKOS_EINVAL,
                               "functions: name the functions to profile "
                               "(f, Class.method or module:f)");
    if (!PIKOS_HOST_HAS(host, focus_matches) || host->focus_matches == NULL)
        return host->set_error(inst, PIKOS_EABI,
                               "needs a pikos whose plugin ABI is 1.2 or "
                               "newer (focus matching)");
    self->matched = calloc(self->functions.count, 1);
    if (self->matched == NULL)
        return host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    return PIKOS_OK;
}

static void line_profiler_fini(struct pikos_instance *inst, void *ctx)
{
    struct line_profiler_ctx *self = ctx;

    free(self->matched);
    self->matched = NULL;
}

/* ------------------------------------------------------------ finding */

/* The names of a code object as the host describes them; 0, or -1 with a
   Python exception (a name that is not UTF-8). */
static int describe_code(PyCodeObject *code, struct pikos_code *out)
{
    Py_ssize_t name_len, qualname_len, filename_len;

    out->name = PyUnicode_AsUTF8AndSize(code->co_name, &name_len);
    out->qualname = PyUnicode_AsUTF8AndSize(code->co_qualname, &qualname_len);
    out->filename = PyUnicode_AsUTF8AndSize(code->co_filename, &filename_len);
    if (out->name == NULL || out->qualname == NULL || out->filename == NULL)
        return -1;
    out->name_len = (size_t)name_len;
    out->qualname_len = (size_t)qualname_len;
    out->filename_len = (size_t)filename_len;
    out->firstlineno = code->co_firstlineno;
    out->id = (uintptr_t)code;
    return 0;
}

/* line_profiler's add_function() with the code object inside a holder
   (it reads `__code__`, and may replace it for a duplicate). */
static int add_function(struct line_profiler_ctx *self, PyCodeObject *code)
{
    PyObject *kwargs = Py_BuildValue("{s:O}", "__code__", code);
    PyObject *args = kwargs ? PyTuple_New(0) : NULL;
    PyObject *holder = args ? PyObject_Call(self->holder, args, kwargs) : NULL;
    PyObject *done = holder ? PyObject_CallMethod(self->profiler,
                                                  "add_function", "O", holder)
                            : NULL;

    Py_XDECREF(kwargs);
    Py_XDECREF(args);
    Py_XDECREF(holder);
    if (done == NULL)
        return external_python_error(self->inst, self->host, "add_function");
    Py_DECREF(done);
    return PIKOS_OK;
}

/* The first call of a code object: compares it with the names once and
   hands it to line_profiler when they name it. */
static void first_call(struct line_profiler_ctx *self, PyCodeObject *code)
{
    struct pikos_code described;
    int rc;

    if (code_set_add(&self->seen, (PyObject *)code) < 0) {
        self->host->set_error(self->inst, PIKOS_ENOMEM, "out of memory");
        return;
    }
    if (describe_code(code, &described) < 0)
        external_python_error(self->inst, self->host, "a function's name");
    else if ((rc = self->host->focus_matches(&self->functions, &described,
                                             self->matched)) < 0)
        self->host->set_error(self->inst, rc,
                              "functions: cannot compare "
                              "the names with a function");
    else if (rc > 0)
        add_function(self, code);
}

/* The thread's trace function while monitoring: looks at each call event
   first, then hands every event to line_profiler's. */
static int trace_in_front(PyObject *capsule, PyFrameObject *frame, int what,
                          PyObject *arg)
{
    struct line_profiler_ctx *self = PyCapsule_GetPointer(capsule, NULL);

    if (what == PyTrace_CALL) {
        PyCodeObject *code = PyFrame_GetCode(frame);

        if (!code_set_contains(&self->seen, (uintptr_t)code)) {
            /* Whatever happens here stays here: the program's own
               exception, if one is on its way, is put back untouched. */
            PyObject *type, *value, *traceback;

            PyErr_Fetch(&type, &value, &traceback);
            first_call(self, code);
            PyErr_Restore(type, value, traceback);
        }
        Py_DECREF(code);
    }
    return self->lp_trace(self->lp_trace_obj, frame, what, arg);
}

/* ------------------------------------------------------------ statistics */

static int emit_statistics(struct line_profiler_ctx *self, PyObject *collected)
{
    PyObject *unit = PyObject_GetAttrString(self->profiler, "timer_unit");
    double seconds = unit ? PyFloat_AsDouble(unit) : -1.0;
    PyObject *rows = seconds == -1.0 && PyErr_Occurred()
                         ? NULL
                         : line_stats_rows(collected, seconds, self->getline);
    int rc;

    Py_XDECREF(unit);
    if (rows == NULL)
        return external_python_error(self->inst, self->host,
                                     "reading line_profiler's statistics");
    rc = external_emit_rows(self->inst, self->host, &external_line_stats_schema,
                            rows, NULL, ++self->snapshots);
    Py_DECREF(rows);
    return rc;
}

/* The timer's tick: the statistics so far. */
static int line_profiler_tick(void *arg)
{
    struct line_profiler_ctx *self = arg;
    PyObject *collected;
    int rc;

    if (self->profiler == NULL)
        return PIKOS_OK;
    collected = line_stats_collect(self->profiler);
    if (collected == NULL)
        return external_python_error(self->inst, self->host,
                                     "reading line_profiler's statistics");
    rc = emit_statistics(self, collected);
    Py_DECREF(collected);
    return rc;
}

/* line_profiler's own file, with the summed hits. */
static int write_lprof(struct line_profiler_ctx *self, PyObject *collected)
{
    PyObject *unit = PyObject_GetAttrString(self->profiler, "timer_unit");
    PyObject *data = unit ? line_stats_lprof(collected, unit) : NULL;
    FILE *file;
    int ok;

    Py_XDECREF(unit);
    if (data == NULL || !PyBytes_Check(data)) {
        Py_XDECREF(data);
        return external_python_error(self->inst, self->host, "lprof");
    }
    file = fopen(self->lprof, "wb");
    ok = file != NULL &&
         fwrite(PyBytes_AS_STRING(data), 1, (size_t)PyBytes_GET_SIZE(data),
                file) == (size_t)PyBytes_GET_SIZE(data);
    if (file != NULL && fclose(file) != 0)
        ok = 0;
    Py_DECREF(data);
    if (!ok)
        return self->host->set_error(self->inst, PIKOS_EIO,
                                     "lprof=%s: cannot write it: %s",
                                     self->lprof, strerror(errno));
    return PIKOS_OK;
}

/* ------------------------------------------------------------ start/stop */

/* Another trace function on the thread (a debugger, coverage, pikos's
   line monitors) would be replaced by line_profiler's, or replace it. */
static int require_free_trace(struct line_profiler_ctx *self)
{
    if (PyThreadState_Get()->c_tracefunc == NULL)
        return PIKOS_OK;
    return self->host->set_error(
        self->inst, PIKOS_ESTATE,
        "line_profiler cannot share this thread's trace function with the "
        "one already set (a pikos line monitor, sys.settrace, a debugger "
        "or coverage): run it without them");
}

/* `attribute` of module `name`, or NULL with the instance's error set. */
static PyObject *import_attribute(struct line_profiler_ctx *self,
                                  const char *name, const char *attribute)
{
    PyObject *module = PyImport_ImportModule(name);
    PyObject *found = module ? PyObject_GetAttrString(module, attribute) : NULL;

    Py_XDECREF(module);
    if (found == NULL)
        external_python_error(self->inst, self->host, name);
    return found;
}

/* The profiler, and what finding functions and reading lines need. */
static int make_profiler(struct line_profiler_ctx *self)
{
    PyObject *module = external_import(self->inst, self->host, "line_profiler",
                                       "python3-line-profiler");

    if (module == NULL)
        return PIKOS_EPYTHON;
    self->profiler = PyObject_CallMethod(module, "LineProfiler", NULL);
    Py_DECREF(module);
    if (self->profiler == NULL)
        return external_python_error(self->inst, self->host,
                                     "creating the LineProfiler");
    self->holder = import_attribute(self, "types", "SimpleNamespace");
    self->getline =
        self->holder ? import_attribute(self, "linecache", "getline") : NULL;
    return self->getline != NULL ? PIKOS_OK : PIKOS_EPYTHON;
}

static void release_profiler(struct line_profiler_ctx *self)
{
    code_set_clear(&self->seen);
    Py_CLEAR(self->lp_trace_obj);
    Py_CLEAR(self->profiler);
    Py_CLEAR(self->holder);
    Py_CLEAR(self->getline);
}

/* Puts our trace function in front of line_profiler's, which
   enable_by_count() has just set. */
static int trace_first(struct line_profiler_ctx *self)
{
    PyThreadState *thread = PyThreadState_Get();
    PyObject *capsule;

    if (thread->c_tracefunc == NULL || thread->c_traceobj == NULL)
        return self->host->set_error(self->inst, PIKOS_EPYTHON,
                                     "line_profiler set no trace function");
    capsule = PyCapsule_New(self, NULL, NULL);
    if (capsule == NULL)
        return external_python_error(self->inst, self->host,
                                     "setting the trace function");
    self->lp_trace = thread->c_tracefunc;
    self->lp_trace_obj = Py_NewRef(thread->c_traceobj);
    PyEval_SetTrace(trace_in_front, capsule); /* holds the capsule */
    Py_DECREF(capsule);
    self->tracing = 1;
    return PIKOS_OK;
}

static int enable_profiler(struct line_profiler_ctx *self)
{
    PyObject *done =
        PyObject_CallMethod(self->profiler, "enable_by_count", NULL);

    if (done == NULL)
        return external_python_error(self->inst, self->host,
                                     "enabling line_profiler");
    Py_DECREF(done);
    return trace_first(self);
}

static int line_profiler_start(struct pikos_instance *inst, void *ctx)
{
    struct line_profiler_ctx *self = ctx;
    int rc = require_free_trace(self);

    memset(self->matched, 0, self->functions.count); /* a new run */
    if (rc == PIKOS_OK)
        rc = make_profiler(self);
    if (rc == PIKOS_OK)
        rc = enable_profiler(self);
    self->snapshots = 0;
    if (rc == PIKOS_OK && self->interval > 0.0)
        rc = external_timer_start(inst, self->host, self->interval,
                                  line_profiler_tick, self, &self->timer);
    if (rc < 0) {
        if (self->profiler != NULL)
            PyEval_SetTrace(NULL, NULL);
        self->tracing = 0;
        release_profiler(self);
    }
    return rc;
}

/* Disables line_profiler (which removes the thread's trace function),
   first checking that ours is still the thread's: something that replaced
   it made the counts partial. */
static int disable_profiler(struct line_profiler_ctx *self)
{
    int replaced =
        self->tracing && PyThreadState_Get()->c_tracefunc != trace_in_front;
    PyObject *done =
        PyObject_CallMethod(self->profiler, "disable_by_count", NULL);

    self->tracing = 0;
    if (done == NULL)
        return external_python_error(self->inst, self->host,
                                     "disabling line_profiler");
    Py_DECREF(done);
    if (replaced)
        return self->host->set_error(
            self->inst, PIKOS_ESTATE,
            "something replaced line_profiler's trace function while it "
            "ran (sys.settrace, a debugger, a pikos line monitor): the "
            "counts stop there");
    return PIKOS_OK;
}

/* A name that named nothing is most likely a typo: say so, as the host
   does for the focus of other monitors. */
static int require_all_matched(struct line_profiler_ctx *self)
{
    for (size_t i = 0; i < self->functions.count; i++)
        if (!self->matched[i])
            return self->host->set_error(self->inst, PIKOS_ENOTFOUND,
                                         "functions: '%s' matched no "
                                         "function that ran",
                                         self->functions.items[i]);
    return PIKOS_OK;
}

/* The timer first, so that the last snapshot is the one emitted here. */
static int line_profiler_stop(struct pikos_instance *inst, void *ctx)
{
    struct line_profiler_ctx *self = ctx;
    PyObject *collected;
    int rc, emitted = PIKOS_OK, written = PIKOS_OK;

    if (self->profiler == NULL)
        return PIKOS_OK; /* not started */
    external_timer_stop(self->timer);
    self->timer = NULL;
    rc = disable_profiler(self);
    collected = line_stats_collect(self->profiler);
    if (collected == NULL) {
        emitted = external_python_error(inst, self->host,
                                        "reading line_profiler's statistics");
    } else {
        emitted = emit_statistics(self, collected);
        if (self->lprof != NULL && self->lprof[0] != '\0')
            written = write_lprof(self, collected);
        Py_DECREF(collected);
    }
    release_profiler(self);
    if (rc == PIKOS_OK)
        rc = require_all_matched(self);
    return rc < 0 ? rc : emitted < 0 ? emitted : written;
}

/* A child made by fork() has no timer thread: it gets one of its own.
   The profiler goes on in the child's forking thread as it did. */
static int line_profiler_after_fork(struct pikos_instance *inst, void *ctx)
{
    struct line_profiler_ctx *self = ctx;

    external_timer_forget(self->timer);
    self->timer = NULL;
    if (self->profiler == NULL || self->interval <= 0.0)
        return PIKOS_OK;
    return external_timer_start(inst, self->host, self->interval,
                                line_profiler_tick, self, &self->timer);
}

PIKOS_PLUGIN_DEFINE({
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_MONITOR,
    .name = "line_profiler",
    .version = "0.1.0",
    .description = "Time the lines of the named functions with "
                   "line_profiler and emit LineStatsRecords at stop and every "
                   "interval seconds",
    .options = line_profiler_options,
    .python_module = "line_profiler",
    .package = "python3-line-profiler",
    .ctx_size = sizeof(struct line_profiler_ctx),
    .init = line_profiler_init,
    .start = line_profiler_start,
    .stop = line_profiler_stop,
    .fini = line_profiler_fini,
    .schema = &external_line_stats_schema,
    .after_fork = line_profiler_after_fork,
});
