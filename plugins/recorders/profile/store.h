/*
 * plugins/recorders/profile/store.{c,h} - where recorders/profile keeps
 * what its file is made from: the host's durable state buffers (ABI 1.4),
 * so that the `pikos` command can still write the file when the program
 * ends before monitoring stops (profile.c's salvage); plain memory for a
 * host without them and for the unit tests.
 *
 * A buffer may move when it grows: what the profile keeps inside its
 * buffers are indexes and offsets, never pointers.  Each module owns its
 * buffer numbers (below).
 */
#ifndef PIKOS_PROFILE_STORE_H
#define PIKOS_PROFILE_STORE_H

#include <stddef.h>

#include <pikos/plugin.h>

enum store_id {
    STORE_PROFILE = 0,   /* profile.c: struct profile_state */
    STORE_TREE = 1,      /* call_tree.c: struct tree_saved, its counts */
    STORE_FUNCTIONS = 2, /* call_tree.c: struct tree_function[] */
    STORE_STRINGS = 3,   /* call_tree.c: the functions' names and files */
    STORE_NODES = 4,     /* call_tree.c: struct tree_node[] */
    STORE_THREADS = 5,   /* call_tree.c: struct tree_thread[] */
    STORE_OPEN = 16      /* open_calls.c: + i, thread i's open calls */
};

struct store {
    struct pikos_instance *inst;
    const struct pikos_host *host; /* NULL: plain memory */
};

/* A store over the host's state buffers when it has them (ABI 1.4), else
   plain memory. */
struct store store_of(struct pikos_instance *inst,
                      const struct pikos_host *host);

/* Buffer `id` resized to `size` bytes, as realloc(old, size) (zeroed the
   first time in the host's store only); NULL when out of memory. */
void *store_resize(const struct store *s, unsigned id, void *old,
                   size_t size);
/* Frees a buffer of plain memory (the host frees its own). */
void store_free(const struct store *s, void *data);

/* In a salvage: buffer `id` as the ended process left it, copied into
   this instance's own buffer `id` (so that it can be changed: open calls
   closed); its size in *size.  NULL when it left none, or when out of
   memory. */
void *store_restore(const struct store *s, unsigned id, size_t *size);

#endif /* PIKOS_PROFILE_STORE_H */
