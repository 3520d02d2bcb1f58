/*
 * stack_stats.h - what was allocated at each stack: bytes and counts
 * allocated, freed, live now and live at the peak, by the host's stack
 * node numbers (dense, so an array indexed by them), in durable state
 * buffer 0 after its head (state.h).
 *
 * The peak is the moment the live bytes of all blocks allocated while
 * monitoring were highest.  Copying every stack's live bytes at each new
 * peak would cost a pass over all stacks per allocation; instead each new
 * peak starts an epoch, and a stack copies its live bytes into its peak
 * fields the first time it changes in a later epoch: until then they have
 * not changed since the peak.
 */
#ifndef ALLOCATIONS_STACK_STATS_H
#define ALLOCATIONS_STACK_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "state.h"

/* A block counts as `bytes` bytes and `count` blocks: its size and 1, or
   when sampled what it stands for.  Sums of integers below 2^53 stay
   exact in a double. */
struct weight {
    double bytes;
    double count;
};

struct stack_stat {
    struct weight alloc, freed, live;
    struct weight peak; /* valid when epoch is the peak's */
    uint64_t epoch;
};

struct stack_stats {
    struct store *store;
    struct alloc_head *head; /* NULL until the first allocation */
    struct stack_stat *stats;
    size_t capacity;
};

/* 1 when it is the stack's first allocation, 0 for a later one, -1 when
   out of memory (the allocation is not counted). */
int stack_stats_alloc(struct stack_stats *s, uint32_t stack, struct weight w);
void stack_stats_free(struct stack_stats *s, uint32_t stack, struct weight w);
/* What of `stack` was live at the peak, given the head's peak epoch. */
struct weight stack_stat_at_peak(const struct stack_stat *st,
                                 uint64_t peak_epoch);
/* A new run: nothing counted (the buffers are kept). */
void stack_stats_reset(struct stack_stats *s);

#endif
