/*
 * python/_pikos/ext.h - what the files of the `pikos._pikos` extension
 * share.  The extension drives libpikos through its embedder API only
 * (<pikos/pikos.h>) and adds two built-in plugins that call Python objects:
 * recorders/python and filters/python.
 *
 *   module.c     module init, Error, the module's functions; attributes
 *                by C string name
 *   registry.c   the process's registry, plugins() and load()
 *   errors.c     core errors as Python exceptions; exceptions kept aside
 *   options.c    Python option values as the core's text settings
 *   records.c    record classes; a pikos_record as a Python object
 *   pipeline.c   the Pipeline type and its Guard
 *   instance.c   the Instance type and records()
 *   pyplugin.c   what recorders/python and filters/python share
 *   pyrecorder.c recorders/python
 *   pyfilter.c   filters/python
 *
 * Everything runs with the GIL held: the core calls plugins with it.
 */
#ifndef PIKOS_EXT_H
#define PIKOS_EXT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <pikos/pikos.h>

/* ------------------------------------------------------------ module.c */

/* obj.name, as PyObject_GetAttrString, but through the interned str of the
   name: CPython's type attribute cache keeps alive the name string of each
   lookup that lands in a new entry of it (4096), so a fresh name string per
   call (PyObject_GetAttrString's) grows the heap by up to ~200 KB over
   repeated runs.  New reference, or NULL with an exception set. */
PyObject *pikos_ext_attr(PyObject *obj, const char *name);

/* ------------------------------------------------------------ errors.c */

/* _pikos.Error (a RuntimeError): core failures that are not bad options. */
extern PyObject *pikos_ext_error;

int pikos_ext_errors_init(PyObject *module);
/* Raises the exception for a failed core call (ValueError for a bad
   option or argument, MemoryError, else _pikos.Error); returns NULL. */
PyObject *pikos_ext_raise(const struct pikos_error *err);
/* The exception being raised (normalized, traceback attached), taken out
   of the thread's error indicator; NULL when there is none. */
PyObject *pikos_ext_take_exception(void);
/* Raises `exc` again (steals the reference; NULL: does nothing). */
void pikos_ext_restore_exception(PyObject *exc);
/* Raises `exc` in the program at the next point Python checks for pending
   work (steals the reference), as a signal handler's exception would be. */
void pikos_ext_raise_later(PyObject *exc);

/* ------------------------------------------------------------ registry.c */

int pikos_ext_registry_open(void);
struct pikos_registry *pikos_ext_registry(void);
/* Finds a plugin by name and loads it; NULL with LookupError (unknown
   name) or _pikos.Error (broken plugin) set. */
struct pikos_plugin_info *pikos_ext_plugin_find(const char *name);
/* Whether the plugin is recorders/python or filters/python. */
int pikos_ext_is_python_plugin(const struct pikos_plugin_info *info);
PyObject *pikos_ext_plugins(PyObject *module, PyObject *unused);
PyObject *pikos_ext_load(PyObject *module, PyObject *args);

/* ------------------------------------------------------------ options.c */

/* The options of one plugin instance as the core takes them; the strings
   the items point into are kept alive by `keep`. */
struct pikos_ext_settings {
    struct pikos_option_setting *items;
    size_t count;
    PyObject *keep;
};

int pikos_ext_settings_from(struct pikos_ext_settings *settings,
                            const char *plugin, PyObject *options);
void pikos_ext_settings_release(struct pikos_ext_settings *settings);

/* ------------------------------------------------------------ records.c */

/* What a consumer of records (a Python plugin, an Instance's records())
   keeps to convert them quickly; records.c tells what. */
struct pikos_ext_converter {
    const struct pikos_schema *schema; /* the last records' */
    PyObject *cls;                     /* its class */
    unsigned long generation; /* of the class table when it was looked up */
    int direct;               /* build the namedtuple without calling cls */
    PyObject **texts;         /* per field: the last str made, or NULL */
    size_t ntexts;
};

int pikos_ext_records_init(void);
PyObject *pikos_ext_register_record_class(PyObject *module, PyObject *args);
PyObject *pikos_ext_record_class(PyObject *module, PyObject *name);
/* The class of the schema's records (borrowed from the converter); NULL
   with an exception set. */
PyObject *pikos_ext_class_for(struct pikos_ext_converter *conv,
                              const struct pikos_schema *schema);
/* The record as an object of its class; NULL with an exception set. */
PyObject *pikos_ext_record_new(struct pikos_ext_converter *conv,
                               const struct pikos_record *rec);
void pikos_ext_converter_clear(struct pikos_ext_converter *conv);

/* ------------------------------------------------------------ pyplugin.c */

struct pikos_ext_pyplugin;

/* What the Python plugins of one pipeline share. */
struct pikos_ext_shared {
    PyObject *owner; /* the Pipeline object (borrowed: it holds this) */
    /* The first exception any of them raised in this run. */
    PyObject *error;
    /* The record object the pipeline's first Python filter made last, from
       `record_from` in thread `record_thread`: later Python filters and
       recorders seeing that same record reuse it. */
    PyObject *record;
    const struct pikos_record *record_from;
    PyThreadState *record_thread;
    const struct pikos_ext_pyplugin *first_filter;
    /* How many callbacks of its Python plugins are running (nested). */
    int calls;
};

/* The context of recorders/python and filters/python. */
struct pikos_ext_pyplugin {
    const struct pikos_host *host;
    PyObject *target; /* the recorder object, or the filter callable */
    struct pikos_ext_shared *shared;
    struct pikos_ext_converter converter;
    int failed; /* raised in this run: not called again until the next */
};

/* What calling a Python plugin's target came to. */
enum pikos_ext_outcome {
    PIKOS_EXT_DONE,        /* returned */
    PIKOS_EXT_FAILED,      /* raised: kept as the plugin's failure */
    PIKOS_EXT_INTERRUPTED, /* KeyboardInterrupt, ...: passed to the program */
};

/* What a plugin callback puts aside while it runs Python code. */
struct pikos_ext_entry {
    PyObject *pending; /* the program's exception being raised, if any */
    PyObject *owner;   /* the pipeline, held */
    struct pikos_ext_shared *shared; /* its shared state (calls counted) */
};

extern const struct pikos_plugin pikos_ext_python_recorder;
extern const struct pikos_plugin pikos_ext_python_filter;

int pikos_ext_pyplugin_init(struct pikos_instance *inst, void *ctx,
                            const struct pikos_host *host);
int pikos_ext_pyplugin_start(struct pikos_instance *inst, void *ctx);
void pikos_ext_pyplugin_fini(struct pikos_instance *inst, void *ctx);
/* The Python plugin context of an instance of recorders/python or
   filters/python; NULL for any other plugin. */
struct pikos_ext_pyplugin *pikos_ext_pyplugin_of(struct pikos_instance *inst);
/* Around the Python code of a plugin callback: the program's pending
   exception is put aside, and the pipeline held so that the code cannot
   free it under the core (its last reference is then dropped later, from
   the program's code). */
void pikos_ext_pyplugin_enter(struct pikos_ext_pyplugin *p,
                              struct pikos_ext_entry *entry);
void pikos_ext_pyplugin_leave(struct pikos_ext_pyplugin *p,
                              struct pikos_ext_entry *entry);
/* Calls target.method(arg) - target(arg) when method is NULL, and with no
   argument when arg is NULL - and, when `truth` is not NULL, stores the
   result's truth in it.  An exception is handled as the outcome says. */
enum pikos_ext_outcome pikos_ext_pyplugin_call(struct pikos_instance *inst,
                                               struct pikos_ext_pyplugin *p,
                                               PyObject *method, PyObject *arg,
                                               int *truth);
/* PIKOS_OK, or PIKOS_EINVAL with the error set for a record type that a
   monitor emits where no Python code may run (inside the program's
   allocator or at its safe points: monitors/allocations' HeapRecord,
   BlockRecord and HeapTopRecord). */
int pikos_ext_pyplugin_takes(struct pikos_instance *inst,
                             struct pikos_ext_pyplugin *p,
                             const struct pikos_schema *schema);
/* Handles the exception being raised by the plugin's own work (making a
   record object, ...) as pikos_ext_pyplugin_call would. */
enum pikos_ext_outcome pikos_ext_pyplugin_failed(struct pikos_instance *inst,
                                                 struct pikos_ext_pyplugin *p,
                                                 const char *what);
/* The object of `rec` for the plugin: the pipeline's shared one when it
   was made from this very record, else a new one (which the pipeline's
   first Python filter, `shares`, makes the shared one).  New reference. */
PyObject *pikos_ext_pyplugin_record(struct pikos_ext_pyplugin *p,
                                    const struct pikos_record *rec, int shares);

int pikos_ext_python_recorder_init(void); /* interned method names */

/* ------------------------------------------------------------ types */

/* One plugin instance of a pipeline, and what Python made of its records
   so far (Instance.records() converts each record once). */
struct pikos_ext_member {
    struct pikos_instance *inst;
    PyObject *records; /* a list, or NULL before the first records() */
    struct pikos_ext_converter converter;
};

/*
 * A pipeline holds no reference to its Instance objects (each of which
 * holds the pipeline), so a pipeline nobody refers to is freed at once,
 * not by the cycle collector: one that runs is then stopped at once.
 */
struct pikos_ext_pipeline {
    PyObject ob_base; /* PyObject_HEAD, spelt out for clang-format */
    struct pikos_pipeline *pipe;
    struct pikos_ext_member *members; /* in the order they were added */
    size_t nmembers;
    size_t capacity;
    struct pikos_ext_shared shared;
};

/* A handle to one member of a Pipeline (which it keeps alive). */
struct pikos_ext_instance {
    PyObject ob_base; /* PyObject_HEAD, spelt out for clang-format */
    struct pikos_ext_pipeline *pipeline;
    size_t index; /* in pipeline->members */
};

/* What the owner of a pipeline (a pikos monitor) holds, beside the
   pipeline: freed while the pipeline runs, it stops it (pipeline.c).  The
   pipeline's Instance objects keep it alive, not running. */
struct pikos_ext_guard {
    PyObject ob_base; /* PyObject_HEAD, spelt out for clang-format */
    struct pikos_ext_pipeline *pipeline;
};

extern PyTypeObject pikos_ext_pipeline_type;
extern PyTypeObject pikos_ext_instance_type;
extern PyTypeObject pikos_ext_guard_type;

/* A new Instance object for member `index` of `pipeline`. */
PyObject *pikos_ext_instance_new(struct pikos_ext_pipeline *pipeline,
                                 size_t index);

#endif /* PIKOS_EXT_H */
