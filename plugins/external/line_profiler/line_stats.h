/*
 * plugins/external/line_profiler/line_stats.h - line_profiler's counters
 * read back as per-line totals.
 *
 * line_profiler 4.0 files each line's hits and time under the pair (that
 * line, the line that ran next), so a line followed by different lines
 * (the head of a loop: the body, then the line after the loop) has
 * several entries; its own get_stats() keeps only one of them, and loses
 * the others' hits.  Here they are summed: hits equal the number of times
 * the line ran, as a sys.settrace counter sees it.
 */
#ifndef PIKOS_LINE_PROFILER_LINE_STATS_H
#define PIKOS_LINE_PROFILER_LINE_STATS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/*
 * The totals of every function the profiler was given, as a new list of
 * (label, code, lines) sorted by label, where label is line_profiler's
 * (filename, first line, co_name) and lines a sorted list of
 * (lineno, hits, time in timer units) for the lines that ran.  NULL with
 * a Python exception on failure.
 */
PyObject *line_stats_collect(PyObject *profiler);

/* {label: lines} of the collected totals: line_profiler's
   LineStats.timings. */
PyObject *line_stats_timings(PyObject *collected);

/* The bytes of line_profiler's .lprof file of the collected totals: a
   pickled LineStats(timings, unit), as its dump_stats() writes (pickle
   protocol 4). */
PyObject *line_stats_lprof(PyObject *collected, PyObject *unit);

/* The LineStatsRecord rows (filename, function, lineNo, hits, time in
   seconds, line) of the collected totals, the function named by its
   co_qualname and the line's text taken with linecache.getline. */
PyObject *line_stats_rows(PyObject *collected, double unit, PyObject *getline);

#endif
