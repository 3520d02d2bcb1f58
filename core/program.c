/*
 * core/program.c - the command line's program, monitored from its first
 * line to its last.
 *
 * python3 runs the program itself (a script, -m, -c, -, a directory or a
 * zip file), always as module code evaluated in __main__'s globals.  pikos
 * waits for it with a profile callback on the thread that loaded it (the
 * gate), which looks at calls only: the first frame of module code run in
 * __main__'s globals is the program's.  There the gate goes away, the
 * run's pipeline starts and the program's call is handed to it.  The
 * pipeline stops right after that frame returns, however it returns (an
 * exception, SystemExit, KeyboardInterrupt): the hook sees it (hook.c).
 *
 * When no monitor takes events pikos installs no hook.  An external
 * monitor (cProfile, yappi) installs a profile function of its own when it
 * starts: pikos then wraps it (the wrapper passes every event on, the
 * program's call first) to see the program end; from Python 3.12, where
 * cProfile uses sys.monitoring, monitoring.c does the same with it.  With neither (or when the
 * profiler put its own function back behind the wrapper), the pipeline
 * stops at exit, after the program's own atexit functions.
 *
 * Whatever ends the process before that (os._exit, exec, a signal), the
 * pikos command writes what the outputs had not written yet (durable.c).
 */
#include "program.h"

#include <stdio.h>
#include <unistd.h>

#include "durable.h"

/* The exit status of pikos's own errors, as the command line's. */
#define EXIT_USAGE 2

static struct {
    struct pikos_pipeline *pipe;
    struct pikos_registry *registry;
    PyObject *main_globals; /* borrowed: __main__ lives as long as Python */
} program;

/* One "pikos: ..." line; the run then fails (status 2) if the program
   did not. */
static void report(const char *message)
{
    fprintf(stderr, "pikos: %s\n", message);
    fflush(stderr);
    pikos_durable_set_failed();
}

/* ------------------------------------------------------------ the end */

static void program_ends(void)
{
    struct pikos_pipeline *pipe = program.pipe;
    struct pikos_error err = {0};
    PyObject *type, *value, *traceback;

    if (pipe == NULL)
        return;
    program.pipe = NULL;
    PyErr_Fetch(&type, &value, &traceback); /* the program's, if any */
    if (pikos_pipeline_stop(pipe, &err) < 0 ||
        pikos_pipeline_check_focus(pipe, &err) < 0)
        report(err.message);
    pikos_pipeline_free(pipe);
    pikos_registry_free(program.registry);
    program.registry = NULL;
    pikos_outputs_flush_all();
    pikos_durable_set_state(PIKOS_RUN_STOPPED);
    PyErr_Restore(type, value, traceback);
}

static PyObject *at_exit(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    program_ends();
    Py_RETURN_NONE;
}

static PyMethodDef at_exit_def = {
    "pikos_program_ends", at_exit, METH_NOARGS,
    "Stops monitoring the program at exit."};

/* atexit.register(at_exit), leaving sys.modules as it was: python3 does
   not import atexit for the program.  Should that fail, the outputs are
   still flushed at the process's exit. */
static void stop_at_exit(void)
{
    PyObject *modules = PySys_GetObject("modules"); /* borrowed */
    int imported = modules != NULL &&
                   PyDict_GetItemString(modules, "atexit") != NULL;
    PyObject *atexit = PyImport_ImportModule("atexit");
    PyObject *func = atexit ? PyCFunction_New(&at_exit_def, NULL) : NULL;
    PyObject *done =
        func ? PyObject_CallMethod(atexit, "register", "O", func) : NULL;

    if (!imported && modules != NULL &&
        PyDict_DelItemString(modules, "atexit") < 0)
        PyErr_Clear();
    if (done == NULL)
        PyErr_Clear();
    Py_XDECREF(done);
    Py_XDECREF(func);
    Py_XDECREF(atexit);
}

/* ------------------------------------------------------------ wrapping */

/* The profile function an external monitor installed, and the frame
   whose end ends the program. */
static struct {
    Py_tracefunc func;
    PyFrameObject *frame;
} wrapped;

static int wrapper(PyObject *obj, PyFrameObject *frame, int what,
                   PyObject *arg);

/* Installs the wrapper over the thread's profile function.  Some
   profilers (yappi) put theirs back from their own callback: then the
   wrapper takes the new one in turn. */
static void wrap(PyThreadState *thread)
{
    PyObject *obj = thread->c_profileobj;

    wrapped.func = thread->c_profilefunc;
    Py_XINCREF(obj);
    PyEval_SetProfile(wrapper, obj); /* sys.getprofile() is unchanged */
    Py_XDECREF(obj);
}

static int wrapper(PyObject *obj, PyFrameObject *frame, int what,
                   PyObject *arg)
{
    int rc = wrapped.func(obj, frame, what, arg);
    PyThreadState *thread = PyThreadState_Get();

    if (thread->c_profilefunc != wrapper && thread->c_profilefunc != NULL &&
        wrapped.frame != NULL)
        wrap(thread);
    if (what == PyTrace_RETURN && frame == wrapped.frame) {
        wrapped.frame = NULL;
        /* The monitor finds its own function as it left it. */
        Py_XINCREF(obj);
        PyEval_SetProfile(wrapped.func, obj);
        Py_XDECREF(obj);
        program_ends();
    }
    return rc;
}

/* 1 when the thread's profile function (not pikos's) now sees the
   program's call and will see its end. */
static int wrap_profile_function(PyFrameObject *frame)
{
    PyThreadState *thread = PyThreadState_Get();

    if (thread->c_profilefunc == NULL)
        return 0;
    wrapped.frame = frame;
    wrap(thread);
    wrapper(thread->c_profileobj, frame, PyTrace_CALL, Py_None);
    return 1;
}

/* ------------------------------------------------------------ the start */

/* The program's file, as the hook names it, for focus names
   `__main__:f`. */
static void set_main_filename(PyFrameObject *frame)
{
    PyCodeObject *code = PyFrame_GetCode(frame);
    PyObject *utf8 = PyUnicode_AsEncodedString(code->co_filename, "utf-8",
                                               "backslashreplace");

    pikos_set_main_filename(utf8 != NULL ? PyBytes_AS_STRING(utf8) : NULL);
    if (utf8 == NULL)
        PyErr_Clear();
    Py_XDECREF(utf8);
    Py_DECREF(code);
}

static void program_begins(PyFrameObject *frame)
{
    struct pikos_error err = {0};

    PyEval_SetProfile(NULL, NULL); /* the gate's work is done */
    set_main_filename(frame);
    if (pikos_pipeline_start(program.pipe, &err) < 0) {
        report(err.message);
        pikos_durable_set_state(PIKOS_RUN_FAILED);
        _exit(EXIT_USAGE); /* the program has not run a line */
    }
    pikos_durable_set_state(PIKOS_RUN_RUNNING);
    pikos_takeover_watch();
    if (pikos_hook_watch_frame(frame, program_ends)) {
        pikos_hook_replay_call(frame);
        /* Should the program take the hook (takeover.c), its end is seen
           at exit. */
        stop_at_exit();
        return;
    }
    /* A profiler may set its function again behind the wrapper's back
       (yappi, from another thread): then the end is seen at exit.  From
       3.12, profilers use sys.monitoring (monitoring.c). */
    if (!wrap_profile_function(frame))
        pikos_monitoring_watch(frame, program_ends);
    stop_at_exit();
}

static PyObject *frame_globals(PyFrameObject *frame)
{
#if PY_VERSION_HEX >= 0x030B0000
    PyObject *globals = PyFrame_GetGlobals(frame);
    Py_DECREF(globals); /* the frame holds them */
    return globals;
#else
    return frame->f_globals;
#endif
}

/* Module code evaluated in __main__'s globals. */
static int is_program_frame(PyFrameObject *frame)
{
    PyCodeObject *code;
    int is_module;

    if (frame_globals(frame) != program.main_globals)
        return 0;
    code = PyFrame_GetCode(frame);
    is_module = PyUnicode_CompareWithASCIIString(code->co_name, "<module>") == 0;
    Py_DECREF(code);
    return is_module;
}

static int gate(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg)
{
    (void)obj;
    (void)arg;
    if (what == PyTrace_CALL && is_program_frame(frame))
        program_begins(frame);
    return 0;
}

PIKOS_EXPORT int pikos_program_watch(struct pikos_pipeline *pipe,
                                     struct pikos_registry *registry,
                                     struct pikos_error *err)
{
    PyObject *main_module = PyImport_AddModule("__main__"); /* borrowed */

    if (main_module == NULL) {
        PyErr_Clear();
        return pikos_error_set(err, PIKOS_EPYTHON, "no __main__ module");
    }
    program.main_globals = PyModule_GetDict(main_module);
    program.pipe = pipe;
    program.registry = registry;
    PyEval_SetProfile(gate, NULL);
    pikos_durable_set_state(PIKOS_RUN_READY);
    return 0;
}
