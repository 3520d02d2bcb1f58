/*
 * external/yappi - yappi as a pikos monitor.
 *
 * yappi is imported when monitoring starts (a missing package is one clear
 * error naming the Debian package), set to the clock asked for and started
 * with yappi's defaults otherwise: every thread is profiled, those started
 * later too.  Its function statistics become ProfileStatsRecords: function
 * is yappi's name (Class.method for methods), filename its module path
 * ("~" for built-ins, with lineNo 0), ncalls its ncall, primitive_calls its
 * nactualcall (calls that were not recursive), tottime its tsub, cumtime
 * its ttot.  They are emitted at stop and, with interval=S, every S
 * seconds; pstats=FILE writes yappi's save(FILE, type="pstat") at stop.
 *
 * yappi sets the profile function of every thread, as pikos's native
 * monitors do (on every Python version): the monitor refuses to start
 * where the starting thread has one, and reports at stop when one replaced
 * its own there.
 */
#include "../common/external.h"

#include <stddef.h>
#include <string.h>

#define PROFILER_NAME "yappi"

struct yappi_ctx {
    /* Options, stored by the host. */
    char *clock;
    int builtins;
    double interval;
    char *pstats;
    char *sort;

    const struct pikos_host *host;
    struct pikos_instance *inst;
    struct external_sort order;
    PyObject *yappi; /* the module, while running */
    struct external_profile_func installed;
    struct external_timer *timer;
    int64_t snapshots; /* emitted so far */
};

static const struct pikos_option yappi_options[] = {
    {"clock", PIKOS_OPT_STRING, 0, "cpu", "what yappi measures: cpu (CPU time) or wall (elapsed time)",
     offsetof(struct yappi_ctx, clock)},
    {"builtins", PIKOS_OPT_BOOL, 0, "false",
     "also profile calls of built-in functions",
     offsetof(struct yappi_ctx, builtins)},
    {"interval", PIKOS_OPT_FLOAT, 0, "0",
     "seconds between snapshots of the statistics while the program runs "
     "(0: only at stop)",
     offsetof(struct yappi_ctx, interval)},
    {"pstats", PIKOS_OPT_STRING, 0, "",
     "file to write the statistics to at stop, in the pstats format "
     "(yappi's save(path, type=\"pstat\"); empty: none)",
     offsetof(struct yappi_ctx, pstats)},
    {"sort", PIKOS_OPT_STRING, 0, "cumulative",
     "the order of the rows: cumulative, tottime, ncalls (largest first) "
     "or name",
     offsetof(struct yappi_ctx, sort)},
    {0},
};

/* Runs before Python may be initialised: options only. */
static int yappi_init(struct pikos_instance *inst, void *ctx,
                      const struct pikos_host *host)
{
    struct yappi_ctx *self = ctx;

    self->host = host;
    self->inst = inst;
    if (self->clock == NULL ||
        (strcmp(self->clock, "cpu") != 0 && strcmp(self->clock, "wall") != 0))
        return host->set_error(inst, PIKOS_EINVAL,
                               "clock=%s: expected cpu or wall",
                               self->clock ? self->clock : "");
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

/* A YFuncStat's attribute, a new reference. */
static PyObject *stat_item(PyObject *stat, const char *name)
{
    return PyObject_GetAttrString(stat, name);
}

/* One YFuncStat as a row of ProfileStatsRecord. */
static PyObject *stat_row(PyObject *stat)
{
    static const char *const names[] = {"name",  "module",      "lineno",
                                        "ncall", "nactualcall", "tsub",
                                        "ttot",  "builtin"};
    enum { COUNT = sizeof(names) / sizeof(names[0]), BUILTIN = COUNT - 1 };
    PyObject *items[COUNT] = {NULL}, *row = NULL;
    int builtin = -1, ok = 1;

    for (size_t i = 0; i < COUNT && ok; i++)
        ok = (items[i] = stat_item(stat, names[i])) != NULL;
    if (ok)
        builtin = PyObject_IsTrue(items[BUILTIN]);
    if (builtin == 1) /* as pstats shows built-ins */
        row = Py_BuildValue("(OsiOOOO)", items[0], "~", 0, items[3], items[4],
                            items[5], items[6]);
    else if (builtin == 0)
        row = Py_BuildValue("(OOOOOOO)", items[0], items[1], items[2], items[3],
                            items[4], items[5], items[6]);
    for (size_t i = 0; i < COUNT; i++)
        Py_XDECREF(items[i]);
    return row;
}

static PyObject *rows_of(PyObject *stats)
{
    PyObject *iterator = PyObject_GetIter(stats), *stat, *row;
    PyObject *rows = iterator != NULL ? PyList_New(0) : NULL;

    while (rows != NULL && (stat = PyIter_Next(iterator)) != NULL) {
        row = stat_row(stat);
        if (row == NULL || PyList_Append(rows, row) < 0)
            Py_CLEAR(rows);
        Py_XDECREF(row);
        Py_DECREF(stat);
    }
    if (rows != NULL && PyErr_Occurred())
        Py_CLEAR(rows);
    Py_XDECREF(iterator);
    return rows;
}

/* yappi.get_func_stats() resumes profiling when it ends, and may then set
   its profile function on the calling thread: the timer's thread must not
   profile itself, so it drops it again. */
static PyObject *function_stats(struct yappi_ctx *self)
{
    PyThreadState *thread = PyThreadState_Get();
    Py_tracefunc before = thread->c_profilefunc;
    PyObject *stats = PyObject_CallMethod(self->yappi, "get_func_stats", NULL);

    if (thread->c_profilefunc != before)
        PyEval_SetProfile(before, NULL);
    return stats;
}

static int emit_statistics(struct yappi_ctx *self)
{
    PyObject *stats = function_stats(self);
    PyObject *rows = stats != NULL ? rows_of(stats) : NULL;
    int rc;

    Py_XDECREF(stats);
    if (rows == NULL)
        return external_python_error(self->inst, self->host,
                                     "reading yappi's statistics");
    rc = external_emit_rows(self->inst, self->host,
                            &external_profile_stats_schema, rows, &self->order,
                            ++self->snapshots);
    Py_DECREF(rows);
    return rc;
}

/* The timer's tick: the statistics so far. */
static int yappi_tick(void *arg)
{
    struct yappi_ctx *self = arg;
    return self->yappi != NULL ? emit_statistics(self) : PIKOS_OK;
}

/* ------------------------------------------------------------ start/stop */

/* yappi.NAME(*args) with the result dropped; < 0 with the error set. */
static int call_yappi(struct yappi_ctx *self, const char *name,
                      const char *format, ...)
{
    PyObject *function = PyObject_GetAttrString(self->yappi, name);
    PyObject *args = NULL, *result = NULL;
    va_list ap;

    if (function != NULL) {
        va_start(ap, format);
        args = Py_VaBuildValue(format, ap);
        va_end(ap);
    }
    if (args != NULL)
        result = PyObject_CallObject(function, args);
    Py_XDECREF(function);
    Py_XDECREF(args);
    if (result == NULL) {
        char what[64];
        snprintf(what, sizeof(what), "yappi.%s()", name);
        return external_python_error(self->inst, self->host, what);
    }
    Py_DECREF(result);
    return PIKOS_OK;
}

static int refuse_if_running(struct yappi_ctx *self)
{
    PyObject *running = PyObject_CallMethod(self->yappi, "is_running", NULL);
    int yes = running != NULL ? PyObject_IsTrue(running) : -1;

    Py_XDECREF(running);
    if (yes < 0)
        return external_python_error(self->inst, self->host,
                                     "yappi.is_running()");
    if (yes)
        return self->host->set_error(self->inst, PIKOS_ESTATE,
                                     "yappi is running already (the program "
                                     "or another pipeline started it): stop "
                                     "it first");
    return PIKOS_OK;
}

/* Fresh statistics, measured by the clock asked for. */
static int start_yappi(struct yappi_ctx *self)
{
    int rc = refuse_if_running(self);

    if (rc == PIKOS_OK)
        rc = call_yappi(self, "set_clock_type", "(s)", self->clock);
    if (rc == PIKOS_OK)
        rc = call_yappi(self, "clear_stats", "()");
    if (rc == PIKOS_OK)
        rc = call_yappi(self, "start", "(O)",
                        self->builtins ? Py_True : Py_False);
    if (rc == PIKOS_OK)
        self->installed = external_profile_current();
    return rc;
}

static int yappi_start(struct pikos_instance *inst, void *ctx)
{
    struct yappi_ctx *self = ctx;
    int rc = external_require_free_profile(inst, self->host, PROFILER_NAME);

    if (rc < 0)
        return rc;
    self->yappi = external_import(inst, self->host, "yappi", "python3-yappi");
    if (self->yappi == NULL)
        return PIKOS_EPYTHON;
    self->snapshots = 0;
    rc = start_yappi(self);
    if (rc == PIKOS_OK && self->interval > 0.0)
        rc = external_timer_start(inst, self->host, self->interval, yappi_tick,
                                  self, &self->timer);
    if (rc < 0) {
        PyObject *done = PyObject_CallMethod(self->yappi, "stop", NULL);
        Py_XDECREF(done);
        PyErr_Clear();
        Py_CLEAR(self->yappi);
    }
    return rc;
}

static int write_pstats(struct yappi_ctx *self)
{
    PyObject *stats = function_stats(self);
    PyObject *done = stats != NULL ? PyObject_CallMethod(stats, "save", "ss",
                                                         self->pstats, "pstat")
                                   : NULL;

    Py_XDECREF(stats);
    if (done == NULL) {
        char what[512];
        snprintf(what, sizeof(what), "pstats=%s", self->pstats);
        return external_python_error(self->inst, self->host, what);
    }
    Py_DECREF(done);
    return PIKOS_OK;
}

/* The timer first, so that the last snapshot is the one emitted here. */
static int yappi_stop(struct pikos_instance *inst, void *ctx)
{
    struct yappi_ctx *self = ctx;
    int rc = PIKOS_OK, stopped, emitted, written = PIKOS_OK;

    if (self->yappi == NULL)
        return PIKOS_OK; /* not started */
    external_timer_stop(self->timer);
    self->timer = NULL;
    rc = external_require_same_profile(inst, self->host, PROFILER_NAME,
                                       self->installed);
    stopped = call_yappi(self, "stop", "()");
    emitted = emit_statistics(self);
    if (self->pstats != NULL && self->pstats[0] != '\0')
        written = write_pstats(self);
    Py_CLEAR(self->yappi);
    if (rc == PIKOS_OK)
        rc = stopped;
    return rc < 0 ? rc : emitted < 0 ? emitted : written;
}

/* A child made by fork() has no timer thread: it gets one of its own. */
static int yappi_after_fork(struct pikos_instance *inst, void *ctx)
{
    struct yappi_ctx *self = ctx;

    external_timer_forget(self->timer);
    self->timer = NULL;
    if (self->yappi == NULL || self->interval <= 0.0)
        return PIKOS_OK;
    return external_timer_start(inst, self->host, self->interval, yappi_tick,
                                self, &self->timer);
}

PIKOS_PLUGIN_DEFINE({
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_MONITOR,
    .name = "yappi",
    .version = "0.1.0",
    .description = "Profile with yappi (every thread) and emit its statistics as "
                   "ProfileStatsRecords at stop and every interval seconds",
    .options = yappi_options,
    .python_module = "yappi",
    .package = "python3-yappi",
    .ctx_size = sizeof(struct yappi_ctx),
    .init = yappi_init,
    .start = yappi_start,
    .stop = yappi_stop,
    .schema = &external_profile_stats_schema,
    .after_fork = yappi_after_fork,
});
