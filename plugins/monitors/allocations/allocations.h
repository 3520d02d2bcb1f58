/*
 * allocations.h - monitors/allocations' context and its two record
 * schemas (aggregate.c writes the records).
 */
#ifndef ALLOCATIONS_ALLOCATIONS_H
#define ALLOCATIONS_ALLOCATIONS_H

#include <pikos/plugin.h>

#include "block_records.h"
#include "heap_series.h"
#include "live_blocks.h"
#include "live_top.h"
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

/* A growing piece of text (aggregate.c). */
struct text {
    char *data;
    size_t len, cap;
};

struct allocations_ctx {
    char *aggregate; /* option: "line" or "stack" */
    int64_t sample;  /* option: mean bytes between sampled blocks; 0: all */
    int native;      /* option: the C library's malloc too */
    int64_t interval; /* option: microseconds between heap records; 0: none */
    int64_t threshold; /* option: bytes from which a block gets records; 0:
                          none */
    int64_t queue;     /* option: block records waiting at most */
    double live_seconds; /* option `live`: seconds between snapshots of
                            the top lines; 0: none */
    int64_t top;         /* option: lines per snapshot at most */
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
    struct block_queue blocks; /* block_records.h */
    struct live_top live_top;  /* live_top.h */
    struct text stack_text;    /* a block record's stack, reused */
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

/* Where a stack node is: its innermost frame, `<no Python frame>` for
   stack 0, `<unknown frame>` for a node whose frame was never copied. */
struct alloc_place {
    const char *function, *filename;
    size_t function_len, filename_len;
    int lineno;
};

extern const struct pikos_schema allocation_record;       /* by line */
extern const struct pikos_schema stack_allocation_record; /* by stack */

/* frames.c: from on_event, a node counted for the first time. */
void frames_note(struct pikos_instance *inst, struct allocations_ctx *self,
                 uint32_t stack);
/* frames.c: asks the host for a safe point, once until it comes. */
void frames_ask(struct pikos_instance *inst, struct allocations_ctx *self);
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

/* The stack's frames in StackAllocationRecord's `stack` text (t emptied
   first); 0, or -1 when out of memory. */
int allocations_stack_text(const struct alloc_view *v, uint32_t stack,
                           struct text *t);
void allocations_place(const struct alloc_view *v, uint32_t stack,
                       struct alloc_place *p);

/* The records, one per line or stack, the most bytes allocated first.
   0, or an error code with the error set. */
int allocations_emit(struct pikos_instance *inst, const struct pikos_host *host,
                     const struct alloc_view *v, int by_stack);

/* block_records.c: emits the queued block records in order and empties
   the queue (the frames copied first: frames_resolve).  0, or the first
   emission's error (the others still go out). */
int block_records_drain(struct pikos_instance *inst,
                        const struct pikos_host *host,
                        const struct alloc_view *v, struct block_queue *q,
                        struct text *stack);
/* In salvage: the block records an ended process queued and had not
   emitted; *dropped the records its full queue lost. */
int block_records_salvage(struct pikos_instance *inst,
                          const struct pikos_host *host,
                          const struct alloc_view *v, uint64_t *dropped);

#endif
