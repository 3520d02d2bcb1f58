/*
 * core/monitor_limits.h - a monitor's limits, between monitor_limits.c
 * (which reads them from the monitor's host-handled options) and hook.c
 * (which tests each event against them).  It needs Python.h, so only the
 * Python-using core files include it.
 */
#ifndef PIKOS_MONITOR_LIMITS_H
#define PIKOS_MONITOR_LIMITS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "internal.h"

struct pikos_monitor_limits {
    uint64_t only_thread;      /* threads=current: that thread; 0: every one */
    struct pikos_focus *focus; /* functions=...; NULL: none */
    uint64_t focus_bit;        /* its verdict bit in the code entries */
    int focus_frames_only;     /* line monitor: the focus functions' frames */
};

/* Reads threads= and functions= from a started monitor's context into
   *limits.  A focus holds one of the 64 verdict bits until
   pikos_monitor_limits_release.  With the GIL held. */
int pikos_monitor_limits_init(struct pikos_monitor_limits *limits,
                              struct pikos_instance *monitor,
                              struct pikos_error *err) PIKOS_HIDDEN;
/* Whether the monitor's events must carry time_ns: it sets
   PIKOS_MONITOR_WANTS_TIME, or PIKOS_MONITOR_TIME_OPTION and its option
   time is true. */
int pikos_monitor_wants_time(struct pikos_instance *monitor) PIKOS_HIDDEN;
/* Keeps the focus names that matched nothing in the monitor (for
   pikos_pipeline_check_focus), gives the bit back and frees the focus. */
void pikos_monitor_limits_release(struct pikos_monitor_limits *limits,
                                  struct pikos_instance *monitor) PIKOS_HIDDEN;

#endif /* PIKOS_MONITOR_LIMITS_H */
