/*
 * plugins/recorders/perfetto/intern.{c,h} - what the trace names: each
 * distinct Python function, C function and line gets one interning id
 * (iid), the id of its EventName and, for Python functions and lines, of
 * its SourceLocation in Perfetto's InternedData.
 *
 * The table keeps a copy of each entry's strings and grows only with
 * distinct entries, never with events.  Ids count up from 1 (0 is "no
 * id" in Perfetto) and are the same on every packet sequence; which of
 * them a sequence has been given is the sequence's business
 * (perfetto.c).
 */
#ifndef PIKOS_PERFETTO_INTERN_H
#define PIKOS_PERFETTO_INTERN_H

#include <stddef.h>
#include <stdint.h>

#include "../common/timed.h"

enum intern_kind {
    INTERN_PYTHON, /* a Python function: its name, file and first line */
    INTERN_C,      /* a C function: its name only */
    INTERN_LINE    /* a line: its file, line number and function */
};

/* What an entry is known by. */
struct intern_key {
    enum intern_kind kind;
    struct timed_text function;
    struct timed_text file; /* empty for INTERN_C */
    int64_t line;           /* 0 for INTERN_C */
};

struct intern_entry {
    uint64_t iid;
    enum intern_kind kind;
    char *label; /* the event's name: the function's, or the line's text */
    size_t label_len;
    char *function;
    size_t function_len;
    char *file;
    size_t file_len;
    int64_t line;
    uint64_t hash;
};

struct intern_table;

/* NULL when out of memory. */
struct intern_table *intern_new(void);
void intern_free(struct intern_table *table);

/* The entry of `key`, added when new with `label` as its event name (a
   line's text, which its key leaves out; NULL: the function's name).
   NULL when out of memory.  A key whose strings are where a recent
   lookup's were is found without hashing them (then compared). */
const struct intern_entry *intern_get(struct intern_table *table,
                                      const struct intern_key *key,
                                      const struct timed_text *label);

/* How many entries there are (the highest iid). */
size_t intern_count(const struct intern_table *table);

#endif /* PIKOS_PERFETTO_INTERN_H */
