/*
 * core/py_attr.h - attributes named by a C string, looked up through the
 * interned str of the name (py_attr.c).  Needs Python.h, so only the
 * Python-using core files include it.
 */
#ifndef PIKOS_PY_ATTR_H
#define PIKOS_PY_ATTR_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "internal.h"

/* obj.name, as PyObject_GetAttrString: a new reference, or NULL with a
   Python exception set. */
PyObject *pikos_py_attr(PyObject *obj, const char *name) PIKOS_HIDDEN;

#endif
