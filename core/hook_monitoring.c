/*
 * core/hook_monitoring.c - pikos's events through sys.monitoring (PEP 669),
 * Python 3.12 and later.
 *
 * From 3.12 CPython's legacy profile and trace functions are themselves
 * emulated on sys.monitoring (Python/legacy_tracing.c), and each event
 * costs them a frame object and a second call.  Here pikos is a tool of
 * its own: C callbacks (METH_FASTCALL functions, as cProfile registers)
 * receive the code object and instruction offset and hand hook.c's
 * dispatch the pikos event the legacy function would have received:
 *
 *   PY_START, PY_RESUME, PY_THROW      call
 *   PY_RETURN, PY_YIELD                return (the value)
 *   PY_UNWIND                          return (no value)
 *   CALL, C_RETURN, C_RAISE            c_call, c_return, c_exception, for
 *                                      builtin functions, and method
 *                                      descriptors called with a self
 *   LINE; JUMP backwards within a line line
 *   RAISE, STOP_ITERATION              exception
 *
 * so that every monitor's records are the same on both backends.  Being a
 * tool of its own, pikos leaves the profile and trace functions, and
 * PROFILER_ID, to the program and its other tools (cProfile, coverage,
 * pdb, sys.setprofile); each tool sees its own events.
 *
 * Everything here runs with the GIL held.  The callbacks never raise.
 */
#include "hook_backend.h"
#include "py_attr.h"

#include <stdlib.h>
#include <string.h>

static int uses_monitoring = -1; /* not decided yet */

int pikos_hook_uses_monitoring(void)
{
    if (uses_monitoring < 0) {
        const char *choice = getenv("PIKOS_HOOK");
        uses_monitoring = PY_VERSION_HEX >= 0x030C0000 &&
                          !(choice != NULL && strcmp(choice, "legacy") == 0);
    }
    return uses_monitoring;
}

#if PY_VERSION_HEX >= 0x030C0000

static struct {
    int tool;             /* -1: none taken */
    long events;          /* the sys.monitoring events set on it */
    PyObject *missing;    /* sys.monitoring.MISSING */
    PyObject *disable;    /* sys.monitoring.DISABLE */
    int disabled;         /* some location was disabled for the tool */
    int until_focus;      /* some was until a focus function is entered */
    unsigned int restarts; /* restart_events() calls for those */
} backend = {-1, 0, NULL, NULL, 0, 0, 0};

/* A function focus entered more often than this keeps its locations:
   each entry would make every location outside it fire again. */
#define MAX_RESTARTS 64

/* ------------------------------------------------------------ disabling */

/* A callback's answer for an event whose location `use` says is idle or
   not (pikos_hook_dispatch_site): DISABLE makes sys.monitoring stop
   giving pikos's tool that event there (focus at the code level). */
static PyObject *answer(int use)
{
    if (use == PIKOS_LOCATION_USED || backend.tool < 0 ||
        (use == PIKOS_LOCATION_IDLE_UNTIL_FOCUS &&
         backend.restarts >= MAX_RESTARTS))
        Py_RETURN_NONE;
    if (use == PIKOS_LOCATION_IDLE_UNTIL_FOCUS)
        backend.until_focus = 1;
    backend.disabled = 1;
    return Py_NewRef(backend.disable);
}

void pikos_monitoring_focus_entered(void)
{
    PyObject *done;

    if (!backend.until_focus)
        return;
    backend.until_focus = 0;
    backend.restarts++;
    done = pikos_monitoring_call("restart_events", "()");
    Py_XDECREF(done);
    PyErr_Clear();
}

/* ------------------------------------------------------------ callbacks */

/* An event at args[0] (the code) and args[1] (the offset). */
static int at_offset(PyObject *const *args, uint32_t type, PyObject *arg)
{
    struct pikos_event_site site = {NULL, (PyCodeObject *)args[0], args[1], 0};

    return pikos_hook_dispatch_site(&site, type, arg);
}

static PyObject *on_start(PyObject *self, PyObject *const *args,
                          Py_ssize_t nargs)
{
    (void)self;
    (void)nargs;
    return answer(at_offset(args, PIKOS_EVENT_CALL, Py_None));
}

/* PY_THROW cannot be disabled. */
static PyObject *on_throw(PyObject *self, PyObject *const *args,
                          Py_ssize_t nargs)
{
    (void)self;
    (void)nargs;
    at_offset(args, PIKOS_EVENT_CALL, Py_None);
    Py_RETURN_NONE;
}

/* PY_RETURN, PY_YIELD: a frame left, with a value. */
static PyObject *on_return(PyObject *self, PyObject *const *args,
                           Py_ssize_t nargs)
{
    int use = at_offset(args, PIKOS_EVENT_RETURN, args[2]);

    (void)self;
    (void)nargs;
    pikos_hook_code_left((PyCodeObject *)args[0]);
    return answer(use);
}

/* PY_UNWIND's offset can be the raising instruction of an exception
   handler's cleanup, which has no line: the event takes the frame's line,
   as the legacy hook did (unwinding is rare enough to pay for the frame). */
static PyObject *on_unwind(PyObject *self, PyObject *const *args,
                           Py_ssize_t nargs)
{
    struct pikos_event_site site = {PyEval_GetFrame(), (PyCodeObject *)args[0],
                                    NULL, 0};

    (void)self;
    (void)nargs;
    if (site.frame == NULL) /* cannot be: the frame is being left */
        site.offset = args[1];
    pikos_hook_dispatch_site(&site, PIKOS_EVENT_RETURN, NULL);
    pikos_hook_code_left((PyCodeObject *)args[0]);
    Py_RETURN_NONE;
}

/* CALL, C_RETURN, C_RAISE (code, offset, callable, arg0): the legacy
   profile function sees builtin functions, and method descriptors called
   with a self.  A call site that called Python code may be disabled
   only until a focus function is entered: it may call C later. */
static int c_event(PyObject *const *args, uint32_t type)
{
    PyObject *callable = args[2];

    if (PyCFunction_Check(callable) ||
        (Py_IS_TYPE(callable, &PyMethodDescr_Type) &&
         args[3] != backend.missing))
        return at_offset(args, type, callable);
    return pikos_hook_location_use((PyCodeObject *)args[0], type);
}

static PyObject *on_call(PyObject *self, PyObject *const *args,
                         Py_ssize_t nargs)
{
    (void)self;
    (void)nargs;
    return answer(c_event(args, PIKOS_EVENT_C_CALL));
}

/* C_RETURN and C_RAISE go with CALL: they cannot be disabled alone. */
static PyObject *on_c_return(PyObject *self, PyObject *const *args,
                             Py_ssize_t nargs)
{
    (void)self;
    (void)nargs;
    c_event(args, PIKOS_EVENT_C_RETURN);
    Py_RETURN_NONE;
}

static PyObject *on_c_raise(PyObject *self, PyObject *const *args,
                            Py_ssize_t nargs)
{
    (void)self;
    (void)nargs;
    c_event(args, PIKOS_EVENT_C_EXCEPTION);
    Py_RETURN_NONE;
}

/* A line event at `line` of args[0]. */
static PyObject *at_line(PyObject *const *args, int line)
{
    struct pikos_event_site site = {NULL, (PyCodeObject *)args[0], NULL, line};

    return answer(pikos_hook_dispatch_site(&site, PIKOS_EVENT_LINE, NULL));
}

static PyObject *on_line(PyObject *self, PyObject *const *args,
                         Py_ssize_t nargs)
{
    (void)self;
    (void)nargs;
    return at_line(args, (int)PyLong_AsLong(args[1]));
}

/* JUMP (code, from, to): the legacy trace function has a line event for
   every backward jump, even within one line; a jump to another line has
   its LINE event already, and a forward one none, so those are disabled
   where they are. */
static PyObject *on_jump(PyObject *self, PyObject *const *args,
                         Py_ssize_t nargs)
{
    PyCodeObject *code = (PyCodeObject *)args[0];
    int from = (int)PyLong_AsLong(args[1]), to = (int)PyLong_AsLong(args[2]);
    int to_line;

    (void)self;
    (void)nargs;
    if (to > from ||
        (to_line = PyCode_Addr2Line(code, to)) != PyCode_Addr2Line(code, from)) {
        backend.disabled = 1;
        return Py_NewRef(backend.disable);
    }
    return at_line(args, to_line);
}

static PyObject *on_raise(PyObject *self, PyObject *const *args,
                          Py_ssize_t nargs)
{
    (void)self;
    (void)nargs;
    at_offset(args, PIKOS_EVENT_EXCEPTION, NULL);
    Py_RETURN_NONE;
}

#define CALLBACK(name, fn)                                                     \
    {name, (PyCFunction)(void (*)(void))fn, METH_FASTCALL, NULL}

/* CPython 3.13 gives no LINE event for the first line of a function
   called from C (a key function of sorted) unless PY_START is monitored
   too, as the legacy trace function has it: line monitors take PY_START
   there (its call events are dropped when no monitor wants them). */
#if PY_VERSION_HEX >= 0x030D0000
#define LINES_NEED_START PIKOS_EVENT_BIT(PIKOS_EVENT_LINE)
#else
#define LINES_NEED_START 0
#endif

/* Each sys.monitoring event pikos listens to, its callback, and the pikos
   events that need it. */
static const struct listened {
    const char *event;
    PyMethodDef def;
    uint32_t needed_by;
} listened[] = {
    {"PY_START", CALLBACK("pikos_py_start", on_start),
     PIKOS_EVENTS_FUNCTION | LINES_NEED_START},
    {"PY_RESUME", CALLBACK("pikos_py_resume", on_start), PIKOS_EVENTS_FUNCTION},
    {"PY_THROW", CALLBACK("pikos_py_throw", on_throw), PIKOS_EVENTS_FUNCTION},
    {"PY_RETURN", CALLBACK("pikos_py_return", on_return), PIKOS_EVENTS_FUNCTION},
    {"PY_YIELD", CALLBACK("pikos_py_yield", on_return), PIKOS_EVENTS_FUNCTION},
    {"PY_UNWIND", CALLBACK("pikos_py_unwind", on_unwind), PIKOS_EVENTS_FUNCTION},
    {"CALL", CALLBACK("pikos_call", on_call), PIKOS_EVENTS_FUNCTION},
    /* Not set by themselves: CALL brings them. */
    {"C_RETURN", CALLBACK("pikos_c_return", on_c_return), 0},
    {"C_RAISE", CALLBACK("pikos_c_raise", on_c_raise), 0},
    {"LINE", CALLBACK("pikos_line", on_line),
     PIKOS_EVENT_BIT(PIKOS_EVENT_LINE)},
    {"JUMP", CALLBACK("pikos_jump", on_jump),
     PIKOS_EVENT_BIT(PIKOS_EVENT_LINE)},
    {"RAISE", CALLBACK("pikos_raise", on_raise),
     PIKOS_EVENT_BIT(PIKOS_EVENT_EXCEPTION)},
    {"STOP_ITERATION", CALLBACK("pikos_stop_iteration", on_raise),
     PIKOS_EVENT_BIT(PIKOS_EVENT_EXCEPTION)},
};

#define NLISTENED (sizeof(listened) / sizeof(listened[0]))

/* ------------------------------------------------------------ the tool */

/* Registers `callback` (NULL: none) for one event on the tool. */
static int register_one(const struct listened *l, PyObject *callback)
{
    long event = pikos_monitoring_event(l->event);
    PyObject *previous =
        event < 0 ? NULL
                  : pikos_monitoring_call("register_callback", "(ilO)",
                                          backend.tool, event,
                                          callback ? callback : Py_None);

    Py_XDECREF(previous);
    return previous != NULL ? 0 : -1;
}

static int register_all(void)
{
    for (size_t i = 0; i < NLISTENED; i++) {
        PyObject *callback = PyCFunction_New((PyMethodDef *)&listened[i].def,
                                             NULL);
        int rc = callback != NULL ? register_one(&listened[i], callback) : -1;
        Py_XDECREF(callback);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* sys.monitoring.NAME, a new reference, or NULL with an exception. */
static PyObject *monitoring_attr(const char *name)
{
    PyObject *monitoring = PySys_GetObject("monitoring"); /* borrowed */

    return monitoring ? pikos_py_attr(monitoring, name) : NULL;
}

static int exit_registered; /* forget_at_exit, with this interpreter */

/* After Py_FinalizeEx nothing of the interpreter's is left: a later one
   starts afresh. */
static void forget_at_exit(void)
{
    exit_registered = 0;
    backend.tool = -1;
    backend.events = 0;
    backend.missing = backend.disable = NULL;
    backend.disabled = backend.until_focus = 0;
    backend.restarts = 0;
}

/* Takes a tool id and registers the callbacks; -1 with an exception, or
   -2 when every tool id is taken. */
static int take(void)
{
    if (!exit_registered)
        exit_registered = Py_AtExit(forget_at_exit) == 0;
    if (backend.missing == NULL &&
        ((backend.missing = monitoring_attr("MISSING")) == NULL ||
         (backend.disable = monitoring_attr("DISABLE")) == NULL))
        return -1;
    backend.tool = pikos_monitoring_take_tool("pikos");
    if (backend.tool < 0)
        return -2;
    return register_all();
}

/* Unregisters the callbacks and frees the tool id: CPython 3.12 keeps a
   freed tool's callbacks and the locations it disabled, which the next
   user of the id must not inherit. */
static void give_back(void)
{
    PyObject *done;

    for (size_t i = 0; i < NLISTENED; i++)
        register_one(&listened[i], NULL);
    if (backend.disabled) {
        done = pikos_monitoring_call("restart_events", "()");
        Py_XDECREF(done);
        backend.disabled = 0;
    }
    done = pikos_monitoring_call("free_tool_id", "(i)", backend.tool);
    Py_XDECREF(done);
    PyErr_Clear();
    backend.tool = -1;
    backend.events = 0;
}

/* The sys.monitoring events that give `pikos_events`. */
static long events_for(uint32_t pikos_events)
{
    long events = 0;

    for (size_t i = 0; i < NLISTENED; i++)
        if (listened[i].needed_by & pikos_events) {
            long event = pikos_monitoring_event(listened[i].event);
            if (event < 0)
                return -1;
            events |= event;
        }
    return events;
}

static int set_events(long events)
{
    PyObject *done =
        pikos_monitoring_call("set_events", "(il)", backend.tool, events);

    Py_XDECREF(done);
    if (done == NULL)
        return -1;
    backend.events = events;
    return 0;
}

static int failed(const char *owner, struct pikos_error *err, int rc)
{
    if (rc == -2)
        pikos_error_set(err, PIKOS_ESTATE,
                        "[%s] cannot monitor: all six sys.monitoring tool ids "
                        "are in use (PIKOS_HOOK=legacy uses the profile and "
                        "trace functions instead)",
                        owner);
    else
        pikos_error_set(err, PIKOS_EPYTHON,
                        "[%s] cannot monitor through sys.monitoring", owner);
    PyErr_Clear();
    return -1;
}

int pikos_monitoring_hook_sync(uint32_t pikos_events, const char *owner,
                               struct pikos_error *err)
{
    long events = events_for(pikos_events);
    int rc = 0;

    if (events < 0)
        return failed(owner, err, -1);
    if (events == backend.events && (events == 0) == (backend.tool < 0))
        return 0;
    if (events == 0) {
        set_events(0);
        give_back();
        return 0;
    }
    if (backend.tool < 0 && (rc = take()) < 0) {
        if (backend.tool >= 0)
            give_back();
        return failed(owner, err, rc);
    }
    if (set_events(events) < 0)
        return failed(owner, err, -1);
    return 0;
}

#else /* before 3.12: the legacy hooks only */

void pikos_monitoring_focus_entered(void)
{
}

int pikos_monitoring_hook_sync(uint32_t pikos_events, const char *owner,
                               struct pikos_error *err)
{
    (void)pikos_events;
    return pikos_error_set(err, PIKOS_ESTATE,
                           "[%s] sys.monitoring needs Python 3.12", owner);
}

#endif
