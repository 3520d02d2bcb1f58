/*
 * external/cprofile - cProfile as a pikos monitor.
 *
 * A cProfile.Profile (the C profiler _lsprof) is enabled on the thread that
 * starts monitoring and disabled at stop.  Its statistics become
 * ProfileStatsRecords as pstats would show them: function is pstats'
 * funcname (co_name, or "<built-in method ...>" with filename "~" and
 * lineNo 0), ncalls every call, primitive_calls those that were not
 * recursive, tottime the time inside the function, cumtime the time with
 * its callees.  They are emitted at stop and, with interval=S, every S
 * seconds from the snapshot timer; pstats=FILE also writes cProfile's own
 * file at stop.
 *
 * Statistics are read with the profiler's getstats() called from C, so
 * taking a snapshot runs no Python code the profiler could see.
 *
 * Python 3.11: _lsprof sets the thread's profile function, which pikos's
 * native monitors set too; the monitor refuses to start where one is set
 * and reports at stop when one replaced its own.  3.12+: _lsprof uses
 * sys.monitoring and coexists with them.
 */
#include "../common/external.h"

#include <stddef.h>

#define PROFILER_NAME "cProfile"
#if PY_VERSION_HEX < 0x030C0000
#define LSPROF_USES_PROFILE_FUNCTION 1
#else
#define LSPROF_USES_PROFILE_FUNCTION 0
#endif

/* The fields of _lsprof's profiler_entry that the records use. */
enum entry_item {
    ENTRY_CODE = 0,
    ENTRY_CALLCOUNT = 1,
    ENTRY_RECCALLCOUNT = 2,
    ENTRY_TOTALTIME = 3,
    ENTRY_INLINETIME = 4
};

struct cprofile_ctx {
    /* Options, stored by the host. */
    double interval;
    char *pstats;
    int builtins;
    char *sort;

    const struct pikos_host *host;
    struct pikos_instance *inst;
    struct external_sort order;
    PyObject *profiler; /* while running */
    struct external_profile_func installed;
    struct external_timer *timer;
    int64_t snapshots; /* emitted so far */
};

static const struct pikos_option cprofile_options[] = {
    {"interval", PIKOS_OPT_FLOAT, 0, "0",
     "seconds between snapshots of the statistics while the program runs "
     "(0: only at stop)",
     offsetof(struct cprofile_ctx, interval)},
    {"pstats", PIKOS_OPT_STRING, 0, "",
     "file to write cProfile's statistics to at stop, in the marshal "
     "format python3 -m pstats, snakeviz and gprof2dot read (empty: none)",
     offsetof(struct cprofile_ctx, pstats)},
    {"builtins", PIKOS_OPT_BOOL, 0, "true",
     "also profile calls of built-in functions (cProfile's builtins=)",
     offsetof(struct cprofile_ctx, builtins)},
    {"sort", PIKOS_OPT_STRING, 0, "cumulative",
     "the order of the rows: cumulative, tottime, ncalls (largest first) "
     "or name",
     offsetof(struct cprofile_ctx, sort)},
    {0},
};

/* Runs before Python may be initialised: options only. */
static int cprofile_init(struct pikos_instance *inst, void *ctx,
                         const struct pikos_host *host)
{
    struct cprofile_ctx *self = ctx;

    self->host = host;
    self->inst = inst;
    if (!(self->interval >= 0.0))
        return host->set_error(inst, PIKOS_EINVAL,
                               "interval=%g: give 0 (only at stop) or a "
                               "number of seconds > 0",
                               self->interval);
    if (external_profile_sort(self->sort, &self->order) < 0)
        return host->set_error(inst, PIKOS_EINVAL,
                               "sort=%s: expected cumulative, tottime, "
                               "ncalls or name",
                               self->sort);
    return PIKOS_OK;
}

/* ------------------------------------------------------------ statistics */

/* pstats' label of an entry's code: (filename, lineNo, funcname). */
static PyObject *entry_row(PyObject *entry)
{
    PyObject *code = PyTuple_GET_ITEM(entry, ENTRY_CODE);
    PyObject *calls = PyTuple_GET_ITEM(entry, ENTRY_CALLCOUNT);
    PyObject *recursive = PyTuple_GET_ITEM(entry, ENTRY_RECCALLCOUNT);
    long long ncalls = PyLong_AsLongLong(calls);
    long long primitive = ncalls - PyLong_AsLongLong(recursive);

    if (PyErr_Occurred())
        return NULL;
    if (PyUnicode_Check(code)) /* a built-in: its description */
        return Py_BuildValue("(OsiLLOO)", code, "~", 0, ncalls, primitive,
                             PyTuple_GET_ITEM(entry, ENTRY_INLINETIME),
                             PyTuple_GET_ITEM(entry, ENTRY_TOTALTIME));
    if (!PyCode_Check(code)) {
        PyErr_SetString(PyExc_TypeError, "a profiler entry without code");
        return NULL;
    }
    return Py_BuildValue("(OOiLLOO)", ((PyCodeObject *)code)->co_name,
                         ((PyCodeObject *)code)->co_filename,
                         ((PyCodeObject *)code)->co_firstlineno, ncalls,
                         primitive, PyTuple_GET_ITEM(entry, ENTRY_INLINETIME),
                         PyTuple_GET_ITEM(entry, ENTRY_TOTALTIME));
}

static int append_row(PyObject *rows, PyObject *entry)
{
    PyObject *row;
    int rc;

    if (!PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) <= ENTRY_INLINETIME) {
        PyErr_SetString(PyExc_TypeError, "unexpected profiler entry");
        return -1;
    }
    row = entry_row(entry);
    if (row == NULL)
        return -1;
    rc = PyList_Append(rows, row);
    Py_DECREF(row);
    return rc;
}

/* The statistics so far as rows of ProfileStatsRecord; NULL with a
   Python exception set. */
static PyObject *current_rows(PyObject *profiler)
{
    PyObject *entries = PyObject_CallMethod(profiler, "getstats", NULL);
    PyObject *rows = entries != NULL ? PyList_New(0) : NULL;
    Py_ssize_t count = rows != NULL ? PyList_GET_SIZE(entries) : 0;

    if (rows != NULL && !PyList_Check(entries)) {
        PyErr_SetString(PyExc_TypeError, "getstats() did not give a list");
        Py_CLEAR(rows);
    }
    for (Py_ssize_t i = 0; rows != NULL && i < count; i++)
        if (append_row(rows, PyList_GET_ITEM(entries, i)) < 0)
            Py_CLEAR(rows);
    Py_XDECREF(entries);
    return rows;
}

static int emit_statistics(struct cprofile_ctx *self)
{
    PyObject *rows = current_rows(self->profiler);
    int rc;

    if (rows == NULL)
        return external_python_error(self->inst, self->host,
                                     "reading cProfile's statistics");
    rc = external_emit_rows(self->inst, self->host,
                            &external_profile_stats_schema, rows, &self->order,
                            ++self->snapshots);
    Py_DECREF(rows);
    return rc;
}

/* The timer's tick: the statistics so far. */
static int cprofile_tick(void *arg)
{
    struct cprofile_ctx *self = arg;
    return self->profiler != NULL ? emit_statistics(self) : PIKOS_OK;
}

/* ------------------------------------------------------------ start/stop */

static PyObject *new_profiler(struct cprofile_ctx *self)
{
    PyObject *module = external_import(self->inst, self->host, "cProfile",
                                       "libpython3-stdlib");
    PyObject *cls = module ? PyObject_GetAttrString(module, "Profile") : NULL;
    PyObject *kwargs = cls ? Py_BuildValue("{s:O}", "builtins",
                                           self->builtins ? Py_True : Py_False)
                           : NULL;
    PyObject *args = kwargs ? PyTuple_New(0) : NULL;
    PyObject *profiler = args ? PyObject_Call(cls, args, kwargs) : NULL;

    if (module != NULL && profiler == NULL)
        external_python_error(self->inst, self->host, "creating the profiler");
    Py_XDECREF(args);
    Py_XDECREF(kwargs);
    Py_XDECREF(cls);
    Py_XDECREF(module);
    return profiler;
}

static int enable_profiler(struct cprofile_ctx *self)
{
    PyObject *done = PyObject_CallMethod(self->profiler, "enable", NULL);

    if (done == NULL)
        return external_python_error(self->inst, self->host,
                                     "enabling cProfile");
    Py_DECREF(done);
    self->installed = external_profile_current();
    return PIKOS_OK;
}

static int cprofile_start(struct pikos_instance *inst, void *ctx)
{
    struct cprofile_ctx *self = ctx;
    int rc = PIKOS_OK;

    if (LSPROF_USES_PROFILE_FUNCTION)
        rc = external_require_free_profile(inst, self->host, PROFILER_NAME);
    if (rc < 0)
        return rc;
    self->profiler = new_profiler(self);
    if (self->profiler == NULL)
        return PIKOS_EPYTHON;
    self->snapshots = 0;
    rc = enable_profiler(self);
    if (rc == PIKOS_OK && self->interval > 0.0)
        rc = external_timer_start(inst, self->host, self->interval,
                                  cprofile_tick, self, &self->timer);
    if (rc < 0) {
        PyObject *done = PyObject_CallMethod(self->profiler, "disable", NULL);
        Py_XDECREF(done);
        PyErr_Clear();
        Py_CLEAR(self->profiler);
    }
    return rc;
}

static int write_pstats(struct cprofile_ctx *self)
{
    PyObject *done =
        PyObject_CallMethod(self->profiler, "dump_stats", "s", self->pstats);

    if (done == NULL) {
        char what[512];
        snprintf(what, sizeof(what), "pstats=%s", self->pstats);
        return external_python_error(self->inst, self->host, what);
    }
    Py_DECREF(done);
    return PIKOS_OK;
}

/* The timer first, so that the last snapshot is the one emitted here. */
static int cprofile_stop(struct pikos_instance *inst, void *ctx)
{
    struct cprofile_ctx *self = ctx;
    PyObject *done;
    int rc = PIKOS_OK, emitted, written = PIKOS_OK;

    if (self->profiler == NULL)
        return PIKOS_OK; /* not started */
    external_timer_stop(self->timer);
    self->timer = NULL;
    if (LSPROF_USES_PROFILE_FUNCTION)
        rc = external_require_same_profile(inst, self->host, PROFILER_NAME,
                                           self->installed);
    done = PyObject_CallMethod(self->profiler, "disable", NULL);
    if (done == NULL && rc == PIKOS_OK)
        rc = external_python_error(inst, self->host, "disabling cProfile");
    Py_XDECREF(done);
    emitted = emit_statistics(self);
    if (self->pstats != NULL && self->pstats[0] != '\0')
        written = write_pstats(self);
    Py_CLEAR(self->profiler);
    return rc < 0 ? rc : emitted < 0 ? emitted : written;
}

/* A child made by fork() has no timer thread: it gets one of its own.
   The profiler goes on in the child's forking thread as it did. */
static int cprofile_after_fork(struct pikos_instance *inst, void *ctx)
{
    struct cprofile_ctx *self = ctx;

    external_timer_forget(self->timer);
    self->timer = NULL;
    if (self->profiler == NULL || self->interval <= 0.0)
        return PIKOS_OK;
    return external_timer_start(inst, self->host, self->interval, cprofile_tick,
                                self, &self->timer);
}

PIKOS_PLUGIN_DEFINE({
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_MONITOR,
    .name = "cprofile",
    .version = "0.1.0",
    .description = "Profile with cProfile (_lsprof) and emit its statistics "
                   "as ProfileStatsRecords at stop and every interval seconds",
    .options = cprofile_options,
    .ctx_size = sizeof(struct cprofile_ctx),
    .init = cprofile_init,
    .start = cprofile_start,
    .stop = cprofile_stop,
    .schema = &external_profile_stats_schema,
    .after_fork = cprofile_after_fork,
});
