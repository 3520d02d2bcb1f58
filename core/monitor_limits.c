/*
 * core/monitor_limits.c - the host-handled monitor options of plugin.h,
 * read from a monitor's context:
 *   threads=current  only events of the thread that added the monitor;
 *   functions=...    focus (focus.c): a line monitor takes the events of
 *                    the focus functions' own frames, any other monitor
 *                    those that happen while a focus function is on the
 *                    thread's stack.
 * and, not a limit but read from the context the same way, whether a
 * monitor with PIKOS_MONITOR_TIME_OPTION asked for time (its `time`).
 *
 * This file checks the options when a monitor is made, reads them into
 * the monitor's limits when it is added to the hook, and hands out the 64
 * focus verdict bits (code_cache.c keeps each focused monitor's verdict
 * as one bit of each code's entry).  hook.c tests each event against the
 * limits.  With the GIL held.
 */
#include "code_cache.h"
#include "monitor_limits.h"

#include <stdlib.h>
#include <string.h>

/* The verdict bits held by active focused monitors. */
static uint64_t focus_bits_used;

/* Where the value of the host-handled option `name` of `type` is: in the
   instance for a monitor with PIKOS_MONITOR_HOST_OPTIONS, else the
   context slot of the option the monitor declares, or NULL. */
static void *declared_option(struct pikos_instance *monitor, const char *name,
                             uint32_t type)
{
    const struct pikos_option *host = pikos_host_option(monitor->plugin, name);

    if (host != NULL)
        return host->type == type
                   ? (char *)&monitor->host_values + host->offset
                   : NULL;
    for (const struct pikos_option *o = monitor->plugin->options;
         o != NULL && o->name != NULL; o++)
        if (o->type == type && strcmp(o->name, name) == 0)
            return (char *)monitor->ctx + o->offset;
    return NULL;
}

/* The focus names of functions=..., or NULL when it gives none. */
static struct pikos_strlist *focus_names(struct pikos_instance *monitor)
{
    struct pikos_strlist *names = declared_option(
        monitor, PIKOS_MONITOR_OPTION_FUNCTIONS, PIKOS_OPT_LIST);

    return names != NULL && names->count > 0 ? names : NULL;
}

/* threads=all (or not declared): every thread; threads=current: this one. */
static int limit_threads(struct pikos_monitor_limits *limits,
                         struct pikos_instance *monitor,
                         struct pikos_error *err)
{
    char **threads = declared_option(monitor, PIKOS_MONITOR_OPTION_THREADS,
                                     PIKOS_OPT_STRING);
    const char *value = threads != NULL ? *threads : NULL;

    if (value == NULL || strcmp(value, "all") == 0)
        return 0;
    if (strcmp(value, "current") == 0) {
        limits->only_thread = PyThread_get_thread_ident();
        return 0;
    }
    return pikos_error_set(err, PIKOS_EINVAL,
                           "[%s] threads=%s is not a choice: give "
                           "threads=all (every thread) or threads=current "
                           "(the thread that starts monitoring)",
                           pikos_instance_name(monitor), value);
}

/* functions=...: the focus and its verdict bit. */
static int limit_focus(struct pikos_monitor_limits *limits,
                       struct pikos_instance *monitor, struct pikos_error *err)
{
    const char *name = pikos_instance_name(monitor);
    struct pikos_strlist *names = focus_names(monitor);
    int rc;

    if (names == NULL)
        return 0;
    if (focus_bits_used == UINT64_MAX)
        return pikos_error_set(err, PIKOS_ESTATE,
                               "[%s] cannot focus: 64 focused monitors are "
                               "running already; stop one first",
                               name);
    if ((rc = pikos_focus_new(names, name, &limits->focus, err)) < 0)
        return rc;
    /* The lowest free bit. */
    limits->focus_bit = ~focus_bits_used & (focus_bits_used + 1);
    focus_bits_used |= limits->focus_bit;
    limits->focus_frames_only =
        (monitor->plugin->event_mask & PIKOS_EVENT_BIT(PIKOS_EVENT_LINE)) != 0;
    return 0;
}

int pikos_monitor_limits_init(struct pikos_monitor_limits *limits,
                              struct pikos_instance *monitor,
                              struct pikos_error *err)
{
    int rc;

    *limits = (struct pikos_monitor_limits){0};
    if ((rc = limit_threads(limits, monitor, err)) < 0)
        return rc;
    return limit_focus(limits, monitor, err);
}

int pikos_monitor_wants_time(struct pikos_instance *monitor)
{
    uint32_t flags = monitor->plugin->monitor_flags;
    int *time;

    if (flags & PIKOS_MONITOR_WANTS_TIME)
        return 1;
    if (!(flags & PIKOS_MONITOR_TIME_OPTION))
        return 0;
    time = declared_option(monitor, PIKOS_MONITOR_OPTION_TIME, PIKOS_OPT_BOOL);
    return time != NULL && *time != 0;
}

void pikos_monitor_limits_release(struct pikos_monitor_limits *limits,
                                  struct pikos_instance *monitor)
{
    if (limits->focus == NULL)
        return;
    free(monitor->unmatched_focus);
    monitor->unmatched_focus = pikos_focus_unmatched(limits->focus);
    pikos_code_cache_forget_focus(limits->focus_bit);
    focus_bits_used &= ~limits->focus_bit;
    pikos_focus_free(limits->focus);
    limits->focus = NULL;
}

/* Parses the options as pikos_monitor_limits_init would, taking no bit:
   a bad value fails the instance before any recorder starts. */
int pikos_hook_check_options(struct pikos_instance *monitor,
                             struct pikos_error *err)
{
    struct pikos_monitor_limits limits = {0};
    struct pikos_strlist *names = focus_names(monitor);
    struct pikos_focus *focus = NULL;
    int rc = limit_threads(&limits, monitor, err);

    if (rc == 0 && names != NULL)
        rc = pikos_focus_new(names, pikos_instance_name(monitor), &focus, err);
    pikos_focus_free(focus);
    return rc;
}
