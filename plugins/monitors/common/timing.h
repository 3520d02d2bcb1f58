/*
 * plugins/monitors/common/timing.h - the `time` option of the monitors
 * (functions, lines, function_memory, line_memory).
 *
 * time = false  the seed's records, unchanged;
 *        true   the monitor emits its timed schema instead, whose last two
 *               fields are
 *                 time    nanoseconds since the pipeline started its run
 *                         (CLOCK_MONOTONIC, read at the event: 1 ns
 *                         resolution, about 17 ns a reading through the
 *                         vDSO; docs/decisions.md says why not the TSC);
 *                 thread  the OS thread id (gettid), read once per thread.
 * Within one thread the records come in time order: each is timed as its
 * event is dispatched, and a thread's events are dispatched in order.
 *
 * A monitor embeds a struct timing in its context, lists the option
 * (TIMING_OPTION), sets PIKOS_MONITOR_TIME_OPTION in its monitor_flags and
 * calls timing_init from its init and timing_start from its start; per
 * event, when `enabled`, timing_fill.  With the flag the host reads the
 * clock once per event for every timed monitor (ev->time_ns); a host
 * older than the flag leaves time_ns 0, and then the clock is read here.
 */
#ifndef PIKOS_MONITORS_TIMING_H
#define PIKOS_MONITORS_TIMING_H

#include <stdint.h>

#include <pikos/plugin.h>

struct timing {
    int enabled; /* option time, stored by the host */
    const struct pikos_host *host;
    uint64_t origin_ns; /* the run's start: time 0 */
};

#define TIMING_TIME_HELP                                                       \
    "add time (ns since monitoring started) and thread (OS thread id) to "    \
    "each record: the Timed* schema"
/* The option's entry in a monitor's table; `ctx_type` embeds `member`. */
#define TIMING_OPTION(ctx_type, member)                                        \
    {PIKOS_MONITOR_OPTION_TIME, PIKOS_OPT_BOOL, 0, "false", TIMING_TIME_HELP,  \
     offsetof(ctx_type, member.enabled)}

/* Checks that the host can time records when asked to. */
int timing_init(struct timing *t, struct pikos_instance *inst,
                const struct pikos_host *host);
/* Takes the run's start as time 0. */
void timing_start(struct timing *t, struct pikos_instance *inst);

/* The hot path: the two timed values of a record. */
static inline void timing_fill(const struct timing *t,
                               const struct pikos_event *ev,
                               struct pikos_value *time,
                               struct pikos_value *thread)
{
    uint64_t now = ev->time_ns != 0 ? ev->time_ns : t->host->clock_ns();

    time->u.i = (int64_t)(now - t->origin_ns);
    thread->u.i = (int64_t)t->host->os_thread_id();
}

#endif /* PIKOS_MONITORS_TIMING_H */
