/*
 * plugins/recorders/chrome_trace/events.{c,h} - the text of each kind of
 * trace event (Trace Event Format, JSON Object Format), built straight
 * into a buffer the caller sized with the matching *_max bound.
 *
 * The file is one JSON object:
 *     {"displayTimeUnit":"ns","traceEvents":[
 *     {"ph":"M","name":"process_name",...}      <- trace_header
 *     ,{"ph":"B",...}                           <- every later event
 *     ...
 *     ]}                                        <- trace_ending
 * Every event after the first starts with its own comma, so the file is
 * valid JSON after any whole event once the ending is added: the host
 * writes it at close, or after what a dying process left (ABI 1.3
 * output_set_ending).
 *
 * A slice is a "B" (begin) event and an "E" (end) event on its thread
 * that carry the same name, category and args (the fragment), so that a
 * reader that checks an end against its begin (speedscope) pairs them:
 *     "name":"f","cat":"python","args":{"file":"/app.py","line":3}
 * Python calls have cat "python" and line the function's first line; C
 * calls cat "c", and the file and line of the call (the caller's).
 */
#ifndef PIKOS_CHROME_TRACE_EVENTS_H
#define PIKOS_CHROME_TRACE_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "../common/timed.h"

/* The ending the host writes after the last event. */
#define TRACE_ENDING "\n]}\n"

/* The header: the object's opening and the process_name event. */
size_t trace_header_max(size_t name_len);
char *trace_header(char *dst, uint64_t pid, const char *name, size_t len);

/* A slice's name, category and args, from its call event. */
size_t slice_fragment_max(const struct timed_event *call);
char *slice_fragment(char *dst, const struct timed_event *call);

/* A "B" or "E" event (`phase`) at `ts_ns` with a slice's fragment. */
size_t duration_event_max(size_t fragment_len);
char *duration_event(char *dst, char phase, uint64_t ts_ns, uint64_t pid,
                     uint64_t tid, const char *fragment, size_t len);

/* The thread_name metadata event of a thread. */
size_t thread_name_event_max(size_t name_len);
char *thread_name_event(char *dst, uint64_t pid, uint64_t tid,
                        const char *name, size_t len);

/* The process's memory as a "C" (counter) event named "memory". */
size_t memory_event_max(void);
char *memory_event(char *dst, uint64_t ts_ns, uint64_t pid, uint64_t tid,
                   int64_t rss, int64_t vms);

/* A line about to run, as an "i" (instant) event on its thread; `source`
   (its text, may be empty) goes in its args. */
size_t line_event_max(const struct timed_event *line, size_t source_len);
char *line_event(char *dst, uint64_t ts_ns, uint64_t pid,
                 const struct timed_event *line, const char *source,
                 size_t source_len);

#endif /* PIKOS_CHROME_TRACE_EVENTS_H */
