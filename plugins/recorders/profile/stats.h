/*
 * plugins/recorders/profile/stats.{c,h} - per-function statistics of a
 * call tree, counted the way cProfile counts them (Modules/_lsprof.c,
 * read back by pstats), for the pstats file.
 *
 * For each function: nc, every call; cc, the primitive calls - those made
 * while no other call of the function was open (cProfile's callcount
 * minus reccallcount); tt, the time in the function itself; ct, the time
 * of its primitive calls, children included (so a recursive function's
 * time is counted once).  For each (caller, callee) pair the same four,
 * where a call is primitive when the same caller->callee edge is not
 * already open above it (cProfile's sub-entries).
 *
 * A tree node holds calls with one path, so whether they were primitive
 * is read from the path: one walk, with a count of each function and of
 * each edge on the current path.
 */
#ifndef PIKOS_PROFILE_STATS_H
#define PIKOS_PROFILE_STATS_H

#include <stdint.h>

#include "call_tree.h"

struct call_counts {
    uint64_t cc, nc;  /* primitive calls, all calls */
    uint64_t tt_ns;   /* exclusive time */
    uint64_t ct_ns;   /* inclusive time of the primitive calls */
    uint32_t on_path; /* during the walk: open above the node visited */
};

struct caller_counts {
    struct call_counts counts;
    uint32_t caller, callee; /* function indexes */
    uint32_t next_caller;    /* the callee's next caller, or NONE */
};

struct profile_stats {
    struct call_counts *functions; /* by function index */
    uint32_t *first_caller;        /* by function index, or NONE */
    struct caller_counts *callers;
    uint32_t ncallers, callers_cap;
    uint32_t *slots; /* (caller, callee) -> callers index + 1 */
    uint32_t slots_cap;
    int failed; /* out of memory during the walk */
};

/* Fills `stats` from every thread of `tree`; 0, or -1 when out of
   memory.  Free with profile_stats_free either way. */
int profile_stats_compute(const struct call_tree *tree,
                          struct profile_stats *stats);
void profile_stats_free(struct profile_stats *stats);

#endif /* PIKOS_PROFILE_STATS_H */
