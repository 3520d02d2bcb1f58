/*
 * python/_pikos/pipeline.c - the Pipeline type: monitors -> filters ->
 * recorders, a struct pikos_pipeline and the Python objects its built-in
 * Python plugins call.
 *
 * start() and stop() nest as the core's do: only the outermost pair does
 * the work.  A Python plugin's exception raised inside the hook is kept
 * (pyplugin.c) and raised again by the outermost stop() (or by start(),
 * for prepare()).  A pipeline freed while it runs is stopped first, by its
 * finalizer, so no hook is left pointing at freed memory.
 *
 * The pipeline owns the Python objects of its Python plugins through their
 * C contexts, so it shows them to the garbage collector itself: a recorder
 * that refers back to its pipeline makes a cycle the collector can free.
 * It holds no Instance object (ext.h): a pipeline nobody refers to is
 * freed at once.
 *
 * Its owner (a pikos monitor) also holds its Guard: an Instance keeps the
 * pipeline alive for its records, but when the Guard is freed while the
 * pipeline runs, the pipeline stops as a freed one does (issue 13).
 */
#include "ext.h"

/* ------------------------------------------------------------ helpers */

static int check_stopped(struct pikos_ext_pipeline *self)
{
    if (!pikos_pipeline_is_running(self->pipe))
        return 0;
    PyErr_SetString(pikos_ext_error,
                    "pipeline is running: add plugins before start()");
    return -1;
}

static int reserve_member(struct pikos_ext_pipeline *self)
{
    size_t capacity = self->capacity ? self->capacity * 2 : 4;
    struct pikos_ext_member *members;

    if (self->nmembers < self->capacity)
        return 0;
    members = PyMem_Realloc(self->members, capacity * sizeof(*members));
    if (members == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->members = members;
    self->capacity = capacity;
    return 0;
}

/* Hands `inst` over to the pipeline and returns its new Instance object.
   The instance is freed on failure. */
static PyObject *adopt(struct pikos_ext_pipeline *self,
                       struct pikos_instance *inst)
{
    struct pikos_error err = {0};
    PyObject *handle = NULL;

    if (reserve_member(self) == 0)
        handle = pikos_ext_instance_new(self, self->nmembers);
    if (handle == NULL) {
        pikos_instance_free(inst);
        return NULL;
    }
    if (pikos_pipeline_add(self->pipe, inst, &err) < 0) {
        Py_DECREF(handle); /* the core freed the instance */
        return pikos_ext_raise(&err);
    }
    self->members[self->nmembers++] = (struct pikos_ext_member){.inst = inst};
    return handle;
}

/* A new instance of a built-in Python plugin holding `target`. */
static struct pikos_instance *python_instance(struct pikos_ext_pipeline *self,
                                              const struct pikos_plugin *plugin,
                                              PyObject *target)
{
    struct pikos_error err = {0};
    char name[64];
    struct pikos_instance *inst;
    struct pikos_ext_pyplugin *p;

    snprintf(name, sizeof(name), "%s/%s", pikos_kind_plural(plugin->kind),
             plugin->name);
    inst = pikos_instance_new(pikos_ext_registry(), name, NULL, 0, &err);
    if (inst == NULL) {
        pikos_ext_raise(&err);
        return NULL;
    }
    p = pikos_ext_pyplugin_of(inst);
    p->target = Py_NewRef(target);
    p->shared = &self->shared;
    return inst;
}

/* sys.modules["__main__"].__file__, for focus names "__main__:f". */
static void set_main_filename(void)
{
    PyObject *main = PyImport_ImportModule("__main__");
    PyObject *file =
        main != NULL ? pikos_ext_attr(main, "__file__") : NULL;
    const char *path =
        file != NULL && PyUnicode_Check(file) ? PyUnicode_AsUTF8(file) : NULL;

    PyErr_Clear(); /* no __main__ file (interactive, -c): no main file */
    pikos_set_main_filename(path);
    Py_XDECREF(file);
    Py_XDECREF(main);
}

/* The exception a stop() or start() that failed raises: the first one a
   Python plugin raised, else the core's error. */
static PyObject *raise_run_error(struct pikos_ext_pipeline *self,
                                 const struct pikos_error *err)
{
    PyObject *exc = self->shared.error;

    self->shared.error = NULL;
    if (exc != NULL) {
        pikos_ext_restore_exception(exc);
        return NULL;
    }
    PyErr_SetString(pikos_ext_error, err->message);
    return NULL;
}

static void forget_record(struct pikos_ext_pipeline *self)
{
    self->shared.record_from = NULL;
    self->shared.record_thread = NULL;
    Py_CLEAR(self->shared.record);
}

/* ------------------------------------------------------------ methods */

static PyObject *pipeline_add(struct pikos_ext_pipeline *self, PyObject *args,
                              PyObject *kwargs)
{
    static char *keywords[] = {"name", "options", NULL};
    struct pikos_ext_settings settings;
    struct pikos_error err = {0};
    struct pikos_plugin_info *info;
    struct pikos_instance *inst;
    PyObject *options = Py_None;
    const char *name;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s|O:add", keywords, &name,
                                     &options) ||
        check_stopped(self) < 0 || (info = pikos_ext_plugin_find(name)) == NULL)
        return NULL;
    if (pikos_ext_is_python_plugin(info))
        return PyErr_Format(PyExc_ValueError,
                            "[%s] takes a Python object: use "
                            "add_python_recorder() or add_python_filter()",
                            info->full_name);
    if (pikos_ext_settings_from(&settings, info->full_name, options) < 0)
        return NULL;
    inst = pikos_instance_new(pikos_ext_registry(), info->full_name,
                              settings.items, settings.count, &err);
    pikos_ext_settings_release(&settings);
    if (inst == NULL)
        return pikos_ext_raise(&err);
    return adopt(self, inst);
}

static PyObject *pipeline_add_python_recorder(struct pikos_ext_pipeline *self,
                                              PyObject *recorder)
{
    static const char *const methods[] = {"prepare", "record", "finalize"};
    struct pikos_instance *inst;

    if (check_stopped(self) < 0)
        return NULL;
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        PyObject *method = pikos_ext_attr(recorder, methods[i]);

        PyErr_Clear(); /* as hasattr(): any error means "has none" */
        if (method == NULL)
            return PyErr_Format(PyExc_TypeError,
                                "a Python recorder needs prepare(), record() "
                                "and finalize(): %.100s has no %s()",
                                Py_TYPE(recorder)->tp_name, methods[i]);
        Py_DECREF(method);
    }
    inst = python_instance(self, &pikos_ext_python_recorder, recorder);
    return inst != NULL ? adopt(self, inst) : NULL;
}

static PyObject *pipeline_add_python_filter(struct pikos_ext_pipeline *self,
                                            PyObject *filter)
{
    struct pikos_instance *inst;
    PyObject *handle;

    if (check_stopped(self) < 0)
        return NULL;
    if (!PyCallable_Check(filter))
        return PyErr_Format(PyExc_TypeError,
                            "a Python filter must be callable, not %.100s",
                            Py_TYPE(filter)->tp_name);
    inst = python_instance(self, &pikos_ext_python_filter, filter);
    if (inst == NULL || (handle = adopt(self, inst)) == NULL)
        return NULL;
    /* Filters run in the order they were added: this one sees each
       record first when it is the first Python filter. */
    if (self->shared.first_filter == NULL)
        self->shared.first_filter = pikos_ext_pyplugin_of(inst);
    return handle;
}

static PyObject *pipeline_start(struct pikos_ext_pipeline *self,
                                PyObject *unused)
{
    struct pikos_error err = {0};

    if (!pikos_pipeline_is_running(self->pipe)) {
        set_main_filename();
        Py_CLEAR(self->shared.error);
    }
    if (pikos_pipeline_start(self->pipe, &err) < 0)
        return raise_run_error(self, &err);
    Py_RETURN_NONE;
}

static PyObject *pipeline_stop(struct pikos_ext_pipeline *self,
                               PyObject *unused)
{
    struct pikos_error err = {0};
    int rc = pikos_pipeline_stop(self->pipe, &err);

    if (pikos_pipeline_is_running(self->pipe))
        Py_RETURN_NONE; /* an inner stop */
    forget_record(self);
    if (rc < 0 || self->shared.error != NULL)
        return raise_run_error(self, &err);
    Py_RETURN_NONE;
}

static PyObject *pipeline_guard(struct pikos_ext_pipeline *self,
                                PyObject *unused)
{
    struct pikos_ext_guard *guard =
        PyObject_GC_New(struct pikos_ext_guard, &pikos_ext_guard_type);

    if (guard == NULL)
        return NULL;
    guard->pipeline = (struct pikos_ext_pipeline *)Py_NewRef(self);
    PyObject_GC_Track(guard);
    return (PyObject *)guard;
}

static PyObject *pipeline_running(struct pikos_ext_pipeline *self, void *unused)
{
    return PyBool_FromLong(pikos_pipeline_is_running(self->pipe));
}

static PyObject *pipeline_instances(struct pikos_ext_pipeline *self,
                                    void *unused)
{
    PyObject *list = PyList_New((Py_ssize_t)self->nmembers);

    for (size_t i = 0; list != NULL && i < self->nmembers; i++) {
        PyObject *handle = pikos_ext_instance_new(self, i);
        if (handle == NULL)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, (Py_ssize_t)i, handle);
    }
    return list;
}

/* ------------------------------------------------------------ lifetime */

static PyObject *pipeline_new(PyTypeObject *type, PyObject *args,
                              PyObject *kwargs)
{
    static char *keywords[] = {NULL};
    struct pikos_ext_pipeline *self;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, ":Pipeline", keywords))
        return NULL;
    self = (struct pikos_ext_pipeline *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->shared.owner = (PyObject *)self;
    self->pipe = pikos_pipeline_new();
    if (self->pipe == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    return (PyObject *)self;
}

/* Stops a pipeline nobody can stop any more (it, or the Guard of its
   owner, is being freed while it runs), however deeply its starts were
   nested.  Its errors go nowhere (nobody asked for them), but a Python
   plugin's exception is shown as an ignored one, raised in `where`. */
static void stop_abandoned(struct pikos_ext_pipeline *self, PyObject *where)
{
    PyObject *pending;

    if (self->pipe == NULL || !pikos_pipeline_is_running(self->pipe))
        return;
    pending = pikos_ext_take_exception();
    while (pikos_pipeline_is_running(self->pipe))
        pikos_pipeline_stop(self->pipe, NULL);
    forget_record(self);
    if (self->shared.error != NULL) {
        pikos_ext_restore_exception(self->shared.error);
        self->shared.error = NULL;
        PyErr_WriteUnraisable(where);
    }
    pikos_ext_restore_exception(pending);
}

static void pipeline_finalize(struct pikos_ext_pipeline *self)
{
    stop_abandoned(self, (PyObject *)self);
}

static int pipeline_traverse(struct pikos_ext_pipeline *self, visitproc visit,
                             void *arg)
{
    for (size_t i = 0; i < self->nmembers; i++) {
        struct pikos_ext_member *member = &self->members[i];
        struct pikos_ext_pyplugin *p = pikos_ext_pyplugin_of(member->inst);
        Py_VISIT(member->records);
        Py_VISIT(member->converter.cls);
        if (p != NULL) {
            Py_VISIT(p->target);
            Py_VISIT(p->converter.cls);
        }
    }
    Py_VISIT(self->shared.error);
    Py_VISIT(self->shared.record);
    return 0;
}

/* Drops every Python object the pipeline holds; its plugin instances stay
   (a Python plugin left without its object does nothing). */
static int pipeline_clear(struct pikos_ext_pipeline *self)
{
    for (size_t i = 0; i < self->nmembers; i++) {
        struct pikos_ext_member *member = &self->members[i];
        struct pikos_ext_pyplugin *p = pikos_ext_pyplugin_of(member->inst);
        Py_CLEAR(member->records);
        pikos_ext_converter_clear(&member->converter);
        if (p != NULL)
            pikos_ext_pyplugin_fini(member->inst, p);
    }
    Py_CLEAR(self->shared.error);
    forget_record(self);
    return 0;
}

static void pipeline_dealloc(struct pikos_ext_pipeline *self)
{
    if (PyObject_CallFinalizerFromDealloc((PyObject *)self) < 0)
        return; /* the finalizer made it live again */
    PyObject_GC_UnTrack(self);
    pipeline_clear(self);
    pikos_pipeline_free(self->pipe);
    PyMem_Free(self->members);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* ------------------------------------------------------------ type */

static PyMethodDef pipeline_methods[] = {
    {"add", (PyCFunction)(void (*)(void))pipeline_add,
     METH_VARARGS | METH_KEYWORDS,
     "add(name, options=None) -> Instance\n\nAdds an instance of the plugin "
     "`name` ('monitors/functions', ...) with\n`options` (a dict; a None "
     "value is left out).  LookupError for an\nunknown plugin, ValueError or "
     "TypeError for a bad option, Error for\na broken plugin."},
    {"add_python_recorder", (PyCFunction)pipeline_add_python_recorder, METH_O,
     "add_python_recorder(recorder) -> Instance\n\nAdds an object with "
     "prepare(record_class), record(record) and finalize()."},
    {"add_python_filter", (PyCFunction)pipeline_add_python_filter, METH_O,
     "add_python_filter(function) -> Instance\n\nAdds a callable: records it "
     "returns true for pass."},
    {"start", (PyCFunction)pipeline_start, METH_NOARGS,
     "start()\n\nStarts monitoring (nested starts only count)."},
    {"stop", (PyCFunction)pipeline_stop, METH_NOARGS,
     "stop()\n\nStops monitoring (the outermost stop finalizes the "
     "recorders).\nRaises the first exception a Python recorder or filter "
     "raised meanwhile."},
    {"guard", (PyCFunction)pipeline_guard, METH_NOARGS,
     "guard() -> Guard\n\nA Guard of this pipeline, for its owner to hold: "
     "when the Guard is\nfreed (or collected) while the pipeline runs, the "
     "pipeline stops,\nas a freed Pipeline does, even when other objects "
     "(Instance\nobjects) still refer to it."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef pipeline_getset[] = {
    {"running", (getter)pipeline_running, NULL,
     "Whether the pipeline is started.", NULL},
    {"instances", (getter)pipeline_instances, NULL,
     "Instance objects of the plugins added, in order (a new list).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject pikos_ext_pipeline_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pikos._pikos.Pipeline",
    .tp_basicsize = sizeof(struct pikos_ext_pipeline),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Pipeline()\n\nMonitors -> filters -> recorders: one "
              "monitoring session of the pikos core.",
    .tp_new = pipeline_new,
    .tp_dealloc = (destructor)pipeline_dealloc,
    .tp_finalize = (destructor)pipeline_finalize,
    .tp_traverse = (traverseproc)pipeline_traverse,
    .tp_clear = (inquiry)pipeline_clear,
    .tp_methods = pipeline_methods,
    .tp_getset = pipeline_getset,
};

/* ------------------------------------------------------------ Guard */

/* Stops an abandoned pipeline from the program's code (a pending call),
   and gives up the reference the call held. */
static int stop_later(void *pipeline)
{
    stop_abandoned(pipeline, pipeline);
    Py_DECREF((PyObject *)pipeline);
    return 0;
}

/* A Guard is freed (or collected, with the cycle it is in: its finalizer
   runs before anything of the cycle is cleared) while its pipeline runs:
   nobody is left to stop the pipeline, so it stops now.  No Python code of
   pikos runs for it: freeing a Guard of a stopped pipeline is silent. */
static void guard_finalize(struct pikos_ext_guard *self)
{
    struct pikos_ext_pipeline *pipeline = self->pipeline;

    if (pipeline == NULL || pipeline->pipe == NULL ||
        !pikos_pipeline_is_running(pipeline->pipe))
        return;
    if (pipeline->shared.calls == 0) {
        stop_abandoned(pipeline, (PyObject *)self);
        return;
    }
    /* Dropped by the code of one of the pipeline's own Python plugins:
       stopping now would stop the pipeline under the core, in the middle
       of its event.  It stops at the program's next instruction (a failure
       to queue that leaves it to the Pipeline's own finalizer). */
    Py_INCREF(pipeline);
    if (Py_AddPendingCall(stop_later, pipeline) < 0)
        Py_DECREF(pipeline);
}

static int guard_traverse(struct pikos_ext_guard *self, visitproc visit,
                          void *arg)
{
    Py_VISIT(self->pipeline);
    return 0;
}

static int guard_clear(struct pikos_ext_guard *self)
{
    Py_CLEAR(self->pipeline);
    return 0;
}

static void guard_dealloc(struct pikos_ext_guard *self)
{
    if (PyObject_CallFinalizerFromDealloc((PyObject *)self) < 0)
        return; /* the finalizer made it live again */
    PyObject_GC_UnTrack(self);
    guard_clear(self);
    PyObject_GC_Del(self);
}

static PyObject *guard_pipeline(struct pikos_ext_guard *self, void *unused)
{
    return Py_NewRef(self->pipeline != NULL ? (PyObject *)self->pipeline
                                            : Py_None);
}

static PyGetSetDef guard_getset[] = {
    {"pipeline", (getter)guard_pipeline, NULL, "The guarded Pipeline.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject pikos_ext_guard_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pikos._pikos.Guard",
    .tp_basicsize = sizeof(struct pikos_ext_guard),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "A pipeline's owner holds its Guard (Pipeline.guard()): when "
              "the Guard\nis freed while the pipeline runs, the pipeline "
              "stops.",
    .tp_dealloc = (destructor)guard_dealloc,
    .tp_finalize = (destructor)guard_finalize,
    .tp_traverse = (traverseproc)guard_traverse,
    .tp_clear = (inquiry)guard_clear,
    .tp_getset = guard_getset,
};
