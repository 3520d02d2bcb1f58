/*
 * plugins/recorders/profile/formats.h - the four files recorders/profile
 * writes from its call tree at the end of a run (docs/formats.md):
 * collapsed.c, speedscope.c, pprof.c, pstats.c; and the three of them
 * that it writes from a memory profile (allocations.h) instead, when its
 * records were allocation records: write_memory_* in the same files.
 *
 * Each writer builds one unit at a time (a line, a JSON object, a
 * protobuf message, a marshalled entry) in `unit` and hands it whole to
 * the sink; the first error sticks in `rc` and ends the writing.
 */
#ifndef PIKOS_PROFILE_FORMATS_H
#define PIKOS_PROFILE_FORMATS_H

#include <stdint.h>

#include <pikos/plugin.h>

#include "allocations.h"
#include "bytes.h"
#include "call_tree.h"
#include "sink.h"

/* What a memory profile's flame graphs weigh its stacks by (the
   `memory` option), and what pprof's inuse_* values are. */
struct memory_measure {
    const char *option;  /* "peak", "exit", "alloc" */
    enum alloc_value bytes; /* its bytes; the count follows them */
    const char *title;   /* speedscope's profile name */
    const char *comment; /* pprof's comment on inuse_* (NULL: alloc) */
};

struct profile_writer {
    const struct call_tree *tree;
    /* A memory profile (the write_memory_* writers), and its measure. */
    const struct alloc_profile *allocs;
    const struct memory_measure *measure;
    uint64_t duration_ns; /* how long the runs recorded lasted */
    struct sink *sink;
    struct pikos_instance *inst;
    const struct pikos_host *host;
    struct bytes unit;
    int rc; /* PIKOS_OK, or the first error */
};

/* Hands `unit` to the sink and empties it (nothing after an error). */
void writer_emit(struct profile_writer *w);
/* Notes an error (the first one sticks); returns w->rc. */
int writer_fail(struct profile_writer *w, int code, const char *what);

/* A function's name as the profiles show it: a Python function's name,
   or "<built-in method NAME>" for a C function (cProfile's form for a
   built-in method it cannot place in a module). */
void put_function_name(struct bytes *b, const struct tree_function *f);

int write_collapsed(struct profile_writer *w);
int write_speedscope(struct profile_writer *w);
int write_pprof(struct profile_writer *w);
int write_pstats(struct profile_writer *w);

int write_memory_collapsed(struct profile_writer *w);
int write_memory_speedscope(struct profile_writer *w);
int write_memory_pprof(struct profile_writer *w);

#endif /* PIKOS_PROFILE_FORMATS_H */
