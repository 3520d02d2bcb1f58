/*
 * allocations.h - monitors/allocations' context and its two record
 * schemas (aggregate.c writes the records).
 */
#ifndef ALLOCATIONS_ALLOCATIONS_H
#define ALLOCATIONS_ALLOCATIONS_H

#include <pikos/plugin.h>

#include "heap_series.h"
#include "live_blocks.h"
#include "stack_stats.h"

struct allocations_ctx {
    char *aggregate; /* option: "line" or "stack" */
    int64_t sample;  /* option: mean bytes between sampled blocks; 0: all */
    int64_t interval; /* option: microseconds between heap records; 0: none */
    const struct pikos_host *host;
    int by_stack;
    int out_of_memory; /* some allocation could not be counted */
    uint64_t sample_bytes; /* the rate of the run's events (ev->sample_bytes) */
    struct live_blocks live;
    struct stack_stats stats;
    struct heap_series heap; /* heap_series.h */
};

extern const struct pikos_schema allocation_record;       /* by line */
extern const struct pikos_schema stack_allocation_record; /* by stack */

/* The records of the run, one per line or stack, the most bytes
   allocated first.  0, or an error code with the error set. */
int allocations_emit(struct pikos_instance *inst, struct allocations_ctx *self);

#endif
