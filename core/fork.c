/*
 * core/fork.c - what a forked child does with the monitoring it inherits.
 *
 * A child created by os.fork() (or multiprocessing's fork start method)
 * keeps running the parent's Python code with the parent's hooks and
 * pipelines.  Right after the fork (os.register_at_fork), each running
 * pipeline either goes on in the child as a stream of its own, when all its
 * recorders can (plugin.h's after_fork: recorders/zmq in connect mode), or
 * stops recording: its monitors lose their events, so the child makes no
 * records for it (docs/design.md "Fork", docs/decisions.md).  The outputs
 * a child shares with its parent refuse its writes as a second guard
 * (output.c), which also covers a fork made from C.  The parent goes on as
 * before.
 *
 * multiprocessing's workers end with os._exit, which skips whatever would
 * stop the pipelines that went on; so in a child that has some, pikos asks
 * multiprocessing to stop them when the worker ends (its after-fork hook,
 * then a Finalize, both run by Process._bootstrap).
 *
 * This file is the Python side: it registers these steps with Python and
 * multiprocessing, which run them when due.  What the steps do to each
 * running pipeline is pipeline_fork.c's.
 */
#include "internal.h"

#include <Python.h>

/* Registered with the running interpreter (os.register_at_fork cannot be
   undone, so once per interpreter). */
static int fork_watched;

/* ------------------------------------------------------------ workers */

static PyObject *finish_worker(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    pikos_pipelines_finish();
    Py_RETURN_NONE;
}

static PyMethodDef finish_worker_def = {
    "pikos_finish_worker", finish_worker, METH_NOARGS,
    "Stops the pipelines a multiprocessing worker took over."};

/* Run by Process._bootstrap (after it cleared the parent's finalizers):
   multiprocessing.util.Finalize(None, finish_worker, exitpriority=0). */
static PyObject *arm_worker(PyObject *self, PyObject *owner)
{
    PyObject *util = PyImport_ImportModule("multiprocessing.util");
    PyObject *finish = util ? PyCFunction_New(&finish_worker_def, NULL) : NULL;
    PyObject *args = finish ? PyTuple_Pack(2, Py_None, finish) : NULL;
    PyObject *kwargs = args ? Py_BuildValue("{si}", "exitpriority", 0) : NULL;
    PyObject *finalize = kwargs ? PyObject_GetAttrString(util, "Finalize")
                                : NULL;
    PyObject *done = finalize ? PyObject_Call(finalize, args, kwargs) : NULL;

    (void)self;
    (void)owner;
    Py_XDECREF(util);
    Py_XDECREF(finish);
    Py_XDECREF(args);
    Py_XDECREF(kwargs);
    Py_XDECREF(finalize);
    if (done == NULL)
        return NULL;
    Py_DECREF(done);
    Py_RETURN_NONE;
}

static PyMethodDef arm_worker_def = {
    "pikos_arm_worker", arm_worker, METH_O,
    "Has multiprocessing stop pikos's pipelines when the worker ends."};

/* The after-fork hook; multiprocessing keeps it in a weak dictionary, so
   pikos holds it for good. */
static PyObject *worker_hook;

/* In a child that goes on recording: if it turns out to be a
   multiprocessing process, stop its pipelines when it ends. */
static void watch_worker_exit(void)
{
    PyObject *modules = PySys_GetObject("modules"); /* borrowed */
    PyObject *util = modules ? PyDict_GetItemString(modules,
                                                    "multiprocessing.util")
                             : NULL; /* borrowed; not imported: no worker */
    PyObject *done;

    if (util == NULL)
        return;
    if (worker_hook == NULL)
        worker_hook = PyCFunction_New(&arm_worker_def, NULL);
    done = worker_hook ? PyObject_CallMethod(util, "register_after_fork",
                                             "OO", worker_hook, worker_hook)
                       : NULL;
    if (done == NULL) {
        PyErr_WriteUnraisable(NULL);
        return;
    }
    Py_DECREF(done);
}

/* ------------------------------------------------------------ the fork */

static PyObject *after_fork_in_child(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    if (pikos_pipelines_after_fork() > 0)
        watch_worker_exit();
    Py_RETURN_NONE;
}

static PyMethodDef after_fork_def = {
    "pikos_after_fork_in_child", after_fork_in_child, METH_NOARGS,
    "Decides, in a forked child, which pipelines go on recording."};

/* After Py_FinalizeEx a later interpreter must register again. */
static void forget_at_exit(void)
{
    fork_watched = 0;
    worker_hook = NULL; /* freed with the interpreter */
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
