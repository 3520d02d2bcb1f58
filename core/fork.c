/*
 * core/fork.c - what a forked child does with the monitoring it inherits.
 *
 * A child created by os.fork() (or multiprocessing's fork start method)
 * keeps running the parent's Python code with the parent's hooks and
 * pipelines.  It stops recording (DESIGN.md §8, docs/decisions.md): right
 * after the fork every monitor loses its events, so the child makes no
 * records at all; the outputs it shares with the parent refuse its writes
 * as a second guard (output.c), which also covers a fork made from C.
 * The parent goes on as before.
 */
#include "internal.h"

#include <Python.h>

/* Registered with the running interpreter (os.register_at_fork cannot be
   undone, so once per interpreter). */
static int fork_watched;

static PyObject *after_fork_in_child(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    pikos_hook_forget_monitors();
    Py_RETURN_NONE;
}

static PyMethodDef after_fork_def = {
    "pikos_after_fork_in_child", after_fork_in_child, METH_NOARGS,
    "Stops pikos's monitoring in a forked child."};

/* After Py_FinalizeEx a later interpreter must register again. */
static void forget_at_exit(void)
{
    fork_watched = 0;
}

/* os.register_at_fork(after_in_child=...); -1 with a Python exception. */
static int register_after_fork(void)
{
    PyObject *os = PyImport_ImportModule("os");
    PyObject *handler = os ? PyCFunction_New(&after_fork_def, NULL) : NULL;
    PyObject *kwargs =
        handler ? Py_BuildValue("{sO}", "after_in_child", handler) : NULL;
    PyObject *args = kwargs ? PyTuple_New(0) : NULL;
    PyObject *reg = args ? PyObject_GetAttrString(os, "register_at_fork") : NULL;
    PyObject *done = reg ? PyObject_Call(reg, args, kwargs) : NULL;

    Py_XDECREF(os);
    Py_XDECREF(handler);
    Py_XDECREF(kwargs);
    Py_XDECREF(args);
    Py_XDECREF(reg);
    if (done == NULL)
        return -1;
    Py_DECREF(done);
    return 0;
}

int pikos_fork_watch(struct pikos_error *err)
{
    if (fork_watched)
        return 0;
    if (register_after_fork() < 0) {
        PyErr_Clear();
        return pikos_error_set(err, PIKOS_EPYTHON,
                               "cannot watch for fork (os.register_at_fork "
                               "failed)");
    }
    /* Should Py_AtExit be full, a later interpreter goes unwatched by
       fork.c; output.c still keeps its children out of the outputs. */
    (void)Py_AtExit(forget_at_exit);
    fork_watched = 1;
    return 0;
}
