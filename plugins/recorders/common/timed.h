/*
 * plugins/recorders/common/timed.{c,h} - reading timed records (monitors
 * with time=true, docs/records.md) in the recorders that draw time:
 * perfetto, chrome_trace, profile.
 *
 * A recorder binds each schema it is shown (prepare_schema) with
 * timed_schema_bind, which finds the fields by name - so it takes any
 * monitor's records that have them, not only pikos's own - and refuses a
 * schema without `time` and `thread` with one clear message.  Per record,
 * timed_event_read turns the values into a struct timed_event without
 * copying a string.
 *
 * Compiled into each recorder module that needs it.
 */
#ifndef PIKOS_RECORDERS_TIMED_H
#define PIKOS_RECORDERS_TIMED_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <pikos/plugin.h>

/* What a timed record says happened. */
enum timed_kind {
    TIMED_CALL,        /* a Python function starts (or a generator resumes) */
    TIMED_RETURN,      /* ... and returns (or yields) */
    TIMED_C_CALL,      /* a C function starts */
    TIMED_C_RETURN,    /* ... and returns */
    TIMED_C_EXCEPTION, /* ... and raises */
    TIMED_LINE,        /* a line is about to run (line monitors) */
    TIMED_OTHER        /* a `type` this reader does not know */
};

/* Where each field is in one schema; -1 when the schema lacks it. */
struct timed_schema {
    const struct pikos_schema *schema;
    int type, function, filename, lineno, first_lineno, time, thread;
    int line; /* line records: the line's source text */
    int rss, vms;
};

/* A borrowed string of a record (valid during the record call). */
struct timed_text {
    const char *ptr;
    size_t len;
};

struct timed_event {
    enum timed_kind kind;
    struct timed_text function;
    struct timed_text filename;
    struct timed_text line; /* the source text (line records), or empty */
    int64_t lineno;       /* the line at the event; 0 if absent */
    int64_t first_lineno; /* the function's first line; 0: unknown or C */
    uint64_t time_ns;     /* since the run started */
    uint64_t thread;      /* OS thread id */
    int has_memory;       /* rss and vms are set */
    int64_t rss, vms;
};

/* The event a function record's `type` names: by length first, the
   commonest first (each compare a load or two), as the hot paths read one
   per record. */
static inline enum timed_kind timed_kind_of(struct timed_text type)
{
#define TIMED_IS(name) (memcmp(type.ptr, name, sizeof(name) - 1) == 0)
    if (type.len == 6)
        return TIMED_IS("return")   ? TIMED_RETURN
               : TIMED_IS("c_call") ? TIMED_C_CALL
                                    : TIMED_OTHER;
    if (type.len == 4)
        return TIMED_IS("call") ? TIMED_CALL : TIMED_OTHER;
    if (type.len == 8)
        return TIMED_IS("c_return") ? TIMED_C_RETURN : TIMED_OTHER;
    if (type.len == 11)
        return TIMED_IS("c_exception") ? TIMED_C_EXCEPTION : TIMED_OTHER;
    return TIMED_OTHER;
#undef TIMED_IS
}

/* Finds the fields of `schema`.  Returns PIKOS_OK, or PIKOS_EINVAL with
   the recorder's error set ("<what> takes timed records: ...", `what`
   naming what the recorder writes, e.g. "a Chrome trace": the host
   prefixes the recorder's name) when
   it has no int `time` and `thread`, or neither a `type` (function
   records) nor a `lineNo` (line records) to read events from. */
int timed_schema_bind(struct pikos_instance *inst,
                      const struct pikos_host *host, const char *what,
                      const struct pikos_schema *schema,
                      struct timed_schema *bound);

/* The hot path: the event a record of a bound schema describes.  Only
   calls and lines name where they happen: for the ends of calls (and
   events of other types) function, filename, line, lineno and
   first_lineno are left empty, unread. */
void timed_event_read(const struct timed_schema *bound,
                      const struct pikos_value *values,
                      struct timed_event *event);

#endif /* PIKOS_RECORDERS_TIMED_H */
