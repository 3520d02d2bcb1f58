/*
 * core/py_attr.c - attributes named by a C string, looked up through the
 * interned str of the name.
 *
 * PyObject_GetAttrString and PyObject_CallMethod make a new str of the
 * name at every call.  CPython's type attribute cache (4096 entries, the
 * entry chosen by the type's version and the name's *address*) keeps a
 * reference to the name it last stored in each entry, so every one of
 * those short-lived names that lands in a new entry stays alive there
 * (Python 3.11 to 3.13).  A lookup the core repeats at every run or every
 * event therefore leaves up to 4096 dead names behind, the heap growing by
 * ~200 KB before it levels off: what tests/python/test_leaks.py saw as a
 * leak.  The interned str is one object at every call, so it takes one
 * entry, once.
 */
#include "py_attr.h"

PyObject *pikos_py_attr(PyObject *obj, const char *name)
{
    PyObject *interned = PyUnicode_InternFromString(name);
    PyObject *value =
        interned != NULL ? PyObject_GetAttr(obj, interned) : NULL;

    Py_XDECREF(interned);
    return value;
}
