/*
 * plugins/monitors/common/host_options.h - the options every monitor
 * declares and the host handles (plugin.h):
 *   functions (list)    focus: only events inside these functions;
 *   threads   (string)  all (the default) or current.
 * The host finds them by name and type in the monitor's option table,
 * reads them at the offset the table gives and delivers only the events
 * that pass: a monitor declares them and never reads them.
 *
 * A monitor embeds a struct monitor_host_options in its context and puts
 * MONITOR_HOST_OPTIONS(its ctx type, that member, focus help) in its
 * option table.
 */
#ifndef PIKOS_MONITORS_HOST_OPTIONS_H
#define PIKOS_MONITORS_HOST_OPTIONS_H

#include <stddef.h>

#include <pikos/plugin.h>

/* Where the host stores the two options. */
struct monitor_host_options {
    struct pikos_strlist functions;
    char *threads;
};

/* What focus means depends on the monitor's events (plugin.h): a line
   monitor sees the focus functions' own frames, any other everything that
   runs while one of them is on the thread's stack. */
#define MONITOR_FOCUS_HELP_WHILE_RUNNING                                       \
    "record only while one of these functions runs on the thread (f, "         \
    "Class.method, module:f; items separated by semicolons)"
#define MONITOR_FOCUS_HELP_OWN_FRAMES                                          \
    "record only the lines of these functions' own frames (f, "                \
    "Class.method, module:f; items separated by semicolons)"
#define MONITOR_THREADS_HELP                                                   \
    "all (every thread) or current (the thread that starts monitoring)"

/* The two entries of an option table, for the struct monitor_host_options
   `member` of `ctx_type`. */
/* clang-format off */
#define MONITOR_HOST_OPTIONS(ctx_type, member, focus_help)                     \
    {PIKOS_MONITOR_OPTION_FUNCTIONS, PIKOS_OPT_LIST, 0, "", focus_help,        \
     offsetof(ctx_type, member.functions)},                                    \
    {PIKOS_MONITOR_OPTION_THREADS, PIKOS_OPT_STRING, 0, "all",                 \
     MONITOR_THREADS_HELP, offsetof(ctx_type, member.threads)}
/* clang-format on */

#endif /* PIKOS_MONITORS_HOST_OPTIONS_H */
