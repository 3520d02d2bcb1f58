/*
 * core/threads.c - where the hook's CPython callbacks are installed: in the
 * thread that starts monitoring, or in every thread.
 *
 * Every thread means those running when monitoring starts (CPython 3.12+:
 * PyEval_SetProfileAllThreads; 3.11: the per-thread setters, see
 * set_every_thread) and those started later: `threading` calls the hook
 * given to threading.setprofile/settrace in each new thread, and ours
 * (take_over_thread) replaces itself there with the C callback and hands
 * it the event it was called for.  Threads not started through
 * `threading` (bare _thread, foreign C threads) are not hooked later.
 *
 * pikos never imports `threading` itself: that would change the program,
 * whose own `import threading` must run (and be recorded) as under plain
 * python.  When monitoring starts before the program imported it, the
 * hook of threading is left pending, and the code cache's miss path (run
 * once per code object) calls pikos_threads_hook_pending, which gives
 * threading its hook as soon as sys.modules holds it fully initialised.
 * That is in time for every thread threading starts: Thread.start's own
 * code object is new to the cache before the first thread is created.
 *
 * Removing the callbacks undoes all of it: threading gets back whatever
 * hook it had before (if it had been given ours), and a pending hook is
 * forgotten.
 */
#include "threads.h"
#include "hook_backend.h"

#include <string.h>

struct installation {
    int scope; /* enum pikos_hook_scope */
    Py_tracefunc callback;
    PyObject *new_thread_hook; /* ours; kept while the interpreter lives */
    PyObject *threading;       /* the module given ours; NULL: none */
    PyObject *previous;        /* threading's hook before ours */
    int pending; /* every thread, but threading was not imported yet */
};

static struct installation installations[2];

/* forget_at_exit is registered with the running interpreter. */
static int exit_registered;

static const char *const threading_setter[2] = {"setprofile", "settrace"};
static const char *const threading_getter[2] = {"getprofile", "gettrace"};

/* ------------------------------------------------------------ setters */

/* Set while pikos itself sets or removes its callbacks (CPython audits
   that as sys.setprofile/settrace), so that takeover.c tells pikos's own
   changes from the program's. */
static int setting;

int pikos_threads_setting(void)
{
    return setting;
}

static Py_tracefunc thread_func(PyThreadState *thread, int kind)
{
    return kind == PIKOS_HOOK_PROFILE ? thread->c_profilefunc
                                      : thread->c_tracefunc;
}

int pikos_threads_own(int kind)
{
    const struct installation *in = &installations[kind];

    return in->scope != PIKOS_HOOK_NOWHERE &&
           thread_func(PyThreadState_Get(), kind) == in->callback;
}

static void set_this_thread(int kind, Py_tracefunc func)
{
    setting++;
    if (kind == PIKOS_HOOK_PROFILE)
        PyEval_SetProfile(func, NULL);
    else
        PyEval_SetTrace(func, NULL);
    setting--;
}

/* Leaves the thread alone when it has the callback already. */
static void ensure_this_thread(int kind, Py_tracefunc func)
{
    if (thread_func(PyThreadState_Get(), kind) != func)
        set_this_thread(kind, func);
}

#if PY_VERSION_HEX >= 0x030C0000
static void set_every_thread(int kind, Py_tracefunc func)
{
    setting++;
    if (kind == PIKOS_HOOK_PROFILE)
        PyEval_SetProfileAllThreads(func, NULL);
    else
        PyEval_SetTraceAllThreads(func, NULL);
    setting--;
}
#else
/* 3.11 has no PyEval_Set*AllThreads: what 3.12 does, with the per-thread
   setters 3.11 exports.  A setter fails only when an audit hook refuses
   it; that thread is then left alone, as 3.12 does.  Removing leaves the
   threads whose function the program set in place of pikos's alone. */
static void set_every_thread(int kind, Py_tracefunc func)
{
    PyInterpreterState *interp =
        PyThreadState_GetInterpreter(PyThreadState_Get());

    setting++;
    for (PyThreadState *thread = PyInterpreterState_ThreadHead(interp);
         thread != NULL; thread = PyThreadState_Next(thread)) {
        if (func == NULL &&
            thread_func(thread, kind) != installations[kind].callback)
            continue;
        int rc = kind == PIKOS_HOOK_PROFILE
                     ? _PyEval_SetProfile(thread, func, NULL)
                     : _PyEval_SetTrace(thread, func, NULL);
        if (rc < 0)
            PyErr_Clear();
    }
    setting--;
}
#endif

/* ------------------------------------------------------------ new threads */

/* PyTrace_CALL etc. of the event names Python-level hooks are given. */
static int event_what(PyObject *event)
{
    static const struct {
        const char *name;
        int what;
    } events[] = {{"call", PyTrace_CALL},
                  {"return", PyTrace_RETURN},
                  {"line", PyTrace_LINE},
                  {"exception", PyTrace_EXCEPTION},
                  {"c_call", PyTrace_C_CALL},
                  {"c_return", PyTrace_C_RETURN},
                  {"c_exception", PyTrace_C_EXCEPTION}};
    const char *name = PyUnicode_Check(event) ? PyUnicode_AsUTF8(event) : NULL;

    for (size_t i = 0; name != NULL && i < sizeof(events) / sizeof(*events);
         i++)
        if (strcmp(name, events[i].name) == 0)
            return events[i].what;
    PyErr_Clear();
    return -1;
}

/*
 * Called as the Python-level hook of a thread started while every thread
 * is monitored, on the thread's first event: installs the C callback in
 * its place and gives it that event, so the thread is recorded from its
 * first event on, as a Python-level profiler would see it.  A thread that
 * starts after monitoring stopped just drops the hook.
 */
static PyObject *take_over_thread(int kind, PyObject *const *args,
                                  Py_ssize_t nargs)
{
    const struct installation *in = &installations[kind];
    int what;

    if (in->scope != PIKOS_HOOK_EVERY_THREAD) {
        set_this_thread(kind, NULL);
        Py_RETURN_NONE;
    }
    if (pikos_hook_uses_monitoring()) {
        /* sys.monitoring calls tools from the highest id down: pikos's
           tool gets this same event right after the legacy one. */
        set_this_thread(kind, NULL);
        pikos_threads_take_this(kind);
        Py_RETURN_NONE;
    }
    set_this_thread(kind, in->callback);
    what = nargs == 3 ? event_what(args[1]) : -1;
    if (what >= 0 && PyFrame_Check(args[0]))
        in->callback(NULL, (PyFrameObject *)args[0], what, args[2]);
    Py_RETURN_NONE;
}

static PyObject *profile_new_thread(PyObject *self, PyObject *const *args,
                                    Py_ssize_t nargs)
{
    return take_over_thread(PIKOS_HOOK_PROFILE, args, nargs);
}

static PyObject *trace_new_thread(PyObject *self, PyObject *const *args,
                                  Py_ssize_t nargs)
{
    return take_over_thread(PIKOS_HOOK_TRACE, args, nargs);
}

static PyMethodDef new_thread_hooks[2] = {
    {"pikos_profile_new_thread",
     (PyCFunction)(void (*)(void))profile_new_thread, METH_FASTCALL,
     "Installs pikos's profile callback in a new thread."},
    {"pikos_trace_new_thread", (PyCFunction)(void (*)(void))trace_new_thread,
     METH_FASTCALL, "Installs pikos's trace callback in a new thread."},
};

/* After Py_FinalizeEx no object of ours is left: forget them, so that a
   later interpreter makes its own. */
static void forget_at_exit(void)
{
    memset(installations, 0, sizeof(installations));
    exit_registered = 0;
}

static void forget_at_exit_register(void)
{
    if (!exit_registered)
        exit_registered = Py_AtExit(forget_at_exit) == 0;
}

/* The hook is ours for good: CPython calls it without holding a reference
   of its own, and it removes itself from the thread while it runs. */
static PyObject *new_thread_hook(int kind)
{
    struct installation *in = &installations[kind];

    if (in->new_thread_hook == NULL)
        in->new_thread_hook = PyCFunction_New(&new_thread_hooks[kind], NULL);
    if (in->new_thread_hook != NULL)
        forget_at_exit_register();
    return in->new_thread_hook;
}

/* Whether an import of the module is still running it (importlib marks
   its spec so): its functions may not be defined yet. */
static int module_initializing(PyObject *module)
{
    PyObject *spec = pikos_py_attr(module, "__spec__");
    PyObject *flag = spec != NULL && spec != Py_None
                         ? pikos_py_attr(spec, "_initializing")
                         : NULL;
    int initializing = flag != NULL && PyObject_IsTrue(flag) == 1;

    PyErr_Clear(); /* no __spec__ or no _initializing: not initializing */
    Py_XDECREF(flag);
    Py_XDECREF(spec);
    return initializing;
}

/* sys.modules["threading"] (borrowed) once the program has imported it
   fully, else NULL.  Never imports, never leaves an exception set. */
static PyObject *imported_threading(void)
{
    PyObject *modules = PySys_GetObject("modules");
    PyObject *threading = modules != NULL && PyDict_Check(modules)
                              ? PyDict_GetItemString(modules, "threading")
                              : NULL;

    if (threading == NULL || module_initializing(threading))
        return NULL;
    return threading;
}

/* threading.NAME(arg), or threading.NAME() when arg is NULL. */
static PyObject *threading_call(PyObject *threading, const char *name,
                                PyObject *arg)
{
    PyObject *function = pikos_py_attr(threading, name);
    PyObject *result =
        function != NULL ? PyObject_CallFunctionObjArgs(function, arg, NULL)
                         : NULL;

    Py_XDECREF(function);
    return result;
}

/* threading.setprofile(ours) (or settrace), keeping the hook it had.
   -1 with a Python exception set. */
static int hook_new_threads(int kind, PyObject *threading)
{
    struct installation *in = &installations[kind];
    PyObject *hook = new_thread_hook(kind);
    PyObject *previous =
        hook ? threading_call(threading, threading_getter[kind], NULL) : NULL;
    PyObject *done =
        previous
            ? threading_call(threading, threading_setter[kind], hook)
            : NULL;

    if (done == NULL) {
        Py_XDECREF(previous);
        return -1;
    }
    Py_DECREF(done);
    Py_INCREF(threading);
    in->threading = threading;
    in->previous = previous;
    return 0;
}

/* Hooks threading now if the program imported it, else once it has (see
   pikos_threads_hook_pending).  -1 with a Python exception set. */
static int hook_new_threads_when_imported(int kind)
{
    PyObject *threading = imported_threading();

    if (threading == NULL) {
        installations[kind].pending = 1;
        forget_at_exit_register(); /* a later interpreter starts afresh */
        return 0;
    }
    return hook_new_threads(kind, threading);
}

/* Gives threading its hook back, if it got ours (nothing worth reporting
   can fail), and forgets a pending hook. */
static void unhook_new_threads(int kind)
{
    struct installation *in = &installations[kind];
    PyObject *done;

    in->pending = 0;
    if (in->threading == NULL)
        return;
    done = threading_call(in->threading, threading_setter[kind], in->previous);
    if (done == NULL)
        PyErr_Clear();
    Py_XDECREF(done);
    Py_CLEAR(in->threading);
    Py_CLEAR(in->previous);
}

/* The pending hooks, now that threading is imported.  The pending mark is
   dropped before threading's functions run: their Python code may let
   another thread run, whose own cache misses must not hook threading a
   second time (ours would become the "previous" hook).  If monitoring
   stopped meanwhile, threading gets its hook back at once. */
static void hook_pending_kinds(PyObject *threading)
{
    for (int kind = PIKOS_HOOK_PROFILE; kind <= PIKOS_HOOK_TRACE; kind++) {
        struct installation *in = &installations[kind];

        if (!in->pending)
            continue;
        in->pending = 0;
        if (hook_new_threads(kind, threading) < 0)
            PyErr_Clear(); /* threading is not what we know: give up */
        else if (in->scope != PIKOS_HOOK_EVERY_THREAD)
            unhook_new_threads(kind);
    }
}

/* The cold part of pikos_threads_hook_pending.  The program's pending
   exception is put aside: the cache miss happens in the middle of some
   event, and the hook never raises. */
static __attribute__((noinline)) void hook_pending_now(void)
{
    PyObject *type, *value, *traceback, *threading;

    PyErr_Fetch(&type, &value, &traceback);
    threading = imported_threading();
    if (threading != NULL) {
        Py_INCREF(threading); /* sys.modules may drop it meanwhile */
        hook_pending_kinds(threading);
        Py_DECREF(threading);
    }
    PyErr_Restore(type, value, traceback);
}

void pikos_threads_hook_pending(void)
{
    if (installations[PIKOS_HOOK_PROFILE].pending ||
        installations[PIKOS_HOOK_TRACE].pending)
        hook_pending_now();
}

/* ------------------------------------------------------------ install */

static void uninstall(int kind)
{
    switch (installations[kind].scope) {
    case PIKOS_HOOK_THIS_THREAD:
        if (pikos_threads_own(kind)) /* not the program's own function */
            set_this_thread(kind, NULL);
        break;
    case PIKOS_HOOK_EVERY_THREAD:
        set_every_thread(kind, NULL);
        unhook_new_threads(kind);
        break;
    }
    installations[kind].scope = PIKOS_HOOK_NOWHERE;
}

static int python_failure(const char *owner, struct pikos_error *err)
{
    PyObject *type, *value, *traceback, *text;
    const char *message;

    PyErr_Fetch(&type, &value, &traceback);
    text = value != NULL ? PyObject_Str(value) : NULL;
    message = text != NULL ? PyUnicode_AsUTF8(text) : NULL;
    pikos_error_set(err, PIKOS_EPYTHON,
                    "[%s] cannot monitor the threads started later: %s", owner,
                    message != NULL ? message : "unknown error");
    PyErr_Clear();
    Py_XDECREF(text);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(traceback);
    return PIKOS_EPYTHON;
}

/* Through sys.monitoring: the same threads are taken (threads_taken.c),
   and threading gets the same hook, but no thread gets a callback. */
static int take_threads(int kind, Py_tracefunc callback, int scope,
                        const char *owner, struct pikos_error *err)
{
    struct installation *in = &installations[kind];

    if (scope == in->scope && scope != PIKOS_HOOK_THIS_THREAD)
        return 0; /* every thread: those taken since stay taken */
    if (scope == PIKOS_HOOK_EVERY_THREAD &&
        hook_new_threads_when_imported(kind) < 0)
        return python_failure(owner, err);
    if (in->scope == PIKOS_HOOK_EVERY_THREAD && scope != in->scope)
        unhook_new_threads(kind);
    in->callback = callback;
    in->scope = scope;
    if (pikos_threads_take(kind, scope) < 0)
        return pikos_error_set(err, PIKOS_ENOMEM,
                               "[%s] out of memory while listing the threads",
                               owner);
    return 0;
}

int pikos_threads_install(int kind, Py_tracefunc callback, int scope,
                          const char *owner, struct pikos_error *err)
{
    struct installation *in = &installations[kind];

    if (pikos_hook_uses_monitoring())
        return take_threads(kind, callback, scope, owner, err);

    if (scope == in->scope) {
        /* Monitoring may be started from another thread than before. */
        if (scope == PIKOS_HOOK_THIS_THREAD)
            ensure_this_thread(kind, callback);
        return 0;
    }
    if (scope == PIKOS_HOOK_EVERY_THREAD &&
        hook_new_threads_when_imported(kind) < 0)
        return python_failure(owner, err);
    uninstall(kind);
    in->callback = callback;
    in->scope = scope;
    if (scope == PIKOS_HOOK_EVERY_THREAD)
        set_every_thread(kind, callback);
    else if (scope == PIKOS_HOOK_THIS_THREAD)
        set_this_thread(kind, callback);
    return 0;
}
