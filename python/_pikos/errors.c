/*
 * python/_pikos/errors.c - the core's errors as Python exceptions, and
 * Python exceptions kept aside as objects.
 *
 * A Python plugin's exception is raised inside the profile hook, where it
 * must never reach the profiled code: it is taken out of the error
 * indicator, kept, and raised again by Pipeline.stop().  Python 3.12 has
 * one call for each direction; 3.11 has the (type, value, traceback) triple.
 */
#include "ext.h"

PyObject *pikos_ext_error;

int pikos_ext_errors_init(PyObject *module)
{
    if (pikos_ext_error == NULL)
        pikos_ext_error = PyErr_NewExceptionWithDoc(
            "pikos._pikos.Error",
            "A failure of the pikos core or of a plugin that is not a bad "
            "option:\na broken plugin, or a pipeline that could not start or "
            "stop.",
            PyExc_RuntimeError, NULL);
    if (pikos_ext_error == NULL)
        return -1;
    return PyModule_AddObjectRef(module, "Error", pikos_ext_error);
}

PyObject *pikos_ext_raise(const struct pikos_error *err)
{
    switch (err->code) {
    case PIKOS_EINVAL:
        PyErr_SetString(PyExc_ValueError, err->message);
        return NULL;
    case PIKOS_ENOMEM:
        return PyErr_NoMemory();
    default:
        PyErr_SetString(pikos_ext_error, err->message);
        return NULL;
    }
}

PyObject *pikos_ext_take_exception(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#else
    PyObject *type, *value, *traceback;

    PyErr_Fetch(&type, &value, &traceback);
    if (type == NULL)
        return NULL;
    PyErr_NormalizeException(&type, &value, &traceback);
    if (value != NULL && traceback != NULL)
        PyException_SetTraceback(value, traceback);
    Py_XDECREF(type);
    Py_XDECREF(traceback);
    return value;
#endif
}

void pikos_ext_restore_exception(PyObject *exc)
{
    if (exc == NULL)
        return;
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(exc);
#else
    PyErr_Restore(Py_NewRef((PyObject *)Py_TYPE(exc)), exc,
                  PyException_GetTraceback(exc));
#endif
}

/* A pending call: raises the exception it was given, in the main thread,
   between two instructions of whatever Python code runs there. */
static int raise_pending(void *exc)
{
    pikos_ext_restore_exception(exc);
    return -1;
}

void pikos_ext_raise_later(PyObject *exc)
{
    if (Py_AddPendingCall(raise_pending, exc) < 0)
        Py_DECREF(exc); /* the queue is full: lost, as a signal would be */
}
