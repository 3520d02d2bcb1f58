/*
 * core/hook_backend.h - how CPython's events reach hook.c's dispatch: the
 * legacy profile and trace functions (hook.c, threads.c), or, on Python
 * 3.12 and later, sys.monitoring (hook_monitoring.c).  Both hand the
 * dispatch the same pikos events; they differ in where an event says it
 * happened: a frame, or a code object and an offset or line.
 */
#ifndef PIKOS_HOOK_BACKEND_H
#define PIKOS_HOOK_BACKEND_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "internal.h"

#ifdef Py_GIL_DISABLED
#error "pikos needs the GIL: free-threaded CPython builds are not supported (docs/decisions.md)"
#endif

/* Where an event happened: the legacy hooks' frame; else
   sys.monitoring's instruction offset in bytes (read only when a monitor
   takes the event); else the line itself. */
struct pikos_event_site {
    PyFrameObject *frame; /* or NULL */
    PyCodeObject *code;   /* borrowed */
    PyObject *offset;     /* or NULL */
    int line;
};

/* What an event's location is to the active monitors, after it. */
enum pikos_location_use {
    PIKOS_LOCATION_USED = 0, /* keep giving its events */
    PIKOS_LOCATION_IDLE = 1, /* no monitor will take them (a line
                                monitor's focus leaves the code out) */
    PIKOS_LOCATION_IDLE_UNTIL_FOCUS = 2 /* none will until a focus
                                           function is entered */
};
/* hook.c: dispatches an event sys.monitoring gave; returns an enum
   pikos_location_use. */
int pikos_hook_dispatch_site(const struct pikos_event_site *site,
                             uint32_t type, PyObject *arg) PIKOS_HIDDEN;
/* hook.c: what a location is to the active monitors when its event is
   not one pikos reports (a call site calling Python code). */
int pikos_hook_location_use(PyCodeObject *code, uint32_t type) PIKOS_HIDDEN;
/* hook_monitoring.c: a focus function was entered: what was disabled
   until then is given back (restart_events), if anything was. */
void pikos_monitoring_focus_entered(void) PIKOS_HIDDEN;
/* hook.c: a frame of `code` returned or unwound (sys.monitoring): ends
   the program when it is the watched one. */
void pikos_hook_code_left(PyCodeObject *code) PIKOS_HIDDEN;

/* Whether events come through sys.monitoring: Python 3.12 or later,
   unless PIKOS_HOOK=legacy asks for the profile and trace functions.
   Decided once per process. */
int pikos_hook_uses_monitoring(void) PIKOS_HIDDEN;
/* hook_monitoring.c: asks sys.monitoring for the events that give the
   pikos events in `pikos_events` (0: none, and the tool id is given
   back).  0, or -1 with `err` set ("[owner] ..."). */
int pikos_monitoring_hook_sync(uint32_t pikos_events, const char *owner,
                               struct pikos_error *err) PIKOS_HIDDEN;

#if PY_VERSION_HEX >= 0x030C0000
/* monitoring.c: sys.monitoring.NAME(*args) as Py_BuildValue(format)
   builds them; a new reference, or NULL with an exception. */
PyObject *pikos_monitoring_call(const char *name, const char *format,
                                ...) PIKOS_HIDDEN;
/* sys.monitoring.events.NAME, or -1 with an exception. */
long pikos_monitoring_event(const char *name) PIKOS_HIDDEN;
/* A free tool id, taken as `name`: 3 and 4 first (no conventional tool
   claims them), PROFILER_ID (2, the only one cProfile can use) last; -1
   when all six are in use. */
int pikos_monitoring_take_tool(const char *name) PIKOS_HIDDEN;
#endif

#endif /* PIKOS_HOOK_BACKEND_H */
