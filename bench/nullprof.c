/*
 * bench/nullprof.c - the floor of any profiler: a C profile callback that
 * only counts the events it is given.  Built by `make bench` as a tiny
 * extension module; bench/run.py measures it next to cProfile and pikos.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>

static unsigned long long event_count;

static int count_event(PyObject *obj, PyFrameObject *frame, int what,
                       PyObject *arg)
{
    event_count++;
    return 0;
}

static PyObject *nullprof_start(PyObject *self, PyObject *unused)
{
    event_count = 0;
    PyEval_SetProfile(count_event, NULL);
    Py_RETURN_NONE;
}

static PyObject *nullprof_stop(PyObject *self, PyObject *unused)
{
    PyEval_SetProfile(NULL, NULL);
    return PyLong_FromUnsignedLongLong(event_count);
}

static PyMethodDef nullprof_methods[] = {
    {"start", nullprof_start, METH_NOARGS, "Install the do-nothing hook."},
    {"stop", nullprof_stop, METH_NOARGS,
     "Remove it; return the number of events it saw."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef nullprof_module = {
    PyModuleDef_HEAD_INIT, "_nullprof", "A do-nothing C profile hook.", -1,
    nullprof_methods};

PyMODINIT_FUNC PyInit__nullprof(void)
{
    return PyModule_Create(&nullprof_module);
}
