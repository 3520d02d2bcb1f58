/*
 * core/threads.h - what hook.c asks of threads.c: its CPython callbacks
 * installed in the thread that starts monitoring, or in every thread; and
 * what code_cache.c tells it: a code object was seen for the first time.
 * Only these core files use it (it needs Python.h).
 */
#ifndef PIKOS_THREADS_H
#define PIKOS_THREADS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "internal.h"
#include "py_attr.h"

enum pikos_hook_kind {
    PIKOS_HOOK_PROFILE = 0, /* PyEval_SetProfile: function events */
    PIKOS_HOOK_TRACE = 1    /* PyEval_SetTrace: line events */
};

enum pikos_hook_scope {
    PIKOS_HOOK_NOWHERE = 0,
    PIKOS_HOOK_THIS_THREAD = 1, /* the thread calling */
    PIKOS_HOOK_EVERY_THREAD = 2 /* running ones and those started later */
};

/*
 * Makes `callback` the profile (or trace) function of the threads `scope`
 * names and removes it from those it no longer names.  With the GIL held.
 * Monitoring every thread gives `threading` a hook too (threads started
 * later call it first), at once if the program imported threading, else
 * later (pikos_threads_hook_pending): pikos never imports it.  When
 * hooking threading fails, nothing changes and *err names `owner`.
 */
int pikos_threads_install(int kind, Py_tracefunc callback, int scope,
                          const char *owner,
                          struct pikos_error *err) PIKOS_HIDDEN;

/*
 * Called by the code cache when it meets a new code object (a cold path,
 * with the GIL held): if threading's hook is pending and the program has
 * imported threading by now, hooks it.  Never raises, and leaves a pending
 * Python exception as it was.
 */
void pikos_threads_hook_pending(void) PIKOS_HIDDEN;
/* Whether pikos itself is setting or removing a callback just now. */
int pikos_threads_setting(void) PIKOS_HIDDEN;
/* Whether the calling thread's profile (or trace) function is pikos's. */
int pikos_threads_own(int kind) PIKOS_HIDDEN;

/*
 * Through sys.monitoring (threads_taken.c): the threads whose events are
 * taken, the same ones the legacy hooks would be installed in.
 */
/* Lists the threads `scope` names now; later threads are taken by
   pikos_threads_take_this.  -1 when out of memory. */
int pikos_threads_take(int kind, int scope) PIKOS_HIDDEN;
/* Takes the calling thread (a thread threading started). */
void pikos_threads_take_this(int kind) PIKOS_HIDDEN;
/* The calling thread's verdict, decided anew (the cold path). */
int pikos_threads_decide(int kind) PIKOS_HIDDEN;

struct pikos_thread_verdict {
    unsigned int epoch; /* the installation it was decided for */
    int taken;
};
extern unsigned int pikos_threads_epoch[2] PIKOS_HIDDEN;
extern __thread struct pikos_thread_verdict pikos_thread_verdicts[2]
    __attribute__((tls_model("initial-exec"))) PIKOS_HIDDEN;

/* Whether events of `kind` are taken in the calling thread. */
static inline int pikos_threads_taken(int kind)
{
    const struct pikos_thread_verdict *v = &pikos_thread_verdicts[kind];

    if (v->epoch == pikos_threads_epoch[kind])
        return v->taken;
    return pikos_threads_decide(kind);
}

#endif /* PIKOS_THREADS_H */
