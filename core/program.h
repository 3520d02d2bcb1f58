/*
 * core/program.h - the command line's program, between program.c (which
 * starts and stops its pipeline) and hook.c (which sees its frame end).
 */
#ifndef PIKOS_PROGRAM_H
#define PIKOS_PROGRAM_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "internal.h"

/* Calls `ended` right after `frame` returned (its return event
   dispatched), from a hook callback; 0 when no callback of the hook is
   installed to see that (no monitor takes events). */
int pikos_hook_watch_frame(PyFrameObject *frame,
                           void (*ended)(void)) PIKOS_HIDDEN;
/* Gives a call event that happened before the hook was installed to the
   profile callback, if it is installed. */
void pikos_hook_replay_call(PyFrameObject *frame) PIKOS_HIDDEN;

/* monitoring.c (Python 3.12+): gives the program's first event to the
   sys.monitoring tools that missed it (an external monitor's profiler)
   and calls `ended` when `frame` is left; 0 when that cannot be (before
   3.12, or no free tool id). */
int pikos_monitoring_watch(PyFrameObject *frame,
                           void (*ended)(void)) PIKOS_HIDDEN;

/* takeover.c: tells, in one line, when the program replaces pikos's
   profile or trace function in a thread (the command line's runs). */
void pikos_takeover_watch(void) PIKOS_HIDDEN;

/*
 * Runs `pipe` over the program python3 is about to run: from the first
 * call of module code in __main__'s globals to its return (see
 * program.c).  Takes `pipe` and `registry` over (freed when monitoring
 * stops).  With the GIL held, in the thread that will run the program.
 */
PIKOS_EXPORT int pikos_program_watch(struct pikos_pipeline *pipe,
                                     struct pikos_registry *registry,
                                     struct pikos_error *err);

#endif /* PIKOS_PROGRAM_H */
