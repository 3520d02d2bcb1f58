/*
 * python/_pikos/module.c - the `pikos._pikos` module: the C side of the
 * `pikos` package, on libpikos.
 *
 * A single-phase module that keeps its state for the life of the process
 * (m_size -1): libpikos's hook is process-wide, and pipelines point into
 * the one registry (registry.c) until they are freed, possibly during
 * interpreter shutdown.
 */
#include "ext.h"

PyObject *pikos_ext_attr(PyObject *obj, const char *name)
{
    PyObject *interned = PyUnicode_InternFromString(name);
    PyObject *value =
        interned != NULL ? PyObject_GetAttr(obj, interned) : NULL;

    Py_XDECREF(interned);
    return value;
}

static PyMethodDef module_methods[] = {
    {"plugins", pikos_ext_plugins, METH_NOARGS,
     "plugins() -> list of dict\n\nEvery plugin found (name, kind, summary, "
     "version, status, reason,\nmanifest, options), in registry order."},
    {"load", pikos_ext_load, METH_VARARGS,
     "load(name) -> dict\n\nLoads the plugin `name` and returns its entry as "
     "plugins() does.\nLookupError for an unknown name, Error for a broken "
     "plugin."},
    {"register_record_class", pikos_ext_register_record_class, METH_VARARGS,
     "register_record_class(schema_name, cls)\n\nRecords of that schema are "
     "made with cls(*values)."},
    {"record_class", pikos_ext_record_class, METH_O,
     "record_class(schema_name) -> type\n\nThe class registered (or made) "
     "for that schema; KeyError if none."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pikos._pikos",
    .m_doc = "The pikos core: plugins, pipelines and records.",
    .m_size = -1,
    .m_methods = module_methods,
};

static int add_type(PyObject *module, PyTypeObject *type, const char *name)
{
    if (PyType_Ready(type) < 0)
        return -1;
    return PyModule_AddObjectRef(module, name, (PyObject *)type);
}

static int module_init(PyObject *module)
{
    if (pikos_ext_errors_init(module) < 0 || pikos_ext_registry_open() < 0 ||
        pikos_ext_records_init() < 0 || pikos_ext_python_recorder_init() < 0)
        return -1;
    if (add_type(module, &pikos_ext_pipeline_type, "Pipeline") < 0 ||
        add_type(module, &pikos_ext_instance_type, "Instance") < 0 ||
        add_type(module, &pikos_ext_guard_type, "Guard") < 0)
        return -1;
    return PyModule_AddStringConstant(module, "__version__", pikos_version());
}

PyMODINIT_FUNC PyInit__pikos(void); /* the one exported symbol */

PyMODINIT_FUNC PyInit__pikos(void)
{
    PyObject *module = PyModule_Create(&module_def);

    if (module != NULL && module_init(module) < 0)
        Py_CLEAR(module);
    return module;
}
