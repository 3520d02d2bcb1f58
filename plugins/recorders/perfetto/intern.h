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
#include "same_bytes.h"

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

/*
 * Entries recently found, by the addresses of their key's strings.  A
 * record's strings are borrowed for the call only, but a monitor passes
 * the same function's name and file from the same buffers each time (its
 * code object's), so a lookup by address skips hashing their text on
 * almost every event.  Once a buffer is freed its address may hold other
 * text: a hit is confirmed by content (lengths, then bytes: same_bytes.h),
 * which costs a fraction of hashing it.  Here rather than in intern.c
 * for intern_get's inline usual path; the rest is intern.c's.
 */
#define INTERN_RECENT_BITS 9
struct intern_recent {
    const char *function, *file; /* the key's addresses */
    const struct intern_entry *entry;
};

/* An open-addressing hash table of entries, at most half full, and the
   entries found recently. */
struct intern_table {
    struct intern_entry **slots;
    size_t cap; /* a power of two */
    size_t count;
    struct intern_recent recent[1u << INTERN_RECENT_BITS];
};

/* NULL when out of memory. */
struct intern_table *intern_new(void);
void intern_free(struct intern_table *table);

/* How many entries there are (the highest iid). */
size_t intern_count(const struct intern_table *table);

/* intern_get's way when the key is not the most recent of its pair (the
   pair intern_recent_pair gives). */
const struct intern_entry *intern_find(struct intern_table *table,
                                       struct intern_recent *pair,
                                       const struct intern_key *key,
                                       const struct timed_text *label);

static inline __attribute__((always_inline)) int
intern_same_text(const char *s, size_t len, struct timed_text t)
{
    return len == t.len && same_bytes(s, t.ptr, len);
}

/* The pair of recent entries where `key` may be: a multiplicative hash
   of its addresses, line and kind picks the pair.  Two ways, so that two
   functions a loop calls in turn cannot keep evicting each other. */
static inline struct intern_recent *
intern_recent_pair(struct intern_table *table, const struct intern_key *key)
{
    uint64_t h = (uint64_t)(uintptr_t)key->function.ptr ^
                 (uint64_t)(uintptr_t)key->file.ptr << 1 ^
                 (uint64_t)key->line << 20 ^ (uint64_t)key->kind;
    h *= 0x9e3779b97f4a7c15ull;
    return &table->recent[(h >> (64 - INTERN_RECENT_BITS)) & ~(uint64_t)1];
}

/* Whether a recent entry is `key`'s: the same addresses, and (as they
   may hold other text by now) the same content. */
static inline __attribute__((always_inline)) int
intern_recent_is(const struct intern_recent *r, const struct intern_key *key)
{
    const struct intern_entry *e = r->entry;
    return e != NULL && r->function == key->function.ptr &&
           r->file == key->file.ptr && e->kind == key->kind &&
           e->line == key->line &&
           intern_same_text(e->function, e->function_len, key->function) &&
           intern_same_text(e->file, e->file_len, key->file);
}

/* The entry of `key`, added when new with `label` as its event name (a
   line's text, which its key leaves out; NULL: the function's name).
   NULL when out of memory.  A key whose strings are where a recent
   lookup's were is found without hashing them (then compared); inline,
   as the hot path finds one per call. */
static inline __attribute__((always_inline)) const struct intern_entry *
intern_get(struct intern_table *table, const struct intern_key *key,
           const struct timed_text *label)
{
    struct intern_recent *pair = intern_recent_pair(table, key);
    if (intern_recent_is(&pair[0], key))
        return pair[0].entry;
    return intern_find(table, pair, key, label);
}

#endif /* PIKOS_PERFETTO_INTERN_H */
