/*
 * plugins/external/common/external.h - what the external monitors (plugins
 * that wrap a foreign Python profiler: external/cprofile, external/yappi,
 * external/line_profiler) share:
 *
 *   records.c  the ProfileStatsRecord and LineStatsRecord schemas, and the
 *              emission of a table of statistics as records, sorted;
 *   timer.c    the snapshot timer: a thread that takes the GIL every
 *              `interval` seconds to emit the statistics so far;
 *   python.c   importing the wrapped package with one clear error when it
 *              is missing, Python errors as the instance's error, and the
 *              checks that no other profile function shares the thread.
 *
 * Compiled into each external monitor's module.  Unlike the native
 * monitors these use the Python C API: the host calls them with the GIL
 * held, and the process that loads them (the pikos command, or Python with
 * the pikos package) provides Python's symbols.  Their `init` may run
 * before Python is initialised, so it only checks options; Python is first
 * touched in `start`.
 */
#ifndef PIKOS_EXTERNAL_H
#define PIKOS_EXTERNAL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>

#include <pikos/plugin.h>

/* ------------------------------------------------------------ records */

/* ProfileStatsRecord (cprofile, yappi): one row per profiled function. */
enum profile_stats_field {
    PROFILE_FUNCTION,        /* str: the name pstats shows as funcname */
    PROFILE_FILENAME,        /* str: "~" for built-ins */
    PROFILE_LINENO,          /* int: the def line; 0 for built-ins */
    PROFILE_NCALLS,          /* int: every call, recursive ones included */
    PROFILE_PRIMITIVE_CALLS, /* int: calls that were not recursive */
    PROFILE_TOTTIME,         /* float seconds: in the function itself */
    PROFILE_CUMTIME,         /* float seconds: with what it called */
    PROFILE_SNAPSHOT,        /* int: 1, 2, ...; the last one at stop */
    PROFILE_FIELD_COUNT
};
extern const struct pikos_schema external_profile_stats_schema;

/* LineStatsRecord (line_profiler): one row per profiled line. */
enum line_stats_field {
    LINE_FILENAME, /* str */
    LINE_FUNCTION, /* str */
    LINE_LINENO,   /* int */
    LINE_HITS,     /* int */
    LINE_TIME,     /* float seconds */
    LINE_TEXT,     /* str: the line's source (field name "line") */
    LINE_SNAPSHOT, /* int */
    LINE_FIELD_COUNT
};
extern const struct pikos_schema external_line_stats_schema;

/* The order rows are emitted in: by `field` (-1: as given), descending or
   not; rows equal there are ordered by all their fields in schema order,
   so the order never depends on the profiler's internal tables. */
struct external_sort {
    int field;
    int descending;
};

/* The sort= option of the profile monitors, pstats' keys: cumulative
   (cumtime, descending), tottime (descending), ncalls (descending) and
   name (function, ascending).  PIKOS_EINVAL for any other text. */
int external_profile_sort(const char *key, struct external_sort *sort);

/*
 * Emits one record per row of `rows`, a list of tuples holding the values
 * of every field of `schema` but the last, which must be the int field
 * `snapshot` and is set to `snapshot`.  Tuple items are str for str
 * fields, int for int fields and int or float for float fields.  The rows
 * are emitted in the order `sort` says (NULL: as given).  Returns 0, the
 * first negative code of host->emit, or PIKOS_EPYTHON/PIKOS_EINVAL with the
 * instance's error set when a row does not fit the schema.
 */
int external_emit_rows(struct pikos_instance *inst,
                       const struct pikos_host *host,
                       const struct pikos_schema *schema, PyObject *rows,
                       const struct external_sort *sort, int64_t snapshot);

/* ------------------------------------------------------------ timer */

struct external_timer;

/* Called by the timer with the GIL held; < 0 ends the ticking (set the
   instance's error first). */
typedef int (*external_tick_fn)(void *arg);

/*
 * Starts a thread that calls tick(arg) every `interval` seconds (> 0)
 * with the GIL held (PyGILState_Ensure).  Call with the GIL held.  Returns
 * 0, or PIKOS_ENOMEM/PIKOS_EPLUGIN with the instance's error set.
 */
int external_timer_start(struct pikos_instance *inst,
                         const struct pikos_host *host, double interval,
                         external_tick_fn tick, void *arg,
                         struct external_timer **timer);

/* Ends the thread and waits for it (releasing the GIL meanwhile, so a
   tick waiting for it can finish), then frees the timer.  Call with the
   GIL held, before Python finalises.  NULL is accepted. */
void external_timer_stop(struct external_timer *timer);

/* In a child made by fork(), where the thread does not exist: frees the
   timer without touching the thread or its lock.  NULL is accepted. */
void external_timer_forget(struct external_timer *timer);

/* ------------------------------------------------------------ python */

/* Imports `module`.  When it is missing: the error "needs the Python
   package MODULE: apt-get install -y PACKAGE" and NULL; any other failure
   of the import is reported as external_python_error does. */
PyObject *external_import(struct pikos_instance *inst,
                          const struct pikos_host *host, const char *module,
                          const char *package);

/* Takes the pending Python exception and makes it the instance's error,
   "WHAT: Type: message".  Returns PIKOS_EPYTHON. */
int external_python_error(struct pikos_instance *inst,
                          const struct pikos_host *host, const char *what);

/*
 * A thread has one profile function (PyEval_SetProfile): cProfile on
 * 3.11, yappi on every version, and pikos's own monitors all set it, and
 * the last one set wins.  An external monitor that uses it refuses to
 * start where the thread has one already, remembers its own once started,
 * and at stop checks that it is still there.
 */
struct external_profile_func {
    Py_tracefunc func;
    const PyObject *obj; /* compared, never used */
};

/* PIKOS_ESTATE with the error "PROFILER cannot share this thread's
   profile function ..." when the thread has one; else 0. */
int external_require_free_profile(struct pikos_instance *inst,
                                  const struct pikos_host *host,
                                  const char *profiler);

/* The current thread's profile function. */
struct external_profile_func external_profile_current(void);

/* PIKOS_ESTATE with the error "... replaced PROFILER's profile function"
   when the thread's profile function is no longer `mine`; else 0. */
int external_require_same_profile(struct pikos_instance *inst,
                                  const struct pikos_host *host,
                                  const char *profiler,
                                  struct external_profile_func mine);

#endif /* PIKOS_EXTERNAL_H */
