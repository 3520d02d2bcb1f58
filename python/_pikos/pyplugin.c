/*
 * python/_pikos/pyplugin.c - what the built-in plugins that call Python
 * objects (recorders/python, filters/python) share.
 *
 * They run inside the profile hook, where an exception must never reach
 * the profiled program.  The first exception a plugin raises in a run is
 * kept in its pipeline's shared state (Pipeline.stop() raises it again) and
 * reported to the core with host->set_error; the plugin is then not called
 * again until the next run.  An exception that interrupts rather than
 * reports a failure (KeyboardInterrupt, SystemExit: a signal handler ran
 * while the plugin's code did) is handed on to the program instead, at its
 * next instruction, as if the signal had arrived there.
 */
#include "ext.h"

#include <string.h>

int pikos_ext_pyplugin_init(struct pikos_instance *inst, void *ctx,
                            const struct pikos_host *host)
{
    struct pikos_ext_pyplugin *p = ctx;

    p->host = host;
    return PIKOS_OK;
}

int pikos_ext_pyplugin_start(struct pikos_instance *inst, void *ctx)
{
    struct pikos_ext_pyplugin *p = ctx;

    p->failed = 0;
    return PIKOS_OK;
}

void pikos_ext_pyplugin_fini(struct pikos_instance *inst, void *ctx)
{
    struct pikos_ext_pyplugin *p = ctx;

    Py_CLEAR(p->target);
    pikos_ext_converter_clear(&p->converter);
    /* The shared state lives in the Pipeline object, which may be freed
       before this instance (the core defers freeing a pipeline while an
       event is dispatched): an instance without a target touches nothing. */
    p->shared = NULL;
}

struct pikos_ext_pyplugin *pikos_ext_pyplugin_of(struct pikos_instance *inst)
{
    const struct pikos_plugin *plugin = pikos_instance_plugin(inst);

    if (plugin != &pikos_ext_python_recorder &&
        plugin != &pikos_ext_python_filter)
        return NULL;
    return pikos_instance_ctx(inst);
}

/* ------------------------------------------------------------ entering */

/* Gives up a reference to a pipeline later, from the program's code. */
static int release_later(void *owner)
{
    Py_DECREF((PyObject *)owner);
    return 0;
}

void pikos_ext_pyplugin_enter(struct pikos_ext_pyplugin *p,
                              struct pikos_ext_entry *entry)
{
    entry->pending = pikos_ext_take_exception();
    entry->owner = p->shared != NULL ? Py_XNewRef(p->shared->owner) : NULL;
    entry->shared = p->shared;
    if (entry->shared != NULL)
        entry->shared->calls++;
}

void pikos_ext_pyplugin_leave(struct pikos_ext_pyplugin *p,
                              struct pikos_ext_entry *entry)
{
    pikos_ext_restore_exception(entry->pending);
    if (entry->shared != NULL)
        entry->shared->calls--;
    if (entry->owner == NULL)
        return;
    /* The plugin's code dropped every other reference: freeing the
       pipeline now would free it under the core, which is still running
       it.  A failure to queue the release keeps the pipeline, never
       crashes. */
    if (Py_REFCNT(entry->owner) > 1)
        Py_DECREF(entry->owner);
    else
        Py_AddPendingCall(release_later, entry->owner);
}

/* ------------------------------------------------------------ failures */

/* "Recorder.record()" or "my_filter()": who raised, for the message. */
static PyObject *target_name(const struct pikos_ext_pyplugin *p,
                             const char *method)
{
    PyObject *qualname, *name = NULL;

    if (method != NULL)
        return PyUnicode_FromFormat("%s.%s()", Py_TYPE(p->target)->tp_name,
                                    method);
    qualname = pikos_ext_attr(p->target, "__qualname__");
    if (qualname != NULL && PyUnicode_Check(qualname))
        name = PyUnicode_FromFormat("%U()", qualname);
    Py_XDECREF(qualname);
    PyErr_Clear();
    return name != NULL
               ? name
               : PyUnicode_FromFormat("%s()", Py_TYPE(p->target)->tp_name);
}

/* The core's sticky error for the plugin: one line naming who raised what
   (Pipeline.stop() raises the exception itself). */
static void report(struct pikos_instance *inst, struct pikos_ext_pyplugin *p,
                   const char *method, PyObject *exc)
{
    PyObject *who = p->target != NULL ? target_name(p, method) : NULL;
    PyObject *text = PyObject_Str(exc);
    const char *who_utf8 = who != NULL ? PyUnicode_AsUTF8(who) : NULL;
    const char *text_utf8 = text != NULL ? PyUnicode_AsUTF8(text) : NULL;

    PyErr_Clear(); /* a message that cannot be made is left out */
    p->host->set_error(inst, PIKOS_EPYTHON, "%s raised %s%s%s",
                       who_utf8 != NULL ? who_utf8 : "Python code",
                       Py_TYPE(exc)->tp_name,
                       text_utf8 != NULL && *text_utf8 != '\0' ? ": " : "",
                       text_utf8 != NULL ? text_utf8 : "");
    Py_XDECREF(who);
    Py_XDECREF(text);
}

enum pikos_ext_outcome pikos_ext_pyplugin_failed(struct pikos_instance *inst,
                                                 struct pikos_ext_pyplugin *p,
                                                 const char *what)
{
    PyObject *exc = pikos_ext_take_exception();

    if (exc != NULL && !PyErr_GivenExceptionMatches(exc, PyExc_Exception)) {
        pikos_ext_raise_later(exc);
        return PIKOS_EXT_INTERRUPTED;
    }
    p->failed = 1;
    if (exc == NULL) { /* callers have one set; kept safe all the same */
        p->host->set_error(inst, PIKOS_EPYTHON, "failed");
        return PIKOS_EXT_FAILED;
    }
    report(inst, p, what, exc);
    if (p->shared != NULL && p->shared->error == NULL)
        p->shared->error = exc; /* the first one of the run */
    else
        Py_DECREF(exc);
    return PIKOS_EXT_FAILED;
}

/* ------------------------------------------------------------ calls */

enum pikos_ext_outcome pikos_ext_pyplugin_call(struct pikos_instance *inst,
                                               struct pikos_ext_pyplugin *p,
                                               PyObject *method, PyObject *arg,
                                               int *truth)
{
    /* Held: the called code may drop the plugin's own reference. */
    PyObject *target = Py_NewRef(p->target);
    const char *what = method != NULL ? PyUnicode_AsUTF8(method) : NULL;
    PyObject *result;

    if (method == NULL)
        result = PyObject_CallOneArg(target, arg);
    else if (arg == NULL)
        result = PyObject_CallMethodNoArgs(target, method);
    else
        result = PyObject_CallMethodOneArg(target, method, arg);
    if (result != NULL && truth != NULL &&
        (*truth = PyObject_IsTrue(result)) < 0)
        Py_CLEAR(result);
    Py_DECREF(target);
    if (result == NULL)
        return pikos_ext_pyplugin_failed(inst, p, what);
    Py_DECREF(result);
    return PIKOS_EXT_DONE;
}

int pikos_ext_pyplugin_takes(struct pikos_instance *inst,
                             struct pikos_ext_pyplugin *p,
                             const struct pikos_schema *schema)
{
    if (strcmp(schema->name, "HeapRecord") != 0 &&
        strcmp(schema->name, "BlockRecord") != 0 &&
        strcmp(schema->name, "HeapTopRecord") != 0)
        return PIKOS_OK;
    return p->host->set_error(
        inst, PIKOS_EINVAL,
        "%s records come from inside the program's allocator, where no "
        "Python code may run: give them to a recorder written in C "
        "(recorders/csv, recorders/list, ...)",
        schema->name);
}

PyObject *pikos_ext_pyplugin_record(struct pikos_ext_pyplugin *p,
                                    const struct pikos_record *rec, int shares)
{
    struct pikos_ext_shared *shared = p->shared;
    PyThreadState *thread = PyThreadState_Get();
    PyObject *record;

    if (!shares && shared->record != NULL && shared->record_from == rec &&
        shared->record_thread == thread)
        return Py_NewRef(shared->record);
    if (shares) {
        shared->record_from = NULL;
        Py_CLEAR(shared->record);
    }
    record = pikos_ext_record_new(&p->converter, rec);
    if (record != NULL && shares) {
        shared->record = Py_NewRef(record);
        shared->record_from = rec;
        shared->record_thread = thread;
    }
    return record;
}
