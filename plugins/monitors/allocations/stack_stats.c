/*
 * stack_stats.c - per-stack counters and the lazily copied peak.
 */
#include <stdlib.h>
#include <string.h>

#include "stack_stats.h"

static int reach(struct stack_stats *s, uint32_t stack)
{
    if (stack < s->capacity)
        return 0;
    size_t capacity = s->capacity ? s->capacity : 1024;
    while (capacity <= stack)
        capacity *= 2;
    struct stack_stat *stats = realloc(s->stats, capacity * sizeof(*stats));
    if (stats == NULL)
        return -1;
    memset(stats + s->capacity, 0,
           (capacity - s->capacity) * sizeof(*stats));
    s->stats = stats;
    s->capacity = capacity;
    if (s->peak_epoch == 0)
        s->peak_epoch = 1; /* new stacks (epoch 0) start outside it */
    return 0;
}

/* Keeps the stack's live counts at the last peak before they change. */
static void keep_peak(const struct stack_stats *s, struct stack_stat *st)
{
    if (st->epoch == s->peak_epoch)
        return;
    st->peak = st->live;
    st->epoch = s->peak_epoch;
}

static void add(struct weight *to, struct weight w, double sign)
{
    to->bytes += sign * w.bytes;
    to->count += sign * w.count;
}

int stack_stats_alloc(struct stack_stats *s, uint32_t stack, struct weight w)
{
    if (reach(s, stack) < 0)
        return -1;
    struct stack_stat *st = &s->stats[stack];
    keep_peak(s, st);
    add(&st->alloc, w, 1);
    add(&st->live, w, 1);
    s->live_bytes += w.bytes;
    if (s->live_bytes > s->peak_bytes) {
        s->peak_bytes = s->live_bytes;
        s->peak_epoch++; /* every stack's live counts are the peak's */
    }
    return 0;
}

void stack_stats_free(struct stack_stats *s, uint32_t stack, struct weight w)
{
    struct stack_stat *st = &s->stats[stack]; /* counted when allocated */

    keep_peak(s, st);
    add(&st->freed, w, 1);
    add(&st->live, w, -1);
    s->live_bytes -= w.bytes;
}

struct weight stack_stats_at_peak(const struct stack_stats *s, uint32_t stack)
{
    const struct stack_stat *st = &s->stats[stack];

    return st->epoch == s->peak_epoch ? st->peak : st->live;
}

void stack_stats_release(struct stack_stats *s)
{
    free(s->stats);
    memset(s, 0, sizeof(*s));
}
