/*
 * core/takeover.c - when the program takes CPython's hook from pikos.
 *
 * CPython has one profile function and one trace function per thread.  A
 * program that installs its own (sys.setprofile, cProfile, `-m trace`,
 * pdb's sys.settrace) replaces pikos's callback in that thread, and pikos
 * records nothing more there; its own callback sees the events it would
 * see under python3.  pikos cannot prevent that, so it says so at that
 * moment, in one line naming what took the hook.  CPython audits every
 * change of the hooks (sys.setprofile, sys.settrace) before it happens:
 * an audit hook tells pikos, which ignores its own changes (threads.c)
 * and those of threads where its callback is not installed.  The exit
 * status is unchanged.
 */
#include "program.h"

#include <stdio.h>
#include <string.h>

#include "threads.h"

/* Said once per hook and run. */
static int told[2];

/* "main (/path/app.py:12)": the Python code that asked for the change. */
static void describe_caller(char *buf, size_t size)
{
    PyFrameObject *frame = PyEval_GetFrame(); /* borrowed */
    PyCodeObject *code = frame != NULL ? PyFrame_GetCode(frame) : NULL;
    const char *name = code ? PyUnicode_AsUTF8(code->co_name) : NULL;
    const char *file = code ? PyUnicode_AsUTF8(code->co_filename) : NULL;

    if (name != NULL && file != NULL)
        snprintf(buf, size, "%s (%s:%d)", name, file,
                 PyFrame_GetLineNumber(frame));
    else
        snprintf(buf, size, "code pikos cannot name");
    PyErr_Clear();
    Py_XDECREF(code);
}

static void tell(int kind, const char *event)
{
    char caller[512];

    describe_caller(caller, sizeof(caller));
    fprintf(stderr,
            "pikos: %s, called from %s, takes this thread's %s function "
            "from pikos: its monitors record nothing more in this thread "
            "(Python %d.%d has one %s function per thread)\n",
            event, caller, kind == PIKOS_HOOK_PROFILE ? "profile" : "trace",
            PY_MAJOR_VERSION, PY_MINOR_VERSION,
            kind == PIKOS_HOOK_PROFILE ? "profile" : "trace");
    fflush(stderr);
}

static int audit(const char *event, PyObject *args, void *data)
{
    int kind;

    (void)args;
    (void)data;
    if (strcmp(event, "sys.setprofile") == 0)
        kind = PIKOS_HOOK_PROFILE;
    else if (strcmp(event, "sys.settrace") == 0)
        kind = PIKOS_HOOK_TRACE;
    else
        return 0;
    if (told[kind] || pikos_threads_setting() || !pikos_threads_own(kind))
        return 0;
    told[kind] = 1;
    tell(kind, event);
    return 0;
}

void pikos_takeover_watch(void)
{
    static int added;

    if (!added && PySys_AddAuditHook(audit, NULL) == 0)
        added = 1;
    PyErr_Clear(); /* an audit hook that refuses: nothing is told */
}
