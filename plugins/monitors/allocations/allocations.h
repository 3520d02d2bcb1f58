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
#include "state.h"

/* The nodes counted whose frames are not copied yet, and which code ids
   have their struct alloc_code (plain memory: only the running process
   needs them). */
struct frames {
    uint32_t *pending;
    size_t npending, cap;
    struct code_slot {
        uint64_t id; /* 0: empty */
        uint32_t index;
    } *codes;
    size_t codes_cap, ncodes;
    int asked; /* a safe point is coming */
};

struct allocations_ctx {
    char *aggregate; /* option: "line" or "stack" */
    int64_t sample;  /* option: mean bytes between sampled blocks; 0: all */
    int native;      /* option: the C library's malloc too */
    int64_t interval; /* option: microseconds between heap records; 0: none */
    const struct pikos_host *host;
    int by_stack;
    int out_of_memory; /* some allocation could not be counted */
    int has_safe_points;
    uint64_t sample_bytes; /* the rate of the run's events (ev->sample_bytes) */
    struct live_blocks live;
    struct store store;
    struct stack_stats stats;
    struct frames frames;
    struct heap_series heap; /* heap_series.h */
};

/* What the records are made from: the buffers of a running instance, or
   those an ended process left (checked: counts cut to the buffers). */
struct alloc_view {
    const struct alloc_head *head;
    const struct stack_stat *stats;
    size_t nstats;
    const struct alloc_frame *frames;
    size_t nframes;
    const struct alloc_code *codes;
    size_t ncodes;
    const char *strings;
    size_t nstrings;
};

extern const struct pikos_schema allocation_record;       /* by line */
extern const struct pikos_schema stack_allocation_record; /* by stack */

/* frames.c: from on_event, a node counted for the first time. */
void frames_note(struct pikos_instance *inst, struct allocations_ctx *self,
                 uint32_t stack);
/* frames.c: copies the frames of the nodes noted (and their callers');
   with the GIL, outside the allocator.  0, or -1 when out of memory. */
int frames_resolve(struct allocations_ctx *self);
void frames_reset(struct frames *f);

/* The view of a running instance's buffers. */
struct alloc_view view_of(const struct allocations_ctx *self);
/* The view of what an ended process left (host->state_get); 0, or -1
   when it left nothing whole. */
int view_left(struct pikos_instance *inst, const struct pikos_host *host,
              struct alloc_view *v);

/* The records, one per line or stack, the most bytes allocated first.
   0, or an error code with the error set. */
int allocations_emit(struct pikos_instance *inst, const struct pikos_host *host,
                     const struct alloc_view *v, int by_stack);

#endif
