/*
 * core/monitoring.c - the program's start and end through sys.monitoring
 * (Python 3.12+), for a run whose monitors take no events (program.c).
 *
 * From 3.12 the profilers external monitors wrap (cProfile) use
 * sys.monitoring, not the profile function: pikos cannot wrap them.  So:
 *   - start: they were started during the program's first event, too late
 *     to see it; that PY_START is given to every other tool that listens
 *     for it, as CPython would have given it;
 *   - end: pikos becomes a tool of its own, listening for PY_RETURN of the
 *     program's code only (a local event: nothing elsewhere pays) and for
 *     PY_UNWIND (global, so paid only when an exception leaves a frame),
 *     and calls `ended` when the program's frame is left either way.
 * Before 3.12 nothing here is used (pikos_monitoring_watch returns 0).
 */
#include "hook_backend.h"
#include "program.h"
#include "py_attr.h"

#if PY_VERSION_HEX >= 0x030C0000

/* The tool ids any tool may take (sys.monitoring reserves 0-5 for
   debuggers, coverage, profilers and optimizers, and takes 6-7 itself). */
#define TOOL_IDS 6

static struct {
    PyObject *code; /* the program's */
    int tool;       /* pikos's tool id, or -1 */
    void (*ended)(void);
} watch = {NULL, -1, NULL};

PyObject *pikos_monitoring_call(const char *method, const char *format, ...)
{
    PyObject *monitoring = PySys_GetObject("monitoring"); /* borrowed */
    PyObject *callable, *args, *result = NULL;
    va_list ap;

    if (monitoring == NULL)
        return NULL;
    callable = pikos_py_attr(monitoring, method);
    va_start(ap, format);
    args = callable ? Py_VaBuildValue(format, ap) : NULL;
    va_end(ap);
    if (args != NULL)
        result = PyObject_CallObject(callable, args);
    Py_XDECREF(args);
    Py_XDECREF(callable);
    return result;
}

long pikos_monitoring_event(const char *name)
{
    PyObject *monitoring = PySys_GetObject("monitoring"); /* borrowed */
    PyObject *events = monitoring ? pikos_py_attr(monitoring, "events") : NULL;
    PyObject *bit = events ? pikos_py_attr(events, name) : NULL;
    long value = bit ? PyLong_AsLong(bit) : -1;

    Py_XDECREF(bit);
    Py_XDECREF(events);
    return value;
}

/* ------------------------------------------------------------ the start */

/* The tool's PY_START callback, put back as it was; NULL when none. */
static PyObject *start_callback(int tool, long py_start)
{
    PyObject *callback =
        pikos_monitoring_call("register_callback", "(ilO)", tool, py_start, Py_None);
    PyObject *put_back =
        callback && callback != Py_None
            ? pikos_monitoring_call("register_callback", "(ilO)", tool, py_start,
                              callback)
            : NULL;

    Py_XDECREF(put_back);
    if (callback == Py_None)
        Py_CLEAR(callback);
    return callback;
}

static void replay_start(PyObject *code)
{
    long py_start = pikos_monitoring_event("PY_START");

    for (int tool = 0; py_start > 0 && tool < TOOL_IDS; tool++) {
        PyObject *events = pikos_monitoring_call("get_events", "(i)", tool);
        PyObject *callback = events && (PyLong_AsLong(events) & py_start)
                                 ? start_callback(tool, py_start)
                                 : NULL;
        PyObject *done = callback ? PyObject_CallFunction(callback, "Oi",
                                                          code, 0)
                                  : NULL;
        Py_XDECREF(done);
        Py_XDECREF(callback);
        Py_XDECREF(events);
        PyErr_Clear();
    }
}

/* ------------------------------------------------------------ the end */

static void stop_watching(void)
{
    PyObject *done = pikos_monitoring_call("set_events", "(ii)", watch.tool, 0);

    Py_XDECREF(done);
    done = pikos_monitoring_call("free_tool_id", "(i)", watch.tool);
    Py_XDECREF(done);
    PyErr_Clear();
    watch.tool = -1;
    Py_CLEAR(watch.code);
}

/* PY_RETURN(code, offset, value) and PY_UNWIND(code, offset, exception):
   the first argument is the code whose frame is left. */
static PyObject *frame_left(PyObject *self, PyObject *const *args,
                            Py_ssize_t nargs)
{
    void (*ended)(void) = watch.ended;

    (void)self;
    if (nargs < 1 || args[0] != watch.code || ended == NULL)
        Py_RETURN_NONE;
    watch.ended = NULL;
    stop_watching();
    ended();
    Py_RETURN_NONE;
}

static PyMethodDef frame_left_def = {
    "pikos_program_left", (PyCFunction)(void (*)(void))frame_left,
    METH_FASTCALL, "Stops monitoring when the program's frame is left."};

int pikos_monitoring_take_tool(const char *name)
{
    /* No conventional tool claims 3 and 4; cProfile can start only on
       PROFILER_ID (2), so it is the last resort. */
    static const int preferred[TOOL_IDS] = {3, 4, 5, 1, 0, 2};

    for (int i = 0; i < TOOL_IDS; i++) {
        PyObject *taken = pikos_monitoring_call("use_tool_id", "(is)",
                                                preferred[i], name);
        Py_XDECREF(taken);
        if (taken != NULL)
            return preferred[i];
        PyErr_Clear();
    }
    return -1;
}

static int listen(PyObject *code, PyObject *callback)
{
    long py_return = pikos_monitoring_event("PY_RETURN"), py_unwind = pikos_monitoring_event("PY_UNWIND");
    PyObject *a = pikos_monitoring_call("register_callback", "(ilO)", watch.tool,
                                  py_return, callback);
    PyObject *b = a ? pikos_monitoring_call("register_callback", "(ilO)", watch.tool,
                                      py_unwind, callback)
                    : NULL;
    PyObject *c = b ? pikos_monitoring_call("set_local_events", "(iOl)", watch.tool,
                                      code, py_return)
                    : NULL;
    PyObject *d = c ? pikos_monitoring_call("set_events", "(il)", watch.tool,
                                      py_unwind)
                    : NULL;
    int ok = d != NULL;

    Py_XDECREF(a);
    Py_XDECREF(b);
    Py_XDECREF(c);
    Py_XDECREF(d);
    return ok;
}

int pikos_monitoring_watch(PyFrameObject *frame, void (*ended)(void))
{
    PyObject *code = (PyObject *)PyFrame_GetCode(frame);
    PyObject *callback = PyCFunction_New(&frame_left_def, NULL);
    int ok = 0;

    replay_start(code);
    watch.tool = callback ? pikos_monitoring_take_tool("pikos") : -1;
    if (watch.tool >= 0) {
        watch.code = code;
        watch.ended = ended;
        ok = listen(code, callback);
        if (!ok) {
            watch.ended = NULL;
            Py_INCREF(code); /* stop_watching drops watch.code */
            stop_watching();
        } else
            code = NULL; /* watch.code owns it */
    }
    PyErr_Clear();
    Py_XDECREF(callback);
    Py_XDECREF(code);
    return ok;
}

#else

int pikos_monitoring_watch(PyFrameObject *frame, void (*ended)(void))
{
    (void)frame;
    (void)ended;
    return 0;
}

#endif
