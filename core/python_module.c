/*
 * core/python_module.c - whether a Python package an external monitor
 * needs (its manifest's python_module) can be found, asked without
 * importing it.
 */
#include "internal.h"

#include <Python.h>

int pikos_python_module_found(const char *module)
{
    PyGILState_STATE gil;
    PyObject *util, *spec;
    int found;

    if (!Py_IsInitialized())
        return 1; /* cannot ask: the plugin's start will tell */
    gil = PyGILState_Ensure();
    util = PyImport_ImportModule("importlib.util");
    spec = util ? PyObject_CallMethod(util, "find_spec", "s", module) : NULL;
    /* find_spec raises when a parent package is missing: not found. */
    found = spec != NULL && spec != Py_None;
    if (spec == NULL)
        PyErr_Clear();
    Py_XDECREF(spec);
    Py_XDECREF(util);
    PyGILState_Release(gil);
    return found;
}
