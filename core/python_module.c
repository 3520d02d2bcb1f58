/*
 * core/python_module.c - whether a Python package an external monitor
 * needs (its manifest's python_module) can be found, asked without
 * importing it.
 */
#include "internal.h"
#include "py_attr.h"

int pikos_python_module_found(const char *module)
{
    PyGILState_STATE gil;
    PyObject *util, *find_spec, *spec;
    int found;

    if (!Py_IsInitialized())
        return 1; /* cannot ask: the plugin's start will tell */
    gil = PyGILState_Ensure();
    util = PyImport_ImportModule("importlib.util");
    find_spec = util ? pikos_py_attr(util, "find_spec") : NULL;
    spec = find_spec ? PyObject_CallFunction(find_spec, "s", module) : NULL;
    /* find_spec raises when a parent package is missing: not found. */
    found = spec != NULL && spec != Py_None;
    if (spec == NULL)
        PyErr_Clear();
    Py_XDECREF(spec);
    Py_XDECREF(find_spec);
    Py_XDECREF(util);
    PyGILState_Release(gil);
    return found;
}
