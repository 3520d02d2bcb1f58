/*
 * python/_pikos/instance.c - the Instance type: a handle to one plugin
 * instance of a Pipeline, and records() for plugins that keep records.
 *
 * Handles are made on demand (Pipeline.add, Pipeline.instances); two
 * handles of the same member are equal.  What records() converted is kept
 * with the member, in the pipeline: asking again after a long run converts
 * only the new records, and the records stay readable after the pipeline
 * stops.
 */
#include "ext.h"

#define QUERY_RECORDS "records"

PyObject *pikos_ext_instance_new(struct pikos_ext_pipeline *pipeline,
                                 size_t index)
{
    struct pikos_ext_instance *self =
        PyObject_GC_New(struct pikos_ext_instance, &pikos_ext_instance_type);

    if (self == NULL)
        return NULL;
    self->pipeline = (struct pikos_ext_pipeline *)Py_NewRef(pipeline);
    self->index = index;
    PyObject_GC_Track(self);
    return (PyObject *)self;
}

static struct pikos_ext_member *member_of(struct pikos_ext_instance *self)
{
    return &self->pipeline->members[self->index];
}

static int instance_traverse(struct pikos_ext_instance *self, visitproc visit,
                             void *arg)
{
    Py_VISIT(self->pipeline);
    return 0;
}

static void instance_dealloc(struct pikos_ext_instance *self)
{
    PyObject_GC_UnTrack(self);
    Py_DECREF(self->pipeline);
    PyObject_GC_Del(self);
}

/* ------------------------------------------------------------ records */

/*
 * Converts record `index` of the plugin's list and appends it.  The list
 * is asked for again each time: converting runs Python code, which a
 * running pipeline records into that very list, moving its array.
 */
static int convert_record(struct pikos_ext_member *member, size_t index)
{
    struct pikos_record_list list;
    struct pikos_record rec;
    PyObject *record;
    int rc;

    if (pikos_instance_query(member->inst, QUERY_RECORDS, &list) < 0 ||
        index >= list.count) {
        PyErr_Format(pikos_ext_error, "%s lost records while they were read",
                     pikos_instance_name(member->inst));
        return -1;
    }
    rec = list.records[index];
    record = pikos_ext_record_new(&member->converter, &rec);
    if (record == NULL)
        return -1;
    rc = PyList_Append(member->records, record);
    Py_DECREF(record);
    return rc;
}

static PyObject *instance_records(struct pikos_ext_instance *self,
                                  PyObject *unused)
{
    struct pikos_ext_member *member = member_of(self);
    struct pikos_record_list list;
    int rc = pikos_instance_query(member->inst, QUERY_RECORDS, &list);

    if (rc == PIKOS_ENOTFOUND)
        return PyErr_Format(PyExc_TypeError, "%s does not keep records",
                            pikos_instance_name(member->inst));
    if (rc < 0)
        return PyErr_Format(pikos_ext_error, "%s: cannot read its records",
                            pikos_instance_name(member->inst));
    if (member->records == NULL && (member->records = PyList_New(0)) == NULL)
        return NULL;
    /* Only those kept now: converting adds records to a running list. */
    for (size_t i = (size_t)PyList_GET_SIZE(member->records); i < list.count;
         i++)
        if (convert_record(member, i) < 0)
            return NULL;
    return PyList_GetSlice(member->records, 0, PY_SSIZE_T_MAX);
}

/* ------------------------------------------------------------ attributes */

static PyObject *instance_name(struct pikos_ext_instance *self, void *unused)
{
    return PyUnicode_FromString(pikos_instance_name(member_of(self)->inst));
}

static PyObject *instance_kind(struct pikos_ext_instance *self, void *unused)
{
    const struct pikos_plugin *plugin =
        pikos_instance_plugin(member_of(self)->inst);

    return PyUnicode_FromString(pikos_kind_name(plugin->kind));
}

static PyObject *instance_repr(struct pikos_ext_instance *self)
{
    return PyUnicode_FromFormat("<pikos._pikos.Instance %s>",
                                pikos_instance_name(member_of(self)->inst));
}

static PyObject *instance_richcompare(PyObject *a, PyObject *b, int op)
{
    const struct pikos_ext_instance *x = (void *)a, *y = (void *)b;
    int same;

    if (!PyObject_TypeCheck(b, &pikos_ext_instance_type) ||
        (op != Py_EQ && op != Py_NE))
        Py_RETURN_NOTIMPLEMENTED;
    same = x->pipeline == y->pipeline && x->index == y->index;
    return PyBool_FromLong(op == Py_EQ ? same : !same);
}

static Py_hash_t instance_hash(struct pikos_ext_instance *self)
{
    Py_hash_t hash = (Py_hash_t)((uintptr_t)self->pipeline >> 4) ^
                     (Py_hash_t)self->index * 1000003;

    return hash == -1 ? -2 : hash;
}

static PyMethodDef instance_methods[] = {
    {"records", (PyCFunction)instance_records, METH_NOARGS,
     "records() -> list\n\nThe records the plugin kept so far "
     "(recorders/list), "
     "as record objects;\na new list each call.  TypeError for a plugin that "
     "keeps none."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef instance_getset[] = {
    {"name", (getter)instance_name, NULL,
     "The plugin's full name, e.g. 'recorders/list'.", NULL},
    {"kind", (getter)instance_kind, NULL, "'monitor', 'filter' or 'recorder'.",
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject pikos_ext_instance_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pikos._pikos.Instance",
    .tp_basicsize = sizeof(struct pikos_ext_instance),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "A plugin instance inside a Pipeline (made by Pipeline.add).",
    .tp_dealloc = (destructor)instance_dealloc,
    .tp_traverse = (traverseproc)instance_traverse,
    .tp_repr = (reprfunc)instance_repr,
    .tp_richcompare = instance_richcompare,
    .tp_hash = (hashfunc)instance_hash,
    .tp_methods = instance_methods,
    .tp_getset = instance_getset,
};
